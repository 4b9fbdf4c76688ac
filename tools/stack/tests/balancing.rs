//! Load balancing on real servers: the stack (PostgreSQL, memcached, two instances of every
//! tier, HAProxy with deploy/haproxy/haproxy.cfg) under a bounded load of anonymous GETs,
//! with instances killed (SIGKILL) and restarted, and a rolling restart of every instance.
//! The load client must see zero failed requests. Skipped with a printed reason when
//! HAProxy, memcached or PostgreSQL is missing; a failure under CI=true.
//!
//! The tests share the machine's two cores, so they run one at a time.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use conduit_servers::procs;
use conduit_stack::{Stack, TIERS, haproxy};
use conduit_testkit::load::Reads;

mod common;
use common::{repo, stack};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const ARTICLE: &str = "/article/why-your-pagination-query-is-slow";

/// Requests instance `name` answered so far, probes left out.
fn served(stack: &Stack, name: &str) -> u64 {
    let addr = stack.addr(name).unwrap();
    let (status, body) = procs::http_get(&addr, "/metrics", Duration::from_secs(5)).unwrap();
    assert_eq!(status, 200);
    body.lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .filter(|l| {
            !["/ready", "/health", "/metrics"]
                .iter()
                .any(|r| l.contains(&format!("route=\"{r}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn requests_reach_both_instances_of_every_tier_and_carry_one_request_id_through_them() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((_dir, mut stack)) = stack(conduit_stack::LOAD_TEST_ENV, None) else {
        return;
    };
    let base = stack.state.public_url.clone();
    let http = Http;
    for i in 0..12 {
        // Distinct pages: misses, so each one reaches experience and models.
        let r = http.get(&format!("{base}/?page={}", i % 5 + 2), None);
        assert_eq!(r.0, 200);
        let r = http.get(&format!("{base}/api/articles?limit=2&offset={i}"), None);
        assert_eq!(r.0, 200);
    }
    for tier in TIERS {
        for name in stack.instances(tier) {
            assert!(served(&stack, &name) > 0, "{name} got no request");
        }
    }

    // One id, kept from the client, in HAProxy's log and in a log of every tier.
    let id = format!("trace-{:016x}", fastrand::u64(..));
    let (status, headers) = http.get(&format!("{base}{ARTICLE}?fresh={id}"), Some(&id));
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("x-request-id").map(String::as_str),
        Some(id.as_str())
    );
    std::thread::sleep(Duration::from_millis(300));
    let logged: Vec<String> = ["haproxy", "web", "experience", "models"]
        .iter()
        .filter(|who| {
            std::fs::read_dir(stack.log_of("haproxy").parent().unwrap())
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(*who))
                .any(|e| std::fs::read_to_string(e.path()).unwrap().contains(&id))
        })
        .map(|w| (*w).to_owned())
        .collect();
    assert_eq!(logged, ["haproxy", "web", "experience", "models"]);
    // Without one, HAProxy makes one, and the site answers with it.
    let (_, headers) = http.get(&format!("{base}/"), None);
    assert!(headers.get("x-request-id").is_some_and(|v| v.len() >= 32));

    // Whoever reaches an internal tier without the internal credential gets nothing but its
    // probes: no user, no article, no page endpoint.
    for (name, path) in [
        ("models-1", "/users/1"),
        ("models-2", "/articles?limit=1"),
        ("experience-1", "/pages/home"),
    ] {
        let addr = stack.addr(name).unwrap();
        let (status, body) = procs::http_get(&addr, path, Duration::from_secs(5)).unwrap();
        assert_eq!(status, 401, "{name} {path}: {body}");
        let (status, _) = procs::http_get(&addr, "/ready", Duration::from_secs(5)).unwrap();
        assert_eq!(status, 200, "{name} /ready");
    }

    stack.down().unwrap();
}

#[test]
fn killing_an_instance_of_each_tier_under_load_fails_no_request_and_a_restarted_one_gets_traffic() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The API read cache off: the load's anonymous API reads must reach models (with the
    // cache on they are answered by experience, and a restarted models instance gets none).
    let env = [conduit_stack::LOAD_TEST_ENV, &[("API_CACHE", "off")]].concat();
    let Some((_dir, mut stack)) = stack(&env, None) else {
        return;
    };
    let load = Reads::start(&stack.state.public_url, 8);
    std::thread::sleep(Duration::from_secs(3));
    for tier in TIERS {
        stack.kill(&format!("{tier}-1")).unwrap();
        std::thread::sleep(Duration::from_secs(4));
    }
    for tier in TIERS {
        let name = format!("{tier}-1");
        stack.start(&name).unwrap();
        stack.wait_serving(&name, Duration::from_secs(30)).unwrap();
    }
    let before: HashMap<String, u64> = TIERS
        .iter()
        .map(|t| format!("{t}-1"))
        .map(|n| (n.clone(), served(&stack, &n)))
        .collect();
    std::thread::sleep(Duration::from_secs(4));
    let report = load.finish();
    // Cached pages never reach experience; the /api reads do, and reach models.
    for (name, count) in before {
        assert!(
            served(&stack, &name) > count,
            "{name} got no traffic after its restart"
        );
    }
    stack.down().unwrap();
    report.assert_no_failures("kill -9 one instance per tier");
}

#[test]
fn a_rolling_restart_of_every_instance_under_load_fails_no_request() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((_dir, mut stack)) = stack(conduit_stack::LOAD_TEST_ENV, None) else {
        return;
    };
    let load = Reads::start(&stack.state.public_url, 8);
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    for tier in TIERS {
        for name in stack.instances(tier) {
            stack.restart(&name).unwrap();
        }
    }
    eprintln!(
        "rolling restart of 6 instances took {:?}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_secs(1));
    let report = load.finish();
    stack.down().unwrap();
    report.assert_no_failures("rolling restart");
}

/// A server for the one fault a real instance cannot be made to produce on demand: it
/// answers `/ready`, and takes any other request and closes the connection without an
/// answer, as an instance dying mid-request does. Counts what it received.
fn dying_server(received: Arc<AtomicU64>) -> u16 {
    fake_server(received, false)
}

/// Like [`dying_server`] but answers every request with 200.
fn healthy_server(received: Arc<AtomicU64>) -> u16 {
    fake_server(received, true)
}

fn fake_server(received: Arc<AtomicU64>, answers: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let received = received.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0usize;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h == "\r\n" {
                            break;
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    let _ = reader.read_exact(&mut body);
                    if !line.contains(" /ready ") {
                        received.fetch_add(1, Ordering::SeqCst);
                        if !answers {
                            return; // dropped: connection closed, no answer
                        }
                    }
                    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
                }
            });
        }
    });
    port
}

