//! Typed client of the experience tier for the web tier: the page endpoints
//! (`conduit_wire::pages`) and the public API's writes (`conduit_wire::api`), with the
//! caller's token.

use conduit_wire::api::{
    Article, ArticleEnvelope, ArticleUpdate, Comment, CommentEnvelope, Login, NewArticle,
    NewComment, NewUser, User, UserEnvelope, UserUpdate,
};
use conduit_wire::pages::{
    ArticleView, EditorView, HomePage, HomeQuery, ProfileQuery, ProfileView, SettingsView,
};
use reqwest::Method;

use crate::core::{Caller, ClientConfig, ClientError, JsonClient, NO_BODY, NO_QUERY};

/// The experience client; cheap to clone.
#[derive(Debug, Clone)]
pub struct ExperienceClient(JsonClient);

impl ExperienceClient {
    /// A client for `config`.
    pub fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        JsonClient::new(config).map(Self)
    }

    /// `GET /pages/home`.
    pub async fn home(&self, c: Caller<'_>, q: &HomeQuery) -> Result<HomePage, ClientError> {
        self.0
            .call(c, Method::GET, &["pages", "home"], Some(q), NO_BODY)
            .await
    }

    /// `GET /pages/article/{slug}`.
    pub async fn article_page(
        &self,
        c: Caller<'_>,
        slug: &str,
    ) -> Result<ArticleView, ClientError> {
        let path = ["pages", "article", slug];
        self.0.call(c, Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    /// `GET /pages/profile/{username}`.
    pub async fn profile_page(
        &self,
        c: Caller<'_>,
        username: &str,
        q: &ProfileQuery,
    ) -> Result<ProfileView, ClientError> {
        let path = ["pages", "profile", username];
        self.0.call(c, Method::GET, &path, Some(q), NO_BODY).await
    }

    /// `GET /pages/editor[/{slug}]`.
    pub async fn editor_page(
        &self,
        c: Caller<'_>,
        slug: Option<&str>,
    ) -> Result<EditorView, ClientError> {
        let mut path = vec!["pages", "editor"];
        path.extend(slug);
        self.0.call(c, Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    /// `GET /pages/settings`.
    pub async fn settings_page(&self, c: Caller<'_>) -> Result<SettingsView, ClientError> {
        let path = ["pages", "settings"];
        self.0.call(c, Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    /// `POST /api/users/login`.
    pub async fn login(&self, c: Caller<'_>, login: Login) -> Result<User, ClientError> {
        let body = UserEnvelope { user: login };
        let path = ["api", "users", "login"];
        let res: UserEnvelope<User> = self
            .0
            .call(c.anonymous(), Method::POST, &path, NO_QUERY, Some(&body))
            .await?;
        Ok(res.user)
    }

    /// `DELETE /api/user/sessions`: sign out everywhere.
    pub async fn end_sessions(&self, c: Caller<'_>) -> Result<(), ClientError> {
        let path = ["api", "user", "sessions"];
        self.0.call_empty(c, Method::DELETE, &path, NO_QUERY).await
    }

    /// `POST /api/users`.
    pub async fn register(&self, c: Caller<'_>, new: NewUser) -> Result<User, ClientError> {
        let body = UserEnvelope { user: new };
        let path = ["api", "users"];
        let res: UserEnvelope<User> = self
            .0
            .call(c.anonymous(), Method::POST, &path, NO_QUERY, Some(&body))
            .await?;
        Ok(res.user)
    }

    /// `PUT /api/user`.
    pub async fn update_user(
        &self,
        c: Caller<'_>,
        update: UserUpdate,
    ) -> Result<User, ClientError> {
        let body = UserEnvelope { user: update };
        let path = ["api", "user"];
        let res: UserEnvelope<User> = self
            .0
            .call(c, Method::PUT, &path, NO_QUERY, Some(&body))
            .await?;
        Ok(res.user)
    }

    /// `POST /api/articles`.
    pub async fn create_article(
        &self,
        c: Caller<'_>,
        new: NewArticle,
    ) -> Result<Article, ClientError> {
        let body = ArticleEnvelope { article: new };
        let path = ["api", "articles"];
        let res: ArticleEnvelope<Article> = self
            .0
            .call(c, Method::POST, &path, NO_QUERY, Some(&body))
            .await?;
        Ok(res.article)
    }

    /// `PUT /api/articles/{slug}`.
    pub async fn update_article(
        &self,
        c: Caller<'_>,
        slug: &str,
        update: ArticleUpdate,
    ) -> Result<Article, ClientError> {
        let body = ArticleEnvelope { article: update };
        let path = ["api", "articles", slug];
        let res: ArticleEnvelope<Article> = self
            .0
            .call(c, Method::PUT, &path, NO_QUERY, Some(&body))
            .await?;
        Ok(res.article)
    }

    /// `DELETE /api/articles/{slug}`.
    pub async fn delete_article(&self, c: Caller<'_>, slug: &str) -> Result<(), ClientError> {
        let path = ["api", "articles", slug];
        self.0.call_empty(c, Method::DELETE, &path, NO_QUERY).await
    }

    /// `POST /api/articles/{slug}/comments`.
    pub async fn add_comment(
        &self,
        c: Caller<'_>,
        slug: &str,
        body: String,
    ) -> Result<Comment, ClientError> {
        let body = CommentEnvelope {
            comment: NewComment { body: Some(body) },
        };
        let path = ["api", "articles", slug, "comments"];
        let res: CommentEnvelope<Comment> = self
            .0
            .call(c, Method::POST, &path, NO_QUERY, Some(&body))
            .await?;
        Ok(res.comment)
    }

    /// `DELETE /api/articles/{slug}/comments/{id}`.
    pub async fn delete_comment(
        &self,
        c: Caller<'_>,
        slug: &str,
        id: &str,
    ) -> Result<(), ClientError> {
        let path = ["api", "articles", slug, "comments", id];
        self.0.call_empty(c, Method::DELETE, &path, NO_QUERY).await
    }

    /// `POST` (favorite) or `DELETE` (unfavorite) `/api/articles/{slug}/favorite`.
    pub async fn set_favorite(
        &self,
        c: Caller<'_>,
        slug: &str,
        on: bool,
    ) -> Result<(), ClientError> {
        let method = if on { Method::POST } else { Method::DELETE };
        let path = ["api", "articles", slug, "favorite"];
        self.0.call_empty(c, method, &path, NO_QUERY).await
    }

    /// `POST` (follow) or `DELETE` (unfollow) `/api/profiles/{username}/follow`.
    pub async fn set_follow(
        &self,
        c: Caller<'_>,
        username: &str,
        on: bool,
    ) -> Result<(), ClientError> {
        let method = if on { Method::POST } else { Method::DELETE };
        let path = ["api", "profiles", username, "follow"];
        self.0.call_empty(c, method, &path, NO_QUERY).await
    }

    /// `GET /health`: the experience tier answers. Callers' readiness checks use this, not
    /// `/ready`: readiness must not cascade, or one instance draining (its `/ready` at 503)
    /// would fail its callers' checks through the pool.
    pub async fn health(&self, rid: Option<&str>) -> Result<(), ClientError> {
        self.0
            .call_empty(Caller::request(rid), Method::GET, &["health"], NO_QUERY)
            .await
    }
}
