//! What every page's template shows: the layout (header, footer), article previews and
//! their pagination, built from the experience tier's answers. Each page's own template data
//! lives with its page (`crate::pages`). Every derived string (links, avatars, dates, button
//! states) is computed in Rust so the templates stay plain markup; askama escapes everything
//! except the sanitized article body.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use conduit_wire::api;
use conduit_wire::pages::{ArticleListPage, Viewer};

use crate::assets::Assets;
use crate::markdown;

/// The site's static file URLs, computed once.
pub static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::new);

/// A path segment escaped for use in a link.
pub(crate) fn seg(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

pub(crate) fn date(t: &DateTime<Utc>) -> String {
    t.format("%B %-d, %Y").to_string()
}

pub(crate) fn avatar(image: Option<&str>) -> String {
    markdown::image_url(image, &ASSETS.avatar)
}

pub(crate) fn profile_href(username: &str) -> String {
    format!("/profile/{}", seg(username))
}

/// The signed-in user in the header.
#[derive(Debug, Clone)]
pub struct ViewerView {
    pub username: String,
    /// Their profile link.
    pub href: String,
    /// Their avatar URL.
    pub avatar: String,
}

impl From<&Viewer> for ViewerView {
    fn from(v: &Viewer) -> Self {
        Self {
            username: v.username.clone(),
            href: profile_href(&v.username),
            avatar: avatar(v.image.as_deref()),
        }
    }
}

/// What the layout needs.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The page title (before " — Conduit").
    pub title: String,
    /// The signed-in user.
    pub viewer: Option<ViewerView>,
    /// The active header link: home, login, register, editor, settings, me, or "".
    pub active: &'static str,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// Static file URLs.
    pub assets: &'static Assets,
    /// The demo accounts exist (`DEMO_MODE`): the footer says so.
    pub demo: bool,
}

