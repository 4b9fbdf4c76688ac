//! The public RealWorld API under `/api` (shared/spec/api.md).

mod articles;
mod cors;
mod users;

use actix_web::middleware::from_fn;
use actix_web::{Route, web};

use crate::invalidate;

/// A write that changes what pages and API reads show: once it succeeds, every cached page
/// and read is stale (`invalidate`).
fn changes_content(route: Route) -> Route {
    route.wrap(from_fn(invalidate::bump_after_write))
}

/// Registers `/api` and its routes. Reads are served by `read_cache` to visitors; each
/// write that changes content says so (`changes_content`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            // CORS outside the cache, so answers from the cache carry its header too.
            .wrap(from_fn(crate::read_cache::serve_reads))
            .wrap(from_fn(cors::cors))
            // Signing in writes nothing a page shows.
            .route("/users/login", web::post().to(users::login))
            .route("/users", changes_content(web::post().to(users::register)))
            .route("/user", web::get().to(users::current_user))
            .route("/user", changes_content(web::put().to(users::update_user)))
            .route(
                "/user/sessions",
                changes_content(web::delete().to(users::end_sessions)),
            )
            .route("/profiles/{username}", web::get().to(users::get_profile))
            .route(
                "/profiles/{username}/follow",
                changes_content(web::post().to(users::follow)),
            )
            .route(
                "/profiles/{username}/follow",
                changes_content(web::delete().to(users::unfollow)),
            )
            .route("/articles", web::get().to(articles::list_articles))
            .route(
                "/articles",
                changes_content(web::post().to(articles::create_article)),
            )
            .route("/articles/feed", web::get().to(articles::feed))
            .route("/articles/{slug}", web::get().to(articles::get_article))
            .route(
                "/articles/{slug}",
                changes_content(web::put().to(articles::update_article)),
            )
            .route(
                "/articles/{slug}",
                changes_content(web::delete().to(articles::delete_article)),
            )
            .route(
                "/articles/{slug}/favorite",
                changes_content(web::post().to(articles::favorite)),
            )
            .route(
                "/articles/{slug}/favorite",
                changes_content(web::delete().to(articles::unfavorite)),
            )
            .route(
                "/articles/{slug}/comments",
                web::get().to(articles::list_comments),
            )
            .route(
                "/articles/{slug}/comments",
                changes_content(web::post().to(articles::create_comment)),
            )
            .route(
                "/articles/{slug}/comments/{id}",
                changes_content(web::delete().to(articles::delete_comment)),
            )
            .route("/tags", web::get().to(articles::list_tags)),
    );
}
