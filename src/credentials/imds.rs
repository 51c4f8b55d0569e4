//! EC2 instance metadata (IMDS), bounded so that it can never stall a laptop: the
//! region lookup has one second in total, credential lookups a client with sub-second
//! timeouts and a single attempt, and `AWS_EC2_METADATA_DISABLED=true` skips it.

use std::time::Duration;

use aws_config::imds;
use aws_config::provider_config::ProviderConfig;

use super::env_flag;
use crate::aws_http::sdk_http_client;

/// Upper bound on the whole IMDS region lookup.
pub const IMDS_REGION_BUDGET: Duration = Duration::from_secs(1);

/// Whether `AWS_EC2_METADATA_DISABLED` turns IMDS off.
pub fn imds_disabled() -> bool {
    env_flag("AWS_EC2_METADATA_DISABLED").unwrap_or(false)
}

/// An IMDS client that gives up quickly: off EC2 nothing answers, and a laptop must
/// not wait. It never goes through a proxy.
pub(super) fn fast_imds_client(tls: &aws_smithy_http_client::tls::TlsContext) -> imds::Client {
    let config = ProviderConfig::default().with_http_client(sdk_http_client(tls, false));
    imds::Client::builder()
        .configure(&config)
        .connect_timeout(Duration::from_millis(300))
        .read_timeout(Duration::from_millis(500))
        .max_attempts(1)
        .build()
}

/// Looks up the region in IMDS within [`IMDS_REGION_BUDGET`].
pub async fn imds_region(tls: &aws_smithy_http_client::tls::TlsContext) -> Option<String> {
    if imds_disabled() {
        return None;
    }
    let provider = imds::region::ImdsRegionProvider::builder()
        .imds_client(fast_imds_client(tls))
        .build();
    tokio::time::timeout(IMDS_REGION_BUDGET, provider.region())
        .await
        .ok()
        .flatten()
        .map(|r| r.to_string())
}
