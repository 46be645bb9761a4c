//! The y-sync protocol for one connection: bytes in, messages out, no sockets.
//!
//! [`decode_frame`] turns one WebSocket frame into every message it holds, failing on any
//! malformed or unsupported one before anything is applied. The rest encodes what the server
//! sends (greeting, answers, resync, relays) and applies presence to a room's [`Awareness`].
//! Document updates are judged and applied by the room (`crate::rooms`), which decides who
//! receives what and when; this module only speaks the protocol.
//!
//! Outgoing messages are encoded with [`yrs::sync::Message`]. Incoming frames are parsed here
//! rather than with [`yrs::sync::MessageReader`] because the reader treats a truncated last
//! message as a clean end of frame, which would silently drop a client's broken update.

use thiserror::Error;
use yrs::encoding::read::{self, Cursor, Read};
use yrs::sync::protocol::{
    MSG_AUTH, MSG_AWARENESS, MSG_QUERY_AWARENESS, MSG_SYNC, MSG_SYNC_STEP_1, MSG_SYNC_STEP_2,
    MSG_SYNC_UPDATE, PERMISSION_DENIED,
};
use yrs::sync::{awareness, Awareness, AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, ReadTxn, StateVector, Transact, Update};

/// The v1 encoding of an update that changes nothing: no blocks, empty delete set.
const EMPTY_UPDATE_V1: [u8; 2] = [0, 0];

