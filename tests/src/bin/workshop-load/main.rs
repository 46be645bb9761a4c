//! `workshop-load`: a load generator for y-sync servers (this one, `@y/websocket-server`,
//! Hocuspocus), for the benchmarks in `BENCHMARKS.md` (`tests/bench/run.sh` runs it).
//!
//! `live`: W workshops × P participants, each sending an edit (a score vote or a keystroke in
//! a note) every T ms; every edit carries the time it was sent, and every other participant
//! of its workshop records how long it took to arrive (an HDR histogram: p50, p99, p99.9,
//! max), after a warm-up. `idle`: N connections that join and stay quiet, to measure the
//! server's memory per connection. With `--server-pid`, the server's resident memory and CPU
//! time are sampled from `/proc`. Prints one JSON object on stdout; progress on stderr.
//! Loopback only, and bounded in time. Every connection and creation comes from one loopback
//! address, so this server must run with `--exempt-loopback` (or per-address limits above the
//! load) for anything larger than a smoke test.

mod framing;
mod participant;
mod procstat;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use framing::{Framing, Protocol};
use participant::{EditKind, Joined, Run};

/// A load generator for y-sync servers.
#[derive(Debug, Parser)]
#[command(name = "workshop-load")]
struct Args {
    /// The server's WebSocket base address, e.g. ws://127.0.0.1:8080/ws (the room name is
    /// appended for y-websocket; Hocuspocus takes it in every message). Given several times
    /// (servers sharing one store), participant `i` joins through the `i mod N`th.
    #[arg(long = "url", required = true)]
    urls: Vec<String>,
    /// Its framing.
    #[arg(long, value_enum, default_value = "y-websocket")]
    protocol: Protocol,
    /// This server's HTTP address: create the workshops there and join with their
    /// facilitator tokens (without it, rooms are named and start empty; the first
    /// participant writes the template).
    #[arg(long)]
    create_api: Option<String>,
    /// The server's process id, to sample its memory and CPU from /proc. Given several times
    /// (several servers, and the store they share), their memory and CPU are added up.
    #[arg(long = "server-pid")]
    server_pids: Vec<u32>,
    /// Joins in flight at once while connecting.
    #[arg(long, default_value_t = 32)]
    connect_concurrency: usize,
    /// What to run.
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Participants editing at a steady rate.
    Live {
        /// Workshops.
        #[arg(long, default_value_t = 1)]
        workshops: u32,
        /// Participants per workshop.
        #[arg(long, default_value_t = 2)]
        participants: u32,
        /// Milliseconds between one participant's edits.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
        /// What each edit is.
        #[arg(long, value_enum, default_value = "vote")]
        edit: EditKind,
        /// Seconds of editing before measuring.
        #[arg(long, default_value_t = 2)]
        warmup_secs: u64,
        /// Seconds measured.
        #[arg(long, default_value_t = 10)]
        duration_secs: u64,
    },
    /// A participant who edited offline returns: how long until a peer has it all.
    Return {
        /// Edits made offline, each its own update.
        #[arg(long, default_value_t = 10_000)]
        updates: u32,
    },
    /// Writes a history of updates into a new workshop, for a cold load after a restart;
    /// prints the room and its token.
    History {
        /// Updates in the history.
        #[arg(long, default_value_t = 100_000)]
        updates: u32,
    },
    /// Joins a workshop (after a restart: a cold load) and times how long until its content
    /// is here.
    ColdLoad {
        /// The room (workshop id or document name).
        #[arg(long)]
        room: String,
        /// Its token.
        #[arg(long, default_value = "bench")]
        token: String,
    },
    /// Connections that join and stay idle.
    Idle {
        /// Connections.
        #[arg(long, default_value_t = 1000)]
        connections: u32,
        /// Workshops they are spread over.
        #[arg(long, default_value_t = 100)]
        workshops: u32,
        /// Seconds to hold them once all are connected.
        #[arg(long, default_value_t = 5)]
        hold_secs: u64,
    },
}

/// One room: its name (the URL's last segment or Hocuspocus's document name) and token.
#[derive(Debug, Clone)]
struct Room {
    name: String,
    token: String,
}

