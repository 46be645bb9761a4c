//! Command-line and environment configuration.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::forwarded::TrustedProxies;
use crate::limits::{Limits, RateLimit};
use crate::per_address::AddressLimits;

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

    /// Keep workshops in this Redis instead of the sled database in `--data-dir`
    /// (`redis://[:PASSWORD@]HOST:PORT/DB`): any number of servers on one Redis serve every
    /// workshop together. Redis must run with `appendonly yes` and `appendfsync always`.
    #[arg(long = "redis", env = "WORKSHOP_REDIS_URL", hide_env_values = true,
          value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub redis_url: Option<String>,

    /// For a `rediss://` URL: trust the certificate authority in this PEM file for Redis's
    /// certificate, instead of the system's roots.
    #[arg(long = "redis-ca-cert", env = "WORKSHOP_REDIS_CA_CERT")]
    pub redis_ca_cert: Option<PathBuf>,

    /// Memory sled may use to cache the database's pages, in MiB. Rooms keep their own
    /// documents, so the store's cache serves loads and compactions only: a small one is
    /// enough, and memory is what a server of many workshops runs short of first.
    #[arg(long, env = "WORKSHOP_STORE_CACHE_MIB", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub store_cache_mib: u64,

    /// When set, creating a workshop needs `Authorization: Bearer <this>`; otherwise anyone
    /// may create one. Only its SHA-256 digest is kept once the server has started.
    #[arg(long, env = "WORKSHOP_CREATE_TOKEN", hide_env_values = true,
          value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub create_token: Option<String>,

    /// Log filter in tracing's env-filter syntax (e.g. `info,workshop_server=debug`).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// How log lines are written on stderr: `text` for people, `json` (one object per line)
    /// for log collectors. Either way, the access log names paths, never query strings.
    #[arg(long, env = "WORKSHOP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

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

    /// Document messages (sync step 1, sync step 2, update) one connection may send per
    /// second on average; a connection over it closes with 4429. Awareness is not counted.
    #[arg(long, env = "WORKSHOP_MAX_UPDATES_PER_SEC", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_updates_per_sec: u32,

    /// Document messages one connection may send at once after a quiet spell.
    #[arg(long, env = "WORKSHOP_MAX_UPDATE_BURST", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_update_burst: u32,

    /// Open WebSocket connections per workshop; one more is refused with 4409.
    #[arg(long, env = "WORKSHOP_MAX_CONNECTIONS_PER_WORKSHOP", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_workshop: u64,

    /// Open WebSocket connections on the whole server; one more is refused with 4503.
    #[arg(long, env = "WORKSHOP_MAX_CONNECTIONS", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,

    /// Bytes queued for one connection before it is cut from the live relay; it is resynced
    /// once it has read them.
    #[arg(long, env = "WORKSHOP_MAX_PENDING_BYTES", default_value_t = 8_388_608,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pending_bytes: u64,

    /// Seconds a connection may stay cut from the relay, or take to write one frame, before
    /// it is closed with 1013.
    #[arg(long, env = "WORKSHOP_SLOW_CLIENT_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub slow_client_timeout_secs: u64,

    /// Participants one workshop may have; registering one more is refused with 409.
    #[arg(long, env = "WORKSHOP_MAX_PARTICIPANTS_PER_WORKSHOP", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_participants_per_workshop: u64,

    /// Open WebSocket connections one client address may hold (an IPv6 client counts by its
    /// /64); one more is refused with 4430.
    #[arg(long, env = "WORKSHOP_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_address: u64,

    /// Workshops one client address may create in any minute; one more is refused with 429.
    #[arg(long, env = "WORKSHOP_MAX_CREATIONS_PER_ADDRESS_PER_MINUTE", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_creations_per_address_per_minute: u64,

    /// Exempts loopback clients (127.0.0.0/8, ::1) from the per-address limits: for
    /// benchmarks and load tests run on the server's machine. Behind a reverse proxy on the
    /// same machine, name the proxy with `--trusted-proxy` instead.
    #[arg(long, env = "WORKSHOP_EXEMPT_LOOPBACK",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub exempt_loopback: bool,

    /// Address of a reverse proxy whose `X-Forwarded-For` names the client (its last entry).
    /// Repeat the flag or separate addresses with commas. Requests from any other peer come
    /// from that peer, whatever they forward.
    #[arg(
        long = "trusted-proxy",
        env = "WORKSHOP_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpAddr>,

    /// Workshops loaded in memory at once. Loading one more first unloads the least recently
    /// used one nobody is using; when all are in use, it is refused (HTTP 503, close 4507).
    #[arg(long, env = "WORKSHOP_MAX_LOADED_WORKSHOPS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_loaded_workshops: u64,

    /// Seconds a client may take to send a request's headers (and an idle keep-alive
    /// connection may wait for its next request) before the connection is closed.
    #[arg(long, env = "WORKSHOP_HEADER_READ_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,

    /// `on`: after every change the room runs the engine and writes the figures into the
    /// document's `results` map. `off` (for benchmarks of the bare relay): the engine never
    /// runs on its own and nothing is written into `results`; `GET .../results` computes the
    /// figures on demand (revision 0) without writing them.
    #[arg(long, env = "WORKSHOP_RECOMPUTE", value_enum, default_value_t = Switch::On)]
    pub recompute: Switch,

    /// How often a busy workshop may recompute, in milliseconds. Each workshop has a budget
    /// of a few recomputes, refilled at one per interval: a change is recomputed at once (its
    /// figures relayed with it) while the budget lasts, and changes that find it spent are
    /// gathered into one recompute when it allows, so a busy room refreshes its figures at
    /// most this often instead of once per keystroke. 0 recomputes after every change.
    #[arg(long, env = "WORKSHOP_RECOMPUTE_INTERVAL_MS", default_value_t = 100)]
    pub recompute_interval_ms: u64,

    /// `on`: every update is flushed to disk before it is relayed or a sync step is answered.
    /// `off` (for benchmarks only): updates are still appended to the log, but relayed and
    /// answered at once while sled writes them to disk on its own schedule (about every
    /// 500 ms). A crash can then lose updates that clients have already received.
    #[arg(long, env = "WORKSHOP_DURABILITY", value_enum, default_value_t = Switch::On)]
    pub durability: Switch,
}

