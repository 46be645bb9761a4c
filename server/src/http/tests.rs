//! Router tests: every route through `oneshot`, no sockets.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use time::macros::datetime;
use tower::ServiceExt;

use super::*;
use crate::clock::Clock;
use crate::state::Settings;
use crate::store::Store;

mod identities;
mod openapi;
mod outsiders;

/// A clock that moves one second forward on every reading, so creation order shows.
fn stepping_clock() -> Clock {
    let tick = Arc::new(AtomicI64::new(0));
    Clock::from_fn(move || {
        datetime!(2026-11-23 09:00 UTC)
            + time::Duration::seconds(tick.fetch_add(1, Ordering::SeqCst))
    })
}

fn state() -> AppState {
    AppState::new(
        Store::temporary().unwrap(),
        stepping_clock(),
        Settings::default(),
    )
}

async fn call(
    state: &AppState,
    method: Method,
    uri: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    call_as(state, None, method, uri, body).await
}

/// Like [`call`], presenting `token` as a bearer token.
async fn call_as(
    state: &AppState,
    token: Option<&str>,
    method: Method,
    uri: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let (status, _, value) = respond(state, request(token, method, uri, body)).await;
    (status, value)
}

/// A request presenting `token` as a bearer token, with `body` as JSON.
fn request(token: Option<&str>, method: Method, uri: &str, body: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
        .unwrap()
}

/// The router's answer to `request`: status, headers and the body as JSON.
async fn respond(
    state: &AppState,
    request: Request<Body>,
) -> (StatusCode, header::HeaderMap, Value) {
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, value)
}

