//! Joining v1 updates into one without decoding their content.
//!
//! A room relays a client's accepted update and the results it caused as one update. yrs's
//! own merge decodes both (every JSON value of the figures included) and encodes the result
//! again, which took about a tenth of the server's time in the 100 × 10 case. But a client's
//! update and the server's results never hold blocks of the same client id (nobody writes
//! under the server's), and updates whose blocks belong to different clients join by laying
//! their clients' blocks side by side and merging their delete sets. [`join`] does that,
//! reading only the structure of each update (lengths, ids, the shape of JSON values) and
//! copying the blocks' bytes as they are. Anything it does not expect (two updates writing
//! under one client id, content the workshop document never holds, a malformed update) makes
//! it give up, and the caller merges with yrs.
//!
//! The layout (lib0 v1, as yrs and Yjs write it): the number of clients, then per client the
//! number of its blocks, its id, the first block's clock and the blocks; then the delete set:
//! the number of clients, then per client its id, the number of ranges and each range's clock
//! and length. Every number is a variable-length integer.

use std::collections::BTreeMap;

/// Deepest nesting of JSON values read: deeper ones are left to yrs.
const MAX_DEPTH: usize = 64;

/// `updates` as one v1 update, or `None` if they cannot be joined without decoding (see the
/// module documentation): the caller then merges them with yrs.
pub fn join<U: AsRef<[u8]>>(updates: &[U]) -> Option<Vec<u8>> {
    let mut clients = 0u64;
    let mut seen = Vec::new();
    let mut blocks = Vec::new();
    let mut deleted: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for update in updates {
        let parsed = Parsed::read(update.as_ref())?;
        for client in &parsed.clients {
            if seen.contains(client) {
                return None;
            }
            seen.push(*client);
        }
        clients += parsed.clients.len() as u64;
        blocks.extend_from_slice(parsed.blocks);
        for (client, ranges) in parsed.deleted {
            deleted.entry(client).or_default().extend(ranges);
        }
    }
    let mut out = Vec::with_capacity(blocks.len() + 16 * deleted.len() + 8);
    write_var(&mut out, clients);
    out.extend_from_slice(&blocks);
    write_var(&mut out, deleted.len() as u64);
    // Highest client first, as yrs writes them; each client's ranges sorted and merged.
    for (client, mut ranges) in deleted.into_iter().rev() {
        ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
        for (clock, len) in ranges {
            match merged.last_mut() {
                Some((start, length)) if clock <= *start + *length => {
                    *length = (*length).max(clock + len - *start);
                }
                _ => merged.push((clock, len)),
            }
        }
        write_var(&mut out, client);
        write_var(&mut out, merged.len() as u64);
        for (clock, len) in merged {
            write_var(&mut out, clock);
            write_var(&mut out, len);
        }
    }
    Some(out)
}

/// The parts of one v1 update.
struct Parsed<'a> {
    /// The client ids whose blocks it holds.
    clients: Vec<u64>,
    /// The bytes of those clients' blocks, after their count.
    blocks: &'a [u8],
    /// Its delete set: per client, ranges of (clock, length).
    deleted: Vec<(u64, Vec<(u64, u64)>)>,
}

