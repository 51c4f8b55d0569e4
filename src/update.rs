//! Self-update for installs from a release archive (cargo feature `self-update`).
//!
//! The release layout is what cargo-dist publishes on GitHub Releases:
//!
//! ```text
//! <releases>/latest/download/dist-manifest.json      which version is the latest
//! <releases>/download/v<version>/dist-manifest.json
//! <releases>/download/v<version>/sha256.sum          "<hex> *<file>" per artifact
//! <releases>/download/v<version>/aws-iam-authenticator-<target>.tar.gz   (.zip on Windows)
//! ```
//!
//! `<releases>` defaults to [`DEFAULT_RELEASES_URL`] and can be pointed elsewhere (a mirror,
//! or a local server in tests) with [`RELEASE_URL_ENV`] or `self-update --from`.
//!
//! An update downloads the archive for this build's target, checks its SHA-256 against the
//! release's checksums file, unpacks the binary, runs it once (`--version`) and only then
//! swaps it in for the running executable. Nothing is replaced when any step fails.
//!
//! Binaries that a package manager owns are never replaced: [`installed_by`] recognises
//! Homebrew, Chocolatey, Scoop, winget, krew, `cargo install`, Nix and dpkg installs from
//! the executable's location, and [`Owner::upgrade_command`] names the command to use instead.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Where releases are published: GitHub Releases of the project.
pub const DEFAULT_RELEASES_URL: &str =
    "https://github.com/aws-iam-authenticator-rs/aws-iam-authenticator/releases";

/// Environment variable that overrides [`DEFAULT_RELEASES_URL`].
pub const RELEASE_URL_ENV: &str = "AWS_IAM_AUTHENTICATOR_RELEASE_URL";

/// The release's checksums file (cargo-dist `checksum = "sha256"`).
pub const CHECKSUMS_FILE: &str = "sha256.sum";

/// The release's cargo-dist manifest.
pub const MANIFEST_FILE: &str = "dist-manifest.json";

/// The binary's name inside release archives (without `.exe`).
pub const BIN_NAME: &str = "aws-iam-authenticator";

/// The package name used by Homebrew, Chocolatey and Scoop.
pub const PACKAGE_NAME: &str = "aws-iam-authenticator-rs";

/// The winget package identifier.
pub const WINGET_ID: &str = "aws-iam-authenticator-rs.aws-iam-authenticator";

/// The krew plugin name (`kubectl iam-authenticator`).
pub const KREW_PLUGIN: &str = "iam-authenticator";

/// The crate name for `cargo install`.
pub const CRATE_NAME: &str = "aws-iam-authenticator";

const MAX_METADATA_BYTES: u64 = 4 << 20;
const MAX_ARCHIVE_BYTES: u64 = 256 << 20;
const METADATA_TIMEOUT: Duration = Duration::from_secs(30);
const ARCHIVE_TIMEOUT: Duration = Duration::from_secs(600);

