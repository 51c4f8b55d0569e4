//! The Windows client, black-box: the `.exe` cross-built for `x86_64-pc-windows-gnu` runs
//! under Wine against the STS stand-in, and the *Linux* build's `verify` checks its
//! tokens at the stand-in — so a Windows-only signing, path or cache bug fails here.
//!
//! `.ci/windows.sh` runs these with `--ignored`, giving `AIA_WINDOWS_EXE` (the `.exe`) and
//! `AIA_WINE` (Wine's 64-bit loader); `WINEPREFIX` is its prepared prefix (with the
//! `bcryptprimitives.dll` Wine 8 lacks). They are ignored in a plain `cargo test`, which
//! has no Windows build to run, and fail when run without those variables.
//!
//! Paths given to the Windows program are Wine's view of the Linux ones: `Z:` is `/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use serde_json::Value;

/// Wine and the Windows build under test.
struct Wine {
    loader: PathBuf,
    exe: PathBuf,
}

fn wine() -> Wine {
    let var =
        |name: &str| {
            let path = std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| {
            panic!("{name} is not set: run .ci/windows.sh (it builds the .exe and prepares Wine)")
        });
            assert!(path.exists(), "{name}={} does not exist", path.display());
            path
        };
    Wine {
        loader: var("AIA_WINE"),
        exe: var("AIA_WINDOWS_EXE"),
    }
}

