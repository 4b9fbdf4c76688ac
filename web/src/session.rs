//! The session (the API token in an HttpOnly cookie), CSRF protection, and form bodies.
//!
//! CSRF uses the double-submit pattern: a random token lives in its own HttpOnly,
//! SameSite=Lax cookie and in a hidden `csrf` field of every form; a POST is accepted only
//! when both are present and equal. No server-side state, so any web instance checks any
//! form. SameSite=Lax on the session cookie is a second line of defence.

use std::collections::HashMap;
use std::future::{Ready, ready};

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::error::WebError;

/// Cookie holding the API token.
pub const SESSION_COOKIE: &str = "conduit_session";
/// Cookie holding the CSRF token.
pub const CSRF_COOKIE: &str = "conduit_csrf";

/// The visitor's session, read from the cookies.
#[derive(Debug, Clone)]
pub struct Session {
    /// The API token, when signed in (it may have expired: pages then show a visitor).
    pub token: Option<String>,
    /// The CSRF token forms must carry.
    pub csrf: String,
    csrf_is_new: bool,
    /// The visitor's address (see `TRUST_FORWARDED_FOR`), passed on to experience so its
    /// sign-in limits count each visitor, not the web tier.
    pub client_addr: String,
}

impl Session {
    /// The cookies this response must set: a fresh CSRF cookie when there was none.
    pub fn new_cookies(&self, secure: bool) -> Vec<Cookie<'static>> {
        if self.csrf_is_new {
            vec![cookie(CSRF_COOKIE, self.csrf.clone(), secure)]
        } else {
            Vec::new()
        }
    }

    /// Accepts the form only when its `csrf` field matches the cookie.
    pub fn check_csrf(&self, form: &Form) -> Result<(), WebError> {
        let sent = form.get("csrf");
        if self.csrf_is_new || sent.is_empty() || !same(sent.as_bytes(), self.csrf.as_bytes()) {
            return Err(WebError::Csrf);
        }
        Ok(())
    }
}

impl FromRequest for Session {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| !t.is_empty());
        let existing = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()));
        let trust = req
            .app_data::<actix_web::web::Data<crate::WebState>>()
            .is_some_and(|s| s.trust_forwarded_for);
        let client_addr = conduit_service::request::client_address(req, trust);
        let session = match existing {
            Some(csrf) => Session {
                token,
                csrf,
                csrf_is_new: false,
                client_addr,
            },
            None => Session {
                token,
                csrf: format!("{:032x}", fastrand::u128(..)),
                csrf_is_new: true,
                client_addr,
            },
        };
        ready(Ok(session))
    }
}

/// A cookie for the whole site: HttpOnly, SameSite=Lax, Secure when configured.
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
    cookie(SESSION_COOKIE, token, secure)
}

/// A cookie that removes the session.
pub fn cleared_session(secure: bool) -> Cookie<'static> {
    let mut c = cookie(SESSION_COOKIE, String::new(), secure);
    c.set_max_age(CookieDuration::ZERO);
    c
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A urlencoded form body; a key may repeat (the editor's `tag` fields).
#[derive(Debug, Default)]
pub struct Form(HashMap<String, Vec<String>>);

impl Form {
    /// Parses a body.
    pub fn parse(body: &[u8]) -> Self {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        Self(map)
    }

    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }
}

/// A local path to go back to after a form: only `/...` paths of this site.
pub fn local_next(next: &str, fallback: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok {
        next.to_owned()
    } else {
        fallback.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_keep_repeated_keys_and_decode() {
        let f = Form::parse(b"tag=a&tag=b+c&title=Hello%21&csrf=x");
        assert_eq!(f.all("tag"), ["a", "b c"]);
        assert_eq!(f.get("title"), "Hello!");
        assert_eq!(f.get("missing"), "");
    }

    #[test]
    fn next_only_allows_local_paths() {
        assert_eq!(local_next("/article/x", "/"), "/article/x");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "javascript:x",
            "",
        ] {
            assert_eq!(local_next(bad, "/"), "/", "{bad}");
        }
    }

    #[test]
    fn csrf_must_match_an_existing_cookie() {
        let s = Session {
            token: None,
            csrf: "a".repeat(32),
            csrf_is_new: false,
            client_addr: "192.0.2.1".into(),
        };
        assert!(
            s.check_csrf(&Form::parse(format!("csrf={}", "a".repeat(32)).as_bytes()))
                .is_ok()
        );
        assert!(s.check_csrf(&Form::parse(b"csrf=wrong")).is_err());
        assert!(s.check_csrf(&Form::parse(b"")).is_err());
        let fresh = Session {
            token: None,
            csrf: "a".repeat(32),
            csrf_is_new: true,
            client_addr: "192.0.2.1".into(),
        };
        assert!(
            fresh
                .check_csrf(&Form::parse(format!("csrf={}", "a".repeat(32)).as_bytes()))
                .is_err()
        );
    }
}
