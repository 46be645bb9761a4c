//! The incremental [`Recomputer`] against the stateless [`recompute`]: after every kind of edit,
//! local or merged from another replica, its results, what it writes into `results` and the
//! model it keeps are those of a full read of the same document.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use time::macros::date;
use time::Date;
use workshop_shared::model::Workshop;
use workshop_shared::schema::{self, key};
use workshop_shared::template::{self, WorkshopMeta, APPROACHES, ASPECTS};
use workshop_shared::{recompute, Recomputed, Recomputer};
use yrs::types::text::TextPrelim;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, ArrayPrelim, Doc, In, Map, MapPrelim, MapRef, Out, ReadTxn, Text, Transact,
    TransactionMut, Update, WriteTxn,
};

const TODAY: Date = date!(2026 - 11 - 23);

fn template_doc(client: u64) -> Doc {
    let doc = Doc::with_client_id(client);
    let meta = WorkshopMeta {
        title: "Workshop".into(),
        place: "Place".into(),
        created_at: "2026-11-23T09:00:00Z".into(),
    };
    template::fill(&mut doc.transact_mut(), &meta);
    doc
}

/// A replica of `doc` with its own client id.
fn replica(doc: &Doc, client: u64) -> Doc {
    let copy = Doc::with_client_id(client);
    merge(doc, &copy);
    copy
}

/// Applies to `to` whatever `from` has that `to` lacks, as a remote update.
fn merge(from: &Doc, to: &Doc) {
    let missing = from
        .transact()
        .encode_state_as_update_v1(&to.transact().state_vector());
    let update = Update::decode_v1(&missing).unwrap();
    to.transact_mut().apply_update(update).unwrap();
}

/// The `results` map as JSON.
fn stored(doc: &Doc) -> serde_json::Value {
    let txn = doc.transact();
    let Some(map) = txn.get_map(schema::RESULTS) else {
        return serde_json::Value::Null;
    };
    map.iter(&txn)
        .map(|(k, v)| {
            let value = match v {
                Out::Any(any) => serde_json::to_value(any).unwrap(),
                other => serde_json::Value::String(other.to_string(&txn)),
            };
            (k.to_owned(), value)
        })
        .collect()
}

/// Recomputes `doc` with `recomputer`, and a copy of it the stateless way, and checks that
/// both give the same outcome, store the same `results`, and that the model kept is the one a
/// full read gives.
fn check(doc: &Doc, recomputer: &mut Recomputer, today: Date) -> Recomputed {
    let copy = replica(doc, 999);
    let full = recompute(&mut copy.transact_mut(), today);
    let incremental = recomputer.recompute(&mut doc.transact_mut(), today);
    assert_eq!(incremental, full);
    assert_eq!(stored(doc), stored(&copy));
    assert_eq!(*recomputer.workshop(), Workshop::read(&doc.transact()));
    incremental
}

/// Whether `outcome` warns about `path`.
fn warned_at(outcome: &Recomputed, path: &str) -> bool {
    outcome.results.warnings.iter().any(|w| w.path == path)
}

/// An attached recomputer that has already read `doc` once.
fn warmed(doc: &Doc) -> Recomputer {
    let mut recomputer = Recomputer::attach(doc).unwrap();
    check(doc, &mut recomputer, TODAY);
    recomputer
}

fn child(txn: &TransactionMut, map: &MapRef, k: &str) -> MapRef {
    match map.get(txn, k) {
        Some(Out::YMap(m)) => m,
        other => panic!("{k} is not a map: {other:?}"),
    }
}

/// The map at `path` (root first).
fn map_at(txn: &mut TransactionMut, path: &[&str]) -> MapRef {
    let (root, rest) = path.split_first().unwrap();
    let mut map = txn.get_or_insert_map(*root);
    for k in rest {
        map = child(txn, &map, k);
    }
    map
}

fn edit(doc: &Doc, f: impl FnOnce(&mut TransactionMut)) {
    f(&mut doc.transact_mut());
}

