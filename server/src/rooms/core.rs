//! What a room decides, with no I/O: the document and its presence states, and the rules for
//! what each connection's messages may do to them.
//!
//! [`RoomCore::handle`] takes one decoded message of one connection and either applies it or
//! refuses it, and says in [`Effects`] what the room must then do: store new client-id owners
//! and append accepted updates (in that order, under the room's lock), flush, reply to the
//! sender, relay. Updates are judged by the write guard ([`super::guard`]), client ids by
//! [`super::writers`], presence by [`super::presence`]. Because nothing here touches a socket,
//! a disk or a clock, the same core runs in the server, in the property tests and in the fuzz
//! target over sequences of frames from several connections.
//!
//! The guard judges an update in the document itself; when the document took in an update it
//! must not keep, [`Effects::rollback`] asks the caller to rebuild the document from its log
//! and hand it to [`RoomCore::roll_back`], which finishes the update. The server's room
//! rebuilds it from its store; [`MemoryRoom`] keeps its log in memory, for tests and tools.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

use workshop_shared::access::{Reason, Refusal};
use yrs::sync::Awareness;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact};

use super::guard::{self, Judged, Then, Verdict};
use super::presence::Presences;
use super::room::{ConnId, RoomError};
use super::writers::{Author, Owner, Writers};
use crate::sync::{self, Inbound};

/// Transaction origin of the updates other servers judged ([`RoomCore::take_in`]).
pub const HEARD_ORIGIN: &str = "workshop-server:heard";

/// The client ids that write in `updates` (v1), which do not decode are left out.
pub fn writers_of(updates: &[Vec<u8>]) -> Vec<ClientID> {
    let mut clients: Vec<ClientID> = updates
        .iter()
        .filter_map(|update| yrs::Update::decode_v1(update).ok())
        .flat_map(|update| {
            update
                .state_vector()
                .iter()
                .map(|(client, _)| *client)
                .collect::<Vec<_>>()
        })
        .collect();
    clients.sort_unstable_by_key(|client| client.get());
    clients.dedup();
    clients
}

/// What handling messages calls for, in the order it must happen.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Client-id owners to store, before the updates below are appended.
    pub owners: Vec<(ClientID, Owner)>,
    /// Accepted updates, already applied to the document: append them, flush, then relay
    /// them to the other peers. Each is exactly what integrated, never the client's bytes.
    pub updates: Vec<Vec<u8>>,
    /// Messages for the sender, after the flush (a sync step 2 may hold what is not on disk
    /// yet).
    pub replies: Vec<Vec<u8>>,
    /// Awareness messages to relay to the other peers at once.
    pub presence: Vec<Vec<u8>>,
    /// Whether the sender asked for every presence state (answered once per batch).
    pub query: bool,
    /// Updates refused, by the reason's code.
    pub refused: Vec<&'static str>,
    /// The document took in an update it must not keep: before anything else reads or
    /// writes it, rebuild it from the log (the updates it was made from and every update
    /// appended since, those above included) under the same client id, and hand it to
    /// [`RoomCore::roll_back`].
    pub rollback: bool,
}

/// A room's document, presence, and who may write what.
pub struct RoomCore {
    /// Owns the document; presence states live beside it.
    awareness: Awareness,
    /// An update whose document is to be rolled back ([`Effects::rollback`]).
    unfinished: Option<Box<Unfinished>>,
    /// Owners of the document's client ids.
    writers: Writers,
    /// Which connection speaks for which presence state.
    presences: Presences,
}

impl std::fmt::Debug for RoomCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomCore")
            .field("client_id", &self.awareness.client_id())
            .finish_non_exhaustive()
    }
}

