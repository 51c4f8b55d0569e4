//! `self-update` (cargo feature `self-update`) against a local HTTP server that serves the
//! release layout cargo-dist publishes on GitHub Releases (no real release server is
//! reachable from CI):
//!
//! ```text
//! /releases/latest/download/<file>          302 -> /releases/download/v9.9.9/<file>
//! /releases/download/v9.9.9/dist-manifest.json
//! /releases/download/v9.9.9/sha256.sum
//! /releases/download/v9.9.9/aws-iam-authenticator-<target>.tar.gz
//! ```
//!
//! The real binary runs from a scratch directory and replaces itself with the archive's
//! "binary", a shell script that answers `--version`.
#![cfg(all(feature = "self-update", unix))]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

const NEW_VERSION: &str = "9.9.9";
const NEW_BINARY: &str = "#!/bin/sh\necho \"aws-iam-authenticator 9.9.9\"\n";

/// The target triple of this build, as `self_update::get_target()` reports it.
fn target() -> String {
    let arch = std::env::consts::ARCH;
    if cfg!(target_os = "macos") {
        format!("{arch}-apple-darwin")
    } else if cfg!(target_env = "musl") {
        format!("{arch}-unknown-linux-musl")
    } else {
        format!("{arch}-unknown-linux-gnu")
    }
}

fn archive_name() -> String {
    format!("aws-iam-authenticator-{}.tar.gz", target())
}

/// A tiny HTTP/1.1 file server: GET only, `Connection: close`, and GitHub's redirect from
/// `latest/download` to the tagged release. Records every request path.
struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn serve(files: HashMap<String, Vec<u8>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/releases", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Skip the headers.
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            seen.lock().unwrap().push(path.clone());
            let response = if let Some(rest) = path.strip_prefix("/releases/latest/download/") {
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: /releases/download/v{NEW_VERSION}/{rest}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .into_bytes()
            } else if let Some(body) = files.get(&path) {
                let mut r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                r.extend_from_slice(body);
                r
            } else {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            };
            let _ = stream.write_all(&response);
        }
    });
    Server { base, requests }
}

/// The release files: manifest, checksums (optionally corrupted or missing) and archive.
fn release(checksums: Checksums) -> HashMap<String, Vec<u8>> {
    let work = tempfile::tempdir().unwrap();
    let dir = work
        .path()
        .join(format!("aws-iam-authenticator-{}", target()));
    std::fs::create_dir(&dir).unwrap();
    let bin = dir.join("aws-iam-authenticator");
    std::fs::write(&bin, NEW_BINARY).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("LICENSE"), "Apache-2.0\n").unwrap();
    let archive = work.path().join(archive_name());
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(work.path())
        .arg(dir.file_name().unwrap())
        .status()
        .expect("tar is needed to build the test release");
    assert!(status.success());
    let bytes = std::fs::read(&archive).unwrap();

    let prefix = format!("/releases/download/v{NEW_VERSION}");
    let mut files = HashMap::new();
    let manifest = serde_json::json!({
        "announcement_tag": format!("v{NEW_VERSION}"),
        "releases": [{"app_name": "aws-iam-authenticator", "app_version": NEW_VERSION}],
        "artifacts": {archive_name(): {"kind": "executable-zip"}, "sha256.sum": {"kind": "unified-checksum"}},
    });
    files.insert(
        format!("{prefix}/dist-manifest.json"),
        manifest.to_string().into_bytes(),
    );
    let sha = hex::encode(Sha256::digest(&bytes));
    match checksums {
        Checksums::Right => {
            files.insert(
                format!("{prefix}/sha256.sum"),
                format!("{sha} *{}\n", archive_name()).into_bytes(),
            );
        }
        Checksums::Wrong => {
            files.insert(
                format!("{prefix}/sha256.sum"),
                format!("{} *{}\n", "0".repeat(64), archive_name()).into_bytes(),
            );
        }
        Checksums::Missing => {}
    }
    files.insert(format!("{prefix}/{}", archive_name()), bytes);
    files
}

enum Checksums {
    Right,
    Wrong,
    Missing,
}

/// A home directory and an installed copy of the real binary at `rel` inside it.
struct Install {
    home: tempfile::TempDir,
    exe: PathBuf,
    original: Vec<u8>,
}

fn install(rel: &str) -> Install {
    let home = tempfile::tempdir().unwrap();
    let exe = home.path().join(rel);
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    let built = Path::new(env!("CARGO_BIN_EXE_aws-iam-authenticator"));
    // A hard link is instant for a 200 MB debug binary; replacing the link's directory entry
    // leaves the build output alone. Different file systems need a copy.
    if std::fs::hard_link(built, &exe).is_err() {
        std::fs::copy(built, &exe).unwrap();
    }
    let original = std::fs::read(&exe).unwrap();
    Install {
        home,
        exe,
        original,
    }
}

