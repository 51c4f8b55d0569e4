//! `{{EC2PrivateDNSName}}`: resolving an EC2 instance ID to its private DNS name with
//! EC2 `DescribeInstances` (upstream `pkg/ec2provider`).
//!
//! Nodes authenticate with a role session named after their instance ID, and a mapping
//! such as `username: system:node:{{EC2PrivateDNSName}}` turns that into the name the
//! kubelet registers under. This module answers that lookup for the server.
//!
//! # Why not `aws-sdk-ec2`
//!
//! The EC2 SDK crate is enormous (measured here: +9 minutes of build time and a single
//! rustc process peaking near 8 GB) for one operation. DescribeInstances is a plain EC2
//! Query API call, so this module makes it itself: one `POST` with a form body, signed
//! with `aws-sigv4`, and a small XML reader built on `aws-smithy-xml` (already in the
//! tree). The HTTPS stack is the program's own ([`crate::aws_http`]: proxies, `AWS_CA_BUNDLE`)
//! and credentials come from [`crate::credentials`] (the default chain, plus an optional
//! AssumeRole).
//!
//! # Behaviour, and where it differs from upstream
//!
//! * **Cache with a TTL and a size bound.** Upstream's cache never forgets an entry, so
//!   it grows with every instance ever seen. Here an entry lives for
//!   [`DEFAULT_CACHE_TTL`] and the cache holds at most [`DEFAULT_CACHE_CAPACITY`]
//!   instances; when full, expired entries go first, then the oldest. An instance's private DNS name does not change during its life, so
//!   the TTL only bounds memory and how long a terminated instance stays known.
//!   Failures are not cached, as upstream.
//! * **In-flight de-duplication.** Concurrent lookups of one ID wait on the same call
//!   (one channel per waiter, answered when the call returns), instead of upstream's
//!   50 ms cache polling with its 5 s give-up.
//! * **Batching.** IDs asked for within [`DEFAULT_BATCH_WINDOW`] of the first go out in
//!   one call, and a batch that reaches [`DEFAULT_MAX_BATCH`] IDs (upstream's 100) is
//!   sent at once. A node fleet coming up together costs a handful of calls, not one per
//!   node. The cost is up to one window of latency on a cache miss.
//! * **Unknown IDs do not fail the batch.** EC2 refuses a whole DescribeInstances call
//!   with `InvalidInstanceID.NotFound` if one ID is unknown. The IDs its message names are
//!   answered "not found" and the rest are asked again; if the message names none of
//!   them, each ID is asked on its own.
//! * **Rate limit on the EC2 calls.** `--ec2-describeInstances-qps` / `-burst` feed a
//!   token bucket in front of every DescribeInstances call. (Upstream applies them only
//!   to the STS client used for the assume-role, so its EC2 calls are unlimited.)
//! * **Role.** With `server.ec2DescribeInstancesRoleARN` the calls use that role,
//!   assumed for 60 minutes and renewed five minutes before it expires; with
//!   `server.sourceARN` the AssumeRole call carries `x-amz-source-account` and
//!   `x-amz-source-arn`. A malformed ARN is a start-up error (upstream panics).
//! * **Region.** The server's AWS region (`AWS_REGION`, `AWS_DEFAULT_REGION`, the
//!   profile), else the instance's region from IMDS, else an error on first use.
//! * **Endpoint.** `https://ec2.<region>.<partition DNS suffix>/` (`ec2-fips.` with
//!   `AWS_USE_FIPS_ENDPOINT`), or `AWS_ENDPOINT_URL_EC2`, then `AWS_ENDPOINT_URL`, as
//!   the AWS SDKs honour them (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
//!
//! Errors keep upstream's texts: `failed querying private DNS from EC2 API for node
//! <id>: <err>` and `failed to find node <id> ` (trailing space included).
//!
//! # Layout
//!
//! This module is the lookup's front: settings, errors, and [`Ec2PrivateDns`], which
//! answers from the TTL cache (`cache.rs`) or queues the ID for a batch (`batch.rs`:
//! windows, in-flight de-duplication, the unknown-ID fallback). Every call goes through
//! the token bucket (`rate.rs`) to a [`DescribeInstances`]: the real one is the signed
//! Query call of `query.rs`, whose answers `xml.rs` reads.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod batch;
mod cache;
mod query;
mod rate;
mod xml;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::PrivateDnsLookup;
use cache::TtlCache;
use rate::TokenBucket;

