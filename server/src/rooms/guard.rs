//! The write guard of a room: decides whether a client's update may be taken, before any of
//! it is applied.
//!
//! The rules are [`workshop_shared::access`]'s; this module finds out what an update would
//! change. The room's document has a *shadow*: a second [`Doc`] kept in lockstep with it
//! (every update the real document commits, whoever wrote it, is applied to the shadow by an
//! update observer). To check an update, the guard applies it to the shadow with deep
//! observers on every root type and lists each change as a path:
//!
//! - a map event gives one change per changed key; a value inserted there that is a nested
//!   map or array adds the path of everything inside it (an item created with a `dots` map
//!   already holding votes counts those votes);
//! - a value removed or replaced that was a nested type adds a removal of everything it held,
//!   read from the real document, which still has it (removing a vote map removes its votes);
//! - text and array events give a change at their own path; a root created by the update
//!   gives a change at its name.
//!
//! If the rules allow it, the caller applies the update to the real document as usual, which
//! leaves the shadow where it already is. If they refuse it, the shadow is rebuilt from the
//! real document (refusals are rare), so nothing of the refused update survives anywhere.
//!
//! An update that leaves part of itself pending (it depends on blocks the server never
//! received, typically because an earlier update of the same client was refused) is refused
//! too: what it would change once the gap closes cannot be checked now. Facilitator updates
//! skip the checks.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use workshop_shared::access::{self, Capability, Change, Reason, Refusal};
use workshop_shared::schema;
use yrs::branch::BranchPtr;
use yrs::types::{Change as SeqChange, EntryChange, Event, Events, PathSegment};
use yrs::updates::decoder::Decode;
use yrs::{
    Array, ClientID, Doc, Map, MapRef, Origin, Out, ReadTxn, StateVector, Transact, TransactionMut,
    Update,
};

use crate::sync::SyncError;

/// Key of the guard's observers (on the real document, and briefly on the shadow's roots).
const OBSERVER: &str = "workshop-server-guard";

/// A room's write guard: the shadow document and the checks run on it.
pub(crate) struct Guard {
    shadow: Arc<Mutex<Doc>>,
    /// Whether the update observer on the real document is in place. If it could not be
    /// installed, the shadow is rebuilt before every check instead (slower, still correct).
    following: bool,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("following", &self.following)
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// A guard over `real`, whose shadow starts as a copy of it and follows every update it
    /// commits from now on.
    pub(crate) fn new(real: &Doc) -> Guard {
        let shadow = Arc::new(Mutex::new(copy_of(real)));
        let follower = Arc::clone(&shadow);
        let followed = real.observe_update_v1(OBSERVER, move |_, event| {
            let shadow = lock(&follower);
            let applied = Update::decode_v1(&event.update)
                .map_err(|error| error.to_string())
                .and_then(|update| {
                    let mut txn = shadow.transact_mut();
                    txn.apply_update(update).map_err(|error| error.to_string())
                });
            if let Err(error) = applied {
                // The real document committed this very update, so this cannot happen; if it
                // did, the next refusal rebuilds the shadow.
                tracing::error!(%error, "shadow document could not follow an update");
            }
        });
        if let Err(error) = &followed {
            tracing::error!(%error, "cannot observe the document; rebuilding the shadow per check");
        }
        Guard {
            shadow,
            following: followed.is_ok(),
        }
    }

    /// Decides whether `writer` may apply the v1 update `update` to `real` (the room's
    /// document, not yet changed). `Ok(None)`: go ahead; `Ok(Some(refusal))`: apply nothing.
    ///
    /// Must be called with the room locked, so that nothing commits to `real` meanwhile.
    pub(crate) fn check(
        &self,
        writer: &Capability,
        update: &[u8],
        real: &Doc,
    ) -> Result<Option<Refusal>, SyncError> {
        if writer.is_facilitator() {
            return Ok(None);
        }
        let decoded = Update::decode_v1(update)?;
        let expected = Expected::of(&decoded);
        let mut shadow = lock(&self.shadow);
        if !self.following {
            *shadow = copy_of(real);
        }
        // yrs computes events with a few `unwrap`s on block content; a crafted update must
        // not take the connection task down with it.
        let applied = catch_unwind(AssertUnwindSafe(|| observe_apply(&shadow, decoded)));
        let verdict = match applied {
            Err(_) => {
                tracing::warn!("applying an update to the shadow panicked; refusing it");
                Some(Refusal::whole(Reason::Unverifiable))
            }
            Ok(Err(error)) => {
                *shadow = copy_of(real);
                return Err(error.into());
            }
            Ok(Ok(observed)) if !expected.integrated_in(&shadow) => {
                drop(observed);
                Some(Refusal::whole(Reason::Unverifiable))
            }
            Ok(Ok(observed)) => access::check(writer, &observed.into_changes(real)).err(),
        };
        if verdict.is_some() {
            *shadow = copy_of(real);
        }
        Ok(verdict)
    }
}

