//! EKS `DescribeCluster`: one SigV4-signed `GET /clusters/NAME` (REST-JSON, service
//! `eks`) over the program's own HTTPS stack ([`crate::aws_http`]: proxies, CA
//! bundles), with the credentials `token` uses.
//!
//! Why not `aws-sdk-eks`: one call with four response fields does not justify a crate
//! whose debug build alone takes minutes (docs/kubeconfig.md has the measurement); the
//! signing, credentials and HTTP client are already in the default build for `token`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use percent_encoding::utf8_percent_encode;
use serde::Deserialize;

use crate::aws_http::{
    AWS_URI_ENCODE, ConnectorOptions, ServiceEndpointError, connector, error_chain,
    service_endpoint, tls_context,
};
use crate::credentials::{AwsContext, CredentialsError, LoadOptions, RoleRequest, SessionName};
use crate::partition::EndpointFlavour;

/// Largest response read (a DescribeCluster answer is a few KiB).
const MAX_RESPONSE: usize = 4 * 1024 * 1024;

/// What `kubeconfig add` needs from DescribeCluster.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    /// The cluster name.
    #[serde(default)]
    pub name: String,
    /// `arn:aws:eks:REGION:ACCOUNT:cluster/NAME`.
    #[serde(default)]
    pub arn: String,
    /// The API server URL.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `ACTIVE`, `CREATING`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// The cluster's ID (EKS on Outposts local clusters authenticate with it).
    #[serde(default)]
    pub id: Option<String>,
    /// The CA bundle, base64 PEM.
    #[serde(default)]
    pub certificate_authority: Option<CertificateAuthority>,
    /// Present for EKS on Outposts clusters.
    #[serde(default)]
    pub outpost_config: Option<serde_json::Value>,
}

/// `certificateAuthority`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// Base64 of the PEM bundle.
    #[serde(default)]
    pub data: Option<String>,
}

impl ClusterInfo {
    /// The cluster ID tokens must carry: the name, except for an EKS on Outposts
    /// local cluster (an `outpostConfig` without `etcdInstanceType`), which uses its
    /// `id` — the rule `aws eks update-kubeconfig` applies (`--cluster-id`).
    pub fn token_cluster_id(&self) -> &str {
        let local = self
            .outpost_config
            .as_ref()
            .is_some_and(|o| o.get("etcdInstanceType").is_none_or(|v| v.is_null()));
        match (&self.id, local) {
            (Some(id), true) if !id.is_empty() => id,
            _ => &self.name,
        }
    }
}

/// Why DescribeCluster failed; each message names the fix.
#[derive(Debug)]
pub enum DescribeError {
    /// No cluster of that name in that region.
    NotFound {
        /// The name asked for.
        cluster: String,
        /// The region asked.
        region: String,
    },
    /// No (usable) credentials, or `--role` could not be assumed.
    Credentials(CredentialsError),
    /// The cluster exists but is not usable yet (awscli refuses too).
    NotActive {
        /// The name.
        cluster: String,
        /// Its status.
        status: String,
    },
    /// EKS answered with another error.
    Api {
        /// HTTP status.
        status: u16,
        /// The error code (`AccessDeniedException`, ...).
        code: String,
        /// EKS's message.
        message: String,
    },
    /// The request could not be made or answered.
    Connection(String),
    /// Configuration (endpoint variable, region).
    Setup(String),
}

