//! Who owns each Yjs client id of a workshop: the tree `writers`.
//!
//! Key: workshop id (16 bytes) ++ client id (8 bytes, big-endian), so one prefix scan returns
//! a workshop's owners. Value: `s` for the server itself, or `t` ++ the public id of the token
//! that first wrote under that client id (see [`crate::rooms`] for the rule).
//!
//! An owner is inserted before the update that needs it is appended to the log, into the same
//! database: sled recovers a prefix of its writes, so an update that survives a crash always
//! finds its owner beside it. Calls are synchronous; durability comes from [`Store::flush`].

use std::sync::Arc;

use uuid::Uuid;
use yrs::ClientID;

use super::{corrupt, Store, StoreError};

const SERVER: u8 = b's';
const TOKEN: u8 = b't';
const KEY_LEN: usize = 16 + 8;

/// Who writes under one client id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// The server itself (results, registrations), and every client id a workshop held before
    /// owners were recorded: nobody else writes under it.
    Server,
    /// The token with this public id.
    Token(Arc<str>),
}

impl Owner {
    /// The stored form: `s`, or `t` then the token's public id.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Owner::Server => vec![SERVER],
            Owner::Token(id) => {
                let mut value = Vec::with_capacity(1 + id.len());
                value.push(TOKEN);
                value.extend_from_slice(id.as_bytes());
                value
            }
        }
    }

    /// Reads the stored form back; `None` if it is damaged.
    pub fn decode(bytes: &[u8]) -> Option<Owner> {
        match bytes.split_first()? {
            (&SERVER, []) => Some(Owner::Server),
            (&TOKEN, id) if !id.is_empty() => {
                Some(Owner::Token(std::str::from_utf8(id).ok()?.into()))
            }
            _ => None,
        }
    }
}

fn key(id: Uuid, client: ClientID) -> [u8; KEY_LEN] {
    let mut key = [0; KEY_LEN];
    key[..16].copy_from_slice(id.as_bytes());
    key[16..].copy_from_slice(&client.get().to_be_bytes());
    key
}

impl Store {
    /// Records `owner` as the owner of `client` in workshop `id` (not durable until the next
    /// flush).
    pub fn set_owner(&self, id: Uuid, client: ClientID, owner: &Owner) -> Result<(), StoreError> {
        self.writers.insert(key(id, client), owner.encode())?;
        Ok(())
    }

    /// Every recorded owner of workshop `id`'s client ids. A damaged record is an error: an
    /// unreadable owner must not turn into a client id anyone may claim.
    pub fn owners(&self, id: Uuid) -> Result<Vec<(ClientID, Owner)>, StoreError> {
        let mut owners = Vec::new();
        for entry in self.writers.scan_prefix(id.as_bytes()) {
            let (key, value) = entry?;
            let client = <[u8; 8]>::try_from(key.get(16..).unwrap_or_default())
                .ok()
                .filter(|_| key.len() == KEY_LEN)
                .map(u64::from_be_bytes)
                .filter(|client| *client < 1 << 53)
                .map(ClientID::new)
                .ok_or_else(|| corrupt(id, "client id owner key of unexpected length"))?;
            let owner =
                Owner::decode(&value).ok_or_else(|| corrupt(id, "unreadable client id owner"))?;
            owners.push((client, owner));
        }
        Ok(owners)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn owners_are_kept_per_workshop_and_read_back() {
        let store = Store::temporary().unwrap();
        let (mine, other) = (Uuid::new_v4(), Uuid::new_v4());
        let (seven, large) = (ClientID::new(7), ClientID::new(u64::from(u32::MAX) + 3));
        store.set_owner(mine, seven, &Owner::Server).unwrap();
        store
            .set_owner(mine, large, &Owner::Token("ab12".into()))
            .unwrap();
        store
            .set_owner(other, seven, &Owner::Token("cd34".into()))
            .unwrap();
        assert_eq!(
            store.owners(mine).unwrap(),
            vec![(seven, Owner::Server), (large, Owner::Token("ab12".into()))]
        );
        assert_eq!(
            store.owners(other).unwrap(),
            vec![(seven, Owner::Token("cd34".into()))]
        );
        assert!(store.owners(Uuid::new_v4()).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_owner_is_an_error_not_a_free_client_id() {
        let store = Store::temporary().unwrap();
        let id = Uuid::new_v4();
        store
            .writers
            .insert(key(id, ClientID::new(1)), &b"x"[..])
            .unwrap();
        assert!(matches!(store.owners(id), Err(StoreError::Corrupt { .. })));
        for bad in [&b""[..], b"t", b"s1"] {
            assert_eq!(Owner::decode(bad), None, "{bad:?}");
        }
    }
}
