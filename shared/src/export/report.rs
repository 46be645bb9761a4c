//! What every export shows, read once: the tolerant model, the engine's figures, and the
//! display text the engine does not need (titles, notes, names, the strategy tools).
//!
//! Display text is read as tolerantly as the model: a value of the wrong type is left out
//! (an empty string or `None`), never an error.

use std::collections::{BTreeMap, BTreeSet};

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use yrs::{Any, GetString, Map, MapRef, Out, ReadTxn};

use crate::engine::aspects::{factor_figures, FactorFigures};
use crate::engine::compute;
use crate::engine::items::{ranked, suggested_response};
use crate::engine::stats::{median, round3};
use crate::model::{in_entity_order, parse_instant, Votes, Workshop};
use crate::results::{AspectResult, Results, WarningKind};
use crate::schema::{self, key, ActionStatus, Control, HypothesisStatus, ItemKind, World};
use crate::value::{self, Read};

/// Votes by participant id, in id order, as the reports show them.
pub(crate) type VotesById = BTreeMap<String, u8>;

/// A workshop as the exports show it.
pub(crate) struct Report {
    /// `meta/title`, when a string.
    pub title: Option<String>,
    /// `meta/place`, when a string.
    pub place: Option<String>,
    /// The date of `meta/created_at`, when a valid RFC 3339 time.
    pub date: Option<Date>,
    /// The engine's results as of `today`.
    pub results: Results,
    /// `meta/selected_approach` names an approach: the facilitator chose it.
    pub selected_by_facilitator: bool,
    /// Everyone registered or voting, in column order (label, then id).
    pub people: Vec<Person>,
    /// Aspects in aspect order, with their factors in factor order.
    pub aspects: Vec<AspectView>,
    /// Approaches in approach order, with relevance aligned to [`Report::aspects`].
    pub approaches: Vec<ApproachView>,
    /// Constraints and enablers (valid kinds only), in the engine's ranking order.
    pub items: Vec<ItemView>,
    /// Development-plan actions: by due date (none last), then creation, then id.
    pub actions: Vec<ActionView>,
    /// Hypotheses in entity order.
    pub hypotheses: Vec<HypothesisView>,
    /// Gap-analysis objectives in entity order.
    pub gaps: Vec<GapView>,
}

/// A participant: registered, or only known from their votes.
pub(crate) struct Person {
    /// Participant id (the key of their votes).
    pub id: String,
    /// Registered name, when a non-empty string.
    pub name: Option<String>,
    /// Registered organisation, when a string.
    pub organisation: Option<String>,
    /// Registered world, when valid.
    pub world: Option<World>,
    /// Column heading: the name (or the id), made unique.
    pub label: String,
}

/// An aspect with its figures and text.
pub(crate) struct AspectView {
    /// Aspect id.
    pub id: String,
    /// Title, or the id when it has none.
    pub label: String,
    /// Discussion notes of the aspect.
    pub notes: String,
    /// Quick score votes.
    pub quick: VotesById,
    /// Agreed quick score.
    pub quick_agreed: Option<u8>,
    /// The engine's figures of the aspect.
    pub result: AspectResult,
    /// Factors in factor order.
    pub factors: Vec<FactorView>,
}

/// A factor with its votes, figures and notes.
pub(crate) struct FactorView {
    /// Title, or the id when it has none.
    pub label: String,
    /// Discussion notes.
    pub notes: String,
    /// Score votes.
    pub scores: VotesById,
    /// Weight votes.
    pub weights: VotesById,
    /// Agreed score.
    pub agreed_score: Option<u8>,
    /// Agreed weight.
    pub agreed_weight: Option<u8>,
    /// Effective score and weight, contestedness (DOMAIN 5).
    pub figures: FactorFigures,
}

/// An approach and its relevance profile.
pub(crate) struct ApproachView {
    /// Approach id.
    pub id: String,
    /// Title, or the id.
    pub label: String,
    /// Valid relevance per aspect of [`Report::aspects`], in the same order.
    pub relevance: Vec<Option<u8>>,
}

