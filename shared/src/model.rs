//! A typed view of a workshop document, read tolerantly.
//!
//! [`Workshop::read`] never fails and never panics: whatever a client wrote, a value that is
//! not valid (DOMAIN.md sections 2 and 5.1) is left out and reported as an `invalid_value`
//! [`Warning`] naming its path. Entities come out sorted in entity order (5.1 rule 1).
//!
//! The reader reads entity by entity, so that a model can also be kept between reads of a
//! document that stays open: `changes` records which parts of the document changed (from Yrs
//! events), `section` and `cache` re-read only those, with the same functions and the same
//! result as a full read.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use time::{Date, Month};
use yrs::{Any, Array, Map, MapRef, Out, ReadTxn};

use crate::results::{Warning, WarningKind};
use crate::schema::{self, key, ActionStatus, Control, ItemKind, World};
use crate::value::{self, Read};

pub(crate) mod cache;
pub(crate) mod changes;
mod id_index;
mod instant;
mod participants;
mod path;
mod section;
mod votes;

pub(crate) use instant::parse_instant;
pub use participants::Participants;
use path::Path;
pub use votes::{Iter as VotesIter, Votes};

/// A workshop read from its document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workshop {
    /// `meta/selected_approach` when it names an approach of the document.
    pub selected_approach: Option<String>,
    /// Registered participants by id.
    pub participants: Participants,
    /// Breakout groups, in group order.
    pub groups: Vec<Group>,
    /// Aspects, in aspect order, each with its factors in factor order.
    pub aspects: Vec<Aspect>,
    /// Approaches, in approach order.
    pub approaches: Vec<Approach>,
    /// Constraints and enablers with a valid kind, in id order.
    pub items: Vec<Item>,
    /// Development-plan actions, in id order.
    pub actions: Vec<Action>,
    /// Number of entries in `hypotheses` (a `null` entry is none).
    pub hypotheses: usize,
    /// Number of entries in `gaps` (a `null` entry is none).
    pub gaps: usize,
    /// `invalid_value` warnings met while reading, in reading order.
    pub warnings: Vec<Warning>,
}

/// A registered participant, as far as the engine needs one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Participant {
    /// The participant's world, when valid.
    pub world: Option<World>,
}

/// A breakout group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Group id.
    pub id: String,
    /// Display name, when a string.
    pub name: Option<String>,
    /// Aspect ids the group works on (empty when invalid).
    pub aspects: Vec<String>,
}

/// An aspect of commissioning and its factors.
#[derive(Debug, Clone, PartialEq)]
pub struct Aspect {
    /// Aspect id.
    pub id: String,
    /// Display title, when a string.
    pub title: Option<String>,
    /// Quick score votes (1..5).
    pub quick: Votes,
    /// Agreed quick score.
    pub quick_agreed: Option<u8>,
    /// Factors in factor order.
    pub factors: Vec<Factor>,
}

/// A factor of an aspect.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Factor id, unique within its aspect.
    pub id: String,
    /// Score votes (1..5).
    pub scores: Votes,
    /// Weight votes (0..3).
    pub weights: Votes,
    /// Agreed score.
    pub agreed_score: Option<u8>,
    /// Agreed weight.
    pub agreed_weight: Option<u8>,
}

/// A commissioning approach and its relevance profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Approach {
    /// Approach id.
    pub id: String,
    /// Display title, when a string.
    pub title: Option<String>,
    /// Valid relevance entries (0..3) by aspect id.
    pub relevance: BTreeMap<String, u8>,
}

/// A constraint or enabler.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Item id.
    pub id: String,
    /// Constraint or enabler.
    pub kind: ItemKind,
    /// Aspect id, when a string.
    pub aspect: Option<String>,
    /// Title, or `""`.
    pub title: String,
    /// Control, when valid.
    pub control: Option<Control>,
    /// The item's own response, when a non-empty string.
    pub response: Option<String>,
    /// Impact votes (1..5).
    pub impact: Votes,
    /// Agreed impact.
    pub agreed_impact: Option<u8>,
    /// Dot votes (0..3).
    pub dots: Votes,
    /// Creation instant in Unix nanoseconds, when a valid RFC 3339 string.
    pub created_at: Option<i128>,
}

/// A development-plan action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Action id.
    pub id: String,
    /// Linked item ids.
    pub items: Vec<String>,
    /// Due date, when a valid YYYY-MM-DD.
    pub due: Option<Date>,
    /// Status, when valid.
    pub status: Option<ActionStatus>,
}

