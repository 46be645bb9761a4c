//! [`Storage`]: what the server needs of whatever keeps its workshops, so that one node can
//! keep them in its embedded sled database ([`Store`]) and several nodes in a shared store,
//! and the rest of the server not know which.
//!
//! The contract, which [`conformance`] checks of every implementation:
//!
//! - **A workshop exists exactly when its record does.** [`Storage::create`] writes the first
//!   snapshot, then the record.
//! - **The store numbers the log.** [`Storage::append`] adds an update at the end of a
//!   workshop's log, under the next sequence number; several servers may append to one log.
//! - **The log is read back whole and in order.** [`Storage::load`] returns the last snapshot
//!   and every entry appended after what it covers, in sequence order, and the sequence the next
//!   append will take.
//! - **A compaction never loses an entry.** [`Storage::to_fold`] reads the snapshot and every
//!   entry below a sequence `covers` (all of them: none can be appended below it afterwards);
//!   [`Storage::compact`] replaces the snapshot with one the caller guarantees holds every entry
//!   below `covers`, and only then drops those entries; entries at or after `covers` stay. [`Storage::set_aside`] does the same after copying the
//!   entries from `from_seq` on where [`Storage::set_aside_entries`] reads them.
//! - **Durability is explicit.** Writes may stay in memory until [`Storage::flush`] returns.
//! - Tokens are found by the digest of their secret and listed per workshop; client id owners
//!   are listed per workshop.
//!
//! Every call may block on I/O: call it from a blocking thread (`spawn_blocking`, the flusher,
//! the compactor), never on an async worker.

use uuid::Uuid;
use yrs::ClientID;

use super::compaction::Fold;
use super::{LogEntry, Owner, Store, StoreError, StoredDoc, WorkshopRecord};
use crate::auth::token::TokenHash;
use crate::auth::TokenRecord;

/// What a server hears of a workshop from the other servers sharing its store
/// ([`Storage::follow`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Updates other servers appended to the log, in log order: each was judged by the
    /// server that took it and is durable.
    Updates(Vec<Vec<u8>>),
    /// Entries were trimmed from the log before they were read: load the workshop afresh.
    Gap,
    /// Whether this server now holds the workshop's lease: recomputes its figures and
    /// compacts its log.
    Lease(bool),
    /// An awareness message another server relayed to its clients (already judged there).
    Presence(Vec<u8>),
}

/// The store a server runs on, shared by its rooms, handlers and background threads.
pub type SharedStorage = std::sync::Arc<dyn Storage>;

impl From<Store> for SharedStorage {
    fn from(store: Store) -> SharedStorage {
        std::sync::Arc::new(store)
    }
}

