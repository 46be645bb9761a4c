//! What the engine fuzz targets share: the template document every input starts from, the
//! whole read-compute-write pass run over the result, and the structured writes of the
//! `reader` target.

use arbitrary::Arbitrary;
use workshop_shared::model::Workshop;
use workshop_shared::schema::{self, key};
use workshop_shared::template::{self, WorkshopMeta, APPROACHES, ASPECTS};
use workshop_shared::{compute, export, recompute};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, ArrayPrelim, Doc, Map, MapPrelim, MapRef, Out, ReadTxn, TextPrelim, Transact, Update,
    WriteTxn,
};

/// The template workshop the corpus was made against (see `shared/tests/corpus.rs`): a
/// committed copy, because two fills of the template give the same content under different
/// block ids, and corpus inputs edit particular blocks.
const TEMPLATE_STATE: &[u8] = include_bytes!("../../tests/corpus/template.state");

/// A fresh template workshop. Falls back to filling one if the committed copy is unreadable.
pub fn template_doc() -> Doc {
    let doc = Doc::with_client_id(2);
    let loaded = Update::decode_v1(TEMPLATE_STATE)
        .ok()
        .is_some_and(|update| doc.transact_mut().apply_update(update).is_ok());
    if !loaded {
        let meta = WorkshopMeta {
            title: "Fuzz workshop".into(),
            place: "Fuzzshire".into(),
            created_at: "2026-11-23T09:00:00Z".into(),
        };
        template::fill(&mut doc.transact_mut(), &meta);
    }
    doc
}

/// Whether an update's leading client count fits its length, as the server requires
/// (`workshop_server::sync`) before it lets yrs decode: yrs reserves a hash map for that
/// count up front, so a few bytes declaring a huge one cost hundreds of megabytes, which
/// libFuzzer would report as an out-of-memory crash. The fuzzer looks past that known case.
pub fn plausible(update: &[u8]) -> bool {
    let mut count: u64 = 0;
    for (index, byte) in update.iter().take(10).enumerate() {
        count |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return count <= update.len() as u64;
        }
    }
    false
}

/// Everything the server does with a document: read it, compute, write the results into
/// it (twice: the second pass must find nothing to change), and export it (JSON, workbook,
/// Markdown report, votes CSV).
pub fn exercise(doc: &Doc) {
    let today =
        time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap_or(time::Date::MIN);
    {
        let txn = doc.transact();
        let workshop = Workshop::read(&txn);
        let _ = compute(&workshop, today);
        let _ = export::document_json(&txn);
        assert!(
            export::workbook(&txn, today).is_ok(),
            "the workbook exports"
        );
        let _ = export::markdown(&txn, today);
        assert!(export::votes_csv(&txn).is_ok(), "the votes export");
    }
    let _ = recompute(&mut doc.transact_mut(), today);
    let again = recompute(&mut doc.transact_mut(), today);
    assert!(
        !again.changed,
        "a second recompute must find nothing to change"
    );
    let state = doc
        .transact()
        .encode_state_as_update_v1(&yrs::StateVector::default());
    assert!(
        Update::decode_v1(&state).is_ok(),
        "the document must still encode to something decodable"
    );
}

/// The update, if the server would let it in (`workshop_server::sync`): it decodes, and yrs
/// reads its re-encoding back as the same update. yrs 0.28 does not for JSON content, and a
/// document holding such a block can never be encoded again (yrs panics).
pub fn admissible(update: &[u8]) -> Option<Update> {
    if !plausible(update) {
        return None;
    }
    let decoded = Update::decode_v1(update).ok()?;
    let again = Update::decode_v1(&decoded.encode_v1()).ok()?;
    (again == decoded).then_some(decoded)
}

/// A map key: one the schema or template spells (so writes land where the reader looks),
/// or any string.
#[derive(Arbitrary, Debug)]
pub enum Key {
    /// Index into [`known_keys`].
    Known(u8),
    /// Anything.
    Raw(String),
}

impl Key {
    fn resolve(&self, known: &[String]) -> String {
        match self {
            Key::Known(index) => known[usize::from(*index) % known.len()].clone(),
            Key::Raw(raw) => raw.clone(),
        }
    }
}

