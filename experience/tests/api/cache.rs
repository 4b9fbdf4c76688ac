//! The API read cache: anonymous reads are kept, and every kind of write is seen by the very
//! next anonymous read (in-process here; through memcached across two instances below).

use serde_json::{Value, json};

/// An anonymous read: its `X-Cache` and JSON body.
async fn read(app: &crate::helpers::TestApp, path: &str) -> (String, Value) {
    read_at(&app.address, path).await
}

async fn read_at(address: &str, path: &str) -> (String, Value) {
    let res = reqwest::get(format!("{address}{path}")).await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{path}");
    assert_eq!(
        res.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let cache = res.headers()["x-cache"].to_str().unwrap().to_owned();
    (cache, res.json().await.unwrap())
}

/// Reads `path` until it is kept (a miss, then a hit with the same body); returns the body.
async fn kept(app: &crate::helpers::TestApp, path: &str) -> Value {
    let (_, first) = read(app, path).await;
    let (cache, again) = read(app, path).await;
    assert_eq!((cache.as_str(), &again), ("HIT", &first), "{path}");
    again
}

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn every_write_is_seen_by_the_next_anonymous_read(app) {
        let token = app.register("cache-writer").await;
        let reader = app.register("cache-reader").await;

        // A new article: the list.
        kept(&app, "/api/articles?limit=5").await;
        let article = app.publish(&token, "Kept and refreshed", &["cache-fresh-tag"]).await;
        let slug = article["slug"].as_str().unwrap().to_owned();
        let (cache, list) = read(&app, "/api/articles?limit=5").await;
        assert_eq!((cache.as_str(), &list["articles"][0]["slug"]), ("MISS", &json!(slug)));

        // Its tag: the tags.
        kept(&app, "/api/tags").await;
        app.publish(&token, "Another one", &["cache-second-tag"]).await;
        let (_, tags) = read(&app, "/api/tags").await;
        assert!(tags["tags"].as_array().unwrap().contains(&json!("cache-second-tag")), "{tags}");

        // An update: the article.
        let path = format!("/api/articles/{slug}");
        kept(&app, &path).await;
        let (status, _) = app.put(&path, Some(&token), json!({"article": {"description": "Changed"}})).await;
        assert_eq!(status, 200);
        assert_eq!(read(&app, &path).await.1["article"]["description"], "Changed");

        // Favorites, both ways.
        kept(&app, &path).await;
        assert_eq!(app.post(&format!("{path}/favorite"), Some(&reader), json!({})).await.0, 200);
        assert_eq!(read(&app, &path).await.1["article"]["favoritesCount"], 1);
        let favorited = "/api/articles?favorited=cache-reader";
        assert_eq!(kept(&app, favorited).await["articlesCount"], 1);
        assert_eq!(app.delete(&format!("{path}/favorite"), Some(&reader)).await.0, 200);
        assert_eq!(read(&app, &path).await.1["article"]["favoritesCount"], 0);
        assert_eq!(read(&app, favorited).await.1["articlesCount"], 0);

        // Comments, added and deleted.
        let comments = format!("{path}/comments");
        assert_eq!(kept(&app, &comments).await["comments"], json!([]));
        let (status, comment) = app.post(&comments, Some(&reader), json!({"comment": {"body": "Fresh"}})).await;
        assert_eq!(status, 201);
        assert_eq!(read(&app, &comments).await.1["comments"][0]["body"], "Fresh");
        kept(&app, &comments).await;
        let id = comment["comment"]["id"].as_i64().unwrap();
        assert_eq!(app.delete(&format!("{comments}/{id}"), Some(&reader)).await.0, 204);
        assert_eq!(read(&app, &comments).await.1["comments"], json!([]));

        // A profile's bio, and the author's name on their article.
        let profile = "/api/profiles/cache-writer";
        kept(&app, profile).await;
        let (status, _) = app.put("/api/user", Some(&token), json!({"user": {"bio": "Writes fresh"}})).await;
        assert_eq!(status, 200);
        assert_eq!(read(&app, profile).await.1["profile"]["bio"], "Writes fresh");

        // Deleted: gone at once.
        kept(&app, &path).await;
        assert_eq!(app.delete(&path, Some(&token)).await.0, 204);
        let res = reqwest::get(format!("{}{path}", app.address)).await.unwrap();
        assert_eq!(res.status().as_u16(), 404);
        assert_eq!(res.headers()["x-cache"], "MISS");
    }

    async fn signed_in_reads_share_the_kept_answer_with_their_own_flags(app) {
        let author = app.register("share-author").await;
        let fan = app.register("share-fan").await;
        let stranger = app.register("share-stranger").await;
        let article = app.publish(&author, "Shared with flags", &[]).await;
        let path = format!("/api/articles/{}", article["slug"].as_str().unwrap());
        let list = "/api/articles?author=share-author";
        assert_eq!(app.post(&format!("{path}/favorite"), Some(&fan), json!({})).await.0, 200);
        assert_eq!(app.post("/api/profiles/share-author/follow", Some(&fan), json!({})).await.0, 200);
        let shared = kept(&app, &path).await;
        kept(&app, list).await;

        // What each reader sees of the one kept answer: (favorited, following, count).
        let flags = |a: &Value| (a["favorited"].clone(), a["author"]["following"].clone(), a["favoritesCount"].clone());
        let seen = |reader: &'static str| {
            let token = if reader == "fan" { fan.clone() } else { stranger.clone() };
            let (app, path) = (&app, path.clone());
            async move {
                let before = app.models_calls().await;
                let (status, article) = app.get(&path, Some(&token)).await;
                let (list_status, list) = app.get(list, Some(&token)).await;
                assert_eq!((status, list_status), (200, 200), "{reader}");
                // One call each: the reader with their flags; the rest was kept.
                assert_eq!(app.models_calls().await - before, 2, "{reader}");
                assert_eq!(flags(&list["articles"][0]), flags(&article["article"]), "{reader}");
                let mut rest = article["article"].clone();
                rest["favorited"] = json!(false);
                rest["author"]["following"] = json!(false);
                (flags(&article["article"]), rest)
            }
        };
        let (fan_flags, rest) = seen("fan").await;
        assert_eq!(fan_flags, (json!(true), json!(true), json!(1)));
        assert_eq!(rest, shared["article"], "everything but the flags is the kept answer");
        assert_eq!(seen("stranger").await.0, (json!(false), json!(false), json!(1)));

        // The reader's own writes show on their very next read.
        assert_eq!(app.delete(&format!("{path}/favorite"), Some(&fan)).await.0, 200);
        assert_eq!(app.delete("/api/profiles/share-author/follow", Some(&fan)).await.0, 200);
        let (_, article) = app.get(&path, Some(&fan)).await;
        assert_eq!(flags(&article["article"]), (json!(false), json!(false), json!(0)));

        // A token whose sessions ended is refused, on a kept answer and on a missing article.
        assert_eq!(app.delete("/api/user/sessions", Some(&fan)).await.0, 204);
        kept(&app, &path).await;
        assert_eq!(app.get(&path, Some(&fan)).await.0, 401);
        assert_eq!(app.get(list, Some(&fan)).await.0, 401);
        assert_eq!(app.get("/api/articles/no-such-article", Some(&fan)).await.0, 401);
        assert_eq!(app.get("/api/articles/no-such-article", Some(&stranger)).await.0, 404);
    }

    async fn signed_in_reads_and_errors_are_never_kept(app) {
        let token = app.register("cache-signed-in").await;
        // The viewer's own answer: favorited and following depend on who asks.
        for _ in 0..2 {
            let res = app.http.get(format!("{}/api/articles?limit=2", app.address))
                .header("Authorization", format!("Token {token}"))
                .send().await.unwrap();
            assert_eq!(res.headers()["x-cache"], "BYPASS");
        }
        for _ in 0..2 {
            let res = reqwest::get(format!("{}/api/articles/no-such-article", app.address)).await.unwrap();
            assert_eq!((res.status().as_u16(), res.headers()["x-cache"].to_str().unwrap()), (404, "MISS"));
            let res = reqwest::get(format!("{}/api/articles?limit=abc", app.address)).await.unwrap();
            assert_eq!((res.status().as_u16(), res.headers()["x-cache"].to_str().unwrap()), (422, "MISS"));
        }
        // A parameter no endpoint reads, or one given twice, is answered and never kept: nobody
        // fills the cache with copies, and the API's own parser judges the query.
        for path in ["/api/articles?limit=1&cachebuster=1", "/api/articles?limit=1&limit=2"] {
            for _ in 0..2 {
                let res = reqwest::get(format!("{}{path}", app.address)).await.unwrap();
                assert_eq!(res.headers()["x-cache"], "BYPASS", "{path}");
            }
        }
        // The same parameters in another order are the same answer.
        kept(&app, "/api/articles?limit=1&offset=1").await;
        assert_eq!(read(&app, "/api/articles?offset=1&limit=1").await.0, "HIT");
    }
}

