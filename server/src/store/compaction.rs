//! Compaction: folding a workshop's update log into a new snapshot, from what is stored.
//!
//! The new snapshot is built from the stored snapshot and the log entries it is to cover,
//! replayed into a scratch document, not from the room's live document. That keeps the
//! expensive part (encoding a document that may hold hundreds of kilobytes of history) off
//! the room's lock: updates keep being applied, logged and relayed while a compaction runs on
//! the blocking pool. The result is the same document the room holds at sequence `covers`,
//! because the room's document is exactly the snapshot plus the log replayed in order.
//!
//! The swap itself is not one batch. The new snapshot (whose header says which sequence it
//! covers) is written first, then the covered entries are removed one by one; [`Store::load`]
//! ignores log entries below the snapshot's `covers`, so a crash in between only leaves
//! entries that the next compaction removes. Single inserts and removes never stop other
//! writers, whereas a sled batch holds every other writer of the database back until it is
//! applied.

use uuid::Uuid;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::recovery::{apply, drop_pending};
use super::{corrupt, LogEntry, Storage, Store, StoreError};

/// What one compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    /// Log entries removed (now contained in the snapshot).
    pub removed: usize,
    /// Bytes of the new snapshot's document (without its header).
    pub snapshot_bytes: usize,
    /// The sequence the new snapshot covers up to (exclusive).
    pub covers: u64,
}

/// What a compaction folds: the stored snapshot and every log entry below `covers`, as read
/// by [`Storage::to_fold`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fold {
    /// The workshop.
    pub id: Uuid,
    /// The sequence the fold covers up to (exclusive): every entry below it is in `entries`.
    pub covers: u64,
    /// The stored snapshot (a v1 update of the whole document), if there is one.
    pub snapshot: Option<Vec<u8>>,
    /// The log entries below `covers` that the snapshot does not hold, in sequence order.
    pub entries: Vec<LogEntry>,
}

impl Fold {
    /// Replays the snapshot and the entries into a scratch document and encodes its whole
    /// state: the new snapshot. Pure computation, no storage access: this is the part that
    /// may run at low priority without holding anything another thread waits for.
    pub fn encode(&self) -> Result<Vec<u8>, StoreError> {
        let id = self.id;
        let doc = Doc::new();
        {
            let mut txn = doc.transact_mut();
            if let Some(snapshot) = &self.snapshot {
                apply(&mut txn, snapshot)
                    .map_err(|reason| corrupt(id, &format!("snapshot: {reason}")))?;
            }
            for entry in &self.entries {
                apply(&mut txn, &entry.update).map_err(|reason| {
                    corrupt(id, &format!("log record {}: {reason}", entry.seq))
                })?;
            }
            drop_pending(&mut txn, id);
        }
        let snapshot = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        Ok(snapshot)
    }
}

/// Folds every log entry of `id` into a new snapshot, all on the calling thread:
/// [`Storage::to_fold`], [`Fold::encode`], [`Storage::compact`].
pub fn fold_log(store: &dyn Storage, id: Uuid) -> Result<Compacted, StoreError> {
    let fold = store.to_fold(id)?;
    let snapshot = fold.encode()?;
    finish_fold(store, &fold, &snapshot)
}

/// Writes `snapshot` (what [`Fold::encode`] made of `fold`) as the new snapshot, then
/// removes the entries it folded.
pub fn finish_fold(
    store: &dyn Storage,
    fold: &Fold,
    snapshot: &[u8],
) -> Result<Compacted, StoreError> {
    let removed = store.compact(fold.id, snapshot, fold.covers)?;
    Ok(Compacted {
        removed,
        snapshot_bytes: snapshot.len(),
        covers: fold.covers,
    })
}

impl Store {
    /// Reads what a compaction of `id` folds: the snapshot, and the log below where it ends
    /// now. Entries appended meanwhile are at or above `covers`, so the room may keep
    /// appending.
    pub fn log_to_fold(&self, id: Uuid) -> Result<Fold, StoreError> {
        let covers = self.end_of_log(id)?;
        let stored = self.load(id)?.unwrap_or_default();
        Ok(Fold {
            id,
            covers,
            snapshot: stored.snapshot,
            entries: stored
                .updates
                .into_iter()
                .take_while(|entry| entry.seq < covers)
                .collect(),
        })
    }

    /// Writes `snapshot` as the one covering every sequence below `covers`, then removes the
    /// log entries under `keys` (all of them below `covers`) and any snapshot an older store
    /// kept in the log tree.
    pub(super) fn replace_snapshot(
        &self,
        id: Uuid,
        snapshot: &[u8],
        covers: u64,
        keys: &[sled::IVec],
    ) -> Result<(), StoreError> {
        self.snapshots
            .insert(id.as_bytes(), super::snapshot_value(covers, snapshot))?;
        self.docs.remove(id.as_bytes())?;
        for key in keys {
            self.docs.remove(key)?;
        }
        Ok(())
    }
}
