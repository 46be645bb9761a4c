//! The write guard of a room: decides whether a client's update may be taken, and what exactly
//! is taken, before any of it is stored or reaches another client.
//!
//! The guard judges an update by applying it to the room's own document, in one transaction,
//! and looking at what yrs did ([`check`]):
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
//!    - text and array events give a change at their own path; a root created by the update
//!      gives a change at its name.
//!
//! What is accepted is not the client's bytes but the update the transaction produced:
//! exactly the blocks and deletions that integrated, so duplicates of what the server holds
//! (with whatever content a client put in them) are never stored or relayed, and an update
//! that integrated nothing is dropped.
//!
//! **A refused update is rolled back.** yrs cannot undo a transaction, so a document that took
//! in an update it must not keep ([`Judged::RollBack`]) is rebuilt from the room's log, which
//! holds everything the document held before it, and nothing of the update survives anywhere:
//! it was neither logged nor relayed. Refusals are rare (no client of ours makes them), and
//! each costs one rebuild, as the copy a second document needed after a refusal did.
//!
//! **A nested value removed or replaced** (an item, a vote map) by anyone but the facilitator
//! counts as removing everything it held, which is gone from the document once the update is
//! in. Such an update is rolled back too and judged again on a copy of the document
//! ([`check_on_copy`]): the copy takes the update, its observers list what changed, and what
//! the removed values held is read from the document itself, which still has it. Only then
//! is the update applied to the document.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

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

/// Key of the guard's observers on the roots of the document it applies an update to.
const OBSERVER: &str = "workshop-server-guard";

/// What the guard decided about one update.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Take this v1 update: exactly what integrated. `new_clients` are the client ids it
    /// brings that nobody owned; the sender's token owns them from now on.
    Accept {
        update: Vec<u8>,
        new_clients: Vec<ClientID>,
    },
    /// The update holds nothing the document lacks: nothing to apply, store or relay.
    Nothing,
    /// Take nothing of it.
    Refuse(Refusal),
}

/// What [`check`] did with an update.
#[derive(Debug)]
pub(crate) enum Judged {
    /// Decided, and the document holds exactly what the verdict says: the accepted update,
    /// or nothing new.
    Done(Verdict),
    /// The document took the update in and must not keep it: rebuild the document from the
    /// log (everything before the update, whose state vector was `before`), then finish as
    /// `then` says.
    RollBack { before: StateVector, then: Then },
}

/// How to finish an update once its document was rolled back ([`Judged::RollBack`]).
#[derive(Debug)]
pub(crate) enum Then {
    /// It is refused.
    Refuse(Refusal),
    /// yrs refused it: the connection's batch ends with this error.
    Fail(SyncError),
    /// It removed or replaced a nested value: judge it again, this v1 update, with
    /// [`check_on_copy`].
    JudgeOnCopy(Vec<u8>),
}

/// Judges the update `update` (v1 `encoded`) from `author` by applying it to `doc` (the room's
/// document) in one transaction, against the owners of its client ids; see the module
/// documentation.
///
/// Must be called with the room locked, so that nothing else reads or writes `doc` before a
/// rollback it asks for.
pub(crate) fn check(
    author: &Author,
    writers: &Writers,
    update: Update,
    encoded: &[u8],
    doc: &Doc,
) -> Judged {
    let before = doc.transact().state_vector();
    if leaves_a_hole(&update, &before) {
        return Judged::Done(Verdict::Refuse(Refusal::whole(Reason::Unverifiable)));
    }
    let observe = !author.capability().is_facilitator();
    // yrs computes events with a few `unwrap`s on block content; a crafted update must
    // not take the connection task down with it (the document is rebuilt).
    let applied = catch_unwind(AssertUnwindSafe(|| observe_apply(doc, update, observe)));
    let applied = match applied {
        Err(_) => {
            tracing::warn!("applying an update panicked; refusing it");
            let then = Then::Refuse(Refusal::whole(Reason::Unverifiable));
            return Judged::RollBack { before, then };
        }
        Ok(Err(error)) => {
            let then = Then::Fail(error.into());
            return Judged::RollBack { before, then };
        }
        Ok(Ok(applied)) => applied,
    };
    let removes_nested = applied
        .observed
        .as_ref()
        .is_some_and(|observed| !observed.removed_nested.is_empty());
    if removes_nested {
        let then = Then::JudgeOnCopy(encoded.to_vec());
        return Judged::RollBack { before, then };
    }
    let changes = applied.observed.map(|observed| observed.changes);
    match judge(
        author,
        writers,
        &before,
        doc,
        applied.update,
        applied.missing,
        changes,
    ) {
        Verdict::Refuse(refusal) => Judged::RollBack {
            before,
            then: Then::Refuse(refusal),
        },
        verdict => Judged::Done(verdict),
    }
}

