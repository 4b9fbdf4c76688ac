//! Page endpoints for the web tier (`/pages/...`): one call per page, answering everything
//! the page renders (`conduit_wire::pages`). The models calls a page needs run concurrently.
//! Writes go through the public API under `/api`.
//!
//! A page request with an invalid or expired token is served as signed out (the web tier
//! then shows the page to an anonymous visitor); pages that need a user answer 401.

use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use conduit_service::RequestId;
use conduit_wire::models::{self, ArticleQuery};
use conduit_wire::pages::{
    ArticleListPage, ArticleView, EditorView, HomePage, HomeQuery, HomeTab, PAGE_SIZE, PageNumber,
    ProfileQuery, ProfileTab, ProfileView, SettingsView, Viewer, pages_for,
};

use crate::auth::{CurrentUser, MaybeUser};
use crate::error::Error;
use crate::{AppState, convert};

type Result = std::result::Result<HttpResponse, Error>;

/// Registers `/pages/...`, for the web tier only (it presents the internal credential).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/pages")
            .wrap(from_fn(conduit_service::internal::require_internal))
            .route("/home", web::get().to(home))
            .route("/article/{slug}", web::get().to(article))
            .route("/profile/{username}", web::get().to(profile))
            .route("/editor", web::get().to(new_article))
            .route("/editor/{slug}", web::get().to(edit_article))
            .route("/settings", web::get().to(settings)),
    );
}

/// The caller if the token is valid; anything else is anonymous.
struct PageUser(Option<CurrentUser>);

impl FromRequest for PageUser {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = MaybeUser::from_request(req, payload);
        Box::pin(async move {
            match user.await {
                Ok(user) => Ok(PageUser(user.0)),
                Err(Error::TokenInvalid | Error::TokenMissing) => Ok(PageUser(None)),
                Err(e) => Err(e),
            }
        })
    }
}

impl PageUser {
    fn id(&self) -> Option<i64> {
        self.0.as_ref().map(|u| u.id)
    }

    /// The viewer, read when the token was checked.
    fn viewer(&self) -> Option<Viewer> {
        self.0.as_ref().map(|u| viewer(u.user.clone()))
    }
}

fn viewer(u: models::User) -> Viewer {
    Viewer {
        username: u.username,
        email: u.email,
        bio: u.bio,
        image: u.image,
    }
}

/// Tags in the home page's sidebar: the most used, read from the maintained per-tag counts.
/// Every tag shows (a new one at once) while the site has fewer; beyond, the list is capped.
const POPULAR_TAGS: i64 = 100;

/// The offset of list page `page` (1-based); 404 for a page whose offset a list could never
/// reach (it would overflow). A page after the last of a list is an empty page.
fn offset_of(page: PageNumber) -> std::result::Result<i64, Error> {
    (page.get() - 1)
        .checked_mul(PAGE_SIZE)
        .ok_or_else(|| Error::status(404, "page", "not found"))
}

fn list_page(list: models::ArticleList, page: PageNumber) -> ArticleListPage {
    ArticleListPage {
        articles: list.articles.into_iter().map(convert::summary).collect(),
        articles_count: list.articles_count,
        page: page.get(),
        pages: pages_for(list.articles_count),
    }
}

async fn home(
    state: web::Data<AppState>,
    rid: RequestId,
    user: PageUser,
    q: web::Query<HomeQuery>,
) -> Result {
    let HomeQuery { tab, page } = q.into_inner();
    if tab == HomeTab::Feed && user.0.is_none() {
        return Err(Error::TokenMissing);
    }
    let query = ArticleQuery {
        tag: match &tab {
            HomeTab::Tag(t) => Some(t.clone()),
            _ => None,
        },
        feed: (tab == HomeTab::Feed).then(|| user.id()).flatten(),
        viewer: user.id(),
        limit: Some(PAGE_SIZE),
        offset: Some(offset_of(page)?),
        ..Default::default()
    };
    let rid = rid.as_str();
    let (list, tags) = tokio::join!(
        state.models.list_articles(Some(rid), &query),
        state.models.popular_tags(Some(rid), POPULAR_TAGS),
    );
    Ok(HttpResponse::Ok().json(HomePage {
        viewer: user.viewer(),
        tab,
        list: list_page(list?, page),
        popular_tags: tags?.tags,
    }))
}

async fn article(
    state: web::Data<AppState>,
    rid: RequestId,
    user: PageUser,
    slug: web::Path<String>,
) -> Result {
    let rid = rid.as_str();
    let (article, comments) = tokio::join!(
        state.models.get_article(Some(rid), &slug, user.id()),
        state.models.list_comments(Some(rid), &slug, user.id()),
    );
    Ok(HttpResponse::Ok().json(ArticleView {
        viewer: user.viewer(),
        article: convert::article(article?),
        comments: comments?
            .comments
            .into_iter()
            .map(convert::comment)
            .collect(),
    }))
}

async fn profile(
    state: web::Data<AppState>,
    rid: RequestId,
    user: PageUser,
    username: web::Path<String>,
    q: web::Query<ProfileQuery>,
) -> Result {
    let ProfileQuery { tab, page } = q.into_inner();
    let query = ArticleQuery {
        author: (tab == ProfileTab::Articles).then(|| username.to_string()),
        favorited: (tab == ProfileTab::Favorites).then(|| username.to_string()),
        viewer: user.id(),
        limit: Some(PAGE_SIZE),
        offset: Some(offset_of(page)?),
        ..Default::default()
    };
    let rid = rid.as_str();
    let (profile, list) = tokio::join!(
        state.models.get_profile(Some(rid), &username, user.id()),
        state.models.list_articles(Some(rid), &query),
    );
    Ok(HttpResponse::Ok().json(ProfileView {
        viewer: user.viewer(),
        profile: convert::profile(profile?),
        tab,
        list: list_page(list?, page),
    }))
}

async fn new_article(me: CurrentUser) -> Result {
    Ok(HttpResponse::Ok().json(EditorView {
        viewer: viewer(me.user),
        article: None,
    }))
}

async fn edit_article(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    slug: web::Path<String>,
) -> Result {
    let article = state
        .models
        .get_article(Some(rid.as_str()), &slug, Some(me.id))
        .await?;
    if article.summary.author.id != me.id {
        return Err(Error::status(403, "article", "forbidden"));
    }
    Ok(HttpResponse::Ok().json(EditorView {
        viewer: viewer(me.user),
        article: Some(convert::article(article)),
    }))
}

async fn settings(me: CurrentUser) -> Result {
    Ok(HttpResponse::Ok().json(SettingsView {
        viewer: viewer(me.user),
    }))
}
