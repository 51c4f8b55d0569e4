//! The `DynamicFile` backend: parsing the JSON mapping file that is reloaded when it
//! changes, the mapper that serves lookups from it, and [`run_watch`], which follows the
//! file.
//!
//! Mirrors upstream's `pkg/mapper/dynamicfile` (`DynamicFileMapStore`,
//! `CallBackForFileLoad`, `DynamicFileMapper`). On each change [`run_watch`] reads the
//! file and calls [`DynamicFileMapper::load`] (that is, [`parse`] then
//! [`DynamicFileMapper::update`]); when the file is removed it calls
//! [`DynamicFileMapper::clear`]. The dynamic backend-mode file, which is read with the
//! same JSON rules, is parsed and followed by the server
//! (`server::backends::parse_backend_mode_file`).
//!
//! The file looks like
//! `{"Version":"1","LastUpdatedDateTime":"1700000000","mapRoles":[…],"mapUsers":[…],"mapAccounts":[…]}`.
//! As with Go's `encoding/json`, keys match case-insensitively, and any type error
//! rejects the whole file, which leaves the previous mappings in place.
//!
//! Keys are `canonicalize(lower(arn))` (role ARNs without their path, upstream #268),
//! or the entry's `userid` when
//! `server.dynamicfileUserIDStrict` is on. In strict mode a mapping that also has an ARN
//! must name the identity's ARN (path stripped), else [`MapError::ArnMismatch`].
//! There is no SSO matching and no validation beyond "the key is present".

use std::path::PathBuf;
use std::sync::Arc;

use super::document::{self, Coercions};
use super::file_watch::{self, FileState};
use super::{
    BackendMode, BackendObserver, IdentityMapping, MapError, Mapper, MappingIndex, Node, Published,
    RoleMapping, UserMapping,
};
use crate::token::identity::Identity;

/// A parsed DynamicFile, indexed and ready to serve lookups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DynamicFileData {
    version: String,
    last_updated_date_time: String,
    user_id_strict: bool,
    index: MappingIndex,
    warnings: Vec<String>,
}

impl DynamicFileData {
    /// An empty file's worth of data, keyed for `user_id_strict`.
    pub fn empty(user_id_strict: bool) -> Self {
        DynamicFileData {
            user_id_strict,
            ..DynamicFileData::default()
        }
    }

    /// The file's `Version`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The file's `LastUpdatedDateTime` (Unix seconds, as a string).
    pub fn last_updated_date_time(&self) -> &str {
        &self.last_updated_date_time
    }

    /// `LastUpdatedDateTime` as Unix seconds, if it is a number (used for the
    /// `dynamic_e2e_latency_seconds` metric).
    pub fn last_updated_unix_secs(&self) -> Option<i64> {
        self.last_updated_date_time.trim().parse().ok()
    }

    /// Whether entries are keyed by `userid` (strict mode) rather than by ARN.
    pub fn user_id_strict(&self) -> bool {
        self.user_id_strict
    }

    /// Number of distinct role keys.
    pub fn role_count(&self) -> usize {
        self.index.roles.len()
    }

    /// Number of distinct user keys.
    pub fn user_count(&self) -> usize {
        self.index.users.len()
    }

    /// The role mapping stored under `key` (lowercased canonical ARN, or user ID).
    pub fn role(&self, key: &str) -> Option<&RoleMapping> {
        self.index.roles.get(key).map(|r| &r.mapping)
    }

    /// The user mapping stored under `key` (lowercased canonical ARN, or user ID).
    pub fn user(&self, key: &str) -> Option<&UserMapping> {
        self.index.users.get(key).map(|u| &u.mapping)
    }

    /// Whether `mapAccounts` lists the account.
    pub fn is_account_allowed(&self, account_id: &str) -> bool {
        self.index.accounts.contains(account_id)
    }

