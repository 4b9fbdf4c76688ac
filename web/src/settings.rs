//! The web tier's settings, read once from the environment.

use std::time::Duration;

use conduit_service::settings::{ConfigError, Source};

/// Typed settings; tests build this struct directly.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND` (default `127.0.0.1:8000`).
    pub bind: String,
    /// `EXPERIENCE_URL`: base URL of the experience tier (default `http://127.0.0.1:8002`).
    pub experience_url: String,
    /// `EXPERIENCE_TIMEOUT_MS`: whole-call timeout to experience (default 5000).
    pub experience_timeout: Duration,
    /// `COOKIE_SECURE`: mark cookies `Secure` (set when served over TLS; default false).
    pub cookie_secure: bool,
    /// `BODY_LIMIT`: largest form body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// `WORKERS`: HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
}

impl Settings {
    /// Reads the settings; the error names the variable that is wrong.
    pub fn from_source(env: &impl Source) -> Result<Self, ConfigError> {
        let workers: usize = env.parse_or("WORKERS", 0)?;
        Ok(Self {
            bind: env.string_or("BIND", "127.0.0.1:8000"),
            experience_url: env.string_or("EXPERIENCE_URL", "http://127.0.0.1:8002"),
            experience_timeout: Duration::from_millis(env.parse_or("EXPERIENCE_TIMEOUT_MS", 5000)?),
            cookie_secure: env.parse_or("COOKIE_SECURE", false)?,
            body_limit: env.parse_or("BODY_LIMIT", 1024 * 1024)?,
            workers: (workers > 0).then_some(workers),
        })
    }

    /// Defaults in front of `experience_url` (tests and the launcher).
    pub fn for_experience(experience_url: &str) -> Self {
        let mut env = std::collections::HashMap::new();
        env.insert("EXPERIENCE_URL".to_owned(), experience_url.to_owned());
        Self::from_source(&env).unwrap_or_else(|e| unreachable!("defaults are valid: {e}"))
    }
}
