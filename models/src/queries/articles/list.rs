//! The filtered lists, in three steps, each a fixed number of statements whatever the page
//! size:
//! 1. resolve the filters (tag name, usernames) to ids, reading the stored totals on the way;
//! 2. load one page of article ids from the index that matches the main filter
//!    (`article_tags` for a tag, `favorites` for favorited-by, `articles` otherwise);
//! 3. hydrate the page: articles with authors, tags, and the viewer's flags (`read`).

use conduit_wire::models::{ArticleList, ArticleQuery};
use diesel::prelude::*;

use super::super::Db;
use super::read::summaries;
use crate::db::DbConnection;
use crate::db::schema::{article_tags, articles, favorites, follows, site_counters, tags, users};
use crate::error::Error;
use crate::per_backend;

/// Largest page a list returns.
pub const MAX_LIMIT: i64 = 100;
/// Page size when the caller gives none.
pub const DEFAULT_LIMIT: i64 = 20;

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
        let (ids, site_total) = page.single_filter(conn, tag, filters)?;
        let count = match (totals.as_slice(), site_total) {
            ([n], _) => *n,
            (_, Some(n)) => n,
            // The whole site's list past its last page.
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
    /// Ids of one page for at most one filter; each arm is a plain query run on the concrete
    /// connection, so its prepared statement is cached and found by type, and each is one
    /// range scan of the filter's index.
    ///
    /// Without a filter, the stored total of the site comes in the same statement (a
    /// scalar subquery on `site_counters`' key), when the page has any row.
    ///
    /// (Folding this into the hydration as `id = ANY(SELECT ... LIMIT $n)` saves a round
    /// trip, but a generic plan cannot see the LIMIT and chose a sequential scan of the
    /// whole table at 1M articles; two statements keep both plans index-driven.)
    fn single_filter(
        self,
        conn: &mut DbConnection,
        tag: Option<i64>,
        f: Filters,
    ) -> Result<(Vec<i64>, Option<i64>), Error> {
        let Page { limit, offset } = self;
        let newest = (articles::created_at.desc(), articles::id.desc());
        let ids = if let Some(tag) = tag {
            let ids = article_tags::table
                .filter(article_tags::tag_id.eq(tag))
                .select(article_tags::article_id)
                .order((
                    article_tags::article_created_at.desc(),
                    article_tags::article_id.desc(),
                ))
                .limit(limit)
                .offset(offset);
            per_backend!(conn, |c| ids.load(c))?
        } else if let Some(user) = f.favorited {
            let ids = favorites::table
                .filter(favorites::user_id.eq(user))
                .select(favorites::article_id)
                .order((
                    favorites::article_created_at.desc(),
                    favorites::article_id.desc(),
                ))
                .limit(limit)
                .offset(offset);
            per_backend!(conn, |c| ids.load(c))?
        } else if let Some(author) = f.author {
            let ids = articles::table
                .filter(articles::author_id.eq(author))
                .select(articles::id)
                .order(newest)
                .limit(limit)
                .offset(offset);
            per_backend!(conn, |c| ids.load(c))?
        } else if let Some(viewer) = f.feed {
            let ids = articles::table
                .filter(articles::author_id.eq_any(followed_by(viewer)))
                .select(articles::id)
                .order(newest)
                .limit(limit)
                .offset(offset);
            per_backend!(conn, |c| ids.load(c))?
        } else {
            let page = articles::table
                .select((articles::id, site_total().single_value()))
                .order(newest)
                .limit(limit)
                .offset(offset);
            let rows: Vec<(i64, Option<i64>)> = per_backend!(conn, |c| page.load(c))?;
            let total = rows.first().and_then(|(_, total)| *total);
            return Ok((rows.into_iter().map(|(id, _)| id).collect(), total));
        };
        Ok((ids, None))
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

#[diesel::dsl::auto_type]
fn site_total() -> _ {
    site_counters::table
        .filter(site_counters::name.eq("articles"))
        .select(site_counters::value)
}

fn site_count(conn: &mut DbConnection) -> Result<i64, Error> {
    Ok(site_total().first(conn).optional()?.unwrap_or(0))
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
