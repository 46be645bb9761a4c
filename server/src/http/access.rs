//! Handlers of a workshop's tokens and participants: minting, listing and revoking tokens
//! (facilitator), and registering a participant for a personal token (editor or facilitator
//! invite, up to `--max-participants-per-workshop` participants).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use workshop_shared::schema;
use workshop_shared::template::{self, ParticipantEntry};
use yrs::{Any, Map, MapRef, Out, ReadTxn, WriteTxn};

use super::handlers::{required_text, workshop_id, MAX_FIELD_CHARS};
use super::openapi::{
    Forbidden, Internal, InvalidId, ServerBusy, TokenNotFound, TooManyParticipants, Unauthorized,
    WorkshopNotFound, TAG_ACCESS,
};
use super::ApiError;
use crate::auth::{self, Need, Presented, Role, TokenKind, TokenRecord};
use crate::state::AppState;
use crate::store::StoreError;

/// Body of `POST /api/workshops/{id}/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MintToken {
    /// `facilitator`, `editor` or `viewer`.
    #[schema(value_type = Role)]
    pub role: String,
}

/// Answer to `POST /api/workshops/{id}/tokens`: the secret, shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct Minted {
    /// Public id, to list and revoke it by.
    pub id: String,
    /// The secret.
    pub token: String,
    /// Its role.
    pub role: Role,
    /// Always `invite`.
    pub kind: TokenKind,
}

/// One entry of `GET /api/workshops/{id}/tokens`: everything but the secret, which the
/// server does not have.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenSummary {
    /// Public id.
    pub id: String,
    /// Its role.
    pub role: Role,
    /// `invite` or `personal`.
    pub kind: TokenKind,
    /// The participant a personal token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub participant_id: Option<String>,
    /// Whether it was revoked.
    pub revoked: bool,
    /// RFC 3339 creation time.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<TokenRecord> for TokenSummary {
    fn from(record: TokenRecord) -> Self {
        TokenSummary {
            id: record.id,
            role: record.role,
            kind: record.kind,
            participant_id: record.participant_id,
            revoked: record.revoked,
            created_at: record.created_at,
        }
    }
}

/// Body of `POST /api/workshops/{id}/participants`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Register {
    /// Display name (trimmed; not empty, at most 200 characters).
    #[schema(min_length = 1, max_length = 200, example = "Ann")]
    pub name: String,
    /// Organisation (may be empty; at most 200 characters).
    #[serde(default)]
    #[schema(max_length = 200, example = "Northshire Council")]
    pub organisation: String,
    /// `facilitator`, `commissioner`, `provider`, `user_carer` or `stakeholder`; only a
    /// facilitator token may register a `facilitator`.
    #[schema(value_type = workshop_shared::schema::Role)]
    pub role: String,
    /// `customer`, `service`, `management` or `political`.
    #[schema(value_type = workshop_shared::schema::World)]
    pub world: String,
    /// Breakout group id (may be empty; at most 200 characters).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub group: String,
}

/// Answer to `POST /api/workshops/{id}/participants`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// The new participant's id (a UUID v4), the key of its votes.
    #[schema(format = Uuid)]
    pub participant_id: String,
    /// Its personal token: writes votes only under `participant_id`.
    pub token: String,
    /// The personal token's role: the role of the token that registered it.
    pub role: Role,
}

/// Answer to `GET /api/workshops/{id}/access`: what the presented token grants, so that a
/// client can offer only what it may do.
#[derive(Debug, Serialize, ToSchema)]
pub struct Access {
    /// The workshop.
    pub workshop: Uuid,
    /// `facilitator`, `editor` or `viewer`.
    pub role: Role,
    /// `invite` or `personal`.
    pub kind: TokenKind,
    /// The participant a personal token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub participant_id: Option<String>,
}

/// `GET /api/workshops/{id}/access` (any role): the presented token's role and kind.
#[utoipa::path(
    get,
    path = "/api/workshops/{id}/access",
    tag = TAG_ACCESS,
    summary = "What the presented token grants",
    description = "The presented token's role and kind (and participant, for a personal \
        token), so that a client offers only what it may do. Any role's token.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "What the token grants.", body = Access),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
