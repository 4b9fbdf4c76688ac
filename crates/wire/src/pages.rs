//! Page-shaped answers of the experience tier for the web tier: one call per page, each
//! answer holding everything the page renders. Writes go through the public API (`/api`).
//!
//! Every page answer carries the signed-in `viewer` (for the header) when the request had a
//! valid token; an invalid or expired token is treated as signed out, never as an error.

use serde::{Deserialize, Serialize};

use crate::api::{Article, Comment, Profile};

/// Articles per page on the site.
pub const PAGE_SIZE: i64 = 10;

/// The signed-in user as the header and forms show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// Username.
    pub username: String,
    /// Email (the settings form).
    pub email: String,
    /// Bio.
    pub bio: Option<String>,
    /// Image URL.
    pub image: Option<String>,
}

/// Which list the home page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "tag", rename_all = "snake_case")]
pub enum HomeTab {
    /// Everyone's articles.
    #[default]
    Global,
    /// Articles by authors the viewer follows.
    Feed,
    /// Articles with this tag.
    Tag(String),
}

/// One page of a list, with what pagination needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleListPage {
    /// The articles (no bodies), newest first.
    pub articles: Vec<Article>,
    /// All matches.
    pub articles_count: i64,
    /// This page, from 1.
    pub page: i64,
    /// Number of pages (at least 1).
    pub pages: i64,
}

/// `GET /pages/home?feed=following|tag=T&page=N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomePage {
    /// The signed-in user, if any.
    pub viewer: Option<Viewer>,
    /// The tab shown.
    pub tab: HomeTab,
    /// The list.
    pub list: ArticleListPage,
    /// Tags for the sidebar.
    pub popular_tags: Vec<String>,
}

/// `GET /pages/article/{slug}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleView {
    /// The signed-in user, if any.
    pub viewer: Option<Viewer>,
    /// The article with its body.
    pub article: Article,
    /// Its comments, oldest first.
    pub comments: Vec<Comment>,
}

/// Which list the profile page shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileTab {
    /// Articles the user wrote.
    #[default]
    Articles,
    /// Articles the user favorited.
    Favorites,
}

/// `GET /pages/profile/{username}?tab=articles|favorites&page=N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    /// The signed-in user, if any.
    pub viewer: Option<Viewer>,
    /// The profile shown.
    pub profile: Profile,
    /// The tab shown.
    pub tab: ProfileTab,
    /// The list.
    pub list: ArticleListPage,
}

/// `GET /pages/editor` and `GET /pages/editor/{slug}` (signed in; only the author may edit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorView {
    /// The signed-in user.
    pub viewer: Viewer,
    /// The article being edited, `None` for a new one.
    pub article: Option<Article>,
}

/// `GET /pages/settings` (signed in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// The signed-in user, whose settings these are.
    pub viewer: Viewer,
}

/// A list page's number, from 1. Read leniently, as links may carry anything: absent, not
/// a number, or below 1 is page 1. Written as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "Option<String>", into = "i64")]
pub struct PageNumber(i64);

impl PageNumber {
    /// The first page.
    pub const FIRST: Self = Self(1);

    /// Page `n`, or the first for `n < 1`.
    pub fn new(n: i64) -> Self {
        Self(n.max(1))
    }

    /// The number, at least 1.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl Default for PageNumber {
    fn default() -> Self {
        Self::FIRST
    }
}

impl From<Option<String>> for PageNumber {
    fn from(text: Option<String>) -> Self {
        let n = text.and_then(|t| t.trim().parse::<i64>().ok());
        Self::new(n.unwrap_or(1))
    }
}

impl From<PageNumber> for i64 {
    fn from(page: PageNumber) -> Self {
        page.0
    }
}

impl std::fmt::Display for PageNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Query of `GET /pages/home`: which list, which page. On the wire
/// `?feed=following|tag=T&page=N` (a blank tag is the global list).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "HomeParams", into = "HomeParams")]
pub struct HomeQuery {
    /// The list.
    pub tab: HomeTab,
    /// The page of it.
    pub page: PageNumber,
}

