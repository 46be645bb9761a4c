//! The results shape (DOMAIN.md section 7) and the writer that stores it in the document.
//!
//! The writer puts each top-level field into the `results` root map as a plain JSON value and
//! touches only the keys whose value changed, so an unchanged recompute produces no update at
//! all. Keys that are not part of the shape (a client's stray write) are removed. Whether a
//! field changed is found by walking the typed field against the stored value (`same`); a
//! field's JSON is built only when it is written.
//!
//! [`recompute`] reads the whole document every time; a [`Recomputer`] attached to a document
//! that stays open reads again only what changed, with the same results.

use serde::{Deserialize, Serialize};
use yrs::{Any, Map, MapRef, Out, ReadTxn, TransactionMut, WriteTxn};

use crate::engine::compute;
use crate::model::Workshop;
use crate::schema::{self, Control};

mod incremental;
mod same;

pub use incremental::{AttachError, Recomputer};
use same::same;

/// The engine's output. Serialises to the exact JSON of section 7, fields in that order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Results {
    /// Increases with every recompute that changed anything.
    pub revision: u64,
    /// One entry per aspect, in aspect order.
    pub aspects: Vec<AspectResult>,
    /// Every approach, in ranking order.
    pub approaches: Vec<ApproachResult>,
    /// The recommended approach, if any qualifies.
    pub recommended: Option<String>,
    /// Approaches within the blend band of the recommended one, in ranking order.
    pub blend: Vec<String>,
    /// The facilitator's selected approach, else the recommended one.
    pub selected: Option<String>,
    /// Top five constraints, ranked.
    pub constraints: Vec<ItemResult>,
    /// Top five enablers, ranked.
    pub enablers: Vec<ItemResult>,
    /// Breakout groups, in group order.
    pub groups: Vec<GroupResult>,
    /// Warnings, sorted by path then kind.
    pub warnings: Vec<Warning>,
}

/// Where an aspect's basis figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The workshop's provisional score.
    Workshop,
    /// The quick score.
    Quick,
    /// Neither is known.
    None,
}

/// Figures of one aspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AspectResult {
    /// Aspect id.
    pub id: String,
    /// Title, when a string.
    pub title: Option<String>,
    /// Provisional score S_k.
    pub score: Option<f64>,
    /// Confidence c_k.
    pub confidence: f64,
    /// Quick score Q_k.
    pub quick: Option<f64>,
    /// S_k − Q_k when both are known.
    pub delta: Option<f64>,
    /// Which figure the approach fit rests on.
    pub basis: Basis,
    /// Contested factor ids, in factor order.
    pub contested: Vec<String>,
    /// The aspect's score from each world's votes.
    pub worlds: Worlds,
    /// Highest minus lowest world score, with two or more known.
    pub perspective_gap: Option<f64>,
}

/// An aspect's score as each of the four worlds sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Worlds {
    /// Service users, carers and citizens.
    pub customer: Option<f64>,
    /// Providers and services.
    pub service: Option<f64>,
    /// Commissioners and managers.
    pub management: Option<f64>,
    /// Political leadership.
    pub political: Option<f64>,
}

/// Fit of one approach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApproachResult {
    /// Approach id.
    pub id: String,
    /// Title, when a string.
    pub title: Option<String>,
    /// Fit 0..100, unknown when no relevant aspect is known.
    pub fit: Option<f64>,
    /// Share of the approach's relevance resting on known aspects.
    pub coverage: f64,
    /// 1-based position in the ranking.
    pub rank: u32,
    /// The aspect that holds the fit back most.
    pub limiting: Option<String>,
    /// The aspect that lifts the fit most.
    pub strongest: Option<String>,
}

/// A ranked constraint or enabler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemResult {
    /// Item id.
    pub id: String,
    /// Title, or `""`.
    pub title: String,
    /// Aspect id, when a string.
    pub aspect: Option<String>,
    /// Impact I.
    pub impact: f64,
    /// Control, when valid.
    pub control: Option<Control>,
    /// The item's own response, else the suggested one.
    pub response: Option<String>,
    /// Priority P.
    pub priority: f64,
}

/// Progress of a breakout group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupResult {
    /// Group id.
    pub id: String,
    /// Name, when a string.
    pub name: Option<String>,
    /// Share of the group's factors with a known score.
    pub progress: Option<f64>,
}

