//! The client-side cache: tokens (`ExecCredential`s) and assumed-role / MFA session
//! credentials, so repeated kubectl calls need no STS call and no MFA prompt.
//!
//! Design (kubelogin's, which fixed the problems upstream's `--cache` had):
//!
//! * **One entry per key**, the key a SHA-256 over *every* input that changes the
//!   result — including a fingerprint of the base credentials' source, so that
//!   `aws sso logout`, rotated keys or another `AWS_PROFILE` never get a stale answer.
//! * **A lock file per key, separate from the data.** Windows byte-range locks on the
//!   data file itself break writes (upstream #256, kubelogin #1144). The lock is taken
//!   with a timeout; twenty kubectl processes starting at once make one AssumeRole call.
//! * **Atomic writes**: a private temp file in the same directory, then `rename`, so a
//!   crash never leaves a torn entry. An entry that fails to parse is ignored and
//!   rewritten, never fatal.
//! * **Private by construction**: the directory is 0700 and entries 0600. A cache that
//!   other users can read is refused with the `chmod` that fixes it.
//! * Storage is a file (default) or the OS keyring ([`Storage::Keyring`]); lock files
//!   and non-secret metadata (for `cache list`) always stay on disk.
//!
//! No entry outlives its credentials: token entries carry the token's own expiry,
//! credential entries the session's.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

#[cfg(windows)]
mod windows_acl;

/// Environment variable that moves kubectl-plugin caches (as kubectl and kubelogin use it).
pub const KUBECACHEDIR: &str = "KUBECACHEDIR";
/// Upstream's cache-file variable; its directory holds our cache.
pub const UPSTREAM_CACHE_FILE: &str = "AWS_IAM_AUTHENTICATOR_CACHE_FILE";
/// Service name for keyring entries.
pub const KEYRING_SERVICE: &str = "aws-iam-authenticator";
/// Default time a token must still be valid to be reused.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(60);
/// How long a process waits for another one holding the same key.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

const FORMAT_VERSION: u32 = 1;

/// What an entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A minted token (the ExecCredential cache).
    Token,
    /// Assumed-role or MFA session credentials.
    Credentials,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Token => "token",
            Kind::Credentials => "credentials",
        })
    }
}

/// Where secrets are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// JSON files under the cache directory.
    File,
    /// The platform's keyring (Keychain, Credential Manager, keyutils).
    Keyring,
}

impl fmt::Display for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Storage::File => "file",
            Storage::Keyring => "keyring",
        })
    }
}

impl std::str::FromStr for Storage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "file" => Ok(Storage::File),
            "keyring" => Ok(Storage::Keyring),
            other => Err(format!(
                "invalid cache storage {other:?}: use `file` or `keyring`"
            )),
        }
    }
}

/// Non-secret description of an entry, shown by `cache list`. Keys are camelCase, as
/// upstream's (`clusterID` as in its config file); entries written with `cluster_id` by
/// earlier builds still read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Cluster ID (token entries).
    #[serde(
        rename = "clusterID",
        alias = "cluster_id",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub cluster_id: Option<String>,
    /// Role ARN, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<String>,
    /// AWS profile.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub profile: Option<String>,
    /// Region.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub region: Option<String>,
}

/// A cache key: a digest of every input, plus its readable label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// What the entry holds.
    pub kind: Kind,
    /// Hex SHA-256 of the inputs.
    pub digest: String,
    /// The readable part.
    pub label: Label,
}

