//! Placeholder: replaced by the real mapper module.
#![allow(missing_docs)]
use crate::token::Identity;
use std::collections::HashMap;
use std::sync::Arc;

pub mod file;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendMode {
    MountedFile,
    EksConfigMap,
    Crd,
    DynamicFile,
}
impl std::fmt::Display for BackendMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
#[derive(Debug)]
pub enum MapError {
    NotMapped,
    Other(String),
}
impl std::fmt::Display for MapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MapError::NotMapped => f.write_str("identity is not mapped"),
            MapError::Other(s) => f.write_str(s),
        }
    }
}
impl std::error::Error for MapError {}
pub struct MappedUser {
    pub username: String,
    pub groups: Vec<String>,
    pub mapper: BackendMode,
}
pub trait PrivateDnsLookup: Send + Sync {}
pub trait Mapper: Send + Sync {
    fn name(&self) -> &'static str;
    fn mode(&self) -> BackendMode;
    fn map(&self, identity: &Identity) -> Result<IdentityMapping, MapError>;
    fn is_account_allowed(&self, account_id: &str) -> bool;
}
pub struct IdentityMapping {
    pub identity_arn: String,
    pub username: String,
    pub groups: Vec<String>,
    pub userid: Option<String>,
}
pub struct MapperChain {
    mappers: Vec<Arc<dyn Mapper>>,
}
impl MapperChain {
    pub fn new(
        mappers: Vec<Arc<dyn Mapper>>,
        _reserved: HashMap<BackendMode, Vec<String>>,
        _ec2: Option<Arc<dyn PrivateDnsLookup>>,
    ) -> Self {
        Self { mappers }
    }
    pub async fn map(&self, identity: &Identity) -> Result<MappedUser, MapError> {
        for m in &self.mappers {
            if let Ok(x) = m.map(identity) {
                return Ok(MappedUser {
                    username: x.username,
                    groups: x.groups,
                    mapper: m.mode(),
                });
            }
        }
        Err(MapError::NotMapped)
    }
}
pub fn validate_backend_modes(modes: &[String]) -> Result<Vec<BackendMode>, String> {
    Ok(modes.iter().map(|_| BackendMode::MountedFile).collect())
}
#[derive(Clone, Debug, serde::Deserialize)]
pub struct RoleMapping {
    pub rolearn: Option<String>,
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}
#[derive(Clone, Debug, serde::Deserialize)]
pub struct UserMapping {
    pub userarn: String,
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}
