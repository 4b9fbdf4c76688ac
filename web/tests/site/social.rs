use crate::helpers::Site;

#[actix_web::test]
async fn favorite_and_unfavorite_change_the_button_the_count_and_the_favorited_tab() {
    let site = Site::spawn();
    site.sign_up("liker").await;
    let home = site.get("/").await;
    let button = &home.all("div.article-preview button.btn.btn-sm.pull-xs-right")[0];
    let count: i64 = button.text().collect::<String>().trim().parse().unwrap();
    assert!(button.value().classes().any(|c| c == "btn-outline-primary"));
    let href = home.attr("div.article-preview a.preview-link", "href");
    let form = &home.all("div.article-preview form")[0];
    let action = form.value().attr("action").unwrap().to_owned();
    let res = site.submit("/", &action, &[("next", "/")]).await;
    assert_eq!((res.status, res.location()), (303, "/".to_owned()));
    let home = site.get("/").await;
    let button = &home.all("div.article-preview button.btn.btn-sm.pull-xs-right")[0];
    assert!(button.value().classes().any(|c| c == "btn-primary"));
    assert_eq!(
        button.text().collect::<String>().trim(),
        (count + 1).to_string()
    );

    let favorited = site.get("/profile/liker/favorites").await;
    assert_eq!(
        favorited.text("div.articles-toggle a.nav-link.active"),
        "Favorited Articles"
    );
    assert_eq!(
        favorited.attr("div.article-preview a.preview-link", "href"),
        href
    );

    let article = site.get(&href).await;
    assert!(
        article
            .text("div.banner div.article-meta")
            .contains("Unfavorite Article")
    );
    let unfav = article.attr("div.banner form[action$='/unfavorite']", "action");
    let res = site.submit(&href, &unfav, &[("next", &href)]).await;
    assert_eq!(res.location(), href);
    assert_eq!(
        site.get("/profile/liker/favorites")
            .await
            .count("div.article-preview"),
        0
    );
}

#[actix_web::test]
async fn follow_shows_the_author_in_your_feed_and_unfollow_removes_them() {
    let site = Site::spawn();
    site.sign_up("follower").await;
    let feed = site.get("/?feed=following").await;
    assert_eq!(feed.text("div.feed-toggle a.nav-link.active"), "Your Feed");
    assert!(
        feed.text("div.empty-feed-message")
            .starts_with("Your feed is empty."),
        "{}",
        feed.text("div.empty-feed-message")
    );
    assert_eq!(
        feed.text("div.empty-feed-message a[href='/']"),
        "Global Feed"
    );

    let profile = site.get("/profile/chen").await;
    assert_eq!(
        profile.text("div.user-info button.action-btn"),
        "Follow chen"
    );
    assert_eq!(
        profile.text("div.articles-toggle a.nav-link.active"),
        "My Articles"
    );
    let res = site
        .submit(
            "/profile/chen",
            "/profile/chen/follow",
            &[("next", "/profile/chen")],
        )
        .await;
    assert_eq!(res.location(), "/profile/chen");
    assert_eq!(
        site.get("/profile/chen")
            .await
            .text("div.user-info button.action-btn"),
        "Unfollow chen"
    );

    let feed = site.get("/?feed=following").await;
    let authors = feed.texts("div.article-preview a.author");
    assert!(!authors.is_empty());
    assert!(authors.iter().all(|a| a == "chen"), "{authors:?}");

    site.submit(
        "/profile/chen",
        "/profile/chen/unfollow",
        &[("next", "/profile/chen")],
    )
    .await;
    assert_eq!(
        site.get("/?feed=following")
            .await
            .count("div.article-preview"),
        0
    );
}

