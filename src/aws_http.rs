//! The one HTTPS client stack of the program, built the way corporate networks need it.
//!
//! Every outbound call — the AWS SDK's (AssumeRole, SSO, `credential_process`-free
//! providers) and the verifier's forwarded `GetCallerIdentity` — goes through a
//! [`Connector`] from `aws-smithy-http-client` (hyper 1 + rustls with the **ring**
//! provider, so the binary carries one crypto library). It is configured here, once,
//! with the same environment that upstream's Go client honours:
//!
//! * `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (either case, upper case first), decided per
//!   request by [`crate::proxy`] exactly as Go's `http.ProxyFromEnvironment` decides
//!   (loopback and `localhost` never proxied; `.domain`, `*`, CIDRs and ports in
//!   `NO_PROXY`); see [`RoutedConnector`];
//! * `SSL_CERT_FILE` / `SSL_CERT_DIR` replace the system trust store (rustls-native-certs
//!   reads them, as Go's `crypto/x509` does);
//! * `AWS_CA_BUNDLE` adds a PEM bundle on top, as the AWS SDKs do.
//!
//! The connector keeps a connection pool, so a long-lived verifier reuses TLS sessions
//! instead of paying a handshake per token. A TLS failure comes back with its reason
//! (unknown issuer, name mismatch, expired, ...) in the error text (server builds, through
//! `crate::tls_trust::describe_error_chain`), never as a bare connect error.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::OnceLock;

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_http_client::Connector as PoolConnector;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use http::Uri;

use crate::proxy::{ProxyConfig, ProxyError};

/// The connector every AWS caller holds (the STS verifier, the EC2 lookup); the name
/// they import. It is a [`RoutedConnector`].
pub type Connector = RoutedConnector;

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
    RoutedConnector::new(tls, proxies_from_env(options.use_proxy_env), settings, None)
}

/// The proxy settings from the environment, or none at all (IMDS).
fn proxies_from_env(use_proxy_env: bool) -> Result<ProxyConfig, ProxyError> {
    if use_proxy_env {
        ProxyConfig::from_env()
    } else {
        Ok(ProxyConfig::default())
    }
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
        SharedHttpConnector::new(RoutedConnector::new(
            &tls,
            proxies_from_env(use_proxy_env),
            settings.clone(),
            components.sleep_impl(),
        ))
    })
}

/// Where one request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Straight to the target host.
    Direct,
    /// Through this proxy: an HTTP `CONNECT` tunnel for `https` targets, an
    /// absolute-form request for `http` ones (as Go's transport does).
    Proxy(Uri),
}

/// A connector that decides per request, with [`crate::proxy`] (Go's rules), whether to
/// connect directly or through the proxy, and holds one connection pool for each way.
///
/// Why not the HTTP stack's own proxy support: aws-smithy and hyper-util read
/// `NO_PROXY` differently from Go (and from each other), and a drop-in replacement must
/// send a request through the proxy exactly when upstream would. The pools are built on
/// first use, so a process that never calls out never loads the trust store.
///
/// Proxy URLs other than `http://` and `https://` (Go also speaks `socks5://`) are
/// refused per request with an error naming the variable, rather than silently
/// connecting directly.
pub struct RoutedConnector {
    proxies: Result<ProxyConfig, ProxyError>,
    tls: TlsContext,
    settings: HttpConnectorSettings,
    sleep: Option<SharedAsyncSleep>,
    direct: OnceLock<PoolConnector>,
    /// The pool through `HTTPS_PROXY` (for `https` targets) and through `HTTP_PROXY`
    /// (for `http` targets); a proxy is fixed per request scheme.
    via_https_proxy: OnceLock<PoolConnector>,
    via_http_proxy: OnceLock<PoolConnector>,
}

impl fmt::Debug for RoutedConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoutedConnector")
            .field("proxies", &self.proxies)
            .finish_non_exhaustive()
    }
}

impl RoutedConnector {
    /// A connector routing by `proxies` (an error there fails every request that needs
    /// the proxy settings, with that error's text).
    pub fn new(
        tls: &TlsContext,
        proxies: Result<ProxyConfig, ProxyError>,
        settings: HttpConnectorSettings,
        sleep: Option<SharedAsyncSleep>,
    ) -> Self {
        Self {
            proxies,
            tls: tls.clone(),
            settings,
            sleep,
            direct: OnceLock::new(),
            via_https_proxy: OnceLock::new(),
            via_http_proxy: OnceLock::new(),
        }
    }

