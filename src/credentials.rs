//! AWS credentials and region for minting tokens.
//!
//! Credentials come from `aws-config`'s default chain — environment, shared
//! config/credentials profiles (SSO with `sso_session`, `credential_process`,
//! `role_arn` + `source_profile`), web identity, container credentials and IMDSv2 —
//! exactly as upstream's Go SDK chain. Two things are added here:
//!
//! * **MFA for profiles with `mfa_serial`.** aws-config has no MFA support, so such a
//!   profile's role is assumed here: the source credentials come from the chain, the
//!   code is prompted for on stderr — only when a person can answer (kubectl's
//!   `spec.interactive`, else a TTY check) — and `AssumeRole` carries it.
//! * **`--role`**, assumed with `aws-sdk-sts` (external ID, session name, or the session
//!   name forwarded from `GetCallerIdentity`'s `UserId`).
//!
//! IMDS is never allowed to stall a laptop: the region lookup through it is bounded to
//! one second in total, and credential lookups use a client with sub-second timeouts
//! and a single attempt. `AWS_EC2_METADATA_DISABLED=true` skips it entirely.

use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, SystemTime};

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::imds;
use aws_config::profile::ProfileSet;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_runtime::env_config::file::EnvConfigFiles as ProfileFiles;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_types::os_shim_internal::{Env, Fs};

use crate::http::{HttpError, sdk_http_client, tls_context};
use crate::partition::EndpointFlavour;

/// Region used when nothing else names one, as upstream does.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Upper bound on the whole IMDS region lookup.
pub const IMDS_REGION_BUDGET: Duration = Duration::from_secs(1);

/// The prompt upstream prints (on stderr) before reading an MFA code.
pub const MFA_PROMPT: &str = "Assume Role MFA token code: ";

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

/// Where the region came from, for logs and cache keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionSource {
    /// `--region` or the config file.
    Flag,
    /// `AWS_REGION` / `AWS_DEFAULT_REGION`.
    Environment,
    /// The selected profile's `region`.
    Profile,
    /// EC2 instance metadata.
    Imds,
    /// Nothing named one: `us-east-1`.
    Default,
}

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
    /// Any other provider failure (credential_process exit, web identity, …).
    Provider(String),
    /// A profile needs an MFA code but nobody can type one.
    MfaNotInteractive {
        /// The profile.
        profile: String,
        /// Its `mfa_serial`.
        serial: String,
    },
    /// Reading the MFA code failed.
    MfaInput(String),
    /// AssumeRole was refused.
    AssumeRoleDenied {
        /// The role.
        role_arn: String,
        /// STS's message.
        message: String,
    },
    /// AssumeRole failed otherwise.
    AssumeRole {
        /// The role.
        role_arn: String,
        /// The error.
        message: String,
    },
    /// GetCallerIdentity (for `--forward-session-name`) failed.
    CallerIdentity(String),
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
            CredentialsError::MfaNotInteractive { profile, serial } => write!(
                f,
                "profile {profile:?} needs an MFA code for {serial} but no terminal is attached; set `interactiveMode: IfAvailable` in the kubeconfig exec block, or run `aws-iam-authenticator token --cache` once in a terminal to cache the MFA session"
            ),
            CredentialsError::MfaInput(msg) => write!(f, "could not read the MFA code: {msg}"),
            CredentialsError::AssumeRoleDenied { role_arn, message } => write!(
                f,
                "not authorized to assume role {role_arn} (AccessDenied: {message}); check that the role's trust policy allows your identity and that --external-id matches its sts:ExternalId condition"
            ),
            CredentialsError::AssumeRole { role_arn, message } => {
                write!(f, "failed to assume role {role_arn}: {message}")
            }
            CredentialsError::CallerIdentity(msg) => write!(
                f,
                "GetCallerIdentity failed while forwarding the session name: {msg}"
            ),
        }
    }
}

impl std::error::Error for CredentialsError {}

impl From<HttpError> for CredentialsError {
    fn from(e: HttpError) -> Self {
        CredentialsError::Http(e)
    }
}

/// What to load.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--region` (or the config file's `region`).
    pub region: Option<String>,
    /// `--profile`; otherwise `AWS_PROFILE`, otherwise `default`.
    pub profile: Option<String>,
    /// Whether a person can answer an MFA prompt.
    pub interactive: bool,
}

/// The loaded AWS environment: region, endpoint flavour, profiles, SDK config.
pub struct AwsContext {
    /// Built on first use: a warm cache hit and static environment keys never need it.
    sdk_config: tokio::sync::OnceCell<SdkConfig>,
    tls: aws_smithy_http_client::tls::TlsContext,
    http: SharedHttpClient,
    profiles: ProfileSet,
    profile_name: String,
    region: String,
    region_source: RegionSource,
    flavour: EndpointFlavour,
    interactive: bool,
}

