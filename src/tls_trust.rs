//! Trusting a kubeconfig `certificate-authority` that is the API server's own certificate,
//! the way client-go (Go's `crypto/x509`) does.
//!
//! # Why
//!
//! Upstream's `init` (and ours, [`crate::server::init`]) writes a self-signed `CA:TRUE`
//! certificate that serves TLS *and* is the `certificate-authority` of the webhook
//! kubeconfig; clusters set up by hand often do the same for their API server. Go's
//! verifier accepts a leaf certificate that is itself in the root pool (the chain is
//! just that one certificate), checking the host name, the validity period and the
//! extended key usage. webpki, under rustls, treats trust anchors only as issuers and
//! refuses such a certificate with `CaUsedAsEndEntity`. To connect wherever upstream
//! connects, [`AnchorOrWebPkiVerifier`] first asks rustls's ordinary
//! [`WebPkiServerVerifier`]; only when that fails *and* the presented end-entity
//! certificate is byte-for-byte one of the configured anchors does it accept, after
//! checking the server name (rustls's [`verify_server_name`]), the validity period and
//! the extended key usage (server authentication or any, when the extension is present).
//! Intermediates are ignored in that case, and the handshake signatures are always
//! checked by webpki. Nothing else is accepted that webpki would refuse.
//!
//! [`describe`] turns the resulting rustls error into a sentence for logs and CLI errors
//! (unknown issuer, name mismatch with the names, expired, CA used as end entity, ...).
//!
//! # Where it is used
//!
//! * `crate::kube_client` installs [`AnchorOrWebPkiVerifier`] for a kubeconfig's
//!   `certificate-authority` (not in-cluster, where the service-account CA signs the API
//!   server's certificate and kube-rs re-reads it on rotation) and words transport
//!   failures with [`describe_error_chain`];
//! * `crate::aws_http::RoutedConnector` puts [`describe_error_chain`]'s reason in front of
//!   every TLS failure to STS, EC2 or another AWS endpoint.
use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{VerifierBuilderError, WebPkiServerVerifier, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Why a verifier could not be built from the configured certificates.
#[derive(Debug)]
pub enum TrustError {
    /// No certificate authority was given.
    NoRoots,
    /// One configured certificate is not a usable trust anchor.
    BadRoot {
        /// Its position in the list, from 0.
        index: usize,
        /// rustls's reason.
        error: rustls::Error,
    },
    /// rustls refused to build the verifier or the client configuration.
    Build(String),
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRoots => write!(f, "no certificate authority configured"),
            Self::BadRoot { index, error } => write!(
                f,
                "certificate authority #{} is not a usable trust anchor: {}",
                index + 1,
                describe(error)
            ),
            Self::Build(reason) => write!(f, "cannot build the TLS verifier: {reason}"),
        }
    }
}

impl std::error::Error for TrustError {}

impl From<VerifierBuilderError> for TrustError {
    fn from(e: VerifierBuilderError) -> Self {
        Self::Build(e.to_string())
    }
}

/// A server-certificate verifier that is webpki plus Go's "the leaf is itself a root".
#[derive(Debug)]
pub struct AnchorOrWebPkiVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    anchors: Vec<CertificateDer<'static>>,
}

impl AnchorOrWebPkiVerifier {
    /// A verifier trusting `roots` (DER), with `provider`'s signature algorithms.
    pub fn new(
        roots: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, TrustError> {
        if roots.is_empty() {
            return Err(TrustError::NoRoots);
        }
        let mut store = RootCertStore::empty();
        for (index, root) in roots.iter().enumerate() {
            store
                .add(root.clone())
                .map_err(|error| TrustError::BadRoot { index, error })?;
        }
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider).build()?;
        Ok(Self {
            webpki,
            anchors: roots,
        })
    }

    /// Go's acceptance of a leaf that is one of the roots: name, validity, key usage.
    fn verify_anchor_as_leaf(
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let parsed = ParsedCertificate::try_from(end_entity)?;
        verify_server_name(&parsed, server_name)?;
        let facts = CertFacts::parse(end_entity.as_ref()).ok_or(
            rustls::Error::InvalidCertificate(CertificateError::BadEncoding),
        )?;
        let at = |secs: i64| {
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs.max(0) as u64))
        };
        let now_secs = now.as_secs() as i64;
        if now_secs < facts.not_before {
            return Err(CertificateError::NotValidYetContext {
                time: now,
                not_before: at(facts.not_before),
            }
            .into());
        }
        if now_secs > facts.not_after {
            return Err(CertificateError::ExpiredContext {
                time: now,
                not_after: at(facts.not_after),
            }
            .into());
        }
        if !facts.server_auth_allowed {
            return Err(CertificateError::InvalidPurpose.into());
        }
        Ok(())
    }
}

