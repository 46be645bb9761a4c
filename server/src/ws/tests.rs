//! The endpoint end to end: a real server on port 0, tokio-tungstenite clients.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
use crate::sync;

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
        if let SyncMsg::Sync(SyncMessage::SyncStep2(diff)) = decode(&next_binary(client).await) {
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
    assert!(room.peek(|txn| txn.get_text("scratch").is_none()));

    server.state.store.revoke_token(id, &viewer_id).unwrap();
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

/// Two joined clients of a workshop, who must not notice what happens to a third connection.
struct Bystanders {
    alice: Client,
    alice_doc: Doc,
    bob: Client,
}

impl Bystanders {
    /// Connects `mallory` (not joined) to a new workshop, then the two bystanders.
    async fn with_mallory(server: &Server) -> (Client, Bystanders) {
        let id = workshop(server).await.to_string();
        let mallory = connect(server, &id).await;
        let (alice_doc, bob_doc) = (Doc::new(), Doc::new());
        let mut alice = connect(server, &id).await;
        join(&mut alice, &alice_doc).await;
        let mut bob = connect(server, &id).await;
        join(&mut bob, &bob_doc).await;
        let bystanders = Bystanders {
            alice,
            alice_doc,
            bob,
        };
        (mallory, bystanders)
    }

    /// Checks that an update of Alice's still reaches Bob.
    async fn still_relay(&mut self) {
        let update = scratch_update(&self.alice_doc, "still here");
        send_update(&mut self.alice, &update).await;
        wait_for_update(&mut self.bob, &update).await;
    }
}

#[tokio::test]
async fn a_garbage_frame_closes_only_that_connection_with_1007() {
    let server = start(Settings::default()).await;
    let (mut mallory, mut bystanders) = Bystanders::with_mallory(&server).await;

    mallory
        .send(WsMessage::Binary(b"\x00\x07garbage".to_vec().into()))
        .await
        .unwrap();
    let (code, reason) = closed_with(&mut mallory).await;
    assert_eq!(code, 1007);
    assert!(reason.contains("unsupported sync message"), "{reason}");
    bystanders.still_relay().await;
}

#[tokio::test]
async fn too_many_presence_states_close_only_that_connection_with_1008() {
    let server = start(Settings::default()).await;
    let (mut mallory, mut bystanders) = Bystanders::with_mallory(&server).await;

    let clients = (1..=9)
        .map(|client| {
            let entry = yrs::sync::awareness::AwarenessUpdateEntry {
                clock: 1,
                json: r#"{"name":"nobody"}"#.into(),
            };
            (yrs::ClientID::new(client), entry)
        })
        .collect();
    let flood = SyncMsg::Awareness(yrs::sync::AwarenessUpdate { clients }).encode_v1();
    mallory.send(WsMessage::Binary(flood.into())).await.unwrap();
    let (code, reason) = closed_with(&mut mallory).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("at most 8"), "{reason}");
    assert!(crate::metrics::refused_count("presence") >= 1);
    bystanders.still_relay().await;
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
    assert!(room.peek(|txn| txn.get_text("scratch").is_none()));
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
    let text = room.peek(|txn| txn.get_text("scratch").map(|t| t.get_string(txn)));
    assert_eq!(text.as_deref(), Some("0123"));
}

#[tokio::test]
async fn messages_larger_than_a_fragment_arrive_whole() {
    let server = start(Settings::default()).await;
    let id = workshop(&server).await.to_string();
    let (alice_doc, bob_doc) = (Doc::new(), Doc::new());
    let mut alice = connect(&server, &id).await;
    join(&mut alice, &alice_doc).await;
    let mut bob = connect(&server, &id).await;
    join(&mut bob, &bob_doc).await;

    // A 100 KB note: relayed to bob as one update, then in a later joiner's sync step 2.
    let note = "n".repeat(100 * 1024);
    let update = scratch_update(&alice_doc, &note);
    assert!(update.len() > 20 * socket::FRAGMENT_BYTES);
    send_update(&mut alice, &update).await;
    wait_for_update(&mut bob, &update).await;

    let carol_doc = Doc::new();
    let mut carol = connect(&server, &id).await;
    join(&mut carol, &carol_doc).await;
    let scratch = carol_doc.get_or_insert_text("scratch");
    assert_eq!(scratch.get_string(&carol_doc.transact()), note);
}

/// Sends `request` as it is and reads the whole answer (the request asks to close after it).
async fn raw_request(server: &Server, request: &str) -> String {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8(answer).unwrap()
}

#[tokio::test]
async fn bad_upgrade_requests_are_answered_400_and_the_server_carries_on() {
    let server = start(Settings::default()).await;
    let id = workshop(&server).await;
    let (token, _) = mint(&server, id, Role::Facilitator).await;
    let request = |headers: &str| {
        format!(
            "GET /ws/{id}?token={token} HTTP/1.1\r\nHost: {}\r\n\
             Connection: Upgrade, close\r\nUpgrade: websocket\r\n{headers}\r\n",
            server.addr
        )
    };

    let answer = raw_request(&server, &request("Sec-WebSocket-Version: 13\r\n")).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains("Sec-WebSocket-Key"), "{answer}");

    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let answer = raw_request(
        &server,
        &request(&format!("{key}Sec-WebSocket-Version: 8\r\n")),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("sec-websocket-version: 13\r\n"),
        "{answer}"
    );

    let answer = raw_request(&server, &request(key)).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");

    // A good request is upgraded, with the accept key of RFC 6455's example.
    let answer = {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let good = request(&format!("{key}Sec-WebSocket-Version: 13\r\n"));
        stream.write_all(good.as_bytes()).await.unwrap();
        let mut head = vec![0; 1024];
        let read = timeout(WAIT, stream.read(&mut head))
            .await
            .unwrap()
            .unwrap();
        String::from_utf8_lossy(&head[..read]).into_owned()
    };
    assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
    assert!(answer.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{answer}");

    // Nothing panicked: the server still serves.
    assert!(!server.task.is_finished());
    let mut client = connect(&server, &id.to_string()).await;
    join(&mut client, &Doc::new()).await;
}
