//! Random and hostile workshop documents, as the edits a Yjs client makes to reach them.
//!
//! [`edits`] turns a seed into one transaction's worth of [`Op`]s over the document shape of
//! DOMAIN.md section 6: entities created whole or in part, every field set to a valid value, a
//! boundary value or the wrong type (`null`, `undefined`, booleans, strings where numbers go,
//! NaN and infinities, big integers, binary buffers, plain JSON objects and arrays where Yjs
//! types go, Yjs types where plain values go, values nested forty deep), keys removed, odd ids
//! (empty, spaces, slashes, `__proto__`, long, non-ASCII). The same seed always gives the same
//! edits, so a failing seed can be run again.
//!
//! The ops are JSON, applied by `tests/node/hostile.mjs` with an unmodified Yjs client.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use time::Date;
use workshop_shared::schema::{self, key};
use workshop_shared::template;

/// One value a client writes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// A plain JSON value: a JSON object or array becomes a plain (not a Yjs) map or array.
    Json(serde_json::Value),
    /// A JavaScript number JSON cannot carry: `NaN`, `Infinity`, `-Infinity`, `-0`.
    Float(&'static str),
    /// JavaScript's `undefined`.
    Undefined,
    /// A JavaScript `BigInt`, in decimal.
    BigInt(String),
    /// A `Uint8Array`.
    Bytes(Vec<u8>),
    /// A new `Y.Map` holding these entries.
    Map(Vec<(String, Value)>),
    /// A new `Y.Array` holding these values (never [`Value::Undefined`] or [`Value::BigInt`]).
    Array(Vec<Value>),
    /// A new `Y.Text` holding this text.
    Text(String),
}

/// One edit: set (or, without `set`, delete) `key` of the map at path `at` (root first).
/// Maps missing on the way are created; a path through anything but a `Y.Map` is skipped.
#[derive(Debug, Clone, Serialize)]
pub struct Op {
    /// The path of the map to edit, its root first.
    pub at: Vec<String>,
    /// The key to set or delete.
    pub key: String,
    /// The value to set; `None` deletes the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<Value>,
}

/// One transaction of edits.
#[derive(Debug, Clone, Serialize)]
pub struct Edits {
    /// Clear every root map but `results` first.
    pub reset: bool,
    /// The edits, in order.
    pub ops: Vec<Op>,
}

/// Ids that are valid keys and hostile ones.
const ODD_IDS: [&str; 9] = [
    "",
    " ",
    "a/b",
    "__proto__",
    "constructor",
    "ünïcødé ✓",
    "0",
    "-1",
    "id with\nnewline",
];

/// The roots a reset clears: all but `results`.
const CLEARED: [&str; 9] = [
    schema::META,
    schema::PARTICIPANTS,
    schema::GROUPS,
    schema::ASPECTS,
    schema::APPROACHES,
    schema::ITEMS,
    schema::ACTIONS,
    schema::HYPOTHESES,
    schema::GAPS,
];

/// The edits of seed `seed`; `today` places due dates and creation times around it.
pub fn edits(seed: u64, today: Date) -> Edits {
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(seed),
        today,
    };
    generator.edits()
}

/// The roots [`Edits::reset`] clears.
pub fn cleared_roots() -> &'static [&'static str] {
    &CLEARED
}

struct Generator {
    rng: StdRng,
    today: Date,
}

impl Generator {
    fn edits(&mut self) -> Edits {
        let reset = self.rng.random_ratio(1, 10);
        let count = self.rng.random_range(1..=if reset { 80 } else { 30 });
        let ops = (0..count).map(|_| self.op()).collect();
        Edits { reset, ops }
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.random_ratio(percent, 100)
    }

