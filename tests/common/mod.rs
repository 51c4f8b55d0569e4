//! Shared harness for integration tests: the STS stand-in (a Python process from
//! `tests/support/sts_standin`) and helpers to run the real binary against it.
//!
//! The stand-in is reached the way users reach STS from a corporate network: through
//! `HTTPS_PROXY`, with TLS from a test CA that the client trusts via `AWS_CA_BUNDLE` or
//! `SSL_CERT_FILE`. It verifies SigV4 with its own hand-written verifier (checked against
//! botocore), so a token our signer got wrong is refused.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[cfg(feature = "server")]
pub mod control_plane;
pub mod moto;
#[cfg(feature = "server")]
pub mod webhook;

pub const ACCOUNT: &str = "111122223333";
pub const ALICE_AKID: &str = "AKIAALICEEXAMPLE0001";
pub const ALICE_SECRET: &str = "aliceSecretKey/EXAMPLE+abcdefghijklmnopqrs";
pub const ALICE_ARN: &str = "arn:aws:iam::111122223333:user/alice";
pub const BOB_AKID: &str = "AKIABOBEXAMPLE000002";
pub const BOB_SECRET: &str = "bobSecretKeyEXAMPLEabcdefghijklmnopqrstuv";
pub const BOB_ARN: &str = "arn:aws:iam::111122223333:user/bob";
pub const DEV_ROLE: &str = "arn:aws:iam::111122223333:role/dev";
pub const PATH_ROLE: &str = "arn:aws:iam::111122223333:role/teams/platform/admin";
pub const EXT_ROLE: &str = "arn:aws:iam::111122223333:role/external";
pub const EXTERNAL_ID: &str = "ext-1234";
pub const MFA_ROLE: &str = "arn:aws:iam::111122223333:role/mfa-admin";
pub const MFA_SERIAL: &str = "arn:aws:iam::111122223333:mfa/alice";
pub const MFA_CODE: &str = "123456";
pub const SSO_ROLE: &str = "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef";

/// The stand-in's configuration used by most tests.
pub fn default_config() -> Value {
    json!({
        "users": [
            {"access_key_id": ALICE_AKID, "secret_access_key": ALICE_SECRET, "arn": ALICE_ARN,
             "user_id": "AIDAALICEEXAMPLE00001", "account": ACCOUNT},
            {"access_key_id": BOB_AKID, "secret_access_key": BOB_SECRET,
             "arn": "arn:aws:iam::111122223333:user/bob", "user_id": "AIDABOBEXAMPLE0000002", "account": ACCOUNT}
        ],
        "roles": [
            {"arn": DEV_ROLE, "role_id": "AROADEVEXAMPLE000001", "trusted": ["*"]},
            {"arn": PATH_ROLE, "role_id": "AROAPATHEXAMPLE00001", "trusted": ["*"]},
            {"arn": EXT_ROLE, "role_id": "AROAEXTEXAMPLE000001", "trusted": [ALICE_ARN], "external_id": EXTERNAL_ID},
            {"arn": MFA_ROLE, "role_id": "AROAMFAEXAMPLE000001", "trusted": [ALICE_ARN], "mfa_serial": MFA_SERIAL, "mfa_code": MFA_CODE},
            {"arn": SSO_ROLE, "role_id": "AROASSOEXAMPLE000001", "trusted": ["*"]}
        ]
    })
}

/// Where `tests/support/setup-env.sh` put the tools.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("AIA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/aws-iam-authenticator-ci")
        })
}

fn tool(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join(default));
    assert!(
        path.exists(),
        "{} not found at {}: run `bash tests/support/setup-env.sh` (or `.ci/run`) first",
        env,
        path.display()
    );
    path
}

/// The venv's Python (botocore, awscli, the stand-in's dependencies).
pub fn python() -> PathBuf {
    tool("AIA_PYTHON", "venv/bin/python")
}

/// `aws` (awscli v1) from the venv.
pub fn aws_cli() -> PathBuf {
    tool("AIA_AWS", "venv/bin/aws")
}

/// kubectl 1.34.
pub fn kubectl() -> PathBuf {
    tool("AIA_KUBECTL", "bin/kubectl")
}

pub fn support_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support")
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_aws-iam-authenticator")
}

