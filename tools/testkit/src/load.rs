//! Bounded background load for failover and outage tests: anonymous reads of pages and the
//! API ([`Reads`]), and article writes through the API whose acknowledgements are kept
//! ([`Writes`]), so a test can check afterwards that nothing acknowledged was lost and
//! nothing was stored twice.
//!
//! Each load runs on its own thread with its own runtime and stops when asked (or at the
//! latest after [`MAX_RUN`]).
//!
//! A drill's load is steady, not saturating: each read client sends at most one request per
//! [`READ_PACE`] (8 clients: up to 400 requests a second, a request every 2.5 ms, so any
//! failure window longer than that is seen). What a drill asserts is that no request fails
//! while something is restarted, killed or rolled; how much the site serves flat out is the
//! load tests' question (`conduit-loadtest`). Flat-out readers made every drill take the whole
//! machine: CI runs several at once, and each one's requests then waited on the others' load
//! (reads up to 2.3 s, an API write past experience's 3 s limit to models: a 504).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// No load runs longer than this, whatever the test does.
pub const MAX_RUN: Duration = Duration::from_secs(300);

/// The least time between the starts of two requests of one read client.
pub const READ_PACE: Duration = Duration::from_millis(20);

/// A request's time limit: longer than any timeout of the stack, so a hang shows as one.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The article every site has in the demo data.
pub const DEMO_ARTICLE: &str = "why-your-pagination-query-is-slow";

/// The paths [`Reads`] asks for in turn: pages (cached and not) and API reads.
pub fn demo_paths() -> Vec<String> {
    vec![
        "/".to_owned(),
        format!("/article/{DEMO_ARTICLE}"),
        "/tag/rust".to_owned(),
        "/profile/ada".to_owned(),
        "/api/articles?limit=5".to_owned(),
        "/api/tags".to_owned(),
        format!("/api/articles/{DEMO_ARTICLE}"),
    ]
}

/// What a read load saw.
#[derive(Debug, Default, Clone)]
pub struct ReadReport {
    /// Requests answered 200 with a whole body.
    pub ok: u64,
    /// Every answer by `"<page|api> <status>"` (transport errors as `"<kind> error"`).
    pub by_kind: BTreeMap<String, u64>,
    /// Every request that did not get a whole 200, described (first 200 kept).
    pub failures: Vec<String>,
    /// How many requests failed in all.
    pub failed: u64,
    /// Answers no outage may produce: a 500, an API error that is not JSON, a page error
    /// that is not HTML, a cut body, a transport error or a timeout (first 200 kept).
    pub never_ok: Vec<String>,
    /// The slowest answer.
    pub slowest: Duration,
    /// When the last failure was seen, from the start of the load.
    pub last_failure: Option<Duration>,
}

impl ReadReport {
    /// Requests sent.
    pub fn sent(&self) -> u64 {
        self.ok + self.failed
    }

    /// One line for the test's output.
    pub fn summary(&self) -> String {
        format!(
            "{} sent, {} 200, {} failed, slowest {:?}, by kind {:?}",
            self.sent(),
            self.ok,
            self.failed,
            self.slowest,
            self.by_kind
        )
    }

    /// Panics unless every request got a whole 200.
    pub fn assert_no_failures(&self, what: &str) {
        eprintln!("{what}: {}", self.summary());
        assert!(self.ok > 50, "{what}: the load did not run ({})", self.ok);
        assert!(
            self.failed == 0,
            "{what}: {} of {} requests failed, first: {:?}",
            self.failed,
            self.sent(),
            &self.failures[..self.failures.len().min(5)]
        );
    }

    fn record(&mut self, kind: &str, status: Option<u16>, problem: Option<String>, at: Duration) {
        let key = match status {
            Some(s) => format!("{kind} {s}"),
            None => format!("{kind} error"),
        };
        *self.by_kind.entry(key).or_default() += 1;
        if status == Some(200) && problem.is_none() {
            self.ok += 1;
            return;
        }
        self.failed += 1;
        self.last_failure = Some(at);
        let never_ok = status.is_none_or(|s| s == 500) || problem.is_some();
        let line = format!("{kind} {status:?} {}", problem.unwrap_or_default());
        if never_ok && self.never_ok.len() < 200 {
            self.never_ok.push(line.clone());
        }
        if self.failures.len() < 200 {
            self.failures.push(line);
        }
    }
}