fn set(doc: &Doc, path: &[&str], k: &str, value: impl Into<In>) {
    edit(doc, |txn| {
        let map = map_at(txn, path);
        map.insert(txn, k, value.into());
    });
}

fn remove(doc: &Doc, path: &[&str], k: &str) {
    edit(doc, |txn| {
        let map = map_at(txn, path);
        map.remove(txn, k);
    });
}

const CAPACITY_CONFIDENCE: [&str; 5] = ["aspects", "capacity", "factors", "confidence", "scores"];

fn register(doc: &Doc, participant: &str, world: &str) {
    set(
        doc,
        &[schema::PARTICIPANTS],
        participant,
        MapPrelim::from([(key::WORLD, world)]),
    );
}

#[test]
fn votes_scores_and_weights_agree_with_a_full_read() {
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    register(&doc, "p1", "customer");
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &CAPACITY_CONFIDENCE, "p1", 4i64);
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert!(outcome.changed);
    set(&doc, &CAPACITY_CONFIDENCE, "p2", 1.0f64);
    check(&doc, &mut recomputer, TODAY);
    set(
        &doc,
        &["aspects", "capacity", "factors", "confidence", "weights"],
        "p1",
        0i64,
    );
    check(&doc, &mut recomputer, TODAY);
    // Invalid votes become warnings, and valid again drops them.
    set(&doc, &CAPACITY_CONFIDENCE, "p3", "high");
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert!(outcome
        .results
        .warnings
        .iter()
        .any(|w| w.path.ends_with("/p3")));
    set(&doc, &CAPACITY_CONFIDENCE, "p3", 5i64);
    check(&doc, &mut recomputer, TODAY);
    // A vote deleted, and cleared with null.
    remove(&doc, &CAPACITY_CONFIDENCE, "p1");
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &CAPACITY_CONFIDENCE, "p2", Any::Null);
    check(&doc, &mut recomputer, TODAY);
    // Nothing changed: nothing written.
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert!(!outcome.changed);
}

#[test]
fn agreed_values_quick_scores_and_orders_agree_with_a_full_read() {
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    let factor = ["aspects", "capacity", "factors", "confidence"];
    set(&doc, &factor, key::AGREED_SCORE, 2i64);
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &factor, key::AGREED_WEIGHT, 3i64);
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &factor, key::AGREED_WEIGHT, 9i64);
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["aspects", "policy", "quick"], "p1", 4i64);
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["aspects", "policy"], key::QUICK_AGREED, 2i64);
    check(&doc, &mut recomputer, TODAY);
    // Orders move aspects and factors; an invalid order is a warning.
    set(&doc, &["aspects", "policy"], key::ORDER, -1i64);
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert_eq!(outcome.results.aspects[0].id, "policy");
    set(&doc, &factor, key::ORDER, "first");
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["aspects", "policy"], key::TITLE, "Policy");
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert_eq!(outcome.results.aspects[0].title.as_deref(), Some("Policy"));
}

#[test]
fn factors_added_renamed_removed_and_replaced_agree_with_a_full_read() {
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    let factors = ["aspects", "capacity", "factors"];
    let new_factor = || {
        MapPrelim::from([
            (key::TITLE, In::from("New")),
            (key::ORDER, In::from(0i64)),
            (
                key::SCORES,
                In::from(MapPrelim::from([("p1", 1i64), ("p2", 5i64)])),
            ),
            (key::WEIGHTS, In::from(MapPrelim::from([("p1", 3i64)]))),
            (key::NOTES, In::from(TextPrelim::new(""))),
        ])
    };
    set(&doc, &factors, "added", new_factor());
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert!(outcome.results.aspects[2]
        .contested
        .contains(&"added".to_string()));
    // Renamed: the same content under another id, in one transaction.
    edit(&doc, |txn| {
        let map = map_at(txn, &factors);
        map.remove(txn, "added");
        map.insert(txn, "renamed", new_factor());
    });
    check(&doc, &mut recomputer, TODAY);
    remove(&doc, &factors, "renamed");
    remove(&doc, &factors, "confidence");
    check(&doc, &mut recomputer, TODAY);
    // A factor replaced by a new map under the same id.
    set(&doc, &factors, "skills-balance", new_factor());
    check(&doc, &mut recomputer, TODAY);
    // A vote map replaced wholesale, and the whole factors map.
    set(
        &doc,
        &["aspects", "capacity", "factors", "skills-balance"],
        key::SCORES,
        MapPrelim::from([("p9", 2i64)]),
    );
    check(&doc, &mut recomputer, TODAY);
    set(
        &doc,
        &["aspects", "capacity"],
        key::FACTORS,
        MapPrelim::from([("only", new_factor())]),
    );
    check(&doc, &mut recomputer, TODAY);
    // Factors that are not a map, then a factor that is not a map.
    set(&doc, &["aspects", "capacity"], key::FACTORS, "not a map");
    check(&doc, &mut recomputer, TODAY);
    set(
        &doc,
        &["aspects", "capacity"],
        key::FACTORS,
        MapPrelim::default(),
    );
    set(&doc, &["aspects", "capacity", "factors"], "stray", 12i64);
    check(&doc, &mut recomputer, TODAY);
}

