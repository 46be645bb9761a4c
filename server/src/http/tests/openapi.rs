//! The OpenAPI description against the router: every documented path is served with exactly
//! its documented methods, the description is whole (every `$ref` resolves, every error
//! response carries codes of its status), and it is served at `/api/openapi.json`.

use std::collections::BTreeSet;

use super::*;
use crate::http::error::ErrorCode;
use crate::http::openapi;

/// The description as JSON.
fn description() -> Value {
    serde_json::to_value(openapi::description()).unwrap()
}

/// Methods an operation may have (HEAD is answered wherever GET is, by axum).
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "patch", "trace"];

/// The documented paths, each with its documented methods.
fn operations(description: &Value) -> Vec<(String, BTreeSet<String>)> {
    description["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|key| METHODS.contains(&key.as_str()))
                .cloned()
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// A concrete request path for a documented one: each `{parameter}` replaced by a value the
/// route accepts.
fn concrete(path: &str) -> String {
    path.replace("{id}", &uuid::Uuid::new_v4().to_string())
        .replace("{token_id}", "0123456789abcdef")
        .replace("{file}", "app.js")
}

/// The status and body of a request without a token.
async fn raw(state: &AppState, method: &str, uri: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

/// Whether an answer is the router's own "no route has this path".
fn is_no_route(status: StatusCode, body: &[u8]) -> bool {
    let no_route = json!({"error": "not_found", "message": ApiError::NoRoute.to_string()});
    status == StatusCode::NOT_FOUND
        && serde_json::from_slice::<Value>(body).is_ok_and(|body| body == no_route)
}

#[tokio::test]
async fn every_documented_path_is_served_with_exactly_its_documented_methods() {
    let state = state();
    let description = description();
    let operations = operations(&description);
    assert!(operations.len() >= 19, "{operations:?}");
    for (path, documented) in &operations {
        assert!(!documented.is_empty(), "{path} documents no method");
        let uri = concrete(path);
        for method in METHODS {
            let (status, body) = raw(&state, method, &uri).await;
            let body_text = String::from_utf8_lossy(&body);
            assert!(
                !is_no_route(status, &body),
                "{method} {uri} ({path}) is not served: {body_text}"
            );
            if documented.contains(method) {
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but refused: {body_text}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is served but not documented: {body_text}"
                );
            }
        }
    }
}

/// Whether `path` is an instance of the documented `template` (a `{parameter}` segment matches
/// any one segment).
fn matches(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(want, got)| want == got || want.starts_with('{'))
}

/// What the router serves is only what is documented: the neighbours of every documented
/// path (its parents, a sibling, a child) are no route unless they are documented paths.
#[tokio::test]
async fn paths_next_to_documented_ones_are_no_route() {
    let state = state();
    let description = description();
    let documented: BTreeSet<String> = operations(&description)
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let mut neighbours = BTreeSet::new();
    for path in &documented {
        let mut parent = path.as_str();
        while let Some((up, _)) = parent.rsplit_once('/') {
            neighbours.insert(up.to_owned());
            parent = up;
        }
        neighbours.insert(format!("{path}/more"));
        neighbours.insert(format!("{path}x"));
    }
    for path in &neighbours {
        if path.is_empty() || documented.iter().any(|template| matches(template, path)) {
            continue;
        }
        let uri = concrete(path);
        let (status, body) = raw(&state, "get", &uri).await;
        assert!(
            is_no_route(status, &body),
            "{uri} ({path}) is served ({status}) but not documented: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

/// The value a local `$ref` points to.
fn resolve<'a>(description: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("{reference} is not a local reference"));
    description
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} resolves to nothing"))
}

/// Every `$ref` under `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                found.push(reference.clone());
            }
            map.values().for_each(|value| references(value, found));
        }
        Value::Array(items) => items.iter().for_each(|value| references(value, found)),
        _ => {}
    }
}

#[test]
fn the_description_is_openapi_3_1_with_this_build_and_licence() {
    let description = description();
    assert_eq!(description["openapi"], "3.1.0");
    let info = &description["info"];
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert!(info["title"]
        .as_str()
        .is_some_and(|title| !title.is_empty()));
    assert!(info["description"]
        .as_str()
        .is_some_and(|text| !text.is_empty()));
    // The licence the workspace declares, as written in its manifest.
    let manifest = include_str!("../../../../Cargo.toml");
    let declared = manifest
        .lines()
        .find_map(|line| line.strip_prefix("license = "))
        .unwrap()
        .trim_matches('"');
    assert_eq!(info["license"]["name"], declared);
    assert_eq!(info["license"]["identifier"], declared);
}

