//! Prometheus metrics, with upstream's names and labels (`pkg/metrics`), so existing
//! dashboards and alerts keep working — including the `uknown_user` spelling of the
//! `result` label. Go's `process_*` metrics are exported with the names, types and help
//! texts of client_golang's process collector, which upstream's default registry
//! includes; `aws_iam_authenticator_build_info{version,commit}` and the
//! `identity_cache_*` counters are ours.
//!
//! A scrape gets the Prometheus text format 0.0.4, written as Go's client writes it
//! (`le="1"`, not `"1.0"`, so no series is renamed by the swap), unless it asks for
//! OpenMetrics in its `Accept` header (see [`Format`]).
//!
//! No label value comes from a caller unchecked: a series is memory kept for the life of
//! the process, and a review needs no signature to reach the STS metrics. The
//! `StsRegion` label is the STS host's region only when it is one of the partition's
//! known regions (or `global`); any other region, however well-formed, is `other`. The
//! other labels are fixed sets (`result`, `type`) or STS's own status code.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::partition::Partition;
use crate::token::sts::StsObserver;

pub use exposition::Format;

mod exposition;

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
                "Dynamic file in backend mode is enabled",
                metrics.dynamic_file_enabled.clone(),
            );
            r.register(
                "dynamic_file_only",
                "Only dynamic file in backend mode is enabled",
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
        {
            let build_info = Family::<Labels, Gauge>::default();
            build_info
                .get_or_create(&vec![
                    (
                        "version".to_string(),
                        crate::version::INFO.version.to_string(),
                    ),
                    (
                        "commit".to_string(),
                        crate::version::INFO.commit.to_string(),
                    ),
                ])
                .set(1);
            registry.sub_registry_with_prefix("aws_iam_authenticator").register(
                "build_info",
                "A metric with a constant '1' value labeled by the version and commit this binary was built from",
                build_info,
            );
        }
        registry.register_collector(Box::new(ProcessCollector));
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

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// The exposition in `format`.
    pub fn encode_as(&self, format: Format) -> String {
        match format {
            Format::OpenMetrics => self.encode(),
            Format::Prometheus => exposition::to_prometheus_text(&self.encode()),
        }
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

/// Go's `process` collector (client_golang), read from `/proc` at every scrape: the same
/// names, types and help texts, so dashboards built on upstream's `process_*` series keep
/// working. Off Linux nothing is exported, as Go's collector exports nothing there.
#[derive(Debug, Default)]
struct ProcessCollector;

/// What one scrape reads from `/proc`.
#[derive(Debug, Default, PartialEq)]
struct ProcessStats {
    cpu_seconds: f64,
    open_fds: f64,
    max_fds: f64,
    virtual_memory_bytes: f64,
    resident_memory_bytes: f64,
    virtual_memory_max_bytes: f64,
    start_time_seconds: f64,
}

/// Linux's `USER_HZ`: `/proc` reports CPU times in these ticks. It is 100 on every
/// architecture (the kernel fixes it for user space), and Go's collector assumes it too.
const USER_HZ: f64 = 100.0;

/// `AT_PAGESZ` in the ELF auxiliary vector.
const AT_PAGESZ: usize = 6;

/// The system's page size, from the auxiliary vector the kernel hands the process
/// (`/proc/self/auxv`), else from the first `KernelPageSize` of `/proc/self/smaps`,
/// else 4096. Read once: it cannot change while the process lives.
fn page_size() -> f64 {
    static PAGE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        std::fs::read("/proc/self/auxv")
            .ok()
            .and_then(|bytes| auxv_page_size(&bytes))
            .or_else(|| {
                std::fs::read_to_string("/proc/self/smaps")
                    .ok()
                    .and_then(|text| smaps_page_size(&text))
            })
            .unwrap_or(4096) as f64
    })
}

/// `AT_PAGESZ` from an auxiliary vector: native-endian (key, value) word pairs.
fn auxv_page_size(bytes: &[u8]) -> Option<u64> {
    const WORD: usize = std::mem::size_of::<usize>();
    let word =
        |chunk: &[u8]| -> Option<usize> { Some(usize::from_ne_bytes(chunk.try_into().ok()?)) };
    bytes
        .chunks_exact(2 * WORD)
        .filter_map(|pair| Some((word(pair.get(..WORD)?)?, word(pair.get(WORD..)?)?)))
        .take_while(|(key, _)| *key != 0)
        .find(|(key, _)| *key == AT_PAGESZ)
        .map(|(_, value)| value as u64)
        .filter(|v| *v > 0)
}

