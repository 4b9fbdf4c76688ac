//! An article (`/article/:slug`): its body, its comments, and the forms on it: favorite,
//! follow its author (`profile`), comment, and for its author edit and delete.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use conduit_service::RequestId;
use conduit_wire::pages::ArticleView;

use crate::WebState;
use crate::forms::{SignedInForm, local_next};
use crate::respond::{Answer, Page, caller, redirect, render};
use crate::session::Session;
use crate::views::{Layout, avatar, date, profile_href, seg};

/// The article shown.
struct ArticleViewModel {
    title: String,
    /// Sanitized HTML of the body.
    body_html: String,
    tags: Vec<String>,
    date: String,
    author: String,
    author_href: String,
    avatar: String,
    /// The viewer favorited it.
    favorited: bool,
    count: i64,
    /// The viewer follows the author.
    following: bool,
    /// The viewer is the author.
    is_author: bool,
    edit_href: String,
    delete_action: String,
    favorite_action: String,
    follow_action: String,
    comment_action: String,
}

/// A comment shown.
struct CommentView {
    /// Text (escaped by the template).
    body: String,
    author: String,
    author_href: String,
    avatar: String,
    date: String,
    /// Written by the viewer (a delete button).
    mine: bool,
    delete_action: String,
}

#[derive(Template)]
#[template(path = "article.html")]
struct ArticleTemplate {
    l: Layout,
    a: ArticleViewModel,
    comments: Vec<CommentView>,
    /// Errors of the comment form.
    errors: Vec<String>,
    /// Where forms on this page return to.
    next: String,
    /// The sign-in and sign-up links of a visitor's comment box, back here after.
    sign_in_href: String,
    sign_up_href: String,
}

impl ArticleTemplate {
    /// From the experience page answer and the body's HTML (`markdown::Renderer`).
    fn new(view: &ArticleView, csrf: &str, body_html: String, errors: Vec<String>) -> Self {
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
        let next = format!("/article/{slug}");
        // `next` is a path of escaped segments: only its `%` needs escaping in a query.
        let back = next.replace('%', "%25");
        Self {
            l: Layout::new(a.title.clone(), view.viewer.as_ref(), "", csrf),
            sign_in_href: format!("/login?next={back}"),
            sign_up_href: format!("/register?next={back}"),
            next,
            a: model,
            comments,
            errors,
        }
    }
}

/// The article page, with the comment form's `errors` (and `status`) when it was refused.
async fn article_page(
    state: &WebState,
    rid: &RequestId,
    session: &Session,
    slug: &str,
    status: StatusCode,
    errors: Vec<String>,
) -> Page {
    let view = state
        .experience
        .article_page(caller(rid, session), slug)
        .await
        .or_sign_in(session)?;
    let body = view.article.body.clone().unwrap_or_default();
    let body_html = state.markdown.render(body).await?;
    let page = ArticleTemplate::new(&view, &session.csrf, body_html, errors);
    render(session, view.viewer.as_ref(), status, &page)
}

/// `GET /article/:slug`.
pub(super) async fn show(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
) -> Page {
    article_page(&state, &rid, &session, &slug, StatusCode::OK, Vec::new()).await
}

/// `POST /article/:slug/delete` (its author).
pub(super) async fn delete(
    state: web::Data<WebState>,
    rid: RequestId,
    slug: web::Path<String>,
    SignedInForm { session, .. }: SignedInForm,
) -> Page {
    state
        .experience
        .delete_article(caller(&rid, &session), &slug)
        .await
        .or_sign_in(&session)?;
    Ok(redirect("/"))
}

/// `POST /article/:slug/comments`.
pub(super) async fn add_comment(
    state: web::Data<WebState>,
    rid: RequestId,
    slug: web::Path<String>,
    SignedInForm { session, form }: SignedInForm,
) -> Page {
    let added = state
        .experience
        .add_comment(caller(&rid, &session), &slug, form.get("body").to_owned())
        .await
        .or_form_errors(&session)?;
    match added {
        Ok(_) => Ok(redirect(&format!("/article/{}#comments", seg(&slug)))),
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            article_page(&state, &rid, &session, &slug, status, errors).await
        }
    }
}

/// `POST /article/:slug/comments/:id/delete` (its author).
pub(super) async fn delete_comment(
    state: web::Data<WebState>,
    rid: RequestId,
    path: web::Path<(String, String)>,
    SignedInForm { session, .. }: SignedInForm,
) -> Page {
    let (slug, id) = path.into_inner();
    state
        .experience
        .delete_comment(caller(&rid, &session), &slug, &id)
        .await
        .or_sign_in(&session)?;
    Ok(redirect(&format!("/article/{}#comments", seg(&slug))))
}

/// `POST /article/:slug/favorite` (`ON`) and `/unfavorite`: from the article or a list's
/// preview; back to the page the form was on (`next`).
pub(super) async fn set_favorite<const ON: bool>(
    state: web::Data<WebState>,
    rid: RequestId,
    slug: web::Path<String>,
    SignedInForm { session, form }: SignedInForm,
) -> Page {
    state
        .experience
        .set_favorite(caller(&rid, &session), &slug, ON)
        .await
        .or_sign_in(&session)?;
    let here = format!("/article/{}", seg(&slug));
    Ok(redirect(&local_next(form.get("next"), &here)))
}
