"""Start/stop the STS stand-in (and the fake kube-apiserver recorder) from Python tests.

    from sts_standin.harness import StandIn, default_config
    with StandIn(default_config(), tmp_path) as sts:
        env = sts.client_env()          # HTTPS_PROXY, AWS_CA_BUNDLE, SSL_CERT_FILE, NO_PROXY
        sts.fault("throttle")
        print(sts.calls()["counts"])
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Optional

SUPPORT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ACCOUNT = "111122223333"

# Long-term keys used by the default config (fake, test-only).
ALICE = {
    "access_key_id": "AKIAALICE00000000001",
    "secret_access_key": "aliceSecretKey0000000000000000000000000/+",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "user_id": "AIDAALICE0000000000001",
    "account": ACCOUNT,
}
BOB = {
    "access_key_id": "AKIABOB0000000000002",
    "secret_access_key": "bobSecretKey000000000000000000000000000/+",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/devs/bob",
    "user_id": "AIDABOB00000000000002",
    "account": ACCOUNT,
}
ROOT = {
    "access_key_id": "AKIAROOT000000000003",
    "secret_access_key": "rootSecretKey00000000000000000000000000/+",
    "arn": f"arn:aws:iam::{ACCOUNT}:root",
    "account": ACCOUNT,
}
FEDERATED = {
    "access_key_id": "AKIAFED0000000000004",
    "secret_access_key": "fedSecretKey000000000000000000000000000/+",
    "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/carol",
    "account": ACCOUNT,
}

# A static session credential (like an SSO/instance-role export), valid until 2099.
STATIC_SESSION = {
    "access_key_id": "ASIASTATIC0000000005",
    "secret_access_key": "staticSecretKey0000000000000000000000/+=",
    "session_token": "IQoJb3JpZ2luX2VjEstatic/session+token==",
    "expiration": "2099-01-01T00:00:00Z",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/static",
    "user_id": "AROADEV00000000000001:static",
    "account": ACCOUNT,
}


def default_config() -> dict:
    """Users alice, bob, root, federated carol, a static session; roles dev, external, mfa,
    team/pathy, chained, open."""
    return {
        "users": [dict(ALICE), dict(BOB), dict(ROOT), dict(FEDERATED), dict(STATIC_SESSION)],
        "roles": [
            {
                "arn": f"arn:aws:iam::{ACCOUNT}:role/dev",
                "role_id": "AROADEV00000000000001",
                "trusted": [ALICE["arn"]],
                "max_duration": 3600,
            },
            {
                "arn": f"arn:aws:iam::{ACCOUNT}:role/external",
                "role_id": "AROAEXT00000000000002",
                "trusted": [ALICE["arn"], BOB["arn"]],
                "external_id": "ext-123",
            },
            {
                "arn": f"arn:aws:iam::{ACCOUNT}:role/mfa",
                "role_id": "AROAMFA00000000000003",
                "trusted": [ALICE["arn"]],
                "mfa_serial": f"arn:aws:iam::{ACCOUNT}:mfa/alice",
                "mfa_code": "123456",
            },
            {
                "arn": f"arn:aws:iam::{ACCOUNT}:role/team/pathy",
                "role_id": "AROAPATHY000000000004",
                "trusted": [f"arn:aws:iam::{ACCOUNT}:root"],
            },
            {
                # chained: trusts the dev role's sessions
                "arn": f"arn:aws:iam::{ACCOUNT}:role/chained",
                "role_id": "AROACHAIN000000000005",
                "trusted": [f"arn:aws:iam::{ACCOUNT}:role/dev"],
            },
            {
                "arn": f"arn:aws:iam::{ACCOUNT}:role/open",
                "role_id": "AROAOPEN0000000000006",
                "trusted": ["*"],
            },
        ],
    }


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _wait_ready(proc: subprocess.Popen, ready_file: str, log_path: str, timeout: float) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(ready_file):
            with open(ready_file) as f:
                return json.load(f)
        if proc.poll() is not None:
            with open(log_path, errors="replace") as f:
                tail = f.read()[-4000:]
            raise RuntimeError(f"process exited with {proc.returncode} before ready:\n{tail}")
        time.sleep(0.02)
    proc.kill()
    raise TimeoutError(f"not ready after {timeout}s (see {log_path})")


def _stop(proc: Optional[subprocess.Popen], timeout: float = 10) -> Optional[int]:
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


class StandIn:
    """Context manager running ``python -m sts_standin`` in a subprocess."""

    def __init__(self, config: Optional[dict] = None, tmpdir=None, python: Optional[str] = None,
                 ready_timeout: float = 30.0, quiet: bool = False):
        import tempfile

        self.config = default_config() if config is None else config
        self.tmpdir = os.path.abspath(str(tmpdir) if tmpdir is not None else tempfile.mkdtemp(prefix="standin-"))
        self.python = python or sys.executable
        self.ready_timeout = ready_timeout
        self.quiet = quiet
        self.proc: Optional[subprocess.Popen] = None
        self.ready: dict = {}
        self.config_file = os.path.join(self.tmpdir, "sts-config.json")
        self.ready_file = os.path.join(self.tmpdir, "sts-ready.json")
        self.state_dir = os.path.join(self.tmpdir, "sts-state")
        self.log_path = os.path.join(self.tmpdir, "sts-standin.log")

    # lifecycle ---------------------------------------------------------------------------
    def start(self) -> "StandIn":
        os.makedirs(self.tmpdir, exist_ok=True)
        with open(self.config_file, "w") as f:
            json.dump(self.config, f, indent=1)
        if os.path.exists(self.ready_file):
            os.unlink(self.ready_file)
        env = dict(os.environ)
        env["PYTHONPATH"] = SUPPORT_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        cmd = [self.python, "-m", "sts_standin", "--config", self.config_file, "--ready-file",
               self.ready_file, "--state-dir", self.state_dir, "--exit-with-parent"]
        if self.quiet:
            cmd.append("--quiet")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        self.ready = _wait_ready(self.proc, self.ready_file, self.log_path, self.ready_timeout)
        return self

    def stop(self) -> Optional[int]:
        rc = _stop(self.proc)
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None
        return rc

    def __enter__(self) -> "StandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_text(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # addresses ---------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        return self.ready["pid"]

    @property
    def proxy_port(self) -> int:
        return self.ready["proxy_port"]

    @property
    def http_port(self) -> int:
        return self.ready["http_port"]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ca_file(self) -> str:
        return self.ready["ca_file"]

    def client_env(self, base: Optional[dict] = None) -> dict:
        """Environment for a client that reaches STS through the proxy and trusts the test CA."""
        env = dict(os.environ if base is None else base)
        for k in ("HTTPS_PROXY", "https_proxy"):
            env[k] = self.proxy_url
        for k in ("NO_PROXY", "no_proxy"):
            env[k] = "127.0.0.1,localhost"
        env["AWS_CA_BUNDLE"] = self.ca_file
        env["SSL_CERT_FILE"] = self.ca_file
        env.pop("AWS_ENDPOINT_URL_STS", None)
        env.pop("AWS_ENDPOINT_URL", None)
        return env

    # admin API ---------------------------------------------------------------------------
    def _admin(self, method: str, path: str, payload: Optional[dict] = None) -> dict:
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.http_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with _no_proxy_opener().open(req, timeout=10) as r:
            return json.loads(r.read())

    def calls(self) -> dict:
        return self._admin("GET", "/_standin/calls")

    def counts(self) -> dict:
        return self.calls()["counts"]

    def reset(self) -> None:
        self._admin("POST", "/_standin/reset", {})

    def fault(self, mode: str = "none", delay: float = 0.0, count: Optional[int] = None,
              actions=None, location: Optional[str] = None) -> dict:
        spec = {"mode": mode, "delay_seconds": delay}
        if count is not None:
            spec["count"] = count
        if actions:
            spec["actions"] = list(actions)
        if location:
            spec["location"] = location
        return self._admin("POST", "/_standin/fault", spec)

    def clock(self, offset_seconds: Optional[float] = None, advance_seconds: Optional[float] = None) -> float:
        payload = {}
        if offset_seconds is not None:
            payload["offset_seconds"] = offset_seconds
        if advance_seconds is not None:
            payload["advance_seconds"] = advance_seconds
        return self._admin("POST", "/_standin/clock", payload)["offset_seconds"]

    def redirect(self, location: Optional[str]) -> None:
        self._admin("POST", "/_standin/redirect", {"location": location})


class Recorder:
    """Context manager running ``python -m sts_standin.recorder`` (fake kube-apiserver)."""

    def __init__(self, tmpdir=None, python: Optional[str] = None, ready_timeout: float = 30.0,
                 extra_args=()):
        import tempfile

        self.tmpdir = os.path.abspath(str(tmpdir) if tmpdir is not None else tempfile.mkdtemp(prefix="recorder-"))
        self.python = python or sys.executable
        self.ready_timeout = ready_timeout
        self.extra_args = list(extra_args)
        self.cert_dir = os.path.join(self.tmpdir, "recorder")
        self.ready_file = os.path.join(self.tmpdir, "recorder-ready.json")
        self.log_path = os.path.join(self.tmpdir, "recorder.log")
        self.proc: Optional[subprocess.Popen] = None
        self.ready: dict = {}

    def start(self) -> "Recorder":
        os.makedirs(self.tmpdir, exist_ok=True)
        if os.path.exists(self.ready_file):
            os.unlink(self.ready_file)
        env = dict(os.environ)
        env["PYTHONPATH"] = SUPPORT_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        cmd = [self.python, "-m", "sts_standin.recorder", "--ready-file", self.ready_file,
               "--cert-dir", self.cert_dir, "--exit-with-parent", *self.extra_args]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        self.ready = _wait_ready(self.proc, self.ready_file, self.log_path, self.ready_timeout)
        return self

    def stop(self) -> Optional[int]:
        rc = _stop(self.proc)
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None
        return rc

    def __enter__(self) -> "Recorder":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self.ready["port"]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> str:
        return self.ready["ca_file"]

    def tokens(self):
        path = os.path.join(self.cert_dir, "tokens.txt")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [line.rstrip("\n") for line in f if line.strip()]

    def kubeconfig(self, path: str, exec_command: str, exec_args=(), env=None,
                   api_version: str = "client.authentication.k8s.io/v1beta1", cluster: str = "test") -> str:
        """Write a kubeconfig pointing at the recorder whose user runs an exec credential plugin."""
        import json as _json

        user_exec = {
            "apiVersion": api_version,
            "command": exec_command,
            "args": list(exec_args),
            "interactiveMode": "Never",
        }
        if env:
            user_exec["env"] = [{"name": k, "value": v} for k, v in env.items()]
        cfg = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": {"server": self.url, "certificate-authority": self.ca_file}}],
            "users": [{"name": "exec-user", "user": {"exec": user_exec}}],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": "exec-user"}}],
            "current-context": cluster,
        }
        with open(path, "w") as f:
            _json.dump(cfg, f, indent=1)  # JSON is valid YAML
        return path