/// Why an update could not be done.
#[derive(Debug)]
pub enum UpdateError {
    /// A package manager owns the executable; the message names the command to use.
    ManagedInstall {
        /// The executable's path.
        exe: PathBuf,
        /// Who owns it.
        owner: Owner,
    },
    /// A download failed.
    Download {
        /// What was being fetched.
        url: String,
        /// The transport's message.
        message: String,
    },
    /// The release metadata (manifest or checksums file) is missing or malformed.
    Release(String),
    /// The downloaded archive does not match the release's checksum.
    ChecksumMismatch {
        /// The archive's file name.
        artifact: String,
        /// The checksum the release publishes.
        expected: String,
        /// The checksum of what was downloaded.
        actual: String,
    },
    /// The archive could not be unpacked or lacks the binary.
    Archive(String),
    /// The unpacked binary does not run on this machine.
    BrokenBinary(String),
    /// Replacing the running executable failed.
    Replace {
        /// The executable's path.
        exe: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Any other local I/O failure.
    Io(String),
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::ManagedInstall { exe, owner } => write!(
                f,
                "{} was installed by {}; self-update only replaces binaries installed from a \
                 release archive or the install scripts. Upgrade with: {}",
                exe.display(),
                owner.name(),
                owner.upgrade_command()
            ),
            UpdateError::Download { url, message } => {
                write!(f, "cannot download {url}: {message}")
            }
            UpdateError::Release(m) => write!(f, "bad release metadata: {m}"),
            UpdateError::ChecksumMismatch {
                artifact,
                expected,
                actual,
            } => write!(
                f,
                "checksum mismatch for {artifact}: the release lists sha256 {expected}, the \
                 download has {actual}; nothing was replaced"
            ),
            UpdateError::Archive(m) => write!(f, "cannot unpack the release archive: {m}"),
            UpdateError::BrokenBinary(m) => {
                write!(f, "the downloaded binary does not run here: {m}")
            }
            UpdateError::Replace { exe, source } => {
                write!(f, "cannot replace {}: {source}", exe.display())?;
                if source.kind() == std::io::ErrorKind::PermissionDenied {
                    write!(
                        f,
                        " (run it as the user that owns the file, or reinstall with the install script)"
                    )?;
                }
                Ok(())
            }
            UpdateError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for UpdateError {}

/// A package manager (or other installer) that owns an executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Homebrew (macOS or Linux).
    Homebrew,
    /// Chocolatey.
    Chocolatey,
    /// Scoop.
    Scoop,
    /// winget (portable package).
    Winget,
    /// krew, the kubectl plugin manager.
    Krew,
    /// `cargo install` (recorded in `$CARGO_HOME/.crates2.json`).
    Cargo,
    /// Nix.
    Nix,
    /// A dpkg package (Debian, Ubuntu).
    Dpkg {
        /// The owning package.
        package: String,
    },
}

impl Owner {
    /// A human name for the installer.
    pub fn name(&self) -> String {
        match self {
            Owner::Homebrew => "Homebrew".into(),
            Owner::Chocolatey => "Chocolatey".into(),
            Owner::Scoop => "Scoop".into(),
            Owner::Winget => "winget".into(),
            Owner::Krew => "krew".into(),
            Owner::Cargo => "cargo install".into(),
            Owner::Nix => "Nix".into(),
            Owner::Dpkg { package } => format!("the Debian package {package}"),
        }
    }

    /// The command that upgrades this install.
    pub fn upgrade_command(&self) -> String {
        match self {
            Owner::Homebrew => format!("brew upgrade {PACKAGE_NAME}"),
            Owner::Chocolatey => format!("choco upgrade {PACKAGE_NAME}"),
            Owner::Scoop => format!("scoop update {PACKAGE_NAME}"),
            Owner::Winget => format!("winget upgrade --id {WINGET_ID}"),
            Owner::Krew => format!("kubectl krew upgrade {KREW_PLUGIN}"),
            Owner::Cargo => format!("cargo install --locked {CRATE_NAME}"),
            Owner::Nix => "your Nix profile or configuration (e.g. nix profile upgrade)".into(),
            Owner::Dpkg { package } => format!("sudo apt-get install --only-upgrade {package}"),
        }
    }
}

/// What [`installed_by`] looks at besides the path: the environment variables package
/// managers set, and where `cargo install` and dpkg keep their records.
#[derive(Clone, Debug, Default)]
pub struct InstallEnv {
    /// `$HOMEBREW_PREFIX`, `$HOMEBREW_CELLAR`.
    pub homebrew: Vec<PathBuf>,
    /// `$ChocolateyInstall`.
    pub chocolatey: Option<PathBuf>,
    /// `$SCOOP`, `$SCOOP_GLOBAL`.
    pub scoop: Vec<PathBuf>,
    /// `$KREW_ROOT`, else `~/.krew`.
    pub krew_root: Option<PathBuf>,
    /// `$CARGO_HOME`, else `~/.cargo`.
    pub cargo_home: Option<PathBuf>,
    /// `$DPKG_ADMINDIR`, else `/var/lib/dpkg` (on Unix).
    pub dpkg_admindir: Option<PathBuf>,
}

impl InstallEnv {
    /// Reads the environment of this process.
    pub fn from_env() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = std::env::home_dir();
        InstallEnv {
            homebrew: ["HOMEBREW_CELLAR", "HOMEBREW_PREFIX"]
                .iter()
                .filter_map(|v| var(v))
                .collect(),
            chocolatey: var("ChocolateyInstall"),
            scoop: ["SCOOP", "SCOOP_GLOBAL"]
                .iter()
                .filter_map(|v| var(v))
                .collect(),
            krew_root: var("KREW_ROOT").or_else(|| home.as_ref().map(|h| h.join(".krew"))),
            cargo_home: var("CARGO_HOME").or_else(|| home.as_ref().map(|h| h.join(".cargo"))),
            dpkg_admindir: var("DPKG_ADMINDIR").or_else(|| {
                cfg!(unix)
                    .then(|| PathBuf::from("/var/lib/dpkg"))
                    .filter(|p| p.is_dir())
            }),
        }
    }
}

