//! [`ModelCache`]: a [`Workshop`] kept between reads of one document, brought up to date by
//! re-reading only the parts that [`Changes`] names.
//!
//! It reads with the reader's own per-entity functions and keeps, beside the model, a
//! [`Section`] per map of entities (every root, and each aspect's factors). The workshop it
//! holds is the one [`Workshop::read`] would give for the same document, warnings in the same
//! order, as long as the changes it is given cover every change made since the last refresh.

use yrs::branch::BranchID;
use yrs::{Map, MapRef, Out, ReadTxn};

use std::collections::HashSet;

use super::changes::{Changes, Root, SectionChanges, VoteChanges};
use super::path::Path;
use super::section::{branch_of, patch, Entity, Section, Sorted};
use super::{
    Action, Approach, Aspect, Factor, Group, Item, Participant, Participants, Reader, Workshop,
};
use crate::engine::kept::Versions;
use crate::results::Warning;
use crate::schema::{self, key};
use crate::value::{self, Read};

/// A workshop model kept up to date with one document.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModelCache {
    /// The model as of the last refresh.
    workshop: Workshop,
    /// False until the first refresh.
    read: bool,
    aspects: Section<AspectExtra>,
    approaches: Section<()>,
    participants: Section<Participant>,
    groups: Section<()>,
    items: Section<()>,
    actions: Section<()>,
    hypotheses: Section<()>,
    gaps: Section<()>,
    /// The warning about `meta/selected_approach`, if any.
    selected_warnings: Vec<Warning>,
    /// The version the participants were last given.
    participants_version: u64,
    /// The last version given to a part; never reset, so a version is never given twice.
    last_version: u64,
}

/// What an aspect keeps beside its own fields: where its factors are and what they gave.
#[derive(Debug, Clone, Default)]
struct AspectExtra {
    /// Changes whenever the aspect (its own fields or its factors) may have.
    version: u64,
    /// The id of the aspect's factors map, when it has one.
    factors_map: Option<BranchID>,
    /// The warning about a `factors` value that is not a map.
    factors_warnings: Vec<Warning>,
    /// Its factors.
    factors: Section<()>,
}

impl ModelCache {
    /// The model as of the last refresh.
    pub(crate) fn workshop(&self) -> &Workshop {
        &self.workshop
    }

    /// Brings the model up to date with the document, re-reading what `changes` names (and
    /// everything on the first call). Versions change with the parts read again that came out
    /// different.
    pub(crate) fn refresh<T: ReadTxn>(&mut self, txn: &T, changes: &Changes) {
        let everything = changes.everything || !self.read;
        if everything {
            // Versions go on from where they were: every part read now gets a new one.
            *self = ModelCache {
                last_version: self.last_version + 1,
                participants_version: self.last_version + 1,
                ..ModelCache::default()
            };
        }
        self.read = true;
        let mut reader = Reader::new(txn);
        let relist = |root: Root| everything || changes.section(root).entries;
        let none = SectionChanges::default();
        let section = |root: Root| {
            if everything {
                &none
            } else {
                changes.section(root)
            }
        };

        let mut changed = everything;
        changed |= self.refresh_aspects(&mut reader, changes, everything);
        let workshop = &mut self.workshop;
        changed |= refresh_list(
            &mut reader,
            &mut self.approaches,
            &mut workshop.approaches,
            Root::Approaches,
            (relist(Root::Approaches), section(Root::Approaches)),
            Sorted::ByOrder,
            |reader, id, map, path| {
                let (order, approach) = reader.approach(id, map, path);
                (order, Some(approach))
            },
        );
        let selected = reader.selected_approach(&workshop.approaches);
        let selected_warnings = std::mem::take(&mut reader.warnings);
        changed |=
            selected != workshop.selected_approach || selected_warnings != self.selected_warnings;
        workshop.selected_approach = selected;
        self.selected_warnings = selected_warnings;
        if refresh_participants(
            &mut reader,
            &mut self.participants,
            &mut workshop.participants,
            (relist(Root::Participants), section(Root::Participants)),
        ) {
            changed = true;
            self.last_version += 1;
            self.participants_version = self.last_version;
        }
        changed |= refresh_list(
            &mut reader,
            &mut self.groups,
            &mut workshop.groups,
            Root::Groups,
            (relist(Root::Groups), section(Root::Groups)),
            Sorted::ByOrder,
            |reader, id, map, path| {
                let (order, group) = reader.group(id, map, path);
                (order, Some(group))
            },
        );
        changed |= refresh_list(
            &mut reader,
            &mut self.items,
            &mut workshop.items,
            Root::Items,
            (relist(Root::Items), section(Root::Items)),
            Sorted::ById,
            |reader, id, map, path| (None, reader.item(id, map, path)),
        );
        changed |= refresh_list(
            &mut reader,
            &mut self.actions,
            &mut workshop.actions,
            Root::Actions,
            (relist(Root::Actions), section(Root::Actions)),
            Sorted::ById,
            |reader, id, map, path| (None, Some(reader.action(id, map, path))),
        );
        for (root, section_cache, count) in [
            (
                Root::Hypotheses,
                &mut self.hypotheses,
                &mut workshop.hypotheses,
            ),
            (Root::Gaps, &mut self.gaps, &mut workshop.gaps),
        ] {
            changed |= refresh_counted(
                &mut reader,
                section_cache,
                root,
                (relist(root), section(root)),
            );
            *count = section_cache.len;
        }
        if changed {
            self.collect_warnings();
        }
    }

