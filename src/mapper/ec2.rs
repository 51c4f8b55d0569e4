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
//! tree). The HTTPS stack is the program's own ([`crate::http`]: proxies, `AWS_CA_BUNDLE`)
//! and credentials come from [`crate::credentials`] (the default chain, plus an optional
//! AssumeRole).
//!
//! # Behaviour, and where it differs from upstream
//!
//! * **Cache with a TTL and a size bound.** Upstream's cache never forgets an entry
//!   (its issue #67). Here an entry lives for [`DEFAULT_CACHE_TTL`] and the cache holds
//!   at most [`DEFAULT_CACHE_CAPACITY`] instances; when full, expired entries go first,
//!   then the oldest. An instance's private DNS name does not change during its life, so
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
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_xml::decode::{Document, try_data};
use futures_util::future::BoxFuture;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::PrivateDnsLookup;
use crate::credentials::{AwsContext, LoadOptions, RegionSource};
use crate::http::error_chain;
use crate::partition::EndpointFlavour;

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
/// Credentials are renewed this long before they expire.
const CREDENTIALS_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Credentials without an expiry (static keys) are re-read this often.
const STATIC_CREDENTIALS_TTL: Duration = Duration::from_secs(15 * 60);
/// Largest DescribeInstances answer read (100 instances are well under 2 MiB).
const MAX_RESPONSE: usize = 16 * 1024 * 1024;
/// The EC2 API version of the Query call.
const EC2_API_VERSION: &str = "2016-11-15";
/// The STS headers `server.sourceARN` adds (confused-deputy protection).
const SOURCE_ACCOUNT_HEADER: &str = "x-amz-source-account";
const SOURCE_ARN_HEADER: &str = "x-amz-source-arn";

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
// The lookup: cache, de-duplication, batching, rate limit
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

#[derive(Default)]
struct State {
    cache: HashMap<String, Cached>,
    /// Every ID pending or in flight, with whoever waits for it.
    waiting: HashMap<String, Vec<Waiter>>,
    /// IDs not sent yet.
    pending: Vec<String>,
    /// A timer task will send `pending`.
    flush_scheduled: bool,
}