impl Key {
    /// Builds a key from its parts. Every part is length-prefixed, so no two different
    /// input lists hash alike.
    pub fn new(kind: Kind, label: Label, parts: &[&str]) -> Self {
        let mut hash = Sha256::new();
        hash.update(format!(
            "aws-iam-authenticator-cache-v{FORMAT_VERSION}:{kind}"
        ));
        for part in parts {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        Key {
            kind,
            digest: hex::encode(hash.finalize()),
            label,
        }
    }

    fn file_stem(&self) -> String {
        format!("{}-{}", self.kind, &self.digest[..32])
    }

    /// The keyring account holding this entry's secret: the kind, then the whole digest,
    /// so it is not the file's name and says what it holds in a keyring browser.
    fn keyring_account(&self) -> String {
        format!("{}/{}", self.kind, self.digest)
    }
}

/// What is stored on disk for each entry (the secret part only with file storage).
#[derive(Clone, Serialize, Deserialize)]
struct Record {
    version: u32,
    kind: Kind,
    #[serde(with = "time::serde::rfc3339")]
    expires: OffsetDateTime,
    label: Label,
    /// Present with file storage; with keyring storage it lives in the keyring.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    secret: Option<serde_json::Value>,
    /// With keyring storage, the keyring account holding the secret (so that `cache
    /// clear` can remove it). Entries from earlier builds lack it: their account is the
    /// key's bare digest.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    keyring: Option<String>,
}

impl Record {
    fn storage(&self) -> Storage {
        if self.secret.is_none() {
            Storage::Keyring
        } else {
            Storage::File
        }
    }
}

/// An entry as listed by `cache list`: never the secret. Serialised flat, camelCase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// Kind of entry.
    pub kind: Kind,
    /// Where its secret is.
    pub storage: Storage,
    /// Short key (the file stem).
    pub key: String,
    /// Readable label.
    #[serde(flatten)]
    pub label: Label,
    /// When the entry stops being usable.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
}

/// A cache problem. Most are reported as warnings and the command carries on uncached.
#[derive(Debug)]
pub enum CacheError {
    /// The directory or a file is readable by other users.
    NotPrivate {
        /// The path.
        path: PathBuf,
        /// Its mode.
        mode: u32,
    },
    /// Windows: the access control list lets another account read the directory or file.
    NotPrivateAcl {
        /// The path.
        path: PathBuf,
        /// The account that can read it.
        reader: String,
    },
    /// No home directory to put the cache in.
    NoHome,
    /// Filesystem error.
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Another process held the lock for too long.
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// The holder's process ID, as it wrote it into the lock file.
        holder: Option<u32>,
    },
    /// The keyring failed.
    Keyring(String),
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheError::NotPrivate { path, mode } => write!(
                f,
                "cache {} is not private (mode {:04o}, readable by other users); refusing to use it: run `chmod {} {}`",
                path.display(),
                mode & 0o7777,
                if path.is_dir() { "700" } else { "600" },
                path.display()
            ),
            CacheError::NotPrivateAcl { path, reader } => write!(
                f,
                "cache {} is not private (its access control list lets {reader} read it); refusing to use it: delete it (`{} \"{}\"`) and it is created again, private",
                path.display(),
                if path.is_dir() { "rmdir /s /q" } else { "del" },
                path.display()
            ),
            CacheError::NoHome => {
                f.write_str("cannot find a home directory for the cache; set KUBECACHEDIR")
            }
            CacheError::Io { path, source } => {
                write!(f, "cache {}: {source}", path.display())
            }
            CacheError::LockTimeout { path, holder } => write!(
                f,
                "timed out waiting for the cache lock {}; {} may be stuck (end it, or delete the .lock file if no such process runs)",
                path.display(),
                Holder(*holder)
            ),
            CacheError::Keyring(msg) => write!(
                f,
                "keyring error: {msg}; use --cache-storage file if no keyring is available"
            ),
        }
    }
}

impl std::error::Error for CacheError {}

/// The process holding a lock, as far as the lock file says.
struct Holder(Option<u32>);

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(pid) => write!(f, "aws-iam-authenticator process {pid}"),
            None => f.write_str("another aws-iam-authenticator process"),
        }
    }
}

/// After this long waiting for a lock, say who holds it (once): the other process may be
/// sitting at an MFA prompt in another terminal.
pub const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(1);

/// The process ID a lock holder wrote into the lock file. Unreadable (Windows locks the
/// bytes while held) or empty reads as unknown.
fn lock_holder(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The cache directory: `$KUBECACHEDIR/aws-iam-authenticator`, else the directory of
/// `$AWS_IAM_AUTHENTICATOR_CACHE_FILE`, else `~/.kube/cache/aws-iam-authenticator`.
pub fn default_dir() -> Result<PathBuf, CacheError> {
    if let Some(dir) = std::env::var_os(KUBECACHEDIR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("aws-iam-authenticator"));
    }
    if let Some(file) = std::env::var_os(UPSTREAM_CACHE_FILE).filter(|d| !d.is_empty())
        && let Some(parent) = Path::new(&file)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
    {
        return Ok(parent.to_path_buf());
    }
    let home = std::env::home_dir().ok_or(CacheError::NoHome)?;
    Ok(home
        .join(".kube")
        .join("cache")
        .join("aws-iam-authenticator"))
}