/// The kind of a warning (DOMAIN.md 5.1 rule 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A value that is not valid.
    InvalidValue,
    /// A factor whose votes spread by 2 or more with no agreed score.
    Contested,
    /// A recommendation resting on an aspect with confidence below 0.5.
    LowConfidence,
    /// Worlds that see an aspect 1.0 or more apart.
    PerspectiveGap,
    /// More than 10 hypotheses.
    TooManyHypotheses,
    /// More than 8 gap-analysis objectives.
    TooManyGaps,
    /// A top-5 item with no action linked.
    UnlinkedItem,
    /// An action past its due date that is not done or dropped.
    OverdueAction,
}

impl WarningKind {
    /// The kind as spelled in the results.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::InvalidValue => "invalid_value",
            WarningKind::Contested => "contested",
            WarningKind::LowConfidence => "low_confidence",
            WarningKind::PerspectiveGap => "perspective_gap",
            WarningKind::TooManyHypotheses => "too_many_hypotheses",
            WarningKind::TooManyGaps => "too_many_gaps",
            WarningKind::UnlinkedItem => "unlinked_item",
            WarningKind::OverdueAction => "overdue_action",
        }
    }
}

/// A warning: exact kind and path, free plain-English message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warning {
    /// What is wrong.
    pub kind: WarningKind,
    /// Slash-separated path in the document.
    pub path: String,
    /// Plain English for the participants.
    pub message: String,
}

impl Warning {
    /// A new warning.
    pub fn new(kind: WarningKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            kind,
            path: path.into(),
            message: message.into(),
        }
    }
}

/// What a recompute did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recomputed {
    /// The results as now stored in the document.
    pub results: Results,
    /// Whether anything in `results` was written.
    pub changed: bool,
}

/// Key of the revision counter in the `results` map.
const REVISION: &str = "revision";

/// The revision of the figures written in the document's `results` map, if any.
pub fn stored_revision<T: ReadTxn>(txn: &T) -> Option<u64> {
    match txn.get_map(schema::RESULTS)?.get(txn, REVISION) {
        Some(Out::Any(Any::Number(n))) => n.as_i64().and_then(|r| u64::try_from(r).ok()),
        _ => None,
    }
}

/// Reads the document, runs the engine and writes what changed into `results`, in `txn`.
pub fn recompute(txn: &mut TransactionMut, today: time::Date) -> Recomputed {
    let workshop = Workshop::read(txn);
    let mut results = compute(&workshop, today);
    let changed = write(txn, &mut results);
    Recomputed { results, changed }
}

/// Writes `results` into the document's `results` map, touching only keys whose value changed
/// and removing keys that are not part of the shape. Sets `results.revision`: the stored one,
/// plus one when anything changed. Returns whether anything was written.
pub fn write(txn: &mut TransactionMut, results: &mut Results) -> bool {
    let stored_revision = stored_revision(txn);
    let map = txn.get_or_insert_map(schema::RESULTS);
    let mut changes = Changes {
        txn,
        map: &map,
        changed: Vec::new(),
    };
    // Naming every field but the revision: a field added to `Results` and not here does not
    // compile.
    let Results {
        revision: _,
        aspects,
        approaches,
        recommended,
        blend,
        selected,
        constraints,
        enablers,
        groups,
        warnings,
    } = &*results;
    let fields = [
        changes.list("aspects", aspects),
        changes.list("approaches", approaches),
        changes.field("recommended", recommended),
        changes.list("blend", blend),
        changes.field("selected", selected),
        changes.list("constraints", constraints),
        changes.list("enablers", enablers),
        changes.list("groups", groups),
        changes.list("warnings", warnings),
    ];
    if fields.iter().any(Result::is_err) {
        // A field that does not serialise: nothing is written (never happens for `Results`).
        return false;
    }
    let mut changes = changes.changed;
    // In key order, as the fields came out of a serde_json map before.
    changes.sort_by_key(|(name, _)| *name);
    let strays: Vec<String> = map
        .keys(txn)
        .filter(|k| *k != REVISION && !RESULT_KEYS.contains(k))
        .map(str::to_owned)
        .collect();

    let changed = !changes.is_empty() || !strays.is_empty() || stored_revision.is_none();
    results.revision = match (stored_revision, changed) {
        (Some(revision), false) => revision,
        (stored, _) => stored.unwrap_or(0).saturating_add(1),
    };
    if changed {
        for (name, any) in changes {
            map.insert(txn, name, any);
        }
        for stray in strays {
            map.remove(txn, &stray);
        }
        let revision = i64::try_from(results.revision).unwrap_or(i64::MAX);
        map.insert(txn, REVISION, revision);
    }
    changed
}

/// The fields of the results whose stored value differs, with the value to store.
struct Changes<'a, T: ReadTxn> {
    txn: &'a T,
    map: &'a MapRef,
    changed: Vec<(&'static str, Any)>,
}

