//! The whole system, end to end: kubectl 1.34 → our `token` exec plugin → a real
//! kube-apiserver 1.34 (+ etcd, built from Go modules by `tests/e2e/control-plane.sh`) →
//! our webhook (wired by our own `init`) → STS (the stand-in, through `HTTPS_PROXY`) → RBAC.
//!
//! One control plane serves every scenario, in order, inside a single test: starting it
//! and waiting for RBAC to settle costs seconds, and the scenarios do not interfere.
#![cfg(feature = "server")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::control_plane::{self, ControlPlane, WebhookFiles};
use common::*;
use serde_json::Value;

const CLUSTER: &str = "e2e-cluster";

/// A kubeconfig for a user whose exec plugin is `command args…`.
fn user_kubeconfig(
    dir: &Path,
    name: &str,
    cp: &ControlPlane,
    api_version: &str,
    command: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> PathBuf {
    let args_yaml: String = args.iter().map(|a| format!("      - \"{a}\"\n")).collect();
    let env_yaml: String = env
        .iter()
        .map(|(k, v)| format!("      - name: {k}\n        value: \"{v}\"\n"))
        .collect();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\n\
         users:\n- name: {name}\n  user:\n    exec:\n      apiVersion: {api_version}\n      command: {command}\n      interactiveMode: Never\n      args:\n{args_yaml}      env:\n{env_yaml}\
         contexts:\n- name: e2e\n  context:\n    cluster: e2e\n    user: {name}\ncurrent-context: e2e\n",
        server = cp.var("APISERVER_URL"),
        ca = cp.var("APISERVER_CA"),
    );
    let path = dir.join(format!("{name}.kubeconfig"));
    std::fs::write(&path, text).unwrap();
    path
}

fn kubectl_as(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new(kubectl())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", kubeconfig.parent().unwrap())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .unwrap()
}

