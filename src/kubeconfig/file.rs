//! Finding, reading and writing a kubeconfig file.
//!
//! * **Which file**: `--kubeconfig`, else the first entry of `KUBECONFIG`, else
//!   `~/.kube/config` — where `aws eks update-kubeconfig` and `kubectl config set-*`
//!   write too.
//! * **Reading** keeps the order of every mapping ([`Node`]), so a rewrite changes only
//!   the entries that changed. A file that does not exist (or is empty) reads as the
//!   empty kubeconfig awscli starts from.
//! * **Comments**: the comment lines at the top of the file (before the first key) are
//!   kept; every other comment is lost on a write. kubectl loses all of them (it decodes
//!   the file into its `Config` struct and encodes that), and so does
//!   `aws eks update-kubeconfig` (PyYAML). `migrate` keeps the original as a backup.
//! * **Writing** is atomic: a private temp file in the same directory, then `rename`, so
//!   kubectl never reads half a file, and the file keeps its mode (new files are `0600`,
//!   a new directory `0700`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::KubeconfigError;
use super::node::Node;

/// Where `kubeconfig add` and `migrate` write: `flag`, else the first non-empty entry
/// of `KUBECONFIG`, else `~/.kube/config`.
pub fn resolve_path(flag: Option<&Path>) -> Result<PathBuf, KubeconfigError> {
    if let Some(p) = flag.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(p.to_path_buf());
    }
    if let Some(list) = std::env::var_os("KUBECONFIG")
        && let Some(first) = std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty())
    {
        return Ok(first);
    }
    let home = std::env::home_dir().ok_or(KubeconfigError::NoHome)?;
    Ok(home.join(".kube").join("config"))
}

/// A loaded kubeconfig: its path, the text read (none for a new file) and the tree.
#[derive(Clone, Debug)]
pub struct Kubeconfig {
    /// The file.
    pub path: PathBuf,
    /// The text as read; `None` when the file did not exist.
    pub original: Option<String>,
    /// The document.
    pub root: Node,
    /// Comment and blank lines before the first key, written back unchanged.
    header: String,
}

/// The document `aws eks update-kubeconfig` starts a new file from.
fn empty_document() -> Node {
    Node::Map(vec![
        (Node::str("apiVersion"), Node::str("v1")),
        (Node::str("clusters"), Node::Seq(Vec::new())),
        (Node::str("contexts"), Node::Seq(Vec::new())),
        (Node::str("current-context"), Node::str("")),
        (Node::str("kind"), Node::str("Config")),
        (Node::str("preferences"), Node::map()),
        (Node::str("users"), Node::Seq(Vec::new())),
    ])
}

/// The leading comment block: lines that are blank or start with `#`, up to the first
/// other line (a `---` document marker ends it too, and stays in the body).
fn leading_comments(text: &str) -> String {
    let mut header = String::new();
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            header.push_str(line);
        } else {
            break;
        }
    }
    // Only a comment block counts; blank lines alone are not worth keeping.
    if header.lines().any(|l| l.trim_start().starts_with('#')) {
        header
    } else {
        String::new()
    }
}

impl Kubeconfig {
    /// Reads `path`; a missing or empty file is the empty kubeconfig.
    pub fn load(path: &Path) -> Result<Self, KubeconfigError> {
        let text = match fs::read_to_string(path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(KubeconfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let Some(text) = text else {
            return Ok(Kubeconfig {
                path: path.to_path_buf(),
                original: None,
                root: empty_document(),
                header: String::new(),
            });
        };
        let root = Self::parse(path, &text)?;
        Ok(Kubeconfig {
            path: path.to_path_buf(),
            header: leading_comments(&text),
            original: Some(text),
            root,
        })
    }

    /// Parses and checks the shape kubectl needs: a mapping whose `clusters`, `users`
    /// and `contexts` are lists of mappings.
    pub fn parse(path: &Path, text: &str) -> Result<Node, KubeconfigError> {
        let bad = |line: Option<u64>, reason: String| KubeconfigError::Invalid {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let root: Node = serde_saphyr::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).filter(|l| *l > 0);
            // The library's message can carry a source snippet on further lines.
            let first = e.to_string().lines().next().unwrap_or_default().to_string();
            // `error: line 4 column 12: unclosed bracket '['`: the position is ours to print.
            let reason = first.strip_prefix("error: ").unwrap_or(&first);
            let reason = match reason.split_once(": ") {
                Some((pos, rest)) if pos.starts_with("line ") => rest,
                _ => reason,
            }
            .to_string();
            bad(line, reason)
        })?;
        let root = match root {
            Node::Null => empty_document(),
            Node::Map(_) => root,
            _ => return Err(bad(None, "the document is not a mapping".into())),
        };
        for key in ["clusters", "users", "contexts"] {
            match root.get(key) {
                None | Some(Node::Null) => {}
                Some(Node::Seq(items)) => {
                    if items.iter().any(|i| !matches!(i, Node::Map(_))) {
                        return Err(bad(
                            line_of(text, key),
                            format!("an entry of `{key}` is not a mapping"),
                        ));
                    }
                }
                Some(_) => {
                    return Err(bad(line_of(text, key), format!("`{key}` is not a list")));
                }
            }
        }
        Ok(root)
    }

