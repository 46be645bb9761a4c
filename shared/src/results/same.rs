//! Whether a stored results value already is what the writer would store for a field, found
//! by walking the typed value against the stored one, without building anything.
//!
//! The writer stores a field as `serde_json::to_value`, turned into a yrs [`Any`], and leaves
//! a key alone when [`Any`]'s `==` finds the stored value equal. Building those two trees for
//! every field of every recompute, only to find them unchanged, was most of the writer's time.
//! [`same`] gives the answer `==` would give, for every shape the results use: structs,
//! sequences, options, strings, numbers, booleans and unit enum variants. For any other shape
//! it answers `None`, and the writer builds the value and compares it the long way.

use std::collections::HashMap;
use std::fmt;

use serde::ser::{self, Impossible, Serialize};
use yrs::any::Number;
use yrs::Any;

/// `Some(true)` when `stored` equals what `value` would be stored as, `Some(false)` when it
/// differs, `None` when `value` holds a shape this walk does not cover.
pub(crate) fn same<T: Serialize + ?Sized>(value: &T, stored: &Any) -> Option<bool> {
    match value.serialize(Walk(stored)) {
        Ok(()) => Some(true),
        Err(Stop::Differs) => Some(false),
        Err(Stop::Unsupported) => None,
    }
}

/// Why a walk stopped early.
#[derive(Debug)]
enum Stop {
    /// The stored value differs here.
    Differs,
    /// A shape the walk does not cover (or a value that cannot be serialised at all).
    Unsupported,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::Differs => "the stored value differs",
            Stop::Unsupported => "a shape the comparison does not cover",
        })
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        Stop::Unsupported
    }
}

type Step = Result<(), Stop>;

/// Compares one value against the stored value at the same place.
struct Walk<'a>(&'a Any);

impl Walk<'_> {
    /// Equal to the scalar `expected`, as `Any`'s `==` decides.
    fn equals(&self, expected: &Any) -> Step {
        if self.0 == expected {
            Ok(())
        } else {
            Err(Stop::Differs)
        }
    }

    /// A float as serde_json stores it: a number when finite, else `null`.
    fn float(&self, value: f64) -> Step {
        if value.is_finite() {
            self.equals(&Any::Number(Number::Float(value)))
        } else {
            self.equals(&Any::Null)
        }
    }

    fn text(&self, value: &str) -> Step {
        match self.0 {
            Any::String(stored) if **stored == *value => Ok(()),
            _ => Err(Stop::Differs),
        }
    }
}

