//! `TestApp`: the models service on port 0 over a fresh database holding the demo fixtures.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use conduit_testkit::postgres;
use models::db::{Database, Manager};
use models::{Settings, fixtures};
use reqwest::Method;
use serde_json::Value;

/// The demo data every test database starts with.
pub fn demo() -> conduit_fixtures::Fixtures {
    let text = include_str!("../../../fixtures/demo.json");
    serde_json::from_str(text).expect("fixtures/demo.json is a fixture file")
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What keeps a test database alive; dropped with the app.
pub enum Guard {
    Sqlite(#[expect(dead_code, reason = "held for its Drop")] tempfile::TempDir),
    Postgres(#[expect(dead_code, reason = "held for its Drop")] postgres::Database),
    None,
}

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub db: Database,
    _guard: Guard,
}

impl TestApp {
    /// A fresh database of `backend` with the demo data; `None` when PostgreSQL is not
    /// installed and we are not in CI (the test is then skipped).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let (url, guard) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("test.sqlite3");
                std::fs::copy(sqlite_template(), &path).expect("copy template");
                (format!("sqlite://{}", path.display()), Guard::Sqlite(dir))
            }
            Backend::Postgres => {
                let template = conduit_testkit::require("PostgreSQL", pg_template())?;
                let cluster = postgres::cluster().expect("cluster is up");
                let db = cluster
                    .create_database(Some(template))
                    .expect("create test database");
                (db.url(), Guard::Postgres(db))
            }
        };
        Some(Self::start(&url, guard))
    }

    /// An app whose database cannot be reached (for the 503 paths).
    pub fn spawn_unreachable() -> TestApp {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start(
            &format!("postgres://nobody@127.0.0.1:{port}/nothing"),
            Guard::None,
        )
    }

    fn start(url: &str, guard: Guard) -> TestApp {
        let mut settings = Settings::for_database(url);
        settings.pool_size = 4;
        settings.pool_timeout = Duration::from_millis(500);
        settings.body_limit = 64 * 1024;
        settings.workers = Some(1);
        let db = Database::new(url, settings.pool_size, settings.pool_timeout);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let address = format!("http://{}", listener.local_addr().unwrap());
        let server = models::run_with_database(listener, &settings, db.clone()).expect("server");
        actix_web::rt::spawn(server);
        TestApp {
            address,
            http: reqwest::Client::new(),
            db,
            _guard: guard,
        }
    }

    /// Sends a request and returns the status and the JSON body (`Null` when empty).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.address));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body read");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str) -> (u16, Value) {
        self.call(Method::PUT, path, None).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// The id of a demo user.
    pub async fn user_id(&self, username: &str) -> i64 {
        let (status, user) = self.get(&format!("/users/by-username/{username}")).await;
        assert_eq!(status, 200, "{username} exists");
        user["id"].as_i64().unwrap()
    }

    /// Creates a user with a unique name; returns its id.
    pub async fn new_user(&self, username: &str) -> i64 {
        let (status, user) = self
            .post(
                "/users",
                serde_json::json!({
                    "username": username,
                    "email": format!("{username}@test.example"),
                    "password_hash": "$argon2id$test"
                }),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        user["id"].as_i64().unwrap()
    }

    /// Creates an article; returns its JSON.
    pub async fn new_article(&self, author_id: i64, title: &str, tags: &[&str]) -> Value {
        let (status, article) = self
            .post(
                "/articles",
                serde_json::json!({
                    "author_id": author_id,
                    "title": title,
                    "description": "A description",
                    "body": "# Body\n\nText.",
                    "tag_list": tags,
                }),
            )
            .await;
        assert_eq!(status, 201, "{article}");
        article
    }
}

/// A migrated SQLite file with the demo data, made once per test process.
fn sqlite_template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let path = dir.join("template.sqlite3");
        let mut conn = Manager::new(&format!("sqlite://{}", path.display()))
            .establish()
            .expect("open template");
        prepare(&mut conn);
        // Fold the write-ahead log into the main file so a plain copy has everything.
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;",
        )
        .expect("checkpoint");
        path
    })
}

/// A migrated PostgreSQL database with the demo data, made once per test process.
fn pg_template() -> Result<&'static str, String> {
    static TEMPLATE: OnceLock<Result<String, String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let cluster = postgres::cluster()?;
            let name = "conduit_template".to_owned();
            cluster.create_named(&name, None)?;
            let mut conn = Manager::new(&cluster.url(&name))
                .establish()
                .map_err(|e| e.to_string())?;
            prepare(&mut conn);
            Ok(name)
        })
        .as_ref()
        .map(String::as_str)
        .map_err(Clone::clone)
}

fn prepare(conn: &mut models::DbConnection) {
    models::db::migrate(conn).expect("migrations apply");
    fixtures::load(conn, &demo()).expect("demo fixtures load");
}

/// One connection to a fresh, migrated database with the demo data (for query-level tests
/// inside a test transaction).
pub fn connection(backend: Backend) -> Option<(models::DbConnection, Guard)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("q.sqlite3");
            std::fs::copy(sqlite_template(), &path).expect("copy template");
            let conn = Manager::new(&format!("sqlite://{}", path.display()))
                .establish()
                .expect("open");
            Some((conn, Guard::Sqlite(dir)))
        }
        Backend::Postgres => {
            let template = conduit_testkit::require("PostgreSQL", pg_template())?;
            let db = postgres::cluster()
                .expect("cluster")
                .create_database(Some(template))
                .expect("create");
            let conn = Manager::new(&db.url()).establish().expect("connect");
            Some((conn, Guard::Postgres(db)))
        }
    }
}

/// Generates one test per backend from one async body taking a `TestApp`: the body becomes
/// `fn name`, and `name::sqlite` / `name::postgres` are the tests.
#[macro_export]
macro_rules! app_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        async fn $name($app: $crate::helpers::TestApp) $body

        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let backend = $crate::helpers::Backend::Sqlite;
                if let Some(app) = $crate::helpers::TestApp::spawn(backend).await {
                    super::$name(app).await;
                }
            }

            #[actix_web::test]
            async fn postgres() {
                let backend = $crate::helpers::Backend::Postgres;
                if let Some(app) = $crate::helpers::TestApp::spawn(backend).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}
