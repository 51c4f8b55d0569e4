//! The mapping entries every backend shares: [`RoleMapping`], [`UserMapping`] and the
//! SSO permission-set matcher, with upstream's decoding, validation and lookup keys, and
//! [`IdentityMapping`], what a backend answers before templates are rendered.
//!
//! Mirrors upstream's `pkg/config` types and their `Validate`/`Key` methods. Decoding
//! goes through the [document tree](super::document) so that keys match
//! case-insensitively and later duplicates win, as with Go's `encoding/json`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::document::{
    Coercions, Node, entries, is_blank, non_empty, set_opt_string, set_string, set_string_list,
};

/// The AWS partitions an SSO matcher may name (upstream's list, plus the newer
/// ISO-E, ISO-F and European Sovereign Cloud partitions).
pub const SSO_PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// How many hex digits IAM Identity Center appends to `AWSReservedSSO_<permission set>_`.
const SSO_ROLE_SUFFIX_LEN: usize = 16;

/// Matches the IAM roles that AWS IAM Identity Center (SSO) creates for a permission set.
///
/// Those roles are named `AWSReservedSSO_<PermissionSetName>_<random suffix>`, so they
/// are matched with an `ArnLike` pattern instead of an exact ARN (upstream's
/// `SSOARNMatcher`, alpha, behind the `SSORoleMatch` feature gate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SsoArnMatcher {
    /// The permission set name, `^[\w+=,.@-]{1,32}$`.
    pub permission_set_name: String,
    /// The 12-digit AWS account ID.
    pub account_id: String,
    /// The partition (`aws` when absent).
    pub partition: Option<String>,
}

impl SsoArnMatcher {
    /// Checks the fields with upstream's rules and messages.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !(self.account_id.len() == 12 && self.account_id.bytes().all(|b| b.is_ascii_digit())) {
            return Err(ValidationError::InvalidAccountId(self.account_id.clone()));
        }
        let name_ok = (1..=32).contains(&self.permission_set_name.len())
            && self.permission_set_name.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'_' | b'+' | b'=' | b',' | b'.' | b'@' | b'-')
            });
        if !name_ok {
            return Err(ValidationError::InvalidPermissionSetName(
                self.permission_set_name.clone(),
            ));
        }
        if let Some(p) = non_empty(&self.partition)
            && !SSO_PARTITIONS.contains(&p)
        {
            return Err(ValidationError::InvalidPartition(p.to_string()));
        }
        Ok(())
    }

    /// The lowercased `ArnLike` pattern
    /// `arn:<partition>:iam::<account>:role/AWSReservedSSO_<permission set>_*`.
    ///
    /// Deliberate fix: upstream only fills in the partition when it is empty (then `aws`),
    /// so any explicit partition produced `arn::iam::…`, which can never match, and SSO
    /// mappings in aws-cn or aws-us-gov silently did nothing. Here the given partition is
    /// used, and `aws` only when none is given.
    pub fn arn_like_pattern(&self) -> String {
        let partition = non_empty(&self.partition).unwrap_or("aws");
        format!(
            "arn:{partition}:iam::{}:role/AWSReservedSSO_{}_*",
            self.account_id, self.permission_set_name
        )
        .to_lowercase()
    }

    /// Whether `lower_arn` (a lowercased canonical role ARN) is one of the roles
    /// [`arn_like_pattern`](Self::arn_like_pattern) stands for.
    ///
    /// Stricter than upstream, whose `ArnLike` `*` lets the permission set `Admin`
    /// match the role of the permission set `Admin_ReadOnly` too (an escalation: whoever
    /// holds the weaker set gets the stronger set's Kubernetes groups). IAM Identity
    /// Center names each role `AWSReservedSSO_<permission set>_<16 hex digits>`, so
    /// exactly 16 hex digits must follow the name.
    pub fn pattern_matches(pattern: &str, lower_arn: &str) -> bool {
        let Some(prefix) = pattern.strip_suffix('*') else {
            return false;
        };
        lower_arn.strip_prefix(prefix).is_some_and(|suffix| {
            suffix.len() == SSO_ROLE_SUFFIX_LEN
                && suffix
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }

    fn from_node(node: &Node, notes: &mut Coercions) -> Result<Self, String> {
        const TY: &str = "SSOARNMatcher";
        let mut out = SsoArnMatcher::default();
        let mut mine = Coercions::new();
        for (key, value) in entries(node, TY)? {
            match key.to_ascii_lowercase().as_str() {
                "permissionsetname" => set_string(
                    value,
                    TY,
                    "permissionSetName",
                    &mut out.permission_set_name,
                    &mut mine,
                )?,
                "accountid" => set_string(value, TY, "accountID", &mut out.account_id, &mut mine)?,
                "partition" => {
                    set_opt_string(value, TY, "partition", &mut out.partition, &mut mine)?
                }
                _ => {}
            }
        }
        notes.extend(mine.into_iter().map(|mut c| {
            c.field = format!("sso.{}", c.field);
            c
        }));
        Ok(out)
    }
}

impl Serialize for SsoArnMatcher {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let with_partition = !is_blank(&self.partition);
        let mut st = s.serialize_struct("SsoArnMatcher", 2 + usize::from(with_partition))?;
        st.serialize_field("permissionSetName", &self.permission_set_name)?;
        st.serialize_field("accountID", &self.account_id)?;
        if let Some(p) = non_empty(&self.partition) {
            st.serialize_field("partition", p)?;
        }
        st.end()
    }
}

