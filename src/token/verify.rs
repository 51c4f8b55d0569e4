//! Placeholder: replaced by the real verify module.
#![allow(missing_docs)]
use crate::partition::HostPolicy;
use crate::token::error::TokenError;
pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";
pub const DEFAULT_MAX_TOKEN_LEN: usize = 4096;
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresignedRequest { pub url: String, pub host: String, pub sts_region: String, pub access_key_id: String, pub signed_at: time::OffsetDateTime }
pub struct Verifier { policy: HostPolicy, max: usize }
impl Verifier {
    pub fn new(policy: HostPolicy) -> Self { Self { policy, max: DEFAULT_MAX_TOKEN_LEN } }
    pub fn with_max_token_len(mut self, max: usize) -> Self { self.max = max; self }
    pub fn policy(&self) -> &HostPolicy { &self.policy }
    pub fn check(&self, token: &str, now: time::OffsetDateTime) -> Result<PresignedRequest, TokenError> {
        use base64::Engine;
        let b = token.strip_prefix(TOKEN_PREFIX).ok_or(TokenError::Other("prefix".into()))?;
        let url = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b).map_err(|e| TokenError::Other(e.to_string()))?).map_err(|e| TokenError::Other(e.to_string()))?;
        let host = url.trim_start_matches("https://").split('/').next().unwrap_or("").to_string();
        let akid = url.split("X-Amz-Credential=").nth(1).and_then(|s| s.split("%2F").next()).unwrap_or("").to_string();
        let sts_region = self.policy.check(&host)?;
        Ok(PresignedRequest { url, host, sts_region, access_key_id: akid, signed_at: now })
    }
}
