#!/usr/bin/env python3
"""Measure the webhook server's resident memory, to size deploy/daemonset.yaml.

    . ~/.cache/aws-iam-authenticator-ci/env.sh
    "$AIA_PYTHON" scripts/measure-server-rss.py [--bin target/release/aws-iam-authenticator]

Starts the STS stand-in (tests/support/sts_standin) and `aws-iam-authenticator server` (built with
`--features server`) with a MountedFile config, then reads VmRSS / VmHWM from /proc/PID/status:

  idle       after start-up, before any request
  burst      N TokenReviews with real tokens (minted by `aws-iam-authenticator token`, each
             verified against the stand-in) from C concurrent keep-alive TLS connections
  slow-sts   the same while STS answers after a delay, so requests pile up in the server
             (what happens when STS is slow and kube-apiserver keeps sending)
  big-bodies C connections each posting a 60 KiB garbage body (the server caps bodies at 64 KiB)
  idle-conns --idle-connections N TLS connections (default 2000) opened and left silent,
             reopened as the server closes them, for --idle-seconds; reviews on fresh
             connections meanwhile, with their latency (the connection cap must not starve
             them); open file descriptors before, at the peak and after
  after      idle again, a few seconds after the last phase

`--server-arg=--max-connections=1024` (repeatable) passes flags to the server, e.g. a long
`--connection-first-request-timeout` so that the cap, not the timeout, bounds idle connections.

Prints one table; the figures in deploy/README.md come from it. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))

from sts_standin.harness import ALICE, StandIn, default_config  # noqa: E402

CLUSTER = "measure-cluster"
CONFIG = f"""clusterID: {CLUSTER}
server:
  mapUsers:
  - userarn: {ALICE['arn']}
    username: alice
    groups: [devs]
  mapRoles:
  - rolearn: arn:aws:iam::111122223333:role/dev
    username: dev:{{{{SessionName}}}}
    groups: [devs]
"""


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def mem(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                out[key] = int(rest.split()[0])
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    out["cpu"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, s
    return out


class Sampler(threading.Thread):
    """Samples VmRSS every 20 ms; max_rss is the phase's peak (VmHWM is the process lifetime peak)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.max_rss, self.max_fds, self.stop_flag = pid, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            m = mem(self.pid)
            self.max_rss = max(self.max_rss, m["VmRSS"])
            self.max_fds = max(self.max_fds, m["fds"])
            time.sleep(0.02)

    def stop(self) -> int:
        self.stop_flag.set()
        self.join()
        return max(self.max_rss, mem(self.pid)["VmRSS"])


