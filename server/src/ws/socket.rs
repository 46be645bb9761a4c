//! The upgraded socket: its configuration, and writing to it within a deadline — binary
//! messages (a large one as a fragmented message), control frames, close frames.
//!
//! tungstenite copies every frame it is given into one write buffer, whose capacity it keeps
//! for the connection's lifetime. A sync step 2 holds the whole document (14 KB for a new
//! workshop, far more for an old one), so sending it as one frame would leave every idle
//! connection holding a buffer that large. A message longer than [`SINGLE_FRAME_BYTES`] is
//! sent instead as a fragmented message (RFC 6455, section 5.4): a binary frame that is not
//! final, continuation frames, and a final one, each of [`FRAGMENT_BYTES`] at most and
//! written out before the next, so the buffer never grows past one fragment for it. Every
//! client (browsers, the `ws` package under y-websocket in Node, tungstenite) hands the
//! reassembled message to its reader, so each y-sync message still arrives as exactly one
//! WebSocket message.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{Sink, SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::{CLOSE_GRACE, SEND_TIMEOUT};

/// A WebSocket over a connection hyper has handed over after the `101`.
pub type Socket = WebSocketStream<TokioIo<Upgraded>>;
/// The writing half of a [`Socket`].
pub type SocketSink = SplitSink<Socket, Message>;
/// The reading half of a [`Socket`].
pub type SocketStream = SplitStream<Socket>;

/// Bytes read from a socket at a time, and what every connection's read buffer holds while
/// idle (tungstenite's default is 128 KiB). A client's edits and presence messages are a few
/// hundred bytes at most; a larger message (a join's sync step 2, an offline client's
/// backlog) takes one more read per 256 bytes. In scenario 6, 4 KiB here cost 2.5 KiB more
/// per idle connection than 1 KiB, 1 KiB about 0.5 KiB more than 512 bytes, and 512 bytes
/// about 0.4 KiB more than 256.
const READ_BUFFER_BYTES: usize = 256;
/// Bytes gathered before a write reaches the socket; the writer flushes every batch anyway.
const WRITE_BUFFER_BYTES: usize = 8 * 1024;
/// The longest message sent as a single frame: a relayed edit or its results (one vote
/// changes an aspect's figures and every approach's fit, often over 1 KiB) go out with one
/// `send`. With the 4-byte header of a frame this size, it takes exactly 4 KiB of the write
/// buffer (and of the allocator's size classes).
pub const SINGLE_FRAME_BYTES: usize = 4 * 1024 - 4;
/// Payload bytes in each frame of a fragmented message (a join's or a resync's whole
/// document, an offline client's backlog): with its header, 512 bytes. The write buffer
/// keeps the capacity of the largest frame it ever held, so an idle connection, which has
/// been sent nothing but its join's sync step 2 and keepalives, keeps 512 bytes rather than
/// 4 KiB (scenario 6); a large message takes one `send` per 512 bytes.
pub const FRAGMENT_BYTES: usize = 512 - 4;

/// The socket's limits: messages and frames up to `max_frame_bytes` (anything larger is
/// refused with 1009), and small read and write buffers.
///
/// tungstenite's default 128 KiB read buffer, allocated for every connection, would be most
/// of an idle connection's memory; y-sync messages are small, and a large one is read in
/// several steps.
pub fn config(max_frame_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(max_frame_bytes))
        .max_frame_size(Some(max_frame_bytes))
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
}

/// Writes one binary message, within `within`. With `flush`, the socket is flushed after it;
/// without, a message that fits one frame may wait in the write buffer for the next flush
/// (a fragmented one is written out but for its last frame). Resolves to whether it was
/// written.
///
/// Like [`send`], the write is boxed: a connection's task awaits it only while writing, and
/// its state would otherwise be part of every connection's task for good (scenario 6).
pub fn write_binary<S>(
    sink: &mut S,
    payload: Bytes,
    flush: bool,
    within: Duration,
) -> Pin<Box<impl Future<Output = bool> + '_>>
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    Box::pin(async move {
        let written = if payload.len() <= SINGLE_FRAME_BYTES {
            let message = Message::Binary(payload);
            if flush {
                timeout(within, sink.send(message)).await
            } else {
                timeout(within, sink.feed(message)).await
            }
        } else {
            timeout(within, write_fragments(sink, payload, flush)).await
        };
        matches!(written, Ok(Ok(())))
    })
}

/// Writes `payload` as a fragmented binary message, each frame written out before the next
/// is buffered.
async fn write_fragments<S>(sink: &mut S, mut payload: Bytes, flush: bool) -> Result<(), WsError>
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    // Smaller messages fed before this one go out first, so the write buffer never holds
    // them and a fragment together.
    sink.flush().await?;
    let mut opcode = OpCode::Data(Data::Binary);
    while !payload.is_empty() {
        let fragment = payload.split_to(payload.len().min(FRAGMENT_BYTES));
        let last = payload.is_empty();
        sink.feed(Message::Frame(Frame::message(fragment, opcode, last)))
            .await?;
        if !last || flush {
            sink.flush().await?;
        }
        opcode = OpCode::Data(Data::Continue);
    }
    Ok(())
}

