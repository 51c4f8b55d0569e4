//! The lookup index the MountedFile, EKSConfigMap and DynamicFile backends keep their
//! entries in: hash maps for exact role and user keys, a short ordered list for SSO
//! patterns, and the `mapAccounts` set.
//!
//! Kept apart from the entries so that every backend indexes and looks up the same way
//! (upstream's lookup order, the exact entry beating an SSO pattern) and reports the
//! entry a duplicate replaced.

use std::collections::{HashMap, HashSet};

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

impl MappingIndex {
    /// Inserts an exact role mapping; returns the source index of the entry it replaced.
    pub(crate) fn insert_role(
        &mut self,
        key: String,
        index: usize,
        mapping: RoleMapping,
    ) -> Option<usize> {
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
