//! Favorites: idempotent, the stored counts moving only on a real change.

use conduit_wire::models::Article;
use diesel::prelude::*;

use super::{get, id_by_slug};
use crate::db::DbConnection;
use crate::db::schema::{articles, favorites, users};
use crate::error::Error;
use crate::per_backend;

/// `user_id` favorites the article (idempotent); the counts move only on a real change.
pub fn favorite(conn: &mut DbConnection, slug: &str, user_id: i64) -> Result<Article, Error> {
    conn.transaction(|conn| {
        let (id, created_at) = id_by_slug(conn, slug)?;
        let values = (
            favorites::user_id.eq(user_id),
            favorites::article_id.eq(id),
            favorites::article_created_at.eq(created_at),
        );
        let inserted = per_backend!(conn, |c| diesel::insert_into(favorites::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c))?;
        if inserted > 0 {
            count_favorite(conn, id, user_id, 1)?;
        }
        Ok::<_, Error>(())
    })?;
    get(conn, slug, Some(user_id))
}

/// `user_id` unfavorites the article (idempotent).
pub fn unfavorite(conn: &mut DbConnection, slug: &str, user_id: i64) -> Result<Article, Error> {
    conn.transaction(|conn| {
        let (id, _) = id_by_slug(conn, slug)?;
        let deleted = diesel::delete(
            favorites::table
                .filter(favorites::user_id.eq(user_id))
                .filter(favorites::article_id.eq(id)),
        )
        .execute(conn)?;
        if deleted > 0 {
            count_favorite(conn, id, user_id, -1)?;
        }
        Ok::<_, Error>(())
    })?;
    get(conn, slug, Some(user_id))
}

fn count_favorite(conn: &mut DbConnection, article: i64, user: i64, by: i64) -> Result<(), Error> {
    diesel::update(articles::table.filter(articles::id.eq(article)))
        .set(articles::favorites_count.eq(articles::favorites_count + by))
        .execute(conn)?;
    diesel::update(users::table.filter(users::id.eq(user)))
        .set(users::favorites_count.eq(users::favorites_count + by))
        .execute(conn)?;
    Ok(())
}
