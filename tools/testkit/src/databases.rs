//! Fresh, migrated databases holding the demo fixtures, one per test, on SQLite or on the
//! private PostgreSQL cluster. The first request of a process builds a template (migrations
//! and `fixtures/demo.json` loaded once); every test then gets a cheap copy of it.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::postgres;

/// The demo data every test database starts with.
pub fn demo() -> conduit_dataset::Dataset {
    serde_json::from_str(include_str!("../../../fixtures/demo.json"))
        .unwrap_or_else(|e| panic!("fixtures/demo.json is not a fixture file: {e}"))
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A database on the private PostgreSQL cluster.
    Postgres,
}

/// Keeps a test database alive; dropping it removes the database.
#[derive(Debug)]
pub enum Guard {
    /// The temporary directory of the SQLite file.
    Sqlite(tempfile::TempDir),
    /// The PostgreSQL database.
    Postgres(postgres::Database),
}

/// A fresh copy of the demo database: its URL and what keeps it alive. `None` when
/// PostgreSQL is wanted but missing outside CI (the test is skipped; see [`crate::require`]).
pub fn fresh(backend: Backend) -> Option<(String, Guard)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
            let path = dir.path().join("test.sqlite3");
            std::fs::copy(sqlite_template(), &path)
                .unwrap_or_else(|e| panic!("copying the SQLite template: {e}"));
            Some((format!("sqlite://{}", path.display()), Guard::Sqlite(dir)))
        }
        Backend::Postgres => {
            let template = crate::require("PostgreSQL", pg_template())?;
            let db = postgres::cluster()
                .and_then(|c| c.create_database(Some(template)))
                .unwrap_or_else(|e| panic!("creating a test database: {e}"));
            Some((db.url(), Guard::Postgres(db)))
        }
    }
}

/// Migrates the database at `url` and loads the demo data into it. A SQLite file is whole
/// once its last connection closes (the write-ahead log is folded back), so it can be copied.
fn prepare(url: &str) -> Result<(), String> {
    models::prepare_database(url, Some(&demo())).map(drop)
}

fn sqlite_template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir()
            .unwrap_or_else(|e| panic!("temp dir: {e}"))
            .keep();
        let path = dir.join("template.sqlite3");
        prepare(&format!("sqlite://{}", path.display()))
            .unwrap_or_else(|e| panic!("building the SQLite template: {e}"));
        path
    })
}

fn pg_template() -> Result<&'static str, String> {
    static TEMPLATE: OnceLock<Result<String, String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let cluster = postgres::cluster()?;
            let name = "conduit_template".to_owned();
            cluster.create_named(&name, None)?;
            prepare(&cluster.url(&name))?;
            Ok(name)
        })
        .as_ref()
        .map(String::as_str)
        .map_err(Clone::clone)
}
