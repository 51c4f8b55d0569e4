#!/usr/bin/env bash
# Checks deploy/*.yaml against a real kube-apiserver 1.34 (tests/e2e/control-plane.sh):
#
#   1. every manifest applies cleanly (server-side apply, strict field validation), in the
#      order deploy/README.md gives, and applies again without change or conflict;
#   2. the IAMIdentityMapping CRD becomes Established and serves the upstream schema;
#   3. as the aws-iam-authenticator ServiceAccount (a real bearer token from
#      `kubectl create token`): `kubectl auth can-i` and real requests show that exactly the
#      server's verbs are allowed (list/watch/get of kube-system/aws-auth with the watcher's
#      field selector, list/watch of IAMIdentityMappings, status update/patch) and that
#      the rest is forbidden;
#   4. the DaemonSet's args and the ConfigMap's config.yaml start the real binary, which
#      writes the webhook kubeconfig and answers the probes' /healthz and /readyz.
#
# Usage: bash tests/e2e/deploy-check.sh
# Environment:
#   AIA_BIN       aws-iam-authenticator built with --features server
#                 (default: target/debug/aws-iam-authenticator)
#   AIA_CACHE     as for control-plane.sh; kubectl is $AIA_KUBECTL from $AIA_CACHE/env.sh
#   KEEP_WORKDIR  set to keep the temporary directory (logs, kubeconfigs)
# The control plane is torn down on exit, whatever happens.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CP=$REPO_ROOT/tests/e2e/control-plane.sh
DEPLOY=$REPO_ROOT/deploy
AIA_CACHE=${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}
export AIA_CACHE
AIA_BIN=${AIA_BIN:-$REPO_ROOT/target/debug/aws-iam-authenticator}

