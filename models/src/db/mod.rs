//! Database access: one diesel codebase over PostgreSQL and SQLite.
//!
//! [`DbConnection`] is diesel's multi-backend connection enum; most queries are written once
//! against it. The few statements diesel cannot express through the enum (upserts, multi-row
//! inserts) go through [`per_backend!`], which writes the query once per concrete backend.
//! The pool uses our own [`Manager`] so that a refused connection reports the real cause
//! (the derived one only says "Invalid connection url for multiconnection").

mod connection;
pub mod schema;

pub use connection::DbConnection;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The pool every request borrows a connection from.
pub type Pool = r2d2::Pool<Manager>;

/// Runs `$body` with `$c` bound to the concrete connection, once per backend, for the
/// statements diesel cannot build through [`DbConnection`], and for the hot reads: on the
/// concrete connection diesel finds a query's prepared statement by the query's type, where
/// through [`DbConnection`] it writes the SQL out again on every call to look it up (an
/// eighth of models' CPU on an article read).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Which database a `DATABASE_URL` points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite://path`, or a plain file path.
    Sqlite,
}

impl Backend {
    /// Reads the backend from a database URL.
    pub fn of(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// The r2d2 connection manager: establishes the right concrete connection, applies SQLite's
/// per-connection pragmas, and counts statements for `/metrics` and the N+1 tests.
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
    statements: Arc<AtomicU64>,
}

impl Manager {
    /// A manager for `url`.
    pub fn new(url: &str) -> Self {
        let backend = Backend::of(url);
        let url = match backend {
            Backend::Postgres => url.to_owned(),
            Backend::Sqlite => url.trim_start_matches("sqlite://").to_owned(),
        };
        Self {
            url,
            backend,
            statements: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The backend this manager connects to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Statements run so far by connections of this manager.
    pub fn statements(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.statements)
    }

    /// Opens one connection (outside any pool).
    pub fn establish(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        let mut conn = match self.backend {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // Every hot query is a cached prepared statement driven by an index range
                // with a LIMIT, so a generic plan is as good as a custom one; planning each
                // execution anew cost a third of the list endpoint's database time.
                conn.batch_execute("SET plan_cache_mode = force_generic_plan")
                    .map_err(diesel::r2d2::Error::QueryError)?;
                DbConnection::Pg(conn)
            }
            Backend::Sqlite => {
                let dir = std::path::Path::new(&self.url).parent();
                if let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        diesel::r2d2::Error::ConnectionError(ConnectionError::BadConnection(
                            format!("cannot create {}: {e}", dir.display()),
                        ))
                    })?;
                }
                let mut conn = SqliteConnection::establish(&self.url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside a writer; busy_timeout makes concurrent writers
                // wait instead of failing with "database is locked"; SQLite leaves foreign
                // keys off unless asked on every connection.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                DbConnection::Sqlite(conn)
            }
        };
        conn.set_instrumentation(Instrument {
            statements: Arc::clone(&self.statements),
            closed: false,
        });
        Ok(conn)
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    /// Diesel only reports a connection broken inside a failed transaction; one whose server
    /// went away (restarted, the database dropped, the backend terminated) would otherwise go
    /// back to the pool and fail every request that borrows it, for as long as the pool
    /// lives (checkouts are not tested, to save a round trip per request).
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
            || conn
                .instrumentation()
                .downcast_ref::<Instrument>()
                .is_some_and(|i| i.closed)
    }
}

/// Each connection's instrumentation: counts statements, and remembers that the server
/// closed the connection.
struct Instrument {
    statements: Arc<AtomicU64>,
    closed: bool,
}

impl Instrumentation for Instrument {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                self.statements.fetch_add(1, Ordering::Relaxed);
            }
            InstrumentationEvent::FinishQuery {
                error:
                    Some(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::ClosedConnection
                        | diesel::result::DatabaseErrorKind::UnableToSendCommand,
                        _,
                    )),
                ..
            } => self.closed = true,
            _ => {}
        }
    }
}

/// A pool and what is known about it.
#[derive(Clone)]
pub struct Database {
    /// The connections.
    pub pool: Pool,
    /// Statements run so far by the pool's connections.
    pub statements: Arc<AtomicU64>,
    /// Which database it is.
    pub backend: Backend,
    /// How long a request waits for a connection (`DATABASE_TIMEOUT_MS`), counted from when
    /// it asks, a wait for a blocking thread included.
    pub timeout: Duration,
}

