//! Form posts: the body (bounded, its failures answered as pages), its fields, and the two
//! extractors every POST handler takes: [`CheckedForm`] (the CSRF token checked) and
//! [`SignedInForm`] (that, and a signed-in session; else off to the sign-in page).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};

use crate::error::WebError;
use crate::session::Session;

/// A form's body, read as `web::Bytes` is (within `BODY_LIMIT` and
/// `conduit_service::request::BODY_TIMEOUT`), whose failures are pages like every other
/// answer of the site, not actix's plain text.
#[derive(Debug)]
pub struct FormBody(pub Bytes);

impl std::ops::Deref for FormBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl FromRequest for FormBody {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            bytes.await.map(FormBody).map_err(|e| {
                let timed_out = e
                    .as_error::<actix_web::error::PayloadError>()
                    .is_some_and(conduit_service::request::is_body_timeout);
                let status = if timed_out {
                    StatusCode::REQUEST_TIMEOUT
                } else {
                    e.as_response_error().status_code()
                };
                tracing::info!(%status, error = %e, "form body refused");
                WebError::Body(status)
            })
        })
    }
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

/// A form whose CSRF token is the one of the cookies it came with (sign in, sign up, sign
/// out: forms a visitor may send).
#[derive(Debug)]
pub struct CheckedForm {
    /// Who sent it.
    pub session: Session,
    pub form: Form,
}

impl FromRequest for CheckedForm {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = Session::from_request(req, payload);
        let body = FormBody::from_request(req, payload);
        Box::pin(async move {
            let session = session.await?;
            let form = Form::parse(&body.await?);
            session.check_csrf(form.get("csrf"))?;
            Ok(Self { session, form })
        })
    }
}

/// A [`CheckedForm`] from a signed-in session: every form that writes. A visitor (or a
/// session without a token) is sent to the sign-in page.
#[derive(Debug)]
pub struct SignedInForm {
    /// Who sent it (signed in).
    pub session: Session,
    pub form: Form,
}

impl FromRequest for SignedInForm {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = CheckedForm::from_request(req, payload);
        Box::pin(async move {
            let CheckedForm { session, form } = checked.await?;
            if session.token.is_none() {
                return Err(session.sign_in_first());
            }
            Ok(Self { session, form })
        })
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
}
