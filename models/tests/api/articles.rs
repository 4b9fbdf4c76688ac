use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn create_article_returns_it_with_sorted_tags_and_author(app) {
        let me = app.new_user("writer").await;
        let article = app.new_article(me, "Hello, World!", &["zeta", "alpha", "alpha", " mid "]).await;
        assert_eq!(article["slug"], "hello-world");
        assert_eq!(article["tag_list"], json!(["alpha", "mid", "zeta"]));
        assert_eq!(article["author"]["username"], "writer");
        assert_eq!(article["favorites_count"], 0);
        assert_eq!(article["favorited"], false);
        assert_eq!(article["body"], "# Body\n\nText.");
        assert_eq!(article["created_at"], article["updated_at"]);
    }

    async fn same_titles_get_different_slugs(app) {
        let me = app.new_user("twin").await;
        let a = app.new_article(me, "Same title", &[]).await;
        let b = app.new_article(me, "Same title", &[]).await;
        assert_eq!(a["slug"], "same-title");
        assert_ne!(a["slug"], b["slug"]);
        assert!(b["slug"].as_str().unwrap().starts_with("same-title-"));
    }

    async fn create_article_for_an_unknown_author_is_422_and_blank_fields_too(app) {
        let (status, _) = app
            .post("/articles", json!({"author_id": 999999, "title": "t", "description": "d", "body": "b"}))
            .await;
        assert_eq!(status, 422);
        let me = app.new_user("blank").await;
        let (status, body) = app
            .post("/articles", json!({"author_id": me, "title": "", "description": "d", "body": " "}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"]["title"], json!(["can't be blank"]));
        assert_eq!(body["errors"]["body"], json!(["can't be blank"]));
    }

    async fn get_article_by_slug_or_404(app) {
        let (status, article) = app.get("/articles/why-your-pagination-query-is-slow").await;
        assert_eq!(status, 200);
        assert_eq!(article["title"], "Why your pagination query is slow");
        assert!(article["body"].as_str().unwrap().contains("## The short version"));
        let (status, body) = app.get("/articles/no-such-article").await;
        assert_eq!((status, body), (404, json!({"errors": {"article": ["not found"]}})));
    }

    async fn update_changes_only_given_fields_and_moves_the_slug_with_the_title(app) {
        let me = app.new_user("editor").await;
        let created = app.new_article(me, "First title", &["a", "b"]).await;
        let (status, updated) = app
            .patch("/articles/first-title", json!({"author_id": me, "body": "New body"}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(updated["slug"], "first-title");
        assert_eq!(updated["body"], "New body");
        assert_eq!(updated["title"], "First title");
        assert_eq!(updated["tag_list"], json!(["a", "b"]), "absent tag_list keeps the tags");
        assert_eq!(updated["created_at"], created["created_at"]);
        assert!(updated["updated_at"].as_str() > created["updated_at"].as_str());

        let (status, renamed) = app
            .patch("/articles/first-title", json!({"author_id": me, "title": "Second title", "tag_list": []}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(renamed["slug"], "second-title");
        assert_eq!(renamed["tag_list"], json!([]));
        assert_eq!(app.get("/articles/first-title").await.0, 404);
        assert_eq!(app.get("/articles/second-title").await.0, 200);
    }

    async fn only_the_author_may_update_or_delete(app) {
        let owner = app.new_user("owner").await;
        let other = app.new_user("other").await;
        app.new_article(owner, "Mine", &[]).await;
        let (status, body) = app.patch("/articles/mine", json!({"author_id": other, "title": "Yours"})).await;
        assert_eq!((status, body), (403, json!({"errors": {"article": ["forbidden"]}})));
        let (status, _) = app.delete(&format!("/articles/mine?author_id={other}")).await;
        assert_eq!(status, 403);
        let (_, article) = app.get("/articles/mine").await;
        assert_eq!(article["title"], "Mine", "nothing changed");
        let (status, _) = app.patch("/articles/nope", json!({"author_id": owner, "title": "x"})).await;
        assert_eq!(status, 404);
    }

    async fn delete_removes_the_article_its_comments_favorites_and_tag_counts(app) {
        let author = app.new_user("deleter").await;
        let fan = app.new_user("fan").await;
        app.new_article(author, "Doomed", &["only-here"]).await;
        app.put(&format!("/articles/doomed/favorites/{fan}")).await;
        app.post("/articles/doomed/comments", json!({"author_id": fan, "body": "Nice"})).await;
        let (_, tags) = app.get("/tags").await;
        assert!(tags["tags"].as_array().unwrap().contains(&json!("only-here")));
        let (_, before) = app.get("/articles?limit=1").await;

        let (status, body) = app.delete(&format!("/articles/doomed?author_id={author}")).await;
        assert_eq!((status, body), (204, json!(null)));
        assert_eq!(app.get("/articles/doomed").await.0, 404);
        assert_eq!(app.get("/articles/doomed/comments").await.0, 404);
        let (_, tags) = app.get("/tags").await;
        assert!(!tags["tags"].as_array().unwrap().contains(&json!("only-here")));
        let (_, faved) = app.get("/articles?favorited=fan").await;
        assert_eq!(faved["articles_count"], 0);
        let (_, by_author) = app.get("/articles?author=deleter").await;
        assert_eq!(by_author["articles_count"], 0);
        let (_, after) = app.get("/articles?limit=1").await;
        assert_eq!(after["articles_count"].as_i64().unwrap(), before["articles_count"].as_i64().unwrap() - 1);
    }

    async fn favorites_are_idempotent_and_counts_exact(app) {
        let author = app.new_user("popular").await;
        let a = app.new_user("fan-a").await;
        let b = app.new_user("fan-b").await;
        app.new_article(author, "Loved", &[]).await;
        for _ in 0..2 {
            let (status, article) = app.put(&format!("/articles/loved/favorites/{a}")).await;
            assert_eq!(status, 200);
            assert_eq!(article["favorited"], true);
            assert_eq!(article["favorites_count"], 1);
        }
        let (_, article) = app.put(&format!("/articles/loved/favorites/{b}")).await;
        assert_eq!(article["favorites_count"], 2);
        let (_, seen_by_a) = app.get(&format!("/articles/loved?viewer={a}")).await;
        assert_eq!(seen_by_a["favorited"], true);
        let (_, seen_by_author) = app.get(&format!("/articles/loved?viewer={author}")).await;
        assert_eq!(seen_by_author["favorited"], false);
        for _ in 0..2 {
            let (status, article) = app.delete(&format!("/articles/loved/favorites/{a}")).await;
            assert_eq!(status, 200);
            assert_eq!(article["favorited"], false);
            assert_eq!(article["favorites_count"], 1);
        }
        assert_eq!(app.put(&format!("/articles/nope/favorites/{a}")).await.0, 404);
    }

    async fn tags_lists_every_tag_in_use_most_used_first(app) {
        let (status, body) = app.get("/tags").await;
        assert_eq!(status, 200);
        let tags: Vec<String> = serde_json::from_value(body["tags"].clone()).unwrap();
        assert_eq!(tags.len(), 15, "the demo data uses 15 tags");
        let me = app.new_user("tagger").await;
        app.new_article(me, "Fresh tag", &["brand-new-tag"]).await;
        let (_, body) = app.get("/tags").await;
        assert_eq!(body["tags"].as_array().unwrap().len(), 16);
        assert_eq!(body["tags"].as_array().unwrap().last().unwrap(), "brand-new-tag");
    }

    async fn tags_limited_are_the_most_used_first(app) {
        let (_, all) = app.get("/tags").await;
        let (status, top) = app.get("/tags?limit=3").await;
        assert_eq!(status, 200);
        assert_eq!(top["tags"].as_array().unwrap()[..], all["tags"].as_array().unwrap()[..3]);
        for bad in ["0", "1001", "-1", "x"] {
            let (status, body) = app.get(&format!("/tags?limit={bad}")).await;
            assert_eq!(status, 422, "{bad}: {body}");
        }
    }
}
