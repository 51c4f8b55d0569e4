//! `aws-iam-authenticator add user|role` (cargo feature `server`): add one mapping to the
//! `kube-system/aws-auth` ConfigMap, flag for flag with upstream's `add`.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use clap::{Args, Subcommand};

use super::CliError;
use crate::mapper::configmap::{NewMapping, add_to_aws_auth};
use crate::mapper::{RoleMapping, SsoArnMatcher, UserMapping};

const USER_EXAMPLES: &str = "\
Examples:
  aws-iam-authenticator add user --userarn arn:aws:iam::111122223333:user/alice \\
    --username alice --groups system:masters
  # without the confirmation prompt (scripts)
  aws-iam-authenticator add user --prompt=false --userarn arn:aws:iam::111122223333:user/ci \\
    --username ci --groups deployers";

const ROLE_EXAMPLES: &str = "\
Examples:
  aws-iam-authenticator add role --rolearn arn:aws:iam::111122223333:role/k8s-admin \\
    --username admin:{{SessionName}} --groups system:masters
  # an IAM Identity Center permission set
  aws-iam-authenticator add role --sso permissionSetName=Admin,accountID=111122223333 \\
    --username sso-admin --groups system:masters";

const ADD_EXAMPLES: &str = "\
Examples:
  aws-iam-authenticator add user --userarn arn:aws:iam::111122223333:user/alice --username alice --groups viewers
  aws-iam-authenticator add role --rolearn arn:aws:iam::111122223333:role/dev --username dev --groups editors";

/// Flags of `add` (upstream's persistent flags).
#[derive(Debug, Args)]
#[command(after_help = ADD_EXAMPLES)]
pub(crate) struct AddArgs {
    /// Ask for confirmation before changing aws-auth ('--prompt=false' to disable)
    #[arg(long = "prompt", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_name = "BOOL", global = true)]
    prompt: bool,
    /// kube-apiserver URL for creating Kubernetes client
    #[arg(long = "master-url", value_name = "URL", global = true)]
    master_url: Option<String>,
    /// kubeconfig file path; if empty, $KUBECONFIG or ~/.kube/config (or the in-cluster service account)
    #[arg(long = "kubeconfig", value_name = "PATH", global = true)]
    kubeconfig: Option<String>,
    /// kubeconfig context; if empty, the current context
    #[arg(long = "kubeconfig-context", value_name = "NAME", global = true)]
    kubeconfig_context: Option<String>,
    #[command(subcommand)]
    what: AddCommand,
}

#[derive(Debug, Subcommand)]
enum AddCommand {
    /// Add a user entity to an existing aws-auth configmap, not for CRD/file backends
    #[command(after_help = USER_EXAMPLES)]
    User(UserArgs),
    /// Add a role entity to an existing aws-auth configmap, not for CRD/file backends
    #[command(after_help = ROLE_EXAMPLES)]
    Role(RoleArgs),
}

#[derive(Debug, Args)]
struct UserArgs {
    /// A new user ARN
    #[arg(long = "userarn", value_name = "ARN")]
    userarn: Option<String>,
    /// A new user name
    #[arg(long = "username", value_name = "NAME")]
    username: Option<String>,
    /// A new user groups (comma-separated, or repeat the flag)
    #[arg(long = "groups", value_delimiter = ',', value_name = "GROUPS")]
    groups: Vec<String>,
}

#[derive(Debug, Args)]
struct RoleArgs {
    /// A new role ARN
    #[arg(long = "rolearn", value_name = "ARN")]
    rolearn: Option<String>,
    /// Settings for a new SSO role: permissionSetName=…,accountID=…[,partition=…]
    #[arg(long = "sso", value_name = "KEY=VALUE,...")]
    sso: Option<String>,
    /// A new user name
    #[arg(long = "username", value_name = "NAME")]
    username: Option<String>,
    /// A new role groups (comma-separated, or repeat the flag)
    #[arg(long = "groups", value_delimiter = ',', value_name = "GROUPS")]
    groups: Vec<String>,
}