#[test]
fn aspects_replaced_removed_and_strays_agree_with_a_full_read() {
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    set(&doc, &CAPACITY_CONFIDENCE, "p1", 4i64);
    check(&doc, &mut recomputer, TODAY);
    set(
        &doc,
        &["aspects"],
        "capacity",
        MapPrelim::from([
            (key::ORDER, In::from(3i64)),
            (key::FACTORS, In::from(MapPrelim::default())),
        ]),
    );
    check(&doc, &mut recomputer, TODAY);
    remove(&doc, &["aspects"], "models");
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["aspects"], "bogus", 12i64);
    set(&doc, &["aspects"], "cleared", Any::Null);
    check(&doc, &mut recomputer, TODAY);
    remove(&doc, &["aspects"], "bogus");
    check(&doc, &mut recomputer, TODAY);
}

#[test]
fn participants_approaches_meta_and_groups_agree_with_a_full_read() {
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    for (p, world) in [("c", "customer"), ("s", "service"), ("m", "management")] {
        register(&doc, p, world);
        set(
            &doc,
            &CAPACITY_CONFIDENCE,
            p,
            if p == "c" { 1i64 } else { 5i64 },
        );
    }
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert!(outcome.results.aspects[2].perspective_gap.is_some());
    // Changing world, an invalid world, leaving.
    set(&doc, &["participants", "c"], key::WORLD, "service");
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["participants", "s"], key::WORLD, "mars");
    check(&doc, &mut recomputer, TODAY);
    remove(&doc, &["participants"], "m");
    check(&doc, &mut recomputer, TODAY);
    // Relevance of an approach, its order, and a new approach.
    let relevance = ["approaches", APPROACHES[0].id, key::RELEVANCE];
    set(&doc, &relevance, "capacity", 3i64);
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &relevance, "policy", 3.5f64);
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["approaches", APPROACHES[3].id], key::ORDER, 0i64);
    check(&doc, &mut recomputer, TODAY);
    set(
        &doc,
        &["approaches"],
        "new",
        MapPrelim::from([(key::RELEVANCE, MapPrelim::from([("capacity", 3i64)]))]),
    );
    check(&doc, &mut recomputer, TODAY);
    // The selected approach: valid, naming none, then its approach removed.
    set(&doc, &["meta"], key::SELECTED_APPROACH, "new");
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert_eq!(outcome.results.selected.as_deref(), Some("new"));
    set(&doc, &["meta"], key::SELECTED_APPROACH, "nope");
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["meta"], key::SELECTED_APPROACH, "new");
    check(&doc, &mut recomputer, TODAY);
    remove(&doc, &["approaches"], "new");
    check(&doc, &mut recomputer, TODAY);
    // Groups and their aspects (a Y.Array edited in place).
    set(
        &doc,
        &["groups"],
        "g1",
        MapPrelim::from([
            (key::NAME, In::from("Group")),
            (key::ASPECTS, In::from(ArrayPrelim::from(["capacity"]))),
        ]),
    );
    check(&doc, &mut recomputer, TODAY);
    edit(&doc, |txn| {
        let group = map_at(txn, &["groups", "g1"]);
        let Some(Out::YArray(aspects)) = group.get(txn, key::ASPECTS) else {
            panic!("aspects");
        };
        aspects.push_back(txn, "policy");
    });
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert_eq!(outcome.results.groups.len(), 1);
    set(&doc, &["groups", "g1"], key::ASPECTS, 3i64);
    check(&doc, &mut recomputer, TODAY);
}

