//! Stopping without losing a request behind a load balancer.
//!
//! On SIGTERM (or SIGINT) a service first *drains*: `/ready` answers 503 while it keeps
//! serving, for `SHUTDOWN_DRAIN_MS`, so the load balancer's health check takes it out of
//! the pool before anything is refused. Then the server stops accepting, lets in-flight
//! requests finish (at most [`SHUTDOWN_TIMEOUT_SECS`](crate::SHUTDOWN_TIMEOUT_SECS)) and
//! exits. A second signal skips what is left of the drain. Servers are built with actix's
//! own signal handling off, so this is the one place that decides.
//!
//! Draining is a state of the process (every service in it is going away), hence a flag
//! here rather than in each service's state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use tokio::signal::unix::{SignalKind, signal};

static DRAINING: AtomicBool = AtomicBool::new(false);

/// True once this process has been asked to stop: `/ready` answers 503.
pub fn is_draining() -> bool {
    DRAINING.load(Ordering::Relaxed)
}

/// Serves `servers` until SIGTERM/SIGINT, then drains for `drain` and stops them gracefully.
/// Returns the first server error.
pub async fn serve_until_signalled(servers: Vec<Server>, drain: Duration) -> std::io::Result<()> {
    let handles: Vec<ServerHandle> = servers.iter().map(Server::handle).collect();
    actix_web::rt::spawn(async move {
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(t), Ok(i)) => (t, i),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot listen for signals; stop with SIGKILL");
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        DRAINING.store(true, Ordering::Relaxed);
        if !drain.is_zero() {
            tracing::info!(
                ?drain,
                "stopping: draining (/ready answers 503) before closing the listener"
            );
            tokio::select! {
                () = tokio::time::sleep(drain) => {}
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        tracing::info!("stopping: no new connections; finishing the requests in flight");
        for h in &handles {
            h.stop(true).await;
        }
    });
    // A server runs only while its future is polled: all of them at once, each on its own
    // task (awaiting them one after another would leave all but the first without workers).
    let running: Vec<_> = servers.into_iter().map(actix_web::rt::spawn).collect();
    let mut result = Ok(());
    for server in running {
        let outcome = server
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(format!("server task: {e}"))));
        if let Err(e) = outcome {
            result = result.and(Err(e));
        }
    }
    result
}
