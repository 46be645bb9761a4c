//! The WebSocket endpoint `GET /ws/{id}`: upgrade, then one task per connection that reads
//! frames into the room and a writer that drains the connection's bounded outbox.
//!
//! Only this module knows axum's WebSocket types. Every y-sync message goes out in its own
//! binary frame, because the y-websocket client reads exactly one message per frame.
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
//! | 1009 | a message larger than `--max-frame-bytes`                    |
//! | 1011 | storage failed                                               |
//! | 1013 | the client stayed too far behind for `--slow-client-timeout-secs` |
//! | 4409 | the workshop has `--max-connections-per-workshop` connections |
//! | 4429 | more document messages than `--max-updates-per-sec` allows   |
//! | 4503 | the server has `--max-connections` connections               |
//!
//! A client that cannot take frames as fast as its room produces them is not dropped: when
//! its queue is full or holds `--max-pending-bytes`, the room stops relaying to it; once its
//! writer has written what was queued, the room resyncs it ([`Room::resync`]) and relays to
//! it again. Only a client that stays behind (or cannot take one frame) for the slow-client
//! timeout is closed, with 1013.
//!
//! [`Room::resync`]: crate::rooms::Room::resync

use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use workshop_shared::access::Capability;

use crate::auth::{self, AuthError, Denied, Need, Presented, Registration};
use crate::http::handlers::parse_workshop_id;
use crate::http::ApiError;
use crate::limits::{TokenBucket, CLOSE_RATE_LIMITED};
use crate::rooms::{Backlog, ConnId, Lease, Outgoing, Peer, RoomError};
use crate::state::AppState;
use crate::sync;

/// Bytes read from a socket at a time (tungstenite's default is 128 KiB per connection).
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Bytes gathered before a write reaches the socket; the writer flushes every batch anyway.
const WRITE_BUFFER_BYTES: usize = 8 * 1024;
/// Most frames a writer hands to its socket before it flushes, when more keep arriving.
const MAX_UNFLUSHED_FRAMES: usize = 32;

/// Close code for a `{id}` that is not a UUID.
pub const CLOSE_MALFORMED_ID: u16 = 4400;
/// Close code for a well-formed id that names no workshop.
pub const CLOSE_UNKNOWN_WORKSHOP: u16 = 4404;
/// Close code for a join that presents no token.
pub const CLOSE_TOKEN_REQUIRED: u16 = 4401;
/// Close code for a token that grants nothing on this workshop, or was revoked.
pub const CLOSE_FORBIDDEN: u16 = 4403;
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

/// `GET /ws/{id}`: upgrades, then serves the y-sync protocol for the workshop.
///
/// The token comes as `?token=...` (y-websocket's `params` option) or as a bearer header. A
/// bad id, a missing or refused token and an unknown workshop are all reported with a close
/// code after the upgrade, because browsers cannot read the HTTP status of a refused upgrade.
pub async fn upgrade(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return ApiError::BadRequest(rejection.body_text()).into_response(),
    };
    let raw_id = id.map(|Path(raw)| raw).unwrap_or_default();
    let max = state.settings.max_frame_bytes;
    let tasks = state.tasks.clone();
    // tungstenite's default 128 KiB read buffer, allocated for every connection, would be
    // most of an idle connection's memory; y-sync messages are small, and a large one is
    // read in several steps.
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .on_upgrade(move |socket| tasks.track_future(serve(socket, raw_id, presented, state)))
}

/// What a connection may do, and its registration under its token (revoking the token
/// cancels it).
struct ConnAccess {
    capability: Capability,
    registration: Registration,
}

