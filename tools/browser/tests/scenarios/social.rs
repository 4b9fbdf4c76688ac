//! Favorites and follows.

use crate::{scenarios, unique};

/// The heart button of the article meta (the banner's copy).
const FAVORITE: &str = "div.banner div.article-meta form:last-of-type button";

scenarios! {
    async fn favorite_and_unfavorite_change_the_button_class_the_count_and_the_favorited_tab(b) {
        let name = unique("fan");
        b.sign_up(&name).await;
        let article = "/article/memcached-is-still-great";
        b.goto(article).await;
        let class = b.attr(FAVORITE, "class").await;
        assert!(class.contains("btn-outline-primary"), "{class}");
        let count = |text: String| -> u32 {
            text.rsplit('(').next().unwrap().trim_end_matches(')').parse().unwrap()
        };
        let before = count(b.text(&format!("{FAVORITE} span.counter")).await);

        b.click(FAVORITE).await;
        b.wait_path(article).await;
        b.find(&format!("{FAVORITE}.btn-primary")).await;
        assert_eq!(count(b.text(&format!("{FAVORITE} span.counter")).await), before + 1);
        assert!(b.text(FAVORITE).await.starts_with("Unfavorite Article"));
        b.goto(&format!("/profile/{name}/favorites")).await;
        assert_eq!(b.texts("div.article-preview h1").await, ["Memcached is still great"]);

        b.goto(article).await;
        b.click(FAVORITE).await;
        b.find(&format!("{FAVORITE}.btn-outline-primary")).await;
        assert_eq!(count(b.text(&format!("{FAVORITE} span.counter")).await), before);
        b.goto(&format!("/profile/{name}/favorites")).await;
        b.find("div.empty-feed-message").await;
    }

    async fn follow_an_author_and_see_them_in_your_feed(b) {
        let name = unique("follower");
        b.sign_up(&name).await;
        b.goto("/?feed=following").await;
        b.find("div.empty-feed-message").await;
        b.goto("/profile/kai").await;
        assert_eq!(b.text("div.user-info button.action-btn").await, "Follow kai");
        b.click("div.user-info button.action-btn").await;
        b.wait_path("/profile/kai").await;
        let label = b.text("div.user-info button.action-btn").await;
        assert_eq!(label, "Unfollow kai");
        b.goto("/").await;
        b.click("div.feed-toggle a[href='/?feed=following']").await;
        b.wait_path("/?feed=following").await;
        let authors = b.texts("div.article-preview a.author").await;
        assert_eq!(authors.len(), 5, "{authors:?}");
        assert!(authors.iter().all(|a| a == "kai"), "{authors:?}");
    }
}
