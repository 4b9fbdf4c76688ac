//! Errors of the web tier. What each one answers (a page inside the site layout, or the
//! sign-in redirect) is `crate::respond`'s: this module is a leaf that every other imports.

use actix_web::http::StatusCode;
use conduit_clients::ClientError;

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

impl From<ClientError> for WebError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Api { status: 404, .. } => Self::NotFound,
            ClientError::Api { status: 403, .. } => Self::Forbidden,
            ClientError::Api {
                status: 503 | 504,
                body,
                ..
            } => Self::Unavailable(body.summary()),
            ClientError::Timeout => Self::Unavailable("timed out".into()),
            ClientError::Api {
                status: 502, body, ..
            } => Self::Interrupted(body.summary()),
            ClientError::Unreachable(why) | ClientError::NoInstance(why) => Self::Unavailable(why),
            ClientError::Interrupted(why) => Self::Interrupted(why),
            other => Self::Internal(other.to_string()),
        }
    }
}
