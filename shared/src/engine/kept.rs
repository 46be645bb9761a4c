//! [`KeptFigures`]: the figures of each aspect, kept between computes of one workshop.
//!
//! Working out the aspects' figures is most of the engine's time (every vote of every factor).
//! They depend on the aspect itself and on the participants' worlds, nothing else, so after a
//! change to one aspect the others' figures can be reused. Whoever keeps the workshop says what
//! changed through versions: an aspect's version changes whenever the aspect may have, and the
//! participants' version whenever any participant may have.

use std::collections::HashMap;

use time::Date;

use super::aspects::{aspect_figures, AspectFigures};
use super::compute_from;
use crate::model::Workshop;
use crate::results::Results;

/// Versions of the parts of a workshop the aspects' figures depend on.
pub(crate) trait Versions {
    /// The version of the participants.
    fn participants(&self) -> u64;
    /// The version of aspect `id`; `None` when unknown (its figures are worked out again).
    fn aspect(&self, id: &str) -> Option<u64>;
}

/// The figures of each aspect as last worked out, with the versions they were worked out at.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeptFigures {
    /// The participants' version the figures below rest on.
    participants: Option<u64>,
    /// Per aspect id: its version, and its figures.
    aspects: HashMap<String, (u64, AspectFigures)>,
}

impl KeptFigures {
    /// The results of `workshop` as of `today`, exactly as [`compute`](super::compute) gives
    /// them, reusing the figures of each aspect whose version (and the participants') has not
    /// changed since they were worked out.
    pub(crate) fn compute(
        &mut self,
        workshop: &Workshop,
        versions: &impl Versions,
        today: Date,
    ) -> Results {
        if self.participants != Some(versions.participants()) {
            self.aspects.clear();
            self.participants = Some(versions.participants());
        }
        let figures: Vec<AspectFigures> = workshop
            .aspects
            .iter()
            .map(|aspect| {
                let version = versions.aspect(&aspect.id);
                match (self.aspects.get(&aspect.id), version) {
                    (Some((kept, figures)), Some(version)) if *kept == version => figures.clone(),
                    (_, version) => {
                        let figures = aspect_figures(workshop, aspect);
                        if let Some(version) = version {
                            self.aspects
                                .insert(aspect.id.clone(), (version, figures.clone()));
                        }
                        figures
                    }
                }
            })
            .collect();
        if self.aspects.len() > figures.len() {
            self.aspects
                .retain(|id, _| figures.iter().any(|figures| figures.id == *id));
        }
        compute_from(workshop, figures, today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compute;
    use crate::engine::fixtures::{aspect, participants, scored, workshop};
    use crate::schema::World;
    use time::macros::date;

    struct Fixed {
        participants: u64,
        aspects: Vec<(&'static str, u64)>,
    }

    impl Versions for Fixed {
        fn participants(&self) -> u64 {
            self.participants
        }
        fn aspect(&self, id: &str) -> Option<u64> {
            self.aspects.iter().find(|(a, _)| *a == id).map(|(_, v)| *v)
        }
    }

    #[test]
    fn reuses_figures_only_at_the_same_versions() {
        let today = date!(2026 - 11 - 23);
        let mut w = workshop(
            vec![
                aspect("a", vec![scored("f", &[("c", 1), ("s", 5)])]),
                aspect("b", vec![scored("g", &[("c", 3)])]),
            ],
            Vec::new(),
        );
        w.participants = participants(&[("c", Some(World::Customer)), ("s", Some(World::Service))]);
        let mut kept = KeptFigures::default();
        let mut versions = Fixed {
            participants: 1,
            aspects: vec![("a", 1), ("b", 1)],
        };
        assert_eq!(kept.compute(&w, &versions, today), compute(&w, today));

        // A change the versions do not show is not seen: the figures are reused.
        w.aspects[1].factors[0].scores.insert("c", 5);
        let stale = kept.compute(&w, &versions, today);
        assert_ne!(stale, compute(&w, today));
        versions.aspects[1].1 = 2;
        assert_eq!(kept.compute(&w, &versions, today), compute(&w, today));

        // The participants' worlds change every aspect's world scores.
        w.participants =
            participants(&[("c", Some(World::Political)), ("s", Some(World::Service))]);
        versions.participants = 2;
        assert_eq!(kept.compute(&w, &versions, today), compute(&w, today));

        // An aspect without a version is always worked out again; one gone is forgotten.
        versions.aspects.truncate(1);
        w.aspects[1].factors[0].scores.insert("c", 1);
        assert_eq!(kept.compute(&w, &versions, today), compute(&w, today));
        w.aspects.truncate(1);
        assert_eq!(kept.compute(&w, &versions, today), compute(&w, today));
        assert_eq!(kept.aspects.len(), 1);
    }
}