impl<'a> ser::Serializer for Walk<'a> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Impossible<(), Stop>;
    type SerializeMap = Impossible<(), Stop>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Impossible<(), Stop>;

    fn serialize_bool(self, v: bool) -> Step {
        self.equals(&Any::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Step {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Step {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Step {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Step {
        self.equals(&Any::Number(Number::Int(v)))
    }

    fn serialize_u8(self, v: u8) -> Step {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Step {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Step {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Step {
        // Above i64::MAX the writer cannot store it at all.
        let v = i64::try_from(v).map_err(|_| Stop::Unsupported)?;
        self.serialize_i64(v)
    }

    fn serialize_f32(self, v: f32) -> Step {
        self.float(v.into())
    }

    fn serialize_f64(self, v: f64) -> Step {
        self.float(v)
    }

    fn serialize_char(self, v: char) -> Step {
        self.text(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Step {
        self.text(v)
    }

    fn serialize_bytes(self, _v: &[u8]) -> Step {
        Err(Stop::Unsupported)
    }

    fn serialize_none(self) -> Step {
        self.equals(&Any::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Step {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Step {
        self.equals(&Any::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Step {
        self.equals(&Any::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Step {
        self.text(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Step {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Step {
        Err(Stop::Unsupported)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>, Stop> {
        match self.0 {
            Any::Array(items) => Ok(Seq { items, next: 0 }),
            _ => Err(Stop::Differs),
        }
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, Stop> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'a>, Stop> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Stop::Unsupported)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Stop> {
        Err(Stop::Unsupported)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Fields<'a>, Stop> {
        match self.0 {
            Any::Map(fields) => Ok(Fields { fields, seen: 0 }),
            _ => Err(Stop::Differs),
        }
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Stop::Unsupported)
    }
}

/// The elements of a sequence against a stored array.
struct Seq<'a> {
    items: &'a [Any],
    next: usize,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Step {
        let stored = self.items.get(self.next).ok_or(Stop::Differs)?;
        self.next += 1;
        value.serialize(Walk(stored))
    }

    /// No stored element is left over.
    fn done(self) -> Step {
        if self.next == self.items.len() {
            Ok(())
        } else {
            Err(Stop::Differs)
        }
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Step {
        self.element(value)
    }

    fn end(self) -> Step {
        self.done()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Step {
        self.element(value)
    }

    fn end(self) -> Step {
        self.done()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Step {
        self.element(value)
    }

    fn end(self) -> Step {
        self.done()
    }
}

/// The fields of a struct against a stored map: each one there and equal, and no other key.
struct Fields<'a> {
    fields: &'a HashMap<String, Any>,
    seen: usize,
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Step {
        let stored = self.fields.get(key).ok_or(Stop::Differs)?;
        self.seen += 1;
        value.serialize(Walk(stored))
    }

    fn end(self) -> Step {
        // Field names are distinct, so equal counts mean no stored key is left over.
        if self.seen == self.fields.len() {
            Ok(())
        } else {
            Err(Stop::Differs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;
    use std::sync::Arc;

    /// What the writer stores for a value, the long way.
    fn stored<T: Serialize>(value: &T) -> Any {
        serde_json::from_value(serde_json::to_value(value).expect("serialises")).expect("an Any")
    }

    /// The long way's answer.
    fn equal<T: Serialize>(value: &T, any: &Any) -> bool {
        stored(value) == *any
    }

    #[derive(Serialize, Clone, Debug)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Low,
        High,
    }

    #[derive(Serialize, Clone, Debug)]
    struct Row {
        id: String,
        score: Option<f64>,
        rank: u32,
        kind: Kind,
        flag: bool,
        tags: Vec<String>,
        pair: (i8, char),
    }

    fn row() -> impl Strategy<Value = Row> {
        (
            "[a-c]{0,2}",
            prop::option::of(prop_oneof![
                Just(1.0),
                Just(1.5),
                Just(f64::NAN),
                Just(f64::INFINITY),
                -3.0..3.0f64
            ]),
            0..3u32,
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec("[ab]", 0..3),
            (-2..2i8, prop_oneof![Just('x'), Just('é')]),
        )
            .prop_map(|(id, score, rank, high, flag, tags, pair)| Row {
                id,
                score,
                rank,
                kind: if high { Kind::High } else { Kind::Low },
                flag,
                tags,
                pair,
            })
    }

    /// Small edits of a stored value, some of which keep it equal (an integer stored as the
    /// same float, a map rebuilt), most of which do not.
    fn edit(any: &Any, how: u8) -> Any {
        match (any, how % 8) {
            (Any::Array(items), 0) if !items.is_empty() => {
                Any::from(items[..items.len() - 1].to_vec())
            }
            (Any::Array(items), 1) => {
                let mut items = items.to_vec();
                items.push(Any::Null);
                Any::from(items)
            }
            (Any::Array(items), _) if !items.is_empty() => {
                let mut items = items.to_vec();
                let last = items.len() - 1;
                items[last] = edit(&items[last], how / 8 + 3);
                Any::from(items)
            }
            (Any::Map(fields), 2) => {
                let mut fields = (**fields).clone();
                fields.insert("extra".into(), Any::Null);
                Any::Map(Arc::new(fields))
            }
            (Any::Map(fields), _) => {
                let mut fields = (**fields).clone();
                let mut keys: Vec<_> = fields.keys().cloned().collect();
                keys.sort();
                let key = &keys[usize::from(how) % keys.len()];
                if how.is_multiple_of(5) {
                    fields.remove(key);
                } else {
                    let value = edit(&fields[key], how / 3);
                    fields.insert(key.clone(), value);
                }
                Any::Map(Arc::new(fields))
            }
            (Any::Number(Number::Int(i)), 3) => Any::Number(Number::Float(*i as f64)),
            (Any::Number(Number::Float(f)), 3) => Any::Number(Number::Int(*f as i64)),
            (Any::Number(_), _) => Any::from(0.25),
            (Any::String(s), 4) => Any::from(format!("{s}!")),
            (Any::Null, 5) => Any::Undefined,
            (Any::Bool(b), _) => Any::Bool(!b),
            (_, 6) => Any::from("x"),
            (_, 7) => Any::Null,
            (other, _) => other.clone(),
        }
    }

    #[test]
    fn unchanged_values_are_the_same() {
        let value = vec![Some(1.5), None, Some(f64::NAN)];
        assert_eq!(same(&value, &stored(&value)), Some(true));
        assert_eq!(same(&Kind::High, &Any::from("high")), Some(true));
        assert_eq!(same(&3u32, &Any::from(3.0)), Some(true));
        assert_eq!(same(&2.0f64, &Any::from(2i64)), Some(true));
        assert_eq!(same(&u64::MAX, &Any::Null), None);
        assert_eq!(same(&Some("a"), &Any::Undefined), Some(false));
        assert_eq!(
            same(&vec![1u8], &Any::from(vec![Any::from(1i64), Any::Null])),
            Some(false)
        );
        let map: HashMap<String, u8> = HashMap::from([("a".into(), 1)]);
        assert_eq!(same(&map, &stored(&map)), None);
    }

    proptest! {
        #[test]
        fn agrees_with_building_and_comparing(rows in prop::collection::vec(row(), 0..4), how in any::<u8>(), edits in 0..3u8) {
            let mut any = stored(&rows);
            prop_assert_eq!(same(&rows, &any), Some(equal(&rows, &any)));
            for step in 0..edits {
                any = edit(&any, how.wrapping_add(step.wrapping_mul(37)));
                prop_assert_eq!(same(&rows, &any), Some(equal(&rows, &any)), "{:?}", any);
            }
        }
    }
}
