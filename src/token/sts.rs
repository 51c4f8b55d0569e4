//! Forwarding a checked token to STS and reading back who signed it.
//!
//! Upstream's HTTP client: a 10 s overall timeout, redirects never followed (hyper does
//! not follow them, and a 3xx is reported as an error status), `Accept:
//! application/json`, and the **server's own** cluster ID in `x-k8s-aws-id` — that
//! header is how a token minted for another cluster is refused: its signature no longer
//! matches. Proxy and CA settings come from [`crate::aws_http`].
//!
//! Beyond upstream, the number of STS calls in flight is bounded (upstream left a TODO),
//! so a flood of tokens cannot turn the verifier into an STS amplifier.

use std::sync::Arc;
use std::time::Duration;

use crate::aws_http::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use tokio::sync::Semaphore;

use super::CLUSTER_ID_HEADER;
use super::error::VerifyError;
use super::identity::{Identity, identity_from_caller};
use super::sts_response::parse_sts_response;
use super::verify::PresignedRequest;
use crate::aws_http::{ConnectorOptions, HttpError, connector, error_chain, tls_context};

/// Upstream's STS timeout.
pub const STS_TIMEOUT: Duration = Duration::from_secs(10);

/// Default bound on concurrent STS calls.
pub const DEFAULT_MAX_CONCURRENT: usize = 256;

/// Largest STS answer read; real answers are well under 2 KiB.
const MAX_BODY: usize = 64 * 1024;

/// Receives STS outcomes, for upstream's `sts_*` metrics.
pub trait StsObserver: Send + Sync {
    /// The request never got an HTTP answer.
    fn connection_failure(&self, _region: &str) {}
    /// STS answered with `status`.
    fn response(&self, _region: &str, _status: u16) {}
    /// STS said `Throttling`.
    fn throttled(&self, _region: &str) {}
}

/// A pooled client that asks STS who signed a presigned URL.
#[derive(Clone)]
pub struct StsClient {
    connector: Arc<Connector>,
    timeout: Duration,
    permits: Arc<Semaphore>,
    observer: Option<Arc<dyn StsObserver>>,
}

impl std::fmt::Debug for StsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StsClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl StsClient {
    /// Builds a client with proxy and trust settings from the environment.
    pub fn from_env() -> Result<Self, HttpError> {
        Self::new(STS_TIMEOUT, DEFAULT_MAX_CONCURRENT)
    }

    /// Builds a client with the given overall timeout and concurrency bound.
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
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
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
    pub async fn get_caller_identity(
        &self,
        request: &PresignedRequest,
        cluster_id: &str,
    ) -> Result<Identity, VerifyError> {
        let region = request.sts_region.as_str();
        let connection_error = |message: String| VerifyError::StsConnection {
            region: region.to_string(),
            message,
        };
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| connection_error("the STS client is shutting down".into()))?;

        let http_request = http::Request::builder()
            .method("GET")
            .uri(&request.url)
            .header(CLUSTER_ID_HEADER, cluster_id)
            .header("accept", "application/json")
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
            let body = ByteStream::new(response.into_body())
                .collect()
                .await
                .map_err(|e| connection_error(error_chain(&e)))?
                .into_bytes();
            Ok::<_, VerifyError>((status, body))
        };
        let outcome = tokio::time::timeout(self.timeout, call)
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
        let body = body.get(..MAX_BODY).unwrap_or(&body);
        let caller = parse_sts_response(status, body, region);
        if let (Err(e), Some(o)) = (&caller, &self.observer)
            && e.is_throttling()
        {
            o.throttled(region);
        }
        let caller = caller?;
        identity_from_caller(caller, &request.access_key_id, &request.host)
    }
}