/// What the server needs of the store of its workshops (see the module's documentation).
pub trait Storage: Send + Sync + std::fmt::Debug + 'static {
    /// Stores a new workshop: its first snapshot (covering nothing of the log), then its record.
    fn create(&self, id: Uuid, record: &WorkshopRecord, snapshot: &[u8]) -> Result<(), StoreError>;
    /// The record of one workshop, `None` if it does not exist.
    fn workshop(&self, id: Uuid) -> Result<Option<WorkshopRecord>, StoreError>;
    /// Every workshop record, in id order.
    fn list(&self) -> Result<Vec<(Uuid, WorkshopRecord)>, StoreError>;
    /// Refreshes a workshop's `updated_at` and, where given, its title and place; nothing if
    /// it does not exist.
    fn touch(
        &self,
        id: Uuid,
        title: Option<String>,
        place: Option<String>,
        updated_at: String,
    ) -> Result<(), StoreError>;

    /// A workshop's document: its last snapshot and the log after it; `None` if the workshop
    /// does not exist.
    fn load(&self, id: Uuid) -> Result<Option<StoredDoc>, StoreError>;
    /// Appends one update at the end of a workshop's log, under the next sequence number.
    /// Called under a room's lock: it must not wait for I/O, only queue it for
    /// [`Storage::flush`].
    fn append(&self, id: Uuid, update: &[u8]) -> Result<(), StoreError>;
    /// What a compaction folds: the snapshot and every entry below the end of the log now.
    fn to_fold(&self, id: Uuid) -> Result<Fold, StoreError>;
    /// Replaces the snapshot with `snapshot`, which holds every entry below `covers`, then
    /// drops those entries. Returns how many were dropped.
    fn compact(&self, id: Uuid, snapshot: &[u8], covers: u64) -> Result<usize, StoreError>;
    /// Copies the entries from `from_seq` up to `covers` aside, then compacts as
    /// [`Storage::compact`]. Returns how many were set aside.
    fn set_aside(
        &self,
        id: Uuid,
        from_seq: u64,
        snapshot: &[u8],
        covers: u64,
    ) -> Result<usize, StoreError>;
    /// The entries loads have set aside, in sequence order.
    fn set_aside_entries(&self, id: Uuid) -> Result<Vec<LogEntry>, StoreError>;

    /// Records `owner` as the owner of Yjs client id `client` in workshop `id`.
    fn set_owner(&self, id: Uuid, client: ClientID, owner: &Owner) -> Result<(), StoreError>;
    /// Every recorded owner of workshop `id`'s client ids.
    fn owners(&self, id: Uuid) -> Result<Vec<(ClientID, Owner)>, StoreError>;

    /// Stores a new token under the digest of its secret.
    fn insert_token(&self, hash: &TokenHash, record: &TokenRecord) -> Result<(), StoreError>;
    /// The token whose secret has this digest.
    fn token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;
    /// Every token of a workshop, revoked ones included.
    fn tokens_of(&self, workshop: Uuid) -> Result<Vec<TokenRecord>, StoreError>;
    /// Marks a workshop's token revoked; its record, `None` if there is no such token.
    fn revoke_token(
        &self,
        workshop: Uuid,
        token_id: &str,
    ) -> Result<Option<TokenRecord>, StoreError>;

    /// Claims client ids of workshop `id` for `owner` where nobody owns them yet, in one step
    /// for every server sharing the store, and returns each one's owner after the claim
    /// (`owner`, or whoever had it). `None` for a store no other server shares: the room's own
    /// record of owners is then the whole truth, and owners are stored with
    /// [`Storage::set_owner`].
    fn claim(
        &self,
        id: Uuid,
        clients: &[ClientID],
        owner: &Owner,
    ) -> Result<Option<Vec<(ClientID, Owner)>>, StoreError> {
        let _ = (id, clients, owner);
        Ok(None)
    }

    /// How many entries workshop `id`'s shared log holds now; `None` for a store no other
    /// server shares (its log is the room's own business, and `/metrics` does not list it).
    fn log_length(&self, id: Uuid) -> Result<Option<u64>, StoreError> {
        let _ = id;
        Ok(None)
    }

    /// Follows what other servers append to workshop `id`'s log from sequence `from` on, and
    /// its lease, until the receiver is dropped. `None` for a store no other server shares:
    /// this server is then the only one, and always leads.
    fn follow(&self, id: Uuid, from: u64) -> Option<flume::Receiver<Heard>> {
        let _ = (id, from);
        None
    }

    /// Tells the other servers sharing this store about an awareness message relayed to this
    /// server's clients of workshop `id`. Called under a room's lock: only queues. Nothing
    /// for a store no other server shares.
    fn publish_presence(&self, id: Uuid, message: &[u8]) -> Result<(), StoreError> {
        let _ = (id, message);
        Ok(())
    }

    /// The ids of tokens revoked through other servers sharing this store, whose live
    /// sockets this server must close too. `None` for a store no other server shares.
    fn revocations(&self) -> Option<flume::Receiver<String>> {
        None
    }

    /// Reads something, to tell that the store answers.
    fn probe(&self) -> Result<(), StoreError>;
    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), StoreError>;
}