impl fmt::Debug for AwsContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsContext")
            .field("profile", &self.profile_name)
            .field("region", &self.region)
            .field("region_source", &self.region_source)
            .field("flavour", &self.flavour)
            .finish_non_exhaustive()
    }
}

fn env_flag(name: &str) -> Option<bool> {
    match std::env::var(name)
        .ok()?
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether `AWS_EC2_METADATA_DISABLED` turns IMDS off.
pub fn imds_disabled() -> bool {
    env_flag("AWS_EC2_METADATA_DISABLED").unwrap_or(false)
}

/// An IMDS client that gives up quickly: off EC2 nothing answers, and a laptop must
/// not wait. It never goes through a proxy.
fn fast_imds_client(tls: &aws_smithy_http_client::tls::TlsContext) -> imds::Client {
    let config = ProviderConfig::default().with_http_client(sdk_http_client(tls, false));
    imds::Client::builder()
        .configure(&config)
        .connect_timeout(Duration::from_millis(300))
        .read_timeout(Duration::from_millis(500))
        .max_attempts(1)
        .build()
}

/// Looks up the region in IMDS within [`IMDS_REGION_BUDGET`].
pub async fn imds_region(tls: &aws_smithy_http_client::tls::TlsContext) -> Option<String> {
    if imds_disabled() {
        return None;
    }
    let provider = imds::region::ImdsRegionProvider::builder()
        .imds_client(fast_imds_client(tls))
        .build();
    tokio::time::timeout(IMDS_REGION_BUDGET, provider.region())
        .await
        .ok()
        .flatten()
        .map(|r| r.to_string())
}

/// Loads `~/.aws/config` and `~/.aws/credentials` (honouring `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`).
pub async fn load_profiles(profile: Option<&str>) -> Result<ProfileSet, CredentialsError> {
    aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &ProfileFiles::default(),
        profile.map(|p| Cow::Owned(p.to_string())),
    )
    .await
    .map_err(|e| CredentialsError::ProfileFile(DisplayErrorContext(&e).to_string()))
}

impl AwsContext {
    /// Loads profiles, resolves region and endpoint flavour, and builds the SDK config.
    pub async fn load(options: &LoadOptions) -> Result<Self, CredentialsError> {
        let tls = tls_context()?;
        let http = sdk_http_client(&tls, true);
        let explicit_profile = options
            .profile
            .clone()
            .or_else(|| non_empty_env("AWS_PROFILE"));
        let profiles = load_profiles(explicit_profile.as_deref()).await?;
        let profile_name = profiles.selected_profile().to_string();
        let profile = profiles.get_profile(&profile_name);

        if explicit_profile.is_some()
            && profile.is_none()
            && non_empty_env("AWS_ACCESS_KEY_ID").is_none()
        {
            return Err(CredentialsError::UnknownProfile(profile_name));
        }

        // Region: --region > environment > profile > IMDS (bounded) > us-east-1.
        let (region, region_source) = if let Some(r) =
            options.region.clone().filter(|r| !r.is_empty())
        {
            (r, RegionSource::Flag)
        } else if let Some(r) =
            non_empty_env("AWS_REGION").or_else(|| non_empty_env("AWS_DEFAULT_REGION"))
        {
            (r, RegionSource::Environment)
        } else if let Some(r) = profile
            .and_then(|p| p.get("region"))
            .filter(|r| !r.is_empty())
        {
            (r.to_string(), RegionSource::Profile)
        } else if let Some(r) = imds_region(&tls).await {
            (r, RegionSource::Imds)
        } else {
            // Upstream logs this at info on every call; off EC2 that is noise on every
            // kubectl command, so it is debug here.
            tracing::debug!(
                "failed to get region from IMDS for token generation, defaulting to {DEFAULT_REGION}"
            );
            (DEFAULT_REGION.to_string(), RegionSource::Default)
        };

        let profile_flag = |key: &str| {
            profile
                .and_then(|p| p.get(key))
                .and_then(|v| v.trim().parse::<bool>().ok())
        };
        let flavour = EndpointFlavour {
            fips: env_flag("AWS_USE_FIPS_ENDPOINT")
                .or_else(|| profile_flag("use_fips_endpoint"))
                .unwrap_or(false),
            dual_stack: env_flag("AWS_USE_DUALSTACK_ENDPOINT")
                .or_else(|| profile_flag("use_dualstack_endpoint"))
                .unwrap_or(false),
        };

        tracing::debug!(profile = %profile_name, region = %region, ?region_source, ?flavour, "AWS context loaded");
        Ok(AwsContext {
            sdk_config: tokio::sync::OnceCell::new(),
            tls,
            http,
            profiles,
            profile_name,
            region,
            region_source,
            flavour,
            interactive: options.interactive,
        })
    }

