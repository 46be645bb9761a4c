//! Process-wide counters and histograms, served by `GET /metrics` in the Prometheus text
//! exposition format (version 0.0.4).
//!
//! The figures live in statics rather than in [`AppState`]: they describe the process (one
//! server per process), and the call sites that count (storage flushes, a room's recompute,
//! a refused frame deep in a connection) should not need a handle threaded through to them.
//! Everything is a relaxed atomic or, for the rarely touched refusal counts, a short mutex,
//! so counting never waits on anything slow. Tests that share a process see each other's
//! counts, so they compare before and after rather than absolute values.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `workshop_connections_open` | gauge | WebSocket connections joined to a room right now |
//! | `workshop_connections_total` | counter | WebSocket connections ever joined to a room |
//! | `workshop_rooms_loaded` | gauge | workshops loaded in memory |
//! | `workshop_updates_applied_total` | counter | client document updates applied and logged |
//! | `workshop_flush_seconds` | histogram | time of one group-commit flush of the store |
//! | `workshop_refused_writes_total{reason}` | counter | client messages refused, by reason |
//! | `workshop_recompute_seconds` | histogram | time of one engine run over a document |
//! | `workshop_recomputes_with_change_total` | counter | engine runs made with the change that caused them, their figures relayed in the same frame |
//! | `workshop_rollbacks_total` | counter | documents rebuilt from their log after taking in an update the write guard then refused, or must judge again on a copy |
//! | `workshop_lease_held{workshop}` | gauge | with `--redis`, per loaded workshop: 1 if this server holds its lease |
//! | `workshop_log_entries{workshop}` | gauge | with `--redis`, per loaded workshop: entries in its shared log (`XLEN`) |
//! | `workshop_leases_held` | gauge | loaded workshops whose lease this server holds on a store shared with other servers (`--redis`); 0 on sled |
//! | `workshop_compaction_seconds` | histogram | time of one log compaction, off the room's lock |
//! | `workshop_corrupt_records_total` | counter | undecodable stored records found at load |
//! | `workshop_records_set_aside_total` | counter | log records moved aside by those loads |
//! | `workshop_recompute_enabled` | gauge | 1 with `--recompute on`, 0 with `off` |
//! | `workshop_durability_enabled` | gauge | 1 with `--durability on` (flushed before relay), 0 with `off` |
//!
//! and the process's own figures and the build's ([`process`]: CPU, memory, open files, start
//! time, version).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

mod process;

use crate::config::Switch;
use crate::http::openapi::{BadRequest, TAG_OPERATIONS};
use crate::rooms::RoomSettings;
use crate::state::AppState;

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Refusal reasons listed (at 0) even before the first refusal, so dashboards and alerts can
/// refer to them from the start. Other reasons appear once counted.
pub const KNOWN_REFUSALS: [&str; 5] = ["malformed", "permission", "presence", "rate_limit", "size"];

/// Longest label value kept; callers pass short constant names, this only bounds a mistake.
const MAX_REASON_CHARS: usize = 40;

/// Upper bounds (seconds) of the flush latency buckets: an fsync takes from well under a
/// millisecond (tmpfs, a fast SSD) to tens of milliseconds (a busy disk).
const FLUSH_BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];
/// Upper bounds (seconds) of the recompute buckets: about 2 ms for a full 50-person
/// workshop in a release build, far more in a debug build.
const RECOMPUTE_BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

