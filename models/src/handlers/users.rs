//! Users, credentials, profiles and follows.

use actix_web::{HttpResponse, web};
use conduit_wire::models::{CredentialsQuery, NewUser, UserPatch, ViewerQuery, ViewingQuery};

use crate::queries::{profiles, users};
use crate::{AppState, Error};

type Result = std::result::Result<HttpResponse, Error>;

pub async fn create_user(state: web::Data<AppState>, body: web::Json<NewUser>) -> Result {
    let user = state.db(move |c| users::create(c, &body)).await?;
    Ok(HttpResponse::Created().json(user))
}

pub async fn get_user(state: web::Data<AppState>, id: web::Path<i64>) -> Result {
    let id = id.into_inner();
    let user = state.db(move |c| users::by_id(c, id)).await?;
    Ok(HttpResponse::Ok().json(user))
}

pub async fn viewing(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Json<ViewingQuery>,
) -> Result {
    let id = id.into_inner();
    let viewing = state.db(move |c| profiles::viewing(c, id, &query)).await?;
    Ok(HttpResponse::Ok().json(viewing))
}

pub async fn get_user_by_username(state: web::Data<AppState>, name: web::Path<String>) -> Result {
    let user = state.db(move |c| users::by_username(c, &name)).await?;
    Ok(HttpResponse::Ok().json(user))
}

pub async fn get_user_by_email(state: web::Data<AppState>, email: web::Path<String>) -> Result {
    let user = state.db(move |c| users::by_email(c, &email)).await?;
    Ok(HttpResponse::Ok().json(user))
}

pub async fn update_user(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    patch: web::Json<UserPatch>,
) -> Result {
    let id = id.into_inner();
    let user = state.db(move |c| users::update(c, id, &patch)).await?;
    Ok(HttpResponse::Ok().json(user))
}

pub async fn get_credentials(
    state: web::Data<AppState>,
    query: web::Json<CredentialsQuery>,
) -> Result {
    let creds = state
        .db(move |c| users::credentials(c, &query.email))
        .await?;
    Ok(HttpResponse::Ok().json(creds))
}

pub async fn get_profile(
    state: web::Data<AppState>,
    username: web::Path<String>,
    viewer: web::Query<ViewerQuery>,
) -> Result {
    let viewer = viewer.viewer;
    let profile = state
        .db(move |c| profiles::get(c, &username, viewer))
        .await?;
    Ok(HttpResponse::Ok().json(profile))
}

pub async fn follow(state: web::Data<AppState>, path: web::Path<(String, i64)>) -> Result {
    let (username, follower) = path.into_inner();
    let profile = state
        .db(move |c| profiles::follow(c, follower, &username))
        .await?;
    Ok(HttpResponse::Ok().json(profile))
}

pub async fn unfollow(state: web::Data<AppState>, path: web::Path<(String, i64)>) -> Result {
    let (username, follower) = path.into_inner();
    let profile = state
        .db(move |c| profiles::unfollow(c, follower, &username))
        .await?;
    Ok(HttpResponse::Ok().json(profile))
}
