//! The browser-test harness: a real headless Chromium driven through WebDriver
//! (chromedriver + fantoccini) against the running site.
//!
//! - The site: the HAProxy stack (`conduit-stack`, two instances of every tier, PostgreSQL,
//!   memcached) when HAProxy, memcached and PostgreSQL are installed, else the all-in-one
//!   site (the three tiers in this process over SQLite, in-process page cache). Started
//!   once per test process, stopped when it exits.
//! - chromedriver on a free port, once per process; every scenario opens its own session,
//!   so its own fresh browser profile, with flags that work offline.
//! - [`scenario`] runs a test body; when it fails, a screenshot and the page's HTML are
//!   saved under `target/browser-failures/<scenario>/` and their paths printed.
//!
//! Without Chromium or chromedriver the scenarios print why and pass; under `CI=true` that
//! is a failure.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// How long a page may take to show what a step waits for.
pub const WAIT: Duration = Duration::from_secs(15);

/// The site under test and the driver.
#[derive(Debug)]
pub struct Harness {
    /// Base URL of the site, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// `stack` (HAProxy, two instances per tier) or `all-in-one`.
    pub kind: &'static str,
    driver: String,
}

static HARNESS: OnceLock<Result<Harness, String>> = OnceLock::new();

/// The harness, started on first use; `None` (the reason printed) when the browser is
/// missing outside CI.
pub fn harness() -> Option<&'static Harness> {
    let found = HARNESS.get_or_init(start).as_ref().map_err(Clone::clone);
    conduit_testkit::require("Chromium and chromedriver", found)
}

fn chromium() -> Result<PathBuf, String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|b| conduit_servers::procs::on_path(b))
        .ok_or_else(|| {
            "no chromium on PATH (Debian: apt-get install chromium chromium-driver)".into()
        })
}

fn start() -> Result<Harness, String> {
    chromium()?;
    let chromedriver = conduit_servers::procs::on_path("chromedriver")
        .ok_or("no chromedriver on PATH (Debian: apt-get install chromium-driver)")?;
    let dir = tempfile::Builder::new()
        .prefix("conduit-browser-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let port = conduit_servers::free_port()?;
    let command = format!(
        "exec {} --port={port} --allowed-ips=127.0.0.1 > {}/chromedriver.log 2>&1",
        chromedriver.display(),
        dir.display()
    );
    conduit_servers::spawn_guarded(&format!("sh -c '{command}'"), "TERM", &dir)?;
    if !conduit_servers::wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(10)) {
        return Err(format!(
            "chromedriver did not start; see {}/chromedriver.log",
            dir.display()
        ));
    }
    let (base, kind) = match stack_site() {
        Ok(base) => (base, "stack"),
        Err(why) if conduit_testkit::in_ci() => {
            return Err(format!("the stack did not start: {why}"));
        }
        Err(why) => {
            eprintln!(
                "browser tests: the HAProxy stack is not available ({why}); using the all-in-one site"
            );
            (all_in_one_site()?, "all-in-one")
        }
    };
    Ok(Harness {
        base,
        kind,
        driver: format!("http://127.0.0.1:{port}"),
    })
}

