//! What the templates show: page structs (askama templates under `web/templates/`) and the
//! view models they read, built from the experience tier's page answers. Every derived
//! string (links, avatars, dates, button states) is computed here so the templates stay
//! plain markup; askama escapes everything except the sanitized article body.

use std::sync::LazyLock;

use askama::Template;
use chrono::{DateTime, Utc};
use conduit_wire::api;
use conduit_wire::pages::{self, Viewer};

use crate::assets::Assets;
use crate::markdown;

/// The site's static file URLs, computed once.
pub static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::new);

/// A path segment escaped for use in a link.
pub fn seg(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn date(t: &DateTime<Utc>) -> String {
    t.format("%B %-d, %Y").to_string()
}

fn avatar(image: Option<&str>) -> String {
    markdown::image_url(image, &ASSETS.avatar)
}

fn profile_href(username: &str) -> String {
    format!("/profile/{}", seg(username))
}

/// The signed-in user in the header.
#[derive(Debug, Clone)]
pub struct ViewerView {
    /// Username.
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
    /// Article link.
    pub href: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Date shown.
    pub date: String,
    /// Author name.
    pub author: String,
    /// Author link.
    pub author_href: String,
    /// Author avatar.
    pub avatar: String,
    /// Favorited by the viewer.
    pub favorited: bool,
    /// Favorites count.
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

/// A pagination link, or a gap (`…`) where pages are left out.
#[derive(Debug, Clone)]
pub struct PageLink {
    /// 1-based page number (0 for a gap).
    pub number: i64,
    /// Link ("" for a gap).
    pub href: String,
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

/// A list with its pagination.
#[derive(Debug, Clone)]
pub struct ListView {
    /// The previews.
    pub previews: Vec<Preview>,
    /// Page links (empty or one: no pagination shown).
    pub pages: Vec<PageLink>,
}

impl ListView {
    /// From a page of articles; `href(n)` links page `n`.
    pub fn new(list: &pages::ArticlePage, href: impl Fn(i64) -> String) -> Self {
        Self {
            previews: list.articles.iter().map(Preview::from).collect(),
            pages: page_numbers(list.page, list.pages)
                .into_iter()
                .map(|n| match n {
                    Some(n) => PageLink {
                        number: n,
                        href: href(n),
                        current: n == list.page,
                        gap: false,
                    },
                    None => PageLink {
                        number: 0,
                        href: String::new(),
                        current: false,
                        gap: true,
                    },
                })
                .collect(),
        }
    }
}

/// A tag in the sidebar.
#[derive(Debug, Clone)]
pub struct TagLink {
    /// Name.
    pub name: String,
    /// Link.
    pub href: String,
}

/// `/`, `/?feed=following`, `/tag/:tag`.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomeTemplate {
    /// Layout.
    pub l: Layout,
    /// "global", "feed" or "tag".
    pub tab: &'static str,
    /// The tag of the tag tab.
    pub tag: Option<String>,
    /// Its link.
    pub tag_href: String,
    /// The list.
    pub list: ListView,
    /// Sidebar tags.
    pub popular_tags: Vec<TagLink>,
    /// Where forms on this page return to.
    pub next: String,
}

/// `/login`, `/register`.
#[derive(Template)]
#[template(path = "auth.html")]
pub struct AuthTemplate {
    /// Layout.
    pub l: Layout,
    /// Sign up (else sign in).
    pub register: bool,
    /// Errors to list.
    pub errors: Vec<String>,
    /// Kept input.
    pub username: String,
    /// Kept input.
    pub email: String,
    /// Where to go after signing in ("" for home).
    pub next: String,
}

/// `/settings`.
#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsTemplate {
    /// Layout.
    pub l: Layout,
    /// Errors to list.
    pub errors: Vec<String>,
    /// Field values.
    pub image: String,
    /// Field values.
    pub username: String,
    /// Field values.
    pub bio: String,
    /// Field values.
    pub email: String,
}

/// `/editor`, `/editor/:slug`.
#[derive(Template)]
#[template(path = "editor.html")]
pub struct EditorTemplate {
    /// Layout.
    pub l: Layout,
    /// Where the form posts.
    pub action: String,
    /// Errors to list.
    pub errors: Vec<String>,
    /// Field values.
    pub title: String,
    /// Field values.
    pub description: String,
    /// Field values.
    pub body: String,
    /// Tags as pills.
    pub tags: Vec<String>,
}

/// The article shown on its page.
#[derive(Debug, Clone)]
pub struct ArticleViewModel {
    /// Title.
    pub title: String,
    /// Sanitized HTML of the body.
    pub body_html: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Date.
    pub date: String,
    /// Author name.
    pub author: String,
    /// Author link.
    pub author_href: String,
    /// Author avatar.
    pub avatar: String,
    /// Viewer favorited it.
    pub favorited: bool,
    /// Favorites count.
    pub count: i64,
    /// Viewer follows the author.
    pub following: bool,
    /// Viewer is the author.
    pub is_author: bool,
    /// Edit link.
    pub edit_href: String,
    /// Delete form target.
    pub delete_action: String,
    /// Favorite form target.
    pub favorite_action: String,
    /// Follow form target.
    pub follow_action: String,
    /// Comment form target.
    pub comment_action: String,
}

/// A comment shown.
#[derive(Debug, Clone)]
pub struct CommentView {
    /// Text (escaped by the template).
    pub body: String,
    /// Author name.
    pub author: String,
    /// Author link.
    pub author_href: String,
    /// Author avatar.
    pub avatar: String,
    /// Date.
    pub date: String,
    /// Written by the viewer (delete button).
    pub mine: bool,
    /// Delete form target.
    pub delete_action: String,
}

/// `/article/:slug`.
#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticleTemplate {
    /// Layout.
    pub l: Layout,
    /// The article.
    pub a: ArticleViewModel,
    /// Its comments.
    pub comments: Vec<CommentView>,
    /// Errors of the comment form.
    pub errors: Vec<String>,
    /// Where forms on this page return to.
    pub next: String,
}

