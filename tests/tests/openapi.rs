//! The OpenAPI description at `/api/openapi.json` against the real server: it is OpenAPI 3.1,
//! and real answers agree with it. Every answer below, successes and errors alike, is checked
//! against the description: its status must be one the operation lists (a method the path
//! does not list: the `MethodNotAllowed` response; a path not listed: `NoRoute`), its content
//! type one the response lists, and a JSON body must validate against the schema declared for
//! that status and content type (JSON Schema 2020-12, `$ref`s into `#/components/schemas`, and
//! no property the schema does not name). At the end, every documented status of every
//! operation must have been seen, but the few no test can provoke (500, a `not_ready` 503).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use reqwest::header::{self, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;
use workshop_server::auth::{Role, TokenHash, TokenKind, TokenRecord};
use workshop_server::store::Store;
use workshop_tests::api::{Api, RawAnswer};
use workshop_tests::workshop::{participant, result_aspect, set_score};
use workshop_tests::workshop::{AGREED_PRIORITIES, SHARED_UNDERSTANDING, WHOLE_SYSTEM};
use workshop_tests::{connect_with_token, TestServer, TIMEOUT};
use yrs::Transact;

const OPENAPI: &str = "/api/openapi.json";

/// Statuses no request from outside can provoke: a failure inside the server, and readiness
/// lost while shutting down. Documented, and checked by the server's own tests.
fn unprovoked(method: &str, template: &str, status: u16) -> bool {
    status == 500 || (method == "get" && template == "/readyz" && status == 503)
}

/// The description, and the answers seen so far.
struct Described {
    description: Value,
    seen: Mutex<BTreeSet<(String, String, u16)>>,
}

/// What an answer is checked as: an operation of the description, or a path it does not list.
#[derive(Clone, Copy)]
enum Route<'a> {
    /// `method` on the documented path `template`.
    Operation(&'a Method, &'a str),
    /// A path the description does not list.
    Unlisted,
}

impl Described {
    /// `description` as served, made strict: an object schema of the components that names
    /// its properties allows no others, so that an answer cannot carry a field the
    /// description does not document.
    fn new(mut description: Value) -> Described {
        let schemas = description["components"]["schemas"]
            .as_object_mut()
            .unwrap();
        for schema in schemas.values_mut() {
            if schema.get("properties").is_some() && schema.get("additionalProperties").is_none() {
                schema["additionalProperties"] = json!(false);
            }
        }
        Described {
            description,
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// The operation `method template`, if the description lists it.
    fn operation(&self, method: &Method, template: &str) -> Option<&Value> {
        let operation = &self.description["paths"][template][method.as_str().to_lowercase()];
        operation.is_object().then_some(operation)
    }

    /// What a local `$ref` points to.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value["$ref"].as_str() {
            Some(reference) => {
                let pointer = reference.strip_prefix('#').unwrap();
                self.description
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("{reference} resolves to nothing"))
            }
            None => value,
        }
    }

    /// Checks `answer` against the description: its status, content type and body.
    fn check(&self, route: Route<'_>, answer: &RawAnswer) {
        let status = answer.status.as_u16();
        let body = String::from_utf8_lossy(&answer.body);
        let (name, response) = match route {
            Route::Operation(method, template) => {
                let name = format!("{method} {template}");
                match self.operation(method, template) {
                    Some(operation) => {
                        let response = operation["responses"]
                            .get(status.to_string())
                            .unwrap_or_else(|| {
                                panic!(
                                    "{name} answered {status}, which the description does \
                                     not list for it: {body}"
                                )
                            });
                        self.seen.lock().unwrap().insert((
                            method.as_str().to_lowercase(),
                            template.to_owned(),
                            status,
                        ));
                        (name, self.resolve(response))
                    }
                    None => {
                        assert_eq!(
                            status, 405,
                            "{name} is not described, yet answered {status}: {body}"
                        );
                        (
                            name,
                            &self.description["components"]["responses"]["MethodNotAllowed"],
                        )
                    }
                }
            }
            Route::Unlisted => {
                assert_eq!(status, 404, "an unlisted path answered {status}: {body}");
                (
                    "an unlisted path".to_owned(),
                    &self.description["components"]["responses"]["NoRoute"],
                )
            }
        };
        let content = response["content"].as_object();
        let Some(content) = content.filter(|content| !content.is_empty()) else {
            assert!(
                answer.body.is_empty(),
                "{name} {status} documents no body, yet has one: {body}"
            );
            return;
        };
        let actual = answer
            .content_type()
            .unwrap_or_else(|| panic!("{name} {status} has no content type: {body}"));
        let (media_type, described) = content
            .iter()
            .find(|(media_type, _)| same_media_type(media_type, actual))
            .unwrap_or_else(|| {
                let listed: Vec<&String> = content.keys().collect();
                panic!("{name} {status} is {actual}, the description lists {listed:?}")
            });
        if media_type == "application/json" {
            let errors = self.errors(&described["schema"], &answer.json());
            assert!(
                errors.is_empty(),
                "{name} {status}: the body does not match its schema:\n{}\nbody: {body}",
                errors.join("\n")
            );
        } else if described["schema"]["type"] == "string" {
            assert!(
                std::str::from_utf8(&answer.body).is_ok(),
                "{name} {status}: {media_type} is not text"
            );
        }
    }

    /// Why `instance` does not validate against `schema` (nothing when it does). The schema
    /// is made a document of its own that also holds the components, so that its `$ref`s into
    /// `#/components/schemas` resolve.
    fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = schema.clone();
        root["components"] = self.description["components"].clone();
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|error| panic!("the schema {schema} does not build: {error}"));
        validator
            .iter_errors(instance)
            .map(|error| format!("  at {}: {error}", error.instance_path()))
            .collect()
    }

    /// The documented statuses of every operation that were never seen (but those no request
    /// can provoke).
    fn unseen(&self) -> Vec<String> {
        let seen = self.seen.lock().unwrap();
        let mut unseen = Vec::new();
        for (template, item) in self.description["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for status in operation["responses"].as_object().unwrap().keys() {
                    let status: u16 = status.parse().unwrap();
                    let key = (method.clone(), template.clone(), status);
                    if !seen.contains(&key) && !unprovoked(method, template, status) {
                        unseen.push(format!("{method} {template} {status}"));
                    }
                }
            }
        }
        unseen
    }
}

