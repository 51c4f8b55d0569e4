//! What operators' automation reads, as upstream writes it: `/metrics` in
//! Go's text format, `/healthz` and `/readyz` on a dual-stack health listener, JSON log
//! lines with upstream's access fields, `init`'s and `verify`'s output, and a bad
//! mapping refused before any file is written.
#![cfg(feature = "server")]

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::webhook::{Webhook, within};
use common::*;
use serde_json::Value;

const CONFIG: &str = r#"
clusterID: test-cluster
server:
  mapUsers:
  - userarn: arn:aws:iam::111122223333:user/alice
    username: alice
    groups:
    - devs
  mapAccounts:
  - "999988887777"
"#;

fn alice_token(sts: &StandIn, home: &Path) -> String {
    mint(with_alice(&mut sts.command(home)).args(["token", "-i", "test-cluster"]))
}

/// One plain-HTTP GET; `(status, body)`, or `None` when nothing answers.
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// Go's `promhttp` text: `le="1"`, `_total` in the family names, Go's process
/// collector, no OpenMetrics trailer; and our build_info and identity-cache counters.
#[test]
fn metrics_are_served_as_gos_text_format() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    let home = tempfile::tempdir().unwrap();
    assert_eq!(server.review(&alice_token(&sts, home.path())).0, 200);
    let (status, text) = server.request("GET", "/metrics", "");
    assert_eq!(status, 200);
    for needle in [
        "# TYPE aws_iam_authenticator_authenticate_latency_seconds histogram\n",
        "aws_iam_authenticator_authenticate_latency_seconds_bucket{result=\"success\",le=\"1\"} 1\n",
        "aws_iam_authenticator_authenticate_latency_seconds_bucket{result=\"success\",le=\"0.005\"} ",
        "aws_iam_authenticator_authenticate_latency_seconds_bucket{result=\"success\",le=\"+Inf\"} 1\n",
        "# TYPE aws_iam_authenticator_sts_responses_total counter\n",
        "aws_iam_authenticator_sts_responses_total{ResponseCode=\"200\",StsRegion=\"us-west-2\"} 1\n",
        "# TYPE aws_iam_authenticator_identity_cache_misses_total counter\n",
        "# TYPE aws_iam_authenticator_build_info gauge\n",
        "aws_iam_authenticator_build_info{version=\"",
        "# TYPE process_cpu_seconds_total counter\n",
        "# TYPE process_max_fds gauge\n",
        "# TYPE process_open_fds gauge\n",
        "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_virtual_memory_bytes gauge\n",
        "# TYPE process_virtual_memory_max_bytes gauge\n",
        "# TYPE process_start_time_seconds gauge\n",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(!text.contains("le=\"1.0\""), "{text}");
    assert!(!text.contains("# EOF"), "{text}");
    assert!(!text.contains("# UNIT"), "{text}");
}

