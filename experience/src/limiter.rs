//! Failed-login limits, per account and per client address.
//!
//! After `max` failures for an account within the window (four times as many for one
//! address, which may be shared), further attempts get 429 with `Retry-After`. A successful
//! login clears its account, and the window is short, so a real owner is never locked out
//! for long.
//!
//! Counted twice: in this process (a sliding window, no I/O) and, when `MEMCACHED_URL` is
//! set, in memcached, where every experience instance behind the load balancer adds to the
//! same counts (a fixed window from the first failure, the key's TTL). Either being over
//! the limit refuses. memcached unreachable: the local counts still apply (a limit per
//! instance, as before), and nothing waits on memcached longer than its URL's timeout.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use conduit_pagecache::{Memcached, MemcachedConfig, sha256_hex};

/// The limiter. Make one per process with [`LoginLimiter::new`], then one handle per worker
/// thread with [`for_worker`](LoginLimiter::for_worker) (memcached connections belong to
/// their worker's runtime); the local counts are shared by all handles.
pub struct LoginLimiter {
    local: Arc<LocalCounts>,
    memcached: Option<MemcachedConfig>,
    shared: Option<Memcached>,
}

impl LoginLimiter {
    /// `max` failures per account per `window`; shared through `memcached` when given.
    pub fn new(max: u32, window: Duration, memcached: Option<MemcachedConfig>) -> Self {
        let max = max.max(1) as usize;
        let local = LocalCounts {
            max_account: max,
            max_address: max * 4,
            window,
            failures: Mutex::new(HashMap::new()),
        };
        Self {
            local: Arc::new(local),
            shared: memcached.clone().map(Memcached::new),
            memcached,
        }
    }

    /// A handle for one worker thread: the same local counts, its own memcached connection.
    pub fn for_worker(&self) -> Self {
        Self {
            local: self.local.clone(),
            shared: self.memcached.clone().map(Memcached::new),
            memcached: self.memcached.clone(),
        }
    }

    /// `Err(seconds to wait)` when the account or the address is over its limit.
    pub async fn check(&self, account: &str, address: &str) -> Result<(), u64> {
        self.local.check(account, address)?;
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let keys = shared_keys(account, address);
        let keys = [keys[0].as_str(), keys[1].as_str()];
        let counts = match shared.counters(&keys).await {
            Ok(counts) => counts,
            Err(e) => {
                tracing::debug!(error = %e, "shared login limits unavailable; local ones apply");
                return Ok(());
            }
        };
        let maxima = [self.local.max_account, self.local.max_address];
        for ((key, count), max) in keys.iter().zip(counts).zip(maxima) {
            if count >= max as u64 {
                let left = shared
                    .ttl_left(key)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(self.local.window);
                return Err(whole_seconds(left));
            }
        }
        Ok(())
    }

    /// Records a failed login.
    pub async fn failed(&self, account: &str, address: &str) {
        self.local.failed(account, address);
        if let Some(shared) = &self.shared {
            for key in shared_keys(account, address) {
                if let Err(e) = shared.count(&key, self.local.window).await {
                    tracing::debug!(error = %e, "a failed login was not counted in memcached");
                    break;
                }
            }
        }
    }

    /// Records a successful login: the account's failures are forgotten.
    pub async fn succeeded(&self, account: &str) {
        self.local.succeeded(account);
        if let Some(shared) = &self.shared
            && let Err(e) = shared.forget(&shared_key(&account_key(account))).await
        {
            tracing::debug!(error = %e, "an account's failures were not cleared in memcached");
        }
    }
}

/// The memcached keys of an account's and an address's counts (hashed: an email may hold
/// bytes memcached refuses in a key, and need not be stored there in the clear).
fn shared_keys(account: &str, address: &str) -> [String; 2] {
    [account_key(account), address_key(address)].map(|k| shared_key(&k))
}

/// The memcached key of one local key.
fn shared_key(local: &str) -> String {
    format!("conduit:login:v1:{}", sha256_hex(local.as_bytes()))
}

