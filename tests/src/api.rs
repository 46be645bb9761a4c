//! The server's HTTP API, as the tests call it.
//!
//! Every workshop needs a token. [`Api::create_workshop`] remembers the invite tokens of each
//! workshop it creates (for the whole test process, see [`tokens_of`]), so that
//! [`Api::results`], [`Api::document`], [`TestServer::ws_url`](crate::TestServer::ws_url) and
//! [`connect`](crate::connect) act as the facilitator by default; the `_as` methods present a
//! given token instead, and [`Api::get`] and friends present none.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

/// The invite tokens `POST /api/workshops` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkshopTokens {
    /// Writes everything, mints and revokes tokens.
    pub facilitator: String,
    /// Joins and registers participants.
    pub editor: String,
    /// Reads only.
    pub viewer: String,
}

/// The tokens of every workshop created through [`Api::create_workshop`] in this process, by
/// workshop id. Ids are random UUIDs, so servers of parallel tests never collide here.
static KNOWN: Mutex<BTreeMap<String, WorkshopTokens>> = Mutex::new(BTreeMap::new());

/// The invite tokens of a workshop this process created, if it did.
pub fn tokens_of(workshop_id: &str) -> Option<WorkshopTokens> {
    KNOWN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(workshop_id)
        .cloned()
}

/// The facilitator token of a workshop this process created, if it did.
pub fn facilitator_token(workshop_id: &str) -> Option<String> {
    tokens_of(workshop_id).map(|tokens| tokens.facilitator)
}

/// An HTTP answer as it came: status, headers and the body's bytes.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The `Content-Type` header, if there is one.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }

    /// The body as JSON; panics if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A registered participant: its id and its personal token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The participant id its votes are keyed by.
    pub id: String,
    /// Its personal token.
    pub token: String,
}

