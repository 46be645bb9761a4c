//! Loaded workshops: the registry ([`Rooms`]) and the room itself ([`Room`]).
//!
//! A room is loaded from storage on first use (a WebSocket join or an HTTP read) and stays
//! loaded while anyone holds a [`Lease`] on it. Once the last lease is dropped, a timer waits
//! `idle_unload`; if the room is still unused it is snapshotted, flushed and dropped. Leases
//! are counted under the registry lock, so a room is never unloaded while someone is about
//! to use it, and never loaded twice.
//!
//! Loaded rooms are bounded (`max_loaded`, `--max-loaded-workshops`): a load that would pass
//! the bound first unloads the least recently used room nobody holds, the way an idle room is
//! unloaded; when every loaded room is held, the load is refused ([`LeaseError::Full`],
//! `bound.rs`).
//!
//! Each room judges every client message before any of it takes effect, in its core
//! (`core.rs`, no I/O): updates by what they would do once integrated (`guard.rs`: applied to
//! the document in one transaction and judged by what yrs did, under the rules of
//! [`workshop_shared::access`]; a refused one is rolled back by rebuilding the document from
//! the log), client ids by who owns them (`writers.rs`), presence by who speaks for it
//! (`presence.rs`).

mod bound;
mod budget;
mod core;
mod guard;
mod presence;
mod room;
pub mod writers;

pub use self::core::{writers_of, Effects, MemoryRoom, RoomCore};
pub use bound::LeaseError;
pub use presence::{PresenceError, MAX_PRESENCE_BYTES};
pub use room::{
    outbox, Backlog, ConnId, Inbox, Outbox, Outgoing, Peer, Room, RoomError, CLOSE_RELOADING,
    SERVER_ORIGIN,
};
pub use writers::{Author, MAX_NEW_CLIENTS_PER_CONNECTION};

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;
use uuid::Uuid;
use workshop_shared::template::{self, WorkshopMeta};
use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::clock::Clock;
use crate::config::Switch;
use crate::store::{blocking, Compactor, Flusher, SharedStorage, StoreError, WorkshopRecord};

/// When a workshop's update log is folded into a snapshot.
///
/// A compaction costs in proportion to the whole document, so a log is folded once it holds
/// at least `after_updates` updates *and* half as many bytes as the last snapshot: however
/// long a workshop's history, compaction work stays proportional to what is written, and a
/// cold load replays at most about half a snapshot's worth of log. `after_bytes` caps the
/// log whatever the snapshot's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactionLimits {
    /// Compact once the log holds this many updates (and half the snapshot's bytes).
    pub after_updates: u64,
    /// Compact once the log holds this many bytes, in any case.
    pub after_bytes: u64,
}

impl CompactionLimits {
    /// Whether a log of `entries` updates and `bytes` bytes, after a snapshot of
    /// `snapshot_bytes`, is due for a compaction.
    pub fn due(&self, entries: u64, bytes: u64, snapshot_bytes: u64) -> bool {
        bytes >= self.after_bytes || (entries >= self.after_updates && bytes >= snapshot_bytes / 2)
    }
}

impl Default for CompactionLimits {
    fn default() -> Self {
        CompactionLimits {
            after_updates: 500,
            after_bytes: 1024 * 1024,
        }
    }
}

/// How rooms are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomSettings {
    /// When update logs are compacted.
    pub compaction: CompactionLimits,
    /// How long an unused room stays loaded.
    pub idle_unload: Duration,
    /// `--recompute`: whether rooms run the engine and write `results` after changes. Off,
    /// no engine runs at creation, at load or after a change, and `results` is never written.
    pub recompute: Switch,
    /// `--recompute-interval-ms`: how often a busy room may recompute; its budget of runs
    /// refills at one per interval (see `rooms/budget.rs`).
    pub recompute_interval: Duration,
    /// `--durability`: whether updates are flushed to disk before they are relayed and sync
    /// steps answered. Off, they are still appended to the log but relayed at once, and sled
    /// writes them on its own schedule: a crash can lose updates clients have received.
    pub durability: Switch,
    /// `--max-loaded-workshops`: rooms loaded (or being loaded) at once.
    pub max_loaded: usize,
}

impl Default for RoomSettings {
    fn default() -> Self {
        RoomSettings {
            compaction: CompactionLimits::default(),
            idle_unload: Duration::from_secs(30),
            recompute: Switch::On,
            recompute_interval: Duration::from_millis(100),
            durability: Switch::On,
            max_loaded: 1000,
        }
    }
}

/// What every room needs from the rest of the server.
#[derive(Debug, Clone)]
pub(crate) struct RoomContext {
    pub(crate) store: SharedStorage,
    pub(crate) flusher: Flusher,
    /// Folds update logs into snapshots, one room after another, at low priority.
    pub(crate) compactor: Compactor,
    pub(crate) clock: Clock,
    pub(crate) limits: CompactionLimits,
    /// Whether rooms recompute results (`--recompute`).
    pub(crate) recompute: Switch,
    /// How often a busy room may recompute ([`budget`]).
    pub(crate) recompute_interval: Duration,
    /// Whether updates are flushed before they are relayed (`--durability`).
    pub(crate) durability: Switch,
    /// Background work (recompute loops, compactions, unload timers), awaited on shutdown.
    pub(crate) tasks: TaskTracker,
}

/// Registry entry of one workshop.
struct Slot {
    /// Filled once by whichever caller loads the room first; the others wait on it.
    room: Arc<OnceCell<Arc<Room>>>,
    leases: usize,
    /// When the last lease was dropped; `None` while leased.
    idle_since: Option<Instant>,
    /// Whether an unload timer is watching this slot (at most one is).
    timer_running: bool,
}

struct Registry {
    ctx: RoomContext,
    idle_unload: Duration,
    /// Rooms loaded or being loaded at once, at most.
    max_loaded: usize,
    slots: Mutex<HashMap<Uuid, Slot>>,
    shutdown: CancellationToken,
}

/// The loaded workshops; cheap to clone.
#[derive(Clone)]
pub struct Rooms {
    registry: Arc<Registry>,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms")
            .field("loaded", &self.loaded())
            .finish_non_exhaustive()
    }
}

/// What became of a room [`Rooms::unload_if_idle_since`] was asked to unload.
enum Unload {
    /// Persisted and unloaded.
    Unloaded,
    /// Persisted, but used or changed meanwhile, so kept loaded.
    Kept,
    /// Its slot was gone already.
    Gone,
}

/// The right to use a loaded room; the room stays loaded while a lease exists.
pub struct Lease {
    rooms: Rooms,
    room: Arc<Room>,
}

impl Deref for Lease {
    type Target = Arc<Room>;

    fn deref(&self) -> &Arc<Room> {
        &self.room
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.rooms.release(&self.room);
    }
}

impl Rooms {
    /// Creates an empty registry and starts the storage flusher. Background work is spawned
    /// on `tasks` and stops when `shutdown` is cancelled. Must be called inside a runtime.
    pub fn new(
        store: impl Into<SharedStorage>,
        clock: Clock,
        settings: RoomSettings,
        tasks: TaskTracker,
        shutdown: CancellationToken,
    ) -> Rooms {
        let store = store.into();
        let flusher = Flusher::spawn(SharedStorage::clone(&store));
        Rooms::with_flusher(store, flusher, clock, settings, tasks, shutdown)
    }

