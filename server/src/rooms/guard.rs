//! The write guard of a room: decides whether a client's update may be taken, and what exactly
//! is taken, before any of it reaches the room's document.
//!
//! The room's document has a *shadow*: a second [`Doc`] kept in lockstep with it (every update
//! the real document commits, whoever wrote it, is applied to the shadow by an update
//! observer). The shadow is made from the document when the first update is to be judged. When
//! the room's last connection leaves, the room sleeps ([`super::core::RoomCore::sleep`]): the
//! guard and its shadow go with the live document, and a new guard is made on waking. To
//! judge an update, the guard applies it to the shadow, as the real document would, and looks
//! at what yrs did:
//!
//! 1. **Nothing pending, for any writer.** If yrs left any of it pending (blocks or deletions
//!    that wait on changes the server does not hold), the update is refused whole: once its
//!    missing dependency arrived (from the server's own next write, or anyone's), it would
//!    integrate unchecked. The room asks the sender for what is missing with sync step 1.
//! 2. **Client ids belong to their writer** ([`super::writers`]): every client id whose clock
//!    the update advanced (new content, GC or skipped ranges alike) must be free or owned by
//!    the sender's token; a token that may not write advances none.
//! 3. **The rules of [`workshop_shared::access`]** (every writer but the facilitator): deep
//!    observers on every root type list each change as a path:
//!    - a map event gives one change per changed key; a value inserted there that is a nested
//!      map or array adds the path of everything inside it (an item created with a `dots` map
//!      already holding votes counts those votes);
//!    - a value removed or replaced that was a nested type adds a removal of everything it
//!      held, read from the real document, which still has it;
//!    - text and array events give a change at their own path; a root created by the update
//!      gives a change at its name.
//!
//! What is accepted is not the client's bytes but the update the shadow's transaction
//! produced: exactly the blocks and deletions that integrated, so duplicates of what the
//! server holds (with whatever content a client put in them) are never stored or relayed, and
//! an update that integrated nothing is dropped. The room applies that update to the real
//! document ([`Guard::commit`]), logs it and relays it. If the update is refused, the shadow
//! is dropped and made afresh from the real document for the next check (refusals are rare),
//! so nothing of it survives anywhere.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use workshop_shared::access::{self, Change, Reason, Refusal};
use workshop_shared::schema;
use yrs::branch::BranchPtr;
use yrs::types::{Change as SeqChange, EntryChange, Event, Events, PathSegment};
use yrs::updates::decoder::Decode;
use yrs::{
    Array, ClientID, Doc, Map, MapRef, Origin, Out, ReadTxn, StateVector, Transact, TransactionMut,
    Update,
};

use super::writers::{Author, Claim, Writers};
use crate::sync::{self, SyncError};

/// Key of the guard's observers (on the real document, and briefly on the shadow's roots).
const OBSERVER: &str = "workshop-server-guard";

/// What the guard decided about one update.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Take this v1 update: exactly what integrated on the shadow, encoded (to log and relay)
    /// and decoded (to commit). `new_clients` are the client ids it brings that nobody owned;
    /// the sender's token owns them from now on.
    Accept {
        update: Vec<u8>,
        decoded: Update,
        new_clients: Vec<ClientID>,
    },
    /// The update holds nothing the document lacks: nothing to apply, store or relay.
    Nothing,
    /// Take nothing of it.
    Refuse(Refusal),
}

