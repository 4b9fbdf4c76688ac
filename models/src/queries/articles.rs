//! Articles: create, read, update, delete, favorites, and the filtered lists.
//!
//! A list is three steps, each a fixed number of statements whatever the page size:
//! 1. resolve the filters (tag name, usernames) to ids, reading the stored totals on the way;
//! 2. load one page of article ids from the index that matches the main filter
//!    (`article_tags` for a tag, `favorites` for favorited-by, `articles` otherwise);
//! 3. hydrate the page: articles with authors, tags, and the viewer's flags.

use chrono::NaiveDateTime;
use conduit_wire::models::{
    Article, ArticleList, ArticlePatch, ArticleQuery, ArticleSummary, NewArticle,
};
use diesel::prelude::*;

use super::profiles::{PROFILE_COLUMNS, ProfileRow};
use super::tags::{normalize, set_for_article};
use super::{Db, now, require, utc};
use crate::db::DbConnection;
use crate::db::schema::{article_tags, articles, favorites, follows, site_counters, tags, users};
use crate::error::Error;
use crate::per_backend;

/// Largest page a list returns.
pub const MAX_LIMIT: i64 = 100;
/// Page size when the caller gives none.
pub const DEFAULT_LIMIT: i64 = 20;

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

const SUMMARY_COLUMNS: (
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
struct SummaryRow {
    id: i64,
    slug: String,
    title: String,
    description: String,
    tag_list: String,
    favorites_count: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

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
    // One statement: the summary's joins (see `summaries`) by slug, with the body.
    let row: Option<(HydratedRow, String)> = hydrated!(viewer.unwrap_or(-1))
        .filter(articles::slug.eq(slug))
        .select((
            (
                SUMMARY_COLUMNS,
                PROFILE_COLUMNS,
                favorites::user_id.nullable(),
                follows::follower_id.nullable(),
            ),
            articles::body,
        ))
        .first(conn)
        .optional()?;
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

/// One page of articles matching the filters, newest first, with the total count.
pub fn list(conn: &mut DbConnection, q: &ArticleQuery) -> Result<ArticleList, Error> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let offset = q.offset.unwrap_or(0);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 100"));
    }
    if offset < 0 {
        return Err(Error::invalid("offset", "must be 0 or more"));
    }
    let empty = || ArticleList {
        articles: Vec::new(),
        articles_count: 0,
    };

    // Step 1: filters to ids, with the stored total of each.
    let mut totals = Vec::new();
    let tag = match &q.tag {
        Some(name) => match tag_by_name(conn, name)? {
            Some((id, n)) => {
                totals.push(n);
                Some(id)
            }
            None => return Ok(empty()),
        },
        None => None,
    };
    let author = match &q.author {
        Some(name) => match user_counts(conn, name)? {
            Some((id, articles, _)) => {
                totals.push(articles);
                Some(id)
            }
            None => return Ok(empty()),
        },
        None => None,
    };
    let favorited = match &q.favorited {
        Some(name) => match user_counts(conn, name)? {
            Some((id, _, favorites)) => {
                totals.push(favorites);
                Some(id)
            }
            None => return Ok(empty()),
        },
        None => None,
    };
    let feed = q.feed;
    if let Some(viewer) = feed {
        totals.push(feed_total(conn, viewer)?);
    }

    // Step 2: one page of ids, driven by the index of the most selective stored relation.
    // A single filter (the common case) is a plain query whose prepared statement the
    // connection caches; combinations are built as boxed queries (never cached).
    let filters = Filters {
        author,
        feed,
        favorited,
    };
    let page = Page { limit, offset };
    let single = [
        tag.is_some(),
        author.is_some(),
        favorited.is_some(),
        feed.is_some(),
    ]
    .iter()
    .filter(|f| **f)
    .count()
        <= 1;
    let (ids, articles_count) = if single {
        let ids = page.single_filter(conn, tag, filters)?;
        let count = match totals.as_slice() {
            [n] => *n,
            _ => site_count(conn)?,
        };
        (ids, count)
    } else {
        page.combined(conn, tag, filters)?
    };

    // Step 3: hydrate the page.
    Ok(ArticleList {
        articles: summaries(conn, &ids, q.viewer)?,
        articles_count,
    })
}

