//! Bounds on every request, checked before any handler runs: the query string, the tokens
//! presented, and the body. What fails gets a `400 bad_request` that says which bound.
//!
//! Handlers still validate what they parse (ids, JSON fields and their lengths); these are
//! the bounds no handler should have to repeat. Unknown query parameters are ignored.

use axum::extract::Request;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::auth::token::MAX_PRESENTED_BYTES;

/// Longest request body accepted, in bytes. The largest legitimate body (a participant's
/// registration, five fields of at most 200 characters) is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Longest query string accepted, in bytes. Only `token` is read; the rest is ignored.
pub const MAX_QUERY_BYTES: usize = 2048;

/// The middleware: refuses a request that breaks a bound, passes the others on.
pub async fn request(request: Request, next: Next) -> Response {
    match check(&request) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

fn check(request: &Request) -> Result<(), ApiError> {
    let query = request.uri().query().unwrap_or_default();
    if query.len() > MAX_QUERY_BYTES {
        return Err(ApiError::BadRequest(format!(
            "the query string must be at most {MAX_QUERY_BYTES} bytes"
        )));
    }
    // A token's secret is plain hex, so its raw length is its length.
    let oversized_param = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .any(|(name, value)| name == "token" && value.len() > MAX_PRESENTED_BYTES);
    let oversized_header = request
        .headers()
        .get_all(AUTHORIZATION)
        .iter()
        .any(|value| {
            let value = value.as_bytes();
            // The credentials follow the scheme and a space: `Bearer <token>`.
            let credentials = value
                .iter()
                .position(|byte| *byte == b' ')
                .map_or(value, |space| &value[space + 1..]);
            credentials.trim_ascii().len() > MAX_PRESENTED_BYTES
        });
    if oversized_param || oversized_header {
        return Err(ApiError::BadRequest(format!(
            "a token must be at most {MAX_PRESENTED_BYTES} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::body::Body;
    use axum::http::{header, Method};

    use super::*;

    fn get(uri: &str) -> Request {
        Request::builder().uri(uri).body(Body::empty()).unwrap()
    }

    #[test]
    fn ordinary_requests_pass() {
        assert!(check(&get("/api/workshops")).is_ok());
        assert!(check(&get(&format!("/ws/x?token={}", "a".repeat(64)))).is_ok());
        // Unknown parameters are ignored, long or not, within the query bound.
        assert!(check(&get(&format!("/ws/x?room={}", "a".repeat(1000)))).is_ok());
        assert!(check(&get("/ws/x?token&token=&=&&")).is_ok());
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/workshops")
            .header(header::AUTHORIZATION, format!("Bearer {}", "a".repeat(64)))
            .body(Body::empty())
            .unwrap();
        assert!(check(&request).is_ok());
    }

    #[test]
    fn oversized_tokens_and_queries_are_bad_requests() {
        let long_token = "a".repeat(MAX_PRESENTED_BYTES + 1);
        let error = check(&get(&format!("/ws/x?a=1&token={long_token}"))).unwrap_err();
        assert!(error.to_string().contains("token"), "{error}");
        let request = Request::builder()
            .uri("/api/workshops")
            .header(header::AUTHORIZATION, format!("Bearer {long_token}"))
            .body(Body::empty())
            .unwrap();
        assert!(matches!(check(&request), Err(ApiError::BadRequest(_))));
        let long_query = format!("/api/workshops?x={}", "a".repeat(MAX_QUERY_BYTES));
        assert!(matches!(
            check(&get(&long_query)),
            Err(ApiError::BadRequest(_))
        ));
    }
}
