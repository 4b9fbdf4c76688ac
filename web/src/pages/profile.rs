//! A profile (`/profile/:username`): the user, their articles or (`/favorites`) the articles
//! they favorited, and the follow button (also on their articles).

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use conduit_service::RequestId;
use conduit_wire::pages::{ProfileQuery, ProfileTab, ProfileView};

use super::{ListParams, past_the_last_page};
use crate::WebState;
use crate::forms::{SignedInForm, local_next};
use crate::respond::{Answer, Page, caller, redirect, render};
use crate::session::Session;
use crate::views::{Empty, Layout, ListView, Pager, avatar, profile_href};

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfileTemplate {
    l: Layout,
    username: String,
    /// Bio ("" when there is none: the paragraph is always there).
    bio: String,
    avatar: String,
    /// The viewer's own profile.
    is_me: bool,
    /// The viewer follows them.
    following: bool,
    follow_action: String,
    href: String,
    /// The Favorited Articles tab is shown.
    favorites: bool,
    list: ListView,
    /// Where forms on this page return to.
    next: String,
}

impl ProfileTemplate {
    fn new(view: &ProfileView, csrf: &str) -> Self {
        let p = &view.profile;
        let href = profile_href(&p.username);
        let favorites = view.tab == ProfileTab::Favorites;
        let pager = Pager::at(if favorites {
            format!("{href}/favorites")
        } else {
            href.clone()
        });
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
            bio: p.bio.clone().unwrap_or_default(),
            avatar: avatar(p.image.as_deref()),
            is_me,
            following: p.following,
            follow_action: format!("{href}/{verb}"),
            next: pager.href(view.list.page),
            list: ListView::new(&view.list, pager, Empty::NoArticles),
            favorites,
            href,
        }
    }
}

/// `GET /profile/:username` (`FAVORITES` false) and `/profile/:username/favorites`.
pub(super) async fn list<const FAVORITES: bool>(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    username: web::Path<String>,
    q: web::Query<ListParams>,
) -> Page {
    let tab = if FAVORITES {
        ProfileTab::Favorites
    } else {
        ProfileTab::Articles
    };
    let query = ProfileQuery { tab, page: q.page };
    profile_page(&state, &rid, &session, &username, query).await
}

async fn profile_page(
    state: &WebState,
    rid: &RequestId,
    session: &Session,
    username: &str,
    query: ProfileQuery,
) -> Page {
    let view = state
        .experience
        .profile_page(caller(rid, session), username, &query)
        .await
        .or_sign_in(session)?;
    past_the_last_page(&view.list)?;
    let page = ProfileTemplate::new(&view, &session.csrf);
    render(session, view.viewer.as_ref(), StatusCode::OK, &page)
}

/// `POST /profile/:username/follow` (`ON`) and `/unfollow`: from the profile or one of
/// their articles; back to the page the form was on (`next`).
pub(super) async fn set_follow<const ON: bool>(
    state: web::Data<WebState>,
    rid: RequestId,
    username: web::Path<String>,
    SignedInForm { session, form }: SignedInForm,
) -> Page {
    state
        .experience
        .set_follow(caller(&rid, &session), &username, ON)
        .await
        .or_sign_in(&session)?;
    let back = local_next(form.get("next"), &profile_href(&username));
    Ok(redirect(&back))
}
