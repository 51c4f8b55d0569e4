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
//!
//! The pieces: this module loads the context (profiles, region, endpoint flavour, the
//! SDK's credential chain); `imds.rs` bounds every IMDS lookup; `assume_role.rs` is
//! `--role` and the server's role; `mfa.rs` is the `mfa_serial` profile's prompt and
//! AssumeRole; `fingerprint.rs` names where the base credentials come from, for the
//! token cache; `error.rs` is what can go wrong, with the fix in each message.

mod assume_role;
mod error;
mod fingerprint;
mod imds;
mod mfa;

use std::borrow::Cow;
use std::fmt;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::profile::ProfileSet;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_runtime::env_config::file::EnvConfigFiles as ProfileFiles;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::os_shim_internal::{Env, Fs};

use crate::aws_http::{error_chain, sdk_http_client, tls_context};
use crate::partition::EndpointFlavour;
use imds::fast_imds_client;

pub use assume_role::{RoleRequest, SessionName, default_session_name, forwarded_session_name};
pub use error::CredentialsError;
pub use imds::{IMDS_REGION_BUDGET, imds_disabled, imds_region};
pub use mfa::{MFA_PROMPT, is_interactive};

/// Region used when nothing else names one, as upstream does.
pub const DEFAULT_REGION: &str = "us-east-1";

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
    .map_err(|e| CredentialsError::ProfileFile(error_chain(&e)))
}

impl AwsContext {
    /// Loads profiles, resolves region and endpoint flavour, and builds the SDK config.
    pub async fn load(options: &LoadOptions) -> Result<Self, CredentialsError> {
        Self::load_with(options, true).await
    }

    /// [`AwsContext::load`] without asking EC2 instance metadata for the region (no
    /// network call at all: `doctor --offline`); the region falls back to `us-east-1`.
    pub async fn load_without_imds(options: &LoadOptions) -> Result<Self, CredentialsError> {
        Self::load_with(options, false).await
    }

    async fn load_with(options: &LoadOptions, ask_imds: bool) -> Result<Self, CredentialsError> {
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
        } else if ask_imds && let Some(r) = imds_region(&tls).await {
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
        // Display texts only: DisplayErrorContext would append a Debug dump.
        let detail = error_chain(err);
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
            _ => CredentialsError::Failed(crate::diagnose::diagnose(
                err,
                crate::diagnose::Call::Credentials {
                    profile: &self.profile_name,
                },
            )),
        }
    }
}
