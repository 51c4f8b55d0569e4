#!/usr/bin/env bash
# macOS as far as a Linux machine reaches (docs/release.md "macOS"): clippy -D warnings
# (which type-checks everything `cargo check` does) for aarch64-apple-darwin and
# x86_64-apple-darwin, all targets, with the features the release archives are built with
# (default `keyring` with the Keychain backend, plus `self-update`). Nothing is linked or
# run here: there is no Apple linker or SDK on Linux; the macOS job of the hosted CI
# (.github/workflows/ci.yml) builds and runs the tests on a real Mac.
#
# Idempotent: installs what is missing (the Rust targets through rustup, clang from Debian
# for ring's C and assembly), says what it did, and says why it skips a target it cannot
# check. Exits non-zero when a check that ran found a problem.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(aarch64-apple-darwin x86_64-apple-darwin)
say() { printf '  - %s\n' "$*"; }

# ring compiles C and assembly for the target: Debian's gcc only targets Linux, clang
# targets Mach-O from the same binary.
if ! command -v clang >/dev/null 2>&1; then
  say "installing clang from Debian (ring's C and assembly for the Apple targets)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends clang >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends clang >/dev/null; } \
    || say "clang could not be installed: the targets below will say what fails"
fi

installed="$(rustup target list --installed 2>/dev/null || true)"
checkable=()
for t in "${targets[@]}"; do
  if grep -qx "$t" <<<"$installed"; then
    checkable+=("$t")
  elif rustup target add "$t" >/dev/null 2>&1; then
    say "installed the Rust standard library for $t (rustup target add)"
    checkable+=("$t")
  else
    say "SKIPPED $t: \`rustup target add $t\` failed (no rustup, or no network to its dist server); the hosted macOS job covers it"
  fi
done

# cc-rs asks xcrun for the macOS SDK unless SDKROOT is set. ring's C is built in its own
# cross-building mode (RING_CORE_NOSTDLIBINC, -nostdlibinc, -ffreestanding: no libc headers, its own
# memcpy and assert) and then needs one SDK header, <TargetConditionals.h> (which Apple
# platform this is); clang's builtin headers give it stdint.h and the like. A stand-in SDK
# with that header for macOS (not iOS, not a simulator) lets clang compile ring for a type
# check; nothing is linked, so no real SDK is needed.
sdk="${CARGO_TARGET_DIR:-target}/macos-sdk-standin"
mkdir -p "$sdk/usr/include"
cat >"$sdk/usr/include/TargetConditionals.h" <<'EOF_H'
/* Stand-in for the macOS SDK's header, for .ci/macos.sh's type check only. */
#pragma once
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_VISION 0
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_MACCATALYST 0
EOF_H
export SDKROOT
SDKROOT="$(cd "$sdk" && pwd)"

for t in "${checkable[@]}"; do
  env_t="${t//-/_}"
  export "CC_${env_t}=clang" "AR_${env_t}=llvm-ar" "CFLAGS_${env_t}=-ffreestanding -nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -isystem $SDKROOT/usr/include"
  command -v llvm-ar >/dev/null 2>&1 || export "AR_${env_t}=ar"
  start=$SECONDS
  say "cargo clippy --target $t --all-targets --features self-update -- -D warnings"
  cargo clippy --locked --quiet --target "$t" --all-targets --features self-update -- -D warnings
  say "$t: clean in $((SECONDS - start)) s"
done
echo "macOS checks done: ${#checkable[@]} of ${#targets[@]} targets checked"
