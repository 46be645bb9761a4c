//! Rebuilding a workshop's document from its stored snapshot and log, and what happens when
//! a record is damaged.
//!
//! The rule: the snapshot, then the log in sequence order, until the first record that does
//! not decode as a v1 update or that the document refuses. That record and every later one
//! are **set aside** (moved, bytes unchanged, to the `set_aside` tree under the same keys),
//! and a fresh snapshot of what did load replaces the old one, covering every sequence number
//! up to the end of the log. So:
//!
//! - the workshop loads, with everything up to the last good record, instead of refusing;
//! - records after a bad one are not applied: each was accepted against a document that
//!   contained the bad one, so applying them without it could leave a state no client ever
//!   saw (an edit of text that is not there, a vote whose context is gone);
//! - the next load is clean and fast, new updates continue after the set-aside sequence
//!   numbers, and nothing is deleted: an operator can inspect the set-aside records with
//!   [`Store::set_aside_entries`];
//! - a client that still holds the lost changes (anyone who was connected, or edited offline)
//!   sends them back on its next sync, because the server's state vector no longer has them.
//!
//! Each incident is logged at error level with the workshop id and the sequence number, and
//! counted in `workshop_corrupt_records_total` (see [`crate::metrics`]).
//!
//! A snapshot that does not decode is different: there is no earlier good state to fall back
//! to, so the load fails with [`StoreError::Corrupt`] (the workshop answers 500, and a
//! WebSocket join is closed with 1011) and nothing is rewritten. Snapshots are only ever
//! replaced whole, by one sled insert, so this needs damage below sled.
//!
//! Sled checksums what it writes and its inserts are atomic, so a damaged record means a bug
//! or damage below sled rather than a torn write; either way the rule above holds.

use uuid::Uuid;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update, WriteTxn};

use super::{corrupt, Storage, StoreError, StoredDoc};
use crate::metrics;

/// A workshop's document rebuilt from storage by [`restore`].
#[derive(Debug)]
pub struct Restored {
    /// The document, with a fresh random client id.
    pub doc: Doc,
    /// Log entries still in the log after the restore (what the next compaction folds in).
    pub log_entries: u64,
    /// Bytes of those entries.
    pub log_bytes: u64,
    /// How many log entries this restore set aside (0 when every record was good).
    pub set_aside: usize,
}

/// Replays `stored` (what [`Storage::load`] returned for `id`) into a new document; on a
/// damaged log record, sets it and the rest of the log aside as the module explains.
///
/// The set-aside and the new snapshot are not flushed here: the caller's next flush makes
/// them durable, and a crash before it just repeats the same recovery on the next load.
///
/// yrs has `unwrap`s in its integration code; a record that makes it panic fails the load
/// as corrupt (HTTP 500, close 1011) and rewrites nothing, rather than serving a
/// half-applied document.
pub fn restore(store: &dyn Storage, id: Uuid, stored: &StoredDoc) -> Result<Restored, StoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| replay(store, id, stored)))
        .unwrap_or_else(|_| {
            tracing::error!(workshop = %id, "replaying the workshop's log panicked");
            metrics::corrupt_record(0);
            Err(corrupt(id, "replaying the log panicked"))
        })
}

/// Rebuilds the document of a loaded workshop from storage under `client_id`, the client
/// id of the document it replaces: a room rolling back an update it must not keep, which
/// it has not logged. Unlike a load, it sets nothing aside: a damaged record fails it.
pub fn rebuild(store: &dyn Storage, id: Uuid, client_id: ClientID) -> Result<Doc, StoreError> {
    let stored = store
        .load(id)?
        .ok_or_else(|| corrupt(id, "the workshop is gone from the store"))?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let doc = Doc::with_client_id(client_id.get());
        {
            let mut txn = doc.transact_mut();
            let records = stored
                .snapshot
                .iter()
                .chain(stored.updates.iter().map(|e| &e.update));
            for record in records {
                apply(&mut txn, record).map_err(|reason| corrupt(id, &reason))?;
            }
            drop_pending(&mut txn, id);
        }
        Ok(doc)
    }))
    .unwrap_or_else(|_| Err(corrupt(id, "replaying the log panicked")))
}

fn replay(store: &dyn Storage, id: Uuid, stored: &StoredDoc) -> Result<Restored, StoreError> {
    let doc = Doc::new();
    let mut bad = None;
    {
        let mut txn = doc.transact_mut();
        if let Some(snapshot) = &stored.snapshot {
            if let Err(reason) = apply(&mut txn, snapshot) {
                tracing::error!(workshop = %id, %reason, "snapshot is corrupt; cannot load the workshop");
                metrics::corrupt_record(0);
                return Err(corrupt(id, &format!("snapshot: {reason}")));
            }
        }
        for entry in &stored.updates {
            if let Err(reason) = apply(&mut txn, &entry.update) {
                bad = Some((entry.seq, reason));
                break;
            }
        }
        drop_pending(&mut txn, id);
    }
    let Some((seq, reason)) = bad else {
        return Ok(Restored {
            doc,
            log_entries: stored.updates.len() as u64,
            log_bytes: stored.log_bytes,
            set_aside: 0,
        });
    };
    let snapshot = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let set_aside = store.set_aside(id, seq, &snapshot, stored.next_seq)?;
    tracing::error!(
        workshop = %id,
        seq,
        %reason,
        set_aside,
        "corrupt log record: loaded the workshop up to the record before it, and set it \
         and every later record aside"
    );
    metrics::corrupt_record(set_aside);
    Ok(Restored {
        doc,
        log_entries: 0,
        log_bytes: 0,
        set_aside,
    })
}

