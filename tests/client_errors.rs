//! `token`'s errors are one line naming the problem and the fix, for each class the
//! classifier (`aws_iam_authenticator::diagnose`) knows, with real peers: the STS
//! stand-in through HTTPS_PROXY, a closed port, an unresolvable proxy host, a CA the
//! client does not trust, a failing `credential_process`, an IMDS that answers 403.
//! No SDK `Debug` dump (`DispatchFailure`, `ConnectorError`, `ProviderError`) and no
//! secret may appear.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

use common::*;
use serde_json::{Value, json};

const LOCKED_ROLE: &str = "arn:aws:iam::111122223333:role/locked";
const EXPIRED_AKID: &str = "ASIAEXPIREDEXAMPLE01";
const EXPIRED_SECRET: &str = "expiredSecretEXAMPLEabcdefghijklmnopqrst";
const EXPIRED_SESSION: &str = "expiredSessionTokenEXAMPLE";

/// The default stand-in plus a role that trusts only Bob and a session credential that
/// expired in 2020.
fn config() -> Value {
    let mut config = default_config();
    config["roles"].as_array_mut().unwrap().push(json!(
        {"arn": LOCKED_ROLE, "role_id": "AROALOCKEDEXAMPLE001", "trusted": [BOB_ARN]}
    ));
    config["users"].as_array_mut().unwrap().push(json!({
        "access_key_id": EXPIRED_AKID, "secret_access_key": EXPIRED_SECRET,
        "session_token": EXPIRED_SESSION, "expiration": "2020-01-01T00:00:00Z",
        "arn": "arn:aws:sts::111122223333:assumed-role/dev/old"
    }));
    config
}

/// `token` failed with exactly one line, free of Debug dumps and secrets; the line.
#[track_caller]
fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "token succeeded: {}", stdout(out));
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for dump in [
        "DispatchFailure",
        "ConnectorError",
        "ProviderError",
        "{",
        "}",
    ] {
        assert!(!err.contains(dump), "{dump} in: {err}");
    }
    for secret in [
        ALICE_SECRET,
        BOB_SECRET,
        EXPIRED_SECRET,
        EXPIRED_SESSION,
        "X-Amz-Signature",
    ] {
        assert!(!err.contains(secret), "secret in: {err}");
    }
    err.trim_end().to_string()
}

fn token_as(sts: &StandIn, home: &std::path::Path, akid: &str, secret: &str) -> Command {
    let mut cmd = sts.command(home);
    cmd.env("AWS_ACCESS_KEY_ID", akid)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .args(["token", "-i", "c"]);
    cmd
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    free_port()
}

#[test]
fn proxy_refusing_the_connection_names_proxy_endpoint_and_fix() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let port = closed_port();
    let out = token_as(&sts, home.path(), ALICE_AKID, ALICE_SECRET)
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{port}"))
        .args(["-r", DEV_ROLE])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "Error: could not get token: failed to assume role {DEV_ROLE}: cannot connect: the proxy 127.0.0.1:{port} refused the connection for sts.us-west-2.amazonaws.com:443; check that the proxy 127.0.0.1:{port} is up and HTTPS_PROXY is right, or list sts.us-west-2.amazonaws.com in NO_PROXY to connect directly (connection refused)"
        )
    );
}

#[test]
fn a_closed_sts_endpoint_names_the_variable_that_set_it() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let port = closed_port();
    let out = token_as(&sts, home.path(), ALICE_AKID, ALICE_SECRET)
        .env("AWS_ENDPOINT_URL_STS", format!("http://127.0.0.1:{port}"))
        .args(["-r", DEV_ROLE])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "Error: could not get token: failed to assume role {DEV_ROLE}: cannot connect: 127.0.0.1:{port} refused the connection (no proxy); check AWS_ENDPOINT_URL_STS, or unset it to use the AWS endpoint"
        )
    );
}

#[test]
fn dns_failures_name_the_host_that_did_not_resolve() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    // `.invalid` never resolves (RFC 6761).
    let out = token_as(&sts, home.path(), ALICE_AKID, ALICE_SECRET)
        .env("HTTPS_PROXY", "http://proxy.example.invalid:3128")
        .args(["-r", DEV_ROLE])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "Error: could not get token: failed to assume role {DEV_ROLE}: cannot resolve the proxy host proxy.example.invalid (from HTTPS_PROXY) to reach sts.us-west-2.amazonaws.com:443; fix HTTPS_PROXY, or list sts.us-west-2.amazonaws.com in NO_PROXY to connect directly"
        )
    );

    let out = token_as(&sts, home.path(), ALICE_AKID, ALICE_SECRET)
        .env_remove("HTTPS_PROXY")
        .env("AWS_ENDPOINT_URL_STS", "https://sts.example.invalid")
        .args(["-r", DEV_ROLE])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "Error: could not get token: failed to assume role {DEV_ROLE}: cannot resolve sts.example.invalid (DNS lookup failed, no proxy); fix the host name in AWS_ENDPOINT_URL_STS"
        )
    );
}

