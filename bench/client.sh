#!/usr/bin/env bash
# Client benchmark: wall time and peak RSS of one `token` invocation per mode, beside
# `aws eks get-token` in the same run. Prints a Markdown table. Not a test.
#
#   bench/client.sh            # builds the release binary, sets up tools, runs
#   RUNS=50 bench/client.sh    # fewer runs
#
# Needs: cargo, hyperfine (apt-get install hyperfine), the test venv (tests/support/setup-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-200}"
export AIA_CACHE="${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$AIA_CACHE/target}"

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
bash tests/support/setup-env.sh >/dev/null
# shellcheck disable=SC1091
source "$AIA_CACHE/env.sh"
cargo build --release --locked -q
BIN="$CARGO_TARGET_DIR/release/aws-iam-authenticator"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
HOME_DIR="$WORK/home"; mkdir -p "$HOME_DIR"
COMMON=(env -i "PATH=$PATH" "HOME=$HOME_DIR" AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
        AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY AWS_REGION=us-west-2
        AWS_EC2_METADATA_DISABLED=true)

cat > "$WORK/creds.sh" <<'SH'
#!/bin/sh
echo '{"Version":1,"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}'
SH
chmod +x "$WORK/creds.sh"
printf '[profile proc]\ncredential_process = %s\n' "$WORK/creds.sh" > "$WORK/config"

# The STS stand-in (through HTTPS_PROXY, as behind a corporate proxy) for the --role modes.
cat > "$WORK/sts.json" <<'JSON'
{"users": [{"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "arn": "arn:aws:iam::111122223333:user/bench", "user_id": "AIDABENCHEXAMPLE00001", "account": "111122223333"}],
 "roles": [{"arn": "arn:aws:iam::111122223333:role/bench", "role_id": "AROABENCHEXAMPLE00001", "trusted": ["*"]}]}
JSON
PYTHONPATH=tests/support "$AIA_PYTHON" -m sts_standin --config "$WORK/sts.json" --ready-file "$WORK/ready.json" \
  --state-dir "$WORK/sts" --quiet --exit-with-parent &
STS_PID=$!
trap 'kill $STS_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
PROXY_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["proxy_port"])' "$WORK/ready.json")
CA_FILE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_file"])' "$WORK/ready.json")
ROLE=(HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT AWS_CA_BUNDLE=$CA_FILE KUBECACHEDIR=$WORK/kcache)
ROLE_ARN=arn:aws:iam::111122223333:role/bench
# Fill the cache once for the warm mode.
env -i "PATH=$PATH" "HOME=$HOME_DIR" AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
  AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY AWS_REGION=us-west-2 \
  AWS_EC2_METADATA_DISABLED=true "${ROLE[@]}" "$BIN" token -i bench -r "$ROLE_ARN" --cache >/dev/null

rss() { # peak RSS in MiB of one run
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f", $1/1024}'
}

declare -a NAMES CMDS
NAMES+=("token, static env credentials");          CMDS+=("${COMMON[*]} $BIN token -i bench")
NAMES+=("token, credential_process profile");      CMDS+=("env -i PATH=$PATH HOME=$HOME_DIR AWS_CONFIG_FILE=$WORK/config AWS_PROFILE=proc AWS_REGION=us-west-2 AWS_EC2_METADATA_DISABLED=true $BIN token -i bench")
NAMES+=("token --role, cold (AssumeRole via proxy)"); CMDS+=("${COMMON[*]} ${ROLE[*]} $BIN token -i bench -r $ROLE_ARN")
NAMES+=("token --role --cache, warm hit");          CMDS+=("${COMMON[*]} ${ROLE[*]} $BIN token -i bench -r $ROLE_ARN --cache")
NAMES+=("aws eks get-token, static env credentials"); CMDS+=("${COMMON[*]} $AIA_AWS eks get-token --cluster-name bench")

echo "# Client benchmark ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $("$BIN" version -s), $("$AIA_AWS" --version 2>&1 | cut -d' ' -f1))"
echo
echo "| mode | median ms | p95 ms | peak RSS MiB |"
echo "|---|---:|---:|---:|"
for i in "${!NAMES[@]}"; do
  runs=$RUNS
  [[ "${NAMES[$i]}" == aws* ]] && runs=$(( RUNS < 20 ? RUNS : 20 ))
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$WORK/h.json" "${CMDS[$i]}" >/dev/null 2>&1
  read -r median p95 < <(python3 - "$WORK/h.json" <<'PY'
import json, sys, statistics
t = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
p95 = t[min(len(t) - 1, int(round(0.95 * (len(t) - 1))))]
print(f"{statistics.median(t)*1000:.2f} {p95*1000:.2f}")
PY
)
  # shellcheck disable=SC2086
  echo "| ${NAMES[$i]} | $median | $p95 | $(rss ${CMDS[$i]}) |"
done
