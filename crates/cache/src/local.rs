//! The in-process backend: the same generation semantics as memcached, in one process.
//!
//! Used where all tiers share a process (`cargo run`, plain `cargo test`): experience bumps
//! the very store the web tier reads. Bounded in entries and in bytes (keys and pages):
//! when either bound would be passed, expired pages and pages of an older generation (which
//! are never served again) are dropped, then everything (a dev cache need not be clever about
//! eviction). A page larger than an eighth of the byte bound is not stored.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// One process's page store; share it through an `Arc`.
#[derive(Debug)]
pub struct LocalStore {
    generation: AtomicU64,
    pages: Mutex<Pages>,
    capacity: usize,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct Pages {
    entries: HashMap<String, Entry>,
    /// Bytes of keys and pages held.
    bytes: usize,
}

/// Bytes an entry is counted as besides its page and key.
const ENTRY_OVERHEAD: usize = 64;

/// The byte bound of the default store.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug)]
struct Entry {
    generation: u64,
    expires: Instant,
    page: Bytes,
}

impl Default for LocalStore {
    fn default() -> Self {
        Self::with_limits(10_000, DEFAULT_MAX_BYTES)
    }
}

impl LocalStore {
    /// A store holding at most `capacity` pages and `max_bytes` of keys and pages.
    pub fn with_limits(capacity: usize, max_bytes: usize) -> Self {
        Self {
            generation: AtomicU64::new(fastrand::u64(1..u64::MAX / 2)),
            pages: Mutex::new(Pages::default()),
            capacity: capacity.max(1),
            max_bytes,
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
            .entries
            .get(key)
            .filter(|e| e.generation == generation && e.expires > Instant::now())
            .map(|e| e.page.clone())
    }

    pub(crate) fn set(&self, key: &str, generation: u64, page: Bytes, ttl: Duration) {
        let size = key.len() + page.len() + ENTRY_OVERHEAD;
        if size > self.max_bytes / 8 {
            return;
        }
        let now = Instant::now();
        let current = self.generation();
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = pages.entries.remove(key) {
            pages.bytes -= key.len() + old.page.len() + ENTRY_OVERHEAD;
        }
        let full = |p: &Pages| p.entries.len() >= self.capacity || p.bytes + size > self.max_bytes;
        if full(&pages) {
            let Pages { entries, bytes } = &mut *pages;
            entries.retain(|k, e| {
                let keep = e.expires > now && e.generation == current;
                if !keep {
                    *bytes -= k.len() + e.page.len() + ENTRY_OVERHEAD;
                }
                keep
            });
            if full(&pages) {
                *pages = Pages::default();
            }
        }
        pages.bytes += size;
        pages.entries.insert(
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
        self.pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len()
    }

    /// Bytes of keys and pages held now (each entry counted with a fixed overhead).
    pub fn bytes(&self) -> usize {
        self.pages.lock().unwrap_or_else(|e| e.into_inner()).bytes
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
    fn the_store_never_holds_more_bytes_than_its_bound() {
        let store = LocalStore::with_limits(10_000, 100_000);
        let g = store.generation();
        let page = Bytes::from(vec![b'x'; 5_000]);
        for i in 0..1_000 {
            store.set(&format!("page-{i}"), g, page.clone(), TTL);
            assert!(store.bytes() <= 100_000, "after {i}: {}", store.bytes());
        }
        assert!(store.len() >= 10, "{}", store.len());
        // Storing a key again replaces it without counting it twice.
        let before = store.bytes();
        store.set("page-999", g, page.clone(), TTL);
        assert_eq!(store.bytes(), before);
        // A page of more than an eighth of the bound is not stored.
        store.set("huge", g, Bytes::from(vec![b'x'; 20_000]), TTL);
        assert_eq!(store.get("huge", g), None);
    }

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
        let store = LocalStore::with_limits(3, DEFAULT_MAX_BYTES);
        let g = store.generation();
        for i in 0..10 {
            store.set(&format!("k{i}"), g, Bytes::from_static(b"p"), TTL);
            assert!(store.len() <= 3);
        }
        assert_eq!(store.get("k9", g).as_deref(), Some(&b"p"[..]));
    }
}