pub async fn access(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
) -> Result<Json<Access>, ApiError> {
    let id = workshop_id(id)?;
    let grant = auth::grant(&state, &presented, id, Need::Read).await?;
    Ok(Json(Access {
        workshop: id,
        role: grant.role,
        kind: grant.kind,
        participant_id: grant.participant_id,
    }))
}

/// `POST /api/workshops/{id}/tokens` (facilitator): mints an invite token.
#[utoipa::path(
    post,
    path = "/api/workshops/{id}/tokens",
    tag = TAG_ACCESS,
    summary = "Mint an invite token",
    description = "A new invite token of the given role; its secret is shown only here. A \
        facilitator's token.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    request_body(content = MintToken, content_type = "application/json"),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 201, description = "The new token.", body = Minted),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
pub async fn mint_token(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
    body: Result<Json<MintToken>, JsonRejection>,
) -> Result<(StatusCode, Json<Minted>), ApiError> {
    let id = workshop_id(id)?;
    auth::grant(&state, &presented, id, Need::Facilitate).await?;
    let Json(body) = body.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let role = Role::parse(&body.role).ok_or_else(|| {
        ApiError::BadRequest("role must be one of facilitator, editor, viewer".into())
    })?;
    let (token, record) = auth::mint(&state, id, role, TokenKind::Invite, None).await?;
    auth::flush(&state).await?;
    tracing::info!(workshop = %id, token = %record.id, role = role.as_str(), "minted a token");
    Ok((
        StatusCode::CREATED,
        Json(Minted {
            id: record.id,
            token: token.into_string(),
            role,
            kind: TokenKind::Invite,
        }),
    ))
}

/// `GET /api/workshops/{id}/tokens` (facilitator): every token of the workshop, by public id.
#[utoipa::path(
    get,
    path = "/api/workshops/{id}/tokens",
    tag = TAG_ACCESS,
    summary = "The workshop's tokens",
    description = "Every token of the workshop, invite and personal, by public id: never a \
        secret, which the server does not keep. A facilitator's token.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The tokens.", body = Vec<TokenSummary>),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
) -> Result<Json<Vec<TokenSummary>>, ApiError> {
    let id = workshop_id(id)?;
    auth::grant(&state, &presented, id, Need::Facilitate).await?;
    let store = state.store.clone();
    let records = tokio::task::spawn_blocking(move || store.tokens_of(id))
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
    Ok(Json(records.into_iter().map(TokenSummary::from).collect()))
}

