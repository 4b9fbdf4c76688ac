//! `web`: the web tier's binary (serves the site on $BIND).

use std::net::TcpListener;
use std::process::ExitCode;

use conduit_service::settings::Env;
use web::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    conduit_service::telemetry::init("info");
    let settings = match Settings::from_source(&Env) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("web: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&settings.bind) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("web: cannot bind {}: {e}", settings.bind);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(bind = %settings.bind, experience = %settings.experience_url, "web listening");
    match web::run(listener, &settings) {
        Ok(server) => match server.await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("web: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("web: {e}");
            ExitCode::FAILURE
        }
    }
}
