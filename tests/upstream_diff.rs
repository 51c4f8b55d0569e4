//! Side by side with upstream: upstream aws-iam-authenticator v0.7.18 (Go, built by
//! `tests/support/upstream.sh build`) and ours get the same inputs — the same config, the
//! same STS stand-in, the same tokens — and what an operator sees is diffed: TokenReview
//! bodies, `/metrics` names, types and labels, log lines, `verify` and `init` output, and
//! the verdict on config edge cases. A difference fails the test unless [`ALLOWED`] lists
//! it; docs/server.md "Differences from upstream, checked" mirrors that table. This is what makes
//! "drop-in" a fact rather than a claim.
//!
//! The upstream binary is required, not optional: without it every test here fails and
//! says how to build it (`.ci/run` builds it and exports `AIA_UPSTREAM_BIN`).
#![cfg(feature = "server")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::webhook::{Builder, Webhook};
use common::*;
use serde_json::{Value, json};

const UPSTREAM_VERSION: &str = "v0.7.18";

/// Which surface a difference is on, what it is, and why it is allowed. Each entry is
/// consulted by the comparison below; docs/server.md "Differences from upstream,
/// checked" lists the same.
struct Allowed {
    surface: &'static str,
    /// What the comparison reports (a key, a metric name prefix, a log message).
    item: &'static str,
    why: &'static str,
}

const ALLOWED: &[Allowed] = &[
    Allowed {
        surface: "tokenreview",
        item: "apiVersion",
        why: "ours answers in the request's apiVersion with kind TokenReview; upstream omits both",
    },
    Allowed {
        surface: "tokenreview",
        item: "kind",
        why: "as apiVersion",
    },
    Allowed {
        surface: "metrics-extra",
        item: "aws_iam_authenticator_identity_cache_",
        why: "ours caches verified identities (docs/server.md, \"Verified-identity cache\"); upstream has no cache",
    },
    Allowed {
        surface: "metrics-extra",
        item: "aws_iam_authenticator_build_info",
        why: "ours exports its version and commit",
    },
    Allowed {
        surface: "metrics-absent",
        item: "go_",
        why: "Go runtime metrics of upstream's client_golang registry",
    },
    Allowed {
        surface: "metrics-absent",
        item: "promhttp_",
        why: "client_golang's own handler metrics",
    },
    Allowed {
        surface: "metrics-absent",
        item: "process_network_",
        why: "client_golang's process collector reads the network namespace's \
              /proc/self/net/dev: not the process's own traffic",
    },
    Allowed {
        surface: "log-absent",
        item: "Starting the h.ec2Provider.startEc2DescribeBatchProcessing",
        why: "names a Go function; ours starts its EC2 batching on first use",
    },
    Allowed {
        surface: "log-absent",
        item: "failed to get region from IMDS for handler configuration",
        why: "upstream asks IMDS even when AWS_EC2_METADATA_DISABLED says not to; ours \
              honours it, does not ask, and has nothing to log",
    },
    Allowed {
        surface: "stderr",
        item: "[Warn] Region not found in instance metadata",
        why: "upstream's `verify` asks IMDS even when AWS_EC2_METADATA_DISABLED says not to; \
              ours does not ask, so has nothing to warn about",
    },
    Allowed {
        surface: "usage",
        item: "Usage",
        why: "after a usage error, clap's one-line usage rather than cobra's flag table",
    },
    Allowed {
        surface: "version",
        item: "Authenticator Version: ",
        why: "the banner names each binary's own version and commit",
    },
];

/// Whether `item` (a key, metric name, log message or output line) is a listed
/// difference on `surface`: entries match by prefix.
fn allowed(surface: &str, item: &str) -> bool {
    ALLOWED
        .iter()
        .any(|a| a.surface == surface && item.starts_with(a.item))
}

