//! The models tier's one error type, and the central mapping of database errors.
//!
//! Unknown records -> 404, unique violations -> 409 naming the field, invalid input -> 422,
//! a precondition on the owner -> 403, pool exhausted or database unreachable -> 503,
//! anything else -> an opaque 500 whose cause goes to the log only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use conduit_wire::ErrorBody;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Everything a models handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 404 `{"<subject>": ["not found"]}`.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409 `{"<field>": ["has already been taken"]}`.
    #[error("{0} has already been taken")]
    Taken(&'static str),
    /// 403 `{"<subject>": ["forbidden"]}`: the caller is not the owner.
    #[error("{0} forbidden")]
    Forbidden(&'static str),
    /// 422 with field-level messages.
    #[error("invalid input: {}", .0.summary())]
    Invalid(ErrorBody),
    /// 503: the database cannot be reached (or the pool is exhausted).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database connection was lost while a statement ran (the server restarted or was
    /// killed). A read answers 503 as for [`Error::Unavailable`]; a write may have been
    /// committed before the connection went, so `write_outcome` answers it 502.
    #[error("database connection lost: {0}")]
    ConnectionLost(String),
    /// 500: a bug or an unexpected database answer; the client sees nothing more.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// 422 with one message about one field.
    pub fn invalid(field: &str, message: &str) -> Self {
        Self::Invalid(ErrorBody::new(field, message))
    }
}

impl From<DieselError> for Error {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => Self::NotFound("record"),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    let field = taken_field(info.constraint_name(), info.message());
                    Self::Taken(field)
                }
                DatabaseErrorKind::ForeignKeyViolation => {
                    Self::invalid("reference", "refers to a record that does not exist")
                }
                DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                    Self::invalid("record", info.message())
                }
                // The server went away under an open connection (restarted, killed, its
                // network cut): an outage the caller can retry, not a bug.
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    Self::ConnectionLost(info.message().into())
                }
                _ => Self::Internal(format!("{kind:?}: {}", info.message())),
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(err: r2d2::Error) -> Self {
        Self::Unavailable(err.to_string())
    }
}

/// Names the field of a unique violation from PostgreSQL's constraint name or SQLite's
/// "UNIQUE constraint failed: users.email" message.
fn taken_field(constraint: Option<&str>, message: &str) -> &'static str {
    let text = constraint.unwrap_or(message);
    if text.contains("username") {
        "username"
    } else if text.contains("email") {
        "email"
    } else if text.contains("slug") {
        "slug"
    } else if text.contains("name") {
        "name"
    } else {
        "record"
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Taken(_) => StatusCode::CONFLICT,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) | Self::ConnectionLost(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            Self::NotFound(subject) => ErrorBody::new(*subject, "not found"),
            Self::Taken(field) => ErrorBody::new(*field, "has already been taken"),
            Self::Forbidden(subject) => ErrorBody::new(*subject, "forbidden"),
            Self::Invalid(body) => body.clone(),
            Self::Unavailable(cause) | Self::ConnectionLost(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ErrorBody::new("database", "is unavailable, try again shortly")
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ErrorBody::new("server", "internal error")
            }
        };
        HttpResponse::build(self.status_code()).json(body)
    }
}

/// Middleware: a write whose database connection was lost mid-statement may have been
/// committed, so it answers 502 ("interrupted"), never the 503 that tells a client nothing
/// was done and it may retry (found by the container drill: an article answered 503 while
/// PostgreSQL stopped was stored).
pub async fn write_outcome(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let write = !matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let res = next.call(req).await?;
    let lost = res
        .response()
        .error()
        .and_then(|e| e.as_error::<Error>())
        .is_some_and(|e| matches!(e, Error::ConnectionLost(_)));
    if write && lost {
        let (req, _) = res.into_parts();
        let answer = HttpResponse::BadGateway().json(ErrorBody::new(
            "database",
            "connection lost while writing: the change may have been made",
        ));
        return Ok(actix_web::dev::ServiceResponse::new(req, answer).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_the_field_on_both_backends() {
        assert_eq!(taken_field(Some("users_email_key"), ""), "email");
        assert_eq!(
            taken_field(None, "UNIQUE constraint failed: users.username"),
            "username"
        );
        assert_eq!(
            taken_field(None, "UNIQUE constraint failed: articles.slug"),
            "slug"
        );
    }

    #[actix_web::test]
    async fn a_write_that_lost_its_connection_is_interrupted_and_a_read_unavailable() {
        use actix_web::{App, test, web};
        async fn lost() -> Result<HttpResponse, Error> {
            Err(Error::ConnectionLost("server closed the connection".into()))
        }
        async fn down() -> Result<HttpResponse, Error> {
            Err(Error::Unavailable("pool timed out".into()))
        }
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(write_outcome))
                .route("/lost", web::to(lost))
                .route("/down", web::to(down)),
        )
        .await;
        for (method, path, status) in [
            (actix_web::http::Method::POST, "/lost", 502),
            (actix_web::http::Method::PATCH, "/lost", 502),
            (actix_web::http::Method::GET, "/lost", 503),
            (actix_web::http::Method::POST, "/down", 503),
        ] {
            let req = test::TestRequest::default()
                .method(method.clone())
                .uri(path)
                .to_request();
            let res = test::call_service(&app, req).await;
            assert_eq!(res.status().as_u16(), status, "{method} {path}");
        }
    }

    #[test]
    fn a_connection_the_server_dropped_is_an_outage_not_a_bug() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            let err = Error::from(DieselError::DatabaseError(
                kind,
                Box::new("no connection to the server".to_owned()),
            ));
            assert!(matches!(err, Error::ConnectionLost(_)), "{kind:?}: {err:?}");
            assert_eq!(err.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        }
    }
}