/// The first `KernelPageSize:  4 kB` of `/proc/self/smaps`, in bytes.
fn smaps_page_size(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("KernelPageSize:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A soft limit of `/proc/self/limits` ("Max open files", "Max address space").
/// `unlimited` is the largest u64, as Go's procfs reads it.
fn parse_limit(limits: &str, name: &str) -> Option<f64> {
    let line = limits.lines().find(|l| l.starts_with(name))?;
    let soft = line.get(name.len()..)?.split_whitespace().next()?;
    if soft == "unlimited" {
        return Some(u64::MAX as f64);
    }
    soft.parse::<u64>().ok().map(|v| v as f64)
}

/// Fields of `/proc/self/stat` after the parenthesised command name (which may hold
/// spaces or parentheses), numbered from 0 at `state` (the 3rd field overall).
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(") ")
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default()
}

/// `btime` of `/proc/stat`: the boot time, in seconds since the epoch.
fn boot_time(stat: &str) -> Option<f64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse::<f64>().ok())
}

impl ProcessStats {
    /// Reads the stats as Go's procfs does: utime+stime and starttime from `stat`,
    /// vsize and rss (pages) from `stat`, open files from `fd/`, limits from `limits`.
    fn from_texts(
        stat: &str,
        limits: &str,
        proc_stat: &str,
        open_fds: usize,
        page: f64,
    ) -> ProcessStats {
        let fields = stat_fields(stat);
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // Overall field numbers (proc(5)): utime 14, stime 15, starttime 22, vsize 23,
        // rss 24; here offset by the two before `state`.
        let start = boot_time(proc_stat)
            .map(|boot| boot + field(19) / USER_HZ)
            .unwrap_or(0.0);
        ProcessStats {
            cpu_seconds: (field(11) + field(12)) / USER_HZ,
            open_fds: open_fds as f64,
            max_fds: parse_limit(limits, "Max open files").unwrap_or(0.0),
            virtual_memory_bytes: field(20),
            resident_memory_bytes: field(21) * page,
            virtual_memory_max_bytes: parse_limit(limits, "Max address space").unwrap_or(0.0),
            start_time_seconds: start,
        }
    }

    /// This process's stats, or `None` off Linux or without `/proc`.
    fn read() -> Option<ProcessStats> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let proc_stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        // The directory handle itself is one of the fds counted; Go's count has the
        // same artefact, so the numbers agree.
        let open_fds = std::fs::read_dir("/proc/self/fd")
            .map(|d| d.count())
            .unwrap_or(0);
        Some(ProcessStats::from_texts(
            &stat,
            &limits,
            &proc_stat,
            open_fds,
            page_size(),
        ))
    }
}

