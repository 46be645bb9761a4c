//! Servers on Redis (`--redis`): what one server acknowledged is in Redis, and another server
//! with a data directory of its own serves it.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use workshop_tests::api::{facilitator_token, Api};
use workshop_tests::redis::TestRedis;
use workshop_tests::workshop::{
    participant, scores, set_score, SHARED_UNDERSTANDING, WHOLE_SYSTEM,
};
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::Transact;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_killed_server_acknowledged_is_served_by_a_new_one_from_redis() {
    let redis = TestRedis::start();
    let url = redis.url();
    let mut first = TestServer::start_with(&["--redis", &url]).await;
    let id = Api::new(first.http_url())
        .create_workshop("Winter workshop", "Northshire")
        .await;
    let voter = participant();
    let alice = connect(&first, &id).await;
    let bob = connect(&first, &id).await;
    set_score(
        &mut alice.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &voter,
        3,
    );
    bob.wait_for(
        |txn| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).get(&voter) == Some(&3.0),
        TIMEOUT,
    )
    .await
    .unwrap();
    // Relayed, so acknowledged by Redis: SIGKILL loses nothing of it.
    first.kill().await;
    drop((alice, bob));
    // Nothing in the first server's data directory: the workshop is in Redis only.
    assert!(
        std::fs::read_dir(first.data_dir())
            .unwrap()
            .next()
            .is_none(),
        "a server on Redis writes nothing to its data directory"
    );

    let second = TestServer::start_with(&["--redis", &url]).await;
    let api = Api::new(second.http_url());
    let token = facilitator_token(&id).unwrap();
    let (status, list) = api.get_as("/api/workshops", &token).await;
    assert_eq!(
        status, 200,
        "the token minted by the first server works: {list}"
    );
    assert_eq!(list[0]["title"], "Winter workshop");
    let carol = connect(&second, &id).await;
    assert_eq!(
        scores(&carol.doc().transact(), WHOLE_SYSTEM, SHARED_UNDERSTANDING),
        BTreeMap::from([(voter.clone(), 3.0)])
    );
    let stream_length: u64 = redis.query(&["XLEN", &format!("ws:{{{id}}}:log")]);
    assert!(stream_length > 0, "the log is a Redis stream");
}
