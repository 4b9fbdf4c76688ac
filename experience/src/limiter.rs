//! Failed-login limits, per account and per client address, in memory.
//!
//! A sliding window: after `max` failures for an account within `window` (four times as many
//! for one address, which may be shared), further attempts get 429 with `Retry-After` until
//! the oldest failure leaves the window. A successful login clears its account, and the
//! window is short, so a real owner is never locked out for long. Each instance keeps its
//! own counts: behind a load balancer the limit is per instance, which still bounds guessing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limiter; share one per process.
#[derive(Debug)]
pub struct LoginLimiter {
    max_account: usize,
    max_address: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// `max` failures per account per `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        let max = max.max(1) as usize;
        Self {
            max_account: max,
            max_address: max * 4,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when the account or the address is over its limit.
    pub fn check(&self, account: &str, address: &str) -> Result<(), u64> {
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
                    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                    wait = Some(wait.unwrap_or(0).max(secs.max(1)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    /// Records a failed login.
    pub fn failed(&self, account: &str, address: &str) {
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
    pub fn succeeded(&self, account: &str) {
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

    #[test]
    fn the_account_is_limited_then_freed_by_success_or_time() {
        let limiter = LoginLimiter::new(2, Duration::from_millis(300));
        assert!(limiter.check("a@x", "1.1.1.1").is_ok());
        limiter.failed("a@x", "1.1.1.1");
        limiter.failed("A@X ", "1.1.1.1");
        assert_eq!(limiter.check("a@x", "2.2.2.2"), Err(1));
        assert!(
            limiter.check("b@x", "1.1.1.1").is_ok(),
            "another account from the address"
        );
        limiter.succeeded("a@x");
        assert!(limiter.check("a@x", "1.1.1.1").is_ok());
        limiter.failed("a@x", "1.1.1.1");
        limiter.failed("a@x", "1.1.1.1");
        std::thread::sleep(Duration::from_millis(350));
        assert!(limiter.check("a@x", "1.1.1.1").is_ok());
    }

    #[test]
    fn one_address_guessing_many_accounts_is_limited() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        for i in 0..8 {
            limiter.failed(&format!("user{i}@x"), "6.6.6.6");
        }
        assert!(limiter.check("fresh@x", "6.6.6.6").is_err());
        assert!(limiter.check("fresh@x", "7.7.7.7").is_ok());
    }
}
