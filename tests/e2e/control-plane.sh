#!/usr/bin/env bash
# A real, minimal Kubernetes control plane (etcd + kube-apiserver) for end-to-end tests of
# aws-iam-authenticator, built from Go modules and run on loopback only.
#
#   control-plane.sh build                  build (or reuse) kube-apiserver and etcd in the cache
#   control-plane.sh up DIR                 start etcd + kube-apiserver, state in DIR; needs WEBHOOK_KUBECONFIG
#   control-plane.sh restart-apiserver DIR  stop and start kube-apiserver only (same flags, same port)
#   control-plane.sh down DIR               stop both (SIGTERM, SIGKILL after 10 s); idempotent
#
# Environment:
#   AIA_CACHE                   cache root (default $HOME/.cache/aws-iam-authenticator-ci); binaries go to
#                               $AIA_CACHE/control-plane/kube-$KUBE_VERSION/{kube-apiserver,etcd}
#   WEBHOOK_KUBECONFIG          (up) webhook kubeconfig written by `aws-iam-authenticator init`/server
#   KUBE_APISERVER_EXTRA_ARGS   (up) extra kube-apiserver flags, split on whitespace
#   APISERVER_TLS_LAYOUT        (up) the API server's certificate: `ca-leaf` (default: a CA and a leaf
#                               it signed; APISERVER_CA is the CA) or `self-signed` (one self-signed
#                               CA:TRUE certificate as `openssl req -x509` makes it, serving TLS and
#                               being APISERVER_CA itself, as upstream's `init` writes for the webhook)
#   CONTROL_PLANE_TIMEOUT       (up, restart-apiserver) readiness timeout in seconds (default 60)
#   CONTROL_PLANE_PARENT_PID    (up) if set, a watchdog runs `down DIR` as soon as this process exits
#   AIA_KUBECTL                 kubectl 1.34 (default: from $AIA_CACHE/env.sh, made by tests/support/setup-env.sh)
#
# DIR/env (shell `export` lines) after `up`: APISERVER_URL APISERVER_PORT APISERVER_CA ADMIN_KUBECONFIG
# ADMIN_TOKEN ETCD_URL ETCD_PID APISERVER_PID WATCHDOG_PID LOG_DIR.
# See tests/e2e/README.md.
set -euo pipefail