static CONNECTIONS_OPEN: AtomicU64 = AtomicU64::new(0);
static CONNECTIONS_TOTAL: AtomicU64 = AtomicU64::new(0);
static UPDATES_APPLIED: AtomicU64 = AtomicU64::new(0);
static RECOMPUTES_WITH_CHANGE: AtomicU64 = AtomicU64::new(0);
static ROLLBACKS: AtomicU64 = AtomicU64::new(0);
static LEASES_HELD: AtomicU64 = AtomicU64::new(0);
static CORRUPT_RECORDS: AtomicU64 = AtomicU64::new(0);
static RECORDS_SET_ASIDE: AtomicU64 = AtomicU64::new(0);
static REFUSED: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
/// Upper bounds (seconds) of the compaction buckets: replaying and encoding a document of
/// tens to hundreds of kilobytes.
const COMPACTION_BUCKETS: [f64; 12] = [
    0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
static FLUSH: Histogram = Histogram::new(&FLUSH_BUCKETS);
static RECOMPUTE: Histogram = Histogram::new(&RECOMPUTE_BUCKETS);
static COMPACTION: Histogram = Histogram::new(&COMPACTION_BUCKETS);

/// A fixed-bucket histogram of durations. Bucket counts are kept per bucket and made
/// cumulative when rendered, so observing touches one bucket only.
struct Histogram {
    bounds: &'static [f64; 12],
    /// Observations per bucket; the last one is the `+Inf` overflow.
    buckets: [AtomicU64; 13],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    const fn new(bounds: &'static [f64; 12]) -> Histogram {
        Histogram {
            bounds,
            buckets: [const { AtomicU64::new(0) }; 13],
            sum_nanos: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = self
            .bounds
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(self.bounds.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, help, "histogram");
        let mut cumulative = 0;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.buckets[self.bounds.len()].load(Ordering::Relaxed);
        // `+Inf` and `_count` come from the same loads, so a scrape never shows them
        // disagreeing even while observations land.
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// Counts a client message the server refused, by a short snake_case reason such as
/// `malformed`, `size`, `rate_limit`, `permission` or `presence`.
pub fn refused(reason: &str) {
    let reason = label_value(reason);
    let mut refused = REFUSED.lock().unwrap_or_else(PoisonError::into_inner);
    *refused.entry(reason).or_insert(0) += 1;
}

/// How many refusals have been counted for `reason` (tests and diagnostics).
pub fn refused_count(reason: &str) -> u64 {
    let refused = REFUSED.lock().unwrap_or_else(PoisonError::into_inner);
    refused.get(&label_value(reason)).copied().unwrap_or(0)
}

/// Counts `count` client document updates applied to a room and appended to its log.
pub fn updates_applied(count: usize) {
    UPDATES_APPLIED.fetch_add(count as u64, Ordering::Relaxed);
}

/// Records how long one flush of the store took.
pub fn flushed(elapsed: Duration) {
    FLUSH.observe(elapsed);
}

/// Records how long one engine run over a document took.
pub fn recomputed(elapsed: Duration) {
    RECOMPUTE.observe(elapsed);
}

/// Counts an engine run made under the lock of the change that caused it, whose figures go
/// out with the change (the others waited for the room's budget of runs, and go out on their
/// own).
pub fn recomputed_with_change() {
    RECOMPUTES_WITH_CHANGE.fetch_add(1, Ordering::Relaxed);
}

/// How many engine runs went out with their change so far (tests and diagnostics).
pub fn recomputes_with_change() -> u64 {
    RECOMPUTES_WITH_CHANGE.load(Ordering::Relaxed)
}

/// Counts a room's document rebuilt from its log to roll back an update it took in and must
/// not keep.
pub fn rolled_back() {
    ROLLBACKS.fetch_add(1, Ordering::Relaxed);
}

/// Counts a workshop lease this server took (`true`) or lost (`false`), on a store shared with
/// other servers.
pub fn lead_changed(leads: bool) {
    if leads {
        LEASES_HELD.fetch_add(1, Ordering::Relaxed);
    } else {
        let _ = LEASES_HELD.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
            held.checked_sub(1)
        });
    }
}

/// How many documents were rolled back so far (tests and diagnostics).
pub fn rollbacks() -> u64 {
    ROLLBACKS.load(Ordering::Relaxed)
}

/// Records how long one compaction of a workshop's log took.
pub fn compacted(elapsed: Duration) {
    COMPACTION.observe(elapsed);
}

/// Counts an undecodable record found while loading a workshop, and the log records that
/// load set aside because of it (the bad one included).
pub fn corrupt_record(set_aside: usize) {
    CORRUPT_RECORDS.fetch_add(1, Ordering::Relaxed);
    RECORDS_SET_ASIDE.fetch_add(set_aside as u64, Ordering::Relaxed);
}

/// How many corrupt records have been found so far (tests and diagnostics).
pub fn corrupt_records() -> u64 {
    CORRUPT_RECORDS.load(Ordering::Relaxed)
}

/// Marks a WebSocket connection as open until the returned guard is dropped.
pub fn connection_opened() -> OpenConnection {
    CONNECTIONS_OPEN.fetch_add(1, Ordering::Relaxed);
    CONNECTIONS_TOTAL.fetch_add(1, Ordering::Relaxed);
    OpenConnection(())
}

/// Counts one open connection while it lives; a guard, so every way out of the connection
/// (an error, a panic unwinding) gives the count back.
#[derive(Debug)]
pub struct OpenConnection(());

impl Drop for OpenConnection {
    fn drop(&mut self) {
        CONNECTIONS_OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `GET /metrics`: every figure in the Prometheus text format. Needs no token: it holds no
/// content, and names workshops only on a server sharing Redis (the ones loaded there, with
/// their lease and log length), which keeps it off the public network (docs/operations.md).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = TAG_OPERATIONS,
    summary = "The server's figures (Prometheus)",
    description = "Connections, loaded workshops, updates, flush and recompute times, refused \
        writes, the process's CPU, memory and files, and the build, in the Prometheus text \
        exposition format (version 0.0.4). Holds no content; on a server sharing Redis it names \
        the workshops loaded there, with their lease and log length.",
    responses(
        (status = 200, description = "The figures.", body = String, content_type = CONTENT_TYPE),
        (status = 400, response = BadRequest),
    )
)]
pub async fn serve(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = render(state.rooms().loaded(), &state.settings.rooms);
    render_shared(&mut text, &shared_workshops(&state).await);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}

/// One loaded workshop of a server sharing its store: its id, whether this server holds its
/// lease, and how many entries its shared log holds.
type SharedWorkshop = (uuid::Uuid, bool, u64);

/// The loaded workshops, on a store other servers share; none otherwise.
async fn shared_workshops(state: &AppState) -> Vec<SharedWorkshop> {
    let rooms: Vec<(uuid::Uuid, bool)> = state
        .rooms()
        .each_loaded()
        .iter()
        .map(|room| (room.id(), room.leads()))
        .collect();
    let store = crate::store::SharedStorage::clone(&state.store);
    let lengths = crate::store::blocking(move || {
        let mut out = Vec::with_capacity(rooms.len());
        for (id, leads) in rooms {
            if let Some(length) = store.log_length(id)? {
                out.push((id, leads, length));
            }
        }
        Ok(out)
    })
    .await;
    lengths.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot read the shared logs' lengths for /metrics");
        Vec::new()
    })
}

