use serde_json::{Value, json};

fn slugs(body: &Value) -> Vec<String> {
    body["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn a_dot_segment_slug_or_username_is_not_found_and_reaches_no_other_route(app) {
        for path in ["/api/articles/%2E%2E", "/api/articles/%2e", "/api/articles/%2E%2E/comments", "/api/profiles/%2E%2E"] {
            let (status, body) = app.get(path, None).await;
            assert_eq!(status, 404, "{path}: {body}");
            assert!(body["errors"].is_object(), "{path}: {body}");
        }
    }

    async fn create_answers_201_with_the_whole_article(app) {
        let token = app.register("author1").await;
        let article = app.publish(&token, "How to train your dragon", &["training", "dragons", "Alpha"]).await;
        assert_eq!(article["slug"], "how-to-train-your-dragon");
        assert_eq!(article["title"], "How to train your dragon");
        assert_eq!(article["body"], "Some *markdown*");
        assert_eq!(article["tagList"], json!(["Alpha", "dragons", "training"]), "sorted");
        assert_eq!(article["favorited"], false);
        assert_eq!(article["favoritesCount"], 0);
        assert_eq!(article["author"], json!({"username": "author1", "bio": null, "image": null, "following": false}));
        let created = article["createdAt"].as_str().unwrap();
        assert_eq!(created.len(), 24, "ISO 8601 with milliseconds: {created}");
        assert!(created.ends_with('Z') && created.as_bytes()[19] == b'.');
        let (status, fetched) = app.get("/api/articles/how-to-train-your-dragon", None).await;
        assert_eq!((status, &fetched["article"]), (200, &article));
    }

    async fn same_titles_make_different_slugs_and_tags_are_optional(app) {
        let token = app.register("author2").await;
        let (status, a) = app.post("/api/articles", Some(&token), json!({"article": {"title": "Twin", "description": "d", "body": "b"}})).await;
        assert_eq!(status, 201);
        assert_eq!(a["article"]["tagList"], json!([]));
        let (status, b) = app.post("/api/articles", Some(&token), json!({"article": {"title": "Twin", "description": "d", "body": "b"}})).await;
        assert_eq!(status, 201);
        assert_ne!(a["article"]["slug"], b["article"]["slug"]);
    }

    async fn create_validates_and_needs_auth(app) {
        let token = app.register("author3").await;
        let (status, body) = app.post("/api/articles", Some(&token), json!({"article": {"title": "", "body": "b"}})).await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"]["title"], json!(["can't be blank"]));
        assert_eq!(body["errors"]["description"], json!(["can't be blank"]));
        let (status, _) = app.post("/api/articles", Some(&token), json!({"article": {"title": "t", "description": "d", "body": "b", "tagList": null}})).await;
        assert_eq!(status, 422);
        let (status, body) = app.post("/api/articles", None, json!({"article": {"title": "t", "description": "d", "body": "b"}})).await;
        assert_eq!((status, body), (401, json!({"errors": {"token": ["is missing"]}})));
    }

    async fn bodies_past_the_render_limits_are_refused_on_create_and_update(app) {
        let token = app.register("author-deep").await;
        let article = app.publish(&token, "Shallow", &[]).await;
        let slug = article["slug"].as_str().unwrap();
        let deep = ">".repeat(conduit_markdown::MAX_DEPTH + 1);
        let long = "a".repeat(conduit_markdown::MAX_BYTES + 1);
        for body in [&deep, &long] {
            let (status, answer) = app.post("/api/articles", Some(&token), json!({"article": {"title": "t", "description": "d", "body": body}})).await;
            assert_eq!(status, 422, "{answer}");
            assert!(answer["errors"]["body"][0].is_string(), "{answer}");
            let (status, answer) = app.put(&format!("/api/articles/{slug}"), Some(&token), json!({"article": {"body": body}})).await;
            assert_eq!(status, 422, "{answer}");
        }
        let (_, kept) = app.get(&format!("/api/articles/{slug}"), None).await;
        assert_eq!(kept["article"]["body"], article["body"], "a refused update changes nothing");
    }

    async fn update_is_partial_moves_the_slug_and_keeps_created_at(app) {
        let token = app.register("author4").await;
        let original = app.publish(&token, "Original title", &["a", "b"]).await;
        let (status, body) = app.put("/api/articles/original-title", Some(&token), json!({"article": {"description": "New description"}})).await;
        assert_eq!(status, 200);
        let updated = &body["article"];
        assert_eq!(updated["description"], "New description");
        assert_eq!(updated["title"], "Original title");
        assert_eq!(updated["tagList"], json!(["a", "b"]), "absent tagList keeps the tags");
        assert_eq!(updated["createdAt"], original["createdAt"]);
        assert!(updated["updatedAt"].as_str() > original["updatedAt"].as_str());

        let (status, body) = app.put("/api/articles/original-title", Some(&token), json!({"article": {"title": "Brand new title", "tagList": []}})).await;
        assert_eq!(status, 200);
        assert_eq!(body["article"]["slug"], "brand-new-title");
        assert_eq!(body["article"]["tagList"], json!([]));
        assert_eq!(app.get("/api/articles/original-title", None).await.0, 404);

        let (status, _) = app.put("/api/articles/brand-new-title", Some(&token), json!({"article": {"tagList": null}})).await;
        assert_eq!(status, 422);
        let (status, _) = app.put("/api/articles/brand-new-title", Some(&token), json!({"article": {"title": null}})).await;
        assert_eq!(status, 422);
    }

    async fn only_the_author_may_update_or_delete_and_auth_comes_before_existence(app) {
        let owner = app.register("owner1").await;
        let other = app.register("other1").await;
        app.publish(&owner, "Owned", &[]).await;
        let forbidden = json!({"errors": {"article": ["forbidden"]}});
        assert_eq!(app.put("/api/articles/owned", Some(&other), json!({"article": {"title": "Mine now"}})).await, (403, forbidden.clone()));
        assert_eq!(app.delete("/api/articles/owned", Some(&other)).await, (403, forbidden));
        assert_eq!(app.get("/api/articles/owned", None).await.1["article"]["title"], "Owned");

        let not_found = json!({"errors": {"article": ["not found"]}});
        let missing = json!({"errors": {"token": ["is missing"]}});
        assert_eq!(app.put("/api/articles/no-such", None, json!({"article": {"title": "x"}})).await, (401, missing.clone()));
        assert_eq!(app.put("/api/articles/no-such", Some(&owner), json!({"article": {"title": "x"}})).await, (404, not_found.clone()));
        assert_eq!(app.delete("/api/articles/no-such", None).await, (401, missing));
        assert_eq!(app.delete("/api/articles/no-such", Some(&owner)).await, (404, not_found.clone()));
        assert_eq!(app.get("/api/articles/no-such", None).await, (404, not_found));
    }

    async fn delete_answers_204_and_removes_comments_and_favorites(app) {
        let owner = app.register("owner2").await;
        let fan = app.register("fan2").await;
        app.publish(&owner, "Short lived", &["ephemeral"]).await;
        app.post("/api/articles/short-lived/favorite", Some(&fan), json!({})).await;
        app.post("/api/articles/short-lived/comments", Some(&fan), json!({"comment": {"body": "Nice"}})).await;
        let res = app.http.delete(format!("{}/api/articles/short-lived", app.address))
            .header("Authorization", format!("Token {owner}")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 204);
        assert!(res.text().await.unwrap().is_empty());
        assert_eq!(app.get("/api/articles/short-lived", None).await.0, 404);
        assert_eq!(app.get("/api/articles/short-lived/comments", None).await.0, 404);
        assert_eq!(app.get("/api/articles?favorited=fan2", None).await.1, json!({"articles": [], "articlesCount": 0}));
        assert!(!app.get("/api/tags", None).await.1["tags"].as_array().unwrap().contains(&json!("ephemeral")));
    }

    async fn lists_are_newest_first_without_bodies_and_count_all_matches(app) {
        let (status, body) = app.get("/api/articles", None).await;
        assert_eq!(status, 200);
        let total = body["articlesCount"].as_i64().unwrap();
        assert!(total >= 60);
        assert_eq!(body["articles"].as_array().unwrap().len(), 20, "default limit");
        assert!(body["articles"][0].get("body").is_none());
        let times: Vec<&str> = body["articles"].as_array().unwrap().iter().map(|a| a["createdAt"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]));
        let (_, page) = app.get("/api/articles?limit=3&offset=2", None).await;
        assert_eq!(slugs(&page), slugs(&body)[2..5]);
        assert_eq!(page["articlesCount"].as_i64().unwrap(), total);

        let token = app.register("lister").await;
        let first = app.publish(&token, "List one", &["list-tag"]).await;
        let second = app.publish(&token, "List two", &["list-tag"]).await;
        let (_, mine) = app.get("/api/articles?author=lister", None).await;
        assert_eq!(slugs(&mine), [second["slug"].as_str().unwrap(), first["slug"].as_str().unwrap()]);
        assert_eq!(mine["articlesCount"], 2);
        let (_, tagged) = app.get("/api/articles?tag=list-tag&limit=1", None).await;
        assert_eq!((slugs(&tagged).len(), tagged["articlesCount"].as_i64()), (1, Some(2)));
        let (_, combined) = app.get("/api/articles?tag=list-tag&author=ada", None).await;
        assert_eq!(combined, json!({"articles": [], "articlesCount": 0}));
        let (_, empty_filters) = app.get("/api/articles?tag=&author=&favorited=&limit=&offset=", None).await;
        assert_eq!(empty_filters["articlesCount"].as_i64().unwrap(), total + 2, "empty filters are no filters");
        for bad in ["limit=0", "limit=-3", "limit=ten", "offset=-1"] {
            assert_eq!(app.get(&format!("/api/articles?{bad}"), None).await.0, 422, "{bad}");
        }
    }

    async fn favorite_is_idempotent_with_exact_counts_and_filters(app) {
        let author = app.register("loved-author").await;
        let a = app.register("fan-a1").await;
        let b = app.register("fan-b1").await;
        app.publish(&author, "Lovely", &[]).await;
        for _ in 0..2 {
            let (status, body) = app.post("/api/articles/lovely/favorite", Some(&a), json!({})).await;
            assert_eq!(status, 200);
            assert_eq!((body["article"]["favorited"].clone(), body["article"]["favoritesCount"].clone()), (json!(true), json!(1)));
        }
        let (_, body) = app.post("/api/articles/lovely/favorite", Some(&b), json!({})).await;
        assert_eq!(body["article"]["favoritesCount"], 2);
        assert_eq!(app.get("/api/articles/lovely", Some(&a)).await.1["article"]["favorited"], true);
        assert_eq!(app.get("/api/articles/lovely", None).await.1["article"]["favorited"], false);
        let (_, listed) = app.get("/api/articles?favorited=fan-a1", Some(&a)).await;
        assert_eq!((slugs(&listed), listed["articlesCount"].clone()), (vec!["lovely".to_owned()], json!(1)));
        assert_eq!(listed["articles"][0]["favorited"], true);
        for _ in 0..2 {
            let (status, body) = app.delete("/api/articles/lovely/favorite", Some(&a)).await;
            assert_eq!(status, 200);
            assert_eq!((body["article"]["favorited"].clone(), body["article"]["favoritesCount"].clone()), (json!(false), json!(1)));
        }
        let not_found = json!({"errors": {"article": ["not found"]}});
        assert_eq!(app.post("/api/articles/nope/favorite", Some(&a), json!({})).await, (404, not_found));
        assert_eq!(app.post("/api/articles/nope/favorite", None, json!({})).await.0, 401);
    }

    async fn the_feed_shows_followed_authors_only(app) {
        let reader = app.register("feed-reader1").await;
        assert_eq!(app.get("/api/articles/feed", Some(&reader)).await, (200, json!({"articles": [], "articlesCount": 0})));
        assert_eq!(app.get("/api/articles/feed", None).await.0, 401);
        let writer = app.register("feed-writer1").await;
        app.publish(&writer, "Feed item one", &[]).await;
        app.publish(&writer, "Feed item two", &[]).await;
        app.post("/api/profiles/feed-writer1/follow", Some(&reader), json!({})).await;
        let (status, feed) = app.get("/api/articles/feed?limit=1", Some(&reader)).await;
        assert_eq!(status, 200);
        assert_eq!(feed["articlesCount"], 2);
        assert_eq!(slugs(&feed), ["feed-item-two"]);
        assert_eq!(feed["articles"][0]["author"]["following"], true);
        assert!(feed["articles"][0].get("body").is_none());
    }

    async fn tags_list_every_tag_in_use(app) {
        let (status, body) = app.get("/api/tags", None).await;
        assert_eq!(status, 200);
        assert_eq!(body["tags"].as_array().unwrap().len(), 15);
        let token = app.register("tagger1").await;
        app.publish(&token, "Tagged", &["zzz-new"]).await;
        assert!(app.get("/api/tags", None).await.1["tags"].as_array().unwrap().contains(&json!("zzz-new")));
    }
}
