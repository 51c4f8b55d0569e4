//! `aws-iam-authenticator version`.

use clap::Args;

use super::CliError;
use super::output::DataFormat;
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

    /// Output format
    #[arg(
        short = 'o',
        long = "output",
        default_value = "json",
        value_name = "FORMAT"
    )]
    output: DataFormat,
}

pub(crate) fn run(args: &VersionArgs) -> Result<(), CliError> {
    if args.short {
        println!("{}", INFO.version);
        return Ok(());
    }
    match args.output {
        DataFormat::Json => println!("{}", INFO.to_json()),
        DataFormat::Yaml => print!("{}", INFO.to_yaml()),
    }
    Ok(())
}