/// The per-workshop figures of a server sharing its store (none on the embedded one).
fn render_shared(out: &mut String, workshops: &[SharedWorkshop]) {
    if workshops.is_empty() {
        return;
    }
    let _ = writeln!(out, "# HELP workshop_lease_held Whether this server holds the lease of a loaded workshop (recomputes its figures, compacts its log).");
    let _ = writeln!(out, "# TYPE workshop_lease_held gauge");
    for (id, leads, _) in workshops {
        let _ = writeln!(
            out,
            "workshop_lease_held{{workshop=\"{id}\"}} {}",
            u8::from(*leads)
        );
    }
    let _ = writeln!(out, "# HELP workshop_log_entries Entries in the shared log of a loaded workshop, after its snapshot.");
    let _ = writeln!(out, "# TYPE workshop_log_entries gauge");
    for (id, _, length) in workshops {
        let _ = writeln!(out, "workshop_log_entries{{workshop=\"{id}\"}} {length}");
    }
}

/// The exposition text, given the figures that are read from the server's state.
pub fn render(rooms_loaded: usize, rooms: &RoomSettings) -> String {
    let mut out = String::with_capacity(4096);
    gauge(
        &mut out,
        "workshop_connections_open",
        "WebSocket connections joined to a workshop right now.",
        CONNECTIONS_OPEN.load(Ordering::Relaxed),
    );
    counter(
        &mut out,
        "workshop_connections_total",
        "WebSocket connections joined to a workshop since the server started.",
        CONNECTIONS_TOTAL.load(Ordering::Relaxed),
    );
    gauge(
        &mut out,
        "workshop_rooms_loaded",
        "Workshops loaded in memory.",
        rooms_loaded as u64,
    );
    counter(
        &mut out,
        "workshop_updates_applied_total",
        "Client document updates applied and appended to the log.",
        UPDATES_APPLIED.load(Ordering::Relaxed),
    );
    FLUSH.render(
        &mut out,
        "workshop_flush_seconds",
        "Time of one group-commit flush of the store to disk.",
    );
    header(
        &mut out,
        "workshop_refused_writes_total",
        "Client messages refused, by reason.",
        "counter",
    );
    let mut refused = REFUSED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for reason in KNOWN_REFUSALS {
        refused.entry(reason.to_owned()).or_insert(0);
    }
    for (reason, count) in refused {
        let _ = writeln!(
            out,
            "workshop_refused_writes_total{{reason=\"{reason}\"}} {count}"
        );
    }
    RECOMPUTE.render(
        &mut out,
        "workshop_recompute_seconds",
        "Time of one engine run over a workshop document.",
    );
    counter(
        &mut out,
        "workshop_recomputes_with_change_total",
        "Engine runs made with the change that caused them, their figures relayed in the same frame.",
        RECOMPUTES_WITH_CHANGE.load(Ordering::Relaxed),
    );
    counter(
        &mut out,
        "workshop_rollbacks_total",
        "Documents rebuilt from their log after taking in an update the write guard then refused, or must judge again on a copy.",
        ROLLBACKS.load(Ordering::Relaxed),
    );
    gauge(
        &mut out,
        "workshop_leases_held",
        "Loaded workshops whose lease this server holds on a store shared with other servers (it recomputes their figures and compacts their logs); 0 on the embedded store, where every room leads.",
        LEASES_HELD.load(Ordering::Relaxed),
    );
    COMPACTION.render(
        &mut out,
        "workshop_compaction_seconds",
        "Time of one compaction of a workshop's update log into a snapshot.",
    );
    counter(
        &mut out,
        "workshop_corrupt_records_total",
        "Undecodable stored records found while loading workshops.",
        CORRUPT_RECORDS.load(Ordering::Relaxed),
    );
    counter(
        &mut out,
        "workshop_records_set_aside_total",
        "Log records set aside at load because of a corrupt record (the corrupt ones included).",
        RECORDS_SET_ASIDE.load(Ordering::Relaxed),
    );
    gauge(
        &mut out,
        "workshop_recompute_enabled",
        "1 if rooms recompute results after every change (--recompute on), 0 if not.",
        switch(rooms.recompute),
    );
    gauge(
        &mut out,
        "workshop_durability_enabled",
        "1 if updates are flushed to disk before they are relayed (--durability on), 0 if not.",
        switch(rooms.durability),
    );
    process::render(&mut out);
    out
}

