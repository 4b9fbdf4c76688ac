//! Outage drills on the stack (PostgreSQL, memcached, two instances of every tier, HAProxy)
//! under a bounded mixed load: anonymous reads of pages and the API, articles written
//! through the API and comments through the web form. The servers under the tiers fail and
//! come back; each drill prints its row of the drill table (requests sent, 2xx, 5xx by kind,
//! acknowledged writes and what is stored afterwards, recovery time) and checks that nothing
//! answered 500 or hung, that every refusal was a well-formed 503, that the site recovered by
//! itself, and that no acknowledged write was lost (and no refused one stored).
//! Skipped with a printed reason when HAProxy, memcached or PostgreSQL is missing; a failure
//! under CI=true.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use conduit_servers::procs;
use conduit_testkit::load::{
    ReadReport, Reads, WriteKind, WriteReport, Writes, check_comments, check_writes, get, publish,
    sign_up, wait_until,
};

mod common;
use common::stack;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The demo article the form writes comment on.
const SLUG: &str = "why-your-pagination-query-is-slow";

/// Nothing may take longer than the tiers' timeouts (models' pool wait 2 s, experience's
/// call to models 3 s) and a little more.
const NO_HANG: Duration = Duration::from_secs(6);

/// Every tier must serve again within this long of the server being back.
const RECOVERY: Duration = Duration::from_secs(5);

/// The loads of one drill: readers, and one writer each through the API and the web form.
/// Writes are a few a second, so that a page rendered after the last one stays cached
/// through an outage (every acknowledged write makes every page stale).
/// The load-test settings with experience's API read cache off. The drills below are about
/// what the tiers answer while models or PostgreSQL is down: with the cache on, the load's
/// anonymous API reads would be answered from it (as the cached pages are, which the drills
/// check), and the outage would not be seen at all.
fn api_uncached() -> Vec<(&'static str, &'static str)> {
    [conduit_stack::LOAD_TEST_ENV, &[("API_CACHE", "off")]].concat()
}

struct Mixed {
    reads: Reads,
    api: Writes,
    form: Writes,
}

impl Mixed {
    fn start(base: &str, token: &str, tag: &str) -> Mixed {
        let mixed = Mixed {
            reads: Reads::start(base, 6),
            api: Writes::start(base, token, tag, Duration::from_millis(200)),
            form: Writes::start_kind(
                base,
                token,
                tag,
                Duration::from_millis(300),
                WriteKind::FormComments {
                    slug: SLUG.to_owned(),
                },
            ),
        };
        std::thread::sleep(Duration::from_secs(3));
        mixed
    }

    /// Holds the writes, waits until the home page is cached after the last of them, and
    /// returns the read report then: every page viewed from now on until the writes go on
    /// again can be served from the cache.
    fn cache_pages(&self, base: &str) -> ReadReport {
        self.api.hold(true);
        self.form.hold(true);
        std::thread::sleep(Duration::from_millis(500));
        let home = format!("{base}/");
        wait_until(Duration::from_secs(5), "the home page cached", || {
            get(&home)
                .is_ok_and(|(s, h, _)| s == 200 && h.get("x-cache").is_some_and(|c| c == "HIT"))
        })
        .unwrap();
        self.reads.report()
    }

    /// Lets the writes go on (and fail while the outage lasts).
    fn write_again(&self) {
        self.api.hold(false);
        self.form.hold(false);
    }

    fn finish(self) -> (ReadReport, WriteReport, WriteReport) {
        (self.reads.finish(), self.api.finish(), self.form.finish())
    }
}

