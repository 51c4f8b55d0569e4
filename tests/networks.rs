//! Real networks, end to end: the webhook on a control-plane node with a corporate proxy
//! in its environment (`HTTPS_PROXY`, **no** `NO_PROXY`) and a kubeconfig that points at
//! the local API server (`https://127.0.0.1:PORT` or `https://localhost:PORT`), against a
//! real kube-apiserver serving either TLS layout: a CA and the leaf it signed, or one
//! self-signed `CA:TRUE` certificate that is also the kubeconfig's
//! `certificate-authority` (what upstream's Go client accepts).
//!
//! As with upstream, the API server must be reached directly (loopback and `localhost` are
//! never proxied) and STS through the proxy. A recording `CONNECT` proxy written here sits
//! in front of the STS stand-in's own proxy and keeps every `CONNECT` target; the mapping
//! watches (EKSConfigMap and CRD backends) must work, kubectl's token must be reviewed
//! through the webhook, and the proxy must have seen STS and nothing else.
#![cfg(feature = "server")]

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::control_plane::{ControlPlane, WebhookFiles};
use common::webhook::Webhook;
use common::*;
use serde_json::Value;

const CLUSTER: &str = "networks-cluster";

/// An HTTP `CONNECT` proxy that records every target. Tunnels to loopback hosts go
/// straight there (so a misrouted API-server connection still works and only the record
/// shows it); every other target is handed to `upstream` (the STS stand-in's proxy,
/// which terminates TLS for the AWS names).
struct RecordingProxy {
    port: u16,
    targets: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&targets);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let record = Arc::clone(&record);
                std::thread::spawn(move || {
                    let _ = tunnel(client, upstream, &record);
                });
            }
        });
        RecordingProxy { port, targets }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

