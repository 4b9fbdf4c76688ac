//! The internal JSON API of the models tier (the only tier with a database).
//!
//! Shaped for its callers: a list answer carries everything a page shows (authors, tags,
//! favorite counts and the viewer's flags), so no caller ever loops over ids.
//! Viewer-relative flags (`following`, `favorited`) are computed for the user id given as the
//! `viewer` query parameter, and are `false` without one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// A stored user, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Database id; stable for the life of the account (tokens refer to it).
    pub id: i64,
    /// Unique without case (see `conduit_wire::identity`), shown as its owner chose it.
    pub username: String,
    /// Unique without case, stored as given.
    pub email: String,
    /// Free text, `None` when unset.
    pub bio: Option<String>,
    /// Image URL, `None` when unset.
    pub image: Option<String>,
    /// The session generation: tokens carry it, and one from an older generation is no
    /// longer valid (a password change or "sign out everywhere" bumps it).
    #[serde(default)]
    pub session_generation: i64,
}

/// `POST /users/{id}/viewing`: a signed-in reader's own flags on articles and authors
/// that every reader otherwise sees alike (experience shares the rest between readers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewingQuery {
    /// Articles whose `favorited` flag is wanted (at most [`MAX_VIEWING`]).
    #[serde(default)]
    pub slugs: Vec<String>,
    /// Usernames, as shown, whose `following` flag is wanted (at most [`MAX_VIEWING`]).
    #[serde(default)]
    pub authors: Vec<String>,
}

/// Most slugs, and most authors, one [`ViewingQuery`] asks about: a page's worth.
pub const MAX_VIEWING: usize = 100;

/// The answer to a [`ViewingQuery`]: the reader (whose session generation the caller checks)
/// and which of the asked articles and authors they favorited and follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewing {
    /// The reader.
    pub user: User,
    /// The asked slugs the reader favorited.
    pub favorited: Vec<String>,
    /// The asked usernames the reader follows.
    pub following: Vec<String>,
}

/// `POST /users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// Must not be taken (409 otherwise).
    pub username: String,
    /// Must not be taken (409 otherwise).
    pub email: String,
    /// An encoded password hash (PHC string); the models tier never sees passwords.
    pub password_hash: String,
}

/// `PATCH /users/{id}`: only the fields present change.
///
/// For `bio` and `image`, an absent field keeps the value and an explicit `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPatch {
    /// New username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// New email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// New password hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// `Some(None)` clears the bio.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub bio: Option<Option<String>>,
    /// `Some(None)` clears the image.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub image: Option<Option<String>>,
    /// Ends every session: the session generation goes up by one, so every token issued
    /// before is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end_sessions: bool,
}

/// `POST /credentials`: the lookup a login needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsQuery {
    /// The email the user signs in with.
    pub email: String,
}

/// The only answer of the models API that carries a password hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The user the hash belongs to.
    pub user: User,
    /// Encoded password hash (PHC string).
    pub password_hash: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Database id of the user.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Bio, `None` when unset.
    pub bio: Option<String>,
    /// Image URL, `None` when unset.
    pub image: Option<String>,
    /// Whether the viewer follows this user.
    pub following: bool,
}

/// Query string of every read that has viewer-relative flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerQuery {
    /// The user looking, if signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer: Option<i64>,
}

/// `POST /articles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewArticle {
    /// The author's user id.
    pub author_id: i64,
    /// Title; the slug is made from it.
    pub title: String,
    /// One-line summary.
    pub description: String,
    /// Markdown body.
    pub body: String,
    /// Tags; duplicates are dropped.
    #[serde(default)]
    pub tag_list: Vec<String>,
}

/// `PATCH /articles/{slug}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticlePatch {
    /// Precondition: the article's author. Another user gets 403 and nothing changes.
    pub author_id: i64,
    /// New title (the slug follows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// New tags; `Some(vec![])` removes them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_list: Option<Vec<String>>,
}

/// Query string of `GET /tags`: at most `limit` tags, the most used first (all when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TagsQuery {
    /// How many of the most used tags (1 to 1000).
    pub limit: Option<i64>,
}

/// Query string of the deletes that only the owner may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerQuery {
    /// Precondition: the owner's user id. Another user gets 403 and nothing changes.
    pub author_id: i64,
}

/// An article in a list: everything but the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleSummary {
    /// Database id.
    pub id: i64,
    /// Unique URL name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// One-line summary.
    pub description: String,
    /// Tags, sorted.
    pub tag_list: Vec<String>,
    /// Creation time (UTC).
    #[serde(with = "crate::time::micros")]
    pub created_at: DateTime<Utc>,
    /// Last update time (UTC).
    #[serde(with = "crate::time::micros")]
    pub updated_at: DateTime<Utc>,
    /// Whether the viewer favorited it.
    pub favorited: bool,
    /// Exact number of users who favorited it.
    pub favorites_count: i64,
    /// The author, with the viewer's `following` flag.
    pub author: Profile,
}

/// A whole article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Everything a list shows.
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Markdown body.
    pub body: String,
}

/// `GET /articles` query: filters combine; ordered newest first (`created_at`, then id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleQuery {
    /// Only articles with this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Only articles by this username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Only articles favorited by this username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favorited: Option<String>,
    /// Only articles by authors this user id follows (the feed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<i64>,
    /// The user looking, for the `favorited`/`following` flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer: Option<i64>,
    /// Page size, 1..=100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Rows to skip (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// `GET /articles` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleList {
    /// One page, newest first.
    pub articles: Vec<ArticleSummary>,
    /// Number of all matches, ignoring limit and offset.
    pub articles_count: i64,
}

/// `POST /articles/{slug}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewComment {
    /// The commenter's user id.
    pub author_id: i64,
    /// Text of the comment.
    pub body: String,
}

/// A comment with its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Database id.
    pub id: i64,
    /// Creation time (UTC).
    #[serde(with = "crate::time::micros")]
    pub created_at: DateTime<Utc>,
    /// Last update time (UTC).
    #[serde(with = "crate::time::micros")]
    pub updated_at: DateTime<Utc>,
    /// Text.
    pub body: String,
    /// The commenter, with the viewer's `following` flag.
    pub author: Profile,
}

/// `GET /articles/{slug}/comments` answer, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentList {
    /// The comments.
    pub comments: Vec<Comment>,
}

/// `GET /tags` answer: every tag in use, most used first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagList {
    /// Tag names.
    pub tags: Vec<String>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_patch_tells_absent_from_null() {
        let patch: UserPatch = serde_json::from_str(r#"{"bio":null}"#).unwrap();
        assert_eq!(patch.bio, Some(None));
        assert_eq!(patch.image, None);
        let patch: UserPatch = serde_json::from_str(r#"{"image":"http://x/y.png"}"#).unwrap();
        assert_eq!(patch.image, Some(Some("http://x/y.png".into())));
        assert_eq!(
            serde_json::to_string(&patch).unwrap(),
            r#"{"image":"http://x/y.png"}"#
        );
    }

    #[test]
    fn credentials_debug_never_prints_the_hash() {
        let creds = Credentials {
            user: User {
                id: 1,
                username: "a".into(),
                email: "a@x".into(),
                bio: None,
                image: None,
                session_generation: 0,
            },
            password_hash: "$argon2id$secret".into(),
        };
        assert!(!format!("{creds:?}").contains("secret"));
    }
}
