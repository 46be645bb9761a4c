//! One loaded workshop: its document and awareness, its connected peers, and the tasks that
//! keep results fresh and the log compact.
//!
//! Locking: everything mutable sits in one std [`Mutex`] ([`RoomState`]). Every section under
//! it is short and synchronous (apply an update, append it to sled's in-memory log, queue
//! frames on bounded channels) and no `.await` happens while it is held; the slow part of
//! persistence, the flush, is awaited after the lock is released. Appending under the lock
//! ties each sequence number to the moment its update entered the document, which is what
//! lets compaction drop exactly the entries a snapshot contains.
//!
//! Two settings change what a room does (both on by default, see [`super::RoomSettings`]):
//!
//! - `--durability off`: [`Room::flush_before_relay`] no longer waits for the flush, so
//!   updates are relayed and sync steps answered as soon as they are appended to sled's log
//!   (still under the lock, so they still survive a clean restart), and sled writes them to
//!   disk on its own schedule. A crash can then lose updates that clients have received.
//! - `--recompute off`: [`Room::start_recompute`] neither runs the engine nor starts the
//!   recompute task, so nothing ever writes `results`; [`Room::results`] computes the figures
//!   on demand without writing them.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use thiserror::Error;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;
use workshop_shared::Results;
use yrs::{ClientID, Transact, TransactionMut};

use super::budget::Budget;
use super::core::{writers_of, Asleep, Effects, RoomCore};
use super::presence::PresenceError;
use super::writers::{Author, Owner};
use super::RoomContext;
use crate::store::{blocking, recovery, Heard, SharedStorage, StoreError, StoredDoc};
use crate::sync::{self, Inbound, SyncError};

/// Transaction origin of the server's own writes (the recomputed results).
pub const SERVER_ORIGIN: &str = "workshop-server";

/// Close code for connections of a room that is dropped to be reloaded from its log (a
/// change panicked while it was applied): the client reconnects.
pub const CLOSE_RELOADING: u16 = 1012;

/// Identifies one WebSocket connection within the process.
pub type ConnId = u64;

/// The sending end of a connection's outbox, held by its room and its reader.
pub type Outbox = flume::Sender<Outgoing>;

/// The receiving end of a connection's outbox, drained by its writer.
pub type Inbox = flume::Receiver<Outgoing>;

/// A connection's outbox, bounded at `capacity` messages.
///
/// Its queue grows as messages arrive and allocates nothing before, so that an idle
/// connection's outbox costs a couple of hundred bytes (a Tokio channel allocates a block of
/// 32 slots up front, 1.8 KiB with its shared state).
pub fn outbox(capacity: usize) -> (Outbox, Inbox) {
    flume::bounded(capacity)
}

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

impl Outgoing {
    /// The close that tells a client its workshop is being reloaded: it reconnects.
    fn reloading() -> Outgoing {
        Outgoing::Close {
            code: CLOSE_RELOADING,
            reason: "the workshop is being reloaded".into(),
        }
    }
}

/// A connected client as the room sees it: where its frames go, and how far behind it is.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The bounded queue of the connection's writer task.
    outbox: Outbox,
    /// Shared with the writer task, which reports what it has written.
    backlog: Arc<Backlog>,
}

impl Peer {
    /// A peer whose writer task drains `outbox` and reports each written frame to `backlog`.
    pub fn new(outbox: Outbox, backlog: Arc<Backlog>) -> Peer {
        Peer { outbox, backlog }
    }

    /// Queues a frame without waiting. Returns false only if the connection is gone.
    ///
    /// A peer that cannot take the frame (its queue is full, or its pending bytes would pass
    /// the limit) is cut from the relay rather than dropped: skipping one frame would leave its
    /// document diverged without anyone knowing, so from then on it gets nothing until its
    /// writer has caught up and [`Room::resync`] has sent it everything at once.
    fn deliver(&self, conn: ConnId, frame: Bytes) -> bool {
        if self.backlog.is_cut() {
            return !self.outbox.is_disconnected();
        }
        let bytes = frame.len();
        if !self.backlog.reserve(bytes) {
            self.cut(conn, "pending bytes over the limit");
            return true;
        }
        match self.outbox.try_send(Outgoing::Frame(frame)) {
            Ok(()) => true,
            Err(flume::TrySendError::Full(_)) => {
                self.backlog.release(bytes);
                self.cut(conn, "send queue full");
                true
            }
            Err(flume::TrySendError::Disconnected(_)) => false,
        }
    }

    /// Queues a frame whatever the limits: the resync, which goes into a queue its writer has
    /// just emptied. Returns false if the connection is gone.
    fn deliver_anyway(&self, frame: Bytes) -> bool {
        let bytes = frame.len();
        self.backlog.pending.fetch_add(bytes, Ordering::SeqCst);
        if self.outbox.try_send(Outgoing::Frame(frame)).is_ok() {
            return true;
        }
        self.backlog.release(bytes);
        false
    }

    fn cut(&self, conn: ConnId, why: &str) {
        if self.backlog.cut() {
            tracing::info!(
                conn,
                why,
                pending_bytes = self.backlog.pending_bytes(),
                "peer cannot keep up; cut from the relay until it catches up"
            );
        }
    }
}

/// What the room and one connection's writer task share about the frames waiting for it.
///
/// The room adds the size of every frame it queues; the writer subtracts it once the frame
/// is written to the socket. When a frame does not fit (the queue is full, or the pending
/// bytes would pass the limit) the peer is cut: the room queues nothing more for it, and its
/// writer, once it has written everything queued, calls [`Room::resync`].
#[derive(Debug)]
pub struct Backlog {
    max_bytes: usize,
    pending: AtomicUsize,
    cut: AtomicBool,
    /// Wakes the writer when the peer is cut, in case its queue is already empty by then.
    cut_signal: Notify,
}

impl Backlog {
    /// An empty backlog that lets `max_bytes` wait in the queue.
    pub fn new(max_bytes: usize) -> Arc<Backlog> {
        Arc::new(Backlog {
            max_bytes,
            pending: AtomicUsize::new(0),
            cut: AtomicBool::new(false),
            cut_signal: Notify::new(),
        })
    }

