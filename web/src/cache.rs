//! Whole-page caching of what visitors (not signed in) see. The route table
//! (`crate::pages::routes`) says which pages: the lists (home, tags, profiles) are wrapped in
//! [`list_page`], articles in [`article_page`].
//!
//! A hit is answered here, from one cache round trip, without calling experience. A miss
//! renders the page (one render per page at a time in this instance; the others wait for it
//! and are then hits) and stores it when it is a 200 that sets no cookie. Pages of signed-in
//! users, the sign-in/up forms and every non-GET request pass by. Every HTML response says
//! which it was in `X-Cache: HIT | MISS | BYPASS`. Invalidation is the experience tier's
//! generation bump on every write; see `conduit-cache`.
//!
//! Pages are stored gzip'd (see `compress`): compressed once when rendered, sent as stored to
//! every client that takes gzip, unpacked for the rare one that does not.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use conduit_cache::{Lookup, Outcome, PageCache, PageKey};

use crate::compress;
use crate::session::{SECURE_SESSION_COOKIE, SESSION_COOKIE};

/// Where a list page whose `page` parameter is not in canonical form (digits, no leading
/// zero, 1 or more, once) is moved for good: the same page under its one URL, so `page=01`
/// or `page=%201` are never keys of their own. `page=1` is canonical (the pagination
/// buttons' URL of the first page), beside the URL without it; values the page would read as
/// page 1 (unreadable) lead to the URL without `page`.
fn canonical_location(path: &str, query: &str) -> Option<String> {
    let values: Vec<_> = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "page")
        .map(|(_, value)| value)
        .collect();
    let first = values.first()?;
    let page = first
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    if *first == page.to_string() && values.len() == 1 {
        return None;
    }
    let others = form_urlencoded::parse(query.as_bytes()).filter(|(name, _)| name != "page");
    let mut rest = form_urlencoded::Serializer::new(String::new());
    rest.extend_pairs(others);
    if page > 1 {
        rest.append_pair("page", &page.to_string());
    }
    let rest = rest.finish();
    Some(if rest.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{rest}")
    })
}

fn signed_in(req: &ServiceRequest) -> bool {
    [SESSION_COOKIE, SECURE_SESSION_COOKIE]
        .iter()
        .any(|name| req.cookie(name).is_some_and(|c| !c.value().is_empty()))
}

/// What kind of cached page a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A list: `?page=N` picks the copy, and has one URL per page.
    List,
    /// An article: no parameter changes it, so none makes another copy.
    Article,
}

impl Kind {
    /// The query parameters that change the page; the others are left out of its key.
    fn significant(self) -> &'static [&'static str] {
        match self {
            Self::List => &["page"],
            Self::Article => &[],
        }
    }
}

/// Middleware of a list page (home, a tag, a profile): visitors get it from the cache, one
/// copy per page number, whose non-canonical spellings are moved to the one URL.
pub async fn list_page(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    page_cache(Kind::List, req, next).await
}

/// Middleware of an article page: visitors get it from the cache, one copy whatever the
/// query.
pub async fn article_page(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    page_cache(Kind::Article, req, next).await
}

/// Middleware around the whole site: every other HTML answer (forms, error pages, static
/// files aside) says `X-Cache: BYPASS`, and is counted so.
pub async fn tag_the_rest(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let cache = req.app_data::<web::Data<PageCache>>().cloned();
    let res = next.call(req).await?.map_into_boxed_body();
    if res.headers().contains_key(Outcome::HEADER) {
        return Ok(res);
    }
    Ok(tagged(res, Outcome::Bypass, cache.as_deref().map(|c| &**c)))
}

