//! The bound on loaded rooms (`--max-loaded-workshops`).
//!
//! A loaded room keeps its document, its presence states and its recompute task in memory, and
//! anyone holding a token loads a workshop by reading it, so without a bound the workshops an
//! outsider creates and reads could fill the server's memory. A load that would pass the bound
//! first makes way: the least recently used room that nobody holds is persisted and unloaded
//! exactly as an idle room is ([`Rooms::unload_if_idle_since`]: a snapshot, flushed, then
//! unloaded only if nothing changed since). When every loaded room is held, the load is
//! refused with [`LeaseError::Full`] (HTTP 503, WebSocket close 4507): a room in use is never
//! unloaded.

use std::sync::Arc;
use std::time::Instant;

use thiserror::Error;
use tokio::sync::OnceCell;
use tracing::Instrument;
use uuid::Uuid;

use super::{Room, RoomError, Rooms, Slot, Unload};
use crate::store::StoreError;

/// Why a room could not be leased.
#[derive(Debug, Error)]
pub enum LeaseError {
    /// No workshop has this id, or loading or persisting a room failed.
    #[error(transparent)]
    Room(#[from] RoomError),
    /// Loading it would pass the bound on loaded rooms, and every loaded room is in use.
    #[error("the server has its maximum of {max} workshops open, all in use; try again later")]
    Full {
        /// The bound (`--max-loaded-workshops`).
        max: usize,
    },
}

impl From<StoreError> for LeaseError {
    fn from(error: StoreError) -> Self {
        LeaseError::Room(RoomError::Store(error))
    }
}

/// Where a lease goes next.
pub(super) enum Place {
    /// The workshop's slot (registered just now if it had none): load or lease its room.
    Slot(Arc<OnceCell<Arc<Room>>>),
    /// The bound is reached: this room makes way first, then the lease tries again.
    MakeWay(Victim),
}

/// A room picked to make way, as it was when picked.
pub(super) struct Victim {
    id: Uuid,
    cell: Arc<OnceCell<Arc<Room>>>,
    idle_since: Instant,
}

/// What [`least_recently_used`] needs to know of one slot.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    /// Its room is loaded (not still loading).
    pub(super) loaded: bool,
    /// Leases held on it.
    pub(super) leases: usize,
    /// When its last lease was dropped.
    pub(super) idle_since: Option<Instant>,
}

/// The room to unload to make way: of the loaded rooms nobody holds, the one unused the
/// longest (ties by id, so the choice is stable). Rooms still loading and rooms in use are
/// never picked.
pub(super) fn least_recently_used(
    slots: impl IntoIterator<Item = (Uuid, Candidate)>,
) -> Option<(Uuid, Instant)> {
    slots
        .into_iter()
        .filter_map(|(id, candidate)| match candidate {
            Candidate {
                loaded: true,
                leases: 0,
                idle_since: Some(since),
            } => Some((id, since)),
            _ => None,
        })
        .min_by_key(|&(id, since)| (since, id))
}

impl Rooms {
    /// The slot of workshop `id`, registered if it had none and the bound allows one more;
    /// otherwise the room that must make way first, or [`LeaseError::Full`] if none may.
    pub(super) fn place(&self, id: Uuid) -> Result<Place, LeaseError> {
        let mut slots = self.slots();
        if let Some(slot) = slots.get(&id) {
            return Ok(Place::Slot(slot.room.clone()));
        }
        let max = self.registry.max_loaded;
        if slots.len() >= max {
            let candidates = slots.iter().map(|(id, slot)| {
                let candidate = Candidate {
                    loaded: slot.room.initialized(),
                    leases: slot.leases,
                    idle_since: slot.idle_since,
                };
                (*id, candidate)
            });
            let (victim, idle_since) =
                least_recently_used(candidates).ok_or(LeaseError::Full { max })?;
            let cell = slots
                .get(&victim)
                .map(|slot| slot.room.clone())
                .ok_or(LeaseError::Full { max })?;
            return Ok(Place::MakeWay(Victim {
                id: victim,
                cell,
                idle_since,
            }));
        }
        let cell = Arc::new(OnceCell::new());
        slots.insert(
            id,
            Slot {
                room: cell.clone(),
                leases: 0,
                idle_since: None,
                timer_running: false,
            },
        );
        Ok(Place::Slot(cell))
    }

