//! Article bodies: markdown rendered to HTML, then sanitized with an allow-list (ammonia):
//! no script or style elements, no event-handler attributes, no `javascript:` or `data:`
//! URLs, no iframes; links get `rel="noopener noreferrer nofollow"`.

use pulldown_cmark::{Options, Parser, html};

/// Safe HTML for a markdown body.
pub fn render(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

/// The URL of a user image when it is an http(s) URL, else the default avatar.
pub fn image_url(image: Option<&str>, default_avatar: &str) -> String {
    match image.map(str::trim) {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => url.to_owned(),
        _ => default_avatar.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_dangerous_html_is_removed() {
        let html =
            render("# Title\n\n- a\n- b\n\n```rust\nlet x = 1;\n```\n\n[ok](https://x.example)");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<li>a</li>"));
        assert!(html.contains("<pre><code>let x = 1;"));
        assert!(html.contains("href=\"https://x.example\""));
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
        ] {
            let out = render(evil);
            let lower = out.to_lowercase();
            assert!(!lower.contains("<script"), "{evil} -> {out}");
            assert!(!lower.contains("onerror"), "{evil} -> {out}");
            assert!(!lower.contains("javascript:"), "{evil} -> {out}");
            assert!(!lower.contains("data:"), "{evil} -> {out}");
            assert!(!lower.contains("<iframe"), "{evil} -> {out}");
        }
    }

    #[test]
    fn only_http_images_are_used() {
        assert_eq!(
            image_url(Some("https://i.example/a.png"), "/d.svg"),
            "https://i.example/a.png"
        );
        assert_eq!(image_url(Some("javascript:alert(1)"), "/d.svg"), "/d.svg");
        assert_eq!(image_url(Some(""), "/d.svg"), "/d.svg");
        assert_eq!(image_url(None, "/d.svg"), "/d.svg");
    }
}
