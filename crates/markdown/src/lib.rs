//! Article bodies: the limits a body must meet to be stored ([`check`], run by experience when
//! an article is written) and its safe HTML ([`render`], run by web for the article page).
//!
//! Rendering is markdown to HTML (pulldown-cmark, linear) and then an allow-list sanitizer
//! (ammonia, on html5ever): no script or style elements, no event-handler attributes, no
//! `javascript:` or `data:` URLs, no iframes; links get `rel="noopener noreferrer nofollow"`.
//!
//! The sanitizer's HTML parser costs time in proportion to the depth of the open elements at
//! each element it adds, so a body of deep nesting is quadratic: 20 KB of `>` (nested
//! blockquotes) took 1.4 s, 100 KB about 140 s. Depth is therefore a limit like size is: the
//! nesting of the HTML the markdown becomes (blockquotes, lists, emphasis and raw HTML tags
//! alike) may be at most [`MAX_DEPTH`], a body at most [`MAX_BYTES`], and the HTML it becomes
//! at most [`MAX_HTML_BYTES`] (a line of 30 `>` is 30 elements). The depth is
//! measured on the HTML the sanitizer will parse ([`html_depth`]), so markdown and raw HTML
//! cannot be combined to pass it. A body stored before these limits that breaks them is
//! shown as escaped text, never handed to the sanitizer. `deploy/bench/markdown` (the
//! `render_bench` example) prints the render time of pathological bodies at the limits.

use pulldown_cmark::{Options, Parser, html};

/// Longest body, in bytes (UTF-8), an article may have.
pub const MAX_BYTES: usize = 65_536;
/// Deepest nesting of elements a body may render to.
pub const MAX_DEPTH: usize = 32;
/// Most HTML a body may render to, in bytes: markdown can multiply its size by 25 (each `>`
/// of a line of them is a `<blockquote>` element), and the sanitizer's time follows the HTML.
pub const MAX_HTML_BYTES: usize = 384 * 1024;

/// Why a body cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Longer than [`MAX_BYTES`].
    TooLong,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Renders to more than [`MAX_HTML_BYTES`] of HTML.
    TooMuchHtml,
}

impl Problem {
    /// The RealWorld field message for the `body` field.
    pub fn message(self) -> String {
        match self {
            Self::TooLong => format!("is too long (maximum is {MAX_BYTES} bytes)"),
            Self::TooDeep => format!("is nested too deeply (maximum depth is {MAX_DEPTH})"),
            Self::TooMuchHtml => {
                format!("renders to too much HTML (maximum is {MAX_HTML_BYTES} bytes)")
            }
        }
    }
}

/// Whether `markdown` may be stored as an article body. Linear in its length.
pub fn check(markdown: &str) -> Result<(), Problem> {
    unsanitized(markdown).map(drop)
}

/// Safe HTML for a markdown body. Bounded: a body that breaks the limits (stored before
/// they existed) is shown as escaped, preformatted text.
pub fn render(markdown: &str) -> String {
    match unsanitized(markdown) {
        Ok(raw) => ammonia::Builder::default()
            .url_schemes(["http", "https", "mailto"].into())
            .link_rel(Some("noopener noreferrer nofollow"))
            .clean(&raw)
            .to_string(),
        Err(_) => {
            let mut out = String::with_capacity(markdown.len() + 16);
            out.push_str("<pre>");
            html::push_html(
                &mut out,
                std::iter::once(pulldown_cmark::Event::Text(markdown.into())),
            );
            out.push_str("</pre>");
            out
        }
    }
}

/// The HTML of `markdown` before sanitizing, when it meets the limits.
fn unsanitized(markdown: &str) -> Result<String, Problem> {
    if markdown.len() > MAX_BYTES {
        return Err(Problem::TooLong);
    }
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    if raw.len() > MAX_HTML_BYTES {
        return Err(Problem::TooMuchHtml);
    }
    if html_depth(&raw) > MAX_DEPTH {
        return Err(Problem::TooDeep);
    }
    Ok(raw)
}

/// Elements that never have content (no end tag).
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];
/// Elements that an element of the same name closes instead of nesting in.
const SIBLINGS: &[&str] = &["p", "li", "dt", "dd", "tr", "td", "th", "option"];