impl RoomCore {
    /// A core over `doc` with the stored `owners` of its client ids. Returns it with the owners
    /// it added, which the caller stores: every client id the document holds that had no
    /// owner (the server's writes of earlier loads, and whatever was written before owners
    /// were recorded), which nobody may write under any more. The document's own client id
    /// (this load's server writes) is the server's too; it is stored the next time the
    /// workshop loads, if the server wrote under it, since ids are never reused across loads.
    pub fn new(doc: Doc, owners: Vec<(ClientID, Owner)>) -> (RoomCore, Vec<(ClientID, Owner)>) {
        let mut writers = Writers::from_owners(owners);
        let held: Vec<ClientID> = doc
            .transact()
            .state_vector()
            .iter()
            .map(|(client, _)| *client)
            .collect();
        let added: Vec<(ClientID, Owner)> = writers
            .unowned(held)
            .collect::<Vec<_>>()
            .into_iter()
            .map(|client| (client, Owner::Server))
            .collect();
        for (client, owner) in &added {
            writers.insert(*client, owner.clone());
        }
        writers.insert(doc.client_id(), Owner::Server);
        guard::type_roots(&doc);
        let core = RoomCore {
            awareness: Awareness::new(doc),
            unfinished: None,
            writers,
            presences: Presences::default(),
        };
        (core, added)
    }

    /// Of `clients`, those whose owner this core does not know.
    pub fn unowned(&self, clients: &[ClientID]) -> Vec<ClientID> {
        self.writers.unowned(clients.iter().copied()).collect()
    }

    /// Takes in an awareness message another server relayed to its clients (judged there):
    /// its states are spoken for by that server's connections, so no connection here may
    /// change them. Returns the message to relay to this room's peers, if it changed anything.
    pub fn hear_presence(
        &mut self,
        update: yrs::sync::AwarenessUpdate,
    ) -> Result<Option<Vec<u8>>, RoomError> {
        Ok(
            sync::apply_awareness(&mut self.awareness, update)?.map(|change| {
                self.presences
                    .record_elsewhere(&change.set, &change.removed);
                change.relay
            }),
        )
    }

    /// Records owners the store holds (claims made for this room's connections, or other
    /// servers' writers).
    pub fn adopt(&mut self, owners: Vec<(ClientID, Owner)>) {
        for (client, owner) in owners {
            self.writers.insert(client, owner);
        }
    }

