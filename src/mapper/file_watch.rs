//! Watching one file for changes, for the DynamicFile backend and the dynamic
//! backend-mode file.
//!
//! Upstream polls every second for the file to appear and then watches the file itself
//! with fsnotify, restarting the loop once a second. We watch the file's **directory**
//! with `notify` (inotify on Linux) instead, for two reasons:
//!
//! * editors and tools that write atomically (temp file + rename) and Kubernetes' own
//!   ConfigMap/Secret volumes (a `..data` symlink swap) replace the file's inode, which a
//!   watch on the file itself loses;
//! * a file that does not exist yet can be waited for without polling.
//!
//! Every event in the directory triggers a re-read of the file after a short settling
//! delay, and only a change of content (or of presence) is reported, so bursts of events
//! from one write produce one reload. A partially written file is reported as it is; the
//! caller keeps its last good state when parsing fails, and the write's final event
//! reports the complete file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// How long to wait after an event for more events from the same write.
const SETTLE: Duration = Duration::from_millis(50);
/// When the directory cannot be watched (it does not exist yet), how often to retry.
const RETRY: Duration = Duration::from_secs(1);

/// The state of the watched file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileState {
    /// The file exists with these contents.
    Present(Vec<u8>),
    /// The file does not exist.
    Absent,
    /// The file exists (or may) but cannot be read: permissions, I/O error, a directory
    /// in its place. Not the same as absent — callers keep their last good state rather
    /// than clearing it (a `chmod 000` must not wipe the mappings).
    Unreadable(String),
}

fn read_state(path: &Path) -> FileState {
    match std::fs::read(path) {
        Ok(bytes) => FileState::Present(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Absent,
        Err(e) => FileState::Unreadable(e.to_string()),
    }
}

/// Watches `path` and calls `on_change` with its state: once at start, then after every
/// change of content or presence. Runs until the task is dropped.
pub async fn watch<F>(path: PathBuf, mut on_change: F)
where
    F: FnMut(FileState) + Send,
{
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut last = read_state(&path);
    on_change(last.clone());
    loop {
        let (tx, mut rx) = mpsc::unbounded_channel::<()>();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // Any event in the directory (or a watch error) means "look again".
            let _ = res;
            let _ = tx.send(());
        });
        let mut watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(dir = %dir.display(), "cannot create a file watcher: {e}; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
            tracing::debug!(dir = %dir.display(), "cannot watch the directory yet: {e}; retrying");
            tokio::time::sleep(RETRY).await;
            // The file may have appeared meanwhile (the directory was created).
            let now = read_state(&path);
            if now != last {
                last = now;
                on_change(last.clone());
            }
            continue;
        }
        // The file may have changed between the first read and the watch starting.
        let now = read_state(&path);
        if now != last {
            last = now;
            on_change(last.clone());
        }
        loop {
            let next = if dir.exists() {
                rx.recv().await
            } else {
                // The directory itself went away: start over (watch again once it is back).
                None
            };
            if next.is_none() {
                break;
            }
            tokio::time::sleep(SETTLE).await;
            while rx.try_recv().is_ok() {}
            let now = read_state(&path);
            if now != last {
                last = now;
                on_change(last.clone());
            }
        }
        drop(watcher);
        let now = read_state(&path);
        if now != last {
            last = now;
            on_change(last.clone());
        }
        tokio::time::sleep(RETRY).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    async fn wait_for(seen: &Arc<Mutex<Vec<FileState>>>, n: usize) -> Vec<FileState> {
        for _ in 0..200 {
            if seen.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        seen.lock().unwrap().clone()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reports_creation_atomic_replace_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mapping.json");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let task = tokio::spawn(watch(path.clone(), move |s| sink.lock().unwrap().push(s)));

        assert_eq!(wait_for(&seen, 1).await, vec![FileState::Absent]);
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::fs::write(&path, b"one").unwrap();
        let got = wait_for(&seen, 2).await;
        assert_eq!(got[1], FileState::Present(b"one".to_vec()));

        // Atomic replace: write a temp file, rename it over.
        let tmp = dir.path().join(".mapping.json.tmp");
        std::fs::write(&tmp, b"two").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let got = wait_for(&seen, 3).await;
        assert_eq!(got[2], FileState::Present(b"two".to_vec()));

        // Rewriting the same content reports nothing new.
        std::fs::write(&path, b"two").unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(seen.lock().unwrap().len(), 3);

        std::fs::remove_file(&path).unwrap();
        let got = wait_for(&seen, 4).await;
        assert_eq!(got[3], FileState::Absent);
        task.abort();
    }

    /// A file that exists but cannot be read is not absent: were it reported so, the
    /// DynamicFile mapper would clear every mapping on a `chmod 000` or an I/O error. A
    /// directory in the file's place is unreadable even for root.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unreadable_is_not_absent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mapping.json");
        std::fs::write(&path, b"one").unwrap();
        assert_eq!(read_state(&path), FileState::Present(b"one".to_vec()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let task = tokio::spawn(watch(path.clone(), move |s| sink.lock().unwrap().push(s)));
        assert_eq!(wait_for(&seen, 1).await.len(), 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        for _ in 0..400 {
            if matches!(seen.lock().unwrap().last(), Some(FileState::Unreadable(_))) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let got = seen.lock().unwrap().clone();
        assert!(
            matches!(got.last(), Some(FileState::Unreadable(_))),
            "{got:?}"
        );
        task.abort();
    }
}