impl fmt::Display for DescribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescribeError::NotFound { cluster, region } => write!(
                f,
                "no EKS cluster named {cluster:?} in region {region}; pass --region with the cluster's region (aws eks list-clusters --region REGION lists them)"
            ),
            DescribeError::Credentials(e) => write!(f, "cannot call EKS DescribeCluster: {e}"),
            DescribeError::NotActive { cluster, status } => write!(
                f,
                "EKS cluster {cluster:?} is {status}; wait until it is ACTIVE (aws eks wait cluster-active --name {cluster})"
            ),
            DescribeError::Api {
                status,
                code,
                message,
            } => write!(
                f,
                "EKS DescribeCluster failed: {code} (HTTP {status}): {message}"
            ),
            DescribeError::Connection(e) => write!(
                f,
                "cannot reach EKS: {e}; check the network, HTTPS_PROXY/NO_PROXY and AWS_ENDPOINT_URL_EKS"
            ),
            DescribeError::Setup(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for DescribeError {}

/// Describes `cluster` with credentials from the chain (`load`), after assuming `role`
/// when given.
pub async fn describe_cluster(
    cluster: &str,
    load: &LoadOptions,
    role: Option<&str>,
) -> Result<(ClusterInfo, String), DescribeError> {
    let aws = AwsContext::load(load)
        .await
        .map_err(DescribeError::Credentials)?;
    let region = aws.region().to_string();
    let base = aws
        .base_credentials()
        .await
        .map_err(DescribeError::Credentials)?;
    let credentials = match role {
        None => base,
        Some(role_arn) => aws
            .assume_role(
                &base,
                &RoleRequest {
                    role_arn: role_arn.to_string(),
                    external_id: None,
                    session_name: SessionName::Default,
                    duration: None,
                },
            )
            .await
            .map_err(DescribeError::Credentials)?,
    };
    let endpoint = endpoint(&region, aws.flavour(), &|n| std::env::var(n).ok())?;
    let request = signed_request(
        &endpoint,
        cluster,
        &region,
        &credentials,
        std::time::SystemTime::now(),
    )?;
    let tls = tls_context().map_err(|e| DescribeError::Setup(e.to_string()))?;
    let connector = connector(&tls, &ConnectorOptions::default());
    tracing::debug!(%endpoint, cluster, %region, "EKS DescribeCluster");
    let response = connector
        .call(request)
        .await
        .map_err(|e| DescribeError::Connection(error_chain(&e)))?;
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .map(str::to_string);
    let bytes = ByteStream::new(response.into_body())
        .collect()
        .await
        .map_err(|e| DescribeError::Connection(error_chain(&e)))?
        .into_bytes();
    let bytes = bytes.get(..MAX_RESPONSE).unwrap_or(&bytes);
    let info = parse_response(status, error_type, bytes, cluster, &region)?;
    Ok((info, region))
}

/// The answer: the cluster, or the error EKS gave.
fn parse_response(
    status: u16,
    error_type: Option<String>,
    body: &[u8],
    cluster: &str,
    region: &str,
) -> Result<ClusterInfo, DescribeError> {
    #[derive(Deserialize)]
    struct Ok {
        cluster: Option<ClusterInfo>,
    }
    #[derive(Deserialize, Default)]
    struct Err {
        #[serde(rename = "__type", default)]
        kind: Option<String>,
        #[serde(default)]
        code: Option<String>,
        #[serde(alias = "Message", default)]
        message: Option<String>,
    }
    if (200..300).contains(&status) {
        let parsed: Ok = serde_json::from_slice(body).map_err(|e| {
            DescribeError::Connection(format!("unreadable DescribeCluster answer: {e}"))
        })?;
        let info = parsed.cluster.ok_or_else(|| DescribeError::NotFound {
            cluster: cluster.to_string(),
            region: region.to_string(),
        })?;
        match info.status.as_deref() {
            Some("ACTIVE") | Some("UPDATING") => Result::Ok(info),
            Some(other) => Err(DescribeError::NotActive {
                cluster: cluster.to_string(),
                status: other.to_string(),
            }),
            None => Err(DescribeError::NotFound {
                cluster: cluster.to_string(),
                region: region.to_string(),
            }),
        }
    } else {
        let err: Err = serde_json::from_slice(body).unwrap_or_default();
        let code = error_type
            .or(err.kind)
            .or(err.code)
            // `ResourceNotFoundException:http://...` (header), `ns#Code` (body).
            .map(|c| {
                let c = c.split(':').next().unwrap_or(&c);
                c.rsplit('#').next().unwrap_or(c).to_string()
            })
            .unwrap_or_else(|| format!("HTTP {status}"));
        if code == "ResourceNotFoundException" {
            return Err(DescribeError::NotFound {
                cluster: cluster.to_string(),
                region: region.to_string(),
            });
        }
        Err(DescribeError::Api {
            status,
            code,
            message: err
                .message
                .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect()),
        })
    }
}

