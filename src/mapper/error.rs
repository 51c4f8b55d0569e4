//! Why an identity could not be mapped ([`MapError`]), with upstream's exact messages,
//! and the Go-compatible formatting those messages are built with (`%q` quoting and
//! Kubernetes' aggregate-error format), so the webhook's log and denial reasons read the
//! same as upstream's.

use std::fmt;

use super::{BackendMode, TemplateError};
use crate::gofmt::go_quote;

/// Which template failed to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenderTarget {
    /// The username template.
    Username,
    /// A group template.
    Group,
}

impl fmt::Display for RenderTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RenderTarget::Username => "username",
            RenderTarget::Group => "group",
        })
    }
}

/// Why an identity could not be mapped. `Display` gives upstream's messages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// No backend has a mapping for the identity (`identity is not mapped`).
    NotMapped,
    /// DynamicFile strict mode: the mapping's ARN is not the identity's ARN.
    ArnMismatch,
    /// The backend cannot answer now (e.g. its data source is not reachable).
    Unavailable {
        /// The backend.
        mode: BackendMode,
        /// What is wrong.
        reason: String,
    },
    /// A backend failed with something other than [`MapError::NotMapped`]
    /// (`mapper X Map error: …`); collected while later backends are tried.
    Backend {
        /// The backend's name.
        mapper: &'static str,
        /// The backend's error.
        source: Box<MapError>,
    },
    /// A template of the found mapping could not be rendered.
    Render {
        /// The backend's name.
        mapper: &'static str,
        /// Username or group.
        target: RenderTarget,
        /// The template text.
        template: String,
        /// Why it failed.
        source: TemplateError,
    },
    /// The rendered username starts with a prefix reserved for that backend.
    ReservedPrefix {
        /// The backend's name.
        mapper: &'static str,
        /// The rendered username.
        username: String,
        /// The backend's reserved prefixes.
        prefixes: Vec<String>,
    },
    /// Several backend errors, in backend order (Kubernetes' aggregate format).
    Aggregate(Vec<MapError>),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::NotMapped => f.write_str("identity is not mapped"),
            MapError::ArnMismatch => f.write_str("ARN does not match User ID"),
            MapError::Unavailable { mode, reason } => {
                write!(f, "{mode} backend is unavailable: {reason}")
            }
            MapError::Backend { mapper, source } => {
                write!(f, "mapper {mapper} Map error: {source}")
            }
            MapError::Render {
                mapper,
                target,
                template,
                source,
            } => write!(
                f,
                "mapper {mapper} renderTemplates error: error rendering {target} template {}: {source}",
                go_quote(template)
            ),
            MapError::ReservedPrefix {
                mapper,
                username,
                prefixes,
            } => write!(
                f,
                "invalid username '{username}' for mapper {mapper}: username must not begin with with the following prefixes: [{}]",
                prefixes.join(" ")
            ),
            MapError::Aggregate(errors) => {
                let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
                f.write_str(&aggregate_message(&messages))
            }
        }
    }
}

impl std::error::Error for MapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MapError::Backend { source, .. } => Some(source.as_ref()),
            MapError::Render { source, .. } => Some(source),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Go-compatible formatting helpers
// ---------------------------------------------------------------------------------------

/// Kubernetes' `utilerrors.NewAggregate(...).Error()`: one message alone, several
/// de-duplicated and wrapped as `[a, b]`.
pub(crate) fn aggregate_message(messages: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for m in messages {
        if !seen.contains(&m.as_str()) {
            seen.push(m);
        }
    }
    match seen.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        many => format!("[{}]", many.join(", ")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_error_message() {
        let cases: Vec<(MapError, &str)> = vec![
            (MapError::NotMapped, "identity is not mapped"),
            (MapError::ArnMismatch, "ARN does not match User ID"),
            (
                MapError::Unavailable {
                    mode: BackendMode::Crd,
                    reason: "r".to_string(),
                },
                "CRD backend is unavailable: r",
            ),
            (
                MapError::Backend {
                    mapper: "CRD",
                    source: Box::new(MapError::ArnMismatch),
                },
                "mapper CRD Map error: ARN does not match User ID",
            ),
            (
                MapError::Render {
                    mapper: "MountedFile",
                    target: RenderTarget::Group,
                    template: "a\"b".to_string(),
                    source: TemplateError::Ec2Lookup("boom".to_string()),
                },
                "mapper MountedFile renderTemplates error: error rendering group template \"a\\\"b\": boom",
            ),
            (
                MapError::ReservedPrefix {
                    mapper: "MountedFile",
                    username: "eks:x".to_string(),
                    prefixes: vec!["eks:".to_string()],
                },
                "invalid username 'eks:x' for mapper MountedFile: username must not begin with with the following prefixes: [eks:]",
            ),
            (
                MapError::Aggregate(vec![MapError::NotMapped, MapError::NotMapped]),
                "identity is not mapped",
            ),
            (MapError::Aggregate(vec![]), ""),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
        let e = MapError::Backend {
            mapper: "CRD",
            source: Box::new(MapError::ArnMismatch),
        };
        assert!(std::error::Error::source(&e).is_some());
    }
}
