use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn create_user_returns_201_without_the_password_hash(app) {
        let (status, user) = app
            .post("/users", json!({"username": "zoe", "email": "zoe@x.example", "password_hash": "h"}))
            .await;
        assert_eq!(status, 201);
        assert_eq!(user["username"], "zoe");
        assert_eq!(user["email"], "zoe@x.example");
        assert_eq!(user["bio"], json!(null));
        assert!(user.get("password_hash").is_none());
    }

    async fn create_user_with_a_taken_username_or_email_is_409_naming_the_field(app) {
        let (status, body) = app
            .post("/users", json!({"username": "ada", "email": "new@x.example", "password_hash": "h"}))
            .await;
        assert_eq!((status, body), (409, json!({"errors": {"username": ["has already been taken"]}})));
        let (status, body) = app
            .post("/users", json!({"username": "new", "email": "ada@conduit.example", "password_hash": "h"}))
            .await;
        assert_eq!((status, body), (409, json!({"errors": {"email": ["has already been taken"]}})));
    }

    async fn create_user_with_blank_fields_is_422(app) {
        let (status, body) = app
            .post("/users", json!({"username": " ", "email": "", "password_hash": "h"}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"]["username"], json!(["can't be blank"]));
        assert_eq!(body["errors"]["email"], json!(["can't be blank"]));
    }

    async fn users_are_found_by_id_username_and_email(app) {
        let id = app.user_id("brook").await;
        let (status, by_id) = app.get(&format!("/users/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(by_id["username"], "brook");
        let (status, by_email) = app.get("/users/by-email/brook@conduit.example").await;
        assert_eq!(status, 200);
        assert_eq!(by_email, by_id);
        let (status, body) = app.get("/users/by-username/nobody-here").await;
        assert_eq!((status, body), (404, json!({"errors": {"user": ["not found"]}})));
        let (status, _) = app.get("/users/999999").await;
        assert_eq!(status, 404);
    }

    async fn credentials_are_the_only_answer_with_the_hash(app) {
        let (status, creds) = app.post("/credentials", json!({"email": "chen@conduit.example"})).await;
        assert_eq!(status, 200);
        assert_eq!(creds["user"]["username"], "chen");
        assert!(creds["password_hash"].as_str().unwrap().starts_with("$argon2id$"));
        let (status, _) = app.post("/credentials", json!({"email": "nobody@x.example"})).await;
        assert_eq!(status, 404);
    }

    async fn update_user_changes_only_the_given_fields(app) {
        let id = app.new_user("updater").await;
        let (status, user) = app
            .patch(&format!("/users/{id}"), json!({"bio": "Hello", "image": "https://img.example/a.png"}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(user["bio"], "Hello");
        assert_eq!(user["username"], "updater");
        let (status, user) = app.patch(&format!("/users/{id}"), json!({"bio": null, "username": "renamed"})).await;
        assert_eq!(status, 200);
        assert_eq!(user["bio"], json!(null));
        assert_eq!(user["image"], "https://img.example/a.png");
        assert_eq!(user["username"], "renamed");
        // Its own current name is fine; someone else's is a conflict.
        let (status, _) = app.patch(&format!("/users/{id}"), json!({"username": "renamed"})).await;
        assert_eq!(status, 200);
        let (status, body) = app.patch(&format!("/users/{id}"), json!({"email": "ada@conduit.example"})).await;
        assert_eq!((status, body), (409, json!({"errors": {"email": ["has already been taken"]}})));
        let (status, _) = app.patch(&format!("/users/{id}"), json!({"username": ""})).await;
        assert_eq!(status, 422);
        let (status, _) = app.patch("/users/999999", json!({"bio": "x"})).await;
        assert_eq!(status, 404);
    }

    async fn profiles_show_the_viewers_following_flag(app) {
        let me = app.new_user("watcher").await;
        let (status, profile) = app.get(&format!("/profiles/ada?viewer={me}")).await;
        assert_eq!(status, 200);
        assert_eq!(profile["following"], false);
        let (status, profile) = app.put(&format!("/profiles/ada/followers/{me}")).await;
        assert_eq!((status, profile["following"].clone()), (200, json!(true)));
        // Following twice is harmless.
        let (status, _) = app.put(&format!("/profiles/ada/followers/{me}")).await;
        assert_eq!(status, 200);
        let (_, profile) = app.get(&format!("/profiles/ada?viewer={me}")).await;
        assert_eq!(profile["following"], true);
        let (_, profile) = app.get("/profiles/ada").await;
        assert_eq!(profile["following"], false, "anonymous viewers follow nobody");
        let (status, profile) = app.delete(&format!("/profiles/ada/followers/{me}")).await;
        assert_eq!((status, profile["following"].clone()), (200, json!(false)));
        let (_, profile) = app.get(&format!("/profiles/ada?viewer={me}")).await;
        assert_eq!(profile["following"], false);
    }

    async fn viewing_names_the_readers_favorites_and_follows_among_those_asked(app) {
        let reader = app.new_user("viewing-reader").await;
        let author = app.new_user("viewing-author").await;
        let other = app.new_user("viewing-other").await;
        let liked = app.new_article(author, "Viewing liked", &[]).await;
        let unliked = app.new_article(other, "Viewing unliked", &[]).await;
        let (liked, unliked) = (liked["slug"].as_str().unwrap(), unliked["slug"].as_str().unwrap());
        assert_eq!(app.put(&format!("/articles/{liked}/favorites/{reader}")).await.0, 200);
        assert_eq!(app.put(&format!("/profiles/viewing-author/followers/{reader}")).await.0, 200);
        let ask = json!({
            "slugs": [liked, unliked, "no-such-article"],
            "authors": ["viewing-author", "viewing-other", "nobody"],
        });
        let (status, viewing) = app.post(&format!("/users/{reader}/viewing"), ask.clone()).await;
        assert_eq!(status, 200, "{viewing}");
        assert_eq!(viewing["user"]["username"], "viewing-reader");
        assert_eq!(viewing["favorited"], json!([liked]));
        assert_eq!(viewing["following"], json!(["viewing-author"]));
        // Someone else's flags are their own; nothing asked, nothing answered.
        let (_, theirs) = app.post(&format!("/users/{other}/viewing"), ask).await;
        assert_eq!((&theirs["favorited"], &theirs["following"]), (&json!([]), &json!([])));
        let (status, bare) = app.post(&format!("/users/{reader}/viewing"), json!({})).await;
        assert_eq!((status, &bare["favorited"], &bare["following"]), (200, &json!([]), &json!([])));
        // A page's worth at most; an unknown reader is 404.
        let many: Vec<String> = (0..101).map(|i| format!("s{i}")).collect();
        let (status, body) = app.post(&format!("/users/{reader}/viewing"), json!({"slugs": many})).await;
        assert_eq!((status, &body["errors"]["slugs"]), (422, &json!(["at most 100"])));
        let (status, body) = app.post(&format!("/users/{reader}/viewing"), json!({"authors": many})).await;
        assert_eq!((status, &body["errors"]["authors"]), (422, &json!(["at most 100"])));
        assert_eq!(app.post("/users/999999/viewing", json!({})).await.0, 404);
    }

    async fn following_yourself_is_422_and_unknown_profiles_404(app) {
        let me = app.new_user("narcissus").await;
        let (status, _) = app.put(&format!("/profiles/narcissus/followers/{me}")).await;
        assert_eq!(status, 422);
        let (status, body) = app.get("/profiles/nobody-at-all").await;
        assert_eq!((status, body), (404, json!({"errors": {"profile": ["not found"]}})));
        let (status, _) = app.put(&format!("/profiles/nobody-at-all/followers/{me}")).await;
        assert_eq!(status, 404);
    }
}
