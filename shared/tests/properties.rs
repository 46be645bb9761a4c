//! Properties of the engine over generated workshops (DOMAIN.md section 5).

use proptest::prelude::*;
use time::macros::date;
use workshop_shared::model::Workshop;
use workshop_shared::results::write;
use workshop_shared::schema::{self, key};
use workshop_shared::template::{self, WorkshopMeta, APPROACHES, ASPECTS};
use workshop_shared::{compute, recompute, Results};
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Doc, Map, MapPrelim, MapRef, Out, ReadTxn, Transact, TransactionMut, Update, WriteTxn,
};

const TODAY: time::Date = date!(2026 - 11 - 23);
const WORLDS: [&str; 4] = ["customer", "service", "management", "political"];

/// One participant's vote on one factor: (aspect index, factor index, score, weight).
type Vote = (usize, usize, u8, u8);

fn new_doc(client: u64) -> Doc {
    let doc = Doc::with_client_id(client);
    let meta = WorkshopMeta {
        title: "Workshop".into(),
        place: "Place".into(),
        created_at: "2026-11-23T09:00:00Z".into(),
    };
    template::fill(&mut doc.transact_mut(), &meta);
    doc
}

fn child(txn: &TransactionMut, map: &MapRef, k: &str) -> MapRef {
    match map.get(txn, k) {
        Some(Out::YMap(m)) => m,
        other => panic!("{k} is not a map: {other:?}"),
    }
}

fn factor_map(txn: &mut TransactionMut, aspect: usize, factor: usize) -> MapRef {
    let a = &ASPECTS[aspect % ASPECTS.len()];
    let (factor_id, _) = a.factors[factor % a.factors.len()];
    let aspects = txn.get_or_insert_map(schema::ASPECTS);
    let aspect_map = child(txn, &aspects, a.id);
    let factors = child(txn, &aspect_map, key::FACTORS);
    child(txn, &factors, factor_id)
}

/// Writes each participant's votes (participant ids given by `name`) and registers them.
fn cast(doc: &Doc, votes: &[Vec<Vote>], name: impl Fn(usize) -> String) {
    let mut txn = doc.transact_mut();
    let participants = txn.get_or_insert_map(schema::PARTICIPANTS);
    for (p, ballot) in votes.iter().enumerate() {
        let id = name(p);
        participants.insert(
            &mut txn,
            id.as_str(),
            MapPrelim::from([(key::WORLD, WORLDS[p % WORLDS.len()])]),
        );
        for &(aspect, factor, score, weight) in ballot {
            let f = factor_map(&mut txn, aspect, factor);
            let scores = child(&txn, &f, key::SCORES);
            scores.insert(&mut txn, id.as_str(), i64::from(score));
            let weights = child(&txn, &f, key::WEIGHTS);
            weights.insert(&mut txn, id.as_str(), i64::from(weight));
        }
    }
}

fn results_of(doc: &Doc) -> Results {
    compute(&Workshop::read(&doc.transact()), TODAY)
}

fn json(results: &Results) -> String {
    serde_json::to_string(results).expect("results serialise")
}

