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
//! | 4404 | no workshop has this id                                      |
//! | 1001 | server shutting down, or the connection was silent too long  |
//! | 1002 | the WebSocket framing itself was broken                      |
//! | 1003 | a text frame arrived                                         |
//! | 1007 | a frame held a malformed or unsupported y-sync message       |
//! | 1009 | a message larger than `--max-frame-bytes`                    |
//! | 1011 | storage failed                                               |
//! | 1013 | the client could not keep up with its outbox                 |

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

use crate::http::handlers::parse_workshop_id;
use crate::http::ApiError;
use crate::rooms::{ConnId, Lease, Outgoing, Peer, RoomError};
use crate::state::AppState;
use crate::sync;

/// Close code for a `{id}` that is not a UUID.
pub const CLOSE_MALFORMED_ID: u16 = 4400;
/// Close code for a well-formed id that names no workshop.
pub const CLOSE_UNKNOWN_WORKSHOP: u16 = 4404;
/// Frames queued for one connection before it is considered too slow and cut off.
pub const OUTBOX_CAPACITY: usize = 1024;
/// How often the server pings and sends an empty awareness message to each client.
///
/// Browsers answer pings without telling the page, and the y-websocket client reconnects
/// after 30 s without a *message*, so a lone client also gets a no-op awareness message.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// A connection that sends nothing (not even a pong) for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A single frame that takes longer than this to write means the client is stuck.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the client's close frame after ours.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// At most this many frames that arrived together are handled as one batch.
pub const MAX_BATCH_FRAMES: usize = 64;
/// The WebSocket protocol's limit on a close reason, in bytes.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// `GET /ws/{id}`: upgrades, then serves the y-sync protocol for the workshop.
///
/// Query parameters (y-websocket may add `?token=...`) are ignored. A bad or unknown id is
/// reported with a close code after the upgrade, because browsers cannot read the HTTP
/// status of a refused upgrade.
pub async fn upgrade(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return ApiError::BadRequest(rejection.body_text()).into_response(),
    };
    let raw_id = id.map(|Path(raw)| raw).unwrap_or_default();
    let max = state.settings.max_frame_bytes;
    let tasks = state.tasks.clone();
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| tasks.track_future(serve(socket, raw_id, state)))
}

async fn serve(socket: WebSocket, raw_id: String, state: AppState) {
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
        connection(socket, room, conn, &state).await;
        tracing::info!("disconnected");
    }
    .instrument(span)
    .await;
}

/// Runs one accepted connection until either side ends it.
async fn connection(socket: WebSocket, room: Lease, conn: ConnId, state: &AppState) {
    let (sink, mut stream) = socket.split();
    let (outbox, inbox) = mpsc::channel(OUTBOX_CAPACITY);
    let too_slow = CancellationToken::new();
    let writer_done = CancellationToken::new();
    room.join(
        conn,
        Peer {
            outbox: outbox.clone(),
            too_slow: too_slow.clone(),
        },
    );

    let reader = async {
        let close = read_frames(&mut stream, &room, conn, state, &too_slow, &writer_done).await;
        room.leave(conn);
        if let Some((code, reason)) = close {
            tracing::info!(code, %reason, "closing connection");
            let _ = timeout(SEND_TIMEOUT, outbox.send(Outgoing::Close { code, reason })).await;
        }
        // Dropping the last sender (the room dropped its copy in `leave`) ends the writer.
        drop(outbox);
    };
    let writer = write_frames(sink, inbox, &too_slow, &state.shutdown, &writer_done);
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
    too_slow: &CancellationToken,
    writer_done: &CancellationToken,
) -> Option<(u16, String)> {
    // A frame read while gathering a batch that is not part of it, handled next.
    let mut carried = None;
    loop {
        let next = match carried.take() {
            Some(next) => Ok(next),
            None => tokio::select! {
                // In these three cases the writer sends whatever close is due.
                () = state.shutdown.cancelled() => return None,
                () = too_slow.cancelled() => return None,
                () = writer_done.cancelled() => return None,
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
                if let Err(error) = room.receive(conn, &frames).await {
                    return Some(close_for(&error));
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

/// Drains the outbox into the socket, adds keepalives, and sends the close frame when the
/// server shuts down or the peer falls behind. Returns the sink once done.
async fn write_frames(
    mut sink: SplitSink<WebSocket, Message>,
    mut inbox: mpsc::Receiver<Outgoing>,
    too_slow: &CancellationToken,
    shutdown: &CancellationToken,
    done: &CancellationToken,
) -> SplitSink<WebSocket, Message> {
    let _done = done.clone().drop_guard();
    let mut keepalive =
        tokio::time::interval_at(Instant::now() + KEEPALIVE_INTERVAL, KEEPALIVE_INTERVAL);
    loop {
        let message = tokio::select! {
            biased;
            () = shutdown.cancelled() => close_message(close_code::AWAY, "server shutting down"),
            () = too_slow.cancelled() => close_message(close_code::AGAIN, "too far behind; reconnect"),
            next = inbox.recv() => match next {
                Some(Outgoing::Frame(frame)) => Message::Binary(frame),
                Some(Outgoing::Close { code, reason }) => close_message(code, &reason),
                None => break,
            },
            _ = keepalive.tick() => {
                if !send(&mut sink, Message::Ping(Default::default())).await {
                    break;
                }
                Message::Binary(sync::keepalive_message().into())
            }
        };
        let closing = matches!(message, Message::Close(_));
        if !send(&mut sink, message).await || closing {
            break;
        }
    }
    sink
}

async fn send(sink: &mut SplitSink<WebSocket, Message>, message: Message) -> bool {
    matches!(timeout(SEND_TIMEOUT, sink.send(message)).await, Ok(Ok(())))
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

    async fn connect(server: &Server, id: &str) -> Client {
        let url = format!("ws://{}/ws/{id}?token=ignored", server.addr);
        tokio_tungstenite::connect_async(url).await.unwrap().0
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
}
