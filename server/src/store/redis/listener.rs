//! The listener: one thread per server subscribed to two pub/sub channels.
//!
//! - [`keys::REVOKED`]: the id of every token revoked through any server, handed on so that
//!   each server closes that token's live sockets (`AppState` takes them from
//!   [`crate::store::Storage::revocations`]).
//! - [`keys::PRESENCE`]: the awareness messages (who is online, where) each server relays to
//!   its own clients, handed to the room of the workshop if it is loaded here
//!   ([`Heard::Presence`]). A server's own messages come back to it and are skipped.
//!
//! Pub/sub delivers to whoever listens at the moment: a server cut off from Redis misses what
//! was said meanwhile. For a revocation, a socket of that token it holds stays open until it
//! reconnects (every new join reads the token's record, which says it is revoked); for
//! presence, Yjs clients send their state again every 15 seconds.

use std::sync::{Arc, Weak};
use std::time::Duration;

use uuid::Uuid;

use super::relay::Following;
use super::{keys, Connector};
use crate::store::storage::Heard;

/// How long one wait for a message lasts before the thread checks it is still wanted.
const WAIT: Duration = Duration::from_secs(1);

/// A presence message as published: the length of the node's name, the name, the workshop's
/// id (16 bytes), then the awareness message as its clients receive it.
pub fn presence_payload(node: &str, id: Uuid, message: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(1 + node.len() + 16 + message.len());
    payload.push(u8::try_from(node.len()).unwrap_or(u8::MAX));
    payload.extend_from_slice(&node.as_bytes()[..node.len().min(255)]);
    payload.extend_from_slice(id.as_bytes());
    payload.extend_from_slice(message);
    payload
}

/// Reads a presence payload back: the node, the workshop, the message.
fn read_presence(payload: &[u8]) -> Option<(&[u8], Uuid, &[u8])> {
    let (&len, rest) = payload.split_first()?;
    let (node, rest) = rest.split_at_checked(usize::from(len))?;
    let (id, message) = rest.split_at_checked(16)?;
    Some((node, Uuid::from_slice(id).ok()?, message))
}

/// Starts the listener of server `node`; it stops once every receiver of revocations is
/// dropped and the rooms' registry is gone.
pub fn spawn(
    connector: Connector,
    node: String,
    following: &Arc<Following>,
) -> std::io::Result<flume::Receiver<String>> {
    let (sink, heard) = flume::unbounded();
    let following = Arc::downgrade(following);
    std::thread::Builder::new()
        .name("redis-listener".into())
        .spawn(move || {
            let mut failing = false;
            while !sink.is_disconnected() && following.strong_count() > 0 {
                if let Err(error) = listen(&connector, &node, &sink, &following, &mut failing) {
                    // Said once per outage, not once per try.
                    if !failing {
                        tracing::warn!(%error, "not hearing the other servers; trying again until Redis answers");
                    }
                    failing = true;
                    std::thread::sleep(WAIT);
                }
            }
        })?;
    Ok(heard)
}

/// Listens until the connection fails or nobody wants what it hears.
fn listen(
    connector: &Connector,
    node: &str,
    sink: &flume::Sender<String>,
    following: &Weak<Following>,
    failing: &mut bool,
) -> Result<(), crate::store::StoreError> {
    let mut connection = connector.connect()?;
    let mut pubsub = connection.as_pubsub();
    pubsub.set_read_timeout(Some(WAIT))?;
    pubsub.subscribe(&[keys::REVOKED, keys::PRESENCE])?;
    if std::mem::take(failing) {
        tracing::info!("hearing the other servers again");
    }
    while !sink.is_disconnected() {
        let message = match pubsub.get_message() {
            Ok(message) => message,
            Err(error) if error.is_timeout() => continue,
            Err(error) => return Err(error.into()),
        };
        if message.get_channel_name() == keys::REVOKED {
            if let Ok(token_id) = message.get_payload::<String>() {
                let _ = sink.send(token_id);
            }
            continue;
        }
        let Ok(payload) = message.get_payload::<Vec<u8>>() else {
            continue;
        };
        let Some((from, id, awareness)) = read_presence(&payload) else {
            continue;
        };
        if from == node.as_bytes() {
            continue;
        }
        let Some(following) = following.upgrade() else {
            return Ok(());
        };
        following.deliver(id, Heard::Presence(awareness.to_vec()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_payloads_read_back_and_short_ones_are_refused() {
        let id = Uuid::from_u128(5);
        let payload = presence_payload("node-a", id, b"\x01hello");
        assert_eq!(
            read_presence(&payload),
            Some((&b"node-a"[..], id, &b"\x01hello"[..]))
        );
        assert_eq!(read_presence(&payload[..10]), None);
        assert_eq!(read_presence(&[]), None);
    }
}
