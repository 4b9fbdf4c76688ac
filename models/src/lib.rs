//! The models tier: the only service that touches the database.
//!
//! A JSON CRUD API over users, profiles and follows, articles and tags, favorites and
//! comments, shaped for its callers (see `README.md`, "The models API"). [`run`] starts the
//! HTTP server on a listener the caller bound, so tests run it on port 0. Every route but the
//! probes requires the internal credential (`conduit_service::internal`): password hashes
//! and every user's data are here.

pub mod bulk;
pub mod db;
mod error;
mod handlers;
pub mod queries;
mod settings;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use conduit_service::{Metrics, ReadyCheck, health_routes, internal, json, request_context};

pub use db::{Database, DbConnection, Pool};
pub use error::Error;
pub use settings::Settings;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
}

impl AppState {
    /// Runs `f` with a pooled connection on actix's blocking thread pool: getting a connection
    /// and running diesel both block. The wait for a connection is bounded by
    /// `DATABASE_TIMEOUT_MS` counted from this call, the wait for a blocking thread included:
    /// with the database down and the threads busy, requests must not queue past the caller's
    /// own timeout (they answer 503 in time instead).
    pub async fn db<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
    {
        let pool = self.db.pool.clone();
        let deadline = std::time::Instant::now() + self.db.timeout;
        web::block(move || {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(Error::Unavailable(
                    "no database connection within DATABASE_TIMEOUT_MS".into(),
                ));
            }
            let mut conn = pool.get_timeout(left)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    }
}

/// What [`prepare_database`] did.
#[derive(Debug)]
pub struct Prepared {
    /// The migrations applied (none when the schema was current).
    pub migrations: Vec<String>,
    /// What was loaded, when the fixtures were given and the database had no user yet.
    pub loaded: Option<bulk::LoadReport>,
}

/// Makes the database at `url` ready to serve: the pending migrations applied, then
/// `fixtures` loaded if given and the database holds no user yet (so a second run loads
/// nothing). How the all-in-one launcher and the test kit prepare theirs; a deployment runs
/// the same steps as `models migrate` and `models loaddata FILE`.
pub fn prepare_database(
    url: &str,
    fixtures: Option<&conduit_dataset::Dataset>,
) -> Result<Prepared, String> {
    let mut conn = db::Manager::new(url)
        .establish()
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let migrations = db::migrate(&mut conn)?;
    let loaded = match fixtures {
        Some(data) if bulk::is_empty(&mut conn).map_err(|e| e.to_string())? => {
            Some(bulk::load(&mut conn, data).map_err(|e| e.to_string())?)
        }
        _ => None,
    };
    Ok(Prepared { migrations, loaded })
}

/// Starts the models HTTP server on `listener` with a pool built from `settings`.
pub fn run(listener: TcpListener, settings: &Settings) -> std::io::Result<Server> {
    let db = Database::new(
        settings.database_url.expose(),
        settings.pool_size,
        settings.pool_timeout,
    );
    run_with_database(listener, settings, db)
}

/// Starts the server on an existing database handle (tests read its statement counter).
pub fn run_with_database(
    listener: TcpListener,
    settings: &Settings,
    db: Database,
) -> std::io::Result<Server> {
    let credential = web::Data::new(settings.credential()?);
    let metrics = web::Data::new(Metrics::new("models"));
    register_db_metrics(&metrics, &db);
    let pool = db.pool.clone();
    let pool_size = pool.max_size() as usize;
    let state = web::Data::new(AppState { db });
    // Ready: the database answers and its schema is this build's (checked until it is once;
    // migrations never go back).
    let migrated = Arc::new(AtomicBool::new(false));
    let ready = ReadyCheck::new(move || {
        let (pool, migrated) = (pool.clone(), migrated.clone());
        async move {
            web::block(move || {
                let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
                diesel::connection::SimpleConnection::batch_execute(&mut *conn, "SELECT 1")
                    .map_err(|e| format!("database: {e}"))?;
                if !migrated.load(Ordering::Relaxed) {
                    if !db::schema_is_current(&mut conn).map_err(|e| format!("database: {e}"))? {
                        return Err("database schema: migrations pending (models migrate)".into());
                    }
                    migrated.store(true, Ordering::Relaxed);
                }
                Ok(())
            })
            .await
            .map_err(|e| e.to_string())?
        }
    });
    let body_limit = settings.body_limit;
    let workers = settings
        .workers
        .unwrap_or_else(conduit_service::default_workers);
    // Blocking threads beyond the pool size would only queue on the pool's lock; keeping
    // them equal to it (split across workers) halved the context switches under load.
    let blocking = pool_size.div_ceil(workers).max(1);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(credential.clone())
            .wrap(from_fn(error::write_outcome))
            // Only the probes answer a caller without the internal credential.
            .wrap(from_fn(internal::require_internal))
            .wrap(from_fn(internal::mark_internal))
            .wrap(from_fn(request_context))
            .configure(json::extractor_config(body_limit))
            .configure(health_routes(ready.clone()))
            .configure(handlers::routes)
            .default_service(web::to(handlers::not_found))
    })
    .workers(workers)
    .worker_max_blocking_threads(blocking)
    .on_connect(conduit_service::no_delay)
    .shutdown_timeout(conduit_service::SHUTDOWN_TIMEOUT_SECS)
    // Signals are handled by conduit_service::lifecycle (drain first, then stop).
    .disable_signals()
    .listen(listener)?;
    Ok(server.run())
}

fn register_db_metrics(metrics: &Metrics, db: &Database) {
    let statements: Arc<AtomicU64> = Arc::clone(&db.statements);
    let pool = db.pool.clone();
    metrics.add_collector(move |out| {
        let state = pool.state();
        let busy = state.connections - state.idle_connections;
        out.push_str("# HELP db_pool_connections Pooled database connections by state.\n");
        out.push_str("# TYPE db_pool_connections gauge\n");
        out.push_str(&format!(
            "db_pool_connections{{state=\"idle\"}} {}\ndb_pool_connections{{state=\"busy\"}} {busy}\n",
            state.idle_connections
        ));
        out.push_str("# HELP db_pool_max_connections Pool size.\n# TYPE db_pool_max_connections gauge\n");
        out.push_str(&format!("db_pool_max_connections {}\n", pool.max_size()));
        out.push_str("# HELP db_statements_total SQL statements run.\n# TYPE db_statements_total counter\n");
        out.push_str(&format!(
            "db_statements_total {}\n",
            statements.load(Ordering::Relaxed)
        ));
    });
}