async fn serve(socket: WebSocket, raw_id: String, presented: Presented, state: AppState) {
    let conn = state.next_conn_id();
    let shown_id: String = raw_id.chars().take(64).collect();
    let span = tracing::info_span!("ws", workshop = %shown_id, conn);
    async move {
        // An upgrade that completes after shutdown began must not load a room again.
        if state.shutdown.is_cancelled() {
            return reject(socket, close_code::AWAY, "server shutting down").await;
        }
        let Some(id) = parse_workshop_id(&raw_id) else {
            tracing::info!("refused: malformed workshop id");
            return reject(socket, CLOSE_MALFORMED_ID, "malformed workshop id").await;
        };
        // Before anything is counted or loaded: a stranger costs nothing.
        let grant = match auth::grant(&state, &presented, id, Need::Read).await {
            Ok(grant) => grant,
            Err(AuthError::Denied(denied)) => {
                tracing::info!(%denied, "refused: token");
                let (code, reason) = match denied {
                    Denied::Missing => (CLOSE_TOKEN_REQUIRED, "token required"),
                    Denied::Revoked => (CLOSE_FORBIDDEN, "token revoked"),
                    Denied::Forbidden | Denied::Insufficient => (CLOSE_FORBIDDEN, "forbidden"),
                };
                return reject(socket, code, reason).await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot check the token");
                return reject(socket, close_code::ERROR, "cannot check the token").await;
            }
        };
        let access = ConnAccess {
            capability: grant.capability(),
            registration: state.live.register(&grant.token_id, conn),
        };
        // Counted before the room is loaded, so refused connections cost no load. The place
        // is held until this function returns, that is until the connection has ended.
        let _admission = match state.connections.admit(id) {
            Ok(admission) => admission,
            Err(refused) => {
                tracing::info!(%refused, "refused: connection limit");
                return reject(socket, refused.close_code(), &refused.to_string()).await;
            }
        };
        let room = match state.rooms.lease(id).await {
            Ok(room) => room,
            Err(RoomError::NotFound) => {
                tracing::info!("refused: unknown workshop");
                return reject(socket, CLOSE_UNKNOWN_WORKSHOP, "unknown workshop").await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot load workshop");
                return reject(socket, close_code::ERROR, "cannot load workshop").await;
            }
        };
        tracing::info!("connected");
        tracing::info!(token = %grant.token_id, role = grant.role.as_str(), "joined");
        connection(socket, room, conn, &state, &access).await;
        tracing::info!("disconnected");
    }
    .instrument(span)
    .await;
}

/// Runs one accepted connection until either side ends it.
async fn connection(
    socket: WebSocket,
    room: Lease,
    conn: ConnId,
    state: &AppState,
    access: &ConnAccess,
) {
    let _open = crate::metrics::connection_opened();
    let (sink, mut stream) = socket.split();
    let (outbox, inbox) = mpsc::channel(OUTBOX_CAPACITY);
    let backlog = Backlog::new(state.settings.limits.max_pending_bytes);
    let writer_done = CancellationToken::new();
    room.join(conn, Peer::new(outbox.clone(), backlog.clone()));

    let reader = async {
        let close = read_frames(&mut stream, &room, conn, state, access, &writer_done).await;
        room.leave(conn);
        if let Some((code, reason)) = close {
            tracing::info!(code, %reason, "closing connection");
            if let Some(refusal) = refusal_for(code) {
                crate::metrics::refused(refusal);
            }
            let _ = timeout(SEND_TIMEOUT, outbox.send(Outgoing::Close { code, reason })).await;
        }
        // Dropping the last sender (the room dropped its copy in `leave`) ends the writer.
        drop(outbox);
    };
    let writer = Writer {
        room: &room,
        conn,
        backlog: &backlog,
        slow_client_timeout: state.settings.limits.slow_client_timeout,
        shutdown: &state.shutdown,
        done: &writer_done,
    }
    .run(sink, inbox);
    let ((), sink) = tokio::join!(reader, writer);
    // Read on until the client's close frame (or the end), so the close handshake completes
    // and tungstenite gets to send its automatic reply if the client closed first.
    let _ = timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    drop(sink);
}

