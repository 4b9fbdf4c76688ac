//! Load tests for the Conduit site: goose scenarios ([`scenarios`]) run against any base URL,
//! every run leaving a self-contained HTML report (inline SVG charts, no CDN) and a markdown
//! summary ([`report`]), and the benchmark matrix that starts the local stack itself and
//! compares runs across machines ([`matrix`]).

pub mod matrix;
pub mod report;
pub mod scenarios;
mod svg;

use std::path::{Path, PathBuf};
use std::time::Duration;

use goose::config::GooseConfiguration;
use goose::logger::GooseLogFormat;
use goose::prelude::*;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Base URL of the site (`http://127.0.0.1:8080`).
    pub host: String,
    /// `reader`, `writer`, `api` or `mix` (all three, weighted 6:1:3).
    pub scenario: String,
    /// Concurrent users.
    pub users: usize,
    /// Users started per second.
    pub hatch_rate: usize,
    /// Bound by time...
    pub duration: Option<Duration>,
    /// ...or by iterations of each user's scenario.
    pub iterations: Option<usize>,
    /// Where the request log and the reports go.
    pub out: PathBuf,
    /// Print running figures every this many seconds (0: never).
    pub progress_every: usize,
}

/// The scenarios of `name`.
pub fn scenarios_named(name: &str) -> Result<Vec<Scenario>, String> {
    let weighted = |s: Scenario, w: usize| s.set_weight(w).map_err(|e| e.to_string());
    Ok(match name {
        "reader" => vec![scenarios::reader()],
        "writer" => vec![scenarios::writer()],
        "api" => vec![scenarios::api()],
        "mix" => vec![
            weighted(scenarios::reader(), 6)?,
            weighted(scenarios::writer(), 1)?,
            weighted(scenarios::api(), 3)?,
        ],
        other => {
            return Err(format!(
                "unknown scenario {other:?} (reader, writer, api, mix)"
            ));
        }
    })
}

/// Runs `scenarios` with `options`, then writes the reports; returns the summary.
pub async fn run(
    options: &RunOptions,
    scenarios: Vec<Scenario>,
) -> Result<report::Summary, String> {
    std::fs::create_dir_all(&options.out).map_err(|e| format!("{}: {e}", options.out.display()))?;
    let log = options.out.join("requests.jsonl");
    let _ = std::fs::remove_file(&log);
    let mut attack =
        GooseAttack::initialize_with_config(GooseConfiguration::default()).map_err(goose_error)?;
    for s in scenarios {
        attack = attack.register_scenario(s);
    }
    let mut attack = attack
        .set_default(GooseDefault::Host, options.host.as_str())
        .and_then(|a| a.set_default(GooseDefault::Users, options.users))
        .and_then(|a| {
            a.set_default(
                GooseDefault::IncreaseRate,
                options.hatch_rate.to_string().as_str(),
            )
        })
        .and_then(|a| a.set_default(GooseDefault::RequestLog, log.to_string_lossy().as_ref()))
        .and_then(|a| a.set_default(GooseDefault::RequestFormat, GooseLogFormat::Json))
        .and_then(|a| a.set_default(GooseDefault::NoTelnet, true))
        .and_then(|a| a.set_default(GooseDefault::NoWebSocket, true))
        .and_then(|a| a.set_default(GooseDefault::NoPrintMetrics, true))
        .and_then(|a| a.set_default(GooseDefault::Quiet, 1))
        .map_err(goose_error)?;
    if options.progress_every > 0 {
        attack = attack
            .set_default(GooseDefault::RunningMetrics, options.progress_every)
            .map_err(goose_error)?;
    }
    attack = match (options.duration, options.iterations) {
        (_, Some(n)) => attack.set_default(GooseDefault::Iterations, n),
        (Some(d), None) => attack
            .set_default(GooseDefault::RunTime, d.as_secs().max(1) as usize)
            // Goose refuses this with a bound on iterations (where metrics are not reset).
            .and_then(|a| a.set_default(GooseDefault::NoResetMetrics, true)),
        (None, None) => return Err("bound the run by a duration or a number of iterations".into()),
    }
    .map_err(goose_error)?;
    attack.execute().await.map_err(goose_error)?;
    let summary = report::Summary::from_log(&log, &options.host, &options.scenario, options.users)?;
    report::write_all(&summary, &options.out)?;
    Ok(summary)
}

/// `target/loadtest/<unix time>`: where a run's files go by default.
pub fn default_out(root: &Path) -> PathBuf {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    root.join(now.to_string())
}

/// Goose's errors say what was wrong only in their debug form.
fn goose_error(e: GooseError) -> String {
    format!("{e:?}")
}