impl prometheus_client::collector::Collector for ProcessCollector {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;
        let Some(stats) = ProcessStats::read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(stats.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            cpu.metric_type(),
        )?)?;
        for (name, help, value) in [
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                stats.max_fds,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                stats.open_fds,
            ),
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                stats.resident_memory_bytes,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                stats.start_time_seconds,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                stats.virtual_memory_bytes,
            ),
            (
                "process_virtual_memory_max_bytes",
                "Maximum amount of virtual memory available in bytes.",
                stats.virtual_memory_max_bytes,
            ),
        ] {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
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
        m.observe_dynamic_e2e("dynamic_file", Duration::from_secs(2));
        let text = m.encode_as(Format::Prometheus);
        for needle in [
            "# TYPE aws_iam_authenticator_authenticate_latency_seconds histogram\n",
            "aws_iam_authenticator_authenticate_latency_seconds_bucket{result=\"uknown_user\",le=\"0.005\"} 1\n",
            "aws_iam_authenticator_authenticate_latency_seconds_bucket{result=\"uknown_user\",le=\"1\"} 1\n",
            "aws_iam_authenticator_authenticate_latency_seconds_bucket{result=\"uknown_user\",le=\"+Inf\"} 1\n",
            "aws_iam_authenticator_authenticate_latency_seconds_count{result=\"success\"} 1\n",
            "aws_iam_authenticator_dynamic_e2e_latency_seconds_bucket{type=\"dynamic_file\",le=\"3\"} 1\n",
            "# TYPE aws_iam_authenticator_sts_connection_failures_total counter\n",
            "aws_iam_authenticator_sts_connection_failures_total{StsRegion=\"us-west-2\"} 1\n",
            "aws_iam_authenticator_sts_responses_total{ResponseCode=\"200\",StsRegion=\"global\"} 1\n",
            "aws_iam_authenticator_sts_throttling_total{StsRegion=\"eu-west-1\"} 1\n",
            "aws_iam_authenticator_ec2_describe_instances_calls_total 1\n",
            "aws_iam_authenticator_configmap_watch_failures_total 0\n",
            "aws_iam_authenticator_dynamicfile_failures_total 0\n",
            "# TYPE aws_iam_authenticator_dynamic_file_enabled gauge\n",
            "aws_iam_authenticator_dynamic_file_enabled 0\n",
            "aws_iam_authenticator_dynamic_file_only 0\n",
            "aws_iam_authenticator_identity_cache_hits_total 0\n",
            "aws_iam_authenticator_identity_cache_misses_total 0\n",
        ] {
            assert!(text.contains(needle), "missing {needle} in:\n{text}");
        }
        assert!(!text.contains("le=\"1.0\""), "{text}");
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
        // OpenMetrics, when asked for, stays OpenMetrics.
        let om = m.encode_as(Format::OpenMetrics);
        assert!(om.ends_with("# EOF\n"), "{om}");
        assert!(om.contains("le=\"1.0\""), "{om}");
    }

    #[test]
    fn build_info_is_one_with_version_and_commit() {
        let text = Metrics::new().encode_as(Format::Prometheus);
        let line = format!(
            "aws_iam_authenticator_build_info{{version=\"{}\",commit=\"{}\"}} 1\n",
            crate::version::INFO.version,
            crate::version::INFO.commit
        );
        assert!(text.contains(&line), "{text}");
        assert!(text.contains("# TYPE aws_iam_authenticator_build_info gauge\n"));
    }

    /// client_golang's process collector: these names and types, nothing else.
    #[cfg(target_os = "linux")]
    #[test]
    fn process_metrics_are_gos() {
        let text = Metrics::new().encode_as(Format::Prometheus);
        let typed: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("# TYPE process_"))
            .collect();
        assert_eq!(
            typed,
            [
                "# TYPE process_cpu_seconds_total counter",
                "# TYPE process_max_fds gauge",
                "# TYPE process_open_fds gauge",
                "# TYPE process_resident_memory_bytes gauge",
                "# TYPE process_start_time_seconds gauge",
                "# TYPE process_virtual_memory_bytes gauge",
                "# TYPE process_virtual_memory_max_bytes gauge",
            ]
        );
        let value = |name: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} in {text}"))
        };
        assert!(value("process_open_fds") >= 3.0);
        assert!(value("process_max_fds") >= value("process_open_fds"));
        assert!(value("process_resident_memory_bytes") > 1e6);
        assert!(value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let started = value("process_start_time_seconds");
        assert!(
            started > now - 86_400.0 && started <= now + 1.0,
            "{started} vs {now}"
        );
    }

    #[test]
    fn proc_texts_parse_as_gos_procfs() {
        let stat = "4242 (aws (iam) auth) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 8 0 12300 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
Max cpu time              unlimited            unlimited            seconds   \n\
Max open files            1024                 1048576              files     \n\
Max address space         unlimited            unlimited            bytes     \n";
        let proc_stat = "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n";
        let stats = ProcessStats::from_texts(stat, limits, proc_stat, 7, 16384.0);
        assert_eq!(
            stats,
            ProcessStats {
                cpu_seconds: 3.0,
                open_fds: 7.0,
                max_fds: 1024.0,
                virtual_memory_bytes: 104_857_600.0,
                resident_memory_bytes: 2560.0 * 16384.0,
                virtual_memory_max_bytes: u64::MAX as f64,
                start_time_seconds: 1_700_000_123.0,
            }
        );
    }

    #[test]
    fn page_size_comes_from_the_system() {
        let word = std::mem::size_of::<usize>();
        let mut auxv = Vec::new();
        for (k, v) in [(33usize, 0x7fff_0000usize), (AT_PAGESZ, 65536), (0, 0)] {
            auxv.extend_from_slice(&k.to_ne_bytes());
            auxv.extend_from_slice(&v.to_ne_bytes());
        }
        assert_eq!(auxv.len(), 6 * word);
        assert_eq!(auxv_page_size(&auxv), Some(65536));
        assert_eq!(auxv_page_size(&auxv[..2 * word]), None);
        assert_eq!(
            smaps_page_size("00400000-00452000 r-xp\nSize: 8 kB\nKernelPageSize:       16 kB\n"),
            Some(16384)
        );
        #[cfg(target_os = "linux")]
        {
            let real = page_size();
            assert!(real >= 4096.0 && (real as u64).is_power_of_two(), "{real}");
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
