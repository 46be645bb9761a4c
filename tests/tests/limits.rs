//! The limits on what one client may cost: a flood, too many connections, a client that stops
//! reading, and the corpus of malformed frames. Each closes (or resyncs) only the client at
//! fault; everyone else on the workshop keeps syncing.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use workshop_client::{ClientError, Ended, SyncClient};
use workshop_tests::api::{sample, Api};
use workshop_tests::checks::{assert_closed_with, assert_refused_with, assert_syncing};
use workshop_tests::raw::RawPeer;
use workshop_tests::workshop::{
    participant, scores, set_score, SHARED_UNDERSTANDING, WHOLE_SYSTEM,
};
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Any, Doc, Map, ReadTxn, StateVector, Transact, Update};

/// Close code for a connection over its update rate.
const RATE_LIMITED: u16 = 4429;
/// Close code for a join to a workshop that has its maximum of connections.
const WORKSHOP_FULL: u16 = 4409;
/// Close code for a join to a server that has its maximum of connections.
const SERVER_FULL: u16 = 4503;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_beyond_the_rate_limit_closes_only_the_flooder_with_4429() {
    let server =
        TestServer::start_with(&["--max-updates-per-sec", "5", "--max-update-burst", "20"]).await;
    let id = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    let flooder = connect(&server, &id).await;
    let alice = connect(&server, &id).await;
    let bob = connect(&server, &id).await;

    // Vote after vote, as fast as the client can, until the server closes the connection.
    let voter = participant();
    let flood = async {
        let mut score = 0;
        loop {
            score = score % 5 + 1;
            set_score(
                &mut flooder.doc().transact_mut(),
                WHOLE_SYSTEM,
                SHARED_UNDERSTANDING,
                &voter,
                score,
            );
            tokio::task::yield_now().await;
        }
    };
    let ended = tokio::select! {
        ended = flooder.wait_closed(TIMEOUT) => ended.unwrap(),
        () = flood => unreachable!("the flood never ends by itself"),
    };
    assert_closed_with(&ended, RATE_LIMITED);

    // The others on the workshop were not affected, and the flooder may come back.
    assert_syncing(&alice, &bob).await;
    let mut flooder = flooder;
    flooder.connect(&server.ws_url(&id)).await.unwrap();
    assert_syncing(&flooder, &alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_over_the_connection_limits_are_refused_with_4409_and_4503() {
    let server = TestServer::start_with(&[
        "--max-connections-per-workshop",
        "2",
        "--max-connections",
        "3",
    ])
    .await;
    let api = Api::new(server.http_url());
    let first = api.create_workshop("First", "Northshire").await;
    let second = api.create_workshop("Second", "Southshire").await;
    let mut alice = connect(&server, &first).await;
    let bob = connect(&server, &first).await;

    let mut carol = SyncClient::new().with_connect_timeout(TIMEOUT);
    assert_refused_with(carol.connect(&server.ws_url(&first)).await, WORKSHOP_FULL);
    // Another workshop still has room, until the server as a whole is full.
    let _dan = connect(&server, &second).await;
    let mut erin = SyncClient::new().with_connect_timeout(TIMEOUT);
    assert_refused_with(erin.connect(&server.ws_url(&second)).await, SERVER_FULL);

    // A place frees once a connection has ended on the server's side too.
    alice.disconnect().await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        match carol.connect(&server.ws_url(&first)).await {
            Ok(()) => break,
            Err(ClientError::Closed(Ended::ServerClosed(info))) if info.code == WORKSHOP_FULL => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the place of a closed connection was never freed"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    assert_syncing(&bob, &carol).await;
}

type RawSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type RawStream = futures_util::stream::SplitStream<RawSocket>;

/// A raw WebSocket whose kernel receive buffer is as small as the kernel allows, so that a
/// client that stops reading stops the server's writes to it almost at once.
async fn connect_raw_small_buffer(server: &TestServer, id: &str) -> RawSocket {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr()).await.unwrap();
    // The resync brings the whole document in one frame, larger than the default limits.
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (socket, _) = tokio_tungstenite::client_async_with_config(
        server.ws_url(id),
        MaybeTlsStream::Plain(stream),
        Some(config),
    )
    .await
    .unwrap();
    socket
}

/// The next y-sync message from a raw socket, skipping control frames; panics on a close.
async fn next_message(socket: &mut RawStream, wait: Duration) -> Message {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(WsMessage::Binary(frame)))) => return Message::decode_v1(&frame).unwrap(),
            Ok(Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_)))) => {}
            Ok(other) => panic!("the slow client's connection ended: {other:?}"),
            Err(_) => panic!("no message from the server within {wait:?}"),
        }
    }
}

/// Applies a sync message to `doc`; returns whether it was a sync step 1.
fn apply(doc: &Doc, message: Message) -> bool {
    match message {
        Message::Sync(SyncMessage::SyncStep1(_)) => true,
        Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
            doc.transact_mut()
                .apply_update(Update::decode_v1(&update).unwrap())
                .unwrap();
            false
        }
        _ => false,
    }
}