impl<T: ReadTxn> Changes<'_, T> {
    /// Notes the field when the stored value is not already what it would be stored as.
    fn field<V: Serialize>(&mut self, name: &'static str, value: &V) -> Result<(), ()> {
        let stored = self.map.get(self.txn, name);
        let stored = match &stored {
            Some(Out::Any(stored)) => Some(stored),
            _ => None,
        };
        if stored.and_then(|stored| same(value, stored)) == Some(true) {
            return Ok(());
        }
        // Changed, or a shape `same` does not cover: build the value the writer stores.
        let Ok(any) = yrs::encoding::serde::to_any(value) else {
            // Not representable in the document (an integer above i64::MAX): left alone.
            return Ok(());
        };
        if stored != Some(&any) {
            self.changed.push((name, any));
        }
        Ok(())
    }

    /// Like [`Changes::field`] for a list, but an entry equal to the stored entry at the same
    /// place is taken from the stored value as it is (a shared pointer), not built again: a
    /// vote changes one aspect's figures, and the other seven are kept.
    fn list<V: Serialize>(&mut self, name: &'static str, values: &[V]) -> Result<(), ()> {
        let stored = match self.map.get(self.txn, name) {
            Some(Out::Any(stored)) => Some(stored),
            _ => None,
        };
        if stored.as_ref().and_then(|stored| same(values, stored)) == Some(true) {
            return Ok(());
        }
        let previous: &[Any] = match &stored {
            Some(Any::Array(items)) => items,
            _ => &[],
        };
        let mut items = Vec::with_capacity(values.len());
        for (index, value) in values.iter().enumerate() {
            match previous.get(index) {
                Some(kept) if same(value, kept) == Some(true) => items.push(kept.clone()),
                _ => match yrs::encoding::serde::to_any(value) {
                    Ok(any) => items.push(any),
                    // Not representable in the document: the field is left alone.
                    Err(_) => return Ok(()),
                },
            }
        }
        let any = Any::Array(items.into());
        if stored.as_ref() != Some(&any) {
            self.changed.push((name, any));
        }
        Ok(())
    }
}

