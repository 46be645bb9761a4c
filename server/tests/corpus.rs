//! The committed corpus of malformed frames (`tests/corpus/*.bin`), replayed through the
//! connection's message handling against a template workshop: every frame must be refused
//! with a [`SyncError`] (which closes that connection with 1007), nothing of it may reach the
//! document, and nothing may panic. The end-to-end suite sends the same files to the real
//! server (`tests/tests/limits.rs`).
//!
//! The files seed the `frame` fuzz target (`server/fuzz`); inputs the fuzzer finds go here
//! too. `cargo test -p workshop-server --test corpus -- --ignored` rewrites the generated ones.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use workshop_server::rooms::{Author, Effects, MemoryRoom, RoomError};
use workshop_server::sync;
use workshop_shared::access::Capability;
use yrs::sync::protocol::{MSG_AUTH, MSG_AWARENESS, MSG_SYNC, MSG_SYNC_STEP_1, MSG_SYNC_UPDATE};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The template workshop the engine's corpus is made against (`shared/tests/corpus.rs`).
fn template_room() -> MemoryRoom {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tests/corpus/template.state");
    let state = std::fs::read(path).unwrap();
    let doc = Doc::with_client_id(2);
    doc.transact_mut()
        .apply_update(Update::decode_v1(&state).unwrap())
        .unwrap();
    MemoryRoom::new(doc, Vec::new()).0
}

/// Handles one frame as a facilitator's connection does; returns the error that closes the
/// connection.
fn handle(room: &mut MemoryRoom, frame: &[u8]) -> Result<(), RoomError> {
    let mut author = Author::new(Capability::Facilitator, "facilitator");
    let mut effects = Effects::default();
    for message in sync::decode_frame(frame)? {
        room.handle(1, &mut author, message, &mut effects)?;
    }
    Ok(())
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

#[test]
fn every_corpus_frame_is_refused_cleanly_and_changes_nothing() {
    let corpus = corpus();
    assert!(corpus.len() >= 10, "the corpus is missing");
    for (name, frame) in corpus {
        // The rate limit's count runs on every frame before decoding.
        let _ = sync::count_limited_messages(&frame);
        let mut room = template_room();
        let before = room.doc().transact().state_vector();
        // The document is not looked at again after a panic, so unwind safety is moot.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let result = handle(&mut room, &frame);
            (result, room)
        }));
        let Ok((result, room)) = outcome else {
            panic!("{name} panicked");
        };
        let error = match result {
            Err(error) => error,
            Ok(()) => panic!("{name} was accepted"),
        };
        // The reason goes into the close frame: it must say something.
        assert!(!error.to_string().is_empty(), "{name}");
        assert_eq!(
            room.doc().transact().state_vector(),
            before,
            "{name} changed the document"
        );
    }
}

/// A fresh client's edit of a scratch text, as one sync update message.
fn scratch_update_message(text: &str) -> Vec<u8> {
    let doc = Doc::with_client_id(9);
    let scratch = doc.get_or_insert_text("scratch");
    let mut txn = doc.transact_mut();
    scratch.push(&mut txn, text);
    let update = txn.encode_update_v1();
    drop(txn);
    debug_assert_eq!(scratch.get_string(&doc.transact()), text);
    sync::update_message(&update)
}

/// Deterministic pseudo-random bytes: the corpus must not change between generations.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

fn generated() -> Vec<(&'static str, Vec<u8>)> {
    let valid = scratch_update_message("kept?");
    let mut valid_then_garbage = valid.clone();
    valid_then_garbage.extend([0xff, 0x13]);
    let mut valid_then_truncated = valid.clone();
    valid_then_truncated.extend(&valid[..valid.len() - 3]);
    let mut huge_update_count = vec![MSG_SYNC, MSG_SYNC_UPDATE, 8];
    huge_update_count.extend([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
    let mut random_sync = vec![MSG_SYNC, MSG_SYNC_UPDATE, 60];
    random_sync.extend(noise(3, 60));
    let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
    vec![
        ("truncated-update", valid[..valid.len() / 2].to_vec()),
        ("truncated-tag", vec![0x80]),
        ("bad-tag", vec![42, 1, 2, 3]),
        ("bad-sync-subtag", vec![MSG_SYNC, 7, 0]),
        ("endless-varint", vec![0xff; 16]),
        (
            "huge-length-prefix",
            vec![
                MSG_SYNC,
                MSG_SYNC_UPDATE,
                0xff,
                0xff,
                0xff,
                0xff,
                0x0f,
                0,
                0,
            ],
        ),
        ("huge-update-client-count", huge_update_count),
        (
            "huge-state-vector-count",
            vec![MSG_SYNC, MSG_SYNC_STEP_1, 5, 0xfe, 0xff, 0xff, 0xff, 0x0f],
        ),
        (
            "huge-awareness-count",
            vec![MSG_AWARENESS, 6, 0xff, 0xff, 0xff, 0x1f, 1, 1],
        ),
        ("awareness-truncated", vec![MSG_AWARENESS, 10, 1, 2]),
        ("auth-truncated-reason", vec![MSG_AUTH, 0, 50, b'a']),
        (
            "update-not-an-update",
            vec![MSG_SYNC, MSG_SYNC_UPDATE, 3, 1, 9, 9],
        ),
        ("valid-then-garbage", valid_then_garbage),
        ("valid-then-truncated", valid_then_truncated),
        ("step1-then-bad-tag", [step1, vec![99]].concat()),
        ("random-bytes", noise(1, 64)),
        ("random-sync-payload", random_sync),
    ]
}

#[test]
#[ignore = "rewrites the generated corpus files; run by hand after changing them"]
fn regenerate_corpus() {
    for (name, frame) in generated() {
        let path = corpus_dir().join(format!("{name}.bin"));
        let outcome = handle(&mut template_room(), &frame);
        println!("{} -> {outcome:?}", path.display());
        assert!(outcome.is_err(), "{name} must be malformed");
        std::fs::write(&path, &frame).unwrap();
    }
}
