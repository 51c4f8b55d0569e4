//! `version` says which commit a build came from (build.rs; docs/release.md "Version and
//! commit"). The expectations come from `git` itself, run here, never from the values
//! build.rs stamped into this test binary, so a build script that reported the wrong commit
//! or date would fail. Runs on every OS: it needs `git` and nothing else.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// build.rs's pure parts (the tarball reader, the date formatter, the checkout probe),
/// compiled into this test so they are checked directly; its `main` is not called.
#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `git` in the crate's directory; a failure names the command (these tests only make
/// sense from a checkout, which is where tests/ exists: the crate tarball leaves it out).
fn git(args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(manifest_dir())
        .args(args)
        .env("TZ", "UTC")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}: these tests need git on PATH"));
    assert!(
        out.status.success(),
        "git {args:?} failed ({}): run the tests from a git checkout",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `version`'s JSON, after checking its keys come in upstream's order.
fn version_json() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_aws-iam-authenticator"))
        .arg("version")
        .output()
        .unwrap();
    assert!(out.status.success(), "version failed: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap_or(usize::MAX);
    assert!(
        at("Version") < at("Commit") && at("Commit") < at("Date") && at("Date") != usize::MAX,
        "upstream's keys Version, Commit, Date in that order: {text}"
    );
    serde_json::from_str(&text).unwrap()
}

/// From a checkout: `Commit` is `git rev-parse HEAD` (40 hex), with `-dirty` exactly when
/// git reports the binary's sources modified, and `Date` is HEAD's committer date in UTC.
#[test]
fn version_names_the_checked_out_commit_and_its_date() {
    let v = version_json();
    assert_eq!(v["Version"], env!("CARGO_PKG_VERSION"));

    let head = git(&["rev-parse", "HEAD"]);
    assert_eq!(head.len(), 40);
    assert!(head.bytes().all(|b| b.is_ascii_hexdigit()));
    let dirty = !git(&[
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "src",
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
    ])
    .is_empty();
    // Only git's answers count here: cargo hands build.rs's stamped values to this test's
    // environment too, so reading AWS_IAM_AUTHENTICATOR_* here would compare them with
    // themselves.
    let expected = if dirty { format!("{head}-dirty") } else { head };
    assert_eq!(v["Commit"], expected.as_str(), "{v}");

    let date = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => build_script::rfc3339_utc(epoch.trim().parse().unwrap()),
        Err(_) => git(&[
            "log",
            "-1",
            "--format=%cd",
            "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
            "HEAD",
        ]),
    };
    assert_eq!(v["Date"], date.as_str(), "{v}");

    // The YAML form carries the same values under upstream's lowercase keys.
    let out = Command::new(env!("CARGO_BIN_EXE_aws-iam-authenticator"))
        .args(["version", "-o", "yaml"])
        .output()
        .unwrap();
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(
        yaml.contains(&format!("commit: {}\n", v["Commit"].as_str().unwrap())),
        "{yaml}"
    );
}

/// The probe reports this repository's HEAD for the crate's own directory, and nothing for
/// a directory that merely sits inside a repository (a vendored copy must not claim its
/// host's commit) or for one outside any repository (GitHub's source archive).
#[test]
fn checkout_probe_only_answers_for_the_crates_own_checkout() {
    let head = git(&["rev-parse", "HEAD"]);
    let (commit, epoch) = build_script::git_checkout(manifest_dir()).expect("a checkout");
    assert!(commit.starts_with(&head), "{commit} vs {head}");
    assert_eq!(
        build_script::rfc3339_utc(epoch.expect("HEAD has a commit date")),
        git(&[
            "log",
            "-1",
            "--format=%cd",
            "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
            "HEAD"
        ])
    );
    assert_eq!(
        build_script::git_checkout(&manifest_dir().join("src")),
        None
    );
    let outside = tempfile::tempdir().unwrap();
    assert_eq!(build_script::git_checkout(outside.path()), None);
}

