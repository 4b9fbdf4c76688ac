//! Typed client of the models tier's JSON API (`conduit_wire::models`): one method per
//! endpoint.

use conduit_wire::models::{
    Article, ArticleList, ArticlePatch, ArticleQuery, Comment, CommentList, Credentials,
    CredentialsQuery, NewArticle, NewComment, NewUser, Profile, TagList, TagsQuery, User,
    UserPatch, ViewerQuery, Viewing, ViewingQuery,
};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::core::{Caller, ClientConfig, ClientError, JsonClient, NO_BODY, NO_QUERY};

/// The models API client; cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct ModelsClient(JsonClient);

impl ModelsClient {
    /// A client for `config`; fails only on a base URL that is not a URL.
    pub fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        JsonClient::new(config).map(Self)
    }

    /// A call on behalf of request `rid` (models knows no users' tokens).
    async fn call<T: DeserializeOwned>(
        &self,
        rid: Option<&str>,
        method: Method,
        path: &[&str],
        query: Option<&impl Serialize>,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        self.0
            .call(Caller::request(rid), method, path, query, body)
            .await
    }

    /// A call whose success has no body to read.
    async fn call_empty(
        &self,
        rid: Option<&str>,
        method: Method,
        path: &[&str],
        query: Option<&impl Serialize>,
    ) -> Result<(), ClientError> {
        self.0
            .call_empty(Caller::request(rid), method, path, query)
            .await
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

    /// `POST /users/{id}/viewing`: user `id` and their flags on `query`'s articles and
    /// authors.
    pub async fn viewing(
        &self,
        rid: Option<&str>,
        id: i64,
        query: &ViewingQuery,
    ) -> Result<Viewing, ClientError> {
        let id = id.to_string();
        let path = ["users", &id, "viewing"];
        self.call(rid, Method::POST, &path, NO_QUERY, Some(query))
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
        let q = ViewerQuery { viewer };
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
        let q = ViewerQuery { viewer };
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
        let q = ViewerQuery { viewer };
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

    /// `GET /tags?limit=N`: the `limit` most used tags (the sidebar's).
    pub async fn popular_tags(
        &self,
        rid: Option<&str>,
        limit: i64,
    ) -> Result<TagList, ClientError> {
        let query = TagsQuery { limit: Some(limit) };
        self.call(rid, Method::GET, &["tags"], Some(&query), NO_BODY)
            .await
    }

    /// `GET /health`: the models tier answers (see [`ExperienceClient::health`] for why
    /// callers do not ask `/ready`).
    ///
    /// [`ExperienceClient::health`]: crate::ExperienceClient::health
    pub async fn health(&self, rid: Option<&str>) -> Result<(), ClientError> {
        self.call_empty(rid, Method::GET, &["health"], NO_QUERY)
            .await
            .map(drop)
    }
}
