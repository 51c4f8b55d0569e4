//! `token --cache` against the STS stand-in, which counts calls.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

fn cached(sts: &StandIn, home: &Path) -> Command {
    let mut cmd = sts.command(home);
    with_alice(&mut cmd).env("KUBECACHEDIR", home.join("kcache"));
    cmd
}

fn cache_dir(home: &Path) -> std::path::PathBuf {
    home.join("kcache/aws-iam-authenticator")
}

#[test]
fn cold_then_warm_then_expired() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let args = [
        "token",
        "-i",
        "c",
        "-r",
        DEV_ROLE,
        "-s",
        "s1",
        "--cache",
        "--role-duration",
        "70",
        "--cache-margin",
        "1s",
    ];
    let first = mint(cached(&sts, home.path()).args(args));
    assert_eq!(sts.count("AssumeRole"), 1);
    let second = mint(cached(&sts, home.path()).args(args));
    assert_eq!(sts.count("AssumeRole"), 1, "a warm cache makes no STS call");
    assert_eq!(first, second, "the cached token is reused");
    // The 70 s session's token expires 60 s before the session: ~10 s from now.
    std::thread::sleep(Duration::from_secs(11));
    let third = mint(cached(&sts, home.path()).args(args));
    assert_eq!(sts.count("AssumeRole"), 2, "an expired entry is refreshed");
    assert_ne!(third, first);
    assert_eq!(
        identity(&sts.verify(home.path(), "c", &third))["SessionName"],
        "s1"
    );
}

#[test]
fn credentials_outlive_tokens_so_new_tokens_need_no_assume_role() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let base = ["token", "-r", DEV_ROLE, "--cache", "--role-duration", "1h"];
    mint(cached(&sts, home.path()).args(base).args(["-i", "one"]));
    // Another cluster: a new token, but the cached role session is reused.
    let token = mint(cached(&sts, home.path()).args(base).args(["-i", "two"]));
    assert_eq!(sts.count("AssumeRole"), 1);
    assert_eq!(
        identity(&sts.verify(home.path(), "two", &token))["CanonicalARN"],
        DEV_ROLE
    );
    // --force-refresh goes to STS again.
    mint(
        cached(&sts, home.path())
            .args(base)
            .args(["-i", "two", "--force-refresh"]),
    );
    assert_eq!(sts.count("AssumeRole"), 2);
}

#[test]
fn twenty_parallel_cold_invocations_make_one_assume_role_call() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..20)
        .map(|_| {
            cached(&sts, home.path())
                .args(["token", "-i", "c", "-r", DEV_ROLE, "--cache"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let tokens: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert_success(&out);
            let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
            v["status"]["token"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(sts.count("AssumeRole"), 1);
    assert_eq!(tokens.len(), 20);
    for token in tokens.iter().step_by(5) {
        assert_eq!(
            identity(&sts.verify(home.path(), "c", token))["CanonicalARN"],
            DEV_ROLE
        );
    }
}

#[test]
fn killed_writers_never_leave_a_torn_entry() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    for i in 0..25u64 {
        let mut child = cached(&sts, home.path())
            .args(["token", "-i", "c", "--cache", "--force-refresh"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(3 + (i * 7) % 40));
        let _ = child.kill();
        let _ = child.wait();
        for entry in std::fs::read_dir(cache_dir(home.path()))
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".json") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|e| panic!("torn entry {name}: {e}"));
            }
        }
    }
    // The cache still works afterwards.
    let token = mint(cached(&sts, home.path()).args(["token", "-i", "c", "--cache"]));
    identity(&sts.verify(home.path(), "c", &token));
}

#[test]
fn corrupt_entries_are_recovered() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    mint(cached(&sts, home.path()).args(["token", "-i", "c", "--cache"]));
    let entry = std::fs::read_dir(cache_dir(home.path()))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .unwrap()
        .path();
    std::fs::write(&entry, b"{\"version\":1,\"kind\":\"tok").unwrap();
    let out = cached(&sts, home.path())
        .args(["token", "-i", "c", "--cache"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        !stderr(&out).contains("unable to use cache"),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_ok(),
        "rewritten: {text}"
    );
}

#[cfg(unix)]
#[test]
fn entries_are_private_and_a_readable_one_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    mint(cached(&sts, home.path()).args(["token", "-i", "c", "--cache"]));
    let dir = cache_dir(home.path());
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .unwrap()
        .path();
    assert_eq!(
        std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = cached(&sts, home.path())
        .args(["token", "-i", "c", "--cache"])
        .output()
        .unwrap();
    assert_success(&out);
    let err = stderr(&out);
    assert!(
        err.contains("is not private") && err.contains("chmod 600"),
        "{err}"
    );
}