/// `-l json`: flat logrus objects; the access lines carry upstream's fields, arrays
/// as arrays; start-up logs the mappings.
#[test]
fn json_logs_carry_upstreams_fields() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &["-l", "json"]);
    let home = tempfile::tempdir().unwrap();
    assert_eq!(server.review(&alice_token(&sts, home.path())).0, 200);
    assert_eq!(server.review("k8s-aws-v1.not-base64!").0, 403);
    assert_eq!(server.request("POST", "/authenticate", "").0, 400);
    let lines: Vec<Value> = server
        .logs()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let find = |msg: &str| -> &Value {
        lines
            .iter()
            .find(|l| l["msg"] == msg)
            .unwrap_or_else(|| panic!("no {msg:?} line in {lines:?}"))
    };
    for line in &lines {
        let time = line["time"].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{line}"
        );
        let level = line["level"].as_str().unwrap();
        assert!(
            ["error", "warning", "info", "debug", "trace"].contains(&level),
            "{line}"
        );
        assert!(line.get("fields").is_none(), "{line}");
    }

    let user = find("mapping IAM user");
    assert_eq!(user["user"], ALICE_ARN);
    assert_eq!(user["username"], "alice");
    assert_eq!(user["groups"], serde_json::json!(["devs"]));
    assert_eq!(find("mapping IAM Account")["accountID"], "999988887777");
    find(&format!("listening on 127.0.0.1:{}", server.port));
    find(&format!(
        "reconfigure your apiserver with `--authentication-token-webhook-config-file={}` to enable (assuming default hostPath mounts)",
        server.kubeconfig_path().display()
    ));

    let granted = find("access granted");
    assert_eq!(granted["level"], "info");
    assert_eq!(granted["arn"], ALICE_ARN);
    assert_eq!(granted["username"], "alice");
    assert_eq!(granted["groups"], serde_json::json!(["devs"]));
    assert_eq!(granted["method"], "POST");
    assert_eq!(granted["path"], "/authenticate");
    assert_eq!(granted["stsendpoint"], "sts.us-west-2.amazonaws.com");
    assert_eq!(
        granted["uid"],
        "aws-iam-authenticator:111122223333:AIDAALICEEXAMPLE00001"
    );
    let client: SocketAddr = granted["client"].as_str().unwrap().parse().unwrap();
    assert_eq!(client.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));

    let denied = find("access denied");
    assert_eq!(denied["level"], "warning");
    assert!(
        denied["error"]
            .as_str()
            .unwrap()
            .starts_with("input token was not properly formatted"),
        "{denied}"
    );
    assert_eq!(denied["method"], "POST");
    assert_eq!(denied["path"], "/authenticate");
    assert!(denied["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    let malformed = find("could not parse request body");
    assert_eq!(
        (
            &malformed["level"],
            &malformed["error"],
            &malformed["method"]
        ),
        (&"error".into(), &"EOF".into(), &"POST".into())
    );
    // Never the token.
    assert!(!server.logs().contains("k8s-aws-v1."), "{}", server.logs());
}

/// `/healthz` is liveness; `/readyz` is 200 once the (MountedFile) backend is parsed,
/// on the health listener and the TLS listener; the health listener takes
/// `--health-address`.
#[test]
fn readyz_on_both_listeners_and_health_address() {
    let sts = StandIn::start();
    let port = free_port();
    let server = Webhook::builder(&sts)
        .config(CONFIG)
        .health_port(port)
        .args(["--health-address", "127.0.0.1"])
        .start();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let (ready, _) = within(Duration::from_secs(30), "the health listener", || {
        http_get(addr, "/readyz")
    });
    assert_eq!(ready, (200, "ok".to_string()));
    assert_eq!(http_get(addr, "/healthz"), Some((200, "ok".into())));
    assert_eq!(server.request("GET", "/readyz", ""), (200, "ok".into()));
    assert_eq!(server.request("GET", "/healthz", ""), (200, "ok".into()));
    // Bound to IPv4 loopback only, as asked.
    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
    assert!(TcpStream::connect_timeout(&v6, Duration::from_secs(2)).is_err());
}

/// Without `--health-address`, the health listener is Go's `:port`: IPv4 and IPv6.
#[test]
fn health_listener_is_dual_stack_by_default() {
    let sts = StandIn::start();
    let port = free_port();
    let _server = Webhook::builder(&sts)
        .config(CONFIG)
        .health_port(port)
        .start();
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    within(
        Duration::from_secs(30),
        "the health listener on IPv4",
        || http_get(v4, "/healthz"),
    );
    // Only where the host has IPv6 at all.
    if std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok() {
        let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
        assert_eq!(http_get(v6, "/healthz"), Some((200, "ok".into())));
        assert_eq!(http_get(v6, "/readyz"), Some((200, "ok".into())));
    }
}

/// A ConfigMap backend whose API server never answers: alive, serving, and not ready.
#[test]
fn readyz_is_503_until_the_watch_has_listed() {
    let sts = StandIn::start();
    let port = free_port();
    let dead = free_port();
    let server = Webhook::builder(&sts)
        .config(CONFIG)
        .health_port(port)
        .args([
            "--backend-mode",
            "MountedFile,EKSConfigMap",
            "--master",
            &format!("http://127.0.0.1:{dead}"),
        ])
        .start();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let (ready, _) = within(Duration::from_secs(30), "the health listener", || {
        http_get(addr, "/readyz")
    });
    assert_eq!(
        ready,
        (503, "not ready: waiting for EKSConfigMap\n".to_string())
    );
    assert_eq!(
        server.request("GET", "/readyz", ""),
        (503, "not ready: waiting for EKSConfigMap\n".into())
    );
    assert_eq!(http_get(addr, "/healthz"), Some((200, "ok".into())));
    // Mapped users are still served from the file meanwhile.
    let home = tempfile::tempdir().unwrap();
    assert_eq!(server.review(&alice_token(&sts, home.path())).0, 200);
}

fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

/// `init` writes upstream's banner, then its hints with the configured paths.
#[test]
fn init_prints_banner_and_configured_paths() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let webhook = dir.path().join("etc/webhook.yaml");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "clusterID: c\nserver:\n  stateDir: {}\n  generateKubeconfig: {}\n",
            state.display(),
            webhook.display()
        ),
    )
    .unwrap();
    let out = command(dir.path())
        .arg("init")
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert_success(&out);
    let first = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert!(
        first.starts_with("Authenticator Version: \"") && first.contains("\", \""),
        "{first}"
    );
    let err = stderr(&out);
    for hint in [
        format!(
            "copy cert.pem to {}/cert.pem on kubernetes master node(s)",
            state.display()
        ),
        format!(
            "copy key.pem to {}/key.pem on kubernetes master node(s)",
            state.display()
        ),
        format!(
            "copy aws-iam-authenticator.kubeconfig to {} on kubernetes master node(s)",
            webhook.display()
        ),
        format!(
            "configure your apiserver with `--authentication-token-webhook-config-file={}` to enable authentication with aws-iam-authenticator",
            webhook.display()
        ),
    ] {
        assert!(err.contains(&hint), "missing {hint:?} in:\n{err}");
    }
    assert!(dir.path().join("cert.pem").exists());

    // `AllAlpha` turns ConfiguredInitDirectories on: the files go where configured.
    let out = command(dir.path())
        .args(["init", "--feature-gates", "AllAlpha=true", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_success(&out);
    assert!(state.join("cert.pem").exists() && webhook.exists());
    assert!(
        stderr(&out).contains(&format!(
            "certificate generated at {}/cert.pem",
            state.display()
        )),
        "{}",
        stderr(&out)
    );
}

/// A mapping that does not validate stops `server` before it writes a certificate or
/// a kubeconfig.
#[test]
fn bad_mapping_is_refused_before_any_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let webhook = dir.path().join("webhook.yaml");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "clusterID: c\nserver:\n  mapRoles:\n  - rolearn: not-an-arn\n    username: x\n",
    )
    .unwrap();
    let out = command(dir.path())
        .args(["server", "--health-port", "0", "--port"])
        .arg(free_port().to_string())
        .arg("-c")
        .arg(&config)
        .arg("--state-dir")
        .arg(&state)
        .arg("--generate-kubeconfig")
        .arg(&webhook)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("mapRoles"), "{}", stderr(&out));
    assert!(
        !state.join("cert.pem").exists(),
        "a certificate was written"
    );
    assert!(!webhook.exists(), "a kubeconfig was written");
}

/// `verify` prints upstream's own lines, with no `Error: ` prefix.
#[test]
fn verify_prints_upstreams_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .args(["verify", "-i", "c", "-t", "k8s-aws-v2.nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let first = stderr(&out).lines().next().unwrap_or_default().to_string();
    assert_eq!(
        first,
        "could not verify token: input token was not properly formatted: token is missing expected \"k8s-aws-v1.\" prefix"
    );
    let out = command(dir.path())
        .args(["verify", "-i", "c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).lines().next().unwrap_or_default(),
        "error: token not specified"
    );
}