def mint(bin_path: str, sts: StandIn, home: str) -> str:
    env = sts.client_env({"PATH": os.environ.get("PATH", ""), "HOME": home})
    env.update(AWS_ACCESS_KEY_ID=ALICE["access_key_id"], AWS_SECRET_ACCESS_KEY=ALICE["secret_access_key"],
               AWS_REGION="us-west-2", AWS_EC2_METADATA_DISABLED="true")
    out = subprocess.run([bin_path, "token", "-i", CLUSTER, "--token-only"], env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def hammer(port: int, bodies: list[bytes], total: int, conc: int) -> dict:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    lock, counts, next_i = threading.Lock(), {}, [0]

    def worker() -> None:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
        while True:
            with lock:
                i = next_i[0]
                if i >= total:
                    break
                next_i[0] += 1
            try:
                conn.request("POST", "/authenticate", body=bodies[i % len(bodies)],
                             headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                status = r.status
            except Exception as e:  # noqa: BLE001 - count and reconnect
                status = type(e).__name__
                conn.close()
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
            with lock:
                counts[status] = counts.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


def idle_connections(port: int, n: int, seconds: float, review: bytes) -> tuple[dict, list[float]]:
    """Holds up to `n` silent TLS connections for `seconds` (reopening closed ones), while a
    review on a fresh connection is sent every 0.5 s; returns the review statuses and latencies."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    stop = threading.Event()
    opened = [0]

    def hold() -> None:
        conns: list = []
        while not stop.is_set():
            # Drop the ones the server closed, then top up to n.
            alive = []
            for c in conns:
                try:
                    c.setblocking(False)
                    if c.recv(1) == b"":
                        c.close()
                        continue
                except (BlockingIOError, ssl.SSLWantReadError):
                    pass
                except OSError:
                    c.close()
                    continue
                alive.append(c)
            conns = alive
            while len(conns) < n and not stop.is_set():
                try:
                    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
                    conns.append(ctx.wrap_socket(raw))
                    opened[0] += 1
                except OSError:
                    break
            time.sleep(0.2)
        for c in conns:
            c.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    counts: dict = {}
    latencies: list[float] = []
    end = time.time() + seconds
    while time.time() < end:
        t0 = time.time()
        got = hammer(port, [review], 1, 1)
        latencies.append(time.time() - t0)
        for k, v in got.items():
            counts[str(k)] = counts.get(str(k), 0) + v
        time.sleep(0.5)
    stop.set()
    holder.join()
    counts["idle conns opened"] = opened[0]
    return counts, latencies


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "debug", "aws-iam-authenticator"))
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--slow-concurrency", type=int, default=400)
    ap.add_argument("--slow-delay", type=float, default=2.0)
    ap.add_argument("--idle-connections", type=int, default=2000)
    ap.add_argument("--idle-seconds", type=float, default=15.0)
    ap.add_argument("--server-arg", action="append", default=[])
    ap.add_argument("--only-idle", action="store_true", help="skip the burst, slow-sts and big-bodies phases")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="aia-rss-")
    rows = []
    with StandIn(default_config(), os.path.join(tmp, "sts"), quiet=True) as sts:
        cfg = os.path.join(tmp, "config.yaml")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        port, home = free_port(), os.path.join(tmp, "home")
        os.makedirs(home)
        env = sts.client_env({"PATH": os.environ.get("PATH", ""), "HOME": home})
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        server = subprocess.Popen(
            [args.bin, "server", "--config=" + cfg, "--port", str(port), "--health-port", "0",
             "--state-dir", os.path.join(tmp, "state"),
             "--generate-kubeconfig", os.path.join(tmp, "kubeconfig.yaml"), "--log-verbosity", "warn",
             *args.server_arg],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "server.log"), "wb"))
        try:
            deadline = time.time() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    if server.poll() is not None or time.time() > deadline:
                        print(open(os.path.join(tmp, "server.log")).read(), file=sys.stderr)
                        raise SystemExit("server did not start")
                    time.sleep(0.05)
            time.sleep(2)
            m = mem(server.pid)
            rows.append(("idle (after start-up)", m, m["VmRSS"], "-"))

            tokens = []
            for _ in range(5):
                tokens.append(mint(args.bin, sts, home))
                time.sleep(1.05)  # X-Amz-Date has 1 s resolution: distinct tokens
            reviews = [json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                                   "spec": {"token": t}}).encode() for t in tokens]

            def phase(name: str, bodies: list[bytes], total: int, conc: int) -> None:
                s = Sampler(server.pid)
                cpu0 = mem(server.pid)["cpu"]
                s.start()
                t0 = time.time()
                counts = hammer(port, bodies, total, conc)
                dt = time.time() - t0
                peak = s.stop()
                m = mem(server.pid)
                m["cpu_phase"] = m["cpu"] - cpu0
                rows.append((f"{name}: {total} req, {conc} conns, {dt:.1f} s", m, peak,
                             json.dumps(counts, sort_keys=True)))

            if not args.only_idle:
                phase("burst", reviews, args.requests, args.concurrency)
                sts.fault("slow", args.slow_delay)
                phase(f"slow-sts ({args.slow_delay:g} s)", reviews, args.slow_concurrency, args.slow_concurrency)
                sts.fault("none")
                garbage = [b'{"spec":{"token":"' + b"a" * (60 * 1024) + b'"}}']
                phase("big-bodies (60 KiB)", garbage, args.slow_concurrency * 2, args.slow_concurrency)
                time.sleep(5)
            if args.idle_connections:
                m = mem(server.pid)
                rows.append(("before idle-conns", m, m["VmRSS"], "-"))
                s = Sampler(server.pid)
                s.start()
                counts, lat = idle_connections(port, args.idle_connections, args.idle_seconds, reviews[0])
                peak = s.stop()
                m = mem(server.pid)
                m["fds"] = s.max_fds
                lat.sort()
                counts["review ms p50/max"] = (f"{lat[len(lat) // 2] * 1000:.0f}/{lat[-1] * 1000:.0f}"
                                               if lat else "-")
                rows.append((f"idle-conns: {args.idle_connections} held {args.idle_seconds:g} s (fds = peak)",
                             m, peak, json.dumps(counts, sort_keys=True)))
                time.sleep(5)
            m = mem(server.pid)
            rows.append(("after (idle 5 s)", m, m["VmRSS"], "-"))
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()

    print(f"binary: {args.bin}")
    print("MiB; RSS = anon + file (the mapped binary); peak = highest RSS sampled every 20 ms in the phase;")
    print("HWM = the process's lifetime peak RSS (VmHWM)")
    print("cpu = CPU seconds (user + system) the server used in the phase")
    print("fds = open file descriptors of the server")
    print(f"{'phase':50} {'RSS':>6} {'anon':>6} {'file':>6} {'peak':>6} {'HWM':>6} {'thr':>4} {'fds':>5} {'cpu':>5}  statuses")
    for name, m, peak, counts in rows:
        print(f"{name:50} {m['VmRSS'] / 1024:6.1f} {m['RssAnon'] / 1024:6.1f} {m['RssFile'] / 1024:6.1f}"
              f" {peak / 1024:6.1f} {m['VmHWM'] / 1024:6.1f} {m['Threads']:4} {m['fds']:5}"
              f" {m.get('cpu_phase', 0):5.1f}  {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
