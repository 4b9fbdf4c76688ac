use crate::helpers::Site;

#[actix_web::test]
async fn posts_without_or_with_a_wrong_csrf_token_are_rejected_and_change_nothing() {
    let site = Site::spawn();
    site.sign_up("target").await;
    let res = site
        .post(
            "/editor",
            &[("title", "Forged"), ("description", "d"), ("body", "b")],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(res.text("div.error-page h1"), "403");
    let res = site
        .post(
            "/editor",
            &[
                ("csrf", "0123456789abcdef0123456789abcdef"),
                ("title", "Forged"),
                ("description", "d"),
                ("body", "b"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(
        site.get("/article/forged").await.status,
        404,
        "nothing was published"
    );
    let res = site
        .post(
            "/settings",
            &[("username", "hijacked"), ("email", "x@y.example")],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(
        site.get("/").await.signed_in_as().as_deref(),
        Some("target")
    );
    // A browser with no CSRF cookie at all (another site's form) is refused too.
    let stranger = Site::browser();
    let res = stranger
        .post(format!("{}/login", site.address))
        .form(&[
            ("csrf", "0123456789abcdef0123456789abcdef"),
            ("email", "ada@conduit.example"),
            ("password", "conduit-demo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[actix_web::test]
async fn an_oversized_form_gets_a_page_not_plain_text() {
    let site = Site::spawn();
    let res = Site::browser()
        .post(format!("{}/login", site.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={}", "a".repeat(2 * 1024 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("Too large"), "{html}");
}

#[actix_web::test]
async fn xss_payloads_in_every_user_written_field_come_back_inert() {
    let site = Site::spawn();
    site.sign_up("mallory").await;
    let script = "<script>alert('xss')</script>";
    let res = site
        .submit(
            "/settings",
            "/settings",
            &[
                ("image", "javascript:alert(1)"),
                ("username", "mallory"),
                ("bio", script),
                ("email", "mallory@site.example"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let body = format!(
        "{script}\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))\n\n<iframe src=\"https://evil.example\"></iframe>\n\n<a href=\"data:text/html,x\">d</a>"
    );
    let page = site
        .publish(&format!("Title {script}"), &body, "<b>tag</b>")
        .await;
    let slug_href = page.attr("form[action$='/comments']", "action");
    site.submit(
        &slug_href.replace("/comments", ""),
        &slug_href,
        &[(
            "body",
            &format!("comment {script} <img src=x onerror=alert(2)>"),
        )],
    )
    .await;
    let profile = site.get("/profile/mallory").await;
    for page in [
        site.get(&slug_href.replace("/comments", "")).await,
        profile,
        site.get("/").await,
    ] {
        // Inert means: as elements and attributes, not as text (text may show the payload).
        for el in page.all("*") {
            let v = el.value();
            assert!(
                !["iframe", "object", "embed"].contains(&v.name()),
                "{}",
                el.html()
            );
            assert!(
                v.name() != "script" || v.attr("src").is_some(),
                "inline script: {}",
                el.html()
            );
            for (name, value) in v.attrs() {
                assert!(!name.starts_with("on"), "event handler: {}", el.html());
                let value = value.trim().to_lowercase();
                if ["href", "src", "action"].contains(&name) {
                    assert!(
                        !value.starts_with("javascript:") && !value.starts_with("data:"),
                        "{}",
                        el.html()
                    );
                }
            }
        }
    }
    let article = site.get(&slug_href.replace("/comments", "")).await;
    assert!(
        article
            .text("div.banner h1")
            .contains("<script>alert('xss')</script>"),
        "shown as text"
    );
    assert!(
        article.texts("p.card-text")[0].contains("<script>"),
        "comment shown as text"
    );
    let profile = site.get("/profile/mallory").await;
    assert!(
        profile
            .attr("img.user-img", "src")
            .ends_with("/default-avatar.svg"),
        "non-http image URL not used"
    );
}

#[actix_web::test]
async fn security_headers_static_caching_and_compression() {
    let site = Site::spawn();
    let page = site.get("/").await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert!(page.headers.contains_key("referrer-policy"));
    let css = page.attr("link[rel=stylesheet]", "href");
    assert!(css.starts_with("/static/") && css.ends_with("/style.css"));
    let res = site
        .http
        .get(format!("{}{css}", site.address))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let res = site
        .http
        .get(format!("{}/", site.address))
        .header("Accept-Encoding", "br")
        .send()
        .await
        .unwrap();
    // gzip only (see web/src/compress.rs): a client that takes only brotli gets the page plain.
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        site.get("/static/0000/style.css").await.status,
        404,
        "old versions are not served"
    );
    assert_eq!(site.get("/favicon.ico").await.status, 200);
}

#[actix_web::test]
async fn experience_down_gives_a_503_page_in_the_layout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = conduit_cache::CacheConfig::in_process();
    let site = Site::in_front_of(&format!("http://127.0.0.1:{port}"), None, cache);
    let page = site.get("/").await;
    assert_eq!(page.status, 503);
    assert_eq!(page.x_cache(), "MISS");
    assert_eq!(
        site.get("/").await.x_cache(),
        "MISS",
        "an error page is never stored"
    );
    assert_eq!(page.text("div.error-page h1"), "503");
    assert_eq!(page.text("a.navbar-brand"), "conduit");
    assert_eq!(page.headers.get("retry-after").unwrap(), "5");
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(site.get("/health").await.status, 200);
    assert_eq!(site.get("/ready").await.status, 503);
}

#[actix_web::test]
async fn a_balancer_with_no_experience_left_gives_the_503_page_and_web_stays_ready() {
    // HAProxy's own answer when its whole experience pool is out (a shared outage): web must
    // stay in its pool and show its own page, or the outage cascades to HAProxy's bare 503.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let balancer = format!("http://{}", listener.local_addr().unwrap());
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().default_service(actix_web::web::to(|| async {
            actix_web::HttpResponse::ServiceUnavailable()
                .content_type("text/html")
                .body("<html><body><h1>503 Service Unavailable</h1></body></html>")
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    let site = Site::in_front_of(&balancer, None, conduit_cache::CacheConfig::in_process());
    let page = site.get("/").await;
    assert_eq!(page.status, 503);
    assert_eq!(page.text("div.error-page h1"), "503");
    assert_eq!(site.get("/ready").await.status, 200);
}

/// The raw HTTP/1.1 answer to `HEAD path` at `addr` (`http://host:port`).
async fn head(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let host = addr.trim_start_matches("http://").to_owned();
    let request = format!("HEAD {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        String::from_utf8(answer).unwrap()
    })
    .await
    .unwrap()
}

#[actix_web::test]
async fn head_requests_get_the_headers_of_a_get_and_no_body() {
    let site = Site::spawn();
    for (base, path) in [
        (&site.address, "/"),
        (&site.address, "/article/why-your-pagination-query-is-slow"),
        (&site.experience_url, "/api/articles?limit=2"),
    ] {
        let answer = head(base, path).await;
        let (headers, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(
            headers.starts_with("HTTP/1.1 200 OK\r\n"),
            "{path}: {headers}"
        );
        assert_eq!(body, "", "{path}: a HEAD answer has no body");
        let get = site.http.get(format!("{base}{path}")).send().await.unwrap();
        let length = get.headers()["content-length"].to_str().unwrap().to_owned();
        assert!(
            headers
                .to_ascii_lowercase()
                .contains(&format!("\r\ncontent-length: {length}\r\n")),
            "{path}: the GET's length {length} in {headers}"
        );
    }
    let answer = head(&site.address, "/no-such-page").await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
}

/// The CSRF token is bound to the session: an attacker who plants their own CSRF cookie in a
/// signed-in victim's browser (from a sibling origin, or over plain HTTP) and submits the
/// token they were given for it is refused.
#[actix_web::test]
async fn a_planted_csrf_cookie_with_the_attackers_token_is_refused() {
    let site = Site::spawn();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie_of = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no {name} cookie"))
    };
    let form_token = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        let sel = scraper::Selector::parse("input[name=csrf]").unwrap();
        doc.select(&sel)
            .next()
            .unwrap()
            .attr("value")
            .unwrap()
            .to_owned()
    };
    let get_login = || async {
        let res = plain
            .get(format!("{}/login", site.address))
            .send()
            .await
            .unwrap();
        let nonce = cookie_of(&res, "conduit_csrf");
        (nonce, form_token(&res.text().await.unwrap()))
    };
    // The attacker's own pair, and the victim's signed-in session.
    let (attacker_nonce, attacker_token) = get_login().await;
    let (victim_nonce, victim_token) = get_login().await;
    let res = plain
        .post(format!("{}/login", site.address))
        .header("cookie", format!("conduit_csrf={victim_nonce}"))
        .form(&[
            ("csrf", victim_token.as_str()),
            ("email", "ada@conduit.example"),
            ("password", "conduit-demo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let session = cookie_of(&res, "conduit_session");

    let follow = |nonce: String, token: String| {
        let (plain, site, session) = (&plain, &site, &session);
        async move {
            plain
                .post(format!("{}/profile/chen/follow", site.address))
                .header(
                    "cookie",
                    format!("conduit_session={session}; conduit_csrf={nonce}"),
                )
                .form(&[("csrf", token.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        follow(attacker_nonce.clone(), attacker_token).await,
        403,
        "planted pair"
    );
    assert_eq!(
        follow(attacker_nonce.clone(), attacker_nonce).await,
        403,
        "nonce as token"
    );
    // The victim's own page gives a token that works (the form is not just broken).
    let res = plain
        .get(format!("{}/profile/chen", site.address))
        .header(
            "cookie",
            format!("conduit_session={session}; conduit_csrf={victim_nonce}"),
        )
        .send()
        .await
        .unwrap();
    let own = form_token(&res.text().await.unwrap());
    assert_eq!(follow(victim_nonce, own).await, 303);
}
