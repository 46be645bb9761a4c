//! Durability: what a peer has seen survives a graceful restart and a `kill -9`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use workshop_client::{Ended, SyncClient};
use workshop_tests::api::Api;
use workshop_tests::workshop::{
    document_scores, insert_notes, notes, participant, scores, set_score, SHARED_UNDERSTANDING,
    WHOLE_SYSTEM,
};
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::Transact;

const NOTE: &str = "Partners share one needs assessment.";

/// Alice votes and writes a note; returns both clients, still connected, once Bob has seen
/// both (so the server relayed them).
async fn vote_and_see_it_relayed(server: &TestServer, id: &str, voter: &str) -> [SyncClient; 2] {
    let alice = connect(server, id).await;
    let bob = connect(server, id).await;
    {
        let mut txn = alice.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, voter, 4);
        insert_notes(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 0, NOTE);
    }
    bob.wait_for(
        |txn| {
            scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).get(voter) == Some(&4.0)
                && notes(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).as_deref() == Some(NOTE)
        },
        TIMEOUT,
    )
    .await
    .unwrap();
    [alice, bob]
}

/// A fresh client downloads the workshop from the restarted server and finds the vote and note.
async fn assert_downloaded_after_restart(server: &TestServer, id: &str, voter: &str) {
    let api = Api::new(server.http_url());
    let token = workshop_tests::api::facilitator_token(id).unwrap();
    let (_, list) = api.get_as("/api/workshops", &token).await;
    assert!(
        list.as_array()
            .is_some_and(|list| list.iter().any(|entry| entry["id"] == id)),
        "workshop {id} listed after restart: {list}"
    );

    // `connect` returns once the server's SyncStep2 is applied: no waiting needed.
    let carol = connect(server, id).await;
    let txn = carol.doc().transact();
    let expected = BTreeMap::from([(voter.to_owned(), 4.0)]);
    assert_eq!(scores(&txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING), expected);
    assert_eq!(
        notes(&txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).as_deref(),
        Some(NOTE)
    );
    drop(txn);
    assert_eq!(
        document_scores(&api.document(id).await, WHOLE_SYSTEM, SHARED_UNDERSTANDING),
        expected
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_restart_closes_with_1001_and_keeps_every_change() {
    let mut server = TestServer::start().await;
    let id = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    let voter = participant();
    let clients = vote_and_see_it_relayed(&server, &id, &voter).await;

    let status = server.stop().await;
    assert!(status.success(), "SIGTERM is a clean exit, got {status}");
    for client in &clients {
        match client.wait_closed(TIMEOUT).await.unwrap() {
            Ended::ServerClosed(info) => assert_eq!(info.code, 1001, "going away: {info}"),
            other => panic!("expected a 1001 close frame on shutdown, got: {other}"),
        }
    }

    server.restart().await;
    assert_downloaded_after_restart(&server, &id, &voter).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_a_peer_has_seen_survives_kill_9() {
    let mut server = TestServer::start().await;
    let id = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    let voter = participant();
    let clients = vote_and_see_it_relayed(&server, &id, &voter).await;

    // Right after the relay, with both clients still connected: the server persists before it
    // relays, so nothing may be lost.
    server.kill().await;
    drop(clients);
    server.restart().await;
    assert_downloaded_after_restart(&server, &id, &voter).await;
}
