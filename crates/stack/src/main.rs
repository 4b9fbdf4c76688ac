//! `conduit-stack`: the production-like local stack (see the library docs and README).
//!
//! ```text
//! conduit-stack up [--instances N] [--port 8080] [--stats-port 8404] [--dir .stack]
//!                  [--bin-dir target/release] [--haproxy-config deploy/haproxy/haproxy.cfg]
//!                  [--fixtures fixtures/demo.json | --no-fixtures] [--log-filter info]
//! conduit-stack status [--dir .stack]
//! conduit-stack restart NAME... [--dir .stack]     e.g. web-1 (graceful: drain, stop, start)
//! conduit-stack down [--dir .stack]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use conduit_stack::{Stack, StackConfig};

const USAGE: &str = "\
usage: conduit-stack up [--instances N] [--port 8080] [--stats-port 8404] [--dir .stack]
                        [--bin-dir target/release] [--haproxy-config deploy/haproxy/haproxy.cfg]
                        [--fixtures fixtures/demo.json | --no-fixtures] [--log-filter info]
       conduit-stack status [--dir .stack]
       conduit-stack restart NAME... [--dir .stack]   (e.g. web-1: drain, stop, start)
       conduit-stack down [--dir .stack]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
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
            other if !other.starts_with('-') => names.push(other.to_owned()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    match command.as_str() {
        "up" => {
            let stack = Stack::up(&config)?;
            println!(
                "Conduit stack up ({} instances of each tier):",
                config.instances
            );
            println!("  site     {}/", stack.state.public_url);
            println!("  API      {}/api", stack.state.public_url);
            println!("  stats    {}", stack.state.stats_url);
            println!("  logs     {}/logs/", config.dir.display());
            println!("stop it with: deploy/stack down");
            Ok(())
        }
        "status" => {
            let stack = Stack::attach(&config.dir)?;
            println!(
                "site {}/  stats {}",
                stack.state.public_url, stack.state.stats_url
            );
            for line in stack.status() {
                println!("{line}");
            }
            Ok(())
        }
        "restart" => {
            let mut stack = Stack::attach(&config.dir)?;
            for name in &names {
                stack.restart(name)?;
                println!("{name} restarted");
            }
            Ok(())
        }
        "down" => {
            let mut stack = Stack::attach(&config.dir)?;
            stack.down()?;
            println!("stack stopped; logs kept in {}/logs/", config.dir.display());
            Ok(())
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}

fn number<T: std::str::FromStr>(raw: &str) -> Result<T, String> {
    raw.parse().map_err(|_| format!("{raw:?} is not a number"))
}
