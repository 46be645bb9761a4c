//! The live WebSocket connections of each token, so that revoking a token closes them.
//!
//! A connection registers under its token's public id once it is let in and holds the
//! returned [`Registration`] for its life; dropping it unregisters. [`LiveConnections::revoke`]
//! cancels every registered connection's token, and remembers the id so that a connection
//! that looked its token up just before the revocation but registers just after it is
//! cancelled at once rather than missed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio_util::sync::CancellationToken;

use crate::rooms::ConnId;

#[derive(Debug, Default)]
struct Registry {
    by_token: HashMap<String, HashMap<ConnId, CancellationToken>>,
    /// Ids revoked while this process runs (a few bytes each; revocations are rare).
    revoked: HashSet<String>,
}

/// Live connections per token id; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct LiveConnections {
    registry: Arc<Mutex<Registry>>,
}

/// One connection's registration; unregisters on drop.
#[derive(Debug)]
pub struct Registration {
    live: LiveConnections,
    token_id: String,
    conn: ConnId,
    revoked: CancellationToken,
}

impl Registration {
    /// Cancelled when the connection's token is revoked, or its parent token is cancelled.
    pub fn revoked(&self) -> &CancellationToken {
        &self.revoked
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut registry = self.live.lock();
        if let Some(conns) = registry.by_token.get_mut(&self.token_id) {
            conns.remove(&self.conn);
            if conns.is_empty() {
                registry.by_token.remove(&self.token_id);
            }
        }
    }
}

impl LiveConnections {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Every statement under the lock leaves the maps consistent.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers connection `conn` of token `token_id`. Its token is a child of `parent`:
    /// cancelled when `token_id` is revoked, and whenever `parent` is (a connection waits on
    /// one token for its revocation and its own end).
    pub fn register(
        &self,
        token_id: &str,
        conn: ConnId,
        parent: &CancellationToken,
    ) -> Registration {
        let revoked = parent.child_token();
        let mut registry = self.lock();
        if registry.revoked.contains(token_id) {
            revoked.cancel();
        }
        registry
            .by_token
            .entry(token_id.to_owned())
            .or_default()
            .insert(conn, revoked.clone());
        Registration {
            live: self.clone(),
            token_id: token_id.to_owned(),
            conn,
            revoked,
        }
    }

    /// Cancels every live connection of `token_id`; returns how many there were.
    pub fn revoke(&self, token_id: &str) -> usize {
        let mut registry = self.lock();
        registry.revoked.insert(token_id.to_owned());
        let conns = registry.by_token.get(token_id);
        for cancel in conns.into_iter().flat_map(HashMap::values) {
            cancel.cancel();
        }
        conns.map_or(0, HashMap::len)
    }

    /// Number of live connections of `token_id`.
    pub fn count(&self, token_id: &str) -> usize {
        self.lock().by_token.get(token_id).map_or(0, HashMap::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoking_cancels_live_and_later_registrations_of_that_token_only() {
        let live = LiveConnections::default();
        let parent = CancellationToken::new();
        let a1 = live.register("a", 1, &parent);
        let a2 = live.register("a", 2, &parent);
        let b = live.register("b", 3, &parent);
        assert_eq!(live.revoke("a"), 2);
        assert!(a1.revoked().is_cancelled() && a2.revoked().is_cancelled());
        assert!(!b.revoked().is_cancelled());
        // A revocation stays with the token: the parent, and so every other connection, is
        // untouched.
        assert!(!parent.is_cancelled());
        // Registered after the revocation (looked up just before it): cancelled at once.
        assert!(live.register("a", 4, &parent).revoked().is_cancelled());
        drop((a1, a2));
        assert_eq!(live.count("a"), 0);
        assert_eq!(live.count("b"), 1);
        drop(b);
        assert_eq!(live.count("b"), 0);
    }

    #[test]
    fn a_registration_is_cancelled_with_its_parent() {
        let live = LiveConnections::default();
        let (one, other) = (CancellationToken::new(), CancellationToken::new());
        let a = live.register("a", 1, &one);
        let b = live.register("a", 2, &other);
        one.cancel();
        assert!(a.revoked().is_cancelled());
        assert!(!b.revoked().is_cancelled());
        assert_eq!(live.count("a"), 2);
    }
}
