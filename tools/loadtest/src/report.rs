//! A run's report, from goose's request log (one JSON line a request): throughput,
//! latency percentiles overall, per request and per second, and errors by kind; written as
//! `summary.json` (for the matrix and comparisons), `summary.md` and a self-contained
//! `report.html` whose charts are inline SVG.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::svg;

#[derive(Deserialize)]
struct Line {
    elapsed: u64,
    scenario_name: String,
    name: String,
    response_time: u64,
    #[serde(default)]
    response_time_fraction_us: u64,
    status_code: u16,
    success: bool,
    #[serde(default)]
    error: String,
    #[serde(default)]
    update: bool,
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl Latency {
    fn of(micros: &mut [u64]) -> Self {
        micros.sort_unstable();
        let at = |q: f64| {
            if micros.is_empty() {
                return 0.0;
            }
            let i = ((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1;
            micros[i] as f64 / 1000.0
        };
        Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: micros.last().map_or(0.0, |m| *m as f64 / 1000.0),
        }
    }
}

/// One request name's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestStats {
    /// The scenario.
    pub scenario: String,
    /// The request's name (`home`, `GET /api/tags`...).
    pub name: String,
    /// Requests made.
    pub count: u64,
    /// Requests that failed.
    pub failures: u64,
    /// Requests a second over the run.
    pub rps: f64,
    /// Latency.
    pub latency: Latency,
}

impl RequestStats {
    /// The row of the per-request table: scenario, request, count, failed, req/s, p50, p90,
    /// p99, max.
    fn cells(&self) -> [String; 9] {
        let l = &self.latency;
        [
            self.scenario.clone(),
            self.name.clone(),
            self.count.to_string(),
            self.failures.to_string(),
            format!("{:.1}", self.rps),
            format!("{:.1}", l.p50),
            format!("{:.1}", l.p90),
            format!("{:.1}", l.p99),
            format!("{:.1}", l.max),
        ]
    }
}

/// One second of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Second {
    /// Seconds since the start.
    pub t: u64,
    /// Requests finished in it.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
    /// Median latency in it (ms).
    pub p50: f64,
    /// 99th percentile in it (ms).
    pub p99: f64,
}

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// Target.
    pub host: String,
    /// Scenario (or matrix case) name.
    pub scenario: String,
    /// Concurrent users.
    pub users: usize,
    /// From the first to the last request, seconds.
    pub seconds: f64,
    /// Requests made.
    pub requests: u64,
    /// Requests that failed.
    pub failures: u64,
    /// Requests a second.
    pub rps: f64,
    /// Latency of all requests.
    pub latency: Latency,
    /// Per request name.
    pub per_request: Vec<RequestStats>,
    /// Failures by kind (`503`, `connection refused`...).
    pub errors: Vec<(String, u64)>,
    /// Per second.
    pub timeline: Vec<Second>,
}

