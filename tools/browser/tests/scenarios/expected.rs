//! What users of other Conduit front ends expect of pages (shared/spec/pages.md): page
//! buttons, the empty feed, the bio paragraph, a new tag in the sidebar, signing in from the
//! comment box.

use crate::{scenarios, unique};

scenarios! {
    #[no_javascript]
    async fn page_buttons_keep_the_list_and_mark_the_current_page(b) {
        b.goto("/tag/rust").await;
        b.click("ul.pagination li.page-item button[value='2']").await;
        b.wait_path("/tag/rust?page=2").await;
        assert_eq!(b.text("ul.pagination li.page-item.active").await, "2");
        assert!(b.text("div.feed-toggle a.nav-link.active").await.contains("rust"));
        b.click("ul.pagination li.page-item button[value='1']").await;
        b.wait_path("/tag/rust?page=1").await;
        assert_eq!(b.text("ul.pagination li.page-item.active").await, "1");
    }

    async fn an_empty_feed_says_so_and_leads_to_the_global_feed(b) {
        b.sign_up(&unique("lonely")).await;
        b.goto("/?feed=following").await;
        let message = b.text("div.empty-feed-message").await;
        assert!(message.starts_with("Your feed is empty."), "{message}");
        b.click("div.empty-feed-message a[href='/']").await;
        b.wait_path("/").await;
        assert_eq!(b.text("div.feed-toggle a.nav-link.active").await, "Global Feed");
        assert_eq!(b.count("div.article-preview").await, 10);
    }

    async fn a_profile_has_its_bio_paragraph_even_empty(b) {
        let name = unique("quiet");
        b.sign_up(&name).await;
        b.goto(&format!("/profile/{name}")).await;
        assert_eq!(b.count("div.user-info h4 + p").await, 1);
        assert_eq!(b.text("div.user-info h4 + p").await, "");
        b.goto("/profile/ada").await;
        assert!(!b.text("div.user-info h4 + p").await.is_empty());
    }

    async fn a_new_tag_is_in_popular_tags_at_once(b) {
        b.sign_up(&unique("tagger")).await;
        let tag = unique("fresh");
        b.publish("A fresh tag", "With a tag no one used.", &[&tag]).await;
        b.goto("/").await;
        b.find(&format!("div.sidebar div.tag-list a.tag-pill[href='/tag/{tag}']")).await;
    }

    async fn signing_in_from_the_comment_box_comes_back_to_the_article(b) {
        let name = unique("returner");
        b.sign_up(&name).await;
        b.sign_out().await;
        let article = "/article/memcached-is-still-great";
        b.goto(article).await;
        b.click("#comments a[href^='/login']").await;
        b.wait_path(&format!("/login?next={article}")).await;
        b.fill("input[name=email]", &format!("{name}@browser.example")).await;
        b.fill("input[name=password]", "password-123").await;
        b.click("form button[type=submit]").await;
        b.wait_path(article).await;
        b.find("form.comment-form textarea").await;
    }

    async fn signing_up_from_the_comment_box_comes_back_to_the_article(b) {
        let article = "/article/memcached-is-still-great";
        b.goto(article).await;
        b.click("#comments a[href^='/register']").await;
        b.wait_path(&format!("/register?next={article}")).await;
        let name = unique("newcomer");
        b.fill("input[name=username]", &name).await;
        b.fill("input[name=email]", &format!("{name}@browser.example")).await;
        b.fill("input[name=password]", "password-123").await;
        b.click("form button[type=submit]").await;
        b.wait_path(article).await;
        b.wait_signed_in(&name).await;
        b.find("form.comment-form textarea").await;
    }
}
