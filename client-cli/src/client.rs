//! [`SyncClient`]: a local document kept in step with one workshop on a server.
//!
//! The client owns a [`Doc`] and its [`Awareness`] for its whole life; connections come and go.
//! Local changes are observed on the document (its v1 updates) and sent to the server while a
//! connection is open. While there is none they are simply kept in the document: the
//! state-vector exchange of the next handshake sends the server whatever it lacks, and brings
//! back whatever others changed meanwhile.
//!
//! Everything that waits ([`SyncClient::wait_for`] and friends) is woken by a
//! [`tokio::sync::watch`] channel that counts document changes, awareness changes, sync
//! replies and connection-state changes; the timeout of a wait is only a failure guard.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::{ClientID, Doc, Origin, ReadTxn, Transact, Transaction};

use crate::connection::{self, ConnectionHandle, ConnectionState, Ended, CLOSE_GRACE};
use crate::error::ClientError;
use crate::protocol::{encode_message, ClientProtocol};

/// How long [`SyncClient::connect`] waits, by default, for the socket to open and for the
/// server's answer to the initial SyncStep1.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Distinguishes the document observers and remote origins of clients in one process, in case
/// two clients are ever given clones of the same document.
static NEXT_CLIENT: AtomicU64 = AtomicU64::new(0);

/// The WebSocket URL of a workshop: `{server}/ws/{workshop_id}`.
///
/// `server` is the server's base address with scheme `http`, `https`, `ws` or `wss` (the HTTP
/// schemes are mapped to their WebSocket counterparts); a trailing `/` is ignored. The id is
/// passed as is, so a server can be asked about malformed ids, but it must be a non-empty run of
/// URL-safe characters (`A-Z a-z 0-9 - . _ ~`).
pub fn workshop_url(server: &str, workshop_id: &str) -> Result<String, ClientError> {
    let invalid = |reason| ClientError::InvalidUrl {
        input: server.to_owned(),
        reason,
    };
    let base = server.trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if base.starts_with("ws://") || base.starts_with("wss://") {
        base.to_owned()
    } else {
        return Err(invalid(
            "the server address must start with http://, https://, ws:// or wss://",
        ));
    };
    if base.ends_with("//") {
        return Err(invalid("the server address has no host"));
    }
    let url_safe = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if workshop_id.is_empty() || !workshop_id.chars().all(url_safe) {
        return Err(ClientError::InvalidUrl {
            input: workshop_id.to_owned(),
            reason: "a workshop id must be a non-empty run of URL-safe characters",
        });
    }
    Ok(format!("{base}/ws/{workshop_id}"))
}

/// What waiters watch: counters that only grow, and the connection state.
#[derive(Debug, Clone)]
pub(crate) struct Status {
    /// Bumped by every committed change of the document, local or remote.
    doc_revision: u64,
    /// Bumped by every awareness update received.
    awareness_revision: u64,
    /// How many SyncStep2 replies have been applied, over all connections.
    sync_replies: u64,
    /// Reasons of every write the server refused (auth messages), oldest first.
    denied: Vec<String>,
    /// The current connection's state.
    connection: ConnectionState,
}

/// Where frames for the server are queued while a connection is open.
struct Outbox {
    /// Which connection the sender belongs to, so an old task never clears a newer outbox.
    generation: u64,
    sender: mpsc::UnboundedSender<Vec<u8>>,
}

/// The state shared by the client, its connection task and its document observer.
pub(crate) struct Shared {
    doc: Doc,
    awareness: Mutex<Awareness>,
    pub(crate) protocol: ClientProtocol,
    outbox: Mutex<Option<Outbox>>,
    status: watch::Sender<Status>,
}

impl Shared {
    /// Locks the awareness. The lock is never held across an await, so a poisoned lock only
    /// means a panic elsewhere mid-update; the awareness is still usable.
    pub(crate) fn lock_awareness(&self) -> MutexGuard<'_, Awareness> {
        self.awareness
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_outbox(&self) -> MutexGuard<'_, Option<Outbox>> {
        self.outbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a frame for the open connection; false when there is none.
    ///
    /// Called from the document observer, i.e. while the document's write lock is held: it
    /// must not touch the document or the awareness lock.
    fn send(&self, frame: Vec<u8>) -> bool {
        match self.lock_outbox().as_ref() {
            Some(outbox) => outbox.sender.send(frame).is_ok(),
            None => false,
        }
    }

