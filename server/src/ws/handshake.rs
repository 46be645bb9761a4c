//! The WebSocket opening handshake (RFC 6455, section 4.2) on hyper's upgrade: the checks
//! axum's `WebSocketUpgrade` made, the `101 Switching Protocols` answer, and the socket once
//! hyper has handed the connection over.
//!
//! The server takes the upgrade itself rather than through axum's extractor because axum's
//! `Message` has no raw frame, and large messages go out as fragments ([`super::socket`]).
//! No subprotocol is offered or chosen.

use std::future::Future;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use thiserror::Error;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use super::socket::Socket;
use crate::http::ApiError;

/// The only WebSocket version there is (RFC 6455).
const WEBSOCKET_VERSION: &str = "13";

/// Why an upgrade request was refused. Each is answered 400 `bad_request` (the status a
/// browser never shows its page anyway), before anything is upgraded.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HandshakeError {
    /// Upgrades are made over HTTP/1.x; this server speaks nothing later.
    #[error("WebSocket upgrades need HTTP/1.1")]
    NotHttp1,
    /// The request is not a `GET` (a `HEAD` reaches the handler too).
    #[error("Request method must be `GET`")]
    MethodNotGet,
    /// The `Connection` header does not ask for an upgrade.
    #[error("Connection header did not include 'upgrade'")]
    ConnectionHeader,
    /// The `Upgrade` header does not name `websocket`.
    #[error("`Upgrade` header did not include 'websocket'")]
    UpgradeHeader,
    /// No `Sec-WebSocket-Key` to answer.
    #[error("`Sec-WebSocket-Key` header missing")]
    KeyMissing,
    /// A `Sec-WebSocket-Version` other than 13; the answer names the one supported.
    #[error("`Sec-WebSocket-Version` header did not include '13'")]
    WebSocketVersion,
    /// The request did not come through a connection hyper can upgrade.
    #[error("WebSocket request couldn't be upgraded since no upgrade state was present")]
    NotUpgradable,
}

impl IntoResponse for HandshakeError {
    fn into_response(self) -> Response {
        let version = self == HandshakeError::WebSocketVersion;
        let mut response = ApiError::BadRequest(self.to_string()).into_response();
        if version {
            // RFC 6455, section 4.4: a refused version is answered with the supported one.
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static(WEBSOCKET_VERSION),
            );
        }
        response
    }
}

/// A checked upgrade request, not yet answered.
#[derive(Debug)]
pub struct Handshake {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
}

impl Handshake {
    /// Checks the request's upgrade headers and takes its upgrade from hyper.
    pub fn check(parts: &mut Parts) -> Result<Handshake, HandshakeError> {
        if parts.version > Version::HTTP_11 {
            return Err(HandshakeError::NotHttp1);
        }
        if parts.method != Method::GET {
            return Err(HandshakeError::MethodNotGet);
        }
        let headers = &parts.headers;
        if !header_contains(headers, header::CONNECTION, "upgrade") {
            return Err(HandshakeError::ConnectionHeader);
        }
        if !header_eq(headers, header::UPGRADE, "websocket") {
            return Err(HandshakeError::UpgradeHeader);
        }
        let key = headers
            .get(header::SEC_WEBSOCKET_KEY)
            .ok_or(HandshakeError::KeyMissing)?
            .clone();
        if !header_eq(headers, header::SEC_WEBSOCKET_VERSION, WEBSOCKET_VERSION) {
            return Err(HandshakeError::WebSocketVersion);
        }
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(HandshakeError::NotUpgradable)?;
        Ok(Handshake { key, on_upgrade })
    }

    /// Answers `101 Switching Protocols`, and spawns the task `serve` makes of the upgrade
    /// (which yields the socket once hyper has sent the answer and handed the connection
    /// over).
    pub fn accept<F, Fut>(self, config: WebSocketConfig, serve: F) -> Response
    where
        F: FnOnce(Upgrading) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accept = match HeaderValue::try_from(derive_accept_key(self.key.as_bytes())) {
            Ok(accept) => accept,
            // Base64 is always a valid header value; this only keeps the handler panic-free.
            Err(error) => return ApiError::Internal(error.to_string()).into_response(),
        };
        tokio::spawn(serve(Upgrading {
            on_upgrade: self.on_upgrade,
            config,
        }));
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        response
    }
}