/// `DELETE /api/workshops/{id}/tokens/{token_id}` (facilitator): revokes a token. Its live
/// WebSocket connections close with 4403 at once; every later use of it is refused.
#[utoipa::path(
    delete,
    path = "/api/workshops/{id}/tokens/{token_id}",
    tag = TAG_ACCESS,
    summary = "Revoke a token",
    description = "Revokes a token by its public id: its live WebSocket connections close \
        with 4403 at once, and every later use of it is refused. A facilitator's token.",
    params(
        ("id" = Uuid, Path, description = "The workshop's id."),
        ("token_id" = String, Path, description = "The token's public id, as listed."),
    ),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 204, description = "The token is revoked."),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = TokenNotFound),
        (status = 500, response = Internal),
    )
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    presented: Presented,
) -> Result<StatusCode, ApiError> {
    let Path((raw_id, token_id)) = path.map_err(|_| ApiError::InvalidId)?;
    let id = workshop_id(Ok(Path(raw_id)))?;
    auth::grant(&state, &presented, id, Need::Facilitate).await?;
    let store = state.store.clone();
    let wanted = token_id.clone();
    let revoked = tokio::task::spawn_blocking(move || store.revoke_token(id, &wanted))
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
    if revoked.is_none() {
        return Err(ApiError::TokenNotFound);
    }
    auth::flush(&state).await?;
    let closed = state.live.revoke(&token_id);
    tracing::info!(workshop = %id, token = %token_id, closed, "revoked a token");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/workshops/{id}/participants` (editor or facilitator invite): registers a
/// participant in the document and returns its personal token, bound to its id and to the
/// presented token's role.
///
/// A personal token registers nobody (it speaks for its one participant), nor does a revoked
/// invite. A workshop holds at most `--max-participants-per-workshop` participants: the count
/// and the write are one step under the room's lock, so concurrent registrations cannot pass
/// it together, and a full workshop is answered 409 with nothing written.
#[utoipa::path(
    post,
    path = "/api/workshops/{id}/participants",
    tag = TAG_ACCESS,
    summary = "Register a participant",
    description = "Writes the participant into the document's `participants` map and returns \
        its personal token, of the presented token's role and bound to the new participant \
        id. An editor's or facilitator's invite token: a personal token registers nobody, and \
        only a facilitator's registers a `facilitator`.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    request_body(content = Register, content_type = "application/json"),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 201, description = "The participant and its personal token.",
            body = Registered),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = WorkshopNotFound),
        (status = 409, response = TooManyParticipants),
        (status = 500, response = Internal),
        (status = 503, response = ServerBusy),
    )
)]
pub async fn register_participant(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
    body: Result<Json<Register>, JsonRejection>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let id = workshop_id(id)?;
    let grant = auth::grant(&state, &presented, id, Need::Register).await?;
    let Json(body) = body.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let name = required_text("name", &body.name)?;
    let organisation = bounded_text("organisation", &body.organisation)?;
    let group = bounded_text("group", &body.group)?;
    let role = schema::Role::parse(&body.role).ok_or_else(|| {
        let roles: Vec<&str> = schema::Role::ALL.iter().map(|role| role.as_str()).collect();
        ApiError::BadRequest(format!("role must be one of {}", roles.join(", ")))
    })?;
    let world = schema::World::parse(&body.world).ok_or_else(|| {
        let worlds: Vec<&str> = schema::World::ALL
            .iter()
            .map(|world| world.as_str())
            .collect();
        ApiError::BadRequest(format!("world must be one of {}", worlds.join(", ")))
    })?;
    if role == schema::Role::Facilitator && grant.role != Role::Facilitator {
        return Err(ApiError::Forbidden(
            "only a facilitator token may register a facilitator".into(),
        ));
    }

    let participant_id = Uuid::new_v4().to_string();
    let room = state.rooms.lease(id).await?;
    let entry = ParticipantEntry {
        name: &name,
        organisation: &organisation,
        role,
        world,
        group: &group,
    };
    let prelim = template::participant_prelim(&entry);
    let key = participant_id.clone();
    let max = state.settings.limits.max_participants_per_workshop;
    room.write_as_server(move |txn| {
        let participants = txn.get_or_insert_map(schema::PARTICIPANTS);
        if registered(&participants, txn) >= max {
            return Err(ApiError::TooManyParticipants { max });
        }
        participants.insert(txn, key, prelim);
        Ok(())
    })
    .await??;
    let (token, record) = auth::mint(
        &state,
        id,
        grant.role,
        TokenKind::Personal,
        Some(participant_id.clone()),
    )
    .await?;
    auth::flush(&state).await?;
    tracing::info!(workshop = %id, participant = %participant_id, token = %record.id, "registered a participant");
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            participant_id,
            token: token.into_string(),
            role: grant.role,
        }),
    ))
}

/// How many participants the `participants` map holds: its entries that are not null (a
/// null entry is no participant).
fn registered<T: ReadTxn>(participants: &MapRef, txn: &T) -> usize {
    participants
        .iter(txn)
        .filter(|(_, value)| !matches!(value, Out::Any(Any::Null | Any::Undefined)))
        .count()
}

/// Trims an optional text field and checks its length.
fn bounded_text(name: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(ApiError::BadRequest(format!(
            "{name} must be at most {MAX_FIELD_CHARS} characters"
        )));
    }
    Ok(value.to_owned())
}
