//! The HTTP API: routes, handlers, the JSON error type and the access log
//! ([`request_log`]).
//!
//! | route                              | handler                          |
//! |------------------------------------|----------------------------------|
//! | `GET /healthz`                     | [`handlers::health`]             |
//! | `GET /readyz`                      | [`handlers::ready`]              |
//! | `POST /api/workshops`              | [`handlers::create_workshop`]    |
//! | `GET /api/workshops`               | [`handlers::list_workshops`]     |
//! | `GET /api/workshops/{id}/results`  | [`handlers::workshop_results`]   |
//! | `GET /api/workshops/{id}/document` | [`handlers::workshop_document`]  |
//! | `GET /api/workshops/{id}/export.xlsx` | [`export::workbook`]           |
//! | `GET /api/workshops/{id}/export.md`  | [`export::markdown`]           |
//! | `GET /api/workshops/{id}/export.csv` | [`export::votes_csv`]          |
//! | `POST /api/workshops/{id}/tokens`  | [`access::mint_token`]           |
//! | `GET /api/workshops/{id}/tokens`   | [`access::list_tokens`]          |
//! | `DELETE /api/workshops/{id}/tokens/{token_id}` | [`access::revoke_token`] |
//! | `POST /api/workshops/{id}/participants` | [`access::register_participant`] |
//! | `GET /api/workshops/{id}/access`   | [`access::access`]               |
//! | `GET /ws/{id}`                     | [`crate::ws::upgrade`]           |
//! | `GET /metrics`                     | [`crate::metrics::serve`]        |
//! | `GET /`, `GET /w/{id}`             | [`crate::web::lobby`], [`crate::web::workshop`] |
//! | `GET /assets/{file}`, `GET /sw.js` | [`crate::web::asset`], [`crate::web::service_worker`] |

pub mod access;
pub mod client;
pub mod error;
pub mod export;
pub mod handlers;
pub mod request_log;
pub mod validate;

pub use error::ApiError;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::{middleware, Router};

use crate::state::AppState;

/// The router of the whole server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(handlers::health))
        .route("/readyz", get(handlers::ready))
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
        .route("/api/workshops/{id}/export.xlsx", get(export::workbook))
        .route("/api/workshops/{id}/export.md", get(export::markdown))
        .route("/api/workshops/{id}/export.csv", get(export::votes_csv))
        .route(
            "/api/workshops/{id}/tokens",
            post(access::mint_token).get(access::list_tokens),
        )
        .route(
            "/api/workshops/{id}/tokens/{token_id}",
            delete(access::revoke_token),
        )
        .route(
            "/api/workshops/{id}/participants",
            post(access::register_participant),
        )
        .route("/api/workshops/{id}/access", get(access::access))
        .route("/ws/{id}", get(crate::ws::upgrade))
        .route("/metrics", get(crate::metrics::serve))
        .route("/", get(crate::web::lobby))
        .route("/w/{id}", get(crate::web::workshop))
        .route("/assets/{file}", get(crate::web::asset))
        .route("/sw.js", get(crate::web::service_worker))
        .fallback(handlers::no_route)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        // Bounds every request shares (query, tokens, body size), before any handler.
        .layer(middleware::from_fn(validate::request))
        .layer(DefaultBodyLimit::max(validate::MAX_BODY_BYTES))
        // Outermost, so that every answer is logged, refusals by the layers above included.
        .layer(request_log::layer())
        .with_state(state)
}

#[cfg(test)]
mod tests;
