//! The results shape (DOMAIN.md section 7) and the writer that stores it in the document.
//!
//! The writer puts each top-level field into the `results` root map as a plain JSON value and
//! touches only the keys whose value changed, so an unchanged recompute produces no update at
//! all. Keys that are not part of the shape (a client's stray write) are removed.

use serde::{Deserialize, Serialize};
use yrs::{Any, Map, Out, TransactionMut, WriteTxn};

use crate::engine::compute;
use crate::model::Workshop;
use crate::schema::{self, Control};

/// The engine's output. Serialises to the exact JSON of section 7, fields in that order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    let map = txn.get_or_insert_map(schema::RESULTS);
    let fields = match serde_json::to_value(&*results) {
        Ok(serde_json::Value::Object(fields)) => fields,
        // A struct of plain fields always serialises to an object.
        _ => return false,
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
        let revision = i64::try_from(results.revision).unwrap_or(i64::MAX);
        map.insert(txn, REVISION, revision);
    }
    changed
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
