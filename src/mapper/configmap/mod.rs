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
mod watch;
mod yaml;

pub use edit::{AddError, CONFLICT_RETRY_DEADLINE, NewMapping, add_to_aws_auth, with_added};
pub use mapper::ConfigMapMapper;
pub use parse::{MAP_ACCOUNTS, MAP_ROLES, MAP_USERS, ParsedConfigMap, parse_map};
pub use watch::run_watch;
pub use yaml::encode_map;

/// The namespace of the `aws-auth` ConfigMap.
pub const NAMESPACE: &str = "kube-system";
/// The name of the `aws-auth` ConfigMap.
pub const NAME: &str = "aws-auth";
