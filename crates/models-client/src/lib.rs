//! Typed HTTP client for the models tier's JSON API (`conduit_wire::models`).
//!
//! One method per endpoint. Every call has bounded timeouts, reuses keep-alive connections
//! from a pool, forwards the caller's `x-request-id`, checks the status, and decodes either
//! the success body or the `{"errors": ...}` body into a [`ClientError`].

use std::time::Duration;

use conduit_wire::ErrorBody;
use conduit_wire::models::{
    Article, ArticleList, ArticlePatch, ArticleQuery, Comment, CommentList, Credentials,
    CredentialsQuery, NewArticle, NewComment, NewUser, Profile, TagList, User, UserPatch,
};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What can go wrong calling the models tier.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The models tier answered with an error status and body (404, 409, 422, 503...).
    #[error("models answered {status}: {}", body.summary())]
    Api {
        /// HTTP status.
        status: u16,
        /// The decoded errors body.
        body: ErrorBody,
    },
    /// No answer within the timeout.
    #[error("models did not answer in time")]
    Timeout,
    /// Could not connect, or the connection broke.
    #[error("models is unreachable: {0}")]
    Unreachable(String),
    /// An answer that is not what the API documents.
    #[error("unexpected answer from models: {0}")]
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

fn from_reqwest(e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        ClientError::Timeout
    } else if e.is_connect() || e.is_request() {
        ClientError::Unreachable(e.to_string())
    } else {
        ClientError::Protocol(e.to_string())
    }
}

/// How the client talks to the models tier.
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
}

impl ClientConfig {
    /// Defaults for `base_url`: 5 s per request, 1 s to connect, 64 idle connections.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            max_idle_per_host: 64,
        }
    }
}

/// The models API client; cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct ModelsClient {
    base: Url,
    http: reqwest::Client,
}