/// Values that differ from run to run: temp dirs, ports, request IDs.
fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = [
            ("/tmp/.tmp", "<TMP>", 0),
            ("127.0.0.1:", "127.0.0.1:<PORT>", 1),
            ("RequestId\": \"", "RequestId\": \"<ID>", 2),
            ("RequestId\\\": \\\"", "RequestId\\\": \\\"<ID>", 2),
        ]
        .into_iter()
        .filter_map(|(pat, rep, kind)| rest.find(pat).map(|i| (i, pat, rep, kind)))
        .min_by_key(|&(i, ..)| i);
        let Some((i, pat, rep, kind)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        out.push_str(rep);
        let tail = &rest[i + pat.len()..];
        let skip = match kind {
            0 => tail
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(tail.len()),
            1 => tail
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(tail.len()),
            _ => tail
                .find(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
                .unwrap_or(tail.len()),
        };
        rest = &tail[skip..];
    }
}

/// Upstream's binary: `AIA_UPSTREAM_BIN`, else where `tests/support/upstream.sh build` puts it.
fn upstream_bin() -> PathBuf {
    let path = std::env::var_os("AIA_UPSTREAM_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            cache_dir()
                .join("upstream")
                .join(UPSTREAM_VERSION)
                .join("aws-iam-authenticator")
        });
    assert!(
        path.exists(),
        "upstream aws-iam-authenticator {UPSTREAM_VERSION} not found at {}: build it with \
         `bash tests/support/upstream.sh build` (about 5 minutes cold, cached in $AIA_CACHE; \
         `.ci/run` does this) or point AIA_UPSTREAM_BIN at one",
        path.display()
    );
    path
}

/// Upstream's health listener is fixed at :21363, so one upstream server at a time.
fn one_upstream() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

const CONFIG: &str = r#"
clusterID: test-cluster
server:
  mapUsers:
  - userarn: arn:aws:iam::111122223333:user/alice
    username: alice
    groups:
    - devs
  mapRoles:
  - rolearn: arn:aws:iam::111122223333:role/dev
    username: "dev:{{SessionName}}"
    groups:
    - devs
"#;

/// The same options for both servers; `upstream` picks the binary.
fn server<'a>(sts: &'a StandIn, upstream: bool) -> Builder<'a> {
    let b = Webhook::builder(sts).env("SSL_CERT_FILE", &sts.ca_file);
    if upstream {
        b.program(&upstream_bin())
    } else {
        b
    }
}

/// Both servers on `config`, ours first.
fn both(sts: &StandIn, config: &str) -> (Webhook, Webhook) {
    (
        server(sts, false).config(config).start(),
        server(sts, true).config(config).start(),
    )
}

fn token(sts: &StandIn, home: &Path, args: &[&str]) -> String {
    mint(with_alice(&mut sts.command(home)).arg("token").args(args))
}

/// A token signed 16 minutes ago (presigned URLs live 15).
fn expired_token() -> String {
    use aws_credential_types::Credentials;
    use aws_iam_authenticator::token::{TokenRequest, generate};
    let creds = Credentials::new(ALICE_AKID, ALICE_SECRET, None, None, "test");
    generate(&TokenRequest {
        cluster_id: "test-cluster",
        host: "sts.us-west-2.amazonaws.com",
        region: "us-west-2",
        credentials: &creds,
        signing_time: std::time::SystemTime::now() - Duration::from_secs(16 * 60),
    })
    .unwrap()
    .token
}

/// The inputs of the TokenReview comparison: name and request body.
fn review_inputs(sts: &StandIn, home: &Path) -> Vec<(&'static str, String)> {
    let bob = mint(
        sts.command(home)
            .env("AWS_ACCESS_KEY_ID", BOB_AKID)
            .env("AWS_SECRET_ACCESS_KEY", BOB_SECRET)
            .args(["token", "-i", "test-cluster"]),
    );
    let review = |t: &str| {
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": t}})
            .to_string()
    };
    vec![
        (
            "mapped user",
            review(&token(sts, home, &["-i", "test-cluster"])),
        ),
        (
            "mapped role with {{SessionName}}",
            review(&token(
                sts,
                home,
                &["-i", "test-cluster", "-r", DEV_ROLE, "-s", "alice-session"],
            )),
        ),
        ("unmapped identity", review(&bob)),
        ("malformed token", review("k8s-aws-v1.%%%not-base64")),
        (
            "token for another cluster",
            review(&token(sts, home, &["-i", "other-cluster"])),
        ),
        ("expired token", review(&expired_token())),
        ("empty body", String::new()),
    ]
}

/// A JSON body with the allowed differences removed; non-JSON bodies as a string.
fn comparable_review(body: &str) -> Value {
    let mut v: Value = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.into()));
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !allowed("tokenreview", k));
    }
    v
}

