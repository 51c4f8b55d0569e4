//! The serving certificate as a rustls server configuration: ring, TLS 1.2 and 1.3,
//! ALPN `h2` and `http/1.1`, no session resumption. The listeners that use it are in
//! [`super::serve`].

use std::fmt;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::init::CertPair;

// Former paths of what moved to `serve` and `shutdown`.
#[doc(hidden)]
pub use super::serve::{Limits, serve_plain, serve_tls};
#[doc(hidden)]
pub use super::shutdown::shutdown_signal;

/// Why a PEM pair does not make a rustls server configuration.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The certificate PEM does not parse.
    CertificatePem(rustls_pki_types::pem::Error),
    /// The private key PEM does not parse.
    PrivateKeyPem(rustls_pki_types::pem::Error),
    /// The provider does not offer TLS 1.2/1.3.
    Protocol(rustls::Error),
    /// rustls refused the certificate with this key.
    KeyMismatch(rustls::Error),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsConfigError::CertificatePem(e) => write!(f, "invalid certificate PEM: {e}"),
            TlsConfigError::PrivateKeyPem(e) => write!(f, "invalid private key PEM: {e}"),
            TlsConfigError::Protocol(e) => e.fmt(f),
            TlsConfigError::KeyMismatch(e) => write!(f, "certificate and key do not match: {e}"),
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsConfigError::CertificatePem(e) | TlsConfigError::PrivateKeyPem(e) => Some(e),
            TlsConfigError::Protocol(e) | TlsConfigError::KeyMismatch(e) => Some(e),
        }
    }
}

/// Builds the rustls server configuration from a PEM pair.
pub fn server_config(pair: &CertPair) -> Result<ServerConfig, TlsConfigError> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pair.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(TlsConfigError::CertificatePem)?;
    let key = PrivateKeyDer::from_pem_slice(pair.key_pem.as_bytes())
        .map_err(TlsConfigError::PrivateKeyPem)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsConfigError::Protocol)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(TlsConfigError::KeyMismatch)?;
    // The protocol of each connection is this negotiation's result (`serve` never sniffs).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // No session resumption: kube-apiserver keeps its connections open, so resumption
    // saves little, while a session cache and tickets are memory and work that any
    // client can make the server spend per connection.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(config)
}
