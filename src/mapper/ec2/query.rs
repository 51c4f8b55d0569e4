//! The real DescribeInstances call: one SigV4-signed EC2 Query `POST`, with
//! credentials from the default chain or an assumed role, to the regional (or
//! configured) EC2 endpoint, over the program's own HTTPS stack.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::aws_http::Connector;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use futures_util::future::BoxFuture;
use percent_encoding::utf8_percent_encode;
use tokio::time::Instant;

use super::xml::{parse_describe_instances, parse_error};
use super::{CallError, DescribeInstances, Ec2ConfigError, Ec2Settings, ROLE_SESSION_DURATION};
use crate::aws_http::{AWS_URI_ENCODE, error_chain};
use crate::credentials::{AwsContext, LoadOptions, RegionSource};
use crate::partition::EndpointFlavour;

/// Credentials are renewed this long before they expire.
const CREDENTIALS_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Credentials without an expiry (static keys) are re-read this often.
const STATIC_CREDENTIALS_TTL: Duration = Duration::from_secs(15 * 60);
/// Largest DescribeInstances answer read (100 instances are well under 2 MiB).
const MAX_RESPONSE: usize = 16 * 1024 * 1024;
/// The EC2 API version of the Query call.
const EC2_API_VERSION: &str = "2016-11-15";
/// The STS headers `server.sourceARN` adds (confused-deputy protection).
const SOURCE_ACCOUNT_HEADER: &str = "x-amz-source-account";
const SOURCE_ARN_HEADER: &str = "x-amz-source-arn";

/// DescribeInstances over HTTPS with SigV4, credentials from the default chain or the
/// configured role. The AWS context, endpoint and HTTP client are built on first use.
pub struct AwsDescribe {
    region: Option<String>,
    role: Option<RoleSettings>,
    client: tokio::sync::OnceCell<Client>,
    credentials: tokio::sync::Mutex<Option<(Credentials, Instant)>>,
}

#[derive(Clone, Debug)]
struct RoleSettings {
    arn: String,
    headers: Vec<(&'static str, String)>,
}

struct Client {
    aws: AwsContext,
    region: String,
    endpoint: http::Uri,
    connector: Connector,
}

impl AwsDescribe {
    /// Checks the role and source ARNs; nothing is loaded yet.
    pub fn new(settings: &Ec2Settings) -> Result<Self, Ec2ConfigError> {
        let role = match &settings.role_arn {
            None => None,
            Some(arn) => {
                check_role_arn(arn)?;
                let mut headers = Vec::new();
                if let Some(source) = &settings.source_arn {
                    let account = crate::arn::account_id(source).map_err(|e| {
                        Ec2ConfigError::InvalidSourceArn {
                            arn: source.clone(),
                            reason: e.to_string(),
                        }
                    })?;
                    headers.push((SOURCE_ACCOUNT_HEADER, account.to_string()));
                    headers.push((SOURCE_ARN_HEADER, source.clone()));
                }
                Some(RoleSettings {
                    arn: arn.clone(),
                    headers,
                })
            }
        };
        Ok(AwsDescribe {
            region: settings.region.clone(),
            role,
            client: tokio::sync::OnceCell::new(),
            credentials: tokio::sync::Mutex::new(None),
        })
    }

    async fn client(&self) -> Result<&Client, CallError> {
        self.client
            .get_or_try_init(|| async {
                let aws = AwsContext::load(&LoadOptions {
                    region: self.region.clone(),
                    profile: None,
                    interactive: false,
                })
                .await
                .map_err(|e| CallError::Setup(e.to_string()))?;
                if aws.region_source() == RegionSource::Default {
                    return Err(CallError::Setup(
                        "no AWS region for the EC2 API: set AWS_REGION (or a profile region), or run on EC2 where the instance metadata gives it".into(),
                    ));
                }
                let region = aws.region().to_string();
                let endpoint = endpoint(&region, aws.flavour(), &|name| std::env::var(name).ok())?;
                let tls = crate::aws_http::tls_context().map_err(|e| CallError::Setup(e.to_string()))?;
                let connector = crate::aws_http::connector(&tls, &crate::aws_http::ConnectorOptions::default());
                tracing::info!(%region, %endpoint, role = ?self.role.as_ref().map(|r| &r.arn), "EC2 DescribeInstances client ready");
                Ok(Client {
                    aws,
                    region,
                    endpoint,
                    connector,
                })
            })
            .await
    }

