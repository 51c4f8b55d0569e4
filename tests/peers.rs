//! Real peers: `aws eks get-token` (awscli), kubectl 1.34 running us as an exec plugin,
//! and a person typing an MFA code into a terminal (a pty driven by pexpect).

mod common;

// Both are used only by the kubectl (Linux) and terminal (Unix) peers.
#[cfg(unix)]
use std::process::Command;

use common::*;
#[cfg(unix)]
use serde_json::Value;

#[test]
fn aws_eks_get_token_tokens_pass_our_verify() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = &aws_eks_get_token(home.path(), "peer-cluster");
    let id = identity(&sts.verify(home.path(), "peer-cluster", token));
    assert_eq!(id["ARN"], ALICE_ARN);
    // And bound to its cluster.
    assert!(
        !sts.verify(home.path(), "other-cluster", token)
            .status
            .success()
    );
}

#[test]
fn our_tokens_have_the_same_shape_as_aws_eks_get_token() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let ours = decode(&mint(
        with_alice(&mut sts.command(home.path())).args(["token", "-i", "c"]),
    ));
    let theirs = decode(&aws_eks_get_token(home.path(), "c"));
    let keys = |url: &str| -> Vec<String> {
        url.split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|kv| kv.split('=').next().unwrap().to_string())
            .collect()
    };
    let host = |url: &str| url.split('/').nth(2).unwrap().to_string();
    assert_eq!(host(&ours), host(&theirs));
    let mut ours_keys = keys(&ours);
    let mut theirs_keys = keys(&theirs);
    ours_keys.sort();
    theirs_keys.sort();
    assert_eq!(ours_keys, theirs_keys);
}

#[cfg(target_os = "linux")]
fn write_kubeconfig(
    dir: &std::path::Path,
    server_port: u64,
    ca: &str,
    api_version: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::path::PathBuf {
    let env_yaml: String = env
        .iter()
        .map(|(k, v)| format!("      - name: {k}\n        value: \"{v}\"\n"))
        .collect();
    let args_yaml: String = args.iter().map(|a| format!("      - \"{a}\"\n")).collect();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: https://127.0.0.1:{server_port}\n    certificate-authority: {ca}\n\
         users:\n- name: iam\n  user:\n    exec:\n      apiVersion: {api_version}\n      command: {bin}\n      interactiveMode: Never\n      args:\n{args_yaml}      env:\n{env_yaml}\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: iam\ncurrent-context: test\n",
        bin = bin()
    );
    let path = dir.join(format!(
        "kubeconfig-{}",
        api_version.rsplit('/').next().unwrap()
    ));
    std::fs::write(&path, text).unwrap();
    path
}