/// A crates.io tarball names the commit `cargo package` recorded, and says it is a tarball.
#[test]
fn tarball_commit_comes_from_cargo_vcs_info() {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let clean =
        format!("{{\n  \"git\": {{\n    \"sha1\": \"{sha}\"\n  }},\n  \"path_in_vcs\": \"\"\n}}");
    assert_eq!(
        build_script::tarball_commit(&clean),
        format!("{sha} (source tarball)")
    );
    let dirty = format!(
        "{{\n  \"git\": {{\n    \"sha1\": \"{sha}\",\n    \"dirty\": true\n  }},\n  \"path_in_vcs\": \"\"\n}}"
    );
    assert_eq!(
        build_script::tarball_commit(&dirty),
        format!("{sha}-dirty (source tarball)")
    );
    for broken in ["", "{}", "{\"git\":{\"sha1\":\"not-hex\"}}"] {
        assert_eq!(
            build_script::tarball_commit(broken),
            "unknown (source tarball)"
        );
    }
}

/// The date formatter against values `date -u` gives, across a leap day, the epoch and
/// before it.
#[test]
fn dates_are_utc_rfc3339() {
    for (epoch, want) in [
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_700_000_000, "2023-11-14T22:13:20Z"),
        (4_102_444_799, "2099-12-31T23:59:59Z"),
    ] {
        assert_eq!(build_script::rfc3339_utc(epoch), want);
    }
}

/// build.rs itself, compiled with rustc and run the way cargo runs it, on the three kinds of
/// source it can be given: the crate as `cargo package` makes it for crates.io (the
/// packaged commit, marked as a tarball), a directory with no git metadata (says so), and
/// the overrides (used as given).
#[test]
fn build_script_run_on_a_packaged_crate_and_on_bare_sources() {
    let work = tempfile::tempdir().unwrap();
    let script = work
        .path()
        .join(format!("build-script{}", std::env::consts::EXE_SUFFIX));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .args(["--edition", "2024", "-o"])
        .arg(&script)
        .arg(manifest_dir().join("build.rs"))
        .output()
        .unwrap();
    assert!(out.status.success(), "rustc build.rs: {out:?}");
    let run = |dir: &Path, env: &[(&str, &str)]| -> (String, String) {
        let mut cmd = Command::new(&script);
        cmd.env("CARGO_MANIFEST_DIR", dir);
        for var in [
            "AWS_IAM_AUTHENTICATOR_COMMIT",
            "AWS_IAM_AUTHENTICATOR_BUILD_DATE",
            "SOURCE_DATE_EPOCH",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(env.iter().copied());
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "build script: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("cargo:rustc-env={key}=")))
                .unwrap_or_else(|| panic!("no {key} in {text}"))
                .to_owned()
        };
        (
            value("AWS_IAM_AUTHENTICATOR_COMMIT"),
            value("AWS_IAM_AUTHENTICATOR_BUILD_DATE"),
        )
    };

    // What crates.io would get: `cargo package`, unpacked.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(manifest_dir())
        .args([
            "package",
            "--no-verify",
            "--allow-dirty",
            "--quiet",
            "--target-dir",
        ])
        .arg(work.path().join("target"))
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo package: {out:?}");
    // Relative paths: GNU tar (Git for Windows' bash) reads `C:\…` as a remote host.
    let crate_file = format!(
        "target/package/aws-iam-authenticator-{}.crate",
        env!("CARGO_PKG_VERSION")
    );
    let out = Command::new("tar")
        .current_dir(work.path())
        .args(["-xzf", &crate_file])
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {out:?}");
    let unpacked = work.path().join(format!(
        "aws-iam-authenticator-{}",
        env!("CARGO_PKG_VERSION")
    ));
    let head = git(&["rev-parse", "HEAD"]);
    let (commit, date) = run(&unpacked, &[]);
    assert!(
        commit == format!("{head} (source tarball)")
            || commit == format!("{head}-dirty (source tarball)"),
        "{commit}"
    );
    assert_eq!(date, "unknown");
    let (_, date) = run(&unpacked, &[("SOURCE_DATE_EPOCH", "1700000000")]);
    assert_eq!(date, "2023-11-14T22:13:20Z");

    // GitHub's "Download ZIP": no .git, no .cargo_vcs_info.json.
    let bare = work.path().join("bare");
    std::fs::create_dir(&bare).unwrap();
    assert_eq!(
        run(&bare, &[]),
        ("unknown (source tarball)".to_owned(), "unknown".to_owned())
    );
    assert_eq!(
        run(
            &bare,
            &[
                ("AWS_IAM_AUTHENTICATOR_COMMIT", "abc123"),
                ("AWS_IAM_AUTHENTICATOR_BUILD_DATE", "2026-01-02T03:04:05Z"),
            ]
        ),
        ("abc123".to_owned(), "2026-01-02T03:04:05Z".to_owned())
    );
}
