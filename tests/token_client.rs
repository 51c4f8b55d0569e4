//! The `token` client and `verify` against the STS stand-in, end to end through a proxy.

mod common;

use std::process::Stdio;

use common::*;
use serde_json::Value;

#[test]
fn static_keys_token_verifies_at_sts() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "cluster-a"]));
    let url = decode(&token);
    assert!(url.starts_with("https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAALICEEXAMPLE0001%2F"), "{url}");
    assert!(
        url.contains("&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature="),
        "{url}"
    );

    let id = identity(&sts.verify(home.path(), "cluster-a", &token));
    assert_eq!(id["ARN"], ALICE_ARN);
    assert_eq!(id["CanonicalARN"], ALICE_ARN);
    assert_eq!(id["AccountID"], ACCOUNT);
    assert_eq!(id["AccessKeyID"], ALICE_AKID);
    assert_eq!(id["STSEndpoint"], "sts.us-west-2.amazonaws.com");
    // The server sent the cluster ID it was configured with.
    let last = sts.requests().into_iter().last().unwrap();
    assert_eq!(last["x_k8s_aws_id"], "cluster-a");
}

#[test]
fn a_token_for_another_cluster_is_refused_by_sts() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "cluster-a"]));
    let out = sts.verify(home.path(), "cluster-b", &token);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("could not verify token"), "{err}");
    assert!(err.contains("expected 200, got 403"), "{err}");
}

#[test]
fn a_tampered_token_is_refused() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "c"]));
    let url = decode(&token);
    // Claim Bob's access key with Alice's signature.
    let forged = url.replace(ALICE_AKID, BOB_AKID);
    use base64::Engine;
    let forged = format!(
        "k8s-aws-v1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged)
    );
    let out = sts.verify(home.path(), "c", &forged);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("got 403"), "{}", stderr(&out));
}

#[test]
fn an_expired_token_is_refused_before_sts() {
    use aws_credential_types::Credentials;
    use aws_iam_authenticator::token::{TokenRequest, generate};
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let creds = Credentials::new(ALICE_AKID, ALICE_SECRET, None, None, "test");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(16 * 60);
    let token = generate(&TokenRequest {
        cluster_id: "c",
        host: "sts.us-west-2.amazonaws.com",
        region: "us-west-2",
        credentials: &creds,
        signing_time: old,
    })
    .unwrap();
    sts.reset();
    let out = sts.verify(home.path(), "c", &token.token);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("X-Amz-Date parameter is expired"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        sts.count("GetCallerIdentity"),
        0,
        "an expired token must not reach STS"
    );
}

#[test]
fn default_output_is_upstreams_go_struct_format() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "c"]));
    let out = sts
        .command(home.path())
        .args(["verify", "-i", "c", "-t", &token])
        .output()
        .unwrap();
    assert_success(&out);
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("&{{ARN:{ALICE_ARN} CanonicalARN:{ALICE_ARN} AccountID:{ACCOUNT} UserID:AIDAALICEEXAMPLE00001 SessionName: AccessKeyID:{ALICE_AKID} STSEndpoint:sts.us-west-2.amazonaws.com}}")),
        "{text}"
    );
}

#[test]
fn trust_via_ssl_cert_file_works_too() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "c"]));
    let out = sts
        .command(home.path())
        .env_remove("AWS_CA_BUNDLE")
        .env("SSL_CERT_FILE", &sts.ca_file)
        .args(["verify", "-o", "json", "-i", "c", "-t", &token])
        .output()
        .unwrap();
    assert_eq!(identity(&out)["ARN"], ALICE_ARN);
}

