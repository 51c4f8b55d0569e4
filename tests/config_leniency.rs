//! Config files that upstream v0.7.x starts with, because viper decodes them weakly
//! (mapstructure's `WeaklyTypedInput` and its `","` string-to-slice hook for the lists,
//! `cast` for the scalar keys): the server starts with each and maps as upstream would,
//! logging one warning per converted value with its key and line. And what upstream
//! cannot mean (`port: abc`, which it reads as a random port) is refused.
//!
//! Then the one deliberate difference: a role ARN written with its path matches the
//! assumed role (upstream #268), end to end through the STS stand-in.
#![cfg(feature = "server")]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::webhook::{Webhook, within, write_atomically};
use common::*;
use serde_json::json;

fn alice_token(sts: &StandIn, home: &Path) -> String {
    mint(with_alice(&mut sts.command(home)).args(["token", "-i", "test-cluster"]))
}

/// One config file, upstream's verdict on it (derived from mapstructure's and cast's
/// rules), and what Alice must be mapped to.
struct Case {
    name: &'static str,
    upstream: &'static str,
    config: &'static str,
    username: &'static str,
    groups: &'static [&'static str],
    /// A key whose conversion is logged, and the line the log must name.
    logged: (&'static str, usize),
}

const CASES: &[Case] = &[
    Case {
        name: "a single group where the list belongs",
        upstream: "starts; StringToSliceHookFunc(\",\") makes \"devs\" [devs]",
        config: "clusterID: test-cluster
server:
  mapUsers:
  - userarn: arn:aws:iam::111122223333:user/alice
    username: alice
    groups: devs
",
        username: "alice",
        groups: &["devs"],
        logged: ("server.mapUsers[0].groups", 6),
    },
    Case {
        name: "a comma-separated group string",
        upstream: "starts; the hook splits on commas",
        config: "clusterID: test-cluster
server:
  mapUsers:
  - userarn: arn:aws:iam::111122223333:user/alice
    username: alice
    groups: \"devs,ops\"
",
        username: "alice",
        groups: &["devs", "ops"],
        logged: ("server.mapUsers[0].groups", 6),
    },
    Case {
        name: "a number where the username belongs",
        upstream: "starts; WeaklyTypedInput formats numbers in base 10",
        config: "clusterID: test-cluster
server:
  mapUsers:
  - userarn: arn:aws:iam::111122223333:user/alice
    username: 12345
    groups: [devs, 7]
",
        username: "12345",
        groups: &["devs", "7"],
        logged: ("server.mapUsers[0].username", 5),
    },
    Case {
        name: "a single account where the list belongs",
        upstream: "starts; WeaklyTypedInput lifts a single value into a one-item slice",
        config: "clusterID: test-cluster
server:
  mapAccounts: 111122223333
",
        username: ALICE_ARN,
        groups: &[],
        logged: ("server.mapAccounts", 3),
    },
    Case {
        name: "a lone mapping written without `- `",
        upstream: "starts; WeaklyTypedInput lifts a non-empty map into a one-item slice",
        config: "clusterID: test-cluster
server:
  mapUsers:
    userarn: arn:aws:iam::111122223333:user/alice
    username: alice
",
        username: "alice",
        groups: &[],
        logged: ("server.mapUsers", 3),
    },
];

#[test]
fn configs_upstream_starts_with_start_and_map_as_upstream() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    for case in CASES {
        let server = Webhook::start(&sts, case.config, &[]);
        let (status, body) = server.review(&alice_token(&sts, home.path()));
        let context = format!("{} (upstream: {})", case.name, case.upstream);
        assert_eq!(status, 200, "{context}: {body}");
        let user = &body["status"]["user"];
        assert_eq!(body["status"]["authenticated"], true, "{context}: {body}");
        assert_eq!(user["username"], case.username, "{context}: {body}");
        assert_eq!(
            user["groups"].as_array().cloned().unwrap_or_default(),
            json!(case.groups).as_array().cloned().unwrap_or_default(),
            "{context}: {body}"
        );
        let (key, line) = case.logged;
        let logs = server.logs();
        assert!(
            logs.lines().any(|l| l.contains(key)
                && l.contains(&format!("(line {line})"))
                && l.contains("config.yaml")),
            "{context}: no warning naming {key} and line {line} in:\n{logs}"
        );
    }
}

#[test]
fn a_port_that_cannot_be_meant_is_refused() {
    // Upstream reads `port: abc` as 0 and listens on a random port: nobody means that.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.yaml");
    std::fs::write(&config, "clusterID: c\nserver:\n  port: abc\n").unwrap();
    let out = Command::new(bin())
        .arg("server")
        .arg("-c")
        .arg(&config)
        .args(["--health-port", "0"])
        .arg("--state-dir")
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("c.yaml") && err.contains("port") && err.contains("non-negative integer"),
        "{err}"
    );
}

fn path_role_token(sts: &StandIn, home: &Path) -> String {
    mint(with_alice(&mut sts.command(home)).args([
        "token",
        "-i",
        "test-cluster",
        "-r",
        PATH_ROLE,
        "-s",
        "ops-session",
    ]))
}

/// `arn:aws:iam::111122223333:role/teams/platform/admin` is assumed as
/// `assumed-role/admin/ops-session` (STS drops the path). Upstream answers 403; here the
/// mapping matches, in the MountedFile and DynamicFile backends.
#[test]
fn role_arns_with_paths_match_the_assumed_role() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        "clusterID: test-cluster
server:
  mapRoles:
  - rolearn: {PATH_ROLE}
    username: \"platform:{{{{SessionName}}}}\"
    groups: [platform-admins]
"
    );
    let server = Webhook::start(&sts, &config, &[]);
    let (status, body) = server.review(&path_role_token(&sts, home.path()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["user"]["username"], "platform:ops-session");
    assert_eq!(body["status"]["user"]["groups"], json!(["platform-admins"]));
    assert_eq!(
        body["status"]["user"]["uid"],
        "aws-iam-authenticator:111122223333:AROAPATHEXAMPLE00001"
    );
    let logs = server.logs();
    assert!(
        logs.contains("has a path") && logs.contains("arn:aws:iam::111122223333:role/admin"),
        "{logs}"
    );
    drop(server);

    // The DynamicFile, written after the server starts.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mappings.json");
    let server = Webhook::start(
        &sts,
        &format!(
            "clusterID: test-cluster\nserver:\n  backendMode: [DynamicFile]\n  dynamicfilepath: {}\n",
            file.display()
        ),
        &[],
    );
    let mappings = json!({
        "Version": "1",
        "LastUpdatedDateTime": "1700000000",
        "mapRoles": [{"rolearn": PATH_ROLE, "username": "dyn-admin", "groups": "platform-admins"}]
    });
    write_atomically(&file, &mappings.to_string());
    let token = path_role_token(&sts, home.path());
    let ((status, body), _) = within(Duration::from_secs(20), "the DynamicFile to load", || {
        let (status, body) = server.review(&token);
        (status == 200).then_some((status, body))
    });
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["user"]["username"], "dyn-admin");
    assert_eq!(body["status"]["user"]["groups"], json!(["platform-admins"]));
}
