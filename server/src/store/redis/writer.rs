//! The writer: one thread that sends a node's appends and owner records to Redis, in the
//! order they were made, and tells [`Writer::flush`] callers when Redis acknowledged them.
//!
//! Rooms append under their lock and must not wait for the network there, so an append only
//! queues its command. The thread takes every command queued so far, sends them in one
//! `MULTI … EXEC` (one round trip, and Redis applies all or none), and counts them
//! acknowledged once Redis answered. With `appendfsync always`, Redis answers only once the
//! batch is in its append-only file: an acknowledged append is durable.
//!
//! If Redis cannot be reached, the thread keeps the batch and tries again, with a growing
//! pause, until it succeeds: nothing queued is dropped, and flushes wait (up to
//! [`FLUSH_PATIENCE`]), so nothing is relayed or answered before it is durable. A batch whose
//! answer was lost may be sent twice; the log then holds an update twice, which a Yjs
//! document takes in once.

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::Connector;
use crate::store::StoreError;

/// How long a flush waits for Redis before it gives up with an error.
pub const FLUSH_PATIENCE: Duration = Duration::from_secs(30);
/// Commands sent in one transaction, at most.
const MAX_BATCH: usize = 1024;
/// The longest pause between two tries while Redis cannot be reached.
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// One queued command.
#[derive(Debug)]
pub enum Command {
    /// `XADD log 1-* u <update> n <node>`.
    Append { log: String, update: Vec<u8> },
    /// `PUBLISH channel payload`.
    Publish {
        channel: &'static str,
        payload: Vec<u8>,
    },
    /// `EVAL script keys… args…`: a script with one key and the given arguments.
    Eval {
        script: &'static str,
        key: &'static str,
        args: Vec<Vec<u8>>,
    },
    /// `HSET key field value`.
    Set {
        key: String,
        field: String,
        value: Vec<u8>,
    },
}

#[derive(Debug, Default)]
struct Progress {
    /// Commands queued so far.
    queued: u64,
    /// Commands Redis acknowledged so far (always the oldest first).
    acknowledged: u64,
    /// Why the last try failed, and since when tries fail, while Redis cannot be reached.
    failing: Option<(String, Instant)>,
}

#[derive(Debug, Default)]
struct Shared {
    progress: Mutex<Progress>,
    moved: Condvar,
}

impl Shared {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Handle to the writer thread; the thread ends once the handle is dropped and the queue sent.
#[derive(Debug)]
pub struct Writer {
    commands: Mutex<mpsc::Sender<Command>>,
    shared: Arc<Shared>,
}

impl Writer {
    /// Starts the writer thread, sending through connections from `connector` and marking
    /// appends with `node`.
    pub fn spawn(connector: Connector, node: String) -> Result<Writer, StoreError> {
        let (commands, incoming) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("redis-writer".into())
            .spawn(move || serve(&connector, &node, &incoming, &thread_shared))
            .map_err(|error| StoreError::Task(format!("cannot start the Redis writer: {error}")))?;
        Ok(Writer {
            commands: Mutex::new(commands),
            shared,
        })
    }

    /// Queues `command`; it is sent after every command queued before it.
    pub fn queue(&self, command: Command) -> Result<(), StoreError> {
        // Counted and sent under one lock, so the count matches the channel's order.
        let mut progress = self.shared.progress();
        self.commands
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(command)
            .map_err(|_| StoreError::FlusherStopped)?;
        progress.queued += 1;
        Ok(())
    }

    /// Returns once Redis acknowledged every command queued before the call, or with an error
    /// once Redis has been unreachable for [`FLUSH_PATIENCE`] (at once, if it has been for that
    /// long already: a server stopping while Redis is gone does not wait that long per room).
    pub fn flush(&self) -> Result<(), StoreError> {
        let mut progress = self.shared.progress();
        let target = progress.queued;
        while progress.acknowledged < target {
            let deadline = match &progress.failing {
                Some((_, since)) => *since + FLUSH_PATIENCE,
                None => Instant::now() + FLUSH_PATIENCE,
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let reason = progress
                    .failing
                    .as_ref()
                    .map(|(reason, _)| reason.clone())
                    .unwrap_or_default();
                return Err(StoreError::Unavailable(reason));
            }
            progress = self
                .shared
                .moved
                .wait_timeout(progress, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Ok(())
    }

    /// Why Redis cannot be reached now, if it cannot.
    pub fn failing(&self) -> Option<String> {
        self.shared
            .progress()
            .failing
            .as_ref()
            .map(|(reason, _)| reason.clone())
    }
}

/// The writer's loop: takes what is queued, sends it until Redis acknowledges it, counts it.
fn serve(connector: &Connector, node: &str, incoming: &mpsc::Receiver<Command>, shared: &Shared) {
    let mut connection = None;
    while let Ok(first) = incoming.recv() {
        let mut batch = vec![first];
        batch.extend(incoming.try_iter().take(MAX_BATCH - 1));
        let mut pipeline = redis::pipe();
        pipeline.atomic();
        for command in &batch {
            match command {
                Command::Append { log, update } => {
                    pipeline
                        .cmd("XADD")
                        .arg(log)
                        .arg("1-*")
                        .arg(super::keys::UPDATE)
                        .arg(update.as_slice())
                        .arg(super::keys::NODE)
                        .arg(node)
                        .ignore();
                }
                Command::Publish { channel, payload } => {
                    pipeline
                        .cmd("PUBLISH")
                        .arg(*channel)
                        .arg(payload.as_slice())
                        .ignore();
                }
                Command::Eval { script, key, args } => {
                    let eval = pipeline.cmd("EVAL").arg(*script).arg(1).arg(*key);
                    for arg in args {
                        eval.arg(arg.as_slice());
                    }
                    eval.ignore();
                }
                Command::Set { key, field, value } => {
                    pipeline
                        .cmd("HSET")
                        .arg(key)
                        .arg(field)
                        .arg(value.as_slice())
                        .ignore();
                }
            }
        }
        let mut pause = Duration::from_millis(20);
        loop {
            let sent = connector
                .reuse(&mut connection)
                .and_then(|conn| Ok(pipeline.query::<()>(conn)?));
            match sent {
                Ok(()) => break,
                Err(error) => {
                    connection = None;
                    let mut progress = shared.progress();
                    let since = match &progress.failing {
                        Some((_, since)) => *since,
                        None => {
                            tracing::error!(%error, "cannot write to Redis; retrying until it answers");
                            Instant::now()
                        }
                    };
                    progress.failing = Some((error.to_string(), since));
                    // Waiting flushes look at the deadline again.
                    shared.moved.notify_all();
                    drop(progress);
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(MAX_PAUSE);
                }
            }
        }
        let mut progress = shared.progress();
        if progress.failing.take().is_some() {
            tracing::info!("writing to Redis again");
        }
        progress.acknowledged += batch.len() as u64;
        shared.moved.notify_all();
    }
}
