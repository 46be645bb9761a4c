//! The reading half of a connection: the client's frames into the room, in batches, under
//! the update rate limit, until the connection ends or must be closed.

use axum::extract::ws::close_code;
use futures_util::{FutureExt, StreamExt};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message;

use super::admit::Admitted;
use super::socket::{is_too_large, SocketStream};
use super::{close_for, CLOSE_FORBIDDEN, IDLE_TIMEOUT, MAX_BATCH_FRAMES};
use crate::limits::{TokenBucket, CLOSE_RATE_LIMITED};
use crate::sync;

/// Reads frames into the room. Returns the close frame to send, if the server is the one
/// ending the connection for a reason the client should hear.
pub(crate) async fn read_frames(
    stream: &mut SocketStream,
    admitted: &Admitted,
) -> Option<(u16, String)> {
    let Admitted {
        room,
        conn,
        author,
        registration,
        ..
    } = admitted;
    // What this connection has written so far (client ids it brought) lives as long as it.
    let mut author = author.clone();
    // A frame read while gathering a batch that is not part of it, handled next.
    let mut carried = None;
    let limit = admitted.updates;
    let mut rate = TokenBucket::new(limit, Instant::now().into_std());
    loop {
        let next = match carried.take() {
            Some(next) => Ok(next),
            None => tokio::select! {
                // Cancelled when the token is revoked, and when the connection is done (its
                // writer stopped, or the server is shutting down).
                () = registration.revoked().cancelled() => {
                    if admitted.done.is_cancelled() {
                        // The writer sends whatever close is due.
                        return None;
                    }
                    return Some((CLOSE_FORBIDDEN, "token revoked".into()));
                }
                next = timeout(IDLE_TIMEOUT, stream.next()) => next,
            },
        };
        let message = match next {
            Err(_) => return Some((close_code::AWAY, "connection idle".into())),
            Ok(None) => return None,
            Ok(Some(Err(error))) => {
                tracing::debug!(%error, "cannot read frame");
                return Some(if is_too_large(&error) {
                    (close_code::SIZE, "message too large".into())
                } else {
                    (close_code::PROTOCOL, "broken WebSocket framing".into())
                });
            }
            Ok(Some(Ok(message))) => message,
        };
        match message {
            Message::Binary(frame) => {
                // Frames that have already arrived go in with this one: under a burst they
                // share one lock and one flush instead of waiting for a flush each.
                let mut frames = vec![frame];
                while frames.len() < MAX_BATCH_FRAMES {
                    match stream.next().now_or_never() {
                        Some(Some(Ok(Message::Binary(frame)))) => frames.push(frame),
                        Some(other) => {
                            carried = Some(other);
                            break;
                        }
                        None => break,
                    }
                }
                // tungstenite enforces the limit already; this keeps it true whatever the config.
                let max = admitted.max_frame_bytes;
                if frames.iter().any(|frame| frame.len() > max) {
                    return Some((close_code::SIZE, format!("message exceeds {max} bytes")));
                }
                // Each document message takes a token; the frames before the first that
                // finds none still take effect, as they would before a malformed one.
                let now = Instant::now().into_std();
                let allowed = frames
                    .iter()
                    .take_while(|frame| rate.take(sync::count_limited_messages(frame), now))
                    .count();
                if allowed > 0 {
                    // Boxed: its state would otherwise be part of every connection's task
                    // for good, idle or not, for the moments it spends receiving.
                    let receiving = Box::pin(room.receive(*conn, &mut author, &frames[..allowed]));
                    if let Err(error) = receiving.await {
                        return Some(close_for(&error));
                    }
                }
                if allowed < frames.len() {
                    tracing::info!(per_sec = limit.per_sec, burst = limit.burst, "rate limited");
                    return Some((
                        CLOSE_RATE_LIMITED,
                        format!(
                            "rate limit exceeded: at most {} updates per second",
                            limit.per_sec
                        ),
                    ));
                }
            }
            Message::Text(_) => {
                return Some((
                    close_code::UNSUPPORTED,
                    "text frames are not supported; send binary y-sync messages".into(),
                ))
            }
            // Raw frames are never read: tungstenite reassembles fragments into messages.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            Message::Close(_) => return None,
        }
    }
}
