#!/usr/bin/env bash
# Mapping scale: load time, lookup time and memory with 10, 1 000 and 100 000 mappings in
# each backend (examples/mapping_scale.rs, release build). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}/target}"
cargo run --release --locked -q --features server --example mapping_scale
