//! Writing: publish with tags entered with Enter, edit, delete; comments; lists.

use crate::{scenarios, unique};

const BODY: &str = "## Why browsers\n\nBecause *users* have them.\n\n- one\n- two\n\n`code` too";

scenarios! {
    async fn publish_with_three_tags_entered_with_enter_then_edit_then_delete(b) {
        let name = unique("writer");
        b.sign_up(&name).await;
        let title = format!("Browser article {name}");
        let tags = [format!("{name}-a"), format!("{name}-b"), format!("{name}-c")];
        let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();

        b.goto("/editor").await;
        let input = b.find("input[data-tag-input]").await;
        for tag in &tags {
            input.send_keys(&format!("{tag}\u{E007}")).await.unwrap();
        }
        assert_eq!(b.path().await, "/editor", "Enter adds a tag, it does not submit");
        assert_eq!(b.texts("[data-tag-list] .tag-pill").await, tags.to_vec());

        let path = b.publish(&title, BODY, &tag_refs).await;
        assert_eq!(b.text("div.banner h1").await, title);
        assert_eq!(b.text("div.article-content h2").await, "Why browsers");
        assert_eq!(b.text("div.article-content em").await, "users");
        assert_eq!(b.count("div.article-content ul:not(.tag-list) li").await, 2);
        assert_eq!(b.texts("div.article-content ul.tag-list li").await, tags.to_vec());

        b.click("a.btn-outline-secondary[href^='/editor/']").await;
        assert_eq!(b.attr("input[name=title]", "value").await, title);
        let edited = format!("{title} (edited)");
        b.fill("input[name=title]", &edited).await;
        b.click("button[type=submit]").await;
        b.find("div.article-page").await;
        assert_eq!(b.text("div.banner h1").await, edited);

        b.click("form button.btn-outline-danger").await;
        b.wait_path("/").await;
        assert!(!b.texts("div.article-preview h1").await.contains(&edited));
        b.goto(&path).await;
        assert_eq!(b.text("div.error-page h1").await, "404");
    }

    async fn comment_then_delete_it_and_no_delete_control_on_others_comments(b) {
        let name = unique("commenter");
        b.sign_up(&name).await;
        let article = "/article/why-your-pagination-query-is-slow";
        b.goto(article).await;
        let others = b.count("div.card button[aria-label='Delete comment']").await;
        assert_eq!(others, 0, "no delete control on others' comments");
        let text = format!("Seen from a browser by {name}");
        b.fill("textarea[name=body]", &text).await;
        b.click("form.comment-form button[type=submit]").await;
        b.find("div.card p.card-text").await;
        assert!(b.texts("div.card p.card-text").await.contains(&text));
        assert_eq!(b.count("div.card button[aria-label='Delete comment']").await, 1);

        b.click("div.card button[aria-label='Delete comment']").await;
        b.wait_path(article).await;
        b.find("form.comment-form").await;
        assert!(!b.texts("div.card p.card-text").await.contains(&text));
    }

    async fn pagination_and_the_tag_tab(b) {
        b.goto("/").await;
        let first = b.texts("div.article-preview h1").await;
        assert_eq!(first.len(), 10);
        // The first page, a window around the current one, a gap, the last page.
        let links = b.texts("ul.pagination li.page-item .page-link").await;
        assert!(links.contains(&"…".to_owned()), "{links:?}");
        let last: u32 = links.last().unwrap().parse().unwrap();
        assert!(last >= 6, "{links:?}");
        // Each number is a button of a GET form: the URL then shows ?page=N on the same path.
        b.click("ul.pagination li.page-item button[value='2']").await;
        b.wait_path("/?page=2").await;
        assert_eq!(b.text("ul.pagination li.page-item.active").await, "2");
        let second = b.texts("div.article-preview h1").await;
        assert_eq!(second.len(), 10);
        // Other scenarios may publish between the two views, pushing page 1's last titles
        // onto page 2 (one per article); a page parameter that did nothing would repeat all 10.
        let repeated = second.iter().filter(|t| first.contains(t)).count();
        assert!(repeated <= 2, "page 2 repeats {repeated} of page 1: {first:?} {second:?}");

        b.click("div.sidebar a.tag-pill[href='/tag/postgres']").await;
        b.wait_path("/tag/postgres").await;
        assert!(b.text("div.feed-toggle a.nav-link.active").await.contains("postgres"));
        let previews = b.all("div.article-preview").await;
        assert!(!previews.is_empty());
        for p in previews {
            let tags = p.find(fantoccini::Locator::Css("ul.tag-list")).await.unwrap().text().await.unwrap();
            assert!(tags.contains("postgres"), "{tags}");
        }
    }
}