/// Judges `update` from `author` on a copy of `doc`, which stays as it is: the verdict
/// [`check`] would give, with what a removed nested value held read from `doc`. An accepted
/// update is then applied to `doc` with [`commit`].
pub(crate) fn check_on_copy(
    author: &Author,
    writers: &Writers,
    update: Update,
    doc: &Doc,
) -> Result<Verdict, SyncError> {
    let copy = copy_of(doc);
    let before = copy.transact().state_vector();
    if leaves_a_hole(&update, &before) {
        return Ok(Verdict::Refuse(Refusal::whole(Reason::Unverifiable)));
    }
    let observe = !author.capability().is_facilitator();
    let applied = catch_unwind(AssertUnwindSafe(|| observe_apply(&copy, update, observe)));
    Ok(match applied {
        Err(_) => {
            tracing::warn!("applying an update to a copy panicked; refusing it");
            Verdict::Refuse(Refusal::whole(Reason::Unverifiable))
        }
        Ok(Err(error)) => return Err(error.into()),
        Ok(Ok(applied)) => {
            let changes = applied.observed.map(|observed| observed.into_changes(doc));
            judge(
                author,
                writers,
                &before,
                &copy,
                applied.update,
                applied.missing,
                changes,
            )
        }
    })
}

/// Applies `update`, which [`check_on_copy`] accepted, to `doc`. If `doc` does not take it
/// exactly as the copy did (it fails, or leaves something pending), the two have diverged:
/// the caller must drop the room and reload it from its log, where this update is not.
pub(crate) fn commit(doc: &Doc, update: &[u8]) -> Result<(), Diverged> {
    let applied = Update::decode_v1(update)
        .map_err(|_| Diverged)
        .and_then(|update| {
            let mut txn = doc.transact_mut();
            txn.apply_update(update).map_err(|_| Diverged)?;
            Ok(txn.has_missing_updates())
        });
    match applied {
        Ok(false) => Ok(()),
        _ => {
            tracing::error!("the document did not take an update as its copy did");
            Err(Diverged)
        }
    }
}

/// The room's document did not take an accepted update as its copy did.
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