/// Creates a workshop; returns its id and its facilitator token.
async fn create(state: &AppState, title: &str) -> (String, String) {
    let body = json!({"title": title, "place": "Northshire"}).to_string();
    let (status, value) = call(state, Method::POST, "/api/workshops", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{value}");
    (
        value["id"].as_str().unwrap().to_owned(),
        value["tokens"]["facilitator"].as_str().unwrap().to_owned(),
    )
}

fn assert_error(got: (StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"], code, "{}", got.1);
    assert!(
        got.1["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        got.1
    );
}

#[tokio::test]
async fn health_is_ok() {
    let got = call(&state(), Method::GET, "/healthz", None).await;
    assert_eq!(got, (StatusCode::OK, json!({"status": "ok"})));
}

#[tokio::test]
async fn ready_until_shutdown_begins() {
    let state = state();
    let got = call(&state, Method::GET, "/readyz", None).await;
    assert_eq!(got, (StatusCode::OK, json!({"status": "ready"})));
    state.shutdown_token().cancel();
    let got = call(&state, Method::GET, "/readyz", None).await;
    assert_error(got, StatusCode::SERVICE_UNAVAILABLE, "not_ready");
    // Liveness is another question: the process still answers.
    let got = call(&state, Method::GET, "/healthz", None).await;
    assert_eq!(got, (StatusCode::OK, json!({"status": "ok"})));
}

#[tokio::test]
async fn create_returns_a_v4_id_and_the_workshop_is_listed_newest_first() {
    let state = state();
    let (first, first_token) = create(&state, "  First  ").await;
    let (second, second_token) = create(&state, "Second").await;
    let parsed = uuid::Uuid::parse_str(&first).unwrap();
    assert_eq!(parsed.get_version_num(), 4);

    let both = format!("/api/workshops?token={first_token}&token={second_token}");
    let (status, list) = call(&state, Method::GET, &both, None).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], second);
    assert_eq!(list[1]["id"], first);
    assert_eq!(list[1]["title"], "First", "titles are trimmed");
    assert_eq!(list[1]["place"], "Northshire");
    let updated = list[0]["updated_at"].as_str().unwrap();
    assert!(crate::clock::parse_rfc3339(updated).is_some(), "{updated}");
    assert_eq!(
        list[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "place", "title", "updated_at"]
    );
}

#[tokio::test]
async fn the_list_needs_a_token_and_shows_only_its_workshops() {
    let state = state();
    assert_error(
        call(&state, Method::GET, "/api/workshops", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        call_as(&state, Some("guess"), Method::GET, "/api/workshops", None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (mine, token) = create(&state, "Mine").await;
    create(&state, "Theirs").await;
    let (status, list) = call_as(&state, Some(&token), Method::GET, "/api/workshops", None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [mine.as_str()]);
}

#[tokio::test]
async fn results_and_document_of_a_new_workshop() {
    let state = state();
    let (id, token) = create(&state, "Autumn").await;
    let token = Some(token.as_str());

    let (status, results) = call_as(
        &state,
        token,
        Method::GET,
        &format!("/api/workshops/{id}/results"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(results["revision"].is_u64(), "{results}");
    assert!(results["aspects"].is_array(), "{results}");

    let (status, document) = call_as(
        &state,
        token,
        Method::GET,
        &format!("/api/workshops/{id}/document"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["meta"]["title"], "Autumn", "{document}");
    assert_eq!(document["meta"]["place"], "Northshire");
    // The results map of the document holds what the results route serves.
    assert_eq!(document["results"]["revision"], results["revision"]);

    // Asking again recomputes nothing new: same revision.
    let (_, again) = call_as(
        &state,
        token,
        Method::GET,
        &format!("/api/workshops/{id}/results"),
        None,
    )
    .await;
    assert_eq!(again["revision"], results["revision"]);
}

#[tokio::test]
async fn with_recompute_off_results_are_computed_on_demand_and_never_stored() {
    let mut settings = Settings::default();
    settings.rooms.recompute = crate::config::Switch::Off;
    settings.rooms.durability = crate::config::Switch::Off;
    let state = AppState::new(Store::temporary().unwrap(), stepping_clock(), settings);
    let (id, token) = create(&state, "Autumn").await;
    let token = Some(token.as_str());
    for _ in 0..2 {
        let (status, results) = call_as(
            &state,
            token,
            Method::GET,
            &format!("/api/workshops/{id}/results"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{results}");
        assert_eq!(results["revision"], 0, "{results}");
        assert_eq!(results["aspects"].as_array().unwrap().len(), 8, "{results}");
        assert_eq!(results["approaches"].as_array().unwrap().len(), 8);
    }
    let (status, document) = call_as(
        &state,
        token,
        Method::GET,
        &format!("/api/workshops/{id}/document"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["meta"]["title"], "Autumn", "{document}");
    assert!(
        document["results"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty),
        "{document}"
    );
}

#[tokio::test]
async fn malformed_ids_are_400_unknown_ones_need_a_token_of_their_own() {
    let state = state();
    let (_, other_token) = create(&state, "Other").await;
    let stray = uuid::Uuid::new_v4();
    // A token whose workshop is gone (never created here): the only way to a 404.
    let (stray_token, _) = crate::auth::mint(
        &state,
        stray,
        crate::auth::Role::Viewer,
        crate::auth::TokenKind::Invite,
        None,
    )
    .await
    .unwrap();
    for what in ["results", "document"] {
        assert_error(
            call(
                &state,
                Method::GET,
                &format!("/api/workshops/not-a-uuid/{what}"),
                None,
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_id",
        );
        let unknown = format!("/api/workshops/{}/{what}", uuid::Uuid::new_v4());
        assert_error(
            call(&state, Method::GET, &unknown, None).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        assert_error(
            call_as(&state, Some(&other_token), Method::GET, &unknown, None).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_error(
            call_as(
                &state,
                Some(stray_token.as_str()),
                Method::GET,
                &format!("/api/workshops/{stray}/{what}"),
                None,
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    assert_eq!(state.rooms().loaded(), 0);
}

#[tokio::test]
async fn bad_bodies_are_400_and_create_nothing() {
    let state = state();
    let long = "x".repeat(201);
    let bodies = [
        None,
        Some("not json"),
        Some("[]"),
        Some(r#"{"title": "only a title"}"#),
        Some(r#"{"title": 5, "place": "p"}"#),
        Some(r#"{"title": "", "place": "p"}"#),
        Some(r#"{"title": "t", "place": "   "}"#),
    ];
    for body in bodies {
        assert_error(
            call(&state, Method::POST, "/api/workshops", body).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
    }
    let too_long = json!({"title": long, "place": "p"}).to_string();
    assert_error(
        call(&state, Method::POST, "/api/workshops", Some(&too_long)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    // Exactly at the limit is fine (counted in characters, not bytes).
    let at_limit = json!({"title": "é".repeat(200), "place": "p"}).to_string();
    let (status, _) = call(&state, Method::POST, "/api/workshops", Some(&at_limit)).await;
    assert_eq!(status, StatusCode::CREATED);

    // A body without a JSON content type is refused the same way.
    let request = Request::post("/api/workshops")
        .body(Body::from(r#"{"title": "t", "place": "p"}"#))
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    assert_eq!(state.store.list().unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let state = state();
    assert_error(
        call(&state, Method::GET, "/nope", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        call(&state, Method::DELETE, "/api/workshops", None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn a_configured_create_token_is_required_to_create() {
    let settings = Settings {
        create_token: Some(crate::auth::TokenHash::of("let-me-create")),
        ..Settings::default()
    };
    let state = AppState::new(Store::temporary().unwrap(), stepping_clock(), settings);
    let body = json!({"title": "T", "place": "P"}).to_string();
    let (status, value) = call(&state, Method::POST, "/api/workshops", Some(&body)).await;
    assert_error((status, value), StatusCode::UNAUTHORIZED, "unauthorized");
    assert_error(
        call_as(
            &state,
            Some("wrong"),
            Method::POST,
            "/api/workshops",
            Some(&body),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, created) = call_as(
        &state,
        Some("let-me-create"),
        Method::POST,
        "/api/workshops",
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let tokens: Vec<&str> = ["facilitator", "editor", "viewer"]
        .iter()
        .map(|role| created["tokens"][role].as_str().unwrap())
        .collect();
    for token in &tokens {
        assert_eq!(token.len(), 64, "{token}");
    }
    assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2] && tokens[0] != tokens[2]);
    assert_eq!(state.store.list().unwrap().len(), 1);
}

#[tokio::test]
async fn the_facilitator_mints_lists_and_revokes_tokens() {
    let state = state();
    let (id, facilitator) = create(&state, "A").await;
    let facilitator = Some(facilitator.as_str());
    let uri = format!("/api/workshops/{id}/tokens");
    let viewer_body = json!({"role": "viewer"}).to_string();
    let (status, minted) =
        call_as(&state, facilitator, Method::POST, &uri, Some(&viewer_body)).await;
    assert_eq!(status, StatusCode::CREATED, "{minted}");
    let viewer = minted["token"].as_str().unwrap().to_owned();
    let viewer_id = minted["id"].as_str().unwrap().to_owned();
    assert_eq!(minted["role"], "viewer");

    // A viewer reads, but manages nothing.
    let results = format!("/api/workshops/{id}/results");
    assert_eq!(
        call_as(&state, Some(&viewer), Method::GET, &results, None)
            .await
            .0,
        StatusCode::OK
    );
    assert_error(
        call_as(
            &state,
            Some(&viewer),
            Method::POST,
            &uri,
            Some(&viewer_body),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        call_as(
            &state,
            facilitator,
            Method::POST,
            &uri,
            Some(r#"{"role": "admin"}"#),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );

    let (status, list) = call_as(&state, facilitator, Method::GET, &uri, None).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 4, "three invites and the minted one: {list:?}");
    assert!(
        !serde_json::to_string(list).unwrap().contains(&viewer),
        "no secrets listed"
    );
    assert!(list
        .iter()
        .all(|t| t["kind"] == "invite" && t["revoked"] == false));

    let revoke = format!("{uri}/{viewer_id}");
    assert_eq!(
        call_as(&state, facilitator, Method::DELETE, &revoke, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        call_as(&state, Some(&viewer), Method::GET, &results, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Revoking twice is harmless; an unknown id is 404.
    assert_eq!(
        call_as(&state, facilitator, Method::DELETE, &revoke, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        call_as(
            &state,
            facilitator,
            Method::DELETE,
            &format!("{uri}/nope"),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, list) = call_as(&state, facilitator, Method::GET, &uri, None).await;
    let revoked = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == viewer_id.as_str());
    assert_eq!(revoked.unwrap()["revoked"], true);
}

#[tokio::test]
async fn registering_a_participant_writes_it_and_returns_a_personal_token() {
    let state = state();
    let (id, facilitator) = create(&state, "A").await;
    let facilitator = Some(facilitator.as_str());
    let mint = |role: &str| json!({"role": role}).to_string();
    let tokens = format!("/api/workshops/{id}/tokens");
    let (_, editor) = call_as(
        &state,
        facilitator,
        Method::POST,
        &tokens,
        Some(&mint("editor")),
    )
    .await;
    let editor = editor["token"].as_str().unwrap().to_owned();
    let (_, viewer) = call_as(
        &state,
        facilitator,
        Method::POST,
        &tokens,
        Some(&mint("viewer")),
    )
    .await;
    let viewer = viewer["token"].as_str().unwrap().to_owned();

    let uri = format!("/api/workshops/{id}/participants");
    let ann = json!({"name": " Ann ", "organisation": "Council", "role": "commissioner",
                     "world": "management", "group": ""})
    .to_string();
    let (status, registered) = call_as(&state, Some(&editor), Method::POST, &uri, Some(&ann)).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let participant = registered["participant_id"].as_str().unwrap();
    assert_eq!(
        uuid::Uuid::parse_str(participant)
            .unwrap()
            .get_version_num(),
        4
    );
    let personal = registered["token"].as_str().unwrap();
    assert_ne!(personal, editor);
    assert_eq!(registered["role"], "editor", "the registering token's role");

    let (_, document) = call_as(
        &state,
        Some(personal),
        Method::GET,
        &format!("/api/workshops/{id}/document"),
        None,
    )
    .await;
    assert_eq!(
        document["participants"][participant],
        json!({"name": "Ann", "organisation": "Council", "role": "commissioner",
               "world": "management", "group": ""})
    );

    let (_, list) = call_as(&state, facilitator, Method::GET, &tokens, None).await;
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "personal")
        .unwrap();
    assert_eq!(entry["participant_id"], participant);
    assert_eq!(entry["role"], "editor");

    let with = |field: &str, value: Value| {
        let mut body: Value = serde_json::from_str(&ann).unwrap();
        body[field] = value;
        body.to_string()
    };
    assert_error(
        call_as(
            &state,
            Some(&editor),
            Method::POST,
            &uri,
            Some(&with("role", "facilitator".into())),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, _) = call_as(
        &state,
        facilitator,
        Method::POST,
        &uri,
        Some(&with("role", "facilitator".into())),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    for bad in [
        with("world", "moon".into()),
        with("role", "boss".into()),
        with("name", "  ".into()),
        with("name", "x".repeat(201).into()),
        with("group", 5.into()),
    ] {
        assert_error(
            call_as(&state, Some(&editor), Method::POST, &uri, Some(&bad)).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
    }
    assert_error(
        call_as(&state, Some(&viewer), Method::POST, &uri, Some(&ann)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        call(&state, Method::POST, &uri, Some(&ann)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
}

#[tokio::test]
async fn access_tells_a_token_its_role_kind_and_participant() {
    let state = state();
    let (id, facilitator) = create(&state, "A").await;
    let (other, _) = create(&state, "B").await;
    let uri = format!("/api/workshops/{id}/access");
    let (status, got) = call_as(&state, Some(&facilitator), Method::GET, &uri, None).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(
        got,
        json!({"workshop": id, "role": "facilitator", "kind": "invite"})
    );

    let (_, viewer) = call_as(
        &state,
        Some(&facilitator),
        Method::POST,
        &format!("/api/workshops/{id}/tokens"),
        Some(&json!({"role": "viewer"}).to_string()),
    )
    .await;
    let viewer = viewer["token"].as_str().unwrap();
    let (_, got) = call_as(&state, Some(viewer), Method::GET, &uri, None).await;
    assert_eq!(got["role"], "viewer");

    let body = json!({"name": "Fay", "role": "facilitator", "world": "service"}).to_string();
    let (_, registered) = call_as(
        &state,
        Some(&facilitator),
        Method::POST,
        &format!("/api/workshops/{id}/participants"),
        Some(&body),
    )
    .await;
    assert_eq!(registered["role"], "facilitator");
    let personal = registered["token"].as_str().unwrap();
    let (_, got) = call_as(&state, Some(personal), Method::GET, &uri, None).await;
    assert_eq!(got["kind"], "personal");
    assert_eq!(got["participant_id"], registered["participant_id"]);

    assert_error(
        call(&state, Method::GET, &uri, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        call_as(
            &state,
            Some(&facilitator),
            Method::GET,
            &format!("/api/workshops/{other}/access"),
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        call_as(
            &state,
            Some(&facilitator),
            Method::GET,
            "/api/workshops/nope/access",
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_id",
    );
}

#[tokio::test]
async fn websocket_route_without_upgrade_is_400() {
    let state = state();
    let id = uuid::Uuid::new_v4();
    assert_error(
        call(&state, Method::GET, &format!("/ws/{id}"), None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
}

#[tokio::test]
async fn oversized_bodies_queries_and_tokens_are_bad_requests() {
    let state = state();
    let huge = json!({"title": "x".repeat(2 * validate::MAX_BODY_BYTES), "place": "y"});
    let (status, body) = call(
        &state,
        Method::POST,
        "/api/workshops",
        Some(&huge.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_request");
    assert!(
        body["message"].as_str().unwrap().contains("limit"),
        "{body}"
    );

    let long = "a".repeat(1000);
    let id = uuid::Uuid::new_v4();
    for uri in [
        format!("/api/workshops?token={long}"),
        format!("/api/workshops/{id}/document?token={long}"),
        // Refused before the upgrade, where a status can still be sent.
        format!("/ws/{id}?token={long}"),
        format!("/api/workshops?junk={}", "b".repeat(5000)),
    ] {
        let (status, body) = call(&state, Method::GET, &uri, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body["error"], "bad_request", "{uri}");
    }
    // An unknown parameter is ignored.
    let (status, _) = call(&state, Method::GET, "/healthz?verbose=yes", None).await;
    assert_eq!(status, StatusCode::OK);
}
