//! Faults between the tiers, and more than one experience instance.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use conduit_testkit::databases::{self, Backend};
use serde_json::json;

use crate::helpers::{TestApp, settings, start_experience, start_models};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[actix_web::test]
async fn models_down_gives_503_json_and_service_resumes_when_it_is_back() {
    let port = free_port();
    let models_url = format!("http://127.0.0.1:{port}");
    let app = TestApp::with(models_url.clone(), settings(&models_url), None);
    let (status, body) = app.get("/api/articles", None).await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"errors": {"service": ["is unavailable, try again shortly"]}})
        )
    );
    assert_eq!(app.get("/ready", None).await.0, 503);
    assert_eq!(app.get("/health", None).await.0, 200);

    // Bring models up on that very port: the next request succeeds, no restart needed.
    let (url, _guard) = databases::fresh(Backend::Sqlite).unwrap();
    let mut s = models::Settings::for_database(&url);
    s.internal_credential = Some(conduit_testkit::credential());
    s.workers = Some(1);
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    actix_web::rt::spawn(models::run(listener, &s).unwrap());
    let (status, body) = app.get("/api/articles?limit=1", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get("/ready", None).await.0, 200);
}

#[actix_web::test]
async fn a_balancer_with_no_models_left_gives_503_json_and_the_instance_stays_ready() {
    // HAProxy's own answer when every models instance is out of its pool (PostgreSQL down
    // takes them all out): experience must stay in its own pool and answer its JSON 503, or
    // the outage cascades and clients get the balancer's bare HTML instead.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let balancer = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::ServiceUnavailable()
                .content_type("text/html")
                .body("<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n")
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    let app = TestApp::with(balancer.clone(), settings(&balancer), None);
    let (status, body) = app.get("/api/articles", None).await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"errors": {"service": ["is unavailable, try again shortly"]}})
        )
    );
    assert_eq!(app.get("/ready", None).await.0, 200);
}

#[actix_web::test]
async fn models_too_slow_gives_504_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let models_url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            HttpResponse::Ok().json(json!({"tags": []}))
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    let mut s = settings(&models_url);
    s.models_timeout = Duration::from_millis(300);
    let app = TestApp::with(models_url, s, None);
    let started = Instant::now();
    let (status, body) = app.get("/api/tags", None).await;
    assert_eq!(
        (status, body),
        (
            504,
            json!({"errors": {"service": ["timed out, try again shortly"]}})
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn a_second_instance_accepts_tokens_issued_by_the_first() {
    let (url, _guard) = databases::fresh(Backend::Sqlite).unwrap();
    let models_url = start_models(&url);
    let first_settings = settings(&models_url);
    let mut second_settings = settings(&models_url);
    second_settings.jwt_secret = first_settings.jwt_secret.clone();
    let first = TestApp::with(models_url.clone(), first_settings, None);
    let second = start_experience(&second_settings);
    let token = first.register("roamer").await;
    let res = first
        .http
        .get(format!("{second}/api/user"))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["user"]["username"], "roamer");

    // A different secret is a different deployment: its tokens are refused.
    let mut other = settings(&models_url);
    other.jwt_secret = conduit_service::settings::Secret::new("another-secret-another-secret-0123");
    let third = start_experience(&other);
    let res = first
        .http
        .get(format!("{third}/api/user"))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
}
