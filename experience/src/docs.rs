//! The API's OpenAPI 3 document (`/api/openapi.json`) and a docs page made from it
//! (`/api/docs`): plain server-rendered HTML, so it works offline with no script from a CDN.
//!
//! `api/openapi.json` is written by hand beside this crate; a test checks that every operation
//! it lists is served, and that the spec's 19 operations are all there, with the one this API
//! adds (`DELETE /api/user/sessions`, sign out everywhere).

use std::fmt::Write as _;

use actix_web::{HttpResponse, web};
use serde_json::Value;

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("../api/openapi.json");

/// Registers `/api/openapi.json` and `/api/docs`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let page = web::Data::new(DocsPage(render(OPENAPI)));
    cfg.app_data(page)
        .route("/api/openapi.json", web::get().to(openapi))
        .route("/api/docs", web::get().to(docs));
}

struct DocsPage(String);

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(OPENAPI)
}

async fn docs(page: web::Data<DocsPage>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.0.clone())
}

/// Every `(METHOD, path)` the document lists.
pub fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(props) = schema["properties"].as_object() {
        let inner: Vec<String> = props
            .iter()
            .map(|(k, v)| {
                let t = if v["type"] == "array" {
                    format!("[{}]", schema_name(&v["items"]))
                } else {
                    schema_name(v)
                };
                format!("{k}: {t}")
            })
            .collect();
        return format!("{{{}}}", inner.join(", "));
    }
    schema["type"].as_str().unwrap_or("object").to_owned()
}

/// The docs page for an OpenAPI document.
pub fn render(openapi: &str) -> String {
    let doc: Value = serde_json::from_str(openapi).unwrap_or(Value::Null);
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Conduit API</title><style>\
         body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
         h1{color:#5cb85c}.op{border-top:1px solid #ddd;padding:.6rem 0}\
         .m{display:inline-block;min-width:4.5rem;font-weight:700}.GET{color:#2a7ae2}.POST{color:#5cb85c}\
         .PUT{color:#d08b00}.DELETE{color:#c9302c}code{background:#f4f4f4;padding:0 .25rem}\
         small{color:#666}</style></head><body>",
    );
    let _ = write!(
        html,
        "<h1>{}</h1><p>{}</p><p><a href=\"/api/openapi.json\">openapi.json</a></p>",
        esc(doc["info"]["title"].as_str().unwrap_or("API")),
        esc(doc["info"]["description"].as_str().unwrap_or(""))
    );
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let _ = write!(
            html,
            "<div class=\"op\"><span class=\"m {method}\">{method}</span> <code>{}</code> \
             <small>auth: {}</small><br>{}",
            esc(&path),
            esc(op["x-auth"].as_str().unwrap_or("none")),
            esc(op["summary"].as_str().unwrap_or(""))
        );
        let body = &op["requestBody"]["content"]["application/json"]["schema"];
        if !body.is_null() {
            let _ = write!(
                html,
                "<br><small>body:</small> <code>{}</code>",
                esc(&schema_name(body))
            );
        }
        if let Some(responses) = op["responses"].as_object() {
            html.push_str("<br><small>responses:</small> ");
            let codes: Vec<String> = responses
                .iter()
                .map(|(code, r)| {
                    format!(
                        "<code title=\"{}\">{code}</code>",
                        esc(r["description"].as_str().unwrap_or(""))
                    )
                })
                .collect();
            html.push_str(&codes.join(" "));
        }
        html.push_str("</div>");
    }
    html.push_str("</body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_the_19_operations_of_the_spec_and_sign_out_everywhere() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let ops = operations(&doc);
        assert_eq!(ops.len(), 20);
        assert!(
            ops.iter()
                .any(|(m, p)| m == "DELETE" && p == "/api/user/sessions")
        );
        let page = render(OPENAPI);
        assert!(page.contains("<code>/api/articles/{slug}/comments/{id}</code>"));
        assert!(!page.contains("<script"), "works offline, no scripts");
    }
}
