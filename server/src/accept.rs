//! The accept loop: each TCP connection served by hyper's HTTP/1 server, with its peer
//! address handed to every request, a bound on how long a client may take to send a request's
//! headers, and a graceful stop.
//!
//! Why hyper directly rather than `axum::serve`: axum's serve gives hyper no timer, so hyper
//! applies no header-read timeout, and a client that opens a connection and sends its headers
//! slowly (or never) holds a socket and a task for as long as it likes; enough of them exhaust
//! the server's file descriptors. hyper-util's `auto` builder would not do either: it first
//! reads the bytes that tell HTTP/1 from HTTP/2, with no timeout, so a client that sends
//! nothing would never be timed out. The server speaks HTTP/1.1 only (WebSocket upgrades
//! need it), so the HTTP/1 builder serves each connection from its first byte, under the
//! timeout. The same timeout closes a keep-alive connection that waits that long for its
//! next request.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How long to pause after an accept error that is not one connection's (running out of
/// file descriptors, say), so the loop does not spin while the cause lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `stop` is cancelled; then stops accepting, lets each
/// connection finish the request it is serving (idle ones close at once), and returns once
/// every connection has closed. A connection upgraded to a WebSocket has left hyper by then
/// and is not waited for here: its own task watches the same token.
pub async fn serve_http(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    stop: CancellationToken,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                pause_after(error, &stop).await;
                continue;
            }
        };
        // Small y-sync frames must leave at once, not wait on Nagle's algorithm for an ACK.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY");
        }
        connections.spawn(serve_connection(
            builder.clone(),
            tcp,
            peer,
            router.clone(),
            stop.clone(),
        ));
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// Serves one connection until it ends, is upgraded, or (after `stop`) has finished its
/// request in flight.
async fn serve_connection(
    builder: http1::Builder,
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    stop: CancellationToken,
) {
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    });
    let connection = builder
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                // A client that went away, or that took too long over its headers.
                if let Err(error) = ended {
                    tracing::debug!(%error, "connection ended");
                }
                return;
            }
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Handles an accept error: one connection's (reset or aborted before it was accepted) is
/// nothing; any other waits [`ACCEPT_ERROR_PAUSE`], or until `stop`.
async fn pause_after(error: io::Error, stop: &CancellationToken) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::select! {
        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
        () = stop.cancelled() => {}
    }
}