/// Path components, lower-cased, with `\` and `/` both treated as separators (so Windows
/// paths classify the same on every platform).
fn components(path: &str) -> Vec<String> {
    path.split(['/', '\\'])
        .filter(|c| !c.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

fn has_run(parts: &[String], run: &[&str]) -> bool {
    parts
        .windows(run.len())
        .any(|w| w.iter().zip(run).all(|(a, b)| a == b))
}

fn starts(parts: &[String], prefix: &[&str]) -> bool {
    parts.len() > prefix.len() && parts.iter().zip(prefix).all(|(a, b)| a == b)
}

fn under(path: &str, prefix: &Path) -> bool {
    let p = components(path);
    let prefix = components(&prefix.to_string_lossy());
    !prefix.is_empty() && p.len() > prefix.len() && p.starts_with(&prefix)
}

/// Which package manager, if any, owns the executable at `exe`.
///
/// Decided from the path (and, for `cargo install` and dpkg, their records), never by
/// running the package manager:
///
/// * Homebrew: a `Cellar` directory, `/opt/homebrew`, `/home/linuxbrew`, `$HOMEBREW_PREFIX`;
/// * Chocolatey: a `chocolatey` directory or `$ChocolateyInstall`;
/// * Scoop: `…\scoop\apps\…` or `$SCOOP`; winget: `…\WinGet\Packages\…` or `…\WinGet\Links\…`;
/// * krew: `$KREW_ROOT` or `~/.krew`; Nix: `/nix/store`;
/// * `cargo install`: `$CARGO_HOME/bin` *and* a record in `$CARGO_HOME/.crates2.json` or
///   `.crates.toml` (the shell installer may also use that directory, and leaves no record);
/// * dpkg: a package's file list in `$DPKG_ADMINDIR/info/*.list` names the path.
pub fn installed_by(exe: &Path, env: &InstallEnv) -> Option<Owner> {
    let text = exe.to_string_lossy();
    let parts = components(&text);

    let homebrew = parts.iter().any(|c| c == "cellar")
        || starts(&parts, &["opt", "homebrew"])
        || starts(&parts, &["home", "linuxbrew"])
        || env.homebrew.iter().any(|p| under(&text, p));
    if homebrew {
        return Some(Owner::Homebrew);
    }
    if parts.iter().any(|c| c == "chocolatey")
        || env.chocolatey.as_deref().is_some_and(|p| under(&text, p))
    {
        return Some(Owner::Chocolatey);
    }
    if has_run(&parts, &["scoop", "apps"])
        || has_run(&parts, &["scoop", "shims"])
        || env.scoop.iter().any(|p| under(&text, p))
    {
        return Some(Owner::Scoop);
    }
    if has_run(&parts, &["winget", "packages"]) || has_run(&parts, &["winget", "links"]) {
        return Some(Owner::Winget);
    }
    if parts.iter().any(|c| c == ".krew")
        || env.krew_root.as_deref().is_some_and(|p| under(&text, p))
    {
        return Some(Owner::Krew);
    }
    if starts(&parts, &["nix", "store"]) {
        return Some(Owner::Nix);
    }
    if let Some(cargo_home) = &env.cargo_home
        && exe.parent() == Some(cargo_home.join("bin").as_path())
        && cargo_records_install(cargo_home)
    {
        return Some(Owner::Cargo);
    }
    if let Some(admindir) = &env.dpkg_admindir
        && let Some(package) = dpkg_owner(admindir, exe)
    {
        return Some(Owner::Dpkg { package });
    }
    None
}

/// Whether `cargo install` recorded this crate under `cargo_home`.
fn cargo_records_install(cargo_home: &Path) -> bool {
    // Both files key installs as "<crate> <version> (<source>)".
    let needle = format!("\"{CRATE_NAME} ");
    [".crates2.json", ".crates.toml"].iter().any(|file| {
        std::fs::read_to_string(cargo_home.join(file)).is_ok_and(|s| s.contains(&needle))
    })
}

/// The dpkg package whose file list contains `exe`, if any.
fn dpkg_owner(admindir: &Path, exe: &Path) -> Option<String> {
    let wanted = exe.to_string_lossy();
    let entries = std::fs::read_dir(admindir.join("info")).ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(package) = name.strip_suffix(".list") else {
            continue;
        };
        let Ok(list) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        if list.lines().any(|l| l == wanted) {
            let package = package.split(':').next().unwrap_or(package);
            return Some(package.to_owned());
        }
    }
    None
}

/// The target triple this binary was built for (e.g. `x86_64-unknown-linux-musl`).
pub fn target() -> &'static str {
    self_update::get_target()
}