/// Paging of a list query.
#[derive(Debug, Clone, Copy)]
struct Page {
    limit: i64,
    offset: i64,
}

impl Page {
    /// Ids of one page for at most one filter; each arm is a plain query, so its prepared
    /// statement is cached, and each is one range scan of the filter's index.
    ///
    /// (Folding this into the hydration as `id = ANY(SELECT ... LIMIT $n)` saves a round
    /// trip, but a generic plan cannot see the LIMIT and chose a sequential scan of the
    /// whole table at 1M articles; two statements keep both plans index-driven.)
    fn single_filter(
        self,
        conn: &mut DbConnection,
        tag: Option<i64>,
        f: Filters,
    ) -> Result<Vec<i64>, Error> {
        let Page { limit, offset } = self;
        let newest = (articles::created_at.desc(), articles::id.desc());
        let ids = if let Some(tag) = tag {
            article_tags::table
                .filter(article_tags::tag_id.eq(tag))
                .select(article_tags::article_id)
                .order((
                    article_tags::article_created_at.desc(),
                    article_tags::article_id.desc(),
                ))
                .limit(limit)
                .offset(offset)
                .load(conn)?
        } else if let Some(user) = f.favorited {
            favorites::table
                .filter(favorites::user_id.eq(user))
                .select(favorites::article_id)
                .order((
                    favorites::article_created_at.desc(),
                    favorites::article_id.desc(),
                ))
                .limit(limit)
                .offset(offset)
                .load(conn)?
        } else if let Some(author) = f.author {
            articles::table
                .filter(articles::author_id.eq(author))
                .select(articles::id)
                .order(newest)
                .limit(limit)
                .offset(offset)
                .load(conn)?
        } else if let Some(viewer) = f.feed {
            articles::table
                .filter(articles::author_id.eq_any(followed_by(viewer)))
                .select(articles::id)
                .order(newest)
                .limit(limit)
                .offset(offset)
                .load(conn)?
        } else {
            articles::table
                .select(articles::id)
                .order(newest)
                .limit(limit)
                .offset(offset)
                .load(conn)?
        };
        Ok(ids)
    }

    /// Ids of one page and the exact count, for two or more filters.
    fn combined(
        self,
        conn: &mut DbConnection,
        tag: Option<i64>,
        filters: Filters,
    ) -> Result<(Vec<i64>, i64), Error> {
        let Page { limit, offset } = self;
        if let Some(tag) = tag {
            let base = || {
                filters.restrict_tag_links(
                    article_tags::table
                        .filter(article_tags::tag_id.eq(tag))
                        .into_boxed(),
                )
            };
            let ids = base()
                .select(article_tags::article_id)
                .order((
                    article_tags::article_created_at.desc(),
                    article_tags::article_id.desc(),
                ))
                .limit(limit)
                .offset(offset)
                .load::<i64>(conn)?;
            Ok((ids, base().count().get_result(conn)?))
        } else if let Some(user) = filters.favorited {
            let base = || {
                filters.restrict_favorites(
                    favorites::table
                        .filter(favorites::user_id.eq(user))
                        .into_boxed(),
                )
            };
            let ids = base()
                .select(favorites::article_id)
                .order((
                    favorites::article_created_at.desc(),
                    favorites::article_id.desc(),
                ))
                .limit(limit)
                .offset(offset)
                .load::<i64>(conn)?;
            Ok((ids, base().count().get_result(conn)?))
        } else {
            let base = || filters.restrict_articles(articles::table.into_boxed());
            let ids = base()
                .select(articles::id)
                .order((articles::created_at.desc(), articles::id.desc()))
                .limit(limit)
                .offset(offset)
                .load::<i64>(conn)?;
            Ok((ids, base().count().get_result(conn)?))
        }
    }
}