impl Database {
    /// Builds the pool without connecting yet: the service starts even while the database is
    /// down, answers 503 meanwhile (`/ready` says why), and recovers by itself.
    pub fn new(url: &str, size: u32, timeout: Duration) -> Self {
        let manager = Manager::new(url);
        let statements = manager.statements();
        let backend = manager.backend();
        // SQLite allows one writer at a time; a small pool avoids piling up busy waits.
        let size = match backend {
            Backend::Postgres => size,
            Backend::Sqlite => size.min(4),
        };
        let pool = r2d2::Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(1))
            .connection_timeout(timeout)
            .test_on_check_out(false)
            .build_unchecked(manager);
        Self {
            pool,
            statements,
            backend,
            timeout,
        }
    }

    /// Statements run so far.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

/// True when every migration this build knows has been applied: a replica started before
/// `models migrate` has run (a Swarm or Kubernetes deployment starts both at once) must not
/// serve queries against a missing schema.
pub fn schema_is_current(conn: &mut DbConnection) -> Result<bool, String> {
    let pending = match conn {
        DbConnection::Pg(c) => c.has_pending_migration(PG_MIGRATIONS),
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
    };
    pending.map(|p| !p).map_err(|e| e.to_string())
}

/// Applies pending migrations; returns their names.
pub fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    };
    let applied: Vec<String> = applied
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| e.to_string())?;
    for change in canonicalize_identities(conn).map_err(|e| e.to_string())? {
        tracing::warn!(target: "migrate", %change, "two accounts had one name without case");
        eprintln!("migrate: {change}");
    }
    Ok(applied)
}

/// Fills `username_canon` and `email_canon` where they are missing (rows written before the
/// migration that added them), oldest account first, in one transaction. When a name's
/// canonical form is taken by an older account, the younger one is renamed (`name-<id>`;
/// `local+duplicate-<id>@domain`) so both stay reachable; each rename is returned, to be
/// told to the operator.
pub fn canonicalize_identities(conn: &mut DbConnection) -> Result<Vec<String>, crate::Error> {
    use conduit_wire::identity::{canonical_email, canonical_username};
    use diesel::prelude::*;
    use schema::users;

    conn.transaction(|conn| {
        let pending: Vec<(i64, String, String)> = users::table
            .filter(users::username_canon.is_null().or(users::email_canon.is_null()))
            .order(users::id)
            .select((users::id, users::username, users::email))
            .load(conn)?;
        let mut changes = Vec::new();
        for (id, mut username, mut email) in pending {
            let taken_name = |conn: &mut DbConnection, canon: &str| {
                users::table
                    .filter(users::username_canon.eq(canon))
                    .select(users::id)
                    .first::<i64>(conn)
                    .optional()
            };
            if taken_name(conn, &canonical_username(&username))?.is_some() {
                let renamed = format!("{username}-{id}");
                changes.push(format!(
                    "user {id}: username {username:?} is taken without case by an older account; renamed {renamed:?}"
                ));
                username = renamed;
            }
            let taken_email = |conn: &mut DbConnection, canon: &str| {
                users::table
                    .filter(users::email_canon.eq(canon))
                    .select(users::id)
                    .first::<i64>(conn)
                    .optional()
            };
            if taken_email(conn, &canonical_email(&email))?.is_some() {
                let renamed = match email.rsplit_once('@') {
                    Some((local, domain)) => format!("{local}+duplicate-{id}@{domain}"),
                    None => format!("{email}+duplicate-{id}"),
                };
                changes.push(format!(
                    "user {id}: email {email:?} is taken without case by an older account; changed to {renamed:?} (it signs in with that now)"
                ));
                email = renamed;
            }
            diesel::update(users::table.filter(users::id.eq(id)))
                .set((
                    users::username.eq(&username),
                    users::email.eq(&email),
                    users::username_canon.eq(canonical_username(&username)),
                    users::email_canon.eq(canonical_email(&email)),
                ))
                .execute(conn)?;
        }
        Ok(changes)
    })
}
