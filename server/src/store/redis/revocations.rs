//! The listener: one thread per server subscribed to [`keys::REVOKED`], which hands on the id
//! of every token revoked through any server, so that each server closes that token's live
//! sockets (`AppState` takes them from [`crate::store::Storage::revocations`]).
//!
//! Pub/sub delivers to whoever listens at the moment of the revocation: a server cut off from
//! Redis then misses it, and a socket of that token it holds stays open until it reconnects
//! (every new join reads the token's record, which says it is revoked).

use std::time::Duration;

use super::{keys, Connector};

/// How long one wait for a message lasts before the thread checks it is still wanted.
const WAIT: Duration = Duration::from_secs(1);

/// Starts the listener; it stops once every receiver of what it hears is dropped.
pub fn spawn(connector: Connector) -> std::io::Result<flume::Receiver<String>> {
    let (sink, heard) = flume::unbounded();
    std::thread::Builder::new()
        .name("redis-revocations".into())
        .spawn(move || {
            while !sink.is_disconnected() {
                if let Err(error) = listen(&connector, &sink) {
                    tracing::warn!(%error, "not hearing revocations from Redis; trying again");
                    std::thread::sleep(WAIT);
                }
            }
        })?;
    Ok(heard)
}

/// Listens until the connection fails or nobody wants what it hears.
fn listen(connector: &Connector, sink: &flume::Sender<String>) -> redis::RedisResult<()> {
    let Ok(mut connection) = connector.connect() else {
        return Err(redis::RedisError::from((
            redis::ErrorKind::Io,
            "cannot connect",
        )));
    };
    let mut pubsub = connection.as_pubsub();
    pubsub.set_read_timeout(Some(WAIT))?;
    pubsub.subscribe(keys::REVOKED)?;
    while !sink.is_disconnected() {
        match pubsub.get_message() {
            Ok(message) => {
                if let Ok(token_id) = message.get_payload::<String>() {
                    let _ = sink.send(token_id);
                }
            }
            Err(error) if error.is_timeout() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