impl<'de> Deserialize<'de> for SsoArnMatcher {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let node = Node::deserialize(d)?;
        SsoArnMatcher::from_node(&node, &mut Coercions::new()).map_err(de::Error::custom)
    }
}

/// Maps an IAM role (or, with `sso`, a family of SSO roles) to a Kubernetes user.
///
/// `username` and `groups` are templates (see [`render`](super::render)). Decoding matches keys
/// case-insensitively; serialising uses upstream's spellings (`rolearn`, `sso`,
/// `username`, `groups`, `userid`), leaving out empty `rolearn`/`sso`/`userid`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleMapping {
    /// The role ARN (exactly one of `rolearn` and `sso` must be set).
    pub rolearn: Option<String>,
    /// The SSO permission-set matcher (exactly one of `rolearn` and `sso` must be set).
    pub sso: Option<SsoArnMatcher>,
    /// The Kubernetes username template.
    pub username: String,
    /// The Kubernetes group templates.
    pub groups: Vec<String>,
    /// The IAM unique ID (`AROA…`), the lookup key of a DynamicFile in strict mode.
    pub userid: Option<String>,
}

impl RoleMapping {
    /// Checks the entry with upstream's rules and messages (`RoleMapping.Validate`).
    pub fn validate(&self) -> Result<(), ValidationError> {
        match (non_empty(&self.rolearn), &self.sso) {
            (None, None) => Err(ValidationError::MissingRoleArnOrSso),
            (Some(_), Some(_)) => Err(ValidationError::BothRoleArnAndSso),
            (Some(_), None) => Ok(()),
            (None, Some(sso)) => sso.validate(),
        }
    }

    /// The lookup key: the lowercased role ARN, or the SSO `ArnLike` pattern
    /// ([`SsoArnMatcher::arn_like_pattern`]); empty for an entry with neither.
    pub fn key(&self) -> String {
        if let Some(arn) = non_empty(&self.rolearn) {
            arn.to_lowercase()
        } else if let Some(sso) = &self.sso {
            sso.arn_like_pattern()
        } else {
            String::new()
        }
    }

