//! `aws-iam-authenticator init` (cargo feature `server`): write the serving certificate,
//! its key and the webhook kubeconfig before the server first starts.

use std::path::PathBuf;

use clap::Args;

use super::{CliError, Context};
use crate::server::config::ServerFlags;
use crate::server::{ServerOptions, init};

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

pub(crate) fn run(ctx: &Context, args: InitArgs) -> Result<(), CliError> {
    let flags = ServerFlags {
        address: args.address,
        hostname: args.hostname,
        ..ServerFlags::default()
    };
    let gates = ctx.feature_gates()?;
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
