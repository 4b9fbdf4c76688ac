//! Logging set-up: one global `tracing` subscriber, fed by `log` records too.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once: `RUST_LOG` if set, else `default_filter`.
///
/// Lines go to stderr with the span fields (the request id) on every line. Calling it again is
/// harmless, so tests and the all-in-one launcher can call it freely.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // `try_init` also installs the `log` bridge, so diesel, r2d2 and actix records show up.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(true)
        .try_init();
}
