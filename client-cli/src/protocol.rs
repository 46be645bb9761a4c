//! The sans-IO half of the client: frames to y-sync messages and back.
//!
//! Nothing here sees a socket. [`decode_frame`] and [`encode_message`] convert between one binary
//! WebSocket frame and [`Message`]s; [`ClientProtocol`] is the [`Protocol`] of `yrs` with two
//! changes a client needs:
//!
//! - updates from the server are applied in a transaction whose origin is
//!   [`ClientProtocol::remote_origin`], so the document observer that forwards local changes to
//!   the server can tell them apart and never echoes them back;
//! - messages with an unknown tag are ignored rather than treated as errors, as `y-websocket`
//!   does, so a newer server can add message types without breaking older clients;
//! - an auth message denying permission (the server refused one of this client's writes) is
//!   reported in [`Handled::denied`] rather than ending the connection, as `y-websocket`
//!   does: the server keeps the connection open and only that write was refused.

use std::sync::{Arc, Mutex};
use yrs::encoding::read::Cursor;
use yrs::sync::{Awareness, Error, Message, MessageReader, Protocol, SyncMessage};
use yrs::updates::decoder::DecoderV1;
use yrs::updates::encoder::Encode;

use yrs::{Origin, ReadTxn, StateVector, Transact, Update};

/// Decodes every message of one binary frame.
///
/// The server sends one message per frame, but the protocol allows several back to back; all
/// are returned in order. A frame that is empty or does not decode completely is an error, and
/// nothing of it should be applied.
pub fn decode_frame(frame: &[u8]) -> Result<Vec<Message>, Error> {
    let mut decoder = DecoderV1::new(Cursor::new(frame));
    let messages = MessageReader::new(&mut decoder).collect::<Result<Vec<_>, _>>()?;
    if messages.is_empty() {
        return Err(Error::DecodingError(
            yrs::encoding::read::Error::EndOfBuffer(1),
        ));
    }
    Ok(messages)
}

/// Encodes one message as the payload of one binary frame.
pub fn encode_message(message: &Message) -> Vec<u8> {
    message.encode_v1()
}

/// What handling one incoming frame did.
#[derive(Debug, Default)]
pub struct Handled {
    /// Replies to send back, in order (a SyncStep2 for a SyncStep1, an awareness update for an
    /// awareness query).
    pub replies: Vec<Message>,
    /// How many SyncStep2 messages were applied: each one answers a SyncStep1 this client sent.
    pub sync_step2: usize,
    /// Whether an awareness update was applied.
    pub awareness_changed: bool,
    /// Reasons of the auth messages denying permission: writes the server refused.
    pub denied: Vec<String>,
}

/// The y-sync [`Protocol`] as a client of the workshop server uses it.
#[derive(Debug, Clone)]
pub struct ClientProtocol {
    remote_origin: Origin,
    /// The state vector of the server's latest SyncStep1: what it had when it asked.
    server_state: Arc<Mutex<Option<StateVector>>>,
}

impl ClientProtocol {
    /// A protocol that applies remote updates with the given transaction origin.
    pub fn new(remote_origin: Origin) -> Self {
        ClientProtocol {
            remote_origin,
            server_state: Arc::default(),
        }
    }

    /// The state vector the server sent in its latest SyncStep1, if any: what it had before
    /// this client answered with what it lacked.
    pub fn server_state_vector(&self) -> Option<StateVector> {
        self.server_state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The origin of every transaction that applies an update received from the server.
    pub fn remote_origin(&self) -> &Origin {
        &self.remote_origin
    }

    /// Decodes one frame and handles each of its messages against `awareness` (and so its
    /// document).
    ///
    /// The frame is decoded whole before anything is applied, so a malformed frame changes
    /// nothing. An error while applying a later message leaves the earlier ones applied, as
    /// in every y-sync implementation.
    pub fn handle_frame(&self, awareness: &mut Awareness, frame: &[u8]) -> Result<Handled, Error> {
        let mut handled = Handled::default();
        for message in decode_frame(frame)? {
            match &message {
                Message::Sync(SyncMessage::SyncStep2(_)) => handled.sync_step2 += 1,
                Message::Awareness(_) => handled.awareness_changed = true,
                Message::Auth(Some(reason)) => {
                    tracing::warn!(%reason, "the server refused a write");
                    handled.denied.push(reason.clone());
                    continue;
                }
                _ => {}
            }
            if let Some(reply) = self.handle_message(awareness, message)? {
                handled.replies.push(reply);
            }
        }
        Ok(handled)
    }
}

impl Protocol for ClientProtocol {
    fn handle_sync_step1(
        &self,
        awareness: &mut Awareness,
        sv: StateVector,
    ) -> Result<Option<Message>, Error> {
        let update = awareness.doc().transact().encode_state_as_update_v1(&sv);
        *self
            .server_state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(sv);
        Ok(Some(Message::Sync(SyncMessage::SyncStep2(update))))
    }

