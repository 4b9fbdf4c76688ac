//! `experience`: the experience tier's binary (serves on $BIND).

use std::process::ExitCode;

use conduit_service::settings::Env;
use experience::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    conduit_service::telemetry::init("info");
    conduit_service::main_loop::serve(
        "experience",
        Settings::from_source(&Env),
        |s| s.bind.clone(),
        experience::run,
    )
    .await
}
