//! The site driven through a real headless Chromium: every flow a user has, as a user does
//! it (typing, clicking, pressing Enter), on the HAProxy stack when it can start here.
//! Each scenario has its own browser profile and its own users.

mod articles;
mod auth;
mod expected;
mod safety;
mod social;

use std::sync::atomic::{AtomicU32, Ordering};

/// A user name no other scenario (or earlier run) has: `<prefix>_<pid><n>`.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    format!("{prefix}_{t}{n}")
}

/// Defines browser scenarios: `async fn name(browser) { ... }` becomes a test that runs the
/// body in a fresh browser with JavaScript on (or off, with `#[no_javascript]`).
#[macro_export]
macro_rules! scenarios {
    ($($(#[$flag:ident])? async fn $name:ident($b:ident) $body:block)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let javascript = !matches!(stringify!($($flag)?), "no_javascript");
            conduit_browser::scenario(stringify!($name), javascript, |$b| async move $body).await;
        }
    )*};
}