/// An open cache directory.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    storage: Storage,
    lock_timeout: Duration,
}

/// A held per-key lock; released on drop.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), CacheError> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path).map_err(io_err(path))?;
    let mode = meta.mode();
    if mode & 0o077 != 0 {
        return Err(CacheError::NotPrivate {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Windows: the DACL must not let anyone but the user, SYSTEM and Administrators read
/// (see `windows_acl`).
#[cfg(windows)]
fn check_private(path: &Path) -> Result<(), CacheError> {
    match windows_acl::other_reader(path).map_err(io_err(path))? {
        None => Ok(()),
        Some(reader) => Err(CacheError::NotPrivateAcl {
            path: path.to_path_buf(),
            reader,
        }),
    }
}

#[cfg(not(any(unix, windows)))]
fn check_private(_path: &Path) -> Result<(), CacheError> {
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), CacheError> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        if let Some(parent) = dir.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        fs::DirBuilder::new()
            .mode(0o700)
            .create(dir)
            .or_else(|e| if dir.is_dir() { Ok(()) } else { Err(e) })
            .map_err(io_err(dir))
    }
    #[cfg(windows)]
    {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        windows_acl::make_private(dir, true).map_err(io_err(dir))
    }
    #[cfg(not(any(unix, windows)))]
    {
        fs::create_dir_all(dir).map_err(io_err(dir))
    }
}

fn open_private(path: &Path, write: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    if write {
        options.write(true).create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    // Windows: owner-only before anything is written (the directory's inherited entry
    // already is; this also holds in a directory someone loosened).
    #[cfg(windows)]
    if write {
        windows_acl::make_private(path, false)?;
    }
    Ok(file)
}

impl Cache {
    /// Opens (creating if needed) the cache at `dir`. Refuses a directory other users
    /// can read.
    pub fn open(dir: PathBuf, storage: Storage) -> Result<Self, CacheError> {
        create_private_dir(&dir)?;
        check_private(&dir)?;
        Ok(Cache {
            dir,
            storage,
            lock_timeout: LOCK_TIMEOUT,
        })
    }

    /// Changes how long [`Cache::lock`] waits.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn data_path(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.json", key.file_stem()))
    }

    fn lock_path(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.lock", key.file_stem()))
    }

    /// Takes the key's lock, waiting up to the lock timeout, and writes this process's ID
    /// into the lock file. A process that waits more than [`LOCK_NOTICE_AFTER`] logs
    /// once which process it is waiting for.
    pub fn lock(&self, key: &Key) -> Result<LockGuard, CacheError> {
        let path = self.lock_path(key);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        let start = Instant::now();
        let deadline = start + self.lock_timeout;
        let mut pause = Duration::from_millis(5);
        let mut noticed = false;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    // Only ever read for the waiting notice: failing to write it is harmless.
                    let mut owner = &file;
                    let _ = file
                        .set_len(0)
                        .and_then(|()| owner.write_all(std::process::id().to_string().as_bytes()));
                    return Ok(LockGuard { file });
                }
                Err(fs::TryLockError::WouldBlock) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(CacheError::LockTimeout {
                            holder: lock_holder(&path),
                            path,
                        });
                    }
                    if !noticed && now - start >= LOCK_NOTICE_AFTER {
                        noticed = true;
                        tracing::warn!(
                            "waiting for {}, which holds the cache lock {} (it may be waiting at an MFA prompt)",
                            Holder(lock_holder(&path)),
                            path.display()
                        );
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_err(&path)(e)),
            }
        }
    }

    /// Reads an entry that is still valid `margin` from now. Corrupt or foreign entries
    /// read as absent (they will be overwritten); a non-private file is an error.
    pub fn get<T: for<'de> Deserialize<'de>>(
        &self,
        key: &Key,
        now: OffsetDateTime,
        margin: Duration,
    ) -> Result<Option<T>, CacheError> {
        let path = self.data_path(key);
        if !path.exists() {
            return Ok(None);
        }
        check_private(&path)?;
        let Ok(bytes) = fs::read(&path) else {
            return Ok(None);
        };
        let Ok(record) = serde_json::from_slice::<Record>(&bytes) else {
            tracing::debug!(path = %path.display(), "ignoring a corrupt cache entry");
            return Ok(None);
        };
        if record.version != FORMAT_VERSION || record.kind != key.kind {
            return Ok(None);
        }
        if record.expires - margin <= now {
            return Ok(None);
        }
        // An entry in the other storage is a miss: `put` moves it.
        let secret = match (self.storage, record.storage()) {
            (Storage::File, Storage::File) => record.secret,
            (Storage::Keyring, Storage::Keyring) => {
                let account = record.keyring.unwrap_or_else(|| key.digest.clone());
                keyring_get(&account)?
            }
            _ => None,
        };
        Ok(secret.and_then(|s| serde_json::from_value(s).ok()))
    }

    fn read_record(path: &Path) -> Option<Record> {
        serde_json::from_slice(&fs::read(path).ok()?).ok()
    }

    /// Stores an entry atomically.
    pub fn put<T: Serialize>(
        &self,
        key: &Key,
        value: &T,
        expires: OffsetDateTime,
    ) -> Result<(), CacheError> {
        let secret = serde_json::to_value(value).map_err(|e| CacheError::Io {
            path: self.data_path(key),
            source: std::io::Error::other(e),
        })?;
        let (secret, keyring) = match self.storage {
            Storage::File => {
                // Moving an entry from the keyring to a file: leave nothing behind.
                // Best effort: a build or session without a keyring must still cache in files.
                if let Some(account) =
                    Self::read_record(&self.data_path(key)).and_then(|old| old.keyring)
                    && let Err(e) = keyring_delete(&account)
                {
                    tracing::debug!("left a keyring item behind: {e}");
                }
                (Some(secret), None)
            }
            Storage::Keyring => {
                let account = key.keyring_account();
                keyring_set(&account, &secret)?;
                (None, Some(account))
            }
        };
        let record = Record {
            version: FORMAT_VERSION,
            kind: key.kind,
            expires,
            label: key.label.clone(),
            secret,
            keyring,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| CacheError::Io {
            path: self.data_path(key),
            source: std::io::Error::other(e),
        })?;
        self.write_atomically(&self.data_path(key), &bytes)
    }

    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
        let tmp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        let result = (|| {
            let mut file = open_private(&tmp, true)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(io_err(path))
    }

    /// Every entry, with its label and expiry (never the secret).
    pub fn list(&self) -> Result<Vec<Listing>, CacheError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let entry = entry.map_err(io_err(&self.dir))?;
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let Ok(bytes) = fs::read(&path) else { continue };
            let Ok(record) = serde_json::from_slice::<Record>(&bytes) else {
                continue;
            };
            out.push(Listing {
                kind: record.kind,
                storage: record.storage(),
                key: path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string(),
                label: record.label,
                expires: record.expires,
            });
        }
        out.sort_by(|a, b| (a.kind as u8, &a.key).cmp(&(b.kind as u8, &b.key)));
        Ok(out)
    }

    /// Removes entries for which `select` is true, their keyring secrets included;
    /// returns how many. A keyring that cannot be reached stops the clearing, and the
    /// entry stays listed so that a later `clear` can finish it.
    ///
    /// Entries written to the keyring by builds before the account was recorded cannot
    /// be traced to their keyring item (its name is the full key digest, the file only a
    /// prefix); their files are removed, which makes the item unreachable.
    pub fn clear(&self, select: impl Fn(&Listing) -> bool) -> Result<usize, CacheError> {
        let mut removed = 0;
        for listing in self.list()? {
            if !select(&listing) {
                continue;
            }
            let data = self.dir.join(format!("{}.json", listing.key));
            if let Some(account) = Self::read_record(&data).and_then(|r| r.keyring) {
                keyring_delete(&account)?;
            }
            fs::remove_file(&data).map_err(io_err(&data))?;
            let _ = fs::remove_file(self.dir.join(format!("{}.lock", listing.key)));
            removed += 1;
        }
        // Torn temp files from crashed writers.
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        Ok(removed)
    }
}

