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
//!
//! Sign-ups are limited per address too ([`LoginLimiter::sign_up`]; `SIGNUP_MAX_PER_HOUR`):
//! each costs a password hash and a row, and a script could otherwise make accounts without
//! end. Counted the same way, in an hour's window.
//!
//! The local counts are bounded in bytes ([`LOCAL_BUDGET_BYTES`]): keys are fixed-size
//! digests (an address or email of any length costs the same), expired entries are swept
//! once per window, and a table still full after a sweep forgets the half that was used
//! least recently (which only an attacker with thousands of addresses can cause).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use conduit_cache::{Memcached, MemcachedConfig, sha256_hex};
use sha2::{Digest, Sha256};

/// Most memory the local counts of one limit may hold, in bytes (estimated per entry).
pub const LOCAL_BUDGET_BYTES: usize = 8 * 1024 * 1024;
/// The window of the sign-up limit.
const SIGNUP_WINDOW: Duration = Duration::from_secs(3600);

/// The limiter. Make one per process with [`LoginLimiter::with_sign_ups`], then one handle per worker
/// thread with [`for_worker`](LoginLimiter::for_worker) (memcached connections belong to
/// their worker's runtime); the local counts are shared by all handles.
pub struct LoginLimiter {
    local: Arc<LocalCounts>,
    signups: Arc<LocalCounts>,
    memcached: Option<MemcachedConfig>,
    shared: Option<Memcached>,
}

impl LoginLimiter {
    /// [`with_sign_ups`](Self::with_sign_ups) with the default 20 sign-ups an hour (tests).
    #[cfg(test)]
    pub fn new(max: u32, window: Duration, memcached: Option<MemcachedConfig>) -> Self {
        Self::with_sign_ups(max, window, 20, memcached)
    }

    /// `max` attempts per (account, address) per `window`, four times as many per address,
    /// and `sign_ups` accounts made per address per hour; shared through `memcached` when
    /// given.
    pub fn with_sign_ups(
        max: u32,
        window: Duration,
        sign_ups: u32,
        memcached: Option<MemcachedConfig>,
    ) -> Self {
        let max = max.max(1) as usize;
        Self {
            local: Arc::new(LocalCounts::new([max, max * 4], window)),
            signups: Arc::new(LocalCounts::new(
                [sign_ups.max(1) as usize, usize::MAX],
                SIGNUP_WINDOW,
            )),
            shared: memcached.clone().map(Memcached::new),
            memcached,
        }
    }

    /// A handle for one worker thread: the same local counts, its own memcached connection.
    pub fn for_worker(&self) -> Self {
        Self {
            local: self.local.clone(),
            signups: self.signups.clone(),
            shared: self.memcached.clone().map(Memcached::new),
            memcached: self.memcached.clone(),
        }
    }

    /// Counts an attempt to sign in to `account` from `address`, before its password is
    /// checked; `Err(seconds to wait)` when that is over a limit (the attempt must then not
    /// be made).
    pub async fn attempt(&self, account: &str, address: &str) -> Result<(), u64> {
        self.count(&self.local, &keys(account, address)).await
    }

    /// Counts one account made from `address`; `Err(seconds to wait)` when the address has
    /// made its hour's allowance (the account must then not be made). Not taken back.
    pub async fn sign_up(&self, address: &str) -> Result<(), u64> {
        let key = format!("signup:{address}");
        self.count(&self.signups, &[key, String::new()]).await
    }