/// The filters that are not the driving relation of a list query.
#[derive(Debug, Clone, Copy)]
struct Filters {
    author: Option<i64>,
    feed: Option<i64>,
    favorited: Option<i64>,
}

type BoxedArticles<'a> = articles::BoxedQuery<'a, Db>;
type BoxedTagLinks<'a> = article_tags::BoxedQuery<'a, Db>;
type BoxedFavorites<'a> = favorites::BoxedQuery<'a, Db>;

impl Filters {
    fn restrict_articles(self, mut q: BoxedArticles<'static>) -> BoxedArticles<'static> {
        if let Some(author) = self.author {
            q = q.filter(articles::author_id.eq(author));
        }
        if let Some(viewer) = self.feed {
            q = q.filter(articles::author_id.eq_any(followed_by(viewer)));
        }
        if let Some(user) = self.favorited {
            q = q.filter(articles::id.eq_any(favorited_by(user)));
        }
        q
    }

    fn restrict_tag_links(self, mut q: BoxedTagLinks<'static>) -> BoxedTagLinks<'static> {
        if let Some(author) = self.author {
            q = q.filter(article_tags::article_id.eq_any(written_by(author)));
        }
        if let Some(viewer) = self.feed {
            q = q.filter(article_tags::article_id.eq_any(in_feed_of(viewer)));
        }
        if let Some(user) = self.favorited {
            q = q.filter(article_tags::article_id.eq_any(favorited_by(user)));
        }
        q
    }

    fn restrict_favorites(self, mut q: BoxedFavorites<'static>) -> BoxedFavorites<'static> {
        if let Some(author) = self.author {
            q = q.filter(favorites::article_id.eq_any(written_by(author)));
        }
        if let Some(viewer) = self.feed {
            q = q.filter(favorites::article_id.eq_any(in_feed_of(viewer)));
        }
        q
    }
}

// Subqueries the filters are made of (diesel cannot nest a boxed query through the
// multi-backend connection, so each is a plain select).

#[diesel::dsl::auto_type]
fn followed_by(viewer: i64) -> _ {
    follows::table
        .filter(follows::follower_id.eq(viewer))
        .select(follows::followee_id)
}

#[diesel::dsl::auto_type]
fn favorited_by(user: i64) -> _ {
    favorites::table
        .filter(favorites::user_id.eq(user))
        .select(favorites::article_id)
}

#[diesel::dsl::auto_type]
fn written_by(author: i64) -> _ {
    articles::table
        .filter(articles::author_id.eq(author))
        .select(articles::id)
}

#[diesel::dsl::auto_type]
fn in_feed_of(viewer: i64) -> _ {
    let followed: followed_by = followed_by(viewer);
    articles::table
        .filter(articles::author_id.eq_any(followed))
        .select(articles::id)
}

type HydratedRow = (SummaryRow, ProfileRow, Option<i64>, Option<i64>);

/// The summaries of articles `ids`, newest first, in ONE statement: articles with their
/// authors, the stored tag list, and the viewer's flags through two left joins (an anonymous
/// viewer is id -1, which matches nothing, so the statement text never changes).
pub fn summaries(
    conn: &mut DbConnection,
    ids: &[i64],
    viewer: Option<i64>,
) -> Result<Vec<ArticleSummary>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = hydrated!(viewer.unwrap_or(-1))
        .filter(articles::id.eq_any(ids))
        .order((articles::created_at.desc(), articles::id.desc()))
        .select((
            SUMMARY_COLUMNS,
            PROFILE_COLUMNS,
            favorites::user_id.nullable(),
            follows::follower_id.nullable(),
        ));
    // Run on the concrete connection: PostgreSQL then binds the ids as one array
    // (`= ANY($1)`) and reuses the prepared statement, where the multi-backend type would
    // write `IN ($1, $2, ...)`, which diesel never caches.
    let rows: Vec<HydratedRow> = per_backend!(conn, |c| query.load(c))?;
    Ok(to_summaries(rows))
}

fn to_summaries(rows: Vec<HydratedRow>) -> Vec<ArticleSummary> {
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

/// The id and creation time of an article.
pub fn id_by_slug(conn: &mut DbConnection, slug: &str) -> Result<(i64, NaiveDateTime), Error> {
    articles::table
        .filter(articles::slug.eq(slug))
        .select((articles::id, articles::created_at))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("article"))
}

/// Lowercase ASCII letters and digits joined by single dashes, at most 80 characters.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(80).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "article".to_owned()
    } else {
        slug
    }
}

