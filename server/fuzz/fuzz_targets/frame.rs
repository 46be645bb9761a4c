//! One WebSocket frame from a hostile client, handled as a connection handles it: counted
//! for the rate limit, decoded, and every message applied to a room holding the template
//! workshop; then the engine recomputes over whatever the document has become, as the
//! room's recompute task would. Nothing here may panic, whatever the bytes.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use workshop_server::rooms::{Author, Effects, MemoryRoom};
use workshop_server::sync;
use workshop_shared::access::Capability;
use workshop_shared::template::{self, WorkshopMeta};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

/// The template workshop the corpora are made against (`shared/tests/corpus.rs`): a
/// committed copy, because two fills of the template give the same content under different
/// block ids, and corpus inputs may edit particular blocks.
const TEMPLATE_STATE: &[u8] = include_bytes!("../../../shared/tests/corpus/template.state");

/// The template as one decoded update, or a freshly filled one if the copy is unreadable.
fn template_update() -> &'static [u8] {
    static TEMPLATE: OnceLock<Vec<u8>> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        if Update::decode_v1(TEMPLATE_STATE).is_ok() {
            return TEMPLATE_STATE.to_vec();
        }
        let doc = Doc::with_client_id(1);
        let meta = WorkshopMeta {
            title: "Fuzz workshop".into(),
            place: "Fuzzshire".into(),
            created_at: "2026-11-23T09:00:00Z".into(),
        };
        template::fill(&mut doc.transact_mut(), &meta);
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        state
    })
}

fuzz_target!(|frame: &[u8]| {
    let doc = Doc::with_client_id(2);
    if let Ok(update) = Update::decode_v1(template_update()) {
        let _ = doc.transact_mut().apply_update(update);
    }
    let (mut room, _) = MemoryRoom::new(doc, Vec::new());
    let mut author = Author::new(Capability::Facilitator, "facilitator");
    let mut effects = Effects::default();
    let _ = sync::count_limited_messages(frame);
    let Ok(messages) = sync::decode_frame(frame) else {
        return;
    };
    for message in messages {
        if room.handle(1, &mut author, message, &mut effects).is_err() {
            break;
        }
    }
    let today =
        time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap_or(time::Date::MIN);
    // A rollback replaces the room's document: read it from the room.
    let doc = room.doc().clone();
    let _ = workshop_shared::recompute(&mut doc.transact_mut(), today);
    let _ = sync::resync(room.awareness());
    // Whatever was let in, the room can still be snapshotted and sent whole.
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    assert!(Update::decode_v1(&state).is_ok());
});