#[test]
fn items_actions_hypotheses_and_gaps_agree_with_a_full_read() {
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    let item = |kind: &str| {
        MapPrelim::from([
            (key::KIND, In::from(kind)),
            (key::TITLE, In::from("An item")),
            (key::ASPECT, In::from("capacity")),
            (key::IMPACT, In::from(MapPrelim::from([("p1", 4i64)]))),
            (key::DOTS, In::from(MapPrelim::default())),
            (key::CREATED_AT, In::from("2026-11-23T10:00:00Z")),
        ])
    };
    set(&doc, &["items"], "i1", item("constraint"));
    set(&doc, &["items"], "i2", item("enabler"));
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert_eq!(outcome.results.constraints.len(), 1);
    set(&doc, &["items", "i1", "dots"], "p1", 3i64);
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["items", "i1"], key::CONTROL, "in_control");
    check(&doc, &mut recomputer, TODAY);
    set(&doc, &["items", "i2"], key::KIND, "risk");
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert!(outcome.results.enablers.is_empty());
    set(&doc, &["items", "i2"], key::KIND, "enabler");
    check(&doc, &mut recomputer, TODAY);
    // An action linking i1, then overdue, then a later day.
    set(
        &doc,
        &["actions"],
        "a1",
        MapPrelim::from([
            (key::ITEMS, In::from(ArrayPrelim::from(["i1"]))),
            (key::DUE, In::from("2026-11-30")),
            (key::STATUS, In::from("agreed")),
        ]),
    );
    check(&doc, &mut recomputer, TODAY);
    let later = date!(2026 - 12 - 01);
    let outcome = check(&doc, &mut recomputer, later);
    assert!(warned_at(&outcome, "actions/a1"));
    set(&doc, &["actions", "a1"], key::DUE, "2026-02-30");
    check(&doc, &mut recomputer, later);
    remove(&doc, &["items"], "i1");
    check(&doc, &mut recomputer, later);
    // More hypotheses and gaps than recommended, one with an invalid order.
    for n in 0..11 {
        set(
            &doc,
            &["hypotheses"],
            &format!("h{n}"),
            MapPrelim::from([(key::ORDER, n)]),
        );
        set(&doc, &["gaps"], &format!("g{n}"), MapPrelim::default());
    }
    set(&doc, &["hypotheses", "h3"], key::ORDER, "x");
    set(&doc, &["gaps"], "stray", true);
    let outcome = check(&doc, &mut recomputer, later);
    assert!(warned_at(&outcome, "hypotheses"));
    remove(&doc, &["hypotheses"], "h3");
    check(&doc, &mut recomputer, later);
    // A cleared entry is no entry: ten hypotheses and a `null` are not too many.
    set(&doc, &["hypotheses"], "h3", Any::Null);
    let outcome = check(&doc, &mut recomputer, later);
    assert!(!warned_at(&outcome, "hypotheses"));
    set(&doc, &["hypotheses"], "h3", MapPrelim::default());
    let outcome = check(&doc, &mut recomputer, later);
    assert!(warned_at(&outcome, "hypotheses"));
    // An action's items that are not all strings link nothing, with a warning.
    set(
        &doc,
        &["actions", "a1"],
        key::ITEMS,
        ArrayPrelim::from([In::from("i2"), In::from(3i64)]),
    );
    let outcome = check(&doc, &mut recomputer, later);
    assert!(warned_at(&outcome, "actions/a1/items"));
}

