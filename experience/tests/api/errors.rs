use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn malformed_json_and_wrong_types_are_422_with_an_errors_body(app) {
        let res = app.http.post(format!("{}/api/users", app.address))
            .header("content-type", "application/json").body("{\"user\": ").send().await.unwrap();
        assert_eq!(res.status().as_u16(), 422);
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["errors"]["body"][0].is_string());
        let (status, body) = app.post("/api/users", None, json!({"user": {"username": 5, "email": [], "password": true}})).await;
        assert_eq!(status, 422);
        assert!(body["errors"]["body"][0].as_str().unwrap().contains("invalid type"));
        let token = app.register("typo").await;
        let (status, _) = app.post("/api/articles", Some(&token), json!({"article": {"title": "t", "description": "d", "body": "b", "tagList": "rust"}})).await;
        assert_eq!(status, 422);
    }

    async fn made_up_methods_are_405_and_share_one_metrics_label(app) {
        for i in 0..50 {
            let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
            let res = app.http.request(method, format!("{}/api/articles", app.address)).send().await.unwrap();
            assert_eq!(res.status(), 405);
            assert!(res.headers()["allow"].to_str().unwrap().contains("GET"));
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body, json!({"errors": {"method": ["is not allowed"]}}));
        }
        let metrics = app.http.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
        assert!(!metrics.contains("BREW"), "no label per made-up method");
        assert!(metrics.contains(r#"method="other",route="<unmatched>",status="405"} 50"#), "{metrics}");
    }

    async fn oversized_bodies_are_413_and_unknown_routes_404_json(app) {
        let big = "x".repeat(100 * 1024);
        let (status, body) = app.post("/api/users", None, json!({"user": {"username": big}})).await;
        assert_eq!(status, 413);
        assert!(body["errors"]["body"].is_array());
        assert_eq!(app.get("/api/nothing-here", None).await, (404, json!({"errors": {"route": ["not found"]}})));
        assert_eq!(app.get("/nothing-here", None).await.0, 404);
    }

    async fn cors_preflights_are_answered_and_responses_allow_any_origin(app) {
        let res = app.http.request(reqwest::Method::OPTIONS, format!("{}/api/articles", app.address))
            .header("Origin", "https://spa.example")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization, content-type")
            .send().await.unwrap();
        assert_eq!(res.status().as_u16(), 204);
        let h = res.headers();
        assert_eq!(h["access-control-allow-origin"], "*");
        assert!(h["access-control-allow-methods"].to_str().unwrap().contains("PUT"));
        assert!(h["access-control-allow-headers"].to_str().unwrap().to_lowercase().contains("authorization"));
        let res = app.http.get(format!("{}/api/tags", app.address)).header("Origin", "https://spa.example").send().await.unwrap();
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        assert_eq!(res.headers()["content-type"], "application/json; charset=utf-8");
    }

    async fn reads_call_models_once_and_writes_at_most_twice_besides_the_session_check(app) {
        let token = app.register("counter").await;
        app.publish(&token, "Counted article", &["count"]).await;
        let c = app.post("/api/articles/counted-article/comments", Some(&token), json!({"comment": {"body": "hi"}})).await.1;
        let comment_id = c["comment"]["id"].as_i64().unwrap();
        let reads = [
            "/api/user", "/api/profiles/ada", "/api/articles", "/api/articles?tag=count&author=counter",
            "/api/articles/feed", "/api/articles/counted-article", "/api/articles/counted-article/comments", "/api/tags",
        ];
        for path in reads {
            // Anonymous: one call. Signed in: one more, the session check (a primary-key read
            // whose user GET /api/user answers with, so it makes no other; tags reads no user),
            // but for the article and the lists everyone reads alike: their anonymous answer,
            // kept by the read just before, is shared, and the session check brings the
            // reader's flags (`shared`).
            if path != "/api/user" && path != "/api/articles/feed" {
                let before = app.models_calls().await;
                assert_eq!(app.get(path, None).await.0, 200, "{path}");
                assert_eq!(app.models_calls().await - before, 1, "anonymous models calls for GET {path}");
            }
            let before = app.models_calls().await;
            let (status, _) = app.get(path, Some(&token)).await;
            assert_eq!(status, 200, "{path}");
            let shared = path.starts_with("/api/articles") && !path.contains("/feed") && !path.ends_with("/comments");
            let expected = if shared || matches!(path, "/api/user" | "/api/tags") { 1 } else { 2 };
            assert_eq!(app.models_calls().await - before, expected, "models calls for GET {path}");
        }
        let login = json!({"user": {"email": "counter@test.example", "password": "password-counter"}});
        let writes: Vec<(reqwest::Method, String, Option<serde_json::Value>)> = vec![
            (reqwest::Method::POST, "/api/users/login".into(), Some(login)),
            (reqwest::Method::PUT, "/api/user".into(), Some(json!({"user": {"bio": "b"}}))),
            (reqwest::Method::POST, "/api/profiles/ada/follow".into(), None),
            (reqwest::Method::DELETE, "/api/profiles/ada/follow".into(), None),
            (reqwest::Method::POST, "/api/articles".into(), Some(json!({"article": {"title": "Another", "description": "d", "body": "b"}}))),
            (reqwest::Method::PUT, "/api/articles/another".into(), Some(json!({"article": {"body": "c"}}))),
            (reqwest::Method::POST, "/api/articles/another/favorite".into(), None),
            (reqwest::Method::DELETE, "/api/articles/another/favorite".into(), None),
            (reqwest::Method::POST, "/api/articles/another/comments".into(), Some(json!({"comment": {"body": "x"}}))),
            (reqwest::Method::DELETE, format!("/api/articles/counted-article/comments/{comment_id}"), None),
            (reqwest::Method::DELETE, "/api/articles/another".into(), None),
            (reqwest::Method::POST, "/api/users".into(), Some(json!({"user": {"username": "counted2", "email": "c2@x.example", "password": "12345678"}}))),
        ];
        for (method, path, body) in writes {
            let before = app.models_calls().await;
            let (status, res) = app.call(method.clone(), &path, Some(&token), body).await;
            assert!(status < 300, "{method} {path}: {status} {res}");
            let calls = app.models_calls().await - before;
            // At most two for the write, and the session check when signed in.
            let signed_in = !path.starts_with("/api/users");
            let most = if signed_in { 3 } else { 2 };
            assert!((1..=most).contains(&calls), "models calls for {method} {path}: {calls}");
        }
    }
}

#[actix_web::test]
async fn every_documented_operation_is_served_and_the_docs_page_renders() {
    let Some(app) =
        crate::helpers::TestApp::spawn(conduit_testkit::databases::Backend::Sqlite).await
    else {
        return;
    };
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    let ops = experience::docs::operations(&doc);
    assert_eq!(ops.len(), 20);
    for (method, path) in ops {
        let path = path
            .replace("{slug}", "no-such-article")
            .replace("{username}", "ada")
            .replace("{id}", "1");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (status, body) = app.call(method.clone(), &path, None, Some(json!({}))).await;
        assert_ne!(
            body,
            json!({"errors": {"route": ["not found"]}}),
            "{method} {path} is not served"
        );
        assert_ne!(status, 405, "{method} {path}");
    }
    let res = app
        .http
        .get(format!("{}/api/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("/api/users/login") && html.contains("Conduit API"));
}