fn run(install: &Install, args: &[&str]) -> Output {
    let mut cmd = Command::new(&install.exe);
    cmd.arg("self-update").args(args);
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HOMEBREW_PREFIX",
        "HOMEBREW_CELLAR",
        "ChocolateyInstall",
        "SCOOP",
        "SCOOP_GLOBAL",
        "KREW_ROOT",
        "CARGO_HOME",
        "AWS_IAM_AUTHENTICATOR_RELEASE_URL",
        "COMPLETE",
    ] {
        cmd.env_remove(var);
    }
    // No dpkg database and no ~/.cargo record: the copy counts as an archive install.
    let dpkg = install.home.path().join("dpkg");
    std::fs::create_dir_all(dpkg.join("info")).unwrap();
    cmd.env("HOME", install.home.path())
        .env("DPKG_ADMINDIR", &dpkg)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn replaces_the_binary_with_the_verified_latest_release() {
    let server = serve(release(Checksums::Right));
    let inst = install("bin/aws-iam-authenticator");
    let out = run(&inst, &["--from", &server.base]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("from 0.1.0 to {NEW_VERSION}")),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("verified"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&inst.exe).unwrap(), NEW_BINARY);
    let v = Command::new(&inst.exe).arg("--version").output().unwrap();
    assert_eq!(stdout(&v).trim(), "aws-iam-authenticator 9.9.9");
    // The latest release is resolved through the redirect, then pinned to its tag.
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(requests[0], "/releases/latest/download/dist-manifest.json");
    assert!(
        requests.contains(&format!(
            "/releases/download/v{NEW_VERSION}/{}",
            archive_name()
        )),
        "{requests:?}"
    );
    // No scratch files are left next to the binary.
    let left: Vec<_> = std::fs::read_dir(inst.exe.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec!["aws-iam-authenticator"], "{left:?}");
}

#[test]
fn check_only_reports_and_changes_nothing() {
    let server = serve(release(Checksums::Right));
    let inst = install("bin/aws-iam-authenticator");
    // The releases URL from the environment instead of --from.
    let mut cmd = Command::new(&inst.exe);
    let out = cmd
        .args(["self-update", "--check"])
        .env("AWS_IAM_AUTHENTICATOR_RELEASE_URL", &server.base)
        .env("HOME", inst.home.path())
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("CARGO_HOME")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("{NEW_VERSION} is available")),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(&inst.exe).unwrap(), inst.original);
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        !requests.iter().any(|r| r.ends_with(".tar.gz")),
        "{requests:?}"
    );
}

#[test]
fn a_checksum_mismatch_replaces_nothing() {
    let server = serve(release(Checksums::Wrong));
    let inst = install("bin/aws-iam-authenticator");
    let out = run(&inst, &["--from", &server.base]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains("nothing was replaced"), "{err}");
    assert_eq!(std::fs::read(&inst.exe).unwrap(), inst.original);
}

#[test]
fn a_release_without_checksums_is_not_installed() {
    let server = serve(release(Checksums::Missing));
    let inst = install("bin/aws-iam-authenticator");
    let out = run(&inst, &["--from", &server.base]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("publishes no sha256"), "{err}");
    assert_eq!(std::fs::read(&inst.exe).unwrap(), inst.original);
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        !requests.iter().any(|r| r.ends_with(".tar.gz")),
        "the archive is not even downloaded: {requests:?}"
    );
}

#[test]
fn package_manager_installs_are_refused_with_the_command_to_use() {
    let server = serve(release(Checksums::Right));
    for (rel, command) in [
        (
            "homebrew/Cellar/aws-iam-authenticator-rs/0.1.0/bin/aws-iam-authenticator",
            "brew upgrade aws-iam-authenticator-rs",
        ),
        (
            ".krew/store/iam-authenticator/v0.1.0/aws-iam-authenticator",
            "kubectl krew upgrade iam-authenticator",
        ),
    ] {
        let inst = install(rel);
        let out = run(&inst, &["--from", &server.base]);
        assert!(!out.status.success(), "{rel}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(command), "{rel}: {err}");
        assert_eq!(std::fs::read(&inst.exe).unwrap(), inst.original);
    }
    // Refused before any download.
    assert!(server.requests.lock().unwrap().is_empty());
}

#[test]
fn an_up_to_date_install_downloads_no_archive() {
    let mut files = release(Checksums::Right);
    // The latest release is the installed version.
    files.insert(
        format!("/releases/download/v{NEW_VERSION}/dist-manifest.json"),
        br#"{"releases":[{"app_name":"aws-iam-authenticator","app_version":"0.1.0"}]}"#.to_vec(),
    );
    let server = serve(files);
    let inst = install("bin/aws-iam-authenticator");
    let out = run(&inst, &["--from", &server.base]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0.1.0 is up to date"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(&inst.exe).unwrap(), inst.original);
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        !requests
            .iter()
            .any(|r| r.ends_with(".tar.gz") || r.ends_with("sha256.sum")),
        "{requests:?}"
    );
}