impl<'a> Parsed<'a> {
    fn read(update: &'a [u8]) -> Option<Parsed<'a>> {
        let mut cursor = Cursor {
            bytes: update,
            at: 0,
        };
        let count = cursor.var()?;
        let start = cursor.at;
        let mut clients = Vec::new();
        for _ in 0..count {
            let blocks = cursor.var()?;
            clients.push(cursor.var()?);
            cursor.var()?; // the first block's clock
            for _ in 0..blocks {
                cursor.block()?;
            }
        }
        let blocks = &update[start..cursor.at];
        let mut deleted = Vec::new();
        for _ in 0..cursor.var()? {
            let client = cursor.var()?;
            let count = cursor.var()?;
            let mut ranges = Vec::new();
            for _ in 0..count {
                let clock = cursor.var()?;
                let len = cursor.var()?;
                ranges.push((clock, clock.checked_add(len).map(|_| len)?));
            }
            deleted.push((client, ranges));
        }
        (cursor.at == update.len()).then_some(Parsed {
            clients,
            blocks,
            deleted,
        })
    }
}

/// Reads the structure of a v1 update, skipping what it does not need.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    /// An unsigned variable-length integer (seven bits a byte, low first).
    fn var(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Skips a signed variable-length integer.
    fn skip_signed(&mut self) -> Option<()> {
        for _ in 0..10 {
            if self.byte()? & 0x80 == 0 {
                return Some(());
            }
        }
        None
    }

    fn skip(&mut self, len: u64) -> Option<()> {
        let end = self.at.checked_add(usize::try_from(len).ok()?)?;
        if end > self.bytes.len() {
            return None;
        }
        self.at = end;
        Some(())
    }

    /// Skips a length-prefixed string or buffer.
    fn skip_buf(&mut self) -> Option<()> {
        let len = self.var()?;
        self.skip(len)
    }

    /// Skips one block: a GC or skip range, or an item with its ids, parent and content.
    fn block(&mut self) -> Option<()> {
        const HAS_ORIGIN: u8 = 0b1000_0000;
        const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
        const HAS_PARENT_SUB: u8 = 0b0010_0000;
        let info = self.byte()?;
        if info == 0 || info == 10 {
            // GC or skip: a length.
            self.var()?;
            return Some(());
        }
        if info & HAS_ORIGIN != 0 {
            self.var()?;
            self.var()?;
        }
        if info & HAS_RIGHT_ORIGIN != 0 {
            self.var()?;
            self.var()?;
        }
        if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
            if self.var()? == 1 {
                self.skip_buf()?; // a root's name
            } else {
                self.var()?; // the parent's id
                self.var()?;
            }
            if info & HAS_PARENT_SUB != 0 {
                self.skip_buf()?;
            }
        }
        match info & 0b1111 {
            // Deleted: a length.
            1 => self.var().map(drop),
            // Binary, string, embed.
            3..=5 => self.skip_buf(),
            // Format: key and value.
            6 => {
                self.skip_buf()?;
                self.skip_buf()
            }
            // A nested type: array, map or text only (XML and the rest are left to yrs).
            7 => (self.var()? <= 2).then_some(()),
            // JSON values.
            8 => {
                for _ in 0..self.var()? {
                    self.any(0)?;
                }
                Some(())
            }
            // JSON strings, sub-documents and anything else: left to yrs.
            _ => None,
        }
    }

    /// Skips one JSON value (lib0's "any").
    fn any(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.byte()? {
            // undefined, null, false, true
            127 | 126 | 121 | 120 => Some(()),
            // integer
            125 => self.skip_signed(),
            // float32, float64, bigint
            124 => self.skip(4),
            123 | 122 => self.skip(8),
            // string, buffer
            119 | 116 => self.skip_buf(),
            // object
            118 => {
                for _ in 0..self.var()? {
                    self.skip_buf()?;
                    self.any(depth + 1)?;
                }
                Some(())
            }
            // array
            117 => {
                for _ in 0..self.var()? {
                    self.any(depth + 1)?;
                }
                Some(())
            }
            _ => None,
        }
    }
}

