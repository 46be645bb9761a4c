//! How this tool reaches servers: one TLS configuration (the Mozilla roots, plus `--ca-cert`
//! or `SSL_CERT_FILE`) for both the HTTP API and the WebSocket, and a warning when tokens would
//! travel in clear to another machine.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use workshop_client::{tls, SyncClient};
use yrs::Doc;

use crate::error::CliError;

/// The network side of one run of the tool.
pub struct Net {
    http: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
}

impl Net {
    /// Trusts the Mozilla roots and, when given, the certificates of `ca_cert`.
    pub fn new(ca_cert: Option<&Path>) -> Result<Net, CliError> {
        let tls = tls::client_config(ca_cert)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .build()
            .map_err(CliError::HttpClient)?;
        Ok(Net { http, tls })
    }

    /// The HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A y-sync client of `doc` that dials with this TLS configuration, waiting at most
    /// `connect_timeout` for the socket and the initial sync.
    pub fn sync_client(&self, doc: Doc, connect_timeout: Duration) -> SyncClient {
        SyncClient::with_doc(doc)
            .with_connect_timeout(connect_timeout)
            .with_tls(self.tls.clone())
    }
}

/// True when `server` (an `http://` or `https://` base address) sends tokens in clear to
/// another machine: plain `http://` to a host that is not a loopback address or `localhost`.
pub fn in_clear_to_another_machine(server: &str) -> bool {
    let Some(rest) = server.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        // [v6]:port
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// Warns on stderr when `server` sends tokens in clear to another machine.
pub fn warn_if_in_clear(server: &str) {
    if in_clear_to_another_machine(server) {
        eprintln!(
            "workshop: warning: {server} is plain http:// to another machine: invite tokens \
             and everything you write travel in clear; use https:// in front of the server"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_to_another_machine_is_in_clear() {
        for server in [
            "http://10.0.0.5:8080",
            "http://workshop.example.org",
            "http://0.0.0.0:8080",
            "http://[2001:db8::1]:8080",
            "http://localhost.example.org",
        ] {
            assert!(in_clear_to_another_machine(server), "{server}");
        }
        for server in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://app.localhost:8080",
            "http://[::1]:8080",
            "https://10.0.0.5:8443",
            "https://workshop.example.org",
        ] {
            assert!(!in_clear_to_another_machine(server), "{server}");
        }
    }
}
