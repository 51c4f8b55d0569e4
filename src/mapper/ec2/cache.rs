//! The cache of resolved names: a time-to-live per entry and a bound on the number of
//! entries, so that neither a long-running server nor a stream of distinct instance IDs
//! grows it without limit. Only successes are stored; failures are asked again.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// Instance ID → private DNS name, each entry living for `ttl`, at most `capacity`
/// entries (0 disables the cache). When full, expired entries go first, then the oldest.
pub(super) struct TtlCache {
    entries: HashMap<String, Cached>,
    ttl: Duration,
    capacity: usize,
}

struct Cached {
    name: String,
    expires: Instant,
}

impl TtlCache {
    pub(super) fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            entries: HashMap::new(),
            ttl,
            capacity,
        }
    }

    /// The name cached for `id` if it has not expired at `now`; an expired entry is
    /// dropped.
    pub(super) fn get(&mut self, id: &str, now: Instant) -> Option<String> {
        match self.entries.get(id) {
            Some(hit) if hit.expires > now => return Some(hit.name.clone()),
            Some(_) => {
                self.entries.remove(id);
            }
            None => {}
        }
        None
    }

    /// Stores `name` for `id` until `now + ttl`, making room first if the cache is full.
    pub(super) fn insert(&mut self, id: &str, name: &str, now: Instant) {
        let capacity = self.capacity;
        if capacity == 0 {
            return;
        }
        if self.entries.len() >= capacity && !self.entries.contains_key(id) {
            self.entries.retain(|_, entry| entry.expires > now);
            while self.entries.len() >= capacity {
                // Every entry has the same TTL, so the earliest expiry is the oldest.
                let oldest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.expires)
                    .map(|(key, _)| key.clone());
                match oldest {
                    Some(key) => self.entries.remove(&key),
                    None => break,
                };
            }
        }
        self.entries.insert(
            id.to_string(),
            Cached {
                name: name.to_string(),
                expires: now + self.ttl,
            },
        );
    }

    /// How many entries are held (including expired ones not yet evicted).
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_oldest_is_evicted_when_full() {
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        let mut cache = TtlCache::new(Duration::from_secs(10), 2);
        cache.insert("i-1", "ip-1", at(0));
        cache.insert("i-2", "ip-2", at(1));
        assert_eq!(cache.get("i-1", at(9)).as_deref(), Some("ip-1"));
        // Full: the oldest entry makes room.
        cache.insert("i-3", "ip-3", at(2));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("i-1", at(2)), None);
        assert_eq!(cache.get("i-2", at(2)).as_deref(), Some("ip-2"));
        // Expired at ttl: dropped on read.
        assert_eq!(cache.get("i-2", at(11)), None);
        assert_eq!(cache.len(), 1);
        // Re-inserting a held ID does not evict another.
        cache.insert("i-4", "ip-4", at(3));
        cache.insert("i-4", "ip-4b", at(4));
        assert_eq!(cache.get("i-3", at(4)).as_deref(), Some("ip-3"));
        assert_eq!(cache.get("i-4", at(4)).as_deref(), Some("ip-4b"));
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let now = Instant::now();
        let mut cache = TtlCache::new(Duration::from_secs(10), 0);
        cache.insert("i-1", "ip-1", now);
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.get("i-1", now), None);
    }
}
