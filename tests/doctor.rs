//! `doctor` against the STS stand-in (through HTTPS_PROXY, as users reach STS): an
//! all-good run, each failure class with its ✗ line (worded as `token` words it), the
//! clock check against the stand-in's `Date`, `--offline` making no network call, and
//! the JSON report's shape.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::{Value, json};

const EXPIRED_AKID: &str = "ASIAEXPIREDEXAMPLE01";
const EXPIRED_SECRET: &str = "expiredSecretEXAMPLEabcdefghijklmnopqrst";
const EXPIRED_SESSION: &str = "expiredSessionTokenEXAMPLE";

/// Every check id of the JSON report, in order.
const IDS: [&str; 10] = [
    "credentials",
    "role",
    "region",
    "endpoint",
    "proxy",
    "caBundle",
    "sts",
    "clock",
    "cache",
    "kubeconfig",
];

fn config() -> Value {
    let mut config = default_config();
    config["users"].as_array_mut().unwrap().push(json!({
        "access_key_id": EXPIRED_AKID, "secret_access_key": EXPIRED_SECRET,
        "session_token": EXPIRED_SESSION, "expiration": "2020-01-01T00:00:00Z",
        "arn": "arn:aws:sts::111122223333:assumed-role/dev/old"
    }));
    config
}

fn doctor(sts: &StandIn, home: &Path) -> Command {
    let mut cmd = sts.command(home);
    cmd.env("KUBECONFIG", home.join("no-kubeconfig"))
        .args(["doctor", "-i", "c"]);
    cmd
}

/// The lines of a text report; the process must have failed with the summary line.
#[track_caller]
fn failed(out: &Output) -> Vec<String> {
    assert!(!out.status.success(), "doctor succeeded: {}", stdout(out));
    let err = stderr(out);
    assert!(err.starts_with("Error: doctor: "), "{err}");
    for dump in ["DispatchFailure", "ConnectorError", "ProviderError"] {
        assert!(!stdout(out).contains(dump), "{}", stdout(out));
    }
    assert!(!stdout(out).contains(ALICE_SECRET));
    stdout(out).lines().map(str::to_string).collect()
}

#[track_caller]
fn line<'a>(lines: &'a [String], id: &str) -> &'a str {
    let prefix = format!(" {id}: ");
    lines
        .iter()
        .find(|l| l.contains(&prefix))
        .unwrap_or_else(|| panic!("no {id} line in {lines:#?}"))
}

/// The `token` error for the same setup, with `-r DEV_ROLE` so that it calls STS: its
/// text after `failed to assume role ROLE: ` is the diagnosis doctor prints.
#[track_caller]
fn token_diagnosis(cmd: &mut Command) -> String {
    let out = cmd
        .args(["token", "-i", "c", "-r", DEV_ROLE])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    let prefix = format!("Error: could not get token: failed to assume role {DEV_ROLE}: ");
    err.trim_end()
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{err}"))
        .to_string()
}