/// The verdict on an update a document has taken in (`update`, what its transaction
/// produced; `missing`, whether yrs left part of it pending; `changes`, what it changed, if
/// it was observed): see the module documentation. `before` is the document's state vector
/// before the update, `doc` the document after it.
fn judge(
    author: &Author,
    writers: &Writers,
    before: &StateVector,
    doc: &Doc,
    update: Vec<u8>,
    missing: bool,
    changes: Option<Vec<Change>>,
) -> Verdict {
    if missing {
        return Verdict::Refuse(Refusal::whole(Reason::Unverifiable));
    }
    if let Some(changes) = changes {
        if let Err(refusal) = access::check(author.capability(), &changes) {
            return Verdict::Refuse(refusal);
        }
    }
    if sync::is_empty_update(&update) {
        return Verdict::Nothing;
    }
    // A token that may not write integrates nothing at all: no content, no GC range, no
    // deletion, whatever events it makes or does not make.
    if !author.may_write() {
        return Verdict::Refuse(Refusal::whole(Reason::ReadOnly));
    }
    // What is stored and relayed is the transaction's own update: it must apply to a replica
    // as a whole, as it did here (no hole before a block, no deletion of clocks nobody
    // holds), or a replica would keep part of it pending.
    let after = doc.transact().state_vector();
    let Ok(diff) = Update::decode_v1(&update) else {
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
        update,
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

/// Gives each root of the schema its type in `doc`, the room's document: an empty root has no
/// trace in an update, so a document loaded or rebuilt from its log would not know it, and the
/// guard would see a client's first write there as the root's creation. Typing a root writes
/// nothing.
pub(crate) fn type_roots(doc: &Doc) {
    for root in schema::ROOTS {
        doc.get_or_insert_map(root);
    }
}

/// A new document holding everything `real` has integrated, with the document's root maps
/// typed.
fn copy_of(real: &Doc) -> Doc {
    let state = real
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let copy = Doc::new();
    match Update::decode_v1(&state) {
        Ok(update) => {
            if let Err(error) = copy.transact_mut().apply_update(update) {
                tracing::error!(%error, "cannot copy the document");
            }
        }
        Err(error) => tracing::error!(%error, "cannot decode the document's own state"),
    }
    type_roots(&copy);
    copy
}

/// What the deep observers saw while one update was applied.
#[derive(Debug, Default)]
struct Observed {
    changes: Vec<Change>,
    /// Paths whose old value was a nested type: what it held is listed from the document the
    /// update was not applied to ([`check_on_copy`]).
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

/// What applying one update to a document did.
struct Applied {
    /// What the deep observers saw (`None` when nobody watched: the facilitator's updates).
    observed: Option<Observed>,
    /// The update the transaction produced: exactly what integrated.
    update: Vec<u8>,
    /// Whether yrs left part of it pending.
    missing: bool,
}

/// Applies `update` to `doc` in one transaction and reports what it did; with `observe`,
/// deep observers on every root list what changed.
fn observe_apply(
    doc: &Doc,
    update: Update,
    observe: bool,
) -> Result<Applied, yrs::error::UpdateError> {
    if !observe {
        let mut txn = doc.transact_mut();
        txn.apply_update(update)?;
        return Ok(Applied {
            observed: None,
            update: txn.encode_update_v1(),
            missing: txn.has_missing_updates(),
        });
    }
    // A root the document only knows by name has no type, and untyped types emit no events:
    // give each the type every root of the document has. Typing a root writes nothing.
    let untyped: Vec<String> = doc
        .transact()
        .root_refs()
        .filter(|(_, value)| matches!(value, Out::UndefinedRef(_)))
        .map(|(name, _)| name.to_owned())
        .collect();
    for name in untyped {
        doc.get_or_insert_map(name);
    }
    let roots: Vec<(String, BranchPtr)> = doc
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
        let mut txn = doc.transact_mut();
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
    for (name, _) in doc.transact().root_refs() {
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
    use std::cell::{Cell, RefCell};
    use time::macros::date;
    use workshop_shared::access::Reason;
    use workshop_shared::schema::key;
    use workshop_shared::template::{self, WorkshopMeta};

    use proptest::prelude::{any, prop_oneof, Just, Strategy};
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

    /// A document judged by the guard, with its log, as a room holds it: the owners of the
    /// client ids it has seen accepted, every update it committed (to roll back from), and how
    /// many times it was rolled back.
    struct Guarded {
        doc: RefCell<Doc>,
        log: Arc<Mutex<Vec<Vec<u8>>>>,
        writers: RefCell<Writers>,
        rollbacks: Cell<usize>,
        /// Judge every update on a copy, as the guard did when it kept a second document.
        on_copy: bool,
    }

    impl Guarded {
        fn new(real: &Doc) -> Guarded {
            Guarded::judging(real, false)
        }

        fn judging(real: &Doc, on_copy: bool) -> Guarded {
            type_roots(real);
            let mut writers = Writers::default();
            writers.insert(real.client_id(), Owner::Server);
            let log = Arc::new(Mutex::new(vec![real
                .transact()
                .encode_state_as_update_v1(&StateVector::default())]));
            let guarded = Guarded {
                doc: RefCell::new(real.clone()),
                log,
                writers: RefCell::new(writers),
                rollbacks: Cell::new(0),
                on_copy,
            };
            guarded.record();
            guarded
        }

        /// The document as it is now (a rollback replaces it).
        fn doc(&self) -> Doc {
            self.doc.borrow().clone()
        }

        fn record(&self) {
            let log = Arc::clone(&self.log);
            let doc = self.doc();
            doc.observe_update_v1("log", move |_, event| {
                log.lock().unwrap().push(event.update.clone());
            })
            .unwrap();
        }

        /// Judges `update` as the room's core does: in place, rolling back from the log when
        /// asked, then on a copy if asked. An accepted update is in the document afterwards.
        fn judge(&self, author: &Author, update: Update, encoded: &[u8]) -> Verdict {
            let writers = self.writers.borrow();
            if self.on_copy {
                let verdict = check_on_copy(author, &writers, update, &self.doc()).unwrap();
                if let Verdict::Accept { update, .. } = &verdict {
                    commit(&self.doc(), update).unwrap();
                }
                return verdict;
            }
            let logged = self.log.lock().unwrap().len();
            let then = match check(author, &writers, update, encoded, &self.doc()) {
                Judged::Done(verdict) => return verdict,
                Judged::RollBack { then, .. } => then,
            };
            self.rollbacks.set(self.rollbacks.get() + 1);
            self.log.lock().unwrap().truncate(logged);
            let rebuilt = Doc::with_client_id(self.doc().client_id().get());
            for entry in self.log.lock().unwrap().iter() {
                rebuilt
                    .transact_mut()
                    .apply_update(Update::decode_v1(entry).unwrap())
                    .unwrap();
            }
            type_roots(&rebuilt);
            *self.doc.borrow_mut() = rebuilt;
            self.record();
            match then {
                Then::Refuse(refusal) => Verdict::Refuse(refusal),
                Then::Fail(error) => panic!("{error}"),
                Then::JudgeOnCopy(update) => {
                    let update = Update::decode_v1(&update).unwrap();
                    let verdict = check_on_copy(author, &writers, update, &self.doc()).unwrap();
                    if let Verdict::Accept { update, .. } = &verdict {
                        commit(&self.doc(), update).unwrap();
                    }
                    verdict
                }
            }
        }
    }

    /// The author of a connection with `writer`'s rights, one token per kind of writer.
    fn author(writer: &Capability) -> Author {
        Author::new(writer.clone(), format!("{writer:?}"))
    }

    /// Judges as `author` and, when accepted, records the new client ids' owner (as the
    /// room does).
    fn submit(guard: &Guarded, author: &mut Author, update: &[u8]) -> Verdict {
        let decoded = Update::decode_v1(update).unwrap();
        let verdict = guard.judge(author, decoded, update);
        if let Verdict::Accept { new_clients, .. } = &verdict {
            author.brought(new_clients.len());
            for client in new_clients {
                guard
                    .writers
                    .borrow_mut()
                    .insert(*client, Owner::Token(author.token().clone()));
            }
        }
        verdict
    }

    /// Like [`submit`] for a one-off connection of `writer`; the refusal, if any.
    fn check_and_apply(guard: &Guarded, writer: &Capability, update: &[u8]) -> Option<Refusal> {
        match submit(guard, &mut author(writer), update) {
            Verdict::Refuse(refusal) => Some(refusal),
            Verdict::Accept { .. } | Verdict::Nothing => None,
        }
    }

    fn json(doc: &Doc) -> serde_json::Value {
        workshop_shared::export::document_json(&doc.transact())
    }

    #[test]
    fn own_votes_pass_in_place_and_are_the_document_as_sent() {
        let guard = Guarded::new(&real());
        let client = replica(&guard.doc());
        let update = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 4);
        });
        assert_eq!(check_and_apply(&guard, &me(), &update), None);
        assert_eq!(json(&guard.doc()), json(&client));
        // A server write (recompute) in between, then another vote.
        workshop_shared::recompute(&mut guard.doc().transact_mut(), date!(2026 - 11 - 23));
        let again = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 5);
        });
        assert_eq!(check_and_apply(&guard, &me(), &again), None);
        assert_eq!(
            json(&guard.doc())["aspects"]["capacity"]["factors"]["confidence"]["scores"][ME],
            5
        );
        assert_eq!(
            guard.rollbacks.get(),
            0,
            "accepted updates are not rolled back"
        );
    }

    #[test]
    fn a_mixed_update_is_refused_whole_and_rolled_back() {
        let guard = Guarded::new(&real());
        let before = json(&guard.doc());
        let state = guard.doc().transact().state_vector();
        let client = replica(&guard.doc());
        let update = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 4);
            factor(txn).insert(txn, key::AGREED_SCORE, 5);
        });
        let refusal = check_and_apply(&guard, &me(), &update).unwrap();
        assert_eq!(refusal.reason, Reason::FacilitatorOnly);
        assert_eq!(
            refusal.path,
            "aspects/capacity/factors/confidence/agreed_score"
        );
        assert_eq!(guard.rollbacks.get(), 1);
        assert_eq!(json(&guard.doc()), before);
        assert_eq!(guard.doc().transact().state_vector(), state);

        // The facilitator may do the same.
        assert_eq!(
            check_and_apply(&guard, &Capability::Facilitator, &update),
            None
        );
        assert_eq!(json(&guard.doc()), json(&client));
    }

    #[test]
    fn votes_inside_a_new_item_count() {
        let guard = Guarded::new(&real());
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
        let refused = item(&replica(&guard.doc()), OTHER);
        let refusal = check_and_apply(&guard, &me(), &refused).unwrap();
        assert_eq!(refusal.reason, Reason::OthersVote(OTHER.into()));
        assert!(
            refusal.path.ends_with(&format!("/dots/{OTHER}")),
            "{}",
            refusal.path
        );
        // A client whose edit was refused continues its clock after it: its next edit waits
        // on the refused one, so it reloads (a fresh replica) and tries again.
        assert_eq!(
            check_and_apply(&guard, &me(), &item(&replica(&guard.doc()), ME)),
            None
        );
    }

    #[test]
    fn removing_a_vote_map_removes_the_votes_in_it() {
        let guard = Guarded::new(&real());
        // Another participant has voted.
        let voter = replica(&guard.doc());
        let vote = edit(&voter, |txn| {
            scores(txn).insert(txn, OTHER, 2);
        });
        assert_eq!(
            check_and_apply(&guard, &Capability::Participant(OTHER.into()), &vote),
            None
        );
        let client = replica(&guard.doc());
        let wipe = edit(&client, |txn| {
            factor(txn).insert(txn, key::SCORES, MapPrelim::default());
        });
        let refusal = check_and_apply(&guard, &me(), &wipe).unwrap();
        assert_eq!(refusal.reason, Reason::OthersVote(OTHER.into()));
        let wipe_aspect = edit(&client, |txn| {
            txn.get_or_insert_map(schema::ASPECTS)
                .remove(txn, "capacity");
        });
        assert!(check_and_apply(&guard, &me(), &wipe_aspect).is_some());
    }

    #[test]
    fn removing_a_nested_value_one_may_remove_is_judged_on_a_copy_and_taken() {
        let guard = Guarded::new(&real());
        let client = replica(&guard.doc());
        let id = uuid::Uuid::new_v4().to_string();
        let create = edit(&client, |txn| {
            let items = txn.get_or_insert_map(schema::ITEMS);
            items.insert(
                txn,
                id.clone(),
                MapPrelim::from([
                    (key::TITLE, yrs::In::from("Waiting lists")),
                    (key::DOTS, MapPrelim::from([(ME, 2)]).into()),
                    (key::IMPACT, MapPrelim::default().into()),
                ]),
            );
        });
        assert_eq!(check_and_apply(&guard, &me(), &create), None);
        assert_eq!(guard.rollbacks.get(), 0);
        let remove = edit(&client, |txn| {
            txn.get_or_insert_map(schema::ITEMS).remove(txn, &id);
        });
        assert_eq!(check_and_apply(&guard, &me(), &remove), None);
        assert_eq!(guard.rollbacks.get(), 1, "judged again on a copy");
        assert_eq!(json(&guard.doc()), json(&client));
        assert!(json(&guard.doc())["items"].get(&id).is_none());
    }

    #[test]
    fn readers_are_refused_any_change_but_not_an_empty_update() {
        let guard = Guarded::new(&real());
        let client = replica(&guard.doc());
        let notes = edit(&client, |txn| {
            let notes = match factor(txn).get(txn, key::NOTES).unwrap() {
                Out::YText(text) => text,
                other => panic!("{other:?}"),
            };
            notes.push(txn, "hello");
        });
        for reader in [Capability::Viewer, Capability::EditorInvite] {
            let refusal = check_and_apply(&guard, &reader, &notes).unwrap();
            assert_eq!(refusal.reason, Reason::ReadOnly);
            assert_eq!(refusal.path, "aspects/capacity/factors/confidence/notes");
        }
        let nothing = replica(&guard.doc())
            .transact()
            .encode_state_as_update_v1(&guard.doc().transact().state_vector());
        assert_eq!(check_and_apply(&guard, &Capability::Viewer, &nothing), None);
        // A participant may edit notes.
        assert_eq!(check_and_apply(&guard, &me(), &notes), None);
    }

    #[test]
    fn new_and_existing_unknown_roots_are_outside_the_schema() {
        let guard = Guarded::new(&real());
        let client = replica(&guard.doc());
        let scratch = client.get_or_insert_text("scratch");
        let first = edit(&client, |txn| scratch.push(txn, "a"));
        let refusal = check_and_apply(&guard, &me(), &first).unwrap();
        assert_eq!(
            (refusal.path.as_str(), refusal.reason),
            ("scratch", Reason::OutsideSchema)
        );
        // Once the facilitator made it exist (untyped on the server), edits still show.
        assert_eq!(
            check_and_apply(&guard, &Capability::Facilitator, &first),
            None
        );
        let second = edit(&client, |txn| scratch.push(txn, "b"));
        let refusal = check_and_apply(&guard, &me(), &second).unwrap();
        assert_eq!(refusal.reason, Reason::OutsideSchema);
    }

    #[test]
    fn an_update_left_pending_is_refused_for_every_writer() {
        let guard = Guarded::new(&real());
        let client = replica(&guard.doc());
        let _first = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 1);
        });
        let second = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 2);
        });
        for writer in [me(), Capability::Facilitator] {
            let refusal = check_and_apply(&guard, &writer, &second).unwrap();
            assert_eq!(refusal.reason, Reason::Unverifiable);
            assert!(!guard.doc().transact().has_missing_updates());
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
        let guard = Guarded::new(&real());
        let before = json(&guard.doc());
        let server_next = yrs::ID::new(
            guard.doc().client_id(),
            guard
                .doc()
                .transact()
                .state_vector()
                .get(&guard.doc().client_id()),
        );
        let attack = crafted(
            ClientID::new(4242),
            0,
            Raw::Before(server_next, "market-management"),
        );
        let mut viewer = author(&Capability::Viewer);
        let verdict = submit(&guard, &mut viewer, &attack);
        assert_eq!(
            verdict,
            Verdict::Refuse(Refusal::whole(Reason::Unverifiable))
        );
        // The server writes under its own id (as a registration or a recompute does): the
        // refused block is nowhere to integrate with it.
        {
            let doc = guard.doc();
            let meta = doc.get_or_insert_map(schema::META);
            let mut txn = doc.transact_mut_with(super::super::SERVER_ORIGIN);
            meta.insert(&mut txn, "note", "x");
        }
        let mut expected = before;
        expected["meta"]["note"] = "x".into();
        assert_eq!(json(&guard.doc()), expected);
        assert!(!guard.doc().transact().has_missing_updates());
    }

    #[test]
    fn a_block_after_a_gap_in_its_clients_clocks_is_refused_for_every_writer() {
        // Found by the `connections` fuzz target: yrs integrates a GC range after a gap, and
        // its transaction encodes that as a deletion of clocks nobody holds, which the room's
        // document would have kept pending.
        let guard = Guarded::new(&real());
        let before = guard.doc().transact().state_vector();
        let gap = crafted(ClientID::new(9), 16383, Raw::Gc(25));
        let after_origin = crafted(
            ClientID::new(10),
            5,
            Raw::Before(yrs::ID::new(guard.doc().client_id(), 0), "x"),
        );
        for update in [&gap, &after_origin] {
            for writer in [Capability::Facilitator, me()] {
                let refusal = check_and_apply(&guard, &writer, update).unwrap();
                assert_eq!(refusal.reason, Reason::Unverifiable);
            }
        }
        assert_eq!(guard.doc().transact().state_vector(), before);
        assert!(!guard.doc().transact().has_missing_updates());
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
        let guard = Guarded::new(&real());
        let before = json(&guard.doc());
        for reader in [Capability::Viewer, Capability::EditorInvite] {
            assert!(check_and_apply(&guard, &reader, &overflowing).is_some());
        }
        assert_eq!(json(&guard.doc()), before);
        assert!(!guard.doc().transact().has_missing_updates());
        // And a writer's is taken only if it applies whole.
        let _ = check_and_apply(&guard, &Capability::Facilitator, &overflowing);
        assert!(!guard.doc().transact().has_missing_updates());
    }

    #[test]
    fn readers_may_not_advance_any_clock_not_even_with_gc_blocks() {
        let guard = Guarded::new(&real());
        let before_state = guard.doc().transact().state_vector();
        // A GC range of 1000 under a fresh client id: no event, but a new client in the
        // state vector.
        let gc = crafted(ClientID::new(777), 0, Raw::Gc(1000));
        for reader in [Capability::Viewer, Capability::EditorInvite] {
            let refusal = check_and_apply(&guard, &reader, &gc).unwrap();
            assert_eq!(refusal.reason, Reason::ReadOnly);
        }
        assert_eq!(guard.doc().transact().state_vector(), before_state);
    }

    #[test]
    fn a_client_id_belongs_to_its_first_writer_and_the_servers_to_nobody() {
        let guard = Guarded::new(&real());
        let facilitator_doc = replica(&guard.doc());
        let mut facilitator = author(&Capability::Facilitator);
        let first = edit(&facilitator_doc, |txn| {
            factor(txn).insert(txn, key::AGREED_SCORE, 3);
        });
        assert!(matches!(
            submit(&guard, &mut facilitator, &first),
            Verdict::Accept { ref new_clients, .. } if new_clients == &[facilitator_doc.client_id()]
        ));
        // Squatting the facilitator's next clocks with a GC range, and the server's.
        for victim in [facilitator_doc.client_id(), guard.doc().client_id()] {
            let clock = guard.doc().transact().state_vector().get(&victim);
            let squat = crafted(victim, clock, Raw::Gc(1 << 30));
            let mut participant = author(&me());
            assert_eq!(
                submit(&guard, &mut participant, &squat),
                Verdict::Refuse(Refusal::whole(Reason::ForeignClient))
            );
            // Not even another facilitator token may write under the server's id or another
            // token's.
            let mut other_facilitator = Author::new(Capability::Facilitator, "another");
            assert_eq!(
                submit(&guard, &mut other_facilitator, &squat),
                Verdict::Refuse(Refusal::whole(Reason::ForeignClient))
            );
        }
        // The facilitator's real next edit still lands.
        let second = edit(&facilitator_doc, |txn| {
            factor(txn).insert(txn, key::AGREED_SCORE, 4);
        });
        assert!(matches!(
            submit(&guard, &mut facilitator, &second),
            Verdict::Accept { ref new_clients, .. } if new_clients.is_empty()
        ));
        assert_eq!(json(&guard.doc()), json(&facilitator_doc));
    }

    #[test]
    fn what_is_accepted_is_what_integrated_not_the_bytes_sent() {
        let guard = Guarded::new(&real());
        let client = replica(&guard.doc());
        let mut writer = author(&me());
        let vote = edit(&client, |txn| {
            scores(txn).insert(txn, ME, 4);
        });
        let Verdict::Accept { update, .. } = submit(&guard, &mut writer, &vote) else {
            panic!("a participant's own vote is accepted");
        };
        assert_eq!(
            Update::decode_v1(&update).unwrap(),
            Update::decode_v1(&vote).unwrap()
        );
        // The same blocks again (a duplicate, whatever its content): nothing to take.
        assert_eq!(submit(&guard, &mut writer, &vote), Verdict::Nothing);
        let forged = edit(&copy_of(&guard.doc()), |_| {});
        assert_eq!(submit(&guard, &mut writer, &forged), Verdict::Nothing);
    }

    #[test]
    fn a_connection_brings_a_bounded_number_of_new_client_ids() {
        let guard = Guarded::new(&real());
        let mut writer = author(&me());
        for _ in 0..super::super::writers::MAX_NEW_CLIENTS_PER_CONNECTION {
            let vote = edit(&replica(&guard.doc()), |txn| {
                scores(txn).insert(txn, ME, 4);
            });
            assert!(matches!(
                submit(&guard, &mut writer, &vote),
                Verdict::Accept { .. }
            ));
        }
        let one_more = edit(&replica(&guard.doc()), |txn| {
            scores(txn).insert(txn, ME, 5);
        });
        assert_eq!(
            submit(&guard, &mut writer, &one_more),
            Verdict::Refuse(Refusal::whole(Reason::TooManyClients))
        );
    }

    /// One step of the differential test below.
    #[derive(Debug, Clone)]
    enum Step {
        /// Writer `who` makes an edit in its replica and sends it.
        Edit(usize, Change),
        /// Writer `who` takes in what the room holds.
        Receive(usize),
    }

    #[derive(Debug, Clone)]
    enum Change {
        /// A score vote by `voter` (0: the writer's own id, 1: another participant's).
        Vote {
            factor: usize,
            voter: usize,
            value: i64,
        },
        /// A vote removed.
        Unvote { factor: usize, voter: usize },
        /// An agreed score.
        Agreed { factor: usize, value: i64 },
        /// A new item whose dots map holds a dot of `voter`.
        Item { voter: usize },
        /// The `pick`-th item removed, if there is one.
        RemoveItem { pick: usize },
        /// A factor's score map replaced by an empty one.
        WipeScores { factor: usize },
        /// Text added to a factor's notes.
        Notes { factor: usize },
        /// The title in `meta`.
        Title,
    }

    const FACTORS: [(&str, &str); 2] = [
        ("capacity", "confidence"),
        ("whole-system", "shared-understanding"),
    ];
    /// The writers: facilitator, participant ME, participant OTHER, viewer.
    const WRITERS: usize = 4;

    fn writer(who: usize) -> Capability {
        match who {
            0 => Capability::Facilitator,
            1 => Capability::Participant(ME.into()),
            2 => Capability::Participant(OTHER.into()),
            _ => Capability::Viewer,
        }
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            (0..2usize, 0..2usize, 1..6i64).prop_map(|(factor, voter, value)| Change::Vote {
                factor,
                voter,
                value
            }),
            (0..2usize, 0..2usize).prop_map(|(factor, voter)| Change::Unvote { factor, voter }),
            (0..2usize, 1..6i64).prop_map(|(factor, value)| Change::Agreed { factor, value }),
            (0..2usize).prop_map(|voter| Change::Item { voter }),
            any::<usize>().prop_map(|pick| Change::RemoveItem { pick }),
            (0..2usize).prop_map(|factor| Change::WipeScores { factor }),
            (0..2usize).prop_map(|factor| Change::Notes { factor }),
            Just(Change::Title),
        ]
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..WRITERS, change()).prop_map(|(who, change)| Step::Edit(who, change)),
            1 => (0..WRITERS).prop_map(Step::Receive),
        ]
    }

    /// The participant id a change by `who` votes under.
    fn voter_id(who: usize, voter: usize) -> &'static str {
        match (who, voter) {
            (2, 0) | (1, 1) | (0, 1) | (3, 1) => OTHER,
            _ => ME,
        }
    }

    fn factor_map(txn: &TransactionMut<'_>, factor: usize) -> MapRef {
        let (aspect, factor) = FACTORS[factor];
        map_at(txn, &[schema::ASPECTS, aspect, key::FACTORS, factor])
    }

    fn inner_map(txn: &TransactionMut<'_>, map: &MapRef, key: &str) -> Option<MapRef> {
        match map.get(txn, key)? {
            Out::YMap(inner) => Some(inner),
            _ => None,
        }
    }

    /// Makes `change` in `doc` as writer `who`; its update.
    fn make(doc: &Doc, who: usize, change: &Change) -> Vec<u8> {
        edit(doc, |txn| match change {
            Change::Vote {
                factor,
                voter,
                value,
            } => {
                let factor = factor_map(txn, *factor);
                if let Some(scores) = inner_map(txn, &factor, key::SCORES) {
                    scores.insert(txn, voter_id(who, *voter), *value);
                }
            }
            Change::Unvote { factor, voter } => {
                let factor = factor_map(txn, *factor);
                if let Some(scores) = inner_map(txn, &factor, key::SCORES) {
                    scores.remove(txn, voter_id(who, *voter));
                }
            }
            Change::Agreed { factor, value } => {
                factor_map(txn, *factor).insert(txn, key::AGREED_SCORE, *value);
            }
            Change::Item { voter } => {
                let items = txn.get_or_insert_map(schema::ITEMS);
                let id = uuid::Uuid::new_v4().to_string();
                items.insert(
                    txn,
                    id,
                    MapPrelim::from([
                        (key::TITLE, yrs::In::from("Waiting lists")),
                        (
                            key::DOTS,
                            MapPrelim::from([(voter_id(who, *voter), 1)]).into(),
                        ),
                        (key::IMPACT, MapPrelim::default().into()),
                    ]),
                );
            }
            Change::RemoveItem { pick } => {
                let items = txn.get_or_insert_map(schema::ITEMS);
                let mut ids: Vec<String> = items.keys(txn).map(str::to_owned).collect();
                ids.sort();
                if !ids.is_empty() {
                    let id = ids[pick % ids.len()].clone();
                    items.remove(txn, &id);
                }
            }
            Change::WipeScores { factor } => {
                factor_map(txn, *factor).insert(txn, key::SCORES, MapPrelim::default());
            }
            Change::Notes { factor } => {
                let factor = factor_map(txn, *factor);
                if let Some(Out::YText(notes)) = factor.get(txn, key::NOTES) {
                    notes.push(txn, "n");
                }
            }
            Change::Title => {
                txn.get_or_insert_map(schema::META)
                    .insert(txn, "title", "Another title");
            }
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

        /// Judging in place and rolling back gives what judging on a copy gave, the way the
        /// guard worked while it kept a second document: the same verdict (the same update
        /// accepted, the same refusal) and the same document after every update.
        #[test]
        fn judging_in_place_agrees_with_judging_on_a_copy(
            steps in proptest::collection::vec(step(), 1..30)
        ) {
            let start = real();
            let in_place = Guarded::new(&copy_of(&start));
            let on_copy = Guarded::judging(&copy_of(&start), true);
            let mut next_id = 100u64;
            let mut fresh = |doc: &Doc| {
                next_id += 1;
                let replica = Doc::with_client_id(next_id);
                let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
                replica.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
                replica
            };
            let mut replicas: Vec<Doc> = (0..WRITERS).map(|_| fresh(&in_place.doc())).collect();
            let mut authors: Vec<(Author, Author)> = (0..WRITERS)
                .map(|who| (author(&writer(who)), author(&writer(who))))
                .collect();
            for step in steps {
                match step {
                    Step::Edit(who, change) => {
                        let update = make(&replicas[who], who, &change);
                        let (first, second) = &mut authors[who];
                        let here = submit(&in_place, first, &update);
                        let there = submit(&on_copy, second, &update);
                        proptest::prop_assert_eq!(&here, &there, "{:?} by {}", change, who);
                        if matches!(here, Verdict::Refuse(_)) {
                            // Its next edits would wait on the refused one: it reloads.
                            replicas[who] = fresh(&in_place.doc());
                        }
                    }
                    Step::Receive(who) => {
                        let state = replicas[who].transact().state_vector();
                        let missing = in_place.doc().transact().encode_state_as_update_v1(&state);
                        replicas[who]
                            .transact_mut()
                            .apply_update(Update::decode_v1(&missing).unwrap())
                            .unwrap();
                    }
                }
                proptest::prop_assert_eq!(json(&in_place.doc()), json(&on_copy.doc()));
                proptest::prop_assert_eq!(
                    in_place.doc().transact().state_vector(),
                    on_copy.doc().transact().state_vector()
                );
                proptest::prop_assert!(!in_place.doc().transact().has_missing_updates());
            }
        }
    }
}
