//! Fault injection against the real server binary. Each fault must give a
//! bounded answer (a denial, or 429 when STS throttles), keep the last good mappings, and
//! leave a clear log line and metric; start-up faults must stop the server before it
//! listens, naming the file at fault.
//!
//! Already covered elsewhere, not repeated here: STS refusing connections and hanging
//! (`tests/server.rs` `sts_down_or_hanging_gives_a_bounded_denial`), throttling → 429
//! (`sts_throttling_is_429_and_counted`), a DynamicFile torn mid-write, invalid or
//! removed (`dynamic_file_follows_rewrites_tears_and_removal`), the Kubernetes API going
//! away and coming back (`tests/e2e.rs` scenario 6, a kube-apiserver restart).
#![cfg(feature = "server")]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::webhook::{ALICE_CONFIG, Webhook, dynamic_file, within, write_atomically};
use common::*;
use serde_json::json;

fn alice_token(sts: &StandIn) -> String {
    let home = tempfile::tempdir().unwrap();
    mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "test-cluster"]))
}

/// Whether this process can read a file after `chmod 000` (root, CAP_DAC_OVERRIDE).
fn permissions_are_bypassed(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join(".probe");
    std::fs::write(&probe, b"x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).unwrap();
    let bypassed = std::fs::read(&probe).is_ok();
    std::fs::remove_file(&probe).unwrap();
    bypassed
}

/// Makes `path` unreadable: `chmod 000`, or — where permissions are not enforced (tests
/// running as root) — a directory in the file's place, which no one can read as a file.
/// Returns how, for the messages.
fn make_unreadable(path: &Path) -> &'static str {
    use std::os::unix::fs::PermissionsExt;
    if permissions_are_bypassed(path.parent().unwrap()) {
        std::fs::remove_file(path).unwrap();
        std::fs::create_dir(path).unwrap();
        "a directory in its place"
    } else {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).unwrap();
        "chmod 000"
    }
}

fn restore_readable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    if path.is_dir() {
        std::fs::remove_dir(path).unwrap();
    } else if path.exists() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    write_atomically(path, text);
}

/// These tests replay one token against a failing STS: the verified-identity cache would
/// answer it without asking STS, so it is off here.
const NO_IDENTITY_CACHE: &[&str] = &["--identity-cache-size", "0"];

/// STS answering 500, malformed JSON or XML, or slowly: a denial each time (403, never a
/// 5xx or a hang), counted and logged; the same token authenticates once STS recovers.
#[test]
fn sts_errors_and_garbage_are_bounded_denials() {
    let sts = StandIn::start();
    let mut server = Webhook::start(&sts, ALICE_CONFIG, NO_IDENTITY_CACHE);
    let token = alice_token(&sts);
    assert_eq!(server.review(&token).0, 200);

    for (mode, logged) in [
        ("error500", "expected 200, got 500"),
        ("malformed-json", "access denied"),
        ("malformed-xml", "access denied"),
    ] {
        sts.fault(mode, 0.0);
        server.new_logs();
        let started = Instant::now();
        let (status, body) = server.review(&token);
        let took = started.elapsed();
        let logs = server.new_logs();
        assert_eq!(status, 403, "{mode}: {body}");
        assert_eq!(body["status"], json!({"user": {}}), "{mode}");
        assert!(took < Duration::from_secs(9), "{mode}: took {took:?}");
        assert!(
            logs.contains("access denied") && logs.contains(logged),
            "{mode}: {logs}"
        );
        assert!(!logs.contains(&token), "{mode}: token logged");
        sts.fault("none", 0.0);
        assert_eq!(server.review(&token).0, 200, "{mode}: recovery");
    }
    assert_eq!(
        server.metric(
            "aws_iam_authenticator_authenticate_latency_seconds_count{result=\"sts_error\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        server.metric(
            "aws_iam_authenticator_sts_responses_total{ResponseCode=\"500\",StsRegion=\"us-west-2\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        server.metric(
            "aws_iam_authenticator_sts_responses_total{ResponseCode=\"200\",StsRegion=\"us-west-2\"}"
        ),
        Some(6.0),
        "malformed bodies are 200s; then each recovery and the first request"
    );

    // Slow but within the 10 s STS timeout: answered, and correctly.
    sts.fault("slow", 2.0);
    let (status, body) = server.review(&token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["user"]["username"], "alice");
    // Slower than the timeout: a bounded denial.
    sts.fault("slow", 30.0);
    let started = Instant::now();
    assert_eq!(server.review(&token).0, 403);
    assert!(started.elapsed() < Duration::from_secs(15));
    sts.fault("none", 0.0);
    assert!(server.is_running());
}

