//! The scoring engine: the formulas of DOMAIN.md section 5, one file per family.
//!
//! - [`aspects`]: factor figures, provisional aspect scores, four-worlds scores, group progress.
//! - [`approaches`]: fit, coverage, limiting and strongest aspects, ranking, recommendation.
//! - [`items`]: constraint and enabler priorities and suggested responses.
//! - [`warnings`]: the warnings that are not invalid values, and their order.
//! - `kept`: the figures of each aspect, kept between computes for the incremental recompute.
//!
//! Pure and deterministic: the same [`Workshop`] and `today` give identical [`Results`].

pub mod approaches;
pub mod aspects;
#[cfg(test)]
mod fixtures;
pub mod items;
pub(crate) mod kept;
pub(crate) mod stats;
pub mod warnings;

use time::Date;

use crate::model::Workshop;
use crate::results::Results;

/// Computes the results of a workshop as of `today` (the revision is left at 0 for the writer).
pub fn compute(workshop: &Workshop, today: Date) -> Results {
    compute_from(workshop, aspects::figures(workshop), today)
}

/// [`compute`], given the figures of every aspect of the workshop (in aspect order).
pub(crate) fn compute_from(
    workshop: &Workshop,
    aspects: Vec<aspects::AspectFigures>,
    today: Date,
) -> Results {
    let ranking = approaches::rank(workshop, &aspects);
    let selected = workshop
        .selected_approach
        .clone()
        .or_else(|| ranking.recommended.clone());
    let selected_approach = selected
        .as_deref()
        .and_then(|id| workshop.approaches.iter().find(|a| a.id == id));
    let items = items::rank(workshop, selected_approach);
    let warnings = warnings::collect(workshop, &aspects, &ranking, &items, today);
    let groups = aspects::group_progress(workshop, &aspects);
    Results {
        revision: 0,
        aspects: aspects
            .into_iter()
            .map(aspects::AspectFigures::into_result)
            .collect(),
        approaches: ranking.results,
        recommended: ranking.recommended,
        blend: ranking.blend,
        selected,
        constraints: items.constraints,
        enablers: items.enablers,
        groups,
        warnings,
    }
}
