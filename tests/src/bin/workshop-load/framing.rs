//! The two framings of the y-sync protocol the load generator speaks: `y-websocket`'s (one
//! document per socket, chosen by the URL; each message starts with its type), which y-sweet
//! speaks too, and Hocuspocus's (each message starts with the document's name as a
//! var-string, and a document is opened with an auth message first).

use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

/// y-sync message types.
pub const MESSAGE_SYNC: u64 = 0;
/// Hocuspocus's auth message (also y-sync's auth).
pub const MESSAGE_AUTH: u64 = 2;
/// Hocuspocus's reply to a sync step 1 (carries a sync message like type 0).
pub const MESSAGE_SYNC_REPLY: u64 = 4;
/// Sync sub-messages.
pub const SYNC_STEP1: u64 = 0;
/// Sync step 2: the missing updates.
pub const SYNC_STEP2: u64 = 1;
/// A live update.
pub const SYNC_UPDATE: u64 = 2;

/// Which framing a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// y-websocket: this server and `@y/websocket-server`.
    YWebsocket,
    /// Hocuspocus: the document name prefixes every message.
    Hocuspocus,
    /// y-sweet: y-websocket's framing; each document is created over HTTP first and has a
    /// socket address of its own (`/d/{id}/ws/{id}`).
    YSweet,
}

/// Builds and reads the messages of one document on one socket.
#[derive(Debug, Clone)]
pub struct Framing {
    protocol: Protocol,
    document: String,
}

/// A sync message read off the wire.
#[derive(Debug)]
pub enum Sync {
    /// The peer asks for what it lacks (its state vector is not needed here).
    Step1,
    /// Missing updates.
    Step2(Vec<u8>),
    /// A live update.
    Update(Vec<u8>),
}

impl Framing {
    /// The framing of `document` under `protocol`.
    pub fn new(protocol: Protocol, document: &str) -> Framing {
        Framing {
            protocol,
            document: document.to_owned(),
        }
    }

    fn start(&self, message_type: u64) -> Vec<u8> {
        let mut out = Vec::new();
        if self.protocol == Protocol::Hocuspocus {
            out.write_string(&self.document);
        }
        out.write_var(message_type);
        out
    }

    /// The first message on a fresh socket, if the protocol has one (Hocuspocus: auth).
    pub fn hello(&self, token: &str) -> Option<Vec<u8>> {
        (self.protocol == Protocol::Hocuspocus).then(|| {
            let mut out = self.start(MESSAGE_AUTH);
            out.write_var(0u64); // a token
            out.write_string(token);
            out
        })
    }

    /// A sync message of `kind` carrying `payload` (a state vector or an update).
    pub fn sync(&self, kind: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = self.start(MESSAGE_SYNC);
        out.write_var(kind);
        out.write_buf(payload);
        out
    }

    /// Reads a sync message from a frame; `None` for other messages (awareness, auth, …) and
    /// for frames it cannot read.
    pub fn read_sync(&self, frame: &[u8]) -> Option<Sync> {
        let mut cursor = Cursor::new(frame);
        if self.protocol == Protocol::Hocuspocus {
            cursor.read_string().ok()?;
        }
        let message_type: u64 = cursor.read_var().ok()?;
        if message_type != MESSAGE_SYNC && message_type != MESSAGE_SYNC_REPLY {
            return None;
        }
        let kind: u64 = cursor.read_var().ok()?;
        let payload = cursor.read_buf().ok()?.to_vec();
        match kind {
            SYNC_STEP1 => Some(Sync::Step1),
            SYNC_STEP2 => Some(Sync::Step2(payload)),
            SYNC_UPDATE => Some(Sync::Update(payload)),
            _ => None,
        }
    }
}

/// The marker an edit carries: `lt:<sender>:<microseconds>`, written as a string value, so
/// it appears verbatim in the update bytes whichever server relays them.
pub const MARKER: &[u8] = b"lt:";

/// The marker text of an edit by `sender` sent at `micros`.
pub fn marker(sender: u32, micros: u64) -> String {
    format!("lt:{sender}:{micros}")
}

/// Every `(sender, micros)` marker in `bytes`.
pub fn markers(bytes: &[u8]) -> Vec<(u32, u64)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = find(&bytes[at..], MARKER) {
        let start = at + offset + MARKER.len();
        let (sender, after_sender) = digits(bytes, start);
        if after_sender < bytes.len() && bytes[after_sender] == b':' {
            let (micros, end) = digits(bytes, after_sender + 1);
            if let (Some(sender), Some(micros)) = (sender, micros) {
                if let Ok(sender) = u32::try_from(sender) {
                    found.push((sender, micros));
                }
            }
            at = end;
        } else {
            at = after_sender;
        }
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn digits(bytes: &[u8], start: usize) -> (Option<u64>, usize) {
    let mut end = start;
    let mut value: u64 = 0;
    while end < bytes.len() && bytes[end].is_ascii_digit() && end - start < 19 {
        value = value * 10 + u64::from(bytes[end] - b'0');
        end += 1;
    }
    ((end > start).then_some(value), end)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn both_framings_round_trip_a_sync_message() {
        for protocol in [Protocol::YWebsocket, Protocol::Hocuspocus, Protocol::YSweet] {
            let framing = Framing::new(protocol, "room-1");
            let frame = framing.sync(SYNC_UPDATE, &[1, 2, 3]);
            assert!(matches!(framing.read_sync(&frame), Some(Sync::Update(p)) if p == [1, 2, 3]));
        }
        let y = Framing::new(Protocol::YWebsocket, "room-1");
        assert_eq!(y.sync(SYNC_STEP1, &[0]), vec![0, 0, 1, 0]);
        assert!(y.hello("t").is_none());
        let h = Framing::new(Protocol::Hocuspocus, "ab");
        assert_eq!(h.sync(SYNC_STEP1, &[0]), vec![2, b'a', b'b', 0, 0, 1, 0]);
        assert_eq!(h.hello("t").unwrap(), vec![2, b'a', b'b', 2, 0, 1, b't']);
        assert!(
            h.read_sync(&[2, b'a', b'b', 1, 0]).is_none(),
            "awareness is not sync"
        );
        assert!(h.read_sync(&[]).is_none());
    }

    #[test]
    fn markers_are_found_wherever_they_sit() {
        let mut bytes = vec![0, 5, 9];
        bytes.extend(marker(7, 123_456).as_bytes());
        bytes.extend([1, 2]);
        bytes.extend(marker(12, 9).as_bytes());
        bytes.extend(b"lt:x");
        assert_eq!(markers(&bytes), vec![(7, 123_456), (12, 9)]);
        assert!(markers(b"nothing here").is_empty());
    }
}