/// A value of any kind the document can hold, valid for its place or not.
#[derive(Arbitrary, Debug)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A float, NaN and infinities included.
    Float(f64),
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// Null.
    Null,
    /// A nested map of integers.
    Map(Vec<(Key, i64)>),
    /// A collaborative text.
    Text(String),
    /// An array of floats.
    Array(Vec<f64>),
}

/// One write into the document.
#[derive(Arbitrary, Debug)]
pub struct Write {
    /// Which root map, as an index into [`schema::ROOTS`].
    pub root: u8,
    /// Keys of nested maps to descend through while they exist.
    pub path: Vec<Key>,
    /// The key written.
    pub key: Key,
    /// Set a value, or delete the key.
    pub value: Option<Value>,
}

/// Every key the schema and the template spell, plus a few participant ids.
pub fn known_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        key::TITLE,
        key::ORDER,
        key::NOTES,
        key::PLACE,
        key::CREATED_AT,
        key::SCHEMA,
        key::STAGE,
        key::SELECTED_APPROACH,
        key::QUICK,
        key::QUICK_AGREED,
        key::FACTORS,
        key::SCORES,
        key::WEIGHTS,
        key::AGREED_SCORE,
        key::AGREED_WEIGHT,
        key::RELEVANCE,
        key::NAME,
        key::ORGANISATION,
        key::ROLE,
        key::WORLD,
        key::GROUP,
        key::ASPECTS,
        key::KIND,
        key::ASPECT,
        key::CONTROL,
        key::RESPONSE,
        key::IMPACT,
        key::AGREED_IMPACT,
        key::DOTS,
        key::ITEMS,
        key::OWNER,
        key::DUE,
        key::STATUS,
        key::STATEMENT,
        key::EVIDENCE,
        key::OBJECTIVE,
        key::DEVELOPMENTS,
        key::RATIONALE,
        key::IMPLICATIONS,
        "p1",
        "p2",
        "p3",
        "customer",
        "facilitator",
        "constraint",
        "enabler",
        "in_control",
        "2026-11-01",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    for aspect in &ASPECTS {
        keys.push(aspect.id.to_owned());
        keys.extend(aspect.factors.iter().map(|(id, _)| (*id).to_owned()));
    }
    keys.extend(APPROACHES.iter().map(|approach| approach.id.to_owned()));
    keys.extend(schema::ROOTS.iter().map(|root| (*root).to_owned()));
    keys
}

/// Deepest path a write descends.
const MAX_DEPTH: usize = 8;

/// Applies `writes` to `doc`, each in its own transaction, as separate clients would.
pub fn apply_writes(doc: &Doc, writes: &[Write]) {
    let known = known_keys();
    for write in writes {
        let mut txn = doc.transact_mut();
        let root_name = schema::ROOTS[usize::from(write.root) % schema::ROOTS.len()];
        let mut map: MapRef = txn.get_or_insert_map(root_name);
        for segment in write.path.iter().take(MAX_DEPTH) {
            match map.get(&txn, &segment.resolve(&known)) {
                Some(Out::YMap(child)) => map = child,
                _ => break,
            }
        }
        let key = write.key.resolve(&known);
        match &write.value {
            None => {
                map.remove(&mut txn, &key);
            }
            Some(Value::Int(n)) => {
                map.insert(&mut txn, key, *n);
            }
            Some(Value::Float(f)) => {
                map.insert(&mut txn, key, *f);
            }
            Some(Value::Str(s)) => {
                map.insert(&mut txn, key, s.as_str());
            }
            Some(Value::Bool(b)) => {
                map.insert(&mut txn, key, *b);
            }
            Some(Value::Null) => {
                map.insert(&mut txn, key, Any::Null);
            }
            Some(Value::Map(entries)) => {
                let prelim: MapPrelim = entries
                    .iter()
                    .map(|(k, v)| (k.resolve(&known), yrs::In::from(*v)))
                    .collect();
                map.insert(&mut txn, key, prelim);
            }
            Some(Value::Text(text)) => {
                map.insert(&mut txn, key, TextPrelim::new(text.as_str()));
            }
            Some(Value::Array(values)) => {
                map.insert(&mut txn, key, ArrayPrelim::from(values.clone()));
            }
        }
    }
}
