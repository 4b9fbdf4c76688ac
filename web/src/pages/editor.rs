//! The editor: a new article (`/editor`) or the author's edit of one (`/editor/:slug`),
//! signed in.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use conduit_service::RequestId;
use conduit_wire::api::{Article, ArticleUpdate, NewArticle};
use conduit_wire::pages::Viewer;

use crate::WebState;
use crate::forms::{Form, SignedInForm};
use crate::respond::{Answer, Page, caller, redirect, render};
use crate::session::Session;
use crate::views::{Layout, seg};

#[derive(Template)]
#[template(path = "editor.html")]
struct EditorTemplate {
    l: Layout,
    /// Where the form posts.
    action: String,
    errors: Vec<String>,
    title: String,
    description: String,
    body: String,
    /// Tags as pills.
    tags: Vec<String>,
}

/// What the form holds.
#[derive(Debug, Default)]
struct Fields {
    title: String,
    description: String,
    body: String,
    tags: Vec<String>,
}

impl Fields {
    /// The article as it is.
    fn of(a: &Article) -> Self {
        Self {
            title: a.title.clone(),
            description: a.description.clone(),
            body: a.body.clone().unwrap_or_default(),
            tags: a.tag_list.clone(),
        }
    }

    /// As the form sent them: tags from the pills (`tag` fields) and the text input (`tags`,
    /// split on commas and spaces), once each.
    fn sent(form: &Form) -> Self {
        let mut tags: Vec<String> = form
            .all("tag")
            .iter()
            .map(|t| t.trim().to_owned())
            .collect();
        for t in form
            .get("tags")
            .split(|c: char| c == ',' || c.is_whitespace())
        {
            tags.push(t.trim().to_owned());
        }
        tags.retain(|t| !t.is_empty());
        let mut seen = std::collections::HashSet::new();
        tags.retain(|t| seen.insert(t.clone()));
        Self {
            title: form.get("title").to_owned(),
            description: form.get("description").to_owned(),
            body: form.get("body").to_owned(),
            tags,
        }
    }
}

/// The editor page for the article `slug` (or a new one).
fn editor_page(
    session: &Session,
    viewer: &Viewer,
    slug: Option<&str>,
    status: StatusCode,
    fields: Fields,
    errors: Vec<String>,
) -> Page {
    let (title, action) = match slug {
        Some(slug) => ("Edit article", format!("/editor/{}", seg(slug))),
        None => ("New article", "/editor".to_owned()),
    };
    let page = EditorTemplate {
        l: Layout::new(title, Some(viewer), "editor", &session.csrf),
        action,
        errors,
        title: fields.title,
        description: fields.description,
        body: fields.body,
        tags: fields.tags,
    };
    render(session, Some(viewer), status, &page)
}

/// `GET /editor`.
pub(super) async fn new_article(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
) -> Page {
    show(&state, &rid, &session, None).await
}

/// `GET /editor/:slug` (its author only: 403 for anyone else).
pub(super) async fn edit_article(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
) -> Page {
    show(&state, &rid, &session, Some(&slug)).await
}

async fn show(state: &WebState, rid: &RequestId, session: &Session, slug: Option<&str>) -> Page {
    if session.token.is_none() {
        return Err(session.sign_in_first());
    }
    let view = state
        .experience
        .editor_page(caller(rid, session), slug)
        .await
        .or_sign_in(session)?;
    let fields = view.article.as_ref().map(Fields::of).unwrap_or_default();
    editor_page(
        session,
        &view.viewer,
        slug,
        StatusCode::OK,
        fields,
        Vec::new(),
    )
}

/// `POST /editor`: publish.
pub(super) async fn create(state: web::Data<WebState>, rid: RequestId, form: SignedInForm) -> Page {
    save(&state, &rid, form, None).await
}

/// `POST /editor/:slug`: save the author's changes.
pub(super) async fn update(
    state: web::Data<WebState>,
    rid: RequestId,
    slug: web::Path<String>,
    form: SignedInForm,
) -> Page {
    save(&state, &rid, form, Some(&slug)).await
}

async fn save(
    state: &WebState,
    rid: &RequestId,
    SignedInForm { session, form }: SignedInForm,
    slug: Option<&str>,
) -> Page {
    let fields = Fields::sent(&form);
    let c = caller(rid, &session);
    let saved = match slug {
        None => {
            let new = NewArticle {
                title: Some(fields.title.clone()),
                description: Some(fields.description.clone()),
                body: Some(fields.body.clone()),
                tag_list: Some(Some(fields.tags.clone())),
            };
            state.experience.create_article(c, new).await
        }
        Some(slug) => {
            let update = ArticleUpdate {
                title: Some(Some(fields.title.clone())),
                description: Some(Some(fields.description.clone())),
                body: Some(Some(fields.body.clone())),
                tag_list: Some(Some(fields.tags.clone())),
            };
            state.experience.update_article(c, slug, update).await
        }
    };
    match saved.or_form_errors(&session)? {
        Ok(article) => Ok(redirect(&format!("/article/{}", seg(&article.slug)))),
        Err(errors) => {
            let view = state
                .experience
                .editor_page(c, None)
                .await
                .or_sign_in(&session)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            editor_page(&session, &view.viewer, slug, status, fields, errors)
        }
    }
}
