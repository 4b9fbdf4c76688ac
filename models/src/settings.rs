//! The models tier's settings, read once from the environment.

use std::time::Duration;

use conduit_service::settings::{ConfigError, Secret, Source};

/// Where the embedded default keeps its database (git-ignored).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://.data/conduit.sqlite3";

/// Typed settings; tests build this struct directly.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND`: address to listen on (default `127.0.0.1:8001`).
    pub bind: String,
    /// `DATABASE_URL`: `postgres://...` or `sqlite://path` (default: a SQLite file in `.data/`).
    pub database_url: Secret,
    /// `DATABASE_POOL_SIZE`: connections in the pool (default 10; SQLite uses at most 4).
    pub pool_size: u32,
    /// `DATABASE_TIMEOUT_MS`: how long a request waits for a connection before a 503 (default 2000).
    pub pool_timeout: Duration,
    /// `BODY_LIMIT`: largest request body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// `WORKERS`: HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
}

impl Settings {
    /// Reads the settings; the error names the variable that is wrong.
    pub fn from_source(env: &impl Source) -> Result<Self, ConfigError> {
        let database_url = env.string_or("DATABASE_URL", DEFAULT_DATABASE_URL);
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
        })
    }

    /// Settings for a database URL with every other value at its default.
    pub fn for_database(url: &str) -> Self {
        let mut s = Self::from_source(&std::collections::HashMap::new())
            .unwrap_or_else(|e| unreachable!("defaults are valid: {e}"));
        s.database_url = Secret::new(url);
        s
    }
}
