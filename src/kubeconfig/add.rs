//! `kubeconfig add`: the cluster, user and context entries for one EKS cluster, named
//! as `aws eks update-kubeconfig` names them (all three are the cluster ARN; `--alias`
//! names the context), merged into a kubeconfig, with `current-context` set.

use std::path::Path;

use super::describe::ClusterInfo;
use super::file::Kubeconfig;
use super::node::Node;

/// The `apiVersion` of the exec block (what `aws eks update-kubeconfig` writes; kubectl
/// 1.11 onwards reads it).
pub const EXEC_API_VERSION: &str = "client.authentication.k8s.io/v1beta1";
/// The cluster extension kubectl hands to the plugin in `KUBERNETES_EXEC_INFO`
/// (`provideClusterInfo: true`).
pub const EXEC_EXTENSION: &str = "client.authentication.k8s.io/exec";

/// What the user asked for besides the cluster.
#[derive(Clone, Debug, Default)]
pub struct EntryOptions {
    /// `--role`: passed to `token -r`.
    pub role: Option<String>,
    /// `--profile` (or `AWS_PROFILE`): set as `AWS_PROFILE` in the exec block's `env`.
    pub profile: Option<String>,
    /// `--alias`: the context's name.
    pub alias: Option<String>,
}

/// The three entries and the context's name.
#[derive(Clone, Debug)]
pub struct Entries {
    /// `clusters[]` entry.
    pub cluster: Node,
    /// `users[]` entry.
    pub user: Node,
    /// `contexts[]` entry.
    pub context: Node,
    /// The context's name (the new `current-context`).
    pub context_name: String,
}

/// The region in the cluster's ARN (`arn:PARTITION:eks:REGION:...`), which is what
/// `aws eks update-kubeconfig` puts in the exec args.
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// Builds the entries for `info`, described in `region`, run by `command`.
pub fn entries(
    info: &ClusterInfo,
    region: &str,
    command: &Path,
    options: &EntryOptions,
) -> Entries {
    let name = if info.arn.is_empty() {
        info.name.clone()
    } else {
        info.arn.clone()
    };
    let region = arn_region(&info.arn).unwrap_or(region);
    let cluster_id = info.token_cluster_id();
    let ca = info
        .certificate_authority
        .as_ref()
        .and_then(|c| c.data.clone())
        .unwrap_or_default();
    let extension = Node::Map(vec![
        (Node::str("name"), Node::str(EXEC_EXTENSION)),
        (
            Node::str("extension"),
            Node::Map(vec![
                (Node::str("clusterID"), Node::str(cluster_id)),
                (Node::str("region"), Node::str(region)),
            ]),
        ),
    ]);
    let cluster = Node::Map(vec![
        (
            Node::str("cluster"),
            Node::Map(vec![
                (Node::str("certificate-authority-data"), Node::str(ca)),
                (
                    Node::str("server"),
                    Node::str(info.endpoint.clone().unwrap_or_default()),
                ),
                (Node::str("extensions"), Node::Seq(vec![extension])),
            ]),
        ),
        (Node::str("name"), Node::str(&name)),
    ]);

    let mut args = vec!["token", "-i", cluster_id, "--region", region];
    if let Some(role) = &options.role {
        args.extend(["-r", role.as_str()]);
    }
    let mut exec = vec![
        (Node::str("apiVersion"), Node::str(EXEC_API_VERSION)),
        (Node::str("args"), Node::strings(&args)),
        (Node::str("command"), Node::str(command.to_string_lossy())),
    ];
    if let Some(profile) = &options.profile {
        exec.push((
            Node::str("env"),
            Node::Seq(vec![Node::Map(vec![
                (Node::str("name"), Node::str("AWS_PROFILE")),
                (Node::str("value"), Node::str(profile)),
            ])]),
        ));
    }
    exec.push((Node::str("interactiveMode"), Node::str("IfAvailable")));
    exec.push((Node::str("provideClusterInfo"), Node::Bool(true)));
    let user = Node::Map(vec![
        (Node::str("name"), Node::str(&name)),
        (
            Node::str("user"),
            Node::Map(vec![(Node::str("exec"), Node::Map(exec))]),
        ),
    ]);

    let context_name = options.alias.clone().unwrap_or_else(|| name.clone());
    let context = Node::Map(vec![
        (
            Node::str("context"),
            Node::Map(vec![
                (Node::str("cluster"), Node::str(&name)),
                (Node::str("user"), Node::str(&name)),
            ]),
        ),
        (Node::str("name"), Node::str(&context_name)),
    ]);
    Entries {
        cluster,
        user,
        context,
        context_name,
    }
}

fn entry_name(entry: &Node) -> Option<&str> {
    entry.get("name").and_then(Node::as_str)
}

