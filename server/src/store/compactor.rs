//! The compactor: one low-priority thread that folds update logs into snapshots for every
//! room of the process.
//!
//! A compaction replays and re-encodes a whole document, which takes milliseconds to tens of
//! milliseconds for a workshop with a long history. On the blocking pool it would compete for
//! the cores on equal terms with the tasks that relay updates, and on a small machine the
//! relay would feel it. Here it runs on its own thread at the lowest normal priority (nice
//! 19), so it takes the time the relay leaves over, and compactions of different rooms queue
//! behind each other instead of piling onto the cores at once. A compaction only ever delays
//! the next snapshot: the log keeps every update durable meanwhile.
//!
//! One fold runs at a time, from the read of its log to the write of its snapshot: a fold
//! holds its workshop's log and snapshot in memory, and rooms pass their thresholds together
//! (a hundred workshops that started together, each with ten people voting). When every fold
//! read its log as soon as it was due and then queued for the thread, a hundred logs were held
//! at once: in 100 workshops × 10 participants × 1 vote a second over 35 s, the peak RSS
//! was 227 to 241 MiB against 123 MiB with no compaction in the window, and 149 MiB with one
//! fold at a time (docs/performance.md, "Lean rooms", has the runs).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use thread_priority::{
    set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy, ThreadPriority,
    ThreadSchedulePolicy,
};
use tokio::sync::{oneshot, Semaphore};
use uuid::Uuid;

use super::compaction::finish_fold;
use super::{Compacted, Storage, StoreError};

type Job = Box<dyn FnOnce() + Send>;

/// Handle to the compactor thread; cheap to clone. The thread ends when every handle is
/// dropped.
#[derive(Clone, Debug)]
pub struct Compactor {
    jobs: mpsc::Sender<Job>,
    /// One fold at a time (see the module documentation).
    turn: Arc<Semaphore>,
    /// Folds past their turn now, and the most there ever were (tests and diagnostics).
    folding: Arc<(AtomicUsize, AtomicUsize)>,
}

