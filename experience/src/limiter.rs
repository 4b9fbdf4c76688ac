//! Sign-in limits, per (account, client address) and per client address.
//!
//! Every attempt is counted *before* the password is checked, in one atomic step with the
//! check of the limit, so parallel guesses cannot all slip in while the slow hash runs: with
//! a limit of `max`, N parallel wrong guesses get at most `max` answers 401 and then 429 with
//! `Retry-After`. A successful attempt takes itself back and clears its (account, address)
//! count, so an owner who signs in is never counted against.
//!
//! The limits are per (account, address) (`max` within the window) and per address (four
//! times as many, for one address guessing many accounts; an address may be shared by
//! several people). There is no per-account limit on its own: a guesser elsewhere could use
//! it to lock the owner out, which a (account, address) limit never does. A guesser spread
//! over many addresses is bounded by each address's limit and by the hashing's cost.
//!
//! Counted in memcached when `MEMCACHED_URL` is set: every experience instance behind the
//! load balancer adds to the same counts with `incr` (atomic across instances; a fixed window
//! from the first attempt, the key's TTL), and a success on one instance clears the pair for
//! all. Without memcached, or while it does not answer, in this process (a sliding window
//! under one lock, no I/O): a limit per instance, and nothing waits on memcached longer than
//! its URL's timeout.

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
    /// `max` attempts per (account, address) per `window`, four times as many per address;
    /// shared through `memcached` when given.
    pub fn new(max: u32, window: Duration, memcached: Option<MemcachedConfig>) -> Self {
        let max = max.max(1) as usize;
        let local = LocalCounts {
            max_pair: max,
            max_address: max * 4,
            window,
            attempts: Mutex::new(HashMap::new()),
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

    /// Counts an attempt to sign in to `account` from `address`, before its password is
    /// checked; `Err(seconds to wait)` when that is over a limit (the attempt must then not
    /// be made).
    pub async fn attempt(&self, account: &str, address: &str) -> Result<(), u64> {
        let keys = keys(account, address);
        let Some(shared) = &self.shared else {
            return self.local.attempt(&keys);
        };
        let maxima = [self.local.max_pair, self.local.max_address];
        for (key, max) in keys.iter().zip(maxima) {
            let key = shared_key(key);
            match shared.count(&key, self.local.window).await {
                Ok(count) if count > max as u64 => {
                    let left = shared
                        .ttl_left(&key)
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or(self.local.window);
                    return Err(whole_seconds(left));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "shared sign-in limits unavailable; local ones apply");
                    return self.local.attempt(&keys);
                }
            }
        }
        Ok(())
    }

    /// The attempt succeeded: it is taken back from the address's count, and the
    /// (account, address) count is cleared.
    pub async fn succeeded(&self, account: &str, address: &str) {
        let keys = keys(account, address);
        self.local.succeeded(&keys);
        if let Some(shared) = &self.shared {
            let [pair, address] = keys.map(|k| shared_key(&k));
            if let Err(e) = shared.forget(&pair).await {
                tracing::debug!(error = %e, "a sign-in count was not cleared in memcached");
                return;
            }
            if let Err(e) = shared.uncount(&address, self.local.window).await {
                tracing::debug!(error = %e, "a sign-in count was not cleared in memcached");
            }
        }
    }
}

/// The local keys of an attempt: (account, address) and address. The account is the email as
/// typed, compared without case (emails are unique without case).
fn keys(account: &str, address: &str) -> [String; 2] {
    let account = account.trim().to_lowercase();
    [
        format!("pair:{}:{address}", sha256_hex(account.as_bytes())),
        format!("address:{address}"),
    ]
}

/// The memcached key of one local key (hashed: an email may hold bytes memcached refuses in
/// a key, and need not be stored there in the clear).
fn shared_key(local: &str) -> String {
    format!("conduit:login:v2:{}", sha256_hex(local.as_bytes()))
}

