//! Request handlers. Each parses what the client sent into typed values (failing with
//! [`ApiError`], never panicking) and then asks the rooms or the store.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use std::collections::BTreeSet;
use std::time::Instant;

use super::client::ClientAddress;
use super::openapi::{
    BadRequest, Forbidden, Internal, InvalidId, NotReady, ServerBusy, TooManyCreations,
    Unauthorized, WorkshopNotFound, TAG_OPERATIONS, TAG_WORKSHOPS,
};
use super::ApiError;
use crate::auth::{self, Denied, Need, Presented, Role, TokenHash, TokenKind};
use crate::clock::parse_rfc3339;
use crate::state::AppState;
use crate::store::{blocking, Storage, StoreError};

/// Longest title or place accepted, in characters.
pub const MAX_FIELD_CHARS: usize = 200;

/// Body of `POST /api/workshops`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWorkshop {
    /// Title of the workshop (trimmed; not empty, at most 200 characters).
    #[schema(min_length = 1, max_length = 200, example = "Autumn workshop")]
    pub title: String,
    /// Place being assessed (trimmed; not empty, at most 200 characters).
    #[schema(min_length = 1, max_length = 200, example = "Northshire")]
    pub place: String,
}

/// Answer to `POST /api/workshops`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// Id of the new workshop.
    pub id: Uuid,
    /// One invite token per role; shown only here.
    pub tokens: InviteTokens,
}

/// The invite tokens of a new workshop.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteTokens {
    /// Runs the workshop: writes everything, mints and revokes tokens.
    pub facilitator: String,
    /// Joins, registers participants, then writes under their own ids.
    pub editor: String,
    /// Reads only.
    pub viewer: String,
}

/// One entry of `GET /api/workshops`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkshopSummary {
    /// Workshop id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Place.
    pub place: String,
    /// RFC 3339 time of the last persisted change.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Answer to `GET /healthz` and `GET /readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` from `/healthz`, `ready` from `/readyz`.
    pub status: HealthStatus,
}

/// What `/healthz` and `/readyz` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The process answers (`/healthz`).
    Ok,
    /// The server can serve workshops (`/readyz`).
    Ready,
}

/// `GET /healthz`: the process answers (liveness).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = TAG_OPERATIONS,
    summary = "Liveness: the process answers",
    responses(
        (status = 200, description = "The process answers.", body = Health,
            example = json!({"status": "ok"})),
        (status = 400, response = BadRequest),
    )
)]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: HealthStatus::Ok,
    })
}

/// `GET /readyz`: the server can serve workshops (readiness): it is not shutting down and a
/// read of its store succeeds. 200 `{"status": "ready"}`, else 503 `not_ready`. Needs no token.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = TAG_OPERATIONS,
    summary = "Readiness: the server can serve workshops",
    description = "Ready when the server is not shutting down and a read of its store succeeds.",
    responses(
        (status = 200, description = "Ready.", body = Health,
            example = json!({"status": "ready"})),
        (status = 400, response = BadRequest),
        (status = 503, response = NotReady),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if state.shutdown_token().is_cancelled() {
        return Err(ApiError::NotReady("the server is shutting down"));
    }
    let store = state.store.clone();
    let probed = tokio::task::spawn_blocking(move || store.probe()).await;
    match probed {
        Ok(Ok(())) => Ok(Json(Health {
            status: HealthStatus::Ready,
        })),
        Ok(Err(error)) => {
            tracing::error!(%error, "not ready: the store cannot be read");
            Err(ApiError::NotReady("the store cannot be read"))
        }
        Err(error) => {
            tracing::error!(%error, "not ready: the store probe failed");
            Err(ApiError::NotReady("the store cannot be read"))
        }
    }
}

