#!/usr/bin/env bash
# Windows, here: cross-build the client for x86_64-pc-windows-gnu with MinGW-w64 and run
# its tests under Wine (docs/platforms.md says what runs here and what only hosted CI runs).
#
#   1. tools: the Rust target, MinGW-w64 and Wine 8 from Debian (installed when missing);
#   2. a Wine prefix, cached in $AIA_CACHE/wine, plus bcryptprimitives.dll (below);
#   3. the default client (keyring + self-update) cross-built;
#   4. the library's unit tests and tests/completions.rs as Windows programs under Wine
#      (CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER);
#   5. black box: tests/windows_wine.rs (on Linux) drives the Windows .exe under Wine
#      against the STS stand-in, and the Linux build's `verify` checks its tokens.
#
# `.ci/windows.sh lint` instead runs only clippy -D warnings for the target (the Windows-only
# code: cache ACLs, cfg(windows) paths); .ci/run calls it with the macOS lints, late and
# within its time budget.
#
# Idempotent; each part prints how long it took. Needs tests/support/setup-env.sh's
# environment (the stand-in's Python) for part 5; .ci/run sources it before calling this.
set -euo pipefail
cd "$(dirname "$0")/.."

export AIA_CACHE="${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$AIA_CACHE/target}"
export CARGO_TERM_COLOR=never
TARGET=x86_64-pc-windows-gnu
FEATURES=self-update # plus the default `keyring`: what the release archives ship

START=$SECONDS
PART_NAME=""
# Prints how long the previous part took, then names the next one.
part() {
  if [[ -n $PART_NAME ]]; then
    printf '    %s: %ds\n' "$PART_NAME" $((SECONDS - PART_START))
  fi
  PART_NAME=$1
  PART_START=$SECONDS
  if [[ -n $1 ]]; then printf -- '--> windows: %s\n' "$1"; fi
}

part "tools (Rust target $TARGET, MinGW-w64, Wine)"
WINE=/usr/lib/wine/wine64 # Debian's wine64 package: the 64-bit loader, no 32-bit multiarch
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || [[ ! -x $WINE ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 wine64 >/dev/null
fi
# The target's standard library in the sysroot (what the build needs; `rustup target list`
# can miss it when two rustup runs raced over the toolchain's manifest).
if [[ ! -d "$(rustc --print sysroot)/lib/rustlib/$TARGET/lib" ]]; then
  rustup target add "$TARGET"
fi
"$WINE" --version

if [[ ${1:-} == lint ]]; then
  part "clippy for $TARGET (the Windows-only code: cache ACLs, cfg(windows) paths)"
  cargo clippy --locked --target "$TARGET" --features "$FEATURES" --all-targets -- -D warnings
  part ""
  exit 0
fi

part "Wine prefix ($AIA_CACHE/wine)"
export WINEPREFIX="$AIA_CACHE/wine"
export WINEARCH=win64
export WINEDEBUG=-all
# No Mono or Gecko installer prompts: nothing here needs .NET or a browser engine.
export WINEDLLOVERRIDES="mscoree,mshtml="
if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
  # wineboot reports that the 32-bit rundll32 is missing (no wine32 here): harmless.
  "$WINE" wineboot --init 2>&1 | grep -v 'syswow64' || true
fi
# Wine 8 has no bcryptprimitives.dll, whose ProcessPrng Rust's std (>= 1.78) loads at
# start-up: without it every Rust program exits before main. Ours forwards to RtlGenRandom.
dll_src=tests/support/windows/bcryptprimitives.c
dll="$AIA_CACHE/wine-support/bcryptprimitives.dll"
if [[ ! -f "$dll" || "$dll_src" -nt "$dll" ]]; then
  mkdir -p "$(dirname "$dll")"
  x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -Werror -o "$dll" "$dll_src" -ladvapi32
fi
sys32="$WINEPREFIX/drive_c/windows/system32"
cmp -s "$dll" "$sys32/bcryptprimitives.dll" || cp "$dll" "$sys32/bcryptprimitives.dll"
# One wineserver for every program below (each would otherwise start and stop its own);
# stopped on exit.
WINESERVER=/usr/lib/wine/wineserver64
# (It fails when one is already running for this prefix: that one serves instead.)
"$WINESERVER" -p </dev/null >/dev/null 2>&1 || true
# -w: wait until it has gone, so a run started right after this one does not meet a
# wineserver that is still shutting down.
trap '"$WINESERVER" -k 2>/dev/null; "$WINESERVER" -w 2>/dev/null || true' EXIT

part "cross-build the client (features keyring, $FEATURES) for $TARGET"
cargo build --locked --target "$TARGET" --features "$FEATURES" --bin aws-iam-authenticator
exe="$CARGO_TARGET_DIR/$TARGET/debug/aws-iam-authenticator.exe"
"$WINE" "$exe" version

part "unit tests and tests/completions.rs under Wine"
# Test programs are Windows executables; cargo runs each through Wine. Skipped, by name:
# the owner-only DACL test. Wine keeps no ACLs on a Unix filesystem (it maps a DACL to the
# file's mode bits and back), so only real Windows can check it: the hosted CI's
# windows-latest job runs it. The integration tests that start the Python STS stand-in
# stay on Linux: tests/windows_wine.rs (next) drives the .exe from there.
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$WINE"
cargo test --locked --target "$TARGET" --features "$FEATURES" --lib --test completions \
  -- --skip cache::tests::files_are_private_and_lax_ones_refused
unset CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER

part "black box: the Windows client under Wine, its tokens verified by the Linux build"
# --features server: the Linux build .ci/run's main test step has just made (no rebuild).
AIA_WINDOWS_EXE="$exe" AIA_WINE="$WINE" \
  cargo test --locked --features server --test windows_wine -- --ignored

part ""
printf -- '--> windows: all passed in %ds\n' $((SECONDS - START))
