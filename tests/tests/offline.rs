//! Edits made while disconnected sync on reconnect, both ways, with nothing lost.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use workshop_client::{ConnectionState, Ended};
use workshop_tests::api::Api;
use workshop_tests::workshop::{
    document_notes, document_scores, insert_notes, notes, participant, scores, set_score,
    AGREED_PRIORITIES, SHARED_UNDERSTANDING, WHOLE_SYSTEM,
};
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::Transact;

const OFFLINE_NOTE: &str = "Offline: data sharing agreed. ";
const ONLINE_NOTE: &str = "Online: budgets pooled. ";

fn has_both_notes(text: Option<String>) -> bool {
    text.is_some_and(|text| text.contains(OFFLINE_NOTE) && text.contains(ONLINE_NOTE))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_and_edits_made_meanwhile_converge_on_reconnect() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let mut alice = connect(&server, &id).await;
    let bob = connect(&server, &id).await;
    let (ada, bea) = (participant(), participant());

    set_score(
        &mut alice.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &ada,
        3,
    );
    bob.wait_for(
        |txn| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).len() == 1,
        TIMEOUT,
    )
    .await
    .unwrap();

    alice.disconnect().await;
    assert_eq!(alice.state(), ConnectionState::Ended(Ended::ClientClosed));

    // Offline, Alice changes her vote, scores another factor and writes notes...
    {
        let mut txn = alice.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &ada, 4);
        set_score(&mut txn, WHOLE_SYSTEM, AGREED_PRIORITIES, &ada, 2);
        insert_notes(
            &mut txn,
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            0,
            OFFLINE_NOTE,
        );
    }
    // ...while Bob, online, votes on the same factor and writes into the same notes.
    {
        let mut txn = bob.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &bea, 1);
        insert_notes(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 0, ONLINE_NOTE);
    }
    bob.flush(TIMEOUT).await.unwrap();

    alice.connect(&server.ws_url(&id)).await.unwrap();

    let shared_understanding = BTreeMap::from([(ada.clone(), 4.0), (bea.clone(), 1.0)]);
    let agreed_priorities = BTreeMap::from([(ada.clone(), 2.0)]);
    for client in [&alice, &bob] {
        client
            .wait_for(
                |txn| {
                    scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING) == shared_understanding
                        && scores(txn, WHOLE_SYSTEM, AGREED_PRIORITIES) == agreed_priorities
                        && has_both_notes(notes(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING))
                },
                TIMEOUT,
            )
            .await
            .unwrap();
    }
    let text = notes(&alice.doc().transact(), WHOLE_SYSTEM, SHARED_UNDERSTANDING).unwrap();
    let bob_text = notes(&bob.doc().transact(), WHOLE_SYSTEM, SHARED_UNDERSTANDING).unwrap();
    assert_eq!(text, bob_text, "both clients converge on the same notes");
    assert_eq!(
        text.len(),
        OFFLINE_NOTE.len() + ONLINE_NOTE.len(),
        "nothing else in {text:?}"
    );

    // The server has all of it too: Alice's offline edits reached it in the handshake.
    alice.flush(TIMEOUT).await.unwrap();
    let document = api.document(&id).await;
    assert_eq!(
        document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING),
        shared_understanding
    );
    assert_eq!(
        document_scores(&document, WHOLE_SYSTEM, AGREED_PRIORITIES),
        agreed_priorities
    );
    assert_eq!(
        document_notes(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING),
        Some(text)
    );
}