fn wait_for_json(path: &Path, child: &mut Child, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(v) = serde_json::from_str::<Value>(&text)
        {
            return v;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early with {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running STS stand-in.
pub struct StandIn {
    child: Child,
    pub dir: tempfile::TempDir,
    pub proxy_url: String,
    pub http_port: u16,
    pub ca_file: PathBuf,
}

impl StandIn {
    pub fn start() -> Self {
        Self::start_with(default_config())
    }

    pub fn start_with(config: Value) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("config.json");
        std::fs::write(&config_path, config.to_string()).expect("write config");
        let ready = dir.path().join("ready.json");
        let mut child = Command::new(python())
            .args(["-m", "sts_standin", "--config"])
            .arg(&config_path)
            .arg("--ready-file")
            .arg(&ready)
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .args(["--exit-with-parent", "--quiet"])
            .env("PYTHONPATH", support_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the STS stand-in");
        let info = wait_for_json(&ready, &mut child, "the STS stand-in");
        StandIn {
            proxy_url: format!("http://127.0.0.1:{}", info["proxy_port"]),
            http_port: info["http_port"].as_u64().expect("http_port") as u16,
            ca_file: PathBuf::from(info["ca_file"].as_str().expect("ca_file")),
            child,
            dir,
        }
    }

    fn admin(&self, method: &str, path: &str, body: &str) -> Value {
        let mut stream = TcpStream::connect(("127.0.0.1", self.http_port)).expect("connect admin");
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("send admin request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read admin response");
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or("");
        serde_json::from_str(body).unwrap_or(Value::Null)
    }

    /// Per-action call counts.
    pub fn count(&self, action: &str) -> u64 {
        self.admin("GET", "/_standin/calls", "")["counts"][action]
            .as_u64()
            .unwrap_or(0)
    }

    /// Every recorded request.
    pub fn requests(&self) -> Vec<Value> {
        self.admin("GET", "/_standin/calls", "")["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn reset(&self) {
        self.admin("POST", "/_standin/reset", "");
    }

    pub fn fault(&self, mode: &str, delay_seconds: f64) {
        self.admin(
            "POST",
            "/_standin/fault",
            &json!({"mode": mode, "delay_seconds": delay_seconds}).to_string(),
        );
    }

    /// Everything `/_standin/calls` reports (counts, requests, connects, ...).
    pub fn calls(&self) -> Value {
        self.admin("GET", "/_standin/calls", "")
    }

    /// Sets the stand-in's clock to `offset_seconds` from real time (its `Date` header,
    /// URL and session expiry follow it).
    pub fn clock_offset(&self, offset_seconds: i64) {
        self.admin(
            "POST",
            "/_standin/clock",
            &json!({ "offset_seconds": offset_seconds }).to_string(),
        );
    }

    /// A fault with every option of the admin API (`count`, `actions`, ...).
    pub fn admin_fault(&self, fault: Value) {
        self.admin("POST", "/_standin/fault", &fault.to_string());
    }

    /// A command for the binary with a clean environment that reaches this stand-in
    /// through the proxy and trusts its CA. `home` is an empty HOME.
    pub fn command(&self, home: &Path) -> Command {
        let mut cmd = Command::new(bin());
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("HTTPS_PROXY", &self.proxy_url)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("AWS_CA_BUNDLE", &self.ca_file)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-west-2")
            .stdin(Stdio::null());
        cmd
    }

    /// `verify -i CLUSTER -t TOKEN -o json` through this stand-in.
    pub fn verify(&self, home: &Path, cluster: &str, token: &str) -> Output {
        self.command(home)
            .args(["verify", "-o", "json", "-i", cluster, "-t", token])
            .output()
            .expect("run verify")
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `aws eks get-token`'s arguments for `cluster`. awscli only presigns: it never calls
/// STS, so it needs no proxy or CA, only keys and [`AWSCLI_ENV`].
pub fn aws_eks_get_token_args(cluster: &str) -> [&str; 6] {
    [
        "eks",
        "get-token",
        "--cluster-name",
        cluster,
        "--output",
        "json",
    ]
}

/// awscli's region, and regional STS endpoints (the host our tokens name too).
pub const AWSCLI_ENV: [(&str, &str); 2] = [
    ("AWS_DEFAULT_REGION", "us-west-2"),
    ("AWS_STS_REGIONAL_ENDPOINTS", "regional"),
];

/// Runs `aws eks get-token` (awscli from the venv) as Alice, with a clean environment
/// and `home` as HOME; returns the token from the ExecCredential it prints.
#[track_caller]
pub fn aws_eks_get_token(home: &Path, cluster: &str) -> String {
    let mut cmd = Command::new(aws_cli());
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .envs(AWSCLI_ENV)
        .args(aws_eks_get_token_args(cluster));
    let out = with_alice(&mut cmd)
        .output()
        .expect("run aws eks get-token");
    assert_success(&out);
    let cred: Value = serde_json::from_str(&stdout(&out)).expect("ExecCredential JSON");
    cred["status"]["token"]
        .as_str()
        .expect("status.token")
        .to_string()
}

/// Runs `cmd` with `input` on its stdin; its output.
pub fn output_with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Writes `home/config`: a profile `base` with Alice's static keys, then `profiles`.
pub fn aws_config_with_base(home: &Path, profiles: &str) -> PathBuf {
    let path = home.join("config");
    std::fs::write(
        &path,
        format!(
            "[profile base]\naws_access_key_id = {ALICE_AKID}\naws_secret_access_key = {ALICE_SECRET}\n\n{profiles}"
        ),
    )
    .unwrap();
    path
}

/// Alice's static keys.
pub fn with_alice(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", ALICE_AKID)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET)
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "command failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        stderr(out)
    );
}

/// Runs `token` and returns the token from the ExecCredential it prints.
#[track_caller]
pub fn mint(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run token");
    assert_success(&out);
    let cred: Value = serde_json::from_str(stdout(&out).trim()).expect("ExecCredential JSON");
    cred["status"]["token"]
        .as_str()
        .expect("status.token")
        .to_string()
}

/// Decodes a token to its presigned URL.
pub fn decode(token: &str) -> String {
    use base64::Engine;
    let b64 = token.strip_prefix("k8s-aws-v1.").expect("token prefix");
    String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b64)
            .expect("base64url"),
    )
    .expect("utf-8 URL")
}

/// Parses `verify -o json` output.
#[track_caller]
pub fn identity(out: &Output) -> Value {
    assert_success(out);
    serde_json::from_str(stdout(out).trim()).expect("verify JSON")
}

/// A free TCP port on 127.0.0.1 (chosen by the OS, released at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on 127.0.0.1:`port`, for at most `bound`;
/// panics with `log`'s text if `child` exits first.
#[track_caller]
pub fn wait_until_listening(port: u16, child: &mut Child, log: &Path, what: &str, bound: Duration) {
    let deadline = Instant::now() + bound;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited with {status}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening within {bound:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
