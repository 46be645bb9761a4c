//! Constraints and enablers: impact, control, relevance, dots and priority; the two rankings
//! and the suggested responses (DOMAIN.md section 5 and 5.1 rule 6).

use std::cmp::Reverse;

use super::stats::{median, milli, round3};
use crate::model::{Approach, Item, Workshop};
use crate::results::ItemResult;
use crate::schema::{Control, ItemKind};

/// How many constraints and how many enablers the results report.
pub const TOP: usize = 5;

/// Impact when nobody has voted and none is agreed.
const DEFAULT_IMPACT: f64 = 3.0;

/// The top constraints and enablers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RankedItems {
    /// Top constraints, ranked.
    pub constraints: Vec<ItemResult>,
    /// Top enablers, ranked.
    pub enablers: Vec<ItemResult>,
}

/// Control weight C: missing (or unknown) control counts as 0.75.
pub fn control_weight(control: Option<Control>) -> f64 {
    match control {
        Some(Control::InControl) => 1.0,
        Some(Control::CanInfluence) | None => 0.75,
        Some(Control::OutsideControl) => 0.4,
    }
}

/// The response suggested for an item with none of its own.
pub fn suggested_response(kind: ItemKind, control: Option<Control>) -> Option<&'static str> {
    match (control?, kind) {
        (Control::InControl, ItemKind::Enabler) => Some("boost"),
        (Control::InControl, ItemKind::Constraint) => Some("remove"),
        (Control::CanInfluence, _) => Some("influence"),
        (Control::OutsideControl, _) => Some("experiment"),
    }
}

/// An item's impact I and priority P, unrounded.
pub fn impact_and_priority(item: &Item, selected: Option<&Approach>) -> (f64, f64) {
    let impact = item
        .agreed_impact
        .map(f64::from)
        .or_else(|| median(item.impact.values()))
        .unwrap_or(DEFAULT_IMPACT);
    let relevance = match (selected, item.aspect.as_deref()) {
        (Some(approach), Some(aspect)) => approach
            .relevance
            .get(aspect)
            .map_or(1.0, |r| 1.0 + f64::from(*r) / 3.0),
        _ => 1.0,
    };
    let dots: u32 = item.dots.values().map(u32::from).sum();
    let priority =
        impact * control_weight(item.control) * relevance * (1.0 + 0.1 * f64::from(dots));
    (impact, priority)
}

/// An item with its impact I and priority P, unrounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredItem<'w> {
    /// The item.
    pub item: &'w Item,
    /// Impact I.
    pub impact: f64,
    /// Priority P.
    pub priority: f64,
}

/// Every constraint and enabler with its impact and priority, both kinds together in ranking
/// order: P desc, I desc, created_at asc (missing first), id asc (on whole thousandths).
pub fn ranked<'w>(workshop: &'w Workshop, selected: Option<&Approach>) -> Vec<ScoredItem<'w>> {
    let mut scored: Vec<ScoredItem<'w>> = workshop
        .items
        .iter()
        .map(|item| {
            let (impact, priority) = impact_and_priority(item, selected);
            ScoredItem {
                item,
                impact,
                priority,
            }
        })
        .collect();
    scored.sort_by_key(|s| {
        (
            Reverse(milli(s.priority)),
            Reverse(milli(s.impact)),
            s.item.created_at,
            s.item.id.clone(),
        )
    });
    scored
}

/// Ranks constraints and enablers separately ([`ranked`]) and keeps the top five of each.
pub fn rank(workshop: &Workshop, selected: Option<&Approach>) -> RankedItems {
    let scored = ranked(workshop, selected);
    let top = |kind: ItemKind| -> Vec<ItemResult> {
        scored
            .iter()
            .filter(|s| s.item.kind == kind)
            .take(TOP)
            .map(item_result)
            .collect()
    };
    RankedItems {
        constraints: top(ItemKind::Constraint),
        enablers: top(ItemKind::Enabler),
    }
}

