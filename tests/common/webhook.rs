//! The webhook server binary, as every server test starts it: over TLS against the STS
//! stand-in (through its proxy), its log captured to a file and printed when a test
//! fails, and requests sent through long-lived Python (OpenSSL) clients, which — unlike
//! rustls — accept upstream's self-signed CA certificate as the server's own.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{StandIn, bin, free_port, python, wait_until_listening};

/// A config that maps Alice (static keys) to `alice`, and nothing else.
pub const ALICE_CONFIG: &str = r#"
clusterID: test-cluster
server:
  mapUsers:
  - userarn: arn:aws:iam::111122223333:user/alice
    username: alice
"#;

/// How long a server may take to start listening.
const START_BOUND: Duration = Duration::from_secs(30);

/// A running `server`, killed on drop.
pub struct Webhook {
    pub child: Child,
    pub port: u16,
    /// Holds the config (when given as text), the log, the kubeconfig and the client CA.
    pub dir: tempfile::TempDir,
    pub log: PathBuf,
    kubeconfig: PathBuf,
    /// Idle clients; a request takes one (or starts one), so concurrent requests from
    /// several threads really are concurrent.
    clients: Mutex<Vec<Client>>,
    log_offset: AtomicUsize,
}

/// Where the server's configuration comes from.
enum Config {
    /// No `-c`: the caller passes what it needs (`-i CLUSTER`) as arguments.
    None,
    /// Written to `config.yaml` in the server's directory; the harness passes `--port`,
    /// `--state-dir` and `--generate-kubeconfig`.
    Text(String),
    /// A file that itself sets `server.port`, `stateDir` and `generateKubeconfig`,
    /// passed as it is; `port` and `kubeconfig` repeat what it says.
    File {
        path: PathBuf,
        port: u16,
        kubeconfig: PathBuf,
    },
}

/// Options for [`Webhook`]; [`Builder::start`] starts it and waits until it listens.
pub struct Builder<'a> {
    sts: &'a StandIn,
    config: Config,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    state: Option<PathBuf>,
    health_port: Option<u16>,
    /// Another binary than ours (upstream's, for tests/upstream_diff.rs).
    program: Option<PathBuf>,
}

impl<'a> Builder<'a> {
    /// The config file's text.
    pub fn config(mut self, text: &str) -> Self {
        self.config = Config::Text(text.to_string());
        self
    }

    /// A config file that sets `server.port`, `stateDir` and `generateKubeconfig` itself
    /// (to `port` and `kubeconfig`).
    pub fn config_file(mut self, path: &Path, port: u16, kubeconfig: &Path) -> Self {
        self.config = Config::File {
            path: path.to_path_buf(),
            port,
            kubeconfig: kubeconfig.to_path_buf(),
        };
        self
    }

    /// More arguments for `server`.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// One more environment variable on top of the clean environment.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// More environment variables on top of the clean environment.
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self = self.env(k, v);
        }
        self
    }

    /// The state dir (default: `state` in the server's own temp dir).
    pub fn state_dir(mut self, path: &Path) -> Self {
        self.state = Some(path.to_path_buf());
        self
    }

    /// Serves the plain-HTTP health port on `port` (default: `--health-port 0`, none).
    pub fn health_port(mut self, port: u16) -> Self {
        self.health_port = Some(port);
        self
    }

    /// Runs `path` instead of our binary: upstream's, which has no `--health-port` flag
    /// (its health listener is fixed at :21363), so none is passed.
    pub fn program(mut self, path: &Path) -> Self {
        self.program = Some(path.to_path_buf());
        self
    }

    pub fn start(self) -> Webhook {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let mut cmd = Command::new(self.program.as_deref().unwrap_or(Path::new(bin())));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("HTTPS_PROXY", &self.sts.proxy_url)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("AWS_CA_BUNDLE", &self.sts.ca_file)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(self.env)
            .arg("server");
        let (port, kubeconfig) = match self.config {
            Config::File {
                path,
                port,
                kubeconfig,
            } => {
                cmd.arg("-c").arg(path);
                (port, kubeconfig)
            }
            config => {
                if let Config::Text(text) = config {
                    let path = dir.path().join("config.yaml");
                    std::fs::write(&path, text).unwrap();
                    cmd.arg("-c").arg(path);
                }
                let port = free_port();
                let kubeconfig = dir.path().join("webhook.kubeconfig");
                let state = self.state.unwrap_or_else(|| dir.path().join("state"));
                if self.program.is_some() {
                    // Upstream does not create its state dir.
                    std::fs::create_dir_all(&state).unwrap();
                }
                cmd.args(["--port", &port.to_string()])
                    .arg("--state-dir")
                    .arg(state)
                    .arg("--generate-kubeconfig")
                    .arg(&kubeconfig);
                (port, kubeconfig)
            }
        };
        if self.program.is_none() {
            cmd.args(["--health-port", &self.health_port.unwrap_or(0).to_string()]);
        }
        let mut child = cmd
            .args(self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        wait_until_listening(port, &mut child, &log, "server", START_BOUND);
        if let Some(health) = self.health_port {
            wait_until_listening(health, &mut child, &log, "health port", START_BOUND);
        }
        Webhook {
            child,
            port,
            dir,
            log,
            kubeconfig,
            clients: Mutex::new(Vec::new()),
            log_offset: AtomicUsize::new(0),
        }
    }
}