/// Whether this process serves a demo (`DEMO_MODE`; set once by [`crate::run`]). Process-wide
/// like the assets: every page of the process, error pages included, shows it.
pub static DEMO_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Layout {
    /// A layout for `viewer` with the session's CSRF token.
    pub fn new(
        title: impl Into<String>,
        viewer: Option<&Viewer>,
        active: &'static str,
        csrf: &str,
    ) -> Self {
        Self {
            title: title.into(),
            viewer: viewer.map(ViewerView::from),
            active,
            csrf: csrf.to_owned(),
            assets: &ASSETS,
            demo: DEMO_MODE.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The layout of an error page (shown as signed out, no forms).
    pub fn anonymous(title: &str) -> Self {
        Self::new(title, None, "", "")
    }
}

/// An article in a list.
#[derive(Debug, Clone)]
pub struct Preview {
    pub href: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub date: String,
    pub author: String,
    pub author_href: String,
    pub avatar: String,
    /// Favorited by the viewer.
    pub favorited: bool,
    pub count: i64,
    /// Where the favorite button posts.
    pub favorite_action: String,
}

impl From<&api::Article> for Preview {
    fn from(a: &api::Article) -> Self {
        let slug = seg(&a.slug);
        let verb = if a.favorited {
            "unfavorite"
        } else {
            "favorite"
        };
        Self {
            href: format!("/article/{slug}"),
            title: a.title.clone(),
            description: a.description.clone(),
            tags: a.tag_list.clone(),
            date: date(&a.created_at),
            author: a.author.username.clone(),
            author_href: profile_href(&a.author.username),
            avatar: avatar(a.author.image.as_deref()),
            favorited: a.favorited,
            count: a.favorites_count,
            favorite_action: format!("/article/{slug}/{verb}"),
        }
    }
}

/// A page button of a list, or a gap (`…`) where pages are left out.
#[derive(Debug, Clone)]
pub struct PageLink {
    /// 1-based page number (0 for a gap).
    pub number: i64,
    /// The page shown.
    pub current: bool,
    /// Pages left out here.
    pub gap: bool,
}

/// Pages shown around the current one, each side.
const PAGE_WINDOW: i64 = 2;

/// The page numbers to link: the first, the last, and a window around `current`; `None`
/// where a run of pages is left out. A list of 100k articles has 10,000 pages: linking every
/// one made a megabyte of links on every page.
fn page_numbers(current: i64, last: i64) -> Vec<Option<i64>> {
    let mut wanted = vec![1, last];
    wanted.extend((current - PAGE_WINDOW).max(1)..=(current + PAGE_WINDOW).min(last));
    wanted.retain(|n| (1..=last).contains(n));
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = Vec::with_capacity(wanted.len() + 2);
    let mut previous = 0;
    for n in wanted {
        if n > previous + 1 {
            out.push(None);
        }
        out.push(Some(n));
        previous = n;
    }
    out
}

/// Where a list's page buttons lead: a GET form to `path` carrying the list's other
/// parameters, so each button's URL is `path?…&page=N`.
#[derive(Debug, Clone)]
pub struct Pager {
    /// The list's path (`/`, `/tag/rust`, `/profile/ada/favorites`).
    pub path: String,
    /// Parameters kept from page to page (`feed=following`).
    pub keep: Vec<(&'static str, &'static str)>,
}

impl Pager {
    /// Pages of the list at `path`.
    pub fn at(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            keep: Vec::new(),
        }
    }

    /// The URL of page `n` (page 1 is the list's own URL).
    pub fn href(&self, n: i64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(self.keep.iter().copied());
        if n > 1 {
            query.append_pair("page", &n.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{query}", self.path)
        }
    }
}

/// What an empty list says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    /// "No articles are here... yet."
    NoArticles,
    /// Your Feed: "Your feed is empty.", with the way to the Global Feed.
    Feed,
}

/// A list with its pagination.
#[derive(Debug, Clone)]
pub struct ListView {
    pub previews: Vec<Preview>,
    /// Page buttons (empty or one: no pagination shown).
    pub pages: Vec<PageLink>,
    /// Where the buttons lead.
    pub pager: Pager,
    /// What the list says when it has no article.
    pub empty: Empty,
}

impl ListView {
    /// From a page of articles, paged by `pager`.
    pub fn new(list: &ArticleListPage, pager: Pager, empty: Empty) -> Self {
        Self {
            previews: list.articles.iter().map(Preview::from).collect(),
            pages: page_numbers(list.page, list.pages)
                .into_iter()
                .map(|n| PageLink {
                    number: n.unwrap_or(0),
                    current: n == Some(list.page),
                    gap: n.is_none(),
                })
                .collect(),
            pager,
            empty,
        }
    }

    /// Whether an empty list is Your Feed (the template's message).
    pub fn empty_feed(&self) -> bool {
        self.empty == Empty::Feed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_url_keeps_the_list_parameters() {
        let feed = Pager {
            path: "/".into(),
            keep: vec![("feed", "following")],
        };
        assert_eq!(feed.href(1), "/?feed=following");
        assert_eq!(feed.href(3), "/?feed=following&page=3");
        assert_eq!(Pager::at("/tag/a%20b").href(2), "/tag/a%20b?page=2");
        assert_eq!(Pager::at("/profile/ada").href(1), "/profile/ada");
    }

    #[test]
    fn pagination_links_the_ends_and_a_window_around_the_current_page() {
        let shown = |c, l| {
            page_numbers(c, l)
                .into_iter()
                .map(|n| n.map_or("…".to_owned(), |n| n.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(shown(1, 1), "1");
        assert_eq!(shown(1, 7), "1 2 3 … 7");
        assert_eq!(shown(4, 7), "1 2 3 4 5 6 7");
        assert_eq!(shown(5000, 10000), "1 … 4998 4999 5000 5001 5002 … 10000");
        assert_eq!(shown(10000, 10000), "1 … 9998 9999 10000");
        assert_eq!(shown(3, 5), "1 2 3 4 5");
    }
}
