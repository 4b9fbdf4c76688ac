//! The generation cache: what visitors are shown (web's whole pages, experience's API reads)
//! stored whole and invalidated by a content generation, and the memcached client that the
//! sign-in limiter shares ([`Memcached`]).
//!
//! Every stored page carries the generation it was rendered at; a lookup reads the current
//! generation and the page together (one memcached multi-get) and serves the page only when
//! the two agree. A write anywhere bumps the generation before it is acknowledged, so the
//! next page load anywhere is fresh and nothing has to find keys to delete; the TTL
//! (`PAGE_CACHE_TTL`) bounds how long an untouched page lives, and is the backstop should a
//! bump ever be lost.
//!
//! Two backends behind one handle: memcached ([`MemcachedConfig`], from `MEMCACHED_URL`)
//! and an in-process [`LocalStore`] for when every tier shares a process. The cache is never
//! on the critical path: every call is bounded by the timeout, a failure opens a short
//! breaker (pages are served uncached, without waiting on the cache again) and is logged
//! once per outage; caching resumes by itself when memcached answers again.

mod config;
mod key;
mod local;
mod memcached;

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use config::MemcachedConfig;
pub use key::{PageKey, sha256_hex};
pub use local::LocalStore;
pub use memcached::Memcached;

/// The largest page stored; bigger ones are rendered every time.
pub const MAX_PAGE_BYTES: usize = 512 * 1024;
/// How long the cache is left alone after a failure before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// How long a request waits for another request's render of the same page before it
/// renders the page itself (a slow backend must not queue every visitor behind one render).
pub const FILL_WAIT: Duration = Duration::from_secs(2);

/// Which store, as configured (`MEMCACHED_URL`, or the launcher's shared in-process store).
#[derive(Clone, Debug, Default)]
pub enum CacheConfig {
    /// No page cache: every page is rendered (`X-Cache: BYPASS`).
    #[default]
    Disabled,
    /// memcached.
    Memcached(MemcachedConfig),
    /// A store shared by the tiers running in this process.
    InProcess(Arc<LocalStore>),
}

impl CacheConfig {
    /// From `MEMCACHED_URL`: unset means disabled (a separate web process has no way to see
    /// another process's writes in an in-process store).
    pub fn from_url(url: Option<&str>) -> Result<Self, String> {
        match url {
            None => Ok(Self::Disabled),
            Some(url) => MemcachedConfig::parse(url).map(Self::Memcached),
        }
    }

    /// A fresh in-process store, to hand to every tier of this process.
    pub fn in_process() -> Self {
        Self::InProcess(Arc::new(LocalStore::default()))
    }
}

/// The result of a lookup.
#[derive(Debug)]
pub enum Lookup {
    /// The page, stored at the current generation.
    Hit(Bytes),
    /// Not stored (or stale). Store the rendered page at this generation; `None` when the
    /// generation is not known yet (the page must then not be stored).
    Miss(Option<u64>),
    /// No cache: disabled, or failing (the breaker is open). Render and do not store.
    Unavailable,
}

/// What a page request did with the cache, for `X-Cache` and the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Served from the cache.
    Hit,
    /// Cacheable, rendered (and stored when it was a 200).
    Miss,
    /// Not cacheable (a signed-in visitor, a form page, not a GET) or no cache available.
    Bypass,
}

impl Outcome {
    /// The name of the header that tells the outcome, on pages and on API reads alike.
    pub const HEADER: &'static str = "x-cache";

    /// The `X-Cache` header value.
    pub fn header(self) -> &'static str {
        match self {
            Self::Hit => "HIT",
            Self::Miss => "MISS",
            Self::Bypass => "BYPASS",
        }
    }
}

/// A page-cache handle. Clones share everything; [`PageCache::for_worker`] shares all but the
/// memcached connections.
#[derive(Clone)]
pub struct PageCache {
    shared: Arc<Shared>,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Disabled,
    Local(Arc<LocalStore>),
    Memcached(Arc<Memcached>),
}

struct Shared {
    config: CacheConfig,
    ttl: Duration,
    started: Instant,
    /// Milliseconds since `started` before which the cache is not tried (the breaker).
    closed_until_ms: AtomicU64,
    healthy: AtomicBool,
    bump_pending: AtomicBool,
    fills: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    hits: AtomicU64,
    misses: AtomicU64,
    bypasses: AtomicU64,
    errors: AtomicU64,
    bumps: AtomicU64,
}

impl fmt::Debug for PageCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageCache")
            .field("backend", &self.describe())
            .field("ttl", &self.shared.ttl)
            .finish_non_exhaustive()
    }
}

