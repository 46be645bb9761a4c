//! Admission: the checks an upgraded connection passes before it joins its room, cheapest
//! first, and what an admitted connection keeps for as long as it is open.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::ws::close_code;
use tokio_util::sync::CancellationToken;

use super::{
    CLOSE_FORBIDDEN, CLOSE_MALFORMED_ID, CLOSE_ROOMS_FULL, CLOSE_TOKEN_REQUIRED,
    CLOSE_UNKNOWN_WORKSHOP,
};
use crate::auth::{self, AuthError, Denied, Need, Presented, Registration};
use crate::http::handlers::parse_workshop_id;
use crate::limits::{Admission, RateLimit};
use crate::per_address::AddressAdmission;
use crate::rooms::{Author, ConnId, Lease, LeaseError, RoomError};
use crate::state::AppState;

/// An admitted connection: its room, what it may do, and the parts of the server's state it
/// needs (not the whole `AppState`, which is larger than all of this).
pub(crate) struct Admitted {
    pub(crate) conn: ConnId,
    pub(crate) room: Lease,
    /// What its token lets it write, and which token it is.
    pub(crate) author: Author,
    /// Its registration under its token. Its token is a child of `done`: cancelled when the
    /// token is revoked, and when the connection is done.
    pub(crate) registration: Registration,
    /// How many document messages it may send
    /// ([`Limits::updates`](crate::limits::Limits::updates)).
    pub(crate) updates: RateLimit,
    /// [`Limits::max_pending_bytes`](crate::limits::Limits::max_pending_bytes).
    pub(crate) max_pending_bytes: usize,
    /// [`Limits::slow_client_timeout`](crate::limits::Limits::slow_client_timeout).
    pub(crate) slow_client_timeout: Duration,
    pub(crate) max_frame_bytes: usize,
    /// Cancelled when the server shuts down.
    pub(crate) shutdown: CancellationToken,
    /// A child of `shutdown`, cancelled as well when the connection's writer stops: the
    /// reader then stops too. (The connection holds these few fields rather than the whole
    /// [`crate::limits::Limits`], and waits on one token rather than three, because every
    /// byte here is taken by every idle connection.)
    pub(crate) done: CancellationToken,
    /// Its place under the connection limits.
    _admission: Admission,
    /// Its place under its address's connection limit.
    _address: AddressAdmission,
}

/// Lets connection `conn` from client `address` in, or returns the close code and reason to
/// refuse it with. Nothing is counted or loaded for a stranger.
pub(crate) async fn admit(
    raw_id: &str,
    presented: &Presented,
    address: IpAddr,
    state: &AppState,
    conn: ConnId,
) -> Result<Admitted, (u16, String)> {
    // An upgrade that completes after shutdown began must not load a room again.
    if state.shutdown.is_cancelled() {
        return Err((close_code::AWAY, "server shutting down".into()));
    }
    let Some(id) = parse_workshop_id(raw_id) else {
        tracing::info!("refused: malformed workshop id");
        return Err((CLOSE_MALFORMED_ID, "malformed workshop id".into()));
    };
    let grant = match auth::grant(state, presented, id, Need::Read).await {
        Ok(grant) => grant,
        Err(AuthError::Denied(denied)) => {
            tracing::info!(%denied, "refused: token");
            let (code, reason) = match denied {
                Denied::Missing => (CLOSE_TOKEN_REQUIRED, "token required"),
                Denied::Revoked => (CLOSE_FORBIDDEN, "token revoked"),
                Denied::Forbidden | Denied::Insufficient | Denied::NotAnInvite => {
                    (CLOSE_FORBIDDEN, "forbidden")
                }
            };
            return Err((code, reason.into()));
        }
        Err(error) => {
            tracing::error!(%error, "cannot check the token");
            return Err((close_code::ERROR, "cannot check the token".into()));
        }
    };
    let done = state.shutdown.child_token();
    let registration = state.live.register(&grant.token_id, conn, &done);
    // Counted before the room is loaded, so refused connections cost no load; the address
    // first, so that one address at its limit takes no more of the server's places.
    let address_admission = match state.address_connections.admit(address) {
        Ok(admission) => admission,
        Err(refused) => {
            tracing::info!(%address, %refused, "refused: connection limit of the address");
            crate::metrics::refused("address_connections");
            return Err((refused.close_code(), refused.to_string()));
        }
    };
    let admission = match state.connections.admit(id) {
        Ok(admission) => admission,
        Err(refused) => {
            tracing::info!(%refused, "refused: connection limit");
            return Err((refused.close_code(), refused.to_string()));
        }
    };
    let room = match state.rooms.lease(id).await {
        Ok(room) => room,
        Err(LeaseError::Room(RoomError::NotFound)) => {
            tracing::info!("refused: unknown workshop");
            return Err((CLOSE_UNKNOWN_WORKSHOP, "unknown workshop".into()));
        }
        Err(error @ LeaseError::Full { .. }) => {
            tracing::warn!(%error, "refused: every loaded workshop is in use");
            crate::metrics::refused("rooms_full");
            return Err((CLOSE_ROOMS_FULL, error.to_string()));
        }
        Err(error) => {
            tracing::error!(%error, "cannot load workshop");
            return Err((close_code::ERROR, "cannot load workshop".into()));
        }
    };
    tracing::info!("connected");
    tracing::info!(token = %grant.token_id, role = grant.role.as_str(), "joined");
    Ok(Admitted {
        conn,
        room,
        author: Author::new(grant.capability(), grant.token_id.as_str()),
        registration,
        updates: state.settings.limits.updates,
        max_pending_bytes: state.settings.limits.max_pending_bytes,
        slow_client_timeout: state.settings.limits.slow_client_timeout,
        max_frame_bytes: state.settings.max_frame_bytes,
        shutdown: state.shutdown.clone(),
        done,
        _admission: admission,
        _address: address_admission,
    })
}