KUBE_VERSION=v1.34.2
ETCD_VERSION=v3.7.3

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
REPO_ROOT=$(cd "$(dirname "$SELF")/../.." && pwd)
AIA_CACHE=${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}
CP_ROOT=$AIA_CACHE/control-plane
BIN_DIR=$CP_ROOT/kube-$KUBE_VERSION
KUBE_APISERVER_BIN=$BIN_DIR/kube-apiserver
ETCD_BIN=$BIN_DIR/etcd
# k8s.io/kubernetes v1.X.Y publishes its staging modules (k8s.io/api, ...) as v0.X.Y.
STAGING_VERSION=v0${KUBE_VERSION#v1}
TIMEOUT=${CONTROL_PLANE_TIMEOUT:-60}
STOP_GRACE=10

say() { printf '[control-plane] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

now() {
    if [ -n "${EPOCHREALTIME:-}" ]; then printf '%s\n' "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi
}
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

usage() {
    sed -n '2,/^set -euo/p' "$SELF" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

# ------------------------------------------------------------------------------------------------
# build
# ------------------------------------------------------------------------------------------------

# go_line GOMOD: the `go` and `godebug` directives of a go.mod, to copy into a scratch module so that
# the binary gets the same language version and GODEBUG defaults as the upstream build.
go_directives() {
    awk '
        /^go[ \t]/ { print; next }
        /^godebug[ \t]*\(/ { inblock = 1; print; next }
        inblock { print; if ($0 ~ /^\)/) inblock = 0; next }
        /^godebug[ \t]/ { print }
    ' "$1"
}

# gomod_of MODULE@VERSION: local path of that module version's go.mod, downloaded through GOPROXY.
gomod_of() {
    local json path
    json=$(go mod download -json "$1") || die "go mod download $1 failed"
    path=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"GoMod":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')
    if [ -z "$path" ] || [ ! -f "$path" ]; then
        die "no GoMod in 'go mod download -json $1' output: $json"
    fi
    printf '%s\n' "$path"
}

cmd_build() {
    command -v go >/dev/null 2>&1 || die "go not found (Go >= 1.24 is needed to build kube-apiserver $KUBE_VERSION)"
    mkdir -p "$CP_ROOT"
    # One build at a time per cache.
    if command -v flock >/dev/null 2>&1; then
        exec 8>"$CP_ROOT/.build.lock"
        flock 8
    fi
    if [ -x "$KUBE_APISERVER_BIN" ] && [ -x "$ETCD_BIN" ] \
        && [ "$(cat "$BIN_DIR/etcd.version" 2>/dev/null)" = "$ETCD_VERSION" ]; then
        say "already built (kube-apiserver $KUBE_VERSION, etcd $ETCD_VERSION):"
        printf '%s\n%s\n' "$KUBE_APISERVER_BIN" "$ETCD_BIN"
        return 0
    fi

    local start work
    start=$(now)
    work=$(mktemp -d "$CP_ROOT/.build.XXXXXX")
    # shellcheck disable=SC2064 # expand $work now
    trap "rm -rf '$work'" EXIT
    mkdir -p "$BIN_DIR"

    # No toolchain downloads, no VCS stamping; cgo off like upstream's server binaries.
    export GOTOOLCHAIN=local CGO_ENABLED=0
    export GOFLAGS="-mod=mod -buildvcs=false"
    say "$(go version); GOPROXY=$(go env GOPROXY); GOMODCACHE=$(go env GOMODCACHE)"

    if [ -x "$KUBE_APISERVER_BIN" ]; then
        say "kube-apiserver $KUBE_VERSION already built"
    else
        local kdir="$work/kube" kgomod staging
        mkdir -p "$kdir"
        say "resolving k8s.io/kubernetes@$KUBE_VERSION"
        kgomod=$(cd "$kdir" && GOFLAGS=-buildvcs=false gomod_of "k8s.io/kubernetes@$KUBE_VERSION")
        # Every `k8s.io/X => ./staging/src/k8s.io/X` replace of k8s.io/kubernetes' go.mod.
        staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$kgomod" | sort -u)
        [ -n "$staging" ] || die "no staging replaces found in $kgomod"
        {
            printf 'module aia.local/kube-apiserver-build\n\n'
            go_directives "$kgomod"
            printf '\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
            local m
            for m in $staging; do printf '\t%s => %s %s\n' "$m" "$m" "$STAGING_VERSION"; done
            printf ')\n'
        } > "$kdir/go.mod"
        say "building kube-apiserver $KUBE_VERSION ($(printf '%s\n' "$staging" | wc -l) staging modules at $STAGING_VERSION)"
        local minor=${KUBE_VERSION#v1.}
        minor=${minor%%.*}
        local vpkg=k8s.io/component-base/version
        (cd "$kdir" && go build -trimpath \
            -ldflags "-s -w -X $vpkg.gitVersion=$KUBE_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean" \
            -o "$work/kube-apiserver.bin" k8s.io/kubernetes/cmd/kube-apiserver)
        mv -f "$work/kube-apiserver.bin" "$KUBE_APISERVER_BIN"
        say "kube-apiserver built after $(elapsed_since "$start") s"
    fi

    if [ -x "$ETCD_BIN" ] && [ "$(cat "$BIN_DIR/etcd.version" 2>/dev/null)" = "$ETCD_VERSION" ]; then
        say "etcd $ETCD_VERSION already built"
    else
        local edir="$work/etcd" egomod
        mkdir -p "$edir"
        say "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION"
        egomod=$(cd "$edir" && GOFLAGS=-buildvcs=false gomod_of "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
        {
            printf 'module aia.local/etcd-build\n\n'
            go_directives "$egomod"
            printf '\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION"
        } > "$edir/go.mod"
        say "building etcd $ETCD_VERSION"
        (cd "$edir" && go build -trimpath -ldflags "-s -w" -o "$work/etcd.bin" go.etcd.io/etcd/server/v3)
        mv -f "$work/etcd.bin" "$ETCD_BIN"
        printf '%s\n' "$ETCD_VERSION" > "$BIN_DIR/etcd.version"
    fi

    rm -rf "$work"
    trap - EXIT
    say "build took $(elapsed_since "$start") s"
    "$KUBE_APISERVER_BIN" --version >&2 || true
    "$ETCD_BIN" --version >&2 || true
    printf '%s\n%s\n' "$KUBE_APISERVER_BIN" "$ETCD_BIN"
}

# ------------------------------------------------------------------------------------------------
# helpers for up / down / restart-apiserver
# ------------------------------------------------------------------------------------------------

find_kubectl() {
    if [ -z "${AIA_KUBECTL:-}" ] && [ -f "$AIA_CACHE/env.sh" ]; then
        # shellcheck disable=SC1091
        . "$AIA_CACHE/env.sh"
    fi
    if [ -z "${AIA_KUBECTL:-}" ] || [ ! -x "$AIA_KUBECTL" ]; then
        say "kubectl not found; running tests/support/setup-env.sh"
        AIA_CACHE=$AIA_CACHE bash "$REPO_ROOT/tests/support/setup-env.sh" >/dev/null
        # shellcheck disable=SC1091
        . "$AIA_CACHE/env.sh"
    fi
    [ -x "${AIA_KUBECTL:-}" ] || die "kubectl not found (AIA_KUBECTL=${AIA_KUBECTL:-})"
    KUBECTL=$AIA_KUBECTL
}

python_bin() {
    if command -v python3 >/dev/null 2>&1; then echo python3
    elif [ -n "${AIA_PYTHON:-}" ] && [ -x "$AIA_PYTHON" ]; then echo "$AIA_PYTHON"
    else return 1; fi
}

# free_ports N: N distinct ports that are free on 127.0.0.1 right now (chosen by the OS).
free_ports() {
    local py
    if py=$(python_bin); then
        "$py" - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
        return
    fi
    # No python: random ports above the usual ephemeral range, skipping any that answer.
    local out=() p
    while [ "${#out[@]}" -lt "$1" ]; do
        p=$((20000 + RANDOM % 12000))
        case " ${out[*]} " in *" $p "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then out+=("$p"); fi
    done
    echo "${out[*]}"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# alive PID [EXE]: the process exists, is not a zombie, and (if EXE is given) runs EXE.
alive() {
    local pid=$1 exe=${2:-} state argv0
    case $pid in '' | *[!0-9]* | 0) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -r "/proc/$pid/stat" ]; then
        state=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
        [ "$state" != Z ] || return 1
        if [ -n "$exe" ]; then
            argv0=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -n 1) || return 1
            [ "$argv0" = "$exe" ] || return 1
        fi
    fi
    return 0
}

# stop_pid PID EXE NAME: SIGTERM, then SIGKILL after $STOP_GRACE s; returns once it is gone.
stop_pid() {
    local pid=$1 exe=$2 name=$3 i
    alive "$pid" "$exe" || return 0
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_GRACE * 10; i++)); do
        alive "$pid" "$exe" || break
        sleep 0.1
    done
    if alive "$pid" "$exe"; then
        say "$name (pid $pid) still running after ${STOP_GRACE} s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            alive "$pid" "$exe" || break
            sleep 0.1
        done
    fi
    # Reap it if it is our own child (a failed `up`).
    wait "$pid" 2>/dev/null || true
    if alive "$pid" "$exe"; then say "warning: $name (pid $pid) did not exit"; return 1; fi
    return 0
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

load_env() {
    local dir=$1
    [ -f "$dir/env" ] || return 1
    # shellcheck disable=SC1091
    . "$dir/env"
}

# write_env DIR: DIR/env from the current variables, atomically.
write_env() {
    local dir=$1 tmp v
    tmp=$(mktemp "$dir/.env.XXXXXX")
    for v in APISERVER_URL APISERVER_PORT APISERVER_CA ADMIN_KUBECONFIG ADMIN_TOKEN ETCD_URL ETCD_PORT \
        ETCD_PID APISERVER_PID WATCHDOG_PID LOG_DIR KUBE_APISERVER_BIN ETCD_BIN; do
        printf 'export %s=%q\n' "$v" "${!v:-}"
    done > "$tmp"
    mv -f "$tmp" "$dir/env"
}

log_tail() {
    local f=$1 n=${2:-40}
    [ -f "$f" ] || return 0
    printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
    tail -n "$n" "$f" >&2
    printf -- '----- end of %s -----\n' "$f" >&2
}

# Certificates and keys in DIR/pki: ca.{crt,key}, apiserver.{crt,key} (127.0.0.1, localhost),
# sa.{key,pub}. With LAYOUT `self-signed`, apiserver.crt is self-signed (CA:TRUE) and ca.crt is a
# copy of it (no ca.key).
make_pki() {
    local pki=$1 layout=${2:-ca-leaf}
    case $layout in ca-leaf | self-signed) ;; *) die "APISERVER_TLS_LAYOUT=$layout: use ca-leaf or self-signed" ;; esac
    mkdir -p "$pki"
    if command -v openssl >/dev/null 2>&1 && [ "$layout" = self-signed ]; then
        (
            cd "$pki"
            umask 077
            openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=127.0.0.1" \
                -keyout apiserver.key -out apiserver.crt \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
                -addext "extendedKeyUsage=serverAuth" \
                -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
            cp apiserver.crt ca.crt
            openssl genrsa -out sa.key 2048 2>/dev/null
            openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
            chmod 0644 ca.crt apiserver.crt sa.pub
        )
        return
    fi
    if command -v openssl >/dev/null 2>&1; then
        (
            cd "$pki"
            umask 077
            openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=aia-e2e-ca" \
                -keyout ca.key -out ca.crt \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
            openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" \
                -keyout apiserver.key -out apiserver.csr 2>/dev/null
            printf '%s\n' "basicConstraints=critical,CA:FALSE" \
                "keyUsage=critical,digitalSignature,keyEncipherment" \
                "extendedKeyUsage=serverAuth" \
                "subjectAltName=IP:127.0.0.1,DNS:localhost" > apiserver.ext
            openssl x509 -req -sha256 -days 3650 -in apiserver.csr -CA ca.crt -CAkey ca.key \
                -set_serial "0x$(openssl rand -hex 16)" -extfile apiserver.ext -out apiserver.crt 2>/dev/null
            openssl genrsa -out sa.key 2048 2>/dev/null
            openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
            rm -f apiserver.csr apiserver.ext
            chmod 0644 ca.crt apiserver.crt sa.pub
        )
        return
    fi
    local py
    py=${AIA_PYTHON:-}
    if [ -z "$py" ] || ! "$py" -c 'import cryptography' 2>/dev/null; then
        py=$(python_bin) || die "neither openssl nor python3 with 'cryptography' is available"
        "$py" -c 'import cryptography' 2>/dev/null || die "neither openssl nor python3 with 'cryptography' is available"
    fi
    say "openssl not found; generating certificates with python cryptography"
    "$py" - "$pki" "$layout" <<'PY'
import datetime, ipaddress, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
pki = sys.argv[1]
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
def write(name, data, mode):
    path = os.path.join(pki, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
def pem_key(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())
now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
later = now + datetime.timedelta(days=3650)
ca_key, leaf_key, sa_key = key(), key(), key()
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aia-e2e-ca")])
ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
      .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
      .not_valid_before(now).not_valid_after(later)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
      .sign(ca_key, hashes.SHA256()))
leaf = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256()))
if sys.argv[2] == "self-signed":
    # One CA:TRUE certificate, as `openssl req -x509` makes it, that is its own authority.
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(later)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, True, False, False, True, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(leaf_key, hashes.SHA256()))
    ca = leaf
