"""Hand-written AWS Signature Version 4 verification (hashlib/hmac only, no botocore).

Two request styles are understood:

* presigned query-string requests (``X-Amz-Algorithm``, ``X-Amz-Credential``, ``X-Amz-Date``,
  ``X-Amz-Expires``, ``X-Amz-SignedHeaders``, ``X-Amz-Signature`` and optionally
  ``X-Amz-Security-Token`` in the query), as produced by ``PresignGetCallerIdentity`` /
  ``aws eks get-token``;
* header-signed requests (``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
  Signature=...`` plus an ``X-Amz-Date`` header), as the AWS SDKs send for AssumeRole etc.

The verifier is split in two steps so that the caller can look up the access key (and check the
session token) between parsing and the signature check, in the same order STS reports errors:

    auth = parse_auth(req)                      # SigV4Error on malformed auth
    secret = lookup(auth.access_key_id)         # caller's business (InvalidClientTokenId, ...)
    verify_signature(req, auth, secret)         # SigV4Error SignatureDoesNotMatch
    check_time(auth, now)                       # SigV4Error on expired / not yet current
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import quote, unquote_plus

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SERVICE = "sts"

PRESIGN_MAX_AGE = 15 * 60  # STS ignores X-Amz-Expires: a presigned URL is good for 15 minutes
PRESIGN_MAX_FUTURE = 15 * 60
HEADER_SKEW = 5 * 60

SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)


class SigV4Error(Exception):
    """A request that fails authentication. ``status``/``code``/``message`` follow STS."""

    def __init__(self, status: int, code: str, message: str, detail: Optional[str] = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        # Extra debugging text (canonical request, string to sign); never sent to clients
        # in the STS error body, but recorded in the stand-in's call log and stderr.
        self.detail = detail


@dataclass
class Request:
    """The parts of an HTTP request that SigV4 covers."""

    method: str
    raw_path: str  # path as sent, still percent-encoded, without the query
    raw_query: str  # query as sent, without the leading '?'
    headers: List[Tuple[str, str]]  # in arrival order, names as sent
    body: bytes = b""

    def header_values(self, name: str) -> List[str]:
        lname = name.lower()
        return [v for (n, v) in self.headers if n.lower() == lname]

    def header(self, name: str) -> Optional[str]:
        vals = self.header_values(name)
        return vals[0] if vals else None

    @property
    def query_pairs(self) -> List[Tuple[str, str]]:
        return parse_query(self.raw_query)


@dataclass
class AuthParams:
    mode: str  # "presigned" or "header"
    access_key_id: str
    scope_date: str
    region: str
    service: str
    amz_date: str
    timestamp: float  # epoch seconds of amz_date
    signed_headers: List[str]
    signature: str
    security_token: Optional[str]
    expires: Optional[str] = None
    credential: str = ""
    extra: dict = field(default_factory=dict)


def aws_quote(s: str) -> str:
    """AWS URI encoding: everything but unreserved characters, UTF-8, upper-case hex."""
    return quote(s, safe="-_.~")


def parse_query(raw_query: str) -> List[Tuple[str, str]]:
    """Split a query string into decoded (key, value) pairs, in order, keeping blanks.

    Like STS, '+' decodes to a space: a signer that leaves '+' unescaped (for example in a
    session token) gets a signature mismatch, as it would at AWS.
    """
    pairs: List[Tuple[str, str]] = []
    if not raw_query:
        return pairs
    for part in raw_query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        pairs.append((unquote_plus(k), unquote_plus(v)))
    return pairs


def canonical_query(pairs: Iterable[Tuple[str, str]], exclude_signature: bool) -> str:
    enc = sorted(
        (aws_quote(k), aws_quote(v))
        for (k, v) in pairs
        if not (exclude_signature and k == "X-Amz-Signature")
    )
    return "&".join(f"{k}={v}" for (k, v) in enc)


def canonical_uri(raw_path: str) -> str:
    if not raw_path:
        return "/"
    # Non-S3 services encode the (already encoded) path once more, as botocore and the SDKs do.
    return quote(raw_path, safe="/-_.~")


def _trim(value: str) -> str:
    return " ".join(value.split())


def canonical_headers(req: Request, signed: Sequence[str]) -> str:
    lines = []
    for name in signed:
        values = req.header_values(name)
        if not values:
            raise SigV4Error(
                403,
                "SignatureDoesNotMatch",
                SIGNATURE_MISMATCH_MESSAGE,
                detail=f"signed header {name!r} is not present in the request",
            )
        lines.append(f"{name}:{','.join(_trim(v) for v in values)}\n")
    return "".join(lines)


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, region.encode(), hashlib.sha256).digest()
    k = hmac.new(k, service.encode(), hashlib.sha256).digest()
    return hmac.new(k, b"aws4_request", hashlib.sha256).digest()


def parse_amz_date(value: str) -> float:
    try:
        d = _dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.timezone.utc)
    except (ValueError, TypeError):
        raise SigV4Error(
            400,
            "IncompleteSignature",
            f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601",
        )
    return d.timestamp()


def fmt_amz_date(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _parse_credential(cred: str) -> Tuple[str, str, str, str]:
    parts = cred.split("/")
    if len(parts) != 5 or not parts[0]:
        raise SigV4Error(
            400,
            "IncompleteSignature",
            f"Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{cred}'",
        )
    akid, date, region, service, term = parts
    if term != "aws4_request":
        raise SigV4Error(
            403,
            "SignatureDoesNotMatch",
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'.",
        )
    if service != SERVICE:
        raise SigV4Error(
            403,
            "SignatureDoesNotMatch",
            f"Credential should be scoped to correct service: '{SERVICE}'. ",
        )
    if not region:
        raise SigV4Error(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region. ")
    return akid, date, region, service


def parse_auth(req: Request) -> AuthParams:
    """Find and parse the SigV4 authentication of a request (no secret needed)."""
    qpairs = req.query_pairs
    qkeys = [k for (k, _) in qpairs]
    authz = req.header("Authorization")
    presigned = "X-Amz-Signature" in qkeys or "X-Amz-Algorithm" in qkeys or "X-Amz-Credential" in qkeys

    if presigned and authz:
        raise SigV4Error(
            400,
            "InvalidRequest",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the "
            "Authorization header should be specified",
        )

    if presigned:
        q = {}
        for k, v in qpairs:
            if k in q and k.startswith("X-Amz-"):
                raise SigV4Error(400, "IncompleteSignature", f"Duplicate query parameter {k}")
            q.setdefault(k, v)
        missing = [
            k
            for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
            if k not in q
        ]
        if missing:
            raise SigV4Error(
                400,
                "IncompleteSignature",
                "AWS query-string parameters must include "
                + ", ".join(f"'{m}'" for m in missing)
                + ". Re-examine the query-string parameters.",
            )
        if q["X-Amz-Algorithm"] != ALGORITHM:
            raise SigV4Error(
                400,
                "IncompleteSignature",
                f"Unsupported AWS 'algorithm': '{q['X-Amz-Algorithm']}'",
            )
        akid, date, region, service = _parse_credential(q["X-Amz-Credential"])
        amz_date = q["X-Amz-Date"]
        ts = parse_amz_date(amz_date)
        signed = q["X-Amz-SignedHeaders"].split(";")
        return AuthParams(
            mode="presigned",
            access_key_id=akid,
            scope_date=date,
            region=region,
            service=service,
            amz_date=amz_date,
            timestamp=ts,
            signed_headers=signed,
            signature=q["X-Amz-Signature"],
            security_token=q.get("X-Amz-Security-Token"),
            expires=q.get("X-Amz-Expires"),
            credential=q["X-Amz-Credential"],
        )

    if authz:
        algo, _, rest = authz.strip().partition(" ")
        if algo != ALGORITHM:
            raise SigV4Error(400, "IncompleteSignature", f"Unsupported AWS 'algorithm': '{algo}'")
        fields = {}
        for item in rest.split(","):
            item = item.strip()
            if not item:
                continue
            k, eq, v = item.partition("=")
            if not eq:
                raise SigV4Error(
                    400,
                    "IncompleteSignature",
                    f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authz}'.",
                )
            fields[k.strip()] = v.strip()
        missing = [k for k in ("Credential", "SignedHeaders", "Signature") if k not in fields]
        if missing:
            raise SigV4Error(
                400,
                "IncompleteSignature",
                "Authorization header requires "
                + ", ".join(f"'{m}'" for m in missing)
                + f" parameter. Authorization={authz}",
            )
        akid, date, region, service = _parse_credential(fields["Credential"])
        amz_date = req.header("X-Amz-Date")
        if not amz_date:
            raise SigV4Error(
                400,
                "IncompleteSignature",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        ts = parse_amz_date(amz_date.strip())
        signed = fields["SignedHeaders"].split(";")
        return AuthParams(
            mode="header",
            access_key_id=akid,
            scope_date=date,
            region=region,
            service=service,
            amz_date=amz_date.strip(),
            timestamp=ts,
            signed_headers=signed,
            signature=fields["Signature"],
            security_token=req.header("X-Amz-Security-Token"),
            credential=fields["Credential"],
        )

    raise SigV4Error(403, "MissingAuthenticationToken", "Request is missing Authentication Token")


def _canonical_requests(req: Request, auth: AuthParams) -> List[str]:
    """All canonical requests the signer may have built (one per acceptable payload hash)."""
    signed = auth.signed_headers
    if any(s != s.lower() or not s for s in signed) or signed != sorted(signed):
        raise SigV4Error(
            403,
            "SignatureDoesNotMatch",
            SIGNATURE_MISMATCH_MESSAGE,
            detail=f"SignedHeaders must be lower-case and sorted, got {';'.join(signed)!r}",
        )
    if "host" not in signed:
        raise SigV4Error(
            403,
            "SignatureDoesNotMatch",
            SIGNATURE_MISMATCH_MESSAGE,
            detail="'host' must be a signed header",
        )
    if auth.mode == "header" and "x-amz-date" not in signed:
        raise SigV4Error(
            403,
            "SignatureDoesNotMatch",
            SIGNATURE_MISMATCH_MESSAGE,
            detail="'x-amz-date' must be a signed header",
        )
    cq = canonical_query(req.query_pairs, exclude_signature=(auth.mode == "presigned"))
    ch = canonical_headers(req, signed)
    body_hash = hashlib.sha256(req.body or b"").hexdigest()
    hashes = [body_hash]
    declared = req.header("X-Amz-Content-Sha256")
    if declared:
        declared = declared.strip()
        if declared not in (body_hash, UNSIGNED_PAYLOAD):
            raise SigV4Error(
                400,
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        hashes = [declared]
    elif auth.mode == "presigned":
        hashes.append(UNSIGNED_PAYLOAD)
    uri = canonical_uri(req.raw_path)
    return [
        "\n".join([req.method.upper(), uri, cq, ch, ";".join(signed), h]) for h in hashes
    ]


def string_to_sign(auth: AuthParams, canonical_request: str) -> str:
    scope = f"{auth.scope_date}/{auth.region}/{auth.service}/aws4_request"
    return "\n".join(
        [ALGORITHM, auth.amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )


def verify_signature(req: Request, auth: AuthParams, secret: str) -> None:
    if auth.scope_date != auth.amz_date[:8]:
        raise SigV4Error(
            403,
            "SignatureDoesNotMatch",
            f"Credential should be scoped to a valid date: '{auth.amz_date[:8]}'. ",
            detail=f"credential scope date {auth.scope_date} != X-Amz-Date day {auth.amz_date[:8]}",
        )
    key = signing_key(secret, auth.scope_date, auth.region, auth.service)
    tried = []
    for creq in _canonical_requests(req, auth):
        sts = string_to_sign(auth, creq)
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(sig, auth.signature.lower()):
            return
        tried.append(f"--- canonical request ---\n{creq}\n--- string to sign ---\n{sts}")
    raise SigV4Error(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH_MESSAGE, detail="\n".join(tried))


def check_time(auth: AuthParams, now: float) -> None:
    if auth.mode == "presigned":
        if now > auth.timestamp + PRESIGN_MAX_AGE:
            raise SigV4Error(
                403,
                "RequestExpired",
                f"Request has expired: X-Amz-Date {auth.amz_date} is more than 15 minutes before "
                f"{fmt_amz_date(now)}",
            )
        if auth.timestamp > now + PRESIGN_MAX_FUTURE:
            raise SigV4Error(
                403,
                "SignatureDoesNotMatch",
                f"Signature not yet current: {auth.amz_date} is still later than "
                f"{fmt_amz_date(now + PRESIGN_MAX_FUTURE)} ({fmt_amz_date(now)} + 15 min.)",
            )
    else:
        if auth.timestamp < now - HEADER_SKEW:
            raise SigV4Error(
                403,
                "SignatureDoesNotMatch",
                f"Signature expired: {auth.amz_date} is now earlier than "
                f"{fmt_amz_date(now - HEADER_SKEW)} ({fmt_amz_date(now)} - 5 min.)",
            )
        if auth.timestamp > now + HEADER_SKEW:
            raise SigV4Error(
                403,
                "SignatureDoesNotMatch",
                f"Signature not yet current: {auth.amz_date} is still later than "
                f"{fmt_amz_date(now + HEADER_SKEW)} ({fmt_amz_date(now)} + 5 min.)",
            )


def verify(req: Request, lookup_secret: Callable[[AuthParams], str], now: float) -> AuthParams:
    """Convenience: parse, look up the secret (callable may raise SigV4Error), verify, check time."""
    auth = parse_auth(req)
    secret = lookup_secret(auth)
    verify_signature(req, auth, secret)
    check_time(auth, now)
    return auth


def request_from_url(method: str, url: str, headers: Iterable[Tuple[str, str]], body: bytes = b"") -> Request:
    """Build a Request from an absolute URL (the Host header is added from the URL if absent)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    hdrs = list(headers)
    if not any(n.lower() == "host" for (n, _) in hdrs):
        hdrs.append(("Host", parts.netloc))
    return Request(method=method, raw_path=parts.path or "/", raw_query=parts.query, headers=hdrs, body=body)

