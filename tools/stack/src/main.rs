//! `conduit-stack`: the production-like local stack (see the library docs and README).
//!
//! ```text
//! conduit-stack up [--instances N] [--port 8080] [--stats-port 8404] [--dir .stack]
//!                  [--bin-dir target/release] [--haproxy-config deploy/haproxy/haproxy.cfg]
//!                  [--fixtures fixtures/demo.json | --no-fixtures] [--log-filter info]
//! conduit-stack status [--dir .stack]
//! conduit-stack restart NAME... [--dir .stack]     e.g. web-1 (graceful: drain, stop, start),
//!                                                  postgres, memcached or haproxy
//! conduit-stack reload haproxy [--dir .stack]      its configuration, no connection dropped
//! conduit-stack down [--dir .stack]
//! ```
//!
//! Output that nobody reads any more (`deploy/stack status | head -1`) ends the command
//! quietly instead of a panic.

use std::path::PathBuf;
use std::process::ExitCode;

use conduit_stack::{Stack, StackConfig};

const USAGE: &str = "\
usage: conduit-stack up [--instances N] [--port 8080] [--stats-port 8404] [--dir .stack]
                        [--bin-dir target/release] [--haproxy-config deploy/haproxy/haproxy.cfg]
                        [--fixtures fixtures/demo.json | --no-fixtures] [--log-filter info]
                        [--env NAME=VALUE]... (more settings for every process)
                        [--tls-certs DIR] (HTTPS too, with the PEMs in DIR)
       conduit-stack status [--dir .stack]
       conduit-stack restart NAME... [--dir .stack]   (web-1: drain, stop, start;
                                                      postgres, memcached, haproxy)
       conduit-stack reload haproxy [--dir .stack]     (no connection dropped)
       conduit-stack down [--dir .stack]";

/// Prints a line to stdout; a closed pipe ends the process quietly (exit 0), as it ends
/// any Unix tool whose reader has gone, where `println!` would panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, $($arg)*).and_then(|()| out.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            eprintln!("conduit-stack: stdout: {e}");
            std::process::exit(1);
        }
    }};
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        say!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conduit-stack: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (command, rest) = args.split_first().ok_or(USAGE)?;
    let mut config = StackConfig {
        dir: PathBuf::from(".stack"),
        bin_dir: PathBuf::from("target/release"),
        haproxy_config: PathBuf::from("deploy/haproxy/haproxy.cfg"),
        fixtures: Some(PathBuf::from("fixtures/demo.json")),
        instances: 2,
        public_port: 8080,
        stats_port: 8404,
        log_filter: "info".to_owned(),
        tls_certs: None,
        process_env: Vec::new(),
    };
    let mut names = Vec::new();
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--dir" => config.dir = value()?.into(),
            "--bin-dir" => config.bin_dir = value()?.into(),
            "--haproxy-config" => config.haproxy_config = value()?.into(),
            "--fixtures" => config.fixtures = Some(value()?.into()),
            "--no-fixtures" => config.fixtures = None,
            "--log-filter" => config.log_filter = value()?,
            "--instances" => config.instances = number(&value()?)?,
            "--port" => config.public_port = number(&value()?)?,
            "--stats-port" => config.stats_port = number(&value()?)?,
            "--tls-certs" => config.tls_certs = Some(value()?.into()),
            "--env" => {
                let pair = value()?;
                let (name, value) = pair
                    .split_once('=')
                    .ok_or(format!("--env {pair}: expected NAME=VALUE"))?;
                config.process_env.push((name.to_owned(), value.to_owned()));
            }
            other if !other.starts_with('-') => names.push(other.to_owned()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    match command.as_str() {
        "up" => {
            let stack = Stack::up(&config)?;
            say!(
                "Conduit stack up ({} instances of each tier):",
                config.instances
            );
            say!("  site     {}/", stack.state.public_url);
            if let Some(https) = &stack.state.https_url {
                say!("  https    {https}/");
            }
            say!("  API      {}/api", stack.state.public_url);
            say!("  stats    {}", stack.state.stats_url);
            say!("  logs     {}/logs/", config.dir.display());
            say!("stop it with: deploy/stack down");
            Ok(())
        }
        "status" => {
            let stack = Stack::attach(&config.dir)?;
            say!(
                "site {}/  stats {}",
                stack.state.public_url,
                stack.state.stats_url
            );
            for line in stack.status() {
                say!("{line}");
            }
            Ok(())
        }
        "restart" => {
            let mut stack = Stack::attach(&config.dir)?;
            for name in &names {
                stack.restart(name)?;
                say!("{name} restarted");
            }
            Ok(())
        }
        "reload" if names == ["haproxy"] => {
            let mut stack = Stack::attach(&config.dir)?;
            stack.reload_haproxy()?;
            say!("haproxy reloaded its configuration");
            Ok(())
        }
        "down" => {
            let mut stack = Stack::attach(&config.dir)?;
            stack.down()?;
            say!("stack stopped; logs kept in {}/logs/", config.dir.display());
            Ok(())
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}

fn number<T: std::str::FromStr>(raw: &str) -> Result<T, String> {
    raw.parse().map_err(|_| format!("{raw:?} is not a number"))
}
