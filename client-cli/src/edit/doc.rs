//! Reading the document for an edit: finding entities and their nested types, and the plain
//! values an edit checks. Nothing here writes, except the small writers at the end, which an
//! edit calls only once everything is validated.

use yrs::any::Number;
use yrs::{
    Any, Array, ArrayRef, GetString, Map, MapRef, Out, ReadTxn, Text, TextRef, TransactionMut,
};

use workshop_shared::schema::{self, key};

use super::EditError;

/// Joins path segments with `/`.
pub(super) fn path(segments: &[&str]) -> String {
    schema::path(segments)
}

/// The root map `name`.
pub(super) fn root<T: ReadTxn>(txn: &T, name: &str) -> Result<MapRef, EditError> {
    txn.get_map(name).ok_or_else(|| EditError::Malformed {
        path: name.to_owned(),
        expected: "map",
    })
}

/// The nested map at `parent[key]`; `at` is the path of that value, for the error.
pub(super) fn child_map<T: ReadTxn>(
    txn: &T,
    parent: &MapRef,
    key: &str,
    at: &[&str],
) -> Result<MapRef, EditError> {
    match parent.get(txn, key) {
        Some(Out::YMap(map)) => Ok(map),
        _ => Err(EditError::Malformed {
            path: path(at),
            expected: "map",
        }),
    }
}

/// The nested text at `parent[key]`.
pub(super) fn child_text<T: ReadTxn>(
    txn: &T,
    parent: &MapRef,
    key: &str,
    at: &[&str],
) -> Result<TextRef, EditError> {
    match parent.get(txn, key) {
        Some(Out::YText(text)) => Ok(text),
        _ => Err(EditError::Malformed {
            path: path(at),
            expected: "text",
        }),
    }
}

/// The nested array at `parent[key]`.
pub(super) fn child_array<T: ReadTxn>(
    txn: &T,
    parent: &MapRef,
    key: &str,
    at: &[&str],
) -> Result<ArrayRef, EditError> {
    match parent.get(txn, key) {
        Some(Out::YArray(array)) => Ok(array),
        _ => Err(EditError::Malformed {
            path: path(at),
            expected: "array",
        }),
    }
}

/// The entity map `id` of the root map `root`, or `unknown(id)` when it has none.
pub(super) fn entity<T: ReadTxn>(
    txn: &T,
    root_name: &str,
    id: &str,
    unknown: impl FnOnce(String) -> EditError,
) -> Result<MapRef, EditError> {
    match root(txn, root_name)?.get(txn, id) {
        Some(Out::YMap(map)) => Ok(map),
        _ => Err(unknown(id.to_owned())),
    }
}

/// The aspect map `id`.
pub(super) fn aspect<T: ReadTxn>(txn: &T, id: &str) -> Result<MapRef, EditError> {
    let aspects = root(txn, schema::ASPECTS)?;
    match aspects.get(txn, id) {
        Some(Out::YMap(map)) => Ok(map),
        _ => Err(EditError::UnknownAspect {
            id: id.to_owned(),
            valid: ordered_ids(txn, &aspects),
        }),
    }
}

/// The factors map of aspect `aspect_id` and the factor map `factor_id` in it.
pub(super) fn factor<T: ReadTxn>(
    txn: &T,
    aspect_id: &str,
    factor_id: &str,
) -> Result<(MapRef, MapRef), EditError> {
    let aspect_map = aspect(txn, aspect_id)?;
    let factors = child_map(
        txn,
        &aspect_map,
        key::FACTORS,
        &[schema::ASPECTS, aspect_id, key::FACTORS],
    )?;
    match factors.get(txn, factor_id) {
        Some(Out::YMap(map)) => Ok((factors, map)),
        _ => Err(EditError::UnknownFactor {
            aspect: aspect_id.to_owned(),
            id: factor_id.to_owned(),
            valid: ordered_ids(txn, &factors),
        }),
    }
}

