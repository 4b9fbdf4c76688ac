//! Query-level tests: query functions called directly on one connection inside a test
//! transaction (rolled back at the end), on both backends.

use conduit_wire::models::{ArticlePatch, ArticleQuery, NewArticle, NewUser};
use diesel::Connection;
use models::DbConnection;
use models::queries::{articles, profiles, users};

use crate::helpers::{Backend, connection};

fn in_transaction(backend: Backend, test: impl FnOnce(&mut DbConnection)) {
    let Some((mut conn, _guard)) = connection(backend) else {
        return;
    };
    conn.begin_test_transaction().unwrap();
    test(&mut conn);
}

fn user(conn: &mut DbConnection, name: &str) -> i64 {
    users::create(
        conn,
        &NewUser {
            username: name.into(),
            email: format!("{name}@q.example"),
            password_hash: "h".into(),
        },
    )
    .unwrap()
    .id
}

fn article(conn: &mut DbConnection, author: i64, title: &str, tags: &[&str]) -> String {
    articles::create(
        conn,
        &NewArticle {
            author_id: author,
            title: title.into(),
            description: "d".into(),
            body: "b".into(),
            tag_list: tags.iter().map(|t| t.to_string()).collect(),
        },
    )
    .unwrap()
    .summary
    .slug
}

fn statements(conn: &mut DbConnection, run: impl FnOnce(&mut DbConnection)) -> u64 {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = count.clone();
    conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    run(conn);
    conn.set_instrumentation(diesel::connection::get_default_instrumentation());
    count.load(std::sync::atomic::Ordering::Relaxed)
}

fn list_statement_count_does_not_grow_with_the_page(backend: Backend) {
    in_transaction(backend, |conn| {
        let viewer = user(conn, "q-viewer");
        profiles::follow(conn, viewer, "ada").unwrap();
        let mut per_page = Vec::new();
        for limit in [2, 20] {
            for query in [
                ArticleQuery::default(),
                ArticleQuery {
                    tag: Some("postgres".into()),
                    ..Default::default()
                },
                ArticleQuery {
                    feed: Some(viewer),
                    ..Default::default()
                },
                ArticleQuery {
                    favorited: Some("ada".into()),
                    author: Some("brook".into()),
                    ..Default::default()
                },
            ] {
                let query = ArticleQuery {
                    limit: Some(limit),
                    viewer: Some(viewer),
                    ..query
                };
                per_page.push(statements(conn, |c| {
                    articles::list(c, &query).unwrap();
                }));
            }
        }
        let (twos, twenties) = per_page.split_at(4);
        assert_eq!(twos, twenties, "statements per list, 2 vs 20 articles");
        assert!(twenties.iter().all(|n| *n <= 8), "{twenties:?}");
    });
}

fn the_sites_list_is_two_statements_with_its_total(backend: Backend) {
    in_transaction(backend, |conn| {
        let viewer = user(conn, "q-site");
        article(conn, viewer, "Counted on the site", &[]);
        let total: i64 = {
            use diesel::prelude::*;
            models::db::schema::articles::table
                .count()
                .get_result(conn)
                .unwrap()
        };
        for who in [None, Some(viewer)] {
            let query = |offset| ArticleQuery {
                limit: Some(2),
                offset: Some(offset),
                viewer: who,
                ..Default::default()
            };
            let mut page = None;
            let n = statements(conn, |c| page = Some(articles::list(c, &query(0)).unwrap()));
            let page = page.unwrap();
            assert_eq!(n, 2, "the page with its total, then its articles ({who:?})");
            assert_eq!((page.articles.len(), page.articles_count), (2, total));
            let past = articles::list(conn, &query(total)).unwrap();
            assert_eq!((past.articles.len(), past.articles_count), (0, total));
        }
    });
}

#[test]
fn the_sites_list_is_two_statements_with_its_total_sqlite() {
    the_sites_list_is_two_statements_with_its_total(Backend::Sqlite);
}

#[test]
fn the_sites_list_is_two_statements_with_its_total_postgres() {
    the_sites_list_is_two_statements_with_its_total(Backend::Postgres);
}

fn an_article_is_one_statement_for_anyone(backend: Backend) {
    in_transaction(backend, |conn| {
        let viewer = user(conn, "q-reader");
        let slug = article(conn, viewer, "One statement", &["x"]);
        profiles::follow(conn, viewer, "ada").unwrap();
        for who in [None, Some(viewer)] {
            let mut got = None;
            let n = statements(conn, |c| got = Some(articles::get(c, &slug, who).unwrap()));
            assert_eq!(n, 1, "viewer {who:?}");
            let got = got.unwrap();
            assert_eq!(
                (got.body.as_str(), got.summary.tag_list.as_slice()),
                ("b", &["x".to_owned()][..])
            );
        }
        let n = statements(conn, |c| {
            assert!(articles::get(c, "no-such-slug", None).is_err());
        });
        assert_eq!(n, 1);
    });
}

#[test]
fn an_article_is_one_statement_for_anyone_sqlite() {
    an_article_is_one_statement_for_anyone(Backend::Sqlite);
}

#[test]
fn an_article_is_one_statement_for_anyone_postgres() {
    an_article_is_one_statement_for_anyone(Backend::Postgres);
}

