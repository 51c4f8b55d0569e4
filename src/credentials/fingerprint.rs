//! Where the base credentials come from, as a hash computed without any network call.
//! The token cache ties its entries to it, so a different profile, rotated keys or an
//! `aws sso login`/`logout` never get a stale token.

use super::{AwsContext, non_empty_env};

impl AwsContext {
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