#[test]
fn all_good_text_and_json() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let out = with_alice(&mut doctor(&sts, home.path())).output().unwrap();
    assert_success(&out);
    let text = stdout(&out);
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), IDS.len(), "{text}");
    for l in &lines {
        assert!(l.starts_with("✓ ") || l.starts_with("- "), "{text}");
    }
    assert_eq!(
        line(&lines, "credentials"),
        "✓ credentials: environment variables (AWS_ACCESS_KEY_ID); long-term keys, they do not expire"
    );
    assert_eq!(
        line(&lines, "region"),
        "✓ region: us-west-2 (from AWS_REGION)"
    );
    assert_eq!(
        line(&lines, "endpoint"),
        "✓ endpoint: tokens name sts.us-west-2.amazonaws.com"
    );
    let proxy = sts.proxy_url.trim_start_matches("http://");
    assert_eq!(
        line(&lines, "proxy"),
        format!(
            "✓ proxy: sts.us-west-2.amazonaws.com is reached through the proxy {proxy} (HTTPS_PROXY)"
        )
    );
    assert_eq!(
        line(&lines, "sts"),
        format!(
            "✓ sts: sts.us-west-2.amazonaws.com accepts the token: the server will see {ALICE_ARN} and map {ALICE_ARN}"
        )
    );
    assert!(line(&lines, "clock").starts_with("✓ clock: "), "{text}");
    // The live check sent the token's own URL, with the cluster ID, through the proxy.
    let last = sts.requests().into_iter().last().unwrap();
    assert_eq!(last["action"], "GetCallerIdentity");
    assert_eq!(last["signing"], "presigned");
    assert_eq!(last["x_k8s_aws_id"], "c");
    assert_eq!(last["via"], "proxy");

    let out = with_alice(&mut doctor(&sts, home.path()))
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert_success(&out);
    let report: Value = serde_json::from_str(&stdout(&out)).expect("JSON report");
    assert_eq!(report["ok"], true);
    let checks = report["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, IDS);
    for c in checks {
        assert!(
            ["ok", "skipped"].contains(&c["status"].as_str().unwrap()),
            "{c}"
        );
        assert!(c["summary"].is_string() && c["fix"].is_string() && c["details"].is_object());
    }
    let sts_check = &checks[6];
    assert_eq!(sts_check["details"]["arn"], ALICE_ARN);
    assert_eq!(sts_check["details"]["canonicalArn"], ALICE_ARN);
    assert_eq!(sts_check["details"]["account"], ACCOUNT);
    assert_eq!(checks[0]["details"]["source"], "environment");
    assert_eq!(checks[2]["details"]["source"], "AWS_REGION");
    assert!(checks[7]["details"]["skewSeconds"].as_i64().unwrap().abs() <= 5);
}

#[test]
fn a_role_maps_to_its_canonical_arn() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let out = with_alice(&mut doctor(&sts, home.path()))
        .args(["-r", PATH_ROLE, "-o", "json"])
        .output()
        .unwrap();
    assert_success(&out);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["checks"][1]["status"], "ok");
    assert_eq!(report["checks"][1]["details"]["roleArn"], PATH_ROLE);
    let arn = report["checks"][6]["details"]["arn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:sts::111122223333:assumed-role/admin/aws-iam-authenticator-"),
        "{arn}"
    );
    // STS drops the role path; the server maps the role ARN without it.
    assert_eq!(
        report["checks"][6]["details"]["canonicalArn"],
        "arn:aws:iam::111122223333:role/admin"
    );
}

#[test]
fn unreachable_sts_through_a_dead_proxy() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let dead = format!("http://127.0.0.1:{port}");
    let out = with_alice(&mut doctor(&sts, home.path()))
        .env("HTTPS_PROXY", &dead)
        .output()
        .unwrap();
    let lines = failed(&out);
    let expected = format!(
        "cannot connect: the proxy 127.0.0.1:{port} refused the connection for sts.us-west-2.amazonaws.com:443; check that the proxy 127.0.0.1:{port} is up and HTTPS_PROXY is right, or list sts.us-west-2.amazonaws.com in NO_PROXY to connect directly (connection refused)"
    );
    assert_eq!(line(&lines, "sts"), format!("✗ sts: {expected}"));
    assert_eq!(line(&lines, "clock"), "- clock: STS was not reached");
    // The same words as `token`'s.
    let mut token = sts.command(home.path());
    with_alice(&mut token).env("HTTPS_PROXY", &dead);
    assert_eq!(token_diagnosis(&mut token), expected);
}

#[test]
fn dns_failure_names_the_proxy_host() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let out = with_alice(&mut doctor(&sts, home.path()))
        .env("HTTPS_PROXY", "http://proxy.example.invalid:3128")
        .output()
        .unwrap();
    let lines = failed(&out);
    let expected = "cannot resolve the proxy host proxy.example.invalid (from HTTPS_PROXY) to reach sts.us-west-2.amazonaws.com:443; fix HTTPS_PROXY, or list sts.us-west-2.amazonaws.com in NO_PROXY to connect directly";
    assert_eq!(line(&lines, "sts"), format!("✗ sts: {expected}"));
    let mut token = sts.command(home.path());
    with_alice(&mut token).env("HTTPS_PROXY", "http://proxy.example.invalid:3128");
    assert_eq!(token_diagnosis(&mut token), expected);
}