/// Picks the Linux store once: the Secret Service (GNOME Keyring, KWallet) when a D-Bus
/// session bus is there — a desktop — else the kernel's keyutils, which headless hosts have.
/// Other platforms use their one native store.
#[cfg(feature = "keyring")]
fn select_keyring_store() {
    #[cfg(target_os = "linux")]
    {
        static SELECTED: std::sync::Once = std::sync::Once::new();
        SELECTED.call_once(|| {
            let session_bus =
                std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
            if session_bus {
                keyring::set_default_credential_builder(
                    keyring::secret_service::default_credential_builder(),
                );
            } else {
                keyring::set_default_credential_builder(
                    keyring::keyutils::default_credential_builder(),
                );
            }
        });
    }
}

#[cfg(feature = "keyring")]
fn keyring_entry(account: &str) -> Result<keyring::Entry, CacheError> {
    select_keyring_store();
    keyring::Entry::new(KEYRING_SERVICE, account).map_err(|e| CacheError::Keyring(e.to_string()))
}

#[cfg(feature = "keyring")]
fn keyring_get(account: &str) -> Result<Option<serde_json::Value>, CacheError> {
    match keyring_entry(account)?.get_secret() {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(CacheError::Keyring(e.to_string())),
    }
}

#[cfg(feature = "keyring")]
fn keyring_set(account: &str, value: &serde_json::Value) -> Result<(), CacheError> {
    // Raw UTF-8 bytes, not `set_password`: on Windows that stores UTF-16, and a token
    // (a presigned URL with a session token, ~1.8 KB) in UTF-16 overflows the Credential
    // Manager's 2560-byte blob limit. Elsewhere the two store the same bytes.
    keyring_entry(account)?
        .set_secret(value.to_string().as_bytes())
        .map_err(|e| CacheError::Keyring(e.to_string()))
}

