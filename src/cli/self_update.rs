//! `aws-iam-authenticator self-update` (cargo feature `self-update`, on in the release
//! archives only): replace this binary with a newer release. The work is in
//! [`crate::update`].

use std::path::PathBuf;

use clap::Args;

use super::{CliError, Context};
use crate::update::{self, InstallEnv, Outcome, UpdateOptions};

const EXAMPLES: &str = "\
Examples:
  # Replace this binary with the latest release (archive and install-script installs)
  aws-iam-authenticator self-update

  # Only say whether a newer release exists
  aws-iam-authenticator self-update --check

  # Install a given release, from a mirror of the release downloads
  aws-iam-authenticator self-update --to 0.2.0 --from https://mirror.example.com/releases

Installs owned by Homebrew, Chocolatey, Scoop, winget, krew, cargo install, Nix or dpkg are
never replaced; the error names the upgrade command to use instead.";

/// Flags of `self-update`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct SelfUpdateArgs {
    /// Only report whether a newer release is available
    #[arg(long)]
    check: bool,

    /// Install this release (e.g. 0.2.0) instead of the latest; allows downgrades
    #[arg(long = "to", value_name = "VERSION")]
    to: Option<String>,

    /// Releases URL to download from (GitHub Releases layout)
    #[arg(
        long = "from",
        value_name = "URL",
        env = update::RELEASE_URL_ENV,
        default_value = update::DEFAULT_RELEASES_URL,
        hide_default_value = true
    )]
    from: String,

    /// Reinstall even when the installed version is the latest
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(_ctx: &Context, args: SelfUpdateArgs) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| CliError::new(format!("cannot locate this executable: {e}")))?;
    let opts = UpdateOptions {
        releases_url: args.from,
        version: args.to,
        check_only: args.check,
        force: args.force,
        exe: PathBuf::from(&exe),
        current_version: crate::version::INFO.version.to_owned(),
        target: update::target().to_owned(),
    };
    let current = &opts.current_version;
    match update::update(&opts, &InstallEnv::from_env()) {
        Ok(Outcome::UpToDate { latest }) => {
            println!("aws-iam-authenticator {current} is up to date (latest release: {latest})");
            Ok(())
        }
        Ok(Outcome::Available { version }) => {
            println!(
                "aws-iam-authenticator {version} is available (installed: {current}); run `aws-iam-authenticator self-update`"
            );
            Ok(())
        }
        Ok(Outcome::Updated {
            version,
            artifact,
            sha256,
        }) => {
            eprintln!("verified {artifact} (sha256 {sha256})");
            println!("updated {} from {current} to {version}", opts.exe.display());
            Ok(())
        }
        Err(e) => Err(CliError::new(e.to_string())),
    }
}