impl ServerCertVerifier for AnchorOrWebPkiVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let webpki_error = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(e) => e,
        };
        if !self
            .anchors
            .iter()
            .any(|anchor| anchor.as_ref() == end_entity.as_ref())
        {
            return Err(webpki_error);
        }
        Self::verify_anchor_as_leaf(end_entity, server_name, now)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A rustls client configuration (safe default protocol versions, no client certificate)
/// trusting `roots` through [`AnchorOrWebPkiVerifier`].
pub fn client_config(
    roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
) -> Result<ClientConfig, TrustError> {
    let verifier = AnchorOrWebPkiVerifier::new(roots, provider.clone())?;
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TrustError::Build(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// A one-line human reason for a rustls error, worded for someone fixing a kubeconfig
/// or a server certificate.
pub fn describe(error: &rustls::Error) -> String {
    let rustls::Error::InvalidCertificate(cert_error) = error else {
        return error.to_string();
    };
    match cert_error {
        CertificateError::UnknownIssuer => {
            "certificate signed by unknown authority: it is not, and is not issued by, a \
             configured certificate authority"
                .to_owned()
        }
        CertificateError::NotValidForName => {
            "certificate is not valid for the server name".to_owned()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let expected = server_name_text(expected);
            if presented.is_empty() {
                format!(
                    "certificate is not valid for {expected}: it has no subject alternative names"
                )
            } else {
                let presented: Vec<&str> = presented.iter().map(|n| presented_name(n)).collect();
                format!(
                    "certificate is valid for {}, not {expected}",
                    presented.join(", ")
                )
            }
        }
        CertificateError::Expired => "certificate has expired".to_owned(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "certificate has expired: valid until {}, now {}",
            rfc3339(*not_after),
            rfc3339(*time)
        ),
        CertificateError::NotValidYet => "certificate is not valid yet".to_owned(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "certificate is not valid yet: valid from {}, now {}",
            rfc3339(*not_before),
            rfc3339(*time)
        ),
        CertificateError::BadSignature => "certificate signature is invalid".to_owned(),
        CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "certificate signed by unknown authority: a configured certificate authority has \
             the issuer's name but a different kind of key"
                .to_owned()
        }
        CertificateError::UnsupportedSignatureAlgorithmContext { .. } => {
            "certificate is signed with an unsupported signature algorithm".to_owned()
        }
        CertificateError::BadEncoding => "certificate is malformed".to_owned(),
        CertificateError::Revoked => "certificate is revoked".to_owned(),
        CertificateError::UnhandledCriticalExtension => {
            "certificate has a critical extension that is not understood".to_owned()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "certificate is not for server authentication (extended key usage)".to_owned()
        }
        CertificateError::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => {
            "certificate signed by unknown authority: the server presented a CA certificate \
             (CA:TRUE) as its own certificate, and it is not itself a configured certificate \
             authority"
                .to_owned()
        }
        other => format!("certificate rejected: {other}"),
    }
}

/// [`describe`] for the first rustls error found in `error`'s source chain (looking
/// inside `std::io::Error`s, as TLS streams and hyper wrap it), if any.
pub fn describe_error_chain(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(describe(tls));
        }
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// A name as webpki reports it (`DnsName("a.b")`, `IpAddress(10.0.0.1)`), unwrapped.
fn presented_name(name: &str) -> &str {
    name.strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| {
            name.strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'))
        })
        .unwrap_or(name)
}

fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(dns) => dns.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

fn rfc3339(time: UnixTime) -> String {
    let secs = i64::try_from(time.as_secs()).unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{secs} s after the epoch"))
}

/// What the anchor-as-leaf check needs from a certificate that webpki does not expose:
/// the validity period (Unix seconds) and whether the extended key usage allows server
/// authentication (no extension, `serverAuth` or `anyExtendedKeyUsage`).
struct CertFacts {
    not_before: i64,
    not_after: i64,
    server_auth_allowed: bool,
}

