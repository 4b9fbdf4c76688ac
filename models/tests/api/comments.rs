use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn comments_are_created_listed_oldest_first_and_deleted(app) {
        let author = app.new_user("talker").await;
        let reader = app.new_user("reader").await;
        app.new_article(author, "Discuss", &[]).await;
        let (status, first) = app.post("/articles/discuss/comments", json!({"author_id": reader, "body": "First!"})).await;
        assert_eq!(status, 201);
        assert_eq!(first["body"], "First!");
        assert_eq!(first["author"]["username"], "reader");
        let (_, second) = app.post("/articles/discuss/comments", json!({"author_id": author, "body": "Thanks"})).await;

        app.put(&format!("/profiles/talker/followers/{reader}")).await;
        let (status, list) = app.get(&format!("/articles/discuss/comments?viewer={reader}")).await;
        assert_eq!(status, 200);
        let comments = list["comments"].as_array().unwrap();
        assert_eq!(comments.len(), 2);
        assert_eq!(comments[0]["id"], first["id"]);
        assert_eq!(comments[1]["author"]["following"], true);

        let id = second["id"].as_i64().unwrap();
        let (status, body) = app.delete(&format!("/articles/discuss/comments/{id}?author_id={reader}")).await;
        assert_eq!((status, body), (403, json!({"errors": {"comment": ["forbidden"]}})));
        let (status, _) = app.delete(&format!("/articles/discuss/comments/{id}?author_id={author}")).await;
        assert_eq!(status, 204);
        let (_, list) = app.get("/articles/discuss/comments").await;
        assert_eq!(list["comments"].as_array().unwrap().len(), 1);
    }

    async fn comment_errors_are_404_422_as_documented(app) {
        let me = app.new_user("commenter").await;
        app.new_article(me, "Quiet", &[]).await;
        let (status, body) = app.delete(&format!("/articles/quiet/comments/999999?author_id={me}")).await;
        assert_eq!((status, body), (404, json!({"errors": {"comment": ["not found"]}})));
        let (status, body) = app.post("/articles/missing/comments", json!({"author_id": me, "body": "x"})).await;
        assert_eq!((status, body), (404, json!({"errors": {"article": ["not found"]}})));
        let (status, _) = app.post("/articles/quiet/comments", json!({"author_id": me, "body": "  "})).await;
        assert_eq!(status, 422);
        let (status, _) = app.post("/articles/quiet/comments", json!({"author_id": 999999, "body": "x"})).await;
        assert_eq!(status, 422);
    }
}
