//! The plumbing every typed client shares: configuration, timeouts, keep-alive pool,
//! `x-request-id` forwarding, status checks, and decoding of success and error bodies.

use std::time::Duration;

use conduit_service::internal::{CREDENTIAL_HEADER, VISITOR_HEADER};
use conduit_service::settings::Secret;
use conduit_wire::ErrorBody;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What can go wrong calling another tier.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The tier answered with an error status and body (404, 409, 422, 503...).
    #[error("answered {status}: {}", body.summary())]
    Api {
        /// HTTP status.
        status: u16,
        /// The decoded errors body.
        body: ErrorBody,
        /// `Retry-After` in seconds, when the answer said when to try again (a limit's 429,
        /// a busy 503).
        retry_after: Option<u64>,
    },
    /// No answer within the timeout.
    #[error("no answer in time")]
    Timeout,
    /// Could not connect, or the connection broke.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// A load balancer answered for the tier (its own 502 or 503): it is reachable, but no
    /// instance behind it could take the request. For the caller an outage like
    /// [`ClientError::Unreachable`]; for its readiness, a path that works (the whole pool is
    /// down for every caller alike, and this one can still answer its own 503).
    #[error("no instance available: {0}")]
    NoInstance(String),
    /// The request may have reached an instance that failed before answering (a connection
    /// lost after the request went out, a balancer's own 502): its outcome is unknown. A
    /// write so answered may have been made, so it must not be reported as refused.
    #[error("interrupted, outcome unknown: {0}")]
    Interrupted(String),
    /// An answer that is not what the API documents.
    #[error("unexpected answer: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The status of an [`ClientError::Api`] error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for a 404 answer.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// How many times a read is sent when its connection fails before any answer.
const READ_ATTEMPTS: u32 = 3;

fn from_reqwest(e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        ClientError::Timeout
    } else if e.is_connect() {
        ClientError::Unreachable(e.to_string())
    } else if e.is_request() {
        ClientError::Interrupted(e.to_string())
    } else {
        ClientError::Protocol(e.to_string())
    }
}

/// How a client talks to its tier.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL, e.g. `http://127.0.0.1:8001`.
    pub base_url: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Idle keep-alive connections kept per host.
    pub max_idle_per_host: usize,
    /// The internal credential, sent with every call (`None`: calls are anonymous, as a
    /// public client's; the tiers refuse them).
    pub credential: Option<Secret>,
}

impl ClientConfig {
    /// Defaults for `base_url`: 5 s per request, 1 s to connect, 64 idle connections, no
    /// credential.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            max_idle_per_host: 64,
            credential: None,
        }
    }

    /// The same, presenting `credential` on every call.
    pub fn with_credential(mut self, credential: &Secret) -> Self {
        self.credential = Some(credential.clone());
        self
    }
}

/// A JSON-over-HTTP client of one base URL; cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct JsonClient {
    base: Url,
    http: reqwest::Client,
}

