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