async fn rooms(args: &Args, count: u32) -> Result<Vec<Room>, String> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let Some(api) = &args.create_api else {
        let rooms: Vec<Room> = (0..count)
            .map(|n| Room {
                name: format!("bench-{}-{n}", &run[..8]),
                token: "bench".into(),
            })
            .collect();
        if args.protocol == Protocol::YSweet {
            create_y_sweet_docs(args, &rooms).await?;
        }
        return Ok(rooms);
    };
    let client = reqwest::Client::new();
    let mut rooms = Vec::new();
    for n in 0..count {
        let response = client
            .post(format!("{api}/api/workshops"))
            .json(&json!({"title": format!("Load {n}"), "place": "Loopback"}))
            .send()
            .await
            .map_err(|error| format!("create a workshop: {error}"))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|error| format!("create a workshop: {error}"))?;
        if !status.is_success() {
            return Err(format!(
                "create a workshop: {status}: {} (for load runs, start the server with \
                 --exempt-loopback)",
                answer["message"].as_str().unwrap_or_default()
            ));
        }
        let name = answer["id"].as_str().ok_or("no workshop id")?.to_owned();
        let token = answer["tokens"]["facilitator"]
            .as_str()
            .ok_or("no facilitator token")?
            .to_owned();
        rooms.push(Room { name, token });
    }
    Ok(rooms)
}

/// Creates each room's document on a y-sweet server (`POST /doc/new`), which has no
/// document until it is created.
async fn create_y_sweet_docs(args: &Args, rooms: &[Room]) -> Result<(), String> {
    let api = args.urls[0]
        .trim_end_matches('/')
        .replacen("ws://", "http://", 1);
    let client = reqwest::Client::new();
    for room in rooms {
        let response = client
            .post(format!("{api}/doc/new"))
            .json(&json!({"docId": room.name}))
            .send()
            .await
            .map_err(|error| format!("create a y-sweet document: {error}"))?;
        if !response.status().is_success() {
            return Err(format!("create a y-sweet document: {}", response.status()));
        }
    }
    Ok(())
}

fn url_of(args: &Args, room: &Room, index: u32) -> String {
    let base = args.urls[index as usize % args.urls.len()].trim_end_matches('/');
    match args.protocol {
        Protocol::Hocuspocus => base.to_owned(),
        Protocol::YSweet => format!("{base}/d/{0}/ws/{0}", room.name),
        Protocol::YWebsocket if args.create_api.is_some() => {
            format!("{base}/{}?token={}", room.name, room.token)
        }
        Protocol::YWebsocket => format!("{base}/{}", room.name),
    }
}

/// Joins participant `index` of `room`.
async fn join_one(args: &Args, room: &Room, index: u32) -> Result<Joined, String> {
    let framing = Framing::new(args.protocol, &room.name);
    participant::join(index, &url_of(args, room, index), framing, &room.token).await
}

/// Joins `per_room` participants in each room, the first of each before the others (it
/// writes the template where rooms start empty).
async fn join_all(args: Arc<Args>, rooms: &[Room], per_room: u32) -> Result<Vec<Joined>, String> {
    let mut firsts = Vec::new();
    let mut set = JoinSet::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency));
    for (w, room) in rooms.iter().enumerate() {
        let (args, room, limit) = (args.clone(), room.clone(), limit.clone());
        let index = u32::try_from(w)
            .unwrap_or(u32::MAX)
            .saturating_mul(per_room);
        set.spawn(async move {
            let _permit = limit.acquire().await;
            let mut joined = join_one(&args, &room, index).await?;
            if !joined.ready() {
                joined.fill_template().await?;
            }
            Ok::<_, String>(joined)
        });
    }
    while let Some(result) = set.join_next().await {
        firsts.push(result.map_err(|error| error.to_string())??);
    }
    let mut others = JoinSet::new();
    for (w, room) in rooms.iter().enumerate() {
        for p in 1..per_room {
            let (args, room, limit) = (args.clone(), room.clone(), limit.clone());
            let index = u32::try_from(w)
                .unwrap_or(u32::MAX)
                .saturating_mul(per_room)
                + p;
            others.spawn(async move {
                let _permit = limit.acquire().await;
                let mut joined = join_one(&args, &room, index).await?;
                joined.wait_ready().await?;
                Ok::<_, String>(joined)
            });
        }
    }
    let mut all = firsts;
    while let Some(result) = others.join_next().await {
        all.push(result.map_err(|error| error.to_string())??);
    }
    Ok(all)
}