/// Drops whatever the replayed document holds pending (blocks or deletions waiting for
/// changes it never received). Rooms never apply such an update, but stores written before
/// they refused them may hold one: kept, it would integrate unchecked the moment its missing
/// dependency arrived, and every sync step 2 would carry it to clients.
pub(super) fn drop_pending(txn: &mut yrs::TransactionMut<'_>, id: Uuid) {
    if let Some(pending) = txn.prune_pending() {
        tracing::warn!(
            workshop = %id,
            clients = pending.state_vector().len(),
            "dropped stored changes that wait on changes the workshop never received"
        );
    }
}

/// Decodes and applies one stored v1 update; the error says what was wrong with it.
pub(super) fn apply(txn: &mut yrs::TransactionMut<'_>, bytes: &[u8]) -> Result<(), String> {
    let update = Update::decode_v1(bytes).map_err(|e| format!("undecodable update: {e}"))?;
    txn.apply_update(update)
        .map_err(|e| format!("update not applicable: {e}"))
}

#[cfg(test)]
pub(super) mod tests {
    #![allow(clippy::unwrap_used)]

    use yrs::{GetString, Text};

    use super::*;
    use crate::store::{Store, WorkshopRecord};

    pub(in crate::store) fn record() -> WorkshopRecord {
        WorkshopRecord {
            title: "t".into(),
            place: "p".into(),
            created_at: "2026-11-23T09:00:00.000Z".into(),
            updated_at: "2026-11-23T09:00:00.000Z".into(),
        }
    }

    /// A client's edit: appends `text` to the `notes` text of `doc`, as a v1 update.
    pub(in crate::store) fn append(doc: &Doc, text: &str) -> Vec<u8> {
        let notes = doc.get_or_insert_text("notes");
        let mut txn = doc.transact_mut();
        let end = notes.len(&txn);
        notes.insert(&mut txn, end, text);
        txn.encode_update_v1()
    }

    pub(in crate::store) fn notes(doc: &Doc) -> String {
        let notes = doc.get_or_insert_text("notes");
        let txn = doc.transact();
        notes.get_string(&txn)
    }

    /// A workshop whose snapshot holds `client`'s notes so far, and whose log holds one good
    /// record of `client` per entry of `good`, then the raw records of `tail`.
    fn stored(store: &Store, client: &Doc, good: &[&str], tail: &[Vec<u8>]) -> Uuid {
        let id = Uuid::new_v4();
        let snapshot = client
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        store.create(id, &record(), &snapshot).unwrap();
        let mut seq = 0;
        for text in good {
            store.append_at(id, seq, &append(client, text)).unwrap();
            seq += 1;
        }
        for bytes in tail {
            store.append_at(id, seq, bytes).unwrap();
            seq += 1;
        }
        id
    }

    #[test]
    fn a_stored_update_left_pending_is_dropped_at_load_and_at_compaction() {
        let store = Store::temporary().unwrap();
        let client = Doc::new();
        append(&client, "base");
        let id = stored(&store, &client, &[",kept"], &[]);
        // A record written before pending updates were refused: the client's edit after one
        // the store never received.
        let _missing = append(&client, ",never sent");
        let waiting = append(&client, ",waiting");
        store.append_at(id, 1, &waiting).unwrap();

        let restored = restore(&store, id, &store.load(id).unwrap().unwrap()).unwrap();
        assert_eq!(notes(&restored.doc), "base,kept");
        assert!(!restored.doc.transact().has_missing_updates());
        let whole = restored
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let copy = Doc::new();
        copy.transact_mut()
            .apply_update(Update::decode_v1(&whole).unwrap())
            .unwrap();
        assert!(
            !copy.transact().has_missing_updates(),
            "no sync step 2 carries it"
        );

        let snapshot = store.log_to_fold(id).unwrap().encode().unwrap();
        let folded = Doc::new();
        folded
            .transact_mut()
            .apply_update(Update::decode_v1(&snapshot).unwrap())
            .unwrap();
        assert!(!folded.transact().has_missing_updates());
        assert_eq!(notes(&folded), "base,kept");
    }

    #[test]
    fn a_clean_log_restores_everything_and_sets_nothing_aside() {
        let store = Store::temporary().unwrap();
        let client = Doc::new();
        append(&client, "base");
        let id = stored(&store, &client, &[",one", ",two"], &[]);
        let restored = restore(&store, id, &store.load(id).unwrap().unwrap()).unwrap();
        assert_eq!(notes(&restored.doc), "base,one,two");
        assert_eq!((restored.log_entries, restored.set_aside), (2, 0));
        assert!(store.set_aside_entries(id).unwrap().is_empty());
    }

