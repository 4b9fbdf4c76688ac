//! The benchmark matrix: the local stack started here, for each data size and instance
//! count, and one goose run per case; a table and plots of throughput and p99; and the
//! comparison of two matrix files (this machine against another: the same command run on
//! each).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use conduit_stack::{Stack, StackConfig};
use serde::{Deserialize, Serialize};

use crate::{RunOptions, scenarios, svg};

/// What the matrix covers.
#[derive(Debug, Clone)]
pub struct MatrixOptions {
    /// Article counts of the generated data sets (0: the demo data).
    pub sizes: Vec<usize>,
    /// Instances of every tier.
    pub instances: Vec<usize>,
    /// Concurrent users of each case.
    pub users: usize,
    /// Length of each case.
    pub duration: Duration,
    /// Where everything goes.
    pub out: PathBuf,
    /// The tier binaries (release).
    pub bin_dir: PathBuf,
    /// The repository (for haproxy.cfg and the demo data).
    pub repo: PathBuf,
}

/// One measured case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    /// `1k articles`...
    pub data: String,
    /// Instances of every tier.
    pub instances: usize,
    /// `home, cached`...
    pub case: String,
    /// Requests a second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Failed requests.
    pub failures: u64,
}

impl CaseResult {
    /// `1k articles, 2/tier, home, cached`.
    pub fn label(&self) -> String {
        format!("{}, {}/tier, {}", self.data, self.instances, self.case)
    }
}

/// A whole matrix run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Matrix {
    /// Where it ran (host name, cores).
    pub machine: String,
    /// Users and seconds of each case.
    pub load: String,
    /// Every case.
    pub cases: Vec<CaseResult>,
}

fn machine() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{} ({cores} cores)", host.trim())
}

fn size_label(size: usize) -> String {
    match size {
        0 => "demo data".to_owned(),
        n if n >= 1000 && n % 1000 == 0 => format!("{}k articles", n / 1000),
        n => format!("{n} articles"),
    }
}

/// Runs the matrix; writes `matrix.json`, `matrix.md`, `throughput.svg` and `p99.svg`.
pub async fn run(options: &MatrixOptions) -> Result<Matrix, String> {
    std::fs::create_dir_all(&options.out).map_err(|e| e.to_string())?;
    let mut matrix = Matrix {
        machine: machine(),
        load: format!(
            "{} users, {} s a case",
            options.users,
            options.duration.as_secs()
        ),
        cases: Vec::new(),
    };
    for &size in &options.sizes {
        let fixtures = if size == 0 {
            options.repo.join("fixtures/demo.json")
        } else {
            let path = options.out.join(format!("fixtures-{size}.json"));
            let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
            let mut out = std::io::BufWriter::new(file);
            let gen_size = conduit_dataset::generate::Size {
                users: (size / 10).max(10),
                articles: size,
                seed: 7,
            };
            conduit_dataset::generate::write(gen_size, &mut out).map_err(|e| e.to_string())?;
            path
        };
        for &instances in &options.instances {
            eprintln!(
                "matrix: {}, {instances} instance(s) of every tier: starting the stack",
                size_label(size)
            );
            let cases = run_stack_cases(options, &fixtures, size, instances).await?;
            matrix.cases.extend(cases);
        }
    }
    write(&matrix, &options.out)?;
    Ok(matrix)
}

