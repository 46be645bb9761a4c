//! The workshop server: an HTTP API and y-sync WebSocket rooms over workshop documents,
//! durable in sled, with the scoring engine of `workshop-shared` re-run on every change.
//!
//! How the files divide the work:
//!
//! - [`config`]: command-line flags with environment fallbacks.
//! - [`accept`]: the accept loop (HTTP/1 with a header-read timeout, each request told its
//!   peer address, graceful stop).
//! - [`state`]: [`AppState`], the handle every handler shares, and the shutdown sequence.
//! - [`auth`]: access tokens (generated, hashed, compared in constant time), what a token
//!   grants, and the live connections of each token.
//! - [`http`]: routes, handlers and [`http::ApiError`] (`{"error", "message"}` bodies), and
//!   the API's OpenAPI description, made from the same declarations as the routes.
//! - [`ws`]: the WebSocket endpoint; the only module that sees sockets.
//! - [`limits`]: the limits on clients (update rate, connections, pending bytes) and
//!   their pure rules; [`per_address`]: the limits per client address (connections,
//!   creations per minute); [`forwarded`]: which address a request comes from (the peer, or
//!   a trusted proxy's `X-Forwarded-For`).
//! - [`sync`]: the y-sync protocol for one connection, bytes in and messages out.
//! - [`rooms`]: loaded workshops (document, awareness, peers), loading on first use,
//!   recompute on change, compaction, and unloading when idle.
//! - [`store`]: sled persistence (records, snapshots, update log) and group-commit flushing.
//! - [`web`]: the browser page (built from `web/` and embedded), served at `/`.
//! - [`metrics`]: process-wide counters and histograms, served as `GET /metrics`.
//! - [`clock`]: injected wall-clock time. [`shutdown`]: the SIGINT/SIGTERM future.
//!
//! A client's update is applied to the room's document, appended to the workshop's log and
//! flushed to disk before it is relayed to the other clients. Each change then wakes the
//! room's recompute task, which writes the engine's new results into the document's
//! `results` map and sends that update to every client, the author included.
//!
//! Two flags turn parts of this off, for benchmarks against plain y-sync servers (both are
//! on by default; see [`config::Config`]): `--durability off` relays updates and answers sync
//! steps without waiting for the flush (they are still appended to the log, and sled writes
//! them to disk on its own schedule, so **a crash can lose updates that clients have already
//! received**), and `--recompute off` never runs the engine nor writes `results`
//! (`GET /api/workshops/{id}/results` then computes the figures on demand).
//!
//! ```no_run
//! # async fn demo() -> Result<(), workshop_server::ServerError> {
//! use clap::Parser;
//! let config = workshop_server::Config::parse();
//! let listener = tokio::net::TcpListener::bind(&config.bind).await?;
//! workshop_server::run(listener, config, workshop_server::shutdown::signal()).await
//! # }
//! ```

pub mod accept;
pub mod auth;
pub mod clock;
pub mod config;
pub mod forwarded;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod per_address;
pub mod rooms;
pub mod shutdown;
pub mod splice;
pub mod state;
pub mod store;
pub mod sync;
pub mod web;
pub mod ws;

pub use clock::Clock;
pub use config::Config;
pub use state::{AppState, Settings};

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;

use axum::Router;
use thiserror::Error;
use tokio::net::TcpListener;

use store::redis::RedisStore;
use store::{SharedStorage, Store, StoreError};

/// Why the server stopped with an error.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The database could not be opened, or the final flush failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Accepting connections failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The router of the whole server, for [`accept::serve_http`] or for tests with `oneshot`.
pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Serves on `listener` until `shutdown` resolves, then closes every WebSocket with 1001,
/// persists every loaded workshop and flushes the database.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let state = open(&config)?;
    serve(listener, state, shutdown).await
}

/// Opens the store `config` names and builds the server's state on it, with the system clock.
/// Must be called within a Tokio runtime (the state starts its background tasks).
pub fn open(config: &Config) -> Result<AppState, ServerError> {
    let store: SharedStorage = match &config.redis_url {
        Some(url) => {
            let ca = match &config.redis_ca_cert {
                Some(path) => Some(std::fs::read(path).map_err(|error| {
                    std::io::Error::new(
                        error.kind(),
                        format!("--redis-ca-cert {}: {error}", path.display()),
                    )
                })?),
                None => None,
            };
            let store = RedisStore::open(url, ca)?;
            tracing::info!(node = store.node(), "keeping workshops in Redis");
            Arc::new(store)
        }
        None => Store::open_with_cache(&config.data_dir, config.store_cache_mib << 20)?.into(),
    };
    Ok(AppState::new(
        store,
        Clock::system(),
        Settings::from_config(config),
    ))
}

/// Like [`run`], over a state built by the caller (tests use a temporary store).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let token = state.shutdown_token().clone();
    // The one token stops the accept loop and every WebSocket (upgraded sockets are no
    // longer the accept loop's, and they must start closing at once too).
    let mut http = pin!(accept::serve_http(
        listener,
        app(state.clone()),
        state.settings.header_read_timeout,
        token.clone(),
    ));
    tokio::select! {
        () = &mut http => {}
        () = shutdown => {
            token.cancel();
            http.await;
        }
    }
    let persisted = state.shut_down().await;
    tracing::info!("shut down");
    persisted?;
    Ok(())
}
