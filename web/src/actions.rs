//! The POST forms: check the CSRF token, make one write through the public API, then
//! redirect (POST, redirect, GET). A rejected form comes back on its page with the errors in
//! `ul.error-messages` and what the user typed (never the password).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use conduit_clients::ClientError;
use conduit_service::RequestId;
use conduit_wire::ErrorBody;
use conduit_wire::api::{ArticleUpdate, Login, NewArticle, NewUser, UserUpdate};
use conduit_wire::identity::canonical_email;

use crate::WebState;
use crate::error::FormBody;
use crate::error::WebError;
use crate::pages::{AuthForm, Page, auth_page, caller, redirect, render, to_login};
use crate::session::{Form, Session, cleared_session, local_next, session_cookie};
use crate::views::{ArticleTemplate, EditorTemplate, Layout, SettingsTemplate, seg};

/// "email can't be blank"-style lines from an errors body.
fn messages(body: &ErrorBody) -> Vec<String> {
    body.errors
        .iter()
        .flat_map(|(k, msgs)| msgs.iter().map(move |m| format!("{k} {m}")))
        .collect()
}

/// The form errors of a rejected write, or the error page for anything else.
fn form_errors(e: ClientError) -> Result<Vec<String>, WebError> {
    match e {
        ClientError::Api { status: 401, body } if body.errors.contains_key("credentials") => {
            Ok(vec!["email or password is invalid".to_owned()])
        }
        ClientError::Api { status: 429, .. } => Ok(vec![
            "too many failed sign-in attempts; wait a minute and try again".to_owned(),
        ]),
        ClientError::Api {
            status: 409 | 422,
            body,
        } => Ok(messages(&body)),
        other => Err(other.into()),
    }
}

fn signed_in_redirect(session: &Session, token: String, to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .cookie(session_cookie(token, session.secure))
        .finish()
}

pub async fn login(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    body: FormBody,
) -> Page {
    let form = Form::parse(&body);
    session.check_csrf(&form)?;
    let email = form.get("email").trim().to_owned();
    let login = Login {
        email: Some(email.clone()),
        password: Some(form.get("password").to_owned()),
    };
    match state.experience.login(caller(&rid, &session), login).await {
        Ok(user) => {
            let next = local_next(form.get("next"), "/");
            Ok(signed_in_redirect(&session, user.token, &next))
        }
        Err(e) => {
            let form = AuthForm {
                errors: form_errors(e)?,
                email,
                next: local_next(form.get("next"), ""),
                ..AuthForm::default()
            };
            auth_page(&session, false, StatusCode::UNPROCESSABLE_ENTITY, form)
        }
    }
}

pub async fn register(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    body: FormBody,
) -> Page {
    let form = Form::parse(&body);
    session.check_csrf(&form)?;
    let username = form.get("username").trim().to_owned();
    let email = form.get("email").trim().to_owned();
    let new = NewUser {
        username: Some(username.clone()),
        email: Some(email.clone()),
        password: Some(form.get("password").to_owned()),
    };
    match state.experience.register(caller(&rid, &session), new).await {
        Ok(user) => Ok(signed_in_redirect(&session, user.token, "/")),
        Err(e) => {
            let form = AuthForm {
                errors: form_errors(e)?,
                username,
                email,
                next: String::new(),
            };
            auth_page(&session, true, StatusCode::UNPROCESSABLE_ENTITY, form)
        }
    }
}

pub async fn logout(session: Session, body: FormBody) -> Page {
    session.check_csrf(&Form::parse(&body))?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .cookie(cleared_session(session.secure))
        .finish())
}

