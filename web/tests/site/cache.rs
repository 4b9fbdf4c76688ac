//! The page cache as a visitor meets it, on the in-process store (as `cargo run` runs) and
//! on a real private memcached: hits after the first view, hits that reach nothing behind
//! the web tier, writes through a form or the API visible on the very next view, and a
//! memcached that dies, restarts or stops answering.

use std::time::{Duration, Instant};

use conduit_cache::{CacheConfig, MemcachedConfig};
use conduit_testkit::memcached::Memcached;

use crate::helpers::Site;

const ARTICLE: &str = "/article/why-your-pagination-query-is-slow";

fn memcached_site() -> Option<(Memcached, Site)> {
    let server = conduit_testkit::require("memcached", Memcached::start())?;
    let config = CacheConfig::Memcached(MemcachedConfig::parse(&server.url()).unwrap());
    Some((server, Site::spawn_with_cache(config)))
}

/// Views `path` as a visitor until it is a hit (a fresh memcached first learns its
/// generation); returns the hit's body.
async fn hit(site: &Site, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let page = site.get_with(&Site::browser(), path).await;
        assert_eq!(page.status, 200, "{path}");
        if page.x_cache() == "HIT" {
            return page.html.html();
        }
        assert!(Instant::now() < deadline, "{path} never became a hit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Generates `name::in_process` and `name::memcached` from one body over a `Site`.
macro_rules! cache_tests {
    ($(async fn $name:ident($site:ident) $body:block)*) => {$(
        async fn $name($site: &Site) $body

        mod $name {
            #[actix_web::test]
            async fn in_process() {
                super::$name(&crate::helpers::Site::spawn()).await;
            }

            #[actix_web::test]
            async fn memcached() {
                if let Some((_server, site)) = super::memcached_site() {
                    super::$name(&site).await;
                }
            }
        }
    )*};
}

cache_tests! {
    async fn a_visitors_second_view_is_a_hit_that_calls_nothing_behind_the_web_tier(site) {
        let first = site.get_with(&Site::browser(), ARTICLE).await;
        assert_eq!(first.x_cache(), "MISS");
        let body = hit(site, ARTICLE).await;
        assert_eq!(body, first.html.html(), "the stored page is the rendered page");

        let before = site.experience_requests().await;
        for _ in 0..5 {
            let page = site.get_with(&Site::browser(), ARTICLE).await;
            assert_eq!((page.status, page.x_cache()), (200, "HIT"));
            assert!(page.headers.get("set-cookie").is_none());
        }
        assert_eq!(site.experience_requests().await, before, "hits never call experience");
        assert!(site.web_metric("page_cache_requests_total{service=\"web\",result=\"hit\"}").await >= 5);
    }

    async fn a_comment_posted_through_the_form_is_on_the_very_next_visitors_view(site) {
        hit(site, ARTICLE).await;
        site.sign_up("cachewriter").await;
        let res = site
            .submit(ARTICLE, &format!("{ARTICLE}/comments"), &[("body", "Fresh from the form")])
            .await;
        assert_eq!(res.status, 303);
        let page = site.get_with(&Site::browser(), ARTICLE).await;
        assert_eq!(page.x_cache(), "MISS");
        assert!(page.texts("div.card-block p.card-text").contains(&"Fresh from the form".to_owned()));
    }

    async fn a_write_through_the_api_is_on_the_very_next_visitors_view(site) {
        hit(site, "/").await;
        hit(site, "/profile/ada").await;
        let api = reqwest::Client::new();
        let user: serde_json::Value = api
            .post(format!("{}/api/users", site.experience_url))
            .json(&serde_json::json!({"user": {
                "username": "apiwriter", "email": "apiwriter@site.example", "password": "password-123"
            }}))
            .send().await.unwrap().json().await.unwrap();
        let token = user["user"]["token"].as_str().unwrap();
        let res = api
            .post(format!("{}/api/articles", site.experience_url))
            .header("Authorization", format!("Token {token}"))
            .json(&serde_json::json!({"article": {
                "title": "Published through the API", "description": "d", "body": "b", "tagList": []
            }}))
            .send().await.unwrap();
        assert_eq!(res.status(), 201);
        let home = site.get_with(&Site::browser(), "/").await;
        assert_eq!(home.x_cache(), "MISS");
        assert_eq!(home.text("div.article-preview h1"), "Published through the API");
    }

    async fn signed_in_pages_and_forms_bypass_the_cache_and_visitors_pages_hold_no_token(site) {
        for path in ["/", "/tag/rust", ARTICLE, "/profile/ada", "/profile/ada/favorites"] {
            let page = site.get_with(&Site::browser(), path).await;
            assert_eq!(page.count("input[name=csrf]"), 0, "{path} holds a CSRF token");
            assert!(page.headers.get("set-cookie").is_none(), "{path} sets a cookie");
        }
        let bypassed = "page_cache_requests_total{service=\"web\",result=\"bypass\"}";
        let before = site.web_metric(bypassed).await;
        let login = site.get("/login").await;
        assert_eq!(login.x_cache(), "BYPASS");
        assert_eq!(site.web_metric(bypassed).await, before + 1);
        site.sign_up("cachereader").await;
        for path in ["/", ARTICLE, "/profile/ada"] {
            let page = site.get(path).await;
            assert_eq!(page.x_cache(), "BYPASS", "{path}");
            assert_eq!(page.headers["cache-control"], "private, no-store");
            assert_eq!(page.signed_in_as().as_deref(), Some("cachereader"));
        }
        let missing = site.get_with(&Site::browser(), "/article/no-such-article").await;
        assert_eq!((missing.status, missing.x_cache()), (404, "MISS"));
        let again = site.get_with(&Site::browser(), "/article/no-such-article").await;
        assert_eq!(again.x_cache(), "MISS", "only 200s are stored");
    }

    async fn pages_go_out_gzipd_whole_to_clients_that_take_gzip_and_plain_to_the_others(site) {
        hit(site, "/tag/rust").await;
        let (headers, plain) = raw_get(site, "/tag/rust", None).await;
        assert_eq!(headers["x-cache"], "HIT");
        assert!(headers.get("content-encoding").is_none());
        assert_eq!(headers["vary"], "accept-encoding");
        let (headers, gz) = raw_get(site, "/tag/rust", Some("gzip, deflate, br")).await;
        assert_eq!(headers["x-cache"], "HIT");
        assert_gzip_whole(&headers, &gz);
        assert_same(&web::compress::gunzip(&gz).unwrap(), &plain);
        let (headers, refused) = raw_get(site, "/tag/rust", Some("gzip;q=0, br")).await;
        assert_eq!(headers["x-cache"], "HIT");
        assert!(headers.get("content-encoding").is_none());
        assert_same(&refused, &plain);

        // A miss goes out compressed too, and what was stored unpacks to what a plain client gets.
        let (headers, gz) = raw_get(site, "/profile/chen", Some("gzip")).await;
        assert_eq!(headers["x-cache"], "MISS");
        assert_gzip_whole(&headers, &gz);
        hit(site, "/profile/chen").await;
        let (headers, plain) = raw_get(site, "/profile/chen", None).await;
        assert_eq!(headers["x-cache"], "HIT");
        assert_same(&web::compress::gunzip(&gz).unwrap(), &plain);

        // Pages that bypass the cache are compressed by the same rule; tiny bodies are not.
        let (headers, gz) = raw_get(site, "/login", Some("gzip")).await;
        assert_eq!(headers["x-cache"], "BYPASS");
        assert_gzip_whole(&headers, &gz);
        let (headers, _) = raw_get(site, "/health", Some("gzip")).await;
        assert!(headers.get("content-encoding").is_none());
    }

    async fn ignored_query_parameters_share_the_page_and_page_numbers_do_not(site) {
        hit(site, "/").await;
        let tagged = site.get_with(&Site::browser(), "/?utm_source=mail").await;
        assert_eq!(tagged.x_cache(), "HIT");
        let second = site.get_with(&Site::browser(), "/?page=2").await;
        assert_eq!(second.x_cache(), "MISS");
    }

    async fn a_page_number_has_one_url_and_no_page_lies_past_the_last(site) {
        for (path, location) in [
            ("/?page=01", "/"),
            ("/?page=%201", "/"),
            ("/?page=007", "/?page=7"),
            ("/?page=abc", "/"),
            ("/profile/chen?page=01", "/profile/chen"),
        ] {
            let res = Site::browser().get(format!("{}{path}", site.address)).send().await.unwrap();
            assert_eq!(res.status(), 301, "{path}");
            assert_eq!(res.headers()["location"], location, "{path}");
        }
        // `?page=1` is the first page's button: its own URL, not a move.
        assert_eq!(site.get_with(&Site::browser(), "/profile/chen?page=1").await.status, 200);
        for path in ["/?page=999", "/?page=9223372036854775807", "/profile/chen?page=50"] {
            assert_eq!(site.get_with(&Site::browser(), path).await.status, 404, "{path}");
        }
        // An article page ignores ?page=: one stored copy whatever the number.
        hit(site, ARTICLE).await;
        for n in ["2", "02", "x"] {
            let other = site.get_with(&Site::browser(), &format!("{ARTICLE}?page={n}")).await;
            assert_eq!(other.x_cache(), "HIT", "{n}");
        }
    }

    async fn concurrent_first_views_render_the_page_once(site) {
        let before = site.experience_requests().await;
        let views = (0..12).map(|_| async {
            site.get_with(&Site::browser(), "/profile/chen").await.status
        });
        let statuses = futures_join_all(views).await;
        assert!(statuses.iter().all(|s| *s == 200));
        let calls = site.experience_requests().await - before;
        // One render; a memcached that is new to this test may first answer "generation
        // unknown" to the very first lookup, which renders without storing: at most two.
        assert!(calls <= 2, "{calls} renders for 12 concurrent views");
    }
}

/// GET as a client that sends `accept_encoding`; the headers and the bytes as they came.
async fn raw_get(
    site: &Site,
    path: &str,
    accept_encoding: Option<&str>,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = Site::browser().get(format!("{}{path}", site.address));
    if let Some(value) = accept_encoding {
        req = req.header("accept-encoding", value);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

/// A gzip body sent whole: with its length, not chunked, and marked to vary by encoding.
fn assert_gzip_whole(headers: &reqwest::header::HeaderMap, body: &[u8]) {
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    assert!(headers.get("transfer-encoding").is_none());
    assert_eq!(headers["vary"], "accept-encoding");
}

fn assert_same(a: &[u8], b: &[u8]) {
    assert!(a == b, "different pages: {} and {} bytes", a.len(), b.len());
}

/// Runs the futures concurrently on this task.
async fn futures_join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::new();
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().flatten());
    out
}

#[actix_web::test]
async fn a_killed_memcached_still_gives_pages_and_a_restarted_one_gives_hits_again() {
    let Some((mut server, site)) = memcached_site() else {
        return;
    };
    hit(&site, ARTICLE).await;
    server.kill();
    for _ in 0..10 {
        let started = Instant::now();
        let page = site.get_with(&Site::browser(), ARTICLE).await;
        assert_eq!((page.status, page.x_cache()), (200, "BYPASS"));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
    // A write while memcached is down still succeeds (and is retried on the cache).
    site.sign_up("outagewriter").await;
    assert!(
        site.web_metric("page_cache_errors_total{service=\"web\"}")
            .await
            >= 1
    );
    assert_eq!(site.web_metric("page_cache_up{service=\"web\"}").await, 0);

    server.restart().unwrap();
    hit(&site, ARTICLE).await;
    assert_eq!(site.web_metric("page_cache_up{service=\"web\"}").await, 1);
}

#[actix_web::test]
async fn a_memcached_that_never_answers_delays_pages_by_a_bounded_time_only() {
    let Some((server, site)) = memcached_site() else {
        return;
    };
    hit(&site, "/").await;
    server.freeze();
    let started = Instant::now();
    let page = site.get_with(&Site::browser(), "/").await;
    let first = started.elapsed();
    assert_eq!((page.status, page.x_cache()), (200, "BYPASS"));
    // The cache's share is its 0.1 s bound (plus dialing); the rest is rendering.
    assert!(
        first < Duration::from_millis(1500),
        "first page took {first:?}"
    );
    let started = Instant::now();
    for _ in 0..5 {
        assert_eq!(site.get_with(&Site::browser(), "/").await.status, 200);
    }
    let five = started.elapsed();
    assert!(
        five < Duration::from_millis(2500),
        "five pages took {five:?}"
    );
    server.thaw();
    hit(&site, "/").await;
}
