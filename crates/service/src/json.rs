//! JSON answers for actix's own extractor errors, which are plain text by default.
//!
//! Bodies over the limit get 413, bodies that arrive too slowly 408; malformed JSON, wrong types, bad query strings or paths get
//! 422; all with the `{"errors": {...}}` body.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use conduit_wire::ErrorBody;

use crate::request::is_body_timeout;

/// An error that is already a status and an errors body.
#[derive(Debug)]
pub struct JsonError {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
}

impl JsonError {
    /// One message about one key.
    pub fn new(status: StatusCode, key: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody::new(key, message),
        }
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.body.summary())
    }
}

impl ResponseError for JsonError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(&self.body)
    }
}

/// Registers JSON error handlers for the `Json`, `Query` and `Path` extractors and sets the
/// request body limit (bytes). JSON is accepted without a `Content-Type` header.
pub fn extractor_config(body_limit: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(
            web::JsonConfig::default()
                .limit(body_limit)
                .content_type_required(false)
                .error_handler(json_error),
        )
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error));
    }
}

fn json_error(err: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let (status, message) = match &err {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("is larger than {limit} bytes"),
        ),
        JsonPayloadError::Deserialize(e) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        JsonPayloadError::Payload(e) if is_body_timeout(e) => {
            (StatusCode::REQUEST_TIMEOUT, e.to_string())
        }
        other => (StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
    };
    JsonError::new(status, "body", message).into()
}

fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    JsonError::new(StatusCode::UNPROCESSABLE_ENTITY, "query", err.to_string()).into()
}

fn path_error(err: PathError, _: &HttpRequest) -> actix_web::Error {
    JsonError::new(StatusCode::UNPROCESSABLE_ENTITY, "path", err.to_string()).into()
}