pub use query::AwsDescribe;
pub use xml::{parse_describe_instances, parse_error};

/// How long a resolved name is kept.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(15 * 60);
/// How many instances the cache holds at most.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;
/// How long the first ID of a batch waits for others.
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(50);
/// Largest batch: a batch this big is sent at once (upstream's threshold).
pub const DEFAULT_MAX_BATCH: usize = 100;
/// Upper bound on one DescribeInstances call, credentials included.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an assumed role's session lasts (upstream: 60 minutes).
pub const ROLE_SESSION_DURATION: Duration = Duration::from_secs(60 * 60);
/// How the lookup behaves. [`Ec2Settings::default`] gives upstream's qps/burst (15/5)
/// and this module's cache and batching defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ec2Settings {
    /// The region to call; `None` resolves it from the environment, profile or IMDS.
    pub region: Option<String>,
    /// DescribeInstances calls per second (`--ec2-describeInstances-qps`); 0 = no limit.
    pub qps: u32,
    /// Calls allowed at once before the rate applies (`--ec2-describeInstances-burst`).
    pub burst: u32,
    /// `server.ec2DescribeInstancesRoleARN`.
    pub role_arn: Option<String>,
    /// `server.sourceARN`.
    pub source_arn: Option<String>,
    /// How long a resolved name is kept.
    pub cache_ttl: Duration,
    /// How many names are kept; 0 disables the cache.
    pub cache_capacity: usize,
    /// How long the first ID of a batch waits for others.
    pub batch_window: Duration,
    /// Largest number of IDs in one call.
    pub max_batch: usize,
    /// Upper bound on one call.
    pub call_timeout: Duration,
}

impl Default for Ec2Settings {
    fn default() -> Self {
        Ec2Settings {
            region: None,
            qps: 15,
            burst: 5,
            role_arn: None,
            source_arn: None,
            cache_ttl: DEFAULT_CACHE_TTL,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            batch_window: DEFAULT_BATCH_WINDOW,
            max_batch: DEFAULT_MAX_BATCH,
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }
}

/// A configuration mistake found at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ec2ConfigError {
    /// `server.ec2DescribeInstancesRoleARN` is not a role ARN.
    InvalidRoleArn {
        /// The value.
        arn: String,
        /// Why.
        reason: String,
    },
    /// `server.sourceARN` does not parse as an ARN.
    InvalidSourceArn {
        /// The value.
        arn: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for Ec2ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ec2ConfigError::InvalidRoleArn { arn, reason } => write!(
                f,
                "server.ec2DescribeInstancesRoleARN {arn:?} is not a valid IAM role ARN ({reason}); use arn:<partition>:iam::<account>:role/<name>"
            ),
            Ec2ConfigError::InvalidSourceArn { arn, reason } => write!(
                f,
                "server.sourceARN {arn:?} is not a valid ARN ({reason}); use the ARN of the resource the server acts for, e.g. arn:aws:eks:<region>:<account>:cluster/<name>"
            ),
        }
    }
}

impl std::error::Error for Ec2ConfigError {}

/// Why one instance could not be resolved. `Display` gives upstream's texts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// EC2 does not know the instance (or reports no private DNS name for it).
    NotFound {
        /// The instance ID.
        instance_id: String,
    },
    /// The call failed: credentials, network, or an EC2 error.
    Query {
        /// The instance ID.
        instance_id: String,
        /// What went wrong.
        message: String,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The trailing space is upstream's.
            LookupError::NotFound { instance_id } => {
                write!(f, "failed to find node {instance_id} ")
            }
            LookupError::Query {
                instance_id,
                message,
            } => write!(
                f,
                "failed querying private DNS from EC2 API for node {instance_id}: {message}"
            ),
        }
    }
}

