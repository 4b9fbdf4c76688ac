//! Profiles (users as others see them) and follows.

use std::collections::HashSet;

use conduit_wire::models::{MAX_VIEWING, Profile, Viewing, ViewingQuery};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{articles, favorites, follows, users};
use crate::error::Error;
use crate::per_backend;

/// The columns of a [`ProfileRow`].
pub const PROFILE_COLUMNS: (users::id, users::username, users::bio, users::image) =
    (users::id, users::username, users::bio, users::image);

/// A user's public columns.
#[derive(Debug, Clone, Queryable)]
pub struct ProfileRow {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Bio.
    pub bio: Option<String>,
    /// Image URL.
    pub image: Option<String>,
}

impl ProfileRow {
    /// The wire profile, with the viewer's flag.
    pub fn into_profile(self, following: bool) -> Profile {
        Profile {
            id: self.id,
            username: self.username,
            bio: self.bio,
            image: self.image,
            following,
        }
    }
}

/// A profile by username, with whether `viewer` follows it.
pub fn get(conn: &mut DbConnection, username: &str, viewer: Option<i64>) -> Result<Profile, Error> {
    let row = row_by_username(conn, username)?;
    let following = match viewer {
        Some(v) => !followed_among(conn, v, &[row.id])?.is_empty(),
        None => false,
    };
    Ok(row.into_profile(following))
}

/// `follower` follows `username` (idempotent); following oneself is a 422.
pub fn follow(conn: &mut DbConnection, follower: i64, username: &str) -> Result<Profile, Error> {
    let row = row_by_username(conn, username)?;
    if row.id == follower {
        return Err(Error::invalid("profile", "cannot follow yourself"));
    }
    let values = (
        follows::follower_id.eq(follower),
        follows::followee_id.eq(row.id),
    );
    per_backend!(conn, |c| diesel::insert_into(follows::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(row.into_profile(true))
}

/// `follower` stops following `username` (idempotent).
pub fn unfollow(conn: &mut DbConnection, follower: i64, username: &str) -> Result<Profile, Error> {
    let row = row_by_username(conn, username)?;
    diesel::delete(
        follows::table
            .filter(follows::follower_id.eq(follower))
            .filter(follows::followee_id.eq(row.id)),
    )
    .execute(conn)?;
    Ok(row.into_profile(false))
}

/// Which of `ids` the viewer follows: one statement for a whole page.
pub fn followed_among(
    conn: &mut DbConnection,
    viewer: i64,
    ids: &[i64],
) -> Result<HashSet<i64>, Error> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<i64> = follows::table
        .filter(follows::follower_id.eq(viewer))
        .filter(follows::followee_id.eq_any(ids))
        .select(follows::followee_id)
        .load(conn)?;
    Ok(found.into_iter().collect())
}

fn row_by_username(conn: &mut DbConnection, username: &str) -> Result<ProfileRow, Error> {
    users::table
        .filter(crate::queries::users::username_is(username))
        .select(PROFILE_COLUMNS)
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("profile"))
}

/// User `id` and which of `query`'s articles they favorited and authors they follow: three
/// index lookups whatever the page (a slug by its unique index then the favorite by its key;
/// the reader's follows by their key, joined to the authors).
pub fn viewing(conn: &mut DbConnection, id: i64, query: &ViewingQuery) -> Result<Viewing, Error> {
    for (name, asked) in [("slugs", &query.slugs), ("authors", &query.authors)] {
        if asked.len() > MAX_VIEWING {
            return Err(Error::invalid(name, "at most 100"));
        }
    }
    let user = super::users::by_id(conn, id)?;
    let favorited = if query.slugs.is_empty() {
        Vec::new()
    } else {
        let favorited = articles::table
            .inner_join(
                favorites::table.on(favorites::article_id
                    .eq(articles::id)
                    .and(favorites::user_id.eq(id))),
            )
            .filter(articles::slug.eq_any(&query.slugs))
            .select(articles::slug);
        per_backend!(conn, |c| favorited.load(c))?
    };
    let following = if query.authors.is_empty() {
        Vec::new()
    } else {
        let following = follows::table
            .inner_join(users::table.on(users::id.eq(follows::followee_id)))
            .filter(follows::follower_id.eq(id))
            .filter(users::username.eq_any(&query.authors))
            .select(users::username);
        per_backend!(conn, |c| following.load(c))?
    };
    Ok(Viewing {
        user,
        favorited,
        following,
    })
}
