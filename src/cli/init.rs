//! `aws-iam-authenticator init` (cargo feature `server`): write the serving certificate,
//! its key and the webhook kubeconfig before the server first starts.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliError, Context};
use crate::server::config::ServerFlags;
use crate::server::{ServerOptions, init};

/// Flags of `init`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  # writes cert.pem, key.pem and aws-iam-authenticator.kubeconfig to the current directory\n  aws-iam-authenticator init -i my-cluster\n  # with --feature-gates=ConfiguredInitDirectories=true, into the state dir and --generate-kubeconfig path\n  aws-iam-authenticator init -i my-cluster --feature-gates=ConfiguredInitDirectories=true"
)]
pub(crate) struct InitArgs {
    /// Hostname that should be used for writing the self-signed certificates
    #[arg(long = "hostname", value_name = "HOST")]
    hostname: Option<String>,
    /// IP Address to bind the server to listen to
    #[arg(long = "address", value_name = "IP")]
    address: Option<String>,
}

pub(crate) fn run(ctx: &Context, args: InitArgs) -> Result<(), CliError> {
    println!("{}", version_banner());
    let flags = ServerFlags {
        address: args.address,
        hostname: args.hostname,
        ..ServerFlags::default()
    };
    let gates = ctx.feature_gates()?;
    let options = ServerOptions::resolve(ctx.cluster_id()?, gates, flags, &ctx.config)
        .map_err(|e| CliError::with_cause("could not get config", e).bare())?;
    crate::server::install_crypto_provider();
    let fail = |e: init::InitError| CliError::with_cause("could not initialize", e).bare();
    let (cert_dir, kubeconfig_path) = if gates.configured_init_directories {
        (
            options.state_dir.clone(),
            options.generate_kubeconfig.clone(),
        )
    } else {
        (
            PathBuf::from("."),
            PathBuf::from(init::INIT_KUBECONFIG_FILE),
        )
    };
    let (pair, _) =
        init::load_or_create(&cert_dir, &options.hostname, &options.address).map_err(fail)?;
    let text = init::kubeconfig(&options.hostname, options.port, &pair.cert_pem);
    init::log_writing_kubeconfig(&kubeconfig_path);
    init::write_file(&kubeconfig_path, text.as_bytes(), 0o644).map_err(fail)?;
    for line in hints(
        gates.configured_init_directories,
        &options.state_dir,
        &options.generate_kubeconfig,
    ) {
        tracing::info!("{line}");
    }
    Ok(())
}

/// Upstream's first line of `init` and `server`, on stdout.
fn version_banner() -> String {
    format!(
        "Authenticator Version: {:?}, {:?}",
        crate::version::INFO.version,
        crate::version::INFO.commit
    )
}

/// Upstream's closing log lines, with the configured paths (`server.stateDir`,
/// `server.generateKubeconfig`): where the files were written (with the
/// `ConfiguredInitDirectories` gate), or where to copy them from the current directory.
fn hints(configured_dirs: bool, state_dir: &Path, kubeconfig: &Path) -> Vec<String> {
    let cert = state_dir.join(init::CERT_FILE);
    let key = state_dir.join(init::KEY_FILE);
    let kubeconfig = kubeconfig.display();
    let mut lines = if configured_dirs {
        vec![
            format!(
                "certificate generated at {} on kubernetes master node(s)",
                cert.display()
            ),
            format!(
                "key generated at {} on kubernetes master node(s)",
                key.display()
            ),
            format!("kubeconfig generated at {kubeconfig} on kubernetes master node(s)"),
        ]
    } else {
        vec![
            format!(
                "copy {} to {} on kubernetes master node(s)",
                init::CERT_FILE,
                cert.display()
            ),
            format!(
                "copy {} to {} on kubernetes master node(s)",
                init::KEY_FILE,
                key.display()
            ),
            format!(
                "copy {} to {kubeconfig} on kubernetes master node(s)",
                init::INIT_KUBECONFIG_FILE
            ),
        ]
    };
    lines.push(format!(
        "configure your apiserver with `--authentication-token-webhook-config-file={kubeconfig}` to enable authentication with aws-iam-authenticator"
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_use_the_configured_paths() {
        let lines = hints(
            false,
            Path::new("/srv/state"),
            Path::new("/etc/k/webhook.yaml"),
        );
        assert_eq!(
            lines,
            [
                "copy cert.pem to /srv/state/cert.pem on kubernetes master node(s)",
                "copy key.pem to /srv/state/key.pem on kubernetes master node(s)",
                "copy aws-iam-authenticator.kubeconfig to /etc/k/webhook.yaml on kubernetes master node(s)",
                "configure your apiserver with `--authentication-token-webhook-config-file=/etc/k/webhook.yaml` to enable authentication with aws-iam-authenticator",
            ]
        );
        let lines = hints(true, Path::new("/srv/state"), Path::new("/etc/k/w.yaml"));
        assert_eq!(
            lines,
            [
                "certificate generated at /srv/state/cert.pem on kubernetes master node(s)",
                "key generated at /srv/state/key.pem on kubernetes master node(s)",
                "kubeconfig generated at /etc/k/w.yaml on kubernetes master node(s)",
                "configure your apiserver with `--authentication-token-webhook-config-file=/etc/k/w.yaml` to enable authentication with aws-iam-authenticator",
            ]
        );
    }

    #[test]
    fn banner_is_upstreams() {
        assert_eq!(
            version_banner(),
            format!(
                "Authenticator Version: \"{}\", \"{}\"",
                crate::version::INFO.version,
                crate::version::INFO.commit
            )
        );
    }
}
