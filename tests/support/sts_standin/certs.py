"""A tiny test CA: ECDSA P-256 root, leaf certificates issued on demand (cached per host)."""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import re
import ssl
import threading
from typing import Dict, List, Optional, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _write_private(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp.{os.getpid()}.{threading.get_ident()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _write_public(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp.{os.getpid()}.{threading.get_ident()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _san(name: str):
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class CertAuthority:
    """Loads the CA from ``directory`` (ca.pem + ca-key.pem) or creates it there."""

    def __init__(self, directory: str, common_name: str = "aws-iam-authenticator test CA"):
        self.directory = os.path.abspath(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.ca_file = os.path.join(self.directory, "ca.pem")
        self.ca_key_file = os.path.join(self.directory, "ca-key.pem")
        self._lock = threading.Lock()
        self._leaf_cache: Dict[Tuple[str, ...], Tuple[bytes, bytes]] = {}
        if os.path.exists(self.ca_file) and os.path.exists(self.ca_key_file):
            with open(self.ca_file, "rb") as f:
                self.cert = x509.load_pem_x509_certificate(f.read())
            with open(self.ca_key_file, "rb") as f:
                self.key = serialization.load_pem_private_key(f.read(), password=None)
            if self.cert.not_valid_after_utc < _now() + _dt.timedelta(days=2):
                self._create(common_name)
        else:
            self._create(common_name)

    def _create(self, common_name: str) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aws-iam-authenticator tests"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1))
            .not_valid_after(now + _dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_private(self.ca_key_file, _key_pem(key))
        _write_public(self.ca_file, cert.public_bytes(serialization.Encoding.PEM))
        self.cert, self.key = cert, key

    def issue(self, names: List[str], days: int = 30) -> Tuple[bytes, bytes]:
        """Return (cert PEM, key PEM) of a server leaf for ``names`` (DNS names or IPs)."""
        k = tuple(names)
        with self._lock:
            if k in self._leaf_cache:
                return self._leaf_cache[k]
            key = ec.generate_private_key(ec.SECP256R1())
            now = _now()
            cn = names[0][:64]
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(self.cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - _dt.timedelta(hours=1))
                .not_valid_after(now + _dt.timedelta(days=days))
                .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=True,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        key_cert_sign=False,
                        crl_sign=False,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
                )
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                    critical=False,
                )
            )
            cert = builder.sign(self.key, hashes.SHA256())
            out = (cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))
            self._leaf_cache[k] = out
            return out

    def write_leaf(self, names: List[str], directory: Optional[str] = None) -> Tuple[str, str]:
        """Issue a leaf and write it as ``<dir>/<name>.pem`` / ``<name>-key.pem``; return paths."""
        cert_pem, key_pem = self.issue(names)
        d = directory or os.path.join(self.directory, "leaf")
        os.makedirs(d, exist_ok=True)
        base = re.sub(r"[^A-Za-z0-9._-]", "_", names[0])[:100] or "leaf"
        cert_path = os.path.join(d, f"{base}.pem")
        key_path = os.path.join(d, f"{base}-key.pem")
        _write_private(key_path, key_pem)
        _write_public(cert_path, cert_pem)
        return cert_path, key_path


class SNIContexts:
    """Server-side SSLContexts per host name, minted from a CertAuthority on first use."""

    def __init__(self, ca: CertAuthority, alpn: Optional[List[str]] = None):
        self.ca = ca
        self.alpn = alpn or ["http/1.1"]
        self._lock = threading.Lock()
        self._contexts: Dict[str, ssl.SSLContext] = {}

    def context_for(self, host: str) -> ssl.SSLContext:
        host = (host or "localhost").strip("[]").lower().rstrip(".")
        with self._lock:
            ctx = self._contexts.get(host)
            if ctx is not None:
                return ctx
        cert_path, key_path = self.ca.write_leaf([host])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert_path, key_path)
        try:
            ctx.set_alpn_protocols(self.alpn)
        except NotImplementedError:  # pragma: no cover
            pass
        ctx.sni_callback = self._sni_callback
        with self._lock:
            return self._contexts.setdefault(host, ctx)

    def _sni_callback(self, sslobj, server_name, _ctx):
        if server_name:
            try:
                sslobj.context = self.context_for(server_name)
            except Exception:  # pragma: no cover - keep the default certificate
                return None
        return None