/// `POST /api/workshops`: creates a workshop from the template, with an invite token per
/// role. Needs the server's create token when it was started with one; one client address
/// creates at most `--max-creations-per-address-per-minute` workshops in any minute.
#[utoipa::path(
    post,
    path = "/api/workshops",
    tag = TAG_WORKSHOPS,
    summary = "Create a workshop",
    description = "Creates a workshop from the built-in template and returns its id and one \
        invite token per role, shown only here. Needs no token, unless the server was started \
        with `--create-token`: then that token. One client address creates at most \
        `--max-creations-per-address-per-minute` workshops in any minute.",
    request_body(content = CreateWorkshop, content_type = "application/json"),
    security((), ("bearer" = []), ("token" = [])),
    responses(
        (status = 201, description = "The new workshop and its invite tokens.", body = Created),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyCreations),
        (status = 500, response = Internal),
    )
)]
pub async fn create_workshop(
    State(state): State<AppState>,
    presented: Presented,
    ClientAddress(address): ClientAddress,
    body: Result<Json<CreateWorkshop>, JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    if let Some(required) = &state.settings.create_token {
        if presented.is_empty() {
            return Err(ApiError::Unauthorized(
                "creating a workshop needs the server's create token as a bearer token".into(),
            ));
        }
        if !presented
            .0
            .iter()
            .any(|secret| TokenHash::of(secret).matches(required))
        {
            return Err(ApiError::Forbidden(
                "this is not the server's create token".into(),
            ));
        }
    }
    let Json(body) = body.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let title = required_text("title", &body.title)?;
    let place = required_text("place", &body.place)?;
    // Counted when allowed, before anything is written: concurrent requests cannot pass the
    // limit together, and a creation that fails later still counts.
    if let Err(refused) = state.creations.record(address, Instant::now()) {
        tracing::info!(%address, "refused a creation: too many from this address");
        crate::metrics::refused("address_creations");
        return Err(ApiError::TooManyCreations {
            retry_after_secs: refused.retry_after_secs(),
        });
    }
    let id = state.rooms.create(title, place).await?;
    let invite = |role| auth::mint(&state, id, role, TokenKind::Invite, None);
    let facilitator = invite(Role::Facilitator).await?.0.into_string();
    let editor = invite(Role::Editor).await?.0.into_string();
    let viewer = invite(Role::Viewer).await?.0.into_string();
    // Until this flush a crash could lose the tokens: the workshop would then be one that
    // nobody was ever told about, which is harmless.
    auth::flush(&state).await?;
    let tokens = InviteTokens {
        facilitator,
        editor,
        viewer,
    };
    Ok((StatusCode::CREATED, Json(Created { id, tokens })))
}

/// `GET /api/workshops`: the workshops the presented tokens grant access to, most recently
/// changed first. Revoked and unknown tokens show nothing; when none shows anything the
/// answer is 403.
///
/// Each token's record names its workshop, and only those workshops' records are read: the
/// answer costs as much as the tokens presented, however many workshops the server holds.
#[utoipa::path(
    get,
    path = "/api/workshops",
    tag = TAG_WORKSHOPS,
    summary = "The workshops the presented tokens grant",
    description = "Every workshop one of the presented tokens (one or more, any role) grants, \
        most recently changed first. Revoked and unknown tokens show nothing; when none shows \
        anything the answer is 403.",
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The workshops, most recently changed first.",
            body = Vec<WorkshopSummary>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
pub async fn list_workshops(
    State(state): State<AppState>,
    presented: Presented,
) -> Result<Json<Vec<WorkshopSummary>>, ApiError> {
    if presented.is_empty() {
        return Err(auth::AuthError::Denied(Denied::Missing).into());
    }
    let mut visible = BTreeSet::new();
    for secret in &presented.0 {
        if let Some(record) = auth::lookup(&state, secret).await? {
            if !record.revoked {
                visible.insert(record.workshop);
            }
        }
    }
    if visible.is_empty() {
        return Err(auth::AuthError::Denied(Denied::Forbidden).into());
    }
    let store = state.store.clone();
    let mut summaries = blocking(move || summaries_of(&*store, visible)).await?;
    // By parsed time, not text: RFC 3339 allows several spellings of one instant. Ties
    // (and unparsable times, which sort last) fall back to the id so the order is stable.
    summaries.sort_by(|a, b| {
        parse_rfc3339(&b.updated_at)
            .cmp(&parse_rfc3339(&a.updated_at))
            .then(a.id.cmp(&b.id))
    });
    Ok(Json(summaries))
}