/// Settings. Changing the email or the password asks for the current password, checked by
/// signing in with it (so guesses count against the sign-in limits); a new password ends
/// every other session (experience issues the one new token this session gets).
pub async fn settings(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    body: FormBody,
) -> Page {
    let form = Form::parse(&body);
    session.check_csrf(&form)?;
    if session.token.is_none() {
        return Ok(to_login(&session));
    }
    let text = |name: &str| form.get(name).trim().to_owned();
    let optional = |name: &str| {
        let v = text(name);
        Some((!v.is_empty()).then_some(v))
    };
    let view = match state.experience.settings_page(caller(&rid, &session)).await {
        Ok(view) => view,
        Err(ClientError::Api { status: 401, .. }) => return Ok(to_login(&session)),
        Err(e) => return Err(e.into()),
    };
    let password = form.get("password");
    let email = text("email");
    let sensitive =
        !password.is_empty() || canonical_email(&email) != canonical_email(&view.viewer.email);
    let checked = if sensitive {
        check_current_password(&state, &rid, &session, &view.viewer.email, &form).await?
    } else {
        Ok(())
    };
    let result = match checked {
        Err(errors) => Err(errors),
        Ok(()) => {
            let update = UserUpdate {
                email: Some(Some(email)),
                username: Some(Some(text("username"))),
                password: (!password.is_empty()).then(|| Some(password.to_owned())),
                image: optional("image"),
                bio: optional("bio"),
            };
            match state
                .experience
                .update_user(caller(&rid, &session), update)
                .await
            {
                Ok(user) => Ok(user),
                Err(ClientError::Api { status: 401, .. }) => {
                    return Ok(to_login(&session));
                }
                Err(e) => Err(form_errors(e)?),
            }
        }
    };
    match result {
        Ok(user) => {
            let to = format!("/profile/{}", seg(&user.username));
            Ok(signed_in_redirect(&session, user.token, &to))
        }
        Err(errors) => {
            let page = SettingsTemplate {
                l: Layout::new("Settings", Some(&view.viewer), "settings", &session.csrf),
                errors,
                image: text("image"),
                username: text("username"),
                bio: text("bio"),
                email: text("email"),
            };
            render(
                &session,
                Some(&view.viewer),
                StatusCode::UNPROCESSABLE_ENTITY,
                &page,
            )
        }
    }
}

/// The form's `current_password` is the password of `email`: `Ok(Err(form errors))` when it
/// is missing, wrong, or when too many attempts were made.
async fn check_current_password(
    state: &WebState,
    rid: &RequestId,
    session: &Session,
    email: &str,
    form: &Form,
) -> Result<Result<(), Vec<String>>, WebError> {
    let current = form.get("current_password");
    if current.is_empty() {
        return Ok(Err(vec![
            "current password is needed to change the email or the password".to_owned(),
        ]));
    }
    let login = Login {
        email: Some(email.to_owned()),
        password: Some(current.to_owned()),
    };
    match state.experience.login(caller(rid, session), login).await {
        Ok(_) => Ok(Ok(())),
        Err(ClientError::Api { status: 401, .. }) => {
            Ok(Err(vec!["current password is wrong".to_owned()]))
        }
        Err(e) => form_errors(e).map(Err),
    }
}

/// "Sign out everywhere": every session of the user ends, this one too.
pub async fn sign_out_everywhere(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    body: FormBody,
) -> Page {
    session.check_csrf(&Form::parse(&body))?;
    if session.token.is_none() {
        return Ok(to_login(&session));
    }
    match state.experience.end_sessions(caller(&rid, &session)).await {
        Ok(()) | Err(ClientError::Api { status: 401, .. }) => Ok(to_login(&session)),
        Err(e) => Err(e.into()),
    }
}

/// Tags from the pills (`tag` fields) and the text input (`tags`, split on commas/spaces).
fn tags(form: &Form) -> Vec<String> {
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
    tags
}

pub async fn create_article(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    body: FormBody,
) -> Page {
    save_article(&state, &rid, &session, None, body).await
}

pub async fn update_article(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
    body: FormBody,
) -> Page {
    save_article(&state, &rid, &session, Some(&slug), body).await
}

async fn save_article(
    state: &WebState,
    rid: &RequestId,
    session: &Session,
    slug: Option<&str>,
    body: FormBody,
) -> Page {
    let form = Form::parse(&body);
    session.check_csrf(&form)?;
    if session.token.is_none() {
        return Ok(to_login(session));
    }
    let (title, description, text, tags) = (
        form.get("title").to_owned(),
        form.get("description").to_owned(),
        form.get("body").to_owned(),
        tags(&form),
    );
    let c = caller(rid, session);
    let saved = match slug {
        None => {
            let new = NewArticle {
                title: Some(title.clone()),
                description: Some(description.clone()),
                body: Some(text.clone()),
                tag_list: Some(Some(tags.clone())),
            };
            state.experience.create_article(c, new).await
        }
        Some(slug) => {
            let update = ArticleUpdate {
                title: Some(Some(title.clone())),
                description: Some(Some(description.clone())),
                body: Some(Some(text.clone())),
                tag_list: Some(Some(tags.clone())),
            };
            state.experience.update_article(c, slug, update).await
        }
    };
    match saved {
        Ok(article) => Ok(redirect(&format!("/article/{}", seg(&article.slug)))),
        Err(ClientError::Api { status: 401, .. }) => Ok(to_login(session)),
        Err(e) => {
            let errors = form_errors(e)?;
            let view = state.experience.editor_page(c, None).await?;
            let page = EditorTemplate {
                l: Layout::new("Editor", Some(&view.viewer), "editor", &session.csrf),
                action: slug
                    .map_or_else(|| "/editor".to_owned(), |s| format!("/editor/{}", seg(s))),
                errors,
                title,
                description,
                body: text,
                tags,
            };
            render(
                session,
                Some(&view.viewer),
                StatusCode::UNPROCESSABLE_ENTITY,
                &page,
            )
        }
    }
}

