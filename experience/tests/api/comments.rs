use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn comments_are_added_listed_and_deleted_by_their_author(app) {
        let author = app.register("c-author").await;
        let reader = app.register("c-reader").await;
        app.publish(&author, "Talk about it", &[]).await;
        let (status, body) = app.post("/api/articles/talk-about-it/comments", Some(&reader), json!({"comment": {"body": "First!"}})).await;
        assert_eq!(status, 201);
        let comment = &body["comment"];
        assert_eq!(comment["body"], "First!");
        assert_eq!(comment["author"]["username"], "c-reader");
        assert!(comment["id"].is_i64());
        assert!(comment["createdAt"].as_str().unwrap().ends_with('Z'));
        let id = comment["id"].as_i64().unwrap();

        let (status, list) = app.get("/api/articles/talk-about-it/comments", None).await;
        assert_eq!(status, 200);
        assert_eq!(list["comments"].as_array().unwrap().len(), 1);
        app.post("/api/profiles/c-reader/follow", Some(&author), json!({})).await;
        let (_, list) = app.get("/api/articles/talk-about-it/comments", Some(&author)).await;
        assert_eq!(list["comments"][0]["author"]["following"], true);

        let path = format!("/api/articles/talk-about-it/comments/{id}");
        assert_eq!(app.delete(&path, Some(&author)).await, (403, json!({"errors": {"comment": ["forbidden"]}})));
        assert_eq!(app.delete(&path, None).await.0, 401);
        let (status, body) = app.delete(&path, Some(&reader)).await;
        assert_eq!((status, body), (204, json!(null)));
        assert_eq!(app.get("/api/articles/talk-about-it/comments", None).await.1, json!({"comments": []}));
    }

    async fn comment_errors_follow_the_table(app) {
        let token = app.register("c-prober").await;
        app.publish(&token, "Quiet post", &[]).await;
        let comment_404 = json!({"errors": {"comment": ["not found"]}});
        let article_404 = json!({"errors": {"article": ["not found"]}});
        assert_eq!(app.delete("/api/articles/quiet-post/comments/999999", Some(&token)).await, (404, comment_404.clone()));
        assert_eq!(app.delete("/api/articles/quiet-post/comments/abc", Some(&token)).await, (404, comment_404));
        assert_eq!(app.delete("/api/articles/no-post/comments/1", Some(&token)).await, (404, article_404.clone()));
        assert_eq!(app.get("/api/articles/no-post/comments", None).await, (404, article_404.clone()));
        assert_eq!(app.post("/api/articles/no-post/comments", Some(&token), json!({"comment": {"body": "x"}})).await, (404, article_404));
        let (status, body) = app.post("/api/articles/quiet-post/comments", Some(&token), json!({"comment": {"body": " "}})).await;
        assert_eq!((status, body), (422, json!({"errors": {"body": ["can't be blank"]}})));
        assert_eq!(app.post("/api/articles/quiet-post/comments", None, json!({"comment": {"body": "x"}})).await.0, 401);
    }
}