/// Title and place of a workshop, from `meta`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaSummary {
    /// `meta/title` when it is a string.
    pub title: Option<String>,
    /// `meta/place` when it is a string.
    pub place: Option<String>,
}

/// Reads `meta/title` and `meta/place`.
pub fn read_meta_summary<T: ReadTxn>(txn: &T) -> MetaSummary {
    let Some(meta) = txn.get_map(schema::META) else {
        return MetaSummary::default();
    };
    let text = |k: &str| {
        value::string(meta.get(txn, k).as_ref())
            .valid()
            .map(|s| s.to_string())
    };
    MetaSummary {
        title: text(key::TITLE),
        place: text(key::PLACE),
    }
}

impl Workshop {
    /// Reads a workshop from a document. Never fails: invalid values become warnings.
    pub fn read<T: ReadTxn>(txn: &T) -> Workshop {
        let mut reader = Reader::new(txn);
        let aspects = reader.aspects();
        let approaches = reader.approaches();
        let selected_approach = reader.selected_approach(&approaches);
        let participants = reader.participants();
        let groups = reader.groups();
        let items = reader.items();
        let actions = reader.actions();
        let hypotheses = reader.ordered_entries(schema::HYPOTHESES);
        let gaps = reader.ordered_entries(schema::GAPS);
        Workshop {
            selected_approach,
            participants,
            groups,
            aspects,
            approaches,
            items,
            actions,
            hypotheses,
            gaps,
            warnings: reader.warnings,
        }
    }
}

/// Sort key of an entity: `order` ascending (missing or invalid last), then id in byte order.
fn entity_order(a: (Option<f64>, &str), b: (Option<f64>, &str)) -> Ordering {
    let by_order = match (a.0, b.0) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_order.then_with(|| a.1.cmp(b.1))
}

/// Sorts `(order, id, entity)` triples into entity order and drops the keys.
pub(crate) fn in_entity_order<E>(mut entries: Vec<((Option<f64>, String), E)>) -> Vec<E> {
    entries.sort_by(|(a, _), (b, _)| entity_order((a.0, &a.1), (b.0, &b.1)));
    entries.into_iter().map(|(_, entity)| entity).collect()
}

/// Parses a strict `YYYY-MM-DD` calendar date.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// The number of entries of a map that are set: `null` (or `undefined`) is no entry.
pub(crate) fn set_entries<T: ReadTxn>(map: &MapRef, txn: &T) -> usize {
    map.iter(txn)
        .filter(|(_, out)| !value::is_unset(Some(out)))
        .count()
}

struct Reader<'t, T: ReadTxn> {
    txn: &'t T,
    warnings: Vec<Warning>,
    /// The vote map being read, reused from one map to the next.
    votes: Votes,
}

impl<'t, T: ReadTxn> Reader<'t, T> {
    fn new(txn: &'t T) -> Self {
        Reader {
            txn,
            warnings: Vec::new(),
            votes: Votes::new(),
        }
    }

    fn invalid(&mut self, path: String, message: String) {
        self.warnings
            .push(Warning::new(WarningKind::InvalidValue, path, message));
    }

    /// A nested map: `None` when unset (no warning) or of the wrong type (warning).
    fn map_at(&mut self, out: Option<Out>, path: &Path<'_>) -> Option<MapRef> {
        match out {
            Some(Out::YMap(map)) => Some(map),
            other if value::is_unset(other.as_ref()) => None,
            _ => {
                let path = path.to_string();
                let message = format!("{path} should be a map");
                self.invalid(path, message);
                None
            }
        }
    }

    /// Every entry of a root map that is a map, as (id, map); other entries are warned about.
    fn entities(&mut self, root: &str) -> Vec<(String, MapRef)> {
        let Some(map) = self.txn.get_map(root) else {
            return Vec::new();
        };
        self.entries_of(&map, &Path::root(root))
    }

    fn entries_of(&mut self, map: &MapRef, path: &Path<'_>) -> Vec<(String, MapRef)> {
        let txn = self.txn;
        let mut maps = Vec::new();
        for (id, out) in map.iter(txn) {
            match out {
                Out::YMap(entity) => maps.push((id.to_owned(), entity)),
                other => {
                    self.map_at(Some(other), &path.join(id));
                }
            }
        }
        maps
    }

