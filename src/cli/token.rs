//! `aws-iam-authenticator token`: mint a token and print it for kubectl.

use std::time::SystemTime;

use clap::Args;

use super::{CliError, Context, config_error, runtime};
use crate::credentials::{AwsContext, LoadOptions, RoleRequest, SessionName, is_interactive};
use crate::exec_credential::{ExecCredential, ExecInfo};
use crate::partition::sts_host;
use crate::token::{TokenRequest, generate};

const EXAMPLES: &str = "\
Examples:
  # In a kubeconfig exec block (client.authentication.k8s.io/v1beta1 or v1):
  #   command: aws-iam-authenticator
  #   args: [token, -i, my-cluster]
  aws-iam-authenticator token -i my-cluster

  # Assume a role with an external ID and a fixed session name
  aws-iam-authenticator token -i my-cluster -r arn:aws:iam::111122223333:role/dev -e my-external-id -s alice

  # Name the role session after your own (e.g. SSO) session
  aws-iam-authenticator token -i my-cluster -r arn:aws:iam::111122223333:role/dev --forward-session-name";

/// Flags of `token`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct TokenArgs {
    /// Assume an IAM Role ARN before signing this token
    #[arg(short = 'r', long = "role", env = "DEFAULT_ROLE", value_name = "ROLE_ARN")]
    role: Option<String>,

    /// External ID to pass when assuming the IAM Role
    #[arg(short = 'e', long = "external-id", value_name = "ID")]
    external_id: Option<String>,

    /// Session name to pass when assuming the IAM Role
    #[arg(short = 's', long = "session-name", value_name = "NAME")]
    session_name: Option<String>,

    /// Enable mapping a federated sessions caller-specified-role-name attribute onto newly assumed sessions. NOTE: Only applicable when a new role is requested via --role
    #[arg(long = "forward-session-name", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    forward_session_name: Option<bool>,

    /// Region to use for the STS endpoint
    #[arg(long = "region", value_name = "REGION")]
    region: Option<String>,

    /// AWS profile to use (defaults to AWS_PROFILE, then "default")
    #[arg(long = "profile", value_name = "PROFILE")]
    profile: Option<String>,

    /// Return only the token for use with Bearer token based tools
    #[arg(long = "token-only", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    token_only: Option<bool>,

    /// Cache the credential on disk until it expires
    #[arg(long = "cache", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    cache: Option<bool>,
}

/// Plain options for one `token` run, after flags, environment and config merge.
#[derive(Debug)]
struct TokenOptions {
    cluster_id: String,
    role: Option<RoleRequest>,
    region: Option<String>,
    profile: Option<String>,
    token_only: bool,
}

fn resolve(ctx: &Context, args: TokenArgs) -> Result<TokenOptions, CliError> {
    let config = &ctx.config;
    let cluster_id = ctx
        .cluster_id()?
        .ok_or_else(|| CliError::with_usage("cluster ID not specified", "token"))?;
    let pick = |flag: Option<String>, key: &str| -> Result<Option<String>, CliError> {
        match flag.filter(|s| !s.is_empty()) {
            Some(v) => Ok(Some(v)),
            None => Ok(config.string(key).map_err(config_error)?.filter(|s| !s.is_empty())),
        }
    };
    let pick_bool = |flag: Option<bool>, key: &str| -> Result<bool, CliError> {
        match flag {
            Some(v) => Ok(v),
            None => Ok(config.bool(key).map_err(config_error)?.unwrap_or(false)),
        }
    };
    let role = pick(args.role, "role")?;
    let external_id = pick(args.external_id, "externalID")?;
    let session_name = pick(args.session_name, "sessionName")?;
    let forward = pick_bool(args.forward_session_name, "forwardSessionName")?;
    if forward && session_name.is_some() {
        return Err(CliError::new(
            "cannot specify both --forward-session-name and --session-name parameter",
        ));
    }
    let _cache = pick_bool(args.cache, "cache")?;
    let role = role.map(|role_arn| RoleRequest {
        role_arn,
        external_id,
        session_name: match (session_name, forward) {
            (Some(name), _) => SessionName::Named(name),
            (None, true) => SessionName::Forward,
            (None, false) => SessionName::Default,
        },
    });
    Ok(TokenOptions {
        cluster_id,
        role,
        region: pick(args.region, "region")?,
        profile: args.profile.filter(|p| !p.is_empty()),
        token_only: pick_bool(args.token_only, "tokenOnly")?,
    })
}

pub(crate) fn run(ctx: &Context, args: TokenArgs) -> Result<(), CliError> {
    let options = resolve(ctx, args)?;
    let fail = |e: &dyn std::fmt::Display| CliError::new(format!("could not get token: {e}"));
    let exec_info = ExecInfo::from_env().map_err(|e| fail(&e))?;
    if let Some(w) = &exec_info.warning {
        tracing::warn!("{w}");
    }
    let interactive = is_interactive(exec_info.interactive);

    let rt = runtime()?;
    let token = rt.block_on(async {
        let aws = AwsContext::load(&LoadOptions {
            region: options.region.clone(),
            profile: options.profile.clone(),
            interactive,
        })
        .await
        .map_err(|e| fail(&e))?;
        let base = aws.base_credentials().await.map_err(|e| fail(&e))?;
        let credentials = match &options.role {
            Some(role) => aws.assume_role(&base, role).await.map_err(|e| fail(&e))?,
            None => base,
        };
        let host = sts_host(aws.region(), aws.flavour()).map_err(|e| fail(&e))?;
        generate(&TokenRequest {
            cluster_id: &options.cluster_id,
            host: &host,
            region: aws.region(),
            credentials: &credentials,
            signing_time: SystemTime::now(),
        })
        .map_err(|e| fail(&e))
    })?;

    if options.token_only {
        println!("{}", token.token);
    } else {
        println!(
            "{}",
            ExecCredential::new(exec_info.api_version, &token.token, token.expiration).to_json()
        );
    }
    Ok(())
}
