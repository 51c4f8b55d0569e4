//! `aws-iam-authenticator server` (cargo feature `server`): flags to [`ServerOptions`],
//! then [`crate::server::run`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{CliError, Context};
use crate::server::ServerOptions;
use crate::server::config::ServerFlags;
use crate::server::serve::Limits;

/// Worker threads of the server's runtime, at most (`TOKIO_WORKER_THREADS` overrides).
/// Each thread costs a stack and a malloc arena; two workers already review over
/// 8,000 tokens a second (docs/performance.md), so a 64-core control-plane node does
/// not need 64.
const MAX_WORKER_THREADS: usize = 4;

/// Threads for blocking work (file reads, name resolution); tokio's default is 512.
const MAX_BLOCKING_THREADS: usize = 16;

/// Flags of `server`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  aws-iam-authenticator server -i my-cluster -c /etc/aws-iam-authenticator/config.yaml\n  aws-iam-authenticator server -i my-cluster --state-dir ./state --generate-kubeconfig ./webhook.kubeconfig --port 21362"
)]
pub(crate) struct ServerArgs {
    /// The AWS partition. Must be one of: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc
    #[arg(long = "partition", value_name = "PARTITION")]
    partition: Option<String>,
    /// Output certificate and key file for the webhook kubeconfig
    #[arg(long = "generate-kubeconfig", value_name = "PATH")]
    generate_kubeconfig: Option<PathBuf>,
    /// Set to true if a webhook kubeconfig was pre-generated before running this server
    #[arg(long = "kubeconfig-pregenerated", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    kubeconfig_pregenerated: Option<bool>,
    /// State directory for generated certificate and private key
    #[arg(long = "state-dir", value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// IP Address to bind the server to listen to
    #[arg(long = "address", value_name = "IP")]
    address: Option<String>,
    /// Port to bind the server to listen to
    #[arg(long = "port", value_name = "PORT")]
    port: Option<u16>,
    /// Port of the plain-HTTP health endpoint, on all interfaces as upstream (0 disables)
    #[arg(long = "health-port", value_name = "PORT")]
    health_port: Option<u16>,
    /// Address of the health listener (/healthz, /readyz) [default: every IPv4 and IPv6 address]
    #[arg(long = "health-address", value_name = "IP")]
    health_address: Option<String>,
    /// Ordered list of backends to get mappings from (MountedFile, EKSConfigMap, CRD, DynamicFile)
    #[arg(long = "backend-mode", value_delimiter = ',', value_name = "MODES")]
    backend_mode: Option<Vec<String>>,
    /// kubeconfig file path for using a local kubeconfig to configure the client to talk to the API server
    #[arg(long = "kubeconfig", value_name = "PATH")]
    kubeconfig: Option<String>,
    /// master is the URL to the api server
    #[arg(long = "master", value_name = "URL")]
    master: Option<String>,
    /// AWS EC2 rate limiting with qps
    #[arg(long = "ec2-describeInstances-qps", value_name = "QPS")]
    ec2_qps: Option<u32>,
    /// AWS EC2 rate Limiting with burst
    #[arg(long = "ec2-describeInstances-burst", value_name = "BURST")]
    ec2_burst: Option<u32>,
    /// Verified identities to cache by token digest, so a repeated token needs no STS call (0 disables) [default: 10000]
    #[arg(long = "identity-cache-size", value_name = "N")]
    identity_cache_size: Option<usize>,
    /// Longest an identity stays cached, i.e. how long a revoked IAM identity may still be accepted; never longer than its token is valid (15m) [default: 2m]
    #[arg(long = "identity-cache-ttl", value_name = "DURATION", value_parser = crate::config::parse_duration)]
    identity_cache_ttl: Option<std::time::Duration>,
    /// STS calls in flight at once; as many again times four may wait, beyond that a review is answered 429 [default: 32]
    #[arg(long = "max-concurrent-sts", value_name = "N", hide = true)]
    max_concurrent_sts: Option<usize>,
    #[command(flatten)]
    connections: ConnectionFlags,
}

