//! The webhook server binary over TLS, with STS reached through the proxy stand-in.
#![cfg(feature = "server")]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::webhook::{Webhook, dynamic_file, within, write_atomically};
use common::*;
use serde_json::json;

const CONFIG: &str = r#"
clusterID: test-cluster
server:
  mapUsers:
  - userarn: arn:aws:iam::111122223333:user/alice
    username: alice
    groups:
    - devs
    - system:authenticated
  mapRoles:
  - rolearn: arn:aws:iam::111122223333:role/dev
    username: "dev:{{SessionName}}:{{AccountID}}"
    groups:
    - "team-{{SessionNameRaw}}"
  mapAccounts:
  - "999988887777"
"#;

fn alice_token(sts: &StandIn, home: &Path, cluster: &str) -> String {
    mint(with_alice(&mut sts.command(home)).args(["token", "-i", cluster]))
}

#[test]
fn mapped_user_v1_and_v1beta1() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    let home = tempfile::tempdir().unwrap();
    for api_version in ["authentication.k8s.io/v1", "authentication.k8s.io/v1beta1"] {
        let token = alice_token(&sts, home.path(), "test-cluster");
        let (status, body) = server.review_as(api_version, &token);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["apiVersion"], api_version);
        assert_eq!(body["kind"], "TokenReview");
        assert_eq!(body["metadata"], json!({}));
        let user = &body["status"]["user"];
        assert_eq!(body["status"]["authenticated"], true);
        assert_eq!(user["username"], "alice");
        assert_eq!(
            user["uid"],
            "aws-iam-authenticator:111122223333:AIDAALICEEXAMPLE00001"
        );
        assert_eq!(user["groups"], json!(["devs", "system:authenticated"]));
        assert_eq!(
            user["extra"],
            json!({
                "accessKeyId": [ALICE_AKID],
                "arn": [ALICE_ARN],
                "canonicalArn": [ALICE_ARN],
                "principalId": ["AIDAALICEEXAMPLE00001"],
                "sessionName": [""],
                "sigs.k8s.io/aws-iam-authenticator/principalId": ["AIDAALICEEXAMPLE00001"]
            })
        );
    }
}

#[test]
fn role_templates_and_map_accounts() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args([
        "token",
        "-i",
        "test-cluster",
        "-r",
        DEV_ROLE,
        "-s",
        "jdoe@example.com",
    ]));
    let (status, body) = server.review(&token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["status"]["user"]["username"],
        "dev:jdoe-example.com:111122223333"
    );
    assert_eq!(
        body["status"]["user"]["groups"],
        json!(["team-jdoe@example.com"])
    );
    assert_eq!(
        body["status"]["user"]["uid"],
        "aws-iam-authenticator:111122223333:AROADEVEXAMPLE000001"
    );
}

