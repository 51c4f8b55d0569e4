//! The Kubernetes API client of the server's watches and of `add`, built the way client-go
//! (upstream) connects: Go's proxy rules and Go's certificate trust.
//!
//! # Why not `kube::Client::try_from(config)`
//!
//! * **Proxies.** kube-rs takes `HTTPS_PROXY` for every cluster and matches `NO_PROXY`
//!   with its own parser (which refuses entries Go accepts, such as an empty item in
//!   `a,,b`). client-go asks Go's `http.ProxyFromEnvironment` with the API server's URL,
//!   so an API server at `https://127.0.0.1:6443` or `https://localhost:6443` is never
//!   proxied, even with `HTTPS_PROXY` set and no `NO_PROXY` (the usual control-plane node
//!   with a corporate proxy for STS). kube-rs's proxy support is compiled out (no
//!   `http-proxy` feature) and the route is chosen here by [`crate::proxy`]: a
//!   `proxy-url` in the kubeconfig's cluster wins, as in client-go; otherwise the
//!   environment decides by the API server's URL.
//! * **Trust.** A kubeconfig whose `certificate-authority` is the API server's own
//!   self-signed `CA:TRUE` certificate works with client-go; rustls refuses it
//!   (`CaUsedAsEndEntity`). The configured authorities are checked through
//!   [`crate::tls_trust::AnchorOrWebPkiVerifier`], which accepts exactly that case and
//!   nothing looser.
//! * **Errors.** kube-rs reports every transport failure as `client error (Connect)`.
//!   Here the error text carries its cause: the TLS reason (unknown issuer, name
//!   mismatch, expired, CA used as end entity) or the connection error chain, so the
//!   watch's log line says what to fix.
//!
//! The rest is kube-rs's own stack: its client certificates and tokens (`auth_layer`),
//! base URL, extra headers, 429/503/504 retries and timeouts.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kube::client::ConfigExt;
use tower::{BoxError, Service, ServiceBuilder};

use crate::proxy::ProxyConfig;

/// Builds the client for `config` (from [`config_from_kubeconfig`], `kube::Config::new`
/// or `kube::Config::incluster`); `explicit_proxy` is the kubeconfig cluster's
/// `proxy-url`, if any. Proxy environment variables are read here.
pub fn client(config: kube::Config, explicit_proxy: Option<Uri>) -> Result<kube::Client, String> {
    client_with_proxies(
        config,
        explicit_proxy,
        &ProxyConfig::from_env().map_err(|e| e.to_string())?,
    )
}

/// [`client`] with the proxy settings given instead of read from the environment.
pub fn client_with_proxies(
    mut config: kube::Config,
    explicit_proxy: Option<Uri>,
    proxies: &ProxyConfig,
) -> Result<kube::Client, String> {
    let proxy = match explicit_proxy {
        Some(proxy) => Some(proxy),
        None => proxies
            .proxy_for(&config.cluster_url)
            .map_err(|e| e.to_string())?,
    };
    // kube-rs reads `proxy_url` nowhere now, but keep the field honest.
    config.proxy_url = proxy.clone();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(config.connect_timeout);
    let transport = match proxy {
        None => Transport::Direct(http),
        Some(proxy) => match proxy.scheme_str() {
            Some("http") => {
                Transport::Tunnel(with_basic_auth(&proxy, Tunnel::new(proxy.clone(), http)))
            }
            other => {
                return Err(format!(
                    "the proxy for the Kubernetes API server {} is a {} proxy, which is not supported: use an http:// proxy, or list the API server's host in NO_PROXY",
                    config.cluster_url,
                    other.unwrap_or("scheme-less")
                ));
            }
        },
    };
    let tls = tls_config(&config)?;
    let mut https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    if let Some(name) = &config.tls_server_name {
        let name = rustls_pki_types::ServerName::try_from(name.clone())
            .map_err(|e| format!("invalid tls-server-name {name:?}: {e}"))?;
        https = https.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name));
    }
    let https = https.enable_http1().wrap_connector(transport);
    let mut timeouts = hyper_timeout::TimeoutConnector::new(https);
    timeouts.set_connect_timeout(config.connect_timeout);
    timeouts.set_read_timeout(config.read_timeout);
    timeouts.set_write_timeout(config.write_timeout);
    timeouts.set_reset_reader_on_write(config.reset_reader_on_write);
    let hyper_client: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Builder::new(TokioExecutor::new()).build(timeouts);

    let target = crate::aws_http::target_of(&config.cluster_url);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.default_retry.then(|| {
            tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry())
        }))
        .option_layer(
            config
                .auth_layer()
                .map_err(|e| format!("kubeconfig credentials: {e}"))?,
        )
        .layer(
            config
                .extra_headers_layer()
                .map_err(|e| format!("kubeconfig headers: {e}"))?,
        )
        .map_err(move |e: hyper_util::client::legacy::Error| -> BoxError {
            Box::new(TransportError::new(e, &target))
        })
        .service(hyper_client);
    Ok(kube::Client::new(service, config.default_namespace))
}

