//! `experience`: the experience tier's binary (serves on $BIND; `healthcheck` probes it).

use std::process::ExitCode;

use conduit_service::settings::Env;
use experience::Settings;

/// Experience allocates with mimalloc, which gives freed memory back to the system: with
/// glibc's malloc, the 19 MiB password-hashing blocks freed after a burst stayed in the
/// blocking threads' arenas (322 MiB after the benchmark's 20 sign-ups; 22 MiB with
/// mimalloc). The other tiers keep glibc's, smaller for them (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    if let Some(code) = conduit_service::main_loop::healthcheck_if_asked("127.0.0.1:8002") {
        return code;
    }
    conduit_service::telemetry::init("info");
    conduit_service::main_loop::serve(
        "experience",
        Settings::from_source(&Env),
        |s| s.bind.clone(),
        experience::run,
    )
    .await
}
