//! `kubeconfig add` and `kubeconfig migrate` against real peers:
//!
//! * EKS is moto's (`python -m moto.server`): clusters are created with awscli's
//!   `aws eks create-cluster`, and `add` calls its REST-JSON DescribeCluster through
//!   `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_EKS`, as the SDKs are pointed at it.
//! * The kubeconfig `migrate` rewrites is written by awscli v1's own
//!   `aws eks update-kubeconfig` (against the same moto).
//! * End to end (server builds): after `add`, kubectl 1.34 runs `auth whoami` through the
//!   exec block `add` wrote, against the real kube-apiserver + our webhook + the STS
//!   stand-in. moto cannot be told the endpoint of a cluster, so only the cluster's
//!   `server` and `certificate-authority-data` are then rewritten to the harness's API
//!   server; the user, exec block and context are exactly what `add` wrote.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::moto::Moto;
use common::*;
use serde_json::Value;

const REGION: &str = "us-west-2";
const ROLE: &str = "arn:aws:iam::123456789012:role/k8s-admin";

/// The binary as `add` writes it: canonical absolute path.
fn this_binary() -> String {
    std::fs::canonicalize(bin())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A clean environment: fake keys, the region, `endpoint_var` pointing at moto.
fn moto_env<'c>(cmd: &'c mut Command, moto: &Moto, home: &Path) -> &'c mut Command {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIDMOTOKUBECONFIG01")
        .env("AWS_SECRET_ACCESS_KEY", "moto-secret")
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_ENDPOINT_URL", moto.url())
        .env("NO_PROXY", "127.0.0.1,localhost")
}