#[test]
fn denials_have_upstreams_body_and_status() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    let home = tempfile::tempdir().unwrap();
    let deny = |v: &str| json!({"apiVersion": v, "kind": "TokenReview", "metadata": {}, "spec": {}, "status": {"user": {}}});

    // Unmapped identity (Bob).
    let bob = mint(
        sts.command(home.path())
            .env("AWS_ACCESS_KEY_ID", BOB_AKID)
            .env("AWS_SECRET_ACCESS_KEY", BOB_SECRET)
            .args(["token", "-i", "test-cluster"]),
    );
    let (status, body) = server.review(&bob);
    assert_eq!((status, body), (403, deny("authentication.k8s.io/v1")));

    // A token for another cluster.
    let other = alice_token(&sts, home.path(), "other-cluster");
    let (status, body) = server.review_as("authentication.k8s.io/v1beta1", &other);
    assert_eq!((status, body), (403, deny("authentication.k8s.io/v1beta1")));

    // Garbage token: refused before STS.
    sts.reset();
    let (status, _) = server.review("k8s-aws-v1.bm9wZQ");
    assert_eq!(status, 403);
    assert_eq!(sts.count("GetCallerIdentity"), 0);

    let metrics = server.metrics();
    assert!(
        metrics.contains(
            "aws_iam_authenticator_authenticate_latency_seconds_count{result=\"uknown_user\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "aws_iam_authenticator_authenticate_latency_seconds_count{result=\"invalid_token\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("aws_iam_authenticator_sts_responses_total{ResponseCode=\"403\",StsRegion=\"us-west-2\"} 1"), "{metrics}");
}

#[test]
fn malformed_requests() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    assert_eq!(
        server.request("GET", "/authenticate", ""),
        (405, "expected POST\n".into())
    );
    assert_eq!(
        server.request("POST", "/authenticate", ""),
        (400, "expected a request body to be a TokenReview\n".into())
    );
    assert_eq!(
        server.request("POST", "/authenticate", "{not json"),
        (400, "expected a request body to be a TokenReview\n".into())
    );
    // An oversize body is drained before the 413, so the client reads the answer
    // instead of a connection reset, every time.
    let huge = format!("{{\"spec\":{{\"token\":\"{}\"}}}}", "a".repeat(200_000));
    for _ in 0..10 {
        assert_eq!(server.request("POST", "/authenticate", &huge).0, 413);
    }
    assert_eq!(server.request("GET", "/healthz", ""), (200, "ok".into()));
    assert!(
        server
            .metrics()
            .contains("result=\"malformed_request\"} 13")
    );
}

#[test]
fn sts_throttling_is_429_and_counted() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    let home = tempfile::tempdir().unwrap();
    let token = alice_token(&sts, home.path(), "test-cluster");
    sts.fault("throttle", 0.0);
    let (status, body) = server.review(&token);
    assert_eq!(status, 429, "{body}");
    let metrics = server.metrics();
    assert!(
        metrics.contains("aws_iam_authenticator_sts_throttling_total{StsRegion=\"us-west-2\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("result=\"sts_throttling\"} 1"),
        "{metrics}"
    );
    sts.fault("none", 0.0);
    assert_eq!(server.review(&token).0, 200);
}

#[test]
fn sts_down_or_hanging_gives_a_bounded_denial() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    let home = tempfile::tempdir().unwrap();
    let token = alice_token(&sts, home.path(), "test-cluster");
    sts.fault("refuse", 0.0);
    let started = Instant::now();
    assert_eq!(server.review(&token).0, 403);
    assert!(started.elapsed() < Duration::from_secs(9));
    sts.fault("hang", 0.0);
    let started = Instant::now();
    assert_eq!(server.review(&token).0, 403);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(25),
        "took {took:?}"
    );
    assert_eq!(server.request("GET", "/healthz", ""), (200, "ok".into()));
    assert!(server.metrics().contains(
        "aws_iam_authenticator_sts_connection_failures_total{StsRegion=\"us-west-2\"} 2"
    ));
}

#[test]
fn scrubbed_accounts_get_an_administrative_uid_and_no_extras() {
    let sts = StandIn::start();
    let config = format!("{CONFIG}  scrubbedAccounts:\n  - \"111122223333\"\n");
    let server = Webhook::start(&sts, &config, &[]);
    let home = tempfile::tempdir().unwrap();
    let (status, body) = server.review(&alice_token(&sts, home.path(), "test-cluster"));
    assert_eq!(status, 200);
    assert_eq!(
        body["status"]["user"]["uid"],
        "aws-iam-authenticator:administrative:alice"
    );
    assert!(body["status"]["user"].get("extra").is_none());
}

#[test]
fn aws_eks_get_token_authenticates() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    let home = tempfile::tempdir().unwrap();
    let token = aws_eks_get_token(home.path(), "test-cluster");
    let (status, body) = server.review(&token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["user"]["username"], "alice");
}

