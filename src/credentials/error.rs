//! Why credentials could not be had: one variant per cause, each message naming the
//! problem and how to fix it.

use std::fmt;

use crate::aws_http::HttpError;
use crate::diagnose::{Class, Diagnosis};

/// Why credentials could not be had. Each message names the problem and the fix.
#[derive(Debug)]
pub enum CredentialsError {
    /// The proxy/CA configuration is broken.
    Http(HttpError),
    /// `~/.aws/config` or `~/.aws/credentials` cannot be parsed.
    ProfileFile(String),
    /// The selected profile does not exist.
    UnknownProfile(String),
    /// No provider in the chain had credentials.
    NotFound {
        /// The selected profile.
        profile: String,
        /// The chain's own explanation.
        detail: String,
    },
    /// An SSO profile's login has expired or never happened.
    SsoExpired {
        /// The selected profile.
        profile: String,
    },
    /// A provider's configuration is unusable (a profile naming no credential source).
    Provider(String),
    /// A provider failed (credential_process exit, IMDS, web identity, a network error).
    Failed(Diagnosis),
    /// A profile needs an MFA code but nobody can type one.
    MfaNotInteractive {
        /// The profile.
        profile: String,
        /// Its `mfa_serial`.
        serial: String,
    },
    /// Reading the MFA code failed.
    MfaInput(String),
    /// AssumeRole failed (refused, unreachable, bad keys, ...).
    AssumeRole {
        /// The role.
        role_arn: String,
        /// What went wrong and the fix.
        diagnosis: Diagnosis,
    },
    /// GetCallerIdentity (for `--forward-session-name`) failed.
    CallerIdentity(Diagnosis),
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::Http(e) => e.fmt(f),
            CredentialsError::ProfileFile(msg) => write!(
                f,
                "cannot parse the AWS config files: {msg}; fix ~/.aws/config or ~/.aws/credentials (or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)"
            ),
            CredentialsError::UnknownProfile(p) => write!(
                f,
                "AWS profile {p:?} is not defined in ~/.aws/config or ~/.aws/credentials; set AWS_PROFILE to one of `aws configure list-profiles`"
            ),
            CredentialsError::NotFound { profile, .. } => write!(
                f,
                "no AWS credentials found (tried environment variables, profile {profile:?} in ~/.aws/config and ~/.aws/credentials, web identity, container and EC2 instance metadata); set AWS_PROFILE to a configured profile, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`"
            ),
            CredentialsError::SsoExpired { profile } => write!(
                f,
                "the AWS SSO session for profile {profile:?} has expired or was never started; run `aws sso login --profile {profile}`"
            ),
            CredentialsError::Provider(msg) => write!(f, "failed to load AWS credentials: {msg}"),
            CredentialsError::Failed(d) => write!(f, "failed to load AWS credentials: {d}"),
            CredentialsError::MfaNotInteractive { profile, serial } => write!(
                f,
                "profile {profile:?} needs an MFA code for {serial} but no terminal is attached; set `interactiveMode: IfAvailable` in the kubeconfig exec block, or run `aws-iam-authenticator token --cache` once in a terminal to cache the MFA session"
            ),
            CredentialsError::MfaInput(msg) => write!(f, "could not read the MFA code: {msg}"),
            // An AccessDenied diagnosis names the role itself.
            CredentialsError::AssumeRole { diagnosis, .. }
                if diagnosis.class == Class::AccessDenied =>
            {
                diagnosis.fmt(f)
            }
            CredentialsError::AssumeRole {
                role_arn,
                diagnosis,
            } => {
                write!(f, "failed to assume role {role_arn}: {diagnosis}")
            }
            CredentialsError::CallerIdentity(d) => write!(
                f,
                "GetCallerIdentity failed while forwarding the session name: {d}"
            ),
        }
    }
}

impl std::error::Error for CredentialsError {}

impl CredentialsError {
    /// The classified problem behind this error, when it came from a call that failed
    /// (a provider, AssumeRole, GetCallerIdentity).
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            CredentialsError::Failed(d)
            | CredentialsError::AssumeRole { diagnosis: d, .. }
            | CredentialsError::CallerIdentity(d) => Some(d),
            _ => None,
        }
    }
}

impl From<HttpError> for CredentialsError {
    fn from(e: HttpError) -> Self {
        CredentialsError::Http(e)
    }
}