impl PageCache {
    /// A cache over `config` whose pages live at most `ttl`.
    pub fn new(config: &CacheConfig, ttl: Duration) -> Self {
        let shared = Arc::new(Shared {
            config: config.clone(),
            ttl,
            started: Instant::now(),
            closed_until_ms: AtomicU64::new(0),
            healthy: AtomicBool::new(true),
            bump_pending: AtomicBool::new(false),
            fills: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            bypasses: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            bumps: AtomicU64::new(0),
        });
        Self::with_shared(shared)
    }

    fn with_shared(shared: Arc<Shared>) -> Self {
        let backend = match &shared.config {
            CacheConfig::Disabled => Backend::Disabled,
            CacheConfig::InProcess(store) => Backend::Local(store.clone()),
            CacheConfig::Memcached(c) => Backend::Memcached(Arc::new(Memcached::new(c.clone()))),
        };
        Self { shared, backend }
    }

    /// A handle for one worker thread: same counters, breaker and store, its own memcached
    /// connections (they belong to the worker's runtime).
    pub fn for_worker(&self) -> Self {
        Self::with_shared(self.shared.clone())
    }

    /// One line for the start-up log.
    pub fn describe(&self) -> String {
        match &self.shared.config {
            CacheConfig::Disabled => "disabled (no MEMCACHED_URL)".to_owned(),
            CacheConfig::InProcess(_) => "in-process".to_owned(),
            CacheConfig::Memcached(c) => c.to_string(),
        }
    }

    /// The page under `key`, if it is fresh.
    pub async fn lookup(&self, key: &PageKey) -> Lookup {
        match &self.backend {
            Backend::Disabled => Lookup::Unavailable,
            Backend::Local(store) => {
                let generation = store.generation();
                match store.get(key.as_str(), generation) {
                    Some(page) => Lookup::Hit(page),
                    None => Lookup::Miss(Some(generation)),
                }
            }
            Backend::Memcached(m) => {
                if !self.breaker_closed() {
                    return Lookup::Unavailable;
                }
                match m.lookup(key.as_str()).await {
                    Ok(found) => {
                        self.succeeded();
                        match (found.generation, found.page) {
                            (Some(now), Some((at, page))) if at == now => Lookup::Hit(page),
                            (generation, _) => Lookup::Miss(generation),
                        }
                    }
                    Err(e) => {
                        self.failed("lookup", &e);
                        Lookup::Unavailable
                    }
                }
            }
        }
    }

    /// Stores a page (the bytes as they are to be served; web stores them gzip'd) at the
    /// generation its lookup returned. Values over [`MAX_PAGE_BYTES`] are not stored
    /// (memcached refuses items over 1 MiB, and a refusal is not an outage).
    pub async fn store(&self, key: &PageKey, generation: u64, page: Bytes) {
        if page.len() > MAX_PAGE_BYTES {
            return;
        }
        match &self.backend {
            Backend::Disabled => {}
            Backend::Local(store) => store.set(key.as_str(), generation, page, self.shared.ttl),
            Backend::Memcached(m) => {
                match m
                    .store(key.as_str(), generation, &page, self.shared.ttl)
                    .await
                {
                    Ok(()) => self.succeeded(),
                    Err(e) => self.failed("store", &e),
                }
            }
        }
    }

    /// Moves to a new content generation: every stored page becomes stale. Call after a write
    /// and before acknowledging it. Tried even while the breaker is open (a lost bump could
    /// serve a stale page once memcached answers again); on failure it is retried in the
    /// background until it lands, and the error is returned for the log.
    pub async fn bump(&self) -> Result<(), String> {
        self.shared.bumps.fetch_add(1, Ordering::Relaxed);
        match &self.backend {
            Backend::Disabled => Ok(()),
            Backend::Local(store) => {
                store.bump();
                Ok(())
            }
            Backend::Memcached(m) => match m.bump().await {
                Ok(_) => {
                    self.succeeded();
                    Ok(())
                }
                Err(e) => {
                    self.failed("bump", &e);
                    self.retry_bump(m.clone());
                    Err(e)
                }
            },
        }
    }

