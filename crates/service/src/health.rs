//! `/health`, `/ready` and `/metrics`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::Metrics;

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>>>>;

/// What `/ready` checks: the service's dependencies answer (`Err` says which does not).
#[derive(Clone)]
pub struct ReadyCheck(Arc<dyn Fn() -> CheckFuture + Send + Sync>);

impl ReadyCheck {
    /// Wraps an async check.
    pub fn new<F, Fut>(check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + 'static,
    {
        Self(Arc::new(move || Box::pin(check())))
    }
}

impl std::fmt::Debug for ReadyCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadyCheck")
    }
}

/// Registers `/health`, `/ready` and `/metrics`. The app must hold `web::Data<Metrics>`.
pub fn health_routes(check: ReadyCheck) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(check))
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready))
            .route("/metrics", web::get().to(metrics));
    }
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn ready(check: web::Data<ReadyCheck>) -> HttpResponse {
    if crate::lifecycle::is_draining() {
        return HttpResponse::ServiceUnavailable().json(json!({"status": "draining"}));
    }
    match (check.0)().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(why) => {
            tracing::warn!(%why, "not ready");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "errors": {"dependency": [why]}}))
        }
    }
}

async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}
