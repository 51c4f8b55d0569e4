//! The identity the authenticator derives from what STS answered.
//!
//! Mirrors upstream's `Identity` struct and `getIdentityFromSTSResponse` (`pkg/token`):
//! the canonical ARN that mappings match, and the user ID and session name split out of
//! STS's `UserId`. Decoding the STS answer itself is [`super::sts_response`]'s job; its
//! items are re-exported here so the `identity::` paths keep working.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::arn::{PrincipalType, canonicalize_principal};
use crate::gofmt::go_quote;
use crate::token::error::VerifyError;

pub use super::sts_response::{CallerIdentity, parse_sts_response};

/// The verified identity; serialises with Go's field names for `verify -o json` (ARN, CanonicalARN, AccountID, UserID, SessionName, AccessKeyID, STSEndpoint, in that order).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// The raw ARN STS returned.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// The ARN mappings are matched against: assumed roles become their IAM role ARN.
    #[serde(rename = "CanonicalARN")]
    pub canonical_arn: String,
    /// The 12-digit account ID.
    #[serde(rename = "AccountID")]
    pub account_id: String,
    /// The unique ID: for roles the part before `:`, otherwise the whole `UserId`.
    #[serde(rename = "UserID")]
    pub user_id: String,
    /// For roles, the session name (caller-chosen unless the role is only assumable by
    /// EC2, where it is the instance ID); empty otherwise.
    #[serde(rename = "SessionName")]
    pub session_name: String,
    /// The access key ID that signed the token (from `X-Amz-Credential`).
    #[serde(rename = "AccessKeyID")]
    pub access_key_id: String,
    /// The STS host the token was verified against.
    #[serde(rename = "STSEndpoint")]
    pub sts_endpoint: String,
}