#[test]
fn an_untrusted_certificate_names_the_ca_variables() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let out = token_as(&sts, home.path(), ALICE_AKID, ALICE_SECRET)
        .env_remove("AWS_CA_BUNDLE")
        // A real bundle without the stand-in's CA.
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .args(["-r", DEV_ROLE])
        .output()
        .unwrap();
    let proxy = sts.proxy_url.trim_start_matches("http://");
    assert_eq!(
        one_line_error(&out),
        format!(
            "Error: could not get token: failed to assume role {DEV_ROLE}: TLS with sts.us-west-2.amazonaws.com:443 failed (through the proxy {proxy}, which may be inspecting TLS): certificate signed by unknown authority; add the issuing CA (your proxy's or network's) as a PEM file in AWS_CA_BUNDLE, or point SSL_CERT_FILE at a bundle that holds it"
        )
    );
}

#[test]
fn sts_error_codes_say_clock_or_keys() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let prefix = format!("Error: could not get token: failed to assume role {DEV_ROLE}: ");

    let out = token_as(
        &sts,
        home.path(),
        ALICE_AKID,
        "wrongSecretEXAMPLEabcdefghijklmnopqrstuv",
    )
    .args(["-r", DEV_ROLE])
    .output()
    .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "{prefix}STS says the signature does not match (SignatureDoesNotMatch): the secret access key is wrong for this access key ID; set the secret that belongs to the key (aws_secret_access_key in ~/.aws/credentials or AWS_SECRET_ACCESS_KEY); if the key was rotated, update both halves"
        )
    );

    let out = token_as(&sts, home.path(), "AKIAUNKNOWNEXAMPLE01", ALICE_SECRET)
        .args(["-r", DEV_ROLE])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "{prefix}STS does not recognise the access key (InvalidClientTokenId): it was deleted or rotated, belongs to another AWS partition, or its session token is missing; update the keys (`aws configure`, or export the current AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN together); the clock is not the problem"
        )
    );

    let out = token_as(&sts, home.path(), EXPIRED_AKID, EXPIRED_SECRET)
        .env("AWS_SESSION_TOKEN", EXPIRED_SESSION)
        .args(["-r", DEV_ROLE])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "{prefix}the AWS session credentials have expired (STS ExpiredToken); get fresh ones: `aws sso login` for an SSO profile, or re-run whatever exported AWS_SESSION_TOKEN; the clock is not the problem"
        )
    );
}

#[test]
fn access_denied_names_role_caller_and_trust_policy() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let out = token_as(&sts, home.path(), ALICE_AKID, ALICE_SECRET)
        .args(["-r", LOCKED_ROLE])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "Error: could not get token: {ALICE_ARN} is not authorized to assume role {LOCKED_ROLE} (AccessDenied); the role's trust policy must allow sts:AssumeRole for {ALICE_ARN}, and that identity's own policies must allow sts:AssumeRole on the role"
        )
    );
    // With an external ID the fix names its condition too.
    let out = token_as(&sts, home.path(), ALICE_AKID, ALICE_SECRET)
        .args(["-r", EXT_ROLE, "-e", "wrong"])
        .output()
        .unwrap();
    let line = one_line_error(&out);
    assert!(
        line.ends_with("and --external-id must match its sts:ExternalId condition, and that identity's own policies must allow sts:AssumeRole on the role"),
        "{line}"
    );
}

#[test]
fn a_failing_credential_process_gives_its_status_and_last_stderr_line() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile cp]\ncredential_process = sh -c 'echo starting >&2; echo \"fatal: refresh token expired, run login\" >&2; exit 3'\n",
    )
    .unwrap();
    let out = sts
        .command(home.path())
        .env("AWS_CONFIG_FILE", &config)
        .args(["token", "-i", "c", "--profile", "cp"])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        "Error: could not get token: failed to load AWS credentials: the credential_process of profile \"cp\" failed with exit status: 3: fatal: refresh token expired, run login; fix the command, or run it by hand to see its whole output"
    );
    // The whole chain is there at debug level.
    let out = sts
        .command(home.path())
        .env("AWS_CONFIG_FILE", &config)
        .args(["token", "-i", "c", "--profile", "cp", "-v", "debug"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.contains("error source chain") && l.contains("starting")),
        "{err}"
    );
}

/// An IMDS that refuses everything with 403 (IMDS disabled on the instance).
fn imds_refusing() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    port
}

#[test]
fn imds_refusing_says_so_and_how_to_give_credentials_instead() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let port = imds_refusing();
    let out = sts
        .command(home.path())
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .args(["token", "-i", "c"])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        format!(
            "Error: could not get token: failed to load AWS credentials: EC2 instance metadata at http://127.0.0.1:{port} refused the credentials request (HTTP 403: IMDS is disabled, or IMDSv2 tokens are blocked for this caller); give credentials another way (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or set AWS_EC2_METADATA_DISABLED=true off EC2"
        )
    );
}

#[test]
fn no_credentials_at_all() {
    let sts = StandIn::start_with(config());
    let home = tempfile::tempdir().unwrap();
    let out = sts
        .command(home.path())
        .args(["token", "-i", "c"])
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out),
        "Error: could not get token: no AWS credentials found (tried environment variables, profile \"default\" in ~/.aws/config and ~/.aws/credentials, web identity, container and EC2 instance metadata); set AWS_PROFILE to a configured profile, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`"
    );
}