#[track_caller]
fn whoami(kubeconfig: &Path) -> Value {
    let out = kubectl_as(kubeconfig, &["auth", "whoami", "-o", "json"]);
    assert_success(&out);
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[track_caller]
fn assert_unauthorized(out: &Output) {
    assert!(!out.status.success(), "expected a refusal: {}", stdout(out));
    let err = stderr(out);
    assert!(
        err.contains("Unauthorized")
            || err.contains("the server has asked for the client to provide credentials"),
        "{err}"
    );
}

/// What our `token` and awscli need to sign as `akid` against the stand-in.
fn client_env(sts: &StandIn, akid: &str, secret: &str) -> Vec<(&'static str, String)> {
    let awscli = AWSCLI_ENV.map(|(k, v)| (k, v.to_string()));
    [
        ("AWS_ACCESS_KEY_ID", akid.to_string()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
        ("AWS_REGION", "us-west-2".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("HTTPS_PROXY", sts.proxy_url.clone()),
        ("NO_PROXY", "127.0.0.1,localhost".to_string()),
        ("AWS_CA_BUNDLE", sts.ca_file.display().to_string()),
    ]
    .into_iter()
    .chain(awscli)
    .collect()
}

#[test]
fn end_to_end_scenarios() {
    let sts = StandIn::start();
    let work = tempfile::tempdir().unwrap();
    let files = WebhookFiles::init(
        work.path(),
        CLUSTER,
        &format!(
            "\x20 mapUsers:\n  - userarn: {ALICE_ARN}\n    username: alice\n    groups:\n    - devs\n\
             \x20 mapRoles:\n  - rolearn: {DEV_ROLE}\n    username: \"dev:{{{{SessionName}}}}\"\n    groups:\n    - devs\n"
        ),
    );
    let state = &files.state;
    let cert_before = std::fs::read_to_string(state.join("cert.pem")).unwrap();

    let mut webhook = files.start(&sts, &[]);
    let cp = ControlPlane::up(&work.path().join("cp"), &files.kubeconfig, None);
    cp.admin_apply(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: pod-reader\n  namespace: default\n\
         rules:\n- apiGroups: [\"\"]\n  resources: [\"pods\"]\n  verbs: [\"get\", \"list\"]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: devs-read-pods\n  namespace: default\n\
         subjects:\n- kind: Group\n  name: devs\n  apiGroup: rbac.authorization.k8s.io\n\
         roleRef:\n  kind: Role\n  name: pod-reader\n  apiGroup: rbac.authorization.k8s.io\n",
    );

    let alice_env = client_env(&sts, ALICE_AKID, ALICE_SECRET);
    let token_args = ["token", "-i", CLUSTER];

    // Scenarios 1 and 5: a mapped user, through both ExecCredential versions.
    for api_version in [
        "client.authentication.k8s.io/v1",
        "client.authentication.k8s.io/v1beta1",
    ] {
        let kc = user_kubeconfig(
            work.path(),
            "alice",
            &cp,
            api_version,
            bin(),
            &token_args,
            &alice_env,
        );
        let me = whoami(&kc);
        let info = &me["status"]["userInfo"];
        assert_eq!(info["username"], "alice", "{me}");
        let groups: Vec<&str> = info["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        assert!(
            groups.contains(&"devs") && groups.contains(&"system:authenticated"),
            "{groups:?}"
        );
        assert_eq!(info["extra"]["arn"][0], ALICE_ARN);
        assert_eq!(info["extra"]["accessKeyId"][0], ALICE_AKID);
        assert_eq!(
            info["uid"],
            "aws-iam-authenticator:111122223333:AIDAALICEEXAMPLE00001"
        );
        // RBAC: get pods is granted, delete is not.
        let out = kubectl_as(&kc, &["get", "pods", "-n", "default"]);
        assert_success(&out);
        let out = kubectl_as(&kc, &["delete", "pod", "no-such-pod", "-n", "default"]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("Forbidden") || stderr(&out).contains("forbidden"),
            "{}",
            stderr(&out)
        );
    }
    eprintln!("scenario 1 (mapped user + RBAC) and 5 (v1 and v1beta1): ok");

    // Scenario 2: an assumed role whose mapping uses {{SessionName}}.
    let kc = user_kubeconfig(
        work.path(),
        "role",
        &cp,
        "client.authentication.k8s.io/v1",
        bin(),
        &[
            "token",
            "-i",
            CLUSTER,
            "-r",
            DEV_ROLE,
            "-s",
            "jane@example.com",
        ],
        &alice_env,
    );
    assert_eq!(
        whoami(&kc)["status"]["userInfo"]["username"],
        "dev:jane-example.com"
    );
    eprintln!("scenario 2 (assumed role with {{{{SessionName}}}}): ok");

    // Scenario 3: an unmapped identity, and a token for another cluster.
    let bob = user_kubeconfig(
        work.path(),
        "bob",
        &cp,
        "client.authentication.k8s.io/v1",
        bin(),
        &token_args,
        &client_env(&sts, BOB_AKID, BOB_SECRET),
    );
    assert_unauthorized(&kubectl_as(&bob, &["get", "pods"]));
    let other = user_kubeconfig(
        work.path(),
        "other",
        &cp,
        "client.authentication.k8s.io/v1",
        bin(),
        &["token", "-i", "another-cluster"],
        &alice_env,
    );
    assert_unauthorized(&kubectl_as(&other, &["get", "pods"]));
    eprintln!("scenario 3 (unmapped, wrong cluster): ok");

    // Scenario 4: an expired token (signed 16 minutes ago) as a static bearer token.
    {
        use aws_credential_types::Credentials;
        use aws_iam_authenticator::token::{TokenRequest, generate};
        let creds = Credentials::new(ALICE_AKID, ALICE_SECRET, None, None, "test");
        let token = generate(&TokenRequest {
            cluster_id: CLUSTER,
            host: "sts.us-west-2.amazonaws.com",
            region: "us-west-2",
            credentials: &creds,
            signing_time: std::time::SystemTime::now() - Duration::from_secs(16 * 60),
        })
        .unwrap();
        let out = Command::new(kubectl())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .args([
                "--server",
                &cp.var("APISERVER_URL"),
                "--certificate-authority",
                &cp.var("APISERVER_CA"),
                "--token",
                &token.token,
                "get",
                "pods",
            ])
            .output()
            .unwrap();
        assert_unauthorized(&out);
    }
    eprintln!("scenario 4 (expired token): ok");

    // Scenario 7: the webhook restarts with the same certificate; the apiserver keeps working.
    drop(webhook);
    webhook = files.start(&sts, &[]);
    assert_eq!(
        std::fs::read_to_string(state.join("cert.pem")).unwrap(),
        cert_before
    );
    let kc = user_kubeconfig(
        work.path(),
        "alice-again",
        &cp,
        "client.authentication.k8s.io/v1",
        bin(),
        &token_args,
        &alice_env,
    );
    assert_eq!(whoami(&kc)["status"]["userInfo"]["username"], "alice");
    eprintln!("scenario 7 (webhook restart): ok");

    // Scenario 8: a token minted by `aws eks get-token`.
    let aws = aws_cli();
    let kc = user_kubeconfig(
        work.path(),
        "awscli",
        &cp,
        "client.authentication.k8s.io/v1beta1",
        aws.to_str().unwrap(),
        &aws_eks_get_token_args(CLUSTER),
        &alice_env,
    );
    assert_eq!(whoami(&kc)["status"]["userInfo"]["username"], "alice");
    eprintln!("scenario 8 (aws eks get-token): ok");
    drop(webhook);
}

fn kubectl_admin(cp: &ControlPlane, args: &[&str]) -> Output {
    cp.admin(args, "")
}

/// A kubeconfig for the webhook's own ServiceAccount, with a token from the TokenRequest
/// API: the server then runs with exactly the RBAC that `deploy/rbac.yaml` ships.
fn service_account_kubeconfig(cp: &ControlPlane, dir: &Path) -> PathBuf {
    let out = kubectl_admin(
        cp,
        &[
            "create",
            "token",
            "aws-iam-authenticator",
            "-n",
            "kube-system",
            "--duration",
            "1h",
        ],
    );
    assert_success(&out);
    let token = stdout(&out).trim().to_string();
    let path = dir.join("service-account.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
             users:\n- name: sa\n  user:\n    token: {token}\ncontexts:\n- name: e2e\n  context:\n    cluster: e2e\n    user: sa\ncurrent-context: e2e\n",
            cp.var("APISERVER_URL"),
            cp.var("APISERVER_CA")
        ),
    )
    .unwrap();
    path
}

/// The username the apiserver sees for `kubeconfig`, or `None` when it is refused.
fn whoami_name(kubeconfig: &Path) -> Option<String> {
    let out = kubectl_as(kubeconfig, &["auth", "whoami", "-o", "json"]);
    if !out.status.success() {
        assert!(
            stderr(&out).contains("Unauthorized") || stderr(&out).contains("provide credentials"),
            "{}",
            stderr(&out)
        );
        return None;
    }
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["status"]["userInfo"]["username"]
        .as_str()
        .map(str::to_string)
}

/// Waits until the apiserver sees `want` (`None`: refused) for `kubeconfig`, at most
/// `bound`; returns how long it took.
#[track_caller]
fn follows(kubeconfig: &Path, want: Option<&str>, bound: Duration, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        let got = whoami_name(kubeconfig);
        if got.as_deref() == want {
            let took = start.elapsed();
            eprintln!("  {what}: followed in {took:?}");
            return took;
        }
        assert!(
            start.elapsed() < bound,
            "{what}: still {got:?} after {bound:?}, want {want:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn aws_auth(data: &[(&str, &str)]) -> String {
    let mut yaml = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n",
    );
    for (key, value) in data {
        yaml.push_str(&format!("  {key}: |\n"));
        for line in value.lines() {
            yaml.push_str(&format!("    {line}\n"));
        }
    }
    yaml
}

/// Scenario 6, and the Kubernetes-backed mappers against a real apiserver: the
/// `aws-auth` ConfigMap (EKSConfigMap) and `IAMIdentityMapping` objects (CRD) are
/// edited with kubectl and access follows without a restart, also across an apiserver
/// restart mid-watch. The webhook runs as the ServiceAccount of `deploy/rbac.yaml`.
#[test]
fn scenario_6_mapping_changes_live() {
    let sts = StandIn::start();
    let work = tempfile::tempdir().unwrap();
    let files = WebhookFiles::init(work.path(), CLUSTER, "  backendMode: [EKSConfigMap, CRD]\n");
    let cp = ControlPlane::up(&work.path().join("cp"), &files.kubeconfig, None);
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    for file in ["iamidentitymapping.yaml", "rbac.yaml"] {
        let out = kubectl_admin(
            &cp,
            &[
                "apply",
                "--server-side",
                "-f",
                deploy.join(file).to_str().unwrap(),
            ],
        );
        assert_success(&out);
    }
    assert_success(&kubectl_admin(
        &cp,
        &[
            "wait",
            "--for=condition=Established",
            "crd/iamidentitymappings.iamauthenticator.k8s.aws",
            "--timeout=30s",
        ],
    ));
    let sa = service_account_kubeconfig(&cp, work.path());
    let webhook = files.start(&sts, &["--kubeconfig", sa.to_str().unwrap()]);

    let alice = user_kubeconfig(
        work.path(),
        "alice",
        &cp,
        "client.authentication.k8s.io/v1",
        bin(),
        &["token", "-i", CLUSTER],
        &client_env(&sts, ALICE_AKID, ALICE_SECRET),
    );
    let bob = user_kubeconfig(
        work.path(),
        "bob",
        &cp,
        "client.authentication.k8s.io/v1",
        bin(),
        &["token", "-i", CLUSTER],
        &client_env(&sts, BOB_AKID, BOB_SECRET),
    );
    let bound = Duration::from_secs(20);
    eprintln!("scenario 6 (mapping changes live):");

    // Nothing mapped yet: no aws-auth, no IAMIdentityMapping.
    follows(&alice, None, bound, "no mappings");

    // aws-auth appears, changes, carries upstream's fixture quirks.
    let user =
        |name: &str| format!("- userarn: {ALICE_ARN}\n  username: {name}\n  groups:\n  - devs\n");
    cp.admin_apply(&aws_auth(&[("mapUsers", &user("alice-cm"))]));
    follows(&alice, Some("alice-cm"), bound, "aws-auth created");
    cp.admin_apply(&aws_auth(&[("mapUsers", &user("alice-cm2"))]));
    follows(&alice, Some("alice-cm2"), bound, "aws-auth edited");
    cp.admin_apply(&aws_auth(&[
        (
            "mapUsers",
            &format!(
                "- userARN: {ALICE_ARN}\n  UserName: alice-case\n- userarn: not-an-arn\n  username: dropped\n"
            ),
        ),
        ("mapAccounts", "- 111122223333\n"),
    ]));
    follows(
        &alice,
        Some("alice-case"),
        bound,
        "entry keys case-insensitive, invalid entry dropped",
    );
    follows(
        &bob,
        Some("arn:aws:iam::111122223333:user/bob"),
        bound,
        "unquoted mapAccounts number",
    );

    // Upstream's fixtures: a lower-case data key maps nothing; a list without `|` is not
    // a ConfigMap at all (the apiserver refuses it).
    let out = cp.admin(
        &["apply", "-f", "-"],
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n\
             data:\n  mapUsers:\n  - userarn: {ALICE_ARN}\n    username: no-bar\n"
        ),
    );
    assert!(
        !out.status.success(),
        "a ConfigMap without | must be refused"
    );
    cp.admin_apply(&aws_auth(&[("mapusers", &user("lower-case-key"))]));
    follows(&alice, None, bound, "lower-case data key maps nothing");
    cp.admin_apply(&aws_auth(&[
        (
            "mapUsers",
            &format!(
                "- userARN: {ALICE_ARN}\n  UserName: alice-case\n- userarn: not-an-arn\n  username: dropped\n"
            ),
        ),
        ("mapAccounts", "- 111122223333\n"),
    ]));
    follows(&alice, Some("alice-case"), bound, "restored");

    // A malformed update keeps the last good mapping.
    cp.admin_apply(&aws_auth(&[("mapUsers", "- userarn: [unclosed\n")]));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(whoami_name(&alice).as_deref(), Some("alice-case"));

    // The apiserver restarts mid-watch; the mapping survives and the watch resumes.
    let status = Command::new("bash")
        .arg(control_plane::script())
        .arg("restart-apiserver")
        .arg(work.path().join("cp"))
        .status()
        .unwrap();
    assert!(status.success(), "restart-apiserver failed");
    assert_eq!(whoami_name(&alice).as_deref(), Some("alice-case"));
    cp.admin_apply(&aws_auth(&[("mapUsers", &user("alice-after-restart"))]));
    follows(
        &alice,
        Some("alice-after-restart"),
        Duration::from_secs(90),
        "aws-auth edited after an apiserver restart",
    );
    // The dropped watch was counted.
    let failures = webhook
        .metric("aws_iam_authenticator_configmap_watch_failures_total")
        .unwrap_or(0.0);
    assert!(
        failures >= 1.0,
        "configmap_watch_failures_total = {failures}"
    );

    // Deleting aws-auth clears it.
    assert_success(&kubectl_admin(
        &cp,
        &["delete", "configmap", "aws-auth", "-n", "kube-system"],
    ));
    follows(&alice, None, bound, "aws-auth deleted");

    // IAMIdentityMapping: created, status written, edited, deleted.
    let mapping = |name: &str| {
        format!(
            "apiVersion: iamauthenticator.k8s.aws/v1alpha1\nkind: IAMIdentityMapping\nmetadata:\n  name: alice\n\
             spec:\n  arn: {ALICE_ARN}\n  username: {name}\n  groups:\n  - devs\n"
        )
    };
    cp.admin_apply(&mapping("alice-crd"));
    follows(
        &alice,
        Some("alice-crd"),
        // The first IAMIdentityMapping event since the apiserver restart: that watch may
        // still be in its reconnect backoff, hence the restart bound.
        Duration::from_secs(90),
        "IAMIdentityMapping created",
    );
    let start = Instant::now();
    loop {
        let out = kubectl_admin(
            &cp,
            &[
                "get",
                "iamidentitymapping",
                "alice",
                "-o",
                "jsonpath={.status.canonicalARN}",
            ],
        );
        if stdout(&out).trim() == ALICE_ARN.to_lowercase() {
            break;
        }
        assert!(
            start.elapsed() < bound,
            "status.canonicalARN not set: {}",
            stdout(&out)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    cp.admin_apply(&mapping("alice-crd2"));
    follows(
        &alice,
        Some("alice-crd2"),
        bound,
        "IAMIdentityMapping edited",
    );
    assert_success(&kubectl_admin(
        &cp,
        &["delete", "iamidentitymapping", "alice"],
    ));
    follows(&alice, None, bound, "IAMIdentityMapping deleted");
    eprintln!("scenario 6: ok");

    // `add`: creates aws-auth when missing, refuses duplicates, asks first, handles
    // --sso (upstream panics), and survives concurrent writers (conflict retry).
    let admin = cp.var("ADMIN_KUBECONFIG");
    let add = |args: &[&str], stdin: &str| {
        output_with_stdin(
            Command::new(bin())
                .env("NO_PROXY", "127.0.0.1,localhost")
                .args(["add"])
                .args(args)
                .args(["--kubeconfig", &admin]),
            stdin,
        )
    };
    let add_bob = [
        "user",
        "--userarn",
        BOB_ARN,
        "--username",
        "bob-added",
        "--groups",
        "devs",
    ];
    let out = add(&add_bob, "n\n");
    assert_success(&out);
    assert!(stdout(&out).contains("cancelled"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("should we continue?"),
        "{}",
        stderr(&out)
    );
    let out = add(&add_bob, "y\n");
    assert_success(&out);
    assert!(
        stdout(&out).starts_with("updated configmap:\n\n"),
        "{}",
        stdout(&out)
    );
    follows(&bob, Some("bob-added"), bound, "add user");
    let out = add(&[&add_bob[..], &["--prompt=false"]].concat(), "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("cannot add duplicate user ARN \"{BOB_ARN}\"")),
        "{}",
        stderr(&out)
    );
    let out = add(
        &[
            "role",
            "--sso",
            "permissionSetName=Admin,accountID=111122223333",
            "--username",
            "sso-admin",
            "--groups",
            "devs",
            "--prompt=false",
        ],
        "",
    );
    assert_success(&out);
    // 32 concurrent writers: most lose several conflict rounds; all must land.
    const WRITERS: usize = 32;
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let admin = admin.clone();
            std::thread::spawn(move || {
                Command::new(bin())
                    .env("NO_PROXY", "127.0.0.1,localhost")
                    .args([
                        "add",
                        "role",
                        "--rolearn",
                        &format!("arn:aws:iam::111122223333:role/concurrent-{i}"),
                        "--username",
                        &format!("c{i}"),
                        "--groups",
                        "devs",
                        "--prompt=false",
                        "--kubeconfig",
                        &admin,
                    ])
                    .output()
                    .unwrap()
            })
        })
        .collect();
    for w in writers {
        assert_success(&w.join().unwrap());
    }
    let out = kubectl_admin(
        &cp,
        &[
            "get",
            "configmap",
            "aws-auth",
            "-n",
            "kube-system",
            "-o",
            "jsonpath={.data.mapRoles}",
        ],
    );
    let roles = stdout(&out);
    for i in 0..WRITERS {
        assert!(roles.contains(&format!("role/concurrent-{i}\n")), "{roles}");
    }
    assert!(roles.contains("permissionSetName: Admin"), "{roles}");
    eprintln!("add user|role: ok");
}