/// The rounded results entry of a scored item.
fn item_result(scored: &ScoredItem<'_>) -> ItemResult {
    let item = scored.item;
    ItemResult {
        id: item.id.clone(),
        title: item.title.clone(),
        aspect: item.aspect.clone(),
        impact: round3(scored.impact),
        control: item.control,
        response: item
            .response
            .clone()
            .or_else(|| suggested_response(item.kind, item.control).map(String::from)),
        priority: round3(scored.priority),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fixtures::{approach, item, votes, workshop};

    #[test]
    fn impact_is_agreed_else_median_else_three() {
        let mut i = item("i", ItemKind::Constraint, Some(Control::InControl));
        assert_eq!(impact_and_priority(&i, None), (3.0, 3.0));
        i.impact = votes(&[("a", 2), ("b", 5)]);
        assert_eq!(impact_and_priority(&i, None).0, 3.5);
        i.agreed_impact = Some(1);
        assert_eq!(impact_and_priority(&i, None).0, 1.0);
    }

    #[test]
    fn priority_multiplies_impact_control_relevance_and_dots() {
        let selected = approach("x", &[("capacity", 3), ("policy", 0)]);
        let mut i = item("i", ItemKind::Enabler, Some(Control::InControl));
        i.impact = votes(&[("a", 3), ("b", 5)]); // I = 4
        i.aspect = Some("capacity".into()); // R = 1 + 3/3 = 2
        i.dots = votes(&[("a", 2), ("b", 3)]); // D = 5 → 1.5
        assert_eq!(impact_and_priority(&i, Some(&selected)), (4.0, 12.0));
        i.control = Some(Control::OutsideControl); // C = 0.4
        assert_eq!(
            impact_and_priority(&i, Some(&selected)).1,
            4.0 * 0.4 * 2.0 * 1.5
        );
        i.control = None; // missing: C = 0.75
        i.aspect = Some("policy".into()); // R = 1
        assert_eq!(impact_and_priority(&i, Some(&selected)).1, 4.0 * 0.75 * 1.5);
        i.aspect = Some("unknown".into()); // no entry: R = 1
        assert_eq!(impact_and_priority(&i, Some(&selected)).1, 4.0 * 0.75 * 1.5);
        i.aspect = Some("capacity".into());
        assert_eq!(impact_and_priority(&i, None).1, 4.0 * 0.75 * 1.5);
    }

    #[test]
    fn suggested_responses() {
        use Control::*;
        assert_eq!(
            suggested_response(ItemKind::Enabler, Some(InControl)),
            Some("boost")
        );
        assert_eq!(
            suggested_response(ItemKind::Constraint, Some(InControl)),
            Some("remove")
        );
        assert_eq!(
            suggested_response(ItemKind::Constraint, Some(CanInfluence)),
            Some("influence")
        );
        assert_eq!(
            suggested_response(ItemKind::Enabler, Some(OutsideControl)),
            Some("experiment")
        );
        assert_eq!(suggested_response(ItemKind::Enabler, None), None);
    }

    #[test]
    fn ranking_breaks_ties_by_impact_then_created_at_then_id() {
        let mut w = workshop(vec![], vec![]);
        let constraint = |id: &str| item(id, ItemKind::Constraint, Some(Control::InControl));
        // "big": I = 4, P = 4. "dotted": I = 2 with 10 dots → P = 4, lower impact.
        let mut big = constraint("big");
        big.agreed_impact = Some(4);
        let mut dotted = constraint("dotted");
        dotted.agreed_impact = Some(2);
        dotted.dots = votes(&[("a", 3), ("b", 3), ("c", 3), ("d", 1)]);
        // Three equal P = 3, I = 3: created_at decides, missing first, then id.
        let mut late = constraint("a-late");
        late.created_at = Some(2_000);
        let mut early = constraint("z-early");
        early.created_at = Some(1_000);
        let undated_b = constraint("b-undated");
        let undated_a = constraint("a-undated");
        let mut low = constraint("low");
        low.agreed_impact = Some(1);
        w.items = vec![late, early, undated_b, low, dotted, big, undated_a];
        let ranked = rank(&w, None);
        let ids: Vec<_> = ranked.constraints.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["big", "dotted", "a-undated", "b-undated", "z-early"]);
        assert!(ranked.enablers.is_empty());
    }

    #[test]
    fn top_five_of_each_kind_with_results_fields() {
        let mut w = workshop(vec![], vec![]);
        for n in 0..7u8 {
            let mut e = item(
                &format!("e{n}"),
                ItemKind::Enabler,
                Some(Control::InControl),
            );
            e.agreed_impact = Some(1 + n % 5);
            w.items.push(e);
        }
        let mut c = item("c", ItemKind::Constraint, None);
        c.response = Some("lobby the minister".into());
        c.aspect = Some("policy".into());
        w.items.push(c);
        let ranked = rank(&w, None);
        assert_eq!(ranked.enablers.len(), TOP);
        assert_eq!(ranked.enablers[0].response.as_deref(), Some("boost"));
        assert_eq!(ranked.enablers[0].impact, 5.0);
        let c = &ranked.constraints[0];
        assert_eq!(c.response.as_deref(), Some("lobby the minister"));
        assert_eq!(c.control, None);
        assert_eq!(c.priority, 2.25);
        assert_eq!(c.aspect.as_deref(), Some("policy"));
    }
}