#[test]
fn every_reference_resolves_and_every_operation_is_whole() {
    let description = description();
    let mut found = Vec::new();
    references(&description, &mut found);
    assert!(!found.is_empty());
    for reference in &found {
        resolve(&description, reference);
    }

    let mut ids = BTreeSet::new();
    for (path, item) in description["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let id = operation["operationId"].as_str().unwrap();
            assert!(
                ids.insert(id.to_owned()),
                "{name}: operationId {id} is not unique"
            );
            assert!(operation["summary"].is_string(), "{name} has no summary");
            assert_eq!(
                operation["tags"].as_array().map(Vec::len),
                Some(1),
                "{name}"
            );
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses
                    .keys()
                    .any(|status| status.starts_with('2') || status == "101"),
                "{name} documents no success"
            );
            // The bounds on every request are checked before any route.
            assert!(responses.contains_key("400"), "{name} documents no 400");
            // Each path parameter is declared.
            let declared: BTreeSet<&str> = operation["parameters"]
                .as_array()
                .map(|parameters| {
                    parameters
                        .iter()
                        .filter(|parameter| parameter["in"] == "path")
                        .filter_map(|parameter| parameter["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(declared, in_path, "{name}: path parameters");
            // A workshop's routes need one of its tokens, presented either way (the WebSocket
            // refuses with close codes after the upgrade, which its description lists).
            if path.starts_with("/api/workshops/") || path.starts_with("/ws/") {
                assert_eq!(
                    operation["security"],
                    json!([{"bearer": []}, {"token": []}]),
                    "{name}"
                );
            }
            if path.starts_with("/api/workshops/") {
                assert!(responses.contains_key("401"), "{name} documents no 401");
                assert!(responses.contains_key("403"), "{name} documents no 403");
            }
        }
    }
}

/// The codes an error response may carry.
fn codes_of(response: &Value) -> Vec<ErrorCode> {
    let schema = &response["content"]["application/json"]["schema"];
    assert_eq!(schema["allOf"][0]["$ref"], "#/components/schemas/Error");
    schema["allOf"][1]["properties"]["error"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| {
            *ErrorCode::ALL
                .iter()
                .find(|known| code == known.as_str())
                .unwrap_or_else(|| panic!("unknown code {code}"))
        })
        .collect()
}

#[test]
fn error_responses_carry_codes_of_their_status() {
    let description = description();
    // The schema lists every code, spelled as the body spells it.
    let listed = &description["components"]["schemas"]["ErrorCode"]["enum"];
    let all: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(*listed, json!(all));
    let table = description["components"]["schemas"]["ErrorCode"]["description"]
        .as_str()
        .unwrap();
    for code in ErrorCode::ALL {
        assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        // Its documented table gives each code's status as the server answers it.
        let row = format!("| `{}` | {} |", code.as_str(), code.status().as_u16());
        assert!(table.contains(&row), "{row} is not in\n{table}");
    }

    let mut statuses_of_components = std::collections::BTreeMap::new();
    for (name, response) in description["components"]["responses"].as_object().unwrap() {
        let codes = codes_of(response);
        let statuses: BTreeSet<u16> = codes.iter().map(|code| code.status().as_u16()).collect();
        assert_eq!(statuses.len(), 1, "{name} mixes statuses: {codes:?}");
        statuses_of_components.insert(format!("#/components/responses/{name}"), statuses);
    }
    for (path, item) in description["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let status: u16 = status.parse().unwrap();
                if let Some(reference) = response["$ref"].as_str() {
                    assert_eq!(
                        statuses_of_components[reference],
                        BTreeSet::from([status]),
                        "{method} {path}: {reference} under {status}"
                    );
                } else {
                    assert!(
                        status < 400,
                        "{method} {path}: {status} is not a shared error"
                    );
                }
            }
        }
    }
}

/// The document's enumerations are described by their spellings, as serde writes them.
#[test]
fn enumerations_are_described_as_spelled() {
    use workshop_shared::schema::{self, Control, World};
    let description = description();
    let spelled = |values: Vec<&str>| json!(values);
    for (name, values) in [
        (
            "Control",
            spelled(Control::ALL.iter().map(|c| c.as_str()).collect()),
        ),
        (
            "World",
            spelled(World::ALL.iter().map(|w| w.as_str()).collect()),
        ),
        (
            "ParticipantRole",
            spelled(schema::Role::ALL.iter().map(|r| r.as_str()).collect()),
        ),
        (
            "TokenRole",
            spelled(crate::auth::Role::ALL.iter().map(|r| r.as_str()).collect()),
        ),
    ] {
        assert_eq!(
            description["components"]["schemas"][name]["enum"], values,
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_description_is_served_without_a_token() {
    let state = state();
    let request = Request::get(openapi::PATH).body(Body::empty()).unwrap();
    let (status, headers, body) = respond(&state, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body, description());
}