async fn page_cache(
    kind: Kind,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() == Method::GET
        && kind == Kind::List
        && let Some(location) = canonical_location(req.path(), req.query_string())
    {
        let res = HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, location))
            .finish();
        return Ok(tagged(req.into_response(res), Outcome::Bypass, None));
    }
    let cache = req.app_data::<web::Data<PageCache>>().cloned();
    let cacheable = req.method() == Method::GET
        // "Your Feed" is personal: visitors are sent to sign in, which is not stored anyway.
        && !req.query_string().contains("feed=")
        && !signed_in(&req);
    let Some(cache) = cache else {
        let res = next.call(req).await?.map_into_boxed_body();
        return Ok(tagged(res, Outcome::Bypass, None));
    };
    if !cacheable {
        let res = next.call(req).await?.map_into_boxed_body();
        return Ok(tagged(res, Outcome::Bypass, Some(&cache)));
    }
    let key = PageKey::new(req.path(), req.query_string(), kind.significant());
    let gzip_ok = compress::accepts_gzip(req.headers());
    let generation = match served(cache.lookup(&key).await, gzip_ok) {
        Found::Page(res) => return Ok(tagged(req.into_response(res), Outcome::Hit, Some(&cache))),
        Found::Render(generation) => generation,
        Found::NoCache => {
            let res = next.call(req).await?.map_into_boxed_body();
            return Ok(tagged(res, Outcome::Bypass, Some(&cache)));
        }
    };
    // One render of this page at a time here: who waited looks again (a hit, usually).
    let fill = cache.fill_lock(&key).await;
    let generation = match fill.as_ref().map(|f| f.waited()) {
        Some(false) => generation,
        _ => match served(cache.lookup(&key).await, gzip_ok) {
            Found::Page(res) => {
                return Ok(tagged(req.into_response(res), Outcome::Hit, Some(&cache)));
            }
            Found::Render(generation) => generation,
            Found::NoCache => None,
        },
    };
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(generation) = generation.filter(|_| storable(&res)) else {
        return Ok(tagged(res, Outcome::Miss, Some(&cache)));
    };
    let (req, res) = res.into_parts();
    let (mut res, body) = res.into_parts();
    let page = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    // Stored compressed: compressed once here instead of on every hit.
    let gz = compress::gzip(&page);
    cache.store(&key, generation, gz.clone()).await;
    drop(fill);
    let body = if gzip_ok {
        compress::mark_gzip(res.headers_mut());
        gz
    } else {
        page
    };
    let res = ServiceResponse::new(req, res.set_body(BoxBody::new(body)));
    Ok(tagged(res, Outcome::Miss, Some(&cache)))
}

/// Only a plain 200 page that sets no cookie and is not marked private is shared.
fn storable(res: &ServiceResponse<BoxBody>) -> bool {
    let headers = res.headers();
    res.status() == StatusCode::OK
        && !headers.contains_key(header::SET_COOKIE)
        && !headers.contains_key(header::CACHE_CONTROL)
        && headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
}

/// What a lookup leaves this request to do.
enum Found {
    /// Send this stored page.
    Page(HttpResponse),
    /// Render the page; store it at this generation, if known.
    Render(Option<u64>),
    /// The cache is off or failing: render, store nothing.
    NoCache,
}

fn served(lookup: Lookup, gzip_ok: bool) -> Found {
    match lookup {
        Lookup::Hit(page) => hit(page, gzip_ok).map_or(Found::Render(None), Found::Page),
        Lookup::Miss(generation) => Found::Render(generation),
        Lookup::Unavailable => Found::NoCache,
    }
}

/// The response for a stored (gzip) page: as it is for a client that takes gzip, unpacked
/// for one that does not. `None` if the stored bytes do not unpack (then the page is rendered).
fn hit(gz: web::Bytes, gzip_ok: bool) -> Option<HttpResponse> {
    let mut res = HttpResponse::Ok();
    res.content_type("text/html; charset=utf-8");
    if gzip_ok {
        res.insert_header((header::CONTENT_ENCODING, "gzip"));
        return Some(res.body(gz));
    }
    match compress::gunzip(&gz) {
        Ok(page) => Some(res.body(page)),
        Err(e) => {
            tracing::warn!(error = %e, "a cached page did not unpack; rendering it");
            None
        }
    }
}

/// Adds `X-Cache` to HTML responses and counts the outcome.
fn tagged(
    mut res: ServiceResponse<BoxBody>,
    outcome: Outcome,
    cache: Option<&PageCache>,
) -> ServiceResponse<BoxBody> {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html {
        res.headers_mut().insert(
            header::HeaderName::from_static(Outcome::HEADER),
            HeaderValue::from_static(outcome.header()),
        );
        if let Some(cache) = cache {
            cache.record(outcome);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_number_has_one_url() {
        for (query, location) in [
            ("page=01", Some("/")),
            ("page=1", None),
            ("page=%201", Some("/")),
            ("page=abc", Some("/")),
            ("page=-3", Some("/")),
            ("page=007", Some("/?page=7")),
            ("page=2&page=3", Some("/?page=2")),
            ("feed=following&page=02", Some("/?feed=following&page=2")),
            ("page=99999999999999999999", Some("/")),
            ("page=2", None),
            ("page=9223372036854775807", None),
            ("page=+2", Some("/?page=2")),
            ("", None),
            ("utm_source=x", None),
        ] {
            assert_eq!(
                canonical_location("/", query).as_deref(),
                location,
                "{query}"
            );
        }
    }

    #[test]
    fn an_article_page_key_ignores_the_page_parameter() {
        let path = "/article/a-b";
        let article = Kind::Article.significant();
        assert_eq!(
            PageKey::new(path, "page=2", article),
            PageKey::new(path, "", article)
        );
        let list = Kind::List.significant();
        assert_ne!(
            PageKey::new("/", "page=2", list),
            PageKey::new("/", "", list)
        );
    }
}
