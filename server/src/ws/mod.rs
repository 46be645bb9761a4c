//! The WebSocket endpoint `GET /ws/{id}`: upgrade, then one task per connection that reads
//! frames into the room and a writer that drains the connection's bounded outbox.
//!
//! Only this module knows WebSocket types. How its files divide the work:
//!
//! - [`handshake`]: the upgrade request's checks, the `101` answer, the upgraded socket.
//! - `admit`: the checks a connection passes before it joins its room.
//! - [`socket`]: the socket's limits and buffers; writing messages, fragments and close
//!   frames within a deadline.
//! - `reader`: the client's frames into the room, under the update rate limit.
//! - `writer`: the outbox onto the socket, keepalives, and the slow-client cut and resync.
//! - this file: the endpoint, and each connection's task, which runs the other two.
//!
//! Every y-sync message goes out as its own binary WebSocket message, because the
//! y-websocket client reads exactly one y-sync message per WebSocket message; one longer than
//! [`socket::SINGLE_FRAME_BYTES`] is sent in several frames that the client reassembles, so that
//! an idle connection does not keep a write buffer as large as the document it was sent.
//!
//! Close codes sent by the server:
//!
//! | code | when                                                         |
//! |------|--------------------------------------------------------------|
//! | 4400 | the `{id}` segment is not a UUID                             |
//! | 4401 | no token was presented (`?token=` or `Authorization: Bearer`) |
//! | 4403 | the token is unknown, of another workshop, or revoked (also when it is revoked while connected) |
//! | 4404 | no workshop has this id                                      |
//! | 1001 | server shutting down, or the connection was silent too long  |
//! | 1002 | the WebSocket framing itself was broken                      |
//! | 1003 | a text frame arrived                                         |
//! | 1007 | a frame held a malformed or unsupported y-sync message       |
//! | 1008 | an awareness message would have the connection speak for more than [`MAX_PRESENCES_PER_CONNECTION`] presence states, or holds a state larger than [`MAX_PRESENCE_BYTES`] |
//! | 1009 | a message larger than `--max-frame-bytes`                    |
//! | 1011 | storage failed, or applying this connection's change panicked (the room is reloaded from its log) |
//! | 1012 | the room is being reloaded from its log after a change panicked; reconnect |
//! | 1013 | the client stayed too far behind for `--slow-client-timeout-secs` |
//! | 4409 | the workshop has `--max-connections-per-workshop` connections |
//! | 4429 | more document messages than `--max-updates-per-sec` allows   |
//! | 4430 | the client's address has `--max-connections-per-address` connections |
//! | 4503 | the server has `--max-connections` connections               |
//! | 4507 | the server has `--max-loaded-workshops` workshops loaded, every one in use |
//!
//! A client that cannot take frames as fast as its room produces them is not dropped: when
//! its queue is full or holds `--max-pending-bytes`, the room stops relaying to it; once its
//! writer has written what was queued, the room resyncs it ([`Room::resync`]) and relays to
//! it again. Only a client that stays behind (or cannot take one frame) for the slow-client
//! timeout is closed, with 1013.
//!
//! [`Room::resync`]: crate::rooms::Room::resync
//! [`MAX_PRESENCES_PER_CONNECTION`]: crate::limits::MAX_PRESENCES_PER_CONNECTION
//! [`MAX_PRESENCE_BYTES`]: crate::rooms::MAX_PRESENCE_BYTES

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::ws::close_code;
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::StreamExt;
use tokio::time::timeout;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tracing::{Instrument, Span};

use crate::auth::Presented;
use crate::http::client::ClientAddress;
use crate::http::openapi::{BadRequest, Internal, TAG_SYNC};
use crate::limits::CLOSE_RATE_LIMITED;
use crate::rooms::{outbox, Backlog, Outgoing, Peer, RoomError};
use crate::state::AppState;

mod admit;
pub mod handshake;
mod reader;
pub mod socket;
mod writer;

pub use handshake::{Handshake, HandshakeError, Upgrading};
pub use socket::truncate_reason;

use admit::Admitted;
use socket::{reject, SocketSink, SocketStream};

