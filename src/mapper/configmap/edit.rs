//! `add user|role`: adding one entry to `kube-system/aws-auth` ([`with_added`] for the
//! text, [`add_to_aws_auth`] for the read-modify-write against the API server, retried
//! on write conflicts with [`ConflictBackoff`]).
//!
//! Unlike upstream, which re-encodes the whole map, the entry is appended to the existing
//! text so comments and entries this code cannot read are never lost.

use std::collections::BTreeMap;

use super::parse::is_skippable;
use super::{MAP_ROLES, MAP_USERS, NAME, NAMESPACE, encode_map, parse_map};
use crate::mapper::{RoleMapping, UserMapping};

/// One mapping to add to `aws-auth` (`add user` / `add role`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewMapping {
    /// A `mapUsers` entry.
    User(UserMapping),
    /// A `mapRoles` entry (`rolearn` or `sso`).
    Role(RoleMapping),
}

impl NewMapping {
    fn data_key(&self) -> &'static str {
        match self {
            NewMapping::User(_) => MAP_USERS,
            NewMapping::Role(_) => MAP_ROLES,
        }
    }

    /// The entry as `aws-auth` YAML (one list item), as [`encode_map`] writes it.
    fn encoded(&self) -> String {
        let (roles, users) = match self {
            NewMapping::User(u) => (Vec::new(), vec![u.clone()]),
            NewMapping::Role(r) => (vec![r.clone()], Vec::new()),
        };
        encode_map(&roles, &users, &[])
            .remove(self.data_key())
            .unwrap_or_default()
    }
}

/// Why `aws-auth` was not changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The entry itself is invalid.
    Invalid(String),
    /// The ARN (or SSO permission set) is already mapped.
    Duplicate(String),
    /// The current `aws-auth` has entries that cannot be read; rewriting it would lose
    /// them.
    Unreadable(Vec<String>),
    /// Reading or writing the ConfigMap failed.
    Api(String),
}

