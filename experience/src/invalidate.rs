//! Page-cache invalidation: every acknowledged write through `/api` moves the content
//! generation before its response leaves, so the next page load anywhere is fresh.
//!
//! The web tier's forms write through `/api` too, so this one place covers both paths.
//! Signing in writes nothing a page shows, so it does not invalidate.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use conduit_pagecache::PageCache;

fn is_content_write(method: &Method, path: &str) -> bool {
    let writes = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    writes && path.starts_with("/api/") && path != "/api/users/login"
}

/// Middleware: after a successful `/api` write, bump the page-cache generation.
pub async fn bump_after_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let cache = is_content_write(req.method(), req.path())
        .then(|| req.app_data::<web::Data<PageCache>>().cloned())
        .flatten();
    let res = next.call(req).await?;
    // A write whose outcome is unknown (interrupted: 502, timed out: 504) may have been
    // made: pages are made stale for it too.
    if let Some(cache) = cache
        && (res.status().is_success() || matches!(res.status().as_u16(), 502 | 504))
        && let Err(error) = cache.bump().await
    {
        // The cache logs the outage once; the bump is retried in the background.
        tracing::debug!(%error, "page cache generation bump failed");
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_writes_invalidate_and_reads_and_sign_ins_do_not() {
        assert!(is_content_write(&Method::POST, "/api/articles"));
        assert!(is_content_write(&Method::PUT, "/api/user"));
        assert!(is_content_write(
            &Method::DELETE,
            "/api/articles/a/favorite"
        ));
        assert!(is_content_write(&Method::POST, "/api/users"));
        assert!(!is_content_write(&Method::POST, "/api/users/login"));
        assert!(!is_content_write(&Method::GET, "/api/articles"));
        assert!(!is_content_write(&Method::OPTIONS, "/api/articles"));
        assert!(!is_content_write(&Method::POST, "/pages/home"));
    }
}
