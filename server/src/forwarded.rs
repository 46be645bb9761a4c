//! Which address a request comes from, for the limits of [`crate::per_address`].
//!
//! The address is the TCP peer's, which the accept loop hands every request. Behind a reverse
//! proxy every peer is the proxy, so the proxy's own address is named with `--trusted-proxy`:
//! a request from a trusted proxy comes from the last address of its `X-Forwarded-For`
//! header, the one that proxy appended (the entries before it were written by the client or
//! by proxies nobody vouches for, so they are never read). A request from any other peer
//! comes from that peer, whatever it says in `X-Forwarded-For`.
//!
//! Pure: the peer, the headers and the trusted addresses come in as parameters.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The header a reverse proxy appends the client's address to.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    /// Trusts these addresses (IPv4-mapped IPv6 addresses are taken as IPv4).
    pub fn new(addresses: impl IntoIterator<Item = IpAddr>) -> TrustedProxies {
        TrustedProxies(
            addresses
                .into_iter()
                .map(|address| address.to_canonical())
                .collect(),
        )
    }

    /// Whether `peer` is one of them.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.0.contains(&peer.to_canonical())
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The client address of a request from `peer` with `headers`: the last `X-Forwarded-For`
/// entry when `peer` is a trusted proxy and that entry is an address, else `peer`.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.trusts(peer) {
        return peer;
    }
    // By bytes: what the client wrote before the proxy's entry need not even be text.
    let last = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .flat_map(|value| value.as_bytes().split(|byte| *byte == b','))
        .map(<[u8]>::trim_ascii)
        .rfind(|entry| !entry.is_empty());
    match last
        .and_then(|entry| std::str::from_utf8(entry).ok())
        .and_then(parse_entry)
    {
        Some(client) => client.to_canonical(),
        // A trusted proxy that names no client: its requests count as its own.
        None => peer,
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`), as some proxies write it.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let headers = forwarded(&["198.51.100.9"]);
        let none = TrustedProxies::default();
        assert!(none.is_empty());
        assert_eq!(
            client_address(ip("203.0.113.7"), &headers, &none),
            ip("203.0.113.7")
        );
        let proxy = TrustedProxies::new([ip("10.0.0.1")]);
        assert_eq!(
            client_address(ip("203.0.113.7"), &headers, &proxy),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_in_the_last_entry() {
        let proxy = TrustedProxies::new([ip("10.0.0.1"), ip("::1")]);
        let peer = ip("10.0.0.1");
        // The client wrote the first entries itself; only the proxy's own is believed.
        let headers = forwarded(&["1.2.3.4, 5.6.7.8", "198.51.100.9"]);
        assert_eq!(client_address(peer, &headers, &proxy), ip("198.51.100.9"));
        let headers = forwarded(&["1.2.3.4,  198.51.100.9 "]);
        assert_eq!(client_address(peer, &headers, &proxy), ip("198.51.100.9"));
        let headers = forwarded(&["2001:db8::7"]);
        assert_eq!(
            client_address(ip("::1"), &headers, &proxy),
            ip("2001:db8::7")
        );
        let headers = forwarded(&["::ffff:198.51.100.9"]);
        assert_eq!(client_address(peer, &headers, &proxy), ip("198.51.100.9"));
        // A mapped peer address is the same proxy.
        assert!(proxy.trusts(ip("::ffff:10.0.0.1")));
    }

    #[test]
    fn entries_with_ports_are_read_and_junk_counts_as_the_proxy() {
        let proxy = TrustedProxies::new([ip("10.0.0.1")]);
        let peer = ip("10.0.0.1");
        for (value, expected) in [
            ("198.51.100.9:4711", "198.51.100.9"),
            ("[2001:db8::7]:4711", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("unknown", "10.0.0.1"),
            ("198.51.100.9, ", "198.51.100.9"),
            ("", "10.0.0.1"),
        ] {
            let headers = forwarded(&[value]);
            assert_eq!(
                client_address(peer, &headers, &proxy),
                ip(expected),
                "{value:?}"
            );
        }
        assert_eq!(client_address(peer, &HeaderMap::new(), &proxy), peer);
        // Bytes that are no text before the proxy's entry do not hide it.
        let mut headers = HeaderMap::new();
        headers.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"\xff\xfe, 198.51.100.9").unwrap(),
        );
        assert_eq!(client_address(peer, &headers, &proxy), ip("198.51.100.9"));
    }
}
