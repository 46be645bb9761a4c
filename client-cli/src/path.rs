//! Walking nested maps of a document by their keys.
//!
//! The workshop document nests maps several levels deep
//! (`aspects/<aspect>/factors/<factor>/scores`); these helpers turn such a path into the shared
//! type or plain value found there, or `None` when any step is missing or of another type.
//! They only read, so they never create a nested type lazily (which would race with other
//! clients creating the same one).

use yrs::types::ToJson;
use yrs::{Any, Map, MapRef, Out, ReadTxn, TextRef};

/// The value at `keys` below the root map named `root`; with no keys, the root map itself.
pub fn out_at<T: ReadTxn>(txn: &T, root: &str, keys: &[&str]) -> Option<Out> {
    let mut current = Out::YMap(txn.get_map(root)?);
    for key in keys {
        current = match current {
            Out::YMap(map) => map.get(txn, key)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The map at `keys` below the root map `root`, if every step exists and is a map.
pub fn map_at<T: ReadTxn>(txn: &T, root: &str, keys: &[&str]) -> Option<MapRef> {
    match out_at(txn, root, keys)? {
        Out::YMap(map) => Some(map),
        _ => None,
    }
}

/// The text at `keys` below the root map `root`, if every step exists and the last is a text.
pub fn text_at<T: ReadTxn>(txn: &T, root: &str, keys: &[&str]) -> Option<TextRef> {
    match out_at(txn, root, keys)? {
        Out::YText(text) => Some(text),
        _ => None,
    }
}

/// The value at `keys` below the root map `root` as JSON: shared maps and arrays are converted
/// recursively, texts become strings.
pub fn json_at<T: ReadTxn>(txn: &T, root: &str, keys: &[&str]) -> Option<serde_json::Value> {
    Some(any_to_json(&out_at(txn, root, keys)?.to_json(txn)))
}

/// Converts a Yrs [`Any`] into a [`serde_json::Value`]. Integers stay integers, floats stay
/// floats; `undefined`, binary buffers and non-finite numbers, which JSON cannot express,
/// become `null`.
pub fn any_to_json(any: &Any) -> serde_json::Value {
    use serde_json::Value;
    match any {
        Any::Null | Any::Undefined | Any::Buffer(_) => Value::Null,
        Any::Bool(b) => Value::Bool(*b),
        Any::Number(number) => match number {
            yrs::Number::Int(i) => Value::from(*i),
            yrs::Number::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
        },
        Any::String(s) => Value::String(s.to_string()),
        Any::Array(items) => Value::Array(items.iter().map(any_to_json).collect()),
        Any::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), any_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;
    use yrs::{Doc, GetString, MapPrelim, Text, TextPrelim, Transact};

    fn doc() -> Doc {
        let doc = Doc::new();
        let aspects = doc.get_or_insert_map("aspects");
        let mut txn = doc.transact_mut();
        let aspect = aspects.insert(&mut txn, "capacity", MapPrelim::default());
        let factors = aspect.insert(&mut txn, "factors", MapPrelim::default());
        let factor = factors.insert(&mut txn, "confidence", MapPrelim::default());
        let scores = factor.insert(&mut txn, "scores", MapPrelim::default());
        scores.insert(&mut txn, "p1", 4);
        let notes = factor.insert(&mut txn, "notes", TextPrelim::new("so far"));
        notes.push(&mut txn, " so good");
        aspect.insert(&mut txn, "order", 3.0);
        drop(txn);
        doc
    }

    #[test]
    fn paths_reach_nested_maps_and_texts() {
        let doc = doc();
        let txn = doc.transact();
        let path = ["capacity", "factors", "confidence"];
        let scores = map_at(&txn, "aspects", &[&path[..], &["scores"]].concat()).unwrap();
        assert_eq!(scores.len(&txn), 1);
        let notes = text_at(&txn, "aspects", &[&path[..], &["notes"]].concat()).unwrap();
        assert_eq!(notes.get_string(&txn), "so far so good");
        assert!(map_at(&txn, "aspects", &[]).is_some());
    }

    #[test]
    fn missing_steps_and_wrong_types_give_none() {
        let doc = doc();
        let txn = doc.transact();
        assert!(map_at(&txn, "nothing", &[]).is_none());
        assert!(map_at(&txn, "aspects", &["whole-system"]).is_none());
        assert!(map_at(&txn, "aspects", &["capacity", "order"]).is_none());
        assert!(map_at(&txn, "aspects", &["capacity", "order", "deeper"]).is_none());
        assert!(text_at(&txn, "aspects", &["capacity", "factors"]).is_none());
    }

    #[test]
    fn json_keeps_integers_and_floats_apart() {
        let doc = doc();
        let txn = doc.transact();
        let factor = json_at(&txn, "aspects", &["capacity", "factors", "confidence"]).unwrap();
        assert_eq!(
            factor,
            json!({"scores": {"p1": 4}, "notes": "so far so good"})
        );
        assert_eq!(
            json_at(&txn, "aspects", &["capacity", "order"]).unwrap(),
            json!(3.0)
        );
        assert_eq!(any_to_json(&Any::Undefined), json!(null));
        assert_eq!(any_to_json(&Any::from(f64::NAN)), json!(null));
    }
}
