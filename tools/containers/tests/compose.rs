//! `docker-compose.yml` on a real Docker engine, as an operator runs it: up from nothing,
//! scaled, faulted under load, rolled to a new version and back, and taken down. Each
//! scenario prints its figures (requests sent and failed, recovery times).
//!
//! Skipped with a printed reason without a Docker engine (or docker-compose, debootstrap);
//! a failure under CI=true. In one process the scenarios run one at a time, each on its own
//! deployment (project name, ports, secrets, volume); as nothing else is shared, CI's
//! `.ci/run-tests` runs two processes of them side by side.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use conduit_containers::{
    Deployment, TAG, docker, engine, get, image_of, images, tier_version, wait_until,
};
use conduit_testkit::load::{Reads, Writes, check_writes, sign_up};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const TIERS: [&str; 3] = ["web", "experience", "models"];
const TWO_EACH: [(&str, usize); 3] = [("web", 2), ("experience", 2), ("models", 2)];

const ONE_EACH: [(&str, usize); 3] = [("web", 1), ("experience", 1), ("models", 1)];

/// How a deployment is brought up: `Deployment::up`, or `Deployment::up_tls`.
type Up = fn(&[(&str, usize)]) -> Result<(Deployment, Duration), String>;

/// A deployment with `scale`, or `None` (skipped) without an engine outside CI.
fn deployment(scale: &[(&str, usize)]) -> Option<(Deployment, Duration)> {
    deployment_with(scale, Deployment::up)
}

/// [`deployment`], brought up by `up` (`Deployment::up_tls` to serve HTTPS too).
fn deployment_with(scale: &[(&str, usize)], up: Up) -> Option<(Deployment, Duration)> {
    conduit_testkit::require("a Docker engine", engine())?;
    images().unwrap_or_else(|e| panic!("building the images: {e}"));
    Some(up(scale).unwrap_or_else(|e| panic!("docker-compose up: {e}")))
}

/// `readers` clients reading pages and the API, and `user` (signed up here) publishing
/// articles, running for 3 s before this returns.
fn mixed_load(d: &Deployment, user: &str, readers: usize) -> (Reads, Writes) {
    let token = sign_up(&d.base(), user).unwrap();
    let reads = Reads::start(&d.base(), readers);
    let writes = Writes::start(&d.base(), &token, user, Duration::from_millis(20));
    std::thread::sleep(Duration::from_secs(3));
    (reads, writes)
}

#[test]
fn up_from_nothing_serves_the_site_and_down_leaves_nothing_behind() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((mut d, took)) = deployment(&TWO_EACH) else {
        return;
    };
    eprintln!("up: every container healthy and in HAProxy's pools {took:?} after `up`");

    // The site and the API on the published port, with the demo data loaded once.
    let (status, _, home) = get(&format!("{}/", d.base())).unwrap();
    assert_eq!(status, 200);
    assert!(
        home.contains("article-preview"),
        "no articles on the home page"
    );
    let (status, _, list) = get(&format!("{}/api/articles?limit=100", d.base())).unwrap();
    assert_eq!(status, 200, "{list}");
    let count = serde_json::from_str::<serde_json::Value>(&list).unwrap()["articlesCount"].clone();
    assert!(
        count.as_u64().is_some_and(|n| n >= 60),
        "the demo data has 60 articles: {count}"
    );
    // Migrations and demo data ran in a one-shot container that exited 0.
    let migrate = d.compose(&["ps", "-q", "migrate"]).unwrap();
    let exit = docker(&[
        "inspect",
        "-f",
        "{{.State.Status}} {{.State.ExitCode}}",
        migrate.trim(),
    ])
    .unwrap();
    assert_eq!(exit.trim(), "exited 0");
    // `up` again (as an operator would, recreating what changed: nothing) loads nothing
    // twice; the one-shot migrate runs again and finds nothing to do.
    let ids = d.containers("models");
    let scale = [
        "--scale",
        "web=2",
        "--scale",
        "experience=2",
        "--scale",
        "models=2",
    ];
    d.compose(&[&["up", "-d"][..], &scale].concat()).unwrap();
    assert_eq!(
        d.containers("models"),
        ids,
        "a second `up` recreated models"
    );
    d.wait_healthy(&TWO_EACH, Duration::from_secs(60)).unwrap();
    let (_, _, again) = get(&format!("{}/api/articles?limit=100", d.base())).unwrap();
    let again = serde_json::from_str::<serde_json::Value>(&again).unwrap()["articlesCount"].clone();
    assert_eq!(count, again, "a second `up` loaded the demo data again");

    // HAProxy's stats answer on the host's loopback only.
    let haproxy = d.containers("haproxy").pop().unwrap();
    let published = docker(&["port", &haproxy, "8404"]).unwrap();
    assert_eq!(published.trim(), format!("127.0.0.1:{}", d.stats_port));
    let (status, _, _) = get(&format!("http://{}/stats", d.stats())).unwrap();
    assert_eq!(status, 200);

    // Every container runs as a user other than root, from images that say what they are.
    for service in [
        "postgres",
        "memcached",
        "haproxy",
        "web",
        "experience",
        "models",
    ] {
        for id in d.containers(service) {
            let uid = docker(&["exec", &id, "id", "-u"]).unwrap();
            assert_ne!(uid.trim(), "0", "{service} runs as root");
        }
    }
    let labels = docker(&["image", "inspect", &format!("conduit/tier:{TAG}"), "--format",
        "{{index .Config.Labels \"org.opencontainers.image.version\"}} {{index .Config.Labels \"org.opencontainers.image.revision\"}} {{.Size}}"])
        .unwrap();
    let fields: Vec<&str> = labels.split_whitespace().collect();
    assert!(
        fields.len() == 3 && !fields[0].is_empty() && fields[1].len() >= 40,
        "labels: {labels}"
    );
    let size: f64 = fields[2].parse().unwrap();
    eprintln!(
        "tier image: version {} revision {} size {:.1} MB",
        fields[0],
        fields[1],
        size / 1e6
    );
    assert!(size < 120e6, "the tier image is {:.1} MB", size / 1e6);

    d.down().unwrap();
    let left = d.leftovers();
    assert!(left.is_empty(), "left behind by `down -v`: {left:?}");
}

