//! [`Votes`]: the valid votes of one vote map, stored compactly.
//!
//! A full workshop holds thousands of votes; giving each participant id its own `String` in a
//! tree map made reading a document mostly allocation. Here the ids of one vote map share one
//! buffer and the entries sit in one vector, so a vote map costs two allocations of exactly
//! the size it needs.

use std::collections::BTreeMap;
use std::fmt;

/// Votes on one value: participant id → valid value. Every key counts (5.1 rule 5).
///
/// Entries keep the order they were added in (for a read document, the document's own order,
/// which carries no meaning); nothing computed from votes depends on it. Two `Votes` are equal
/// when they hold the same ids with the same values, in whatever order.
#[derive(Clone, Default)]
pub struct Votes {
    /// The ids, one after another.
    ids: String,
    /// Per vote: where its id ends in `ids`, and its value.
    entries: Vec<(u32, u8)>,
}

impl Votes {
    /// No votes.
    pub fn new() -> Self {
        Votes::default()
    }

    /// A copy of these votes that holds no spare room, leaving this one empty: the reader
    /// collects each vote map in one reused buffer, then keeps an exact copy.
    pub(crate) fn take_exact(&mut self) -> Votes {
        let exact = Votes {
            ids: self.ids.as_str().to_owned(),
            entries: self.entries.clone(),
        };
        self.ids.clear();
        self.entries.clear();
        exact
    }

    /// Adds the vote of a participant who has none here yet (the keys of one vote map).
    #[inline]
    pub(crate) fn push(&mut self, id: &str, value: u8) {
        self.ids.push_str(id);
        let end = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.entries.push((end, value));
    }

    /// Sets a participant's vote, replacing the one they had (a linear search: for votes made
    /// by hand, not for reading a document).
    pub fn insert(&mut self, id: &str, value: u8) {
        let mut start = 0;
        for (end, old) in &mut self.entries {
            if self.ids.get(start..*end as usize) == Some(id) {
                *old = value;
                return;
            }
            start = *end as usize;
        }
        self.push(id, value);
    }

    /// Sets a participant's vote as [`Votes::insert`] does; returns whether it differs from
    /// the vote they had.
    pub(crate) fn set(&mut self, id: &str, value: u8) -> bool {
        let changed = self.get(id) != Some(&value);
        if changed {
            self.insert(id, value);
        }
        changed
    }

    /// Removes a participant's vote; returns whether they had one.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        let mut start = 0;
        let Some(at) = self.entries.iter().position(|(end, _)| {
            let found = self.ids.get(start..*end as usize) == Some(id);
            start = *end as usize;
            found
        }) else {
            return false;
        };
        let end = self.entries[at].0 as usize;
        let begin = at
            .checked_sub(1)
            .map_or(0, |before| self.entries[before].0 as usize);
        self.ids.replace_range(begin..end, "");
        self.entries.remove(at);
        let removed = u32::try_from(end - begin).unwrap_or(u32::MAX);
        for (later, _) in &mut self.entries[at..] {
            *later -= removed;
        }
        true
    }

    /// The vote of a participant (a reference, as a map's `get` gives).
    pub fn get(&self, id: &str) -> Option<&u8> {
        let mut start = 0;
        for (end, value) in &self.entries {
            if self.ids.get(start..*end as usize) == Some(id) {
                return Some(value);
            }
            start = *end as usize;
        }
        None
    }

    /// Number of votes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nobody voted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every vote as (participant id, value).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            votes: self,
            start: 0,
            next: 0,
        }
    }

    /// Every participant id that voted.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(id, _)| id)
    }

    /// Every value.
    #[inline]
    pub fn values(&self) -> impl Iterator<Item = u8> + '_ {
        self.entries.iter().map(|(_, value)| *value)
    }

    /// The votes by participant id, in id order.
    pub fn by_id(&self) -> BTreeMap<String, u8> {
        self.iter().map(|(id, v)| (id.to_owned(), v)).collect()
    }

    /// The votes sorted by id, for comparing.
    fn sorted(&self) -> Vec<(&str, u8)> {
        let mut pairs: Vec<(&str, u8)> = self.iter().collect();
        pairs.sort_unstable();
        pairs
    }
}

/// Iterator over [`Votes`] as (participant id, value).
#[derive(Debug, Clone)]
pub struct Iter<'v> {
    votes: &'v Votes,
    start: usize,
    next: usize,
}

