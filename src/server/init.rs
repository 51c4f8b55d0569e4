//! `init` and the server's start-up: the self-signed serving certificate, its key, and
//! the webhook kubeconfig kube-apiserver reads (upstream `pkg/config/certs` and
//! `pkg/config/kubeconfig`).
//!
//! The files, paths, defaults and kubeconfig text are upstream's. One deliberate
//! difference: new keys are ECDSA P-256 (`EC PRIVATE KEY`) rather than RSA-2048, because
//! the binary's one crypto provider (ring) signs with RSA but cannot generate RSA keys.
//! kube-apiserver only reads the certificate, and an existing upstream RSA key/cert pair
//! in the state directory is reused as-is, so this is invisible to a cluster.
//!
//! Also fixed: upstream's `init --address` is silently ignored (a flag-binding clash);
//! here it really puts the address in the certificate.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};

/// Certificate file name in the state directory.
pub const CERT_FILE: &str = "cert.pem";
/// Key file name in the state directory.
pub const KEY_FILE: &str = "key.pem";
/// The kubeconfig `init` writes without the `ConfiguredInitDirectories` gate.
pub const INIT_KUBECONFIG_FILE: &str = "aws-iam-authenticator.kubeconfig";
/// The certificate's common name.
pub const COMMON_NAME: &str = "aws-iam-authenticator";

/// A certificate/key pair in PEM.
#[derive(Clone)]
pub struct CertPair {
    /// `CERTIFICATE` PEM.
    pub cert_pem: String,
    /// Private key PEM.
    pub key_pem: String,
}

impl fmt::Debug for CertPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertPair")
            .field("key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Why the certificate, key or kubeconfig could not be produced.
#[derive(Debug)]
pub enum InitError {
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Only one of cert.pem / key.pem exists, or they do not parse.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// rcgen failed.
    Generate(rcgen::Error),
    /// The hostname cannot go in the certificate.
    Hostname {
        /// `--hostname`.
        hostname: String,
        /// rcgen's error.
        source: rcgen::Error,
    },
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            InitError::Corrupt { path, message } => write!(
                f,
                "{}: {message}; delete cert.pem and key.pem in the state directory to generate a new pair (then re-distribute the kubeconfig)",
                path.display()
            ),
            InitError::Generate(e) => write!(f, "could not generate the certificate: {e}"),
            InitError::Hostname { hostname, source } => write!(
                f,
                "could not generate the certificate: hostname {hostname:?}: {source}"
            ),
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitError::Io { source, .. } => Some(source),
            InitError::Corrupt { .. } => None,
            InitError::Generate(e) | InitError::Hostname { source: e, .. } => Some(e),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InitError + '_ {
    move |source| InitError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Generates a self-signed CA-capable serving certificate, valid for 100 years, for
/// `hostname` (a DNS name, or an IP) and `address` (unless it is unspecified).
pub fn generate(hostname: &str, address: &str) -> Result<CertPair, InitError> {
    let key = KeyPair::generate().map_err(InitError::Generate)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, COMMON_NAME);
    params.distinguished_name = dn;
    let mut serial = [0u8; 16];
    getrandom_fill(&mut serial);
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    params.not_after = now + time::Duration::days(365 * 100);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let address_ip: Option<IpAddr> = address
        .parse()
        .ok()
        .filter(|ip: &IpAddr| !ip.is_unspecified());
    if let Some(ip) = address_ip {
        params.subject_alt_names.push(SanType::IpAddress(ip));
    }
    match hostname.parse::<IpAddr>() {
        Ok(ip) if Some(ip) != address_ip => params.subject_alt_names.push(SanType::IpAddress(ip)),
        Ok(_) => {}
        Err(_) if !hostname.is_empty() => {
            params
                .subject_alt_names
                .push(SanType::DnsName(hostname.try_into().map_err(|source| {
                    InitError::Hostname {
                        hostname: hostname.to_string(),
                        source,
                    }
                })?))
        }
        Err(_) => {}
    }
    let cert = params.self_signed(&key).map_err(InitError::Generate)?;
    Ok(CertPair {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Random bytes for the serial, from the OS through ring.
fn getrandom_fill(buf: &mut [u8]) {
    use rustls::crypto::ring::default_provider;
    if default_provider().secure_random.fill(buf).is_err() {
        // ring's SystemRandom does not fail on supported platforms; fall back to time.
        let nanos = time::OffsetDateTime::now_utc()
            .unix_timestamp_nanos()
            .to_be_bytes();
        for (b, n) in buf.iter_mut().zip(nanos.iter().cycle()) {
            *b = *n;
        }
    }
}

/// Upstream's line before it writes the webhook kubeconfig (`init` and `server`).
pub fn log_writing_kubeconfig(path: &Path) {
    tracing::info!(kubeconfigPath = %path.display(), "writing webhook kubeconfig file");
}

/// Reuses `cert.pem` + `key.pem` in `dir` when both exist; creates them otherwise.
/// Returns the pair and whether it was newly created. Logs upstream's lines on the way
/// (`generated a new private key and certificate`, `saving new key and certificate`,
/// `loaded existing keypair`), so an operator's log searches keep working.
pub fn load_or_create(
    dir: &Path,
    hostname: &str,
    address: &str,
) -> Result<(CertPair, bool), InitError> {
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            let cert_pem = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
            let key_pem = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
            validate_pair(&cert_path, &cert_pem, &key_path, &key_pem)?;
            log_loaded(&cert_path, &key_path);
            Ok((CertPair { cert_pem, key_pem }, false))
        }
        (true, false) | (false, true) => Err(InitError::Corrupt {
            path: if cert_path.exists() {
                key_path
            } else {
                cert_path
            },
            message: "missing while its pair exists".into(),
        }),
        (false, false) => {
            tracing::info!(address, "Creating certificate with address");
            let pair = generate(hostname, address)?;
            tracing::info!(
                certBytes = der_len(&pair.cert_pem),
                keyBytes = der_len(&pair.key_pem),
                "generated a new private key and certificate"
            );
            tracing::info!(
                certPath = %cert_path.display(),
                keyPath = %key_path.display(),
                "saving new key and certificate"
            );
            std::fs::create_dir_all(dir).map_err(io(dir))?;
            write_file(&cert_path, pair.cert_pem.as_bytes(), 0o644)?;
            write_file(&key_path, pair.key_pem.as_bytes(), 0o600)?;
            // Upstream reads the pair back and says so.
            log_loaded(&cert_path, &key_path);
            Ok((pair, true))
        }
    }
}

fn log_loaded(cert_path: &Path, key_path: &Path) {
    tracing::info!(
        certPath = %cert_path.display(),
        keyPath = %key_path.display(),
        "loaded existing keypair"
    );
}

/// The DER length of a one-block PEM text, as upstream logs `len(certBytes)`.
fn der_len(pem: &str) -> usize {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    let pad = b64.bytes().rev().take_while(|&b| b == b'=').count();
    b64.len() / 4 * 3 - pad
}

/// Checks that both files hold PEM of the right kind, so a corrupt state directory is a
/// clear error at start-up, not a TLS failure later.
pub fn validate_pair(
    cert_path: &Path,
    cert_pem: &str,
    key_path: &Path,
    key_pem: &str,
) -> Result<(), InitError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<_> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| InitError::Corrupt {
            path: cert_path.to_path_buf(),
            message: format!("not a PEM certificate: {e}"),
        })?;
    if certs.is_empty() {
        return Err(InitError::Corrupt {
            path: cert_path.to_path_buf(),
            message: "no CERTIFICATE block".into(),
        });
    }
    let key =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| InitError::Corrupt {
            path: key_path.to_path_buf(),
            message: format!("not a PEM private key: {e}"),
        })?;
    rustls::crypto::ring::sign::any_supported_type(&key).map_err(|e| InitError::Corrupt {
        path: key_path.to_path_buf(),
        message: format!("unusable private key: {e}"),
    })?;
    Ok(())
}

