//! The `token` command as a library call: credentials → (cache) → token.
//!
//! [`get_token`] is what the CLI runs and what a Rust program embeds to mint tokens. With
//! caching on, the order of work keeps the warm path cheap: the cache key is computed
//! from local inputs only (flags, profile files, a fingerprint of the credential source),
//! so a hit costs no network call and no credential-chain work. On a miss the per-key
//! lock serialises concurrent kubectl invocations, and the entry is re-read under the
//! lock, so only the first process calls STS.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cache::{self, Cache, Key, Kind, Label, LockGuard, Storage};
use crate::credentials::{AwsContext, CredentialsError, LoadOptions, RoleRequest, SessionName};
use crate::partition::{EndpointError, sts_host};
use crate::token::generate::{CREDENTIAL_EXPIRY_MARGIN, GenerateError};
use crate::token::{Token, TokenRequest, generate};

/// Caching options (`--cache`, `--cache-storage`, `--cache-margin`, `--force-refresh`).
#[derive(Clone, Debug)]
pub struct CacheOptions {
    /// Where entries live.
    pub storage: Storage,
    /// A cached token is reused while it has more than this left.
    pub margin: Duration,
    /// Ignore what is cached (but refresh it).
    pub force_refresh: bool,
    /// The cache directory (default: [`cache::default_dir`]).
    pub dir: Option<std::path::PathBuf>,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            storage: Storage::File,
            margin: cache::DEFAULT_MARGIN,
            force_refresh: false,
            dir: None,
        }
    }
}

/// Everything `token` needs.
#[derive(Clone, Debug, Default)]
pub struct TokenOptions {
    /// The cluster ID.
    pub cluster_id: String,
    /// `--role` and friends.
    pub role: Option<RoleRequest>,
    /// Where to load credentials from.
    pub load: LoadOptions,
    /// `Some` when `--cache` is on.
    pub cache: Option<CacheOptions>,
}

/// Why no token could be had. `Display` is the underlying error's own text.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// Credentials failed.
    Credentials(CredentialsError),
    /// No STS endpoint for the region and flavour.
    Endpoint(EndpointError),
    /// The signer failed.
    Generate(GenerateError),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Credentials(e) => e.fmt(f),
            ClientError::Endpoint(e) => e.fmt(f),
            ClientError::Generate(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Credentials(e) => Some(e),
            ClientError::Endpoint(e) => Some(e),
            ClientError::Generate(e) => Some(e),
        }
    }
}

impl From<CredentialsError> for ClientError {
    fn from(e: CredentialsError) -> Self {
        ClientError::Credentials(e)
    }
}

impl From<EndpointError> for ClientError {
    fn from(e: EndpointError) -> Self {
        ClientError::Endpoint(e)
    }
}

impl From<GenerateError> for ClientError {
    fn from(e: GenerateError) -> Self {
        ClientError::Generate(e)
    }
}

#[derive(Serialize, Deserialize)]
struct CachedToken {
    token: String,
    #[serde(with = "time::serde::rfc3339")]
    expiration: OffsetDateTime,
}

impl CachedToken {
    fn into_token(self) -> Token {
        Token {
            token: self.token,
            expiration: self.expiration,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CachedCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    expiration: OffsetDateTime,
}

impl CachedCredentials {
    fn from(creds: &aws_credential_types::Credentials) -> Option<Self> {
        Some(CachedCredentials {
            access_key_id: creds.access_key_id().to_string(),
            secret_access_key: creds.secret_access_key().to_string(),
            session_token: creds.session_token().map(str::to_string),
            expiration: OffsetDateTime::from(creds.expiry()?),
        })
    }

    fn into_credentials(self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            Some(SystemTime::from(self.expiration)),
            "aws-iam-authenticator-cache",
        )
    }
}

fn session_spec(role: &RoleRequest) -> String {
    match &role.session_name {
        SessionName::Default => "default".into(),
        SessionName::Named(n) => format!("named:{n}"),
        SessionName::Forward => "forward".into(),
    }
}

/// The cache, if on and usable. A cache that cannot be used is a warning, never fatal:
/// the token is minted anyway.
fn open_cache(options: Option<&CacheOptions>) -> Option<(Cache, CacheOptions)> {
    let options = options?;
    let dir = match options
        .dir
        .clone()
        .map(Ok)
        .unwrap_or_else(cache::default_dir)
    {
        Ok(dir) => dir,
        Err(e) => {
            tracing::warn!("unable to use cache: {e}");
            return None;
        }
    };
    match Cache::open(dir, options.storage) {
        Ok(cache) => Some((cache, options.clone())),
        Err(e) => {
            tracing::warn!("unable to use cache: {e}");
            None
        }
    }
}

fn cache_get<T: for<'de> Deserialize<'de>>(
    cache: &Cache,
    key: &Key,
    margin: Duration,
) -> Option<T> {
    match cache.get(key, OffsetDateTime::now_utc(), margin) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("unable to use cache: {e}");
            None
        }
    }
}

