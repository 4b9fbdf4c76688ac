//! The request-context middleware and the [`RequestId`] extractor.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::http::header::{
    ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, TRANSFER_ENCODING,
};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use futures_core::Stream;
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

/// How long a request's body may take to arrive, from when its handler starts reading it; a
/// body sent a byte at a time is cut off here (the head has actix's own 5 s timeout).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The methods the tiers serve; any other is answered 405 before routing, and its metrics
/// label is `other` (a label per made-up method would grow without end).
const METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// The metrics label of `method`: its name when the tiers serve it, else `other`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware (use with `actix_web::middleware::from_fn`): sets the request id, runs the
/// request inside a span that carries it, echoes it in the response, writes one access-log
/// line, records the request in the app's [`Metrics`] (when the app has them), labels
/// JSON bodies `application/json; charset=utf-8`, and answers HEAD as GET without the body.
/// A method the tiers do not serve is answered 405 at once; a request body must arrive
/// within [`BODY_TIMEOUT`].
pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(RequestId::from_header)
        .unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(id.clone());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = method_label(req.method());
    if method == "other" {
        if let Some(m) = &metrics {
            m.record(method, "<unmatched>", 405, Duration::ZERO);
        }
        tracing::info!(target: "access", method, status = 405, "method not allowed");
        let res = HttpResponse::MethodNotAllowed()
            .insert_header((ALLOW, METHODS))
            .insert_header((REQUEST_ID_HEADER, id.0))
            .json(serde_json::json!({"errors": {"method": ["is not allowed"]}}));
        return Ok(req.into_response(res).map_into_right_body());
    }
    if has_body(&req) {
        let payload = req.take_payload();
        req.set_payload(Payload::from(
            Box::pin(Deadline::new(payload, BODY_TIMEOUT))
                as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
        ));
    }
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
                m.record(method, &route, status, elapsed);
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
            Ok(res.map_into_left_body())
        }
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            if let Some(m) = &metrics {
                m.record(method, "<error>", status, elapsed);
            }
            tracing::warn!(target: "access", %method, %path, status, error = %err, "request failed");
            Err(err)
        }
    }
}

/// Whether the request says a body follows.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// Whether `err` is a body cut off by [`BODY_TIMEOUT`] (answered 408 by the extractors).
pub fn is_body_timeout(err: &PayloadError) -> bool {
    matches!(err, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// A request body that fails with a timeout once `limit` has passed since it was first read.
struct Deadline {
    inner: Payload,
    limit: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Deadline {
    fn new(inner: Payload, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            timer: None,
        }
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let limit = self.limit;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the request body took longer than {} s", limit.as_secs()),
            )))));
        }
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// The end user's address. Behind a proxy (`trust_forwarded_for`), the last
/// `X-Forwarded-For` hop: the one the proxy in front of this service appended for the peer it
/// saw, which a client cannot choose (hops before it are whatever the client sent). Else the
/// peer's address.
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .and_then(|v| v.parse::<std::net::IpAddr>().ok());
        if let Some(addr) = forwarded {
            return addr.to_string();
        }
    }
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

/// The visitor's address: the one a caller that presented the internal credential passed in
/// [`VISITOR_HEADER`](crate::internal::VISITOR_HEADER) (the web tier, for the visitor whose
/// page it renders), else [`client_address`].
pub fn visitor_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if crate::internal::is_internal(req)
        && let Some(addr) = req
            .headers()
            .get(crate::internal::VISITOR_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok())
    {
        return addr.to_string();
    }
    client_address(req, trust_forwarded_for)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn behind_a_proxy_the_hop_it_appended_counts() {
        let peer = "10.0.0.9:4000".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr(peer)
            .insert_header(("x-forwarded-for", "6.6.6.6, 192.0.2.7"))
            .to_http_request();
        assert_eq!(client_address(&req, true), "192.0.2.7");
        assert_eq!(client_address(&req, false), "10.0.0.9");
        let junk = TestRequest::default()
            .peer_addr(peer)
            .insert_header(("x-forwarded-for", "not-an-address"))
            .to_http_request();
        assert_eq!(client_address(&junk, true), "10.0.0.9");
    }

    #[test]
    fn only_an_internal_caller_names_the_visitor() {
        let peer = "10.0.0.9:4000".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr(peer)
            .insert_header((crate::internal::VISITOR_HEADER, "198.51.100.4"))
            .to_http_request();
        assert_eq!(visitor_address(&req, false), "10.0.0.9");
    }
}