    /// The aspects and their factors.
    fn refresh_aspects<T: ReadTxn>(
        &mut self,
        reader: &mut Reader<'_, T>,
        changes: &Changes,
        everything: bool,
    ) -> bool {
        let root_map = reader.txn.get_map(schema::ASPECTS);
        let root = Path::root(schema::ASPECTS);
        let own = changes.section(Root::Aspects);
        let synced = self.aspects.sync(
            reader,
            root_map.as_ref(),
            &root,
            everything || own.entries,
            &own.entities,
        );
        let mut changed = synced.changed;
        let aspects = &mut self.workshop.aspects;
        let before = aspects.len();
        aspects.retain(|aspect| self.aspects.contains(&aspect.id));
        changed |= aspects.len() != before;

        let mut reread = vec![false; self.aspects.slots.len()];
        let mut touched = Vec::new();
        for to_read in synced.to_read {
            reread[to_read.position] = true;
            if reread_aspect(
                reader,
                &mut self.aspects,
                aspects,
                &to_read.map,
                to_read.position,
                to_read.new,
                changes,
            ) {
                touched.push(to_read.position);
            }
        }
        if !everything {
            for id in changes.aspects_with_factor_changes() {
                let Some(position) = self.aspects.position_of(id) else {
                    // An aspect no longer there (or not a map).
                    continue;
                };
                if reread[position] {
                    continue;
                }
                if refresh_factors_of(
                    reader,
                    &mut self.aspects,
                    aspects,
                    root_map.as_ref(),
                    position,
                    changes,
                ) {
                    touched.push(position);
                }
            }
        }
        changed |= !touched.is_empty();
        for position in touched {
            self.last_version += 1;
            if let Some(slot) = self.aspects.slots.get_mut(position) {
                slot.extra.version = self.last_version;
            }
        }
        if changed {
            let section = &self.aspects;
            aspects.sort_by(|a, b| {
                super::entity_order(
                    (section.order_of(&a.id), &a.id),
                    (section.order_of(&b.id), &b.id),
                )
            });
        }
        changed
    }

    /// Puts together the workshop's warnings from each part, in the reader's order.
    fn collect_warnings(&mut self) {
        let warnings = &mut self.workshop.warnings;
        warnings.clear();
        warnings.extend_from_slice(self.aspects.strays());
        for aspect in &self.aspects.slots {
            warnings.extend_from_slice(&aspect.warnings);
            warnings.extend_from_slice(&aspect.extra.factors_warnings);
            aspect.extra.factors.warnings_into(warnings);
        }
        self.approaches.warnings_into(warnings);
        warnings.extend_from_slice(&self.selected_warnings);
        self.participants.warnings_into(warnings);
        self.groups.warnings_into(warnings);
        self.items.warnings_into(warnings);
        self.actions.warnings_into(warnings);
        self.hypotheses.warnings_into(warnings);
        self.gaps.warnings_into(warnings);
    }
}

