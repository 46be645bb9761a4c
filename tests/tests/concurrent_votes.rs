//! Two participants scoring the same factor at the same moment: both votes count.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use serde_json::json;
use workshop_tests::api::Api;
use workshop_tests::workshop::{
    aspect_entry, document_scores, figure_is, participant, scores, set_score, SHARED_UNDERSTANDING,
    WHOLE_SYSTEM,
};
use workshop_tests::{connect, wait_for_aspect_score, TestServer, TIMEOUT};
use yrs::Transact;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_votes_on_one_factor_both_survive_and_give_their_median() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let alice = connect(&server, &id).await;
    let bob = connect(&server, &id).await;
    let (ada, bea) = (participant(), participant());

    // Both votes are made before either client has heard of the other's.
    set_score(
        &mut alice.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &ada,
        2,
    );
    set_score(
        &mut bob.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &bea,
        5,
    );

    let both = BTreeMap::from([(ada.clone(), 2.0), (bea.clone(), 5.0)]);
    for client in [&alice, &bob] {
        client
            .wait_for(
                |txn| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING) == both,
                TIMEOUT,
            )
            .await
            .unwrap();
    }

    // Only this factor is scored, so the aspect's score is its median: (2 + 5) / 2.
    for client in [&alice, &bob] {
        let entry = wait_for_aspect_score(client, WHOLE_SYSTEM, 3.5).await;
        assert_eq!(entry["basis"], "workshop");
        assert_eq!(
            entry["contested"],
            json!([SHARED_UNDERSTANDING]),
            "spread 3 is contested"
        );
        assert!(
            figure_is(&entry["confidence"], 0.167),
            "1 of 6 factors scored: {entry}"
        );
    }

    let document = api.document(&id).await;
    assert_eq!(
        document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING),
        both
    );
    let results = api.results(&id).await;
    let entry = aspect_entry(&results["aspects"], WHOLE_SYSTEM).unwrap();
    assert!(figure_is(&entry["score"], 3.5), "GET results: {entry}");
}