    /// Decodes an entry from the document tree: keys case-insensitively, the last
    /// duplicate winning, and values with upstream's config-file conversions (recorded in
    /// `notes`; see [`document`](super::document)).
    pub(crate) fn from_node(node: &Node, notes: &mut Coercions) -> Result<Self, String> {
        const TY: &str = "RoleMapping";
        let mut out = RoleMapping::default();
        for (key, value) in entries(node, TY)? {
            match key.to_ascii_lowercase().as_str() {
                "rolearn" => set_opt_string(value, TY, "rolearn", &mut out.rolearn, notes)?,
                "sso" => {
                    out.sso = match value {
                        Node::Null => None,
                        other => Some(SsoArnMatcher::from_node(other, notes)?),
                    }
                }
                "username" => set_string(value, TY, "username", &mut out.username, notes)?,
                "groups" => set_string_list(value, TY, "groups", &mut out.groups, notes)?,
                "userid" => set_opt_string(value, TY, "userid", &mut out.userid, notes)?,
                _ => {}
            }
        }
        Ok(out)
    }

    pub(crate) fn to_identity_mapping(&self, identity_arn: String) -> IdentityMapping {
        IdentityMapping {
            identity_arn,
            username: self.username.clone(),
            groups: self.groups.clone(),
            userid: non_empty(&self.userid).map(str::to_string),
        }
    }
}

impl Serialize for RoleMapping {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("RoleMapping", 5)?;
        if let Some(arn) = non_empty(&self.rolearn) {
            st.serialize_field("rolearn", arn)?;
        }
        if let Some(sso) = &self.sso {
            st.serialize_field("sso", sso)?;
        }
        st.serialize_field("username", &self.username)?;
        st.serialize_field("groups", &self.groups)?;
        if let Some(id) = non_empty(&self.userid) {
            st.serialize_field("userid", id)?;
        }
        st.end()
    }
}

impl<'de> Deserialize<'de> for RoleMapping {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let node = Node::deserialize(d)?;
        RoleMapping::from_node(&node, &mut Coercions::new()).map_err(de::Error::custom)
    }
}

/// Maps an IAM user to a Kubernetes user.
///
/// Decoding matches keys case-insensitively (`userarn` and `userARN` are the same field,
/// upstream #261/#312); serialising uses `userarn`, `username`, `groups`, `userid`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserMapping {
    /// The user ARN.
    pub userarn: String,
    /// The Kubernetes username template.
    pub username: String,
    /// The Kubernetes group templates.
    pub groups: Vec<String>,
    /// The IAM unique ID (`AIDA…`), the lookup key of a DynamicFile in strict mode.
    pub userid: Option<String>,
}

impl UserMapping {
    /// Checks the entry with upstream's rule and message (`UserMapping.Validate`).
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.userarn.is_empty() {
            return Err(ValidationError::MissingUserArn);
        }
        Ok(())
    }

    /// The lookup key: the lowercased user ARN.
    pub fn key(&self) -> String {
        self.userarn.to_lowercase()
    }

    /// Decodes an entry as [`RoleMapping::from_node`] does.
    pub(crate) fn from_node(node: &Node, notes: &mut Coercions) -> Result<Self, String> {
        const TY: &str = "UserMapping";
        let mut out = UserMapping::default();
        for (key, value) in entries(node, TY)? {
            match key.to_ascii_lowercase().as_str() {
                "userarn" => set_string(value, TY, "userarn", &mut out.userarn, notes)?,
                "username" => set_string(value, TY, "username", &mut out.username, notes)?,
                "groups" => set_string_list(value, TY, "groups", &mut out.groups, notes)?,
                "userid" => set_opt_string(value, TY, "userid", &mut out.userid, notes)?,
                _ => {}
            }
        }
        Ok(out)
    }

    pub(crate) fn to_identity_mapping(&self, identity_arn: String) -> IdentityMapping {
        IdentityMapping {
            identity_arn,
            username: self.username.clone(),
            groups: self.groups.clone(),
            userid: non_empty(&self.userid).map(str::to_string),
        }
    }
}

impl Serialize for UserMapping {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("UserMapping", 4)?;
        st.serialize_field("userarn", &self.userarn)?;
        st.serialize_field("username", &self.username)?;
        st.serialize_field("groups", &self.groups)?;
        if let Some(id) = non_empty(&self.userid) {
            st.serialize_field("userid", id)?;
        }
        st.end()
    }
}

impl<'de> Deserialize<'de> for UserMapping {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let node = Node::deserialize(d)?;
        UserMapping::from_node(&node, &mut Coercions::new()).map_err(de::Error::custom)
    }
}

