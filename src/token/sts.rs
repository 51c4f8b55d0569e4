//! Forwarding a checked token to STS and reading back who signed it.
//!
//! Upstream's HTTP client: a 10 s overall timeout, redirects never followed (hyper does
//! not follow them, and a 3xx is reported as an error status), `Accept:
//! application/json`, and the **server's own** cluster ID in `x-k8s-aws-id` — that
//! header is how a token minted for another cluster is refused: its signature no longer
//! matches. Proxy and CA settings come from [`crate::aws_http`].
//!
//! Beyond upstream, the number of STS calls in flight is bounded (upstream left a TODO),
//! so a flood of tokens cannot turn the verifier into an STS amplifier; so is the queue
//! of requests waiting for a call, and waiting counts against the same 10 s deadline.
//! The answer is read only up to [`MAX_BODY`], and only in the format asked for.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::aws_http::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use tokio::sync::{Semaphore, SemaphorePermit, TryAcquireError};
use tokio::time::Instant;

use super::CLUSTER_ID_HEADER;
use super::error::VerifyError;
use super::identity::{Identity, identity_from_caller};
use super::sts_response::{ResponseFormat, parse_sts_response};
use super::verify::PresignedRequest;
use crate::aws_http::{ConnectorOptions, HttpError, connector, error_chain, tls_context};

/// Upstream's STS timeout. It covers the whole call, waiting for a free slot included.
pub const STS_TIMEOUT: Duration = Duration::from_secs(10);

/// Default bound on concurrent STS calls.
///
/// Each call in flight holds a TLS connection and its buffers; 32 keep a server busy
/// at well over a thousand reviews a second with STS's usual latency, while the memory
/// they hold stays small. The identity cache spares most repeated calls anyway.
pub const DEFAULT_MAX_CONCURRENT: usize = 32;

/// How many requests may wait for a slot, per slot. Beyond `max_concurrent *
/// QUEUE_PER_SLOT` waiting, a request is refused at once ([`VerifyError::StsBusy`],
/// answered 429) instead of holding its body and connection for up to 10 s.
pub const QUEUE_PER_SLOT: usize = 4;

/// Largest STS answer read; real answers are well under 2 KiB. Reading stops here.
pub const MAX_BODY: usize = 64 * 1024;

/// The format asked of STS (`Accept`), and so the only one accepted back.
const RESPONSE_FORMAT: ResponseFormat = ResponseFormat::Json;

/// Receives STS outcomes, for upstream's `sts_*` metrics.
pub trait StsObserver: Send + Sync {
    /// The request never got an HTTP answer.
    fn connection_failure(&self, _region: &str) {}
    /// STS answered with `status`.
    fn response(&self, _region: &str, _status: u16) {}
    /// STS said `Throttling`.
    fn throttled(&self, _region: &str) {}
}

/// STS slots: at most `max_concurrent` calls in flight and `max_waiting` waiting.
#[derive(Debug)]
struct Slots {
    semaphore: Semaphore,
    max_concurrent: usize,
    max_waiting: usize,
    waiting: AtomicUsize,
}

/// One place in the queue of [`Slots`]; leaving it (by drop) frees the place.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Slots {
    fn new(max_concurrent: usize) -> Self {
        let max_concurrent = max_concurrent.max(1);
        Slots {
            semaphore: Semaphore::new(max_concurrent),
            max_concurrent,
            max_waiting: max_concurrent.saturating_mul(QUEUE_PER_SLOT),
            waiting: AtomicUsize::new(0),
        }
    }

    /// A slot, waiting until `deadline` at most; `Ok(None)` when the deadline passed.
    async fn acquire(&self, deadline: Instant) -> Result<Option<SemaphorePermit<'_>>, VerifyError> {
        let busy = || VerifyError::StsBusy {
            in_flight: self.max_concurrent,
            waiting: self.max_waiting,
        };
        match self.semaphore.try_acquire() {
            Ok(permit) => return Ok(Some(permit)),
            Err(TryAcquireError::Closed) => return Err(busy()),
            Err(TryAcquireError::NoPermits) => {}
        }
        let queued = Queued(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            return Err(busy());
        }
        let permit = tokio::time::timeout_at(deadline, self.semaphore.acquire()).await;
        drop(queued);
        match permit {
            Ok(Ok(permit)) => Ok(Some(permit)),
            Ok(Err(_)) => Err(busy()),
            Err(_) => Ok(None),
        }
    }
}

/// A pooled client that asks STS who signed a presigned URL.
#[derive(Clone)]
pub struct StsClient {
    connector: Arc<Connector>,
    timeout: Duration,
    slots: Arc<Slots>,
    observer: Option<Arc<dyn StsObserver>>,
}

impl std::fmt::Debug for StsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StsClient")
            .field("timeout", &self.timeout)
            .field("max_concurrent", &self.slots.max_concurrent)
            .field("max_waiting", &self.slots.max_waiting)
            .finish_non_exhaustive()
    }
}