/// A constraint or enabler with its figures.
pub(crate) struct ItemView {
    /// Item id.
    pub id: String,
    /// Constraint or enabler.
    pub kind: ItemKind,
    /// Title, or `""`.
    pub title: String,
    /// Aspect id, when a string.
    pub aspect: Option<String>,
    /// Control, when valid.
    pub control: Option<Control>,
    /// The item's own response, else the suggested one.
    pub response: Option<String>,
    /// Impact votes.
    pub impact_votes: VotesById,
    /// Median of the impact votes.
    pub impact_median: Option<f64>,
    /// Agreed impact.
    pub agreed_impact: Option<u8>,
    /// Impact I, rounded.
    pub impact: f64,
    /// Sum of the dot votes.
    pub dots: u32,
    /// Priority P, rounded.
    pub priority: f64,
    /// 1-based rank among the top five of its kind, when there.
    pub rank: Option<usize>,
    /// Notes.
    pub notes: String,
}

/// A development-plan action.
pub(crate) struct ActionView {
    /// Action id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Owner.
    pub owner: String,
    /// Due date, when valid.
    pub due: Option<Date>,
    /// Status, when valid.
    pub status: Option<ActionStatus>,
    /// Titles of the linked constraints and enablers that exist.
    pub items: Vec<String>,
    /// Aspect id, when a string.
    pub aspect: Option<String>,
    /// The engine warned that it is overdue.
    pub overdue: bool,
}

/// A hypothesis.
pub(crate) struct HypothesisView {
    /// Statement.
    pub statement: String,
    /// Status, when valid.
    pub status: Option<HypothesisStatus>,
    /// Evidence.
    pub evidence: String,
}

/// A gap-analysis objective.
pub(crate) struct GapView {
    /// Strategic objective.
    pub objective: String,
    /// The gap / service developments.
    pub developments: String,
    /// Rationale.
    pub rationale: String,
    /// Commissioning implications.
    pub implications: String,
}

impl Report {
    /// Reads everything the exports show, computing the figures as of `today`.
    pub fn read<T: ReadTxn>(txn: &T, today: Date) -> Report {
        let workshop = Workshop::read(txn);
        let results = compute(&workshop, today);
        let meta = txn.get_map(schema::META);
        let meta_string = |k: &str| meta.as_ref().and_then(|m| string_at(txn, m, k));
        let date = meta_string(key::CREATED_AT)
            .and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok())
            .map(OffsetDateTime::date);

        let aspects = read_aspects(txn, &workshop, &results);
        let approaches = workshop
            .approaches
            .iter()
            .map(|approach| ApproachView {
                id: approach.id.clone(),
                label: label(approach.title.as_deref(), &approach.id),
                relevance: aspects
                    .iter()
                    .map(|a| approach.relevance.get(&a.id).copied())
                    .collect(),
            })
            .collect();
        let items = read_items(txn, &workshop, &results);
        let actions = read_actions(txn, &items, &results);
        Report {
            title: meta_string(key::TITLE),
            place: meta_string(key::PLACE),
            date,
            selected_by_facilitator: workshop.selected_approach.is_some(),
            people: read_people(txn, &workshop),
            hypotheses: read_hypotheses(txn),
            gaps: read_gaps(txn),
            results,
            aspects,
            approaches,
            items,
            actions,
        }
    }

    /// The display title of an aspect id: its title when it is an aspect, else the id.
    pub fn aspect_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.aspects
            .iter()
            .find(|a| a.id == id)
            .map_or(id, |a| a.label.as_str())
    }

    /// The display title of an approach id.
    pub fn approach_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.approaches
            .iter()
            .find(|a| a.id == id)
            .map_or(id, |a| a.label.as_str())
    }

    /// The title, or a stand-in.
    pub fn display_title(&self) -> &str {
        match self.title.as_deref() {
            Some(title) if !title.trim().is_empty() => title,
            _ => "Commissioning workshop",
        }
    }
}

/// The title when it is a non-empty string, else the id.
pub(crate) fn label(title: Option<&str>, id: &str) -> String {
    match title {
        Some(title) if !title.trim().is_empty() => title.to_owned(),
        _ => id.to_owned(),
    }
}

