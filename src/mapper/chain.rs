//! [`MapperChain`]: the configured backends in `backendMode` order, and upstream's
//! `doMapping` walk over them (explicit mapping, then that backend's `mapAccounts`, then
//! the next backend), with template rendering and the reserved-prefix check.
//!
//! This is the one function the webhook's request path calls; the backends only answer
//! "found", "not mapped" or an error, and everything about order and precedence is here.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::{
    BackendMode, IdentityMapping, MapError, Mapper, PrivateDnsLookup, RenderTarget, render,
};
use crate::token::identity::Identity;

/// The result of a successful mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedUser {
    /// The rendered Kubernetes username.
    pub username: String,
    /// The rendered Kubernetes groups.
    pub groups: Vec<String>,
    /// The backend that produced it.
    pub mapper: BackendMode,
}

/// The configured backends, in `backendMode` order, with their reserved username
/// prefixes and the EC2 lookup used by `{{EC2PrivateDNSName}}`.
pub struct MapperChain {
    mappers: Vec<Arc<dyn Mapper>>,
    reserved_prefixes: HashMap<BackendMode, Vec<String>>,
    ec2: Option<Arc<dyn PrivateDnsLookup>>,
}

impl fmt::Debug for MapperChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapperChain")
            .field("mappers", &self.current_modes())
            .field("reserved_prefixes", &self.reserved_prefixes)
            .field("ec2", &self.ec2.is_some())
            .finish()
    }
}

impl MapperChain {
    /// Builds a chain. Reserved prefixes are kept only for the backends upstream enforces
    /// them on ([`BackendMode::honours_reserved_prefixes`]); others are logged and dropped.
    pub fn new(
        mappers: Vec<Arc<dyn Mapper>>,
        reserved_prefixes: HashMap<BackendMode, Vec<String>>,
        ec2: Option<Arc<dyn PrivateDnsLookup>>,
    ) -> Self {
        let reserved_prefixes = reserved_prefixes
            .into_iter()
            .filter(|(mode, prefixes)| {
                let keep = mode.honours_reserved_prefixes();
                if !keep && !prefixes.is_empty() {
                    tracing::warn!(
                        "reservedPrefixConfig for backend {mode} is ignored: upstream never enforces it for the aws-auth ConfigMap"
                    );
                }
                keep
            })
            .collect();
        MapperChain {
            mappers,
            reserved_prefixes,
            ec2,
        }
    }

    /// The same chain with `ec2` as its `{{EC2PrivateDNSName}}` lookup.
    pub fn with_ec2(mut self, ec2: Option<Arc<dyn PrivateDnsLookup>>) -> Self {
        self.ec2 = ec2;
        self
    }

    /// The backends, in order.
    pub fn mappers(&self) -> &[Arc<dyn Mapper>] {
        &self.mappers
    }

    /// Whether every backend of the chain has its first data (`/readyz`).
    pub fn is_ready(&self) -> bool {
        self.mappers.iter().all(|m| m.is_ready())
    }

    /// The backend modes, in order.
    pub fn modes(&self) -> Vec<BackendMode> {
        self.mappers.iter().map(|m| m.mode()).collect()
    }

