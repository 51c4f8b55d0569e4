//! Which program a kubeconfig user's `exec` block runs: this binary, upstream's Go
//! `aws-iam-authenticator`, `aws eks get-token`, or something else.
//!
//! `kubeconfig migrate` rewrites the upstream and awscli users; `doctor` lists them.
//! A command is "this binary" when it resolves (as kubectl would: a path with a
//! separator is taken relative to the kubeconfig's directory, a bare name is looked up
//! on `PATH`) to the same file as the running executable.

use std::path::{Path, PathBuf};

use super::KubeconfigError;
use super::file::Kubeconfig;
use super::node::Node;

/// What an exec user runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecKind {
    /// This binary (the running executable).
    ThisBinary,
    /// Another `aws-iam-authenticator` (upstream's Go binary, or `heptio-authenticator-aws`).
    Upstream,
    /// `aws eks get-token` (the AWS CLI).
    AwsCli,
    /// Any other credential plugin.
    Other,
}

impl std::fmt::Display for ExecKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExecKind::ThisBinary => "this aws-iam-authenticator",
            ExecKind::Upstream => "upstream aws-iam-authenticator",
            ExecKind::AwsCli => "aws eks get-token",
            ExecKind::Other => "another credential plugin",
        })
    }
}

/// A kubeconfig user with an `exec` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecUser {
    /// The user's `name`.
    pub name: String,
    /// What its `exec` block runs.
    pub kind: ExecKind,
    /// `exec.command` as written.
    pub command: String,
    /// `exec.args` as written.
    pub args: Vec<String>,
}

/// The exec users of the kubeconfig at `path`, classified against the running
/// executable. A missing file has none.
pub fn scan(path: &Path) -> Result<Vec<ExecUser>, KubeconfigError> {
    let this = this_binary();
    let config = Kubeconfig::load(path)?;
    Ok(scan_document(&config.root, base_dir(path), this.as_deref()))
}

/// The running executable, canonicalised (what `kubeconfig add` writes as `command`).
pub fn this_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.canonicalize().unwrap_or(exe))
}

/// The path `kubeconfig add` and `migrate` write as `command`: absolute, and stable
/// across upgrades.
///
/// Package managers install the binary in a versioned directory and link it from a
/// directory on `PATH` (Homebrew: `/opt/homebrew/bin/x` → `../Cellar/x/0.1.0/bin/x`;
/// Scoop's `current` link; Nix profiles). The versioned path disappears at the next
/// upgrade, and every kubeconfig naming it breaks. So when `PATH` reaches this very file
/// under its own name, that entry is written (kubectl runs it without a `PATH` lookup of
/// its own); otherwise the canonical path of the running executable.
pub fn exec_command_path() -> Option<PathBuf> {
    let exe = this_binary()?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    Some(stable_path(&exe, &path))
}

/// [`exec_command_path`] for a given canonical executable and `PATH` value.
fn stable_path(exe: &Path, path: &std::ffi::OsStr) -> PathBuf {
    let Some(name) = exe.file_name() else {
        return exe.to_path_buf();
    };
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.canonicalize().is_ok_and(|c| c == exe))
        .unwrap_or_else(|| exe.to_path_buf())
}

