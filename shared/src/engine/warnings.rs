//! The warnings of DOMAIN.md 5.1 rule 9 that the engine raises (the reader raises the
//! `invalid_value` ones), and their order: by path, then kind.

use time::Date;

use super::approaches::Ranking;
use super::aspects::AspectFigures;
use super::items::RankedItems;
use super::stats::milli;
use crate::model::Workshop;
use crate::results::{Warning, WarningKind};
use crate::schema::{self, key, ActionStatus};

/// More hypotheses than this draws a warning.
pub const MAX_HYPOTHESES: usize = 10;
/// More gap-analysis objectives than this draws a warning.
pub const MAX_GAPS: usize = 8;
/// Confidence below this (in thousandths) under a recommendation draws a warning.
const LOW_CONFIDENCE_MILLI: i64 = 500;

/// Every warning of the workshop, sorted by path then kind.
pub fn collect(
    workshop: &Workshop,
    aspects: &[AspectFigures],
    ranking: &Ranking,
    items: &RankedItems,
    today: Date,
) -> Vec<Warning> {
    let mut warnings = workshop.warnings.clone();
    let recommended = ranking
        .recommended
        .as_deref()
        .and_then(|id| workshop.approaches.iter().find(|a| a.id == id));

    for aspect in aspects {
        let aspect_path = schema::path(&[schema::ASPECTS, &aspect.id]);
        // A full workshop has dozens of these: plain concatenation, not the formatting
        // machinery.
        for factor in &aspect.contested {
            warnings.push(Warning::new(
                WarningKind::Contested,
                [&aspect_path, "/", key::FACTORS, "/", factor].concat(),
                [
                    "Scores for factor ",
                    factor,
                    " are 2 or more points apart and no score is agreed yet.",
                ]
                .concat(),
            ));
        }
        if let Some(approach) = recommended {
            let relevant = approach.relevance.get(&aspect.id).is_some_and(|r| *r > 0);
            if relevant && aspect.basis.is_some() && milli(aspect.confidence) < LOW_CONFIDENCE_MILLI
            {
                warnings.push(Warning::new(
                    WarningKind::LowConfidence,
                    aspect_path.clone(),
                    format!(
                        "The recommended approach leans on aspect {}, but fewer than half of its relevant factors are scored.",
                        aspect.id
                    ),
                ));
            }
        }
        if aspect.has_perspective_gap() {
            warnings.push(Warning::new(
                WarningKind::PerspectiveGap,
                aspect_path,
                format!(
                    "The four worlds see aspect {} a point or more apart.",
                    aspect.id
                ),
            ));
        }
    }

    if workshop.hypotheses > MAX_HYPOTHESES {
        warnings.push(Warning::new(
            WarningKind::TooManyHypotheses,
            schema::HYPOTHESES,
            format!(
                "There are {} hypotheses; 8 to 10 are recommended.",
                workshop.hypotheses
            ),
        ));
    }
    if workshop.gaps > MAX_GAPS {
        warnings.push(Warning::new(
            WarningKind::TooManyGaps,
            schema::GAPS,
            format!(
                "There are {} gap-analysis objectives; keep to 7 or 8 at most.",
                workshop.gaps
            ),
        ));
    }

    let linked = |item: &str| {
        workshop.actions.iter().any(|action| {
            action.status != Some(ActionStatus::Dropped) && action.items.iter().any(|i| i == item)
        })
    };
    for item in items.constraints.iter().chain(&items.enablers) {
        if !linked(&item.id) {
            warnings.push(Warning::new(
                WarningKind::UnlinkedItem,
                schema::path(&[schema::ITEMS, &item.id]),
                format!(
                    "\"{}\" is a top priority but no action in the development plan addresses it.",
                    item.title
                ),
            ));
        }
    }

    for action in &workshop.actions {
        let open = !matches!(
            action.status,
            Some(ActionStatus::Done | ActionStatus::Dropped)
        );
        if let Some(due) = action.due.filter(|due| *due < today && open) {
            warnings.push(Warning::new(
                WarningKind::OverdueAction,
                schema::path(&[schema::ACTIONS, &action.id]),
                format!("Action {} was due on {due} and is not done.", action.id),
            ));
        }
    }

    warnings.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
    });
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compute;
    use crate::engine::fixtures::{agreed, approach, aspect, item, participants, scored, workshop};
    use crate::model::Action;
    use crate::schema::{Control, ItemKind, World};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn kinds_and_paths(w: &Workshop) -> Vec<(String, String)> {
        compute(w, TODAY)
            .warnings
            .into_iter()
            .map(|warning| (warning.kind.as_str().to_string(), warning.path))
            .collect()
    }

    fn pair(kind: &str, path: &str) -> (String, String) {
        (kind.to_string(), path.to_string())
    }

    #[test]
    fn contested_low_confidence_and_perspective_warnings_sorted_by_path_then_kind() {
        // Aspect "a": one of two relevant factors scored (confidence 0.5: no warning).
        // Aspect "b": one of three scored (0.333 < 0.5), contested, and a perspective gap.
        let a = aspect("a", vec![agreed("f1", Some(4), None), scored("f2", &[])]);
        let b = aspect(
            "b",
            vec![
                scored("g1", &[("c", 1), ("s", 4)]),
                scored("g2", &[]),
                scored("g3", &[]),
            ],
        );
        let mut w = workshop(vec![a, b], vec![approach("x", &[("a", 1), ("b", 1)])]);
        w.participants = participants(&[("c", Some(World::Customer)), ("s", Some(World::Service))]);
        assert_eq!(
            kinds_and_paths(&w),
            [
                pair("low_confidence", "aspects/b"),
                pair("perspective_gap", "aspects/b"),
                pair("contested", "aspects/b/factors/g1"),
            ]
        );
        // Without a recommendation there is no low-confidence warning.
        w.approaches = vec![approach("x", &[("a", 0)])];
        assert!(!kinds_and_paths(&w).contains(&pair("low_confidence", "aspects/b")));
    }

    #[test]
    fn too_many_hypotheses_and_gaps() {
        let mut w = workshop(vec![], vec![]);
        w.hypotheses = 10;
        w.gaps = 8;
        assert!(kinds_and_paths(&w).is_empty());
        w.hypotheses = 11;
        w.gaps = 9;
        assert_eq!(
            kinds_and_paths(&w),
            [
                pair("too_many_gaps", "gaps"),
                pair("too_many_hypotheses", "hypotheses")
            ]
        );
    }

    fn action(id: &str, items: &[&str], due: Option<Date>, status: Option<ActionStatus>) -> Action {
        Action {
            id: id.into(),
            items: items.iter().map(|i| i.to_string()).collect(),
            due,
            status,
        }
    }

    #[test]
    fn unlinked_top_items_and_overdue_actions() {
        let mut w = workshop(vec![], vec![]);
        w.items = vec![
            item("linked", ItemKind::Constraint, Some(Control::InControl)),
            item("dropped-link", ItemKind::Enabler, None),
            item("bare", ItemKind::Enabler, None),
        ];
        w.actions = vec![
            action(
                "a1",
                &["linked"],
                Some(date!(2026 - 11 - 22)),
                Some(ActionStatus::Agreed),
            ),
            action(
                "a2",
                &["dropped-link"],
                Some(date!(2026 - 01 - 01)),
                Some(ActionStatus::Dropped),
            ),
            action("a3", &[], Some(TODAY), None),
            action(
                "a4",
                &[],
                Some(date!(2025 - 01 - 01)),
                Some(ActionStatus::Done),
            ),
            action("a5", &[], Some(date!(2025 - 01 - 01)), None),
        ];
        assert_eq!(
            kinds_and_paths(&w),
            [
                pair("overdue_action", "actions/a1"),
                pair("overdue_action", "actions/a5"),
                pair("unlinked_item", "items/bare"),
                pair("unlinked_item", "items/dropped-link"),
            ]
        );
    }

    #[test]
    fn reader_warnings_are_merged_into_the_order() {
        let mut w = workshop(
            vec![aspect("a", vec![scored("f", &[("p", 1), ("q", 5)])])],
            vec![],
        );
        w.warnings = vec![Warning::new(
            WarningKind::InvalidValue,
            "aspects/a/factors/f/scores/z",
            "bad",
        )];
        assert_eq!(
            kinds_and_paths(&w),
            [
                pair("contested", "aspects/a/factors/f"),
                pair("invalid_value", "aspects/a/factors/f/scores/z"),
            ]
        );
    }
}