    /// Entries that were loaded but can never match (an ARN that does not canonicalise)
    /// and keys mapped twice (the last one wins, as upstream). For the log.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// Reads a JSON string field; `null` leaves it unchanged, and a number or boolean is read
/// as upstream's config-file decoder reads it (`"Version": 7` is `"7"`).
pub(crate) fn set_string(node: &Node, field: &str, target: &mut String) -> Result<(), String> {
    match node {
        Node::Null => Ok(()),
        Node::Str(_) | Node::Number(_) | Node::Bool(_) => {
            if let Some((s, _)) = document::weak_string(node) {
                *target = s;
            }
            Ok(())
        }
        other => Err(format!(
            "cannot unmarshal {} into field {field} of type string",
            other.kind()
        )),
    }
}

/// Reads a list of entries, converting each item and recording the conversions made
/// (with the entry's position) in `notes`; a single entry where the list belongs is a
/// one-entry list, `null` gives nothing (see [`document::list_items`]).
fn list<T>(
    node: &Node,
    field: &str,
    notes: &mut Coercions,
    item: impl Fn(&Node, &mut Coercions) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    document::list_items(node, field, notes)
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut mine = Coercions::new();
            let out = item(n, &mut mine).map_err(|e| format!("{field}[{i}]: {e}"))?;
            notes.extend(mine.into_iter().map(|mut c| {
                c.field = format!("{field}[{i}].{}", c.field);
                c
            }));
            Ok(out)
        })
        .collect()
}

/// The top-level object of a JSON file read with `encoding/json`'s rules (a `null`
/// document is an empty object).
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Vec<(String, Node)>, String> {
    let node: Node = serde_json::from_slice(bytes)
        .map_err(|e| format!("could not unmarshal dynamic file: {e}"))?;
    match node {
        // `null` decodes into Go's zero value without error.
        Node::Null => Ok(Vec::new()),
        Node::Map(entries) => Ok(entries),
        other => Err(format!(
            "could not unmarshal dynamic file: cannot unmarshal {} into an object",
            other.kind()
        )),
    }
}

/// Parses a DynamicFile (upstream's `CallBackForFileLoad` up to `saveMap`).
///
/// The whole file is rejected if it is not valid JSON, if any field has the wrong type,
/// or if any entry lacks its key (`rolearn`/`userarn`, or `userid` in strict mode):
/// `error parsing dynamic file: [value for rolearn or userid(if dynamicfileUserIDStrict = true) must be supplied]`.
/// Keys are `canonicalize(lower(arn))` normally (an ARN that cannot be canonicalised is
/// kept out of the index with a warning: upstream files it under an empty key where it
/// can never match), or the exact `userid` in strict mode.
pub fn parse(bytes: &[u8], user_id_strict: bool) -> Result<DynamicFileData, String> {
    let mut data = DynamicFileData::empty(user_id_strict);
    let mut roles = Vec::new();
    let mut users = Vec::new();
    let mut accounts = Vec::new();
    let mut notes = Coercions::new();
    for (key, value) in parse_json(bytes)? {
        match key.to_ascii_lowercase().as_str() {
            "version" => set_string(&value, "Version", &mut data.version)?,
            "lastupdateddatetime" => set_string(
                &value,
                "LastUpdatedDateTime",
                &mut data.last_updated_date_time,
            )?,
            "maproles" => roles = list(&value, "mapRoles", &mut notes, RoleMapping::from_node)?,
            "mapusers" => users = list(&value, "mapUsers", &mut notes, UserMapping::from_node)?,
            "mapaccounts" => {
                accounts = document::read_string_list(&value, "mapAccounts", &mut notes)
                    .map_err(|bad| {
                        format!(
                            "cannot unmarshal {} into field mapAccounts of type []string",
                            bad.kind()
                        )
                    })?
                    .unwrap_or_default()
            }
            _ => {}
        }
    }

    let mut missing = Vec::new();
    for user in &users {
        let key = if user_id_strict {
            user.userid.as_deref().unwrap_or("")
        } else {
            &user.userarn
        };
        if key.is_empty() {
            missing.push(
                "value for userarn or userid(if dynamicfileUserIDStrict = true) must be supplied"
                    .to_string(),
            );
        }
    }
    for role in &roles {
        let key = if user_id_strict {
            role.userid.as_deref()
        } else {
            role.rolearn.as_deref()
        };
        if key.unwrap_or("").is_empty() {
            missing.push(
                "value for rolearn or userid(if dynamicfileUserIDStrict = true) must be supplied"
                    .to_string(),
            );
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "error parsing dynamic file: [{}]",
            missing.join(" ")
        ));
    }

    // Values upstream's `encoding/json` would refuse, read as its config-file decoder
    // reads them: logged so the file can be fixed, never a reason to keep stale mappings.
    data.warnings.extend(notes.iter().map(|c| {
        format!("{c} (a value of another type, converted as upstream's config-file decoder does)")
    }));
    let key_for = |arn: &str, userid: &Option<String>| -> Result<String, String> {
        if user_id_strict {
            Ok(userid.clone().unwrap_or_default())
        } else {
            crate::arn::canonicalize(&arn.to_lowercase()).map_err(|e| e.to_string())
        }
    };
    for (i, user) in users.into_iter().enumerate() {
        match key_for(&user.userarn, &user.userid) {
            Ok(key) => {
                if let Some(first) = data.index.insert_user(key.clone(), i, user) {
                    data.warnings.push(format!(
                        "mapUsers[{first}] and mapUsers[{i}] both map {key}; mapUsers[{i}] wins"
                    ));
                }
            }
            Err(e) => data
                .warnings
                .push(format!("mapUsers[{i}]: {e}; the entry can never match")),
        }
    }
    for (i, role) in roles.into_iter().enumerate() {
        match key_for(role.rolearn.as_deref().unwrap_or(""), &role.userid) {
            Ok(key) => {
                let key = super::index::role_key(key);
                if let Some(first) = data.index.insert_role(key.clone(), i, role) {
                    data.warnings.push(format!(
                        "mapRoles[{first}] and mapRoles[{i}] both map {key}; mapRoles[{i}] wins"
                    ));
                }
            }
            Err(e) => data
                .warnings
                .push(format!("mapRoles[{i}]: {e}; the entry can never match")),
        }
    }
    data.index
        .accounts
        .extend(accounts.into_iter().filter(|a| !a.is_empty()));
    Ok(data)
}