#[test]
fn kubeconfig_ca_verifies_the_serving_certificate_and_restart_reuses_it() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &[]);
    let kubeconfig = std::fs::read_to_string(server.kubeconfig_path()).unwrap();
    assert!(kubeconfig.contains(&format!(
        "server: https://localhost:{}/authenticate",
        server.port
    )));
    // request() trusts only the kubeconfig's CA data, so a 200 proves it verifies.
    assert_eq!(server.request("GET", "/healthz", "").0, 200);
    let cert = std::fs::read_to_string(server.dir.path().join("state/cert.pem")).unwrap();
    // A second server on the same state dir reuses the certificate.
    let state = server.dir.path().join("state");
    let again = Webhook::builder(&sts)
        .state_dir(&state)
        .args(["-i", "test-cluster", "--kubeconfig-pregenerated"])
        .start();
    assert_eq!(
        std::fs::read_to_string(state.join("cert.pem")).unwrap(),
        cert
    );
    drop(again);
}

#[cfg(unix)]
#[test]
fn sigterm_shuts_down_cleanly() {
    let sts = StandIn::start();
    let mut server = Webhook::start(&sts, CONFIG, &[]);
    let pid = server.child.id();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bad_config_is_refused_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.yaml");
    std::fs::write(&config, "clusterID: c\nserver:\n  mapUsers:\n  - userarn: arn:aws:iam::1:user/a\n    username: [oops]\n").unwrap();
    let port = free_port();
    let out = Command::new(bin())
        .arg("server")
        .arg("-c")
        .arg(&config)
        .args(["--port", &port.to_string(), "--health-port", "0"])
        .arg("--state-dir")
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("bad.yaml") && err.contains("mapUsers[0]") && err.contains("line 4"),
        "{err}"
    );
    assert!(
        !dir.path().join("s").exists(),
        "nothing written before validation"
    );
}

