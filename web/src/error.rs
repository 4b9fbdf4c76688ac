//! Errors of the web tier, answered as pages inside the site layout.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use conduit_clients::ClientError;

use crate::session::cleared_session;
use crate::views::Layout;

/// Seconds a 503 page asks the visitor (and crawlers) to wait before trying again.
pub const RETRY_AFTER_SECS: u32 = 5;

/// What a page handler can answer besides a page or a redirect.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// 404 page.
    #[error("not found")]
    NotFound,
    /// 403 page (another user's article).
    #[error("forbidden")]
    Forbidden,
    /// 403 page: the form's CSRF token is missing or wrong.
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// 503 page: experience cannot serve now.
    #[error("experience unavailable: {0}")]
    Unavailable(String),
    /// 502 page: the request failed while being answered; a change may have been saved.
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// 500 page: a bug; the cause is logged only.
    #[error("internal error: {0}")]
    Internal(String),
    /// 413, 408 or 400 page: a form body too large, too slow to arrive, or unreadable.
    #[error("form body: {0}")]
    Body(StatusCode),
    /// 303 to the sign-in page: the page needs a signed-in user (`Session::sign_in_first`).
    /// `forget: Some(secure)` clears the session cookie (of that name) whose token stopped
    /// working.
    #[error("sign in first")]
    SignIn {
        /// Clear the session cookie: `Some(came over HTTPS)`.
        forget: Option<bool>,
    },
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    message: &'static str,
}

impl From<ClientError> for WebError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Api { status: 404, .. } => Self::NotFound,
            ClientError::Api { status: 403, .. } => Self::Forbidden,
            ClientError::Api {
                status: 503 | 504,
                body,
            } => Self::Unavailable(body.summary()),
            ClientError::Timeout => Self::Unavailable("timed out".into()),
            ClientError::Api { status: 502, body } => Self::Interrupted(body.summary()),
            ClientError::Unreachable(why) | ClientError::NoInstance(why) => Self::Unavailable(why),
            ClientError::Interrupted(why) => Self::Interrupted(why),
            other => Self::Internal(other.to_string()),
        }
    }
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
            Self::SignIn { forget } => return to_sign_in(*forget),
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
                (
                    "Temporarily unavailable",
                    "The site is having trouble right now. Please try again in a moment.",
                )
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
fn to_sign_in(forget: Option<bool>) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    res.insert_header(("Location", "/login"));
    if let Some(secure) = forget {
        res.cookie(cleared_session(secure));
    }
    res.finish()
}
