//! The `EKSConfigMap` backend: the `kube-system/aws-auth` ConfigMap, one job per file.
//!
//! * `parse`: reading its `data` ([`parse_map`], upstream's `ParseMap`);
//! * `yaml`: writing it in yaml.v2's layout ([`encode_map`], upstream's `EncodeMap`);
//! * `mapper`: [`ConfigMapMapper`], the backend that serves lookups from it;
//! * `watch`: [`run_watch`], which calls [`parse_map`] on each `Added`/`Modified` event
//!   and [`ConfigMapMapper::update`] with the result, and [`ConfigMapMapper::clear`] on
//!   `Deleted`;
//! * `edit`: `add user|role` ([`with_added`], [`add_to_aws_auth`]).
//!
//! Mirrors upstream's `pkg/mapper/configmap` (`ParseMap`, `EncodeMap`, `MapStore`,
//! `ConfigMapMapper`). Parsing is pure so it is tested on upstream's fixtures without a
//! cluster.
//!
//! Upstream's quirks that are kept:
//!
//! * the data keys `mapRoles`, `mapUsers` and `mapAccounts` are case-**sensitive**, but
//!   the keys inside each entry are not (`rolearn`, `roleARN`, `RoLeArN`);
//! * an entry that fails validation is dropped and the others are kept (with a warning);
//! * `mapAccounts` entries may be unquoted numbers and keep their exact text;
//! * role ARNs are **not** canonicalised (unlike MountedFile), so an assumed-role ARN in
//!   `aws-auth` never matches;
//! * stray indentation in a `groups` list folds two items into one group, e.g.
//!   `"system:bootstrappers - system:nodes"` (plain YAML scalar folding).
//!
//! Differences: an entry whose fields have the wrong YAML type (say `groups: x`) is
//! dropped with a warning; upstream's `encoding/json` leaves that field empty and keeps
//! the entry. A value holding several YAML documents is rejected as a whole.

mod edit;
#[cfg(test)]
mod fixtures;
mod mapper;
mod parse;
mod yaml;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{
    BackendMode, IdentityMapping, MapError, Mapper, MappingIndex, Node, Published, RoleMapping,
    UserMapping,
};
use crate::token::identity::Identity;

pub use edit::{AddError, CONFLICT_RETRY_DEADLINE, NewMapping, add_to_aws_auth, with_added};
pub use mapper::ConfigMapMapper;
pub use parse::{MAP_ACCOUNTS, MAP_ROLES, MAP_USERS, ParsedConfigMap, parse_map};
pub use yaml::encode_map;

/// The namespace of the `aws-auth` ConfigMap.
pub const NAMESPACE: &str = "kube-system";
/// The name of the `aws-auth` ConfigMap.
pub const NAME: &str = "aws-auth";

/// Keeps `mapper` in step with `kube-system/aws-auth`; runs until dropped.
///
/// A kube-rs watcher (list, then watch from the list's resourceVersion; a re-list after
/// the watch expires or the connection drops) on exactly that object, through a field
/// selector, as upstream. Failures are counted in `configmap_watch_failures_total` and
/// retried with kube-rs' default exponential backoff (upstream retries every 5 s).
///
/// * Added/modified: parsed; entries that fail validation are dropped with a warning and
///   the rest are used. An update in which a whole key is unreadable (broken YAML) is
///   not applied at all: the last good mapping stays, and the error is logged.
/// * Deleted, or absent from a (re-)list: the mappings are cleared, as upstream.
pub async fn run_watch(
    client: kube::Client,
    mapper: Arc<ConfigMapMapper>,
    observer: Arc<dyn super::BackendObserver>,
) {
    use futures_util::StreamExt;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::runtime::{WatchStreamExt, watcher};

    let api: kube::Api<ConfigMap> = kube::Api::namespaced(client, NAMESPACE);
    let config = watcher::Config::default().fields(&format!("metadata.name={NAME}"));
    let mut stream = std::pin::pin!(watcher(api, config).default_backoff());
    let mut seen_in_list = false;
    let mut has_good = false;
    while let Some(event) = stream.next().await {
        match event {
            Ok(watcher::Event::Init) => seen_in_list = false,
            Ok(watcher::Event::InitApply(cm) | watcher::Event::Apply(cm)) => {
                seen_in_list = true;
                let version = cm.metadata.resource_version.clone().unwrap_or_default();
                let parsed = parse_map(&cm.data.unwrap_or_default());
                if parsed.is_malformed() && has_good {
                    tracing::error!(
                        resource_version = %version,
                        problems = ?parsed.warnings,
                        "{NAMESPACE}/{NAME} is malformed; keeping the last good mapping until it is fixed"
                    );
                    continue;
                }
                for warning in &parsed.warnings {
                    tracing::warn!("{NAMESPACE}/{NAME}: {warning}; entry ignored");
                }
                tracing::info!(
                    resource_version = %version,
                    roles = parsed.roles.len(),
                    users = parsed.users.len(),
                    accounts = parsed.accounts.len(),
                    "loaded {NAMESPACE}/{NAME}"
                );
                mapper.update(parsed);
                has_good = true;
            }
            Ok(watcher::Event::InitDone) => {
                if !seen_in_list {
                    if has_good {
                        tracing::info!("{NAMESPACE}/{NAME} is gone: mappings cleared");
                    } else {
                        tracing::info!("{NAMESPACE}/{NAME} does not exist (yet): nothing mapped");
                    }
                    mapper.clear();
                    has_good = false;
                }
            }
            Ok(watcher::Event::Delete(_)) => {
                tracing::info!("{NAMESPACE}/{NAME} was deleted: mappings cleared");
                mapper.clear();
                has_good = false;
            }
            Err(e) => {
                observer.watch_failure(BackendMode::EksConfigMap);
                tracing::warn!("watching {NAMESPACE}/{NAME} failed: {e}; retrying with backoff");
            }
        }
    }
}
