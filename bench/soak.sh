#!/usr/bin/env bash
# Soak test of the webhook server: mixed valid and invalid TokenReviews at high
# concurrency for DURATION seconds against the real binary, STS being the Python stand-in
# (which is the bottleneck; that is fine for a soak). Fails unless:
#   * every answer is an expected one (200 for the valid token, 403 for a garbage token and
#     for a token minted for another cluster, 400 for a malformed body) and no request
#     errors (connection resets, timeouts);
#   * the server's RSS at the end is within 25 % (+8 MiB) of its RSS after warm-up;
#   * its open file descriptors, once the load stops, are back within the warm-up count plus
#     the STS client's idle pool (bounded by the concurrency, not by the request count).
#
#   DURATION=600 CONCURRENCY=64 bench/soak.sh      # defaults: 10 minutes, 64 connections
#
# The token is re-minted every ROUND seconds (default 300; tokens live 15 minutes).
# Needs oha (`cargo install --locked oha`, looked up in $AIA_CACHE/bin) and the test venv.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-600}"
CONCURRENCY="${CONCURRENCY:-64}"
ROUND="${ROUND:-300}"
export AIA_CACHE="${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$AIA_CACHE/target}"
export PATH="$AIA_CACHE/bin:$PATH"

command -v oha >/dev/null || cargo install --locked --root "$AIA_CACHE" oha
bash tests/support/setup-env.sh >/dev/null
# shellcheck disable=SC1091
source "$AIA_CACHE/env.sh"
if [[ -z "${BIN:-}" ]]; then
  cargo build --locked -q --features server
  BIN="$CARGO_TARGET_DIR/debug/aws-iam-authenticator"
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The STS stand-in (tests/common/mod.rs's users).
cat > "$WORK/sts.json" <<'JSON'
{"users": [{"access_key_id": "AKIAALICEEXAMPLE0001", "secret_access_key": "aliceSecretKey/EXAMPLE+abcdefghijklmnopqrs",
            "arn": "arn:aws:iam::111122223333:user/alice", "user_id": "AIDAALICEEXAMPLE00001", "account": "111122223333"}],
 "roles": []}
JSON
PYTHONPATH=tests/support "$AIA_PYTHON" -m sts_standin --config "$WORK/sts.json" --ready-file "$WORK/ready.json" \
  --state-dir "$WORK/sts" --quiet 2>"$WORK/sts.log" &
PIDS+=($!)
for _ in $(seq 100); do [[ -s "$WORK/ready.json" ]] && break; sleep 0.1; done
read -r PROXY_PORT CA_FILE < <("$AIA_PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["proxy_port"], r["ca_file"])' "$WORK/ready.json")
ENV=(env -i "PATH=$PATH" "HOME=$WORK" "HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT" "NO_PROXY=127.0.0.1,localhost"
     "AWS_CA_BUNDLE=$CA_FILE" AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-west-2)

PORT="$("$AIA_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$WORK/config.yaml" <<'YAML'
clusterID: soak-cluster
server:
  mapUsers:
  - userarn: arn:aws:iam::111122223333:user/alice
    username: alice
    groups: [devs]
YAML
"${ENV[@]}" "$BIN" server -c "$WORK/config.yaml" --port "$PORT" --health-port 0 --state-dir "$WORK/state" \
  --generate-kubeconfig "$WORK/kubeconfig" >/dev/null 2>"$WORK/server.log" &
SERVER=$!
PIDS+=($SERVER)
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

mint() {
  "${ENV[@]}" AWS_ACCESS_KEY_ID=AKIAALICEEXAMPLE0001 AWS_SECRET_ACCESS_KEY='aliceSecretKey/EXAMPLE+abcdefghijklmnopqrs' \
    "$BIN" token -i "$1" | "$AIA_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["status"]["token"])'
}
bodies() {
  local good other
  good="$(mint soak-cluster)"; other="$(mint another-cluster)"
  {
    printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"%s"}}\n' "$good"
    printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"%s"}}\n' "$other"
    printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"k8s-aws-v1.aHR0cHM6Ly9ldmlsLmNvbS8"}}\n'
    printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"%s=="}}\n' "$good"
    printf '{"kind": "TokenReview", "spec": {"token": \n'
  } > "$WORK/bodies.txt"
}

sample() {  # seconds-since-start rss_kib fds
  local rss fds
  rss="$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status")"
  fds="$(ls "/proc/$SERVER/fd" | wc -l)"
  echo "$(( $(date +%s) - START )) $rss $fds"
}

START="$(date +%s)"
# Warm-up: 10 s of load, then the baseline.
bodies
oha -z 10s -c "$CONCURRENCY" --insecure --no-tui -m POST -T application/json -Z "$WORK/bodies.txt" \
  --output-format json "https://127.0.0.1:$PORT/authenticate" > "$WORK/warmup.json"
sleep 2
read -r _ BASE_RSS BASE_FDS < <(sample)
echo "baseline after warm-up: RSS ${BASE_RSS} KiB, ${BASE_FDS} fds"

( while kill -0 "$SERVER" 2>/dev/null; do sample; sleep 5; done ) > "$WORK/samples.txt" &
PIDS+=($!)