    fn pick<'a, T: ?Sized>(&mut self, from: &[&'a T]) -> &'a T {
        from.choose(&mut self.rng).copied().expect("a choice")
    }

    /// An id from a small pool (so that edits meet), sometimes an odd one.
    fn id(&mut self, prefix: &str, pool: usize) -> String {
        if self.chance(8) {
            let odd = self.pick(&ODD_IDS);
            return if self.chance(20) {
                "x".repeat(300)
            } else {
                odd.to_owned()
            };
        }
        format!("{prefix}{}", self.rng.random_range(0..pool))
    }

    fn aspect_id(&mut self) -> String {
        if self.chance(80) {
            self.pick(&template::ASPECTS.map(|a| a.id)).to_owned()
        } else {
            self.id("aspect-", 3)
        }
    }

    fn factor_id(&mut self, aspect: &str) -> String {
        match template::ASPECTS.iter().find(|a| a.id == aspect) {
            Some(built_in) if self.chance(80) => {
                let ids: Vec<&str> = built_in.factors.iter().map(|(id, _)| *id).collect();
                self.pick(&ids).to_owned()
            }
            _ => self.id("factor-", 3),
        }
    }

    fn approach_id(&mut self) -> String {
        if self.chance(85) {
            self.pick(&template::APPROACHES.map(|a| a.id)).to_owned()
        } else {
            self.id("approach-", 2)
        }
    }

    fn participant(&mut self) -> String {
        self.id("p", 8)
    }

    fn op(&mut self) -> Op {
        let roll = self.rng.random_range(0..100);
        let mut op = match roll {
            0..30 => self.aspect_op(),
            30..40 => self.approach_op(),
            40..50 => self.participant_op(),
            50..56 => self.group_op(),
            56..74 => self.item_op(),
            74..84 => self.action_op(),
            84..90 => self.counted_op(),
            90..96 => self.meta_op(),
            _ => self.stray_op(),
        };
        if self.chance(7) {
            op.set = None;
        }
        op
    }

    fn at(path: &[&str]) -> Vec<String> {
        path.iter().map(|s| (*s).to_owned()).collect()
    }

    fn aspect_op(&mut self) -> Op {
        let aspect = self.aspect_id();
        let a = aspect.as_str();
        match self.rng.random_range(0..10) {
            0 => Op {
                at: Self::at(&[schema::ASPECTS]),
                key: aspect.clone(),
                set: Some(self.entity(&[
                    (key::TITLE, Field::Text),
                    (key::ORDER, Field::Order),
                    (key::QUICK, Field::Votes(schema::SCORE_RANGE)),
                    (key::QUICK_AGREED, Field::Int(schema::SCORE_RANGE)),
                    (key::FACTORS, Field::Entities),
                    (key::NOTES, Field::Notes),
                ])),
            },
            1 => {
                let (k, field) = *self.pick_field(&[
                    (key::TITLE, Field::Text),
                    (key::ORDER, Field::Order),
                    (key::QUICK_AGREED, Field::Int(schema::SCORE_RANGE)),
                    (key::QUICK, Field::Votes(schema::SCORE_RANGE)),
                    (key::FACTORS, Field::Entities),
                ]);
                Op {
                    at: Self::at(&[schema::ASPECTS, a]),
                    key: k.to_owned(),
                    set: Some(self.field(field)),
                }
            }
            2 => Op {
                at: Self::at(&[schema::ASPECTS, a, key::QUICK]),
                key: self.participant(),
                set: Some(self.int(schema::SCORE_RANGE)),
            },
            3 => {
                let factor = self.factor_id(a);
                Op {
                    at: Self::at(&[schema::ASPECTS, a, key::FACTORS]),
                    key: factor,
                    set: Some(self.entity(&FACTOR_FIELDS)),
                }
            }
            4 | 5 => {
                let factor = self.factor_id(a);
                let (k, field) = *self.pick_field(&FACTOR_FIELDS);
                Op {
                    at: Self::at(&[schema::ASPECTS, a, key::FACTORS, &factor]),
                    key: k.to_owned(),
                    set: Some(self.field(field)),
                }
            }
            _ => {
                let factor = self.factor_id(a);
                let (votes, range) = if self.chance(70) {
                    (key::SCORES, schema::SCORE_RANGE)
                } else {
                    (key::WEIGHTS, schema::WEIGHT_RANGE)
                };
                Op {
                    at: Self::at(&[schema::ASPECTS, a, key::FACTORS, &factor, votes]),
                    key: self.participant(),
                    set: Some(self.int(range)),
                }
            }
        }
    }

    fn approach_op(&mut self) -> Op {
        let approach = self.approach_id();
        match self.rng.random_range(0..4) {
            0 => Op {
                at: Self::at(&[schema::APPROACHES]),
                key: approach,
                set: Some(self.entity(&[
                    (key::TITLE, Field::Text),
                    (key::ORDER, Field::Order),
                    (key::RELEVANCE, Field::Relevance),
                ])),
            },
            1 => {
                let (k, field) = *self.pick_field(&[
                    (key::TITLE, Field::Text),
                    (key::ORDER, Field::Order),
                    (key::RELEVANCE, Field::Relevance),
                ]);
                Op {
                    at: Self::at(&[schema::APPROACHES, &approach]),
                    key: k.to_owned(),
                    set: Some(self.field(field)),
                }
            }
            _ => Op {
                at: Self::at(&[schema::APPROACHES, &approach, key::RELEVANCE]),
                key: self.aspect_id(),
                set: Some(self.int(schema::WEIGHT_RANGE)),
            },
        }
    }

    fn participant_op(&mut self) -> Op {
        let participant = self.participant();
        let fields = [
            (key::NAME, Field::Text),
            (key::ROLE, Field::Choice(&ROLES)),
            (key::WORLD, Field::Choice(&WORLDS)),
            (key::GROUP, Field::Text),
        ];
        if self.chance(40) {
            Op {
                at: Self::at(&[schema::PARTICIPANTS]),
                key: participant,
                set: Some(self.entity(&fields)),
            }
        } else {
            let (k, field) = *self.pick_field(&fields);
            Op {
                at: Self::at(&[schema::PARTICIPANTS, &participant]),
                key: k.to_owned(),
                set: Some(self.field(field)),
            }
        }
    }

    fn group_op(&mut self) -> Op {
        let group = self.id("g", 4);
        let fields = [
            (key::NAME, Field::Text),
            (key::ORDER, Field::Order),
            (key::ASPECTS, Field::Ids(IdsOf::Aspects)),
        ];
        if self.chance(40) {
            Op {
                at: Self::at(&[schema::GROUPS]),
                key: group,
                set: Some(self.entity(&fields)),
            }
        } else {
            let (k, field) = *self.pick_field(&fields);
            Op {
                at: Self::at(&[schema::GROUPS, &group]),
                key: k.to_owned(),
                set: Some(self.field(field)),
            }
        }
    }

    fn item_op(&mut self) -> Op {
        let item = self.id("i", 10);
        match self.rng.random_range(0..6) {
            0 | 1 => Op {
                at: Self::at(&[schema::ITEMS]),
                key: item,
                set: Some(self.entity(&ITEM_FIELDS)),
            },
            2 | 3 => {
                let (k, field) = *self.pick_field(&ITEM_FIELDS);
                Op {
                    at: Self::at(&[schema::ITEMS, &item]),
                    key: k.to_owned(),
                    set: Some(self.field(field)),
                }
            }
            4 => Op {
                at: Self::at(&[schema::ITEMS, &item, key::IMPACT]),
                key: self.participant(),
                set: Some(self.int(schema::SCORE_RANGE)),
            },
            _ => Op {
                at: Self::at(&[schema::ITEMS, &item, key::DOTS]),
                key: self.participant(),
                set: Some(self.int(schema::DOTS_RANGE)),
            },
        }
    }

    fn action_op(&mut self) -> Op {
        let action = self.id("a", 6);
        let fields = [
            (key::TITLE, Field::Text),
            (key::ITEMS, Field::Ids(IdsOf::Items)),
            (key::OWNER, Field::Text),
            (key::DUE, Field::Due),
            (key::STATUS, Field::Choice(&STATUSES)),
            (key::ASPECT, Field::AspectId),
            (key::CREATED_AT, Field::Instant),
        ];
        if self.chance(45) {
            Op {
                at: Self::at(&[schema::ACTIONS]),
                key: action,
                set: Some(self.entity(&fields)),
            }
        } else {
            let (k, field) = *self.pick_field(&fields);
            Op {
                at: Self::at(&[schema::ACTIONS, &action]),
                key: k.to_owned(),
                set: Some(self.field(field)),
            }
        }
    }

    /// Hypotheses and gaps: counted, with an order.
    fn counted_op(&mut self) -> Op {
        let root = if self.chance(50) {
            schema::HYPOTHESES
        } else {
            schema::GAPS
        };
        let id = self.id("h", 14);
        if self.chance(60) {
            let set = if self.chance(15) {
                self.hostile()
            } else {
                self.entity(&[(key::ORDER, Field::Order), (key::STATUS, Field::Text)])
            };
            Op {
                at: Self::at(&[root]),
                key: id,
                set: Some(set),
            }
        } else {
            Op {
                at: Self::at(&[root, &id]),
                key: key::ORDER.to_owned(),
                set: Some(self.field(Field::Order)),
            }
        }
    }

    fn meta_op(&mut self) -> Op {
        let (k, field) = *self.pick_field(&[
            (key::SELECTED_APPROACH, Field::ApproachId),
            (key::TITLE, Field::Text),
            (key::STAGE, Field::Text),
            (key::CREATED_AT, Field::Instant),
            (key::SCHEMA, Field::Int((0, 2))),
        ]);
        Op {
            at: Self::at(&[schema::META]),
            key: k.to_owned(),
            set: Some(self.field(field)),
        }
    }

    /// The wrong type where a map of entities (or a nested map) is expected.
    fn stray_op(&mut self) -> Op {
        let aspect = self.aspect_id();
        let factor = self.factor_id(&aspect);
        let targets: [(Vec<String>, String); 6] = [
            (Self::at(&[schema::ASPECTS]), aspect.clone()),
            (Self::at(&[schema::ASPECTS, &aspect]), key::FACTORS.into()),
            (
                Self::at(&[schema::ASPECTS, &aspect, key::FACTORS]),
                factor.clone(),
            ),
            (
                Self::at(&[schema::ASPECTS, &aspect, key::FACTORS, &factor]),
                key::SCORES.into(),
            ),
            (Self::at(&[schema::ITEMS]), self.id("i", 10)),
            (Self::at(&[schema::PARTICIPANTS]), self.participant()),
        ];
        let (at, key) = targets.choose(&mut self.rng).cloned().expect("a target");
        Op {
            at,
            key,
            set: Some(self.hostile()),
        }
    }

    fn pick_field<'f>(&mut self, fields: &'f [(&'static str, Field)]) -> &'f (&'static str, Field) {
        fields.choose(&mut self.rng).expect("a field")
    }

    /// A new entity map with some of `fields`, each valid or not.
    fn entity(&mut self, fields: &[(&'static str, Field)]) -> Value {
        let mut entries = Vec::new();
        for (k, field) in fields {
            if self.chance(75) {
                entries.push(((*k).to_owned(), self.field(*field)));
            }
        }
        if self.chance(5) {
            entries.push(("unknown key".to_owned(), self.hostile()));
        }
        Value::Map(entries)
    }

    fn field(&mut self, field: Field) -> Value {
        if self.chance(12) {
            return self.hostile();
        }
        match field {
            Field::Text => self.text(),
            Field::Order => self.order(),
            Field::Int(range) => self.int(range),
            Field::Votes(range) => {
                let count = self.rng.random_range(0..6);
                let votes = (0..count)
                    .map(|_| (self.participant(), self.int(range)))
                    .collect();
                self.map_of(votes)
            }
            Field::Relevance => {
                let count = self.rng.random_range(0..9);
                let entries = (0..count)
                    .map(|_| (self.aspect_id(), self.int(schema::WEIGHT_RANGE)))
                    .collect();
                self.map_of(entries)
            }
            Field::Entities => {
                let count = self.rng.random_range(0..4);
                let entries = (0..count)
                    .map(|_| (self.id("factor-", 3), self.entity(&FACTOR_FIELDS)))
                    .collect();
                Value::Map(entries)
            }
            Field::Notes => Value::Text(self.string()),
            Field::Choice(choices) => {
                if self.chance(80) {
                    Value::Json(self.pick(choices).into())
                } else {
                    self.text()
                }
            }
            Field::Ids(of) => {
                let count = self.rng.random_range(0..4);
                let ids: Vec<String> = (0..count)
                    .map(|_| match of {
                        IdsOf::Aspects => self.aspect_id(),
                        IdsOf::Items => self.id("i", 10),
                    })
                    .collect();
                let mut values: Vec<Value> =
                    ids.into_iter().map(|id| Value::Json(id.into())).collect();
                if self.chance(15) {
                    let stray = self.hostile();
                    values.push(element(stray));
                }
                if self.chance(30) {
                    Value::Json(
                        values
                            .iter()
                            .map(|v| match v {
                                Value::Json(json) => json.clone(),
                                _ => serde_json::Value::Null,
                            })
                            .collect(),
                    )
                } else {
                    Value::Array(values)
                }
            }
            Field::Due => self.due(),
            Field::Instant => self.instant(),
            Field::AspectId => Value::Json(self.aspect_id().into()),
            Field::ApproachId => Value::Json(self.approach_id().into()),
        }
    }

    /// A vote map: a `Y.Map`, or sometimes a plain JSON object (the wrong type). A plain object
    /// with its own `constructor` is left out of it: Yjs throws on one.
    fn map_of(&mut self, entries: Vec<(String, Value)>) -> Value {
        if self.chance(10) {
            let object = entries
                .into_iter()
                .filter(|(k, _)| k != "constructor")
                .map(|(k, v)| match v {
                    Value::Json(json) => (k, json),
                    _ => (k, serde_json::Value::Null),
                })
                .collect();
            Value::Json(serde_json::Value::Object(object))
        } else {
            Value::Map(entries)
        }
    }

    /// A whole number in `range` mostly; else its boundaries' neighbours or a wrong value.
    fn int(&mut self, (lo, hi): (i64, i64)) -> Value {
        let roll = self.rng.random_range(0..100);
        match roll {
            0..70 => Value::Json(self.rng.random_range(lo..=hi).into()),
            70..74 => Value::Json((lo - 1).into()),
            74..78 => Value::Json((hi + 1).into()),
            78..82 => Value::Json(serde_json::json!(
                f64::from(i32::try_from(lo).unwrap_or(0)) + 0.5
            )),
            82..84 => Value::Json(serde_json::json!(2_147_483_648.0 + 3.0)),
            84..86 => Value::Json(serde_json::json!(1e300)),
            86..88 => Value::Json(serde_json::Value::Null),
            88..90 => Value::Undefined,
            90..92 => Value::Json(format!("{hi}").into()),
            92..94 => Value::Json(true.into()),
            94..96 => Value::BigInt(format!("{hi}")),
            96..98 => self.special_float(),
            _ => self.hostile(),
        }
    }

    fn order(&mut self) -> Value {
        match self.rng.random_range(0..12) {
            0..5 => Value::Json(self.rng.random_range(-3..20).into()),
            5..7 => Value::Json(serde_json::json!(self.rng.random_range(-100.0..100.0))),
            7 => Value::Json(serde_json::json!(f64::MAX)),
            8 => Value::Json(serde_json::json!(-9_007_199_254_740_993_i64)),
            9 => self.special_float(),
            10 => Value::Json(serde_json::Value::Null),
            _ => Value::Json("1".into()),
        }
    }

    fn text(&mut self) -> Value {
        if self.chance(10) {
            Value::Json(serde_json::Value::Null)
        } else {
            Value::Json(self.string().into())
        }
    }

    fn string(&mut self) -> String {
        let words = [
            "Capacity",
            "",
            " ",
            "ünïcødé ✓",
            "<script>alert(1)</script>",
            "=SUM(A1)",
            "\"quoted\"",
            "line\nbreak",
            "tab\there",
            "x",
        ];
        let mut text = self.pick(&words).to_owned();
        if self.chance(3) {
            text = text.repeat(200);
        }
        text
    }

    fn due(&mut self) -> Value {
        let day = self.today.to_julian_day() + self.rng.random_range(-2..=2);
        let near = Date::from_julian_day(day).unwrap_or(self.today);
        let valid = format!(
            "{:04}-{:02}-{:02}",
            near.year(),
            u8::from(near.month()),
            near.day()
        );
        let choices = [
            valid.as_str(),
            "2026-02-30",
            "2026-2-3",
            "2026-02-28T00:00:00Z",
            "0000-01-01",
            "9999-12-31",
            "",
        ];
        let picked = if self.chance(70) {
            valid.clone()
        } else {
            self.pick(&choices).to_owned()
        };
        Value::Json(picked.into())
    }

    fn instant(&mut self) -> Value {
        let choices = [
            "2026-01-01T00:00:00Z",
            "2026-01-01t00:00:00z",
            "2026-01-01 00:00:00Z",
            "2026-01-01x00:00:00Z",
            "2026-01-01T01:00:00+01:00",
            "2025-12-31T23:00:00-01:00",
            "2026-01-01T00:00:00.000000001Z",
            "2026-01-01T00:00:00.0000000019Z",
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:59.999999999Z",
            "2016-12-30T23:59:60Z",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00",
            "2026-02-29T00:00:00Z",
            "not a time",
        ];
        if self.chance(30) {
            let seconds = self.rng.random_range(0..5);
            Value::Json(format!("{}T10:00:0{seconds}.000Z", self.today).into())
        } else {
            Value::Json(self.pick(&choices).into())
        }
    }

    /// A value of any type, mostly the wrong one for wherever it lands.
    fn hostile(&mut self) -> Value {
        match self.rng.random_range(0..12) {
            0 => Value::Json(serde_json::Value::Null),
            1 => Value::Undefined,
            2 => Value::Json(self.rng.random::<bool>().into()),
            3 => Value::Json(self.string().into()),
            4 => self.special_float(),
            5 => Value::BigInt("-9223372036854775808".into()),
            6 => Value::Bytes(vec![0, 159, 146, 150, 255]),
            7 => Value::Json(serde_json::json!({"score": 3, "nested": {"a": [1, null]}})),
            8 => Value::Json(serde_json::json!([3, "3", null, [4]])),
            9 => Value::Text(self.string()),
            10 => Value::Array(vec![Value::Json(3.into()), Value::Map(Vec::new())]),
            _ => self.deep(),
        }
    }

    /// A number JSON cannot carry.
    fn special_float(&mut self) -> Value {
        Value::Float(self.pick(&["NaN", "Infinity", "-Infinity", "-0"]))
    }

    /// Maps nested up to forty deep.
    fn deep(&mut self) -> Value {
        let depth = self.rng.random_range(1..=40);
        let mut value = Value::Json(3.into());
        for level in 0..depth {
            value = if level % 2 == 0 {
                Value::Map(vec![("x".to_owned(), value)])
            } else {
                Value::Array(vec![value])
            };
        }
        value
    }
}

/// `value` as an element of a `Y.Array`, which takes neither `undefined` nor a `BigInt` (Yjs
/// throws): `null` in their place.
fn element(value: Value) -> Value {
    match value {
        Value::Undefined | Value::BigInt(_) => Value::Json(serde_json::Value::Null),
        other => other,
    }
}

/// What a field holds when valid.
#[derive(Debug, Clone, Copy)]
enum Field {
    Text,
    Order,
    Int((i64, i64)),
    Votes((i64, i64)),
    Relevance,
    /// A map of factor entities.
    Entities,
    Notes,
    Choice(&'static [&'static str]),
    Ids(IdsOf),
    Due,
    Instant,
    AspectId,
    ApproachId,
}

#[derive(Debug, Clone, Copy)]
enum IdsOf {
    Aspects,
    Items,
}

const FACTOR_FIELDS: [(&str, Field); 7] = [
    (key::TITLE, Field::Text),
    (key::ORDER, Field::Order),
    (key::SCORES, Field::Votes(schema::SCORE_RANGE)),
    (key::WEIGHTS, Field::Votes(schema::WEIGHT_RANGE)),
    (key::AGREED_SCORE, Field::Int(schema::SCORE_RANGE)),
    (key::AGREED_WEIGHT, Field::Int(schema::WEIGHT_RANGE)),
    (key::NOTES, Field::Notes),
];

const ITEM_FIELDS: [(&str, Field); 10] = [
    (
        key::KIND,
        Field::Choice(&["constraint", "enabler", "risk", "Constraint"]),
    ),
    (key::ASPECT, Field::AspectId),
    (key::TITLE, Field::Text),
    (
        key::CONTROL,
        Field::Choice(&["in_control", "can_influence", "outside_control", "never"]),
    ),
    (
        key::RESPONSE,
        Field::Choice(&["remove", "boost", "", "experiment"]),
    ),
    (key::IMPACT, Field::Votes(schema::SCORE_RANGE)),
    (key::AGREED_IMPACT, Field::Int(schema::SCORE_RANGE)),
    (key::DOTS, Field::Votes(schema::DOTS_RANGE)),
    (key::CREATED_AT, Field::Instant),
    (key::NOTES, Field::Notes),
];

const ROLES: [&str; 6] = [
    "facilitator",
    "commissioner",
    "provider",
    "user_carer",
    "stakeholder",
    "mayor",
];

const WORLDS: [&str; 5] = ["customer", "service", "management", "political", "mars"];

const STATUSES: [&str; 6] = [
    "proposed",
    "agreed",
    "in_progress",
    "done",
    "dropped",
    "lost",
];

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_seed_gives_the_same_edits_every_time() {
        let today = date!(2026 - 12 - 07);
        for seed in 0..20 {
            let once = serde_json::to_string(&edits(seed, today)).expect("json");
            let again = serde_json::to_string(&edits(seed, today)).expect("json");
            assert_eq!(once, again);
        }
    }

    #[test]
    fn edits_reach_every_root_and_every_kind_of_value() {
        let today = date!(2026 - 12 - 07);
        let all: Vec<String> = (0..300)
            .map(|seed| serde_json::to_string(&edits(seed, today)).expect("json"))
            .collect();
        let text = all.join("\n");
        for root in CLEARED {
            assert!(text.contains(&format!("\"at\":[\"{root}\"")), "{root}");
        }
        for kind in [
            "\"undefined\"",
            "{\"float\":",
            "{\"big_int\":",
            "{\"bytes\":",
            "{\"map\":",
            "{\"array\":",
            "{\"text\":",
            "\"reset\":true",
            "__proto__",
            "T23:59:60Z",
        ] {
            assert!(text.contains(kind), "{kind}");
        }
    }
}
