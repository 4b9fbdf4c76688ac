//! `models`: the models tier's binary.
//!
//! ```text
//! models [serve]          serve the JSON API on $BIND (default 127.0.0.1:8001)
//! models migrate          apply pending migrations
//! models loaddata FILE    load a fixture file (idempotent)
//! models dumpdata         write the whole database as a fixture file to stdout
//! models healthcheck      exit 0 when the running server's /ready answers 200
//! ```

use std::io::{BufWriter, Write};
use std::net::TcpListener;
use std::process::ExitCode;

use conduit_service::lifecycle::serve_until_signalled;
use conduit_service::main_loop::shutdown_drain;
use conduit_service::settings::Env;
use models::db::{Backend, Manager};
use models::{Settings, bulk};

#[actix_web::main]
async fn main() -> ExitCode {
    if let Some(code) = conduit_service::main_loop::healthcheck_if_asked("127.0.0.1:8001") {
        return code;
    }
    conduit_service::telemetry::init("info,models=info");
    let settings = match Settings::from_source(&Env) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("models: {e}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => serve(settings).await,
        ["migrate"] => migrate(&settings).map(|names| {
            eprintln!("applied {} migration(s) {names:?}", names.len());
        }),
        ["loaddata", file] => loaddata(&settings, file),
        ["dumpdata"] => dumpdata(&settings),
        _ => {
            eprintln!("usage: models [serve | migrate | loaddata FILE | dumpdata | healthcheck]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("models: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    // The embedded SQLite database belongs to this process alone, so it migrates itself;
    // PostgreSQL is shared by many instances and is migrated once by `models migrate`.
    if Backend::of(settings.database_url.expose()) == Backend::Sqlite {
        migrate(&settings)?;
    }
    let drain = shutdown_drain(&Env).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(&settings.bind)
        .map_err(|e| format!("cannot bind {}: {e}", settings.bind))?;
    tracing::info!(bind = %settings.bind, "models listening");
    let server = models::run(listener, &settings).map_err(|e| e.to_string())?;
    serve_until_signalled(vec![server], drain)
        .await
        .map_err(|e| e.to_string())
}

fn connect(settings: &Settings) -> Result<models::DbConnection, String> {
    Manager::new(settings.database_url.expose())
        .establish()
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

fn migrate(settings: &Settings) -> Result<Vec<String>, String> {
    let mut conn = connect(settings)?;
    models::db::migrate(&mut conn)
}

fn loaddata(settings: &Settings, file: &str) -> Result<(), String> {
    let text = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let data: conduit_dataset::Dataset =
        serde_json::from_slice(&text).map_err(|e| format!("{file} is not a fixture file: {e}"))?;
    drop(text);
    let mut conn = connect(settings)?;
    let report = bulk::load(&mut conn, &data).map_err(|e| e.to_string())?;
    eprintln!("{file}: {report}");
    Ok(())
}

fn dumpdata(settings: &Settings) -> Result<(), String> {
    let mut conn = connect(settings)?;
    let data = bulk::dump(&mut conn).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    serde_json::to_writer_pretty(&mut out, &data).map_err(|e| e.to_string())?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())
}
