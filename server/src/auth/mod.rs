//! Who may do what: access tokens, what a presented token grants, and the live connections
//! of each token (so revoking one closes them).
//!
//! - [`token`]: secrets (256 random bits from the OS), their SHA-256 digests, constant-time
//!   comparison. Only digests are stored ([`crate::store::tokens`]).
//! - This file: token records, [`authorize`] (a pure decision over a looked-up record), where
//!   a request presents its tokens ([`Presented`]), and the async glue that looks tokens up
//!   and mints new ones.
//! - [`live`]: the registry of live WebSocket connections per token id.
//!
//! Roles and kinds:
//!
//! | token | HTTP | WebSocket writes ([`workshop_shared::access`]) |
//! |---|---|---|
//! | viewer invite | read | none |
//! | editor invite | read, register a participant | none |
//! | editor personal (bound to a participant id) | read | own votes and ordinary content |
//! | facilitator invite | everything, mint and revoke tokens | everything |
//! | facilitator personal | everything but registering, mint and revoke tokens | everything |
//!
//! Only invite tokens register participants: a personal token speaks for the one participant
//! it was issued to, so it cannot mint further identities (and votes) for its holder.

pub mod live;
pub mod token;

pub use live::{LiveConnections, Registration};
pub use token::{generate_token_id, RandomError, Token, TokenHash};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;
use uuid::Uuid;
use workshop_shared::access::Capability;

use crate::state::AppState;
use crate::store::{blocking, StoreError};

/// The role a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = TokenRole)]
pub enum Role {
    /// Runs the workshop: writes everything, mints and revokes tokens.
    Facilitator,
    /// Takes part: registers, then writes under its own participant id.
    Editor,
    /// Watches: reads everything live, writes nothing.
    Viewer,
}

impl Role {
    /// Every role, strongest first.
    pub const ALL: [Role; 3] = [Role::Facilitator, Role::Editor, Role::Viewer];

    /// The role as spelled in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Facilitator => "facilitator",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    /// Parses the API's spelling.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// Whether a token is shared by everyone invited with it, or belongs to one participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Handed to everyone invited in a role.
    Invite,
    /// Returned by registering a participant; bound to that participant id.
    Personal,
}

/// What the server keeps about a token (under the digest of its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Public id: listed, and used to revoke. Never the secret.
    pub id: String,
    /// The one workshop the token grants access to.
    pub workshop: Uuid,
    /// What it may do there.
    pub role: Role,
    /// Invite or personal.
    pub kind: TokenKind,
    /// The participant a personal token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<String>,
    /// Revoked tokens grant nothing.
    #[serde(default)]
    pub revoked: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// What a request asks to do with a workshop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read it: results, document, join its WebSocket.
    Read,
    /// Register a participant: editor and facilitator invites, never personal tokens.
    Register,
    /// Manage it: mint, list and revoke tokens.
    Facilitate,
}

/// What a token was found to grant on one workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The workshop.
    pub workshop: Uuid,
    /// The token's public id (live connections are registered under it).
    pub token_id: String,
    /// Its role.
    pub role: Role,
    /// Its kind.
    pub kind: TokenKind,
    /// The participant a personal token is bound to.
    pub participant_id: Option<String>,
}

impl Grant {
    /// What a connection joined with this grant may write.
    pub fn capability(&self) -> Capability {
        match (self.role, self.kind, &self.participant_id) {
            (Role::Facilitator, _, _) => Capability::Facilitator,
            (Role::Editor, TokenKind::Personal, Some(participant)) => {
                Capability::Participant(participant.clone())
            }
            (Role::Editor, _, _) => Capability::EditorInvite,
            (Role::Viewer, _, _) => Capability::Viewer,
        }
    }
}

/// Why a request was not let in.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Denied {
    /// No token was presented (HTTP 401, close 4401).
    #[error("a token is required")]
    Missing,
    /// The token is unknown, or grants nothing on this workshop (HTTP 403, close 4403).
    #[error("this token does not grant access to this workshop")]
    Forbidden,
    /// The token was revoked (HTTP 403, close 4403).
    #[error("this token was revoked")]
    Revoked,
    /// The token grants access, but not to this (HTTP 403, close 4403).
    #[error("this token's role may not do this")]
    Insufficient,
    /// A personal token asked to register a participant: only invite tokens do (HTTP 403).
    #[error("only an invite token may register participants; a personal token may not")]
    NotAnInvite,
}