fn cache_put<T: Serialize>(cache: &Cache, key: &Key, value: &T, expires: OffsetDateTime) {
    if let Err(e) = cache.put(key, value, expires) {
        tracing::warn!("unable to use cache: {e}");
    }
}

fn cache_lock(cache: &Cache, key: &Key) -> Option<LockGuard> {
    match cache.lock(key) {
        Ok(guard) => Some(guard),
        Err(e) => {
            tracing::warn!("unable to use cache: {e}");
            None
        }
    }
}

/// What [`read_or_lock`] found.
enum Lookup<T> {
    /// A usable entry, read without waiting.
    Hit(T),
    /// A usable entry that another process wrote while this one waited for the lock.
    FilledWhileWaiting(T),
    /// Nothing usable: fetch it, holding the guard (when the lock could be taken) until
    /// the new entry is written.
    Miss(Option<LockGuard>),
}

/// Read the cache, lock, read again: a hit costs no lock; on a miss the per-key lock
/// serialises concurrent processes, and the second read sees what the process that held
/// the lock before us cached. `force_refresh` skips both reads but still takes the lock.
fn read_or_lock<T: for<'de> Deserialize<'de>>(
    cache: &Cache,
    key: &Key,
    margin: Duration,
    force_refresh: bool,
) -> Lookup<T> {
    if !force_refresh && let Some(hit) = cache_get(cache, key, margin) {
        return Lookup::Hit(hit);
    }
    let guard = cache_lock(cache, key);
    if !force_refresh && let Some(hit) = cache_get(cache, key, margin) {
        return Lookup::FilledWhileWaiting(hit);
    }
    Lookup::Miss(guard)
}

/// Mints a token for `options.cluster_id`, using and filling the cache when asked.
pub async fn get_token(options: &TokenOptions) -> Result<Token, ClientError> {
    let aws = AwsContext::load(&options.load).await?;
    let host = sts_host(aws.region(), aws.flavour())?;
    let cache = open_cache(options.cache.as_ref());

    let Some((cache, cache_options)) = cache else {
        let credentials = credentials(&aws, options.role.as_ref(), None).await?;
        return mint(&options.cluster_id, &host, aws.region(), &credentials);
    };

    let fingerprint = aws.source_fingerprint();
    let role = options.role.as_ref();
    let label = Label {
        cluster_id: Some(options.cluster_id.clone()),
        role: role.map(|r| r.role_arn.clone()),
        profile: Some(aws.profile_name().to_string()),
        region: Some(aws.region().to_string()),
    };
    let key = Key::new(
        Kind::Token,
        label,
        &[
            &options.cluster_id,
            role.map(|r| r.role_arn.as_str()).unwrap_or(""),
            role.and_then(|r| r.external_id.as_deref()).unwrap_or(""),
            &role.map(session_spec).unwrap_or_default(),
            aws.profile_name(),
            aws.region(),
            &host,
            &fingerprint,
        ],
    );
    let lookup = read_or_lock::<CachedToken>(
        &cache,
        &key,
        cache_options.margin,
        cache_options.force_refresh,
    );
    // Held until the new entry is written.
    let _guard = match lookup {
        Lookup::Hit(hit) => {
            tracing::debug!("using the cached token");
            return Ok(hit.into_token());
        }
        Lookup::FilledWhileWaiting(hit) => {
            tracing::debug!("using the token another process cached");
            return Ok(hit.into_token());
        }
        Lookup::Miss(guard) => guard,
    };
    let credentials = credentials(&aws, role, Some((&cache, &cache_options, &fingerprint))).await?;
    let token = mint(&options.cluster_id, &host, aws.region(), &credentials)?;
    cache_put(
        &cache,
        &key,
        &CachedToken {
            token: token.token.clone(),
            expiration: token.expiration,
        },
        token.expiration,
    );
    Ok(token)
}

