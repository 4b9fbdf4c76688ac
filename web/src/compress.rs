//! gzip for text responses, done in one piece.
//!
//! Every browser asks for gzip, so nearly every page leaves compressed. actix-web's own
//! `Compress` middleware streams: the headers go out first, then the body as chunks encoded
//! on a blocking thread. That costs a thread hop per response and leaves a window in which
//! an instance that dies (kill -9, OOM) has sent a 200 with half a body, which no load
//! balancer can retry; the HAProxy failover test caught it once in CI. Here a response whose
//! body is already whole (every page and asset is) is compressed in the worker, in one go,
//! and sent with a `Content-Length` in one write.
//!
//! gzip only: every browser and HTTP client takes it; brotli would save some 15% more on a
//! page at several times the CPU per compression and a second stored copy per cached page.
//!
//! The page cache stores pages compressed (compressed once, when rendered) and serves them
//! as they are to clients that take gzip, which is why the helpers are public.

use std::io::{Read, Write};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

/// Bodies shorter than this are sent as they are: gzip's header and trailer would eat the gain.
const MIN_SIZE: usize = 860;

/// zlib level 6, the usual trade: within a few percent of the best size at a fraction of its time.
const LEVEL: u32 = 6;

/// Whether the request's `Accept-Encoding` takes gzip (`gzip`, `x-gzip` or `*` with q > 0,
/// and gzip not refused with `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    (name.trim().eq_ignore_ascii_case("q")).then(|| value.trim().parse::<f32>())
                })
                .next()
                .map_or(1.0, |q| q.unwrap_or(0.0));
            match coding.as_str() {
                "gzip" | "x-gzip" => gzip = Some(q > 0.0),
                "*" => any = Some(q > 0.0),
                _ => {}
            }
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// gzip of `bytes` at the default level.
pub fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4 + 64),
        Compression::new(LEVEL),
    );
    // Writing to a Vec cannot fail.
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map(Bytes::from)
        .expect("gzip into memory")
}

/// The bytes inside a gzip stream.
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Bytes> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(Bytes::from(out))
}

/// Text a browser benefits from receiving compressed.
fn compressible(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let t = t.split(';').next().unwrap_or("").trim();
            t.starts_with("text/")
                || matches!(
                    t,
                    "application/json" | "application/javascript" | "image/svg+xml"
                )
        })
}

/// Adds `Accept-Encoding` to the response's `Vary`: caches in between must keep the two
/// representations apart.
pub fn vary_on_encoding(headers: &mut HeaderMap) {
    let already = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("accept-encoding") || t.trim() == "*")
        })
    });
    if !already {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// Marks a response body as gzip.
pub fn mark_gzip(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
}

/// Middleware: gzip whole text responses for clients that take it.
pub async fn compress(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wants = accepts_gzip(req.headers());
    let mut res = next.call(req).await?.map_into_boxed_body();
    if !compressible(res.headers()) {
        return Ok(res);
    }
    vary_on_encoding(res.headers_mut());
    if !wants || res.headers().contains_key(header::CONTENT_ENCODING) {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (mut res, body) = res.into_parts();
    let body = match body.try_into_bytes() {
        Ok(bytes) if bytes.len() >= MIN_SIZE => {
            mark_gzip(res.headers_mut());
            BoxBody::new(gzip(&bytes))
        }
        Ok(bytes) => BoxBody::new(bytes),
        // A streamed body (none of ours is) goes out as it comes.
        Err(body) => body,
    };
    Ok(ServiceResponse::new(req, res.set_body(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn accept(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn gzip_is_taken_when_listed_or_covered_by_a_star_and_not_refused() {
        for yes in [
            &["gzip"][..],
            &["gzip, deflate, br, zstd"],
            &["br;q=1.0, gzip;q=0.8, *;q=0.1"],
            &["GZIP"],
            &["x-gzip"],
            &["*"],
            &["identity", "gzip"],
        ] {
            assert!(accepts_gzip(&accept(yes)), "{yes:?}");
        }
        for no in [
            &[][..],
            &["identity"],
            &["br"],
            &["gzip;q=0"],
            &["gzip; q=0.0, *"],
            &["*;q=0"],
            &["gzip;q=nonsense"],
        ] {
            assert!(!accepts_gzip(&accept(no)), "{no:?}");
        }
    }

    #[test]
    fn gzip_round_trips_and_shrinks_a_page() {
        let page = "<li class=\"article\">Conduit</li>\n".repeat(200);
        let gz = gzip(page.as_bytes());
        assert!(gz.len() * 10 < page.len(), "{} of {}", gz.len(), page.len());
        assert_eq!(gunzip(&gz).unwrap(), page.as_bytes());
        assert!(gunzip(b"not gzip").is_err());
    }

    #[test]
    fn text_json_and_svg_are_compressible_and_images_are_not() {
        let with = |t: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(t).unwrap());
            compressible(&h)
        };
        assert!(with("text/html; charset=utf-8"));
        assert!(with("text/css"));
        assert!(with("application/json"));
        assert!(with("image/svg+xml"));
        assert!(!with("image/png"));
        assert!(!compressible(&HeaderMap::new()));
    }

    #[test]
    fn vary_is_added_once_and_keeps_what_was_there() {
        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("cookie"));
        vary_on_encoding(&mut h);
        vary_on_encoding(&mut h);
        let vary: Vec<_> = h.get_all(header::VARY).collect();
        assert_eq!(vary, ["cookie", "accept-encoding"]);
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("vary"),
            HeaderValue::from_static("*"),
        );
        vary_on_encoding(&mut h);
        assert_eq!(h.get_all(header::VARY).count(), 1);
    }
}