/// The HAProxy stack, stopped by a watchdog when this process exits.
fn stack_site() -> Result<String, String> {
    for bin in ["haproxy", "memcached"] {
        conduit_servers::procs::on_path(bin).ok_or(format!("no {bin} on PATH"))?;
    }
    conduit_servers::postgres::postgres_bin_dir()?;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::Builder::new()
        .prefix("conduit-browser-stack-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let config = conduit_stack::StackConfig {
        dir,
        bin_dir: conduit_stack::tier_binaries_of_this_build()?,
        haproxy_config: repo.join("deploy/haproxy/haproxy.cfg"),
        fixtures: Some(repo.join("fixtures/demo.json")),
        instances: 2,
        public_port: 0,
        stats_port: 0,
        log_filter: "info".to_owned(),
        // Every scenario's visitor comes from 127.0.0.1.
        tls_certs: None,
        process_env: conduit_stack::LOAD_TEST_ENV
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let stack = conduit_stack::Stack::up(&config)?;
    stack.down_when_gone(std::process::id())?;
    Ok(stack.state.public_url.clone())
}

/// The three tiers in this process, as `cargo run` has them, on free ports.
fn all_in_one_site() -> Result<String, String> {
    let (url, guard) =
        conduit_testkit::databases::fresh(conduit_testkit::databases::Backend::Sqlite)
            .ok_or("no SQLite database")?;
    let listeners: Vec<std::net::TcpListener> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let addr = |l: &std::net::TcpListener| {
        l.local_addr()
            .map(|a| format!("http://{a}"))
            .unwrap_or_default()
    };
    let (models_url, experience_url, web_url) = (
        addr(&listeners[0]),
        addr(&listeners[1]),
        addr(&listeners[2]),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let web_base = web_url.clone();
    std::thread::spawn(move || {
        let _keep = guard;
        actix_web::rt::System::new().block_on(async move {
            let mut it = listeners.into_iter();
            let (lm, le, lw) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
            let cache = conduit_cache::CacheConfig::in_process();
            let started = (|| {
                let ms = models::Settings::for_database(&url);
                let credential = ms.credential()?;
                let models = models::run(lm, &ms)?;
                let mut es = experience::Settings::for_models(&models_url, credential.clone());
                es.page_cache = cache.clone();
                // Every scenario's visitor signs up from 127.0.0.1.
                es.signup_max_per_hour = 1_000_000;
                let experience = experience::run(le, &es)?;
                let mut ws = web::Settings::for_experience(&experience_url, credential);
                ws.page_cache = cache;
                let web = web::run(lw, &ws)?;
                Ok::<_, std::io::Error>((models, experience, web))
            })();
            match started {
                Ok((m, e, w)) => {
                    let _ = tx.send(Ok(()));
                    let _ = tokio::join!(m, e, w);
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        });
    });
    rx.recv().map_err(|e| e.to_string())??;
    Ok(web_base)
}

/// One browser session (a fresh profile), with the steps the scenarios use.
#[derive(Clone)]
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    base: String,
}

impl Browser {
    /// Opens a session; `javascript: false` turns scripts off in the profile.
    pub async fn open(h: &Harness, javascript: bool) -> Browser {
        let mut options = serde_json::json!({
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--window-size=1280,1400",
            ],
        });
        if let Ok(bin) = chromium() {
            options["binary"] = serde_json::json!(bin);
        }
        if !javascript {
            options["prefs"] =
                serde_json::json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".to_owned(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&h.driver)
            .await
            .unwrap_or_else(|e| panic!("no browser session: {e}"));
        Browser {
            client,
            base: h.base.clone(),
        }
    }

    /// Loads `path` of the site.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    /// The current path (and query).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        let mut path = url.path().to_owned();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        path
    }

    /// Waits for `css` to be on the page, and returns it.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("no {css} on {}: {e}", self.path_now().await),
        }
    }

    async fn path_now(&self) -> String {
        self.client
            .current_url()
            .await
            .map_or_else(|_| "?".to_owned(), |u| u.to_string())
    }

    /// Waits until the path is `path`.
    pub async fn wait_path(&self, path: &str) {
        let deadline = std::time::Instant::now() + WAIT;
        while self.path().await != path {
            assert!(
                std::time::Instant::now() < deadline,
                "still on {} instead of {path}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every element matching `css` now (no wait).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.all(css).await.len()
    }

    /// The trimmed text of the first `css` (waits for it).
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap().trim().to_owned()
    }

    /// The trimmed texts of every `css` now.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.all(css).await {
            out.push(e.text().await.unwrap_or_default().trim().to_owned());
        }
        out
    }

    /// Attribute `name` of the first `css` (waits for it).
    pub async fn attr(&self, css: &str, name: &str) -> String {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Replaces the value of the field `css` with `text` (keys typed as a user would).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Clicks the first `css` (every click here submits a form or follows a link) and waits
    /// until the page it leads to has replaced this one. Without the wait a read right after
    /// the click can find the old page's element, which then goes stale (seen in CI: a form
    /// that posts and redirects back to the same path, so `wait_path` passed at once).
    pub async fn click(&self, css: &str) {
        let old = self.find("html").await;
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        let deadline = std::time::Instant::now() + WAIT;
        // The old document's root goes stale once the new document has replaced it.
        while !old
            .tag_name()
            .await
            .is_err_and(|e| e.is_stale_element_reference())
        {
            assert!(
                std::time::Instant::now() < deadline,
                "clicking {css} on {} led to no new page",
                self.path_now().await
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Signs up `name` (`<name>@browser.example`, password `password-123`) through the form.
    pub async fn sign_up(&self, name: &str) {
        self.goto("/register").await;
        self.fill("input[name=username]", name).await;
        self.fill("input[name=email]", &format!("{name}@browser.example"))
            .await;
        self.fill("input[name=password]", "password-123").await;
        self.click("form button[type=submit]").await;
        self.wait_signed_in(name).await;
    }

    /// Signs in through the form.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", password).await;
        self.click("form button[type=submit]").await;
    }

    /// Signs out with the button on the settings page.
    pub async fn sign_out(&self) {
        self.goto("/settings").await;
        self.click("form button.btn-outline-danger").await;
        self.find("a.nav-link[href='/login']").await;
    }

    /// Waits until the header shows `name` signed in.
    pub async fn wait_signed_in(&self, name: &str) {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let names = self
                .texts("ul.navbar-nav a.nav-link:has(img.user-pic)")
                .await;
            if names.iter().any(|n| n == name) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "not signed in as {name} on {}: header {names:?}",
                self.path_now().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Publishes an article through the editor; tags are typed one by one, each followed
    /// by Enter (with scripts on they become pills; without, `tags_text` is typed instead).
    /// Returns the article's path.
    pub async fn publish(&self, title: &str, body: &str, tags: &[&str]) -> String {
        self.goto("/editor").await;
        self.fill("input[name=title]", title).await;
        self.fill("input[name=description]", "Written in a real browser")
            .await;
        self.fill("textarea[name=body]", body).await;
        let input = self.find("input[data-tag-input]").await;
        for tag in tags {
            input.send_keys(&format!("{tag}\u{E007}")).await.unwrap();
        }
        self.click("button[type=submit]").await;
        self.find("div.article-page h1").await;
        self.path().await
    }

    /// Ends the session (closes the browser).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Runs one scenario in a fresh browser: on a panic, saves a screenshot and the page's HTML
/// under `target/browser-failures/<name>/`, prints their paths, and fails.
pub async fn scenario<F, Fut>(name: &str, javascript: bool, body: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(h) = harness() else {
        return;
    };
    let browser = Browser::open(h, javascript).await;
    let started = std::time::Instant::now();
    let outcome = tokio::spawn(body(browser.clone())).await;
    if let Err(failure) = outcome {
        let dir = failures_dir().join(name);
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = browser.client.screenshot().await {
            let path = dir.join("screenshot.png");
            if std::fs::write(&path, png).is_ok() {
                eprintln!("{name}: screenshot saved to {}", path.display());
            }
        }
        if let Ok(html) = browser.client.source().await {
            let path = dir.join("page.html");
            if std::fs::write(&path, html).is_ok() {
                eprintln!("{name}: page HTML saved to {}", path.display());
            }
        }
        browser.close().await;
        match failure.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    browser.close().await;
    eprintln!("scenario {name} ({}): {:.1?}", h.kind, started.elapsed());
}

/// `target/browser-failures`, next to this build's `target/<profile>`.
fn failures_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("browser-failures")
}
