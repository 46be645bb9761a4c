//! The browser page: the files `web/` builds into (embedded in the binary by `build.rs`),
//! served at `/` (the lobby), `/w/{id}` (a workshop; the page reads the id from its address),
//! `/assets/{file}` and `/sw.js` (the service worker, at the root so that its scope is the
//! whole site).
//!
//! Every answer carries an `ETag` and `Cache-Control: no-cache`, so a browser revalidates
//! cheaply and never runs a stale page after an upgrade, and a strict
//! `Content-Security-Policy`. `Referrer-Policy: no-referrer` keeps an invite link's token
//! out of any request the page makes elsewhere.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::http::openapi::{BadRequest, NoRoute, TAG_PAGE};
use crate::http::ApiError;

mod files {
    include!(concat!(env!("OUT_DIR"), "/web_files.rs"));
}

/// Whether this build embeds the real page: `false` when it was compiled without Node.js or
/// npm, and serves `server/unbuilt/` (a page saying how to build it) instead.
pub fn page_is_built() -> bool {
    env!("WORKSHOP_PAGE") == "built"
}

/// What the page may load and connect to: its own origin only (`'self'` covers `ws:` and
/// `wss:` on the same host).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; \
     manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; \
     object-src 'none'";

/// One embedded file, with its precomputed entity tag.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    etag: HeaderValue,
}

fn assets() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        files::FILES
            .iter()
            .map(|&(name, content_type, bytes)| {
                let digest = Sha256::digest(bytes);
                let tag: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
                Asset {
                    name,
                    content_type,
                    bytes,
                    etag: HeaderValue::from_str(&format!("\"{tag}\""))
                        .unwrap_or(HeaderValue::from_static("\"0\"")),
                }
            })
            .collect()
    })
}

fn find(name: &str) -> Option<&'static Asset> {
    assets().iter().find(|asset| asset.name == name)
}

/// The content type file `name` is served with, for the OpenAPI description.
fn content_type_of(name: &str) -> &'static str {
    find(name).map_or("application/octet-stream", |asset| asset.content_type)
}

fn serve(asset: &'static Asset, request: &HeaderMap) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.as_bytes() == asset.etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.bytes.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::ETAG, asset.etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn page(request: &HeaderMap) -> Response {
    match find("index.html") {
        Some(asset) => serve(asset, request),
        None => ApiError::NoRoute.into_response(),
    }
}

/// `GET /`: the lobby.
#[utoipa::path(
    get,
    path = "/",
    tag = TAG_PAGE,
    summary = "The browser page: the lobby",
    params(("If-None-Match" = Option<String>, Header,
        description = "The `ETag` of a copy held: 304 if it is still the page served.")),
    responses(
        (status = 200, description = "The page.", body = String,
            content_type = content_type_of("index.html"),
            headers(("ETag" = String, description = "The page's entity tag."))),
        (status = 304, description = "The copy held is the page served.",
            headers(("ETag" = String, description = "The page's entity tag."))),
        (status = 400, response = BadRequest),
    )
)]
pub async fn lobby(request: HeaderMap) -> Response {
    page(&request)
}

/// `GET /w/{id}`: a workshop. The page checks the id itself, so that a mistyped link shows
/// a page that says so.
#[utoipa::path(
    get,
    path = "/w/{id}",
    operation_id = "workshop_page",
    tag = TAG_PAGE,
    summary = "The browser page: a workshop",
    description = "The same page as `/`; it reads the workshop id from its address, and says so \
        when the id is not one.",
    params(
        ("id" = String, Path, description = "The workshop's id."),
        ("If-None-Match" = Option<String>, Header,
            description = "The `ETag` of a copy held: 304 if it is still the page served."),
    ),
    responses(
        (status = 200, description = "The page.", body = String,
            content_type = content_type_of("index.html"),
            headers(("ETag" = String, description = "The page's entity tag."))),
        (status = 304, description = "The copy held is the page served.",
            headers(("ETag" = String, description = "The page's entity tag."))),
        (status = 400, response = BadRequest),
    )
)]
pub async fn workshop(request: HeaderMap) -> Response {
    page(&request)
}

