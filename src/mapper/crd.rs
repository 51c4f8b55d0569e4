//! The `CRD` backend: `IAMIdentityMapping` custom resources
//! (`iamauthenticator.k8s.aws/v1alpha1`, cluster-scoped), upstream's `pkg/mapper/crd`.
//!
//! The resource type is derived with kube's `CustomResource`, and its generated
//! definition is the one in `deploy/iamidentitymapping.yaml` (a test compares them).
//! A kube-rs reflector keeps every mapping in a store; after each change the mapper's
//! index from lowercased canonical ARN to mapping is rebuilt and swapped in, so a lookup
//! is one hash-map read and never waits on the API server.
//!
//! As upstream's controller does, `status.canonicalARN` is set to
//! `canonicalize(lower(spec.arn))` (through the status subresource). Upstream indexes on
//! that status field, so a new mapping only takes effect once its controller has written
//! it; we index on the same value computed from `spec.arn`, which takes effect at once.
//! Upstream never writes `status.userID`, and neither do we (it is kept in the schema).
//! A mapping whose ARN cannot be canonicalised is skipped with a warning. When several
//! mappings name the same ARN, the oldest wins (upstream: whichever its index returns
//! first) and the others are reported.
//!
//! No `mapAccounts`, no SSO matching, no reserved prefixes: as upstream.

use std::collections::HashMap;
use std::sync::Arc;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{BackendMode, BackendObserver, IdentityMapping, MapError, Mapper, Published};
use crate::token::identity::Identity;

/// The spec of an `IAMIdentityMapping`: one IAM ARN and the Kubernetes user it maps to.
#[derive(CustomResource, Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[kube(
    group = "iamauthenticator.k8s.aws",
    version = "v1alpha1",
    kind = "IAMIdentityMapping",
    plural = "iamidentitymappings",
    singular = "iamidentitymapping",
    status = "IAMIdentityMappingStatus",
    category = "all"
)]
pub struct IAMIdentityMappingSpec {
    /// The IAM user or role ARN (an assumed-role ARN is canonicalised to its role).
    #[serde(deserialize_with = "lenient::arn")]
    #[schemars(with = "String")]
    pub arn: String,
    /// The Kubernetes username (templates such as `{{SessionName}}` are rendered).
    #[serde(deserialize_with = "lenient::username")]
    #[schemars(with = "String")]
    pub username: String,
    /// The Kubernetes groups.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "lenient::groups"
    )]
    #[schemars(with = "Vec<String>")]
    pub groups: Vec<String>,
}

/// The spec's fields read with the conversions every other source gets (see
/// [`document`](super::document)): a number where the ARN or username belongs, a single
/// group where the list belongs. The API server checks a v1 CRD's schema on every
/// write, so such objects are rare (a CRD installed without the schema); each conversion
/// is logged, since the object's name is not known here.
mod lenient {
    use serde::{Deserialize, Deserializer};

    use crate::mapper::document::{Coercions, Node, set_string, set_string_list};

    const TY: &str = "IAMIdentityMappingSpec";

    fn log(notes: &Coercions) {
        for c in notes {
            tracing::warn!(
                "IAMIdentityMapping spec.{c}: a value of another type, converted as upstream's config-file decoder converts it"
            );
        }
    }

    fn string<'de, D: Deserializer<'de>>(d: D, field: &str) -> Result<String, D::Error> {
        let node = Node::deserialize(d)?;
        let mut out = String::new();
        let mut notes = Coercions::new();
        set_string(&node, TY, field, &mut out, &mut notes).map_err(serde::de::Error::custom)?;
        log(&notes);
        Ok(out)
    }

    pub(super) fn arn<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        string(d, "arn")
    }

    pub(super) fn username<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        string(d, "username")
    }

    pub(super) fn groups<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let node = Node::deserialize(d)?;
        let mut out = Vec::new();
        let mut notes = Coercions::new();
        set_string_list(&node, TY, "groups", &mut out, &mut notes)
            .map_err(serde::de::Error::custom)?;
        log(&notes);
        Ok(out)
    }
}

