//! The property: any edit by any writer either applies, leaving valid data the engine reads
//! without a warning, or is refused with the document byte-for-byte unchanged. Never a panic.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use time::macros::date;
use workshop_shared::model::Workshop;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::{document, state, EDITOR, FACILITATOR, ME, NOBODY, NOW, OTHER_EDITOR};
use crate::edit::{apply_with, AgreeTarget, Edit, Writer};

/// Ids the property test refers to: those its id generator hands out, and strangers.
const IDS: &[&str] = &[
    "new-1", "new-2", "new-3", "new-4", "new-5", "new-6", "missing", "",
];

/// (aspect, factor) pairs: built-in ones, ones the generator may have created, strangers.
const PAIRS: &[(&str, &str)] = &[
    ("whole-system", "shared-understanding"),
    ("capacity", "confidence"),
    ("capacity", "data-skills"),
    ("models", "provider-mix"),
    ("capacity", "new-1"),
    ("models", "new-2"),
    ("capacity", "shared-understanding"),
    ("nope", "confidence"),
];

const ASPECTS: &[&str] = &["whole-system", "capacity", "models", "policy", "nope", ""];
const TEXTS: &[&str] = &[
    "Title",
    "Another one",
    "é ünïcode ✓",
    "Two\nlines",
    "",
    "  ",
];
const DATES: &[&str] = &["2027-01-31", "2028-02-29", "", "2027-02-29", "soon"];

fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(options)
        .prop_map(str::to_owned)
        .boxed()
}

fn maybe(options: &'static [&'static str]) -> BoxedStrategy<Option<String>> {
    proptest::option::of(pick(options)).boxed()
}

/// Mostly a value in 0..=5 (so mostly valid for every scale), sometimes none or far out.
fn value() -> BoxedStrategy<Option<i64>> {
    prop_oneof![
        8 => proptest::option::weighted(0.8, 0i64..6),
        1 => Just(Some(-1)),
        1 => Just(Some(7)),
    ]
    .boxed()
}

fn pair() -> BoxedStrategy<(String, String)> {
    proptest::sample::select(PAIRS)
        .prop_map(|(a, f)| (a.to_owned(), f.to_owned()))
        .boxed()
}

