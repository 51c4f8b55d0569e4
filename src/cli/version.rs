//! `aws-iam-authenticator version`.

use clap::Args;

use super::CliError;
use crate::version::INFO;

/// Flags of `version`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  aws-iam-authenticator version\n  aws-iam-authenticator version -o yaml\n  aws-iam-authenticator version --short"
)]
pub(crate) struct VersionArgs {
    /// Print just the version number
    #[arg(short = 's', long = "short")]
    short: bool,

    /// Output format: json or yaml
    #[arg(
        short = 'o',
        long = "output",
        default_value = "json",
        value_name = "FORMAT"
    )]
    output: String,
}

pub(crate) fn run(args: &VersionArgs) -> Result<(), CliError> {
    if args.short {
        println!("{}", INFO.version);
        return Ok(());
    }
    match args.output.as_str() {
        "json" => println!("{}", INFO.to_json()),
        "yaml" => print!("{}", INFO.to_yaml()),
        other => {
            return Err(CliError::new(format!(
                "unknown version output {other:?}; use -o json or -o yaml"
            )));
        }
    }
    Ok(())
}