/// `/tmp/x` as the Windows program sees it: `Z:\tmp\x`.
fn win(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

impl Wine {
    /// A Windows program under Wine with a clean environment, as on a Windows machine:
    /// no `HOME` (Wine sets `USERPROFILE` and the rest). Only Wine's own variables pass.
    fn program(&self, program: &Path) -> Command {
        let mut cmd = Command::new(&self.loader);
        cmd.arg(program).env_clear();
        for name in [
            "WINEPREFIX",
            "WINEARCH",
            "WINEDEBUG",
            "WINEDLLOVERRIDES",
            "PATH",
        ] {
            if let Some(value) = std::env::var_os(name) {
                cmd.env(name, value);
            }
        }
        cmd
    }

    /// The client, reaching the stand-in through its proxy and trusting its CA.
    fn command(&self, sts: &StandIn) -> Command {
        let mut cmd = self.program(&self.exe);
        cmd.env("HTTPS_PROXY", &sts.proxy_url)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("AWS_CA_BUNDLE", win(&sts.ca_file))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-west-2")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, sts: &StandIn, args: &[&str]) -> Output {
        self.command(sts)
            .args(args)
            .output()
            .expect("run the Windows client under Wine")
    }

    /// `%USERPROFILE%` as Wine sets it (`C:\users\<user>`), as a Linux path in the prefix.
    fn user_profile(&self) -> PathBuf {
        let out = self
            .program(Path::new("cmd"))
            .args(["/c", "echo", "%USERPROFILE%"])
            .stdin(Stdio::null())
            .output()
            .expect("run cmd under Wine");
        assert_success(&out);
        let text = stdout(&out);
        let rest = text
            .trim()
            .strip_prefix("C:\\")
            .unwrap_or_else(|| panic!("USERPROFILE={text:?} is not on C:"));
        let prefix = std::env::var_os("WINEPREFIX").expect("WINEPREFIX is set");
        Path::new(&prefix)
            .join("drive_c")
            .join(rest.replace('\\', "/"))
    }
}

/// The token from an ExecCredential, checked for its shape.
#[track_caller]
fn token_of(out: &Output) -> String {
    assert_success(out);
    let cred: Value = serde_json::from_str(stdout(out).trim()).expect("ExecCredential JSON");
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert!(cred["status"]["expirationTimestamp"].is_string(), "{cred}");
    cred["status"]["token"]
        .as_str()
        .expect("status.token")
        .to_string()
}

#[test]
#[ignore = "needs the Windows build and Wine: .ci/windows.sh runs it"]
fn static_keys_token_verifies_with_the_linux_build() {
    let wine = wine();
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let out = with_alice(&mut wine.command(&sts))
        .args(["token", "-i", "win-cluster"])
        .output()
        .unwrap();
    let token = token_of(&out);
    assert!(token.starts_with("k8s-aws-v1."), "{token}");
    // The Linux build verifies it at the stand-in.
    let id = identity(&sts.verify(home.path(), "win-cluster", &token));
    assert_eq!(id["ARN"], ALICE_ARN);
    assert_eq!(id["AccessKeyID"], ALICE_AKID);
    assert_eq!(
        sts.requests().last().unwrap()["x_k8s_aws_id"],
        "win-cluster"
    );
    // Signed for another cluster: refused.
    assert!(!sts.verify(home.path(), "other", &token).status.success());
}

#[test]
#[ignore = "needs the Windows build and Wine: .ci/windows.sh runs it"]
fn cache_reuses_tokens_and_lists_and_clears_them() {
    let wine = wine();
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let kcache = home.path().join("kcache");
    let cached = |args: &[&str]| {
        let mut cmd = wine.command(&sts);
        with_alice(&mut cmd)
            .env("KUBECACHEDIR", win(&kcache))
            .args(args)
            .output()
            .unwrap()
    };
    let args = ["token", "-i", "c", "-r", DEV_ROLE, "-s", "win", "--cache"];
    let first = token_of(&cached(&args));
    assert_eq!(sts.count("AssumeRole"), 1);
    let second = token_of(&cached(&args));
    assert_eq!(second, first, "the second call returns the cached token");
    assert_eq!(sts.count("AssumeRole"), 1, "a warm cache makes no STS call");
    assert_eq!(
        identity(&sts.verify(home.path(), "c", &second))["SessionName"],
        "win"
    );
    // KUBECACHEDIR is honoured: the entries are there.
    let dir = kcache.join("aws-iam-authenticator");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("token-") && n.ends_with(".json")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("credentials-")),
        "{names:?}"
    );

    let list = cached(&["cache", "list", "-o", "json"]);
    assert_success(&list);
    let listed: Value = serde_json::from_str(stdout(&list).trim()).expect("cache list JSON");
    let listed = listed.as_array().expect("a JSON array");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed
            .iter()
            .any(|e| e["kind"] == "token" && e["clusterID"] == "c" && e["storage"] == "file")
    );
    assert!(
        !stdout(&list).contains(&first),
        "cache list never shows secrets"
    );

    let clear = cached(&["cache", "clear", "--all"]);
    assert_success(&clear);
    let list = cached(&["cache", "list", "-o", "json"]);
    assert_eq!(stdout(&list).trim(), "[]");
    let third = token_of(&cached(&args));
    assert_eq!(
        sts.count("AssumeRole"),
        2,
        "a cleared cache calls STS again"
    );
    assert_ne!(third, first);
}

/// `%USERPROFILE%` is home, as upstream's Go (`os.UserHomeDir`) has it on Windows: the
/// AWS config comes from `%USERPROFILE%\.aws\config` and the cache defaults to
/// `%USERPROFILE%\.kube\cache\aws-iam-authenticator`. (Wine sets `USERPROFILE` itself,
/// to its prefix's `C:\users\<user>`, so this test works there and cleans up.)
#[test]
#[ignore = "needs the Windows build and Wine: .ci/windows.sh runs it"]
fn userprofile_holds_the_aws_config_and_the_cache() {
    let wine = wine();
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let profile = wine.user_profile();
    let (aws, kube) = (profile.join(".aws"), profile.join(".kube"));
    let _ = std::fs::remove_dir_all(&aws);
    let _ = std::fs::remove_dir_all(&kube);
    struct Cleanup(Vec<PathBuf>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            for dir in &self.0 {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
    let _cleanup = Cleanup(vec![aws.clone(), kube.clone()]);
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("config"),
        format!("[profile winbob]\naws_access_key_id = {BOB_AKID}\naws_secret_access_key = {BOB_SECRET}\nregion = us-west-2\n"),
    )
    .unwrap();
    let args = ["token", "-i", "c", "--profile", "winbob", "--cache"];
    let first = token_of(&wine.run(&sts, &args));
    assert_eq!(
        identity(&sts.verify(home.path(), "c", &first))["ARN"],
        BOB_ARN
    );
    let dir = kube.join("cache/aws-iam-authenticator");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no cache under %USERPROFILE% ({}): {e}", dir.display()))
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".json")
        })
        .count();
    assert_eq!(entries, 1);
    let second = token_of(&wine.run(&sts, &args));
    assert_eq!(second, first);
}