/// The DynamicFile mapper: serves lookups from the last good file, which the watcher
/// replaces atomically.
#[derive(Debug)]
pub struct DynamicFileMapper {
    data: Published<DynamicFileData>,
    user_id_strict: bool,
    /// The watcher has looked at the file once (loaded it, found it absent, or found
    /// it unusable and said so): there is nothing more to wait for.
    pub synced: crate::mapper::Synced,
}

impl DynamicFileMapper {
    /// An empty mapper (nothing mapped until the first load). `user_id_strict` is
    /// `server.dynamicfileUserIDStrict`.
    pub fn new(user_id_strict: bool) -> Self {
        DynamicFileMapper {
            data: Published::new(DynamicFileData::empty(user_id_strict)),
            user_id_strict,
            synced: Default::default(),
        }
    }

    /// Whether this mapper keys entries by `userid`.
    pub fn user_id_strict(&self) -> bool {
        self.user_id_strict
    }

    /// Parses `bytes` with this mapper's mode and swaps the result in. On error the
    /// previous mappings stay, as upstream. Returns the parsed data (for its warnings,
    /// version and timestamp).
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<DynamicFileData>, String> {
        let data = Arc::new(parse(bytes, self.user_id_strict)?);
        self.swap(Arc::clone(&data));
        Ok(data)
    }

    /// Swaps in already parsed data. Lookups use the keying mode `data` was parsed with.
    pub fn update(&self, data: DynamicFileData) {
        self.swap(Arc::new(data));
    }

    /// Removes all mappings (the file was deleted).
    pub fn clear(&self) {
        self.swap(Arc::new(DynamicFileData::empty(self.user_id_strict)));
    }

    /// The data lookups currently use.
    pub fn snapshot(&self) -> Arc<DynamicFileData> {
        self.data.load()
    }

    fn swap(&self, data: Arc<DynamicFileData>) {
        self.data.store(data);
    }
}