impl Storage for Store {
    fn create(&self, id: Uuid, record: &WorkshopRecord, snapshot: &[u8]) -> Result<(), StoreError> {
        Store::create(self, id, record, snapshot)
    }

    fn workshop(&self, id: Uuid) -> Result<Option<WorkshopRecord>, StoreError> {
        Store::workshop(self, id)
    }

    fn list(&self) -> Result<Vec<(Uuid, WorkshopRecord)>, StoreError> {
        Store::list(self)
    }

    fn touch(
        &self,
        id: Uuid,
        title: Option<String>,
        place: Option<String>,
        updated_at: String,
    ) -> Result<(), StoreError> {
        Store::touch(self, id, title, place, updated_at)
    }

    fn load(&self, id: Uuid) -> Result<Option<StoredDoc>, StoreError> {
        Store::load(self, id)
    }

    fn append(&self, id: Uuid, update: &[u8]) -> Result<(), StoreError> {
        self.append_next(id, update).map(drop)
    }

    fn to_fold(&self, id: Uuid) -> Result<Fold, StoreError> {
        self.log_to_fold(id)
    }

    fn compact(&self, id: Uuid, snapshot: &[u8], covers: u64) -> Result<usize, StoreError> {
        Store::compact(self, id, snapshot, covers)
    }

    fn set_aside(
        &self,
        id: Uuid,
        from_seq: u64,
        snapshot: &[u8],
        covers: u64,
    ) -> Result<usize, StoreError> {
        Store::set_aside(self, id, from_seq, snapshot, covers)
    }

    fn set_aside_entries(&self, id: Uuid) -> Result<Vec<LogEntry>, StoreError> {
        Store::set_aside_entries(self, id)
    }

    fn set_owner(&self, id: Uuid, client: ClientID, owner: &Owner) -> Result<(), StoreError> {
        Store::set_owner(self, id, client, owner)
    }

    fn owners(&self, id: Uuid) -> Result<Vec<(ClientID, Owner)>, StoreError> {
        Store::owners(self, id)
    }

    fn insert_token(&self, hash: &TokenHash, record: &TokenRecord) -> Result<(), StoreError> {
        self.tokens()?.insert(hash, record)
    }

    fn token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        self.tokens()?.get(hash)
    }

    fn tokens_of(&self, workshop: Uuid) -> Result<Vec<TokenRecord>, StoreError> {
        self.tokens()?.list(workshop)
    }

    fn revoke_token(
        &self,
        workshop: Uuid,
        token_id: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        self.tokens()?.revoke(workshop, token_id)
    }

    fn probe(&self) -> Result<(), StoreError> {
        Store::probe(self)
    }

    fn flush(&self) -> Result<(), StoreError> {
        Store::flush(self)
    }
}

/// The contract of [`Storage`] as tests, for every implementation to pass: call [`all`] with
/// a fresh, empty store.
#[cfg(test)]
pub(crate) mod conformance {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use uuid::Uuid;
    use yrs::ClientID;

    use super::Storage;
    use crate::auth::token::TokenHash;
    use crate::auth::{Role, TokenKind, TokenRecord};
    use crate::store::{LogEntry, Owner, WorkshopRecord};

    /// Runs every check on `store`, which must be empty.
    pub(crate) fn all(store: &dyn Storage) {
        workshops_exist_by_their_record_and_list_in_id_order(store);
        the_log_loads_whole_and_in_order_after_the_snapshot(store);
        a_compaction_drops_only_what_the_snapshot_holds(store);
        entries_set_aside_leave_the_log_and_are_kept(store);
        owners_and_tokens_round_trip(store);
        store.probe().unwrap();
        store.flush().unwrap();
    }

    fn record(title: &str) -> WorkshopRecord {
        WorkshopRecord {
            title: title.into(),
            place: "Northshire".into(),
            created_at: "2026-11-23T09:00:00Z".into(),
            updated_at: "2026-11-23T09:00:00Z".into(),
        }
    }