impl StsClient {
    /// Builds a client with proxy and trust settings from the environment.
    pub fn from_env() -> Result<Self, HttpError> {
        Self::new(STS_TIMEOUT, DEFAULT_MAX_CONCURRENT)
    }

    /// Builds a client with the given overall timeout and concurrency bound (the queue
    /// holds [`QUEUE_PER_SLOT`] waiting requests per slot).
    pub fn new(timeout: Duration, max_concurrent: usize) -> Result<Self, HttpError> {
        let tls = tls_context()?;
        let options = ConnectorOptions {
            use_proxy_env: true,
            connect_timeout: timeout,
            read_timeout: timeout,
        };
        Ok(Self {
            connector: Arc::new(connector(&tls, &options)),
            timeout,
            slots: Arc::new(Slots::new(max_concurrent)),
            observer: None,
        })
    }

    /// Reports outcomes to `observer` (the server's metrics).
    pub fn with_observer(mut self, observer: Arc<dyn StsObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Sends the presigned request to STS with `cluster_id` in `x-k8s-aws-id` and
    /// returns the identity STS vouches for.
    ///
    /// One deadline ([`STS_TIMEOUT`] by default) covers waiting for a slot, the call
    /// and reading the answer. When every slot is busy and the queue is full, nothing
    /// is sent: [`VerifyError::StsBusy`].
    pub async fn get_caller_identity(
        &self,
        request: &PresignedRequest,
        cluster_id: &str,
    ) -> Result<Identity, VerifyError> {
        let deadline = Instant::now() + self.timeout;
        let region = request.sts_region.as_str();
        let connection_error = |message: String| VerifyError::StsConnection {
            region: region.to_string(),
            message,
        };
        let Some(_permit) = self.slots.acquire(deadline).await? else {
            return Err(connection_error(format!(
                "timed out after {}s waiting for a free STS slot",
                self.timeout.as_secs()
            )));
        };

        let http_request = http::Request::builder()
            .method("GET")
            .uri(&request.url)
            .header(CLUSTER_ID_HEADER, cluster_id)
            .header("accept", RESPONSE_FORMAT.accept())
            .body(SdkBody::empty())
            .map_err(|e| connection_error(e.to_string()))?;
        let http_request =
            HttpRequest::try_from(http_request).map_err(|e| connection_error(e.to_string()))?;

        let call = async {
            let response = self
                .connector
                .call(http_request)
                .await
                .map_err(|e| connection_error(error_chain(&e)))?;
            let status = response.status().as_u16();
            let body = ByteStream::new(response.into_body());
            let declared = body.size_hint().1;
            let body = if declared.is_some_and(|len| len > MAX_BODY as u64) {
                // Declared too long: not a byte is read.
                Capped::Truncated(Vec::new())
            } else {
                let chunks = futures_util::stream::unfold(body, |mut body| async move {
                    body.next().await.map(|chunk| (chunk, body))
                });
                read_capped(chunks, MAX_BODY)
                    .await
                    .map_err(|e| connection_error(error_chain(&e)))?
            };
            Ok::<_, VerifyError>((status, body))
        };
        let outcome = tokio::time::timeout_at(deadline, call)
            .await
            .unwrap_or_else(|_| {
                Err(connection_error(format!(
                    "timed out after {}s waiting for STS",
                    self.timeout.as_secs()
                )))
            });
        let (status, body) = match outcome {
            Ok(answer) => answer,
            Err(e) => {
                if let Some(o) = &self.observer {
                    o.connection_failure(region);
                }
                return Err(e);
            }
        };
        if let Some(o) = &self.observer {
            o.response(region, status);
        }
        let caller = classify(status, body, region);
        if let (Err(e), Some(o)) = (&caller, &self.observer)
            && e.is_throttling()
        {
            o.throttled(region);
        }
        let caller = caller?;
        identity_from_caller(caller, &request.access_key_id, &request.host)
    }
}

/// What an STS answer means: an error answer is classified on what was read of it; a
/// success must have been read whole.
fn classify(
    status: u16,
    body: Capped,
    region: &str,
) -> Result<super::sts_response::CallerIdentity, VerifyError> {
    match body {
        Capped::Whole(body) => parse_sts_response(status, &body, region, RESPONSE_FORMAT),
        Capped::Truncated(body) if status != 200 => {
            parse_sts_response(status, &body, region, RESPONSE_FORMAT)
        }
        Capped::Truncated(_) => Err(VerifyError::StsResponseTooLarge { limit: MAX_BODY }),
    }
}

/// A body read up to a cap.
#[derive(Debug, PartialEq, Eq)]
enum Capped {
    /// The whole body, at most the cap.
    Whole(Vec<u8>),
    /// The first `cap` bytes of a longer body; the rest was never read.
    Truncated(Vec<u8>),
}

/// Reads `chunks` until they end or `cap` bytes are exceeded, whichever is first: a
/// hostile or broken endpoint cannot make the server buffer more than `cap` bytes
/// plus one chunk, however long its answer.
async fn read_capped<S, B, E>(chunks: S, cap: usize) -> Result<Capped, E>
where
    S: futures_util::Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    use futures_util::StreamExt;
    let mut chunks = std::pin::pin!(chunks);
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        let chunk = chunk.as_ref();
        let room = cap.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(chunk.get(..room).unwrap_or_default());
            return Ok(Capped::Truncated(body));
        }
        body.extend_from_slice(chunk);
    }
    Ok(Capped::Whole(body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A body of `chunks` chunks of `size` bytes, counting how many were pulled.
    fn counted_stream(
        chunks: usize,
        size: usize,
        pulled: Arc<AtomicUsize>,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
        futures_util::stream::iter((0..chunks).map(move |_| {
            pulled.fetch_add(1, Ordering::SeqCst);
            Ok(vec![b'x'; size])
        }))
    }

    #[tokio::test]
    async fn reading_stops_at_the_cap() {
        let pulled = Arc::new(AtomicUsize::new(0));
        // 1000 chunks of 1 KiB, a cap of 4 KiB: at most 5 chunks are ever pulled.
        let body = read_capped(counted_stream(1000, 1024, pulled.clone()), 4096)
            .await
            .unwrap();
        assert_eq!(body, Capped::Truncated(vec![b'x'; 4096]));
        assert!(pulled.load(Ordering::SeqCst) <= 5, "{pulled:?}");
        // Exactly at the cap is whole.
        let pulled = Arc::new(AtomicUsize::new(0));
        let body = read_capped(counted_stream(4, 1024, pulled), 4096)
            .await
            .unwrap();
        assert_eq!(body, Capped::Whole(vec![b'x'; 4096]));
        // An empty body is whole.
        let pulled = Arc::new(AtomicUsize::new(0));
        let body = read_capped(counted_stream(0, 1, pulled), 4096)
            .await
            .unwrap();
        assert_eq!(body, Capped::Whole(Vec::new()));
    }

    #[test]
    fn an_oversize_success_is_refused_and_an_oversize_error_still_classified() {
        let ok = br#"{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":"arn:aws:iam::123456789012:user/a","UserId":"AIDA","Account":"123456789012"}}}"#;
        assert!(classify(200, Capped::Whole(ok.to_vec()), "r").is_ok());
        // The same answer, cut at the cap: not trusted, whatever was read.
        let err = classify(200, Capped::Truncated(ok.to_vec()), "r").unwrap_err();
        assert!(matches!(
            err,
            VerifyError::StsResponseTooLarge { limit: MAX_BODY }
        ));
        assert_eq!(
            err.to_string(),
            "sts getCallerIdentity failed: response larger than 65536 bytes"
        );
        // An oversize error answer keeps its meaning.
        let throttled = classify(400, Capped::Truncated(b"Throttling".to_vec()), "r");
        assert!(throttled.unwrap_err().is_throttling());
        let denied = classify(403, Capped::Truncated(Vec::new()), "r").unwrap_err();
        assert!(matches!(denied, VerifyError::StsStatus { status: 403, .. }));
        // XML is refused: JSON was asked for.
        let xml = b"<GetCallerIdentityResponse/>".to_vec();
        assert!(matches!(
            classify(200, Capped::Whole(xml), "r"),
            Err(VerifyError::StsResponse(_))
        ));
    }

    #[tokio::test]
    async fn the_queue_is_bounded_and_waiting_counts_against_the_deadline() {
        let slots = Arc::new(Slots::new(2));
        assert_eq!(slots.max_waiting, 2 * QUEUE_PER_SLOT);
        let far = Instant::now() + Duration::from_secs(600);
        let a = slots.acquire(far).await.unwrap().unwrap();
        let _b = slots.acquire(far).await.unwrap().unwrap();
        // With every slot taken, a waiter gives up at its deadline.
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(slots.acquire(soon).await.unwrap().is_none());
        assert_eq!(slots.waiting.load(Ordering::SeqCst), 0);
        // Fill the queue; the next one is refused at once.
        let waiters: Vec<_> = (0..slots.max_waiting)
            .map(|_| {
                let slots = Arc::clone(&slots);
                tokio::spawn(async move { slots.acquire(far).await.unwrap().is_some() })
            })
            .collect();
        while slots.waiting.load(Ordering::SeqCst) < slots.max_waiting {
            tokio::task::yield_now().await;
        }
        let refused = slots.acquire(far).await.unwrap_err();
        assert!(matches!(
            refused,
            VerifyError::StsBusy {
                in_flight: 2,
                waiting: 8
            }
        ));
        assert!(refused.is_throttling());
        assert_eq!(refused.metric_result(), "sts_throttling");
        // A freed slot goes to the waiters, one after another.
        drop(a);
        for w in waiters {
            assert!(w.await.unwrap());
        }
        assert_eq!(slots.waiting.load(Ordering::SeqCst), 0);
    }
}
