//! Sign in (`/login`), sign up (`/register`), sign out (`POST /logout`). Both forms take
//! `?next=` (a local path) and go back there once signed in: an article's "Sign in or sign
//! up to add comments" leads back to the article.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use conduit_service::RequestId;
use conduit_wire::api::{Login, NewUser, User};

use crate::WebState;
use crate::forms::{CheckedForm, Form, local_next};
use crate::respond::{Answer, Page, caller, render_visitor_form, signed_in_redirect};
use crate::session::{Session, cleared_session};
use crate::views::Layout;

#[derive(Template)]
#[template(path = "auth.html")]
struct AuthTemplate {
    l: Layout,
    /// Sign up (else sign in).
    register: bool,
    errors: Vec<String>,
    username: String,
    email: String,
    /// Where to go once signed in ("" for home).
    next: String,
    /// `next` as a query (`?next=...`) for the link to the other form, or "".
    next_query: String,
}

/// What the sign-in and sign-up forms show.
#[derive(Debug, Default)]
struct AuthForm {
    errors: Vec<String>,
    username: String,
    email: String,
    next: String,
}

fn auth_page(session: &Session, register: bool, status: StatusCode, form: AuthForm) -> Page {
    let (title, active) = if register {
        ("Sign up", "register")
    } else {
        ("Sign in", "login")
    };
    let next_query = if form.next.is_empty() {
        String::new()
    } else {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("next", &form.next);
        format!("?{}", q.finish())
    };
    // Shown signed out: a session cookie sent here is dropped (`respond`), so the form's
    // token is the signed-out one.
    let page = AuthTemplate {
        l: Layout::new(title, None, active, &session.signed_out_csrf()),
        register,
        errors: form.errors,
        username: form.username,
        email: form.email,
        next: form.next,
        next_query,
    };
    render_visitor_form(session, status, &page)
}

/// `?next=`: where to go once signed in (a local path).
#[derive(Debug, serde::Deserialize)]
pub(super) struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `GET /login`.
pub(super) async fn sign_in_page(session: Session, q: web::Query<NextQuery>) -> Page {
    let form = AuthForm {
        next: local_next(&q.next, ""),
        ..AuthForm::default()
    };
    auth_page(&session, false, StatusCode::OK, form)
}

/// `GET /register`.
pub(super) async fn sign_up_page(session: Session, q: web::Query<NextQuery>) -> Page {
    let form = AuthForm {
        next: local_next(&q.next, ""),
        ..AuthForm::default()
    };
    auth_page(&session, true, StatusCode::OK, form)
}

/// `POST /login`.
pub(super) async fn sign_in(
    state: web::Data<WebState>,
    rid: RequestId,
    CheckedForm { session, form }: CheckedForm,
) -> Page {
    let login = Login {
        email: Some(form.get("email").trim().to_owned()),
        password: Some(form.get("password").to_owned()),
    };
    let signed_in = state
        .experience
        .login(caller(&rid, &session), login)
        .await
        .or_form_errors(&session)?;
    signed_in_or_again(&session, false, signed_in, &form)
}

/// `POST /register`.
pub(super) async fn sign_up(
    state: web::Data<WebState>,
    rid: RequestId,
    CheckedForm { session, form }: CheckedForm,
) -> Page {
    let new = NewUser {
        username: Some(form.get("username").trim().to_owned()),
        email: Some(form.get("email").trim().to_owned()),
        password: Some(form.get("password").to_owned()),
    };
    let registered = state
        .experience
        .register(caller(&rid, &session), new)
        .await
        .or_form_errors(&session)?;
    signed_in_or_again(&session, true, registered, &form)
}

/// Signed in: on to the form's `next` (home by default). Refused: the form again, with the
/// errors and what was typed (never the password).
fn signed_in_or_again(
    session: &Session,
    register: bool,
    outcome: Result<User, Vec<String>>,
    form: &Form,
) -> Page {
    match outcome {
        Ok(user) => {
            let next = local_next(form.get("next"), "/");
            Ok(signed_in_redirect(session, user.token, &next))
        }
        Err(errors) => {
            let again = AuthForm {
                errors,
                username: if register {
                    form.get("username").trim().to_owned()
                } else {
                    String::new()
                },
                email: form.get("email").trim().to_owned(),
                next: local_next(form.get("next"), ""),
            };
            auth_page(session, register, StatusCode::UNPROCESSABLE_ENTITY, again)
        }
    }
}

/// `POST /logout`: the session ends here (its token stays valid until it expires, or until
/// "sign out everywhere").
pub(super) async fn sign_out(CheckedForm { session, .. }: CheckedForm) -> Page {
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .cookie(cleared_session(session.secure))
        .finish())
}
