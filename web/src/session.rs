//! The session (the API token in an HttpOnly cookie) and CSRF protection.
//!
//! CSRF: a random nonce (128 bits from the OS CSPRNG) lives in its own HttpOnly, SameSite=Lax
//! cookie; every form carries, in a hidden `csrf` field, HMAC-SHA256(key, nonce, session
//! token) under a key derived from the internal credential. A POST is accepted only when the
//! field is that HMAC of the cookies it came with, so it is bound to the session: a nonce
//! cookie planted from a sibling origin or over plain HTTP, with a field the attacker got for
//! their own session, does not pass for the victim's. No server-side state, so any web
//! instance checks any form (they share the credential; during its rotation both keys are
//! accepted). SameSite=Lax on the session cookie is a second line of defence.

use std::future::{Ready, ready};

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use conduit_service::internal::InternalCredential;
use conduit_service::settings::{hex, random_hex};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::WebError;

type HmacSha256 = Hmac<Sha256>;

/// The keys of the CSRF tokens: derived from the internal credential (HMAC-SHA256 of a
/// purpose label under it), the previous one's too while it is rotated.
#[derive(Clone)]
pub struct CsrfKeys(Vec<[u8; 32]>);

impl std::fmt::Debug for CsrfKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKeys([redacted])")
    }
}

impl CsrfKeys {
    /// The keys for `credential`: its current value's first (which signs), then the previous.
    pub fn derive(credential: &InternalCredential) -> Self {
        let derive = |secret: &conduit_service::settings::Secret| -> [u8; 32] {
            let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
            mac.update(b"conduit web csrf v1");
            mac.finalize().into_bytes().into()
        };
        let mut keys = vec![derive(credential.secret())];
        keys.extend(credential.previous().map(derive));
        Self(keys)
    }

    fn mac(key: &[u8; 32], nonce: &str, token: Option<&str>) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(nonce.as_bytes());
        mac.update(b"\n");
        mac.update(token.unwrap_or("").as_bytes());
        mac
    }

    /// The token of forms for `nonce` and session `token`, under the current key.
    fn token(&self, nonce: &str, token: Option<&str>) -> String {
        hex(&Self::mac(&self.0[0], nonce, token).finalize().into_bytes())
    }

    /// True when `sent` is the token of `nonce` and `token` under any key (constant time).
    fn verify(&self, sent: &str, nonce: &str, token: Option<&str>) -> bool {
        let Some(tag) = decode_hex(sent) else {
            return false;
        };
        self.0
            .iter()
            .any(|key| Self::mac(key, nonce, token).verify_slice(&tag).is_ok())
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// A fresh nonce: 128 bits from the OS CSPRNG, hex.
fn new_nonce() -> String {
    random_hex::<16>()
}

/// Cookie holding the API token, over plain HTTP.
pub const SESSION_COOKIE: &str = "conduit_session";
/// Cookie holding the CSRF nonce, over plain HTTP.
pub const CSRF_COOKIE: &str = "conduit_csrf";
/// [`SESSION_COOKIE`] over HTTPS: `Secure`, and `__Host-` so that no other host (a
/// sibling subdomain) and no plain-HTTP page can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-conduit_session";
/// [`CSRF_COOKIE`] over HTTPS.
pub const SECURE_CSRF_COOKIE: &str = "__Host-conduit_csrf";

/// The session and CSRF cookie names for a visitor who came over HTTPS (`secure`) or not.
pub fn cookie_names(secure: bool) -> (&'static str, &'static str) {
    if secure {
        (SECURE_SESSION_COOKIE, SECURE_CSRF_COOKIE)
    } else {
        (SESSION_COOKIE, CSRF_COOKIE)
    }
}

/// Whether the visitor came over HTTPS: `COOKIE_SECURE` says every visitor does, else the
/// proxy in front says so in `X-Forwarded-Proto` (believed only with `TRUST_FORWARDED_FOR`,
/// as HAProxy sets it on every request, replacing what a client sent).
pub fn came_over_https(req: &HttpRequest, state: &crate::WebState) -> bool {
    state.cookie_secure
        || (state.trust_forwarded_for
            && req
                .headers()
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")))
}

/// The visitor's session, read from the cookies.
#[derive(Debug, Clone)]
pub struct Session {
    /// The API token, when signed in (it may have expired: pages then show a visitor).
    pub token: Option<String>,
    /// The CSRF token forms must carry (bound to the nonce cookie and the session token).
    pub csrf: String,
    /// The nonce of the CSRF cookie.
    nonce: String,
    nonce_is_new: bool,
    keys: CsrfKeys,
    /// The visitor's address (see `TRUST_FORWARDED_FOR`), passed on to experience so its
    /// sign-in limits count each visitor, not the web tier.
    pub client_addr: String,
    /// The visitor came over HTTPS: cookies are `Secure` and `__Host-` prefixed.
    pub secure: bool,
}

impl Session {
    /// The cookies this response must set: a fresh CSRF cookie when there was none.
    pub fn new_cookies(&self) -> Vec<Cookie<'static>> {
        if self.nonce_is_new {
            vec![cookie(
                cookie_names(self.secure).1,
                self.nonce.clone(),
                self.secure,
            )]
        } else {
            Vec::new()
        }
    }

    /// Accepts a form only when `sent`, its `csrf` field, is the token of the cookies it
    /// came with.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if self.nonce_is_new || !self.keys.verify(sent, &self.nonce, self.token.as_deref()) {
            return Err(WebError::Csrf);
        }
        Ok(())
    }

    /// The CSRF token for this visitor once signed out: for the pages that show a form to a
    /// visitor (sign in, sign up), which drop a session cookie they were sent, so that the
    /// form's next POST comes without one.
    pub fn signed_out_csrf(&self) -> String {
        self.keys.token(&self.nonce, None)
    }

    /// The answer of a page that needs a signed-in user: off to the sign-in page, forgetting
    /// a token that stopped working.
    pub fn sign_in_first(&self) -> WebError {
        WebError::SignIn {
            forget: self.token.is_some().then_some(self.secure),
        }
    }

    /// A session from its parts (the extractor, and tests).
    fn from_parts(
        token: Option<String>,
        nonce: Option<String>,
        keys: CsrfKeys,
        client_addr: String,
        secure: bool,
    ) -> Self {
        let (nonce, nonce_is_new) = match nonce {
            Some(n) => (n, false),
            None => (new_nonce(), true),
        };
        Self {
            csrf: keys.token(&nonce, token.as_deref()),
            token,
            nonce,
            nonce_is_new,
            keys,
            client_addr,
            secure,
        }
    }
}