/// Bytes a loopback connection can hold between the server and a client that does not read:
/// the server's socket send buffer, which Linux grows up to `tcp_wmem`'s maximum.
fn kernel_buffer_bytes() -> usize {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|line| line.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 * 1024 * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_cut_from_the_relay_then_resynced_and_converges() {
    /// Generous: this test moves tens of megabytes through a debug build.
    const WAIT: Duration = Duration::from_secs(120);
    const CHUNK: usize = 256 * 1024;
    let server = TestServer::start_with(&[
        "--max-pending-bytes",
        "65536",
        "--slow-client-timeout-secs",
        "600",
        "--compact-after-bytes",
        "1000000000000",
    ])
    .await;
    let id = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;

    // The slow client joins and syncs, then stops reading. It keeps sending, as a client on a
    // slow downlink would: the server closes a connection it has heard nothing from in 60 s.
    let (mut sink, mut slow) = connect_raw_small_buffer(&server, &id).await.split();
    let slow_doc = Doc::new();
    assert!(apply(&slow_doc, next_message(&mut slow, TIMEOUT).await));
    let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default()));
    sink.send(WsMessage::Binary(step1.encode_v1().into()))
        .await
        .unwrap();
    let alive = tokio::spawn(async move {
        // An awareness message with no states: traffic that changes nothing.
        let nothing = Message::Awareness(yrs::sync::AwarenessUpdate {
            clients: Default::default(),
        });
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            if sink
                .send(WsMessage::Binary(nothing.encode_v1().into()))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    loop {
        if let Message::Sync(SyncMessage::SyncStep2(update)) =
            next_message(&mut slow, TIMEOUT).await
        {
            let message = Message::Sync(SyncMessage::SyncStep2(update));
            apply(&slow_doc, message);
            break;
        }
    }

    // Another client writes more than the kernel can buffer for the slow one, with a margin;
    // an observer shows when all of it has been relayed.
    let writer = connect(&server, &id).await;
    let observer = connect(&server, &id).await;
    // Binary chunks: a debug build handles them far faster than text, which it measures in
    // UTF-16 units.
    let chunks = u32::try_from(kernel_buffer_bytes() / CHUNK + 16).unwrap();
    let scratch = writer.doc().get_or_insert_map("scratch");
    for i in 0..chunks {
        let bytes = vec![(i % 251) as u8; CHUNK];
        let mut txn = writer.doc().transact_mut();
        scratch.insert(&mut txn, i.to_string(), Any::from(bytes));
    }
    let held = |doc: &Doc| {
        let txn = doc.transact();
        txn.get_map("scratch").map_or(0, |map| map.len(&txn))
    };
    observer
        .wait_for(
            |txn| txn.get_map("scratch").map_or(0, |map| map.len(txn)) == chunks,
            WAIT,
        )
        .await
        .unwrap();

    // The slow client reads again: what was queued, then the resync (a second sync step 1 and
    // the whole document), and then the live relay.
    let mut step1s = 1;
    while held(&slow_doc) < chunks || step1s < 2 {
        if apply(&slow_doc, next_message(&mut slow, WAIT).await) {
            step1s += 1;
        }
    }
    let fresh = connect(&server, &id).await;
    let expected = fresh.doc().transact().state_vector();
    while slow_doc.transact().state_vector() != expected {
        apply(&slow_doc, next_message(&mut slow, WAIT).await);
    }
    assert_eq!(held(&slow_doc), chunks);

    // Back in the relay: a later vote reaches it like any other update.
    let voter = participant();
    set_score(
        &mut writer.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &voter,
        5,
    );
    while !scores(&slow_doc.transact(), WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&voter) {
        apply(&slow_doc, next_message(&mut slow, TIMEOUT).await);
    }
    alive.abort();
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("read {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_frame_closes_only_its_connection_with_1007() {
    let server = TestServer::start().await;
    let id = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    let alice = connect(&server, &id).await;
    let bob = connect(&server, &id).await;
    let files = corpus_files();
    assert!(files.len() >= 10, "the corpus is missing: {files:?}");
    for file in files {
        let frame = std::fs::read(&file).unwrap();
        let mallory = connect(&server, &id).await;
        mallory.send_frame(frame).unwrap();
        let ended = mallory.wait_closed(TIMEOUT).await.unwrap();
        match &ended {
            Ended::ServerClosed(info) => {
                assert_eq!(info.code, 1007, "{}: {info}", file.display());
                assert!(!info.reason.is_empty(), "{}", file.display());
            }
            other => panic!("{}: expected close 1007, got {other}", file.display()),
        }
    }
    assert_syncing(&alice, &bob).await;
    // Nothing of any of them reached the document (one begins with a valid scratch edit).
    let fresh = connect(&server, &id).await;
    assert!(fresh.doc().transact().get_text("scratch").is_none());
}

/// However fast a client changes a workshop, the server runs the engine with its changes only
/// as often as the room's budget allows: four runs back to back, then one per
/// `--recompute-interval-ms` (an hour here). Every change is still relayed at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_make_the_server_recompute_beyond_the_rooms_budget() {
    let server = TestServer::start_with(&["--recompute-interval-ms", "3600000"]).await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let bystander = connect(&server, &id).await;
    let mut writer = RawPeer::connect(&server.ws_url(&id)).await;
    writer.sync().await;
    let recomputed = || async {
        let text = api.metrics().await;
        sample(&text, "workshop_recomputes_with_change_total")
            .unwrap_or_else(|| panic!("no recompute counter in:\n{text}"))
    };
    let before = recomputed().await;

    // Twelve votes, each its own raw frame, each sent once the last reached the bystander
    // (so that no two share a batch, and so one recompute).
    let voter = participant();
    for score in 1..=12 {
        let vote = {
            let mut txn = writer.doc.transact_mut();
            set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &voter, score);
            txn.encode_update_v1()
        };
        writer.send_update(&vote).await;
        let has_vote = |txn: &yrs::Transaction<'_>| {
            scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING)
                .get(&voter)
                .is_some_and(|value| value.to_string() == score.to_string())
        };
        bystander.wait_for(has_vote, TIMEOUT).await.unwrap();
    }

    assert_eq!(recomputed().await - before, 4.0, "the budget, and no more");
}
