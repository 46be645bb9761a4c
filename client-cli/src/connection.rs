//! The task that owns one WebSocket connection.
//!
//! [`SyncClient::connect`](crate::SyncClient::connect) opens the socket and hands it to a task
//! spawned here. The task is the only code that touches the socket: it writes the frames queued
//! by the client (local updates, awareness, handshake), reads the server's frames and hands them
//! to [`ClientProtocol`](crate::protocol::ClientProtocol), and records how the connection ended,
//! including the server's close frame, in the client's shared status.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::client::Shared;
use crate::protocol::encode_message;

/// How long a closing handshake may take before the socket is dropped regardless.
pub const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// WebSocket close frames carry at most 123 bytes of reason.
const MAX_CLOSE_REASON: usize = 123;

/// The socket type of a client connection.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A close frame: its status code and reason text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close status code, e.g. 1000 normal, 1001 going away, 1007 invalid payload, 1009 too
    /// big, 4404 unknown workshop.
    pub code: u16,
    /// The reason text, possibly empty.
    pub reason: String,
}

impl fmt::Display for CloseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            write!(f, "close code {}", self.code)
        } else {
            write!(f, "close code {} ({})", self.code, self.reason)
        }
    }
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The server closed the connection with this close frame. A close frame without a status
    /// is reported with code 1005 ("no status received"), as browsers do.
    ServerClosed(CloseInfo),
    /// This client closed it (disconnect, or the client was dropped).
    ClientClosed,
    /// The server sent a frame this client could not decode or apply; the client closed the
    /// connection with 1007.
    ProtocolError(String),
    /// The transport failed, or the connection ended without a close frame.
    Lost(String),
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ended::ServerClosed(info) => write!(f, "closed by the server with {info}"),
            Ended::ClientClosed => write!(f, "closed by this client"),
            Ended::ProtocolError(error) => write!(f, "closed after an invalid message: {error}"),
            Ended::Lost(error) => write!(f, "connection lost: {error}"),
        }
    }
}

/// Where a client's connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Never connected.
    Offline,
    /// Opening the WebSocket.
    Connecting,
    /// Open; the server's answer to this client's SyncStep1 has not arrived yet.
    Syncing,
    /// Open, and the document has everything the server had when it answered.
    Synced,
    /// The connection ended; the document stays usable offline.
    Ended(Ended),
}

impl ConnectionState {
    /// Whether a connection is open (handshaking or synced).
    pub fn is_open(&self) -> bool {
        matches!(self, ConnectionState::Syncing | ConnectionState::Synced)
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionState::Offline => write!(f, "offline"),
            ConnectionState::Connecting => write!(f, "connecting"),
            ConnectionState::Syncing => write!(f, "syncing"),
            ConnectionState::Synced => write!(f, "synced"),
            ConnectionState::Ended(ended) => ended.fmt(f),
        }
    }
}

/// The client's end of a running connection task.
pub(crate) struct ConnectionHandle {
    /// Dropping or firing it asks the task to close the connection.
    pub(crate) shutdown: Option<oneshot::Sender<()>>,
    /// The task itself.
    pub(crate) task: JoinHandle<()>,
}

/// Spawns the task that runs `socket` until it ends, sending the frames queued on `outgoing`.
/// `generation` identifies this connection in the client's outbox.
pub(crate) fn spawn(
    socket: Socket,
    outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    shared: Arc<Shared>,
    generation: u64,
) -> ConnectionHandle {
    let (shutdown_tx, shutdown_rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        let ended = run(socket, outgoing, shutdown_rx, &shared).await;
        tracing::debug!(%ended, "workshop connection ended");
        shared.connection_ended(generation, ended);
    });
    ConnectionHandle {
        shutdown: Some(shutdown_tx),
        task,
    }
}

