//! Articles: create, read, update and delete here; the shape of an article as read
//! (`read`), the filtered lists (`list`), favorites (`favoriting`), slugs (`slugs`).

mod favoriting;
mod list;
mod read;
mod slugs;

use chrono::NaiveDateTime;
use conduit_wire::models::{Article, ArticlePatch, NewArticle};
use diesel::prelude::*;

pub use favoriting::{favorite, unfavorite};
pub use list::list;
pub use read::summaries;
pub use slugs::slugify;

use self::read::{HydratedRow, SUMMARY_COLUMNS, anonymous, hydrated, to_summaries, unflagged};
use self::slugs::{base_of, unique_slug};
use super::profiles::PROFILE_COLUMNS;
use super::tags::{normalize, set_for_article};
use super::{now, require};
use crate::db::DbConnection;
use crate::db::schema::{article_tags, articles, favorites, follows, site_counters, tags, users};
use crate::error::Error;
use crate::per_backend;

/// Creates an article with a unique slug made from its title.
pub fn create(conn: &mut DbConnection, new: &NewArticle) -> Result<Article, Error> {
    require(&[
        ("title", &new.title),
        ("description", &new.description),
        ("body", &new.body),
    ])?;
    let tag_names = normalize(&new.tag_list);
    let slug = conn.transaction(|conn| {
        let bumped = diesel::update(users::table.filter(users::id.eq(new.author_id)))
            .set(users::articles_count.eq(users::articles_count + 1))
            .execute(conn)?;
        if bumped == 0 {
            return Err(Error::invalid("author_id", "does not exist"));
        }
        let slug = unique_slug(conn, &new.title, None)?;
        let at = now();
        let id: i64 = diesel::insert_into(articles::table)
            .values((
                articles::slug.eq(&slug),
                articles::title.eq(&new.title),
                articles::description.eq(&new.description),
                articles::body.eq(&new.body),
                articles::author_id.eq(new.author_id),
                articles::created_at.eq(at),
                articles::updated_at.eq(at),
            ))
            .returning(articles::id)
            .get_result(conn)?;
        bump_site_count(conn, 1)?;
        set_for_article(conn, id, at, &tag_names)?;
        Ok::<_, Error>(slug)
    })?;
    get(conn, &slug, Some(new.author_id))
}

/// A whole article, with the viewer's flags.
pub fn get(conn: &mut DbConnection, slug: &str, viewer: Option<i64>) -> Result<Article, Error> {
    // One statement: the summary's joins (see `summaries`) by slug, with the body; a hot
    // read, so on the concrete connection (see `per_backend!`).
    let row: Option<(HydratedRow, String)> = match viewer {
        Some(viewer) => {
            let query = hydrated!(viewer).filter(articles::slug.eq(slug)).select((
                (
                    SUMMARY_COLUMNS,
                    PROFILE_COLUMNS,
                    favorites::user_id.nullable(),
                    follows::follower_id.nullable(),
                ),
                articles::body,
            ));
            per_backend!(conn, |c| query.first(c).optional())?
        }
        None => {
            let query = anonymous!()
                .filter(articles::slug.eq(slug))
                .select(((SUMMARY_COLUMNS, PROFILE_COLUMNS), articles::body));
            per_backend!(conn, |c| query.first(c).optional())?
                .map(|(row, body)| (unflagged(row), body))
        }
    };
    let (row, body) = row.ok_or(Error::NotFound("article"))?;
    let summary = to_summaries(vec![row])
        .pop()
        .ok_or(Error::NotFound("article"))?;
    Ok(Article { summary, body })
}

