//! Kubeconfig files: `kubeconfig add` (a new EKS cluster, one command) and
//! `kubeconfig migrate` (exec users that run `aws eks get-token` or upstream's
//! `aws-iam-authenticator`, rewritten to run this binary).
//!
//! * `file.rs` finds, reads and atomically writes the file (and what happens to comments);
//! * `node.rs` is the order-keeping YAML tree;
//! * `describe.rs` is EKS `DescribeCluster`, one SigV4-signed call;
//! * `add.rs` builds the cluster, user and context entries and merges them;
//! * `detect.rs` classifies exec users (also used by `doctor`);
//! * `migrate.rs` rewrites them and renders the diff.

use std::fmt;
use std::path::PathBuf;

pub mod add;
pub mod describe;
pub mod detect;
pub mod file;
pub mod migrate;
pub mod node;

pub use detect::{ExecKind, ExecUser, scan};
pub use file::{Kubeconfig, resolve_path};
pub use node::Node;

/// A kubeconfig that cannot be read, parsed or written.
#[derive(Debug)]
pub enum KubeconfigError {
    /// No home directory for `~/.kube/config`.
    NoHome,
    /// The file exists but cannot be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file (or its directory, or a backup) cannot be written.
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not a kubeconfig kubectl could load.
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// The YAML could not be produced.
    Render(String),
}

impl fmt::Display for KubeconfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KubeconfigError::NoHome => f.write_str(
                "cannot find the home directory for ~/.kube/config; pass --kubeconfig FILE",
            ),
            KubeconfigError::Read { path, source } => {
                write!(f, "cannot read kubeconfig {}: {source}", path.display())
            }
            KubeconfigError::Write { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            KubeconfigError::Invalid { path, line, reason } => {
                write!(f, "invalid kubeconfig {}", path.display())?;
                if let Some(line) = line {
                    write!(f, " line {line}")?;
                }
                write!(f, ": {reason}; fix the file or pass --kubeconfig FILE")
            }
            KubeconfigError::Render(e) => write!(f, "cannot render the kubeconfig: {e}"),
        }
    }
}

impl std::error::Error for KubeconfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KubeconfigError::Read { source, .. } | KubeconfigError::Write { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}
