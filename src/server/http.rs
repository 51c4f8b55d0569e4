//! The webhook's HTTP surface: `POST /authenticate` (TokenReview), `GET /healthz`,
//! `GET /metrics` (upstream `pkg/server`).
//!
//! kube-apiserver posts a `TokenReview` (`authentication.k8s.io/v1` or `v1beta1`) and
//! reads back the same kind. Answers are upstream's bodies with one fix: they carry
//! `apiVersion` and `kind` (upstream omits them, its #379, which makes kube-apiserver log
//! "Failed to make webhook authenticator request: unknown"). Denials are 403 — or 429
//! with `Retry-After: 1` when STS throttles us or the server's bounded STS queue is
//! full, so kube-apiserver can tell the two apart.
//!
//! The router is built by [`router`] apart from any socket, so tests drive it with
//! `tower::ServiceExt::oneshot`.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::identity_cache::{IdentityCache, Outcome};
use super::metrics::{Format, Metrics, result};
use crate::mapper::{MapperChain, Published};
use crate::token::{Identity, StsClient, Verifier, VerifyError};

/// `authentication.k8s.io/v1`.
pub const TOKEN_REVIEW_V1: &str = "authentication.k8s.io/v1";
/// `authentication.k8s.io/v1beta1`.
pub const TOKEN_REVIEW_V1BETA1: &str = "authentication.k8s.io/v1beta1";

/// Default cap on a TokenReview body. A real review is well under 8 KiB.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// Default time allowed to receive a TokenReview body (the server uses its header-read
/// timeout, also 10 s by default).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// `Retry-After` on a 429 (STS throttled us, or every STS slot and queue place is
/// taken), in seconds: long enough for a slot to free up, short enough that a client
/// retrying at once does not fail a user's `kubectl` call.
const RETRY_AFTER: &str = "1";

/// Everything a request needs, shared by all connections.
pub struct AppState {
    /// The cluster ID sent to STS in `x-k8s-aws-id`.
    pub cluster_id: String,
    /// Local checks.
    pub verifier: Verifier,
    /// The STS client.
    pub sts: StsClient,
    /// The mapper chain; swapped at run time by the dynamic backend mode.
    pub mapper: Published<MapperChain>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Accounts whose identities are not logged and get an administrative UID.
    pub scrubbed_accounts: HashSet<String>,
    /// Largest accepted body.
    pub max_body: usize,
    /// Time allowed to receive the body.
    pub body_timeout: Duration,
    /// Verified identities by token digest (`None`: every token goes to STS).
    pub identity_cache: Option<IdentityCache>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("cluster_id", &self.cluster_id)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// A state with no scrubbed accounts, no identity cache, and the default body cap
    /// and timeout; the `with_*` methods change those.
    pub fn new(
        cluster_id: impl Into<String>,
        verifier: Verifier,
        sts: StsClient,
        mapper: MapperChain,
        metrics: Arc<Metrics>,
    ) -> Self {
        AppState {
            cluster_id: cluster_id.into(),
            verifier,
            sts,
            mapper: Published::new(mapper),
            metrics,
            scrubbed_accounts: HashSet::new(),
            max_body: DEFAULT_MAX_BODY,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            identity_cache: None,
        }
    }

    /// Accounts whose identities are not logged and get an administrative UID.
    pub fn with_scrubbed_accounts(mut self, accounts: impl IntoIterator<Item = String>) -> Self {
        self.scrubbed_accounts = accounts.into_iter().collect();
        self
    }

    /// Time allowed to receive the body.
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The verified-identity cache (`None`: every token goes to STS).
    pub fn with_identity_cache(mut self, cache: Option<IdentityCache>) -> Self {
        self.identity_cache = cache;
        self
    }

    /// The current mapper chain.
    pub fn mapper(&self) -> Arc<MapperChain> {
        self.mapper.load()
    }

    /// Replaces the mapper chain.
    pub fn set_mapper(&self, chain: MapperChain) {
        self.mapper.store(Arc::new(chain));
    }
}

