//! Assuming a role with the base credentials: `-r/--role` (external ID, session name,
//! or the session name forwarded from `GetCallerIdentity`'s `UserId`), and the server's
//! EC2-lookup role with its confused-deputy headers. Both go through `aws-sdk-sts`.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use super::{AwsContext, CredentialsError};
use crate::diagnose::{Call, diagnose};

/// How the role session is named for `--role`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionName {
    /// `aws-iam-authenticator-<unix millis>`.
    Default,
    /// `-s/--session-name`.
    Named(String),
    /// `--forward-session-name`: the session name of the caller's own identity.
    Forward,
}

/// A role to assume with the base credentials (`-r/--role`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRequest {
    /// The role ARN.
    pub role_arn: String,
    /// `-e/--external-id`.
    pub external_id: Option<String>,
    /// How to name the session.
    pub session_name: SessionName,
    /// `--role-duration`; STS's default (one hour) otherwise.
    pub duration: Option<Duration>,
}

impl AwsContext {
    async fn sts_client(&self, credentials: Credentials) -> aws_sdk_sts::Client {
        let config = aws_sdk_sts::config::Builder::from(self.sdk_config().await)
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .http_client(self.http.clone())
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    /// The `UserId` that STS reports for these credentials.
    pub async fn caller_user_id(
        &self,
        credentials: &Credentials,
    ) -> Result<String, CredentialsError> {
        let out = self
            .sts_client(credentials.clone())
            .await
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| CredentialsError::CallerIdentity(diagnose(&e, Call::GetCallerIdentity)))?;
        Ok(out.user_id().unwrap_or_default().to_string())
    }

    /// Assumes `role` with `base` (`-r/--role`).
    pub async fn assume_role(
        &self,
        base: &Credentials,
        role: &RoleRequest,
    ) -> Result<Credentials, CredentialsError> {
        let session_name = match &role.session_name {
            SessionName::Named(name) => name.clone(),
            SessionName::Default => default_session_name(),
            SessionName::Forward => {
                let user_id = self.caller_user_id(base).await?;
                forwarded_session_name(&user_id).unwrap_or_else(default_session_name)
            }
        };
        let duration = role
            .duration
            .map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX));
        self.assume(
            base,
            &role.role_arn,
            &session_name,
            role.external_id.as_deref(),
            None,
            duration,
            &[],
        )
        .await
    }

    /// Assumes `role_arn` with `base` on behalf of a service (the server's EC2 lookup),
    /// sending `extra_headers` on the STS call. The server uses them for the
    /// confused-deputy headers `x-amz-source-account` / `x-amz-source-arn`, which a
    /// role's trust policy can require (`aws:SourceAccount`, `aws:SourceArn`).
    pub async fn assume_role_with_headers(
        &self,
        base: &Credentials,
        role_arn: &str,
        session_name: &str,
        duration: Duration,
        extra_headers: &[(&'static str, String)],
    ) -> Result<Credentials, CredentialsError> {
        let duration = i32::try_from(duration.as_secs()).unwrap_or(i32::MAX);
        self.assume(
            base,
            role_arn,
            session_name,
            None,
            None,
            Some(duration),
            extra_headers,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn assume(
        &self,
        base: &Credentials,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
        mfa: Option<(&str, String)>,
        duration_seconds: Option<i32>,
        extra_headers: &[(&'static str, String)],
    ) -> Result<Credentials, CredentialsError> {
        tracing::debug!(role_arn, session_name, "assuming role");
        let mut call = self
            .sts_client(base.clone())
            .await
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_string))
            .set_duration_seconds(duration_seconds);
        if let Some((serial, code)) = mfa {
            call = call.serial_number(serial).token_code(code);
        }
        let sent = if extra_headers.is_empty() {
            call.send().await
        } else {
            let headers = extra_headers.to_vec();
            call.customize()
                .mutate_request(move |request| {
                    for (name, value) in &headers {
                        request.headers_mut().insert(*name, value.clone());
                    }
                })
                .send()
                .await
        };
        let out = sent.map_err(|e| CredentialsError::AssumeRole {
            role_arn: role_arn.to_string(),
            diagnosis: diagnose(
                &e,
                Call::AssumeRole {
                    role_arn,
                    external_id: external_id.is_some(),
                },
            ),
        })?;
        let creds = out.credentials().ok_or_else(|| {
            CredentialsError::Provider(format!("STS returned no credentials for role {role_arn}"))
        })?;
        let expiry = SystemTime::try_from(*creds.expiration()).ok();
        Ok(Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_string()),
            expiry,
            "AssumeRole",
        ))
    }
}

/// The session name upstream's SDK would pick has no meaning beyond uniqueness; ours
/// says which tool made it.
pub fn default_session_name() -> String {
    let millis = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("aws-iam-authenticator-{millis}")
}

/// `--forward-session-name`: the part after `:` of a `UserId` with exactly two parts
/// (`AROA…:alice@example.com` → `alice@example.com`), as upstream does.
pub fn forwarded_session_name(user_id: &str) -> Option<String> {
    let mut parts = user_id.split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(session), None) if !session.is_empty() => Some(session.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_session_names() {
        assert_eq!(
            forwarded_session_name("AROAEXAMPLE:alice@example.com").as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(forwarded_session_name("AIDAEXAMPLE"), None);
        assert_eq!(forwarded_session_name("a:b:c"), None);
        assert_eq!(forwarded_session_name("a:"), None);
    }

    #[test]
    fn default_session_names_are_valid_role_session_names() {
        let name = default_session_name();
        assert!(name.starts_with("aws-iam-authenticator-"));
        assert!(name.len() <= 64);
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
        );
    }
}