#[test]
fn token_reviews_metrics_and_logs_match_upstream() {
    let _one = one_upstream();
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let (ours, theirs) = both(&sts, CONFIG);
    let mut diffs = Vec::new();
    for (name, body) in review_inputs(&sts, home.path()) {
        let (s1, b1) = ours.request("POST", "/authenticate", &body);
        let (s2, b2) = theirs.request("POST", "/authenticate", &body);
        eprintln!("{name}: ours {s1} {b1}\n{name}: upstream {s2} {b2}");
        if s1 != s2 || comparable_review(&b1) != comparable_review(&b2) {
            diffs.push(format!("{name}: ours {s1} {b1} / upstream {s2} {b2}"));
        }
    }
    let m1 = ours.metrics();
    let m2 = theirs.metrics();
    eprintln!("--- our metrics\n{m1}\n--- upstream metrics\n{m2}");
    diffs.extend(metric_diffs(&m1, &m2));
    let l1 = ours.logs();
    let l2 = theirs.logs();
    eprintln!("--- our log\n{l1}\n--- upstream log\n{l2}");
    diffs.extend(log_diffs(&l1, &l2, 7));
    assert!(
        diffs.is_empty(),
        "differences from upstream:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn json_log_lines_match_upstream() {
    let _one = one_upstream();
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let ours = server(&sts, false)
        .config(CONFIG)
        .args(["-l", "json"])
        .start();
    let theirs = server(&sts, true)
        .config(CONFIG)
        .args(["-l", "json"])
        .start();
    let inputs = review_inputs(&sts, home.path());
    for (_, body) in &inputs {
        ours.request("POST", "/authenticate", body);
        theirs.request("POST", "/authenticate", body);
    }
    let (l1, l2) = (ours.logs(), theirs.logs());
    eprintln!("--- our log\n{l1}\n--- upstream log\n{l2}");
    for l in l1
        .lines()
        .chain(l2.lines())
        .filter(|l| !l.trim().is_empty())
    {
        assert!(l.starts_with('{'), "not a JSON log line: {l}");
    }
    let diffs = log_diffs(&l1, &l2, inputs.len());
    assert!(
        diffs.is_empty(),
        "differences from upstream:\n{}",
        diffs.join("\n")
    );
}

/// Metric families: name → (type, label names), from the text exposition.
fn families(text: &str) -> BTreeMap<String, (String, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split_whitespace();
            let (name, kind) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
            out.entry(name.into()).or_default().0 = kind.into();
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            let name_end = line.find(['{', ' ']).unwrap_or(line.len());
            let sample = &line[..name_end];
            let family = out
                .keys()
                .filter(|f| sample.starts_with(f.as_str()))
                .max_by_key(|f| f.len())
                .cloned()
                .unwrap_or_else(|| sample.to_string());
            let labels = out.entry(family).or_default();
            if line[name_end..].starts_with('{') {
                let inner = &line[name_end + 1..line.rfind('}').unwrap_or(line.len())];
                for pair in split_labels(inner) {
                    if let Some((k, _)) = pair.split_once('=')
                        && k != "le"
                        && k != "quantile"
                    {
                        labels.1.insert(k.to_string());
                    }
                }
            }
        }
    }
    out
}