/// Checks what every drill must hold, and prints the drill's row.
fn verdict(
    drill: &str,
    base: &str,
    author: &str,
    tag: &str,
    (reads, api, form): &(ReadReport, WriteReport, WriteReport),
    recovery: Duration,
) {
    let (api_acked, api_stored) = check_writes(base, author, tag, api);
    let (form_acked, form_stored) = check_comments(base, SLUG, tag, form);
    let errors: Vec<String> = reads
        .by_kind
        .iter()
        .filter(|(k, _)| !k.ends_with(" 200"))
        .map(|(k, n)| format!("{k}: {n}"))
        .collect();
    eprintln!(
        "| {drill} | {} | {} | {} | {} + {} / {} + {} | {:.1} s |",
        reads.sent(),
        reads.ok,
        if errors.is_empty() {
            "none".to_owned()
        } else {
            errors.join(", ")
        },
        api_acked,
        form_acked,
        api_stored,
        form_stored,
        recovery.as_secs_f64()
    );
    assert!(
        reads.never_ok.is_empty(),
        "{drill}: answers no outage may give: {:?}",
        &reads.never_ok[..reads.never_ok.len().min(5)]
    );
    for (what, w) in [("API", api), ("form", form)] {
        assert!(
            w.never_ok.is_empty(),
            "{drill}: {what} write answers no outage may give: {:?}",
            w.never_ok
        );
        assert!(
            w.acknowledged.len() > 3,
            "{drill}: the {what} writes did not run"
        );
    }
    assert!(
        reads.slowest < NO_HANG,
        "{drill}: a request took {:?}",
        reads.slowest
    );
    let odd: Vec<&String> = reads
        .by_kind
        .keys()
        .filter(|k| !k.ends_with(" 200") && !k.ends_with(" 503") && !k.ends_with(" 504"))
        .collect();
    assert!(
        odd.is_empty(),
        "{drill}: refusals other than 503/504: {odd:?}"
    );
    assert!(
        recovery <= RECOVERY,
        "{drill}: recovered only after {recovery:?}"
    );
}