    fn set_connection(&self, state: ConnectionState) {
        self.status.send_modify(|status| status.connection = state);
    }

    /// Records what handling one frame from the server did.
    pub(crate) fn frame_handled(
        &self,
        sync_step2: usize,
        awareness_changed: bool,
        denied: Vec<String>,
    ) {
        if sync_step2 == 0 && !awareness_changed && denied.is_empty() {
            return;
        }
        self.status.send_modify(|status| {
            status.denied.extend(denied);
            status.sync_replies += sync_step2 as u64;
            if awareness_changed {
                status.awareness_revision += 1;
            }
            if sync_step2 > 0 && status.connection == ConnectionState::Syncing {
                status.connection = ConnectionState::Synced;
            }
        });
    }

    /// Called by the task of connection `generation` when it has ended.
    pub(crate) fn connection_ended(&self, generation: u64, ended: Ended) {
        let mut outbox = self.lock_outbox();
        if outbox
            .as_ref()
            .is_some_and(|outbox| outbox.generation == generation)
        {
            *outbox = None;
            drop(outbox);
            self.set_connection(ConnectionState::Ended(ended));
        }
    }
}

/// Change counters of a [`SyncClient`]: see [`SyncClient::revision`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revision {
    /// Changes of the document, local or remote.
    pub document: u64,
    /// Changes of the peers' presence.
    pub awareness: u64,
}

/// A local [`Doc`] kept in step with one workshop on a workshop server over y-sync.
///
/// Create it, [`connect`](Self::connect) it to a workshop's WebSocket URL (see
/// [`workshop_url`]), then read and edit [`doc`](Self::doc) with ordinary `yrs` transactions:
/// every local change is sent to the server, every change from the server or other peers is
/// applied to the document. [`disconnect`](Self::disconnect) and `connect` again, to the same or
/// a restarted server, with edits made offline in between: the handshake exchanges state vectors
/// and nothing is lost.
///
/// The document's lock is a blocking one: do not hold a transaction across an `.await`.
///
/// Dropping the client closes its connection in the background.
pub struct SyncClient {
    shared: Arc<Shared>,
    /// Key of the document observer, removed on drop.
    observer: Origin,
    connection: Option<ConnectionHandle>,
    /// Connections opened so far; the next one's generation.
    generation: u64,
    connect_timeout: Duration,
    /// The TLS configuration of `wss://` servers; the Mozilla roots when not set.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for SyncClient {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncClient {
    /// A client with a new, empty document.
    pub fn new() -> Self {
        Self::with_doc(Doc::new())
    }

    /// A client of an existing document, e.g. one loaded from a local store. Its current
    /// content is sent to the server on the first connection.
    pub fn with_doc(doc: Doc) -> Self {
        let number = NEXT_CLIENT.fetch_add(1, Ordering::Relaxed);
        let observer = Origin::from(format!("workshop-client/{number}/observer"));
        let remote_origin = Origin::from(format!("workshop-client/{number}/remote"));
        let shared = Arc::new(Shared {
            doc: doc.clone(),
            awareness: Mutex::new(Awareness::new(doc.clone())),
            protocol: ClientProtocol::new(remote_origin),
            outbox: Mutex::new(None),
            status: watch::Sender::new(Status {
                doc_revision: 0,
                awareness_revision: 0,
                sync_replies: 0,
                denied: Vec::new(),
                connection: ConnectionState::Offline,
            }),
        });
        // A weak reference: the document (held by `shared`) must not keep `shared` alive.
        let weak = Arc::downgrade(&shared);
        doc.transact_mut()
            .observe_update_v1(observer.clone(), move |txn, event| {
                let Some(shared) = weak.upgrade() else { return };
                if txn.origin() != Some(shared.protocol.remote_origin()) {
                    let update = Message::Sync(SyncMessage::Update(event.update.clone()));
                    shared.send(encode_message(&update));
                }
                shared.status.send_modify(|status| status.doc_revision += 1);
            });
        SyncClient {
            shared,
            observer,
            connection: None,
            generation: 0,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            tls: None,
        }
    }