/// The endpoint: `AWS_ENDPOINT_URL_EKS`, `AWS_ENDPOINT_URL` (unless
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else the regional one, as the SDKs pick.
fn endpoint(
    region: &str,
    flavour: EndpointFlavour,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<http::Uri, DescribeError> {
    service_endpoint("eks", ("eks", "fips.eks"), region, flavour, env).map_err(|e| match e {
        ServiceEndpointError::Region(e) => DescribeError::Setup(format!("{e}; pass --region")),
        other => DescribeError::Setup(other.to_string()),
    })
}

/// The signed `GET <endpoint>/clusters/NAME`.
fn signed_request(
    endpoint: &http::Uri,
    cluster: &str,
    region: &str,
    credentials: &Credentials,
    now: std::time::SystemTime,
) -> Result<HttpRequest, DescribeError> {
    let signing = |e: &dyn fmt::Display| DescribeError::Setup(format!("cannot sign: {e}"));
    let host = endpoint
        .authority()
        .map(|a| a.as_str().to_string())
        .ok_or_else(|| DescribeError::Setup(format!("the EKS endpoint {endpoint} has no host")))?;
    let base = endpoint.to_string();
    let url = format!(
        "{}/clusters/{}",
        base.trim_end_matches('/'),
        utf8_percent_encode(cluster, AWS_URI_ENCODE)
    );
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("eks")
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| signing(&e))?
        .into();
    let headers = [("host", host.as_str()), ("accept", "application/json")];
    let signable = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| signing(&e))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| signing(&e))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .header("host", &host)
        .header("accept", "application/json")
        .body(SdkBody::empty())
        .map_err(|e| signing(&e))?;
    instructions.apply_to_request_http1x(&mut request);
    HttpRequest::try_from(request).map_err(|e| signing(&e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn signs_get_clusters_name() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "t");
        let endpoint: http::Uri = "https://eks.eu-west-1.amazonaws.com/".parse().unwrap();
        let r = signed_request(
            &endpoint,
            "my cluster",
            "eu-west-1",
            &creds,
            std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .unwrap();
        assert_eq!(
            r.uri(),
            "https://eks.eu-west-1.amazonaws.com/clusters/my%20cluster"
        );
        let auth = r.headers().get("authorization").unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/eu-west-1/eks/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature="),
            "{auth}"
        );
    }

    #[test]
    fn endpoints() {
        let none = |_: &str| None;
        let plain = EndpointFlavour::default();
        assert_eq!(
            endpoint("us-west-2", plain, &none).unwrap().to_string(),
            "https://eks.us-west-2.amazonaws.com/"
        );
        assert_eq!(
            endpoint("cn-north-1", plain, &none).unwrap().to_string(),
            "https://eks.cn-north-1.amazonaws.com.cn/"
        );
        let both = |name: &str| match name {
            "AWS_ENDPOINT_URL_EKS" => Some("http://eks.local:1".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://all.local:2".to_string()),
            _ => None,
        };
        assert_eq!(
            endpoint("us-west-2", plain, &both).unwrap().to_string(),
            "http://eks.local:1/"
        );
        let generic =
            |name: &str| (name == "AWS_ENDPOINT_URL").then(|| "http://all.local:2".to_string());
        assert_eq!(
            endpoint("us-west-2", plain, &generic).unwrap().to_string(),
            "http://all.local:2/"
        );
        assert!(endpoint("bad region!", plain, &none).is_err());
    }

    #[test]
    fn answers() {
        let ok = br#"{"cluster":{"name":"c","arn":"arn:aws:eks:eu-west-1:123456789012:cluster/c","endpoint":"https://x.eks.amazonaws.com","status":"ACTIVE","certificateAuthority":{"data":"Q0E="}}}"#;
        let info = parse_response(200, None, ok, "c", "eu-west-1").unwrap();
        assert_eq!(
            info.endpoint.as_deref(),
            Some("https://x.eks.amazonaws.com")
        );
        assert_eq!(info.token_cluster_id(), "c");
        let missing = br#"{"message":"No cluster found for name: c."}"#;
        let err = parse_response(
            404,
            Some("ResourceNotFoundException:http://internal".into()),
            missing,
            "c",
            "eu-west-1",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("\"c\"") && err.contains("eu-west-1") && err.contains("--region"),
            "{err}"
        );
        let creating = br#"{"cluster":{"name":"c","status":"CREATING"}}"#;
        assert!(
            parse_response(200, None, creating, "c", "r")
                .unwrap_err()
                .to_string()
                .contains("CREATING")
        );
        let outpost = br#"{"cluster":{"name":"c","id":"abc-123","status":"ACTIVE","outpostConfig":{"controlPlaneInstanceType":"m5.large"}}}"#;
        assert_eq!(
            parse_response(200, None, outpost, "c", "r")
                .unwrap()
                .token_cluster_id(),
            "abc-123"
        );
    }
}
