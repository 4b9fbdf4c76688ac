use crate::helpers::Site;

#[actix_web::test]
async fn write_edit_and_delete_an_article_with_tags() {
    let site = Site::spawn();
    site.sign_up("writer").await;
    let editor = site.get("/editor").await;
    assert_eq!(
        editor.attr("input[name=title]", "placeholder"),
        "Article Title"
    );
    assert_eq!(
        editor.attr("input[name=description]", "placeholder"),
        "What's this article about?"
    );
    assert_eq!(
        editor.attr("textarea[name=body]", "placeholder"),
        "Write your article (in markdown)"
    );
    assert_eq!(editor.count("input[placeholder='Enter tags']"), 1);
    assert_eq!(editor.text("div.editor-page button"), "Publish Article");
    assert!(editor.attr("script[src]", "src").ends_with("/editor.js"));

    let page = site
        .publish(
            "My first post",
            "## Hello\n\n- one\n- **two**",
            "rust, web testing",
        )
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("div.article-page div.banner h1"), "My first post");
    assert_eq!(page.text("div.article-content h2"), "Hello");
    assert_eq!(page.texts("div.article-content li strong"), ["two"]);
    assert_eq!(
        page.texts("div.article-content ul.tag-list li.tag-default.tag-pill.tag-outline"),
        ["rust", "testing", "web"]
    );
    assert_eq!(
        page.texts("div.banner div.article-meta a.btn")[0],
        "Edit Article"
    );
    assert_eq!(
        page.text("div.banner button.btn-outline-danger"),
        "Delete Article"
    );
    assert_eq!(page.count("div.article-actions div.article-meta"), 1);

    // Edit: the form holds the article; pills carry the tags; a new title moves the slug.
    let edit = site.get("/editor/my-first-post").await;
    assert_eq!(edit.attr("input[name=title]", "value"), "My first post");
    assert_eq!(
        edit.count("div.tag-list span.tag-default.tag-pill i.ion-close-round"),
        3
    );
    let res = site
        .submit(
            "/editor/my-first-post",
            "/editor/my-first-post",
            &[
                ("title", "My edited post"),
                ("description", "Changed"),
                ("body", "Plain body"),
                ("tag", "rust"),
                ("tags", "fresh"),
            ],
        )
        .await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/article/my-edited-post".to_owned())
    );
    let page = site.follow(res).await;
    assert_eq!(
        page.texts("div.article-content ul.tag-list li"),
        ["fresh", "rust"]
    );
    assert_eq!(site.get("/article/my-first-post").await.status, 404);

    // Delete: back home, gone.
    let res = site
        .submit(
            "/article/my-edited-post",
            "/article/my-edited-post/delete",
            &[],
        )
        .await;
    assert_eq!((res.status, res.location()), (303, "/".to_owned()));
    assert_eq!(site.get("/article/my-edited-post").await.status, 404);
    let home = site.get("/").await;
    assert!(
        !home
            .texts("div.article-preview h1")
            .contains(&"My edited post".to_owned())
    );
}