/// Merges one entry into the list `key`: an entry of the same name is updated, the
/// others are untouched; a new name is appended. In an existing entry, `inner` (the
/// `cluster`, `user` or `context` mapping) is merged key by key when `merge_inner` is
/// set — so a `proxy-url` or a context's `namespace` set by hand survives — and
/// replaced otherwise. Returns whether an entry was updated.
fn upsert(config: &mut Kubeconfig, key: &str, inner: &str, entry: Node, merge_inner: bool) -> bool {
    let name = entry_name(&entry).unwrap_or_default().to_string();
    let Some(list) = config.list_mut(key) else {
        return false;
    };
    let Some(existing) = list.iter_mut().find(|e| entry_name(e) == Some(&name)) else {
        list.push(entry);
        return false;
    };
    let new_inner = entry.get(inner).cloned().unwrap_or_else(Node::map);
    match (merge_inner, existing.get_mut(inner)) {
        (true, Some(old @ Node::Map(_))) => {
            if let Node::Map(fields) = new_inner {
                for (k, v) in fields {
                    let Some(k) = k.as_str() else { continue };
                    if k == "extensions" {
                        merge_extensions(old, v);
                    } else {
                        old.set(k, v);
                    }
                }
            }
        }
        _ => existing.set(inner, new_inner),
    }
    true
}

/// Replaces our extension in a cluster's `extensions`, keeping any others.
fn merge_extensions(cluster: &mut Node, new: Node) {
    let Node::Seq(new) = new else { return };
    let mut list = match cluster.get("extensions") {
        Some(Node::Seq(items)) => items.clone(),
        _ => Vec::new(),
    };
    for ext in new {
        let name = entry_name(&ext).map(str::to_string);
        match list
            .iter_mut()
            .find(|e| entry_name(e).map(str::to_string) == name)
        {
            Some(old) => *old = ext,
            None => list.push(ext),
        }
    }
    cluster.set("extensions", Node::Seq(list));
}

/// Merges `entries` and sets `current-context`. Returns whether the cluster was
/// already there (awscli's "Updated context" rather than "Added new context").
pub fn merge(config: &mut Kubeconfig, entries: Entries) -> bool {
    let updated = upsert(config, "clusters", "cluster", entries.cluster, true);
    upsert(config, "users", "user", entries.user, false);
    upsert(config, "contexts", "context", entries.context, true);
    config
        .root
        .set("current-context", Node::str(entries.context_name));
    updated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::describe::CertificateAuthority;

    fn info() -> ClusterInfo {
        ClusterInfo {
            name: "dev".into(),
            arn: "arn:aws:eks:eu-west-1:123456789012:cluster/dev".into(),
            endpoint: Some("https://ABC.gr7.eu-west-1.eks.amazonaws.com".into()),
            status: Some("ACTIVE".into()),
            id: None,
            certificate_authority: Some(CertificateAuthority {
                data: Some("LS0tQ0E=".into()),
            }),
            outpost_config: None,
        }
    }

    #[test]
    fn merge_keeps_other_entries_and_hand_set_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let arn = "arn:aws:eks:eu-west-1:123456789012:cluster/dev";
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster: {{server: https://other}}\n- name: {arn}\n  cluster:\n    server: https://old\n    proxy-url: http://proxy:3128\ncontexts:\n- name: {arn}\n  context: {{cluster: {arn}, user: {arn}, namespace: team}}\nusers:\n- name: other\n  user: {{token: t}}\ncurrent-context: other\nx-custom: kept\n"
            ),
        )
        .unwrap();
        let mut k = Kubeconfig::load(&path).unwrap();
        let e = entries(
            &info(),
            "eu-west-1",
            Path::new("/opt/aia"),
            &EntryOptions::default(),
        );
        assert!(merge(&mut k, e));
        let out = k.render().unwrap();
        let doc = Kubeconfig::parse(&path, &out).unwrap();
        let clusters = doc.get("clusters").unwrap().as_seq().unwrap();
        assert_eq!(clusters.len(), 2);
        let c = clusters[1].get("cluster").unwrap();
        assert_eq!(
            c.get("server").unwrap().as_str(),
            Some("https://ABC.gr7.eu-west-1.eks.amazonaws.com")
        );
        assert_eq!(
            c.get("proxy-url").unwrap().as_str(),
            Some("http://proxy:3128")
        );
        let ctx = doc.get("contexts").unwrap().as_seq().unwrap()[0]
            .get("context")
            .unwrap();
        assert_eq!(ctx.get("namespace").unwrap().as_str(), Some("team"));
        assert_eq!(doc.get("current-context").unwrap().as_str(), Some(arn));
        assert_eq!(doc.get("x-custom").unwrap().as_str(), Some("kept"));
        assert_eq!(doc.get("users").unwrap().as_seq().unwrap().len(), 2);
    }

    #[test]
    fn exec_block() {
        let opts = EntryOptions {
            role: Some("arn:aws:iam::123456789012:role/admin".into()),
            profile: Some("dev".into()),
            alias: Some("dev".into()),
        };
        let e = entries(&info(), "us-east-1", Path::new("/opt/aia"), &opts);
        let exec = e.user.get("user").unwrap().get("exec").unwrap();
        assert_eq!(
            exec.get("args").unwrap().string_list().unwrap(),
            [
                "token",
                "-i",
                "dev",
                "--region",
                "eu-west-1",
                "-r",
                "arn:aws:iam::123456789012:role/admin"
            ]
        );
        assert_eq!(exec.get("command").unwrap().as_str(), Some("/opt/aia"));
        assert_eq!(exec.get("provideClusterInfo"), Some(&Node::Bool(true)));
        assert_eq!(e.context_name, "dev");
        let env = &exec.get("env").unwrap().as_seq().unwrap()[0];
        assert_eq!(env.get("value").unwrap().as_str(), Some("dev"));
    }
}