impl Summary {
    /// Reads goose's JSON request log.
    pub fn from_log(
        path: &Path,
        host: &str,
        scenario: &str,
        users: usize,
    ) -> Result<Summary, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut all = Vec::new();
        let mut by_name: BTreeMap<(String, String), (u64, Vec<u64>)> = BTreeMap::new();
        let mut by_second: BTreeMap<u64, (u64, Vec<u64>)> = BTreeMap::new();
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        let (mut first, mut last) = (u64::MAX, 0u64);
        for line in std::io::BufReader::new(file).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if line.trim().is_empty() {
                continue;
            }
            let l: Line =
                serde_json::from_str(&line).map_err(|e| format!("{}: {e}", path.display()))?;
            if l.update {
                continue;
            }
            let micros = l.response_time * 1000 + l.response_time_fraction_us.min(999);
            first = first.min(l.elapsed);
            last = last.max(l.elapsed + l.response_time);
            all.push(micros);
            let entry = by_name
                .entry((l.scenario_name.clone(), l.name.clone()))
                .or_default();
            entry.1.push(micros);
            let second = by_second.entry(l.elapsed / 1000).or_default();
            second.1.push(micros);
            if !l.success {
                entry.0 += 1;
                second.0 += 1;
                let kind = if l.status_code > 0 {
                    format!("HTTP {}", l.status_code)
                } else if l.error.is_empty() {
                    "failed".to_owned()
                } else {
                    l.error.chars().take(120).collect()
                };
                *errors.entry(kind).or_default() += 1;
            }
        }
        let seconds = if first == u64::MAX {
            0.0
        } else {
            (last.saturating_sub(first)) as f64 / 1000.0
        }
        .max(0.001);
        let requests = all.len() as u64;
        let failures = errors.values().sum();
        let per_request = by_name
            .into_iter()
            .map(|((scenario, name), (failures, mut micros))| RequestStats {
                scenario,
                name,
                count: micros.len() as u64,
                failures,
                rps: micros.len() as f64 / seconds,
                latency: Latency::of(&mut micros),
            })
            .collect();
        let start = first / 1000;
        let timeline = by_second
            .into_iter()
            .map(|(t, (failures, mut micros))| {
                let l = Latency::of(&mut micros);
                Second {
                    t: t.saturating_sub(start),
                    requests: micros.len() as u64,
                    failures,
                    p50: l.p50,
                    p99: l.p99,
                }
            })
            .collect();
        let mut errors: Vec<(String, u64)> = errors.into_iter().collect();
        errors.sort_by_key(|e| std::cmp::Reverse(e.1));
        Ok(Summary {
            host: host.to_owned(),
            scenario: scenario.to_owned(),
            users,
            seconds,
            requests,
            failures,
            rps: requests as f64 / seconds,
            latency: Latency::of(&mut all),
            per_request,
            errors,
            timeline,
        })
    }

    /// The markdown summary.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Load test: {} against {}\n", self.scenario, self.host);
        let _ = writeln!(
            md,
            "{} users, {:.1} s: **{} requests, {:.0} req/s**, {} failed; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms.\n",
            self.users,
            self.seconds,
            self.requests,
            self.rps,
            self.failures,
            self.latency.p50,
            self.latency.p90,
            self.latency.p99,
            self.latency.max
        );
        md.push_str("| scenario | request | count | failed | req/s | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.per_request {
            let _ = writeln!(md, "| {} |", r.cells().join(" | "));
        }
        md.push_str("\n## Errors\n\n");
        if self.errors.is_empty() {
            md.push_str("None.\n");
        } else {
            md.push_str("| kind | count |\n|---|---:|\n");
            for (kind, n) in &self.errors {
                let _ = writeln!(md, "| {} | {n} |", kind.replace('|', "\\|"));
            }
        }
        md
    }

    /// The seconds drawn: all but the last, which the run ended part-way through.
    fn full_seconds(&self) -> &[Second] {
        match self.timeline.len() {
            0 | 1 => &self.timeline,
            n => &self.timeline[..n - 1],
        }
    }

    /// Requests a second over time (all, failed).
    pub fn throughput_svg(&self) -> String {
        let all = self
            .full_seconds()
            .iter()
            .map(|s| (s.t as f64, s.requests as f64))
            .collect();
        let failed = self
            .full_seconds()
            .iter()
            .map(|s| (s.t as f64, s.failures as f64))
            .collect();
        svg::lines(
            "Requests per second",
            "req/s",
            &[("all".into(), all), ("failed".into(), failed)],
        )
    }

    /// Latency percentiles over time.
    pub fn latency_svg(&self) -> String {
        let p50 = self
            .full_seconds()
            .iter()
            .map(|s| (s.t as f64, s.p50))
            .collect();
        let p99 = self
            .full_seconds()
            .iter()
            .map(|s| (s.t as f64, s.p99))
            .collect();
        svg::lines(
            "Latency per second",
            "ms",
            &[("p50".into(), p50), ("p99".into(), p99)],
        )
    }

    /// The self-contained HTML report.
    pub fn html(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut h = String::new();
        let _ = write!(
            h,
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Load test: {}</title><style>\
             body{{font-family:sans-serif;max-width:960px;margin:2em auto;color:#333}}\
             table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ddd;padding:4px 8px;text-align:right}}\
             td:first-child,td:nth-child(2),th{{text-align:left}}.bad{{color:#b94a48}}</style></head><body>",
            esc(&self.scenario)
        );
        let _ = write!(
            h,
            "<h1>Load test: {} against {}</h1><p>{} users for {:.1} s: <b>{} requests, {:.0} req/s</b>, \
             <span class={}>{} failed</span>. Latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms.</p>",
            esc(&self.scenario),
            esc(&self.host),
            self.users,
            self.seconds,
            self.requests,
            self.rps,
            if self.failures > 0 { "bad" } else { "ok" },
            self.failures,
            self.latency.p50,
            self.latency.p90,
            self.latency.p99,
            self.latency.max
        );
        h.push_str(&self.throughput_svg());
        h.push_str(&self.latency_svg());
        h.push_str("<h2>Per request</h2><table><tr><th>scenario</th><th>request</th><th>count</th><th>failed</th><th>req/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr>");
        for r in &self.per_request {
            let cells: Vec<String> = r.cells().iter().map(|c| esc(c)).collect();
            let _ = write!(h, "<tr><td>{}</td></tr>", cells.join("</td><td>"));
        }
        h.push_str("</table><h2>Errors</h2>");
        if self.errors.is_empty() {
            h.push_str("<p>None.</p>");
        } else {
            h.push_str("<table><tr><th>kind</th><th>count</th></tr>");
            for (kind, n) in &self.errors {
                let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(kind));
            }
            h.push_str("</table>");
        }
        h.push_str("</body></html>\n");
        h
    }
}