    /// Where a request to `url` goes, or why it cannot be sent.
    pub fn route(&self, url: &Uri) -> Result<Route, String> {
        let proxies = self.proxies.as_ref().map_err(|e| e.to_string())?;
        match proxies.proxy_for(url).map_err(|e| e.to_string())? {
            None => Ok(Route::Direct),
            Some(proxy) => match proxy.scheme_str() {
                Some("http" | "https") => Ok(Route::Proxy(proxy)),
                other => {
                    let variable = if url.scheme_str() == Some("http") {
                        "HTTP_PROXY"
                    } else {
                        "HTTPS_PROXY"
                    };
                    Err(format!(
                        "{variable} names a {} proxy, which is not supported: use an http:// or https:// proxy, or list {} in NO_PROXY",
                        other.unwrap_or("scheme-less"),
                        url.host().unwrap_or("the host")
                    ))
                }
            },
        }
    }

    fn pool(&self, url: &Uri, route: &Route) -> Result<&PoolConnector, String> {
        let proxy = match route {
            Route::Direct => {
                return Ok(self.direct.get_or_init(|| {
                    self.build(aws_smithy_http_client::proxy::ProxyConfig::disabled())
                }));
            }
            Route::Proxy(proxy) => proxy,
        };
        let slot = if url.scheme_str() == Some("http") {
            &self.via_http_proxy
        } else {
            &self.via_https_proxy
        };
        if let Some(pool) = slot.get() {
            return Ok(pool);
        }
        let config = aws_smithy_http_client::proxy::ProxyConfig::all(proxy.to_string())
            .map_err(|e| format!("cannot use the proxy: {e}"))?;
        Ok(slot.get_or_init(|| self.build(config)))
    }

    fn build(&self, proxy: aws_smithy_http_client::proxy::ProxyConfig) -> PoolConnector {
        PoolConnector::builder()
            .connector_settings(self.settings.clone())
            .sleep_impl(
                self.sleep
                    .clone()
                    .unwrap_or_else(|| SharedAsyncSleep::new(TokioSleep::new())),
            )
            .proxy_config(proxy)
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .tls_context(self.tls.clone())
            .build()
    }
}

impl HttpConnector for RoutedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let url: Uri = match request.uri().parse() {
            Ok(url) => url,
            Err(e) => {
                return HttpConnectorFuture::ready(Err(ConnectorError::user(
                    format!("invalid request URL: {e}").into(),
                )));
            }
        };
        let routed = self
            .route(&url)
            .and_then(|route| Ok((self.pool(&url, &route)?, route)));
        let (pool, route) = match routed {
            Ok(routed) => routed,
            Err(message) => {
                return HttpConnectorFuture::ready(Err(ConnectorError::user(message.into())));
            }
        };
        let call = pool.call(request);
        HttpConnectorFuture::new(async move {
            call.await.map_err(|e| {
                let e = with_tls_reason(e, &url);
                rewrap(e, |source| {
                    Box::new(RequestTarget {
                        target: target_of(&url),
                        host: url.host().unwrap_or_default().to_string(),
                        proxy: match &route {
                            Route::Direct => None,
                            Route::Proxy(proxy) => Some(target_of(proxy)),
                        },
                        source,
                    })
                })
            })
        })
    }
}

/// Where a failed request was going: the endpoint and the proxy it went through.
///
/// Every transport error of [`RoutedConnector`] carries one in its source chain, so that
/// [`crate::diagnose`] can name the host that did not resolve, the endpoint that refused
/// or the proxy in effect — the lower layers (hyper's `dns error`, an `io::Error`) do not
/// say which host they were talking to. It is transparent: its text is its source's, so
/// messages built from the chain read as before.
#[derive(Debug)]
pub struct RequestTarget {
    /// `host:port` of the request URL.
    pub target: String,
    /// The request URL's host.
    pub host: String,
    /// `host:port` of the proxy the request went through (never its credentials), or
    /// `None` when it connected directly.
    pub proxy: Option<String>,
    pub(crate) source: Box<dyn std::error::Error + Send + Sync>,
}