/// Why a mapping entry is invalid. `Display` gives upstream's exact messages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationError {
    /// A role entry with neither `rolearn` nor `sso`.
    MissingRoleArnOrSso,
    /// A role entry with both `rolearn` and `sso`.
    BothRoleArnAndSso,
    /// `sso.accountID` is not 12 digits.
    InvalidAccountId(String),
    /// `sso.permissionSetName` is not 1–32 of `[A-Za-z0-9_+=,.@-]`.
    InvalidPermissionSetName(String),
    /// `sso.partition` is not one of [`SSO_PARTITIONS`].
    InvalidPartition(String),
    /// A user entry without `userarn`.
    MissingUserArn,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationError::MissingRoleArnOrSso => {
                f.write_str("One of rolearn or SSO must be supplied")
            }
            ValidationError::BothRoleArnAndSso => {
                f.write_str("Only one of rolearn or SSO can be supplied")
            }
            ValidationError::InvalidAccountId(a) => {
                write!(f, "AccountID '{a}' is not a valid AWS Account ID")
            }
            ValidationError::InvalidPermissionSetName(p) => write!(
                f,
                "PermissionSetName '{p}' is not a valid AWS SSO PermissionSet Name"
            ),
            ValidationError::InvalidPartition(p) => {
                write!(f, "Partition '{p}' is not a valid AWS partition")
            }
            ValidationError::MissingUserArn => f.write_str("Value for userarn must be supplied"),
        }
    }
}

impl std::error::Error for ValidationError {}

