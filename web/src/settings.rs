//! The web tier's settings, read once from the environment.

use std::time::Duration;

use conduit_cache::CacheConfig;
use conduit_service::internal::InternalCredential;
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
    /// `TRUST_FORWARDED_FOR`: take the visitor's address from `X-Forwarded-For` (set behind
    /// a proxy that sets it; default false). It is passed on to experience.
    pub trust_forwarded_for: bool,
    /// `BODY_LIMIT`: largest form body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// `WORKERS`: HTTP worker threads (default: half the cores, at least one).
    pub workers: Option<usize>,
    /// `MEMCACHED_URL`: the whole-page cache (unset: no page cache, every page rendered).
    /// The launcher and tests put an in-process store shared with experience here.
    pub page_cache: CacheConfig,
    /// `PAGE_CACHE_TTL`: seconds a stored page lives at most (default 300). Writes make
    /// pages stale at once; the TTL bounds the life of pages nobody changes.
    pub page_cache_ttl: Duration,
    /// `INTERNAL_CREDENTIAL` (or `_FILE`; `INTERNAL_CREDENTIAL_PREVIOUS` while rotating):
    /// presented to experience; the CSRF tokens' key is derived from it. Required.
    pub internal_credential: InternalCredential,
    /// `DEMO_MODE`: the database holds the demo accounts, whose password is public; every
    /// page's footer says so (default false; the all-in-one launcher sets it).
    pub demo_mode: bool,
}

impl Settings {
    /// Reads the settings; the error names the variable that is wrong.
    pub fn from_source(env: &impl Source) -> Result<Self, ConfigError> {
        let workers: usize = env.parse_or("WORKERS", 0)?;
        Ok(Self {
            bind: env.string_or("BIND", "127.0.0.1:8000"),
            experience_url: env.string_or("EXPERIENCE_URL", "http://127.0.0.1:8002"),
            experience_timeout: Duration::from_millis(env.parse_or("EXPERIENCE_TIMEOUT_MS", 5000)?),
            cookie_secure: env.flag_or("COOKIE_SECURE", false)?,
            trust_forwarded_for: env.flag_or("TRUST_FORWARDED_FOR", false)?,
            body_limit: env.parse_or("BODY_LIMIT", 1024 * 1024)?,
            workers: (workers > 0).then_some(workers),
            page_cache: CacheConfig::from_url(env.get("MEMCACHED_URL").as_deref())
                .map_err(|e| ConfigError::new("MEMCACHED_URL", e))?,
            page_cache_ttl: match env.parse_or("PAGE_CACHE_TTL", 300u64)? {
                0 => {
                    return Err(ConfigError::new(
                        "PAGE_CACHE_TTL",
                        "must be at least 1 second",
                    ));
                }
                secs => Duration::from_secs(secs),
            },
            internal_credential: InternalCredential::from_source(env)?,
            demo_mode: env.flag_or("DEMO_MODE", false)?,
        })
    }

    /// Defaults in front of `experience_url`, presenting `credential` (experience's own):
    /// tests and the launcher.
    pub fn for_experience(experience_url: &str, credential: InternalCredential) -> Self {
        let mut env = std::collections::HashMap::new();
        env.insert("EXPERIENCE_URL".to_owned(), experience_url.to_owned());
        env.insert(
            "INTERNAL_CREDENTIAL".to_owned(),
            conduit_service::settings::Secret::random()
                .expose()
                .to_owned(),
        );
        let mut s =
            Self::from_source(&env).unwrap_or_else(|e| unreachable!("defaults are valid: {e}"));
        s.internal_credential = credential;
        s
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let credential = ("INTERNAL_CREDENTIAL", "c".repeat(32));
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([(credential.0.to_owned(), credential.1)])
            .collect()
    }

    #[test]
    fn demo_mode_reads_as_compose_writes_it() {
        assert!(
            Settings::from_source(&env(&[("DEMO_MODE", "1")]))
                .unwrap()
                .demo_mode
        );
        assert!(
            !Settings::from_source(&env(&[("DEMO_MODE", "0")]))
                .unwrap()
                .demo_mode
        );
        assert!(!Settings::from_source(&env(&[])).unwrap().demo_mode);
    }

    #[test]
    fn the_internal_credential_is_required() {
        let err = Settings::from_source(&HashMap::<String, String>::new()).unwrap_err();
        assert_eq!(err.name, "INTERNAL_CREDENTIAL");
    }

    #[test]
    fn no_memcached_url_means_no_page_cache_and_a_bad_one_is_refused() {
        let s = Settings::from_source(&env(&[])).unwrap();
        assert!(matches!(s.page_cache, CacheConfig::Disabled));
        assert_eq!(s.page_cache_ttl, Duration::from_secs(300));
        let s = Settings::from_source(&env(&[
            ("MEMCACHED_URL", "memcache://cache:11211?timeout=0.05"),
            ("PAGE_CACHE_TTL", "60"),
        ]))
        .unwrap();
        assert!(
            matches!(s.page_cache, CacheConfig::Memcached(ref c) if c.servers == ["cache:11211"])
        );
        assert_eq!(s.page_cache_ttl, Duration::from_secs(60));
        let err = Settings::from_source(&env(&[("MEMCACHED_URL", "cache:11211")])).unwrap_err();
        assert_eq!(err.name, "MEMCACHED_URL");
        let err = Settings::from_source(&env(&[("PAGE_CACHE_TTL", "0")])).unwrap_err();
        assert_eq!(err.name, "PAGE_CACHE_TTL");
    }
}
