//! Where each thing lives in Redis. Every key of one workshop carries its id in braces (a
//! hash tag), so a workshop's keys would share one slot of a Redis Cluster.
//!
//! - `ws:workshops`: hash, workshop id → JSON [`crate::store::WorkshopRecord`].
//! - `ws:{id}:snapshot`: hash with `covers` (the sequence it covers up to, exclusive) and
//!   `doc` (a v1 update of the whole document).
//! - `ws:{id}:log`: stream, one entry per appended update, with id `1-<seq>`: Redis numbers
//!   the entries itself (`XADD … 1-*`), so appends from several servers never collide. Fields
//!   `u` (the update) and `n` (the node that appended it).
//! - `ws:{id}:aside`: hash, sequence → update set aside at a load ([`crate::store::recovery`]).
//! - `ws:{id}:owners`: hash, Yjs client id → its owner.
//! - `ws:{id}:tokens`: hash, token id → hex digest of its secret.
//! - `ws:token:<hex digest>`: JSON [`crate::auth::TokenRecord`].
//! - `ws:{id}:lease`: the node that recomputes the workshop's figures, with an expiry.
//! - `ws:presence`: pub/sub channel of the awareness messages each server relays.
//! - `ws:revoked`: pub/sub channel of the ids of revoked tokens, so that every server closes
//!   their live sockets.

use uuid::Uuid;

use crate::auth::token::TokenHash;

/// The hash of every workshop record.
pub const WORKSHOPS: &str = "ws:workshops";
/// The pub/sub channel of the awareness messages each server relays to its clients.
pub const PRESENCE: &str = "ws:presence";
/// The pub/sub channel of revoked token ids.
pub const REVOKED: &str = "ws:revoked";
/// The stream entry field holding the update.
pub const UPDATE: &str = "u";
/// The stream entry field holding the node that appended it.
pub const NODE: &str = "n";

/// The keys of one workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkshopKeys {
    /// The snapshot hash.
    pub snapshot: String,
    /// The log stream.
    pub log: String,
    /// The set-aside hash.
    pub aside: String,
    /// The client id owners hash.
    pub owners: String,
    /// The token index hash.
    pub tokens: String,
    /// The results lease.
    pub lease: String,
}

impl WorkshopKeys {
    /// The keys of workshop `id`.
    pub fn of(id: Uuid) -> WorkshopKeys {
        let key = |suffix: &str| format!("ws:{{{id}}}:{suffix}");
        WorkshopKeys {
            snapshot: key("snapshot"),
            log: key("log"),
            aside: key("aside"),
            owners: key("owners"),
            tokens: key("tokens"),
            lease: key("lease"),
        }
    }
}

/// The key of one token's record.
pub fn token(hash: &TokenHash) -> String {
    format!("ws:token:{}", hash.to_hex())
}

/// The stream id of log sequence `seq`.
pub fn entry_id(seq: u64) -> String {
    format!("1-{seq}")
}

/// The sequence of a log stream id (`1-<seq>`), `None` for any other id.
pub fn seq_of(entry_id: &str) -> Option<u64> {
    entry_id.strip_prefix("1-")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workshops_keys_share_its_hash_tag() {
        let id = Uuid::from_u128(1);
        let keys = WorkshopKeys::of(id);
        let tag = format!("{{{id}}}");
        for key in [
            &keys.snapshot,
            &keys.log,
            &keys.aside,
            &keys.owners,
            &keys.tokens,
            &keys.lease,
        ] {
            assert!(key.contains(&tag), "{key}");
        }
    }

    #[test]
    fn entry_ids_round_trip_and_others_are_refused() {
        assert_eq!(seq_of(&entry_id(0)), Some(0));
        assert_eq!(seq_of(&entry_id(u64::MAX)), Some(u64::MAX));
        assert_eq!(seq_of("2-5"), None);
        assert_eq!(seq_of("1-x"), None);
        assert_eq!(seq_of("15-"), None);
    }
}