impl fmt::Display for RequestTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for RequestTarget {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// A new `ConnectorError` of the same kind (timeout, I/O, user, other) and connection
/// metadata as `error`, whose source is `wrap(error)`: retry decisions do not change.
fn rewrap(
    error: ConnectorError,
    wrap: impl FnOnce(
        aws_smithy_runtime_api::box_error::BoxError,
    ) -> aws_smithy_runtime_api::box_error::BoxError,
) -> ConnectorError {
    let metadata = error.connection_metadata().cloned();
    let rebuild: fn(aws_smithy_runtime_api::box_error::BoxError) -> ConnectorError =
        if error.is_timeout() {
            ConnectorError::timeout
        } else if error.is_user() {
            ConnectorError::user
        } else if error.is_io() {
            ConnectorError::io
        } else {
            |e| ConnectorError::other(e, None)
        };
    let kind = error.as_other();
    let wrapped = wrap(Box::new(error));
    let mut rebuilt = match kind {
        Some(kind) => ConnectorError::other(wrapped, Some(kind)),
        None => rebuild(wrapped),
    };
    if let Some(metadata) = metadata {
        rebuilt = rebuilt.with_connection(metadata);
    }
    rebuilt
}

/// A TLS handshake that failed, with the reason in words.
#[derive(Debug)]
pub struct TlsFailure {
    /// `host:port` of the server.
    pub target: String,
    /// Why, as `tls_trust::describe` words it.
    pub reason: String,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TLS handshake with {} failed: {}",
            self.target, self.reason
        )
    }
}

impl std::error::Error for TlsFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// The request target as `host:port`, for messages.
pub fn target_of(url: &Uri) -> String {
    let port = url.port_u16().unwrap_or(match url.scheme_str() {
        Some("http") => 80,
        _ => 443,
    });
    format!("{}:{port}", url.host().unwrap_or(""))
}

/// `error` with the TLS reason put in front, when its cause is a TLS failure; the kind
/// (timeout, I/O, ...) and connection metadata are kept, so retry decisions do not change.
#[cfg(feature = "server")]
fn with_tls_reason(error: ConnectorError, url: &Uri) -> ConnectorError {
    let Some(reason) = crate::tls_trust::describe_error_chain(&error) else {
        return error;
    };
    rewrap(error, |source| {
        Box::new(TlsFailure {
            target: target_of(url),
            reason,
            source,
        })
    })
}

/// Without the server's TLS module the error is passed on as it is (its chain still
/// names rustls's reason).
#[cfg(not(feature = "server"))]
fn with_tls_reason(error: ConnectorError, _url: &Uri) -> ConnectorError {
    error
}

/// AWS's URI encoding (SigV4's, the Query protocol's, a REST path segment's): everything
/// but the RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~` is percent-encoded.
pub const AWS_URI_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Why [`service_endpoint`] found no usable endpoint.
#[derive(Debug)]
pub enum ServiceEndpointError {
    /// `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` is set but not an absolute URL.
    Configured(String),
    /// The region has no endpoint (not a valid region name).
    Region(crate::partition::EndpointError),
    /// The regional URL did not parse.
    Invalid(String),
}

