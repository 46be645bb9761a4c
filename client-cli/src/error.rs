//! The one error type of the client.

use std::time::Duration;

use crate::connection::{CloseInfo, ConnectionState, Ended};

/// Everything that can go wrong between this client and a workshop server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server address or the workshop id does not make a WebSocket URL.
    #[error("invalid workshop address {input:?}: {reason}")]
    InvalidUrl {
        /// What the caller passed.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The WebSocket connection could not be opened (refused, not a WebSocket endpoint, ...).
    #[error("could not connect to {url}: {source}")]
    Connect {
        /// The URL that was dialled.
        url: String,
        /// What the WebSocket library reported.
        #[source]
        source: Box<tokio_tungstenite::tungstenite::Error>,
    },
    /// The connection ended before the initial sync completed, e.g. the server closed it with
    /// 4404 for an unknown workshop.
    #[error("the connection ended before the document was synced: {0}")]
    Closed(Ended),
    /// The operation needs an open connection and there is none.
    #[error("not connected to a workshop server")]
    NotConnected,
    /// `connect` was called while a connection is still open.
    #[error("already connected; disconnect first")]
    AlreadyConnected,
    /// A condition did not come true in time.
    #[error("timed out after {waited:?} waiting for {what} (connection: {state})")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        waited: Duration,
        /// The connection's state when the wait gave up, to tell a silent server from a closed
        /// connection.
        state: ConnectionState,
    },
    /// The awareness state could not be encoded as JSON.
    #[error("invalid awareness state: {0}")]
    Awareness(#[from] yrs::sync::awareness::Error),
}

impl ClientError {
    /// The close frame the server sent, when this error is a connection the server closed.
    pub fn close_info(&self) -> Option<&CloseInfo> {
        match self {
            ClientError::Closed(Ended::ServerClosed(info)) => Some(info),
            _ => None,
        }
    }
}