fn ballots() -> impl Strategy<Value = Vec<Vec<Vote>>> {
    prop::collection::vec(
        prop::collection::vec((0..8usize, 0..6usize, 1..=5u8, 0..=3u8), 0..12),
        1..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn same_document_gives_byte_identical_results(votes in ballots()) {
        let doc = new_doc(1);
        cast(&doc, &votes, |p| format!("p{p}"));
        let first = json(&results_of(&doc));
        prop_assert_eq!(&first, &json(&results_of(&doc)));
        // A replica built from the encoded state, under another client id, agrees.
        let replica = Doc::with_client_id(2);
        let state = doc.transact().encode_state_as_update_v1(&Default::default());
        replica
            .transact_mut()
            .apply_update(Update::decode_v1(&state).expect("decodes"))
            .expect("applies");
        prop_assert_eq!(&first, &json(&results_of(&replica)));
    }

    #[test]
    fn fit_is_within_0_and_100_and_coverage_within_0_and_1(votes in ballots()) {
        let doc = new_doc(1);
        cast(&doc, &votes, |p| format!("p{p}"));
        let results = results_of(&doc);
        prop_assert_eq!(results.approaches.len(), APPROACHES.len());
        for approach in &results.approaches {
            if let Some(fit) = approach.fit {
                prop_assert!((0.0..=100.0).contains(&fit), "{fit}");
            }
            prop_assert!((0.0..=1.0).contains(&approach.coverage));
        }
        for aspect in &results.aspects {
            if let Some(score) = aspect.score {
                prop_assert!((1.0..=5.0).contains(&score), "{score}");
            }
            prop_assert!((0.0..=1.0).contains(&aspect.confidence));
        }
    }

    #[test]
    fn raising_a_factors_score_never_lowers_its_aspect_or_any_fit(
        votes in ballots(),
        target in (0..8usize, 0..6usize),
        from in 1..5u8,
        step in 1..4u8,
    ) {
        let doc = new_doc(1);
        cast(&doc, &votes, |p| format!("p{p}"));
        let set_agreed = |score: u8| {
            let mut txn = doc.transact_mut();
            let f = factor_map(&mut txn, target.0, target.1);
            f.insert(&mut txn, key::AGREED_SCORE, i64::from(score));
        };
        set_agreed(from);
        let before = Workshop::read(&doc.transact());
        set_agreed((from + step).min(5));
        let after = Workshop::read(&doc.transact());
        let aspect = target.0 % ASPECTS.len();
        let (b, a) = (compute(&before, TODAY), compute(&after, TODAY));
        let (sb, sa) = (b.aspects[aspect].score, a.aspects[aspect].score);
        prop_assert!(sa >= sb, "{sb:?} → {sa:?}");
        for approach in &b.approaches {
            let later = a.approaches.iter().find(|x| x.id == approach.id).expect("same approaches");
            prop_assert!(later.fit >= approach.fit, "{}: {:?} → {:?}", approach.id, approach.fit, later.fit);
        }
    }

    #[test]
    fn renaming_participants_changes_nothing(votes in ballots(), salt in "[a-z]{1,8}") {
        let original = new_doc(1);
        cast(&original, &votes, |p| format!("p{p}"));
        let renamed = new_doc(1);
        cast(&renamed, &votes, |p| format!("{salt}-{}-renamed", 1000 - p));
        prop_assert_eq!(json(&results_of(&original)), json(&results_of(&renamed)));
    }

    #[test]
    fn junk_anywhere_never_panics(junk in prop::collection::vec((0..6usize, "[a-z_]{1,12}|order|scores|weights|quick|factors|relevance|kind|control|due|aspects|items|world|selected_approach", any_value()), 1..40)) {
        let doc = new_doc(1);
        {
            let mut txn = doc.transact_mut();
            for (place, k, value) in junk {
                let target = junk_target(&mut txn, place);
                target.insert(&mut txn, k, value);
            }
        }
        let mut txn = doc.transact_mut();
        let outcome = recompute(&mut txn, TODAY);
        prop_assert!(outcome.changed);
        let mut again = outcome.results.clone();
        prop_assert!(!write(&mut txn, &mut again));
        prop_assert_eq!(again, outcome.results);
    }
}

/// A map somewhere in the document to scribble in.
fn junk_target(txn: &mut TransactionMut, place: usize) -> MapRef {
    match place {
        0 => txn.get_or_insert_map(schema::META),
        1 => factor_map(txn, 2, 4),
        2 => {
            let f = factor_map(txn, 0, 0);
            child(txn, &f, key::SCORES)
        }
        3 => {
            let approaches = txn.get_or_insert_map(schema::APPROACHES);
            let x = child(txn, &approaches, APPROACHES[0].id);
            child(txn, &x, key::RELEVANCE)
        }
        4 => txn.get_or_insert_map(schema::ITEMS),
        _ => txn.get_or_insert_map(schema::ASPECTS),
    }
}

fn any_value() -> impl Strategy<Value = Any> {
    let leaf = prop_oneof![
        Just(Any::Null),
        Just(Any::Undefined),
        any::<bool>().prop_map(Any::Bool),
        any::<i64>().prop_map(Any::from),
        (-2i64..8).prop_map(Any::from),
        any::<f64>().prop_map(Any::from),
        (0.0f64..6.0).prop_map(Any::from),
        "[ -~]{0,12}".prop_map(|s| Any::from(s.as_str())),
        Just(Any::from("constraint")),
        Just(Any::from("2026-02-30")),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Any::from),
            prop::collection::hash_map("[a-z]{1,4}", inner, 0..4).prop_map(Any::from),
        ]
    })
}

#[test]
fn full_workshop_scenario_through_the_document() {
    // Two participants score whole-system/shared-understanding 2 and 5: median 3.5, the only
    // known factor, so the aspect's provisional score is 3.5 with confidence 1/6.
    let doc = new_doc(5);
    cast(&doc, &[vec![(0, 0, 2, 1)], vec![(0, 0, 5, 1)]], |p| {
        format!("p{p}")
    });
    let outcome = recompute(&mut doc.transact_mut(), TODAY);
    let whole = &outcome.results.aspects[0];
    assert_eq!(whole.id, "whole-system");
    assert_eq!(whole.score, Some(3.5));
    assert_eq!(whole.confidence, 0.167);
    assert_eq!(whole.contested, ["shared-understanding"]);
    // p0 is customer, p1 service: a 3-point perspective gap.
    assert_eq!(whole.perspective_gap, Some(3.0));
    // Only whole-system is known: place-leadership has r = 3 of 14 there → coverage 0.214.
    let leadership = outcome
        .results
        .approaches
        .iter()
        .find(|a| a.id == "place-leadership")
        .expect("approach");
    assert_eq!(leadership.fit, Some(62.5));
    assert_eq!(leadership.coverage, 0.214);
    assert_eq!(outcome.results.recommended, None);
    // The stored map holds the same figures.
    let txn = doc.transact();
    let stored = txn.get_map(schema::RESULTS).expect("results");
    let Some(Out::Any(aspects)) = stored.get(&txn, "aspects") else {
        panic!("aspects stored");
    };
    let stored: serde_json::Value = serde_json::to_value(&aspects).expect("json");
    assert_eq!(stored[0]["score"], 3.5);
}
