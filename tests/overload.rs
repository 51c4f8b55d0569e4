//! The webhook under load it did not ask for: a slow STS, a flood of reviews, tokens
//! that each name a different region. Every test runs the real server binary over TLS
//! against the STS stand-in, and checks that what grows is bounded:
//!
//! * the queue of reviews waiting for an STS slot (beyond it: 429 + `Retry-After`);
//! * the time a review may wait for a slot (the same 10 s deadline as the STS call);
//! * the number of metric series that token contents can create.
#![cfg(feature = "server")]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::webhook::{ALICE_CONFIG, Webhook};
use common::*;
use serde_json::Value;

/// Posts TokenReviews concurrently (one thread and one connection per token) and
/// prints one JSON line per answer: status, `Retry-After`, body. Reads a JSON list of
/// tokens on stdin.
const CONCURRENT_CLIENT: &str = r#"
import http.client, json, ssl, sys, threading
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
tokens = json.load(sys.stdin)
out = [None] * len(tokens)
start = threading.Barrier(len(tokens))
def run(i, token):
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                       "spec": {"token": token}}).encode()
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
        conn.connect()
        start.wait()
        conn.request("POST", "/authenticate", body=body,
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        out[i] = {"status": r.status, "retry_after": r.getheader("Retry-After"),
                  "body": r.read().decode(errors="replace")}
    except Exception as e:
        out[i] = {"status": 0, "retry_after": None, "body": "client error: %r" % (e,)}
threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(tokens)]
for t in threads: t.start()
for t in threads: t.join()
for o in out: print(json.dumps(o))
"#;

/// Posts TokenReviews one after another over a single keep-alive connection (so ten
/// thousand take seconds, not minutes) and prints how many got each status.
const SEQUENTIAL_CLIENT: &str = r#"
import collections, http.client, json, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
tokens = json.load(sys.stdin)
counts = collections.Counter()
conn = None
for token in tokens:
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                       "spec": {"token": token}}).encode()
    for attempt in range(3):
        try:
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
            conn.request("POST", "/authenticate", body=body,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            counts[r.status] += 1
            break
        except Exception:
            conn = None
    else:
        counts[0] += 1
print(json.dumps(counts))
"#;

/// Runs a Python client script against `server` with `tokens` on stdin; its stdout.
fn run_client(script: &str, server: &Webhook, tokens: &[String]) -> String {
    let mut child = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(server.port.to_string())
        .arg(server.ca_file())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let input = serde_json::to_vec(tokens).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&input).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "client failed: {:?}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

/// `(status, Retry-After, body)` of each concurrent review.
fn concurrent_reviews(server: &Webhook, tokens: &[String]) -> Vec<(u16, Option<String>, Value)> {
    run_client(CONCURRENT_CLIENT, server, tokens)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let status = v["status"].as_u64().unwrap() as u16;
            let body = serde_json::from_str(v["body"].as_str().unwrap())
                .unwrap_or_else(|e| panic!("{e}: {line}"));
            (status, v["retry_after"].as_str().map(str::to_string), body)
        })
        .collect()
}

/// A fresh token for Alice.
fn alice_token(sts: &StandIn) -> String {
    let home = tempfile::tempdir().unwrap();
    mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "test-cluster"]))
}

/// `token`'s presigned URL with another host, re-encoded (the signature no longer
/// matches, which only STS can tell).
fn with_host(token: &str, host: &str) -> String {
    use base64::Engine;
    let url = decode(token);
    let rest = url.strip_prefix("https://").unwrap();
    let (_, query) = rest.split_once('/').unwrap();
    format!(
        "k8s-aws-v1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("https://{host}/{query}"))
    )
}