    /// Sets how long [`connect`](Self::connect) waits for the socket and the initial sync.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the TLS configuration of `wss://` servers (see [`crate::tls::client_config`]), e.g.
    /// to trust a private certificate authority. Without it, the Mozilla roots are trusted.
    pub fn with_tls(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// The local document. Edit it with `transact_mut`; changes go to the server.
    pub fn doc(&self) -> &Doc {
        &self.shared.doc
    }

    /// This client's Yjs client id (the document's), which also keys its awareness state.
    pub fn client_id(&self) -> ClientID {
        self.shared.doc.client_id()
    }

    /// The state vector the server sent when it last asked this client for what it lacked
    /// (its SyncStep1 of the handshake): comparing it with the local one tells what this
    /// client had to send.
    pub fn server_state_vector(&self) -> Option<yrs::StateVector> {
        self.shared.protocol.server_state_vector()
    }

    /// The connection's current state.
    pub fn state(&self) -> ConnectionState {
        self.shared.status.borrow().connection.clone()
    }

    /// Connects to a workshop's WebSocket URL and performs the y-sync handshake.
    ///
    /// Sends SyncStep1 (and the local awareness state, if set), answers the server's SyncStep1
    /// with whatever the server lacks, and returns once the server's SyncStep2 has been applied:
    /// the document then holds everything the server had. Fails if the socket cannot be opened,
    /// if the connection ends first ([`ClientError::Closed`], carrying the server's close frame,
    /// e.g. 4404 for an unknown workshop), or after the connect timeout.
    pub async fn connect(&mut self, url: &str) -> Result<(), ClientError> {
        let ended = matches!(self.state(), ConnectionState::Ended(_));
        if let Some(handle) = self.connection.as_mut() {
            // A connection that has already ended (the server closed it) may still be
            // finishing its closing handshake: let it, rather than refuse to reconnect.
            if !handle.task.is_finished() && ended {
                let _ = tokio::time::timeout(CLOSE_GRACE * 2, &mut handle.task).await;
            }
            if !handle.task.is_finished() {
                return Err(ClientError::AlreadyConnected);
            }
        }
        self.connection = None;
        self.shared.set_connection(ConnectionState::Connecting);

        let connector = self.tls.clone().map(tokio_tungstenite::Connector::Rustls);
        let dial = tokio_tungstenite::connect_async_tls_with_config(url, None, true, connector);
        let socket = match tokio::time::timeout(self.connect_timeout, dial).await {
            Ok(Ok((socket, _response))) => socket,
            Ok(Err(error)) => {
                self.shared
                    .set_connection(ConnectionState::Ended(Ended::Lost(error.to_string())));
                return Err(ClientError::Connect {
                    url: url.to_owned(),
                    source: Box::new(error),
                });
            }
            Err(_) => {
                let state = ConnectionState::Ended(Ended::Lost("connect timed out".into()));
                self.shared.set_connection(state.clone());
                return Err(ClientError::Timeout {
                    what: format!("the WebSocket connection to {url}"),
                    waited: self.connect_timeout,
                    state,
                });
            }
        };

        let (sender, receiver) = mpsc::unbounded_channel();
        // The receiver is alive, so these sends cannot fail. Local edits made from here on are
        // queued behind them; edits made before are in the answer to the server's SyncStep1.
        let state_vector = self.shared.doc.transact().state_vector();
        let _ = sender.send(encode_message(&Message::Sync(SyncMessage::SyncStep1(
            state_vector,
        ))));
        if let Some(update) = self.local_awareness_update()? {
            let _ = sender.send(encode_message(&update));
        }
        self.generation += 1;
        let generation = self.generation;
        self.shared.set_connection(ConnectionState::Syncing);
        *self.shared.lock_outbox() = Some(Outbox { generation, sender });
        self.connection = Some(connection::spawn(
            socket,
            receiver,
            self.shared.clone(),
            generation,
        ));

        let synced = self
            .wait_on(
                "the initial sync",
                self.connect_timeout,
                |status| match &status.connection {
                    ConnectionState::Synced => Some(Ok(())),
                    ConnectionState::Ended(ended) => Some(Err(ClientError::Closed(ended.clone()))),
                    _ => None,
                },
            )
            .await;
        match synced {
            Ok(Ok(())) => Ok(()),
            Ok(Err(closed)) => Err(closed),
            Err(timeout) => {
                self.disconnect().await;
                Err(timeout)
            }
        }
    }

    /// Closes the connection (code 1000) after sending everything already queued, and waits for
    /// the closing handshake. The document stays usable; edits made now are sent on the next
    /// [`connect`](Self::connect). Does nothing when not connected.
    pub async fn disconnect(&mut self) {
        let Some(mut handle) = self.connection.take() else {
            return;
        };
        if let Some(shutdown) = handle.shutdown.take() {
            let _ = shutdown.send(());
        }
        // The task bounds its own closing handshake; this is a guard against a stuck write.
        if tokio::time::timeout(CLOSE_GRACE * 2, &mut handle.task)
            .await
            .is_err()
        {
            handle.task.abort();
            self.shared
                .connection_ended(self.generation, Ended::ClientClosed);
        }
    }

    /// Waits until the server has applied every change sent so far.
    ///
    /// Sends a SyncStep1 and waits for its SyncStep2: a y-sync server handles a connection's
    /// messages in order, so by the time it answers, it has applied (and, for the workshop
    /// server, persisted) every update queued before. Useful before exiting a short-lived
    /// process.
    pub async fn flush(&self, timeout: Duration) -> Result<(), ClientError> {
        let before = self.shared.status.borrow().sync_replies;
        let state_vector = self.shared.doc.transact().state_vector();
        if !self
            .shared
            .send(encode_message(&Message::Sync(SyncMessage::SyncStep1(
                state_vector,
            ))))
        {
            return Err(ClientError::NotConnected);
        }
        self.wait_on(
            "the server to acknowledge the changes sent",
            timeout,
            |status| {
                if status.sync_replies > before {
                    Some(Ok(()))
                } else if let ConnectionState::Ended(ended) = &status.connection {
                    Some(Err(ClientError::Closed(ended.clone())))
                } else {
                    None
                }
            },
        )
        .await?
    }

    /// Sets this client's awareness state (any JSON-serialisable value, e.g. `{"name": ..}`)
    /// and sends it to the server if connected; otherwise it is sent on connect.
    pub fn set_awareness<S: Serialize>(&self, state: &S) -> Result<(), ClientError> {
        let update = {
            let mut awareness = self.shared.lock_awareness();
            awareness.set_local_state(state)?;
            awareness.update_with_clients([awareness.client_id()])?
        };
        self.shared
            .send(encode_message(&Message::Awareness(update)));
        Ok(())
    }

    /// Clears this client's awareness state, telling peers it has left.
    pub fn clear_awareness(&self) -> Result<(), ClientError> {
        let update = {
            let mut awareness = self.shared.lock_awareness();
            awareness.clean_local_state();
            awareness.update_with_clients([awareness.client_id()])?
        };
        self.shared
            .send(encode_message(&Message::Awareness(update)));
        Ok(())
    }

    /// Runs `f` on the awareness: this client's and its peers' states.
    pub fn with_awareness<R>(&self, f: impl FnOnce(&Awareness) -> R) -> R {
        f(&self.shared.lock_awareness())
    }

    /// The awareness states of the other clients of the workshop, as JSON, by client id.
    pub fn peers(&self) -> Vec<(ClientID, serde_json::Value)> {
        let own = self.client_id();
        let mut peers: Vec<_> = self.with_awareness(|awareness| {
            awareness
                .iter()
                .filter(|(id, _)| *id != own)
                .filter_map(|(id, state)| Some((id, serde_json::from_str(&state.data?).ok()?)))
                .collect()
        });
        peers.sort_by_key(|(id, _)| *id);
        peers
    }

    /// Sends one binary frame as is, bypassing the protocol: for diagnostics, and for testing
    /// how a server treats malformed or oversized input.
    pub fn send_frame(&self, frame: Vec<u8>) -> Result<(), ClientError> {
        if self.shared.send(frame) {
            Ok(())
        } else {
            Err(ClientError::NotConnected)
        }
    }

    /// Waits until `predicate` holds on the document, re-checking after every change.
    ///
    /// Returns [`ClientError::Timeout`] if it does not hold within `timeout`, which is a
    /// failure guard, not a measure: choose it generously.
    pub async fn wait_for<F>(&self, mut predicate: F, timeout: Duration) -> Result<(), ClientError>
    where
        F: FnMut(&Transaction<'_>) -> bool,
    {
        self.wait_for_value(|txn| predicate(txn).then_some(()), timeout)
            .await
    }

    /// Waits until `extract` finds a value in the document, and returns it.
    ///
    /// Like [`wait_for`](Self::wait_for), for conditions whose witness the caller wants, e.g.
    /// a figure in `results` once the server has written it.
    pub async fn wait_for_value<T, F>(
        &self,
        mut extract: F,
        timeout: Duration,
    ) -> Result<T, ClientError>
    where
        F: FnMut(&Transaction<'_>) -> Option<T>,
    {
        let doc = &self.shared.doc;
        self.wait_on("a condition on the document", timeout, |_| {
            extract(&doc.transact())
        })
        .await
    }

    /// Waits until `predicate` holds on the awareness (e.g. a peer's state has arrived).
    pub async fn wait_for_awareness<F>(
        &self,
        mut predicate: F,
        timeout: Duration,
    ) -> Result<(), ClientError>
    where
        F: FnMut(&Awareness) -> bool,
    {
        self.wait_on("a condition on the awareness", timeout, |_| {
            predicate(&self.shared.lock_awareness()).then_some(())
        })
        .await
    }

    /// The reasons of every write the server has refused so far (its auth messages denying
    /// permission), oldest first. A refused write is not applied on the server; it stays in
    /// the local document.
    pub fn denied(&self) -> Vec<String> {
        self.shared.status.borrow().denied.clone()
    }

    /// Waits until the server has refused more than `seen` writes in all, and returns the
    /// reason of the next one after those.
    pub async fn wait_for_denial(
        &self,
        seen: usize,
        timeout: Duration,
    ) -> Result<String, ClientError> {
        self.wait_on("the server to refuse a write", timeout, |status| {
            status.denied.get(seen).cloned()
        })
        .await
    }

    /// How many times the document and the presence of peers have changed so far: pass it to
    /// [`wait_changed`](Self::wait_changed) to wait for the next change.
    pub fn revision(&self) -> Revision {
        let status = self.shared.status.borrow();
        Revision {
            document: status.doc_revision,
            awareness: status.awareness_revision,
        }
    }

    /// Waits until the document or the presence of peers has changed since `since`, or the
    /// connection state changed (e.g. it ended), for at most `timeout`; returns the new
    /// revision. Meant for views that redraw on change.
    pub async fn wait_changed(
        &self,
        since: Revision,
        timeout: Duration,
    ) -> Result<Revision, ClientError> {
        let connection = self.state();
        self.wait_on("a change", timeout, |status| {
            let now = Revision {
                document: status.doc_revision,
                awareness: status.awareness_revision,
            };
            (now != since || status.connection != connection).then_some(now)
        })
        .await
    }

    /// Waits until the connection has ended, and says how: e.g. the server's close frame.
    pub async fn wait_closed(&self, timeout: Duration) -> Result<Ended, ClientError> {
        self.wait_on("the connection to end", timeout, |status| {
            match &status.connection {
                ConnectionState::Ended(ended) => Some(ended.clone()),
                _ => None,
            }
        })
        .await
    }

    /// The local awareness state as an update message, if one is set.
    fn local_awareness_update(&self) -> Result<Option<Message>, ClientError> {
        let awareness = self.shared.lock_awareness();
        if awareness.local_state_raw().is_none() {
            return Ok(None);
        }
        Ok(Some(Message::Awareness(
            awareness.update_with_clients([awareness.client_id()])?,
        )))
    }

    /// Evaluates `check` now and after every status change until it yields a value, or fails
    /// with [`ClientError::Timeout`] naming `what`.
    async fn wait_on<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Status) -> Option<T>,
    ) -> Result<T, ClientError> {
        let mut changes = self.shared.status.subscribe();
        let deadline = Instant::now() + timeout;
        loop {
            // Clone and release the borrow before checking: the check may read the document,
            // whose observer takes this channel's lock while holding the document's.
            let status = changes.borrow_and_update().clone();
            if let Some(value) = check(&status) {
                return Ok(value);
            }
            let changed = tokio::time::timeout_at(deadline, changes.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                return Err(ClientError::Timeout {
                    what: what.to_owned(),
                    waited: timeout,
                    state: self.state(),
                });
            }
        }
    }
}

impl Drop for SyncClient {
    fn drop(&mut self) {
        // Dropping `connection` drops the shutdown sender, which closes the socket. The observer
        // only holds a weak reference; remove it if the document is free right now, and
        // otherwise leave it inert.
        if let Ok(txn) = self.shared.doc.try_transact_mut() {
            txn.unobserve_update_v1(self.observer.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use yrs::{GetString, Map, Text};

    #[test]
    fn urls_are_built_from_http_or_ws_bases() {
        let id = "0b9c6d1e-4c9e-4d07-9f43-3e6f4c1c2a10";
        assert_eq!(
            workshop_url("http://127.0.0.1:8080/", id).unwrap(),
            format!("ws://127.0.0.1:8080/ws/{id}")
        );
        assert_eq!(
            workshop_url("https://example.org", "x").unwrap(),
            "wss://example.org/ws/x"
        );
        assert_eq!(
            workshop_url("ws://h:1", "not-a-uuid").unwrap(),
            "ws://h:1/ws/not-a-uuid"
        );
        assert!(workshop_url("127.0.0.1:8080", id).is_err());
        assert!(workshop_url("http://", id).is_err());
        assert!(workshop_url("http://h", "").is_err());
        assert!(workshop_url("http://h", "a/b").is_err());
    }

    #[tokio::test]
    async fn offline_edits_wait_for_a_connection() {
        let client = SyncClient::new();
        assert_eq!(client.state(), ConnectionState::Offline);
        let notes = client.doc().get_or_insert_text("notes");
        notes.insert(&mut client.doc().transact_mut(), 0, "offline");
        assert_eq!(notes.get_string(&client.doc().transact()), "offline");
        assert!(matches!(
            client.send_frame(vec![1]),
            Err(ClientError::NotConnected)
        ));
        assert!(matches!(
            client.flush(Duration::from_secs(1)).await,
            Err(ClientError::NotConnected)
        ));
    }

    #[tokio::test]
    async fn wait_for_sees_later_changes_and_times_out_otherwise() {
        let client = SyncClient::new();
        let meta = client.doc().get_or_insert_map("meta");
        let doc = client.doc().clone();
        let writer = tokio::spawn(async move {
            tokio::task::yield_now().await;
            meta.insert(&mut doc.transact_mut(), "title", "Autumn");
        });
        let title = client
            .wait_for_value(
                |txn| Some(txn.get_map("meta")?.get(txn, "title")?.to_string(txn)),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert_eq!(title, "Autumn");
        writer.await.unwrap();

        let never = client.wait_for(|_| false, Duration::from_millis(20)).await;
        assert!(matches!(never, Err(ClientError::Timeout { .. })));
    }

    #[test]
    fn awareness_can_be_set_offline() {
        let client = SyncClient::new();
        client
            .set_awareness(&serde_json::json!({"name": "Ada"}))
            .unwrap();
        let state: serde_json::Value =
            client.with_awareness(|awareness| awareness.local_state().unwrap());
        assert_eq!(state["name"], "Ada");
        assert!(client.peers().is_empty());
        client.clear_awareness().unwrap();
        assert!(client.with_awareness(|awareness| awareness.local_state_raw().is_none()));
    }
}
