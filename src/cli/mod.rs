//! The command line, flag for flag with upstream's cobra commands.
//!
//! This module only parses and dispatches: [`Cli`] holds clap's view of the arguments,
//! each subcommand module turns it (plus the config file) into plain options and calls
//! into the library. Exit codes and the error printed on stderr are decided in
//! [`run`], nowhere else.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::Config;
use crate::logging::{self, LogFormat};

#[cfg(feature = "server")]
mod add;
mod cache;
mod completion;
mod doctor;
mod help;
#[cfg(feature = "server")]
mod init;
mod kubeconfig;
mod output;
#[cfg(feature = "self-update")]
mod self_update;
#[cfg(feature = "server")]
mod server;
mod token;
mod verify;
mod version;

const EXAMPLES: &str = "\
Examples:
  # Print an ExecCredential for kubectl (what a kubeconfig exec block runs)
  aws-iam-authenticator token -i my-cluster

  # Assume a role first, and print only the token
  aws-iam-authenticator token -i my-cluster -r arn:aws:iam::111122223333:role/k8s-admin --token-only

  # Check a token the way the server does
  aws-iam-authenticator verify -i my-cluster -t \"$TOKEN\" -o json

  # Shell completions
  aws-iam-authenticator completion zsh > \"${fpath[1]}/_aws-iam-authenticator\"";

/// A tool to authenticate to Kubernetes using AWS IAM credentials.
#[derive(Debug, Parser)]
#[command(
    name = "aws-iam-authenticator",
    version,
    about = "A tool to authenticate to Kubernetes using AWS IAM credentials",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The environment variable `-i/--cluster-id` reads (upstream's).
pub(crate) const CLUSTER_ID_ENV: &str = "KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID";

/// Flags every subcommand accepts (cobra's persistent flags), listed under their own
/// heading so each subcommand's own flags stand out.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Load configuration from FILE (YAML or JSON; upstream's keys)
    #[arg(short = 'c', long = "config", global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Log format (another value logs a warning and uses text, as upstream does)
    #[arg(
        short = 'l',
        long = "log-format",
        global = true,
        default_value = "text",
        value_name = "FORMAT",
        value_parser = output::LogFormatParser
    )]
    pub(crate) log_format: String,

    /// Log level: panic, fatal, error, warn, info, debug or trace
    #[arg(
        short = 'v',
        long = "log-verbosity",
        global = true,
        env = "AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY",
        value_name = "LEVEL"
    )]
    pub(crate) log_verbosity: Option<String>,

    /// Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation
    #[arg(
        short = 'i',
        long = "cluster-id",
        global = true,
        env = CLUSTER_ID_ENV,
        value_name = "ID"
    )]
    pub(crate) cluster_id: Option<String>,

    /// Feature gates, as KEY=true|false pairs separated by commas
    #[arg(long = "feature-gates", global = true, value_name = "GATES")]
    pub(crate) feature_gates: Option<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Authenticate using AWS IAM and get a token for Kubernetes
    Token(token::TokenArgs),
    /// List or clear cached tokens and session credentials (see token --cache)
    Cache(cache::CacheArgs),
    /// Verify a token for debugging purposes
    Verify(verify::VerifyArgs),
    /// Check credentials, region, STS endpoint, proxy, CA, STS, clock, cache and kubeconfig
    Doctor(doctor::DoctorArgs),
    /// Version will output the current build information
    Version(version::VersionArgs),
    /// Run a webhook validation server suitable that validates tokens using AWS IAM
    #[cfg(feature = "server")]
    Server(server::ServerArgs),
    /// Pre-generate certificate, private key, and kubeconfig files for the server
    #[cfg(feature = "server")]
    Init(init::InitArgs),
    /// Add an IAM user or role mapping to the kube-system/aws-auth ConfigMap
    #[cfg(feature = "server")]
    Add(add::AddArgs),
    /// Replace this binary with the latest release (tarball installs only)
    #[cfg(feature = "self-update")]
    SelfUpdate(self_update::SelfUpdateArgs),
    /// Add an EKS cluster to a kubeconfig, or migrate `aws eks get-token` users to this binary
    Kubeconfig(kubeconfig::KubeconfigArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completion(completion::CompletionArgs),
}

/// A failure to report: `Error: ` and one line on stderr (plus the subcommand's usage
/// for a missing flag), exit 1.
///
/// The line is the top-level message, then `: ` and the cause when there is one; the
/// cause is kept as the error's [`source`](std::error::Error::source), and its own
/// `Display` is printed whole (the library's errors already name what lies below them).
#[derive(Debug)]
pub(crate) struct CliError {
    /// What failed; empty when the cause says it all.
    message: String,
    cause: Option<Box<dyn std::error::Error>>,
    usage: Option<String>,
    /// Printed without the `Error: ` prefix, where upstream prints its own line
    /// (`verify`, `init`).
    bare: bool,
}

