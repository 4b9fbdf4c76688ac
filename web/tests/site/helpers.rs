//! `Site`: web + experience + models on port 0 over a fresh SQLite database with the demo data,
//! and a browser-like client (cookie jar, no automatic redirects) that reads pages with a real
//! HTML parser.

use std::net::TcpListener;

use conduit_cache::CacheConfig;
use conduit_testkit::databases::{self, Backend, Guard};
use scraper::{Html, Selector};

pub struct Site {
    pub address: String,
    pub experience_url: String,
    pub http: reqwest::Client,
    _guard: Option<Guard>,
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub html: Html,
}

impl Page {
    pub fn all(&self, selector: &str) -> Vec<scraper::ElementRef<'_>> {
        let s = Selector::parse(selector).unwrap_or_else(|e| panic!("{selector}: {e:?}"));
        self.html.select(&s).collect()
    }

    pub fn count(&self, selector: &str) -> usize {
        self.all(selector).len()
    }

    pub fn text(&self, selector: &str) -> String {
        self.all(selector)
            .first()
            .map(|e| e.text().collect::<String>().trim().to_owned())
            .unwrap_or_else(|| panic!("no {selector} in {}", self.html.html()))
    }

    pub fn texts(&self, selector: &str) -> Vec<String> {
        self.all(selector)
            .iter()
            .map(|e| e.text().collect::<String>().trim().to_owned())
            .collect()
    }

    pub fn attr(&self, selector: &str, attr: &str) -> String {
        self.all(selector)
            .first()
            .and_then(|e| e.value().attr(attr))
            .unwrap_or_else(|| panic!("no {selector}[{attr}]"))
            .to_owned()
    }

    pub fn x_cache(&self) -> &str {
        self.headers
            .get("x-cache")
            .map_or("", |v| v.to_str().unwrap())
    }

    pub fn csrf(&self) -> String {
        self.attr("input[name=csrf]", "value")
    }

    pub fn location(&self) -> String {
        self.headers["location"].to_str().unwrap().to_owned()
    }

    pub fn signed_in_as(&self) -> Option<String> {
        self.all("ul.navbar-nav a.nav-link img.user-pic")
            .first()
            .and_then(|img| img.parent())
            .and_then(scraper::ElementRef::wrap)
            .map(|a| a.text().collect::<String>().trim().to_owned())
    }
}

async fn metrics(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub fn free_addr() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = format!("http://{}", l.local_addr().unwrap());
    (l, a)
}

impl Site {
    /// The site with the in-process page cache, as `cargo run` has it.
    pub fn spawn() -> Site {
        Self::spawn_with_cache(CacheConfig::in_process())
    }

    /// The site with `cache` shared by experience (which bumps it) and web (which reads it).
    pub fn spawn_with_cache(cache: CacheConfig) -> Site {
        Self::spawn_with(cache, |_| {}, |_| {})
    }

    /// The site with `cache`, and experience's and web's settings changed by `tweak_*`.
    pub fn spawn_with(
        cache: CacheConfig,
        tweak_experience: impl FnOnce(&mut experience::Settings),
        tweak_web: impl FnOnce(&mut web::Settings),
    ) -> Site {
        let (url, guard) = databases::fresh(Backend::Sqlite).expect("SQLite is always there");
        let (l, models_url) = free_addr();
        let mut s = models::Settings::for_database(&url);
        s.internal_credential = Some(conduit_testkit::credential());
        s.workers = Some(1);
        actix_web::rt::spawn(models::run(l, &s).unwrap());
        let (l, experience_url) = free_addr();
        let mut s = experience::Settings::for_models(&models_url, conduit_testkit::credential());
        s.workers = Some(1);
        // Every test visitor signs up from 127.0.0.1.
        s.signup_max_per_hour = 1_000_000;
        s.page_cache = cache.clone();
        tweak_experience(&mut s);
        actix_web::rt::spawn(experience::run(l, &s).unwrap());
        Self::web_in_front_of(&experience_url, Some(guard), cache, tweak_web)
    }

    /// A web instance in front of `experience_url` (anything, for fault tests).
    pub fn in_front_of(experience_url: &str, guard: Option<Guard>, cache: CacheConfig) -> Site {
        Self::web_in_front_of(experience_url, guard, cache, |_| {})
    }

    fn web_in_front_of(
        experience_url: &str,
        guard: Option<Guard>,
        cache: CacheConfig,
        tweak: impl FnOnce(&mut web::Settings),
    ) -> Site {
        let (l, address) = free_addr();
        let mut s = web::Settings::for_experience(experience_url, conduit_testkit::credential());
        s.workers = Some(1);
        s.experience_timeout = std::time::Duration::from_millis(1500);
        s.page_cache = cache;
        tweak(&mut s);
        actix_web::rt::spawn(web::run(l, &s).unwrap());
        Site {
            address,
            experience_url: experience_url.to_owned(),
            http: Self::browser(),
            _guard: guard,
        }
    }

    /// Requests experience has answered so far (from its own metrics, which count every
    /// route but not the scrape itself until it is answered).
    pub async fn experience_requests(&self) -> u64 {
        metrics(&self.experience_url)
            .await
            .lines()
            .filter(|l| l.starts_with("http_requests_total{") && !l.contains("route=\"/metrics\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// The web tier's value of a metrics line starting with `prefix`.
    pub async fn web_metric(&self, prefix: &str) -> u64 {
        let text = metrics(&self.address).await;
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    }

    /// A fresh browser (empty cookie jar) that shows responses as they came: no redirects
    /// followed, no bodies decompressed (reqwest's gzip feature may be on in the workspace).
    pub fn browser() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .build()
            .unwrap()
    }

    pub async fn get_with(&self, http: &reqwest::Client, path: &str) -> Page {
        let res = http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }

    pub async fn get(&self, path: &str) -> Page {
        self.get_with(&self.http, path).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(&self.http, path, fields).await
    }

    pub async fn post_with(
        &self,
        http: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let res = http
            .post(format!("{}{path}", self.address))
            .form(fields)
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }

    /// Posts a form with the CSRF token of the page at `from`.
    pub async fn submit(&self, from: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        self.submit_with(&self.http, from, path, fields).await
    }

    /// [`Site::submit`] as the visitor `http` (its own cookies and headers).
    pub async fn submit_with(
        &self,
        http: &reqwest::Client,
        from: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let csrf = self.get_with(http, from).await.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_with(http, path, &all).await
    }

    /// A fresh browser whose requests come through a proxy that saw them from `address`
    /// (`X-Forwarded-For`, as HAProxy sets it).
    pub fn visitor_at(address: &str) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", address.parse().unwrap());
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap()
    }

    /// Follows a 303 and returns the page it leads to.
    pub async fn follow(&self, page: Page) -> Page {
        assert_eq!(page.status, 303, "{}", page.html.html());
        self.get(&page.location()).await
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Page {
            status,
            headers,
            html: Html::parse_document(&text),
        }
    }

    pub async fn sign_up(&self, name: &str) -> Page {
        let email = format!("{name}@site.example");
        let res = self
            .submit(
                "/register",
                "/register",
                &[
                    ("username", name),
                    ("email", &email),
                    ("password", "password-123"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.html.html());
        assert_eq!(res.location(), "/");
        self.get("/").await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Publishes an article through the editor form; returns the article page.
    pub async fn publish(&self, title: &str, body: &str, tags: &str) -> Page {
        let res = self
            .submit(
                "/editor",
                "/editor",
                &[
                    ("title", title),
                    ("description", "About it"),
                    ("body", body),
                    ("tags", tags),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.html.html());
        self.follow(res).await
    }
}
