//! `{{EC2PrivateDNSName}}` against moto's EC2 (a real DescribeInstances Query API with
//! its own XML answers and error documents).
//!
//! Instances are created with boto3, so their IDs and private DNS names come from
//! moto, not from this file. The library tests run in a child process of this test
//! binary: the lookup reads its endpoint, region and credentials from the environment,
//! and changing the environment of the test process itself would need `unsafe`.
#![cfg(feature = "server")]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_iam_authenticator::mapper::ec2::{CallObserver, Ec2PrivateDns, Ec2Settings};
use common::moto::Moto;
use common::webhook::Webhook;
use common::*;
use serde_json::{Value, json};

const UNKNOWN: &str = "i-0123456789abcdef0";
const CHILD_ENV: &str = "AIA_EC2_TEST_CHILD";

/// The EC2 side of moto for these tests.
trait Ec2Moto {
    fn run_instances(&self, count: usize) -> Vec<(String, String)>;
    fn posts(&self) -> usize;
}

impl Ec2Moto for Moto {
    /// Runs `count` instances with boto3; returns (id, private DNS name) as EC2 reports
    /// them in DescribeInstances.
    fn run_instances(&self, count: usize) -> Vec<(String, String)> {
        let script = r#"
import boto3, json, sys
ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=sys.argv[1],
                   aws_access_key_id="AKIDMOTO", aws_secret_access_key="moto-secret")
n = int(sys.argv[2])
ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n,
                                                  InstanceType="t3.micro")["Instances"]]
out = []
for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]:
    out += [[i["InstanceId"], i["PrivateDnsName"]] for i in r["Instances"]]
print(json.dumps(out))
"#;
        let out = Command::new(python())
            .args(["-c", script, &self.url(), &count.to_string()])
            .output()
            .unwrap();
        assert_success(&out);
        let pairs: Vec<(String, String)> = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(pairs.len(), count);
        for (id, dns) in &pairs {
            assert!(id.starts_with("i-") && !dns.is_empty(), "{id} {dns}");
        }
        pairs
    }

    /// DescribeInstances-style POSTs moto has answered so far (its request log).
    fn posts(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("\"POST / HTTP/1.1\""))
            .count()
    }
}

/// Fake keys, a region and an EC2 endpoint: what the lookup reads from the environment.
fn ec2_vars(endpoint: &str) -> [(&'static str, String); 4] {
    [
        ("AWS_ACCESS_KEY_ID", "AKIDMOTOSERVER000001".into()),
        ("AWS_SECRET_ACCESS_KEY", "moto-server-secret".into()),
        ("AWS_REGION", "us-west-2".into()),
        ("AWS_ENDPOINT_URL_EC2", endpoint.into()),
    ]
}

/// A clean environment in which the lookup reaches `endpoint`.
fn lookup_env<'c>(cmd: &'c mut Command, endpoint: &str, home: &Path) -> &'c mut Command {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(ec2_vars(endpoint))
        .env("NO_PROXY", "127.0.0.1,localhost")
}

