//! The write path as a property: a facilitator, a participant and a viewer edit their own
//! copies of a workshop and their updates reach one room in random interleavings, each
//! client's out of order at times (so some wait on others). Whenever the room asks a client
//! for what it lacks (sync step 1), the client answers as a Yjs client does, with everything
//! the room's state vector lacks.
//!
//! Whatever the order, in the end the room's document equals the template with every edit of
//! the facilitator and the participant, and holds nothing the viewer wrote; it never holds
//! anything pending; and a bystander fed exactly what the room relayed holds the same.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use workshop_server::rooms::{Author, Effects, MemoryRoom};
use workshop_server::sync::{self, Inbound};
use workshop_shared::access::Capability;
use workshop_shared::schema::{self, key};
use workshop_shared::template::{self, WorkshopMeta, ASPECTS};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, Map, MapRef, Out, ReadTxn, StateVector, Text, Transact, TransactionMut, Update};

const PARTICIPANT: &str = "11111111-1111-4111-8111-111111111111";

/// The template workshop, as the room holds it when it loads.
fn template() -> Doc {
    let doc = Doc::with_client_id(1);
    let meta = WorkshopMeta {
        title: "Autumn workshop".into(),
        place: "Northshire".into(),
        created_at: "2026-11-23T09:00:00Z".into(),
    };
    template::fill(&mut doc.transact_mut(), &meta);
    doc
}

fn copy(doc: &Doc, client: u64) -> Doc {
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let copy = Doc::with_client_id(client);
    copy.transact_mut()
        .apply_update(Update::decode_v1(&state).unwrap())
        .unwrap();
    copy
}

fn json(doc: &Doc) -> serde_json::Value {
    workshop_shared::export::document_json(&doc.transact())
}

/// The map of factor `factor` of aspect `aspect` (indices into the template).
fn factor(txn: &TransactionMut<'_>, aspect: usize, factor: usize) -> MapRef {
    let template = &ASPECTS[aspect % ASPECTS.len()];
    let (factor_id, _) = template.factors[factor % template.factors.len()];
    let mut map = txn.get_map(schema::ASPECTS).unwrap();
    for step in [template.id, key::FACTORS, factor_id] {
        map = match map.get(txn, step) {
            Some(Out::YMap(inner)) => inner,
            other => panic!("{step}: {other:?}"),
        };
    }
    map
}

/// One edit a client makes on its own copy.
#[derive(Debug, Clone)]
enum Edit {
    /// A vote under the participant's id.
    Vote {
        aspect: usize,
        factor: usize,
        score: i64,
    },
    /// An agreed score (the facilitator's to set).
    Agreed {
        aspect: usize,
        factor: usize,
        score: i64,
    },
    /// Text typed into a factor's notes.
    Notes {
        aspect: usize,
        factor: usize,
        text: String,
    },
}

impl Edit {
    fn apply(&self, doc: &Doc) -> Vec<u8> {
        let mut txn = doc.transact_mut();
        match self {
            Edit::Vote {
                aspect,
                factor: f,
                score,
            } => {
                let scores = match factor(&txn, *aspect, *f).get(&txn, key::SCORES) {
                    Some(Out::YMap(scores)) => scores,
                    other => panic!("scores: {other:?}"),
                };
                scores.insert(&mut txn, PARTICIPANT, *score);
            }
            Edit::Agreed {
                aspect,
                factor: f,
                score,
            } => {
                factor(&txn, *aspect, *f).insert(&mut txn, key::AGREED_SCORE, *score);
            }
            Edit::Notes {
                aspect,
                factor: f,
                text,
            } => {
                let notes = match factor(&txn, *aspect, *f).get(&txn, key::NOTES) {
                    Some(Out::YText(notes)) => notes,
                    other => panic!("notes: {other:?}"),
                };
                notes.push(&mut txn, text);
            }
        }
        txn.encode_update_v1()
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..8usize, 0..6usize, 1..=5i64).prop_map(|(aspect, factor, score)| Edit::Vote {
            aspect,
            factor,
            score
        }),
        (0..8usize, 0..6usize, 1..=5i64).prop_map(|(aspect, factor, score)| Edit::Agreed {
            aspect,
            factor,
            score
        }),
        (0..8usize, 0..6usize, "[a-z ]{1,6}").prop_map(|(aspect, factor, text)| Edit::Notes {
            aspect,
            factor,
            text
        }),
    ]
}

/// One step of a run: a client edits its copy, one of its updates not yet sent reaches the
/// room (`pick` chooses which, so later ones may go first), or a client receives everything
/// the room holds (so that its later edits build on the others').
#[derive(Debug, Clone)]
enum Step {
    Edit(usize, Edit),
    Deliver(usize, usize),
    Receive(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize, edit()).prop_map(|(client, edit)| Step::Edit(client, edit)),
        (0..3usize, any::<usize>()).prop_map(|(client, pick)| Step::Deliver(client, pick)),
        (0..3usize).prop_map(Step::Receive),
    ]
}

/// A client: its copy of the workshop, its connection's author, and its updates not yet sent.
struct Client {
    doc: Doc,
    author: Author,
    unsent: Vec<Vec<u8>>,
}