impl std::fmt::Display for AddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddError::Invalid(e) => write!(f, "invalid mapping: {e}"),
            AddError::Duplicate(e) => f.write_str(e),
            AddError::Unreadable(problems) => write!(
                f,
                "{NAMESPACE}/{NAME} has entries that cannot be read, and adding would drop them: {}; fix them first (kubectl edit configmap {NAME} -n {NAMESPACE})",
                problems.join("; ")
            ),
            AddError::Api(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for AddError {}

/// The new `data` of `aws-auth` with `new` added (upstream's `client.add`).
///
/// Unlike upstream, which re-encodes the whole map from what it could parse (losing
/// comments, other data keys and any entry it could not read), the new entry is appended
/// to the existing text of its key, so everything else is kept byte for byte. If the
/// appended text would not read back as the old entries plus the new one (an unusual
/// indentation, say), that one key is re-encoded instead. Entries that cannot be read
/// make the edit fail rather than silently dropping them.
///
/// Duplicates are refused as upstream does (`cannot add duplicate role ARN "…"`), but
/// compared the way lookups compare them: case-insensitively, SSO patterns included, role
/// ARNs without their path.
///
/// A role ARN with a path is stored as given, so that the ConfigMap says what the
/// operator wrote and reads the same with upstream; the server matches it without the
/// path (upstream #268), and says so in its log.
pub fn with_added(
    data: &BTreeMap<String, String>,
    new: &NewMapping,
) -> Result<BTreeMap<String, String>, AddError> {
    match new {
        NewMapping::User(u) => u.validate(),
        NewMapping::Role(r) => r.validate(),
    }
    .map_err(|e| AddError::Invalid(e.to_string()))?;
    // Upstream only checks that the ARN is non-empty; an ARN that can never match is
    // refused here.
    let arn = match new {
        NewMapping::User(u) => Some(u.userarn.as_str()),
        NewMapping::Role(r) => r.rolearn.as_deref().filter(|a| !a.is_empty()),
    };
    if let Some(arn) = arn {
        crate::arn::canonicalize(arn)
            .map_err(|e| AddError::Invalid(format!("{arn:?} is not a valid IAM ARN: {e}")))?;
    }

    let parsed = parse_map(data);
    if !parsed.warnings.is_empty() {
        return Err(AddError::Unreadable(parsed.warnings));
    }
    match new {
        NewMapping::User(u) => {
            if parsed.users.iter().any(|x| x.key() == u.key()) {
                return Err(AddError::Duplicate(format!(
                    "cannot add duplicate user ARN {:?}",
                    u.userarn
                )));
            }
        }
        NewMapping::Role(r) => {
            // Compared as the server indexes them: a role ARN without its path, so the
            // same role added with and without its path is a duplicate.
            let key = |m: &RoleMapping| crate::mapper::index::role_key(m.key());
            if parsed.roles.iter().any(|x| key(x) == key(r)) {
                let what = match (&r.rolearn, &r.sso) {
                    (Some(arn), _) if !arn.is_empty() => format!("role ARN {arn:?}"),
                    _ => format!("SSO role {:?}", r.key()),
                };
                return Err(AddError::Duplicate(format!("cannot add duplicate {what}")));
            }
        }
    }

    let key = new.data_key();
    let entry = new.encoded();
    let mut out = data.clone();
    let existing = data.get(key).filter(|v| !is_skippable(v));
    let appended = match existing {
        Some(text) if text.ends_with('\n') => format!("{text}{entry}"),
        Some(text) => format!("{text}\n{entry}"),
        None => entry,
    };
    let mut expected = parsed.clone();
    match new {
        NewMapping::User(u) => expected.users.push(u.clone()),
        NewMapping::Role(r) => expected.roles.push(r.clone()),
    }
    out.insert(key.to_string(), appended);
    if parse_map(&out) != expected {
        let encoded = encode_map(&expected.roles, &expected.users, &expected.accounts);
        out.insert(
            key.to_string(),
            encoded.get(key).cloned().unwrap_or_default(),
        );
    }
    Ok(out)
}

/// How long `add` keeps retrying write conflicts on `aws-auth` before giving up.
pub const CONFLICT_RETRY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Adds `new` to `kube-system/aws-auth` through `api`, creating the ConfigMap if it does
/// not exist. A write conflict (someone else changed or created it between our read and
/// our write) is retried as client-go's `retry.RetryOnConflict` is used under contention:
/// re-read, re-apply, with jittered exponential backoff, until
/// [`CONFLICT_RETRY_DEADLINE`] has passed. A fixed small number of attempts is not
/// enough: with dozens of concurrent writers the last one may lose many rounds in a row.
/// Returns the stored ConfigMap.
pub async fn add_to_aws_auth(
    api: &kube::Api<k8s_openapi::api::core::v1::ConfigMap>,
    new: &NewMapping,
) -> Result<k8s_openapi::api::core::v1::ConfigMap, AddError> {
    use k8s_openapi::api::core::v1::ConfigMap;
    let deadline = tokio::time::Instant::now() + CONFLICT_RETRY_DEADLINE;
    let mut backoff = ConflictBackoff::new();
    loop {
        let current = api
            .get_opt(NAME)
            .await
            .map_err(|e| AddError::Api(format!("cannot read {NAMESPACE}/{NAME}: {e}")))?;
        let result = match current {
            Some(mut cm) => {
                let data = with_added(&cm.data.clone().unwrap_or_default(), new)?;
                cm.data = Some(data);
                api.replace(NAME, &kube::api::PostParams::default(), &cm)
                    .await
            }
            None => {
                let data = with_added(&BTreeMap::new(), new)?;
                let cm = ConfigMap {
                    metadata: kube::api::ObjectMeta {
                        name: Some(NAME.to_string()),
                        namespace: Some(NAMESPACE.to_string()),
                        ..Default::default()
                    },
                    data: Some(data),
                    ..Default::default()
                };
                api.create(&kube::api::PostParams::default(), &cm).await
            }
        };
        match result {
            Ok(cm) => return Ok(cm),
            // 409: changed (or created) by someone else since we read it.
            Err(kube::Error::Api(status))
                if status.code == 409 && tokio::time::Instant::now() < deadline =>
            {
                let pause = backoff.next_pause();
                tracing::debug!(
                    attempt = backoff.attempts,
                    ?pause,
                    "{NAMESPACE}/{NAME} changed meanwhile; retrying"
                );
                tokio::time::sleep_until((tokio::time::Instant::now() + pause).min(deadline)).await;
            }
            Err(e) => {
                return Err(AddError::Api(format!(
                    "cannot update {NAMESPACE}/{NAME}: {e}"
                )));
            }
        }
    }
}

/// Jittered exponential backoff for write conflicts: 10 ms doubling to a 1 s cap, each
/// pause drawn uniformly from its upper half ("equal jitter"), so that writers that
/// collided once do not collide again in lock step.
struct ConflictBackoff {
    attempts: u32,
    seed: u64,
}

impl ConflictBackoff {
    const BASE_MS: u64 = 10;
    const CAP_MS: u64 = 1_000;

    fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        // std's RandomState is seeded per process from the OS: enough to spread writers
        // in different processes, without a dependency on a random-number crate.
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        // xorshift never leaves zero; any other seed will do.
        Self {
            attempts: 0,
            seed: seed | 1,
        }
    }

    fn next_pause(&mut self) -> std::time::Duration {
        let ceiling = (Self::BASE_MS << self.attempts.min(16)).min(Self::CAP_MS);
        self.attempts += 1;
        // xorshift64: a cheap, well-spread sequence from the per-process seed.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let half = ceiling / 2;
        std::time::Duration::from_millis(half + self.seed % (half + 1))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::SsoArnMatcher;

    #[test]
    fn conflict_backoff_grows_with_jitter_to_a_cap() {
        let mut backoff = ConflictBackoff::new();
        let pauses: Vec<u64> = (0..12)
            .map(|_| backoff.next_pause().as_millis() as u64)
            .collect();
        for (attempt, pause) in pauses.iter().enumerate() {
            let ceiling = (10u64 << attempt).min(1_000);
            assert!(
                (ceiling / 2..=ceiling).contains(pause),
                "attempt {attempt}: {pause} ms not in [{}, {ceiling}]",
                ceiling / 2
            );
        }
        // Two writers do not walk in lock step (seeded per instance).
        let other: Vec<u64> = {
            let mut b = ConflictBackoff::new();
            (0..12).map(|_| b.next_pause().as_millis() as u64).collect()
        };
        assert_ne!(pauses, other);
    }

    fn user(arn: &str, name: &str) -> NewMapping {
        NewMapping::User(UserMapping {
            userarn: arn.into(),
            username: name.into(),
            groups: vec!["system:masters".into()],
            userid: None,
        })
    }

    #[test]
    fn appends_keeping_everything_else_byte_for_byte() {
        let mut data = BTreeMap::new();
        let roles = "# nodes\n- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:nodes\n";
        data.insert(MAP_ROLES.to_string(), roles.to_string());
        data.insert("other".to_string(), "kept".to_string());
        let out = with_added(&data, &user("arn:aws:iam::111122223333:user/ops", "ops")).unwrap();
        assert_eq!(out[MAP_ROLES], roles);
        assert_eq!(out["other"], "kept");
        assert_eq!(
            out[MAP_USERS],
            "- userarn: arn:aws:iam::111122223333:user/ops\n  username: ops\n  groups:\n  - system:masters\n"
        );
        let again = with_added(&out, &user("arn:aws:iam::111122223333:user/dev", "dev")).unwrap();
        assert!(again[MAP_USERS].starts_with(&out[MAP_USERS]));
        assert_eq!(parse_map(&again).users.len(), 2);
    }

    #[test]
    fn indented_lists_fall_back_to_re_encoding_the_key() {
        let mut data = BTreeMap::new();
        data.insert(
            MAP_USERS.to_string(),
            "    - userarn: arn:aws:iam::111122223333:user/a\n      username: a\n".to_string(),
        );
        let out = with_added(&data, &user("arn:aws:iam::111122223333:user/b", "b")).unwrap();
        let users = parse_map(&out).users;
        assert_eq!(users.len(), 2);
        assert_eq!(
            (users[0].username.as_str(), users[1].username.as_str()),
            ("a", "b")
        );
    }

    #[test]
    fn duplicates_unreadable_entries_and_invalid_input_are_refused() {
        let mut data = BTreeMap::new();
        data.insert(
            MAP_USERS.to_string(),
            "- userarn: arn:aws:iam::111122223333:user/Ops\n  username: ops\n".to_string(),
        );
        let err = with_added(&data, &user("arn:aws:iam::111122223333:user/ops", "x")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add duplicate user ARN \"arn:aws:iam::111122223333:user/ops\""
        );
        assert!(matches!(
            with_added(&data, &user("not-an-arn", "x")),
            Err(AddError::Invalid(_))
        ));
        data.insert(MAP_ROLES.to_string(), "- rolearn: [broken\n".to_string());
        let err = with_added(&data, &user("arn:aws:iam::111122223333:user/new", "x")).unwrap_err();
        assert!(matches!(err, AddError::Unreadable(_)), "{err}");
        assert!(
            err.to_string()
                .contains("kubectl edit configmap aws-auth -n kube-system")
        );
    }

    #[test]
    fn sso_roles_are_added_and_deduplicated() {
        let sso = NewMapping::Role(RoleMapping {
            rolearn: None,
            sso: Some(SsoArnMatcher {
                permission_set_name: "Admin".into(),
                account_id: "111122223333".into(),
                partition: Some("aws-us-gov".into()),
            }),
            username: "admin:{{SessionName}}".into(),
            groups: vec!["system:masters".into()],
            userid: None,
        });
        let out = with_added(&BTreeMap::new(), &sso).unwrap();
        let roles = parse_map(&out).roles;
        assert_eq!(roles.len(), 1);
        assert_eq!(
            roles[0].sso.as_ref().unwrap().partition.as_deref(),
            Some("aws-us-gov")
        );
        let err = with_added(&out, &sso).unwrap_err();
        assert!(
            err.to_string().starts_with("cannot add duplicate SSO role"),
            "{err}"
        );
    }

    fn role(arn: &str) -> NewMapping {
        NewMapping::Role(RoleMapping {
            rolearn: Some(arn.into()),
            username: "admin".into(),
            ..RoleMapping::default()
        })
    }

    #[test]
    fn role_arns_with_paths_are_stored_as_given_and_deduplicated_without_the_path() {
        let with_path = "arn:aws:iam::111122223333:role/teams/platform/Admin";
        let out = with_added(&BTreeMap::new(), &role(with_path)).unwrap();
        assert!(out[MAP_ROLES].contains(with_path), "{}", out[MAP_ROLES]);
        // The same role, without its path or under another one, is already mapped.
        for same in [
            "arn:aws:iam::111122223333:role/Admin",
            "arn:aws:iam::111122223333:role/other/admin",
        ] {
            let err = with_added(&out, &role(same)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("cannot add duplicate role ARN {same:?}")
            );
        }
        // Another role of the same path is not.
        let out = with_added(
            &out,
            &role("arn:aws:iam::111122223333:role/teams/platform/Dev"),
        )
        .unwrap();
        assert_eq!(parse_map(&out).roles.len(), 2);
    }

    #[test]
    fn adding_keeps_entries_written_with_other_types() {
        // `groups: devs` is read as upstream's config decoder reads it: the entry is
        // kept byte for byte and the new one appended.
        let mut data = BTreeMap::new();
        let roles =
            "- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: n\n  groups: devs\n";
        data.insert(MAP_ROLES.to_string(), roles.to_string());
        let out = with_added(&data, &role("arn:aws:iam::111122223333:role/ops")).unwrap();
        assert!(out[MAP_ROLES].starts_with(roles), "{}", out[MAP_ROLES]);
        let parsed = parse_map(&out);
        assert_eq!(parsed.roles.len(), 2);
        assert_eq!(parsed.roles[0].groups, vec!["devs"]);
        assert_eq!(parsed.coercions.len(), 1, "{:?}", parsed.coercions);
    }
}