#[test]
fn static_keys_cache_without_complaint_and_changed_keys_are_not_masked() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let out = cached(&sts, home.path())
        .args(["token", "-i", "c", "--cache"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        stderr(&out).is_empty(),
        "no warning for static keys: {}",
        stderr(&out)
    );
    // Bob's keys in the same cache: Bob's identity, not Alice's cached token.
    let out = cached(&sts, home.path())
        .env("AWS_ACCESS_KEY_ID", BOB_AKID)
        .env("AWS_SECRET_ACCESS_KEY", BOB_SECRET)
        .args(["token", "-i", "c", "--cache"])
        .output()
        .unwrap();
    assert_success(&out);
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let id = identity(&sts.verify(home.path(), "c", v["status"]["token"].as_str().unwrap()));
    assert_eq!(id["ARN"], "arn:aws:iam::111122223333:user/bob");
}

#[test]
fn cache_list_and_clear() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    mint(cached(&sts, home.path()).args(["token", "-i", "alpha", "--cache"]));
    let token =
        mint(cached(&sts, home.path()).args(["token", "-i", "beta", "-r", DEV_ROLE, "--cache"]));
    let out = cached(&sts, home.path())
        .args(["cache", "list", "-o", "json"])
        .output()
        .unwrap();
    assert_success(&out);
    let text = stdout(&out);
    assert!(!text.contains(&token) && !text.contains("k8s-aws-v1") && !text.contains(ALICE_SECRET));
    let entries: Vec<Value> = serde_json::from_str(&text).unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "token").count(), 2, "{text}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "credentials").count(),
        1,
        "{text}"
    );
    let out = cached(&sts, home.path())
        .args(["cache", "list"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("alpha") && stdout(&out).contains(DEV_ROLE));

    let out = cached(&sts, home.path())
        .args(["cache", "clear", "-i", "alpha"])
        .output()
        .unwrap();
    assert_success(&out);
    let out = cached(&sts, home.path())
        .args(["cache", "list", "-o", "json"])
        .output()
        .unwrap();
    let entries: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(entries.iter().all(|e| e["clusterID"] != "alpha"));
    assert!(
        entries.iter().any(|e| e["clusterID"] == "beta"),
        "{entries:?}"
    );
    assert!(
        entries.iter().all(|e| e["storage"] == "file"),
        "{entries:?}"
    );
    assert_eq!(entries.len(), 2);
    let out = cached(&sts, home.path())
        .args(["cache", "clear", "--all"])
        .output()
        .unwrap();
    assert_success(&out);
    let out = cached(&sts, home.path())
        .args(["cache", "list", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&stdout(&out))
            .unwrap()
            .len(),
        0
    );
}

