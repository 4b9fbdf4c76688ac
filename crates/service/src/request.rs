//! The request-context middleware and the [`RequestId`] extractor.

use std::future::{Ready, ready};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use tracing::Instrument;

use crate::Metrics;

/// The header that carries a request's id across the tiers.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served: the caller's `x-request-id` when it sent a sane one,
/// else a fresh random one. Typed clients forward it to the next tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// A fresh random id (128 bits, hex).
    pub fn generate() -> Self {
        Self(format!("{:032x}", fastrand::u128(..)))
    }

    /// The caller's id when it is 1 to 128 visible ASCII characters, else `None`.
    pub fn from_header(value: &HeaderValue) -> Option<Self> {
        let s = value.to_str().ok()?;
        let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromRequest for RequestId {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::generate);
        ready(Ok(id))
    }
}

/// Middleware (use with `actix_web::middleware::from_fn`): sets the request id, runs the
/// request inside a span that carries it, echoes it in the response, writes one access-log
/// line, records the request in the app's [`Metrics`] (when the app has them), labels
/// JSON bodies `application/json; charset=utf-8`, and answers HEAD as GET without the body.
pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(RequestId::from_header)
        .unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(id.clone());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    // HEAD is a GET without the body (RFC 9110 9.3.2), so it is routed as one; the HTTP/1
    // encoder remembers the request was HEAD and sends the headers only, with the GET's
    // Content-Length. Monitors and `curl -I` get what a browser would.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %id.0);
    let started = Instant::now();

    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let _entered = span.enter();
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "<unmatched>".to_owned());
            if let Some(m) = &metrics {
                m.record(&method, &route, status, elapsed);
            }
            if let Ok(value) = HeaderValue::from_str(&id.0) {
                res.headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
            }
            // Every JSON body of the stack is UTF-8; say so, as the API contract asks.
            if res
                .headers()
                .get(CONTENT_TYPE)
                .is_some_and(|v| v == "application/json")
            {
                res.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
            }
            let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
            // Load balancers probe every second: successful probes only at debug.
            if status < 400 && matches!(path.as_str(), "/health" | "/ready" | "/metrics") {
                tracing::debug!(target: "access", %method, %path, status, micros, "request done");
            } else {
                tracing::info!(target: "access", %method, %path, status, micros, "request done");
            }
            Ok(res)
        }
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            if let Some(m) = &metrics {
                m.record(&method, "<error>", status, elapsed);
            }
            tracing::warn!(target: "access", %method, %path, status, error = %err, "request failed");
            Err(err)
        }
    }
}

/// The end user's address: the first `X-Forwarded-For` hop when the service is configured to
/// trust it (it runs behind a proxy that sets it), else the peer's address.
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if let Some(addr) = forwarded {
            return addr.to_owned();
        }
    }
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}
