//! One loaded workshop: its document and awareness, its connected peers, and the tasks that
//! keep results fresh and the log compact.
//!
//! Locking: everything mutable sits in one std [`Mutex`] ([`RoomState`]). Every section under
//! it is short and synchronous (apply an update, append it to sled's in-memory log, queue
//! frames on bounded channels) and no `.await` happens while it is held; the slow part of
//! persistence, the flush, is awaited after the lock is released. Appending under the lock
//! ties each sequence number to the moment its update entered the document, which is what
//! lets compaction drop exactly the entries a snapshot contains.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use thiserror::Error;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;
use yrs::sync::Awareness;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

use super::RoomContext;
use crate::store::{StoreError, StoredDoc};
use crate::sync::{self, Outcome, SyncError};

/// Transaction origin of the server's own writes (the recomputed results).
pub const SERVER_ORIGIN: &str = "workshop-server";

/// Identifies one WebSocket connection within the process.
pub type ConnId = u64;

/// What a connection's writer task is asked to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// One binary frame holding exactly one y-sync message.
    Frame(Bytes),
    /// A close frame; the writer stops after sending it.
    Close {
        /// WebSocket close code.
        code: u16,
        /// Reason, at most 123 bytes.
        reason: String,
    },
}

/// A connected client as the room sees it: where its frames go, and how to cut it off.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The bounded queue of the connection's writer task.
    pub outbox: mpsc::Sender<Outgoing>,
    /// Cancelled when the peer cannot keep up; its connection then closes with 1013.
    pub too_slow: CancellationToken,
}

