//! Slow and greedy clients against the real stack: HAProxy holds a request until it has
//! arrived whole (within its 10 s request timeout), the tiers cut off a body that trickles
//! past their own 10 s, one source address gets a bounded number of connections and
//! requests, the tiers' /metrics is not public, and other visitors keep their latency.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use conduit_servers::procs;

/// Sends a request head announcing a 1,000-byte body, then one byte a second; returns the
/// status line the server answered (if any) and how long the connection stayed open.
fn trickle(addr: &str, path: &str) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: conduit\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let mut last_byte = Instant::now();
    while started.elapsed() < Duration::from_secs(40) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
        if last_byte.elapsed() >= Duration::from_secs(1) {
            if stream.write_all(b" ").is_err() {
                break;
            }
            last_byte = Instant::now();
        }
    }
    let text = String::from_utf8_lossy(&answer);
    (
        text.lines().next().unwrap_or("").to_owned(),
        started.elapsed(),
    )
}

#[test]
fn slow_and_greedy_clients_are_cut_off_and_others_are_served() {
    let Some((_dir, stack)) = common::stack(
        &[
            ("HAPROXY_SOURCE_MAX_CONNS", "20"),
            ("HAPROXY_SOURCE_MAX_RATE", "200"),
        ],
        None,
    ) else {
        return;
    };
    let public = stack
        .state
        .public_url
        .trim_start_matches("http://")
        .to_owned();
    let port = |name: &str| {
        let proc = stack.state.procs.iter().find(|p| p.name == name).unwrap();
        format!("127.0.0.1:{}", proc.port)
    };
    let (experience, web) = (port("experience-1"), port("web-1"));

    // Three slow bodies at once: through HAProxy, and straight at a tier of each kind.
    let slow: Vec<_> = [
        (public.clone(), "/api/users"),
        (experience.clone(), "/api/users"),
        (web.clone(), "/login"),
    ]
    .into_iter()
    .map(|(addr, path)| std::thread::spawn(move || (addr.clone(), trickle(&addr, path))))
    .collect();
    // Meanwhile a visitor reads, a request at a time (well within the rate limit).
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let (status, _) = procs::http_get(&public, "/api/tags", Duration::from_secs(5)).unwrap();
        assert_eq!(status, 200);
        worst = worst.max(started.elapsed());
        std::thread::sleep(Duration::from_millis(400));
    }
    for handle in slow {
        let (addr, (status, open)) = handle.join().unwrap();
        eprintln!("slow body at {addr}: {status:?} after {open:?}");
        assert!(status.contains(" 408"), "{addr}: {status:?}");
        assert!(open < Duration::from_secs(14), "{addr} held it {open:?}");
    }
    eprintln!("slowest read meanwhile: {worst:?}");
    assert!(worst < Duration::from_secs(1), "{worst:?}");

    // /metrics: served on an instance's own port (the internal network), not publicly.
    assert_eq!(
        procs::http_get(&web, "/metrics", Duration::from_secs(5))
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        procs::http_get(&public, "/metrics", Duration::from_secs(5))
            .unwrap()
            .0,
        404
    );

    // Connections: past 20 at once from one address, HAProxy refuses more.
    let held: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(&public).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let refused = procs::http_get(&public, "/api/tags", Duration::from_secs(5));
    assert!(refused.is_err(), "{refused:?}");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));

    // Rate: past 200 requests in 10 s, 429 (JSON under /api) until the rate falls. Eight
    // clients at once (under the 20 connections), so that 260 requests take well under 10 s
    // even on a busy machine, where one client a request at a time may not outrun the rate.
    let sent = std::sync::atomic::AtomicUsize::new(0);
    let statuses: Vec<(u16, String)> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let mut got = Vec::new();
                    while sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 260 {
                        got.push(
                            procs::http_get(&public, "/api/tags", Duration::from_secs(5)).unwrap(),
                        );
                    }
                    got
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    assert_eq!(statuses.len(), 260);
    assert!(
        statuses.iter().all(|(s, _)| *s == 200 || *s == 429),
        "{:?}",
        statuses.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    let limited: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert!(limited.len() >= 40, "{} of 260 limited", limited.len());
    assert!(
        limited[0].1.contains("too many requests"),
        "{}",
        limited[0].1
    );
}
