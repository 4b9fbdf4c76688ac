//! Article bodies on the page: markdown rendered to safe HTML by `conduit_markdown` (whose
//! limits, checked when an article is written, keep one render under about 40 ms), off the
//! async workers for any body longer than a few kilobytes, so that rendering never stalls the
//! other requests of an instance; and users' images.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::WebError;

/// Bodies up to this size render in well under a millisecond: on the worker itself.
const INLINE_BYTES: usize = 4096;

/// Renders article bodies: small ones at once, longer ones on the blocking pool, at most
/// one per core at a time (a visitor waits for a slot; the worker serves others meanwhile).
#[derive(Debug, Clone)]
pub struct Renderer {
    slots: Arc<Semaphore>,
}

impl Renderer {
    /// A renderer running at most `parallel` long renders at once.
    pub fn new(parallel: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(parallel.max(1))),
        }
    }

    /// The safe HTML of `markdown`.
    pub async fn render(&self, markdown: String) -> Result<String, WebError> {
        if markdown.len() <= INLINE_BYTES {
            return Ok(conduit_markdown::render(&markdown));
        }
        // The slot moves into the blocking task: a visitor who goes away mid-render frees
        // it only when the render is done, so renders never outnumber the slots.
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| WebError::Internal(format!("render slots: {e}")))?;
        actix_web::web::block(move || {
            let html = conduit_markdown::render(&markdown);
            drop(slot);
            html
        })
        .await
        .map_err(|e| WebError::Internal(format!("render: {e}")))
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }
}

/// The URL of a user image when it is an http(s) URL, else the default avatar.
pub fn image_url(image: Option<&str>, default_avatar: &str) -> String {
    match image.map(str::trim) {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => url.to_owned(),
        _ => default_avatar.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn long_bodies_render_off_the_worker_like_short_ones() {
        let renderer = Renderer::new(1);
        let short = "*hi* <script>x</script>".to_owned();
        let long = format!("{}\n\n*end*", "word ".repeat(INLINE_BYTES));
        assert_eq!(
            renderer.render(short.clone()).await.unwrap(),
            conduit_markdown::render(&short)
        );
        let html = renderer.render(long.clone()).await.unwrap();
        assert_eq!(html, conduit_markdown::render(&long));
        assert!(html.ends_with("<p><em>end</em></p>\n"), "{html}");
    }

    #[test]
    fn only_http_images_are_used() {
        assert_eq!(
            image_url(Some("https://i.example/a.png"), "/d.svg"),
            "https://i.example/a.png"
        );
        assert_eq!(image_url(Some("javascript:alert(1)"), "/d.svg"), "/d.svg");
        assert_eq!(image_url(Some(""), "/d.svg"), "/d.svg");
        assert_eq!(image_url(None, "/d.svg"), "/d.svg");
    }
}
