//! The web tier: the Conduit site as server-rendered pages (shared/spec/pages.md).
//!
//! Talks only to the experience tier: one page endpoint call per GET page, one `/api` write
//! per form. Keeps the API token in an HttpOnly, SameSite=Lax session cookie, checks a CSRF
//! token on every POST, renders markdown safely, serves its own static files, and sends
//! security headers (a CSP with no inline script, nosniff, frame-ancestors 'none', a
//! Referrer-Policy) on every response. Caches visitors' pages whole (`cache`).

mod assets;
mod cache;
pub mod compress;
mod error;
mod forms;
mod markdown;
mod pages;
mod respond;
mod session;
pub mod settings;
mod views;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use conduit_cache::PageCache;
use conduit_clients::{ClientConfig, ClientError, ExperienceClient};
use conduit_service::{Metrics, ReadyCheck, health_routes, request_context};

pub use settings::Settings;

/// What every handler shares.
#[derive(Debug)]
pub struct WebState {
    /// The experience tier.
    pub experience: ExperienceClient,
    /// Mark cookies `Secure`.
    pub cookie_secure: bool,
    /// Take the visitor's address from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// The CSRF tokens' keys.
    pub csrf: session::CsrfKeys,
    /// Renders article bodies off the async workers.
    pub markdown: markdown::Renderer,
}

const CSP: &str = "default-src 'self'; img-src 'self' http: https:; script-src 'self'; \
                   style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

/// Starts the web HTTP server on `listener`.
pub fn run(listener: TcpListener, settings: &Settings) -> std::io::Result<Server> {
    let mut client = ClientConfig::new(settings.experience_url.clone())
        .with_credential(settings.internal_credential.secret());
    client.timeout = settings.experience_timeout;
    let experience = ExperienceClient::new(&client)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let state = web::Data::new(WebState {
        experience: experience.clone(),
        cookie_secure: settings.cookie_secure,
        trust_forwarded_for: settings.trust_forwarded_for,
        csrf: session::CsrfKeys::derive(&settings.internal_credential),
        markdown: markdown::Renderer::default(),
    });
    if settings.demo_mode {
        views::DEMO_MODE.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let metrics = web::Data::new(Metrics::new("web"));
    let cache = PageCache::new(&settings.page_cache, settings.page_cache_ttl);
    tracing::info!(cache = %cache.describe(), "page cache");
    metrics.add_collector(cache.metrics_collector("web"));
    // Ready while experience's address answers: experience itself, or its load balancer
    // even when that says no instance is available (a pool-wide outage, which this instance
    // answers with its own 503 page; see ClientError::NoInstance).
    let ready = ReadyCheck::new(move || {
        let experience = experience.clone();
        async move {
            match experience.health(None).await {
                Ok(()) | Err(ClientError::NoInstance(_)) => Ok(()),
                Err(e) => Err(format!("experience: {e}")),
            }
        }
    });
    let body_limit = settings.body_limit;
    // A query no page can read (a parameter twice) is a page like every answer.
    let query_errors = web::QueryConfig::default().error_handler(|e, _| {
        tracing::info!(error = %e, "query refused");
        error::WebError::Body(actix_web::http::StatusCode::BAD_REQUEST).into()
    });
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(query_errors.clone())
            .app_data(web::Data::new(cache.for_worker()))
            .wrap(from_fn(cache::tag_the_rest))
            .wrap(from_fn(compress::compress))
            .wrap(
                DefaultHeaders::new()
                    .add(("Content-Security-Policy", CSP))
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Referrer-Policy", "same-origin")),
            )
            .wrap(from_fn(request_context))
            .configure(health_routes(ready.clone()))
            .configure(assets::routes)
            .configure(pages::routes)
            .default_service(web::to(pages::not_found))
    })
    .on_connect(conduit_service::no_delay)
    .shutdown_timeout(conduit_service::SHUTDOWN_TIMEOUT_SECS)
    // Signals are handled by conduit_service::lifecycle (drain first, then stop).
    .disable_signals()
    .listen(listener)?;
    server = server.workers(
        settings
            .workers
            .unwrap_or_else(conduit_service::default_workers),
    );
    Ok(server.run())
}