impl Versions for ModelCache {
    fn participants(&self) -> u64 {
        self.participants_version
    }

    fn aspect(&self, id: &str) -> Option<u64> {
        let position = self.aspects.position_of(id)?;
        Some(self.aspects.slots.get(position)?.extra.version)
    }
}

/// Reads an aspect's own fields again, and lists its factors again (reading those that are
/// new, replaced or changed). `new`: the aspect was added or its map replaced.
fn reread_aspect<T: ReadTxn>(
    reader: &mut Reader<'_, T>,
    section: &mut Section<AspectExtra>,
    aspects: &mut Vec<Aspect>,
    map: &MapRef,
    position: usize,
    new: bool,
    changes: &Changes,
) -> bool {
    let Some(slot) = section.slots.get(position) else {
        return true;
    };
    let id = slot.id.clone();
    let path = Path::root(schema::ASPECTS);
    let path = path.join(&id);
    let (order, fresh) = reader.aspect(&id, map, &path);
    let mut changed = section.settle(position, order, reader);
    let factors_path = path.join(key::FACTORS);
    let factors_map = reader.factors_map(map, &factors_path);
    let factors_warnings = std::mem::take(&mut reader.warnings);

    let at = aspects.iter().position(|a| a.id == id);
    let aspect = match at {
        Some(at) if !new => {
            let old = &mut aspects[at];
            changed |= old.title != fresh.title
                || old.quick != fresh.quick
                || old.quick_agreed != fresh.quick_agreed;
            old.title = fresh.title;
            old.quick = fresh.quick;
            old.quick_agreed = fresh.quick_agreed;
            old
        }
        at => {
            // Added, or a new map under the same id: nothing of the old one is kept.
            changed = true;
            if let Some(at) = at {
                aspects.remove(at);
            }
            aspects.push(fresh);
            let last = aspects.len() - 1;
            &mut aspects[last]
        }
    };
    let Some(extra) = section.slots.get_mut(position).map(|slot| &mut slot.extra) else {
        return true;
    };
    changed |= extra.factors_warnings != factors_warnings;
    extra.factors_warnings = factors_warnings;
    let branch = factors_map.as_ref().map(branch_of);
    if branch != extra.factors_map {
        changed = true;
        extra.factors_map = branch;
        extra.factors = Section::default();
    }
    changed |= refresh_list_in(
        reader,
        &mut extra.factors,
        &mut aspect.factors,
        factors_map.as_ref(),
        &factors_path,
        (true, &factors_to_read(changes, &id)),
        Sorted::ByOrder,
        |reader, id, map, path| {
            let (order, factor) = reader.factor(id, map, path);
            (order, Some(factor))
        },
    );
    changed
}

/// The factors of aspect `id` that changed, or whose votes did: those a relisting reads.
fn factors_to_read(changes: &Changes, id: &str) -> HashSet<String> {
    let mut factors = changes
        .factors
        .get(id)
        .map(|factors| factors.entities.clone())
        .unwrap_or_default();
    if let Some(votes) = changes.votes.get(id) {
        factors.extend(votes.keys().cloned());
    }
    factors
}