fn mint(
    cluster_id: &str,
    host: &str,
    region: &str,
    credentials: &aws_credential_types::Credentials,
) -> Result<Token, ClientError> {
    generate(&TokenRequest {
        cluster_id,
        host,
        region,
        credentials,
        signing_time: SystemTime::now(),
    })
    .map_err(ClientError::from)
}

/// Base credentials, then the role if asked. With a cache, the expensive parts — an
/// MFA session and an assumed role — are reused until shortly before they expire.
async fn credentials(
    aws: &AwsContext,
    role: Option<&RoleRequest>,
    cache: Option<(&Cache, &CacheOptions, &str)>,
) -> Result<aws_credential_types::Credentials, ClientError> {
    // A token minted from cached credentials must still have a useful life: keep them
    // while more than the token margin is left after the credential margin.
    let reuse_margin = |opts: &CacheOptions| opts.margin + CREDENTIAL_EXPIRY_MARGIN;

    let base = match (aws.mfa_profile(), cache) {
        (Some((role_arn, serial)), Some((cache, opts, fingerprint))) => {
            let key = Key::new(
                Kind::Credentials,
                Label {
                    role: Some(role_arn.to_string()),
                    profile: Some(aws.profile_name().to_string()),
                    region: Some(aws.region().to_string()),
                    ..Label::default()
                },
                &[
                    "mfa-profile",
                    aws.profile_name(),
                    role_arn,
                    serial,
                    aws.region(),
                    fingerprint,
                ],
            );
            cached_or(cache, opts, &key, reuse_margin(opts), || {
                aws.base_credentials()
            })
            .await?
        }
        _ => aws.base_credentials().await?,
    };
    let Some(role) = role else {
        return Ok(base);
    };
    match cache {
        Some((cache, opts, fingerprint)) => {
            let key = Key::new(
                Kind::Credentials,
                Label {
                    role: Some(role.role_arn.clone()),
                    profile: Some(aws.profile_name().to_string()),
                    region: Some(aws.region().to_string()),
                    ..Label::default()
                },
                &[
                    "assume-role",
                    &role.role_arn,
                    role.external_id.as_deref().unwrap_or(""),
                    &session_spec(role),
                    &role
                        .duration
                        .map(|d| d.as_secs().to_string())
                        .unwrap_or_default(),
                    aws.profile_name(),
                    aws.region(),
                    fingerprint,
                    base.access_key_id(),
                ],
            );
            Ok(cached_or(cache, opts, &key, reuse_margin(opts), || {
                aws.assume_role(&base, role)
            })
            .await?)
        }
        None => Ok(aws.assume_role(&base, role).await?),
    }
}

async fn cached_or<F, Fut>(
    cache: &Cache,
    opts: &CacheOptions,
    key: &Key,
    margin: Duration,
    fetch: F,
) -> Result<aws_credential_types::Credentials, CredentialsError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<aws_credential_types::Credentials, CredentialsError>>,
{
    // Held until the new entry is written.
    let _guard = match read_or_lock::<CachedCredentials>(cache, key, margin, opts.force_refresh) {
        Lookup::Hit(hit) => {
            tracing::debug!("using cached session credentials");
            return Ok(hit.into_credentials());
        }
        Lookup::FilledWhileWaiting(hit) => return Ok(hit.into_credentials()),
        Lookup::Miss(guard) => guard,
    };
    let creds = fetch().await?;
    // Static credentials never expire and need no caching.
    if let Some(entry) = CachedCredentials::from(&creds) {
        let expires = entry.expiration;
        cache_put(cache, key, &entry, expires);
    }
    Ok(creds)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::partition::EndpointFlavour;

    #[test]
    fn errors_show_their_source_text_and_keep_it_as_the_source() {
        let generate = ClientError::from(GenerateError::EmptyClusterId);
        assert_eq!(generate.to_string(), "cluster ID not specified");
        assert!(generate.source().unwrap().is::<GenerateError>());

        let endpoint_error = sts_host("", EndpointFlavour::default()).unwrap_err();
        let text = endpoint_error.to_string();
        let endpoint = ClientError::from(endpoint_error);
        assert_eq!(endpoint.to_string(), text);
        assert!(endpoint.source().unwrap().is::<EndpointError>());

        let credentials = ClientError::from(CredentialsError::MfaInput("eof".into()));
        assert_eq!(credentials.to_string(), "could not read the MFA code: eof");
        assert!(credentials.source().unwrap().is::<CredentialsError>());
    }
}
