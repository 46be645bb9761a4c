//! The server's HTTP API, as the command line uses it.

use serde::Deserialize;
use serde_json::json;

use crate::error::CliError;
use crate::net::Net;

/// Answer to `POST /api/workshops`.
#[derive(Debug, Deserialize)]
pub struct Created {
    /// The new workshop's id.
    pub id: String,
    /// Its invite tokens by role.
    pub tokens: std::collections::BTreeMap<String, String>,
}

/// One entry of `GET /api/workshops`.
#[derive(Debug, Deserialize)]
pub struct Summary {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Place.
    pub place: String,
    /// Last change.
    pub updated_at: String,
}

/// Answer to `POST /api/workshops/{id}/participants`.
#[derive(Debug, Deserialize)]
pub struct Registered {
    /// The participant id.
    pub participant_id: String,
    /// The personal token.
    pub token: String,
    /// Its role.
    pub role: String,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    message: String,
}

/// The server's base address, checked and without a trailing slash.
pub fn base(server: &str) -> Result<String, CliError> {
    let trimmed = server.trim().trim_end_matches('/');
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) || trimmed.len() < 10 {
        return Err(CliError::BadServer(server.to_owned()));
    }
    crate::net::warn_if_in_clear(trimmed);
    Ok(trimmed.to_owned())
}

async fn send<T: for<'de> Deserialize<'de>>(
    server: &str,
    request: reqwest::RequestBuilder,
) -> Result<T, CliError> {
    let response = request
        .send()
        .await
        .map_err(|error| CliError::Unreachable {
            server: server.to_owned(),
            reason: plain(&error),
        })?;
    let status = response.status();
    if !status.is_success() {
        let message = match response.json::<ErrorBody>().await {
            Ok(body) => body.message,
            Err(_) => format!("HTTP {status}"),
        };
        return Err(CliError::Server {
            status: status.as_u16(),
            message,
        });
    }
    response
        .json::<T>()
        .await
        .map_err(|error| CliError::Server {
            status: status.as_u16(),
            message: format!("an answer this tool does not understand ({error})"),
        })
}

/// The innermost cause of a request error, which says what actually went wrong.
fn plain(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// `POST /api/workshops`.
pub async fn create(
    net: &Net,
    server: &str,
    title: &str,
    place: &str,
    create_token: Option<&str>,
) -> Result<Created, CliError> {
    let mut request = net
        .http()
        .post(format!("{server}/api/workshops"))
        .json(&json!({"title": title, "place": place}));
    if let Some(token) = create_token {
        request = request.bearer_auth(token);
    }
    send(server, request).await
}

/// `GET /api/workshops` with `tokens`.
pub async fn list(net: &Net, server: &str, tokens: &[String]) -> Result<Vec<Summary>, CliError> {
    let query: Vec<(&str, &str)> = tokens.iter().map(|t| ("token", t.as_str())).collect();
    let request = net
        .http()
        .get(format!("{server}/api/workshops"))
        .query(&query);
    match send(server, request).await {
        Err(CliError::Server { status: 403, .. }) => Ok(Vec::new()),
        other => other,
    }
}

/// `POST /api/workshops/{id}/participants`.
pub async fn register(
    net: &Net,
    server: &str,
    id: &str,
    token: &str,
    participant: &serde_json::Value,
) -> Result<Registered, CliError> {
    let request = net
        .http()
        .post(format!("{server}/api/workshops/{id}/participants"))
        .bearer_auth(token)
        .json(participant);
    match send(server, request).await {
        Err(CliError::Server { status: 404, .. }) => Err(CliError::UnknownWorkshop(id.to_owned())),
        other => other,
    }
}