/// Decides what a looked-up token grants: `record` is what the digest of the presented secret
/// found (`None`: nothing), `workshop` the workshop asked about, `need` what is asked.
///
/// Pure: the lookup is the caller's.
pub fn authorize(
    record: Option<&TokenRecord>,
    workshop: Uuid,
    need: Need,
) -> Result<Grant, Denied> {
    let record = record.ok_or(Denied::Forbidden)?;
    if record.workshop != workshop {
        return Err(Denied::Forbidden);
    }
    if record.revoked {
        return Err(Denied::Revoked);
    }
    let allowed = match need {
        Need::Read => true,
        Need::Register => matches!(record.role, Role::Facilitator | Role::Editor),
        Need::Facilitate => record.role == Role::Facilitator,
    };
    if !allowed {
        return Err(Denied::Insufficient);
    }
    if need == Need::Register && record.kind != TokenKind::Invite {
        return Err(Denied::NotAnInvite);
    }
    Ok(Grant {
        workshop,
        token_id: record.id.clone(),
        role: record.role,
        kind: record.kind,
        participant_id: record.participant_id.clone(),
    })
}

/// The token secrets a request presents: every `Authorization: Bearer <token>` header and
/// every `token` query parameter (which y-websocket's `params` option sends), in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presented(pub Vec<String>);

impl Presented {
    /// Reads the tokens of a request's headers and raw query string.
    pub fn from_request(headers: &HeaderMap, query: Option<&str>) -> Presented {
        let mut tokens = Vec::new();
        for value in headers.get_all(AUTHORIZATION) {
            let Ok(value) = value.to_str() else { continue };
            let mut parts = value.trim().splitn(2, ' ');
            let (Some(scheme), Some(token)) = (parts.next(), parts.next()) else {
                continue;
            };
            if scheme.eq_ignore_ascii_case("bearer") {
                tokens.push(token.trim().to_owned());
            }
        }
        for pair in query.unwrap_or_default().split('&') {
            if let Some(("token", value)) = pair.split_once('=') {
                tokens.push(percent_decode(value));
            }
        }
        // Empty or absurdly long values are not tokens; hashing them would be wasted work.
        tokens.retain(|token| !token.is_empty() && token.len() <= token::MAX_PRESENTED_BYTES);
        Presented(tokens)
    }

    /// Whether no token was presented.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Presented {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Presented::from_request(&parts.headers, parts.uri.query()))
    }
}

/// Decodes `%XX` escapes and `+` of a query value; malformed escapes are kept as they are.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes[i] {
            b'+' => Some((b' ', 1)),
            b'%' => bytes
                .get(i + 1..i + 3)
                .and_then(|pair| std::str::from_utf8(pair).ok())
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .map(|byte| (byte, 3)),
            _ => None,
        };
        let (byte, width) = decoded.unwrap_or((bytes[i], 1));
        out.push(byte);
        i += width;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A failed access check or token operation.