/// A room's write guard: the shadow document and the checks run on it.
pub(crate) struct Guard {
    /// `None` until an update is to be judged, and again once nobody is connected (or after
    /// a refusal): the next check makes it afresh from the document.
    shadow: Arc<Mutex<Option<Doc>>>,
    /// Whether the update observer on the real document is in place. If it could not be
    /// installed, the shadow is rebuilt before every check instead (slower, still correct).
    following: bool,
    /// Set while the real document commits an update the shadow already holds (the one just
    /// accepted), so the follower does not apply it a second time.
    committing: Arc<AtomicBool>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("following", &self.following)
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// A guard over `real`. Its shadow is made when the first update is judged, and from then
    /// on follows every update `real` commits.
    pub(crate) fn new(real: &Doc) -> Guard {
        let shadow = Arc::new(Mutex::new(None));
        let committing = Arc::new(AtomicBool::new(false));
        let follower = Arc::clone(&shadow);
        let skip = Arc::clone(&committing);
        let followed = real.observe_update_v1(OBSERVER, move |_, event| {
            if skip.load(Ordering::SeqCst) {
                return;
            }
            let slot = lock(&follower);
            let Some(shadow) = slot.as_ref() else {
                return;
            };
            let applied = Update::decode_v1(&event.update)
                .map_err(|error| error.to_string())
                .and_then(|update| {
                    let mut txn = shadow.transact_mut();
                    txn.apply_update(update).map_err(|error| error.to_string())
                });
            if let Err(error) = applied {
                // The real document committed this very update, so this cannot happen; if it
                // did, the next refusal makes the shadow afresh.
                tracing::error!(%error, "shadow document could not follow an update");
            }
        });
        if let Err(error) = &followed {
            tracing::error!(%error, "cannot observe the document; rebuilding the shadow per check");
        }
        Guard {
            shadow,
            following: followed.is_ok(),
            committing,
        }
    }

    /// Judges the update `update` from `author` against `real` (the room's document, not yet
    /// changed) and the owners of its client ids.
    ///
    /// Must be called with the room locked, so that nothing commits to `real` meanwhile; an
    /// accepted update must then be committed with [`Guard::commit`] before anything else is.
    pub(crate) fn check(
        &self,
        author: &Author,
        writers: &Writers,
        update: Update,
        real: &Doc,
    ) -> Result<Verdict, SyncError> {
        let mut slot = lock(&self.shadow);
        let shadow = match slot.take() {
            Some(shadow) if self.following => slot.insert(shadow),
            _ => slot.insert(copy_of(real)),
        };
        let before = shadow.transact().state_vector();
        if leaves_a_hole(&update, &before) {
            return Ok(Verdict::Refuse(Refusal::whole(Reason::Unverifiable)));
        }
        let observe = !author.capability().is_facilitator();
        // yrs computes events with a few `unwrap`s on block content; a crafted update must
        // not take the connection task down with it.
        let applied = catch_unwind(AssertUnwindSafe(|| observe_apply(shadow, update, observe)));
        let verdict = match applied {
            Err(_) => {
                tracing::warn!("applying an update to the shadow panicked; refusing it");
                Verdict::Refuse(Refusal::whole(Reason::Unverifiable))
            }
            Ok(Err(error)) => {
                *slot = None;
                return Err(error.into());
            }
            Ok(Ok(applied)) => judge(author, writers, &before, shadow, applied, real),
        };
        if matches!(verdict, Verdict::Refuse(_)) {
            // Nothing of a refused update may stay: the next check makes the shadow afresh.
            *slot = None;
        }
        Ok(verdict)
    }

    /// Drops the shadow (the room's last connection left): a loaded workshop nobody is
    /// connected to holds its document once. The next update judged makes it afresh.
    pub(crate) fn rest(&self) {
        *lock(&self.shadow) = None;
    }

    /// Applies an update [`Guard::check`] accepted to the real document, which the shadow
    /// already holds. If the real document does not take it exactly as the shadow did (it
    /// fails, or leaves something pending), the two have diverged: the caller must drop the
    /// room and reload it from its log, where this update is not.
    pub(crate) fn commit(&self, real: &Doc, update: Update) -> Result<(), Diverged> {
        self.committing.store(true, Ordering::SeqCst);
        let applied = real.transact_mut().apply_update(update);
        self.committing.store(false, Ordering::SeqCst);
        if applied.is_err() || real.transact().has_missing_updates() {
            tracing::error!("the document did not take an update as its shadow did");
            return Err(Diverged);
        }
        Ok(())
    }
}

/// The room's document did not take an accepted update as its shadow did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Diverged;

