//! Tokens (HS256 JWTs) and the extractors that read the caller (passwords: `passwords`).
//!
//! A token's subject is the user id, so it survives a change of username or email. It also
//! carries the user's session generation (`gen`): every authenticated request reads the user
//! (one primary-key read in models, whose answer the handler then uses) and refuses a token
//! of an older generation, so a password change or "sign out everywhere" ends every session
//! at once, on every instance. `nbf`, when present, is checked.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::Error;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
    /// The user's session generation when the token was issued (absent: 0).
    #[serde(default, rename = "gen")]
    generation: i64,
}

/// Issues and checks tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// A key still accepted during a rotation (`JWT_SECRET_PREVIOUS`), never used to sign.
    previous: Option<DecodingKey>,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Tokens signed with `secret`, valid for `ttl`; those signed with `previous` are still
    /// accepted.
    pub fn new(secret: &str, previous: Option<&str>, ttl: Duration) -> Self {
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 5;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            previous: previous.map(|p| DecodingKey::from_secret(p.as_bytes())),
            validation,
            ttl,
        }
    }

    /// A new token for `user_id` at session generation `generation`.
    pub fn issue(&self, user_id: i64, generation: i64) -> Result<String, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            generation,
        };
        jsonwebtoken::encode(&Header::default(), &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("signing a token: {e}")))
    }

    /// The user id and session generation of a valid token; 401 "is invalid" for anything
    /// else.
    pub fn verify(&self, token: &str) -> Result<(i64, i64), Error> {
        let decode = |key| jsonwebtoken::decode::<Claims>(token, key, &self.validation);
        let data = match (decode(&self.decoding), &self.previous) {
            (Ok(data), _) => data,
            (Err(e), Some(previous))
                if *e.kind() == jsonwebtoken::errors::ErrorKind::InvalidSignature =>
            {
                decode(previous).map_err(|_| Error::TokenInvalid)?
            }
            (Err(_), _) => return Err(Error::TokenInvalid),
        };
        let id = data.claims.sub.parse().map_err(|_| Error::TokenInvalid)?;
        Ok((id, data.claims.generation))
    }
}

/// The signed-in caller; extracting it answers 401 when the token is missing or invalid, or
/// of an ended session, or of a user who no longer exists.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    /// The token the caller sent.
    pub token: String,
    /// The user, as read to check the token's session generation.
    pub user: conduit_wire::models::User,
}

/// The caller if signed in. No `Authorization` header is anonymous; a bad token is still a
/// 401, so a client learns its token stopped working.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl MaybeUser {
    /// The caller's id, if any.
    pub fn id(&self) -> Option<i64> {
        self.0.as_ref().map(|u| u.id)
    }
}

/// The token of an `Authorization: Token <t>` or `Bearer <t>` header; `None` when the
/// header is absent or holds no token.
fn bearer(req: &HttpRequest) -> Result<Option<String>, Error> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| Error::TokenInvalid)?.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("token") && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::TokenInvalid);
    }
    let token = token.trim();
    Ok((!token.is_empty()).then(|| token.to_owned()))
}

/// A token whose signature and times are checked; whether its session is still current
/// needs its user, read from models ([`SignedIn::resolve`], or with a read's flags in
/// `shared`).
#[derive(Debug)]
pub struct SignedIn {
    /// The user id the token names.
    pub id: i64,
    generation: i64,
    token: String,
}

impl SignedIn {
    /// The signed-in caller, once `user` (the token's, read for this request) shows the
    /// token's session is current; 401 "is invalid" otherwise.
    pub fn confirm(self, user: conduit_wire::models::User) -> Result<CurrentUser, Error> {
        if user.id != self.id || user.session_generation != self.generation {
            return Err(Error::TokenInvalid);
        }
        Ok(CurrentUser {
            id: self.id,
            token: self.token,
            user,
        })
    }

    /// Reads the token's user and confirms the session.
    pub async fn resolve(
        self,
        state: &crate::AppState,
        rid: Option<&str>,
    ) -> Result<CurrentUser, Error> {
        match state.models.get_user(rid, self.id).await {
            Ok(user) => self.confirm(user),
            Err(e) => Err(not_found_is_invalid(e)),
        }
    }
}

/// A models error about the token's user: "not found" is a valid signature for a user who
/// no longer exists, so the token is invalid.
pub fn not_found_is_invalid(e: conduit_clients::ClientError) -> Error {
    if e.is_not_found() {
        Error::TokenInvalid
    } else {
        e.into()
    }
}

