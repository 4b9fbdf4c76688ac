//! `TestApp`: experience on port 0 in front of a real models service on port 0, over a fresh
//! database holding the demo fixtures.

use std::net::TcpListener;
use std::time::Duration;

use conduit_testkit::databases::{self, Backend, Guard};
use reqwest::Method;
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub models_address: String,
    /// A public client (no internal credential).
    pub http: reqwest::Client,
    /// A client that presents the internal credential, as the web tier does: used for the
    /// page endpoints, which answer nobody else.
    pub internal: reqwest::Client,
    _guard: Option<Guard>,
}

/// Starts the models service over `url`; returns its base URL.
pub fn start_models(url: &str) -> String {
    let mut settings = models::Settings::for_database(url);
    settings.internal_credential = Some(conduit_testkit::credential());
    settings.pool_size = 4;
    settings.pool_timeout = Duration::from_millis(1000);
    settings.workers = Some(1);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    actix_web::rt::spawn(models::run(listener, &settings).unwrap());
    address
}

/// Starts an experience instance in front of `models_url`; returns its base URL.
pub fn start_experience(settings: &experience::Settings) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    actix_web::rt::spawn(experience::run(listener, settings).unwrap());
    address
}

pub fn settings(models_url: &str) -> experience::Settings {
    let mut s = experience::Settings::for_models(models_url, conduit_testkit::credential());
    s.workers = Some(1);
    // Above the largest article body (64 KiB), below the oversized-body test's 100 KiB.
    s.body_limit = 80 * 1024;
    // Every test user signs up from 127.0.0.1; `users.rs` tests the limit on its own app.
    s.signup_max_per_hour = 1_000_000;
    s.models_timeout = Duration::from_millis(1500);
    s
}

/// Models over a fresh SQLite database, and experience settings for it whose page cache,
/// API read cache and limits live in a private memcached: start as many instances as a test
/// needs. `None` when memcached is missing outside CI (the test is then skipped).
pub struct SharedMemcached {
    pub models: String,
    pub settings: experience::Settings,
    _memcached: conduit_testkit::memcached::Memcached,
    _guard: Guard,
}

impl SharedMemcached {
    pub fn start() -> Option<SharedMemcached> {
        let memcached =
            conduit_testkit::require("memcached", conduit_testkit::memcached::Memcached::start())?;
        let (url, guard) = databases::fresh(Backend::Sqlite).unwrap();
        let models = start_models(&url);
        let mut settings = settings(&models);
        settings.page_cache = conduit_cache::CacheConfig::Memcached(
            conduit_cache::MemcachedConfig::parse(&memcached.url()).unwrap(),
        );
        Some(SharedMemcached {
            models,
            settings,
            _memcached: memcached,
            _guard: guard,
        })
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let (url, guard) = databases::fresh(backend)?;
        let models_address = start_models(&url);
        let settings = settings(&models_address);
        Some(Self::with(models_address, settings, Some(guard)))
    }

    /// Experience in front of `models_address` (which may be anything, for fault tests).
    pub fn with(
        models_address: String,
        settings: experience::Settings,
        guard: Option<Guard>,
    ) -> TestApp {
        let address = start_experience(&settings);
        TestApp {
            address,
            models_address,
            http: reqwest::Client::new(),
            internal: conduit_testkit::internal_http(),
            _guard: guard,
        }
    }

    /// Sends a request; returns the status and the JSON body (`Null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let client = if path.starts_with("/pages/") {
            &self.internal
        } else {
            &self.http
        };
        let mut req = client.request(method, format!("{}{path}", self.address));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Token {t}"));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let ctype = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = res.text().await.unwrap();
        if text.is_empty() {
            return (status, Value::Null);
        }
        assert_eq!(
            ctype.as_deref(),
            Some("application/json; charset=utf-8"),
            "{path}: {text}"
        );
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        )
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Registers `name` (password `password-<name>`); returns the token.
    pub async fn register(&self, name: &str) -> String {
        let (status, body) = self
            .post(
                "/api/users",
                None,
                json!({"user": {"username": name, "email": format!("{name}@test.example"), "password": format!("password-{name}")}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["user"]["token"].as_str().unwrap().to_owned()
    }

    /// Logs a demo user in (password `conduit-demo`); returns the token.
    pub async fn login_demo(&self, name: &str) -> String {
        let (status, body) = self
            .post(
                "/api/users/login",
                None,
                json!({"user": {"email": format!("{name}@conduit.example"), "password": "conduit-demo"}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["user"]["token"].as_str().unwrap().to_owned()
    }

    /// Publishes an article; returns it.
    pub async fn publish(&self, token: &str, title: &str, tags: &[&str]) -> Value {
        let (status, body) = self
            .post(
                "/api/articles",
                Some(token),
                json!({"article": {"title": title, "description": "About it", "body": "Some *markdown*", "tagList": tags}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["article"].clone()
    }

    /// Requests answered so far by the models service (its own counter, /metrics excluded).
    pub async fn models_calls(&self) -> u64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.models_address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| l.starts_with("http_requests_total{") && !l.contains("route=\"/metrics\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

/// Sends every request at once; their statuses, in order.
pub async fn statuses_in_parallel(
    requests: impl IntoIterator<Item = reqwest::RequestBuilder>,
) -> Vec<u16> {
    let handles: Vec<_> = requests
        .into_iter()
        .map(|req| actix_web::rt::spawn(async move { req.send().await.unwrap().status().as_u16() }))
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap());
    }
    statuses
}