/// The room, and a bystander that receives exactly what the room relays.
struct Room {
    core: MemoryRoom,
    bystander: Doc,
}

impl Room {
    /// Sends `update` from client `conn`; answers the room's sync step 1 as a Yjs client
    /// would (once per ask: the room does not ask again before it accepted something).
    fn send(&mut self, conn: u64, client: &mut Client, update: Vec<u8>) {
        let mut pending = vec![update];
        while let Some(update) = pending.pop() {
            let mut effects = Effects::default();
            let message = Inbound::update(&update).unwrap();
            self.core
                .handle(conn, &mut client.author, message, &mut effects)
                .unwrap();
            for relayed in &effects.updates {
                self.bystander
                    .transact_mut()
                    .apply_update(Update::decode_v1(relayed).unwrap())
                    .unwrap();
            }
            for reply in &effects.replies {
                for message in sync::decode_frame(reply).unwrap_or_default() {
                    if let Inbound::SyncStep1(state) = message {
                        pending.push(client.doc.transact().encode_state_as_update_v1(&state));
                    }
                }
            }
            assert!(!self.core.doc().transact().has_missing_updates());
        }
    }

    /// What the room's document lacks of `client`'s copy, as the client would send it after
    /// the room's greeting.
    fn catch_up(&mut self, conn: u64, client: &mut Client) {
        let state = self.core.doc().transact().state_vector();
        let diff = client.doc.transact().encode_state_as_update_v1(&state);
        self.send(conn, client, diff);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_room_holds_every_writers_edits_and_nothing_of_the_viewers(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let start = template();
        let (core, _) = MemoryRoom::new(copy(&start, 2), Vec::new());
        let mut room = Room { core, bystander: copy(&start, 3) };
        let mut clients = [
            Client {
                doc: copy(&start, 10),
                author: Author::new(Capability::Facilitator, "facilitator"),
                unsent: Vec::new(),
            },
            Client {
                doc: copy(&start, 20),
                author: Author::new(Capability::Participant(PARTICIPANT.into()), "participant"),
                unsent: Vec::new(),
            },
            Client {
                doc: copy(&start, 30),
                author: Author::new(Capability::Viewer, "viewer"),
                unsent: Vec::new(),
            },
        ];
        for step in steps {
            match step {
                Step::Edit(who, edit) => {
                    // A participant edits only what it may; the viewer tries anything.
                    let allowed = who != 1 || !matches!(edit, Edit::Agreed { .. });
                    if allowed {
                        let update = edit.apply(&clients[who].doc);
                        clients[who].unsent.push(update);
                    }
                }
                Step::Deliver(who, pick) => {
                    let client = &mut clients[who];
                    if !client.unsent.is_empty() {
                        let update = client.unsent.remove(pick % client.unsent.len());
                        room.send(who as u64, client, update);
                    }
                }
                Step::Receive(who) => {
                    let client = &clients[who];
                    let state = client.doc.transact().state_vector();
                    let missing = room.core.doc().transact().encode_state_as_update_v1(&state);
                    client
                        .doc
                        .transact_mut()
                        .apply_update(Update::decode_v1(&missing).unwrap())
                        .unwrap();
                }
            }
        }
        // Every client reconnects: it sends whatever the room lacks.
        for (who, client) in clients.iter_mut().enumerate() {
            room.catch_up(who as u64, client);
        }

        let expected = copy(&start, 4);
        for writer in &clients[..2] {
            let state = writer.doc.transact().encode_state_as_update_v1(&StateVector::default());
            expected.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
        }
        prop_assert_eq!(json(room.core.doc()), json(&expected));
        prop_assert_eq!(json(&room.bystander), json(&expected));
        let viewer = clients[2].doc.client_id();
        prop_assert!(!room.core.doc().transact().state_vector().contains_client(&viewer));
        prop_assert!(!room.core.doc().transact().has_missing_updates());
    }
}

#[test]
fn a_message_reply_asking_for_what_is_missing_is_sync_step_1() {
    // The property above answers the room's asks; make sure it would notice one.
    let start = template();
    let (core, _) = MemoryRoom::new(copy(&start, 2), Vec::new());
    let mut room = Room {
        core,
        bystander: copy(&start, 3),
    };
    let mut client = Client {
        doc: copy(&start, 10),
        author: Author::new(Capability::Facilitator, "facilitator"),
        unsent: Vec::new(),
    };
    let first = Edit::Agreed {
        aspect: 0,
        factor: 0,
        score: 2,
    }
    .apply(&client.doc);
    let second = Edit::Agreed {
        aspect: 0,
        factor: 0,
        score: 3,
    }
    .apply(&client.doc);
    let mut effects = Effects::default();
    room.core
        .handle(
            1,
            &mut client.author,
            Inbound::update(&second).unwrap(),
            &mut effects,
        )
        .unwrap();
    assert!(effects.updates.is_empty());
    let asked = effects.replies.iter().any(|reply| {
        reply[..2] == Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1()[..2]
    });
    assert!(asked, "{:?}", effects.replies);
    drop(first);
    room.catch_up(1, &mut client);
    assert_eq!(json(room.core.doc()), json(&client.doc));
}
