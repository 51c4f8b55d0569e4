"""A fake kube-apiserver for kubectl that records bearer tokens.

Run:  PYTHONPATH=tests/support python -m sts_standin.recorder --ready-file R.json --cert-dir DIR

* HTTPS on 127.0.0.1 (OS-chosen port unless --port), certificate for IP 127.0.0.1 + DNS localhost,
  issued by its own CA written to DIR/ca.pem.
* Every ``Authorization: Bearer <token>`` seen is appended to DIR/tokens.txt (one per line);
  every request is appended to DIR/requests.jsonl.
* GET /version -> kube version info; GET /api -> APIVersions; GET /apis -> empty APIGroupList;
  anything else -> 404 Status. A request without a bearer token gets 401 Status (as an apiserver
  would), which makes kubectl run its exec plugin again.
* Writes R.json atomically when listening: {"port": .., "ca_file": .., "pid": .., "cert_dir": ..}.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .certs import CertAuthority
from .server import write_json_atomic

VERSION_INFO = {
    "major": "1",
    "minor": "34",
    "emulationMajor": "1",
    "emulationMinor": "34",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "33",
    "gitVersion": "v1.34.2-recorder",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def status(code: int, reason: str, message: str) -> dict:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "recorder"
    sys_version = ""
    timeout = 60

    def log_message(self, fmt, *args):
        pass

    def _json(self, code: int, obj) -> None:
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        srv = self.server
        authz = self.headers.get("Authorization") or ""
        token = authz[7:].strip() if authz[:7].lower() == "bearer " else None
        path = self.path.split("?", 1)[0]
        accepted = token is not None and (not srv.require_prefix or token.startswith(srv.require_prefix))
        with srv.lock:
            if token is not None:
                with open(os.path.join(srv.cert_dir, "tokens.txt"), "a") as f:
                    f.write(token + "\n")
            with open(os.path.join(srv.cert_dir, "requests.jsonl"), "a") as f:
                f.write(json.dumps({
                    "time": time.time(), "method": self.command, "path": self.path,
                    "has_token": token is not None, "accepted": accepted,
                    "user_agent": self.headers.get("User-Agent"),
                }) + "\n")
        sys.stderr.write(f"[recorder] {self.command} {self.path} token={'yes' if token else 'no'}\n")
        if not accepted:
            return self._json(401, status(401, "Unauthorized", "Unauthorized"))
        if self.command not in ("GET", "HEAD"):
            return self._json(405, status(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource"))
        if path == "/version":
            return self._json(200, VERSION_INFO)
        if path == "/api":
            return self._json(200, {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{srv.server_address[1]}"}],
            })
        if path == "/apis":
            return self._json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        return self._json(404, status(404, "NotFound", "the server could not find the requested resource"))

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)

    def get_request(self):
        sock, addr = super().get_request()
        return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sts_standin.recorder", description="fake kube-apiserver that records bearer tokens")
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--cert-dir", required=True, help="CA (ca.pem), serving cert, tokens.txt, requests.jsonl")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--require-prefix", default="", help="answer 401 to bearer tokens without this prefix")
    ap.add_argument("--exit-with-parent", action="store_true")
    args = ap.parse_args(argv)

    cert_dir = os.path.abspath(args.cert_dir)
    os.makedirs(cert_dir, exist_ok=True)
    ca = CertAuthority(cert_dir, common_name="recorder test CA")
    cert_path, key_path = ca.write_leaf(["127.0.0.1", "localhost", "::1"], directory=cert_dir)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    ctx.set_alpn_protocols(["http/1.1"])

    srv = _Server((args.host, args.port), Handler)
    srv.ssl_context = ctx
    srv.lock = threading.Lock()
    srv.cert_dir = cert_dir
    srv.require_prefix = args.require_prefix

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    write_json_atomic(args.ready_file, {
        "port": srv.server_address[1],
        "ca_file": ca.ca_file,
        "pid": os.getpid(),
        "cert_dir": cert_dir,
        "tokens_file": os.path.join(cert_dir, "tokens.txt"),
    })
    sys.stderr.write(f"[recorder] ready on https://{args.host}:{srv.server_address[1]}\n")
    sys.stderr.flush()
    parent = os.getppid()
    while not stop.wait(0.25):
        if args.exit_with_parent and os.getppid() != parent:
            break
    srv.shutdown()
    srv.server_close()
    try:
        os.unlink(os.path.abspath(args.ready_file))
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
