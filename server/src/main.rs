//! `workshop-server`: parses the configuration, sets up logging, installs the signal handlers,
//! binds, opens the store, announces the address on stdout and serves until SIGINT or SIGTERM.
//! A signal at any moment after the handlers are installed shuts the server down gracefully.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;
use workshop_server::config::LogFormat;
use workshop_server::shutdown::Signals;
use workshop_server::Config;

/// mimalloc rather than the system allocator: rooms allocate and free many small blocks
/// per update (decoding, integrating, encoding), and under load glibc's malloc took about a
/// fifth of the server's time (see BENCHMARKS.md, profiles).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let filter = EnvFilter::try_new(&config.log)
        .with_context(|| format!("invalid log filter {:?}", config.log))?;
    // Logs go to stderr: stdout carries only the address line that scripts wait for.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().init(),
    }

    // Before anything that takes time: a signal from here on is kept, not fatal.
    let signals = Signals::install().context("cannot install the signal handlers")?;

    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("cannot bind {}", config.bind))?;
    let address = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let state = workshop_server::open(&config).with_context(|| match &config.redis_url {
        // The URL may hold a password: not repeated.
        Some(_) => "cannot reach the Redis of --redis".to_owned(),
        None => format!("cannot open the store in {}", config.data_dir.display()),
    })?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{address}")?;
        stdout.flush()?;
    }
    tracing::info!(
        %address,
        data_dir = %config.data_dir.display(),
        recompute = %config.recompute,
        durability = %config.durability,
        "serving"
    );
    if !config.durability.is_on() {
        tracing::warn!(
            "durability is off: updates are relayed before they are on disk, so a crash can \
             lose updates that clients have already received"
        );
    }
    if !workshop_server::web::page_is_built() {
        tracing::warn!(
            "this server was built without Node.js: it serves a page saying how to build the \
             browser page; the API, the WebSocket and the command line work as usual"
        );
    }
    if config.exempt_loopback {
        tracing::warn!("loopback clients are exempt from the per-address limits");
    }
    if !config.recompute.is_on() {
        tracing::info!("recompute is off: the engine does not run and `results` is not written");
    }

    workshop_server::serve(listener, state, signals.received())
        .await
        .context("server failed")
}