fn whole_seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// This process's counts: a sliding window per key.
#[derive(Debug)]
struct LocalCounts {
    max_account: usize,
    max_address: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LocalCounts {
    /// `Err(seconds to wait)` when the account or the address is over its limit.
    fn check(&self, account: &str, address: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for (key, max) in [
            (account_key(account), self.max_account),
            (address_key(address), self.max_address),
        ] {
            if let Some(times) = map.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                if times.len() >= max
                    && let Some(oldest) = times.front()
                {
                    let left = self.window.saturating_sub(now.duration_since(*oldest));
                    wait = Some(wait.unwrap_or(0).max(whole_seconds(left)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    /// Records a failed login.
    fn failed(&self, account: &str, address: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            // Bound the memory an attacker can make us hold: drop what has expired.
            let window = self.window;
            map.retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        for key in [account_key(account), address_key(address)] {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// Records a successful login: the account's failures are forgotten.
    fn succeeded(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&account_key(account));
    }
}

fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn the_account_is_limited_then_freed_by_success_or_time() {
        let limiter = LoginLimiter::new(2, Duration::from_millis(300), None);
        assert!(limiter.check("a@x", "1.1.1.1").await.is_ok());
        limiter.failed("a@x", "1.1.1.1").await;
        limiter.failed("A@X ", "1.1.1.1").await;
        assert_eq!(limiter.check("a@x", "2.2.2.2").await, Err(1));
        assert!(
            limiter.check("b@x", "1.1.1.1").await.is_ok(),
            "another account from the address"
        );
        limiter.succeeded("a@x").await;
        assert!(limiter.check("a@x", "1.1.1.1").await.is_ok());
        limiter.failed("a@x", "1.1.1.1").await;
        limiter.failed("a@x", "1.1.1.1").await;
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(limiter.check("a@x", "1.1.1.1").await.is_ok());
    }

    #[actix_web::test]
    async fn one_address_guessing_many_accounts_is_limited() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60), None);
        for i in 0..8 {
            limiter.failed(&format!("user{i}@x"), "6.6.6.6").await;
        }
        assert!(limiter.check("fresh@x", "6.6.6.6").await.is_err());
        assert!(limiter.check("fresh@x", "7.7.7.7").await.is_ok());
    }

    /// Two experience instances (two limiters, each with its own local counts) and one
    /// private memcached; `None` (skipped) without memcached outside CI.
    fn two_instances(
        max: u32,
        window: Duration,
    ) -> Option<(
        conduit_testkit::memcached::Memcached,
        LoginLimiter,
        LoginLimiter,
    )> {
        let server =
            conduit_testkit::require("memcached", conduit_testkit::memcached::Memcached::start())?;
        let config = MemcachedConfig::parse(&server.url()).unwrap();
        let a = LoginLimiter::new(max, window, Some(config.clone()));
        let b = LoginLimiter::new(max, window, Some(config));
        Some((server, a, b))
    }

    #[actix_web::test]
    async fn failures_on_every_instance_count_toward_one_limit() {
        let Some((_server, a, b)) = two_instances(2, Duration::from_secs(60)) else {
            return;
        };
        a.failed("shared@x", "1.1.1.1").await;
        assert!(b.check("shared@x", "2.2.2.2").await.is_ok());
        b.failed("shared@x", "2.2.2.2").await;
        // Each instance has seen one failure; together they are at the limit.
        for limiter in [&a, &b] {
            let wait = limiter.check("SHARED@x", "3.3.3.3").await.unwrap_err();
            assert!((55..=60).contains(&wait), "Retry-After {wait}");
        }
        assert!(a.check("other@x", "3.3.3.3").await.is_ok());
        // A success on one instance clears the account for all.
        b.succeeded("shared@x").await;
        assert!(a.check("shared@x", "4.4.4.4").await.is_ok());
    }

    #[actix_web::test]
    async fn one_address_is_limited_across_instances() {
        let Some((_server, a, b)) = two_instances(2, Duration::from_secs(60)) else {
            return;
        };
        for i in 0..8 {
            let limiter = if i % 2 == 0 { &a } else { &b };
            limiter.failed(&format!("user{i}@x"), "6.6.6.6").await;
        }
        assert!(a.check("fresh@x", "6.6.6.6").await.is_err());
        assert!(b.check("fresh@x", "6.6.6.6").await.is_err());
        assert!(b.check("fresh@x", "7.7.7.7").await.is_ok());
    }

    #[actix_web::test]
    async fn without_memcached_the_local_limits_still_apply_without_waiting() {
        let Some((mut server, a, _b)) = two_instances(2, Duration::from_secs(60)) else {
            return;
        };
        server.kill();
        let started = Instant::now();
        a.failed("alone@x", "1.1.1.1").await;
        a.failed("alone@x", "1.1.1.1").await;
        assert!(a.check("alone@x", "1.1.1.1").await.is_err());
        assert!(a.check("other@x", "1.1.1.1").await.is_ok());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
