//! The experience tier: business logic between the web tier and the models tier.
//!
//! Serves the public RealWorld JSON API under `/api` (shared/spec/api.md). Stateless: any
//! instance serves any request, since tokens are signed with the shared `JWT_SECRET` and
//! all data lives behind the models tier, reached only through the typed client.
//! Each `/api` read makes at most one call to models, each write at most two, plus, when the
//! caller is signed in, one primary-key read that checks the token's session (`auth`).

mod api;
mod auth;
mod convert;
pub mod docs;
mod error;
mod invalidate;
mod limiter;
mod pages;
mod passwords;
mod read_cache;
mod settings;
mod shared;
mod validate;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use conduit_cache::{CacheConfig, PageCache};
use conduit_clients::{ClientConfig, ClientError, ModelsClient};
use conduit_service::settings::Secret;
use conduit_service::{Metrics, ReadyCheck, health_routes, internal, json, request_context};
use conduit_wire::ErrorBody;

pub use error::Error;
pub use settings::Settings;

use crate::auth::Tokens;
use crate::limiter::LoginLimiter;

/// What every handler shares.
pub struct AppState {
    /// The models tier.
    pub models: ModelsClient,
    /// Token signing and checking.
    pub tokens: Tokens,
    /// Password hashing, in bounded slots.
    pub passwords: passwords::Passwords,
    trust_forwarded_for: bool,
}

impl AppState {
    /// The visitor's address: the one the web tier names (it presents the internal
    /// credential), else the proxy's last `X-Forwarded-For` hop when configured to trust it,
    /// else the peer address.
    pub fn client_address(&self, req: &HttpRequest) -> String {
        conduit_service::request::visitor_address(req, self.trust_forwarded_for)
    }
}

/// Starts the experience HTTP server on `listener`.
pub fn run(listener: TcpListener, settings: &Settings) -> std::io::Result<Server> {
    let mut client = ClientConfig::new(settings.models_url.clone())
        .with_credential(settings.internal_credential.secret());
    client.timeout = settings.models_timeout;
    let credential = web::Data::new(settings.internal_credential.clone());
    let models = ModelsClient::new(&client)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let tokens = Tokens::new(
        settings.jwt_secret.expose(),
        settings.jwt_secret_previous.as_ref().map(Secret::expose),
        settings.token_ttl,
    );
    let state = web::Data::new(AppState {
        models: models.clone(),
        tokens,
        passwords: passwords::Passwords::new(settings.hash_slots, settings.hash_queue),
        trust_forwarded_for: settings.trust_forwarded_for,
    });
    let limiter = std::sync::Arc::new(LoginLimiter::with_sign_ups(
        settings.login_max_failures,
        settings.login_window,
        settings.signup_max_per_hour,
        match &settings.page_cache {
            CacheConfig::Memcached(config) => Some(config.clone()),
            _ => None,
        },
    ));
    let metrics = web::Data::new(Metrics::new("experience"));
    // One handle bumps the generation after writes and keeps the API's anonymous reads.
    // Without memcached those are kept in this process, whose writes then bump that store.
    let store = match &settings.page_cache {
        CacheConfig::Disabled if settings.api_cache => {
            CacheConfig::InProcess(read_cache::local_store())
        }
        config => config.clone(),
    };
    let cache = PageCache::new(&store, read_cache::TTL);
    let api_cache = read_cache::Enabled(settings.api_cache);
    tracing::info!(cache = %cache.describe(), api_cache = api_cache.0, "cache: invalidation and API reads");
    metrics.add_collector(cache.metrics_collector("experience"));
    // Ready while models' address answers: models itself, or its load balancer even when
    // that says no instance is available (a pool-wide outage; see ClientError::NoInstance).
    let ready = ReadyCheck::new(move || {
        let models = models.clone();
        async move {
            match models.health(None).await {
                Ok(()) | Err(ClientError::NoInstance(_)) => Ok(()),
                Err(e) => Err(format!("models: {e}")),
            }
        }
    });
    let body_limit = settings.body_limit;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(credential.clone())
            .app_data(web::Data::new(cache.for_worker()))
            .app_data(web::Data::new(limiter.for_worker()))
            .app_data(web::Data::new(api_cache))
            .wrap(from_fn(internal::mark_internal))
            .wrap(from_fn(request_context))
            .configure(json::extractor_config(body_limit))
            .configure(health_routes(ready.clone()))
            .configure(docs::routes)
            .configure(api::routes)
            .configure(pages::routes)
            .default_service(web::to(not_found))
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

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody::new("route", "not found"))
}
