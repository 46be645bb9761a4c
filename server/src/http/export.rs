//! The workshop's exports as downloads: `GET /api/workshops/{id}/export.xlsx`, `export.md`
//! and `export.csv`, for any role's token (the rights of `GET .../document`).
//!
//! The files are made by [`workshop_shared::export`] with the figures as of the server's
//! clock's today. Markdown and CSV are made on a read transaction of the room's document;
//! the workbook, which takes longer to compress, from a copy of the document on a blocking
//! thread, so the room is not held up while it is written.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use workshop_shared::{export, model, schema};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use super::handlers::workshop_id;
use super::openapi::{
    Forbidden, Internal, InvalidId, ServerBusy, Unauthorized, WorkshopNotFound, TAG_WORKSHOPS,
};
use super::ApiError;
use crate::auth::{self, Need, Presented};
use crate::rooms::Lease;
use crate::state::AppState;

/// Media type of the workbook.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Media type of the Markdown report.
pub const MARKDOWN_TYPE: &str = "text/markdown; charset=utf-8";
/// Media type of the votes table.
pub const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// Longest file name stem offered, in characters.
const MAX_STEM_CHARS: usize = 100;

/// `GET /api/workshops/{id}/export.xlsx`: the workshop as an Excel workbook.
#[utoipa::path(
    get,
    path = "/api/workshops/{id}/export.xlsx",
    tag = TAG_WORKSHOPS,
    summary = "The workshop as an Excel workbook",
    description = "The workshop as a workbook like the self-assessment tool's, figures as of \
        the server's today, as the attachment `<title>.xlsx`. Any role's token.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The workbook.", content_type = XLSX_TYPE,
            headers(("Content-Disposition" = String, description = "`attachment`, with the \
                file name made from the workshop's title."))),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = WorkshopNotFound),
        (status = 500, response = Internal),
        (status = 503, response = ServerBusy),
    )
)]
pub async fn workbook(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
) -> Result<Response, ApiError> {
    let room = open(&state, id, &presented).await?;
    let today = state.rooms.clock().today();
    let (title, snapshot) = room.read(|txn| {
        let snapshot = txn.encode_state_as_update_v1(&StateVector::default());
        (title(txn), snapshot)
    })?;
    drop(room);
    let bytes = tokio::task::spawn_blocking(move || {
        let copy = copy_of(&snapshot)?;
        let txn = copy.transact();
        export::workbook(&txn, today).map_err(|error| ApiError::Internal(error.to_string()))
    })
    .await
    .map_err(|error| ApiError::Internal(error.to_string()))??;
    Ok(download(XLSX_TYPE, title.as_deref(), "xlsx", bytes))
}

/// `GET /api/workshops/{id}/export.md`: the workshop as a Markdown report.
#[utoipa::path(
    get,
    path = "/api/workshops/{id}/export.md",
    tag = TAG_WORKSHOPS,
    summary = "The workshop as a Markdown report",
    description = "The workshop as a written report in Markdown, figures as of the server's \
        today, as the attachment `<title>.md`. Any role's token.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The report.", body = String, content_type = MARKDOWN_TYPE,
            headers(("Content-Disposition" = String, description = "`attachment`, with the \
                file name made from the workshop's title."))),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = WorkshopNotFound),
        (status = 500, response = Internal),
        (status = 503, response = ServerBusy),
    )
)]
pub async fn markdown(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
) -> Result<Response, ApiError> {
    let room = open(&state, id, &presented).await?;
    let today = state.rooms.clock().today();
    let (title, text) = room.read(|txn| (title(txn), export::markdown(txn, today)))?;
    Ok(download(
        MARKDOWN_TYPE,
        title.as_deref(),
        "md",
        text.into_bytes(),
    ))
}

