//! Profiles with `role_arn` and `mfa_serial`. aws-config has no MFA support, so such a
//! profile's role is assumed here: the source credentials come from the profile's
//! `source_profile` or `credential_source`, the code is prompted for on stderr — only
//! when a person can answer (kubectl's `spec.interactive`, else a TTY check) — and
//! `AssumeRole` carries it.

use std::io::{BufRead, IsTerminal, Write};

use aws_config::Region;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;

use super::{AwsContext, CredentialsError, default_session_name};

/// The prompt upstream prints (on stderr) before reading an MFA code.
pub const MFA_PROMPT: &str = "Assume Role MFA token code: ";

impl AwsContext {
    /// A profile with `role_arn` + `mfa_serial`: source credentials from the chain, MFA
    /// code from the user, then AssumeRole.
    pub(super) async fn assume_profile_role_with_mfa(
        &self,
        role_arn: &str,
        serial: &str,
    ) -> Result<Credentials, CredentialsError> {
        if !self.interactive {
            return Err(CredentialsError::MfaNotInteractive {
                profile: self.profile_name.clone(),
                serial: serial.to_string(),
            });
        }
        let profile = self
            .profiles
            .get_profile(&self.profile_name)
            .ok_or_else(|| CredentialsError::UnknownProfile(self.profile_name.clone()))?;
        let source = self.source_credentials(profile).await?;
        let code = prompt_mfa_code()?;
        let session_name = profile
            .get("role_session_name")
            .map(str::to_string)
            .unwrap_or_else(default_session_name);
        let duration = profile
            .get("duration_seconds")
            .and_then(|d| d.trim().parse::<i32>().ok());
        self.assume(
            &source,
            role_arn,
            &session_name,
            profile.get("external_id"),
            Some((serial, code)),
            duration,
            &[],
        )
        .await
    }

    async fn source_credentials(
        &self,
        profile: &aws_config::profile::Profile,
    ) -> Result<Credentials, CredentialsError> {
        let provider_config = ProviderConfig::default()
            .with_http_client(self.http.clone())
            .with_region(Some(Region::new(self.region.clone())));

        match (
            profile.get("source_profile"),
            profile.get("credential_source"),
        ) {
            (Some(src), _) if src == profile.name() => {
                // `source_profile` pointing at itself: the static keys of this profile.
                match (
                    profile.get("aws_access_key_id"),
                    profile.get("aws_secret_access_key"),
                ) {
                    (Some(id), Some(secret)) => Ok(Credentials::new(
                        id,
                        secret,
                        profile.get("aws_session_token").map(str::to_string),
                        None,
                        "ProfileFile",
                    )),
                    _ => Err(CredentialsError::Provider(format!(
                        "profile {:?} names itself as source_profile but has no aws_access_key_id/aws_secret_access_key",
                        profile.name()
                    ))),
                }
            }
            (Some(src), _) => aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(src)
                .build()
                .provide_credentials()
                .await
                .map_err(|e| self.classify_provider_error(&e)),
            (None, Some("Environment")) => {
                aws_config::environment::EnvironmentVariableCredentialsProvider::new()
                    .provide_credentials()
                    .await
                    .map_err(|e| self.classify_provider_error(&e))
            }
            (None, Some("Ec2InstanceMetadata")) => {
                aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(&provider_config)
                    .build()
                    .provide_credentials()
                    .await
                    .map_err(|e| self.classify_provider_error(&e))
            }
            (None, Some("EcsContainer")) => aws_config::ecs::EcsCredentialsProvider::builder()
                .configure(&provider_config)
                .build()
                .provide_credentials()
                .await
                .map_err(|e| self.classify_provider_error(&e)),
            _ => Err(CredentialsError::Provider(format!(
                "profile {:?} has role_arn but neither source_profile nor a supported credential_source (Environment, Ec2InstanceMetadata, EcsContainer)",
                profile.name()
            ))),
        }
    }
}

/// Whether a person can answer a prompt: kubectl's `spec.interactive` when it said,
/// else whether stdin is a terminal.
pub fn is_interactive(exec_info_interactive: Option<bool>) -> bool {
    exec_info_interactive.unwrap_or_else(|| std::io::stdin().is_terminal())
}

/// Prompts on stderr and reads one line from stdin.
fn prompt_mfa_code() -> Result<String, CredentialsError> {
    let mut stderr = std::io::stderr();
    let _ = stderr.write_all(MFA_PROMPT.as_bytes());
    let _ = stderr.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CredentialsError::MfaInput(e.to_string()))?;
    let code = line.trim().to_string();
    if code.is_empty() {
        return Err(CredentialsError::MfaInput("no code entered".into()));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_interactivity_wins() {
        assert!(is_interactive(Some(true)));
        assert!(!is_interactive(Some(false)));
    }
}
