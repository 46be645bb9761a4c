//! [`ApiError`]: every failure a client can see, as `{"error": "<code>", "message": "..."}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use thiserror::Error;
use utoipa::ToSchema;

use crate::auth::{AuthError, Denied};
use crate::rooms::{LeaseError, RoomError};
use crate::store::StoreError;

/// A failed request.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The workshop id in the path is not a UUID (400 `invalid_id`).
    #[error("workshop id must be a UUID")]
    InvalidId,
    /// The body is missing, not JSON, or its fields are wrong (400 `bad_request`).
    #[error("{0}")]
    BadRequest(String),
    /// No token was presented, or the server's create token is needed (401 `unauthorized`).
    #[error("{0}")]
    Unauthorized(String),
    /// The presented token does not allow this (403 `forbidden`).
    #[error("{0}")]
    Forbidden(String),
    /// No workshop has this id (404 `not_found`).
    #[error("no workshop with this id")]
    NotFound,
    /// The workshop has no token with this id (404 `not_found`).
    #[error("no token with this id in this workshop")]
    TokenNotFound,
    /// No route has this path (404 `not_found`).
    #[error("no such route")]
    NoRoute,
    /// The route exists but not for this method (405 `method_not_allowed`).
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// The workshop already has `--max-participants-per-workshop` participants
    /// (409 `too_many_participants`).
    #[error("this workshop already has its maximum of {max} participants")]
    TooManyParticipants {
        /// The cap.
        max: usize,
    },
    /// This address created `--max-creations-per-address-per-minute` workshops in the last
    /// minute (429 `too_many_creations`, with `Retry-After`).
    #[error(
        "too many workshops were created from this address in the last minute; \
         try again in {retry_after_secs} s"
    )]
    TooManyCreations {
        /// Seconds until this address may create again.
        retry_after_secs: u64,
    },
    /// The server has `--max-loaded-workshops` workshops open, every one in use
    /// (503 `server_busy`).
    #[error("the server has as many workshops open as it may, all in use; try again later")]
    ServerBusy,
    /// The server cannot serve workshops now: it is shutting down, or its store cannot be
    /// read (503 `not_ready`, from `GET /readyz`).
    #[error("{0}")]
    NotReady(&'static str),
    /// Something failed on our side (500 `internal`); the detail goes to the log, not the
    /// client.
    #[error("internal server error")]
    Internal(String),
}

/// The stable code of an error, the `error` field of its body: what clients match on.
///
/// | code | status |
/// |---|---|
/// | `invalid_id` | 400 |
/// | `bad_request` | 400 |
/// | `unauthorized` | 401 |
/// | `forbidden` | 403 |
/// | `not_found` | 404 |
/// | `method_not_allowed` | 405 |
/// | `too_many_participants` | 409 |
/// | `too_many_creations` | 429 |
/// | `internal` | 500 |
/// | `server_busy` | 503 |
/// | `not_ready` | 503 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The workshop id in the path is not a UUID.
    InvalidId,
    /// The body, query string or a token is missing, malformed or too long.
    BadRequest,
    /// No token was presented.
    Unauthorized,
    /// The presented token does not allow this.
    Forbidden,
    /// No workshop, token or route has this id or path.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The workshop has its maximum of participants.
    TooManyParticipants,
    /// This address created its maximum of workshops in the last minute.
    TooManyCreations,
    /// Something failed on the server's side.
    Internal,
    /// Every workshop the server may hold open is in use.
    ServerBusy,
    /// The server is shutting down, or its store cannot be read.
    NotReady,
}

impl ErrorCode {
    /// Every code, in the order of their statuses.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::InvalidId,
        ErrorCode::BadRequest,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::TooManyParticipants,
        ErrorCode::TooManyCreations,
        ErrorCode::Internal,
        ErrorCode::ServerBusy,
        ErrorCode::NotReady,
    ];

    /// The HTTP status every error of this code is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidId | ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::TooManyParticipants => StatusCode::CONFLICT,
            ErrorCode::TooManyCreations => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServerBusy | ErrorCode::NotReady => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code as spelled in the body.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidId => "invalid_id",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::TooManyParticipants => "too_many_participants",
            ErrorCode::TooManyCreations => "too_many_creations",
            ErrorCode::Internal => "internal",
            ErrorCode::ServerBusy => "server_busy",
            ErrorCode::NotReady => "not_ready",
        }
    }
}

