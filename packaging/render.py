#!/usr/bin/env python3
"""Render the package-manager manifests in packaging/ for one release.

Fills in the version and the archives' SHA-256 checksums and writes the results under
--out. The templates are the checked-in files; placeholders look like @@VERSION@@ and
@@SHA256:<target>@@, so they cannot clash with Ruby, PowerShell or Scoop `$` syntax.

Where the numbers come from, first match wins:

* version: --version, else the dist manifest (--manifest), else Cargo.toml;
* checksums: the dist manifest's per-artifact checksums, else a checksums file
  (--checksums, `sha256sum` format: the release's sha256.sum), else
  <archive>.sha256 files or the archives themselves in --dist-dir.

cargo-dist runs this as an extra artifact in the global build job, after every archive and
its .sha256 file has been downloaded into target/distrib (see dist-workspace.toml);
.github/workflows/publish-packages.yml and packaging/check.sh run it directly.

Standard library only: it runs on a bare CI runner and under Python 3.8+.
"""

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
REPO_URL = "https://github.com/aws-iam-authenticator-rs/aws-iam-authenticator"
APP = "aws-iam-authenticator"

# template (relative to packaging/) -> output path (relative to --out)
OUTPUTS = {
    "homebrew": [("homebrew/aws-iam-authenticator-rs.rb", "aws-iam-authenticator-rs.rb")],
    "scoop": [("scoop/aws-iam-authenticator-rs.json", "aws-iam-authenticator-rs.json")],
    "krew": [("krew/iam-authenticator.yaml", "iam-authenticator.yaml")],
    "chocolatey": [
        ("chocolatey/aws-iam-authenticator-rs.nuspec", "chocolatey/aws-iam-authenticator-rs.nuspec"),
        ("chocolatey/tools/chocolateyinstall.ps1", "chocolatey/tools/chocolateyinstall.ps1"),
        ("chocolatey/tools/chocolateyuninstall.ps1", "chocolatey/tools/chocolateyuninstall.ps1"),
    ],
    "winget": [
        (f"winget/aws-iam-authenticator-rs.aws-iam-authenticator{suffix}.yaml",
         f"winget/aws-iam-authenticator-rs.aws-iam-authenticator{suffix}.yaml")
        for suffix in ("", ".installer", ".locale.en-US")
    ],
}

PLACEHOLDER = re.compile(r"@@([A-Z0-9_]+)(?::([A-Za-z0-9_.-]+))?@@")
HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


class RenderError(Exception):
    pass


def archive(target):
    ext = ".zip" if "windows" in target else ".tar.gz"
    return f"{APP}-{target}{ext}"


def cargo_version():
    text = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    package = text.split("[package]", 1)[-1]
    m = re.search(r'^version\s*=\s*"([^"]+)"', package, re.M)
    if not m:
        raise RenderError("Cargo.toml has no [package] version")
    return m.group(1)


def parse_checksums(text):
    """`<hex> *<file>` or `<hex>  <file>` lines (sha256sum's binary and text modes)."""
    sums = {}
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and HEX64.match(parts[0]):
            sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    return sums


def manifest_data(path):
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    version = None
    for release in data.get("releases") or []:
        if release.get("app_name") == APP:
            version = release.get("app_version")
    if not version and data.get("announcement_tag"):
        version = data["announcement_tag"].lstrip("v")
    sums = {}
    for name, artifact in (data.get("artifacts") or {}).items():
        sha = ((artifact or {}).get("checksums") or {}).get("sha256")
        if sha and HEX64.match(sha):
            sums[name] = sha.lower()
    return version, sums


class Checksums:
    def __init__(self, manifest_sums, file_sums, dist_dir):
        self.sums = dict(file_sums)
        self.sums.update(manifest_sums)
        self.dist_dir = Path(dist_dir) if dist_dir else None

    def __call__(self, target):
        name = archive(target)
        if name in self.sums:
            return self.sums[name]
        if self.dist_dir:
            side = self.dist_dir / f"{name}.sha256"
            if side.is_file():
                found = parse_checksums(side.read_text(encoding="utf-8"))
                if found:
                    return next(iter(found.values()))
            whole = self.dist_dir / name
            if whole.is_file():
                return hashlib.sha256(whole.read_bytes()).hexdigest()
        raise RenderError(
            f"no sha256 for {name}: pass --manifest dist-manifest.json, --checksums sha256.sum "
            f"or --dist-dir holding {name} or {name}.sha256"
        )


def render(template, version, checksum):
    def fill(m):
        key, arg = m.group(1), m.group(2)
        if key == "VERSION" and arg is None:
            return version
        if key == "REPO_URL" and arg is None:
            return REPO_URL
        if key == "URL" and arg:
            return f"{REPO_URL}/releases/download/v{version}/{archive(arg)}"
        if key == "SHA256" and arg:
            return checksum(arg)
        if key == "SHA256_UPPER" and arg:
            return checksum(arg).upper()
        raise RenderError(f"unknown placeholder {m.group(0)}")

    return PLACEHOLDER.sub(fill, template)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", help="release version, without the leading v")
    ap.add_argument("--manifest", help="cargo-dist's dist-manifest.json of the release")
    ap.add_argument("--checksums", help="the release's sha256.sum")
    ap.add_argument("--dist-dir", help="directory with the archives or their .sha256 files")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("which", nargs="+", choices=sorted(OUTPUTS), help="what to render")
    args = ap.parse_args(argv)

    try:
        version, manifest_sums = (None, {})
        if args.manifest:
            version, manifest_sums = manifest_data(args.manifest)
        version = args.version or version or cargo_version()
        version = version.lstrip("v")
        if not re.match(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$", version):
            raise RenderError(f"{version!r} is not a release version (X.Y.Z)")
        file_sums = {}
        if args.checksums:
            file_sums = parse_checksums(Path(args.checksums).read_text(encoding="utf-8"))
        checksum = Checksums(manifest_sums, file_sums, args.dist_dir)

        out = Path(args.out)
        for which in args.which:
            for template, dest in OUTPUTS[which]:
                text = (PACKAGING / template).read_text(encoding="utf-8")
                path = out / dest
                path.parent.mkdir(parents=True, exist_ok=True)
                # newline="": the same bytes on a Windows runner (no LF -> CRLF translation).
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(render(text, version, checksum))
                print(f"wrote {path}")
    except (RenderError, OSError, ValueError) as e:
        print(f"render.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
