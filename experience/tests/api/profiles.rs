use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn profiles_show_following_relative_to_the_caller(app) {
        let token = app.register("fan-of-ada").await;
        let (status, body) = app.get("/api/profiles/ada", None).await;
        assert_eq!(status, 200);
        assert_eq!(body["profile"]["username"], "ada");
        assert_eq!(body["profile"]["following"], false);
        assert_eq!(body["profile"].as_object().unwrap().len(), 4);

        let (status, body) = app.post("/api/profiles/ada/follow", Some(&token), json!({"ignored": true})).await;
        assert_eq!((status, body["profile"]["following"].clone()), (200, json!(true)));
        let res = app.http.post(format!("{}/api/profiles/ada/follow", app.address))
            .header("Authorization", format!("Token {token}")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "no body needed");
        assert_eq!(app.get("/api/profiles/ada", Some(&token)).await.1["profile"]["following"], true);
        assert_eq!(app.get("/api/profiles/ada", None).await.1["profile"]["following"], false);

        let (status, body) = app.delete("/api/profiles/ada/follow", Some(&token)).await;
        assert_eq!((status, body["profile"]["following"].clone()), (200, json!(false)));
    }

    async fn unknown_profiles_are_404_and_follow_needs_auth_first(app) {
        let token = app.register("prober").await;
        let not_found = json!({"errors": {"profile": ["not found"]}});
        assert_eq!(app.get("/api/profiles/nobody-here", None).await, (404, not_found.clone()));
        assert_eq!(app.post("/api/profiles/nobody-here/follow", Some(&token), json!({})).await, (404, not_found.clone()));
        assert_eq!(app.delete("/api/profiles/nobody-here/follow", Some(&token)).await, (404, not_found));
        let missing = json!({"errors": {"token": ["is missing"]}});
        assert_eq!(app.post("/api/profiles/nobody-here/follow", None, json!({})).await, (401, missing.clone()));
        assert_eq!(app.delete("/api/profiles/ada/follow", None).await, (401, missing));
    }
}