/// Linux only: kubectl 1.34 comes from a Linux x86-64 PyPI wheel (tests/support/setup-env.sh);
/// the macOS and Windows CI jobs have no pinned kubectl of that version.
#[cfg(target_os = "linux")]
#[test]
fn kubectl_runs_us_as_an_exec_plugin_v1_and_v1beta1() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let rec_dir = tempfile::tempdir().unwrap();
    let ready = rec_dir.path().join("ready.json");
    let mut recorder = Command::new(python())
        .args(["-m", "sts_standin.recorder", "--ready-file"])
        .arg(&ready)
        .arg("--cert-dir")
        .arg(rec_dir.path())
        .env("PYTHONPATH", support_dir())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let info: Value = loop {
        if let Some(v) = std::fs::read_to_string(&ready)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            break v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "recorder did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let port = info["port"].as_u64().unwrap();
    let ca = info["ca_file"].as_str().unwrap().to_string();
    let proxy = sts.proxy_url.clone();
    let bundle = sts.ca_file.display().to_string();
    let env = [
        ("AWS_ACCESS_KEY_ID", ALICE_AKID),
        ("AWS_SECRET_ACCESS_KEY", ALICE_SECRET),
        ("AWS_REGION", "us-west-2"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("HTTPS_PROXY", proxy.as_str()),
        ("NO_PROXY", "127.0.0.1,localhost"),
        ("AWS_CA_BUNDLE", bundle.as_str()),
    ];
    for (i, api_version) in [
        "client.authentication.k8s.io/v1",
        "client.authentication.k8s.io/v1beta1",
    ]
    .iter()
    .enumerate()
    {
        let kubeconfig = write_kubeconfig(
            home.path(),
            port,
            &ca,
            api_version,
            &env,
            &["token", "-i", "kube-cluster"],
        );
        let out = Command::new(kubectl())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["get", "--raw", "/version"])
            .output()
            .unwrap();
        assert_success(&out);
        let tokens = std::fs::read_to_string(rec_dir.path().join("tokens.txt")).unwrap();
        let recorded: Vec<&str> = tokens.lines().collect();
        assert_eq!(recorded.len(), i + 1, "one bearer token per kubectl call");
        let token = recorded[i];
        assert!(token.starts_with("k8s-aws-v1."));
        let id = identity(&sts.verify(home.path(), "kube-cluster", token));
        assert_eq!(id["ARN"], ALICE_ARN);
    }
    let _ = recorder.kill();
    let _ = recorder.wait();
}

/// Unix only: pexpect drives a pty, which Windows does not have.
#[cfg(unix)]
#[test]
fn mfa_profile_prompts_on_a_terminal_and_assumes_the_role() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let cfg = aws_config_with_base(
        home.path(),
        &format!(
            "[profile mfa]\nrole_arn = {MFA_ROLE}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\nrole_session_name = alice-mfa\n"
        ),
    );
    // Drive the binary through a pseudo-terminal, answering the prompt like a person.
    let script = r#"
import json, os, sys, pexpect
env = json.loads(sys.argv[1])
child = pexpect.spawn(sys.argv[2], ["token", "-i", "c"], env=env, encoding="utf-8", timeout=30)
child.expect_exact("Assume Role MFA token code: ")
child.sendline(sys.argv[3])
child.expect(pexpect.EOF)
child.close()
print(json.dumps({"status": child.exitstatus, "output": child.before}))
"#;
    let mut env = serde_json::Map::new();
    for (k, v) in [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", home.path().display().to_string()),
        ("HTTPS_PROXY", sts.proxy_url.clone()),
        ("NO_PROXY", "127.0.0.1,localhost".into()),
        ("AWS_CA_BUNDLE", sts.ca_file.display().to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_REGION", "us-west-2".into()),
        ("AWS_CONFIG_FILE", cfg.display().to_string()),
        ("AWS_PROFILE", "mfa".into()),
    ] {
        env.insert(k.into(), Value::String(v));
    }
    let out = Command::new(python())
        .args([
            "-c",
            script,
            &Value::Object(env.clone()).to_string(),
            bin(),
            MFA_CODE,
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let result: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(result["status"], 0, "{result}");
    let output = result["output"].as_str().unwrap();
    let json_start = output.find('{').unwrap();
    let cred: Value = serde_json::from_str(output[json_start..].trim()).unwrap();
    let token = cred["status"]["token"].as_str().unwrap();
    let id = identity(&sts.verify(home.path(), "c", token));
    assert_eq!(
        id["ARN"],
        "arn:aws:sts::111122223333:assumed-role/mfa-admin/alice-mfa"
    );

    // Without a terminal (kubectl's interactiveMode: Never) it fails with the fix, and
    // never blocks on stdin.
    let mut cmd = sts.command(home.path());
    for (k, v) in &env {
        cmd.env(k, v.as_str().unwrap());
    }
    let out = cmd
        .env("KUBERNETES_EXEC_INFO", r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#)
        .args(["token", "-i", "c"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("needs an MFA code") && err.contains("interactiveMode"),
        "{err}"
    );
}