impl CertFacts {
    /// Reads an X.509 certificate's DER (already parsed once by webpki, so only the
    /// fields used here are checked).
    fn parse(der: &[u8]) -> Option<Self> {
        const SEQUENCE: u8 = 0x30;
        // id-ce-extKeyUsage, id-kp-serverAuth, anyExtendedKeyUsage (content octets).
        const EKU: &[u8] = &[0x55, 0x1d, 0x25];
        const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
        const ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

        let mut input = der;
        let mut cert = expect(&mut input, SEQUENCE)?;
        let mut tbs = expect(&mut cert, SEQUENCE)?;
        if tbs.first() == Some(&0xa0) {
            tlv(&mut tbs)?; // version
        }
        tlv(&mut tbs)?; // serialNumber
        tlv(&mut tbs)?; // signature
        tlv(&mut tbs)?; // issuer
        let mut validity = expect(&mut tbs, SEQUENCE)?;
        let not_before = der_time(tlv(&mut validity)?)?;
        let not_after = der_time(tlv(&mut validity)?)?;
        let mut server_auth_allowed = true;
        while !tbs.is_empty() {
            let (tag, mut value) = tlv(&mut tbs)?;
            if tag != 0xa3 {
                continue; // subject, subjectPublicKeyInfo, unique identifiers
            }
            let mut extensions = expect(&mut value, SEQUENCE)?;
            while !extensions.is_empty() {
                let mut extension = expect(&mut extensions, SEQUENCE)?;
                let oid = expect(&mut extension, 0x06)?;
                if oid != EKU {
                    continue;
                }
                if extension.first() == Some(&0x01) {
                    tlv(&mut extension)?; // critical
                }
                let mut octets = expect(&mut extension, 0x04)?;
                let mut purposes = expect(&mut octets, SEQUENCE)?;
                server_auth_allowed = false;
                while !purposes.is_empty() {
                    let purpose = expect(&mut purposes, 0x06)?;
                    if purpose == SERVER_AUTH || purpose == ANY {
                        server_auth_allowed = true;
                    }
                }
            }
        }
        Some(Self {
            not_before,
            not_after,
            server_auth_allowed,
        })
    }
}

/// One DER tag-length-value from the front of `input`: the tag and the value.
fn tlv<'a>(input: &mut &'a [u8]) -> Option<(u8, &'a [u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, after) = rest.split_at_checked(count)?;
        rest = after;
        bytes
            .iter()
            .fold(0usize, |len, &b| len << 8 | usize::from(b))
    };
    let (value, after) = rest.split_at_checked(len)?;
    *input = after;
    Some((tag, value))
}

/// The value of the next TLV if it has tag `want`.
fn expect<'a>(input: &mut &'a [u8], want: u8) -> Option<&'a [u8]> {
    let (tag, value) = tlv(input)?;
    (tag == want).then_some(value)
}