#[test]
fn scaling_out_sends_traffic_to_every_new_replica_and_scaling_in_under_load_fails_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((d, _)) = deployment(&ONE_EACH) else {
        return;
    };
    let load = Reads::start(&d.base(), 8);
    std::thread::sleep(Duration::from_secs(2));

    let out = [("web", 3), ("experience", 2), ("models", 2)];
    let started = Instant::now();
    d.scale(&out).unwrap();
    d.wait_healthy(&out, Duration::from_secs(60)).unwrap();
    eprintln!(
        "scaled out to web=3 experience=2 models=2 in {:?}",
        started.elapsed()
    );
    let before: Vec<_> = TIERS
        .iter()
        .map(|t| conduit_containers::pool(&d.stats(), t).unwrap())
        .collect();
    std::thread::sleep(Duration::from_secs(5));
    for (tier, before) in TIERS.iter().zip(&before) {
        let now = conduit_containers::pool(&d.stats(), tier).unwrap();
        let served: Vec<(String, u64)> = now
            .iter()
            .filter(|s| s.status.starts_with("UP"))
            .map(|s| {
                let earlier = before
                    .iter()
                    .find(|b| b.server == s.server)
                    .map_or(0, |b| b.sessions);
                (s.addr.clone(), s.sessions - earlier)
            })
            .collect();
        eprintln!("{tier}: requests per replica in 5 s after scaling out: {served:?}");
        let wanted = out.iter().find(|(t, _)| t == tier).unwrap().1;
        assert_eq!(served.len(), wanted, "{tier}: {served:?}");
        assert!(
            served.iter().all(|(_, n)| *n > 0),
            "{tier}: a replica got no traffic: {served:?}"
        );
    }

    let started = Instant::now();
    d.scale(&ONE_EACH).unwrap();
    d.wait_healthy(&ONE_EACH, Duration::from_secs(60)).unwrap();
    eprintln!("scaled in to one of each in {:?}", started.elapsed());
    std::thread::sleep(Duration::from_secs(2));
    load.finish()
        .assert_no_failures("scale out, then in, under load");
}

#[test]
fn killing_a_container_of_each_tier_under_load_fails_no_read_and_replays_no_write() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((d, _)) = deployment(&TWO_EACH) else {
        return;
    };
    let (reads, writes) = mixed_load(&d, "killer", 8);
    for tier in TIERS {
        let victim = d.containers(tier).remove(0);
        docker(&["kill", &victim]).unwrap();
        let killed = Instant::now();
        eprintln!("docker kill {tier} {}", &victim[..12]);
        std::thread::sleep(Duration::from_secs(4));
        // Back by itself (restart: unless-stopped), or by `up` as an operator would.
        if d.containers(tier).len() < 2 {
            d.scale(&TWO_EACH).unwrap();
        }
        let back = d.wait_healthy(&TWO_EACH, Duration::from_secs(60)).unwrap();
        eprintln!(
            "{tier}: two healthy replicas in the pool again {:?} after the kill",
            killed.elapsed() - Duration::from_secs(4) + back
        );
    }
    std::thread::sleep(Duration::from_secs(2));
    let read = reads.finish();
    let written = writes.finish();
    eprintln!("writes: {}", written.summary());
    let (acked, stored) = check_writes(&d.base(), "killer", "killer", &written);
    eprintln!("writes acknowledged {acked}, stored {stored}");
    assert!(acked > 20, "the writes did not run");
    read.assert_no_failures("docker kill of one container per tier");
}