/// Keeps `mapper` in step with the DynamicFile at `path`; runs until dropped.
///
/// As upstream: the file is loaded when it appears and on every change, a file that does
/// not parse (including one caught half-written) leaves the last good mappings in place
/// and counts a `dynamicfile_failures_total`, and a removed file clears the mappings.
/// Every reload after the first reports `dynamic_e2e_latency_seconds{type="dynamic_file"}`,
/// measured from the file's `LastUpdatedDateTime`.
pub async fn run_watch(
    path: PathBuf,
    mapper: Arc<DynamicFileMapper>,
    observer: Arc<dyn BackendObserver>,
) {
    let mut loaded_once = false;
    let shown = path.display().to_string();
    file_watch::watch(path, move |state| {
        handle_state(&mapper, &*observer, &shown, &mut loaded_once, state);
        // Whatever the first look found, there is nothing more to wait for.
        mapper.synced.mark();
    })
    .await;
}

/// One state of the watched file: load, clear, or keep the last good mappings.
fn handle_state(
    mapper: &DynamicFileMapper,
    observer: &dyn BackendObserver,
    shown: &str,
    loaded_once: &mut bool,
    state: FileState,
) {
    match state {
        FileState::Absent => {
            let current = mapper.snapshot();
            if current.role_count() + current.user_count() > 0 {
                tracing::info!(path = %shown, "the DynamicFile was removed: mappings cleared");
            } else {
                tracing::info!(path = %shown, "waiting for the DynamicFile to be created");
            }
            mapper.clear();
        }
        FileState::Unreadable(e) => {
            observer.dynamic_file_failure();
            tracing::error!(
                path = %shown,
                "cannot read the DynamicFile: {e}; keeping the last good mappings"
            );
        }
        FileState::Present(bytes) => match mapper.load(&bytes) {
            Ok(data) => {
                for warning in data.warnings() {
                    tracing::warn!(path = %shown, "{warning}");
                }
                if *loaded_once && let Some(ts) = data.last_updated_unix_secs() {
                    let now = time::OffsetDateTime::now_utc().unix_timestamp();
                    let secs = u64::try_from(now.saturating_sub(ts)).unwrap_or(0);
                    observer.reloaded("dynamic_file", std::time::Duration::from_secs(secs));
                }
                *loaded_once = true;
                tracing::info!(
                    path = %shown,
                    version = data.version(),
                    roles = data.role_count(),
                    users = data.user_count(),
                    "loaded the DynamicFile"
                );
            }
            Err(e) => {
                observer.dynamic_file_failure();
                tracing::error!(
                    path = %shown,
                    "cannot load the DynamicFile: {e}; keeping the last good mappings"
                );
            }
        },
    }
}

/// Strict mode: a mapping's ARN, if any, must be the identity's (path stripped), else
/// [`MapError::ArnMismatch`]. An ARN that cannot be parsed is a mismatch too.
fn check_arn(
    strict: bool,
    lower_canonical: &str,
    mapped_arn: Option<&str>,
) -> Result<(), MapError> {
    let Some(arn) = mapped_arn.filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    if !strict {
        return Ok(());
    }
    match crate::arn::strip_path(arn) {
        Ok(stripped) if stripped.to_lowercase() == lower_canonical => Ok(()),
        _ => Err(MapError::ArnMismatch),
    }
}

impl Mapper for DynamicFileMapper {
    fn mode(&self) -> BackendMode {
        BackendMode::DynamicFile
    }

    fn is_ready(&self) -> bool {
        self.synced.get()
    }

    /// Exact lookup of roles, then users: by lowercased canonical ARN, or by the
    /// identity's user ID in strict mode. The returned `identity_arn` is lowercased.
    fn map(&self, identity: &Identity) -> Result<IdentityMapping, MapError> {
        let data = self.snapshot();
        let canonical = identity.canonical_arn.to_lowercase();
        let key = if data.user_id_strict {
            identity.user_id.as_str()
        } else {
            canonical.as_str()
        };
        if let Some(role) = data.index.roles.get(key) {
            check_arn(
                data.user_id_strict,
                &canonical,
                role.mapping.rolearn.as_deref(),
            )?;
            return Ok(role.mapping.to_identity_mapping(canonical));
        }
        if let Some(user) = data.index.users.get(key) {
            check_arn(data.user_id_strict, &canonical, Some(&user.mapping.userarn))?;
            return Ok(user.mapping.to_identity_mapping(canonical));
        }
        Err(MapError::NotMapped)
    }