#[test]
fn untrusted_ca_names_aws_ca_bundle_and_ssl_cert_file() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let untrusting = |cmd: &mut Command| {
        cmd.env_remove("AWS_CA_BUNDLE")
            .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt");
    };
    let mut cmd = doctor(&sts, home.path());
    untrusting(with_alice(&mut cmd));
    let lines = failed(&cmd.output().unwrap());
    let proxy = sts.proxy_url.trim_start_matches("http://");
    let expected = format!(
        "TLS with sts.us-west-2.amazonaws.com:443 failed (through the proxy {proxy}, which may be inspecting TLS): certificate signed by unknown authority; add the issuing CA (your proxy's or network's) as a PEM file in AWS_CA_BUNDLE, or point SSL_CERT_FILE at a bundle that holds it"
    );
    assert_eq!(line(&lines, "sts"), format!("✗ sts: {expected}"));
    assert_eq!(
        line(&lines, "caBundle"),
        "✓ caBundle: trusting SSL_CERT_FILE /etc/ssl/certs/ca-certificates.crt"
    );
    let mut token = sts.command(home.path());
    untrusting(with_alice(&mut token));
    assert_eq!(token_diagnosis(&mut token), expected);
}

#[test]
fn bad_keys_say_which_half_is_wrong() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    for (akid, secret, session, class) in [
        (
            ALICE_AKID,
            "wrongSecretEXAMPLEabcdefghijklmnopqrstuv",
            None,
            "signatureMismatch",
        ),
        ("AKIAUNKNOWNEXAMPLE01", ALICE_SECRET, None, "invalidKey"),
        (
            EXPIRED_AKID,
            EXPIRED_SECRET,
            Some(EXPIRED_SESSION),
            "expiredToken",
        ),
    ] {
        let keys = |cmd: &mut Command| {
            cmd.env("AWS_ACCESS_KEY_ID", akid)
                .env("AWS_SECRET_ACCESS_KEY", secret);
            if let Some(token) = session {
                cmd.env("AWS_SESSION_TOKEN", token);
            }
        };
        let mut cmd = doctor(&sts, home.path());
        keys(&mut cmd);
        let lines = failed(&cmd.output().unwrap());
        let sts_line = line(&lines, "sts").to_string();
        let mut token = sts.command(home.path());
        keys(&mut token);
        assert_eq!(sts_line, format!("✗ sts: {}", token_diagnosis(&mut token)));

        let mut cmd = doctor(&sts, home.path());
        keys(&mut cmd);
        let out = cmd.args(["-o", "json"]).output().unwrap();
        assert!(!out.status.success());
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(report["ok"], false);
        assert_eq!(report["checks"][6]["status"], "fail");
        assert_eq!(report["checks"][6]["details"]["class"], class, "{report}");
        assert!(!report["checks"][6]["fix"].as_str().unwrap().is_empty());
    }
}

#[test]
fn clock_skew_against_stss_date() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    // Two minutes off: a warning, the run still passes.
    sts.clock_offset(120);
    let out = with_alice(&mut doctor(&sts, home.path())).output().unwrap();
    assert_success(&out);
    let text = stdout(&out);
    let clock = text.lines().find(|l| l.contains(" clock: ")).unwrap();
    assert!(
        clock.starts_with("⚠ clock: this machine's clock is 1"),
        "{clock}"
    );
    assert!(
        clock.contains("s behind STS's; sync this machine's clock with NTP"),
        "{clock}"
    );

    // Ten minutes: the presigned URL is still inside STS's 15 minutes, but header-signed
    // calls would be refused: a failure.
    sts.clock_offset(600);
    let lines = failed(&with_alice(&mut doctor(&sts, home.path())).output().unwrap());
    assert!(line(&lines, "sts").starts_with("✓ sts: "), "{lines:#?}");
    let clock = line(&lines, "clock");
    let secs: u64 = clock
        .strip_prefix("✗ clock: this machine's clock is ")
        .and_then(|rest| rest.split_once("s behind STS's; sync this machine's clock"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("{clock}"));
    // The Date header has one-second resolution.
    assert!((590..=610).contains(&secs), "{clock}");

    // Twenty minutes: STS refuses the token itself, as signed at the wrong time.
    sts.clock_offset(1200);
    let lines = failed(&with_alice(&mut doctor(&sts, home.path())).output().unwrap());
    assert!(
        line(&lines, "sts").starts_with(
            "✗ sts: STS refused the request as signed at the wrong time (RequestExpired): this machine's clock is off; sync this machine's clock with NTP"
        ),
        "{lines:#?}"
    );
    assert!(line(&lines, "clock").starts_with("✗ clock: "), "{lines:#?}");
}