/// Whether an answer's `Content-Type` is the media type `listed`: the same type, and the
/// same parameters when `listed` names any.
fn same_media_type(listed: &str, actual: &str) -> bool {
    let normal = |text: &str| text.replace(' ', "").to_ascii_lowercase();
    if listed.contains(';') {
        normal(listed) == normal(actual)
    } else {
        normal(actual.split(';').next().unwrap_or_default()) == normal(listed)
    }
}

/// A client of one server that checks every answer against the description.
struct Checked<'d> {
    api: Api,
    described: &'d Described,
}

impl Checked<'_> {
    fn request(&self, method: &Method, path: &str, token: Option<&str>) -> RequestBuilder {
        self.api.request(method.clone(), path, token)
    }

    /// Sends `request` as `method template` and checks the answer.
    async fn send(&self, method: &Method, template: &str, request: RequestBuilder) -> RawAnswer {
        let answer = self.api.send(request).await;
        self.described
            .check(Route::Operation(method, template), &answer);
        answer
    }

    /// `method path` presenting `token`, checked as `method template`.
    async fn call(
        &self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
    ) -> RawAnswer {
        let request = self.request(&method, path, token);
        self.send(&method, template, request).await
    }

    /// Like [`Checked::call`] with a JSON body.
    async fn call_json(
        &self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> RawAnswer {
        let request = self.request(&method, path, token).json(body);
        self.send(&method, template, request).await
    }

    /// Like [`Checked::call`], asserting the status.
    /// Every route that reads workshop `id`, and registering a participant in it, answer
    /// `status` with the error `code` to `token`.
    async fn every_workshop_route_answers(
        &self,
        status: StatusCode,
        code: &str,
        id: &str,
        token: &str,
        participant: &Value,
    ) {
        for what in READS {
            let path = format!("/api/workshops/{id}/{what}");
            let answer = self
                .expect(
                    status,
                    Method::GET,
                    &workshop_template(what),
                    &path,
                    Some(token),
                )
                .await;
            assert_eq!(answer.json()["error"], code, "{path}");
        }
        let path = format!("/api/workshops/{id}/participants");
        let answer = self
            .expect_json(
                status,
                Method::POST,
                "/api/workshops/{id}/participants",
                &path,
                Some(token),
                participant,
            )
            .await;
        assert_eq!(answer.json()["error"], code, "{path}");
    }

    async fn expect(
        &self,
        status: StatusCode,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
    ) -> RawAnswer {
        let answer = self.call(method.clone(), template, path, token).await;
        assert_eq!(
            answer.status,
            status,
            "{method} {path}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        answer
    }

    /// Like [`Checked::call_json`], asserting the status.
    async fn expect_json(
        &self,
        status: StatusCode,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> RawAnswer {
        let answer = self
            .call_json(method.clone(), template, path, token, body)
            .await;
        assert_eq!(
            answer.status,
            status,
            "{method} {path} {body}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        answer
    }
}

/// The last segment of each route that reads one workshop, for any role's token.
const READS: [&str; 5] = [
    "results",
    "document",
    "export.xlsx",
    "export.md",
    "export.csv",
];

fn workshop_template(what: &str) -> String {
    format!("/api/workshops/{{id}}/{what}")
}

/// The description as the server serves it, checked as OpenAPI 3.1 of this build.
async fn fetch_description(api: &Api) -> Value {
    let answer = api.send(api.request(Method::GET, OPENAPI, None)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), Some("application/json"));
    let description = answer.json();
    assert_eq!(description["openapi"], "3.1.0");
    assert_eq!(description["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        description["info"]["license"]["identifier"],
        env!("CARGO_PKG_LICENSE")
    );
    description
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_answers_agree_with_the_description() {
    let mut server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let described = Described::new(fetch_description(&api).await);
    let client = Checked {
        api,
        described: &described,
    };
    // The description's own fetch, checked against itself.
    client
        .expect(StatusCode::OK, Method::GET, OPENAPI, OPENAPI, None)
        .await;

    operations_answer(&client).await;
    let workshop = workshops_answer(&client, &server).await;
    tokens_and_participants_answer(&client, &workshop).await;
    the_page_and_the_websocket_answer(&client, &server, &workshop).await;
    refusals_answer(&client, &workshop).await;
    every_path_refuses_other_methods(&client).await;

    // A token that outlived its workshop: the only way to a 404 for a workshop.
    let (stray, secret) = (Uuid::new_v4(), "a-token-whose-workshop-is-gone");
    server.stop().await;
    {
        let store = Store::open(server.data_dir()).unwrap();
        let record = TokenRecord {
            id: "0123456789abcdef".to_owned(),
            workshop: stray,
            role: Role::Facilitator,
            kind: TokenKind::Invite,
            participant_id: None,
            revoked: false,
            created_at: "2026-11-23T09:00:00.000Z".to_owned(),
        };
        store
            .tokens()
            .unwrap()
            .insert(&TokenHash::of(secret), &record)
            .unwrap();
        store.flush().unwrap();
    }
    server.restart().await;
    let client = Checked {
        api: Api::new(server.http_url()),
        described: &described,
    };
    client
        .every_workshop_route_answers(
            StatusCode::NOT_FOUND,
            "not_found",
            &stray.to_string(),
            secret,
            &registration("Ann", "commissioner"),
        )
        .await;

    limits_answer(&described).await;

    let unseen = described.unseen();
    assert!(
        unseen.is_empty(),
        "documented, never answered:\n{}",
        unseen.join("\n")
    );
}

/// Health, readiness and metrics.
async fn operations_answer(client: &Checked<'_>) {
    for path in ["/healthz", "/readyz", "/metrics"] {
        client
            .expect(StatusCode::OK, Method::GET, path, path, None)
            .await;
    }
}

/// A workshop made to answer: its id, its invite tokens, and a participant's personal token.
struct Workshop {
    id: String,
    facilitator: String,
    editor: String,
    viewer: String,
    personal: String,
    /// The facilitator of another workshop.
    stranger: String,
}

fn registration(name: &str, role: &str) -> Value {
    json!({
        "name": name,
        "organisation": "Northshire Council",
        "role": role,
        "world": "management",
        "group": "",
    })
}

/// Creates a workshop; returns its answer.
async fn create(client: &Checked<'_>, title: &str) -> Value {
    client
        .expect_json(
            StatusCode::CREATED,
            Method::POST,
            "/api/workshops",
            "/api/workshops",
            None,
            &json!({"title": title, "place": "Northshire"}),
        )
        .await
        .json()
}

/// Creation, the list, and a workshop's figures, document and exports, with votes in it so
/// that its figures are numbers.
async fn workshops_answer(client: &Checked<'_>, server: &TestServer) -> Workshop {
    let created = create(client, "Autumn workshop").await;
    let other = create(client, "Spring review").await;
    let token = |value: &Value, role: &str| value["tokens"][role].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let (facilitator, stranger) = (token(&created, "facilitator"), token(&other, "facilitator"));

    let both = format!("/api/workshops?token={facilitator}&token={stranger}");
    let list = client
        .expect(StatusCode::OK, Method::GET, "/api/workshops", &both, None)
        .await;
    assert_eq!(list.json().as_array().map(Vec::len), Some(2));

    // Two participants who disagree: scores, a contested factor, warnings.
    let participants = "/api/workshops/{id}/participants";
    let path = format!("/api/workshops/{id}/participants");
    let editor = token(&created, "editor");
    let ann = client
        .expect_json(
            StatusCode::CREATED,
            Method::POST,
            participants,
            &path,
            Some(&editor),
            &registration("Ann", "commissioner"),
        )
        .await
        .json();
    let fay = client
        .expect_json(
            StatusCode::CREATED,
            Method::POST,
            participants,
            &path,
            Some(&facilitator),
            &registration("Fay", "facilitator"),
        )
        .await
        .json();
    let sync = connect_with_token(server, &id, &facilitator).await;
    {
        let mut txn = sync.doc().transact_mut();
        for (voter, score) in [(&ann, 1), (&fay, 5)] {
            let voter = voter["participant_id"].as_str().unwrap();
            set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, voter, score);
        }
        set_score(&mut txn, WHOLE_SYSTEM, AGREED_PRIORITIES, &participant(), 3);
    }
    sync.wait_for_value(
        |txn| result_aspect(txn, WHOLE_SYSTEM).filter(|aspect| aspect["score"].is_number()),
        TIMEOUT,
    )
    .await
    .unwrap();

    let results = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &workshop_template("results"),
            &format!("/api/workshops/{id}/results"),
            Some(&facilitator),
        )
        .await
        .json();
    assert!(
        results["warnings"]
            .as_array()
            .is_some_and(|w| !w.is_empty()),
        "{results}"
    );
    let viewer = token(&created, "viewer");
    for what in READS {
        // The query parameter as well as the header.
        let path = format!("/api/workshops/{id}/{what}?token={viewer}");
        client
            .expect(
                StatusCode::OK,
                Method::GET,
                &workshop_template(what),
                &path,
                None,
            )
            .await;
    }
    Workshop {
        id,
        facilitator,
        editor,
        viewer,
        personal: ann["token"].as_str().unwrap().to_owned(),
        stranger,
    }
}

/// Minting, listing and revoking tokens, and what a token grants.
async fn tokens_and_participants_answer(client: &Checked<'_>, workshop: &Workshop) {
    let id = &workshop.id;
    let tokens = format!("/api/workshops/{id}/tokens");
    let minted = client
        .expect_json(
            StatusCode::CREATED,
            Method::POST,
            "/api/workshops/{id}/tokens",
            &tokens,
            Some(&workshop.facilitator),
            &json!({"role": "viewer"}),
        )
        .await
        .json();
    let listed = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/workshops/{id}/tokens",
            &tokens,
            Some(&workshop.facilitator),
        )
        .await
        .json();
    // Invite and personal tokens, the latter with their participant.
    let listed = listed.as_array().unwrap();
    assert!(listed
        .iter()
        .any(|token| token["participant_id"].is_string()));
    assert!(listed
        .iter()
        .any(|token| token.get("participant_id").is_none()));
    let revoke = "/api/workshops/{id}/tokens/{token_id}";
    let minted_id = minted["id"].as_str().unwrap();
    client
        .expect(
            StatusCode::NO_CONTENT,
            Method::DELETE,
            revoke,
            &format!("{tokens}/{minted_id}"),
            Some(&workshop.facilitator),
        )
        .await;
    client
        .expect(
            StatusCode::NOT_FOUND,
            Method::DELETE,
            revoke,
            &format!("{tokens}/0000000000000000"),
            Some(&workshop.facilitator),
        )
        .await;

    let access = format!("/api/workshops/{id}/access");
    for token in [&workshop.viewer, &workshop.personal] {
        client
            .expect(
                StatusCode::OK,
                Method::GET,
                "/api/workshops/{id}/access",
                &access,
                Some(token),
            )
            .await;
    }
}

/// The page's files, fresh and revalidated, and the WebSocket's upgrade.
async fn the_page_and_the_websocket_answer(
    client: &Checked<'_>,
    server: &TestServer,
    workshop: &Workshop,
) {
    let id = &workshop.id;
    let workshop_page = format!("/w/{id}");
    for (template, path) in [
        ("/", "/"),
        ("/w/{id}", workshop_page.as_str()),
        ("/w/{id}", "/w/not-an-id"),
        ("/assets/{file}", "/assets/app.js"),
        ("/assets/{file}", "/assets/app.css"),
        ("/sw.js", "/sw.js"),
    ] {
        let fresh = client
            .expect(StatusCode::OK, Method::GET, template, path, None)
            .await;
        let etag = fresh.headers.get(header::ETAG).unwrap().clone();
        let again = client
            .request(&Method::GET, path, None)
            .header(header::IF_NONE_MATCH, etag);
        let answer = client.send(&Method::GET, template, again).await;
        assert_eq!(answer.status, StatusCode::NOT_MODIFIED, "{path}");
    }
    client
        .expect(
            StatusCode::NOT_FOUND,
            Method::GET,
            "/assets/{file}",
            "/assets/nope.js",
            None,
        )
        .await;

    // The upgrade itself: 101, no body.
    let url = server.ws_url_with_token(id, &workshop.viewer);
    let request = url.into_client_request().unwrap();
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    let answer = RawAnswer {
        status: StatusCode::from_u16(response.status().as_u16()).unwrap(),
        headers: reqwest::header::HeaderMap::new(),
        body: response.body().clone().unwrap_or_default(),
    };
    client
        .described
        .check(Route::Operation(&Method::GET, "/ws/{id}"), &answer);
    assert_eq!(answer.status, StatusCode::SWITCHING_PROTOCOLS);
    socket.close(None).await.unwrap();
    // Not an upgrade: 400.
    client
        .expect(
            StatusCode::BAD_REQUEST,
            Method::GET,
            "/ws/{id}",
            &format!("/ws/{id}"),
            Some(&workshop.viewer),
        )
        .await;
}

/// Bad ids, missing and refused tokens, bad bodies and oversized tokens, on every route.
async fn refusals_answer(client: &Checked<'_>, workshop: &Workshop) {
    let id = &workshop.id;
    let long_token = "a".repeat(300);
    // (method, template, the last part of the path)
    let routes: Vec<(Method, String, String)> = READS
        .iter()
        .map(|what| (Method::GET, workshop_template(what), (*what).to_owned()))
        .chain([
            (
                Method::GET,
                workshop_template("access"),
                "access".to_owned(),
            ),
            (
                Method::GET,
                workshop_template("tokens"),
                "tokens".to_owned(),
            ),
            (
                Method::POST,
                workshop_template("tokens"),
                "tokens".to_owned(),
            ),
            (
                Method::DELETE,
                workshop_template("tokens/{token_id}"),
                "tokens/0123456789abcdef".to_owned(),
            ),
            (
                Method::POST,
                workshop_template("participants"),
                "participants".to_owned(),
            ),
        ])
        .collect();
    for (method, template, rest) in &routes {
        let body = if *method == Method::POST {
            Some(if rest == "tokens" {
                json!({"role": "viewer"})
            } else {
                registration("Bob", "provider")
            })
        } else {
            None
        };
        let body = body.as_ref();
        let send = move |path: String, token: Option<String>| {
            let mut request = client.request(method, &path, token.as_deref());
            if let Some(body) = body {
                request = request.json(body);
            }
            client.send(method, template, request)
        };
        let answer = send(
            format!("/api/workshops/not-a-uuid/{rest}"),
            Some(workshop.facilitator.clone()),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{method} {template}"
        );
        assert_eq!(answer.json()["error"], "invalid_id");
        let path = format!("/api/workshops/{id}/{rest}");
        let answer = send(path.clone(), None).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{method} {template}"
        );
        let answer = send(path.clone(), Some(workshop.stranger.clone())).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {template}");
        let answer = send(format!("{path}?token={long_token}"), None).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{method} {template}"
        );
    }

    // Roles and kinds that may not.
    let tokens = format!("/api/workshops/{id}/tokens");
    let participants = format!("/api/workshops/{id}/participants");
    let viewer_mints = client
        .expect_json(
            StatusCode::FORBIDDEN,
            Method::POST,
            "/api/workshops/{id}/tokens",
            &tokens,
            Some(&workshop.viewer),
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(viewer_mints.json()["error"], "forbidden");
    for token in [&workshop.personal, &workshop.viewer] {
        client
            .expect_json(
                StatusCode::FORBIDDEN,
                Method::POST,
                "/api/workshops/{id}/participants",
                &participants,
                Some(token),
                &registration("Bob", "provider"),
            )
            .await;
    }

    // Bad bodies.
    for body in [json!({"role": "boss"}), json!({}), json!([1])] {
        client
            .expect_json(
                StatusCode::BAD_REQUEST,
                Method::POST,
                "/api/workshops/{id}/tokens",
                &tokens,
                Some(&workshop.facilitator),
                &body,
            )
            .await;
    }
    for body in [
        json!({"name": "", "role": "provider", "world": "service"}),
        json!({"name": "Bob", "role": "boss", "world": "service"}),
        json!({"name": "Bob", "role": "provider", "world": "underworld"}),
        json!({"name": "Bob"}),
    ] {
        client
            .expect_json(
                StatusCode::BAD_REQUEST,
                Method::POST,
                "/api/workshops/{id}/participants",
                &participants,
                Some(&workshop.editor),
                &body,
            )
            .await;
    }
    for body in ["not json", "[]", r#"{"title": "only a title"}"#] {
        let request = client
            .request(&Method::POST, "/api/workshops", None)
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .body(body);
        let answer = client.send(&Method::POST, "/api/workshops", request).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
    }

    // The list: no token, an unknown one.
    client
        .expect(
            StatusCode::UNAUTHORIZED,
            Method::GET,
            "/api/workshops",
            "/api/workshops",
            None,
        )
        .await;
    client
        .expect(
            StatusCode::FORBIDDEN,
            Method::GET,
            "/api/workshops",
            "/api/workshops",
            Some("not-a-token"),
        )
        .await;

    // An oversized token is refused on every route, before any handler.
    for (method, template, path) in [
        (Method::GET, "/api/workshops", "/api/workshops".to_owned()),
        (Method::POST, "/api/workshops", "/api/workshops".to_owned()),
        (Method::GET, "/healthz", "/healthz".to_owned()),
        (Method::GET, "/readyz", "/readyz".to_owned()),
        (Method::GET, "/metrics", "/metrics".to_owned()),
        (Method::GET, OPENAPI, OPENAPI.to_owned()),
        (Method::GET, "/", "/".to_owned()),
        (Method::GET, "/w/{id}", format!("/w/{id}")),
        (Method::GET, "/assets/{file}", "/assets/app.js".to_owned()),
        (Method::GET, "/sw.js", "/sw.js".to_owned()),
        (Method::GET, "/ws/{id}", format!("/ws/{id}")),
    ] {
        let answer = client
            .expect(
                StatusCode::BAD_REQUEST,
                method,
                template,
                &format!("{path}?token={long_token}"),
                None,
            )
            .await;
        assert_eq!(answer.json()["error"], "bad_request");
    }

    // Paths that are not listed.
    for path in ["/nope", "/api/nope", "/api/workshops/x/y/z"] {
        let answer = client
            .api
            .send(client.request(&Method::GET, path, None))
            .await;
        client.described.check(Route::Unlisted, &answer);
    }
}