#[actix_web::test]
async fn signed_out_buttons_lead_to_sign_in_and_back() {
    let site = Site::spawn();
    let slug = "why-your-pagination-query-is-slow";
    let article = site.get(&format!("/article/{slug}")).await;
    for form in article.all("div.article-meta form") {
        assert_eq!(form.value().attr("method"), Some("get"));
        assert_eq!(form.value().attr("action"), Some("/login"));
    }
    assert_eq!(
        article.count("input[name=csrf]"),
        0,
        "a visitor's page has no token"
    );
    assert_eq!(
        article.attr("div.article-meta form input[name=next]", "value"),
        format!("/article/{slug}")
    );

    // The comment box's links lead back here once signed in or up.
    let back = format!("/article/{slug}");
    assert_eq!(
        article.attr("#comments a[href^='/login']", "href"),
        format!("/login?next={back}")
    );
    assert_eq!(
        article.attr("#comments a[href^='/register']", "href"),
        format!("/register?next={back}")
    );

    let login = site.get(&format!("/login?next=/article/{slug}")).await;
    assert_eq!(
        login.attr("form input[name=next]", "value"),
        format!("/article/{slug}")
    );
    let csrf = login.csrf();
    let res = site
        .post("/login", &[("csrf", &csrf), ("next", "//evil.example/")])
        .await;
    assert_eq!(res.status, 422, "a failed sign-in stays on the form");
    assert_eq!(
        res.count("form input[name=next]"),
        0,
        "a foreign next is dropped"
    );
    let next = format!("/article/{slug}");
    let res = site
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "ada@conduit.example"),
                ("password", "conduit-demo"),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!((res.status, res.location()), (303, next));
    // The token was bound to the signed-out session: signed in, it no longer passes.
    let res = site.post("/login", &[("csrf", &csrf), ("next", "/")]).await;
    assert_eq!(res.status, 403, "a token outlives no session change");
}

#[actix_web::test]
async fn signed_out_posts_go_to_sign_in() {
    let site = Site::spawn();
    let res = site.submit("/login", "/profile/chen/follow", &[]).await;
    assert_eq!((res.status, res.location()), (303, "/login".to_owned()));
    let res = site
        .submit(
            "/login",
            "/article/why-your-pagination-query-is-slow/favorite",
            &[],
        )
        .await;
    assert_eq!(res.location(), "/login");
}

#[actix_web::test]
async fn signing_up_from_an_article_comes_back_to_it() {
    let site = Site::spawn();
    let back = "/article/why-your-pagination-query-is-slow";
    let from = format!("/register?next={back}");
    let form = site.get(&from).await;
    assert_eq!(form.attr("form input[name=next]", "value"), back);
    assert_eq!(
        form.attr("div.auth-page a[href^='/login']", "href"),
        format!("/login?next=%2Farticle%2Fwhy-your-pagination-query-is-slow")
    );
    let res = site
        .submit(
            &from,
            "/register",
            &[
                ("username", "commenter"),
                ("email", "commenter@site.example"),
                ("password", "password-123"),
                ("next", back),
            ],
        )
        .await;
    assert_eq!((res.status, res.location()), (303, back.to_owned()));
    let article = site.get(back).await;
    assert_eq!(article.signed_in_as().as_deref(), Some("commenter"));
    assert_eq!(article.count("form.comment-form textarea"), 1);
}

#[actix_web::test]
async fn a_profile_always_has_its_bio_paragraph() {
    let site = Site::spawn();
    site.sign_up("no-bio").await;
    let profile = site.get("/profile/no-bio").await;
    assert_eq!(profile.count("div.user-info h4 + p"), 1);
    assert_eq!(profile.text("div.user-info h4 + p"), "");
    assert!(!profile.html.html().contains("null"));
    let res = site
        .submit(
            "/settings",
            "/settings",
            &[
                ("username", "no-bio"),
                ("email", "no-bio@site.example"),
                ("bio", "Now I have one."),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.html.html());
    let profile = site.get("/profile/no-bio").await;
    assert_eq!(profile.text("div.user-info h4 + p"), "Now I have one.");
}
