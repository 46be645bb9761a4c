//! [`Changes`]: which parts of a workshop document changed, as far as the reader cares.
//!
//! Filled from the paths of Yrs deep events (each names the shared type that changed, from its
//! root down), read by the model cache to re-read only those parts. A change is attributed to
//! the smallest thing the cache re-reads on its own: an entity map of a root (an aspect's own
//! fields, an approach, a participant, an item...), a factor, or the list of entries of a map
//! (entries added, removed or replaced). Score and weight votes, by far the most frequent
//! change, are finer still: the event names the participants whose vote changed, and only
//! those votes are read again. Anything else asks for a full re-read.

use std::collections::{HashMap, HashSet};

use yrs::types::PathSegment;

use crate::schema::{self, key};

/// A root map the reader reads entities from, and whose changes are tracked. `meta` is not
/// one: the reader reads a single value there, again every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    Aspects,
    Approaches,
    Participants,
    Groups,
    Items,
    Actions,
    Hypotheses,
    Gaps,
}

impl Root {
    /// Every tracked root.
    pub(crate) const ALL: [Root; 8] = [
        Root::Aspects,
        Root::Approaches,
        Root::Participants,
        Root::Groups,
        Root::Items,
        Root::Actions,
        Root::Hypotheses,
        Root::Gaps,
    ];

    /// The root's name in the document.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Root::Aspects => schema::ASPECTS,
            Root::Approaches => schema::APPROACHES,
            Root::Participants => schema::PARTICIPANTS,
            Root::Groups => schema::GROUPS,
            Root::Items => schema::ITEMS,
            Root::Actions => schema::ACTIONS,
            Root::Hypotheses => schema::HYPOTHESES,
            Root::Gaps => schema::GAPS,
        }
    }
}

/// Changes to one map of entities (a root, or an aspect's factors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SectionChanges {
    /// Entries were added, removed or replaced: the map's entries must be listed again.
    pub(crate) entries: bool,
    /// Entity maps whose content changed, by id.
    pub(crate) entities: HashSet<String>,
}

/// What changed in a document since the changes were last taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// Something changed that could not be attributed: everything must be read again.
    pub(crate) everything: bool,
    /// Per root, in [`Root::ALL`] order. For `aspects`, `entities` are aspects whose own
    /// fields (order, title, quick scores, which map holds the factors) may have changed.
    sections: [SectionChanges; 8],
    /// Per aspect id, changes to its factors.
    pub(crate) factors: HashMap<String, SectionChanges>,
    /// Per aspect id, per factor id: the participants whose score or weight vote changed.
    pub(crate) votes: HashMap<String, HashMap<String, VoteChanges>>,
}

/// The participants whose votes on one factor changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VoteChanges {
    /// In the factor's `scores`.
    pub(crate) scores: HashSet<String>,
    /// In the factor's `weights`.
    pub(crate) weights: HashSet<String>,
}

impl Changes {
    /// Changes that ask for everything to be read.
    pub(crate) fn all() -> Self {
        Changes {
            everything: true,
            ..Changes::default()
        }
    }

    /// The changes to a root's entities.
    pub(crate) fn section(&self, root: Root) -> &SectionChanges {
        &self.sections[root as usize]
    }

    fn section_mut(&mut self, root: Root) -> &mut SectionChanges {
        &mut self.sections[root as usize]
    }

    /// True when `path` below `root` is a factor's score or weight vote map: for a change
    /// there, [`Changes::note`] wants the keys that changed.
    pub(crate) fn is_vote_map(root: Root, path: &[PathSegment]) -> bool {
        root == Root::Aspects
            && matches!(
                path,
                [PathSegment::Key(_), factors, PathSegment::Key(_), votes]
                    if is_key(factors, key::FACTORS)
                        && (is_key(votes, key::SCORES) || is_key(votes, key::WEIGHTS))
            )
    }

    /// Records a change to the shared type at `path` below `root` (the path of a deep event);
    /// `keys`: the keys that changed, for a vote map (see [`Changes::is_vote_map`]).
    pub(crate) fn note(&mut self, root: Root, path: &[PathSegment], keys: Option<Vec<String>>) {
        if self.everything {
            return;
        }
        if let (Some(keys), [PathSegment::Key(aspect), _, PathSegment::Key(factor), votes]) =
            (keys, path)
        {
            if Changes::is_vote_map(root, path) {
                let changed = self
                    .votes
                    .entry(aspect.to_string())
                    .or_default()
                    .entry(factor.to_string())
                    .or_default();
                let participants = if is_key(votes, key::SCORES) {
                    &mut changed.scores
                } else {
                    &mut changed.weights
                };
                participants.extend(keys);
                return;
            }
        }
        let mut path = path.iter().peekable();
        let id = match path.next() {
            // The root map itself: entries added, removed or replaced.
            None => {
                self.section_mut(root).entries = true;
                return;
            }
            Some(PathSegment::Key(id)) => id,
            // A root holding a sequence: nothing the reader knows.
            Some(PathSegment::Index(_)) => {
                self.everything = true;
                return;
            }
        };
        if root == Root::Aspects && path.peek().is_some_and(|k| is_key(k, key::FACTORS)) {
            path.next();
            let factors = self.factors.entry(id.to_string()).or_default();
            match path.next() {
                None => factors.entries = true,
                Some(PathSegment::Key(factor)) => {
                    factors.entities.insert(factor.to_string());
                }
                Some(PathSegment::Index(_)) => self.everything = true,
            }
            return;
        }
        self.section_mut(root).entities.insert(id.to_string());
    }

