//! Articles, favorites, comments and tags.

use actix_web::{HttpResponse, web};
use conduit_wire::models::{
    ArticlePatch, ArticleQuery, CommentList, NewArticle, NewComment, OwnerQuery, TagList,
    TagsQuery, ViewerQuery,
};

use crate::queries::{articles, comments, tags};
use crate::{AppState, Error};
use conduit_wire::ErrorBody;

type Result = std::result::Result<HttpResponse, Error>;

pub async fn list_articles(state: web::Data<AppState>, query: web::Query<ArticleQuery>) -> Result {
    let list = state.db(move |c| articles::list(c, &query)).await?;
    Ok(HttpResponse::Ok().json(list))
}

pub async fn create_article(state: web::Data<AppState>, body: web::Json<NewArticle>) -> Result {
    let article = state.db(move |c| articles::create(c, &body)).await?;
    Ok(HttpResponse::Created().json(article))
}

pub async fn get_article(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    viewer: web::Query<ViewerQuery>,
) -> Result {
    let viewer = viewer.viewer;
    let article = state.db(move |c| articles::get(c, &slug, viewer)).await?;
    Ok(HttpResponse::Ok().json(article))
}

pub async fn update_article(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    patch: web::Json<ArticlePatch>,
) -> Result {
    let article = state
        .db(move |c| articles::update(c, &slug, &patch))
        .await?;
    Ok(HttpResponse::Ok().json(article))
}

pub async fn delete_article(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    owner: web::Query<OwnerQuery>,
) -> Result {
    let author = owner.author_id;
    state
        .db(move |c| articles::delete(c, &slug, author))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn favorite(state: web::Data<AppState>, path: web::Path<(String, i64)>) -> Result {
    let (slug, user) = path.into_inner();
    let article = state
        .db(move |c| articles::favorite(c, &slug, user))
        .await?;
    Ok(HttpResponse::Ok().json(article))
}

pub async fn unfavorite(state: web::Data<AppState>, path: web::Path<(String, i64)>) -> Result {
    let (slug, user) = path.into_inner();
    let article = state
        .db(move |c| articles::unfavorite(c, &slug, user))
        .await?;
    Ok(HttpResponse::Ok().json(article))
}

pub async fn list_comments(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    viewer: web::Query<ViewerQuery>,
) -> Result {
    let viewer = viewer.viewer;
    let comments = state.db(move |c| comments::list(c, &slug, viewer)).await?;
    Ok(HttpResponse::Ok().json(CommentList { comments }))
}

pub async fn create_comment(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<NewComment>,
) -> Result {
    let comment = state.db(move |c| comments::create(c, &slug, &body)).await?;
    Ok(HttpResponse::Created().json(comment))
}

pub async fn delete_comment(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    owner: web::Query<OwnerQuery>,
) -> Result {
    let (slug, id) = path.into_inner();
    let author = owner.author_id;
    state
        .db(move |c| comments::delete(c, &slug, id, author))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn list_tags(state: web::Data<AppState>, q: web::Query<TagsQuery>) -> Result {
    let limit = match q.limit {
        None => None,
        Some(n @ 1..=1000) => Some(n),
        Some(_) => {
            return Err(Error::Invalid(ErrorBody::new(
                "limit",
                "must be from 1 to 1000",
            )));
        }
    };
    let tags = state.db(move |c| tags::in_use(c, limit)).await?;
    Ok(HttpResponse::Ok().json(TagList { tags }))
}
