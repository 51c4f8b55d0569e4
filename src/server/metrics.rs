//! Prometheus metrics, with upstream's names and labels (`pkg/metrics`), so existing
//! dashboards and alerts keep working — including the `uknown_user` spelling of the
//! `result` label. Process metrics (RSS, CPU, open FDs, start time) are added, as Go's
//! default registry adds them upstream.
//!
//! No label value comes from a caller unchecked: a series is memory kept for the life of
//! the process, and a review needs no signature to reach the STS metrics. The
//! `StsRegion` label is the STS host's region only when it is one of the partition's
//! known regions (or `global`); any other region, however well-formed, is `other`. The
//! other labels are fixed sets (`result`, `type`) or STS's own status code.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::partition::Partition;
use crate::token::sts::StsObserver;

type Labels = Vec<(String, String)>;

/// `result` label values of `authenticate_latency_seconds`.
pub mod result {
    pub use crate::token::error::metric_label::{INVALID_TOKEN, STS_ERROR, STS_THROTTLING};

    /// The request body was not a TokenReview.
    pub const MALFORMED_REQUEST: &str = "malformed_request";
    /// No mapping (upstream's spelling, kept for dashboards).
    pub const UNKNOWN_USER: &str = "uknown_user";
    /// Authenticated.
    pub const SUCCESS: &str = "success";
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    latency: Family<Labels, Histogram>,
    sts_connection_failures: Family<Labels, Counter>,
    sts_responses: Family<Labels, Counter>,
    sts_throttling: Family<Labels, Counter>,
    /// `ec2_describe_instances_calls_total`.
    pub ec2_describe_instances_calls: Counter,
    /// `configmap_watch_failures_total`.
    pub configmap_watch_failures: Counter,
    /// `dynamicfile_failures_total`.
    pub dynamicfile_failures: Counter,
    dynamic_e2e_latency: Family<Labels, Histogram>,
    /// `dynamic_file_enabled`.
    pub dynamic_file_enabled: Gauge,
    /// `dynamic_file_only`.
    pub dynamic_file_only: Gauge,
    /// `identity_cache_hits_total` (ours).
    pub identity_cache_hits: Counter,
    /// `identity_cache_misses_total` (ours).
    pub identity_cache_misses: Counter,
    process: ProcessMetrics,
    partition: Partition,
}