/// With one STS slot and a slow STS, one review is in flight and four wait; every
/// further review is answered 429 with `Retry-After: 1` at once instead of being held.
#[test]
fn a_full_sts_queue_answers_429_with_retry_after() {
    let sts = StandIn::start();
    let server = Webhook::start(
        &sts,
        ALICE_CONFIG,
        &["--max-concurrent-sts", "1", "--identity-cache-size", "0"],
    );
    let token = alice_token(&sts);
    assert_eq!(server.username(&token).as_deref(), Some("alice"));

    // Slow enough that all the reviews arrive while the first is still in flight (on a
    // loaded machine thread start-up and TLS take a while), fast enough for it to finish
    // inside the 10 s deadline.
    sts.fault("slow", 7.0);
    let queue = 1 + 4; // in flight + waiting (4 per slot)
    let extra = 6;
    let answers = concurrent_reviews(&server, &vec![token.clone(); queue + extra]);
    let throttled: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 429).collect();
    assert_eq!(throttled.len(), extra, "{answers:?}");
    for (_, retry_after, body) in &throttled {
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(body["kind"], "TokenReview");
        assert!(body["status"]["authenticated"].is_null(), "{body}");
    }
    // The admitted ones were served (the first within the deadline) or timed out.
    let served = answers.iter().filter(|(s, _, _)| *s == 200).count();
    assert!(served >= 1, "{answers:?}");
    assert!(
        answers.iter().all(|(s, _, _)| matches!(s, 200 | 403 | 429)),
        "{answers:?}"
    );
    assert!(sts.count("GetCallerIdentity") as usize <= 1 + queue);
    assert_eq!(
        server.metric(
            "aws_iam_authenticator_authenticate_latency_seconds_count{result=\"sts_throttling\"}"
        ),
        Some(extra as f64)
    );
    assert!(server.logs().contains("STS slots are busy"));

    // Once the flood is over, reviews go through again.
    sts.fault("none", 0.0);
    assert_eq!(server.username(&token).as_deref(), Some("alice"));
}

/// Time spent waiting for a slot counts against the STS deadline: with STS hanging,
/// the reviews queued behind the one in flight give up at the same 10 s, rather than
/// 10 s after the slot frees (20 s, 30 s, …).
/// (`token::sts`'s unit tests check that a waiter gives up at its own deadline.)
#[test]
fn waiting_for_an_sts_slot_counts_against_the_deadline() {
    let sts = StandIn::start();
    let server = Webhook::start(
        &sts,
        ALICE_CONFIG,
        &["--max-concurrent-sts", "1", "--identity-cache-size", "0"],
    );
    let token = alice_token(&sts);
    sts.fault("slow", 60.0);
    let started = std::time::Instant::now();
    let answers = concurrent_reviews(&server, &vec![token.clone(); 3]);
    let elapsed = started.elapsed();
    assert!(answers.iter().all(|(s, _, _)| *s == 403), "{answers:?}");
    // Which message each queued review logs ("waiting for a free STS slot" or, when the
    // slot frees in the last milliseconds of its deadline, "waiting for STS") is a race
    // between timers a few milliseconds apart; the property is the total time.
    // Sequential slots would take at least 30 s; one shared deadline takes about 10.
    assert!(elapsed.as_secs() < 25, "{elapsed:?}");
    sts.fault("none", 0.0);
}

/// Ten thousand tokens, each naming its own well-formed region and failing at STS (the
/// proxy refuses the connection), make no more `StsRegion` series than the partition
/// has regions: every unknown region is `other`.
#[test]
fn random_regions_do_not_grow_metric_series() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, ALICE_CONFIG, &[]);
    let token = alice_token(&sts);
    sts.fault("refuse", 0.0);
    let tokens: Vec<String> = (0..10_000)
        .map(|i| with_host(&token, &format!("sts.us-r{i}x-1.amazonaws.com")))
        .collect();
    let counts: Value =
        serde_json::from_str(run_client(SEQUENTIAL_CLIENT, &server, &tokens).trim()).unwrap();
    assert_eq!(counts["403"], 10_000, "{counts}");
    let metrics = server.metrics();
    let series: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("aws_iam_authenticator_sts_"))
        .collect();
    eprintln!(
        "STS series after 10,000 random-region tokens: {}\n{}",
        series.len(),
        series.join("\n")
    );
    assert_eq!(
        server.metric("aws_iam_authenticator_sts_connection_failures_total{StsRegion=\"other\"}"),
        Some(10_000.0),
        "{metrics}"
    );
    assert!(series.len() <= 2, "{series:?}");

    // Labels that are no region at all never reach STS (or a series).
    sts.fault("none", 0.0);
    sts.reset();
    for label in ["s3", "s3-accelerate", "s3-us-west-2"] {
        let (status, _) = server.review(&with_host(&token, &format!("sts.{label}.amazonaws.com")));
        assert_eq!(status, 403);
    }
    assert_eq!(sts.requests().len(), 0);
    assert!(server.logs().contains("is not a region of partition aws"));
}
