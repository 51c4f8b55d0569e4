//! `aws-iam-authenticator verify`: check a token the way the server does.

use clap::Args;
use time::OffsetDateTime;

use super::output::{Format, yaml};
use super::{CliError, Context, config_error, runtime};
use crate::partition::Partition;
use crate::token::HostPolicy;
use crate::token::{StsClient, Verifier};

const EXAMPLES: &str = "\
Examples:
  # Human-readable identity
  aws-iam-authenticator verify -i my-cluster -t \"$TOKEN\"

  # JSON, for scripts
  aws-iam-authenticator verify -i my-cluster -t \"$TOKEN\" -o json";

/// Flags of `verify`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct VerifyArgs {
    /// Token to verify
    #[arg(short = 't', long = "token", value_name = "TOKEN")]
    token: Option<String>,

    /// Output format
    #[arg(short = 'o', long = "output", value_name = "FORMAT")]
    output: Option<Format>,

    /// The AWS partition. Must be one of: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc
    #[arg(long = "partition", value_name = "PARTITION")]
    partition: Option<String>,
}

/// `could not verify token: <cause>`, upstream's line as it prints it (no `Error: `).
fn fail(cause: impl std::error::Error + 'static) -> CliError {
    CliError::with_cause("could not verify token", cause).bare()
}

pub(crate) fn run(ctx: &Context, args: VerifyArgs) -> Result<(), CliError> {
    let config = &ctx.config;
    let token = match args.token.filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => config
            .string("token")
            .map_err(config_error)?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| CliError::with_usage("error: token not specified", "verify").bare())?,
    };
    let cluster_id = ctx
        .cluster_id()?
        .ok_or_else(|| CliError::with_usage("error: cluster ID not specified", "verify").bare())?;
    let output = match args.output {
        Some(o) => o,
        None => config
            .string("output")
            .map_err(config_error)?
            .map(|o| Format::from_config(&o))
            .unwrap_or_default(),
    };
    let partition_id = match args.partition {
        Some(p) => p,
        None => config
            .string("partition")
            .map_err(config_error)?
            .unwrap_or_else(|| "aws".into()),
    };
    let partition: Partition = partition_id.parse().map_err(CliError::from_error)?;

    let rt = runtime()?;
    let identity = rt.block_on(async {
        // Upstream uses the instance's region for its fallback host rule; off EC2 that is
        // simply absent.
        let server_region = match crate::aws_http::tls_context() {
            Ok(tls) => crate::credentials::imds_region(&tls).await,
            Err(_) => None,
        };
        let verifier = Verifier::new(HostPolicy::new(partition, server_region));
        let request = verifier
            .check(&token, OffsetDateTime::now_utc())
            .map_err(fail)?;
        let sts = StsClient::from_env().map_err(fail)?;
        sts.get_caller_identity(&request, &cluster_id)
            .await
            .map_err(fail)
    })?;

    if output == Format::Yaml {
        print!("{}", yaml(&identity)?);
    } else if output == Format::Json {
        let mut buf = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
        serde::Serialize::serialize(&identity, &mut ser)
            .map_err(|e| CliError::with_cause("could not encode the identity", e))?;
        println!("{}", String::from_utf8_lossy(&buf));
    } else {
        println!(
            "&{{ARN:{} CanonicalARN:{} AccountID:{} UserID:{} SessionName:{} AccessKeyID:{} STSEndpoint:{}}}",
            identity.arn,
            identity.canonical_arn,
            identity.account_id,
            identity.user_id,
            identity.session_name,
            identity.access_key_id,
            identity.sts_endpoint
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upstream prints these lines itself, with no `Error: ` before them.
    #[test]
    fn failures_print_upstreams_line() {
        let err = fail(std::io::Error::other("token is too large"));
        assert_eq!(err.line(), "could not verify token: token is too large");
        assert_eq!(
            CliError::new("something").line(),
            "Error: something",
            "other commands keep cobra's prefix"
        );
    }
}
