//! The cache contract, checked on both backends: a real private memcached (skipped with a
//! printed reason when there is none, a failure under CI=true) and the in-process store.

use std::time::{Duration, Instant};

use bytes::Bytes;
use conduit_cache::{CacheConfig, Lookup, MemcachedConfig, PageCache, PageKey};
use conduit_testkit::memcached::Memcached;

const TTL: Duration = Duration::from_secs(60);

fn key(path: &str) -> PageKey {
    PageKey::new(path, "", &["page"])
}

fn memcached() -> Option<(Memcached, PageCache)> {
    let server = conduit_testkit::require("memcached", Memcached::start())?;
    let config = CacheConfig::Memcached(MemcachedConfig::parse(&server.url()).unwrap());
    Some((server, PageCache::new(&config, TTL)))
}

/// Looks `key` up, storing `page` on a miss; returns whether it was a hit.
async fn view(cache: &PageCache, key: &PageKey, page: &'static str) -> Option<Bytes> {
    match cache.lookup(key).await {
        Lookup::Hit(body) => Some(body),
        Lookup::Miss(Some(generation)) => {
            cache
                .store(key, generation, Bytes::from_static(page.as_bytes()))
                .await;
            None
        }
        Lookup::Miss(None) | Lookup::Unavailable => None,
    }
}

/// Views until a hit comes back (the first view of a fresh memcached only learns the
/// generation), at most a few seconds.
async fn view_until_hit(cache: &PageCache, key: &PageKey, page: &'static str) -> Bytes {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(body) = view(cache, key, page).await {
            return body;
        }
        assert!(Instant::now() < deadline, "no hit for {key:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stored_pages_are_hits_until_a_bump(cache: &PageCache) {
    let home = key("/");
    assert_eq!(
        &view_until_hit(cache, &home, "<p>v1</p>").await[..],
        b"<p>v1</p>"
    );
    assert_eq!(
        &view_until_hit(cache, &home, "<p>v1</p>").await[..],
        b"<p>v1</p>"
    );
    cache.bump().await.unwrap();
    assert!(
        view(cache, &home, "<p>v2</p>").await.is_none(),
        "the page stored before the bump is stale"
    );
    assert_eq!(
        &view_until_hit(cache, &home, "<p>v2</p>").await[..],
        b"<p>v2</p>"
    );
    assert!(matches!(
        cache.lookup(&key("/other")).await,
        Lookup::Miss(Some(_))
    ));
}

#[tokio::test]
async fn in_process_stored_pages_are_hits_until_a_bump() {
    stored_pages_are_hits_until_a_bump(&PageCache::new(&CacheConfig::in_process(), TTL)).await;
}

#[tokio::test]
async fn memcached_stored_pages_are_hits_until_a_bump() {
    let Some((_server, cache)) = memcached() else {
        return;
    };
    stored_pages_are_hits_until_a_bump(&cache).await;
}

#[tokio::test]
async fn a_bump_by_another_instance_makes_this_instances_pages_stale() {
    let Some((server, web)) = memcached() else {
        return;
    };
    let experience = PageCache::new(
        &CacheConfig::Memcached(MemcachedConfig::parse(&server.url()).unwrap()),
        TTL,
    );
    let page = key("/article/a");
    view_until_hit(&web, &page, "old").await;
    experience.bump().await.unwrap();
    assert!(view(&web, &page, "new").await.is_none());
    assert_eq!(&view_until_hit(&web, &page, "new").await[..], b"new");
}

#[tokio::test]
async fn a_killed_memcached_makes_pages_uncached_at_once_and_a_restarted_one_caches_again() {
    let Some((mut server, cache)) = memcached() else {
        return;
    };
    let page = key("/");
    view_until_hit(&cache, &page, "page").await;

    server.kill();
    for _ in 0..20 {
        let started = Instant::now();
        assert!(matches!(cache.lookup(&page).await, Lookup::Unavailable));
        assert!(
            started.elapsed() < Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
    }
    assert!(
        cache.bump().await.is_err(),
        "a bump against a dead cache reports its error"
    );
    let (.., errors) = cache.counts();
    assert!(errors >= 1);

    server.restart().unwrap();
    // After the breaker's pause the cache is tried again; the restarted server is empty.
    assert_eq!(&view_until_hit(&cache, &page, "fresh").await[..], b"fresh");
}

#[tokio::test]
async fn a_memcached_that_never_answers_costs_a_bounded_wait_then_none() {
    let Some((server, cache)) = memcached() else {
        return;
    };
    let page = key("/");
    view_until_hit(&cache, &page, "page").await;

    server.freeze();
    let started = Instant::now();
    assert!(matches!(cache.lookup(&page).await, Lookup::Unavailable));
    let first = started.elapsed();
    assert!(
        first < Duration::from_millis(400),
        "first lookup took {first:?}"
    );
    // The breaker is open now: the next lookups do not wait at all.
    let started = Instant::now();
    for _ in 0..50 {
        assert!(matches!(cache.lookup(&page).await, Lookup::Unavailable));
    }
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );

    server.thaw();
    assert_eq!(&view_until_hit(&cache, &page, "page").await[..], b"page");
}

#[tokio::test]
async fn one_render_per_key_at_a_time() {
    let cache = PageCache::new(&CacheConfig::in_process(), TTL);
    let page = key("/");
    let first = cache.fill_lock(&page).await.expect("free");
    let waiter = {
        let cache = cache.clone();
        let page = page.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let _guard = cache.fill_lock(&page).await;
            started.elapsed()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !waiter.is_finished(),
        "a second render of the same page must wait"
    );
    let other = cache.fill_lock(&key("/other")).await;
    assert!(other.is_some(), "another page is not held up");
    drop(first);
    let waited = waiter.await.unwrap();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
}

#[tokio::test]
async fn a_page_too_big_to_store_is_skipped_without_opening_the_breaker() {
    let Some((_server, cache)) = memcached() else {
        return;
    };
    let page = key("/huge");
    let huge = Bytes::from(vec![b'x'; conduit_cache::MAX_PAGE_BYTES + 1]);
    for _ in 0..3 {
        match cache.lookup(&page).await {
            Lookup::Miss(Some(g)) => cache.store(&page, g, huge.clone()).await,
            Lookup::Miss(None) => {}
            other => panic!("{other:?}"),
        }
    }
    let (.., errors) = cache.counts();
    assert_eq!(errors, 0, "a big page is not an outage");
    assert!(matches!(cache.lookup(&page).await, Lookup::Miss(Some(_))));
}
