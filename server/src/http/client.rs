//! [`ClientAddress`]: the address a request comes from, for the per-address limits.
//!
//! The accept loop puts each connection's peer address into its requests
//! ([`axum::extract::ConnectInfo`]); [`crate::forwarded`] decides whether a trusted proxy's
//! `X-Forwarded-For` names the client instead.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::forwarded;
use crate::state::AppState;

/// Where a request without a peer address comes from. Only requests handed to the router
/// in-process (tests) have none; they share this one address.
pub const UNKNOWN_PEER: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// The client address of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(UNKNOWN_PEER, |ConnectInfo(peer)| peer.ip());
        Ok(ClientAddress(forwarded::client_address(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
        )))
    }
}
