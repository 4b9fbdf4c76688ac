//! Home: the Global Feed (`/`), Your Feed (`/?feed=following`), a tag's articles
//! (`/tag/:tag`), each with pagination and the Popular Tags sidebar.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use conduit_service::RequestId;
use conduit_wire::pages::{HomePage, HomeQuery, HomeTab};

use super::{ListParams, past_the_last_page};
use crate::WebState;
use crate::respond::{Answer, Page, caller, render};
use crate::session::Session;
use crate::views::{Empty, Layout, ListView, Pager, seg};

/// A tag in the sidebar.
struct TagLink {
    name: String,
    href: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    l: Layout,
    /// "global", "feed" or "tag".
    tab: &'static str,
    /// The tag of the tag tab.
    tag: Option<String>,
    tag_href: String,
    list: ListView,
    popular_tags: Vec<TagLink>,
    /// Where forms on this page return to.
    next: String,
}

/// `/` and `/?feed=following` (signed in only).
pub(super) async fn global_or_feed(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    q: web::Query<HomeQuery>,
) -> Page {
    let HomeQuery { tab, page } = q.into_inner();
    let tab = match tab {
        HomeTab::Feed if session.token.is_none() => return Err(session.sign_in_first()),
        HomeTab::Feed => HomeTab::Feed,
        // A tag's list is `/tag/:tag`.
        HomeTab::Global | HomeTab::Tag(_) => HomeTab::Global,
    };
    list(&state, &rid, &session, HomeQuery { tab, page }).await
}

/// `/tag/:tag`.
pub(super) async fn tag(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    tag: web::Path<String>,
    q: web::Query<ListParams>,
) -> Page {
    let query = HomeQuery {
        tab: HomeTab::Tag(tag.into_inner()),
        page: q.page,
    };
    list(&state, &rid, &session, query).await
}

async fn list(state: &WebState, rid: &RequestId, session: &Session, query: HomeQuery) -> Page {
    let view: HomePage = state
        .experience
        .home(caller(rid, session), &query)
        .await
        .or_sign_in(session)?;
    past_the_last_page(&view.list)?;
    let (tab, tag, pager, title) = match &view.tab {
        HomeTab::Global => ("global", None, Pager::at("/"), "Home".to_owned()),
        HomeTab::Feed => (
            "feed",
            None,
            Pager {
                path: "/".to_owned(),
                keep: vec![("feed", "following")],
            },
            "Your Feed".to_owned(),
        ),
        HomeTab::Tag(t) => {
            let href = format!("/tag/{}", seg(t));
            let title = format!("Articles tagged {t}");
            ("tag", Some(t.clone()), Pager::at(href), title)
        }
    };
    let empty = if tab == "feed" {
        Empty::Feed
    } else {
        Empty::NoArticles
    };
    let page = HomeTemplate {
        l: Layout::new(title, view.viewer.as_ref(), "home", &session.csrf),
        tab,
        tag,
        tag_href: pager.path.clone(),
        next: pager.href(view.list.page),
        list: ListView::new(&view.list, pager, empty),
        popular_tags: view
            .popular_tags
            .iter()
            .map(|t| TagLink {
                name: t.clone(),
                href: format!("/tag/{}", seg(t)),
            })
            .collect(),
    };
    render(session, view.viewer.as_ref(), StatusCode::OK, &page)
}
