//! An article as every read returns it: its summary (author, stored tags, counts) and the
//! viewer's flags, in one statement (`hydrated!`). A read without a viewer has no flags to
//! find, so it runs a statement without the two joins that find them (`anonymous!`): most
//! reads are anonymous, and the joins were most of their cost in PostgreSQL.

use chrono::NaiveDateTime;
use conduit_wire::models::ArticleSummary;
use diesel::prelude::*;

use super::super::profiles::{PROFILE_COLUMNS, ProfileRow};
use super::super::utc;
use crate::db::DbConnection;
use crate::db::schema::{articles, favorites, follows, users};
use crate::error::Error;
use crate::per_backend;

/// Articles with their authors and the viewer's flags (favorited, following the author)
/// through two left joins; `$viewer` is an id, -1 for nobody.
macro_rules! hydrated {
    ($viewer:expr) => {{
        let viewer: i64 = $viewer;
        articles::table
            .inner_join(users::table)
            .left_join(
                favorites::table.on(favorites::article_id
                    .eq(articles::id)
                    .and(favorites::user_id.eq(viewer))),
            )
            .left_join(
                follows::table.on(follows::followee_id
                    .eq(articles::author_id)
                    .and(follows::follower_id.eq(viewer))),
            )
    }};
}
pub(super) use hydrated;

/// Articles with their authors, for a read without a viewer (no flags to find).
macro_rules! anonymous {
    () => {
        articles::table.inner_join(users::table)
    };
}
pub(super) use anonymous;

/// The columns of a summary, in [`SummaryRow`]'s order.
pub(super) const SUMMARY_COLUMNS: (
    articles::id,
    articles::slug,
    articles::title,
    articles::description,
    articles::tag_list,
    articles::favorites_count,
    articles::created_at,
    articles::updated_at,
) = (
    articles::id,
    articles::slug,
    articles::title,
    articles::description,
    articles::tag_list,
    articles::favorites_count,
    articles::created_at,
    articles::updated_at,
);

#[derive(Debug, Queryable)]
pub(super) struct SummaryRow {
    id: i64,
    slug: String,
    title: String,
    description: String,
    tag_list: String,
    favorites_count: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A summary row, its author, and the viewer's favorite and follow (when any).
pub(super) type HydratedRow = (SummaryRow, ProfileRow, Option<i64>, Option<i64>);

/// The summaries of articles `ids`, newest first, in ONE statement: articles with their
/// authors and the stored tag list, and for a viewer, the viewer's flags through two left
/// joins.
pub fn summaries(
    conn: &mut DbConnection,
    ids: &[i64],
    viewer: Option<i64>,
) -> Result<Vec<ArticleSummary>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let newest = (articles::created_at.desc(), articles::id.desc());
    // Each runs on the concrete connection: PostgreSQL then binds the ids as one array
    // (`= ANY($1)`) and reuses the prepared statement, where the multi-backend type would
    // write `IN ($1, $2, ...)`, which diesel never caches.
    let rows: Vec<HydratedRow> = match viewer {
        Some(viewer) => {
            let query = hydrated!(viewer)
                .filter(articles::id.eq_any(ids))
                .order(newest)
                .select((
                    SUMMARY_COLUMNS,
                    PROFILE_COLUMNS,
                    favorites::user_id.nullable(),
                    follows::follower_id.nullable(),
                ));
            per_backend!(conn, |c| query.load(c))?
        }
        None => {
            let query = anonymous!()
                .filter(articles::id.eq_any(ids))
                .order(newest)
                .select((SUMMARY_COLUMNS, PROFILE_COLUMNS));
            let rows: Vec<(SummaryRow, ProfileRow)> = per_backend!(conn, |c| query.load(c))?;
            rows.into_iter().map(unflagged).collect()
        }
    };
    Ok(to_summaries(rows))
}

/// An anonymous read's row: no favorite, no follow.
pub(super) fn unflagged((summary, author): (SummaryRow, ProfileRow)) -> HydratedRow {
    (summary, author, None, None)
}

/// Rows to summaries, in their order.
pub(super) fn to_summaries(rows: Vec<HydratedRow>) -> Vec<ArticleSummary> {
    rows.into_iter()
        .map(|(a, author, favorited, following)| ArticleSummary {
            id: a.id,
            slug: a.slug,
            title: a.title,
            description: a.description,
            tag_list: decode_tags(&a.tag_list),
            created_at: utc(a.created_at),
            updated_at: utc(a.updated_at),
            favorited: favorited.is_some(),
            favorites_count: a.favorites_count,
            author: author.into_profile(following.is_some()),
        })
        .collect()
}

/// The stored tag list (a JSON array of sorted names, kept by `set_for_article`).
fn decode_tags(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_else(|e| {
        tracing::error!(%e, stored, "unreadable stored tag list");
        Vec::new()
    })
}
