//! [`Section`]: the entity maps of one map of entities (a root, or an aspect's factors) as last
//! read, so that reading it again can skip the entities that did not change.
//!
//! A section keeps, per entity map, the map's Yrs id (a map put under the same key again is a
//! new map, with a new id), its `order` and the warnings reading it gave, in the map's
//! iteration order: the order in which the reader meets them, so warnings come out in the
//! same order as from a full read.

use std::collections::{HashMap, HashSet};

use yrs::branch::{Branch, BranchID};
use yrs::{Map, MapRef, ReadTxn};

use super::path::Path;
use super::{entity_order, Reader};
use crate::results::Warning;

/// One entity map as last read.
#[derive(Debug, Clone)]
pub(super) struct Slot<X> {
    /// The entity's id: its key in the map.
    pub(super) id: String,
    /// Which map was read.
    branch: BranchID,
    /// Its `order`, when valid.
    order: Option<f64>,
    /// The warnings reading it gave.
    pub(super) warnings: Vec<Warning>,
    /// Whatever else the owner of the section keeps per entity.
    pub(super) extra: X,
}

impl<X> Slot<X> {
    /// True when the map read was the one with this id.
    pub(super) fn branch_is(&self, branch: &BranchID) -> bool {
        self.branch == *branch
    }
}

/// The entity maps of one map of entities as last read.
#[derive(Debug, Clone)]
pub(super) struct Section<X> {
    /// In the map's iteration order.
    pub(super) slots: Vec<Slot<X>>,
    /// The position of each id in `slots`.
    index: HashMap<String, usize>,
    /// Warnings about entries that are not maps, in iteration order.
    strays: Vec<Warning>,
    /// Number of entries that are set (maps or not; `null` is no entry).
    pub(super) len: usize,
}

impl<X> Default for Section<X> {
    fn default() -> Self {
        Section {
            slots: Vec::new(),
            index: HashMap::new(),
            strays: Vec::new(),
            len: 0,
        }
    }
}

/// An entity map to read, found by [`Section::sync`].
pub(super) struct ToRead {
    /// Its position in the section's slots.
    pub(super) position: usize,
    /// The map.
    pub(super) map: MapRef,
    /// True when the slot is new: the entity was added, or its map replaced.
    pub(super) new: bool,
}

/// What [`Section::sync`] found.
pub(super) struct Synced {
    /// The entity maps to read again, in iteration order.
    pub(super) to_read: Vec<ToRead>,
    /// Entries were added, removed, replaced or moved in iteration order, or the warnings about
    /// entries that are not maps changed.
    pub(super) changed: bool,
}

/// The Yrs id of a map.
pub(super) fn branch_of(map: &MapRef) -> BranchID {
    <MapRef as AsRef<Branch>>::as_ref(map).id()
}

impl<X: Default> Section<X> {
    /// Brings the list of entities up to date with `map` and says which to read again: all of
    /// them when `relist` lists the entries afresh (the map's entries changed), else those in
    /// `dirty` (ids of entity maps whose content changed).
    pub(super) fn sync<T: ReadTxn>(
        &mut self,
        reader: &mut Reader<'_, T>,
        map: Option<&MapRef>,
        path: &Path<'_>,
        relist: bool,
        dirty: &HashSet<String>,
    ) -> Synced {
        let Some(map) = map else {
            let changed = self.len > 0 || !self.slots.is_empty();
            *self = Section::default();
            return Synced {
                to_read: Vec::new(),
                changed,
            };
        };
        if relist {
            return self.relist(reader, map, path, dirty);
        }
        let mut to_read = Vec::with_capacity(dirty.len());
        for id in dirty {
            let current = match map.get(reader.txn, id) {
                Some(yrs::Out::YMap(entity)) => Some(entity),
                _ => None,
            };
            match (self.index.get(id), current) {
                (Some(&position), Some(entity))
                    if self
                        .slots
                        .get(position)
                        .is_some_and(|slot| slot.branch == branch_of(&entity)) =>
                {
                    to_read.push(ToRead {
                        position,
                        map: entity,
                        new: false,
                    });
                }
                // A change inside a map no longer there (or not yet known): nothing to read.
                (None, None) => {}
                // The entries changed after all: list them again.
                _ => return self.relist(reader, map, path, dirty),
            }
        }
        // Read in iteration order, as the reader does (the warnings go to the slots anyway).
        to_read.sort_unstable_by_key(|r| r.position);
        Synced {
            to_read,
            changed: false,
        }
    }

