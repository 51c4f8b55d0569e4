//! The backend modes ([`BackendMode`]) in upstream's `--backend-mode` spelling, their
//! deprecated aliases, and upstream's `ValidateBackendMode` over a configured list.
//!
//! One place for the names, so that the configuration, the dynamic backend-mode file and
//! the error messages (`mapper EKSConfigMap Map error: …`) all agree.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use super::error::aggregate_message;
use crate::gofmt::{go_quote, go_quote_list};

/// A mapping backend, in upstream's `--backend-mode` spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendMode {
    /// `MountedFile` (deprecated alias `File`): `server.mapRoles/mapUsers/mapAccounts`.
    MountedFile,
    /// `EKSConfigMap` (deprecated alias `ConfigMap`): the `kube-system/aws-auth` ConfigMap.
    EksConfigMap,
    /// `CRD`: `IAMIdentityMapping` custom resources.
    Crd,
    /// `DynamicFile`: the JSON file at `server.dynamicfilepath`.
    DynamicFile,
}

impl BackendMode {
    /// Every mode, in upstream's order.
    pub const ALL: [BackendMode; 4] = [
        BackendMode::MountedFile,
        BackendMode::EksConfigMap,
        BackendMode::Crd,
        BackendMode::DynamicFile,
    ];

    /// Upstream's name for the mode.
    pub const fn as_str(self) -> &'static str {
        match self {
            BackendMode::MountedFile => "MountedFile",
            BackendMode::EksConfigMap => "EKSConfigMap",
            BackendMode::Crd => "CRD",
            BackendMode::DynamicFile => "DynamicFile",
        }
    }

    /// Parses an upstream mode name (case-sensitive, as upstream). The flag is `true` for
    /// the deprecated aliases `File` and `ConfigMap`, which the caller should warn about.
    pub fn from_name(name: &str) -> Option<(BackendMode, bool)> {
        match name {
            "MountedFile" => Some((BackendMode::MountedFile, false)),
            "EKSConfigMap" => Some((BackendMode::EksConfigMap, false)),
            "CRD" => Some((BackendMode::Crd, false)),
            "DynamicFile" => Some((BackendMode::DynamicFile, false)),
            "File" => Some((BackendMode::MountedFile, true)),
            "ConfigMap" => Some((BackendMode::EksConfigMap, true)),
            _ => None,
        }
    }

    /// Whether upstream enforces `usernamePrefixReserveList` for this backend. The
    /// MountedFile, CRD and DynamicFile mappers read `reservedPrefixConfig`; the
    /// EKSConfigMap mapper always reports an empty list, so aws-auth is never checked.
    pub const fn honours_reserved_prefixes(self) -> bool {
        !matches!(self, BackendMode::EksConfigMap)
    }
}

impl fmt::Display for BackendMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown backend-mode name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownBackendMode(pub String);

impl fmt::Display for UnknownBackendMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "backend-mode {} is not a valid mode", go_quote(&self.0))
    }
}

impl std::error::Error for UnknownBackendMode {}

impl FromStr for BackendMode {
    type Err = UnknownBackendMode;

    /// Accepts the deprecated aliases too; use [`BackendMode::from_name`] to learn
    /// whether an alias was used.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BackendMode::from_name(s)
            .map(|(mode, _)| mode)
            .ok_or_else(|| UnknownBackendMode(s.to_string()))
    }
}

/// Upstream's `ValidateBackendMode`: rejects unknown names, duplicates and an empty list,
/// collecting every problem into one message (Kubernetes' aggregate-error format), and
/// logs a warning for each deprecated alias.
///
/// Duplicates are detected after aliases are resolved, so `File` with `MountedFile` is
/// rejected; upstream compared the raw strings and then built two MountedFile mappers.
pub fn validate_backend_modes(modes: &[String]) -> Result<Vec<BackendMode>, String> {
    let mut errors = Vec::new();
    let mut resolved = Vec::with_capacity(modes.len());
    for mode in modes {
        match BackendMode::from_name(mode) {
            Some((m, _)) => resolved.push(m),
            None => errors.push(UnknownBackendMode(mode.clone()).to_string()),
        }
    }
    for mode in modes {
        if let Some((m, true)) = BackendMode::from_name(mode) {
            tracing::warn!(
                "warning: backend-mode {} is deprecated, use {} instead",
                go_quote(mode),
                go_quote(m.as_str())
            );
        }
    }
    let distinct: HashSet<&str> = modes
        .iter()
        .map(|m| match BackendMode::from_name(m) {
            Some((mode, _)) => mode.as_str(),
            None => m.as_str(),
        })
        .collect();
    if distinct.len() != modes.len() {
        errors.push(format!(
            "backend-mode {} has duplicates",
            go_quote_list(modes)
        ));
    }
    if modes.is_empty() {
        errors.push("at least one backend-mode must be specified".to_string());
    }
    if errors.is_empty() {
        Ok(resolved)
    } else {
        Err(aggregate_message(&errors))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn backend_mode_names_round_trip() {
        for mode in BackendMode::ALL {
            assert_eq!(mode.as_str().parse::<BackendMode>(), Ok(mode));
            assert_eq!(mode.to_string(), mode.as_str());
            assert_eq!(BackendMode::from_name(mode.as_str()), Some((mode, false)));
        }
        assert_eq!(
            BackendMode::from_name("File"),
            Some((BackendMode::MountedFile, true))
        );
        assert_eq!(
            BackendMode::from_name("ConfigMap"),
            Some((BackendMode::EksConfigMap, true))
        );
        assert_eq!("File".parse::<BackendMode>(), Ok(BackendMode::MountedFile));
        assert_eq!(BackendMode::from_name("mountedfile"), None);
        assert_eq!(
            "crd".parse::<BackendMode>().map_err(|e| e.to_string()),
            Err("backend-mode \"crd\" is not a valid mode".to_string())
        );
    }

    #[test]
    fn validate_backend_modes_like_upstream() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            validate_backend_modes(&s(&["MountedFile", "EKSConfigMap", "CRD", "DynamicFile"])),
            Ok(BackendMode::ALL.to_vec())
        );
        assert_eq!(
            validate_backend_modes(&s(&["File", "ConfigMap"])),
            Ok(vec![BackendMode::MountedFile, BackendMode::EksConfigMap])
        );
        assert_eq!(
            validate_backend_modes(&[]),
            Err("at least one backend-mode must be specified".to_string())
        );
        assert_eq!(
            validate_backend_modes(&s(&["Nope"])),
            Err("backend-mode \"Nope\" is not a valid mode".to_string())
        );
        assert_eq!(
            validate_backend_modes(&s(&["MountedFile", "MountedFile"])),
            Err("backend-mode [\"MountedFile\" \"MountedFile\"] has duplicates".to_string())
        );
        assert_eq!(
            validate_backend_modes(&s(&["File", "MountedFile"])),
            Err("backend-mode [\"File\" \"MountedFile\"] has duplicates".to_string())
        );
        assert_eq!(
            validate_backend_modes(&s(&["Nope", "x", "CRD", "CRD"])),
            Err("[backend-mode \"Nope\" is not a valid mode, backend-mode \"x\" is not a valid mode, backend-mode [\"Nope\" \"x\" \"CRD\" \"CRD\"] has duplicates]".to_string())
        );
        assert_eq!(
            validate_backend_modes(&s(&[""])),
            Err("backend-mode \"\" is not a valid mode".to_string())
        );
    }
}
