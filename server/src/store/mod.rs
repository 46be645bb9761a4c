//! Durable storage of workshops in sled.
//!
//! Five trees:
//!
//! - `workshops`: workshop id (16 bytes) → JSON [`WorkshopRecord`] (title, place, times). A
//!   workshop exists exactly when its record exists.
//! - `snapshots`: workshop id → the last snapshot of its Yjs document: big-endian u64
//!   `covers` followed by a v1 update of the whole document. Every log entry with a sequence
//!   below `covers` is contained in it.
//! - `docs`: the update log. Key `id ++ seq` (16 + 8 bytes, big-endian) → one v1 update
//!   appended after the snapshot, so one prefix scan returns a workshop's log in sequence
//!   order. Entries below the snapshot's `covers` are ignored on load: a compaction writes the
//!   snapshot before it removes them (see [`compaction`]). Stores written before snapshots had
//!   their own tree keep a workshop's snapshot here under the bare id; it is still read (the
//!   snapshot with the higher `covers` wins) and is removed by the next compaction.
//!
//!   Snapshots live apart from the log because sled rewrites a whole node when one of its
//!   keys changes: a snapshot of hundreds of kilobytes sharing a node with the log would be
//!   copied on every append and every removal.
//!
//! - `set_aside`: log records taken out of a workshop's log at load because they, or a record
//!   before them, could not be decoded or applied (see [`recovery`]); same keys as the log.
//! - `writers`: who owns each Yjs client id of a workshop (see [`writers`]).
//!
//! Calls here are synchronous and touch sled's in-memory pages only; durability comes from
//! [`Store::flush`], which [`Flusher`] batches across callers (group commit).
//!
//! [`Storage`] is the contract a store keeps, whatever it is built on; [`Store`] implements
//! it, and `storage::conformance` checks it.

pub mod compaction;
mod compactor;
mod flusher;
pub mod recovery;
pub mod redis;
pub mod storage;
pub mod tokens;
pub mod writers;

pub use compaction::Compacted;
pub use compactor::Compactor;
pub use flusher::Flusher;
pub use recovery::Restored;
pub use storage::{Heard, SharedStorage, Storage};
pub use writers::Owner;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

/// Length of a snapshot's header: the big-endian sequence it covers.
const SNAPSHOT_HEADER_LEN: usize = 8;
/// Length of a log key: workshop id then big-endian sequence.
const LOG_KEY_LEN: usize = 16 + 8;

/// Failure of the storage layer.
#[derive(Debug, Clone, Error)]
pub enum StoreError {
    /// sled reported an I/O or internal error.
    #[error("storage failure: {0}")]
    Sled(Arc<sled::Error>),
    /// Redis refused a command or could not be reached ([`redis`]).
    #[error("redis: {0}")]
    Redis(Arc<::redis::RedisError>),
    /// The shared store has not answered for too long.
    #[error("the shared store does not answer: {0}")]
    Unavailable(String),
    /// A stored value could not be decoded.
    #[error("stored data of workshop {id} is corrupt: {reason}")]
    Corrupt {
        /// The workshop whose data is corrupt.
        id: Uuid,
        /// What was wrong with it.
        reason: String,
    },
    /// The background flusher is gone (the server is shutting down).
    #[error("storage flusher has stopped")]
    FlusherStopped,
    /// A blocking storage task panicked or was cancelled.
    #[error("storage task failed: {0}")]
    Task(String),
}

impl From<::redis::RedisError> for StoreError {
    fn from(error: ::redis::RedisError) -> Self {
        StoreError::Redis(Arc::new(error))
    }
}

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> Self {
        StoreError::Sled(Arc::new(error))
    }
}

/// What the server keeps about a workshop besides its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopRecord {
    /// Title, refreshed from the document's `meta` when the room persists.
    pub title: String,
    /// Place being assessed, refreshed like the title.
    pub place: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last persisted change.
    pub updated_at: String,
}

/// One record of a workshop's update log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its sequence number.
    pub seq: u64,
    /// The v1 update, as appended.
    pub update: Vec<u8>,
}