    /// Lists the entries of `map` afresh, keeping what was read of the entity maps that are
    /// still there (same id, same map) and not in `dirty`.
    fn relist<T: ReadTxn>(
        &mut self,
        reader: &mut Reader<'_, T>,
        map: &MapRef,
        path: &Path<'_>,
        dirty: &HashSet<String>,
    ) -> Synced {
        let mut old: Vec<Option<Slot<X>>> = std::mem::take(&mut self.slots)
            .into_iter()
            .map(Some)
            .collect();
        let old_index = std::mem::take(&mut self.index);
        let old_strays = std::mem::take(&mut self.strays);
        let old_len = self.len;

        let pending = reader.warnings.len();
        let entries = reader.entries_of(map, path);
        self.strays = reader.warnings.split_off(pending);
        self.len = super::set_entries(map, reader.txn);
        let mut changed = self.strays != old_strays || self.len != old_len;
        let mut to_read = Vec::new();
        for (id, entity) in entries {
            let branch = branch_of(&entity);
            let position = self.slots.len();
            let before = old_index.get(&id).copied();
            // Moved in iteration order: the warnings come out in another order.
            changed |= before.is_some_and(|before| before != position);
            let kept = before
                .and_then(|before| old.get_mut(before).and_then(Option::take))
                .filter(|slot| slot.branch == branch);
            match kept {
                Some(slot) => {
                    if dirty.contains(&id) {
                        to_read.push(ToRead {
                            position,
                            map: entity,
                            new: false,
                        });
                    }
                    self.slots.push(slot);
                }
                None => {
                    changed = true;
                    to_read.push(ToRead {
                        position,
                        map: entity,
                        new: true,
                    });
                    self.slots.push(Slot {
                        id: id.clone(),
                        branch,
                        order: None,
                        warnings: Vec::new(),
                        extra: X::default(),
                    });
                }
            }
            self.index.insert(id, position);
        }
        // Entity maps gone (or replaced: a replaced one was taken and dropped above).
        changed |= old.iter().any(Option::is_some);
        Synced { to_read, changed }
    }

    /// Records what reading the entity at `position` gave: its order and the reader's pending
    /// warnings. Returns whether either differs from before.
    pub(super) fn settle<T: ReadTxn>(
        &mut self,
        position: usize,
        order: Option<f64>,
        reader: &mut Reader<'_, T>,
    ) -> bool {
        let warnings = std::mem::take(&mut reader.warnings);
        let Some(slot) = self.slots.get_mut(position) else {
            return true;
        };
        // Orders compare bit for bit: NaN never gets here (invalid), and -0.0 against 0.0 is a
        // change that sorts the same, which costs one recompute at most.
        let changed =
            slot.order.map(f64::to_bits) != order.map(f64::to_bits) || slot.warnings != warnings;
        slot.order = order;
        slot.warnings = warnings;
        changed
    }

    /// True when an entity map with this id was read.
    pub(super) fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// The position of the entity map `id` in the slots.
    pub(super) fn position_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The order read for the entity `id`.
    pub(super) fn order_of(&self, id: &str) -> Option<f64> {
        let position = self.index.get(id)?;
        self.slots.get(*position)?.order
    }

    /// Appends the warnings of the entries that are not maps, then of each entity map, in the
    /// reader's order.
    pub(super) fn warnings_into(&self, out: &mut Vec<Warning>) {
        out.extend_from_slice(&self.strays);
        for slot in &self.slots {
            out.extend_from_slice(&slot.warnings);
        }
    }

    /// The warnings of the entries that are not maps.
    pub(super) fn strays(&self) -> &[Warning] {
        &self.strays
    }
}

/// An entity of the model, kept in a list.
pub(super) trait Entity: PartialEq {
    /// Its id.
    fn id(&self) -> &str;
}

/// How a list of entities is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sorted {
    /// By `order`, then id (5.1 rule 1).
    ByOrder,
    /// By id.
    ById,
}

/// Brings `entities` up to date with `section`: puts the entities read again in place of those
/// with their id (`None`: the entity is left out, as an item with an invalid kind), drops those
/// the section no longer holds, and sorts. Returns whether the list differs from before.
pub(super) fn patch<E: Entity, X: Default>(
    entities: &mut Vec<E>,
    fresh: Vec<(usize, Option<E>)>,
    section: &Section<X>,
    sorted: Sorted,
) -> bool {
    let mut changed = false;
    let mut fresh: HashMap<&str, (Option<E>, bool)> = fresh
        .into_iter()
        .filter_map(|(position, entity)| {
            let id = section.slots.get(position)?.id.as_str();
            Some((id, (entity, false)))
        })
        .collect();
    entities.retain(|old| match fresh.get_mut(old.id()) {
        Some((new, seen)) => {
            *seen = true;
            changed |= new.as_ref() != Some(old);
            false
        }
        None if section.contains(old.id()) => true,
        None => {
            changed = true;
            false
        }
    });
    let mut reordered = changed;
    for (new, seen) in fresh.into_values() {
        changed |= !seen && new.is_some();
        reordered |= new.is_some();
        entities.extend(new);
    }
    if reordered {
        // Those read again went to the end, and their order may have changed.
        match sorted {
            Sorted::ById => entities.sort_by(|a, b| a.id().cmp(b.id())),
            Sorted::ByOrder => entities.sort_by(|a, b| {
                entity_order(
                    (section.order_of(a.id()), a.id()),
                    (section.order_of(b.id()), b.id()),
                )
            }),
        }
    }
    changed
}