/// A bounded load of anonymous GETs against `base` from `clients` concurrent clients, each
/// paced to at most one request per [`READ_PACE`].
pub struct Reads {
    stop: Arc<AtomicBool>,
    report: Arc<Mutex<ReadReport>>,
    thread: Option<JoinHandle<()>>,
}

impl Reads {
    /// Starts `clients` clients asking for [`demo_paths`] in turn.
    pub fn start(base: &str, clients: usize) -> Reads {
        Self::start_paths(base, clients, demo_paths())
    }

    /// Starts `clients` clients asking for `paths` in turn.
    pub fn start_paths(base: &str, clients: usize, paths: Vec<String>) -> Reads {
        let stop = Arc::new(AtomicBool::new(false));
        let report = Arc::new(Mutex::new(ReadReport::default()));
        let (s, r, base) = (stop.clone(), report.clone(), base.to_owned());
        let thread = std::thread::spawn(move || {
            runtime().block_on(async move {
                let http = client();
                let started = Instant::now();
                let mut tasks = Vec::new();
                for c in 0..clients {
                    let (http, s, r, base, paths) = (
                        http.clone(),
                        s.clone(),
                        r.clone(),
                        base.clone(),
                        paths.clone(),
                    );
                    tasks.push(tokio::spawn(async move {
                        let mut i = c;
                        while !s.load(Ordering::Relaxed) && started.elapsed() < MAX_RUN {
                            let path = &paths[i % paths.len()];
                            i += 1;
                            let kind = if path.starts_with("/api") {
                                "api"
                            } else {
                                "page"
                            };
                            let sent = Instant::now();
                            let (status, problem) =
                                read_once(&http, &format!("{base}{path}")).await;
                            {
                                let mut report = r.lock().unwrap_or_else(|e| e.into_inner());
                                report.slowest = report.slowest.max(sent.elapsed());
                                let problem = problem.map(|p| format!("{path}: {p}"));
                                report.record(kind, status, problem, started.elapsed());
                            }
                            tokio::time::sleep_until((sent + READ_PACE).into()).await;
                        }
                    }));
                }
                for t in tasks {
                    let _ = t.await;
                }
            });
        });
        Reads {
            stop,
            report,
            thread: Some(thread),
        }
    }