    fn is_account_allowed(&self, account_id: &str) -> bool {
        self.snapshot().is_account_allowed(account_id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::test_support::identity;

    const FILE: &str = r#"{
  "Version": "7",
  "LastUpdatedDateTime": "1700000000",
  "mapRoles": [
    {"rolearn": "arn:aws:iam::000000000000:role/KubernetesAdmin", "username": "admin:{{SessionName}}", "groups": ["system:masters"], "userid": "AROAADMIN"},
    {"RoleARN": "arn:aws:sts::000000000000:assumed-role/Dev/session", "username": "dev", "groups": []}
  ],
  "mapUsers": [
    {"userarn": "arn:aws:iam::000000000000:user/Alice", "username": "alice", "groups": ["devs"], "userid": "AIDAALICE"}
  ],
  "mapAccounts": ["111111111111"]
}"#;

    #[test]
    fn parses_upstreams_layout() {
        let data = parse(FILE.as_bytes(), false).expect("valid");
        assert_eq!(data.version(), "7");
        assert_eq!(data.last_updated_date_time(), "1700000000");
        assert_eq!(data.last_updated_unix_secs(), Some(1_700_000_000));
        assert_eq!(data.role_count(), 2);
        assert_eq!(data.user_count(), 1);
        assert!(
            data.role("arn:aws:iam::000000000000:role/kubernetesadmin")
                .is_some()
        );
        // Assumed-role ARNs are canonicalised (after lowercasing).
        assert!(data.role("arn:aws:iam::000000000000:role/dev").is_some());
        assert!(data.user("arn:aws:iam::000000000000:user/alice").is_some());
        assert!(data.is_account_allowed("111111111111"));
        assert!(data.warnings().is_empty());
        assert!(!data.user_id_strict());
    }

    #[test]
    fn maps_roles_then_users_by_lowercased_arn() {
        let m = DynamicFileMapper::new(false);
        m.load(FILE.as_bytes()).expect("valid");
        let got = m
            .map(
                &identity("arn:aws:iam::000000000000:role/KubernetesAdmin")
                    .user_id("AROAADMIN")
                    .build(),
            )
            .expect("mapped");
        assert_eq!(got.username, "admin:{{SessionName}}");
        assert_eq!(
            got.identity_arn,
            "arn:aws:iam::000000000000:role/kubernetesadmin"
        );
        assert_eq!(got.userid.as_deref(), Some("AROAADMIN"));
        let got = m
            .map(
                &identity("arn:aws:iam::000000000000:user/ALICE")
                    .user_id("x")
                    .build(),
            )
            .expect("mapped");
        assert_eq!(got.username, "alice");
        assert_eq!(
            m.map(
                &identity("arn:aws:iam::000000000000:role/Other")
                    .user_id("x")
                    .build()
            ),
            Err(MapError::NotMapped)
        );
        assert!(m.is_account_allowed("111111111111"));
        assert_eq!(m.name(), "DynamicFile");
    }

    #[test]
    fn roles_win_over_users_with_the_same_key() {
        let file = r#"{"mapRoles":[{"rolearn":"arn:aws:iam::1:user/x","username":"role"}],
                      "mapUsers":[{"userarn":"arn:aws:iam::1:user/x","username":"user"}]}"#;
        let m = DynamicFileMapper::new(false);
        m.load(file.as_bytes()).expect("valid");
        let got = m
            .map(&identity("arn:aws:iam::1:user/x").user_id("AIDA").build())
            .expect("mapped");
        assert_eq!(got.username, "role");
    }