impl Compactor {
    /// Starts the compactor thread. If the system cannot start a thread, compactions run on
    /// Tokio's blocking pool instead.
    pub fn spawn() -> Compactor {
        let (jobs, incoming) = mpsc::channel::<Job>();
        let started = std::thread::Builder::new()
            .name("compactor".into())
            .spawn(move || {
                lower_priority();
                while let Ok(job) = incoming.recv() {
                    // A job that panics drops its answer (its caller sees the failure); the
                    // thread goes on with the next.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            });
        if let Err(error) = started {
            tracing::error!(%error, "cannot start the compactor thread; compacting on the blocking pool");
        }
        Compactor {
            jobs,
            turn: Arc::new(Semaphore::new(1)),
            folding: Arc::new((AtomicUsize::new(0), AtomicUsize::new(0))),
        }
    }

    /// The most folds that ever ran at once.
    pub fn most_at_once(&self) -> usize {
        self.folding.1.load(Ordering::Relaxed)
    }

    /// Folds the log of `id` into a new snapshot ([`super::compaction::fold_log`]) and
    /// returns what it did, once the folds before it are done. Reading and writing storage
    /// run on the blocking pool at normal priority; only the replay and encoding in between
    /// run on the compactor thread, so the low-priority thread never holds a lock of the
    /// database that a room may be waiting for.
    pub async fn fold_log(
        &self,
        store: Arc<dyn Storage>,
        id: Uuid,
    ) -> Result<Compacted, StoreError> {
        let _turn = self
            .turn
            .acquire()
            .await
            .map_err(|_| StoreError::Task("the compactor stopped".into()))?;
        let (now, most) = &*self.folding;
        let folding = now.fetch_add(1, Ordering::Relaxed) + 1;
        most.fetch_max(folding, Ordering::Relaxed);
        let folded = self.fold_in_turn(store, id).await;
        now.fetch_sub(1, Ordering::Relaxed);
        folded
    }

    async fn fold_in_turn(
        &self,
        store: Arc<dyn Storage>,
        id: Uuid,
    ) -> Result<Compacted, StoreError> {
        let reader = Arc::clone(&store);
        let fold = Arc::new(super::blocking(move || reader.to_fold(id)).await?);
        let (answer, done) = oneshot::channel();
        let encoding = Arc::clone(&fold);
        let job: Job = Box::new(move || {
            let _ = answer.send(encoding.encode());
        });
        if let Err(mpsc::SendError(job)) = self.jobs.send(job) {
            // No compactor thread: encode on the blocking pool instead.
            super::blocking(move || {
                job();
                Ok(())
            })
            .await?;
        }
        let snapshot = done
            .await
            .map_err(|_| StoreError::Task("the compaction panicked".into()))??;
        super::blocking(move || finish_fold(&*store, &fold, &snapshot)).await
    }
}

/// Puts the calling thread at the lowest priority of the normal scheduling policy. Where the
/// system does not allow it, the thread keeps its priority: compactions still work, they
/// just compete with the relay on equal terms.
fn lower_priority() {
    let lowered = set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Min,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
    );
    if let Err(error) = lowered {
        tracing::warn!(?error, "cannot lower the compactor's priority");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::recovery::tests::{append, notes, record};
    use crate::store::Store;
    use yrs::{Doc, ReadTxn, StateVector, Transact};

    #[tokio::test]
    async fn folds_the_covered_entries_and_keeps_the_later_ones() {
        let store = Store::temporary().unwrap();
        let id = Uuid::new_v4();
        let doc = Doc::new();
        let first = append(&doc, "a");
        store.create(id, &record(), &first).unwrap();
        for text in ["b", "c"] {
            Storage::append(&store, id, &append(&doc, text)).unwrap();
        }
        let fold = store.to_fold(id).unwrap();
        // Appended after the fold read the log: kept.
        Storage::append(&store, id, &append(&doc, "d")).unwrap();
        let snapshot = fold.encode().unwrap();
        let compacted = finish_fold(&store, &fold, &snapshot).unwrap();
        assert_eq!((compacted.removed, compacted.covers), (2, 2));

        let stored = store.load(id).unwrap().unwrap();
        assert_eq!(stored.next_seq, 3);
        assert_eq!(
            stored.updates.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2]
        );
        let snapshot = stored.snapshot.unwrap();
        assert_eq!(snapshot.len(), compacted.snapshot_bytes);
        let restored =
            crate::store::recovery::restore(&store, id, &store.load(id).unwrap().unwrap()).unwrap();
        assert_eq!(notes(&restored.doc), "abcd");
        assert_eq!(
            restored
                .doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default())
                .len(),
            doc.transact()
                .encode_state_as_update_v1(&StateVector::default())
                .len()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn folds_due_together_run_one_at_a_time_and_all_finish() {
        let store = Store::temporary().unwrap();
        let compactor = Compactor::spawn();
        let mut folds = Vec::new();
        for _ in 0..8 {
            let id = Uuid::new_v4();
            let doc = Doc::new();
            store.create(id, &record(), &append(&doc, "a")).unwrap();
            for seq in 0..20u64 {
                store.append_at(id, seq, &append(&doc, "b")).unwrap();
            }
            let (compactor, store) = (compactor.clone(), store.clone());
            folds.push(tokio::spawn(async move {
                compactor.fold_log(Arc::new(store), id).await
            }));
        }
        for fold in folds {
            assert_eq!(fold.await.unwrap().unwrap().removed, 20);
        }
        assert_eq!(compactor.most_at_once(), 1);
    }

    #[tokio::test]
    async fn a_damaged_log_record_fails_the_fold_and_changes_nothing() {
        let store = Store::temporary().unwrap();
        let id = Uuid::new_v4();
        let doc = Doc::new();
        store.create(id, &record(), &append(&doc, "a")).unwrap();
        store.append_at(id, 0, &append(&doc, "b")).unwrap();
        store.append_at(id, 1, b"\xff\xff not an update").unwrap();
        let before = store.load(id).unwrap().unwrap();
        let compactor = Compactor::spawn();
        let error = compactor
            .fold_log(Arc::new(store.clone()), id)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("log record 1"), "{error}");
        assert_eq!(store.load(id).unwrap().unwrap(), before);
    }
}
