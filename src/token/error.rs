//! Placeholder: replaced by the real error module.
#![allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError { Other(String) }
impl std::fmt::Display for TokenError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { match self { TokenError::Other(s) => write!(f, "input token was not properly formatted: {s}") } } }
impl std::error::Error for TokenError {}
#[derive(Debug)]
#[non_exhaustive]
pub enum VerifyError {
    Format(TokenError),
    StsConnection { region: String, message: String },
    StsThrottled { body: String },
    StsStatus { status: u16, region: String, body: String },
    StsResponse(String),
}
impl VerifyError {
    pub fn is_throttling(&self) -> bool { matches!(self, VerifyError::StsThrottled { .. }) }
    pub fn metric_result(&self) -> &'static str { "sts_error" }
}
impl From<TokenError> for VerifyError { fn from(e: TokenError) -> Self { VerifyError::Format(e) } }
impl std::fmt::Display for VerifyError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") } }
impl std::error::Error for VerifyError {}
