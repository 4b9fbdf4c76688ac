//! HTTP handlers: extract, call one query function on the blocking pool, answer JSON.

mod articles;
mod users;

use actix_web::{HttpResponse, web};
use conduit_wire::ErrorBody;

/// The models API routes (documented in README.md, "The models API").
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/users")
            .route("", web::post().to(users::create_user))
            .route(
                "/by-username/{username}",
                web::get().to(users::get_user_by_username),
            )
            .route("/by-email/{email}", web::get().to(users::get_user_by_email))
            .route("/{id}", web::get().to(users::get_user))
            .route("/{id}", web::patch().to(users::update_user))
            .route("/{id}/viewing", web::post().to(users::viewing)),
    )
    .route("/credentials", web::post().to(users::get_credentials))
    .service(
        web::scope("/profiles/{username}")
            .route("", web::get().to(users::get_profile))
            .route("/followers/{follower}", web::put().to(users::follow))
            .route("/followers/{follower}", web::delete().to(users::unfollow)),
    )
    .service(
        web::scope("/articles")
            .route("", web::get().to(articles::list_articles))
            .route("", web::post().to(articles::create_article))
            .route("/{slug}", web::get().to(articles::get_article))
            .route("/{slug}", web::patch().to(articles::update_article))
            .route("/{slug}", web::delete().to(articles::delete_article))
            .route(
                "/{slug}/favorites/{user}",
                web::put().to(articles::favorite),
            )
            .route(
                "/{slug}/favorites/{user}",
                web::delete().to(articles::unfavorite),
            )
            .route("/{slug}/comments", web::get().to(articles::list_comments))
            .route("/{slug}/comments", web::post().to(articles::create_comment))
            .route(
                "/{slug}/comments/{id}",
                web::delete().to(articles::delete_comment),
            ),
    )
    .route("/tags", web::get().to(articles::list_tags));
}

/// 404 for routes that do not exist, as JSON like every other error.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody::new("route", "not found"))
}