    /// Counts under `keys` (an empty key is no limit) against `counts`' maxima, in memcached
    /// when it answers, else locally.
    async fn count(&self, counts: &LocalCounts, keys: &[String; 2]) -> Result<(), u64> {
        let Some(shared) = &self.shared else {
            return counts.attempt(keys);
        };
        for (key, max) in keys.iter().zip(counts.max) {
            if key.is_empty() {
                continue;
            }
            let key = shared_key(key);
            match shared.count(&key, counts.window).await {
                Ok(count) if count > max as u64 => {
                    let left = shared
                        .ttl_left(&key)
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or(counts.window);
                    return Err(whole_seconds(left));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "shared limits unavailable; local ones apply");
                    return counts.attempt(keys);
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

/// A local key: the digest of the key, whatever its length.
type Digest32 = [u8; 32];

fn digest(key: &str) -> Digest32 {
    Sha256::digest(key.as_bytes()).into()
}

/// This process's counts: a sliding window per key, bounded in bytes.
#[derive(Debug)]
struct LocalCounts {
    /// The maxima of the first and second key of an attempt.
    max: [usize; 2],
    window: Duration,
    /// Most entries the byte budget allows.
    capacity: usize,
    table: Mutex<Table>,
}

#[derive(Debug)]
struct Table {
    attempts: HashMap<Digest32, VecDeque<Instant>>,
    next_sweep: Instant,
}

impl LocalCounts {
    fn new(max: [usize; 2], window: Duration) -> Self {
        Self {
            max,
            window,
            capacity: (LOCAL_BUDGET_BYTES / Self::entry_bytes(Self::largest(max))).max(64),
            table: Mutex::new(Table {
                attempts: HashMap::new(),
                next_sweep: Instant::now() + window,
            }),
        }
    }

    /// The longest queue an entry can hold: the larger of the limits that are set (a key
    /// without a limit is never stored).
    fn largest(max: [usize; 2]) -> usize {
        max.into_iter()
            .filter(|m| *m != usize::MAX)
            .max()
            .unwrap_or(1)
    }

    /// An entry's bytes at most: its key, the queue of up to `max` instants (a queue grows
    /// by doubling), the table's own slot and control bytes.
    fn entry_bytes(max: usize) -> usize {
        size_of::<Digest32>()
            + size_of::<VecDeque<Instant>>()
            + max
                .saturating_add(1)
                .next_power_of_two()
                .saturating_mul(size_of::<Instant>())
            + 16
    }

    /// Checks both limits and, when neither is reached, counts the attempt: one step under
    /// the lock. `Err(seconds to wait)` otherwise. An empty key is no limit.
    fn attempt(&self, keys: &[String; 2]) -> Result<(), u64> {
        let now = Instant::now();
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        self.make_room(&mut table, now);
        let keys: Vec<(Digest32, usize)> = keys
            .iter()
            .zip(self.max)
            .filter(|(key, _)| !key.is_empty())
            .map(|(key, max)| (digest(key), max))
            .collect();
        let mut wait = None;
        for (key, max) in &keys {
            if let Some(times) = table.attempts.get_mut(key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                if times.len() >= *max
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
        for (key, _) in keys {
            table.attempts.entry(key).or_default().push_back(now);
        }
        Ok(())
    }

    /// Drops expired entries once per window, and when the table is full; a table still
    /// full forgets the half used least recently.
    fn make_room(&self, table: &mut Table, now: Instant) {
        let full = table.attempts.len() + 2 > self.capacity;
        if !full && now < table.next_sweep {
            return;
        }
        let window = self.window;
        table
            .attempts
            .retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < window));
        table.next_sweep = now + window;
        if table.attempts.len() + 2 > self.capacity {
            let mut last: Vec<Instant> = table
                .attempts
                .values()
                .filter_map(|t| t.back().copied())
                .collect();
            let middle = last.len() / 2;
            let (_, median, _) = last.select_nth_unstable(middle);
            let median = *median;
            table
                .attempts
                .retain(|_, t| t.back().is_some_and(|t| *t > median));
        }
        table.attempts.shrink_to(self.capacity);
    }

    /// A successful attempt: the pair is cleared, the address's last attempt taken back.
    fn succeeded(&self, keys: &[String; 2]) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.attempts.remove(&digest(&keys[0]));
        let address = digest(&keys[1]);
        if let Some(times) = table.attempts.get_mut(&address) {
            times.pop_back();
            if times.is_empty() {
                table.attempts.remove(&address);
            }
        }
    }

    #[cfg(test)]
    fn entries(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .attempts
            .len()
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
    async fn sign_ups_are_limited_per_address() {
        let limiter = LoginLimiter::with_sign_ups(5, Duration::from_secs(60), 3, None);
        for _ in 0..3 {
            assert!(limiter.sign_up("5.5.5.5").await.is_ok());
        }
        let wait = limiter.sign_up("5.5.5.5").await.unwrap_err();
        assert!((3590..=3600).contains(&wait), "Retry-After {wait}");
        assert!(limiter.sign_up("5.5.5.6").await.is_ok());
        assert!(
            limiter.attempt("a@x", "5.5.5.5").await.is_ok(),
            "sign-in apart"
        );
    }

    #[test]
    fn local_counts_stay_within_their_byte_budget_and_drop_what_expired() {
        let counts = LocalCounts::new([5, 20], Duration::from_millis(200));
        assert!(counts.capacity * LocalCounts::entry_bytes(20) <= LOCAL_BUDGET_BYTES);
        assert!(counts.capacity > 10_000, "{}", counts.capacity);
        // Addresses of any length cost one fixed-size entry each.
        let long = "x".repeat(100);
        for i in 0..counts.capacity * 2 {
            let _ = counts.attempt(&[format!("pair:{i}:{long}"), format!("address:{i}")]);
            assert!(counts.entries() <= counts.capacity, "after {i}");
        }
        std::thread::sleep(Duration::from_millis(250));
        let _ = counts.attempt(&["pair:new".into(), "address:new".into()]);
        assert_eq!(
            counts.entries(),
            2,
            "expired entries are swept once per window"
        );
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
