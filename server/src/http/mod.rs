//! The HTTP API: routes, handlers and the JSON error type.
//!
//! | route                              | handler                          |
//! |------------------------------------|----------------------------------|
//! | `GET /healthz`                     | [`handlers::health`]             |
//! | `POST /api/workshops`              | [`handlers::create_workshop`]    |
//! | `GET /api/workshops`               | [`handlers::list_workshops`]     |
//! | `GET /api/workshops/{id}/results`  | [`handlers::workshop_results`]   |
//! | `GET /api/workshops/{id}/document` | [`handlers::workshop_document`]  |
//! | `GET /ws/{id}`                     | [`crate::ws::upgrade`]           |

pub mod error;
pub mod handlers;

pub use error::ApiError;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// The router of the whole server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(handlers::health))
        .route(
            "/api/workshops",
            post(handlers::create_workshop).get(handlers::list_workshops),
        )
        .route(
            "/api/workshops/{id}/results",
            get(handlers::workshop_results),
        )
        .route(
            "/api/workshops/{id}/document",
            get(handlers::workshop_document),
        )
        .route("/ws/{id}", get(crate::ws::upgrade))
        .fallback(handlers::no_route)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{header, Method, Request, StatusCode};
    use http_body_util::BodyExt;
    use serde_json::{json, Value};
    use time::macros::datetime;
    use tower::ServiceExt;

    use super::*;
    use crate::clock::Clock;
    use crate::state::Settings;
    use crate::store::Store;

    /// A clock that moves one second forward on every reading, so creation order shows.
    fn stepping_clock() -> Clock {
        let tick = Arc::new(AtomicI64::new(0));
        Clock::from_fn(move || {
            datetime!(2026-11-23 09:00 UTC)
                + time::Duration::seconds(tick.fetch_add(1, Ordering::SeqCst))
        })
    }

    fn state() -> AppState {
        AppState::new(
            Store::temporary().unwrap(),
            stepping_clock(),
            Settings::default(),
        )
    }

    async fn call(
        state: &AppState,
        method: Method,
        uri: &str,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, value)
    }

    async fn create(state: &AppState, title: &str) -> String {
        let body = json!({"title": title, "place": "Northshire"}).to_string();
        let (status, value) = call(state, Method::POST, "/api/workshops", Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{value}");
        value["id"].as_str().unwrap().to_owned()
    }

    fn assert_error(got: (StatusCode, Value), status: StatusCode, code: &str) {
        assert_eq!(got.0, status, "{}", got.1);
        assert_eq!(got.1["error"], code, "{}", got.1);
        assert!(
            got.1["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            got.1
        );
    }

    #[tokio::test]
    async fn health_is_ok() {
        let got = call(&state(), Method::GET, "/healthz", None).await;
        assert_eq!(got, (StatusCode::OK, json!({"status": "ok"})));
    }

    #[tokio::test]
    async fn create_returns_a_v4_id_and_the_workshop_is_listed_newest_first() {
        let state = state();
        let first = create(&state, "  First  ").await;
        let second = create(&state, "Second").await;
        let parsed = uuid::Uuid::parse_str(&first).unwrap();
        assert_eq!(parsed.get_version_num(), 4);

        let (status, list) = call(&state, Method::GET, "/api/workshops", None).await;
        assert_eq!(status, StatusCode::OK);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["id"], second);
        assert_eq!(list[1]["id"], first);
        assert_eq!(list[1]["title"], "First", "titles are trimmed");
        assert_eq!(list[1]["place"], "Northshire");
        let updated = list[0]["updated_at"].as_str().unwrap();
        assert!(crate::clock::parse_rfc3339(updated).is_some(), "{updated}");
        assert_eq!(
            list[0].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["id", "place", "title", "updated_at"]
        );
    }

    #[tokio::test]
    async fn list_is_empty_without_workshops() {
        let got = call(&state(), Method::GET, "/api/workshops", None).await;
        assert_eq!(got, (StatusCode::OK, json!([])));
    }

    #[tokio::test]
    async fn results_and_document_of_a_new_workshop() {
        let state = state();
        let id = create(&state, "Autumn").await;

        let (status, results) = call(
            &state,
            Method::GET,
            &format!("/api/workshops/{id}/results"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(results["revision"].is_u64(), "{results}");
        assert!(results["aspects"].is_array(), "{results}");

        let (status, document) = call(
            &state,
            Method::GET,
            &format!("/api/workshops/{id}/document"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(document["meta"]["title"], "Autumn", "{document}");
        assert_eq!(document["meta"]["place"], "Northshire");
        // The results map of the document holds what the results route serves.
        assert_eq!(document["results"]["revision"], results["revision"]);

        // Asking again recomputes nothing new: same revision.
        let (_, again) = call(
            &state,
            Method::GET,
            &format!("/api/workshops/{id}/results"),
            None,
        )
        .await;
        assert_eq!(again["revision"], results["revision"]);
    }

    #[tokio::test]
    async fn malformed_ids_are_400_and_unknown_ones_404() {
        let state = state();
        for what in ["results", "document"] {
            assert_error(
                call(
                    &state,
                    Method::GET,
                    &format!("/api/workshops/not-a-uuid/{what}"),
                    None,
                )
                .await,
                StatusCode::BAD_REQUEST,
                "invalid_id",
            );
            let unknown = uuid::Uuid::new_v4();
            assert_error(
                call(
                    &state,
                    Method::GET,
                    &format!("/api/workshops/{unknown}/{what}"),
                    None,
                )
                .await,
                StatusCode::NOT_FOUND,
                "not_found",
            );
        }
        assert_eq!(state.rooms().loaded(), 0);
    }

    #[tokio::test]
    async fn bad_bodies_are_400_and_create_nothing() {
        let state = state();
        let long = "x".repeat(201);
        let bodies = [
            None,
            Some("not json"),
            Some("[]"),
            Some(r#"{"title": "only a title"}"#),
            Some(r#"{"title": 5, "place": "p"}"#),
            Some(r#"{"title": "", "place": "p"}"#),
            Some(r#"{"title": "t", "place": "   "}"#),
        ];
        for body in bodies {
            assert_error(
                call(&state, Method::POST, "/api/workshops", body).await,
                StatusCode::BAD_REQUEST,
                "bad_request",
            );
        }
        let too_long = json!({"title": long, "place": "p"}).to_string();
        assert_error(
            call(&state, Method::POST, "/api/workshops", Some(&too_long)).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
        // Exactly at the limit is fine (counted in characters, not bytes).
        let at_limit = json!({"title": "é".repeat(200), "place": "p"}).to_string();
        let (status, _) = call(&state, Method::POST, "/api/workshops", Some(&at_limit)).await;
        assert_eq!(status, StatusCode::CREATED);

        // A body without a JSON content type is refused the same way.
        let request = Request::post("/api/workshops")
            .body(Body::from(r#"{"title": "t", "place": "p"}"#))
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        let (_, list) = call(&state, Method::GET, "/api/workshops", None).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn unknown_routes_and_methods_answer_in_json() {
        let state = state();
        assert_error(
            call(&state, Method::GET, "/nope", None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert_error(
            call(&state, Method::DELETE, "/api/workshops", None).await,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        );
    }

    #[tokio::test]
    async fn websocket_route_without_upgrade_is_400() {
        let state = state();
        let id = uuid::Uuid::new_v4();
        assert_error(
            call(&state, Method::GET, &format!("/ws/{id}"), None).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
    }
}