/// Brings the factors of the aspect at `position` up to date with `changes`, the aspect's own
/// fields unchanged: changed votes alone are read one by one, changed factors whole. Reads the
/// aspect again when its maps are not the ones read before.
fn refresh_factors_of<T: ReadTxn>(
    reader: &mut Reader<'_, T>,
    section: &mut Section<AspectExtra>,
    aspects: &mut Vec<Aspect>,
    root_map: Option<&MapRef>,
    position: usize,
    changes: &Changes,
) -> bool {
    let Some(slot) = section.slots.get(position) else {
        return true;
    };
    let Some(Out::YMap(aspect_map)) = root_map.and_then(|root| root.get(reader.txn, &slot.id))
    else {
        return true;
    };
    let factors_map = match aspect_map.get(reader.txn, key::FACTORS) {
        Some(Out::YMap(factors)) => Some(factors),
        _ => None,
    };
    let same_maps = slot.branch_is(&branch_of(&aspect_map))
        && factors_map.as_ref().map(branch_of) == slot.extra.factors_map;
    let at = aspects.iter().position(|a| a.id == slot.id);
    let (Some(factors_map), Some(at), true) = (factors_map, at, same_maps) else {
        // Not what was read before: read the whole aspect again.
        return reread_aspect(
            reader,
            section,
            aspects,
            &aspect_map,
            position,
            false,
            changes,
        );
    };
    let Some(slot) = section.slots.get_mut(position) else {
        return true;
    };
    let none = SectionChanges::default();
    let list = changes.factors.get(&slot.id).unwrap_or(&none);
    let factors = &mut aspects[at].factors;
    let mut changed = false;
    let mut to_read = list.entities.clone();
    for (factor, votes) in changes.votes.get(&slot.id).into_iter().flatten() {
        if to_read.contains(factor) {
            continue;
        }
        let patched = if list.entries {
            // Listed again below: read whole.
            None
        } else {
            patch_votes(
                reader,
                &slot.extra.factors,
                factors,
                &factors_map,
                factor,
                votes,
            )
        };
        match patched {
            Some(differs) => changed |= differs,
            None => {
                to_read.insert(factor.clone());
            }
        }
    }
    let path = Path::root(schema::ASPECTS);
    let path = path.join(&slot.id);
    let factors_path = path.join(key::FACTORS);
    changed |= refresh_list_in(
        reader,
        &mut slot.extra.factors,
        factors,
        Some(&factors_map),
        &factors_path,
        (list.entries, &to_read),
        Sorted::ByOrder,
        |reader, id, map, path| {
            let (order, factor) = reader.factor(id, map, path);
            (order, Some(factor))
        },
    );
    changed
}

/// Applies the changed votes of factor `id`, reading only those votes; returns whether any
/// differs. `None` when the factor must be read whole instead: it was not read before as this
/// map, its reading gave warnings (a vote's validity could change them), or a changed vote is
/// not valid (it needs a warning). Nothing is applied then.
fn patch_votes<T: ReadTxn>(
    reader: &Reader<'_, T>,
    section: &Section<()>,
    factors: &mut [Factor],
    factors_map: &MapRef,
    id: &str,
    changed: &VoteChanges,
) -> Option<bool> {
    let slot = section.slots.get(section.position_of(id)?)?;
    let Some(Out::YMap(map)) = factors_map.get(reader.txn, id) else {
        return None;
    };
    if !slot.warnings.is_empty() || !slot.branch_is(&branch_of(&map)) {
        return None;
    }
    // Every changed vote read first, so that nothing is applied when one cannot be.
    let mut votes: Vec<(bool, &str, Option<u8>)> = Vec::new();
    for (scores, k, participants, range) in [
        (true, key::SCORES, &changed.scores, schema::SCORE_RANGE),
        (false, key::WEIGHTS, &changed.weights, schema::WEIGHT_RANGE),
    ] {
        if participants.is_empty() {
            continue;
        }
        let Some(Out::YMap(vote_map)) = map.get(reader.txn, k) else {
            return None;
        };
        for participant in participants {
            let vote = match value::int_in(vote_map.get(reader.txn, participant).as_ref(), range) {
                Read::Valid(vote) => Some(vote),
                Read::Unset => None,
                Read::Invalid => return None,
            };
            votes.push((scores, participant, vote));
        }
    }
    let factor = factors.iter_mut().find(|factor| factor.id == id)?;
    let mut differs = false;
    for (scores, participant, vote) in votes {
        let votes = if scores {
            &mut factor.scores
        } else {
            &mut factor.weights
        };
        differs |= match vote {
            Some(vote) => votes.set(participant, vote),
            None => votes.remove(participant),
        };
    }
    Some(differs)
}

