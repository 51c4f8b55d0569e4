//! The verified-identity cache: who STS said signed a token, for as long as the token is
//! valid, so that a token seen again (kube-apiserver replicas, retries, bursts of kubectl
//! calls before the apiserver's own cache is warm) costs no STS round trip.
//!
//! * **Keyed by a SHA-256 of the token**; the token itself is never stored, so a memory
//!   dump of the server holds no usable credential.
//! * **It stores the STS identity, not the mapping**, so a mapping change applies at once
//!   to cached tokens too.
//! * **An entry never outlives its token**: it expires at the token's own deadline
//!   (`X-Amz-Date` + 15 minutes) or after the configured TTL (default 2 minutes),
//!   whichever is first. The TTL is the revocation window: a role or user deleted in
//!   IAM, or a session revoked, is still answered from the cache for up to that long,
//!   which is why the default equals kube-apiserver's own webhook cache TTL
//!   (`--authentication-token-webhook-cache-ttl`, 2 minutes) and adds no window of its
//!   own on top of the apiserver's for a token the apiserver has cached. The
//!   verifier's local checks run on every request before the cache is consulted, so an
//!   expired token is refused even if an entry were still present.
//! * **Single flight**: N identical concurrent tokens cause one STS call; the others wait
//!   for its answer. Failures are shared with the waiters but never cached.
//! * **Bounded**: at most `capacity` entries; when full, the oldest entries go first
//!   (FIFO, which is close to expiry order since every entry lives at most 15 minutes).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::token::{Identity, VerifyError};

/// How long upstream (and our verifier) accepts a token after its `X-Amz-Date`.
pub const TOKEN_VALIDITY: Duration = Duration::from_secs(15 * 60);
/// Default bound on entries (an entry is a few hundred bytes).
pub const DEFAULT_CAPACITY: usize = 10_000;
/// Default TTL: kube-apiserver's default webhook cache TTL (2 minutes), so the cache
/// never widens the revocation window beyond what the apiserver's own cache already
/// gives; a token is valid for longer (15 minutes), but a revoked identity must stop
/// working sooner.
pub const DEFAULT_TTL: Duration = Duration::from_secs(2 * 60);

type Key = [u8; 32];
type Flight = Arc<OnceCell<Result<Arc<Identity>, VerifyError>>>;

struct Entry {
    identity: Arc<Identity>,
    expires: Instant,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// Insertion order, for eviction. May hold keys already removed or replaced; they
    /// are skipped when popped.
    order: VecDeque<(Key, Instant)>,
    in_flight: HashMap<Key, Flight>,
}

/// Whether a lookup was answered from the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Served from the cache, or by another request's STS call for the same token.
    Hit,
    /// This request called STS.
    Miss,
}

/// A bounded, single-flight cache of verified identities.
pub struct IdentityCache {
    inner: Mutex<Inner>,
    capacity: usize,
    ttl: Duration,
}

impl std::fmt::Debug for IdentityCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityCache")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("len", &self.len())
            .finish()
    }
}

fn key(token: &str) -> Key {
    Sha256::digest(token.as_bytes()).into()
}