/// `API_CACHE=off`: every read reaches models, and no answer says it was kept.
#[actix_web::test]
async fn with_the_cache_off_every_read_reaches_models() {
    use conduit_testkit::databases::{self, Backend};

    let (url, _guard) = databases::fresh(Backend::Sqlite).unwrap();
    let models = crate::helpers::start_models(&url);
    let mut settings = crate::helpers::settings(&models);
    settings.api_cache = false;
    let app = crate::helpers::TestApp::with(models, settings, None);
    let before = app.models_calls().await;
    for _ in 0..3 {
        let res = reqwest::get(format!("{}/api/tags", app.address))
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.headers().get("x-cache").is_none());
    }
    assert_eq!(app.models_calls().await - before, 3);

    // Signed in: the reader, then the read with the reader's flags.
    let author = app.register("off-author").await;
    let fan = app.register("off-fan").await;
    let article = app.publish(&author, "Read without the cache", &[]).await;
    let path = format!("/api/articles/{}", article["slug"].as_str().unwrap());
    assert_eq!(
        app.post(&format!("{path}/favorite"), Some(&fan), json!({}))
            .await
            .0,
        200
    );
    let before = app.models_calls().await;
    let (status, article) = app.get(&path, Some(&fan)).await;
    assert_eq!(
        (status, &article["article"]["favorited"]),
        (200, &json!(true))
    );
    assert_eq!(app.models_calls().await - before, 2);
    assert_eq!(
        app.get(&path, Some(&author)).await.1["article"]["favorited"],
        false
    );
}

/// Two instances sharing memcached: a write through one is seen at once through the other.
#[actix_web::test]
async fn a_write_on_one_instance_is_seen_by_the_next_read_on_another_through_memcached() {
    let Some(shared) = crate::helpers::SharedMemcached::start() else {
        return;
    };
    let (models, settings) = (shared.models.clone(), shared.settings.clone());
    let writer = crate::helpers::TestApp::with(models, settings.clone(), None);
    let other = crate::helpers::start_experience(&settings);
    let token = writer.register("shared-writer").await;

    let path = "/api/articles?limit=3";
    read_at(&other, path).await;
    assert_eq!(read_at(&other, path).await.0, "HIT");
    // The writer's instance finds the answer the other one stored.
    assert_eq!(read_at(&writer.address, path).await.0, "HIT");
    let article = writer.publish(&token, "Seen everywhere", &[]).await;
    let (cache, list) = read_at(&other, path).await;
    assert_eq!(cache, "MISS");
    assert_eq!(list["articles"][0]["slug"], article["slug"]);
}