/// The `StsRegion` value for a region outside the partition's known regions.
pub const OTHER_REGION: &str = "other";

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn default_buckets() -> Histogram {
    // Prometheus client_golang's DefBuckets.
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

fn dynamic_buckets() -> Histogram {
    Histogram::new([1.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0])
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers everything under the `aws_iam_authenticator_` prefix, for a server in
    /// the `aws` partition.
    pub fn new() -> Self {
        Self::for_partition(Partition::Aws)
    }

    /// Registers everything; `StsRegion` labels are bounded to `partition`'s known
    /// regions, `global` and [`OTHER_REGION`].
    pub fn for_partition(partition: Partition) -> Self {
        let mut registry = Registry::default();
        let latency =
            Family::<Labels, Histogram>::new_with_constructor(default_buckets as fn() -> Histogram);
        let dynamic_e2e_latency =
            Family::<Labels, Histogram>::new_with_constructor(dynamic_buckets as fn() -> Histogram);
        let metrics = Metrics {
            latency,
            sts_connection_failures: Family::default(),
            sts_responses: Family::default(),
            sts_throttling: Family::default(),
            ec2_describe_instances_calls: Counter::default(),
            configmap_watch_failures: Counter::default(),
            dynamicfile_failures: Counter::default(),
            dynamic_e2e_latency,
            dynamic_file_enabled: Gauge::default(),
            dynamic_file_only: Gauge::default(),
            identity_cache_hits: Counter::default(),
            identity_cache_misses: Counter::default(),
            process: ProcessMetrics::default(),
            registry: Registry::default(),
            partition,
        };
        {
            let r = registry.sub_registry_with_prefix("aws_iam_authenticator");
            r.register(
                "authenticate_latency_seconds",
                "Authenticate call latency",
                metrics.latency.clone(),
            );
            r.register(
                "sts_connection_failures",
                "Sts call could not succeed or timedout",
                metrics.sts_connection_failures.clone(),
            );
            r.register(
                "sts_responses",
                "Sts responses with error code label",
                metrics.sts_responses.clone(),
            );
            r.register(
                "sts_throttling",
                "Sts call got throttled",
                metrics.sts_throttling.clone(),
            );
            r.register(
                "ec2_describe_instances_calls",
                "Number of EC2 describe instances calls",
                metrics.ec2_describe_instances_calls.clone(),
            );
            r.register(
                "configmap_watch_failures",
                "EKS Configmap watch failures",
                metrics.configmap_watch_failures.clone(),
            );
            r.register(
                "dynamicfile_failures",
                "Dynamic file failures",
                metrics.dynamicfile_failures.clone(),
            );
            r.register(
                "dynamic_e2e_latency_seconds",
                "End to end latency in seconds partitioned by type",
                metrics.dynamic_e2e_latency.clone(),
            );
            r.register(
                "dynamic_file_enabled",
                "Dynamic file enabled",
                metrics.dynamic_file_enabled.clone(),
            );
            r.register(
                "dynamic_file_only",
                "Dynamic file only",
                metrics.dynamic_file_only.clone(),
            );
            r.register(
                "identity_cache_hits",
                "Verified-identity cache hits",
                metrics.identity_cache_hits.clone(),
            );
            r.register(
                "identity_cache_misses",
                "Verified-identity cache misses",
                metrics.identity_cache_misses.clone(),
            );
        }
        metrics.process.register(&mut registry);
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Records one `/authenticate` call.
    pub fn observe_authenticate(&self, result: &str, elapsed: Duration) {
        self.latency
            .get_or_create(&vec![("result".to_string(), result.to_string())])
            .observe(elapsed.as_secs_f64());
    }

    /// Records a DynamicFile (or other dynamic source) reload latency.
    pub fn observe_dynamic_e2e(&self, kind: &str, elapsed: Duration) {
        self.dynamic_e2e_latency
            .get_or_create(&vec![("type".to_string(), kind.to_string())])
            .observe(elapsed.as_secs_f64());
    }

    /// The `StsRegion` label for an STS host's region: bounded, whatever the token said.
    pub fn region_label(&self, region: &str) -> String {
        let known = region == "global" || self.partition.known_regions().contains(&region);
        if known {
            region.to_string()
        } else {
            OTHER_REGION.to_string()
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        self.process.refresh();
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl StsObserver for Metrics {
    fn connection_failure(&self, region: &str) {
        self.sts_connection_failures
            .get_or_create(&vec![("StsRegion".to_string(), self.region_label(region))])
            .inc();
    }

    fn response(&self, region: &str, status: u16) {
        self.sts_responses
            .get_or_create(&vec![
                ("ResponseCode".to_string(), status.to_string()),
                ("StsRegion".to_string(), self.region_label(region)),
            ])
            .inc();
    }

    fn throttled(&self, region: &str) {
        self.sts_throttling
            .get_or_create(&vec![("StsRegion".to_string(), self.region_label(region))])
            .inc();
    }
}

/// `process_*` metrics from `/proc/self` (Linux); zero elsewhere.
#[derive(Default)]
struct ProcessMetrics {
    resident_memory_bytes: Gauge,
    virtual_memory_bytes: Gauge,
    open_fds: Gauge,
    cpu_millis: Gauge<f64, AtomicU64>,
    start_time_seconds: Gauge<f64, AtomicU64>,
    started: std::sync::OnceLock<f64>,
}

impl ProcessMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            self.resident_memory_bytes.clone(),
        );
        registry.register(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            self.virtual_memory_bytes.clone(),
        );
        registry.register(
            "process_open_fds",
            "Number of open file descriptors",
            self.open_fds.clone(),
        );
        registry.register(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            self.cpu_millis.clone(),
        );
        registry.register(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            self.start_time_seconds.clone(),
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        let started = *self.started.get_or_init(|| now);
        self.start_time_seconds.set(started);
    }

    fn refresh(&self) {
        #[cfg(target_os = "linux")]
        {
            if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
                let mut fields = statm.split_whitespace();
                let page = 4096i64;
                if let Some(v) = fields.next().and_then(|v| v.parse::<i64>().ok()) {
                    self.virtual_memory_bytes.set(v * page);
                }
                if let Some(v) = fields.next().and_then(|v| v.parse::<i64>().ok()) {
                    self.resident_memory_bytes.set(v * page);
                }
            }
            if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
                self.open_fds.set(dir.count() as i64);
            }
            if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
                // Fields after the parenthesised command: utime is 14th, stime 15th overall.
                if let Some((_, rest)) = stat.rsplit_once(") ") {
                    let fields: Vec<&str> = rest.split_whitespace().collect();
                    let ticks = |i: usize| {
                        fields
                            .get(i)
                            .and_then(|v| v.parse::<f64>().ok())
                            .unwrap_or(0.0)
                    };
                    // CLK_TCK is 100 on every Linux platform Rust targets.
                    self.cpu_millis.set((ticks(11) + ticks(12)) / 100.0);
                }
            }
        }
        let _ = Ordering::Relaxed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_names_and_labels() {
        let m = Metrics::new();
        m.observe_authenticate(result::UNKNOWN_USER, Duration::from_millis(3));
        m.observe_authenticate(result::SUCCESS, Duration::from_millis(3));
        m.connection_failure("us-west-2");
        m.response("global", 200);
        m.throttled("eu-west-1");
        m.ec2_describe_instances_calls.inc();
        let text = m.encode();
        for needle in [
            "aws_iam_authenticator_authenticate_latency_seconds_bucket{le=\"0.005\",result=\"uknown_user\"}",
            "aws_iam_authenticator_authenticate_latency_seconds_count{result=\"success\"} 1",
            "aws_iam_authenticator_sts_connection_failures_total{StsRegion=\"us-west-2\"} 1",
            "aws_iam_authenticator_sts_responses_total{ResponseCode=\"200\",StsRegion=\"global\"} 1",
            "aws_iam_authenticator_sts_throttling_total{StsRegion=\"eu-west-1\"} 1",
            "aws_iam_authenticator_ec2_describe_instances_calls_total 1",
            "aws_iam_authenticator_configmap_watch_failures_total 0",
            "aws_iam_authenticator_dynamicfile_failures_total 0",
            "aws_iam_authenticator_dynamic_file_enabled 0",
            "process_start_time_seconds",
        ] {
            assert!(text.contains(needle), "missing {needle} in:\n{text}");
        }
    }

    /// Region labels come from the token's host, which needs no signature: 10,000
    /// distinct well-formed regions must not make 10,000 series.
    #[test]
    fn sts_region_labels_are_bounded() {
        let m = Metrics::new();
        for i in 0..10_000 {
            let region = format!("us-fake{i}-1");
            m.connection_failure(&region);
            m.response(&region, 403);
            m.throttled(&region);
        }
        m.response("us-west-2", 403);
        m.response("global", 403);
        let text = m.encode();
        let series = |name: &str| text.lines().filter(|l| l.starts_with(name)).count();
        assert_eq!(
            series("aws_iam_authenticator_sts_connection_failures_total{"),
            1
        );
        assert_eq!(series("aws_iam_authenticator_sts_responses_total{"), 3);
        assert_eq!(series("aws_iam_authenticator_sts_throttling_total{"), 1);
        assert!(text.contains(
            "aws_iam_authenticator_sts_responses_total{ResponseCode=\"403\",StsRegion=\"other\"} 10000"
        ));
        assert!(text.contains(
            "aws_iam_authenticator_sts_responses_total{ResponseCode=\"403\",StsRegion=\"us-west-2\"} 1"
        ));
        // Each partition keeps its own regions.
        let cn = Metrics::for_partition(Partition::AwsCn);
        assert_eq!(cn.region_label("cn-north-1"), "cn-north-1");
        assert_eq!(cn.region_label("us-west-2"), "other");
        assert_eq!(cn.region_label("global"), "global");
    }
}