#[test]
fn credential_process_failing_and_no_credentials() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile cp]\ncredential_process = sh -c 'echo starting >&2; echo \"fatal: refresh token expired, run login\" >&2; exit 3'\n",
    )
    .unwrap();
    let out = doctor(&sts, home.path())
        .env("AWS_CONFIG_FILE", &config)
        .args(["--profile", "cp"])
        .output()
        .unwrap();
    let lines = failed(&out);
    assert_eq!(
        line(&lines, "credentials"),
        "✗ credentials: failed to load AWS credentials: the credential_process of profile \"cp\" failed with exit status: 3: fatal: refresh token expired, run login; fix the command, or run it by hand to see its whole output"
    );
    assert_eq!(line(&lines, "sts"), "- sts: no credentials to sign with");

    let lines = failed(&doctor(&sts, home.path()).output().unwrap());
    assert_eq!(
        line(&lines, "credentials"),
        "✗ credentials: no AWS credentials found (tried environment variables, profile \"default\" in ~/.aws/config and ~/.aws/credentials, web identity, container and EC2 instance metadata); set AWS_PROFILE to a configured profile, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`"
    );
}

#[test]
fn credential_sources_are_named_from_the_profile() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let config = aws_config_with_base(
        home.path(),
        &format!(
            "[profile chain]\nrole_arn = {DEV_ROLE}\nsource_profile = base\nregion = eu-west-1\n\n[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
        ),
    );
    let run = |profile: &str| {
        let out = doctor(&sts, home.path())
            .env("AWS_CONFIG_FILE", &config)
            .env_remove("AWS_REGION")
            .args(["--profile", profile, "--offline", "-o", "json"])
            .output()
            .unwrap();
        serde_json::from_str::<Value>(&stdout(&out)).unwrap()
    };
    let chain = run("chain");
    assert_eq!(chain["checks"][0]["details"]["source"], "assumeRole");
    assert_eq!(
        chain["checks"][0]["summary"],
        format!(
            "assume-role chain: role {DEV_ROLE} from source_profile \"base\" (profile \"chain\") (not fetched: --offline)"
        )
    );
    assert_eq!(
        chain["checks"][2]["summary"],
        "eu-west-1 (from profile \"chain\")"
    );
    assert_eq!(
        chain["checks"][3]["details"]["host"],
        "sts.eu-west-1.amazonaws.com"
    );
    let sso = run("sso");
    assert_eq!(sso["checks"][0]["details"]["source"], "sso");
    let base = run("base");
    assert_eq!(base["checks"][0]["details"]["source"], "profileStatic");
    assert_eq!(base["checks"][0]["status"], "ok");
    // No region anywhere: the default.
    assert_eq!(base["checks"][2]["details"]["source"], "default");
    assert_eq!(base["checks"][2]["details"]["region"], "us-east-1");
}

