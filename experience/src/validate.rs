//! Input rules of the public API, with the RealWorld field messages.

use conduit_wire::ErrorBody;

use crate::error::Error;

/// Collects field errors; `finish` answers 422 when there is any.
#[derive(Debug, Default)]
pub struct Check(ErrorBody);

impl Check {
    /// A new, empty check.
    pub fn new() -> Self {
        Self::default()
    }

    /// `field` must be present and not blank; returns the trimmed value.
    pub fn required(&mut self, field: &str, value: Option<&str>) -> String {
        match value.map(str::trim) {
            Some(v) if !v.is_empty() => v.to_owned(),
            _ => {
                self.0.push(field, "can't be blank");
                String::new()
            }
        }
    }

    /// Adds `message` about `field` when `bad`.
    pub fn rule(&mut self, bad: bool, field: &str, message: &str) {
        if bad {
            self.0.push(field, message);
        }
    }

    /// At most `max` characters.
    pub fn max_len(&mut self, field: &str, value: &str, max: usize) {
        let n = value.chars().count();
        self.rule(
            n > max,
            field,
            &format!("is too long (maximum is {max} characters)"),
        );
    }

    /// `Ok` when nothing was wrong, else 422 with every message.
    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}

/// Usernames appear in URLs and pages and must not pass for another: at most 64
/// characters, no slash, no character that is not seen or that turns text around (controls,
/// zero-width and bidirectional format characters: `conduit_wire::identity::is_invisible`),
/// and not `.` or `..` (a path segment that names a directory). Compared without case, so a
/// name taken in another case is taken (models answers 409).
pub fn username(check: &mut Check, value: &str) {
    check.max_len("username", value, 64);
    check.rule(
        value
            .chars()
            .any(|c| c == '/' || conduit_wire::identity::is_invisible(c))
            || value == "."
            || value == "..",
        "username",
        "is invalid",
    );
}

/// Longest email address (RFC 5321's path limit, less the brackets).
pub const EMAIL_MAX: usize = 254;

/// At most [`EMAIL_MAX`] characters.
pub fn email_length(check: &mut Check, value: &str) {
    check.max_len("email", value, EMAIL_MAX);
}

/// A plausible address: one `@` with something on both sides and no spaces, at most 254.
pub fn email(check: &mut Check, value: &str) {
    email_length(check, value);
    let ok = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    }) && !value.chars().any(char::is_whitespace);
    check.rule(!value.is_empty() && !ok, "email", "is invalid");
}

/// At least 8 characters (no other composition rule), at most 256.
pub fn password(check: &mut Check, value: &str) {
    let n = value.chars().count();
    check.rule(n < 8, "password", "is too short (minimum is 8 characters)");
    check.rule(
        n > 256,
        "password",
        "is too long (maximum is 256 characters)",
    );
}

/// An article body: the size, nesting and rendered-HTML limits of `conduit_markdown`, which
/// keep the article page's render bounded (checked here, when the article is written).
pub fn article_body(check: &mut Check, body: &str) {
    if let Err(problem) = conduit_markdown::check(body) {
        check.rule(true, "body", &problem.message());
    }
}

/// Article text fields and tags.
pub fn article_fields(check: &mut Check, title: &str, description: &str, tags: &[String]) {
    check.max_len("title", title, 200);
    check.max_len("description", description, 500);
    check.rule(
        tags.len() > 20,
        "tagList",
        "has too many tags (maximum is 20)",
    );
    check.rule(
        tags.iter().any(|t| t.chars().count() > 40),
        "tagList",
        "has a tag that is too long (maximum is 40 characters)",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(f: impl FnOnce(&mut Check)) -> Vec<(String, Vec<String>)> {
        let mut c = Check::new();
        f(&mut c);
        match c.finish() {
            Ok(()) => vec![],
            Err(Error::Invalid(body)) => body.errors.into_iter().collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn passwords_need_eight_characters_and_64_work() {
        assert_eq!(errors(|c| password(c, &"p".repeat(64))), vec![]);
        assert_eq!(errors(|c| password(c, "1234567")).len(), 1);
    }

    #[test]
    fn emails_need_an_at_with_both_sides() {
        assert_eq!(errors(|c| email(c, "a@b.example")), vec![]);
        for bad in ["ab", "@b", "a@", "a b@c", "a@b@c"] {
            assert_eq!(errors(|c| email(c, bad)).len(), 1, "{bad}");
        }
    }

    #[test]
    fn bodies_past_the_markdown_limits_are_refused() {
        assert_eq!(errors(|c| article_body(c, "# Hello\n\n> quoted")), vec![]);
        let deep = errors(|c| article_body(c, &">".repeat(100)));
        assert_eq!(deep[0].0, "body");
        assert!(deep[0].1[0].starts_with("is nested too deeply"), "{deep:?}");
        let long = errors(|c| article_body(c, &"a".repeat(conduit_markdown::MAX_BYTES + 1)));
        assert!(long[0].1[0].starts_with("is too long"), "{long:?}");
    }

    #[test]
    fn required_trims_and_reports_blank_or_missing() {
        let e = errors(|c| {
            c.required("title", Some("  "));
            c.required("body", None);
        });
        assert_eq!(e.len(), 2);
        assert!(
            e.iter()
                .all(|(_, m)| m == &vec!["can't be blank".to_owned()])
        );
    }
}