/// The incoming TokenReview (either version; the shapes are the same).
#[derive(Debug, Deserialize)]
struct TokenReviewRequest {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    #[serde(default)]
    spec: Option<TokenReviewSpec>,
}

#[derive(Debug, Deserialize)]
struct TokenReviewSpec {
    #[serde(default)]
    token: Option<String>,
}

#[derive(Serialize)]
struct TokenReviewResponse<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'static str,
    metadata: Metadata,
    spec: Empty,
    status: ReviewStatus,
}

/// Always `{}`, as upstream v0.7.18 writes it (its apimachinery omits the zero
/// `creationTimestamp` that older releases wrote as `null`).
#[derive(Serialize)]
struct Metadata {}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct ReviewStatus {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    authenticated: bool,
    user: UserInfo,
}

#[derive(Serialize, Default)]
struct UserInfo {
    #[serde(skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    uid: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extra: BTreeMap<String, Vec<String>>,
}

/// Builds the router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/authenticate", any(authenticate))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// The router for the plain-HTTP health port: `/readyz`, and `ok` on any other path,
/// as upstream.
pub fn health_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/readyz", get(readyz))
        .fallback(healthz)
        .with_state(state)
}

/// Liveness: the process serves HTTP.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: 200 once every backend of the current chain has its first data
/// (MountedFile parsed, the ConfigMap/CRD watch listed once, the DynamicFile looked
/// at), 503 naming the backends still waiting before that. Until then every review
/// would be denied, so a rollout should not count this server as up.
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let chain = state.mapper();
    let waiting: Vec<&str> = chain
        .mappers()
        .iter()
        .filter(|m| !m.is_ready())
        .map(|m| m.name())
        .collect();
    if waiting.is_empty() {
        (StatusCode::OK, "ok").into_response()
    } else {
        text_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("not ready: waiting for {}", waiting.join(", ")),
        )
    }
}

/// `GET /metrics`: the Prometheus text format 0.0.4 as upstream serves it, or
/// OpenMetrics when the scraper's `Accept` asks for it.
async fn metrics(State(state): State<Arc<AppState>>, headers: axum::http::HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    (
        [(header::CONTENT_TYPE, format.content_type())],
        state.metrics.encode_as(format),
    )
        .into_response()
}

fn text_error(status: StatusCode, message: &str) -> Response {
    let mut response = (status, format!("{message}\n")).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn json_response(status: StatusCode, body: &TokenReviewResponse<'_>) -> Response {
    let mut text = serde_json::to_string(body).unwrap_or_default();
    text.push('\n');
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// A TokenReview answer in the request's `api_version`, with upstream's empty metadata
/// and spec.
fn review_response(status: StatusCode, api_version: &str, review: ReviewStatus) -> Response {
    json_response(
        status,
        &TokenReviewResponse {
            api_version,
            kind: "TokenReview",
            metadata: Metadata {},
            spec: Empty {},
            status: review,
        },
    )
}

fn deny(status: StatusCode, api_version: &str) -> Response {
    review_response(
        status,
        api_version,
        ReviewStatus {
            authenticated: false,
            user: UserInfo::default(),
        },
    )
}

/// When the request reached the handler; taken before the body is read, so the
/// authenticate latency covers reading it.
struct Started(Instant);

impl<S: Send + Sync> FromRequestParts<S> for Started {
    type Rejection = Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Started(Instant::now()))
    }
}

/// A decoded TokenReview: the version to answer in and the bearer token (empty when
/// the review has none; the verifier rejects it).
#[derive(Debug)]
struct ReviewRequest {
    api_version: &'static str,
    token: String,
}

/// Why a request is not a TokenReview; each answers with upstream's text and status.
#[derive(Debug)]
enum ReviewRejection {
    /// Not a POST.
    NotPost,
    /// The body exceeds [`AppState::max_body`].
    TooLarge,
    /// The body did not arrive within [`AppState::body_timeout`].
    BodyTimeout,
    /// No body.
    Empty,
    /// The body is not JSON of a TokenReview's shape.
    NotATokenReview,
}

