//! `conduit-loadtest`: load tests with reports, and the benchmark matrix (see README).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use conduit_loadtest::matrix::{self, MatrixOptions};
use conduit_loadtest::{RunOptions, default_out, report, scenarios_named};

const USAGE: &str = "\
usage: conduit-loadtest run --host URL [--scenario reader|writer|api|mix] [--users 8]
                            [--duration 30 | --iterations N] [--out DIR]
       conduit-loadtest matrix [--sizes 1000,100000] [--instances 1,2] [--users 16]
                               [--duration 10] [--out target/loadtest/matrix] [--bin-dir target/release]
       conduit-loadtest compare A/matrix.json B/matrix.json [--out DIR]
       conduit-loadtest report DIR   (a run's reports again from DIR/requests.jsonl, or a
                                      matrix's table and plots from DIR/matrix.json)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("conduit-loadtest: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conduit-loadtest: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` options and the words that are not options.
struct Args {
    options: Vec<(String, String)>,
    words: Vec<String>,
}

impl Args {
    fn parse(args: &[String]) -> Result<Args, String> {
        let mut options = Vec::new();
        let mut words = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                let value = it.next().ok_or(format!("--{name} needs a value"))?;
                options.push((name.to_owned(), value.clone()));
            } else {
                words.push(a.clone());
            }
        }
        Ok(Args { options, words })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name} {v:?} is not a number")),
        }
    }

    fn list(&self, name: &str, default: &[usize]) -> Result<Vec<usize>, String> {
        match self.get(name) {
            None => Ok(default.to_vec()),
            Some(v) => v
                .split(',')
                .map(|n| {
                    n.trim()
                        .parse()
                        .map_err(|_| format!("--{name}: {n:?} is not a number"))
                })
                .collect(),
        }
    }

    fn check(&self, known: &[&str]) -> Result<(), String> {
        match self
            .options
            .iter()
            .find(|(n, _)| !known.contains(&n.as_str()))
        {
            Some((n, _)) => Err(format!("unknown option --{n}\n{USAGE}")),
            None => Ok(()),
        }
    }
}

async fn run(all: &[String]) -> Result<(), String> {
    let (command, rest) = all.split_first().ok_or(USAGE)?;
    let args = Args::parse(rest)?;
    match command.as_str() {
        "run" => {
            args.check(&["host", "scenario", "users", "duration", "iterations", "out"])?;
            let scenario = args.get("scenario").unwrap_or("mix").to_owned();
            let users = args.number("users", 8usize)?;
            let iterations = args
                .get("iterations")
                .map(|_| args.number("iterations", 1usize))
                .transpose()?;
            let options = RunOptions {
                host: args
                    .get("host")
                    .ok_or("--host is required (e.g. http://127.0.0.1:8080)")?
                    .to_owned(),
                users,
                hatch_rate: users,
                duration: iterations
                    .is_none()
                    .then(|| args.number("duration", 30u64).map(Duration::from_secs))
                    .transpose()?,
                iterations,
                out: args.get("out").map_or_else(
                    || default_out(&PathBuf::from("target/loadtest")),
                    PathBuf::from,
                ),
                progress_every: 5,
                scenario: scenario.clone(),
            };
            let summary = conduit_loadtest::run(&options, scenarios_named(&scenario)?).await?;
            println!("{}", summary.markdown());
            println!("report: {}", options.out.join("report.html").display());
            if summary.failures > 0 {
                return Err(format!(
                    "{} of {} requests failed",
                    summary.failures, summary.requests
                ));
            }
            Ok(())
        }
        "matrix" => {
            args.check(&["sizes", "instances", "users", "duration", "out", "bin-dir"])?;
            let options = MatrixOptions {
                sizes: args.list("sizes", &[1000, 100_000])?,
                instances: args.list("instances", &[1, 2])?,
                users: args.number("users", 16usize)?,
                duration: Duration::from_secs(args.number("duration", 10u64)?),
                out: PathBuf::from(args.get("out").unwrap_or("target/loadtest/matrix")),
                bin_dir: PathBuf::from(args.get("bin-dir").unwrap_or("target/release")),
                repo: std::env::current_dir().map_err(|e| e.to_string())?,
            };
            let m = matrix::run(&options).await?;
            println!(
                "{}",
                std::fs::read_to_string(options.out.join("matrix.md")).unwrap_or_default()
            );
            println!(
                "plots: {0}/throughput.svg {0}/p99.svg",
                options.out.display()
            );
            if m.cases.iter().any(|c| c.failures > 0) {
                return Err("some requests failed (see the table)".into());
            }
            Ok(())
        }
        "compare" => {
            args.check(&["out"])?;
            let [a, b] = args.words.as_slice() else {
                return Err(format!("compare takes two matrix.json files\n{USAGE}"));
            };
            let out = PathBuf::from(args.get("out").unwrap_or("target/loadtest/compare"));
            println!("{}", matrix::compare(a.as_ref(), b.as_ref(), &out)?);
            println!("plot: {}/compare.svg", out.display());
            Ok(())
        }
        "report" => {
            args.check(&[])?;
            let dir = PathBuf::from(
                args.words
                    .first()
                    .ok_or("report takes a run's or a matrix's directory")?,
            );
            if let Ok(text) = std::fs::read_to_string(dir.join("matrix.json")) {
                let m: matrix::Matrix =
                    serde_json::from_str(&text).map_err(|e| format!("matrix.json: {e}"))?;
                matrix::write(&m, &dir)?;
                println!(
                    "{}",
                    std::fs::read_to_string(dir.join("matrix.md")).unwrap_or_default()
                );
                return Ok(());
            }
            // Keep what the log does not say (target, scenario, users) from the last summary.
            let before: Option<report::Summary> = std::fs::read_to_string(dir.join("summary.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
            let (host, scenario, users) = before.map_or_else(
                || ("(from the log)".to_owned(), "run".to_owned(), 0),
                |b| (b.host, b.scenario, b.users),
            );
            let log = dir.join("requests.jsonl");
            let summary = report::Summary::from_log(&log, &host, &scenario, users)?;
            report::write_all(&summary, &dir)?;
            println!("{}", summary.markdown());
            Ok(())
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}
