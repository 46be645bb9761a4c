//! Outsiders: what one client may cost the server without being trusted with anything, tried
//! with raw requests against the real server on loopback, with no exemption for it. A second
//! loopback address (127.0.0.2) plays a second machine. Each test checks what the store or
//! the documents hold afterwards, and that a bystander is still served.

#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::WebSocketStream;
use workshop_client::SyncClient;
use workshop_server::store::Store;
use workshop_tests::api::{facilitator_token, sample, tokens_of, Api};
use workshop_tests::checks::{assert_refused_with, assert_syncing};
use workshop_tests::workshop::{
    document_scores, participant, set_score, SHARED_UNDERSTANDING, WHOLE_SYSTEM,
};
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::Transact;

/// Close code for a join from an address that holds its maximum of connections.
const ADDRESS_FULL: u16 = 4430;
/// Close code for a join to a workshop that cannot be loaded: every loaded one is in use.
const ROOMS_FULL: u16 = 4507;

/// The second machine.
const OTHER_HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

type RawSocket = WebSocketStream<TcpStream>;

/// How a raw join ended.
enum Join {
    /// Admitted: the server greeted it with its sync step 1.
    Admitted(Box<RawSocket>),
    /// Refused with this close code.
    Refused(u16),
}

/// Joins `url` from `local`, sending `forwarded_for` as `X-Forwarded-For` if given.
async fn join_from(local: IpAddr, url: &str, forwarded_for: Option<&str>) -> Join {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((local, 0).into()).unwrap();
    let port = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let stream = socket.connect(port).await.unwrap();
    let mut request = url.into_client_request().unwrap();
    if let Some(forwarded_for) = forwarded_for {
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded_for.parse().unwrap());
    }
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .unwrap();
    loop {
        match tokio::time::timeout(TIMEOUT, socket.next()).await {
            Ok(Some(Ok(WsMessage::Binary(_)))) => return Join::Admitted(Box::new(socket)),
            Ok(Some(Ok(WsMessage::Close(Some(frame))))) => {
                assert!(!frame.reason.is_empty(), "close {} says why", frame.code);
                return Join::Refused(u16::from(frame.code));
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("neither admitted nor refused: {other:?}"),
        }
    }
}

/// Joins and expects to be admitted.
async fn admitted(local: IpAddr, url: &str, forwarded_for: Option<&str>) -> Box<RawSocket> {
    match join_from(local, url, forwarded_for).await {
        Join::Admitted(socket) => socket,
        Join::Refused(code) => panic!("refused with {code}"),
    }
}

/// Joins and expects to be refused; returns the close code.
async fn refused(local: IpAddr, url: &str, forwarded_for: Option<&str>) -> u16 {
    match join_from(local, url, forwarded_for).await {
        Join::Admitted(_) => panic!("admitted"),
        Join::Refused(code) => code,
    }
}

