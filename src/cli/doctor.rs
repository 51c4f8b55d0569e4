//! `aws-iam-authenticator doctor`: check what `token` would do (`crate::doctor`).

use clap::{Args, ValueEnum};

use super::{CliError, Context, runtime};
use crate::credentials::LoadOptions;
use crate::doctor::{DoctorOptions, run as run_checks};

const EXAMPLES: &str = "\
Examples:
  # Check credentials, region, STS endpoint, proxy, CA, live STS, clock, cache and kubeconfig
  aws-iam-authenticator doctor -i my-cluster

  # The same for a role and profile, as JSON (schema in docs/troubleshooting.md)
  aws-iam-authenticator doctor -i my-cluster --profile dev -r arn:aws:iam::111122223333:role/k8s -o json

  # Without any network call
  aws-iam-authenticator doctor --offline";

/// How the report is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum DoctorOutput {
    /// One line per check, marked ✓, ⚠ or ✗.
    #[default]
    Text,
    /// The JSON report.
    Json,
}

/// Flags of `doctor`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct DoctorArgs {
    /// Assume this IAM role first, as `token -r` would
    #[arg(short = 'r', long = "role", value_name = "ROLE_ARN")]
    role: Option<String>,

    /// AWS profile to use (defaults to AWS_PROFILE, then "default")
    #[arg(long = "profile", value_name = "PROFILE")]
    profile: Option<String>,

    /// Region to use for the STS endpoint
    #[arg(long = "region", value_name = "REGION")]
    region: Option<String>,

    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DoctorOutput::Text)]
    output: DoctorOutput,

    /// Make no network call: name the credential source without fetching it, skip STS
    #[arg(long = "offline")]
    offline: bool,
}

pub(crate) fn run(ctx: &Context, args: DoctorArgs) -> Result<(), CliError> {
    let options = DoctorOptions {
        cluster_id: ctx.cluster_id()?,
        role: args.role.filter(|r| !r.is_empty()),
        load: LoadOptions {
            region: args.region.filter(|r| !r.is_empty()),
            profile: args.profile.filter(|p| !p.is_empty()),
            interactive: false,
        },
        offline: args.offline,
        cache_dir: None,
    };
    let report = runtime()?.block_on(run_checks(&options));
    match args.output {
        DoctorOutput::Text => println!("{}", report.text()),
        DoctorOutput::Json => println!("{}", report.json()),
    }
    match report.failures() {
        0 => Ok(()),
        n => Err(CliError::new(format!(
            "doctor: {n} check{} failed",
            if n == 1 { "" } else { "s" }
        ))),
    }
}