/// A workshop's document as stored: what [`Store::load`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDoc {
    /// The last snapshot, a v1 update of the whole document, if one was written.
    pub snapshot: Option<Vec<u8>>,
    /// The log entries appended after the snapshot, in sequence order.
    pub updates: Vec<LogEntry>,
    /// The sequence number the next appended update must use.
    pub next_seq: u64,
    /// Total bytes of `updates`, for the compaction threshold.
    pub log_bytes: u64,
}

/// What [`Store::read_doc`] read, with the sequence its snapshot covers.
struct ReadDoc {
    doc: StoredDoc,
    covers: u64,
}

/// What one workshop's document takes in the database (keys and sled's own overhead aside).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredSize {
    /// Bytes of the snapshot value (its header included).
    pub snapshot_bytes: u64,
    /// Log entries kept after the snapshot (covered ones left by a cut-short compaction
    /// included: they take space until the next compaction).
    pub log_entries: u64,
    /// Bytes of those entries.
    pub log_bytes: u64,
}

/// Handle on the sled database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    workshops: sled::Tree,
    snapshots: sled::Tree,
    docs: sled::Tree,
    set_aside: sled::Tree,
    writers: sled::Tree,
    /// The sequence the next append to each workshop takes, once this process has created,
    /// loaded or appended to it ([`Storage::append`] numbers entries itself).
    next_seq: Arc<Mutex<HashMap<Uuid, u64>>>,
}

