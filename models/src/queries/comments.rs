//! Comments on an article.

use conduit_wire::models::{Comment, NewComment};
use diesel::prelude::*;

use super::articles::id_by_slug;
use super::profiles::{PROFILE_COLUMNS, ProfileRow, followed_among};
use super::{now, require, utc};
use crate::db::DbConnection;
use crate::db::schema::{comments, users};
use crate::error::Error;

type CommentRow = (i64, String, chrono::NaiveDateTime, chrono::NaiveDateTime);

const COMMENT_COLUMNS: (
    comments::id,
    comments::body,
    comments::created_at,
    comments::updated_at,
) = (
    comments::id,
    comments::body,
    comments::created_at,
    comments::updated_at,
);

/// The article's comments, oldest first, with authors and the viewer's `following` flags.
pub fn list(
    conn: &mut DbConnection,
    slug: &str,
    viewer: Option<i64>,
) -> Result<Vec<Comment>, Error> {
    let (article_id, _) = id_by_slug(conn, slug)?;
    let rows: Vec<(CommentRow, ProfileRow)> = comments::table
        .inner_join(users::table)
        .filter(comments::article_id.eq(article_id))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select((COMMENT_COLUMNS, PROFILE_COLUMNS))
        .load(conn)?;
    let following = match viewer {
        Some(v) => {
            let authors: Vec<i64> = rows.iter().map(|(_, a)| a.id).collect();
            followed_among(conn, v, &authors)?
        }
        None => Default::default(),
    };
    Ok(rows
        .into_iter()
        .map(|(c, author)| {
            let follows = following.contains(&author.id);
            to_wire(c, author.into_profile(follows))
        })
        .collect())
}

/// Adds a comment by `new.author_id`.
pub fn create(conn: &mut DbConnection, slug: &str, new: &NewComment) -> Result<Comment, Error> {
    require(&[("body", &new.body)])?;
    let (article_id, _) = id_by_slug(conn, slug)?;
    let author: ProfileRow = users::table
        .filter(users::id.eq(new.author_id))
        .select(PROFILE_COLUMNS)
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::invalid("author_id", "does not exist"))?;
    let at = now();
    let row: CommentRow = diesel::insert_into(comments::table)
        .values((
            comments::article_id.eq(article_id),
            comments::author_id.eq(new.author_id),
            comments::body.eq(&new.body),
            comments::created_at.eq(at),
            comments::updated_at.eq(at),
        ))
        .returning(COMMENT_COLUMNS)
        .get_result(conn)?;
    Ok(to_wire(row, author.into_profile(false)))
}

/// Deletes comment `id` of the article, if `author_id` wrote it.
pub fn delete(conn: &mut DbConnection, slug: &str, id: i64, author_id: i64) -> Result<(), Error> {
    let (article_id, _) = id_by_slug(conn, slug)?;
    let owner: i64 = comments::table
        .filter(comments::id.eq(id))
        .filter(comments::article_id.eq(article_id))
        .select(comments::author_id)
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("comment"))?;
    if owner != author_id {
        return Err(Error::Forbidden("comment"));
    }
    diesel::delete(comments::table.filter(comments::id.eq(id))).execute(conn)?;
    Ok(())
}

fn to_wire(
    (id, body, created_at, updated_at): CommentRow,
    author: conduit_wire::models::Profile,
) -> Comment {
    Comment {
        id,
        created_at: utc(created_at),
        updated_at: utc(updated_at),
        body,
        author,
    }
}
