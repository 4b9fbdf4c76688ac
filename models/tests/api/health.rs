conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn health_ready_and_metrics_answer(app) {
        assert_eq!(app.get("/health").await.0, 200);
        let (status, ready) = app.get("/ready").await;
        assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));
        app.get("/articles?limit=3").await;
        let text = app.http.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
        assert!(text.contains(r#"http_requests_total{service="models",method="GET",route="/articles",status="200"} 1"#), "{text}");
        assert!(text.contains("http_request_duration_seconds_bucket"));
        assert!(text.contains("db_pool_connections{state=\"idle\"}"));
        assert!(text.contains("db_statements_total"));
    }

    async fn the_request_id_is_kept_when_sent_and_made_when_not(app) {
        let res = app.http.get(format!("{}/tags", app.address))
            .header("x-request-id", "trace-me-123")
            .send().await.unwrap();
        assert_eq!(res.headers()["x-request-id"], "trace-me-123");
        let res = app.http.get(format!("{}/tags", app.address)).send().await.unwrap();
        let made = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(made.len(), 32);
        let res = app.http.get(format!("{}/tags", app.address))
            .header("x-request-id", "has spaces")
            .send().await.unwrap();
        assert_ne!(res.headers()["x-request-id"], "has spaces", "unsafe ids are replaced");
    }
}