/// Brings a root's list of entities up to date. `(relist, changes)`: whether to list the
/// entries again, and which entity maps changed.
fn refresh_list<T: ReadTxn, E: Entity, X: Default>(
    reader: &mut Reader<'_, T>,
    section: &mut Section<X>,
    entities: &mut Vec<E>,
    root: Root,
    changes: (bool, &SectionChanges),
    sorted: Sorted,
    mut read: impl FnMut(&mut Reader<'_, T>, &str, &MapRef, &Path<'_>) -> (Option<f64>, Option<E>),
) -> bool {
    if !changes.0 && changes.1.entities.is_empty() {
        return false;
    }
    let map = reader.txn.get_map(root.name());
    let path = Path::root(root.name());
    refresh_list_in(
        reader,
        section,
        entities,
        map.as_ref(),
        &path,
        (changes.0, &changes.1.entities),
        sorted,
        &mut read,
    )
}

/// [`refresh_list`] over any map of entities at `path`.
#[allow(clippy::too_many_arguments)]
fn refresh_list_in<T: ReadTxn, E: Entity, X: Default>(
    reader: &mut Reader<'_, T>,
    section: &mut Section<X>,
    entities: &mut Vec<E>,
    map: Option<&MapRef>,
    path: &Path<'_>,
    (relist, dirty): (bool, &HashSet<String>),
    sorted: Sorted,
    mut read: impl FnMut(&mut Reader<'_, T>, &str, &MapRef, &Path<'_>) -> (Option<f64>, Option<E>),
) -> bool {
    let synced = section.sync(reader, map, path, relist, dirty);
    let mut changed = synced.changed;
    let mut fresh = Vec::with_capacity(synced.to_read.len());
    for to_read in synced.to_read {
        let Some(slot) = section.slots.get(to_read.position) else {
            continue;
        };
        let (order, entity) = read(reader, &slot.id, &to_read.map, &path.join(&slot.id));
        changed |= section.settle(to_read.position, order, reader);
        fresh.push((to_read.position, entity));
    }
    changed |= patch(entities, fresh, section, sorted);
    changed
}

/// Brings the registered participants up to date.
fn refresh_participants<T: ReadTxn>(
    reader: &mut Reader<'_, T>,
    section: &mut Section<Participant>,
    participants: &mut Participants,
    (relist, changes): (bool, &SectionChanges),
) -> bool {
    if !relist && changes.entities.is_empty() {
        return false;
    }
    let map = reader.txn.get_map(schema::PARTICIPANTS);
    let path = Path::root(schema::PARTICIPANTS);
    let synced = section.sync(reader, map.as_ref(), &path, relist, &changes.entities);
    let mut changed = synced.changed;
    for to_read in synced.to_read {
        let Some(slot) = section.slots.get(to_read.position) else {
            continue;
        };
        let participant = reader.participant(&to_read.map, &path.join(&slot.id));
        changed |= section.settle(to_read.position, None, reader);
        if let Some(slot) = section.slots.get_mut(to_read.position) {
            changed |= slot.extra != participant;
            slot.extra = participant;
        }
    }
    if changed {
        *participants = Participants::from_distinct(
            section
                .slots
                .iter()
                .map(|slot| (slot.id.clone(), slot.extra.clone()))
                .collect(),
        );
    }
    changed
}

/// Brings a root whose entities are only counted (hypotheses, gaps) up to date.
fn refresh_counted<T: ReadTxn>(
    reader: &mut Reader<'_, T>,
    section: &mut Section<()>,
    root: Root,
    (relist, changes): (bool, &SectionChanges),
) -> bool {
    if !relist && changes.entities.is_empty() {
        return false;
    }
    let map = reader.txn.get_map(root.name());
    let path = Path::root(root.name());
    let synced = section.sync(reader, map.as_ref(), &path, relist, &changes.entities);
    let mut changed = synced.changed;
    for to_read in synced.to_read {
        let Some(slot) = section.slots.get(to_read.position) else {
            continue;
        };
        let order = reader.order(&to_read.map, &path.join(&slot.id));
        changed |= section.settle(to_read.position, order, reader);
    }
    changed
}

impl Entity for Factor {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Entity for Approach {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Entity for Group {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Entity for Item {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Entity for Action {
    fn id(&self) -> &str {
        &self.id
    }
}