/// Connection limits (hidden: the defaults suit every deployment; tests shorten them).
/// docs/server.md "Connection limits" describes them.
#[derive(Debug, Args)]
struct ConnectionFlags {
    /// Connections the webhook listener keeps; at the cap a new one evicts the longest-idle [default: 1024]
    #[arg(long = "max-connections", hide = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// Connections the health listener keeps [default: 64]
    #[arg(long = "health-max-connections", hide = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    health_max_connections: Option<u32>,
    /// Time from the TLS handshake to the first request [default: 10s]
    #[arg(long = "connection-first-request-timeout", hide = true, value_name = "DURATION", value_parser = positive_duration)]
    first_request_timeout: Option<Duration>,
    /// A connection with no request in flight for this long is closed [default: 60s]
    #[arg(long = "connection-idle-timeout", hide = true, value_name = "DURATION", value_parser = positive_duration)]
    idle_timeout: Option<Duration>,
    /// A connection this old is closed gracefully (HTTP/2 GOAWAY) [default: 10m]
    #[arg(long = "connection-max-age", hide = true, value_name = "DURATION", value_parser = positive_duration)]
    max_age: Option<Duration>,
}

impl ConnectionFlags {
    fn apply(self, limits: &mut Limits) {
        if let Some(n) = self.max_connections {
            limits.max_connections = n as usize;
        }
        if let Some(n) = self.health_max_connections {
            limits.health_max_connections = n as usize;
        }
        if let Some(d) = self.first_request_timeout {
            limits.first_request_timeout = d;
        }
        if let Some(d) = self.idle_timeout {
            limits.idle_timeout = d;
        }
        if let Some(d) = self.max_age {
            limits.max_age = d;
        }
    }
}

/// A duration of at least one second (a zero timeout would close every connection).
fn positive_duration(text: &str) -> Result<Duration, String> {
    match crate::config::parse_duration(text)? {
        d if d.is_zero() => Err(format!("invalid duration {text:?}: must be at least 1s")),
        d => Ok(d),
    }
}

pub(crate) fn run(ctx: &Context, args: ServerArgs) -> Result<(), CliError> {
    println!(
        "Authenticator Version: {:?}, {:?}",
        crate::version::INFO.version,
        crate::version::INFO.commit
    );
    let flags = ServerFlags {
        partition: args.partition,
        generate_kubeconfig: args.generate_kubeconfig,
        kubeconfig_pregenerated: args.kubeconfig_pregenerated,
        state_dir: args.state_dir,
        address: args.address,
        hostname: None,
        port: args.port,
        backend_mode: args.backend_mode,
        kubeconfig: args.kubeconfig,
        master: args.master,
        ec2_qps: args.ec2_qps,
        ec2_burst: args.ec2_burst,
        identity_cache_size: args.identity_cache_size,
        identity_cache_ttl: args.identity_cache_ttl,
        max_concurrent_sts: args.max_concurrent_sts,
        health_port: args.health_port,
        health_address: args.health_address,
    };
    let mut options =
        ServerOptions::resolve(ctx.cluster_id()?, ctx.feature_gates()?, flags, &ctx.config)?;
    args.connections.apply(&mut options.limits);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        runtime.worker_threads(cores.min(MAX_WORKER_THREADS));
    }
    let runtime = runtime
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all()
        .build()
        .map_err(|e| CliError::with_cause("cannot start the async runtime", e))?;
    Ok(runtime.block_on(crate::server::run(options))?)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use crate::cli::{Cli, Command};

    /// `--max-concurrent-sts` is accepted but hidden: a tuning knob, not part of the
    /// upstream-compatible surface.
    #[test]
    fn max_concurrent_sts_is_a_hidden_flag() {
        let cli = Cli::try_parse_from([
            "aws-iam-authenticator",
            "server",
            "--max-concurrent-sts",
            "7",
        ])
        .expect("parses");
        let Command::Server(args) = cli.command else {
            panic!("not the server command");
        };
        assert_eq!(args.max_concurrent_sts, Some(7));
        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("server")
            .expect("server")
            .render_long_help()
            .to_string();
        assert!(!help.contains("max-concurrent-sts"), "{help}");
        assert!(help.contains("[default: 2m]"), "{help}");
    }
}
