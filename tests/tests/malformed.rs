//! Bad input on the WebSocket closes that one connection with the right code, and nothing else.

#![allow(clippy::unwrap_used)]

use workshop_client::SyncClient;
use workshop_tests::api::Api;
use workshop_tests::checks::{assert_closed_with, assert_refused_with, assert_syncing};
use workshop_tests::workshop::{
    insert_notes, participant, scores, set_score, SHARED_UNDERSTANDING, WHOLE_SYSTEM,
};
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::Transact;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_frame_closes_only_that_connection_with_1007() {
    let server = TestServer::start().await;
    let id = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    let mut mallory = connect(&server, &id).await;
    let alice = connect(&server, &id).await;
    let bob = connect(&server, &id).await;

    // A sync message (tag 0) of sync type 7, which does not exist.
    mallory.send_frame(b"\x00\x07garbage".to_vec()).unwrap();
    assert_closed_with(&mallory.wait_closed(TIMEOUT).await.unwrap(), 1007);

    // The others on the same workshop keep syncing, both ways.
    assert_syncing(&alice, &bob).await;

    // And the closed client may come back.
    mallory.connect(&server.ws_url(&id)).await.unwrap();
    let both =
        |txn: &yrs::Transaction<'_>| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).len() == 2;
    mallory.wait_for(both, TIMEOUT).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_workshop_is_refused_with_4401_or_4403() {
    let server = TestServer::start().await;
    let known = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    let unknown = uuid::Uuid::new_v4().to_string();
    // No token at all: 4401. A token of another workshop: 4403; no workshop is given away.
    let mut client = SyncClient::new().with_connect_timeout(TIMEOUT);
    let url = server.ws_url_without_token(&unknown);
    assert_refused_with(client.connect(&url).await, 4401);
    let token = workshop_tests::api::facilitator_token(&known).unwrap();
    let url = server.ws_url_with_token(&unknown, &token);
    assert_refused_with(client.connect(&url).await, 4403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_workshop_id_is_refused_with_4400() {
    let server = TestServer::start().await;
    let mut client = SyncClient::new().with_connect_timeout(TIMEOUT);
    assert_refused_with(client.connect(&server.ws_url("not-a-uuid")).await, 4400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_is_refused_with_1009() {
    const MAX_FRAME_BYTES: usize = 4096;
    let server = TestServer::start_with(&["--max-frame-bytes", &MAX_FRAME_BYTES.to_string()]).await;
    let id = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    let writer = connect(&server, &id).await;
    let bystander = connect(&server, &id).await;

    // One update (so one frame) four times the limit.
    let essay = "x".repeat(4 * MAX_FRAME_BYTES);
    insert_notes(
        &mut writer.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        0,
        &essay,
    );
    assert_closed_with(&writer.wait_closed(TIMEOUT).await.unwrap(), 1009);

    // The workshop goes on for everyone else.
    let voter = participant();
    set_score(
        &mut bystander.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &voter,
        3,
    );
    bystander.flush(TIMEOUT).await.unwrap();
    let late = connect(&server, &id).await;
    let txn = late.doc().transact();
    assert!(scores(&txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&voter));
}