fn tunnel(
    mut client: TcpStream,
    upstream: u16,
    record: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    // The request head, byte by byte: the client sends nothing more before our answer.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut words = text.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    record.lock().unwrap().push(format!("{method} {target}"));
    if method != "CONNECT" {
        client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    }
    let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
    let server = if matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        let server = TcpStream::connect(target)?;
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        server
    } else {
        let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
        server.write_all(&head)?;
        server
    };
    let (mut client_r, mut server_w) = (client.try_clone()?, server.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_r, &mut server_w);
        let _ = server_w.shutdown(Shutdown::Write);
    });
    let mut server_r = server;
    let _ = std::io::copy(&mut server_r, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// A kubeconfig for a user whose credentials come from our `token` exec plugin. kubectl
/// itself is told not to proxy the API server.
fn user_kubeconfig(
    dir: &Path,
    name: &str,
    cp: &ControlPlane,
    sts: &StandIn,
    akid: &str,
    secret: &str,
) -> PathBuf {
    let env: Vec<(String, String)> = [
        ("AWS_ACCESS_KEY_ID", akid.to_string()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
        ("AWS_REGION", "us-west-2".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_CA_BUNDLE", sts.ca_file.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let env_yaml: String = env
        .iter()
        .map(|(k, v)| format!("      - name: {k}\n        value: \"{v}\"\n"))
        .collect();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: cp\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\n\
         users:\n- name: {name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {bin}\n      interactiveMode: Never\n      args:\n      - token\n      - -i\n      - {CLUSTER}\n      env:\n{env_yaml}\
         contexts:\n- name: cp\n  context:\n    cluster: cp\n    user: {name}\ncurrent-context: cp\n",
        server = cp.var("APISERVER_URL"),
        ca = cp.var("APISERVER_CA"),
        bin = bin(),
    );
    let path = dir.join(format!("{name}.kubeconfig"));
    std::fs::write(&path, text).unwrap();
    path
}

/// The username the API server sees for `kubeconfig` (authenticated by our webhook), or
/// `None` when it is refused.
fn whoami(kubeconfig: &Path) -> Option<String> {
    let out = Command::new(kubectl())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", kubeconfig.parent().unwrap())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["auth", "whoami", "-o", "json"])
        .output()
        .unwrap();
    if !out.status.success() {
        return None;
    }
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["status"]["userInfo"]["username"]
        .as_str()
        .map(str::to_string)
}

#[track_caller]
fn follows(kubeconfig: &Path, want: &str, webhook: &Webhook, what: &str) {
    let bound = Duration::from_secs(60);
    let start = Instant::now();
    loop {
        let got = whoami(kubeconfig);
        if got.as_deref() == Some(want) {
            eprintln!("  {what}: followed in {:?}", start.elapsed());
            return;
        }
        assert!(
            start.elapsed() < bound,
            "{what}: still {got:?} after {bound:?}, want {want:?}; webhook log:\n{}",
            webhook.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One TLS layout: a control plane, then the webhook twice (kubeconfig at `127.0.0.1`,
/// then at `localhost`), each time with only `HTTPS_PROXY` in its environment.
fn run_layout(layout: &str) {
    // One control plane at a time: two at once on a small machine only add flakiness.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    eprintln!("layout {layout}:");
    let sts = StandIn::start();
    let proxy = RecordingProxy::start(
        sts.proxy_url
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .expect("stand-in proxy port"),
    );
    let work = tempfile::tempdir().unwrap();
    let files = WebhookFiles::init(work.path(), CLUSTER, "  backendMode: [EKSConfigMap, CRD]\n");
    let cp = ControlPlane::up(&work.path().join("cp"), &files.kubeconfig, Some(layout));
    let api_port = cp.var("APISERVER_PORT");
    if layout == "self-signed" {
        // The layout under test: the authority is the serving certificate itself.
        let ca = std::fs::read(cp.var("APISERVER_CA")).unwrap();
        let served =
            std::fs::read(Path::new(&cp.var("APISERVER_CA")).with_file_name("apiserver.crt"))
                .unwrap();
        assert_eq!(
            ca, served,
            "self-signed layout: ca.crt must be apiserver.crt"
        );
    }
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    assert_success(&cp.admin(
        &[
            "apply",
            "--server-side",
            "-f",
            deploy.join("iamidentitymapping.yaml").to_str().unwrap(),
        ],
        "",
    ));
    assert_success(&cp.admin(
        &[
            "wait",
            "--for=condition=Established",
            "crd/iamidentitymappings.iamauthenticator.k8s.aws",
            "--timeout=30s",
        ],
        "",
    ));
    let alice = user_kubeconfig(work.path(), "alice", &cp, &sts, ALICE_AKID, ALICE_SECRET);
    let bob = user_kubeconfig(work.path(), "bob", &cp, &sts, BOB_AKID, BOB_SECRET);

    for host in ["127.0.0.1", "localhost"] {
        let to_api = cp.admin_kubeconfig_at(work.path(), host);
        let before = proxy.targets().len();
        let webhook = files
            .builder(&sts)
            .args(["--kubeconfig", to_api.to_str().unwrap()])
            .env("HTTPS_PROXY", proxy.url())
            // Empty is unset, for Go and for us: no NO_PROXY at all.
            .env("NO_PROXY", "")
            .start();

        // ConfigMap backend: aws-auth maps Alice.
        let alice_name = format!("alice-cm-{host}");
        cp.admin_apply(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapUsers: |\n    - userarn: {ALICE_ARN}\n      username: {alice_name}\n"
        ));
        follows(&alice, &alice_name, &webhook, &format!("{host}: aws-auth"));
        // CRD backend: an IAMIdentityMapping maps Bob.
        let bob_name = format!("bob-crd-{host}");
        cp.admin_apply(&format!(
            "apiVersion: iamauthenticator.k8s.aws/v1alpha1\nkind: IAMIdentityMapping\nmetadata:\n  name: bob\nspec:\n  arn: {BOB_ARN}\n  username: {bob_name}\n"
        ));
        follows(
            &bob,
            &bob_name,
            &webhook,
            &format!("{host}: IAMIdentityMapping"),
        );

        let logs = webhook.logs();
        let failures: Vec<&str> = logs
            .lines()
            .filter(|l| {
                l.contains("TLS handshake") || (l.contains("watch") && l.contains("failed"))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{layout}, {host}: the webhook logged failures:\n{}\nfull log:\n{logs}",
            failures.join("\n")
        );
        let seen: Vec<String> = proxy.targets()[before..].to_vec();
        eprintln!("  {host}: the proxy saw {seen:?}");
        assert!(
            !seen.is_empty(),
            "{layout}, {host}: STS was not reached through HTTPS_PROXY"
        );
        for target in &seen {
            assert!(
                target.starts_with("CONNECT sts.") && target.ends_with(".amazonaws.com:443"),
                "{layout}, {host}: the proxy saw {target:?}; only STS may go through it"
            );
            assert!(!target.contains(&api_port), "{layout}, {host}: {target}");
        }
        drop(webhook);
    }

    // A kubeconfig trusting another authority: the watch fails, and the log says why.
    let wrong_ca = cp.admin_kubeconfig_at(work.path(), "127.0.0.1");
    let text = std::fs::read_to_string(&wrong_ca)
        .unwrap()
        .replace(&cp.var("APISERVER_CA"), sts.ca_file.to_str().unwrap());
    std::fs::write(&wrong_ca, text).unwrap();
    let webhook = files
        .builder(&sts)
        .args(["--kubeconfig", wrong_ca.to_str().unwrap()])
        .env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "")
        .start();
    let want = format!(
        "TLS handshake with 127.0.0.1:{api_port} failed: certificate signed by unknown authority"
    );
    let start = Instant::now();
    while !webhook.logs().contains(&want) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{layout}: no {want:?} in the log:\n{}",
            webhook.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let line = webhook
        .logs()
        .lines()
        .find(|l| l.contains(&want))
        .unwrap_or_default()
        .to_string();
    eprintln!("  wrong certificate-authority: {line}");
    assert!(line.contains("watching"), "{line}");
}

#[test]
fn api_server_direct_sts_through_proxy_ca_and_leaf() {
    run_layout("ca-leaf");
}

#[test]
fn api_server_direct_sts_through_proxy_self_signed_ca_certificate() {
    run_layout("self-signed");
}
