//! The mapping backends while the server runs: building each one once, starting its
//! watcher, assembling the chain in `backendMode` order, and switching the chain at run
//! time from the dynamic backend-mode file (`server.dynamicBackendModePath`), which is
//! parsed and followed here.
//!
//! Each backend is created the first time a chain needs it and then kept (with its
//! watcher running) for the life of the process, so switching modes back and forth never
//! drops a warm store or opens a second watch.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OnceCell, mpsc};

use super::config::{ServerError, ServerOptions};
use super::http::AppState;
use super::metrics::Metrics;
use crate::mapper::configmap::ConfigMapMapper;
use crate::mapper::crd::CrdMapper;
use crate::mapper::dynamic_file::{self, DynamicFileMapper};
use crate::mapper::file::FileMapper;
use crate::mapper::file_watch::{self, FileState};
use crate::mapper::{
    BackendMode, BackendObserver, Mapper, MapperChain, PrivateDnsLookup, validate_backend_modes,
};

impl BackendObserver for Metrics {
    fn watch_failure(&self, mode: BackendMode) {
        // Upstream only has a counter for the aws-auth watch.
        if mode == BackendMode::EksConfigMap {
            self.configmap_watch_failures.inc();
        }
    }
    fn dynamic_file_failure(&self) {
        self.dynamicfile_failures.inc();
    }
    fn reloaded(&self, kind: &str, latency: Duration) {
        self.observe_dynamic_e2e(kind, latency);
    }
}

/// Parses the dynamic backend-mode file (`server.dynamicBackendModePath`, upstream's
/// `BackendModeConfig` in `pkg/server`), with the DynamicFile's JSON rules:
/// `{"backendMode":"MountedFile DynamicFile","Version":"…","LastUpdatedDateTime":"…"}`.
///
/// Returns the modes split on single spaces exactly as upstream does (so two spaces give
/// an empty name, which [`validate_backend_modes`] then rejects; a missing
/// `backendMode` gives one empty name). Joining the result with `" "` gives back the
/// string upstream compares with the chain's current modes.
pub fn parse_backend_mode_file(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut backend_mode = String::new();
    let mut ignored = String::new();
    for (key, value) in dynamic_file::parse_json(bytes)? {
        match key.to_ascii_lowercase().as_str() {
            "backendmode" => dynamic_file::set_string(&value, "backendMode", &mut backend_mode)?,
            "version" => dynamic_file::set_string(&value, "Version", &mut ignored)?,
            "lastupdateddatetime" => {
                dynamic_file::set_string(&value, "LastUpdatedDateTime", &mut ignored)?
            }
            "clusterid" => dynamic_file::set_string(&value, "ClusterID", &mut ignored)?,
            _ => {}
        }
    }
    Ok(backend_mode.split(' ').map(str::to_string).collect())
}

/// The backends of one server.
pub struct Backends {
    options: ServerOptions,
    metrics: Arc<Metrics>,
    ec2: Option<Arc<dyn PrivateDnsLookup>>,
    kube: OnceCell<kube::Client>,
    built: tokio::sync::Mutex<HashMap<BackendMode, Arc<dyn Mapper>>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for Backends {
    fn drop(&mut self) {
        if let Ok(tasks) = self.tasks.lock() {
            for task in tasks.iter() {
                task.abort();
            }
        }
    }
}

/// A Kubernetes client from `--kubeconfig` / `--master`, else the in-cluster
/// service-account configuration, as upstream (which never reads `$KUBECONFIG`). Proxy
/// and TLS trust as client-go's: see [`crate::kube_client`].
pub async fn kube_client(
    kubeconfig: Option<&str>,
    master: Option<&str>,
) -> Result<kube::Client, String> {
    let bad_master = |e: &dyn std::fmt::Display| format!("invalid --master URL: {e}");
    let mut explicit_proxy = None;
    let mut config = match kubeconfig {
        Some(path) => {
            let file = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| format!("can't read the kubeconfig {path}: {e}"))?;
            explicit_proxy = crate::kube_client::kubeconfig_proxy_url(&file, None)
                .map_err(|e| format!("can't use the kubeconfig {path}: {e}"))?;
            kube::Config::from_custom_kubeconfig(file, &kube::config::KubeConfigOptions::default())
                .await
                .map_err(|e| format!("can't use the kubeconfig {path}: {e}"))?
        }
        None => match master {
            Some(url) => kube::Config::new(url.parse().map_err(|e| bad_master(&e))?),
            None => kube::Config::incluster().map_err(|e| {
                format!(
                    "can't create kubernetes config: {e} (outside a pod, pass --kubeconfig FILE or --master URL)"
                )
            })?,
        },
    };
    if let (Some(_), Some(url)) = (kubeconfig, master) {
        config.cluster_url = url.parse().map_err(|e| bad_master(&e))?;
    }
    crate::kube_client::client(config, explicit_proxy)
        .map_err(|e| format!("can't create kubernetes client: {e}"))
}

