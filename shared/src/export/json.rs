//! The whole document as JSON: maps as objects, arrays as arrays, texts as strings.

use yrs::types::ToJson;
use yrs::{Any, ReadTxn};

use crate::schema;

/// Every root map of the document as one JSON object, keyed by root name. Roots the document
/// does not have come out as empty objects, so readers always see the full shape.
pub fn document_json<T: ReadTxn>(txn: &T) -> serde_json::Value {
    let mut roots = serde_json::Map::new();
    for root in schema::ROOTS {
        let value = match txn.get_map(root) {
            Some(map) => any_to_json(&map.to_json(txn)),
            None => serde_json::Value::Object(serde_json::Map::new()),
        };
        roots.insert(root.to_owned(), value);
    }
    serde_json::Value::Object(roots)
}

/// Converts a Yrs value to JSON with object keys in byte order, so output is deterministic.
fn any_to_json(any: &Any) -> serde_json::Value {
    use serde_json::Value;
    match any {
        Any::Null | Any::Undefined => Value::Null,
        Any::Bool(b) => Value::Bool(*b),
        Any::Number(n) => match *n {
            yrs::any::Number::Int(i) => Value::from(i),
            yrs::any::Number::Float(f) => {
                serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
            }
        },
        Any::String(s) => Value::String(s.to_string()),
        Any::Buffer(bytes) => Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
        Any::Array(values) => Value::Array(values.iter().map(any_to_json).collect()),
        Any::Map(entries) => {
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort();
            let object = keys
                .into_iter()
                .map(|k| (k.clone(), any_to_json(&entries[k])))
                .collect();
            Value::Object(object)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template;
    use yrs::{GetString, Map, Out, Text, Transact};

    #[test]
    fn texts_become_strings_and_maps_objects() {
        let doc = template::test_document();
        {
            let mut txn = doc.transact_mut();
            let aspects = txn.get_map(schema::ASPECTS).expect("aspects");
            let Some(Out::YMap(capacity)) = aspects.get(&txn, "capacity") else {
                panic!("capacity")
            };
            let Some(Out::YText(notes)) = capacity.get(&txn, "notes") else {
                panic!("notes")
            };
            notes.insert(&mut txn, 0, "Skills are thin");
            assert_eq!(notes.get_string(&txn), "Skills are thin");
        }
        let json = document_json(&doc.transact());
        assert_eq!(json["meta"]["place"], "Place");
        assert_eq!(json["aspects"]["capacity"]["notes"], "Skills are thin");
        assert_eq!(json["aspects"]["capacity"]["order"], 3);
        assert_eq!(
            json["approaches"]["unlocking-potential"]["relevance"]["capacity"],
            3
        );
        assert!(json["participants"]
            .as_object()
            .is_some_and(|o| o.is_empty()));
        let again = document_json(&doc.transact());
        assert_eq!(
            serde_json::to_string(&json).expect("json"),
            serde_json::to_string(&again).expect("json")
        );
    }
}
