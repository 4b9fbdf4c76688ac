//! `loaddata` / `dumpdata`.

use models::bulk;

use crate::helpers::{Backend, connection, demo};

fn loading_twice_adds_nothing_and_dump_round_trips(backend: Backend) {
    let Some((mut conn, _guard)) = connection(backend) else {
        return;
    };
    // The test database already holds the demo data: loading it again adds nothing.
    let report = bulk::load(&mut conn, &demo()).unwrap();
    assert_eq!(report, bulk::LoadReport::default());

    let dumped = bulk::dump(&mut conn).unwrap();
    let original = demo();
    assert_eq!(dumped.users, original.users);
    assert_eq!(dumped.articles.len(), original.articles.len());
    for article in &original.articles {
        let mine = dumped
            .articles
            .iter()
            .find(|a| a.slug == article.slug)
            .unwrap();
        assert_eq!(mine, article);
    }
    assert_eq!(dumped.favorites.len(), original.favorites.len());
    assert_eq!(dumped.comments.len(), original.comments.len());
    let mut follows = original.follows.clone();
    follows.sort_by(|a, b| (&a.follower, &a.followee).cmp(&(&b.follower, &b.followee)));
    follows.dedup();
    assert_eq!(dumped.follows.len(), follows.len());
}

fn generated_data_loads_and_counters_match(backend: Backend) {
    let Some((mut conn, _guard)) = connection(backend) else {
        return;
    };
    let data = conduit_dataset::generate::generate(conduit_dataset::generate::Size {
        users: 30,
        articles: 2_500,
        seed: 3,
    });
    let report = bulk::load(&mut conn, &data).unwrap();
    assert_eq!(report.articles, 2_500);
    assert_eq!(report.users, 30);
    let list = models::queries::articles::list(&mut conn, &Default::default()).unwrap();
    assert_eq!(list.articles_count, 60 + 2_500);
    let by_user = models::queries::articles::list(
        &mut conn,
        &conduit_wire::models::ArticleQuery {
            author: Some("user7".into()),
            limit: Some(100),
            ..Default::default()
        },
    )
    .unwrap();
    let expected = data.articles.iter().filter(|a| a.author == "user7").count() as i64;
    assert_eq!(by_user.articles_count, expected);
}

#[test]
fn loading_twice_adds_nothing_and_dump_round_trips_sqlite() {
    loading_twice_adds_nothing_and_dump_round_trips(Backend::Sqlite);
}

#[test]
fn loading_twice_adds_nothing_and_dump_round_trips_postgres() {
    loading_twice_adds_nothing_and_dump_round_trips(Backend::Postgres);
}

#[test]
fn generated_data_loads_and_counters_match_sqlite() {
    generated_data_loads_and_counters_match(Backend::Sqlite);
}

#[test]
fn generated_data_loads_and_counters_match_postgres() {
    generated_data_loads_and_counters_match(Backend::Postgres);
}