say() { printf '[deploy-check] %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }

# --- tools -------------------------------------------------------------------------------------
if [ -z "${AIA_KUBECTL:-}" ] || [ ! -x "${AIA_KUBECTL:-}" ]; then
    if [ ! -f "$AIA_CACHE/env.sh" ]; then
        say "no $AIA_CACHE/env.sh: running tests/support/setup-env.sh"
        bash "$REPO_ROOT/tests/support/setup-env.sh" >/dev/null
    fi
    # shellcheck disable=SC1091
    . "$AIA_CACHE/env.sh"
fi
KUBECTL=$AIA_KUBECTL
[ -x "$KUBECTL" ] || die "kubectl not found (AIA_KUBECTL=$KUBECTL)"
[ -x "$AIA_BIN" ] || die "no aws-iam-authenticator at $AIA_BIN: build with 'cargo build --features server' or set AIA_BIN"
"$AIA_BIN" server --help >/dev/null 2>&1 || die "$AIA_BIN has no 'server' command: build it with --features server"
PY=${AIA_PYTHON:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
bash "$CP" build >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/aia-deploy-check.XXXXXX")
SERVER_PID=""
cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    bash "$CP" down "$WORK/cp" >/dev/null 2>&1 || bash "$CP" down "$WORK/cp" || true
    if [ "$rc" != 0 ] && [ -f "$WORK/cp/logs/kube-apiserver.log" ]; then
        say "last lines of the kube-apiserver log:"
        tail -n 30 "$WORK/cp/logs/kube-apiserver.log" >&2 || true
    fi
    if [ -n "${KEEP_WORKDIR:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- control plane, with a webhook kubeconfig written by our own `init` ------------------------
mkdir -p "$WORK/init"
cat > "$WORK/init/config.yaml" <<EOF
clusterID: deploy-check
server:
  stateDir: $WORK/init/state
  generateKubeconfig: $WORK/init/webhook.kubeconfig
EOF
"$AIA_BIN" -c "$WORK/init/config.yaml" init --feature-gates=ConfiguredInitDirectories=true >/dev/null 2>"$WORK/init/log" \
    || { cat "$WORK/init/log" >&2; die "aws-iam-authenticator init failed"; }
WEBHOOK_KUBECONFIG=$WORK/init/webhook.kubeconfig CONTROL_PLANE_PARENT_PID=$$ NO_PROXY=127.0.0.1,localhost \
    bash "$CP" up "$WORK/cp"
# shellcheck disable=SC1091
. "$WORK/cp/env"
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

admin() { "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout 20s "$@"; }

PASS=0
ok() { PASS=$((PASS + 1)); say "ok: $*"; }

# --- 1. apply ----------------------------------------------------------------------------------
APPLY_ORDER=(iamidentitymapping.yaml rbac.yaml daemonset.yaml)
for f in "$DEPLOY"/*.yaml; do
    case " ${APPLY_ORDER[*]} " in *" $(basename "$f") "*) ;; *) die "deploy/$(basename "$f") is not in APPLY_ORDER (add it here and to deploy/README.md)" ;; esac
done
for f in "${APPLY_ORDER[@]}"; do
    [ -f "$DEPLOY/$f" ] || die "deploy/$f is missing"
    out=$(admin apply --server-side --field-manager=deploy-check --validate=strict -f "$DEPLOY/$f" 2>&1) \
        || { printf '%s\n' "$out" >&2; die "kubectl apply --server-side -f deploy/$f"; }
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    ok "deploy/$f applied (server-side, strict validation)"
done

admin wait --for=condition=Established --timeout=60s crd/iamidentitymappings.iamauthenticator.k8s.aws >/dev/null \
    || die "the IAMIdentityMapping CRD did not become Established"
ok "CRD iamidentitymappings.iamauthenticator.k8s.aws is Established"

# The whole directory again: nothing may change and nothing may conflict.
out=$(admin apply --server-side --field-manager=deploy-check --validate=strict -f "$DEPLOY" 2>&1) \
    || { printf '%s\n' "$out" >&2; die "re-applying deploy/"; }
if printf '%s\n' "$out" | grep -v 'serverside-applied$' | grep -q .; then
    printf '%s\n' "$out" >&2
    die "unexpected output re-applying deploy/"
fi
ok "deploy/ re-applied cleanly"

# --- 2. the CRD's shape (upstream's) -------------------------------------------------------------
crd=$(admin get crd iamidentitymappings.iamauthenticator.k8s.aws -o jsonpath='{.spec.scope} {.spec.group} {.spec.names.kind} {.spec.versions[*].name} {.spec.versions[0].subresources.status} {.spec.versions[0].schema.openAPIV3Schema.properties.spec.required}')
[ "$crd" = 'Cluster iamauthenticator.k8s.aws IAMIdentityMapping v1alpha1 {} ["arn","username"]' ] \
    || die "CRD shape: got '$crd'"
ok "CRD: cluster-scoped, v1alpha1, status subresource, spec.arn + spec.username required"

# Sample objects: a mapping, aws-auth, and decoys the ServiceAccount must not be able to read.
admin apply --server-side --field-manager=deploy-check -f - >/dev/null <<'EOF'
apiVersion: iamauthenticator.k8s.aws/v1alpha1
kind: IAMIdentityMapping
metadata:
  name: kubernetes-admin
spec:
  arn: arn:aws:iam::000000000000:user/KubernetesAdmin
  username: kubernetes-admin
  groups:
  - system:masters
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: arn:aws:iam::000000000000:role/KubernetesAdmin
      username: kubernetes-admin
      groups:
      - system:masters
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: default
data: {}
---
apiVersion: v1
kind: Secret
metadata:
  name: decoy
  namespace: kube-system
stringData:
  key: value
EOF
# A mapping without spec.username must be refused by the schema.
if admin create -f - >/dev/null 2>"$WORK/invalid.err" <<'EOF'
apiVersion: iamauthenticator.k8s.aws/v1alpha1
kind: IAMIdentityMapping
metadata:
  name: invalid
spec:
  arn: arn:aws:iam::000000000000:user/Nobody
EOF
then die "an IAMIdentityMapping without spec.username was accepted"; fi
grep -q 'username' "$WORK/invalid.err" || { cat "$WORK/invalid.err" >&2; die "unexpected error for the invalid mapping"; }
ok "sample IAMIdentityMapping and aws-auth created; a mapping without username is refused"

# --- 3. as the ServiceAccount --------------------------------------------------------------------
SA_TOKEN=$(admin create token aws-iam-authenticator -n kube-system --duration=10m)
SA_KUBECONFIG=$WORK/sa.kubeconfig
(umask 077 && cat > "$SA_KUBECONFIG") <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cp
  cluster:
    server: $APISERVER_URL
    certificate-authority: $APISERVER_CA
users:
- name: sa
  user:
    token: $SA_TOKEN
contexts:
- name: sa
  context:
    cluster: cp
    user: sa
current-context: sa
EOF
sa() { "$KUBECTL" --kubeconfig "$SA_KUBECONFIG" --request-timeout 20s "$@"; }

who=$(sa auth whoami -o jsonpath='{.status.userInfo.username}')
[ "$who" = system:serviceaccount:kube-system:aws-iam-authenticator ] || die "whoami as the ServiceAccount: '$who'"
ok "authenticated as $who"

CRD_RES=iamidentitymappings.iamauthenticator.k8s.aws
can() {  # can yes|no ARGS...: kubectl auth can-i ARGS, as the ServiceAccount
    local want=$1 got
    shift
    got=$(sa auth can-i "$@" 2>/dev/null || true)
    [ "$got" = "$want" ] || die "auth can-i $*: expected '$want', got '$got'"
    ok "can-i $* -> $want"
}
can yes get configmaps/aws-auth -n kube-system
can yes list configmaps/aws-auth -n kube-system
can yes watch configmaps/aws-auth -n kube-system
can yes get "$CRD_RES"
can yes list "$CRD_RES"
can yes watch "$CRD_RES"
can yes update "$CRD_RES" --subresource=status
can yes patch "$CRD_RES" --subresource=status
can no list configmaps -n kube-system
can no watch configmaps -n kube-system
can no get configmaps/kube-root-ca.crt -n kube-system
can no get configmaps/aws-iam-authenticator -n kube-system
can no update configmaps/aws-auth -n kube-system
can no patch configmaps/aws-auth -n kube-system
can no delete configmaps/aws-auth -n kube-system
can no create configmaps -n kube-system
can no get configmaps/aws-auth -n default
can no list configmaps -n default
can no list configmaps -A
can no get secrets -n kube-system
can no list secrets -A
can no create "$CRD_RES"
can no update "$CRD_RES"
can no patch "$CRD_RES"
can no delete "$CRD_RES"
can no deletecollection "$CRD_RES"
can no create events -n kube-system
can no get pods -n kube-system
can no create serviceaccounts --subresource=token -n kube-system
can no '*' '*'

# Real requests. allowed DESC ARGS... / forbidden DESC ARGS...: kubectl ARGS as the ServiceAccount.
allowed() {
    local desc=$1
    shift
    if ! sa "$@" >"$WORK/out" 2>"$WORK/err"; then
        cat "$WORK/err" >&2
        die "$desc: expected success: kubectl $*"
    fi
    ok "allowed: $desc"
}
forbidden() {
    local desc=$1
    shift
    if sa "$@" >"$WORK/out" 2>"$WORK/err"; then
        cat "$WORK/out" >&2
        die "$desc: expected Forbidden, but it succeeded: kubectl $*"
    fi
    grep -q -i 'forbidden' "$WORK/err" || { cat "$WORK/err" >&2; die "$desc: failed, but not with Forbidden: kubectl $*"; }
    ok "forbidden: $desc"
}
CM=/api/v1/namespaces/kube-system/configmaps
SEL='fieldSelector=metadata.name%3Daws-auth'
MAP=/apis/iamauthenticator.k8s.aws/v1alpha1/iamidentitymappings

# The EKSConfigMap watcher: list, then watch from the list's resourceVersion (kube-rs sends
# these parameters), and a direct get.
allowed "list kube-system configmaps with $SEL" get --raw "$CM?$SEL&limit=500"
rv=$("$PY" -c 'import json,sys; d=json.load(sys.stdin); assert [i["metadata"]["name"] for i in d["items"]] == ["aws-auth"], d; print(d["metadata"]["resourceVersion"])' < "$WORK/out") \
    || die "the field-selected list did not return exactly aws-auth"
allowed "watch kube-system configmaps with $SEL" get --raw "$CM?$SEL&watch=1&allowWatchBookmarks=true&resourceVersion=$rv&timeoutSeconds=1"
allowed "watch kube-system configmaps with $SEL from the start (sees ADDED aws-auth)" get --raw "$CM?$SEL&watch=1&timeoutSeconds=1"
grep -q '"type":"ADDED".*"name":"aws-auth"' "$WORK/out" || die "the watch did not deliver aws-auth"
allowed "get configmap kube-system/aws-auth" get configmap aws-auth -n kube-system -o name
forbidden "list kube-system configmaps without a field selector" get --raw "$CM"
forbidden "watch kube-system configmaps without a field selector" get --raw "$CM?watch=1&timeoutSeconds=1"
forbidden "list kube-system configmaps selecting another name" get --raw "$CM?fieldSelector=metadata.name%3Dkube-root-ca.crt"
forbidden "get configmap kube-system/kube-root-ca.crt" get configmap kube-root-ca.crt -n kube-system
forbidden "list default configmaps with $SEL" get --raw "/api/v1/namespaces/default/configmaps?$SEL"
forbidden "get configmap default/aws-auth" get configmap aws-auth -n default
forbidden "list configmaps in all namespaces with $SEL" get --raw "/api/v1/configmaps?$SEL"
sa get configmap aws-auth -n kube-system -o json > "$WORK/aws-auth.json"
forbidden "update aws-auth" replace -f "$WORK/aws-auth.json"
forbidden "patch aws-auth" patch configmap aws-auth -n kube-system --type=merge -p '{"data":{"mapUsers":"[]"}}'
forbidden "delete aws-auth" delete configmap aws-auth -n kube-system
forbidden "create a configmap" create configmap other -n kube-system
forbidden "get secrets" get secret decoy -n kube-system
forbidden "list secrets" get secrets -n kube-system

# The CRD backend: list + watch, then status updates (update and patch).
allowed "list iamidentitymappings" get --raw "$MAP"
grep -q '"name":"kubernetes-admin"' "$WORK/out" || die "the list did not return the sample mapping"
allowed "watch iamidentitymappings" get --raw "$MAP?watch=1&timeoutSeconds=1"
allowed "get iamidentitymapping" get iamidentitymapping kubernetes-admin -o json
"$PY" - "$WORK/out" > "$WORK/status.json" <<'PY'
import json, sys
obj = json.load(open(sys.argv[1]))
obj["status"] = {"canonicalARN": obj["spec"]["arn"].lower()}
json.dump(obj, sys.stdout)
PY
allowed "update iamidentitymappings/status" replace --subresource=status -f "$WORK/status.json"
# A raw PATCH, as a controller sends it (`kubectl patch` would GET the status subresource
# first, which the server never does and is not granted).
sa_request() {  # sa_request METHOD PATH CONTENT-TYPE BODY: prints the HTTP status code
    "$PY" - "$APISERVER_URL" "$APISERVER_CA" "$SA_TOKEN" "$@" <<'PY'
import ssl, sys, urllib.error, urllib.request
url, ca, token, method, path, ctype, body = sys.argv[1:8]
req = urllib.request.Request(url + path, data=body.encode(), method=method,
                             headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                     urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca)))
try:
    print(opener.open(req, timeout=20).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}
code=$(sa_request PATCH "$MAP/kubernetes-admin/status" application/merge-patch+json '{"status":{"userID":"AIDAEXAMPLE"}}')
[ "$code" = 200 ] || die "PATCH $MAP/kubernetes-admin/status as the ServiceAccount: HTTP $code"
ok "allowed: patch iamidentitymappings/status (HTTP $code)"
code=$(sa_request PATCH "$MAP/kubernetes-admin" application/merge-patch+json '{"spec":{"username":"x"}}')
[ "$code" = 403 ] || die "PATCH $MAP/kubernetes-admin (spec) as the ServiceAccount: HTTP $code, expected 403"
ok "forbidden: raw PATCH of an iamidentitymapping's spec (HTTP $code)"
status=$(admin get iamidentitymapping kubernetes-admin -o jsonpath='{.status.canonicalARN} {.status.userID}')
[ "$status" = "arn:aws:iam::000000000000:user/kubernetesadmin AIDAEXAMPLE" ] || die "status after the updates: '$status'"
ok "the status updates landed: $status"
forbidden "update an iamidentitymapping's spec" patch iamidentitymapping kubernetes-admin --type=merge -p '{"spec":{"username":"x"}}'
forbidden "delete an iamidentitymapping" delete iamidentitymapping kubernetes-admin
forbidden "create an iamidentitymapping" create -f - <<'EOF'
apiVersion: iamauthenticator.k8s.aws/v1alpha1
kind: IAMIdentityMapping
metadata:
  name: sneaky
spec:
  arn: arn:aws:iam::000000000000:user/Sneaky
  username: sneaky
  groups: [system:masters]
EOF

# --- 4. the DaemonSet's args and config run the real binary --------------------------------------
# The container paths are mapped into $WORK/node; the ports are free ones (the probe path
# and host come from the manifest).
admin get configmap aws-iam-authenticator -n kube-system -o jsonpath='{.data.config\.yaml}' > "$WORK/config.yaml"
admin get daemonset aws-iam-authenticator -n kube-system -o json > "$WORK/ds.json"
NODE=$WORK/node
mkdir -p "$NODE/etc/aws-iam-authenticator" "$NODE/var/aws-iam-authenticator" "$NODE/etc/kubernetes/aws-iam-authenticator"
cp "$WORK/config.yaml" "$NODE/etc/aws-iam-authenticator/config.yaml"
read -r WEBHOOK_PORT HEALTH_PORT < <("$PY" -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
mapfile -t PROBE < <("$PY" - "$WORK/ds.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
for p, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    g = c[p]["httpGet"]
    assert (g["host"], g["port"], g["path"]) == ("127.0.0.1", 21363, path), (p, g)
print(c["livenessProbe"]["httpGet"]["path"])
print(c["readinessProbe"]["httpGet"]["path"])
PY
) || die "the probes do not target 127.0.0.1:21363/healthz (liveness) and /readyz (readiness)"
mapfile -t ARGS < <("$PY" - "$WORK/ds.json" "$NODE" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
for a in c["args"]:
    for p in ("/etc/aws-iam-authenticator", "/var/aws-iam-authenticator", "/etc/kubernetes/aws-iam-authenticator"):
        a = a.replace("=" + p, "=" + sys.argv[2] + p)
    print(a)
PY
)
say "running: aws-iam-authenticator ${ARGS[*]} --port $WEBHOOK_PORT --health-port $HEALTH_PORT"
env -i PATH="$PATH" HOME="$WORK" AWS_EC2_METADATA_DISABLED=true \
    "$AIA_BIN" "${ARGS[@]}" --port "$WEBHOOK_PORT" --health-port "$HEALTH_PORT" \
    >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
health=""
for _ in $(seq 1 150); do
    health=$("$PY" -c '
import sys, urllib.request
try:
    print(urllib.request.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), timeout=1).read().decode())
except Exception:
    pass' "$HEALTH_PORT" "${PROBE[0]}")
    [ "$health" = ok ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; die "the server exited with the DaemonSet's args and config"; }
    sleep 0.2
done
[ "$health" = ok ] || { cat "$WORK/server.err" >&2; die "no 'ok' from the health port"; }
ok "server started from the DaemonSet's args + ConfigMap config; ${PROBE[0]} on the health port says ok"
ready=""
for _ in $(seq 1 150); do
    ready=$("$PY" -c '
import sys, urllib.request
try:
    print(urllib.request.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), timeout=1).read().decode())
except Exception:
    pass' "$HEALTH_PORT" "${PROBE[1]}")
    [ "$ready" = ok ] && break
    sleep 0.2
done
[ "$ready" = ok ] || { cat "$WORK/server.err" >&2; die "${PROBE[1]} never said ok: a backend did not load or sync"; }
ok "${PROBE[1]} says ok once every backend has loaded or synced"
KCFG=$NODE/etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml
[ -s "$KCFG" ] && grep -q "server: https://localhost:$WEBHOOK_PORT/authenticate" "$KCFG" \
    || die "the server did not write the webhook kubeconfig to the --generate-kubeconfig path"
[ -s "$NODE/var/aws-iam-authenticator/cert.pem" ] && [ -s "$NODE/var/aws-iam-authenticator/key.pem" ] \
    || die "no cert.pem/key.pem in the --state-dir"
ok "webhook kubeconfig and TLS pair written to the mapped host paths"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

say "PASS: $PASS checks"
