//! Command-line and environment configuration.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// How the server is started. Every flag has an environment fallback.
#[derive(Debug, Clone, Parser)]
#[command(name = "workshop-server", version, about)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (the real one is printed).
    #[arg(long, env = "WORKSHOP_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Directory of the sled database.
    #[arg(long, env = "WORKSHOP_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Log filter in tracing's env-filter syntax (e.g. `info,workshop_server=debug`).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// Largest WebSocket message accepted, in bytes; larger ones close the socket with 1009.
    #[arg(long, env = "WORKSHOP_MAX_FRAME_BYTES", default_value_t = 1_048_576,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_frame_bytes: u64,

    /// Seconds a workshop stays in memory after its last connection leaves.
    #[arg(long, env = "WORKSHOP_IDLE_UNLOAD_SECS", default_value_t = 30)]
    pub idle_unload_secs: u64,

    /// Compact a workshop's update log into a snapshot once it holds this many updates.
    #[arg(long, env = "WORKSHOP_COMPACT_AFTER_UPDATES", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub compact_after_updates: u64,

    /// Compact a workshop's update log into a snapshot once it holds this many bytes.
    #[arg(long, env = "WORKSHOP_COMPACT_AFTER_BYTES", default_value_t = 1_048_576,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub compact_after_bytes: u64,
}

impl Config {
    /// The idle time before an unused workshop is unloaded.
    pub fn idle_unload(&self) -> Duration {
        Duration::from_secs(self.idle_unload_secs)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn flags_parse_and_defaults_hold() {
        let config = Config::try_parse_from([
            "workshop-server",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            "/tmp/x",
            "--max-frame-bytes",
            "2048",
        ])
        .unwrap();
        assert_eq!(config.bind, "127.0.0.1:0");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(config.max_frame_bytes, 2048);
        assert_eq!(config.compact_after_updates, 500);
        assert!(Config::try_parse_from(["workshop-server", "--max-frame-bytes", "0"]).is_err());
    }
}