struct Cached {
    name: String,
    expires: Instant,
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
        Ec2PrivateDns {
            core: Arc::new(Core {
                settings,
                backend,
                on_call,
                limiter,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The private DNS name of `instance_id`, from the cache or EC2.
    pub async fn lookup(&self, instance_id: &str) -> Result<String, LookupError> {
        let receiver = {
            let mut state = self.core.lock();
            let now = Instant::now();
            match state.cache.get(instance_id) {
                Some(hit) if hit.expires > now => return Ok(hit.name.clone()),
                Some(_) => {
                    state.cache.remove(instance_id);
                }
                None => {}
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

    async fn send_after_window(self: Arc<Self>) {
        tokio::time::sleep(self.settings.batch_window).await;
        let batch = {
            let mut state = self.lock();
            state.flush_scheduled = false;
            std::mem::take(&mut state.pending)
        };
        if !batch.is_empty() {
            self.send_batch(batch).await;
        }
    }

    async fn send_batch(self: Arc<Self>, batch: Vec<String>) {
        for chunk in batch.chunks(self.settings.max_batch.max(1)) {
            let results = self.resolve(chunk).await;
            let mut state = self.lock();
            for (id, result) in results {
                if let Ok(name) = &result {
                    self.remember(&mut state, &id, name);
                }
                for waiter in state.waiting.remove(&id).unwrap_or_default() {
                    // A waiter that went away (client disconnected) is fine to skip.
                    let _ = waiter.send(result.clone());
                }
            }
        }
    }

    fn remember(&self, state: &mut State, id: &str, name: &str) {
        let capacity = self.settings.cache_capacity;
        if capacity == 0 {
            return;
        }
        let now = Instant::now();
        if state.cache.len() >= capacity && !state.cache.contains_key(id) {
            state.cache.retain(|_, entry| entry.expires > now);
            while state.cache.len() >= capacity {
                // Every entry has the same TTL, so the earliest expiry is the oldest.
                let oldest = state
                    .cache
                    .iter()
                    .min_by_key(|(_, entry)| entry.expires)
                    .map(|(key, _)| key.clone());
                match oldest {
                    Some(key) => state.cache.remove(&key),
                    None => break,
                };
            }
        }
        state.cache.insert(
            id.to_string(),
            Cached {
                name: name.to_string(),
                expires: now + self.settings.cache_ttl,
            },
        );
    }

    /// One rate-limited, counted call.
    async fn call(&self, ids: &[String]) -> Result<HashMap<String, String>, CallError> {
        self.limiter.acquire().await;
        if let Some(observe) = &self.on_call {
            observe();
        }
        tracing::debug!(count = ids.len(), "EC2 DescribeInstances");
        let timeout = self.settings.call_timeout;
        tokio::time::timeout(timeout, self.backend.describe(ids))
            .await
            .unwrap_or(Err(CallError::Timeout(timeout)))
    }

    /// Answers every ID of `ids`, keeping unknown IDs from failing the others.
    async fn resolve(&self, ids: &[String]) -> Vec<(String, Result<String, LookupError>)> {
        let mut results = Vec::with_capacity(ids.len());
        let mut remaining: Vec<String> = ids.to_vec();
        while !remaining.is_empty() {
            match self.call(&remaining).await {
                Ok(found) => {
                    for id in remaining.drain(..) {
                        let answer = found_name(&found, &id);
                        results.push((id, answer));
                    }
                }
                Err(e) if remaining.len() == 1 => {
                    for id in remaining.drain(..) {
                        let answer = failure(&id, &e);
                        results.push((id, answer));
                    }
                }
                Err(e) if is_bad_id_error(&e) => {
                    let named = named_ids(&e, &remaining);
                    if named.is_empty() {
                        // EC2 did not say which ID it objects to: ask one by one.
                        for id in remaining.drain(..) {
                            let answer = self.resolve_one(&id).await;
                            results.push((id, answer));
                        }
                    } else {
                        remaining.retain(|id| !named.contains(id));
                        for id in named {
                            let answer = failure(&id, &e);
                            results.push((id, answer));
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, count = remaining.len(), "EC2 DescribeInstances failed");
                    for id in remaining.drain(..) {
                        let answer = failure(&id, &e);
                        results.push((id, answer));
                    }
                }
            }
        }
        results
    }

    async fn resolve_one(&self, id: &str) -> Result<String, LookupError> {
        match self.call(std::slice::from_ref(&id.to_string())).await {
            Ok(found) => found_name(&found, id),
            Err(e) => failure(id, &e),
        }
    }
}

fn found_name(found: &HashMap<String, String>, id: &str) -> Result<String, LookupError> {
    match found.get(id) {
        // An instance without a private DNS name (no VPC DNS hostnames) cannot be
        // mapped; upstream would render `system:node:` with an empty name.
        Some(name) if !name.is_empty() => Ok(name.clone()),
        _ => Err(LookupError::NotFound {
            instance_id: id.to_string(),
        }),
    }
}

fn failure(id: &str, error: &CallError) -> Result<String, LookupError> {
    Err(if error.code() == Some(NOT_FOUND) {
        LookupError::NotFound {
            instance_id: id.to_string(),
        }
    } else {
        LookupError::Query {
            instance_id: id.to_string(),
            message: error.to_string(),
        }
    })
}

const NOT_FOUND: &str = "InvalidInstanceID.NotFound";
const MALFORMED: &str = "InvalidInstanceID.Malformed";

fn is_bad_id_error(error: &CallError) -> bool {
    matches!(error.code(), Some(NOT_FOUND | MALFORMED))
}

/// The IDs of `candidates` that an EC2 error message names. EC2 writes them as
/// `The instance ID 'i-1' does not exist`, `The instance IDs 'i-1, i-2' do not exist`
/// or `Invalid id: "i-1"`; every `i-…` word is taken, and only known candidates kept.
fn named_ids(error: &CallError, candidates: &[String]) -> Vec<String> {
    let CallError::Api { message, .. } = error else {
        return Vec::new();
    };
    let mut named = Vec::new();
    for word in message.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        if word.starts_with("i-")
            && candidates.iter().any(|c| c == word)
            && !named.iter().any(|n: &String| n == word)
        {
            named.push(word.to_string());
        }
    }
    named
}

/// A token bucket: `burst` calls at once, then `qps` per second.
struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    fn new(qps: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate: f64::from(qps),
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    async fn acquire(&self) {
        if self.rate <= 0.0 {
            return;
        }
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                let (tokens, last) = *state;
                let tokens =
                    (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.burst);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

// ---------------------------------------------------------------------------------------
// The real call: a signed EC2 Query request
// ---------------------------------------------------------------------------------------

/// DescribeInstances over HTTPS with SigV4, credentials from the default chain or the
/// configured role. The AWS context, endpoint and HTTP client are built on first use.
pub struct AwsDescribe {
    region: Option<String>,
    role: Option<RoleSettings>,
    client: tokio::sync::OnceCell<Client>,
    credentials: tokio::sync::Mutex<Option<(Credentials, Instant)>>,
}

#[derive(Clone, Debug)]
struct RoleSettings {
    arn: String,
    headers: Vec<(&'static str, String)>,
}

struct Client {
    aws: AwsContext,
    region: String,
    endpoint: http::Uri,
    connector: Connector,
}

impl AwsDescribe {
    /// Checks the role and source ARNs; nothing is loaded yet.
    pub fn new(settings: &Ec2Settings) -> Result<Self, Ec2ConfigError> {
        let role = match &settings.role_arn {
            None => None,
            Some(arn) => {
                check_role_arn(arn)?;
                let mut headers = Vec::new();
                if let Some(source) = &settings.source_arn {
                    let account = crate::arn::account_id(source).map_err(|e| {
                        Ec2ConfigError::InvalidSourceArn {
                            arn: source.clone(),
                            reason: e.to_string(),
                        }
                    })?;
                    headers.push((SOURCE_ACCOUNT_HEADER, account.to_string()));
                    headers.push((SOURCE_ARN_HEADER, source.clone()));
                }
                Some(RoleSettings {
                    arn: arn.clone(),
                    headers,
                })
            }
        };
        Ok(AwsDescribe {
            region: settings.region.clone(),
            role,
            client: tokio::sync::OnceCell::new(),
            credentials: tokio::sync::Mutex::new(None),
        })
    }

    async fn client(&self) -> Result<&Client, CallError> {
        self.client
            .get_or_try_init(|| async {
                let aws = AwsContext::load(&LoadOptions {
                    region: self.region.clone(),
                    profile: None,
                    interactive: false,
                })
                .await
                .map_err(|e| CallError::Setup(e.to_string()))?;
                if aws.region_source() == RegionSource::Default {
                    return Err(CallError::Setup(
                        "no AWS region for the EC2 API: set AWS_REGION (or a profile region), or run on EC2 where the instance metadata gives it".into(),
                    ));
                }
                let region = aws.region().to_string();
                let endpoint = endpoint(&region, aws.flavour(), &|name| std::env::var(name).ok())?;
                let tls = crate::http::tls_context().map_err(|e| CallError::Setup(e.to_string()))?;
                let connector = crate::http::connector(&tls, &crate::http::ConnectorOptions::default());
                tracing::info!(%region, %endpoint, role = ?self.role.as_ref().map(|r| &r.arn), "EC2 DescribeInstances client ready");
                Ok(Client {
                    aws,
                    region,
                    endpoint,
                    connector,
                })
            })
            .await
    }

    async fn credentials(&self, client: &Client) -> Result<Credentials, CallError> {
        let mut cached = self.credentials.lock().await;
        if let Some((creds, fetched)) = cached.as_ref() {
            let fresh = match creds.expiry() {
                Some(expiry) => expiry
                    .duration_since(std::time::SystemTime::now())
                    .is_ok_and(|left| left > CREDENTIALS_REFRESH_MARGIN),
                None => fetched.elapsed() < STATIC_CREDENTIALS_TTL,
            };
            if fresh {
                return Ok(creds.clone());
            }
        }
        let base = client
            .aws
            .base_credentials()
            .await
            .map_err(|e| CallError::Credentials(e.to_string()))?;
        let creds = match &self.role {
            None => base,
            Some(role) => client
                .aws
                .assume_role_with_headers(
                    &base,
                    &role.arn,
                    &crate::credentials::default_session_name(),
                    ROLE_SESSION_DURATION,
                    &role.headers,
                )
                .await
                .map_err(|e| CallError::Credentials(e.to_string()))?,
        };
        *cached = Some((creds.clone(), Instant::now()));
        Ok(creds)
    }

    async fn call(&self, ids: &[String]) -> Result<HashMap<String, String>, CallError> {
        let client = self.client().await?;
        let credentials = self.credentials(client).await?;
        let body = query_body(ids);
        let request = signed_request(
            &client.endpoint,
            &client.region,
            &credentials,
            body,
            std::time::SystemTime::now(),
        )?;
        let response = client
            .connector
            .call(request)
            .await
            .map_err(|e| CallError::Connection(error_chain(&e)))?;
        let status = response.status().as_u16();
        let bytes = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| CallError::Connection(error_chain(&e)))?
            .into_bytes();
        let bytes = bytes.get(..MAX_RESPONSE).unwrap_or(&bytes);
        let text = String::from_utf8_lossy(bytes);
        if (200..300).contains(&status) {
            parse_describe_instances(&text).map_err(CallError::Parse)
        } else {
            Err(match parse_error(&text) {
                Some((code, message, request_id)) => CallError::Api {
                    status,
                    code,
                    message,
                    request_id,
                },
                None => CallError::Status {
                    status,
                    body: text.chars().take(200).collect(),
                },
            })
        }
    }
}

impl DescribeInstances for AwsDescribe {
    fn describe<'a>(
        &'a self,
        instance_ids: &'a [String],
    ) -> BoxFuture<'a, Result<HashMap<String, String>, CallError>> {
        Box::pin(self.call(instance_ids))
    }
}

fn check_role_arn(arn: &str) -> Result<(), Ec2ConfigError> {
    let invalid = |reason: String| Ec2ConfigError::InvalidRoleArn {
        arn: arn.to_string(),
        reason,
    };
    crate::arn::account_id(arn).map_err(|e| invalid(e.to_string()))?;
    let mut sections = arn.splitn(6, ':').skip(1);
    let partition = sections.next().unwrap_or_default();
    let service = sections.next().unwrap_or_default();
    let resource = sections.nth(2).unwrap_or_default();
    if partition.parse::<crate::partition::Partition>().is_err() {
        return Err(invalid(format!("unknown partition {partition:?}")));
    }
    if service != "iam" || !resource.starts_with("role/") {
        return Err(invalid("not an iam role".into()));
    }
    Ok(())
}

/// The endpoint: `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL`, else the regional one.
fn endpoint(
    region: &str,
    flavour: EndpointFlavour,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<http::Uri, CallError> {
    let ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let configured = if ignore {
        None
    } else {
        ["AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"]
            .iter()
            .find_map(|name| {
                env(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*name, v))
            })
    };
    let url = match configured {
        Some((name, url)) => {
            let uri: http::Uri = url
                .trim()
                .parse()
                .map_err(|e| CallError::Setup(format!("{name} {url:?} is not a URL: {e}")))?;
            if uri.scheme().is_none() || uri.authority().is_none() {
                return Err(CallError::Setup(format!(
                    "{name} {url:?} is not an absolute URL such as https://ec2.example.com"
                )));
            }
            return Ok(uri);
        }
        None => {
            // The partition's DNS suffix, from the SDK's STS endpoint rules (the same
            // partition table): `sts.<region>.<suffix>`.
            let sts = crate::partition::sts_host(region, EndpointFlavour::default())
                .map_err(|e| CallError::Setup(e.to_string()))?;
            let suffix = sts
                .strip_prefix(&format!("sts.{region}."))
                .unwrap_or("amazonaws.com");
            let service = if flavour.fips { "ec2-fips" } else { "ec2" };
            format!("https://{service}.{region}.{suffix}/")
        }
    };
    url.parse()
        .map_err(|e| CallError::Setup(format!("invalid EC2 endpoint {url}: {e}")))
}

/// `application/x-www-form-urlencoded` with the AWS Query encoding (RFC 3986 unreserved
/// characters kept, everything else escaped).
const QUERY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn query_body(ids: &[String]) -> String {
    let mut body = format!("Action=DescribeInstances&Version={EC2_API_VERSION}");
    for (i, id) in ids.iter().enumerate() {
        body.push_str(&format!("&InstanceId.{}=", i + 1));
        body.extend(utf8_percent_encode(id, QUERY_ENCODE));
    }
    body
}

/// Builds the SigV4-signed `POST /` (headers `host`, `content-type`, `x-amz-date`,
/// `x-amz-security-token` for session credentials, `authorization`).
fn signed_request(
    endpoint: &http::Uri,
    region: &str,
    credentials: &Credentials,
    body: String,
    now: std::time::SystemTime,
) -> Result<HttpRequest, CallError> {
    let signing = |e: &dyn fmt::Display| CallError::Signing(e.to_string());
    let host = endpoint
        .authority()
        .map(|a| a.as_str().to_string())
        .ok_or_else(|| CallError::Setup(format!("the EC2 endpoint {endpoint} has no host")))?;
    let url = endpoint.to_string();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("ec2")
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| signing(&e))?
        .into();
    let headers = [("host", host.as_str()), ("content-type", content_type)];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| signing(&e))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| signing(&e))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("POST")
        .uri(&url)
        .header("host", &host)
        .header("content-type", content_type)
        .body(SdkBody::from(body))
        .map_err(|e| signing(&e))?;
    instructions.apply_to_request_http1x(&mut request);
    HttpRequest::try_from(request).map_err(|e| signing(&e))
}

// ---------------------------------------------------------------------------------------
// XML
// ---------------------------------------------------------------------------------------

/// Reads `reservationSet/item/instancesSet/item/{instanceId, privateDnsName}` of a
/// `DescribeInstancesResponse`. Other elements (network interfaces carry their own
/// `privateDnsName`) are skipped by path, not by name.
pub fn parse_describe_instances(xml: &str) -> Result<HashMap<String, String>, String> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    if root.start_el().local() != "DescribeInstancesResponse" {
        return Err(format!(
            "expected DescribeInstancesResponse, found <{}>",
            root.start_el().local()
        ));
    }
    let mut out = HashMap::new();
    while let Some(mut reservations) = root.next_tag() {
        if reservations.start_el().local() != "reservationSet" {
            continue;
        }
        while let Some(mut reservation) = reservations.next_tag() {
            if reservation.start_el().local() != "item" {
                continue;
            }
            while let Some(mut instances) = reservation.next_tag() {
                if instances.start_el().local() != "instancesSet" {
                    continue;
                }
                while let Some(mut instance) = instances.next_tag() {
                    if instance.start_el().local() != "item" {
                        continue;
                    }
                    let (mut id, mut dns) = (None, None);
                    while let Some(mut field) = instance.next_tag() {
                        match field.start_el().local() {
                            "instanceId" => {
                                id = Some(try_data(&mut field).map_err(|e| e.to_string())?)
                            }
                            "privateDnsName" => {
                                dns = Some(try_data(&mut field).map_err(|e| e.to_string())?)
                            }
                            _ => {}
                        }
                    }
                    if let Some(id) = id {
                        out.insert(
                            id.trim().to_string(),
                            dns.map(|d| d.trim().to_string()).unwrap_or_default(),
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `(Code, Message, RequestID)` of an EC2 error document
/// (`<Response><Errors><Error><Code>…`), if the text is one.
pub fn parse_error(xml: &str) -> Option<(String, String, String)> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().ok()?;
    if root.start_el().local() != "Response" {
        return None;
    }
    let (mut code, mut message, mut request_id) = (None, String::new(), String::new());
    while let Some(mut tag) = root.next_tag() {
        match tag.start_el().local() {
            "Errors" => {
                while let Some(mut error) = tag.next_tag() {
                    if error.start_el().local() != "Error" || code.is_some() {
                        continue;
                    }
                    while let Some(mut field) = error.next_tag() {
                        match field.start_el().local() {
                            "Code" => {
                                code = try_data(&mut field).ok().map(|c| c.trim().to_string())
                            }
                            "Message" => {
                                message = try_data(&mut field)
                                    .map(|m| m.trim().to_string())
                                    .unwrap_or_default()
                            }
                            _ => {}
                        }
                    }
                }
            }
            "RequestID" | "RequestId" => {
                request_id = try_data(&mut tag)
                    .map(|r| r.trim().to_string())
                    .unwrap_or_default()
            }
            _ => {}
        }
    }
    code.map(|code| (code, message, request_id))
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

    const RESPONSE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <instancesSet>
        <item>
          <instanceId>i-0c6f21bf1f24f9708</instanceId>
          <privateDnsName>ip-172-31-27-14.us-west-2.compute.internal</privateDnsName>
          <networkInterfaceSet><item>
            <privateDnsName>ip-10-0-0-1.ec2.internal</privateDnsName>
          </item></networkInterfaceSet>
          <tagSet><item><key>instanceId</key><value>i-decoy</value></item></tagSet>
        </item>
        <item>
          <networkInterfaceSet><item><privateDnsName>eni-first</privateDnsName></item></networkInterfaceSet>
          <instanceId>i-1111111111111111a</instanceId>
          <privateDnsName>ip-10-1-2-3.ec2.internal</privateDnsName>
        </item>
      </instancesSet>
    </item>
    <item>
      <instancesSet>
        <item>
          <instanceId>i-22222222</instanceId>
          <privateDnsName/>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>"#;

    #[test]
    fn parses_instances_by_path_not_by_name() {
        let found = parse_describe_instances(RESPONSE).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(
            found["i-0c6f21bf1f24f9708"],
            "ip-172-31-27-14.us-west-2.compute.internal"
        );
        assert_eq!(found["i-1111111111111111a"], "ip-10-1-2-3.ec2.internal");
        assert_eq!(found["i-22222222"], "");
    }

    #[test]
    fn parses_an_empty_reservation_set() {
        let xml = r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><reservationSet/></DescribeInstancesResponse>"#;
        assert!(parse_describe_instances(xml).unwrap().is_empty());
    }

    #[test]
    fn rejects_documents_that_are_not_describe_instances() {
        assert!(parse_describe_instances("<html><body>proxy error</body></html>").is_err());
        assert!(parse_describe_instances("not xml at all").is_err());
        assert!(parse_describe_instances("").is_err());
        // A truncated answer must not panic; whatever was complete may be read.
        let _ = parse_describe_instances("<DescribeInstancesResponse><reservationSet><item>");
        let _ = parse_error("<Response><Errors><Error><Code>X");
    }

    #[test]
    fn parses_ec2_error_documents() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"#;
        let (code, message, request_id) = parse_error(xml).unwrap();
        assert_eq!(code, NOT_FOUND);
        assert_eq!(
            message,
            "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"
        );
        assert_eq!(request_id, "ea966190-f9aa-478e-9ede-example");
        let error = CallError::Api {
            status: 400,
            code,
            message,
            request_id,
        };
        let candidates = vec![
            "i-0123456789abcdef1".to_string(),
            "i-0123456789abcdef0".to_string(),
            "i-00000000".to_string(),
        ];
        assert_eq!(
            named_ids(&error, &candidates),
            vec!["i-0123456789abcdef0", "i-0123456789abcdef1"]
        );
        assert!(parse_error("<html>502 Bad Gateway</html>").is_none());
        assert!(parse_error("garbage").is_none());
        assert!(parse_error(RESPONSE).is_none());
    }

    #[test]
    fn malformed_id_messages_name_the_id() {
        let error = CallError::Api {
            status: 400,
            code: MALFORMED.into(),
            message: "Invalid id: \"i-abc_defg\"".into(),
            request_id: String::new(),
        };
        assert!(is_bad_id_error(&error));
        assert_eq!(
            named_ids(
                &error,
                &["i-abc_defg".to_string(), "i-12345678".to_string()]
            ),
            vec!["i-abc_defg"]
        );
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
    fn query_body_and_signature() {
        let ids = vec!["i-0c6f21bf1f24f9708".to_string(), "i-12345678".to_string()];
        assert_eq!(
            query_body(&ids),
            "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0c6f21bf1f24f9708&InstanceId.2=i-12345678"
        );
        let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "t");
        let endpoint: http::Uri = "https://ec2.us-west-2.amazonaws.com/".parse().unwrap();
        let request = signed_request(
            &endpoint,
            "us-west-2",
            &creds,
            query_body(&ids),
            std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .unwrap();
        let headers = request.headers();
        assert_eq!(headers.get("host"), Some("ec2.us-west-2.amazonaws.com"));
        assert_eq!(headers.get("x-amz-date"), Some("20231114T221320Z"));
        assert_eq!(headers.get("x-amz-security-token"), Some("token"));
        let auth = headers.get("authorization").unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-west-2/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
            ),
            "{auth}"
        );
        assert_eq!(request.method(), "POST");
    }

    #[test]
    fn endpoints() {
        let none = |_: &str| None;
        let get = |url: &'static str| {
            move |name: &str| (name == "AWS_ENDPOINT_URL").then(|| url.to_string())
        };
        let plain = EndpointFlavour::default();
        assert_eq!(
            endpoint("us-west-2", plain, &none).unwrap().to_string(),
            "https://ec2.us-west-2.amazonaws.com/"
        );
        assert_eq!(
            endpoint("cn-north-1", plain, &none).unwrap().to_string(),
            "https://ec2.cn-north-1.amazonaws.com.cn/"
        );
        let fips = EndpointFlavour {
            fips: true,
            dual_stack: false,
        };
        assert_eq!(
            endpoint("us-gov-west-1", fips, &none).unwrap().to_string(),
            "https://ec2-fips.us-gov-west-1.amazonaws.com/"
        );
        assert_eq!(
            endpoint("us-west-2", plain, &get("http://127.0.0.1:5000"))
                .unwrap()
                .to_string(),
            "http://127.0.0.1:5000/"
        );
        let both = |name: &str| match name {
            "AWS_ENDPOINT_URL_EC2" => Some("http://ec2.local:1".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://all.local:2".to_string()),
            _ => None,
        };
        assert_eq!(
            endpoint("us-west-2", plain, &both).unwrap().to_string(),
            "http://ec2.local:1/"
        );
        let ignored = |name: &str| match name {
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("true".to_string()),
            other => both(other),
        };
        assert_eq!(
            endpoint("us-west-2", plain, &ignored).unwrap().to_string(),
            "https://ec2.us-west-2.amazonaws.com/"
        );
        assert!(endpoint("us-west-2", plain, &get("not a url")).is_err());
        assert!(endpoint("us-west-2", plain, &get("/relative")).is_err());
        assert!(endpoint("bad region!", plain, &none).is_err());
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
        let ids: Vec<String> = (0..250).map(|n| format!("i-{n:08}")).collect();
        let pairs: Vec<(String, String)> = ids
            .iter()
            .map(|i| (i.clone(), format!("dns-{i}")))
            .collect();
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let fake = Arc::new(FakeEc2::with(&refs));
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
        let pairs: Vec<(String, String)> = (0..5)
            .map(|n| (format!("i-{n:08}"), format!("ip-{n}")))
            .collect();
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let fake = Arc::new(FakeEc2::with(&refs));
        let settings = Ec2Settings {
            cache_capacity: 3,
            ..unlimited()
        };
        let (dns, calls) = lookup_over(fake, settings);
        for (id, _) in &pairs {
            dns.lookup(id).await.unwrap();
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert!(dns.cached() <= 3);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        // The newest three are cached; the oldest two were evicted.
        for (id, _) in pairs.iter().skip(2) {
            dns.lookup(id).await.unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        dns.lookup("i-00000000").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_are_rate_limited() {
        let pairs: Vec<(String, String)> = (0..8)
            .map(|n| (format!("i-{n:08}"), format!("ip-{n}")))
            .collect();
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let fake = Arc::new(FakeEc2::with(&refs));
        // One ID per batch, so every lookup is its own call; 2 at once, then 1 per second.
        let settings = Ec2Settings {
            qps: 1,
            burst: 2,
            max_batch: 1,
            ..Ec2Settings::default()
        };
        let (dns, calls) = lookup_over(fake, settings);
        let started = Instant::now();
        let lookups = pairs.iter().map(|(id, _)| dns.lookup(id));
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

    #[tokio::test]
    async fn token_bucket_without_a_rate_never_waits() {
        let bucket = TokenBucket::new(0, 0);
        let started = std::time::Instant::now();
        for _ in 0..1000 {
            bucket.acquire().await;
        }
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
