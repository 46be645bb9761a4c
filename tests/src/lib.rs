//! End-to-end test harness of the workshop server.
//!
//! The tests in `tests/tests/` start the real `workshop-server` binary and drive it with real
//! clients: the Rust [`workshop_client::SyncClient`], plain HTTP, Yjs's own `y-websocket`
//! provider under Node, and the browser page in Chromium. This library holds what they share,
//! one module per concern:
//!
//! - [`server`] runs the binary as a child process on port 0 (start, SIGTERM, SIGKILL,
//!   restart on the same data directory);
//! - [`api`] calls the HTTP API;
//! - [`cli`] runs the `workshop` command-line binary as one user with a home of its own;
//! - [`raw`] is an attacker's raw y-sync connection, and [`crafted`] makes the updates it
//!   sends by hand;
//! - [`crash`] runs the crash test (SIGKILL and restart while clients write), short or long;
//! - [`workshop`] reads and writes the parts of the workshop document the tests use, with the
//!   names spelled by `workshop_shared::schema`;
//! - [`node`] finds Node, the pinned npm packages of `tests/node` and Chromium;
//! - [`browser`] runs the browser scenarios of `tests/node/browser` (Playwright driving
//!   Chromium) against a server and workshop.
//!
//! Every wait in these tests is bounded by [`TIMEOUT`], a failure guard rather than a timing
//! assertion.

use std::time::Duration;

pub mod api;
pub mod browser;
pub mod checks;
pub mod cli;
pub mod crafted;
pub mod crash;
pub mod hostile;
pub mod node;
pub mod proxy;
pub mod raw;
pub mod redis;
pub mod server;
pub mod workshop;

pub use server::TestServer;

/// The bound of every wait for a condition in the end-to-end tests. Generous: reaching it
/// means the condition will not come true, not that something was slow.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Connects a new client with a fresh document to a workshop as its facilitator (see
/// [`TestServer::ws_url`]), panicking with the reason if it cannot.
pub async fn connect(server: &TestServer, workshop_id: &str) -> workshop_client::SyncClient {
    connect_to(&server.ws_url(workshop_id)).await
}

/// Connects a new client with a fresh document to a workshop presenting `token`, panicking
/// with the reason if it cannot.
pub async fn connect_with_token(
    server: &TestServer,
    workshop_id: &str,
    token: &str,
) -> workshop_client::SyncClient {
    connect_to(&server.ws_url_with_token(workshop_id, token)).await
}

async fn connect_to(url: &str) -> workshop_client::SyncClient {
    let mut client = workshop_client::SyncClient::new().with_connect_timeout(TIMEOUT);
    if let Err(error) = client.connect(url).await {
        panic!("connect to {url}: {error}");
    }
    client
}

/// Waits until the server has written `score` as the score of `aspect` into the client's
/// `results` map, and returns that aspect's entry; panics with what the map holds otherwise.
pub async fn wait_for_aspect_score(
    client: &workshop_client::SyncClient,
    aspect: &str,
    score: f64,
) -> serde_json::Value {
    let found = client
        .wait_for_value(
            |txn| {
                workshop::result_aspect(txn, aspect)
                    .filter(|entry| workshop::figure_is(&entry["score"], score))
            },
            TIMEOUT,
        )
        .await;
    match found {
        Ok(entry) => entry,
        Err(error) => {
            let txn = yrs::Transact::transact(client.doc());
            panic!(
                "{error}: expected results.aspects[{aspect}].score = {score}, the results map has {:?}",
                workshop::result_aspect(&txn, aspect)
            )
        }
    }
}