/// The deepest nesting of elements in `html`, counted as an HTML parser would build the tree
/// or deeper, never shallower: quoted attribute values, comments and raw-text elements are
/// skipped as the HTML tokenizer skips them, an end tag closes only an element that is open
/// (and those opened inside it), and void elements never open. Linear in the length.
pub fn html_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let mut open: Vec<String> = Vec::new();
    let mut deepest = 0;
    let mut i = 0;
    while let Some(lt) = find(bytes, i, b"<") {
        i = lt + 1;
        if bytes[i..].starts_with(b"!--") {
            i = find(bytes, i + 3, b"-->").map_or(bytes.len(), |end| end + 3);
        } else if bytes.get(i).is_some_and(|b| *b == b'!' || *b == b'?') {
            i = find(bytes, i, b">").map_or(bytes.len(), |end| end + 1);
        } else if bytes.get(i) == Some(&b'/') {
            let (name, after) = tag_name(bytes, i + 1);
            i = tag_end(bytes, after);
            if let Some(at) = open.iter().rposition(|n| *n == name) {
                open.truncate(at);
            }
        } else if bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            let (name, after) = tag_name(bytes, i);
            i = tag_end(bytes, after);
            let self_closing = bytes[..i].ends_with(b"/>");
            if VOID.contains(&name.as_str()) || self_closing {
                continue;
            }
            if RAW_TEXT.contains(&name.as_str()) {
                let close = format!("</{name}");
                i = find_ignore_case(bytes, i, close.as_bytes()).unwrap_or(bytes.len());
                deepest = deepest.max(open.len() + 1);
                continue;
            }
            if SIBLINGS.contains(&name.as_str()) && open.last() == Some(&name) {
                continue;
            }
            open.push(name);
            deepest = deepest.max(open.len());
        }
    }
    deepest
}

/// The lower-case tag name starting at `at`, and where it ends.
fn tag_name(bytes: &[u8], at: usize) -> (String, usize) {
    let end = bytes[at..]
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        .map_or(bytes.len(), |n| at + n);
    (
        String::from_utf8_lossy(&bytes[at..end]).to_ascii_lowercase(),
        end,
    )
}

/// Just past the `>` that ends the tag whose attributes start at `at`, skipping quoted
/// values (which may hold `>`).
fn tag_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'>' => return at + 1,
            q @ (b'"' | b'\'') => {
                at = bytes[at + 1..]
                    .iter()
                    .position(|b| *b == q)
                    .map_or(bytes.len(), |n| at + 1 + n + 1);
            }
            _ => at += 1,
        }
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|n| from + n)
}

fn find_ignore_case(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|n| from + n)
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
    fn raw_html_within_the_limits_is_kept() {
        let html = render("<details><summary>More</summary>\n\n*hidden*\n\n</details>");
        assert!(html.contains("<details>"), "{html}");
        assert!(html.contains("<em>hidden</em>"), "{html}");
    }

    #[test]
    fn size_and_depth_are_limited() {
        assert_eq!(check(&"a".repeat(MAX_BYTES)), Ok(()));
        assert_eq!(check(&"a".repeat(MAX_BYTES + 1)), Err(Problem::TooLong));
        // Blockquotes: one element per level.
        assert_eq!(check(&format!("{} x", ">".repeat(MAX_DEPTH - 1))), Ok(()));
        assert_eq!(check(&">".repeat(MAX_DEPTH + 1)), Err(Problem::TooDeep));
        assert_eq!(check(&"<div>".repeat(MAX_DEPTH + 1)), Err(Problem::TooDeep));
        // Lists nest two elements per level (ul, li).
        let list: String = (0..MAX_DEPTH)
            .map(|level| format!("{}- x\n", "  ".repeat(level)))
            .collect();
        assert_eq!(check(&list), Err(Problem::TooDeep));
        // 64 KB of blank-line separated `>>>>` would be 1.6 MB of HTML.
        let quotes = format!("{} q\n\n", ">".repeat(MAX_DEPTH / 2));
        assert_eq!(
            check(&quotes.repeat(MAX_BYTES / quotes.len())),
            Err(Problem::TooMuchHtml)
        );
    }

    #[test]
    fn depth_is_never_counted_shallower_than_a_parser_builds_it() {
        let deep = |unit: &str| html_depth(&unit.repeat(100));
        // An end tag for an element that is not open closes nothing.
        assert!(deep("<div></span>") >= 100);
        // A `</div>` inside a quoted attribute, a comment or a raw-text element is not a tag.
        assert!(deep("<div><span title=\"x></div>\">") >= 100);
        assert!(deep("<div><!-- </div> -->") >= 100);
        assert!(deep("<div><textarea></div></textarea>") >= 100);
        // Siblings and void elements do not nest.
        assert_eq!(deep("<p>a"), 1);
        assert_eq!(deep("<br><img src=x><hr/>"), 0);
        assert_eq!(html_depth("<ul><li>a<li>b</ul><p>c</p>"), 2);
    }

    #[test]
    fn a_stored_body_past_the_limits_is_shown_as_text() {
        let html = render(&format!("{}<script>", ">".repeat(MAX_DEPTH * 4)));
        assert!(html.starts_with("<pre>"), "{html}");
        assert!(html.contains("&gt;&gt;&gt;"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