impl IdentityCache {
    /// A cache of at most `capacity` entries, each kept at most `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        IdentityCache {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
            ttl,
        }
    }

    /// How many identities are cached.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The identity for `token`: cached, or from `fetch` (one call per token at a time).
    /// `valid_for` is how long the token itself remains valid.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        token: &str,
        valid_for: Duration,
        fetch: F,
    ) -> (Result<Arc<Identity>, VerifyError>, Outcome)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Identity, VerifyError>>,
    {
        let key = key(token);
        let now = Instant::now();
        let flight = {
            let mut inner = self.lock();
            if let Some(entry) = inner.entries.get(&key) {
                if entry.expires > now {
                    return (Ok(Arc::clone(&entry.identity)), Outcome::Hit);
                }
                inner.entries.remove(&key);
            }
            Arc::clone(inner.in_flight.entry(key).or_default())
        };
        // Whoever runs the cell's initialiser calls STS; everyone else waits for it. If
        // that request is cancelled midway, the next waiter runs the initialiser itself.
        let ran = AtomicBool::new(false);
        let result = flight
            .get_or_init(|| async {
                ran.store(true, Ordering::Relaxed);
                let _done = InFlightGuard {
                    cache: self,
                    key,
                    flight: Arc::clone(&flight),
                };
                let result = fetch().await.map(Arc::new);
                if let Ok(identity) = &result {
                    self.insert(key, Arc::clone(identity), valid_for);
                }
                result
            })
            .await
            .clone();
        let outcome = if ran.load(Ordering::Relaxed) {
            Outcome::Miss
        } else {
            Outcome::Hit
        };
        (result, outcome)
    }

    fn insert(&self, key: Key, identity: Arc<Identity>, valid_for: Duration) {
        let lifetime = valid_for.min(self.ttl);
        if lifetime.is_zero() {
            return;
        }
        let now = Instant::now();
        let expires = now + lifetime;
        let mut inner = self.lock();
        while inner.entries.len() >= self.capacity {
            let Some((old, stamp)) = inner.order.pop_front() else {
                break;
            };
            // Skip stale order records (the entry was replaced or already removed).
            if inner.entries.get(&old).is_some_and(|e| e.expires == stamp) {
                inner.entries.remove(&old);
            }
        }
        // Drop expired entries at the front while we are here (amortised cleanup).
        while let Some((old, stamp)) = inner.order.front().copied() {
            if stamp > now {
                break;
            }
            inner.order.pop_front();
            if inner.entries.get(&old).is_some_and(|e| e.expires == stamp) {
                inner.entries.remove(&old);
            }
        }
        inner.entries.insert(key, Entry { identity, expires });
        inner.order.push_back((key, expires));
    }
}

