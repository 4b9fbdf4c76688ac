//! Static files, compiled into the binary and served under versioned URLs
//! (`/static/<hash>/<name>`) with a one-year immutable cache lifetime: a changed file gets a
//! new URL, so browsers never keep a stale one.

use std::hash::{Hash, Hasher};

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

struct File {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const FILES: [File; 4] = [
    File {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/style.css"),
    },
    File {
        name: "editor.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/editor.js"),
    },
    File {
        name: "default-avatar.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../static/default-avatar.svg"),
    },
    File {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../static/favicon.svg"),
    },
];

fn version(bytes: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// The versioned URLs the templates link to.
#[derive(Debug, Clone)]
pub struct Assets {
    pub css: String,
    /// The editor's tag-input script.
    pub editor_js: String,
    /// The default avatar (used wherever a user has no image).
    pub avatar: String,
    pub favicon: String,
}

impl Assets {
    /// Computes the URLs from the files' contents.
    pub fn new() -> Self {
        let url = |name: &str| {
            let file = FILES.iter().find(|f| f.name == name);
            let v = file.map(|f| version(f.bytes)).unwrap_or_default();
            format!("/static/{v}/{name}")
        };
        Self {
            css: url("style.css"),
            editor_js: url("editor.js"),
            avatar: url("default-avatar.svg"),
            favicon: url("favicon.svg"),
        }
    }
}

impl Default for Assets {
    fn default() -> Self {
        Self::new()
    }
}

/// Registers `/static/{version}/{name}` and `/favicon.ico`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{version}/{name}", web::get().to(serve))
        .route("/favicon.ico", web::get().to(favicon));
}

async fn serve(path: web::Path<(String, String)>) -> HttpResponse {
    let (v, name) = path.into_inner();
    match FILES.iter().find(|f| f.name == name) {
        Some(f) if version(f.bytes) == v => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, f.content_type))
            .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(f.bytes),
        _ => HttpResponse::NotFound()
            .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("no such file"),
    }
}

async fn favicon() -> HttpResponse {
    let f = &FILES[3];
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, f.content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=86400"))
        .body(f.bytes)
}
