//! Who may register participants, and how many: only invite tokens, never a personal or a
//! revoked one, and at most `--max-participants-per-workshop` per workshop.

use yrs::{Any, Map, WriteTxn};

use super::*;
use crate::limits::Limits;

/// Mints an invite token of `role` as the facilitator; returns its public id and secret.
async fn mint(state: &AppState, id: &str, facilitator: &str, role: &str) -> (String, String) {
    let (status, minted) = call_as(
        state,
        Some(facilitator),
        Method::POST,
        &format!("/api/workshops/{id}/tokens"),
        Some(&json!({"role": role}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{minted}");
    (
        minted["id"].as_str().unwrap().to_owned(),
        minted["token"].as_str().unwrap().to_owned(),
    )
}

/// Registers `name` presenting `token`; returns the status and the answer.
async fn register(
    state: &AppState,
    id: &str,
    token: &str,
    name: &str,
    role: &str,
) -> (StatusCode, Value) {
    let body = json!({"name": name, "organisation": "Council", "role": role,
                      "world": "service", "group": ""});
    call_as(
        state,
        Some(token),
        Method::POST,
        &format!("/api/workshops/{id}/participants"),
        Some(&body.to_string()),
    )
    .await
}

/// The names in the document's `participants` map, sorted.
async fn participants(state: &AppState, id: &str, token: &str) -> Vec<String> {
    let (status, document) = call_as(
        state,
        Some(token),
        Method::GET,
        &format!("/api/workshops/{id}/document"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{document}");
    let mut names: Vec<String> = document["participants"]
        .as_object()
        .map(|entries| {
            entries
                .values()
                .filter_map(|entry| entry["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn state_with(max_participants: usize) -> AppState {
    let settings = Settings {
        limits: Limits {
            max_participants_per_workshop: max_participants,
            ..Limits::default()
        },
        ..Settings::default()
    };
    AppState::new(Store::temporary().unwrap(), stepping_clock(), settings)
}

#[tokio::test]
async fn a_personal_token_registers_nobody_and_nothing_is_written() {
    let state = state();
    let (id, facilitator) = create(&state, "A").await;
    let (_, editor) = mint(&state, &id, &facilitator, "editor").await;
    let (status, ann) = register(&state, &id, &editor, "Ann", "commissioner").await;
    assert_eq!(status, StatusCode::CREATED, "{ann}");
    let ann = ann["token"].as_str().unwrap().to_owned();
    let (status, fay) = register(&state, &id, &facilitator, "Fay", "facilitator").await;
    assert_eq!(status, StatusCode::CREATED, "{fay}");
    let fay = fay["token"].as_str().unwrap().to_owned();

    // Neither an editor's nor a facilitator's personal token registers anyone.
    for personal in [&ann, &fay] {
        let refused = register(&state, &id, personal, "Sock puppet", "provider").await;
        assert_error(refused.clone(), StatusCode::FORBIDDEN, "forbidden");
        let message = refused.1["message"].as_str().unwrap();
        assert!(message.contains("invite"), "{message}");
    }
    assert_eq!(
        participants(&state, &id, &facilitator).await,
        ["Ann", "Fay"]
    );

    // A personal token presented beside an invite does not stand in the invite's way.
    let body = json!({"name": "Bo", "role": "provider", "world": "service"}).to_string();
    let both = request(
        Some(&ann),
        Method::POST,
        &format!("/api/workshops/{id}/participants?token={editor}"),
        Some(&body),
    );
    let (status, _, registered) = respond(&state, both).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(
        participants(&state, &id, &facilitator).await,
        ["Ann", "Bo", "Fay"]
    );
}

#[tokio::test]
async fn a_revoked_invite_registers_nobody() {
    let state = state();
    let (id, facilitator) = create(&state, "A").await;
    let (editor_id, editor) = mint(&state, &id, &facilitator, "editor").await;
    let (status, _) = register(&state, &id, &editor, "Ann", "commissioner").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = call_as(
        &state,
        Some(&facilitator),
        Method::DELETE,
        &format!("/api/workshops/{id}/tokens/{editor_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let refused = register(&state, &id, &editor, "Ann again", "commissioner").await;
    assert_error(refused.clone(), StatusCode::FORBIDDEN, "forbidden");
    assert!(
        refused.1["message"].as_str().unwrap().contains("revoked"),
        "{}",
        refused.1
    );
    assert_eq!(participants(&state, &id, &facilitator).await, ["Ann"]);
}

#[tokio::test]
async fn a_full_workshop_registers_no_more_and_writes_nothing() {
    let state = state_with(2);
    let (id, facilitator) = create(&state, "A").await;
    let (other, other_facilitator) = create(&state, "B").await;
    let (_, editor) = mint(&state, &id, &facilitator, "editor").await;

    // A null entry is no participant.
    let room = state.rooms().lease(id.parse().unwrap()).await.unwrap();
    room.write_as_server(|txn| {
        let participants = txn.get_or_insert_map(workshop_shared::schema::PARTICIPANTS);
        participants.insert(txn, "left", Any::Null);
    })
    .await
    .unwrap();
    drop(room);

    for name in ["Ann", "Bea"] {
        let (status, _) = register(&state, &id, &editor, name, "commissioner").await;
        assert_eq!(status, StatusCode::CREATED, "{name}");
    }
    for token in [&editor, &facilitator] {
        let refused = register(&state, &id, token, "Cy", "provider").await;
        assert_error(
            refused.clone(),
            StatusCode::CONFLICT,
            "too_many_participants",
        );
        assert!(
            refused.1["message"].as_str().unwrap().contains('2'),
            "{}",
            refused.1
        );
    }
    assert_eq!(
        participants(&state, &id, &facilitator).await,
        ["Ann", "Bea"]
    );
    // No personal token was minted for the refused ones: two invites and two personal ones
    // beside the creation's three invites.
    let (_, tokens) = call_as(
        &state,
        Some(&facilitator),
        Method::GET,
        &format!("/api/workshops/{id}/tokens"),
        None,
    )
    .await;
    let personal = tokens
        .as_array()
        .unwrap()
        .iter()
        .filter(|token| token["kind"] == "personal")
        .count();
    assert_eq!(personal, 2);

    // Another workshop has room of its own.
    let (status, _) = register(&state, &other, &other_facilitator, "Dee", "provider").await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_never_pass_the_cap() {
    let state = state_with(3);
    let (id, facilitator) = create(&state, "A").await;
    let (_, editor) = mint(&state, &id, &facilitator, "editor").await;
    let attempts = (0..12).map(|n| {
        let (state, id, editor) = (state.clone(), id.clone(), editor.clone());
        tokio::spawn(async move {
            register(&state, &id, &editor, &format!("P{n:02}"), "provider")
                .await
                .0
        })
    });
    let mut statuses = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        statuses.push(attempt.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|status| **status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 3, "{statuses:?}");
    assert!(statuses
        .iter()
        .all(|status| [StatusCode::CREATED, StatusCode::CONFLICT].contains(status)));
    assert_eq!(participants(&state, &id, &facilitator).await.len(), 3);
}