/// What a backend found for an identity, before templates are rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityMapping {
    /// The identity's canonical ARN, lowercased (as upstream returns it).
    pub identity_arn: String,
    /// The username template.
    pub username: String,
    /// The group templates.
    pub groups: Vec<String>,
    /// The mapping's `userid`, if it has one.
    pub userid: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn role_mapping_keys_are_case_insensitive() {
        for key in ["rolearn", "roleARN", "RoleArn", "rOlEaRn", "ROLEARN"] {
            let v = serde_json::json!({ key: "arn:aws:iam::1:role/R", "UsErNaMe": "u", "GROUPS": ["g"], "UserID": "AROA1" });
            let r: RoleMapping = serde_json::from_value(v).expect(key);
            assert_eq!(r.rolearn.as_deref(), Some("arn:aws:iam::1:role/R"));
            assert_eq!(r.username, "u");
            assert_eq!(r.groups, vec!["g".to_string()]);
            assert_eq!(r.userid.as_deref(), Some("AROA1"));
        }
        let v = serde_json::json!({ "userARN": "arn:aws:iam::1:user/U", "username": "u" });
        let u: UserMapping = serde_json::from_value(v).expect("user");
        assert_eq!(u.userarn, "arn:aws:iam::1:user/U");
        assert!(u.groups.is_empty());
        let v = serde_json::json!({ "SSO": { "PermissionSetName": "Admin", "accountid": "123456789012", "PARTITION": "aws-cn" }, "username": "u" });
        let r: RoleMapping = serde_json::from_value(v).expect("sso");
        assert_eq!(
            r.sso,
            Some(SsoArnMatcher {
                permission_set_name: "Admin".to_string(),
                account_id: "123456789012".to_string(),
                partition: Some("aws-cn".to_string()),
            })
        );
    }

    #[test]
    fn later_duplicate_keys_win_in_document_order() {
        let r: RoleMapping =
            serde_json::from_str(r#"{"rolearn":"a","RoleArn":"b","username":"x"}"#).expect("parse");
        assert_eq!(r.rolearn.as_deref(), Some("b"));
        let r: RoleMapping =
            serde_json::from_str(r#"{"RoleArn":"b","rolearn":"a","username":"x"}"#).expect("parse");
        assert_eq!(r.rolearn.as_deref(), Some("a"));
    }

    #[test]
    fn wrong_types_are_errors_and_nulls_are_ignored() {
        let err = serde_json::from_value::<RoleMapping>(
            serde_json::json!({"rolearn": "a", "groups": [["g"]]}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("cannot unmarshal array into field RoleMapping.groups of type []string"),
            "{err}"
        );
        assert!(
            serde_json::from_value::<RoleMapping>(
                serde_json::json!({"rolearn": "a", "username": [5]})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<RoleMapping>(
                serde_json::json!({"rolearn": "a", "groups": {"a": "b"}})
            )
            .is_err()
        );
        assert!(serde_json::from_value::<RoleMapping>(serde_json::json!(["a"])).is_err());
        let r: RoleMapping =
            serde_json::from_value(serde_json::json!({"rolearn": "a", "username": null, "groups": null, "sso": null, "other": 1}))
                .expect("nulls");
        assert_eq!(
            r,
            RoleMapping {
                rolearn: Some("a".to_string()),
                ..RoleMapping::default()
            }
        );
        // An empty string means "not set".
        let r: RoleMapping =
            serde_json::from_value(serde_json::json!({"rolearn": "", "userid": ""}))
                .expect("empty");
        assert_eq!(r.rolearn, None);
        assert_eq!(r.userid, None);
    }

    /// Each case with upstream's verdict under viper's decoder (mapstructure with
    /// `WeaklyTypedInput` and the `","` string-to-slice hook), which is ours.
    #[test]
    fn weak_conversions_follow_mapstructure() {
        let decode = |json: serde_json::Value| {
            let node = Node::deserialize(json).expect("node");
            let mut notes = Coercions::new();
            let r = RoleMapping::from_node(&node, &mut notes);
            (r, notes)
        };
        let groups = |json: serde_json::Value| {
            let (r, notes) = decode(serde_json::json!({"rolearn": "a", "groups": json}));
            (r.expect("accepted").groups, notes.len())
        };
        // Upstream: a string becomes a list, split on commas; "" is the empty list.
        assert_eq!(
            groups(serde_json::json!("devs")),
            (vec!["devs".to_string()], 1)
        );
        assert_eq!(
            groups(serde_json::json!("a,b")),
            (vec!["a".to_string(), "b".to_string()], 1)
        );
        assert_eq!(groups(serde_json::json!("")), (vec![], 1));
        // Upstream: single numbers and booleans are lifted, then weakly stringified.
        assert_eq!(groups(serde_json::json!(42)), (vec!["42".to_string()], 1));
        assert_eq!(groups(serde_json::json!(false)), (vec!["0".to_string()], 1));
        // Upstream: an empty map is an empty slice; null elements are "".
        assert_eq!(groups(serde_json::json!({})), (vec![], 1));
        assert_eq!(
            groups(serde_json::json!(["a", null, 1.5])),
            (vec!["a".to_string(), String::new(), "1.5".to_string()], 2)
        );
        // A list is taken as it is, without notes.
        assert_eq!(groups(serde_json::json!(["a"])), (vec!["a".to_string()], 0));
        // Upstream: numbers to strings in base 10, booleans to "1"/"0".
        let (r, notes) = decode(serde_json::json!({"rolearn": 7, "username": true, "userid": 12}));
        let r = r.expect("accepted");
        assert_eq!(r.rolearn.as_deref(), Some("7"));
        assert_eq!(r.username, "1");
        assert_eq!(r.userid.as_deref(), Some("12"));
        assert_eq!(notes.len(), 3);
        assert_eq!(
            notes.first().map(ToString::to_string).as_deref(),
            Some("rolearn: read the number 7 as the string \"7\"")
        );
        let (r, notes) = decode(
            serde_json::json!({"sso": {"permissionSetName": "P", "accountID": 123456789012_u64}, "username": "u"}),
        );
        assert_eq!(
            r.expect("accepted").sso.map(|s| s.account_id).as_deref(),
            Some("123456789012")
        );
        assert_eq!(
            notes.first().map(|c| c.field.as_str()),
            Some("sso.accountID")
        );
        // Upstream refuses: a list or a mapping where a string belongs, a non-empty
        // mapping where a list belongs, a list inside the list, a list as the `sso` struct.
        for bad in [
            serde_json::json!({"rolearn": "a", "username": ["u"]}),
            serde_json::json!({"rolearn": "a", "username": {"u": 1}}),
            serde_json::json!({"rolearn": "a", "groups": {"g": 1}}),
            serde_json::json!({"rolearn": "a", "groups": [["g"]]}),
            serde_json::json!({"sso": ["P"], "username": "u"}),
            serde_json::json!("rolearn"),
        ] {
            assert!(decode(bad.clone()).0.is_err(), "{bad}");
        }
    }

    #[test]
    fn serialisation_uses_upstreams_spellings() {
        let r = RoleMapping {
            rolearn: Some("arn:aws:iam::1:role/R".to_string()),
            sso: None,
            username: "u".to_string(),
            groups: vec![],
            userid: None,
        };
        assert_eq!(
            serde_json::to_string(&r).expect("json"),
            r#"{"rolearn":"arn:aws:iam::1:role/R","username":"u","groups":[]}"#
        );
        let r = RoleMapping {
            rolearn: None,
            sso: Some(SsoArnMatcher {
                permission_set_name: "P".to_string(),
                account_id: "123456789012".to_string(),
                partition: None,
            }),
            username: "u".to_string(),
            groups: vec!["g".to_string()],
            userid: Some("AROA".to_string()),
        };
        let json = serde_json::to_string(&r).expect("json");
        assert_eq!(
            json,
            r#"{"sso":{"permissionSetName":"P","accountID":"123456789012"},"username":"u","groups":["g"],"userid":"AROA"}"#
        );
        assert_eq!(serde_json::from_str::<RoleMapping>(&json).expect("back"), r);
        let u = UserMapping {
            userarn: "arn:aws:iam::1:user/U".to_string(),
            username: "u".to_string(),
            groups: vec![],
            userid: Some(String::new()),
        };
        assert_eq!(
            serde_json::to_string(&u).expect("json"),
            r#"{"userarn":"arn:aws:iam::1:user/U","username":"u","groups":[]}"#
        );
    }

    #[test]
    fn role_validation_messages() {
        let sso = |ps: &str, acct: &str, part: Option<&str>| RoleMapping {
            sso: Some(SsoArnMatcher {
                permission_set_name: ps.to_string(),
                account_id: acct.to_string(),
                partition: part.map(str::to_string),
            }),
            ..RoleMapping::default()
        };
        let msg = |r: &RoleMapping| r.validate().map_err(|e| e.to_string());
        assert_eq!(
            msg(&RoleMapping::default()),
            Err("One of rolearn or SSO must be supplied".to_string())
        );
        let mut both = sso("P", "123456789012", None);
        both.rolearn = Some("arn:aws:iam::1:role/R".to_string());
        assert_eq!(
            msg(&both),
            Err("Only one of rolearn or SSO can be supplied".to_string())
        );
        assert_eq!(
            msg(&sso("P", "12345678901", None)),
            Err("AccountID '12345678901' is not a valid AWS Account ID".to_string())
        );
        assert_eq!(
            msg(&sso("P", "12345678901a", None)),
            Err("AccountID '12345678901a' is not a valid AWS Account ID".to_string())
        );
        assert_eq!(
            msg(&sso("", "123456789012", None)),
            Err("PermissionSetName '' is not a valid AWS SSO PermissionSet Name".to_string())
        );
        assert_eq!(
            msg(&sso(&"a".repeat(33), "123456789012", None)),
            Err(format!(
                "PermissionSetName '{}' is not a valid AWS SSO PermissionSet Name",
                "a".repeat(33)
            ))
        );
        assert!(msg(&sso("Bad/Name", "123456789012", None)).is_err());
        assert!(msg(&sso("Bad Name", "123456789012", None)).is_err());
        assert_eq!(msg(&sso(&"a".repeat(32), "123456789012", None)), Ok(()));
        assert_eq!(msg(&sso("Az09_+=,.@-", "123456789012", None)), Ok(()));
        assert_eq!(
            msg(&sso("P", "123456789012", Some("aws-mars"))),
            Err("Partition 'aws-mars' is not a valid AWS partition".to_string())
        );
        for p in SSO_PARTITIONS {
            assert_eq!(msg(&sso("P", "123456789012", Some(p))), Ok(()), "{p}");
        }
        assert_eq!(msg(&sso("P", "123456789012", Some(""))), Ok(()));
        assert_eq!(
            msg(&RoleMapping {
                rolearn: Some("x".to_string()),
                ..RoleMapping::default()
            }),
            Ok(())
        );
    }

    #[test]
    fn sso_pattern_needs_exactly_sixteen_hex_digits_after_the_name() {
        let admin = SsoArnMatcher {
            permission_set_name: "Admin".to_string(),
            account_id: "012345678912".to_string(),
            partition: None,
        }
        .arn_like_pattern();
        let role = |suffix: &str| format!("arn:aws:iam::012345678912:role/awsreservedsso_{suffix}");
        assert!(SsoArnMatcher::pattern_matches(
            &admin,
            &role("admin_0123456789abcdef")
        ));
        // Another permission set whose name starts with "Admin_" is not "Admin".
        for other in [
            "admin_readonly_0123456789abcdef",
            "admin_x_0123456789abcdef",
            "admin_0123456789abcdef_0123456789abcdef",
            // Short, long, non-hex or empty suffixes are not Identity Center roles.
            "admin_abc",
            "admin_1",
            "admin_abcdef",
            "admin_0123456789abcde",
            "admin_0123456789abcdef0",
            "admin_0123456789abcdeg",
            "admin_",
            "admin",
            "administrator_0123456789abcdef",
        ] {
            assert!(
                !SsoArnMatcher::pattern_matches(&admin, &role(other)),
                "{other}"
            );
        }
        // Another account or partition never matches.
        assert!(!SsoArnMatcher::pattern_matches(
            &admin,
            "arn:aws:iam::999999999999:role/awsreservedsso_admin_0123456789abcdef"
        ));
        assert!(!SsoArnMatcher::pattern_matches(
            &admin,
            "arn:aws-cn:iam::012345678912:role/awsreservedsso_admin_0123456789abcdef"
        ));
        // A pattern without its trailing `*` matches nothing.
        assert!(!SsoArnMatcher::pattern_matches(
            "arn:aws:iam::012345678912:role/awsreservedsso_admin_",
            &role("admin_0123456789abcdef")
        ));
    }

    #[test]
    fn user_validation_message() {
        assert_eq!(
            UserMapping::default().validate().map_err(|e| e.to_string()),
            Err("Value for userarn must be supplied".to_string())
        );
    }

    #[test]
    fn keys_are_lowercased_and_sso_uses_the_given_partition() {
        let r = RoleMapping {
            rolearn: Some("arn:aws:iam::1:role/MyRole".to_string()),
            ..RoleMapping::default()
        };
        assert_eq!(r.key(), "arn:aws:iam::1:role/myrole");
        let mut r = RoleMapping {
            sso: Some(SsoArnMatcher {
                permission_set_name: "ViewOnlyAccess".to_string(),
                account_id: "012345678912".to_string(),
                partition: None,
            }),
            ..RoleMapping::default()
        };
        assert_eq!(
            r.key(),
            "arn:aws:iam::012345678912:role/awsreservedsso_viewonlyaccess_*"
        );
        if let Some(sso) = r.sso.as_mut() {
            sso.partition = Some("aws-cn".to_string());
        }
        // Upstream produced "arn::iam::…" here (a bug); the partition is used instead.
        assert_eq!(
            r.key(),
            "arn:aws-cn:iam::012345678912:role/awsreservedsso_viewonlyaccess_*"
        );
        assert_eq!(RoleMapping::default().key(), "");
        let u = UserMapping {
            userarn: "arn:aws:iam::1:user/Bob".to_string(),
            ..UserMapping::default()
        };
        assert_eq!(u.key(), "arn:aws:iam::1:user/bob");
    }
}
