use reqwest::Method;
use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn malformed_json_and_wrong_types_are_422_with_an_errors_body(app) {
        let res = app.http.post(format!("{}/users", app.address))
            .header("content-type", "application/json")
            .body("{not json")
            .send().await.unwrap();
        assert_eq!(res.status().as_u16(), 422);
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["errors"]["body"][0].is_string());
        let (status, body) = app.post("/articles", json!({"author_id": "one", "title": 5})).await;
        assert_eq!(status, 422);
        assert!(body["errors"]["body"][0].as_str().unwrap().contains("invalid type"));
        let (status, _) = app.post("/users", json!({"username": "x"})).await;
        assert_eq!(status, 422, "missing fields");
    }

    async fn bodies_over_the_limit_are_413(app) {
        let big = "x".repeat(100 * 1024);
        let (status, body) = app.post("/users", json!({"username": big, "email": "e", "password_hash": "h"})).await;
        assert_eq!(status, 413);
        assert!(body["errors"]["body"][0].as_str().unwrap().contains("larger than"));
    }

    async fn unknown_routes_and_bad_path_ids_answer_json(app) {
        let (status, body) = app.get("/no/such/route").await;
        assert_eq!((status, body), (404, json!({"errors": {"route": ["not found"]}})));
        let (status, body) = app.get("/users/not-a-number").await;
        assert_eq!(status, 422);
        assert!(body["errors"]["path"].is_array());
        let (status, _) = app.call(Method::PUT, "/tags", None).await;
        assert_eq!(status, 404);
    }
}

#[actix_web::test]
async fn an_unreachable_database_gives_503_with_an_errors_body() {
    let app = crate::helpers::TestApp::spawn_unreachable();
    let (status, body) = app.get("/articles").await;
    assert_eq!(status, 503);
    assert_eq!(
        body,
        json!({"errors": {"database": ["is unavailable, try again shortly"]}})
    );
    let (status, body) = app.get("/ready").await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unavailable");
    let (status, _) = app.get("/health").await;
    assert_eq!(status, 200, "liveness does not depend on the database");
}

/// With the database down, every request holds a blocking thread for the connection timeout
/// (500 ms here, 4 threads): a burst of 40 must not queue for 10 rounds of it (5 s, past the
/// caller's own timeout) but be answered 503 within about one.
#[actix_web::test]
async fn with_the_database_down_a_burst_is_refused_within_the_connection_timeout() {
    let app = crate::helpers::TestApp::spawn_unreachable();
    let started = std::time::Instant::now();
    let requests: Vec<_> = (0..40)
        .map(|_| {
            let req = app.http.get(format!("{}/articles", app.address));
            actix_web::rt::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), 503);
    }
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_millis(2500), "{took:?}");
}

#[actix_web::test]
async fn a_database_without_this_builds_schema_is_not_ready_until_migrated() {
    let Some(cluster) =
        conduit_testkit::require("PostgreSQL", conduit_testkit::postgres::cluster())
    else {
        return;
    };
    let empty = cluster.create_database(None).unwrap();
    let app = crate::helpers::TestApp::spawn_on(&empty.url());
    let (status, body) = app.get("/ready").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.to_string().contains("migrations pending"), "{body}");
    let mut conn = models::db::Manager::new(&empty.url()).establish().unwrap();
    models::db::migrate(&mut conn).unwrap();
    let (status, body) = app.get("/ready").await;
    assert_eq!(status, 200, "{body}");
}