#[actix_web::test]
async fn editor_errors_keep_the_input_and_others_cannot_edit() {
    let site = Site::spawn();
    site.sign_up("careful").await;
    let page = site
        .submit(
            "/editor",
            "/editor",
            &[
                ("title", ""),
                ("description", "d"),
                ("body", "kept body"),
                ("tags", "a b"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(page.texts("ul.error-messages li"), ["title can't be blank"]);
    assert_eq!(page.text("textarea[name=body]"), "kept body");
    assert_eq!(page.count("div.tag-list span.tag-pill"), 2);
    let other = site.get("/editor/why-your-pagination-query-is-slow").await;
    assert_eq!(other.status, 403);
    assert_eq!(site.get("/editor/does-not-exist").await.status, 404);
}

#[actix_web::test]
async fn comment_and_delete_it_and_no_delete_on_others_comments() {
    let site = Site::spawn();
    site.sign_up("commenter").await;
    let slug = "why-your-pagination-query-is-slow";
    let page = site.get(&format!("/article/{slug}")).await;
    assert_eq!(
        page.attr("form.card.comment-form textarea", "placeholder"),
        "Write a comment..."
    );
    assert_eq!(page.text("form.comment-form button"), "Post Comment");
    assert_eq!(page.count("form.comment-form img.comment-author-img"), 1);
    let others = page.count("div.card div.card-footer span.mod-options");
    assert_eq!(others, 0, "no delete control on others' comments");
    let before = page.count("div.card > div.card-block > p.card-text");

    let res = site
        .submit(
            &format!("/article/{slug}"),
            &format!("/article/{slug}/comments"),
            &[("body", "My own comment")],
        )
        .await;
    assert_eq!(res.status, 303);
    let page = site.follow(res).await;
    assert_eq!(
        page.count("div.card > div.card-block > p.card-text"),
        before + 1
    );
    let mine = page
        .all("div.card")
        .into_iter()
        .find(|c| c.html().contains("My own comment"))
        .unwrap();
    assert!(mine.html().contains("mod-options") && mine.html().contains("ion-trash-a"));
    assert!(mine.html().contains("comment-author") && mine.html().contains("date-posted"));
    let action = scraper::Selector::parse("span.mod-options form").unwrap();
    let action = mine
        .select(&action)
        .next()
        .unwrap()
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    let res = site.submit(&format!("/article/{slug}"), &action, &[]).await;
    assert_eq!(res.status, 303);
    let page = site.follow(res).await;
    assert_eq!(
        page.count("div.card > div.card-block > p.card-text"),
        before
    );

    let blank = site
        .submit(
            &format!("/article/{slug}"),
            &format!("/article/{slug}/comments"),
            &[("body", "  ")],
        )
        .await;
    assert_eq!(blank.status, 422);
    assert_eq!(blank.texts("ul.error-messages li"), ["body can't be blank"]);
}

#[actix_web::test]
async fn visitors_see_the_sign_in_prompt_instead_of_the_comment_form() {
    let site = Site::spawn();
    let page = site.get("/article/why-your-pagination-query-is-slow").await;
    assert_eq!(page.count("form.comment-form"), 0);
    assert!(
        page.html
            .html()
            .contains("to add comments on this article.")
    );
    assert_eq!(
        page.texts("div.banner div.article-meta button").len(),
        2,
        "follow and favorite"
    );
    assert!(
        page.text("div.banner div.article-meta")
            .contains("Follow ada")
    );
    assert!(
        page.text("div.banner div.article-meta")
            .contains("Favorite Article")
    );
    assert_eq!(page.count("span.counter"), 2);
}

#[actix_web::test]
async fn pagination_and_the_tag_tab() {
    let site = Site::spawn();
    let first = site.get("/").await;
    let second = site.get("/?page=2").await;
    assert_eq!(second.text("ul.pagination li.page-item.active button"), "2");
    assert_ne!(
        first.texts("div.article-preview h1"),
        second.texts("div.article-preview h1")
    );
    let last = site.get("/?page=6").await;
    assert_eq!(last.count("div.article-preview"), 10);
    // A page past the last is no page (each number would be one more cached copy).
    let beyond = site.get("/?page=99").await;
    assert_eq!(beyond.status, 404);
    // A page whose offset would overflow: a 404 page, not an error.
    let absurd = site.get("/?page=9223372036854775807").await;
    assert_eq!(absurd.status, 404);
    assert_eq!(absurd.text("div.error-page h1"), "404");

    let tagged = site.get("/tag/postgres").await;
    assert_eq!(tagged.status, 200);
    let tabs = tagged.texts("div.feed-toggle a.nav-link");
    assert_eq!(tabs, ["Global Feed", "# postgres"]);
    assert_eq!(
        tagged.text("div.feed-toggle a.nav-link.active"),
        "# postgres"
    );
    for tags in tagged.all("div.article-preview ul.tag-list") {
        assert!(tags.html().contains(">postgres<"));
    }
    assert_eq!(
        site.get("/tag/nothing-has-this")
            .await
            .text("div.empty-feed-message"),
        "No articles are here... yet."
    );
}

#[actix_web::test]
async fn unknown_pages_slugs_and_users_get_the_404_page_in_the_layout() {
    let site = Site::spawn();
    for path in [
        "/no/such/page",
        "/article/no-such-article",
        "/profile/no-such-user",
        "/profile/no-such-user/favorites",
    ] {
        let page = site.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.text("a.navbar-brand"), "conduit", "{path}");
        assert_eq!(page.count("footer"), 1);
        assert_eq!(page.text("div.error-page h1"), "404");
    }
}

#[actix_web::test]
async fn a_new_tag_shows_in_popular_tags_at_once() {
    let site = Site::spawn();
    site.sign_up("tagger").await;
    // More tags than a short sidebar holds (the demo's 15 and 10 more), each on one article,
    // then one more that sorts last among them.
    let fillers: Vec<String> = (1..=10).map(|n| format!("filler-{n:02}")).collect();
    site.publish("Many tags", "Body", &fillers.join(" ")).await;
    let before = site
        .get("/")
        .await
        .texts("div.sidebar div.tag-list a.tag-pill");
    assert!(before.len() >= 25, "{before:?}");
    site.publish("Tagged anew", "Body", "zz-new-tag").await;
    let after = site
        .get("/")
        .await
        .texts("div.sidebar div.tag-list a.tag-pill");
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert_eq!(after.last().map(String::as_str), Some("zz-new-tag"));
}

#[actix_web::test]
async fn page_buttons_are_get_forms_on_the_same_path() {
    let site = Site::spawn();
    for (path, action) in [("/", "/"), ("/tag/rust", "/tag/rust")] {
        let first = site.get(path).await;
        let form = format!("nav form[method=get][action='{action}']");
        assert_eq!(first.count(&form), 1, "{path}");
        assert_eq!(
            first.text("ul.pagination li.page-item.active button[name=page]"),
            "1"
        );
        let next = first.attr(
            &format!("{form} li:not(.active) button[name=page]"),
            "value",
        );
        assert_eq!(next, "2");
        // What the browser asks for when that button is pressed.
        let second = site.get(&format!("{action}?page={next}")).await;
        assert_eq!(second.status, 200, "{path}");
        assert_eq!(
            second.text("ul.pagination li.page-item.active button[name=page]"),
            "2"
        );
        assert_ne!(
            first.texts("div.article-preview h1"),
            second.texts("div.article-preview h1")
        );
    }
    // Your Feed's buttons keep the feed: `/?feed=following&page=N`.
    site.sign_up("pager").await;
    for author in ["chen", "dara", "emeka"] {
        let profile = format!("/profile/{author}");
        let follow = site
            .submit(&profile, &format!("{profile}/follow"), &[])
            .await;
        assert_eq!(follow.status, 303);
    }
    let feed = site.get("/?feed=following").await;
    let kept = "nav form[method=get][action='/'] input[type=hidden][name=feed]";
    assert_eq!(feed.attr(kept, "value"), "following");
    let second = site.get("/?feed=following&page=2").await;
    assert_eq!(
        second.text("div.feed-toggle a.nav-link.active"),
        "Your Feed"
    );
    assert_eq!(
        second.text("ul.pagination li.page-item.active button[name=page]"),
        "2"
    );
}