    /// Takes in updates another server judged and made durable ([`crate::store::Heard`]),
    /// after the owners of their client ids: `owners` as stored, and the server for any id
    /// among `clients` that has none stored (another server's own writes), so that no client
    /// of this server can write under an id someone else writes under.
    pub fn take_in(
        &mut self,
        owners: Vec<(ClientID, Owner)>,
        clients: &[ClientID],
        updates: &[Vec<u8>],
    ) -> Result<(), RoomError> {
        self.adopt(owners);
        let unowned: Vec<ClientID> = self.writers.unowned(clients.iter().copied()).collect();
        for client in unowned {
            self.writers.insert(client, Owner::Server);
        }
        let doc = self.awareness.doc().clone();
        let applied = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut_with(HEARD_ORIGIN);
            for update in updates {
                let update = yrs::Update::decode_v1(update)
                    .map_err(|error| RoomError::Heard(error.to_string()))?;
                txn.apply_update(update)
                    .map_err(|error| RoomError::Heard(error.to_string()))?;
            }
            Ok(())
        }));
        applied.unwrap_or(Err(RoomError::Poisoned))
    }

    /// The document with its presence states.
    pub fn awareness(&self) -> &Awareness {
        &self.awareness
    }

    /// The document.
    pub fn doc(&self) -> &Doc {
        self.awareness.doc()
    }

    /// Handles one message of connection `conn`, adding what it calls for to `effects`.
    ///
    /// An update is judged first ([`super::guard`]); if accepted, its new client ids are
    /// owned by `author`'s token and it is applied. A refused one leaves no trace once the
    /// caller has rolled the document back ([`Effects::rollback`]), and the sender is told why
    /// (or, if it depends on changes the server lacks, asked once with sync step 1 for them). An error (a presence message that breaks the rules, an update
    /// yrs refuses, or a panic while applying) ends the connection's batch.
    pub fn handle(
        &mut self,
        conn: ConnId,
        author: &mut Author,
        message: Inbound,
        effects: &mut Effects,
    ) -> Result<(), RoomError> {
        match message {
            Inbound::SyncStep1(state_vector) => {
                effects
                    .replies
                    .push(sync::answer_step1(&self.awareness, &state_vector));
            }
            Inbound::Update(update, encoded) => {
                if self.unfinished.is_some() {
                    // The caller did not roll back: nothing more may touch the document.
                    return Err(RoomError::Poisoned);
                }
                let doc = self.awareness.doc();
                match guard::check(author, &self.writers, update, &encoded, doc) {
                    Judged::Done(verdict) => self.settle(conn, author, verdict, effects),
                    Judged::RollBack { before, then } => {
                        self.unfinished = Some(Box::new(Unfinished { conn, before, then }));
                        effects.rollback = true;
                    }
                }
            }
            Inbound::Awareness(update) => {
                let server = self.awareness.client_id();
                let admitted = self
                    .presences
                    .admit(conn, author, &self.writers, server, update)?;
                if admitted.clients.is_empty() {
                    return Ok(());
                }
                if let Some(change) = sync::apply_awareness(&mut self.awareness, admitted)? {
                    self.presences
                        .record(conn, author, &change.set, &change.removed);
                    effects.presence.push(change.relay);
                }
            }
            Inbound::AwarenessQuery => effects.query = true,
            Inbound::Auth => {}
        }
        Ok(())
    }

    /// Takes `doc`, the document rebuilt from the log after [`Effects::rollback`], in place
    /// of the one that took in an update it must not keep, then finishes that update: refused,
    /// or judged again on a copy and applied if accepted. An error ends the connection's
    /// batch; [`RoomError::Poisoned`] (the rebuilt document is not the one from before the
    /// update, or it does not take an accepted update) calls for the room to be dropped.
    pub fn roll_back(
        &mut self,
        doc: Doc,
        author: &mut Author,
        effects: &mut Effects,
    ) -> Result<(), RoomError> {
        effects.rollback = false;
        let Some(unfinished) = self.unfinished.take() else {
            return Ok(());
        };
        let Unfinished { conn, before, then } = *unfinished;
        if doc.client_id() != self.doc().client_id() || doc.transact().state_vector() != before {
            tracing::error!("the document rebuilt from the log is not the one it was");
            return Err(RoomError::Poisoned);
        }
        self.replace_doc(doc);
        match then {
            Then::Refuse(refusal) => {
                self.settle(conn, author, Verdict::Refuse(refusal), effects);
                Ok(())
            }
            Then::Fail(error) => Err(error.into()),
            Then::JudgeOnCopy(update) => {
                let decoded =
                    yrs::Update::decode_v1(&update).map_err(crate::sync::SyncError::from)?;
                let verdict = guard::check_on_copy(author, &self.writers, decoded, self.doc())?;
                if let Verdict::Accept { update, .. } = &verdict {
                    // yrs has `unwrap`s in its integration code; the copy took this very
                    // update, so this cannot fail, but if it did the document may be
                    // half-changed: the room must be reloaded from its log.
                    let doc = self.awareness.doc();
                    let committed = catch_unwind(AssertUnwindSafe(|| guard::commit(doc, update)));
                    if !matches!(committed, Ok(Ok(()))) {
                        return Err(RoomError::Poisoned);
                    }
                }
                self.settle(conn, author, verdict, effects);
                Ok(())
            }
        }
    }

    /// What follows a verdict on an update the document now holds (or never took).
    fn settle(
        &mut self,
        conn: ConnId,
        author: &mut Author,
        verdict: Verdict,
        effects: &mut Effects,
    ) {
        match verdict {
            Verdict::Accept {
                update,
                new_clients,
            } => {
                author.brought(new_clients.len());
                author.accepted();
                for client in new_clients {
                    let owner = Owner::Token(author.token().clone());
                    self.writers.insert(client, owner.clone());
                    effects.owners.push((client, owner));
                }
                effects.updates.push(update);
            }
            Verdict::Nothing => {}
            Verdict::Refuse(refusal) => self.refuse(conn, author, &refusal, effects),
        }
    }

    fn refuse(&self, conn: ConnId, author: &mut Author, refusal: &Refusal, effects: &mut Effects) {
        tracing::info!(conn, code = refusal.code(), %refusal, "refused a write");
        effects.refused.push(refusal.code());
        let reply = if refusal.reason == Reason::Unverifiable && author.ask_for_missing() {
            sync::step1(&self.awareness)
        } else {
            sync::permission_denied(&refusal.to_string())
        };
        effects.replies.push(reply);
    }

    /// Puts `doc` in place of the document, keeping every presence state.
    fn replace_doc(&mut self, doc: Doc) {
        guard::type_roots(&doc);
        let states = self.awareness.update();
        let mut awareness = Awareness::new(doc);
        match states {
            Ok(states) => {
                if let Err(error) = awareness.apply_update(states) {
                    tracing::warn!(%error, "presence states were lost with a rollback");
                }
            }
            Err(error) => tracing::warn!(%error, "presence states were lost with a rollback"),
        }
        self.awareness = awareness;
    }

    /// Nobody is connected: keeps the document encoded, which takes a fraction of the memory
    /// of the live one, and the owners of its client ids. Presence states are dropped (a room
    /// nobody is connected to has none that any connection speaks for).
    pub fn sleep(self) -> Asleep {
        let doc = self.awareness.doc();
        let state = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        Asleep {
            state,
            client_id: doc.client_id(),
            writers: self.writers,
        }
    }

    /// Forgets connection `conn`; returns the awareness message telling the others that the
    /// states it spoke for are gone, if it spoke for any.
    pub fn leave(&mut self, conn: ConnId) -> Option<Vec<u8>> {
        let spoken = self.presences.leave(conn);
        sync::remove_clients(&mut self.awareness, &spoken)
    }
}