/// `a="x",b="y,z"` → [`a="x"`, `b="y,z"`].
fn split_labels(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in s.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn metric_diffs(ours: &str, theirs: &str) -> Vec<String> {
    let (a, b) = (families(ours), families(theirs));
    let mut diffs = Vec::new();
    for (name, fam) in &a {
        match b.get(name) {
            None if !allowed("metrics-extra", name) => {
                diffs.push(format!("metric {name}: only ours has it"))
            }
            Some(other) if other != fam => {
                diffs.push(format!("metric {name}: ours {fam:?}, upstream {other:?}"))
            }
            _ => {}
        }
    }
    for name in b.keys() {
        if !a.contains_key(name) && !allowed("metrics-absent", name) {
            diffs.push(format!("metric {name}: only upstream has it"));
        }
    }
    diffs
}

/// One logrus text line: level, msg, and the other keys.
fn parse_logrus(line: &str) -> Option<(String, String, BTreeSet<String>)> {
    parse_logrus_fields(line).map(|(level, msg, fields)| (level, msg, fields.into_keys().collect()))
}

/// One logrus line, text or JSON (`-l json`): level, msg, and the other fields with
/// their values.
fn parse_logrus_fields(line: &str) -> Option<(String, String, BTreeMap<String, String>)> {
    if line.starts_with('{') {
        let Value::Object(mut o) = serde_json::from_str(line).ok()? else {
            return None;
        };
        let text = |v: Value| match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let level = text(o.remove("level")?);
        let msg = o.remove("msg").map(text).unwrap_or_default();
        o.remove("time");
        return Some((
            level,
            msg,
            o.into_iter().map(|(k, v)| (k, text(v))).collect(),
        ));
    }
    let mut fields = BTreeMap::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end?;
            (q[..end].to_string(), &q[end + 1..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        fields.insert(key.trim().to_string(), value);
        rest = next.trim_start();
    }
    let level = fields.remove("level")?;
    let msg = fields.remove("msg").unwrap_or_default();
    fields.remove("time");
    Some((level, msg, fields))
}

/// The per-request lines, compared in order and with their values (client ports and
/// STS request IDs masked).
const ACCESS_MESSAGES: &[&str] = &[
    "STS response",
    "access granted",
    "access denied",
    "could not parse request body",
];

fn log_diffs(ours: &str, theirs: &str, requests: usize) -> Vec<String> {
    let access = |t: &str| -> Vec<(String, String, BTreeMap<String, String>)> {
        t.lines()
            .filter_map(|l| parse_logrus_fields(&mask(l)))
            .filter(|(_, msg, _)| ACCESS_MESSAGES.contains(&msg.as_str()))
            .collect()
    };
    let (x, y) = (access(ours), access(theirs));
    // At least one line per request, or the parser lost them.
    assert!(
        x.len() >= requests,
        "only {} per-request lines parsed from:\n{ours}",
        x.len()
    );
    let mut diffs: Vec<String> = Vec::new();
    if x.len() != y.len() {
        diffs.push(format!(
            "{} per-request log lines from ours, {} from upstream",
            x.len(),
            y.len()
        ));
    }
    for (l1, l2) in x.iter().zip(&y) {
        if l1 != l2 {
            diffs.push(format!(
                "per-request log line: ours {l1:?}, upstream {l2:?}"
            ));
        }
    }
    diffs.extend(log_set_diffs(ours, theirs));
    diffs
}

fn log_set_diffs(ours: &str, theirs: &str) -> Vec<String> {
    // A line that is not logrus text (a panic, a stray print) is compared as it is.
    let parse = |t: &str| -> Vec<(String, String, BTreeSet<String>)> {
        t.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let l = mask(l);
                parse_logrus(&l).unwrap_or_else(|| ("not logrus".into(), l, BTreeSet::new()))
            })
            .collect()
    };
    let (a, b) = (parse(ours), parse(theirs));
    let mut diffs = Vec::new();
    let set_a: BTreeSet<_> = a.iter().collect();
    let set_b: BTreeSet<_> = b.iter().collect();
    for l in set_a.difference(&set_b) {
        if !allowed("log-extra", &l.1) {
            diffs.push(format!("log line only ours writes: {l:?}"));
        }
    }
    for l in set_b.difference(&set_a) {
        if !allowed("log-absent", &l.1) {
            diffs.push(format!("log line only upstream writes: {l:?}"));
        }
    }
    diffs
}

/// A command for `upstream`'s binary or ours with the environment of
/// [`StandIn::command`] (the stand-in through its proxy, its CA trusted), in `home`.
fn command(sts: &StandIn, home: &Path, upstream: bool) -> Command {
    let template = sts.command(home);
    let mut cmd = if upstream {
        Command::new(upstream_bin())
    } else {
        Command::new(bin())
    };
    cmd.env_clear().current_dir(home);
    for (k, v) in template.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("SSL_CERT_FILE", &sts.ca_file)
        .stdin(std::process::Stdio::null());
    cmd
}

