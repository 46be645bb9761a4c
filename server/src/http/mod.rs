//! The HTTP API: routes, handlers, the JSON error type, the access log ([`request_log`]) and
//! the API's OpenAPI description ([`openapi`]), made from the same declarations as the routes.
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
//! | `GET /api/openapi.json`            | [`openapi::serve`]               |
//! | `GET /`, `GET /w/{id}`             | [`crate::web::lobby`], [`crate::web::workshop`] |
//! | `GET /assets/{file}`, `GET /sw.js` | [`crate::web::asset`], [`crate::web::service_worker`] |

pub mod access;
pub mod client;
pub mod error;
pub mod export;
pub mod handlers;
pub mod openapi;
pub mod request_log;
pub mod validate;

pub use error::ApiError;

use axum::extract::DefaultBodyLimit;
use axum::{middleware, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Every route, each with its OpenAPI description (its handler's `#[utoipa::path]`): the
/// router ([`router`]) and the description ([`openapi::description`]) are both made from this
/// one list, so neither can have a route the other lacks.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(handlers::health))
        .routes(routes!(handlers::ready))
        .routes(routes!(handlers::create_workshop, handlers::list_workshops))
        .routes(routes!(handlers::workshop_results))
        .routes(routes!(handlers::workshop_document))
        .routes(routes!(export::workbook))
        .routes(routes!(export::markdown))
        .routes(routes!(export::votes_csv))
        .routes(routes!(access::mint_token, access::list_tokens))
        .routes(routes!(access::revoke_token))
        .routes(routes!(access::register_participant))
        .routes(routes!(access::access))
        .routes(routes!(crate::ws::upgrade))
        .routes(routes!(crate::metrics::serve))
        .routes(routes!(openapi::serve))
        .routes(routes!(crate::web::lobby))
        .routes(routes!(crate::web::workshop))
        .routes(routes!(crate::web::asset))
        .routes(routes!(crate::web::service_worker))
}

/// The router of the whole server.
pub fn router(state: AppState) -> Router {
    let (routes, _) = routes().split_for_parts();
    routes
        .fallback(handlers::no_route)
        // After every route: it applies to the routes already added.
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