/// The page cache of [`Store::open`]: the default of `--store-cache-mib`.
pub const DEFAULT_CACHE_BYTES: u64 = 8 << 20;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database in `dir`, with a page cache of
    /// [`DEFAULT_CACHE_BYTES`].
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(dir, DEFAULT_CACHE_BYTES)
    }

    /// Opens (creating if needed) the database in `dir`, letting sled cache up to
    /// `cache_bytes` of its pages (`--store-cache-mib`).
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        Store::from_db(
            sled::Config::new()
                .path(dir)
                .cache_capacity(cache_bytes)
                .open()?,
        )
    }

    /// Opens a database that lives in a temporary directory and is deleted on drop (tests).
    pub fn temporary() -> Result<Store, StoreError> {
        Store::from_db(sled::Config::new().temporary(true).open()?)
    }

    fn from_db(db: sled::Db) -> Result<Store, StoreError> {
        Ok(Store {
            workshops: db.open_tree("workshops")?,
            snapshots: db.open_tree("snapshots")?,
            docs: db.open_tree("docs")?,
            set_aside: db.open_tree("set_aside")?,
            writers: db.open_tree("writers")?,
            next_seq: Arc::default(),
            db,
        })
    }

    /// Stores a new workshop: its first snapshot, then its record.
    ///
    /// The record goes last because its presence is what makes the workshop exist: a crash in
    /// between leaves an orphan snapshot nobody can reach, never a workshop without a document.
    pub fn create(
        &self,
        id: Uuid,
        record: &WorkshopRecord,
        snapshot: &[u8],
    ) -> Result<(), StoreError> {
        self.snapshots
            .insert(id.as_bytes(), snapshot_value(0, snapshot))?;
        self.workshops
            .insert(id.as_bytes(), encode_record(record))?;
        self.sequences().insert(id, 0);
        Ok(())
    }

    /// The record of one workshop, `None` if it does not exist.
    pub fn workshop(&self, id: Uuid) -> Result<Option<WorkshopRecord>, StoreError> {
        match self.workshops.get(id.as_bytes())? {
            None => Ok(None),
            Some(bytes) => decode_record(id, &bytes).map(Some),
        }
    }

    /// Every workshop record, in id order. Undecodable records are skipped with a warning so
    /// one damaged entry cannot hide all the others.
    pub fn list(&self) -> Result<Vec<(Uuid, WorkshopRecord)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.workshops.iter() {
            let (key, value) = entry?;
            let Ok(id) = Uuid::from_slice(&key) else {
                tracing::warn!(key = ?key, "skipping workshop record with a malformed key");
                continue;
            };
            match decode_record(id, &value) {
                Ok(record) => out.push((id, record)),
                Err(error) => tracing::warn!(%error, "skipping unreadable workshop record"),
            }
        }
        Ok(out)
    }

    /// Refreshes a workshop's `updated_at` and, where given, its title and place.
    /// Does nothing if the workshop does not exist.
    pub fn touch(
        &self,
        id: Uuid,
        title: Option<String>,
        place: Option<String>,
        updated_at: String,
    ) -> Result<(), StoreError> {
        let Some(mut record) = self.workshop(id)? else {
            return Ok(());
        };
        if let Some(title) = title {
            record.title = title;
        }
        if let Some(place) = place {
            record.place = place;
        }
        record.updated_at = updated_at;
        self.workshops
            .insert(id.as_bytes(), encode_record(&record))?;
        Ok(())
    }

    /// Loads a workshop's document: `None` if the workshop does not exist.
    ///
    /// A compaction may run meanwhile (for a loaded room rebuilding its document): it
    /// replaces the snapshot before it removes the entries the snapshot covers, so a load
    /// that finds the snapshot replaced after its scan of the log reads both again.
    pub fn load(&self, id: Uuid) -> Result<Option<StoredDoc>, StoreError> {
        loop {
            if !self.workshops.contains_key(id.as_bytes())? {
                return Ok(None);
            }
            let stored = self.read_doc(id)?;
            let covers = self.snapshot(id)?.map_or(0, |value| be_u64(&value));
            if covers == stored.covers {
                let mut sequences = self.sequences();
                let next = sequences.entry(id).or_insert(0);
                *next = (*next).max(stored.doc.next_seq);
                return Ok(Some(stored.doc));
            }
        }
    }

    /// One read of a workshop's snapshot and log, and the sequence the snapshot covers.
    fn read_doc(&self, id: Uuid) -> Result<ReadDoc, StoreError> {
        let mut stored = StoredDoc::default();
        let mut covers = 0;
        if let Some(value) = self.snapshot(id)? {
            let (header, body) = value.split_at(SNAPSHOT_HEADER_LEN);
            covers = be_u64(header);
            stored.next_seq = covers;
            stored.snapshot = Some(body.to_vec());
        }
        for entry in self.docs.scan_prefix(id.as_bytes()) {
            let (key, value) = entry?;
            if key.len() == 16 {
                // A snapshot from before the `snapshots` tree: read by `snapshot` above.
                continue;
            }
            if key.len() != LOG_KEY_LEN {
                return Err(corrupt(id, "document key of unexpected length"));
            }
            let seq = be_u64(&key[16..]);
            stored.next_seq = stored.next_seq.max(seq.saturating_add(1));
            if seq < covers {
                // Already in the snapshot; left behind by a compaction cut short.
                continue;
            }
            stored.log_bytes += value.len() as u64;
            stored.updates.push(LogEntry {
                seq,
                update: value.to_vec(),
            });
        }
        Ok(ReadDoc {
            doc: stored,
            covers,
        })
    }

    /// How much of the database one workshop's document takes: `None` if the workshop does
    /// not exist.
    pub fn stored_size(&self, id: Uuid) -> Result<Option<StoredSize>, StoreError> {
        if !self.workshops.contains_key(id.as_bytes())? {
            return Ok(None);
        }
        let mut size = StoredSize {
            snapshot_bytes: self.snapshot(id)?.map_or(0, |value| value.len() as u64),
            ..StoredSize::default()
        };
        for entry in self.docs.scan_prefix(id.as_bytes()) {
            let (key, value) = entry?;
            if key.len() == LOG_KEY_LEN {
                size.log_entries += 1;
                size.log_bytes += value.len() as u64;
            }
        }
        Ok(Some(size))
    }

    /// The stored snapshot value of `id` (header and document), checked to hold a header:
    /// the one in `snapshots`, or one left in the log tree by an older store, whichever
    /// covers more.
    fn snapshot(&self, id: Uuid) -> Result<Option<sled::IVec>, StoreError> {
        let current = self.snapshots.get(id.as_bytes())?;
        let legacy = self.docs.get(id.as_bytes())?;
        for value in current.iter().chain(legacy.iter()) {
            if value.len() < SNAPSHOT_HEADER_LEN {
                return Err(corrupt(id, "snapshot shorter than its header"));
            }
        }
        Ok(match (current, legacy) {
            (Some(current), Some(legacy)) if be_u64(&legacy) > be_u64(&current) => Some(legacy),
            (Some(current), _) => Some(current),
            (None, legacy) => legacy,
        })
    }

    /// Appends one update to a workshop's log under sequence `seq`, which the caller chose
    /// (tests, and tools that rewrite a log); [`Storage::append`] numbers entries itself.
    /// Not durable until the next [`Store::flush`].
    pub fn append_at(&self, id: Uuid, seq: u64, update: &[u8]) -> Result<(), StoreError> {
        let mut sequences = self.sequences();
        self.docs.insert(log_key(id, seq), update)?;
        if let Some(next) = sequences.get_mut(&id) {
            *next = (*next).max(seq.saturating_add(1));
        }
        Ok(())
    }

    /// Appends one update at the end of a workshop's log and returns its sequence.
    /// Not durable until the next [`Store::flush`].
    ///
    /// The sequence is taken and the entry inserted under one lock, so that every sequence
    /// below the one [`Store::end_of_log`] answers is in the log.
    pub fn append_next(&self, id: Uuid, update: &[u8]) -> Result<u64, StoreError> {
        let mut sequences = self.sequences();
        let seq = match sequences.get(&id) {
            Some(next) => *next,
            None => self.read_end_of_log(id)?,
        };
        self.docs.insert(log_key(id, seq), update)?;
        sequences.insert(id, seq.saturating_add(1));
        Ok(seq)
    }

    /// The sequence the next append to `id` takes: every entry below it is in the log.
    pub fn end_of_log(&self, id: Uuid) -> Result<u64, StoreError> {
        let mut sequences = self.sequences();
        if let Some(next) = sequences.get(&id) {
            return Ok(*next);
        }
        let next = self.read_end_of_log(id)?;
        sequences.insert(id, next);
        Ok(next)
    }

    /// Reads where a workshop's log ends: after its last entry, or where its snapshot covers
    /// up to if that is further.
    fn read_end_of_log(&self, id: Uuid) -> Result<u64, StoreError> {
        let covers = self.snapshot(id)?.map_or(0, |value| be_u64(&value));
        let last = self
            .docs
            .range(log_key(id, 0)..=log_key(id, u64::MAX))
            .keys()
            .next_back()
            .transpose()?
            .map_or(0, |key| be_u64(&key[16..]).saturating_add(1));
        Ok(covers.max(last))
    }

    fn sequences(&self) -> MutexGuard<'_, HashMap<Uuid, u64>> {
        // Every change to the map is one statement: a panic elsewhere cannot leave it torn.
        self.next_seq.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the snapshot with `snapshot`, then removes every log entry with a sequence
    /// below `covers` (see [`compaction`] for why that order is safe).
    ///
    /// The caller guarantees that `snapshot` contains every update logged below `covers`.
    /// Returns how many log entries were removed.
    pub fn compact(&self, id: Uuid, snapshot: &[u8], covers: u64) -> Result<usize, StoreError> {
        let keys = self
            .docs
            .range(log_key(id, 0)..log_key(id, covers))
            .keys()
            .collect::<Result<Vec<_>, _>>()?;
        self.replace_snapshot(id, snapshot, covers, &keys)?;
        Ok(keys.len())
    }

    /// Moves every log entry from sequence `from_seq` on into the `set_aside` tree, then
    /// replaces the snapshot with `snapshot` covering everything below `covers` (the entries
    /// moved included), as [`Store::compact`] does. Returns how many entries were moved.
    ///
    /// The copy goes first: a crash between the two steps leaves the entries in the log as
    /// well, and the next load sets them aside again, overwriting the same keys.
    pub fn set_aside(
        &self,
        id: Uuid,
        from_seq: u64,
        snapshot: &[u8],
        covers: u64,
    ) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut moved = 0;
        for entry in self.docs.range(log_key(id, from_seq)..log_key(id, covers)) {
            let (key, value) = entry?;
            batch.insert(key, value);
            moved += 1;
        }
        self.set_aside.apply_batch(batch)?;
        self.compact(id, snapshot, covers)?;
        Ok(moved)
    }

    /// The log entries of a workshop that loads have set aside, in sequence order: kept for
    /// an operator to inspect or replay by hand, never read by the server.
    pub fn set_aside_entries(&self, id: Uuid) -> Result<Vec<LogEntry>, StoreError> {
        let mut entries = Vec::new();
        for entry in self.set_aside.scan_prefix(id.as_bytes()) {
            let (key, value) = entry?;
            if key.len() != LOG_KEY_LEN {
                return Err(corrupt(id, "set-aside key of unexpected length"));
            }
            entries.push(LogEntry {
                seq: be_u64(&key[16..]),
                update: value.to_vec(),
            });
        }
        Ok(entries)
    }

    /// Reads from the database, to tell that it answers (`GET /readyz`). Blocking, like every
    /// read: it may wait on the disk.
    pub fn probe(&self) -> Result<(), StoreError> {
        self.workshops.first()?;
        Ok(())
    }

    /// Writes everything inserted so far to disk. Blocking: call it from
    /// `spawn_blocking` or through [`Flusher`].
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