pub async fn delete_article(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
    body: FormBody,
) -> Page {
    session.check_csrf(&Form::parse(&body))?;
    if session.token.is_none() {
        return Ok(to_login(&session));
    }
    match state
        .experience
        .delete_article(caller(&rid, &session), &slug)
        .await
    {
        Ok(()) => Ok(redirect("/")),
        Err(ClientError::Api { status: 401, .. }) => Ok(to_login(&session)),
        Err(e) => Err(e.into()),
    }
}

pub async fn add_comment(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
    body: FormBody,
) -> Page {
    let form = Form::parse(&body);
    session.check_csrf(&form)?;
    if session.token.is_none() {
        return Ok(to_login(&session));
    }
    let c = caller(&rid, &session);
    match state
        .experience
        .add_comment(c, &slug, form.get("body").to_owned())
        .await
    {
        Ok(_) => Ok(redirect(&format!("/article/{}#comments", seg(&slug)))),
        Err(ClientError::Api { status: 401, .. }) => Ok(to_login(&session)),
        Err(e) => {
            let errors = form_errors(e)?;
            let view = state.experience.article_page(c, &slug).await?;
            let body = view.article.body.clone().unwrap_or_default();
            let body_html = state.markdown.render(body).await?;
            let mut page = ArticleTemplate::new(&view, &session.csrf, body_html);
            page.errors = errors;
            render(
                &session,
                view.viewer.as_ref(),
                StatusCode::UNPROCESSABLE_ENTITY,
                &page,
            )
        }
    }
}

pub async fn delete_comment(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    path: web::Path<(String, String)>,
    body: FormBody,
) -> Page {
    session.check_csrf(&Form::parse(&body))?;
    if session.token.is_none() {
        return Ok(to_login(&session));
    }
    let (slug, id) = path.into_inner();
    match state
        .experience
        .delete_comment(caller(&rid, &session), &slug, &id)
        .await
    {
        Ok(()) => Ok(redirect(&format!("/article/{}#comments", seg(&slug)))),
        Err(ClientError::Api { status: 401, .. }) => Ok(to_login(&session)),
        Err(e) => Err(e.into()),
    }
}

/// A favorite or follow switch.
enum Toggle<'a> {
    Favorite(&'a str),
    Follow(&'a str),
}

/// Turns a favorite or follow on or off, then goes back to the page the form was on.
async fn toggle(
    state: &WebState,
    rid: &RequestId,
    session: &Session,
    body: &[u8],
    what: Toggle<'_>,
    on: bool,
) -> Page {
    let form = Form::parse(body);
    session.check_csrf(&form)?;
    if session.token.is_none() {
        return Ok(to_login(session));
    }
    let c = caller(rid, session);
    let (done, fallback) = match what {
        Toggle::Favorite(slug) => (
            state.experience.set_favorite(c, slug, on).await,
            format!("/article/{}", seg(slug)),
        ),
        Toggle::Follow(username) => (
            state.experience.set_follow(c, username, on).await,
            format!("/profile/{}", seg(username)),
        ),
    };
    match done {
        Ok(()) => Ok(redirect(&local_next(form.get("next"), &fallback))),
        Err(ClientError::Api { status: 401, .. }) => Ok(to_login(session)),
        Err(e) => Err(e.into()),
    }
}

pub async fn favorite(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
    body: FormBody,
) -> Page {
    toggle(&state, &rid, &session, &body, Toggle::Favorite(&slug), true).await
}

pub async fn unfavorite(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
    body: FormBody,
) -> Page {
    toggle(
        &state,
        &rid,
        &session,
        &body,
        Toggle::Favorite(&slug),
        false,
    )
    .await
}

pub async fn follow(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    username: web::Path<String>,
    body: FormBody,
) -> Page {
    toggle(
        &state,
        &rid,
        &session,
        &body,
        Toggle::Follow(&username),
        true,
    )
    .await
}

pub async fn unfollow(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    username: web::Path<String>,
    body: FormBody,
) -> Page {
    toggle(
        &state,
        &rid,
        &session,
        &body,
        Toggle::Follow(&username),
        false,
    )
    .await
}
