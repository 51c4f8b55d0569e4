//! Build information for `aws-iam-authenticator version`.
//!
//! The commit and date come from the environment at build time
//! (`AWS_IAM_AUTHENTICATOR_COMMIT`, `AWS_IAM_AUTHENTICATOR_BUILD_DATE`), which release
//! builds set; a plain `cargo build` reports `unknown`.

use serde::Serialize;

/// The version, commit and build date, serialised with upstream's JSON keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Info {
    /// Semantic version of this build.
    #[serde(rename = "Version")]
    pub version: &'static str,
    /// The git commit it was built from.
    #[serde(rename = "Commit")]
    pub commit: &'static str,
    /// When it was built.
    #[serde(rename = "Date")]
    pub date: &'static str,
}

/// This build's information.
pub const INFO: Info = Info {
    version: env!("CARGO_PKG_VERSION"),
    commit: match option_env!("AWS_IAM_AUTHENTICATOR_COMMIT") {
        Some(c) => c,
        None => "unknown",
    },
    date: match option_env!("AWS_IAM_AUTHENTICATOR_BUILD_DATE") {
        Some(d) => d,
        None => "unknown",
    },
};

impl Info {
    /// `{"Version":"…","Commit":"…","Date":"…"}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// YAML with lowercase keys, as upstream's yaml.v2 output has them.
    pub fn to_yaml(&self) -> String {
        format!(
            "version: {}\ncommit: {}\ndate: {}\n",
            self.version, self.commit, self.date
        )
    }
}