fn log_key(id: Uuid, seq: u64) -> [u8; LOG_KEY_LEN] {
    let mut key = [0; LOG_KEY_LEN];
    key[..16].copy_from_slice(id.as_bytes());
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn snapshot_value(covers: u64, snapshot: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(SNAPSHOT_HEADER_LEN + snapshot.len());
    value.extend_from_slice(&covers.to_be_bytes());
    value.extend_from_slice(snapshot);
    value
}

/// Reads a big-endian u64 from the first 8 bytes; callers check the length first.
fn be_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0; 8];
    buf.copy_from_slice(&bytes[..8]);
    u64::from_be_bytes(buf)
}

pub(crate) fn encode_record(record: &WorkshopRecord) -> Vec<u8> {
    // Serialising a struct of strings into JSON cannot fail.
    serde_json::to_vec(record).unwrap_or_default()
}

pub(crate) fn decode_record(id: Uuid, bytes: &[u8]) -> Result<WorkshopRecord, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(id, &format!("workshop record: {e}")))
}

fn corrupt(id: Uuid, reason: &str) -> StoreError {
    StoreError::Corrupt {
        id,
        reason: reason.to_string(),
    }
}

/// Runs a blocking storage call off the async threads (sled reads and writes can block on
/// disk).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

/// Opens the store in `dir` again once this process has let go of it: sled refuses a second
/// open of a directory still held, and its background threads (and the server's flusher)
/// drop their handles a moment after the rest.
#[cfg(test)]
pub(crate) async fn reopen(dir: &Path) -> Store {
    let mut reopened = Store::open(dir);
    for _ in 0..500 {
        if reopened.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        reopened = Store::open(dir);
    }
    reopened.expect("the store opens again once it is released")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    // What every store must do (workshops, the log, compaction, setting aside, owners,
    // tokens) is checked by `storage::conformance`; the tests here are sled's own: its
    // key layout, cut-short compactions, older stores' snapshots, sizes and reopening.

    fn record(title: &str) -> WorkshopRecord {
        WorkshopRecord {
            title: title.into(),
            place: "Northshire".into(),
            created_at: "2026-11-23T09:00:00.000Z".into(),
            updated_at: "2026-11-23T09:00:00.000Z".into(),
        }
    }

    #[test]
    fn entries_a_snapshot_covers_are_ignored_if_a_compaction_was_cut_short() {
        let store = Store::temporary().unwrap();
        let id = Uuid::new_v4();
        store.create(id, &record("a"), b"s0").unwrap();
        for seq in 0..4 {
            store.append_at(id, seq, &[seq as u8]).unwrap();
        }
        // The first half of a compaction: the snapshot is written, the entries not removed.
        store.replace_snapshot(id, b"s1", 3, &[]).unwrap();
        let loaded = store.load(id).unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"s1"[..]));
        assert_eq!(loaded.updates, vec![entry(3, &[3])]);
        assert_eq!(loaded.log_bytes, 1);
        assert_eq!(loaded.next_seq, 4);
        // The next compaction removes what was left behind.
        assert_eq!(store.compact(id, b"s2", 4).unwrap(), 4);
        assert!(store.docs.scan_prefix(id.as_bytes()).next().is_none());
    }

    #[test]
    fn a_snapshot_kept_in_the_log_tree_by_an_older_store_is_read_then_moved() {
        let store = Store::temporary().unwrap();
        let id = Uuid::new_v4();
        store.create(id, &record("a"), b"new").unwrap();
        store.snapshots.remove(id.as_bytes()).unwrap();
        store
            .docs
            .insert(id.as_bytes(), snapshot_value(2, b"old"))
            .unwrap();
        store.append_at(id, 1, b"covered").unwrap();
        store.append_at(id, 2, b"after").unwrap();
        let loaded = store.load(id).unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"old"[..]));
        assert_eq!(loaded.updates, vec![entry(2, b"after")]);
        assert_eq!(loaded.next_seq, 3);

        store.compact(id, b"s3", 3).unwrap();
        assert_eq!(store.docs.get(id.as_bytes()).unwrap(), None);
        let loaded = store.load(id).unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"s3"[..]));
        assert!(loaded.updates.is_empty());
    }

    #[test]
    fn of_two_snapshots_the_one_covering_more_wins() {
        let store = Store::temporary().unwrap();
        let id = Uuid::new_v4();
        store.create(id, &record("a"), b"s0").unwrap();
        store
            .docs
            .insert(id.as_bytes(), snapshot_value(5, b"legacy"))
            .unwrap();
        assert_eq!(
            store.load(id).unwrap().unwrap().snapshot.as_deref(),
            Some(&b"legacy"[..])
        );
        store.replace_snapshot(id, b"current", 6, &[]).unwrap();
        assert_eq!(
            store.load(id).unwrap().unwrap().snapshot.as_deref(),
            Some(&b"current"[..])
        );
    }

    #[test]
    fn stored_size_counts_the_snapshot_and_the_log() {
        let store = Store::temporary().unwrap();
        let id = Uuid::new_v4();
        assert_eq!(store.stored_size(id).unwrap(), None);
        store.create(id, &record("a"), b"snap").unwrap();
        store.append_at(id, 0, b"one").unwrap();
        store.append_at(id, 1, b"three").unwrap();
        let size = store.stored_size(id).unwrap().unwrap();
        assert_eq!(
            size,
            StoredSize {
                snapshot_bytes: SNAPSHOT_HEADER_LEN as u64 + 4,
                log_entries: 2,
                log_bytes: 8,
            }
        );
        store.compact(id, b"folded", 2).unwrap();
        let size = store.stored_size(id).unwrap().unwrap();
        assert_eq!(
            (size.snapshot_bytes, size.log_entries),
            (SNAPSHOT_HEADER_LEN as u64 + 6, 0)
        );
    }

    #[tokio::test]
    async fn data_survives_reopening_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let id = Uuid::new_v4();
        {
            let store = Store::open(dir.path()).unwrap();
            store.create(id, &record("a"), b"s").unwrap();
            store.append_at(id, 0, b"u").unwrap();
            store.flush().unwrap();
        }
        let store = reopen(dir.path()).await;
        let loaded = store.load(id).unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"s"[..]));
        assert_eq!(loaded.updates, vec![entry(0, b"u")]);
    }

    fn entry(seq: u64, update: &[u8]) -> LogEntry {
        LogEntry {
            seq,
            update: update.to_vec(),
        }
    }
}
