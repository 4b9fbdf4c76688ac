//! What `cargo run` gives a newcomer: the `conduit` binary serves the whole site (web,
//! the API, models over SQLite with the demo data), and stops cleanly on SIGTERM. Run on free
//! ports and a database in a temporary directory, so it never meets a copy already running.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use conduit_servers::{free_port, signal};

struct Launcher {
    child: Child,
    web: String,
    api: String,
    _dir: tempfile::TempDir,
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary and waits for its "is running" line.
fn launch() -> Launcher {
    launch_with(&[])
}

/// [`launch`] with `env` set too.
fn launch_with(env: &[(&str, &str)]) -> Launcher {
    let dir = tempfile::tempdir().unwrap();
    let ports = [
        free_port().unwrap(),
        free_port().unwrap(),
        free_port().unwrap(),
    ];
    let [web, experience, models] = ports.map(|p| format!("127.0.0.1:{p}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_conduit"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("conduit.sqlite3").display()),
        )
        .env("WEB_BIND", &web)
        .env("EXPERIENCE_BIND", &experience)
        .env("MODELS_BIND", &models)
        .env_remove("MEMCACHED_URL")
        .env_remove("SIGNUP_MAX_PER_HOUR")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read on a thread to the end (a closed pipe would fail the process's later writes).
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if line.starts_with("Conduit is running at") {
                let _ = tx.send(line);
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("no \"Conduit is running\" line within 30 s");
    Launcher {
        child,
        web: format!("http://{web}"),
        api: format!("http://{experience}/api"),
        _dir: dir,
    }
}

async fn get(url: &str) -> (u16, String) {
    let res = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    (res.status().as_u16(), res.text().await.unwrap())
}

#[actix_web::test]
async fn the_binary_serves_pages_and_the_api_over_the_demo_data_and_stops_on_sigterm() {
    let mut site = launch();
    let (status, home) = get(&format!("{}/", site.web)).await;
    assert_eq!(status, 200, "{home}");
    assert!(
        home.contains("article-preview"),
        "the demo articles are listed"
    );
    let (status, tags) = get(&format!("{}/tags", site.api)).await;
    assert_eq!(status, 200);
    assert!(tags.contains("rust"), "{tags}");
    let login = reqwest::Client::new()
        .post(format!("{}/users/login", site.api))
        .json(&serde_json::json!({"user": {"email": "ada@conduit.example", "password": "conduit-demo"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "the README's demo sign-in works");
    assert!(
        home.contains("Demo mode: this site holds demo accounts whose password is public"),
        "every page says it is a demo"
    );
    // The signing key: random, private, beside the database; no built-in one.
    let key = site._dir.path().join("jwt-secret");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 64);

    signal(site.child.id(), "TERM").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = site.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn sign_up(api: &str, name: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{api}/users"))
        .json(&serde_json::json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": "a long enough password"}}))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap_or_else(|e| panic!("sign-up {name}: {e}"))
        .status()
        .as_u16()
}

/// The launcher reads a tier's variables as that tier's binary does (here experience's
/// `SIGNUP_MAX_PER_HOUR`), and its embedded default lets a client's end-to-end suite sign up
/// a user in every test from one address: more than the 20 an hour a deployed tier allows.
#[actix_web::test]
async fn sign_ups_from_one_address_follow_the_environment_and_the_embedded_default() {
    let limited = launch_with(&[("SIGNUP_MAX_PER_HOUR", "2")]);
    let mut answers = Vec::new();
    for n in 0..3 {
        answers.push(sign_up(&limited.api, &format!("limited{n}")).await);
    }
    assert_eq!(answers, [201, 201, 429]);
    drop(limited);

    let site = launch();
    for n in 0..25 {
        assert_eq!(
            sign_up(&site.api, &format!("suite{n}")).await,
            201,
            "sign-up {n}"
        );
    }
}
