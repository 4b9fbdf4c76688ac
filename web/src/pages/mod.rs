//! The site, one module per page: each holds its GET handler, the POST handlers of the
//! forms it shows, and its template's data. The route table below says, for each page,
//! whether visitors get it from the page cache (`cache::list_page`, `cache::article_page`).

mod article;
mod auth;
mod editor;
mod home;
mod profile;
mod settings;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::cache;
use crate::error::WebError;
use crate::respond::Page;

/// Every page and form of the site.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    // Cached for visitors: the lists (one copy per canonical `?page=N`) and the articles.
    let list = || from_fn(cache::list_page);
    cfg.service(web::resource("/").wrap(list()).get(home::global_or_feed))
        .service(web::resource("/tag/{tag}").wrap(list()).get(home::tag))
        .service(
            web::resource("/profile/{username}")
                .wrap(list())
                .get(profile::list::<false>),
        )
        .service(
            web::resource("/profile/{username}/favorites")
                .wrap(list())
                .get(profile::list::<true>),
        )
        .service(
            web::resource("/article/{slug}")
                .wrap(from_fn(cache::article_page))
                .get(article::show),
        );
    // Never cached: forms and the writes they post.
    cfg.route("/login", web::get().to(auth::sign_in_page))
        .route("/login", web::post().to(auth::sign_in))
        .route("/register", web::get().to(auth::sign_up_page))
        .route("/register", web::post().to(auth::sign_up))
        .route("/logout", web::post().to(auth::sign_out))
        .route("/settings", web::get().to(settings::show))
        .route("/settings", web::post().to(settings::save))
        .route(
            "/settings/sign-out-everywhere",
            web::post().to(settings::sign_out_everywhere),
        )
        .route("/editor", web::get().to(editor::new_article))
        .route("/editor", web::post().to(editor::create))
        .route("/editor/{slug}", web::get().to(editor::edit_article))
        .route("/editor/{slug}", web::post().to(editor::update))
        .route("/article/{slug}/delete", web::post().to(article::delete))
        .route(
            "/article/{slug}/favorite",
            web::post().to(article::set_favorite::<true>),
        )
        .route(
            "/article/{slug}/unfavorite",
            web::post().to(article::set_favorite::<false>),
        )
        .route(
            "/article/{slug}/comments",
            web::post().to(article::add_comment),
        )
        .route(
            "/article/{slug}/comments/{id}/delete",
            web::post().to(article::delete_comment),
        )
        .route(
            "/profile/{username}/follow",
            web::post().to(profile::set_follow::<true>),
        )
        .route(
            "/profile/{username}/unfollow",
            web::post().to(profile::set_follow::<false>),
        );
}

pub(crate) async fn not_found() -> Page {
    Err(WebError::NotFound)
}

/// A list page after the last is not a page (404): it would render empty, and every number
/// would be one more copy in the page cache.
fn past_the_last_page(list: &conduit_wire::pages::ArticleListPage) -> Result<(), WebError> {
    if list.page > list.pages {
        return Err(WebError::NotFound);
    }
    Ok(())
}

/// `?page=N` of a list page.
#[derive(Debug, serde::Deserialize)]
struct ListParams {
    #[serde(default)]
    page: conduit_wire::pages::PageNumber,
}
