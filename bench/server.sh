#!/usr/bin/env bash
# Server benchmark: TokenReviews per second, p50/p99 latency and RSS of
# `aws-iam-authenticator server`, with wrk at concurrency 1, 16 and 128, against a fast
# STS responder (bench/sts-responder, Go stdlib) reached through HTTPS_PROXY with TLS.
# Prints a Markdown table. Not a test.
#
#   bench/server.sh                 # 10 s per run
#   DURATION=30s bench/server.sh
#   TOKENS=5000 bench/server.sh     # distinct pregenerated tokens (default 2000)
#   MODES=nocache CONCURRENCY="16 128" bench/server.sh   # a subset
#   SERVER_ENV="MALLOC_ARENA_MAX=2" BIN=... bench/server.sh  # extra server environment
#
# Memory: RSS is sampled every 50 ms during each mode's runs; the second table gives the
# peak (VmHWM) and, at the sampled peak, its anonymous part (heap, stacks: what load
# grows) and its file-backed part (the mapped binary and libc, shared with the page cache).
#
# Two modes: "distinct tokens, no identity cache" (--identity-cache-size 0: every review
# is a STS round trip, the figure to compare with upstream) and "identity cache on" (the
# default: the same 2000 tokens cycle, so after the first pass reviews are cache hits).
# Needs: cargo, go, wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
TOKENS="${TOKENS:-2000}"
MODES="${MODES:-nocache cache}"
CONCURRENCY="${CONCURRENCY:-1 16 128}"
read -r -a SERVER_ENV <<<"${SERVER_ENV:-}"
export AIA_CACHE="${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$AIA_CACHE/target}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked -q --features server
    BIN="$CARGO_TARGET_DIR/release/aws-iam-authenticator"
fi
mkdir -p "$AIA_CACHE/bin"
(cd bench/sts-responder && GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o "$AIA_CACHE/bin/sts-responder" .)

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
[ -n "${KEEP_WORK:-}" ] && trap - EXIT

"$AIA_CACHE/bin/sts-responder" -ca "$WORK/ca.pem" -ready "$WORK/proxy" 2>"$WORK/responder.log" &
PIDS+=("$!")
for _ in $(seq 100); do [ -f "$WORK/proxy" ] && break; sleep 0.05; done
PROXY=$(cat "$WORK/proxy")

# Distinct valid tokens: one access key each (tokens signed in the same second with the
# same key are identical).
echo "generating $TOKENS tokens..." >&2
: > "$WORK/tokens"
for i in $(seq "$TOKENS"); do
    env -i "PATH=$PATH" HOME="$WORK" AWS_ACCESS_KEY_ID="$(printf 'AKIABENCH%011d' "$i")" \
        AWS_SECRET_ACCESS_KEY=benchSecretKey AWS_REGION=us-west-2 AWS_EC2_METADATA_DISABLED=true \
        "$BIN" token -i bench --token-only >> "$WORK/tokens"
done
cat > "$WORK/review.lua" <<LUA
local tokens = {}
for line in io.lines("$WORK/tokens") do tokens[#tokens + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = (i % #tokens) + 1
  local body = '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"' .. tokens[i] .. '"}}'
  return wrk.format(nil, "/authenticate", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
cat > "$WORK/config.yaml" <<YAML
clusterID: bench
server:
  mapAccounts:
  - "111122223333"
YAML

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
# Samples /proc/PID/status every 50 ms until PID exits or FILE is removed; keeps in FILE
# "VmRSS RssAnon RssFile" (KiB) of the sample with the highest VmRSS.
sample_peak() {
    local pid=$1 file=$2 best=0 line
    echo "0 0 0" > "$file"
    while [ -f "$file" ] && line=$(awk '$1=="VmRSS:"{r=$2} $1=="RssAnon:"{a=$2} $1=="RssFile:"{f=$2} END{print r, a, f}' "/proc/$pid/status" 2>/dev/null); do
        read -r r _ _ <<<"$line"
        if [ "${r:-0}" -gt "$best" ]; then best=$r; echo "$line" > "$file"; fi
        sleep 0.05
    done
}

printf '# Server benchmark (%s, %s cores, %s, wrk %s per run, %s distinct tokens)\n\n' \
    "$(date -u +%F)" "$(nproc)" "$("$BIN" version -s 2>/dev/null || echo dev)" "$DURATION" "$TOKENS"
echo "| mode | concurrency | reviews/s | p50 ms | p99 ms | non-200 | socket errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
RSS_LINES=()
for mode in $MODES; do
    PORT=$(free_port)
    args=(server -c "$WORK/config.yaml" --port "$PORT" --health-port 0 --state-dir "$WORK/state-$mode"
          --generate-kubeconfig "$WORK/kc-$mode")
    [ "$mode" = nocache ] && args+=(--identity-cache-size 0)
    env -i "PATH=$PATH" HOME="$WORK" HTTPS_PROXY="$PROXY" NO_PROXY=127.0.0.1,localhost \
        AWS_CA_BUNDLE="$WORK/ca.pem" AWS_EC2_METADATA_DISABLED=true "${SERVER_ENV[@]}" \
        "$BIN" "${args[@]}" > "$WORK/server-$mode.log" 2>&1 &
    SERVER=$!
    PIDS+=("$SERVER")
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
    sleep 0.3
    IDLE=$(rss "$SERVER" VmRSS)
    sample_peak "$SERVER" "$WORK/peak-$mode" &
    SAMPLER=$!
    label="distinct tokens, no identity cache"
    [ "$mode" = cache ] && label="identity cache on (tokens repeat)"
    for c in $CONCURRENCY; do
        t=$(( c < 2 ? 1 : 2 ))
        out=$(wrk -t"$t" -c"$c" -d"$DURATION" -s "$WORK/review.lua" "https://127.0.0.1:$PORT/authenticate" 2>&1)
        read -r rps p50 p99 non200 sockerr <<<"$(grep '^RESULT' <<<"$out" | cut -d' ' -f2-)"
        echo "| $label | $c | $rps | $p50 | $p99 | $non200 | $sockerr |"
    done
    TUNNELS=$(grep -c "tunnel to" "$WORK/responder.log" || true)
    read -r _ PEAK_ANON PEAK_FILE < "$WORK/peak-$mode"
    rm -f "$WORK/peak-$mode"; wait "$SAMPLER" 2>/dev/null || true
    RSS_LINES+=("| $label | $IDLE | $(rss "$SERVER" VmHWM) | $(awk -v k="$PEAK_ANON" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v k="$PEAK_FILE" 'BEGIN{printf "%.1f", k/1024}') | $(rss "$SERVER" VmRSS) | $(awk '$1 == "Threads:" { print $2 }' "/proc/$SERVER/status") | $TUNNELS |")
    : > "$WORK/responder.log"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
done
echo
echo "| mode | RSS idle MiB | peak RSS MiB | anon at peak | file at peak | RSS after load MiB | threads | STS connections opened |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${RSS_LINES[@]}"
