//! The client against a minimal in-process y-sync hub (one document, relay to every other
//! peer), so the client's own behaviour is tested without the workshop server: handshake,
//! live updates without echo, offline edits on reconnect, awareness, close frames.

// The handshake callback's error type is imposed by tungstenite.
#![allow(clippy::unwrap_used, clippy::result_large_err)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as Frame;
use workshop_client::protocol::{decode_frame, encode_message};
use workshop_client::{ClientError, ConnectionState, Ended, SyncClient};
use yrs::sync::{Awareness, DefaultProtocol, Message, Protocol, SyncMessage};
use yrs::{Doc, GetString, Map, ReadTxn, Text, Transact};

const TIMEOUT: Duration = Duration::from_secs(10);

/// One shared document; every update a peer sends is applied and relayed to the others.
struct Hub {
    awareness: Mutex<Awareness>,
    relay: broadcast::Sender<(usize, Vec<u8>)>,
    /// Update messages received, over all connections.
    updates_received: AtomicUsize,
}

impl Hub {
    async fn start() -> (Arc<Hub>, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("ws://{}", listener.local_addr().unwrap());
        let hub = Arc::new(Hub {
            awareness: Mutex::new(Awareness::new(Doc::new())),
            relay: broadcast::channel(1024).0,
            updates_received: AtomicUsize::new(0),
        });
        let serving = hub.clone();
        tokio::spawn(async move {
            for peer in 0.. {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serving.clone().serve(peer, stream));
            }
        });
        (hub, base)
    }

    fn text(&self) -> String {
        let awareness = self.awareness.lock().unwrap();
        let doc = awareness.doc();
        let txn = doc.transact();
        txn.get_text("notes")
            .map(|text| text.get_string(&txn))
            .unwrap_or_default()
    }

    async fn serve(self: Arc<Self>, peer: usize, stream: TcpStream) {
        let mut path = String::new();
        let callback = |request: &Request, response: Response| {
            path = request.uri().path().to_owned();
            Ok(response)
        };
        let mut socket = tokio_tungstenite::accept_hdr_async(stream, callback)
            .await
            .unwrap();
        if path.ends_with("/unknown") {
            let frame = CloseFrame {
                code: CloseCode::from(4404),
                reason: "unknown workshop".into(),
            };
            let _ = socket.send(Frame::Close(Some(frame))).await;
            while let Some(Ok(_)) = socket.next().await {}
            return;
        }
        let mut relayed = self.relay.subscribe();
        let step1 = {
            let awareness = self.awareness.lock().unwrap();
            let sv = awareness.doc().transact().state_vector();
            encode_message(&Message::Sync(SyncMessage::SyncStep1(sv)))
        };
        socket.send(Frame::Binary(step1.into())).await.unwrap();
        loop {
            tokio::select! {
                frame = socket.next() => {
                    let Some(Ok(Frame::Binary(data))) = frame else { return };
                    for message in decode_frame(&data).unwrap() {
                        let relay = match &message {
                            Message::Sync(SyncMessage::Update(update)) => {
                                self.updates_received.fetch_add(1, Ordering::SeqCst);
                                Some(Message::Sync(SyncMessage::Update(update.clone())))
                            }
                            Message::Sync(SyncMessage::SyncStep2(update)) => {
                                Some(Message::Sync(SyncMessage::Update(update.clone())))
                            }
                            Message::Awareness(_) => Some(message.clone()),
                            _ => None,
                        };
                        let reply = {
                            let mut awareness = self.awareness.lock().unwrap();
                            DefaultProtocol.handle_message(&mut awareness, message).unwrap()
                        };
                        if let Some(reply) = reply {
                            socket.send(Frame::Binary(encode_message(&reply).into())).await.unwrap();
                        }
                        if let Some(relay) = relay {
                            let _ = self.relay.send((peer, encode_message(&relay)));
                        }
                    }
                }
                relay = relayed.recv() => {
                    let Ok((from, bytes)) = relay else { return };
                    if from != peer && socket.send(Frame::Binary(bytes.into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

async fn connected(base: &str) -> SyncClient {
    let mut client = SyncClient::new().with_connect_timeout(TIMEOUT);
    client.connect(&format!("{base}/ws/room")).await.unwrap();
    assert_eq!(client.state(), ConnectionState::Synced);
    client
}

fn text_of(client: &SyncClient) -> String {
    let txn = client.doc().transact();
    txn.get_text("notes")
        .map(|text| text.get_string(&txn))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_flow_both_ways_and_are_not_echoed() {
    let (hub, base) = Hub::start().await;
    let alice = connected(&base).await;
    let bob = connected(&base).await;

    let notes = alice.doc().get_or_insert_text("notes");
    notes.insert(&mut alice.doc().transact_mut(), 0, "hello");
    bob.wait_for(
        |txn| {
            txn.get_text("notes")
                .is_some_and(|t| t.get_string(txn) == "hello")
        },
        TIMEOUT,
    )
    .await
    .unwrap();
    alice.flush(TIMEOUT).await.unwrap();
    bob.flush(TIMEOUT).await.unwrap();
    // Alice's one edit reached the hub once; Bob applied it without sending it back.
    assert_eq!(hub.updates_received.load(Ordering::SeqCst), 1);
    assert_eq!(hub.text(), "hello");

    let bob_notes = bob.doc().get_or_insert_text("notes");
    bob_notes.push(&mut bob.doc().transact_mut(), ", world");
    alice
        .wait_for(|_| text_of(&alice) == "hello, world", TIMEOUT)
        .await
        .unwrap();
    bob.flush(TIMEOUT).await.unwrap();
    assert_eq!(hub.updates_received.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_are_exchanged_on_reconnect() {
    let (hub, base) = Hub::start().await;
    let mut alice = connected(&base).await;
    let bob = connected(&base).await;
    let meta = alice.doc().get_or_insert_map("meta");
    meta.insert(&mut alice.doc().transact_mut(), "title", "Autumn");
    bob.wait_for(|txn| txn.get_map("meta").is_some(), TIMEOUT)
        .await
        .unwrap();

    alice.disconnect().await;
    assert_eq!(alice.state(), ConnectionState::Ended(Ended::ClientClosed));
    meta.insert(&mut alice.doc().transact_mut(), "place", "Northshire");
    let bob_meta = bob.doc().get_or_insert_map("meta");
    bob_meta.insert(&mut bob.doc().transact_mut(), "stage", "scoring");
    bob.flush(TIMEOUT).await.unwrap();

    alice.connect(&format!("{base}/ws/room")).await.unwrap();
    // The handshake alone brought Bob's edit...
    assert_eq!(
        meta.get(&alice.doc().transact(), "stage")
            .unwrap()
            .to_string(&alice.doc().transact()),
        "scoring"
    );
    // ...and took Alice's offline edit to the hub, which relays it to Bob.
    bob.wait_for(|txn| bob_meta.get(txn, "place").is_some(), TIMEOUT)
        .await
        .unwrap();
    let place = bob_meta.get(&bob.doc().transact(), "place").unwrap();
    assert_eq!(place.to_string(&bob.doc().transact()), "Northshire");
    drop(hub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_states_reach_other_peers() {
    let (_hub, base) = Hub::start().await;
    let alice = connected(&base).await;
    let bob = connected(&base).await;
    alice
        .set_awareness(&serde_json::json!({"name": "Ada"}))
        .unwrap();
    let alice_id = alice.client_id();
    bob.wait_for_awareness(
        |awareness| awareness.state::<serde_json::Value>(alice_id).is_some(),
        TIMEOUT,
    )
    .await
    .unwrap();
    assert_eq!(
        bob.peers(),
        vec![(alice_id, serde_json::json!({"name": "Ada"}))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_frame_before_sync_is_reported_with_its_code() {
    let (_hub, base) = Hub::start().await;
    let mut client = SyncClient::new().with_connect_timeout(TIMEOUT);
    let error = client
        .connect(&format!("{base}/ws/unknown"))
        .await
        .unwrap_err();
    let info = error
        .close_info()
        .unwrap_or_else(|| panic!("no close frame in {error}"));
    assert_eq!(
        (info.code, info.reason.as_str()),
        (4404, "unknown workshop")
    );
    assert!(matches!(
        client.state(),
        ConnectionState::Ended(Ended::ServerClosed(_))
    ));
    assert!(matches!(
        client.send_frame(vec![0]),
        Err(ClientError::NotConnected)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut client = SyncClient::new().with_connect_timeout(TIMEOUT);
    let error = client
        .connect(&format!("ws://{addr}/ws/room"))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Connect { .. }), "{error}");
}
