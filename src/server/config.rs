//! Server configuration: flags over the `server.*` keys of the config file over
//! upstream's defaults (upstream `pkg/config/types.go` and `cmd/.../server.go`).
//!
//! Everything is validated here, before the server listens; an error about the file
//! names the file, the key and — where the file has it — the line.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::Config;
use serde::Deserialize as _;

use crate::mapper::{
    BackendMode, Coercions, Node, RoleMapping, UserMapping, item_line, list_items,
    read_string_list, set_string, validate_backend_modes,
};
use crate::partition::Partition;

use super::serve::Limits;

/// Upstream's default listen address.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1";
/// Upstream's default port.
pub const DEFAULT_PORT: u16 = 21362;
/// Upstream's plain-HTTP health port.
pub const DEFAULT_HEALTH_PORT: u16 = 21363;
/// Upstream's default state directory.
pub const DEFAULT_STATE_DIR: &str = "/var/aws-iam-authenticator";
/// Upstream's default webhook kubeconfig path.
pub const DEFAULT_GENERATE_KUBECONFIG: &str =
    "/etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml";
/// Upstream's default hostname (from `init`'s flag, which `server` shares).
pub const DEFAULT_HOSTNAME: &str = "localhost";

/// A server start-up failure.
///
/// `Display` is the whole one-line message the user sees, cause included (the CLI prints
/// it as is); [`source`](std::error::Error::source) hands the underlying error to callers
/// that want to inspect it, so a chain printer should print `Display` only.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
    /// Bad configuration (flags or file) with no underlying error: a value out of range,
    /// a missing or conflicting key.
    Config(String),
    /// A start-up step failed; the message names the step and the cause.
    Init(String),
    /// A `server.*` key of the config file holds a value of the wrong type.
    ConfigFile(crate::config::ConfigError),
    /// `--partition` or `server.partition` names no partition.
    Partition(crate::partition::UnknownPartition),
    /// A `server.mapRoles` or `server.mapUsers` entry does not parse.
    Mapping {
        /// `server.mapRoles[i]`, with the file.
        entry: String,
        /// ` (line n)`, or empty when the line is unknown.
        line: String,
        /// The decoder's error.
        source: serde_json::Error,
    },
    /// The EC2 lookup's role or source ARN is invalid.
    Ec2(crate::mapper::ec2::Ec2ConfigError),
    /// The serving certificate and key could not be read or created.
    Certificate(super::init::InitError),
    /// The webhook kubeconfig could not be written.
    Kubeconfig(super::init::InitError),
    /// The certificate and key do not make a TLS configuration.
    Tls(super::tls::TlsConfigError),
    /// The STS client could not be built.
    Sts(crate::aws_http::HttpError),
    /// `address:port` is not a socket address.
    ListenAddress {
        /// `--address`.
        address: String,
        /// `--port`.
        port: u16,
        /// The parser's error.
        source: std::net::AddrParseError,
    },
    /// Binding a listener failed.
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Config(msg) | ServerError::Init(msg) => f.write_str(msg),
            ServerError::ConfigFile(e) => e.fmt(f),
            ServerError::Partition(e) => e.fmt(f),
            ServerError::Mapping {
                entry,
                line,
                source,
            } => write!(f, "{entry}: {source}{line}"),
            ServerError::Ec2(e) => e.fmt(f),
            ServerError::Certificate(e) | ServerError::Kubeconfig(e) => e.fmt(f),
            ServerError::Tls(e) => e.fmt(f),
            ServerError::Sts(e) => e.fmt(f),
            ServerError::ListenAddress {
                address,
                port,
                source,
            } => write!(f, "invalid listen address {address}:{port}: {source}"),
            ServerError::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServerError::Config(_) | ServerError::Init(_) => None,
            ServerError::ConfigFile(e) => Some(e),
            ServerError::Partition(e) => Some(e),
            ServerError::Mapping { source, .. } => Some(source),
            ServerError::Ec2(e) => Some(e),
            ServerError::Certificate(e) | ServerError::Kubeconfig(e) => Some(e),
            ServerError::Tls(e) => Some(e),
            ServerError::Sts(e) => Some(e),
            ServerError::ListenAddress { source, .. } => Some(source),
            ServerError::Listen { source, .. } => Some(source),
        }
    }
}

/// Upstream's alpha feature gates (`--feature-gates K=true,…`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeatureGates {
    /// `init` writes into the state dir and the `--generate-kubeconfig` path.
    pub configured_init_directories: bool,
    /// Accepted; the CRD backend is chosen with `--backend-mode` (upstream never reads it).
    pub iam_identity_mapping_crd: bool,
    /// Match AWS SSO permission-set roles (`mapRoles: - sso: …`).
    pub sso_role_match: bool,
}

/// A `--feature-gates` value that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeatureGateError {
    /// An entry without `=`.
    Malformed(String),
    /// A value other than `true` or `false`.
    InvalidValue {
        /// The gate.
        key: String,
        /// The value given.
        value: String,
    },
    /// A gate this build does not know.
    Unknown(String),
}

