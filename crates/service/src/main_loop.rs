//! The `main` of a serving tier: settings, bind, serve until stopped, one clear line on error.

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use actix_web::dev::Server;

use crate::lifecycle::serve_until_signalled;
use crate::settings::{ConfigError, Env, Source};

/// `SHUTDOWN_DRAIN_MS`: how long a stopping service keeps serving with `/ready` at 503, so a
/// load balancer takes it out first (set it above the balancer's check interval x fall).
pub fn shutdown_drain(env: &impl Source) -> Result<Duration, ConfigError> {
    Ok(Duration::from_millis(env.parse_or("SHUTDOWN_DRAIN_MS", 0)?))
}

/// Reads the settings (a bad one exits with code 2 and one line), binds `bind(&settings)`, and
/// serves `run(listener, &settings)` until SIGTERM/SIGINT have drained it (see
/// [`lifecycle`](crate::lifecycle); `SHUTDOWN_DRAIN_MS`, default 0, is read here).
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
    let drain = match shutdown_drain(&Env) {
        Ok(d) => d,
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
        Ok(server) => match serve_until_signalled(vec![server], drain).await {
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
