//! [`run_watch`]: keeps a [`ConfigMapMapper`] in step with `kube-system/aws-auth`
//! through a kube-rs watcher, keeping the last good mapping when an update is malformed.

use std::sync::Arc;

use super::{ConfigMapMapper, NAME, NAMESPACE, parse_map};
use crate::mapper::{BackendMode, BackendObserver};

/// Keeps `mapper` in step with `kube-system/aws-auth`; runs until dropped.
///
/// A kube-rs watcher (list, then watch from the list's resourceVersion; a re-list after
/// the watch expires or the connection drops) on exactly that object, through a field
/// selector, as upstream. Failures are counted in `configmap_watch_failures_total` and
/// retried with kube-rs' default exponential backoff (upstream retries every 5 s).
///
/// * Added/modified: parsed; entries that fail validation are dropped with a warning and
///   the rest are used. An update in which a whole key is unreadable (broken YAML) is
///   not applied at all: the last good mapping stays, and the error is logged.
/// * Deleted, or absent from a (re-)list: the mappings are cleared, as upstream.
pub async fn run_watch(
    client: kube::Client,
    mapper: Arc<ConfigMapMapper>,
    observer: Arc<dyn BackendObserver>,
) {
    use futures_util::StreamExt;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::runtime::{WatchStreamExt, watcher};

    let api: kube::Api<ConfigMap> = kube::Api::namespaced(client, NAMESPACE);
    let config = watcher::Config::default().fields(&format!("metadata.name={NAME}"));
    let mut stream = std::pin::pin!(watcher(api, config).default_backoff());
    let mut seen_in_list = false;
    let mut has_good = false;
    while let Some(event) = stream.next().await {
        match event {
            Ok(watcher::Event::Init) => seen_in_list = false,
            Ok(watcher::Event::InitApply(cm) | watcher::Event::Apply(cm)) => {
                seen_in_list = true;
                let version = cm.metadata.resource_version.clone().unwrap_or_default();
                let parsed = parse_map(&cm.data.unwrap_or_default());
                if parsed.is_malformed() && has_good {
                    tracing::error!(
                        resource_version = %version,
                        problems = ?parsed.warnings,
                        "{NAMESPACE}/{NAME} is malformed; keeping the last good mapping until it is fixed"
                    );
                    continue;
                }
                for warning in &parsed.warnings {
                    tracing::warn!("{NAMESPACE}/{NAME}: {warning}; entry ignored");
                }
                tracing::info!(
                    resource_version = %version,
                    roles = parsed.roles.len(),
                    users = parsed.users.len(),
                    accounts = parsed.accounts.len(),
                    "loaded {NAMESPACE}/{NAME}"
                );
                mapper.update(parsed);
                has_good = true;
            }
            Ok(watcher::Event::InitDone) => {
                mapper.synced.mark();
                if !seen_in_list {
                    if has_good {
                        tracing::info!("{NAMESPACE}/{NAME} is gone: mappings cleared");
                    } else {
                        tracing::info!("{NAMESPACE}/{NAME} does not exist (yet): nothing mapped");
                    }
                    mapper.clear();
                    has_good = false;
                }
            }
            Ok(watcher::Event::Delete(_)) => {
                tracing::info!("{NAMESPACE}/{NAME} was deleted: mappings cleared");
                mapper.clear();
                has_good = false;
            }
            Err(e) => {
                observer.watch_failure(BackendMode::EksConfigMap);
                tracing::warn!("watching {NAMESPACE}/{NAME} failed: {e}; retrying with backoff");
            }
        }
    }
}