/// Time until the API and an uncached page both answer 200 again, polled; `RECOVERY` and
/// more means it did not recover in time.
fn recovery(base: &str, author: &str) -> Duration {
    let started = Instant::now();
    let api = format!("{base}/api/articles?author={author}&limit=1");
    let page = format!("{base}/profile/{author}");
    while started.elapsed() < RECOVERY * 2 {
        let api_ok = get(&api).is_ok_and(|(s, _, _)| s == 200);
        if api_ok && get(&page).is_ok_and(|(s, _, _)| s == 200) {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    started.elapsed()
}

/// 200 page reads in `after` that `before` had not seen: cached pages served meanwhile.
fn pages_served(before: &ReadReport, after: &ReadReport) -> u64 {
    let ok = |r: &ReadReport| r.by_kind.get("page 200").copied().unwrap_or(0);
    ok(after) - ok(before)
}

fn header() {
    eprintln!(
        "| drill | reads sent | 200 | refused (kind status: count) | writes acknowledged API + form / stored API + form | recovery |"
    );
    eprintln!("|---|---:|---:|---|---|---:|");
}

#[test]
fn postgres_restarted_or_killed_under_load_gives_503s_recovers_and_keeps_every_acknowledged_write()
{
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((_dir, mut stack)) = stack(&api_uncached(), None) else {
        return;
    };
    let base = stack.state.public_url.clone();
    // Durable as production runs it.
    let psql = conduit_servers::postgres::postgres_bin_dir()
        .unwrap()
        .join("psql");
    let settings = procs::run(
        &psql,
        &[
            &stack.state.database_url,
            "-XAtc",
            "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit')",
        ],
        &[],
    )
    .unwrap();
    assert_eq!(settings.trim(), "on on", "fsync, synchronous_commit");

    let token = sign_up(&base, "drillpg").unwrap();
    header();
    for (drill, tag, signal) in [
        ("PostgreSQL fast restart", "pgfast", "INT"),
        ("PostgreSQL SIGKILL, then started", "pgkill", "KILL"),
    ] {
        let load = Mixed::start(&base, &token, tag);
        let before = load.cache_pages(&base);
        stack
            .stop_with("postgres", signal, Duration::from_secs(30))
            .unwrap();
        // Cached pages are served while it is down, until a write whose outcome is unknown
        // (a 502 or 504: it may have been made) makes them stale.
        std::thread::sleep(Duration::from_secs(2));
        let cached = load.reads.report();
        let home = get(&format!("{base}/")).unwrap();
        assert_eq!(
            (home.0, home.1.get("x-cache").map(String::as_str)),
            (200, Some("HIT")),
            "{drill}: the cached home page while PostgreSQL is down"
        );
        load.write_again();
        std::thread::sleep(Duration::from_secs(3));
        let during = load.reads.report();
        stack
            .start_server("postgres", Duration::from_secs(30))
            .unwrap();
        let recovered = recovery(&base, "drillpg");
        std::thread::sleep(Duration::from_secs(2));
        let report = load.finish();
        verdict(drill, &base, "drillpg", tag, &report, recovered);
        assert!(
            during.failed > before.failed,
            "{drill}: the outage was not seen"
        );
        assert!(
            pages_served(&before, &cached) > 0,
            "{drill}: no cached page was served while PostgreSQL was down"
        );
    }
}

#[test]
fn memcached_restarted_or_frozen_under_load_fails_nothing_and_serves_no_stale_page() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((_dir, mut stack)) = stack(conduit_stack::LOAD_TEST_ENV, None) else {
        return;
    };
    let base = stack.state.public_url.clone();
    let token = sign_up(&base, "drillmc").unwrap();
    let home = format!("{base}/");
    let x_cache = || get(&home).map(|(_, h, _)| h.get("x-cache").cloned().unwrap_or_default());
    header();
    for (drill, tag) in [
        ("memcached restart", "mcrestart"),
        ("memcached frozen (SIGSTOP) 4 s", "mcfrozen"),
    ] {
        let load = Mixed::start(&base, &token, tag);
        // Recovery counts from the start of the restart, and from the end of the freeze (the
        // fault's own 4 s are not recovery).
        let mut started = Instant::now();
        if tag == "mcrestart" {
            stack.restart("memcached").unwrap();
        } else {
            let pid = stack.pid("memcached").unwrap();
            procs::signal(pid, "STOP").unwrap();
            // The cache's breaker opens on the first timeout (100 ms): pages bypass it.
            let bypass = wait_until(
                Duration::from_secs(3),
                "pages to bypass the frozen cache",
                || x_cache().is_ok_and(|c| c == "BYPASS"),
            );
            std::thread::sleep(Duration::from_secs(4));
            procs::signal(pid, "CONT").unwrap();
            started = Instant::now();
            let bypass = bypass.unwrap_or_else(|e| panic!("{drill}: {e}"));
            eprintln!("{drill}: pages bypass the cache {bypass:?} after the freeze");
        }
        let back = started.elapsed();
        let hits = wait_until(Duration::from_secs(10), "a cache hit", || {
            x_cache().is_ok_and(|c| c == "HIT")
        })
        .unwrap_or_else(|e| panic!("{drill}: {e} after memcached came back"));
        // A write after the cache came back is on the very next anonymous view.
        let title = format!("Fresh after {tag}");
        let published = publish(&base, &token, &title).unwrap();
        let (_, _, page) = get(&home).unwrap();
        assert!(
            page.contains(&title),
            "{drill}: a stale home page after memcached came back ({published})"
        );
        std::thread::sleep(Duration::from_secs(1));
        let report = load.finish();
        if tag == "mcfrozen" {
            // The breaker tries the cache again 1 s after it opened; the next view stores
            // the page and the one after is a hit.
            assert!(
                back + hits <= Duration::from_secs(3),
                "{drill}: no cache hit until {:?} after memcached was resumed",
                back + hits
            );
        }
        verdict(drill, &base, "drillmc", tag, &report, back + hits);
        assert_eq!(report.0.failed, 0, "{drill}: {}", report.0.summary());
        assert!(
            report.1.refused.is_empty() && report.2.refused.is_empty(),
            "{drill}: writes refused"
        );
    }
}

#[test]
fn models_unreachable_keeps_cached_pages_and_answers_the_rest_with_503s() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((_dir, mut stack)) = stack(&api_uncached(), None) else {
        return;
    };
    let base = stack.state.public_url.clone();
    let token = sign_up(&base, "drillmodels").unwrap();
    header();
    let drill = "every models instance killed";
    let load = Mixed::start(&base, &token, "models");
    let before = load.cache_pages(&base);
    let models = stack.instances("models");
    for name in &models {
        stack.kill(name).unwrap();
    }
    std::thread::sleep(Duration::from_secs(2));
    let cached = load.reads.report();
    let (status, headers, _) = get(&format!("{base}/")).unwrap();
    let cached_home = (status, headers.get("x-cache").cloned().unwrap_or_default());
    load.write_again();
    std::thread::sleep(Duration::from_secs(3));
    let during = load.reads.report();
    // A page no one has viewed since the last write: the 503 page, asking to come back.
    let (status, headers, body) = get(&format!("{base}/profile/drillmodels")).unwrap();
    assert_eq!(status, 503);
    assert!(
        body.contains("error-page"),
        "not the site's error page: {body}"
    );
    assert_eq!(headers.get("retry-after").map(String::as_str), Some("5"));
    for name in &models {
        stack.start(name).unwrap();
    }
    for name in &models {
        stack.wait_serving(name, Duration::from_secs(30)).unwrap();
    }
    let recovered = recovery(&base, "drillmodels");
    std::thread::sleep(Duration::from_secs(2));
    let report = load.finish();
    verdict(drill, &base, "drillmodels", "models", &report, recovered);
    assert!(during.failed > before.failed, "the outage was not seen");
    assert!(
        pages_served(&before, &cached) > 0,
        "no cached page was served while models was unreachable"
    );
    assert_eq!(
        cached_home,
        (200, "HIT".to_owned()),
        "the home page during the outage"
    );
}