/// `aws eks create-cluster` in moto; returns awscli's DescribeCluster answer.
fn create_cluster(moto: &Moto, home: &Path, name: &str) -> Value {
    let out = moto_env(&mut Command::new(aws_cli()), moto, home)
        .args([
            "eks",
            "create-cluster",
            "--name",
            name,
            "--role-arn",
            "arn:aws:iam::123456789012:role/eks-cluster",
            "--resources-vpc-config",
            "subnetIds=subnet-0123456789abcdef0",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let out = moto_env(&mut Command::new(aws_cli()), moto, home)
        .args(["eks", "describe-cluster", "--name", name])
        .output()
        .unwrap();
    assert_success(&out);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["cluster"].clone()
}

fn ours(moto: &Moto, home: &Path, args: &[&str]) -> Output {
    moto_env(&mut Command::new(bin()), moto, home)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn yaml(path: &Path) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn named<'v>(doc: &'v Value, list: &str, name: &str) -> &'v Value {
    doc[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {doc}"))
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {list} entry {name} in {doc}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[track_caller]
fn assert_one_line_error(out: &Output, needles: &[&str]) {
    assert!(!out.status.success(), "expected failure: {}", stdout(out));
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
}

const EXISTING: &str = "\
# my clusters
apiVersion: v1
kind: Config
preferences:
  colors: true
clusters:
- name: kind-local
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: kind-local
  user:
    token: static-token
contexts:
- name: kind-local
  context:
    cluster: kind-local
    user: kind-local
    namespace: work
current-context: kind-local
x-unrelated:
  keep: [1, 2]
";

#[test]
fn add_writes_cluster_user_context_and_merges() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let cluster = create_cluster(&moto, home.path(), "dev");
    let arn = cluster["arn"].as_str().unwrap().to_string();
    assert!(arn.ends_with(":cluster/dev"), "{arn}");

    let kc = home.path().join("kc");
    std::fs::write(&kc, EXISTING).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&kc, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let out = ours(
        &moto,
        home.path(),
        &[
            "kubeconfig",
            "add",
            "--cluster",
            "dev",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
    );
    assert_success(&out);
    assert_eq!(
        stdout(&out).trim(),
        format!("Added new context {arn} to {}", kc.display())
    );
    let text = std::fs::read_to_string(&kc).unwrap();
    assert!(text.starts_with("# my clusters\n"), "{text}");
    let doc = yaml(&kc);

    // The cluster: endpoint and CA from DescribeCluster, and the exec extension.
    let c = &named(&doc, "clusters", &arn)["cluster"];
    assert_eq!(c["server"], cluster["endpoint"]);
    assert_eq!(
        c["certificate-authority-data"],
        cluster["certificateAuthority"]["data"]
    );
    let ext = &c["extensions"][0];
    assert_eq!(ext["name"], "client.authentication.k8s.io/exec");
    assert_eq!(ext["extension"]["clusterID"], "dev");
    assert_eq!(ext["extension"]["region"], REGION);
    // The user: this binary, by absolute path.
    let exec = &named(&doc, "users", &arn)["user"]["exec"];
    assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert_eq!(exec["command"], this_binary().as_str());
    assert_eq!(
        strings(&exec["args"]),
        ["token", "-i", "dev", "--region", REGION]
    );
    assert_eq!(exec["interactiveMode"], "IfAvailable");
    assert_eq!(exec["provideClusterInfo"], true);
    assert!(exec.get("env").is_none(), "{exec}");
    // The context, and current-context.
    let ctx = &named(&doc, "contexts", &arn)["context"];
    assert_eq!(
        (ctx["cluster"].as_str(), ctx["user"].as_str()),
        (Some(&*arn), Some(&*arn))
    );
    assert_eq!(doc["current-context"], arn.as_str());
    // Everything that was there stays.
    assert_eq!(
        named(&doc, "clusters", "kind-local")["cluster"]["insecure-skip-tls-verify"],
        true
    );
    assert_eq!(
        named(&doc, "users", "kind-local")["user"]["token"],
        "static-token"
    );
    assert_eq!(
        named(&doc, "contexts", "kind-local")["context"]["namespace"],
        "work"
    );
    assert_eq!(doc["preferences"]["colors"], true);
    assert_eq!(doc["x-unrelated"]["keep"], serde_json::json!([1, 2]));
    assert_eq!(doc["clusters"].as_array().unwrap().len(), 2);
    // The file keeps its mode (a new one is 0600: see the next test).
    #[cfg(unix)]
    assert_eq!(mode(&kc), 0o640);

    // Again, with an alias, a role and a profile: the entries are updated in place.
    let out = ours(
        &moto,
        home.path(),
        &[
            "kubeconfig",
            "add",
            "--cluster",
            "dev",
            "--alias",
            "dev",
            "--role",
            ROLE,
            "--profile",
            "team",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
    );
    assert_success(&out);
    assert_eq!(
        stdout(&out).trim(),
        format!("Updated context dev in {}", kc.display())
    );
    let doc = yaml(&kc);
    assert_eq!(doc["clusters"].as_array().unwrap().len(), 2);
    assert_eq!(doc["users"].as_array().unwrap().len(), 2);
    assert_eq!(doc["current-context"], "dev");
    assert_eq!(
        named(&doc, "contexts", "dev")["context"]["user"],
        arn.as_str()
    );
    let exec = &named(&doc, "users", &arn)["user"]["exec"];
    assert_eq!(
        strings(&exec["args"]),
        ["token", "-i", "dev", "--region", REGION, "-r", ROLE]
    );
    assert_eq!(exec["env"][0]["name"], "AWS_PROFILE");
    assert_eq!(exec["env"][0]["value"], "team");
    // --role was assumed for DescribeCluster: moto's STS answered an AssumeRole.
    assert!(moto.log().contains("POST / HTTP/1.1"), "{}", moto.log());

    // --dry-run prints the result and writes nothing.
    let before = std::fs::read(&kc).unwrap();
    let out = ours(
        &moto,
        home.path(),
        &[
            "kubeconfig",
            "add",
            "--cluster",
            "dev",
            "--alias",
            "dry",
            "--dry-run",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
    );
    assert_success(&out);
    let printed: Value = serde_saphyr::from_str(&stdout(&out)).unwrap();
    assert_eq!(printed["current-context"], "dry");
    assert_eq!(std::fs::read(&kc).unwrap(), before);
}

#[test]
fn add_picks_the_first_kubeconfig_entry_and_creates_it_privately() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    create_cluster(&moto, home.path(), "dev");
    let first = home.path().join("new-dir").join("first");
    let second = home.path().join("second");
    std::fs::write(&second, EXISTING).unwrap();
    let list = std::env::join_paths([&first, &second]).unwrap();
    // AWS_ENDPOINT_URL_EKS wins over AWS_ENDPOINT_URL (here a closed port).
    let out = moto_env(&mut Command::new(bin()), &moto, home.path())
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .env("AWS_ENDPOINT_URL_EKS", moto.url())
        .env("KUBECONFIG", &list)
        .args(["kubeconfig", "add", "--cluster", "dev"])
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(std::fs::read_to_string(&second).unwrap(), EXISTING);
    let doc = yaml(&first);
    assert_eq!(doc["kind"], "Config");
    assert_eq!(doc["clusters"].as_array().unwrap().len(), 1);
    #[cfg(unix)]
    {
        assert_eq!(mode(&first), 0o600);
        assert_eq!(mode(first.parent().unwrap()), 0o700);
    }
    // kubectl reads it.
    let out = Command::new(kubectl())
        .env("KUBECONFIG", &first)
        .args(["config", "current-context"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        stdout(&out).trim().ends_with(":cluster/dev"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn add_errors_are_one_line() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let kc = home.path().join("kc");
    let kc_arg = kc.to_str().unwrap();

    let out = ours(
        &moto,
        home.path(),
        &[
            "kubeconfig",
            "add",
            "--cluster",
            "nope",
            "--kubeconfig",
            kc_arg,
        ],
    );
    assert_one_line_error(&out, &["\"nope\"", REGION, "--region"]);
    assert!(!kc.exists());

    // No credentials anywhere (no keys, no profiles, no IMDS).
    let out = Command::new(bin())
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", moto.url())
        .args([
            "kubeconfig",
            "add",
            "--cluster",
            "dev",
            "--kubeconfig",
            kc_arg,
        ])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["credentials"]);

    // A broken kubeconfig is named, with its line, before any call.
    std::fs::write(&kc, "apiVersion: v1\nclusters:\n- name: a\n  cluster: [\n").unwrap();
    let out = ours(
        &moto,
        home.path(),
        &[
            "kubeconfig",
            "add",
            "--cluster",
            "dev",
            "--kubeconfig",
            kc_arg,
        ],
    );
    assert_one_line_error(&out, &[kc_arg, "line "]);
    std::fs::write(&kc, "apiVersion: v1\nusers: {}\n").unwrap();
    let out = ours(
        &moto,
        home.path(),
        &[
            "kubeconfig",
            "add",
            "--cluster",
            "dev",
            "--kubeconfig",
            kc_arg,
        ],
    );
    assert_one_line_error(&out, &[kc_arg, "line 2", "`users` is not a list"]);
}

/// Users of every kind next to the ones awscli writes: upstream's binary, awscli with
/// its global `--region` and an Outposts `--cluster-id`, and another plugin.
const MORE_USERS: &str = "\
- name: upstream
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: /usr/local/bin/aws-iam-authenticator
      args: [token, -i, legacy, -r, arn:aws:iam::123456789012:role/legacy, --forward-session-name]
      env:
      - name: AWS_STS_REGIONAL_ENDPOINTS
        value: regional
- name: outposts
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, us-west-2, eks, get-token, --cluster-id, 0123abcd-4567, --output, json]
      interactiveMode: Never
- name: other-plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token]
- name: endpoint
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, x, --endpoint-url, http://example.invalid]
";

/// `aws eks update-kubeconfig` (awscli v1) output for cluster `dev` with a role and a
/// profile, plus [`MORE_USERS`]; returns the file.
fn update_kubeconfig_output(moto: &Moto, home: &Path) -> PathBuf {
    create_cluster(moto, home, "dev");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        "[profile team]\nregion = us-west-2\n",
    )
    .unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[team]\naws_access_key_id = AKIDMOTOTEAM00000001\naws_secret_access_key = s\n",
    )
    .unwrap();
    let kc = home.join("config");
    let out = moto_env(&mut Command::new(aws_cli()), moto, home)
        .args([
            "eks",
            "update-kubeconfig",
            "--name",
            "dev",
            "--role-arn",
            ROLE,
            "--profile",
            "team",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let mut text = std::fs::read_to_string(&kc).unwrap();
    assert!(text.contains("get-token"), "{text}");
    // awscli writes `users:` last; append ours to that list.
    assert!(text.trim_end().ends_with("value: team"), "{text}");
    text.push_str(MORE_USERS);
    std::fs::write(&kc, &text).unwrap();
    kc
}

#[test]
fn migrate_rewrites_awscli_and_upstream_users() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let kc = update_kubeconfig_output(&moto, home.path());
    let kc_arg = kc.to_str().unwrap();
    let original = std::fs::read(&kc).unwrap();
    let before = yaml(&kc);
    let arn = before["current-context"].as_str().unwrap().to_string();
    let aws_exec = &named(&before, "users", &arn)["user"]["exec"];
    assert_eq!(aws_exec["command"], "aws");

    // No terminal and no --yes: refused, nothing written.
    let out = ours(
        &moto,
        home.path(),
        &["kubeconfig", "migrate", "--kubeconfig", kc_arg],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&kc).unwrap(), original);

    // --dry-run shows the diff only.
    let out = ours(
        &moto,
        home.path(),
        &["kubeconfig", "migrate", "--dry-run", "--kubeconfig", kc_arg],
    );
    assert_success(&out);
    assert!(
        stdout(&out).starts_with(&format!("--- {kc_arg}\n+++ {kc_arg} (migrated)\n")),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(&kc).unwrap(), original);

    let out = ours(
        &moto,
        home.path(),
        &["kubeconfig", "migrate", "--yes", "--kubeconfig", kc_arg],
    );
    assert_success(&out);
    let printed = stdout(&out);
    eprintln!("{printed}");
    let me = this_binary();
    assert!(
        printed.contains(&format!("+      command: {me}")),
        "{printed}"
    );
    assert!(printed.contains("-      command: aws"), "{printed}");
    // The endpoint user cannot be translated and is reported.
    assert!(
        stderr(&out).contains("\"endpoint\"") && stderr(&out).contains("--endpoint-url"),
        "{}",
        stderr(&out)
    );
    // The backup is the original, and the undo line names it.
    let backup_line = printed.lines().find(|l| l.starts_with("backup: ")).unwrap();
    let backup = PathBuf::from(backup_line.trim_start_matches("backup: "));
    assert_eq!(backup.parent(), kc.parent());
    assert!(
        backup
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("config.bak-"),
        "{backup:?}"
    );
    assert_eq!(std::fs::read(&backup).unwrap(), original);
    assert!(
        printed.contains(&format!("to undo: mv {} {kc_arg}", backup.display())),
        "{printed}"
    );

    let after = yaml(&kc);
    // awscli's user: same cluster, region, role; env (AWS_PROFILE) and apiVersion kept.
    let exec = &named(&after, "users", &arn)["user"]["exec"];
    assert_eq!(exec["command"], me.as_str());
    assert_eq!(
        strings(&exec["args"]),
        ["token", "-i", "dev", "--region", REGION, "-r", ROLE]
    );
    assert_eq!(exec["env"], aws_exec["env"]);
    assert_eq!(exec["env"][0]["value"], "team");
    assert_eq!(exec["apiVersion"], aws_exec["apiVersion"]);
    // Upstream's: same arguments, env kept.
    let up = &named(&after, "users", "upstream")["user"]["exec"];
    assert_eq!(up["command"], me.as_str());
    assert_eq!(
        strings(&up["args"]),
        [
            "token",
            "-i",
            "legacy",
            "-r",
            "arn:aws:iam::123456789012:role/legacy",
            "--forward-session-name"
        ]
    );
    assert_eq!(up["env"][0]["name"], "AWS_STS_REGIONAL_ENDPOINTS");
    // Outposts: the cluster ID is the token's cluster ID; interactiveMode kept.
    let op = &named(&after, "users", "outposts")["user"]["exec"];
    assert_eq!(
        strings(&op["args"]),
        ["token", "-i", "0123abcd-4567", "--region", REGION]
    );
    assert_eq!(op["interactiveMode"], "Never");
    // Others untouched; clusters and contexts too.
    assert_eq!(
        named(&after, "users", "other-plugin"),
        named(&before, "users", "other-plugin")
    );
    assert_eq!(
        named(&after, "users", "endpoint"),
        named(&before, "users", "endpoint")
    );
    assert_eq!(after["clusters"], before["clusters"]);
    assert_eq!(after["contexts"], before["contexts"]);
    assert_eq!(after["current-context"], before["current-context"]);

    // The migrated command works: it mints a token for the same cluster.
    let out = ours(
        &moto,
        home.path(),
        &["token", "-i", "dev", "--region", REGION, "--token-only"],
    );
    assert_success(&out);
    assert!(stdout(&out).starts_with("k8s-aws-v1."), "{}", stdout(&out));

    // Idempotent.
    let migrated = std::fs::read(&kc).unwrap();
    let backups = || {
        std::fs::read_dir(home.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("config.bak-")
            })
            .count()
    };
    assert_eq!(backups(), 1);
    let out = ours(
        &moto,
        home.path(),
        &["kubeconfig", "migrate", "--yes", "--kubeconfig", kc_arg],
    );
    assert_success(&out);
    assert!(
        stdout(&out).contains("nothing to migrate"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(&kc).unwrap(), migrated);
    assert_eq!(backups(), 1);
}

/// y/N on a terminal (a pty through pexpect): `n` keeps the file, `y` rewrites it.
#[test]
fn migrate_asks_on_a_terminal() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let kc = update_kubeconfig_output(&moto, home.path());
    let original = std::fs::read(&kc).unwrap();
    let script = r#"
import pexpect, sys
bin, kc, answer = sys.argv[1:4]
child = pexpect.spawn(bin, ["kubeconfig", "migrate", "--kubeconfig", kc], encoding="utf-8", timeout=60)
child.expect(r"\[y/N\] ")
child.sendline(answer)
child.expect(pexpect.EOF)
child.close()
print(child.before)
sys.exit(child.exitstatus)
"#;
    let run = |answer: &str| {
        let mut cmd = Command::new(python());
        moto_env(&mut cmd, &moto, home.path())
            .args(["-c", script, bin(), kc.to_str().unwrap(), answer])
            .output()
            .unwrap()
    };
    let out = run("n");
    assert_success(&out);
    assert!(stdout(&out).contains("not changed"), "{}", stdout(&out));
    assert_eq!(std::fs::read(&kc).unwrap(), original);
    let out = run("y");
    assert_success(&out);
    assert!(stdout(&out).contains("to undo: mv"), "{}", stdout(&out));
    assert_ne!(std::fs::read(&kc).unwrap(), original);
}

/// kubectl → the exec block `kubeconfig add` wrote → our `token` → kube-apiserver →
/// our webhook → the STS stand-in.
#[cfg(feature = "server")]
#[test]
fn added_kubeconfig_works_with_kubectl() {
    use base64::Engine as _;
    use common::control_plane::{ControlPlane, WebhookFiles};
    const CLUSTER: &str = "kcfg-e2e";

    let moto = Moto::start();
    let sts = StandIn::start();
    let work = tempfile::tempdir().unwrap();
    let files = WebhookFiles::init(
        work.path(),
        CLUSTER,
        &format!(
            "\x20 mapUsers:\n  - userarn: {ALICE_ARN}\n    username: alice\n    groups:\n    - devs\n"
        ),
    );
    let _webhook = files.start(&sts, &[]);
    let cp = ControlPlane::up(&work.path().join("cp"), &files.kubeconfig, None);
    let home = work.path();
    create_cluster(&moto, home, CLUSTER);

    // Alice's environment: STS through the stand-in's proxy, EKS at moto.
    let alice = |cmd: &mut Command| {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("AWS_ACCESS_KEY_ID", ALICE_AKID)
            .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HTTPS_PROXY", &sts.proxy_url)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("AWS_CA_BUNDLE", &sts.ca_file);
    };
    let kc = home.join("kube").join("config");
    let mut cmd = Command::new(bin());
    alice(&mut cmd);
    let out = cmd
        .env("AWS_ENDPOINT_URL_EKS", moto.url())
        .args([
            "kubeconfig",
            "add",
            "--cluster",
            CLUSTER,
            "--region",
            REGION,
            "--alias",
            "e2e",
        ])
        .arg("--kubeconfig")
        .arg(&kc)
        .output()
        .unwrap();
    assert_success(&out);

    // Point the cluster at the harness's API server (moto's endpoint is fictional).
    let mut doc = yaml(&kc);
    let ca = std::fs::read(cp.var("APISERVER_CA")).unwrap();
    let c = &mut doc["clusters"][0]["cluster"];
    c["server"] = Value::String(cp.var("APISERVER_URL"));
    c["certificate-authority-data"] =
        Value::String(base64::engine::general_purpose::STANDARD.encode(ca));
    std::fs::write(&kc, serde_json::to_string(&doc).unwrap()).unwrap();

    let mut cmd = Command::new(kubectl());
    alice(&mut cmd);
    let out = cmd
        .arg("--kubeconfig")
        .arg(&kc)
        .args(["auth", "whoami", "-o", "json"])
        .output()
        .unwrap();
    assert_success(&out);
    let me: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(me["status"]["userInfo"]["username"], "alice", "{me}");
    assert_eq!(me["status"]["userInfo"]["extra"]["arn"][0], ALICE_ARN);
}