/// An accepted upgrade whose connection hyper has not handed over yet.
#[derive(Debug)]
pub struct Upgrading {
    on_upgrade: OnUpgrade,
    config: WebSocketConfig,
}

impl Upgrading {
    /// The socket, once hyper has sent the `101` and handed the connection over; `None` if
    /// the connection ended first.
    pub async fn socket(self) -> Option<Socket> {
        let upgraded = match self.on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                tracing::debug!(%error, "the connection was not upgraded");
                return None;
            }
        };
        let io = TokioIo::new(upgraded);
        Some(WebSocketStream::from_raw_socket(io, Role::Server, Some(self.config)).await)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Handshake {
    type Rejection = HandshakeError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Handshake::check(parts)
    }
}

/// Whether the first `name` header is `value`, ignoring ASCII case.
fn header_eq(headers: &HeaderMap, name: HeaderName, value: &str) -> bool {
    headers
        .get(name)
        .is_some_and(|header| header.as_bytes().eq_ignore_ascii_case(value.as_bytes()))
}

/// Whether the first `name` header contains `value`, ignoring ASCII case (`Connection:
/// keep-alive, Upgrade` asks for an upgrade).
fn header_contains(headers: &HeaderMap, name: HeaderName, value: &str) -> bool {
    headers
        .get(name)
        .and_then(|header| header.to_str().ok())
        .is_some_and(|header| header.to_ascii_lowercase().contains(value))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::Request;

    use super::*;

    /// A valid upgrade request's parts, without hyper's upgrade.
    fn request() -> axum::http::request::Builder {
        Request::builder()
            .uri("/ws/x")
            .header(header::CONNECTION, "keep-alive, Upgrade")
            .header(header::UPGRADE, "WebSocket")
            .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
            .header(header::SEC_WEBSOCKET_VERSION, "13")
    }

    fn check(builder: axum::http::request::Builder) -> Result<Handshake, HandshakeError> {
        let (mut parts, ()) = builder.body(()).unwrap().into_parts();
        Handshake::check(&mut parts)
    }

    fn without(name: HeaderName) -> axum::http::request::Builder {
        let mut builder = request();
        builder.headers_mut().unwrap().remove(name);
        builder
    }

    fn with(name: HeaderName, value: &'static str) -> axum::http::request::Builder {
        let mut builder = request();
        builder
            .headers_mut()
            .unwrap()
            .insert(name, HeaderValue::from_static(value));
        builder
    }

    #[test]
    fn each_missing_or_wrong_upgrade_header_has_its_refusal() {
        use HandshakeError::*;
        assert_eq!(check(request()).unwrap_err(), NotUpgradable);
        assert_eq!(
            check(request().method(Method::HEAD)).unwrap_err(),
            MethodNotGet
        );
        assert_eq!(
            check(request().version(Version::HTTP_2)).unwrap_err(),
            NotHttp1
        );
        assert_eq!(
            check(without(header::CONNECTION)).unwrap_err(),
            ConnectionHeader
        );
        assert_eq!(
            check(with(header::UPGRADE, "h2c")).unwrap_err(),
            UpgradeHeader
        );
        assert_eq!(
            check(without(header::SEC_WEBSOCKET_KEY)).unwrap_err(),
            KeyMissing
        );
        assert_eq!(
            check(with(header::SEC_WEBSOCKET_VERSION, "8")).unwrap_err(),
            WebSocketVersion
        );
        assert_eq!(
            check(without(header::SEC_WEBSOCKET_VERSION)).unwrap_err(),
            WebSocketVersion
        );
    }

    #[test]
    fn a_refused_version_is_a_400_naming_version_13() {
        let response = HandshakeError::WebSocketVersion.into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::SEC_WEBSOCKET_VERSION], "13");
        let response = HandshakeError::KeyMissing.into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(!response
            .headers()
            .contains_key(header::SEC_WEBSOCKET_VERSION));
    }
}