impl CliError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            cause: None,
            usage: None,
            bare: false,
        }
    }

    /// The same error, printed as it is, without `Error: `.
    pub(crate) fn bare(mut self) -> Self {
        self.bare = true;
        self
    }

    /// The line printed on stderr.
    pub(crate) fn line(&self) -> String {
        if self.bare {
            self.to_string()
        } else {
            format!("Error: {self}")
        }
    }

    /// `message: cause`.
    pub(crate) fn with_cause(
        message: impl Into<String>,
        cause: impl std::error::Error + 'static,
    ) -> Self {
        CliError {
            message: message.into(),
            cause: Some(Box::new(cause)),
            usage: None,
            bare: false,
        }
    }

    /// An error whose own text is the whole message.
    pub(crate) fn from_error(cause: impl std::error::Error + 'static) -> Self {
        Self::with_cause(String::new(), cause)
    }

    /// An error that also prints the subcommand's usage, like cobra does for missing flags.
    pub(crate) fn with_usage(message: impl Into<String>, subcommand: &str) -> Self {
        let mut cmd = Cli::command();
        cmd.build();
        let usage = cmd
            .find_subcommand_mut(subcommand)
            .map(|c| c.render_usage().to_string());
        CliError {
            message: message.into(),
            cause: None,
            usage,
            bare: false,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            None => f.write_str(&self.message),
            Some(cause) if self.message.is_empty() => cause.fmt(f),
            Some(cause) => write!(f, "{}: {cause}", self.message),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref()
    }
}

#[cfg(feature = "server")]
impl From<crate::server::ServerError> for CliError {
    fn from(e: crate::server::ServerError) -> Self {
        CliError::from_error(e)
    }
}

/// State shared by subcommands after global flags are applied.
pub(crate) struct Context {
    pub(crate) config: Config,
    pub(crate) cluster_id: Option<String>,
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) feature_gates: Option<String>,
}

impl Context {
    /// `-i` (or its environment variable), else the config file's `clusterID`.
    pub(crate) fn cluster_id(&self) -> Result<Option<String>, CliError> {
        if let Some(id) = self.cluster_id.clone().filter(|s| !s.is_empty()) {
            return Ok(Some(id));
        }
        Ok(self
            .config
            .string("clusterID")
            .map_err(config_error)?
            .filter(|s| !s.is_empty()))
    }
}

#[cfg(feature = "server")]
impl Context {
    /// `--feature-gates`, parsed.
    pub(crate) fn feature_gates(&self) -> Result<crate::server::FeatureGates, CliError> {
        crate::server::FeatureGates::parse(self.feature_gates.as_deref())
            .map_err(CliError::from_error)
    }
}

pub(crate) fn config_error(e: crate::config::ConfigError) -> CliError {
    CliError::from_error(e)
}

/// The clap command, for completions and man pages: what [`run`] parses with.
pub fn command() -> clap::Command {
    help::verbatim_examples(Cli::command())
}

/// Parses `args`, runs the subcommand and returns the process exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let parsed = command()
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            help::print(&e);
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::FAILURE,
            };
        }
    };
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", err.line());
            if let Some(usage) = err.usage {
                eprintln!("{usage}");
            }
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> Result<(), CliError> {
    let Cli { global, command } = cli;

    // Completions and version never depend on configuration, so they cannot fail on a
    // bad config file (ripgrep's "special modes").
    match &command {
        Command::Completion(args) => return completion::run(args),
        Command::Version(args) => return version::run(args),
        _ => {}
    }

    let config = match &global.config {
        Some(path) => Config::load(path).map_err(config_error)?,
        None => Config::default(),
    };

    let verbosity = match global.log_verbosity.clone() {
        Some(v) => v,
        None => config
            .string("log-verbosity")
            .map_err(config_error)?
            .unwrap_or_else(|| "info".into()),
    };
    let level = logging::parse_level(&verbosity).map_err(|e| CliError::new(e.to_string()))?;
    let (format, format_warning) = LogFormat::parse(&global.log_format);
    logging::init(level, format);
    if let Some(w) = format_warning {
        tracing::warn!("{w}");
    }

    let ctx = Context {
        config,
        cluster_id: global.cluster_id.clone(),
        feature_gates: global.feature_gates.clone(),
    };
    match command {
        Command::Token(args) => token::run(&ctx, args),
        Command::Verify(args) => verify::run(&ctx, args),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Cache(args) => cache::run(&ctx, args),
        Command::Kubeconfig(args) => kubeconfig::run(args),
        #[cfg(feature = "server")]
        Command::Server(args) => server::run(&ctx, args),
        #[cfg(feature = "server")]
        Command::Init(args) => init::run(&ctx, args),
        #[cfg(feature = "server")]
        Command::Add(args) => add::run(args),
        #[cfg(feature = "self-update")]
        Command::SelfUpdate(args) => self_update::run(&ctx, args),
        Command::Version(_) | Command::Completion(_) => Ok(()),
    }
}

/// A current-thread runtime: `token` and `verify` make a handful of sequential calls,
/// and a single thread starts fastest.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::with_cause("cannot start the async runtime", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn help_shows_examples() {
        let help = command().render_long_help().to_string();
        assert!(help.contains("Examples:"));
        assert!(help.contains("token -i my-cluster"));
    }

    #[test]
    fn errors_render_message_then_cause_once() {
        use std::error::Error as _;
        let io = || std::io::Error::other("boom");
        assert_eq!(CliError::new("plain").to_string(), "plain");
        let err = CliError::with_cause("could not initialize", io());
        assert_eq!(err.to_string(), "could not initialize: boom");
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("boom")
        );
        assert_eq!(CliError::from_error(io()).to_string(), "boom");
    }
}