/// Removes a finished (or abandoned) call from the in-flight table.
struct InFlightGuard<'a> {
    cache: &'a IdentityCache,
    key: Key,
    flight: Flight,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let mut inner = self.cache.lock();
        if inner
            .in_flight
            .get(&self.key)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
        {
            inner.in_flight.remove(&self.key);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// The IAM user `name`'s identity.
    fn identity(name: &str) -> Identity {
        crate::mapper::test_support::identity(&format!("arn:aws:iam::111122223333:user/{name}"))
            .build()
    }

    const LONG: Duration = Duration::from_secs(600);

    #[tokio::test]
    async fn hits_after_a_miss_and_never_stores_the_token() {
        let cache = IdentityCache::new(10, LONG);
        let calls = AtomicUsize::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(identity("alice"))
        };
        let (r, o) = cache.get_or_fetch("k8s-aws-v1.secret", LONG, fetch).await;
        assert_eq!(
            (r.unwrap().arn.as_str(), o),
            ("arn:aws:iam::111122223333:user/alice", Outcome::Miss)
        );
        let (r, o) = cache.get_or_fetch("k8s-aws-v1.secret", LONG, fetch).await;
        assert!(r.is_ok());
        assert_eq!(o, Outcome::Hit);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Only the digest is kept.
        let inner = cache.lock();
        let stored: Vec<Key> = inner.entries.keys().copied().collect();
        assert_eq!(stored, vec![key("k8s-aws-v1.secret")]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_identical_tokens_make_one_call() {
        let cache = Arc::new(IdentityCache::new(10, LONG));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = Arc::clone(&cache);
            let calls = Arc::clone(&calls);
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch("same-token", LONG, || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(identity("bob"))
                    })
                    .await
            }));
        }
        let mut misses = 0;
        for t in tasks {
            let (r, o) = t.await.unwrap();
            assert!(r.is_ok());
            misses += usize::from(o == Outcome::Miss);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(misses, 1);
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let cache = IdentityCache::new(10, LONG);
        let (r, _) = cache
            .get_or_fetch("t", LONG, || async {
                Err(VerifyError::StsThrottled {
                    body: "Throttling".into(),
                })
            })
            .await;
        assert!(r.unwrap_err().is_throttling());
        let (r, o) = cache
            .get_or_fetch("t", LONG, || async { Ok(identity("c")) })
            .await;
        assert!(r.is_ok());
        assert_eq!(o, Outcome::Miss);
    }

    #[test]
    fn defaults_bound_the_revocation_window_and_the_size() {
        // kube-apiserver's --authentication-token-webhook-cache-ttl default.
        assert_eq!(DEFAULT_TTL, Duration::from_secs(120));
        assert!(DEFAULT_TTL < TOKEN_VALIDITY);
        assert_eq!(DEFAULT_CAPACITY, 10_000);
    }

    #[tokio::test]
    async fn the_ttl_caps_an_entry_of_a_long_valid_token() {
        let cache = IdentityCache::new(10, Duration::from_millis(40));
        let fetch = || async { Ok(identity("t")) };
        let (_, o) = cache.get_or_fetch("t", LONG, fetch).await;
        assert_eq!(o, Outcome::Miss);
        let (_, o) = cache.get_or_fetch("t", LONG, fetch).await;
        assert_eq!(o, Outcome::Hit);
        tokio::time::sleep(Duration::from_millis(120)).await;
        // The token is still valid for minutes, but the TTL has passed: STS is asked again.
        let (_, o) = cache.get_or_fetch("t", LONG, fetch).await;
        assert_eq!(o, Outcome::Miss);
    }

    #[tokio::test]
    async fn a_full_cache_evicts_the_oldest_and_stays_at_capacity() {
        let cache = IdentityCache::new(DEFAULT_CAPACITY, LONG);
        for i in 0..DEFAULT_CAPACITY + 500 {
            let _ = cache
                .get_or_fetch(&format!("tok{i}"), LONG, || async { Ok(identity("x")) })
                .await;
        }
        assert_eq!(cache.len(), DEFAULT_CAPACITY);
        assert!(cache.lock().order.len() <= DEFAULT_CAPACITY + 1);
        assert!(cache.lock().in_flight.is_empty());
        let (_, o) = cache
            .get_or_fetch("tok0", LONG, || async { Ok(identity("x")) })
            .await;
        assert_eq!(o, Outcome::Miss);
    }

    #[tokio::test]
    async fn entries_expire_with_the_token_and_the_size_is_bounded() {
        let cache = IdentityCache::new(3, LONG);
        // A token with 50 ms of validity left is cached for 50 ms only.
        let _ = cache
            .get_or_fetch("short", Duration::from_millis(50), || async {
                Ok(identity("s"))
            })
            .await;
        assert_eq!(cache.len(), 1);
        tokio::time::sleep(Duration::from_millis(80)).await;
        let (_, o) = cache
            .get_or_fetch("short", LONG, || async { Ok(identity("s")) })
            .await;
        assert_eq!(o, Outcome::Miss);
        // An already expired token is never stored.
        let _ = cache
            .get_or_fetch("dead", Duration::ZERO, || async { Ok(identity("d")) })
            .await;
        assert!(!cache.lock().entries.contains_key(&key("dead")));
        for i in 0..10 {
            let _ = cache
                .get_or_fetch(&format!("t{i}"), LONG, || async { Ok(identity("x")) })
                .await;
            assert!(cache.len() <= 3);
        }
        // The newest survive.
        let (_, o) = cache
            .get_or_fetch("t9", LONG, || async { Ok(identity("x")) })
            .await;
        assert_eq!(o, Outcome::Hit);
        let (_, o) = cache
            .get_or_fetch("t0", LONG, || async { Ok(identity("x")) })
            .await;
        assert_eq!(o, Outcome::Miss);
    }
}