/// Close code for a `{id}` that is not a UUID.
pub const CLOSE_MALFORMED_ID: u16 = 4400;
/// Close code for a well-formed id that names no workshop.
pub const CLOSE_UNKNOWN_WORKSHOP: u16 = 4404;
/// Close code for a join that presents no token.
pub const CLOSE_TOKEN_REQUIRED: u16 = 4401;
/// Close code for a token that grants nothing on this workshop, or was revoked.
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// Close code for a join whose workshop cannot be loaded: the server has its maximum of
/// workshops loaded and every one is in use.
pub const CLOSE_ROOMS_FULL: u16 = 4507;
/// Frames queued for one connection before it is cut from the relay until it catches up.
pub const OUTBOX_CAPACITY: usize = 1024;
/// How often the server pings and sends an empty awareness message to each client.
///
/// Browsers answer pings without telling the page, and the y-websocket client reconnects
/// after 30 s without a *message*, so a lone client also gets a no-op awareness message.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// A connection that sends nothing (not even a pong) for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server waits to queue or write a close frame.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the client's close frame after ours.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// At most this many frames that arrived together are handled as one batch.
pub const MAX_BATCH_FRAMES: usize = 64;
/// The WebSocket protocol's limit on a close reason, in bytes.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// What the OpenAPI description says of `GET /ws/{id}`: the protocol and its close codes, for
/// those who read the API there rather than here.
const PROTOCOL: &str = "\
Upgrades to a WebSocket (RFC 6455; no subprotocol) that speaks the standard y-sync protocol \
of Yjs, as y-websocket does: sync step 1 and 2, update, awareness, awareness query, and the \
auth message (\"permission denied\", with the refused path and the reason, when an update \
breaks the token's write rules). One message per binary WebSocket message; a message longer \
than one frame is sent as fragments.

The token comes as `?token=<token>` (y-websocket's `params` option) or as a bearer header. A \
bad id, a missing or refused token and an unknown workshop are all answered with a close code \
after the upgrade, because browsers cannot read the HTTP status of a refused upgrade. A \
request that is no WebSocket upgrade is answered 400 `bad_request`.

| close code | reason |
|---|---|
| 4400 | the id is not a UUID |
| 4401 | no token was presented |
| 4403 | the token is unknown, of another workshop, or revoked (also while connected) |
| 4404 | no workshop has this id |
| 1001 | the server is shutting down, or the connection was silent for 60 s |
| 1002 | the WebSocket framing itself was broken |
| 1003 | a text frame (y-sync is binary) |
| 1007 | a malformed or unsupported y-sync message |
| 1008 | an awareness message that would have one connection speak for more than 8 presence \
states, or holds a state over 4 KiB |
| 1009 | a message over `--max-frame-bytes` |
| 1011 | the server could not store the update, or applying it failed inside the server |
| 1012 | the workshop is being reloaded from its log; reconnect |
| 1013 | the client stayed too far behind for `--slow-client-timeout-secs` |
| 4409 | the workshop already has `--max-connections-per-workshop` connections |
| 4429 | more document messages and awareness queries than `--max-updates-per-sec` allows |
| 4430 | the client's address already has `--max-connections-per-address` connections |
| 4503 | the server already has `--max-connections` connections |
| 4507 | the server has `--max-loaded-workshops` workshops loaded, every one in use |";

/// `GET /ws/{id}`: upgrades, then serves the y-sync protocol for the workshop.
///
/// The token comes as `?token=...` (y-websocket's `params` option) or as a bearer header. A
/// bad id, a missing or refused token and an unknown workshop are all reported with a close
/// code after the upgrade, because browsers cannot read the HTTP status of a refused upgrade.
/// A request that is no WebSocket upgrade is answered 400 ([`HandshakeError`]).
#[utoipa::path(
    get,
    path = "/ws/{id}",
    operation_id = "sync",
    tag = TAG_SYNC,
    summary = "The live workshop document: y-sync over a WebSocket",
    description = PROTOCOL,
    params(
        ("id" = String, Path, description = "The workshop's id: anything but a UUID is closed \
            with 4400 after the upgrade."),
        ("Connection" = String, Header, description = "Includes `upgrade`."),
        ("Upgrade" = String, Header, description = "`websocket`."),
        ("Sec-WebSocket-Key" = String, Header, description = "The client's nonce (RFC 6455)."),
        ("Sec-WebSocket-Version" = String, Header, description = "`13`."),
    ),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket: y-sync messages follow, \
            until one side closes with one of the codes listed above.",
            headers(
                ("Upgrade" = String, description = "`websocket`."),
                ("Connection" = String, description = "`upgrade`."),
                ("Sec-WebSocket-Accept" = String, description = "The answer to the client's \
                    key (RFC 6455)."),
            )),
        (status = 400, response = BadRequest),
        (status = 500, response = Internal),
    )
)]
pub async fn upgrade(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
    ClientAddress(address): ClientAddress,
    handshake: Handshake,
) -> Response {
    let raw_id = id.map(|Path(raw)| raw).unwrap_or_default();
    let config = socket::config(state.settings.max_frame_bytes);
    let request = Request {
        raw_id,
        presented,
        address,
    };
    handshake.accept(config, move |upgrading| {
        serve(Box::pin(open(upgrading, request, state)))
    })
}