    /// The list under `key`, created when missing or null; `None` when the document
    /// is not a mapping (never for one [`Kubeconfig::load`] returned).
    pub fn list_mut(&mut self, key: &str) -> Option<&mut Vec<Node>> {
        if !matches!(self.root.get(key), Some(Node::Seq(_))) {
            self.root.set(key, Node::Seq(Vec::new()));
        }
        match self.root.get_mut(key) {
            Some(Node::Seq(items)) => Some(items),
            _ => None,
        }
    }

    /// The file's new text: the leading comments, then the document.
    pub fn render(&self) -> Result<String, KubeconfigError> {
        // Plain scalars as kubectl writes them: no folded (`>-`) style for the long
        // base64 certificate data.
        let options = serde_saphyr::ser_options! { prefer_block_scalars: false };
        let body = serde_saphyr::to_string_with_options(&self.root, options)
            .map_err(|e| KubeconfigError::Render(e.to_string()))?;
        Ok(format!("{}{}", self.header, body))
    }

    /// Writes `text` to the file atomically (see the module docs).
    pub fn write(&self, text: &str) -> Result<(), KubeconfigError> {
        write_atomically(&self.path, text.as_bytes())
    }
}

/// The 1-based line of the first top-level `key:` in `text`, for error messages.
fn line_of(text: &str, key: &str) -> Option<u64> {
    let prefix = format!("{key}:");
    text.lines()
        .position(|l| l.starts_with(&prefix))
        .and_then(|i| u64::try_from(i + 1).ok())
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KubeconfigError + '_ {
    move |source| KubeconfigError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Temp file next to `path` (same filesystem, so `rename` is atomic), same mode as the
/// existing file or `0600`, flushed to disk, then renamed over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), KubeconfigError> {
    // A symlinked kubeconfig (dotfiles) is written where it points, and stays a link.
    let target = fs::canonicalize(path).ok();
    let path = target.as_deref().unwrap_or(path);
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    if !dir.exists() {
        create_private_dir(&dir).map_err(io_error(&dir))?;
    }
    let mode = existing_mode(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = create_private_file(&tmp)?;
        file.write_all(bytes)?;
        if let Some(mode) = mode {
            set_mode(&tmp, mode)?;
        }
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_error(path))
}

/// Copies `path` to `path.bak-<UTC timestamp>` (same mode) and returns the backup's path.
pub fn backup(path: &Path, now: time::OffsetDateTime) -> Result<PathBuf, KubeconfigError> {
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .map_err(|e| KubeconfigError::Render(e.to_string()))?;
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".bak-{stamp}"));
    let mut backup = PathBuf::from(name);
    // Two runs within the same second must not overwrite the first backup.
    let mut n = 1;
    while backup.exists() {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".bak-{stamp}.{n}"));
        backup = PathBuf::from(name);
        n += 1;
    }
    let bytes = fs::read(path).map_err(|source| KubeconfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut file = create_private_file(&backup).map_err(io_error(&backup))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_error(&backup))?;
    if let Some(mode) = existing_mode(path) {
        set_mode(&backup, mode).map_err(io_error(&backup))?;
    }
    Ok(backup)
}

#[cfg(unix)]
fn existing_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn existing_mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_before_the_first_key_are_kept_others_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let text = "# managed by hand\n# second line\n\napiVersion: v1\n# lost\nkind: Config\nclusters: []\n";
        fs::write(&path, text).unwrap();
        let k = Kubeconfig::load(&path).unwrap();
        let out = k.render().unwrap();
        assert!(
            out.starts_with("# managed by hand\n# second line\n\napiVersion: v1\n"),
            "{out}"
        );
        assert!(!out.contains("# lost"), "{out}");
        // Key order is the file's.
        let kind = out.find("kind:").unwrap();
        let clusters = out.find("clusters:").unwrap();
        assert!(kind < clusters, "{out}");
    }

    #[test]
    fn bad_files_name_the_file_and_line() {
        let path = Path::new("/some/kubeconfig");
        let err = Kubeconfig::parse(path, "apiVersion: v1\nclusters:\n  - name: a\n   bad: [\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/some/kubeconfig"), "{err}");
        assert!(err.contains("line "), "{err}");
        let err = Kubeconfig::parse(path, "apiVersion: v1\nusers: nope\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("`users` is not a list"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn writes_are_atomic_private_and_keep_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("config");
        write_atomically(&path, b"a: 1\n").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"a: 2\n").unwrap();
        assert_eq!(mode(&path), 0o640);
        assert_eq!(fs::read_to_string(&path).unwrap(), "a: 2\n");
        // No temp file left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_stay_links() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        let link = dir.path().join("config");
        fs::write(&real, "a: 1\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"a: 2\n").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "a: 2\n");
    }

    #[test]
    fn kubeconfig_env_first_entry() {
        // Only the flag path is checked here: the environment is process-wide.
        assert_eq!(
            resolve_path(Some(Path::new("/x/y"))).unwrap(),
            PathBuf::from("/x/y")
        );
    }
}
