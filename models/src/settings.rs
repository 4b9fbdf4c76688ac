//! The models tier's settings, read once from the environment.

use std::time::Duration;

use conduit_service::internal::InternalCredential;
use conduit_service::settings::{ConfigError, Secret, Source};

/// Where the embedded default keeps its database (git-ignored).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://.data/conduit.sqlite3";

/// Typed settings; tests build this struct directly.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND`: address to listen on (default `127.0.0.1:8001`).
    pub bind: String,
    /// `DATABASE_URL`: `postgres://...` or `sqlite://path` (default: a SQLite file in `.data/`),
    /// with `DATABASE_PASSWORD` (or `DATABASE_PASSWORD_FILE`, a mounted secret) put in as the
    /// password when it is set.
    pub database_url: Secret,
    /// `DATABASE_POOL_SIZE`: connections in the pool (default 10; SQLite uses at most 4).
    pub pool_size: u32,
    /// `DATABASE_TIMEOUT_MS`: how long a request waits for a connection before a 503 (default 2000).
    pub pool_timeout: Duration,
    /// `BODY_LIMIT`: largest request body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// `WORKERS`: HTTP worker threads (default: half the cores, at least one).
    pub workers: Option<usize>,
    /// `INTERNAL_CREDENTIAL` (or `_FILE`; `INTERNAL_CREDENTIAL_PREVIOUS` while rotating): what
    /// every caller but a probe must present. Required to serve; the one-shot commands
    /// (`migrate`, `loaddata`, `dumpdata`) do without.
    pub internal_credential: Option<InternalCredential>,
}

/// `url` with `password` as its password (percent-encoded), for a password kept apart from
/// the URL (a secret file). A URL that has a password already, or no user, is an error.
fn with_password(url: &str, password: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(scheme, _)| scheme.starts_with("postgres"))
        .ok_or("is set, but DATABASE_URL is not a postgres:// URL")?;
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let (user, host) = authority
        .rsplit_once('@')
        .ok_or("is set, but DATABASE_URL names no user (postgres://USER@HOST/DB)")?;
    if user.contains(':') {
        return Err("is set, but DATABASE_URL has a password already".to_owned());
    }
    let encoded: String = password
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let tail = &rest[authority.len()..];
    Ok(format!("{scheme}://{user}:{encoded}@{host}{tail}"))
}

impl Settings {
    /// Reads the settings; the error names the variable that is wrong.
    pub fn from_source(env: &impl Source) -> Result<Self, ConfigError> {
        let mut database_url = env.string_or("DATABASE_URL", DEFAULT_DATABASE_URL);
        if let Some(password) = env.get("DATABASE_PASSWORD") {
            database_url = with_password(&database_url, &password)
                .map_err(|why| ConfigError::new("DATABASE_PASSWORD", why))?;
        }
        let pool_size: u32 = env.parse_or("DATABASE_POOL_SIZE", 10)?;
        if pool_size == 0 {
            return Err(ConfigError::new("DATABASE_POOL_SIZE", "must be at least 1"));
        }
        let workers: usize = env.parse_or("WORKERS", 0)?;
        Ok(Self {
            bind: env.string_or("BIND", "127.0.0.1:8001"),
            database_url: Secret::new(database_url),
            pool_size,
            pool_timeout: Duration::from_millis(env.parse_or("DATABASE_TIMEOUT_MS", 2000)?),
            body_limit: env.parse_or("BODY_LIMIT", 1024 * 1024)?,
            workers: (workers > 0).then_some(workers),
            internal_credential: match env.get("INTERNAL_CREDENTIAL") {
                Some(_) => Some(InternalCredential::from_source(env)?),
                None => None,
            },
        })
    }

    /// Settings for a database URL with every other value at its default and a fresh random
    /// internal credential (tests and the all-in-one launcher read it from here).
    pub fn for_database(url: &str) -> Self {
        let mut s = Self::from_source(&std::collections::HashMap::new())
            .unwrap_or_else(|e| unreachable!("defaults are valid: {e}"));
        s.database_url = Secret::new(url);
        s.internal_credential = Some(InternalCredential::random());
        s
    }

    /// The internal credential, which serving requires.
    pub fn credential(&self) -> std::io::Result<InternalCredential> {
        self.internal_credential.clone().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "configuration error: INTERNAL_CREDENTIAL: is required to serve (or INTERNAL_CREDENTIAL_FILE); make one with `openssl rand -hex 32` and give the same to experience",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_source(&env)
    }

    #[test]
    fn a_separate_password_goes_into_the_url_percent_encoded() {
        let s = settings(&[
            (
                "DATABASE_URL",
                "postgres://conduit@db:5432/conduit?sslmode=disable",
            ),
            ("DATABASE_PASSWORD", "p@ss:w/rd%"),
        ])
        .unwrap();
        assert_eq!(
            s.database_url.expose(),
            "postgres://conduit:p%40ss%3Aw%2Frd%25@db:5432/conduit?sslmode=disable"
        );
    }

    #[test]
    fn a_separate_password_needs_a_postgres_url_with_a_user_and_no_password() {
        for url in [
            "sqlite://.data/x.sqlite3",
            "postgres://db/conduit",
            "postgres://u:old@db/conduit",
        ] {
            let err = settings(&[("DATABASE_URL", url), ("DATABASE_PASSWORD", "x")]).unwrap_err();
            assert_eq!(err.name, "DATABASE_PASSWORD", "{url}");
        }
        let plain = settings(&[("DATABASE_URL", "postgres://u:pw@db/conduit")]).unwrap();
        assert_eq!(plain.database_url.expose(), "postgres://u:pw@db/conduit");
    }
}
