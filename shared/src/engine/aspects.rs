//! Factors and aspects: effective scores and weights, provisional aspect scores, confidence,
//! quick scores, the four worlds and breakout-group progress (DOMAIN.md section 5).

use std::collections::BTreeSet;

use super::stats::{median, milli, round3};
use crate::model::{Aspect, Factor, Votes, Workshop};
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
    let score = factor
        .agreed_score
        .map(f64::from)
        .or_else(|| median(factor.scores.values().copied()));
    FactorFigures {
        score,
        weight: effective_weight(factor),
        contested: factor.agreed_score.is_none() && spread(&factor.scores) >= 2,
    }
}

/// w_f: agreed weight, else the median of weight votes, else 1.
fn effective_weight(factor: &Factor) -> f64 {
    factor
        .agreed_weight
        .map(f64::from)
        .or_else(|| median(factor.weights.values().copied()))
        .unwrap_or(1.0)
}

/// max − min of the votes; 0 with fewer than two.
fn spread(votes: &Votes) -> u8 {
    let min = votes.values().min();
    let max = votes.values().max();
    match (min, max) {
        (Some(min), Some(max)) if votes.len() >= 2 => max - min,
        _ => 0,
    }
}

/// Σ w·s / Σ w over (score, weight) pairs with s known and w > 0, and the confidence: the
/// share of factors with w > 0 whose score is known.
fn weighted_score(pairs: impl IntoIterator<Item = (Option<f64>, f64)>) -> (Option<f64>, f64) {
    let (mut weighted, mut weights, mut relevant, mut known) = (0.0, 0.0, 0u32, 0u32);
    for (score, weight) in pairs {
        if weight > 0.0 {
            relevant += 1;
            if let Some(score) = score {
                known += 1;
                weighted += weight * score;
                weights += weight;
            }
        }
    }
    let score = (weights > 0.0).then(|| weighted / weights);
    let confidence = if relevant == 0 {
        0.0
    } else {
        f64::from(known) / f64::from(relevant)
    };
    (score, confidence)
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
        let known: Vec<f64> = self.worlds.iter().flatten().copied().collect();
        if known.len() < 2 {
            return None;
        }
        let max = known.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = known.iter().copied().fold(f64::INFINITY, f64::min);
        Some(max - min)
    }

    /// The rounded figures of the results.
    pub fn result(&self) -> AspectResult {
        let basis = match (self.score, self.quick) {
            (Some(_), _) => Basis::Workshop,
            (None, Some(_)) => Basis::Quick,
            (None, None) => Basis::None,
        };
        let world = |w: World| self.worlds[world_index(w)].map(round3);
        AspectResult {
            id: self.id.clone(),
            title: self.title.clone(),
            score: self.score.map(round3),
            confidence: round3(self.confidence),
            quick: self.quick.map(round3),
            delta: self.score.zip(self.quick).map(|(s, q)| round3(s - q)),
            basis,
            contested: self.contested.clone(),
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
    World::ALL.iter().position(|w| *w == world).unwrap_or(0)
}

/// Figures of every aspect, in aspect order.
pub fn figures(workshop: &Workshop) -> Vec<AspectFigures> {
    workshop
        .aspects
        .iter()
        .map(|aspect| aspect_figures(workshop, aspect))
        .collect()
}

fn aspect_figures(workshop: &Workshop, aspect: &Aspect) -> AspectFigures {
    let factors: Vec<FactorFigures> = aspect.factors.iter().map(factor_figures).collect();
    let (score, confidence) = weighted_score(factors.iter().map(|f| (f.score, f.weight)));
    let quick = aspect
        .quick_agreed
        .map(f64::from)
        .or_else(|| median(aspect.quick.values().copied()));
    let contested = aspect
        .factors
        .iter()
        .zip(&factors)
        .filter(|(_, figures)| figures.contested)
        .map(|(factor, _)| factor.id.clone())
        .collect();
    let worlds = [
        World::Customer,
        World::Service,
        World::Management,
        World::Political,
    ]
    .map(|world| world_score(workshop, aspect, &factors, world));
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

/// S_k from one world's votes: median per factor of that world's participants' score votes
/// (agreed scores ignored), weights as for the whole workshop.
fn world_score(
    workshop: &Workshop,
    aspect: &Aspect,
    figures: &[FactorFigures],
    world: World,
) -> Option<f64> {
    let in_world = |participant: &String| {
        workshop
            .participants
            .get(participant)
            .is_some_and(|p| p.world == Some(world))
    };
    let pairs = aspect.factors.iter().zip(figures).map(|(factor, figures)| {
        let votes = factor
            .scores
            .iter()
            .filter(|(participant, _)| in_world(participant))
            .map(|(_, score)| *score);
        (median(votes), figures.weight)
    });
    weighted_score(pairs).0
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
