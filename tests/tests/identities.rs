//! Identities: who may register participants (and so cast votes under new ids), and how many,
//! tried with raw requests against the real server. Each test reads the document back over
//! the HTTP API to show that a refused registration wrote nothing.

#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::{json, Value};
use workshop_tests::api::{facilitator_token, tokens_of, Api};
use workshop_tests::TestServer;

/// The status, error code and message of a response that must be an error.
fn assert_error(response: &(StatusCode, Value), status: StatusCode, code: &str) -> String {
    assert_eq!(response.0, status, "{}", response.1);
    assert_eq!(response.1["error"], code, "{}", response.1);
    let message = response.1["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{}", response.1);
    message.to_owned()
}

/// A registration body.
fn person(name: &str, role: &str) -> Value {
    json!({"name": name, "organisation": "Northshire Council", "role": role,
           "world": "service", "group": ""})
}

/// The names of the workshop's participants, as its document over the API holds them.
async fn participant_names(api: &Api, id: &str) -> Vec<String> {
    let document = api.document(id).await;
    let mut names: Vec<String> = document["participants"]
        .as_object()
        .map(|entries| {
            entries
                .values()
                .filter(|entry| !entry.is_null())
                .map(|entry| entry["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_token_registers_nobody() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let path = format!("/api/workshops/{id}/participants");
    let ann = api.register_editor(&id, "Ann").await;
    let fay = api
        .register(
            &id,
            &facilitator_token(&id).unwrap(),
            "Fay",
            "facilitator",
            "management",
        )
        .await;

    // Ann's own token tries to mint more identities (and votes) for her, as does the
    // facilitator's personal one.
    for personal in [&ann.token, &fay.token] {
        for n in 0..3 {
            let response = api
                .post_json_as(&path, &person(&format!("Puppet {n}"), "provider"), personal)
                .await;
            let message = assert_error(&response, StatusCode::FORBIDDEN, "forbidden");
            assert!(message.contains("invite"), "{message}");
        }
    }
    assert_eq!(participant_names(&api, &id).await, ["Ann", "Fay"]);
    // The invite still registers.
    api.register_editor(&id, "Bo").await;
    assert_eq!(participant_names(&api, &id).await, ["Ann", "Bo", "Fay"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_invite_registers_nobody() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let path = format!("/api/workshops/{id}/participants");
    let (editor_id, editor) = api.mint(&id, "editor").await;
    api.register(&id, &editor, "Ann", "commissioner", "management")
        .await;
    api.revoke(&id, &editor_id).await;

    let response = api
        .post_json_as(&path, &person("Ann's friend", "provider"), &editor)
        .await;
    let message = assert_error(&response, StatusCode::FORBIDDEN, "forbidden");
    assert!(message.contains("revoked"), "{message}");
    assert_eq!(participant_names(&api, &id).await, ["Ann"]);
    // The workshop's own editor invite, not revoked, still registers.
    api.register_editor(&id, "Bo").await;
    assert_eq!(participant_names(&api, &id).await, ["Ann", "Bo"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_workshop_registers_no_more_even_at_once_and_others_are_unaffected() {
    let server = TestServer::start_with(&["--max-participants-per-workshop", "3"]).await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let bystander = api.create_workshop("Spring review", "Southvale").await;
    let path = format!("/api/workshops/{id}/participants");
    let editor = tokens_of(&id).unwrap().editor;

    // One invite holder fires twenty registrations at once: three get through.
    let attempts: Vec<_> = (0..20)
        .map(|n| {
            let (api, path, editor) = (api.clone(), path.clone(), editor.clone());
            tokio::spawn(async move {
                api.post_json_as(&path, &person(&format!("P{n:02}"), "provider"), &editor)
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for attempt in attempts {
        let response = attempt.await.unwrap();
        if response.0 == StatusCode::CREATED {
            created += 1;
        } else {
            let message = assert_error(&response, StatusCode::CONFLICT, "too_many_participants");
            assert!(message.contains('3'), "{message}");
        }
    }
    assert_eq!(created, 3);
    assert_eq!(participant_names(&api, &id).await.len(), 3);

    // The facilitator's invite is held to the cap too.
    let response = api
        .post_json_as(
            &path,
            &person("Fay", "facilitator"),
            &facilitator_token(&id).unwrap(),
        )
        .await;
    assert_error(&response, StatusCode::CONFLICT, "too_many_participants");
    assert_eq!(participant_names(&api, &id).await.len(), 3);

    // Another workshop registers as before.
    api.register_editor(&bystander, "Dee").await;
    assert_eq!(participant_names(&api, &bystander).await, ["Dee"]);
}