impl std::error::Error for LookupError {}

/// Why one DescribeInstances call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// No credentials, or the AssumeRole failed.
    Credentials(String),
    /// No region, no endpoint, or the HTTP client could not be built.
    Setup(String),
    /// Signing failed.
    Signing(String),
    /// No HTTP answer.
    Connection(String),
    /// The call took longer than the configured timeout.
    Timeout(Duration),
    /// EC2 answered with an error document.
    Api {
        /// HTTP status.
        status: u16,
        /// `<Code>`, e.g. `InvalidInstanceID.NotFound`.
        code: String,
        /// `<Message>`.
        message: String,
        /// `<RequestID>`.
        request_id: String,
    },
    /// A non-success answer that is not an EC2 error document (a proxy's page).
    Status {
        /// HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// A success answer that is not a DescribeInstances document.
    Parse(String),
}

impl CallError {
    fn code(&self) -> Option<&str> {
        match self {
            CallError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Credentials(m) => write!(f, "cannot get AWS credentials for EC2: {m}"),
            CallError::Setup(m) => f.write_str(m),
            CallError::Signing(m) => write!(f, "cannot sign the EC2 request: {m}"),
            CallError::Connection(m) => {
                write!(f, "operation error EC2: DescribeInstances, {m}")
            }
            CallError::Timeout(t) => write!(
                f,
                "operation error EC2: DescribeInstances, timed out after {}s",
                t.as_secs_f64()
            ),
            // The shape of the Go SDK's error, which upstream's message wraps.
            CallError::Api {
                status,
                code,
                message,
                request_id,
            } => write!(
                f,
                "operation error EC2: DescribeInstances, https response error StatusCode: {status}, RequestID: {request_id}, api error {code}: {message}"
            ),
            CallError::Status { status, body } => write!(
                f,
                "operation error EC2: DescribeInstances, https response error StatusCode: {status}: {body}"
            ),
            CallError::Parse(m) => write!(
                f,
                "operation error EC2: DescribeInstances, cannot read the answer: {m}"
            ),
        }
    }
}

impl std::error::Error for CallError {}

/// EC2's error code for an unknown instance ID.
const NOT_FOUND: &str = "InvalidInstanceID.NotFound";
/// EC2's error code for a malformed instance ID.
const MALFORMED: &str = "InvalidInstanceID.Malformed";

/// Called once per DescribeInstances call (the server's
/// `ec2_describe_instances_calls_total`).
pub type CallObserver = Arc<dyn Fn() + Send + Sync>;

/// Makes one DescribeInstances call. The real one is [`AwsDescribe`]; tests use fakes.
pub trait DescribeInstances: Send + Sync {
    /// Instance ID → private DNS name for the instances EC2 returned.
    fn describe<'a>(
        &'a self,
        instance_ids: &'a [String],
    ) -> BoxFuture<'a, Result<HashMap<String, String>, CallError>>;
}

// ---------------------------------------------------------------------------------------
// The lookup front
// ---------------------------------------------------------------------------------------

/// The `{{EC2PrivateDNSName}}` lookup. Cheap to build: nothing touches AWS until the
/// first lookup, so the server can always construct it.
#[derive(Clone)]
pub struct Ec2PrivateDns {
    core: Arc<Core>,
}

impl fmt::Debug for Ec2PrivateDns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ec2PrivateDns")
            .field("settings", &self.core.settings)
            .finish_non_exhaustive()
    }
}

struct Core {
    settings: Ec2Settings,
    backend: Arc<dyn DescribeInstances>,
    on_call: Option<CallObserver>,
    limiter: TokenBucket,
    state: Mutex<State>,
}

type Waiter = oneshot::Sender<Result<String, LookupError>>;

struct State {
    cache: TtlCache,
    /// Every ID pending or in flight, with whoever waits for it.
    waiting: HashMap<String, Vec<Waiter>>,
    /// IDs not sent yet.
    pending: Vec<String>,
    /// A timer task will send `pending`.
    flush_scheduled: bool,
}

