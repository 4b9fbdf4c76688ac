//! The multi-backend connection type (in its own private module: the derive generates
//! helper items that need no documentation of ours).

use diesel::{PgConnection, SqliteConnection};

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL (production).
    Pg(PgConnection),
    /// SQLite (the embedded default for `cargo run` and plain `cargo test`).
    Sqlite(SqliteConnection),
}
