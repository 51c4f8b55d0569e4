//! The kubectl credential-plugin protocol (`client.authentication.k8s.io`).
//!
//! kubectl describes the call in `KUBERNETES_EXEC_INFO` (the configured apiVersion and
//! whether a terminal is attached) and reads one `ExecCredential` object from stdout.
//! The apiVersion we print must equal the one configured in the kubeconfig, so it is
//! echoed from `KUBERNETES_EXEC_INFO`, as upstream does. Unlike upstream, a request for
//! `v1alpha1` (removed in Kubernetes 1.24) or an unknown version is refused with an
//! explanation instead of being echoed into an answer kubectl would reject anyway.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The environment variable kubectl uses to describe the call.
pub const EXEC_INFO_ENV: &str = "KUBERNETES_EXEC_INFO";
/// ExecCredential `client.authentication.k8s.io/v1` (GA since Kubernetes 1.22).
pub const V1: &str = "client.authentication.k8s.io/v1";
/// ExecCredential `client.authentication.k8s.io/v1beta1`, upstream's default.
pub const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";
/// ExecCredential `client.authentication.k8s.io/v1alpha1`, removed in Kubernetes 1.24.
pub const V1ALPHA1: &str = "client.authentication.k8s.io/v1alpha1";

/// What kubectl told us about this call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecInfo {
    /// The apiVersion to answer in.
    pub api_version: &'static str,
    /// `spec.interactive`, when kubectl sent it.
    pub interactive: Option<bool>,
    /// A warning to log (unparsable input that was tolerated, as upstream tolerates it).
    pub warning: Option<String>,
}

/// `KUBERNETES_EXEC_INFO` asked for something we cannot answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecInfoError {
    /// `client.authentication.k8s.io/v1alpha1`.
    Removed,
    /// Any other version string.
    Unsupported(String),
}

impl fmt::Display for ExecInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecInfoError::Removed => write!(
                f,
                "the kubeconfig asks for ExecCredential {V1ALPHA1}, which Kubernetes 1.24 removed; \
                 set the exec block's apiVersion to {V1BETA1} or {V1}"
            ),
            ExecInfoError::Unsupported(v) => write!(
                f,
                "unsupported ExecCredential apiVersion {v:?} in {EXEC_INFO_ENV}; \
                 set the kubeconfig exec block's apiVersion to {V1BETA1} or {V1}"
            ),
        }
    }
}

impl std::error::Error for ExecInfoError {}

#[derive(Deserialize)]
struct RawExecInfo {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    spec: Option<RawSpec>,
}

#[derive(Deserialize)]
struct RawSpec {
    interactive: Option<bool>,
}

/// The extension name kubectl reads a cluster's exec configuration from.
pub const CLUSTER_EXTENSION: &str = "client.authentication.k8s.io/exec";

/// The cluster's `extensions[client.authentication.k8s.io/exec]`, which kubectl passes as
/// `spec.cluster.config` in `KUBERNETES_EXEC_INFO` when the exec block sets
/// `provideClusterInfo: true`.
///
/// This lets one kubeconfig user (one exec block) serve many clusters: each cluster
/// carries its own `clusterID` (and optionally `region`, `role`, `externalID`,
/// `sessionName`). Keys are the config file's, matched case-insensitively as there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecClusterConfig {
    values: serde_json::Map<String, serde_json::Value>,
}

/// A value in the cluster extension has the wrong type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecClusterConfigError {
    /// The key, as asked for.
    pub key: String,
}

impl fmt::Display for ExecClusterConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the kubeconfig cluster extension {CLUSTER_EXTENSION} has a non-string {:?}; \
             write it as a string, e.g. `{}: \"my-value\"`",
            self.key, self.key
        )
    }
}

impl std::error::Error for ExecClusterConfigError {}

#[derive(Deserialize)]
struct RawClusterInfo {
    spec: Option<RawClusterSpec>,
}

#[derive(Deserialize)]
struct RawClusterSpec {
    cluster: Option<RawCluster>,
}

#[derive(Deserialize)]
struct RawCluster {
    config: Option<serde_json::Value>,
}

impl ExecClusterConfig {
    /// Reads `spec.cluster.config` from `KUBERNETES_EXEC_INFO`.
    pub fn from_env() -> Self {
        Self::parse(std::env::var(EXEC_INFO_ENV).ok().as_deref())
    }

