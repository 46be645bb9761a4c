//! Access: tokens on every HTTP call and WebSocket join, revocation, and the write rules of
//! `workshop_shared::access` enforced by the real server on real clients.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use workshop_client::{Ended, SyncClient};
use workshop_tests::api::{facilitator_token, tokens_of, Api};
use workshop_tests::checks::assert_refused_with;
use workshop_tests::workshop::{
    document_scores, participant, scores, set_agreed_score, set_score, SHARED_UNDERSTANDING,
    WHOLE_SYSTEM,
};
use workshop_tests::{connect, connect_with_token, wait_for_aspect_score, TestServer, TIMEOUT};
use yrs::Transact;

/// How soon a revoked token's connections must be closed.
const REVOKE_WITHIN: Duration = Duration::from_secs(1);

fn assert_error(response: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(response.0, status, "{}", response.1);
    assert_eq!(response.1["error"], code, "{}", response.1);
}

/// Waits for the server to refuse the client's first write and returns the reason.
async fn refusal(client: &SyncClient) -> String {
    client
        .wait_for_denial(0, TIMEOUT)
        .await
        .unwrap_or_else(|error| panic!("no refusal: {error}"))
}

/// The agreed score of whole-system/shared-understanding in a document from the HTTP API.
fn agreed_score(document: &Value) -> &Value {
    &document["aspects"][WHOLE_SYSTEM]["factors"][SHARED_UNDERSTANDING]["agreed_score"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_is_401_and_4401_and_another_workshops_token_403_and_4403() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let other = api.create_workshop("Spring review", "Southvale").await;
    let others = facilitator_token(&other).unwrap();

    for path in [
        format!("/api/workshops/{id}/results"),
        format!("/api/workshops/{id}/document"),
        format!("/api/workshops/{id}/tokens"),
    ] {
        assert_error(
            &api.get(&path).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        assert_error(
            &api.get_as(&path, &others).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_error(
            &api.get_as(&path, "guessed").await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let register = json!({"name": "Ann", "role": "provider", "world": "service"});
    let path = format!("/api/workshops/{id}/participants");
    assert_error(
        &api.post_json(&path, &register).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &api.post_json_as(&path, &register, &others).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    let mut client = SyncClient::new().with_connect_timeout(TIMEOUT);
    assert_refused_with(
        client.connect(&server.ws_url_without_token(&id)).await,
        4401,
    );
    assert_refused_with(
        client
            .connect(&server.ws_url_with_token(&id, &others))
            .await,
        4403,
    );
    // The right token joins.
    connect(&server, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_closed_at_once_with_4403_and_refused_afterwards() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let (viewer_id, viewer) = api.mint(&id, "viewer").await;
    let watcher = connect_with_token(&server, &id, &viewer).await;
    let second_watcher = connect_with_token(&server, &id, &viewer).await;
    let facilitator = connect(&server, &id).await;

    api.revoke(&id, &viewer_id).await;
    let revoked_at = Instant::now();
    for client in [&watcher, &second_watcher] {
        match client.wait_closed(TIMEOUT).await.unwrap() {
            Ended::ServerClosed(info) => {
                assert_eq!((info.code, info.reason.as_str()), (4403, "token revoked"))
            }
            other => panic!("expected close 4403, got {other}"),
        }
    }
    assert!(
        revoked_at.elapsed() < REVOKE_WITHIN,
        "closed after {:?}",
        revoked_at.elapsed()
    );

    // Every later use of the token is refused; other tokens are unaffected.
    let document = format!("/api/workshops/{id}/document");
    assert_error(
        &api.get_as(&document, &viewer).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let mut again = SyncClient::new().with_connect_timeout(TIMEOUT);
    assert_refused_with(
        again.connect(&server.ws_url_with_token(&id, &viewer)).await,
        4403,
    );
    assert!(facilitator.state().is_open(), "{}", facilitator.state());
    let (_, list) = api
        .get_as(
            &format!("/api/workshops/{id}/tokens"),
            &facilitator_token(&id).unwrap(),
        )
        .await;
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["id"] == viewer_id.as_str())
        .unwrap();
    assert_eq!(entry["revoked"], true);
    assert!(
        !list.to_string().contains(&viewer),
        "secrets are never listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_receive_live_but_their_writes_are_refused_applied_and_relayed_nowhere() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let tokens = tokens_of(&id).unwrap();
    let facilitator = connect(&server, &id).await;

    for (who, token) in [
        ("viewer", &tokens.viewer),
        ("editor invite", &tokens.editor),
    ] {
        let reader = connect_with_token(&server, &id, token).await;

        // It receives everything live...
        let voter = participant();
        {
            let mut txn = facilitator.doc().transact_mut();
            set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &voter, 3);
        }
        reader
            .wait_for(
                |txn| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).get(&voter) == Some(&3.0),
                TIMEOUT,
            )
            .await
            .unwrap();

        // ...but its write is refused with the auth message, and the connection stays open.
        let intruder = participant();
        {
            let mut txn = reader.doc().transact_mut();
            set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &intruder, 1);
        }
        let reason = refusal(&reader).await;
        assert!(reason.contains("may only read"), "{who}: {reason}");
        assert!(reader.state().is_open(), "{who}: {}", reader.state());

        // Nothing of it was relayed (the facilitator has everything queued before its flush
        // reply) or applied.
        facilitator.flush(TIMEOUT).await.unwrap();
        let seen = scores(
            &facilitator.doc().transact(),
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
        );
        assert!(
            !seen.contains_key(&intruder),
            "{who}'s vote was relayed: {seen:?}"
        );
        let stored = document_scores(&api.document(&id).await, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
        assert!(
            !stored.contains_key(&intruder),
            "{who}'s vote was applied: {stored:?}"
        );
        assert!(stored.contains_key(&voter));

        // And it still receives what others write.
        let later = participant();
        {
            let mut txn = facilitator.doc().transact_mut();
            set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &later, 4);
        }
        reader
            .wait_for(
                |txn| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&later),
                TIMEOUT,
            )
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_writing_an_agreed_score_is_refused_whole() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let ann = api.register_editor(&id, "Ann").await;

    // The agreed score alone.
    let editor = connect_with_token(&server, &id, &ann.token).await;
    {
        let mut txn = editor.doc().transact_mut();
        set_agreed_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 5);
    }
    let reason = refusal(&editor).await;
    assert!(reason.contains("agreed_score"), "{reason}");
    assert!(reason.contains("only the facilitator"), "{reason}");

    // Its own vote and an agreed score in one update: neither is applied. (A fresh document:
    // the one above holds the refused change, which the server will never have.)
    let editor = connect_with_token(&server, &id, &ann.token).await;
    {
        let mut txn = editor.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &ann.id, 4);
        set_agreed_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 5);
    }
    let reason = refusal(&editor).await;
    assert!(reason.contains("agreed_score"), "{reason}");
    let document = api.document(&id).await;
    assert_eq!(agreed_score(&document), &Value::Null);
    let stored = document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
    assert!(stored.is_empty(), "{stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_writing_another_participants_vote_is_refused() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let ann = api.register_editor(&id, "Ann").await;
    let bob = api.register_editor(&id, "Bob").await;

    let editor = connect_with_token(&server, &id, &ann.token).await;
    {
        let mut txn = editor.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &bob.id, 1);
    }
    let reason = refusal(&editor).await;
    assert!(reason.contains(&bob.id), "{reason}");
    let stored = document_scores(&api.document(&id).await, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
    assert!(stored.is_empty(), "{stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_casts_its_own_vote_and_the_facilitator_votes_on_anyones_behalf() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let ann = api.register_editor(&id, "Ann").await;

    // Registration wrote the participant into the document.
    let document = api.document(&id).await;
    assert_eq!(document["participants"][&ann.id]["name"], "Ann");
    assert_eq!(document["participants"][&ann.id]["role"], "commissioner");

    let editor = connect_with_token(&server, &id, &ann.token).await;
    {
        let mut txn = editor.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &ann.id, 4);
    }
    wait_for_aspect_score(&editor, WHOLE_SYSTEM, 4.0).await;
    assert!(editor.denied().is_empty(), "{:?}", editor.denied());

    // The facilitator records a show of hands for someone who never joined, and agrees a
    // score: the agreed score wins.
    let facilitator = connect(&server, &id).await;
    let absent = participant();
    {
        let mut txn = facilitator.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &absent, 2);
        set_agreed_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 5);
    }
    wait_for_aspect_score(&editor, WHOLE_SYSTEM, 5.0).await;
    assert!(
        facilitator.denied().is_empty(),
        "{:?}",
        facilitator.denied()
    );
    let document = api.document(&id).await;
    let stored = document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
    assert_eq!(stored.get(&ann.id), Some(&4.0));
    assert_eq!(stored.get(&absent), Some(&2.0));
    assert_eq!(agreed_score(&document), &json!(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_invited_roles_register_and_an_editor_cannot_register_a_facilitator() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let tokens = tokens_of(&id).unwrap();
    let path = format!("/api/workshops/{id}/participants");
    let body = |role: &str| json!({"name": "Cy", "organisation": "NHS", "role": role, "world": "service", "group": ""});
    assert_error(
        &api.post_json_as(&path, &body("provider"), &tokens.viewer)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &api.post_json_as(&path, &body("facilitator"), &tokens.editor)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &api.post_json_as(&path, &body("chair"), &tokens.editor)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let cy = api
        .register(&id, &tokens.facilitator, "Cy", "facilitator", "management")
        .await;
    // A facilitator's personal token writes like the facilitator.
    let client = connect_with_token(&server, &id, &cy.token).await;
    {
        let mut txn = client.doc().transact_mut();
        set_agreed_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 2);
    }
    wait_for_aspect_score(&client, WHOLE_SYSTEM, 2.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_token_is_required_when_the_server_has_one() {
    let server = TestServer::start_with(&["--create-token", "only-the-council"]).await;
    let api = Api::new(server.http_url());
    let body = json!({"title": "Autumn workshop", "place": "Northshire"});
    assert_error(
        &api.post_json("/api/workshops", &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &api.post_json_as("/api/workshops", &body, "guessed").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let id = api
        .create_workshop_as("Autumn workshop", "Northshire", "only-the-council")
        .await;
    // The create token is not a workshop token.
    assert_error(
        &api.get_as(&format!("/api/workshops/{id}/results"), "only-the-council")
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    api.results(&id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_shows_only_the_workshops_the_tokens_may_see() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let autumn = api.create_workshop("Autumn workshop", "Northshire").await;
    let spring = api.create_workshop("Spring review", "Southvale").await;
    let hidden = api.create_workshop("Hidden", "Elsewhere").await;
    let listed = |list: &Value| -> Vec<String> {
        let mut ids: Vec<String> = list
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {list}"))
            .iter()
            .map(|entry| entry["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };

    assert_error(
        &api.get("/api/workshops").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let viewer = tokens_of(&autumn).unwrap().viewer;
    let (status, list) = api.get_as("/api/workshops", &viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&list), std::slice::from_ref(&autumn));

    let both = format!(
        "/api/workshops?token={viewer}&token={}",
        tokens_of(&spring).unwrap().editor
    );
    let (status, list) = api.get(&both).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&list), sorted(vec![autumn.clone(), spring.clone()]));
    assert!(!listed(&list).contains(&hidden));

    let (viewer_id, minted) = api.mint(&autumn, "viewer").await;
    api.revoke(&autumn, &viewer_id).await;
    assert_error(
        &api.get_as("/api/workshops", &minted).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}