impl fmt::Display for FeatureGateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeatureGateError::Malformed(pair) => {
                write!(f, "invalid feature gate {pair:?}: use NAME=true|false")
            }
            FeatureGateError::InvalidValue { key, value } => write!(
                f,
                "invalid value {value:?} for feature gate {key}: use true or false"
            ),
            FeatureGateError::Unknown(name) => write!(
                f,
                "unrecognized feature gate: {name} (known: AllAlpha, AllBeta, ConfiguredInitDirectories, IAMIdentityMappingCRD, SSORoleMatch)"
            ),
        }
    }
}

impl std::error::Error for FeatureGateError {}

impl FeatureGates {
    /// Parses `K=true,K2=false`.
    pub fn parse(text: Option<&str>) -> Result<Self, FeatureGateError> {
        let mut gates = FeatureGates::default();
        for pair in text
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| FeatureGateError::Malformed(pair.to_string()))?;
            let value: bool = value
                .trim()
                .parse()
                .map_err(|_| FeatureGateError::InvalidValue {
                    key: key.to_string(),
                    value: value.to_string(),
                })?;
            match key.trim() {
                // k8s component-base: every alpha (resp. beta) gate at once; a gate
                // named later still overrides it. All of upstream's gates are alpha.
                "AllAlpha" => {
                    gates.configured_init_directories = value;
                    gates.iam_identity_mapping_crd = value;
                    gates.sso_role_match = value;
                }
                "AllBeta" => {}
                "ConfiguredInitDirectories" => gates.configured_init_directories = value,
                "IAMIdentityMappingCRD" => gates.iam_identity_mapping_crd = value,
                "SSORoleMatch" => gates.sso_role_match = value,
                other => return Err(FeatureGateError::Unknown(other.to_string())),
            }
        }
        Ok(gates)
    }
}

/// Server flags as given on the command line (`None` = not given).
#[derive(Clone, Debug, Default)]
pub struct ServerFlags {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--generate-kubeconfig`.
    pub generate_kubeconfig: Option<PathBuf>,
    /// `--kubeconfig-pregenerated`.
    pub kubeconfig_pregenerated: Option<bool>,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
    /// `--address`.
    pub address: Option<String>,
    /// `--hostname` (`init`).
    pub hostname: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--backend-mode`.
    pub backend_mode: Option<Vec<String>>,
    /// `--kubeconfig`.
    pub kubeconfig: Option<String>,
    /// `--master`.
    pub master: Option<String>,
    /// `--ec2-describeInstances-qps`.
    pub ec2_qps: Option<u32>,
    /// `--ec2-describeInstances-burst`.
    pub ec2_burst: Option<u32>,
    /// `--identity-cache-size` (0 disables the verified-identity cache).
    pub identity_cache_size: Option<usize>,
    /// `--identity-cache-ttl`.
    pub identity_cache_ttl: Option<Duration>,
    /// `--max-concurrent-sts` (hidden).
    pub max_concurrent_sts: Option<usize>,
    /// `--health-port` (0 disables).
    pub health_port: Option<u16>,
    /// `--health-address` (default: every address, IPv4 and IPv6).
    pub health_address: Option<String>,
}

/// The resolved server configuration.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The cluster ID.
    pub cluster_id: String,
    /// The partition whose STS hosts are accepted.
    pub partition: Partition,
    /// Hostname for the certificate and kubeconfig.
    pub hostname: String,
    /// Listen address.
    pub address: String,
    /// Listen port.
    pub port: u16,
    /// Plain-HTTP health port, if any.
    pub health_port: Option<u16>,
    /// The health listener's address; `None`: `[::]` dual-stack, else `0.0.0.0`.
    pub health_address: Option<String>,
    /// Where cert.pem and key.pem live.
    pub state_dir: PathBuf,
    /// Where the webhook kubeconfig is written.
    pub generate_kubeconfig: PathBuf,
    /// Do not write the kubeconfig.
    pub kubeconfig_pregenerated: bool,
    /// Kubernetes client kubeconfig (Kubernetes-backed backends).
    pub kubeconfig: Option<String>,
    /// Kubernetes API server URL override.
    pub master: Option<String>,
    /// Backend order.
    pub backend_modes: Vec<BackendMode>,
    /// EC2 DescribeInstances rate limit.
    pub ec2_qps: u32,
    /// EC2 DescribeInstances burst.
    pub ec2_burst: u32,
    /// Role to assume for EC2 calls.
    pub ec2_role_arn: Option<String>,
    /// `server.sourceARN` for confused-deputy headers.
    pub source_arn: Option<String>,
    /// Accounts scrubbed from logs and UIDs.
    pub scrubbed_accounts: Vec<String>,
    /// DynamicFile path.
    pub dynamic_file_path: Option<PathBuf>,
    /// DynamicFile keyed by user ID.
    pub dynamic_file_user_id_strict: bool,
    /// Dynamic backend-mode file.
    pub dynamic_backend_mode_path: Option<PathBuf>,
    /// `mapRoles`.
    pub role_mappings: Vec<RoleMapping>,
    /// `mapUsers`.
    pub user_mappings: Vec<UserMapping>,
    /// `mapAccounts`.
    pub mapped_accounts: Vec<String>,
    /// Reserved username prefixes by backend.
    pub reserved_prefixes: HashMap<BackendMode, Vec<String>>,
    /// Feature gates.
    pub feature_gates: FeatureGates,
    /// STS call timeout.
    pub sts_timeout: Duration,
    /// Concurrent STS calls allowed.
    pub max_concurrent_sts: usize,
    /// Entries of the verified-identity cache (0: off).
    pub identity_cache_size: usize,
    /// Longest an identity stays cached (never longer than its token is valid).
    pub identity_cache_ttl: Duration,
    /// Connection limits.
    pub limits: Limits,
    config_file: Option<PathBuf>,
    config_text: Option<String>,
}

