//! What must never happen: user-written script running; a visitor seeing a stale page
//! after a write; a flow that needs JavaScript.

use conduit_browser::{Browser, harness};

use crate::{scenarios, unique};

/// Each payload sets `window.__xss` (and calls `alert`) if it ever runs.
const PAYLOADS: [&str; 4] = [
    "<script>window.__xss = 1; alert(1)</script>",
    "<img src=x onerror=\"window.__xss = 1; alert(1)\">",
    "<svg onload=\"window.__xss = 1\"></svg>",
    "\"><a href=\"javascript:window.__xss = 1\" id=xss-link>x</a>",
];

/// Fails when a payload ran on the current page: the flag is set, or an alert is open.
async fn assert_inert(b: &Browser, page: &str) {
    // Hook alert for anything that would run late, then look for traces.
    let _ = b
        .client
        .execute("window.alert = function () { window.__xss = 1; };", vec![])
        .await;
    if let Ok(text) = b.client.get_alert_text().await {
        panic!("an alert opened on {page}: {text}");
    }
    let ran = b
        .client
        .execute("return window.__xss === 1;", vec![])
        .await
        .unwrap();
    assert_eq!(ran, serde_json::json!(false), "a payload ran on {page}");
    // A javascript: link must not survive sanitizing.
    if let Some(link) = b.all("a[href^='javascript:']").await.first() {
        panic!(
            "javascript: link kept on {page}: {:?}",
            link.attr("href").await
        );
    }
}

scenarios! {
    async fn xss_payloads_in_every_user_written_field_never_execute(b) {
        let name = unique("xss");
        b.sign_up(&name).await;
        let all = PAYLOADS.join(" ");
        b.goto("/settings").await;
        b.fill("input[name=image]", "javascript:window.__xss=1").await;
        b.fill("textarea[name=bio]", &all).await;
        b.click("form button.btn-primary[type=submit]").await;
        b.wait_path(&format!("/profile/{name}")).await;
        assert_inert(&b, "profile").await;

        let title = format!("{} {name}", PAYLOADS[1]);
        b.goto("/editor").await;
        b.fill("input[name=description]", PAYLOADS[0]).await;
        let path = b.publish(&title, &format!("{all}\n\n[link](javascript:window.__xss=1)"), &["xss"]).await;
        assert_eq!(b.text("div.banner h1").await, title, "the title is shown as text");
        assert_inert(&b, "article").await;
        b.fill("textarea[name=body]", &all).await;
        b.click("form.comment-form button[type=submit]").await;
        b.find("div.card p.card-text").await;
        assert_inert(&b, "article with comment").await;
        for page in ["/".to_owned(), format!("/profile/{name}"), path, "/tag/xss".to_owned()] {
            b.goto(&page).await;
            assert_inert(&b, &page).await;
        }
        // Seen by a visitor (the cached copy) too.
        let visitor = Browser::open(harness().unwrap(), true).await;
        for page in ["/", &format!("/profile/{name}")] {
            visitor.goto(page).await;
            visitor.goto(page).await;
            assert_inert(&visitor, page).await;
        }
        visitor.close().await;
    }

    async fn a_visitor_in_another_browser_sees_an_edit_at_once(b) {
        let name = unique("fresh");
        b.sign_up(&name).await;
        let title = format!("Fresh {name}");
        let path = b.publish(&title, "First version", &[]).await;

        let visitor = Browser::open(harness().unwrap(), true).await;
        for _ in 0..2 {
            visitor.goto(&path).await;
            assert_eq!(visitor.text("div.article-content p").await, "First version");
            visitor.goto("/").await;
        }
        // Other scenarios publish at the same time: look for ours among the newest, not first.
        let titles = visitor.texts("div.article-preview h1").await;
        assert!(titles.contains(&title), "{title} not in {titles:?}");

        b.click("a.btn-outline-secondary[href^='/editor/']").await;
        b.fill("textarea[name=body]", "Second version").await;
        let newer = format!("{title} v2");
        b.fill("input[name=title]", &newer).await;
        b.click("button[type=submit]").await;
        b.find("div.article-page").await;
        let edited = b.path().await;

        visitor.goto(&edited).await;
        assert_eq!(visitor.text("div.article-content p").await, "Second version");
        visitor.goto("/").await;
        let titles = visitor.texts("div.article-preview h1").await;
        assert!(
            titles.contains(&newer) && !titles.contains(&title),
            "{newer} (and not {title}) in {titles:?}"
        );
        visitor.close().await;
    }

    #[no_javascript]
    async fn the_core_flows_work_with_javascript_disabled(b) {
        let name = unique("nojs");
        b.sign_up(&name).await;
        // Scripts are really off: Enter in the tag input submits the form (the script would
        // have made a pill), and the server's validation answers.
        b.goto("/editor").await;
        b.find("input[data-tag-input]").await.send_keys("early\u{E007}").await.unwrap();
        b.find("ul.error-messages li").await;
        // Without the script the tag input takes tags separated by commas or spaces.
        b.goto("/editor").await;
        b.fill("input[name=title]", &format!("No script {name}")).await;
        b.fill("input[name=description]", "plain forms").await;
        b.fill("textarea[name=body]", "Works *without* JavaScript").await;
        b.fill("input[data-tag-input]", &format!("{name}-one, {name}-two")).await;
        b.click("button[type=submit]").await;
        b.find("div.article-page").await;
        assert_eq!(
            b.texts("div.article-content ul.tag-list li").await,
            [format!("{name}-one"), format!("{name}-two")]
        );
        assert_eq!(b.text("div.article-content em").await, "without");

        b.fill("textarea[name=body]", "a comment without script").await;
        b.click("form.comment-form button[type=submit]").await;
        b.find("div.card p.card-text").await;
        assert!(b.texts("div.card p.card-text").await.contains(&"a comment without script".to_owned()));

        b.goto("/article/graceful-shutdown-in-actix-web").await;
        let favorite = "div.banner div.article-meta form:last-of-type button";
        b.click(favorite).await;
        b.find(&format!("{favorite}.btn-primary")).await;

        b.sign_out().await;
        assert_eq!(b.count("img.user-pic").await, 0);
    }
}
