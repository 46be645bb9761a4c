//! A y-sync client of the workshop server.
//!
//! The server speaks the standard y-sync protocol (the one of `y-websocket`) on
//! `ws://HOST/ws/{workshop id}`, one message per binary frame. This crate keeps a local
//! [`yrs::Doc`] in step with one workshop on such a server. It backs the `workshop` command line
//! tool and the end-to-end tests, so it makes no assumption about what the caller does with the
//! document.
//!
//! - [`client`] owns the document, its awareness and the connection lifecycle: connect, initial
//!   handshake, live updates, disconnect and reconnect with the same document, waiting for a
//!   condition on the document.
//! - [`connection`] is the task that owns one WebSocket: bytes in and out, close frames.
//! - [`protocol`] is the sans-IO part: frames to [`yrs::sync::Message`]s and back, and the
//!   [`yrs::sync::Protocol`] that tags remotely applied updates so they are not echoed back.
//! - [`path`] walks nested maps of a document by their keys.
//! - [`local`] is the command-line tool's state on disk: each workshop's document and what
//!   the device knows about it.
//! - [`tls`] is the TLS configuration of `https://` and `wss://` servers (the Mozilla roots,
//!   plus a private certificate authority's).
//! - [`error`] is the error type.
//!
//! ```no_run
//! use std::time::Duration;
//! use workshop_client::{path, workshop_url, SyncClient};
//! use yrs::{Map, Transact};
//!
//! # async fn example() -> Result<(), workshop_client::ClientError> {
//! let url = workshop_url("http://127.0.0.1:8080", "0b9c6d1e-4c9e-4d07-9f43-3e6f4c1c2a10")?;
//! let mut client = SyncClient::new();
//! client.connect(&url).await?;
//! {
//!     let mut txn = client.doc().transact_mut();
//!     let path = ["whole-system", "factors", "shared-understanding", "scores"];
//!     if let Some(scores) = path::map_at(&txn, "aspects", &path) {
//!         scores.insert(&mut txn, "my-participant-id", 4);
//!     }
//! }
//! // Wait until the server has written its recomputed figures.
//! client
//!     .wait_for(|txn| path::json_at(txn, "results", &["aspects"]).is_some(), Duration::from_secs(10))
//!     .await?;
//! client.disconnect().await;
//! # Ok(())
//! # }
//! ```

pub mod client;
pub mod connection;
pub mod edit;
pub mod error;
pub mod local;
pub mod path;
pub mod protocol;
pub mod tls;

pub use client::{workshop_url, Revision, SyncClient, DEFAULT_CONNECT_TIMEOUT};
pub use connection::{CloseInfo, ConnectionState, Ended};
pub use error::ClientError;