/// Reads frames into the room. Returns the close frame to send, if the server is the one
/// ending the connection for a reason the client should hear.
async fn read_frames(
    stream: &mut SplitStream<WebSocket>,
    room: &Lease,
    conn: ConnId,
    state: &AppState,
    access: &ConnAccess,
    writer_done: &CancellationToken,
) -> Option<(u16, String)> {
    // A frame read while gathering a batch that is not part of it, handled next.
    let mut carried = None;
    let limit = state.settings.limits.updates;
    let mut rate = TokenBucket::new(limit, Instant::now().into_std());
    loop {
        let next = match carried.take() {
            Some(next) => Ok(next),
            None => tokio::select! {
                // In these two cases the writer sends whatever close is due.
                () = state.shutdown.cancelled() => return None,
                () = writer_done.cancelled() => return None,
                () = access.registration.revoked().cancelled() => {
                    return Some((CLOSE_FORBIDDEN, "token revoked".into()));
                }
                next = timeout(IDLE_TIMEOUT, stream.next()) => next,
            },
        };
        let message = match next {
            Err(_) => return Some((close_code::AWAY, "connection idle".into())),
            Ok(None) => return None,
            Ok(Some(Err(error))) => {
                tracing::debug!(%error, "cannot read frame");
                return Some(if is_too_large(&error) {
                    (close_code::SIZE, "message too large".into())
                } else {
                    (close_code::PROTOCOL, "broken WebSocket framing".into())
                });
            }
            Ok(Some(Ok(message))) => message,
        };
        match message {
            Message::Binary(frame) => {
                // Frames that have already arrived go in with this one: under a burst they
                // share one lock and one flush instead of waiting for a flush each.
                let mut frames = vec![frame];
                while frames.len() < MAX_BATCH_FRAMES {
                    match stream.next().now_or_never() {
                        Some(Some(Ok(Message::Binary(frame)))) => frames.push(frame),
                        Some(other) => {
                            carried = Some(other);
                            break;
                        }
                        None => break,
                    }
                }
                // axum enforces the limit already; this keeps it true whatever the config.
                let max = state.settings.max_frame_bytes;
                if frames.iter().any(|frame| frame.len() > max) {
                    return Some((close_code::SIZE, format!("message exceeds {max} bytes")));
                }
                // Each document message takes a token; the frames before the first that
                // finds none still take effect, as they would before a malformed one.
                let now = Instant::now().into_std();
                let allowed = frames
                    .iter()
                    .take_while(|frame| rate.take(sync::count_document_messages(frame), now))
                    .count();
                if allowed > 0 {
                    if let Err(error) = room
                        .receive(conn, &access.capability, &frames[..allowed])
                        .await
                    {
                        return Some(close_for(&error));
                    }
                }
                if allowed < frames.len() {
                    tracing::info!(per_sec = limit.per_sec, burst = limit.burst, "rate limited");
                    return Some((
                        CLOSE_RATE_LIMITED,
                        format!(
                            "rate limit exceeded: at most {} updates per second",
                            limit.per_sec
                        ),
                    ));
                }
            }
            Message::Text(_) => {
                return Some((
                    close_code::UNSUPPORTED,
                    "text frames are not supported; send binary y-sync messages".into(),
                ))
            }
            Message::Ping(_) | Message::Pong(_) => {}
            Message::Close(_) => return None,
        }
    }
}

/// A connection's writer task: drains the outbox into the socket, adds keepalives, and
/// brings the peer back into the relay after it was cut.
struct Writer<'a> {
    room: &'a Lease,
    conn: ConnId,
    backlog: &'a Backlog,
    slow_client_timeout: Duration,
    shutdown: &'a CancellationToken,
    done: &'a CancellationToken,
}

