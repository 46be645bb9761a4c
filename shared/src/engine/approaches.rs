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
        limiting: limiting.id.map(str::to_owned),
        strongest: strongest.id.map(str::to_owned),
    }
}

/// The running argmax over whole thousandths, keeping the first of equals and only products
/// above 0.
#[derive(Default)]
struct Best<'a> {
    id: Option<&'a str>,
    milli: i64,
}

impl<'a> Best<'a> {
    fn offer(&mut self, id: &'a str, product: f64) {
        let value = milli(product);
        if value > self.milli {
            self.milli = value;
            self.id = Some(id);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::aspects::figures;
    use crate::engine::fixtures::{approach, aspect_at, workshop};

    fn ranked(aspects: &[(&str, Option<u8>)], approaches: Vec<Approach>) -> Ranking {
        let w = workshop(
            aspects.iter().map(|(id, s)| aspect_at(id, *s)).collect(),
            approaches,
        );
        rank(&w, &figures(&w))
    }

    #[test]
    fn fit_coverage_limiting_and_strongest() {
        // A at 5 (n=1), B at 1 (n=0), C unknown; r = 3, 1, 2.
        let w = workshop(
            vec![
                aspect_at("A", Some(5)),
                aspect_at("B", Some(1)),
                aspect_at("C", None),
            ],
            vec![approach("x", &[("A", 3), ("B", 1), ("C", 2)])],
        );
        let f = fit(&w.approaches[0], &figures(&w));
        assert_eq!(f.fit, Some(75.0)); // 100·(3·1 + 1·0)/(3 + 1)
        assert_eq!(round3(f.coverage), 0.667); // 4 / 6
        assert_eq!(f.limiting.as_deref(), Some("B"));
        assert_eq!(f.strongest.as_deref(), Some("A"));
    }

    #[test]
    fn a_place_at_five_everywhere_has_no_limiting_aspect() {
        let w = workshop(
            vec![aspect_at("A", Some(5)), aspect_at("B", Some(5))],
            vec![approach("x", &[("A", 1), ("B", 2)])],
        );
        let f = fit(&w.approaches[0], &figures(&w));
        assert_eq!(f.fit, Some(100.0));
        assert_eq!(f.limiting, None);
        assert_eq!(f.strongest.as_deref(), Some("B"));
    }

    #[test]
    fn limiting_and_strongest_ties_go_to_aspect_order() {
        // Both at 3 (n = 0.5) with equal relevance: equal products.
        let w = workshop(
            vec![aspect_at("B", Some(3)), aspect_at("A", Some(3))],
            vec![approach("x", &[("A", 2), ("B", 2)])],
        );
        let f = fit(&w.approaches[0], &figures(&w));
        assert_eq!(f.limiting.as_deref(), Some("B"));
        assert_eq!(f.strongest.as_deref(), Some("B"));
    }

    #[test]
    fn relevance_zero_and_missing_entries_do_not_count() {
        let w = workshop(
            vec![aspect_at("A", Some(1)), aspect_at("B", Some(5))],
            vec![approach("x", &[("A", 0)]), approach("y", &[])],
        );
        let aspects = figures(&w);
        let x = fit(&w.approaches[0], &aspects);
        assert_eq!((x.fit, x.coverage, x.limiting), (None, 0.0, None));
    }

    #[test]
    fn ranking_by_fit_then_coverage_then_order_with_unknown_fit_last() {
        let ranking = ranked(
            &[("A", Some(5)), ("B", Some(1)), ("C", None)],
            vec![
                approach("unknown", &[("C", 3)]),
                approach("low", &[("B", 1)]),
                approach("high-less-covered", &[("A", 1), ("C", 1)]),
                approach("high", &[("A", 1)]),
                approach("high-too", &[("A", 2)]),
            ],
        );
        let ids: Vec<_> = ranking.results.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["high", "high-too", "high-less-covered", "low", "unknown"]
        );
        let ranks: Vec<_> = ranking.results.iter().map(|r| r.rank).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5]);
        assert_eq!(ranking.results[4].fit, None);
        assert_eq!(ranking.recommended.as_deref(), Some("high"));
        assert_eq!(ranking.blend, ["high-too"]);
    }

    #[test]
    fn recommended_needs_coverage_of_three_quarters() {
        // "best" has the top fit but only 2/3 coverage; "ok" has exactly 3/4.
        let ranking = ranked(
            &[("A", Some(5)), ("B", Some(3)), ("C", None)],
            vec![
                approach("best", &[("A", 2), ("C", 1)]),
                approach("ok", &[("A", 1), ("B", 2), ("C", 1)]),
            ],
        );
        assert_eq!(ranking.results[0].id, "best");
        assert_eq!(ranking.results[0].coverage, 0.667);
        assert_eq!(ranking.results[1].coverage, 0.75);
        assert_eq!(ranking.recommended.as_deref(), Some("ok"));
        assert!(ranking.blend.is_empty());

        let none = ranked(
            &[("A", Some(5)), ("C", None)],
            vec![approach("x", &[("A", 1), ("C", 1)])],
        );
        assert_eq!(none.recommended, None);
        assert!(none.blend.is_empty());
    }

    #[test]
    fn blend_band_is_five_points_inclusive() {
        // Fits: A at 5 → 100; B at 4.8 → 95; B at 4.75 → 93.75.
        let w = workshop(
            vec![
                aspect_at("A", Some(5)),
                crate::engine::fixtures::aspect(
                    "B",
                    vec![
                        crate::engine::fixtures::agreed("f1", Some(5), Some(3)),
                        crate::engine::fixtures::agreed("f2", Some(4), Some(1)),
                        crate::engine::fixtures::agreed("f3", Some(4), Some(1)),
                        crate::engine::fixtures::agreed("f4", Some(5), Some(0)),
                    ],
                ),
            ],
            vec![
                approach("top", &[("A", 1)]),
                approach("edge", &[("B", 1)]),
                approach("within", &[("A", 1), ("B", 1)]),
            ],
        );
        let aspects = figures(&w);
        assert_eq!(aspects[1].score, Some(4.6)); // (15 + 4 + 4)/5
        let ranking = rank(&w, &aspects);
        let fits: Vec<_> = ranking
            .results
            .iter()
            .map(|r| (r.id.as_str(), r.fit))
            .collect();
        assert_eq!(
            fits,
            [
                ("top", Some(100.0)),
                ("within", Some(95.0)),
                ("edge", Some(90.0))
            ]
        );
        assert_eq!(ranking.blend, ["within"]);

        // Exactly 5 points below is inside the band.
        let w = workshop(
            vec![aspect_at("A", Some(5)), aspect_at("B", Some(4))],
            vec![
                approach("top", &[("A", 1)]),
                approach("edge", &[("A", 3), ("B", 1)]),
            ],
        );
        let ranking = rank(&w, &figures(&w));
        assert_eq!(ranking.results[1].fit, Some(93.75));
        assert!(ranking.blend.is_empty());
        let w = workshop(
            vec![aspect_at("A", Some(5)), aspect_at("B", Some(4))],
            vec![
                approach("top", &[("A", 1)]),
                approach("edge", &[("A", 4), ("B", 1)]),
            ],
        );
        let ranking = rank(&w, &figures(&w));
        assert_eq!(ranking.results[1].fit, Some(95.0));
        assert_eq!(ranking.blend, ["edge"]);
    }
}
