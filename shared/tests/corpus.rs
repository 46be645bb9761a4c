//! The committed corpus of hostile updates (`tests/corpus/*.bin`), replayed against the
//! template workshop: each is refused cleanly by the update decoder, or applied, after which
//! the tolerant reader, the engine, the exports and the results writer must run without
//! panicking (and the exports without failing), and a second recompute must find nothing left
//! to change.
//!
//! The template comes from `tests/corpus/template.state` rather than from
//! [`template::fill`]: filling goes through hash maps, so two fills give the same content
//! under different block ids, and an input that edits a template block must find the very
//! block it was made against. The same files seed the `update` fuzz target (`shared/fuzz`);
//! inputs the fuzzer finds go here too. `cargo test -p workshop-shared --test corpus --
//! --ignored` rewrites the generated ones and the template.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use time::macros::date;
use workshop_shared::model::Workshop;
use workshop_shared::schema::{self, key};
use workshop_shared::template::{self, WorkshopMeta};
use workshop_shared::{compute, export, recompute};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Any, Doc, Map, MapRef, Out, ReadTxn, StateVector, Transact, Update, WriteTxn};

const TODAY: time::Date = date!(2026 - 11 - 23);

/// The template workshop every input is made against, as one v1 update.
const TEMPLATE_FILE: &str = "template.state";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A new template workshop, as [`template::fill`] writes it.
fn filled_template() -> Vec<u8> {
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
}

/// The committed template, in a document of its own.
fn template_doc() -> Doc {
    let state = std::fs::read(corpus_dir().join(TEMPLATE_FILE)).unwrap();
    let doc = Doc::with_client_id(2);
    doc.transact_mut()
        .apply_update(Update::decode_v1(&state).unwrap())
        .unwrap();
    doc
}

/// What replaying one input came to.
#[derive(Debug, PartialEq, Eq)]
enum Replayed {
    /// The decoder refused the bytes.
    Undecodable,
    /// Decoded, but yrs does not read its re-encoding back as the same update: the server
    /// refuses such an update (`server/src/sync.rs`), because the document could never be
    /// encoded again.
    Unencodable,
    /// The document refused the decoded update.
    Refused,
    /// Applied; the reader, engine and writer ran.
    Applied,
}

fn replay(bytes: &[u8]) -> Replayed {
    let doc = template_doc();
    let Ok(update) = Update::decode_v1(bytes) else {
        return Replayed::Undecodable;
    };
    if !Update::decode_v1(&update.encode_v1()).is_ok_and(|again| again == update) {
        return Replayed::Unencodable;
    }
    if doc.transact_mut().apply_update(update).is_err() {
        return Replayed::Refused;
    }
    {
        let txn = doc.transact();
        let workshop = Workshop::read(&txn);
        let _ = compute(&workshop, TODAY);
        let _ = export::document_json(&txn);
        assert!(
            export::workbook(&txn, TODAY).is_ok(),
            "the workbook exports"
        );
        let _ = export::markdown(&txn, TODAY);
        assert!(export::votes_csv(&txn).is_ok(), "the votes export");
    }
    recompute(&mut doc.transact_mut(), TODAY);
    assert!(
        !recompute(&mut doc.transact_mut(), TODAY).changed,
        "a second recompute must find nothing to change"
    );
    // The document can still be sent and stored whole.
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    assert!(Update::decode_v1(&state).is_ok());
    Replayed::Applied
}

#[test]
fn every_corpus_input_is_refused_or_read_without_panicking() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus is missing: {files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = std::panic::catch_unwind(|| replay(&bytes))
            .unwrap_or_else(|_| panic!("{name} panicked"));
        // Inputs named `malformed-*` must not get into the document at all.
        if name.starts_with("malformed-") {
            assert_ne!(outcome, Replayed::Applied, "{name} was applied");
        }
    }
}

/// One generated corpus input.
struct Input {
    name: &'static str,
    bytes: Vec<u8>,
}