    fn int(&mut self, map: &MapRef, k: &str, range: (i64, i64), path: &Path<'_>) -> Option<u8> {
        match value::int_in(map.get(self.txn, k).as_ref(), range) {
            Read::Valid(v) => Some(v),
            Read::Unset => None,
            Read::Invalid => {
                let (lo, hi) = range;
                let path = path.join(k).to_string();
                let message = format!("{path} should be a whole number from {lo} to {hi}");
                self.invalid(path, message);
                None
            }
        }
    }

    fn order(&mut self, map: &MapRef, path: &Path<'_>) -> Option<f64> {
        match value::finite(map.get(self.txn, key::ORDER).as_ref()) {
            Read::Valid(v) => Some(v),
            Read::Unset => None,
            Read::Invalid => {
                let path = path.join(key::ORDER).to_string();
                let message = format!("{path} should be a finite number");
                self.invalid(path, message);
                None
            }
        }
    }

    fn string(&self, map: &MapRef, k: &str) -> Option<String> {
        value::string(map.get(self.txn, k).as_ref())
            .valid()
            .map(|s| s.to_string())
    }

    fn votes(&mut self, map: &MapRef, k: &str, range: (i64, i64), path: &Path<'_>) -> Votes {
        let path = path.join(k);
        let Some(votes) = self.map_at(map.get(self.txn, k), &path) else {
            return Votes::new();
        };
        // Copy the reference and the buffer out of `self` so warnings can be pushed while
        // iterating.
        let txn = self.txn;
        let mut valid = std::mem::take(&mut self.votes);
        for (participant, out) in votes.iter(txn) {
            match value::int_in(Some(&out), range) {
                Read::Valid(v) => valid.push(participant, v),
                Read::Unset => {}
                Read::Invalid => {
                    let (lo, hi) = range;
                    let path = path.join(participant).to_string();
                    let message = format!("vote {path} should be a whole number from {lo} to {hi}");
                    self.invalid(path, message);
                }
            }
            if let Out::Any(Any::Number(_)) = out {
                // A number owns nothing: forgetting it skips a call to the drop glue of `Out`
                // for nearly every vote (a sixth of this loop's own work).
                std::mem::forget(out);
            }
        }
        let exact = valid.take_exact();
        self.votes = valid;
        exact
    }

    /// An array of strings (a Y.Array or a plain JSON array): `Err` when anything else is there.
    fn string_array(&self, out: Option<Out>) -> Result<Vec<String>, ()> {
        let values: Vec<Out> = match out {
            Some(Out::YArray(array)) => array.iter(self.txn).collect(),
            Some(Out::Any(Any::Array(values))) => values.iter().cloned().map(Out::Any).collect(),
            other if value::is_unset(other.as_ref()) => Vec::new(),
            _ => return Err(()),
        };
        values
            .into_iter()
            .map(|v| match v {
                Out::Any(Any::String(s)) => Ok(s.to_string()),
                _ => Err(()),
            })
            .collect()
    }

    fn aspects(&mut self) -> Vec<Aspect> {
        let root = Path::root(schema::ASPECTS);
        let mut aspects = Vec::new();
        for (id, map) in self.entities(schema::ASPECTS) {
            let path = root.join(&id);
            let (order, mut aspect) = self.aspect(&id, &map, &path);
            let factors_path = path.join(key::FACTORS);
            if let Some(factors) = self.factors_map(&map, &factors_path) {
                aspect.factors = self.factors(&factors, &factors_path);
            }
            aspects.push(((order, id), aspect));
        }
        in_entity_order(aspects)
    }

    /// An aspect's order and own fields, its factors left empty (they are read apart).
    fn aspect(&mut self, id: &str, map: &MapRef, path: &Path<'_>) -> (Option<f64>, Aspect) {
        let order = self.order(map, path);
        let quick = self.votes(map, key::QUICK, schema::SCORE_RANGE, path);
        let quick_agreed = self.int(map, key::QUICK_AGREED, schema::SCORE_RANGE, path);
        let aspect = Aspect {
            title: self.string(map, key::TITLE),
            id: id.to_owned(),
            quick,
            quick_agreed,
            factors: Vec::new(),
        };
        (order, aspect)
    }

    /// An aspect's map of factors: `None` when unset, or not a map (a warning at `path`).
    fn factors_map(&mut self, aspect: &MapRef, path: &Path<'_>) -> Option<MapRef> {
        self.map_at(aspect.get(self.txn, key::FACTORS), path)
    }

    fn factors(&mut self, map: &MapRef, path: &Path<'_>) -> Vec<Factor> {
        let mut factors = Vec::new();
        for (id, factor) in self.entries_of(map, path) {
            let (order, factor) = self.factor(&id, &factor, &path.join(&id));
            factors.push(((order, id), factor));
        }
        in_entity_order(factors)
    }

