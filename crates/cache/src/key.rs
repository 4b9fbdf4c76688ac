//! Page keys: the path plus the query parameters that change the page, in a fixed order.
//!
//! Parameters a page ignores (tracking tags, cache busters) are left out, so they neither
//! split one page over many entries nor let a visitor fill the cache with copies. Keys that
//! are long or hold bytes memcached refuses (spaces, control characters) are hashed.

use sha2::{Digest, Sha256};

/// Prefix of every page key; bump the version when the stored format changes.
const PREFIX: &str = "conduit:page:v2:";
/// Prefix of every API answer's key.
const API_PREFIX: &str = "conduit:api:v1:";
/// Longest key memcached accepts is 250 bytes; past this many the key is hashed.
const MAX_PLAIN: usize = 200;

/// The cache key of one page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey(String);

impl PageKey {
    /// The key of `path` with `query` (raw, without `?`), keeping only the parameters named
    /// in `significant`, sorted, each with its first value.
    pub fn new(path: &str, query: &str, significant: &[&str]) -> Self {
        let mut kept: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if significant.contains(&name.as_ref()) && !kept.iter().any(|(n, _)| *n == name) {
                kept.push((name.into_owned(), value.into_owned()));
            }
        }
        kept.sort();
        let mut plain = String::with_capacity(PREFIX.len() + path.len() + 16);
        plain.push_str(PREFIX);
        plain.push_str(path);
        if !kept.is_empty() {
            plain.push('?');
            plain.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(kept)
                    .finish(),
            );
        }
        Self::storable(PREFIX, plain)
    }

    /// The key of one API answer: the path and `query` as given (the caller puts it in its
    /// canonical form; experience sorts the parameters and keeps none it does not know).
    pub fn api(path: &str, query: &str) -> Self {
        let mut plain = String::with_capacity(API_PREFIX.len() + path.len() + query.len() + 1);
        plain.push_str(API_PREFIX);
        plain.push_str(path);
        if !query.is_empty() {
            plain.push('?');
            plain.push_str(query);
        }
        Self::storable(API_PREFIX, plain)
    }

    /// `plain` when memcached can store it as it is, else its hash under `prefix`.
    fn storable(prefix: &str, plain: String) -> Self {
        if plain.len() <= MAX_PLAIN && plain.bytes().all(|b| b.is_ascii_graphic()) {
            Self(plain)
        } else {
            Self(format!("{prefix}sha256:{}", sha256_hex(plain.as_bytes())))
        }
    }

    /// The key as memcached sees it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The SHA-256 of `bytes` in lower-case hex: a memcached key part of fixed length and safe
/// bytes, whatever the input (and the input not stored in the clear).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &[&str] = &["page", "feed"];

    #[test]
    fn ignored_parameters_and_their_order_do_not_change_the_key() {
        let a = PageKey::new("/", "page=2&utm_source=x", SIG);
        let b = PageKey::new("/", "utm_source=y&page=2", SIG);
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "conduit:page:v2:/?page=2");
    }

    #[test]
    fn significant_parameters_and_paths_make_different_keys() {
        assert_ne!(PageKey::new("/", "page=2", SIG), PageKey::new("/", "", SIG));
        assert_ne!(
            PageKey::new("/", "page=2&feed=following", SIG),
            PageKey::new("/", "page=2", SIG)
        );
        assert_ne!(
            PageKey::new("/article/a", "", SIG),
            PageKey::new("/article/b", "", SIG)
        );
    }

    #[test]
    fn a_repeated_parameter_keeps_its_first_value_as_the_pages_do() {
        assert_eq!(
            PageKey::new("/", "page=3&page=4", SIG),
            PageKey::new("/", "page=3", SIG)
        );
    }

    #[test]
    fn api_keys_keep_the_query_as_given_apart_from_pages() {
        let key = PageKey::api("/api/articles", "limit=20&offset=0");
        assert_eq!(
            key.as_str(),
            "conduit:api:v1:/api/articles?limit=20&offset=0"
        );
        assert_ne!(key, PageKey::api("/api/articles", "offset=0&limit=20"));
        assert_ne!(
            key,
            PageKey::api("/api/articles", "limit=20&offset=0&limit=5")
        );
        assert_ne!(
            PageKey::api("/api/tags", ""),
            PageKey::new("/api/tags", "", SIG)
        );
        let long = PageKey::api("/api/articles", &"tag=x&".repeat(100));
        assert!(
            long.as_str().starts_with("conduit:api:v1:sha256:"),
            "{}",
            long.as_str()
        );
    }

    #[test]
    fn long_keys_and_keys_with_spaces_are_hashed_to_a_storable_key() {
        let long = format!("/article/{}", "a".repeat(400));
        let spaced = PageKey::new("/tag/two words", "", SIG);
        for key in [PageKey::new(&long, "", SIG), spaced] {
            assert!(key.as_str().len() < 250, "{}", key.as_str());
            assert!(key.as_str().bytes().all(|b| b.is_ascii_graphic()));
            assert!(key.as_str().contains("sha256:"));
        }
        assert_ne!(
            PageKey::new(&long, "", SIG),
            PageKey::new(&format!("{long}b"), "", SIG)
        );
    }
}