impl ReviewRejection {
    /// The `error` field of upstream's "could not parse request body" line (Go's
    /// decoder says `EOF` for an empty body).
    fn cause(&self) -> &'static str {
        match self {
            ReviewRejection::NotPost => "expected POST",
            ReviewRejection::TooLarge => "request body too large",
            ReviewRejection::BodyTimeout => "timed out reading the request body",
            ReviewRejection::Empty => "EOF",
            ReviewRejection::NotATokenReview => "the body is not JSON of a TokenReview",
        }
    }
}

impl IntoResponse for ReviewRejection {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ReviewRejection::NotPost => (StatusCode::METHOD_NOT_ALLOWED, "expected POST"),
            ReviewRejection::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
            ReviewRejection::BodyTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "timed out reading the request body",
            ),
            // Go's server never hands a handler a nil body, so upstream answers an empty
            // one as it answers any body that does not decode.
            ReviewRejection::Empty => (
                StatusCode::BAD_REQUEST,
                "expected a request body to be a TokenReview",
            ),
            ReviewRejection::NotATokenReview => (
                StatusCode::BAD_REQUEST,
                "expected a request body to be a TokenReview",
            ),
        };
        text_error(status, message)
    }
}

impl FromRequest<Arc<AppState>> for ReviewRequest {
    type Rejection = ReviewRejection;

    async fn from_request(
        request: Request,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if request.method() != Method::POST {
            return Err(ReviewRejection::NotPost);
        }
        let limited = read_body(request.into_body(), state.max_body);
        let body = match tokio::time::timeout(state.body_timeout, limited).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(rejection)) => return Err(rejection),
            Err(_) => return Err(ReviewRejection::BodyTimeout),
        };
        if body.is_empty() {
            return Err(ReviewRejection::Empty);
        }
        // `null` is a review with nothing in it, as upstream's decoder has it.
        let review = serde_json::from_slice::<Option<TokenReviewRequest>>(&body)
            .map_err(|_| ReviewRejection::NotATokenReview)?
            .unwrap_or(TokenReviewRequest {
                api_version: None,
                spec: None,
            });
        Ok(ReviewRequest {
            api_version: match review.api_version.as_deref() {
                Some(TOKEN_REVIEW_V1) => TOKEN_REVIEW_V1,
                _ => TOKEN_REVIEW_V1BETA1,
            },
            token: review.spec.and_then(|s| s.token).unwrap_or_default(),
        })
    }
}

/// How much of an oversize body is read and thrown away before answering 413.
///
/// A server that answers while the client is still sending, then closes, makes the
/// client's kernel see a reset, and the client reports a broken connection instead of
/// the 413. Go's `net/http` reads up to 256 KiB of an unread body before closing for that
/// reason; so do we. Beyond that the connection is simply closed.
const OVERSIZE_DRAIN: usize = 256 * 1024;

/// Reads at most `max` bytes of `body`; an oversize body is drained (up to
/// [`OVERSIZE_DRAIN`] more) and refused. A body that breaks off counts as refused too.
async fn read_body(
    body: axum::body::Body,
    max: usize,
) -> Result<axum::body::Bytes, ReviewRejection> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ReviewRejection::TooLarge)?;
        seen = seen.saturating_add(chunk.len());
        if seen <= max {
            kept.extend_from_slice(&chunk);
        } else if seen > max.saturating_add(OVERSIZE_DRAIN) {
            break;
        }
    }
    if seen > max {
        return Err(ReviewRejection::TooLarge);
    }
    Ok(kept.into())
}

/// The fields upstream puts on every line about a request: `client` (the peer
/// address, `ip:port`), `method` and `path`.
struct RequestLog {
    client: String,
    method: Method,
    path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestLog {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let client = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.to_string())
            .unwrap_or_default();
        Ok(RequestLog {
            client,
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
        })
    }
}