    /// The SDK configuration with the default credential chain, built once on demand.
    async fn sdk_config(&self) -> &SdkConfig {
        self.sdk_config
            .get_or_init(|| async {
                let region = Region::new(self.region.clone());
                let provider_config = ProviderConfig::default()
                    .with_http_client(self.http.clone())
                    .with_region(Some(region.clone()))
                    .with_use_fips(Some(self.flavour.fips))
                    .with_use_dual_stack(Some(self.flavour.dual_stack));
                let chain = DefaultCredentialsChain::builder()
                    .configure(provider_config)
                    .profile_name(&self.profile_name)
                    .region(region.clone())
                    .imds_client(fast_imds_client(&self.tls))
                    .build()
                    .await;
                let mut loader = aws_config::defaults(BehaviorVersion::v2026_01_12())
                    .http_client(self.http.clone())
                    .region(region)
                    .profile_name(&self.profile_name)
                    .use_fips(self.flavour.fips)
                    .use_dual_stack(self.flavour.dual_stack)
                    .credentials_provider(chain);
                let app = format!("aws-iam-authenticator-{}", env!("CARGO_PKG_VERSION"))
                    .replace('.', "-");
                if let Ok(app) = aws_config::AppName::new(app) {
                    loader = loader.app_name(app);
                }
                loader.load().await
            })
            .await
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Where the region came from.
    pub fn region_source(&self) -> RegionSource {
        self.region_source
    }

    /// FIPS / dual-stack, from `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT` or
    /// the profile's `use_fips_endpoint` / `use_dualstack_endpoint`.
    pub fn flavour(&self) -> EndpointFlavour {
        self.flavour
    }

    /// The selected profile's name (`default` when none is selected).
    pub fn profile_name(&self) -> &str {
        &self.profile_name
    }

    /// The loaded profile files.
    pub fn profiles(&self) -> &ProfileSet {
        &self.profiles
    }

    /// The `mfa_serial` of the selected profile when it assumes a role with MFA.
    pub fn mfa_profile(&self) -> Option<(&str, &str)> {
        let profile = self.profiles.get_profile(&self.profile_name)?;
        Some((profile.get("role_arn")?, profile.get("mfa_serial")?))
    }

    /// A fingerprint of where the base credentials come from, computed without any
    /// network call: environment keys, the selected profile (and its `source_profile`
    /// chain and SSO session), the SSO token cache, the web-identity token, container
    /// settings. Cache entries are tied to it, so `aws sso logout`, rotated keys or a
    /// different profile never get a stale token.
    pub fn source_fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        let mut feed = |label: &str, value: &str| {
            hash.update((label.len() as u64).to_be_bytes());
            hash.update(label.as_bytes());
            hash.update((value.len() as u64).to_be_bytes());
            hash.update(value.as_bytes());
        };
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_ROLE_ARN",
            "AWS_ROLE_SESSION_NAME",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        ] {
            feed(var, &std::env::var(var).unwrap_or_default());
        }
        for var in [
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        ] {
            if let Some(path) = non_empty_env(var) {
                feed(var, &std::fs::read_to_string(path).unwrap_or_default());
            }
        }
        // The selected profile and everything it draws from.
        let mut name = Some(self.profile_name.clone());
        let mut seen = Vec::new();
        while let Some(current) = name.take() {
            if seen.contains(&current) || seen.len() > 8 {
                break;
            }
            let Some(profile) = self.profiles.get_profile(&current) else {
                feed("missing-profile", &current);
                break;
            };
            feed("profile", &current);
            let mut keys: Vec<(String, String)> = profile_properties(profile);
            keys.sort();
            for (k, v) in keys {
                feed(&k, &v);
            }
            if let Some(session) = profile.get("sso_session")
                && let Some(section) = self.profiles.sso_session(session)
            {
                for key in ["sso_start_url", "sso_region", "sso_registration_scopes"] {
                    feed(key, section.get(key).unwrap_or_default());
                }
            }
            seen.push(current.clone());
            name = profile
                .get("source_profile")
                .filter(|src| *src != current)
                .map(str::to_string);
        }
        // `aws sso login` / `logout` rewrite or delete the SSO token cache.
        if let Some(home) = std::env::home_dir()
            && let Ok(entries) = std::fs::read_dir(home.join(".aws/sso/cache"))
        {
            let mut files: Vec<String> = entries
                .flatten()
                .map(|e| {
                    let meta = e.metadata().ok();
                    format!(
                        "{}:{}:{:?}",
                        e.file_name().to_string_lossy(),
                        meta.as_ref().map(|m| m.len()).unwrap_or_default(),
                        meta.and_then(|m| m.modified().ok())
                    )
                })
                .collect();
            files.sort();
            feed("sso-cache", &files.join(","));
        }
        hex::encode(hash.finalize())
    }

    /// Resolves the base credentials: the default chain, or — for a profile with
    /// `role_arn` and `mfa_serial` — an MFA-authenticated AssumeRole.
    pub async fn base_credentials(&self) -> Result<Credentials, CredentialsError> {
        if let Some((role_arn, serial)) = self.mfa_profile() {
            return self.assume_profile_role_with_mfa(role_arn, serial).await;
        }
        // The chain's first provider, without building the chain: static keys in the
        // environment win over everything else, as in every AWS SDK.
        if let (Some(id), Some(secret)) = (
            non_empty_env("AWS_ACCESS_KEY_ID"),
            non_empty_env("AWS_SECRET_ACCESS_KEY"),
        ) {
            return Ok(Credentials::new(
                id,
                secret,
                non_empty_env("AWS_SESSION_TOKEN"),
                None,
                "Environment",
            ));
        }
        let provider = self
            .sdk_config()
            .await
            .credentials_provider()
            .ok_or_else(|| {
                CredentialsError::Provider("no credentials provider configured".into())
            })?;
        provider
            .provide_credentials()
            .await
            .map_err(|e| self.classify_provider_error(&e))
    }

    fn classify_provider_error(
        &self,
        err: &aws_credential_types::provider::error::CredentialsError,
    ) -> CredentialsError {
        use aws_credential_types::provider::error::CredentialsError as E;
        let detail = DisplayErrorContext(err).to_string();
        let lower = detail.to_ascii_lowercase();
        let profile = self.profile_name.clone();
        let is_sso = self
            .profiles
            .get_profile(&self.profile_name)
            .is_some_and(|p| p.get("sso_session").is_some() || p.get("sso_start_url").is_some());
        if is_sso
            && (lower.contains("expired")
                || lower.contains("sso token")
                || lower.contains("unauthorized")
                || lower.contains("no such file"))
        {
            return CredentialsError::SsoExpired { profile };
        }
        match err {
            E::CredentialsNotLoaded(_) => {
                tracing::debug!(%detail, "credential chain found nothing");
                CredentialsError::NotFound { profile, detail }
            }
            _ => CredentialsError::Provider(detail),
        }
    }

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
            .map_err(|e| CredentialsError::CallerIdentity(DisplayErrorContext(&e).to_string()))?;
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
    async fn assume(
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
        let out = sent.map_err(|e| {
            let message = e
                .as_service_error()
                .and_then(|s| aws_smithy_types::error::metadata::ProvideErrorMetadata::message(s))
                .map(str::to_string)
                .unwrap_or_else(|| DisplayErrorContext(&e).to_string());
            let code = e
                .as_service_error()
                .and_then(|s| aws_smithy_types::error::metadata::ProvideErrorMetadata::code(s))
                .unwrap_or_default()
                .to_string();
            if code == "AccessDenied" {
                CredentialsError::AssumeRoleDenied {
                    role_arn: role_arn.to_string(),
                    message,
                }
            } else {
                CredentialsError::AssumeRole {
                    role_arn: role_arn.to_string(),
                    message,
                }
            }
        })?;
        let creds = out
            .credentials()
            .ok_or_else(|| CredentialsError::AssumeRole {
                role_arn: role_arn.to_string(),
                message: "STS returned no credentials".into(),
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

    /// A profile with `role_arn` + `mfa_serial`: source credentials from the chain, MFA
    /// code from the user, then AssumeRole.
    async fn assume_profile_role_with_mfa(
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

/// The properties of a profile that can change which credentials it yields.
fn profile_properties(profile: &aws_config::profile::Profile) -> Vec<(String, String)> {
    const KEYS: &[&str] = &[
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "role_arn",
        "source_profile",
        "credential_source",
        "credential_process",
        "external_id",
        "mfa_serial",
        "role_session_name",
        "duration_seconds",
        "web_identity_token_file",
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
        "sso_region",
    ];
    KEYS.iter()
        .filter_map(|k| profile.get(k).map(|v| (k.to_string(), v.to_string())))
        .collect()
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

    #[test]
    fn explicit_interactivity_wins() {
        assert!(is_interactive(Some(true)));
        assert!(!is_interactive(Some(false)));
    }
}