/// Throttling for only some calls: each throttled review is a 429 (never a 200 or a
/// hang); the rest go through.
#[test]
fn intermittent_throttling_is_429_each_time_then_recovers() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, ALICE_CONFIG, NO_IDENTITY_CACHE);
    let token = alice_token(&sts);
    sts.admin_fault(json!({"mode": "throttle", "count": 2}));
    assert_eq!(server.review(&token).0, 429);
    assert_eq!(server.review(&token).0, 429);
    assert_eq!(server.review(&token).0, 200);
    assert_eq!(
        server.metric("aws_iam_authenticator_sts_throttling_total{StsRegion=\"us-west-2\"}"),
        Some(2.0)
    );
}

/// An unreadable DynamicFile is not a removed one: the last good mappings stay, the
/// failure is logged and counted, and a readable file is picked up again.
#[test]
fn unreadable_dynamic_file_keeps_the_last_good_mappings() {
    let sts = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapping.json");
    restore_readable(&path, &dynamic_file("alice-1"));
    let config = format!(
        "clusterID: test-cluster\nserver:\n  backendMode: [DynamicFile]\n  dynamicfilepath: {}\n",
        path.display()
    );
    let server = Webhook::start(&sts, &config, &[]);
    let token = alice_token(&sts);
    within(Duration::from_secs(20), "initial load", || {
        (server.username(&token)? == "alice-1").then_some(())
    });

    let how = make_unreadable(&path);
    within(Duration::from_secs(20), "the failure is counted", || {
        (server.metric("aws_iam_authenticator_dynamicfile_failures_total")? >= 1.0).then_some(())
    });
    assert_eq!(server.username(&token).as_deref(), Some("alice-1"), "{how}");
    let logs = server.logs();
    assert!(
        logs.contains("cannot read the DynamicFile")
            && logs.contains("keeping the last good mappings"),
        "{how}: {logs}"
    );

    restore_readable(&path, &dynamic_file("alice-2"));
    within(Duration::from_secs(20), "readable again", || {
        (server.username(&token)? == "alice-2").then_some(())
    });
}

/// An unreadable dynamic backend-mode file changes nothing.
#[test]
fn unreadable_backend_mode_file_keeps_the_current_chain() {
    let sts = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.json");
    let modes = dir.path().join("backend-mode.json");
    restore_readable(&mapping, &dynamic_file("alice-dynamic"));
    restore_readable(&modes, r#"{"backendMode":"DynamicFile","Version":"1"}"#);
    let config = format!(
        "clusterID: test-cluster\nserver:\n  backendMode: [MountedFile, DynamicFile]\n  dynamicfilepath: {}\n  dynamicBackendModePath: {}\n\
         \x20 mapUsers:\n  - userarn: {ALICE_ARN}\n    username: alice-mounted\n",
        mapping.display(),
        modes.display()
    );
    let server = Webhook::start(&sts, &config, &[]);
    let token = alice_token(&sts);
    within(Duration::from_secs(20), "DynamicFile only", || {
        (server.username(&token)? == "alice-dynamic").then_some(())
    });
    let how = make_unreadable(&modes);
    within(Duration::from_secs(20), "the failure is logged", || {
        server
            .logs()
            .contains("cannot read the dynamic backend mode file")
            .then_some(())
    });
    // Not reverted to the configured chain (MountedFile first), as removal would.
    assert_eq!(
        server.username(&token).as_deref(),
        Some("alice-dynamic"),
        "{how}"
    );
}

/// Runs `server` expecting it to refuse to start; returns its stderr.
fn refused_start(args: &[&str], config: Option<&Path>, state: &Path) -> String {
    let port = free_port();
    let mut cmd = Command::new(bin());
    cmd.env("AWS_EC2_METADATA_DISABLED", "true").arg("server");
    if let Some(config) = config {
        cmd.arg("-c").arg(config);
    } else {
        cmd.args(["-i", "test-cluster"]);
    }
    let started = Instant::now();
    let out = cmd
        .args(["--port", &port.to_string(), "--health-port", "0"])
        .arg("--state-dir")
        .arg(state)
        .arg("--kubeconfig-pregenerated")
        .args(args)
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens"
    );
    stderr(&out)
}