    fn factor(&mut self, id: &str, map: &MapRef, path: &Path<'_>) -> (Option<f64>, Factor) {
        let order = self.order(map, path);
        let factor = Factor {
            scores: self.votes(map, key::SCORES, schema::SCORE_RANGE, path),
            weights: self.votes(map, key::WEIGHTS, schema::WEIGHT_RANGE, path),
            agreed_score: self.int(map, key::AGREED_SCORE, schema::SCORE_RANGE, path),
            agreed_weight: self.int(map, key::AGREED_WEIGHT, schema::WEIGHT_RANGE, path),
            id: id.to_owned(),
        };
        (order, factor)
    }

    fn approaches(&mut self) -> Vec<Approach> {
        let root = Path::root(schema::APPROACHES);
        let mut approaches = Vec::new();
        for (id, map) in self.entities(schema::APPROACHES) {
            let (order, approach) = self.approach(&id, &map, &root.join(&id));
            approaches.push(((order, id), approach));
        }
        in_entity_order(approaches)
    }

    fn approach(&mut self, id: &str, map: &MapRef, path: &Path<'_>) -> (Option<f64>, Approach) {
        let order = self.order(map, path);
        let relevance = self.votes(map, key::RELEVANCE, schema::WEIGHT_RANGE, path);
        let approach = Approach {
            title: self.string(map, key::TITLE),
            id: id.to_owned(),
            relevance: relevance.by_id(),
        };
        (order, approach)
    }

    fn selected_approach(&mut self, approaches: &[Approach]) -> Option<String> {
        let meta = self.txn.get_map(schema::META)?;
        let path = schema::path(&[schema::META, key::SELECTED_APPROACH]);
        match value::string(meta.get(self.txn, key::SELECTED_APPROACH).as_ref()) {
            Read::Unset => None,
            Read::Valid(id) if approaches.iter().any(|a| *a.id == *id) => Some(id.to_string()),
            Read::Valid(id) => {
                self.invalid(
                    path,
                    format!("selected approach \"{id}\" names no approach"),
                );
                None
            }
            Read::Invalid => {
                self.invalid(path, "selected approach should be an approach id".into());
                None
            }
        }
    }

    fn participants(&mut self) -> Participants {
        let root = Path::root(schema::PARTICIPANTS);
        let mut participants = Vec::new();
        for (id, map) in self.entities(schema::PARTICIPANTS) {
            let participant = self.participant(&map, &root.join(&id));
            participants.push((id, participant));
        }
        // The keys of one map: distinct.
        Participants::from_distinct(participants)
    }

    fn participant(&mut self, map: &MapRef, path: &Path<'_>) -> Participant {
        let world = match value::string(map.get(self.txn, key::WORLD).as_ref()) {
            Read::Unset => None,
            Read::Valid(text) => World::parse(&text).or_else(|| {
                self.invalid(
                    path.join(key::WORLD).to_string(),
                    format!("\"{text}\" is not one of the four worlds"),
                );
                None
            }),
            Read::Invalid => {
                self.invalid(
                    path.join(key::WORLD).to_string(),
                    "world should be a string".into(),
                );
                None
            }
        };
        Participant { world }
    }

    fn groups(&mut self) -> Vec<Group> {
        let root = Path::root(schema::GROUPS);
        let mut groups = Vec::new();
        for (id, map) in self.entities(schema::GROUPS) {
            let (order, group) = self.group(&id, &map, &root.join(&id));
            groups.push(((order, id), group));
        }
        in_entity_order(groups)
    }

    fn group(&mut self, id: &str, map: &MapRef, path: &Path<'_>) -> (Option<f64>, Group) {
        let order = self.order(map, path);
        let aspects = match self.string_array(map.get(self.txn, key::ASPECTS)) {
            Ok(aspects) => aspects,
            Err(()) => {
                self.invalid(
                    path.join(key::ASPECTS).to_string(),
                    "a group's aspects should be an array of aspect ids".into(),
                );
                Vec::new()
            }
        };
        let group = Group {
            name: self.string(map, key::NAME),
            id: id.to_owned(),
            aspects,
        };
        (order, group)
    }

    fn items(&mut self) -> Vec<Item> {
        let root = Path::root(schema::ITEMS);
        let mut items = Vec::new();
        for (id, map) in self.entities(schema::ITEMS) {
            items.extend(self.item(&id, &map, &root.join(&id)));
        }
        items.sort_by(|a, b| a.id.cmp(&b.id));
        items
    }

