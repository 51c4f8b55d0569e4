//! `aws-iam-authenticator token`: mint a token and print it for kubectl.

use clap::Args;

use super::output::StorageArg;
use super::{CLUSTER_ID_ENV, CliError, Context, config_error, runtime};
use crate::cache::Storage;
use crate::credentials::{CredentialsError, LoadOptions, RoleRequest, SessionName, is_interactive};
use crate::exec_credential::{CLUSTER_EXTENSION, ExecClusterConfig, ExecCredential, ExecInfo};
use crate::mint::{CacheOptions, ClientError, TokenOptions, get_token};

const EXAMPLES: &str = "\
Examples:
  # In a kubeconfig exec block (client.authentication.k8s.io/v1beta1 or v1):
  #   command: aws-iam-authenticator
  #   args: [token, -i, my-cluster]
  aws-iam-authenticator token -i my-cluster

  # One exec block for many clusters: with provideClusterInfo: true in the exec block,
  # each cluster's extension client.authentication.k8s.io/exec gives its clusterID
  aws-iam-authenticator token

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

    /// Where --cache keeps secrets (files under ~/.kube/cache/aws-iam-authenticator by default)
    #[arg(long = "cache-storage", value_name = "STORAGE")]
    cache_storage: Option<StorageArg>,

    /// Reuse a cached token only while it has more than this left (e.g. 60s, 5m)
    #[arg(long = "cache-margin", value_name = "DURATION")]
    cache_margin: Option<String>,

    /// Ignore cached tokens and credentials, and refresh them
    #[arg(long = "force-refresh")]
    force_refresh: bool,
}

use crate::config::parse_duration;

/// The one line printed when no source gives a cluster ID: every way to give one.
pub(crate) const NO_CLUSTER_ID: &str = "cluster ID not specified: pass -i/--cluster-id \
(or set KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID), set clusterID in the config file (-c), \
or give the kubeconfig cluster the extension client.authentication.k8s.io/exec with a clusterID \
and set provideClusterInfo: true in the user's exec block";

/// Where a setting came from, so an error can name what to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// The flag's environment variable.
    Env(&'static str),
    /// A key of the kubeconfig cluster's exec extension.
    Extension(&'static str),
    /// A key of the config file.
    File(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag(name) | Source::Env(name) => f.write_str(name),
            Source::Extension(key) => write!(
                f,
                "{key} in the kubeconfig cluster extension {CLUSTER_EXTENSION}"
            ),
            Source::File(key) => write!(f, "{key} in the config file"),
        }
    }
}

/// A setting and where it came from.
type Sourced = Option<(String, Source)>;

/// Looks a setting up in precedence order.
///
/// Flags (and their environment variables) win, then the kubeconfig cluster's
/// `client.authentication.k8s.io/exec` extension (kubectl passes it with
/// `provideClusterInfo: true`), then the config file. The extension is more specific
/// than the config file: one `-c` file is shared by every cluster that uses the same
/// kubeconfig user, while the extension belongs to one cluster.
struct Sources<'a> {
    config: &'a crate::config::Config,
    cluster: &'a ExecClusterConfig,
}

impl Sources<'_> {
    /// `flag`'s value, then the config file's `key`.
    fn pick(
        &self,
        flag: Option<String>,
        name: &'static str,
        key: &'static str,
    ) -> Result<Sourced, CliError> {
        if let Some(v) = flag.filter(|s| !s.is_empty()) {
            return Ok(Some((v, Source::Flag(name))));
        }
        Ok(self
            .config
            .string(key)
            .map_err(config_error)?
            .filter(|s| !s.is_empty())
            .map(|v| (v, Source::File(key))))
    }

    /// Like [`Sources::pick`], with the cluster extension between flag and file, and the
    /// flag's environment variable `env` named when the value is its.
    fn pick_cluster(
        &self,
        flag: Option<String>,
        name: &'static str,
        env: Option<&'static str>,
        key: &'static str,
    ) -> Result<Sourced, CliError> {
        if let Some(v) = flag.filter(|s| !s.is_empty()) {
            // clap merges a flag and its variable; the variable is named when the value is
            // its own (a flag given with the same value names the variable: same fix).
            let source = match env {
                Some(var) if std::env::var(var).is_ok_and(|e| e == v) => Source::Env(var),
                _ => Source::Flag(name),
            };
            return Ok(Some((v, source)));
        }
        if let Some(v) = self.cluster.string(key).map_err(CliError::from_error)? {
            return Ok(Some((v, Source::Extension(key))));
        }
        self.pick(None, name, key)
    }

    fn pick_bool(&self, flag: Option<bool>, key: &str) -> Result<bool, CliError> {
        match flag {
            Some(v) => Ok(v),
            None => Ok(self
                .config
                .bool(key)
                .map_err(config_error)?
                .unwrap_or(false)),
        }
    }
}