impl ModelsClient {
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
        let http = reqwest::Client::builder()
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

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn send<B: Serialize, Q: Serialize, T: DeserializeOwned>(
        &self,
        rid: Option<&str>,
        method: Method,
        segments: &[&str],
        query: Option<&Q>,
        body: Option<&B>,
    ) -> Result<Option<T>, ClientError> {
        let mut req = self.http.request(method, self.url(segments));
        if let Some(id) = rid {
            req = req.header("x-request-id", id);
        }
        if let Some(q) = query {
            req = req.query(q);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(from_reqwest)?;
        let status = res.status();
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
            }),
            Err(_) => Err(ClientError::Protocol(format!(
                "{status} with a body that is not an errors body: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ))),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        rid: Option<&str>,
        method: Method,
        segments: &[&str],
        query: Option<&impl Serialize>,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        self.send(rid, method, segments, query, body)
            .await?
            .ok_or_else(|| ClientError::Protocol("204 where a body was expected".into()))
    }

    async fn call_empty(
        &self,
        rid: Option<&str>,
        method: Method,
        segments: &[&str],
        query: Option<&impl Serialize>,
    ) -> Result<(), ClientError> {
        self.send::<(), _, serde::de::IgnoredAny>(rid, method, segments, query, None)
            .await
            .map(drop)
    }

    /// `POST /users`.
    pub async fn create_user(&self, rid: Option<&str>, new: &NewUser) -> Result<User, ClientError> {
        self.call(rid, Method::POST, &["users"], NO_QUERY, Some(new))
            .await
    }

    /// `GET /users/{id}`.
    pub async fn get_user(&self, rid: Option<&str>, id: i64) -> Result<User, ClientError> {
        let id = id.to_string();
        self.call(rid, Method::GET, &["users", &id], NO_QUERY, NO_BODY)
            .await
    }

    /// `GET /users/by-username/{username}`.
    pub async fn get_user_by_username(
        &self,
        rid: Option<&str>,
        username: &str,
    ) -> Result<User, ClientError> {
        let path = ["users", "by-username", username];
        self.call(rid, Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    /// `GET /users/by-email/{email}`.
    pub async fn get_user_by_email(
        &self,
        rid: Option<&str>,
        email: &str,
    ) -> Result<User, ClientError> {
        let path = ["users", "by-email", email];
        self.call(rid, Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    /// `PATCH /users/{id}`.
    pub async fn update_user(
        &self,
        rid: Option<&str>,
        id: i64,
        patch: &UserPatch,
    ) -> Result<User, ClientError> {
        let id = id.to_string();
        self.call(rid, Method::PATCH, &["users", &id], NO_QUERY, Some(patch))
            .await
    }

    /// `POST /credentials`: the user and password hash for a login.
    pub async fn credentials(
        &self,
        rid: Option<&str>,
        email: &str,
    ) -> Result<Credentials, ClientError> {
        let body = CredentialsQuery {
            email: email.to_owned(),
        };
        self.call(rid, Method::POST, &["credentials"], NO_QUERY, Some(&body))
            .await
    }

    /// `GET /profiles/{username}?viewer=`.
    pub async fn get_profile(
        &self,
        rid: Option<&str>,
        username: &str,
        viewer: Option<i64>,
    ) -> Result<Profile, ClientError> {
        let q = viewer_query(viewer);
        self.call(rid, Method::GET, &["profiles", username], Some(&q), NO_BODY)
            .await
    }

    /// `PUT /profiles/{username}/followers/{follower}`.
    pub async fn follow(
        &self,
        rid: Option<&str>,
        username: &str,
        follower: i64,
    ) -> Result<Profile, ClientError> {
        let f = follower.to_string();
        let path = ["profiles", username, "followers", &f];
        self.call(rid, Method::PUT, &path, NO_QUERY, NO_BODY).await
    }

    /// `DELETE /profiles/{username}/followers/{follower}`.
    pub async fn unfollow(
        &self,
        rid: Option<&str>,
        username: &str,
        follower: i64,
    ) -> Result<Profile, ClientError> {
        let f = follower.to_string();
        let path = ["profiles", username, "followers", &f];
        self.call(rid, Method::DELETE, &path, NO_QUERY, NO_BODY)
            .await
    }

    /// `GET /articles?...`: one page with authors, tags, counts and viewer flags.
    pub async fn list_articles(
        &self,
        rid: Option<&str>,
        query: &ArticleQuery,
    ) -> Result<ArticleList, ClientError> {
        self.call(rid, Method::GET, &["articles"], Some(query), NO_BODY)
            .await
    }

    /// `POST /articles`.
    pub async fn create_article(
        &self,
        rid: Option<&str>,
        new: &NewArticle,
    ) -> Result<Article, ClientError> {
        self.call(rid, Method::POST, &["articles"], NO_QUERY, Some(new))
            .await
    }

    /// `GET /articles/{slug}?viewer=`.
    pub async fn get_article(
        &self,
        rid: Option<&str>,
        slug: &str,
        viewer: Option<i64>,
    ) -> Result<Article, ClientError> {
        let q = viewer_query(viewer);
        self.call(rid, Method::GET, &["articles", slug], Some(&q), NO_BODY)
            .await
    }

    /// `PATCH /articles/{slug}` (403 unless `patch.author_id` is the author).
    pub async fn update_article(
        &self,
        rid: Option<&str>,
        slug: &str,
        patch: &ArticlePatch,
    ) -> Result<Article, ClientError> {
        self.call(
            rid,
            Method::PATCH,
            &["articles", slug],
            NO_QUERY,
            Some(patch),
        )
        .await
    }

    /// `DELETE /articles/{slug}?author_id=` (403 unless `author_id` is the author).
    pub async fn delete_article(
        &self,
        rid: Option<&str>,
        slug: &str,
        author_id: i64,
    ) -> Result<(), ClientError> {
        let q = [("author_id", author_id)];
        self.call_empty(rid, Method::DELETE, &["articles", slug], Some(&q))
            .await
    }

    /// `PUT /articles/{slug}/favorites/{user}`.
    pub async fn favorite(
        &self,
        rid: Option<&str>,
        slug: &str,
        user: i64,
    ) -> Result<Article, ClientError> {
        let u = user.to_string();
        let path = ["articles", slug, "favorites", &u];
        self.call(rid, Method::PUT, &path, NO_QUERY, NO_BODY).await
    }

    /// `DELETE /articles/{slug}/favorites/{user}`.
    pub async fn unfavorite(
        &self,
        rid: Option<&str>,
        slug: &str,
        user: i64,
    ) -> Result<Article, ClientError> {
        let u = user.to_string();
        let path = ["articles", slug, "favorites", &u];
        self.call(rid, Method::DELETE, &path, NO_QUERY, NO_BODY)
            .await
    }

    /// `GET /articles/{slug}/comments?viewer=`.
    pub async fn list_comments(
        &self,
        rid: Option<&str>,
        slug: &str,
        viewer: Option<i64>,
    ) -> Result<CommentList, ClientError> {
        let q = viewer_query(viewer);
        let path = ["articles", slug, "comments"];
        self.call(rid, Method::GET, &path, Some(&q), NO_BODY).await
    }

    /// `POST /articles/{slug}/comments`.
    pub async fn create_comment(
        &self,
        rid: Option<&str>,
        slug: &str,
        new: &NewComment,
    ) -> Result<Comment, ClientError> {
        let path = ["articles", slug, "comments"];
        self.call(rid, Method::POST, &path, NO_QUERY, Some(new))
            .await
    }

    /// `DELETE /articles/{slug}/comments/{id}?author_id=`.
    pub async fn delete_comment(
        &self,
        rid: Option<&str>,
        slug: &str,
        id: i64,
        author_id: i64,
    ) -> Result<(), ClientError> {
        let id = id.to_string();
        let q = [("author_id", author_id)];
        let path = ["articles", slug, "comments", &id];
        self.call_empty(rid, Method::DELETE, &path, Some(&q)).await
    }

    /// `GET /tags`.
    pub async fn tags(&self, rid: Option<&str>) -> Result<TagList, ClientError> {
        self.call(rid, Method::GET, &["tags"], NO_QUERY, NO_BODY)
            .await
    }

    /// `GET /ready`: `Ok` when models and its database answer.
    pub async fn ready(&self, rid: Option<&str>) -> Result<(), ClientError> {
        self.send::<(), (), serde::de::IgnoredAny>(rid, Method::GET, &["ready"], None, None)
            .await
            .map(drop)
    }
}

const NO_QUERY: Option<&()> = None;
const NO_BODY: Option<&()> = None;

fn viewer_query(viewer: Option<i64>) -> Vec<(&'static str, i64)> {
    viewer.map(|v| ("viewer", v)).into_iter().collect()
}
