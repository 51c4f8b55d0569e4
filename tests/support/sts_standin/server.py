"""Local AWS STS stand-in: a TLS-intercepting CONNECT proxy and a plain HTTP port serving
GetCallerIdentity / AssumeRole with real SigV4 verification, plus an admin API.

Run:  PYTHONPATH=tests/support python -m sts_standin --config CFG.json --ready-file READY.json
See tests/support/README.md.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime as _dt
import email.utils
import hashlib
import ipaddress
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import ssl
import string
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape as _xml_escape

from . import sigv4
from .certs import CertAuthority, SNIContexts

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
API_VERSION = "2011-06-15"
FAULT_MODES = (
    "none",
    "throttle",
    "error500",
    "hang",
    "slow",
    "malformed-json",
    "malformed-xml",
    "refuse",
    "redirect",
)
MAX_LOGGED_REQUESTS = 20000
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


def log(msg: str) -> None:
    ts = _dt.datetime.now().strftime("%H:%M:%S.%f")[:-3]
    try:
        sys.stderr.write(f"[sts-standin {ts}] {msg}\n")
        sys.stderr.flush()
    except Exception:
        pass


def iso8601(ts: float) -> str:
    return _dt.datetime.fromtimestamp(int(ts), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def x(s) -> str:
    return _xml_escape(str(s))


class STSError(Exception):
    def __init__(self, status: int, code: str, message: str, detail: Optional[str] = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.detail = status, code, message, detail


# --------------------------------------------------------------------------------------------
# identities


@dataclass
class Identity:
    access_key_id: str
    secret_access_key: str
    arn: str
    user_id: str
    account: str
    session_token: Optional[str] = None
    expiration: Optional[float] = None  # epoch seconds; None = long-term key
    source_role: Optional[str] = None  # role ARN for assumed-role sessions


def arn_parts(arn: str) -> Tuple[str, str, str, str]:
    """(partition, service, account, resource) of an ARN; ValueError if malformed."""
    p = arn.split(":", 5)
    if len(p) != 6 or p[0] != "arn":
        raise ValueError(f"malformed ARN {arn!r}")
    return p[1], p[2], p[4], p[5]


def principal_arn(arn: str) -> str:
    """The ARN an IAM trust policy compares: assumed-role ARNs become their role ARN."""
    try:
        part, svc, acct, res = arn_parts(arn)
    except ValueError:
        return arn
    if svc == "sts" and res.startswith("assumed-role/"):
        segs = res.split("/")
        if len(segs) >= 3:
            return f"arn:{part}:iam::{acct}:role/{segs[-2]}"
    if svc == "iam" and res.startswith("role/"):
        return f"arn:{part}:iam::{acct}:role/{res.split('/')[-1]}"
    return arn


def _derived_id(prefix: str, seed: str) -> str:
    h = hashlib.sha256(seed.encode()).digest()
    alphabet = string.ascii_uppercase + "234567"
    return prefix + "".join(alphabet[b % len(alphabet)] for b in h[:17])


def user_from_config(u: dict) -> Identity:
    arn = u["arn"]
    part, svc, acct, res = arn_parts(arn)
    account = str(u.get("account") or acct)
    user_id = u.get("user_id")
    if not user_id:
        if res == "root":
            user_id = account
        elif svc == "sts" and res.startswith("federated-user/"):
            user_id = f"{account}:{res.split('/', 1)[1]}"
        elif svc == "sts" and res.startswith("assumed-role/"):
            segs = res.split("/")
            user_id = f"{_derived_id('AROA', principal_arn(arn))}:{segs[-1]}"
        else:
            user_id = _derived_id("AIDA", arn)
    exp = u.get("expiration")
    if isinstance(exp, str):
        exp = _dt.datetime.strptime(exp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()
    return Identity(
        access_key_id=u["access_key_id"],
        secret_access_key=u["secret_access_key"],
        arn=arn,
        user_id=user_id,
        account=account,
        session_token=u.get("session_token"),
        expiration=exp,
    )


@dataclass
class Role:
    arn: str
    role_id: str
    trusted: List[str]
    external_id: Optional[str]
    mfa_serial: Optional[str]
    mfa_code: Optional[str]
    max_duration: int

    @property
    def name(self) -> str:
        return arn_parts(self.arn)[3].split("/")[-1]

    @property
    def account(self) -> str:
        return arn_parts(self.arn)[2]

    @property
    def partition(self) -> str:
        return arn_parts(self.arn)[0]

    def trusts(self, caller_arn: str) -> bool:
        who = principal_arn(caller_arn)
        try:
            caller_acct = arn_parts(caller_arn)[2]
        except ValueError:
            caller_acct = None
        for t in self.trusted:
            if t == "*":
                return True
            if t == caller_arn or principal_arn(t) == who:
                return True
            m = re.match(r"^arn:[^:]+:iam::(\d+):root$", t)
            if m and m.group(1) == caller_acct:
                return True
        return False


def role_from_config(r: dict) -> Role:
    arn = r["arn"]
    arn_parts(arn)
    trusted = r.get("trusted")
    if trusted is None:
        trusted = ["*"]
    elif isinstance(trusted, str):
        trusted = [trusted]
    return Role(
        arn=arn,
        role_id=r.get("role_id") or _derived_id("AROA", principal_arn(arn)),
        trusted=list(trusted),
        external_id=r.get("external_id"),
        mfa_serial=r.get("mfa_serial"),
        mfa_code=None if r.get("mfa_code") is None else str(r.get("mfa_code")),
        max_duration=int(r.get("max_duration") or 3600),
    )


# --------------------------------------------------------------------------------------------
# state


class State:
    def __init__(self, config: dict):
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.config = config
        self.users: Dict[str, Identity] = {}
        for u in config.get("users", []):
            ident = user_from_config(u)
            self.users[ident.access_key_id] = ident
        self.roles: Dict[str, Role] = {}
        for r in config.get("roles", []):
            role = role_from_config(r)
            self.roles[role.arn] = role
        self.sessions: Dict[str, Identity] = {}
        self.clock_offset = float(config.get("clock_offset_seconds", 0) or 0)
        self.redirect_to: Optional[str] = config.get("redirect_to")
        self.session_token_bytes = int(config.get("session_token_bytes", 451))
        self.passthrough_loopback = bool(config.get("passthrough_loopback", True))
        self.fault = {"mode": "none", "delay_seconds": 0.0}
        self.counts: collections.Counter = collections.Counter()
        self.requests: List[dict] = []
        self.refused_connects = 0
        self.connects = 0

    def now(self) -> float:
        return time.time() + self.clock_offset

    # faults ------------------------------------------------------------------------------
    def set_fault(self, spec: dict) -> dict:
        mode = spec.get("mode", "none")
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
        f = {"mode": mode, "delay_seconds": float(spec.get("delay_seconds") or 0.0)}
        if spec.get("count") is not None:
            f["count"] = int(spec["count"])
        if spec.get("actions"):
            f["actions"] = list(spec["actions"])
        if spec.get("location"):
            f["location"] = spec["location"]
        with self.lock:
            self.fault = f
        return f

    def take_fault(self, action: Optional[str]) -> dict:
        """The fault to apply to one STS call (decrements ``count``)."""
        with self.lock:
            f = self.fault
            if f["mode"] == "none":
                return f
            if f.get("actions") and action not in f["actions"]:
                return {"mode": "none", "delay_seconds": 0.0}
            cur = dict(f)
            if "count" in f:
                f["count"] -= 1
                if f["count"] <= 0:
                    self.fault = {"mode": "none", "delay_seconds": 0.0}
            return cur

    def take_connect_refusal(self) -> bool:
        """True if a new proxy CONNECT must be dropped (fault "refuse" without an action filter)."""
        with self.lock:
            f = self.fault
            if f["mode"] != "refuse" or f.get("actions"):
                return False
            if "count" in f:
                f["count"] -= 1
                if f["count"] <= 0:
                    self.fault = {"mode": "none", "delay_seconds": 0.0}
            self.refused_connects += 1
            return True

    # call log -----------------------------------------------------------------------------
    def record(self, entry: dict) -> None:
        with self.lock:
            action = entry.get("action") or "(none)"
            self.counts[action] += 1
            self.requests.append(entry)
            if len(self.requests) > MAX_LOGGED_REQUESTS:
                del self.requests[: len(self.requests) - MAX_LOGGED_REQUESTS]

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "counts": dict(self.counts),
                "requests": list(self.requests),
                "refused_connects": self.refused_connects,
                "connects": self.connects,
                "fault": dict(self.fault),
                "clock_offset_seconds": self.clock_offset,
            }

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.requests.clear()
            self.refused_connects = 0
            self.connects = 0

    # identities ---------------------------------------------------------------------------
    def identity_for(self, auth: sigv4.AuthParams) -> Identity:
        akid = auth.access_key_id
        with self.lock:
            ident = self.sessions.get(akid) or self.users.get(akid)
        if ident is None:
            raise STSError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        if ident.session_token is not None or ident.expiration is not None:
            if auth.security_token is None or ident.session_token is None:
                raise STSError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            if not secrets.compare_digest(auth.security_token, ident.session_token):
                raise STSError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        elif auth.security_token:
            raise STSError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        return ident

    def check_expiry(self, ident: Identity) -> None:
        if ident.expiration is not None and self.now() >= ident.expiration:
            raise STSError(403, "ExpiredToken", "The security token included in the request is expired")

    def new_session(self, role: Role, session_name: str, duration: int) -> Identity:
        alnum = string.ascii_uppercase + string.digits
        akid = "ASIA" + "".join(secrets.choice(alnum) for _ in range(16))
        secret_alpha = string.ascii_letters + string.digits + "+/"
        secret = "".join(secrets.choice(secret_alpha) for _ in range(40))
        while True:
            tok = "IQoJb3JpZ2luX2VjE" + base64.b64encode(os.urandom(self.session_token_bytes)).decode()
            if self.session_token_bytes < 64 or ("/" in tok and "+" in tok):
                break
        exp = float(int(self.now()) + duration)
        ident = Identity(
            access_key_id=akid,
            secret_access_key=secret,
            arn=f"arn:{role.partition}:sts::{role.account}:assumed-role/{role.name}/{session_name}",
            user_id=f"{role.role_id}:{session_name}",
            account=role.account,
            session_token=tok,
            expiration=exp,
            source_role=role.arn,
        )
        with self.lock:
            self.sessions[akid] = ident
        return ident


# --------------------------------------------------------------------------------------------
# responses


def error_body(err: STSError, request_id: str, as_json: bool) -> Tuple[bytes, str]:
    etype = "Receiver" if err.status >= 500 else "Sender"
    if as_json:
        body = {"Error": {"Code": err.code, "Message": err.message, "Type": etype}, "RequestId": request_id}
        return json.dumps(body).encode(), "application/json"
    xml = (
        f'<ErrorResponse xmlns="{STS_NS}">\n'
        f"  <Error>\n    <Type>{etype}</Type>\n    <Code>{x(err.code)}</Code>\n"
        f"    <Message>{x(err.message)}</Message>\n  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n"
    )
    return xml.encode(), "text/xml"


def gci_body(ident: Identity, request_id: str, as_json: bool) -> Tuple[bytes, str]:
    if as_json:
        body = {
            "GetCallerIdentityResponse": {
                "GetCallerIdentityResult": {"Account": ident.account, "Arn": ident.arn, "UserId": ident.user_id},
                "ResponseMetadata": {"RequestId": request_id},
            }
        }
        return json.dumps(body).encode(), "application/json"
    xml = (
        f'<GetCallerIdentityResponse xmlns="{STS_NS}">\n'
        f"  <GetCallerIdentityResult>\n"
        f"    <Arn>{x(ident.arn)}</Arn>\n    <UserId>{x(ident.user_id)}</UserId>\n"
        f"    <Account>{x(ident.account)}</Account>\n"
        f"  </GetCallerIdentityResult>\n"
        f"  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n"
        f"</GetCallerIdentityResponse>\n"
    )
    return xml.encode(), "text/xml"


def assume_role_body(sess: Identity, request_id: str, as_json: bool) -> Tuple[bytes, str]:
    if as_json:
        body = {
            "AssumeRoleResponse": {
                "AssumeRoleResult": {
                    "AssumedRoleUser": {"Arn": sess.arn, "AssumedRoleId": sess.user_id},
                    "Credentials": {
                        "AccessKeyId": sess.access_key_id,
                        "Expiration": sess.expiration,
                        "SecretAccessKey": sess.secret_access_key,
                        "SessionToken": sess.session_token,
                    },
                    "PackedPolicySize": None,
                    "SourceIdentity": None,
                },
                "ResponseMetadata": {"RequestId": request_id},
            }
        }
        return json.dumps(body).encode(), "application/json"
    xml = (
        f'<AssumeRoleResponse xmlns="{STS_NS}">\n'
        f"  <AssumeRoleResult>\n"
        f"    <Credentials>\n"
        f"      <AccessKeyId>{x(sess.access_key_id)}</AccessKeyId>\n"
        f"      <SecretAccessKey>{x(sess.secret_access_key)}</SecretAccessKey>\n"
        f"      <SessionToken>{x(sess.session_token)}</SessionToken>\n"
        f"      <Expiration>{iso8601(sess.expiration)}</Expiration>\n"
        f"    </Credentials>\n"
        f"    <AssumedRoleUser>\n"
        f"      <AssumedRoleId>{x(sess.user_id)}</AssumedRoleId>\n"
        f"      <Arn>{x(sess.arn)}</Arn>\n"
        f"    </AssumedRoleUser>\n"
        f"  </AssumeRoleResult>\n"
        f"  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n"
        f"</AssumeRoleResponse>\n"
    )
    return xml.encode(), "text/xml"


# --------------------------------------------------------------------------------------------
# actions


def action_get_caller_identity(state: State, ident: Identity, params: dict) -> Identity:
    return ident


def action_assume_role(state: State, ident: Identity, params: dict) -> Identity:
    role_arn = params.get("RoleArn")
    session_name = params.get("RoleSessionName")
    errs = []
    if not role_arn:
        errs.append("Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
    if session_name is None:
        errs.append("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
    elif not SESSION_NAME_RE.match(session_name):
        errs.append(
            f"Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64"
        )
    ext = params.get("ExternalId")
    if ext is not None and not EXTERNAL_ID_RE.match(ext):
        errs.append(
            f"Value '{ext}' at 'externalId' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [\\w+=,.@:\\/-]*"
        )
    duration = 3600
    if params.get("DurationSeconds") is not None:
        try:
            duration = int(params["DurationSeconds"])
        except ValueError:
            errs.append(f"Value '{params['DurationSeconds']}' at 'durationSeconds' is not a valid integer")
        else:
            if duration < 1 or duration > 43200:
                errs.append(
                    f"Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must "
                    "have value less than or equal to 43200"
                )
    if errs:
        n = len(errs)
        raise STSError(400, "ValidationError", f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(errs))

    denied = STSError(
        403,
        "AccessDenied",
        f"User: {ident.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
    )
    role = state.roles.get(role_arn)
    if role is None or not role.trusts(ident.arn):
        raise denied
    if role.external_id is not None and ext != role.external_id:
        raise denied
    if role.mfa_serial is not None:
        serial, code = params.get("SerialNumber"), params.get("TokenCode")
        if serial != role.mfa_serial or not code:
            raise denied
        if role.mfa_code is not None and code != role.mfa_code:
            raise denied
        if role.mfa_code is None and not re.fullmatch(r"\d{6}", code):
            raise denied
    if params.get("DurationSeconds") is not None and duration > role.max_duration:
        raise STSError(
            400,
            "ValidationError",
            f"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
    if ident.source_role is not None and duration > 3600 and params.get("DurationSeconds") is not None:
        raise STSError(
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )
    return state.new_session(role, session_name, min(duration, role.max_duration))


ACTIONS = {
    "GetCallerIdentity": action_get_caller_identity,
    "AssumeRole": action_assume_role,
}


# --------------------------------------------------------------------------------------------
# HTTP


class STSHandler(BaseHTTPRequestHandler):
    """Serves the STS API (and, on the plain port, the admin API)."""

    protocol_version = "HTTP/1.1"
    server_version = "sts-standin"
    sys_version = ""
    timeout = 300
    via = "http"
    tls_host: Optional[str] = None

    def log_message(self, fmt, *args):  # quieter than the default
        pass

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        """The `Date` header on the stand-in's clock, as STS's own: a client that compares
        it with its own clock (`doctor`'s skew check) sees the configured offset."""
        if timestamp is None:
            timestamp = self.state.now()
        return email.utils.formatdate(timestamp, usegmt=True)

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    # --- plumbing -------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, status: int, body: bytes, ctype: str, request_id: Optional[str] = None, extra=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status: int, obj) -> None:
        self._send(status, (json.dumps(obj, indent=1) + "\n").encode(), "application/json")

    def _close_now(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def _hang(self) -> None:
        """Never answer; return when the client closes the connection (or on shutdown)."""
        self.close_connection = True
        sock = self.connection
        try:
            sock.settimeout(0.25)
        except OSError:
            return
        while not self.state.stopping.is_set():
            try:
                data = sock.recv(4096)
                if not data:
                    return
            except (socket.timeout, TimeoutError):
                continue
            except (OSError, ssl.SSLError, ValueError):
                return

    # --- verbs ----------------------------------------------------------------------------
    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_PUT(self):
        self._method_not_allowed()

    do_DELETE = do_PATCH = do_OPTIONS = do_PUT

    def _method_not_allowed(self):
        self._read_body()
        err = STSError(405, "MethodNotAllowed", f"The method {self.command} is not allowed")
        body, ct = error_body(err, str(uuid.uuid4()), False)
        self._send(405, body, ct)

    # --- admin ----------------------------------------------------------------------------
    def _admin(self, path: str, body: bytes) -> None:
        st = self.state
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError as e:
            return self._send_json(400, {"error": f"bad JSON: {e}"})
        if path == "/_standin/calls" and self.command == "GET":
            return self._send_json(200, st.snapshot())
        if path == "/_standin/health" and self.command == "GET":
            return self._send_json(200, {"ok": True, "pid": os.getpid()})
        if path == "/_standin/reset" and self.command == "POST":
            st.reset()
            return self._send_json(200, {"ok": True})
        if path == "/_standin/fault" and self.command == "POST":
            try:
                f = st.set_fault(payload)
            except (ValueError, TypeError) as e:
                return self._send_json(400, {"error": str(e)})
            log(f"fault set: {f}")
            return self._send_json(200, {"ok": True, "fault": f})
        if path == "/_standin/clock" and self.command == "POST":
            with st.lock:
                if "offset_seconds" in payload:
                    st.clock_offset = float(payload["offset_seconds"])
                elif "advance_seconds" in payload:
                    st.clock_offset += float(payload["advance_seconds"])
                off = st.clock_offset
            return self._send_json(200, {"ok": True, "offset_seconds": off})
        if path == "/_standin/redirect" and self.command == "POST":
            with st.lock:
                st.redirect_to = payload.get("location")
            return self._send_json(200, {"ok": True, "redirect_to": st.redirect_to})
        if path == "/_standin/sessions" and self.command == "GET":
            with st.lock:
                out = [
                    {"access_key_id": s.access_key_id, "arn": s.arn, "expiration": iso8601(s.expiration)}
                    for s in st.sessions.values()
                ]
            return self._send_json(200, {"sessions": out})
        return self._send_json(404, {"error": f"no admin endpoint {self.command} {path}"})

    # --- STS ------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        target = self.path
        if target.startswith("http://") or target.startswith("https://"):
            sp = urlsplit(target)
            raw_path, raw_query = sp.path or "/", sp.query
        else:
            raw_path, _, raw_query = target.partition("?")
        body = self._read_body()

        if self.via == "http" and raw_path.startswith("/_standin/"):
            return self._admin(raw_path, body)

        st = self.state
        started = time.time()
        request_id = str(uuid.uuid4())
        accept = (self.headers.get("Accept") or "").lower()
        as_json = "application/json" in accept or "application/x-amz-json" in accept
        req = sigv4.Request(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
        )
        params: Dict[str, str] = {}
        for k, v in req.query_pairs:
            params.setdefault(k, v)
        ctype = (self.headers.get("Content-Type") or "").lower()
        if self.command == "POST" and (not ctype or "x-www-form-urlencoded" in ctype):
            for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                params.setdefault(k, v)
        action = params.get("Action")
        entry = {
            "action": action,
            "access_key_id": None,
            "host": self.headers.get("Host"),
            "x_k8s_aws_id": self.headers.get("x-k8s-aws-id"),
            "method": self.command,
            "status": None,
            "time": started,
            "via": self.via,
            "tls_host": self.tls_host,
            "accept": self.headers.get("Accept"),
            "user_agent": self.headers.get("User-Agent"),
            "request_id": request_id,
            # Confused-deputy headers (the server's EC2 role with server.sourceARN).
            "source_account": self.headers.get("x-amz-source-account"),
            "source_arn": self.headers.get("x-amz-source-arn"),
        }
        cred = params.get("X-Amz-Credential")
        if not cred:
            m = re.search(r"Credential=([^/,\s]+)", self.headers.get("Authorization") or "")
            cred = m.group(1) if m else None
        if cred:
            entry["access_key_id"] = cred.split("/")[0]

        def finish(status: int, **more):
            entry["status"] = status
            entry["duration"] = round(time.time() - started, 4)
            entry.update(more)
            st.record(entry)
            tail = f" {more.get('error_code')}" if more.get("error_code") else ""
            log(
                f"{self.via} {self.command} {entry['host']} action={action} key={entry['access_key_id']} "
                f"k8s-id={entry['x_k8s_aws_id']} -> {status}{tail}"
            )

        # faults --------------------------------------------------------------------------
        fault = st.take_fault(action)
        mode = fault["mode"]
        if mode == "refuse":
            finish(0, fault="refuse")
            return self._close_now()
        if mode == "hang":
            finish(0, fault="hang")  # recorded at once: calls() shows the hanging request
            return self._hang()
        if mode == "slow":
            entry["fault"] = "slow"
            deadline = time.time() + fault["delay_seconds"]
            while time.time() < deadline and not st.stopping.is_set():
                time.sleep(min(0.05, max(0.0, deadline - time.time())))
        elif mode == "throttle":
            err = STSError(400, "Throttling", "Rate exceeded")
            b, ct = error_body(err, request_id, as_json)
            self._send(400, b, ct, request_id)
            return finish(400, error_code="Throttling", fault="throttle")
        elif mode == "error500":
            err = STSError(500, "InternalFailure", "An internal error has occurred")
            b, ct = error_body(err, request_id, as_json)
            self._send(500, b, ct, request_id)
            return finish(500, error_code="InternalFailure", fault="error500")
        elif mode == "malformed-json":
            b = b'{"GetCallerIdentityResponse": {"GetCallerIdentityResult": {"Account": "1111'
            self._send(200, b, "application/json", request_id)
            return finish(200, fault="malformed-json")
        elif mode == "malformed-xml":
            b = f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult><Arn>arn:aws'.encode()
            self._send(200, b, "text/xml", request_id)
            return finish(200, fault="malformed-xml")
        elif mode == "redirect" or (st.redirect_to and action == "GetCallerIdentity"):
            loc = fault.get("location") or st.redirect_to or "https://example.invalid/"
            self._send(302, b"", "text/plain", request_id, extra={"Location": loc})
            return finish(302, redirect=loc)

        # authentication + action ---------------------------------------------------------
        try:
            if self.command not in ("GET", "POST"):
                raise STSError(405, "MethodNotAllowed", f"The method {self.command} is not allowed")
            try:
                auth = sigv4.parse_auth(req)
                entry["access_key_id"] = auth.access_key_id
                ident = st.identity_for(auth)
                sigv4.verify_signature(req, auth, ident.secret_access_key)
                sigv4.check_time(auth, st.now())
            except sigv4.SigV4Error as e:
                raise STSError(e.status, e.code, e.message, e.detail)
            st.check_expiry(ident)
            entry["caller_arn"] = ident.arn
            entry["signing"] = auth.mode
            entry["region"] = auth.region
            if not action:
                raise STSError(400, "MissingAction", "Missing Action")
            version = params.get("Version")
            if version is not None and version != API_VERSION:
                raise STSError(400, "InvalidAction", f"Could not find operation {action} for version {version}")
            handler = ACTIONS.get(action)
            if handler is None:
                raise STSError(400, "InvalidAction", f"Could not find operation {action} for version {version or API_VERSION}")
            result = handler(st, ident, params)
            if action == "AssumeRole":
                b, ct = assume_role_body(result, request_id, as_json)
                entry["issued_access_key_id"] = result.access_key_id
                entry["result_arn"] = result.arn
            else:
                b, ct = gci_body(result, request_id, as_json)
                entry["result_arn"] = result.arn
            self._send(200, b, ct, request_id)
            return finish(200)
        except STSError as e:
            b, ct = error_body(e, request_id, as_json)
            if e.detail:
                log(f"{e.code}: {e.detail}")
            self._send(e.status, b, ct, request_id)
            more = {"error_code": e.code, "error_message": e.message}
            if e.detail:
                more["error_detail"] = e.detail
            return finish(e.status, **more)


def _is_loopback(host: str) -> bool:
    h = host.strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


class ProxyHandler(BaseHTTPRequestHandler):
    """HTTP CONNECT proxy that terminates TLS itself and serves the STS API inside."""

    protocol_version = "HTTP/1.1"
    server_version = "sts-standin-proxy"
    sys_version = ""
    rbufsize = 0  # never read past the CONNECT request head (the TLS hello follows it)
    timeout = 60

    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return self.server_version

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def _not_allowed(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        body = b"This is an HTTPS (CONNECT) proxy for the STS stand-in; only CONNECT is supported.\n"
        self.send_response(405)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Allow", "CONNECT")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _not_allowed

    def do_CONNECT(self):
        st = self.state
        target = self.path
        host, _, port = target.rpartition(":")
        if not host:
            host, port = target, "443"
        host = host.strip("[]")
        if st.passthrough_loopback and _is_loopback(host):
            return self._tunnel(host, int(port or 443))
        with st.lock:
            st.connects += 1
        if st.take_connect_refusal():
            log(f"proxy CONNECT {target} refused (fault=refuse)")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        ctx = st.tls.context_for(host)
        try:
            self.connection.settimeout(30)
            tls = ctx.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log(f"proxy CONNECT {target}: TLS handshake failed: {e}")
            return
        try:
            handler = STSHandler.__new__(STSHandler)
            handler.via = "proxy"
            handler.tls_host = host
            STSHandler.__init__(handler, tls, self.client_address, self.server)
        except (ssl.SSLError, OSError, ConnectionError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def _tunnel(self, host: str, port: int) -> None:
        try:
            upstream = socket.create_connection((host, port), timeout=10)
        except OSError as e:
            self.send_error(502, f"cannot reach {host}:{port}: {e}")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        client = self.connection
        client.settimeout(None)
        upstream.settimeout(None)
        socks = [client, upstream]
        try:
            while not self.state.stopping.is_set():
                r, _, _ = select.select(socks, [], [], 0.5)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (upstream if s is client else client).sendall(data)
        except OSError:
            pass
        finally:
            upstream.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------------------------
# main


def write_json_atomic(path: str, obj: dict) -> None:
    path = os.path.abspath(path)
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ready.", dir=d)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f)
        f.write("\n")
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sts_standin", description=__doc__.split("\n")[0])
    ap.add_argument("--config", help="config JSON file (users, roles, ...)")
    ap.add_argument("--ready-file", required=True, help="JSON written atomically once listening")
    ap.add_argument("--state-dir", help="keeps the CA (reused across runs) and leaf certs; default: a temp dir")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--proxy-port", type=int, default=0)
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--exit-with-parent", action="store_true", help="exit when the parent process goes away")
    ap.add_argument("--quiet", action="store_true", help="do not log each request to stderr")
    args = ap.parse_args(argv)

    config = {}
    if args.config:
        with open(args.config) as f:
            config = json.load(f)

    global log
    if args.quiet:
        log = lambda msg: None  # noqa: E731

    tmp_state = None
    state_dir = args.state_dir
    if not state_dir:
        tmp_state = tempfile.mkdtemp(prefix="sts-standin-")
        state_dir = tmp_state
    state_dir = os.path.abspath(state_dir)
    os.makedirs(state_dir, exist_ok=True)

    state = State(config)
    ca = CertAuthority(state_dir)
    state.tls = SNIContexts(ca)  # type: ignore[attr-defined]

    httpd = _Server((args.host, args.http_port), STSHandler)
    proxyd = _Server((args.host, args.proxy_port), ProxyHandler)
    httpd.state = state  # type: ignore[attr-defined]
    proxyd.state = state  # type: ignore[attr-defined]

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_signal)

    threads = [
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True),
        threading.Thread(target=proxyd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True),
    ]
    for t in threads:
        t.start()

    ready = {
        "proxy_port": proxyd.server_address[1],
        "http_port": httpd.server_address[1],
        "ca_file": ca.ca_file,
        "pid": os.getpid(),
        "host": args.host,
        "state_dir": state_dir,
    }
    write_json_atomic(args.ready_file, ready)
    log(f"ready: proxy http://{args.host}:{ready['proxy_port']}  http http://{args.host}:{ready['http_port']}  ca {ca.ca_file}")

    parent = os.getppid()
    while not stop.wait(0.25):
        if args.exit_with_parent and os.getppid() != parent:
            log("parent went away; exiting")
            break

    state.stopping.set()
    httpd.shutdown()
    proxyd.shutdown()
    httpd.server_close()
    proxyd.server_close()
    try:
        os.unlink(os.path.abspath(args.ready_file))
    except OSError:
        pass
    if tmp_state:
        shutil.rmtree(tmp_state, ignore_errors=True)
    log("stopped")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