impl Webhook {
    /// `server -c CONFIG ARGS…` with a fresh temp dir for the state dir and kubeconfig.
    pub fn start(sts: &StandIn, config: &str, args: &[&str]) -> Webhook {
        Self::builder(sts).config(config).args(args).start()
    }

    pub fn builder(sts: &StandIn) -> Builder<'_> {
        Builder {
            sts,
            config: Config::None,
            args: Vec::new(),
            env: Vec::new(),
            state: None,
            health_port: None,
            program: None,
        }
    }

    /// The kubeconfig the server wrote.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The CA from the kubeconfig the server wrote, as a PEM file: the only CA the
    /// clients trust, so an answer proves the kubeconfig verifies the server.
    pub fn ca_file(&self) -> PathBuf {
        let path = self.dir.path().join("client-ca.pem");
        if !path.exists() {
            let kubeconfig = std::fs::read_to_string(&self.kubeconfig).unwrap();
            let ca_b64 = kubeconfig
                .lines()
                .find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))
                .expect("certificate-authority-data in the webhook kubeconfig");
            use base64::Engine;
            let ca = base64::engine::general_purpose::STANDARD
                .decode(ca_b64)
                .unwrap();
            std::fs::write(&path, ca).unwrap();
        }
        path
    }

    /// One HTTPS request; `(status, body)`.
    pub fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let idle = self.clients.lock().unwrap().pop();
        let mut client = idle.unwrap_or_else(|| Client::start(&self.ca_file()));
        let answer = client.send(self.port, method, path, body);
        self.clients.lock().unwrap().push(client);
        answer
    }

    /// Posts a TokenReview of `api_version` for `token`.
    pub fn review_as(&self, api_version: &str, token: &str) -> (u16, Value) {
        let body =
            json!({"apiVersion": api_version, "kind": "TokenReview", "spec": {"token": token}});
        let (status, text) = self.request("POST", "/authenticate", &body.to_string());
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {status} {text}")),
        )
    }

    /// Posts a TokenReview (v1) for `token`.
    pub fn review(&self, token: &str) -> (u16, Value) {
        self.review_as("authentication.k8s.io/v1", token)
    }

    /// The username `token` authenticates as, or `None` when it is denied.
    pub fn username(&self, token: &str) -> Option<String> {
        let (status, body) = self.review(token);
        (status == 200).then(|| {
            body["status"]["user"]["username"]
                .as_str()
                .unwrap()
                .to_string()
        })
    }

    pub fn metrics(&self) -> String {
        self.request("GET", "/metrics", "").1
    }

    /// The value of one metric sample line (`name{labels}`), if present.
    pub fn metric(&self, sample: &str) -> Option<f64> {
        self.metrics()
            .lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
    }

    /// Everything the server logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// What the server logged since the last call.
    pub fn new_logs(&self) -> String {
        let all = self.logs();
        let from = self.log_offset.swap(all.len(), Ordering::SeqCst);
        all.get(from..).unwrap_or_default().to_string()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the server and waits for it; its log stays readable.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "--- server log ({}) ---\n{}",
                self.log.display(),
                self.logs()
            );
        }
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

/// Polls `check` until it returns `Some`, for at most `bound`; returns the value and how
/// long it took. Bounds are generous (a loaded CI machine).
#[track_caller]
pub fn within<T>(
    bound: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> (T, Duration) {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return (v, start.elapsed());
        }
        assert!(start.elapsed() < bound, "not within {bound:?}: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A DynamicFile mapping Alice to `username`.
pub fn dynamic_file(username: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "Version": "1",
        "LastUpdatedDateTime": now.to_string(),
        "mapUsers": [{"userarn": super::ALICE_ARN, "username": username, "groups": ["devs"]}]
    })
    .to_string()
}

/// Replaces `path` with `text` in one rename, as the DynamicFile's writers do.
pub fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
