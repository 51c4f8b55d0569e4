//! Parsing the `data` of the `aws-auth` ConfigMap (upstream's `ParseMap`): the three
//! data keys, tolerant YAML reading, and the entries that survive validation.
//!
//! Pure, so it is tested on upstream's fixtures without a cluster; the watch and `add`
//! both go through [`parse_map`].

use std::collections::BTreeMap;

use super::{NAME, NAMESPACE};
use crate::mapper::document::{self, Coercions};
use crate::mapper::{Node, RoleMapping, UserMapping};

/// The ConfigMap data key holding role mappings.
pub const MAP_ROLES: &str = "mapRoles";
/// The ConfigMap data key holding user mappings.
pub const MAP_USERS: &str = "mapUsers";
/// The ConfigMap data key holding auto-mapped account IDs.
pub const MAP_ACCOUNTS: &str = "mapAccounts";

/// What [`parse_map`] made of an `aws-auth` ConfigMap: the valid entries, in order, and
/// one warning per problem (bad YAML, wrong types, failed validation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedConfigMap {
    /// Valid role mappings, in document order.
    pub roles: Vec<RoleMapping>,
    /// Valid user mappings, in document order.
    pub users: Vec<UserMapping>,
    /// Auto-mapped account IDs, in document order.
    pub accounts: Vec<String>,
    /// Problems found; each names the data key and, for entries, the position.
    pub warnings: Vec<String>,
    /// Values of another type that were converted the way upstream's config-file
    /// decoder converts them (`groups: devs` read as `[devs]`), each naming the data key,
    /// the entry, the field and the line in that key's text. Upstream's `encoding/json`
    /// would drop such an entry; here it is kept and this note logged.
    pub coercions: Vec<String>,
}

impl ParsedConfigMap {
    /// Whether a whole data key could not be read (broken YAML, or not a list), as
    /// opposed to single entries being dropped. Such an update is not applied: the last
    /// good mapping stays.
    pub fn is_malformed(&self) -> bool {
        self.warnings.iter().any(|w| {
            [MAP_ROLES, MAP_USERS, MAP_ACCOUNTS]
                .iter()
                .any(|k| w.strip_prefix(k).is_some_and(|rest| rest.starts_with(": ")))
        })
    }
}

/// Upstream's `isSkippable`: values that mean "nothing here".
pub(super) fn is_skippable(value: &str) -> bool {
    matches!(value.trim(), "" | "``" | "\"\"" | "''")
}

fn yaml_options() -> serde_saphyr::Options {
    // Upstream's YAML-to-JSON step (yaml.v2, non-strict) lets a repeated key win.
    // The node budget guards against YAML bombs; the default (250 000) is below what a
    // large but legitimate aws-auth can hold, so allow 2 million (aliases stay bounded).
    // Only YAML 1.2's `true`/`false` are booleans: every entry field is a string, so
    // `username: n` or `groups: [on]` mean the text (YAML 1.1 would make them
    // booleans, which upstream then refuses and we would read as "0"/"1").
    serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
        budget: serde_saphyr::budget! {
            max_nodes: 2_000_000,
            max_events: 8_000_000,
        },
    }
}

fn parse_yaml_list(
    key: &str,
    value: &str,
    warnings: &mut Vec<String>,
    coercions: &mut Vec<String>,
) -> Vec<Node> {
    match serde_saphyr::from_str_with_options::<Node>(value, yaml_options()) {
        Ok(Node::Seq(items)) => items,
        Ok(Node::Null) => Vec::new(),
        // A lone entry written without `- `: one entry, as upstream's config-file
        // decoder reads it (mapping lists only: a mapping is never an account).
        Ok(node @ Node::Map(_)) if key != MAP_ACCOUNTS => {
            let mut notes = Coercions::new();
            let items = document::list_items(&node, key, &mut notes);
            coercions.extend(notes.iter().map(|c| format!("{c} (line 1)")));
            items
        }
        Ok(other) => {
            warnings.push(format!(
                "{key}: cannot unmarshal {} into a list of mappings",
                other.kind()
            ));
            Vec::new()
        }
        Err(e) => {
            warnings.push(format!("{key}: invalid YAML: {e}"));
            Vec::new()
        }
    }
}

