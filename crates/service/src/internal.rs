//! The internal credential: how a tier proves to the next one that it is one of ours.
//!
//! The internal network is not a trust boundary by itself (a container that is broken into,
//! a port published by mistake, a neighbour on the same host). So models answers nothing but
//! its probes, and experience serves its page endpoints and honours a visitor's address, only
//! to a caller that presents the shared secret `INTERNAL_CREDENTIAL` in the
//! [`CREDENTIAL_HEADER`]; the typed clients send it on every call. It is compared in constant
//! time. During a rotation `INTERNAL_CREDENTIAL_PREVIOUS` is accepted too (README, "Security").

use std::future::{Ready, ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use conduit_wire::ErrorBody;
use subtle::ConstantTimeEq;

use crate::settings::{ConfigError, Secret, Source, optional_secret, required_secret};

/// The header that carries the credential between tiers.
pub const CREDENTIAL_HEADER: &str = "conduit-internal-credential";

/// The header in which a trusted caller (the web tier) passes the visitor's address.
pub const VISITOR_HEADER: &str = "conduit-visitor-address";

/// The shared secret: the one sent, and the ones accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct InternalCredential {
    current: Secret,
    previous: Option<Secret>,
}

impl std::fmt::Debug for InternalCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InternalCredential([redacted])")
    }
}

impl InternalCredential {
    /// `INTERNAL_CREDENTIAL` (required, at least 32 characters; or `INTERNAL_CREDENTIAL_FILE`)
    /// and, while rotating, `INTERNAL_CREDENTIAL_PREVIOUS`.
    pub fn from_source(env: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self {
            current: required_secret(env, "INTERNAL_CREDENTIAL")?,
            previous: optional_secret(env, "INTERNAL_CREDENTIAL_PREVIOUS")?,
        })
    }

    /// A credential of `secret` alone.
    pub fn new(secret: Secret) -> Self {
        Self {
            current: secret,
            previous: None,
        }
    }

    /// A fresh random credential (tests, the all-in-one launcher, the local stack).
    pub fn random() -> Self {
        Self::new(Secret::random())
    }

    /// Also accepts `previous` (a rotation in progress).
    pub fn with_previous(mut self, previous: Secret) -> Self {
        self.previous = Some(previous);
        self
    }

    /// The value to send.
    pub fn secret(&self) -> &Secret {
        &self.current
    }

    /// The previous value, accepted during a rotation.
    pub fn previous(&self) -> Option<&Secret> {
        self.previous.as_ref()
    }

    /// True when `presented` is the current or the previous value (constant time in the
    /// presented value's content).
    pub fn accepts(&self, presented: &[u8]) -> bool {
        let matches = |s: &Secret| bool::from(s.expose().as_bytes().ct_eq(presented));
        let current = matches(&self.current);
        let previous = self.previous.as_ref().is_some_and(matches);
        current | previous
    }
}

/// Marks, in the request's extensions, a caller that presented the credential.
#[derive(Debug, Clone, Copy)]
struct Presented;

/// True when the request presented the internal credential (see [`mark_internal`]).
pub fn is_internal(req: &HttpRequest) -> bool {
    req.extensions().get::<Presented>().is_some()
}

/// Middleware (with `from_fn`): records whether the caller presented the credential held in
/// the app's `web::Data<InternalCredential>`. Refuses nothing; [`InternalCaller`] and
/// [`require_internal`] do.
pub async fn mark_internal(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let presented = req
        .headers()
        .get(CREDENTIAL_HEADER)
        .zip(req.app_data::<web::Data<InternalCredential>>())
        .is_some_and(|(value, credential)| credential.accepts(value.as_bytes()));
    if presented {
        req.extensions_mut().insert(Presented);
    }
    next.call(req).await
}

fn refused() -> HttpResponse {
    HttpResponse::Unauthorized().json(ErrorBody::new(
        "credential",
        "internal credential missing or wrong",
    ))
}

/// Middleware (with `from_fn`, inside [`mark_internal`]): answers 401 to every request but
/// the probes (`/health`, `/ready`, `/metrics`) that did not present the credential.
pub async fn require_internal<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let probe = matches!(req.path(), "/health" | "/ready" | "/metrics");
    if probe || is_internal(req.request()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    Ok(req.into_response(refused()).map_into_right_body())
}

/// Extractor: the caller presented the credential; 401 otherwise.
#[derive(Debug, Clone, Copy)]
pub struct InternalCaller;

impl FromRequest for InternalCaller {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(if is_internal(req) {
            Ok(Self)
        } else {
            Err(InternalError::from_response("internal credential", refused()).into())
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, test as atest};

    use super::*;

    #[test]
    fn accepts_the_current_and_the_previous_value_only() {
        let current = Secret::new("c".repeat(32));
        let previous = Secret::new("p".repeat(32));
        let credential = InternalCredential::new(current.clone());
        assert!(credential.accepts(current.expose().as_bytes()));
        assert!(!credential.accepts(previous.expose().as_bytes()));
        assert!(!credential.accepts(b""));
        assert!(!credential.accepts(&current.expose().as_bytes()[..31]));
        let rotating = credential.with_previous(previous.clone());
        assert!(rotating.accepts(previous.expose().as_bytes()));
        assert!(rotating.accepts(current.expose().as_bytes()));
        assert!(!format!("{rotating:?}").contains("ccc"));
    }

    #[actix_web::test]
    async fn only_probes_pass_without_the_credential() {
        let credential = InternalCredential::random();
        let app = atest::init_service(
            App::new()
                .app_data(web::Data::new(credential.clone()))
                .wrap(actix_web::middleware::from_fn(require_internal))
                .wrap(actix_web::middleware::from_fn(mark_internal))
                .route("/health", web::get().to(HttpResponse::Ok))
                .route("/users/1", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let status = |req: atest::TestRequest| {
            let app = &app;
            async move { atest::call_service(app, req.to_request()).await.status() }
        };
        assert_eq!(status(atest::TestRequest::get().uri("/health")).await, 200);
        assert_eq!(status(atest::TestRequest::get().uri("/users/1")).await, 401);
        let wrong = atest::TestRequest::get()
            .uri("/users/1")
            .insert_header((CREDENTIAL_HEADER, "x".repeat(64)));
        assert_eq!(status(wrong).await, 401);
        let right = atest::TestRequest::get()
            .uri("/users/1")
            .insert_header((CREDENTIAL_HEADER, credential.secret().expose()));
        assert_eq!(status(right).await, 200);
    }
}
