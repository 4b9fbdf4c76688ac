use crate::helpers::Site;

#[actix_web::test]
async fn home_for_a_visitor_has_the_layout_banner_tabs_list_and_tags() {
    let site = Site::spawn();
    let page = site.get("/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("title"), "Home — Conduit");
    assert_eq!(
        page.text("nav.navbar.navbar-light > .container > a.navbar-brand"),
        "conduit"
    );
    assert_eq!(
        page.texts("ul.nav.navbar-nav.pull-xs-right li.nav-item a.nav-link"),
        ["Home", "Sign in", "Sign up"]
    );
    assert_eq!(page.attr("a.nav-link.active", "href"), "/");
    assert_eq!(page.text("footer > .container > a.logo-font"), "conduit");
    assert_eq!(page.count("footer span.attribution"), 1);
    assert_eq!(
        page.text("div.home-page div.banner h1.logo-font"),
        "conduit"
    );
    assert_eq!(
        page.text("div.home-page div.banner p"),
        "A place to share your knowledge."
    );
    assert_eq!(
        page.texts("div.col-md-9 > div.feed-toggle > ul.nav.nav-pills.outline-active a.nav-link"),
        ["Global Feed"]
    );
    assert_eq!(page.count("div.article-preview"), 10);
    // 60 articles, 6 pages: the first, a window of two around the current one, the last.
    assert_eq!(
        page.texts("ul.pagination > li.page-item > .page-link"),
        ["1", "2", "3", "…", "6"]
    );
    // Each number is a button of a GET form to the list's own path (?page=N there).
    assert_eq!(page.count("nav form[method=get][action='/'] ul.pagination > li.page-item > button.page-link[name=page]"), 4);
    assert_eq!(
        page.text("ul.pagination li.page-item.active button.page-link[value='1']"),
        "1"
    );
    assert_eq!(page.text("div.col-md-3 > div.sidebar > p"), "Popular Tags");
    assert_eq!(
        page.count("div.sidebar div.tag-list > a.tag-pill.tag-default"),
        15
    );
    let preview = &page.all("div.article-preview")[0];
    let html = preview.html();
    for needle in [
        "article-meta",
        "class=\"info\"",
        "class=\"author\"",
        "class=\"date\"",
        "ion-heart",
        "preview-link",
        "Read more...",
        "tag-outline",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    // Default avatars point at the served SVG.
    let avatar = page.attr("div.article-preview div.article-meta img", "src");
    assert!(avatar.ends_with("/default-avatar.svg"), "{avatar}");
    assert_eq!(site.get(&avatar).await.status, 200);
}

#[actix_web::test]
async fn sign_up_lands_on_home_signed_in_and_logout_signs_out() {
    let site = Site::spawn();
    let home = site.sign_up("newcomer").await;
    assert_eq!(home.signed_in_as().as_deref(), Some("newcomer"));
    assert_eq!(
        home.texts("ul.navbar-nav a.nav-link")[..3],
        ["Home", "New Article", "Settings"]
    );
    assert_eq!(
        home.texts("div.feed-toggle a.nav-link"),
        ["Your Feed", "Global Feed"]
    );
    assert_eq!(home.headers["cache-control"], "private, no-store");
    let cookie = home
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert!(
        cookie.is_empty(),
        "no cookie churn on plain pages: {cookie:?}"
    );

    let settings = site.get("/settings").await;
    let res = site.post("/logout", &[("csrf", &settings.csrf())]).await;
    assert_eq!((res.status, res.location()), (303, "/".to_owned()));
    let set = res.headers["set-cookie"].to_str().unwrap();
    assert!(
        set.contains("conduit_session=") && set.contains("Max-Age=0"),
        "{set}"
    );
    let home = site.get("/").await;
    assert_eq!(home.signed_in_as(), None);
    assert_eq!(site.get("/settings").await.location(), "/login");
    assert_eq!(site.get("/editor").await.location(), "/login");
    assert_eq!(site.get("/?feed=following").await.location(), "/login");
}

#[actix_web::test]
async fn the_session_cookie_is_httponly_and_samesite_lax() {
    let site = Site::spawn();
    let res = site
        .submit(
            "/login",
            "/login",
            &[
                ("email", "ada@conduit.example"),
                ("password", "conduit-demo"),
            ],
        )
        .await;
    assert_eq!((res.status, res.location()), (303, "/".to_owned()));
    let set = res.headers["set-cookie"].to_str().unwrap().to_lowercase();
    assert!(set.starts_with("conduit_session="), "{set}");
    assert!(
        set.contains("httponly") && set.contains("samesite=lax") && set.contains("path=/"),
        "{set}"
    );
    assert_eq!(site.get("/").await.signed_in_as().as_deref(), Some("ada"));
}

#[actix_web::test]
async fn a_wrong_password_shows_the_error_and_keeps_the_email() {
    let site = Site::spawn();
    let page = site
        .sign_in("ada@conduit.example", "not-the-password")
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(page.text("div.auth-page h1.text-xs-center"), "Sign in");
    assert_eq!(
        page.texts("ul.error-messages > li"),
        ["email or password is invalid"]
    );
    assert_eq!(
        page.attr("input[name=email]", "value"),
        "ada@conduit.example"
    );
    assert!(
        page.all("input[name=password]")[0]
            .value()
            .attr("value")
            .is_none(),
        "the password is never sent back"
    );
    assert_eq!(page.signed_in_as(), None);

    let page = site
        .submit(
            "/register",
            "/register",
            &[
                ("username", "ada"),
                ("email", "x@y.example"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    let errors = page.texts("ul.error-messages > li");
    assert!(
        errors.iter().any(|e| e.starts_with("password ")),
        "{errors:?}"
    );
    assert_eq!(page.attr("input[name=username]", "value"), "ada");
    assert_eq!(
        page.text("div.auth-page a[href='/login']"),
        "Have an account?"
    );
}

#[actix_web::test]
async fn settings_update_including_a_username_change_and_a_new_password() {
    let site = Site::spawn();
    site.sign_up("renamer").await;
    let page = site.get("/settings").await;
    assert_eq!(page.text("div.settings-page h1"), "Your Settings");
    assert_eq!(
        page.attr("input[name=image]", "placeholder"),
        "URL of profile picture"
    );
    assert_eq!(
        page.attr("input[name=password]", "placeholder"),
        "New Password"
    );
    assert_eq!(
        page.attr("input[name=email]", "value"),
        "renamer@site.example"
    );
    assert_eq!(
        page.text("button.btn.btn-outline-danger"),
        "Or click here to logout."
    );
    assert!(page.count("label[for=image]") == 1, "inputs have labels");

    // The email and the password change only with the current password.
    let change = |current: &'static str| {
        let site = &site;
        async move {
            site.submit(
                "/settings",
                "/settings",
                &[
                    ("image", "https://img.example/me.png"),
                    ("username", "renamed"),
                    ("bio", "I write things."),
                    ("email", "renamed@site.example"),
                    ("password", "a-brand-new-password"),
                    ("current_password", current),
                ],
            )
            .await
        }
    };
    for (current, error) in [
        (
            "",
            "current password is needed to change the email or the password",
        ),
        ("not-my-password", "current password is wrong"),
    ] {
        let page = change(current).await;
        assert_eq!(page.status, 422);
        assert_eq!(page.texts("ul.error-messages > li"), [error]);
        assert_eq!(
            page.attr("input[name=email]", "value"),
            "renamed@site.example"
        );
    }
    assert_eq!(
        site.get("/settings")
            .await
            .attr("input[name=email]", "value"),
        "renamer@site.example",
        "nothing changed"
    );
    // A bio alone needs none.
    let res = site
        .submit(
            "/settings",
            "/settings",
            &[
                ("username", "renamer"),
                ("bio", "Hi"),
                ("email", "renamer@site.example"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let res = change("password-123").await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/profile/renamed".to_owned())
    );
    let profile = site.follow(res).await;
    assert_eq!(profile.text("div.profile-page div.user-info h4"), "renamed");
    assert_eq!(profile.text("div.user-info p"), "I write things.");
    assert_eq!(
        profile.attr("img.user-img", "src"),
        "https://img.example/me.png"
    );
    assert_eq!(
        profile.text("div.user-info a[href='/settings']"),
        "Edit Profile Settings"
    );
    assert_eq!(profile.signed_in_as().as_deref(), Some("renamed"));

    // Sign out, then in with the new password.
    let csrf = site.get("/settings").await.csrf();
    site.post("/logout", &[("csrf", &csrf)]).await;
    let res = site
        .sign_in("renamed@site.example", "a-brand-new-password")
        .await;
    assert_eq!(res.status, 303);

    // A taken username comes back as a form error with the typed values.
    let page = site
        .submit(
            "/settings",
            "/settings",
            &[
                ("username", "ada"),
                ("email", "renamed@site.example"),
                ("bio", "kept"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.texts("ul.error-messages > li"),
        ["username has already been taken"]
    );
    assert_eq!(page.text("textarea[name=bio]"), "kept");
}

#[actix_web::test]
async fn an_invalid_session_token_counts_as_signed_out_and_is_cleared() {
    let site = Site::spawn();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = plain
        .get(format!("{}/", site.address))
        .header("Cookie", "conduit_session=not-a-valid-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "a page, not an error");
    let cleared = res.headers().get_all("set-cookie").iter().any(|v| {
        v.to_str().unwrap().starts_with("conduit_session=;")
            || v.to_str().unwrap().contains("conduit_session=; ")
    });
    assert!(cleared, "the bad session cookie is removed");
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    let sign_in = scraper::Selector::parse("ul.navbar-nav a[href='/login']").unwrap();
    assert_eq!(html.select(&sign_in).count(), 1, "shown signed out");
    let res = plain
        .get(format!("{}/settings", site.address))
        .header("Cookie", "conduit_session=not-a-valid-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/login");
}

#[actix_web::test]
async fn sign_in_limits_count_each_visitor_not_the_web_tier() {
    let site = Site::spawn_with(
        conduit_cache::CacheConfig::in_process(),
        |e| {
            e.login_max_failures = 1;
            e.trust_forwarded_for = true;
        },
        |w| w.trust_forwarded_for = true,
    );
    // A visitor behind the proxy at 198.51.100.7 fails on four accounts: its address (4 x 1
    // failures a window) is used up.
    let attempt = |from: &'static str, email: &'static str| {
        let site = &site;
        async move {
            let http = Site::browser();
            let page = site.get_with(&http, "/login").await;
            let res = http
                .post(format!("{}/login", site.address))
                .header("x-forwarded-for", from)
                .form(&[
                    ("csrf", page.csrf().as_str()),
                    ("email", email),
                    ("password", "wrong-password"),
                ])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            (status, body)
        }
    };
    for email in ["a@x.example", "b@x.example", "c@x.example", "d@x.example"] {
        let (status, body) = attempt("198.51.100.7", email).await;
        assert_eq!(status, 422, "{body}");
    }
    let (_, body) = attempt("198.51.100.7", "e@x.example").await;
    assert!(
        body.contains("too many sign-in attempts; try again in "),
        "{body}"
    );
    // Another visitor is not held up by the first one's failures.
    let (status, body) = attempt("203.0.113.9", "f@x.example").await;
    assert_eq!(status, 422);
    assert!(body.contains("email or password is invalid"), "{body}");
}

/// Behind the proxy, each visitor's sign-ins are counted at their own address: a guesser who
/// reaches the limit on ada's account does not stop ada signing in from hers.
#[actix_web::test]
async fn a_guesser_elsewhere_cannot_lock_the_owner_out() {
    let site = Site::spawn_with(
        conduit_cache::CacheConfig::Disabled,
        |_| {},
        |web| web.trust_forwarded_for = true,
    );
    let guesser = Site::visitor_at("203.0.113.66");
    let mut errors = Vec::new();
    for _ in 0..7 {
        let res = site
            .submit_with(
                &guesser,
                "/login",
                "/login",
                &[
                    ("email", "ada@conduit.example"),
                    ("password", "not-her-password"),
                ],
            )
            .await;
        assert_eq!(res.status, 422);
        errors.push(res.text("ul.error-messages > li"));
    }
    assert!(
        errors[..5]
            .iter()
            .all(|e| e == "email or password is invalid"),
        "{errors:?}"
    );
    assert!(
        errors[5..].iter().all(|e| e.starts_with("too many")),
        "{errors:?}"
    );
    let owner = Site::visitor_at("198.51.100.7");
    let res = site
        .submit_with(
            &owner,
            "/login",
            "/login",
            &[
                ("email", "ada@conduit.example"),
                ("password", "conduit-demo"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.html.html());
}

/// A new password ends the other sessions; "Sign out everywhere" ends them all.
#[actix_web::test]
async fn a_new_password_and_sign_out_everywhere_end_the_other_sessions() {
    let site = Site::spawn();
    site.sign_up("roaming").await;
    // A second browser signed in as the same user.
    let laptop = Site::browser();
    let res = site
        .submit_with(
            &laptop,
            "/login",
            "/login",
            &[
                ("email", "roaming@site.example"),
                ("password", "password-123"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(site.get_with(&laptop, "/settings").await.status, 200);

    let res = site
        .submit(
            "/settings",
            "/settings",
            &[
                ("username", "roaming"),
                ("email", "roaming@site.example"),
                ("password", "another-password"),
                ("current_password", "password-123"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        site.get("/settings").await.status,
        200,
        "this session goes on"
    );
    let res = site.get_with(&laptop, "/settings").await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/login".to_owned()),
        "the other one ended"
    );

    // Sign out everywhere, from a third session: the first one ends too.
    let phone = Site::browser();
    site.submit_with(
        &phone,
        "/login",
        "/login",
        &[
            ("email", "roaming@site.example"),
            ("password", "another-password"),
        ],
    )
    .await;
    let page = site.get_with(&phone, "/settings").await;
    assert_eq!(
        page.text("form.sign-out-everywhere button"),
        "Sign out everywhere"
    );
    let res = site
        .submit_with(&phone, "/settings", "/settings/sign-out-everywhere", &[])
        .await;
    assert_eq!((res.status, res.location()), (303, "/login".to_owned()));
    for browser in [&phone, &site.http] {
        let res = site.get_with(browser, "/settings").await;
        assert_eq!((res.status, res.location()), (303, "/login".to_owned()));
    }
}

/// The visitor's scheme comes from the proxy in front (`X-Forwarded-Proto`, believed only with
/// `TRUST_FORWARDED_FOR`): over HTTPS the cookies are `Secure` and `__Host-` prefixed, and a
/// plain cookie (which a plain-HTTP page could have planted) is not a session.
#[actix_web::test]
async fn over_https_the_cookies_are_secure_and_host_prefixed() {
    let behind = Site::spawn_with(
        conduit_cache::CacheConfig::in_process(),
        |_| {},
        |w| w.trust_forwarded_for = true,
    );
    // The CSRF cookie a new browser gets on the sign-in page (a new browser each time:
    // cookies are per host, not per port).
    let csrf_cookie_of = |site: &Site, proto: &'static str| {
        let req = Site::browser()
            .get(format!("{}/login", site.address))
            .header("x-forwarded-proto", proto);
        async move {
            let res = req.send().await.unwrap();
            res.headers()["set-cookie"].to_str().unwrap().to_owned()
        }
    };
    let set = csrf_cookie_of(&behind, "https").await;
    assert!(set.starts_with("__Host-conduit_csrf="), "{set}");
    assert!(
        set.contains("Secure") && set.contains("Path=/") && !set.contains("Domain"),
        "{set}"
    );
    // Plain HTTP behind the proxy; and without a proxy to believe, a client's own
    // X-Forwarded-Proto changes nothing.
    let direct = Site::spawn();
    for (site, proto) in [(&behind, "http"), (&direct, "https")] {
        let set = csrf_cookie_of(site, proto).await;
        assert!(
            set.starts_with("conduit_csrf=") && !set.contains("Secure"),
            "{proto}: {set}"
        );
    }

    // Signing in over HTTPS sets the __Host- session; the plain name means nothing there.
    let browser = Site::browser();
    let page = browser
        .get(format!("{}/login", behind.address))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let csrf_cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let res = browser
        .post(format!("{}/login", behind.address))
        .header("x-forwarded-proto", "https")
        .header("cookie", &csrf_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("email", "ada@conduit.example"),
            ("password", "conduit-demo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        session.starts_with("__Host-conduit_session=") && session.contains("Secure"),
        "{session}"
    );
    let value = session
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let as_seen = |cookie: String| {
        let req = browser
            .get(format!("{}/settings", behind.address))
            .header("x-forwarded-proto", "https")
            .header("cookie", cookie);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        as_seen(format!("__Host-conduit_session={value}")).await,
        200
    );
    assert_eq!(
        as_seen(format!("conduit_session={value}")).await,
        303,
        "to sign in"
    );
}

#[actix_web::test]
async fn a_sign_up_over_the_address_limit_says_so_and_when_to_try_again() {
    let site = Site::spawn_with(
        conduit_cache::CacheConfig::Disabled,
        |e| e.signup_max_per_hour = 1,
        |_| {},
    );
    site.sign_up("first").await;
    let res = site
        .submit(
            "/register",
            "/register",
            &[
                ("username", "second"),
                ("email", "second@site.example"),
                ("password", "password-123"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.html.html());
    let error = res.text("ul.error-messages > li");
    assert!(
        error.starts_with("too many accounts were made from your address; try again in ")
            && error.ends_with(" minutes"),
        "{error}"
    );
    assert_eq!(res.attr("input[name=username]", "value"), "second");
}

#[actix_web::test]
async fn sign_ins_beyond_the_hashing_queue_are_told_when_to_try_again() {
    let site = Site::spawn_with(
        conduit_cache::CacheConfig::Disabled,
        |e| {
            e.hash_slots = 1;
            e.hash_queue = 0;
            e.login_max_failures = 1000;
        },
        |_| {},
    );
    site.sign_up("busy").await;
    let visitors: Vec<reqwest::Client> = (0..8).map(|_| Site::browser()).collect();
    let attempt = |http: &reqwest::Client| {
        let (site, http) = (&site, http.clone());
        async move {
            site.submit_with(
                &http,
                "/login",
                "/login",
                &[("email", "busy@site.example"), ("password", "password-123")],
            )
            .await
        }
    };
    let pages = tokio::join!(
        attempt(&visitors[0]),
        attempt(&visitors[1]),
        attempt(&visitors[2]),
        attempt(&visitors[3]),
        attempt(&visitors[4]),
        attempt(&visitors[5]),
        attempt(&visitors[6]),
        attempt(&visitors[7]),
    );
    let pages = [
        pages.0, pages.1, pages.2, pages.3, pages.4, pages.5, pages.6, pages.7,
    ];
    let signed_in = pages.iter().filter(|p| p.status == 303).count();
    let busy: Vec<String> = pages
        .iter()
        .filter(|p| p.status != 303)
        .map(|p| {
            assert_eq!(p.status, 422, "{}", p.html.html());
            p.text("ul.error-messages > li")
        })
        .collect();
    assert!(signed_in >= 1, "one hash at a time still signs people in");
    assert!(
        !busy.is_empty(),
        "eight sign-ins at once on one slot with no queue"
    );
    assert!(
        busy.iter()
            .all(|e| e == "the site is busy checking other passwords; try again in a second"),
        "{busy:?}"
    );
}