#[test]
fn a_memcached_restart_under_load_gives_no_error_and_pages_are_cached_again() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((d, _)) = deployment(&TWO_EACH) else {
        return;
    };
    let load = Reads::start(&d.base(), 8);
    std::thread::sleep(Duration::from_secs(3));
    let started = Instant::now();
    d.compose(&["restart", "memcached"]).unwrap();
    d.wait_healthy(&TWO_EACH, Duration::from_secs(60)).unwrap();
    let home = format!("{}/", d.base());
    let hits = wait_until(
        Duration::from_secs(15),
        "a cache HIT after the restart",
        || {
            get(&home)
                .is_ok_and(|(s, h, _)| s == 200 && h.get("x-cache").is_some_and(|c| c == "HIT"))
        },
    )
    .unwrap();
    eprintln!(
        "memcached restarted in {:?}; hits again {hits:?} later",
        started.elapsed() - hits
    );
    std::thread::sleep(Duration::from_secs(2));
    load.finish().assert_no_failures("memcached restart");
}

#[test]
fn a_postgres_restart_gives_503s_not_500s_recovers_by_itself_and_loses_no_acknowledged_write() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((d, _)) = deployment(&TWO_EACH) else {
        return;
    };
    let (reads, writes) = mixed_load(&d, "durable", 6);
    let before = reads.report();

    d.compose(&["stop", "postgres"]).unwrap();
    std::thread::sleep(Duration::from_secs(6));
    let during = reads.report();
    d.compose(&["start", "postgres"]).unwrap();
    let healthy = Instant::now();
    let pg = d.containers("postgres").pop().unwrap();
    wait_until(Duration::from_secs(60), "PostgreSQL healthy", || {
        docker(&["inspect", "-f", "{{.State.Health.Status}}", &pg])
            .is_ok_and(|s| s.trim() == "healthy")
    })
    .unwrap();
    let pg_up = healthy.elapsed();
    let api = format!("{}/api/articles?author=durable&limit=1", d.base());
    let recovered = wait_until(Duration::from_secs(10), "the API to answer again", || {
        get(&api).is_ok_and(|(s, _, _)| s == 200)
    })
    .unwrap_or_else(|e| panic!("{e}: no recovery within 10 s of PostgreSQL being healthy"));
    std::thread::sleep(Duration::from_secs(5));
    let read = reads.finish();
    let written = writes.finish();

    let outage = during.failed - before.failed;
    eprintln!("reads: {}", read.summary());
    eprintln!("writes: {}", written.summary());
    eprintln!(
        "PostgreSQL down 6 s: {outage} reads refused meanwhile; healthy {pg_up:?} after start; API answering {recovered:?} after that"
    );
    assert!(outage > 0, "the outage was not seen: did PostgreSQL stop?");
    assert!(
        read.never_ok.is_empty(),
        "answers no outage may give: {:?}",
        &read.never_ok[..read.never_ok.len().min(5)]
    );
    assert!(
        written.never_ok.is_empty(),
        "write answers no outage may give: {:?}",
        written.never_ok
    );
    assert!(
        read.slowest < Duration::from_secs(5),
        "a request hung for {:?}",
        read.slowest
    );
    let refused: Vec<_> = read
        .by_kind
        .keys()
        .filter(|k| !k.ends_with(" 200"))
        .collect();
    assert!(
        refused.iter().all(|k| k.ends_with(" 503")),
        "while PostgreSQL was down every refusal must be a 503: {refused:?}"
    );
    let (acked, stored) = check_writes(&d.base(), "durable", "durable", &written);
    eprintln!("writes acknowledged {acked}, stored after the restart {stored}");
    assert!(acked > 20, "the writes did not run");
}

#[test]
fn a_rolling_update_and_its_rollback_under_load_fail_no_request() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((d, _)) = deployment(&TWO_EACH) else {
        return;
    };
    tier_version("next").unwrap();
    let token = sign_up(&d.base(), "roller").unwrap();
    for (to, what) in [("next", "rolling update"), (TAG, "rollback")] {
        let reads = Reads::start(&d.base(), 8);
        let writes = Writes::start(&d.base(), &token, what, Duration::from_millis(20));
        std::thread::sleep(Duration::from_secs(2));
        let started = Instant::now();
        let out = d
            .script("rollout", &[to])
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        eprintln!(
            "{what} to conduit/tier:{to} in {:?}:\n{out}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_secs(2));
        let read = reads.finish();
        let written = writes.finish();
        for tier in TIERS {
            let running: Vec<String> = d.containers(tier).iter().map(|c| image_of(c)).collect();
            assert!(
                running.len() == 2 && running.iter().all(|i| *i == format!("conduit/tier:{to}")),
                "{what}: {tier} runs {running:?}"
            );
        }
        eprintln!("{what} writes: {}", written.summary());
        if !written.refused.is_empty() || read.failed > 0 {
            eprintln!("{}", d.failure_logs());
        }
        assert!(
            written.refused.is_empty(),
            "{what}: writes refused: {:?}",
            written.refused
        );
        check_writes(&d.base(), "roller", what, &written);
        read.assert_no_failures(what);
    }
}