/// `POST /authenticate`: decode, verify, map, answer — and count the result.
async fn authenticate(
    started: Started,
    log: RequestLog,
    State(state): State<Arc<AppState>>,
    review: Result<ReviewRequest, ReviewRejection>,
) -> Response {
    let (result, response) = match review {
        Ok(review) => review_token(&state, &log, review).await,
        Err(rejection) => {
            let (client, method, path) = (&log.client, log.method.as_str(), &log.path);
            match &rejection {
                ReviewRejection::NotPost => {
                    tracing::error!(client, method, path, "unexpected request method")
                }
                _ => {
                    tracing::error!(
                        client,
                        method,
                        path,
                        error = rejection.cause(),
                        "could not parse request body"
                    )
                }
            }
            (result::MALFORMED_REQUEST, rejection.into_response())
        }
    };
    state
        .metrics
        .observe_authenticate(result, started.0.elapsed());
    response
}

/// The answer to a decoded review, with its metric label.
async fn review_token(
    state: &AppState,
    log: &RequestLog,
    review: ReviewRequest,
) -> (&'static str, Response) {
    let (client, method, path) = (&log.client, log.method.as_str(), &log.path);
    let api_version = review.api_version;
    let identity = match verify(state, &review.token).await {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(client, method, path, error = %e, "access denied");
            return if e.is_throttling() {
                let mut response = deny(StatusCode::TOO_MANY_REQUESTS, api_version);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
                (result::STS_THROTTLING, response)
            } else {
                (e.metric_result(), deny(StatusCode::FORBIDDEN, api_version))
            };
        }
    };

    let scrubbed = state.scrubbed_accounts.contains(&identity.account_id);
    if !scrubbed {
        tracing::info!(
            client,
            method,
            path,
            accesskeyid = %identity.access_key_id,
            arn = %identity.arn,
            accountid = %identity.account_id,
            userid = %identity.user_id,
            session = %identity.session_name,
            stsendpoint = %identity.sts_endpoint,
            "STS response"
        );
    }

    // Upstream adds the canonical ARN to the request's lines once STS answered, except
    // for scrubbed accounts.
    let arn = if scrubbed {
        None
    } else {
        Some(identity.canonical_arn.as_str())
    };
    let mapped = match state.mapper().map(&identity).await {
        Ok(mapped) => mapped,
        Err(e) => {
            tracing::warn!(client, method, path, arn, error = %e, "access denied");
            return (
                result::UNKNOWN_USER,
                deny(StatusCode::FORBIDDEN, api_version),
            );
        }
    };

    let (uid, extra) = if scrubbed {
        (
            format!("aws-iam-authenticator:administrative:{}", mapped.username),
            BTreeMap::new(),
        )
    } else {
        (
            format!(
                "aws-iam-authenticator:{}:{}",
                identity.account_id, identity.user_id
            ),
            extras(&identity),
        )
    };
    tracing::info!(
        client,
        method,
        path,
        arn,
        username = %mapped.username,
        uid = %uid,
        groups = ?mapped.groups,
        stsendpoint = %identity.sts_endpoint,
        "access granted"
    );
    (
        result::SUCCESS,
        review_response(
            StatusCode::OK,
            api_version,
            ReviewStatus {
                authenticated: true,
                user: UserInfo {
                    username: mapped.username,
                    uid,
                    groups: mapped.groups,
                    extra,
                },
            },
        ),
    )
}