    /// A constraint or enabler; `None` (with a warning) when its kind is not valid.
    fn item(&mut self, id: &str, map: &MapRef, path: &Path<'_>) -> Option<Item> {
        let Some(kind) = self
            .string(map, key::KIND)
            .and_then(|k| ItemKind::parse(&k))
        else {
            self.invalid(
                path.join(key::KIND).to_string(),
                "an item's kind should be \"constraint\" or \"enabler\"; it is left out".into(),
            );
            return None;
        };
        let control = match value::string(map.get(self.txn, key::CONTROL).as_ref()) {
            Read::Unset => None,
            read => {
                let parsed = read.valid().and_then(|c| Control::parse(&c));
                if parsed.is_none() {
                    self.invalid(
                        path.join(key::CONTROL).to_string(),
                        "control should be in_control, can_influence or outside_control".into(),
                    );
                }
                parsed
            }
        };
        Some(Item {
            kind,
            aspect: self.string(map, key::ASPECT),
            title: self.string(map, key::TITLE).unwrap_or_default(),
            control,
            response: self.string(map, key::RESPONSE).filter(|r| !r.is_empty()),
            impact: self.votes(map, key::IMPACT, schema::SCORE_RANGE, path),
            agreed_impact: self.int(map, key::AGREED_IMPACT, schema::SCORE_RANGE, path),
            dots: self.votes(map, key::DOTS, schema::DOTS_RANGE, path),
            created_at: self
                .string(map, key::CREATED_AT)
                .and_then(|t| parse_instant(&t)),
            id: id.to_owned(),
        })
    }

    fn actions(&mut self) -> Vec<Action> {
        let root = Path::root(schema::ACTIONS);
        let mut actions = Vec::new();
        for (id, map) in self.entities(schema::ACTIONS) {
            let action = self.action(&id, &map, &root.join(&id));
            actions.push(action);
        }
        actions.sort_by(|a, b| a.id.cmp(&b.id));
        actions
    }

    fn action(&mut self, id: &str, map: &MapRef, path: &Path<'_>) -> Action {
        let due = match value::string(map.get(self.txn, key::DUE).as_ref()) {
            Read::Unset => None,
            read => {
                let parsed = read.valid().and_then(|d| parse_date(&d));
                if parsed.is_none() {
                    self.invalid(
                        path.join(key::DUE).to_string(),
                        "due should be a date written YYYY-MM-DD".into(),
                    );
                }
                parsed
            }
        };
        let items = match self.string_array(map.get(self.txn, key::ITEMS)) {
            Ok(items) => items,
            Err(()) => {
                self.invalid(
                    path.join(key::ITEMS).to_string(),
                    "an action's items should be an array of item ids; it links none".into(),
                );
                Vec::new()
            }
        };
        let status = self
            .string(map, key::STATUS)
            .and_then(|s| ActionStatus::parse(&s));
        Action {
            id: id.to_owned(),
            items,
            due,
            status,
        }
    }

