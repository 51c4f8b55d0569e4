//! Build information for `aws-iam-authenticator version`.
//!
//! The commit and date are stamped by `build.rs` (`AWS_IAM_AUTHENTICATOR_COMMIT`,
//! `AWS_IAM_AUTHENTICATOR_BUILD_DATE`): from a git checkout HEAD's commit (`-dirty` when
//! the binary's sources differ from it) and its committer date, from a crates.io tarball
//! the packaged commit marked `(source tarball)`. docs/release.md has the rules.

use serde::Serialize;

/// The version, commit and build date, serialised with upstream's JSON keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Info {
    /// Semantic version of this build.
    #[serde(rename = "Version")]
    pub version: &'static str,
    /// The git commit it was built from (see the module docs for the non-checkout forms).
    #[serde(rename = "Commit")]
    pub commit: &'static str,
    /// The commit's date (or `SOURCE_DATE_EPOCH`), UTC RFC 3339: reproducible, unlike a
    /// wall-clock build time.
    #[serde(rename = "Date")]
    pub date: &'static str,
}

/// This build's information.
pub const INFO: Info = Info {
    version: env!("CARGO_PKG_VERSION"),
    commit: env!("AWS_IAM_AUTHENTICATOR_COMMIT"),
    date: env!("AWS_IAM_AUTHENTICATOR_BUILD_DATE"),
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
