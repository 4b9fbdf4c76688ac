//! The `models` binary itself: `migrate`, `loaddata`, `serve`, and a graceful stop on SIGTERM
//! (drain with `/ready` at 503, then stop).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_models"))
}

#[actix_web::test]
async fn the_binary_migrates_loads_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bin.sqlite3").display());
    let status = bin()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .status()
        .unwrap();
    assert!(status.success());
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/demo.json");
    for _ in 0..2 {
        let out = bin()
            .args(["loaddata", fixtures])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = bin()
        .env("DATABASE_URL", &url)
        .env(
            "INTERNAL_CREDENTIAL",
            conduit_testkit::credential().secret().expose(),
        )
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("SHUTDOWN_DRAIN_MS", "1500")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = conduit_testkit::internal_http();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match http.get(format!("{base}/ready")).send().await {
            Ok(r) if r.status().is_success() => break,
            _ if Instant::now() > deadline => panic!("models did not get ready"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let list: serde_json::Value = http
        .get(format!("{base}/articles?limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["articles_count"], 60, "loading twice added nothing");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // Draining: still serving, but no longer ready, so a load balancer takes it out first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ready = http.get(format!("{base}/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["status"],
        "draining"
    );
    let served = http
        .get(format!("{base}/articles?limit=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        served.status(),
        200,
        "requests are still served while draining"
    );
    assert!(child.try_wait().unwrap().is_none());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "a graceful stop exits 0: {status}");
}

#[test]
fn bad_configuration_fails_at_start_with_one_clear_line() {
    let out = bin().env("DATABASE_POOL_SIZE", "lots").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "models: configuration error: DATABASE_POOL_SIZE: cannot parse \"lots\": invalid digit found in string"
    );
}
