//! Who may speak for which presence (awareness) state.
//!
//! Presence is what "Online now" shows: each client's name, role, group and where it works,
//! keyed by its Yjs client id. Unchecked, any connection could overwrite or remove another's
//! state (a forged name or role beside a real participant), so:
//!
//! - a connection speaks for a client id once it has set that id's state, and only it may then
//!   change or remove that state; a state another connection speaks for is left alone unless
//!   the new connection holds the same token (the same person reconnecting before the server
//!   noticed the old connection drop);
//! - a client id the document says another token (or the server) writes under is not taken
//!   ([`super::writers`]), nor is the server's own client id;
//! - entries that are not the sender's to set are dropped, not refused: y-websocket clients
//!   echo every peer's presence back, so a legitimate message often carries others' states;
//! - one connection speaks for at most [`MAX_PRESENCES_PER_CONNECTION`] states, and one state
//!   is at most [`MAX_PRESENCE_BYTES`]; a message that would pass either is refused whole.

use std::collections::HashMap;
use std::sync::Arc;

use thiserror::Error;
use yrs::sync::AwarenessUpdate;
use yrs::ClientID;

use super::room::ConnId;
use super::writers::{Author, Claim, Writers};
use crate::limits::MAX_PRESENCES_PER_CONNECTION;

/// Bytes of one presence state (its JSON). A page's state is a few hundred bytes.
pub const MAX_PRESENCE_BYTES: usize = 4 * 1024;

/// Why an awareness message was refused whole (the connection is closed with 1008).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PresenceError {
    /// It would have the connection speak for more states than it may.
    #[error("too many presence states: one connection may speak for at most {max}")]
    TooMany {
        /// The cap.
        max: usize,
    },
    /// One of its states is larger than a state may be.
    #[error("presence state too large: at most {max} bytes")]
    TooLarge {
        /// The cap.
        max: usize,
    },
}

/// The connection id standing for the connections of other servers sharing the store.
pub const ELSEWHERE: ConnId = ConnId::MAX;

/// The connection speaking for each presence state of a room, and its token.
#[derive(Debug, Default)]
pub struct Presences {
    speakers: HashMap<ClientID, (ConnId, Arc<str>)>,
}

impl Presences {
    /// The part of `update` that connection `conn` of `author` may apply; the rest is dropped.
    /// `server` is the room's own client id. Fails if what it may apply would have it speak
    /// for too many states, or a state is too large.
    pub fn admit(
        &self,
        conn: ConnId,
        author: &Author,
        writers: &Writers,
        server: ClientID,
        mut update: AwarenessUpdate,
    ) -> Result<AwarenessUpdate, PresenceError> {
        if update
            .clients
            .values()
            .any(|entry| entry.json.len() > MAX_PRESENCE_BYTES)
        {
            return Err(PresenceError::TooLarge {
                max: MAX_PRESENCE_BYTES,
            });
        }
        update.clients.retain(|client, entry| {
            let ends = entry.json.as_ref() == "null";
            self.may_speak(conn, author, writers, server, *client, ends)
        });
        let mut speaks_for = self.count(conn);
        for (client, entry) in &update.clients {
            let ends = entry.json.as_ref() == "null";
            let already = matches!(self.speakers.get(client), Some((c, _)) if *c == conn);
            if already && ends {
                speaks_for -= 1;
            } else if !already && !ends {
                speaks_for += 1;
            }
        }
        if speaks_for > MAX_PRESENCES_PER_CONNECTION {
            return Err(PresenceError::TooMany {
                max: MAX_PRESENCES_PER_CONNECTION,
            });
        }
        Ok(update)
    }

    fn may_speak(
        &self,
        conn: ConnId,
        author: &Author,
        writers: &Writers,
        server: ClientID,
        client: ClientID,
        ends: bool,
    ) -> bool {
        if client == server {
            return false;
        }
        match self.speakers.get(&client) {
            Some((speaker, _)) if *speaker == conn => true,
            // Only a state's own connection ends it; everyone else's removals are echoes.
            _ if ends => false,
            Some((_, token)) if *token != *author.token() => false,
            _ => writers.claim(author, client) != Claim::Taken,
        }
    }

    /// States connection `conn` speaks for.
    fn count(&self, conn: ConnId) -> usize {
        self.speakers.values().filter(|(c, _)| *c == conn).count()
    }

    /// Records what an admitted message changed: `conn` now speaks for `set`, and `removed`
    /// have no speaker.
    pub fn record(
        &mut self,
        conn: ConnId,
        author: &Author,
        set: &[ClientID],
        removed: &[ClientID],
    ) {
        for client in set {
            self.speakers
                .insert(*client, (conn, author.token().clone()));
        }
        for client in removed {
            self.speakers.remove(client);
        }
    }

    /// Records what an awareness message of another server changed: connections there speak
    /// for `set` (so none here may), and `removed` have no speaker.
    pub fn record_elsewhere(&mut self, set: &[ClientID], removed: &[ClientID]) {
        for client in set {
            // No token's public id is empty: no connection here speaks with it.
            self.speakers.insert(*client, (ELSEWHERE, Arc::from("")));
        }
        for client in removed {
            self.speakers.remove(client);
        }
    }

