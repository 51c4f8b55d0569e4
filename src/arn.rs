//! Placeholder: replaced by the real ARN module.
#![allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArnError { Invalid(String) }
impl std::fmt::Display for ArnError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") } }
impl std::error::Error for ArnError {}
pub fn canonicalize(arn: &str) -> Result<String, ArnError> { Ok(arn.to_string()) }
pub fn strip_path(arn: &str) -> Result<String, ArnError> { Ok(arn.to_string()) }
pub fn arn_like(arn: &str, pattern: &str) -> Result<bool, ArnError> { Ok(arn == pattern) }