impl FromRequest for Session {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<actix_web::web::Data<crate::WebState>>() else {
            return ready(Err(WebError::Internal("no web state".into())));
        };
        // Over HTTPS only the `__Host-` cookies count: a plain-HTTP page (or a man in the
        // middle of one) cannot plant them.
        let secure = came_over_https(req, state);
        let (session_name, csrf_name) = cookie_names(secure);
        let token = req
            .cookie(session_name)
            .map(|c| c.value().to_owned())
            .filter(|t| !t.is_empty());
        let nonce = req
            .cookie(csrf_name)
            .map(|c| c.value().to_owned())
            .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()));
        let client_addr = conduit_service::request::client_address(req, state.trust_forwarded_for);
        ready(Ok(Session::from_parts(
            token,
            nonce,
            state.csrf.clone(),
            client_addr,
            secure,
        )))
    }
}

/// A cookie for the whole site: HttpOnly, SameSite=Lax, Secure over HTTPS (a `__Host-`
/// cookie must be `Secure`, for path `/`, with no domain).
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// The session cookie for `token`.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    cookie(cookie_names(secure).0, token, secure)
}

/// A cookie that removes the session.
pub fn cleared_session(secure: bool) -> Cookie<'static> {
    let mut c = cookie(cookie_names(secure).0, String::new(), secure);
    c.set_max_age(CookieDuration::ZERO);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> CsrfKeys {
        CsrfKeys::derive(&InternalCredential::random())
    }

    #[test]
    fn csrf_must_be_the_token_of_an_existing_cookie() {
        let keys = keys();
        let nonce = Some("a".repeat(32));
        let s = Session::from_parts(None, nonce.clone(), keys.clone(), "192.0.2.1".into(), false);
        assert!(s.check_csrf(&s.csrf).is_ok());
        assert!(s.check_csrf("wrong").is_err());
        assert!(s.check_csrf("").is_err());
        // The nonce itself (the old double-submit value) is no token.
        assert!(s.check_csrf(&"a".repeat(32)).is_err());
        // A fresh cookie (none was sent) accepts nothing.
        let fresh = Session::from_parts(None, None, keys, "192.0.2.1".into(), false);
        assert_eq!(fresh.nonce.len(), 32);
        assert!(fresh.check_csrf(&fresh.csrf).is_err());
    }

    #[test]
    fn a_token_is_bound_to_the_session_and_the_key() {
        let keys = keys();
        let nonce = Some("b".repeat(32));
        // The attacker's own pair (planted nonce, the field they were given)...
        let attacker = Session::from_parts(
            Some("attacker-token".into()),
            nonce.clone(),
            keys.clone(),
            "203.0.113.9".into(),
            false,
        );
        // ...does not pass for the victim's session with the same planted nonce.
        let victim = Session::from_parts(
            Some("victim-token".into()),
            nonce.clone(),
            keys.clone(),
            "192.0.2.1".into(),
            false,
        );
        assert!(victim.check_csrf(&attacker.csrf).is_err());
        assert!(victim.check_csrf(&victim.csrf).is_ok());
        // Another key (another deployment) does not accept it either.
        let other = Session::from_parts(
            Some("victim-token".into()),
            nonce,
            self::keys(),
            "192.0.2.1".into(),
            false,
        );
        assert!(other.check_csrf(&victim.csrf).is_err());
    }

    #[test]
    fn the_signed_out_token_passes_once_the_session_cookie_is_gone() {
        let keys = keys();
        let nonce = Some("d".repeat(32));
        let signed_in = Session::from_parts(
            Some("old-token".into()),
            nonce.clone(),
            keys.clone(),
            "192.0.2.1".into(),
            false,
        );
        let after = Session::from_parts(None, nonce, keys, "192.0.2.1".into(), false);
        assert!(after.check_csrf(&signed_in.signed_out_csrf()).is_ok());
        assert!(after.check_csrf(&signed_in.csrf).is_err());
    }

    #[test]
    fn both_keys_are_accepted_while_the_credential_rotates() {
        let old = conduit_service::settings::Secret::random();
        let new = conduit_service::settings::Secret::random();
        let before = CsrfKeys::derive(&InternalCredential::new(old.clone()));
        let during = CsrfKeys::derive(&InternalCredential::new(new).with_previous(old));
        let nonce = Some("c".repeat(32));
        let issued = Session::from_parts(None, nonce.clone(), before, "192.0.2.1".into(), false);
        let checked = Session::from_parts(None, nonce, during, "192.0.2.1".into(), false);
        assert!(checked.check_csrf(&issued.csrf).is_ok());
    }
}