/// A room's core while nobody is connected ([`RoomCore::sleep`]).
pub struct Asleep {
    /// The whole document, as a v1 update.
    state: Vec<u8>,
    /// The document's client id, kept across a sleep: the server's writes continue its clock
    /// from what the encoded document holds, so no clock is ever used twice.
    client_id: ClientID,
    /// Owners of the document's client ids.
    writers: Writers,
}

impl std::fmt::Debug for Asleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Asleep")
            .field("client_id", &self.client_id)
            .field("state_bytes", &self.state.len())
            .finish_non_exhaustive()
    }
}

/// A sleeping core's document could not be decoded again (a fault in yrs: it is the
/// server's own encoding of a document yrs held).
#[derive(Debug, thiserror::Error)]
#[error("the workshop's document could not be woken: {0}")]
pub struct WakeError(String);

impl Asleep {
    /// The document's client id.
    pub fn client_id(&self) -> ClientID {
        self.client_id
    }

    /// The core again, with its document decoded under the same client id.
    pub fn wake(self) -> Result<RoomCore, WakeError> {
        let Asleep {
            state,
            client_id,
            writers,
        } = self;
        let woken = catch_unwind(AssertUnwindSafe(|| {
            let doc = Doc::with_client_id(client_id.get());
            let update = yrs::Update::decode_v1(&state).map_err(|e| WakeError(e.to_string()))?;
            doc.transact_mut()
                .apply_update(update)
                .map_err(|e| WakeError(e.to_string()))?;
            Ok(doc)
        }));
        let doc = match woken {
            Ok(result) => result?,
            Err(_) => return Err(WakeError("yrs panicked".into())),
        };
        guard::type_roots(&doc);
        Ok(RoomCore {
            awareness: Awareness::new(doc),
            unfinished: None,
            writers,
            presences: Presences::default(),
        })
    }
}

/// An update judged in the document, which is to be rolled back before it is finished.
#[derive(Debug)]
struct Unfinished {
    /// The sender.
    conn: ConnId,
    /// The document's state vector before the update, which the rebuilt one must have.
    before: StateVector,
    then: Then,
}