/// The format of the log (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Plain text lines, coloured on a terminal (the default).
    #[default]
    Text,
    /// One JSON object per line: timestamp, level, target, fields and the request's span.
    Json,
}

/// An on/off setting, spelt `on` or `off` on the command line and in the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Switch {
    /// Enabled (the default).
    #[default]
    On,
    /// Disabled.
    Off,
}

impl Switch {
    /// Whether the setting is on.
    pub fn is_on(self) -> bool {
        self == Switch::On
    }
}

impl fmt::Display for Switch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Switch::On => "on",
            Switch::Off => "off",
        })
    }
}

impl Config {
    /// The shortest time between two recomputes of one workshop.
    pub fn recompute_interval(&self) -> Duration {
        Duration::from_millis(self.recompute_interval_ms)
    }

    /// The idle time before an unused workshop is unloaded.
    pub fn idle_unload(&self) -> Duration {
        Duration::from_secs(self.idle_unload_secs)
    }

    /// How long a client may take to send a request's headers.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> TrustedProxies {
        TrustedProxies::new(self.trusted_proxies.iter().copied())
    }

    /// The limits on what clients may send and hold open.
    pub fn limits(&self) -> Limits {
        let size = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        Limits {
            updates: RateLimit {
                per_sec: self.max_updates_per_sec,
                burst: self.max_update_burst,
            },
            max_connections_per_workshop: size(self.max_connections_per_workshop),
            max_connections: size(self.max_connections),
            max_pending_bytes: size(self.max_pending_bytes),
            slow_client_timeout: Duration::from_secs(self.slow_client_timeout_secs),
            max_participants_per_workshop: size(self.max_participants_per_workshop),
            per_address: AddressLimits {
                max_connections: size(self.max_connections_per_address),
                max_creations_per_minute: size(self.max_creations_per_address_per_minute),
                exempt_loopback: self.exempt_loopback,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::rooms::RoomSettings;
    use crate::state::Settings;

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

    #[test]
    fn default_limits_match_the_documented_ones() {
        let config = Config::try_parse_from(["workshop-server"]).unwrap();
        assert_eq!(config.limits(), Limits::default());
        let config = Config::try_parse_from([
            "workshop-server",
            "--max-updates-per-sec",
            "5",
            "--max-connections-per-workshop",
            "2",
        ])
        .unwrap();
        assert_eq!(config.limits().updates.per_sec, 5);
        assert_eq!(config.limits().max_connections_per_workshop, 2);
        assert!(Config::try_parse_from(["workshop-server", "--max-connections", "0"]).is_err());
    }

    #[test]
    fn the_participant_cap_defaults_to_500_and_may_be_set() {
        let config = Config::try_parse_from(["workshop-server"]).unwrap();
        assert_eq!(config.limits().max_participants_per_workshop, 500);
        let config =
            Config::try_parse_from(["workshop-server", "--max-participants-per-workshop", "7"])
                .unwrap();
        assert_eq!(config.limits().max_participants_per_workshop, 7);
        let zero = ["workshop-server", "--max-participants-per-workshop", "0"];
        assert!(Config::try_parse_from(zero).is_err());
    }

    #[test]
    fn per_address_limits_and_trusted_proxies_parse() {
        let config = Config::try_parse_from(["workshop-server"]).unwrap();
        let settings = Settings::from_config(&config);
        assert_eq!(settings.limits.per_address, AddressLimits::default());
        assert!(!settings.limits.per_address.exempt_loopback);
        assert!(settings.trusted_proxies.is_empty());

        let config = Config::try_parse_from([
            "workshop-server",
            "--max-connections-per-address",
            "3",
            "--max-creations-per-address-per-minute",
            "2",
            "--exempt-loopback",
            "--trusted-proxy",
            "10.0.0.1,::1",
            "--trusted-proxy",
            "192.0.2.1",
        ])
        .unwrap();
        let settings = Settings::from_config(&config);
        assert_eq!(
            settings.limits.per_address,
            AddressLimits {
                max_connections: 3,
                max_creations_per_minute: 2,
                exempt_loopback: true,
            }
        );
        for proxy in ["10.0.0.1", "::1", "192.0.2.1"] {
            assert!(settings.trusted_proxies.trusts(proxy.parse().unwrap()));
        }
        for bad in [
            ["--trusted-proxy", "proxy.example"],
            ["--max-connections-per-address", "0"],
            ["--max-creations-per-address-per-minute", "0"],
            ["--exempt-loopback", "perhaps"],
        ] {
            let args = ["workshop-server", bad[0], bad[1]];
            assert!(Config::try_parse_from(args).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_header_read_timeout_defaults_to_ten_seconds() {
        let config = Config::try_parse_from(["workshop-server"]).unwrap();
        assert_eq!(
            Settings::from_config(&config).header_read_timeout,
            Duration::from_secs(10)
        );
        let config =
            Config::try_parse_from(["workshop-server", "--header-read-timeout-secs", "1"]).unwrap();
        assert_eq!(config.header_read_timeout(), Duration::from_secs(1));
        let zero = ["workshop-server", "--header-read-timeout-secs", "0"];
        assert!(Config::try_parse_from(zero).is_err());
    }

    #[test]
    fn the_loaded_bound_defaults_to_the_rooms_one() {
        let config = Config::try_parse_from(["workshop-server"]).unwrap();
        assert_eq!(
            Settings::from_config(&config).rooms.max_loaded,
            RoomSettings::default().max_loaded
        );
        let config =
            Config::try_parse_from(["workshop-server", "--max-loaded-workshops", "2"]).unwrap();
        assert_eq!(Settings::from_config(&config).rooms.max_loaded, 2);
        let zero = ["workshop-server", "--max-loaded-workshops", "0"];
        assert!(Config::try_parse_from(zero).is_err());
    }

    #[test]
    fn the_store_cache_defaults_to_the_stores_one_and_may_not_be_zero() {
        let config = Config::try_parse_from(["workshop-server"]).unwrap();
        assert_eq!(
            config.store_cache_mib << 20,
            crate::store::DEFAULT_CACHE_BYTES
        );
        let config =
            Config::try_parse_from(["workshop-server", "--store-cache-mib", "256"]).unwrap();
        assert_eq!(config.store_cache_mib, 256);
        let zero = ["workshop-server", "--store-cache-mib", "0"];
        assert!(Config::try_parse_from(zero).is_err());
    }

    #[test]
    fn the_recompute_interval_defaults_to_the_rooms_one_and_may_be_zero() {
        let config = Config::try_parse_from(["workshop-server"]).unwrap();
        assert_eq!(
            Settings::from_config(&config).rooms.recompute_interval,
            RoomSettings::default().recompute_interval
        );
        let config =
            Config::try_parse_from(["workshop-server", "--recompute-interval-ms", "0"]).unwrap();
        assert_eq!(config.recompute_interval(), Duration::ZERO);
    }

    #[test]
    fn recompute_and_durability_are_on_unless_switched_off() {
        let config = Config::try_parse_from(["workshop-server"]).unwrap();
        assert_eq!(config.recompute, Switch::On);
        assert_eq!(config.durability, Switch::On);
        let config =
            Config::try_parse_from(["workshop-server", "--recompute", "off", "--durability=off"])
                .unwrap();
        assert_eq!(config.recompute, Switch::Off);
        assert_eq!(config.durability, Switch::Off);
        let config =
            Config::try_parse_from(["workshop-server", "--recompute", "on", "--durability", "on"])
                .unwrap();
        assert!(config.recompute.is_on() && config.durability.is_on());
        assert_eq!(Switch::On.to_string(), "on");
        assert_eq!(Switch::Off.to_string(), "off");
    }

    #[test]
    fn a_switch_other_than_on_or_off_is_refused_with_the_possible_values() {
        for flag in ["--recompute", "--durability"] {
            for value in ["maybe", "true", "0", ""] {
                let error = Config::try_parse_from(["workshop-server", flag, value]).unwrap_err();
                assert_eq!(
                    error.kind(),
                    clap::error::ErrorKind::InvalidValue,
                    "{flag} {value:?}"
                );
                let message = error.to_string();
                assert!(message.contains(flag), "{message}");
                assert!(message.contains("[possible values: on, off]"), "{message}");
            }
            let error = Config::try_parse_from(["workshop-server", flag]).unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue, "{flag}");
        }
    }
}