/// `GET /api/workshops/{id}/export.csv`: every vote, one row each.
#[utoipa::path(
    get,
    path = "/api/workshops/{id}/export.csv",
    tag = TAG_WORKSHOPS,
    summary = "Every vote as a CSV table",
    description = "Every vote as one row of a long-format table (kind, aspect, factor or \
        item, participant, organisation, world, value), as the attachment `<title>.csv`. Any \
        role's token.",
    params(("id" = Uuid, Path, description = "The workshop's id.")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The votes.", body = String, content_type = CSV_TYPE,
            headers(("Content-Disposition" = String, description = "`attachment`, with the \
                file name made from the workshop's title."))),
        (status = 400, response = InvalidId),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = WorkshopNotFound),
        (status = 500, response = Internal),
        (status = 503, response = ServerBusy),
    )
)]
pub async fn votes_csv(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    presented: Presented,
) -> Result<Response, ApiError> {
    let room = open(&state, id, &presented).await?;
    let (title, csv) = room.read(|txn| (title(txn), export::votes_csv(txn)))?;
    let csv = csv.map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(download(
        CSV_TYPE,
        title.as_deref(),
        "csv",
        csv.into_bytes(),
    ))
}

/// Checks the token grants reading the workshop, then leases its room.
async fn open(
    state: &AppState,
    id: Result<Path<String>, PathRejection>,
    presented: &Presented,
) -> Result<Lease, ApiError> {
    let id = workshop_id(id)?;
    auth::grant(state, presented, id, Need::Read).await?;
    Ok(state.rooms.lease(id).await?)
}

fn title<T: ReadTxn>(txn: &T) -> Option<String> {
    model::read_meta_summary(txn).title
}

/// A document holding the update `snapshot`, its root maps typed as the exports read them.
fn copy_of(snapshot: &[u8]) -> Result<Doc, ApiError> {
    let internal = |error: &dyn std::fmt::Display| ApiError::Internal(error.to_string());
    let update = Update::decode_v1(snapshot).map_err(|e| internal(&e))?;
    let doc = Doc::new();
    doc.transact_mut()
        .apply_update(update)
        .map_err(|e| internal(&e))?;
    for root in schema::ROOTS {
        doc.get_or_insert_map(root);
    }
    Ok(doc)
}

/// A file download: its media type, an attachment disposition named after the title, and
/// no caching (the content is as private as the token that fetched it).
fn download(
    media_type: &'static str,
    title: Option<&str>,
    extension: &str,
    body: Vec<u8>,
) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
        (
            header::CONTENT_DISPOSITION,
            content_disposition(title, extension),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    (headers, body).into_response()
}