#[test]
fn unreadable_or_missing_config_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let missing = dir.path().join("missing.yaml");
    let err = refused_start(&[], Some(&missing), &state);
    assert!(err.contains("missing.yaml"), "{err}");

    let config = dir.path().join("config.yaml");
    std::fs::write(&config, ALICE_CONFIG).unwrap();
    let how = make_unreadable(&config);
    let err = refused_start(&[], Some(&config), &state);
    assert!(err.contains("config.yaml"), "{how}: {err}");

    // Torn: cut off in the middle of a mapping.
    let torn = dir.path().join("torn.yaml");
    std::fs::write(&torn, &ALICE_CONFIG[..ALICE_CONFIG.len() - 12]).unwrap();
    let err = refused_start(&[], Some(&torn), &state);
    assert!(err.contains("torn.yaml"), "{err}");
    assert!(
        !state.exists(),
        "nothing written before the config is valid"
    );
}

/// Starts and stops a webhook once so that `state` holds its certificate pair; returns
/// the pair's PEM text (certificate, key).
fn create_cert_pair(sts: &StandIn, state: &std::path::Path) -> (String, String) {
    drop(
        Webhook::builder(sts)
            .config(ALICE_CONFIG)
            .state_dir(state)
            .start(),
    );
    let read = |name: &str| std::fs::read_to_string(state.join(name)).unwrap();
    (read("cert.pem"), read("key.pem"))
}

/// A state dir with a certificate pair that cannot be written to (as on a read-only
/// volume) is fine: the pair is reused. One without a pair that cannot be created is a
/// clear start-up error.
#[test]
fn read_only_state_dir() {
    use std::os::unix::fs::PermissionsExt;
    let sts = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (cert, _key) = create_cert_pair(&sts, &state);
    for f in ["cert.pem", "key.pem"] {
        std::fs::set_permissions(state.join(f), std::fs::Permissions::from_mode(0o400)).unwrap();
    }
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o500)).unwrap();
    let server = Webhook::builder(&sts)
        .config(ALICE_CONFIG)
        .state_dir(&state)
        .start();
    assert_eq!(server.request("GET", "/healthz", "").0, 200);
    assert_eq!(server.review(&alice_token(&sts)).0, 200);
    drop(server);
    assert_eq!(
        std::fs::read_to_string(state.join("cert.pem")).unwrap(),
        cert
    );
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();

    // No pair and no way to write one. Where permissions are bypassed (root), a regular
    // file on the path stands in for the read-only directory.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let target = if permissions_are_bypassed(dir.path()) {
        let blocker = dir.path().join("not-a-dir");
        std::fs::write(&blocker, b"").unwrap();
        blocker.join("state")
    } else {
        std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o500)).unwrap();
        empty.clone()
    };
    let err = refused_start(&[], None, &target);
    assert!(
        err.contains(&*target.to_string_lossy()) || err.contains("not-a-dir"),
        "{err}"
    );
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn missing_or_corrupt_cert_files_are_refused_at_start() {
    let sts = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (cert, key) = create_cert_pair(&sts, &state);
    let reset = || {
        std::fs::write(state.join("cert.pem"), &cert).unwrap();
        std::fs::write(state.join("key.pem"), &key).unwrap();
    };

    // One of the pair missing: refused, and not silently regenerated.
    for missing in ["cert.pem", "key.pem"] {
        reset();
        std::fs::remove_file(state.join(missing)).unwrap();
        let err = refused_start(&[], None, &state);
        assert!(err.contains(missing), "{missing}: {err}");
        assert!(!state.join(missing).exists(), "{missing} was regenerated");
    }
    // Garbage, truncation, the two swapped, a key of another pair.
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .current_dir(other.path())
        .args(["init", "-i", "x"])
        .output()
        .unwrap();
    assert_success(&out);
    let other_key = std::fs::read_to_string(other.path().join("key.pem")).unwrap();
    let cases: Vec<(&str, String, String, &str)> = vec![
        ("cert garbage", "not a pem".into(), key.clone(), "cert.pem"),
        (
            "key garbage",
            cert.clone(),
            "\u{0}\u{1}binary".into(),
            "key.pem",
        ),
        (
            "cert truncated",
            cert[..cert.len() / 2].to_string(),
            key.clone(),
            "cert.pem",
        ),
        (
            "key truncated",
            cert.clone(),
            key[..key.len() / 2].to_string(),
            "key.pem",
        ),
        ("swapped", key.clone(), cert.clone(), "cert.pem"),
        (
            "key of another pair",
            cert.clone(),
            other_key,
            "do not match",
        ),
        ("empty cert", String::new(), key.clone(), "cert.pem"),
    ];
    for (name, c, k, expected) in cases {
        std::fs::write(state.join("cert.pem"), &c).unwrap();
        std::fs::write(state.join("key.pem"), &k).unwrap();
        let err = refused_start(&[], None, &state);
        assert!(err.contains(expected), "{name}: {err}");
        // Never overwritten.
        assert_eq!(
            std::fs::read_to_string(state.join("cert.pem")).unwrap(),
            c,
            "{name}"
        );
    }
}