    /// What the load has seen so far.
    pub fn report(&self) -> ReadReport {
        self.report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops the load and returns what it saw.
    pub fn finish(mut self) -> ReadReport {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.report()
    }
}

impl Drop for Reads {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One GET: its status, and what was wrong with the answer if anything (a cut body, an error
/// body of the wrong kind).
async fn read_once(http: &reqwest::Client, url: &str) -> (Option<u16>, Option<String>) {
    let response = match http.get(url).send().await {
        Ok(r) => r,
        Err(e) => return (None, Some(e.to_string())),
    };
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(e) => return (Some(status), Some(format!("body cut: {e}"))),
    };
    if status == 200 {
        return (Some(status), None);
    }
    let api = url.contains("/api");
    let well_formed = if api {
        content_type.starts_with("application/json")
            && serde_json::from_slice::<Value>(&body).is_ok_and(|v| v["errors"].is_object())
    } else {
        content_type.starts_with("text/html")
    };
    let problem = (!well_formed).then(|| {
        format!(
            "{content_type:?} body {:?}",
            String::from_utf8_lossy(&body[..body.len().min(120)])
        )
    });
    (Some(status), problem)
}

/// What a write load saw: the titles of the articles whose creation was acknowledged (2xx),
/// and of those that were refused, with the answer.
#[derive(Debug, Default, Clone)]
pub struct WriteReport {
    /// Titles answered 201.
    pub acknowledged: Vec<String>,
    /// (title, status or transport error) of every write not answered 2xx.
    pub refused: Vec<(String, String)>,
    /// Refusals no outage may produce: a 500, an error body that is not the API's JSON (but
    /// for a proxy's 502/504), a transport error other than a timeout.
    pub never_ok: Vec<String>,
}

impl WriteReport {
    /// One line for the test's output.
    pub fn summary(&self) -> String {
        let mut by_answer: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, answer) in &self.refused {
            *by_answer.entry(answer.as_str()).or_default() += 1;
        }
        format!(
            "{} writes sent, {} acknowledged, {} refused {:?}",
            self.acknowledged.len() + self.refused.len(),
            self.acknowledged.len(),
            self.refused.len(),
            by_answer
        )
    }
}

/// What a [`Writes`] load writes.
#[derive(Debug, Clone)]
pub enum WriteKind {
    /// Articles through the API (`POST /api/articles`), acknowledged by a 2xx.
    ApiArticles,
    /// Comments on article `slug` through the web tier's form (`POST
    /// /article/<slug>/comments` with the session and CSRF cookies a browser would hold),
    /// acknowledged by the redirect back to the article.
    FormComments {
        /// The article commented on.
        slug: String,
    },
}

/// One client writing through the API or the web forms, one write after another, as a
/// signed-up user; every write carries a unique text (`<prefix> <n>`) to find it by later.
pub struct Writes {
    stop: Arc<AtomicBool>,
    held: Arc<AtomicBool>,
    report: Arc<Mutex<WriteReport>>,
    thread: Option<JoinHandle<()>>,
}

impl Writes {
    /// Starts publishing articles titled `<prefix> <n>` with `token`, `pause` apart.
    pub fn start(base: &str, token: &str, prefix: &str, pause: Duration) -> Writes {
        Self::start_kind(base, token, prefix, pause, WriteKind::ApiArticles)
    }

    /// Starts writing `kind` with texts `<prefix> <n>` as the holder of `token`, `pause`
    /// apart.
    pub fn start_kind(
        base: &str,
        token: &str,
        prefix: &str,
        pause: Duration,
        kind: WriteKind,
    ) -> Writes {
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(AtomicBool::new(false));
        let report = Arc::new(Mutex::new(WriteReport::default()));
        let (s, h, r) = (stop.clone(), held.clone(), report.clone());
        let (base, token, prefix) = (base.to_owned(), token.to_owned(), prefix.to_owned());
        let thread = std::thread::spawn(move || {
            runtime().block_on(async move {
                // Redirects are answers here: the form's success is its 303.
                let http = reqwest::Client::builder()
                    .timeout(REQUEST_TIMEOUT)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap_or_else(|e| panic!("an HTTP client: {e}"));
                // The forms' CSRF token is bound to the session: read it off the article
                // page, as a browser does, for this session and CSRF cookie.
                let nonce = format!("{:032x}", fastrand::u128(..));
                let cookies = format!("conduit_session={token}; conduit_csrf={nonce}");
                let csrf = match &kind {
                    WriteKind::FormComments { slug } => {
                        form_token(&http, &format!("{base}/article/{slug}"), &cookies).await
                    }
                    WriteKind::ApiArticles => String::new(),
                };
                let started = Instant::now();
                let mut n = 0u64;
                while !s.load(Ordering::Relaxed) && started.elapsed() < MAX_RUN {
                    if h.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                    n += 1;
                    let text = format!("{prefix} {n}");
                    let request = match &kind {
                        WriteKind::ApiArticles => http
                            .post(format!("{base}/api/articles"))
                            .header("authorization", format!("Token {token}"))
                            .json(&json!({"article": {"title": text, "description": "written under load",
                                "body": "Counted before and after.", "tagList": ["load"]}})),
                        WriteKind::FormComments { slug } => http
                            .post(format!("{base}/article/{slug}/comments"))
                            .header("cookie", &cookies)
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(format!("body={}&csrf={csrf}", form_encode(&text))),
                    };
                    let (acked, answer, wrong) = write_once(request, &kind, &text).await;
                    {
                        let mut report = r.lock().unwrap_or_else(|e| e.into_inner());
                        report.never_ok.extend(wrong);
                        if acked {
                            report.acknowledged.push(text);
                        } else {
                            report.refused.push((text, answer));
                        }
                    }
                    tokio::time::sleep(pause).await;
                }
            });
        });
        Writes {
            stop,
            held,
            report,
            thread: Some(thread),
        }
    }