/// The release archive for `target`: `.zip` on Windows, `.tar.gz` elsewhere.
pub fn archive_name(target: &str) -> String {
    if target.contains("windows") {
        format!("{BIN_NAME}-{target}.zip")
    } else {
        format!("{BIN_NAME}-{target}.tar.gz")
    }
}

/// The SHA-256 listed for `file` in a `sha256sum`-style checksums file
/// (`<hex> *<file>` or `<hex>  <file>` per line).
pub fn checksum_for(checksums: &str, file: &str) -> Option<String> {
    checksums.lines().find_map(|line| {
        let (hex, name) = line.trim().split_once(char::is_whitespace)?;
        let name = name.trim_start();
        let name = name.strip_prefix('*').unwrap_or(name);
        (name == file && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| hex.to_ascii_lowercase())
    })
}

/// A release, as its manifest describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// Its version, without a `v` prefix.
    pub version: String,
    /// The URL of the directory holding its files (no trailing slash).
    pub download_url: String,
    /// Artifact names the manifest lists (empty when it lists none).
    pub artifacts: Vec<String>,
}

/// Reads the version (and artifact names) from a cargo-dist manifest.
pub fn parse_manifest(json: &str, download_url: &str) -> Result<Release, UpdateError> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| UpdateError::Release(format!("{MANIFEST_FILE} is not JSON: {e}")))?;
    let from_release = value["releases"].as_array().and_then(|releases| {
        releases
            .iter()
            .find(|r| r["app_name"] == CRATE_NAME)
            .and_then(|r| r["app_version"].as_str())
    });
    let from_tag = value["announcement_tag"]
        .as_str()
        .map(|t| t.trim_start_matches('v'));
    let version = from_release
        .or(from_tag)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| UpdateError::Release(format!("{MANIFEST_FILE} names no version")))?;
    let artifacts = value["artifacts"]
        .as_object()
        .map(|a| a.keys().cloned().collect())
        .unwrap_or_default();
    Ok(Release {
        version: version.to_owned(),
        download_url: download_url.trim_end_matches('/').to_owned(),
        artifacts,
    })
}

/// Options of one update.
#[derive(Clone, Debug)]
pub struct UpdateOptions {
    /// The releases URL (see [`DEFAULT_RELEASES_URL`]).
    pub releases_url: String,
    /// Install this version instead of the latest.
    pub version: Option<String>,
    /// Only report whether an update is available.
    pub check_only: bool,
    /// Reinstall even when the release is not newer.
    pub force: bool,
    /// The executable to replace (normally [`std::env::current_exe`]).
    pub exe: PathBuf,
    /// The version currently installed.
    pub current_version: String,
    /// The target triple whose archive to install.
    pub target: String,
}

/// What an update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The installed version is current (or newer); nothing was downloaded.
    UpToDate {
        /// The release's version.
        latest: String,
    },
    /// `check_only`: a different version is available.
    Available {
        /// The release's version.
        version: String,
    },
    /// The executable was replaced.
    Updated {
        /// The version now installed.
        version: String,
        /// The archive that was installed.
        artifact: String,
        /// Its verified SHA-256.
        sha256: String,
    },
}