    /// Persists and unloads `victim` unless it was used meanwhile (then the lease looks
    /// again, and picks another room or this one with its new idle time).
    pub(super) async fn make_way(&self, victim: Victim) -> Result<(), LeaseError> {
        let span = tracing::info_span!("make_way", workshop = %victim.id);
        let unloaded = self
            .unload_if_idle_since(victim.id, &victim.cell, victim.idle_since)
            .instrument(span)
            .await?;
        if let Unload::Unloaded = unloaded {
            tracing::info!(
                workshop = %victim.id,
                max = self.registry.max_loaded,
                "unloaded the least recently used workshop to load another"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;
    use yrs::{Any, Map, Out, ReadTxn, WriteTxn};

    use super::*;
    use crate::clock::Clock;
    use crate::rooms::RoomSettings;
    use crate::store::Store;

    fn rooms(max_loaded: usize) -> Rooms {
        Rooms::new(
            Store::temporary().unwrap(),
            Clock::system(),
            RoomSettings {
                idle_unload: Duration::from_secs(3600),
                max_loaded,
                ..RoomSettings::default()
            },
            TaskTracker::new(),
            CancellationToken::new(),
        )
    }

    async fn workshop(rooms: &Rooms, title: &str) -> Uuid {
        rooms
            .create(title.into(), "Northshire".into())
            .await
            .unwrap()
    }

    /// Writes `note` into the workshop's `scratch` map as the server.
    async fn write_note(rooms: &Rooms, id: Uuid, note: &str) {
        let room = rooms.lease(id).await.unwrap();
        let note = note.to_owned();
        room.write_as_server(move |txn| {
            let scratch = txn.get_or_insert_map("scratch");
            scratch.insert(txn, "note", note);
        })
        .await
        .unwrap();
    }

    fn note_of(room: &Room) -> Option<String> {
        room.peek(|txn| match txn.get_map("scratch")?.get(txn, "note")? {
            Out::Any(Any::String(note)) => Some(note.to_string()),
            _ => None,
        })
    }

    fn is_loaded(rooms: &Rooms, id: Uuid) -> bool {
        rooms.slots().contains_key(&id)
    }

    #[test]
    fn the_least_recently_used_idle_room_is_picked_never_one_in_use_or_loading() {
        let start = Instant::now();
        let at = |secs| Some(start + Duration::from_secs(secs));
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
        let candidate = |loaded, leases, idle_since| Candidate {
            loaded,
            leases,
            idle_since,
        };
        let slots = [
            (ids[0], candidate(true, 1, None)),
            (ids[1], candidate(true, 0, at(20))),
            (ids[2], candidate(false, 0, None)),
            (ids[3], candidate(true, 0, at(10))),
            (ids[4], candidate(true, 2, None)),
        ];
        assert_eq!(
            least_recently_used(slots),
            Some((ids[3], start + Duration::from_secs(10)))
        );
        let busy = [
            (ids[0], candidate(true, 1, None)),
            (ids[2], candidate(false, 0, None)),
        ];
        assert_eq!(least_recently_used(busy), None);
        assert_eq!(least_recently_used([]), None);
    }

    #[tokio::test]
    async fn a_load_past_the_bound_unloads_the_least_recently_used_idle_room_and_keeps_its_content()
    {
        let rooms = rooms(2);
        let (a, b, c) = (
            workshop(&rooms, "A").await,
            workshop(&rooms, "B").await,
            workshop(&rooms, "C").await,
        );
        write_note(&rooms, a, "from a").await;
        write_note(&rooms, b, "from b").await;
        assert_eq!(rooms.loaded(), 2);

        // A was released first: it makes way for C.
        let held_c = rooms.lease(c).await.unwrap();
        assert_eq!(rooms.loaded(), 2);
        assert!(!is_loaded(&rooms, a) && is_loaded(&rooms, b) && is_loaded(&rooms, c));

        // A comes back from the store with its content; B, the idle one, makes way.
        let again_a = rooms.lease(a).await.unwrap();
        assert_eq!(note_of(&again_a).as_deref(), Some("from a"));
        assert!(!is_loaded(&rooms, b));
        drop(again_a);
        drop(held_c);
        let again_b = rooms.lease(b).await.unwrap();
        assert_eq!(note_of(&again_b).as_deref(), Some("from b"));
        assert_eq!(rooms.loaded(), 2);
    }

    #[tokio::test]
    async fn when_every_loaded_room_is_held_a_load_is_refused_and_nothing_is_unloaded() {
        let rooms = rooms(2);
        let (a, b, c) = (
            workshop(&rooms, "A").await,
            workshop(&rooms, "B").await,
            workshop(&rooms, "C").await,
        );
        let held_a = rooms.lease(a).await.unwrap();
        let held_b = rooms.lease(b).await.unwrap();
        let refused = rooms.lease(c).await;
        assert!(
            matches!(refused, Err(LeaseError::Full { max: 2 })),
            "{:?}",
            refused.err()
        );
        assert!(is_loaded(&rooms, a) && is_loaded(&rooms, b) && !is_loaded(&rooms, c));
        // A room already loaded is still leased while the bound is reached.
        let _also_a = rooms.lease(a).await.unwrap();

        // Once a room is let go, it makes way.
        drop(held_b);
        let held_c = rooms.lease(c).await.unwrap();
        assert!(!is_loaded(&rooms, b));
        assert_eq!(rooms.loaded(), 2);
        drop((held_a, held_c));
    }

    #[tokio::test]
    async fn an_unknown_workshop_at_the_bound_is_not_found_and_leaves_no_slot() {
        let rooms = rooms(1);
        let a = workshop(&rooms, "A").await;
        let held = rooms.lease(a).await.unwrap();
        assert!(matches!(
            rooms.lease(Uuid::new_v4()).await,
            Err(LeaseError::Full { max: 1 })
        ));
        drop(held);
        assert!(matches!(
            rooms.lease(Uuid::new_v4()).await,
            Err(LeaseError::Room(RoomError::NotFound))
        ));
        assert_eq!(rooms.slots().len(), 0);
        rooms.lease(a).await.unwrap();
    }
}