/// A change made by another client (id 9) on top of the template, as one v1 update.
fn change(edit: impl FnOnce(&mut yrs::TransactionMut<'_>, &Doc)) -> Vec<u8> {
    let template = template_doc();
    let doc = Doc::with_client_id(9);
    // Its content is the template's; only its id differs.
    let state = template
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    doc.transact_mut()
        .apply_update(Update::decode_v1(&state).unwrap())
        .unwrap();
    let before = doc.transact().state_vector();
    edit(&mut doc.transact_mut(), &doc);
    let update = doc.transact().encode_state_as_update_v1(&before);
    update
}

fn child(txn: &yrs::TransactionMut<'_>, map: &MapRef, k: &str) -> MapRef {
    match map.get(txn, k) {
        Some(Out::YMap(m)) => m,
        other => panic!("{k} is not a map: {other:?}"),
    }
}

fn factor(txn: &mut yrs::TransactionMut<'_>, aspect: &str, factor: &str) -> MapRef {
    let aspects = txn.get_or_insert_map(schema::ASPECTS);
    let aspect = child(txn, &aspects, aspect);
    let factors = child(txn, &aspect, key::FACTORS);
    child(txn, &factors, factor)
}

/// Deterministic pseudo-random bytes (a linear congruential generator): the corpus must
/// not change from one generation to the next.
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

fn generated() -> Vec<Input> {
    let vote = change(|txn, _| {
        let f = factor(txn, "whole-system", "shared-understanding");
        let scores = child(txn, &f, key::SCORES);
        scores.insert(txn, "p1", 4);
    });
    let mut then_garbage = vote.clone();
    then_garbage.extend([0xff, 0xff, 0x13, 0x00]);
    let wrong_types = change(|txn, _| {
        let f = factor(txn, "capacity", "skills-balance");
        let scores = child(txn, &f, key::SCORES);
        scores.insert(txn, "p1", "3.5");
        scores.insert(txn, "p2", 7);
        scores.insert(txn, "p3", f64::NAN);
        scores.insert(txn, "p4", f64::INFINITY);
        scores.insert(txn, "p5", Any::Null);
        f.insert(txn, key::WEIGHTS, "not a map");
        f.insert(txn, key::AGREED_SCORE, -1.0e308);
        let participants = txn.get_or_insert_map(schema::PARTICIPANTS);
        participants.insert(txn, "p1", 42);
        let meta = txn.get_or_insert_map(schema::META);
        meta.insert(txn, key::SELECTED_APPROACH, true);
    });
    let deletions = change(|txn, _| {
        let aspects = txn.get_or_insert_map(schema::ASPECTS);
        let aspect = child(txn, &aspects, "relationships");
        aspect.remove(txn, key::FACTORS);
        aspects.remove(txn, "policy");
        let approaches = txn.get_or_insert_map(schema::APPROACHES);
        approaches.insert(txn, "stray", "x".repeat(1000));
    });
    let mut huge_counts = vec![0xff, 0xff, 0xff, 0xff, 0x0f];
    huge_counts.extend(noise(7, 32));
    vec![
        Input {
            name: "malformed-empty-varint-run",
            bytes: vec![0xff; 24],
        },
        Input {
            name: "malformed-huge-struct-count",
            bytes: huge_counts,
        },
        Input {
            name: "malformed-truncated-vote",
            bytes: vote[..vote.len() / 2].to_vec(),
        },
        Input {
            name: "malformed-random-1",
            bytes: noise(1, 64),
        },
        Input {
            name: "malformed-random-2",
            bytes: noise(2, 512),
        },
        Input {
            name: "malformed-huge-string-length",
            bytes: vec![1, 1, 9, 0, 0x28, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, b'a'],
        },
        Input {
            name: "vote-then-garbage",
            bytes: then_garbage,
        },
        Input {
            name: "wrong-types",
            bytes: wrong_types,
        },
        Input {
            name: "template-deletions",
            bytes: deletions,
        },
        Input {
            name: "vote",
            bytes: vote,
        },
    ]
}

#[test]
#[ignore = "rewrites the generated corpus files; run by hand after changing them"]
fn regenerate_corpus() {
    std::fs::write(corpus_dir().join(TEMPLATE_FILE), filled_template()).unwrap();
    for input in generated() {
        let path = corpus_dir().join(format!("{}.bin", input.name));
        std::fs::write(&path, &input.bytes).unwrap();
        println!("{} -> {:?}", path.display(), replay(&input.bytes));
    }
}
