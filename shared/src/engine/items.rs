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
        .or_else(|| median(item.impact.values().copied()))
        .unwrap_or(DEFAULT_IMPACT);
    let relevance = match (selected, item.aspect.as_deref()) {
        (Some(approach), Some(aspect)) => approach
            .relevance
            .get(aspect)
            .map_or(1.0, |r| 1.0 + f64::from(*r) / 3.0),
        _ => 1.0,
    };
    let dots: u32 = item.dots.values().map(|d| u32::from(*d)).sum();
    let priority =
        impact * control_weight(item.control) * relevance * (1.0 + 0.1 * f64::from(dots));
    (impact, priority)
}

/// Ranks constraints and enablers separately: P desc, I desc, created_at asc (missing first),
/// id asc; keeps the top five of each.
pub fn rank(workshop: &Workshop, selected: Option<&Approach>) -> RankedItems {
    let mut scored: Vec<(&Item, f64, f64)> = workshop
        .items
        .iter()
        .map(|item| {
            let (impact, priority) = impact_and_priority(item, selected);
            (item, impact, priority)
        })
        .collect();
    scored.sort_by_key(|(item, impact, priority)| {
        (
            Reverse(milli(*priority)),
            Reverse(milli(*impact)),
            item.created_at,
            item.id.clone(),
        )
    });
    let top = |kind: ItemKind| -> Vec<ItemResult> {
        scored
            .iter()
            .filter(|(item, _, _)| item.kind == kind)
            .take(TOP)
            .map(|(item, impact, priority)| ItemResult {
                id: item.id.clone(),
                title: item.title.clone(),
                aspect: item.aspect.clone(),
                impact: round3(*impact),
                control: item.control,
                response: item
                    .response
                    .clone()
                    .or_else(|| suggested_response(item.kind, item.control).map(String::from)),
                priority: round3(*priority),
            })
            .collect()
    };
    RankedItems {
        constraints: top(ItemKind::Constraint),
        enablers: top(ItemKind::Enabler),
    }
}