    /// Reads `spec.cluster.config` from a `KUBERNETES_EXEC_INFO` value. Anything absent
    /// or unparsable is an empty configuration: the apiVersion check ([`ExecInfo::parse`])
    /// is what reports a malformed `KUBERNETES_EXEC_INFO`.
    pub fn parse(value: Option<&str>) -> Self {
        let config = value
            .and_then(|v| serde_json::from_str::<RawClusterInfo>(v).ok())
            .and_then(|raw| raw.spec?.cluster?.config);
        match config {
            Some(serde_json::Value::Object(map)) => ExecClusterConfig {
                values: map
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v))
                    .collect(),
            },
            _ => ExecClusterConfig::default(),
        }
    }

    /// Whether kubectl passed any cluster configuration.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// A string value (`clusterID`, `region`, …); empty strings and nulls read as absent.
    pub fn string(&self, key: &str) -> Result<Option<String>, ExecClusterConfigError> {
        match self.values.get(&key.to_ascii_lowercase()) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ExecClusterConfigError { key: key.into() }),
        }
    }
}

impl ExecInfo {
    /// Reads `KUBERNETES_EXEC_INFO` from the environment.
    pub fn from_env() -> Result<Self, ExecInfoError> {
        Self::parse(std::env::var(EXEC_INFO_ENV).ok().as_deref())
    }

    /// Interprets a `KUBERNETES_EXEC_INFO` value (`None` when unset).
    ///
    /// Unset, empty, or unparsable input answers in v1beta1, as upstream does; a JSON
    /// object without `apiVersion` does too (upstream would print an empty apiVersion).
    pub fn parse(value: Option<&str>) -> Result<Self, ExecInfoError> {
        let default = ExecInfo {
            api_version: V1BETA1,
            interactive: None,
            warning: None,
        };
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            return Ok(default);
        };
        let raw: RawExecInfo = match serde_json::from_str(value) {
            Ok(raw) => raw,
            Err(e) => {
                return Ok(ExecInfo {
                    warning: Some(format!(
                        "ignoring unparsable {EXEC_INFO_ENV} ({e}); answering in {V1BETA1}"
                    )),
                    ..default
                });
            }
        };
        let api_version = match raw.api_version.as_deref() {
            None | Some("") => V1BETA1,
            Some(V1) => V1,
            Some(V1BETA1) => V1BETA1,
            Some(V1ALPHA1) => return Err(ExecInfoError::Removed),
            Some(other) => return Err(ExecInfoError::Unsupported(other.to_string())),
        };
        Ok(ExecInfo {
            api_version,
            interactive: raw.spec.and_then(|s| s.interactive),
            warning: None,
        })
    }
}

/// The `ExecCredential` printed on stdout. Field order matches upstream's output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecCredential {
    /// Always `ExecCredential`.
    pub kind: String,
    /// The apiVersion kubectl asked for.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Always empty in answers.
    pub spec: serde_json::Map<String, serde_json::Value>,
    /// The credential.
    pub status: ExecCredentialStatus,
}

/// `status` of an [`ExecCredential`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecCredentialStatus {
    /// RFC 3339, UTC, whole seconds.
    #[serde(rename = "expirationTimestamp")]
    pub expiration_timestamp: String,
    /// The bearer token.
    pub token: String,
}

