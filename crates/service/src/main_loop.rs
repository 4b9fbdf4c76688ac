//! The `main` of a serving tier: settings, bind, serve until stopped, one clear line on error;
//! and `<tier> healthcheck`, the probe a container runs inside the tier's own image.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
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

/// `<tier> healthcheck`: when it is the command line, asks the running tier for `GET /ready` on
/// its own `BIND` port over loopback and returns the exit code (0 when it answers 200 within
/// 2 s, 1 otherwise, with the reason on stderr). The images have no curl: Docker's and
/// Swarm's health checks run the tier binary itself (`web healthcheck`). `None`: not asked.
pub fn healthcheck_if_asked(default_bind: &str) -> Option<ExitCode> {
    if std::env::args().nth(1).as_deref() != Some("healthcheck") {
        return None;
    }
    let bind = Env.string_or("BIND", default_bind);
    Some(match ready(&bind, Duration::from_secs(2)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            ExitCode::FAILURE
        }
    })
}

/// `GET /ready` on the loopback address of the port `bind` names (a wildcard bind is
/// reached on loopback); Ok when it answers 200.
pub fn ready(bind: &str, timeout: Duration) -> Result<(), String> {
    let (host, port) = bind
        .rsplit_once(':')
        .ok_or_else(|| format!("BIND {bind:?} has no port"))?;
    let host = match host.trim_matches(['[', ']']) {
        "0.0.0.0" | "" => "127.0.0.1",
        "::" => "[::1]",
        _ => host,
    };
    let addr = format!("{host}:{port}")
        .to_socket_addrs()
        .map_err(|e| format!("{host}:{port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}:{port}: no address"))?;
    let mut conn =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    conn.set_read_timeout(Some(timeout))
        .and_then(|()| conn.set_write_timeout(Some(timeout)))
        .and_then(|()| conn.write_all(b"GET /ready HTTP/1.0\r\nHost: localhost\r\n\r\n"))
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut head = [0u8; 12];
    conn.read_exact(&mut head)
        .map_err(|e| format!("{addr}: no answer: {e}"))?;
    match &head[9..12] {
        b"200" => Ok(()),
        status => Err(format!(
            "{addr}: /ready answered {}",
            String::from_utf8_lossy(status)
        )),
    }
}