/// Whether `update` holds a block after a gap in its client's clocks, given what the document
/// holds (`known`). yrs integrates such a block and keeps a hole before it, but what its
/// transaction then encodes is not the same update (a GC range after a gap comes out as a
/// deletion of clocks nobody holds), and a Yjs client would keep the block pending: it waits
/// on the clocks before it, so it is refused like any update that cannot be integrated whole.
fn leaves_a_hole(update: &Update, known: &StateVector) -> bool {
    update.insertions(true).iter().any(|(client, ranges)| {
        let mut ranges: Vec<std::ops::Range<u32>> = ranges.iter().cloned().collect();
        ranges.sort_by_key(|range| range.start);
        let mut covered = known.get(client);
        ranges.into_iter().any(|range| {
            let gap = range.start > covered;
            covered = covered.max(range.end);
            gap
        })
    })
}

/// The verdict on an update the shadow has taken in: see the module documentation.
fn judge(
    author: &Author,
    writers: &Writers,
    before: &StateVector,
    shadow: &Doc,
    applied: Applied,
    real: &Doc,
) -> Verdict {
    if applied.missing {
        return Verdict::Refuse(Refusal::whole(Reason::Unverifiable));
    }
    if let Some(observed) = applied.observed {
        if let Err(refusal) = access::check(author.capability(), &observed.into_changes(real)) {
            return Verdict::Refuse(refusal);
        }
    }
    if sync::is_empty_update(&applied.update) {
        return Verdict::Nothing;
    }
    // A token that may not write integrates nothing at all: no content, no GC range, no
    // deletion, whatever events it makes or does not make.
    if !author.may_write() {
        return Verdict::Refuse(Refusal::whole(Reason::ReadOnly));
    }
    // What is committed to the room's document is the transaction's own update: it must
    // apply there as a whole, as it did here (no hole before a block, no deletion of clocks
    // nobody holds), or the document would keep part of it pending.
    let after = shadow.transact().state_vector();
    let Ok(diff) = Update::decode_v1(&applied.update) else {
        return Verdict::Refuse(Refusal::whole(Reason::Unverifiable));
    };
    if leaves_a_hole(&diff, before) || deletes_the_unknown(&diff, &after) {
        return Verdict::Refuse(Refusal::whole(Reason::Unverifiable));
    }
    let mut written: Vec<ClientID> = diff
        .insertions(true)
        .iter()
        .map(|(client, _)| *client)
        .chain(
            after
                .iter()
                .filter(|(client, clock)| before.get(client) != **clock)
                .map(|(client, _)| *client),
        )
        .collect();
    written.sort_unstable_by_key(|client| client.get());
    written.dedup();
    let mut new_clients = Vec::new();
    for client in written {
        match writers.claim(author, client) {
            Claim::Own => {}
            Claim::Free => new_clients.push(client),
            Claim::Taken => return Verdict::Refuse(Refusal::whole(Reason::ForeignClient)),
        }
    }
    if !author.may_bring(new_clients.len()) {
        return Verdict::Refuse(Refusal::whole(Reason::TooManyClients));
    }
    Verdict::Accept {
        update: applied.update,
        decoded: diff,
        new_clients,
    }
}

/// Whether `update` deletes a clock beyond what the document holds (`known`, its state vector
/// once the update's own blocks are in): such a deletion waits for content nobody has sent.
fn deletes_the_unknown(update: &Update, known: &StateVector) -> bool {
    update
        .delete_set()
        .iter()
        .any(|(client, ranges)| ranges.iter().any(|range| range.end > known.get(client)))
}

fn lock(shadow: &Mutex<Option<Doc>>) -> MutexGuard<'_, Option<Doc>> {
    // A panic while applying is caught and followed by a refusal, which drops the shadow; the
    // document behind a poisoned lock is about to be dropped or is as good as any.
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

/// What applying one update to the shadow did.
struct Applied {
    /// What the deep observers saw (`None` when nobody watched: the facilitator's updates).
    observed: Option<Observed>,
    /// The update the transaction produced: exactly what integrated.
    update: Vec<u8>,
    /// Whether yrs left part of it pending.
    missing: bool,
}