fn write_var(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;
    use yrs::types::ToJson;
    use yrs::updates::decoder::Decode;
    use yrs::{
        Any, Array, ArrayPrelim, Doc, Map, MapPrelim, ReadTxn, StateVector, Text, Transact, Update,
    };

    use super::*;

    /// One edit a writer makes.
    #[derive(Debug, Clone)]
    enum Edit {
        /// A JSON value set in a root map.
        Set(u8, Value),
        /// A key removed from a root map.
        Remove(u8),
        /// A nested map set in a root map, with a value in it.
        Nested(u8, Value),
        /// Text inserted at the start and the end of a text.
        Type(String),
        /// The first `n` characters of the text deleted.
        Cut(u8),
        /// Values pushed into an array.
        Push(Vec<Value>),
    }

    /// A JSON value of the kinds the figures hold.
    #[derive(Debug, Clone)]
    enum Value {
        Int(i64),
        Float(f64),
        Text(String),
        Bool(bool),
        Null,
        List(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    impl Value {
        fn any(&self) -> Any {
            match self {
                Value::Int(n) => Any::from(*n),
                Value::Float(x) => Any::from(*x),
                Value::Text(s) => Any::from(s.as_str()),
                Value::Bool(b) => Any::from(*b),
                Value::Null => Any::Null,
                Value::List(items) => Any::from(items.iter().map(Value::any).collect::<Vec<_>>()),
                Value::Object(fields) => Any::from(
                    fields
                        .iter()
                        .map(|(k, v)| (k.clone(), v.any()))
                        .collect::<std::collections::HashMap<_, _>>(),
                ),
            }
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(Value::Int),
            (-1e9..1e9f64).prop_map(Value::Float),
            "[a-z é✓]{0,12}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
                proptest::collection::vec(("[a-z]{1,6}", inner), 0..6).prop_map(Value::Object),
            ]
        })
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (0..6u8, value()).prop_map(|(k, v)| Edit::Set(k, v)),
            (0..6u8).prop_map(Edit::Remove),
            (0..6u8, value()).prop_map(|(k, v)| Edit::Nested(k, v)),
            "[a-z ]{1,8}".prop_map(Edit::Type),
            (1..4u8).prop_map(Edit::Cut),
            proptest::collection::vec(value(), 1..4).prop_map(Edit::Push),
        ]
    }

    fn apply(doc: &Doc, edits: &[Edit]) -> Vec<u8> {
        let map = doc.get_or_insert_map("map");
        let text = doc.get_or_insert_text("text");
        let list = doc.get_or_insert_array("list");
        let mut txn = doc.transact_mut();
        for edit in edits {
            match edit {
                Edit::Set(key, value) => {
                    map.insert(&mut txn, key.to_string(), value.any());
                }
                Edit::Remove(key) => {
                    map.remove(&mut txn, &key.to_string());
                }
                Edit::Nested(key, value) => {
                    map.insert(
                        &mut txn,
                        key.to_string(),
                        MapPrelim::from([("inner", value.any())]),
                    );
                }
                Edit::Type(s) => {
                    text.insert(&mut txn, 0, s);
                    let len = text.len(&txn);
                    text.insert(&mut txn, len, s);
                }
                Edit::Cut(n) => {
                    let len = text.len(&txn);
                    text.remove_range(&mut txn, 0, u32::from(*n).min(len));
                }
                Edit::Push(values) => {
                    let len = list.len(&txn);
                    list.insert(
                        &mut txn,
                        len,
                        ArrayPrelim::from(values.iter().map(Value::any).collect::<Vec<_>>()),
                    );
                }
            }
        }
        txn.encode_update_v1()
    }

    fn copy(doc: &Doc, client: u64) -> Doc {
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let copy = Doc::with_client_id(client);
        copy.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        copy
    }

    /// What `update` makes of a copy of `base`: its JSON, state vector and delete set.
    fn outcome(base: &Doc, update: &[u8]) -> (String, yrs::Snapshot) {
        let doc = copy(base, 99);
        doc.transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
        let txn = doc.transact();
        assert!(!txn.has_missing_updates());
        let json = serde_json::json!({
            "map": txn.get_map("map").map(|m| m.to_json(&txn)),
            "text": txn.get_text("text").map(|t| yrs::GetString::get_string(&t, &txn)),
            "list": txn.get_array("list").map(|a| a.to_json(&txn)),
        })
        .to_string();
        (json, txn.snapshot())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Joined, the updates of writers who share no client id do what yrs's merge of them
        /// does: the same content, the same state vector, the same deletions.
        #[test]
        fn joining_does_what_merging_does(
            history in proptest::collection::vec(edit(), 0..8),
            first in proptest::collection::vec(edit(), 1..6),
            second in proptest::collection::vec(edit(), 1..6),
            third in proptest::collection::vec(edit(), 0..4),
        ) {
            let base = Doc::with_client_id(1);
            apply(&base, &history);
            let updates: Vec<Vec<u8>> = [(2, &first), (3, &second), (4, &third)]
                .into_iter()
                .map(|(client, edits)| apply(&copy(&base, client), edits))
                .collect();
            let joined = join(&updates).expect("updates of different clients join");
            let merged = yrs::merge_updates_v1(&updates).unwrap();
            prop_assert_eq!(outcome(&base, &joined), outcome(&base, &merged));
        }
    }

    #[test]
    fn updates_writing_under_one_client_are_left_to_yrs() {
        let doc = Doc::with_client_id(7);
        let first = apply(&doc, &[Edit::Type("a".into())]);
        let second = apply(&doc, &[Edit::Type("b".into())]);
        assert_eq!(join(&[&first, &second]), None);
        assert!(join(&[&first]).is_some());
    }

    #[test]
    fn what_it_does_not_read_is_left_to_yrs() {
        // A malformed update, a truncated one, and one holding an XML element.
        assert_eq!(join(&[[1u8, 2, 3].as_slice()]), None);
        let doc = Doc::with_client_id(5);
        let update = apply(&doc, &[Edit::Set(1, Value::Int(3))]);
        assert_eq!(join(&[&update[..update.len() - 1]]), None);
        let xml = {
            let fragment = doc.get_or_insert_xml_fragment("xml");
            let mut txn = doc.transact_mut();
            yrs::XmlFragment::push_back(&fragment, &mut txn, yrs::XmlElementPrelim::empty("p"));
            txn.encode_update_v1()
        };
        assert_eq!(join(&[&xml]), None);
        // Values nested deeper than it reads.
        let mut deep = Any::from(1);
        for _ in 0..=MAX_DEPTH {
            deep = Any::from(vec![deep]);
        }
        let nested = {
            let map = doc.get_or_insert_map("map");
            let mut txn = doc.transact_mut();
            map.insert(&mut txn, "deep", deep);
            txn.encode_update_v1()
        };
        assert_eq!(join(&[&nested]), None);
    }
}
