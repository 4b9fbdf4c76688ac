//! A private PostgreSQL cluster per test process, and a fresh database per test.
//!
//! The cluster is made in a temporary directory as the local stack makes its own
//! (`conduit_servers::postgres`), listens on 127.0.0.1 on a free port, runs with durability
//! off (it is thrown away), and is stopped and deleted by a watchdog when the test process
//! exits.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use conduit_servers::procs::free_port;
use conduit_servers::{postgres, spawn_server};

/// A running throwaway cluster.
#[derive(Debug)]
pub struct Cluster {
    port: u16,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The process's cluster, started on first use; `Err` says why there is none.
pub fn cluster() -> Result<&'static Cluster, String> {
    CLUSTER.get_or_init(start).as_ref().map_err(Clone::clone)
}

impl Cluster {
    /// URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// A connection to the maintenance database, for CREATE/DROP DATABASE.
    fn admin(&self) -> Result<PgConnection, String> {
        PgConnection::establish(&self.url("postgres")).map_err(|e| e.to_string())
    }

    /// Creates an empty database, or a copy of `template`.
    pub fn create_database(&'static self, template: Option<&str>) -> Result<Database, String> {
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        self.create_named(&name, template)?;
        Ok(Database {
            cluster: self,
            name,
        })
    }

    /// Creates database `name` (a copy of `template` if given); used for shared templates.
    pub fn create_named(&self, name: &str, template: Option<&str>) -> Result<(), String> {
        let sql = match template {
            Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{name}\""),
        };
        // Copies of one template cannot start while another session still holds it open;
        // retry briefly instead of failing.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.admin()?.batch_execute(&sql) {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() < deadline && e.to_string().contains("being accessed") => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(format!("{sql}: {e}")),
            }
        }
    }

    /// Drops database `name`, closing its connections.
    pub fn drop_database(&self, name: &str) -> Result<(), String> {
        self.admin()?
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .map_err(|e| e.to_string())
    }
}

/// A database that is dropped when this value is.
#[derive(Debug)]
pub struct Database {
    cluster: &'static Cluster,
    name: String,
}

impl Database {
    /// Its URL.
    pub fn url(&self) -> String {
        self.cluster.url(&self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Err(e) = self.cluster.drop_database(&self.name) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

fn start() -> Result<Cluster, String> {
    let dir = tempfile::Builder::new()
        .prefix("conduit-pg-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory: {e}"))?
        .keep();
    let made = postgres::Cluster::init(&dir)?;
    let port = free_port()?;
    let (program, args) = made.server(
        port,
        &[
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
            "max_connections=300",
            "shared_buffers=64MB",
        ],
    );
    // SIGINT is PostgreSQL's "fast shutdown".
    spawn_server(&program, &args, &log_path(&dir), "INT", &dir)?;

    let cluster = Cluster { port };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match cluster.admin() {
            Ok(_) => return Ok(cluster),
            Err(e) if Instant::now() > deadline => {
                return Err(format!(
                    "PostgreSQL did not start: {e}; see {}",
                    log_path(&dir).display()
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join("server.log")
}
