//! The API read cache: anonymous `GET /api` answers kept whole, with the page cache's
//! contract.
//!
//! An answer is stored at the content generation its lookup saw and served only while that
//! generation is current; every acknowledged write moves the generation before its response
//! leaves ([`crate::invalidate`]), so the very next read anywhere is fresh, and nothing has to
//! find keys to delete. Only what no viewer changes is kept: a request without a token, a 200.
//! The key is the path and the query's parameters, sorted; a query with a parameter no
//! endpoint reads, or one given twice, is answered but never kept, so nobody can fill the
//! store with copies, and the API's own parser still judges every query.
//!
//! The store is the page cache's: memcached when `MEMCACHED_URL` is set (shared by every
//! instance), else one in this process ([`local_store`]; right for one instance, see
//! docs). `API_CACHE=off` turns it off. Answers carry `X-Cache: HIT`, `MISS` or `BYPASS`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use conduit_cache::{LocalStore, Lookup, Outcome, PageCache, PageKey};

/// How long an untouched answer lives (writes make it stale at once; this bounds memory).
pub const TTL: Duration = Duration::from_secs(300);
/// Answers the in-process store holds at most.
const LOCAL_ENTRIES: usize = 2_000;
/// Bytes (keys and answers) the in-process store holds at most: small, since the whole
/// service is meant to stay within 30 MiB.
const LOCAL_BYTES: usize = 4 * 1024 * 1024;

/// The store experience keeps answers in when there is no memcached.
pub fn local_store() -> Arc<LocalStore> {
    Arc::new(LocalStore::with_limits(LOCAL_ENTRIES, LOCAL_BYTES))
}

/// Whether the cache is used; app data next to the [`PageCache`].
#[derive(Debug, Clone, Copy)]
pub struct Enabled(pub bool);

const X_CACHE: header::HeaderName = header::HeaderName::from_static(Outcome::HEADER);

/// The query parameters any `/api` read takes (the lists'; the others take none).
const PARAMS: &[&str] = &["tag", "author", "favorited", "limit", "offset"];

/// What the cache does with a request.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// A read every anonymous visitor gets the same answer to, kept under this key.
    Anonymous(PageKey),
    /// A read answered but never kept (`X-Cache: BYPASS`): one with a token (its flags are
    /// the viewer's), or with a parameter no endpoint reads or one given twice (which would
    /// otherwise let anyone fill the cache with copies).
    Unkept,
    /// Not a read.
    Other,
}

fn kind(req: &ServiceRequest) -> Kind {
    if req.method() != Method::GET || !req.path().starts_with("/api/") {
        return Kind::Other;
    }
    if req.headers().contains_key(header::AUTHORIZATION) {
        return Kind::Unkept;
    }
    match anonymous_key(req.path(), req.query_string()) {
        Some(key) => Kind::Anonymous(key),
        None => Kind::Unkept,
    }
}

/// The key of an anonymous read of `path?query`; `None` for a query with a parameter no
/// endpoint reads or one given twice.
fn anonymous_key(path: &str, query: &str) -> Option<PageKey> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if !PARAMS.contains(&name.as_ref()) || params.iter().any(|(n, _)| *n == name) {
            return None;
        }
        params.push((name.into_owned(), value.into_owned()));
    }
    // Each parameter once: their order means nothing to the parser, so none in the key.
    params.sort();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    Some(PageKey::api(path, &query))
}

/// Where a signed-in read finds the answer an anonymous read of the same request gets
/// (`shared`): the cache and that request's key. `None` when the cache is off or the
/// query is one it never keeps.
pub fn shared_slot(req: &HttpRequest) -> Option<(web::Data<PageCache>, PageKey)> {
    if !req.app_data::<web::Data<Enabled>>().is_some_and(|on| on.0) {
        return None;
    }
    let cache = req.app_data::<web::Data<PageCache>>()?.clone();
    Some((cache, anonymous_key(req.path(), req.query_string())?))
}

/// The anonymous answer under `key`: the kept one, else `fill`'s, kept at the generation
/// the lookup saw (as the middleware keeps an anonymous read's).
pub async fn anonymous_answer<E>(
    cache: &PageCache,
    key: &PageKey,
    fill: impl Future<Output = Result<web::Bytes, E>>,
) -> Result<web::Bytes, E> {
    match cache.lookup(key).await {
        Lookup::Hit(body) => {
            cache.record(Outcome::Hit);
            Ok(body)
        }
        Lookup::Miss(Some(generation)) => {
            cache.record(Outcome::Miss);
            let body = fill.await?;
            cache.store(key, generation, body.clone()).await;
            Ok(body)
        }
        Lookup::Miss(None) | Lookup::Unavailable => {
            cache.record(Outcome::Bypass);
            fill.await
        }
    }
}