#[test]
fn notes_edits_change_nothing() {
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    edit(&doc, |txn| {
        let factor = map_at(txn, &["aspects", "capacity", "factors", "confidence"]);
        let Some(Out::YText(notes)) = factor.get(txn, key::NOTES) else {
            panic!("notes");
        };
        notes.insert(txn, 0, "We discussed this at length.");
    });
    let outcome = check(&doc, &mut recomputer, TODAY);
    assert!(!outcome.changed);
    let txn = doc.transact();
    let factor = txn.get_map("aspects").unwrap();
    let Some(Out::YMap(capacity)) = factor.get(&txn, "capacity") else {
        panic!("capacity");
    };
    assert!(capacity
        .get(&txn, key::NOTES)
        .is_some_and(|n| n.to_string(&txn).is_empty()));
}

#[test]
fn remote_updates_and_concurrent_edits_agree_with_a_full_read() {
    let server = template_doc(1);
    let mut recomputer = warmed(&server);
    let alice = replica(&server, 2);
    let bob = replica(&server, 3);
    // Concurrent votes on the same factor, and a concurrent replacement of its scores map.
    set(&alice, &CAPACITY_CONFIDENCE, "alice", 1i64);
    set(&bob, &CAPACITY_CONFIDENCE, "bob", 5i64);
    set(
        &bob,
        &["aspects", "capacity", "factors", "confidence"],
        key::SCORES,
        MapPrelim::from([("carol", 3i64)]),
    );
    merge(&alice, &server);
    check(&server, &mut recomputer, TODAY);
    merge(&bob, &server);
    check(&server, &mut recomputer, TODAY);
    // A deletion made remotely.
    remove(&alice, &["aspects", "capacity", "factors"], "confidence");
    merge(&alice, &server);
    check(&server, &mut recomputer, TODAY);
    // Results written by the server reach the clients, and a client scribbling there is
    // overwritten.
    merge(&server, &alice);
    set(&alice, &[schema::RESULTS], "aspects", "hacked");
    merge(&alice, &server);
    let outcome = check(&server, &mut recomputer, TODAY);
    assert!(outcome.changed);
}

#[test]
fn a_document_loaded_from_an_update_is_observed_from_its_first_edit() {
    // As a room loaded from storage: roots known only by name, empty ones not at all.
    let server = replica(&template_doc(1), 4);
    let mut recomputer = warmed(&server);
    let client = replica(&server, 5);
    register(&client, "p1", "customer");
    set(&client, &CAPACITY_CONFIDENCE, "p1", 2i64);
    set(
        &client,
        &["items"],
        "i1",
        MapPrelim::from([(key::KIND, "enabler"), (key::TITLE, "Remote")]),
    );
    set(&client, &["hypotheses"], "h1", MapPrelim::default());
    merge(&client, &server);
    let outcome = check(&server, &mut recomputer, TODAY);
    assert_eq!(outcome.results.enablers.len(), 1);
    assert_eq!(recomputer.workshop().hypotheses, 1);
}

#[test]
fn a_recomputer_can_be_sent_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    send(&recomputer);
    let doc_for_thread = doc.clone();
    let outcome =
        std::thread::spawn(move || recomputer.recompute(&mut doc_for_thread.transact_mut(), TODAY))
            .join()
            .unwrap();
    assert!(!outcome.changed);
}

#[test]
fn edits_in_the_recomputing_transaction_are_read() {
    let doc = template_doc(1);
    let mut recomputer = warmed(&doc);
    let copy = replica(&doc, 999);
    let incremental = {
        let mut txn = doc.transact_mut();
        let scores = map_at(&mut txn, &CAPACITY_CONFIDENCE);
        scores.insert(&mut txn, "p1", 2i64);
        recomputer.recompute(&mut txn, TODAY)
    };
    set(&copy, &CAPACITY_CONFIDENCE, "p1", 2i64);
    let full = recompute(&mut copy.transact_mut(), TODAY);
    assert_eq!(incremental, full);
    assert_eq!(stored(&doc), stored(&copy));
    // And the change, seen by the observers as that transaction committed, is read again.
    check(&doc, &mut recomputer, TODAY);
}