/// [`HomeQuery`] as query parameters.
#[derive(Serialize, Deserialize)]
struct HomeParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    feed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    #[serde(default)]
    page: PageNumber,
}

impl From<HomeParams> for HomeQuery {
    fn from(p: HomeParams) -> Self {
        let tab = match (p.feed.as_deref(), p.tag) {
            (Some("following"), _) => HomeTab::Feed,
            (_, Some(t)) if !t.trim().is_empty() => HomeTab::Tag(t.trim().to_owned()),
            _ => HomeTab::Global,
        };
        Self { tab, page: p.page }
    }
}

impl From<HomeQuery> for HomeParams {
    fn from(q: HomeQuery) -> Self {
        let (feed, tag) = match q.tab {
            HomeTab::Global => (None, None),
            HomeTab::Feed => (Some("following".to_owned()), None),
            HomeTab::Tag(t) => (None, Some(t)),
        };
        Self {
            feed,
            tag,
            page: q.page,
        }
    }
}

/// Query of `GET /pages/profile/{username}`: `?tab=articles|favorites&page=N` (anything but
/// `favorites` is the articles tab).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ProfileParams", into = "ProfileParams")]
pub struct ProfileQuery {
    /// The list.
    pub tab: ProfileTab,
    /// The page of it.
    pub page: PageNumber,
}

/// [`ProfileQuery`] as query parameters.
#[derive(Serialize, Deserialize)]
struct ProfileParams {
    #[serde(default)]
    tab: Option<String>,
    #[serde(default)]
    page: PageNumber,
}

impl From<ProfileParams> for ProfileQuery {
    fn from(p: ProfileParams) -> Self {
        let tab = match p.tab.as_deref() {
            Some("favorites") => ProfileTab::Favorites,
            _ => ProfileTab::Articles,
        };
        Self { tab, page: p.page }
    }
}

impl From<ProfileQuery> for ProfileParams {
    fn from(q: ProfileQuery) -> Self {
        let tab = match q.tab {
            ProfileTab::Articles => "articles",
            ProfileTab::Favorites => "favorites",
        };
        Self {
            tab: Some(tab.to_owned()),
            page: q.page,
        }
    }
}

/// Number of pages for `count` articles (at least 1).
pub fn pages_for(count: i64) -> i64 {
    ((count + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(query: &str) -> HomeQuery {
        serde_urlencoded::from_str(query).unwrap()
    }

    #[test]
    fn list_queries_read_any_link_and_write_one_form() {
        assert_eq!(home(""), HomeQuery::default());
        assert_eq!(home("page=zero").page, PageNumber::FIRST);
        assert_eq!(home("page=-4").page, PageNumber::FIRST);
        assert_eq!(home("page=%203").page.get(), 3);
        assert_eq!(home("tag=%20").tab, HomeTab::Global);
        assert_eq!(home("feed=other").tab, HomeTab::Global);
        let cases = [
            (HomeTab::Global, 1, "page=1"),
            (HomeTab::Feed, 2, "feed=following&page=2"),
            (HomeTab::Tag("a b".into()), 3, "tag=a+b&page=3"),
        ];
        for (tab, page, text) in cases {
            let q = HomeQuery {
                tab,
                page: PageNumber::new(page),
            };
            assert_eq!(serde_urlencoded::to_string(q.clone()).unwrap(), text);
            assert_eq!(home(text), q);
        }
        let favorites: ProfileQuery = serde_urlencoded::from_str("tab=favorites&page=2").unwrap();
        assert_eq!(favorites.tab, ProfileTab::Favorites);
        assert_eq!(
            serde_urlencoded::to_string(favorites).unwrap(),
            "tab=favorites&page=2"
        );
        let other: ProfileQuery = serde_urlencoded::from_str("tab=x").unwrap();
        assert_eq!(other, ProfileQuery::default());
    }
}