/// Upstream's identity derivation: canonical ARN via crate::arn::canonicalize; for role/assumed-role the UserId must split on ':' into exactly 2 parts (UserID = part 1, SessionName = part 2) else `malformed UserID "…"`; user/root/federated keep the whole UserId.
///
/// A plain `iam` `role/…` ARN is treated like an assumed role, exactly as upstream's
/// code does (so a bare `AROA…` UserId with no `:` is `malformed UserID`). Upstream's
/// `TestGetIdentityFromSTSResponse` "Role" case expects the opposite, but that case
/// errors and the test only asserts when there is no error, so it never ran. STS never
/// reports a caller as an `iam` role ARN (a role session is always `assumed-role`), so
/// failing closed on that impossible shape costs nothing and keeps upstream's rule.
pub fn identity_from_caller(
    caller: CallerIdentity,
    access_key_id: &str,
    sts_host: &str,
) -> Result<Identity, VerifyError> {
    let (kind, canonical_arn) =
        canonicalize_principal(&caller.arn).map_err(|e| VerifyError::StsResponse(e.to_string()))?;
    let (user_id, session_name) = match kind {
        PrincipalType::User | PrincipalType::Root | PrincipalType::FederatedUser => {
            (caller.user_id, String::new())
        }
        _ => {
            let mut parts = caller.user_id.split(':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(id), Some(session), None) => (id.to_owned(), session.to_owned()),
                _ => {
                    return Err(VerifyError::StsResponse(format!(
                        "malformed UserID {}",
                        go_quote(&caller.user_id)
                    )));
                }
            }
        }
    };
    Ok(Identity {
        arn: caller.arn,
        canonical_arn,
        account_id: caller.account,
        user_id,
        session_name,
        access_key_id: access_key_id.to_owned(),
        sts_endpoint: sts_host.to_owned(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn caller(arn: &str, account: &str, user_id: &str) -> CallerIdentity {
        CallerIdentity {
            account: account.into(),
            arn: arn.into(),
            user_id: user_id.into(),
        }
    }

    /// The §6 "STS → Identity" vectors (upstream's TestVerify* and
    /// TestGetIdentityFromSTSResponse).
    #[test]
    fn identity_vectors() {
        let akid = "AKIAVVVVVVVVVVVAGAVA";
        let host = "sts.us-west-2.amazonaws.com";
        let cases = [
            // Assumed role: UserID and SessionName split, canonical role ARN.
            (
                caller(
                    "arn:aws:sts::123456789012:assumed-role/Alice/extra",
                    "123456789012",
                    "Alice:session-name",
                ),
                "arn:aws:iam::123456789012:role/Alice",
                "Alice",
                "session-name",
            ),
            (
                caller(
                    "arn:aws:sts::123456789012:assumed-role/Org/Team/Admin/Session",
                    "123456789012",
                    "AROAXXX:Session",
                ),
                "arn:aws:iam::123456789012:role/Org/Team/Admin",
                "AROAXXX",
                "Session",
            ),
            // Root, user and federated user keep the whole UserId.
            (
                caller(
                    "arn:aws:iam::123456789012:root",
                    "123456789012",
                    "123456789012",
                ),
                "arn:aws:iam::123456789012:root",
                "123456789012",
                "",
            ),
            (
                caller(
                    "arn:aws:iam::123456789012:user/Alice",
                    "123456789012",
                    "AIDAIYCCCMMMMMMMMGGDA",
                ),
                "arn:aws:iam::123456789012:user/Alice",
                "AIDAIYCCCMMMMMMMMGGDA",
                "",
            ),
            (
                caller(
                    "arn:aws:sts::123456789012:federated-user/Alice",
                    "123456789012",
                    "123456789012:Alice",
                ),
                "arn:aws:sts::123456789012:federated-user/Alice",
                "123456789012:Alice",
                "",
            ),
            // A user's UserId is not split even if it has ':' (TestVerifyNoSession).
            (
                caller(
                    "arn:aws:iam::123456789012:user/Alice",
                    "123456789012",
                    "a:b:c",
                ),
                "arn:aws:iam::123456789012:user/Alice",
                "a:b:c",
                "",
            ),
            // An iam role ARN with an `ID:session` UserId (TestVerifySessionName).
            (
                caller(
                    "arn:aws:iam::123456789012:role/Alice",
                    "123456789012",
                    "Alice:session-name",
                ),
                "arn:aws:iam::123456789012:role/Alice",
                "Alice",
                "session-name",
            ),
        ];
        for (input, canonical, user_id, session) in cases {
            let id = identity_from_caller(input.clone(), akid, host).unwrap();
            assert_eq!(
                id,
                Identity {
                    arn: input.arn.clone(),
                    canonical_arn: canonical.into(),
                    account_id: input.account.clone(),
                    user_id: user_id.into(),
                    session_name: session.into(),
                    access_key_id: akid.into(),
                    sts_endpoint: host.into(),
                },
                "{input:?}"
            );
        }
    }

    #[test]
    fn identity_errors() {
        // TestVerifyInvalidUserIDError: role ARN, UserId with two ':'.
        let err = identity_from_caller(
            caller(
                "arn:aws:iam::123456789012:role/Alice",
                "123456789012",
                "not:vailid:userid",
            ),
            "AKID",
            "h",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sts getCallerIdentity failed: malformed UserID \"not:vailid:userid\""
        );
        // The "Role" case upstream's table silently skips: an iam role ARN with a bare
        // role ID is malformed, as upstream's code (not its unasserted test) says.
        let err = identity_from_caller(
            caller(
                "arn:aws:iam::123456789012:role/Alice",
                "123456789012",
                "AROAZZCCCNNNNNNNNFFFA",
            ),
            "AKID",
            "h",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sts getCallerIdentity failed: malformed UserID \"AROAZZCCCNNNNNNNNFFFA\""
        );
        // Assumed role without a session part.
        assert!(
            identity_from_caller(
                caller("arn:aws:sts::1:assumed-role/R/s", "1", "AROA"),
                "AKID",
                "h"
            )
            .is_err()
        );
        // TestVerifyInvalidCanonicalARNError.
        let err = identity_from_caller(caller("arn", "1000", "userid"), "AKID", "h").unwrap_err();
        assert!(matches!(err, VerifyError::StsResponse(_)));
        assert!(err.to_string().contains("arn 'arn' is invalid:"), "{err}");
        // An empty ARN (missing from the body) fails the same way.
        let err = identity_from_caller(CallerIdentity::default(), "AKID", "h").unwrap_err();
        assert_eq!(
            err.to_string(),
            "sts getCallerIdentity failed: arn '' is invalid: 'arn: invalid prefix'"
        );
        let err =
            identity_from_caller(caller("arn:aws:s3:::b", "1", "u"), "AKID", "h").unwrap_err();
        assert_eq!(err.metric_result(), "sts_error");
    }

    #[test]
    fn identity_serialises_with_go_field_names_in_order() {
        let id = Identity {
            arn: "arn:aws:sts::1:assumed-role/R/s".into(),
            canonical_arn: "arn:aws:iam::1:role/R".into(),
            account_id: "1".into(),
            user_id: "AROA".into(),
            session_name: "s".into(),
            access_key_id: "ASIA".into(),
            sts_endpoint: "sts.us-west-2.amazonaws.com".into(),
        };
        let text = serde_json::to_string(&id).unwrap();
        assert_eq!(
            text,
            "{\"ARN\":\"arn:aws:sts::1:assumed-role/R/s\",\"CanonicalARN\":\"arn:aws:iam::1:role/R\",\
             \"AccountID\":\"1\",\"UserID\":\"AROA\",\"SessionName\":\"s\",\"AccessKeyID\":\"ASIA\",\
             \"STSEndpoint\":\"sts.us-west-2.amazonaws.com\"}"
        );
        assert_eq!(serde_json::from_str::<Identity>(&text).unwrap(), id);
    }
}
