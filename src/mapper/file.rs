//! The `MountedFile` backend: the `server.mapRoles`, `server.mapUsers` and
//! `server.mapAccounts` lists of the server configuration file.
//!
//! Mirrors upstream's `pkg/mapper/file` (`FileMapper`). The lists are fixed for the
//! process lifetime, so everything is validated and indexed once, at startup, and any
//! invalid entry is a startup error, as upstream.
//!
//! Differences from upstream, both deliberate:
//!
//! * Lookups are hash lookups (upstream ranges over every role for each request), so
//!   mapping cost does not grow with the number of mappings; SSO patterns, which need
//!   `ArnLike`, are kept apart and scanned only when the `SSORoleMatch` gate is on.
//! * Two entries with the same key still resolve to the last one (upstream #102), but
//!   [`FileMapper::new`] reports them as [`DuplicateMapping`]s so the server can warn.

use std::fmt;

use super::{
    BackendMode, IdentityMapping, MapError, Mapper, MappingIndex, RoleMapping, UserMapping,
};
use crate::token::identity::Identity;

/// Which list a duplicate was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MappingKind {
    /// `mapRoles` (a role ARN, or an SSO pattern).
    Role,
    /// `mapUsers`.
    User,
}

impl MappingKind {
    /// The configuration key of the list.
    pub const fn list_name(self) -> &'static str {
        match self {
            MappingKind::Role => "mapRoles",
            MappingKind::User => "mapUsers",
        }
    }
}

/// Two entries of one list that map the same key; the later one (`second_index`) wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateMapping {
    /// The shared lookup key (lowercased canonical ARN, or SSO pattern).
    pub key: String,
    /// Position of the entry that is overridden.
    pub first_index: usize,
    /// Position of the entry that wins.
    pub second_index: usize,
    /// The list both entries are in.
    pub kind: MappingKind,
}

impl fmt::Display for DuplicateMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = self.kind.list_name();
        write!(
            f,
            "{list}[{}] and {list}[{}] both map {}; {list}[{}] wins",
            self.first_index, self.second_index, self.key, self.second_index
        )
    }
}

/// The MountedFile mapper.
#[derive(Clone, Debug)]
pub struct FileMapper {
    index: MappingIndex,
    sso_role_match: bool,
}

impl FileMapper {
    /// Validates and indexes the configured lists.
    ///
    /// * Every entry must pass `validate()`; the error names the list, the entry's
    ///   position and the problem (`mapRoles[2]: One of rolearn or SSO must be supplied`).
    /// * Role ARNs are canonicalised, so an assumed-role ARN in the configuration maps
    ///   its role, and indexed without their path (`role/path/to/Admin` matches the
    ///   assumed role `Admin`; upstream #268); user ARNs are lowercased and then
    ///   canonicalised (upstream's order).
    /// * `sso_role_match` is the `SSORoleMatch` feature gate: without it SSO entries are
    ///   validated and kept but never match.
    ///
    /// Returns the mapper and the duplicate keys found (last one wins, as upstream).
    pub fn new(
        roles: Vec<RoleMapping>,
        users: Vec<UserMapping>,
        accounts: Vec<String>,
        sso_role_match: bool,
    ) -> Result<(FileMapper, Vec<DuplicateMapping>), String> {
        let mut index = MappingIndex::default();
        let mut duplicates = Vec::new();

        for (i, mut role) in roles.into_iter().enumerate() {
            role.validate().map_err(|e| format!("mapRoles[{i}]: {e}"))?;
            let replaced = if let Some(arn) = role.rolearn.as_deref().filter(|a| !a.is_empty()) {
                let canonical =
                    crate::arn::canonicalize(arn).map_err(|e| format!("mapRoles[{i}]: {e}"))?;
                role.rolearn = Some(canonical);
                let key = super::index::role_key(role.key());
                index
                    .insert_role(key.clone(), i, role)
                    .map(|first| (key, first))
            } else {
                let key = role.key();
                index
                    .insert_sso(key.clone(), i, role)
                    .map(|first| (key, first))
            };
            if let Some((key, first_index)) = replaced {
                duplicates.push(DuplicateMapping {
                    key,
                    first_index,
                    second_index: i,
                    kind: MappingKind::Role,
                });
            }
        }

        for (i, user) in users.into_iter().enumerate() {
            user.validate().map_err(|e| format!("mapUsers[{i}]: {e}"))?;
            let key = crate::arn::canonicalize(&user.userarn.to_lowercase())
                .map_err(|e| format!("mapUsers[{i}]: error canonicalizing ARN: {e}"))?;
            if let Some(first_index) = index.insert_user(key.clone(), i, user) {
                duplicates.push(DuplicateMapping {
                    key,
                    first_index,
                    second_index: i,
                    kind: MappingKind::User,
                });
            }
        }

        index.accounts.extend(accounts);
        Ok((
            FileMapper {
                index,
                sso_role_match,
            },
            duplicates,
        ))
    }

