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
        for factor in &aspect.contested {
            warnings.push(Warning::new(
                WarningKind::Contested,
                format!("{aspect_path}/{}/{factor}", key::FACTORS),
                format!("Scores for factor {factor} are 2 or more points apart and no score is agreed yet."),
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
