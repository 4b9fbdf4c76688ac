//! The experience tier's settings, read once from the environment.

use std::time::Duration;

use conduit_cache::CacheConfig;
use conduit_service::internal::InternalCredential;
use conduit_service::settings::{ConfigError, Secret, Source, optional_secret, required_secret};

/// Typed settings; tests build this struct directly.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND` (default `127.0.0.1:8002`).
    pub bind: String,
    /// `MODELS_URL`: base URL of the models tier (default `http://127.0.0.1:8001`).
    pub models_url: String,
    /// `MODELS_TIMEOUT_MS`: whole-call timeout to models (default 3000).
    pub models_timeout: Duration,
    /// `JWT_SECRET` (or `_FILE`): HMAC key of the tokens, at least 32 characters; required.
    pub jwt_secret: Secret,
    /// `JWT_SECRET_PREVIOUS`: a key still accepted (never used to sign) while a rotation
    /// rolls out; see README, "Security".
    pub jwt_secret_previous: Option<Secret>,
    /// `INTERNAL_CREDENTIAL` (or `_FILE`; `INTERNAL_CREDENTIAL_PREVIOUS` while rotating):
    /// presented to models, and required of callers of the page endpoints and of a caller
    /// that names a visitor's address; required.
    pub internal_credential: InternalCredential,
    /// `TOKEN_TTL_SECS`: token lifetime (default 7 days).
    pub token_ttl: Duration,
    /// `LOGIN_MAX_FAILURES`: failed logins allowed per account per window (default 5); a
    /// client address gets four times as many.
    pub login_max_failures: u32,
    /// `LOGIN_WINDOW_SECS`: the window of the failed-login limit (default 60).
    pub login_window: Duration,
    /// `SIGNUP_MAX_PER_HOUR`: accounts one client address may make per hour (default 20).
    pub signup_max_per_hour: u32,
    /// `HASH_SLOTS`: password hashes computed at once, 19 MiB each (default: one per core).
    pub hash_slots: usize,
    /// `HASH_QUEUE`: sign-ins and sign-ups that may wait for a hashing slot; beyond them the
    /// answer is 503 with `Retry-After` (default 8).
    pub hash_queue: usize,
    /// `TRUST_FORWARDED_FOR`: take the client address from `X-Forwarded-For` (set behind a
    /// proxy that sets it; default false).
    pub trust_forwarded_for: bool,
    /// `BODY_LIMIT`: largest request body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// `WORKERS`: HTTP worker threads (default: half the cores, at least one).
    pub workers: Option<usize>,
    /// `MEMCACHED_URL`: the web tier's page cache, whose generation every write bumps
    /// (unset: no page cache). The launcher and tests put a shared in-process store here.
    pub page_cache: CacheConfig,
    /// `API_CACHE`: keep anonymous `GET /api` answers (default on; `off` to measure without).
    /// Stored where the page cache is, or in this process when there is no `MEMCACHED_URL`.
    pub api_cache: bool,
}

impl Settings {
    /// Reads the settings; the error names the variable that is wrong.
    pub fn from_source(env: &impl Source) -> Result<Self, ConfigError> {
        let workers: usize = env.parse_or("WORKERS", 0)?;
        Ok(Self {
            bind: env.string_or("BIND", "127.0.0.1:8002"),
            models_url: env.string_or("MODELS_URL", "http://127.0.0.1:8001"),
            models_timeout: Duration::from_millis(env.parse_or("MODELS_TIMEOUT_MS", 3000)?),
            jwt_secret: required_secret(env, "JWT_SECRET")?,
            jwt_secret_previous: optional_secret(env, "JWT_SECRET_PREVIOUS")?,
            internal_credential: InternalCredential::from_source(env)?,
            token_ttl: Duration::from_secs(env.parse_or("TOKEN_TTL_SECS", 7 * 24 * 3600)?),
            login_max_failures: env.parse_or("LOGIN_MAX_FAILURES", 5)?,
            login_window: Duration::from_secs(env.parse_or("LOGIN_WINDOW_SECS", 60)?),
            signup_max_per_hour: env.parse_or("SIGNUP_MAX_PER_HOUR", 20)?,
            hash_slots: match env.parse_or("HASH_SLOTS", 0)? {
                0 => std::thread::available_parallelism().map_or(2, usize::from),
                n => n,
            },
            hash_queue: env.parse_or("HASH_QUEUE", 8)?,
            trust_forwarded_for: env.flag_or("TRUST_FORWARDED_FOR", false)?,
            body_limit: env.parse_or("BODY_LIMIT", 1024 * 1024)?,
            workers: (workers > 0).then_some(workers),
            page_cache: CacheConfig::from_url(env.get("MEMCACHED_URL").as_deref())
                .map_err(|e| ConfigError::new("MEMCACHED_URL", e))?,
            api_cache: env.flag_or("API_CACHE", true)?,
        })
    }

    /// Settings for the models tier at `models_url`, presenting `credential` (models' own),
    /// with a fresh random signing key and every other value at its default: tests and the
    /// all-in-one launcher. No key is ever built in.
    pub fn for_models(models_url: &str, credential: InternalCredential) -> Self {
        let mut env = std::collections::HashMap::new();
        env.insert("MODELS_URL".to_owned(), models_url.to_owned());
        env.insert(
            "JWT_SECRET".to_owned(),
            Secret::random().expose().to_owned(),
        );
        env.insert(
            "INTERNAL_CREDENTIAL".to_owned(),
            Secret::random().expose().to_owned(),
        );
        let mut s =
            Self::from_source(&env).unwrap_or_else(|e| unreachable!("the defaults are valid: {e}"));
        s.internal_credential = credential;
        s
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
    fn the_secrets_are_required_and_long() {
        let credential = "c".repeat(32);
        let err = Settings::from_source(&env(&[("INTERNAL_CREDENTIAL", &credential)])).unwrap_err();
        assert_eq!(err.name, "JWT_SECRET");
        let err = Settings::from_source(&env(&[
            ("JWT_SECRET", "short"),
            ("INTERNAL_CREDENTIAL", &credential),
        ]))
        .unwrap_err();
        assert!(err.reason.contains("32"));
        let err = Settings::from_source(&env(&[("JWT_SECRET", &"k".repeat(40))])).unwrap_err();
        assert_eq!(err.name, "INTERNAL_CREDENTIAL");
        let ok = Settings::from_source(&env(&[
            ("JWT_SECRET", &"k".repeat(40)),
            ("INTERNAL_CREDENTIAL", &credential),
        ]))
        .unwrap();
        assert_eq!(ok.jwt_secret.expose(), "k".repeat(40));
        assert!(ok.internal_credential.accepts(credential.as_bytes()));
        let a = Settings::for_models("http://m", InternalCredential::random());
        let b = Settings::for_models("http://m", InternalCredential::random());
        assert_ne!(a.jwt_secret, b.jwt_secret, "no built-in key");
    }
}