    #[test]
    fn a_truncated_record_loads_up_to_the_good_ones_and_sets_the_tail_aside() {
        let store = Store::temporary().unwrap();
        let client = Doc::new();
        append(&client, "base");
        let id = stored(&store, &client, &[",kept"], &[]);
        // The client's next edit, logged cut in half, then a well-formed record after it.
        let full = append(&client, ",lost");
        let truncated = full[..full.len() / 2].to_vec();
        let later = append(&client, ",after");
        store.append_at(id, 1, &truncated).unwrap();
        store.append_at(id, 2, &later).unwrap();
        let before = metrics::corrupt_records();

        let loaded = store.load(id).unwrap().unwrap();
        let restored = restore(&store, id, &loaded).unwrap();

        assert_eq!(notes(&restored.doc), "base,kept");
        assert_eq!(restored.set_aside, 2);
        assert_eq!(restored.log_entries, 0);
        assert!(
            metrics::corrupt_records() > before,
            "the bad record is counted"
        );

        // The next load is clean: the new snapshot holds what loaded, the log is empty, the
        // sequence continues after the set-aside records, and those are kept unchanged.
        let reloaded = store.load(id).unwrap().unwrap();
        assert!(reloaded.updates.is_empty());
        assert_eq!(reloaded.next_seq, 3);
        let again = restore(&store, id, &reloaded).unwrap();
        assert_eq!(notes(&again.doc), "base,kept");
        assert_eq!(again.set_aside, 0);
        let aside: Vec<(u64, Vec<u8>)> = store
            .set_aside_entries(id)
            .unwrap()
            .into_iter()
            .map(|entry| (entry.seq, entry.update))
            .collect();
        assert_eq!(aside, vec![(1, truncated), (2, later)]);
    }

    #[test]
    fn every_prefix_of_a_record_is_handled_without_panicking() {
        let store = Store::temporary().unwrap();
        let client = Doc::new();
        append(&client, "base");
        let template = client
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let full = append(&client, ",a longer edit with some text in it");
        for cut in 0..full.len() {
            // A fresh copy of the client before its edit, so every workshop starts alike.
            let copy = Doc::new();
            copy.transact_mut()
                .apply_update(Update::decode_v1(&template).unwrap())
                .unwrap();
            let id = stored(&store, &copy, &[], &[full[..cut].to_vec()]);
            let restored = restore(&store, id, &store.load(id).unwrap().unwrap()).unwrap();
            let text = notes(&restored.doc);
            assert!(text.starts_with("base"), "cut at {cut}: {text}");
        }
    }

    /// The server's own load path: a workshop whose log ends in a truncated record still
    /// loads through [`crate::rooms::Rooms`], with the good record's content, and loads
    /// cleanly the next time.
    #[tokio::test]
    async fn a_room_loads_past_a_truncated_record_and_the_next_load_is_clean() {
        use crate::clock::Clock;
        use crate::rooms::{RoomSettings, Rooms};
        use tokio_util::sync::CancellationToken;
        use tokio_util::task::TaskTracker;

        let store = Store::temporary().unwrap();
        let rooms = |tasks: &TaskTracker| {
            Rooms::new(
                store.clone(),
                Clock::system(),
                RoomSettings::default(),
                tasks.clone(),
                CancellationToken::new(),
            )
        };
        let tasks = TaskTracker::new();
        let id = rooms(&tasks).create("A".into(), "B".into()).await.unwrap();
        // A client's replica of the stored workshop makes two edits; the second is logged
        // truncated.
        let client = restore(&store, id, &store.load(id).unwrap().unwrap())
            .unwrap()
            .doc;
        store.append_at(id, 0, &append(&client, "kept")).unwrap();
        let lost = append(&client, ",lost");
        store.append_at(id, 1, &lost[..lost.len() - 1]).unwrap();
        let before = metrics::corrupt_records();

        let loaded = rooms(&tasks);
        let room = loaded.lease(id).await.unwrap();
        let text = room.peek(|txn| txn.get_text("notes").map(|t| t.get_string(txn)));
        assert_eq!(text.as_deref(), Some("kept"));
        assert!(metrics::corrupt_records() > before);
        assert_eq!(store.set_aside_entries(id).unwrap().len(), 1);
        drop(room);
        loaded.persist_all().await.unwrap();

        let stored = store.load(id).unwrap().unwrap();
        let again = restore(&store, id, &stored).unwrap();
        assert_eq!(again.set_aside, 0, "the recovery was written back");
        assert_eq!(notes(&again.doc), "kept");
    }

    #[test]
    fn a_corrupt_snapshot_refuses_the_load_and_rewrites_nothing() {
        let store = Store::temporary().unwrap();
        let id = Uuid::new_v4();
        store.create(id, &record(), &[0xff, 0xff, 0xff]).unwrap();
        let loaded = store.load(id).unwrap().unwrap();
        assert!(matches!(
            restore(&store, id, &loaded),
            Err(StoreError::Corrupt { .. })
        ));
        assert_eq!(store.load(id).unwrap().unwrap(), loaded);
    }
}
