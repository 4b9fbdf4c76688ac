//! Users, login, profiles and follows.

use actix_web::{HttpRequest, HttpResponse, web};
use conduit_service::RequestId;
use conduit_wire::api::{Login, NewUser, ProfileEnvelope, UserEnvelope, UserUpdate};
use conduit_wire::identity::nfc;
use conduit_wire::models;

use crate::auth::{CurrentUser, MaybeUser};
use crate::error::Error;
use crate::limiter::LoginLimiter;
use crate::validate::{self, Check};
use crate::{AppState, convert};

type Result = std::result::Result<HttpResponse, Error>;

pub async fn login(
    state: web::Data<AppState>,
    limiter: web::Data<LoginLimiter>,
    rid: RequestId,
    req: HttpRequest,
    body: web::Json<UserEnvelope<Login>>,
) -> Result {
    let mut check = Check::new();
    let email = check.required("email", body.user.email.as_deref());
    // Before anything else: a longer email is no account, and must not reach the limiter.
    validate::email_length(&mut check, &email);
    let password = body.user.password.clone().unwrap_or_default();
    check.rule(password.is_empty(), "password", "can't be blank");
    check.finish()?;

    let address = state.client_address(&req);
    // Counted before the password is checked: parallel guesses cannot outrun the limit.
    limiter
        .attempt(&email, &address)
        .await
        .map_err(Error::TooManyAttempts)?;
    let creds = match state.models.credentials(Some(rid.as_str()), &email).await {
        Ok(c) => Some(c),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    let hash = creds.as_ref().map(|c| c.password_hash.clone());
    if !state.passwords.verify(password, hash).await? {
        return Err(Error::BadCredentials);
    }
    limiter.succeeded(&email, &address).await;
    let user = creds.map(|c| c.user).ok_or(Error::BadCredentials)?;
    let token = state.tokens.issue(user.id, user.session_generation)?;
    Ok(HttpResponse::Ok().json(UserEnvelope {
        user: convert::user(user, token),
    }))
}

pub async fn register(
    state: web::Data<AppState>,
    limiter: web::Data<LoginLimiter>,
    rid: RequestId,
    req: HttpRequest,
    body: web::Json<UserEnvelope<NewUser>>,
) -> Result {
    let new = body.into_inner().user;
    let mut check = Check::new();
    // Stored in NFC: one spelling of a name, whatever the keyboard sent.
    let username = nfc(&check.required("username", new.username.as_deref()));
    let email = nfc(&check.required("email", new.email.as_deref()));
    let password = new.password.unwrap_or_default();
    check.rule(password.is_empty(), "password", "can't be blank");
    validate::username(&mut check, &username);
    validate::email(&mut check, &email);
    if !password.is_empty() {
        validate::password(&mut check, &password);
    }
    check.finish()?;

    limiter
        .sign_up(&state.client_address(&req))
        .await
        .map_err(Error::TooManySignUps)?;
    let password_hash = state.passwords.hash(password).await?;
    let user = state
        .models
        .create_user(
            Some(rid.as_str()),
            &models::NewUser {
                username,
                email,
                password_hash,
            },
        )
        .await?;
    let token = state.tokens.issue(user.id, user.session_generation)?;
    Ok(HttpResponse::Created().json(UserEnvelope {
        user: convert::user(user, token),
    }))
}

/// `GET /api/user`: the user was read to check the token; no other call.
pub async fn current_user(me: CurrentUser) -> Result {
    Ok(HttpResponse::Ok().json(UserEnvelope {
        user: convert::user(me.user, me.token),
    }))
}

/// `DELETE /api/user/sessions` ("sign out everywhere", not in the RealWorld spec): every
/// token of the user issued so far stops working, this one included; 204.
pub async fn end_sessions(state: web::Data<AppState>, rid: RequestId, me: CurrentUser) -> Result {
    let patch = models::UserPatch {
        end_sessions: true,
        ..models::UserPatch::default()
    };
    match state
        .models
        .update_user(Some(rid.as_str()), me.id, &patch)
        .await
    {
        Ok(_) => Ok(HttpResponse::NoContent().finish()),
        Err(e) if e.is_not_found() => Err(Error::TokenInvalid),
        Err(e) => Err(e.into()),
    }
}

pub async fn update_user(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    body: web::Json<UserEnvelope<UserUpdate>>,
) -> Result {
    let update = body.into_inner().user;
    let mut check = Check::new();
    let mut patch = models::UserPatch::default();
    if let Some(value) = &update.username {
        let v = nfc(&check.required("username", value.as_deref()));
        validate::username(&mut check, &v);
        patch.username = Some(v);
    }
    if let Some(value) = &update.email {
        let v = nfc(&check.required("email", value.as_deref()));
        validate::email(&mut check, &v);
        patch.email = Some(v);
    }
    let mut password = None;
    if let Some(value) = &update.password {
        match value.as_deref() {
            None | Some("") => check.rule(true, "password", "can't be blank"),
            Some(p) => {
                validate::password(&mut check, p);
                password = Some(p.to_owned());
            }
        }
    }
    // "" and null both clear bio and image.
    let clearable = |v: &Option<Option<String>>| {
        v.as_ref()
            .map(|inner| inner.clone().filter(|s| !s.trim().is_empty()))
    };
    patch.bio = clearable(&update.bio);
    patch.image = clearable(&update.image);
    if let Some(Some(image)) = &patch.image {
        check.max_len("image", image, 2048);
    }
    if let Some(Some(bio)) = &patch.bio {
        check.max_len("bio", bio, 5000);
    }
    check.finish()?;
    if let Some(p) = password {
        patch.password_hash = Some(state.passwords.hash(p).await?);
        // A new password ends every other session; the answer's token is the new one.
        patch.end_sessions = true;
    }

    let user = match state
        .models
        .update_user(Some(rid.as_str()), me.id, &patch)
        .await
    {
        Ok(u) => u,
        Err(e) if e.is_not_found() => return Err(Error::TokenInvalid),
        Err(e) => return Err(e.into()),
    };
    // Only a request that ended the sessions itself gets a new token: one that raced with
    // "sign out everywhere" must not come out of it with a live one.
    let token = if patch.end_sessions {
        state.tokens.issue(user.id, user.session_generation)?
    } else {
        me.token
    };
    Ok(HttpResponse::Ok().json(UserEnvelope {
        user: convert::user(user, token),
    }))
}

pub async fn get_profile(
    state: web::Data<AppState>,
    rid: RequestId,
    viewer: MaybeUser,
    username: web::Path<String>,
) -> Result {
    let profile = state
        .models
        .get_profile(Some(rid.as_str()), &username, viewer.id())
        .await?;
    Ok(HttpResponse::Ok().json(ProfileEnvelope {
        profile: convert::profile(profile),
    }))
}

pub async fn follow(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    username: web::Path<String>,
) -> Result {
    let profile = state
        .models
        .follow(Some(rid.as_str()), &username, me.id)
        .await?;
    Ok(HttpResponse::Ok().json(ProfileEnvelope {
        profile: convert::profile(profile),
    }))
}

pub async fn unfollow(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    username: web::Path<String>,
) -> Result {
    let profile = state
        .models
        .unfollow(Some(rid.as_str()), &username, me.id)
        .await?;
    Ok(HttpResponse::Ok().json(ProfileEnvelope {
        profile: convert::profile(profile),
    }))
}