#[test]
fn init_writes_upstreams_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .current_dir(dir.path())
        .args([
            "init",
            "-i",
            "test-cluster",
            "--hostname",
            "auth.example.com",
            "--address",
            "10.1.2.3",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    for f in ["cert.pem", "key.pem", "aws-iam-authenticator.kubeconfig"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
    let kubeconfig =
        std::fs::read_to_string(dir.path().join("aws-iam-authenticator.kubeconfig")).unwrap();
    let cert = std::fs::read_to_string(dir.path().join("cert.pem")).unwrap();
    use base64::Engine;
    let expected = format!(
        "\nclusters:\n  - name: aws-iam-authenticator\n    cluster:\n      certificate-authority-data: {}\n      server: https://auth.example.com:21362/authenticate\n# user refers to the API server client\nusers:\n  - name: apiserver\ncurrent-context: webhook\ncontexts:\n- name: webhook\n  context:\n    cluster: aws-iam-authenticator\n    user: apiserver\n",
        base64::engine::general_purpose::STANDARD.encode(&cert)
    );
    assert_eq!(kubeconfig, expected);
    // The address really lands in the certificate (upstream's --address is ignored).
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(dir.path().join("cert.pem"))
        .output();
    if let Ok(out) = out {
        let text = stdout(&out);
        assert!(
            text.contains("IP Address:10.1.2.3") && text.contains("DNS:auth.example.com"),
            "{text}"
        );
        assert!(
            text.contains("CN=aws-iam-authenticator")
                || text.contains("CN = aws-iam-authenticator")
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // With the gate: the state dir and the --generate-kubeconfig path from the config.
    let cfg = dir.path().join("c.yaml");
    std::fs::write(
        &cfg,
        format!(
            "server:\n  stateDir: {0}/state\n  generateKubeconfig: {0}/out/kc.yaml\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let out = Command::new(bin())
        .current_dir(dir.path())
        .arg("-c")
        .arg(&cfg)
        .args([
            "init",
            "-i",
            "c",
            "--feature-gates=ConfiguredInitDirectories=true",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(dir.path().join("state/cert.pem").exists());
    assert!(dir.path().join("out/kc.yaml").exists());
}

#[test]
fn duplicate_mappings_are_reported_at_startup_and_tokens_never_logged() {
    let sts = StandIn::start();
    // The same user twice (ARN case differs): upstream silently lets the last one win.
    let config = CONFIG.replace(
        "    - system:authenticated\n",
        "    - system:authenticated\n  - userarn: arn:aws:iam::111122223333:user/ALICE\n    username: alice-again\n",
    );
    let mut server = Webhook::builder(&sts)
        .config(&config)
        .args(["-v", "trace"])
        .start();
    let home = tempfile::tempdir().unwrap();
    let token = alice_token(&sts, home.path(), "test-cluster");
    let body = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}});
    let (status, text) = server.request("POST", "/authenticate", &body.to_string());
    assert_eq!(status, 200, "{text}");
    // Last one wins, as upstream, but the duplicate was reported.
    assert!(text.contains("alice-again"), "{text}");
    server.stop();
    let logs = server.logs();
    assert!(logs.contains("duplicate"), "{logs}");
    let signature = decode(&token)
        .rsplit("X-Amz-Signature=")
        .next()
        .unwrap()
        .to_string();
    assert!(
        !logs.contains(&token) && !logs.contains(&signature),
        "the token leaked into the logs"
    );
}

#[test]
fn dynamic_file_follows_rewrites_tears_and_removal() {
    let sts = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapping.json");
    let config = format!(
        "clusterID: test-cluster\nserver:\n  backendMode: [DynamicFile]\n  dynamicfilepath: {}\n",
        path.display()
    );
    let server = Webhook::start(&sts, &config, &[]);
    let home = tempfile::tempdir().unwrap();
    let token = alice_token(&sts, home.path(), "test-cluster");
    let bound = Duration::from_secs(15);

    // No file yet: nothing mapped.
    assert_eq!(server.review(&token).0, 403);

    // Created atomically.
    write_atomically(&path, &dynamic_file("alice-1"));
    let (_, took) = within(bound, "file created", || {
        (server.username(&token)? == "alice-1").then_some(())
    });
    eprintln!("DynamicFile creation picked up in {took:?}");

    // Rewritten in place, and caught half-written: the last good mapping stays.
    let next = dynamic_file("alice-2");
    let (head, tail) = next.split_at(next.len() / 2);
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(head.as_bytes()).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(server.username(&token).as_deref(), Some("alice-1"));
        f.write_all(tail.as_bytes()).unwrap();
    }
    let (_, took) = within(bound, "in-place rewrite", || {
        (server.username(&token)? == "alice-2").then_some(())
    });
    eprintln!("DynamicFile in-place rewrite picked up in {took:?}");
    let metrics = server.metrics();
    assert!(
        metrics.contains("aws_iam_authenticator_dynamicfile_failures_total 1")
            || metrics.contains("aws_iam_authenticator_dynamicfile_failures_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "aws_iam_authenticator_dynamic_e2e_latency_seconds_count{type=\"dynamic_file\"}"
        ),
        "{metrics}"
    );

    // Invalid JSON: still the last good mapping.
    write_atomically(&path, "{\"mapUsers\": [");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(server.username(&token).as_deref(), Some("alice-2"));

    // Removed: cleared. Re-created: mapped again.
    std::fs::remove_file(&path).unwrap();
    within(bound, "file removed", || {
        (server.review(&token).0 == 403).then_some(())
    });
    write_atomically(&path, &dynamic_file("alice-3"));
    within(bound, "file re-created", || {
        (server.username(&token)? == "alice-3").then_some(())
    });
}

#[test]
fn dynamic_backend_mode_switches_the_chain_at_run_time() {
    let sts = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.json");
    let modes = dir.path().join("backend-mode.json");
    write_atomically(&mapping, &dynamic_file("alice-dynamic"));
    let config = format!(
        "clusterID: test-cluster\nserver:\n  backendMode: [MountedFile, DynamicFile]\n  dynamicfilepath: {}\n  dynamicBackendModePath: {}\n\
         \x20 mapUsers:\n  - userarn: {ALICE_ARN}\n    username: alice-mounted\n",
        mapping.display(),
        modes.display()
    );
    let server = Webhook::start(&sts, &config, &[]);
    let home = tempfile::tempdir().unwrap();
    let token = alice_token(&sts, home.path(), "test-cluster");
    let bound = Duration::from_secs(15);
    let gauge = |name: &str| {
        server
            .metrics()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("aws_iam_authenticator_{name} ")))
            .map(str::to_string)
    };

    within(bound, "configured chain", || {
        (server.username(&token)? == "alice-mounted").then_some(())
    });
    assert_eq!(gauge("dynamic_file_enabled").as_deref(), Some("1"));
    assert_eq!(gauge("dynamic_file_only").as_deref(), Some("0"));

    write_atomically(&modes, r#"{"backendMode":"DynamicFile","Version":"1"}"#);
    within(bound, "switch to DynamicFile only", || {
        (server.username(&token)? == "alice-dynamic").then_some(())
    });
    assert_eq!(gauge("dynamic_file_only").as_deref(), Some("1"));

    // Unknown modes change nothing.
    write_atomically(&modes, r#"{"backendMode":"DynamicFile Bogus"}"#);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(server.username(&token).as_deref(), Some("alice-dynamic"));

    write_atomically(&modes, r#"{"backendMode":"MountedFile DynamicFile"}"#);
    within(bound, "switch back", || {
        (server.username(&token)? == "alice-mounted").then_some(())
    });
    write_atomically(&modes, r#"{"backendMode":"DynamicFile MountedFile"}"#);
    within(bound, "reordered", || {
        (server.username(&token)? == "alice-dynamic").then_some(())
    });
    // Removing the file reverts to the configured modes.
    std::fs::remove_file(&modes).unwrap();
    within(bound, "revert on removal", || {
        (server.username(&token)? == "alice-mounted").then_some(())
    });
    assert_eq!(gauge("dynamic_file_only").as_deref(), Some("0"));
}

#[test]
fn identity_cache_single_flights_and_follows_mapping_changes() {
    let sts = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapping.json");
    write_atomically(&path, &dynamic_file("before"));
    let config = format!(
        "clusterID: test-cluster\nserver:\n  backendMode: [DynamicFile]\n  dynamicfilepath: {}\n",
        path.display()
    );
    let server = std::sync::Arc::new(Webhook::start(&sts, &config, &[]));
    let home = tempfile::tempdir().unwrap();
    let token = alice_token(&sts, home.path(), "test-cluster");
    within(Duration::from_secs(15), "mapping loaded", || {
        server.username(&token).filter(|u| u == "before")
    });
    // That review called STS once; 20 more, concurrent, call it zero times.
    assert_eq!(sts.count("GetCallerIdentity"), 1);
    let threads: Vec<_> = (0..20)
        .map(|_| {
            let server = std::sync::Arc::clone(&server);
            let token = token.clone();
            std::thread::spawn(move || server.username(&token))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().as_deref(), Some("before"));
    }
    assert_eq!(sts.count("GetCallerIdentity"), 1);
    let metrics = server.metrics();
    assert!(
        metrics.contains("aws_iam_authenticator_identity_cache_hits_total 20"),
        "{metrics}"
    );
    assert!(
        metrics.contains("aws_iam_authenticator_identity_cache_misses_total 1"),
        "{metrics}"
    );
    // The mapping is not cached: a change applies to the cached identity at once.
    write_atomically(&path, &dynamic_file("after"));
    within(Duration::from_secs(15), "mapping change", || {
        server.username(&token).filter(|u| u == "after")
    });
    assert_eq!(sts.count("GetCallerIdentity"), 1);
    // A different token (signed a second later) is a miss.
    std::thread::sleep(Duration::from_millis(1100));
    let other = alice_token(&sts, home.path(), "test-cluster");
    assert_ne!(other, token);
    assert_eq!(server.username(&other).as_deref(), Some("after"));
    assert_eq!(sts.count("GetCallerIdentity"), 2);
}

#[test]
fn identity_cache_can_be_turned_off() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, CONFIG, &["--identity-cache-size", "0"]);
    let home = tempfile::tempdir().unwrap();
    let token = alice_token(&sts, home.path(), "test-cluster");
    for _ in 0..3 {
        assert_eq!(server.username(&token).as_deref(), Some("alice"));
    }
    assert_eq!(sts.count("GetCallerIdentity"), 3);
}