/// Resolves the release directory to use: `<releases>/latest/download` or
/// `<releases>/download/v<version>`.
pub fn release_dir(releases_url: &str, version: Option<&str>) -> String {
    let base = releases_url.trim_end_matches('/');
    match version {
        Some(v) => format!("{base}/download/v{}", v.trim_start_matches('v')),
        None => format!("{base}/latest/download"),
    }
}

fn fetch(
    url: &str,
    limit: u64,
    timeout: Duration,
    out: impl std::io::Write,
) -> Result<(), UpdateError> {
    let failed = |message: String| UpdateError::Download {
        url: url.to_owned(),
        message,
    };
    let mut download = self_update::Download::from_url(url);
    if let Some(proxy) = proxy_for(url).map_err(failed)? {
        download.proxy(proxy);
    }
    download
        .timeout(timeout)
        .max_download_size(limit)
        .download_to(out)
        .map_err(|e| failed(e.to_string()))
}

/// The proxy Go's rules ([`crate::proxy`]) choose for `url`, handed to the download
/// explicitly. When they choose none, ureq's own reading of the variables still applies
/// (the download crate offers no way to turn it off); for the public release host the two
/// agree.
fn proxy_for(url: &str) -> Result<Option<String>, String> {
    let proxies = crate::proxy::ProxyConfig::from_env().map_err(|e| e.to_string())?;
    proxy_with(&proxies, url)
}

fn proxy_with(proxies: &crate::proxy::ProxyConfig, url: &str) -> Result<Option<String>, String> {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return Ok(None);
    };
    Ok(proxies
        .proxy_for(&uri)
        .map_err(|e| e.to_string())?
        .map(|p| p.to_string()))
}

fn fetch_text(url: &str) -> Result<String, UpdateError> {
    let mut body = Vec::new();
    fetch(url, MAX_METADATA_BYTES, METADATA_TIMEOUT, &mut body)?;
    String::from_utf8(body).map_err(|_| UpdateError::Release(format!("{url} is not UTF-8 text")))
}

/// Fetches and parses the manifest of the requested (or latest) release.
pub fn resolve(releases_url: &str, version: Option<&str>) -> Result<Release, UpdateError> {
    let dir = release_dir(releases_url, version);
    let manifest = fetch_text(&format!("{dir}/{MANIFEST_FILE}"))?;
    let mut release = parse_manifest(&manifest, &dir)?;
    // `latest/download` redirects; pin the files to the version the manifest names so the
    // archive and checksums cannot come from a release published in between.
    if version.is_none() {
        release.download_url = release_dir(releases_url, Some(&release.version));
    }
    Ok(release)
}

/// A directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(near: &Path) -> Result<Self, UpdateError> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!(".{BIN_NAME}-update-{}-{stamp}", std::process::id());
        // Prefer the executable's directory (same file system for the final rename), then the
        // temp dir.
        for parent in [near.parent(), Some(std::env::temp_dir().as_path())]
            .into_iter()
            .flatten()
        {
            let dir = parent.join(&name);
            if std::fs::create_dir(&dir).is_ok() {
                return Ok(Scratch(dir));
            }
        }
        Err(UpdateError::Io(
            "cannot create a scratch directory for the download".into(),
        ))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sha256_file(path: &Path) -> Result<String, UpdateError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| UpdateError::Io(format!("{}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| UpdateError::Io(format!("{}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn find_binary(dir: &Path, name: &str, depth: usize) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_file() && entry.file_name() == name {
            return Some(path);
        }
        if kind.is_dir() {
            subdirs.push(path);
        }
    }
    if depth == 0 {
        return None;
    }
    subdirs.sort();
    subdirs.iter().find_map(|d| find_binary(d, name, depth - 1))
}

