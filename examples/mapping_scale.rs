//! Mapping scale benchmark: how lookup time, load time and memory grow with the number of
//! mappings, for each backend. Not a test; run it with `bench/mapping-scale.sh` or
//!
//! ```sh
//! cargo run --release --features server --example mapping_scale
//! ```
//!
//! Each backend is loaded the way the server loads it (the config entries for
//! MountedFile, the `aws-auth` text for EKSConfigMap, the JSON file for DynamicFile, the
//! objects for CRD), then looked up 200 000 times, half hits and half misses. Memory is
//! the process's RSS growth while the backend is alive (Linux `/proc/self/status`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_iam_authenticator::mapper::configmap::{ConfigMapMapper, parse_map};
use aws_iam_authenticator::mapper::crd::{CrdMapper, IAMIdentityMapping, IAMIdentityMappingSpec};
use aws_iam_authenticator::mapper::dynamic_file::DynamicFileMapper;
use aws_iam_authenticator::mapper::file::FileMapper;
use aws_iam_authenticator::mapper::{Mapper, UserMapping};
use aws_iam_authenticator::token::Identity;

const LOOKUPS: usize = 200_000;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn arn(i: usize) -> String {
    format!("arn:aws:iam::111122223333:user/user-{i}")
}

fn canonical(i: usize) -> String {
    arn(i)
}

fn identity(arn: String) -> Identity {
    Identity {
        canonical_arn: arn.clone(),
        arn,
        account_id: "111122223333".into(),
        user_id: "AIDAEXAMPLE".into(),
        session_name: String::new(),
        access_key_id: "AKIAEXAMPLE".into(),
        sts_endpoint: "sts.us-west-2.amazonaws.com".into(),
    }
}

/// Identities to look up: alternately one that is mapped and one that is not.
fn probes(n: usize) -> Vec<Identity> {
    (0..1024)
        .map(|k| {
            let i = (k * 7919) % n;
            if k % 2 == 0 {
                identity(canonical(i))
            } else {
                identity(canonical(n + i))
            }
        })
        .collect()
}

fn time_lookups(mapper: &dyn Mapper, probes: &[Identity]) -> Duration {
    let mut hits = 0usize;
    let start = Instant::now();
    for k in 0..LOOKUPS {
        if mapper.map(&probes[k % probes.len()]).is_ok() {
            hits += 1;
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(
        hits,
        LOOKUPS / 2,
        "half the probes are mapped ({})",
        mapper.name()
    );
    elapsed / LOOKUPS as u32
}

fn users(n: usize, canonical_arns: bool) -> Vec<UserMapping> {
    (0..n)
        .map(|i| UserMapping {
            userarn: if canonical_arns { canonical(i) } else { arn(i) },
            username: format!("user-{i}"),
            groups: vec!["devs".into()],
            userid: None,
        })
        .collect()
}

fn row(backend: &str, n: usize, load: Duration, lookup: Duration, rss_before: u64) {
    let grown = rss_kib().saturating_sub(rss_before) as f64 / 1024.0;
    println!(
        "| {backend} | {n} | {:.1} | {} | {grown:.1} |",
        load.as_secs_f64() * 1000.0,
        lookup.as_nanos()
    );
}

fn main() {
    println!(
        "# Mapping scale ({} lookups per cell, half hits; {} cores)\n",
        LOOKUPS,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| backend | mappings | load ms | lookup ns | RSS growth MiB |");
    println!("|---|---:|---:|---:|---:|");
    for &n in &[10usize, 1_000, 100_000] {
        let probes = probes(n);

        // MountedFile: the entries of the config file (user ARNs are matched canonically).
        let before = rss_kib();
        let start = Instant::now();
        let (mapper, _dups) =
            FileMapper::new(Vec::new(), users(n, true), Vec::new(), false).expect("valid mappings");
        let load = start.elapsed();
        row(
            "MountedFile",
            n,
            load,
            time_lookups(&mapper, &probes),
            before,
        );
        drop(mapper);

        // EKSConfigMap: the aws-auth `mapUsers` text, parsed as the watcher does.
        let mut text = String::new();
        for u in users(n, true) {
            text.push_str(&format!(
                "- userarn: {}\n  username: {}\n  groups:\n  - devs\n",
                u.userarn, u.username
            ));
        }
        let data = BTreeMap::from([("mapUsers".to_string(), text)]);
        let before = rss_kib();
        let start = Instant::now();
        let parsed = parse_map(&data);
        if let Some(w) = parsed.warnings.first() {
            eprintln!("aws-auth with {n} entries: {w}");
        }
        let mapper = ConfigMapMapper::from_parsed(parsed, false);
        let load = start.elapsed();
        row(
            "EKSConfigMap",
            n,
            load,
            time_lookups(&mapper, &probes),
            before,
        );
        drop((mapper, data));

        // DynamicFile: the JSON file, parsed as the file watcher does.
        let entries: Vec<serde_json::Value> = users(n, false)
            .into_iter()
            .map(|u| serde_json::json!({"userarn": u.userarn, "username": u.username, "groups": u.groups}))
            .collect();
        let bytes = serde_json::to_vec(&serde_json::json!({
            "Version": "1", "LastUpdatedDateTime": "1700000000", "mapUsers": entries
        }))
        .expect("json");
        let before = rss_kib();
        let start = Instant::now();
        let mapper = DynamicFileMapper::new(false);
        mapper.load(&bytes).expect("valid file");
        let load = start.elapsed();
        row(
            "DynamicFile",
            n,
            load,
            time_lookups(&mapper, &probes),
            before,
        );
        drop((mapper, bytes));

        // CRD: IAMIdentityMapping objects, indexed as the reflector's watcher does.
        let objects: Vec<Arc<IAMIdentityMapping>> = (0..n)
            .map(|i| {
                Arc::new(IAMIdentityMapping::new(
                    &format!("user-{i}"),
                    IAMIdentityMappingSpec {
                        arn: arn(i),
                        username: format!("user-{i}"),
                        groups: vec!["devs".into()],
                    },
                ))
            })
            .collect();
        let before = rss_kib();
        let start = Instant::now();
        let mapper = CrdMapper::new();
        mapper.rebuild(&objects);
        let load = start.elapsed();
        row("CRD", n, load, time_lookups(&mapper, &probes), before);
    }
}