impl Writer<'_> {
    /// Writes until the outbox closes, a close frame is sent, or the client is stuck.
    /// Returns the sink once done.
    async fn run(
        self,
        mut sink: SplitSink<WebSocket, Message>,
        mut inbox: mpsc::Receiver<Outgoing>,
    ) -> SplitSink<WebSocket, Message> {
        let _done = self.done.clone().drop_guard();
        let mut keepalive =
            tokio::time::interval_at(Instant::now() + KEEPALIVE_INTERVAL, KEEPALIVE_INTERVAL);
        // When the peer was cut from the relay, while it still is.
        let mut cut_since: Option<Instant> = None;
        // Frames handed to the socket since its last flush.
        let mut unflushed = 0;
        loop {
            // The message to write, and how many of its bytes the backlog counts as queued.
            let (message, queued) = tokio::select! {
                biased;
                () = self.shutdown.cancelled() => {
                    (Some(close_message(close_code::AWAY, "server shutting down")), 0)
                }
                next = inbox.recv() => match next {
                    Some(Outgoing::Frame(frame)) => {
                        let queued = frame.len();
                        (Some(Message::Binary(frame)), queued)
                    }
                    Some(Outgoing::Close { code, reason }) => {
                        (Some(close_message(code, &reason)), 0)
                    }
                    None => break,
                },
                // Cut while the queue was already empty: nothing else would wake us.
                () = self.backlog.cut_off() => (None, 0),
                _ = keepalive.tick() => {
                    let ping = Message::Ping(Default::default());
                    if !send(&mut sink, ping, self.slow_client_timeout).await {
                        break;
                    }
                    (Some(Message::Binary(sync::keepalive_message().into())), 0)
                }
            };
            if let Some(message) = message {
                let closing = matches!(message, Message::Close(_));
                // Frames already waiting go out with this one in as few writes as possible:
                // the socket is flushed once the queue is empty (or every few frames).
                let more = !closing && !inbox.is_empty() && unflushed < MAX_UNFLUSHED_FRAMES;
                let written = if more {
                    unflushed += 1;
                    feed(&mut sink, message, self.slow_client_timeout).await
                } else {
                    unflushed = 0;
                    send(&mut sink, message, self.slow_client_timeout).await
                };
                if !written {
                    if !closing {
                        tracing::info!("closing: could not write a frame in time");
                        self.too_far_behind(&mut sink).await;
                    }
                    break;
                }
                if closing {
                    break;
                }
                self.backlog.written(queued);
            }
            if !self.backlog.is_cut() {
                continue;
            }
            let since = *cut_since.get_or_insert_with(Instant::now);
            let left = self.slow_client_timeout.saturating_sub(since.elapsed());
            if left.is_zero() {
                tracing::info!("closing: too far behind for too long");
                self.too_far_behind(&mut sink).await;
                break;
            }
            if !inbox.is_empty() {
                continue;
            }
            // Caught up with everything queued before the cut: resync and rejoin.
            match timeout(left, self.room.resync(self.conn)).await {
                Ok(Ok(())) => cut_since = None,
                Ok(Err(error)) => {
                    let (code, reason) = close_for(&error);
                    let _ = send(&mut sink, close_message(code, &reason), CLOSE_GRACE).await;
                    break;
                }
                Err(_) => {
                    tracing::info!("closing: resync did not finish in time");
                    self.too_far_behind(&mut sink).await;
                    break;
                }
            }
        }
        sink
    }

    /// Tries to tell a stuck client why it is closed; it may well not read it.
    async fn too_far_behind(&self, sink: &mut SplitSink<WebSocket, Message>) {
        let close = close_message(close_code::AGAIN, "too far behind; reconnect");
        let _ = send(sink, close, CLOSE_GRACE).await;
    }
}

/// Writes `message` and flushes the socket, within `within`.
async fn send(
    sink: &mut SplitSink<WebSocket, Message>,
    message: Message,
    within: Duration,
) -> bool {
    matches!(timeout(within, sink.send(message)).await, Ok(Ok(())))
}

/// Hands `message` to the socket's write buffer without flushing it (it is written once the
/// buffer fills or at the next flush), within `within`.
async fn feed(
    sink: &mut SplitSink<WebSocket, Message>,
    message: Message,
    within: Duration,
) -> bool {
    matches!(timeout(within, sink.feed(message)).await, Ok(Ok(())))
}

/// Closes a connection that never joined a room.
async fn reject(mut socket: WebSocket, code: u16, reason: &str) {
    if matches!(
        timeout(SEND_TIMEOUT, socket.send(close_message(code, reason))).await,
        Ok(Ok(()))
    ) {
        let _ = timeout(CLOSE_GRACE, async {
            while let Some(Ok(_)) = socket.recv().await {}
        })
        .await;
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
    }
}

/// The `workshop_refused_writes_total` reason of a close the client's input caused, if any.
fn refusal_for(code: u16) -> Option<&'static str> {
    match code {
        close_code::INVALID | close_code::UNSUPPORTED | close_code::PROTOCOL => Some("malformed"),
        close_code::SIZE => Some("size"),
        CLOSE_RATE_LIMITED => Some("rate_limit"),
        _ => None,
    }
}

/// Whether a read error is tungstenite refusing an oversized message or frame.
///
/// axum wraps tungstenite's error without re-exporting its type, so the check goes by its
/// message ("Space limit exceeded: ..."); the size test in this module's tests guards it.
fn is_too_large(error: &axum::Error) -> bool {
    error.to_string().starts_with("Space limit exceeded")
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: truncate_reason(reason).into(),
    }))
}