impl<'v> Iterator for Iter<'v> {
    type Item = (&'v str, u8);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (end, value) = *self.votes.entries.get(self.next)?;
        let end = end as usize;
        // Every end was taken from the buffer's length after pushing a whole `str`.
        let id = self.votes.ids.get(self.start..end).unwrap_or_default();
        self.start = end;
        self.next += 1;
        Some((id, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.votes.entries.len() - self.next;
        (left, Some(left))
    }
}

impl<'v> IntoIterator for &'v Votes {
    type Item = (&'v str, u8);
    type IntoIter = Iter<'v>;

    fn into_iter(self) -> Iter<'v> {
        self.iter()
    }
}

impl<S: AsRef<str>> FromIterator<(S, u8)> for Votes {
    /// Collects votes; a repeated id keeps its last value, as a map would.
    fn from_iter<I: IntoIterator<Item = (S, u8)>>(pairs: I) -> Self {
        let mut votes = Votes::new();
        for (id, value) in pairs {
            votes.insert(id.as_ref(), value);
        }
        votes
    }
}

impl<S: AsRef<str>, const N: usize> From<[(S, u8); N]> for Votes {
    fn from(pairs: [(S, u8); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl PartialEq for Votes {
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        // The same ids in the same order (a vote map read again, as a rule): the ids of one
        // `Votes` are distinct, so comparing the values in place decides, without sorting.
        if self.ids == other.ids
            && self
                .entries
                .iter()
                .map(|e| e.0)
                .eq(other.entries.iter().map(|e| e.0))
        {
            return self.values().eq(other.values());
        }
        self.sorted() == other.sorted()
    }
}

impl fmt::Debug for Votes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pushes_reads_back_and_replaces() {
        let mut votes = Votes::new();
        votes.push("b", 3);
        votes.push("", 1);
        votes.push("é-ü", 5);
        assert_eq!(votes.len(), 3);
        assert_eq!(votes.get(""), Some(&1));
        assert_eq!(votes.get("é-ü"), Some(&5));
        assert_eq!(votes.get("a"), None);
        votes.insert("b", 4);
        votes.insert("a", 2);
        let pairs: Vec<_> = votes.iter().collect();
        assert_eq!(pairs, [("b", 4), ("", 1), ("é-ü", 5), ("a", 2)]);
        assert_eq!(votes.values().collect::<Vec<_>>(), [4, 1, 5, 2]);
        assert_eq!(
            votes,
            Votes::from([("a", 2), ("b", 4), ("é-ü", 5), ("", 1)])
        );
        assert_ne!(
            votes,
            Votes::from([("a", 2), ("b", 4), ("é-ü", 5), ("", 2)])
        );
        assert_eq!(
            format!("{:?}", Votes::from([("z", 1), ("y", 2)])),
            r#"{"y": 2, "z": 1}"#
        );
        let mut buffer = votes.clone();
        let exact = buffer.take_exact();
        assert_eq!(exact, votes);
        assert!(buffer.is_empty());
        assert_eq!(buffer.keys().count(), 0);
        buffer.push("q", 1);
        assert_eq!(buffer.iter().collect::<Vec<_>>(), [("q", 1)]);
    }

    proptest! {
        #[test]
        fn behaves_like_a_map(pairs in prop::collection::vec(("[a-c]{0,3}", 0..6u8), 0..20)) {
            let votes: Votes = pairs.iter().map(|(id, v)| (id.as_str(), *v)).collect();
            let map: BTreeMap<String, u8> = pairs.iter().cloned().collect();
            prop_assert_eq!(votes.by_id(), map.clone());
            prop_assert_eq!(votes.len(), map.len());
            for (id, v) in &map {
                prop_assert_eq!(votes.get(id), Some(v));
            }
            let mut keys: Vec<_> = votes.keys().collect();
            keys.sort_unstable();
            prop_assert_eq!(keys, map.keys().map(String::as_str).collect::<Vec<_>>());
        }

        #[test]
        fn sets_and_removes_like_a_map(
            pairs in prop::collection::vec(("[a-c]{0,3}", 0..6u8), 0..20),
            edits in prop::collection::vec(("[a-c]{0,3}", prop::option::of(0..6u8)), 0..20),
        ) {
            let mut votes: Votes = pairs.iter().map(|(id, v)| (id.as_str(), *v)).collect();
            let mut map: BTreeMap<String, u8> = pairs.iter().cloned().collect();
            for (id, value) in edits {
                match value {
                    Some(value) => {
                        prop_assert_eq!(votes.set(&id, value), map.insert(id.clone(), value) != Some(value));
                    }
                    None => prop_assert_eq!(votes.remove(&id), map.remove(&id).is_some()),
                }
                prop_assert_eq!(votes.by_id(), map.clone());
                prop_assert_eq!(votes.len(), map.len());
            }
        }

        #[test]
        fn equal_exactly_when_equal_as_maps(
            pairs in prop::collection::vec(("[a-c]{0,2}", 0..4u8), 0..12),
            other in prop::collection::vec(0..4u8, 12),
            reversed: bool,
        ) {
            let votes: Votes = pairs.iter().map(|(id, v)| (id.as_str(), *v)).collect();
            // The same ids, in the same order or reversed, with some values changed.
            let mut entries: Vec<(&str, u8)> = votes.iter().collect();
            for ((_, value), new) in entries.iter_mut().zip(&other).step_by(3) {
                *value = *new;
            }
            if reversed {
                entries.reverse();
            }
            let changed: Votes = entries.iter().copied().collect();
            prop_assert_eq!(votes == changed, votes.by_id() == changed.by_id());
            prop_assert_eq!(changed == votes, votes == changed);
        }
    }
}
