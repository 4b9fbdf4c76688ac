//! The service basics every Conduit tier shares.
//!
//! - [`main_loop`]: the `main` of a serving tier.
//! - [`telemetry`]: structured logging (tracing, with `log` records bridged), `RUST_LOG` aware.
//! - [`request`]: the request-context middleware: `x-request-id` taken or generated, a span per
//!   request so every log line carries it, one access-log line, and metrics.
//! - [`metrics`]: Prometheus text for `/metrics`.
//! - [`health`]: `/health`, `/ready` and `/metrics` routes.
//! - [`json`]: JSON bodies for actix's extractor errors (422 / 413, never plain text).
//! - [`internal`]: the internal credential between tiers, and who may name a visitor.
//! - [`settings`]: typed environment variables with one clear line on bad input.
//!
//! - [`lifecycle`]: graceful shutdown: on SIGTERM/SIGINT, drain (`/ready` 503 for
//!   `SHUTDOWN_DRAIN_MS`), stop accepting, let in-flight requests finish within
//!   [`SHUTDOWN_TIMEOUT_SECS`].

pub mod health;
pub mod internal;
pub mod json;
pub mod lifecycle;
pub mod main_loop;
pub mod metrics;
pub mod request;
pub mod settings;
pub mod telemetry;

pub use health::{ReadyCheck, health_routes};
pub use metrics::Metrics;
pub use request::{REQUEST_ID_HEADER, RequestId, request_context};

/// Seconds a stopping server gives in-flight requests before it closes their connections.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 25;

/// HTTP worker threads when `WORKERS` is unset: half the cores, at least one. An instance of
/// a tier shares its host with others (the other tiers, PostgreSQL, HAProxy) and scales by
/// running more instances; one worker per core made the tiers' threads outnumber the cores
/// and spend their time waking each other: on 2 cores, with models, experience and
/// PostgreSQL on the same host, one worker each answered the API 8-42% faster with half the
/// p99 (docs/performance.md, "Workers").
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// For `HttpServer::on_connect`: turns Nagle's algorithm off on every accepted connection.
/// A response that leaves in more than one write (a streamed body; a body larger than the
/// socket takes at once) would otherwise have its last small write wait for the client's
/// delayed ACK (about 40 ms on Linux): found when actix's streaming `Compress` made a page
/// that takes 0.3 ms arrive after 43 ms.
pub fn no_delay(conn: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        let _ = tcp.set_nodelay(true);
    }
}