    /// Holds the writes (`true`: the write in flight finishes, no new one starts) or lets
    /// them go on: a test can have pages cached after the last write before an outage.
    pub fn hold(&self, held: bool) {
        self.held.store(held, Ordering::Relaxed);
    }

    /// Stops the load and returns what it saw.
    pub fn finish(mut self) -> WriteReport {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Sends one write: (acknowledged, the refusal's answer, what no outage may give).
async fn write_once(
    request: reqwest::RequestBuilder,
    kind: &WriteKind,
    text: &str,
) -> (bool, String, Option<String>) {
    let answer = match request.send().await {
        Ok(a) => a,
        Err(e) => {
            let wrong = (!e.is_timeout()).then(|| format!("{text}: {e}"));
            return (false, "error".to_owned(), wrong);
        }
    };
    let status = answer.status().as_u16();
    let header = |name| {
        answer
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (location, content_type) = (header("location"), header("content-type"));
    let body = answer.bytes().await.unwrap_or_default();
    let acked = match kind {
        WriteKind::ApiArticles => (200..300).contains(&status),
        WriteKind::FormComments { .. } => status == 303 && location.starts_with("/article/"),
    };
    if acked {
        return (true, String::new(), None);
    }
    // The tiers answer every error in kind (the API's JSON, the site's page); only a
    // proxy's own 502/504 (a connection lost mid-request) may be anything else.
    let in_kind = match kind {
        WriteKind::ApiArticles => {
            serde_json::from_slice::<Value>(&body).is_ok_and(|v| v["errors"].is_object())
        }
        WriteKind::FormComments { .. } => content_type.starts_with("text/html"),
    };
    let wrong = (status == 500 || (!in_kind && !matches!(status, 502 | 504)))
        .then(|| format!("{text}: {status} {content_type:?}"));
    (false, status.to_string(), wrong)
}

/// `application/x-www-form-urlencoded` for one value.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Drop for Writes {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Signs up `username` through the API at `base` and returns the token.
pub fn sign_up(base: &str, username: &str) -> Result<String, String> {
    let body = json!({"user": {"username": username, "email": format!("{username}@load.example"),
        "password": "load-test-password"}});
    post_json(base, "/api/users", None, &body, "/user/token")
}

/// POSTs `body` to `base``path` (as the holder of `token`, if any) and returns the string
/// at JSON `pointer` of a 2xx answer.
fn post_json(
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
    pointer: &str,
) -> Result<String, String> {
    runtime().block_on(async {
        let mut request = client().post(format!("{base}{path}")).json(body);
        if let Some(token) = token {
            request = request.header("authorization", format!("Token {token}"));
        }
        let answer = request.send().await.map_err(|e| e.to_string())?;
        let status = answer.status();
        let value: Value = answer.json().await.map_err(|e| e.to_string())?;
        match value.pointer(pointer).and_then(Value::as_str) {
            Some(found) if status.is_success() => Ok(found.to_owned()),
            _ => Err(format!("POST {path} answered {status}: {value}")),
        }
    })
}

/// The titles of every article by `author`, newest first, read through the API at `base`
/// (all pages).
pub fn titles_by(base: &str, author: &str) -> Result<Vec<String>, String> {
    runtime().block_on(async {
        let http = client();
        let mut titles = Vec::new();
        loop {
            let url = format!(
                "{base}/api/articles?author={author}&limit=100&offset={}",
                titles.len()
            );
            let answer = http.get(&url).send().await.map_err(|e| e.to_string())?;
            if !answer.status().is_success() {
                return Err(format!("{url}: {}", answer.status()));
            }
            let page: Value = answer.json().await.map_err(|e| e.to_string())?;
            let articles = page["articles"].as_array().cloned().unwrap_or_default();
            if articles.is_empty() {
                return Ok(titles);
            }
            titles.extend(
                articles
                    .iter()
                    .filter_map(|a| a["title"].as_str().map(str::to_owned)),
            );
        }
    })
}

/// [`check_stored`] for the articles written by `author` through the API whose titles start
/// with `prefix` (a [`Writes`] load's). Returns (acknowledged, stored).
pub fn check_writes(
    base: &str,
    author: &str,
    prefix: &str,
    report: &WriteReport,
) -> (usize, usize) {
    check_prefixed(titles_by(base, author), prefix, report)
}

/// [`check_stored`] for comments on `slug` whose texts start with `prefix`. Returns
/// (acknowledged, stored).
pub fn check_comments(
    base: &str,
    slug: &str,
    prefix: &str,
    report: &WriteReport,
) -> (usize, usize) {
    check_prefixed(comments_on(base, slug), prefix, report)
}

/// [`check_stored`] for the texts of `read` that start with `prefix`.
fn check_prefixed(
    read: Result<Vec<String>, String>,
    prefix: &str,
    report: &WriteReport,
) -> (usize, usize) {
    let stored: Vec<String> = read
        .unwrap_or_else(|e| panic!("reading back the writes: {e}"))
        .into_iter()
        .filter(|t| t.starts_with(&format!("{prefix} ")))
        .collect();
    check_stored(&stored, report)
}

/// The bodies of every comment on `slug`, through the API at `base`.
pub fn comments_on(base: &str, slug: &str) -> Result<Vec<String>, String> {
    runtime().block_on(async {
        let url = format!("{base}/api/articles/{slug}/comments");
        let answer = client().get(&url).send().await.map_err(|e| e.to_string())?;
        if !answer.status().is_success() {
            return Err(format!("{url}: {}", answer.status()));
        }
        let page: Value = answer.json().await.map_err(|e| e.to_string())?;
        Ok(page["comments"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["body"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    })
}

/// Checks `report` against what is `stored`: every acknowledged write is there, none is
/// there twice, and a refused write is there only when its answer could have been lost after
/// the commit (a proxy's 502/504, a timeout or a transport error, never a 4xx/503 the tiers
/// gave). Returns (acknowledged, stored).
pub fn check_stored(stored: &[String], report: &WriteReport) -> (usize, usize) {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for t in stored {
        *counts.entry(t.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "stored more than once (a replayed POST): {twice:?}"
    );
    let lost: Vec<_> = report
        .acknowledged
        .iter()
        .filter(|t| !counts.contains_key(t.as_str()))
        .collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let wrongly_stored: Vec<_> = report
        .refused
        .iter()
        .filter(|(t, answer)| {
            counts.contains_key(t.as_str()) && !matches!(answer.as_str(), "502" | "504" | "error")
        })
        .collect();
    assert!(
        wrongly_stored.is_empty(),
        "refused yet stored: {wrongly_stored:?}"
    );
    (report.acknowledged.len(), stored.len())
}

/// One GET: status, headers (lower-case names) and body; `Err` when there was no answer.
pub fn get(url: &str) -> Result<(u16, HashMap<String, String>, String), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let answer = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = answer.text().await.map_err(|e| format!("{url}: {e}"))?;
        Ok((status, headers, body))
    })
}

/// Polls `ready` every 250 ms until it is true: how long that took, or an error naming
/// `what` after `timeout`.
pub fn wait_until(
    timeout: Duration,
    what: &str,
    mut ready: impl FnMut() -> bool,
) -> Result<Duration, String> {
    let started = Instant::now();
    loop {
        if ready() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > timeout {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Publishes one article titled `title` through the API as the holder of `token`; its slug.
pub fn publish(base: &str, token: &str, title: &str) -> Result<String, String> {
    let body = json!({"article": {"title": title, "description": "one write",
        "body": "Published by a test.", "tagList": []}});
    post_json(base, "/api/articles", Some(token), &body, "/article/slug")
}

/// One API call: `method` `base``path`, as the holder of `token` (if any), with a JSON
/// `body` (if any); the status and the JSON answer (`Null` when empty).
pub fn api(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    runtime().block_on(async {
        let mut request = client().request(method, format!("{base}{path}"));
        if let Some(token) = token {
            request = request.header("authorization", format!("Token {token}"));
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let answer = request.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = answer.status().as_u16();
        let text = answer.text().await.map_err(|e| format!("{path}: {e}"))?;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| format!("{path}: {e}: {text}"))?
        };
        Ok((status, value))
    })
}

/// Data written through the API at `base` for a backup round trip: two users (`<prefix>-a`
/// follows `<prefix>-b`), an article each, a favorite and a comment on `<prefix>-a`'s.
#[derive(Debug, Clone)]
pub struct Sample {
    prefix: String,
    a: String,
    b: String,
    slug: String,
}

impl Sample {
    /// Writes the sample; every write must succeed.
    pub fn write(base: &str, prefix: &str) -> Result<Sample, String> {
        let (a, b) = (
            sign_up(base, &format!("{prefix}-a"))?,
            sign_up(base, &format!("{prefix}-b"))?,
        );
        let call = |method: &str, path: &str, token: &str, body: Option<Value>| {
            let (status, answer) = api(base, method, path, Some(token), body.as_ref())?;
            if (200..300).contains(&status) {
                Ok(())
            } else {
                Err(format!("{method} {path}: {status} {answer}"))
            }
        };
        call(
            "POST",
            &format!("/api/profiles/{prefix}-b/follow"),
            &a,
            None,
        )?;
        let slug = publish(base, &a, &format!("{prefix}: kept through a restore"))?;
        publish(base, &b, &format!("{prefix}: followed through a restore"))?;
        call("POST", &format!("/api/articles/{slug}/favorite"), &b, None)?;
        let comment = json!({"comment": {"body": "Still here after the restore."}});
        call(
            "POST",
            &format!("/api/articles/{slug}/comments"),
            &b,
            Some(comment),
        )?;
        Ok(Sample {
            prefix: prefix.to_owned(),
            a,
            b,
            slug,
        })
    }

    /// What the API answers about the sample, as (path, status, body): the user, both
    /// profiles (following), the articles by author, favorited and in the feed, the article
    /// and its comments.
    pub fn answers(&self, base: &str) -> Vec<(String, u16, Value)> {
        let p = &self.prefix;
        let (a, b) = (self.a.as_str(), self.b.as_str());
        [
            ("/api/user".to_owned(), a),
            (format!("/api/profiles/{p}-b"), a),
            (format!("/api/profiles/{p}-a"), b),
            (format!("/api/articles?author={p}-a&limit=100"), b),
            (format!("/api/articles?favorited={p}-b&limit=100"), a),
            ("/api/articles/feed?limit=100".to_owned(), a),
            (format!("/api/articles/{}", self.slug), b),
            (format!("/api/articles/{}/comments", self.slug), a),
        ]
        .into_iter()
        .map(|(path, token)| {
            let (status, body) =
                api(base, "GET", &path, Some(token), None).unwrap_or((0, Value::Null));
            (path, status, body)
        })
        .collect()
    }

    /// The sample article's slug.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// The sample article's API path, asked past the API read cache: a parameter no endpoint
    /// reads is never kept. (The signed-in reads of [`Sample::answers`] keep the article's
    /// anonymous answer, which the cache serves until a write: a check that the database
    /// lost the article must ask models.)
    pub fn article_past_the_cache(&self) -> String {
        format!("/api/articles/{}?past-the-cache=1", self.slug)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("a runtime for the load: {e}"))
}

/// Asks for gzip as every browser does (sent by hand: whether reqwest's gzip feature is on
/// depends on which crates are built with it); bodies are read as they come, so a cut one is
/// an error.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_ENCODING,
            reqwest::header::HeaderValue::from_static("gzip"),
        )]))
        .build()
        .unwrap_or_else(|e| panic!("an HTTP client: {e}"))
}

/// The CSRF token of the first form on the page at `url`, fetched with `cookies`.
async fn form_token(http: &reqwest::Client, url: &str, cookies: &str) -> String {
    let page = http
        .get(url)
        .header("cookie", cookies)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let marker = "name=\"csrf\" value=\"";
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("{url}: no form with a CSRF token"))
        + marker.len();
    page[at..].split('"').next().unwrap_or_default().to_owned()
}
