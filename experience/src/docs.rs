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

    /// A value of every property of component `name` (strings "x", numbers 1, times in the
    /// API's format, referenced components filled in the same way).
    fn example(doc: &Value, schema: &Value) -> Value {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.trim_start_matches("#/components/schemas/");
            return example(doc, &doc["components"]["schemas"][name]);
        }
        let allowed = kinds(schema);
        let first = allowed
            .iter()
            .find(|k| *k != "null")
            .map_or("null", String::as_str);
        match first {
            "object" => Value::Object(
                schema["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), example(doc, v)))
                    .collect(),
            ),
            "array" => Value::Array(vec![example(doc, &schema["items"])]),
            "integer" | "number" => Value::from(1),
            "boolean" => Value::Bool(true),
            "string" if schema["format"] == "date-time" => "2016-02-18T03:22:56.637Z".into(),
            "string" => "x".into(),
            _ => Value::Null,
        }
    }

    /// Checks that component `name` describes the wire type `T`: an example of every
    /// documented property reads as a `T` that writes back the same property names, each of
    /// an allowed JSON type (a field the document lacks, or a documented one the type lacks,
    /// fails), and for an answer (`every_field_required`) every property is required.
    fn check<T: serde::de::DeserializeOwned + serde::Serialize>(
        name: &str,
        every_field_required: bool,
    ) {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let schema = &doc["components"]["schemas"][name];
        let props = schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: no properties"));
        let typed: T = serde_json::from_value(example(&doc, schema))
            .unwrap_or_else(|e| panic!("{name}: the documented properties are no wire value: {e}"));
        let value = serde_json::to_value(typed).unwrap();
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
        check::<User>("User", true);
        check::<Profile>("Profile", true);
        check::<Article>("Article", true);
        check::<Article>("ArticleInList", true);
        check::<Comment>("Comment", true);
        check::<Login>("Login", false);
        check::<NewUser>("NewUser", false);
        check::<UserUpdate>("UserUpdate", false);
        check::<NewArticle>("NewArticle", false);
        check::<ArticleUpdate>("ArticleUpdate", false);
        check::<NewComment>("NewComment", false);
        // Every schema of the document is one of those (or the errors body).
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let mut listed: Vec<&str> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        listed.sort_unstable();
        let mut checked = [
            "User",
            "Profile",
            "Article",
            "ArticleInList",
            "Comment",
            "Login",
            "NewUser",
            "UserUpdate",
            "NewArticle",
            "ArticleUpdate",
            "NewComment",
            "ErrorBody",
        ];
        checked.sort_unstable();
        assert_eq!(listed, checked);
    }
}
