use serde_json::{Value, json};

fn slugs(list: &Value) -> Vec<String> {
    list["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}

fn total(list: &Value) -> i64 {
    list["articles_count"].as_i64().unwrap()
}

conduit_testkit::backend_tests! { crate::helpers::TestApp;
    async fn lists_are_newest_first_with_counts_that_ignore_paging(app) {
        let (status, all) = app.get("/articles?limit=100").await;
        assert_eq!(status, 200);
        assert_eq!(total(&all), 60);
        let times: Vec<&str> = all["articles"].as_array().unwrap().iter().map(|a| a["created_at"].as_str().unwrap()).collect();
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted);
        assert!(all["articles"][0].get("body").is_none(), "lists carry no body");

        let (_, page) = app.get("/articles?limit=5&offset=10").await;
        assert_eq!(slugs(&page), slugs(&all)[10..15]);
        assert_eq!(total(&page), 60);
        let (_, beyond) = app.get("/articles?offset=1000").await;
        assert_eq!((slugs(&beyond).len(), total(&beyond)), (0, 60));
    }

    async fn articles_created_in_the_same_millisecond_page_by_id(app) {
        let me = app.new_user("fast-writer").await;
        let mut created = Vec::new();
        for i in 0..5 {
            created.push(app.new_article(me, &format!("Quick {i}"), &[]).await["slug"].as_str().unwrap().to_owned());
        }
        let (_, list) = app.get("/articles?author=fast-writer").await;
        created.reverse();
        assert_eq!(slugs(&list), created, "newest first, later ids first on ties");
    }

    async fn filters_by_tag_author_favorited_and_combine(app) {
        let a = app.new_user("filter-a").await;
        let b = app.new_user("filter-b").await;
        app.new_article(a, "A one", &["t-x", "t-y"]).await;
        app.new_article(a, "A two", &["t-x"]).await;
        app.new_article(b, "B one", &["t-x"]).await;
        app.put(&format!("/articles/a-one/favorites/{b}")).await;
        app.put(&format!("/articles/b-one/favorites/{b}")).await;

        let (_, by_tag) = app.get("/articles?tag=t-x").await;
        assert_eq!((slugs(&by_tag), total(&by_tag)), (vec!["b-one".into(), "a-two".into(), "a-one".into()], 3));
        let (_, by_author) = app.get("/articles?author=filter-a").await;
        assert_eq!((slugs(&by_author), total(&by_author)), (vec!["a-two".into(), "a-one".into()], 2));
        let (_, faved) = app.get("/articles?favorited=filter-b").await;
        assert_eq!((slugs(&faved), total(&faved)), (vec!["b-one".into(), "a-one".into()], 2));
        let (_, both) = app.get("/articles?tag=t-x&author=filter-a&limit=1").await;
        assert_eq!((slugs(&both), total(&both)), (vec!["a-two".into()], 2));
        let (_, three) = app.get("/articles?tag=t-y&author=filter-a&favorited=filter-b").await;
        assert_eq!((slugs(&three), total(&three)), (vec!["a-one".into()], 1));
        let (_, fav_author) = app.get("/articles?favorited=filter-b&author=filter-b").await;
        assert_eq!((slugs(&fav_author), total(&fav_author)), (vec!["b-one".into()], 1));
        for unknown in ["tag=never-used", "author=nobody-x", "favorited=nobody-x"] {
            let (status, list) = app.get(&format!("/articles?{unknown}")).await;
            assert_eq!((status, list), (200, json!({"articles": [], "articles_count": 0})));
        }
    }

    async fn the_feed_holds_followed_authors_with_following_flags(app) {
        let me = app.new_user("feed-reader").await;
        let (_, empty) = app.get(&format!("/articles?feed={me}&viewer={me}")).await;
        assert_eq!(empty, json!({"articles": [], "articles_count": 0}));
        app.put(&format!("/profiles/ada/followers/{me}")).await;
        app.put(&format!("/profiles/brook/followers/{me}")).await;
        let (_, feed) = app.get(&format!("/articles?feed={me}&viewer={me}&limit=100")).await;
        let (_, ada) = app.get("/articles?author=ada").await;
        let (_, brook) = app.get("/articles?author=brook").await;
        assert_eq!(total(&feed), total(&ada) + total(&brook));
        assert_eq!(slugs(&feed).len() as i64, total(&feed));
        for article in feed["articles"].as_array().unwrap() {
            assert!(["ada", "brook"].contains(&article["author"]["username"].as_str().unwrap()));
            assert_eq!(article["author"]["following"], true);
        }
        let (_, tagged_feed) = app.get(&format!("/articles?feed={me}&tag=rust")).await;
        assert!(total(&tagged_feed) <= total(&feed));
        for article in tagged_feed["articles"].as_array().unwrap() {
            assert!(article["tag_list"].as_array().unwrap().contains(&json!("rust")));
        }
    }

    async fn limit_and_offset_out_of_range_are_422(app) {
        for query in ["limit=0", "limit=101", "offset=-1", "limit=abc"] {
            let (status, body) = app.get(&format!("/articles?{query}")).await;
            assert_eq!(status, 422, "{query}: {body}");
            assert!(body["errors"].is_object());
        }
    }

    async fn a_page_of_20_runs_as_many_statements_as_a_page_of_2(app) {
        let viewer = app.user_id("kai").await;
        let mut counts = Vec::new();
        for limit in [2, 20, 2, 20] {
            let before = app.db.statement_count();
            let (status, list) = app.get(&format!("/articles?limit={limit}&viewer={viewer}&tag=databases")).await;
            assert_eq!(status, 200);
            assert!(slugs(&list).len() as i64 >= limit.min(total(&list)));
            counts.push(app.db.statement_count() - before);
        }
        assert_eq!(counts[0], counts[1], "statements for 2 vs 20 articles: {counts:?}");
        assert_eq!(counts[2], counts[3]);
        assert!(counts[1] <= 6, "a handful of statements per page: {counts:?}");
    }
}
