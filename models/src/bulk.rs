//! `models loaddata` and `models dumpdata`: data set files (`conduit-dataset`) in and out.
//!
//! Loading is idempotent: users, follows and favorites are inserted only when missing; an
//! article whose slug exists is left as it is, with its comments and tags. The stored
//! counters are recomputed at the end, so they match whatever the database now holds.
//! Rows go in batches of multi-row inserts inside one transaction.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use conduit_dataset::{Article, Comment, Dataset, Favorite, Follow, User};
use conduit_wire::identity::{canonical_email, canonical_username};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{article_tags, articles, comments, favorites, follows, tags, users};
use crate::error::Error;
use crate::per_backend;
use crate::queries::tags::{encode, normalize};
use crate::queries::utc;

const BATCH: usize = 1000;

/// What a load added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// New users.
    pub users: usize,
    /// New follows.
    pub follows: usize,
    /// New articles.
    pub articles: usize,
    /// New favorites.
    pub favorites: usize,
    /// New comments.
    pub comments: usize,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "added {} users, {} follows, {} articles, {} favorites, {} comments",
            self.users, self.follows, self.articles, self.favorites, self.comments
        )
    }
}

/// Loads a data set; see the module docs.
pub fn load(conn: &mut DbConnection, data: &Dataset) -> Result<LoadReport, Error> {
    conn.transaction(|conn| {
        let users = insert_users(conn, &data.users)?;
        let user_ids: HashMap<String, i64> = users::table
            .select((users::username, users::id))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect();
        let user_id = |name: &str| {
            user_ids
                .get(name)
                .copied()
                .ok_or_else(|| Error::invalid("fixtures", &format!("unknown user {name:?}")))
        };
        let follows = insert_follows(conn, &data.follows, &user_id)?;

        let existing: HashMap<String, (i64, NaiveDateTime)> = articles::table
            .select((articles::slug, articles::id, articles::created_at))
            .load::<(String, i64, NaiveDateTime)>(conn)?
            .into_iter()
            .map(|(slug, id, at)| (slug, (id, at)))
            .collect();
        let fresh: Vec<&Article> = data
            .articles
            .iter()
            .filter(|a| !existing.contains_key(&a.slug))
            .collect();
        let mut article_ids = existing;
        for chunk in fresh.chunks(BATCH) {
            let rows = chunk
                .iter()
                .map(|a| {
                    Ok((
                        articles::slug.eq(&a.slug),
                        articles::title.eq(&a.title),
                        articles::description.eq(&a.description),
                        articles::body.eq(&a.body),
                        articles::tag_list.eq(encode(&normalize(&a.tags))),
                        articles::author_id.eq(user_id(&a.author)?),
                        articles::created_at.eq(a.created_at.naive_utc()),
                        articles::updated_at.eq(a.updated_at.naive_utc()),
                    ))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let ids: Vec<(String, i64, NaiveDateTime)> = per_backend!(conn, |c| {
                diesel::insert_into(articles::table)
                    .values(&rows)
                    .returning((articles::slug, articles::id, articles::created_at))
                    .get_results(c)
            })?;
            for (slug, id, at) in ids {
                article_ids.insert(slug, (id, at));
            }
        }
        let article = |slug: &str| {
            article_ids
                .get(slug)
                .copied()
                .ok_or_else(|| Error::invalid("fixtures", &format!("unknown article {slug:?}")))
        };
        insert_tag_links(conn, &fresh, &article)?;
        let favorites = insert_favorites(conn, &data.favorites, &user_id, &article)?;
        let fresh_slugs: std::collections::HashSet<&str> =
            fresh.iter().map(|a| a.slug.as_str()).collect();
        let new_comments: Vec<&Comment> = data
            .comments
            .iter()
            .filter(|c| fresh_slugs.contains(c.article.as_str()))
            .collect();
        let comments = insert_comments(conn, &new_comments, &user_id, &article)?;
        recount(conn)?;
        Ok(LoadReport {
            users,
            follows,
            articles: fresh.len(),
            favorites,
            comments,
        })
    })
}

fn insert_users(conn: &mut DbConnection, list: &[User]) -> Result<usize, Error> {
    let mut added = 0;
    for chunk in list.chunks(BATCH) {
        let at = crate::queries::now();
        let rows: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    users::username.eq(&u.username),
                    users::email.eq(&u.email),
                    users::username_canon.eq(canonical_username(&u.username)),
                    users::email_canon.eq(canonical_email(&u.email)),
                    users::password_hash.eq(&u.password_hash),
                    users::bio.eq(u.bio.as_deref()),
                    users::image.eq(u.image.as_deref()),
                    users::created_at.eq(at),
                    users::updated_at.eq(at),
                )
            })
            .collect();
        added += per_backend!(conn, |c| diesel::insert_into(users::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(added)
}

fn insert_follows(
    conn: &mut DbConnection,
    list: &[Follow],
    user_id: &impl Fn(&str) -> Result<i64, Error>,
) -> Result<usize, Error> {
    let mut added = 0;
    for chunk in list.chunks(BATCH) {
        let rows = chunk
            .iter()
            .filter(|f| f.follower != f.followee)
            .map(|f| {
                Ok((
                    follows::follower_id.eq(user_id(&f.follower)?),
                    follows::followee_id.eq(user_id(&f.followee)?),
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        added += per_backend!(conn, |c| diesel::insert_into(follows::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(added)
}

fn insert_tag_links(
    conn: &mut DbConnection,
    fresh: &[&Article],
    article: &impl Fn(&str) -> Result<(i64, NaiveDateTime), Error>,
) -> Result<(), Error> {
    let mut names: Vec<String> = fresh.iter().flat_map(|a| a.tags.iter().cloned()).collect();
    names = normalize(&names);
    for chunk in names.chunks(BATCH) {
        let rows: Vec<_> = chunk.iter().map(|n| tags::name.eq(n)).collect();
        per_backend!(conn, |c| diesel::insert_into(tags::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    let tag_ids: HashMap<String, i64> = tags::table
        .select((tags::name, tags::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let mut links = Vec::new();
    for a in fresh {
        let (id, at) = article(&a.slug)?;
        for name in normalize(&a.tags) {
            if let Some(tag) = tag_ids.get(&name) {
                links.push((
                    article_tags::article_id.eq(id),
                    article_tags::tag_id.eq(*tag),
                    article_tags::article_created_at.eq(at),
                ));
            }
        }
    }
    for chunk in links.chunks(BATCH) {
        per_backend!(conn, |c| diesel::insert_into(article_tags::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

fn insert_favorites(
    conn: &mut DbConnection,
    list: &[Favorite],
    user_id: &impl Fn(&str) -> Result<i64, Error>,
    article: &impl Fn(&str) -> Result<(i64, NaiveDateTime), Error>,
) -> Result<usize, Error> {
    let mut added = 0;
    for chunk in list.chunks(BATCH) {
        let rows = chunk
            .iter()
            .map(|f| {
                let (id, at) = article(&f.article)?;
                Ok((
                    favorites::user_id.eq(user_id(&f.user)?),
                    favorites::article_id.eq(id),
                    favorites::article_created_at.eq(at),
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        added += per_backend!(conn, |c| diesel::insert_into(favorites::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(added)
}

fn insert_comments(
    conn: &mut DbConnection,
    list: &[&Comment],
    user_id: &impl Fn(&str) -> Result<i64, Error>,
    article: &impl Fn(&str) -> Result<(i64, NaiveDateTime), Error>,
) -> Result<usize, Error> {
    let mut added = 0;
    for chunk in list.chunks(BATCH) {
        let rows = chunk
            .iter()
            .map(|c| {
                let at = c.created_at.naive_utc();
                Ok((
                    comments::article_id.eq(article(&c.article)?.0),
                    comments::author_id.eq(user_id(&c.author)?),
                    comments::body.eq(&c.body),
                    comments::created_at.eq(at),
                    comments::updated_at.eq(at),
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        added += per_backend!(conn, |c| diesel::insert_into(comments::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(added)
}

/// True when the database holds no user yet (a first start).
pub fn is_empty(conn: &mut DbConnection) -> Result<bool, Error> {
    let any: Option<i64> = users::table.select(users::id).first(conn).optional()?;
    Ok(any.is_none())
}

/// Recomputes every stored counter from the rows (after a bulk load).
pub fn recount(conn: &mut DbConnection) -> Result<(), Error> {
    for statement in [
        "UPDATE users SET \
           articles_count = (SELECT COUNT(*) FROM articles WHERE articles.author_id = users.id), \
           favorites_count = (SELECT COUNT(*) FROM favorites WHERE favorites.user_id = users.id)",
        "UPDATE articles SET favorites_count = \
           (SELECT COUNT(*) FROM favorites WHERE favorites.article_id = articles.id)",
        "UPDATE tags SET articles_count = \
           (SELECT COUNT(*) FROM article_tags WHERE article_tags.tag_id = tags.id)",
        "UPDATE site_counters SET value = (SELECT COUNT(*) FROM articles) WHERE name = 'articles'",
    ] {
        diesel::sql_query(statement).execute(conn)?;
    }
    Ok(())
}

/// Reads the whole database as a data set (passwords stay hashed).
pub fn dump(conn: &mut DbConnection) -> Result<Dataset, Error> {
    type UserRow = (i64, String, String, String, Option<String>, Option<String>);
    let user_rows: Vec<UserRow> = users::table
        .order(users::id)
        .select((
            users::id,
            users::username,
            users::email,
            users::password_hash,
            users::bio,
            users::image,
        ))
        .load(conn)?;
    let names: HashMap<i64, String> = user_rows
        .iter()
        .map(|(id, name, ..)| (*id, name.clone()))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let users = user_rows
        .iter()
        .map(|(_, username, email, hash, bio, image)| User {
            username: username.clone(),
            email: email.clone(),
            password_hash: hash.clone(),
            bio: bio.clone(),
            image: image.clone(),
        })
        .collect();
    let follows = follows::table
        .order((follows::follower_id, follows::followee_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(a, b)| Follow {
            follower: name(a),
            followee: name(b),
        })
        .collect();
    type ArticleRow = (
        i64,
        String,
        String,
        String,
        String,
        i64,
        NaiveDateTime,
        NaiveDateTime,
    );
    let article_rows: Vec<ArticleRow> = articles::table
        .order(articles::id)
        .select((
            articles::id,
            articles::slug,
            articles::title,
            articles::description,
            articles::body,
            articles::author_id,
            articles::created_at,
            articles::updated_at,
        ))
        .load(conn)?;
    let slugs: HashMap<i64, String> = article_rows
        .iter()
        .map(|(id, slug, ..)| (*id, slug.clone()))
        .collect();
    let slug = |id: i64| slugs.get(&id).cloned().unwrap_or_default();
    let mut tag_map: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, tag) in article_tags::table
        .inner_join(tags::table)
        .order((article_tags::article_id, tags::name))
        .select((article_tags::article_id, tags::name))
        .load::<(i64, String)>(conn)?
    {
        tag_map.entry(id).or_default().push(tag);
    }
    let articles = article_rows
        .into_iter()
        .map(
            |(id, slug, title, description, body, author, created, updated)| Article {
                slug,
                title,
                description,
                body,
                author: name(author),
                tags: tag_map.remove(&id).unwrap_or_default(),
                created_at: utc(created),
                updated_at: utc(updated),
            },
        )
        .collect();
    let favorites = favorites::table
        .order((favorites::user_id, favorites::article_id))
        .select((favorites::user_id, favorites::article_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(u, a)| Favorite {
            user: name(u),
            article: slug(a),
        })
        .collect();
    let comments = comments::table
        .order(comments::id)
        .select((
            comments::article_id,
            comments::author_id,
            comments::body,
            comments::created_at,
        ))
        .load::<(i64, i64, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(a, u, body, at)| Comment {
            article: slug(a),
            author: name(u),
            body,
            created_at: utc(at),
        })
        .collect();
    Ok(Dataset {
        users,
        follows,
        articles,
        favorites,
        comments,
    })
}