#[derive(Debug, Error)]
pub enum AuthError {
    /// The request was not let in.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// Looking the token up or storing it failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No random bytes for a new token.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Looks up the first presented token that grants `need` on `workshop`. When none does, the
/// most telling refusal is returned (revoked over insufficient over forbidden).
pub async fn grant(
    state: &AppState,
    presented: &Presented,
    workshop: Uuid,
    need: Need,
) -> Result<Grant, AuthError> {
    if presented.is_empty() {
        return Err(Denied::Missing.into());
    }
    let mut refusal = Denied::Forbidden;
    for secret in &presented.0 {
        let record = lookup(state, secret).await?;
        match authorize(record.as_ref(), workshop, need) {
            Ok(grant) => return Ok(grant),
            Err(denied) => {
                if rank(&denied) > rank(&refusal) {
                    refusal = denied;
                }
            }
        }
    }
    Err(refusal.into())
}

fn rank(denied: &Denied) -> u8 {
    match denied {
        Denied::Missing | Denied::Forbidden => 0,
        Denied::Insufficient | Denied::NotAnInvite => 1,
        Denied::Revoked => 2,
    }
}

/// The stored record of a presented secret, if any (looked up by its digest).
pub async fn lookup(state: &AppState, secret: &str) -> Result<Option<TokenRecord>, StoreError> {
    let hash = TokenHash::of(secret);
    let store = state.store.clone();
    blocking(move || store.token(&hash)).await
}

/// Mints and stores a token (not yet flushed: the caller flushes once it has stored all it
/// needs to).
pub async fn mint(
    state: &AppState,
    workshop: Uuid,
    role: Role,
    kind: TokenKind,
    participant_id: Option<String>,
) -> Result<(Token, TokenRecord), AuthError> {
    let token = Token::generate()?;
    let record = TokenRecord {
        id: generate_token_id()?,
        workshop,
        role,
        kind,
        participant_id,
        revoked: false,
        created_at: state.rooms.clock().timestamp(),
    };
    let store = state.store.clone();
    let (hash, stored) = (token.hash(), record.clone());
    blocking(move || store.insert_token(&hash, &stored)).await?;
    Ok((token, record))
}

/// Makes every stored token durable.
pub async fn flush(state: &AppState) -> Result<(), StoreError> {
    let store = state.store.clone();
    blocking(move || store.flush()).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use axum::http::HeaderValue;

    fn record(workshop: Uuid, role: Role, kind: TokenKind) -> TokenRecord {
        TokenRecord {
            id: "0123456789abcdef".into(),
            workshop,
            role,
            kind,
            participant_id: (kind == TokenKind::Personal).then(|| "p1".to_owned()),
            revoked: false,
            created_at: "2026-11-23T09:00:00Z".into(),
        }
    }

    #[test]
    fn a_token_grants_only_its_own_workshop_and_never_once_revoked() {
        let (mine, other) = (Uuid::new_v4(), Uuid::new_v4());
        let viewer = record(mine, Role::Viewer, TokenKind::Invite);
        assert!(authorize(Some(&viewer), mine, Need::Read).is_ok());
        assert_eq!(
            authorize(Some(&viewer), other, Need::Read),
            Err(Denied::Forbidden)
        );
        assert_eq!(authorize(None, mine, Need::Read), Err(Denied::Forbidden));
        let revoked = TokenRecord {
            revoked: true,
            ..viewer.clone()
        };
        assert_eq!(
            authorize(Some(&revoked), mine, Need::Read),
            Err(Denied::Revoked)
        );
        // A revoked token of another workshop says nothing about this one.
        assert_eq!(
            authorize(Some(&revoked), other, Need::Read),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn roles_decide_what_may_be_done_and_written() {
        let id = Uuid::new_v4();
        let cases = [
            (
                Role::Viewer,
                TokenKind::Invite,
                [true, false, false],
                Capability::Viewer,
            ),
            (
                Role::Editor,
                TokenKind::Invite,
                [true, true, false],
                Capability::EditorInvite,
            ),
            (
                Role::Editor,
                TokenKind::Personal,
                [true, false, false],
                Capability::Participant("p1".into()),
            ),
            (
                Role::Facilitator,
                TokenKind::Invite,
                [true, true, true],
                Capability::Facilitator,
            ),
            (
                Role::Facilitator,
                TokenKind::Personal,
                [true, false, true],
                Capability::Facilitator,
            ),
        ];
        for (role, kind, allowed, capability) in cases {
            let record = record(id, role, kind);
            for (need, allowed) in [Need::Read, Need::Register, Need::Facilitate]
                .into_iter()
                .zip(allowed)
            {
                let verdict = authorize(Some(&record), id, need);
                assert_eq!(verdict.is_ok(), allowed, "{role:?} {kind:?} {need:?}");
                if let Ok(grant) = verdict {
                    assert_eq!(grant.capability(), capability);
                } else if need == Need::Register && role != Role::Viewer {
                    assert_eq!(verdict, Err(Denied::NotAnInvite), "{role:?} {kind:?}");
                } else {
                    assert_eq!(verdict, Err(Denied::Insufficient));
                }
            }
        }
    }

    #[test]
    fn tokens_come_from_bearer_headers_and_token_query_parameters() {
        let mut headers = HeaderMap::new();
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        headers.append(AUTHORIZATION, HeaderValue::from_static("bearer  def "));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        let presented = Presented::from_request(&headers, Some("a=1&token=g%2Bh+i&token=&b"));
        assert_eq!(presented.0, ["abc", "def", "g+h i"]);
        assert!(Presented::from_request(&HeaderMap::new(), None).is_empty());
        let long = format!("token={}", "x".repeat(token::MAX_PRESENTED_BYTES + 1));
        assert!(Presented::from_request(&HeaderMap::new(), Some(&long)).is_empty());
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn roles_round_trip_their_spelling() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::Value::from(role.as_str())
            );
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
