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

/// The database's server ends every connection (a restart, a failover, an operator's
/// `pg_terminate_backend`): each pooled connection may fail the one request that finds it
/// dead, is then dropped, and the service recovers without a restart. (`/tags` runs outside
/// a transaction, where diesel itself never marks a connection broken.)
#[actix_web::test]
async fn connections_the_server_closed_are_dropped_from_the_pool() {
    use diesel::RunQueryDsl;
    let Some(app) = crate::helpers::TestApp::spawn(crate::helpers::Backend::Postgres).await else {
        return;
    };
    // Open every pooled connection.
    let read = || app.get("/tags");
    let (a, b, c, d, e, f) = tokio::join!(read(), read(), read(), read(), read(), read());
    for (status, _) in [a, b, c, d, e, f] {
        assert_eq!(status, 200);
    }
    let url = app.database_url();
    let mut admin = models::db::Manager::new(&url).establish().unwrap();
    let ended: Vec<bool> = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .load::<Ended>(&mut admin)
    .unwrap()
    .into_iter()
    .map(|e| e.ended)
    .collect();
    assert!(!ended.is_empty() && ended.iter().all(|e| *e), "{ended:?}");

    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(app.get("/tags").await.0);
    }
    let failed = statuses.iter().filter(|s| **s != 200).count();
    assert!(
        failed <= 4,
        "at most one failure per pooled connection: {statuses:?}"
    );
    assert!(statuses[8..].iter().all(|s| *s == 200), "{statuses:?}");
}

#[derive(diesel::QueryableByName)]
struct Ended {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ended: bool,
}