/// The rustls configuration: kube-rs's (client certificate, `insecure-skip-tls-verify`,
/// the in-cluster CA file re-read on rotation, the platform verifier when no authority is
/// configured), with the configured authorities checked by [`AnchorOrWebPkiVerifier`].
///
/// [`AnchorOrWebPkiVerifier`]: crate::tls_trust::AnchorOrWebPkiVerifier
fn tls_config(config: &kube::Config) -> Result<rustls::ClientConfig, String> {
    let mut tls = config
        .rustls_client_config()
        .map_err(|e| format!("cannot set up TLS for the Kubernetes API server: {e}"))?;
    // In-cluster, the service-account CA signs the API server's certificate (webpki's
    // case) and kube-rs's verifier re-reads it when it rotates: keep that one.
    if !config.accept_invalid_certs
        && config.root_cert_file.is_none()
        && let Some(roots) = &config.root_cert
    {
        let roots = roots
            .iter()
            .map(|der| rustls_pki_types::CertificateDer::from(der.clone()))
            .collect();
        let verifier =
            crate::tls_trust::AnchorOrWebPkiVerifier::new(roots, tls.crypto_provider().clone())
                .map_err(|e| format!("kubeconfig certificate-authority: {e}"))?;
        tls.dangerous().set_certificate_verifier(Arc::new(verifier));
    }
    Ok(tls)
}

/// The `proxy-url` of the cluster that `context` (or the current context) names in
/// `kubeconfig`: client-go uses it for that cluster instead of the environment.
pub fn kubeconfig_proxy_url(
    kubeconfig: &kube::config::Kubeconfig,
    context: Option<&str>,
) -> Result<Option<Uri>, String> {
    let Some(context) = context.or(kubeconfig.current_context.as_deref()) else {
        return Ok(None);
    };
    let cluster = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.cluster.as_str());
    let proxy = kubeconfig
        .clusters
        .iter()
        .find(|c| Some(c.name.as_str()) == cluster)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.proxy_url.as_deref())
        .filter(|p| !p.is_empty());
    proxy
        .map(|p| {
            p.parse::<Uri>()
                .map_err(|e| format!("invalid proxy-url {p:?} in the kubeconfig: {e}"))
        })
        .transpose()
}

/// A `Proxy-Authorization: Basic` header from the proxy URL's `user:password@`, decoded
/// as Go does.
fn with_basic_auth(proxy: &Uri, tunnel: Tunnel<HttpConnector>) -> Tunnel<HttpConnector> {
    use base64::Engine;
    let Some((userinfo, _)) = proxy.authority().and_then(|a| a.as_str().rsplit_once('@')) else {
        return tunnel;
    };
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(userinfo).collect();
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(decoded)
    );
    match http::HeaderValue::from_str(&value) {
        Ok(mut header) => {
            header.set_sensitive(true);
            tunnel.with_auth(header)
        }
        Err(_) => tunnel,
    }
}

/// How the TCP connection to the API server is made: directly, or through an HTTP
/// `CONNECT` tunnel.
#[derive(Clone)]
enum Transport {
    Direct(HttpConnector),
    Tunnel(Tunnel<HttpConnector>),
}

type Connecting =
    Pin<Box<dyn Future<Output = Result<TokioIo<tokio::net::TcpStream>, BoxError>> + Send>>;

impl Service<Uri> for Transport {
    type Response = TokioIo<tokio::net::TcpStream>;
    type Error = BoxError;
    type Future = Connecting;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Self::Direct(c) => c.poll_ready(cx).map_err(Into::into),
            Self::Tunnel(c) => c.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, dst: Uri) -> Connecting {
        match self {
            Self::Direct(c) => {
                let connecting = c.call(dst);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
            Self::Tunnel(c) => {
                let connecting = c.call(dst);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
        }
    }
}

/// A request to the API server that got no answer, with the cause in its text (kube-rs
/// and the watchers print only the top-level message).
#[derive(Debug)]
pub struct TransportError {
    message: String,
    source: hyper_util::client::legacy::Error,
}

impl TransportError {
    fn new(source: hyper_util::client::legacy::Error, target: &str) -> Self {
        let message = match crate::tls_trust::describe_error_chain(&source) {
            Some(reason) => format!("{source}: TLS handshake with {target} failed: {reason}"),
            None => crate::aws_http::error_chain(&source),
        };
        Self { message, source }
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