fn lock(shadow: &Mutex<Doc>) -> MutexGuard<'_, Doc> {
    // A panic while applying is caught and followed by a rebuild; the document behind a
    // poisoned lock is about to be replaced or is as good as any.
    shadow.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A new document holding everything `real` has integrated, with the document's root maps
/// typed (an empty root has no trace in an update, so a copy would not know it otherwise).
fn copy_of(real: &Doc) -> Doc {
    let state = real
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let copy = Doc::new();
    match Update::decode_v1(&state) {
        Ok(update) => {
            if let Err(error) = copy.transact_mut().apply_update(update) {
                tracing::error!(%error, "cannot copy the document into its shadow");
            }
        }
        Err(error) => tracing::error!(%error, "cannot decode the document's own state"),
    }
    for root in schema::ROOTS {
        copy.get_or_insert_map(root);
    }
    copy
}

/// What an update must leave integrated: the end of its blocks and of its deletions, per
/// client.
struct Expected {
    ends: Vec<(ClientID, u32)>,
}

impl Expected {
    fn of(update: &Update) -> Expected {
        let mut ends: Vec<(ClientID, u32)> = update
            .state_vector()
            .iter()
            .map(|(client, clock)| (*client, *clock))
            .collect();
        for (client, ranges) in update.delete_set().iter() {
            if let Some(end) = ranges.iter().map(|range| range.end).max() {
                ends.push((*client, end));
            }
        }
        Expected { ends }
    }

    /// Whether `doc` has every block the update holds and every block it deletes, i.e.
    /// nothing of it was left pending.
    fn integrated_in(&self, doc: &Doc) -> bool {
        let state = doc.transact().state_vector();
        self.ends
            .iter()
            .all(|(client, end)| state.get(client) >= *end)
    }
}

/// What the shadow's deep observers saw while one update was applied.
#[derive(Debug, Default)]
struct Observed {
    changes: Vec<Change>,
    /// Paths whose old value was a nested type: what it held is listed from the real document.
    removed_nested: Vec<Vec<String>>,
}

impl Observed {
    /// The full change list: what was observed, plus a removal of everything the removed
    /// nested values held.
    fn into_changes(mut self, real: &Doc) -> Vec<Change> {
        let txn = real.transact();
        for path in std::mem::take(&mut self.removed_nested) {
            if let Some(value) = resolve(&txn, &path) {
                list_nested(
                    &txn,
                    path,
                    value,
                    access::ChangeKind::Remove,
                    &mut self.changes,
                );
            }
        }
        self.changes
    }

    fn record(&mut self, root: &str, txn: &TransactionMut, events: &Events) {
        for event in events.iter() {
            let mut base = vec![root.to_owned()];
            base.extend(event.path().into_iter().map(|segment| match segment {
                PathSegment::Key(key) => key.to_string(),
                PathSegment::Index(index) => index.to_string(),
            }));
            match event {
                Event::Map(event) => {
                    let keys = event.keys(txn);
                    if keys.is_empty() {
                        // Content without keys in a map (a crafted update): still a change.
                        self.changes.push(Change::edit(base.clone()));
                    }
                    for (key, change) in keys {
                        let mut path = base.clone();
                        path.push(key.to_string());
                        match change {
                            EntryChange::Inserted(new) => self.inserted(txn, path, new),
                            EntryChange::Updated(old, new) => {
                                self.removed(path.clone(), old);
                                self.inserted(txn, path, new);
                            }
                            EntryChange::Removed(old) => {
                                self.removed(path.clone(), old);
                                self.changes.push(Change::remove(path));
                            }
                        }
                    }
                }
                Event::Array(event) => {
                    self.changes.push(Change::edit(base.clone()));
                    let mut index: u32 = 0;
                    for change in event.delta(txn) {
                        match change {
                            SeqChange::Retain(len) => index = index.saturating_add(*len),
                            SeqChange::Removed(_) => {}
                            SeqChange::Added(values) => {
                                for value in values {
                                    let mut path = base.clone();
                                    path.push(index.to_string());
                                    self.inserted(txn, path, value);
                                    index = index.saturating_add(1);
                                }
                            }
                        }
                    }
                }
                // Text and XML: their content is not addressed by the rules, their path is.
                _ => self.changes.push(Change::edit(base)),
            }
        }
    }

