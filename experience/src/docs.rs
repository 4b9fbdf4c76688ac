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

    /// The JSON kinds a schema allows (`$ref`s are objects).
    fn kinds(schema: &Value) -> Vec<String> {
        if schema.get("$ref").is_some() {
            return vec!["object".to_owned()];
        }
        match &schema["type"] {
            Value::String(t) => vec![t.clone()],
            Value::Array(ts) => ts
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn to(v: impl serde::Serialize) -> Value {
        serde_json::to_value(v).unwrap()
    }

    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Checks that `schema` (a component of the document) describes `value`, a wire type as
    /// serialized with every field given: the same property names, each of an allowed JSON
    /// type, and, for an answer (`every_field_required`), every property required.
    fn check(name: &str, value: &Value, every_field_required: bool) {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let schema = &doc["components"]["schemas"][name];
        let props = schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: no properties"));
        let fields = value
            .as_object()
            .unwrap_or_else(|| panic!("{name}: not an object"));
        let mut documented: Vec<&String> = props.keys().collect();
        let mut serialized: Vec<&String> = fields.keys().collect();
        documented.sort();
        serialized.sort();
        assert_eq!(
            documented, serialized,
            "{name}: the document's properties and the wire type's fields"
        );
        for (field, v) in fields {
            let allowed = kinds(&props[field]);
            assert!(
                allowed
                    .iter()
                    .any(|k| k == kind(v) || (k == "number" && kind(v) == "integer")),
                "{name}.{field}: {} is not one of {allowed:?}",
                kind(v)
            );
        }
        if every_field_required {
            let mut required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            required.sort_unstable();
            let serialized: Vec<&str> = serialized.iter().map(|s| s.as_str()).collect();
            assert_eq!(
                required, serialized,
                "{name}: an answer always has every field"
            );
        }
    }

    #[test]
    fn the_documents_schemas_are_the_wire_types() {
        use conduit_wire::api::{
            Article, ArticleUpdate, Comment, Login, NewArticle, NewComment, NewUser, Profile, User,
            UserUpdate,
        };
        let text = || Some("x".to_owned());
        let at = chrono::DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
        let author = Profile {
            username: "ada".into(),
            bio: text(),
            image: text(),
            following: true,
        };
        let article = Article {
            slug: "s".into(),
            title: "t".into(),
            description: "d".into(),
            body: text(),
            tag_list: vec!["a".into()],
            created_at: at,
            updated_at: at,
            favorited: false,
            favorites_count: 1,
            author: author.clone(),
        };
        let answers = [
            (
                "User",
                to(&User {
                    email: "e".into(),
                    token: "t".into(),
                    username: "u".into(),
                    bio: text(),
                    image: text(),
                }),
            ),
            ("Profile", to(&author)),
            ("Article", to(&article)),
            (
                "ArticleInList",
                to(&Article {
                    body: None,
                    ..article.clone()
                }),
            ),
            (
                "Comment",
                to(&Comment {
                    id: 1,
                    created_at: at,
                    updated_at: at,
                    body: "b".into(),
                    author,
                }),
            ),
        ];
        for (name, value) in &answers {
            check(name, value, true);
        }
        let both = || Some(text());
        let requests = [
            (
                "Login",
                to(&Login {
                    email: text(),
                    password: text(),
                }),
            ),
            (
                "NewUser",
                to(&NewUser {
                    username: text(),
                    email: text(),
                    password: text(),
                }),
            ),
            (
                "UserUpdate",
                to(&UserUpdate {
                    email: both(),
                    username: both(),
                    password: both(),
                    image: both(),
                    bio: both(),
                }),
            ),
            (
                "NewArticle",
                to(&NewArticle {
                    title: text(),
                    description: text(),
                    body: text(),
                    tag_list: Some(Some(vec!["a".into()])),
                }),
            ),
            (
                "ArticleUpdate",
                to(&ArticleUpdate {
                    title: both(),
                    description: both(),
                    body: both(),
                    tag_list: Some(Some(vec!["a".into()])),
                }),
            ),
            ("NewComment", to(&NewComment { body: text() })),
        ];
        for (name, value) in &requests {
            check(name, value, false);
        }
        // Every schema of the document is one of those (or the errors body).
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let mut listed: Vec<&str> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        listed.sort_unstable();
        let mut checked: Vec<&str> = answers
            .iter()
            .chain(&requests)
            .map(|(n, _)| *n)
            .chain(["ErrorBody"])
            .collect();
        checked.sort_unstable();
        assert_eq!(listed, checked);
    }
}