/// The directory relative commands are resolved against (kubectl's rule).
pub(crate) fn base_dir(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

/// The exec users of a parsed kubeconfig. `this` is the file to recognise as this
/// binary; `base` the kubeconfig's directory.
pub fn scan_document(root: &Node, base: &Path, this: Option<&Path>) -> Vec<ExecUser> {
    let Some(users) = root.get("users").and_then(Node::as_seq) else {
        return Vec::new();
    };
    users
        .iter()
        .filter_map(|u| {
            let exec = u.get("user")?.get("exec")?;
            let command = exec.get("command")?.as_str()?.to_string();
            let args = exec
                .get("args")
                .and_then(Node::string_list)
                .unwrap_or_default();
            let name = u
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string();
            let kind = classify(&command, &args, base, this);
            Some(ExecUser {
                name,
                kind,
                command,
                args,
            })
        })
        .collect()
}

/// Classifies one exec block.
pub fn classify(command: &str, args: &[String], base: &Path, this: Option<&Path>) -> ExecKind {
    if let (Some(this), Some(resolved)) = (this, resolve_command(command, base))
        && resolved.canonicalize().is_ok_and(|c| c == this)
    {
        return ExecKind::ThisBinary;
    }
    match program_name(command).as_str() {
        "aws-iam-authenticator" | "heptio-authenticator-aws" => ExecKind::Upstream,
        "aws" if aws_get_token_position(args).is_some() => ExecKind::AwsCli,
        _ => ExecKind::Other,
    }
}

/// The command's file name without directory or a Windows extension.
pub(crate) fn program_name(command: &str) -> String {
    let name = command
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(command)
        .to_ascii_lowercase();
    for ext in [".exe", ".cmd", ".bat"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    name
}

/// Where `eks get-token` starts in an `aws` command line (the index of `eks`), after
/// any global options.
pub(crate) fn aws_get_token_position(args: &[String]) -> Option<usize> {
    let eks = args.iter().position(|a| a == "eks")?;
    (args.get(eks + 1).map(String::as_str) == Some("get-token")).then_some(eks)
}

/// The file kubectl would run for `command`.
fn resolve_command(command: &str, base: &Path) -> Option<PathBuf> {
    if command.contains('/') || command.contains(std::path::MAIN_SEPARATOR) {
        let p = Path::new(command);
        return Some(if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        });
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// A Homebrew-style install: the versioned file is reached through a link on `PATH`,
    /// and the link is what gets written; a binary `PATH` does not reach is written as is.
    #[cfg(unix)]
    #[test]
    fn the_path_entry_that_reaches_this_binary_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let cellar = root.join("Cellar/x/0.1.0/bin");
        let bin = root.join("bin");
        std::fs::create_dir_all(&cellar).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let exe = cellar.join("aws-iam-authenticator");
        std::fs::write(&exe, "").unwrap();
        std::os::unix::fs::symlink(&exe, bin.join("aws-iam-authenticator")).unwrap();
        let other = root.join("other");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("aws-iam-authenticator"), "").unwrap();
        let path = std::env::join_paths([&other, &bin]).unwrap();
        assert_eq!(stable_path(&exe, &path), bin.join("aws-iam-authenticator"));
        let path = std::env::join_paths([&other]).unwrap();
        assert_eq!(stable_path(&exe, &path), exe);
    }

    #[test]
    fn kinds() {
        let base = Path::new("/");
        let dir = tempfile::tempdir().unwrap();
        let me = dir.path().join("aws-iam-authenticator");
        std::fs::write(&me, "").unwrap();
        let me = me.canonicalize().unwrap();
        let c = |cmd: &str, a: &[&str]| classify(cmd, &args(a), base, Some(&me));
        assert_eq!(
            c(me.to_str().unwrap(), &["token", "-i", "x"]),
            ExecKind::ThisBinary
        );
        assert_eq!(
            c("/usr/local/bin/aws-iam-authenticator", &["token"]),
            ExecKind::Upstream
        );
        assert_eq!(
            c("aws-iam-authenticator.exe", &["token"]),
            ExecKind::Upstream
        );
        assert_eq!(
            c(
                "aws",
                &[
                    "--region",
                    "eu-west-1",
                    "eks",
                    "get-token",
                    "--cluster-name",
                    "x"
                ]
            ),
            ExecKind::AwsCli
        );
        assert_eq!(c("/usr/bin/aws", &["eks", "get-token"]), ExecKind::AwsCli);
        assert_eq!(c("aws", &["sts", "get-caller-identity"]), ExecKind::Other);
        assert_eq!(c("gke-gcloud-auth-plugin", &[]), ExecKind::Other);
    }

    #[test]
    fn scans_users_with_exec_blocks_only() {
        let doc: Node = serde_saphyr::from_str(
            "users:\n- name: a\n  user:\n    exec:\n      command: aws\n      args: [eks, get-token, --cluster-name, c]\n- name: b\n  user:\n    token: abc\n- name: c\n  user:\n    exec:\n      command: kubelogin\n",
        )
        .unwrap();
        let users = scan_document(&doc, Path::new("/"), None);
        let got: Vec<_> = users.iter().map(|u| (u.name.as_str(), u.kind)).collect();
        assert_eq!(got, vec![("a", ExecKind::AwsCli), ("c", ExecKind::Other)]);
    }
}
