//! The experience tier's settings, read once from the environment.

use std::time::Duration;

use conduit_pagecache::CacheConfig;
use conduit_service::settings::{ConfigError, Secret, Source};

/// The signing secret of dev mode; the service refuses it outside dev mode.
pub const DEV_JWT_SECRET: &str = "conduit-dev-secret-do-not-use-in-production";

/// Typed settings; tests build this struct directly.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND` (default `127.0.0.1:8002`).
    pub bind: String,
    /// `MODELS_URL`: base URL of the models tier (default `http://127.0.0.1:8001`).
    pub models_url: String,
    /// `MODELS_TIMEOUT_MS`: whole-call timeout to models (default 3000).
    pub models_timeout: Duration,
    /// `JWT_SECRET`: HMAC key of the tokens; required unless `CONDUIT_DEV=1`.
    pub jwt_secret: Secret,
    /// `TOKEN_TTL_SECS`: token lifetime (default 7 days).
    pub token_ttl: Duration,
    /// `LOGIN_MAX_FAILURES`: failed logins allowed per account per window (default 5); a
    /// client address gets four times as many.
    pub login_max_failures: u32,
    /// `LOGIN_WINDOW_SECS`: the window of the failed-login limit (default 60).
    pub login_window: Duration,
    /// `TRUST_FORWARDED_FOR`: take the client address from `X-Forwarded-For` (set behind a
    /// proxy that sets it; default false).
    pub trust_forwarded_for: bool,
    /// `BODY_LIMIT`: largest request body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// `WORKERS`: HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// `MEMCACHED_URL`: the web tier's page cache, whose generation every write bumps
    /// (unset: no page cache). The launcher and tests put a shared in-process store here.
    pub page_cache: CacheConfig,
}

impl Settings {
    /// Reads the settings; the error names the variable that is wrong.
    pub fn from_source(env: &impl Source) -> Result<Self, ConfigError> {
        let dev = env.parse_or("CONDUIT_DEV", 0u8)? == 1;
        let jwt_secret = match env.get("JWT_SECRET") {
            Some(s) if s == DEV_JWT_SECRET && !dev => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "is the public dev secret; set a private one (or CONDUIT_DEV=1 for dev mode)",
                ));
            }
            Some(s) if s.len() < 32 => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "must be at least 32 characters",
                ));
            }
            Some(s) => s,
            None if dev => DEV_JWT_SECRET.to_owned(),
            None => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "is required (or CONDUIT_DEV=1 for dev mode with a public secret)",
                ));
            }
        };
        let workers: usize = env.parse_or("WORKERS", 0)?;
        Ok(Self {
            bind: env.string_or("BIND", "127.0.0.1:8002"),
            models_url: env.string_or("MODELS_URL", "http://127.0.0.1:8001"),
            models_timeout: Duration::from_millis(env.parse_or("MODELS_TIMEOUT_MS", 3000)?),
            jwt_secret: Secret::new(jwt_secret),
            token_ttl: Duration::from_secs(env.parse_or("TOKEN_TTL_SECS", 7 * 24 * 3600)?),
            login_max_failures: env.parse_or("LOGIN_MAX_FAILURES", 5)?,
            login_window: Duration::from_secs(env.parse_or("LOGIN_WINDOW_SECS", 60)?),
            trust_forwarded_for: env.parse_or("TRUST_FORWARDED_FOR", false)?,
            body_limit: env.parse_or("BODY_LIMIT", 1024 * 1024)?,
            workers: (workers > 0).then_some(workers),
            page_cache: CacheConfig::from_url(env.get("MEMCACHED_URL").as_deref())
                .map_err(|e| ConfigError::new("MEMCACHED_URL", e))?,
        })
    }

    /// Dev-mode settings pointing at `models_url` (tests and the all-in-one launcher).
    pub fn dev(models_url: &str) -> Self {
        let mut env = std::collections::HashMap::new();
        env.insert("CONDUIT_DEV".to_owned(), "1".to_owned());
        env.insert("MODELS_URL".to_owned(), models_url.to_owned());
        Self::from_source(&env).unwrap_or_else(|e| unreachable!("dev defaults are valid: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_secret_is_required_outside_dev_mode() {
        let err = Settings::from_source(&env(&[])).unwrap_err();
        assert_eq!(err.name, "JWT_SECRET");
        let err = Settings::from_source(&env(&[("JWT_SECRET", DEV_JWT_SECRET)])).unwrap_err();
        assert!(err.reason.contains("public dev secret"));
        let err = Settings::from_source(&env(&[("JWT_SECRET", "short")])).unwrap_err();
        assert!(err.reason.contains("32"));
        let ok = Settings::from_source(&env(&[("JWT_SECRET", &"k".repeat(40))])).unwrap();
        assert_eq!(ok.jwt_secret.expose(), "k".repeat(40));
        let dev = Settings::from_source(&env(&[("CONDUIT_DEV", "1")])).unwrap();
        assert_eq!(dev.jwt_secret.expose(), DEV_JWT_SECRET);
    }
}