#[test]
fn without_trusting_the_ca_verification_fails_closed() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "c"]));
    let out = sts
        .command(home.path())
        .env_remove("AWS_CA_BUNDLE")
        // A real bundle that does not hold the test CA (an empty one trips a debug assertion in
        // the TLS stack).
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .args(["verify", "-i", "c", "-t", &token])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("sts getCallerIdentity failed: error during GET"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn assume_role_gives_the_assumed_role_identity() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args([
        "token",
        "-i",
        "c",
        "-r",
        DEV_ROLE,
        "-s",
        "alice-session",
    ]));
    assert_eq!(sts.count("AssumeRole"), 1);
    let id = identity(&sts.verify(home.path(), "c", &token));
    assert_eq!(
        id["ARN"],
        "arn:aws:sts::111122223333:assumed-role/dev/alice-session"
    );
    assert_eq!(id["CanonicalARN"], DEV_ROLE);
    assert_eq!(id["SessionName"], "alice-session");
    assert_eq!(id["UserID"], "AROADEVEXAMPLE000001");
}

#[test]
fn assume_role_from_the_default_role_env_and_default_session_name() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(
        with_alice(&mut sts.command(home.path()))
            .env("DEFAULT_ROLE", PATH_ROLE)
            .args(["token", "-i", "c"]),
    );
    let id = identity(&sts.verify(home.path(), "c", &token));
    // STS drops the role path from assumed-role ARNs.
    assert_eq!(id["CanonicalARN"], "arn:aws:iam::111122223333:role/admin");
    assert!(
        id["SessionName"]
            .as_str()
            .unwrap()
            .starts_with("aws-iam-authenticator-")
    );
}

#[test]
fn external_id_is_passed_and_required() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args([
        "token",
        "-i",
        "c",
        "-r",
        EXT_ROLE,
        "-e",
        EXTERNAL_ID,
        "-s",
        "ext",
    ]));
    let id = identity(&sts.verify(home.path(), "c", &token));
    assert_eq!(
        id["ARN"],
        "arn:aws:sts::111122223333:assumed-role/external/ext"
    );

    let out = with_alice(&mut sts.command(home.path()))
        .args(["token", "-i", "c", "-r", EXT_ROLE, "-e", "wrong"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("not authorized to assume role") && err.contains("trust policy"),
        "{err}"
    );
    assert!(!err.contains(ALICE_SECRET));
}

#[test]
fn forwarded_session_name_comes_from_the_caller() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    // Base credentials: an SSO-like assumed role whose session is the user's e-mail.
    let cfg = aws_config_with_base(
        home.path(),
        &format!(
            "[profile sso]\nrole_arn = {SSO_ROLE}\nsource_profile = base\nrole_session_name = alice@example.com\n"
        ),
    );
    let token = mint(
        sts.command(home.path())
            .env("AWS_CONFIG_FILE", &cfg)
            .env("AWS_PROFILE", "sso")
            .args(["token", "-i", "c", "-r", DEV_ROLE, "--forward-session-name"]),
    );
    let id = identity(&sts.verify(home.path(), "c", &token));
    assert_eq!(
        id["ARN"],
        "arn:aws:sts::111122223333:assumed-role/dev/alice@example.com"
    );
    assert_eq!(id["SessionName"], "alice@example.com");
}

#[test]
fn session_name_and_forwarding_are_exclusive() {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin())
        .env("HOME", home.path())
        .args(["token", "-i", "c", "-s", "x", "--forward-session-name"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out)
            .contains("cannot specify both --forward-session-name and --session-name parameter")
    );
}

// The credential process is a `#!/bin/sh` script made executable with a Unix mode: Unix
// only (on Windows the SDK runs it through `cmd.exe /C`, which cannot run a shell script).
#[cfg(unix)]
#[test]
fn credential_process_profile() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho '{{\"Version\":1,\"AccessKeyId\":\"{ALICE_AKID}\",\"SecretAccessKey\":\"{ALICE_SECRET}\"}}'\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    let cfg = home.path().join("config");
    std::fs::write(
        &cfg,
        format!(
            "[profile proc]\ncredential_process = {}\nregion = eu-central-1\n",
            script.display()
        ),
    )
    .unwrap();
    let token = mint(
        sts.command(home.path())
            .env_remove("AWS_REGION")
            .env("AWS_CONFIG_FILE", &cfg)
            .env("AWS_PROFILE", "proc")
            .args(["token", "-i", "c"]),
    );
    // The profile's region picks the endpoint.
    assert!(decode(&token).starts_with("https://sts.eu-central-1.amazonaws.com/"));
    let id = identity(&sts.verify(home.path(), "c", &token));
    assert_eq!(id["ARN"], ALICE_ARN);
}

