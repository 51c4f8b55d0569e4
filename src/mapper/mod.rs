//! Identity mapping: turning a verified AWS identity into a Kubernetes username and groups.
//!
//! This mirrors upstream's `pkg/mapper` (the `Mapper` interface and backend-mode names),
//! `pkg/config` (`RoleMapping`, `UserMapping`, `SSOARNMatcher` and their `Validate`/`Key`
//! methods) and the mapping half of `pkg/server` (`doMapping`, `renderTemplates`).
//!
//! It exists so that the server's request path has one small, testable function,
//! [`MapperChain::map`], that walks the configured backends in order exactly the way
//! upstream does, quirks included:
//!
//! * a backend's `mapAccounts` are consulted right after that backend fails to find an
//!   explicit mapping, so an earlier backend's `mapAccounts` beats a later backend's
//!   explicit mapping;
//! * auto-mapped accounts get the canonical ARN as username, no groups, no templates and
//!   no reserved-prefix check;
//! * reserved-prefix errors keep upstream's doubled "with with".
//!
//! Each backend lives in its own module and only has to implement [`Mapper`]:
//!
//! * [`file`](mod@file): `MountedFile`, the static lists from the server configuration;
//! * [`configmap`]: `EKSConfigMap`, the `kube-system/aws-auth` ConfigMap;
//! * [`crd`]: `CRD`, the `IAMIdentityMapping` custom resources;
//! * [`dynamic_file`]: `DynamicFile`, the JSON file that is reloaded on change.
//!
//! [`ec2`] resolves `{{EC2PrivateDNSName}}` (EC2 `DescribeInstances`). Each backend's
//! watcher (Kubernetes, file notifications) calls that backend's pure parse function and
//! swaps the result in atomically through [`Published`].
//!
//! What the backends share is split one concept per file and re-exported here, so the
//! paths `crate::mapper::RoleMapping`, `crate::mapper::MapperChain`, … stay as they are:
//! `entries` ([`RoleMapping`], [`UserMapping`], [`SsoArnMatcher`], [`IdentityMapping`]),
//! `document` (the tree entries are decoded from), `index` (the lookup index), `mode`
//! ([`BackendMode`]), `template` ([`render`]), `error` ([`MapError`]) and `chain`
//! ([`MapperChain`]). This file keeps the [`Mapper`] trait, [`Published`] and
//! [`BackendObserver`].
//!
//! Mapping entries are decoded the way upstream decodes them: keys are matched
//! case-insensitively (`rolearn`, `roleARN` and `RoLeArN` are the same field, as with Go's
//! `encoding/json` and mapstructure), later duplicates win, and unknown keys are ignored.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod configmap;
pub mod crd;
pub mod dynamic_file;
pub mod ec2;
pub mod file;
pub mod file_watch;

mod chain;
mod document;
mod entries;
mod error;
mod index;
mod mode;
mod template;
#[cfg(test)]
pub(crate) mod test_support;

use std::sync::{Arc, RwLock};

use crate::token::identity::Identity;

pub use chain::{MappedUser, MapperChain};
pub(crate) use document::{Coercions, Node, item_line, list_items, read_string_list, set_string};
pub use entries::{
    IdentityMapping, RoleMapping, SSO_PARTITIONS, SsoArnMatcher, UserMapping, ValidationError,
};
pub use error::{MapError, RenderTarget};
pub(crate) use index::MappingIndex;
pub use mode::{BackendMode, UnknownBackendMode, validate_backend_modes};
pub use template::{EC2_PRIVATE_DNS_NAME, PrivateDnsLookup, TemplateError, render};

/// One mapping backend (upstream's `mapper.Mapper`, without `Start`: watchers are run by
/// their owners and only swap data in).
pub trait Mapper: Send + Sync {
    /// The backend's name as used in error messages (upstream's `Name()`).
    fn name(&self) -> &'static str {
        self.mode().as_str()
    }
    /// The backend mode this mapper implements.
    fn mode(&self) -> BackendMode;
    /// Looks the identity up. [`MapError::NotMapped`] means "try the next backend".
    fn map(&self, identity: &Identity) -> Result<IdentityMapping, MapError>;
    /// Whether `mapAccounts` of this backend lists the account.
    fn is_account_allowed(&self, account_id: &str) -> bool;
    /// Whether the backend has its first data (file parsed, watch listed once), so
    /// `/readyz` does not send traffic to a server that would deny everyone.
    fn is_ready(&self) -> bool {
        true
    }
}

/// Set once a watched backend has its first data; read by [`Mapper::is_ready`].
#[derive(Debug, Default)]
pub struct Synced(std::sync::atomic::AtomicBool);

impl Synced {
    /// Records that the first data arrived (first list done, file read).
    pub fn mark(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether [`mark`](Self::mark) was called.
    pub fn get(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// A value that readers take a cheap snapshot of and a writer replaces whole: each
/// backend's current mappings, the server's current chain. Lookups in flight keep the
/// snapshot they started with, so a reload never blocks or tears a lookup.
#[derive(Debug, Default)]
pub struct Published<T>(RwLock<Arc<T>>);

impl<T> Published<T> {
    /// Publishes `value`.
    pub fn new(value: T) -> Self {
        Published(RwLock::new(Arc::new(value)))
    }

    /// The current value. A writer that panicked cannot have left a torn value (the
    /// `Arc` is swapped whole), so a poisoned lock is read through.
    pub fn load(&self) -> Arc<T> {
        match self.0.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the current value.
    pub fn store(&self, value: Arc<T>) {
        match self.0.write() {
            Ok(mut guard) => *guard = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}

/// What the running backends report (implemented by the server's metrics), so that the
/// watchers stay independent of the metrics registry.
pub trait BackendObserver: Send + Sync {
    /// A Kubernetes watch failed (it is retried with backoff).
    fn watch_failure(&self, mode: BackendMode);
    /// The DynamicFile could not be loaded (the last good mapping stays).
    fn dynamic_file_failure(&self);
    /// A dynamic source was reloaded `latency` after its change was made.
    fn reloaded(&self, kind: &str, latency: std::time::Duration);
}