    async fn credentials(&self, client: &Client) -> Result<Credentials, CallError> {
        let mut cached = self.credentials.lock().await;
        if let Some((creds, fetched)) = cached.as_ref() {
            let fresh = match creds.expiry() {
                Some(expiry) => expiry
                    .duration_since(std::time::SystemTime::now())
                    .is_ok_and(|left| left > CREDENTIALS_REFRESH_MARGIN),
                None => fetched.elapsed() < STATIC_CREDENTIALS_TTL,
            };
            if fresh {
                return Ok(creds.clone());
            }
        }
        let base = client
            .aws
            .base_credentials()
            .await
            .map_err(|e| CallError::Credentials(e.to_string()))?;
        let creds = match &self.role {
            None => base,
            Some(role) => client
                .aws
                .assume_role_with_headers(
                    &base,
                    &role.arn,
                    &crate::credentials::default_session_name(),
                    ROLE_SESSION_DURATION,
                    &role.headers,
                )
                .await
                .map_err(|e| CallError::Credentials(e.to_string()))?,
        };
        *cached = Some((creds.clone(), Instant::now()));
        Ok(creds)
    }

    async fn call(&self, ids: &[String]) -> Result<HashMap<String, String>, CallError> {
        let client = self.client().await?;
        let credentials = self.credentials(client).await?;
        let body = query_body(ids);
        let request = signed_request(
            &client.endpoint,
            &client.region,
            &credentials,
            body,
            std::time::SystemTime::now(),
        )?;
        let response = client
            .connector
            .call(request)
            .await
            .map_err(|e| CallError::Connection(error_chain(&e)))?;
        let status = response.status().as_u16();
        let bytes = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| CallError::Connection(error_chain(&e)))?
            .into_bytes();
        let bytes = bytes.get(..MAX_RESPONSE).unwrap_or(&bytes);
        let text = String::from_utf8_lossy(bytes);
        if (200..300).contains(&status) {
            parse_describe_instances(&text).map_err(CallError::Parse)
        } else {
            Err(match parse_error(&text) {
                Some((code, message, request_id)) => CallError::Api {
                    status,
                    code,
                    message,
                    request_id,
                },
                None => CallError::Status {
                    status,
                    body: text.chars().take(200).collect(),
                },
            })
        }
    }
}

impl DescribeInstances for AwsDescribe {
    fn describe<'a>(
        &'a self,
        instance_ids: &'a [String],
    ) -> BoxFuture<'a, Result<HashMap<String, String>, CallError>> {
        Box::pin(self.call(instance_ids))
    }
}

fn check_role_arn(arn: &str) -> Result<(), Ec2ConfigError> {
    let invalid = |reason: String| Ec2ConfigError::InvalidRoleArn {
        arn: arn.to_string(),
        reason,
    };
    crate::arn::account_id(arn).map_err(|e| invalid(e.to_string()))?;
    let mut sections = arn.splitn(6, ':').skip(1);
    let partition = sections.next().unwrap_or_default();
    let service = sections.next().unwrap_or_default();
    let resource = sections.nth(2).unwrap_or_default();
    if partition.parse::<crate::partition::Partition>().is_err() {
        return Err(invalid(format!("unknown partition {partition:?}")));
    }
    if service != "iam" || !resource.starts_with("role/") {
        return Err(invalid("not an iam role".into()));
    }
    Ok(())
}

