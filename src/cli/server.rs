//! `aws-iam-authenticator server` and `init` (cargo feature `server`).

use std::path::PathBuf;

use clap::Args;

use super::{CliError, Context};
use crate::server::config::ServerFlags;
use crate::server::{FeatureGates, ServerOptions, init};

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
    /// Longest an identity stays cached; never longer than its token is valid (15m) [default: 15m]
    #[arg(long = "identity-cache-ttl", value_name = "DURATION", value_parser = crate::config::parse_duration)]
    identity_cache_ttl: Option<std::time::Duration>,
}

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

fn gates(ctx: &Context) -> Result<FeatureGates, CliError> {
    FeatureGates::parse(ctx.feature_gates.as_deref()).map_err(CliError::from_error)
}

pub(crate) fn run_server(ctx: &Context, args: ServerArgs) -> Result<(), CliError> {
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
        health_port: args.health_port,
    };
    let options = ServerOptions::resolve(ctx.cluster_id()?, gates(ctx)?, flags, &ctx.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::with_cause("cannot start the async runtime", e))?;
    Ok(runtime.block_on(crate::server::run(options))?)
}

pub(crate) fn run_init(ctx: &Context, args: InitArgs) -> Result<(), CliError> {
    let flags = ServerFlags {
        address: args.address,
        hostname: args.hostname,
        ..ServerFlags::default()
    };
    let gates = gates(ctx)?;
    let options = ServerOptions::resolve(ctx.cluster_id()?, gates, flags, &ctx.config)
        .map_err(|e| CliError::with_cause("could not get config", e))?;
    crate::server::install_crypto_provider();
    let fail = |e: init::InitError| CliError::with_cause("could not initialize", e);
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
    init::write_file(&kubeconfig_path, text.as_bytes(), 0o644).map_err(fail)?;
    if !gates.configured_init_directories {
        tracing::info!(
            "copy {} to /var/aws-iam-authenticator/cert.pem on kubernetes master node(s)",
            init::CERT_FILE
        );
        tracing::info!(
            "copy {} to /var/aws-iam-authenticator/key.pem on kubernetes master node(s)",
            init::KEY_FILE
        );
        tracing::info!(
            "copy {} to /etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml on kubernetes master node(s)",
            init::INIT_KUBECONFIG_FILE
        );
        tracing::info!(
            "configure your apiserver with `--authentication-token-webhook-config-file=/etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml` to enable authentication with aws-iam-authenticator"
        );
    } else {
        tracing::info!(state_dir = %cert_dir.display(), kubeconfig = %kubeconfig_path.display(), "wrote the certificate, key and webhook kubeconfig");
    }
    Ok(())
}
