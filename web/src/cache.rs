//! Whole-page caching of what visitors (not signed in) see: the home page, tag pages,
//! articles and profiles.
//!
//! A hit is answered here, from one cache round trip, without calling experience. A miss
//! renders the page (one render per page at a time in this instance; the others wait for it
//! and are then hits) and stores it when it is a 200 that sets no cookie. Pages of signed-in
//! users, the sign-in/up forms and every non-GET request pass by. Every HTML response says
//! which it was in `X-Cache: HIT | MISS | BYPASS`. Invalidation is the experience tier's
//! generation bump on every write; see `conduit-pagecache`.
//!
//! Pages are stored gzip'd (see `compress`): compressed once when rendered, sent as stored to
//! every client that takes gzip, unpacked for the rare one that does not.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use conduit_pagecache::{Lookup, Outcome, PageCache, PageKey};

use crate::compress;
use crate::session::SESSION_COOKIE;

/// The query parameters that change a cacheable page; the others are left out of the key.
const SIGNIFICANT: &[&str] = &["page"];

/// The pages a visitor may be served from the cache.
fn is_cacheable_path(path: &str) -> bool {
    path == "/"
        || ["/tag/", "/article/", "/profile/"]
            .iter()
            .any(|p| path.starts_with(p))
}

fn signed_in(req: &ServiceRequest) -> bool {
    req.cookie(SESSION_COOKIE)
        .is_some_and(|c| !c.value().is_empty())
}

/// Middleware: serve visitors' pages from the cache, store what they are rendered as.
pub async fn page_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let cache = req.app_data::<web::Data<PageCache>>().cloned();
    let cacheable = req.method() == Method::GET
        && is_cacheable_path(req.path())
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
    let key = PageKey::new(req.path(), req.query_string(), SIGNIFICANT);
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
            header::HeaderName::from_static("x-cache"),
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
    fn visitors_pages_are_cacheable_and_forms_are_not() {
        for path in [
            "/",
            "/tag/rust",
            "/article/a-b",
            "/profile/ada",
            "/profile/ada/favorites",
        ] {
            assert!(is_cacheable_path(path), "{path}");
        }
        for path in [
            "/login",
            "/register",
            "/editor",
            "/settings",
            "/static/x.css",
            "/health",
        ] {
            assert!(!is_cacheable_path(path), "{path}");
        }
    }
}