/// An HTTP client of one server address.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// A client of the server at `base` (e.g. [`TestServer::http_url`](crate::TestServer::http_url)).
    pub fn new(base: impl Into<String>) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.into(),
        }
    }

    /// A client of the server at `base` whose requests leave from `local`: another loopback
    /// address (`127.0.0.2`) is another client machine to the server's per-address limits.
    pub fn from_address(base: impl Into<String>, local: std::net::IpAddr) -> Api {
        let http = reqwest::Client::builder()
            .local_address(local)
            .build()
            .unwrap_or_else(|error| panic!("an HTTP client bound to {local}: {error}"));
        Api {
            http,
            base: base.into(),
        }
    }

    /// A request to `path`, presenting `token` as a bearer token if given; add to it and send
    /// it with [`Api::send`] to see the answer as it came.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends `request` (from [`Api::request`]) and returns the answer as it came.
    pub async fn send(&self, request: RequestBuilder) -> RawAnswer {
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("HTTP request failed: {error}"));
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|error| panic!("read HTTP body: {error}"))
            .to_vec();
        RawAnswer {
            status,
            headers,
            body,
        }
    }

    /// GETs `path` without a token; returns the status and the body as JSON (a string if it
    /// is not JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.request(Method::GET, path, None).send().await).await
    }

    /// `GET /metrics`: the server's figures, as text.
    pub async fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics").await;
        assert_eq!(status, StatusCode::OK, "GET /metrics: {body}");
        body.as_str()
            .unwrap_or_else(|| panic!("metrics are text, got {body}"))
            .to_owned()
    }

    /// GETs `path` presenting `token` as a bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> (StatusCode, Value) {
        read(self.request(Method::GET, path, Some(token)).send().await).await
    }

    /// POSTs `body` as JSON to `path` without a token.
    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        read(
            self.request(Method::POST, path, None)
                .json(body)
                .send()
                .await,
        )
        .await
    }

    /// POSTs `body` as JSON to `path` presenting `token`.
    pub async fn post_json_as(&self, path: &str, body: &Value, token: &str) -> (StatusCode, Value) {
        let request = self.request(Method::POST, path, Some(token)).json(body);
        read(request.send().await).await
    }

    /// DELETEs `path` presenting `token`.
    pub async fn delete_as(&self, path: &str, token: &str) -> (StatusCode, Value) {
        read(self.request(Method::DELETE, path, Some(token)).send().await).await
    }

    /// POSTs a raw body with a JSON content type to `path`, e.g. one that is not JSON.
    pub async fn post_raw(&self, path: &str, body: &'static str) -> (StatusCode, Value) {
        let request = self
            .request(Method::POST, path, None)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        read(request.body(body).send().await).await
    }

    /// Creates a workshop and returns its id, asserting `201 {"id", "tokens"}`; its tokens are
    /// remembered ([`tokens_of`]).
    pub async fn create_workshop(&self, title: &str, place: &str) -> String {
        let body = json!({"title": title, "place": place});
        let (status, created) = self.post_json("/api/workshops", &body).await;
        assert_eq!(status, StatusCode::CREATED, "create workshop: {created}");
        remember(&created)
    }

    /// Creates a workshop presenting the server's create token; see
    /// [`create_workshop`](Self::create_workshop).
    pub async fn create_workshop_as(&self, title: &str, place: &str, token: &str) -> String {
        let body = json!({"title": title, "place": place});
        let (status, created) = self.post_json_as("/api/workshops", &body, token).await;
        assert_eq!(status, StatusCode::CREATED, "create workshop: {created}");
        remember(&created)
    }

    /// The whole document of a workshop as JSON, as its facilitator; asserts 200.
    pub async fn document(&self, id: &str) -> Value {
        let (status, body) = self
            .get_known(&format!("/api/workshops/{id}/document"), id)
            .await;
        assert_eq!(status, StatusCode::OK, "document of {id}: {body}");
        body
    }

    /// The results of a workshop (DOMAIN.md section 7), as its facilitator; asserts 200.
    pub async fn results(&self, id: &str) -> Value {
        let (status, body) = self
            .get_known(&format!("/api/workshops/{id}/results"), id)
            .await;
        assert_eq!(status, StatusCode::OK, "results of {id}: {body}");
        body
    }

    /// Mints an invite token of `role` as the workshop's facilitator; returns its public id
    /// and its secret.
    pub async fn mint(&self, id: &str, role: &str) -> (String, String) {
        let token = known_facilitator(id);
        let (status, minted) = self
            .post_json_as(
                &format!("/api/workshops/{id}/tokens"),
                &json!({"role": role}),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "mint a {role} token: {minted}");
        (string(&minted, "id"), string(&minted, "token"))
    }

    /// Revokes a token by public id as the workshop's facilitator; asserts 204.
    pub async fn revoke(&self, id: &str, token_id: &str) {
        let token = known_facilitator(id);
        let (status, body) = self
            .delete_as(&format!("/api/workshops/{id}/tokens/{token_id}"), &token)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "revoke {token_id}: {body}");
    }

    /// Registers a participant presenting `token` (an editor or facilitator token), with the
    /// given DOMAIN.md `role` and `world`; asserts 201.
    pub async fn register(
        &self,
        id: &str,
        token: &str,
        name: &str,
        role: &str,
        world: &str,
    ) -> Participant {
        let body = json!({
            "name": name,
            "organisation": "Northshire Council",
            "role": role,
            "world": world,
            "group": "",
        });
        let (status, registered) = self
            .post_json_as(&format!("/api/workshops/{id}/participants"), &body, token)
            .await;
        assert_eq!(status, StatusCode::CREATED, "register {name}: {registered}");
        Participant {
            id: string(&registered, "participant_id"),
            token: string(&registered, "token"),
        }
    }

    /// Registers an editor participant (a commissioner of the management world) with the
    /// workshop's editor invite.
    pub async fn register_editor(&self, id: &str, name: &str) -> Participant {
        let editor = tokens_of(id)
            .unwrap_or_else(|| panic!("workshop {id} was not created by this process"))
            .editor;
        self.register(id, &editor, name, "commissioner", "management")
            .await
    }

    /// GETs `path` as the facilitator of workshop `id` when this process created it, else
    /// without a token.
    async fn get_known(&self, path: &str, id: &str) -> (StatusCode, Value) {
        match facilitator_token(id) {
            Some(token) => self.get_as(path, &token).await,
            None => self.get(path).await,
        }
    }
}

fn known_facilitator(id: &str) -> String {
    facilitator_token(id).unwrap_or_else(|| panic!("workshop {id} was not created by this process"))
}

/// Records the tokens of a `POST /api/workshops` answer; returns the id.
fn remember(created: &Value) -> String {
    let id = string(created, "id");
    let tokens = WorkshopTokens {
        facilitator: string(&created["tokens"], "facilitator"),
        editor: string(&created["tokens"], "editor"),
        viewer: string(&created["tokens"], "viewer"),
    };
    KNOWN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id.clone(), tokens);
    id
}

fn string(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{field}` in {value}"))
        .to_owned()
}

async fn read(response: reqwest::Result<reqwest::Response>) -> (StatusCode, Value) {
    let response = response.unwrap_or_else(|error| panic!("HTTP request failed: {error}"));
    let status = response.status();
    let text = response
        .text()
        .await
        .unwrap_or_else(|error| panic!("read HTTP body: {error}"));
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// The value of one sample of a `/metrics` text, e.g. `workshop_corrupt_records_total`.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}