/// Writes `message` (a control or close frame) and flushes the socket, within `within`.
/// Resolves to whether it was written; boxed, like [`write_binary`].
pub fn send<S>(
    sink: &mut S,
    message: Message,
    within: Duration,
) -> Pin<Box<impl Future<Output = bool> + '_>>
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    Box::pin(async move { matches!(timeout(within, sink.send(message)).await, Ok(Ok(()))) })
}

/// Closes a connection that never joined a room: the close frame, then whatever the client
/// still sends until its own close frame.
pub async fn reject(sink: &mut SocketSink, stream: &mut SocketStream, code: u16, reason: &str) {
    if send(sink, close_message(code, reason), SEND_TIMEOUT).await {
        let _ = timeout(CLOSE_GRACE, async {
            while let Some(Ok(_)) = stream.next().await {}
        })
        .await;
    }
}

/// A close frame with `code` and `reason` (cut to the protocol's limit).
pub fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: truncate_reason(reason).into(),
    }))
}

/// Whether a read error is tungstenite refusing an oversized message or frame.
pub fn is_too_large(error: &WsError) -> bool {
    matches!(error, WsError::Capacity(_))
}

/// Cuts a close reason to the protocol's 123 bytes without splitting a character.
pub fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= super::MAX_CLOSE_REASON_BYTES {
        return reason;
    }
    let mut end = super::MAX_CLOSE_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Cursor;

    use tokio::io::{AsyncReadExt, DuplexStream};
    use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::*;

    const WAIT: Duration = Duration::from_secs(10);

    async fn server_over(io: DuplexStream) -> WebSocketStream<DuplexStream> {
        WebSocketStream::from_raw_socket(io, Role::Server, Some(config(1 << 20))).await
    }

    /// The headers of the frames in `wire`, each with its payload length.
    fn frame_headers(wire: &[u8]) -> Vec<(FrameHeader, usize)> {
        let mut cursor = Cursor::new(wire);
        let mut headers = Vec::new();
        while (cursor.position() as usize) < wire.len() {
            let (header, len) = FrameHeader::parse(&mut cursor).unwrap().unwrap();
            cursor.set_position(cursor.position() + len);
            headers.push((header, len as usize));
        }
        headers
    }

    fn payload(len: usize) -> Bytes {
        (0..len)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>()
            .into()
    }

    #[tokio::test]
    async fn a_large_message_goes_out_in_fragments_that_never_exceed_the_fragment_size() {
        let (server_io, mut client_io) = tokio::io::duplex(1 << 20);
        let mut server = server_over(server_io).await;
        let message = payload(10 * FRAGMENT_BYTES + 7);
        assert!(write_binary(&mut server, message.clone(), true, WAIT).await);
        drop(server);
        let mut wire = Vec::new();
        client_io.read_to_end(&mut wire).await.unwrap();

        let frames = frame_headers(&wire);
        assert_eq!(frames.len(), 11);
        for (i, (header, len)) in frames.iter().enumerate() {
            let expected = if i == 0 { Data::Binary } else { Data::Continue };
            assert_eq!(header.opcode, OpCode::Data(expected), "frame {i}");
            assert_eq!(header.is_final, i == frames.len() - 1, "frame {i}");
            assert!(*len <= FRAGMENT_BYTES, "frame {i}: {len} bytes");
        }
        assert_eq!(
            frames.iter().map(|(_, len)| len).sum::<usize>(),
            message.len()
        );
    }

    #[tokio::test]
    async fn a_client_reassembles_the_fragments_into_one_message() {
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        let mut server = server_over(server_io).await;
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let (large, small) = (payload(100 * 1024), payload(10));
        // Unflushed: the small one waits in the buffer and the large one's fragments follow
        // it; the final flush writes the large one's last frame.
        assert!(write_binary(&mut server, small.clone(), false, WAIT).await);
        assert!(write_binary(&mut server, large.clone(), false, WAIT).await);
        assert!(send(&mut server, close_message(1000, "done"), WAIT).await);
        drop(server);
        let mut received = Vec::new();
        while let Some(Ok(message)) = client.next().await {
            received.push(message);
        }
        assert_eq!(received.len(), 3, "{:?}", received.last());
        assert_eq!(received[0], Message::Binary(small));
        assert_eq!(received[1], Message::Binary(large));
        assert!(matches!(received[2], Message::Close(Some(_))));
    }

    #[tokio::test]
    async fn a_message_of_the_single_frame_size_goes_out_as_one_frame() {
        let (server_io, mut client_io) = tokio::io::duplex(1 << 20);
        let mut server = server_over(server_io).await;
        assert!(write_binary(&mut server, payload(SINGLE_FRAME_BYTES), true, WAIT).await);
        drop(server);
        let mut wire = Vec::new();
        client_io.read_to_end(&mut wire).await.unwrap();
        let frames = frame_headers(&wire);
        assert_eq!(frames.len(), 1);
        assert!(frames[0].0.is_final);
        // A single frame with its header is exactly 4 KiB.
        assert_eq!(wire.len(), 4 * 1024);
    }

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary() {
        let reason = "é".repeat(100);
        let cut = truncate_reason(&reason);
        assert!(cut.len() <= super::super::MAX_CLOSE_REASON_BYTES);
        assert_eq!(cut.len(), 122);
        assert_eq!(truncate_reason("short"), "short");
    }
}
