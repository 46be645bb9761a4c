//! The server's HTTP API, as the tests call it.

use reqwest::StatusCode;
use serde_json::{json, Value};

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

    /// GETs `path`; returns the status and the body as JSON (a string if it is not JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.http.get(format!("{}{path}", self.base)).send().await).await
    }

    /// POSTs `body` as JSON to `path`.
    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        read(
            self.http
                .post(format!("{}{path}", self.base))
                .json(body)
                .send()
                .await,
        )
        .await
    }

    /// POSTs a raw body with a JSON content type to `path`, e.g. one that is not JSON.
    pub async fn post_raw(&self, path: &str, body: &'static str) -> (StatusCode, Value) {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        read(request.send().await).await
    }

    /// Creates a workshop and returns its id, asserting `201 {"id": ...}`.
    pub async fn create_workshop(&self, title: &str, place: &str) -> String {
        let (status, body) = self
            .post_json("/api/workshops", &json!({"title": title, "place": place}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "create workshop: {body}");
        body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {body}"))
            .to_owned()
    }

    /// The whole document of a workshop as JSON, asserting 200.
    pub async fn document(&self, id: &str) -> Value {
        let (status, body) = self.get(&format!("/api/workshops/{id}/document")).await;
        assert_eq!(status, StatusCode::OK, "document of {id}: {body}");
        body
    }

    /// The results of a workshop (DOMAIN.md section 7), asserting 200.
    pub async fn results(&self, id: &str) -> Value {
        let (status, body) = self.get(&format!("/api/workshops/{id}/results")).await;
        assert_eq!(status, StatusCode::OK, "results of {id}: {body}");
        body
    }
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