fn counters_follow_every_write(backend: Backend) {
    in_transaction(backend, |conn| {
        let a = user(conn, "q-a");
        let b = user(conn, "q-b");
        let slug = article(conn, a, "Counted", &["q-tag"]);
        articles::favorite(conn, &slug, b).unwrap();
        articles::favorite(conn, &slug, b).unwrap();
        let by = |q: ArticleQuery, conn: &mut DbConnection| {
            articles::list(conn, &q).unwrap().articles_count
        };
        assert_eq!(
            by(
                ArticleQuery {
                    favorited: Some("q-b".into()),
                    ..Default::default()
                },
                conn
            ),
            1
        );
        assert_eq!(
            by(
                ArticleQuery {
                    tag: Some("q-tag".into()),
                    ..Default::default()
                },
                conn
            ),
            1
        );
        let patch = ArticlePatch {
            author_id: a,
            tag_list: Some(vec!["q-other".into()]),
            ..Default::default()
        };
        articles::update(conn, &slug, &patch).unwrap();
        assert_eq!(
            by(
                ArticleQuery {
                    tag: Some("q-tag".into()),
                    ..Default::default()
                },
                conn
            ),
            0
        );
        assert_eq!(
            by(
                ArticleQuery {
                    tag: Some("q-other".into()),
                    ..Default::default()
                },
                conn
            ),
            1
        );
        let total = by(ArticleQuery::default(), conn);
        articles::delete(conn, &slug, a).unwrap();
        assert_eq!(by(ArticleQuery::default(), conn), total - 1);
        assert_eq!(
            by(
                ArticleQuery {
                    favorited: Some("q-b".into()),
                    ..Default::default()
                },
                conn
            ),
            0
        );
        assert_eq!(
            by(
                ArticleQuery {
                    author: Some("q-a".into()),
                    ..Default::default()
                },
                conn
            ),
            0
        );
        assert_eq!(
            by(
                ArticleQuery {
                    tag: Some("q-other".into()),
                    ..Default::default()
                },
                conn
            ),
            0
        );
    });
}

#[test]
fn list_statement_count_does_not_grow_with_the_page_sqlite() {
    list_statement_count_does_not_grow_with_the_page(Backend::Sqlite);
}

#[test]
fn list_statement_count_does_not_grow_with_the_page_postgres() {
    list_statement_count_does_not_grow_with_the_page(Backend::Postgres);
}

#[test]
fn counters_follow_every_write_sqlite() {
    counters_follow_every_write(Backend::Sqlite);
}

#[test]
fn counters_follow_every_write_postgres() {
    counters_follow_every_write(Backend::Postgres);
}

fn names_are_one_without_case(backend: Backend) {
    in_transaction(backend, |conn| {
        let ada = user(conn, "Identity");
        // Another case, another composition: the same name, the same email.
        for (username, email, field) in [
            ("IDENTITY", "other@q.example", "username"),
            ("other", "IDENTITY@Q.example", "email"),
        ] {
            // In a savepoint: a failed statement would end PostgreSQL's test transaction.
            let err = conn
                .transaction(|conn| {
                    users::create(
                        conn,
                        &NewUser {
                            username: username.into(),
                            email: email.into(),
                            password_hash: "h".into(),
                        },
                    )
                })
                .unwrap_err();
            assert_eq!(err.to_string(), format!("{field} has already been taken"));
        }
        assert_eq!(users::by_username(conn, "identity").unwrap().id, ada);
        assert_eq!(users::by_email(conn, "Identity@Q.Example").unwrap().id, ada);
        assert_eq!(
            users::credentials(conn, "IDENTITY@q.example")
                .unwrap()
                .user
                .id,
            ada
        );
        assert_eq!(
            users::by_username(conn, "Identity").unwrap().username,
            "Identity",
            "shown as chosen"
        );
    });
}

fn rows_written_before_the_canonical_columns_are_filled_and_collisions_renamed(backend: Backend) {
    use diesel::RunQueryDsl;
    in_transaction(backend, |conn| {
        // As the rows stood before the migration: no canonical forms.
        for (name, email) in [
            ("Twin", "Twin@q.example"),
            ("twin", "twin@Q.example"),
            ("solo", "solo@q.example"),
        ] {
            diesel::sql_query(format!(
                "INSERT INTO users (username, email, password_hash, created_at, updated_at) \
                 VALUES ('{name}', '{email}', 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ))
            .execute(conn)
            .unwrap();
        }
        // Until migrate fills them (a rolling update: an older build wrote these rows), the
        // names are still found as written.
        assert_eq!(
            users::by_username(conn, "solo").unwrap().email,
            "solo@q.example"
        );
        assert_eq!(
            users::credentials(conn, "solo@q.example")
                .unwrap()
                .user
                .username,
            "solo"
        );
        assert_eq!(profiles::get(conn, "solo", None).unwrap().username, "solo");
        let changes = models::db::canonicalize_identities(conn).unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        let younger = users::by_email(conn, "twin@q.example").unwrap();
        assert_eq!(
            younger.username, "Twin",
            "the older account keeps both names"
        );
        let renamed = users::by_username(conn, &format!("twin-{}", younger.id + 1)).unwrap();
        assert_eq!(
            renamed.email,
            format!("twin+duplicate-{}@Q.example", renamed.id)
        );
        assert_eq!(
            users::by_username(conn, "SOLO").unwrap().email,
            "solo@q.example"
        );
        assert!(
            models::db::canonicalize_identities(conn)
                .unwrap()
                .is_empty(),
            "once"
        );
    });
}

#[test]
fn names_are_one_without_case_sqlite() {
    names_are_one_without_case(Backend::Sqlite);
}

#[test]
fn names_are_one_without_case_postgres() {
    names_are_one_without_case(Backend::Postgres);
}

#[test]
fn rows_written_before_the_canonical_columns_are_filled_sqlite() {
    rows_written_before_the_canonical_columns_are_filled_and_collisions_renamed(Backend::Sqlite);
}

#[test]
fn rows_written_before_the_canonical_columns_are_filled_postgres() {
    rows_written_before_the_canonical_columns_are_filled_and_collisions_renamed(Backend::Postgres);
}
