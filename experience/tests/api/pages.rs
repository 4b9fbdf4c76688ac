use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn page_endpoints_answer_only_a_caller_with_the_internal_credential(app) {
        use conduit_service::internal::CREDENTIAL_HEADER;
        let url = format!("{}/pages/home", app.address);
        let res = app.http.get(&url).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body, json!({"errors": {"credential": ["internal credential missing or wrong"]}}));
        let res = app.http.get(&url).header(CREDENTIAL_HEADER, "0".repeat(64)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        assert_eq!(app.internal.get(&url).send().await.unwrap().status().as_u16(), 200);
        // The public API and the probes need none.
        assert_eq!(app.http.get(format!("{}/api/tags", app.address)).send().await.unwrap().status().as_u16(), 200);
        assert_eq!(app.http.get(format!("{}/ready", app.address)).send().await.unwrap().status().as_u16(), 200);
    }

    async fn the_home_page_has_the_list_pagination_and_popular_tags(app) {
        let (status, page) = app.get("/pages/home", None).await;
        assert_eq!(status, 200);
        assert_eq!(page["viewer"], json!(null));
        assert_eq!(page["tab"], json!({"kind": "global"}));
        assert_eq!(page["list"]["articles"].as_array().unwrap().len(), 10);
        assert_eq!(page["list"]["articles_count"], 60);
        assert_eq!((page["list"]["page"].clone(), page["list"]["pages"].clone()), (json!(1), json!(6)));
        assert_eq!(page["popular_tags"].as_array().unwrap().len(), 15);
        let (_, second) = app.get("/pages/home?page=2", None).await;
        assert_ne!(second["list"]["articles"][0]["slug"], page["list"]["articles"][0]["slug"]);
        let (_, bad) = app.get("/pages/home?page=zero", None).await;
        assert_eq!(bad["list"]["page"], 1);
        // A page whose offset would overflow is no page (not a panic: a 404).
        for path in ["/pages/home?page=9223372036854775807", "/pages/profile/ada?page=922337203685477582"] {
            assert_eq!(app.get(path, None).await, (404, json!({"errors": {"page": ["not found"]}})), "{path}");
        }
        let (_, tagged) = app.get("/pages/home?tag=rust", None).await;
        assert_eq!(tagged["tab"], json!({"kind": "tag", "tag": "rust"}));
        assert!(tagged["list"]["articles"].as_array().unwrap().iter().all(|a| a["tagList"].as_array().unwrap().contains(&json!("rust"))));
    }

    async fn your_feed_needs_a_user_and_shows_the_viewer(app) {
        assert_eq!(app.get("/pages/home?feed=following", None).await.0, 401);
        let token = app.login_demo("kai").await;
        let (status, page) = app.get("/pages/home?feed=following", Some(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(page["tab"], json!({"kind": "feed"}));
        assert_eq!(page["viewer"]["username"], "kai");
        for a in page["list"]["articles"].as_array().unwrap() {
            assert_eq!(a["author"]["following"], true);
        }
        // A broken token is served as signed out, not as an error.
        let (status, page) = app.get("/pages/home", Some("garbage")).await;
        assert_eq!((status, page["viewer"].clone()), (200, json!(null)));
    }

    async fn the_article_page_has_the_body_and_comments(app) {
        let token = app.register("page-author").await;
        app.publish(&token, "Page article", &[]).await;
        app.post("/api/articles/page-article/comments", Some(&token), json!({"comment": {"body": "Self comment"}})).await;
        let (status, page) = app.get("/pages/article/page-article", Some(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(page["article"]["body"], "Some *markdown*");
        assert_eq!(page["comments"][0]["body"], "Self comment");
        assert_eq!(page["viewer"]["username"], "page-author");
        assert_eq!(app.get("/pages/article/missing", None).await, (404, json!({"errors": {"article": ["not found"]}})));
    }

    async fn the_profile_page_has_my_and_favorited_articles(app) {
        let (status, page) = app.get("/pages/profile/ada", None).await;
        assert_eq!(status, 200);
        assert_eq!(page["profile"]["username"], "ada");
        assert_eq!(page["tab"], "articles");
        assert!(page["list"]["articles"].as_array().unwrap().iter().all(|a| a["author"]["username"] == "ada"));
        let (_, favs) = app.get("/pages/profile/ada?tab=favorites", None).await;
        assert_eq!(favs["tab"], "favorites");
        assert_eq!(app.get("/pages/profile/nobody-x", None).await.0, 404);
    }

    async fn editor_and_settings_pages_need_the_right_user(app) {
        assert_eq!(app.get("/pages/editor", None).await.0, 401);
        assert_eq!(app.get("/pages/settings", None).await.0, 401);
        let owner = app.register("editor-owner").await;
        let other = app.register("editor-other").await;
        app.publish(&owner, "Editable", &["x"]).await;
        let (status, page) = app.get("/pages/editor", Some(&owner)).await;
        assert_eq!((status, page["article"].clone()), (200, json!(null)));
        let (status, page) = app.get("/pages/editor/editable", Some(&owner)).await;
        assert_eq!(status, 200);
        assert_eq!(page["article"]["tagList"], json!(["x"]));
        assert_eq!(app.get("/pages/editor/editable", Some(&other)).await, (403, json!({"errors": {"article": ["forbidden"]}})));
        let (status, page) = app.get("/pages/settings", Some(&owner)).await;
        assert_eq!(status, 200);
        assert_eq!(page["viewer"]["email"], "editor-owner@test.example");
    }
}
