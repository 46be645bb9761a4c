//! The state shared by every handler, and the server's shutdown sequence.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{LiveConnections, TokenHash};
use crate::clock::Clock;
use crate::config::Config;
use crate::forwarded::TrustedProxies;
use crate::limits::{Connections, Limits};
use crate::per_address::{AddressConnections, Creations};
use crate::rooms::{CompactionLimits, ConnId, RoomSettings, Rooms};
use crate::store::{SharedStorage, StoreError};

/// Tunables of a running server, taken from [`Config`] or set directly by tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Largest WebSocket message accepted, in bytes.
    pub max_frame_bytes: usize,
    /// How rooms are compacted and unloaded, and whether they recompute results
    /// (`rooms.recompute`, `--recompute`) and flush before relaying (`rooms.durability`,
    /// `--durability`).
    pub rooms: RoomSettings,
    /// What one client may send and hold open.
    pub limits: Limits,
    /// Digest of the token that creating a workshop needs; anyone may create one when `None`.
    pub create_token: Option<TokenHash>,
    /// The reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// How long a client may take to send a request's headers (`--header-read-timeout-secs`).
    pub header_read_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_frame_bytes: 1024 * 1024,
            rooms: RoomSettings::default(),
            limits: Limits::default(),
            create_token: None,
            trusted_proxies: Arc::default(),
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

impl Settings {
    /// The settings a [`Config`] asks for.
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            max_frame_bytes: usize::try_from(config.max_frame_bytes).unwrap_or(usize::MAX),
            rooms: RoomSettings {
                compaction: CompactionLimits {
                    after_updates: config.compact_after_updates,
                    after_bytes: config.compact_after_bytes,
                },
                idle_unload: config.idle_unload(),
                recompute: config.recompute,
                recompute_interval: config.recompute_interval(),
                durability: config.durability,
                max_loaded: usize::try_from(config.max_loaded_workshops).unwrap_or(usize::MAX),
            },
            limits: config.limits(),
            create_token: config.create_token.as_deref().map(TokenHash::of),
            trusted_proxies: Arc::new(config.trusted_proxies()),
            header_read_timeout: config.header_read_timeout(),
        }
    }
}

/// Handle on everything the handlers share; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) rooms: Rooms,
    pub(crate) store: SharedStorage,
    pub(crate) settings: Settings,
    /// Cancelled when the server shuts down; every connection and background task watches it.
    pub(crate) shutdown: CancellationToken,
    /// Every connection and background task, so shutdown can wait for them.
    pub(crate) tasks: TaskTracker,
    /// Open WebSocket connections, counted against the connection limits.
    pub(crate) connections: Connections,
    /// Open WebSocket connections per client address.
    pub(crate) address_connections: AddressConnections,
    /// Recent workshop creations per client address.
    pub(crate) creations: Creations,
    /// Live WebSocket connections per token id, closed when their token is revoked.
    pub(crate) live: LiveConnections,
    next_conn: Arc<AtomicU64>,
}

impl AppState {
    /// Builds the state over an open store. Must be called inside a Tokio runtime.
    pub fn new(store: impl Into<SharedStorage>, clock: Clock, settings: Settings) -> AppState {
        let store = store.into();
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let connections = Connections::new(&settings.limits);
        let address_connections = AddressConnections::new(settings.limits.per_address);
        let creations = Creations::new(settings.limits.per_address);
        let live = LiveConnections::default();
        if let Some(revoked) = store.revocations() {
            tasks.spawn(close_revoked(revoked, live.clone(), shutdown.clone()));
        }
        AppState {
            rooms: Rooms::new(
                store.clone(),
                clock,
                settings.rooms,
                tasks.clone(),
                shutdown.clone(),
            ),
            store,
            settings,
            shutdown,
            tasks,
            connections,
            address_connections,
            creations,
            live,
            next_conn: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The loaded workshops.
    pub fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    /// The open WebSocket connections.
    pub fn connections(&self) -> &Connections {
        &self.connections
    }

    /// Cancelled once shutdown begins.
    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.shutdown
    }

    pub(crate) fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Closes every connection (1001), waits for them and for background work, then
    /// persists every loaded room and flushes the database.
    pub async fn shut_down(&self) -> Result<(), StoreError> {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        self.rooms.persist_all().await?;
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.flush())
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// Closes the live sockets of every token revoked through another server sharing the store,
/// until shutdown.
async fn close_revoked(
    revoked: flume::Receiver<String>,
    live: LiveConnections,
    shutdown: CancellationToken,
) {
    loop {
        let token_id = tokio::select! {
            () = shutdown.cancelled() => return,
            next = revoked.recv_async() => match next {
                Ok(token_id) => token_id,
                Err(_) => return,
            },
        };
        let closed = live.revoke(&token_id);
        if closed > 0 {
            tracing::info!(token = %token_id, closed, "closed the sockets of a token revoked elsewhere");
        }
    }
}