#[test]
fn each_server_restarts_cleanly_and_haproxy_reloads_without_failing_a_request() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((dir, mut stack)) = stack(conduit_stack::LOAD_TEST_ENV, None) else {
        return;
    };
    let base = stack.state.public_url.clone();
    // What `deploy/stack restart NAME` does, from another process, as an operator runs it;
    // its output read by nobody (a closed pipe) is no panic.
    let cli = env!("CARGO_BIN_EXE_conduit-stack");
    for name in ["postgres", "memcached", "haproxy"] {
        let started = Instant::now();
        let out = std::process::Command::new(cli)
            .args(["restart", name, "--dir", &dir.path().to_string_lossy()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "restart {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let served = wait_until(RECOVERY, "the site to answer", || {
            get(&format!("{base}/api/articles?limit=1")).is_ok_and(|(s, _, _)| s == 200)
                && get(&format!("{base}/profile/ada")).is_ok_and(|(s, _, _)| s == 200)
        })
        .unwrap_or_else(|e| panic!("after restarting {name}: {e}"));
        eprintln!(
            "deploy/stack restart {name}: {:?}, site serving {served:?} later",
            started.elapsed()
        );
    }
    stack.refresh().unwrap();
    let mut status = std::process::Command::new(cli)
        .args(["status", "--dir", &dir.path().to_string_lossy()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(status.stdout.take());
    let out = status.wait_with_output().unwrap();
    assert!(
        out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "status into a closed pipe: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    // A reload under load: new workers take the listeners, the old ones finish theirs.
    let load = Reads::start(&base, 6);
    std::thread::sleep(Duration::from_secs(2));
    for _ in 0..3 {
        stack.reload_haproxy().unwrap();
        std::thread::sleep(Duration::from_secs(1));
    }
    // Established connections are handed over, not cut; what a reload can still cost is a
    // kept-alive connection closed by the old worker just as a request went out on it: a
    // browser sends such a GET again, the load client counts it failed, and so do the tiers'
    // clients after their retries (their 503). Up to 1 in 1,000 (0 to 11 of ~12,000 per
    // run seen with flat-out readers; paced ones send ~2,000); the bound is 1 in 200 (before
    // the socket hand-over and the tiers' retries, 3 in 100 failed), and nothing may answer
    // 500.
    let report = load.finish();
    eprintln!("three HAProxy reloads under load: {}", report.summary());
    assert!(report.ok > 1000, "the load did not run");
    assert!(
        !report.by_kind.keys().any(|k| k.ends_with(" 500")),
        "{:?}",
        report.by_kind
    );
    assert!(
        report.failed * 200 <= report.sent(),
        "{} of {} requests failed across the reloads: {:?}",
        report.failed,
        report.sent(),
        report.failures
    );
}