/// The status of an `IAMIdentityMapping`, written by the server.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
pub struct IAMIdentityMappingStatus {
    /// `canonicalize(lower(spec.arn))`.
    #[serde(
        rename = "canonicalARN",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub canonical_arn: Option<String>,
    /// Reserved (upstream never sets it).
    #[serde(rename = "userID", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// What a lookup returns: the mapping's username and groups.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    username: String,
    groups: Vec<String>,
}

/// The CRD mapper: serves lookups from the index the watcher rebuilds.
#[derive(Debug, Default)]
pub struct CrdMapper {
    index: Published<HashMap<String, Entry>>,
    /// The watch has listed the mappings once.
    pub synced: crate::mapper::Synced,
}

/// The canonical ARN a mapping is indexed under.
pub fn canonical_key(spec_arn: &str) -> Result<String, crate::arn::ArnError> {
    crate::arn::canonicalize(&spec_arn.to_lowercase())
}

impl CrdMapper {
    /// An empty mapper.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the index from every mapping in the store. Returns the duplicate ARNs
    /// and the mappings that were skipped, as warnings.
    pub fn rebuild(&self, mappings: &[Arc<IAMIdentityMapping>]) -> Vec<String> {
        let mut sorted: Vec<&Arc<IAMIdentityMapping>> = mappings.iter().collect();
        sorted.sort_by(|a, b| {
            let key = |m: &IAMIdentityMapping| {
                (
                    m.metadata.creation_timestamp.as_ref().map(|t| t.0),
                    m.metadata.name.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        let mut warnings = Vec::new();
        let mut index: HashMap<String, (String, Entry)> = HashMap::new();
        for m in sorted {
            let name = m.metadata.name.clone().unwrap_or_default();
            // Role ARNs are indexed without their path (upstream #268); the status
            // keeps upstream's `canonicalize(lower(spec.arn))`.
            let key = match canonical_key(&m.spec.arn) {
                Ok(k) => super::index::role_key(k),
                Err(e) => {
                    warnings.push(format!(
                        "IAMIdentityMapping {name}: spec.arn {:?} is not a valid ARN: {e}; ignored",
                        m.spec.arn
                    ));
                    continue;
                }
            };
            if let Some((first, _)) = index.get(&key) {
                warnings.push(format!(
                    "IAMIdentityMapping {name} maps {key}, which {first} already maps; {first} wins (delete one of them)"
                ));
                continue;
            }
            index.insert(
                key,
                (
                    name,
                    Entry {
                        username: m.spec.username.clone(),
                        groups: m.spec.groups.clone(),
                    },
                ),
            );
        }
        let index = Arc::new(index.into_iter().map(|(k, (_, e))| (k, e)).collect());
        self.index.store(index);
        warnings
    }

    /// How many ARNs are mapped.
    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn snapshot(&self) -> Arc<HashMap<String, Entry>> {
        self.index.load()
    }
}

impl Mapper for CrdMapper {
    fn mode(&self) -> BackendMode {
        BackendMode::Crd
    }

    fn is_ready(&self) -> bool {
        self.synced.get()
    }

    /// Exact lookup of the lowercased canonical ARN; the returned `identity_arn` is
    /// lowercased, as upstream.
    fn map(&self, identity: &Identity) -> Result<IdentityMapping, MapError> {
        let arn = identity.canonical_arn.to_lowercase();
        let entry = self
            .snapshot()
            .get(&arn)
            .cloned()
            .ok_or(MapError::NotMapped)?;
        Ok(IdentityMapping {
            identity_arn: arn,
            username: entry.username,
            groups: entry.groups,
            userid: None,
        })
    }

    fn is_account_allowed(&self, _account_id: &str) -> bool {
        false
    }
}

/// Keeps `mapper` in step with the cluster's `IAMIdentityMapping` objects and writes
/// their `status.canonicalARN`; runs until dropped. Watch failures are retried with
/// backoff.
pub async fn run_watch(
    client: kube::Client,
    mapper: Arc<CrdMapper>,
    observer: Arc<dyn BackendObserver>,
) {
    use futures_util::StreamExt;
    use kube::runtime::{WatchStreamExt, reflector, watcher};

    let api: kube::Api<IAMIdentityMapping> = kube::Api::all(client);
    let (store, writer) = reflector::store();
    let stream = watcher(api.clone(), watcher::Config::default())
        .default_backoff()
        .reflect(writer);
    let mut stream = std::pin::pin!(stream);
    let mut synced = false;
    while let Some(event) = stream.next().await {
        let changed = match event {
            Ok(watcher::Event::Apply(m) | watcher::Event::InitApply(m)) => {
                write_status(&api, &m).await;
                synced
            }
            Ok(watcher::Event::Delete(_)) => synced,
            Ok(watcher::Event::Init) => false,
            Ok(watcher::Event::InitDone) => {
                synced = true;
                true
            }
            Err(e) => {
                observer.watch_failure(BackendMode::Crd);
                tracing::warn!("watching IAMIdentityMappings failed: {e}; retrying with backoff");
                false
            }
        };
        if changed {
            for warning in mapper.rebuild(&store.state()) {
                tracing::warn!("{warning}");
            }
            mapper.synced.mark();
            tracing::debug!(mapped = mapper.len(), "IAMIdentityMapping index rebuilt");
        }
    }
}

/// Sets `status.canonicalARN` when it is missing or stale (upstream's controller).
/// Failures are logged; the next change of the object retries.
async fn write_status(api: &kube::Api<IAMIdentityMapping>, mapping: &IAMIdentityMapping) {
    let Some(name) = mapping.metadata.name.as_deref() else {
        return;
    };
    let Ok(canonical) = canonical_key(&mapping.spec.arn) else {
        return;
    };
    let current = mapping
        .status
        .as_ref()
        .and_then(|s| s.canonical_arn.as_deref());
    if current == Some(canonical.as_str()) {
        return;
    }
    let patch = serde_json::json!({ "status": { "canonicalARN": canonical } });
    match api
        .patch_status(
            name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => {
            tracing::info!(name, canonical_arn = %canonical, "IAMIdentityMapping status synced")
        }
        Err(e) => tracing::warn!(name, "cannot update the IAMIdentityMapping status: {e}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::test_support::identity;
    use kube::CustomResourceExt;

    fn mapping(name: &str, arn: &str, username: &str, created: i64) -> Arc<IAMIdentityMapping> {
        let mut m = IAMIdentityMapping::new(
            name,
            IAMIdentityMappingSpec {
                arn: arn.into(),
                username: username.into(),
                groups: vec!["g".into()],
            },
        );
        m.metadata.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            k8s_openapi::jiff::Timestamp::from_second(created).unwrap(),
        ));
        Arc::new(m)
    }

    #[test]
    fn lookups_use_the_canonical_lowercased_arn() {
        let m = CrdMapper::new();
        let warnings = m.rebuild(&[
            mapping("a", "arn:aws:iam::111122223333:user/Alice", "alice", 1),
            // An assumed-role ARN maps its role, path dropped.
            mapping(
                "b",
                "arn:aws:sts::111122223333:assumed-role/Dev/session",
                "dev",
                2,
            ),
        ]);
        assert!(warnings.is_empty(), "{warnings:?}");
        let got = m
            .map(&identity("arn:aws:iam::111122223333:user/ALICE").build())
            .unwrap();
        assert_eq!(got.username, "alice");
        assert_eq!(got.identity_arn, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(
            m.map(&identity("arn:aws:iam::111122223333:role/dev").build())
                .unwrap()
                .username,
            "dev"
        );
        assert!(matches!(
            m.map(&identity("arn:aws:iam::111122223333:user/bob").build()),
            Err(MapError::NotMapped)
        ));
        assert!(!m.is_account_allowed("111122223333"));
    }

    #[test]
    fn role_arns_with_paths_match_the_assumed_role() {
        let m = CrdMapper::new();
        let warnings = m.rebuild(&[mapping(
            "admin",
            "arn:aws:iam::111122223333:role/teams/platform/Admin",
            "admin",
            1,
        )]);
        assert!(warnings.is_empty(), "{warnings:?}");
        // What an assumed role canonicalises to: no path.
        let got = m
            .map(&identity("arn:aws:iam::111122223333:role/Admin").build())
            .unwrap();
        assert_eq!(got.username, "admin");
        // The status keeps upstream's value, path included.
        assert_eq!(
            canonical_key("arn:aws:iam::111122223333:role/teams/platform/Admin").unwrap(),
            "arn:aws:iam::111122223333:role/teams/platform/admin"
        );
    }

    #[test]
    fn spec_values_of_another_type_are_converted() {
        let spec: IAMIdentityMappingSpec = serde_json::from_value(serde_json::json!({
            "arn": "arn:aws:iam::111122223333:user/u", "username": 12345, "groups": "devs"
        }))
        .unwrap();
        assert_eq!(spec.username, "12345");
        assert_eq!(spec.groups, vec!["devs"]);
        let spec: IAMIdentityMappingSpec = serde_json::from_value(serde_json::json!({
            "arn": "arn:aws:iam::111122223333:user/u", "username": "u"
        }))
        .unwrap();
        assert!(spec.groups.is_empty());
        assert!(
            serde_json::from_value::<IAMIdentityMappingSpec>(
                serde_json::json!({"arn": ["x"], "username": "u"})
            )
            .is_err()
        );
    }

    #[test]
    fn duplicates_keep_the_oldest_and_bad_arns_are_reported() {
        let m = CrdMapper::new();
        let warnings = m.rebuild(&[
            mapping(
                "newer",
                "arn:aws:iam::111122223333:user/alice",
                "second",
                20,
            ),
            mapping("older", "arn:aws:iam::111122223333:user/alice", "first", 10),
            mapping("bad", "not-an-arn", "x", 5),
        ]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("bad") && w.contains("not a valid ARN"))
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("newer") && w.contains("older wins"))
        );
        assert_eq!(
            m.map(&identity("arn:aws:iam::111122223333:user/alice").build())
                .unwrap()
                .username,
            "first"
        );
        // A rebuild replaces the whole index.
        m.rebuild(&[]);
        assert!(m.is_empty());
    }

    /// Every key of `deploy/iamidentitymapping.yaml` (upstream's CRD) has the same value
    /// in the derived definition; schema nodes may only add annotations (descriptions,
    /// `nullable`, a title), never properties or types. The one addition kube's derive
    /// always makes is `required: [spec]` at the root, which every valid object meets.
    #[test]
    fn the_derived_definition_is_the_one_in_deploy() {
        fn covers(derived: &serde_json::Value, deploy: &serde_json::Value, path: &str) {
            match deploy {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        let d = derived
                            .get(k)
                            .unwrap_or_else(|| panic!("derived CRD lacks {path}.{k}"));
                        covers(d, v, &format!("{path}.{k}"));
                    }
                    if path.ends_with(".properties") {
                        let extra: Vec<&String> = derived
                            .as_object()
                            .unwrap()
                            .keys()
                            .filter(|k| !map.contains_key(*k))
                            .collect();
                        assert!(extra.is_empty(), "derived CRD adds {path}: {extra:?}");
                    }
                }
                serde_json::Value::Array(items) => {
                    let d = derived.as_array().unwrap();
                    assert_eq!(d.len(), items.len(), "{path}");
                    if path.ends_with(".required") {
                        let mut a: Vec<_> = d.iter().map(|x| x.to_string()).collect();
                        let mut b: Vec<_> = items.iter().map(|x| x.to_string()).collect();
                        a.sort();
                        b.sort();
                        assert_eq!(a, b, "{path}");
                    } else {
                        for (i, (x, y)) in d.iter().zip(items).enumerate() {
                            covers(x, y, &format!("{path}[{i}]"));
                        }
                    }
                }
                other => assert_eq!(derived, other, "{path}"),
            }
        }
        let text = include_str!("../../deploy/iamidentitymapping.yaml");
        let doc = &text[text.find("\n---\n").unwrap() + 5..];
        let deploy: serde_json::Value = serde_saphyr::from_str(doc).unwrap();
        let derived = serde_json::to_value(IAMIdentityMapping::crd()).unwrap();
        covers(&derived, &deploy, "");
        // And nothing beyond upstream at the top of the spec.
        let keys: Vec<&String> = derived["spec"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["group", "names", "scope", "versions"]);
    }
}
