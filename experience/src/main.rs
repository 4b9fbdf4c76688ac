//! `experience`: the experience tier's binary (`experience` serves on $BIND).

use std::net::TcpListener;
use std::process::ExitCode;

use conduit_service::settings::Env;
use experience::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    conduit_service::telemetry::init("info");
    let settings = match Settings::from_source(&Env) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("experience: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&settings.bind) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("experience: cannot bind {}: {e}", settings.bind);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(bind = %settings.bind, models = %settings.models_url, "experience listening");
    let result = match experience::run(listener, &settings) {
        Ok(server) => server.await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("experience: {e}");
            ExitCode::FAILURE
        }
    }
}
