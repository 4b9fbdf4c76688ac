//! The experience tier's one error type, answering the exact RealWorld error bodies.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use conduit_clients::ClientError;
use conduit_wire::ErrorBody;

/// Everything an `/api` handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 401 `{"token": ["is missing"]}`.
    #[error("token is missing")]
    TokenMissing,
    /// 401 `{"token": ["is invalid"]}`.
    #[error("token is invalid")]
    TokenInvalid,
    /// 401 `{"credentials": ["invalid"]}`.
    #[error("invalid credentials")]
    BadCredentials,
    /// 429 with `Retry-After`.
    #[error("too many failed logins, retry in {0} s")]
    TooManyAttempts(u64),
    /// 429 with `Retry-After`: the address has made its hour's allowance of accounts.
    #[error("too many sign-ups from this address, retry in {0} s")]
    TooManySignUps(u64),
    /// 422 with field messages.
    #[error("invalid input: {}", .0.summary())]
    Invalid(ErrorBody),
    /// Any other status with its body, as the models tier answered it (404, 403, 409...).
    #[error("{status}: {}", body.summary())]
    Status {
        /// HTTP status.
        status: u16,
        /// Errors body.
        body: ErrorBody,
    },
    /// 503 with `Retry-After: 1`: every password-hashing slot is taken and the queue full.
    #[error("password hashing is busy")]
    Busy,
    /// 503: models (or its database) cannot serve now.
    #[error("models unavailable: {0}")]
    Unavailable(String),
    /// 504: models did not answer in time.
    #[error("models timed out")]
    Timeout,
    /// 502: models failed while answering; a write may or may not have been made.
    #[error("models interrupted: {0}")]
    Interrupted(String),
    /// 500: a bug; the cause is logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// 422 with one message about one field.
    pub fn invalid(field: &str, message: &str) -> Self {
        Self::Invalid(ErrorBody::new(field, message))
    }

    /// A status and one message about one key.
    pub fn status(status: u16, key: &str, message: &str) -> Self {
        Self::Status {
            status,
            body: ErrorBody::new(key, message),
        }
    }
}

impl From<ClientError> for Error {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Api {
                status: 503, body, ..
            } => Self::Unavailable(body.summary()),
            ClientError::Api {
                status: 502, body, ..
            } => Self::Interrupted(body.summary()),
            ClientError::Api {
                status: 422, body, ..
            } => Self::Invalid(body),
            ClientError::Api { status, body, .. } if (400..500).contains(&status) => {
                Self::Status { status, body }
            }
            ClientError::Api { status, body, .. } => {
                Self::Internal(format!("models answered {status}: {}", body.summary()))
            }
            ClientError::Timeout => Self::Timeout,
            ClientError::Unreachable(why) | ClientError::NoInstance(why) => Self::Unavailable(why),
            ClientError::Interrupted(why) => Self::Interrupted(why),
            ClientError::Protocol(why) => Self::Internal(why),
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::TokenMissing | Self::TokenInvalid | Self::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Self::TooManyAttempts(_) | Self::TooManySignUps(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Status { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
            }
            Self::Unavailable(_) | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Interrupted(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            Self::TokenMissing => ErrorBody::new("token", "is missing"),
            Self::TokenInvalid => ErrorBody::new("token", "is invalid"),
            Self::BadCredentials => ErrorBody::new("credentials", "invalid"),
            Self::TooManyAttempts(_) => {
                ErrorBody::new("credentials", "too many failed attempts, try again later")
            }
            Self::TooManySignUps(_) => ErrorBody::new(
                "user",
                "too many accounts made from this address, try again later",
            ),
            Self::Invalid(body) | Self::Status { body, .. } => body.clone(),
            Self::Busy => ErrorBody::new("service", "is busy, try again shortly"),
            Self::Unavailable(cause) => {
                tracing::warn!(%cause, "models unavailable");
                ErrorBody::new("service", "is unavailable, try again shortly")
            }
            Self::Timeout => {
                tracing::warn!("models timed out");
                ErrorBody::new("service", "timed out, try again shortly")
            }
            Self::Interrupted(cause) => {
                tracing::warn!(%cause, "models interrupted");
                ErrorBody::new(
                    "service",
                    "failed while answering: the change may have been made, check before retrying",
                )
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ErrorBody::new("server", "internal error")
            }
        };
        let mut res = HttpResponse::build(self.status_code()).json(body);
        let retry_after = match self {
            Self::TooManyAttempts(secs) | Self::TooManySignUps(secs) => Some(*secs),
            Self::Busy => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(RETRY_AFTER, v);
        }
        res
    }
}