/// A string value of `map[k]`.
fn string_at<T: ReadTxn>(txn: &T, map: &MapRef, k: &str) -> Option<String> {
    value::string(map.get(txn, k).as_ref())
        .valid()
        .map(|s| s.to_string())
}

/// A text value of `map[k]`: a Y.Text, or a plain string; anything else is empty.
fn text_at<T: ReadTxn>(txn: &T, map: &MapRef, k: &str) -> String {
    match map.get(txn, k) {
        Some(Out::YText(text)) => text.get_string(txn),
        Some(Out::Any(Any::String(s))) => s.to_string(),
        _ => String::new(),
    }
}

/// A nested map `map[k]`.
fn map_at<T: ReadTxn>(txn: &T, map: &MapRef, k: &str) -> Option<MapRef> {
    match map.get(txn, k) {
        Some(Out::YMap(nested)) => Some(nested),
        _ => None,
    }
}

/// The entity maps of a root map, by id.
fn entities<T: ReadTxn>(txn: &T, root: &str) -> BTreeMap<String, MapRef> {
    let Some(map) = txn.get_map(root) else {
        return BTreeMap::new();
    };
    map.iter(txn)
        .filter_map(|(id, out)| match out {
            Out::YMap(entity) => Some((id.to_owned(), entity)),
            _ => None,
        })
        .collect()
}

/// The entities of a root map in entity order (5.1 rule 1).
fn ordered_entities<T: ReadTxn>(txn: &T, root: &str) -> Vec<MapRef> {
    let keyed = entities(txn, root)
        .into_iter()
        .map(|(id, map)| {
            let order = value::finite(map.get(txn, key::ORDER).as_ref()).valid();
            ((order, id), map)
        })
        .collect();
    in_entity_order(keyed)
}

/// Everyone registered or voting, in column order (label, then id), labels made unique.
pub(crate) fn read_people<T: ReadTxn>(txn: &T, workshop: &Workshop) -> Vec<Person> {
    let registered = entities(txn, schema::PARTICIPANTS);
    let mut ids: BTreeSet<String> = registered.keys().cloned().collect();
    let mut add = |votes: &Votes| ids.extend(votes.keys().map(str::to_owned));
    for aspect in &workshop.aspects {
        add(&aspect.quick);
        for factor in &aspect.factors {
            add(&factor.scores);
            add(&factor.weights);
        }
    }
    for item in &workshop.items {
        add(&item.impact);
        add(&item.dots);
    }
    let mut people: Vec<Person> = ids
        .into_iter()
        .map(|id| {
            let map = registered.get(&id);
            let name = map
                .and_then(|m| string_at(txn, m, key::NAME))
                .filter(|n| !n.trim().is_empty());
            let organisation = map.and_then(|m| string_at(txn, m, key::ORGANISATION));
            let world = workshop.participants.get(&id).and_then(|p| p.world);
            let label = name.clone().unwrap_or_else(|| id.clone());
            Person {
                id,
                name,
                organisation,
                world,
                label,
            }
        })
        .collect();
    people.sort_by(|a, b| a.label.cmp(&b.label).then_with(|| a.id.cmp(&b.id)));
    unique_labels(&mut people);
    people
}

/// Makes column headings unique: a shared name gets the start of the id, then the whole id.
fn unique_labels(people: &mut [Person]) {
    let count = |people: &[Person], label: &str| people.iter().filter(|p| p.label == label).count();
    let shared: Vec<bool> = people.iter().map(|p| count(people, &p.label) > 1).collect();
    for (person, shared) in people.iter_mut().zip(&shared) {
        if *shared {
            let short: String = person.id.chars().take(8).collect();
            person.label = format!("{} ({short})", person.label);
        }
    }
    let shared: Vec<bool> = people.iter().map(|p| count(people, &p.label) > 1).collect();
    for (person, shared) in people.iter_mut().zip(&shared) {
        if *shared {
            let base = person.name.as_deref().unwrap_or(&person.id);
            person.label = format!("{base} ({})", person.id);
        }
    }
}

