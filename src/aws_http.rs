//! The one HTTPS client stack of the program, built the way corporate networks need it.
//!
//! Every outbound call — the AWS SDK's (AssumeRole, SSO, `credential_process`-free
//! providers) and the verifier's forwarded `GetCallerIdentity` — goes through a
//! [`Connector`] from `aws-smithy-http-client` (hyper 1 + rustls with the **ring**
//! provider, so the binary carries one crypto library). It is configured here, once,
//! with the same environment that upstream's Go client honours:
//!
//! * `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (any case), through hyper-util's matcher;
//! * `SSL_CERT_FILE` / `SSL_CERT_DIR` replace the system trust store (rustls-native-certs
//!   reads them, as Go's `crypto/x509` does);
//! * `AWS_CA_BUNDLE` adds a PEM bundle on top, as the AWS SDKs do.
//!
//! The connector keeps a connection pool, so a long-lived verifier reuses TLS sessions
//! instead of paying a handshake per token.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use std::sync::OnceLock;

use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;

/// Environment variable naming an extra PEM CA bundle, as in the AWS CLI and SDKs.
pub const AWS_CA_BUNDLE: &str = "AWS_CA_BUNDLE";

/// A problem building the HTTPS client; always a configuration mistake the user can fix.
#[derive(Debug)]
pub enum HttpError {
    /// `AWS_CA_BUNDLE` points at a file that cannot be read.
    CaBundleUnreadable {
        /// The path from the environment.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TLS context rejected the configured certificates.
    Tls(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::CaBundleUnreadable { path, source } => write!(
                f,
                "cannot read the CA bundle {} named by {AWS_CA_BUNDLE}: {source}; fix the path or unset {AWS_CA_BUNDLE}",
                path.display()
            ),
            HttpError::Tls(msg) => write!(
                f,
                "invalid TLS trust configuration: {msg}; check SSL_CERT_FILE and {AWS_CA_BUNDLE}"
            ),
        }
    }
}

impl std::error::Error for HttpError {}

/// Renders an error with its sources, since connection errors hide the useful part
/// (`connection refused`, a certificate problem) a few levels down. Shared by every
/// caller of [`connector`].
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Builds the TLS trust context: the platform roots (or `SSL_CERT_FILE`), plus
/// `AWS_CA_BUNDLE` if set.
pub fn tls_context() -> Result<TlsContext, HttpError> {
    let mut store = TrustStore::default();
    if let Some(path) = std::env::var_os(AWS_CA_BUNDLE).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        let pem = std::fs::read(&path)
            .map_err(|source| HttpError::CaBundleUnreadable { path, source })?;
        store = store.with_pem_certificate(pem);
    }
    TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| HttpError::Tls(e.to_string()))
}

/// Options for [`connector`].
#[derive(Clone, Debug)]
pub struct ConnectorOptions {
    /// Whether proxy environment variables apply. IMDS (a link-local address) must
    /// never be proxied, so its client turns this off.
    pub use_proxy_env: bool,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Timeout between reads of the response.
    pub read_timeout: Duration,
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        Self {
            use_proxy_env: true,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
        }
    }
}

/// Builds a pooled HTTPS connector with proxy and trust settings from the environment.
pub fn connector(tls: &TlsContext, options: &ConnectorOptions) -> Connector {
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout)
        .build();
    connector_with(tls, options.use_proxy_env, &settings, None)
}

fn connector_with(
    tls: &TlsContext,
    use_proxy_env: bool,
    settings: &HttpConnectorSettings,
    sleep: Option<SharedAsyncSleep>,
) -> Connector {
    let proxy = if use_proxy_env {
        ProxyConfig::from_env()
    } else {
        ProxyConfig::disabled()
    };
    Connector::builder()
        .connector_settings(settings.clone())
        .sleep_impl(sleep.unwrap_or_else(|| SharedAsyncSleep::new(TokioSleep::new())))
        .proxy_config(proxy)
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(tls.clone())
        .build()
}

/// An HTTP client for the AWS SDK (aws-config, aws-sdk-sts) that uses the same proxy
/// and trust settings as everything else. The SDK passes its own timeouts.
///
/// Connectors are built on their first request, not when the SDK asks for them: building
/// one loads the whole system trust store (~150 files), and with static credentials
/// `token` never makes a request at all — this keeps that path at a few milliseconds.
pub fn sdk_http_client(tls: &TlsContext, use_proxy_env: bool) -> SharedHttpClient {
    let tls = tls.clone();
    http_client_fn(move |settings, components| {
        SharedHttpConnector::new(LazyConnector {
            tls: tls.clone(),
            use_proxy_env,
            settings: settings.clone(),
            sleep: components.sleep_impl(),
            inner: OnceLock::new(),
        })
    })
}

/// A connector that builds the real one on first use.
#[derive(Debug)]
struct LazyConnector {
    tls: TlsContext,
    use_proxy_env: bool,
    settings: HttpConnectorSettings,
    sleep: Option<SharedAsyncSleep>,
    inner: OnceLock<Connector>,
}

impl HttpConnector for LazyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.inner
            .get_or_init(|| {
                connector_with(
                    &self.tls,
                    self.use_proxy_env,
                    &self.settings,
                    self.sleep.clone(),
                )
            })
            .call(request)
    }
}