#[test]
fn a_recomputer_attached_late_or_to_another_document_still_agrees() {
    let doc = template_doc(1);
    set(&doc, &CAPACITY_CONFIDENCE, "p1", 2i64);
    let mut recomputer = warmed(&doc);
    // Another document is recomputed the stateless way, leaving the model kept alone.
    let other = template_doc(2);
    set(&other, &CAPACITY_CONFIDENCE, "p1", 5i64);
    let copy = replica(&other, 999);
    let outcome = recomputer.recompute(&mut other.transact_mut(), TODAY);
    assert_eq!(outcome, recompute(&mut copy.transact_mut(), TODAY));
    assert_eq!(*recomputer.workshop(), Workshop::read(&doc.transact()));
    // Two recomputers on one document, one dropped.
    let second = Recomputer::attach(&doc).unwrap();
    drop(second);
    set(&doc, &CAPACITY_CONFIDENCE, "p2", 4i64);
    check(&doc, &mut recomputer, TODAY);
    // Attaching while a transaction is open fails.
    let txn = doc.transact_mut();
    assert!(Recomputer::attach(&doc).is_err());
    drop(txn);
}

// ---- Random edits from several replicas -------------------------------------------------

/// A value to put somewhere.
#[derive(Debug, Clone)]
enum Value {
    Int(i64),
    Float(f64),
    Str(&'static str),
    Bool,
    Null,
    /// A map with every key an entity of any kind reads (and a nested vote map each).
    Entity,
    /// A small vote map.
    Votes,
    Array,
    Text,
    Delete,
}

impl Value {
    fn put(&self, txn: &mut TransactionMut, map: &MapRef, k: &str) {
        let value: In = match self {
            Value::Int(i) => In::from(*i),
            Value::Float(f) => In::from(*f),
            Value::Str(s) => In::from(*s),
            Value::Bool => In::from(true),
            Value::Null => In::from(Any::Null),
            Value::Entity => In::from(entity_prelim()),
            Value::Votes => In::from(MapPrelim::from([("p0", 3i64), ("p1", 5i64)])),
            Value::Array => In::from(ArrayPrelim::from(["capacity", "i0"])),
            Value::Text => In::from(TextPrelim::new("text")),
            Value::Delete => {
                map.remove(txn, k);
                return;
            }
        };
        map.insert(txn, k, value);
    }
}

fn entity_prelim() -> MapPrelim {
    let votes = |v: i64| In::from(MapPrelim::from([("p0", v), ("p2", 1i64)]));
    MapPrelim::from([
        (key::ORDER, In::from(2i64)),
        (key::TITLE, In::from("T")),
        (key::SCORES, votes(4)),
        (key::WEIGHTS, votes(2)),
        (key::QUICK, votes(3)),
        (key::IMPACT, votes(5)),
        (key::DOTS, votes(2)),
        (
            key::RELEVANCE,
            In::from(MapPrelim::from([("capacity", 3i64), ("policy", 1i64)])),
        ),
        (
            key::FACTORS,
            In::from(MapPrelim::from([(
                "f",
                MapPrelim::from([(key::SCORES, MapPrelim::from([("p1", 2i64)]))]),
            )])),
        ),
        (key::KIND, In::from("constraint")),
        (key::WORLD, In::from("political")),
        (key::CONTROL, In::from("outside_control")),
        (key::CREATED_AT, In::from("2026-11-20T10:00:00+01:00")),
        (key::DUE, In::from("2026-11-01")),
        (key::ITEMS, In::from(ArrayPrelim::from(["i0"]))),
        (key::ASPECTS, In::from(ArrayPrelim::from(["capacity"]))),
        (key::NOTES, In::from(TextPrelim::new(""))),
    ])
}

/// One random edit: a value put at a path, or text typed into the notes at a path.
#[derive(Debug, Clone)]
enum Edit {
    Put(Vec<String>, Value),
    Type(Vec<String>),
}

impl Edit {
    /// Applies the edit when every map on its path exists.
    fn apply(&self, doc: &Doc) {
        let mut txn = doc.transact_mut();
        let path = match self {
            Edit::Put(path, _) | Edit::Type(path) => path,
        };
        let Some((root, rest)) = path.split_first() else {
            return;
        };
        let mut map = txn.get_or_insert_map(root.as_str());
        let (last, between) = match self {
            Edit::Put(..) => match rest.split_last() {
                Some((last, between)) => (Some(last), between),
                None => return,
            },
            Edit::Type(_) => (None, rest),
        };
        for k in between {
            match map.get(&txn, k) {
                Some(Out::YMap(next)) => map = next,
                _ => return,
            }
        }
        match (self, last) {
            (Edit::Put(_, value), Some(last)) => value.put(&mut txn, &map, last),
            (Edit::Type(_), _) => {
                if let Some(Out::YText(notes)) = map.get(&txn, key::NOTES) {
                    notes.insert(&mut txn, 0, "x");
                }
            }
            _ => {}
        }
    }
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (0..=6i64).prop_map(Value::Int),
        1 => prop::sample::select(vec![2.0, 3.5, -0.0, 1e9]).prop_map(Value::Float),
        2 => prop::sample::select(vec![
            "customer", "service", "mars", "constraint", "enabler", "in_control",
            "can_influence", "2026-11-01", "2026-12-31", "done", "dropped", "capacity",
            "place-wellbeing", "market-management", "x",
        ])
        .prop_map(Value::Str),
        1 => Just(Value::Bool),
        1 => Just(Value::Null),
        2 => Just(Value::Entity),
        1 => Just(Value::Votes),
        1 => Just(Value::Array),
        1 => Just(Value::Text),
        2 => Just(Value::Delete),
    ]
}