/// Cuts a close reason to the protocol's 123 bytes without splitting a character.
pub fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON_BYTES {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::SocketAddr;

    use futures_util::{SinkExt, StreamExt};
    use tokio::net::TcpStream;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
    use uuid::Uuid;
    use yrs::sync::{Awareness, Message as SyncMsg, SyncMessage};
    use yrs::updates::decoder::Decode;
    use yrs::updates::encoder::Encode;
    use yrs::{Doc, GetString, Map, ReadTxn, Text, Transact, Update};

    use super::*;
    use crate::auth::{Role, TokenKind};
    use crate::clock::Clock;
    use crate::state::Settings;
    use crate::store::Store;

    type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

    /// Generous bound so a broken server fails the test instead of hanging it.
    const WAIT: Duration = Duration::from_secs(10);

    struct Server {
        addr: SocketAddr,
        state: AppState,
        task: tokio::task::JoinHandle<Result<(), crate::ServerError>>,
    }

    async fn start(settings: Settings) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(Store::temporary().unwrap(), Clock::system(), settings);
        let task = tokio::spawn(crate::serve(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        Server { addr, state, task }
    }

    async fn workshop(server: &Server) -> Uuid {
        server
            .state
            .rooms()
            .create("Autumn".into(), "Northshire".into())
            .await
            .unwrap()
    }

    /// Connects with a fresh facilitator token of `id` (none if `id` is not a UUID).
    async fn connect(server: &Server, id: &str) -> Client {
        let token = match id.parse() {
            Ok(id) => Some(mint(server, id, Role::Facilitator).await.0),
            Err(_) => None,
        };
        connect_with(server, id, token.as_deref()).await
    }

    async fn connect_with(server: &Server, id: &str, token: Option<&str>) -> Client {
        let query = token
            .map(|token| format!("?token={token}"))
            .unwrap_or_default();
        let url = format!("ws://{}/ws/{id}{query}", server.addr);
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }

    /// Mints an invite token of `role`; returns its secret and public id.
    async fn mint(server: &Server, id: Uuid, role: Role) -> (String, String) {
        let (token, record) = crate::auth::mint(&server.state, id, role, TokenKind::Invite, None)
            .await
            .unwrap();
        (token.into_string(), record.id)
    }

    /// The next binary frame, skipping control frames.
    async fn next_binary(client: &mut Client) -> Vec<u8> {
        loop {
            match timeout(WAIT, client.next()).await.unwrap() {
                Some(Ok(WsMessage::Binary(bytes))) => return bytes.to_vec(),
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                other => panic!("expected a binary frame, got {other:?}"),
            }
        }
    }

    /// Reads until the server's close frame and returns its code and reason.
    async fn closed_with(client: &mut Client) -> (u16, String) {
        loop {
            match timeout(WAIT, client.next()).await.unwrap() {
                Some(Ok(WsMessage::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string())
                }
                Some(Ok(WsMessage::Close(None))) | None => panic!("closed without a code"),
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("read failed before the close frame: {error}"),
            }
        }
    }

    fn decode(frame: &[u8]) -> SyncMsg {
        SyncMsg::decode_v1(frame).unwrap()
    }

    /// Joins: checks the greeting, then syncs `doc` from the server.
    async fn join(client: &mut Client, doc: &Doc) {
        let first = decode(&next_binary(client).await);
        assert!(matches!(first, SyncMsg::Sync(SyncMessage::SyncStep1(_))));
        let step1 = SyncMsg::Sync(SyncMessage::SyncStep1(doc.transact().state_vector()));
        client
            .send(WsMessage::Binary(step1.encode_v1().into()))
            .await
            .unwrap();
        loop {
            if let SyncMsg::Sync(SyncMessage::SyncStep2(diff)) = decode(&next_binary(client).await)
            {
                doc.transact_mut()
                    .apply_update(Update::decode_v1(&diff).unwrap())
                    .unwrap();
                return;
            }
        }
    }

    /// Waits for a sync update equal to `expected`, skipping anything else.
    async fn wait_for_update(client: &mut Client, expected: &[u8]) {
        loop {
            if let SyncMsg::Sync(SyncMessage::Update(update)) = decode(&next_binary(client).await) {
                if update == expected {
                    return;
                }
            }
        }
    }

    fn scratch_update(doc: &Doc, text: &str) -> Vec<u8> {
        let scratch = doc.get_or_insert_text("scratch");
        let mut txn = doc.transact_mut();
        scratch.push(&mut txn, text);
        txn.encode_update_v1()
    }

    async fn send_update(client: &mut Client, update: &[u8]) {
        let frame = SyncMsg::Sync(SyncMessage::Update(update.to_vec())).encode_v1();
        client.send(WsMessage::Binary(frame.into())).await.unwrap();
    }

    #[tokio::test]
    async fn bad_and_unknown_ids_are_closed_with_4400_and_4404() {
        let server = start(Settings::default()).await;
        let mut client = connect(&server, "not-a-uuid").await;
        assert_eq!(
            closed_with(&mut client).await,
            (4400, "malformed workshop id".into())
        );
        let mut client = connect(&server, &Uuid::new_v4().to_string()).await;
        assert_eq!(
            closed_with(&mut client).await,
            (4404, "unknown workshop".into())
        );
    }

    #[tokio::test]
    async fn joins_need_a_token_of_the_workshop_and_revoking_closes_them() {
        let server = start(Settings::default()).await;
        let id = workshop(&server).await;
        let other = workshop(&server).await;
        let raw = id.to_string();
        let mut anonymous = connect_with(&server, &raw, None).await;
        assert_eq!(
            closed_with(&mut anonymous).await,
            (4401, "token required".into())
        );
        let (others, _) = mint(&server, other, Role::Facilitator).await;
        let mut stranger = connect_with(&server, &raw, Some(&others)).await;
        assert_eq!(closed_with(&mut stranger).await, (4403, "forbidden".into()));

        let (viewer, viewer_id) = mint(&server, id, Role::Viewer).await;
        let mut watcher = connect_with(&server, &raw, Some(&viewer)).await;
        let doc = Doc::new();
        join(&mut watcher, &doc).await;
        // A viewer's write is refused with the auth message; the connection stays open.
        let update = scratch_update(&doc, "not mine to write");
        send_update(&mut watcher, &update).await;
        loop {
            if let SyncMsg::Auth(reason) = decode(&next_binary(&mut watcher).await) {
                let reason = reason.unwrap();
                assert!(reason.contains("may only read"), "{reason}");
                break;
            }
        }
        let room = server.state.rooms().lease(id).await.unwrap();
        assert!(room.read(|txn| txn.get_text("scratch").is_none()));

        server
            .state
            .store
            .tokens()
            .unwrap()
            .revoke(id, &viewer_id)
            .unwrap();
        assert_eq!(server.state.live.revoke(&viewer_id), 1);
        assert_eq!(
            closed_with(&mut watcher).await,
            (4403, "token revoked".into())
        );
        let mut again = connect_with(&server, &raw, Some(&viewer)).await;
        assert_eq!(
            closed_with(&mut again).await,
            (4403, "token revoked".into())
        );
    }

    #[tokio::test]
    async fn clients_sync_the_template_and_see_each_others_updates() {
        let server = start(Settings::default()).await;
        let id = workshop(&server).await.to_string();
        let (alice_doc, bob_doc) = (Doc::new(), Doc::new());
        let mut alice = connect(&server, &id).await;
        join(&mut alice, &alice_doc).await;
        let mut bob = connect(&server, &id).await;
        join(&mut bob, &bob_doc).await;

        let meta = bob_doc.get_or_insert_map("meta");
        let title = meta.get(&bob_doc.transact(), "title");
        assert_eq!(title, Some(yrs::Out::Any(yrs::Any::from("Autumn"))));

        let update = scratch_update(&alice_doc, "hi bob");
        send_update(&mut alice, &update).await;
        wait_for_update(&mut bob, &update).await;
        bob_doc
            .transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        let scratch = bob_doc.get_or_insert_text("scratch");
        assert_eq!(scratch.get_string(&bob_doc.transact()), "hi bob");
    }

    #[tokio::test]
    async fn a_garbage_frame_closes_only_that_connection_with_1007() {
        let server = start(Settings::default()).await;
        let id = workshop(&server).await.to_string();
        let mut mallory = connect(&server, &id).await;
        let (alice_doc, bob_doc) = (Doc::new(), Doc::new());
        let mut alice = connect(&server, &id).await;
        join(&mut alice, &alice_doc).await;
        let mut bob = connect(&server, &id).await;
        join(&mut bob, &bob_doc).await;

        mallory
            .send(WsMessage::Binary(b"\x00\x07garbage".to_vec().into()))
            .await
            .unwrap();
        let (code, reason) = closed_with(&mut mallory).await;
        assert_eq!(code, 1007);
        assert!(reason.contains("unsupported sync message"), "{reason}");

        let update = scratch_update(&alice_doc, "still here");
        send_update(&mut alice, &update).await;
        wait_for_update(&mut bob, &update).await;
    }

    #[tokio::test]
    async fn text_frames_close_with_1003_and_oversized_ones_with_1009() {
        let server = start(Settings {
            max_frame_bytes: 4096,
            ..Settings::default()
        })
        .await;
        let id = workshop(&server).await.to_string();

        let mut texter = connect(&server, &id).await;
        texter.send(WsMessage::Text("hello".into())).await.unwrap();
        assert_eq!(closed_with(&mut texter).await.0, 1003);

        let mut big = connect(&server, &id).await;
        let doc = Doc::new();
        let update = scratch_update(&doc, &"x".repeat(8192));
        send_update(&mut big, &update).await;
        // Refused by tungstenite's limit, recognised by `is_too_large`.
        assert_eq!(
            closed_with(&mut big).await,
            (u16::from(CloseCode::Size), "message too large".into())
        );
        // Nothing of it reached the document.
        let room = server
            .state
            .rooms()
            .lease(id.parse().unwrap())
            .await
            .unwrap();
        assert!(room.read(|txn| txn.get_text("scratch").is_none()));
    }

    #[tokio::test]
    async fn leaving_removes_the_leavers_awareness_for_the_others() {
        let server = start(Settings::default()).await;
        let id = workshop(&server).await.to_string();
        let (alice_doc, bob_doc) = (Doc::new(), Doc::new());
        let mut alice = connect(&server, &id).await;
        join(&mut alice, &alice_doc).await;
        let mut bob = connect(&server, &id).await;
        join(&mut bob, &bob_doc).await;

        let mut presence = Awareness::new(alice_doc.clone());
        presence
            .set_local_state(serde_json::json!({"name": "alice"}))
            .unwrap();
        let alice_client = presence.client_id();
        let frame = SyncMsg::Awareness(presence.update().unwrap()).encode_v1();
        alice.send(WsMessage::Binary(frame.into())).await.unwrap();

        let mut seen = Vec::new();
        while seen.len() < 2 {
            if let SyncMsg::Awareness(update) = decode(&next_binary(&mut bob).await) {
                if let Some(entry) = update.clients.get(&alice_client) {
                    seen.push(entry.json.to_string());
                    if seen.len() == 1 {
                        alice.close(None).await.unwrap();
                    }
                }
            }
        }
        assert_eq!(seen, vec![r#"{"name":"alice"}"#.to_string(), "null".into()]);
    }

    #[tokio::test]
    async fn shutdown_closes_with_1001_and_keeps_every_change() {
        let server = start(Settings::default()).await;
        let id = workshop(&server).await;
        let (alice_doc, bob_doc) = (Doc::new(), Doc::new());
        let mut alice = connect(&server, &id.to_string()).await;
        join(&mut alice, &alice_doc).await;
        let mut bob = connect(&server, &id.to_string()).await;
        join(&mut bob, &bob_doc).await;
        let update = scratch_update(&alice_doc, "durable");
        send_update(&mut alice, &update).await;
        wait_for_update(&mut bob, &update).await;

        server.state.shutdown_token().cancel();
        assert_eq!(
            closed_with(&mut alice).await,
            (1001, "server shutting down".into())
        );
        assert_eq!(closed_with(&mut bob).await.0, 1001);
        timeout(WAIT, server.task).await.unwrap().unwrap().unwrap();

        // Everything is in the snapshot the shutdown wrote.
        let stored = server.state.store.load(id).unwrap().unwrap();
        assert!(stored.updates.is_empty());
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&stored.snapshot.unwrap()).unwrap())
            .unwrap();
        let scratch = doc.get_or_insert_text("scratch");
        assert_eq!(scratch.get_string(&doc.transact()), "durable");
    }

    /// A client whose socket takes (almost) nothing: a tiny receive buffer, never read.
    async fn connect_stuck(server: &Server, id: &str) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(server.addr).await.unwrap();
        let (token, _) = mint(server, id.parse().unwrap(), Role::Facilitator).await;
        let url = format!("ws://{}/ws/{id}?token={token}", server.addr);
        tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .unwrap()
            .0
    }

    #[tokio::test]
    async fn a_client_stuck_past_the_slow_client_timeout_is_closed_and_leaves() {
        let server = start(Settings {
            limits: crate::limits::Limits {
                slow_client_timeout: Duration::from_secs(1),
                max_pending_bytes: 64 * 1024,
                ..crate::limits::Limits::default()
            },
            ..Settings::default()
        })
        .await;
        let workshop = workshop(&server).await;
        let id = workshop.to_string();
        let _stuck = connect_stuck(&server, &id).await;
        let writer_doc = Doc::new();
        let mut writer = connect(&server, &id).await;
        join(&mut writer, &writer_doc).await;
        let room = server.state.rooms().lease(workshop).await.unwrap();
        assert_eq!(room.peer_count(), 2);

        // Far more than the kernel buffers between the server and the stuck client, in
        // binary chunks (a debug build is slow with long texts).
        let scratch = writer_doc.get_or_insert_map("scratch");
        for i in 0..40u8 {
            let update = {
                let mut txn = writer_doc.transact_mut();
                scratch.insert(&mut txn, i.to_string(), vec![i; 256 * 1024]);
                txn.encode_update_v1()
            };
            send_update(&mut writer, &update).await;
        }
        let left = async {
            while room.peer_count() > 1 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        timeout(Duration::from_secs(60), left)
            .await
            .expect("the stuck client was never closed");
        let released = async {
            while server.state.connections().in_workshop(workshop) > 1 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        timeout(WAIT, released).await.unwrap();
    }

    #[tokio::test]
    async fn connections_over_the_limits_are_refused_with_their_codes() {
        let server = start(Settings {
            limits: crate::limits::Limits {
                max_connections_per_workshop: 1,
                max_connections: 2,
                ..crate::limits::Limits::default()
            },
            ..Settings::default()
        })
        .await;
        let (a, b, c) = (
            workshop(&server).await.to_string(),
            workshop(&server).await.to_string(),
            workshop(&server).await.to_string(),
        );
        let mut first = connect(&server, &a).await;
        join(&mut first, &Doc::new()).await;
        let mut refused = connect(&server, &a).await;
        let (code, reason) = closed_with(&mut refused).await;
        assert_eq!(code, crate::limits::CLOSE_WORKSHOP_FULL);
        assert!(reason.contains("workshop"), "{reason}");
        let mut second = connect(&server, &b).await;
        join(&mut second, &Doc::new()).await;
        let mut refused = connect(&server, &c).await;
        assert_eq!(
            closed_with(&mut refused).await.0,
            crate::limits::CLOSE_SERVER_FULL
        );
        assert_eq!(server.state.connections().total(), 2);
    }

    #[tokio::test]
    async fn a_flood_is_closed_with_4429_after_the_burst() {
        let server = start(Settings {
            limits: crate::limits::Limits {
                updates: crate::limits::RateLimit {
                    per_sec: 1,
                    burst: 5,
                },
                ..crate::limits::Limits::default()
            },
            ..Settings::default()
        })
        .await;
        let id = workshop(&server).await.to_string();
        let doc = Doc::new();
        let mut flooder = connect(&server, &id).await;
        join(&mut flooder, &doc).await;
        // The join's sync step 1 took one token; awareness takes none.
        let keepalive = sync::keepalive_message();
        for _ in 0..20 {
            flooder
                .send(WsMessage::Binary(keepalive.clone().into()))
                .await
                .unwrap();
        }
        for i in 0..10 {
            // The server may close before every update is written.
            let frame = SyncMsg::Sync(SyncMessage::Update(scratch_update(&doc, &i.to_string())));
            if flooder
                .send(WsMessage::Binary(frame.encode_v1().into()))
                .await
                .is_err()
            {
                break;
            }
        }
        let (code, reason) = closed_with(&mut flooder).await;
        assert_eq!(code, crate::limits::CLOSE_RATE_LIMITED);
        assert!(reason.contains("rate limit"), "{reason}");
        // The four updates within the burst took effect, nothing after them.
        let room = server
            .state
            .rooms()
            .lease(id.parse().unwrap())
            .await
            .unwrap();
        let text = room.read(|txn| txn.get_text("scratch").map(|t| t.get_string(txn)));
        assert_eq!(text.as_deref(), Some("0123"));
    }
}