/// `GET /assets/{file}`: the page's script and style sheet.
#[utoipa::path(
    get,
    path = "/assets/{file}",
    tag = TAG_PAGE,
    summary = "The page's script and style sheet",
    params(
        ("file" = String, Path, description = "`app.js` or `app.css`.", example = "app.js"),
        ("If-None-Match" = Option<String>, Header,
            description = "The `ETag` of a copy held: 304 if it is still the file served."),
    ),
    responses(
        (status = 200, description = "The file.",
            content(
                (String = content_type_of("app.js")),
                (String = content_type_of("app.css"))
            ),
            headers(("ETag" = String, description = "The file's entity tag."))),
        (status = 304, description = "The copy held is the file served.",
            headers(("ETag" = String, description = "The file's entity tag."))),
        (status = 400, response = BadRequest),
        (status = 404, response = NoRoute),
    )
)]
pub async fn asset(Path(name): Path<String>, request: HeaderMap) -> Response {
    match find(&name).filter(|asset| asset.name != "index.html" && asset.name != "sw.js") {
        Some(asset) => serve(asset, &request),
        None => ApiError::NoRoute.into_response(),
    }
}

/// `GET /sw.js`: the service worker that keeps the page usable offline.
#[utoipa::path(
    get,
    path = "/sw.js",
    tag = TAG_PAGE,
    summary = "The page's service worker",
    description = "The service worker that keeps the page usable offline; at the root, so that \
        its scope is the whole site.",
    params(("If-None-Match" = Option<String>, Header,
        description = "The `ETag` of a copy held: 304 if it is still the script served.")),
    responses(
        (status = 200, description = "The script.", body = String,
            content_type = content_type_of("sw.js"),
            headers(("ETag" = String, description = "The script's entity tag."))),
        (status = 304, description = "The copy held is the script served.",
            headers(("ETag" = String, description = "The script's entity tag."))),
        (status = 400, response = BadRequest),
    )
)]
pub async fn service_worker(request: HeaderMap) -> Response {
    match find("sw.js") {
        Some(asset) => serve(asset, &request),
        None => ApiError::NoRoute.into_response(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[test]
    fn the_page_served_without_node_says_how_to_build_the_real_one() {
        let page = include_str!("../unbuilt/index.html");
        for needed in [
            "Node.js",
            "npm",
            "cargo build --release -p workshop-server",
            "/api/",
        ] {
            assert!(page.contains(needed), "{needed}");
        }
        // This build had Node.js: the test command builds the real page.
        assert!(super::page_is_built());
    }

    use crate::clock::Clock;
    use crate::state::{AppState, Settings};
    use crate::store::Store;

    async fn get(uri: &str, etag: Option<&str>) -> (StatusCode, header::HeaderMap, Vec<u8>) {
        let state = AppState::new(
            Store::temporary().unwrap(),
            Clock::system(),
            Settings::default(),
        );
        let mut request = Request::builder().uri(uri);
        if let Some(etag) = etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        let response = crate::http::router(state)
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body.to_vec())
    }

    #[tokio::test]
    async fn the_lobby_and_every_workshop_address_serve_the_page() {
        for uri in [
            "/",
            "/w/8a1c9a52-3a63-4b8e-9a57-0c4f5d2b7e10",
            "/w/not-an-id",
        ] {
            let (status, headers, body) = get(uri, None).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
            let html = String::from_utf8(body).unwrap();
            assert!(html.contains("/assets/app.js"), "{html}");
            let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(policy.contains("script-src 'self'"), "{policy}");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
            assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        }
    }

    #[tokio::test]
    async fn assets_have_their_types_and_revalidate_by_etag() {
        let (status, headers, body) = get("/assets/app.js", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert!(!body.is_empty());
        let etag = headers[header::ETAG].to_str().unwrap().to_owned();
        let (status, _, body) = get("/assets/app.js", Some(&etag)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
        let (status, _, _) = get("/assets/app.js", Some("\"stale\"")).await;
        assert_eq!(status, StatusCode::OK);

        let (status, headers, _) = get("/assets/app.css", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    }

    #[tokio::test]
    async fn the_service_worker_is_at_the_root_with_its_build_version() {
        let (status, headers, body) = get("/sw.js", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let script = String::from_utf8(body).unwrap();
        assert!(script.contains("workshop-page-"), "{script}");
        assert!(!script.contains("__BUILD_VERSION__"), "{script}");
    }

    #[tokio::test]
    async fn unknown_files_are_json_404s() {
        for uri in [
            "/assets/index.html",
            "/assets/sw.js",
            "/assets/nope.js",
            "/w/a/b",
        ] {
            let (status, headers, _) = get(uri, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{uri}");
        }
    }
}