impl fmt::Debug for ExecCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecCredential")
            .field("api_version", &self.api_version)
            .field("expiration", &self.status.expiration_timestamp)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl ExecCredential {
    /// Wraps a token for kubectl.
    pub fn new(api_version: &str, token: &str, expiration: OffsetDateTime) -> Self {
        ExecCredential {
            kind: "ExecCredential".into(),
            api_version: api_version.into(),
            spec: serde_json::Map::new(),
            status: ExecCredentialStatus {
                expiration_timestamp: format_timestamp(expiration),
                token: token.into(),
            },
        }
    }

    /// Compact JSON, as upstream prints it (no trailing newline).
    pub fn to_json(&self) -> String {
        // Serialising plain strings and maps cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// RFC 3339 in UTC at second precision (`2023-04-28T00:14:00Z`), like `metav1.Time`.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let utc = utc.replace_nanosecond(0).unwrap_or(utc);
    utc.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expiry() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_682_640_840).unwrap()
    }

    #[test]
    fn golden_v1beta1_without_exec_info() {
        let info = ExecInfo::parse(None).unwrap();
        let out = ExecCredential::new(info.api_version, "k8s-aws-v1.abc", expiry()).to_json();
        assert_eq!(
            out,
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},"status":{"expirationTimestamp":"2023-04-28T00:14:00Z","token":"k8s-aws-v1.abc"}}"#
        );
    }

    #[test]
    fn golden_v1_echoed() {
        let info = ExecInfo::parse(Some(
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#,
        ))
        .unwrap();
        assert_eq!(info.interactive, Some(false));
        let out = ExecCredential::new(info.api_version, "k8s-aws-v1.abc", expiry()).to_json();
        assert_eq!(
            out,
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{},"status":{"expirationTimestamp":"2023-04-28T00:14:00Z","token":"k8s-aws-v1.abc"}}"#
        );
    }

    #[test]
    fn golden_v1beta1_echoed() {
        let info = ExecInfo::parse(Some(
            r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":true}}"#,
        ))
        .unwrap();
        assert_eq!(info.api_version, V1BETA1);
        assert_eq!(info.interactive, Some(true));
    }

    #[test]
    fn v1alpha1_is_refused_with_a_fix() {
        let err = ExecInfo::parse(Some(
            r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1","kind":"ExecCredential"}"#,
        ))
        .unwrap_err();
        assert_eq!(err, ExecInfoError::Removed);
        assert!(err.to_string().contains("1.24"));
        assert!(err.to_string().contains(V1BETA1));
    }

    #[test]
    fn unknown_version_is_refused() {
        let err = ExecInfo::parse(Some(r#"{"apiVersion":"client.authentication.k8s.io/v2"}"#))
            .unwrap_err();
        assert!(matches!(err, ExecInfoError::Unsupported(_)));
    }

    #[test]
    fn garbage_falls_back_to_v1beta1_with_a_warning() {
        let info = ExecInfo::parse(Some("{not json")).unwrap();
        assert_eq!(info.api_version, V1BETA1);
        assert!(info.warning.is_some());
        let info = ExecInfo::parse(Some(r#"{"kind":"ExecCredential"}"#)).unwrap();
        assert_eq!(info.api_version, V1BETA1);
    }

    /// What kubectl 1.34 sends with `provideClusterInfo: true`.
    #[test]
    fn cluster_config_is_read_from_spec_cluster_config() {
        let info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://127.0.0.1:6443","certificate-authority-data":"AAAA","config":{"clusterID":"blue","Region":"eu-west-1","role":""}},"interactive":false}}"#;
        let config = ExecClusterConfig::parse(Some(info));
        assert_eq!(config.string("clusterID").unwrap().as_deref(), Some("blue"));
        assert_eq!(config.string("clusterid").unwrap().as_deref(), Some("blue"));
        assert_eq!(
            config.string("region").unwrap().as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(config.string("role").unwrap(), None, "empty is absent");
        assert_eq!(config.string("sessionName").unwrap(), None);
        // The apiVersion is still read from the same value.
        assert_eq!(ExecInfo::parse(Some(info)).unwrap().api_version, V1);
    }

    #[test]
    fn cluster_config_absent_or_malformed_is_empty_and_bad_types_are_named() {
        assert!(ExecClusterConfig::parse(None).is_empty());
        assert!(ExecClusterConfig::parse(Some("{not json")).is_empty());
        assert!(
            ExecClusterConfig::parse(Some(r#"{"spec":{"cluster":{"server":"x"}}}"#)).is_empty()
        );
        assert!(
            ExecClusterConfig::parse(Some(r#"{"spec":{"cluster":{"config":"s"}}}"#)).is_empty()
        );
        let config =
            ExecClusterConfig::parse(Some(r#"{"spec":{"cluster":{"config":{"clusterID":7}}}}"#));
        let err = config.string("clusterID").unwrap_err();
        assert!(err.to_string().contains("\"clusterID\""), "{err}");
        assert!(err.to_string().contains(CLUSTER_EXTENSION), "{err}");
    }

    #[test]
    fn timestamps_are_utc_whole_seconds() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_682_640_840_999_000_000)
            .unwrap()
            .to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(format_timestamp(at), "2023-04-28T00:14:00Z");
    }

    #[test]
    fn debug_redacts_the_token() {
        let c = ExecCredential::new(V1, "k8s-aws-v1.secret", expiry());
        assert!(!format!("{c:?}").contains("secret"));
    }
}
