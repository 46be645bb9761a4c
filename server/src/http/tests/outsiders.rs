//! What an outsider may cost: workshop creations per client address (the peer, or a trusted
//! proxy's `X-Forwarded-For`), loads past the bound on loaded workshops, and the workshop
//! list, answered from the presented tokens alone.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;

use super::*;
use crate::forwarded::TrustedProxies;
use crate::limits::Limits;
use crate::per_address::AddressLimits;

fn state_with(max_creations: usize, trusted: &[&str]) -> AppState {
    let settings = Settings {
        limits: Limits {
            per_address: AddressLimits {
                max_creations_per_minute: max_creations,
                ..AddressLimits::default()
            },
            ..Limits::default()
        },
        trusted_proxies: Arc::new(TrustedProxies::new(
            trusted.iter().map(|proxy| proxy.parse::<IpAddr>().unwrap()),
        )),
        ..Settings::default()
    };
    AppState::new(Store::temporary().unwrap(), stepping_clock(), settings)
}

/// `POST /api/workshops` from `peer`, forwarding `forwarded_for` if given.
async fn create_from(
    state: &AppState,
    peer: &str,
    forwarded_for: Option<&str>,
) -> (StatusCode, header::HeaderMap, Value) {
    let body = json!({"title": "T", "place": "P"}).to_string();
    let mut request = request(None, Method::POST, "/api/workshops", Some(&body));
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    if let Some(forwarded_for) = forwarded_for {
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded_for.parse().unwrap());
    }
    respond(state, request).await
}

#[tokio::test]
async fn creations_over_the_rate_are_429_with_retry_after_and_create_nothing() {
    let state = state_with(2, &[]);
    for _ in 0..2 {
        let (status, _, created) = create_from(&state, "203.0.113.7:40000", None).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    // Another port of the same address is the same client.
    let (status, headers, refused) = create_from(&state, "203.0.113.7:40001", None).await;
    assert_error(
        (status, refused),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_creations",
    );
    let retry_after: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(state.store.list().unwrap().len(), 2);

    // A bystander at another address still creates.
    let (status, _, _) = create_from(&state, "198.51.100.9:40000", None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(state.store.list().unwrap().len(), 3);
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_no_one_else_can() {
    let state = state_with(1, &["10.0.0.1"]);
    let proxy = "10.0.0.1:50000";
    let created = |got: (StatusCode, header::HeaderMap, Value)| got.0 == StatusCode::CREATED;
    assert!(created(
        create_from(&state, proxy, Some("198.51.100.9")).await
    ));
    assert!(!created(
        create_from(&state, proxy, Some("198.51.100.9")).await
    ));
    // Only the entry the proxy appended counts; what the client wrote before it does not.
    assert!(!created(
        create_from(&state, proxy, Some("192.0.2.99, 198.51.100.9")).await
    ));
    assert!(created(
        create_from(&state, proxy, Some("198.51.100.9, 192.0.2.1")).await
    ));

    // A peer that is no trusted proxy is its own client, whatever it forwards.
    let stranger = "203.0.113.7:50000";
    assert!(created(
        create_from(&state, stranger, Some("192.0.2.2")).await
    ));
    assert!(!created(
        create_from(&state, stranger, Some("192.0.2.3")).await
    ));
    assert_eq!(state.store.list().unwrap().len(), 3);
}

#[tokio::test]
async fn a_load_past_the_bound_with_every_workshop_in_use_is_503() {
    let mut settings = Settings::default();
    settings.rooms.max_loaded = 1;
    let state = AppState::new(Store::temporary().unwrap(), stepping_clock(), settings);
    let (first, _) = create(&state, "First").await;
    let (second, second_token) = create(&state, "Second").await;
    let held = state.rooms().lease(first.parse().unwrap()).await.unwrap();
    let document = format!("/api/workshops/{second}/document");
    assert_error(
        call_as(&state, Some(&second_token), Method::GET, &document, None).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "server_busy",
    );
    assert_eq!(state.rooms().loaded(), 1);
    drop(held);
    let (status, body) = call_as(&state, Some(&second_token), Method::GET, &document, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"]["title"], "Second");
    assert_eq!(state.rooms().loaded(), 1);
}

#[tokio::test]
async fn the_list_is_answered_from_the_presented_tokens_alone() {
    let state = state_with(10, &[]);
    let (first, first_token) = create(&state, "First").await;
    create(&state, "Not shown").await;
    let (third, third_token) = create(&state, "Third").await;
    // A token whose workshop does not exist (never created here) shows nothing.
    let (stray, _) = crate::auth::mint(
        &state,
        uuid::Uuid::new_v4(),
        crate::auth::Role::Viewer,
        crate::auth::TokenKind::Invite,
        None,
    )
    .await
    .unwrap();
    let uri = format!(
        "/api/workshops?token={first_token}&token={}&token={third_token}&token={first_token}",
        stray.as_str()
    );
    let (status, list) = call(&state, Method::GET, &uri, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [third.as_str(), first.as_str()],
        "newest first, once each"
    );
}
