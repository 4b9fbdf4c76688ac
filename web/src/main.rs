//! `web`: the web tier's binary (serves the site on $BIND).

use std::process::ExitCode;

use conduit_service::settings::Env;
use web::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    conduit_service::telemetry::init("info");
    conduit_service::main_loop::serve(
        "web",
        Settings::from_source(&Env),
        |s| s.bind.clone(),
        web::run,
    )
    .await
}