/// Several processes with a cold cache at once: the per-key lock file (std's `File::lock`,
/// `LockFileEx` on Windows) lets one of them call AssumeRole; the rest read its entry.
#[test]
#[ignore = "needs the Windows build and Wine: .ci/windows.sh runs it"]
fn concurrent_cold_invocations_make_one_assume_role_call() {
    let wine = wine();
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let kcache = win(&home.path().join("kcache"));
    let children: Vec<_> = (0..6)
        .map(|_| {
            let mut cmd = wine.command(&sts);
            with_alice(&mut cmd)
                .env("KUBECACHEDIR", &kcache)
                .args(["token", "-i", "c", "-r", DEV_ROLE, "-s", "par", "--cache"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let tokens: Vec<String> = children
        .into_iter()
        .map(|c| token_of(&c.wait_with_output().unwrap()))
        .collect();
    assert_eq!(
        sts.count("AssumeRole"),
        1,
        "the lock serialises the cold start"
    );
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "one token for all");
}

#[test]
#[ignore = "needs the Windows build and Wine: .ci/windows.sh runs it"]
fn completion_powershell_and_version() {
    let wine = wine();
    let sts = StandIn::start();
    let out = wine.run(&sts, &["completion", "powershell"]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains("Register-ArgumentCompleter"), "{text}");
    // The same script the Linux build renders into completions/ (what the Windows
    // packages ship).
    let checked_in = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/_aws-iam-authenticator.ps1"),
    )
    .unwrap();
    assert!(
        text == checked_in,
        "the Windows build renders a different PowerShell completion"
    );
    let out = wine.run(&sts, &["version"]);
    assert_success(&out);
    let version: Value = serde_json::from_str(stdout(&out).trim()).expect("version JSON");
    assert_eq!(version["Version"], env!("CARGO_PKG_VERSION"), "{version}");
}

/// `--cache-storage keyring` on Windows is the Credential Manager (the keyring crate's
/// `windows-native` store: CredWriteW / CredReadW), which Wine implements.
#[test]
#[ignore = "needs the Windows build and Wine: .ci/windows.sh runs it"]
fn keyring_storage_uses_the_credential_manager() {
    let wine = wine();
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let kcache = home.path().join("kcache");
    let cached = |args: &[&str]| {
        let mut cmd = wine.command(&sts);
        with_alice(&mut cmd)
            .env("KUBECACHEDIR", win(&kcache))
            .args(args)
            .output()
            .unwrap()
    };
    let args = [
        "token",
        "-i",
        "kr",
        "-r",
        DEV_ROLE,
        "-s",
        "keyring",
        "--cache",
        "--cache-storage",
        "keyring",
    ];
    let first = token_of(&cached(&args));
    let out = cached(&args);
    let second = token_of(&out);
    assert!(
        second == first,
        "the second call reads the token back from the keyring; stderr: {}",
        stderr(&out)
    );
    assert_eq!(
        second, first,
        "the second call reads the token back from the keyring"
    );
    assert_eq!(sts.count("AssumeRole"), 1);
    // On disk: metadata only, never the token.
    let dir = kcache.join("aws-iam-authenticator");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains(&first), "{} holds the token", path.display());
        assert!(!text.contains("\"secret\""), "{}: {text}", path.display());
    }
    // File storage does not see the keyring's secrets: a miss, so a new STS call.
    let file_args = &args[..args.len() - 2];
    let third = token_of(&cached(file_args));
    assert_ne!(third, first);
}