/// Samples the server every half second until `stop`.
fn sampler(
    pids: Vec<u32>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<Vec<procstat::Sample>> {
    tokio::spawn(async move {
        let mut samples = Vec::new();
        if pids.is_empty() {
            return samples;
        }
        loop {
            if let Some(sample) = procstat::sample_all(&pids) {
                samples.push(sample);
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.changed() => break,
            }
        }
        if let Some(sample) = procstat::sample_all(&pids) {
            samples.push(sample);
        }
        samples
    })
}

fn latency_json(histogram: &Histogram<u64>) -> Value {
    let ms = |micros: u64| (micros as f64) / 1000.0;
    json!({
        "count": histogram.len(),
        "p50_ms": ms(histogram.value_at_quantile(0.50)),
        "p99_ms": ms(histogram.value_at_quantile(0.99)),
        "p999_ms": ms(histogram.value_at_quantile(0.999)),
        "max_ms": ms(histogram.max()),
    })
}

#[allow(clippy::too_many_arguments)]
async fn live(
    args: Arc<Args>,
    workshops: u32,
    participants: u32,
    interval_ms: u64,
    edit: EditKind,
    warmup_secs: u64,
    duration_secs: u64,
) -> Result<Value, String> {
    let rooms = rooms(&args, workshops).await?;
    eprintln!("workshop-load: joining {workshops} × {participants} participants");
    let joined = join_all(args.clone(), &rooms, participants).await?;
    eprintln!(
        "workshop-load: {} joined; warming up {warmup_secs} s",
        joined.len()
    );
    let run = Arc::new(Run::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = JoinSet::new();
    let interval = Duration::from_millis(interval_ms.max(1));
    for participant in joined {
        tasks.spawn(participant.run(run.clone(), interval, edit, stop_rx.clone()));
    }
    tokio::time::sleep(Duration::from_secs(warmup_secs)).await;
    let (sample_stop_tx, sample_stop_rx) = tokio::sync::watch::channel(false);
    let samples = sampler(args.server_pids.clone(), sample_stop_rx);
    run.measuring.store(true, Ordering::SeqCst);
    let measured_from = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(duration_secs)).await;
    run.measuring.store(false, Ordering::SeqCst);
    let measured = measured_from.elapsed().as_secs_f64();
    let _ = sample_stop_tx.send(true);
    let _ = stop_tx.send(true);
    let mut latencies = participant::new_histogram();
    while let Some(result) = tasks.join_next().await {
        if let Ok(histogram) = result {
            let _ = latencies.add(&histogram);
        }
    }
    let usage = procstat::usage(&samples.await.unwrap_or_default());
    let sent = run.sent.load(Ordering::Relaxed);
    Ok(json!({
        "mode": "live",
        "workshops": workshops,
        "participants": participants,
        "interval_ms": interval_ms,
        "edit": format!("{edit:?}").to_lowercase(),
        "measured_secs": measured,
        "sent": sent,
        "sent_per_sec": sent as f64 / measured,
        "delivered": latencies.len(),
        "delivered_per_sec": latencies.len() as f64 / measured,
        "latency": latency_json(&latencies),
        "errors": run.errors.load(Ordering::Relaxed),
        "disconnects": run.disconnects.load(Ordering::Relaxed),
        "server": usage,
    }))
}

async fn idle(
    args: Arc<Args>,
    connections: u32,
    workshops: u32,
    hold_secs: u64,
) -> Result<Value, String> {
    let rooms = rooms(&args, workshops.max(1)).await?;
    // Rooms exist and hold the template before the baseline is read.
    let per_room = connections.div_ceil(workshops.max(1));
    let warm = join_all(args.clone(), &rooms, 1).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = procstat::sample_all(&args.server_pids);
    eprintln!("workshop-load: opening {connections} idle connections");
    let mut set = JoinSet::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency));
    for n in 0..connections {
        let room = rooms[(n / per_room.max(1)) as usize % rooms.len()].clone();
        let (args, limit) = (args.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire().await;
            join_one(&args, &room, 1_000_000 + n).await
        });
    }
    let mut open = Vec::new();
    let mut failed = 0u64;
    while let Some(result) = set.join_next().await {
        match result {
            Ok(Ok(joined)) => open.push(joined),
            _ => failed += 1,
        }
    }
    tokio::time::sleep(Duration::from_secs(hold_secs)).await;
    let after = procstat::sample_all(&args.server_pids);
    let per_connection = match (before, after) {
        (Some(before), Some(after)) if !open.is_empty() => {
            Some(after.rss.saturating_sub(before.rss) as f64 / open.len() as f64)
        }
        _ => None,
    };
    drop(open);
    drop(warm);
    Ok(json!({
        "mode": "idle",
        "connections": connections,
        "open": connections as u64 - failed,
        "refused": failed,
        "rss_before_bytes": before.map(|s| s.rss),
        "rss_after_bytes": after.map(|s| s.rss),
        "bytes_per_connection": per_connection,
    }))
}