    fn entries(pairs: &[(u64, &[u8])]) -> Vec<LogEntry> {
        pairs
            .iter()
            .map(|(seq, update)| LogEntry {
                seq: *seq,
                update: update.to_vec(),
            })
            .collect()
    }

    fn workshops_exist_by_their_record_and_list_in_id_order(store: &dyn Storage) {
        let (a, b) = (Uuid::from_u128(2), Uuid::from_u128(1));
        assert_eq!(store.workshop(a).unwrap(), None);
        assert_eq!(store.load(a).unwrap(), None);
        store
            .touch(a, Some("ghost".into()), None, "later".into())
            .unwrap();
        assert_eq!(store.workshop(a).unwrap(), None, "touch creates nothing");

        store.create(a, &record("A"), b"snapshot a").unwrap();
        store.create(b, &record("B"), b"snapshot b").unwrap();
        let ids: Vec<Uuid> = store
            .list()
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, [b, a]);
        store
            .touch(
                a,
                Some("A, renamed".into()),
                None,
                "2026-11-24T09:00:00Z".into(),
            )
            .unwrap();
        let touched = store.workshop(a).unwrap().unwrap();
        assert_eq!(touched.title, "A, renamed");
        assert_eq!(touched.place, "Northshire");
        assert_eq!(touched.updated_at, "2026-11-24T09:00:00Z");
        let loaded = store.load(a).unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"snapshot a"[..]));
        assert!(loaded.updates.is_empty());
        assert_eq!(loaded.next_seq, 0);
    }

    /// Appends `count` one-byte updates `0, 1, …` to `id`, flushed.
    fn appended(store: &dyn Storage, id: Uuid, count: u8) {
        for byte in 0..count {
            store.append(id, &[byte]).unwrap();
        }
        store.flush().unwrap();
    }

    fn the_log_loads_whole_and_in_order_after_the_snapshot(store: &dyn Storage) {
        let id = Uuid::from_u128(10);
        store.create(id, &record("Log"), b"first").unwrap();
        for seq in 0..300u64 {
            store.append(id, format!("u{seq}").as_bytes()).unwrap();
        }
        store.flush().unwrap();
        let loaded = store.load(id).unwrap().unwrap();
        let seqs: Vec<u64> = loaded.updates.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (0..300).collect::<Vec<_>>());
        assert_eq!(loaded.updates[256].update, b"u256");
        assert_eq!(loaded.next_seq, 300);
        assert_eq!(
            loaded.log_bytes,
            loaded
                .updates
                .iter()
                .map(|e| e.update.len() as u64)
                .sum::<u64>()
        );
        // Another workshop's log is its own.
        let other = Uuid::from_u128(11);
        store.create(other, &record("Other"), b"other").unwrap();
        assert!(store.load(other).unwrap().unwrap().updates.is_empty());
    }

    fn a_compaction_drops_only_what_the_snapshot_holds(store: &dyn Storage) {
        let id = Uuid::from_u128(20);
        store.create(id, &record("Compacted"), b"s0").unwrap();
        appended(store, id, 3);
        let fold = store.to_fold(id).unwrap();
        assert_eq!(fold.covers, 3);
        assert_eq!(fold.snapshot.as_deref(), Some(&b"s0"[..]));
        assert_eq!(fold.entries, entries(&[(0, &[0]), (1, &[1]), (2, &[2])]));
        // Appended after the fold was read: not folded, and kept.
        store.append(id, &[3]).unwrap();
        store.append(id, &[4]).unwrap();
        assert_eq!(store.compact(id, b"s3", fold.covers).unwrap(), 3);
        let loaded = store.load(id).unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"s3"[..]));
        assert_eq!(loaded.updates, entries(&[(3, &[3]), (4, &[4])]));
        assert_eq!(loaded.next_seq, 5);
        // Appends go on after it; a second compaction covers them.
        store.append(id, &[5]).unwrap();
        let fold = store.to_fold(id).unwrap();
        assert_eq!(fold.covers, 6);
        assert_eq!(fold.entries.len(), 3);
        assert_eq!(store.compact(id, b"s6", 6).unwrap(), 3);
        let loaded = store.load(id).unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"s6"[..]));
        assert!(loaded.updates.is_empty());
        assert_eq!(loaded.next_seq, 6, "the sequence never goes back");
        store.append(id, &[6]).unwrap();
        store.flush().unwrap();
        assert_eq!(
            store.load(id).unwrap().unwrap().updates,
            entries(&[(6, &[6])])
        );
    }

    fn entries_set_aside_leave_the_log_and_are_kept(store: &dyn Storage) {
        let id = Uuid::from_u128(30);
        store.create(id, &record("Set aside"), b"s0").unwrap();
        appended(store, id, 4);
        let other = Uuid::from_u128(31);
        store.create(other, &record("Untouched"), b"o").unwrap();
        store.append(other, b"untouched").unwrap();
        store.flush().unwrap();
        assert_eq!(store.set_aside(id, 2, b"s-good", 4).unwrap(), 2);
        // Doing it again (a load that finds the same state) changes nothing.
        assert_eq!(store.set_aside(id, 2, b"s-good", 4).unwrap(), 0);
        assert_eq!(
            store.set_aside_entries(id).unwrap(),
            entries(&[(2, &[2]), (3, &[3])])
        );
        let loaded = store.load(id).unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"s-good"[..]));
        assert!(loaded.updates.is_empty());
        assert_eq!(loaded.next_seq, 4);
        assert!(store.set_aside_entries(other).unwrap().is_empty());
        assert_eq!(
            store.load(other).unwrap().unwrap().updates,
            entries(&[(0, b"untouched")])
        );
    }

    fn owners_and_tokens_round_trip(store: &dyn Storage) {
        let id = Uuid::from_u128(40);
        store.create(id, &record("Owners"), b"s").unwrap();
        let (one, two) = (ClientID::new(7), ClientID::new((1 << 53) - 1));
        store.set_owner(id, one, &Owner::Server).unwrap();
        store
            .set_owner(id, two, &Owner::Token(Arc::from("token-a")))
            .unwrap();
        let mut owners = store.owners(id).unwrap();
        owners.sort_by_key(|(client, _)| client.get());
        assert_eq!(
            owners,
            [
                (one, Owner::Server),
                (two, Owner::Token(Arc::from("token-a")))
            ]
        );
        assert!(store.owners(Uuid::from_u128(41)).unwrap().is_empty());

        let token = |token_id: &str, workshop: Uuid| TokenRecord {
            id: token_id.into(),
            workshop,
            role: Role::Editor,
            kind: TokenKind::Invite,
            participant_id: None,
            revoked: false,
            created_at: "2026-11-23T09:00:00Z".into(),
        };
        let (hash_a, hash_b) = (TokenHash([1; 32]), TokenHash([2; 32]));
        store.insert_token(&hash_a, &token("a", id)).unwrap();
        store
            .insert_token(&hash_b, &token("b", Uuid::from_u128(41)))
            .unwrap();
        assert_eq!(store.token(&hash_a).unwrap(), Some(token("a", id)));
        assert_eq!(store.token(&TokenHash([3; 32])).unwrap(), None);
        let listed: Vec<String> = store
            .tokens_of(id)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(listed, ["a"]);
        let revoked = store.revoke_token(id, "a").unwrap().unwrap();
        assert!(revoked.revoked);
        assert!(store.token(&hash_a).unwrap().unwrap().revoked);
        assert_eq!(
            store.revoke_token(id, "b").unwrap(),
            None,
            "b is another workshop's"
        );
        assert_eq!(store.revoke_token(id, "nobody").unwrap(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sled_keeps_the_contract() {
        conformance::all(&Store::temporary().expect("a temporary store"));
    }
}