/// Applies `update` to `shadow` in one transaction and reports what it did; with `observe`,
/// deep observers on every root list what changed.
fn observe_apply(
    shadow: &Doc,
    update: Update,
    observe: bool,
) -> Result<Applied, yrs::error::UpdateError> {
    if !observe {
        let mut txn = shadow.transact_mut();
        txn.apply_update(update)?;
        return Ok(Applied {
            observed: None,
            update: txn.encode_update_v1(),
            missing: txn.has_missing_updates(),
        });
    }
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
            .map(|()| (txn.encode_update_v1(), txn.has_missing_updates()))
        // Committed here, as the transaction drops: the observers run now.
    };
    for (_, branch) in &roots {
        let mut branch = *branch;
        branch.unobserve_deep(&Origin::from(OBSERVER));
    }
    let (update, missing) = applied?;

    let mut observed =
        std::mem::take(&mut *observed.lock().unwrap_or_else(PoisonError::into_inner));
    for (name, _) in shadow.transact().root_refs() {
        if !known.contains(name) {
            observed.changes.push(Change::set([name]));
        }
    }
    Ok(Applied {
        observed: Some(observed),
        update,
        missing,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::cell::RefCell;
    use time::macros::date;
    use workshop_shared::access::Reason;
    use workshop_shared::schema::key;
    use workshop_shared::template::{self, WorkshopMeta};

    use workshop_shared::access::Capability;
    use yrs::{MapPrelim, Text, WriteTxn};

    use crate::rooms::writers::Owner;

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

    /// A guard with the owners of the client ids it has seen accepted.
    struct Guarded {
        guard: Guard,
        writers: RefCell<Writers>,
    }

    impl Guarded {
        fn new(real: &Doc) -> Guarded {
            let mut writers = Writers::default();
            writers.insert(real.client_id(), Owner::Server);
            Guarded {
                guard: Guard::new(real),
                writers: RefCell::new(writers),
            }
        }
    }

    impl std::ops::Deref for Guarded {
        type Target = Guard;

        fn deref(&self) -> &Guard {
            &self.guard
        }
    }

    /// The author of a connection with `writer`'s rights, one token per kind of writer.
    fn author(writer: &Capability) -> Author {
        Author::new(writer.clone(), format!("{writer:?}"))
    }

    /// Checks as `author`, and applies to the real document when allowed (as the room does).
    fn submit(guard: &Guarded, author: &mut Author, update: &[u8], real: &Doc) -> Verdict {
        let decoded = Update::decode_v1(update).unwrap();
        let verdict = guard
            .check(author, &guard.writers.borrow(), decoded, real)
            .unwrap();
        if let Verdict::Accept {
            update,
            decoded,
            new_clients,
        } = verdict
        {
            guard.commit(real, decoded).unwrap();
            author.brought(new_clients.len());
            for client in &new_clients {
                guard
                    .writers
                    .borrow_mut()
                    .insert(*client, Owner::Token(author.token().clone()));
            }
            return Verdict::Accept {
                decoded: Update::decode_v1(&update).unwrap(),
                update,
                new_clients,
            };
        }
        verdict
    }

    /// Like [`submit`] for a one-off connection of `writer`; the refusal, if any.
    fn check_and_apply(
        guard: &Guarded,
        writer: &Capability,
        update: &[u8],
        real: &Doc,
    ) -> Option<Refusal> {
        match submit(guard, &mut author(writer), update, real) {
            Verdict::Refuse(refusal) => Some(refusal),
            Verdict::Accept { .. } | Verdict::Nothing => None,
        }
    }

    fn json(doc: &Doc) -> serde_json::Value {
        workshop_shared::export::document_json(&doc.transact())
    }

    /// Whether the guard's shadow, if it has one, holds what the real document holds.
    fn shadow_agrees(guard: &Guard, real: &Doc) -> bool {
        lock(&guard.shadow)
            .as_ref()
            .is_none_or(|shadow| json(shadow) == json(real))
    }

    /// Whether the guard's shadow holds anything pending.
    fn shadow_pending(guard: &Guard) -> bool {
        lock(&guard.shadow)
            .as_ref()
            .is_some_and(|shadow| shadow.transact().has_missing_updates())
    }

    #[test]
    fn own_votes_pass_and_the_shadow_follows_the_real_document() {
        let real = real();
        let guard = Guarded::new(&real);
        let client = replica(&real);
        let update = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 4);
        });
        assert_eq!(check_and_apply(&guard, &me(), &update, &real), None);
        let shadow = || lock(&guard.shadow).as_ref().map(json);
        assert_eq!(shadow(), Some(json(&real)));

        // A server write (recompute) reaches the shadow through the observer.
        workshop_shared::recompute(&mut real.transact_mut(), date!(2026 - 11 - 23));
        assert_eq!(shadow(), Some(json(&real)));

        // At rest (nobody connected) there is no shadow; the next check makes it afresh.
        guard.rest();
        assert_eq!(shadow(), None);
        let again = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 5);
        });
        assert_eq!(check_and_apply(&guard, &me(), &again, &real), None);
        assert_eq!(shadow(), Some(json(&real)));
    }

    #[test]
    fn a_mixed_update_is_refused_whole_and_the_shadow_forgets_it() {
        let real = real();
        let guard = Guarded::new(&real);
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
        assert!(shadow_agrees(&guard, &real));

        // The facilitator may do the same.
        assert_eq!(
            check_and_apply(&guard, &Capability::Facilitator, &update, &real),
            None
        );
        assert_ne!(json(&real), before);
        assert!(shadow_agrees(&guard, &real));
    }

    #[test]
    fn votes_inside_a_new_item_count() {
        let real = real();
        let guard = Guarded::new(&real);
        let item = |client: &Doc, voter: &'static str| {
            edit(client, move |txn| {
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
        let refused = item(&replica(&real), OTHER);
        let refusal = check_and_apply(&guard, &me(), &refused, &real).unwrap();
        assert_eq!(refusal.reason, Reason::OthersVote(OTHER.into()));
        assert!(
            refusal.path.ends_with(&format!("/dots/{OTHER}")),
            "{}",
            refusal.path
        );
        // A client whose edit was refused continues its clock after it: its next edit waits
        // on the refused one, so it reloads (a fresh replica) and tries again.
        assert_eq!(
            check_and_apply(&guard, &me(), &item(&replica(&real), ME), &real),
            None
        );
    }

    #[test]
    fn removing_a_vote_map_removes_the_votes_in_it() {
        let real = real();
        let guard = Guarded::new(&real);
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
        let guard = Guarded::new(&real);
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
        let guard = Guarded::new(&real);
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
    fn an_update_left_pending_is_refused_for_every_writer() {
        let real = real();
        let guard = Guarded::new(&real);
        let client = replica(&real);
        let _first = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 1);
        });
        let second = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 2);
        });
        for writer in [me(), Capability::Facilitator] {
            let refusal = check_and_apply(&guard, &writer, &second, &real).unwrap();
            assert_eq!(refusal.reason, Reason::Unverifiable);
            assert!(!shadow_pending(&guard));
            assert!(!real.transact().has_missing_updates());
        }
    }

    /// One block of a hand-made update.
    enum Raw {
        /// A GC range of this length.
        Gc(u32),
        /// A string item whose right origin is this id (its parent is inferred from it).
        Before(yrs::ID, &'static str),
    }

    /// A v1 update of one block under `client` at `clock`, and no deletions, encoded by hand
    /// as an attacker would.
    fn crafted(client: ClientID, clock: u32, block: Raw) -> Vec<u8> {
        use yrs::encoding::write::Write;
        use yrs::updates::encoder::{Encoder, EncoderV1};
        let mut encoder = EncoderV1::new();
        encoder.write_var(1u32); // clients
        encoder.write_var(1u32); // blocks of this client
        encoder.write_client(client);
        encoder.write_var(clock);
        match block {
            Raw::Gc(len) => {
                encoder.write_info(0);
                encoder.write_len(len);
            }
            Raw::Before(right, text) => {
                // Right origin present (bit 7), string content (ref 4).
                encoder.write_info(0b0100_0000 | 4);
                encoder.write_right_id(&right);
                encoder.write_string(text);
            }
        }
        encoder.write_var(0u32); // delete set: no clients
        encoder.to_vec()
    }

    #[test]
    fn a_block_waiting_on_the_servers_next_clock_is_refused_and_never_integrates_later() {
        let real = real();
        let guard = Guarded::new(&real);
        let before = json(&real);
        let server_next = yrs::ID::new(
            real.client_id(),
            real.transact().state_vector().get(&real.client_id()),
        );
        let attack = crafted(
            ClientID::new(4242),
            0,
            Raw::Before(server_next, "market-management"),
        );
        let mut viewer = author(&Capability::Viewer);
        let verdict = submit(&guard, &mut viewer, &attack, &real);
        assert_eq!(
            verdict,
            Verdict::Refuse(Refusal::whole(Reason::Unverifiable))
        );
        // The server writes under its own id (as a registration or a recompute does): the
        // refused block is nowhere to integrate with it.
        {
            let meta = real.get_or_insert_map(schema::META);
            let mut txn = real.transact_mut_with(super::super::SERVER_ORIGIN);
            meta.insert(&mut txn, "note", "x");
        }
        let mut expected = before;
        expected["meta"]["note"] = "x".into();
        assert_eq!(json(&real), expected);
        assert!(shadow_agrees(&guard, &real));
        assert!(!real.transact().has_missing_updates());
    }

    #[test]
    fn a_block_after_a_gap_in_its_clients_clocks_is_refused_for_every_writer() {
        // Found by the `connections` fuzz target: yrs integrates a GC range after a gap, and
        // its transaction encodes that as a deletion of clocks nobody holds, which the room's
        // document would have kept pending.
        let real = real();
        let guard = Guarded::new(&real);
        let before = real.transact().state_vector();
        let gap = crafted(ClientID::new(9), 16383, Raw::Gc(25));
        let after_origin = crafted(
            ClientID::new(10),
            5,
            Raw::Before(yrs::ID::new(real.client_id(), 0), "x"),
        );
        for update in [&gap, &after_origin] {
            for writer in [Capability::Facilitator, me()] {
                let refusal = check_and_apply(&guard, &writer, update, &real).unwrap();
                assert_eq!(refusal.reason, Reason::Unverifiable);
            }
        }
        assert_eq!(real.transact().state_vector(), before);
        assert!(!real.transact().has_missing_updates());
        assert!(!shadow_pending(&guard));
    }

    #[test]
    fn a_reader_integrates_nothing_even_where_no_clock_advances() {
        // Found by the `connections` fuzz target: a GC range whose length overflows its
        // client's clock. Taken by yrs, it left the state vector as it was, so no clock
        // advanced, yet its transaction came out as a non-empty update.
        let overflowing: Vec<u8> = vec![
            0x01, 0x01, 0x23, 0xda, 0x00, 0x00, 0xff, 0xff, 0xfd, 0xff, 0xff, 0xff, 0x00, 0x00,
            0x01, 0xb4, 0x00, 0x04, 0x8a, 0xee, 0xee,
        ];
        let Ok(update) = Update::decode_v1(&overflowing) else {
            panic!("the fuzzer's update decodes");
        };
        drop(update);
        let real = real();
        let guard = Guarded::new(&real);
        let before = json(&real);
        for reader in [Capability::Viewer, Capability::EditorInvite] {
            assert!(check_and_apply(&guard, &reader, &overflowing, &real).is_some());
        }
        assert_eq!(json(&real), before);
        assert!(!real.transact().has_missing_updates());
        // And a writer's is taken only if it applies whole.
        let _ = check_and_apply(&guard, &Capability::Facilitator, &overflowing, &real);
        assert!(!real.transact().has_missing_updates());
        assert!(shadow_agrees(&guard, &real));
    }

    #[test]
    fn readers_may_not_advance_any_clock_not_even_with_gc_blocks() {
        let real = real();
        let guard = Guarded::new(&real);
        let before_state = real.transact().state_vector();
        // A GC range of 1000 under a fresh client id: no event, but a new client in the
        // state vector.
        let gc = crafted(ClientID::new(777), 0, Raw::Gc(1000));
        for reader in [Capability::Viewer, Capability::EditorInvite] {
            let refusal = check_and_apply(&guard, &reader, &gc, &real).unwrap();
            assert_eq!(refusal.reason, Reason::ReadOnly);
        }
        assert_eq!(real.transact().state_vector(), before_state);
        assert!(shadow_agrees(&guard, &real));
    }

    #[test]
    fn a_client_id_belongs_to_its_first_writer_and_the_servers_to_nobody() {
        let real = real();
        let guard = Guarded::new(&real);
        let facilitator_doc = replica(&real);
        let mut facilitator = author(&Capability::Facilitator);
        let first = edit(&facilitator_doc, |txn| {
            factor(txn).insert(txn, key::AGREED_SCORE, 3);
        });
        assert!(matches!(
            submit(&guard, &mut facilitator, &first, &real),
            Verdict::Accept { ref new_clients, .. } if new_clients == &[facilitator_doc.client_id()]
        ));
        // Squatting the facilitator's next clocks with a GC range, and the server's.
        for victim in [facilitator_doc.client_id(), real.client_id()] {
            let clock = real.transact().state_vector().get(&victim);
            let squat = crafted(victim, clock, Raw::Gc(1 << 30));
            let mut participant = author(&me());
            assert_eq!(
                submit(&guard, &mut participant, &squat, &real),
                Verdict::Refuse(Refusal::whole(Reason::ForeignClient))
            );
            // Not even another facilitator token may write under the server's id or another
            // token's.
            let mut other_facilitator = Author::new(Capability::Facilitator, "another");
            assert_eq!(
                submit(&guard, &mut other_facilitator, &squat, &real),
                Verdict::Refuse(Refusal::whole(Reason::ForeignClient))
            );
        }
        // The facilitator's real next edit still lands.
        let second = edit(&facilitator_doc, |txn| {
            factor(txn).insert(txn, key::AGREED_SCORE, 4);
        });
        assert!(matches!(
            submit(&guard, &mut facilitator, &second, &real),
            Verdict::Accept { ref new_clients, .. } if new_clients.is_empty()
        ));
        assert_eq!(json(&real), json(&facilitator_doc));
    }

    #[test]
    fn what_is_accepted_is_what_integrated_not_the_bytes_sent() {
        let real = real();
        let guard = Guarded::new(&real);
        let client = replica(&real);
        let mut writer = author(&me());
        let vote = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 4);
        });
        let Verdict::Accept { update, .. } = submit(&guard, &mut writer, &vote, &real) else {
            panic!("a participant's own vote is accepted");
        };
        assert_eq!(
            Update::decode_v1(&update).unwrap(),
            Update::decode_v1(&vote).unwrap()
        );
        // The same blocks again (a duplicate, whatever its content): nothing to take.
        assert_eq!(submit(&guard, &mut writer, &vote, &real), Verdict::Nothing);
        let forged = edit(&copy_of(&real), |_| {});
        assert_eq!(
            submit(&guard, &mut writer, &forged, &real),
            Verdict::Nothing
        );
    }

    #[test]
    fn a_connection_brings_a_bounded_number_of_new_client_ids() {
        let real = real();
        let guard = Guarded::new(&real);
        let mut writer = author(&me());
        for _ in 0..super::super::writers::MAX_NEW_CLIENTS_PER_CONNECTION {
            let vote = edit(&replica(&real), |txn| {
                scores(txn).insert(txn, ME, 4);
            });
            assert!(matches!(
                submit(&guard, &mut writer, &vote, &real),
                Verdict::Accept { .. }
            ));
        }
        let one_more = edit(&replica(&real), |txn| {
            scores(txn).insert(txn, ME, 5);
        });
        assert_eq!(
            submit(&guard, &mut writer, &one_more, &real),
            Verdict::Refuse(Refusal::whole(Reason::TooManyClients))
        );
    }
}