    /// Forgets connection `conn`; returns the client ids it spoke for.
    pub fn leave(&mut self, conn: ConnId) -> Vec<ClientID> {
        let spoken: Vec<ClientID> = self
            .speakers
            .iter()
            .filter(|(_, (c, _))| *c == conn)
            .map(|(client, _)| *client)
            .collect();
        for client in &spoken {
            self.speakers.remove(client);
        }
        spoken
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashMap;

    use workshop_shared::access::Capability;
    use yrs::sync::awareness::AwarenessUpdateEntry;

    use super::*;
    use crate::store::Owner;

    const SERVER: ClientID = ClientID::new(1);

    fn id(n: u64) -> ClientID {
        ClientID::new(n)
    }

    fn update(entries: &[(u64, u32, &str)]) -> AwarenessUpdate {
        AwarenessUpdate {
            clients: entries
                .iter()
                .map(|(client, clock, json)| {
                    (
                        id(*client),
                        AwarenessUpdateEntry {
                            clock: *clock,
                            json: (*json).into(),
                        },
                    )
                })
                .collect::<HashMap<_, _>>(),
        }
    }

    fn clients(update: &AwarenessUpdate) -> Vec<u64> {
        let mut clients: Vec<u64> = update.clients.keys().map(ClientID::get).collect();
        clients.sort_unstable();
        clients
    }

    #[test]
    fn a_state_is_its_connections_and_others_writes_to_it_are_dropped() {
        let mut presences = Presences::default();
        let writers = Writers::default();
        let ann = Author::new(Capability::Viewer, "t-ann");
        let eve = Author::new(Capability::Viewer, "t-eve");
        let first = presences
            .admit(
                1,
                &ann,
                &writers,
                SERVER,
                update(&[(10, 1, r#"{"n":"Ann"}"#)]),
            )
            .unwrap();
        assert_eq!(clients(&first), [10]);
        presences.record(1, &ann, &[id(10)], &[]);
        // Another connection forges Ann's state, removes it, and sets its own.
        let forged = update(&[
            (10, 5, r#"{"n":"Ann (facilitator)"}"#),
            (20, 1, r#"{"n":"Eve"}"#),
        ]);
        let admitted = presences.admit(2, &eve, &writers, SERVER, forged).unwrap();
        assert_eq!(clients(&admitted), [20]);
        let removal = presences
            .admit(2, &eve, &writers, SERVER, update(&[(10, 6, "null")]))
            .unwrap();
        assert!(removal.clients.is_empty());
        // Ann changes and ends her own.
        let own = presences
            .admit(1, &ann, &writers, SERVER, update(&[(10, 2, "null")]))
            .unwrap();
        assert_eq!(clients(&own), [10]);
    }

    #[test]
    fn the_same_token_takes_over_and_owned_client_ids_are_not_taken() {
        let mut presences = Presences::default();
        let mut writers = Writers::default();
        writers.insert(id(30), Owner::Token("t-fay".into()));
        let fay = Author::new(Capability::Facilitator, "t-fay");
        let eve = Author::new(Capability::Viewer, "t-eve");
        presences.record(1, &fay, &[id(30)], &[]);
        // Fay reconnects before the server noticed the old connection drop.
        let again = presences
            .admit(2, &fay, &writers, SERVER, update(&[(30, 3, "{}")]))
            .unwrap();
        assert_eq!(clients(&again), [30]);
        presences.leave(1);
        presences.leave(2);
        // With nobody speaking for it, the id still belongs to Fay's token in the document,
        // and the server's id to nobody.
        let forged = presences
            .admit(
                3,
                &eve,
                &writers,
                SERVER,
                update(&[(30, 9, "{}"), (SERVER.get(), 1, "{}")]),
            )
            .unwrap();
        assert!(forged.clients.is_empty());
    }

    #[test]
    fn too_many_or_too_large_states_refuse_the_message() {
        let presences = Presences::default();
        let writers = Writers::default();
        let eve = Author::new(Capability::Viewer, "t-eve");
        let many: Vec<(u64, u32, &str)> = (100..100 + MAX_PRESENCES_PER_CONNECTION as u64 + 1)
            .map(|client| (client, 1, "{}"))
            .collect();
        assert_eq!(
            presences.admit(1, &eve, &writers, SERVER, update(&many)),
            Err(PresenceError::TooMany {
                max: MAX_PRESENCES_PER_CONNECTION
            })
        );
        assert!(presences
            .admit(1, &eve, &writers, SERVER, update(&many[1..]))
            .is_ok());
        let large = format!("\"{}\"", "x".repeat(MAX_PRESENCE_BYTES));
        assert_eq!(
            presences.admit(1, &eve, &writers, SERVER, update(&[(5, 1, &large)])),
            Err(PresenceError::TooLarge {
                max: MAX_PRESENCE_BYTES
            })
        );
    }
}
