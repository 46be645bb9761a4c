//! A raw y-sync connection, as an attacker has one: it sends exactly the frames it is given,
//! answers nothing by itself, and sees every message the server sends, one per frame.
//!
//! It keeps a replica of the workshop ([`RawPeer::doc`]) made of every document update and
//! sync step 2 it received, so a test can read the server's client ids and clocks off it as an
//! attacker would.

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::encoding::read::Cursor;
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::TIMEOUT;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the server sent a raw connection.
#[derive(Debug)]
pub enum Received {
    /// One y-sync message.
    Message(Message),
    /// The server closed the connection with this code (`None`: without a close frame).
    Closed(Option<u16>),
}

/// A raw WebSocket connection to a workshop.
pub struct RawPeer {
    sink: SplitSink<Socket, WsMessage>,
    stream: SplitStream<Socket>,
    /// Everything the server has sent of the document so far.
    pub doc: Doc,
    /// The document updates (sync step 2 and update payloads) received, in order.
    pub updates: Vec<Vec<u8>>,
}

impl RawPeer {
    /// Connects to `url` (a workshop's WebSocket address with its token); panics if the
    /// upgrade fails.
    pub async fn connect(url: &str) -> RawPeer {
        let (socket, _) = timeout(TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("the upgrade answered in time")
            .unwrap_or_else(|error| panic!("connect to {url}: {error}"));
        let (sink, stream) = socket.split();
        RawPeer {
            sink,
            stream,
            doc: Doc::new(),
            updates: Vec::new(),
        }
    }

    /// Sends one binary frame as it is.
    pub async fn send(&mut self, frame: Vec<u8>) {
        self.sink
            .send(WsMessage::Binary(frame.into()))
            .await
            .expect("send a frame");
    }

    /// Sends one document update as a sync update message.
    pub async fn send_update(&mut self, update: &[u8]) {
        let message = Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1();
        self.send(message).await;
    }

    /// The next thing the server sends, within [`TIMEOUT`]; document updates are applied to
    /// [`RawPeer::doc`] on the way.
    pub async fn next(&mut self) -> Received {
        loop {
            let frame = match timeout(TIMEOUT, self.stream.next()).await {
                Err(_) => panic!("the server sent nothing within {TIMEOUT:?}"),
                Ok(None) | Ok(Some(Err(_))) => return Received::Closed(None),
                Ok(Some(Ok(frame))) => frame,
            };
            let bytes = match frame {
                WsMessage::Binary(bytes) => bytes,
                WsMessage::Close(close) => {
                    return Received::Closed(close.map(|close| u16::from(close.code)))
                }
                _ => continue,
            };
            let mut decoder = DecoderV1::new(Cursor::new(&bytes));
            let mut messages: Vec<Message> = MessageReader::new(&mut decoder)
                .map(|message| message.expect("the server sends well-formed messages"))
                .collect();
            assert_eq!(messages.len(), 1, "the server sends one message per frame");
            let message = messages.remove(0);
            if let Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) =
                &message
            {
                let decoded = Update::decode_v1(update).expect("the server sends valid updates");
                self.doc
                    .transact_mut()
                    .apply_update(decoded)
                    .expect("a relayed update applies");
                self.updates.push(update.clone());
            }
            return Received::Message(message);
        }
    }

    /// Asks the server for everything this replica lacks (sync step 1) and reads until the
    /// answer (sync step 2) is applied. Returns the other messages that came before it.
    pub async fn sync(&mut self) -> Vec<Message> {
        let state_vector = self.doc.transact().state_vector();
        self.send(Message::Sync(SyncMessage::SyncStep1(state_vector)).encode_v1())
            .await;
        let mut before = Vec::new();
        loop {
            match self.next().await {
                Received::Message(Message::Sync(SyncMessage::SyncStep2(_))) => return before,
                Received::Message(other) => before.push(other),
                Received::Closed(code) => panic!("closed ({code:?}) while syncing"),
            }
        }
    }

    /// Reads until the server closes the connection; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Received::Closed(code) = self.next().await {
                return code;
            }
        }
    }

    /// The replica's state vector.
    pub fn state_vector(&self) -> StateVector {
        self.doc.transact().state_vector()
    }
}
