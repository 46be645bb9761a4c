//! Approach fit: fit, coverage, limiting and strongest aspects, the ranking, the recommended
//! approach and the blend (DOMAIN.md section 5 and 5.1 rules 2 to 4).

use std::cmp::Ordering;

use super::aspects::AspectFigures;
use super::stats::{milli, round3};
use crate::model::{Approach, Workshop};
use crate::results::ApproachResult;

/// Coverage an approach needs to be recommended or blended, in thousandths.
pub const MIN_COVERAGE_MILLI: i64 = 750;
/// How far below the recommended fit a blended approach may be, in thousandths of a point.
pub const BLEND_BAND_MILLI: i64 = 5000;

/// The approaches ranked, with the recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// Every approach's figures, in ranking order.
    pub results: Vec<ApproachResult>,
    /// The first approach in the ranking with enough coverage.
    pub recommended: Option<String>,
    /// The other approaches with enough coverage within the blend band.
    pub blend: Vec<String>,
}

/// One approach's unrounded figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// 100·Σ r·n / Σ r over aspects with a known basis; unknown when that Σ r is 0.
    pub fit: Option<f64>,
    /// Σ r over known aspects / Σ r over all aspects; 0 when the latter is 0.
    pub coverage: f64,
    /// argmax r·(1 − n) over known aspects with r > 0; ties to the first in aspect order.
    pub limiting: Option<String>,
    /// argmax r·n over known aspects with r > 0; ties to the first in aspect order.
    pub strongest: Option<String>,
}

/// Fit of one approach against the aspects' basis figures.
pub fn fit(approach: &Approach, aspects: &[AspectFigures]) -> Fit {
    let (mut weighted, mut known_r, mut all_r) = (0.0, 0.0, 0.0);
    let mut limiting = Best::default();
    let mut strongest = Best::default();
    for aspect in aspects {
        let r = f64::from(approach.relevance.get(&aspect.id).copied().unwrap_or(0));
        all_r += r;
        let Some(basis) = aspect.basis else { continue };
        let n = (basis - 1.0) / 4.0;
        known_r += r;
        weighted += r * n;
        if r > 0.0 {
            limiting.offer(&aspect.id, r * (1.0 - n));
            strongest.offer(&aspect.id, r * n);
        }
    }
    Fit {
        fit: (known_r > 0.0).then(|| 100.0 * weighted / known_r),
        coverage: if all_r > 0.0 { known_r / all_r } else { 0.0 },
        limiting: limiting.id,
        strongest: strongest.id,
    }
}

/// The running argmax over whole thousandths, keeping the first of equals and only products
/// above 0.
#[derive(Default)]
struct Best {
    id: Option<String>,
    milli: i64,
}

impl Best {
    fn offer(&mut self, id: &str, product: f64) {
        let value = milli(product);
        if value > self.milli {
            self.milli = value;
            self.id = Some(id.to_owned());
        }
    }
}

/// Ranks every approach: fit desc, coverage desc, approach order; unknown fit last.
pub fn rank(workshop: &Workshop, aspects: &[AspectFigures]) -> Ranking {
    let fits: Vec<(usize, &Approach, Fit)> = workshop
        .approaches
        .iter()
        .enumerate()
        .map(|(position, approach)| (position, approach, fit(approach, aspects)))
        .collect();
    let mut order: Vec<&(usize, &Approach, Fit)> = fits.iter().collect();
    order.sort_by(|a, b| ranking_order((a.0, &a.2), (b.0, &b.2)));

    let qualifies = |f: &Fit| f.fit.is_some() && milli(f.coverage) >= MIN_COVERAGE_MILLI;
    let recommended = order.iter().find(|(_, _, f)| qualifies(f));
    let blend = match recommended {
        Some((_, best, best_fit)) => {
            let floor = milli(best_fit.fit.unwrap_or(0.0)) - BLEND_BAND_MILLI;
            order
                .iter()
                .filter(|(_, approach, f)| {
                    approach.id != best.id
                        && qualifies(f)
                        && f.fit.is_some_and(|x| milli(x) >= floor)
                })
                .map(|(_, approach, _)| approach.id.clone())
                .collect()
        }
        None => Vec::new(),
    };
    let results = (1u32..)
        .zip(&order)
        .map(|(rank, (_, approach, f))| ApproachResult {
            id: approach.id.clone(),
            title: approach.title.clone(),
            fit: f.fit.map(round3),
            coverage: round3(f.coverage),
            rank,
            limiting: f.limiting.clone(),
            strongest: f.strongest.clone(),
        })
        .collect();
    Ranking {
        results,
        recommended: recommended.map(|(_, approach, _)| approach.id.clone()),
        blend,
    }
}

/// Known fit before unknown; fit desc; coverage desc; approach order (the position).
fn ranking_order(a: (usize, &Fit), b: (usize, &Fit)) -> Ordering {
    let key = |(position, f): (usize, &Fit)| {
        (
            f.fit.is_none(),
            std::cmp::Reverse(f.fit.map(milli).unwrap_or(0)),
            std::cmp::Reverse(milli(f.coverage)),
            position,
        )
    };
    key(a).cmp(&key(b))
}