    /// Bytes queued and not yet written.
    pub fn pending_bytes(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Whether the peer is cut from the relay and waiting for a resync.
    pub fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }

    /// The writer wrote a frame of `bytes` taken from the queue.
    pub fn written(&self, bytes: usize) {
        self.release(bytes);
    }

    /// Resolves when the peer is cut (at once if it was cut since the last call returned).
    pub async fn cut_off(&self) {
        self.cut_signal.notified().await;
    }

    /// Counts `bytes` as queued, unless that would pass the limit. A frame always fits an
    /// empty queue, so one large update (up to the frame limit) never cuts anyone by itself.
    fn reserve(&self, bytes: usize) -> bool {
        self.pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |pending| {
                (pending == 0 || pending.saturating_add(bytes) <= self.max_bytes)
                    .then(|| pending.saturating_add(bytes))
            })
            .is_ok()
    }

    fn release(&self, bytes: usize) {
        // Saturating: the counts always balance, but an underflow must not wrap.
        let _ = self
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |pending| {
                Some(pending.saturating_sub(bytes))
            });
    }

    /// Marks the peer cut. Returns whether it was not already.
    fn cut(&self) -> bool {
        let newly = !self.cut.swap(true, Ordering::SeqCst);
        if newly {
            self.cut_signal.notify_one();
        }
        newly
    }

    fn rejoin(&self) {
        self.cut.store(false, Ordering::SeqCst);
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
    /// An awareness message broke the presence rules (too many or too large states).
    #[error(transparent)]
    Presence(#[from] PresenceError),
    /// Applying a change panicked inside yrs or the engine: the document in memory may be
    /// half-changed, so the room was dropped, to be reloaded from its log by the next user.
    #[error("the workshop failed to apply a change and is being reloaded")]
    Poisoned,
    /// An update another server appended could not be taken in.
    #[error("an update from another server does not apply: {0}")]
    Heard(String),
}

/// What [`Room::recompute_if_due_locked`] did.
enum Recompute {
    /// The engine ran: its update to `results` (if anything changed) and whether a compaction
    /// is due.
    Ran(Option<Vec<u8>>, bool),
    /// Not due yet (or recompute is off): the recompute task runs it when the interval ends.
    Later,
}

/// What the other peers receive for the accepted `updates` of one sender and the `results`
/// they caused: one update, so that an edit and its figures cost one frame each. They are
/// joined without decoding ([`crate::splice`]) when their blocks belong to different clients
/// (a client's and the server's always do), and merged by yrs otherwise; if even that fails
/// (it cannot for updates the document took), each goes on its own.
fn relayed(mut updates: Vec<Vec<u8>>, results: Option<Vec<u8>>) -> Vec<Vec<u8>> {
    updates.extend(results);
    if updates.len() < 2 {
        return updates;
    }
    if let Some(joined) = crate::splice::join(&updates) {
        return vec![joined];
    }
    match yrs::merge_updates_v1(&updates) {
        Ok(merged) => vec![merged],
        Err(error) => {
            tracing::warn!(%error, "cannot merge updates for the relay; sending each");
            updates
        }
    }
}

/// A room's document as it is held: live while anyone is connected or the room is at work,
/// encoded while nobody is ([`RoomCore::sleep`]).
enum Held {
    Awake(RoomCore),
    Asleep(Asleep),
    /// Only while the room changes from one to the other, or after it could not be woken
    /// (the room is then dropped, to be loaded afresh from its log).
    Lost,
}

/// The mutable part of a room, behind its mutex.
struct RoomState {
    /// The document, its presence states and the rules for changing them.
    held: Held,
    peers: HashMap<ConnId, Peer>,
    /// Updates this room has appended to the log (counted on from the log's end at load):
    /// whether it moved tells whether anything was appended between two moments.
    appended: u64,
    /// Updates and bytes logged since the last snapshot.
    log_entries: u64,
    log_bytes: u64,
    /// Size of the last snapshot, which sets how long the log may grow before the next.
    snapshot_bytes: u64,
    compaction_queued: bool,
    /// A client changed the document since the workshop record was last refreshed.
    record_stale: bool,
    /// Set once the room is unloaded; nothing may be appended after that.
    unloaded: bool,
    /// The figures' model kept between recomputes and updated from what each transaction
    /// changed, while anyone is connected; `None` while nobody is (a recompute then reads
    /// everything, and the room holds no model), and if it could not attach.
    recomputer: Option<workshop_shared::Recomputer>,
    /// Attaching the model failed once: every recompute reads everything from then on.
    recomputer_failed: bool,
    /// What is left of the room's budget of engine runs after changes ([`super::budget`];
    /// loads and reads of the figures do not spend it).
    budget: Budget,
}

impl RoomState {
    /// The live core; [`Room::wake_locked`] must have run under the same lock.
    fn awake(&mut self) -> Result<&mut RoomCore, RoomError> {
        match &mut self.held {
            Held::Awake(core) => Ok(core),
            Held::Asleep(_) | Held::Lost => Err(RoomError::Poisoned),
        }
    }

    /// Sends a message to every peer except `except`, dropping peers that are gone.
    fn broadcast(&mut self, except: Option<ConnId>, message: Vec<u8>) {
        let frame = Bytes::from(message);
        self.peers
            .retain(|conn, peer| Some(*conn) == except || peer.deliver(*conn, frame.clone()));
    }

    fn send_to(&mut self, conn: ConnId, message: Vec<u8>) {
        if let Some(peer) = self.peers.get(&conn) {
            if !peer.deliver(conn, Bytes::from(message)) {
                self.peers.remove(&conn);
            }
        }
    }
}

/// A loaded workshop.
pub struct Room {
    id: Uuid,
    /// The document's client id for this load (kept across sleeps).
    client_id: ClientID,
    ctx: RoomContext,
    state: Mutex<RoomState>,
    /// Wakes the recompute task; notifications while it runs coalesce into one more run.
    recompute: Notify,
    /// Serialises compactions, so an older snapshot can never overwrite a newer one.
    compaction: tokio::sync::Mutex<()>,
    /// Stops the room's background task when it is unloaded or the server shuts down.
    stop: CancellationToken,
    /// Whether this server leads the workshop: recomputes and writes its figures, compacts
    /// its log. Always, on a store no other server shares; on a shared one, while it holds
    /// the workshop's lease ([`crate::store::Heard::Lease`]).
    leads: AtomicBool,
    /// Whether other servers share the store (it follows the workshop for this one).
    shared: bool,
    /// What other servers sharing the store append, until [`Room::start_recompute`] takes it.
    heard: Mutex<Option<flume::Receiver<Heard>>>,
}

impl std::fmt::Debug for Room {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Room")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Room {
    /// Rebuilds a room from storage: the snapshot and the log replayed into a new document
    /// (up to the first damaged record, see [`crate::store::recovery`]).
    ///
    /// The document gets a fresh random client id on every load: the server's own writes
    /// (results) must never reuse an id whose clock another replica has already seen.
    pub(crate) fn restore(
        id: Uuid,
        stored: StoredDoc,
        ctx: RoomContext,
        stop: CancellationToken,
    ) -> Result<Room, StoreError> {
        let restored = recovery::restore(&*ctx.store, id, &stored)?;
        if restored.set_aside > 0 {
            // Make the recovery durable soon rather than at the next client update; if this
            // flush is lost in a crash, the next load recovers the same way again.
            let flusher = ctx.flusher.clone();
            ctx.tasks.spawn(async move { flusher.flush().await });
        }
        let owners = ctx.store.owners(id)?;
        let heard = ctx.store.follow(id, stored.next_seq);
        let client_id = restored.doc.client_id();
        let (core, added) = RoomCore::new(restored.doc, owners);
        for (client, owner) in &added {
            ctx.store.set_owner(id, *client, owner)?;
        }
        let state = RoomState {
            held: Held::Awake(core),
            peers: HashMap::new(),
            appended: stored.next_seq,
            log_entries: restored.log_entries,
            log_bytes: restored.log_bytes,
            snapshot_bytes: stored.snapshot.as_ref().map_or(0, |s| s.len() as u64),
            compaction_queued: false,
            record_stale: false,
            unloaded: false,
            recomputer: None,
            recomputer_failed: false,
            budget: Budget::default(),
        };
        Ok(Room {
            id,
            client_id,
            ctx,
            state: Mutex::new(state),
            recompute: Notify::new(),
            compaction: tokio::sync::Mutex::new(()),
            stop,
            leads: AtomicBool::new(heard.is_none()),
            shared: heard.is_some(),
            heard: Mutex::new(heard),
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
        self.client_id
    }

    /// Makes the document live again if the room sleeps. If it cannot be (a fault in yrs), the
    /// room is dropped, to be loaded afresh from its log.
    fn wake_locked(&self, state: &mut RoomState) -> Result<(), RoomError> {
        if !matches!(state.held, Held::Asleep(_)) {
            return Ok(());
        }
        if let Held::Asleep(asleep) = std::mem::replace(&mut state.held, Held::Lost) {
            match asleep.wake() {
                Ok(core) => state.held = Held::Awake(core),
                Err(error) => {
                    tracing::error!(%error, "dropping the room to reload it from its log");
                    self.poison_locked(state, None);
                    return Err(RoomError::Poisoned);
                }
            }
        }
        Ok(())
    }

    /// Nobody is connected: drops what only the connected need (the guard's shadow, the
    /// figures' model) and keeps the document encoded until someone joins or reads it.
    fn settle_locked(&self, state: &mut RoomState) {
        if !state.peers.is_empty() || state.unloaded || !matches!(state.held, Held::Awake(_)) {
            return;
        }
        if state.record_stale {
            // The record is read from the live document: refreshed now, not at compaction.
            if let Err(error) = self.refresh_record_locked(state) {
                tracing::warn!(%error, "cannot refresh the workshop record");
            }
        }
        state.recomputer = None;
        if let Held::Awake(core) = std::mem::replace(&mut state.held, Held::Lost) {
            state.held = Held::Asleep(core.sleep());
        }
    }

    /// Number of connected peers.
    pub fn peer_count(&self) -> usize {
        self.lock().peers.len()
    }

    /// Registers a connection: queues its greeting (sync step 1, known awareness states),
    /// then starts relaying to it. Both happen under the lock so no update falls between.
    pub fn join(&self, conn: ConnId, peer: Peer) {
        let mut state = self.lock();
        let greeting = match self
            .wake_locked(&mut state)
            .and_then(|()| state.awake().map(|core| sync::greeting(core.awareness())))
        {
            Ok(greeting) => greeting,
            Err(_) => {
                let _ = peer.outbox.try_send(Outgoing::reloading());
                return;
            }
        };
        for message in greeting {
            if !peer.deliver(conn, Bytes::from(message)) {
                return;
            }
        }
        state.peers.insert(conn, peer);
    }

    /// Brings a peer that was cut from the relay up to date and relays to it again. Its
    /// writer calls this once it has written everything that was queued.
    ///
    /// Queues sync step 1, the whole document as sync step 2 and every awareness state
    /// ([`sync::resync`]), under the same lock that puts the peer back in the relay, so no
    /// update falls between. Like every other frame, the resync carries only what is on disk
    /// (with durability on): it is taken right after a flush, and taken again if anything was
    /// applied meanwhile.
    pub async fn resync(&self, conn: ConnId) -> Result<(), RoomError> {
        loop {
            let applied = {
                let state = self.lock();
                if state.unloaded {
                    return Err(RoomError::Unloaded);
                }
                state.appended
            };
            self.flush_before_relay().await?;
            let mut state = self.lock();
            if state.appended != applied {
                continue;
            }
            self.wake_locked(&mut state)?;
            let messages = sync::resync(state.awake()?.awareness());
            let Some(peer) = state.peers.get(&conn) else {
                return Ok(());
            };
            let mut gone = false;
            for message in messages {
                gone |= !peer.deliver_anyway(Bytes::from(message));
            }
            if gone {
                state.peers.remove(&conn);
            } else {
                peer.backlog.rejoin();
                tracing::info!(conn, "resynced a peer that had fallen behind");
            }
            return Ok(());
        }
    }

    /// Hands presence relayed here to the other servers sharing the store (only queued: this
    /// runs under the lock).
    fn tell_other_servers(&self, message: &[u8]) {
        if self.shared {
            if let Err(error) = self.ctx.store.publish_presence(self.id, message) {
                tracing::warn!(%error, "cannot tell the other servers about presence");
            }
        }
    }

    /// Unregisters a connection and tells the others that the awareness states it
    /// spoke for are gone.
    pub fn leave(&self, conn: ConnId) {
        let mut state = self.lock();
        state.peers.remove(&conn);
        let removal = state.awake().ok().and_then(|core| core.leave(conn));
        if let Some(removal) = removal {
            self.tell_other_servers(&removal);
            state.broadcast(None, removal);
        }
        self.settle_locked(&mut state);
    }

    /// Handles the binary frames that have arrived from `conn`, in order.
    ///
    /// Every message goes through the room's core ([`RoomCore::handle`]): document updates
    /// are judged against `author`'s rights and client ids, and what is accepted is exactly
    /// what integrated. Accepted updates are appended to the log (after the owners of any new
    /// client ids) and relayed to the other peers only after a flush has made them durable;
    /// replies to the sender (a sync step 2 among them) wait for the same flush, so nothing
    /// reaches any client before it is on disk (with durability off, both go out without
    /// waiting: see `Room::flush_before_relay`). Handing over every frame that has already
    /// arrived lets a burst share one lock and one flush. Presence changes are relayed at once
    /// (they are not persisted); an awareness query is answered once per call, encoded after
    /// the lock is released. A frame that does not decode is refused whole, and nothing after
    /// it is handled; what came before it takes full effect. Either way the error is returned
    /// for the caller to close the connection.
    ///
    /// A refused update is neither applied, logged nor relayed; the sender gets the y-sync
    /// auth message (permission denied) with the reason, or sync step 1 if the update waits on
    /// changes the server lacks, and the connection stays open.
    pub async fn receive(
        self: &Arc<Self>,
        conn: ConnId,
        author: &mut Author,
        frames: &[impl AsRef<[u8]>],
    ) -> Result<(), RoomError> {
        let mut effects = Effects::default();
        let mut logged = 0;
        let mut compact = false;
        let mut failure = None;
        let mut states = None;
        let mut results = None;
        let mut recompute_later = false;
        // Decoding needs no lock.
        let decoded: Vec<Result<Vec<Inbound>, SyncError>> = frames
            .iter()
            .map(|frame| sync::decode_frame(frame.as_ref()))
            .collect();
        if self.shared {
            self.claim_new_clients(author, &decoded).await?;
        }
        {
            let mut state = self.lock();
            if state.unloaded {
                return Err(RoomError::Unloaded);
            }
            self.wake_locked(&mut state)?;
            'frames: for frame in decoded {
                let messages = match frame {
                    Ok(messages) => messages,
                    Err(error) => {
                        failure = Some(error.into());
                        break;
                    }
                };
                for message in messages {
                    let mut handled = state
                        .awake()
                        .and_then(|core| core.handle(conn, author, message, &mut effects));
                    if effects.rollback {
                        handled = self.roll_back_locked(&mut state, author, &mut effects);
                        if matches!(handled, Err(RoomError::Poisoned)) {
                            failure = Some(RoomError::Poisoned);
                            break 'frames;
                        }
                    }
                    for relay in effects.presence.drain(..) {
                        self.tell_other_servers(&relay);
                        state.broadcast(Some(conn), relay);
                    }
                    match self.persist_locked(&mut state, &mut effects, logged) {
                        Ok(due) => compact |= due,
                        Err(error) => {
                            // The document holds an update its log does not: like a panic,
                            // only a reload from the log makes the two agree again.
                            tracing::error!(%error, "cannot log an applied update");
                            self.poison_locked(&mut state, Some(conn));
                            return Err(error.into());
                        }
                    }
                    logged = effects.updates.len();
                    if let Err(error) = handled {
                        failure = Some(error);
                        break 'frames;
                    }
                }
            }
            state.record_stale |= logged > 0;
            if logged > 0 && failure.is_none() {
                match self.recompute_if_due_locked(&mut state) {
                    Ok(Recompute::Ran(update, due)) => {
                        results = update;
                        compact |= due;
                    }
                    Ok(Recompute::Later) => recompute_later = true,
                    // The room was dropped (a panic, or an update it could not log).
                    Err(error) if state.unloaded => return Err(error),
                    Err(error) => {
                        // The clients' updates still go out; the task tries again.
                        tracing::warn!(%error, "recompute failed");
                        recompute_later = true;
                    }
                }
            }
            if effects.query {
                states = state
                    .awake()
                    .ok()
                    .and_then(|core| sync::presence_states(core.awareness()));
            }
            self.settle_locked(&mut state);
        }
        for _ in &effects.refused {
            crate::metrics::refused("permission");
        }
        if let Some(states) = states {
            effects.replies.push(sync::encode_awareness(states));
        }
        if matches!(failure, Some(RoomError::Poisoned)) {
            // The sender's connection is closed by its reader, with the error.
            self.poison_locked(&mut self.lock(), Some(conn));
            return Err(RoomError::Poisoned);
        }
        if recompute_later || (logged > 0 && failure.is_some()) {
            self.recompute.notify_one();
        }
        if compact {
            self.schedule_compaction();
        }
        if logged > 0 || !effects.replies.is_empty() {
            self.flush_before_relay().await?;
            crate::metrics::updates_applied(logged);
            let mut state = self.lock();
            for reply in effects.replies {
                state.send_to(conn, reply);
            }
            if let Some(results) = &results {
                state.send_to(conn, sync::update_message(results));
            }
            for relay in relayed(effects.updates, results) {
                state.broadcast(Some(conn), sync::update_message(&relay));
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// On a store other servers share: claims, for `author`, the client ids its updates write
    /// under that this room knows no owner of, before they are judged. The claim is one step
    /// in the store for every server, so a client id another server's client wrote under is
    /// found owned even if that server's update has not reached this one yet, and the update
    /// is refused as written under another's client id. Claims count against the connection's
    /// bound of new client ids like any other.
    async fn claim_new_clients(
        &self,
        author: &mut Author,
        decoded: &[Result<Vec<Inbound>, SyncError>],
    ) -> Result<(), RoomError> {
        if !author.may_write() {
            return Ok(());
        }
        let mut clients: Vec<ClientID> = decoded
            .iter()
            .flatten()
            .flatten()
            .filter_map(|message| match message {
                Inbound::Update(update, _) => Some(update.state_vector()),
                _ => None,
            })
            .flat_map(|vector| vector.iter().map(|(client, _)| *client).collect::<Vec<_>>())
            .collect();
        clients.sort_unstable_by_key(|client| client.get());
        clients.dedup();
        if clients.is_empty() {
            return Ok(());
        }
        let unknown = {
            let mut state = self.lock();
            if state.unloaded {
                return Err(RoomError::Unloaded);
            }
            self.wake_locked(&mut state)?;
            state.awake()?.unowned(&clients)
        };
        if unknown.is_empty() || !author.may_bring(unknown.len()) {
            // Known, or more than the connection may bring: the guard decides alone.
            return Ok(());
        }
        let owner = Owner::Token(author.token().clone());
        let (store, id) = (SharedStorage::clone(&self.ctx.store), self.id);
        let Some(owners) = blocking(move || store.claim(id, &unknown, &owner)).await? else {
            return Ok(());
        };
        author.brought(
            owners
                .iter()
                .filter(|(_, owner)| author.owns(owner))
                .count(),
        );
        let mut state = self.lock();
        if state.unloaded {
            return Err(RoomError::Unloaded);
        }
        self.wake_locked(&mut state)?;
        state.awake()?.adopt(owners);
        Ok(())
    }

    /// Rebuilds the document from the log after it took in an update it must not keep
    /// ([`Effects::rollback`]), and has the core finish that update. The log holds everything
    /// the document held before it: every update is appended under this lock before the next
    /// is judged. Any failure leaves a document that cannot be trusted: the room is then to be
    /// dropped ([`RoomError::Poisoned`]), except when the update itself fails after a good
    /// rebuild (the connection's batch ends with its error).
    fn roll_back_locked(
        &self,
        state: &mut RoomState,
        author: &mut Author,
        effects: &mut Effects,
    ) -> Result<(), RoomError> {
        crate::metrics::rolled_back();
        // The figures' model observed the document being replaced.
        state.recomputer = None;
        let core = state.awake()?;
        let doc = match recovery::rebuild(&*self.ctx.store, self.id, core.doc().client_id()) {
            Ok(doc) => doc,
            Err(error) => {
                tracing::error!(%error, "cannot rebuild the document to roll an update back");
                return Err(RoomError::Poisoned);
            }
        };
        core.roll_back(doc, author, effects)
    }

    /// With recompute on, runs the engine now if the room's budget allows ([`super::budget`]):
    /// under the same lock as the changes that call for it, so their relay and the results
    /// they cause share one flush and one frame. Otherwise leaves it to the recompute task.
    fn recompute_if_due_locked(&self, state: &mut RoomState) -> Result<Recompute, RoomError> {
        if !self.ctx.recompute.is_on() || !self.leads() {
            return Ok(Recompute::Later);
        }
        let (now, interval) = (tokio::time::Instant::now(), self.ctx.recompute_interval);
        if !state.budget.allows(interval, now) {
            return Ok(Recompute::Later);
        }
        state.budget.spend(interval, now);
        let (_, update, compact) = self.recompute_locked(state)?;
        crate::metrics::recomputed_with_change();
        Ok(Recompute::Ran(update, compact))
    }

    /// Stores the owners `effects` has gathered, then appends the updates from index `from`
    /// on. Returns whether a compaction should now be scheduled.
    fn persist_locked(
        &self,
        state: &mut RoomState,
        effects: &mut Effects,
        from: usize,
    ) -> Result<bool, StoreError> {
        for (client, owner) in effects.owners.drain(..) {
            self.ctx.store.set_owner(self.id, client, &owner)?;
        }
        let mut compact = false;
        for update in &effects.updates[from..] {
            compact |= self.append_locked(state, update)?;
        }
        Ok(compact)
    }

    /// The room failed while applying a change (a panic inside yrs or the engine): its
    /// document may hold what is not in its log. Marks it unloaded, so nothing more is
    /// appended or relayed, and closes every connection but `except` with 1012 (the
    /// y-websocket client reconnects, and loads the workshop afresh from its log).
    fn poison_locked(&self, state: &mut RoomState, except: Option<ConnId>) {
        tracing::error!(workshop = %self.id, "a change panicked; dropping the room to reload it from its log");
        crate::metrics::refused("panic");
        state.unloaded = true;
        for (_, peer) in state
            .peers
            .iter()
            .filter(|(conn, _)| Some(**conn) != except)
        {
            let _ = peer.outbox.try_send(Outgoing::reloading());
        }
        state.peers.clear();
        self.stop.cancel();
    }

    /// Appends an update to the log. Returns whether a compaction should now be scheduled.
    fn append_locked(&self, state: &mut RoomState, update: &[u8]) -> Result<bool, StoreError> {
        self.ctx.store.append(self.id, update)?;
        state.appended += 1;
        state.log_entries += 1;
        state.log_bytes += update.len() as u64;
        let limits = self.ctx.limits;
        let due = !state.compaction_queued
            && limits.due(state.log_entries, state.log_bytes, state.snapshot_bytes);
        state.compaction_queued |= due;
        Ok(due)
    }

    /// Runs the engine over the document and, if that changed `results`, persists the change
    /// and then sends it to every peer (the one whose edit caused it included).
    /// Returns the fresh results.
    ///
    /// Runs whatever `--recompute` says: the server itself calls it only with recompute on
    /// (when a room loads, from its recompute task and from [`Room::results`]).
    pub async fn recompute_and_publish(
        self: &Arc<Self>,
    ) -> Result<workshop_shared::Results, RoomError> {
        if !self.leads() {
            // Another server writes the figures; these are what the document says now.
            return self.figures();
        }
        let (results, update, compact) = {
            let mut state = self.lock();
            if state.unloaded {
                return Err(RoomError::Unloaded);
            }
            let recomputed = self.recompute_locked(&mut state);
            self.settle_locked(&mut state);
            recomputed?
        };
        self.publish(update, compact).await?;
        Ok(results)
    }

    /// Runs the engine and writes what changed into `results`, as the server, and appends that
    /// update to the log. Returns the results, the update (`None` if nothing changed) and
    /// whether a compaction is due.
    fn recompute_locked(
        &self,
        state: &mut RoomState,
    ) -> Result<(Results, Option<Vec<u8>>, bool), RoomError> {
        let today = self.ctx.clock.today();
        self.wake_locked(state)?;
        if state.recomputer.is_none() && !state.peers.is_empty() && !state.recomputer_failed {
            match workshop_shared::Recomputer::attach(state.awake()?.doc()) {
                Ok(recomputer) => state.recomputer = Some(recomputer),
                Err(error) => {
                    tracing::warn!(%error, "recomputes will read the whole document");
                    state.recomputer_failed = true;
                }
            }
        }
        // Taken out while the transaction borrows the state; put back whatever happens.
        let mut recomputer = state.recomputer.take();
        let written = self.write_locked(state, |txn| {
            let started = std::time::Instant::now();
            let recomputed = match recomputer.as_mut() {
                Some(recomputer) => recomputer.recompute(txn, today),
                None => workshop_shared::recompute(txn, today),
            };
            crate::metrics::recomputed(started.elapsed());
            recomputed
        });
        state.recomputer = recomputer;
        let (recomputed, update, compact) = written?;
        if update.is_some() || state.record_stale {
            self.refresh_record_locked(state)?;
        }
        Ok((recomputed.results, update, compact))
    }

    /// Refreshes the workshop record (title, place, `updated_at`) from the document's `meta`.
    fn refresh_record_locked(&self, state: &mut RoomState) -> Result<(), StoreError> {
        let Held::Awake(core) = &state.held else {
            // Asleep: refreshed when it went to sleep, and nothing changed since.
            return Ok(());
        };
        let meta = workshop_shared::model::read_meta_summary(&core.doc().transact());
        state.record_stale = false;
        self.ctx
            .store
            .touch(self.id, meta.title, meta.place, self.ctx.clock.timestamp())
    }

    /// The figures `GET /api/workshops/{id}/results` answers with. With recompute on, the
    /// room recomputes (writing and sending what changed, as after an edit) and answers with
    /// what is now in `results`. With recompute off, the engine runs on demand over a read of
    /// the current document and nothing is written: the answer has the usual shape, with
    /// `revision` 0, and the document's `results` map stays as it was.
    pub async fn results(self: &Arc<Self>) -> Result<Results, RoomError> {
        if self.ctx.recompute.is_on() {
            return self.recompute_and_publish().await;
        }
        self.figures()
    }

    /// The engine run over a read of the document, nothing written. With recompute on, the
    /// revision is the one written in the document (by the server that leads it).
    fn figures(&self) -> Result<Results, RoomError> {
        let (workshop, revision) = self.read(|txn| {
            let revision = workshop_shared::results::stored_revision(txn);
            (workshop_shared::Workshop::read(txn), revision)
        })?;
        let started = std::time::Instant::now();
        let mut results = workshop_shared::compute(&workshop, self.ctx.clock.today());
        crate::metrics::recomputed(started.elapsed());
        if self.ctx.recompute.is_on() {
            results.revision = revision.unwrap_or(0);
        }
        Ok(results)
    }

    /// Whether this server leads the workshop (see [`Room::leads`]'s field).
    pub fn leads(&self) -> bool {
        self.leads.load(Ordering::Relaxed)
    }

    /// Writes into the document as the server (e.g. a participant's registration): `write`
    /// runs in one server transaction, and what it changed is logged, flushed and sent to
    /// every peer like the recomputed results are; the figures are recomputed after it.
    pub async fn write_as_server<R>(
        self: &Arc<Self>,
        write: impl FnOnce(&mut TransactionMut<'_>) -> R,
    ) -> Result<R, RoomError> {
        let (result, update, compact) = {
            let mut state = self.lock();
            if state.unloaded {
                return Err(RoomError::Unloaded);
            }
            let written = self.write_locked(&mut state, write);
            if let Ok((_, update, _)) = &written {
                state.record_stale |= update.is_some();
            }
            self.settle_locked(&mut state);
            written?
        };
        let changed = update.is_some();
        self.publish(update, compact).await?;
        if changed {
            self.recompute.notify_one();
        }
        Ok(result)
    }

    /// Runs `write` in one server transaction and appends what it changed to the log.
    /// Returns its result, the update (`None` if nothing changed) and whether a compaction
    /// is due; [`Room::publish`] takes it from there once the lock is released.
    fn write_locked<R>(
        &self,
        state: &mut RoomState,
        write: impl FnOnce(&mut TransactionMut<'_>) -> R,
    ) -> Result<(R, Option<Vec<u8>>, bool), RoomError> {
        self.wake_locked(state)?;
        let doc = state.awake()?.doc().clone();
        // The engine and yrs may panic on a document no rule foresaw; what the transaction
        // half-wrote is then in memory only, and the room must be reloaded from its log.
        let written = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut_with(SERVER_ORIGIN);
            let result = write(&mut txn);
            (result, txn.encode_update_v1())
        }));
        let Ok((result, update)) = written else {
            self.poison_locked(state, None);
            return Err(RoomError::Poisoned);
        };
        if sync::is_empty_update(&update) {
            return Ok((result, None, false));
        }
        let compact = match self.append_locked(state, &update) {
            Ok(compact) => compact,
            Err(error) => {
                // Applied but not logged: only a reload from the log makes the two agree.
                self.poison_locked(state, None);
                return Err(error.into());
            }
        };
        Ok((result, Some(update), compact))
    }

    /// Makes a server update durable (with durability on), then sends it to every peer.
    async fn publish(
        self: &Arc<Self>,
        update: Option<Vec<u8>>,
        compact: bool,
    ) -> Result<(), StoreError> {
        if compact {
            self.schedule_compaction();
        }
        if let Some(update) = update {
            self.flush_before_relay().await?;
            self.lock().broadcast(None, sync::update_message(&update));
        }
        Ok(())
    }

    /// The one point where relaying waits for the disk. With `--durability on`, returns once
    /// everything appended so far is flushed (the group-commit [`crate::store::Flusher`]),
    /// so nothing is relayed or answered before it is on disk. With `--durability off`,
    /// returns at once: what was appended is in sled's log and reaches the disk with sled's
    /// own background flush (every 500 ms by default), or with the next compaction, unload or
    /// shutdown, whichever comes first; a crash before then loses it, although clients may
    /// already have received it.
    async fn flush_before_relay(&self) -> Result<(), StoreError> {
        if self.ctx.durability.is_on() {
            self.ctx.flusher.flush().await
        } else {
            Ok(())
        }
    }

    /// The whole document as JSON.
    pub fn document_json(&self) -> Result<serde_json::Value, RoomError> {
        self.read(|txn| workshop_shared::export::document_json(txn))
    }

    /// Runs `f` on a read transaction of the document (exports, and tests).
    pub fn read<R>(&self, f: impl FnOnce(&yrs::Transaction<'_>) -> R) -> Result<R, RoomError> {
        let mut state = self.lock();
        self.wake_locked(&mut state)?;
        let read = {
            let txn = state.awake()?.doc().transact();
            f(&txn)
        };
        self.settle_locked(&mut state);
        Ok(read)
    }

    /// Whether the room holds its document encoded, nobody being connected (tests).
    #[cfg(test)]
    pub(crate) fn is_asleep(&self) -> bool {
        matches!(self.lock().held, Held::Asleep(_))
    }

    /// [`Room::read`], for tests: a room that cannot be read fails the test.
    #[cfg(test)]
    pub(crate) fn peek<R>(&self, f: impl FnOnce(&yrs::Transaction<'_>) -> R) -> R {
        self.read(f).expect("the room's document can be read")
    }

    /// Folds the update log into a new snapshot and flushes. Returns how many updates the room
    /// had appended when it started ([`Room::retire_if_unchanged`] compares with it).
    ///
    /// Under the lock this only notes how far the log reaches; the snapshot is built from
    /// storage on the compactor thread ([`crate::store::compaction`]), so the room keeps
    /// applying and relaying updates meanwhile.
    pub async fn compact(&self) -> Result<u64, StoreError> {
        let _serial = self.compaction.lock().await;
        let (covers, entries, bytes) = {
            let mut state = self.lock();
            state.compaction_queued = false;
            // Normally the recompute after a change has done this already; with recompute
            // off this is where title, place and `updated_at` reach the workshop list.
            if state.record_stale {
                self.refresh_record_locked(&mut state)?;
            }
            (state.appended, state.log_entries, state.log_bytes)
        };
        if entries > 0 {
            // Everything the room appended so far must be in the store before the fold reads
            // where its log ends.
            self.ctx.flusher.flush().await?;
            let started = std::time::Instant::now();
            let compacted = self
                .ctx
                .compactor
                .fold_log(SharedStorage::clone(&self.ctx.store), self.id)
                .await?;
            crate::metrics::compacted(started.elapsed());
            tracing::debug!(
                removed = compacted.removed,
                snapshot_bytes = compacted.snapshot_bytes,
                covers = compacted.covers,
                "compacted update log into a snapshot"
            );
            let mut state = self.lock();
            state.log_entries = state.log_entries.saturating_sub(entries);
            state.log_bytes = state.log_bytes.saturating_sub(bytes);
            state.snapshot_bytes = compacted.snapshot_bytes as u64;
        }
        self.ctx.flusher.flush().await?;
        Ok(covers)
    }

    fn schedule_compaction(self: &Arc<Self>) {
        if !self.leads() {
            // The server that leads compacts; this one looks again after its next change.
            self.lock().compaction_queued = false;
            return;
        }
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

    /// Marks the room unloaded if it appended nothing since it had appended `covers` updates
    /// and nobody is connected. Returns whether it did; after that the room refuses further
    /// work.
    pub(crate) fn retire_if_unchanged(&self, covers: u64) -> bool {
        let mut state = self.lock();
        if state.appended != covers || !state.peers.is_empty() {
            return false;
        }
        state.unloaded = true;
        self.stop.cancel();
        true
    }

    /// Whether the room was unloaded (by an unload, a shutdown, or a panic while applying a
    /// change); a retired room takes no more work and must be loaded afresh.
    pub(crate) fn is_retired(&self) -> bool {
        self.lock().unloaded
    }

    /// Marks the room unloaded unconditionally (shutdown, or a load that lost a race).
    pub(crate) fn retire(&self) {
        self.lock().unloaded = true;
        self.stop.cancel();
    }

    /// Just loaded: with recompute on, brings `results` up to date (they depend on today's
    /// date too, so they may be stale even if nobody edited) and starts the recompute task.
    /// With recompute off, does nothing: there is no recompute task at all, and the wake-ups
    /// that changes send ([`Notify`]) are never waited for and cost nothing.
    pub(crate) async fn start_recompute(self: &Arc<Self>) -> Result<(), RoomError> {
        let heard = self
            .heard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(heard) = heard {
            let span = tracing::info_span!("heard", workshop = %self.id);
            self.ctx
                .tasks
                .spawn(Arc::clone(self).hear(heard).instrument(span));
        }
        if self.ctx.recompute.is_on() {
            self.recompute_and_publish().await?;
            let span = tracing::info_span!("room", workshop = %self.id);
            self.ctx
                .tasks
                .spawn(Arc::clone(self).recompute_loop().instrument(span));
        }
        Ok(())
    }

    /// Takes in what other servers sharing the store append to the workshop, and follows
    /// whether this server leads it, until the room stops.
    async fn hear(self: Arc<Self>, heard: flume::Receiver<Heard>) {
        loop {
            let next = tokio::select! {
                () = self.stop.cancelled() => break,
                next = heard.recv_async() => next,
            };
            let Ok(next) = next else { break };
            let taken = match next {
                Heard::Updates(updates) => self.keep_taking_in(Some(updates)).await,
                Heard::Gap => self.keep_taking_in(None).await,
                Heard::Presence(message) => {
                    self.hear_presence(&message);
                    Ok(())
                }
                Heard::Lease(leads) => {
                    self.leads.store(leads, Ordering::Relaxed);
                    crate::metrics::lead_changed(leads);
                    tracing::info!(leads, "the workshop's lease changed hands");
                    if leads {
                        // The last leader may have died before writing the figures.
                        self.recompute.notify_one();
                    }
                    Ok(())
                }
            };
            match taken {
                Ok(()) => {}
                Err(RoomError::Unloaded) => break,
                Err(error) => tracing::warn!(%error, "cannot take in another server's update"),
            }
        }
        if self.leads.swap(false, Ordering::Relaxed) {
            crate::metrics::lead_changed(false);
        }
    }

    /// Relays presence another server's clients sent to this room's peers. A room nobody is
    /// connected to keeps no presence, and has nobody to tell.
    fn hear_presence(&self, message: &[u8]) {
        let mut state = self.lock();
        if state.peers.is_empty() || state.unloaded {
            return;
        }
        let Ok(messages) = sync::decode_frame(message) else {
            tracing::warn!("unreadable presence from another server");
            return;
        };
        for message in messages {
            let Inbound::Awareness(update) = message else {
                continue;
            };
            let relay = match state.awake().and_then(|core| core.hear_presence(update)) {
                Ok(relay) => relay,
                Err(error) => {
                    tracing::warn!(%error, "cannot take in presence from another server");
                    continue;
                }
            };
            if let Some(relay) = relay {
                state.broadcast(None, relay);
            }
        }
    }

    /// Takes in `updates` (or, for `None`, everything stored: [`Room::catch_up`]) until that
    /// succeeds: a failure to read the store (Redis restarting) must not lose what another
    /// server appended, so it is tried again, with growing pauses, until the room stops.
    async fn keep_taking_in(
        self: &Arc<Self>,
        updates: Option<Vec<Vec<u8>>>,
    ) -> Result<(), RoomError> {
        let mut pause = std::time::Duration::from_millis(50);
        loop {
            let taken = match &updates {
                Some(updates) => self.take_in(updates.clone()).await,
                None => self.catch_up().await,
            };
            match taken {
                Err(error @ (RoomError::Store(_) | RoomError::NotFound)) => {
                    tracing::warn!(%error, "cannot take in another server's update yet; trying again");
                    tokio::select! {
                        () = self.stop.cancelled() => return Err(RoomError::Unloaded),
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(std::time::Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    /// Takes in updates another server appended: they were judged there and are durable, so
    /// they go to every peer at once. The owners of client ids this room has not seen are read
    /// from the store first.
    async fn take_in(self: &Arc<Self>, updates: Vec<Vec<u8>>) -> Result<(), RoomError> {
        let clients = writers_of(&updates);
        let unowned = {
            let mut state = self.lock();
            self.wake_locked(&mut state)?;
            !state.awake()?.unowned(&clients).is_empty()
        };
        let owners = if unowned {
            let (store, id) = (SharedStorage::clone(&self.ctx.store), self.id);
            blocking(move || store.owners(id)).await?
        } else {
            Vec::new()
        };
        let compact = {
            let mut state = self.lock();
            if state.unloaded {
                return Err(RoomError::Unloaded);
            }
            self.wake_locked(&mut state)?;
            // The figures' model follows the document's own observers.
            if let Err(error) = state.awake()?.take_in(owners, &clients, &updates) {
                if matches!(error, RoomError::Poisoned) {
                    self.poison_locked(&mut state, None);
                }
                return Err(error);
            }
            for update in &updates {
                state.log_entries += 1;
                state.log_bytes += update.len() as u64;
                state.broadcast(None, sync::update_message(update));
            }
            state.record_stale = true;
            let limits = self.ctx.limits;
            let due = !state.compaction_queued
                && limits.due(state.log_entries, state.log_bytes, state.snapshot_bytes);
            state.compaction_queued |= due;
            self.settle_locked(&mut state);
            due
        };
        if compact {
            self.schedule_compaction();
        }
        if self.leads() {
            self.recompute.notify_one();
        }
        Ok(())
    }

    /// Entries were trimmed before this server read them: takes in the stored snapshot and
    /// log, which hold them.
    async fn catch_up(self: &Arc<Self>) -> Result<(), RoomError> {
        let (store, id) = (SharedStorage::clone(&self.ctx.store), self.id);
        let stored = blocking(move || store.load(id))
            .await?
            .ok_or(RoomError::NotFound)?;
        let updates = stored
            .snapshot
            .into_iter()
            .chain(stored.updates.into_iter().map(|entry| entry.update))
            .collect();
        self.take_in(updates).await
    }

    /// The room's background task: recompute after client changes until stopped.
    ///
    /// While the room's budget allows ([`super::budget`]), a change is recomputed at once by
    /// [`Room::receive`] itself, so the change and its figures go out together. Changes that
    /// find the budget spent are left to this task, which waits until the budget allows a run
    /// and gives them one. Wake-ups during a run or a wait coalesce ([`Notify`] keeps one
    /// permit), so a busy room recomputes at most as often as its budget allows however many
    /// updates arrive, and its relay never waits for the engine.
    async fn recompute_loop(self: Arc<Self>) {
        let interval = self.ctx.recompute_interval;
        loop {
            tokio::select! {
                () = self.stop.cancelled() => break,
                () = self.recompute.notified() => {}
            }
            // Until the budget allows a run: a change recomputed meanwhile may have spent it.
            loop {
                let now = tokio::time::Instant::now();
                let ready = {
                    let mut state = self.lock();
                    let ready = state.budget.ready_at(interval, now);
                    if ready <= now {
                        state.budget.spend(interval, now);
                    }
                    ready
                };
                if ready <= now {
                    break;
                }
                tokio::select! {
                    () = self.stop.cancelled() => return,
                    () = tokio::time::sleep_until(ready) => {}
                }
            }
            match self.recompute_and_publish().await {
                Ok(_) => {}
                Err(RoomError::Unloaded) => break,
                Err(error) => tracing::warn!(%error, "recompute failed"),
            }
        }
    }
}
