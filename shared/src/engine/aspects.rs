//! Factors and aspects: effective scores and weights, provisional aspect scores, confidence,
//! quick scores, the four worlds and breakout-group progress (DOMAIN.md section 5).

use std::collections::BTreeSet;

use super::stats::{milli, round3, Tally};
use crate::model::{Aspect, Factor, Workshop};
use crate::results::{AspectResult, Basis, GroupResult, Worlds};
use crate::schema::World;

/// The effective figures of one factor.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorFigures {
    /// s_f: agreed score, else median of score votes.
    pub score: Option<f64>,
    /// w_f: agreed weight, else median of weight votes, else 1.
    pub weight: f64,
    /// Spread of score votes ≥ 2 with no agreed score.
    pub contested: bool,
}

/// Effective score, weight and contestedness of a factor.
pub fn factor_figures(factor: &Factor) -> FactorFigures {
    let scores = Tally::of(factor.scores.values());
    let score = factor
        .agreed_score
        .map(f64::from)
        .or_else(|| scores.median());
    FactorFigures {
        score,
        weight: effective_weight(factor),
        contested: factor.agreed_score.is_none() && scores.spread() >= 2,
    }
}

/// w_f: agreed weight, else the median of weight votes, else 1.
fn effective_weight(factor: &Factor) -> f64 {
    factor
        .agreed_weight
        .map(f64::from)
        .or_else(|| Tally::of(factor.weights.values()).median())
        .unwrap_or(1.0)
}

/// Σ w·s / Σ w over (score, weight) pairs with s known and w > 0, and the confidence: the
/// share of factors with w > 0 whose score is known.
fn weighted_score(pairs: impl IntoIterator<Item = (Option<f64>, f64)>) -> (Option<f64>, f64) {
    let mut sum = WeightedSum::default();
    for (score, weight) in pairs {
        sum.add(score, weight);
    }
    (sum.score(), sum.confidence())
}

/// The running sums of [`weighted_score`], added to factor by factor.
#[derive(Debug, Clone, Copy, Default)]
struct WeightedSum {
    weighted: f64,
    weights: f64,
    relevant: u32,
    known: u32,
}

impl WeightedSum {
    fn add(&mut self, score: Option<f64>, weight: f64) {
        if weight > 0.0 {
            self.relevant += 1;
            if let Some(score) = score {
                self.known += 1;
                self.weighted += weight * score;
                self.weights += weight;
            }
        }
    }

    fn score(&self) -> Option<f64> {
        (self.weights > 0.0).then(|| self.weighted / self.weights)
    }

    fn confidence(&self) -> f64 {
        if self.relevant == 0 {
            0.0
        } else {
            f64::from(self.known) / f64::from(self.relevant)
        }
    }
}

/// The figures of one aspect, unrounded.
#[derive(Debug, Clone, PartialEq)]
pub struct AspectFigures {
    /// Aspect id.
    pub id: String,
    /// Title, when a string.
    pub title: Option<String>,
    /// S_k.
    pub score: Option<f64>,
    /// c_k.
    pub confidence: f64,
    /// Q_k.
    pub quick: Option<f64>,
    /// B_k: S_k if known, else Q_k.
    pub basis: Option<f64>,
    /// Contested factor ids in factor order.
    pub contested: Vec<String>,
    /// S_k per world, in [`World::ALL`] order.
    pub worlds: [Option<f64>; 4],
    /// The factors' figures, in factor order.
    pub factors: Vec<FactorFigures>,
}

impl AspectFigures {
    /// Highest minus lowest known world score; `None` with fewer than two.
    pub fn perspective_gap(&self) -> Option<f64> {
        let known = self.worlds.iter().flatten().copied();
        let (count, max, min) = known
            .fold((0, f64::NEG_INFINITY, f64::INFINITY), |(n, max, min), x| {
                (n + 1, f64::max(max, x), f64::min(min, x))
            });
        (count >= 2).then_some(max - min)
    }

    /// The rounded figures of the results.
    pub fn result(&self) -> AspectResult {
        self.rounded(self.id.clone(), self.title.clone(), self.contested.clone())
    }