/// `--sso permissionSetName=…,accountID=…[,partition=…]` (cobra's StringToString).
/// Upstream dereferences a nil pointer here and panics; this builds the matcher.
fn parse_sso(text: &str) -> Result<SsoArnMatcher, CliError> {
    let mut fields = HashMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            CliError::new(format!(
                "invalid --sso {text:?}: expected key=value pairs, e.g. permissionSetName=Admin,accountID=111122223333"
            ))
        })?;
        fields.insert(k.trim().to_string(), v.trim().to_string());
    }
    for key in ["permissionSetName", "accountID"] {
        if !fields.contains_key(key) {
            return Err(CliError::new(format!(
                "required key '{key}' missing from --sso flag"
            )));
        }
    }
    let matcher = SsoArnMatcher {
        permission_set_name: fields.remove("permissionSetName").unwrap_or_default(),
        account_id: fields.remove("accountID").unwrap_or_default(),
        partition: Some(fields.remove("partition").unwrap_or_else(|| "aws".into())),
    };
    if let Some(unknown) = fields.keys().next() {
        return Err(CliError::new(format!(
            "unknown key '{unknown}' in --sso flag (known: permissionSetName, accountID, partition)"
        )));
    }
    matcher
        .validate()
        .map_err(|e| CliError::with_cause("error validating --sso", e))?;
    Ok(matcher)
}

fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// What to add, and upstream's description of it for the prompt.
fn mapping(what: AddCommand) -> Result<(NewMapping, String), CliError> {
    match what {
        AddCommand::User(a) => {
            let userarn = a.userarn.unwrap_or_default();
            let username = a.username.unwrap_or_default();
            if userarn.is_empty() || username.is_empty() || a.groups.is_empty() {
                return Err(CliError::with_usage(
                    format!(
                        "invalid empty value in userARN {userarn:?}, username {username:?}, groups {:?}: --userarn, --username and --groups are required",
                        go_list(&a.groups)
                    ),
                    "add",
                ));
            }
            let action = format!(
                "add userarn {userarn}, username {username}, groups {}",
                go_list(&a.groups)
            );
            let user = UserMapping {
                userarn,
                username,
                groups: a.groups,
                userid: None,
            };
            Ok((NewMapping::User(user), action))
        }
        AddCommand::Role(a) => {
            let rolearn = a.rolearn.filter(|r| !r.is_empty());
            let username = a.username.unwrap_or_default();
            if (rolearn.is_none() && a.sso.is_none()) || username.is_empty() || a.groups.is_empty()
            {
                return Err(CliError::with_usage(
                    format!(
                        "invalid empty value in rolearn {:?}, username {username:?}, groups {:?}: --rolearn (or --sso), --username and --groups are required",
                        rolearn.clone().unwrap_or_default(),
                        go_list(&a.groups)
                    ),
                    "add",
                ));
            }
            let sso = match (&rolearn, a.sso.as_deref()) {
                (Some(_), Some(_)) => {
                    return Err(CliError::new(
                        "only one of --rolearn or --sso can be supplied",
                    ));
                }
                (None, Some(text)) => Some(parse_sso(text)?),
                _ => None,
            };
            let kind = if sso.is_some() { "sso" } else { "rolearn" };
            let action = format!(
                "add {kind} {}, username {username}, groups {}",
                rolearn.clone().unwrap_or_default(),
                go_list(&a.groups)
            );
            let role = RoleMapping {
                rolearn,
                sso,
                username,
                groups: a.groups,
                userid: None,
            };
            Ok((NewMapping::Role(role), action))
        }
    }
}