fn strings(segments: &[&str]) -> Vec<String> {
    segments.iter().map(|s| s.to_string()).collect()
}

/// Paths where edits land, weighted towards what a workshop edits most: votes.
fn path() -> impl Strategy<Value = Vec<String>> {
    let aspect = || prop::sample::select(vec!["whole-system", "capacity", "policy", "new-aspect"]);
    let factor = |a: &'static str| {
        let ids: Vec<&'static str> = ASPECTS
            .iter()
            .find(|aspect| aspect.id == a)
            .map(|aspect| aspect.factors.iter().take(3).map(|(id, _)| *id).collect())
            .unwrap_or_default();
        prop::sample::select([ids, vec!["new-factor"]].concat())
    };
    let aspect_factor = move || aspect().prop_flat_map(move |a| (Just(a), factor(a)));
    let participant = || prop::sample::select(vec!["p0", "p1", "p2", "p3", "p4"]);
    let approach =
        || prop::sample::select(vec![APPROACHES[0].id, APPROACHES[5].id, "new-approach"]);
    let item = || prop::sample::select(vec!["i0", "e0", "new-item"]);
    let of = |keys: &[&'static str]| prop::sample::select(keys.to_vec());
    prop_oneof![
        6 => (aspect_factor(), of(&["scores", "weights"]), participant())
            .prop_map(|((a, f), k, p)| strings(&["aspects", a, "factors", f, k, p])),
        2 => (aspect_factor(), of(&["agreed_score", "agreed_weight", "order", "title", "scores", "weights", "notes"]))
            .prop_map(|((a, f), k)| strings(&["aspects", a, "factors", f, k])),
        1 => aspect_factor().prop_map(|(a, f)| strings(&["aspects", a, "factors", f])),
        1 => (aspect(), participant()).prop_map(|(a, p)| strings(&["aspects", a, "quick", p])),
        1 => (aspect(), of(&["quick_agreed", "order", "title", "factors", "quick", "notes"]))
            .prop_map(|(a, k)| strings(&["aspects", a, k])),
        1 => aspect().prop_map(|a| strings(&["aspects", a])),
        1 => (approach(), aspect()).prop_map(|(x, a)| strings(&["approaches", x, "relevance", a])),
        1 => (approach(), of(&["order", "relevance", "title"]))
            .prop_map(|(x, k)| strings(&["approaches", x, k])),
        2 => participant().prop_map(|p| strings(&["participants", p, "world"])),
        1 => participant().prop_map(|p| strings(&["participants", p])),
        2 => (item(), of(&["impact", "dots"]), participant())
            .prop_map(|(i, k, p)| strings(&["items", i, k, p])),
        1 => (item(), of(&["kind", "control", "title", "aspect", "response", "created_at", "agreed_impact", "impact", "notes"]))
            .prop_map(|(i, k)| strings(&["items", i, k])),
        1 => item().prop_map(|i| strings(&["items", i])),
        1 => (of(&["actions", "groups"]), of(&["a0", "g0"]), of(&["due", "status", "items", "aspects", "order", "name"]))
            .prop_map(|(root, e, k)| strings(&[root, e, k])),
        1 => (of(&["actions", "groups", "hypotheses", "gaps"]), of(&["a0", "g0", "h0", "h1"]))
            .prop_map(|(root, e)| strings(&[root, e])),
        1 => (of(&["hypotheses", "gaps"]), of(&["h0", "h1"])).prop_map(|(root, e)| strings(&[root, e, "order"])),
        1 => Just(strings(&["meta", "selected_approach"])),
        1 => of(&["aspects", "junk"]).prop_map(|k| strings(&["results", k])),
    ]
}