/// Runs one connection until it ends and says how it did.
async fn run(
    mut socket: Socket,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    mut shutdown: oneshot::Receiver<()>,
    shared: &Shared,
) -> Ended {
    loop {
        tokio::select! {
            // Either a request or the client being dropped: close politely in both cases.
            _ = &mut shutdown => {
                // Frames queued before the request still go out, so nothing edited while
                // connected is left to the next reconnect's state-vector exchange.
                while let Ok(bytes) = outgoing.try_recv() {
                    if let Err(error) = socket.send(Frame::Binary(bytes.into())).await {
                        return Ended::Lost(error.to_string());
                    }
                }
                close(&mut socket, CloseCode::Normal, "client disconnected").await;
                return Ended::ClientClosed;
            }
            queued = outgoing.recv() => {
                let Some(bytes) = queued else {
                    close(&mut socket, CloseCode::Normal, "client disconnected").await;
                    return Ended::ClientClosed;
                };
                if let Err(error) = socket.send(Frame::Binary(bytes.into())).await {
                    return Ended::Lost(error.to_string());
                }
            }
            incoming = socket.next() => match incoming {
                Some(Ok(Frame::Binary(data))) => {
                    if let Some(ended) = handle_binary(&mut socket, shared, &data).await {
                        return ended;
                    }
                }
                Some(Ok(Frame::Close(frame))) => {
                    let info = frame.map_or(
                        CloseInfo { code: u16::from(CloseCode::Status), reason: String::new() },
                        |frame| CloseInfo {
                            code: u16::from(frame.code),
                            reason: frame.reason.as_str().to_owned(),
                        },
                    );
                    // The library queued the close reply; reading on sends it and sees the end.
                    drain(&mut socket).await;
                    return Ended::ServerClosed(info);
                }
                // Pings are answered by the library; text frames are not part of y-sync.
                Some(Ok(_)) => {}
                Some(Err(error)) => return Ended::Lost(error.to_string()),
                None => return Ended::Lost("the connection ended without a close frame".into()),
            },
        }
    }
}

/// Handles one binary frame from the server; returns how the connection ended if it did.
async fn handle_binary(socket: &mut Socket, shared: &Shared, data: &[u8]) -> Option<Ended> {
    // The awareness lock is a std mutex held only for the synchronous protocol step, never
    // across an await.
    let handled = {
        let mut awareness = shared.lock_awareness();
        shared.protocol.handle_frame(&mut awareness, data)
    };
    match handled {
        Ok(handled) => {
            for reply in &handled.replies {
                let bytes = encode_message(reply);
                if let Err(error) = socket.send(Frame::Binary(bytes.into())).await {
                    return Some(Ended::Lost(error.to_string()));
                }
            }
            shared.frame_handled(
                handled.sync_step2,
                handled.awareness_changed,
                handled.denied,
            );
            None
        }
        Err(error) => {
            let reason = error.to_string();
            tracing::warn!(%reason, "invalid message from the server");
            close(socket, CloseCode::Invalid, &reason).await;
            Some(Ended::ProtocolError(reason))
        }
    }
}

/// Sends a close frame and waits (briefly) for the server to complete the closing handshake.
async fn close(socket: &mut Socket, code: CloseCode, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: truncate(reason, MAX_CLOSE_REASON).into(),
    };
    if socket.send(Frame::Close(Some(frame))).await.is_ok() {
        drain(socket).await;
    }
}

/// Reads and discards frames until the socket ends or [`CLOSE_GRACE`] passes.
async fn drain(socket: &mut Socket) {
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_are_cut_on_character_boundaries() {
        assert_eq!(truncate("short", 123), "short");
        let long = "é".repeat(100);
        let cut = truncate(&long, MAX_CLOSE_REASON);
        assert!(cut.len() <= MAX_CLOSE_REASON);
        assert_eq!(cut.len(), 122);
    }

    #[test]
    fn states_and_endings_read_well() {
        let ended = Ended::ServerClosed(CloseInfo {
            code: 4404,
            reason: "unknown workshop".into(),
        });
        assert_eq!(
            ended.to_string(),
            "closed by the server with close code 4404 (unknown workshop)"
        );
        assert_eq!(
            ConnectionState::Ended(Ended::ClientClosed).to_string(),
            "closed by this client"
        );
        assert!(ConnectionState::Synced.is_open());
        assert!(!ConnectionState::Ended(Ended::ClientClosed).is_open());
    }
}
