use serde_json::json;

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn register_answers_201_with_the_user_and_a_token(app) {
        let (status, body) = app
            .post("/api/users", None, json!({"user": {"username": "newbie", "email": "newbie@x.example", "password": "12345678"}}))
            .await;
        assert_eq!(status, 201);
        let user = &body["user"];
        assert_eq!(user["username"], "newbie");
        assert_eq!(user["email"], "newbie@x.example");
        assert_eq!(user["bio"], json!(null));
        assert_eq!(user["image"], json!(null));
        assert!(!user["token"].as_str().unwrap().is_empty());
        assert_eq!(user.as_object().unwrap().len(), 5);
    }

    async fn register_with_taken_username_or_email_is_409(app) {
        let (status, body) = app
            .post("/api/users", None, json!({"user": {"username": "ada", "email": "other@x.example", "password": "12345678"}}))
            .await;
        assert_eq!((status, body), (409, json!({"errors": {"username": ["has already been taken"]}})));
        let (status, body) = app
            .post("/api/users", None, json!({"user": {"username": "other", "email": "ada@conduit.example", "password": "12345678"}}))
            .await;
        assert_eq!((status, body), (409, json!({"errors": {"email": ["has already been taken"]}})));
    }

    async fn register_with_blank_or_missing_fields_is_422(app) {
        let (status, body) = app.post("/api/users", None, json!({"user": {"username": "", "password": "12345678"}})).await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"]["username"], json!(["can't be blank"]));
        assert_eq!(body["errors"]["email"], json!(["can't be blank"]));
        let (status, body) = app.post("/api/users", None, json!({"user": {"username": "u1", "email": "u1@x.example"}})).await;
        assert_eq!((status, body), (422, json!({"errors": {"password": ["can't be blank"]}})));
        let (status, _) = app.post("/api/users", None, json!({"user": {"username": "u1", "email": "u1@x.example", "password": "short"}})).await;
        assert_eq!(status, 422);
    }

    async fn login_answers_the_user_and_bad_credentials_are_401(app) {
        let (status, body) = app
            .post("/api/users/login", None, json!({"user": {"email": "ada@conduit.example", "password": "conduit-demo"}}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["username"], "ada");
        assert_eq!(body["user"]["email"], "ada@conduit.example");
        assert!(body["user"]["bio"].is_string());
        for (email, password) in [("ada@conduit.example", "wrong-password"), ("nobody@x.example", "conduit-demo")] {
            let (status, body) = app.post("/api/users/login", None, json!({"user": {"email": email, "password": password}})).await;
            assert_eq!((status, body), (401, json!({"errors": {"credentials": ["invalid"]}})));
        }
        let (status, body) = app.post("/api/users/login", None, json!({"user": {"email": ""}})).await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"]["email"], json!(["can't be blank"]));
        assert_eq!(body["errors"]["password"], json!(["can't be blank"]));
    }

    async fn current_user_needs_a_token_and_accepts_both_schemes(app) {
        let token = app.register("me-myself").await;
        let (status, body) = app.get("/api/user", Some(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["username"], "me-myself");
        assert_eq!(body["user"]["token"], token.as_str());
        let res = app.http.get(format!("{}/api/user", app.address)).header("Authorization", format!("Bearer {token}")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let (status, body) = app.get("/api/user", None).await;
        assert_eq!((status, body), (401, json!({"errors": {"token": ["is missing"]}})));
        let res = app.http.get(format!("{}/api/user", app.address)).header("Authorization", "").send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        let (status, body) = app.get("/api/user", Some("not-a-token")).await;
        assert_eq!((status, body), (401, json!({"errors": {"token": ["is invalid"]}})));
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(app.get("/api/user", Some(&forged)).await.0, 401);
    }

    async fn update_user_is_partial_and_the_token_survives_renames(app) {
        let token = app.register("changer").await;
        let (status, body) = app.put("/api/user", Some(&token), json!({"user": {"bio": "Hello there", "image": "https://img.example/me.png"}})).await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["bio"], "Hello there");
        assert_eq!(body["user"]["email"], "changer@test.example");
        let (status, body) = app
            .put("/api/user", Some(&token), json!({"user": {"username": "changed", "email": "changed@test.example", "bio": ""}}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["username"], "changed");
        assert_eq!(body["user"]["bio"], json!(null));
        assert_eq!(body["user"]["image"], "https://img.example/me.png");
        let new_token = body["user"]["token"].as_str().unwrap().to_owned();
        for t in [&token, &new_token] {
            let (status, me) = app.get("/api/user", Some(t)).await;
            assert_eq!(status, 200);
            assert_eq!(me["user"]["username"], "changed");
            assert_eq!(me["user"]["email"], "changed@test.example");
        }
        // Sending your own current values is fine.
        let (status, _) = app.put("/api/user", Some(&token), json!({"user": {"username": "changed", "email": "changed@test.example", "image": null}})).await;
        assert_eq!(status, 200);
        assert_eq!(app.get("/api/user", Some(&token)).await.1["user"]["image"], json!(null));
    }

    async fn update_user_rejects_blank_null_and_taken_values(app) {
        let token = app.register("strict").await;
        for user in [json!({"email": ""}), json!({"email": null}), json!({"username": ""}), json!({"username": null}),
                     json!({"password": ""}), json!({"password": null}), json!({"password": "1234567"})] {
            let (status, body) = app.put("/api/user", Some(&token), json!({"user": user})).await;
            assert_eq!(status, 422, "{user}: {body}");
        }
        let (status, body) = app.put("/api/user", Some(&token), json!({"user": {"username": "ada"}})).await;
        assert_eq!((status, body), (409, json!({"errors": {"username": ["has already been taken"]}})));
        assert_eq!(app.put("/api/user", None, json!({"user": {"bio": "x"}})).await.0, 401);
    }

    async fn a_new_password_of_64_characters_works_for_login(app) {
        let token = app.register("pw-changer").await;
        let long = "p".repeat(64);
        let (status, _) = app.put("/api/user", Some(&token), json!({"user": {"password": long}})).await;
        assert_eq!(status, 200);
        let (status, _) = app.post("/api/users/login", None, json!({"user": {"email": "pw-changer@test.example", "password": long}})).await;
        assert_eq!(status, 200);
        let (status, _) = app.post("/api/users/login", None, json!({"user": {"email": "pw-changer@test.example", "password": "password-pw-changer"}})).await;
        assert_eq!(status, 401, "the old password no longer works");
    }

    async fn failed_logins_are_rate_limited_per_account_with_retry_after(app) {
        let body = json!({"user": {"email": "brook@conduit.example", "password": "wrong-password"}});
        for _ in 0..5 {
            assert_eq!(app.post("/api/users/login", None, body.clone()).await.0, 401);
        }
        let res = app.http.post(format!("{}/api/users/login", app.address)).json(&body).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 429);
        let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait));
        let err: serde_json::Value = res.json().await.unwrap();
        assert!(err["errors"]["credentials"][0].is_string());
        // Other accounts are not affected.
        app.login_demo("chen").await;
    }

    async fn a_password_change_ends_every_other_session_and_sign_out_everywhere_ends_all(app) {
        let first = app.register("sessions").await;
        let (status, body) = app.post("/api/users/login", None, json!({"user": {"email": "sessions@test.example", "password": "password-sessions"}})).await;
        assert_eq!(status, 200);
        let second = body["user"]["token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/user", Some(&second)).await.0, 200);
        // A bio change keeps the sessions (and the token).
        let (status, body) = app.put("/api/user", Some(&first), json!({"user": {"bio": "still me"}})).await;
        assert_eq!((status, body["user"]["token"].as_str()), (200, Some(first.as_str())));
        // A new password: the answer's token works, every older one is refused.
        let (status, body) = app.put("/api/user", Some(&first), json!({"user": {"password": "a-new-password"}})).await;
        assert_eq!(status, 200);
        let third = body["user"]["token"].as_str().unwrap().to_owned();
        assert_ne!(third, first);
        for old in [&first, &second] {
            assert_eq!(app.get("/api/user", Some(old)).await, (401, json!({"errors": {"token": ["is invalid"]}})));
        }
        assert_eq!(app.get("/api/user", Some(&third)).await.0, 200);
        // Sign out everywhere: this token too.
        assert_eq!(app.delete("/api/user/sessions", Some(&third)).await.0, 204);
        assert_eq!(app.get("/api/user", Some(&third)).await.0, 401);
        assert_eq!(app.delete("/api/user/sessions", None).await.0, 401);
        let (status, _) = app.post("/api/users/login", None, json!({"user": {"email": "sessions@test.example", "password": "a-new-password"}})).await;
        assert_eq!(status, 200, "signing in again works");
    }

    async fn names_and_emails_are_unique_without_case(app) {
        app.register("Casey").await;
        let (status, body) = app.post("/api/users", None, json!({"user": {"username": "CASEY", "email": "other@test.example", "password": "12345678"}})).await;
        assert_eq!((status, body), (409, json!({"errors": {"username": ["has already been taken"]}})));
        let (status, body) = app.post("/api/users", None, json!({"user": {"username": "other", "email": "CASEY@Test.Example", "password": "12345678"}})).await;
        assert_eq!((status, body), (409, json!({"errors": {"email": ["has already been taken"]}})));
        let (status, body) = app.post("/api/users/login", None, json!({"user": {"email": "CASEY@test.example", "password": "password-Casey"}})).await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["username"], "Casey", "shown as chosen");
        assert_eq!(app.get("/api/profiles/casey", None).await.1["profile"]["username"], "Casey");
        // One spelling of a composed letter: e + combining acute is stored as é.
        let (status, body) = app.post("/api/users", None, json!({"user": {"username": "Rene\u{301}", "email": "rene@test.example", "password": "12345678"}})).await;
        assert_eq!((status, body["user"]["username"].as_str()), (201, Some("Ren\u{e9}")));
        let (status, _) = app.post("/api/users", None, json!({"user": {"username": "REN\u{c9}", "email": "rene2@test.example", "password": "12345678"}})).await;
        assert_eq!(status, 409);
    }

    async fn usernames_with_invisible_or_direction_changing_characters_are_refused(app) {
        for name in ["ad\u{200B}a", "\u{202E}ada", "ada\u{2066}", "a\u{FEFF}", ".", "..", "a/b"] {
            let (status, body) = app.post("/api/users", None, json!({"user": {"username": name, "email": "sneaky@test.example", "password": "12345678"}})).await;
            assert_eq!((status, body), (422, json!({"errors": {"username": ["is invalid"]}})), "{name:?}");
        }
    }

    async fn parallel_wrong_guesses_get_at_most_the_limit_of_401s(app) {
        let body = json!({"user": {"email": "dara@conduit.example", "password": "wrong-password"}});
        let url = format!("{}/api/users/login", app.address);
        let sends = (0..60).map(|_| app.http.post(&url).json(&body));
        let statuses = crate::helpers::statuses_in_parallel(sends).await;
        let count = |s: u16| statuses.iter().filter(|&&x| x == s).count();
        assert_eq!((count(401), count(429)), (5, 55), "{statuses:?}");
    }

    async fn only_an_internal_caller_names_the_visitor_address(app) {
        use conduit_service::internal::VISITOR_HEADER;
        let wrong = json!({"user": {"email": "emeka@conduit.example", "password": "wrong-password"}});
        let url = format!("{}/api/users/login", app.address);
        // A public caller that names a new address each time is still one address.
        let mut statuses = Vec::new();
        for i in 0..6 {
            let res = app.http.post(&url).header(VISITOR_HEADER, format!("203.0.113.{i}")).json(&wrong).send().await.unwrap();
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
        // The web tier (it presents the credential) names each visitor: the guesser at
        // 198.51.100.66 is refused, and the owner at 198.51.100.7 still signs in.
        for _ in 0..5 {
            let res = app.internal.post(&url).header(VISITOR_HEADER, "198.51.100.66").json(&wrong).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 401);
        }
        let res = app.internal.post(&url).header(VISITOR_HEADER, "198.51.100.66").json(&wrong).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 429);
        let right = json!({"user": {"email": "emeka@conduit.example", "password": "conduit-demo"}});
        let res = app.internal.post(&url).header(VISITOR_HEADER, "198.51.100.7").json(&right).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
    }
}

