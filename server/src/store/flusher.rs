//! Group commit: one task flushes sled on behalf of every waiting caller.
//!
//! A flush writes everything inserted before it started, so callers who asked while a flush
//! was running can all share the next one. Under load this turns N concurrent fsyncs into
//! about two, which is what keeps "durable before broadcast" cheap.

use tokio::sync::{mpsc, oneshot};

use super::{Store, StoreError};

type Waiter = oneshot::Sender<Result<(), StoreError>>;

/// Handle to the flusher task; cheap to clone. The task ends when every handle is dropped.
#[derive(Clone, Debug)]
pub struct Flusher {
    requests: mpsc::UnboundedSender<Waiter>,
}

impl Flusher {
    /// Starts the flusher task for `store`. Must be called inside a Tokio runtime.
    pub fn spawn(store: Store) -> Flusher {
        let (requests, mut incoming) = mpsc::unbounded_channel::<Waiter>();
        tokio::spawn(async move {
            while let Some(first) = incoming.recv().await {
                let mut waiters = vec![first];
                // Everyone already queued was inserted before this point, so one flush
                // covers them all.
                while let Ok(waiter) = incoming.try_recv() {
                    waiters.push(waiter);
                }
                let store = store.clone();
                let started = std::time::Instant::now();
                let result = match tokio::task::spawn_blocking(move || store.flush()).await {
                    Ok(result) => result,
                    Err(join) => Err(StoreError::Task(join.to_string())),
                };
                // Measured from the caller's side, queueing on the blocking pool included:
                // that is what an update waits for before it is relayed.
                crate::metrics::flushed(started.elapsed());
                if let Err(error) = &result {
                    tracing::error!(%error, "flushing storage failed");
                }
                for waiter in waiters {
                    // A waiter that gave up (its connection closed) needs no answer.
                    let _ = waiter.send(result.clone());
                }
            }
        });
        Flusher { requests }
    }

    /// A flusher that takes requests and never answers them, as a stuck disk would (tests).
    /// Its requests stay queued, unanswered, while the returned receiver lives.
    #[cfg(test)]
    pub(crate) fn stalled() -> (Flusher, mpsc::UnboundedReceiver<Waiter>) {
        let (requests, incoming) = mpsc::unbounded_channel();
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
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
            let flusher = Flusher::spawn(store.clone());
            let mut handles = Vec::new();
            for seq in 0..32u64 {
                let store = store.clone();
                let flusher = flusher.clone();
                handles.push(tokio::spawn(async move {
                    store.append(id, seq, &seq.to_be_bytes()).unwrap();
                    flusher.flush().await
                }));
            }
            for handle in handles {
                handle.await.unwrap().unwrap();
            }
        }
        // The flusher task drops its handle on the database a moment after ours; sled
        // refuses a second open of a directory still held by this process.
        let mut reopened = Store::open(dir.path());
        for _ in 0..500 {
            if reopened.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            reopened = Store::open(dir.path());
        }
        let store = reopened.unwrap();
        assert_eq!(store.load(id).unwrap().unwrap().updates.len(), 32);
    }
}