    fn inserted(&mut self, txn: &TransactionMut, path: Vec<String>, value: &Out) {
        list_nested(
            txn,
            path,
            value.clone(),
            access::ChangeKind::Set,
            &mut self.changes,
        );
    }

    fn removed(&mut self, path: Vec<String>, old: &Out) {
        if is_nested(old) {
            self.removed_nested.push(path);
        }
    }
}

fn is_nested(value: &Out) -> bool {
    !matches!(value, Out::Any(_))
}

/// Lists `path` and, for a map or array, the path of everything inside it. Iterative: a
/// crafted update may nest maps deeper than any stack.
fn list_nested<T: ReadTxn>(
    txn: &T,
    path: Vec<String>,
    value: Out,
    kind: access::ChangeKind,
    out: &mut Vec<Change>,
) {
    let mut pending = vec![(path, value)];
    while let Some((path, value)) = pending.pop() {
        match &value {
            Out::YMap(map) => {
                for (key, inner) in map.iter(txn) {
                    let mut inner_path = path.clone();
                    inner_path.push(key.to_owned());
                    pending.push((inner_path, inner));
                }
            }
            Out::YArray(array) => {
                for (index, inner) in array.iter(txn).enumerate() {
                    let mut inner_path = path.clone();
                    inner_path.push(index.to_string());
                    pending.push((inner_path, inner));
                }
            }
            _ => {}
        }
        out.push(Change { path, kind });
    }
}