#[test]
fn role_arn_with_source_profile() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[base]\naws_access_key_id = {ALICE_AKID}\naws_secret_access_key = {ALICE_SECRET}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!("[profile dev]\nrole_arn = {DEV_ROLE}\nsource_profile = base\nrole_session_name = from-profile\n"),
    )
    .unwrap();
    let token = mint(
        sts.command(home.path())
            .env("AWS_PROFILE", "dev")
            .args(["token", "-i", "c"]),
    );
    let id = identity(&sts.verify(home.path(), "c", &token));
    assert_eq!(
        id["ARN"],
        "arn:aws:sts::111122223333:assumed-role/dev/from-profile"
    );
}

#[test]
fn token_only_prints_just_the_token() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let out = with_alice(&mut sts.command(home.path()))
        .args(["token", "-i", "c", "--token-only"])
        .output()
        .unwrap();
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.starts_with("k8s-aws-v1.") && text.ends_with('\n') && text.lines().count() == 1);
}

#[test]
fn exec_info_selects_the_api_version() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    for (info, expected) in [
        (
            Some(
                r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#,
            ),
            "client.authentication.k8s.io/v1",
        ),
        (
            Some(
                r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{}}"#,
            ),
            "client.authentication.k8s.io/v1beta1",
        ),
        (None, "client.authentication.k8s.io/v1beta1"),
    ] {
        let mut cmd = sts.command(home.path());
        with_alice(&mut cmd).args(["token", "-i", "c"]);
        if let Some(info) = info {
            cmd.env("KUBERNETES_EXEC_INFO", info);
        }
        let out = cmd.output().unwrap();
        assert_success(&out);
        let cred: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(cred["apiVersion"], expected);
        assert_eq!(cred["kind"], "ExecCredential");
        assert_eq!(cred["spec"], serde_json::json!({}));
        let ts = cred["status"]["expirationTimestamp"].as_str().unwrap();
        assert!(ts.ends_with('Z') && ts.len() == 20, "{ts}");
    }
}

#[test]
fn assumed_role_token_expiry_is_clamped_to_the_session() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    // A 5-minute session (the stand-in allows short ones): the token must expire 1 min
    // before the credentials, not 14 min after signing.
    let out = with_alice(&mut sts.command(home.path()))
        .args(["token", "-i", "c", "-r", DEV_ROLE, "--role-duration", "5m"])
        .output()
        .unwrap();
    assert_success(&out);
    let cred: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let ts = cred["status"]["expirationTimestamp"].as_str().unwrap();
    let exp =
        time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).unwrap();
    let left = exp - time::OffsetDateTime::now_utc();
    assert!(left.whole_seconds() <= 4 * 60 + 5, "expires in {left}");
    assert!(left.whole_seconds() >= 3 * 60, "expires in {left}");
}

#[test]
fn errors_are_one_line_and_name_the_fix() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    // An SSO profile nobody has logged in with.
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile corp]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![], vec!["token", "-i", "c"], "no AWS credentials found"),
        (
            vec![("AWS_PROFILE", "ghost")],
            vec!["token", "-i", "c"],
            "AWS profile \"ghost\" is not defined",
        ),
        (vec![], vec!["token"], "cluster ID not specified"),
        (
            vec![("AWS_PROFILE", "corp")],
            vec!["token", "-i", "c"],
            "aws sso login --profile corp",
        ),
        (vec![], vec!["verify", "-i", "c"], "token not specified"),
        (
            vec![],
            vec!["-c", "/nonexistent.yaml", "token", "-i", "c"],
            "Can't read configuration file",
        ),
    ];
    for (env, args, expected) in cases {
        let mut cmd = sts.command(home.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.args(&args).stdout(Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.lines().next().unwrap_or("").contains(expected),
            "{args:?}: {err}"
        );
        assert!(stdout(&out).is_empty(), "nothing on stdout for {args:?}");
    }
}

