//! The writing half of a connection: drains the outbox onto the socket in batches, adds
//! keepalives, and brings the peer back into the relay after it was cut.

use axum::body::Bytes;
use axum::extract::ws::close_code;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message;

use super::admit::Admitted;
use super::socket::{close_message, send, write_binary, SocketSink};
use super::{close_for, CLOSE_GRACE, KEEPALIVE_INTERVAL};
use crate::rooms::{Backlog, Inbox, Outgoing};
use crate::sync;

/// Most messages a writer hands to its socket before it flushes, when more keep arriving.
const MAX_UNFLUSHED_FRAMES: usize = 32;

/// What the writer writes next.
enum Next {
    /// A binary message, and how many of its bytes the backlog counts as queued.
    Binary(Bytes, usize),
    /// A close frame; the writer stops after it.
    Close(Message),
    /// Nothing: the peer was cut while its queue was empty.
    Nothing,
}

/// A connection's writer task: drains the outbox into the socket, adds keepalives, and
/// brings the peer back into the relay after it was cut.
pub(crate) struct Writer<'a> {
    /// The connection: its room, id, shutdown and done signals, and slow-client timeout.
    pub(crate) admitted: &'a Admitted,
    /// What the room has queued for it, shared with the room.
    pub(crate) backlog: &'a Backlog,
}

impl Writer<'_> {
    /// Writes until the outbox closes, a close frame is sent, or the client is stuck.
    pub(crate) async fn run(self, sink: &mut SocketSink, inbox: Inbox) {
        // The connection is done when its writer stops: the reader stops too.
        let _done = self.admitted.done.clone().drop_guard();
        let mut keepalive =
            tokio::time::interval_at(Instant::now() + KEEPALIVE_INTERVAL, KEEPALIVE_INTERVAL);
        // When the peer was cut from the relay, while it still is.
        let mut cut_since: Option<Instant> = None;
        // Messages handed to the socket since its last flush.
        let mut unflushed = 0;
        loop {
            let next = tokio::select! {
                biased;
                () = self.admitted.shutdown.cancelled() => {
                    Next::Close(close_message(close_code::AWAY, "server shutting down"))
                }
                next = inbox.recv_async() => match next.ok() {
                    Some(Outgoing::Frame(frame)) => {
                        let queued = frame.len();
                        Next::Binary(frame, queued)
                    }
                    Some(Outgoing::Close { code, reason }) => {
                        Next::Close(close_message(code, &reason))
                    }
                    None => break,
                },
                // Cut while the queue was already empty: nothing else would wake us.
                () = self.backlog.cut_off() => Next::Nothing,
                _ = keepalive.tick() => {
                    let ping = Message::Ping(Default::default());
                    if !send(sink, ping, self.admitted.slow_client_timeout).await {
                        break;
                    }
                    Next::Binary(sync::keepalive_message().into(), 0)
                }
            };
            match next {
                Next::Binary(message, queued) => {
                    // Messages already waiting go out with this one in as few writes as
                    // possible: the socket is flushed once the queue is empty (or every few
                    // messages).
                    let more = !inbox.is_empty() && unflushed < MAX_UNFLUSHED_FRAMES;
                    unflushed = if more { unflushed + 1 } else { 0 };
                    if !write_binary(sink, message, !more, self.admitted.slow_client_timeout).await
                    {
                        tracing::info!("closing: could not write a frame in time");
                        self.too_far_behind(sink).await;
                        break;
                    }
                    self.backlog.written(queued);
                }
                Next::Close(close) => {
                    let _ = send(sink, close, self.admitted.slow_client_timeout).await;
                    break;
                }
                Next::Nothing => {}
            }
            if !self.backlog.is_cut() {
                continue;
            }
            let since = *cut_since.get_or_insert_with(Instant::now);
            let left = self
                .admitted
                .slow_client_timeout
                .saturating_sub(since.elapsed());
            if left.is_zero() {
                tracing::info!("closing: too far behind for too long");
                self.too_far_behind(sink).await;
                break;
            }
            if !inbox.is_empty() {
                continue;
            }
            // Caught up with everything queued before the cut: resync and rejoin. Boxed, as
            // rare as it is large, so that it does not enlarge every connection's task.
            match timeout(
                left,
                Box::pin(self.admitted.room.resync(self.admitted.conn)),
            )
            .await
            {
                Ok(Ok(())) => cut_since = None,
                Ok(Err(error)) => {
                    let (code, reason) = close_for(&error);
                    let _ = send(sink, close_message(code, &reason), CLOSE_GRACE).await;
                    break;
                }
                Err(_) => {
                    tracing::info!("closing: resync did not finish in time");
                    self.too_far_behind(sink).await;
                    break;
                }
            }
        }
    }

    /// Tries to tell a stuck client why it is closed; it may well not read it.
    async fn too_far_behind(&self, sink: &mut SocketSink) {
        let close = close_message(close_code::AGAIN, "too far behind; reconnect");
        let _ = send(sink, close, CLOSE_GRACE).await;
    }
}