/// A duration setting, its error naming where it came from.
fn duration(value: Sourced) -> Result<Option<std::time::Duration>, CliError> {
    value
        .map(|(text, source)| {
            parse_duration(&text).map_err(|e| CliError::new(format!("{source}: {e}")))
        })
        .transpose()
}

fn resolve(
    ctx: &Context,
    args: TokenArgs,
    cluster: &ExecClusterConfig,
    interactive: bool,
) -> Result<(TokenOptions, bool), CliError> {
    let sources = Sources {
        config: &ctx.config,
        cluster,
    };
    let value = |v: Sourced| v.map(|(v, _)| v);
    let (cluster_id, _) = sources
        .pick_cluster(
            ctx.cluster_id.clone(),
            "-i/--cluster-id",
            Some(CLUSTER_ID_ENV),
            "clusterID",
        )?
        .ok_or_else(|| CliError::with_usage(NO_CLUSTER_ID, "token"))?;
    let role = sources.pick_cluster(args.role, "--role", Some("DEFAULT_ROLE"), "role")?;
    if let Some((arn, source)) = &role
        && !crate::arn::is_role_arn(arn)
    {
        return Err(CliError::new(format!(
            "{source}: {arn:?} is not an IAM role ARN; give one as \
             arn:<partition>:iam::<12-digit account ID>:role/<name>, \
             e.g. arn:aws:iam::111122223333:role/k8s-admin"
        )));
    }
    let external_id =
        value(sources.pick_cluster(args.external_id, "--external-id", None, "externalID")?);
    let session_name =
        value(sources.pick_cluster(args.session_name, "--session-name", None, "sessionName")?);
    let forward = sources.pick_bool(args.forward_session_name, "forwardSessionName")?;
    if forward && session_name.is_some() {
        return Err(CliError::new(
            "cannot specify both --forward-session-name and --session-name parameter",
        ));
    }
    let cache = if sources.pick_bool(args.cache, "cache")? {
        let storage = match args.cache_storage {
            Some(storage) => storage.into(),
            None => match sources.pick(None, "--cache-storage", "cacheStorage")? {
                Some((s, source)) => s
                    .parse::<Storage>()
                    .map_err(|e| CliError::new(format!("{source}: {e}")))?,
                None => Storage::File,
            },
        };
        let margin = duration(sources.pick(args.cache_margin, "--cache-margin", "cacheMargin")?)?
            .unwrap_or(crate::cache::DEFAULT_MARGIN);
        Some(CacheOptions {
            storage,
            margin,
            force_refresh: args.force_refresh,
            dir: None,
        })
    } else {
        None
    };
    let duration =
        duration(sources.pick(args.role_duration, "--role-duration", "roleDuration")?)?;
    let role = role.map(|(role_arn, _)| RoleRequest {
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
            region: value(sources.pick_cluster(args.region, "--region", None, "region")?),
            profile: args.profile.filter(|p| !p.is_empty()),
            interactive,
        },
        cache,
    };
    Ok((options, sources.pick_bool(args.token_only, "tokenOnly")?))
}

/// `could not get token: …`, naming `--profile` when the unknown profile came from it (the
/// library's message names `AWS_PROFILE`, the other way to choose one).
fn token_error(error: &ClientError, options: &TokenOptions) -> CliError {
    if let ClientError::Credentials(CredentialsError::UnknownProfile(name)) = error
        && options.load.profile.as_deref() == Some(name.as_str())
    {
        return CliError::new(format!(
            "could not get token: --profile: AWS profile {name:?} is not defined in \
             ~/.aws/config or ~/.aws/credentials; pass --profile one of the names \
             `aws configure list-profiles` prints"
        ));
    }
    CliError::new(format!("could not get token: {error}"))
}