    /// Number of distinct role keys (exact ARNs plus SSO patterns).
    pub fn role_count(&self) -> usize {
        self.index.roles.len() + self.index.sso.len()
    }

    /// Number of distinct user keys.
    pub fn user_count(&self) -> usize {
        self.index.users.len()
    }
}

impl Mapper for FileMapper {
    fn mode(&self) -> BackendMode {
        BackendMode::MountedFile
    }

    /// Exact role, then SSO patterns (with the gate on), then users; the returned
    /// `identity_arn` is the lowercased canonical ARN.
    fn map(&self, identity: &Identity) -> Result<IdentityMapping, MapError> {
        let arn = identity.canonical_arn.to_lowercase();
        self.index
            .lookup(&arn, self.sso_role_match)
            .ok_or(MapError::NotMapped)
    }

    fn is_account_allowed(&self, account_id: &str) -> bool {
        self.index.accounts.contains(account_id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::SsoArnMatcher;
    use crate::mapper::test_support::identity;

    #[test]
    fn role_arns_with_paths_match_the_assumed_role() {
        let (m, dups) = FileMapper::new(
            vec![
                role("arn:aws:iam::111122223333:role/path/to/Admin", "admin"),
                role("arn:aws:iam::111122223333:role/Admin", "admin-again"),
            ],
            vec![],
            vec![],
            false,
        )
        .unwrap();
        // The same role with and without its path: a duplicate, reported under the key
        // it is matched by.
        assert_eq!(
            dups.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(),
            vec!["arn:aws:iam::111122223333:role/admin"]
        );
        let got = m
            .map(&identity("arn:aws:iam::111122223333:role/Admin").build())
            .unwrap();
        assert_eq!(got.username, "admin-again");
        // Written as an assumed-role ARN with a path, too.
        let (m, _) = FileMapper::new(
            vec![role(
                "arn:aws:sts::111122223333:assumed-role/path/Ops/session",
                "ops",
            )],
            vec![],
            vec![],
            false,
        )
        .unwrap();
        assert!(
            m.map(&identity("arn:aws:iam::111122223333:role/Ops").build())
                .is_ok()
        );
    }

    fn role(arn: &str, username: &str) -> RoleMapping {
        RoleMapping {
            rolearn: Some(arn.to_string()),
            username: username.to_string(),
            groups: vec!["g".to_string()],
            ..RoleMapping::default()
        }
    }

    fn sso_role(ps: &str, username: &str) -> RoleMapping {
        RoleMapping {
            sso: Some(SsoArnMatcher {
                permission_set_name: ps.to_string(),
                account_id: "012345678912".to_string(),
                partition: None,
            }),
            username: username.to_string(),
            ..RoleMapping::default()
        }
    }

    fn user(arn: &str, username: &str) -> UserMapping {
        UserMapping {
            userarn: arn.to_string(),
            username: username.to_string(),
            groups: vec![],
            userid: None,
        }
    }

    #[test]
    fn maps_roles_case_insensitively() {
        let (m, dups) = FileMapper::new(
            vec![role("arn:aws:iam::123456789012:role/Admin", "admin")],
            vec![],
            vec![],
            false,
        )
        .expect("valid");
        assert!(dups.is_empty());
        let got = m
            .map(&identity("arn:aws:iam::123456789012:role/ADMIN").build())
            .expect("mapped");
        assert_eq!(got.username, "admin");
        assert_eq!(got.groups, vec!["g".to_string()]);
        assert_eq!(got.identity_arn, "arn:aws:iam::123456789012:role/admin");
        assert_eq!(
            m.map(&identity("arn:aws:iam::123456789012:role/Other").build()),
            Err(MapError::NotMapped)
        );
    }

    #[test]
    fn assumed_role_arns_in_config_are_canonicalised() {
        let (m, _) = FileMapper::new(
            vec![role(
                "arn:aws:sts::123456789012:assumed-role/Dev/session",
                "dev",
            )],
            vec![],
            vec![],
            false,
        )
        .expect("valid");
        let got = m
            .map(&identity("arn:aws:iam::123456789012:role/Dev").build())
            .expect("mapped");
        assert_eq!(got.username, "dev");
    }

    #[test]
    fn maps_users_and_roles_first() {
        let (m, _) = FileMapper::new(
            vec![role("arn:aws:iam::123456789012:user/Bob", "as-role")],
            vec![
                user("arn:aws:iam::123456789012:user/Bob", "as-user"),
                user("arn:aws:iam::123456789012:user/Alice", "alice"),
            ],
            vec![],
            false,
        )
        .expect("valid");
        let bob = identity("arn:aws:iam::123456789012:user/Bob").build();
        assert_eq!(m.map(&bob).expect("mapped").username, "as-role");
        let alice = identity("arn:aws:iam::123456789012:user/alice").build();
        assert_eq!(m.map(&alice).expect("mapped").username, "alice");
    }

    #[test]
    fn sso_patterns_match_only_with_the_feature_gate() {
        let arn = "arn:aws:iam::012345678912:role/AWSReservedSSO_ViewOnlyAccess_0123456789abcdef";
        let roles = vec![sso_role("ViewOnlyAccess", "viewer")];
        let (off, _) = FileMapper::new(roles.clone(), vec![], vec![], false).expect("valid");
        assert_eq!(
            off.map(&identity(arn).account("012345678912").build()),
            Err(MapError::NotMapped)
        );
        let (on, _) = FileMapper::new(roles, vec![], vec![], true).expect("valid");
        assert_eq!(
            on.map(&identity(arn).account("012345678912").build())
                .expect("mapped")
                .username,
            "viewer"
        );
        let other = "arn:aws:iam::012345678912:role/AWSReservedSSO_Admin_0123456789abcdef";
        assert_eq!(
            on.map(&identity(other).account("012345678912").build()),
            Err(MapError::NotMapped)
        );
    }

    /// A permission set `Admin` must not hand its groups to the role of the permission
    /// set `Admin_ReadOnly` (upstream's `ArnLike` pattern `AWSReservedSSO_Admin_*` does).
    #[test]
    fn sso_pattern_does_not_match_a_longer_permission_set_name() {
        let (m, _) =
            FileMapper::new(vec![sso_role("Admin", "admin")], vec![], vec![], true).expect("valid");
        let admin = "arn:aws:iam::012345678912:role/AWSReservedSSO_Admin_0123456789abcdef";
        assert_eq!(
            m.map(&identity(admin).account("012345678912").build())
                .expect("mapped")
                .username,
            "admin"
        );
        for arn in [
            "arn:aws:iam::012345678912:role/AWSReservedSSO_Admin_ReadOnly_0123456789abcdef",
            "arn:aws:iam::012345678912:role/AWSReservedSSO_Admin_abc",
        ] {
            assert_eq!(
                m.map(&identity(arn).account("012345678912").build()),
                Err(MapError::NotMapped),
                "{arn}"
            );
        }
    }

    #[test]
    fn sso_patterns_use_their_partition() {
        let mut r = sso_role("Admin", "cn-admin");
        if let Some(s) = r.sso.as_mut() {
            s.partition = Some("aws-cn".to_string());
        }
        let (m, _) = FileMapper::new(vec![r], vec![], vec![], true).expect("valid");
        let cn = "arn:aws-cn:iam::012345678912:role/AWSReservedSSO_Admin_0123456789abcdef";
        assert_eq!(
            m.map(&identity(cn).account("012345678912").build())
                .expect("mapped")
                .username,
            "cn-admin"
        );
        let commercial = "arn:aws:iam::012345678912:role/AWSReservedSSO_Admin_0123456789abcdef";
        assert_eq!(
            m.map(&identity(commercial).account("012345678912").build()),
            Err(MapError::NotMapped)
        );
    }

    #[tokio::test]
    async fn chain_of_real_backends() {
        use crate::mapper::MapperChain;
        use crate::mapper::dynamic_file::DynamicFileMapper;
        use std::collections::HashMap;
        use std::sync::Arc;

        let (file, _) = FileMapper::new(
            vec![role(
                "arn:aws:iam::123456789012:role/Admin",
                "admin:{{SessionName}}",
            )],
            vec![],
            vec![],
            false,
        )
        .expect("valid");
        let dynamic = DynamicFileMapper::new(false);
        dynamic
            .load(br#"{"mapRoles":[{"rolearn":"arn:aws:iam::123456789012:role/Dev","username":"system:dev"}],"mapAccounts":["123456789012"]}"#)
            .expect("valid");
        let mut reserved = HashMap::new();
        reserved.insert(BackendMode::DynamicFile, vec!["system:".to_string()]);
        let chain = MapperChain::new(vec![Arc::new(file), Arc::new(dynamic)], reserved, None);
        let admin = chain
            .map(&identity("arn:aws:iam::123456789012:role/Admin").build())
            .await
            .expect("mapped");
        assert_eq!(admin.username, "admin:s");
        assert_eq!(admin.mapper, BackendMode::MountedFile);
        let err = chain
            .map(&identity("arn:aws:iam::123456789012:role/Dev").build())
            .await
            .unwrap_err();
        assert!(matches!(err, MapError::ReservedPrefix { .. }), "{err}");
        let other = chain
            .map(&identity("arn:aws:iam::123456789012:role/Other").build())
            .await
            .expect("auto-mapped");
        assert_eq!(other.username, "arn:aws:iam::123456789012:role/Other");
        assert_eq!(other.mapper, BackendMode::DynamicFile);
    }

    #[test]
    fn exact_role_wins_over_sso_pattern() {
        let arn = "arn:aws:iam::012345678912:role/AWSReservedSSO_ViewOnlyAccess_0123456789abcdef";
        let (m, _) = FileMapper::new(
            vec![sso_role("ViewOnlyAccess", "pattern"), role(arn, "exact")],
            vec![],
            vec![],
            true,
        )
        .expect("valid");
        assert_eq!(
            m.map(&identity(arn).account("012345678912").build())
                .expect("mapped")
                .username,
            "exact"
        );
    }

    #[test]
    fn invalid_entries_are_startup_errors_naming_the_entry() {
        let err = FileMapper::new(
            vec![role("arn:aws:iam::1:role/A", "a"), RoleMapping::default()],
            vec![],
            vec![],
            false,
        )
        .unwrap_err();
        assert_eq!(err, "mapRoles[1]: One of rolearn or SSO must be supplied");
        let err = FileMapper::new(vec![], vec![user("", "x")], vec![], false).unwrap_err();
        assert_eq!(err, "mapUsers[0]: Value for userarn must be supplied");
        let err =
            FileMapper::new(vec![role("not-an-arn", "a")], vec![], vec![], false).unwrap_err();
        assert!(err.starts_with("mapRoles[0]: "), "{err}");
        let err =
            FileMapper::new(vec![], vec![user("not-an-arn", "a")], vec![], false).unwrap_err();
        assert!(
            err.starts_with("mapUsers[0]: error canonicalizing ARN: "),
            "{err}"
        );
        let mut bad_sso = sso_role("ViewOnlyAccess", "x");
        if let Some(s) = bad_sso.sso.as_mut() {
            s.account_id = "1".to_string();
        }
        let err = FileMapper::new(vec![bad_sso], vec![], vec![], true).unwrap_err();
        assert_eq!(
            err,
            "mapRoles[0]: AccountID '1' is not a valid AWS Account ID"
        );
    }

    #[test]
    fn duplicates_are_reported_and_the_last_one_wins() {
        let (m, dups) = FileMapper::new(
            vec![
                role("arn:aws:iam::123456789012:role/Admin", "first"),
                role("arn:aws:iam::123456789012:role/other", "other"),
                role("arn:aws:iam::123456789012:role/ADMIN", "second"),
                role("arn:aws:sts::123456789012:assumed-role/admin/x", "third"),
                sso_role("P", "sso1"),
                sso_role("p", "sso2"),
            ],
            vec![
                user("arn:aws:iam::123456789012:user/u", "u1"),
                user("arn:aws:iam::123456789012:user/U", "u2"),
            ],
            vec![],
            true,
        )
        .expect("valid");
        assert_eq!(
            dups,
            vec![
                DuplicateMapping {
                    key: "arn:aws:iam::123456789012:role/admin".to_string(),
                    first_index: 0,
                    second_index: 2,
                    kind: MappingKind::Role,
                },
                DuplicateMapping {
                    key: "arn:aws:iam::123456789012:role/admin".to_string(),
                    first_index: 2,
                    second_index: 3,
                    kind: MappingKind::Role,
                },
                DuplicateMapping {
                    key: "arn:aws:iam::012345678912:role/awsreservedsso_p_*".to_string(),
                    first_index: 4,
                    second_index: 5,
                    kind: MappingKind::Role,
                },
                DuplicateMapping {
                    key: "arn:aws:iam::123456789012:user/u".to_string(),
                    first_index: 0,
                    second_index: 1,
                    kind: MappingKind::User,
                },
            ]
        );
        assert_eq!(
            dups[0].to_string(),
            "mapRoles[0] and mapRoles[2] both map arn:aws:iam::123456789012:role/admin; mapRoles[2] wins"
        );
        let admin = identity("arn:aws:iam::123456789012:role/Admin").build();
        assert_eq!(m.map(&admin).expect("mapped").username, "third");
        let sso =
            identity("arn:aws:iam::012345678912:role/AWSReservedSSO_P_0123456789abcdef").build();
        assert_eq!(m.map(&sso).expect("mapped").username, "sso2");
        let u = identity("arn:aws:iam::123456789012:user/u").build();
        assert_eq!(m.map(&u).expect("mapped").username, "u2");
        assert_eq!(m.role_count(), 3);
        assert_eq!(m.user_count(), 1);
    }

    #[test]
    fn accounts_are_exact_strings() {
        let (m, _) = FileMapper::new(vec![], vec![], vec!["012345678912".to_string()], false)
            .expect("valid");
        assert!(m.is_account_allowed("012345678912"));
        assert!(!m.is_account_allowed("12345678912"));
        assert_eq!(m.name(), "MountedFile");
        assert_eq!(m.mode(), BackendMode::MountedFile);
    }

    #[test]
    fn userid_is_carried_through() {
        let mut r = role("arn:aws:iam::1:role/R", "r");
        r.userid = Some("AROA123".to_string());
        let (m, _) = FileMapper::new(vec![r], vec![], vec![], false).expect("valid");
        let got = m
            .map(&identity("arn:aws:iam::1:role/R").build())
            .expect("mapped");
        assert_eq!(got.userid.as_deref(), Some("AROA123"));
    }

    #[test]
    fn lookups_scale_to_many_mappings() {
        let roles: Vec<RoleMapping> = (0..20_000)
            .map(|i| {
                role(
                    &format!("arn:aws:iam::123456789012:role/r{i}"),
                    &format!("u{i}"),
                )
            })
            .collect();
        let (m, dups) = FileMapper::new(roles, vec![], vec![], true).expect("valid");
        assert!(dups.is_empty());
        let id = identity("arn:aws:iam::123456789012:role/r19999").build();
        assert_eq!(m.map(&id).expect("mapped").username, "u19999");
    }
}