    /// The rounded figures of the results, moving the id, title and contested factors.
    pub fn into_result(mut self) -> AspectResult {
        let id = std::mem::take(&mut self.id);
        let title = self.title.take();
        let contested = std::mem::take(&mut self.contested);
        self.rounded(id, title, contested)
    }

    fn rounded(&self, id: String, title: Option<String>, contested: Vec<String>) -> AspectResult {
        let basis = match (self.score, self.quick) {
            (Some(_), _) => Basis::Workshop,
            (None, Some(_)) => Basis::Quick,
            (None, None) => Basis::None,
        };
        let world = |w: World| self.worlds[world_index(w)].map(round3);
        AspectResult {
            id,
            title,
            score: self.score.map(round3),
            confidence: round3(self.confidence),
            quick: self.quick.map(round3),
            delta: self.score.zip(self.quick).map(|(s, q)| round3(s - q)),
            basis,
            contested,
            worlds: Worlds {
                customer: world(World::Customer),
                service: world(World::Service),
                management: world(World::Management),
                political: world(World::Political),
            },
            perspective_gap: self.perspective_gap().map(round3),
        }
    }

    /// True when the perspective gap is 1.0 or more (on whole thousandths).
    pub fn has_perspective_gap(&self) -> bool {
        self.perspective_gap().is_some_and(|gap| milli(gap) >= 1000)
    }
}

fn world_index(world: World) -> usize {
    // The four worlds in the order of `World::ALL` and of the results' `worlds` object.
    match world {
        World::Customer => 0,
        World::Service => 1,
        World::Management => 2,
        World::Political => 3,
    }
}

/// Figures of every aspect, in aspect order.
pub fn figures(workshop: &Workshop) -> Vec<AspectFigures> {
    workshop
        .aspects
        .iter()
        .map(|aspect| aspect_figures(workshop, aspect))
        .collect()
}

/// Figures of one aspect: they depend on the aspect and on the participants' worlds only.
pub(crate) fn aspect_figures(workshop: &Workshop, aspect: &Aspect) -> AspectFigures {
    let factors: Vec<FactorFigures> = aspect.factors.iter().map(factor_figures).collect();
    let (score, confidence) = weighted_score(factors.iter().map(|f| (f.score, f.weight)));
    let quick = aspect
        .quick_agreed
        .map(f64::from)
        .or_else(|| Tally::of(aspect.quick.values()).median());
    let contested = aspect
        .factors
        .iter()
        .zip(&factors)
        .filter(|(_, figures)| figures.contested)
        .map(|(factor, _)| factor.id.clone())
        .collect();
    let worlds = world_scores(workshop, aspect, &factors);
    AspectFigures {
        id: aspect.id.clone(),
        title: aspect.title.clone(),
        score,
        confidence,
        quick,
        basis: score.or(quick),
        contested,
        worlds,
        factors,
    }
}

/// S_k from each world's votes, in [`World::ALL`] order: per factor, the median of that
/// world's participants' score votes (agreed scores ignored), weights as for the workshop.
fn world_scores(
    workshop: &Workshop,
    aspect: &Aspect,
    figures: &[FactorFigures],
) -> [Option<f64>; 4] {
    let mut per_world = [WeightedSum::default(); 4];
    for (factor, figures) in aspect.factors.iter().zip(figures) {
        let mut ballots: [Tally; 4] = Default::default();
        for (participant, score) in &factor.scores {
            let world = workshop.participants.get(participant).and_then(|p| p.world);
            if let Some(world) = world {
                ballots[world_index(world)].add(score);
            }
        }
        for (sum, ballot) in per_world.iter_mut().zip(&ballots) {
            sum.add(ballot.median(), figures.weight);
        }
    }
    per_world.map(|sum| sum.score())
}