impl ServerOptions {
    /// Resolves flags over the config file over defaults, and validates the result.
    pub fn resolve(
        cluster_id: Option<String>,
        gates: FeatureGates,
        flags: ServerFlags,
        config: &Config,
    ) -> Result<Self, ServerError> {
        let s = |key: &str| {
            config
                .string(&format!("server.{key}"))
                .map_err(ServerError::ConfigFile)
        };
        let b = |key: &str| {
            config
                .bool(&format!("server.{key}"))
                .map_err(ServerError::ConfigFile)
        };
        let n = |key: &str| {
            config
                .u64(&format!("server.{key}"))
                .map_err(ServerError::ConfigFile)
        };
        let file_label = config
            .path()
            .map(|p| format!(" in {}", p.display()))
            .unwrap_or_default();

        let cluster_id = cluster_id
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ServerError::Config("cluster ID cannot be empty: pass -i/--cluster-id or set clusterID in the config file".into()))?;
        let partition_id = flags
            .partition
            .or(s("partition")?)
            .unwrap_or_else(|| "aws".into());
        let partition: Partition = partition_id.parse().map_err(ServerError::Partition)?;
        let port = match flags.port {
            Some(p) => p,
            None => match n("port")? {
                Some(p) => u16::try_from(p).map_err(|_| {
                    ServerError::Config(format!(
                        "server.port{file_label} must be a port number (1-65535), got {p}"
                    ))
                })?,
                None => DEFAULT_PORT,
            },
        };
        let health_port = match flags.health_port {
            Some(0) => None,
            Some(p) => Some(p),
            None => Some(DEFAULT_HEALTH_PORT),
        };
        let backend_strings = match flags.backend_mode {
            Some(modes) => modes,
            None => match config.get("server.backendMode") {
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            ServerError::Config(format!(
                                "server.backendMode{file_label} must be a list of strings"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
                Some(serde_json::Value::String(s)) => s
                    .split([',', ' '])
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect(),
                Some(_) => {
                    return Err(ServerError::Config(format!(
                        "server.backendMode{file_label} must be a list of strings"
                    )));
                }
                None => vec!["MountedFile".to_string()],
            },
        };
        let backend_modes = validate_backend_modes(&backend_strings)
            .map_err(|e| ServerError::Config(format!("invalid --backend-mode: {e}")))?;

        // The lists are decoded as upstream's `viper.UnmarshalKey` decodes them (see
        // `mapper::document`): a single value where a list belongs, numbers where strings
        // belong and the like are read, with one warning each.
        let node = |key: &str| -> Node {
            config
                .get(&format!("server.{key}"))
                .cloned()
                .and_then(|v| Node::deserialize(v).ok())
                .unwrap_or(Node::Null)
        };
        let warn_notes = |key: &str, index: Option<usize>, notes: &Coercions| {
            for c in notes {
                let (path, line) = match index {
                    Some(i) => (
                        format!("server.{key}[{i}].{}", c.field),
                        config
                            .text()
                            .and_then(|t| item_line(t, Some(key), i, Some(&c.field))),
                    ),
                    None => (
                        format!("server.{}", c.field),
                        config.line_of(&format!("server.{key}")),
                    ),
                };
                let line = line.map(|n| format!(" (line {n})")).unwrap_or_default();
                tracing::warn!(
                    "configuration key {path}{file_label}{line}: {}, as upstream does; write the value with its own type to silence this",
                    c.what
                );
            }
        };
        let entries = |key: &str| -> Vec<Node> {
            let mut notes = Coercions::new();
            let items = list_items(&node(key), key, &mut notes);
            warn_notes(key, None, &notes);
            items
        };
        let mapping_error = |key: &str, i: usize, message: String| ServerError::Mapping {
            entry: format!("server.{key}[{i}]{file_label}"),
            line: entry_line_hint(config, key, i),
            source: <serde_json::Error as serde::de::Error>::custom(message),
        };
        let role_mappings = entries("mapRoles")
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut notes = Coercions::new();
                let role = RoleMapping::from_node(v, &mut notes)
                    .map_err(|e| mapping_error("mapRoles", i, e))?;
                warn_notes("mapRoles", Some(i), &notes);
                Ok(role)
            })
            .collect::<Result<Vec<_>, ServerError>>()?;
        let user_mappings = entries("mapUsers")
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut notes = Coercions::new();
                let user = UserMapping::from_node(v, &mut notes)
                    .map_err(|e| mapping_error("mapUsers", i, e))?;
                warn_notes("mapUsers", Some(i), &notes);
                Ok(user)
            })
            .collect::<Result<Vec<_>, ServerError>>()?;
        let strings = |key: &str| -> Result<Vec<String>, ServerError> {
            let mut notes = Coercions::new();
            let list = read_string_list(&node(key), key, &mut notes).map_err(|_| {
                ServerError::Config(format!(
                    "server.{key}{file_label} must be a list of strings{}",
                    line_hint(config, key)
                ))
            })?;
            warn_notes(key, None, &notes);
            Ok(list
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect())
        };
        let mapped_accounts = strings("mapAccounts")?;
        for account in &mapped_accounts {
            if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
                tracing::warn!(
                    "server.mapAccounts{file_label}{}: {account:?} is not a 12-digit AWS account ID and can never match; quote account IDs that start with 0 (unquoted, YAML reads them as numbers and drops the zero)",
                    line_hint(config, "mapAccounts")
                );
            }
        }
        // `GetStringSlice`: a string is split on white space (and, here, commas too).
        let scrubbed_accounts = match node("scrubbedAccounts") {
            Node::Str(text) => text
                .split([',', ' ', '\t', '\n'])
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
            _ => strings("scrubbedAccounts")?,
        };

        let mut reserved_prefixes: HashMap<BackendMode, Vec<String>> = HashMap::new();
        for (i, entry) in entries("reservedPrefixConfig").iter().enumerate() {
            let Node::Map(fields) = entry else {
                return Err(ServerError::Config(format!(
                    "server.reservedPrefixConfig[{i}]{file_label} must be a mapping with backendmode and usernamePrefixReserveList"
                )));
            };
            let mut notes = Coercions::new();
            let mut mode = String::new();
            let mut prefixes = Vec::new();
            for (k, v) in fields {
                match k.to_ascii_lowercase().as_str() {
                    "backendmode" => set_string(
                        v,
                        "ReservedPrefixConfig",
                        "backendmode",
                        &mut mode,
                        &mut notes,
                    )
                    .map_err(|e| {
                        ServerError::Config(format!(
                            "server.reservedPrefixConfig[{i}]{file_label}: {e}"
                        ))
                    })?,
                    "usernameprefixreservelist" => {
                        prefixes = read_string_list(v, "usernamePrefixReserveList", &mut notes)
                            .map_err(|_| ServerError::Config(format!("server.reservedPrefixConfig[{i}]{file_label}: usernamePrefixReserveList must be a list of strings")))?
                            .unwrap_or_default();
                    }
                    _ => {}
                }
            }
            warn_notes("reservedPrefixConfig", Some(i), &notes);
            if mode.is_empty() {
                return Err(ServerError::Config(format!(
                    "server.reservedPrefixConfig[{i}]{file_label}: backendmode is required"
                )));
            }
            let mode = validate_backend_modes(&[mode])
                .map_err(|e| {
                    ServerError::Config(format!(
                        "server.reservedPrefixConfig[{i}]{file_label}: {e}"
                    ))
                })?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    ServerError::Config(format!(
                        "server.reservedPrefixConfig[{i}]{file_label}: backendmode is required"
                    ))
                })?;
            reserved_prefixes.insert(mode, prefixes);
        }

        let dynamic_file_path = s("dynamicfilepath")?
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        let has_dynamic_mode = backend_modes.contains(&BackendMode::DynamicFile);
        if has_dynamic_mode != dynamic_file_path.is_some() {
            return Err(ServerError::Config(
                "backend mode DynamicFile and server.dynamicfilepath must be set together".into(),
            ));
        }

        let options = ServerOptions {
            cluster_id,
            partition,
            hostname: flags
                .hostname
                .or(s("hostname")?)
                .unwrap_or_else(|| DEFAULT_HOSTNAME.into()),
            address: flags
                .address
                .or(s("address")?)
                .unwrap_or_else(|| DEFAULT_ADDRESS.into()),
            port,
            health_port,
            health_address: match flags
                .health_address
                .or(s("healthAddress")?)
                .filter(|a| !a.is_empty())
            {
                Some(a) => {
                    // Refused here, before any file is written.
                    super::health::parse_address(&a).map_err(|e| match e {
                        ServerError::Config(m) => ServerError::Config(format!("{m}{file_label}")),
                        other => other,
                    })?;
                    Some(a)
                }
                None => None,
            },
            state_dir: flags
                .state_dir
                .or(s("stateDir")?.map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR)),
            generate_kubeconfig: flags
                .generate_kubeconfig
                .or(s("generateKubeconfig")?.map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from(DEFAULT_GENERATE_KUBECONFIG)),
            kubeconfig_pregenerated: match flags.kubeconfig_pregenerated {
                Some(v) => v,
                None => b("kubeconfigPregenerated")?.unwrap_or(false),
            },
            kubeconfig: flags
                .kubeconfig
                .or(s("kubeconfig")?)
                .filter(|k| !k.is_empty()),
            master: flags.master.or(s("master")?).filter(|m| !m.is_empty()),
            backend_modes,
            ec2_qps: match flags.ec2_qps {
                Some(v) => v,
                None => n("ec2DescribeInstancesQps")?
                    .map(|v| v as u32)
                    .unwrap_or(15),
            },
            ec2_burst: match flags.ec2_burst {
                Some(v) => v,
                None => n("ec2DescribeInstancesBurst")?
                    .map(|v| v as u32)
                    .unwrap_or(5),
            },
            ec2_role_arn: s("ec2DescribeInstancesRoleARN")?.filter(|v| !v.is_empty()),
            source_arn: s("sourceARN")?.filter(|v| !v.is_empty()),
            scrubbed_accounts,
            dynamic_file_path,
            dynamic_file_user_id_strict: b("dynamicfileUserIDStrict")?.unwrap_or(false),
            dynamic_backend_mode_path: s("dynamicBackendModePath")?
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            role_mappings,
            user_mappings,
            mapped_accounts,
            reserved_prefixes,
            feature_gates: gates,
            sts_timeout: crate::token::sts::STS_TIMEOUT,
            max_concurrent_sts: match flags.max_concurrent_sts {
                Some(n) => n,
                None => n("stsMaxConcurrent")?
                    .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
                    .unwrap_or(crate::token::sts::DEFAULT_MAX_CONCURRENT),
            },
            identity_cache_size: match flags.identity_cache_size {
                Some(n) => n,
                None => n("identityCacheSize")?
                    .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
                    .unwrap_or(super::identity_cache::DEFAULT_CAPACITY),
            },
            identity_cache_ttl: match flags.identity_cache_ttl {
                Some(d) => d,
                None => match s("identityCacheTTL")? {
                    Some(text) => crate::config::parse_duration(&text).map_err(|e| {
                        ServerError::Config(format!("server.identityCacheTTL{file_label}: {e}"))
                    })?,
                    None => super::identity_cache::DEFAULT_TTL,
                },
            },
            limits: Limits::default(),
            config_file: config.path().map(PathBuf::from),
            config_text: config.text().map(str::to_string),
        };
        Ok(options)
    }

    /// Adds the config file (and the line of the offending entry, when the message
    /// names `mapRoles[i]`/`mapUsers[i]`) to a mapping validation error.
    pub fn describe_config_error(&self, message: &str) -> String {
        let file = self
            .config_file
            .as_ref()
            .map(|p| format!(" in {}", p.display()))
            .unwrap_or_default();
        let mut line = String::new();
        if let Some(text) = &self.config_text {
            for key in ["mapRoles", "mapUsers"] {
                if let Some(rest) = message.split(&format!("{key}[")).nth(1)
                    && let Some(i) = rest.split(']').next().and_then(|i| i.parse::<usize>().ok())
                    && let Some(n) = entry_line(text, key, i)
                {
                    line = format!(" (line {n})");
                }
            }
        }
        format!("invalid server configuration{file}{line}: {message}")
    }
}

