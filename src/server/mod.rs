//! The token-review webhook server (cargo feature `server`), upstream `pkg/server`.
//!
//! * [`config`] turns flags and the `server.*` keys of the config file into
//!   [`ServerOptions`], refusing bad configuration before anything listens.
//! * [`init`] creates or reuses the serving certificate and writes the webhook kubeconfig.
//! * [`http`] is the router (TokenReview, health, metrics) and its shared [`http::AppState`].
//! * [`tls`] turns the certificate into a rustls configuration; [`serve`] runs the TLS
//!   listener with its connection limits, and the plain-HTTP health port; [`shutdown`]
//!   is the signal that stops both.
//! * [`metrics`] holds upstream's Prometheus metrics.
//! * [`backends`] builds the mapper chain, runs the backends' watchers and switches the
//!   chain from the dynamic backend-mode file.
//! * [`identity_cache`] keeps verified identities by token digest, sparing STS calls.

pub mod backends;
pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod health;
pub mod http;
pub mod identity_cache;
pub mod init;
pub mod metrics;
pub mod serve;
pub mod shutdown;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::{FeatureGates, ServerError, ServerOptions};

use crate::token::HostPolicy;
use crate::token::{StsClient, Verifier};

/// Installs ring as the process-wide rustls provider (needed once any dependency, such
/// as the Kubernetes client, builds a rustls config without naming a provider).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The `{{EC2PrivateDNSName}}` lookup. It is always built (aws-auth mappings can add the
/// template at any time) and touches AWS only on first use; bad role or source ARNs are
/// start-up errors.
pub fn ec2_lookup(
    options: &ServerOptions,
    metrics: &metrics::Metrics,
) -> Result<Arc<dyn crate::mapper::PrivateDnsLookup>, ServerError> {
    use crate::mapper::ec2::{Ec2PrivateDns, Ec2Settings};
    let calls = metrics.ec2_describe_instances_calls.clone();
    let settings = Ec2Settings {
        qps: options.ec2_qps,
        burst: options.ec2_burst,
        role_arn: options.ec2_role_arn.clone(),
        source_arn: options.source_arn.clone(),
        ..Ec2Settings::default()
    };
    let lookup = Ec2PrivateDns::new(
        settings,
        Some(Arc::new(move || {
            calls.inc();
        })),
    )
    .map_err(ServerError::Ec2)?;
    Ok(Arc::new(lookup))
}

/// Runs the server until SIGTERM/Ctrl-C.
pub async fn run(options: ServerOptions) -> Result<(), ServerError> {
    install_crypto_provider();
    // Before anything listens, so SIGTERM is handled from the first accepted connection.
    let shutdown = shutdown::shutdown_signal();
    // Upstream's line per mapper, before the mappings it logs.
    for mode in &options.backend_modes {
        tracing::info!("starting mapper {:?}", mode.as_str());
    }
    backends::log_mappings(&options);
    // The chain first: a bad mapping is refused before any certificate or kubeconfig
    // is written.
    let metrics = Arc::new(metrics::Metrics::for_partition(options.partition));
    let backends = Arc::new(backends::Backends::new(
        options.clone(),
        metrics.clone(),
        Some(ec2_lookup(&options, &metrics)?),
    ));
    let chain = backends.chain(&options.backend_modes).await?;
    let (pair, _) = init::load_or_create(&options.state_dir, &options.hostname, &options.address)
        .map_err(ServerError::Certificate)?;
    if !options.kubeconfig_pregenerated {
        let text = init::kubeconfig(&options.hostname, options.port, &pair.cert_pem);
        init::log_writing_kubeconfig(&options.generate_kubeconfig);
        init::write_file(&options.generate_kubeconfig, text.as_bytes(), 0o644)
            .map_err(ServerError::Kubeconfig)?;
    }
    let tls = tls::server_config(&pair).map_err(ServerError::Tls)?;

    let server_region = match crate::aws_http::tls_context() {
        Ok(ctx) => crate::credentials::imds_region(&ctx).await,
        Err(_) => None,
    };
    let sts = StsClient::new(options.sts_timeout, options.max_concurrent_sts)
        .map_err(ServerError::Sts)?
        .with_observer(metrics.clone());
    let state = Arc::new(
        http::AppState::new(
            options.cluster_id.clone(),
            Verifier::new(HostPolicy::new(options.partition, server_region)),
            sts,
            chain,
            metrics,
        )
        .with_scrubbed_accounts(options.scrubbed_accounts.iter().cloned())
        .with_body_timeout(options.limits.header_read_timeout)
        .with_identity_cache((options.identity_cache_size > 0).then(|| {
            identity_cache::IdentityCache::new(
                options.identity_cache_size,
                options.identity_cache_ttl,
            )
        })),
    );

    if let Some(path) = options.dynamic_backend_mode_path.clone() {
        tokio::spawn(Arc::clone(&backends).follow_backend_mode_file(path, Arc::clone(&state)));
    }

    let addr: SocketAddr = format!("{}:{}", options.address, options.port)
        .parse()
        .map_err(|source| ServerError::ListenAddress {
            address: options.address.clone(),
            port: options.port,
            source,
        })?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Listen { addr, source })?;
    // Upstream's two lines, same text.
    tracing::info!("listening on {addr}");
    tracing::info!(
        "reconfigure your apiserver with `--authentication-token-webhook-config-file={}` to enable (assuming default hostPath mounts)",
        options.generate_kubeconfig.display()
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if let Some(port) = options.health_port {
        // All interfaces, IPv4 and IPv6, as upstream (`:21363`): existing DaemonSets
        // probe the node's address with host networking.
        let listener = health::bind(options.health_address.as_deref(), port)?;
        let mut stop = stop_rx.clone();
        tokio::spawn(serve::serve_plain(
            listener,
            http::health_router(Arc::clone(&state)),
            options.limits.clone(),
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        ));
    }
    serve::serve_tls(
        listener,
        tls,
        http::router(state),
        options.limits.clone(),
        shutdown,
    )
    .await;
    let _ = stop_tx.send(true);
    tracing::info!("shut down");
    Ok(())
}