/// Writes `bytes` to `path` with `mode` (Unix), creating parent directories.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), InitError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(io(path))?;
    std::io::Write::write_all(&mut file, bytes).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io(path))?;
    }
    Ok(())
}

/// The webhook kubeconfig, byte for byte upstream's template (leading newline included).
pub fn kubeconfig(hostname: &str, port: u16, cert_pem: &str) -> String {
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(cert_pem.as_bytes());
    format!(
        "\nclusters:\n  - name: aws-iam-authenticator\n    cluster:\n      certificate-authority-data: {ca}\n      server: https://{hostname}:{port}/authenticate\n# user refers to the API server client\nusers:\n  - name: apiserver\ncurrent-context: webhook\ncontexts:\n- name: webhook\n  context:\n    cluster: aws-iam-authenticator\n    user: apiserver\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_is_upstreams_text() {
        let text = kubeconfig("localhost", 21362, "PEM");
        assert_eq!(
            text,
            "\nclusters:\n  - name: aws-iam-authenticator\n    cluster:\n      certificate-authority-data: UEVN\n      server: https://localhost:21362/authenticate\n# user refers to the API server client\nusers:\n  - name: apiserver\ncurrent-context: webhook\ncontexts:\n- name: webhook\n  context:\n    cluster: aws-iam-authenticator\n    user: apiserver\n"
        );
    }

    #[test]
    fn creates_then_reuses_and_refuses_half_pairs() {
        let dir = tempfile::tempdir().unwrap();
        let (pair, created) = load_or_create(dir.path(), "localhost", "127.0.0.1").unwrap();
        assert!(created);
        assert!(pair.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let (again, created) = load_or_create(dir.path(), "other", "10.0.0.1").unwrap();
        assert!(!created);
        assert_eq!(again.cert_pem, pair.cert_pem);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
        assert!(matches!(
            load_or_create(dir.path(), "localhost", "127.0.0.1"),
            Err(InitError::Corrupt { .. })
        ));
        std::fs::write(dir.path().join(KEY_FILE), "garbage").unwrap();
        let err = load_or_create(dir.path(), "localhost", "127.0.0.1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("key.pem"), "{err}");
    }
}
