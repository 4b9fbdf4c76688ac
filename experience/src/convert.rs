//! From the models tier's types to the public API's.

use conduit_wire::api;
use conduit_wire::models;

/// A models profile as the API shows it.
pub fn profile(p: models::Profile) -> api::Profile {
    api::Profile {
        username: p.username,
        bio: p.bio,
        image: p.image,
        following: p.following,
    }
}

/// A list entry (no body).
pub fn summary(a: models::ArticleSummary) -> api::Article {
    api::Article {
        slug: a.slug,
        title: a.title,
        description: a.description,
        body: None,
        tag_list: a.tag_list,
        created_at: a.created_at,
        updated_at: a.updated_at,
        favorited: a.favorited,
        favorites_count: a.favorites_count,
        author: profile(a.author),
    }
}

/// A whole article.
pub fn article(a: models::Article) -> api::Article {
    api::Article {
        body: Some(a.body),
        ..summary(a.summary)
    }
}

pub fn comment(c: models::Comment) -> api::Comment {
    api::Comment {
        id: c.id,
        created_at: c.created_at,
        updated_at: c.updated_at,
        body: c.body,
        author: profile(c.author),
    }
}

/// The signed-in user with a token.
pub fn user(u: models::User, token: String) -> api::User {
    api::User {
        email: u.email,
        token,
        username: u.username,
        bio: u.bio,
        image: u.image,
    }
}
