//! How every page handler answers: a rendered page, a redirect, the sign-in page, or the
//! form again with its errors. One policy for what the experience tier's errors mean to a
//! page: 401 is "sign in" (the session's token stopped working); 409, 422, 429 and a busy
//! 503 (with `Retry-After`) on a write are form errors, each refusal in its own words with
//! its wait; 404, 403 and outages are error pages (`WebError`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use conduit_clients::{Caller, ClientError};
use conduit_service::RequestId;
use conduit_wire::ErrorBody;
use conduit_wire::pages::Viewer;

use crate::error::WebError;
use crate::session::{Session, cleared_session, session_cookie};
use crate::views::Layout;

/// Seconds a 503 page asks the visitor (and crawlers) to wait before trying again.
const RETRY_AFTER_SECS: u32 = 5;

/// The 503 page's words, with the wait its `Retry-After` gives (a unit test keeps the two
/// together).
const UNAVAILABLE: &str = "The site is having trouble right now. Please try again in 5 seconds.";

/// What a page handler answers.
pub(crate) type Page = Result<HttpResponse, WebError>;

/// The caller of an experience call for this request.
pub(crate) fn caller<'a>(rid: &'a RequestId, session: &'a Session) -> Caller<'a> {
    Caller {
        rid: Some(rid.as_str()),
        token: session.token.as_deref(),
        client_addr: Some(&session.client_addr),
    }
}

/// A rendered page; a session whose token no longer works (no viewer came back) is
/// cleared. Pages of a signed-in user are never stored by caches. A visitor's pages carry no
/// form that needs the CSRF token (their buttons lead to the sign-in page), so they set no
/// cookie and one stored copy serves every visitor.
pub(crate) fn render(
    session: &Session,
    viewer: Option<&Viewer>,
    status: StatusCode,
    page: &impl Template,
) -> Page {
    respond(session, viewer, status, page, viewer.is_some())
}

/// A page with a form for a visitor (sign in, sign up): sets the CSRF cookie when the
/// visitor has none yet.
pub(crate) fn render_visitor_form(
    session: &Session,
    status: StatusCode,
    page: &impl Template,
) -> Page {
    respond(session, None, status, page, true)
}

fn respond(
    session: &Session,
    viewer: Option<&Viewer>,
    status: StatusCode,
    page: &impl Template,
    forms: bool,
) -> Page {
    let html = page
        .render()
        .map_err(|e| WebError::Internal(format!("template: {e}")))?;
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    if forms {
        for c in session.new_cookies() {
            res.cookie(c);
        }
    }
    if session.token.is_some() && viewer.is_none() {
        res.cookie(cleared_session(session.secure));
    }
    if viewer.is_some() {
        res.insert_header(("Cache-Control", "private, no-store"));
    }
    Ok(res.body(html))
}

/// 303 to `to`.
pub(crate) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

/// 303 to the sign-in page, forgetting a token that stopped working (as
/// [`Session::sign_in_first`] answers where a page needs a signed-in user).
pub(crate) fn to_sign_in(session: &Session) -> HttpResponse {
    session.sign_in_first().error_response()
}

/// 303 to `to`, signed in with `token` (sign in, sign up, a new password).
pub(crate) fn signed_in_redirect(session: &Session, token: String, to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .cookie(session_cookie(token, session.secure))
        .finish()
}

/// What an experience call's error means to a page.
pub(crate) trait Answer<T> {
    /// A read or a write whose only failure shown is a page: 401 sends the visitor to sign
    /// in, the rest are error pages.
    fn or_sign_in(self, session: &Session) -> Result<T, WebError>;

    /// A form's write: `Ok(Err(lines))` when it was refused for what the form holds (409,
    /// 422, 429, wrong credentials), to show above the form.
    fn or_form_errors(self, session: &Session) -> Result<Result<T, Vec<String>>, WebError>;
}

impl<T> Answer<T> for Result<T, ClientError> {
    fn or_sign_in(self, session: &Session) -> Result<T, WebError> {
        self.map_err(|e| match e {
            ClientError::Api { status: 401, .. } => session.sign_in_first(),
            other => other.into(),
        })
    }