/// On every documented path, each method it does not list is refused with 405.
async fn every_path_refuses_other_methods(client: &Checked<'_>) {
    let paths: Vec<(String, BTreeSet<String>)> = client.described.description["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            (
                path.clone(),
                item.as_object().unwrap().keys().cloned().collect(),
            )
        })
        .collect();
    let mut refused = 0;
    for (template, methods) in paths {
        let path = template
            .replace("{id}", &Uuid::new_v4().to_string())
            .replace("{token_id}", "0123456789abcdef")
            .replace("{file}", "app.js");
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if methods.contains(&method.as_str().to_lowercase()) {
                continue;
            }
            let answer = client.call(method.clone(), &template, &path, None).await;
            assert_eq!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            refused += 1;
        }
    }
    assert!(refused > 50, "{refused}");
}

/// The limits a server can be started with: a create token, creations per address,
/// participants per workshop and loaded workshops.
async fn limits_answer(described: &Described) {
    let create_token = "let-me-create";
    let server = TestServer::start_with(&[
        "--create-token",
        create_token,
        "--max-creations-per-address-per-minute",
        "2",
        "--max-participants-per-workshop",
        "1",
        "--max-loaded-workshops",
        "1",
    ])
    .await;
    let client = Checked {
        api: Api::new(server.http_url()),
        described,
    };
    let body = &json!({"title": "Autumn workshop", "place": "Northshire"});
    let checked = &client;
    let create = move |token: Option<&'static str>, status: StatusCode| {
        checked.expect_json(
            status,
            Method::POST,
            "/api/workshops",
            "/api/workshops",
            token,
            body,
        )
    };
    create(None, StatusCode::UNAUTHORIZED).await;
    create(Some("not-the-create-token"), StatusCode::FORBIDDEN).await;
    let first = create(Some(create_token), StatusCode::CREATED).await.json();
    let second = create(Some(create_token), StatusCode::CREATED).await.json();
    let refused = create(Some(create_token), StatusCode::TOO_MANY_REQUESTS).await;
    assert!(refused.headers.contains_key(header::RETRY_AFTER));

    let id = first["id"].as_str().unwrap();
    let editor = first["tokens"]["editor"].as_str().unwrap();
    let participants = format!("/api/workshops/{id}/participants");
    for status in [StatusCode::CREATED, StatusCode::CONFLICT] {
        client
            .expect_json(
                status,
                Method::POST,
                "/api/workshops/{id}/participants",
                &participants,
                Some(editor),
                &registration("Ann", "commissioner"),
            )
            .await;
    }

    // The one workshop that may be loaded is in use: no other can be.
    let facilitator = first["tokens"]["facilitator"].as_str().unwrap();
    let _holding = connect_with_token(&server, id, facilitator).await;
    let other = second["id"].as_str().unwrap();
    let other_editor = second["tokens"]["editor"].as_str().unwrap();
    client
        .every_workshop_route_answers(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            other,
            other_editor,
            &registration("Bob", "provider"),
        )
        .await;
}