else:
    write("ca.key", pem_key(ca_key), 0o600)
write("ca.crt", ca.public_bytes(serialization.Encoding.PEM), 0o644)
write("apiserver.key", pem_key(leaf_key), 0o600)
write("apiserver.crt", leaf.public_bytes(serialization.Encoding.PEM), 0o644)
write("sa.key", pem_key(sa_key), 0o600)
write("sa.pub", sa_key.public_key().public_bytes(serialization.Encoding.PEM,
      serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
PY
}

random_token() {
    if command -v openssl >/dev/null 2>&1; then openssl rand -hex 32
    else od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; echo; fi
}

# wait_ready NAME: the three readiness conditions, within $TIMEOUT s of START_TS:
#   1. /readyz says ok; 2. namespace `default` exists; 3. RBAC answers `yes` for a plain authenticated user.
wait_ready() {
    local stage=readyz out deadline
    deadline=$(awk -v s="$START_TS" -v t="$TIMEOUT" 'BEGIN { printf "%.3f", s + t }')
    while :; do
        if ! alive "$APISERVER_PID" "$KUBE_APISERVER_BIN"; then
            say "kube-apiserver (pid $APISERVER_PID) exited while waiting for: $stage"
            log_tail "$LOG_DIR/kube-apiserver.log" 60
            return 1
        fi
        if ! alive "$ETCD_PID" "$ETCD_BIN"; then
            say "etcd (pid $ETCD_PID) exited while waiting for: $stage"
            log_tail "$LOG_DIR/etcd.log" 40
            return 1
        fi
        case $stage in
            readyz)
                out=$("$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout 5s get --raw /readyz 2>/dev/null || true)
                [ "$out" = ok ] && stage=default-namespace && continue ;;
            default-namespace)
                if "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout 5s get namespace default \
                    -o name >/dev/null 2>&1; then stage=rbac && continue; fi ;;
            rbac)
                out=$("$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout 5s auth can-i \
                    create selfsubjectreviews.authentication.k8s.io \
                    --as probe --as-group system:authenticated 2>/dev/null || true)
                [ "$out" = yes ] && return 0 ;;
        esac
        if awk -v d="$deadline" -v n="$(now)" 'BEGIN { exit !(n > d) }'; then
            say "control plane not ready after ${TIMEOUT} s; still waiting for: $stage"
            case $stage in
                readyz) "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout 5s \
                    get --raw '/readyz?verbose' >&2 2>&1 || true ;;
            esac
            log_tail "$LOG_DIR/kube-apiserver.log" 60
            return 1
        fi
        sleep 0.2
    done
}