fn switch(setting: Switch) -> u64 {
    u64::from(setting.is_on())
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, help, "counter");
    let _ = writeln!(out, "{name} {value}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, help, "gauge");
    let _ = writeln!(out, "{name} {value}");
}

/// A label value that needs no escaping: lower-case ASCII letters, digits and `_`, bounded.
fn label_value(reason: &str) -> String {
    let cleaned: String = reason
        .chars()
        .take(MAX_REASON_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "unknown".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The value of one sample line, e.g. `name{label="x"} 3`.
    fn sample(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
            .parse()
            .unwrap()
    }

    #[test]
    fn every_sample_line_is_well_formed_and_typed() {
        let text = render(3, &RoomSettings::default());
        let mut typed = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
                typed.push(name.to_owned());
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            let name = series.split('{').next().unwrap();
            assert!(
                typed.iter().any(|family| name.starts_with(family.as_str())),
                "sample before its TYPE line: {line}"
            );
        }
        assert_eq!(sample(&text, "workshop_rooms_loaded"), 3.0);
        for reason in KNOWN_REFUSALS {
            let series = format!("workshop_refused_writes_total{{reason=\"{reason}\"}}");
            assert!(sample(&text, &series) >= 0.0);
        }
    }

    #[test]
    fn the_process_and_the_build_are_described() {
        let text = render(0, &RoomSettings::default());
        let profile = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        let build = format!(
            "workshop_build_info{{version=\"{}\",profile=\"{profile}\"}}",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(sample(&text, &build), 1.0);
        if cfg!(target_os = "linux") {
            // This test process: it holds memory, has files open and has started.
            assert!(sample(&text, "process_resident_memory_bytes") > 1_000_000.0);
            assert!(sample(&text, "process_virtual_memory_bytes") > 1_000_000.0);
            assert!(sample(&text, "process_open_fds") >= 3.0);
            assert!(sample(&text, "process_cpu_seconds_total") >= 0.0);
            let started = sample(&text, "process_start_time_seconds");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64();
            assert!(
                started > now - 86_400.0 && started <= now + 1.0,
                "{started}"
            );
        }
    }

    #[test]
    fn refusals_are_counted_by_a_sanitised_reason() {
        let before = refused_count("unit_test_reason");
        refused("unit_test_reason");
        refused("Unit Test\"Reason");
        assert_eq!(refused_count("unit_test_reason"), before + 2);
        let text = render(0, &RoomSettings::default());
        let series = "workshop_refused_writes_total{reason=\"unit_test_reason\"}";
        assert_eq!(sample(&text, series), (before + 2) as f64);
    }

    #[test]
    fn a_histogram_counts_cumulatively_with_an_overflow_bucket() {
        static BOUNDS: [f64; 12] = [
            0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01, 0.02, 0.03,
        ];
        let histogram = Histogram::new(&BOUNDS);
        histogram.observe(Duration::from_micros(500));
        histogram.observe(Duration::from_millis(5));
        histogram.observe(Duration::from_secs(2));
        let mut text = String::new();
        histogram.render(&mut text, "h", "help");
        assert_eq!(sample(&text, "h_bucket{le=\"0.001\"}"), 1.0);
        assert_eq!(sample(&text, "h_bucket{le=\"0.005\"}"), 2.0);
        assert_eq!(sample(&text, "h_bucket{le=\"0.03\"}"), 2.0);
        assert_eq!(sample(&text, "h_bucket{le=\"+Inf\"}"), 3.0);
        assert_eq!(sample(&text, "h_count"), 3.0);
        assert!((sample(&text, "h_sum") - 2.0055).abs() < 1e-9);
    }

    #[tokio::test]
    async fn the_route_serves_the_text_format_without_a_token() {
        use axum::body::Body;
        use axum::http::{Request, StatusCode};
        use http_body_util::BodyExt;
        use tower::ServiceExt;

        let state = AppState::new(
            crate::store::Store::temporary().unwrap(),
            crate::clock::Clock::system(),
            crate::state::Settings::default(),
        );
        let id = state.rooms().create("A".into(), "B".into()).await.unwrap();
        let _room = state.rooms().lease(id).await.unwrap();
        let request = Request::get("/metrics").body(Body::empty()).unwrap();
        let response = crate::app(state).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(sample(&text, "workshop_rooms_loaded"), 1.0);
        for family in [
            "workshop_connections_open",
            "workshop_updates_applied_total",
            "workshop_flush_seconds_count",
            "workshop_recompute_seconds_count",
            "workshop_recomputes_with_change_total",
            "workshop_rollbacks_total",
            "workshop_corrupt_records_total",
        ] {
            assert!(sample(&text, family) >= 0.0);
        }
        // Creating the workshop flushed and recomputed at least once.
        assert!(sample(&text, "workshop_flush_seconds_count") >= 1.0);
        assert!(sample(&text, "workshop_recompute_seconds_count") >= 1.0);
        assert_eq!(sample(&text, "workshop_recompute_enabled"), 1.0);
        assert_eq!(sample(&text, "workshop_durability_enabled"), 1.0);
    }

    #[tokio::test]
    async fn the_route_shows_recompute_and_durability_switched_off() {
        use axum::body::Body;
        use axum::http::Request;
        use http_body_util::BodyExt;
        use tower::ServiceExt;

        let mut settings = crate::state::Settings::default();
        settings.rooms.recompute = Switch::Off;
        settings.rooms.durability = Switch::Off;
        let state = AppState::new(
            crate::store::Store::temporary().unwrap(),
            crate::clock::Clock::system(),
            settings,
        );
        let request = Request::get("/metrics").body(Body::empty()).unwrap();
        let response = crate::app(state).oneshot(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(sample(&text, "workshop_recompute_enabled"), 0.0);
        assert_eq!(sample(&text, "workshop_durability_enabled"), 0.0);
        let mixed = RoomSettings {
            durability: Switch::Off,
            ..RoomSettings::default()
        };
        let text = render(0, &mixed);
        assert_eq!(sample(&text, "workshop_recompute_enabled"), 1.0);
        assert_eq!(sample(&text, "workshop_durability_enabled"), 0.0);
    }

    #[test]
    fn an_open_connection_is_counted_until_dropped() {
        // Other tests open connections concurrently, so only the total is exact here.
        let total = CONNECTIONS_TOTAL.load(Ordering::Relaxed);
        let guard = connection_opened();
        assert!(CONNECTIONS_OPEN.load(Ordering::Relaxed) >= 1);
        assert!(CONNECTIONS_TOTAL.load(Ordering::Relaxed) > total);
        drop(guard);
    }
}