#[test]
fn a_write_that_fails_mid_flight_gets_an_error_and_is_not_replayed_while_a_read_is_retried() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some(haproxy_bin) = conduit_testkit::require(
        "HAProxy",
        procs::on_path("haproxy").ok_or_else(|| "no haproxy on PATH".to_owned()),
    ) else {
        return;
    };
    let (dying, healthy) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (d, h) = (dying_server(dying.clone()), healthy_server(healthy.clone()));
    let config = std::fs::read_to_string(repo().join("deploy/haproxy/haproxy.cfg")).unwrap();
    let rendered = haproxy::render(&config, |prefix| {
        Some(match prefix {
            "web" => vec![format!("127.0.0.1:{d}"), format!("127.0.0.1:{h}")],
            _ => vec![format!("127.0.0.1:{h}")],
        })
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(&cfg, rendered).unwrap();
    let public = procs::free_port().unwrap();
    let admin = procs::free_port().unwrap();
    let mut child = std::process::Command::new(haproxy_bin)
        .args(["-W", "-db", "-f", &cfg.to_string_lossy()])
        .env("HAPROXY_PUBLIC_BIND", format!("127.0.0.1:{public}"))
        .env("HAPROXY_ADMIN_BIND", format!("127.0.0.1:{admin}"))
        .env(
            "HAPROXY_STATS_BIND",
            format!("127.0.0.1:{}", procs::free_port().unwrap()),
        )
        .env(
            "HAPROXY_EXPERIENCE_BIND",
            format!("127.0.0.1:{}", procs::free_port().unwrap()),
        )
        .env(
            "HAPROXY_MODELS_BIND",
            format!("127.0.0.1:{}", procs::free_port().unwrap()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let result = std::panic::catch_unwind(|| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let up = haproxy::servers(&format!("127.0.0.1:{admin}")).map(|s| {
                s.iter()
                    .filter(|s| s.backend == "web" && s.status == "UP")
                    .count()
            });
            if up == Ok(2) {
                break;
            }
            assert!(Instant::now() < deadline, "web servers not up: {up:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let http = Http;
        let base = format!("http://127.0.0.1:{public}");
        // Round robin: within two POSTs one reaches the dying server.
        let mut errors = 0;
        for n in 1..=4u64 {
            let status = http.post(&format!("{base}/editor"), "title=once");
            let delivered = dying.load(Ordering::SeqCst) + healthy.load(Ordering::SeqCst);
            assert_eq!(
                delivered, n,
                "POST {n} was delivered {delivered} times in all"
            );
            if status == 502 {
                errors += 1;
            } else {
                assert_eq!(status, 200);
            }
        }
        assert!(errors >= 1, "no POST reached the dying server");
        // A GET that dies mid-flight is retried on the other server: the client sees a 200.
        for _ in 0..4 {
            assert_eq!(http.get(&format!("{base}/"), None).0, 200);
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// A blocking HTTP/1.1 client for single requests (the load is conduit_testkit::load).
struct Http;

impl Http {
    fn request(
        &self,
        method: &str,
        url: &str,
        body: &str,
        request_id: Option<&str>,
    ) -> (u16, HashMap<String, String>) {
        let rest = url.strip_prefix("http://").unwrap();
        let (addr, path) = rest.split_at(rest.find('/').unwrap());
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let id = request_id
            .map(|id| format!("x-request-id: {id}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{id}\
             content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw);
        let head = text.split("\r\n\r\n").next().unwrap_or("");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        (status, headers)
    }

    fn get(&self, url: &str, request_id: Option<&str>) -> (u16, HashMap<String, String>) {
        self.request("GET", url, "", request_id)
    }

    fn post(&self, url: &str, body: &str) -> u16 {
        self.request("POST", url, body, None).0
    }
}