/// Behind a load balancer each instance sees a share of a guesser's attempts: with memcached
/// the failed-login limit counts them all, whichever instance they reach.
#[actix_web::test]
async fn failed_logins_on_two_instances_count_toward_one_limit_through_memcached() {
    let Some(shared) = crate::helpers::SharedMemcached::start() else {
        return;
    };
    let instances = [
        crate::helpers::start_experience(&shared.settings),
        crate::helpers::start_experience(&shared.settings),
    ];
    let http = reqwest::Client::new();
    let body = json!({"user": {"email": "brook@conduit.example", "password": "wrong-password"}});
    let mut statuses = Vec::new();
    for i in 0..6 {
        let res = http
            .post(format!("{}/api/users/login", instances[i % 2]))
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    // Three failures on each instance: alone, neither would have reached the limit of 5.
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    // Parallel guesses spread over both instances: the limit holds (memcached's incr).
    let other = json!({"user": {"email": "chen@conduit.example", "password": "wrong-password"}});
    let sends = (0..60).map(|i| {
        http.post(format!("{}/api/users/login", instances[i % 2]))
            .json(&other)
    });
    let statuses = crate::helpers::statuses_in_parallel(sends).await;
    let count = |s: u16| statuses.iter().filter(|&&x| x == s).count();
    assert_eq!((count(401), count(429)), (5, 55), "{statuses:?}");
    for address in &instances {
        let res = http
            .post(format!("{address}/api/users/login"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 429, "{address}");
    }
}

/// An app over a fresh SQLite database with `tweak` applied to its settings.
fn app_with(
    tweak: impl FnOnce(&mut experience::Settings),
) -> (String, conduit_testkit::databases::Guard) {
    let (url, guard) =
        conduit_testkit::databases::fresh(conduit_testkit::databases::Backend::Sqlite).unwrap();
    let models = crate::helpers::start_models(&url);
    let mut settings = crate::helpers::settings(&models);
    tweak(&mut settings);
    (crate::helpers::start_experience(&settings), guard)
}

fn new_user(n: usize) -> serde_json::Value {
    json!({"user": {"username": format!("signup{n}"), "email": format!("signup{n}@x.example"), "password": "long-enough-password"}})
}

#[actix_web::test]
async fn one_address_may_make_only_so_many_accounts_an_hour() {
    let (address, _guard) = app_with(|s| s.signup_max_per_hour = 3);
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for n in 0..5 {
        let res = http
            .post(format!("{address}/api/users"))
            .json(&new_user(n))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            retry_after = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let body: serde_json::Value = res.json().await.unwrap();
            assert!(
                body["errors"]["user"][0]
                    .as_str()
                    .unwrap()
                    .contains("too many accounts"),
                "{body}"
            );
        }
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    assert!(
        retry_after.is_some_and(|s| (3500..=3600).contains(&s)),
        "{retry_after:?}"
    );
}

/// A flood of sign-ins and sign-ups fills the hashing slots and their short queue; the rest
/// are answered 503 with `Retry-After` at once (never a 500 or a timeout), and the users who
/// got in are served.
#[actix_web::test]
async fn a_hashing_flood_beyond_the_slots_and_queue_is_answered_503_at_once() {
    let (address, _guard) = app_with(|s| {
        s.hash_slots = 1;
        s.hash_queue = 1;
        s.signup_max_per_hour = 1_000;
        s.login_max_failures = 1_000;
    });
    let http = reqwest::Client::new();
    let sends = (0..24).map(|n| http.post(format!("{address}/api/users")).json(&new_user(n)));
    let statuses = crate::helpers::statuses_in_parallel(sends).await;
    let count = |s: u16| statuses.iter().filter(|&&x| x == s).count();
    assert_eq!(count(201) + count(503), 24, "{statuses:?}");
    assert!(
        count(201) >= 2,
        "the slot and the queue were served: {statuses:?}"
    );
    assert!(count(503) >= 1, "{statuses:?}");
    let res = http
        .post(format!("{address}/api/users"))
        .json(&new_user(100))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "the flood has passed");
    let busy = (0..24).map(|_| {
        http.post(format!("{address}/api/users/login"))
            .json(&json!({"user": {"email": "nobody@x.example", "password": "wrong-password"}}))
    });
    let statuses = crate::helpers::statuses_in_parallel(busy).await;
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&503), "{statuses:?}");
}