/// A workshop under way: participants in each world, some votes, an item of each kind.
fn seeded_doc() -> Doc {
    let doc = template_doc(1);
    for (p, world) in ["customer", "service", "management", "political"]
        .iter()
        .enumerate()
    {
        let id = format!("p{p}");
        register(&doc, &id, world);
        for (a, aspect) in ASPECTS.iter().enumerate().step_by(2) {
            let (factor, _) = aspect.factors[p % 3];
            let votes = ["aspects", aspect.id, "factors", factor];
            set(
                &doc,
                &[&votes[..], &["scores"]].concat(),
                &id,
                1 + ((a + p) % 5) as i64,
            );
            set(
                &doc,
                &[&votes[..], &["weights"]].concat(),
                &id,
                ((a * p) % 4) as i64,
            );
        }
    }
    set(&doc, &["items"], "i0", entity_prelim());
    set(&doc, &["items"], "e0", entity_prelim());
    set(&doc, &["items", "e0"], key::KIND, "enabler");
    doc
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        8 => (path(), value()).prop_map(|(path, value)| Edit::Put(path, value)),
        1 => path().prop_map(Edit::Type),
    ]
}

/// A step: which replica edits (0 is the server), what, and whether the replicas then sync.
type Step = (usize, Edit, bool, bool);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_edits_from_several_replicas_agree_with_a_full_read(
        steps in prop::collection::vec((0..3usize, edit_strategy(), any::<bool>(), prop::bool::weighted(0.1)), 1..40),
    ) {
        // Loaded from an update, as the server loads a room: roots known only by name.
        let server = replica(&seeded_doc(), 1);
        let clients = [replica(&server, 2), replica(&server, 3)];
        let mut recomputer = Recomputer::attach(&server).unwrap();
        for (replica_index, edit, sync, next_day) in steps as Vec<Step> {
            match replica_index.checked_sub(1).and_then(|c| clients.get(c)) {
                Some(client) => edit.apply(client),
                None => edit.apply(&server),
            }
            if sync {
                for client in &clients {
                    merge(client, &server);
                    merge(&server, client);
                }
            }
            let today = if next_day { date!(2026 - 12 - 01) } else { TODAY };
            let copy = replica(&server, 999);
            let full = recompute(&mut copy.transact_mut(), today);
            let incremental = recomputer.recompute(&mut server.transact_mut(), today);
            prop_assert_eq!(&incremental, &full);
            prop_assert_eq!(
                serde_json::to_string(&incremental.results).unwrap(),
                serde_json::to_string(&full.results).unwrap()
            );
            prop_assert_eq!(stored(&server), stored(&copy));
            prop_assert_eq!(recomputer.workshop(), &Workshop::read(&server.transact()));
        }
    }
}