/// The endpoint: `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL`, else the regional one.
fn endpoint(
    region: &str,
    flavour: EndpointFlavour,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<http::Uri, CallError> {
    crate::aws_http::service_endpoint("ec2", ("ec2", "ec2-fips"), region, flavour, env)
        .map_err(|e| CallError::Setup(e.to_string()))
}

fn query_body(ids: &[String]) -> String {
    let mut body = format!("Action=DescribeInstances&Version={EC2_API_VERSION}");
    for (i, id) in ids.iter().enumerate() {
        body.push_str(&format!("&InstanceId.{}=", i + 1));
        body.extend(utf8_percent_encode(id, AWS_URI_ENCODE));
    }
    body
}

/// Builds the SigV4-signed `POST /` (headers `host`, `content-type`, `x-amz-date`,
/// `x-amz-security-token` for session credentials, `authorization`).
fn signed_request(
    endpoint: &http::Uri,
    region: &str,
    credentials: &Credentials,
    body: String,
    now: std::time::SystemTime,
) -> Result<HttpRequest, CallError> {
    let signing = |e: &dyn fmt::Display| CallError::Signing(e.to_string());
    let host = endpoint
        .authority()
        .map(|a| a.as_str().to_string())
        .ok_or_else(|| CallError::Setup(format!("the EC2 endpoint {endpoint} has no host")))?;
    let url = endpoint.to_string();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("ec2")
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| signing(&e))?
        .into();
    let headers = [("host", host.as_str()), ("content-type", content_type)];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| signing(&e))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| signing(&e))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("POST")
        .uri(&url)
        .header("host", &host)
        .header("content-type", content_type)
        .body(SdkBody::from(body))
        .map_err(|e| signing(&e))?;
    instructions.apply_to_request_http1x(&mut request);
    HttpRequest::try_from(request).map_err(|e| signing(&e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn query_body_and_signature() {
        let ids = vec!["i-0c6f21bf1f24f9708".to_string(), "i-12345678".to_string()];
        assert_eq!(
            query_body(&ids),
            "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0c6f21bf1f24f9708&InstanceId.2=i-12345678"
        );
        let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "t");
        let endpoint: http::Uri = "https://ec2.us-west-2.amazonaws.com/".parse().unwrap();
        let request = signed_request(
            &endpoint,
            "us-west-2",
            &creds,
            query_body(&ids),
            std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .unwrap();
        let headers = request.headers();
        assert_eq!(headers.get("host"), Some("ec2.us-west-2.amazonaws.com"));
        assert_eq!(headers.get("x-amz-date"), Some("20231114T221320Z"));
        assert_eq!(headers.get("x-amz-security-token"), Some("token"));
        let auth = headers.get("authorization").unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-west-2/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
            ),
            "{auth}"
        );
        assert_eq!(request.method(), "POST");
    }

    #[test]
    fn endpoints() {
        let none = |_: &str| None;
        let get = |url: &'static str| {
            move |name: &str| (name == "AWS_ENDPOINT_URL").then(|| url.to_string())
        };
        let plain = EndpointFlavour::default();
        assert_eq!(
            endpoint("us-west-2", plain, &none).unwrap().to_string(),
            "https://ec2.us-west-2.amazonaws.com/"
        );
        assert_eq!(
            endpoint("cn-north-1", plain, &none).unwrap().to_string(),
            "https://ec2.cn-north-1.amazonaws.com.cn/"
        );
        let fips = EndpointFlavour {
            fips: true,
            dual_stack: false,
        };
        assert_eq!(
            endpoint("us-gov-west-1", fips, &none).unwrap().to_string(),
            "https://ec2-fips.us-gov-west-1.amazonaws.com/"
        );
        assert_eq!(
            endpoint("us-west-2", plain, &get("http://127.0.0.1:5000"))
                .unwrap()
                .to_string(),
            "http://127.0.0.1:5000/"
        );
        let both = |name: &str| match name {
            "AWS_ENDPOINT_URL_EC2" => Some("http://ec2.local:1".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://all.local:2".to_string()),
            _ => None,
        };
        assert_eq!(
            endpoint("us-west-2", plain, &both).unwrap().to_string(),
            "http://ec2.local:1/"
        );
        let ignored = |name: &str| match name {
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("true".to_string()),
            other => both(other),
        };
        assert_eq!(
            endpoint("us-west-2", plain, &ignored).unwrap().to_string(),
            "https://ec2.us-west-2.amazonaws.com/"
        );
        assert!(endpoint("us-west-2", plain, &get("not a url")).is_err());
        assert!(endpoint("us-west-2", plain, &get("/relative")).is_err());
        assert!(endpoint("bad region!", plain, &none).is_err());
    }
}
