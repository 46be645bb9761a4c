//! Frames from three connections of different roles (facilitator, participant, viewer) into
//! one room holding the template workshop, with the write path's invariants checked after
//! every frame. Shared by the `connections` fuzz target (`server/fuzz`) and the replay of its
//! committed inputs (`server/tests/connections.rs`).
//!
//! An input is a list of records: one byte naming the connection (its value modulo 3), two
//! bytes of length (little-endian), then that many bytes of frame (cut short at the end of the
//! input). After every frame:
//!
//! - a viewer's frame changed neither the document nor its state vector, and had nothing
//!   accepted;
//! - the document holds nothing pending;
//! - a bystander fed exactly the updates the room accepted holds the same document;
//!
//! and at the end the document can still be encoded whole and read back. A failed invariant
//! panics.

use workshop_server::rooms::{Author, Effects, MemoryRoom};
use workshop_server::sync;
use workshop_shared::access::Capability;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

/// The template workshop the corpora are made against (`shared/tests/corpus.rs`).
const TEMPLATE_STATE: &[u8] = include_bytes!("../../../shared/tests/corpus/template.state");

fn template(client: u64) -> Doc {
    let doc = Doc::with_client_id(client);
    if let Ok(update) = Update::decode_v1(TEMPLATE_STATE) {
        let _ = doc.transact_mut().apply_update(update);
    }
    doc
}

fn json(doc: &Doc) -> serde_json::Value {
    workshop_shared::export::document_json(&doc.transact())
}

/// Runs one input; panics if an invariant fails.
pub fn run(input: &[u8]) {
    let (mut room, _) = MemoryRoom::new(template(2), Vec::new());
    let bystander = template(3);
    let mut authors = [
        Author::new(Capability::Facilitator, "facilitator"),
        Author::new(
            Capability::Participant("11111111-1111-4111-8111-111111111111".into()),
            "participant",
        ),
        Author::new(Capability::Viewer, "viewer"),
    ];
    let mut rest = input;
    while let [who, low, high, tail @ ..] = rest {
        let conn = usize::from(*who % 3);
        let len = usize::from(u16::from_le_bytes([*low, *high])).min(tail.len());
        let (frame, after) = tail.split_at(len);
        rest = after;
        let before = (room.doc().transact().state_vector(), json(room.doc()));
        let _ = sync::count_limited_messages(frame);
        let Ok(messages) = sync::decode_frame(frame) else {
            continue;
        };
        let mut effects = Effects::default();
        for message in messages {
            if room
                .handle(conn as u64, &mut authors[conn], message, &mut effects)
                .is_err()
            {
                break;
            }
        }
        for update in &effects.updates {
            let update = Update::decode_v1(update).expect("the room relays valid updates");
            bystander
                .transact_mut()
                .apply_update(update)
                .expect("a relayed update applies");
        }
        if conn == 2 {
            assert!(effects.updates.is_empty(), "a viewer's update was accepted");
            assert_eq!(room.doc().transact().state_vector(), before.0);
            assert_eq!(json(room.doc()), before.1);
        }
        assert!(!room.doc().transact().has_missing_updates());
        assert_eq!(json(&bystander), json(room.doc()));
    }
    let state = room
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    assert!(Update::decode_v1(&state).is_ok());
}
