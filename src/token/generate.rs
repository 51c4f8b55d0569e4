//! Minting tokens: a SigV4-presigned STS `GetCallerIdentity` URL, base64url-encoded.
//!
//! Mirrors upstream's `pkg/token` generator byte for byte. The URL is
//!
//! ```text
//! https://<sts host>/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256
//!   &X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=60[&X-Amz-Security-Token=…]
//!   &X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=…
//! ```
//!
//! The cluster ID travels in the signed (but not sent) header `x-k8s-aws-id`: the server
//! sends its own cluster ID in that header when it forwards the URL, so STS refuses a
//! token minted for another cluster.
//!
//! Signing is done by `aws-sigv4`. Only the layout of the final query is ours: the Go SDK
//! emits the canonical (sorted) query followed by the signature, while `aws-sigv4` lists
//! its parameters in another order, so we sort them to produce upstream's exact bytes.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use base64::Engine as _;
use percent_encoding::utf8_percent_encode;

use crate::aws_http::AWS_URI_ENCODE;
use time::OffsetDateTime;

use super::verify::TOKEN_PREFIX;

pub use super::CLUSTER_ID_HEADER;

/// `X-Amz-Expires` in the presigned URL. STS ignores it (a presigned
/// `GetCallerIdentity` is valid for 15 minutes), but upstream sends 60 and so do we.
pub const PRESIGN_EXPIRES: Duration = Duration::from_secs(60);

/// How long a token is advertised as valid: 15 minutes of STS validity less a one
/// minute cushion, as upstream and `aws eks get-token` do.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 60);

/// How long before the signing credentials expire the token is declared expired.
/// A presigned URL stops working when the credentials that signed it expire, which
/// upstream ignores (its issues #401 and #590).
pub const CREDENTIAL_EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// A minted token and the moment it should be treated as expired.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// `k8s-aws-v1.` followed by the base64url-encoded presigned URL.
    pub token: String,
    /// `min(signing time + 14 min, credential expiry - 1 min)`.
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for Token {
    // The token is a bearer credential for the cluster: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// What a token is minted from.
#[derive(Clone, Debug)]
pub struct TokenRequest<'a> {
    /// The cluster ID signed into `x-k8s-aws-id`.
    pub cluster_id: &'a str,
    /// The STS hostname, e.g. `sts.us-west-2.amazonaws.com`.
    pub host: &'a str,
    /// The signing region, e.g. `us-west-2`.
    pub region: &'a str,
    /// The signing credentials.
    pub credentials: &'a Credentials,
    /// The signing time (`X-Amz-Date`).
    pub signing_time: SystemTime,
}

/// Why a token could not be minted.
#[derive(Debug)]
pub enum GenerateError {
    /// The cluster ID was empty.
    EmptyClusterId,
    /// The signer refused the input (for example a header value with control characters).
    Signing(String),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::EmptyClusterId => f.write_str("cluster ID not specified"),
            GenerateError::Signing(msg) => write!(f, "failed to presign the STS request: {msg}"),
        }
    }
}

impl std::error::Error for GenerateError {}

/// Mints a token. Pure: no clock, no network; the caller supplies time and credentials.
pub fn generate(request: &TokenRequest<'_>) -> Result<Token, GenerateError> {
    let url = presign_url(request)?;
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.as_bytes())
    );
    Ok(Token {
        token,
        expiration: expiration(request.signing_time, request.credentials.expiry()),
    })
}

/// The advertised expiry: 14 minutes after signing, but never later than one minute
/// before the signing credentials themselves expire. Truncated to whole seconds, as
/// `expirationTimestamp` is printed at second precision.
pub fn expiration(
    signing_time: SystemTime,
    credential_expiry: Option<SystemTime>,
) -> OffsetDateTime {
    let mut expiry = signing_time + TOKEN_LIFETIME;
    if let Some(cred_expiry) = credential_expiry {
        let clamp = cred_expiry
            .checked_sub(CREDENTIAL_EXPIRY_MARGIN)
            .unwrap_or(cred_expiry);
        expiry = expiry.min(clamp);
    }
    let at = OffsetDateTime::from(expiry);
    at.replace_nanosecond(0).unwrap_or(at)
}

