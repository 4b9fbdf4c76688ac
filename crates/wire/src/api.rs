//! The public RealWorld JSON API (`/api`, served by the experience tier), as published in
//! `shared/spec/api.md`: every body wrapped in one root key, camelCase fields, timestamps in
//! ISO 8601 UTC with milliseconds.
//!
//! Request fields are `Option`s so that a missing field becomes the documented
//! `"can't be blank"` error instead of a deserialization error; `Option<Option<T>>` tells an
//! explicit `null` from an absent field where the spec treats them differently.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// `{"user": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEnvelope<T> {
    /// The wrapped value.
    pub user: T,
}

/// `{"article": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleEnvelope<T> {
    /// The wrapped value.
    pub article: T,
}

/// `{"comment": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentEnvelope<T> {
    /// The wrapped value.
    pub comment: T,
}

/// `{"profile": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileEnvelope {
    /// The profile.
    pub profile: Profile,
}

/// `POST /api/users/login` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Password.
    #[serde(default)]
    pub password: Option<String>,
}

/// `POST /api/users` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Password.
    #[serde(default)]
    pub password: Option<String>,
}

/// `PUT /api/user` body: a partial update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    /// New email (`null` is a 422).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<Option<String>>,
    /// New username (`null` is a 422).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<Option<String>>,
    /// New password (`null` is a 422).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub password: Option<Option<String>>,
    /// New image URL (`null` or `""` clears it).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub image: Option<Option<String>>,
    /// New bio (`null` or `""` clears it).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub bio: Option<Option<String>>,
}

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Email.
    pub email: String,
    /// A token for the `Authorization: Token <token>` header.
    pub token: String,
    /// Username.
    pub username: String,
    /// Bio, `null` when unset.
    pub bio: Option<String>,
    /// Image URL, `null` when unset.
    pub image: Option<String>,
}

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Username.
    pub username: String,
    /// Bio.
    pub bio: Option<String>,
    /// Image URL.
    pub image: Option<String>,
    /// Whether the caller follows this user (`false` when anonymous).
    pub following: bool,
}

/// `POST /api/articles` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewArticle {
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Markdown body.
    #[serde(default)]
    pub body: Option<String>,
    /// Tags (`null` is a 422).
    #[serde(
        rename = "tagList",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub tag_list: Option<Option<Vec<String>>>,
}

/// `PUT /api/articles/:slug` body: a partial update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleUpdate {
    /// New title (`null` is a 422).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub title: Option<Option<String>>,
    /// New description (`null` is a 422).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<Option<String>>,
    /// New body (`null` is a 422).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub body: Option<Option<String>>,
    /// New tags: absent keeps them, `[]` removes them all, `null` is a 422.
    #[serde(
        rename = "tagList",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub tag_list: Option<Option<Vec<String>>>,
}

/// An article. Lists leave out `body`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    /// Unique URL name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Markdown body; absent in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Tags, sorted.
    pub tag_list: Vec<String>,
    /// Creation time.
    #[serde(with = "crate::time::millis")]
    pub created_at: DateTime<Utc>,
    /// Last update time.
    #[serde(with = "crate::time::millis")]
    pub updated_at: DateTime<Utc>,
    /// Whether the caller favorited it.
    pub favorited: bool,
    /// Exact number of favorites.
    pub favorites_count: i64,
    /// The author.
    pub author: Profile,
}

/// `{"articles": [...], "articlesCount": n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Articles {
    /// One page, newest first, without bodies.
    pub articles: Vec<Article>,
    /// All matches, ignoring limit and offset.
    pub articles_count: i64,
}

/// `POST /api/articles/:slug/comments` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewComment {
    /// Text.
    #[serde(default)]
    pub body: Option<String>,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Id, for deleting it.
    pub id: i64,
    /// Creation time.
    #[serde(with = "crate::time::millis")]
    pub created_at: DateTime<Utc>,
    /// Last update time.
    #[serde(with = "crate::time::millis")]
    pub updated_at: DateTime<Utc>,
    /// Text.
    pub body: String,
    /// The commenter.
    pub author: Profile,
}

/// `{"comments": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comments {
    /// Oldest first.
    pub comments: Vec<Comment>,
}

/// `{"tags": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags {
    /// Every tag in use.
    pub tags: Vec<String>,
}

fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn articles_serialize_camel_case_with_millisecond_times_and_no_body_in_lists() {
        let t = Utc.with_ymd_and_hms(2016, 2, 18, 3, 22, 56).unwrap()
            + chrono::Duration::milliseconds(637);
        let article = Article {
            slug: "s".into(),
            title: "t".into(),
            description: "d".into(),
            body: None,
            tag_list: vec![],
            created_at: t,
            updated_at: t,
            favorited: false,
            favorites_count: 0,
            author: Profile {
                username: "u".into(),
                bio: None,
                image: None,
                following: false,
            },
        };
        let json = serde_json::to_value(&article).unwrap();
        assert_eq!(json["createdAt"], "2016-02-18T03:22:56.637Z");
        assert_eq!(json["tagList"], serde_json::json!([]));
        assert_eq!(json["favoritesCount"], 0);
        assert!(json.get("body").is_none());
    }

    #[test]
    fn updates_tell_null_from_absent() {
        let u: UserUpdate = serde_json::from_str(r#"{"bio":null,"email":"a@b"}"#).unwrap();
        assert_eq!(u.bio, Some(None));
        assert_eq!(u.email, Some(Some("a@b".into())));
        assert_eq!(u.image, None);
        let a: ArticleUpdate = serde_json::from_str(r#"{"tagList":null}"#).unwrap();
        assert_eq!(a.tag_list, Some(None));
    }
}