impl JsonClient {
    /// A client for `config`; fails only on a base URL that is not a URL.
    pub fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        let base = Url::parse(&config.base_url).map_err(|e| {
            ClientError::Protocol(format!("bad base URL {:?}: {e}", config.base_url))
        })?;
        if base.cannot_be_a_base() {
            return Err(ClientError::Protocol(format!(
                "{base} cannot be a base URL"
            )));
        }
        let mut headers = HeaderMap::new();
        if let Some(credential) = &config.credential {
            let mut value = HeaderValue::from_str(credential.expose()).map_err(|_| {
                ClientError::Protocol("the credential is not a header value".into())
            })?;
            value.set_sensitive(true);
            headers.insert(CREDENTIAL_HEADER, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(config.max_idle_per_host)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(Self { base, http })
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The base URL extended with escaped path segments.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Sends a request on behalf of `caller` (its request id, token and address as headers);
    /// `Ok(None)` for 204, the decoded body for other successes.
    pub async fn send<B: Serialize, Q: Serialize, T: DeserializeOwned>(
        &self,
        caller: Caller<'_>,
        method: Method,
        segments: &[&str],
        query: Option<&Q>,
        body: Option<&B>,
    ) -> Result<Option<T>, ClientError> {
        // A "." or ".." segment would be resolved away by URL parsing, even percent-encoded
        // (WHATWG URL), and name another resource: no name or slug is one (they are refused
        // at write time), so such a path names nothing.
        if segments.iter().any(|s| matches!(*s, "." | "..")) {
            return Err(ClientError::Api {
                status: 404,
                body: ErrorBody::new("record", "not found"),
                retry_after: None,
            });
        }
        let idempotent = matches!(method, Method::GET | Method::HEAD);
        let mut req = self.http.request(method, self.url(segments));
        if let Some(id) = caller.rid {
            req = req.header("x-request-id", id);
        }
        if let Some(addr) = caller.client_addr {
            req = req.header(VISITOR_HEADER, addr);
        }
        if let Some(token) = caller.token {
            req = req.header("authorization", format!("Token {token}"));
        }
        if let Some(q) = query {
            req = req.query(q);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        // A kept-alive connection that the other side closed as a request went out on it (a
        // balancer reloading, an instance stopping) fails at once and answers nothing: a
        // read goes again (up to READ_ATTEMPTS in all; the pool may hold several such
        // connections). Never a write.
        let mut attempt = 1;
        let res = loop {
            let again = if idempotent { req.try_clone() } else { None };
            match req.send().await {
                Err(e) if !e.is_timeout() && (e.is_connect() || e.is_request()) => match again {
                    Some(next) if attempt < READ_ATTEMPTS => {
                        attempt += 1;
                        req = next;
                    }
                    _ => break Err(e),
                },
                answered => break answered,
            }
        }
        .map_err(from_reqwest)?;
        let status = res.status();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = res.bytes().await.map_err(from_reqwest)?;
        if status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ClientError::Protocol(format!("{status}: {e}")));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(ClientError::Api {
                status: status.as_u16(),
                body,
                retry_after,
            }),
            // A load balancer's own answer: no instance behind it could take the request.
            Err(_) if status == StatusCode::GATEWAY_TIMEOUT => Err(ClientError::Timeout),
            Err(_) if status == StatusCode::SERVICE_UNAVAILABLE => {
                Err(ClientError::NoInstance(format!(
                    "{status} from a proxy: {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).trim()
                )))
            }
            Err(_) if status == StatusCode::BAD_GATEWAY => Err(ClientError::Interrupted(format!(
                "{status} from a proxy: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).trim()
            ))),
            Err(_) => Err(ClientError::Protocol(format!(
                "{status} with a body that is not an errors body: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ))),
        }
    }

    /// Sends a request whose success has a body.
    pub async fn call<T: DeserializeOwned>(
        &self,
        caller: Caller<'_>,
        method: Method,
        segments: &[&str],
        query: Option<&impl Serialize>,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        self.send(caller, method, segments, query, body)
            .await?
            .ok_or_else(|| ClientError::Protocol("204 where a body was expected".into()))
    }

    /// Sends a request whose success is 204 (or a body to ignore).
    pub async fn call_empty(
        &self,
        caller: Caller<'_>,
        method: Method,
        segments: &[&str],
        query: Option<&impl Serialize>,
    ) -> Result<(), ClientError> {
        self.send::<(), _, serde::de::IgnoredAny>(caller, method, segments, query, None)
            .await
            .map(drop)
    }
}

/// On whose behalf a call is made, passed on as headers: the request id of the page view
/// or API request (`x-request-id`), the signed-in user's token (`Authorization`) and the
/// end user's address (`conduit-visitor-address`, for the callee's per-address limits; the
/// callee believes it only from a caller that presents the internal credential).
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> {
    /// The `x-request-id` to forward.
    pub rid: Option<&'a str>,
    /// The session's token.
    pub token: Option<&'a str>,
    /// The end user's address.
    pub client_addr: Option<&'a str>,
}

impl<'a> Caller<'a> {
    /// A caller known by its request id only (tier-to-tier calls with no user behind them).
    pub fn request(rid: Option<&'a str>) -> Self {
        Self {
            rid,
            ..Self::default()
        }
    }

    /// The same caller without its token (calls that must not act as the user: sign-in, sign-up).
    pub fn anonymous(self) -> Self {
        Self {
            token: None,
            ..self
        }
    }
}

/// No query string.
pub const NO_QUERY: Option<&()> = None;
/// No body.
pub const NO_BODY: Option<&()> = None;
