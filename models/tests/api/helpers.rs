//! `TestApp`: the models service on port 0 over a fresh database holding the demo fixtures.

use std::net::TcpListener;
use std::time::Duration;

use models::Settings;
use models::db::{Database, Manager};
use reqwest::Method;
use serde_json::Value;

pub use conduit_testkit::databases::{Backend, Guard, demo};

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub db: Database,
    _guard: Option<Guard>,
}

impl TestApp {
    /// A fresh database of `backend` with the demo data; `None` when PostgreSQL is not
    /// installed and we are not in CI (the test is then skipped).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let (url, guard) = conduit_testkit::databases::fresh(backend)?;
        Some(Self::start(&url, Some(guard)))
    }

    /// The URL of a PostgreSQL app's database (for tests that need a connection of their own).
    pub fn database_url(&self) -> String {
        match &self._guard {
            Some(Guard::Postgres(db)) => db.url(),
            _ => panic!("not an app over a PostgreSQL database of its own"),
        }
    }

    /// An app whose database cannot be reached (for the 503 paths).
    pub fn spawn_unreachable() -> TestApp {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start(&format!("postgres://nobody@127.0.0.1:{port}/nothing"), None)
    }

    /// An app over `url` as it is (no migrations, no data).
    pub fn spawn_on(url: &str) -> TestApp {
        Self::start(url, None)
    }

    fn start(url: &str, guard: Option<Guard>) -> TestApp {
        let mut settings = Settings::for_database(url);
        settings.internal_credential = Some(conduit_testkit::credential());
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
            http: conduit_testkit::internal_http(),
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

/// One connection to a fresh, migrated database with the demo data (for query-level tests
/// inside a test transaction).
pub fn connection(backend: Backend) -> Option<(models::DbConnection, Guard)> {
    let (url, guard) = conduit_testkit::databases::fresh(backend)?;
    let conn = Manager::new(&url).establish().expect("connect");
    Some((conn, guard))
}
