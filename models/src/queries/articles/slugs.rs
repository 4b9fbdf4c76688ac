//! Slugs: made from titles, unique among articles.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::articles;
use crate::error::Error;

/// Lowercase ASCII letters and digits joined by single dashes, at most 80 characters.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(80).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "article".to_owned()
    } else {
        slug
    }
}

/// A slug for `title` not used by any other article: the plain slug when free, else the
/// slug with a short random suffix.
pub(super) fn unique_slug(
    conn: &mut DbConnection,
    title: &str,
    this: Option<i64>,
) -> Result<String, Error> {
    let base = slugify(title);
    let mut candidate = base.clone();
    for _ in 0..8 {
        let owner: Option<i64> = articles::table
            .filter(articles::slug.eq(&candidate))
            .select(articles::id)
            .first(conn)
            .optional()?;
        match owner {
            None => return Ok(candidate),
            Some(id) if Some(id) == this => return Ok(candidate),
            Some(_) => {
                let suffix: String = (0..6)
                    .map(|_| fastrand::alphanumeric().to_ascii_lowercase())
                    .collect();
                candidate = format!("{base}-{suffix}");
            }
        }
    }
    Err(Error::Taken("slug"))
}

/// The slug without a random suffix added by [`unique_slug`].
pub(super) fn base_of(slug: &str) -> &str {
    match slug.rsplit_once('-') {
        Some((base, suffix))
            if suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            base
        }
        _ => slug,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_keeps_ascii_words_joined_by_dashes() {
        assert_eq!(
            slugify("How to Train Your Dragon!"),
            "how-to-train-your-dragon"
        );
        assert_eq!(
            slugify("  --Rust 2024: what's new?-- "),
            "rust-2024-what-s-new"
        );
        assert_eq!(slugify("日本語"), "article");
        assert_eq!(slugify(&"a ".repeat(100)).len(), 79);
    }

    #[test]
    fn base_of_strips_only_the_random_suffix() {
        assert_eq!(base_of("hello-world-a1b2c3"), "hello-world");
        assert_eq!(base_of("hello-world"), "hello-world");
        assert_eq!(base_of("rust-2024"), "rust-2024");
    }
}