async fn run_stack_cases(
    options: &MatrixOptions,
    fixtures: &Path,
    size: usize,
    instances: usize,
) -> Result<Vec<CaseResult>, String> {
    let dir = options.out.join(format!("stack-{size}-{instances}"));
    let config = StackConfig {
        dir,
        bin_dir: options.bin_dir.clone(),
        haproxy_config: options.repo.join("deploy/haproxy/haproxy.cfg"),
        fixtures: Some(fixtures.to_path_buf()),
        instances,
        public_port: 0,
        stats_port: 0,
        log_filter: "warn".to_owned(),
        // Every simulated visitor comes from 127.0.0.1 and signs up.
        tls_certs: None,
        process_env: conduit_stack::LOAD_TEST_ENV
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let mut stack = Stack::up(&config)?.owned();
    let host = stack.state.public_url.clone();
    let addr = host.trim_start_matches("http://").to_owned();
    let (_, body) =
        conduit_servers::procs::http_get(&addr, "/api/articles?limit=1", Duration::from_secs(10))?;
    let list: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("article list: {e}"))?;
    let slug = list["articles"][0]["slug"]
        .as_str()
        .ok_or("no article to read")?
        .to_owned();
    let article = format!("/api/articles/{slug}");
    let api: [(&str, &str); 3] = [
        ("list", "/api/articles?limit=20"),
        ("article", article.as_str()),
        ("tags", "/api/tags"),
    ];
    let mut results = Vec::new();
    results.push(measure(options, &host, size, instances, "home, cached", "/").await?);
    // The same cached page from the first web instance itself: what HAProxy's hop costs.
    let web = stack
        .instances("web")
        .first()
        .and_then(|name| stack.addr(name))
        .ok_or("no web instance")?;
    let direct = format!("http://{web}");
    let case = "home, cached, web direct";
    results.push(measure(options, &direct, size, instances, case, "/").await?);
    for (name, path) in api {
        let case = format!("API {name}, cached");
        results.push(measure(options, &host, size, instances, &case, path).await?);
    }
    // The API again with its read cache off: experience instances restarted with API_CACHE=off.
    for name in stack.instances("experience") {
        stack.set_env(&name, "API_CACHE", Some("off"))?;
        stack.restart(&name)?;
    }
    for (name, path) in api {
        let case = format!("API {name}, uncached");
        results.push(measure(options, &host, size, instances, &case, path).await?);
    }
    // The page with the cache off: web instances restarted without memcached.
    for name in stack.instances("web") {
        stack.set_env(&name, "MEMCACHED_URL", None)?;
        stack.restart(&name)?;
    }
    results.push(measure(options, &host, size, instances, "home, uncached", "/").await?);
    stack.down()?;
    Ok(results)
}

async fn measure(
    options: &MatrixOptions,
    host: &str,
    size: usize,
    instances: usize,
    case: &str,
    path: &str,
) -> Result<CaseResult, String> {
    let slug: String = case
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let run = RunOptions {
        host: host.to_owned(),
        scenario: case.to_owned(),
        users: options.users,
        hatch_rate: options.users,
        duration: Some(options.duration),
        iterations: None,
        out: options.out.join(format!("runs/{size}-{instances}-{slug}")),
        progress_every: 0,
    };
    let summary = crate::run(&run, vec![scenarios::single(case, path)]).await?;
    let result = CaseResult {
        data: size_label(size),
        instances,
        case: case.to_owned(),
        rps: summary.rps,
        p50: summary.latency.p50,
        p99: summary.latency.p99,
        failures: summary.failures,
    };
    eprintln!(
        "matrix: {}: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, {} failed",
        result.label(),
        result.rps,
        result.p50,
        result.p99,
        result.failures
    );
    Ok(result)
}

/// Writes the table and the plots of `matrix` into `dir`.
pub fn write(matrix: &Matrix, dir: &Path) -> Result<(), String> {
    let save = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))
    };
    save(
        "matrix.json",
        serde_json::to_string_pretty(matrix).map_err(|e| e.to_string())?,
    )?;
    let mut md = format!(
        "# Benchmark matrix\n\n{}; {}.\n\n",
        matrix.machine, matrix.load
    );
    md.push_str("| data | instances | case | req/s | p50 ms | p99 ms | failed |\n|---|---:|---|---:|---:|---:|---:|\n");
    for c in &matrix.cases {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {} |",
            c.data, c.instances, c.case, c.rps, c.p50, c.p99, c.failures
        );
    }
    save("matrix.md", md)?;
    let labels: Vec<String> = matrix.cases.iter().map(CaseResult::label).collect();
    let rps = vec![(
        "req/s".to_owned(),
        matrix.cases.iter().map(|c| c.rps).collect(),
    )];
    let p99 = vec![(
        "p99 ms".to_owned(),
        matrix.cases.iter().map(|c| c.p99).collect(),
    )];
    save(
        "throughput.svg",
        svg::bars("Throughput per case", "req/s", &labels, &rps),
    )?;
    save(
        "p99.svg",
        svg::bars("p99 latency per case", "ms", &labels, &p99),
    )
}