    /// Counts the entries of a root map whose entities carry an `order`, checking each order.
    fn ordered_entries(&mut self, root: &str) -> usize {
        let Some(map) = self.txn.get_map(root) else {
            return 0;
        };
        let count = set_entries(&map, self.txn);
        let path = Path::root(root);
        for (id, entity) in self.entries_of(&map, &path) {
            self.order(&entity, &path.join(&id));
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template;
    use yrs::{ArrayPrelim, Doc, MapPrelim, Transact, WriteTxn};

    fn factor_map(doc: &Doc, aspect: &str, factor: &str) -> MapRef {
        let txn = doc.transact();
        let aspects = txn.get_map(schema::ASPECTS).expect("aspects");
        let Some(Out::YMap(a)) = aspects.get(&txn, aspect) else {
            panic!("aspect");
        };
        let Some(Out::YMap(fs)) = a.get(&txn, key::FACTORS) else {
            panic!("factors");
        };
        let Some(Out::YMap(f)) = fs.get(&txn, factor) else {
            panic!("factor");
        };
        f
    }

    fn invalid_paths(workshop: &Workshop) -> Vec<&str> {
        workshop.warnings.iter().map(|w| w.path.as_str()).collect()
    }

    #[test]
    fn template_reads_without_warnings_in_order() {
        let doc = crate::template::test_document();
        let workshop = Workshop::read(&doc.transact());
        assert!(workshop.warnings.is_empty(), "{:?}", workshop.warnings);
        let ids: Vec<_> = workshop.aspects.iter().map(|a| a.id.as_str()).collect();
        let expected: Vec<_> = template::ASPECTS.iter().map(|a| a.id).collect();
        assert_eq!(ids, expected);
        let factor_ids: Vec<_> = workshop.aspects[2]
            .factors
            .iter()
            .map(|f| f.id.as_str())
            .collect();
        assert_eq!(
            factor_ids,
            [
                "skills-balance",
                "change-management",
                "data-skills",
                "partner-skills",
                "confidence"
            ]
        );
        assert_eq!(workshop.approaches.len(), 8);
        assert_eq!(workshop.approaches[2].relevance["capacity"], 3);
        assert_eq!(
            read_meta_summary(&doc.transact()).place.as_deref(),
            Some("Place")
        );
    }

    #[test]
    fn invalid_votes_become_warnings_with_their_path() {
        let doc = crate::template::test_document();
        let factor = factor_map(&doc, "capacity", "confidence");
        {
            let mut txn = doc.transact_mut();
            let Some(Out::YMap(scores)) = factor.get(&txn, key::SCORES) else {
                panic!("scores");
            };
            scores.insert(&mut txn, "p1", 3.5f64);
            scores.insert(&mut txn, "p2", 7i64);
            scores.insert(&mut txn, "p3", "high");
            scores.insert(&mut txn, "p4", Any::Null);
            scores.insert(&mut txn, "p5", 4.0f64);
            scores.insert(&mut txn, "p6", true);
            factor.insert(&mut txn, key::AGREED_WEIGHT, 9i64);
        }
        let workshop = Workshop::read(&doc.transact());
        let confidence = &workshop.aspects[2].factors[4];
        assert_eq!(confidence.scores, Votes::from([("p5".to_string(), 4)]));
        assert_eq!(confidence.agreed_weight, None);
        let mut paths = invalid_paths(&workshop);
        paths.sort();
        assert_eq!(
            paths,
            [
                "aspects/capacity/factors/confidence/agreed_weight",
                "aspects/capacity/factors/confidence/scores/p1",
                "aspects/capacity/factors/confidence/scores/p2",
                "aspects/capacity/factors/confidence/scores/p3",
                "aspects/capacity/factors/confidence/scores/p6",
            ]
        );
    }

    #[test]
    fn wrong_types_where_maps_are_expected_are_warned_and_skipped() {
        let doc = crate::template::test_document();
        {
            let mut txn = doc.transact_mut();
            let aspects = txn.get_or_insert_map(schema::ASPECTS);
            let Some(Out::YMap(capacity)) = aspects.get(&txn, "capacity") else {
                panic!("capacity");
            };
            capacity.insert(&mut txn, key::FACTORS, "not a map");
            aspects.insert(&mut txn, "bogus", 12i64);
            aspects.insert(&mut txn, "cleared", Any::Null);
        }
        let workshop = Workshop::read(&doc.transact());
        let capacity = workshop
            .aspects
            .iter()
            .find(|a| a.id == "capacity")
            .expect("capacity");
        assert!(capacity.factors.is_empty());
        assert_eq!(workshop.aspects.len(), 8);
        let mut paths = invalid_paths(&workshop);
        paths.sort();
        assert_eq!(paths, ["aspects/bogus", "aspects/capacity/factors"]);
    }

    #[test]
    fn entity_order_puts_missing_and_invalid_order_last_then_ids() {
        let doc = Doc::with_client_id(1);
        {
            let mut txn = doc.transact_mut();
            let aspects = txn.get_or_insert_map(schema::ASPECTS);
            aspects.insert(&mut txn, "b", MapPrelim::from([(key::ORDER, 2i64)]));
            aspects.insert(&mut txn, "a", MapPrelim::from([(key::ORDER, 2.0f64)]));
            aspects.insert(&mut txn, "z", MapPrelim::from([(key::ORDER, -1.5f64)]));
            aspects.insert(&mut txn, "c", MapPrelim::from([(key::ORDER, "first")]));
            aspects.insert(&mut txn, "0", MapPrelim::default());
        }
        let workshop = Workshop::read(&doc.transact());
        let ids: Vec<_> = workshop.aspects.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["z", "a", "b", "0", "c"]);
        assert_eq!(invalid_paths(&workshop), ["aspects/c/order"]);
    }

    #[test]
    fn items_actions_participants_groups_and_meta_are_validated() {
        let doc = crate::template::test_document();
        {
            let mut txn = doc.transact_mut();
            let items = txn.get_or_insert_map(schema::ITEMS);
            items.insert(&mut txn, "i1", MapPrelim::from([(key::KIND, "risk")]));
            items.insert(
                &mut txn,
                "i2",
                MapPrelim::from([
                    (key::KIND, yrs::In::from("enabler")),
                    (key::CONTROL, yrs::In::from("sometimes")),
                    (key::CREATED_AT, yrs::In::from("2026-01-01T00:00:00+01:00")),
                    (key::RESPONSE, yrs::In::from("")),
                ]),
            );
            let actions = txn.get_or_insert_map(schema::ACTIONS);
            actions.insert(&mut txn, "a1", MapPrelim::from([(key::DUE, "2026-02-30")]));
            actions.insert(&mut txn, "a2", MapPrelim::from([(key::DUE, "2026-02-28")]));
            let participants = txn.get_or_insert_map(schema::PARTICIPANTS);
            participants.insert(&mut txn, "p1", MapPrelim::from([(key::WORLD, "mars")]));
            participants.insert(&mut txn, "p2", MapPrelim::from([(key::WORLD, "political")]));
            let groups = txn.get_or_insert_map(schema::GROUPS);
            groups.insert(
                &mut txn,
                "g1",
                MapPrelim::from([(key::ASPECTS, "capacity")]),
            );
            let meta = txn.get_or_insert_map(schema::META);
            meta.insert(&mut txn, key::SELECTED_APPROACH, "nope");
        }
        let workshop = Workshop::read(&doc.transact());
        let mut paths = invalid_paths(&workshop);
        paths.sort();
        assert_eq!(
            paths,
            [
                "actions/a1/due",
                "groups/g1/aspects",
                "items/i1/kind",
                "items/i2/control",
                "meta/selected_approach",
                "participants/p1/world",
            ]
        );
        assert_eq!(workshop.items.len(), 1);
        let item = &workshop.items[0];
        assert_eq!(item.control, None);
        assert_eq!(item.response, None);
        assert_eq!(item.created_at, Some(1_767_222_000_000_000_000));
        assert_eq!(workshop.actions[1].due, parse_date("2026-02-28"));
        assert_eq!(workshop.participants["p2"].world, Some(World::Political));
        assert_eq!(workshop.selected_approach, None);
    }

    #[test]
    fn a_null_entry_is_no_entity_anywhere() {
        let doc = crate::template::test_document();
        {
            let mut txn = doc.transact_mut();
            for root in [schema::HYPOTHESES, schema::GAPS] {
                let map = txn.get_or_insert_map(root);
                for n in 0..3 {
                    map.insert(&mut txn, format!("e{n}"), MapPrelim::default());
                }
                for n in 0..20 {
                    map.insert(&mut txn, format!("cleared{n}"), Any::Null);
                }
                map.insert(&mut txn, "undefined", Any::Undefined);
            }
            for root in [
                schema::ITEMS,
                schema::ACTIONS,
                schema::GROUPS,
                schema::PARTICIPANTS,
            ] {
                let map = txn.get_or_insert_map(root);
                map.insert(&mut txn, "cleared", Any::Null);
            }
        }
        let workshop = Workshop::read(&doc.transact());
        assert_eq!((workshop.hypotheses, workshop.gaps), (3, 3));
        assert!(workshop.warnings.is_empty(), "{:?}", workshop.warnings);
        assert!(workshop.items.is_empty() && workshop.actions.is_empty());
        assert!(workshop.groups.is_empty() && workshop.participants.is_empty());
        // A wrong type is an entry, and an invalid one.
        {
            let mut txn = doc.transact_mut();
            let hypotheses = txn.get_or_insert_map(schema::HYPOTHESES);
            hypotheses.insert(&mut txn, "stray", "a string");
        }
        let workshop = Workshop::read(&doc.transact());
        assert_eq!(workshop.hypotheses, 4);
        assert_eq!(invalid_paths(&workshop), ["hypotheses/stray"]);
    }

    #[test]
    fn an_item_left_out_for_its_kind_gives_one_warning_and_nothing_else() {
        let doc = crate::template::test_document();
        let hostile = || {
            MapPrelim::from([
                (key::CONTROL, yrs::In::from("sometimes")),
                (key::IMPACT, yrs::In::from(MapPrelim::from([("p1", 9i64)]))),
                (key::AGREED_IMPACT, yrs::In::from("high")),
                (key::DOTS, yrs::In::from("many")),
                (key::ORDER, yrs::In::from(f64::NAN)),
                (key::CREATED_AT, yrs::In::from(7i64)),
            ])
        };
        {
            let mut txn = doc.transact_mut();
            let items = txn.get_or_insert_map(schema::ITEMS);
            for (id, kind) in [
                ("absent", None),
                ("null", Some(Any::Null)),
                ("risk", Some(Any::from("risk"))),
                ("number", Some(Any::from(1i64))),
                ("upper", Some(Any::from("Constraint"))),
            ] {
                let item = items.insert(&mut txn, id, hostile());
                if let Some(kind) = kind {
                    item.insert(&mut txn, key::KIND, kind);
                }
            }
        }
        let workshop = Workshop::read(&doc.transact());
        assert!(workshop.items.is_empty());
        let mut paths = invalid_paths(&workshop);
        paths.sort();
        assert_eq!(
            paths,
            [
                "items/absent/kind",
                "items/null/kind",
                "items/number/kind",
                "items/risk/kind",
                "items/upper/kind",
            ]
        );
    }

    #[test]
    fn an_actions_items_that_are_not_an_array_of_strings_are_invalid_and_link_nothing() {
        let doc = crate::template::test_document();
        {
            let mut txn = doc.transact_mut();
            let actions = txn.get_or_insert_map(schema::ACTIONS);
            let bad: [(&str, yrs::In); 5] = [
                ("string", "i1".into()),
                ("number", 1i64.into()),
                (
                    "mixed",
                    ArrayPrelim::from([yrs::In::from("i1"), 2i64.into()]).into(),
                ),
                (
                    "nested",
                    ArrayPrelim::from([ArrayPrelim::from(["i1"])]).into(),
                ),
                ("map", MapPrelim::from([("0", "i1")]).into()),
            ];
            for (id, items) in bad {
                actions.insert(&mut txn, id, MapPrelim::from([(key::ITEMS, items)]));
            }
            let good: [(&str, yrs::In); 4] = [
                ("array", ArrayPrelim::from(["i1", "i2"]).into()),
                ("json", Any::from(vec![Any::from("i1")]).into()),
                ("null", Any::Null.into()),
                ("empty", ArrayPrelim::default().into()),
            ];
            for (id, items) in good {
                actions.insert(&mut txn, id, MapPrelim::from([(key::ITEMS, items)]));
            }
        }
        let workshop = Workshop::read(&doc.transact());
        let mut paths = invalid_paths(&workshop);
        paths.sort();
        assert_eq!(
            paths,
            [
                "actions/map/items",
                "actions/mixed/items",
                "actions/nested/items",
                "actions/number/items",
                "actions/string/items",
            ]
        );
        let linked: BTreeMap<&str, Vec<String>> = workshop
            .actions
            .iter()
            .map(|a| (a.id.as_str(), a.items.clone()))
            .collect();
        for id in [
            "map", "mixed", "nested", "number", "string", "null", "empty",
        ] {
            assert!(linked[id].is_empty(), "{id} links {:?}", linked[id]);
        }
        assert_eq!(linked["array"], ["i1", "i2"]);
        assert_eq!(linked["json"], ["i1"]);
    }

    #[test]
    fn created_at_is_read_strictly() {
        let doc = crate::template::test_document();
        {
            let mut txn = doc.transact_mut();
            let items = txn.get_or_insert_map(schema::ITEMS);
            for (id, created) in [
                ("t", Any::from("2026-01-01T00:00:00Z")),
                ("space", Any::from("2026-01-01 00:00:00Z")),
                ("x", Any::from("2026-01-01x00:00:00Z")),
                ("number", Any::from(1i64)),
                ("null", Any::Null),
            ] {
                let item = items.insert(&mut txn, id, MapPrelim::from([(key::KIND, "constraint")]));
                item.insert(&mut txn, key::CREATED_AT, created);
            }
        }
        let workshop = Workshop::read(&doc.transact());
        assert!(workshop.warnings.is_empty(), "{:?}", workshop.warnings);
        let created: BTreeMap<&str, Option<i128>> = workshop
            .items
            .iter()
            .map(|i| (i.id.as_str(), i.created_at))
            .collect();
        let new_year = Some(1_767_225_600_000_000_000);
        assert_eq!(created["t"], new_year);
        assert_eq!(created["space"], new_year);
        for id in ["x", "number", "null"] {
            assert_eq!(created[id], None, "{id}");
        }
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2026-11-23").is_some());
        for bad in [
            "2026-1-23",
            "26-11-23",
            "2026-13-01",
            "2026-11-23T00:00",
            "+2026-11-2",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