    #[test]
    fn a_missing_key_rejects_the_whole_file() {
        let file = r#"{"mapRoles":[{"rolearn":"arn:aws:iam::1:role/a","username":"a"},{"username":"no-arn"}]}"#;
        assert_eq!(
            parse(file.as_bytes(), false),
            Err("error parsing dynamic file: [value for rolearn or userid(if dynamicfileUserIDStrict = true) must be supplied]".to_string())
        );
        // Strict mode wants `userid`, even when the ARN is there.
        let file = r#"{"mapRoles":[{"rolearn":"arn:aws:iam::1:role/a","username":"a"}],
                      "mapUsers":[{"userarn":"arn:aws:iam::1:user/u","username":"u"}]}"#;
        assert_eq!(
            parse(file.as_bytes(), true),
            Err("error parsing dynamic file: [value for userarn or userid(if dynamicfileUserIDStrict = true) must be supplied value for rolearn or userid(if dynamicfileUserIDStrict = true) must be supplied]".to_string())
        );
        // The previous mappings survive a rejected file.
        let m = DynamicFileMapper::new(false);
        m.load(FILE.as_bytes()).expect("valid");
        assert!(m.load(b"{\"mapRoles\":[{}]}").is_err());
        assert!(m.load(b"{not json").is_err());
        assert!(m.load(b"").is_err());
        assert!(m.is_account_allowed("111111111111"));
    }

    #[test]
    fn type_errors_reject_the_whole_file() {
        for bad in [
            r#"{"Version": [7]}"#,
            r#"{"mapAccounts": [[111111111111]]}"#,
            r#"{"mapAccounts": {"a": "b"}}"#,
            r#"{"mapRoles": "x"}"#,
            r#"{"mapRoles": [{"rolearn": "arn:aws:iam::1:role/a", "groups": [["g"]]}]}"#,
            r#"{"mapRoles": [{"rolearn": "arn:aws:iam::1:role/a", "username": {"a": 1}}]}"#,
            r#"[]"#,
        ] {
            assert!(parse(bad.as_bytes(), false).is_err(), "{bad}");
        }
        // Deep nesting hits serde_json's recursion limit instead of the stack.
        let deep = format!(
            "{{\"mapRoles\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse(deep.as_bytes(), false).is_err());
        // null is Go's zero value: an empty file's worth of data.
        let data = parse(b"null", false).expect("null");
        assert_eq!(data, DynamicFileData::empty(false));
        // Top-level keys are case-insensitive too.
        let data = parse(br#"{"MAPACCOUNTS": ["1"], "version": "2"}"#, false).expect("valid");
        assert!(data.is_account_allowed("1"));
        assert_eq!(data.version(), "2");
    }

    #[test]
    fn values_of_another_type_are_converted_as_upstreams_config_decoder_does() {
        let file = r#"{"Version": 7, "mapAccounts": 111111111111,
            "mapRoles": {"rolearn": "arn:aws:iam::1:role/a", "username": 12345, "groups": "devs,ops"},
            "mapUsers": [{"userarn": "arn:aws:iam::1:user/u", "username": "u", "groups": [true, 5]}]}"#;
        let data = parse(file.as_bytes(), false).expect("lenient");
        assert_eq!(data.version(), "7");
        assert!(data.is_account_allowed("111111111111"));
        let role = data.role("arn:aws:iam::1:role/a").expect("role");
        assert_eq!(role.username, "12345");
        assert_eq!(role.groups, vec!["devs", "ops"]);
        let user = data.user("arn:aws:iam::1:user/u").expect("user");
        assert_eq!(user.groups, vec!["1", "5"]);
        let warnings = data.warnings().join("\n");
        for expected in [
            "mapAccounts: read the number 111111111111 as the list [\"111111111111\"]",
            "mapRoles: read a mapping as a one-item list",
            "mapRoles[0].username: read the number 12345 as the string \"12345\"",
            "mapRoles[0].groups: read the string \"devs,ops\" as the list [\"devs\", \"ops\"]",
            "mapUsers[0].groups[0]: read the boolean true as the string \"1\"",
            "mapUsers[0].groups[1]: read the number 5 as the string \"5\"",
        ] {
            assert!(warnings.contains(expected), "{expected} not in {warnings}");
        }
    }

    #[test]
    fn strict_mode_keys_by_user_id_and_checks_the_arn() {
        let file = r#"{"mapRoles":[
            {"rolearn":"arn:aws:iam::000000000000:role/team/Admin","userid":"AROAADMIN","username":"admin"},
            {"userid":"AROANOARN","username":"no-arn"},
            {"rolearn":"arn:aws:iam::000000000000:role/Renamed","userid":"AROAOLD","username":"old"},
            {"rolearn":"garbage","userid":"AROAGARBAGE","username":"garbage"}
          ],
          "mapUsers":[{"userarn":"arn:aws:iam::000000000000:user/Bob","userid":"AIDABOB","username":"bob"}]}"#;
        let m = DynamicFileMapper::new(true);
        let data = m.load(file.as_bytes()).expect("valid");
        assert!(data.user_id_strict());
        assert!(data.role("AROAADMIN").is_some());
        // The ARN matches once its path is stripped.
        let got = m
            .map(
                &identity("arn:aws:iam::000000000000:role/Admin")
                    .user_id("AROAADMIN")
                    .build(),
            )
            .expect("mapped");
        assert_eq!(got.username, "admin");
        // Lookups are by user ID only.
        assert_eq!(
            m.map(
                &identity("arn:aws:iam::000000000000:role/Admin")
                    .user_id("AROAOTHER")
                    .build()
            ),
            Err(MapError::NotMapped)
        );
        // No ARN in the mapping: the user ID alone decides.
        let got = m
            .map(
                &identity("arn:aws:iam::000000000000:role/Anything")
                    .user_id("AROANOARN")
                    .build(),
            )
            .expect("mapped");
        assert_eq!(got.username, "no-arn");
        // Same user ID, different ARN: mismatch.
        let err = m
            .map(
                &identity("arn:aws:iam::000000000000:role/NewName")
                    .user_id("AROAOLD")
                    .build(),
            )
            .unwrap_err();
        assert_eq!(err, MapError::ArnMismatch);
        assert_eq!(err.to_string(), "ARN does not match User ID");
        // An unparsable ARN in the mapping is a mismatch too.
        assert_eq!(
            m.map(
                &identity("arn:aws:iam::000000000000:role/x")
                    .user_id("AROAGARBAGE")
                    .build()
            ),
            Err(MapError::ArnMismatch)
        );
        let got = m
            .map(
                &identity("arn:aws:iam::000000000000:user/bob")
                    .user_id("AIDABOB")
                    .build(),
            )
            .expect("mapped");
        assert_eq!(got.username, "bob");
        assert_eq!(got.identity_arn, "arn:aws:iam::000000000000:user/bob");
    }

    #[test]
    fn arns_that_do_not_canonicalise_are_warned_about() {
        let file = r#"{"mapRoles":[{"rolearn":"not-an-arn","username":"x"},
                                   {"rolearn":"arn:aws:iam::1:role/a","username":"a"},
                                   {"rolearn":"arn:aws:iam::1:role/A","username":"b"}]}"#;
        let data = parse(file.as_bytes(), false).expect("valid");
        assert_eq!(data.role_count(), 1);
        assert_eq!(data.warnings().len(), 2, "{:?}", data.warnings());
        assert!(
            data.warnings()
                .iter()
                .any(|w| w.starts_with("mapRoles[0]: "))
        );
        assert!(
            data.warnings()
                .iter()
                .any(|w| w.contains("mapRoles[2] wins"))
        );
    }

    #[test]
    fn update_and_clear_swap_atomically() {
        let m = DynamicFileMapper::new(false);
        let alice = identity("arn:aws:iam::000000000000:user/Alice")
            .user_id("x")
            .build();
        assert_eq!(m.map(&alice), Err(MapError::NotMapped));
        m.update(parse(FILE.as_bytes(), false).expect("valid"));
        assert!(m.map(&alice).is_ok());
        let before = m.snapshot();
        m.clear();
        assert_eq!(m.map(&alice), Err(MapError::NotMapped));
        assert!(!m.is_account_allowed("111111111111"));
        // A snapshot taken before keeps serving its data.
        assert!(
            before
                .user("arn:aws:iam::000000000000:user/alice")
                .is_some()
        );
        assert!(!m.snapshot().user_id_strict());
        assert!(!m.user_id_strict());
    }
}