/// Output lines with `home`'s path and volatile values masked, allowed differences
/// dropped or masked, and logrus lines reduced to level, msg and keys.
fn lines(text: &str, home: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for l in text.lines() {
        let l = mask(&l.replace(&home.display().to_string(), "<HOME>"));
        if allowed("usage", &l) {
            break;
        }
        if allowed("stderr", &l) {
            continue;
        }
        if allowed("version", &l) {
            out.push("<VERSION BANNER>".to_string());
            continue;
        }
        out.push(match parse_logrus(&l) {
            Some((level, msg, keys)) => format!("level={level} msg={msg:?} keys={keys:?}"),
            None => l,
        });
    }
    out
}

/// Exit code, stdout and stderr of `args` run by both binaries, compared.
fn run_both(sts: &StandIn, args: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    for upstream in [false, true] {
        let home = tempfile::tempdir().unwrap();
        let out = command(sts, home.path(), upstream)
            .args(args)
            .output()
            .unwrap();
        seen.push((
            out.status.code(),
            lines(&stdout(&out), home.path()),
            lines(&stderr(&out), home.path()),
        ));
    }
    let (ours, theirs) = (&seen[0], &seen[1]);
    eprintln!("{args:?}\n  ours:     {ours:?}\n  upstream: {theirs:?}");
    if ours == theirs {
        Vec::new()
    } else {
        vec![format!("{args:?}: ours {ours:?}, upstream {theirs:?}")]
    }
}

#[test]
fn verify_output_matches_upstream() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let good = token(&sts, home.path(), &["-i", "test-cluster"]);
    let mut diffs = Vec::new();
    for args in [
        [
            "verify",
            "-i",
            "test-cluster",
            "-t",
            good.as_str(),
            "-o",
            "json",
        ]
        .as_slice(),
        &["verify", "-i", "test-cluster", "-t", good.as_str()],
        &["verify", "-i", "other-cluster", "-t", good.as_str()],
        &[
            "verify",
            "-i",
            "test-cluster",
            "-t",
            "k8s-aws-v1.%%%not-base64",
        ],
        &["verify", "-i", "test-cluster"],
    ] {
        diffs.extend(run_both(&sts, args));
    }
    assert!(
        diffs.is_empty(),
        "differences from upstream:\n{}",
        diffs.join("\n")
    );
}

/// `init`'s files: names, and each file's text with the key and certificate bytes masked.
fn init_files(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let masked = if name.ends_with(".pem") {
            // PEM bytes differ by design (fresh keys; ECDSA rather than RSA): only the
            // block kinds are compared, and key kinds are an allowed difference.
            text.lines()
                .filter(|l| l.starts_with("-----"))
                .filter(|l| !l.contains("PRIVATE KEY"))
                .map(str::to_string)
                .collect()
        } else {
            text.lines()
                .map(|l| match l.split_once("certificate-authority-data: ") {
                    Some((indent, _)) => format!("{indent}certificate-authority-data: <CA>"),
                    None => l.to_string(),
                })
                .collect()
        };
        out.insert(name, masked);
    }
    out
}

#[test]
fn init_files_and_output_match_upstream() {
    let sts = StandIn::start();
    let mut seen = Vec::new();
    for upstream in [false, true] {
        let home = tempfile::tempdir().unwrap();
        let out = command(&sts, home.path(), upstream)
            .args(["init", "-i", "test-cluster"])
            .output()
            .unwrap();
        seen.push((
            out.status.code(),
            lines(&stdout(&out), home.path()),
            lines(&stderr(&out), home.path()),
            init_files(home.path()),
        ));
    }
    eprintln!("ours:     {:?}\nupstream: {:?}", seen[0], seen[1]);
    assert_eq!(seen[0], seen[1], "init differs from upstream");
}