pub(crate) fn run(ctx: &Context, args: TokenArgs) -> Result<(), CliError> {
    let fail = |e: &dyn std::fmt::Display| CliError::new(format!("could not get token: {e}"));
    // Flags are checked before anything else, so usage errors win over environment ones;
    // the cluster's exec extension is one of the sources they are checked against.
    let cluster = ExecClusterConfig::from_env();
    let (mut options, token_only) = resolve(ctx, args, &cluster, false)?;
    let exec_info = ExecInfo::from_env().map_err(|e| fail(&e))?;
    if let Some(w) = &exec_info.warning {
        tracing::warn!("{w}");
    }
    options.load.interactive = is_interactive(exec_info.interactive);

    let token = runtime()?
        .block_on(get_token(&options))
        .map_err(|e| token_error(&e, &options))?;

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
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::config::Config;
    use clap::Parser;
    use std::time::Duration;

    fn context(config: &str, argv: &[&str]) -> (Context, TokenArgs) {
        let cli = Cli::try_parse_from(
            ["aws-iam-authenticator", "token"]
                .iter()
                .chain(argv)
                .copied(),
        )
        .unwrap();
        let Command::Token(args) = cli.command else {
            unreachable!()
        };
        let ctx = Context {
            config: Config::parse(std::path::Path::new("c.yaml"), config).unwrap(),
            cluster_id: cli.global.cluster_id,
            feature_gates: None,
        };
        (ctx, args)
    }

    fn cluster(config: &str) -> ExecClusterConfig {
        ExecClusterConfig::parse(Some(&format!(
            r#"{{"apiVersion":"client.authentication.k8s.io/v1","spec":{{"cluster":{{"server":"https://x","config":{config}}}}}}}"#
        )))
    }

    fn resolved(config: &str, exec: &str, argv: &[&str]) -> Result<TokenOptions, CliError> {
        let (ctx, args) = context(config, argv);
        resolve(&ctx, args, &cluster(exec), false).map(|(o, _)| o)
    }

    #[test]
    fn flags_win_over_the_cluster_extension_which_wins_over_the_config_file() {
        let file = "clusterID: from-file\nregion: file-region\nrole: arn:aws:iam::111122223333:role/file\nsessionName: file-session\n";
        let exec = r#"{"clusterID":"from-exec","region":"exec-region","role":"arn:aws:iam::111122223333:role/exec","externalID":"exec-ext","sessionName":"exec-session"}"#;

        let o = resolved(file, exec, &[]).unwrap();
        assert_eq!(o.cluster_id, "from-exec");
        assert_eq!(o.load.region.as_deref(), Some("exec-region"));
        let role = o.role.unwrap();
        assert_eq!(role.role_arn, "arn:aws:iam::111122223333:role/exec");
        assert_eq!(role.external_id.as_deref(), Some("exec-ext"));
        assert!(matches!(role.session_name, SessionName::Named(n) if n == "exec-session"));

        let o = resolved(
            file,
            exec,
            &[
                "-i",
                "from-flag",
                "--region",
                "flag-region",
                "-r",
                "arn:aws:iam::111122223333:role/flag",
                "-s",
                "flag-session",
            ],
        )
        .unwrap();
        assert_eq!(o.cluster_id, "from-flag");
        assert_eq!(o.load.region.as_deref(), Some("flag-region"));
        let role = o.role.unwrap();
        assert_eq!(role.role_arn, "arn:aws:iam::111122223333:role/flag");
        assert!(matches!(role.session_name, SessionName::Named(n) if n == "flag-session"));
        // Not given by flag: still the extension's.
        assert_eq!(role.external_id.as_deref(), Some("exec-ext"));

        // Keys the extension lacks come from the file.
        let o = resolved(file, r#"{"clusterID":"only-id"}"#, &[]).unwrap();
        assert_eq!(o.cluster_id, "only-id");
        assert_eq!(o.load.region.as_deref(), Some("file-region"));
        assert!(
            matches!(o.role.unwrap().session_name, SessionName::Named(n) if n == "file-session")
        );

        // No extension: the file.
        let o = resolved(file, "null", &[]).unwrap();
        assert_eq!(o.cluster_id, "from-file");
    }

    #[test]
    fn without_any_source_the_error_names_all_three() {
        let err = resolved("", "{}", &[]).unwrap_err();
        let line = err.line();
        assert!(
            line.starts_with("Error: cluster ID not specified"),
            "{line}"
        );
        for way in [
            "-i/--cluster-id",
            "KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID",
            "clusterID in the config file",
            "client.authentication.k8s.io/exec",
            "provideClusterInfo: true",
        ] {
            assert!(line.contains(way), "{way}: {line}");
        }
        assert_eq!(line.lines().count(), 1);
    }

    #[test]
    fn a_non_string_in_the_extension_is_named() {
        let err = resolved("", r#"{"clusterID":42}"#, &[]).unwrap_err();
        assert!(err.line().contains("\"clusterID\""), "{}", err.line());
    }

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