left="$DURATION"; round=0
: > "$WORK/rounds.txt"
while (( left > 0 )); do
  this=$(( left < ROUND ? left : ROUND ))
  bodies
  oha -z "${this}s" -w -c "$CONCURRENCY" --insecure --no-tui -m POST -T application/json -Z "$WORK/bodies.txt" \
    --output-format json "https://127.0.0.1:$PORT/authenticate" > "$WORK/round$round.json"
  echo "$WORK/round$round.json" >> "$WORK/rounds.txt"
  left=$(( left - this )); round=$(( round + 1 ))
done
LOAD_RSS="$(sample | awk '{print $2}')"
# Client connections close with the load. The STS client keeps idle keep-alive
# connections to the proxy pooled: at most one per STS call that was in flight at once,
# so bounded by the concurrency, not by the number of requests. Wait up to 60 s.
FD_BOUND=$(( BASE_FDS + CONCURRENCY + 8 ))
for _ in $(seq 30); do
  read -r _ END_RSS END_FDS < <(sample)
  (( END_FDS <= BASE_FDS + 2 )) && break
  sleep 2
done
echo "descriptors settled at $END_FDS after $(( $(date +%s) - START )) s since start"
ls -l "/proc/$SERVER/fd" | awk '{print $NF}' | sed 's/[0-9]*//g' | sort | uniq -c > "$WORK/fds-end.txt"
ss -tanp 2>/dev/null | grep "pid=$SERVER," | awk '{print $1, $4, $5}' | sed -E "s/(127.0.0.1:)[0-9]+ /\1* /" | sort | uniq -c >> "$WORK/fds-end.txt"
curl_metrics() {
  "$AIA_PYTHON" - "$PORT" <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
print(urllib.request.urlopen(f"https://127.0.0.1:{sys.argv[1]}/metrics", context=ctx).read().decode())
PY
}
curl_metrics > "$WORK/metrics.txt"

"$AIA_PYTHON" - "$WORK" "$BASE_RSS" "$BASE_FDS" "$LOAD_RSS" "$END_RSS" "$END_FDS" "$DURATION" "$CONCURRENCY" "$FD_BOUND" <<'PY'
import json, re, sys
work, base_rss, base_fds, load_rss, end_rss, end_fds, duration, conc, fd_bound = sys.argv[1:]
fd_bound = int(fd_bound)
base_rss, base_fds, load_rss, end_rss, end_fds = map(int, (base_rss, base_fds, load_rss, end_rss, end_fds))
codes, errors, total, rps = {}, {}, 0, []
for path in open(f"{work}/rounds.txt").read().split():
    r = json.load(open(path))
    for k, v in r.get("statusCodeDistribution", {}).items():
        codes[k] = codes.get(k, 0) + v
    for k, v in r.get("errorDistribution", {}).items():
        errors[k] = errors.get(k, 0) + v
    rps.append(r["summary"]["requestsPerSec"])
    total += sum(r.get("statusCodeDistribution", {}).values())
metrics = open(f"{work}/metrics.txt").read()
def metric(pattern):
    return {m.group(1): float(m.group(2)) for m in re.finditer(pattern, metrics)}
results = metric(r'authenticate_latency_seconds_count\{result="([^"]+)"\} (\S+)')
sts_codes = metric(r'sts_responses_total\{ResponseCode="(\d+)",[^}]*\} (\S+)')
conn_fail = sum(metric(r'sts_connection_failures_total\{[^}]*\}() (\S+)').values())
samples = [tuple(map(int, l.split())) for l in open(f"{work}/samples.txt") if l.strip()]
peak_rss = max(s[1] for s in samples); peak_fds = max(s[2] for s in samples)
print(f"duration {duration}s, concurrency {conc}: {total} requests, {sum(rps)/len(rps):.0f} req/s")
print(f"status codes: {codes}; request errors: {errors or 'none'}")
print(f"server results: {results}; STS response codes: {sts_codes}; STS connection failures: {conn_fail:.0f}")
print(f"RSS KiB: baseline {base_rss}, end of load {load_rss}, peak {peak_rss}, after load {end_rss}")
print(f"fds: baseline {base_fds}, peak {peak_fds}, after load {end_fds}")
print(open(f"{work}/fds-end.txt").read())
print(f"samples: {len(samples)} (every 5 s) in {work}/samples.txt")
problems = []
if set(codes) - {"200", "400", "403"}: problems.append(f"unexpected status codes {codes}")
if not all(codes.get(c) for c in ("200", "400", "403")): problems.append(f"missing an expected status {codes}")
if errors: problems.append(f"request errors {errors}")
if set(results) - {"success", "invalid_token", "sts_error", "malformed_request"}: problems.append(f"unexpected results {results}")
if set(sts_codes) - {"200", "403"} or conn_fail: problems.append("STS errors beyond the other-cluster 403s")
if end_rss > base_rss * 1.25 + 8192: problems.append(f"RSS grew from {base_rss} to {end_rss} KiB")
if end_fds > fd_bound: problems.append(f"fds grew from {base_fds} to {end_fds} (bound {fd_bound})")
if problems:
    print("SOAK FAILED:\n  " + "\n  ".join(problems)); sys.exit(1)
print("soak passed")
PY
