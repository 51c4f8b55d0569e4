//! The webhook server binary for the hardening tests (`tests/adversarial.rs`,
//! `tests/faults.rs`): started over TLS against the STS stand-in, its log captured to a
//! file, and requests sent through one long-lived Python (OpenSSL) client, which — unlike
//! rustls — accepts upstream's self-signed CA certificate as the server's own.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub use super::free_port;
use super::{StandIn, bin, python};

/// A running `server`.
pub struct Webhook {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub log: PathBuf,
    client: Client,
    log_offset: usize,
}

/// Starts `server -c CONFIG` with the state dir and kubeconfig in a fresh temp dir.
pub fn start(sts: &StandIn, config: &str, extra_args: &[&str]) -> Webhook {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    start_in(sts, dir, config, &state, extra_args)
}

/// Like [`start`], with the directory and state dir chosen by the caller.
pub fn start_in(
    sts: &StandIn,
    dir: tempfile::TempDir,
    config: &str,
    state: &Path,
    extra_args: &[&str],
) -> Webhook {
    let port = free_port();
    let mut args: Vec<String> = extra_args.iter().map(|s| s.to_string()).collect();
    args.extend(["--port".to_string(), port.to_string()]);
    let mut child = spawn(sts, dir.path(), config, state, &args);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "server exited with {status}: {}",
                std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "server did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    let kubeconfig = std::fs::read_to_string(dir.path().join("webhook.kubeconfig")).unwrap();
    let ca_b64 = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))
        .unwrap();
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD
        .decode(ca_b64)
        .unwrap();
    let ca_file = dir.path().join("client-ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let log = dir.path().join("server.log");
    Webhook {
        child,
        port,
        client: Client::start(&ca_file),
        dir,
        log,
        log_offset: 0,
    }
}

fn spawn(sts: &StandIn, dir: &Path, config: &str, state: &Path, extra_args: &[String]) -> Child {
    let config_path = dir.join("config.yaml");
    std::fs::write(&config_path, config).unwrap();
    Command::new(bin())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("HTTPS_PROXY", &sts.proxy_url)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("AWS_CA_BUNDLE", &sts.ca_file)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["server", "-c"])
        .arg(&config_path)
        .args(["--health-port", "0"])
        .arg("--state-dir")
        .arg(state)
        .arg("--generate-kubeconfig")
        .arg(dir.join("webhook.kubeconfig"))
        .args(extra_args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("server.log")).unwrap())
        .spawn()
        .unwrap()
}

impl Webhook {
    /// One HTTPS request; `(status, body)`.
    pub fn request(&mut self, method: &str, path: &str, body: &str) -> (u16, String) {
        self.client.send(self.port, method, path, body)
    }

    /// Posts a TokenReview (v1) for `token`.
    pub fn review(&mut self, token: &str) -> (u16, Value) {
        let body = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}});
        let (status, text) = self.request("POST", "/authenticate", &body.to_string());
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {status} {text}")),
        )
    }

    pub fn metrics(&mut self) -> String {
        self.request("GET", "/metrics", "").1
    }

    /// The value of one metric sample line (`name{labels}`), if present.
    pub fn metric(&mut self, sample: &str) -> Option<f64> {
        let metrics = self.metrics();
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
    }

    /// Everything the server logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// What the server logged since the last call.
    pub fn new_logs(&mut self) -> String {
        let all = self.logs();
        let new = all.get(self.log_offset..).unwrap_or_default().to_string();
        self.log_offset = all.len();
        new
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Python process that sends one HTTPS request per input line (JSON) and answers with
/// one line (JSON); a fresh connection each time, 30 s timeout.
struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

const CLIENT: &str = r#"
import http.client, json, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
for line in sys.stdin:
    req = json.loads(line)
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", req["port"], context=ctx, timeout=30)
        conn.request(req["method"], req["path"], body=req["body"].encode() if req["body"] else None,
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        out = {"status": r.status, "body": r.read().decode(errors="replace")}
        conn.close()
    except Exception as e:
        out = {"status": 0, "body": "client error: %r" % (e,)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"#;

impl Client {
    fn start(ca_file: &Path) -> Self {
        let mut child = Command::new(python())
            .args(["-c", CLIENT])
            .arg(ca_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Client {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
        let line = json!({"port": port, "method": method, "path": path, "body": body});
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        let v: Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
        (
            v["status"].as_u64().unwrap() as u16,
            v["body"].as_str().unwrap().to_string(),
        )
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