async fn return_after_offline(args: Arc<Args>, updates: u32) -> Result<Value, String> {
    let rooms = rooms(&args, 1).await?;
    let room = &rooms[0];
    let mut joined = join_all(args.clone(), &rooms, 2).await?;
    let returner = joined.pop().ok_or("no participant")?;
    let mut watcher = joined.pop().ok_or("no participant")?;
    let sender = returner.index;
    let offline = returner.leave().await;
    offline.edit(updates)?;
    let run = Run::new();
    let started = run.now_micros();
    let url = url_of(&args, room, sender);
    let (arrived, returned) = tokio::join!(
        watcher.wait_marker(sender, &run),
        offline.rejoin(&url, &room.token, &run)
    );
    returned?;
    let arrived = arrived?;
    Ok(json!({
        "mode": "return",
        "updates": updates,
        "merged_ms": (arrived.saturating_sub(started)) as f64 / 1000.0,
    }))
}

async fn history(args: Arc<Args>, updates: u32) -> Result<Value, String> {
    let rooms = rooms(&args, 1).await?;
    let mut joined = join_all(args.clone(), &rooms, 1).await?;
    let mut writer = joined.pop().ok_or("no participant")?;
    let started = std::time::Instant::now();
    writer.send_history(updates).await?;
    Ok(json!({
        "mode": "history",
        "room": rooms[0].name,
        "token": rooms[0].token,
        "updates": updates,
        "written_secs": started.elapsed().as_secs_f64(),
    }))
}

async fn cold_load(args: Arc<Args>, room: String, token: String) -> Result<Value, String> {
    let room = Room { name: room, token };
    let started = std::time::Instant::now();
    let mut joined = join_one(&args, &room, 0).await?;
    // A server may answer the handshake before it has read the room from its store and send
    // the stored content as an update afterwards (y-websocket-server does): the load ends
    // when the workshop is here.
    let has_workshop = joined.wait_ready().await.is_ok();
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let state_bytes = joined.state_bytes();
    Ok(json!({
        "mode": "cold-load",
        "load_ms": load_ms,
        "state_bytes": state_bytes,
        "has_workshop": has_workshop,
        "server": procstat::sample_all(&args.server_pids).map(|s| json!({"rss_bytes": s.rss})),
    }))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Arc::new(Args::parse());
    if !args.urls.iter().all(|url| is_loopback(url)) {
        eprintln!("workshop-load: only loopback servers (127.0.0.1, localhost, [::1]) are allowed");
        return std::process::ExitCode::FAILURE;
    }
    let outcome = match args.mode {
        Mode::Live {
            workshops,
            participants,
            interval_ms,
            edit,
            warmup_secs,
            duration_secs,
        } => {
            live(
                args.clone(),
                workshops,
                participants.max(2),
                interval_ms,
                edit,
                warmup_secs,
                duration_secs,
            )
            .await
        }
        Mode::Idle {
            connections,
            workshops,
            hold_secs,
        } => idle(args.clone(), connections, workshops, hold_secs).await,
        Mode::Return { updates } => return_after_offline(args.clone(), updates).await,
        Mode::History { updates } => history(args.clone(), updates).await,
        Mode::ColdLoad {
            ref room,
            ref token,
        } => cold_load(args.clone(), room.clone(), token.clone()).await,
    };
    match outcome {
        Ok(report) => {
            println!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("workshop-load: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or_default();
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|host| rest.starts_with(host))
}
