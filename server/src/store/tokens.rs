//! Access tokens in sled, only as digests: the tree `tokens`.
//!
//! Two kinds of key share the tree, told apart by their first byte:
//!
//! - `h` ++ SHA-256 of the secret (33 bytes) → JSON [`TokenRecord`]: how a presented token is
//!   found. The secret itself is stored nowhere.
//! - `w` ++ workshop id (16 bytes) ++ public token id → the 32-byte digest: a workshop's
//!   tokens by one prefix scan, for listing and revoking by public id.
//!
//! Both keys of a token are written in one atomic batch. Calls are synchronous; durability
//! comes from [`Store::flush`].

use uuid::Uuid;

use super::{Store, StoreError};
use crate::auth::{TokenHash, TokenRecord};

/// Name of the sled tree.
const TREE: &str = "tokens";
const BY_HASH: u8 = b'h';
const BY_WORKSHOP: u8 = b'w';

/// Handle on the `tokens` tree; cheap to clone.
#[derive(Clone)]
pub struct TokenStore {
    tree: sled::Tree,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore").finish_non_exhaustive()
    }
}

impl Store {
    /// The token tree (sled hands out the already open tree after the first call).
    pub fn tokens(&self) -> Result<TokenStore, StoreError> {
        Ok(TokenStore {
            tree: self.db.open_tree(TREE)?,
        })
    }
}

fn hash_key(hash: &TokenHash) -> Vec<u8> {
    let mut key = Vec::with_capacity(33);
    key.push(BY_HASH);
    key.extend_from_slice(&hash.0);
    key
}

fn workshop_prefix(workshop: Uuid) -> Vec<u8> {
    let mut key = Vec::with_capacity(17 + 16);
    key.push(BY_WORKSHOP);
    key.extend_from_slice(workshop.as_bytes());
    key
}

fn index_key(workshop: Uuid, token_id: &str) -> Vec<u8> {
    let mut key = workshop_prefix(workshop);
    key.extend_from_slice(token_id.as_bytes());
    key
}

impl TokenStore {
    /// Stores a new token under the digest of its secret.
    pub fn insert(&self, hash: &TokenHash, record: &TokenRecord) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        batch.insert(hash_key(hash), encode(record));
        batch.insert(index_key(record.workshop, &record.id), &hash.0[..]);
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// The token whose secret has this digest. An unreadable record grants nothing: it is
    /// reported and treated as absent.
    pub fn get(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        let Some(bytes) = self.tree.get(hash_key(hash))? else {
            return Ok(None);
        };
        Ok(decode(&bytes))
    }

    /// Every token of a workshop, revoked ones included, by public id.
    pub fn list(&self, workshop: Uuid) -> Result<Vec<TokenRecord>, StoreError> {
        let mut records = Vec::new();
        for entry in self.tree.scan_prefix(workshop_prefix(workshop)) {
            let (_, digest) = entry?;
            let Some(hash) = digest_of(&digest) else {
                tracing::warn!(%workshop, "skipping a malformed token index entry");
                continue;
            };
            if let Some(record) = self.get(&hash)? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// Marks a workshop's token revoked. Returns its record, `None` if the workshop has no
    /// token with this id. Revoking twice is harmless.
    pub fn revoke(
        &self,
        workshop: Uuid,
        token_id: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let Some(digest) = self.tree.get(index_key(workshop, token_id))? else {
            return Ok(None);
        };
        let Some(hash) = digest_of(&digest) else {
            return Ok(None);
        };
        let Some(mut record) = self.get(&hash)? else {
            return Ok(None);
        };
        record.revoked = true;
        self.tree.insert(hash_key(&hash), encode(&record))?;
        Ok(Some(record))
    }
}

fn digest_of(bytes: &[u8]) -> Option<TokenHash> {
    Some(TokenHash(bytes.try_into().ok()?))
}

pub(super) fn encode(record: &TokenRecord) -> Vec<u8> {
    // Serialising a struct of strings, enums and a bool cannot fail.
    serde_json::to_vec(record).unwrap_or_default()
}

pub(super) fn decode(bytes: &[u8]) -> Option<TokenRecord> {
    match serde_json::from_slice(bytes) {
        Ok(record) => Some(record),
        Err(error) => {
            tracing::error!(%error, "unreadable token record; it grants nothing");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::auth::{Role, Token, TokenKind};

    fn record(workshop: Uuid, id: &str) -> TokenRecord {
        TokenRecord {
            id: id.into(),
            workshop,
            role: Role::Editor,
            kind: TokenKind::Invite,
            participant_id: None,
            revoked: false,
            created_at: "2026-11-23T09:00:00Z".into(),
        }
    }

    #[test]
    fn tokens_are_found_by_digest_listed_by_workshop_and_revoked_by_id() {
        let store = Store::temporary().unwrap();
        let tokens = store.tokens().unwrap();
        let (mine, other) = (Uuid::new_v4(), Uuid::new_v4());
        let (a, b, c) = (
            Token::generate().unwrap(),
            Token::generate().unwrap(),
            Token::generate().unwrap(),
        );
        tokens.insert(&a.hash(), &record(mine, "aaaa")).unwrap();
        tokens.insert(&b.hash(), &record(mine, "bbbb")).unwrap();
        tokens.insert(&c.hash(), &record(other, "cccc")).unwrap();

        assert_eq!(tokens.get(&a.hash()).unwrap().unwrap().id, "aaaa");
        assert!(tokens.get(&TokenHash::of("guess")).unwrap().is_none());
        let ids: Vec<String> = tokens
            .list(mine)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["aaaa", "bbbb"]);

        // Another workshop's token cannot be revoked through this one.
        assert!(tokens.revoke(mine, "cccc").unwrap().is_none());
        assert!(tokens.revoke(mine, "aaaa").unwrap().unwrap().revoked);
        assert!(tokens.get(&a.hash()).unwrap().unwrap().revoked);
        assert!(!tokens.get(&b.hash()).unwrap().unwrap().revoked);
        assert!(tokens.revoke(mine, "aaaa").unwrap().is_some());

        // The secret is stored nowhere.
        for entry in store.tokens().unwrap().tree.iter() {
            let (key, value) = entry.unwrap();
            for secret in [&a, &b, &c] {
                let needle = secret.as_str().as_bytes();
                assert!(!key.windows(needle.len()).any(|w| w == needle));
                assert!(!value.windows(needle.len()).any(|w| w == needle));
            }
        }
    }
}