/// The checks above are not vacuous: with one field's type wrong in the description, a real
/// answer fails, and so does a status the description does not list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_description_fails_the_check() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let mut description = fetch_description(&api).await;
    description["components"]["schemas"]["Created"]["properties"]["id"] =
        json!({"type": "integer"});
    let described = Described::new(description);
    let request = api
        .request(Method::POST, "/api/workshops", None)
        .json(&json!({"title": "Autumn workshop", "place": "Northshire"}));
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let created = Route::Operation(&Method::POST, "/api/workshops");
    let check = catch_unwind(AssertUnwindSafe(|| described.check(created, &answer)));
    assert!(check.is_err(), "a string id passed as an integer");

    // An undocumented field fails too.
    let mut extra = answer.clone();
    let mut body = extra.json();
    body["secret"] = json!("x");
    extra.body = body.to_string().into_bytes();
    let fresh = Described::new(fetch_description(&api).await);
    assert!(catch_unwind(AssertUnwindSafe(|| fresh.check(created, &extra))).is_err());
    fresh.check(created, &answer);

    // As does a status the operation does not list.
    let mut unlisted = answer.clone();
    unlisted.status = StatusCode::IM_A_TEAPOT;
    assert!(catch_unwind(AssertUnwindSafe(|| fresh.check(created, &unlisted))).is_err());
}
