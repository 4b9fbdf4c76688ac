//! The memcached backend: the crate's async meta-protocol client, one per worker thread.
//!
//! Each actix worker runs its own single-threaded tokio runtime; a connection opened on one
//! would be driven by that runtime's reactor, so every worker gets its own client and pool
//! (`PageCache::for_worker`). The client is made on first use, so a cache that is down (or
//! a name that does not resolve yet) at start-up is only a miss, and retried later.
//!
//! Stored format: the generation in decimal, `\n`, then the page's bytes (gzip'd by web). A lookup reads the
//! generation key and the page key in one multi-get: a hit is one round trip.
//!
//! The same per-worker connection also keeps counters for other tiers' shared state (the
//! experience tier's failed-login limits): [`Memcached::counters`], [`Memcached::count`],
//! [`Memcached::ttl_left`], [`Memcached::forget`], each bounded like every other call.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use memcache::exp::{AsyncMemcache, Ttl};
use tokio::sync::OnceCell;

use crate::config::MemcachedConfig;

/// The key of the content generation.
pub(crate) const GENERATION_KEY: &str = "conduit:generation";

/// One worker's connection to memcached (make one per worker thread: a connection belongs
/// to the runtime it was opened on). Every call is bounded by the URL's timeouts.
pub struct Memcached {
    config: MemcachedConfig,
    client: OnceCell<AsyncMemcache>,
}

/// What one multi-get found.
pub(crate) struct Found {
    pub generation: Option<u64>,
    pub page: Option<(u64, Bytes)>,
}

type Result<T> = std::result::Result<T, String>;

impl Memcached {
    /// A connection to `config`'s servers, opened on first use.
    pub fn new(config: MemcachedConfig) -> Self {
        Self {
            config,
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&AsyncMemcache> {
        self.client
            .get_or_try_init(|| async {
                AsyncMemcache::builder()
                    .timeout(self.config.timeout)
                    .connect_timeout(self.config.connect_timeout)
                    .max_idle(self.config.pool)
                    .max_connections(self.config.pool)
                    .connect_async(self.config.servers.iter())
                    .await
                    .map_err(|e| format!("cannot reach {}: {e}", self.config.servers.join(",")))
            })
            .await
    }

    /// Bounds `op` by the configured timeout as a whole (name lookup, dialing and the
    /// exchange together), whatever the client does inside.
    async fn bounded<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        let limit = self.config.timeout + self.config.connect_timeout;
        tokio::time::timeout(limit, op)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {limit:?}")))
    }

    pub(crate) async fn lookup(&self, key: &str) -> Result<Found> {
        self.bounded(async {
            let client = self.client().await?;
            let mut found: HashMap<&str, Vec<u8>> = client
                .get_many([GENERATION_KEY, key])
                .await
                .map_err(|e| e.to_string())?;
            let mut generation = found.get(GENERATION_KEY).and_then(|g| parse_number(g));
            let page = found.remove(key).and_then(split_page);
            if generation.is_none() {
                // First use, or memcached restarted: start from a random generation so no
                // page stored under an earlier run of numbers can ever match. When another
                // instance got there first, ours is not added and the generation stays
                // unknown for this request.
                let start = fastrand::u64(1..u64::MAX / 2);
                let added = client
                    .add(GENERATION_KEY, start.to_string(), Ttl::NEVER)
                    .await
                    .map_err(|e| e.to_string())?;
                generation = added.then_some(start);
            }
            Ok(Found { generation, page })
        })
        .await
    }

    pub(crate) async fn store(
        &self,
        key: &str,
        generation: u64,
        page: &[u8],
        ttl: Duration,
    ) -> Result<()> {
        self.bounded(async {
            let client = self.client().await?;
            let mut value = Vec::with_capacity(page.len() + 21);
            value.extend_from_slice(generation.to_string().as_bytes());
            value.push(b'\n');
            value.extend_from_slice(page);
            let secs = u32::try_from(ttl.as_secs().max(1)).unwrap_or(u32::MAX);
            client
                .set(key, value, Ttl::secs(secs))
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    pub(crate) async fn bump(&self) -> Result<u64> {
        self.bounded(async {
            let client = self.client().await?;
            let next = client
                .incr(GENERATION_KEY, 1, Ttl::NEVER)
                .await
                .map_err(|e| e.to_string())?;
            if next == 1 {
                // The key was missing and memcached created it at 1: move to a random start
                // (see `lookup`). Any value but the old one invalidates every page.
                let start = fastrand::u64(2..u64::MAX / 2);
                client
                    .set(GENERATION_KEY, start.to_string(), Ttl::NEVER)
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(start);
            }
            Ok(next)
        })
        .await
    }
}

impl Memcached {
    /// The counters under `keys`, 0 for a missing one, in one round trip.
    pub async fn counters(&self, keys: &[&str]) -> Result<Vec<u64>> {
        self.bounded(async {
            let client = self.client().await?;
            let found: HashMap<&str, Vec<u8>> = client
                .get_many(keys.iter().copied())
                .await
                .map_err(|e| e.to_string())?;
            Ok(keys
                .iter()
                .map(|k| found.get(k).and_then(|v| parse_number(v)).unwrap_or(0))
                .collect())
        })
        .await
    }

    /// Adds one to the counter under `key`, made with `ttl` when missing (so the count runs
    /// over a fixed window from its first event); the new value.
    pub async fn count(&self, key: &str, ttl: Duration) -> Result<u64> {
        self.bounded(async {
            let secs = u32::try_from(ttl.as_secs().max(1)).unwrap_or(u32::MAX);
            self.client()
                .await?
                .incr(key, 1, Ttl::secs(secs))
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Takes one from the counter under `key` (saturating at zero; made with `ttl` when
    /// missing); the new value.
    pub async fn uncount(&self, key: &str, ttl: Duration) -> Result<u64> {
        self.bounded(async {
            let secs = u32::try_from(ttl.as_secs().max(1)).unwrap_or(u32::MAX);
            self.client()
                .await?
                .decr(key, 1, Ttl::secs(secs))
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Time left before `key` expires (`None`: missing, or never expires).
    pub async fn ttl_left(&self, key: &str) -> Result<Option<Duration>> {
        self.bounded(async {
            let info = self
                .client()
                .await?
                .inspect(key)
                .await
                .map_err(|e| e.to_string())?;
            Ok(info.and_then(|i| i.ttl))
        })
        .await
    }

    /// Removes `key` (missing is fine).
    pub async fn forget(&self, key: &str) -> Result<()> {
        self.bounded(async {
            self.client()
                .await?
                .delete(key)
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }
}

/// memcached pads a counter with spaces after a decrement; accept that form too.
fn parse_number(raw: &[u8]) -> Option<u64> {
    std::str::from_utf8(raw).ok()?.trim().parse().ok()
}

fn split_page(value: Vec<u8>) -> Option<(u64, Bytes)> {
    let newline = value.iter().position(|b| *b == b'\n')?;
    let generation = parse_number(&value[..newline])?;
    Some((generation, Bytes::from(value).slice(newline + 1..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_value_splits_into_its_generation_and_page() {
        let (g, page) = split_page(b"42\n<html>\n</html>".to_vec()).unwrap();
        assert_eq!(g, 42);
        assert_eq!(&page[..], b"<html>\n</html>");
    }

    #[test]
    fn values_without_a_generation_are_not_pages() {
        assert!(split_page(b"<html>".to_vec()).is_none());
        assert!(split_page(b"x\n<html>".to_vec()).is_none());
        assert_eq!(parse_number(b"17   "), Some(17));
    }
}
