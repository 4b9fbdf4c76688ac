//! Settings (`/settings`, signed in): the user's image, name, bio, email and password, and
//! "sign out everywhere".

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use conduit_clients::ClientError;
use conduit_service::RequestId;
use conduit_wire::api::{Login, UserUpdate};
use conduit_wire::identity::canonical_email;
use conduit_wire::pages::Viewer;

use crate::WebState;
use crate::error::WebError;
use crate::forms::{Form, SignedInForm};
use crate::respond::{Answer, Page, caller, render, signed_in_redirect, to_sign_in};
use crate::session::Session;
use crate::views::{Layout, seg};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsTemplate {
    l: Layout,
    errors: Vec<String>,
    image: String,
    username: String,
    bio: String,
    email: String,
}

/// The fields the form shows.
struct Fields {
    image: String,
    username: String,
    bio: String,
    email: String,
}

impl Fields {
    /// As the user is now.
    fn of(v: &Viewer) -> Self {
        Self {
            image: v.image.clone().unwrap_or_default(),
            username: v.username.clone(),
            bio: v.bio.clone().unwrap_or_default(),
            email: v.email.clone(),
        }
    }

    /// As the form sent them.
    fn sent(form: &Form) -> Self {
        let text = |name: &str| form.get(name).trim().to_owned();
        Self {
            image: text("image"),
            username: text("username"),
            bio: text("bio"),
            email: text("email"),
        }
    }
}

fn settings_page(
    session: &Session,
    viewer: &Viewer,
    status: StatusCode,
    fields: Fields,
    errors: Vec<String>,
) -> Page {
    let page = SettingsTemplate {
        l: Layout::new("Settings", Some(viewer), "settings", &session.csrf),
        errors,
        image: fields.image,
        username: fields.username,
        bio: fields.bio,
        email: fields.email,
    };
    render(session, Some(viewer), status, &page)
}

/// `GET /settings`.
pub(super) async fn show(state: web::Data<WebState>, rid: RequestId, session: Session) -> Page {
    if session.token.is_none() {
        return Err(session.sign_in_first());
    }
    let view = state
        .experience
        .settings_page(caller(&rid, &session))
        .await
        .or_sign_in(&session)?;
    let fields = Fields::of(&view.viewer);
    settings_page(&session, &view.viewer, StatusCode::OK, fields, Vec::new())
}

/// `POST /settings`. Changing the email or the password asks for the current password,
/// checked by signing in with it (so guesses count against the sign-in limits); a new
/// password ends every other session (experience issues the one new token this session
/// gets).
pub(super) async fn save(
    state: web::Data<WebState>,
    rid: RequestId,
    SignedInForm { session, form }: SignedInForm,
) -> Page {
    let view = state
        .experience
        .settings_page(caller(&rid, &session))
        .await
        .or_sign_in(&session)?;
    let sent = Fields::sent(&form);
    let password = form.get("password");
    let sensitive =
        !password.is_empty() || canonical_email(&sent.email) != canonical_email(&view.viewer.email);
    if sensitive
        && let Err(errors) =
            check_current_password(&state, &rid, &session, &view.viewer.email, &form).await?
    {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return settings_page(&session, &view.viewer, status, sent, errors);
    }
    let optional = |v: &str| Some((!v.is_empty()).then(|| v.to_owned()));
    let update = UserUpdate {
        email: Some(Some(sent.email.clone())),
        username: Some(Some(sent.username.clone())),
        password: (!password.is_empty()).then(|| Some(password.to_owned())),
        image: optional(&sent.image),
        bio: optional(&sent.bio),
    };
    let updated = state
        .experience
        .update_user(caller(&rid, &session), update)
        .await
        .or_form_errors(&session)?;
    match updated {
        Ok(user) => {
            let to = format!("/profile/{}", seg(&user.username));
            Ok(signed_in_redirect(&session, user.token, &to))
        }
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            settings_page(&session, &view.viewer, status, sent, errors)
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
        Err(e) => Err::<(), _>(e).or_form_errors(session),
    }
}

/// `POST /settings/sign-out-everywhere`: every session of the user ends, this one too.
pub(super) async fn sign_out_everywhere(
    state: web::Data<WebState>,
    rid: RequestId,
    SignedInForm { session, .. }: SignedInForm,
) -> Page {
    state
        .experience
        .end_sessions(caller(&rid, &session))
        .await
        .or_sign_in(&session)?;
    Ok(to_sign_in(&session))
}
