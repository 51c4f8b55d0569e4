//! The `aws-auth` fixtures shared by the configmap tests: the `data` values of upstream's
//! `pkg/mapper/configmap/yaml/aws-auth*.yaml`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

/// A ConfigMap `data` map from `(key, value)` pairs.
pub(super) fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) const ROLES_YAML: &str =
    "- rolearn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
";
pub(super) const USERS_YAML: &str = "- userarn: arn:aws:iam::555555555555:user/admin
  username: admin
  groups:
    - system:masters
";
pub(super) const ACCOUNTS_YAML: &str = "- 555555555555\n";