    fn handle_sync_step2(
        &self,
        awareness: &mut Awareness,
        update: Update,
    ) -> Result<Option<Message>, Error> {
        let mut txn = awareness
            .doc()
            .transact_mut_with(self.remote_origin.clone());
        txn.apply_update(update)?;
        Ok(None)
    }

    fn missing_handle(
        &self,
        _awareness: &mut Awareness,
        tag: u8,
        _data: Vec<u8>,
    ) -> Result<Option<Message>, Error> {
        tracing::debug!(tag, "ignoring a y-sync message with an unknown tag");
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::sync::{Arc, Mutex};
    use yrs::{Doc, GetString, Map, ReadTxn, Text};

    fn protocol() -> ClientProtocol {
        ClientProtocol::new(Origin::from("remote"))
    }

    #[test]
    fn a_message_round_trips_through_a_frame() {
        let message = Message::Sync(SyncMessage::Update(vec![0, 0]));
        let frame = encode_message(&message);
        assert_eq!(decode_frame(&frame).unwrap(), vec![message]);
    }

    #[test]
    fn garbage_and_empty_frames_do_not_decode() {
        assert!(decode_frame(&[]).is_err());
        // Sync message with an unknown sync tag.
        assert!(decode_frame(&[0, 9, 1, 2, 3]).is_err());
        // Sync step 1 whose length prefix runs past the end.
        assert!(decode_frame(&[0, 0, 200]).is_err());
    }

    #[test]
    fn sync_step1_is_answered_with_the_missing_state() {
        let server = Doc::new();
        server
            .get_or_insert_text("notes")
            .insert(&mut server.transact_mut(), 0, "hello");
        let mut server = Awareness::new(server);

        let client = Awareness::new(Doc::new());
        let step1 = Message::Sync(SyncMessage::SyncStep1(
            client.doc().transact().state_vector(),
        ));
        let handled = protocol()
            .handle_frame(&mut server, &encode_message(&step1))
            .unwrap();
        assert_eq!(handled.replies.len(), 1);
        assert_eq!(handled.sync_step2, 0);

        let mut client = client;
        let reply = encode_message(&handled.replies[0]);
        let handled = protocol().handle_frame(&mut client, &reply).unwrap();
        assert_eq!(handled.sync_step2, 1);
        let text = client.doc().transact().get_text("notes").unwrap();
        assert_eq!(text.get_string(&client.doc().transact()), "hello");
    }

    #[test]
    fn remote_updates_carry_the_remote_origin() {
        let origins: Arc<Mutex<Vec<Option<Origin>>>> = Arc::default();
        let client = Doc::new();
        let seen = origins.clone();
        client
            .observe_update_v1("test", move |txn, _| {
                seen.lock().unwrap().push(txn.origin().cloned());
            })
            .unwrap();
        let mut client = Awareness::new(client);

        let other = Doc::new();
        other
            .get_or_insert_map("meta")
            .insert(&mut other.transact_mut(), "title", "x");
        let update = other
            .transact()
            .encode_state_as_update_v1(&Default::default());
        let frame = encode_message(&Message::Sync(SyncMessage::Update(update)));
        protocol().handle_frame(&mut client, &frame).unwrap();

        client
            .doc()
            .get_or_insert_map("meta")
            .insert(&mut client.doc().transact_mut(), "k", 1);
        let origins = origins.lock().unwrap();
        assert_eq!(*origins, vec![Some(Origin::from("remote")), None]);
    }

    #[test]
    fn a_permission_denied_is_reported_not_an_error() {
        let mut client = Awareness::new(Doc::new());
        let frame = encode_message(&Message::Auth(Some("only the facilitator".into())));
        let handled = protocol().handle_frame(&mut client, &frame).unwrap();
        assert_eq!(handled.denied, ["only the facilitator"]);
        assert!(handled.replies.is_empty());
    }

    #[test]
    fn unknown_message_tags_are_ignored() {
        let mut client = Awareness::new(Doc::new());
        let frame = encode_message(&Message::Custom(42, vec![1, 2, 3]));
        let handled = protocol().handle_frame(&mut client, &frame).unwrap();
        assert!(handled.replies.is_empty());
    }

    #[test]
    fn an_awareness_query_is_answered_with_the_local_state() {
        let mut client = Awareness::new(Doc::new());
        client.set_local_state_raw(r#"{"name":"Ada"}"#);
        let frame = encode_message(&Message::AwarenessQuery);
        let handled = protocol().handle_frame(&mut client, &frame).unwrap();
        match handled.replies.as_slice() {
            [Message::Awareness(update)] => {
                let state = &update.clients[&client.client_id()];
                assert_eq!(&*state.json, r#"{"name":"Ada"}"#);
            }
            other => panic!("unexpected replies {other:?}"),
        }
    }
}