/// HTTPS at HAProxy under compose, with a certificate of a CA made for the test, checked with
/// curl: 200 over HTTP/2 with HSTS, Secure `__Host-` cookies, plain HTTP redirected.
#[test]
fn https_with_a_generated_ca_serves_h2_hsts_and_secure_cookies() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((d, _)) = deployment_with(&ONE_EACH, Deployment::up_tls) else {
        return;
    };
    let ca = d.tls_ca.clone().unwrap().to_string_lossy().into_owned();
    let resolve = format!("localhost:{}:127.0.0.1", d.tls_port);
    let site = format!("https://localhost:{}", d.tls_port);
    let curl = |args: &[&str]| {
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "10",
                "--cacert",
                &ca,
                "--resolve",
                &resolve,
            ])
            .args(args)
            .output()
            .expect("curl runs");
        assert!(
            out.status.success(),
            "curl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_lowercase()
    };
    let head = curl(&[
        "--http2",
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("{site}/login"),
    ]);
    assert!(head.starts_with("http/2 200"), "{head}");
    assert!(
        head.contains("strict-transport-security: max-age=63072000"),
        "{head}"
    );
    assert!(
        head.contains("set-cookie: __host-conduit_csrf=") && head.contains("secure"),
        "{head}"
    );
    assert!(curl(&[&format!("{site}/api/tags")]).contains("\"tags\""));
    let plain = curl(&["-D", "-", "-o", "/dev/null", &format!("{}/", d.base())]);
    assert!(
        plain.starts_with("http/1.1 301") && plain.contains("location: https://"),
        "{plain}"
    );
}

/// deploy/backup and deploy/restore under compose: data written, a backup (pg_dump in the
/// postgres container), the database's volume destroyed and made anew, the backup restored,
/// and the API's answers about users, articles, comments, favorites and follows as before.
#[test]
fn a_backup_restores_every_answer_after_the_database_volume_is_lost() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((d, _)) = deployment(&ONE_EACH) else {
        return;
    };
    let base = d.base();
    let sample = conduit_testkit::load::Sample::write(&base, "cbkup").unwrap();
    let before = sample.answers(&base);
    assert!(
        before.iter().all(|(_, status, _)| *status == 200),
        "{before:?}"
    );

    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().to_string_lossy().into_owned();
    let operator = |script: &str, args: &[&str]| {
        let out =
            std::process::Command::new(conduit_containers::repo().join("deploy").join(script))
                .args(args)
                .envs(d.env())
                .current_dir(conduit_containers::repo())
                .output()
                .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "deploy/{script}: {text}");
        text
    };
    let printed = operator("backup", &["--compose", "--to", &to]);
    eprintln!("{printed}");
    let dump = std::fs::read_dir(backups.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();

    // The volume destroyed: the container and its volume removed, PostgreSQL started anew.
    d.compose(&["rm", "--stop", "--force", "postgres"]).unwrap();
    docker(&["volume", "rm", &format!("{}_postgres-data", d.project)]).unwrap();
    d.compose(&["up", "-d", "--no-deps", "postgres"]).unwrap();
    wait_until(
        Duration::from_secs(60),
        "PostgreSQL on its new volume",
        || {
            d.compose(&[
                "exec",
                "-T",
                "postgres",
                "pg_isready",
                "--quiet",
                "--host=127.0.0.1",
                "--username=conduit",
            ])
            .is_ok()
        },
    )
    .unwrap();
    let (status, _, _) = get(&format!("{base}{}", sample.article_past_the_cache())).unwrap();
    assert_ne!(status, 200, "the article went with the volume");

    let started = Instant::now();
    let printed = operator("restore", &[&dump.to_string_lossy(), "--compose"]);
    eprintln!("{printed}(restore {:?})", started.elapsed());
    let mut after = Vec::new();
    let waited = wait_until(Duration::from_secs(60), "the answers as before", || {
        after = sample.answers(&base);
        after == before
    });
    assert!(waited.is_ok(), "before: {before:#?}\nafter: {after:#?}");
}