impl fmt::Display for ServiceEndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceEndpointError::Configured(m) | ServiceEndpointError::Invalid(m) => {
                f.write_str(m)
            }
            ServiceEndpointError::Region(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ServiceEndpointError {}

/// A service's endpoint as the AWS SDKs pick it: `AWS_ENDPOINT_URL_<SERVICE>`, then
/// `AWS_ENDPOINT_URL` (both ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else
/// `https://<label>.<region>.<partition's DNS suffix>/`, where `label` is `labels.0`, or
/// `labels.1` for FIPS (`eks`/`fips.eks`, `ec2`/`ec2-fips`). `service` is the SDK's
/// service id in lower case (`eks`, `ec2`). The one rule for the calls this crate signs
/// itself (EKS DescribeCluster, EC2 DescribeInstances).
pub fn service_endpoint(
    service: &str,
    labels: (&str, &str),
    region: &str,
    flavour: crate::partition::EndpointFlavour,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Uri, ServiceEndpointError> {
    let ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let specific = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
    let configured = if ignore {
        None
    } else {
        [specific.as_str(), "AWS_ENDPOINT_URL"]
            .into_iter()
            .find_map(|name| {
                env(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (name, v))
            })
    };
    if let Some((name, url)) = configured {
        let uri: Uri = url.trim().parse().map_err(|e| {
            ServiceEndpointError::Configured(format!("{name} {url:?} is not a URL: {e}"))
        })?;
        if uri.scheme().is_none() || uri.authority().is_none() {
            return Err(ServiceEndpointError::Configured(format!(
                "{name} {url:?} is not an absolute URL such as https://{service}.example.com"
            )));
        }
        return Ok(uri);
    }
    // The partition's DNS suffix, from the SDK's STS endpoint rules (the same partition
    // table): `sts.<region>.<suffix>`.
    let sts = crate::partition::sts_host(region, crate::partition::EndpointFlavour::default())
        .map_err(ServiceEndpointError::Region)?;
    let suffix = sts
        .strip_prefix(&format!("sts.{region}."))
        .unwrap_or("amazonaws.com");
    let label = if flavour.fips { labels.1 } else { labels.0 };
    let url = format!("https://{label}.{region}.{suffix}/");
    url.parse().map_err(|e| {
        ServiceEndpointError::Invalid(format!(
            "invalid {} endpoint {url}: {e}",
            service.to_ascii_uppercase()
        ))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn routed(https_proxy: &str, no_proxy: &str) -> RoutedConnector {
        let tls = TlsContext::builder().build().unwrap();
        RoutedConnector::new(
            &tls,
            ProxyConfig::from_values("", https_proxy, no_proxy, false),
            HttpConnectorSettings::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(5))
                .build(),
            None,
        )
    }

    fn route(connector: &RoutedConnector, url: &str) -> Result<Route, String> {
        connector.route(&url.parse().unwrap())
    }

    fn proxy(url: &str) -> Result<Route, String> {
        Ok(Route::Proxy(url.parse().unwrap()))
    }

    #[test]
    fn routes_follow_go_rules() {
        let c = routed("http://proxy.corp:3128", "");
        // STS and EC2 through the proxy; loopback and `localhost` never.
        assert_eq!(
            route(
                &c,
                "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity"
            ),
            proxy("http://proxy.corp:3128")
        );
        assert_eq!(
            route(&c, "https://ec2.eu-west-1.amazonaws.com/"),
            proxy("http://proxy.corp:3128")
        );
        for local in [
            "https://127.0.0.1:6443/",
            "https://127.1.2.3/",
            "https://localhost:6443/",
            "https://[::1]:443/",
        ] {
            assert_eq!(route(&c, local), Ok(Route::Direct), "{local}");
        }
        // `http` targets use HTTP_PROXY, which is unset here.
        assert_eq!(route(&c, "http://sts.amazonaws.com/"), Ok(Route::Direct));

        // NO_PROXY: domains and their subdomains, `.domain`, CIDRs, ports, `*`.
        let c = routed(
            "proxy.corp:3128",
            "amazonaws.com.cn, .internal ,10.0.0.0/8,api.example.test:8443",
        );
        assert_eq!(
            route(&c, "https://sts.cn-north-1.amazonaws.com.cn/"),
            Ok(Route::Direct)
        );
        assert_eq!(route(&c, "https://amazonaws.com.cn/"), Ok(Route::Direct));
        assert_eq!(route(&c, "https://a.internal/"), Ok(Route::Direct));
        assert_eq!(
            route(&c, "https://internal/"),
            proxy("http://proxy.corp:3128")
        );
        assert_eq!(route(&c, "https://10.1.2.3/"), Ok(Route::Direct));
        assert_eq!(
            route(&c, "https://11.1.2.3/"),
            proxy("http://proxy.corp:3128")
        );
        assert_eq!(
            route(&c, "https://api.example.test:8443/"),
            Ok(Route::Direct)
        );
        assert_eq!(
            route(&c, "https://api.example.test/"),
            proxy("http://proxy.corp:3128")
        );
        let c = routed("http://proxy.corp:3128", "*");
        assert_eq!(route(&c, "https://sts.amazonaws.com/"), Ok(Route::Direct));
    }

    #[test]
    fn unsupported_or_broken_proxies_fail_the_request_clearly() {
        let c = routed("socks5://127.0.0.1:1080", "");
        let err = route(&c, "https://sts.amazonaws.com/").unwrap_err();
        assert!(
            err.starts_with("HTTPS_PROXY names a socks5 proxy, which is not supported"),
            "{err}"
        );
        // Loopback still works: the proxy is never consulted for it.
        assert_eq!(route(&c, "https://127.0.0.1/"), Ok(Route::Direct));

        let c = routed("http://proxy:port", "");
        let err = route(&c, "https://sts.amazonaws.com/").unwrap_err();
        assert!(
            err.starts_with("HTTPS_PROXY=\"http://proxy:port\""),
            "{err}"
        );
    }

    #[cfg(feature = "server")]
    fn get(url: &str) -> HttpRequest {
        HttpRequest::try_from(
            http::Request::builder()
                .uri(url)
                .body(aws_smithy_types::body::SdkBody::empty())
                .unwrap(),
        )
        .unwrap()
    }

    #[cfg(feature = "server")]
    #[tokio::test]
    async fn requests_go_through_the_proxy_only_when_the_rules_say_so() {
        use crate::kube_client::test_support::*;
        let cert = self_signed(
            &[
                "sts.us-west-2.amazonaws.com",
                "sts.eu-west-1.amazonaws.com",
                "localhost",
            ],
            false,
        );
        let sts = tls_server(&cert, "{}").await;
        let (proxy, seen) = recording_proxy(sts).await;
        let trusting = TlsContext::builder()
            .with_trust_store(TrustStore::empty().with_pem_certificate(cert.pem.as_bytes()))
            .build()
            .unwrap();
        let c = RoutedConnector::new(
            &trusting,
            ProxyConfig::from_values("", &format!("http://127.0.0.1:{proxy}"), "", false),
            HttpConnectorSettings::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(10))
                .build(),
            None,
        );
        // Through the proxy (which tunnels to the stand-in STS).
        let answer = c
            .call(get(
                "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity",
            ))
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        assert_eq!(
            *seen.lock().unwrap(),
            vec!["CONNECT sts.us-west-2.amazonaws.com:443".to_string()]
        );
        // Direct to localhost: same server, and the proxy sees nothing new.
        let answer = c
            .call(get(&format!("https://localhost:{sts}/")))
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        assert_eq!(seen.lock().unwrap().len(), 1);

        // Credentials in the proxy URL are sent to the proxy.
        let c = RoutedConnector::new(
            &trusting,
            ProxyConfig::from_values(
                "",
                &format!("http://user:secret@127.0.0.1:{proxy}"),
                "",
                false,
            ),
            HttpConnectorSettings::builder().build(),
            None,
        );
        let answer = c
            .call(get("https://sts.eu-west-1.amazonaws.com/"))
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        // base64("user:secret")
        assert_eq!(
            seen.lock().unwrap().last().cloned(),
            Some("CONNECT sts.eu-west-1.amazonaws.com:443 [Basic dXNlcjpzZWNyZXQ=]".to_string())
        );
    }

    #[cfg(feature = "server")]
    #[tokio::test]
    async fn tls_failures_name_their_reason() {
        use crate::kube_client::test_support::*;
        let untrusted = self_signed(&["localhost"], false);
        let port = tls_server(&untrusted, "{}").await;
        // Trusting another authority only, so the machine's own store plays no part.
        let other_ca = self_signed(&["other CA"], true);
        let c = RoutedConnector::new(
            &TlsContext::builder()
                .with_trust_store(TrustStore::empty().with_pem_certificate(other_ca.pem.as_bytes()))
                .build()
                .unwrap(),
            Ok(ProxyConfig::default()),
            HttpConnectorSettings::builder().build(),
            None,
        );
        let err = c
            .call(get(&format!("https://localhost:{port}/")))
            .await
            .unwrap_err();
        let text = error_chain(&err);
        assert!(
            text.contains(&format!(
                "TLS handshake with localhost:{port} failed: certificate signed by unknown authority"
            )),
            "{text}"
        );
        assert!(err.is_io() || err.as_other().is_some() || err.is_user() || err.is_timeout());

        // Trusted, but for another name.
        let other = self_signed(&["sts.amazonaws.com"], false);
        let port = tls_server(&other, "{}").await;
        let trusting = TlsContext::builder()
            .with_trust_store(TrustStore::empty().with_pem_certificate(other.pem.as_bytes()))
            .build()
            .unwrap();
        let c = RoutedConnector::new(
            &trusting,
            Ok(ProxyConfig::default()),
            HttpConnectorSettings::builder().build(),
            None,
        );
        let err = c
            .call(get(&format!("https://127.0.0.1:{port}/")))
            .await
            .unwrap_err();
        let text = error_chain(&err);
        assert!(
            text.contains("certificate is valid for sts.amazonaws.com, not 127.0.0.1"),
            "{text}"
        );
    }
}