/// Progress of each breakout group: the share of its existing aspects' factors with a known
/// score; `None` when they have no factors.
pub fn group_progress(workshop: &Workshop, aspects: &[AspectFigures]) -> Vec<GroupResult> {
    workshop
        .groups
        .iter()
        .map(|group| {
            let wanted: BTreeSet<&str> = group.aspects.iter().map(String::as_str).collect();
            let (mut total, mut known) = (0u32, 0u32);
            for aspect in aspects.iter().filter(|a| wanted.contains(a.id.as_str())) {
                for factor in &aspect.factors {
                    total += 1;
                    known += u32::from(factor.score.is_some());
                }
            }
            GroupResult {
                id: group.id.clone(),
                name: group.name.clone(),
                progress: (total > 0).then(|| round3(f64::from(known) / f64::from(total))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fixtures::{agreed, aspect, participants, scored, votes, workshop};
    use crate::model::Group;

    #[test]
    fn effective_score_is_agreed_else_median_of_votes() {
        let f = scored("f", &[("a", 2), ("b", 5)]);
        assert_eq!(factor_figures(&f).score, Some(3.5));
        let f = scored("f", &[("a", 1), ("b", 4), ("c", 2)]);
        assert_eq!(factor_figures(&f).score, Some(2.0));
        let f = Factor {
            agreed_score: Some(5),
            ..scored("f", &[("a", 1), ("b", 1)])
        };
        assert_eq!(factor_figures(&f).score, Some(5.0));
        assert_eq!(factor_figures(&scored("f", &[])).score, None);
    }

    #[test]
    fn effective_weight_is_agreed_else_median_else_one() {
        assert_eq!(factor_figures(&scored("f", &[])).weight, 1.0);
        let f = Factor {
            weights: votes(&[("a", 0), ("b", 3)]),
            ..scored("f", &[])
        };
        assert_eq!(factor_figures(&f).weight, 1.5);
        let f = Factor {
            agreed_weight: Some(0),
            ..f
        };
        assert_eq!(factor_figures(&f).weight, 0.0);
    }

    #[test]
    fn contested_needs_a_spread_of_two_and_no_agreed_score() {
        assert!(factor_figures(&scored("f", &[("a", 2), ("b", 4)])).contested);
        assert!(!factor_figures(&scored("f", &[("a", 2), ("b", 3)])).contested);
        assert!(!factor_figures(&scored("f", &[("a", 1)])).contested);
        let settled = Factor {
            agreed_score: Some(3),
            ..scored("f", &[("a", 1), ("b", 5)])
        };
        assert!(!factor_figures(&settled).contested);
    }

    #[test]
    fn provisional_score_is_the_weighted_mean_of_known_scores() {
        // f1: s=4 w=3; f2: s=2 w=1 (default); f3: unknown w=2; f4: s=5 w=0 (not relevant).
        let factors = vec![
            agreed("f1", Some(4), Some(3)),
            scored("f2", &[("a", 2)]),
            agreed("f3", None, Some(2)),
            agreed("f4", Some(5), Some(0)),
        ];
        let w = workshop(vec![aspect("k", factors)], vec![]);
        let figures = &figures(&w)[0];
        assert_eq!(figures.score, Some(3.5)); // (4·3 + 2·1) / (3 + 1)
        assert_eq!(round3(figures.confidence), 0.667); // 2 known of 3 relevant
        let result = figures.result();
        assert_eq!(result.score, Some(3.5));
        assert_eq!(result.confidence, 0.667);
        assert_eq!(result.basis, Basis::Workshop);
    }

    #[test]
    fn no_relevant_factor_means_unknown_score_and_zero_confidence() {
        let w = workshop(
            vec![aspect("k", vec![agreed("f", Some(4), Some(0))])],
            vec![],
        );
        let figures = &figures(&w)[0];
        assert_eq!(figures.score, None);
        assert_eq!(figures.confidence, 0.0);
        let w = workshop(vec![aspect("k", vec![])], vec![]);
        assert_eq!(figures_of(&w).confidence, 0.0);
    }

    fn figures_of(w: &Workshop) -> AspectFigures {
        figures(w).remove(0)
    }

    #[test]
    fn quick_score_delta_and_basis() {
        let mut k = aspect("k", vec![agreed("f", Some(4), None)]);
        k.quick = votes(&[("a", 2), ("b", 3)]);
        let result = figures_of(&workshop(vec![k.clone()], vec![])).result();
        assert_eq!(result.quick, Some(2.5));
        assert_eq!(result.delta, Some(1.5));
        assert_eq!(result.basis, Basis::Workshop);

        k.quick_agreed = Some(5);
        k.factors = vec![scored("f", &[])];
        let figures = figures_of(&workshop(vec![k], vec![]));
        assert_eq!(figures.basis, Some(5.0));
        let result = figures.result();
        assert_eq!(
            (result.score, result.quick, result.delta),
            (None, Some(5.0), None)
        );
        assert_eq!(result.basis, Basis::Quick);

        let none = figures_of(&workshop(vec![aspect("k", vec![])], vec![])).result();
        assert_eq!(none.basis, Basis::None);
    }

    #[test]
    fn world_scores_use_only_that_worlds_votes_and_ignore_agreed_scores() {
        let mut f1 = scored("f1", &[("c1", 2), ("c2", 3), ("p1", 5), ("x", 1)]);
        f1.agreed_score = Some(4);
        f1.agreed_weight = Some(2);
        let f2 = scored("f2", &[("c1", 5), ("m1", 1)]);
        let mut w = workshop(vec![aspect("k", vec![f1, f2])], vec![]);
        w.participants = participants(&[
            ("c1", Some(World::Customer)),
            ("c2", Some(World::Customer)),
            ("p1", Some(World::Political)),
            ("m1", Some(World::Management)),
            ("nobody", None),
        ]);
        let figures = figures_of(&w);
        // customer: f1 median(2,3)=2.5 w=2, f2 5 w=1 → (5 + 5)/3
        assert_eq!(figures.worlds[0].map(round3), Some(3.333));
        assert_eq!(figures.worlds[1], None); // service
        assert_eq!(figures.worlds[2], Some(1.0)); // management: f2 only
        assert_eq!(figures.worlds[3], Some(5.0)); // political: f1 only
        assert_eq!(figures.perspective_gap(), Some(4.0));
        assert!(figures.has_perspective_gap());
        let result = figures.result();
        assert_eq!(result.worlds.customer, Some(3.333));
        assert_eq!(result.perspective_gap, Some(4.0));
    }

    #[test]
    fn perspective_gap_needs_two_worlds_and_flags_from_one_point() {
        let mut w = workshop(
            vec![aspect("k", vec![scored("f", &[("c", 3), ("s", 4)])])],
            vec![],
        );
        w.participants = participants(&[("c", Some(World::Customer))]);
        assert_eq!(figures_of(&w).perspective_gap(), None);
        w.participants = participants(&[("c", Some(World::Customer)), ("s", Some(World::Service))]);
        let figures = figures_of(&w);
        assert_eq!(figures.perspective_gap(), Some(1.0));
        assert!(figures.has_perspective_gap());
        w.aspects[0].factors[0].scores = votes(&[("c", 3), ("s", 3)]);
        assert!(!figures_of(&w).has_perspective_gap());
    }

    #[test]
    fn group_progress_counts_existing_aspects_once() {
        let a = aspect(
            "a",
            vec![
                scored("f1", &[("p", 3)]),
                scored("f2", &[]),
                scored("f3", &[]),
            ],
        );
        let b = aspect("b", vec![scored("g1", &[("p", 1)])]);
        let mut w = workshop(vec![a, b], vec![]);
        w.groups = vec![
            Group {
                id: "g".into(),
                name: Some("Blue".into()),
                aspects: vec!["a".into(), "missing".into(), "a".into()],
            },
            Group {
                id: "h".into(),
                name: None,
                aspects: vec!["missing".into()],
            },
        ];
        let progress = group_progress(&w, &figures(&w));
        assert_eq!(progress[0].progress, Some(0.333));
        assert_eq!(progress[0].name.as_deref(), Some("Blue"));
        assert_eq!(progress[1].progress, None);
    }
}