/// The title of a factor (or its id), read from the document.
pub(crate) fn factor_label<T: ReadTxn>(txn: &T, aspect: &str, factor: &str) -> String {
    let title = txn
        .get_map(schema::ASPECTS)
        .and_then(|aspects| map_at(txn, &aspects, aspect))
        .and_then(|aspect| map_at(txn, &aspect, key::FACTORS))
        .and_then(|factors| map_at(txn, &factors, factor))
        .and_then(|factor| string_at(txn, &factor, key::TITLE));
    label(title.as_deref(), factor)
}

fn read_aspects<T: ReadTxn>(txn: &T, workshop: &Workshop, results: &Results) -> Vec<AspectView> {
    let maps = entities(txn, schema::ASPECTS);
    // `compute` reports one result per aspect of the workshop, in the same order.
    workshop
        .aspects
        .iter()
        .zip(&results.aspects)
        .map(|(aspect, result)| {
            let map = maps.get(&aspect.id);
            let factor_maps = map.and_then(|m| map_at(txn, m, key::FACTORS));
            let factors = aspect
                .factors
                .iter()
                .map(|factor| {
                    let factor_map = factor_maps
                        .as_ref()
                        .and_then(|fs| map_at(txn, fs, &factor.id));
                    let title = factor_map
                        .as_ref()
                        .and_then(|m| string_at(txn, m, key::TITLE));
                    FactorView {
                        label: label(title.as_deref(), &factor.id),
                        notes: factor_map
                            .as_ref()
                            .map(|m| text_at(txn, m, key::NOTES))
                            .unwrap_or_default(),
                        scores: factor.scores.by_id(),
                        weights: factor.weights.by_id(),
                        agreed_score: factor.agreed_score,
                        agreed_weight: factor.agreed_weight,
                        figures: factor_figures(factor),
                    }
                })
                .collect();
            AspectView {
                id: aspect.id.clone(),
                label: label(aspect.title.as_deref(), &aspect.id),
                notes: map.map(|m| text_at(txn, m, key::NOTES)).unwrap_or_default(),
                quick: aspect.quick.by_id(),
                quick_agreed: aspect.quick_agreed,
                result: result.clone(),
                factors,
            }
        })
        .collect()
}