fn parse_accounts(
    value: &str,
    warnings: &mut Vec<String>,
    coercions: &mut Vec<String>,
) -> Vec<String> {
    // yaml.v2 decodes any scalar into a Go string as its source text, so unquoted
    // `- 012345678912` keeps its leading zero. serde-saphyr does the same for `String`
    // targets; nulls (`- ~`) become empty strings in Go and are dropped here.
    if let Ok(items) =
        serde_saphyr::from_str_with_options::<Option<Vec<Option<String>>>>(value, yaml_options())
    {
        return items.unwrap_or_default().into_iter().flatten().collect();
    }
    // A single account (or a comma-separated string) where the list belongs: read as
    // upstream's config-file decoder reads `server.mapAccounts`.
    if let Ok(Some(single)) =
        serde_saphyr::from_str_with_options::<Option<String>>(value, yaml_options())
    {
        let accounts: Vec<String> = single
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        coercions.push(format!(
            "{MAP_ACCOUNTS}: read the single value {single:?} as the list {accounts:?} (line 1)"
        ));
        return accounts;
    }
    // Something in the list is not a scalar (or the YAML is broken): keep what can be kept.
    let mut accounts = Vec::new();
    for (i, item) in parse_yaml_list(MAP_ACCOUNTS, value, warnings, coercions)
        .into_iter()
        .enumerate()
    {
        match item {
            Node::Str(s) | Node::Number(s) => accounts.push(s),
            Node::Bool(b) => accounts.push(b.to_string()),
            Node::Null => {}
            other => warnings.push(format!(
                "{MAP_ACCOUNTS}[{i}]: cannot unmarshal {} into string",
                other.kind()
            )),
        }
    }
    accounts
}

/// Decodes the entries of one data key, keeping the valid ones and noting the rest.
fn parse_entries<T>(
    key: &str,
    value: &str,
    out: &mut ParsedConfigMap,
    decode: impl Fn(&Node, &mut Coercions) -> Result<T, String>,
    validate: impl Fn(&T) -> Result<(), String>,
) -> Vec<T> {
    let mut kept = Vec::new();
    for (i, node) in parse_yaml_list(key, value, &mut out.warnings, &mut out.coercions)
        .iter()
        .enumerate()
    {
        let mut notes = Coercions::new();
        match decode(node, &mut notes).and_then(|entry| validate(&entry).map(|()| entry)) {
            Ok(entry) => {
                out.coercions.extend(notes.iter().map(|c| {
                    let line = document::item_line(value, None, i, Some(&c.field))
                        .map(|n| format!(" (line {n})"))
                        .unwrap_or_default();
                    format!("{key}[{i}].{c}{line}")
                }));
                kept.push(entry);
            }
            Err(e) => out.warnings.push(format!("{key}[{i}]: {e}")),
        }
    }
    kept
}