impl Peer {
    /// Queues a frame without waiting. Returns false if the peer is gone or too slow, in
    /// which case it must be dropped: skipping a frame would leave its document diverged.
    fn deliver(&self, frame: Bytes) -> bool {
        match self.outbox.try_send(Outgoing::Frame(frame)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("peer's outbox is full, disconnecting it");
                self.too_slow.cancel();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Failure of a room operation.
#[derive(Debug, Error)]
pub enum RoomError {
    /// No workshop has this id.
    #[error("unknown workshop")]
    NotFound,
    /// A client sent something the protocol does not allow.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The room was unloaded; the caller should not hold it any more.
    #[error("workshop is no longer loaded")]
    Unloaded,
}

/// The mutable part of a room, behind its mutex.
struct RoomState {
    /// Owns the document; presence states live beside it.
    awareness: Awareness,
    peers: HashMap<ConnId, Peer>,
    /// Which connection last spoke for each awareness client, so a connection that leaves
    /// removes exactly the states it introduced (and not those of a client that has since
    /// reconnected on another connection).
    awareness_owner: HashMap<ClientID, ConnId>,
    /// Sequence number of the next appended update.
    next_seq: u64,
    /// Updates and bytes logged since the last snapshot.
    log_entries: u64,
    log_bytes: u64,
    compaction_queued: bool,
    /// A client changed the document since the workshop record was last refreshed.
    record_stale: bool,
    /// Set once the room is unloaded; nothing may be appended after that.
    unloaded: bool,
}

impl RoomState {
    /// Sends a message to every peer except `except`, dropping peers that cannot take it.
    fn broadcast(&mut self, except: Option<ConnId>, message: Vec<u8>) {
        let frame = Bytes::from(message);
        self.peers
            .retain(|conn, peer| Some(*conn) == except || peer.deliver(frame.clone()));
    }

    fn send_to(&mut self, conn: ConnId, message: Vec<u8>) {
        if let Some(peer) = self.peers.get(&conn) {
            if !peer.deliver(Bytes::from(message)) {
                self.peers.remove(&conn);
            }
        }
    }
}

/// A loaded workshop.
pub struct Room {
    id: Uuid,
    ctx: RoomContext,
    state: Mutex<RoomState>,
    /// Wakes the recompute task; notifications while it runs coalesce into one more run.
    recompute: Notify,
    /// Serialises compactions, so an older snapshot can never overwrite a newer one.
    compaction: tokio::sync::Mutex<()>,
    /// Stops the room's background task when it is unloaded or the server shuts down.
    stop: CancellationToken,
}

impl std::fmt::Debug for Room {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Room")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Room {
    /// Rebuilds a room from storage: the snapshot and the log replayed into a new document.
    ///
    /// The document gets a fresh random client id on every load: the server's own writes
    /// (results) must never reuse an id whose clock another replica has already seen.
    pub(crate) fn restore(
        id: Uuid,
        stored: StoredDoc,
        ctx: RoomContext,
        stop: CancellationToken,
    ) -> Result<Room, StoreError> {
        let doc = Doc::new();
        {
            let mut txn = doc.transact_mut();
            for bytes in stored.snapshot.iter().chain(&stored.updates) {
                let corrupt = |reason: String| StoreError::Corrupt { id, reason };
                let update = Update::decode_v1(bytes).map_err(|e| corrupt(e.to_string()))?;
                txn.apply_update(update)
                    .map_err(|e| corrupt(e.to_string()))?;
            }
        }
        let state = RoomState {
            awareness: Awareness::new(doc),
            peers: HashMap::new(),
            awareness_owner: HashMap::new(),
            next_seq: stored.next_seq,
            log_entries: stored.updates.len() as u64,
            log_bytes: stored.log_bytes,
            compaction_queued: false,
            record_stale: false,
            unloaded: false,
        };
        Ok(Room {
            id,
            ctx,
            state: Mutex::new(state),
            recompute: Notify::new(),
            compaction: tokio::sync::Mutex::new(()),
            stop,
        })
    }

    /// The workshop id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    fn lock(&self) -> MutexGuard<'_, RoomState> {
        // A panic under the lock cannot leave the document half-applied in a way a later
        // transaction would trip over, so keep serving rather than poison every caller.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The document's client id (the server's identity in it).
    pub fn client_id(&self) -> ClientID {
        self.lock().awareness.client_id()
    }

    /// Number of connected peers.
    pub fn peer_count(&self) -> usize {
        self.lock().peers.len()
    }

    /// Registers a connection: queues its greeting (sync step 1, known awareness states),
    /// then starts relaying to it. Both happen under the lock so no update falls between.
    pub fn join(&self, conn: ConnId, peer: Peer) {
        let mut state = self.lock();
        for message in sync::greeting(&state.awareness) {
            if !peer.deliver(Bytes::from(message)) {
                return;
            }
        }
        state.peers.insert(conn, peer);
    }

    /// Unregisters a connection and tells the others that the awareness states it
    /// introduced are gone.
    pub fn leave(&self, conn: ConnId) {
        let mut state = self.lock();
        state.peers.remove(&conn);
        let owned: Vec<ClientID> = state
            .awareness_owner
            .iter()
            .filter(|(_, owner)| **owner == conn)
            .map(|(client, _)| *client)
            .collect();
        for client in &owned {
            state.awareness_owner.remove(client);
        }
        if let Some(removal) = sync::remove_clients(&mut state.awareness, &owned) {
            state.broadcast(None, removal);
        }
    }

    /// Handles the binary frames that have arrived from `conn`, in order.
    ///
    /// Document updates are appended to the log and relayed to the other peers only after a
    /// flush has made them durable; replies to the sender (a sync step 2 among them) wait for
    /// the same flush, so nothing reaches any client before it is on disk. Handing over every
    /// frame that has already arrived lets a burst share one lock and one flush. Awareness
    /// changes are relayed at once (they are not persisted). A frame that does not decode is
    /// refused whole, and nothing after it is handled; what came before it takes full effect.
    /// Either way the error is returned for the caller to close the connection.
    pub async fn receive(
        self: &Arc<Self>,
        conn: ConnId,
        frames: &[impl AsRef<[u8]>],
    ) -> Result<(), RoomError> {
        let mut logged = Vec::new();
        let mut replies = Vec::new();
        let mut changed = false;
        let mut compact = false;
        let mut failure = None;
        {
            let mut state = self.lock();
            if state.unloaded {
                return Err(RoomError::Unloaded);
            }
            let messages = frames
                .iter()
                .map(|frame| sync::decode_frame(frame.as_ref()));
            'frames: for decoded in messages {
                let messages = match decoded {
                    Ok(messages) => messages,
                    Err(error) => {
                        failure = Some(error.into());
                        break;
                    }
                };
                for message in messages {
                    match sync::apply(&mut state.awareness, message) {
                        // Held back until the flush below: a sync step 2 carries every update
                        // the room has applied, some of which may not be on disk yet.
                        Ok(Outcome::Reply(reply)) => replies.push(reply),
                        Ok(Outcome::DocUpdate {
                            update,
                            changed: content_changed,
                        }) => match self.append_locked(&mut state, &update) {
                            Ok(due) => {
                                compact |= due;
                                changed |= content_changed;
                                logged.push(update);
                            }
                            Err(error) => {
                                failure = Some(error.into());
                                break 'frames;
                            }
                        },
                        Ok(Outcome::Awareness {
                            relay,
                            set,
                            removed,
                        }) => {
                            for client in set {
                                state.awareness_owner.insert(client, conn);
                            }
                            for client in removed {
                                state.awareness_owner.remove(&client);
                            }
                            state.broadcast(Some(conn), relay);
                        }
                        Ok(Outcome::Nothing) => {}
                        Err(error) => {
                            failure = Some(error.into());
                            break 'frames;
                        }
                    }
                }
            }
            state.record_stale |= changed;
        }
        if changed {
            // Started now rather than after the flush, so its update can share that flush.
            self.recompute.notify_one();
        }
        if compact {
            self.schedule_compaction();
        }
        if !logged.is_empty() || !replies.is_empty() {
            self.ctx.flusher.flush().await?;
            let mut state = self.lock();
            for reply in replies {
                state.send_to(conn, reply);
            }
            for update in logged {
                state.broadcast(Some(conn), sync::update_message(&update));
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// Appends an update to the log. Returns whether a compaction should now be scheduled.
    fn append_locked(&self, state: &mut RoomState, update: &[u8]) -> Result<bool, StoreError> {
        self.ctx.store.append(self.id, state.next_seq, update)?;
        state.next_seq += 1;
        state.log_entries += 1;
        state.log_bytes += update.len() as u64;
        let limits = self.ctx.limits;
        let due = !state.compaction_queued
            && (state.log_entries >= limits.after_updates || state.log_bytes >= limits.after_bytes);
        state.compaction_queued |= due;
        Ok(due)
    }

    /// Runs the engine over the document and, if that changed `results`, persists the change
    /// and then sends it to every peer (the one whose edit caused it included).
    /// Returns the fresh results.
    pub async fn recompute_and_publish(
        self: &Arc<Self>,
    ) -> Result<workshop_shared::Results, RoomError> {
        let today = self.ctx.clock.today();
        let (results, update, compact) = {
            let mut state = self.lock();
            if state.unloaded {
                return Err(RoomError::Unloaded);
            }
            let doc = state.awareness.doc().clone();
            let (recomputed, update) = {
                let mut txn = doc.transact_mut_with(SERVER_ORIGIN);
                let recomputed = workshop_shared::recompute(&mut txn, today);
                (recomputed, txn.encode_update_v1())
            };
            let wrote = !sync::is_empty_update(&update);
            let compact = if wrote {
                self.append_locked(&mut state, &update)?
            } else {
                false
            };
            if wrote || state.record_stale {
                state.record_stale = false;
                let meta = workshop_shared::model::read_meta_summary(&doc.transact());
                self.ctx.store.touch(
                    self.id,
                    meta.title,
                    meta.place,
                    self.ctx.clock.timestamp(),
                )?;
            }
            (recomputed.results, wrote.then_some(update), compact)
        };
        if compact {
            self.schedule_compaction();
        }
        if let Some(update) = update {
            self.ctx.flusher.flush().await?;
            self.lock().broadcast(None, sync::update_message(&update));
        }
        Ok(results)
    }

    /// The whole document as JSON.
    pub fn document_json(&self) -> serde_json::Value {
        let state = self.lock();
        let txn = state.awareness.doc().transact();
        workshop_shared::export::document_json(&txn)
    }

    /// Runs `f` on a read transaction of the document (tests and diagnostics).
    pub fn read<R>(&self, f: impl FnOnce(&yrs::Transaction<'_>) -> R) -> R {
        let state = self.lock();
        let txn = state.awareness.doc().transact();
        f(&txn)
    }

    /// Writes a snapshot of the whole document, drops the log entries it contains, and
    /// flushes. Returns the sequence number the snapshot covers up to (exclusive).
    pub async fn compact(&self) -> Result<u64, StoreError> {
        let _serial = self.compaction.lock().await;
        let (snapshot, covers, entries, bytes) = {
            let mut state = self.lock();
            state.compaction_queued = false;
            let snapshot = (state.log_entries > 0).then(|| {
                state
                    .awareness
                    .doc()
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default())
            });
            (snapshot, state.next_seq, state.log_entries, state.log_bytes)
        };
        if let Some(snapshot) = snapshot {
            let store = self.ctx.store.clone();
            let id = self.id;
            let removed = tokio::task::spawn_blocking(move || store.compact(id, &snapshot, covers))
                .await
                .map_err(|e| StoreError::Task(e.to_string()))??;
            tracing::debug!(removed, covers, "compacted update log into a snapshot");
            let mut state = self.lock();
            state.log_entries = state.log_entries.saturating_sub(entries);
            state.log_bytes = state.log_bytes.saturating_sub(bytes);
        }
        self.ctx.flusher.flush().await?;
        Ok(covers)
    }

    fn schedule_compaction(self: &Arc<Self>) {
        let room = Arc::clone(self);
        let span = tracing::info_span!("compaction", workshop = %self.id);
        self.ctx.tasks.spawn(
            async move {
                if let Err(error) = room.compact().await {
                    tracing::warn!(%error, "compaction failed; the log keeps growing");
                }
            }
            .instrument(span),
        );
    }

    /// Marks the room unloaded if nothing was appended since sequence `covers` and nobody is
    /// connected. Returns whether it did; after that the room refuses further work.
    pub(crate) fn retire_if_unchanged(&self, covers: u64) -> bool {
        let mut state = self.lock();
        if state.next_seq != covers || !state.peers.is_empty() {
            return false;
        }
        state.unloaded = true;
        self.stop.cancel();
        true
    }

    /// Marks the room unloaded unconditionally (shutdown, or a load that lost a race).
    pub(crate) fn retire(&self) {
        self.lock().unloaded = true;
        self.stop.cancel();
    }

    /// The room's background task: recompute after client changes until stopped.
    pub(crate) async fn recompute_loop(self: Arc<Self>) {
        loop {
            tokio::select! {
                () = self.stop.cancelled() => break,
                () = self.recompute.notified() => {}
            }
            match self.recompute_and_publish().await {
                Ok(_) => {}
                Err(RoomError::Unloaded) => break,
                Err(error) => tracing::warn!(%error, "recompute failed"),
            }
        }
    }
}