/// The keys of the results shape, revision included.
pub const RESULT_KEYS: [&str; 10] = [
    REVISION,
    "aspects",
    "approaches",
    "recommended",
    "blend",
    "selected",
    "constraints",
    "enablers",
    "groups",
    "warnings",
];

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use yrs::{Doc, ReadTxn, Transact, WriteTxn};

    fn update_count(doc: &Doc, f: impl FnOnce(&mut TransactionMut)) -> usize {
        let before = doc.transact().state_vector();
        f(&mut doc.transact_mut());
        let after = doc.transact().state_vector();
        usize::from(before != after)
    }

    #[test]
    fn result_keys_match_the_shape() {
        let value = serde_json::to_value(Results::default()).expect("serialises");
        let keys: Vec<_> = value.as_object().expect("object").keys().cloned().collect();
        let mut expected: Vec<_> = RESULT_KEYS.iter().map(|k| k.to_string()).collect();
        expected.sort();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort();
        assert_eq!(keys_sorted, expected);
    }

    #[test]
    fn first_write_sets_revision_one_and_a_second_writes_nothing() {
        let doc = crate::template::test_document();
        let today = date!(2026 - 11 - 23);
        let first = recompute(&mut doc.transact_mut(), today);
        assert!(first.changed);
        assert_eq!(first.results.revision, 1);
        let mut second = None;
        let writes = update_count(&doc, |txn| second = Some(recompute(txn, today)));
        let second = second.expect("ran");
        assert!(!second.changed);
        assert_eq!(writes, 0);
        assert_eq!(second.results, first.results);
    }

    #[test]
    fn only_changed_keys_are_written_and_revision_increases() {
        let doc = crate::template::test_document();
        let today = date!(2026 - 11 - 23);
        recompute(&mut doc.transact_mut(), today);
        {
            let mut txn = doc.transact_mut();
            let meta = txn.get_or_insert_map(schema::META);
            meta.insert(&mut txn, "selected_approach", "market-management");
        }
        let touched = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = touched.clone();
        let results_map = doc.transact_mut().get_or_insert_map(schema::RESULTS);
        yrs::Observable::observe(
            &results_map,
            "test",
            move |txn, event: &yrs::types::map::MapEvent| {
                let mut keys = sink.lock().expect("lock");
                keys.extend(event.keys(txn).keys().map(|k| k.to_string()));
            },
        );
        let outcome = recompute(&mut doc.transact_mut(), today);
        assert!(outcome.changed);
        assert_eq!(outcome.results.revision, 2);
        assert_eq!(
            outcome.results.selected.as_deref(),
            Some("market-management")
        );
        let mut keys = touched.lock().expect("lock").clone();
        keys.sort();
        assert_eq!(keys, ["revision", "selected"]);
    }

    /// The writer as it was before `same`: every field built as JSON, turned into an `Any` and
    /// compared with the stored one. Kept here as the reference the writer must agree with.
    fn reference_write(txn: &mut TransactionMut, results: &mut Results) -> bool {
        let map = txn.get_or_insert_map(schema::RESULTS);
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&*results) else {
            return false;
        };
        let stored_revision = match map.get(txn, REVISION) {
            Some(Out::Any(Any::Number(n))) => n.as_i64().and_then(|r| u64::try_from(r).ok()),
            _ => None,
        };
        let mut changes: Vec<(String, Any)> = Vec::new();
        for (name, value) in fields {
            if name == REVISION {
                continue;
            }
            let Ok(any) = serde_json::from_value::<Any>(value) else {
                continue;
            };
            let same = matches!(map.get(txn, &name), Some(Out::Any(ref stored)) if *stored == any);
            if !same {
                changes.push((name, any));
            }
        }
        let strays: Vec<String> = map
            .keys(txn)
            .filter(|k| *k != REVISION && !RESULT_KEYS.contains(k))
            .map(str::to_owned)
            .collect();
        let changed = !changes.is_empty() || !strays.is_empty() || stored_revision.is_none();
        results.revision = match (stored_revision, changed) {
            (Some(revision), false) => revision,
            (stored, _) => stored.unwrap_or(0).saturating_add(1),
        };
        if changed {
            for (name, any) in changes {
                map.insert(txn, name, any);
            }
            for stray in strays {
                map.remove(txn, &stray);
            }
            map.insert(
                txn,
                REVISION,
                i64::try_from(results.revision).unwrap_or(i64::MAX),
            );
        }
        changed
    }

    /// Casts votes on the template's factors: (aspect, factor, participant, score, weight).
    fn cast(doc: &Doc, votes: &[(usize, usize, usize, u8, u8)]) {
        let mut txn = doc.transact_mut();
        let aspects = txn.get_or_insert_map(schema::ASPECTS);
        let participants = txn.get_or_insert_map(schema::PARTICIPANTS);
        let child = |txn: &TransactionMut, map: &MapRef, k: &str| match map.get(txn, k) {
            Some(Out::YMap(m)) => m,
            other => panic!("{k}: {other:?}"),
        };
        for &(a, f, p, score, weight) in votes {
            let aspect = &crate::template::ASPECTS[a % 8];
            let (factor, _) = aspect.factors[f % aspect.factors.len()];
            let id = format!("p{p}");
            let world = ["customer", "service", "management", "political"][p % 4];
            participants.insert(
                &mut txn,
                id.as_str(),
                yrs::MapPrelim::from([("world", world)]),
            );
            let aspect_map = child(&txn, &aspects, aspect.id);
            let factors = child(&txn, &aspect_map, "factors");
            let factor = child(&txn, &factors, factor);
            child(&txn, &factor, "scores").insert(&mut txn, id.as_str(), i64::from(score));
            child(&txn, &factor, "weights").insert(&mut txn, id.as_str(), i64::from(weight));
        }
    }

    /// A stored results value edited a little: some edits keep it equal (numbers stored as
    /// integers instead of floats), most do not.
    fn edit(any: &Any, how: u8) -> Any {
        use yrs::any::Number;
        match (any, how % 6) {
            (Any::Array(items), 0) if !items.is_empty() => {
                Any::from(items[..items.len() - 1].to_vec())
            }
            (Any::Array(items), 5) => {
                let mut items = items.to_vec();
                items.push(items.first().cloned().unwrap_or(Any::Null));
                Any::from(items)
            }
            (Any::Array(items), _) if !items.is_empty() => {
                let mut items = items.to_vec();
                items[0] = edit(&items[0], how / 6 + 1);
                Any::from(items)
            }
            (Any::Map(fields), 4) => {
                let mut fields = (**fields).clone();
                fields.insert("extra".into(), Any::Null);
                Any::Map(std::sync::Arc::new(fields))
            }
            (Any::Map(fields), _) => {
                let mut keys: Vec<&String> = fields.keys().collect();
                keys.sort();
                let key = keys[usize::from(how) % keys.len()].clone();
                let mut fields = (**fields).clone();
                let value = edit(&fields[&key], how / 3);
                fields.insert(key, value);
                Any::Map(std::sync::Arc::new(fields))
            }
            (Any::Number(Number::Float(f)), 1 | 2) if f.fract() == 0.0 => {
                Any::Number(Number::Int(*f as i64))
            }
            (Any::Number(_), _) => Any::from(0.125),
            (Any::String(s), 3) => Any::from(format!("{s}x")),
            (Any::Null, _) => Any::from(1.0),
            (_, 4) => Any::Null,
            (other, _) => other.clone(),
        }
    }

    type Keys = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

    /// Records the keys of `results` each transaction writes, sorted per transaction.
    fn written_keys(doc: &Doc) -> Keys {
        let keys = Keys::default();
        let sink = keys.clone();
        let map = doc.transact_mut().get_or_insert_map(schema::RESULTS);
        yrs::Observable::observe(
            &map,
            "keys",
            move |txn, event: &yrs::types::map::MapEvent| {
                let mut changed: Vec<String> =
                    event.keys(txn).keys().map(|k| k.to_string()).collect();
                changed.sort();
                sink.lock().expect("lock").extend(changed);
            },
        );
        keys
    }

    /// The `results` map as JSON (maps compare whatever their order).
    fn stored(doc: &Doc) -> serde_json::Value {
        let txn = doc.transact();
        let Some(map) = txn.get_map(schema::RESULTS) else {
            return serde_json::Value::Null;
        };
        map.iter(&txn)
            .map(|(k, v)| {
                let value = match v {
                    Out::Any(any) => serde_json::to_value(any).expect("json"),
                    other => serde_json::Value::String(format!("{other:?}")),
                };
                (k.to_owned(), value)
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        #[test]
        fn write_agrees_with_building_and_comparing(
            votes in proptest::collection::vec((0..8usize, 0..6usize, 0..9usize, 1..=5u8, 0..=3u8), 0..40),
            edits in proptest::collection::vec((0..11usize, proptest::num::u8::ANY), 0..4),
            later in proptest::collection::vec((0..8usize, 0..6usize, 0..9usize, 1..=5u8, 0..=3u8), 0..6),
        ) {
            let today = date!(2026 - 11 - 23);
            let fast = crate::template::test_document();
            let slow = crate::template::test_document();
            cast(&fast, &votes);
            cast(&slow, &votes);
            let (fast_keys, slow_keys) = (written_keys(&fast), written_keys(&slow));
            for round in 0..3 {
                if round > 0 {
                    // The same tampering on both: a client scribbling in `results`.
                    for doc in [&fast, &slow] {
                        let mut txn = doc.transact_mut();
                        let map = txn.get_or_insert_map(schema::RESULTS);
                        for &(key, how) in &edits {
                            let key = RESULT_KEYS.get(key).copied().unwrap_or("junk");
                            let edited = match map.get(&txn, key) {
                                Some(Out::Any(any)) => edit(&any, how),
                                _ => Any::from(f64::from(how)),
                            };
                            map.insert(&mut txn, key, edited);
                        }
                    }
                }
                if round == 2 {
                    // Votes after the first figures: some entries of each list change, and
                    // the others are kept from what is stored.
                    cast(&fast, &later);
                    cast(&slow, &later);
                }
                let mut a = compute(&Workshop::read(&fast.transact()), today);
                let mut b = a.clone();
                let changed = write(&mut fast.transact_mut(), &mut a);
                proptest::prop_assert_eq!(changed, reference_write(&mut slow.transact_mut(), &mut b));
                proptest::prop_assert_eq!(a.revision, b.revision);
                proptest::prop_assert_eq!(stored(&fast), stored(&slow));
                let written = |keys: &Keys| std::mem::take(&mut *keys.lock().expect("lock"));
                proptest::prop_assert_eq!(written(&fast_keys), written(&slow_keys));
            }
        }
    }

    #[test]
    fn stray_and_tampered_keys_are_overwritten() {
        let doc = crate::template::test_document();
        let today = date!(2026 - 11 - 23);
        let first = recompute(&mut doc.transact_mut(), today);
        {
            let mut txn = doc.transact_mut();
            let results = txn.get_or_insert_map(schema::RESULTS);
            results.insert(&mut txn, "aspects", "hacked");
            results.insert(&mut txn, "junk", 1i64);
        }
        let again = recompute(&mut doc.transact_mut(), today);
        assert!(again.changed);
        assert_eq!(again.results.revision, first.results.revision + 1);
        let txn = doc.transact();
        let results = txn.get_map(schema::RESULTS).expect("results");
        assert_eq!(results.get(&txn, "junk"), None);
        let aspects = results.get(&txn, "aspects");
        assert!(matches!(aspects, Some(Out::Any(Any::Array(ref a))) if a.len() == 8));
    }
}
