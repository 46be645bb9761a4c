//! The parts of the workshop document (DOMAIN.md sections 6 and 7) the tests read and write.
//!
//! Writers take a transaction so a test can make several edits in one; they panic when the
//! nested map or text is missing, which means the document was not synced from the server
//! (the template creates every nested type; clients never create one lazily).

use std::collections::BTreeMap;

use serde_json::Value;
use workshop_client::path;
use workshop_shared::schema::{self, key};
use yrs::{GetString, Map, ReadTxn, Text, TransactionMut};

/// The first built-in aspect.
pub const WHOLE_SYSTEM: &str = "whole-system";
/// The first factor of [`WHOLE_SYSTEM`].
pub const SHARED_UNDERSTANDING: &str = "shared-understanding";
/// The second factor of [`WHOLE_SYSTEM`].
pub const AGREED_PRIORITIES: &str = "agreed-priorities";
/// The number of factors of [`WHOLE_SYSTEM`] in the built-in template.
pub const WHOLE_SYSTEM_FACTORS: usize = 6;

/// A new participant id: a UUID v4, as clients choose them.
pub fn participant() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Sets `participant`'s score vote on a factor.
pub fn set_score(
    txn: &mut TransactionMut,
    aspect: &str,
    factor: &str,
    participant: &str,
    score: i64,
) {
    vote_map(txn, aspect, factor, key::SCORES).insert(txn, participant, score);
}

/// Sets `participant`'s weight vote on a factor.
pub fn set_weight(
    txn: &mut TransactionMut,
    aspect: &str,
    factor: &str,
    participant: &str,
    weight: i64,
) {
    vote_map(txn, aspect, factor, key::WEIGHTS).insert(txn, participant, weight);
}

/// Sets a factor's agreed score (a facilitator's value).
pub fn set_agreed_score(txn: &mut TransactionMut, aspect: &str, factor: &str, score: i64) {
    path::map_at(txn, schema::ASPECTS, &[aspect, key::FACTORS, factor])
        .unwrap_or_else(|| panic!("no factor map at {aspect}/{factor}: is the document synced?"))
        .insert(txn, key::AGREED_SCORE, score);
}

/// Inserts `text` into a factor's notes at character `index`.
pub fn insert_notes(txn: &mut TransactionMut, aspect: &str, factor: &str, index: u32, text: &str) {
    let notes = path::text_at(
        txn,
        schema::ASPECTS,
        &[aspect, key::FACTORS, factor, key::NOTES],
    )
    .unwrap_or_else(|| panic!("no notes text at {aspect}/{factor}: is the document synced?"));
    notes.insert(txn, index, text);
}

/// The score votes on a factor, by participant (empty when the map is missing).
pub fn scores<T: ReadTxn>(txn: &T, aspect: &str, factor: &str) -> BTreeMap<String, f64> {
    path::json_at(
        txn,
        schema::ASPECTS,
        &[aspect, key::FACTORS, factor, key::SCORES],
    )
    .map(|votes| numbers(&votes))
    .unwrap_or_default()
}

/// A factor's notes, if the text exists.
pub fn notes<T: ReadTxn>(txn: &T, aspect: &str, factor: &str) -> Option<String> {
    path::text_at(
        txn,
        schema::ASPECTS,
        &[aspect, key::FACTORS, factor, key::NOTES],
    )
    .map(|text| text.get_string(txn))
}

/// One aspect's entry of `results.aspects` as the server last wrote it into the document.
pub fn result_aspect<T: ReadTxn>(txn: &T, aspect: &str) -> Option<Value> {
    let aspects = path::json_at(txn, schema::RESULTS, &["aspects"])?;
    aspect_entry(&aspects, aspect).cloned()
}

/// The entry with `id` of a JSON array of `{id, ...}` objects, e.g. `results.aspects`.
pub fn aspect_entry<'a>(entries: &'a Value, id: &str) -> Option<&'a Value> {
    entries.as_array()?.iter().find(|entry| entry["id"] == id)
}

/// The score votes on a factor in a document as `GET /api/workshops/{id}/document` gives it.
pub fn document_scores(document: &Value, aspect: &str, factor: &str) -> BTreeMap<String, f64> {
    numbers(&document[schema::ASPECTS][aspect][key::FACTORS][factor][key::SCORES])
}

/// A factor's notes in a document as `GET /api/workshops/{id}/document` gives it.
pub fn document_notes(document: &Value, aspect: &str, factor: &str) -> Option<String> {
    document[schema::ASPECTS][aspect][key::FACTORS][factor][key::NOTES]
        .as_str()
        .map(str::to_owned)
}

/// Whether a JSON figure equals `expected` (figures are rounded to 3 decimals, so the values
/// the tests expect are exact).
pub fn figure_is(value: &Value, expected: f64) -> bool {
    value.as_f64() == Some(expected)
}

/// The numeric entries of a JSON object (integers and floats alike).
fn numbers(object: &Value) -> BTreeMap<String, f64> {
    object
        .as_object()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                .collect()
        })
        .unwrap_or_default()
}

fn vote_map(txn: &TransactionMut, aspect: &str, factor: &str, votes: &str) -> yrs::MapRef {
    path::map_at(txn, schema::ASPECTS, &[aspect, key::FACTORS, factor, votes])
        .unwrap_or_else(|| panic!("no {votes} map at {aspect}/{factor}: is the document synced?"))
}
