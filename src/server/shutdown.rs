//! The signal that stops the server: SIGTERM (what Kubernetes sends a pod) or Ctrl-C.

use std::future::Future;

/// Registers the SIGTERM and Ctrl-C handlers at once and returns a future that resolves
/// when either signal arrives. Call it before binding: a signal sent as soon as the port
/// answers is then a clean shutdown, not the default action (death by signal).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            // As tokio's `ctrl_c`, a handler that could not be installed ends the wait;
            // a missing SIGTERM handler never does.
            let ctrl_c = async {
                if let Ok(mut s) = interrupt {
                    s.recv().await;
                }
            };
            let terminate = async {
                match terminate {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = ctrl_c => {},
                _ = terminate => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