    fn with_flusher(
        store: SharedStorage,
        flusher: Flusher,
        clock: Clock,
        settings: RoomSettings,
        tasks: TaskTracker,
        shutdown: CancellationToken,
    ) -> Rooms {
        Rooms {
            registry: Arc::new(Registry {
                ctx: RoomContext {
                    flusher,
                    compactor: Compactor::spawn(),
                    store,
                    clock,
                    limits: settings.compaction,
                    recompute: settings.recompute,
                    recompute_interval: settings.recompute_interval,
                    durability: settings.durability,
                    tasks,
                },
                idle_unload: settings.idle_unload,
                max_loaded: settings.max_loaded.max(1),
                slots: Mutex::new(HashMap::new()),
                shutdown,
            }),
        }
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<Uuid, Slot>> {
        // The map is consistent after every statement, so a panic elsewhere cannot corrupt it.
        self.registry
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The server's clock.
    pub fn clock(&self) -> &Clock {
        &self.registry.ctx.clock
    }

    /// Number of rooms loaded or being loaded.
    pub fn loaded(&self) -> usize {
        self.slots()
            .values()
            .filter(|slot| slot.room.initialized())
            .count()
    }

    /// The rooms loaded now.
    pub fn each_loaded(&self) -> Vec<Arc<Room>> {
        self.slots()
            .values()
            .filter_map(|slot| slot.room.get().cloned())
            .collect()
    }

    /// Creates a workshop from the template, computes its first results (unless recompute is
    /// off) and stores it durably, whatever `--durability` says. Returns its new id.
    pub async fn create(&self, title: String, place: String) -> Result<Uuid, RoomError> {
        let ctx = &self.registry.ctx;
        let id = Uuid::new_v4();
        let created_at = ctx.clock.timestamp();
        let meta = WorkshopMeta {
            title: title.clone(),
            place: place.clone(),
            created_at: created_at.clone(),
        };
        let doc = Doc::new();
        template::fill(&mut doc.transact_mut_with(SERVER_ORIGIN), &meta);
        if ctx.recompute.is_on() {
            workshop_shared::recompute(
                &mut doc.transact_mut_with(SERVER_ORIGIN),
                ctx.clock.today(),
            );
        }
        let snapshot = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let record = WorkshopRecord {
            title,
            place,
            updated_at: created_at.clone(),
            created_at,
        };
        let store = ctx.store.clone();
        blocking(move || store.create(id, &record, &snapshot)).await?;
        ctx.flusher.flush().await?;
        tracing::info!(workshop = %id, "created workshop");
        Ok(id)
    }

    /// Returns a lease on the workshop's room, loading it if needed. A load that would pass
    /// the bound on loaded rooms first unloads the least recently used room nobody holds, or
    /// is refused with [`LeaseError::Full`] when every loaded room is held.
    pub async fn lease(&self, id: Uuid) -> Result<Lease, LeaseError> {
        loop {
            let cell = match self.place(id)? {
                bound::Place::Slot(cell) => cell,
                bound::Place::MakeWay(victim) => {
                    self.make_way(victim).await?;
                    continue;
                }
            };
            let room = match cell.get_or_try_init(|| self.load(id)).await {
                Ok(room) => room.clone(),
                Err(error) => {
                    self.forget_unloaded(id, &cell);
                    return Err(error.into());
                }
            };
            let mut slots = self.slots();
            if room.is_retired() {
                // Dropped after a change panicked (see `Room::poison`): load it afresh from
                // its log. Its remaining leases end as their connections close.
                if slots
                    .get(&id)
                    .is_some_and(|slot| Arc::ptr_eq(&slot.room, &cell))
                {
                    slots.remove(&id);
                }
                continue;
            }
            match slots.get_mut(&id) {
                Some(slot) if Arc::ptr_eq(&slot.room, &cell) => {
                    slot.leases += 1;
                    slot.idle_since = None;
                    return Ok(Lease {
                        rooms: self.clone(),
                        room,
                    });
                }
                // The slot was dropped while we loaded (a failed load next to ours, or an
                // unload): this copy is not the registered one, so retire it and start over.
                _ => {
                    drop(slots);
                    room.retire();
                }
            }
        }
    }

    /// Drops a slot whose load failed, unless someone else has since filled or leased it.
    fn forget_unloaded(&self, id: Uuid, cell: &Arc<OnceCell<Arc<Room>>>) {
        let mut slots = self.slots();
        if let Some(slot) = slots.get(&id) {
            if Arc::ptr_eq(&slot.room, cell) && !slot.room.initialized() && slot.leases == 0 {
                slots.remove(&id);
            }
        }
    }

    async fn load(&self, id: Uuid) -> Result<Arc<Room>, RoomError> {
        let ctx = &self.registry.ctx;
        let store = ctx.store.clone();
        let stored = blocking(move || store.load(id))
            .await?
            .ok_or(RoomError::NotFound)?;
        // Replaying a long log is CPU work of many milliseconds: the blocking pool does it,
        // not the workers that serve every other connection.
        let (room_ctx, stop) = (ctx.clone(), self.registry.shutdown.child_token());
        let room = Arc::new(blocking(move || Room::restore(id, stored, room_ctx, stop)).await?);
        tracing::info!(workshop = %id, client_id = %room.client_id(), "loaded workshop");
        room.start_recompute().await?;
        Ok(room)
    }

    fn release(&self, room: &Arc<Room>) {
        let id = room.id();
        let cell = {
            let mut slots = self.slots();
            let Some(slot) = slots.get_mut(&id) else {
                return;
            };
            // A lease on a room that was dropped and loaded afresh since says nothing about
            // the new one.
            if !slot
                .room
                .get()
                .is_some_and(|loaded| Arc::ptr_eq(loaded, room))
            {
                return;
            }
            slot.leases = slot.leases.saturating_sub(1);
            if slot.leases > 0 {
                return;
            }
            slot.idle_since = Some(Instant::now());
            // Leases are dropped from async tasks; without a runtime (the end of a test)
            // there is nothing left to unload for.
            if slot.timer_running || tokio::runtime::Handle::try_current().is_err() {
                return;
            }
            slot.timer_running = true;
            slot.room.clone()
        };
        let rooms = self.clone();
        let span = tracing::info_span!("unload", workshop = %id);
        self.registry
            .ctx
            .tasks
            .spawn(rooms.unload_when_idle(id, cell).instrument(span));
    }

    /// The slot's unload timer: unloads the room once it has been unused for `idle_unload`,
    /// and ends early if the room is leased again. One timer per slot, however many leases
    /// come and go, so a stream of HTTP reads does not pile up sleeping tasks. The timer
    /// belongs to the slot of `cell`: once that slot is gone (unloaded to make way for
    /// another room), a later slot of the same workshop gets a timer of its own.
    async fn unload_when_idle(self, id: Uuid, cell: Arc<OnceCell<Arc<Room>>>) {
        loop {
            let Some(idle_since) = self.idle_since_or_stop(id, &cell) else {
                return;
            };
            let deadline = idle_since + self.registry.idle_unload;
            if Instant::now() < deadline {
                tokio::select! {
                    () = self.registry.shutdown.cancelled() => return,
                    () = tokio::time::sleep_until(deadline.into()) => {}
                }
                // Check again: the room may have been used in the meantime.
                continue;
            }
            match self.unload_if_idle_since(id, &cell, idle_since).await {
                Ok(Unload::Unloaded) => {
                    tracing::info!("unloaded idle workshop");
                    return;
                }
                Ok(Unload::Gone) => return,
                // Used meanwhile, or changed since the snapshot (a late recompute): go round
                // with its new idle start, if any.
                Ok(Unload::Kept) => {}
                Err(error) => {
                    tracing::warn!(%error, "cannot persist idle workshop; keeping it loaded");
                    self.restart_idle_clock(id);
                }
            }
        }
    }

    /// Persists the room of `cell` (a snapshot, flushed) and unloads it if it is still unused
    /// since `idle_since` and unchanged since the snapshot. The idle timer and the bound on
    /// loaded rooms both unload this way.
    async fn unload_if_idle_since(
        &self,
        id: Uuid,
        cell: &Arc<OnceCell<Arc<Room>>>,
        idle_since: Instant,
    ) -> Result<Unload, StoreError> {
        let Some(room) = self
            .slots()
            .get(&id)
            .filter(|slot| Arc::ptr_eq(&slot.room, cell))
            .and_then(|slot| slot.room.get().cloned())
        else {
            return Ok(Unload::Gone);
        };
        // Persist first, outside the registry lock; use in the meantime just cancels the
        // unload below.
        let covers = room.compact().await?;
        let mut slots = self.slots();
        let Some(slot) = slots
            .get_mut(&id)
            .filter(|slot| Arc::ptr_eq(&slot.room, cell))
        else {
            return Ok(Unload::Gone);
        };
        if slot.leases != 0 || slot.idle_since != Some(idle_since) {
            return Ok(Unload::Kept);
        }
        if room.retire_if_unchanged(covers) {
            slots.remove(&id);
            return Ok(Unload::Unloaded);
        }
        // Changed since the snapshot: it counts as used now.
        slot.idle_since = Some(Instant::now());
        Ok(Unload::Kept)
    }

    /// The slot's idle start, or `None` (and the timer marked stopped) if the slot of `cell`
    /// is gone or leased.
    fn idle_since_or_stop(&self, id: Uuid, cell: &Arc<OnceCell<Arc<Room>>>) -> Option<Instant> {
        let mut slots = self.slots();
        let slot = slots
            .get_mut(&id)
            .filter(|slot| Arc::ptr_eq(&slot.room, cell))?;
        match slot.idle_since {
            Some(since) if slot.leases == 0 => Some(since),
            _ => {
                slot.timer_running = false;
                None
            }
        }
    }

    fn restart_idle_clock(&self, id: Uuid) {
        if let Some(slot) = self.slots().get_mut(&id) {
            if slot.leases == 0 {
                slot.idle_since = Some(Instant::now());
            }
        }
    }

    /// Persists every loaded room (snapshot and flush) and retires it. Used on shutdown,
    /// after the connections are closed.
    pub async fn persist_all(&self) -> Result<(), StoreError> {
        let rooms: Vec<Arc<Room>> = self
            .slots()
            .drain()
            .filter_map(|(_, slot)| slot.room.get().cloned())
            .collect();
        let mut result = Ok(());
        for room in rooms {
            if let Err(error) = room.compact().await {
                tracing::error!(workshop = %room.id(), %error, "cannot persist workshop");
                result = Err(error);
            }
            room.retire();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::{Store, StoredDoc};
    use crate::sync;
    use workshop_shared::access::Capability;
    use workshop_shared::schema;
    use yrs::sync::Message;
    use yrs::updates::decoder::Decode;
    use yrs::updates::encoder::Encode;
    use yrs::{GetString, Map, Text, Update};

    fn rooms_with(store: Store, compaction: CompactionLimits) -> Rooms {
        Rooms::new(
            store,
            Clock::system(),
            RoomSettings {
                compaction,
                idle_unload: Duration::from_secs(3600),
                ..RoomSettings::default()
            },
            TaskTracker::new(),
            CancellationToken::new(),
        )
    }

    /// A connection with the facilitator's token.
    fn facilitator() -> Author {
        Author::new(Capability::Facilitator, "facilitator-token")
    }

    fn rooms() -> Rooms {
        rooms_with(Store::temporary().unwrap(), CompactionLimits::default())
    }

    /// Rooms over `store` with `--recompute` and `--durability` as given.
    fn switched(store: Store, recompute: Switch, durability: Switch, tasks: TaskTracker) -> Rooms {
        Rooms::new(
            store,
            Clock::system(),
            RoomSettings {
                idle_unload: Duration::from_secs(3600),
                recompute,
                durability,
                ..RoomSettings::default()
            },
            tasks,
            CancellationToken::new(),
        )
    }

    /// Keys in the `results` map of a document.
    fn results_keys<T: ReadTxn>(txn: &T) -> u32 {
        txn.get_map(schema::RESULTS)
            .map_or(0, |results| results.len(txn))
    }

    /// Every frame queued for a peer so far.
    fn frames(inbox: &mut Inbox) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        while let Ok(Outgoing::Frame(frame)) = inbox.try_recv() {
            frames.push(frame.to_vec());
        }
        frames
    }

    /// The sync updates among `frames`, applied to `doc`. Returns how many there were.
    fn apply_updates(frames: &[Vec<u8>], doc: &Doc) -> usize {
        let mut updates = 0;
        for frame in frames {
            for message in sync::decode_frame(frame).unwrap() {
                if let sync::Inbound::Update(update, _) = message {
                    doc.transact_mut().apply_update(update).unwrap();
                    updates += 1;
                }
            }
        }
        updates
    }

    /// A client replica holding the room's current document.
    fn replica(room: &Room) -> Doc {
        let state = room.peek(|txn| txn.encode_state_as_update_v1(&StateVector::default()));
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        doc
    }

    /// Makes a change on `doc` and returns it as a sync update frame.
    fn edit(doc: &Doc, change: impl FnOnce(&mut yrs::TransactionMut<'_>)) -> Vec<u8> {
        let mut txn = doc.transact_mut();
        change(&mut txn);
        sync::update_message(&txn.encode_update_v1())
    }

    fn append_text(doc: &Doc, text: &str) -> Vec<u8> {
        let body = doc.get_or_insert_text("scratch");
        edit(doc, |txn| {
            let len = body.len(txn);
            body.insert(txn, len, text);
        })
    }

    fn peer() -> (Peer, Inbox) {
        let (outbox, inbox) = outbox(64);
        (Peer::new(outbox, Backlog::new(usize::MAX)), inbox)
    }

    /// Every sync update received so far, applied to `doc`.
    /// Applies the updates of one relayed frame to `doc`.
    fn apply_frame(frame: &[u8], doc: &Doc) {
        for message in sync::decode_frame(frame).unwrap() {
            if let sync::Inbound::Update(update, _) = message {
                doc.transact_mut().apply_update(update).unwrap();
            }
        }
    }

    /// Applies what arrives in `inbox` to `doc` until `done` holds of it (within 10 s).
    async fn receive_until(inbox: &mut Inbox, doc: &Doc, done: impl Fn(&Doc) -> bool) {
        let received = tokio::time::timeout(Duration::from_secs(10), async {
            while !done(doc) {
                match inbox.recv_async().await.ok() {
                    Some(Outgoing::Frame(frame)) => apply_frame(&frame, doc),
                    other => panic!("the peer's queue ended: {other:?}"),
                }
            }
        });
        received.await.expect("what was awaited arrived in time");
    }

    fn stored_state(store: &Store, id: Uuid) -> Doc {
        let stored = store.load(id).unwrap().unwrap();
        crate::store::recovery::restore(store, id, &stored)
            .unwrap()
            .doc
    }

    #[tokio::test]
    async fn unknown_workshop_is_not_found_and_leaves_nothing_loaded() {
        let rooms = rooms();
        assert!(matches!(
            rooms.lease(Uuid::new_v4()).await,
            Err(LeaseError::Room(RoomError::NotFound))
        ));
        assert_eq!(rooms.loaded(), 0);
        assert!(rooms.slots().is_empty());
    }

    #[tokio::test]
    async fn created_workshop_loads_with_template_and_results() {
        let rooms = rooms();
        let id = rooms
            .create("Autumn".into(), "Northshire".into())
            .await
            .unwrap();
        let room = rooms.lease(id).await.unwrap();
        let meta = room.peek(|txn| workshop_shared::model::read_meta_summary(txn));
        assert_eq!(meta.title.as_deref(), Some("Autumn"));
        let has_results = room.peek(|txn| {
            txn.get_map(schema::RESULTS)
                .is_some_and(|results| results.len(txn) > 0)
        });
        assert!(has_results, "results are computed at creation");
        // A second lease shares the loaded room.
        let again = rooms.lease(id).await.unwrap();
        assert!(Arc::ptr_eq(&room, &again));
        assert_eq!(rooms.loaded(), 1);
    }

    #[tokio::test]
    async fn every_load_gets_a_fresh_client_id() {
        let rooms = rooms();
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let first = rooms.lease(id).await.unwrap();
        let first_id = first.client_id();
        drop(first);
        rooms.persist_all().await.unwrap();
        assert_eq!(rooms.loaded(), 0);
        let second = rooms.lease(id).await.unwrap();
        assert_ne!(second.client_id(), first_id);
    }

    #[tokio::test]
    async fn an_update_is_persisted_and_relayed_to_the_others_only() {
        let store = Store::temporary().unwrap();
        let rooms = rooms_with(store.clone(), CompactionLimits::default());
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (author, author_inbox) = peer();
        let (other, other_inbox) = peer();
        room.join(1, author);
        room.join(2, other);

        let client = replica(&room);
        let frame = append_text(&client, "hello");
        room.receive(1, &mut facilitator(), &[&frame])
            .await
            .unwrap();

        // Durable: a fresh replay of the store has it.
        let replay = stored_state(&store, id);
        let scratch = replay.get_or_insert_text("scratch");
        assert_eq!(scratch.get_string(&replay.transact()), "hello");

        // Relayed to the other peer as the exact frame the author sent ...
        let mut other_frames = Vec::new();
        while let Ok(Outgoing::Frame(frame)) = other_inbox.try_recv() {
            other_frames.push(frame.to_vec());
        }
        assert!(other_frames.contains(&frame));
        // ... and never echoed to the author.
        while let Ok(Outgoing::Frame(got)) = author_inbox.try_recv() {
            assert_ne!(got.to_vec(), frame);
        }
    }

    #[tokio::test]
    async fn with_recompute_off_updates_are_relayed_and_results_are_never_written() {
        let store = Store::temporary().unwrap();
        let tasks = TaskTracker::new();
        let rooms = switched(store.clone(), Switch::Off, Switch::On, tasks.clone());
        let id = rooms.create("Old".into(), "B".into()).await.unwrap();
        assert_eq!(
            results_keys(&stored_state(&store, id).transact()),
            0,
            "nothing computed at creation"
        );
        let room = rooms.lease(id).await.unwrap();
        assert!(tasks.is_empty(), "no recompute task is started");
        let (author, mut author_inbox) = peer();
        let (other, mut other_inbox) = peer();
        room.join(1, author);
        room.join(2, other);
        let author_greeting = frames(&mut author_inbox);
        let observer = replica(&room);
        frames(&mut other_inbox);

        // A change the engine would answer with new figures (`results/selected`).
        let client = replica(&room);
        let meta = client.get_or_insert_map(schema::META);
        let frame = edit(&client, |txn| {
            meta.insert(txn, schema::key::SELECTED_APPROACH, "market-management");
            meta.insert(txn, schema::key::TITLE, "New");
        });
        room.receive(1, &mut facilitator(), &[&frame])
            .await
            .unwrap();
        room.receive(1, &mut facilitator(), &[append_text(&client, "x")])
            .await
            .unwrap();
        // Time for a recompute to land, were there one.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(tasks.is_empty());

        let relayed = frames(&mut other_inbox);
        assert!(relayed.contains(&frame), "the update is relayed as sent");
        assert_eq!(apply_updates(&relayed, &observer), 2, "and nothing else");
        assert_eq!(scratch(&observer), "x");
        assert_eq!(results_keys(&observer.transact()), 0);
        assert_eq!(
            apply_updates(&frames(&mut author_inbox), &Doc::new()),
            0,
            "no results update comes back to the author"
        );
        assert!(!author_greeting.is_empty());
        assert_eq!(room.peek(|txn| results_keys(txn)), 0);
        assert_eq!(results_keys(&stored_state(&store, id).transact()), 0);

        // The results route computes on demand and writes nothing.
        let results = room.results().await.unwrap();
        assert_eq!(results.revision, 0);
        assert_eq!(results.aspects.len(), 8);
        assert_eq!(results.selected.as_deref(), Some("market-management"));
        assert_eq!(room.peek(|txn| results_keys(txn)), 0);
        assert!(frames(&mut other_inbox).is_empty());

        // The workshop record is refreshed when the room is persisted instead, and a reload
        // computes nothing either.
        drop(room);
        rooms.persist_all().await.unwrap();
        assert_eq!(store.workshop(id).unwrap().unwrap().title, "New");
        let reloaded = rooms.lease(id).await.unwrap();
        assert_eq!(reloaded.peek(|txn| results_keys(txn)), 0);
        assert_eq!(results_keys(&stored_state(&store, id).transact()), 0);
    }

    #[tokio::test]
    async fn with_durability_off_an_update_is_relayed_and_kept_in_the_log_across_a_reload() {
        let store = Store::temporary().unwrap();
        let rooms = switched(store.clone(), Switch::On, Switch::Off, TaskTracker::new());
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (author, _author_inbox) = peer();
        let (other, mut other_inbox) = peer();
        room.join(1, author);
        room.join(2, other);
        frames(&mut other_inbox);

        let client = replica(&room);
        let frame = append_text(&client, "hello");
        room.receive(1, &mut facilitator(), &[&frame])
            .await
            .unwrap();
        assert!(frames(&mut other_inbox).contains(&frame), "relayed");

        // Appended to the log, flushed or not.
        let logged = store.load(id).unwrap().unwrap();
        assert!(!logged.updates.is_empty());
        assert_eq!(scratch(&stored_state(&store, id)), "hello");

        store.flush().unwrap();
        drop(room);
        rooms.persist_all().await.unwrap();
        assert_eq!(rooms.loaded(), 0, "unloaded");
        let reloaded = rooms.lease(id).await.unwrap();
        let text = reloaded.peek(|txn| {
            txn.get_text("scratch")
                .map(|t| t.get_string(txn))
                .unwrap_or_default()
        });
        assert_eq!(text, "hello");
    }

    #[tokio::test]
    async fn with_durability_off_a_restart_replays_the_flushed_log() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let id = {
            let store = Store::open(dir.path()).unwrap();
            let rooms = Rooms::new(
                store.clone(),
                Clock::system(),
                RoomSettings {
                    durability: Switch::Off,
                    ..RoomSettings::default()
                },
                tasks.clone(),
                shutdown.clone(),
            );
            let id = rooms.create("A".into(), "B".into()).await.unwrap();
            let room = rooms.lease(id).await.unwrap();
            let client = replica(&room);
            room.receive(1, &mut facilitator(), &[append_text(&client, "kept")])
                .await
                .unwrap();
            // No snapshot, no unload: only the log and sled's flush stand behind the update.
            store.flush().unwrap();
            id
        };
        // Stop as a crash would, without persisting: end the background tasks (the recompute
        // task, the unload timer), which hold the database too.
        shutdown.cancel();
        tasks.close();
        tasks.wait().await;
        let store = crate::store::reopen(dir.path()).await;
        assert!(!store.load(id).unwrap().unwrap().updates.is_empty());
        assert_eq!(scratch(&stored_state(&store, id)), "kept");
    }

    #[tokio::test]
    async fn only_durability_on_waits_for_the_flush_to_relay_and_answer() {
        for durability in [Switch::On, Switch::Off] {
            let store = Store::temporary().unwrap();
            let setup = switched(store.clone(), Switch::Off, Switch::On, TaskTracker::new());
            let id = setup.create("A".into(), "B".into()).await.unwrap();
            // A disk that never finishes a flush.
            let (flusher, _queued) = Flusher::stalled();
            let rooms = Rooms::with_flusher(
                store.into(),
                flusher,
                Clock::system(),
                RoomSettings {
                    recompute: Switch::Off,
                    durability,
                    ..RoomSettings::default()
                },
                TaskTracker::new(),
                CancellationToken::new(),
            );
            let room = rooms.lease(id).await.unwrap();
            let (author, mut author_inbox) = peer();
            let (other, mut other_inbox) = peer();
            room.join(1, author);
            room.join(2, other);
            frames(&mut author_inbox);
            frames(&mut other_inbox);

            let client = replica(&room);
            let step1 = Message::Sync(yrs::sync::SyncMessage::SyncStep1(
                client.transact().state_vector(),
            ))
            .encode_v1();
            let update = append_text(&client, "x");
            let received = tokio::time::timeout(
                Duration::from_millis(200),
                room.receive(1, &mut facilitator(), &[&step1, &update]),
            )
            .await;
            let replies = frames(&mut author_inbox);
            let relayed = frames(&mut other_inbox);
            match durability {
                Switch::On => {
                    assert!(received.is_err(), "waits for the flush");
                    assert!(replies.is_empty() && relayed.is_empty());
                }
                Switch::Off => {
                    received.unwrap().unwrap();
                    let answered = replies.iter().any(|frame| {
                        matches!(
                            sync::decode_frame(frame).unwrap().as_slice(),
                            [sync::Inbound::Update(..)]
                        )
                    });
                    assert!(answered, "sync step 2 sent: {replies:?}");
                    assert!(relayed.contains(&update));
                }
            }
        }
    }

    #[tokio::test]
    async fn a_client_write_into_results_is_overwritten_for_everyone() {
        let rooms = rooms();
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (author, mut author_inbox) = peer();
        room.join(1, author);
        let client = replica(&room);
        let results = client.get_or_insert_map(schema::RESULTS);
        let frame = edit(&client, |txn| {
            results.insert(txn, "recommended", "forged");
            results.insert(txn, "stray", 1);
        });
        room.receive(1, &mut facilitator(), &[&frame])
            .await
            .unwrap();
        // The recompute task runs on its own; HTTP's path runs the same code synchronously.
        room.recompute_and_publish().await.unwrap();

        // Whichever of the two wrote the correction, it reaches the author once flushed.
        receive_until(&mut author_inbox, &client, |doc| {
            results.get(&doc.transact(), "stray").is_none()
        })
        .await;
        let txn = client.transact();
        assert!(results.get(&txn, "stray").is_none());
        assert_ne!(
            results.get(&txn, "recommended"),
            Some(yrs::Out::Any(yrs::Any::from("forged")))
        );
        let server_view = room.peek(|txn| {
            txn.get_map(schema::RESULTS)
                .and_then(|m| m.get(txn, "stray"))
                .is_none()
        });
        assert!(server_view);
    }

    #[tokio::test]
    async fn a_title_edit_refreshes_the_workshop_record() {
        let store = Store::temporary().unwrap();
        let rooms = rooms_with(store.clone(), CompactionLimits::default());
        let id = rooms.create("Old".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let client = replica(&room);
        let meta = client.get_or_insert_map(schema::META);
        let frame = edit(&client, |txn| {
            meta.insert(txn, schema::key::TITLE, "New");
        });
        room.receive(1, &mut facilitator(), &[&frame])
            .await
            .unwrap();
        room.recompute_and_publish().await.unwrap();
        assert_eq!(store.workshop(id).unwrap().unwrap().title, "New");
    }

    #[tokio::test]
    async fn compaction_keeps_the_content_identical() {
        let store = Store::temporary().unwrap();
        let limits = CompactionLimits {
            after_updates: 1_000_000,
            after_bytes: u64::MAX,
        };
        let rooms = rooms_with(store.clone(), limits);
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let client = replica(&room);
        for i in 0..20 {
            room.receive(
                1,
                &mut facilitator(),
                &[append_text(&client, &format!("{i},"))],
            )
            .await
            .unwrap();
        }
        let before = store.load(id).unwrap().unwrap();
        assert!(before.updates.len() >= 20);
        let json_before = serde_json::to_string(&stored_json(&store, id)).unwrap();

        room.compact().await.unwrap();

        let after = store.load(id).unwrap().unwrap();
        assert!(after.updates.is_empty());
        assert_eq!(after.next_seq, before.next_seq);
        assert_eq!(
            serde_json::to_string(&stored_json(&store, id)).unwrap(),
            json_before
        );
        let replay = stored_state(&store, id);
        let scratch = replay.get_or_insert_text("scratch");
        let expected: String = (0..20).map(|i| format!("{i},")).collect();
        assert_eq!(scratch.get_string(&replay.transact()), expected);

        // Appends after a compaction continue the sequence and survive a reload.
        room.receive(1, &mut facilitator(), &[append_text(&client, "tail")])
            .await
            .unwrap();
        drop(room);
        rooms.persist_all().await.unwrap();
        let reloaded = rooms.lease(id).await.unwrap();
        let text = reloaded.peek(|txn| {
            txn.get_text("scratch")
                .map(|t| t.get_string(txn))
                .unwrap_or_default()
        });
        assert_eq!(text, format!("{expected}tail"));
    }

    fn stored_json(store: &Store, id: Uuid) -> serde_json::Value {
        let doc = stored_state(store, id);
        // Root refs first: getting one takes a write transaction.
        let scratch = doc.get_or_insert_text("scratch");
        let txn = doc.transact();
        let mut json = workshop_shared::export::document_json(&txn);
        json["scratch"] = scratch.get_string(&txn).into();
        json
    }

    /// A room over a temporary store that compacts after `after_updates` updates (and half
    /// the snapshot's bytes), never by size alone.
    async fn compacting_after(after_updates: u64) -> (Store, TaskTracker, Lease) {
        let store = Store::temporary().unwrap();
        let tasks = TaskTracker::new();
        let rooms = Rooms::new(
            store.clone(),
            Clock::system(),
            RoomSettings {
                compaction: CompactionLimits {
                    after_updates,
                    after_bytes: u64::MAX,
                },
                idle_unload: Duration::from_secs(3600),
                ..RoomSettings::default()
            },
            tasks.clone(),
            CancellationToken::new(),
        );
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        (store, tasks, room)
    }

    /// Appends each of `texts` as its own client update, then stops the room's background
    /// work once the compactions it scheduled have finished; returns the stored document.
    async fn append_each(
        store: &Store,
        tasks: TaskTracker,
        room: Lease,
        texts: &[String],
    ) -> StoredDoc {
        let client = replica(&room);
        for text in texts {
            room.receive(1, &mut facilitator(), &[append_text(&client, text)])
                .await
                .unwrap();
        }
        // Nothing else is tracked but the recompute loop, so stop it first.
        room.retire();
        tasks.close();
        tasks.wait().await;
        store.load(room.id()).unwrap().unwrap()
    }

    #[test]
    fn a_log_is_due_by_count_and_half_the_snapshot_or_by_size_alone() {
        let limits = CompactionLimits {
            after_updates: 500,
            after_bytes: 1_000_000,
        };
        assert!(!limits.due(499, 900_000, 0), "too few updates");
        assert!(limits.due(500, 50_000, 100_000), "half the snapshot");
        assert!(!limits.due(500, 49_999, 100_000), "under half the snapshot");
        assert!(limits.due(1, 1_000_000, 10_000_000), "over the size cap");
    }

    #[tokio::test]
    async fn passing_the_threshold_compacts_the_log() {
        let (store, tasks, room) = compacting_after(5).await;
        let snapshot = store.load(room.id()).unwrap().unwrap().snapshot.unwrap();
        // Each update is as large as the first snapshot, so every five of them pass half
        // of any later snapshot too.
        let texts = vec!["x".repeat(snapshot.len()); 12];
        let stored = append_each(&store, tasks, room, &texts).await;
        assert!(
            stored.updates.len() < 5,
            "log has {} entries",
            stored.updates.len()
        );
    }

    #[tokio::test]
    async fn a_log_under_half_the_snapshot_is_not_compacted_yet() {
        let (store, tasks, room) = compacting_after(5).await;
        let texts: Vec<String> = (0..12).map(|i| i.to_string()).collect();
        let stored = append_each(&store, tasks, room, &texts).await;
        assert_eq!(stored.updates.len(), 12);
    }

    /// The `revision` stored in the document's `results` map.
    fn revision(room: &Room) -> i64 {
        room.peek(|txn| {
            let results = txn.get_map(schema::RESULTS).unwrap();
            match results.get(txn, "revision") {
                Some(yrs::Out::Any(yrs::Any::Number(n))) => n.as_i64().unwrap(),
                other => panic!("no revision in results: {other:?}"),
            }
        })
    }

    /// Rooms over `store` that recompute after a change at most once an hour: a change right
    /// after another waits for the recompute task.
    fn recomputing_hourly(store: Store) -> Rooms {
        Rooms::new(
            store,
            Clock::system(),
            RoomSettings {
                recompute_interval: Duration::from_secs(3600),
                ..RoomSettings::default()
            },
            TaskTracker::new(),
            CancellationToken::new(),
        )
    }

    /// A facilitator's agreed score on the first factor of the first aspect, as an update
    /// frame made on `doc`.
    fn agree(doc: &Doc, score: i64) -> Vec<u8> {
        factor_edit(doc, 0, |txn, factor| {
            factor.insert(txn, schema::key::AGREED_SCORE, score);
        })
    }

    /// A change to the `index`-th factor of the first aspect, as an update frame made on `doc`.
    fn factor_edit(
        doc: &Doc,
        index: usize,
        change: impl FnOnce(&mut yrs::TransactionMut<'_>, yrs::MapRef),
    ) -> Vec<u8> {
        let aspect = &workshop_shared::template::ASPECTS[0];
        edit(doc, |txn| {
            let aspects = txn.get_map(schema::ASPECTS).unwrap();
            let Some(yrs::Out::YMap(aspect_map)) = aspects.get(txn, aspect.id) else {
                panic!("no aspect map");
            };
            let Some(yrs::Out::YMap(factors)) = aspect_map.get(txn, schema::key::FACTORS) else {
                panic!("no factors map");
            };
            let Some(yrs::Out::YMap(factor)) = factors.get(txn, aspect.factors[index].0) else {
                panic!("no factor map");
            };
            change(txn, factor);
        })
    }

    const VOTER: &str = "11111111-1111-4111-8111-111111111111";

    /// `VOTER`'s score vote on the `index`-th factor of the first aspect.
    fn vote(doc: &Doc, index: usize, score: i64) -> Vec<u8> {
        factor_edit(doc, index, |txn, factor| {
            let Some(yrs::Out::YMap(scores)) = factor.get(txn, schema::key::SCORES) else {
                panic!("no scores map");
            };
            scores.insert(txn, VOTER, score);
        })
    }

    /// The first aspect's `index`-th factor in a document, as JSON.
    fn factor_json(doc: &Doc, index: usize) -> serde_json::Value {
        let aspect = &workshop_shared::template::ASPECTS[0];
        let json = workshop_shared::export::document_json(&doc.transact());
        json["aspects"][aspect.id]["factors"][aspect.factors[index].0].clone()
    }

    #[tokio::test]
    async fn a_refused_update_is_rolled_back_from_the_log_and_the_batch_goes_on() {
        let store = Store::temporary().unwrap();
        let rooms = rooms_with(store.clone(), CompactionLimits::default());
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let server = room.client_id();
        let (sender, mut sender_inbox) = peer();
        let (bystander, mut bystander_inbox) = peer();
        room.join(1, sender);
        room.join(2, bystander);
        let seen = replica(&room);
        frames(&mut bystander_inbox);
        frames(&mut sender_inbox);
        let revision_before = revision(&room);
        let rollbacks = crate::metrics::rollbacks();

        // One batch: an own vote, then a vote with an agreed score (refused whole), then
        // another own vote, each from its own replica.
        let first = vote(&replica(&room), 0, 1);
        let mixed = factor_edit(&replica(&room), 1, |txn, factor| {
            let Some(yrs::Out::YMap(scores)) = factor.get(txn, schema::key::SCORES) else {
                panic!("no scores map");
            };
            scores.insert(txn, VOTER, 2);
            factor.insert(txn, schema::key::AGREED_SCORE, 5);
        });
        let third = vote(&replica(&room), 2, 3);
        let mut voter = Author::new(Capability::Participant(VOTER.into()), "voter-token");
        room.receive(1, &mut voter, &[&first, &mixed, &third])
            .await
            .unwrap();
        assert!(
            crate::metrics::rollbacks() > rollbacks,
            "the refusal rolled back"
        );

        // The room, its log and the bystander hold both votes and nothing of the refused one.
        let held = replica(&room);
        apply_updates(&frames(&mut bystander_inbox), &seen);
        for doc in [&held, &stored_state(&store, id), &seen] {
            assert_eq!(factor_json(doc, 0)["scores"][VOTER], 1);
            assert_eq!(factor_json(doc, 1)["scores"].get(VOTER), None);
            assert_eq!(factor_json(doc, 1)["agreed_score"], serde_json::Value::Null);
            assert_eq!(factor_json(doc, 2)["scores"][VOTER], 3);
        }
        // The sender was told why.
        let denied = frames(&mut sender_inbox).iter().any(|frame| {
            matches!(
                Message::decode_v1(frame),
                Ok(Message::Auth(Some(reason))) if reason.contains("facilitator")
            )
        });
        assert!(denied, "the sender hears of the refusal");
        // The room goes on under the same client id, recomputing and writing as before.
        assert_eq!(room.client_id(), server);
        assert!(revision(&room) > revision_before);
        let late = vote(&replica(&room), 3, 4);
        room.receive(1, &mut voter, &[&late]).await.unwrap();
        assert_eq!(
            factor_json(&stored_state(&store, id), 3)["scores"][VOTER],
            4
        );
    }

    #[tokio::test]
    async fn a_room_nobody_is_connected_to_sleeps_and_wakes_with_all_it_held() {
        let store = Store::temporary().unwrap();
        let rooms = rooms_with(store.clone(), CompactionLimits::default());
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        assert!(room.is_asleep(), "loaded with nobody connected");
        let server = room.client_id();

        // A read wakes it and lets it sleep again.
        let loaded = room.peek(|txn| txn.encode_state_as_update_v1(&StateVector::default()));
        assert!(room.is_asleep());

        // A server write while asleep, then a peer: the document is the same, and the server
        // writes on under the same client id, continuing its clock.
        room.write_as_server(|txn| {
            let notes = yrs::WriteTxn::get_or_insert_map(txn, "server_notes");
            notes.insert(txn, "note", "written asleep");
        })
        .await
        .unwrap();
        assert!(room.is_asleep());
        let (peer, mut inbox) = peer();
        room.join(1, peer);
        assert!(!room.is_asleep(), "a peer wakes it");
        assert_eq!(room.client_id(), server);
        let client = Doc::new();
        client
            .transact_mut()
            .apply_update(Update::decode_v1(&loaded).unwrap())
            .unwrap();
        let step1 = Message::Sync(yrs::sync::SyncMessage::SyncStep1(
            client.transact().state_vector(),
        ))
        .encode_v1();
        room.receive(1, &mut facilitator(), &[&step1])
            .await
            .unwrap();
        receive_until(&mut inbox, &client, |doc| {
            let txn = doc.transact();
            txn.get_map("server_notes")
                .and_then(|notes| notes.get(&txn, "note"))
                .is_some()
        })
        .await;
        let before = client.transact().state_vector().get(&server);
        room.write_as_server(|txn| {
            let notes = yrs::WriteTxn::get_or_insert_map(txn, "server_notes");
            notes.insert(txn, "note", "written awake");
        })
        .await
        .unwrap();
        receive_until(&mut inbox, &client, |doc| {
            let txn = doc.transact();
            txn.get_map("server_notes")
                .and_then(|notes| notes.get(&txn, "note"))
                .is_some_and(|note| note.to_string(&txn) == "written awake")
        })
        .await;
        assert!(client.transact().state_vector().get(&server) > before);
        assert_eq!(client.transact().store().pending_update(), None);

        // The peer's edits go through the woken room; when it leaves, the room sleeps.
        let frame = append_text(&client, "hello");
        room.receive(1, &mut facilitator(), &[&frame])
            .await
            .unwrap();
        room.leave(1);
        assert!(room.is_asleep());
        let text = room.peek(|txn| txn.get_text("scratch").map(|t| t.get_string(txn)));
        assert_eq!(text.as_deref(), Some("hello"));
        let replay = stored_state(&store, id);
        let scratch = replay.get_or_insert_text("scratch");
        assert_eq!(scratch.get_string(&replay.transact()), "hello");
    }

    #[tokio::test]
    async fn a_change_after_a_quiet_spell_reaches_each_peer_with_its_figures_in_one_frame() {
        let store = Store::temporary().unwrap();
        let rooms = recomputing_hourly(store.clone());
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (author, mut author_inbox) = peer();
        let (other, mut other_inbox) = peer();
        room.join(1, author);
        room.join(2, other);
        let (author_doc, other_doc) = (replica(&room), replica(&room));
        frames(&mut author_inbox);
        frames(&mut other_inbox);
        let loaded = revision(&room);
        let with_change = crate::metrics::recomputes_with_change();

        room.receive(1, &mut facilitator(), &[agree(&author_doc, 4)])
            .await
            .unwrap();
        assert_eq!(revision(&room), loaded + 1, "recomputed with the change");
        assert!(
            crate::metrics::recomputes_with_change() > with_change,
            "and counted so"
        );

        // The other peer gets the change and the figures it caused as one update ...
        let relayed = frames(&mut other_inbox);
        assert_eq!(relayed.len(), 1, "one frame for the change and its figures");
        assert_eq!(apply_updates(&relayed, &other_doc), 1);
        let figures = |doc: &Doc| {
            let txn = doc.transact();
            let results = txn.get_map(schema::RESULTS).unwrap();
            results.get(&txn, "revision").map(|r| r.to_string(&txn))
        };
        assert_eq!(figures(&other_doc), Some((loaded + 1).to_string()));
        let agreed = |doc: &Doc| {
            let aspect = &workshop_shared::template::ASPECTS[0];
            let json = workshop_shared::export::document_json(&doc.transact());
            json["aspects"][aspect.id]["factors"][aspect.factors[0].0][schema::key::AGREED_SCORE]
                .clone()
        };
        assert_eq!(agreed(&other_doc), serde_json::json!(4));
        // ... the author gets the figures, in one frame too ...
        let answered = frames(&mut author_inbox);
        assert_eq!(answered.len(), 1);
        assert_eq!(apply_updates(&answered, &author_doc), 1);
        assert_eq!(figures(&author_doc), Some((loaded + 1).to_string()));
        // ... and the log holds both, durably.
        let replay = stored_state(&store, id);
        assert_eq!(figures(&replay), Some((loaded + 1).to_string()));
        assert_eq!(agreed(&replay), serde_json::json!(4));

        // So does every change while the room's budget lasts ...
        for (spent, score) in (2..=budget::RECOMPUTE_BURST).zip([3, 1, 2]) {
            room.receive(1, &mut facilitator(), &[agree(&author_doc, score)])
                .await
                .unwrap();
            assert_eq!(revision(&room), loaded + i64::from(spent));
            assert_eq!(apply_updates(&frames(&mut other_inbox), &other_doc), 1);
            assert_eq!(agreed(&other_doc), serde_json::json!(score));
            assert_eq!(apply_updates(&frames(&mut author_inbox), &author_doc), 1);
        }
        let spent = loaded + i64::from(budget::RECOMPUTE_BURST);
        assert_eq!(figures(&other_doc), Some(spent.to_string()));

        // ... and once it is spent, a change goes out alone, its figures to follow.
        room.receive(1, &mut facilitator(), &[agree(&author_doc, 4)])
            .await
            .unwrap();
        assert_eq!(revision(&room), spent, "not recomputed yet");
        let relayed = frames(&mut other_inbox);
        assert_eq!(relayed.len(), 1);
        apply_updates(&relayed, &other_doc);
        assert_eq!(agreed(&other_doc), serde_json::json!(4));
        assert!(frames(&mut author_inbox).is_empty());
    }

    #[tokio::test]
    async fn changes_beyond_the_recompute_budget_wait_for_it_and_are_not_lost() {
        let rooms = recomputing_hourly(Store::temporary().unwrap());
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let client = replica(&room);
        let loaded = revision(&room);

        // The first changes after a quiet spell are recomputed at once, as far as the
        // budget goes.
        for (spent, score) in (1..=budget::RECOMPUTE_BURST).zip([4, 3, 2, 1]) {
            room.receive(1, &mut facilitator(), &[agree(&client, score)])
                .await
                .unwrap();
            assert_eq!(revision(&room), loaded + i64::from(spent));
        }
        let first = revision(&room);

        // The next one waits for the budget to allow a run (an hour here).
        room.receive(1, &mut facilitator(), &[agree(&client, 4)])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            revision(&room),
            first,
            "recomputed before the interval passed"
        );

        // Nothing is lost meanwhile: a read of the figures recomputes on demand.
        let results = room.results().await.unwrap();
        assert_eq!(revision(&room), first + 1);
        assert_eq!(results.revision as i64, first + 1);
    }

    #[tokio::test]
    async fn leaving_removes_the_awareness_states_it_introduced() {
        let rooms = rooms();
        let (room, _leaver_inbox, mut stayer_inbox) = two_peers(&rooms).await;

        let mut presence = yrs::sync::Awareness::new(Doc::new());
        presence
            .set_local_state(serde_json::json!({"name": "ann"}))
            .unwrap();
        let client = presence.client_id();
        let frame = Message::Awareness(presence.update().unwrap()).encode_v1();
        room.receive(1, &mut facilitator(), &[&frame])
            .await
            .unwrap();
        room.leave(1);

        let seen = presences_seen(&mut stayer_inbox);
        assert_eq!(seen.get(&client.get()).map(String::as_str), Some("null"));
        // A newcomer is not greeted with the departed state.
        let (newcomer, newcomer_inbox) = peer();
        room.join(3, newcomer);
        let mut frames = 0;
        while let Ok(Outgoing::Frame(frame)) = newcomer_inbox.try_recv() {
            frames += 1;
            let first = sync::decode_frame(&frame).unwrap();
            assert!(matches!(first.as_slice(), [sync::Inbound::SyncStep1(_)]));
        }
        assert_eq!(frames, 1);
    }

    /// A new workshop's room with two peers joined, connections 1 and 2, and their inboxes.
    async fn two_peers(rooms: &Rooms) -> (Lease, Inbox, Inbox) {
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (first, first_inbox) = peer();
        let (second, second_inbox) = peer();
        room.join(1, first);
        room.join(2, second);
        (room, first_inbox, second_inbox)
    }

    /// An awareness message giving each of `clients` a state (`"null"` ends it) at `clock`.
    fn presences(clock: u32, clients: &[(u64, &str)]) -> Vec<u8> {
        let clients = clients
            .iter()
            .map(|(client, json)| {
                let entry = yrs::sync::awareness::AwarenessUpdateEntry {
                    clock,
                    json: (*json).into(),
                };
                (yrs::ClientID::new(*client), entry)
            })
            .collect();
        Message::Awareness(yrs::sync::AwarenessUpdate { clients }).encode_v1()
    }

    /// The presence states the frames queued for a peer mention, with their last state.
    fn presences_seen(inbox: &mut Inbox) -> HashMap<u64, String> {
        let mut seen = HashMap::new();
        while let Ok(Outgoing::Frame(frame)) = inbox.try_recv() {
            for message in sync::decode_frame(&frame).unwrap() {
                if let sync::Inbound::Awareness(update) = message {
                    for (client, entry) in update.clients {
                        seen.insert(client.get(), entry.json.to_string());
                    }
                }
            }
        }
        seen
    }

    #[tokio::test]
    async fn a_connection_speaks_for_at_most_eight_presence_states() {
        let rooms = rooms();
        let (room, _talker_inbox, mut stayer_inbox) = two_peers(&rooms).await;
        let max = crate::limits::MAX_PRESENCES_PER_CONNECTION as u64;
        let state = r#"{"name":"ann"}"#;

        // Up to the cap, and a state that ends makes room for another.
        let up_to_the_cap: Vec<(u64, &str)> = (1..=max).map(|client| (client, state)).collect();
        room.receive(1, &mut facilitator(), &[presences(1, &up_to_the_cap)])
            .await
            .unwrap();
        room.receive(
            1,
            &mut facilitator(),
            &[presences(1, &[(1, "null"), (100, state)])],
        )
        .await
        .unwrap();
        // Changing a state it already speaks for is not one more.
        room.receive(
            1,
            &mut facilitator(),
            &[presences(2, &[(100, r#"{"name":"bo"}"#)])],
        )
        .await
        .unwrap();
        let seen = presences_seen(&mut stayer_inbox);
        assert_eq!(seen.len() as u64, max + 1);
        assert_eq!(seen[&1], "null");
        assert_eq!(seen[&100], r#"{"name":"bo"}"#);

        // One more is refused, and nothing of that message is applied or relayed.
        let error = room
            .receive(
                1,
                &mut facilitator(),
                &[presences(2, &[(2, "null"), (200, state), (201, state)])],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                RoomError::Presence(PresenceError::TooMany { max: 8 })
            ),
            "{error}"
        );
        assert!(presences_seen(&mut stayer_inbox).is_empty());
        let (newcomer, mut newcomer_inbox) = peer();
        room.join(3, newcomer);
        let greeted = presences_seen(&mut newcomer_inbox);
        assert_eq!(greeted.len() as u64, max);
        assert!(!greeted.contains_key(&200) && !greeted.contains_key(&201));
        assert_eq!(greeted[&2], state);

        // Another connection has a cap of its own.
        let own: Vec<(u64, &str)> = (300..300 + max).map(|client| (client, state)).collect();
        room.receive(2, &mut facilitator(), &[presences(1, &own)])
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_change_that_panics_drops_the_room_and_the_next_lease_reloads_it_from_its_log() {
        let rooms = rooms();
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (bystander, inbox) = peer();
        room.join(2, bystander);
        let client = replica(&room);
        room.receive(1, &mut facilitator(), &[append_text(&client, "kept")])
            .await
            .unwrap();

        // A write that changes the document halfway, then panics (as a bug in the engine
        // or in yrs would).
        let written = room
            .write_as_server(|txn| {
                let scratch = yrs::WriteTxn::get_or_insert_text(txn, "scratch");
                scratch.push(txn, "+half");
                panic!("a bug halfway through a change");
            })
            .await;
        assert!(matches!(written, Err(RoomError::Poisoned)), "{written:?}");
        let closed = std::iter::from_fn(|| inbox.try_recv().ok()).any(|out| {
            matches!(
                out,
                Outgoing::Close {
                    code: CLOSE_RELOADING,
                    ..
                }
            )
        });
        assert!(closed, "connected peers are told to reconnect");
        assert!(matches!(
            room.receive(1, &mut facilitator(), &[append_text(&client, "+late")])
                .await,
            Err(RoomError::Unloaded)
        ));

        // The next user gets the workshop as its log has it.
        let again = rooms.lease(id).await.unwrap();
        assert!(!Arc::ptr_eq(&room, &again));
        let text = again.peek(|txn| txn.get_text("scratch").map(|t| t.get_string(txn)));
        assert_eq!(text.as_deref(), Some("kept"));
        drop(room);
        assert_eq!(rooms.loaded(), 1);
    }

    #[tokio::test]
    async fn a_frame_with_a_malformed_message_is_rejected_whole() {
        let rooms = rooms();
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let client = replica(&room);
        let mut frame = append_text(&client, "kept");
        frame.extend_from_slice(&[0, 7, 0]);
        assert!(matches!(
            room.receive(1, &mut facilitator(), &[&frame]).await,
            Err(RoomError::Sync(_))
        ));
        // The whole frame is decoded before anything is applied, so nothing was kept.
        let text = room.peek(|txn| txn.get_text("scratch").map(|t| t.get_string(txn)));
        assert_eq!(text.unwrap_or_default(), "");
    }

    #[tokio::test]
    async fn a_batch_applies_the_frames_before_a_malformed_one_and_nothing_after() {
        let rooms = rooms();
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let client = replica(&room);
        let first = append_text(&client, "kept");
        let second = append_text(&client, "+also");
        let garbage = vec![0, 7, 0];
        let after = append_text(&client, "+dropped");
        assert!(matches!(
            room.receive(1, &mut facilitator(), &[&first, &second, &garbage, &after])
                .await,
            Err(RoomError::Sync(_))
        ));
        let text = room.peek(|txn| txn.get_text("scratch").map(|t| t.get_string(txn)));
        assert_eq!(text.unwrap_or_default(), "kept+also");
    }

    #[tokio::test]
    async fn a_leased_room_is_never_unloaded() {
        let rooms = Rooms::new(
            Store::temporary().unwrap(),
            Clock::system(),
            RoomSettings {
                compaction: CompactionLimits::default(),
                idle_unload: Duration::from_millis(1),
                ..RoomSettings::default()
            },
            TaskTracker::new(),
            CancellationToken::new(),
        );
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        // Many short leases (HTTP reads) start at most one timer, and a held lease wins.
        for _ in 0..20 {
            drop(rooms.lease(id).await.unwrap());
        }
        let held = rooms.lease(id).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(rooms.loaded(), 1);
        let again = rooms.lease(id).await.unwrap();
        assert!(
            Arc::ptr_eq(&held, &again),
            "the held room stays the registered one"
        );
    }

    #[tokio::test]
    async fn idle_rooms_are_unloaded_after_persisting() {
        let store = Store::temporary().unwrap();
        let rooms = Rooms::new(
            store.clone(),
            Clock::system(),
            RoomSettings {
                compaction: CompactionLimits::default(),
                idle_unload: Duration::from_millis(10),
                ..RoomSettings::default()
            },
            TaskTracker::new(),
            CancellationToken::new(),
        );
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let client = replica(&room);
        room.receive(1, &mut facilitator(), &[append_text(&client, "x")])
            .await
            .unwrap();
        drop(room);
        for _ in 0..500 {
            if rooms.loaded() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(rooms.loaded(), 0, "room was not unloaded");
        let stored = store.load(id).unwrap().unwrap();
        assert!(stored.updates.is_empty(), "unloading writes a snapshot");
    }

    /// Takes every queued frame as a writer would (reporting it written) and applies the
    /// document messages to `doc`. Returns how many sync step 1 messages came.
    fn write_out(inbox: &mut Inbox, backlog: &Backlog, doc: &Doc) -> usize {
        let mut step1s = 0;
        while let Ok(Outgoing::Frame(frame)) = inbox.try_recv() {
            backlog.written(frame.len());
            for message in sync::decode_frame(&frame).unwrap() {
                match message {
                    sync::Inbound::Update(update, _) => {
                        doc.transact_mut().apply_update(update).unwrap();
                    }
                    sync::Inbound::SyncStep1(_) => step1s += 1,
                    _ => {}
                }
            }
        }
        step1s
    }

    fn scratch(doc: &Doc) -> String {
        let text = doc.get_or_insert_text("scratch");
        let txn = doc.transact();
        text.get_string(&txn)
    }

    #[tokio::test]
    async fn a_peer_with_a_full_queue_is_cut_from_the_relay_then_resynced() {
        let rooms = rooms();
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (outbox, mut inbox) = outbox(4);
        let backlog = Backlog::new(usize::MAX);
        room.join(2, Peer::new(outbox, backlog.clone()));
        let slow = Doc::new();
        assert_eq!(write_out(&mut inbox, &backlog, &slow), 1, "the greeting");
        let slow = replica(&room);

        let author = replica(&room);
        let mut expected = String::new();
        for i in 0..10 {
            let piece = format!("{i},");
            room.receive(1, &mut facilitator(), &[append_text(&author, &piece)])
                .await
                .unwrap();
            expected.push_str(&piece);
        }
        // Cut, not dropped: still a peer, with only what fitted queued.
        assert!(backlog.is_cut());
        assert_eq!(room.peer_count(), 1);
        assert_eq!(write_out(&mut inbox, &backlog, &slow), 0);
        assert_eq!(backlog.pending_bytes(), 0);
        assert_ne!(
            scratch(&slow),
            expected,
            "the frames that did not fit are missing"
        );

        // Caught up: the resync brings everything, and the relay resumes.
        room.resync(2).await.unwrap();
        assert!(!backlog.is_cut());
        assert_eq!(write_out(&mut inbox, &backlog, &slow), 1);
        assert_eq!(scratch(&slow), expected);
        room.receive(1, &mut facilitator(), &[append_text(&author, "tail")])
            .await
            .unwrap();
        write_out(&mut inbox, &backlog, &slow);
        assert_eq!(scratch(&slow), format!("{expected}tail"));
    }

    #[tokio::test]
    async fn a_peer_over_its_pending_bytes_is_cut_but_one_large_frame_always_fits() {
        let rooms = rooms();
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (outbox, mut inbox) = outbox(1024);
        let backlog = Backlog::new(1000);
        room.join(2, Peer::new(outbox, backlog.clone()));
        write_out(&mut inbox, &backlog, &Doc::new());
        let slow = replica(&room);

        let author = replica(&room);
        let large = "x".repeat(5000);
        room.receive(1, &mut facilitator(), &[append_text(&author, &large)])
            .await
            .unwrap();
        assert!(
            !backlog.is_cut(),
            "one frame into an empty queue always fits"
        );
        room.receive(1, &mut facilitator(), &[append_text(&author, "y")])
            .await
            .unwrap();
        assert!(backlog.is_cut());
        write_out(&mut inbox, &backlog, &slow);
        assert_eq!(scratch(&slow), large);

        room.resync(2).await.unwrap();
        write_out(&mut inbox, &backlog, &slow);
        assert_eq!(scratch(&slow), format!("{large}y"));
    }

    #[tokio::test]
    async fn a_cut_peer_that_left_is_not_resynced() {
        let rooms = rooms();
        let id = rooms.create("A".into(), "B".into()).await.unwrap();
        let room = rooms.lease(id).await.unwrap();
        let (outbox, mut inbox) = outbox(1);
        let backlog = Backlog::new(usize::MAX);
        room.join(2, Peer::new(outbox, backlog.clone()));
        let author = replica(&room);
        room.receive(1, &mut facilitator(), &[append_text(&author, "a")])
            .await
            .unwrap();
        assert!(backlog.is_cut());
        room.leave(2);
        write_out(&mut inbox, &backlog, &Doc::new());
        room.resync(2).await.unwrap();
        assert!(inbox.try_recv().is_err());
        assert_eq!(room.peer_count(), 0);
    }
}
