//! Outsiders: what one client may cost the server without being trusted with anything, tried
//! with raw requests against the real server on loopback. Each test checks that the server
//! still serves everyone else.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use workshop_tests::api::Api;
use workshop_tests::{connect, TestServer, TIMEOUT};

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
