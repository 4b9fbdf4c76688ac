//! The in-process backend: the same generation semantics as memcached, in one process.
//!
//! Used where all tiers share a process (`cargo run`, plain `cargo test`): experience bumps
//! the very store the web tier reads. Bounded: past `capacity` entries, expired ones are
//! dropped, then everything (a dev cache need not be clever about eviction).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// One process's page store; share it through an `Arc`.
#[derive(Debug)]
pub struct LocalStore {
    generation: AtomicU64,
    pages: Mutex<HashMap<String, Entry>>,
    capacity: usize,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    expires: Instant,
    page: Bytes,
}

impl Default for LocalStore {
    fn default() -> Self {
        Self::with_capacity(10_000)
    }
}

impl LocalStore {
    /// A store holding at most `capacity` pages.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            generation: AtomicU64::new(fastrand::u64(1..u64::MAX / 2)),
            pages: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The page under `key` if it was stored at the current generation and has not expired.
    pub(crate) fn get(&self, key: &str, generation: u64) -> Option<Bytes> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages
            .get(key)
            .filter(|e| e.generation == generation && e.expires > Instant::now())
            .map(|e| e.page.clone())
    }

    pub(crate) fn set(&self, key: &str, generation: u64, page: Bytes, ttl: Duration) {
        let now = Instant::now();
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= self.capacity && !pages.contains_key(key) {
            pages.retain(|_, e| e.expires > now);
            if pages.len() >= self.capacity {
                pages.clear();
            }
        }
        pages.insert(
            key.to_owned(),
            Entry {
                generation,
                expires: now + ttl,
                page,
            },
        );
    }

    /// Pages held now (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.pages.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when no page is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn a_page_is_served_only_at_the_generation_it_was_stored_at() {
        let store = LocalStore::default();
        let g = store.generation();
        store.set("k", g, Bytes::from_static(b"page"), TTL);
        assert_eq!(store.get("k", g).as_deref(), Some(&b"page"[..]));
        store.bump();
        assert_eq!(store.get("k", store.generation()), None);
    }

    #[test]
    fn an_expired_page_is_not_served() {
        let store = LocalStore::default();
        let g = store.generation();
        store.set("k", g, Bytes::from_static(b"page"), Duration::ZERO);
        assert_eq!(store.get("k", g), None);
    }

    #[test]
    fn the_store_never_grows_past_its_capacity() {
        let store = LocalStore::with_capacity(3);
        let g = store.generation();
        for i in 0..10 {
            store.set(&format!("k{i}"), g, Bytes::from_static(b"p"), TTL);
            assert!(store.len() <= 3);
        }
        assert_eq!(store.get("k9", g).as_deref(), Some(&b"p"[..]));
    }
}