/// The value at `path` (root name first) in a document, following map keys and array
/// positions.
fn resolve<T: ReadTxn>(txn: &T, path: &[String]) -> Option<Out> {
    let (root, rest) = path.split_first()?;
    let (_, mut current) = txn.root_refs().find(|(name, _)| name == root)?;
    if let Out::UndefinedRef(branch) = current {
        // A root nobody has asked for by type yet: read it as the map every root of the
        // document is.
        current = Out::YMap(MapRef::from(branch));
    }
    for segment in rest {
        current = match &current {
            Out::YMap(map) => map.get(txn, segment)?,
            Out::YArray(array) => array.get(txn, segment.parse().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Applies `update` to `shadow` with deep observers on every root, and lists what changed.
fn observe_apply(shadow: &Doc, update: Update) -> Result<Observed, yrs::error::UpdateError> {
    // A root the document only knows by name has no type, and untyped types emit no events:
    // give each the type every root of the document has. Typing a root writes nothing.
    let untyped: Vec<String> = shadow
        .transact()
        .root_refs()
        .filter(|(_, value)| matches!(value, Out::UndefinedRef(_)))
        .map(|(name, _)| name.to_owned())
        .collect();
    for name in untyped {
        shadow.get_or_insert_map(name);
    }
    let roots: Vec<(String, BranchPtr)> = shadow
        .transact()
        .root_refs()
        .filter_map(|(name, value)| Some((name.to_owned(), BranchPtr::from(value.try_branch()?))))
        .collect();
    let known: HashSet<String> = roots.iter().map(|(name, _)| name.clone()).collect();

    let observed = Arc::new(Mutex::new(Observed::default()));
    for (name, branch) in &roots {
        let mut branch = *branch;
        let (root, sink) = (name.clone(), Arc::clone(&observed));
        branch.observe_deep(Origin::from(OBSERVER), move |txn, events| {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(&root, txn, events);
        });
    }
    let applied = {
        let mut txn = shadow.transact_mut();
        txn.apply_update(update)
        // Committed here, as the transaction drops: the observers run now.
    };
    for (_, branch) in &roots {
        let mut branch = *branch;
        branch.unobserve_deep(&Origin::from(OBSERVER));
    }
    applied?;

    let mut observed =
        std::mem::take(&mut *observed.lock().unwrap_or_else(PoisonError::into_inner));
    for (name, _) in shadow.transact().root_refs() {
        if !known.contains(name) {
            observed.changes.push(Change::set([name]));
        }
    }
    Ok(observed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use time::macros::date;
    use workshop_shared::access::Reason;
    use workshop_shared::schema::key;
    use workshop_shared::template::{self, WorkshopMeta};
    use yrs::{MapPrelim, Text, WriteTxn};

    const ME: &str = "11111111-1111-4111-8111-111111111111";
    const OTHER: &str = "22222222-2222-4222-8222-222222222222";

    /// The room's document: the template with results, as the server creates it.
    fn real() -> Doc {
        let doc = Doc::new();
        let meta = WorkshopMeta {
            title: "T".into(),
            place: "P".into(),
            created_at: "2026-11-23T09:00:00Z".into(),
        };
        template::fill(&mut doc.transact_mut(), &meta);
        workshop_shared::recompute(&mut doc.transact_mut(), date!(2026 - 11 - 23));
        doc
    }

    fn replica(real: &Doc) -> Doc {
        copy_of(real)
    }

    fn edit(doc: &Doc, change: impl FnOnce(&mut TransactionMut<'_>)) -> Vec<u8> {
        let mut txn = doc.transact_mut();
        change(&mut txn);
        txn.encode_update_v1()
    }

    fn map_at(txn: &TransactionMut<'_>, path: &[&str]) -> MapRef {
        let (root, rest) = path.split_first().unwrap();
        let mut map = txn.get_map(*root).unwrap();
        for key in rest {
            map = match map.get(txn, key).unwrap() {
                Out::YMap(inner) => inner,
                other => panic!("{key} is {other:?}"),
            };
        }
        map
    }

    fn scores(txn: &TransactionMut<'_>) -> MapRef {
        map_at(
            txn,
            &[
                schema::ASPECTS,
                "capacity",
                key::FACTORS,
                "confidence",
                key::SCORES,
            ],
        )
    }

    fn factor(txn: &TransactionMut<'_>) -> MapRef {
        map_at(
            txn,
            &[schema::ASPECTS, "capacity", key::FACTORS, "confidence"],
        )
    }

    fn me() -> Capability {
        Capability::Participant(ME.into())
    }

    /// Checks, and applies to the real document when allowed (as the room does).
    fn check_and_apply(
        guard: &Guard,
        writer: &Capability,
        update: &[u8],
        real: &Doc,
    ) -> Option<Refusal> {
        let verdict = guard.check(writer, update, real).unwrap();
        if verdict.is_none() {
            real.transact_mut()
                .apply_update(Update::decode_v1(update).unwrap())
                .unwrap();
        }
        verdict
    }

    fn json(doc: &Doc) -> serde_json::Value {
        workshop_shared::export::document_json(&doc.transact())
    }

    #[test]
    fn own_votes_pass_and_the_shadow_follows_the_real_document() {
        let real = real();
        let guard = Guard::new(&real);
        let client = replica(&real);
        let update = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 4);
        });
        assert_eq!(check_and_apply(&guard, &me(), &update, &real), None);
        assert_eq!(json(&lock(&guard.shadow)), json(&real));

        // A server write (recompute) reaches the shadow through the observer.
        workshop_shared::recompute(&mut real.transact_mut(), date!(2026 - 11 - 23));
        assert_eq!(json(&lock(&guard.shadow)), json(&real));
    }

    #[test]
    fn a_mixed_update_is_refused_whole_and_the_shadow_forgets_it() {
        let real = real();
        let guard = Guard::new(&real);
        let before = json(&real);
        let client = replica(&real);
        let update = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 4);
            factor(txn).insert(txn, key::AGREED_SCORE, 5);
        });
        let refusal = check_and_apply(&guard, &me(), &update, &real).unwrap();
        assert_eq!(refusal.reason, Reason::FacilitatorOnly);
        assert_eq!(
            refusal.path,
            "aspects/capacity/factors/confidence/agreed_score"
        );
        assert_eq!(json(&real), before);
        assert_eq!(json(&lock(&guard.shadow)), before);

        // The facilitator may do the same.
        assert_eq!(
            check_and_apply(&guard, &Capability::Facilitator, &update, &real),
            None
        );
        assert_ne!(json(&real), before);
        assert_eq!(json(&lock(&guard.shadow)), json(&real));
    }

    #[test]
    fn votes_inside_a_new_item_count() {
        let real = real();
        let guard = Guard::new(&real);
        let client = replica(&real);
        let item = |voter: &'static str| {
            edit(&client, move |txn| {
                let items = txn.get_or_insert_map(schema::ITEMS);
                items.insert(
                    txn,
                    uuid::Uuid::new_v4().to_string(),
                    MapPrelim::from([
                        (key::TITLE, yrs::In::from("Waiting lists")),
                        (key::DOTS, MapPrelim::from([(voter, 2)]).into()),
                        (key::IMPACT, MapPrelim::default().into()),
                    ]),
                );
            })
        };
        let refusal = check_and_apply(&guard, &me(), &item(OTHER), &real).unwrap();
        assert_eq!(refusal.reason, Reason::OthersVote(OTHER.into()));
        assert!(
            refusal.path.ends_with(&format!("/dots/{OTHER}")),
            "{}",
            refusal.path
        );
        let client = replica(&real);
        let _ = client;
        assert_eq!(check_and_apply(&guard, &me(), &item(ME), &real), None);
    }

    #[test]
    fn removing_a_vote_map_removes_the_votes_in_it() {
        let real = real();
        let guard = Guard::new(&real);
        // Another participant has voted.
        let voter = replica(&real);
        let vote = edit(&voter, |txn| {
            scores(txn).insert(txn, OTHER, 2);
        });
        assert_eq!(
            check_and_apply(&guard, &Capability::Participant(OTHER.into()), &vote, &real),
            None
        );
        let client = replica(&real);
        let wipe = edit(&client, |txn| {
            factor(txn).insert(txn, key::SCORES, MapPrelim::default());
        });
        let refusal = check_and_apply(&guard, &me(), &wipe, &real).unwrap();
        assert_eq!(refusal.reason, Reason::OthersVote(OTHER.into()));
        let wipe_aspect = edit(&client, |txn| {
            txn.get_or_insert_map(schema::ASPECTS)
                .remove(txn, "capacity");
        });
        assert!(check_and_apply(&guard, &me(), &wipe_aspect, &real).is_some());
    }

    #[test]
    fn readers_are_refused_any_change_but_not_an_empty_update() {
        let real = real();
        let guard = Guard::new(&real);
        let client = replica(&real);
        let notes = edit(&client, |txn| {
            let notes = match factor(txn).get(txn, key::NOTES).unwrap() {
                Out::YText(text) => text,
                other => panic!("{other:?}"),
            };
            notes.push(txn, "hello");
        });
        for reader in [Capability::Viewer, Capability::EditorInvite] {
            let refusal = check_and_apply(&guard, &reader, &notes, &real).unwrap();
            assert_eq!(refusal.reason, Reason::ReadOnly);
            assert_eq!(refusal.path, "aspects/capacity/factors/confidence/notes");
        }
        let nothing = replica(&real)
            .transact()
            .encode_state_as_update_v1(&real.transact().state_vector());
        assert_eq!(
            check_and_apply(&guard, &Capability::Viewer, &nothing, &real),
            None
        );
        // A participant may edit notes.
        assert_eq!(check_and_apply(&guard, &me(), &notes, &real), None);
    }

    #[test]
    fn new_and_existing_unknown_roots_are_outside_the_schema() {
        let real = real();
        let guard = Guard::new(&real);
        let client = replica(&real);
        let scratch = client.get_or_insert_text("scratch");
        let first = edit(&client, |txn| scratch.push(txn, "a"));
        let refusal = check_and_apply(&guard, &me(), &first, &real).unwrap();
        assert_eq!(
            (refusal.path.as_str(), refusal.reason),
            ("scratch", Reason::OutsideSchema)
        );
        // Once the facilitator made it exist (untyped on the server), edits still show.
        assert_eq!(
            check_and_apply(&guard, &Capability::Facilitator, &first, &real),
            None
        );
        let second = edit(&client, |txn| scratch.push(txn, "b"));
        let refusal = check_and_apply(&guard, &me(), &second, &real).unwrap();
        assert_eq!(refusal.reason, Reason::OutsideSchema);
    }

    #[test]
    fn an_update_left_pending_is_refused_for_participants() {
        let real = real();
        let guard = Guard::new(&real);
        let client = replica(&real);
        let _first = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 1);
        });
        let second = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 2);
        });
        let refusal = check_and_apply(&guard, &me(), &second, &real).unwrap();
        assert_eq!(refusal.reason, Reason::Unverifiable);
        assert!(!lock(&guard.shadow).transact().has_missing_updates());
    }
}