impl Ec2PrivateDns {
    /// Checks the settings (role and source ARNs) and builds the lookup against AWS.
    /// `on_call` is told about every DescribeInstances call.
    pub fn new(
        settings: Ec2Settings,
        on_call: Option<CallObserver>,
    ) -> Result<Self, Ec2ConfigError> {
        let backend = AwsDescribe::new(&settings)?;
        Ok(Self::with_backend(settings, Arc::new(backend), on_call))
    }

    /// Builds the lookup over any [`DescribeInstances`] (tests, other transports).
    pub fn with_backend(
        settings: Ec2Settings,
        backend: Arc<dyn DescribeInstances>,
        on_call: Option<CallObserver>,
    ) -> Self {
        let limiter = TokenBucket::new(settings.qps, settings.burst);
        let state = State {
            cache: TtlCache::new(settings.cache_ttl, settings.cache_capacity),
            waiting: HashMap::new(),
            pending: Vec::new(),
            flush_scheduled: false,
        };
        Ec2PrivateDns {
            core: Arc::new(Core {
                settings,
                backend,
                on_call,
                limiter,
                state: Mutex::new(state),
            }),
        }
    }

    /// The private DNS name of `instance_id`, from the cache or EC2.
    pub async fn lookup(&self, instance_id: &str) -> Result<String, LookupError> {
        let receiver = {
            let mut state = self.core.lock();
            if let Some(name) = state.cache.get(instance_id, Instant::now()) {
                return Ok(name);
            }
            let (sender, receiver) = oneshot::channel();
            match state.waiting.entry(instance_id.to_string()) {
                Entry::Occupied(mut waiters) => waiters.get_mut().push(sender),
                Entry::Vacant(slot) => {
                    slot.insert(vec![sender]);
                    state.pending.push(instance_id.to_string());
                    if state.pending.len() >= self.core.settings.max_batch.max(1) {
                        let batch = std::mem::take(&mut state.pending);
                        tokio::spawn(self.core.clone().send_batch(batch));
                    } else if !state.flush_scheduled {
                        state.flush_scheduled = true;
                        tokio::spawn(self.core.clone().send_after_window());
                    }
                }
            }
            receiver
        };
        // The sender is dropped without an answer only if the runtime shuts down.
        receiver.await.unwrap_or_else(|_| {
            Err(LookupError::Query {
                instance_id: instance_id.to_string(),
                message: "the lookup was cancelled (server shutting down)".into(),
            })
        })
    }

    /// How many names are cached (including expired ones not yet evicted).
    pub fn cached(&self) -> usize {
        self.core.lock().cache.len()
    }
}

impl PrivateDnsLookup for Ec2PrivateDns {
    fn private_dns_name<'a>(
        &'a self,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move { self.lookup(instance_id).await.map_err(|e| e.to_string()) })
    }
}

impl Core {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent across a panic (every update is one statement), so
        // a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A DescribeInstances stand-in: known instances, a log of every call, and EC2's
    /// habit of refusing a whole call when one ID is unknown.
    #[derive(Default)]
    struct FakeEc2 {
        known: HashMap<String, String>,
        calls: Mutex<Vec<Vec<String>>>,
        delay: Duration,
        /// Name the unknown IDs in the NotFound message (EC2 does; some proxies strip it).
        name_unknown: bool,
        fail_with: Option<CallError>,
    }

