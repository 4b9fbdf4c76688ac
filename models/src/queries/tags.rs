//! Tags: the popular list, and keeping an article's links and the per-tag counts in step.

use std::collections::BTreeSet;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{article_tags, articles, tags};
use crate::error::Error;
use crate::per_backend;

/// The tags in use, most used first, then by name; the first `limit` of them when given (a
/// walk of the `tags_popular_idx` index: the sidebar's cost does not grow with the tags).
pub fn in_use(conn: &mut DbConnection, limit: Option<i64>) -> Result<Vec<String>, Error> {
    let query = tags::table
        .filter(tags::articles_count.gt(0))
        .order((tags::articles_count.desc(), tags::name.asc()))
        .select(tags::name);
    // A hot read: on the concrete connection (see `per_backend!`).
    Ok(match limit {
        Some(n) => per_backend!(conn, |c| query.limit(n).load(c))?,
        None => per_backend!(conn, |c| query.load(c))?,
    })
}

/// Trims, drops empties and duplicates; sorted.
pub fn normalize(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Makes the article's tags exactly `names` (already normalized), adjusting the per-tag
/// counts of the tags added and removed, and storing the sorted list on the article itself
/// (so pages read it without a join). A constant number of statements, whatever the count.
pub fn set_for_article(
    conn: &mut DbConnection,
    article_id: i64,
    article_created_at: chrono::NaiveDateTime,
    names: &[String],
) -> Result<(), Error> {
    let current: Vec<(i64, String)> = article_tags::table
        .inner_join(tags::table)
        .filter(article_tags::article_id.eq(article_id))
        .select((tags::id, tags::name))
        .load(conn)?;
    let removed: Vec<i64> = current
        .iter()
        .filter(|(_, name)| !names.contains(name))
        .map(|(id, _)| *id)
        .collect();
    let added_names: Vec<&String> = names
        .iter()
        .filter(|n| !current.iter().any(|(_, c)| c == *n))
        .collect();

    diesel::update(articles::table.filter(articles::id.eq(article_id)))
        .set(articles::tag_list.eq(encode(names)))
        .execute(conn)?;
    if !removed.is_empty() {
        diesel::delete(
            article_tags::table
                .filter(article_tags::article_id.eq(article_id))
                .filter(article_tags::tag_id.eq_any(&removed)),
        )
        .execute(conn)?;
        diesel::update(tags::table.filter(tags::id.eq_any(&removed)))
            .set(tags::articles_count.eq(tags::articles_count - 1))
            .execute(conn)?;
    }
    if !added_names.is_empty() {
        let ids = ensure(conn, &added_names)?;
        let links: Vec<_> = ids
            .iter()
            .map(|id| {
                (
                    article_tags::article_id.eq(article_id),
                    article_tags::tag_id.eq(*id),
                    article_tags::article_created_at.eq(article_created_at),
                )
            })
            .collect();
        per_backend!(conn, |c| diesel::insert_into(article_tags::table)
            .values(&links)
            .execute(c))?;
        diesel::update(tags::table.filter(tags::id.eq_any(&ids)))
            .set(tags::articles_count.eq(tags::articles_count + 1))
            .execute(conn)?;
    }
    Ok(())
}

/// The stored form of a tag list: a JSON array.
pub fn encode(names: &[String]) -> String {
    serde_json::to_string(names).unwrap_or_else(|_| "[]".to_owned())
}

/// The ids of `names`, creating the missing tags.
fn ensure(conn: &mut DbConnection, names: &[&String]) -> Result<Vec<i64>, Error> {
    let rows: Vec<_> = names.iter().map(|n| tags::name.eq(n.as_str())).collect();
    per_backend!(conn, |c| diesel::insert_into(tags::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(tags::table
        .filter(tags::name.eq_any(names))
        .select(tags::id)
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_trims_dedupes_and_sorts() {
        let input = ["rust", " web ", "", "rust", "Axum"].map(String::from);
        assert_eq!(normalize(&input), ["Axum", "rust", "web"]);
    }
}