/// Builds the presigned URL, with the query in upstream's (sorted) order.
pub fn presign_url(request: &TokenRequest<'_>) -> Result<String, GenerateError> {
    if request.cluster_id.is_empty() {
        return Err(GenerateError::EmptyClusterId);
    }
    let base_url = format!(
        "https://{}/?Action=GetCallerIdentity&Version=2011-06-15",
        request.host
    );

    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGN_EXPIRES);

    let identity = request.credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(request.region)
        .name("sts")
        .time(request.signing_time)
        .settings(settings)
        .build()
        .map_err(|e| GenerateError::Signing(e.to_string()))?
        .into();

    let headers = [
        ("host", request.host),
        (CLUSTER_ID_HEADER, request.cluster_id),
    ];
    let signable = SignableRequest::new(
        "GET",
        &base_url,
        headers.into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| GenerateError::Signing(e.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| GenerateError::Signing(e.to_string()))?
        .into_parts();

    let mut query: Vec<(&str, Cow<'_, str>)> = vec![
        ("Action", Cow::Borrowed("GetCallerIdentity")),
        ("Version", Cow::Borrowed("2011-06-15")),
    ];
    let mut signature = None;
    for (name, value) in instructions.params() {
        if *name == "X-Amz-Signature" {
            signature = Some(value.clone());
        } else {
            query.push((name, value.clone()));
        }
    }
    query.sort_by(|a, b| a.0.cmp(b.0));

    let mut url = format!("https://{}/?", request.host);
    for (i, (name, value)) in query.iter().enumerate() {
        if i > 0 {
            url.push('&');
        }
        url.push_str(name);
        url.push('=');
        url.extend(utf8_percent_encode(value, AWS_URI_ENCODE));
    }
    let signature = signature
        .ok_or_else(|| GenerateError::Signing("the signer produced no signature".into()))?;
    url.push_str("&X-Amz-Signature=");
    url.push_str(&signature);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// Upstream's `TestGetWithSTS` vector, byte for byte.
    #[test]
    fn reproduces_upstream_signing_vector() {
        let creds = Credentials::new(
            "ASIAR2TG44V6AS3ZZE7C",
            "4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q",
            None,
            None,
            "test",
        );
        let token = generate(&TokenRequest {
            cluster_id: "test-cluster",
            host: "sts.us-west-2.amazonaws.com",
            region: "us-west-2",
            credentials: &creds,
            signing_time: at(1_682_640_000),
        })
        .unwrap();
        assert_eq!(
            token.token,
            "k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ"
        );
        assert_eq!(
            token.expiration,
            OffsetDateTime::from(at(1_682_640_000 + 14 * 60))
        );
    }

    #[test]
    fn session_token_sorts_before_signed_headers_and_is_uri_encoded() {
        let creds = Credentials::new("ASIAEXAMPLE", "secret", Some("a/b+c=d".into()), None, "t");
        let url = presign_url(&TokenRequest {
            cluster_id: "c",
            host: "sts.eu-west-1.amazonaws.com",
            region: "eu-west-1",
            credentials: &creds,
            signing_time: at(1_682_640_000),
        })
        .unwrap();
        let expires = url.find("X-Amz-Expires=60&").unwrap();
        let token = url.find("X-Amz-Security-Token=a%2Fb%2Bc%3Dd&").unwrap();
        let signed = url
            .find("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&")
            .unwrap();
        let signature = url.find("&X-Amz-Signature=").unwrap();
        assert!(expires < token && token < signed && signed < signature);
        assert!(url.starts_with("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20230428%2Feu-west-1%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&"));
    }

    #[test]
    fn different_clusters_sign_differently() {
        let creds = Credentials::new("AKID", "secret", None, None, "t");
        let mint = |cluster| {
            generate(&TokenRequest {
                cluster_id: cluster,
                host: "sts.us-east-1.amazonaws.com",
                region: "us-east-1",
                credentials: &creds,
                signing_time: at(1_700_000_000),
            })
            .unwrap()
            .token
        };
        assert_ne!(mint("a"), mint("b"));
    }

    #[test]
    fn empty_cluster_id_is_refused() {
        let creds = Credentials::new("AKID", "secret", None, None, "t");
        let err = generate(&TokenRequest {
            cluster_id: "",
            host: "sts.us-east-1.amazonaws.com",
            region: "us-east-1",
            credentials: &creds,
            signing_time: at(1_700_000_000),
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "cluster ID not specified");
    }

    #[test]
    fn expiry_is_clamped_to_credentials() {
        let signed = at(1_700_000_000);
        // Credentials that outlive the token do not matter.
        assert_eq!(
            expiration(signed, Some(at(1_700_000_000 + 3600))),
            OffsetDateTime::from(at(1_700_000_000 + 840))
        );
        // Credentials expiring in 5 minutes: token expires 1 minute before them.
        assert_eq!(
            expiration(signed, Some(at(1_700_000_000 + 300))),
            OffsetDateTime::from(at(1_700_000_000 + 240))
        );
        // Static credentials: the full 14 minutes.
        assert_eq!(
            expiration(signed, None),
            OffsetDateTime::from(at(1_700_000_000 + 840))
        );
        // Sub-second signing times are truncated.
        assert_eq!(
            expiration(signed + Duration::from_millis(700), None),
            OffsetDateTime::from(at(1_700_000_000 + 840))
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = Token {
            token: "k8s-aws-v1.secret".into(),
            expiration: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(!format!("{t:?}").contains("secret"));
    }
}