/// The JSON body of every error response: `{"error": "<code>", "message": "<plain English>"}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What went wrong, as a stable code.
    pub error: ErrorCode,
    /// The same in plain English, for people; its wording may change.
    pub message: String,
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.code().status()
    }

    /// The stable code clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::InvalidId => ErrorCode::InvalidId,
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound | ApiError::TokenNotFound | ApiError::NoRoute => ErrorCode::NotFound,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::TooManyParticipants { .. } => ErrorCode::TooManyParticipants,
            ApiError::TooManyCreations { .. } => ErrorCode::TooManyCreations,
            ApiError::ServerBusy => ErrorCode::ServerBusy,
            ApiError::NotReady(_) => ErrorCode::NotReady,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl From<RoomError> for ApiError {
    fn from(error: RoomError) -> Self {
        match error {
            RoomError::NotFound => ApiError::NotFound,
            // Sync errors and Unloaded cannot come out of an HTTP request (it sends no frames
            // and holds a lease), but they must still map to something.
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<LeaseError> for ApiError {
    fn from(error: LeaseError) -> Self {
        match error {
            LeaseError::Room(error) => error.into(),
            LeaseError::Full { .. } => ApiError::ServerBusy,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Denied(Denied::Missing) => ApiError::Unauthorized(
                "a token is required: `Authorization: Bearer <token>` or `?token=<token>`".into(),
            ),
            AuthError::Denied(denied) => ApiError::Forbidden(denied.to_string()),
            AuthError::Store(error) => error.into(),
            AuthError::Random(error) => ApiError::Internal(error.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let body = ErrorBody {
            error: self.code(),
            message: self.to_string(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        match self {
            // RFC 6750: a 401 names the scheme it wants.
            ApiError::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // RFC 6585: a 429 may say how long to wait.
            ApiError::TooManyCreations { retry_after_secs } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use http_body_util::BodyExt;

    async fn rendered(error: ApiError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn errors_render_as_code_and_message() {
        let cases = [
            (ApiError::InvalidId, 400, "invalid_id"),
            (
                ApiError::BadRequest("title must not be empty".into()),
                400,
                "bad_request",
            ),
            (
                ApiError::Unauthorized("token needed".into()),
                401,
                "unauthorized",
            ),
            (ApiError::Forbidden("not yours".into()), 403, "forbidden"),
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::TokenNotFound, 404, "not_found"),
            (ApiError::NoRoute, 404, "not_found"),
            (ApiError::MethodNotAllowed, 405, "method_not_allowed"),
            (
                ApiError::TooManyParticipants { max: 500 },
                409,
                "too_many_participants",
            ),
            (
                ApiError::TooManyCreations {
                    retry_after_secs: 7,
                },
                429,
                "too_many_creations",
            ),
            (ApiError::ServerBusy, 503, "server_busy"),
            (ApiError::Internal("disk full".into()), 500, "internal"),
        ];
        for (error, status, code) in cases {
            let message = error.to_string();
            let (got_status, body) = rendered(error).await;
            assert_eq!(got_status.as_u16(), status);
            assert_eq!(body, serde_json::json!({"error": code, "message": message}));
        }
    }

    #[test]
    fn a_429_says_when_to_retry() {
        let response = ApiError::TooManyCreations {
            retry_after_secs: 42,
        }
        .into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }

    #[test]
    fn a_full_registry_is_503_and_an_unknown_workshop_404() {
        let error = ApiError::from(LeaseError::Full { max: 3 });
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(matches!(
            ApiError::from(LeaseError::Room(RoomError::NotFound)),
            ApiError::NotFound
        ));
    }

    #[tokio::test]
    async fn internal_details_stay_out_of_the_body() {
        let (_, body) = rendered(ApiError::from(StoreError::Corrupt {
            id: uuid::Uuid::nil(),
            reason: "secret detail".into(),
        }))
        .await;
        assert!(!body.to_string().contains("secret detail"));
    }
}