/// The list entries of workshops `ids`: those that exist and whose records are readable (an
/// unreadable one is skipped with a warning, so it cannot hide the others).
fn summaries_of(
    store: &dyn Storage,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<WorkshopSummary>, StoreError> {
    let mut summaries = Vec::new();
    for id in ids {
        let record = match store.workshop(id) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(error @ StoreError::Corrupt { .. }) => {
                tracing::warn!(%error, "skipping unreadable workshop record");
                continue;
            }
            Err(error) => return Err(error),
        };
        summaries.push(WorkshopSummary {
            id,
            title: record.title,
            place: record.place,
            updated_at: record.updated_at,
        });
    }
    Ok(summaries)
}

/// `GET /api/workshops/{id}/results`: the engine's results, recomputed if stale. With
/// `--recompute off`, computed on demand and not written into the document ([`Room::results`]).
///
/// [`Room::results`]: crate::rooms::Room::results
#[utoipa::path(
    get,
    path = "/api/workshops/{id}/results",
    tag = TAG_WORKSHOPS,
    summary = "The workshop's computed figures",
    description = "The engine's results: aspect scores and confidence, approach fit and the \
        recommendation, the top constraints and enablers, groups' progress and the warnings. \
        Any role's token.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The figures.", body = workshop_shared::Results),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = WorkshopNotFound),
        (status = 500, response = Internal),
        (status = 503, response = ServerBusy),
    )
)]
pub async fn workshop_results(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
) -> Result<Json<workshop_shared::Results>, ApiError> {
    let id = workshop_id(id)?;
    auth::grant(&state, &presented, id, Need::Read).await?;
    let room = state.rooms.lease(id).await?;
    Ok(Json(room.results().await?))
}

/// `GET /api/workshops/{id}/document`: the whole document as JSON.
#[utoipa::path(
    get,
    path = "/api/workshops/{id}/document",
    tag = TAG_WORKSHOPS,
    summary = "The whole workshop document",
    description = "The workshop's document as JSON: its root maps by name, maps as objects, \
        texts as strings. Any role's token.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The document.", body = inline(Object)),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = WorkshopNotFound),
        (status = 500, response = Internal),
        (status = 503, response = ServerBusy),
    )
)]
pub async fn workshop_document(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = workshop_id(id)?;
    auth::grant(&state, &presented, id, Need::Read).await?;
    let room = state.rooms.lease(id).await?;
    Ok(Json(room.document_json()?))
}

/// Any path no route matches.
pub async fn no_route() -> ApiError {
    ApiError::NoRoute
}

/// A known path with a method it does not serve.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Parses the `{id}` path segment.
pub fn parse_workshop_id(raw: &str) -> Option<Uuid> {
    Uuid::try_parse(raw).ok()
}

pub(crate) fn workshop_id(path: Result<Path<String>, PathRejection>) -> Result<Uuid, ApiError> {
    let Path(raw) = path.map_err(|_| ApiError::InvalidId)?;
    parse_workshop_id(&raw).ok_or(ApiError::InvalidId)
}

/// Trims a required text field and checks it is non-empty and not too long.
pub(crate) fn required_text(name: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::BadRequest(format!("{name} must not be empty")));
    }
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(ApiError::BadRequest(format!(
            "{name} must be at most {MAX_FIELD_CHARS} characters"
        )));
    }
    Ok(value.to_string())
}
