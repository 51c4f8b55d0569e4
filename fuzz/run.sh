#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 15), starting from the committed
# seeds (fuzz/seeds/<target>) plus the corpus kept from earlier runs in
# $AIA_CACHE/fuzz-corpus/<target>. Any crash fails the run; its input is left in
# fuzz/artifacts/<target>/ — turn it into a regression test beside the code it broke.
#
#   fuzz/run.sh 15                 # all targets, 15 s each
#   fuzz/run.sh 600 verify_token   # one target, 10 minutes
#
# Needs a nightly toolchain and cargo-fuzz (installed into $AIA_CACHE if missing).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH="${1:-15}"
shift || true
export AIA_CACHE="${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}"
export PATH="$AIA_CACHE/bin:$PATH"
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$AIA_CACHE/target}/fuzz}"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"
TARGETS=("$@")
if (( ${#TARGETS[@]} == 0 )); then
  TARGETS=(verify_token token_review configmap dynamic_file config_file arn)
fi

rustup toolchain list | grep -q "^$TOOLCHAIN" || rustup toolchain install "$TOOLCHAIN" --profile minimal
command -v cargo-fuzz >/dev/null || cargo install --locked --root "$AIA_CACHE" cargo-fuzz --version 0.13.2

export CARGO_TARGET_DIR="$FUZZ_TARGET_DIR"
cargo "+$TOOLCHAIN" fuzz build -O "${TARGETS[@]:0:1}" >/dev/null 2>&1 || true
for target in "${TARGETS[@]}"; do
  corpus="$AIA_CACHE/fuzz-corpus/$target"
  mkdir -p "$corpus"
  echo "==> $target (${SECONDS_EACH}s)"
  # -rss_limit_mb: the server target builds a runtime and an HTTP client once.
  cargo "+$TOOLCHAIN" fuzz run -O "$target" "$corpus" "seeds/$target" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 2>&1 |
    grep -E "^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==|SUMMARY|Done|INFO: Running)|panicked|artifact" || true
  if [[ -n "$(ls "artifacts/$target" 2>/dev/null | grep -E '^(crash|oom|timeout|leak)-' || true)" ]]; then
    echo "fuzz target $target found a failure: fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "fuzzing: no failures"