/// An X.509 `Time` (UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`) as
/// Unix seconds.
fn der_time((tag, value): (u8, &[u8])) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy: i32 = digits[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &digits[2..])
        }
        (0x18, 14) => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let field = |i: usize| rest[i..i + 2].parse::<u8>().ok();
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(field(0)?).ok()?, field(2)?)
            .ok()?;
    let clock = time::Time::from_hms(field(4)?, field(6)?, field(8)?).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    use rustls::{ClientConnection, Connection, ServerConfig, ServerConnection};
    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use time::{Duration, OffsetDateTime};

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    struct Generated {
        der: CertificateDer<'static>,
        key: KeyPair,
        params: CertificateParams,
    }

    fn params(common_name: &str, names: &[&str], ca: bool) -> CertificateParams {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        params.distinguished_name = dn;
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(30);
        if ca {
            // As `server::init` writes it: CA:TRUE, also the serving certificate.
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![
                KeyUsagePurpose::KeyEncipherment,
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyCertSign,
            ];
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params
    }

    fn self_signed(params: CertificateParams) -> Generated {
        let key = KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().clone();
        Generated { der, key, params }
    }

    fn signed_by(params: CertificateParams, issuer: &Generated) -> Generated {
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&issuer.params, &issuer.key);
        let der = params.signed_by(&key, &issuer).unwrap().der().clone();
        Generated { der, key, params }
    }

    fn key_der(key: &KeyPair) -> PrivateKeyDer<'static> {
        PrivatePkcs8KeyDer::from(key.serialize_der()).into()
    }

    /// A full handshake in memory; the client's error if it refuses the server.
    fn handshake_with(
        client_config: ClientConfig,
        chain: Vec<CertificateDer<'static>>,
        key: &KeyPair,
        server_name: &str,
    ) -> Result<(), rustls::Error> {
        let server_config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key_der(key))
            .unwrap();
        let name = ServerName::try_from(server_name.to_owned()).unwrap();
        let mut client =
            Connection::from(ClientConnection::new(Arc::new(client_config), name).unwrap());
        let mut server = Connection::from(ServerConnection::new(Arc::new(server_config)).unwrap());
        fn transfer(from: &mut Connection, to: &mut Connection) -> Result<(), rustls::Error> {
            let mut wire = Vec::new();
            while from.wants_write() {
                from.write_tls(&mut wire).unwrap();
            }
            let mut pending = &wire[..];
            while !pending.is_empty() {
                to.read_tls(&mut pending).unwrap();
            }
            to.process_new_packets().map(drop)
        }
        for _ in 0..10 {
            transfer(&mut client, &mut server).expect("server side of the handshake");
            transfer(&mut server, &mut client)?;
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("handshake did not finish");
    }

    fn handshake(
        roots: &[&Generated],
        chain: &[&Generated],
        server_name: &str,
    ) -> Result<(), rustls::Error> {
        let roots = roots.iter().map(|g| g.der.clone()).collect();
        let config = client_config(roots, provider()).unwrap();
        let chain_der = chain.iter().map(|g| g.der.clone()).collect();
        handshake_with(config, chain_der, &chain[0].key, server_name)
    }

    #[test]
    fn ca_and_leaf_are_accepted() {
        let ca = self_signed(params("test CA", &[], true));
        let leaf = signed_by(params("server", &["api.example.test"], false), &ca);
        handshake(&[&ca], &[&leaf], "api.example.test").unwrap();
        // With the CA sent along as an intermediate too.
        handshake(&[&ca], &[&leaf, &ca], "api.example.test").unwrap();
    }

    #[test]
    fn self_signed_ca_that_is_the_anchor_is_accepted() {
        let server = self_signed(params("aws-iam-authenticator", &["localhost"], true));
        handshake(&[&server], &[&server], "localhost").unwrap();
        // Among other anchors, and over TLS 1.2 (whose signature check is webpki's).
        let other = self_signed(params("other CA", &[], true));
        let config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(
                AnchorOrWebPkiVerifier::new(
                    vec![other.der.clone(), server.der.clone()],
                    provider(),
                )
                .unwrap(),
            ))
            .with_no_client_auth();
        handshake_with(config, vec![server.der.clone()], &server.key, "localhost").unwrap();
    }

    #[test]
    fn plain_webpki_refuses_what_the_anchor_rule_accepts() {
        // The case this module exists for: without it, rustls says CaUsedAsEndEntity.
        let server = self_signed(params("aws-iam-authenticator", &["localhost"], true));
        let mut roots = RootCertStore::empty();
        roots.add(server.der.clone()).unwrap();
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let err =
            handshake_with(config, vec![server.der.clone()], &server.key, "localhost").unwrap_err();
        assert!(describe(&err).contains("CA certificate (CA:TRUE)"), "{err}");
    }

    #[test]
    fn anchor_with_wrong_server_name_is_refused() {
        let server = self_signed(params("aws-iam-authenticator", &["localhost"], true));
        let err = handshake(&[&server], &[&server], "api.example.test").unwrap_err();
        assert_eq!(
            describe(&err),
            "certificate is valid for localhost, not api.example.test"
        );
    }

    #[test]
    fn expired_anchor_is_refused() {
        let mut expired = params("aws-iam-authenticator", &["localhost"], true);
        let now = OffsetDateTime::now_utc();
        expired.not_before = now - Duration::days(10);
        expired.not_after = now - Duration::days(1);
        let server = self_signed(expired);
        let err = handshake(&[&server], &[&server], "localhost").unwrap_err();
        let reason = describe(&err);
        assert!(
            reason.starts_with("certificate has expired: valid until "),
            "{reason}"
        );
    }

    #[test]
    fn not_yet_valid_anchor_is_refused() {
        let mut future = params("aws-iam-authenticator", &["localhost"], true);
        let now = OffsetDateTime::now_utc();
        future.not_before = now + Duration::days(1);
        future.not_after = now + Duration::days(10);
        let server = self_signed(future);
        let err = handshake(&[&server], &[&server], "localhost").unwrap_err();
        assert!(
            describe(&err).starts_with("certificate is not valid yet"),
            "{err}"
        );
    }

    #[test]
    fn anchor_without_server_auth_usage_is_refused() {
        let mut client_only = params("aws-iam-authenticator", &["localhost"], true);
        client_only.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let server = self_signed(client_only);
        let err = handshake(&[&server], &[&server], "localhost").unwrap_err();
        assert!(describe(&err).contains("server authentication"), "{err}");
    }

    #[test]
    fn different_self_signed_certificate_is_refused() {
        let configured = self_signed(params("configured", &["localhost"], true));
        let presented = self_signed(params("presented", &["localhost"], true));
        let err = handshake(&[&configured], &[&presented], "localhost").unwrap_err();
        assert!(
            describe(&err).starts_with("certificate signed by unknown authority"),
            "{err}"
        );
        // A self-signed certificate that is not a CA: webpki's plain unknown issuer.
        let not_ca = self_signed(params("presented", &["localhost"], false));
        let err = handshake(&[&configured], &[&not_ca], "localhost").unwrap_err();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        );
        assert!(
            describe(&err).starts_with("certificate signed by unknown authority"),
            "{err}"
        );
        // The same subject as the anchor (a regenerated certificate) is refused as well.
        let regenerated = self_signed(params("configured", &["localhost"], true));
        assert!(handshake(&[&configured], &[&regenerated], "localhost").is_err());
    }

    #[test]
    fn leaf_of_untrusted_ca_is_refused() {
        let trusted = self_signed(params("trusted CA", &[], true));
        let untrusted = self_signed(params("untrusted CA", &[], true));
        let leaf = signed_by(params("server", &["api.example.test"], false), &untrusted);
        let err = handshake(&[&trusted], &[&leaf, &untrusted], "api.example.test").unwrap_err();
        assert!(
            describe(&err).starts_with("certificate signed by unknown authority"),
            "{err}"
        );
    }

    #[test]
    fn building_without_roots_or_with_garbage_fails() {
        assert!(matches!(
            AnchorOrWebPkiVerifier::new(vec![], provider()),
            Err(TrustError::NoRoots)
        ));
        let err =
            AnchorOrWebPkiVerifier::new(vec![CertificateDer::from(vec![1, 2, 3])], provider())
                .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("certificate authority #1 is not"),
            "{err}"
        );
    }

    #[test]
    fn describe_finds_the_tls_error_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::other(tls);
        let reason = describe_error_chain(&io).unwrap();
        assert!(reason.starts_with("certificate signed by unknown authority"));
        assert_eq!(describe_error_chain(&std::io::Error::other("plain")), None);
    }

    #[test]
    fn same_named_authority_with_another_key_type_reads_as_unknown_authority() {
        let err = rustls::Error::InvalidCertificate(
            CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
                signature_algorithm_id: vec![6, 8, 42, 134, 72, 206, 61, 4, 3, 2],
                public_key_algorithm_id: vec![6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 1, 5, 0],
            },
        );
        assert!(
            describe(&err).starts_with("certificate signed by unknown authority: a configured"),
            "{}",
            describe(&err)
        );
    }

    #[test]
    fn name_mismatch_lists_ip_addresses_plainly() {
        let err = rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("10.0.0.2").unwrap(),
            presented: vec!["IpAddress(10.0.0.1)".into(), "DnsName(\"a.test\")".into()],
        });
        assert_eq!(
            describe(&err),
            "certificate is valid for 10.0.0.1, a.test, not 10.0.0.2"
        );
    }

    #[test]
    fn der_times_read_both_forms() {
        assert_eq!(der_time((0x17, b"700101000000Z")), Some(0));
        assert_eq!(der_time((0x17, b"491231235959Z")), Some(2_524_607_999));
        assert_eq!(der_time((0x18, b"20380119031408Z")), Some(2_147_483_648));
        assert_eq!(der_time((0x18, b"2038011903140Z")), None);
        assert_eq!(der_time((0x17, b"700101000000+0000")), None);
    }
}