/// Puts two matrix files side by side: `compare.md` and `compare.svg` in `out`.
pub fn compare(a: &Path, b: &Path, out: &Path) -> Result<String, String> {
    let read = |p: &Path| -> Result<Matrix, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let (ma, mb) = (read(a)?, read(b)?);
    let mut md = format!(
        "# Benchmark comparison\n\nA: {} ({}), {}\n\nB: {} ({}), {}\n\n",
        ma.machine,
        a.display(),
        ma.load,
        mb.machine,
        b.display(),
        mb.load
    );
    md.push_str("| case | A req/s | B req/s | B/A | A p99 ms | B p99 ms |\n|---|---:|---:|---:|---:|---:|\n");
    let mut labels = Vec::new();
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for ca in &ma.cases {
        let Some(cb) = mb.cases.iter().find(|c| c.label() == ca.label()) else {
            continue;
        };
        let _ = writeln!(
            md,
            "| {} | {:.0} | {:.0} | {:.2} | {:.1} | {:.1} |",
            ca.label(),
            ca.rps,
            cb.rps,
            cb.rps / ca.rps.max(f64::MIN_POSITIVE),
            ca.p99,
            cb.p99
        );
        labels.push(ca.label());
        ra.push(ca.rps);
        rb.push(cb.rps);
    }
    if labels.is_empty() {
        return Err("the two files have no case in common".into());
    }
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    std::fs::write(out.join("compare.md"), &md).map_err(|e| e.to_string())?;
    let chart = svg::bars(
        "Throughput, A against B",
        "req/s",
        &labels,
        &[("A".into(), ra), ("B".into(), rb)],
    );
    std::fs::write(out.join("compare.svg"), chart).map_err(|e| e.to_string())?;
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(data: &str, rps: f64) -> CaseResult {
        CaseResult {
            data: data.into(),
            instances: 1,
            case: "API tags".into(),
            rps,
            p50: 1.0,
            p99: 2.0,
            failures: 0,
        }
    }

    #[test]
    fn two_matrix_files_compare_case_by_case() {
        let dir = tempfile::tempdir().unwrap();
        let a = Matrix {
            machine: "laptop".into(),
            load: "8 users".into(),
            cases: vec![case("1k articles", 100.0), case("100k articles", 50.0)],
        };
        let b = Matrix {
            machine: "vm".into(),
            load: "8 users".into(),
            cases: vec![case("1k articles", 250.0)],
        };
        write(&a, dir.path()).unwrap();
        std::fs::rename(dir.path().join("matrix.json"), dir.path().join("a.json")).unwrap();
        write(&b, dir.path()).unwrap();
        let md = compare(
            &dir.path().join("a.json"),
            &dir.path().join("matrix.json"),
            dir.path(),
        )
        .unwrap();
        assert!(
            md.contains("| 1k articles, 1/tier, API tags | 100 | 250 | 2.50 |"),
            "{md}"
        );
        assert!(!md.contains("100k"), "only common cases");
        assert!(
            std::fs::read_to_string(dir.path().join("compare.svg"))
                .unwrap()
                .starts_with("<svg")
        );
        assert!(
            std::fs::read_to_string(dir.path().join("matrix.md"))
                .unwrap()
                .contains("| 1k articles | 1 | API tags | 250 |")
        );
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_label(0), "demo data");
        assert_eq!(size_label(1000), "1k articles");
        assert_eq!(size_label(100_000), "100k articles");
        assert_eq!(size_label(1500), "1500 articles");
    }
}
