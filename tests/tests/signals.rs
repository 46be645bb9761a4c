//! A signal at any moment after the server says it listens shuts it down gracefully: its
//! handlers are installed before it opens its store, binds or announces its address.

#![allow(clippy::unwrap_used)]

use workshop_tests::TestServer;

/// SIGTERM or SIGINT sent the moment `listening on` is read, five times over: every time the
/// server exits 0 after saying it shut down (a process killed by the signal exits 143 or 130,
/// without that line).
#[tokio::test]
async fn a_signal_the_moment_the_server_listens_shuts_it_down_gracefully() {
    for name in ["TERM", "INT", "TERM", "INT", "TERM"] {
        let mut server = TestServer::start().await;
        let status = server.stop_with(name).await;
        let log = server.log();
        assert!(
            status.success(),
            "SIG{name} right after `listening on` ended the server with {status}; log:\n{log}"
        );
        assert!(
            log.contains("shut down"),
            "SIG{name}: the server exited without shutting down; log:\n{log}"
        );
    }
}