/// Config edge cases (from tests/config_leniency.rs and a few refusals): both binaries
/// start, or both refuse; when they start, Alice maps to the same username and groups.
const EDGE_CASES: &[(&str, &str)] = &[
    (
        "a single group where the list belongs",
        "clusterID: test-cluster\nserver:\n  mapUsers:\n  - userarn: arn:aws:iam::111122223333:user/alice\n    username: alice\n    groups: devs\n",
    ),
    (
        "a comma-separated group string",
        "clusterID: test-cluster\nserver:\n  mapUsers:\n  - userarn: arn:aws:iam::111122223333:user/alice\n    username: alice\n    groups: \"devs,ops\"\n",
    ),
    (
        "a number where the username belongs",
        "clusterID: test-cluster\nserver:\n  mapUsers:\n  - userarn: arn:aws:iam::111122223333:user/alice\n    username: 12345\n    groups: [devs, 7]\n",
    ),
    (
        "a single account where the list belongs",
        "clusterID: test-cluster\nserver:\n  mapAccounts: 111122223333\n",
    ),
    (
        "a lone mapping written without `- `",
        "clusterID: test-cluster\nserver:\n  mapUsers:\n    userarn: arn:aws:iam::111122223333:user/alice\n    username: alice\n",
    ),
    (
        "no cluster ID",
        "server:\n  mapUsers:\n  - userarn: arn:aws:iam::111122223333:user/alice\n    username: alice\n",
    ),
    ("not YAML", "clusterID: test-cluster\nserver: [unclosed\n"),
];

/// Starts `program` on `config`: `Err(log)` if it exits within the bound, else it is
/// killed once listening and `Ok(())`.
fn starts(sts: &StandIn, config: &str, upstream: bool) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, config).unwrap();
    let log = dir.path().join("server.log");
    // Upstream does not create its state dir.
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    let port = free_port();
    let mut cmd = command(sts, dir.path(), upstream);
    cmd.arg("server")
        .arg("-c")
        .arg(&path)
        .args(["--port", &port.to_string()])
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--generate-kubeconfig")
        .arg(dir.path().join("webhook.kubeconfig"));
    if !upstream {
        cmd.args(["--health-port", "0"]);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let verdict = loop {
        if let Ok(Some(_)) = child.try_wait() {
            break Err(std::fs::read_to_string(&log).unwrap_or_default());
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break Ok(());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} neither listened nor exited within 60 s",
            if upstream { "upstream" } else { "ours" }
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    verdict
}

#[test]
fn config_edge_case_verdicts_match_upstream() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let alice = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
        "spec": {"token": token(&sts, home.path(), &["-i", "test-cluster"])}})
    .to_string();
    let mut diffs = Vec::new();
    for (name, config) in EDGE_CASES {
        let _one = one_upstream();
        let (a, b) = (starts(&sts, config, false), starts(&sts, config, true));
        eprintln!("{name}: ours {a:?}\n{name}: upstream {b:?}");
        match (a, b) {
            (Ok(()), Ok(())) => {
                let (ours, theirs) = both(&sts, config);
                let user = |w: &Webhook| {
                    let (status, body) = w.request("POST", "/authenticate", &alice);
                    let v: Value = serde_json::from_str(&body).unwrap_or_default();
                    (
                        status,
                        v["status"]["user"]["username"].clone(),
                        v["status"]["user"]["groups"].clone(),
                    )
                };
                let (u1, u2) = (user(&ours), user(&theirs));
                eprintln!("{name}: Alice is {u1:?} (ours), {u2:?} (upstream)");
                if u1 != u2 {
                    diffs.push(format!(
                        "{name}: ours maps Alice to {u1:?}, upstream to {u2:?}"
                    ));
                }
            }
            (Err(_), Err(_)) => {}
            (a, b) => diffs.push(format!(
                "{name}: ours {}, upstream {}",
                if a.is_ok() { "starts" } else { "refuses" },
                if b.is_ok() { "starts" } else { "refuses" }
            )),
        }
    }
    assert!(
        diffs.is_empty(),
        "differences from upstream:\n{}",
        diffs.join("\n")
    );
}

/// The operator's guide's "Differences from upstream, checked" (docs/server.md) lists
/// every entry of [`ALLOWED`], and each says why.
#[test]
fn allowed_differences_are_listed_in_the_operator_guide() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/server.md")).unwrap();
    let section = guide
        .split("## Differences from upstream, checked")
        .nth(1)
        .expect("docs/server.md has a \"Differences from upstream, checked\" section");
    let section = section.split("\n## ").next().unwrap();
    for a in ALLOWED {
        assert!(
            !a.why.is_empty(),
            "{} {}: no reason given",
            a.surface,
            a.item
        );
        assert!(
            section.contains(&format!("`{}`", a.item)),
            "docs/server.md's \"Differences from upstream, checked\" does not list `{}` ({})",
            a.item,
            a.surface
        );
    }
}
