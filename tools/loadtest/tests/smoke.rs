//! A short run of every load scenario and of the JMeter plan against the stack (HAProxy,
//! two instances of every tier, PostgreSQL, memcached), checking that each run leaves its
//! reports and that nothing failed. About 40 s; skipped with a printed reason when a server
//! (or JMeter) is missing, a failure under CI=true.

use std::path::{Path, PathBuf};
use std::time::Duration;

use conduit_loadtest::{RunOptions, run, scenarios_named};
use conduit_servers::procs;
use conduit_stack::{Stack, StackConfig};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stack(dir: &Path) -> Option<Stack> {
    let present = || -> Result<PathBuf, String> {
        for bin in ["haproxy", "memcached"] {
            procs::on_path(bin).ok_or(format!("no {bin} on PATH"))?;
        }
        conduit_servers::postgres::postgres_bin_dir()?;
        conduit_stack::tier_binaries_of_this_build()
    };
    let bin_dir =
        conduit_testkit::require("the stack (HAProxy, memcached, PostgreSQL)", present())?;
    let config = StackConfig {
        dir: dir.to_path_buf(),
        bin_dir,
        haproxy_config: repo().join("deploy/haproxy/haproxy.cfg"),
        fixtures: Some(repo().join("fixtures/demo.json")),
        instances: 2,
        public_port: 0,
        stats_port: 0,
        log_filter: "warn".to_owned(),
        tls_certs: None,
        process_env: conduit_stack::LOAD_TEST_ENV
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    Some(
        Stack::up(&config)
            .unwrap_or_else(|e| panic!("stack up: {e}"))
            .owned(),
    )
}

#[test]
fn every_scenario_and_the_jmeter_plan_run_clean_and_leave_their_reports() {
    let dir = tempfile::Builder::new()
        .prefix("conduit-loadtest-")
        .tempdir()
        .unwrap();
    let Some(stack) = stack(&dir.path().join("stack")) else {
        return;
    };
    let host = stack.state.public_url.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for scenario in ["reader", "writer", "api"] {
        let out = dir.path().join(scenario);
        let options = RunOptions {
            host: host.clone(),
            scenario: scenario.to_owned(),
            users: 4,
            hatch_rate: 4,
            duration: Some(Duration::from_secs(4)),
            iterations: None,
            out: out.clone(),
            progress_every: 0,
        };
        let summary = runtime
            .block_on(run(&options, scenarios_named(scenario).unwrap()))
            .unwrap_or_else(|e| panic!("{scenario}: {e}"));
        eprintln!(
            "{scenario}: {} requests, {:.0} req/s, p99 {:.1} ms",
            summary.requests, summary.rps, summary.latency.p99
        );
        assert!(
            summary.requests > 20,
            "{scenario}: {} requests",
            summary.requests
        );
        assert_eq!(summary.failures, 0, "{scenario}: {:?}", summary.errors);
        assert!(
            summary.per_request.len() >= 4,
            "{scenario}: {:?}",
            summary.per_request
        );
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(html.contains("<svg") && !html.contains("<script"));
        assert!(
            std::fs::read_to_string(out.join("summary.md"))
                .unwrap()
                .contains("req/s")
        );
    }

    let jmeter = || -> Result<(), String> {
        procs::on_path("java").ok_or("no java on PATH (apt-get install jmeter)")?;
        for jar in ["bin/ApacheJMeter.jar", "lib/ext/ApacheJMeter_http.jar"] {
            if !Path::new("/usr/share/jmeter").join(jar).is_file() {
                return Err(format!(
                    "no /usr/share/jmeter/{jar} (apt-get install jmeter jmeter-http)"
                ));
            }
        }
        Ok(())
    };
    if conduit_testkit::require("JMeter", jmeter()).is_some() {
        let port = host.rsplit(':').next().unwrap();
        let out = std::process::Command::new(repo().join("deploy/jmeter/run"))
            .args([
                "-Jhost=127.0.0.1",
                &format!("-Jport={port}"),
                "-Jusers=4",
                "-Jduration=6",
            ])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "JMeter run failed:\n{text}");
        let line = text
            .lines()
            .find(|l| l.contains("samples,"))
            .unwrap_or_else(|| panic!("{text}"));
        let samples: u64 = line.split(' ').next().unwrap().parse().unwrap();
        assert!(samples > 20 && line.contains(" 0 failed"), "{line}");
        eprintln!("JMeter: {line}");
    }
    drop(stack);
}