/// Upstream's start-up lines for the config file's mappings ("mapping IAM role",
/// "mapping IAM user", "mapping IAM Account"), with its field names, whatever the
/// backend modes (upstream logs them before building the chain).
pub fn log_mappings(options: &ServerOptions) {
    for mapping in &options.role_mappings {
        if let Some(role) = mapping.rolearn.as_deref().filter(|r| !r.is_empty()) {
            tracing::info!(role, username = %mapping.username, groups = ?mapping.groups, "mapping IAM role");
        } else if let Some(sso) = &mapping.sso {
            // Go prints the struct with `%v`: `{PermissionSet AccountID Partition}`.
            let sso = format!(
                "{{{} {} {}}}",
                sso.permission_set_name,
                sso.account_id,
                sso.partition.as_deref().unwrap_or_default()
            );
            tracing::info!(sso, username = %mapping.username, groups = ?mapping.groups, "mapping IAM role");
        }
    }
    for mapping in &options.user_mappings {
        tracing::info!(user = %mapping.userarn, username = %mapping.username, groups = ?mapping.groups, "mapping IAM user");
    }
    for account in &options.mapped_accounts {
        tracing::info!(accountID = %account, "mapping IAM Account");
    }
}

impl Backends {
    /// Nothing is built or started until [`chain`](Self::chain) asks for it.
    pub fn new(
        options: ServerOptions,
        metrics: Arc<Metrics>,
        ec2: Option<Arc<dyn PrivateDnsLookup>>,
    ) -> Self {
        Backends {
            options,
            metrics,
            ec2,
            kube: OnceCell::new(),
            built: tokio::sync::Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
        }
    }

