//! Placeholder: replaced by the real identity module.
#![allow(missing_docs)]
use crate::token::error::VerifyError;
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity { pub account: String, pub arn: String, pub user_id: String }
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Identity { pub arn: String, pub canonical_arn: String, pub account_id: String, pub user_id: String, pub session_name: String, pub access_key_id: String, pub sts_endpoint: String }
pub fn parse_sts_response(status: u16, body: &[u8], sts_region: &str) -> Result<CallerIdentity, VerifyError> {
    if status != 200 { return Err(VerifyError::StsStatus { status, region: sts_region.into(), body: String::from_utf8_lossy(body).into() }); }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| VerifyError::StsResponse(e.to_string()))?;
    let r = &v["GetCallerIdentityResponse"]["GetCallerIdentityResult"];
    Ok(CallerIdentity { account: r["Account"].as_str().unwrap_or("").into(), arn: r["Arn"].as_str().unwrap_or("").into(), user_id: r["UserId"].as_str().unwrap_or("").into() })
}
pub fn identity_from_caller(caller: CallerIdentity, access_key_id: &str, sts_host: &str) -> Result<Identity, VerifyError> {
    Ok(Identity { canonical_arn: caller.arn.clone(), arn: caller.arn, account_id: caller.account, user_id: caller.user_id, session_name: String::new(), access_key_id: access_key_id.into(), sts_endpoint: sts_host.into() })
}