/// A [`RoomCore`] whose log is kept in memory, for tests and tools: every transaction its
/// document commits is recorded, and a rollback replays the record up to the update being
/// judged. Server writes made directly on [`MemoryRoom::doc`] are recorded too.
pub struct MemoryRoom {
    core: RoomCore,
    /// Every update the document committed, the one it was made from first.
    log: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl std::fmt::Debug for MemoryRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRoom")
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

impl MemoryRoom {
    /// A room over `doc`, and the owners it added, as [`RoomCore::new`] makes them; what `doc`
    /// holds is its log's first entry.
    pub fn new(doc: Doc, owners: Vec<(ClientID, Owner)>) -> (MemoryRoom, Vec<(ClientID, Owner)>) {
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let log = Arc::new(Mutex::new(vec![state]));
        record(&doc, &log);
        let (core, added) = RoomCore::new(doc, owners);
        (MemoryRoom { core, log }, added)
    }

    /// Handles one message as [`RoomCore::handle`] does, rolling the document back from the
    /// log when the core asks for it.
    pub fn handle(
        &mut self,
        conn: ConnId,
        author: &mut Author,
        message: Inbound,
        effects: &mut Effects,
    ) -> Result<(), RoomError> {
        let logged = self.entries().len();
        let handled = self.core.handle(conn, author, message, effects);
        if !effects.rollback {
            return handled;
        }
        let doc = Doc::with_client_id(self.core.doc().client_id().get());
        {
            let mut entries = self.entries();
            entries.truncate(logged);
            let mut txn = doc.transact_mut();
            for entry in entries.iter() {
                let update = yrs::Update::decode_v1(entry).map_err(crate::sync::SyncError::from)?;
                txn.apply_update(update)
                    .map_err(crate::sync::SyncError::from)?;
            }
        }
        record(&doc, &self.log);
        self.core.roll_back(doc, author, effects)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::ops::Deref for MemoryRoom {
    type Target = RoomCore;

    fn deref(&self) -> &RoomCore {
        &self.core
    }
}

/// Records every update `doc` commits into `log`.
fn record(doc: &Doc, log: &Arc<Mutex<Vec<Vec<u8>>>>) {
    let log = Arc::clone(log);
    let observed = doc.observe_update_v1("workshop-memory-log", move |_, event| {
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.update.clone());
    });
    if let Err(error) = observed {
        tracing::error!(%error, "cannot record the document's updates");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use workshop_shared::access::Capability;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, StateVector, Text, Update};

    use super::*;

    /// A document with `text` written under client id `client`.
    fn written_by(client: u64, text: &str) -> Doc {
        let doc = Doc::with_client_id(client);
        let body = doc.get_or_insert_text("scratch");
        body.push(&mut doc.transact_mut(), text);
        doc
    }

    #[test]
    fn client_ids_the_document_held_without_owners_become_the_servers() {
        let legacy = written_by(7, "before owners were recorded");
        let state = legacy
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        let own = doc.client_id();
        let (mut core, added) = MemoryRoom::new(doc, Vec::new());
        assert_eq!(added, vec![(ClientID::new(7), Owner::Server)]);
        assert!(
            !added.iter().any(|(client, _)| *client == own),
            "this load's own id is stored once it has written"
        );

        // Someone continues client 7's clock: refused, even for the facilitator.
        let continued = {
            let body = legacy.get_or_insert_text("scratch");
            let mut txn = legacy.transact_mut();
            body.push(&mut txn, " and after");
            txn.encode_update_v1()
        };
        let mut author = Author::new(Capability::Facilitator, "facilitator");
        let mut effects = Effects::default();
        let message = Inbound::update(&continued).unwrap();
        core.handle(1, &mut author, message, &mut effects).unwrap();
        assert!(effects.updates.is_empty());
        assert_eq!(effects.refused, vec!["foreign_client"]);
        let text = core.doc().get_or_insert_text("scratch");
        assert_eq!(
            text.get_string(&core.doc().transact()),
            "before owners were recorded"
        );
    }
}
