//! The `main` of a serving tier: settings, bind, serve until stopped, one clear line on error.

use std::net::TcpListener;
use std::process::ExitCode;

use actix_web::dev::Server;

use crate::settings::ConfigError;

/// Reads the settings (a bad one exits with code 2 and one line), binds `bind(&settings)`, and
/// serves `run(listener, &settings)` until SIGTERM/SIGINT have drained it.
pub async fn serve<S>(
    name: &str,
    settings: Result<S, ConfigError>,
    bind: impl FnOnce(&S) -> String,
    run: impl FnOnce(TcpListener, &S) -> std::io::Result<Server>,
) -> ExitCode {
    let settings = match settings {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = bind(&settings);
    let listener = match TcpListener::bind(&addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{name}: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(%addr, "{name} listening");
    match run(listener, &settings) {
        Ok(server) => match server.await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{name}: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}
