//! etcd + kube-apiserver 1.34 from `tests/e2e/control-plane.sh`, for the suites that need
//! the real API server (`e2e`, `networks`). Torn down on drop, and by the script itself if
//! the test process dies.
#![allow(dead_code)] // each suite uses part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::webhook::Webhook;
use super::{StandIn, assert_success, bin, free_port, kubectl, output_with_stdin};

/// The script itself (`up`, `down`, `restart-apiserver`, `build`).
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/control-plane.sh")
}

/// A running control plane in `dir`, with the variables its `env` file exports
/// (`ADMIN_KUBECONFIG`, `APISERVER_PORT`, `APISERVER_CA`, `ADMIN_TOKEN`, ...).
pub struct ControlPlane {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl ControlPlane {
    /// Starts one that authenticates through the webhook `webhook_kubeconfig` names.
    /// `tls_layout` is `APISERVER_TLS_LAYOUT` (`ca` for a CA and the leaf it signed,
    /// `self-signed` for one `CA:TRUE` certificate); `None` is the script's default.
    pub fn up(dir: &Path, webhook_kubeconfig: &Path, tls_layout: Option<&str>) -> Self {
        let mut command = Command::new("bash");
        command
            .arg(script())
            .arg("up")
            .arg(dir)
            .env("WEBHOOK_KUBECONFIG", webhook_kubeconfig)
            // A killed test run must not leave etcd and kube-apiserver behind.
            .env("CONTROL_PLANE_PARENT_PID", std::process::id().to_string())
            .env("NO_PROXY", "127.0.0.1,localhost");
        if let Some(layout) = tls_layout {
            command.env("APISERVER_TLS_LAYOUT", layout);
        }
        let status = command.status().expect("run control-plane.sh");
        let cp = ControlPlane {
            dir: dir.to_path_buf(),
            env: read_env(&dir.join("env")),
        };
        assert!(
            status.success(),
            "control-plane.sh up ({}) failed",
            tls_layout.unwrap_or("default layout")
        );
        cp
    }

    /// A variable from the control plane's `env` file.
    pub fn var(&self, name: &str) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} missing from the control plane's env file"))
    }

    /// kubectl as the cluster admin, with `input` on its stdin.
    pub fn admin(&self, args: &[&str], input: &str) -> Output {
        output_with_stdin(
            Command::new(kubectl())
                .env("NO_PROXY", "127.0.0.1,localhost")
                .arg("--kubeconfig")
                .arg(self.var("ADMIN_KUBECONFIG"))
                .args(args),
            input,
        )
    }

    /// A kubeconfig at `https://{host}:PORT` (the API server, with the host spelt as
    /// given) for the admin token, trusting the control plane's `certificate-authority`.
    pub fn admin_kubeconfig_at(&self, dir: &Path, host: &str) -> PathBuf {
        let server = format!("https://{host}:{}", self.var("APISERVER_PORT"));
        let path = dir.join(format!("admin-at-{host}.kubeconfig"));
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: cp\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\n\
                 users:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n- name: cp\n  context:\n    cluster: cp\n    user: admin\ncurrent-context: cp\n",
                ca = self.var("APISERVER_CA"),
                token = self.var("ADMIN_TOKEN"),
            ),
        )
        .unwrap();
        path
    }

    /// `kubectl apply` of `yaml` as the cluster admin; the test fails if it does.
    pub fn admin_apply(&self, yaml: &str) {
        assert_success(&self.admin(&["apply", "-f", "-"], yaml));
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("down")
            .arg(&self.dir)
            .status();
    }
}

/// `export K='v'` / `K=v` lines of the script's `env` file.
fn read_env(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export ").or(Some(l.trim())))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                v.trim_matches(|c| c == '"' || c == '\'').to_string(),
            )
        })
        .collect()
}

/// The files of one webhook, from our own `init`: a config that sets the cluster ID, the
/// port, the state dir and the kubeconfig path itself (`more` is appended under
/// `server:`), the certificate and the webhook kubeconfig the API server reads.
pub struct WebhookFiles {
    pub config: PathBuf,
    pub port: u16,
    pub state: PathBuf,
    pub kubeconfig: PathBuf,
}

impl WebhookFiles {
    pub fn init(work: &Path, cluster: &str, more: &str) -> Self {
        let port = free_port();
        let state = work.join("state");
        let kubeconfig = work.join("webhook.kubeconfig");
        let config = work.join("authenticator.yaml");
        std::fs::write(
            &config,
            format!(
                "clusterID: {cluster}\nserver:\n  port: {port}\n  stateDir: {state}\n  generateKubeconfig: {kc}\n  hostname: 127.0.0.1\n{more}",
                state = state.display(),
                kc = kubeconfig.display()
            ),
        )
        .unwrap();
        let out = Command::new(bin())
            .arg("-c")
            .arg(&config)
            .args(["init", "--feature-gates=ConfiguredInitDirectories=true"])
            .output()
            .unwrap();
        assert_success(&out);
        WebhookFiles {
            config,
            port,
            state,
            kubeconfig,
        }
    }

    /// Starts the webhook from these files, with `args` (and `env`).
    pub fn start(&self, sts: &StandIn, args: &[&str]) -> Webhook {
        self.builder(sts).args(args).start()
    }

    /// A webhook builder for these files, to add arguments or environment.
    pub fn builder<'a>(&self, sts: &'a StandIn) -> super::webhook::Builder<'a> {
        Webhook::builder(sts).config_file(&self.config, self.port, &self.kubeconfig)
    }
}