/// Removes a keyring item; one that is already gone is fine.
#[cfg(feature = "keyring")]
fn keyring_delete(account: &str) -> Result<(), CacheError> {
    match keyring_entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(CacheError::Keyring(e.to_string())),
    }
}

#[cfg(not(feature = "keyring"))]
fn keyring_delete(_account: &str) -> Result<(), CacheError> {
    keyring_get("").map(|_| ())
}

#[cfg(not(feature = "keyring"))]
fn keyring_get(_account: &str) -> Result<Option<serde_json::Value>, CacheError> {
    Err(CacheError::Keyring(
        "this build has no keyring support (cargo feature `keyring`)".into(),
    ))
}

#[cfg(not(feature = "keyring"))]
fn keyring_set(_account: &str, _value: &serde_json::Value) -> Result<(), CacheError> {
    keyring_get("").map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parts: &[&str]) -> Key {
        Key::new(Kind::Token, Label::default(), parts)
    }

    #[test]
    fn keys_separate_their_parts() {
        assert_ne!(key(&["ab", "c"]).digest, key(&["a", "bc"]).digest);
        assert_eq!(key(&["a", "b"]).digest, key(&["a", "b"]).digest);
        assert_ne!(
            Key::new(Kind::Token, Label::default(), &["a"]).digest,
            Key::new(Kind::Credentials, Label::default(), &["a"]).digest
        );
    }

    #[test]
    fn round_trip_expiry_and_margin() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().join("c"), Storage::File).unwrap();
        let k = key(&["x"]);
        let now = OffsetDateTime::now_utc();
        cache
            .put(&k, &"secret-value", now + Duration::from_secs(120))
            .unwrap();
        let got: Option<String> = cache.get(&k, now, DEFAULT_MARGIN).unwrap();
        assert_eq!(got.as_deref(), Some("secret-value"));
        // Less than the margin left: a miss.
        let got: Option<String> = cache
            .get(&k, now + Duration::from_secs(61), DEFAULT_MARGIN)
            .unwrap();
        assert_eq!(got, None);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_and_lax_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().join("c"), Storage::File).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(cache.dir()), 0o700);
        let k = key(&["y"]);
        let now = OffsetDateTime::now_utc();
        cache.put(&k, &1, now + Duration::from_secs(600)).unwrap();
        let data = cache.data_path(&k);
        assert_eq!(mode(&data), 0o600);
        fs::set_permissions(&data, fs::Permissions::from_mode(0o644)).unwrap();
        let err = cache.get::<i32>(&k, now, DEFAULT_MARGIN).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        fs::set_permissions(cache.dir(), fs::Permissions::from_mode(0o755)).unwrap();
        let err = Cache::open(cache.dir().to_path_buf(), Storage::File).unwrap_err();
        assert!(err.to_string().contains("chmod 700"), "{err}");
    }

    /// The Windows analogue: owner-only DACLs, set even where the parent would hand down
    /// an entry for Everyone, and a DACL that lets Everyone read is refused.
    #[cfg(windows)]
    #[test]
    fn files_are_private_and_lax_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        // A parent whose DACL hands Everyone read access down to new files and directories.
        windows_acl::grant_everyone_read(dir.path(), true).unwrap();
        // (The account's name is localised; English Windows and Wine say `Everyone`.)
        assert!(windows_acl::other_reader(dir.path()).unwrap().is_some());
        let cache = Cache::open(dir.path().join("c"), Storage::File).unwrap();
        assert_eq!(windows_acl::other_reader(cache.dir()).unwrap(), None);
        let now = OffsetDateTime::now_utc();
        let first = key(&["y"]);
        cache
            .put(&first, &1, now + Duration::from_secs(600))
            .unwrap();
        assert_eq!(
            windows_acl::other_reader(&cache.data_path(&first)).unwrap(),
            None
        );
        // Loosen the directory: Cache::open refuses it, and a file written into it by a
        // cache opened before is still made private.
        windows_acl::grant_everyone_read(cache.dir(), true).unwrap();
        let err = Cache::open(cache.dir().to_path_buf(), Storage::File).unwrap_err();
        assert!(err.to_string().contains("rmdir /s /q"), "{err}");
        assert!(err.to_string().contains("list lets "), "{err}");
        let second = key(&["z"]);
        cache
            .put(&second, &2, now + Duration::from_secs(600))
            .unwrap();
        let data = cache.data_path(&second);
        assert_eq!(windows_acl::other_reader(&data).unwrap(), None);
        assert_eq!(
            cache.get::<i32>(&second, now, DEFAULT_MARGIN).unwrap(),
            Some(2)
        );
        windows_acl::grant_everyone_read(&data, false).unwrap();
        let err = cache.get::<i32>(&second, now, DEFAULT_MARGIN).unwrap_err();
        assert!(err.to_string().contains("not private"), "{err}");
        assert!(err.to_string().contains("`del "), "{err}");
    }

    #[test]
    fn corrupt_entries_read_as_absent_and_are_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().join("c"), Storage::File).unwrap();
        let k = key(&["z"]);
        let now = OffsetDateTime::now_utc();
        cache.put(&k, &"v", now + Duration::from_secs(600)).unwrap();
        fs::write(cache.data_path(&k), b"{\"version\":1,\"kind\":\"tok").unwrap();
        assert_eq!(cache.get::<String>(&k, now, DEFAULT_MARGIN).unwrap(), None);
        cache
            .put(&k, &"v2", now + Duration::from_secs(600))
            .unwrap();
        assert_eq!(
            cache
                .get::<String>(&k, now, DEFAULT_MARGIN)
                .unwrap()
                .as_deref(),
            Some("v2")
        );
    }

    #[test]
    fn lock_times_out_while_held() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().join("c"), Storage::File)
            .unwrap()
            .with_lock_timeout(Duration::from_millis(100));
        let k = key(&["l"]);
        let held = cache.lock(&k).unwrap();
        // A second handle in the same process contends like another process would.
        assert!(matches!(
            cache.lock(&k),
            Err(CacheError::LockTimeout { .. })
        ));
        drop(held);
        assert!(cache.lock(&k).is_ok());
    }

    #[test]
    fn list_and_clear_never_show_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().join("c"), Storage::File).unwrap();
        let now = OffsetDateTime::now_utc();
        let label = |c: &str| Label {
            cluster_id: Some(c.into()),
            ..Label::default()
        };
        cache
            .put(
                &Key::new(Kind::Token, label("a"), &["a"]),
                &"SECRET-A",
                now + Duration::from_secs(600),
            )
            .unwrap();
        cache
            .put(
                &Key::new(Kind::Token, label("b"), &["b"]),
                &"SECRET-B",
                now + Duration::from_secs(600),
            )
            .unwrap();
        let listed = cache.list().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(!serde_json::to_string(&listed).unwrap().contains("SECRET"));
        let removed = cache
            .clear(|l| l.label.cluster_id.as_deref() == Some("a"))
            .unwrap();
        assert_eq!(removed, 1);
        assert_eq!(cache.list().unwrap().len(), 1);
    }
}
