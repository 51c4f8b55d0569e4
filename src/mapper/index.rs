//! The lookup index the MountedFile, EKSConfigMap and DynamicFile backends keep their
//! entries in: hash maps for exact role and user keys, a short ordered list for SSO
//! patterns, and the `mapAccounts` set.
//!
//! Kept apart from the entries so that every backend indexes and looks up the same way
//! (upstream's lookup order, the exact entry beating an SSO pattern) and reports the
//! entry a duplicate replaced.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use super::{IdentityMapping, RoleMapping, SsoArnMatcher, UserMapping};

/// A mapping stored in a [`MappingIndex`], with the position it had in its source list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Indexed<T> {
    pub(crate) index: usize,
    pub(crate) mapping: T,
}

/// Hash indexes over one backend's mappings: exact role and user lookups are O(1) in the
/// number of mappings; SSO patterns (few in practice) are scanned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MappingIndex {
    pub(crate) roles: HashMap<String, Indexed<RoleMapping>>,
    /// `(pattern, mapping)` in insertion order; a repeated pattern replaces in place.
    pub(crate) sso: Vec<(String, Indexed<RoleMapping>)>,
    /// Position in `sso` of each pattern.
    sso_positions: HashMap<String, usize>,
    pub(crate) users: HashMap<String, Indexed<UserMapping>>,
    pub(crate) accounts: HashSet<String>,
}

/// How many role ARNs with a path [`role_key`] remembers having logged; past it, the
/// normalisation is still made but no longer logged (a bound on memory, not expected).
const LOGGED_PATHS_CAP: usize = 10_000;

/// The key a role mapping with the (lowercased) ARN key `key` is indexed under: the ARN
/// without its path (see [`crate::arn::drop_role_path`]), so that `role/path/to/Admin`
/// matches the assumed role `assumed-role/Admin/session`. A deliberate difference from
/// upstream (#268), made for every backend here. Other keys (SSO patterns, user IDs in
/// DynamicFile strict mode) come back unchanged.
///
/// Each ARN whose path is dropped is logged once per process, not on every reload.
pub(crate) fn role_key(key: String) -> String {
    static LOGGED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let Some(short) = crate::arn::drop_role_path(&key) else {
        return key;
    };
    let mut logged = LOGGED.lock().unwrap_or_else(PoisonError::into_inner);
    let logged = logged.get_or_insert_with(HashSet::new);
    if logged.len() < LOGGED_PATHS_CAP && logged.insert(key.clone()) {
        tracing::info!(
            configured = %key,
            indexed = %short,
            "role ARN {key} has a path: it matches the role {short}, since STS names assumed roles without their path and role names are unique in an account (upstream #268: upstream never matches it)"
        );
    }
    short
}

impl MappingIndex {
    /// Inserts an exact role mapping under [`role_key`]`(key)`; returns the source index
    /// of the entry it replaced.
    pub(crate) fn insert_role(
        &mut self,
        key: String,
        index: usize,
        mapping: RoleMapping,
    ) -> Option<usize> {
        let key = role_key(key);
        self.roles
            .insert(key, Indexed { index, mapping })
            .map(|old| old.index)
    }

    /// Inserts an SSO mapping; returns the source index of the entry it replaced.
    pub(crate) fn insert_sso(
        &mut self,
        pattern: String,
        index: usize,
        mapping: RoleMapping,
    ) -> Option<usize> {
        let new = Indexed { index, mapping };
        if let Some(slot) = self
            .sso_positions
            .get(&pattern)
            .and_then(|&pos| self.sso.get_mut(pos))
        {
            let old = std::mem::replace(&mut slot.1, new);
            return Some(old.index);
        }
        self.sso_positions.insert(pattern.clone(), self.sso.len());
        self.sso.push((pattern, new));
        None
    }

    /// Inserts a user mapping; returns the source index of the entry it replaced.
    pub(crate) fn insert_user(
        &mut self,
        key: String,
        index: usize,
        mapping: UserMapping,
    ) -> Option<usize> {
        self.users
            .insert(key, Indexed { index, mapping })
            .map(|old| old.index)
    }

    /// Upstream's lookup order for MountedFile and EKSConfigMap: exact role, then SSO
    /// patterns (only when `sso_role_match`), then users. `lower_arn` is the identity's
    /// lowercased canonical ARN.
    ///
    /// Upstream keeps exact roles and SSO patterns in one Go map and ranges over it, so
    /// when an ARN matches both an exact entry and a pattern the winner is random; here
    /// the exact entry always wins.
    pub(crate) fn lookup(&self, lower_arn: &str, sso_role_match: bool) -> Option<IdentityMapping> {
        if let Some(role) = self.roles.get(lower_arn) {
            return Some(role.mapping.to_identity_mapping(lower_arn.to_string()));
        }
        if sso_role_match {
            for (pattern, role) in &self.sso {
                if SsoArnMatcher::pattern_matches(pattern, lower_arn) {
                    return Some(role.mapping.to_identity_mapping(lower_arn.to_string()));
                }
            }
        }
        self.users
            .get(lower_arn)
            .map(|user| user.mapping.to_identity_mapping(lower_arn.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_indexed_without_their_path() {
        let mut index = MappingIndex::default();
        let role = RoleMapping {
            rolearn: Some("arn:aws:iam::111122223333:role/path/to/Admin".to_string()),
            username: "admin".to_string(),
            ..RoleMapping::default()
        };
        assert_eq!(index.insert_role(role.key(), 0, role.clone()), None);
        let found = index
            .lookup("arn:aws:iam::111122223333:role/admin", false)
            .expect("matched without the path");
        assert_eq!(found.username, "admin");
        // The same role written without its path (or with another one) is a duplicate.
        assert_eq!(
            index.insert_role(
                "arn:aws:iam::111122223333:role/admin".to_string(),
                1,
                role.clone()
            ),
            Some(0)
        );
        assert_eq!(
            index.insert_role(
                "arn:aws:iam::111122223333:role/other/admin".to_string(),
                2,
                role
            ),
            Some(1)
        );
        assert_eq!(index.roles.len(), 1);
        // User ARNs keep their path: STS reports users with it.
        assert_eq!(
            role_key("arn:aws:iam::1:user/path/bob".to_string()),
            "arn:aws:iam::1:user/path/bob"
        );
        assert_eq!(role_key("AROAEXAMPLE".to_string()), "AROAEXAMPLE");
    }
}