/// The approach ids of the document, checking that `id` is one of them.
pub(super) fn approach<T: ReadTxn>(txn: &T, id: &str) -> Result<(), EditError> {
    let approaches = root(txn, schema::APPROACHES)?;
    match approaches.get(txn, id) {
        Some(Out::YMap(_)) => Ok(()),
        _ => Err(EditError::UnknownApproach {
            id: id.to_owned(),
            valid: ordered_ids(txn, &approaches),
        }),
    }
}

/// A finite `order`, when the value is one.
fn order_of<T: ReadTxn>(txn: &T, entity: &Out) -> Option<f64> {
    let Out::YMap(map) = entity else { return None };
    match map.get(txn, key::ORDER) {
        Some(Out::Any(Any::Number(Number::Int(i)))) => Some(i as f64),
        Some(Out::Any(Any::Number(Number::Float(f)))) if f.is_finite() => Some(f),
        _ => None,
    }
}

/// The ids of the entity maps of `map`, in entity order (DOMAIN.md 5.1 rule 1).
pub(super) fn ordered_ids<T: ReadTxn>(txn: &T, map: &MapRef) -> Vec<String> {
    let mut entries: Vec<(Option<f64>, String)> = map
        .iter(txn)
        .filter(|(_, value)| matches!(value, Out::YMap(_)))
        .map(|(id, value)| (order_of(txn, &value), id.to_owned()))
        .collect();
    entries.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    entries.into_iter().map(|(_, id)| id).collect()
}

/// The `order` of a new entity of `map`: one more than the whole part of the highest valid
/// order there (1 when there is none), so it sorts last.
pub(super) fn next_order<T: ReadTxn>(txn: &T, map: &MapRef) -> i64 {
    let highest = map
        .iter(txn)
        .filter_map(|(_, value)| order_of(txn, &value))
        .fold(0.0f64, f64::max);
    // `as` saturates for huge values; an order that large is a crafted document anyway.
    (highest.floor() as i64).saturating_add(1)
}

/// The strings of an array, with their positions.
pub(super) fn strings<T: ReadTxn>(txn: &T, array: &ArrayRef) -> Vec<(u32, Option<String>)> {
    (0u32..)
        .zip(array.iter(txn))
        .map(|(index, value)| match value {
            Out::Any(Any::String(s)) => (index, Some(s.to_string())),
            _ => (index, None),
        })
        .collect()
}

/// Sets `key` of `map` to the integer `value`, or removes the key when `None` (a cleared
/// value).
pub(super) fn set_or_clear(txn: &mut TransactionMut, map: &MapRef, key: &str, value: Option<i64>) {
    match value {
        Some(value) => {
            map.insert(txn, key, value);
        }
        None => {
            map.remove(txn, key);
        }
    }
}

/// Sets `key` of `map` to the string `value`, or removes the key when `None`.
pub(super) fn set_or_clear_str(
    txn: &mut TransactionMut,
    map: &MapRef,
    key: &str,
    value: Option<&str>,
) {
    match value {
        Some(value) => {
            map.insert(txn, key, value);
        }
        None => {
            map.remove(txn, key);
        }
    }
}

/// Appends `addition` to `text`, on a new line when the text is not empty and does not end
/// with one already.
pub(super) fn append(txn: &mut TransactionMut, text: &TextRef, addition: &str) {
    let existing = text.get_string(txn);
    if existing.is_empty() || existing.ends_with('\n') {
        text.push(txn, addition);
    } else {
        text.push(txn, &format!("\n{addition}"));
    }
}

/// Replaces the whole content of `text` with `content`.
pub(super) fn replace(txn: &mut TransactionMut, text: &TextRef, content: &str) {
    let len = text.len(txn);
    if len > 0 {
        text.remove_range(txn, 0, len);
    }
    if !content.is_empty() {
        text.push(txn, content);
    }
}

/// Removes the array elements at `indices` (any order).
pub(super) fn remove_at(txn: &mut TransactionMut, array: &ArrayRef, indices: &[u32]) {
    let mut indices = indices.to_vec();
    indices.sort_unstable();
    indices.dedup();
    for index in indices.into_iter().rev() {
        array.remove(txn, index);
    }
}