    async fn client(&self) -> Result<kube::Client, ServerError> {
        self.kube
            .get_or_try_init(|| {
                kube_client(
                    self.options.kubeconfig.as_deref(),
                    self.options.master.as_deref(),
                )
            })
            .await
            .cloned()
            .map_err(ServerError::Init)
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.push(handle);
        }
    }

    fn observer(&self) -> Arc<dyn BackendObserver> {
        self.metrics.clone()
    }

    async fn mapper(&self, mode: BackendMode) -> Result<Arc<dyn Mapper>, ServerError> {
        let mut built = self.built.lock().await;
        if let Some(m) = built.get(&mode) {
            return Ok(Arc::clone(m));
        }
        let options = &self.options;
        let mapper: Arc<dyn Mapper> = match mode {
            BackendMode::MountedFile => {
                let (mapper, duplicates) = FileMapper::new(
                    options.role_mappings.clone(),
                    options.user_mappings.clone(),
                    options.mapped_accounts.clone(),
                    options.feature_gates.sso_role_match,
                )
                .map_err(|e| ServerError::Config(options.describe_config_error(&e)))?;
                for dup in duplicates {
                    tracing::warn!(
                        "duplicate mapping in the MountedFile backend: {dup} (as upstream, the last one wins); remove the others"
                    );
                }
                Arc::new(mapper)
            }
            BackendMode::EksConfigMap => {
                let client = self.client().await?;
                let mapper = Arc::new(ConfigMapMapper::new(options.feature_gates.sso_role_match));
                self.spawn(crate::mapper::configmap::run_watch(
                    client,
                    Arc::clone(&mapper),
                    self.observer(),
                ));
                mapper
            }
            BackendMode::Crd => {
                let client = self.client().await?;
                let mapper = Arc::new(CrdMapper::new());
                self.spawn(crate::mapper::crd::run_watch(
                    client,
                    Arc::clone(&mapper),
                    self.observer(),
                ));
                mapper
            }
            BackendMode::DynamicFile => {
                let path = options.dynamic_file_path.clone().ok_or_else(|| {
                    ServerError::Config(
                        "backend mode DynamicFile needs server.dynamicfilepath".to_string(),
                    )
                })?;
                let mapper = Arc::new(DynamicFileMapper::new(options.dynamic_file_user_id_strict));
                self.spawn(dynamic_file::run_watch(
                    path,
                    Arc::clone(&mapper),
                    self.observer(),
                ));
                mapper
            }
        };
        built.insert(mode, Arc::clone(&mapper));
        Ok(mapper)
    }

    /// The chain for `modes`, building and starting what is missing.
    pub async fn chain(&self, modes: &[BackendMode]) -> Result<MapperChain, ServerError> {
        let mut mappers = Vec::with_capacity(modes.len());
        for mode in modes {
            mappers.push(self.mapper(*mode).await?);
        }
        self.set_gauges(modes);
        Ok(MapperChain::new(
            mappers,
            self.options.reserved_prefixes.clone(),
            self.ec2.clone(),
        ))
    }

    fn set_gauges(&self, modes: &[BackendMode]) {
        let enabled = modes.contains(&BackendMode::DynamicFile);
        let only = modes == [BackendMode::DynamicFile];
        self.metrics.dynamic_file_enabled.set(i64::from(enabled));
        self.metrics.dynamic_file_only.set(i64::from(only));
    }

    /// Follows the dynamic backend-mode file at `path`, switching `state`'s chain when
    /// the file names other modes, and back to the configured modes when it is removed.
    /// A file that cannot be parsed, or names unknown or duplicate modes, changes
    /// nothing (and is logged). Runs until dropped.
    pub async fn follow_backend_mode_file(self: Arc<Self>, path: PathBuf, state: Arc<AppState>) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let watch = tokio::spawn(file_watch::watch(path.clone(), move |s| {
            let _ = tx.send(s);
        }));
        let shown = path.display().to_string();
        while let Some(file) = rx.recv().await {
            let wanted = match file {
                FileState::Absent => self.options.backend_modes.clone(),
                FileState::Unreadable(e) => {
                    tracing::error!(path = %shown, "cannot read the dynamic backend mode file: {e}; keeping the current backends");
                    continue;
                }
                FileState::Present(bytes) => {
                    match parse_backend_mode_file(&bytes)
                        .and_then(|names| validate_backend_modes(&names))
                    {
                        Ok(modes) => modes,
                        Err(e) => {
                            tracing::error!(path = %shown, "invalid dynamic backend mode file: {e}; keeping the current backends");
                            continue;
                        }
                    }
                }
            };
            let current = state.mapper().current_modes();
            let wanted_names = wanted
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            if wanted_names == current {
                continue;
            }
            match self.chain(&wanted).await {
                Ok(chain) => {
                    state.set_mapper(chain);
                    tracing::info!(from = %current, to = %wanted_names, "backend mode switched");
                }
                Err(e) => tracing::error!(
                    path = %shown,
                    "cannot switch the backend mode to {wanted_names}: {e}; keeping {current}"
                ),
            }
        }
        watch.abort();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn backend_mode_file() {
        let modes = parse_backend_mode_file(
            br#"{"backendMode":"MountedFile DynamicFile","Version":"1","LastUpdatedDateTime":"1700000000"}"#,
        )
        .expect("valid");
        assert_eq!(modes, vec!["MountedFile", "DynamicFile"]);
        assert_eq!(modes.join(" "), "MountedFile DynamicFile");
        assert_eq!(
            parse_backend_mode_file(br#"{"BackendMode":"DynamicFile"}"#).expect("valid"),
            vec!["DynamicFile"]
        );
        // Upstream splits on single spaces.
        assert_eq!(
            parse_backend_mode_file(br#"{"backendMode":"MountedFile  DynamicFile"}"#)
                .expect("valid"),
            vec!["MountedFile", "", "DynamicFile"]
        );
        assert_eq!(parse_backend_mode_file(b"{}").expect("valid"), vec![""]);
        assert!(parse_backend_mode_file(br#"{"backendMode": ["MountedFile"]}"#).is_err());
        assert!(parse_backend_mode_file(b"nope").is_err());
    }
}