/// Middleware: serves anonymous `GET /api` reads from the cache, stores fresh 200s.
pub async fn serve_reads(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let enabled = req.app_data::<web::Data<Enabled>>().is_some_and(|on| on.0);
    let cache = req.app_data::<web::Data<PageCache>>().cloned();
    let (cache, key) = match (kind(&req), cache) {
        (Kind::Anonymous(key), Some(cache)) if enabled => (cache, key),
        (Kind::Unkept, _) if enabled => {
            let mut res = next.call(req).await?.map_into_boxed_body();
            mark(&mut res, Outcome::Bypass);
            return Ok(res);
        }
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let generation = match cache.lookup(&key).await {
        Lookup::Hit(body) => return Ok(hit(&cache, req, body)),
        Lookup::Miss(generation) => generation,
        Lookup::Unavailable => None,
    };
    let Some(generation) = generation else {
        cache.record(Outcome::Bypass);
        let mut res = next.call(req).await?.map_into_boxed_body();
        mark(&mut res, Outcome::Bypass);
        return Ok(res);
    };
    // One request per instance asks models; the others wait for its answer (a write makes
    // every key stale at once, and the next moment brings every reader back).
    let fill = cache.fill_lock(&key).await;
    let generation = match fill.as_ref().filter(|f| f.waited()) {
        Some(_) => match cache.lookup(&key).await {
            Lookup::Hit(body) => return Ok(hit(&cache, req, body)),
            Lookup::Miss(Some(now)) => now,
            Lookup::Miss(None) | Lookup::Unavailable => generation,
        },
        None => generation,
    };
    cache.record(Outcome::Miss);
    let res = next.call(req).await?;
    if res.status() != StatusCode::OK {
        let mut res = res.map_into_boxed_body();
        mark(&mut res, Outcome::Miss);
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    // Handlers answer with bodies already in memory: this only takes them out.
    let body = actix_web::body::to_bytes(body).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        actix_web::error::ErrorInternalServerError(e.to_string())
    })?;
    cache.store(&key, generation, body.clone()).await;
    drop(fill);
    let mut res = ServiceResponse::new(req, head.set_body(body).map_into_boxed_body());
    mark(&mut res, Outcome::Miss);
    Ok(res)
}

fn hit(cache: &PageCache, req: ServiceRequest, body: web::Bytes) -> ServiceResponse<BoxBody> {
    cache.record(Outcome::Hit);
    let res = HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .insert_header((X_CACHE, HeaderValue::from_static("HIT")))
        .body(body);
    req.into_response(res)
}

fn mark(res: &mut ServiceResponse<BoxBody>, outcome: Outcome) {
    res.headers_mut()
        .insert(X_CACHE, HeaderValue::from_static(outcome.header()));
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn only_anonymous_api_reads_are_kept() {
        let get = |path: &str| kind(&TestRequest::get().uri(path).to_srv_request());
        let kept = |path: &str| match get(path) {
            Kind::Anonymous(key) => key.as_str().to_owned(),
            other => panic!("{path}: {other:?}"),
        };
        assert_eq!(kept("/api/tags"), "conduit:api:v1:/api/tags");
        assert_eq!(
            kept("/api/articles?offset=0&limit=20"),
            "conduit:api:v1:/api/articles?limit=20&offset=0"
        );
        assert_eq!(
            kept("/api/articles?limit=20&offset=0"),
            kept("/api/articles?offset=0&limit=20")
        );
        assert_eq!(
            kept("/api/articles?tag=a%20b"),
            kept("/api/articles?tag=a+b")
        );
        assert_ne!(kept("/api/articles?tag=a"), kept("/api/articles?author=a"));
        for unkept in [
            "/api/articles?limit=20&limit=5",
            "/api/articles?limit=20&utm_source=x",
            "/api/tags?v=1",
        ] {
            assert_eq!(get(unkept), Kind::Unkept, "{unkept}");
        }
        assert_eq!(get("/pages/home"), Kind::Other);
        assert_eq!(get("/health"), Kind::Other);
        let signed_in = TestRequest::get()
            .uri("/api/articles")
            .insert_header((header::AUTHORIZATION, "Token x"))
            .to_srv_request();
        assert_eq!(kind(&signed_in), Kind::Unkept);
        let write = TestRequest::post().uri("/api/articles").to_srv_request();
        assert_eq!(kind(&write), Kind::Other);
    }
}