#[test]
fn bad_yaml_config_names_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("cfg.yaml");
    std::fs::write(&cfg, "clusterID: a\nrole: [unclosed\n").unwrap();
    let out = std::process::Command::new(bin())
        .args(["-c"])
        .arg(&cfg)
        .args(["token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cfg.yaml") && err.contains("line"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn config_file_supplies_cluster_id_and_role() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("cfg.yaml");
    std::fs::write(
        &cfg,
        format!("clusterID: from-config\nrole: {DEV_ROLE}\nsessionName: cfg-session\n"),
    )
    .unwrap();
    let token = mint(
        with_alice(&mut sts.command(home.path()))
            .arg("-c")
            .arg(&cfg)
            .arg("token"),
    );
    let id = identity(&sts.verify(home.path(), "from-config", &token));
    assert_eq!(id["SessionName"], "cfg-session");
}

#[test]
fn fips_and_dual_stack_settings_pick_the_host() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let url = |env: &[(&str, &str)]| {
        let mut cmd = sts.command(home.path());
        with_alice(&mut cmd).args(["token", "-i", "c", "--region", "us-east-2"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        decode(&mint(&mut cmd))
    };
    assert!(url(&[]).starts_with("https://sts.us-east-2.amazonaws.com/"));
    assert!(
        url(&[("AWS_USE_FIPS_ENDPOINT", "true")])
            .starts_with("https://sts-fips.us-east-2.amazonaws.com/")
    );
    assert!(
        url(&[("AWS_USE_DUALSTACK_ENDPOINT", "true")])
            .starts_with("https://sts.us-east-2.api.aws/")
    );
}

#[test]
fn region_defaults_to_us_east_1_without_stalling() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let token = mint(
        with_alice(&mut sts.command(home.path()))
            .env_remove("AWS_REGION")
            .env_remove("AWS_EC2_METADATA_DISABLED")
            // An IMDS that accepts connections and never answers.
            .env(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                format!("http://127.0.0.1:{}", blackhole_port()),
            )
            .args(["token", "-i", "c"]),
    );
    assert!(decode(&token).starts_with("https://sts.us-east-1.amazonaws.com/"));
    assert!(
        start.elapsed() < std::time::Duration::from_millis(5000),
        "took {:?}",
        start.elapsed()
    );
}

/// A listener that accepts and never answers (leaked for the test's lifetime).
fn blackhole_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    port
}

#[test]
fn redirects_from_sts_are_never_followed() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "c"]));
    sts.fault("redirect", 0.0);
    let out = sts.verify(home.path(), "c", &token);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("expected 200, got 302"), "{err}");
    assert_eq!(
        sts.count("GetCallerIdentity"),
        1,
        "the redirect target was not requested"
    );
}

