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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "tag", rename_all = "snake_case")]
pub enum HomeTab {
    /// Everyone's articles.
    Global,
    /// Articles by authors the viewer follows.
    Feed,
    /// Articles with this tag.
    Tag(String),
}

/// One page of a list, with what pagination needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticlePage {
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
    pub list: ArticlePage,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileTab {
    /// Articles the user wrote.
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
    pub list: ArticlePage,
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

/// Query of the list pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    /// `following` for Your Feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    /// A tag filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `articles` (default) or `favorites` on a profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab: Option<String>,
    /// Page number from 1 (text, so a bad one can be treated as 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

impl PageQuery {
    /// The page number: 1 when absent or not a positive integer.
    pub fn page_number(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }
}

/// Number of pages for `count` articles (at least 1).
pub fn pages_for(count: i64) -> i64 {
    ((count + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}