    fn retry_bump(&self, m: Arc<Memcached>) {
        if self.shared.bump_pending.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = self.shared.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if m.bump().await.is_ok() {
                    shared.bump_pending.store(false, Ordering::SeqCst);
                    tracing::info!("page cache: the generation bump that failed has landed");
                    return;
                }
            }
        });
    }

    /// Waits (at most [`FILL_WAIT`]) until no other request of this instance is rendering
    /// `key`; hold the guard while rendering and storing. `None` when the wait ran out.
    pub async fn fill_lock(&self, key: &PageKey) -> Option<FillGuard> {
        let lock = {
            let mut fills = self.shared.fills.lock().unwrap_or_else(|e| e.into_inner());
            fills.entry(key.as_str().to_owned()).or_default().clone()
        };
        let (guard, waited) = match lock.clone().try_lock_owned() {
            Ok(guard) => (guard, false),
            Err(_) => (
                tokio::time::timeout(FILL_WAIT, lock.lock_owned())
                    .await
                    .ok()?,
                true,
            ),
        };
        Some(FillGuard {
            shared: self.shared.clone(),
            key: key.as_str().to_owned(),
            guard: Some(guard),
            waited,
        })
    }

    /// Counts one page request's outcome.
    pub fn record(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Hit => &self.shared.hits,
            Outcome::Miss => &self.shared.misses,
            Outcome::Bypass => &self.shared.bypasses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counters so far: (hits, misses, bypasses, errors).
    pub fn counts(&self) -> (u64, u64, u64, u64) {
        let s = &self.shared;
        (
            s.hits.load(Ordering::Relaxed),
            s.misses.load(Ordering::Relaxed),
            s.bypasses.load(Ordering::Relaxed),
            s.errors.load(Ordering::Relaxed),
        )
    }

    /// What `/metrics` shows of this cache, as a collector for the service's metrics
    /// registry (`Metrics::add_collector`).
    pub fn metrics_collector(
        &self,
        service: &'static str,
    ) -> impl Fn(&mut String) + Send + Sync + 'static {
        let cache = self.clone();
        move |out| cache.write_metrics(service, out)
    }

    /// Appends the Prometheus lines of this cache, labelled with `service`.
    fn write_metrics(&self, service: &str, out: &mut String) {
        let (hits, misses, bypasses, errors) = self.counts();
        let s = &self.shared;
        out.push_str("# HELP page_cache_requests_total Requests by cache outcome (web: pages; experience: anonymous API reads).\n");
        out.push_str("# TYPE page_cache_requests_total counter\n");
        for (result, n) in [("hit", hits), ("miss", misses), ("bypass", bypasses)] {
            let _ = writeln!(
                out,
                "page_cache_requests_total{{service=\"{service}\",result=\"{result}\"}} {n}"
            );
        }
        out.push_str("# HELP page_cache_errors_total Cache calls that failed or timed out.\n");
        out.push_str("# TYPE page_cache_errors_total counter\n");
        let _ = writeln!(
            out,
            "page_cache_errors_total{{service=\"{service}\"}} {errors}"
        );
        out.push_str(
            "# HELP page_cache_generation_bumps_total Writes that moved the content generation.\n",
        );
        out.push_str("# TYPE page_cache_generation_bumps_total counter\n");
        let _ = writeln!(
            out,
            "page_cache_generation_bumps_total{{service=\"{service}\"}} {}",
            s.bumps.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP page_cache_up Whether the cache answered its last call (1) or not (0).\n",
        );
        out.push_str("# TYPE page_cache_up gauge\n");
        let up = u8::from(
            s.healthy.load(Ordering::Relaxed) && !matches!(self.backend, Backend::Disabled),
        );
        let _ = writeln!(out, "page_cache_up{{service=\"{service}\"}} {up}");
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.shared.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn breaker_closed(&self) -> bool {
        self.now_ms() >= self.shared.closed_until_ms.load(Ordering::Relaxed)
    }

    fn failed(&self, op: &str, error: &str) {
        let s = &self.shared;
        s.errors.fetch_add(1, Ordering::Relaxed);
        let until = self.now_ms() + u64::try_from(RETRY_AFTER.as_millis()).unwrap_or(1000);
        s.closed_until_ms.store(until, Ordering::Relaxed);
        if s.healthy.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                op,
                error,
                "page cache unavailable: pages are served uncached until it answers again"
            );
        }
    }

    fn succeeded(&self) {
        if !self.shared.healthy.load(Ordering::Relaxed)
            && !self.shared.healthy.swap(true, Ordering::SeqCst)
        {
            tracing::info!("page cache answers again: caching resumed");
        }
    }
}

/// Held while one request renders and stores a page; others wait for it in
/// [`PageCache::fill_lock`].
pub struct FillGuard {
    shared: Arc<Shared>,
    key: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
    waited: bool,
}

impl FillGuard {
    /// True when another request held the page first: it may be stored by now.
    pub fn waited(&self) -> bool {
        self.waited
    }
}

impl Drop for FillGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut fills = self.shared.fills.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the key's lock once nobody holds or waits for it (only the map's Arc left).
        if fills
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            fills.remove(&self.key);
        }
    }
}
