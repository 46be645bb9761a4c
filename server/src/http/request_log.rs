//! The access log: a line for every HTTP request once it is answered (WebSocket upgrades
//! included), with its method, path, peer address, status and latency, under the target
//! `workshop_server::access` (silence it with `RUST_LOG=info,workshop_server::access=off`).
//!
//! It writes the path and never the query string: tokens travel there (`?token=…`, which
//! browsers' WebSocket clients cannot avoid), and a log is read by more people than a token
//! should be. Headers, `Authorization` among them, are not logged either.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The target of the access log's lines.
pub const TARGET: &str = "workshop_server::access";

type MakeSpan = fn(&Request<Body>) -> Span;
type OnResponse = fn(&Response<Body>, Duration, &Span);

/// The layer that writes the access log.
pub(super) fn layer(
) -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), OnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(span as MakeSpan)
        .on_request(())
        .on_response(answered as OnResponse)
}

/// The span of one request: what every line logged while answering it carries.
fn span(request: &Request<Body>) -> Span {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    tracing::info_span!(
        target: TARGET,
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        peer = peer.map(tracing::field::display),
    )
}

fn answered(response: &Response<Body>, latency: Duration, _span: &Span) {
    tracing::info!(
        target: TARGET,
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "answered"
    );
}