/// The token of `req` with its signature and times checked; `None` without one.
fn checked_token(req: &HttpRequest) -> Result<Option<SignedIn>, Error> {
    let Some(token) = bearer(req)? else {
        return Ok(None);
    };
    let state = state_of(req)?;
    let (id, generation) = state.tokens.verify(&token)?;
    Ok(Some(SignedIn {
        id,
        generation,
        token,
    }))
}

fn state_of(req: &HttpRequest) -> Result<web::Data<crate::AppState>, Error> {
    req.app_data::<web::Data<crate::AppState>>()
        .cloned()
        .ok_or_else(|| Error::Internal("no app state".into()))
}

/// The caller of `req`: `None` without a token; the token checked, then its user read and
/// the session generation compared.
fn current(req: &HttpRequest) -> UserFuture<Option<CurrentUser>> {
    let prepared = checked_token(req).and_then(|signed| Ok((signed, state_of(req)?)));
    let rid = conduit_service::RequestId::from_request(req, &mut Payload::None)
        .into_inner()
        .ok();
    Box::pin(async move {
        let (Some(signed), state) = prepared? else {
            return Ok(None);
        };
        let rid = rid.as_ref().map(conduit_service::RequestId::as_str);
        signed.resolve(&state, rid).await.map(Some)
    })
}

/// The caller's token checked, its user not read yet: for the reads that share what every
/// reader sees and read the user with the reader's own flags (`shared`). `None` is
/// anonymous; a bad token is a 401, as for [`MaybeUser`].
#[derive(Debug)]
pub struct Viewer(pub Option<SignedIn>);

impl FromRequest for Viewer {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(checked_token(req).map(Viewer))
    }
}

/// What the user extractors return: a boxed future (they call models to read the user).
type UserFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>>>>;

impl FromRequest for CurrentUser {
    type Error = Error;
    type Future = UserFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let current = current(req);
        Box::pin(async move { current.await?.ok_or(Error::TokenMissing) })
    }
}

impl FromRequest for MaybeUser {
    type Error = Error;
    type Future = UserFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let current = current(req);
        Box::pin(async move { current.await.map(MaybeUser) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering_and_expiry() {
        let tokens = Tokens::new(&"s".repeat(32), None, Duration::from_secs(60));
        let t = tokens.issue(42, 3).unwrap();
        assert_eq!(tokens.verify(&t).unwrap(), (42, 3));
        let other = Tokens::new(&"x".repeat(32), None, Duration::from_secs(60));
        assert!(matches!(other.verify(&t), Err(Error::TokenInvalid)));
        assert!(matches!(
            tokens.verify("not.a.jwt"),
            Err(Error::TokenInvalid)
        ));
        let expired = Tokens::new(&"s".repeat(32), None, Duration::ZERO);
        let mut old = expired;
        old.validation.leeway = 0;
        let t = old.issue(1, 0).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(matches!(old.verify(&t), Err(Error::TokenInvalid)));
    }

    #[test]
    fn a_token_not_yet_valid_is_refused_and_the_previous_key_still_verifies() {
        let key = "s".repeat(32);
        let tokens = Tokens::new(&key, None, Duration::from_secs(60));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        #[derive(Serialize)]
        struct Early {
            sub: String,
            exp: u64,
            nbf: u64,
        }
        let early = Early {
            sub: "7".into(),
            exp: now + 600,
            nbf: now + 300,
        };
        let t = jsonwebtoken::encode(
            &Header::default(),
            &early,
            &EncodingKey::from_secret(key.as_bytes()),
        )
        .unwrap();
        assert!(matches!(tokens.verify(&t), Err(Error::TokenInvalid)));

        let old = tokens.issue(9, 1).unwrap();
        let rotated = Tokens::new(&"n".repeat(32), Some(&key), Duration::from_secs(60));
        assert_eq!(rotated.verify(&old).unwrap(), (9, 1));
        let fresh = rotated.issue(9, 1).unwrap();
        assert!(matches!(tokens.verify(&fresh), Err(Error::TokenInvalid)));
        let done = Tokens::new(&"n".repeat(32), None, Duration::from_secs(60));
        assert!(matches!(done.verify(&old), Err(Error::TokenInvalid)));
    }
}
