//! Placeholder.
#![allow(missing_docs)]
use super::*;
#[derive(Debug)]
pub struct DuplicateMapping {
    pub key: String,
}
pub struct FileMapper {
    roles: Vec<RoleMapping>,
    users: Vec<UserMapping>,
    accounts: Vec<String>,
}
impl FileMapper {
    pub fn new(
        roles: Vec<RoleMapping>,
        users: Vec<UserMapping>,
        accounts: Vec<String>,
        _sso: bool,
    ) -> Result<(FileMapper, Vec<DuplicateMapping>), String> {
        Ok((
            FileMapper {
                roles,
                users,
                accounts,
            },
            vec![],
        ))
    }
}
impl Mapper for FileMapper {
    fn name(&self) -> &'static str {
        "MountedFile"
    }
    fn mode(&self) -> BackendMode {
        BackendMode::MountedFile
    }
    fn map(&self, identity: &Identity) -> Result<IdentityMapping, MapError> {
        for r in &self.roles {
            if r.rolearn
                .as_deref()
                .map(|a| a.eq_ignore_ascii_case(&identity.canonical_arn))
                .unwrap_or(false)
            {
                return Ok(IdentityMapping {
                    identity_arn: identity.canonical_arn.clone(),
                    username: r.username.clone(),
                    groups: r.groups.clone(),
                    userid: None,
                });
            }
        }
        for u in &self.users {
            if u.userarn.eq_ignore_ascii_case(&identity.canonical_arn) {
                return Ok(IdentityMapping {
                    identity_arn: identity.canonical_arn.clone(),
                    username: u.username.clone(),
                    groups: u.groups.clone(),
                    userid: None,
                });
            }
        }
        Err(MapError::NotMapped)
    }
    fn is_account_allowed(&self, a: &str) -> bool {
        self.accounts.iter().any(|x| x == a)
    }
}