/// Slowloris: many connections trickle their headers one byte at a time, and as many
/// again open TCP and never start TLS. A legitimate review still succeeds meanwhile, and
/// every slow connection is closed by the server once the header-read (or TLS handshake)
/// timeout — 10 s — has passed, whatever it keeps sending.
#[test]
fn slowloris_cannot_exhaust_the_server() {
    let sts = StandIn::start();
    let mut server = Webhook::start(&sts, ALICE_CONFIG, &[]);
    let token = alice_token(&sts);
    let script = r#"
import json, socket, ssl, sys, time
port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
start = time.monotonic()
slow, idle = [], []
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
    s.sendall(b"POST /authenticate HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    s.setblocking(False)
    slow.append(s)
    t = socket.create_connection(("127.0.0.1", port))
    t.setblocking(False)
    idle.append(t)
print(json.dumps({"opened": time.monotonic() - start}), flush=True)
closed = {}
def is_closed(s):
    try:
        return s.recv(1024) == b""
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except OSError:
        return True
deadline = start + 40
while len(closed) < 2 * n and time.monotonic() < deadline:
    for i, s in enumerate(slow):
        if ("s", i) in closed:
            continue
        try:
            s.sendall(b"X")          # one more header byte
        except (ssl.SSLWantWriteError, BlockingIOError):
            pass
        except OSError:
            closed[("s", i)] = time.monotonic() - start
            continue
        if is_closed(s):
            closed[("s", i)] = time.monotonic() - start
    for i, t in enumerate(idle):
        if ("i", i) not in closed and is_closed(t):
            closed[("i", i)] = time.monotonic() - start
    time.sleep(0.5)
times = sorted(closed.values())
print(json.dumps({"closed": len(closed), "first": times[0] if times else None,
                  "last": times[-1] if times else None}), flush=True)
"#;
    let ca = server.ca_file();
    let n = 60;
    let mut child = Command::new(python())
        .args(["-c", script, &server.port.to_string()])
        .arg(&ca)
        .arg(n.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let opened: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(opened["opened"].is_number(), "{opened}");

    // With 2n slow connections open, a real review and the health check still work.
    let (status, body) = server.review(&token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.request("GET", "/healthz", "").0, 200);

    let report: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(report["closed"], 2 * n, "{report}");
    let first = report["first"].as_f64().unwrap();
    let last = report["last"].as_f64().unwrap();
    // Not closed early (the timeout is 10 s), and all closed by the bound.
    assert!(first >= 8.0, "{report}");
    assert!(last < 30.0, "{report}");
    assert!(server.is_running());
    assert_eq!(server.review(&token).0, 200);
}