#[test]
fn fips_and_dual_stack_endpoints_are_reported() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let out = with_alice(&mut doctor(&sts, home.path()))
        .env("AWS_USE_FIPS_ENDPOINT", "true")
        .args(["--offline"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        stdout(&out).contains("✓ endpoint: tokens name sts-fips.us-west-2.amazonaws.com (FIPS)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn offline_makes_no_network_call() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    sts.reset();
    let out = with_alice(&mut doctor(&sts, home.path()))
        .args(["--offline", "-r", DEV_ROLE])
        .output()
        .unwrap();
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains("- sts: not called: --offline"), "{text}");
    assert!(
        text.contains(&format!(
            "- role: would assume {DEV_ROLE} (not called: --offline)"
        )),
        "{text}"
    );
    let calls = sts.calls();
    assert_eq!(calls["requests"], json!([]), "{calls}");
    assert_eq!(calls["connects"], 0, "{calls}");
}

#[test]
fn the_cache_check_lists_this_clusters_tokens() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let _ = mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "c", "--cache"]));
    let out = with_alice(&mut doctor(&sts, home.path()))
        .args(["--offline", "-o", "json"])
        .output()
        .unwrap();
    assert_success(&out);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let cache = &report["checks"][8];
    assert_eq!(cache["status"], "ok", "{cache}");
    assert_eq!(
        cache["details"]["tokens"].as_array().unwrap().len(),
        1,
        "{cache}"
    );
    assert!(
        cache["summary"]
            .as_str()
            .unwrap()
            .starts_with("1 cached token(s) for cluster \"c\" in "),
        "{cache}"
    );

    // A cache other users can read is a warning: `token --cache` will not use it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = home.path().join(".kube/cache/aws-iam-authenticator");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = with_alice(&mut doctor(&sts, home.path()))
            .args(["--offline"])
            .output()
            .unwrap();
        assert_success(&out);
        let text = stdout(&out);
        let line = text.lines().find(|l| l.contains(" cache: ")).unwrap();
        assert!(
            line.starts_with("⚠ cache: `token --cache` cannot use it: cache "),
            "{line}"
        );
        assert!(line.contains("run `chmod 700 "), "{line}");
    }
}

#[test]
fn an_unknown_profile_fails_credentials_and_skips_what_needs_it() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    sts.reset();
    let out = doctor(&sts, home.path())
        .args(["--profile", "nope", "-o", "json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, IDS);
    assert_eq!(report["checks"][0]["status"], "fail");
    assert_eq!(
        report["checks"][0]["summary"],
        "AWS profile \"nope\" is not defined in ~/.aws/config or ~/.aws/credentials"
    );
    assert_eq!(
        report["checks"][0]["fix"],
        "set AWS_PROFILE to one of `aws configure list-profiles`"
    );
    assert_eq!(report["checks"][6]["status"], "skipped");
    assert_eq!(report["checks"][4]["status"], "ok");
    assert_eq!(sts.count("GetCallerIdentity"), 0);
}

#[test]
fn kubeconfig_exec_users_are_classified() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    let exec = |command: &str, args: &str| {
        format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {command}\n      args: [{args}]\n"
        )
    };
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers:\n- name: ours\n  user:\n{}- name: cli\n  user:\n{}- name: old\n  user:\n{}- name: static\n  user:\n    token: abc\n",
            exec(bin(), "token, -i, c"),
            exec("aws", "eks, get-token, --cluster-name, c"),
            exec("/opt/bin/aws-iam-authenticator", "token, -i, c"),
        ),
    )
    .unwrap();
    let run = |format: &str| {
        with_alice(&mut doctor(&sts, home.path()))
            .env("KUBECONFIG", &kubeconfig)
            .args(["--offline", "-o", format])
            .output()
            .unwrap()
    };
    // A warning, not a failure.
    let out = run("text");
    assert_success(&out);
    let text = stdout(&out);
    let line = text.lines().find(|l| l.contains(" kubeconfig: ")).unwrap();
    assert_eq!(
        line,
        format!(
            "⚠ kubeconfig: in {}: old run another aws-iam-authenticator; cli run `aws eks get-token`; `aws-iam-authenticator kubeconfig migrate` rewrites them to run this binary",
            kubeconfig.display()
        )
    );
    let report: Value = serde_json::from_str(&stdout(&run("json"))).unwrap();
    let users = &report["checks"][9]["details"]["users"];
    let kinds: Vec<(&str, &str)> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ours", "thisBinary"),
            ("cli", "awsCli"),
            ("old", "upstream")
        ]
    );
}