/// Local checks on every request, then the identity: from the cache when it has it,
/// else from STS.
async fn verify(state: &AppState, token: &str) -> Result<Arc<Identity>, VerifyError> {
    let now = OffsetDateTime::now_utc();
    let request = state.verifier.check(token, now)?;
    let fetch = || state.sts.get_caller_identity(&request, &state.cluster_id);
    let Some(cache) = &state.identity_cache else {
        return fetch().await.map(Arc::new);
    };
    let remaining = request.signed_at + crate::token::verify::PRESIGNED_URL_VALIDITY - now;
    let valid_for = Duration::try_from(remaining).unwrap_or(Duration::ZERO);
    let (result, outcome) = cache.get_or_fetch(token, valid_for, fetch).await;
    match outcome {
        Outcome::Hit => state.metrics.identity_cache_hits.inc(),
        Outcome::Miss => state.metrics.identity_cache_misses.inc(),
    };
    result
}

/// Upstream's `extra` keys, each a one-element list.
fn extras(identity: &Identity) -> BTreeMap<String, Vec<String>> {
    [
        ("arn", &identity.arn),
        ("canonicalArn", &identity.canonical_arn),
        ("sessionName", &identity.session_name),
        ("accessKeyId", &identity.access_key_id),
        ("principalId", &identity.user_id),
        (
            "sigs.k8s.io/aws-iam-authenticator/principalId",
            &identity.user_id,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), vec![v.clone()]))
    .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;
    use crate::partition::Partition;
    use crate::token::HostPolicy;

    /// The router over a state that needs no network: an empty mapper chain, and an STS
    /// client no test reaches (every token here fails the local checks).
    fn app() -> Router {
        let sts = StsClient::new(Duration::from_secs(1), 1).unwrap();
        let state = AppState::new(
            "test",
            Verifier::new(HostPolicy::new(Partition::Aws, None)),
            sts,
            MapperChain::new(Vec::new(), HashMap::new(), None),
            Arc::new(Metrics::new()),
        );
        router(Arc::new(state))
    }

    async fn send(
        app: Router,
        method: &str,
        path: &str,
        body: impl Into<Body>,
    ) -> (StatusCode, String, String) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(body.into())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            content_type,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    const TEXT: &str = "text/plain; charset=utf-8";

    #[tokio::test]
    async fn get_is_405_expected_post() {
        let response = app()
            .oneshot(Request::get("/authenticate").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert_eq!(
            send(app(), "GET", "/authenticate", Body::empty()).await,
            (
                StatusCode::METHOD_NOT_ALLOWED,
                TEXT.into(),
                "expected POST\n".into()
            )
        );
    }

    #[tokio::test]
    async fn empty_and_non_json_bodies_are_400() {
        assert_eq!(
            send(app(), "POST", "/authenticate", Body::empty()).await,
            (
                StatusCode::BAD_REQUEST,
                TEXT.into(),
                "expected a request body to be a TokenReview\n".into()
            )
        );
        for body in ["not json", "[1, 2]", "{\"spec\": 7}"] {
            assert_eq!(
                send(app(), "POST", "/authenticate", body).await,
                (
                    StatusCode::BAD_REQUEST,
                    TEXT.into(),
                    "expected a request body to be a TokenReview\n".into()
                ),
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn oversize_body_is_413() {
        let huge = vec![b' '; DEFAULT_MAX_BODY + 1];
        assert_eq!(
            send(app(), "POST", "/authenticate", huge).await,
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                TEXT.into(),
                "request body too large\n".into()
            )
        );
    }

    #[tokio::test]
    async fn malformed_token_is_a_403_denial_in_the_requests_version() {
        for (sent, answered) in [
            (Some(TOKEN_REVIEW_V1), TOKEN_REVIEW_V1),
            (Some(TOKEN_REVIEW_V1BETA1), TOKEN_REVIEW_V1BETA1),
            (None, TOKEN_REVIEW_V1BETA1),
        ] {
            let mut review = serde_json::json!({
                "kind": "TokenReview",
                "spec": {"token": "k8s-aws-v1.not-base64!"}
            });
            if let Some(version) = sent {
                review["apiVersion"] = version.into();
            }
            let (status, content_type, body) =
                send(app(), "POST", "/authenticate", review.to_string()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{sent:?}");
            assert_eq!(content_type, "application/json; charset=UTF-8");
            assert_eq!(
                body,
                format!(
                    "{{\"apiVersion\":\"{answered}\",\"kind\":\"TokenReview\",\"metadata\":{{}},\"spec\":{{}},\"status\":{{\"user\":{{}}}}}}\n"
                ),
                "{sent:?}"
            );
        }
    }

    #[tokio::test]
    async fn null_review_is_denied_not_rejected() {
        let (status, _, body) = send(app(), "POST", "/authenticate", "null").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.starts_with(&format!("{{\"apiVersion\":\"{TOKEN_REVIEW_V1BETA1}\"")));
    }

    fn state_with(mappers: Vec<Arc<dyn crate::mapper::Mapper>>) -> Arc<AppState> {
        let sts = StsClient::new(Duration::from_secs(1), 1).unwrap();
        Arc::new(AppState::new(
            "test",
            Verifier::new(HostPolicy::new(Partition::Aws, None)),
            sts,
            MapperChain::new(mappers, HashMap::new(), None),
            Arc::new(Metrics::new()),
        ))
    }

    #[tokio::test]
    async fn healthz_is_ok_on_both_routers() {
        assert_eq!(send(app(), "GET", "/healthz", Body::empty()).await.2, "ok");
        assert_eq!(
            send(
                health_router(state_with(Vec::new())),
                "GET",
                "/anything",
                Body::empty()
            )
            .await
            .2,
            "ok"
        );
    }

    /// `/readyz` is 503 until every backend has its first data, on both routers;
    /// `/healthz` stays 200 throughout.
    #[tokio::test]
    async fn readyz_waits_for_every_backend() {
        use crate::mapper::configmap::ConfigMapMapper;
        use crate::mapper::dynamic_file::DynamicFileMapper;
        let configmap = Arc::new(ConfigMapMapper::new(false));
        let dynamic = Arc::new(DynamicFileMapper::new(false));
        let state = state_with(vec![configmap.clone(), dynamic.clone()]);
        for build in [router, health_router] {
            let (status, _, body) =
                send(build(state.clone()), "GET", "/readyz", Body::empty()).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(body, "not ready: waiting for EKSConfigMap, DynamicFile\n");
            let (status, _, _) = send(build(state.clone()), "GET", "/healthz", Body::empty()).await;
            assert_eq!(status, StatusCode::OK);
        }
        configmap.synced.mark();
        let (status, _, body) = send(router(state.clone()), "GET", "/readyz", Body::empty()).await;
        assert_eq!(
            (status, body.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: waiting for DynamicFile\n"
            )
        );
        dynamic.synced.mark();
        for build in [router, health_router] {
            let (status, _, body) =
                send(build(state.clone()), "GET", "/readyz", Body::empty()).await;
            assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
        }
        // A chain with only MountedFile (parsed before the server starts) is ready.
        let (status, _, _) = send(app(), "GET", "/readyz", Body::empty()).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn rejections_are_counted_as_malformed() {
        let app = app();
        send(app.clone(), "GET", "/authenticate", Body::empty()).await;
        let (_, content_type, text) = send(app, "GET", "/metrics", Body::empty()).await;
        assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
        assert!(text.contains(result::MALFORMED_REQUEST), "{text}");
    }

    #[tokio::test]
    async fn metrics_follow_the_accept_header() {
        let get = |accept: Option<&'static str>| {
            let mut request = Request::get("/metrics");
            if let Some(accept) = accept {
                request = request.header(header::ACCEPT, accept);
            }
            app().oneshot(request.body(Body::empty()).unwrap())
        };
        let read = |response: Response| async move {
            let content_type = response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_string();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            (content_type, String::from_utf8(body.to_vec()).unwrap())
        };
        let (ct, text) = read(get(None).await.unwrap()).await;
        assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
        assert!(!text.contains("# EOF"), "{text}");
        let (ct, text) = read(
            get(Some(
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            ))
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(
            ct,
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