#[test]
fn dynamic_completion_protocol_is_answered() {
    // Homebrew's `generate_completions_from_executable(..., shell_parameter_format: :clap)`
    // runs the binary with COMPLETE=<shell> and no arguments.
    for shell in ["bash", "zsh", "fish"] {
        let out = std::process::Command::new(bin())
            .env("COMPLETE", shell)
            .output()
            .unwrap();
        assert_success(&out);
        assert!(
            stdout(&out).contains("aws-iam-authenticator"),
            "{shell}: {}",
            stdout(&out)
        );
    }
    let out = std::process::Command::new(bin())
        .args(["completion", "zsh"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(stdout(&out).contains("#compdef aws-iam-authenticator"));
}

/// The fake kube-apiserver from `tests/support` that records every bearer token.
struct Recorder {
    child: std::process::Child,
    dir: tempfile::TempDir,
    port: u64,
    ca_file: String,
}

impl Recorder {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready.json");
        let mut child = std::process::Command::new(python())
            .args(["-m", "sts_standin.recorder", "--ready-file"])
            .arg(&ready)
            .arg("--cert-dir")
            .arg(dir.path())
            .env("PYTHONPATH", support_dir())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let info: Value = loop {
            if let Some(v) = std::fs::read_to_string(&ready)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
            {
                break v;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("recorder exited with {status}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "recorder did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        Recorder {
            child,
            port: info["port"].as_u64().unwrap(),
            ca_file: info["ca_file"].as_str().unwrap().to_string(),
            dir,
        }
    }

    fn tokens(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("tokens.txt"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One kubeconfig user (exec with `provideClusterInfo: true` and no `-i`) shared by two
/// clusters, each with its own `client.authentication.k8s.io/exec` extension: kubectl
/// 1.34 passes the extension, and each call's token is signed for that cluster's ID.
#[test]
fn kubectl_provide_cluster_info_gives_each_cluster_its_own_id() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let rec = Recorder::start();
    let env = [
        ("AWS_ACCESS_KEY_ID", ALICE_AKID.to_string()),
        ("AWS_SECRET_ACCESS_KEY", ALICE_SECRET.to_string()),
        ("AWS_REGION", "us-west-2".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("HTTPS_PROXY", sts.proxy_url.clone()),
        ("NO_PROXY", "127.0.0.1,localhost".to_string()),
        ("AWS_CA_BUNDLE", sts.ca_file.display().to_string()),
    ];
    let env_yaml: String = env
        .iter()
        .map(|(k, v)| format!("      - name: {k}\n        value: \"{v}\"\n"))
        .collect();
    // The recorder's certificate names both 127.0.0.1 and localhost: two servers.
    let cluster = |name: &str, host: &str, id: &str| {
        format!(
            "- name: {name}\n  cluster:\n    server: https://{host}:{port}\n    certificate-authority: {ca}\n    extensions:\n    - name: client.authentication.k8s.io/exec\n      extension:\n        clusterID: {id}\n",
            port = rec.port,
            ca = rec.ca_file
        )
    };
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n{}{}users:\n- name: iam\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {bin}\n      args: [token]\n      provideClusterInfo: true\n      interactiveMode: Never\n      env:\n{env_yaml}contexts:\n- name: blue\n  context: {{cluster: blue, user: iam}}\n- name: green\n  context: {{cluster: green, user: iam}}\ncurrent-context: blue\n",
            cluster("blue", "127.0.0.1", "blue-cluster"),
            cluster("green", "localhost", "green-cluster"),
            bin = bin()
        ),
    )
    .unwrap();
    let kubectl_get = |context: &str| {
        let out = std::process::Command::new(kubectl())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--context", context, "get", "--raw", "/version"])
            .output()
            .unwrap();
        assert_success(&out);
    };
    kubectl_get("blue");
    kubectl_get("green");
    let tokens = rec.tokens();
    assert_eq!(tokens.len(), 2, "one token per kubectl call: {tokens:?}");
    for (token, mine, other) in [
        (&tokens[0], "blue-cluster", "green-cluster"),
        (&tokens[1], "green-cluster", "blue-cluster"),
    ] {
        assert_eq!(
            identity(&sts.verify(home.path(), mine, token))["ARN"],
            ALICE_ARN
        );
        // Signed for `mine` (x-k8s-aws-id is a signed header): STS refuses it for the other.
        let out = sts.verify(home.path(), other, token);
        assert!(!out.status.success(), "{mine}'s token passed as {other}");
    }
}

/// A `-i` flag in the exec args beats the cluster's extension.
#[test]
fn cluster_id_flag_beats_the_exec_extension() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(
        with_alice(&mut sts.command(home.path()))
            .env(
                "KUBERNETES_EXEC_INFO",
                r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,"cluster":{"server":"https://x","config":{"clusterID":"from-extension"}}}}"#,
            )
            .args(["token", "-i", "from-flag"]),
    );
    identity(&sts.verify(home.path(), "from-flag", &token));
    let token = mint(
        with_alice(&mut sts.command(home.path()))
            .env(
                "KUBERNETES_EXEC_INFO",
                r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,"cluster":{"server":"https://x","config":{"clusterID":"from-extension"}}}}"#,
            )
            .args(["token"]),
    );
    identity(&sts.verify(home.path(), "from-extension", &token));
}