impl ArticleTemplate {
    /// From the experience page answer and the body's HTML (`markdown::Renderer`).
    pub fn new(view: &pages::ArticleView, csrf: &str, body_html: String) -> Self {
        let a = &view.article;
        let me = view.viewer.as_ref().map(|v| v.username.as_str());
        let slug = seg(&a.slug);
        let author = &a.author.username;
        let follow_verb = if a.author.following {
            "unfollow"
        } else {
            "follow"
        };
        let fav_verb = if a.favorited {
            "unfavorite"
        } else {
            "favorite"
        };
        let model = ArticleViewModel {
            title: a.title.clone(),
            body_html,
            tags: a.tag_list.clone(),
            date: date(&a.created_at),
            author: author.clone(),
            author_href: profile_href(author),
            avatar: avatar(a.author.image.as_deref()),
            favorited: a.favorited,
            count: a.favorites_count,
            following: a.author.following,
            is_author: me == Some(author.as_str()),
            edit_href: format!("/editor/{slug}"),
            delete_action: format!("/article/{slug}/delete"),
            favorite_action: format!("/article/{slug}/{fav_verb}"),
            follow_action: format!("/profile/{}/{follow_verb}", seg(author)),
            comment_action: format!("/article/{slug}/comments"),
        };
        let comments = view
            .comments
            .iter()
            .map(|c| CommentView {
                body: c.body.clone(),
                author: c.author.username.clone(),
                author_href: profile_href(&c.author.username),
                avatar: avatar(c.author.image.as_deref()),
                date: date(&c.created_at),
                mine: me == Some(c.author.username.as_str()),
                delete_action: format!("/article/{slug}/comments/{}/delete", c.id),
            })
            .collect();
        Self {
            l: Layout::new(a.title.clone(), view.viewer.as_ref(), "", csrf),
            next: format!("/article/{slug}"),
            a: model,
            comments,
            errors: Vec::new(),
        }
    }
}

/// `/profile/:username[/favorites]`.
#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfileTemplate {
    /// Layout.
    pub l: Layout,
    /// Username.
    pub username: String,
    /// Bio.
    pub bio: Option<String>,
    /// Avatar.
    pub avatar: String,
    /// The viewer's own profile.
    pub is_me: bool,
    /// Viewer follows them.
    pub following: bool,
    /// Follow form target.
    pub follow_action: String,
    /// Profile link.
    pub href: String,
    /// Favorited tab shown.
    pub favorites: bool,
    /// The list.
    pub list: ListView,
    /// Where forms on this page return to.
    pub next: String,
}

impl ProfileTemplate {
    /// From the experience page answer.
    pub fn new(view: &pages::ProfileView, csrf: &str) -> Self {
        let p = &view.profile;
        let href = profile_href(&p.username);
        let favorites = view.tab == pages::ProfileTab::Favorites;
        let base = if favorites {
            format!("{href}/favorites")
        } else {
            href.clone()
        };
        let is_me = view
            .viewer
            .as_ref()
            .is_some_and(|v| v.username == p.username);
        let verb = if p.following { "unfollow" } else { "follow" };
        Self {
            l: Layout::new(
                p.username.clone(),
                view.viewer.as_ref(),
                if is_me { "me" } else { "" },
                csrf,
            ),
            username: p.username.clone(),
            bio: p.bio.clone(),
            avatar: avatar(p.image.as_deref()),
            is_me,
            following: p.following,
            follow_action: format!("{href}/{verb}"),
            list: ListView::new(&view.list, |n| format!("{base}?page={n}")),
            next: if view.list.page > 1 {
                format!("{base}?page={}", view.list.page)
            } else {
                base.clone()
            },
            favorites,
            href,
        }
    }
}

/// Error pages.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Layout.
    pub l: Layout,
    /// HTTP status.
    pub status: u16,
    /// What happened.
    pub message: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

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
