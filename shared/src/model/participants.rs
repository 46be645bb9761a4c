//! [`Participants`]: the registered participants, looked up by id.
//!
//! The engine looks up the participant behind every score vote (thousands in a full
//! workshop), so the ids are found through an [`IdIndex`] rather than a search through sorted
//! ids.

use std::fmt;
use std::ops::Index;

use super::id_index::IdIndex;
use super::Participant;

/// Registered participants by id.
#[derive(Clone, Default)]
pub struct Participants {
    /// Ids, in the order they were registered here.
    ids: Vec<Box<str>>,
    /// The participant of each id, at the same position.
    participants: Vec<Participant>,
    /// Positions by id.
    index: IdIndex,
}

impl Participants {
    /// No participants.
    pub fn new() -> Self {
        Participants::default()
    }

    /// Participants under distinct ids (the keys of one map), indexed in one go.
    pub(crate) fn from_distinct(entries: Vec<(String, Participant)>) -> Self {
        let (ids, participants): (Vec<Box<str>>, Vec<Participant>) = entries
            .into_iter()
            .map(|(id, participant)| (id.into_boxed_str(), participant))
            .unzip();
        let index = IdIndex::new(&ids);
        Participants {
            ids,
            participants,
            index,
        }
    }

    /// The participant registered under `id`.
    #[inline]
    pub fn get(&self, id: &str) -> Option<&Participant> {
        let position = self.index.find(&self.ids, id)?;
        self.participants.get(position)
    }

    /// Registers a participant, replacing one with the same id.
    pub fn insert(&mut self, id: &str, participant: Participant) {
        match self.index.find(&self.ids, id) {
            Some(position) => {
                if let Some(old) = self.participants.get_mut(position) {
                    *old = participant;
                }
            }
            None => {
                self.ids.push(id.into());
                self.participants.push(participant);
                self.index.push(&self.ids);
            }
        }
    }

    /// Number of participants.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when nobody is registered.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Every participant with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Participant)> + '_ {
        let mut entries: Vec<(&str, &Participant)> = self
            .ids
            .iter()
            .map(|id| &**id)
            .zip(&self.participants)
            .collect();
        entries.sort_unstable_by_key(|(id, _)| *id);
        entries.into_iter()
    }
}

impl<S: AsRef<str>> FromIterator<(S, Participant)> for Participants {
    /// Collects participants; a repeated id keeps its last entry, as a map would.
    fn from_iter<I: IntoIterator<Item = (S, Participant)>>(entries: I) -> Self {
        let mut participants = Participants::new();
        for (id, participant) in entries {
            participants.insert(id.as_ref(), participant);
        }
        participants
    }
}

impl Index<&str> for Participants {
    type Output = Participant;

    /// The participant registered under `id`; panics when there is none, as a map would.
    fn index(&self, id: &str) -> &Participant {
        match self.get(id) {
            Some(participant) => participant,
            None => panic!("no participant {id:?}"),
        }
    }
}

impl PartialEq for Participants {
    /// The same ids with equal participants, in whatever order they were registered.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(id, p)| other.get(id) == Some(p))
    }
}

impl fmt::Debug for Participants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::World;

    #[test]
    fn registers_replaces_and_finds() {
        let world = |w| Participant { world: w };
        let mut participants: Participants = [
            ("b", world(Some(World::Customer))),
            ("a", world(None)),
            ("b", world(Some(World::Service))),
        ]
        .into_iter()
        .collect();
        assert_eq!(participants.len(), 2);
        assert_eq!(participants["b"].world, Some(World::Service));
        assert_eq!(participants.get("c"), None);
        participants.insert("c", world(Some(World::Political)));
        let ids: Vec<_> = participants.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let same: Participants = [
            ("c", world(Some(World::Political))),
            ("a", world(None)),
            ("b", world(Some(World::Service))),
        ]
        .into_iter()
        .collect();
        assert_eq!(participants, same);
        assert_eq!(
            format!("{:?}", Participants::from_iter([("x", world(None))])),
            r#"{"x": Participant { world: None }}"#
        );
        let bulk = Participants::from_distinct(vec![
            ("b".into(), world(Some(World::Service))),
            ("c".into(), world(Some(World::Political))),
            ("a".into(), world(None)),
        ]);
        assert_eq!(bulk, participants);
    }
}