start_apiserver() {
    local args=()
    mapfile -d '' -t args < "$STATE_DIR/apiserver.args"
    "$KUBE_APISERVER_BIN" "${args[@]}" </dev/null >>"$LOG_DIR/kube-apiserver.log" 2>&1 &
    APISERVER_PID=$!
}

# ------------------------------------------------------------------------------------------------
# up
# ------------------------------------------------------------------------------------------------

UP_OK=0
up_cleanup() {
    local rc=$?
    [ "$UP_OK" = 1 ] && return 0
    say "up failed (exit $rc): stopping what was started"
    local stopped=1
    stop_pid "${WATCHDOG_PID:-}" "" watchdog || stopped=0
    stop_pid "${APISERVER_PID:-}" "$KUBE_APISERVER_BIN" kube-apiserver || stopped=0
    stop_pid "${ETCD_PID:-}" "$ETCD_BIN" etcd || stopped=0
    # Keep DIR/env (the PIDs) if something would not stop, so that `down` can try again.
    if [ "$stopped" = 1 ] && [ -n "${STATE_DIR:-}" ]; then rm -f "$STATE_DIR/env"; fi
    exit "$rc"
}

cmd_up() {
    [ $# -eq 1 ] || usage
    [ -n "${WEBHOOK_KUBECONFIG:-}" ] || die "WEBHOOK_KUBECONFIG is not set (the kubeconfig written by aws-iam-authenticator init)"
    [ -r "$WEBHOOK_KUBECONFIG" ] || die "WEBHOOK_KUBECONFIG=$WEBHOOK_KUBECONFIG is not a readable file"
    if [ ! -x "$KUBE_APISERVER_BIN" ] || [ ! -x "$ETCD_BIN" ]; then
        die "control-plane binaries missing in $BIN_DIR: run '$SELF build' first (~8 min cold)"
    fi
    find_kubectl

    STATE_DIR=$(abs_dir "$1")
    local webhook
    webhook=$(cd "$(dirname "$WEBHOOK_KUBECONFIG")" && pwd)/$(basename "$WEBHOOK_KUBECONFIG")
    # (in a subshell: the old env must not overwrite this run's variables)
    if (load_env "$STATE_DIR" 2>/dev/null \
        && { alive "${APISERVER_PID:-}" "$KUBE_APISERVER_BIN" || alive "${ETCD_PID:-}" "$ETCD_BIN"; }); then
        die "a control plane from $STATE_DIR is still running (run '$SELF down $STATE_DIR' first)"
    fi
    APISERVER_PID="" ETCD_PID="" WATCHDOG_PID=""
    START_TS=$(now)
    trap up_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    LOG_DIR=$STATE_DIR/logs
    rm -rf "$STATE_DIR/etcd-data" "$STATE_DIR/pki"
    mkdir -p "$LOG_DIR"
    : > "$LOG_DIR/etcd.log"
    : > "$LOG_DIR/kube-apiserver.log"
    make_pki "$STATE_DIR/pki" "${APISERVER_TLS_LAYOUT:-ca-leaf}"

    ADMIN_TOKEN=$(random_token)
    (umask 077 && printf '%s,admin,admin,system:masters\n' "$ADMIN_TOKEN" > "$STATE_DIR/tokens.csv")

    local ports etcd_peer_port
    ports=$(free_ports 3)
    read -r ETCD_PORT etcd_peer_port APISERVER_PORT <<<"$ports"
    ETCD_URL=http://127.0.0.1:$ETCD_PORT
    APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
    APISERVER_CA=$STATE_DIR/pki/ca.crt
    ADMIN_KUBECONFIG=$STATE_DIR/admin.kubeconfig

    # --- etcd ---
    "$ETCD_BIN" --name aia-e2e --data-dir "$STATE_DIR/etcd-data" \
        --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
        --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
        --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
        --initial-cluster "aia-e2e=http://127.0.0.1:$etcd_peer_port" \
        --initial-cluster-state new --unsafe-no-fsync \
        </dev/null >>"$LOG_DIR/etcd.log" 2>&1 &
    ETCD_PID=$!
    write_env "$STATE_DIR"   # early, so that `down` can clean up even if this script is killed
    local i
    for ((i = 0; i < TIMEOUT * 10; i++)); do
        port_open "$ETCD_PORT" && break
        alive "$ETCD_PID" "$ETCD_BIN" || { log_tail "$LOG_DIR/etcd.log"; die "etcd exited"; }
        sleep 0.1
    done
    port_open "$ETCD_PORT" || { log_tail "$LOG_DIR/etcd.log"; die "etcd did not listen on $ETCD_URL"; }

    # --- kube-apiserver ---
    local args=(
        --bind-address 127.0.0.1
        --advertise-address 127.0.0.1
        --secure-port "$APISERVER_PORT"
        --tls-cert-file "$STATE_DIR/pki/apiserver.crt"
        --tls-private-key-file "$STATE_DIR/pki/apiserver.key"
        --etcd-servers "$ETCD_URL"
        --token-auth-file "$STATE_DIR/tokens.csv"
        --authorization-mode RBAC
        --authentication-token-webhook-config-file "$webhook"
        --authentication-token-webhook-cache-ttl 0s
        --service-cluster-ip-range 10.0.0.0/24
        --service-account-issuer https://kubernetes.default.svc.cluster.local
        --service-account-key-file "$STATE_DIR/pki/sa.pub"
        --service-account-signing-key-file "$STATE_DIR/pki/sa.key"
        --endpoint-reconciler-type none
    )
    if [ -n "${KUBE_APISERVER_EXTRA_ARGS:-}" ]; then
        local extra=()
        read -r -a extra <<<"$KUBE_APISERVER_EXTRA_ARGS"
        args+=("${extra[@]}")
    fi
    printf '%s\0' "${args[@]}" > "$STATE_DIR/apiserver.args"

    (umask 077 && cat > "$ADMIN_KUBECONFIG") <<EOF
apiVersion: v1
kind: Config
clusters:
- name: aia-e2e
  cluster:
    server: $APISERVER_URL
    certificate-authority: $APISERVER_CA
users:
- name: admin
  user:
    token: $ADMIN_TOKEN
contexts:
- name: aia-e2e
  context:
    cluster: aia-e2e
    user: admin
current-context: aia-e2e
EOF

    start_apiserver
    write_env "$STATE_DIR"
    wait_ready

    if [ -n "${CONTROL_PLANE_PARENT_PID:-}" ]; then
        local ppid=$CONTROL_PLANE_PARENT_PID
        alive "$ppid" || die "CONTROL_PLANE_PARENT_PID=$ppid is not running"
        (
            trap - EXIT INT TERM
            while kill -0 "$ppid" 2>/dev/null; do sleep 1; done
            exec bash "$SELF" down "$STATE_DIR"
        ) </dev/null >>"$LOG_DIR/watchdog.log" 2>&1 &
        WATCHDOG_PID=$!
    fi
    write_env "$STATE_DIR"
    UP_OK=1
    trap - EXIT INT TERM
    say "control plane ready in $(elapsed_since "$START_TS") s: $APISERVER_URL (etcd $ETCD_URL)"
    say "state: $STATE_DIR/env, $ADMIN_KUBECONFIG, logs in $LOG_DIR"
}

# ------------------------------------------------------------------------------------------------
# restart-apiserver
# ------------------------------------------------------------------------------------------------

cmd_restart_apiserver() {
    [ $# -eq 1 ] || usage
    STATE_DIR=$(abs_dir "$1")
    load_env "$STATE_DIR" || die "no $STATE_DIR/env: run '$SELF up $STATE_DIR' first"
    [ -f "$STATE_DIR/apiserver.args" ] || die "no $STATE_DIR/apiserver.args"
    alive "$ETCD_PID" "$ETCD_BIN" || die "etcd (pid $ETCD_PID) is not running; run up again"
    find_kubectl
    START_TS=$(now)
    stop_pid "$APISERVER_PID" "$KUBE_APISERVER_BIN" kube-apiserver || die "could not stop kube-apiserver"
    # Go sets SO_REUSEADDR, so the same port can be bound again at once.
    printf '\n===== restart at %s =====\n' "$(date -u +%FT%TZ)" >> "$LOG_DIR/kube-apiserver.log"
    start_apiserver
    write_env "$STATE_DIR"
    wait_ready || die "kube-apiserver did not become ready after restart (pid $APISERVER_PID; '$SELF down $STATE_DIR' to clean up)"
    say "kube-apiserver restarted in $(elapsed_since "$START_TS") s (pid $APISERVER_PID, $APISERVER_URL)"
}

# ------------------------------------------------------------------------------------------------
# down
# ------------------------------------------------------------------------------------------------

cmd_down() {
    [ $# -eq 1 ] || usage
    [ -d "$1" ] || { say "no $1: nothing to stop"; return 0; }
    STATE_DIR=$(cd "$1" && pwd)
    if ! load_env "$STATE_DIR"; then say "no $STATE_DIR/env: nothing to stop"; return 0; fi
    local rc=0
    # The watchdog runs `down` itself via exec: never stop ourselves.
    if [ -n "${WATCHDOG_PID:-}" ] && [ "$WATCHDOG_PID" != "$$" ]; then
        stop_pid "$WATCHDOG_PID" "" watchdog || true
    fi
    # apiserver first: it would otherwise keep retrying a stopped etcd during its shutdown.
    stop_pid "${APISERVER_PID:-}" "$KUBE_APISERVER_BIN" kube-apiserver || rc=1
    stop_pid "${ETCD_PID:-}" "$ETCD_BIN" etcd || rc=1
    [ "$rc" = 0 ] && say "control plane in $STATE_DIR stopped"
    return "$rc"
}

# ------------------------------------------------------------------------------------------------

[ $# -ge 1 ] || usage
sub=$1
shift
case $sub in
    build) [ $# -eq 0 ] || usage; cmd_build ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    restart-apiserver) cmd_restart_apiserver "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
esac
