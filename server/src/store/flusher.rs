//! Group commit: one thread flushes sled on behalf of every waiting caller.
//!
//! A flush writes everything inserted before it started, so callers who asked while a flush
//! was running can all share the next one. Under load this turns N concurrent fsyncs into
//! about two, which is what keeps "durable before broadcast" cheap. The flushes run on a
//! thread of their own, which waits for requests and answers them directly: an update waits
//! for the disk and for no hand-off between tasks and thread pools on top.

use std::sync::mpsc;

use tokio::sync::oneshot;

use super::{SharedStorage, StoreError};

type Waiter = oneshot::Sender<Result<(), StoreError>>;

/// Handle to the flusher thread; cheap to clone. The thread ends when every handle is
/// dropped.
#[derive(Clone, Debug)]
pub struct Flusher {
    requests: mpsc::Sender<Waiter>,
}

impl Flusher {
    /// Starts the flusher thread for `store`. Should the system refuse a thread, the same
    /// loop runs on Tokio's blocking pool, so this must be called inside a Tokio runtime.
    pub fn spawn(store: SharedStorage) -> Flusher {
        let (requests, incoming) = mpsc::channel::<Waiter>();
        // The store and the queue go to the thread once it exists, and stay here if it cannot.
        let (hand_over, handed) = mpsc::sync_channel(1);
        let started = std::thread::Builder::new()
            .name("workshop-flusher".into())
            .spawn(move || {
                if let Ok((store, incoming)) = handed.recv() {
                    serve(&store, &incoming);
                }
            });
        match started {
            Ok(_) => {
                let _ = hand_over.send((store, incoming));
            }
            Err(error) => {
                tracing::error!(%error, "cannot start the flusher thread; flushing on the blocking pool");
                tokio::task::spawn_blocking(move || serve(&store, &incoming));
            }
        }
        Flusher { requests }
    }

    /// A flusher that takes requests and never answers them, as a stuck disk would (tests).
    /// Its requests stay queued, unanswered, while the returned receiver lives.
    #[cfg(test)]
    pub(crate) fn stalled() -> (Flusher, mpsc::Receiver<Waiter>) {
        let (requests, incoming) = mpsc::channel();
        (Flusher { requests }, incoming)
    }

    /// Returns once everything inserted before the call is on disk.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (waiter, done) = oneshot::channel();
        self.requests
            .send(waiter)
            .map_err(|_| StoreError::FlusherStopped)?;
        done.await.map_err(|_| StoreError::FlusherStopped)?
    }
}

/// The flusher's loop: waits for a request, takes every request already queued with it (all
/// were inserted before this point, so one flush covers them all), flushes and answers them.
/// Returns once every [`Flusher`] handle is dropped.
fn serve(store: &SharedStorage, incoming: &mpsc::Receiver<Waiter>) {
    while let Ok(first) = incoming.recv() {
        let mut waiters = vec![first];
        waiters.extend(incoming.try_iter());
        let started = std::time::Instant::now();
        let result = store.flush();
        crate::metrics::flushed(started.elapsed());
        if let Err(error) = &result {
            tracing::error!(%error, "flushing storage failed");
        }
        for waiter in waiters {
            // A waiter that gave up (its connection closed) needs no answer.
            let _ = waiter.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::Store;
    use uuid::Uuid;

    #[tokio::test]
    async fn concurrent_flushes_all_succeed_and_data_is_durable() {
        let dir = tempfile::tempdir().unwrap();
        let id = Uuid::new_v4();
        {
            let store = Store::open(dir.path()).unwrap();
            let record = crate::store::WorkshopRecord {
                title: "t".into(),
                place: "p".into(),
                created_at: "c".into(),
                updated_at: "u".into(),
            };
            store.create(id, &record, b"s").unwrap();
            let flusher = Flusher::spawn(store.clone().into());
            let mut handles = Vec::new();
            for seq in 0..32u64 {
                let store = store.clone();
                let flusher = flusher.clone();
                handles.push(tokio::spawn(async move {
                    store.append_at(id, seq, &seq.to_be_bytes()).unwrap();
                    flusher.flush().await
                }));
            }
            for handle in handles {
                handle.await.unwrap().unwrap();
            }
        }
        let store = crate::store::reopen(dir.path()).await;
        assert_eq!(store.load(id).unwrap().unwrap().updates.len(), 32);
    }
}
