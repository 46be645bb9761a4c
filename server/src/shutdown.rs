//! The shutdown signal: SIGINT (ctrl-c) or, on Unix, SIGTERM.
//!
//! [`Signals::install`] installs both handlers at once, and `workshop-server` does so before
//! it opens its store, binds or says it is listening: from then on a signal that arrives at any
//! moment is kept until the server waits for it, and the server shuts down gracefully. (A
//! handler installed only when first awaited leaves a window in which SIGTERM kills the
//! process outright.)

use std::io;

/// The installed handlers; [`Signals::received`] resolves at the first signal, including one
/// that arrived before it was called.
#[derive(Debug)]
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers of SIGINT and SIGTERM. Must be called within a Tokio runtime.
    pub fn install() -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Resolves when the process is asked to stop.
    pub async fn received(self) {
        #[cfg(unix)]
        {
            let Signals {
                mut interrupt,
                mut terminate,
            } = self;
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("received SIGINT, shutting down"),
                _ = terminate.recv() => tracing::info!("received SIGTERM, shutting down"),
            }
        }
        #[cfg(not(unix))]
        {
            if let Err(error) = tokio::signal::ctrl_c().await {
                tracing::warn!(%error, "cannot listen for ctrl-c");
                std::future::pending::<()>().await;
            }
            tracing::info!("received ctrl-c, shutting down");
        }
    }
}

/// Installs the handlers and resolves at the first signal, for callers that have nothing to do
/// before they wait. If the handlers cannot be installed this never resolves, and the process
/// is stopped the hard way, as it would be without handlers.
pub async fn signal() {
    match Signals::install() {
        Ok(signals) => signals.received().await,
        Err(error) => {
            tracing::warn!(%error, "cannot install the signal handlers");
            std::future::pending::<()>().await;
        }
    }
}
