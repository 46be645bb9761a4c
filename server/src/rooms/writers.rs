//! Client ids belong to their writer.
//!
//! Every block of a Yjs document carries the id of the client that wrote it, and each client
//! counts its own clock. Whoever may write under a client id decides what that id's next clock
//! holds, so a writer that could write under another's id could take over a range of it (a GC
//! block of length 2^30 at a victim's current clock makes the server drop the victim's real
//! edits as already known) or carry blocks in under someone else's name.
//!
//! The rule: the first token to write under a client id owns it ([`Owner::Token`], stored with
//! the workshop); a later update that writes under a client id owned by another token, or by
//! the server, is refused. The server owns its own client id of every load, and every client
//! id a workshop held before owners were recorded. A connection whose token may not write
//! (a viewer, an editor invite) owns nothing and writes nothing. Legitimate clients do bring
//! several client ids (a page holds its earlier sessions' offline edits, a command-line client
//! one per run), so they are bounded rather than banned: one connection may bring at most
//! [`MAX_NEW_CLIENTS_PER_CONNECTION`] client ids the workshop had never seen.

use std::collections::HashMap;
use std::sync::Arc;

use workshop_shared::access::Capability;
use yrs::ClientID;

pub use crate::store::Owner;

/// Client ids one connection may bring that the workshop had never seen.
pub const MAX_NEW_CLIENTS_PER_CONNECTION: usize = 32;

/// One connection as a writer: what its token may write, which token it is, and what it has
/// brought so far.
#[derive(Debug, Clone)]
pub struct Author {
    capability: Capability,
    token: Arc<str>,
    /// Client ids this connection has brought into the workshop.
    new_clients: usize,
    /// Whether the connection was sent sync step 1 after an update that could not be
    /// integrated, and has not had an update accepted since: a client that cannot supply what
    /// is missing is not asked again and again.
    asked_for_missing: bool,
}

impl Author {
    /// A connection presenting the token with public id `token`, which grants `capability`.
    pub fn new(capability: Capability, token: impl Into<Arc<str>>) -> Author {
        Author {
            capability,
            token: token.into(),
            new_clients: 0,
            asked_for_missing: false,
        }
    }

    /// What its token lets it write.
    pub fn capability(&self) -> &Capability {
        &self.capability
    }

    /// The public id of its token.
    pub fn token(&self) -> &Arc<str> {
        &self.token
    }

    /// Whether its token may write anything at all.
    pub fn may_write(&self) -> bool {
        matches!(
            self.capability,
            Capability::Facilitator | Capability::Participant(_)
        )
    }

    /// Whether `owner` is this connection's token.
    pub fn owns(&self, owner: &Owner) -> bool {
        matches!(owner, Owner::Token(token) if *token == self.token)
    }

    /// Whether this connection may still bring `more` client ids.
    pub(crate) fn may_bring(&self, more: usize) -> bool {
        self.new_clients.saturating_add(more) <= MAX_NEW_CLIENTS_PER_CONNECTION
    }

    pub(crate) fn brought(&mut self, count: usize) {
        self.new_clients = self.new_clients.saturating_add(count);
    }

    /// Whether sync step 1 should go to this connection after an update that left something
    /// missing (only the first time until an update of it is accepted).
    pub(crate) fn ask_for_missing(&mut self) -> bool {
        !std::mem::replace(&mut self.asked_for_missing, true)
    }

    pub(crate) fn accepted(&mut self) {
        self.asked_for_missing = false;
    }
}

/// Why a client id may not be written by an author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The author owns it already.
    Own,
    /// Nobody does: writing under it makes the author its owner.
    Free,
    /// Another token, or the server, owns it.
    Taken,
}

/// The owners of one workshop's client ids, as loaded from the store and kept up to date.
#[derive(Debug, Default)]
pub struct Writers {
    owners: HashMap<ClientID, Owner>,
}

impl Writers {
    /// The owners read from the store.
    pub fn from_owners(owners: impl IntoIterator<Item = (ClientID, Owner)>) -> Writers {
        Writers {
            owners: owners.into_iter().collect(),
        }
    }

    /// What `author` writing under `client` would be.
    pub fn claim(&self, author: &Author, client: ClientID) -> Claim {
        match self.owners.get(&client) {
            None => Claim::Free,
            Some(owner) if author.owns(owner) => Claim::Own,
            Some(_) => Claim::Taken,
        }
    }

    /// Records `owner` for `client`.
    pub fn insert(&mut self, client: ClientID, owner: Owner) {
        self.owners.insert(client, owner);
    }

    /// Client ids owned by nobody among `clients`.
    pub fn unowned<'a>(
        &'a self,
        clients: impl IntoIterator<Item = ClientID> + 'a,
    ) -> impl Iterator<Item = ClientID> + 'a {
        clients
            .into_iter()
            .filter(|client| !self.owners.contains_key(client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_id_is_free_then_owned_by_its_first_token() {
        let mut writers = Writers::default();
        let ann = Author::new(Capability::Participant("p1".into()), "t-ann");
        let bo = Author::new(Capability::Participant("p2".into()), "t-bo");
        assert_eq!(writers.claim(&ann, ClientID::new(5)), Claim::Free);
        writers.insert(ClientID::new(5), Owner::Token("t-ann".into()));
        assert_eq!(writers.claim(&ann, ClientID::new(5)), Claim::Own);
        assert_eq!(writers.claim(&bo, ClientID::new(5)), Claim::Taken);
        writers.insert(ClientID::new(6), Owner::Server);
        assert_eq!(writers.claim(&ann, ClientID::new(6)), Claim::Taken);
        assert_eq!(
            writers
                .unowned([5, 6, 7].map(ClientID::new))
                .collect::<Vec<_>>(),
            vec![ClientID::new(7)]
        );
    }

    #[test]
    fn readers_may_not_write_and_new_client_ids_are_bounded() {
        assert!(!Author::new(Capability::Viewer, "v").may_write());
        assert!(!Author::new(Capability::EditorInvite, "e").may_write());
        assert!(Author::new(Capability::Facilitator, "f").may_write());
        let mut author = Author::new(Capability::Facilitator, "f");
        assert!(author.may_bring(MAX_NEW_CLIENTS_PER_CONNECTION));
        author.brought(MAX_NEW_CLIENTS_PER_CONNECTION - 1);
        assert!(author.may_bring(1));
        assert!(!author.may_bring(2));
    }

    #[test]
    fn a_connection_is_asked_for_what_is_missing_once_until_accepted() {
        let mut author = Author::new(Capability::Facilitator, "f");
        assert!(author.ask_for_missing());
        assert!(!author.ask_for_missing());
        author.accepted();
        assert!(author.ask_for_missing());
    }
}