    /// Every aspect with changes to its factors or their votes.
    pub(crate) fn aspects_with_factor_changes(&self) -> impl Iterator<Item = &str> + '_ {
        let votes_only = self
            .votes
            .keys()
            .filter(|aspect| !self.factors.contains_key(*aspect));
        self.factors.keys().chain(votes_only).map(String::as_str)
    }
}

fn is_key(segment: &PathSegment, name: &str) -> bool {
    matches!(segment, PathSegment::Key(k) if &**k == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn path(segments: &[&str]) -> Vec<PathSegment> {
        segments
            .iter()
            .map(|s| match s.parse::<u32>() {
                Ok(i) => PathSegment::Index(i),
                Err(_) => PathSegment::Key(Arc::from(*s)),
            })
            .collect()
    }

    fn noted(root: Root, segments: &[&str]) -> Changes {
        let mut changes = Changes::default();
        changes.note(root, &path(segments), None);
        changes
    }

    #[test]
    fn changes_land_on_the_smallest_part_read_alone() {
        let entries = noted(Root::Items, &[]);
        assert!(entries.section(Root::Items).entries);
        assert!(!entries.everything);

        let item = noted(Root::Items, &["i1", "dots"]);
        assert_eq!(
            item.section(Root::Items).entities,
            HashSet::from(["i1".to_string()])
        );
        assert!(!item.section(Root::Items).entries);

        let factor = noted(
            Root::Aspects,
            &["capacity", "factors", "confidence", "scores"],
        );
        assert_eq!(*factor.section(Root::Aspects), SectionChanges::default());
        assert_eq!(
            factor.factors["capacity"].entities,
            HashSet::from(["confidence".to_string()])
        );

        let factors = noted(Root::Aspects, &["capacity", "factors"]);
        assert!(factors.factors["capacity"].entries);

        let quick = noted(Root::Aspects, &["capacity", "quick"]);
        assert_eq!(
            quick.section(Root::Aspects).entities,
            HashSet::from(["capacity".to_string()])
        );
        assert!(quick.factors.is_empty());

        // Below an entity, an array position is just part of that entity.
        let group = noted(Root::Groups, &["g1", "aspects"]);
        assert!(group.section(Root::Groups).entities.contains("g1"));
    }

    #[test]
    fn what_cannot_be_attributed_asks_for_everything() {
        assert!(noted(Root::Aspects, &["0"]).everything);
        assert!(noted(Root::Aspects, &["capacity", "factors", "3"]).everything);
        let mut changes = noted(Root::Gaps, &["7"]);
        changes.note(Root::Gaps, &path(&["g"]), None);
        assert!(changes.everything);
        assert_eq!(*changes.section(Root::Gaps), SectionChanges::default());
    }

    #[test]
    fn vote_maps_record_the_participants_whose_vote_changed() {
        let scores = path(&["capacity", "factors", "confidence", "scores"]);
        let weights = path(&["capacity", "factors", "confidence", "weights"]);
        assert!(Changes::is_vote_map(Root::Aspects, &scores));
        assert!(Changes::is_vote_map(Root::Aspects, &weights));
        assert!(!Changes::is_vote_map(Root::Items, &scores));
        assert!(!Changes::is_vote_map(
            Root::Aspects,
            &path(&["capacity", "quick"])
        ));
        assert!(!Changes::is_vote_map(
            Root::Aspects,
            &path(&["capacity", "factors", "confidence", "notes"])
        ));

        let mut changes = Changes::default();
        changes.note(Root::Aspects, &scores, Some(vec!["p1".into()]));
        changes.note(Root::Aspects, &scores, Some(vec!["p2".into()]));
        changes.note(Root::Aspects, &weights, Some(vec!["p1".into()]));
        let votes = &changes.votes["capacity"]["confidence"];
        assert_eq!(
            votes.scores,
            HashSet::from(["p1".to_string(), "p2".to_string()])
        );
        assert_eq!(votes.weights, HashSet::from(["p1".to_string()]));
        assert!(changes.factors.is_empty());
        assert_eq!(
            changes.aspects_with_factor_changes().collect::<Vec<_>>(),
            ["capacity"]
        );

        // Without keys, the factor is read again whole.
        changes.note(Root::Aspects, &scores, None);
        assert!(changes.factors["capacity"].entities.contains("confidence"));
        assert_eq!(
            changes.aspects_with_factor_changes().collect::<Vec<_>>(),
            ["capacity"]
        );
    }
}
