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