#[test]
fn library_lookups_against_moto() {
    let moto = Moto::start();
    let instances = moto.run_instances(20);
    let home = tempfile::tempdir().unwrap();
    let posts_before = moto.posts();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    lookup_env(&mut cmd, &moto.url(), home.path());
    let out = cmd
        .env(CHILD_ENV, json!(instances).to_string())
        .args([
            "--exact",
            "child_library_lookups",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success() && stdout(&out).contains("1 passed"),
        "child failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    // The child reports how many calls it made; moto saw exactly those.
    let reported: usize = stdout(&out)
        .lines()
        .find_map(|l| l.split("EC2-CALLS=").nth(1))
        .expect("call count line")
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    eprintln!("DescribeInstances calls made by the child: {reported}");
    assert_eq!(moto.posts() - posts_before, reported);
}

/// Runs only as the child of `library_lookups_against_moto`.
#[test]
fn child_library_lookups() {
    let Ok(instances) = std::env::var(CHILD_ENV) else {
        return;
    };
    let instances: Vec<(String, String)> = serde_json::from_str(&instances).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let observe: CallObserver = Arc::new(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        let dns = Ec2PrivateDns::new(Ec2Settings::default(), Some(observe)).unwrap();
        let calls_now = || calls.load(Ordering::SeqCst);

        // 1. Fifteen distinct IDs at once: batched, far fewer calls than lookups.
        let (batch, rest) = instances.split_at(15);
        let results =
            futures_util::future::join_all(batch.iter().map(|(id, _)| dns.lookup(id))).await;
        for ((id, want), got) in batch.iter().zip(results) {
            assert_eq!(got.as_deref(), Ok(want.as_str()), "{id}");
        }
        assert!(
            calls_now() >= 1 && calls_now() < 15,
            "{} calls",
            calls_now()
        );
        let after_batch = calls_now();

        // 2. Cached: no call.
        for (id, want) in batch {
            assert_eq!(dns.lookup(id).await.as_deref(), Ok(want.as_str()));
        }
        assert_eq!(calls_now(), after_batch);

        // 3. Twenty concurrent lookups of one new ID: one call.
        let (one, one_dns) = &rest[0];
        let results = futures_util::future::join_all((0..20).map(|_| dns.lookup(one))).await;
        for got in results {
            assert_eq!(got.as_deref(), Ok(one_dns.as_str()));
        }
        assert_eq!(calls_now(), after_batch + 1);

        // 4. An unknown ID: upstream's "not found" text.
        let err = dns.lookup(UNKNOWN).await.unwrap_err();
        assert_eq!(err.to_string(), format!("failed to find node {UNKNOWN} "));

        // 5. Unknown IDs in a batch do not fail the known ones.
        let mixed: Vec<&str> = vec![
            rest[1].0.as_str(),
            UNKNOWN,
            rest[2].0.as_str(),
            "i-0123456789abcdef1",
            rest[3].0.as_str(),
        ];
        let results = futures_util::future::join_all(mixed.iter().map(|id| dns.lookup(id))).await;
        assert_eq!(results[0].as_deref(), Ok(rest[1].1.as_str()));
        assert_eq!(results[2].as_deref(), Ok(rest[2].1.as_str()));
        assert_eq!(results[4].as_deref(), Ok(rest[3].1.as_str()));
        assert!(
            results[1]
                .as_ref()
                .is_err_and(|e| e.to_string() == format!("failed to find node {UNKNOWN} "))
        );
        assert!(results[3].is_err());
        println!("EC2-CALLS={}", calls_now());
    });
}

#[test]
fn an_unreachable_endpoint_gives_upstreams_query_error() {
    // Runs in a child for the same reason; the endpoint is a closed port.
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = lookup_env(
        &mut Command::new(std::env::current_exe().unwrap()),
        &format!("http://127.0.0.1:{port}"),
        home.path(),
    )
    .env("AIA_EC2_UNREACHABLE", "1")
    .args(["--exact", "child_unreachable", "--nocapture"])
    .output()
    .unwrap();
    assert!(
        out.status.success() && stdout(&out).contains("1 passed"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn child_unreachable() {
    if std::env::var_os("AIA_EC2_UNREACHABLE").is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dns = Ec2PrivateDns::new(Ec2Settings::default(), None).unwrap();
        let err = dns.lookup("i-00000001").await.unwrap_err().to_string();
        assert!(
            err.starts_with(
                "failed querying private DNS from EC2 API for node i-00000001: operation error EC2: DescribeInstances, "
            ),
            "{err}"
        );
        // Keys never appear in errors.
        assert!(!err.contains("moto-server-secret"), "{err}");
    });
}

const SOURCE_ARN: &str = "arn:aws:eks:us-west-2:111122223333:cluster/prod";

#[test]
fn the_ec2_role_is_assumed_once_with_the_source_headers() {
    let moto = Moto::start();
    let instances = moto.run_instances(2);
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    lookup_env(&mut cmd, &moto.url(), home.path());
    let out = with_alice(&mut cmd)
        .env("HTTPS_PROXY", &sts.proxy_url)
        .env("AWS_CA_BUNDLE", &sts.ca_file)
        .env("AIA_EC2_ROLE_CHILD", json!(instances).to_string())
        .args(["--exact", "child_role_lookups", "--nocapture"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && stdout(&out).contains("1 passed"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    // Two lookups, one AssumeRole (the session is cached), with both headers.
    let assumes: Vec<Value> = sts
        .requests()
        .into_iter()
        .filter(|r| r["action"] == "AssumeRole")
        .collect();
    assert_eq!(assumes.len(), 1, "{assumes:?}");
    assert_eq!(assumes[0]["status"], 200);
    assert_eq!(assumes[0]["access_key_id"], ALICE_AKID);
    assert_eq!(assumes[0]["source_account"], "111122223333");
    assert_eq!(assumes[0]["source_arn"], SOURCE_ARN);
}

#[test]
fn child_role_lookups() {
    let Ok(instances) = std::env::var("AIA_EC2_ROLE_CHILD") else {
        return;
    };
    let instances: Vec<(String, String)> = serde_json::from_str(&instances).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let settings = Ec2Settings {
            role_arn: Some(DEV_ROLE.to_string()),
            source_arn: Some(SOURCE_ARN.to_string()),
            ..Ec2Settings::default()
        };
        let dns = Ec2PrivateDns::new(settings, None).unwrap();
        for (id, want) in &instances {
            assert_eq!(dns.lookup(id).await.as_deref(), Ok(want.as_str()));
        }
    });
}

// ---------------------------------------------------------------------------------------
// End to end: the server binary, the STS stand-in and moto
// ---------------------------------------------------------------------------------------

/// The server binary with `config`, reaching STS through the stand-in and EC2 at moto.
fn start_server(sts: &StandIn, moto: &Moto, config: &str) -> Webhook {
    Webhook::builder(sts)
        .config(config)
        .envs(ec2_vars(&moto.url()))
        .start()
}

/// DescribeInstances calls the server has made.
fn ec2_calls(server: &Webhook) -> u64 {
    server
        .metric("aws_iam_authenticator_ec2_describe_instances_calls_total")
        .expect("ec2 metric") as u64
}

fn node_token(sts: &StandIn, home: &Path, instance_id: &str) -> String {
    mint(with_alice(&mut sts.command(home)).args([
        "token",
        "-i",
        "ec2-cluster",
        "-r",
        DEV_ROLE,
        "-s",
        instance_id,
    ]))
}

#[test]
fn server_maps_a_node_role_session_to_its_private_dns_name() {
    let moto = Moto::start();
    let instances = moto.run_instances(2);
    let sts = StandIn::start();
    let config = format!(
        "clusterID: ec2-cluster\nserver:\n  mapRoles:\n  - rolearn: {DEV_ROLE}\n    username: \"system:node:{{{{EC2PrivateDNSName}}}}\"\n    groups:\n    - system:nodes\n"
    );
    let server = start_server(&sts, &moto, &config);
    let home = tempfile::tempdir().unwrap();

    let (id, private_dns) = &instances[0];
    let token = node_token(&sts, home.path(), id);
    let (status, body) = server.review(&token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["authenticated"], true);
    assert_eq!(
        body["status"]["user"]["username"],
        format!("system:node:{private_dns}")
    );
    assert_eq!(body["status"]["user"]["groups"], json!(["system:nodes"]));
    assert_eq!(body["status"]["user"]["extra"]["sessionName"], json!([id]));
    assert_eq!(ec2_calls(&server), 1);

    // Again: answered from the cache.
    let (status, _) = server.review(&token);
    assert_eq!(status, 200);
    assert_eq!(ec2_calls(&server), 1);

    // An instance EC2 does not know is denied with the usual denial body.
    let unknown = node_token(&sts, home.path(), UNKNOWN);
    let (status, body) = server.review(&unknown);
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
               "metadata": {}, "spec": {}, "status": {"user": {}}})
    );
    assert_eq!(ec2_calls(&server), 2);
}