/// Upstream's prompt, answered with y/yes on stdin (a pipe works too). Anything else,
/// or end of input, cancels.
fn confirm(action: &str) -> bool {
    eprint!("Ready to add {action:?}, should we continue? [y/N]: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Where to reach the API server: `--kubeconfig`, `--kubeconfig-context`, `--master-url`.
struct Target {
    kubeconfig: Option<String>,
    context: Option<String>,
    master_url: Option<String>,
}

/// The client as kubectl and upstream's `add` would connect: the kubeconfig (or
/// `$KUBECONFIG`, `~/.kube/config`, the in-cluster account), then Go's proxy rules and
/// certificate trust ([`crate::kube_client`]).
async fn client(target: &Target) -> Result<kube::Client, CliError> {
    let options = kube::config::KubeConfigOptions {
        context: target.context.clone(),
        ..Default::default()
    };
    let context = target.context.as_deref();
    let from_file = async |file: kube::config::Kubeconfig, shown: &str| {
        let proxy = crate::kube_client::kubeconfig_proxy_url(&file, context)
            .map_err(|e| CliError::new(format!("cannot use the kubeconfig{shown}: {e}")))?;
        let config = kube::Config::from_custom_kubeconfig(file, &options)
            .await
            .map_err(|e| CliError::with_cause(format!("cannot use the kubeconfig{shown}"), e))?;
        Ok::<_, CliError>((config, proxy))
    };
    let (mut config, proxy) = match &target.kubeconfig {
        Some(path) if !path.is_empty() => {
            let file = kube::config::Kubeconfig::read_from(path).map_err(|e| {
                CliError::with_cause(format!("cannot read the kubeconfig {path}"), e)
            })?;
            from_file(file, &format!(" {path}")).await?
        }
        _ => match kube::config::Kubeconfig::read() {
            Ok(file) => from_file(file, "").await?,
            Err(e) if target.context.is_some() => {
                return Err(CliError::with_cause("cannot read the kubeconfig", e));
            }
            Err(file_error) => match kube::Config::incluster() {
                Ok(config) => (config, None),
                Err(e) => {
                    return Err(CliError::new(format!(
                        "no Kubernetes configuration: {file_error}; not in a pod either: {e} (pass --kubeconfig FILE, set KUBECONFIG, or run in a pod)"
                    )));
                }
            },
        },
    };
    if let Some(url) = target.master_url.as_deref().filter(|u| !u.is_empty()) {
        config.cluster_url = url
            .parse()
            .map_err(|e| CliError::with_cause(format!("invalid --master-url {url:?}"), e))?;
    }
    crate::kube_client::client(config, proxy)
        .map_err(|e| CliError::new(format!("cannot create the Kubernetes client: {e}")))
}

pub(crate) fn run(args: AddArgs) -> Result<(), CliError> {
    let target = Target {
        kubeconfig: args.kubeconfig,
        context: args.kubeconfig_context,
        master_url: args.master_url,
    };
    let (new, action) = mapping(args.what)?;
    if args.prompt && !confirm(&action) {
        println!("cancelled {action:?}");
        return Ok(());
    }
    crate::server::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::with_cause("cannot start the async runtime", e))?;
    let cm = runtime.block_on(async {
        let client = client(&target).await?;
        let api = kube::Api::namespaced(client, crate::mapper::configmap::NAMESPACE);
        add_to_aws_auth(&api, &new)
            .await
            .map_err(CliError::from_error)
    })?;
    let yaml = serde_saphyr::to_string(&cm)
        .map_err(|e| CliError::with_cause("cannot print the ConfigMap", e))?;
    println!("updated configmap:\n\n{yaml}");
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sso_flag_is_parsed_not_a_panic() {
        let m = parse_sso("permissionSetName=Admin,accountID=111122223333").unwrap();
        assert_eq!(m.partition.as_deref(), Some("aws"));
        let m =
            parse_sso("permissionSetName=Admin,accountID=111122223333,partition=aws-cn").unwrap();
        assert_eq!(m.partition.as_deref(), Some("aws-cn"));
        assert_eq!(
            parse_sso("accountID=111122223333").err().unwrap().message,
            "required key 'permissionSetName' missing from --sso flag"
        );
        assert!(parse_sso("permissionSetName=Admin,accountID=12").is_err());
        assert!(parse_sso("Admin").is_err());
    }
}
