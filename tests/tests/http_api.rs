//! The HTTP API: create, list, results, document, and its errors.

#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::{json, Value};
use workshop_shared::template;
use workshop_tests::api::{facilitator_token, sample, Api};
use workshop_tests::workshop::{aspect_entry, WHOLE_SYSTEM, WHOLE_SYSTEM_FACTORS};
use workshop_tests::TestServer;

/// Asserts an error response: the status and a JSON body `{error, message}` of strings.
fn assert_error(response: &(StatusCode, Value), status: StatusCode) {
    let (actual, body) = response;
    assert_eq!(*actual, status, "body: {body}");
    assert!(body["error"].is_string(), "no `error` string in {body}");
    assert!(body["message"].is_string(), "no `message` string in {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_answers() {
    let server = TestServer::start().await;
    let (status, _) = Api::new(server.http_url()).get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

/// What an operator's probes and scrapes read: readiness, and the process's own figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_and_the_process_figures_answer_without_a_token() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let (status, body) = api.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    let metrics = api.metrics().await;
    for series in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        let value = sample(&metrics, series).unwrap_or_else(|| panic!("no {series}:\n{metrics}"));
        assert!(value > 0.0, "{series} = {value}");
    }
    assert!(
        metrics.contains(&format!(
            "workshop_build_info{{version=\"{}\",",
            env!("CARGO_PKG_VERSION")
        )),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_workshops_are_listed() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let autumn = api.create_workshop("Autumn workshop", "Northshire").await;
    let spring = api.create_workshop("Spring review", "Southvale").await;
    assert!(
        uuid::Uuid::parse_str(&autumn).is_ok(),
        "id {autumn} is not a UUID"
    );
    assert_ne!(autumn, spring);

    // Each token lists its own workshop; both tokens at once list both.
    let tokens = [autumn.as_str(), spring.as_str()].map(|id| facilitator_token(id).unwrap());
    let (status, list) = api
        .get(&format!(
            "/api/workshops?token={}&token={}",
            tokens[0], tokens[1]
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"));
    assert_eq!(list.len(), 2, "{list:?}");
    for (id, title, place) in [
        (&autumn, "Autumn workshop", "Northshire"),
        (&spring, "Spring review", "Southvale"),
    ] {
        let entry = list.iter().find(|entry| entry["id"] == **id).unwrap();
        assert_eq!(entry["title"], title);
        assert_eq!(entry["place"], place);
        assert!(entry["updated_at"].is_string(), "no updated_at in {entry}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_workshop_has_the_template_document() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;

    let document = api.document(&id).await;
    assert_eq!(document["meta"]["title"], "Autumn workshop");
    assert_eq!(document["meta"]["place"], "Northshire");
    let aspects = document["aspects"].as_object().unwrap();
    assert_eq!(aspects.len(), template::ASPECTS.len());
    let factors = document["aspects"][WHOLE_SYSTEM]["factors"]
        .as_object()
        .unwrap();
    assert_eq!(factors.len(), WHOLE_SYSTEM_FACTORS);
    assert_eq!(
        document["approaches"].as_object().unwrap().len(),
        template::APPROACHES.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_workshop_has_results_with_nothing_known() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;

    let results = api.results(&id).await;
    assert!(results["revision"].is_u64(), "revision in {results}");
    let ids: Vec<&str> = results["aspects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    let template_ids: Vec<&str> = template::ASPECTS.iter().map(|aspect| aspect.id).collect();
    assert_eq!(ids, template_ids, "aspects in aspect order");
    let whole_system = aspect_entry(&results["aspects"], WHOLE_SYSTEM).unwrap();
    assert_eq!(whole_system["score"], Value::Null);
    assert_eq!(whole_system["basis"], "none");
    assert_eq!(
        results["approaches"].as_array().unwrap().len(),
        template::APPROACHES.len()
    );
    assert_eq!(
        results["recommended"],
        Value::Null,
        "no approach has any coverage yet"
    );
    for list in ["blend", "constraints", "enablers", "groups", "warnings"] {
        assert_eq!(results[list], json!([]), "{list} of a new workshop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_workshop_needs_a_token_of_its_own() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let known = api.create_workshop("Autumn workshop", "Northshire").await;
    let token = facilitator_token(&known).unwrap();
    let unknown = uuid::Uuid::new_v4();
    for what in ["results", "document"] {
        let path = format!("/api/workshops/{unknown}/{what}");
        assert_error(&api.get(&path).await, StatusCode::UNAUTHORIZED);
        assert_error(&api.get_as(&path, &token).await, StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_id_is_400() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    for what in ["results", "document"] {
        let response = api.get(&format!("/api/workshops/not-a-uuid/{what}")).await;
        assert_error(&response, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_body_is_400_and_creates_nothing() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    assert_error(
        &api.post_raw("/api/workshops", "{not json").await,
        StatusCode::BAD_REQUEST,
    );
    let missing_place = json!({"title": "Autumn workshop"});
    assert_error(
        &api.post_json("/api/workshops", &missing_place).await,
        StatusCode::BAD_REQUEST,
    );
    let wrong_type = json!({"title": 5, "place": "Northshire"});
    assert_error(
        &api.post_json("/api/workshops", &wrong_type).await,
        StatusCode::BAD_REQUEST,
    );

    // Nothing was created: no workshop has a token to list it with.
    let (status, _) = api.get("/api/workshops").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
