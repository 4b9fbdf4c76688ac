//! Page-cache invalidation: every acknowledged write through `/api` that changes content
//! moves the content generation before its response leaves, so the next page load (and API
//! read) anywhere is fresh. The route table (`api::routes`) wraps each such write.
//!
//! The web tier's forms write through `/api` too, so this one place covers both paths.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use conduit_cache::PageCache;

/// Middleware of a write: once it succeeded, bump the content generation.
pub async fn bump_after_write(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let cache = req.app_data::<web::Data<PageCache>>().cloned();
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
