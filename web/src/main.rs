//! `web`: the web tier's binary (serves the site on $BIND; `healthcheck` probes it).

use std::process::ExitCode;

use conduit_service::settings::Env;
use web::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    if let Some(code) = conduit_service::main_loop::healthcheck_if_asked("127.0.0.1:8000") {
        return code;
    }
    conduit_service::telemetry::init("info");
    conduit_service::main_loop::serve(
        "web",
        Settings::from_source(&Env),
        |s| s.bind.clone(),
        web::run,
    )
    .await
}