fn whole_seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// This process's counts: a sliding window per key.
#[derive(Debug)]
struct LocalCounts {
    max_pair: usize,
    max_address: usize,
    window: Duration,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LocalCounts {
    /// Checks both limits and, when neither is reached, counts the attempt: one step under
    /// the lock. `Err(seconds to wait)` otherwise.
    fn attempt(&self, keys: &[String; 2]) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            // Bound the memory an attacker can make us hold: drop what has expired.
            let window = self.window;
            map.retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let mut wait = None;
        for (key, max) in keys.iter().zip([self.max_pair, self.max_address]) {
            if let Some(times) = map.get_mut(key) {
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
        if let Some(wait) = wait {
            return Err(wait);
        }
        for key in keys {
            map.entry(key.clone()).or_default().push_back(now);
        }
        Ok(())
    }

    /// A successful attempt: the pair is cleared, the address's last attempt taken back.
    fn succeeded(&self, keys: &[String; 2]) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&keys[0]);
        if let Some(times) = map.get_mut(&keys[1]) {
            times.pop_back();
            if times.is_empty() {
                map.remove(&keys[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_pair_is_limited_then_freed_by_success_or_time() {
        let limiter = LoginLimiter::new(2, Duration::from_millis(300), None);
        assert!(limiter.attempt("a@x", "1.1.1.1").await.is_ok());
        assert!(limiter.attempt("A@X ", "1.1.1.1").await.is_ok());
        assert_eq!(limiter.attempt("a@x", "1.1.1.1").await, Err(1));
        // The owner elsewhere is not locked out by the guesser at 1.1.1.1.
        assert!(limiter.attempt("a@x", "2.2.2.2").await.is_ok());
        limiter.succeeded("a@x", "2.2.2.2").await;
        assert!(
            limiter.attempt("b@x", "1.1.1.1").await.is_ok(),
            "another account from the address"
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(limiter.attempt("a@x", "1.1.1.1").await.is_ok());
        limiter.succeeded("a@x", "1.1.1.1").await;
        assert!(limiter.attempt("a@x", "1.1.1.1").await.is_ok());
        assert!(limiter.attempt("a@x", "1.1.1.1").await.is_ok());
    }

    #[actix_web::test]
    async fn one_address_guessing_many_accounts_is_limited() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60), None);
        for i in 0..8 {
            assert!(
                limiter
                    .attempt(&format!("user{i}@x"), "6.6.6.6")
                    .await
                    .is_ok()
            );
        }
        assert!(limiter.attempt("fresh@x", "6.6.6.6").await.is_err());
        assert!(limiter.attempt("fresh@x", "7.7.7.7").await.is_ok());
    }

    /// Makes `n` attempts at once on one account from one address, spread over `limiters`;
    /// how many were let through.
    async fn passed_in_parallel(limiters: &[Arc<LoginLimiter>], n: usize) -> usize {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let limiter = limiters[i % limiters.len()].clone();
                actix_web::rt::spawn(
                    async move { limiter.attempt("target@x", "9.9.9.9").await.is_ok() },
                )
            })
            .collect();
        let mut passed = 0;
        for t in tasks {
            passed += usize::from(t.await.unwrap());
        }
        passed
    }

    #[actix_web::test]
    async fn parallel_attempts_never_pass_the_limit() {
        let limiter = Arc::new(LoginLimiter::new(5, Duration::from_secs(60), None));
        assert_eq!(passed_in_parallel(&[limiter], 60).await, 5);
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
    async fn attempts_on_every_instance_count_toward_one_limit() {
        let Some((_server, a, b)) = two_instances(2, Duration::from_secs(60)) else {
            return;
        };
        assert!(a.attempt("shared@x", "1.1.1.1").await.is_ok());
        assert!(b.attempt("shared@x", "1.1.1.1").await.is_ok());
        // Each instance has seen one attempt; together they are at the limit.
        for limiter in [&a, &b] {
            let wait = limiter.attempt("SHARED@x", "1.1.1.1").await.unwrap_err();
            assert!((55..=60).contains(&wait), "Retry-After {wait}");
        }
        assert!(
            a.attempt("shared@x", "3.3.3.3").await.is_ok(),
            "another address"
        );
        // A success on one instance clears the pair for all.
        b.succeeded("shared@x", "3.3.3.3").await;
        a.succeeded("shared@x", "1.1.1.1").await;
        assert!(b.attempt("shared@x", "1.1.1.1").await.is_ok());
    }

    #[actix_web::test]
    async fn parallel_attempts_on_two_instances_never_pass_the_limit() {
        let Some((_server, a, b)) = two_instances(5, Duration::from_secs(60)) else {
            return;
        };
        assert_eq!(passed_in_parallel(&[Arc::new(a), Arc::new(b)], 60).await, 5);
    }

    #[actix_web::test]
    async fn one_address_is_limited_across_instances() {
        let Some((_server, a, b)) = two_instances(2, Duration::from_secs(60)) else {
            return;
        };
        for i in 0..8 {
            let limiter = if i % 2 == 0 { &a } else { &b };
            assert!(
                limiter
                    .attempt(&format!("user{i}@x"), "6.6.6.6")
                    .await
                    .is_ok()
            );
        }
        assert!(a.attempt("fresh@x", "6.6.6.6").await.is_err());
        assert!(b.attempt("fresh@x", "6.6.6.6").await.is_err());
        assert!(b.attempt("fresh@x", "7.7.7.7").await.is_ok());
    }

    #[actix_web::test]
    async fn without_memcached_the_local_limits_still_apply_without_waiting() {
        let Some((mut server, a, _b)) = two_instances(2, Duration::from_secs(60)) else {
            return;
        };
        server.kill();
        let started = Instant::now();
        assert!(a.attempt("alone@x", "1.1.1.1").await.is_ok());
        assert!(a.attempt("alone@x", "1.1.1.1").await.is_ok());
        assert!(a.attempt("alone@x", "1.1.1.1").await.is_err());
        assert!(a.attempt("other@x", "1.1.1.1").await.is_ok());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