/// Bad flags are refused with one line naming the flag and the fix, before any network
/// call (the stand-in sees nothing), and nothing on stdout.
#[test]
fn bad_flags_are_named_and_refused_before_any_network_call() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            vec![],
            vec!["-r", "dev"],
            vec![
                "--role: \"dev\" is not an IAM role ARN",
                "arn:<partition>:iam::<12-digit account ID>:role/<name>",
            ],
        ),
        (
            vec![],
            vec!["-r", "arn:aws:iam::111122223333:user/alice"],
            vec!["--role:", "is not an IAM role ARN"],
        ),
        (
            vec![("DEFAULT_ROLE", "arn:aws:iam::1234:role/x")],
            vec![],
            vec!["DEFAULT_ROLE: ", "is not an IAM role ARN"],
        ),
        (
            vec![],
            vec!["--profile", "nope"],
            vec![
                "--profile: AWS profile \"nope\" is not defined",
                "pass --profile",
            ],
        ),
        (
            vec![("AWS_PROFILE", "nope")],
            vec![],
            vec!["AWS profile \"nope\" is not defined", "set AWS_PROFILE"],
        ),
        (
            vec![],
            vec!["-r", DEV_ROLE, "--role-duration", "5x"],
            vec!["--role-duration: invalid duration \"5x\"", "90s, 5m"],
        ),
        (
            vec![],
            vec!["--cache", "--cache-margin", "1d"],
            vec!["--cache-margin: invalid duration \"1d\""],
        ),
    ];
    for (env, args, expected) in cases {
        sts.reset();
        let mut cmd = sts.command(home.path());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd
            .args(["token", "-i", "c"])
            .args(&args)
            .env("KUBECACHEDIR", home.path().join("kcache"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{env:?} {args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{env:?} {args:?}: {err}");
        for part in expected {
            assert!(err.contains(part), "{env:?} {args:?}: {part:?} in {err}");
        }
        if !env.iter().any(|(k, _)| *k == "AWS_PROFILE") {
            assert!(
                !err.contains("AWS_PROFILE"),
                "{args:?} names the flag: {err}"
            );
        }
        assert!(stdout(&out).is_empty());
        assert!(
            sts.requests().is_empty(),
            "{env:?} {args:?}: refused after calling STS: {:?}",
            sts.requests()
        );
    }
}

/// `-l` offers text and json, but an unknown value warns and logs text, as upstream does,
/// so a kubeconfig written for upstream keeps working.
#[test]
fn unknown_log_format_warns_and_carries_on() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let out = with_alice(&mut sts.command(home.path()))
        .args(["-l", "logfmt", "token", "-i", "c"])
        .output()
        .unwrap();
    assert_success(&out);
    let err = stderr(&out);
    assert!(err.contains("unknown log format"), "{err}");
    assert!(err.contains("level=warning"), "text format: {err}");
}

/// `verify -o yaml` carries the same keys as upstream's JSON; an unknown `-o` is refused
/// by clap with the valid values.
#[test]
fn verify_yaml_has_the_json_keys_and_unknown_formats_are_refused() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "c"]));
    let json = identity(&sts.verify(home.path(), "c", &token));
    let out = sts
        .command(home.path())
        .args(["verify", "-i", "c", "-t", &token, "-o", "yaml"])
        .output()
        .unwrap();
    assert_success(&out);
    let yaml = stdout(&out);
    for key in [
        "ARN",
        "CanonicalARN",
        "AccountID",
        "UserID",
        "SessionName",
        "AccessKeyID",
        "STSEndpoint",
    ] {
        let value = json[key].as_str().unwrap();
        assert!(
            yaml.lines()
                .any(|l| l.starts_with(&format!("{key}: ")) && l.contains(value)),
            "{key}: {value} in {yaml}"
        );
    }
    let out = sts
        .command(home.path())
        .args(["verify", "-i", "c", "-t", &token, "-o", "wide"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("[possible values: text, json, yaml]"),
        "{}",
        stderr(&out)
    );
}
