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

/// Local servers for the transport tests of this module and of [`crate::aws_http`]: a
/// TLS server answering every request with a fixed body, and a `CONNECT` proxy that
/// records each target and tunnels to one fixed address.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod test_support {
    use std::sync::{Arc, Mutex};

    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// A certificate for `names` (self-signed; `ca` makes it `CA:TRUE`, as `openssl req
    /// -x509` and upstream's `init` do) and its key, both DER.
    pub struct Cert {
        pub der: Vec<u8>,
        pub pem: String,
        key: Vec<u8>,
    }

    pub fn self_signed(names: &[&str], ca: bool) -> Cert {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("test"));
        if ca {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Cert {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            key: key.serialize_der(),
        }
    }

    /// Serves TLS with `cert` on 127.0.0.1; every request gets `200` and `body`.
    pub async fn tls_server(cert: &Cert, body: &'static str) -> u16 {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls_pki_types::CertificateDer::from(cert.der.clone())],
            rustls_pki_types::PrivatePkcs8KeyDer::from(cert.key.clone()).into(),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(answer.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        port
    }

    /// A `CONNECT` proxy on 127.0.0.1 that records each request line's target and
    /// tunnels every one of them to 127.0.0.1:`backend`.
    pub async fn recording_proxy(backend: u16) -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match client.read(&mut byte).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => head.push(byte[0]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let line = head.lines().next().unwrap_or("");
                    let mut target = line.split(' ').take(2).collect::<Vec<_>>().join(" ");
                    // Credentials, when sent, are part of the record.
                    if let Some(auth) = head.lines().find_map(|l| {
                        l.to_ascii_lowercase()
                            .starts_with("proxy-authorization:")
                            .then(|| l["proxy-authorization:".len()..].trim().to_owned())
                    }) {
                        target.push_str(&format!(" [{auth}]"));
                    }
                    record.lock().unwrap().push(target);
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", backend)).await else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                        return;
                    };
                    let _ = client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        (port, seen)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::test_support::*;
    use super::*;

    const VERSION: &str = r#"{"major":"1","minor":"34"}"#;

    fn config(url: &str, ca: Option<&Cert>) -> kube::Config {
        let mut config = kube::Config::new(url.parse().unwrap());
        config.root_cert = ca.map(|c| vec![c.der.clone()]);
        config
    }

    fn https_proxy(port: u16) -> ProxyConfig {
        ProxyConfig::from_values("", &format!("http://127.0.0.1:{port}"), "", false).unwrap()
    }

    async fn get_version(client: &kube::Client) -> Result<String, kube::Error> {
        client
            .request_text(http::Request::get("/version").body(Vec::new()).unwrap())
            .await
    }

    #[tokio::test]
    async fn loopback_api_server_is_never_proxied_and_its_own_ca_certificate_is_trusted() {
        // The API server's certificate is self-signed CA:TRUE and is the kubeconfig's
        // certificate-authority; HTTPS_PROXY is set, NO_PROXY is not.
        let cert = self_signed(&["localhost", "127.0.0.1"], true);
        let api = tls_server(&cert, VERSION).await;
        let (proxy, seen) = recording_proxy(api).await;
        for host in ["127.0.0.1", "localhost"] {
            let url = format!("https://{host}:{api}");
            let client =
                client_with_proxies(config(&url, Some(&cert)), None, &https_proxy(proxy)).unwrap();
            assert_eq!(get_version(&client).await.unwrap(), VERSION, "{url}");
        }
        assert!(
            seen.lock().unwrap().is_empty(),
            "{:?}",
            seen.lock().unwrap()
        );
    }

    #[tokio::test]
    async fn remote_api_server_goes_through_the_proxy_and_a_kubeconfig_proxy_url_wins() {
        let cert = self_signed(&["api.example.test"], false);
        let api = tls_server(&cert, VERSION).await;
        let (proxy, seen) = recording_proxy(api).await;
        let client = client_with_proxies(
            config("https://api.example.test:6443", Some(&cert)),
            None,
            &https_proxy(proxy),
        )
        .unwrap();
        assert_eq!(get_version(&client).await.unwrap(), VERSION);
        assert_eq!(
            *seen.lock().unwrap(),
            vec!["CONNECT api.example.test:6443".to_string()]
        );

        // NO_PROXY sends it direct (and here, direct cannot resolve the name).
        let no_proxy = ProxyConfig::from_values(
            "",
            &format!("http://127.0.0.1:{proxy}"),
            ".example.test",
            false,
        )
        .unwrap();
        let client = client_with_proxies(
            config("https://api.example.test:6443", Some(&cert)),
            None,
            &no_proxy,
        )
        .unwrap();
        assert!(get_version(&client).await.is_err());
        assert_eq!(seen.lock().unwrap().len(), 1);

        // A kubeconfig proxy-url applies even to loopback, as in client-go.
        let local = self_signed(&["127.0.0.1"], true);
        let api_local = tls_server(&local, VERSION).await;
        let (explicit, explicit_seen) = recording_proxy(api_local).await;
        let client = client_with_proxies(
            config(&format!("https://127.0.0.1:{api_local}"), Some(&local)),
            Some(format!("http://127.0.0.1:{explicit}").parse().unwrap()),
            &ProxyConfig::default(),
        )
        .unwrap();
        assert_eq!(get_version(&client).await.unwrap(), VERSION);
        assert_eq!(
            *explicit_seen.lock().unwrap(),
            vec![format!("CONNECT 127.0.0.1:{api_local}")]
        );
    }

    #[tokio::test]
    async fn tls_failures_name_their_reason() {
        let configured = self_signed(&["localhost"], true);
        let presented = self_signed(&["localhost"], true);
        let api = tls_server(&presented, VERSION).await;
        let client = client_with_proxies(
            config(&format!("https://localhost:{api}"), Some(&configured)),
            None,
            &ProxyConfig::default(),
        )
        .unwrap();
        let err = get_version(&client).await.unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "TLS handshake with localhost:{api} failed: certificate signed by unknown authority"
            )),
            "{err}"
        );

        let other_name = self_signed(&["api.example.test"], false);
        let api = tls_server(&other_name, VERSION).await;
        let client = client_with_proxies(
            config(&format!("https://127.0.0.1:{api}"), Some(&other_name)),
            None,
            &ProxyConfig::default(),
        )
        .unwrap();
        let err = get_version(&client).await.unwrap_err().to_string();
        assert!(
            err.contains("certificate is valid for api.example.test, not 127.0.0.1"),
            "{err}"
        );

        // Not TLS at all: the connection error's cause, not a bare "client error (Connect)".
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let client = client_with_proxies(
            config(&format!("https://127.0.0.1:{port}"), Some(&other_name)),
            None,
            &ProxyConfig::default(),
        )
        .unwrap();
        let err = get_version(&client).await.unwrap_err().to_string();
        assert!(err.contains("refused"), "{err}");
    }

    #[tokio::test]
    async fn proxy_credentials_are_sent_decoded() {
        let cert = self_signed(&["api.example.test"], false);
        let api = tls_server(&cert, VERSION).await;
        let (proxy, seen) = recording_proxy(api).await;
        let proxies = ProxyConfig::from_values(
            "",
            &format!("http://user:p%40ss@127.0.0.1:{proxy}"),
            "",
            false,
        )
        .unwrap();
        let client = client_with_proxies(
            config("https://api.example.test:6443", Some(&cert)),
            None,
            &proxies,
        )
        .unwrap();
        assert_eq!(get_version(&client).await.unwrap(), VERSION);
        // base64("user:p@ss")
        assert_eq!(
            *seen.lock().unwrap(),
            vec!["CONNECT api.example.test:6443 [Basic dXNlcjpwQHNz]".to_string()]
        );
    }

    #[test]
    fn unsupported_proxy_schemes_are_refused_clearly() {
        let socks = ProxyConfig::from_values("", "socks5://127.0.0.1:1080", "", false).unwrap();
        let Err(err) = client_with_proxies(config("https://api.example.test", None), None, &socks)
        else {
            panic!("a socks5 proxy must be refused");
        };
        assert!(
            err.contains("socks5 proxy, which is not supported"),
            "{err}"
        );
    }

    #[test]
    fn kubeconfig_proxy_url_follows_the_context() {
        let kubeconfig = kube::config::Kubeconfig::from_yaml(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster:\n    server: https://a\n    proxy-url: http://proxy-a:3128\n\
             - name: b\n  cluster:\n    server: https://b\ncontexts:\n- name: ctx-a\n  context:\n    cluster: a\n- name: ctx-b\n  context:\n    cluster: b\ncurrent-context: ctx-b\n",
        )
        .unwrap();
        assert_eq!(kubeconfig_proxy_url(&kubeconfig, None).unwrap(), None);
        assert_eq!(
            kubeconfig_proxy_url(&kubeconfig, Some("ctx-a"))
                .unwrap()
                .map(|u| u.to_string()),
            Some("http://proxy-a:3128/".to_string())
        );
    }
}
