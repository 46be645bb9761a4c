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
use super::{be_u64, corrupt, log_key, snapshot_value, Store, StoreError, SNAPSHOT_HEADER_LEN};

/// What one compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    /// Log entries removed (now contained in the snapshot).
    pub removed: usize,
    /// Bytes of the new snapshot's document (without its header).
    pub snapshot_bytes: usize,
}

/// What a compaction folds: the stored snapshot and the log entries below `covers`, as read
/// by [`Store::log_to_fold`].
#[derive(Debug)]
pub struct Fold {
    id: Uuid,
    covers: u64,
    snapshot: Option<sled::IVec>,
    entries: Vec<(sled::IVec, sled::IVec)>,
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
            if let Some(value) = &self.snapshot {
                apply(&mut txn, &value[SNAPSHOT_HEADER_LEN..])
                    .map_err(|reason| corrupt(id, &format!("snapshot: {reason}")))?;
            }
            for (key, update) in &self.entries {
                apply(&mut txn, update).map_err(|reason| {
                    corrupt(id, &format!("log record {}: {reason}", be_u64(&key[16..])))
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

impl Store {
    /// Reads what a compaction of `id` up to sequence `covers` folds. Entries at or above
    /// `covers` are not read, so the room may keep appending meanwhile.
    pub fn log_to_fold(&self, id: Uuid, covers: u64) -> Result<Fold, StoreError> {
        let snapshot = self.snapshot(id)?;
        let entries = self
            .docs
            .range(log_key(id, 0)..log_key(id, covers))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Fold {
            id,
            covers,
            snapshot,
            entries,
        })
    }

    /// Writes `snapshot` (what [`Fold::encode`] made of `fold`) as the new snapshot, then
    /// removes the entries it folded.
    pub fn finish_fold(&self, fold: &Fold, snapshot: &[u8]) -> Result<Compacted, StoreError> {
        let keys: Vec<sled::IVec> = fold.entries.iter().map(|(key, _)| key.clone()).collect();
        self.replace_snapshot(fold.id, snapshot, fold.covers, &keys)?;
        Ok(Compacted {
            removed: keys.len(),
            snapshot_bytes: snapshot.len(),
        })
    }

    /// Folds every log entry of `id` below sequence `covers` into a new snapshot, all on the
    /// calling thread: [`Store::log_to_fold`], [`Fold::encode`], [`Store::finish_fold`].
    pub fn fold_log(&self, id: Uuid, covers: u64) -> Result<Compacted, StoreError> {
        let fold = self.log_to_fold(id, covers)?;
        let snapshot = fold.encode()?;
        self.finish_fold(&fold, &snapshot)
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
            .insert(id.as_bytes(), snapshot_value(covers, snapshot))?;
        self.docs.remove(id.as_bytes())?;
        for key in keys {
            self.docs.remove(key)?;
        }
        Ok(())
    }
}