/// `attachment; filename="<stem>.<ext>"; filename*=UTF-8''<stem>.<ext>`: the plain name in
/// ASCII for every client, the exact one percent-encoded (RFC 6266) for those that read it.
pub fn content_disposition(title: Option<&str>, extension: &str) -> HeaderValue {
    let stem = file_stem(title.unwrap_or(""));
    let ascii: String = stem
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let mut value = format!("attachment; filename=\"{ascii}.{extension}\"");
    if ascii != stem {
        value.push_str(&format!(
            "; filename*=UTF-8''{}.{extension}",
            percent_encode(&stem)
        ));
    }
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// A file name from a title: letters, digits and a little punctuation kept, anything else
/// (quotes, slashes, control characters) made a space, spaces collapsed, leading dots
/// dropped, at most 100 characters; `workshop` when nothing is left.
pub fn file_stem(title: &str) -> String {
    let kept: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ',' | '(' | ')' | '&' | '+') {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = kept.split_whitespace().collect();
    let joined = words.join(" ");
    let stem: String = joined
        .trim_start_matches(['.', ' '])
        .chars()
        .take(MAX_STEM_CHARS)
        .collect();
    let stem = stem.trim_end().to_owned();
    if stem.is_empty() {
        "workshop".to_owned()
    } else {
        stem
    }
}

/// Percent-encodes everything but RFC 5987's `attr-char`s.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        let plain = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if plain {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Cursor;

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use calamine::{open_workbook_from_rs, Reader, Xlsx};
    use http_body_util::BodyExt;
    use serde_json::json;
    use time::macros::datetime;
    use tower::ServiceExt;

    use super::*;
    use crate::clock::Clock;
    use crate::http::router;
    use crate::state::Settings;
    use crate::store::Store;

    fn state() -> AppState {
        AppState::new(
            Store::temporary().unwrap(),
            Clock::from_fn(|| datetime!(2026-11-23 09:00 UTC)),
            Settings::default(),
        )
    }

    async fn get(
        state: &AppState,
        uri: &str,
        token: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut request = Request::builder().method(Method::GET).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = router(state.clone())
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body.to_vec())
    }

    /// Creates a workshop; returns its id and its viewer token.
    async fn create(state: &AppState, title: &str) -> (String, String) {
        let body = json!({"title": title, "place": "Northshire"}).to_string();
        let request = Request::post("/api/workshops")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        (
            value["id"].as_str().unwrap().to_owned(),
            value["tokens"]["viewer"].as_str().unwrap().to_owned(),
        )
    }

    fn error_code(body: &[u8]) -> String {
        let value: serde_json::Value = serde_json::from_slice(body).unwrap();
        value["error"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn each_export_downloads_with_its_type_and_file_name() {
        let state = state();
        let (id, viewer) = create(&state, "Autumn: plan/2026 \"final\"").await;
        for (extension, media_type) in [
            ("xlsx", XLSX_TYPE),
            ("md", MARKDOWN_TYPE),
            ("csv", CSV_TYPE),
        ] {
            let uri = format!("/api/workshops/{id}/export.{extension}");
            let (status, headers, body) = get(&state, &uri, Some(&viewer)).await;
            assert_eq!(status, StatusCode::OK, "{extension}");
            assert_eq!(headers[header::CONTENT_TYPE], media_type);
            assert_eq!(
                headers[header::CONTENT_DISPOSITION],
                format!("attachment; filename=\"Autumn plan 2026 final.{extension}\"").as_str()
            );
            assert_eq!(headers[header::CACHE_CONTROL], "no-store");
            assert!(!body.is_empty());
        }

        let (_, _, body) = get(
            &state,
            &format!("/api/workshops/{id}/export.xlsx"),
            Some(&viewer),
        )
        .await;
        let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(body)).unwrap();
        let names = book.sheet_names();
        assert_eq!(names.len(), 14, "{names:?}");
        for sheet in [
            "Quick assessment",
            "Whole system design",
            "Approach fit",
            "Constraints and enablers",
            "Development plan",
            "Hypotheses",
            "Gap analysis",
        ] {
            assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
        }

        let (_, _, body) = get(
            &state,
            &format!("/api/workshops/{id}/export.md"),
            Some(&viewer),
        )
        .await;
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.starts_with("# Autumn: plan/2026 \"final\"\n"),
            "{text}"
        );
        assert!(text.contains("**Place:** Northshire"));
        assert!(text.contains("**Figures as of:** 23 November 2026"));

        let (_, _, body) = get(
            &state,
            &format!("/api/workshops/{id}/export.csv?token={viewer}"),
            None,
        )
        .await;
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "kind,aspect_id,aspect_title,factor_or_item_id,factor_or_item_title,\
             participant_id,participant_name,organisation,world,value\r\n"
        );
    }

    #[tokio::test]
    async fn exports_need_a_token_of_the_workshop() {
        let state = state();
        let (id, _) = create(&state, "Mine").await;
        let (_, other) = create(&state, "Theirs").await;
        for extension in ["xlsx", "md", "csv"] {
            let uri = format!("/api/workshops/{id}/export.{extension}");
            let (status, headers, body) = get(&state, &uri, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{extension}");
            assert_eq!(error_code(&body), "unauthorized");
            assert_eq!(headers[header::CONTENT_TYPE], "application/json");
            let (status, _, body) = get(&state, &uri, Some(&other)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{extension}");
            assert_eq!(error_code(&body), "forbidden");
            let (status, _, _) = get(
                &state,
                &format!("/api/workshops/nope/export.{extension}"),
                Some(&other),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(file_stem("  ../../etc/passwd "), "etc passwd");
        assert_eq!(file_stem("\"\\\u{0}\r\n"), "workshop");
        assert_eq!(file_stem(&"x".repeat(300)).len(), MAX_STEM_CHARS);
        assert_eq!(
            content_disposition(Some("Café Northshire"), "md"),
            "attachment; filename=\"Caf_ Northshire.md\"; \
             filename*=UTF-8''Caf%C3%A9%20Northshire.md"
        );
        assert_eq!(
            content_disposition(None, "csv"),
            "attachment; filename=\"workshop.csv\""
        );
    }
}
