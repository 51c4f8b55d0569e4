//! [`ConfigMapMapper`], the `EKSConfigMap` backend: serves lookups from the last parsed
//! `aws-auth` data, which the watch swaps in whole.
//!
//! Role ARNs are indexed as written (lowercased, not canonicalised), as upstream.

use std::sync::Arc;

use super::{MAP_ROLES, MAP_USERS, ParsedConfigMap};
use crate::mapper::{BackendMode, IdentityMapping, MapError, Mapper, MappingIndex, Published};
use crate::token::identity::Identity;

/// The EKSConfigMap mapper: serves lookups from the last parsed `aws-auth` data, which a
/// watcher replaces atomically with [`update`](Self::update) / [`clear`](Self::clear).
#[derive(Debug)]
pub struct ConfigMapMapper {
    data: Published<MappingIndex>,
    sso_role_match: bool,
    /// The watch has listed `aws-auth` (present or not) once.
    pub synced: crate::mapper::Synced,
}

/// A [`Synced`](crate::mapper::Synced) already marked.
fn ready() -> crate::mapper::Synced {
    let synced = crate::mapper::Synced::default();
    synced.mark();
    synced
}

fn build_index(parsed: ParsedConfigMap) -> MappingIndex {
    let mut index = MappingIndex::default();
    for (i, user) in parsed.users.into_iter().enumerate() {
        if let Err(e) = user.validate() {
            tracing::warn!("{MAP_USERS}[{i}]: {e}; entry ignored");
            continue;
        }
        index.insert_user(user.key(), i, user);
    }
    for (i, role) in parsed.roles.into_iter().enumerate() {
        if let Err(e) = role.validate() {
            tracing::warn!("{MAP_ROLES}[{i}]: {e}; entry ignored");
            continue;
        }
        // Not canonicalised, as upstream: the key is the lowercased ARN as written.
        let key = role.key();
        if role.sso.is_some() {
            index.insert_sso(key, i, role);
        } else {
            index.insert_role(key, i, role);
        }
    }
    index.accounts.extend(parsed.accounts);
    index
}

impl ConfigMapMapper {
    /// An empty mapper (nothing mapped until the first [`update`](Self::update)).
    /// `sso_role_match` is the `SSORoleMatch` feature gate.
    pub fn new(sso_role_match: bool) -> Self {
        ConfigMapMapper {
            data: Published::default(),
            sso_role_match,
            synced: Default::default(),
        }
    }

    /// A mapper serving `parsed`.
    pub fn from_parsed(parsed: ParsedConfigMap, sso_role_match: bool) -> Self {
        ConfigMapMapper {
            data: Published::new(build_index(parsed)),
            sso_role_match,
            synced: ready(),
        }
    }

    /// Replaces all mappings with `parsed` (a ConfigMap `Added`/`Modified` event).
    /// Lookups in flight keep the data they started with.
    pub fn update(&self, parsed: ParsedConfigMap) {
        self.swap(build_index(parsed));
    }

    /// Removes all mappings (the ConfigMap was deleted).
    pub fn clear(&self) {
        self.swap(MappingIndex::default());
    }

    fn swap(&self, index: MappingIndex) {
        self.data.store(Arc::new(index));
    }

    fn snapshot(&self) -> Arc<MappingIndex> {
        self.data.load()
    }
}

impl Mapper for ConfigMapMapper {
    fn mode(&self) -> BackendMode {
        BackendMode::EksConfigMap
    }

    fn is_ready(&self) -> bool {
        self.synced.get()
    }

    /// Exact role, then SSO patterns (with the gate on), then users, matched on the
    /// lowercased canonical ARN.
    fn map(&self, identity: &Identity) -> Result<IdentityMapping, MapError> {
        let arn = identity.canonical_arn.to_lowercase();
        self.snapshot()
            .lookup(&arn, self.sso_role_match)
            .ok_or(MapError::NotMapped)
    }

    fn is_account_allowed(&self, account_id: &str) -> bool {
        self.snapshot().accounts.contains(account_id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::configmap::fixtures::{USERS_YAML, data};
    use crate::mapper::configmap::parse_map;
    use crate::mapper::test_support::identity;
    use crate::mapper::{RoleMapping, UserMapping};

    #[test]
    fn mapper_lookups_follow_upstream() {
        let roles = "- rolearn: arn:aws:iam::555555555555:role/Admin
  username: admin
  groups: [system:masters]
- rolearn: arn:aws:sts::555555555555:assumed-role/Dev/session
  username: never
- sso:
    permissionSetName: ViewOnlyAccess
    accountID: \"555555555555\"
  username: viewer
";
        let users = "- userarn: arn:aws:iam::555555555555:user/Admin\n  username: user-admin\n";
        let parsed = parse_map(&data(&[
            ("mapRoles", roles),
            ("mapUsers", users),
            ("mapAccounts", "- 111111111111\n"),
        ]));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let m = ConfigMapMapper::from_parsed(parsed.clone(), false);
        let admin = m
            .map(&identity("arn:aws:iam::555555555555:role/ADMIN").build())
            .expect("mapped");
        assert_eq!(admin.username, "admin");
        assert_eq!(admin.identity_arn, "arn:aws:iam::555555555555:role/admin");
        // Not canonicalised: the assumed-role entry never matches the role.
        assert_eq!(
            m.map(&identity("arn:aws:iam::555555555555:role/Dev").build()),
            Err(MapError::NotMapped)
        );
        let user = m
            .map(&identity("arn:aws:iam::555555555555:user/admin").build())
            .expect("mapped");
        assert_eq!(user.username, "user-admin");
        // SSO only with the gate on.
        let sso = identity(
            "arn:aws:iam::555555555555:role/AWSReservedSSO_ViewOnlyAccess_0123456789abcdef",
        )
        .build();
        assert_eq!(m.map(&sso), Err(MapError::NotMapped));
        let gated = ConfigMapMapper::from_parsed(parsed, true);
        assert_eq!(gated.map(&sso).expect("mapped").username, "viewer");
        assert!(m.is_account_allowed("111111111111"));
        assert!(!m.is_account_allowed("555555555555"));
        assert_eq!(m.name(), "EKSConfigMap");
    }

    #[test]
    fn mapper_update_and_clear_swap_everything() {
        let m = ConfigMapMapper::new(false);
        let admin = identity("arn:aws:iam::555555555555:user/admin").build();
        assert_eq!(m.map(&admin), Err(MapError::NotMapped));
        m.update(parse_map(&data(&[
            ("mapUsers", USERS_YAML),
            ("mapAccounts", "- 1\n"),
        ])));
        assert_eq!(m.map(&admin).expect("mapped").username, "admin");
        assert!(m.is_account_allowed("1"));
        m.update(parse_map(&data(&[("mapAccounts", "- 2\n")])));
        assert_eq!(m.map(&admin), Err(MapError::NotMapped));
        assert!(!m.is_account_allowed("1"));
        assert!(m.is_account_allowed("2"));
        m.clear();
        assert!(!m.is_account_allowed("2"));
        // Hand-built data is validated too.
        m.update(ParsedConfigMap {
            roles: vec![RoleMapping::default()],
            users: vec![UserMapping::default()],
            ..ParsedConfigMap::default()
        });
        assert_eq!(m.map(&admin), Err(MapError::NotMapped));
    }
}