fn any_edit() -> impl Strategy<Value = Edit> {
    let ids = || pick(IDS);
    let list = || proptest::collection::vec(pick(IDS), 0..3).boxed();
    Union::new_weighted(vec![
        (
            2,
            (pick(ASPECTS), value())
                .prop_map(|(aspect, score)| Edit::Quick { aspect, score })
                .boxed(),
        ),
        (
            3,
            (pair(), value())
                .prop_map(|((aspect, factor), score)| Edit::Score {
                    aspect,
                    factor,
                    score,
                })
                .boxed(),
        ),
        (
            2,
            (pair(), value())
                .prop_map(|((aspect, factor), weight)| Edit::Weight {
                    aspect,
                    factor,
                    weight,
                })
                .boxed(),
        ),
        (
            2,
            (0..4u8, pair(), pick(ASPECTS), ids(), value())
                .prop_map(|(which, (aspect, factor), quick_aspect, item, value)| {
                    let target = match which {
                        0 => AgreeTarget::Score { aspect, factor },
                        1 => AgreeTarget::Weight { aspect, factor },
                        2 => AgreeTarget::Quick {
                            aspect: quick_aspect,
                        },
                        _ => AgreeTarget::Impact { item },
                    };
                    Edit::Agree { target, value }
                })
                .boxed(),
        ),
        (
            1,
            (pair(), proptest::bool::ANY, pick(TEXTS))
                .prop_map(|((aspect, factor), on_factor, text)| Edit::Note {
                    aspect,
                    factor: on_factor.then_some(factor),
                    text,
                })
                .boxed(),
        ),
        (
            2,
            (pick(&["capacity", "models", "nope"]), pick(TEXTS))
                .prop_map(|(aspect, title)| Edit::FactorAdd { aspect, title })
                .boxed(),
        ),
        (
            1,
            (pair(), pick(TEXTS))
                .prop_map(|((aspect, factor), title)| Edit::FactorRename {
                    aspect,
                    factor,
                    title,
                })
                .boxed(),
        ),
        (
            1,
            pair()
                .prop_map(|(aspect, factor)| Edit::FactorRemove { aspect, factor })
                .boxed(),
        ),
        (
            3,
            (
                pick(&["constraint", "enabler", "enabler", "other"]),
                maybe(ASPECTS),
                maybe(&["in_control", "can_influence", "outside_control", "bad"]),
                maybe(&["boost", "experiment", "", "bad"]),
                pick(TEXTS),
            )
                .prop_map(|(kind, aspect, control, response, title)| Edit::ItemAdd {
                    kind,
                    aspect,
                    control,
                    response,
                    title,
                })
                .boxed(),
        ),
        (
            2,
            (ids(), value())
                .prop_map(|(item, value)| Edit::Impact { item, value })
                .boxed(),
        ),
        (
            2,
            (ids(), -1i64..5)
                .prop_map(|(item, value)| Edit::Dots { item, value })
                .boxed(),
        ),
        (
            2,
            (
                pick(TEXTS),
                maybe(TEXTS),
                maybe(DATES),
                maybe(&["done", "in_progress", "bad", ""]),
                maybe(ASPECTS),
                list(),
            )
                .prop_map(
                    |(title, owner, due, status, aspect, items)| Edit::ActionAdd {
                        title,
                        owner,
                        due,
                        status,
                        aspect,
                        items,
                    },
                )
                .boxed(),
        ),
        (
            2,
            (
                ids(),
                maybe(TEXTS),
                (maybe(TEXTS), maybe(DATES)),
                maybe(&["done", "dropped", "bad"]),
                maybe(ASPECTS),
                (list(), list()),
            )
                .prop_map(
                    |(id, title, (owner, due), status, aspect, (link, unlink))| Edit::ActionSet {
                        id,
                        title,
                        owner,
                        due,
                        status,
                        aspect,
                        link,
                        unlink,
                    },
                )
                .boxed(),
        ),
        (
            2,
            pick(TEXTS)
                .prop_map(|statement| Edit::HypothesisAdd { statement })
                .boxed(),
        ),
        (
            1,
            (
                ids(),
                maybe(TEXTS),
                maybe(&["accepted", "refuted", "bad"]),
                maybe(TEXTS),
            )
                .prop_map(
                    |(id, statement, status, evidence_append)| Edit::HypothesisSet {
                        id,
                        statement,
                        status,
                        evidence_append,
                    },
                )
                .boxed(),
        ),
        (
            2,
            pick(TEXTS)
                .prop_map(|objective| Edit::GapAdd { objective })
                .boxed(),
        ),
        (
            1,
            (
                ids(),
                pick(&["objective", "rationale", "implications", "bad"]),
                pick(TEXTS),
            )
                .prop_map(|(id, field, text)| Edit::GapSet { id, field, text })
                .boxed(),
        ),
        (
            1,
            maybe(&["market-management", "delivery-model", "nope", ""])
                .prop_map(|approach| Edit::SelectApproach { approach })
                .boxed(),
        ),
    ])
}

fn any_writer() -> impl Strategy<Value = Writer<'static>> {
    proptest::sample::select(vec![
        EDITOR,
        EDITOR,
        OTHER_EDITOR,
        FACILITATOR,
        Writer {
            participant: Some(ME),
            facilitator: true,
        },
        Writer {
            participant: Some(ME),
            facilitator: true,
        },
        NOBODY,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_edit_applies_or_leaves_the_document_unchanged(
        edits in proptest::collection::vec((any_writer(), any_edit()), 1..24)
    ) {
        let doc = document();
        let counter = Cell::new(0u32);
        let mut next_id = || {
            counter.set(counter.get() + 1);
            format!("new-{}", counter.get())
        };
        for (writer, edit) in &edits {
            let before = state(&doc);
            let result = apply_with(&mut doc.transact_mut(), writer, edit, NOW, &mut next_id);
            if let Err(error) = &result {
                prop_assert_eq!(&state(&doc), &before, "{:?} refused ({}) but wrote", edit, error);
                prop_assert!(!error.to_string().is_empty());
            }
        }
        // Whatever was accepted is valid data: the reader finds nothing to warn about, and the
        // document survives a round trip through an update.
        let txn = doc.transact();
        let workshop = Workshop::read(&txn);
        prop_assert!(workshop.warnings.is_empty(), "{:?}", workshop.warnings);
        let _ = workshop_shared::compute(&workshop, date!(2026 - 11 - 23));
        let update = txn.encode_state_as_update_v1(&StateVector::default());
        let copy = Doc::new();
        copy.transact_mut()
            .apply_update(yrs::Update::decode_v1(&update).unwrap())
            .unwrap();
        prop_assert_eq!(copy.transact().state_vector().encode_v1(), txn.state_vector().encode_v1());
    }
}