    /// The backend names joined by single spaces: upstream's `currentModes`, which the
    /// dynamic backend-mode file is compared against.
    pub fn current_modes(&self) -> String {
        self.mappers
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The reserved username prefixes enforced for `mode`.
    pub fn reserved_prefixes(&self, mode: BackendMode) -> &[String] {
        self.reserved_prefixes
            .get(&mode)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Upstream's `doMapping`. For each backend in order:
    ///
    /// 1. if it finds a mapping, render the username and every group (a failure is
    ///    [`MapError::Render`]), reject a username that starts with one of the backend's
    ///    reserved prefixes ([`MapError::ReservedPrefix`]), and return;
    /// 2. otherwise keep its error unless it is [`MapError::NotMapped`];
    /// 3. then, if the backend's `mapAccounts` lists the identity's account, return the
    ///    canonical ARN (original case) as username with no groups: no templates, no
    ///    prefix check.
    ///
    /// After the last backend: the collected errors, or [`MapError::NotMapped`].
    pub async fn map(&self, identity: &Identity) -> Result<MappedUser, MapError> {
        let mut errors = Vec::new();
        for mapper in &self.mappers {
            match mapper.map(identity) {
                Ok(mapping) => return self.finish(mapper.as_ref(), mapping, identity).await,
                Err(MapError::NotMapped) => {}
                Err(e) => errors.push(MapError::Backend {
                    mapper: mapper.name(),
                    source: Box::new(e),
                }),
            }
            if mapper.is_account_allowed(&identity.account_id) {
                return Ok(MappedUser {
                    username: identity.canonical_arn.clone(),
                    groups: Vec::new(),
                    mapper: mapper.mode(),
                });
            }
        }
        match errors.len() {
            0 => Err(MapError::NotMapped),
            1 => Err(errors.remove(0)),
            _ => Err(MapError::Aggregate(errors)),
        }
    }

    async fn finish(
        &self,
        mapper: &dyn Mapper,
        mapping: IdentityMapping,
        identity: &Identity,
    ) -> Result<MappedUser, MapError> {
        let ec2 = self.ec2.as_deref();
        let render_err = |target, template: &str, source| MapError::Render {
            mapper: mapper.name(),
            target,
            template: template.to_string(),
            source,
        };
        let username = render(&mapping.username, identity, ec2)
            .await
            .map_err(|e| render_err(RenderTarget::Username, &mapping.username, e))?;
        let mut groups = Vec::with_capacity(mapping.groups.len());
        for group in &mapping.groups {
            groups.push(
                render(group, identity, ec2)
                    .await
                    .map_err(|e| render_err(RenderTarget::Group, group, e))?,
            );
        }
        let prefixes = self.reserved_prefixes(mapper.mode());
        if prefixes
            .iter()
            .any(|p| !p.is_empty() && username.starts_with(p.as_str()))
        {
            return Err(MapError::ReservedPrefix {
                mapper: mapper.name(),
                username,
                prefixes: prefixes.to_vec(),
            });
        }
        Ok(MappedUser {
            username,
            groups,
            mapper: mapper.mode(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::test_support::{FakeDns, identity};
    use std::sync::Mutex;

    /// A backend with one canned answer and an account list.
    struct FakeMapper {
        mode: BackendMode,
        answer: Result<IdentityMapping, MapError>,
        accounts: Vec<String>,
        calls: Mutex<usize>,
    }

    impl FakeMapper {
        fn new(
            mode: BackendMode,
            answer: Result<IdentityMapping, MapError>,
            accounts: &[&str],
        ) -> Arc<Self> {
            Arc::new(FakeMapper {
                mode,
                answer,
                accounts: accounts.iter().map(|s| s.to_string()).collect(),
                calls: Mutex::new(0),
            })
        }
    }

    impl Mapper for FakeMapper {
        fn mode(&self) -> BackendMode {
            self.mode
        }
        fn map(&self, _identity: &Identity) -> Result<IdentityMapping, MapError> {
            if let Ok(mut c) = self.calls.lock() {
                *c += 1;
            }
            self.answer.clone()
        }
        fn is_account_allowed(&self, account_id: &str) -> bool {
            self.accounts.iter().any(|a| a == account_id)
        }
    }

    fn mapping(username: &str, groups: &[&str]) -> IdentityMapping {
        IdentityMapping {
            identity_arn: "arn:aws:iam::123456789012:role/test".to_string(),
            username: username.to_string(),
            groups: groups.iter().map(|s| s.to_string()).collect(),
            userid: None,
        }
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/Test";

    #[tokio::test]
    async fn chain_renders_username_and_groups() {
        let m = FakeMapper::new(
            BackendMode::MountedFile,
            Ok(mapping(
                "system:node:{{EC2PrivateDNSName}}",
                &["system:bootstrappers", "acct-{{AccountID}}"],
            )),
            &[],
        );
        let dns: Arc<dyn PrivateDnsLookup> = Arc::new(FakeDns::ok("ip-172-31-27-14"));
        let chain = MapperChain::new(vec![m], HashMap::new(), Some(dns));
        let id = identity(ROLE)
            .account("0123456789012")
            .session("i-0c6f21bf1f24f9708")
            .build();
        let user = chain.map(&id).await.expect("mapped");
        assert_eq!(
            user,
            MappedUser {
                username: "system:node:ip-172-31-27-14".to_string(),
                groups: vec![
                    "system:bootstrappers".to_string(),
                    "acct-0123456789012".to_string()
                ],
                mapper: BackendMode::MountedFile,
            }
        );
    }

    #[tokio::test]
    async fn chain_render_errors_name_the_mapper_and_template() {
        let m = FakeMapper::new(
            BackendMode::MountedFile,
            Ok(mapping("system:node:{{EC2PrivateDNSName}}", &[])),
            &[],
        );
        let chain = MapperChain::new(vec![m], HashMap::new(), None);
        let err = chain
            .map(&identity(ROLE).account("1").session("jdoe").build())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "mapper MountedFile renderTemplates error: error rendering username template \"system:node:{{EC2PrivateDNSName}}\": SessionName did not contain an instance id"
        );
        let m = FakeMapper::new(
            BackendMode::DynamicFile,
            Ok(mapping("u", &["ok", "{{EC2PrivateDNSName}}"])),
            &[],
        );
        let chain = MapperChain::new(vec![m], HashMap::new(), None);
        let err = chain
            .map(&identity(ROLE).account("1").session("jdoe").build())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "mapper DynamicFile renderTemplates error: error rendering group template \"{{EC2PrivateDNSName}}\": SessionName did not contain an instance id"
        );
    }

    #[tokio::test]
    async fn earlier_backends_map_accounts_beat_later_explicit_mappings() {
        let first = FakeMapper::new(
            BackendMode::MountedFile,
            Err(MapError::NotMapped),
            &["123456789012"],
        );
        let second = FakeMapper::new(
            BackendMode::DynamicFile,
            Ok(mapping("explicit", &["g"])),
            &[],
        );
        let chain = MapperChain::new(vec![first, second.clone()], HashMap::new(), None);
        let user = chain
            .map(&identity(ROLE).account("123456789012").session("s").build())
            .await
            .expect("mapped");
        assert_eq!(
            user,
            MappedUser {
                username: ROLE.to_string(),
                groups: vec![],
                mapper: BackendMode::MountedFile
            }
        );
        assert_eq!(*second.calls.lock().expect("lock"), 0);
    }

    #[tokio::test]
    async fn explicit_mapping_wins_over_same_backends_map_accounts() {
        let only = FakeMapper::new(
            BackendMode::MountedFile,
            Ok(mapping("explicit-{{SessionName}}", &["g"])),
            &["123456789012"],
        );
        let chain = MapperChain::new(vec![only], HashMap::new(), None);
        let user = chain
            .map(&identity(ROLE).account("123456789012").session("s").build())
            .await
            .expect("mapped");
        assert_eq!(user.username, "explicit-s");
        assert_eq!(user.groups, vec!["g".to_string()]);
    }

    #[tokio::test]
    async fn auto_mapped_accounts_skip_templates_and_reserved_prefixes() {
        // The canonical ARN keeps its case and is not checked against reserved prefixes.
        let arn = "arn:aws:iam::123456789012:role/{{SessionName}}";
        let m = FakeMapper::new(
            BackendMode::DynamicFile,
            Err(MapError::NotMapped),
            &["123456789012"],
        );
        let mut reserved = HashMap::new();
        reserved.insert(BackendMode::DynamicFile, vec!["arn:".to_string()]);
        let chain = MapperChain::new(vec![m], reserved, None);
        let user = chain
            .map(&identity(arn).account("123456789012").session("s").build())
            .await
            .expect("mapped");
        assert_eq!(user.username, arn);
        assert!(user.groups.is_empty());
    }

    #[tokio::test]
    async fn reserved_prefixes_reject_usernames_with_upstreams_message() {
        let m = FakeMapper::new(
            BackendMode::DynamicFile,
            Ok(mapping("system:admin", &[])),
            &[],
        );
        let mut reserved = HashMap::new();
        reserved.insert(
            BackendMode::DynamicFile,
            ["aws:", "iam:", "amazon:", "system:", "eks:"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
        let chain = MapperChain::new(vec![m], reserved.clone(), None);
        let err = chain
            .map(&identity(ROLE).account("1").session("s").build())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid username 'system:admin' for mapper DynamicFile: username must not begin with with the following prefixes: [aws: iam: amazon: system: eks:]"
        );
        // The prefix list of another backend does not apply.
        let m = FakeMapper::new(
            BackendMode::MountedFile,
            Ok(mapping("system:admin", &[])),
            &[],
        );
        let chain = MapperChain::new(vec![m], reserved, None);
        assert_eq!(
            chain
                .map(&identity(ROLE).account("1").session("s").build())
                .await
                .expect("mapped")
                .username,
            "system:admin"
        );
    }

    #[tokio::test]
    async fn reserved_prefixes_check_the_rendered_username_and_ignore_empty_prefixes() {
        let m = FakeMapper::new(
            BackendMode::MountedFile,
            Ok(mapping("{{SessionName}}", &[])),
            &[],
        );
        let mut reserved = HashMap::new();
        reserved.insert(
            BackendMode::MountedFile,
            vec![String::new(), "eks:".to_string()],
        );
        let chain = MapperChain::new(vec![m], reserved, None);
        assert!(matches!(
            chain
                .map(&identity(ROLE).account("1").session("eks:x").build())
                .await,
            Err(MapError::ReservedPrefix { .. })
        ));
        assert_eq!(
            chain
                .map(&identity(ROLE).account("1").session("dev").build())
                .await
                .expect("mapped")
                .username,
            "dev"
        );
    }

    #[tokio::test]
    async fn reserved_prefixes_for_configmap_are_ignored_as_upstream() {
        let m = FakeMapper::new(
            BackendMode::EksConfigMap,
            Ok(mapping("system:admin", &[])),
            &[],
        );
        let mut reserved = HashMap::new();
        reserved.insert(BackendMode::EksConfigMap, vec!["system:".to_string()]);
        let chain = MapperChain::new(vec![m], reserved, None);
        assert!(
            chain
                .reserved_prefixes(BackendMode::EksConfigMap)
                .is_empty()
        );
        assert!(
            chain
                .map(&identity(ROLE).account("1").session("s").build())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn errors_are_collected_and_aggregated() {
        let a = FakeMapper::new(BackendMode::DynamicFile, Err(MapError::ArnMismatch), &[]);
        let b = FakeMapper::new(BackendMode::MountedFile, Err(MapError::NotMapped), &[]);
        let c = FakeMapper::new(
            BackendMode::EksConfigMap,
            Err(MapError::Unavailable {
                mode: BackendMode::EksConfigMap,
                reason: "not synced".to_string(),
            }),
            &[],
        );
        let chain = MapperChain::new(vec![a.clone()], HashMap::new(), None);
        let err = chain
            .map(&identity(ROLE).account("1").session("s").build())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "mapper DynamicFile Map error: ARN does not match User ID"
        );

        let chain = MapperChain::new(vec![a.clone(), b.clone(), c.clone()], HashMap::new(), None);
        let err = chain
            .map(&identity(ROLE).account("1").session("s").build())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "[mapper DynamicFile Map error: ARN does not match User ID, mapper EKSConfigMap Map error: EKSConfigMap backend is unavailable: not synced]"
        );
        // An error earlier in the chain does not stop a later mapping or account match.
        let d = FakeMapper::new(BackendMode::MountedFile, Err(MapError::NotMapped), &["1"]);
        let chain = MapperChain::new(vec![a, d], HashMap::new(), None);
        assert!(
            chain
                .map(&identity(ROLE).account("1").session("s").build())
                .await
                .is_ok()
        );
        // Nothing but NotMapped: NotMapped.
        let chain = MapperChain::new(vec![b], HashMap::new(), None);
        let err = chain
            .map(&identity(ROLE).account("1").session("s").build())
            .await
            .unwrap_err();
        assert_eq!(err, MapError::NotMapped);
        assert_eq!(err.to_string(), "identity is not mapped");
    }

    #[tokio::test]
    async fn empty_chain_is_not_mapped() {
        let chain = MapperChain::new(Vec::new(), HashMap::new(), None);
        assert_eq!(
            chain
                .map(&identity(ROLE).account("1").session("s").build())
                .await,
            Err(MapError::NotMapped)
        );
        assert_eq!(chain.current_modes(), "");
    }

    #[test]
    fn chain_reports_modes() {
        let a = FakeMapper::new(BackendMode::MountedFile, Err(MapError::NotMapped), &[]);
        let b = FakeMapper::new(BackendMode::DynamicFile, Err(MapError::NotMapped), &[]);
        let chain = MapperChain::new(vec![a, b], HashMap::new(), None);
        assert_eq!(
            chain.modes(),
            vec![BackendMode::MountedFile, BackendMode::DynamicFile]
        );
        assert_eq!(chain.current_modes(), "MountedFile DynamicFile");
        assert!(format!("{chain:?}").contains("MountedFile DynamicFile"));
    }
}