/// Applies a partial update, if `patch.author_id` is the author; a new title moves the slug.
pub fn update(conn: &mut DbConnection, slug: &str, patch: &ArticlePatch) -> Result<Article, Error> {
    let mut blank = conduit_wire::ErrorBody::default();
    for (name, value) in [
        ("title", &patch.title),
        ("description", &patch.description),
        ("body", &patch.body),
    ] {
        if value.as_deref().map(str::trim) == Some("") {
            blank.push(name, "can't be blank");
        }
    }
    if !blank.is_empty() {
        return Err(Error::Invalid(blank));
    }
    let new_slug = conn.transaction(|conn| {
        let owned = owned_by(conn, slug, patch.author_id)?;
        let id = owned.id;
        let new_slug = match &patch.title {
            Some(title) if slugify(title) != base_of(slug) => {
                Some(unique_slug(conn, title, Some(id))?)
            }
            _ => None,
        };
        // Strictly later than before, even within the same millisecond.
        let at = now().max(owned.updated_at + chrono::Duration::milliseconds(1));
        diesel::update(articles::table.filter(articles::id.eq(id)))
            .set((
                new_slug.as_ref().map(|s| articles::slug.eq(s)),
                patch.title.as_ref().map(|t| articles::title.eq(t)),
                patch
                    .description
                    .as_ref()
                    .map(|d| articles::description.eq(d)),
                patch.body.as_ref().map(|b| articles::body.eq(b)),
                articles::updated_at.eq(at),
            ))
            .execute(conn)?;
        if let Some(list) = &patch.tag_list {
            set_for_article(conn, id, owned.created_at, &normalize(list))?;
        }
        Ok::<_, Error>(new_slug.unwrap_or_else(|| slug.to_owned()))
    })?;
    get(conn, &new_slug, Some(patch.author_id))
}

/// Deletes an article with its comments, favorites and tag links, if `author_id` wrote it.
pub fn delete(conn: &mut DbConnection, slug: &str, author_id: i64) -> Result<(), Error> {
    conn.transaction(|conn| {
        let id = owned_by(conn, slug, author_id)?.id;
        let tag_ids: Vec<i64> = article_tags::table
            .filter(article_tags::article_id.eq(id))
            .select(article_tags::tag_id)
            .load(conn)?;
        diesel::update(tags::table.filter(tags::id.eq_any(&tag_ids)))
            .set(tags::articles_count.eq(tags::articles_count - 1))
            .execute(conn)?;
        let fans = favorites::table
            .filter(favorites::article_id.eq(id))
            .select(favorites::user_id);
        diesel::update(users::table.filter(users::id.eq_any(fans)))
            .set(users::favorites_count.eq(users::favorites_count - 1))
            .execute(conn)?;
        diesel::update(users::table.filter(users::id.eq(author_id)))
            .set(users::articles_count.eq(users::articles_count - 1))
            .execute(conn)?;
        bump_site_count(conn, -1)?;
        // Comments, favorites and tag links go with it (ON DELETE CASCADE).
        diesel::delete(articles::table.filter(articles::id.eq(id))).execute(conn)?;
        Ok(())
    })
}

/// The id and creation time of an article.
pub fn id_by_slug(conn: &mut DbConnection, slug: &str) -> Result<(i64, NaiveDateTime), Error> {
    articles::table
        .filter(articles::slug.eq(slug))
        .select((articles::id, articles::created_at))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("article"))
}

#[derive(Debug, Queryable)]
struct Owned {
    id: i64,
    author_id: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Checks the article exists (404) and that `author_id` wrote it (403).
fn owned_by(conn: &mut DbConnection, slug: &str, author_id: i64) -> Result<Owned, Error> {
    let row: Owned = articles::table
        .filter(articles::slug.eq(slug))
        .select((
            articles::id,
            articles::author_id,
            articles::created_at,
            articles::updated_at,
        ))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("article"))?;
    if row.author_id != author_id {
        return Err(Error::Forbidden("article"));
    }
    Ok(row)
}

fn bump_site_count(conn: &mut DbConnection, by: i64) -> Result<(), Error> {
    diesel::update(site_counters::table.filter(site_counters::name.eq("articles")))
        .set(site_counters::value.eq(site_counters::value + by))
        .execute(conn)?;
    Ok(())
}
