#!/usr/bin/env bash
# Upstream aws-iam-authenticator (Go), built from the Go module proxy, for tests/upstream_diff.rs:
# the side-by-side diff of the operator-visible surface (docs/server.md "Differences from upstream, checked").
#
#   upstream.sh build   build (or reuse) upstream $UPSTREAM_VERSION; prints the binary's path
#   upstream.sh path    print where the binary is (or would be)
#
# `go install sigs.k8s.io/aws-iam-authenticator/cmd/aws-iam-authenticator@v0.7.18` refuses
# because upstream's go.mod has a `replace` line, so a scratch module requires the module and
# repeats that line. About 4.5 minutes cold on 2 cores; a cache hit returns at once.
#
# Environment:
#   AIA_CACHE   cache root (default $HOME/.cache/aws-iam-authenticator-ci); the binary goes to
#               $AIA_CACHE/upstream/$UPSTREAM_VERSION/aws-iam-authenticator
set -euo pipefail

UPSTREAM_VERSION=v0.7.18
MODULE=sigs.k8s.io/aws-iam-authenticator

AIA_CACHE=${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}
ROOT=$AIA_CACHE/upstream
BIN_DIR=$ROOT/$UPSTREAM_VERSION
BIN=$BIN_DIR/aws-iam-authenticator

say() { printf '[upstream] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The version upstream's `version` subcommand reports, to tell a good cache entry.
built_ok() {
    [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "\"Version\":\"$UPSTREAM_VERSION\""
}

cmd_build() {
    command -v go >/dev/null 2>&1 || die "go not found (Go >= 1.24 is needed to build upstream $UPSTREAM_VERSION)"
    mkdir -p "$ROOT"
    if command -v flock >/dev/null 2>&1; then
        exec 8>"$ROOT/.build.lock"
        flock 8
    fi
    if built_ok; then
        say "already built ($UPSTREAM_VERSION)"
        printf '%s\n' "$BIN"
        return 0
    fi
    local start=$SECONDS work json gomod
    work=$(mktemp -d "$ROOT/.build.XXXXXX")
    # shellcheck disable=SC2064 # expand $work now
    trap "rm -rf '$work'" EXIT
    export GOTOOLCHAIN=local CGO_ENABLED=0
    export GOFLAGS="-mod=mod -buildvcs=false"
    say "$(go version); GOPROXY=$(go env GOPROXY)"
    json=$(cd "$work" && GOFLAGS=-buildvcs=false go mod download -json "$MODULE@$UPSTREAM_VERSION") \
        || die "go mod download $MODULE@$UPSTREAM_VERSION failed"
    gomod=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"GoMod":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')
    [ -f "$gomod" ] || die "no GoMod in 'go mod download -json' output: $json"
    {
        printf 'module aia.local/upstream-build\n\n'
        # The same language version and GODEBUG defaults as upstream's own build.
        awk '
            /^go[ \t]/ { print; next }
            /^godebug[ \t]*\(/ { inblock = 1; print; next }
            inblock { print; if ($0 ~ /^\)/) inblock = 0; next }
            /^godebug[ \t]/ { print }
        ' "$gomod"
        printf '\nrequire %s %s\n\n' "$MODULE" "$UPSTREAM_VERSION"
        # Upstream's replace lines, single-line and block form, only those to a module version
        # (a replace to a local path cannot be repeated outside upstream's tree).
        awk '
            /^replace[ \t]*\(/ { inblock = 1; next }
            inblock && /^\)/ { inblock = 0; next }
            inblock && $2 == "=>" && $3 !~ /^\.\.?\// { print "replace " $0; next }
            /^replace[ \t]/ && $3 == "=>" && $4 !~ /^\.\.?\// { print }
        ' "$gomod"
    } > "$work/go.mod"
    say "scratch go.mod:"; sed 's/^/    /' "$work/go.mod" >&2
    say "building $MODULE/cmd/aws-iam-authenticator $UPSTREAM_VERSION"
    (cd "$work" && go build -trimpath \
        -ldflags "-s -w -X $MODULE/pkg.Version=$UPSTREAM_VERSION -X $MODULE/pkg.CommitID=$UPSTREAM_VERSION" \
        -o "$work/aws-iam-authenticator" "$MODULE/cmd/aws-iam-authenticator")
    mkdir -p "$BIN_DIR"
    mv -f "$work/aws-iam-authenticator" "$BIN"
    rm -rf "$work"
    trap - EXIT
    built_ok || die "built $BIN but its 'version' does not report $UPSTREAM_VERSION: $("$BIN" version 2>&1)"
    say "built in $((SECONDS - start)) s"
    printf '%s\n' "$BIN"
}

case "${1:-}" in
    build) cmd_build ;;
    path) printf '%s\n' "$BIN" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