    fn or_form_errors(self, session: &Session) -> Result<Result<T, Vec<String>>, WebError> {
        match self {
            Ok(v) => Ok(Ok(v)),
            Err(ClientError::Api {
                status: 401, body, ..
            }) if body.errors.contains_key("credentials") => {
                Ok(Err(vec!["email or password is invalid".to_owned()]))
            }
            Err(ClientError::Api {
                status: 429,
                body,
                retry_after,
            }) => Ok(Err(vec![refusal(&body, retry_after)])),
            // Every password-hashing slot taken and the queue full: the form again, with when
            // to send it (a 503 without Retry-After is an outage: the error page).
            Err(ClientError::Api {
                status: 503,
                body,
                retry_after: Some(secs),
            }) if body.errors.contains_key("service") => Ok(Err(vec![format!(
                "the site is busy checking other passwords; try again in {}",
                wait(secs)
            )])),
            Err(ClientError::Api {
                status: 409 | 422,
                body,
                ..
            }) => Ok(Err(messages(&body))),
            Err(e) => Err(e).or_sign_in(session),
        }
    }
}

/// What a 429 refused, in the visitor's words, with the wait experience gave: the sign-up
/// limit (`user`: accounts made from one address) or the sign-in limit (`credentials`).
fn refusal(body: &ErrorBody, retry_after: Option<u64>) -> String {
    let when = retry_after.map_or_else(|| "later".to_owned(), |secs| format!("in {}", wait(secs)));
    if body.errors.contains_key("user") {
        format!("too many accounts were made from your address; try again {when}")
    } else {
        format!("too many sign-in attempts; try again {when}")
    }
}

/// `secs` for people: seconds under two minutes, else minutes (rounded up).
fn wait(secs: u64) -> String {
    match secs {
        0 | 1 => "a second".to_owned(),
        2..=119 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// "email can't be blank"-style lines from an errors body.
fn messages(body: &ErrorBody) -> Vec<String> {
    body.errors
        .iter()
        .flat_map(|(k, msgs)| msgs.iter().map(move |m| format!("{k} {m}")))
        .collect()
}

/// The error page, inside the site layout.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    message: &'static str,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Interrupted(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Body(status) => *status,
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match self {
            Self::SignIn { forget } => return sign_in_redirect(*forget),
            Self::NotFound => (
                "Page not found",
                "There is nothing here. It may have been deleted.",
            ),
            Self::Forbidden => ("Not allowed", "Only the author can do that."),
            Self::Csrf => (
                "Form expired",
                "This form could not be checked. Go back, reload the page and try again.",
            ),
            Self::Unavailable(cause) => {
                tracing::warn!(%cause, "experience unavailable");
                ("Temporarily unavailable", UNAVAILABLE)
            }
            Self::Interrupted(cause) => {
                tracing::warn!(%cause, "interrupted");
                (
                    "Interrupted",
                    "Something failed while your request was answered. If you were saving a change, check whether it was saved before trying again.",
                )
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ("Something went wrong", "Please try again.")
            }
            Self::Body(status) if *status == StatusCode::PAYLOAD_TOO_LARGE => (
                "Too large",
                "What you sent is larger than this site accepts. Shorten it and try again.",
            ),
            Self::Body(status) if *status == StatusCode::REQUEST_TIMEOUT => (
                "Too slow",
                "What you sent took too long to arrive. Please try again.",
            ),
            Self::Body(_) => ("Bad request", "What you sent could not be read."),
        };
        let page = ErrorPage {
            l: Layout::anonymous(title),
            status: self.status_code().as_u16(),
            message,
        };
        let body = page.render().unwrap_or_else(|e| format!("{title}: {e}"));
        let mut response = HttpResponse::build(self.status_code());
        response
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"));
        if matches!(self, Self::Unavailable(_)) {
            // An outage is short (HAProxy's checks, pools reconnecting): ask to come back soon.
            response.insert_header(("Retry-After", RETRY_AFTER_SECS.to_string()));
        }
        response.body(body)
    }
}

/// 303 to the sign-in page, clearing the session cookie when `forget` says which.
fn sign_in_redirect(forget: Option<bool>) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    res.insert_header(("Location", "/login"));
    if let Some(secure) = forget {
        res.cookie(cleared_session(secure));
    }
    res.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_which_limit_and_how_long_to_wait() {
        let signups = ErrorBody::new("user", "too many accounts made from this address");
        let signins = ErrorBody::new("credentials", "too many failed attempts");
        assert_eq!(
            refusal(&signups, Some(1800)),
            "too many accounts were made from your address; try again in 30 minutes"
        );
        assert_eq!(
            refusal(&signins, Some(42)),
            "too many sign-in attempts; try again in 42 seconds"
        );
        assert_eq!(
            refusal(&signins, None),
            "too many sign-in attempts; try again later"
        );
        assert_eq!(wait(1), "a second");
        assert!(UNAVAILABLE.contains(&format!("in {RETRY_AFTER_SECS} seconds")));
        assert_eq!(wait(121), "3 minutes");
    }
}