fn read_items<T: ReadTxn>(txn: &T, workshop: &Workshop, results: &Results) -> Vec<ItemView> {
    let maps = entities(txn, schema::ITEMS);
    let selected = results
        .selected
        .as_deref()
        .and_then(|id| workshop.approaches.iter().find(|a| a.id == id));
    let rank_of = |id: &str, kind: ItemKind| {
        let top = match kind {
            ItemKind::Constraint => &results.constraints,
            ItemKind::Enabler => &results.enablers,
        };
        top.iter().position(|r| r.id == id).map(|p| p + 1)
    };
    ranked(workshop, selected)
        .into_iter()
        .map(|scored| {
            let item = scored.item;
            ItemView {
                id: item.id.clone(),
                kind: item.kind,
                title: item.title.clone(),
                aspect: item.aspect.clone(),
                control: item.control,
                response: item
                    .response
                    .clone()
                    .or_else(|| suggested_response(item.kind, item.control).map(String::from)),
                impact_votes: item.impact.by_id(),
                impact_median: median(item.impact.values()),
                agreed_impact: item.agreed_impact,
                impact: round3(scored.impact),
                dots: item.dots.values().map(u32::from).sum(),
                priority: round3(scored.priority),
                rank: rank_of(&item.id, item.kind),
                notes: maps
                    .get(&item.id)
                    .map(|m| text_at(txn, m, key::NOTES))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn read_actions<T: ReadTxn>(txn: &T, items: &[ItemView], results: &Results) -> Vec<ActionView> {
    let overdue: BTreeSet<&str> = results
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::OverdueAction)
        .filter_map(|w| w.path.strip_prefix("actions/"))
        .collect();
    let mut actions: Vec<(Option<i128>, ActionView)> = entities(txn, schema::ACTIONS)
        .into_iter()
        .map(|(id, map)| {
            let linked = match map.get(txn, key::ITEMS) {
                Some(Out::YArray(array)) => yrs::Array::iter(&array, txn)
                    .filter_map(|out| match out {
                        Out::Any(Any::String(s)) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect(),
                Some(Out::Any(Any::Array(values))) => values
                    .iter()
                    .filter_map(|v| match v {
                        Any::String(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let item_titles = linked
                .iter()
                .filter_map(|linked: &String| items.iter().find(|i| i.id == *linked))
                .map(|i| label(Some(&i.title), &i.id))
                .collect();
            let created = string_at(txn, &map, key::CREATED_AT).and_then(|t| parse_instant(&t));
            let view = ActionView {
                title: string_at(txn, &map, key::TITLE).unwrap_or_default(),
                owner: string_at(txn, &map, key::OWNER).unwrap_or_default(),
                due: match value::string(map.get(txn, key::DUE).as_ref()) {
                    Read::Valid(text) => crate::model::parse_date(&text),
                    Read::Unset | Read::Invalid => None,
                },
                status: string_at(txn, &map, key::STATUS).and_then(|s| ActionStatus::parse(&s)),
                items: item_titles,
                aspect: string_at(txn, &map, key::ASPECT),
                overdue: overdue.contains(id.as_str()),
                id,
            };
            (created, view)
        })
        .collect();
    actions.sort_by(|(a_created, a), (b_created, b)| {
        (a.due.is_none(), a.due, a_created, &a.id).cmp(&(b.due.is_none(), b.due, b_created, &b.id))
    });
    actions.into_iter().map(|(_, view)| view).collect()
}

fn read_hypotheses<T: ReadTxn>(txn: &T) -> Vec<HypothesisView> {
    ordered_entities(txn, schema::HYPOTHESES)
        .into_iter()
        .map(|map| HypothesisView {
            statement: text_at(txn, &map, key::STATEMENT),
            status: string_at(txn, &map, key::STATUS).and_then(|s| HypothesisStatus::parse(&s)),
            evidence: text_at(txn, &map, key::EVIDENCE),
        })
        .collect()
}

fn read_gaps<T: ReadTxn>(txn: &T) -> Vec<GapView> {
    ordered_entities(txn, schema::GAPS)
        .into_iter()
        .map(|map| GapView {
            objective: text_at(txn, &map, key::OBJECTIVE),
            developments: text_at(txn, &map, key::DEVELOPMENTS),
            rationale: text_at(txn, &map, key::RATIONALE),
            implications: text_at(txn, &map, key::IMPLICATIONS),
        })
        .collect()
}

/// An enumerated value for people: `in_progress` → `in progress`.
pub(crate) fn words(spelling: &str) -> String {
    spelling.replace('_', " ")
}

/// A kind for people.
pub(crate) fn kind_label(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Constraint => "Constraint",
        ItemKind::Enabler => "Enabler",
    }
}

/// A world for people.
pub(crate) fn world_label(world: World) -> &'static str {
    match world {
        World::Customer => "Customer",
        World::Service => "Service",
        World::Management => "Management",
        World::Political => "Political",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures::{sample_document, TODAY};
    use yrs::Transact;

    #[test]
    fn reads_people_factors_items_actions_and_strategy_tools() {
        let doc = sample_document();
        let report = Report::read(&doc.transact(), TODAY);
        assert_eq!(report.title.as_deref(), Some("Title"));
        assert_eq!(report.date, Some(time::macros::date!(2026 - 11 - 23)));
        let labels: Vec<&str> = report.people.iter().map(|p| p.label.as_str()).collect();
        // Two registered "Ann"s are told apart; an unregistered voter shows by id.
        assert_eq!(
            labels,
            ["Ann (p-ann)", "Ann (p-ann2)", "Bob", "ghost-voter"]
        );
        let capacity = &report.aspects[2];
        assert_eq!(capacity.label, "Capacity, capability and confidence");
        assert_eq!(
            capacity.factors[0].notes,
            "Skills sit in two teams | mostly\nfinance"
        );
        assert_eq!(report.items[0].title, "Short-term funding");
        assert_eq!(report.items[0].rank, Some(1));
        assert_eq!(report.actions[0].title, "Pool the analysts");
        assert!(report.actions[0].overdue);
        assert_eq!(report.actions[0].items, ["Short-term funding"]);
        assert_eq!(report.hypotheses.len(), 2);
        assert_eq!(report.hypotheses[0].statement, "Prevention saves money");
        assert_eq!(report.gaps[0].objective, "Early help for families");
    }
}