/// Listings are lists in every structured format, also with nothing cached yet.
#[test]
fn cache_list_of_nothing_is_an_empty_list() {
    let home = tempfile::tempdir().unwrap();
    for (format, want) in [("json", "[]\n"), ("yaml", "[]\n")] {
        let out = Command::new(bin())
            .env_clear()
            .env("HOME", home.path())
            .env("KUBECACHEDIR", home.path().join("never-created"))
            .args(["cache", "list", "-o", format])
            .output()
            .unwrap();
        assert_success(&out);
        assert_eq!(stdout(&out), want, "{format}");
    }
    let out = Command::new(bin())
        .args(["cache", "list", "-o", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("[possible values: text, json, yaml]"),
        "{}",
        stderr(&out)
    );
}

/// A process that finds the cache lock held (here by one slowed down in AssumeRole; in
/// life, often one sitting at an MFA prompt) says once, after a second, which process it
/// is waiting for; then it takes what that process cached.
#[test]
fn a_waiting_process_names_the_lock_holder_once() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    sts.admin_fault(
        serde_json::json!({"mode": "slow", "delay_seconds": 5, "actions": ["AssumeRole"]}),
    );
    let args = ["token", "-i", "c", "-r", DEV_ROLE, "--cache"];
    let first = cached(&sts, home.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let holder = first.id();
    // Wait (bounded) until the first process holds a lock with its ID written in.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let pid_in_a_lock = || {
        std::fs::read_dir(cache_dir(home.path()))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".lock"))
            .any(|e| std::fs::read_to_string(e.path()).unwrap_or_default() == holder.to_string())
    };
    while !pid_in_a_lock() {
        assert!(
            std::time::Instant::now() < deadline,
            "no lock file names {holder}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = cached(&sts, home.path()).args(args).output().unwrap();
    let first = first.wait_with_output().unwrap();
    assert_success(&first);
    assert_success(&second);
    let notice =
        format!("waiting for aws-iam-authenticator process {holder}, which holds the cache lock");
    let err = stderr(&second);
    assert_eq!(err.matches(&notice).count(), 1, "{err}");
    assert!(err.contains("MFA prompt"), "{err}");
    assert!(
        !stderr(&first).contains("waiting for"),
        "{}",
        stderr(&first)
    );
    assert_eq!(
        sts.count("AssumeRole"),
        1,
        "the waiter reused the holder's session"
    );
    assert_eq!(stdout(&first), stdout(&second), "the same cached token");
}

#[test]
fn mfa_prompts_once_per_role_session() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let cfg = aws_config_with_base(
        home.path(),
        &format!(
            "[profile mfa]\nrole_arn = {MFA_ROLE}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\nduration_seconds = 3600\n"
        ),
    );
    let script = r#"
import json, sys, pexpect
env = json.loads(sys.argv[1])
child = pexpect.spawn(sys.argv[2], sys.argv[4:], env=env, encoding="utf-8", timeout=30)
child.expect_exact("Assume Role MFA token code: ")
child.sendline(sys.argv[3])
child.expect(pexpect.EOF)
child.close()
sys.exit(child.exitstatus)
"#;
    let env = serde_json::json!({
        "PATH": std::env::var("PATH").unwrap_or_default(),
        "HOME": home.path().display().to_string(),
        "HTTPS_PROXY": sts.proxy_url,
        "NO_PROXY": "127.0.0.1,localhost",
        "AWS_CA_BUNDLE": sts.ca_file.display().to_string(),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": "us-west-2",
        "AWS_CONFIG_FILE": cfg.display().to_string(),
        "AWS_PROFILE": "mfa",
        "KUBECACHEDIR": home.path().join("kcache").display().to_string(),
    });
    let out = Command::new(python())
        .args([
            "-c",
            script,
            &env.to_string(),
            bin(),
            MFA_CODE,
            "token",
            "-i",
            "one",
            "--cache",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(sts.count("AssumeRole"), 1);
    // Later calls — another cluster even, and with no terminal — reuse the MFA session.
    let mut cmd = sts.command(home.path());
    for (k, v) in env.as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap());
    }
    let token = mint(
        cmd.env("KUBERNETES_EXEC_INFO", r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#)
            .args(["token", "-i", "two", "--cache"]),
    );
    assert_eq!(sts.count("AssumeRole"), 1, "no second MFA AssumeRole");
    assert_eq!(
        identity(&sts.verify(home.path(), "two", &token))["CanonicalARN"],
        MFA_ROLE
    );
}

/// A private D-Bus session with GNOME Keyring's Secret Service, as on a Linux desktop.
#[cfg(target_os = "linux")]
struct SecretService {
    dbus: std::process::Child,
    address: String,
    home: tempfile::TempDir,
}

#[cfg(target_os = "linux")]
impl SecretService {
    fn start() -> Option<Self> {
        use std::io::{BufRead, Write};
        let home = tempfile::tempdir().unwrap();
        let run = home.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        let mut dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .env("HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        std::io::BufReader::new(dbus.stdout.take()?)
            .read_line(&mut line)
            .ok()?;
        let address = line.trim().to_string();
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--daemonize"])
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", &run)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        keyring.stdin.take()?.write_all(b"test-password").ok()?;
        keyring.wait().ok()?;
        Some(SecretService {
            dbus,
            address,
            home,
        })
    }
}

#[cfg(target_os = "linux")]
impl Drop for SecretService {
    fn drop(&mut self) {
        // gnome-keyring-daemon exits with its bus.
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }
}

// Used by the keyring tests below: the Secret Service and keyutils on Linux, the Keychain
// on macOS and the Credential Manager on Windows (hosted CI; under Wine,
// tests/windows_wine.rs drives the same store from Linux).
#[cfg(any(target_os = "linux", target_os = "macos", windows))]
fn keyring_round_trip(sts: &StandIn, home: &Path, env: &[(&str, &str)]) -> Result<(), String> {
    let args = [
        "token",
        "-i",
        "kr",
        "-r",
        DEV_ROLE,
        "--cache",
        "--cache-storage",
        "keyring",
    ];
    let mut cmd = cached(sts, home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().unwrap();
    assert_success(&out);
    if stderr(&out).contains("keyring error") {
        return Err(stderr(&out));
    }
    let first: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let token = first["status"]["token"].as_str().unwrap();
    for entry in std::fs::read_dir(cache_dir(home)).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(
            !text.contains(token) && !text.contains("secret_access_key"),
            "secret on disk in {:?}",
            entry.path()
        );
    }
    let mut cmd = cached(sts, home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let second = mint(cmd.args(args));
    assert_eq!(second, token, "warm hit from the keyring");
    assert_eq!(sts.count("AssumeRole"), 1);
    Ok(())
}

/// Linux desktop store: the Secret Service (GNOME Keyring) on a private session bus.
#[cfg(target_os = "linux")]
#[test]
fn keyring_storage_with_the_secret_service() {
    let Some(service) = SecretService::start() else {
        panic!(
            "dbus-daemon and gnome-keyring-daemon are needed: apt-get install dbus gnome-keyring (.ci/run installs them)"
        );
    };
    let sts = StandIn::start();
    let run = service.home.path().join("run");
    keyring_round_trip(
        &sts,
        service.home.path(),
        &[
            ("DBUS_SESSION_BUS_ADDRESS", service.address.as_str()),
            ("XDG_RUNTIME_DIR", run.to_str().unwrap()),
        ],
    )
    .unwrap();
}

/// `cache clear` removes the keyring items, not only the files; `cache list` shows both
/// storages. Checked through the Secret Service itself: the cleared entries' record files
/// are put back, and the keyring no longer answers for them.
#[cfg(target_os = "linux")]
#[test]
fn cache_clear_removes_keyring_items() {
    let Some(service) = SecretService::start() else {
        panic!(
            "dbus-daemon and gnome-keyring-daemon are needed: apt-get install dbus gnome-keyring (.ci/run installs them)"
        );
    };
    let sts = StandIn::start();
    let home = service.home.path();
    let run = service.home.path().join("run");
    let with_bus = |cmd: &mut Command| {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &service.address)
            .env("XDG_RUNTIME_DIR", &run);
    };
    let keyring_args = [
        "token",
        "-i",
        "kr",
        "-r",
        DEV_ROLE,
        "--cache",
        "--cache-storage",
        "keyring",
    ];
    let mut cmd = cached(&sts, home);
    with_bus(&mut cmd);
    let first = mint(cmd.args(keyring_args));
    let mut cmd = cached(&sts, home);
    with_bus(&mut cmd);
    mint(cmd.args(["token", "-i", "plain", "--cache"]));

    let mut cmd = cached(&sts, home);
    with_bus(&mut cmd);
    let out = cmd.args(["cache", "list", "-o", "json"]).output().unwrap();
    assert_success(&out);
    let entries: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let storages: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["storage"].as_str().unwrap()))
        .collect();
    assert_eq!(
        storages.iter().filter(|s| s.1 == "keyring").count(),
        2,
        "token and role session in the keyring: {storages:?}"
    );
    assert!(storages.contains(&("token", "file")), "{storages:?}");

    // The keyring items' names are not the files' names.
    let mut saved = Vec::new();
    for entry in std::fs::read_dir(cache_dir(home)).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let record: Value = serde_json::from_str(&text).unwrap();
        if let Some(account) = record["keyring"].as_str() {
            let kind = record["kind"].as_str().unwrap();
            assert!(account.starts_with(&format!("{kind}/")), "{account}");
            assert_ne!(format!("{account}.json"), name);
            saved.push((entry.path(), text));
        }
    }
    assert_eq!(saved.len(), 2);

    let mut cmd = cached(&sts, home);
    with_bus(&mut cmd);
    let out = cmd.args(["cache", "clear", "--all"]).output().unwrap();
    assert_success(&out);
    assert!(
        stderr(&out).contains("removed 3 cache entries"),
        "{}",
        stderr(&out)
    );

    // Put the records back: only the keyring could still answer, and it must not.
    for (path, text) in &saved {
        std::fs::write(path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    let mut cmd = cached(&sts, home);
    with_bus(&mut cmd);
    let again = mint(cmd.args(keyring_args));
    assert_ne!(again, first, "a cleared keyring item still answered");
    assert_eq!(
        sts.count("AssumeRole"),
        2,
        "the role session was cleared too"
    );
}

/// The macOS Keychain and the Windows Credential Manager: the user's own store, which the
/// hosted CI runners have (.github/workflows/ci.yml, docs/release.md "Hosted CI"). A fresh
/// runner holds no entry of ours, so the first call must reach STS and the second must not.
#[cfg(any(target_os = "macos", windows))]
#[test]
fn keyring_storage_with_the_platform_store() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    keyring_round_trip(&sts, home.path(), &[]).unwrap();
}

/// Headless Linux store: the kernel's keyutils.
#[cfg(target_os = "linux")]
#[test]
fn keyring_storage_with_keyutils() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    if let Err(err) = keyring_round_trip(&sts, home.path(), &[]) {
        // The keyring crate links every key into the persistent keyring; some kernels and
        // sandboxes refuse that link (EACCES). Say so rather than pretend.
        assert!(err.contains("keyring error"), "{err}");
        eprintln!("SKIPPED: the kernel refused keyutils' persistent-keyring link here: {err}");
    }
}