/// Why a frame from a client was rejected. Any of these closes that connection with 1007.
#[derive(Debug, Error)]
pub enum SyncError {
    /// The bytes do not form valid y-sync messages.
    #[error("malformed message: {0}")]
    Malformed(#[from] read::Error),
    /// The top-level message tag is not one of sync, awareness, auth, awareness query.
    #[error("unsupported message type {0}")]
    UnsupportedMessage(u8),
    /// The sync sub-tag is not one of step 1, step 2, update.
    #[error("unsupported sync message type {0}")]
    UnsupportedSyncMessage(u8),
    /// The document refused a well-formed update.
    #[error("update rejected: {0}")]
    Update(#[from] yrs::error::UpdateError),
    /// The awareness state refused an update.
    #[error("awareness update rejected: {0}")]
    Awareness(#[from] awareness::Error),
    /// An update that yrs does not read back as it writes it: the document could never be
    /// encoded again once it held it.
    #[error("malformed update: it does not survive re-encoding")]
    Unencodable,
    /// yrs's decoder panicked on the message (it asserts, in builds with debug assertions,
    /// that a client id fits in 53 bits).
    #[error("malformed message: the decoder refused it")]
    DecoderPanicked,
    /// A payload declares more entries than it has bytes, which the decoder would allocate
    /// for before finding out.
    #[error("malformed message: declares {declared} entries in {bytes} bytes")]
    ImplausibleCount {
        /// The count the payload declares.
        declared: u64,
        /// The payload's length.
        bytes: usize,
    },
}

/// One decoded message from a client.
#[derive(Debug)]
pub enum Inbound {
    /// The client's state vector: it wants what it is missing.
    SyncStep1(StateVector),
    /// Document changes (sent as sync step 2 or as an update; both are judged alike), and
    /// their v1 encoding as received, which decodes to the same update.
    Update(Update, Vec<u8>),
    /// Presence states of one or more awareness clients.
    Awareness(AwarenessUpdate),
    /// The client asks for every known awareness state.
    AwarenessQuery,
    /// Authentication message; authentication is not implemented, so it is ignored.
    Auth,
}

impl Inbound {
    /// The update message of the v1 update `payload`.
    pub fn update(payload: &[u8]) -> Result<Inbound, SyncError> {
        let update = Update::decode_v1(payload)?;
        // yrs 0.28 does not read back what it writes for every block: its JSON content
        // decoder reads one string more than the count it wrote. Once in the document (or its
        // queue of pending updates), such a block makes every later encoding of it fail or
        // panic: sync replies, the resync, snapshots, the next load. So an update is let in
        // only if encoding and decoding it again gives the same update (found by the `frame`
        // fuzz target; Yjs clients never send JSON content, which is legacy).
        if !round_trips(&update) {
            return Err(SyncError::Unencodable);
        }
        Ok(Inbound::Update(update, payload.to_vec()))
    }
}

/// What applying an awareness message changed.
#[derive(Debug, PartialEq, Eq)]
pub struct AwarenessChange {
    /// An encoded awareness message to relay to the other peers.
    pub relay: Vec<u8>,
    /// Clients whose state this message set (the sender now speaks for them).
    pub set: Vec<ClientID>,
    /// Clients whose state this message removed.
    pub removed: Vec<ClientID>,
}

/// Decodes every message of one binary frame.
pub fn decode_frame(frame: &[u8]) -> Result<Vec<Inbound>, SyncError> {
    // Nothing outside the decoder is touched, so a panic leaves nothing half-done.
    std::panic::catch_unwind(|| {
        let mut cursor = Cursor::new(frame);
        let mut messages = Vec::new();
        while cursor.has_content() {
            messages.push(decode_message(&mut cursor)?);
        }
        Ok(messages)
    })
    .unwrap_or(Err(SyncError::DecoderPanicked))
}

fn decode_message(cursor: &mut Cursor<'_>) -> Result<Inbound, SyncError> {
    let tag: u8 = cursor.read_var()?;
    match tag {
        MSG_SYNC => {
            // The sub-tag is checked before the payload is read, so an unknown one is
            // reported as such rather than as whatever its bytes happen to decode to.
            match cursor.read_var::<u8>()? {
                MSG_SYNC_STEP_1 => Ok(Inbound::SyncStep1(StateVector::decode_v1(plausible(
                    cursor.read_buf()?,
                )?)?)),
                MSG_SYNC_STEP_2 | MSG_SYNC_UPDATE => {
                    Inbound::update(plausible(cursor.read_buf()?)?)
                }
                other => Err(SyncError::UnsupportedSyncMessage(other)),
            }
        }
        MSG_AWARENESS => Ok(Inbound::Awareness(AwarenessUpdate::decode_v1(plausible(
            cursor.read_buf()?,
        )?)?)),
        MSG_AUTH => {
            let permission: u8 = cursor.read_var()?;
            if permission == PERMISSION_DENIED {
                cursor.read_string()?;
            }
            Ok(Inbound::Auth)
        }
        MSG_QUERY_AWARENESS => Ok(Inbound::AwarenessQuery),
        other => Err(SyncError::UnsupportedMessage(other)),
    }
}

/// Whether yrs reads back exactly the update it writes for `update`.
fn round_trips(update: &Update) -> bool {
    Update::decode_v1(&update.encode_v1()).is_ok_and(|again| &again == update)
}

/// Refuses a payload whose leading count (of an update's clients, a state vector's entries or
/// an awareness update's states) is larger than the payload itself.
///
/// yrs reserves a hash map for that count before reading a single entry, and a hash map
/// writes a control byte for every slot it reserves: five bytes declaring 2^26 clients would
/// cost about 128 MB of writes and gigabytes of address space before the decoder noticed the
/// entries are missing. Every entry takes at least one byte, so such a count is a lie.
fn plausible(payload: &[u8]) -> Result<&[u8], SyncError> {
    let declared: u64 = Cursor::new(payload).read_var()?;
    let bytes = payload.len();
    if declared > bytes as u64 {
        return Err(SyncError::ImplausibleCount { declared, bytes });
    }
    Ok(payload)
}

/// The answer to a client's sync step 1: sync step 2 with everything `awareness`'s document
/// holds that `state_vector` lacks.
pub fn answer_step1(awareness: &Awareness, state_vector: &StateVector) -> Vec<u8> {
    let diff = awareness
        .doc()
        .transact()
        .encode_state_as_update_v1(state_vector);
    Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1()
}

/// Sync step 1 with the state vector of `awareness`'s document: asks a client for whatever the
/// server lacks.
pub fn step1(awareness: &Awareness) -> Vec<u8> {
    let state_vector = awareness.doc().transact().state_vector();
    Message::Sync(SyncMessage::SyncStep1(state_vector)).encode_v1()
}

/// Applies presence states to the room's awareness. `None`: nothing changed (stale states).
pub fn apply_awareness(
    awareness: &mut Awareness,
    update: AwarenessUpdate,
) -> Result<Option<AwarenessChange>, SyncError> {
    let relay = Message::Awareness(update.clone()).encode_v1();
    Ok(awareness.apply_update_summary(update)?.map(|summary| {
        let mut set = summary.added;
        set.extend(summary.updated);
        AwarenessChange {
            relay,
            set,
            removed: summary.removed,
        }
    }))
}

/// Every known presence state, copied (cheap: the states are shared strings), for encoding
/// with [`encode_awareness`] once the room is unlocked. `None` if there is none.
pub fn presence_states(awareness: &Awareness) -> Option<AwarenessUpdate> {
    // `update()` only fails for clients it does not know, and it asks about its own.
    awareness
        .update()
        .ok()
        .filter(|states| !states.clients.is_empty())
}

/// Encodes presence states as an awareness message.
pub fn encode_awareness(states: AwarenessUpdate) -> Vec<u8> {
    Message::Awareness(states).encode_v1()
}

/// The messages a joining client gets, each to go in its own frame: sync step 1 with the
/// server's state vector, then the known awareness states if there are any.
pub fn greeting(awareness: &Awareness) -> Vec<Vec<u8>> {
    let mut messages = vec![step1(awareness)];
    if let Some(states) = presence_states(awareness) {
        messages.push(encode_awareness(states));
    }
    messages
}

/// What a connection that was cut from the live relay gets once it can take data again,
/// each message in its own frame: sync step 1 with the server's state vector (so the client
/// sends back whatever the server lacks), the whole document as sync step 2 (which holds
/// every update it missed; the client's document skips what it already has), and every
/// awareness state the server knows, removed ones included, so it also learns who left.
pub fn resync(awareness: &Awareness) -> Vec<Vec<u8>> {
    let (state_vector, whole) = {
        let txn = awareness.doc().transact();
        (
            txn.state_vector(),
            txn.encode_state_as_update_v1(&StateVector::default()),
        )
    };
    let mut messages = vec![
        Message::Sync(SyncMessage::SyncStep1(state_vector)).encode_v1(),
        Message::Sync(SyncMessage::SyncStep2(whole)).encode_v1(),
    ];
    let clients: Vec<ClientID> = awareness.iter().map(|(client, _)| client).collect();
    // Every client named comes from the awareness itself, so this cannot fail.
    if let Ok(states) = awareness.update_with_clients(clients) {
        if !states.clients.is_empty() {
            messages.push(Message::Awareness(states).encode_v1());
        }
    }
    messages
}

/// How many rate-limited messages (sync step 1, sync step 2, update, awareness query) a frame
/// holds, counted without decoding their payloads: the rate limit's measure of a frame.
///
/// Awareness messages are not counted: y-websocket clients echo every presence change of
/// every peer back to the server, so their number grows with the room, not with what one
/// client does. An awareness query is one byte that asks for every state, so it is counted.
/// Counting stops at the first malformed message; [`decode_frame`] refuses the frame anyway.
pub fn count_limited_messages(frame: &[u8]) -> usize {
    let mut cursor = Cursor::new(frame);
    let mut count = 0;
    while cursor.has_content() {
        let Ok(skipped) = skip_message(&mut cursor) else {
            break;
        };
        count += usize::from(skipped);
    }
    count
}

/// Reads past one message. Returns whether it is rate-limited.
fn skip_message(cursor: &mut Cursor<'_>) -> Result<bool, read::Error> {
    match cursor.read_var::<u8>()? {
        MSG_SYNC => {
            cursor.read_var::<u8>()?;
            cursor.read_buf()?;
            Ok(true)
        }
        MSG_AWARENESS => {
            cursor.read_buf()?;
            Ok(false)
        }
        MSG_AUTH => {
            if cursor.read_var::<u8>()? == PERMISSION_DENIED {
                cursor.read_string()?;
            }
            Ok(false)
        }
        MSG_QUERY_AWARENESS => Ok(true),
        // Unknown tag: the rest cannot be delimited; decoding will refuse the frame.
        _ => Err(read::Error::UnexpectedValue),
    }
}

/// Whether a v1 update carries no change at all.
pub fn is_empty_update(update: &[u8]) -> bool {
    update == EMPTY_UPDATE_V1
}

/// Encodes a document update as a sync update message.
pub fn update_message(update: &[u8]) -> Vec<u8> {
    Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1()
}

/// An awareness message with no states. Applying it is a no-op, but it counts as traffic for
/// clients (like y-websocket's) that reconnect after a quiet spell, which WebSocket pings do
/// not reach in browsers.
pub fn keepalive_message() -> Vec<u8> {
    Message::Awareness(AwarenessUpdate {
        clients: Default::default(),
    })
    .encode_v1()
}

/// The y-sync auth message "permission denied" with `reason`: a write was refused. Clients
/// (y-websocket among them) report it and stay connected.
pub fn permission_denied(reason: &str) -> Vec<u8> {
    Message::Auth(Some(reason.to_owned())).encode_v1()
}

/// Removes the states of `clients` (a connection that left) and returns the awareness
/// message telling the others, or `None` if none of them had a state.
pub fn remove_clients(awareness: &mut Awareness, clients: &[ClientID]) -> Option<Vec<u8>> {
    let present: Vec<ClientID> = clients
        .iter()
        .copied()
        .filter(|client| {
            awareness
                .iter()
                .any(|(id, state)| id == *client && state.data.is_some())
        })
        .collect();
    if present.is_empty() {
        return None;
    }
    for client in &present {
        // Sets the state to null and bumps its clock, so peers accept the removal.
        awareness.remove_state(*client);
    }
    let update = awareness.update_with_clients(present).ok()?;
    Some(Message::Awareness(update).encode_v1())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use yrs::updates::decoder::DecoderV1;
    use yrs::{Doc, GetString, Text};

    fn room() -> Awareness {
        Awareness::new(Doc::new())
    }

    /// Decodes a frame that must hold exactly one message (as every server frame does).
    fn decode_one(bytes: &[u8]) -> Message {
        let mut decoder = DecoderV1::from(bytes);
        let mut messages: Vec<Message> = yrs::sync::MessageReader::new(&mut decoder)
            .map(|m| m.unwrap())
            .collect();
        assert_eq!(messages.len(), 1, "one message per frame");
        messages.remove(0)
    }

    fn client_update(text: &str) -> (Doc, Vec<u8>) {
        let doc = Doc::new();
        let body = doc.get_or_insert_text("body");
        let mut txn = doc.transact_mut();
        body.push(&mut txn, text);
        let update = txn.encode_update_v1();
        drop(txn);
        (doc, update)
    }

    /// Applies the document updates and presence states of a frame, as the room would once
    /// its checks pass; returns the presence changes.
    fn apply_frame(awareness: &mut Awareness, frame: &[u8]) -> Vec<AwarenessChange> {
        let mut changes = Vec::new();
        for message in decode_frame(frame).unwrap() {
            match message {
                Inbound::Update(update, _) => {
                    awareness.doc().transact_mut().apply_update(update).unwrap()
                }
                Inbound::Awareness(update) => {
                    changes.extend(apply_awareness(awareness, update).unwrap())
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        changes
    }

    #[test]
    fn step1_is_answered_with_the_missing_state_as_step2() {
        let mut server = room();
        let (_, update) = client_update("hello");
        apply_frame(&mut server, &update_message(&update));

        let client = Doc::new();
        let reply = answer_step1(&server, &client.transact().state_vector());
        let Message::Sync(SyncMessage::SyncStep2(diff)) = decode_one(&reply) else {
            panic!("expected sync step 2");
        };
        client
            .transact_mut()
            .apply_update(Update::decode_v1(&diff).unwrap())
            .unwrap();
        let body = client.get_or_insert_text("body");
        assert_eq!(body.get_string(&client.transact()), "hello");
        let Message::Sync(SyncMessage::SyncStep1(asked)) = decode_one(&step1(&server)) else {
            panic!("expected sync step 1");
        };
        assert_eq!(asked, server.doc().transact().state_vector());
    }

    #[test]
    fn step2_and_update_decode_alike() {
        let (_, update) = client_update("x");
        let step2 = Message::Sync(SyncMessage::SyncStep2(update.clone())).encode_v1();
        let updates = |frame: &[u8]| -> Vec<Update> {
            decode_frame(frame)
                .unwrap()
                .into_iter()
                .map(|message| match message {
                    Inbound::Update(update, _) => update,
                    other => panic!("expected an update, got {other:?}"),
                })
                .collect()
        };
        let (from_step2, from_update) = (updates(&step2), updates(&update_message(&update)));
        assert_eq!(from_step2, from_update);
        assert_eq!(from_update, vec![Update::decode_v1(&update).unwrap()]);
    }

    #[test]
    fn every_message_of_a_frame_is_decoded() {
        let (_, update) = client_update("x");
        let mut frame = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
        frame.extend(update_message(&update));
        frame.extend(Message::AwarenessQuery.encode_v1());
        frame.extend(Message::Auth(None).encode_v1());
        let decoded = decode_frame(&frame).unwrap();
        assert!(matches!(
            decoded.as_slice(),
            [
                Inbound::SyncStep1(_),
                Inbound::Update { .. },
                Inbound::AwarenessQuery,
                Inbound::Auth
            ]
        ));
    }

    #[test]
    fn garbage_and_unsupported_messages_are_errors() {
        // Tag with an endless varint.
        assert!(matches!(
            decode_frame(&[0xff, 0xff, 0xff, 0xff]),
            Err(SyncError::Malformed(_))
        ));
        // Sync update announcing 80 bytes but carrying none: truncated, not "end of frame".
        assert!(matches!(
            decode_frame(&[MSG_SYNC, MSG_SYNC_UPDATE, 80]),
            Err(SyncError::Malformed(_))
        ));
        // Sync update whose payload is not an update.
        assert!(matches!(
            decode_frame(&[MSG_SYNC, MSG_SYNC_UPDATE, 3, 1, 9, 9]),
            Err(SyncError::Malformed(_))
        ));
        assert!(matches!(
            decode_frame(&[MSG_SYNC, 7, 0]),
            Err(SyncError::UnsupportedSyncMessage(7))
        ));
        assert!(matches!(
            decode_frame(&Message::Custom(42, vec![1]).encode_v1()),
            Err(SyncError::UnsupportedMessage(42))
        ));
        // Counts that would make the decoder reserve far more than the frame holds.
        for frame in [
            [MSG_SYNC, MSG_SYNC_UPDATE, 5, 0xff, 0xff, 0xff, 0xff, 0x0f],
            [MSG_SYNC, MSG_SYNC_STEP_1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f],
            [MSG_AWARENESS, 6, 0xff, 0xff, 0xff, 0xff, 0x0f, 1],
        ] {
            assert!(matches!(
                decode_frame(&frame),
                Err(SyncError::ImplausibleCount { .. })
            ));
        }
        // A valid message followed by garbage fails as a whole.
        let mut frame = Message::AwarenessQuery.encode_v1();
        frame.push(0xff);
        assert!(decode_frame(&frame).is_err());
    }

    #[test]
    fn awareness_is_applied_queried_and_removed() {
        let mut server = room();
        let mut peer = Awareness::new(Doc::new());
        peer.set_local_state(serde_json::json!({"user": "ann"}))
            .unwrap();
        let peer_id = peer.client_id();
        let frame = Message::Awareness(peer.update().unwrap()).encode_v1();

        let changes = apply_frame(&mut server, &frame);
        let [AwarenessChange { set, removed, .. }] = changes.as_slice() else {
            panic!("expected an awareness change, got {changes:?}");
        };
        assert_eq!(set, &vec![peer_id]);
        assert!(removed.is_empty());
        // Stale repeat: nothing to relay.
        assert!(apply_frame(&mut server, &frame).is_empty());

        let states = presence_states(&server).unwrap();
        let Message::Awareness(states) = decode_one(&encode_awareness(states)) else {
            panic!("expected awareness");
        };
        assert!(states.clients.contains_key(&peer_id));

        let removal = remove_clients(&mut server, &[peer_id]).unwrap();
        let Message::Awareness(update) = decode_one(&removal) else {
            panic!("expected awareness");
        };
        let entry = &update.clients[&peer_id];
        assert_eq!(&*entry.json, "null");
        assert_eq!(entry.clock, 2);
        assert!(remove_clients(&mut server, &[peer_id]).is_none());
        assert_eq!(greeting(&server).len(), 1);
    }

    #[test]
    fn greeting_has_step1_and_known_states() {
        let mut server = room();
        let mut peer = Awareness::new(Doc::new());
        peer.set_local_state(serde_json::json!({"user": "bo"}))
            .unwrap();
        apply_frame(
            &mut server,
            &Message::Awareness(peer.update().unwrap()).encode_v1(),
        );
        let greeting = greeting(&server);
        assert_eq!(greeting.len(), 2);
        assert!(matches!(
            decode_one(&greeting[0]),
            Message::Sync(SyncMessage::SyncStep1(_))
        ));
        assert!(matches!(decode_one(&greeting[1]), Message::Awareness(_)));
    }

    #[test]
    fn ordinary_updates_survive_the_round_trip_check() {
        use std::collections::HashMap;
        use yrs::{Array, Map};
        // Three clients, every kind of content, deletions across clients.
        let docs: Vec<Doc> = (1..=3).map(Doc::with_client_id).collect();
        for doc in &docs {
            let text = doc.get_or_insert_text("text");
            let map = doc.get_or_insert_map("map");
            let array = doc.get_or_insert_array("array");
            let mut txn = doc.transact_mut();
            text.push(&mut txn, "héllo wörld 🎉");
            text.format(
                &mut txn,
                0,
                3,
                HashMap::from([("bold".into(), true.into())]),
            );
            text.insert_embed(&mut txn, 0, yrs::Any::from("embed"));
            map.insert(&mut txn, "n", 1.5);
            map.insert(&mut txn, "i", -7);
            map.insert(&mut txn, "s", "x");
            map.insert(&mut txn, "b", vec![1u8, 2, 3]);
            map.insert(&mut txn, "nested", yrs::MapPrelim::from([("k", 1)]));
            array.push_back(&mut txn, yrs::Any::Null);
            array.push_back(&mut txn, yrs::ArrayPrelim::default());
        }
        let merged = Doc::with_client_id(9);
        for doc in &docs {
            let state = doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            merged
                .transact_mut()
                .apply_update(Update::decode_v1(&state).unwrap())
                .unwrap();
        }
        {
            let text = merged.get_or_insert_text("text");
            let map = merged.get_or_insert_map("map");
            let mut txn = merged.transact_mut();
            text.remove_range(&mut txn, 1, 20);
            map.remove(&mut txn, "s");
        }
        let whole = merged
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert!(decode_frame(&update_message(&whole)).is_ok());
        assert!(decode_frame(&Message::Sync(SyncMessage::SyncStep2(whole)).encode_v1()).is_ok());
    }

    #[test]
    fn resync_sends_step1_the_whole_document_and_every_state() {
        let mut server = room();
        let (_, update) = client_update("missed");
        apply_frame(&mut server, &update_message(&update));
        let mut peer = Awareness::new(Doc::new());
        peer.set_local_state(serde_json::json!({"user": "cy"}))
            .unwrap();
        let left = peer.client_id();
        apply_frame(
            &mut server,
            &Message::Awareness(peer.update().unwrap()).encode_v1(),
        );
        let mut other = Awareness::new(Doc::new());
        let stays = other.client_id();
        other
            .set_local_state(serde_json::json!({"user": "di"}))
            .unwrap();
        apply_frame(
            &mut server,
            &Message::Awareness(other.update().unwrap()).encode_v1(),
        );
        remove_clients(&mut server, &[left]);

        let messages = resync(&server);
        assert_eq!(messages.len(), 3);
        assert!(matches!(
            decode_one(&messages[0]),
            Message::Sync(SyncMessage::SyncStep1(_))
        ));
        let Message::Sync(SyncMessage::SyncStep2(whole)) = decode_one(&messages[1]) else {
            panic!("expected sync step 2");
        };
        let client = Doc::new();
        client
            .transact_mut()
            .apply_update(Update::decode_v1(&whole).unwrap())
            .unwrap();
        let body = client.get_or_insert_text("body");
        assert_eq!(body.get_string(&client.transact()), "missed");
        let Message::Awareness(states) = decode_one(&messages[2]) else {
            panic!("expected awareness");
        };
        assert_eq!(&*states.clients[&left].json, "null");
        assert!(states.clients[&stays].json.contains("di"));
    }

    #[test]
    fn document_messages_and_queries_are_counted_and_awareness_is_not() {
        let (_, update) = client_update("x");
        let mut peer = Awareness::new(Doc::new());
        peer.set_local_state(serde_json::json!({"user": "ed"}))
            .unwrap();
        let mut frame = Message::Awareness(peer.update().unwrap()).encode_v1();
        assert_eq!(count_limited_messages(&frame), 0);
        frame.extend(update_message(&update));
        frame.extend(Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1());
        frame.extend(Message::AwarenessQuery.encode_v1());
        frame.extend(Message::Auth(Some("no".into())).encode_v1());
        frame.extend(update_message(&update));
        assert_eq!(count_limited_messages(&frame), 4);
        // Garbage stops the count without failing.
        frame.extend([0xff, 0xff]);
        assert_eq!(count_limited_messages(&frame), 4);
        assert_eq!(count_limited_messages(&[]), 0);
        assert_eq!(count_limited_messages(&[MSG_SYNC, MSG_SYNC_UPDATE, 80]), 0);
    }

    #[test]
    fn keepalive_is_a_valid_empty_awareness_message() {
        let mut server = room();
        assert!(apply_frame(&mut server, &keepalive_message()).is_empty());
    }
}