/// A slug for `title` not used by any other article: the plain slug when free, else the
/// slug with a short random suffix.
fn unique_slug(conn: &mut DbConnection, title: &str, this: Option<i64>) -> Result<String, Error> {
    let base = slugify(title);
    let mut candidate = base.clone();
    for _ in 0..8 {
        let owner: Option<i64> = articles::table
            .filter(articles::slug.eq(&candidate))
            .select(articles::id)
            .first(conn)
            .optional()?;
        match owner {
            None => return Ok(candidate),
            Some(id) if Some(id) == this => return Ok(candidate),
            Some(_) => {
                let suffix: String = (0..6)
                    .map(|_| fastrand::alphanumeric().to_ascii_lowercase())
                    .collect();
                candidate = format!("{base}-{suffix}");
            }
        }
    }
    Err(Error::Taken("slug"))
}

/// The slug without a random suffix added by [`unique_slug`].
fn base_of(slug: &str) -> &str {
    match slug.rsplit_once('-') {
        Some((base, suffix))
            if suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            base
        }
        _ => slug,
    }
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

fn count_favorite(conn: &mut DbConnection, article: i64, user: i64, by: i64) -> Result<(), Error> {
    diesel::update(articles::table.filter(articles::id.eq(article)))
        .set(articles::favorites_count.eq(articles::favorites_count + by))
        .execute(conn)?;
    diesel::update(users::table.filter(users::id.eq(user)))
        .set(users::favorites_count.eq(users::favorites_count + by))
        .execute(conn)?;
    Ok(())
}

fn bump_site_count(conn: &mut DbConnection, by: i64) -> Result<(), Error> {
    diesel::update(site_counters::table.filter(site_counters::name.eq("articles")))
        .set(site_counters::value.eq(site_counters::value + by))
        .execute(conn)?;
    Ok(())
}

fn site_count(conn: &mut DbConnection) -> Result<i64, Error> {
    Ok(site_counters::table
        .filter(site_counters::name.eq("articles"))
        .select(site_counters::value)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

fn tag_by_name(conn: &mut DbConnection, name: &str) -> Result<Option<(i64, i64)>, Error> {
    Ok(tags::table
        .filter(tags::name.eq(name))
        .select((tags::id, tags::articles_count))
        .first(conn)
        .optional()?)
}

fn user_counts(conn: &mut DbConnection, username: &str) -> Result<Option<(i64, i64, i64)>, Error> {
    Ok(users::table
        .filter(crate::queries::users::username_is(username))
        .select((users::id, users::articles_count, users::favorites_count))
        .first(conn)
        .optional()?)
}

/// Articles written by the authors `viewer` follows: a sum over the followed users.
fn feed_total(conn: &mut DbConnection, viewer: i64) -> Result<i64, Error> {
    let counts: Vec<i64> = users::table
        .filter(users::id.eq_any(followed_by(viewer)))
        .select(users::articles_count)
        .load(conn)?;
    Ok(counts.into_iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_keeps_ascii_words_joined_by_dashes() {
        assert_eq!(
            slugify("How to Train Your Dragon!"),
            "how-to-train-your-dragon"
        );
        assert_eq!(
            slugify("  --Rust 2024: what's new?-- "),
            "rust-2024-what-s-new"
        );
        assert_eq!(slugify("日本語"), "article");
        assert_eq!(slugify(&"a ".repeat(100)).len(), 79);
    }

    #[test]
    fn base_of_strips_only_the_random_suffix() {
        assert_eq!(base_of("hello-world-a1b2c3"), "hello-world");
        assert_eq!(base_of("hello-world"), "hello-world");
        assert_eq!(base_of("rust-2024"), "rust-2024");
    }
}