/// Writes `summary.json`, `summary.md`, `report.html`, and its two charts as
/// `throughput.svg` and `latency.svg` (for embedding elsewhere), into `dir`.
pub fn write_all(summary: &Summary, dir: &Path) -> Result<(), String> {
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text)
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    write(
        "summary.json",
        serde_json::to_string_pretty(summary).map_err(|e| e.to_string())?,
    )?;
    write("summary.md", summary.markdown())?;
    write("throughput.svg", summary.throughput_svg())?;
    write("latency.svg", summary.latency_svg())?;
    write("report.html", summary.html())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(elapsed: u64, name: &str, ms: u64, status: u16, success: bool) -> String {
        serde_json::json!({
            "elapsed": elapsed, "scenario_name": "reader", "name": name, "response_time": ms,
            "status_code": status, "success": success, "error": "", "update": false
        })
        .to_string()
    }

    #[test]
    fn a_log_becomes_percentiles_a_timeline_and_errors_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        let mut lines = Vec::new();
        for i in 0..100u64 {
            lines.push(line(i * 20, "home", i + 1, 200, true));
        }
        lines.push(line(2000, "article", 5, 503, false));
        std::fs::write(&log, lines.join("\n")).unwrap();
        let s = Summary::from_log(&log, "http://x", "reader", 4).unwrap();
        assert_eq!((s.requests, s.failures), (101, 1));
        let home = s.per_request.iter().find(|r| r.name == "home").unwrap();
        assert_eq!(home.latency.p50, 50.0);
        assert_eq!(home.latency.p99, 99.0);
        assert_eq!(home.latency.max, 100.0);
        assert_eq!(s.errors, [("HTTP 503".to_owned(), 1)]);
        assert_eq!(s.timeline.len(), 3);
        assert_eq!(s.timeline[0].requests, 50);
        write_all(&s, dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(html.contains("<svg") && !html.contains("<script") && !html.contains("http://cdn"));
        assert!(
            std::fs::read_to_string(dir.path().join("summary.md"))
                .unwrap()
                .contains("| HTTP 503 | 1 |")
        );
    }
}
