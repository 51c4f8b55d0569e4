//! Stamps the commit and date that `aws-iam-authenticator version` (and the server's
//! start-up line, the `build_info` metric and `init`'s banner) report, so that every build
//! says what it was built from without a release pipeline having to pass anything in.
//!
//! Where the answer comes from, first match wins (docs/release.md "Version and commit"):
//!
//! 1. `AWS_IAM_AUTHENTICATOR_COMMIT` / `AWS_IAM_AUTHENTICATOR_BUILD_DATE` in the build's
//!    environment: an explicit override, for builds without the git metadata (the container
//!    image's builder stage gets them as build arguments).
//! 2. A crates.io tarball (`.cargo_vcs_info.json` beside Cargo.toml, written by
//!    `cargo package`): the commit it was packaged from, marked `(source tarball)`.
//! 3. A git checkout whose top level is this crate: `git rev-parse HEAD`, with `-dirty`
//!    when the files that go into the binary (src/, build.rs, Cargo.toml, Cargo.lock)
//!    differ from HEAD. Edits to tests or docs do not mark it.
//! 4. Anything else (GitHub's source archive, no `git` on PATH): `unknown (source tarball)`.
//!
//! The date is `SOURCE_DATE_EPOCH` when set (reproducible builds), else the commit's
//! committer date, both in UTC RFC 3339: the same commit always gives the same binary. A
//! build without a commit date says `unknown`.
//!
//! Only the standard library: no build-dependency for the client's lean build graph.
//! Re-runs are keyed to what the answer depends on (HEAD, the branch's ref, the binary's
//! sources, the variables above), not to every file in the package, so a commit or a
//! checkout updates `version` without rebuilding anything that did not change.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    for var in [
        "AWS_IAM_AUTHENTICATOR_COMMIT",
        "AWS_IAM_AUTHENTICATOR_BUILD_DATE",
        "SOURCE_DATE_EPOCH",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // The sources whose edits make a checkout build `-dirty`; they also re-run this script.
    for path in DIRTY_PATHS {
        println!("cargo:rerun-if-changed={path}");
    }
    let vcs_info = manifest_dir.join(".cargo_vcs_info.json");

    let (commit, commit_epoch) = if let Ok(text) = std::fs::read_to_string(&vcs_info) {
        println!("cargo:rerun-if-changed={}", vcs_info.display());
        (tarball_commit(&text), None)
    } else {
        match git_checkout(&manifest_dir) {
            Some(found) => found,
            None => (UNKNOWN_TARBALL.to_owned(), None),
        }
    };
    let commit = non_empty_env("AWS_IAM_AUTHENTICATOR_COMMIT").unwrap_or(commit);
    let date = non_empty_env("AWS_IAM_AUTHENTICATOR_BUILD_DATE").unwrap_or_else(|| {
        non_empty_env("SOURCE_DATE_EPOCH")
            .and_then(|s| s.trim().parse::<i64>().ok())
            .or(commit_epoch)
            .map(rfc3339_utc)
            .unwrap_or_else(|| "unknown".to_owned())
    });
    println!("cargo:rustc-env=AWS_IAM_AUTHENTICATOR_COMMIT={commit}");
    println!("cargo:rustc-env=AWS_IAM_AUTHENTICATOR_BUILD_DATE={date}");
}

/// What `Commit` says when nothing names the commit.
const UNKNOWN_TARBALL: &str = "unknown (source tarball)";

/// Paths (relative to the crate) that go into the binary: a difference from HEAD there
/// marks the build `-dirty`.
const DIRTY_PATHS: [&str; 4] = ["src", "build.rs", "Cargo.toml", "Cargo.lock"];

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The commit from `cargo package`'s `.cargo_vcs_info.json`
/// (`{"git": {"sha1": "…", "dirty": true}, "path_in_vcs": ""}`), read without a JSON
/// parser: the first 40-hex string after `"sha1"`.
pub(crate) fn tarball_commit(vcs_info: &str) -> String {
    let sha = vcs_info.find("\"sha1\"").and_then(|at| {
        vcs_info[at + 6..]
            .split('"')
            .nth(1)
            .filter(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    let dirty = vcs_info
        .split_whitespace()
        .collect::<String>()
        .contains("\"dirty\":true");
    match sha {
        Some(sha) if dirty => format!("{sha}-dirty (source tarball)"),
        Some(sha) => format!("{sha} (source tarball)"),
        None => UNKNOWN_TARBALL.to_owned(),
    }
}

/// `git` in `dir` with its trimmed stdout, or `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// HEAD's commit (with `-dirty`) and committer date when `dir` is the top level of a git
/// work tree, and the re-run triggers for HEAD and its ref. `None` for a crate that merely
/// sits inside some other repository (vendored), so it never reports that repository's
/// commit.
pub(crate) fn git_checkout(dir: &Path) -> Option<(String, Option<i64>)> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), dir) {
        return None;
    }
    watch_head(dir);
    let head = git(dir, &["rev-parse", "HEAD"])?;
    let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
    status.extend(DIRTY_PATHS);
    let dirty = git(dir, &status).is_some_and(|s| !s.is_empty());
    let epoch = git(dir, &["log", "-1", "--format=%ct", "HEAD"]).and_then(|s| s.parse().ok());
    let commit = if dirty { format!("{head}-dirty") } else { head };
    Some((commit, epoch))
}

/// Re-run when HEAD moves: a commit, a checkout, a reset. A linked worktree's `.git` is a
/// file: HEAD lives in its own git dir, branch refs and packed-refs in the common one.
/// Only files that exist are watched (cargo re-runs on every build for a missing one).
fn watch_head(dir: &Path) {
    let args = [
        "rev-parse",
        "--path-format=absolute",
        "--git-dir",
        "--git-common-dir",
    ];
    let Some(dirs) = git(dir, &args) else { return };
    let dirs: Vec<PathBuf> = dirs.lines().map(PathBuf::from).collect();
    let [git_dir, common_dir] = dirs.as_slice() else {
        return;
    };
    let mut watch = vec![git_dir.join("HEAD"), common_dir.join("packed-refs")];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch.push(common_dir.join(branch));
    }
    for path in watch.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// Seconds since the Unix epoch as `YYYY-MM-DDThh:mm:ssZ` (Howard Hinnant's
/// days-to-civil algorithm; no date crate in a build script).
pub(crate) fn rfc3339_utc(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}