/// Parses the `data` of the `aws-auth` ConfigMap (upstream's `ParseMap`).
///
/// Never fails: problems become [`ParsedConfigMap::warnings`] and the good entries are
/// kept, like upstream's "Only saving data that was good". A ConfigMap whose `mapRoles`
/// is a YAML list rather than a `|` string (the "missing bar" mistake) cannot reach this
/// function: the API server refuses to create it, since ConfigMap data values are strings.
pub fn parse_map(data: &BTreeMap<String, String>) -> ParsedConfigMap {
    let mut out = ParsedConfigMap::default();

    if let Some(value) = data.get(MAP_USERS).filter(|v| !is_skippable(v)) {
        out.users = parse_entries(MAP_USERS, value, &mut out, UserMapping::from_node, |u| {
            u.validate().map_err(|e| e.to_string())
        });
    }

    if let Some(value) = data.get(MAP_ROLES).filter(|v| !is_skippable(v)) {
        out.roles = parse_entries(MAP_ROLES, value, &mut out, RoleMapping::from_node, |r| {
            r.validate().map_err(|e| e.to_string())
        });
    }

    if let Some(value) = data.get(MAP_ACCOUNTS).filter(|v| !is_skippable(v)) {
        out.accounts = parse_accounts(value, &mut out.warnings, &mut out.coercions);
    }

    for coercion in &out.coercions {
        tracing::warn!(
            "{NAMESPACE}/{NAME}: {coercion}: a value of another type, converted as upstream's config-file decoder converts it (upstream would drop this entry)"
        );
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::configmap::fixtures::{ACCOUNTS_YAML, ROLES_YAML, USERS_YAML, data};

    const NODE_ROLE: &str =
        "arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6";
    const ADMIN_USER: &str = "arn:aws:iam::555555555555:user/admin";

    fn valid_roles() -> Vec<RoleMapping> {
        vec![RoleMapping {
            rolearn: Some(NODE_ROLE.to_string()),
            username: "system:node:{{EC2PrivateDNSName}}".to_string(),
            groups: vec![
                "system:bootstrappers".to_string(),
                "system:nodes".to_string(),
            ],
            ..RoleMapping::default()
        }]
    }

    fn valid_users() -> Vec<UserMapping> {
        vec![UserMapping {
            userarn: ADMIN_USER.to_string(),
            username: "admin".to_string(),
            groups: vec!["system:masters".to_string()],
            userid: None,
        }]
    }

    #[test]
    fn aws_auth_fixture() {
        let parsed = parse_map(&data(&[
            ("mapRoles", ROLES_YAML),
            ("mapUsers", USERS_YAML),
            ("mapAccounts", ACCOUNTS_YAML),
        ]));
        assert_eq!(
            parsed,
            ParsedConfigMap {
                roles: valid_roles(),
                users: valid_users(),
                accounts: vec!["555555555555".to_string()],
                warnings: vec![],
                coercions: vec![],
            }
        );
    }

    #[test]
    fn crazy_case_entry_keys_fixture() {
        let roles = "- rOlEaRn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6
  UsErNaMe: system:node:{{EC2PrivateDNSName}}
  gRoUpS:
    - system:bootstrappers
    - system:nodes
";
        let users = "- uSeRaRn: arn:aws:iam::555555555555:user/admin
  UsErNaMe: admin
  gRoUpS:
    - system:masters
";
        let parsed = parse_map(&data(&[
            ("mapRoles", roles),
            ("mapUsers", users),
            ("mapAccounts", ACCOUNTS_YAML),
        ]));
        assert_eq!(parsed.roles, valid_roles());
        assert_eq!(parsed.users, valid_users());
        assert_eq!(parsed.accounts, vec!["555555555555".to_string()]);
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn open_source_case_entry_keys_fixture() {
        let roles = ROLES_YAML.replace("rolearn", "roleARN");
        let users = USERS_YAML.replace("userarn", "userARN");
        let parsed = parse_map(&data(&[
            ("mapRoles", &roles),
            ("mapUsers", &users),
            ("mapAccounts", ACCOUNTS_YAML),
        ]));
        assert_eq!(parsed.roles, valid_roles());
        assert_eq!(parsed.users, valid_users());
    }

    #[test]
    fn top_level_keys_are_case_sensitive() {
        for (r, u, a) in [
            ("maproles", "mapusers", "mapaccounts"),
            ("MaPrOlEs", "MaPuSeRs", "MaPaCcOuNtS"),
        ] {
            let parsed = parse_map(&data(&[
                (r, ROLES_YAML),
                (u, USERS_YAML),
                (a, ACCOUNTS_YAML),
            ]));
            assert_eq!(parsed, ParsedConfigMap::default(), "{r}");
        }
    }

    #[test]
    fn stray_indentation_folds_two_groups_into_one() {
        // aws-auth-space-out-of-place.yaml: one extra space before "- system:nodes".
        let roles = "- rolearn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
     - system:nodes
";
        let parsed = parse_map(&data(&[("mapRoles", roles), ("mapUsers", USERS_YAML)]));
        assert_eq!(
            parsed.roles.first().map(|r| r.groups.clone()),
            Some(vec!["system:bootstrappers - system:nodes".to_string()])
        );
        assert_eq!(parsed.users, valid_users());
    }

    #[test]
    fn quoted_and_unquoted_accounts_keep_their_text() {
        let parsed = parse_map(&data(&[(
            "mapAccounts",
            "- 555555555555\n- \"012345678912\"\n- 012345678912\n- '111122223333'\n",
        )]));
        assert_eq!(
            parsed.accounts,
            vec![
                "555555555555",
                "012345678912",
                "012345678912",
                "111122223333"
            ]
        );
        assert!(parsed.warnings.is_empty());
        // Flow style and nulls.
        let parsed = parse_map(&data(&[("mapAccounts", "[123456789012, ~, \"2\"]")]));
        assert_eq!(parsed.accounts, vec!["123456789012", "2"]);
    }

    #[test]
    fn account_lists_with_non_scalars_keep_the_scalars() {
        let parsed = parse_map(&data(&[(
            "mapAccounts",
            "- 123456789012\n- [1]\n- \"2\"\n",
        )]));
        assert_eq!(parsed.accounts, vec!["123456789012", "2"]);
        assert_eq!(
            parsed.warnings,
            vec!["mapAccounts[1]: cannot unmarshal array into string"]
        );
    }

    #[test]
    fn skippable_values_are_ignored() {
        for v in ["", "   ", "``", "\"\"", "''", " \n\"\" \n"] {
            let parsed = parse_map(&data(&[
                ("mapRoles", v),
                ("mapUsers", v),
                ("mapAccounts", v),
            ]));
            assert_eq!(parsed, ParsedConfigMap::default(), "{v:?}");
        }
        // A comment-only value is YAML null: nothing, and no warning.
        let parsed = parse_map(&data(&[("mapRoles", "# nothing yet\n")]));
        assert_eq!(parsed, ParsedConfigMap::default());
    }

    #[test]
    fn invalid_entries_are_dropped_and_the_rest_kept() {
        let roles = "- username: no-arn
- rolearn: arn:aws:iam::1:role/ok
  username: ok
- rolearn: arn:aws:iam::1:role/both
  sso:
    permissionSetName: P
    accountID: \"123456789012\"
  username: both
- sso:
    permissionSetName: P
    accountID: 123456789012
  username: unquoted-account
- rolearn: arn:aws:iam::1:role/badgroups
  groups: system:masters
- just a string
";
        let users = "- username: nobody\n- userarn: arn:aws:iam::1:user/u\n  username: u\n";
        let parsed = parse_map(&data(&[("mapRoles", roles), ("mapUsers", users)]));
        // An unquoted account ID and a single group are read as upstream's config-file
        // decoder reads them (upstream's `encoding/json` would drop both entries).
        assert_eq!(
            parsed
                .roles
                .iter()
                .map(|r| r.username.as_str())
                .collect::<Vec<_>>(),
            vec!["ok", "unquoted-account", ""]
        );
        assert_eq!(
            parsed.roles.get(2).map(|r| r.groups.clone()),
            Some(vec!["system:masters".to_string()])
        );
        assert_eq!(parsed.users.len(), 1);
        assert_eq!(
            parsed.warnings,
            vec![
                "mapUsers[0]: Value for userarn must be supplied",
                "mapRoles[0]: One of rolearn or SSO must be supplied",
                "mapRoles[2]: Only one of rolearn or SSO can be supplied",
                "mapRoles[5]: cannot unmarshal string into RoleMapping",
            ]
        );
        assert_eq!(
            parsed.coercions,
            vec![
                "mapRoles[3].sso.accountID: read the number 123456789012 as the string \"123456789012\" (line 11)",
                "mapRoles[4].groups: read the string \"system:masters\" as the list [\"system:masters\"] (line 14)",
            ]
        );
    }

    #[test]
    fn broken_yaml_is_a_warning_and_other_keys_still_load() {
        let parsed = parse_map(&data(&[
            ("mapRoles", "- rolearn: [unclosed\n"),
            ("mapUsers", USERS_YAML),
            ("mapAccounts", "a: b\n"),
        ]));
        assert!(parsed.roles.is_empty());
        assert_eq!(parsed.users, valid_users());
        assert!(parsed.accounts.is_empty());
        assert_eq!(parsed.warnings.len(), 2, "{:?}", parsed.warnings);
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| w.starts_with("mapRoles: invalid YAML"))
        );
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| w.starts_with("mapAccounts: "))
        );
        // A lone entry without `- ` is one entry; a scalar is no list at all.
        let parsed = parse_map(&data(&[("mapRoles", "rolearn: x\n")]));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(
            parsed.roles.first().and_then(|r| r.rolearn.as_deref()),
            Some("x")
        );
        let parsed = parse_map(&data(&[("mapRoles", "just text\n")]));
        assert_eq!(
            parsed.warnings,
            vec!["mapRoles: cannot unmarshal string into a list of mappings"]
        );
        assert!(parsed.is_malformed());
    }

    #[test]
    fn a_single_account_is_a_one_item_list() {
        for (value, expected) in [
            ("111122223333\n", vec!["111122223333"]),
            ("\"012345678912\"\n", vec!["012345678912"]),
            (
                "111122223333,444455556666\n",
                vec!["111122223333", "444455556666"],
            ),
        ] {
            let parsed = parse_map(&data(&[("mapAccounts", value)]));
            assert_eq!(parsed.accounts, expected, "{value}");
            assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
            assert_eq!(parsed.coercions.len(), 1, "{:?}", parsed.coercions);
        }
    }

    #[test]
    fn role_arns_with_paths_match_the_assumed_role_through_the_mapper() {
        use crate::mapper::Mapper;
        use crate::mapper::configmap::ConfigMapMapper;
        use crate::mapper::test_support::identity;
        let roles = "- rolearn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef\n  username: sso-admin\n- rolearn: arn:aws:iam::111122223333:role/teams/Dev\n  username: dev\n";
        let parsed = parse_map(&data(&[("mapRoles", roles)]));
        // Kept as written: `add` and the ConfigMap round trip see the path.
        assert!(
            parsed.roles[1]
                .rolearn
                .as_deref()
                .is_some_and(|a| a.ends_with("role/teams/Dev"))
        );
        let m = ConfigMapMapper::from_parsed(parsed, false);
        for (arn, username) in [
            (
                "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef",
                "sso-admin",
            ),
            ("arn:aws:iam::111122223333:role/Dev", "dev"),
        ] {
            assert_eq!(
                m.map(&identity(arn).build()).map(|x| x.username).ok(),
                Some(username.to_string()),
                "{arn}"
            );
        }
        // Another account's role of the same name does not match.
        assert!(
            m.map(&identity("arn:aws:iam::999999999999:role/Dev").build())
                .is_err()
        );
    }

    #[test]
    fn yaml_11_boolean_spellings_are_text() {
        let roles = "- rolearn: arn:aws:iam::1:role/r\n  username: n\n  groups: [on, off, yes]\n";
        let parsed = parse_map(&data(&[("mapRoles", roles)]));
        assert_eq!(parsed.roles[0].username, "n");
        assert_eq!(parsed.roles[0].groups, vec!["on", "off", "yes"]);
        assert!(parsed.coercions.is_empty(), "{:?}", parsed.coercions);
    }

    #[test]
    fn deeply_nested_input_is_refused_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let parsed = parse_map(&data(&[("mapRoles", &deep), ("mapAccounts", &deep)]));
        assert!(parsed.roles.is_empty() && parsed.accounts.is_empty());
        assert!(!parsed.warnings.is_empty());
    }

    #[test]
    fn repeated_keys_last_one_wins() {
        let roles = "- rolearn: arn:aws:iam::1:role/a\n  rolearn: arn:aws:iam::1:role/b\n  RoleArn: arn:aws:iam::1:role/c\n  username: u\n";
        let parsed = parse_map(&data(&[("mapRoles", roles)]));
        assert_eq!(
            parsed.roles.first().and_then(|r| r.rolearn.clone()),
            Some("arn:aws:iam::1:role/c".to_string())
        );
    }
}
