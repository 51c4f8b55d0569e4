//! A narrow entry point for the `fuzz/` crate (cargo-fuzz): the webhook's
//! `/authenticate` handler, as production builds it, reachable without a socket.
//!
//! Hidden from the docs and not part of the supported API. It lives here, built in every
//! `server` build, rather than in the fuzz crate, so a change to [`AppState`] breaks the
//! build at once instead of only the (separately built) fuzz targets.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

use super::http::{AppState, router};
use super::metrics::Metrics;
use crate::mapper::MapperChain;
use crate::partition::Partition;
use crate::token::HostPolicy;
use crate::token::{StsClient, Verifier};

/// The router with an empty mapper chain and an STS client that gives up after 1 s (an
/// input would have to carry a valid, current signature to get that far).
#[doc(hidden)]
pub struct FuzzServer {
    runtime: tokio::runtime::Runtime,
    router: Router,
}

impl FuzzServer {
    /// Builds the router once; reuse it for every input.
    #[doc(hidden)]
    pub fn new() -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let sts = StsClient::new(Duration::from_secs(1), 4).map_err(|e| e.to_string())?;
        let state = Arc::new(
            AppState::new(
                "fuzz",
                Verifier::new(HostPolicy::new(Partition::Aws, Some("us-west-2".into()))),
                sts,
                MapperChain::new(Vec::new(), HashMap::new(), None),
                Arc::new(Metrics::new()),
            )
            .with_body_timeout(Duration::from_secs(1)),
        );
        Ok(FuzzServer {
            runtime,
            router: router(state),
        })
    }

    /// Posts `body` to `/authenticate`; returns the status and the response body.
    #[doc(hidden)]
    pub fn authenticate(&self, body: &[u8]) -> (u16, Vec<u8>) {
        let request = match Request::post("/authenticate").body(Body::from(body.to_vec())) {
            Ok(r) => r,
            Err(_) => return (0, Vec::new()),
        };
        self.runtime.block_on(async {
            let Ok(response) = self.router.clone().oneshot(request).await;
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            (status, bytes)
        })
    }
}