/// Checks the install, then downloads, verifies and installs the release.
///
/// Refuses ([`UpdateError::ManagedInstall`]) before any network access when a package
/// manager owns `opts.exe` (see [`installed_by`] with `env`).
pub fn update(opts: &UpdateOptions, env: &InstallEnv) -> Result<Outcome, UpdateError> {
    if let Some(owner) = installed_by(&opts.exe, env) {
        return Err(UpdateError::ManagedInstall {
            exe: opts.exe.clone(),
            owner,
        });
    }

    let release = resolve(&opts.releases_url, opts.version.as_deref())?;
    let newer = self_update::version::bump_is_greater(&opts.current_version, &release.version)
        .unwrap_or(release.version != opts.current_version);
    let wanted = opts.version.is_some() && release.version != opts.current_version;
    if !(newer || wanted || opts.force) {
        return Ok(Outcome::UpToDate {
            latest: release.version,
        });
    }
    if opts.check_only {
        return Ok(Outcome::Available {
            version: release.version,
        });
    }

    let artifact = archive_name(&opts.target);
    if !release.artifacts.is_empty() && !release.artifacts.contains(&artifact) {
        return Err(UpdateError::Release(format!(
            "release {} has no {artifact} (no build for {})",
            release.version, opts.target
        )));
    }

    // The checksum first: a release without one is not installed.
    let expected = match fetch_text(&format!("{}/{CHECKSUMS_FILE}", release.download_url)) {
        Ok(sums) => checksum_for(&sums, &artifact),
        Err(_) => None,
    };
    let expected = match expected {
        Some(sum) => sum,
        None => {
            let single = fetch_text(&format!("{}/{artifact}.sha256", release.download_url))
                .map_err(|_| {
                    UpdateError::Release(format!(
                        "release {} publishes no sha256 for {artifact} ({CHECKSUMS_FILE} or \
                         {artifact}.sha256); refusing to install an unverified download",
                        release.version
                    ))
                })?;
            checksum_for(&single, &artifact)
                .or_else(|| {
                    let hex = single.split_whitespace().next()?;
                    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                        .then(|| hex.to_ascii_lowercase())
                })
                .ok_or_else(|| UpdateError::Release(format!("{artifact}.sha256 holds no sha256")))?
        }
    };

    let scratch = Scratch::new(&opts.exe)?;
    let archive_path = scratch.0.join(&artifact);
    {
        let file = std::fs::File::create(&archive_path)
            .map_err(|e| UpdateError::Io(format!("{}: {e}", archive_path.display())))?;
        fetch(
            &format!("{}/{artifact}", release.download_url),
            MAX_ARCHIVE_BYTES,
            ARCHIVE_TIMEOUT,
            std::io::BufWriter::new(file),
        )?;
    }
    let actual = sha256_file(&archive_path)?;
    if actual != expected {
        return Err(UpdateError::ChecksumMismatch {
            artifact,
            expected,
            actual,
        });
    }

    let unpacked = scratch.0.join("unpacked");
    std::fs::create_dir(&unpacked).map_err(|e| UpdateError::Io(e.to_string()))?;
    self_update::Extract::from_source(&archive_path)
        .extract_into(&unpacked)
        .map_err(|e| UpdateError::Archive(e.to_string()))?;
    let bin = if opts.target.contains("windows") {
        format!("{BIN_NAME}.exe")
    } else {
        BIN_NAME.to_owned()
    };
    let new_exe = find_binary(&unpacked, &bin, 2)
        .ok_or_else(|| UpdateError::Archive(format!("{artifact} contains no {bin}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&new_exe, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| UpdateError::Io(format!("{}: {e}", new_exe.display())))?;
    }
    let probe = std::process::Command::new(&new_exe)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| UpdateError::BrokenBinary(e.to_string()))?;
    if !probe.status.success() {
        return Err(UpdateError::BrokenBinary(format!(
            "`{bin} --version` exited with {}",
            probe.status
        )));
    }

    replace_exe(&opts.exe, &new_exe)?;
    Ok(Outcome::Updated {
        version: release.version,
        artifact,
        sha256: actual,
    })
}

/// Swaps `new_exe` in for `exe`: for the running executable through `self-replace` (which
/// copes with Windows' lock on running binaries), otherwise a copy and rename beside it.
fn replace_exe(exe: &Path, new_exe: &Path) -> Result<(), UpdateError> {
    let replace_error = |source| UpdateError::Replace {
        exe: exe.to_path_buf(),
        source,
    };
    let running = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .ok()
        .zip(exe.canonicalize().ok())
        .is_some_and(|(a, b)| a == b);
    if running {
        return self_replace::self_replace(new_exe).map_err(replace_error);
    }
    let staged = exe.with_file_name(format!(
        ".{}.new-{}",
        exe.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    std::fs::copy(new_exe, &staged).map_err(replace_error)?;
    std::fs::rename(&staged, exe).map_err(|e| {
        let _ = std::fs::remove_file(&staged);
        replace_error(e)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn downloads_use_the_proxy_go_would() {
        use crate::proxy::ProxyConfig;
        let proxies = ProxyConfig::from_values("", "http://proxy.corp:3128", "", false).unwrap();
        let release = "https://github.com/o/r/releases/latest/download/dist-manifest.json";
        assert_eq!(
            proxy_with(&proxies, release).unwrap().as_deref(),
            Some("http://proxy.corp:3128/")
        );
        // A local release server (as in the tests) is never proxied.
        assert_eq!(
            proxy_with(&proxies, "https://127.0.0.1:8443/x").unwrap(),
            None
        );
        let bypass =
            ProxyConfig::from_values("", "http://proxy.corp:3128", "github.com", false).unwrap();
        assert_eq!(proxy_with(&bypass, release).unwrap(), None);
    }

    use super::*;

    fn env() -> InstallEnv {
        InstallEnv::default()
    }

    #[test]
    fn package_manager_paths() {
        let cases = [
            (
                "/opt/homebrew/Cellar/aws-iam-authenticator-rs/1.0.0/bin/aws-iam-authenticator",
                Some(Owner::Homebrew),
            ),
            (
                "/usr/local/Cellar/aws-iam-authenticator-rs/1.0.0/bin/aws-iam-authenticator",
                Some(Owner::Homebrew),
            ),
            (
                "/home/linuxbrew/.linuxbrew/bin/aws-iam-authenticator",
                Some(Owner::Homebrew),
            ),
            (
                r"C:\ProgramData\chocolatey\lib\aws-iam-authenticator-rs\tools\aws-iam-authenticator.exe",
                Some(Owner::Chocolatey),
            ),
            (
                r"C:\Users\me\scoop\apps\aws-iam-authenticator-rs\current\aws-iam-authenticator.exe",
                Some(Owner::Scoop),
            ),
            (
                r"C:\Users\me\AppData\Local\Microsoft\WinGet\Packages\aws-iam-authenticator-rs.aws-iam-authenticator_Microsoft.Winget.Source_8wekyb3d8bbwe\aws-iam-authenticator.exe",
                Some(Owner::Winget),
            ),
            (
                "/home/me/.krew/store/iam-authenticator/v1.0.0/aws-iam-authenticator",
                Some(Owner::Krew),
            ),
            (
                "/nix/store/abc-aws-iam-authenticator-1.0.0/bin/aws-iam-authenticator",
                Some(Owner::Nix),
            ),
            ("/home/me/.local/bin/aws-iam-authenticator", None),
            ("/usr/local/bin/aws-iam-authenticator", None),
            (r"C:\tools\aws-iam-authenticator.exe", None),
            // A directory merely named like a package manager deeper down is not one.
            ("/home/me/src/opt/homebrew/aws-iam-authenticator", None),
        ];
        for (path, want) in cases {
            assert_eq!(installed_by(Path::new(path), &env()), want, "{path}");
        }
    }

    #[test]
    fn env_prefixes() {
        let env = InstallEnv {
            homebrew: vec![PathBuf::from("/custom/brew")],
            chocolatey: Some(PathBuf::from(r"D:\choco")),
            scoop: vec![PathBuf::from(r"D:\sc")],
            krew_root: Some(PathBuf::from("/k")),
            ..InstallEnv::default()
        };
        let owner = |p: &str| installed_by(Path::new(p), &env);
        assert_eq!(owner("/custom/brew/bin/x"), Some(Owner::Homebrew));
        assert_eq!(owner(r"D:\choco\bin\x.exe"), Some(Owner::Chocolatey));
        assert_eq!(owner(r"D:\sc\apps\x\current\x.exe"), Some(Owner::Scoop));
        assert_eq!(owner("/k/store/iam-authenticator/v1/x"), Some(Owner::Krew));
        assert_eq!(owner("/elsewhere/x"), None);
    }

    #[test]
    fn cargo_needs_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("cargo");
        std::fs::create_dir_all(home.join("bin")).unwrap();
        let env = InstallEnv {
            cargo_home: Some(home.clone()),
            ..InstallEnv::default()
        };
        let exe = home.join("bin").join(BIN_NAME);
        // The shell installer can use $CARGO_HOME/bin too; without a record it is ours.
        assert_eq!(installed_by(&exe, &env), None);
        std::fs::write(
            home.join(".crates2.json"),
            r#"{"installs":{"aws-iam-authenticator 0.1.0 (registry+https://github.com/rust-lang/crates.io-index)":{"bins":["aws-iam-authenticator"]}}}"#,
        )
        .unwrap();
        assert_eq!(installed_by(&exe, &env), Some(Owner::Cargo));
        assert_eq!(
            Owner::Cargo.upgrade_command(),
            "cargo install --locked aws-iam-authenticator"
        );
    }

    #[test]
    fn dpkg_lists() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("info")).unwrap();
        std::fs::write(
            dir.path().join("info/aws-iam-authenticator:amd64.list"),
            "/.\n/usr\n/usr/bin\n/usr/bin/aws-iam-authenticator\n",
        )
        .unwrap();
        let env = InstallEnv {
            dpkg_admindir: Some(dir.path().to_path_buf()),
            ..InstallEnv::default()
        };
        let owner = installed_by(Path::new("/usr/bin/aws-iam-authenticator"), &env).unwrap();
        assert_eq!(
            owner.upgrade_command(),
            "sudo apt-get install --only-upgrade aws-iam-authenticator"
        );
        assert_eq!(installed_by(Path::new("/usr/bin/other"), &env), None);
    }

    #[test]
    fn checksums_file() {
        let sums = "\
0000000000000000000000000000000000000000000000000000000000000000 *aws-iam-authenticator-x86_64-pc-windows-msvc.zip
ABCDEFabcdef0123456789abcdef0123456789abcdef0123456789abcdef0123 *aws-iam-authenticator-x86_64-unknown-linux-gnu.tar.gz
1111111111111111111111111111111111111111111111111111111111111111  plain-format.tar.gz
";
        assert_eq!(
            checksum_for(
                sums,
                "aws-iam-authenticator-x86_64-unknown-linux-gnu.tar.gz"
            )
            .as_deref(),
            Some("abcdefabcdef0123456789abcdef0123456789abcdef0123456789abcdef0123")
        );
        assert!(checksum_for(sums, "plain-format.tar.gz").is_some());
        assert_eq!(checksum_for(sums, "aws-iam-authenticator-x86_64"), None);
        assert_eq!(checksum_for("nothex *x", "x"), None);
    }

    #[test]
    fn manifest_and_names() {
        let json = r#"{"announcement_tag":"v1.2.3","releases":[{"app_name":"aws-iam-authenticator","app_version":"1.2.3"}],
            "artifacts":{"sha256.sum":{},"aws-iam-authenticator-aarch64-apple-darwin.tar.gz":{}}}"#;
        let r = parse_manifest(json, "http://x/download/v1.2.3/").unwrap();
        assert_eq!(r.version, "1.2.3");
        assert_eq!(r.download_url, "http://x/download/v1.2.3");
        assert!(
            r.artifacts
                .contains(&"aws-iam-authenticator-aarch64-apple-darwin.tar.gz".to_string())
        );
        assert!(parse_manifest("{}", "x").is_err());
        assert_eq!(
            archive_name("x86_64-pc-windows-msvc"),
            "aws-iam-authenticator-x86_64-pc-windows-msvc.zip"
        );
        assert_eq!(
            archive_name("aarch64-unknown-linux-musl"),
            "aws-iam-authenticator-aarch64-unknown-linux-musl.tar.gz"
        );
        assert_eq!(
            release_dir("https://h/r/", None),
            "https://h/r/latest/download"
        );
        assert_eq!(
            release_dir("https://h/r", Some("v2.0.0")),
            "https://h/r/download/v2.0.0"
        );
    }
}