/// What an upgrade request asked for, kept until the connection is admitted.
struct Request {
    raw_id: String,
    presented: Presented,
    /// The client's address, for the per-address limits.
    address: IpAddr,
}

/// The task of one connection: opens it, then serves it until either side ends it.
///
/// The task lives as long as the connection, and its size is a good part of what an idle
/// connection costs. Opening, which needs the request and the whole `AppState`, runs in its
/// own boxed future, freed once the connection is open; the task keeps only the
/// [`Connection`].
async fn serve(opening: Pin<Box<impl Future<Output = Option<Connection>> + Send>>) {
    let Some(mut connection) = opening.await else {
        return;
    };
    let span = connection.span.clone();
    connection.run().instrument(span).await;
}

/// An open connection: its socket, and what it was admitted with.
struct Connection {
    sink: SocketSink,
    stream: SocketStream,
    admitted: Admitted,
    /// The connection's tracing span (its workshop and connection id).
    span: Span,
    /// Shutdown waits for the connection to end.
    _task: TaskTrackerToken,
}

/// Waits for the upgrade and admits the connection; refuses it (and returns `None`) if it
/// may not join.
async fn open(upgrading: Upgrading, request: Request, state: AppState) -> Option<Connection> {
    let Request {
        raw_id,
        presented,
        address,
    } = request;
    let socket = upgrading.socket().await?;
    // From the upgrade on, as when axum's upgrade callback was tracked.
    let task = state.tasks.token();
    let conn = state.next_conn_id();
    let shown_id: String = raw_id.chars().take(64).collect();
    let span = tracing::info_span!("ws", workshop = %shown_id, conn);
    let (mut sink, mut stream) = socket.split();
    let admitted = admit::admit(&raw_id, &presented, address, &state, conn)
        .instrument(span.clone())
        .await;
    match admitted {
        Ok(admitted) => Some(Connection {
            sink,
            stream,
            admitted,
            span,
            _task: task,
        }),
        Err((code, reason)) => {
            reject(&mut sink, &mut stream, code, &reason)
                .instrument(span)
                .await;
            None
        }
    }
}

impl Connection {
    /// Runs the connection until either side ends it.
    async fn run(&mut self) {
        let _open = crate::metrics::connection_opened();
        let Connection {
            sink,
            stream,
            admitted,
            ..
        } = self;
        let admitted = &*admitted;
        let (room, conn) = (&admitted.room, admitted.conn);
        let (outbox, inbox) = outbox(OUTBOX_CAPACITY);
        let backlog = Backlog::new(admitted.max_pending_bytes);
        room.join(conn, Peer::new(outbox.clone(), backlog.clone()));

        let reader = async {
            let close = reader::read_frames(stream, admitted).await;
            room.leave(conn);
            if let Some((code, reason)) = close {
                tracing::info!(code, %reason, "closing connection");
                if let Some(refusal) = refusal_for(code) {
                    crate::metrics::refused(refusal);
                }
                // Boxed, as rare as it is, like the writes in `socket`.
                let closing = Box::pin(outbox.send_async(Outgoing::Close { code, reason }));
                let _ = timeout(SEND_TIMEOUT, closing).await;
            }
            // Dropping the last sender (the room dropped its copy in `leave`) ends the writer.
            drop(outbox);
        };
        let writer = writer::Writer {
            admitted,
            backlog: &backlog,
        }
        .run(sink, inbox);
        tokio::join!(reader, writer);
        // Read on until the client's close frame (or the end), so the close handshake
        // completes and tungstenite gets to send its automatic reply if the client closed
        // first.
        let _ = timeout(CLOSE_GRACE, async {
            while let Some(Ok(_)) = stream.next().await {}
        })
        .await;
        tracing::info!("disconnected");
    }
}

/// The close code and reason for a failed frame.
fn close_for(error: &RoomError) -> (u16, String) {
    match error {
        RoomError::Sync(error) => (close_code::INVALID, error.to_string()),
        RoomError::Store(error) => {
            tracing::error!(%error, "storage failed while handling a frame");
            (close_code::ERROR, "storage failure".into())
        }
        RoomError::NotFound | RoomError::Unloaded => {
            (close_code::ERROR, "workshop is not available".into())
        }
        RoomError::Presence(_) => (close_code::POLICY, error.to_string()),
        RoomError::Poisoned | RoomError::Heard(_) => (close_code::ERROR, error.to_string()),
    }
}

/// The `workshop_refused_writes_total` reason of a close the client's input caused, if any.
fn refusal_for(code: u16) -> Option<&'static str> {
    match code {
        close_code::INVALID | close_code::UNSUPPORTED | close_code::PROTOCOL => Some("malformed"),
        close_code::SIZE => Some("size"),
        CLOSE_RATE_LIMITED => Some("rate_limit"),
        close_code::POLICY => Some("presence"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
