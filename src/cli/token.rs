//! `aws-iam-authenticator token`: mint a token and print it for kubectl.

use clap::Args;

use super::{CliError, Context, config_error, runtime};
use crate::cache::Storage;
use crate::credentials::{LoadOptions, RoleRequest, SessionName, is_interactive};
use crate::exec_credential::{ExecCredential, ExecInfo};
use crate::mint::{CacheOptions, TokenOptions, get_token};

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
    #[arg(
        short = 'r',
        long = "role",
        env = "DEFAULT_ROLE",
        value_name = "ROLE_ARN"
    )]
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

    /// Duration of the assumed role session (e.g. 900, 15m, 1h; at least 15m for real STS)
    #[arg(long = "role-duration", value_name = "DURATION")]
    role_duration: Option<String>,

    /// Region to use for the STS endpoint
    #[arg(long = "region", value_name = "REGION")]
    region: Option<String>,

    /// AWS profile to use (defaults to AWS_PROFILE, then "default")
    #[arg(long = "profile", value_name = "PROFILE")]
    profile: Option<String>,

    /// Return only the token for use with Bearer token based tools
    #[arg(long = "token-only", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    token_only: Option<bool>,

    /// Cache tokens and assumed-role/MFA session credentials until shortly before they expire
    #[arg(long = "cache", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    cache: Option<bool>,

    /// Where --cache keeps secrets: file (~/.kube/cache/aws-iam-authenticator) or keyring
    #[arg(long = "cache-storage", value_name = "file|keyring")]
    cache_storage: Option<String>,

    /// Reuse a cached token only while it has more than this left (e.g. 60s, 5m)
    #[arg(long = "cache-margin", value_name = "DURATION")]
    cache_margin: Option<String>,

    /// Ignore cached tokens and credentials, and refresh them
    #[arg(long = "force-refresh")]
    force_refresh: bool,
}

use crate::config::parse_duration;

fn resolve(
    ctx: &Context,
    args: TokenArgs,
    interactive: bool,
) -> Result<(TokenOptions, bool), CliError> {
    let config = &ctx.config;
    let cluster_id = ctx
        .cluster_id()?
        .ok_or_else(|| CliError::with_usage("cluster ID not specified", "token"))?;
    let pick = |flag: Option<String>, key: &str| -> Result<Option<String>, CliError> {
        match flag.filter(|s| !s.is_empty()) {
            Some(v) => Ok(Some(v)),
            None => Ok(config
                .string(key)
                .map_err(config_error)?
                .filter(|s| !s.is_empty())),
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
    let cache = if pick_bool(args.cache, "cache")? {
        let storage = match pick(args.cache_storage, "cacheStorage")? {
            Some(s) => s.parse::<Storage>().map_err(CliError::new)?,
            None => Storage::File,
        };
        let margin = match pick(args.cache_margin, "cacheMargin")? {
            Some(m) => parse_duration(&m).map_err(CliError::new)?,
            None => crate::cache::DEFAULT_MARGIN,
        };
        Some(CacheOptions {
            storage,
            margin,
            force_refresh: args.force_refresh,
            dir: None,
        })
    } else {
        None
    };
    let duration = match pick(args.role_duration, "roleDuration")? {
        Some(d) => Some(parse_duration(&d).map_err(CliError::new)?),
        None => None,
    };
    let role = role.map(|role_arn| RoleRequest {
        role_arn,
        external_id,
        duration,
        session_name: match (session_name, forward) {
            (Some(name), _) => SessionName::Named(name),
            (None, true) => SessionName::Forward,
            (None, false) => SessionName::Default,
        },
    });
    let options = TokenOptions {
        cluster_id,
        role,
        load: LoadOptions {
            region: pick(args.region, "region")?,
            profile: args.profile.filter(|p| !p.is_empty()),
            interactive,
        },
        cache,
    };
    Ok((options, pick_bool(args.token_only, "tokenOnly")?))
}

pub(crate) fn run(ctx: &Context, args: TokenArgs) -> Result<(), CliError> {
    let fail = |e: &dyn std::fmt::Display| CliError::new(format!("could not get token: {e}"));
    // Flags are checked before anything else, so usage errors win over environment ones.
    let (mut options, token_only) = resolve(ctx, args, false)?;
    let exec_info = ExecInfo::from_env().map_err(|e| fail(&e))?;
    if let Some(w) = &exec_info.warning {
        tracing::warn!("{w}");
    }
    options.load.interactive = is_interactive(exec_info.interactive);

    let token = runtime()?
        .block_on(get_token(&options))
        .map_err(|e| fail(&e))?;

    if token_only {
        println!("{}", token.token);
    } else {
        println!(
            "{}",
            ExecCredential::new(exec_info.api_version, &token.token, token.expiration).to_json()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }
}