    impl FakeEc2 {
        fn with(instances: &[(&str, &str)]) -> Self {
            FakeEc2 {
                known: instances
                    .iter()
                    .map(|(i, n)| (i.to_string(), n.to_string()))
                    .collect(),
                name_unknown: true,
                ..Default::default()
            }
        }
        /// `n` instances `i-00000000`, `i-00000001`, … named `dns-<id>`.
        fn numbered(n: usize) -> (Vec<String>, Self) {
            let ids: Vec<String> = (0..n).map(|i| format!("i-{i:08}")).collect();
            let fake = FakeEc2 {
                known: ids
                    .iter()
                    .map(|id| (id.clone(), format!("dns-{id}")))
                    .collect(),
                name_unknown: true,
                ..Default::default()
            };
            (ids, fake)
        }
        fn calls(&self) -> Vec<Vec<String>> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl DescribeInstances for FakeEc2 {
        fn describe<'a>(
            &'a self,
            ids: &'a [String],
        ) -> BoxFuture<'a, Result<HashMap<String, String>, CallError>> {
            self.calls.lock().unwrap().push(ids.to_vec());
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                if let Some(e) = &self.fail_with {
                    return Err(e.clone());
                }
                let unknown: Vec<&String> = ids
                    .iter()
                    .filter(|i| !self.known.contains_key(*i))
                    .collect();
                if let Some(first) = unknown.first() {
                    // Like moto: only the first unknown ID is named.
                    let message = if self.name_unknown {
                        format!("The instance ID '{first}' does not exist")
                    } else {
                        "Some instance IDs do not exist".to_string()
                    };
                    return Err(CallError::Api {
                        status: 400,
                        code: NOT_FOUND.into(),
                        message,
                        request_id: "req-1".into(),
                    });
                }
                Ok(ids
                    .iter()
                    .map(|i| (i.clone(), self.known[i].clone()))
                    .collect())
            })
        }
    }

    fn lookup_over(fake: Arc<FakeEc2>, settings: Ec2Settings) -> (Ec2PrivateDns, Arc<AtomicUsize>) {
        let counter = Arc::new(AtomicUsize::new(0));
        let seen = counter.clone();
        let observe: CallObserver = Arc::new(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        (
            Ec2PrivateDns::with_backend(settings, fake, Some(observe)),
            counter,
        )
    }

    fn unlimited() -> Ec2Settings {
        Ec2Settings {
            qps: 0,
            ..Ec2Settings::default()
        }
    }

    #[test]
    fn error_texts_match_upstream() {
        assert_eq!(
            LookupError::NotFound {
                instance_id: "i-0123456789abcdef0".into()
            }
            .to_string(),
            "failed to find node i-0123456789abcdef0 "
        );
        let query = LookupError::Query {
            instance_id: "i-12345678".into(),
            message: CallError::Api {
                status: 403,
                code: "UnauthorizedOperation".into(),
                message: "You are not authorized to perform this operation.".into(),
                request_id: "r-1".into(),
            }
            .to_string(),
        };
        assert_eq!(
            query.to_string(),
            "failed querying private DNS from EC2 API for node i-12345678: operation error EC2: DescribeInstances, https response error StatusCode: 403, RequestID: r-1, api error UnauthorizedOperation: You are not authorized to perform this operation."
        );
    }

    #[test]
    fn role_and_source_arns_are_checked_at_start_up() {
        let with = |role: Option<&str>, source: Option<&str>| {
            Ec2PrivateDns::new(
                Ec2Settings {
                    role_arn: role.map(str::to_string),
                    source_arn: source.map(str::to_string),
                    ..Ec2Settings::default()
                },
                None,
            )
            .map(|_| ())
        };
        assert!(with(None, None).is_ok());
        assert!(with(Some("arn:aws:iam::111122223333:role/ec2-reader"), None).is_ok());
        assert!(
            with(
                Some("arn:aws:iam::111122223333:role/ec2-reader"),
                Some("arn:aws:eks:us-west-2:111122223333:cluster/prod")
            )
            .is_ok()
        );
        let err = with(Some("ec2-reader"), None).unwrap_err();
        assert!(matches!(err, Ec2ConfigError::InvalidRoleArn { .. }));
        assert!(!err.to_string().contains('\n'));
        assert!(with(Some("arn:aws:iam::111122223333:user/bob"), None).is_err());
        assert!(with(Some("arn:nope:iam::111122223333:role/x"), None).is_err());
        assert!(matches!(
            with(
                Some("arn:aws:iam::111122223333:role/x"),
                Some("cluster-prod")
            ),
            Err(Ec2ConfigError::InvalidSourceArn { .. })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_lookups_within_the_window_share_one_call() {
        let fake = Arc::new(FakeEc2::with(&[
            ("i-00000001", "ip-1"),
            ("i-00000002", "ip-2"),
            ("i-00000003", "ip-3"),
        ]));
        let (dns, calls) = lookup_over(fake.clone(), unlimited());
        let (a, b, c, a2) = tokio::join!(
            dns.lookup("i-00000001"),
            dns.lookup("i-00000002"),
            dns.lookup("i-00000003"),
            dns.lookup("i-00000001"),
        );
        assert_eq!(
            (a.unwrap(), b.unwrap(), c.unwrap()),
            ("ip-1".into(), "ip-2".into(), "ip-3".into())
        );
        assert_eq!(a2.unwrap(), "ip-1");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            fake.calls(),
            vec![vec!["i-00000001", "i-00000002", "i-00000003"]]
        );
        // Cached now: no further call.
        assert_eq!(dns.lookup("i-00000002").await.unwrap(), "ip-2");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn lookups_after_the_window_go_in_a_new_call() {
        let fake = Arc::new(FakeEc2::with(&[
            ("i-00000001", "ip-1"),
            ("i-00000002", "ip-2"),
        ]));
        let (dns, calls) = lookup_over(fake.clone(), unlimited());
        let first = dns.clone();
        let early = tokio::spawn(async move { first.lookup("i-00000001").await });
        tokio::time::sleep(DEFAULT_BATCH_WINDOW * 2).await;
        assert_eq!(early.await.unwrap().unwrap(), "ip-1");
        assert_eq!(dns.lookup("i-00000002").await.unwrap(), "ip-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(fake.calls(), vec![vec!["i-00000001"], vec!["i-00000002"]]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_is_sent_without_waiting_for_the_window() {
        let (ids, fake) = FakeEc2::numbered(250);
        let fake = Arc::new(fake);
        let (dns, calls) = lookup_over(fake.clone(), unlimited());
        let started = Instant::now();
        let lookups = ids.iter().map(|id| dns.lookup(id));
        let results = futures_util::future::join_all(lookups).await;
        for (id, result) in ids.iter().zip(results) {
            assert_eq!(result.unwrap(), format!("dns-{id}"));
        }
        let sizes: Vec<usize> = fake.calls().iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![100, 100, 50]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // Only the last, partial batch waited for the window.
        assert!(started.elapsed() <= DEFAULT_BATCH_WINDOW + Duration::from_millis(5));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_lookups_of_one_id_make_one_call_even_while_in_flight() {
        let mut fake = FakeEc2::with(&[("i-00000001", "ip-1")]);
        fake.delay = Duration::from_secs(2);
        let fake = Arc::new(fake);
        let (dns, calls) = lookup_over(fake.clone(), unlimited());
        let mut tasks = Vec::new();
        for n in 0..20u64 {
            let dns = dns.clone();
            tasks.push(tokio::spawn(async move {
                // Some arrive in the window, some while the call is in flight.
                tokio::time::sleep(Duration::from_millis(n * 100)).await;
                dns.lookup("i-00000001").await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "ip-1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(fake.calls().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_ids_do_not_fail_the_rest_of_the_batch() {
        let fake = Arc::new(FakeEc2::with(&[
            ("i-00000001", "ip-1"),
            ("i-00000002", "ip-2"),
        ]));
        let (dns, _) = lookup_over(fake.clone(), unlimited());
        let (a, bad1, b, bad2) = tokio::join!(
            dns.lookup("i-00000001"),
            dns.lookup("i-0123456789abcdef0"),
            dns.lookup("i-00000002"),
            dns.lookup("i-0123456789abcdef1"),
        );
        assert_eq!(a.unwrap(), "ip-1");
        assert_eq!(b.unwrap(), "ip-2");
        assert_eq!(
            bad1.unwrap_err().to_string(),
            "failed to find node i-0123456789abcdef0 "
        );
        assert_eq!(
            bad2.unwrap_err().to_string(),
            "failed to find node i-0123456789abcdef1 "
        );
        // One call per unknown ID named, then the good ones together.
        assert_eq!(fake.calls().len(), 3);
        assert_eq!(fake.calls()[2], vec!["i-00000001", "i-00000002"]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unhelpful_not_found_message_falls_back_to_one_call_per_id() {
        let mut fake = FakeEc2::with(&[("i-00000001", "ip-1"), ("i-00000002", "ip-2")]);
        fake.name_unknown = false;
        let fake = Arc::new(fake);
        let (dns, calls) = lookup_over(fake.clone(), unlimited());
        let (a, bad, b) = tokio::join!(
            dns.lookup("i-00000001"),
            dns.lookup("i-0123456789abcdef0"),
            dns.lookup("i-00000002"),
        );
        assert_eq!(a.unwrap(), "ip-1");
        assert_eq!(b.unwrap(), "ip-2");
        assert!(matches!(bad, Err(LookupError::NotFound { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn other_errors_fail_every_id_of_the_call_and_are_not_cached() {
        let mut fake = FakeEc2::with(&[("i-00000001", "ip-1")]);
        fake.fail_with = Some(CallError::Connection("connection refused".into()));
        let fake = Arc::new(fake);
        let (dns, calls) = lookup_over(fake.clone(), unlimited());
        let (a, b) = tokio::join!(dns.lookup("i-00000001"), dns.lookup("i-00000002"));
        assert_eq!(
            a.unwrap_err().to_string(),
            "failed querying private DNS from EC2 API for node i-00000001: operation error EC2: DescribeInstances, connection refused"
        );
        assert!(matches!(b, Err(LookupError::Query { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(dns.lookup("i-00000001").await.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(dns.cached(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn an_instance_without_a_private_dns_name_is_not_found() {
        let fake = Arc::new(FakeEc2::with(&[("i-00000001", "")]));
        let (dns, _) = lookup_over(fake, unlimited());
        assert_eq!(
            dns.lookup("i-00000001").await.unwrap_err().to_string(),
            "failed to find node i-00000001 "
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cached_names_expire_after_the_ttl() {
        let fake = Arc::new(FakeEc2::with(&[("i-00000001", "ip-1")]));
        let settings = Ec2Settings {
            cache_ttl: Duration::from_secs(60),
            ..unlimited()
        };
        let (dns, calls) = lookup_over(fake, settings);
        dns.lookup("i-00000001").await.unwrap();
        tokio::time::sleep(Duration::from_secs(59)).await;
        dns.lookup("i-00000001").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_secs(2)).await;
        dns.lookup("i-00000001").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_cache_is_bounded_and_evicts_the_oldest() {
        let (ids, fake) = FakeEc2::numbered(5);
        let fake = Arc::new(fake);
        let settings = Ec2Settings {
            cache_capacity: 3,
            ..unlimited()
        };
        let (dns, calls) = lookup_over(fake, settings);
        for id in &ids {
            dns.lookup(id).await.unwrap();
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert!(dns.cached() <= 3);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        // The newest three are cached; the oldest two were evicted.
        for id in ids.iter().skip(2) {
            dns.lookup(id).await.unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        dns.lookup("i-00000000").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_are_rate_limited() {
        let (ids, fake) = FakeEc2::numbered(8);
        let fake = Arc::new(fake);
        // One ID per batch, so every lookup is its own call; 2 at once, then 1 per second.
        let settings = Ec2Settings {
            qps: 1,
            burst: 2,
            max_batch: 1,
            ..Ec2Settings::default()
        };
        let (dns, calls) = lookup_over(fake, settings);
        let started = Instant::now();
        let lookups = ids.iter().map(|id| dns.lookup(id));
        for result in futures_util::future::join_all(lookups).await {
            result.unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 8);
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_secs(6) && elapsed < Duration::from_secs(7),
            "{elapsed:?}"
        );
    }
}