fn line_hint(config: &Config, key: &str) -> String {
    config
        .text()
        .and_then(|t| {
            t.lines().position(|l| {
                l.trim_start()
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}:", key.to_ascii_lowercase()))
            })
        })
        .map(|n| format!(" (line {})", n + 1))
        .unwrap_or_default()
}

fn entry_line_hint(config: &Config, key: &str, index: usize) -> String {
    config
        .text()
        .and_then(|t| entry_line(t, key, index))
        .map(|n| format!(" (line {n})"))
        .unwrap_or_default()
}

/// The 1-based line of the `index`-th `- ` item under `key:` in YAML text.
fn entry_line(text: &str, key: &str, index: usize) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| {
        l.trim_start()
            .to_ascii_lowercase()
            .starts_with(&format!("{}:", key.to_ascii_lowercase()))
    })?;
    let key_indent = lines.get(start)?.len() - lines.get(start)?.trim_start().len();
    let mut seen = 0;
    for (n, line) in lines.iter().enumerate().skip(start + 1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent <= key_indent && !trimmed.starts_with('-') {
            break;
        }
        if trimmed.starts_with('-') {
            if seen == index {
                return Some(n + 1);
            }
            seen += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn resolve(yaml: &str) -> Result<ServerOptions, ServerError> {
        let config = Config::parse(Path::new("/etc/authenticator.yaml"), yaml).unwrap();
        ServerOptions::resolve(
            Some("c".into()),
            FeatureGates::default(),
            ServerFlags::default(),
            &config,
        )
    }

    #[test]
    fn defaults_are_upstreams() {
        let o = resolve("").unwrap();
        assert_eq!(o.address, "127.0.0.1");
        assert_eq!(o.port, 21362);
        assert_eq!(o.health_port, Some(21363));
        assert_eq!(o.hostname, "localhost");
        assert_eq!(o.state_dir, PathBuf::from("/var/aws-iam-authenticator"));
        assert_eq!(
            o.generate_kubeconfig,
            PathBuf::from("/etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml")
        );
        assert_eq!(o.backend_modes, vec![BackendMode::MountedFile]);
        assert_eq!((o.ec2_qps, o.ec2_burst), (15, 5));
        assert_eq!(o.partition, Partition::Aws);
        // Ours: the revocation window and the STS bound.
        assert_eq!(o.identity_cache_ttl, Duration::from_secs(120));
        assert_eq!(o.identity_cache_size, 10_000);
        assert_eq!(o.max_concurrent_sts, 32);
    }

    #[test]
    fn sts_bound_and_cache_ttl_are_configurable() {
        let o = resolve("server:\n  stsMaxConcurrent: 7\n  identityCacheTTL: 30s\n").unwrap();
        assert_eq!(o.max_concurrent_sts, 7);
        assert_eq!(o.identity_cache_ttl, Duration::from_secs(30));
        let config =
            Config::parse(Path::new("c.yaml"), "server:\n  stsMaxConcurrent: 7\n").unwrap();
        let o = ServerOptions::resolve(
            Some("c".into()),
            FeatureGates::default(),
            ServerFlags {
                max_concurrent_sts: Some(3),
                ..ServerFlags::default()
            },
            &config,
        )
        .unwrap();
        assert_eq!(o.max_concurrent_sts, 3);
        let err = resolve("server:\n  stsMaxConcurrent: lots\n").unwrap_err();
        assert!(err.to_string().contains("stsMaxConcurrent"), "{err}");
    }

    #[test]
    fn file_values_and_flag_precedence() {
        let config = Config::parse(
            Path::new("c.yaml"),
            "server:\n  port: 9000\n  stateDir: /tmp/s\n  mapAccounts:\n  - \"111122223333\"\n  - 444455556666\n  scrubbedAccounts: [\"111122223333\"]\n",
        )
        .unwrap();
        let o = ServerOptions::resolve(
            Some("c".into()),
            FeatureGates::default(),
            ServerFlags {
                port: Some(9100),
                ..ServerFlags::default()
            },
            &config,
        )
        .unwrap();
        assert_eq!(o.port, 9100);
        assert_eq!(o.state_dir, PathBuf::from("/tmp/s"));
        assert_eq!(o.mapped_accounts, vec!["111122223333", "444455556666"]);
        assert_eq!(o.scrubbed_accounts, vec!["111122223333"]);
    }

    #[test]
    fn errors_name_file_key_and_line() {
        let err = resolve("server:\n  port: banana\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/etc/authenticator.yaml") && err.contains("port"),
            "{err}"
        );
        let err = resolve("server:\n  mapRoles:\n  - rolearn: arn:aws:iam::1:role/a\n    username: a\n  - rolearn: 7\n    username: [x]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mapRoles[1]")
                && err.contains("line 5")
                && err.contains("/etc/authenticator.yaml"),
            "{err}"
        );
        let err = resolve("server:\n  partition: mars\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid partition"), "{err}");
        let err = ServerOptions::resolve(
            None,
            FeatureGates::default(),
            ServerFlags::default(),
            &Config::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("cluster ID cannot be empty"), "{err}");
        let err = resolve("server:\n  backendMode: [DynamicFile]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("dynamicfilepath"), "{err}");
    }

    /// Config files that upstream v0.7.x starts with, because viper decodes them weakly
    /// (`GetString`/`GetInt`/`GetBool` through `cast`, the lists through mapstructure
    /// with `WeaklyTypedInput` and the `","` string-to-slice hook), and that we start
    /// with too, mapping as upstream does. The third column is upstream's verdict.
    #[test]
    fn configs_upstream_starts_with_start_and_map_as_upstream() {
        type Check = fn(&ServerOptions);
        let table: &[(&str, &str, Check)] = &[
            (
                "a single group string",
                "server:\n  mapRoles:\n  - rolearn: arn:aws:iam::1:role/r\n    groups: devs\n",
                |o| assert_eq!(o.role_mappings[0].groups, vec!["devs"]),
            ),
            (
                "a comma-separated group string (viper's hook splits it)",
                "server:\n  mapUsers:\n  - userarn: arn:aws:iam::1:user/u\n    groups: devs,ops\n",
                |o| assert_eq!(o.user_mappings[0].groups, vec!["devs", "ops"]),
            ),
            (
                "a single account number",
                "server:\n  mapAccounts: 444455556666\n",
                |o| assert_eq!(o.mapped_accounts, vec!["444455556666"]),
            ),
            (
                "an unquoted account with a leading zero (yaml.v3 drops the zero; a warning says so)",
                "server:\n  mapAccounts: [012345678912]\n",
                |o| assert_eq!(o.mapped_accounts, vec!["12345678912"]),
            ),
            (
                "a single account string",
                "server:\n  mapAccounts: \"444455556666\"\n",
                |o| assert_eq!(o.mapped_accounts, vec!["444455556666"]),
            ),
            (
                "a numeric username and userid",
                "server:\n  mapUsers:\n  - userarn: arn:aws:iam::1:user/u\n    username: 12345\n    userid: 678\n",
                |o| {
                    assert_eq!(o.user_mappings[0].username, "12345");
                    assert_eq!(o.user_mappings[0].userid.as_deref(), Some("678"));
                },
            ),
            (
                "a boolean username (mapstructure: \"1\")",
                "server:\n  mapUsers:\n  - userarn: arn:aws:iam::1:user/u\n    username: true\n",
                |o| assert_eq!(o.user_mappings[0].username, "1"),
            ),
            (
                "YAML 1.1 boolean spellings where strings belong (yaml.v3: the text)",
                "server:\n  mapUsers:\n  - userarn: arn:aws:iam::1:user/u\n    username: n\n    groups: [on, yes]\n",
                |o| {
                    assert_eq!(o.user_mappings[0].username, "n");
                    assert_eq!(o.user_mappings[0].groups, vec!["on", "yes"]);
                },
            ),
            (
                "numbers inside the group list",
                "server:\n  mapRoles:\n  - rolearn: arn:aws:iam::1:role/r\n    groups: [devs, 42]\n",
                |o| assert_eq!(o.role_mappings[0].groups, vec!["devs", "42"]),
            ),
            (
                "a lone mapping where the list belongs",
                "server:\n  mapRoles:\n    rolearn: arn:aws:iam::1:role/r\n    username: r\n",
                |o| assert_eq!(o.role_mappings[0].username, "r"),
            ),
            (
                "an empty mapping where the list belongs",
                "server:\n  mapRoles: {}\n  mapAccounts: {}\n",
                |o| assert!(o.role_mappings.is_empty() && o.mapped_accounts.is_empty()),
            ),
            (
                "an unquoted SSO account ID",
                "server:\n  mapRoles:\n  - sso:\n      permissionSetName: Admin\n      accountID: 123456789012\n    username: a\n",
                |o| {
                    assert_eq!(
                        o.role_mappings[0]
                            .sso
                            .as_ref()
                            .map(|s| s.account_id.as_str()),
                        Some("123456789012")
                    )
                },
            ),
            (
                "a string port and a float burst (cast.ToInt)",
                "server:\n  port: \"9000\"\n  ec2DescribeInstancesBurst: 7.0\n  ec2DescribeInstancesQps: \"0x10\"\n",
                |o| assert_eq!((o.port, o.ec2_burst, o.ec2_qps), (9000, 7, 16)),
            ),
            (
                "string and number booleans (cast.ToBool)",
                "server:\n  kubeconfigPregenerated: \"true\"\n  dynamicfileUserIDStrict: 1\n",
                |o| assert!(o.kubeconfig_pregenerated && o.dynamic_file_user_id_strict),
            ),
            (
                "a numeric hostname (cast.ToString)",
                "server:\n  hostname: 1234\n  stateDir: 1.0\n",
                |o| {
                    assert_eq!(o.hostname, "1234");
                    assert_eq!(o.state_dir, PathBuf::from("1"));
                },
            ),
            (
                "scrubbed accounts as one string (GetStringSlice splits on spaces)",
                "server:\n  scrubbedAccounts: \"111122223333 444455556666\"\n",
                |o| assert_eq!(o.scrubbed_accounts, vec!["111122223333", "444455556666"]),
            ),
            (
                "a reserved-prefix list given as one string",
                "server:\n  reservedPrefixConfig:\n  - backendmode: MountedFile\n    usernamePrefixReserveList: \"aws:,iam:\"\n",
                |o| {
                    assert_eq!(
                        o.reserved_prefixes.get(&BackendMode::MountedFile),
                        Some(&vec!["aws:".to_string(), "iam:".to_string()])
                    )
                },
            ),
        ];
        for (name, yaml, check) in table {
            match resolve(yaml) {
                Ok(o) => check(&o),
                Err(e) => panic!("{name}: refused: {e}"),
            }
        }
    }

    /// What upstream refuses (mapstructure errors) or reads as something nobody means
    /// (`cast` turns `port: abc` into 0, a random port): refused, naming key and line.
    #[test]
    fn configs_that_cannot_be_meant_are_refused() {
        for (yaml, needle) in [
            // Upstream: 0, a random port.
            ("server:\n  port: abc\n", "port"),
            // Upstream: 9000 (truncated); a fraction is a typo.
            ("server:\n  port: 9000.5\n", "port"),
            ("server:\n  port: -1\n", "port"),
            ("server:\n  port: 70000\n", "port"),
            // Upstream: false, silently.
            (
                "server:\n  kubeconfigPregenerated: maybe\n",
                "kubeconfigPregenerated",
            ),
            // Upstream refuses each of these (mapstructure errors).
            (
                "server:\n  mapRoles:\n  - rolearn: a\n    username: [x]\n",
                "mapRoles[0]",
            ),
            (
                "server:\n  mapRoles:\n  - rolearn: a\n    groups: {a: b}\n",
                "mapRoles[0]",
            ),
            ("server:\n  mapRoles: just-text\n", "mapRoles[0]"),
            ("server:\n  mapAccounts: {a: b}\n", "mapAccounts"),
            ("server:\n  mapAccounts: [[1]]\n", "mapAccounts"),
        ] {
            let Err(err) = resolve(yaml).map(|_| ()) else {
                panic!("{yaml}: accepted");
            };
            let err = err.to_string();
            assert!(
                err.contains(needle) && err.contains("/etc/authenticator.yaml"),
                "{yaml}: {err}"
            );
        }
    }

    #[test]
    fn feature_gates() {
        let g = FeatureGates::parse(Some("SSORoleMatch=true, ConfiguredInitDirectories=false"))
            .unwrap();
        assert!(g.sso_role_match && !g.configured_init_directories);
        assert!(
            FeatureGates::parse(Some("Nope=true"))
                .unwrap_err()
                .to_string()
                .contains("unrecognized feature gate")
        );
        assert!(FeatureGates::parse(Some("SSORoleMatch")).is_err());
        assert_eq!(FeatureGates::parse(None).unwrap(), FeatureGates::default());
    }

    /// k8s's `AllAlpha`/`AllBeta`: every gate of that stage, still overridable by a
    /// gate named after it (component-base applies them in order).
    #[test]
    fn all_alpha_and_all_beta() {
        let all = FeatureGates::parse(Some("AllAlpha=true")).unwrap();
        assert_eq!(
            all,
            FeatureGates {
                configured_init_directories: true,
                iam_identity_mapping_crd: true,
                sso_role_match: true,
            }
        );
        let some = FeatureGates::parse(Some("AllAlpha=true,SSORoleMatch=false")).unwrap();
        assert!(some.configured_init_directories && !some.sso_role_match);
        // No upstream gate is beta.
        assert_eq!(
            FeatureGates::parse(Some("AllBeta=true")).unwrap(),
            FeatureGates::default()
        );
        assert!(FeatureGates::parse(Some("AllAlpha=maybe")).is_err());
    }

    #[test]
    fn health_address_from_flag_or_file() {
        assert_eq!(resolve("").unwrap().health_address, None);
        let o = resolve("server:\n  healthAddress: \"::1\"\n").unwrap();
        assert_eq!(o.health_address.as_deref(), Some("::1"));
        let config =
            Config::parse(Path::new("c.yaml"), "server:\n  healthAddress: 127.0.0.1\n").unwrap();
        let o = ServerOptions::resolve(
            Some("c".into()),
            FeatureGates::default(),
            ServerFlags {
                health_address: Some("0.0.0.0".into()),
                ..ServerFlags::default()
            },
            &config,
        )
        .unwrap();
        assert_eq!(o.health_address.as_deref(), Some("0.0.0.0"));
        let err = resolve("server:\n  healthAddress: nowhere\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid health address \"nowhere\"")
                && err.contains("/etc/authenticator.yaml"),
            "{err}"
        );
    }

    #[test]
    fn error_texts_are_whole_and_keep_their_cause() {
        use std::error::Error as _;
        let gate = |text| FeatureGates::parse(Some(text)).unwrap_err().to_string();
        assert_eq!(
            gate("SSORoleMatch"),
            "invalid feature gate \"SSORoleMatch\": use NAME=true|false"
        );
        assert_eq!(
            gate("SSORoleMatch=yes"),
            "invalid value \"yes\" for feature gate SSORoleMatch: use true or false"
        );
        assert_eq!(
            gate("Nope=true"),
            "unrecognized feature gate: Nope (known: AllAlpha, AllBeta, ConfiguredInitDirectories, IAMIdentityMappingCRD, SSORoleMatch)"
        );

        let err = resolve("server:\n  mapUsers:\n  - userarn: [x]\n").unwrap_err();
        assert!(matches!(err, ServerError::Mapping { .. }), "{err:?}");
        assert!(err.source().is_some());
        let text = err.to_string();
        assert!(
            text.starts_with("server.mapUsers[0] in /etc/authenticator.yaml: ")
                && text.ends_with(" (line 3)"),
            "{text}"
        );

        let err = ServerError::Listen {
            addr: "127.0.0.1:1".parse().unwrap(),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };
        assert_eq!(
            err.to_string(),
            "cannot listen on 127.0.0.1:1: address in use"
        );
        assert!(err.source().is_some());
        assert!(ServerError::Config("x".into()).source().is_none());
    }
}
