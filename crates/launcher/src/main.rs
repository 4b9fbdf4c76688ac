//! `cargo run`: the whole site in one process, for development and demos.
//!
//! Runs models on 127.0.0.1:8001 over a SQLite file in `.data/` (git-ignored), experience on
//! 8002 (dev mode) and web on 8000; applies migrations and loads `fixtures/demo.json` on the
//! first start (an empty database). Visitors' pages are cached in an in-process store that
//! experience invalidates (memcached instead when `MEMCACHED_URL` is set). Ctrl-C stops all
//! three gracefully. Production runs each
//! tier's own binary instead (`models`, `experience`, `web`).

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use conduit_pagecache::CacheConfig;
use conduit_service::settings::{Env, Source};
use models::db::Manager;

/// The three addresses, each overridable by the variable of the same name.
const MODELS_BIND: &str = "127.0.0.1:8001";
const EXPERIENCE_BIND: &str = "127.0.0.1:8002";
const WEB_BIND: &str = "127.0.0.1:8000";
const DATABASE_URL: &str = "sqlite://.data/conduit.sqlite3";

fn prepare_database(url: &str) -> Result<(), String> {
    let mut conn = Manager::new(url)
        .establish()
        .map_err(|e| format!("cannot open {url}: {e}"))?;
    models::db::migrate(&mut conn)?;
    if models::fixtures::is_empty(&mut conn).map_err(|e| e.to_string())? {
        let demo: conduit_fixtures::Fixtures =
            serde_json::from_str(include_str!("../../../fixtures/demo.json"))
                .map_err(|e| format!("fixtures/demo.json: {e}"))?;
        let report = models::fixtures::load(&mut conn, &demo).map_err(|e| e.to_string())?;
        tracing::info!(%report, "first start: demo data loaded (password of every demo user: conduit-demo)");
    }
    Ok(())
}

fn bind(addr: &str) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .map_err(|e| format!("cannot bind {addr}: {e} (is another copy running?)"))
}

async fn launch() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DATABASE_URL.to_owned());
    prepare_database(&url)?;

    // One page cache for the process: experience bumps the store web reads (or memcached).
    let page_cache = match Env.get("MEMCACHED_URL") {
        Some(url) => {
            CacheConfig::from_url(Some(&url)).map_err(|e| format!("MEMCACHED_URL: {e}"))?
        }
        None => CacheConfig::in_process(),
    };

    let (models_bind, experience_bind, web_bind) = (
        Env.string_or("MODELS_BIND", MODELS_BIND),
        Env.string_or("EXPERIENCE_BIND", EXPERIENCE_BIND),
        Env.string_or("WEB_BIND", WEB_BIND),
    );
    let models_settings = models::Settings::for_database(&url);
    let models = models::run(bind(&models_bind)?, &models_settings).map_err(|e| e.to_string())?;
    let mut experience_settings = experience::Settings::dev(&format!("http://{models_bind}"));
    experience_settings.page_cache = page_cache.clone();
    let experience = experience::run(bind(&experience_bind)?, &experience_settings)
        .map_err(|e| e.to_string())?;
    let mut web_settings = web::Settings::for_experience(&format!("http://{experience_bind}"));
    web_settings.page_cache = page_cache;
    let web = web::run(bind(&web_bind)?, &web_settings).map_err(|e| e.to_string())?;

    println!(
        "Conduit is running at http://{web_bind}  (API: http://{experience_bind}/api, docs: http://{experience_bind}/api/docs)"
    );
    println!("Sign in as ada@conduit.example with the password conduit-demo. Ctrl-C stops it.");
    conduit_service::lifecycle::serve_until_signalled(vec![web, experience, models], Duration::ZERO)
        .await
        .map_err(|e| e.to_string())
}

#[actix_web::main]
async fn main() -> ExitCode {
    conduit_service::telemetry::init("warn,conduit=info");
    match launch().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conduit: {e}");
            ExitCode::FAILURE
        }
    }
}
