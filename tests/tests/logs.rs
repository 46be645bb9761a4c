//! What an operator's log holds: an access line for every request, in text or in JSON, and
//! never a token, whether it came in a query string or a header.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use workshop_tests::api::{facilitator_token, Api};
use workshop_tests::{connect, TestServer};

/// Makes requests that carry the workshop's facilitator token in every way a client can (a
/// bearer header, `?token=` on an API call and on the WebSocket upgrade, a refused call);
/// returns the workshop id and the token.
async fn requests_with_tokens(server: &TestServer) -> (String, String) {
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Logged", "Anywhere").await;
    let token = facilitator_token(&id).unwrap();
    api.results(&id).await;
    let (status, _) = api
        .get(&format!("/api/workshops/{id}/document?token={token}"))
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .get(&format!("/api/workshops/{id}/results?token={token}x"))
        .await;
    assert_eq!(status, 403);
    let client = connect(server, &id).await;
    drop(client);
    (id, token)
}

/// Neither the token nor any query string is anywhere in `log`.
fn assert_no_token(log: &str, token: &str) {
    assert!(!log.contains(token), "the token is in the log:\n{log}");
    assert!(
        !log.contains("?token="),
        "a query string is in the log:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_log_is_one_object_per_line_with_an_access_line_per_request_and_no_token() {
    let mut server = TestServer::start_with(&["--log-format", "json"]).await;
    let (id, token) = requests_with_tokens(&server).await;
    assert!(server.stop().await.success());
    let log = server.log();
    assert_no_token(&log, &token);

    let lines: Vec<Value> = log
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
        })
        .collect();
    let answered = |path: &str, status: u64| {
        lines.iter().any(|line| {
            line["fields"]["message"] == "answered"
                && line["fields"]["status"] == status
                && line["fields"]["latency_ms"].is_number()
                && line["span"]["path"] == path
                && line["span"]["method"] == "GET"
                && line["span"]["peer"] == "127.0.0.1"
                && line["target"] == "workshop_server::access"
        })
    };
    assert!(
        answered(&format!("/api/workshops/{id}/document"), 200),
        "{log}"
    );
    assert!(
        answered(&format!("/api/workshops/{id}/results"), 403),
        "{log}"
    );
    assert!(answered(&format!("/ws/{id}"), 101), "{log}");
    assert!(
        lines
            .iter()
            .any(|line| line["fields"]["message"] == "shut down"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_log_has_access_lines_and_no_token() {
    let mut server = TestServer::start().await;
    let (id, token) = requests_with_tokens(&server).await;
    assert!(server.stop().await.success());
    let log = server.log();
    assert_no_token(&log, &token);
    let line = log
        .lines()
        .find(|line| line.contains(&format!("path=/ws/{id}")) && line.contains("answered"))
        .unwrap_or_else(|| panic!("no access line for the upgrade:\n{log}"));
    assert!(line.contains("status=101"), "{line}");
}