async fn metric(api: &Api, series: &str) -> f64 {
    let text = api.metrics().await;
    sample(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

/// Waits (bounded) until `series` reads `value`.
async fn wait_for_metric(api: &Api, series: &str, value: f64) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while metric(api, series).await != value {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{series} never reached {value}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holding_its_quota_is_refused_while_a_bystander_joins_and_edits() {
    // Without the per-address limit, the attacker's connections could take every one of the
    // server's eight places.
    let server = TestServer::start_with(&[
        "--max-connections-per-address",
        "5",
        "--max-connections",
        "8",
    ])
    .await;
    let api = Api::new(server.http_url());
    let target = api.create_workshop("Attacker's own", "Nowhere").await;
    let bystanders = api.create_workshop("Autumn workshop", "Northshire").await;
    let url = server.ws_url(&target);

    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(admitted(OTHER_HOST, &url, None).await);
    }
    for _ in 0..3 {
        assert_eq!(refused(OTHER_HOST, &url, None).await, ADDRESS_FULL);
    }
    // Another workshop is no way round it.
    let other_url = server.ws_url(&bystanders);
    assert_eq!(refused(OTHER_HOST, &other_url, None).await, ADDRESS_FULL);

    // Two participants of the other workshop join from another address and edit.
    let alice = connect(&server, &bystanders).await;
    let bob = connect(&server, &bystanders).await;
    assert_syncing(&alice, &bob).await;
    let voter = participant();
    set_score(
        &mut alice.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &voter,
        5,
    );
    alice.flush(TIMEOUT).await.unwrap();
    let stored = document_scores(
        &api.document(&bystanders).await,
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
    );
    assert_eq!(stored.get(&voter), Some(&5.0), "{stored:?}");
    assert_eq!(metric(&api, "workshop_connections_open").await, 7.0);

    // A place the attacker frees is its own again, and nobody else's is taken.
    held.pop().unwrap().close(None).await.unwrap();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        match join_from(OTHER_HOST, &url, None).await {
            Join::Admitted(socket) => {
                held.push(socket);
                break;
            }
            Join::Refused(ADDRESS_FULL) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Join::Refused(code) => panic!("the freed place never came back: {code}"),
        }
    }
    assert_eq!(refused(OTHER_HOST, &url, None).await, ADDRESS_FULL);
    assert_syncing(&bob, &alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_quota_and_no_one_else_forwards() {
    let server = TestServer::start_with(&[
        "--max-connections-per-address",
        "2",
        "--trusted-proxy",
        "127.0.0.1",
    ])
    .await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let url = server.ws_url(&id);
    let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);

    let mallory = Some("203.0.113.7");
    let _held = [
        admitted(proxy, &url, mallory).await,
        admitted(proxy, &url, mallory).await,
    ];
    assert_eq!(refused(proxy, &url, mallory).await, ADDRESS_FULL);
    // What the client wrote before the proxy's entry is not believed.
    assert_eq!(
        refused(proxy, &url, Some("198.51.100.9, 203.0.113.7")).await,
        ADDRESS_FULL
    );
    let _alice = admitted(proxy, &url, Some("198.51.100.9")).await;

    // A peer that is no trusted proxy forwards nothing: it is its own client.
    let _stranger = [
        admitted(OTHER_HOST, &url, Some("192.0.2.1")).await,
        admitted(OTHER_HOST, &url, Some("192.0.2.2")).await,
    ];
    assert_eq!(
        refused(OTHER_HOST, &url, Some("192.0.2.3")).await,
        ADDRESS_FULL
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creations_over_the_rate_are_429_and_create_nothing() {
    let mut server = TestServer::start_with(&["--max-creations-per-address-per-minute", "3"]).await;
    let api = Api::new(server.http_url());
    let mut created = Vec::new();
    for n in 0..3 {
        created.push(api.create_workshop(&format!("Mine {n}"), "Nowhere").await);
    }
    let body = serde_json::json!({"title": "One more", "place": "Nowhere"});
    for _ in 0..5 {
        let (status, answer) = api.post_json("/api/workshops", &body).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
        assert_eq!(answer["error"], "too_many_creations", "{answer}");
        assert!(answer.get("id").is_none(), "{answer}");
    }
    let response = reqwest::Client::new()
        .post(format!("{}/api/workshops", server.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");

    // A bystander on another machine creates as usual.
    let bystander = Api::from_address(server.http_url(), OTHER_HOST)
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    created.push(bystander);

    // Every workshop the server lists is one that was answered 201.
    let tokens: Vec<String> = created
        .iter()
        .map(|id| format!("token={}", tokens_of(id).unwrap().viewer))
        .collect();
    let (status, list) = api
        .get(&format!("/api/workshops?{}", tokens.join("&")))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let mut listed: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    let mut expected: Vec<&str> = created.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);

    // And the store holds those and nothing else.
    assert!(server.stop().await.success());
    let store = Store::open(server.data_dir()).unwrap();
    let mut stored: Vec<String> = store
        .list()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.to_string())
        .collect();
    stored.sort_unstable();
    assert_eq!(stored, expected);
}

/// Reads from `stream` until the server closes it (bounded by [`TIMEOUT`]); returns what
/// it sent before closing.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(TIMEOUT, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept the connection open");
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_slow_to_send_its_headers_is_disconnected_while_others_are_served() {
    let server = TestServer::start_with(&["--header-read-timeout-secs", "1"]).await;
    let api = Api::new(server.http_url());

    // One sends nothing, one half a request, one a byte at a time (slowloris).
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    let mut half = TcpStream::connect(server.addr()).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut drip = TcpStream::connect(server.addr()).await.unwrap();
    let dripping = tokio::spawn(async move {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
            .iter()
            .cycle()
        {
            if drip.write_all(&[*byte]).await.is_err() {
                return drip;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        unreachable!("the cycle never ends")
    });

    // Meanwhile the server answers everyone else.
    let (status, _) = api.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let client = connect(&server, &id).await;

    for stream in [&mut silent, &mut half] {
        let answer = read_until_closed(stream).await;
        // If anything was sent before closing, it was no success.
        assert!(
            !answer.starts_with(b"HTTP/1.1 2"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    let mut drip = tokio::time::timeout(TIMEOUT, dripping)
        .await
        .expect("the server kept the dripping connection open")
        .unwrap();
    read_until_closed(&mut drip).await;

    // The server still serves, the WebSocket opened meanwhile included.
    let (status, _) = api.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(client.state().is_open(), "{}", client.state());
    api.document(&id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_loaded_bound_the_least_recently_used_idle_workshop_makes_way_and_nothing_is_lost()
{
    let server =
        TestServer::start_with(&["--max-loaded-workshops", "2", "--idle-unload-secs", "3600"])
            .await;
    let api = Api::new(server.http_url());
    let mut ids = Vec::new();
    for title in ["First", "Second", "Third"] {
        ids.push(api.create_workshop(title, "Northshire").await);
    }
    let voters: Vec<String> = ids.iter().map(|_| participant()).collect();

    // Each workshop gets a vote from a client that then leaves; the first leaves first.
    for (id, voter) in ids.iter().zip(&voters).take(2) {
        let mut client = connect(&server, id).await;
        set_score(
            &mut client.doc().transact_mut(),
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            voter,
            4,
        );
        client.flush(TIMEOUT).await.unwrap();
        client.disconnect().await;
        wait_for_metric(&api, "workshop_connections_open", 0.0).await;
    }
    assert_eq!(metric(&api, "workshop_rooms_loaded").await, 2.0);

    // The third loads: the first, unused longest, makes way.
    let vote_of = |document: &Value, voter: &str| {
        document_scores(document, WHOLE_SYSTEM, SHARED_UNDERSTANDING)
            .get(voter)
            .copied()
    };
    let third = document_when_loadable(&api, &ids[2]).await;
    assert_eq!(third["meta"]["title"], "Third");
    assert_eq!(metric(&api, "workshop_rooms_loaded").await, 2.0);
    let log = server.log();
    assert!(
        log.lines()
            .any(|line| line.contains("least recently used") && line.contains(ids[0].as_str())),
        "the first workshop made way:\n{log}"
    );
    // Every workshop's content survives, the unloaded ones read back from the store.
    for (id, voter) in ids.iter().zip(&voters).take(2) {
        let document = document_when_loadable(&api, id).await;
        assert_eq!(vote_of(&document, voter), Some(4.0), "{id}");
        assert_eq!(metric(&api, "workshop_rooms_loaded").await, 2.0);
    }

    // With both loaded workshops in use, a third cannot load and nothing in use is unloaded.
    let held: Vec<SyncClient> = {
        let mut held = Vec::new();
        for id in &ids[..2] {
            held.push(connect(&server, id).await);
        }
        held
    };
    let token = facilitator_token(&ids[2]).unwrap();
    let (status, refusal) = api
        .get_as(&format!("/api/workshops/{}/document", ids[2]), &token)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refusal}");
    assert_eq!(refusal["error"], "server_busy");
    let mut late = SyncClient::new().with_connect_timeout(TIMEOUT);
    assert_refused_with(late.connect(&server.ws_url(&ids[2])).await, ROOMS_FULL);
    // The workshops in use go on as before.
    let later = participant();
    set_score(
        &mut held[0].doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &later,
        2,
    );
    held[0].flush(TIMEOUT).await.unwrap();
    assert!(held.iter().all(|client| client.state().is_open()));
    assert_eq!(vote_of(&api.document(&ids[0]).await, &later), Some(2.0));
    for (id, voter) in ids.iter().zip(&voters).take(2) {
        assert_eq!(
            vote_of(&api.document(id).await, voter),
            Some(4.0),
            "{id} stayed loaded and intact"
        );
    }
}

/// The document of `id`, waiting (bounded) while the server answers 503: a client that has
/// just left may still hold its room for a moment.
async fn document_when_loadable(api: &Api, id: &str) -> Value {
    let token = facilitator_token(id).unwrap();
    let path = format!("/api/workshops/{id}/document");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let (status, body) = api.get_as(&path, &token).await;
        if status != StatusCode::SERVICE_UNAVAILABLE || tokio::time::Instant::now() >= deadline {
            assert_eq!(status, StatusCode::OK, "{body}");
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
