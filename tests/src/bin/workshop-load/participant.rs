//! One simulated participant: a WebSocket, the handshake, and then two loops: one sends an
//! edit every interval (a score vote or a keystroke in a note, with the time it was sent),
//! the other reads every peer's edits and records how long each took to arrive.
//!
//! A participant keeps its own small Yrs document: the workshop as the handshake gave it plus
//! its own edits, which is all it needs to make valid updates. It does not apply the peers'
//! updates once measuring starts (a real client would; the load generator must not be the
//! bottleneck): it reads the time marker out of each one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use workshop_shared::schema;
use workshop_shared::template::{self, WorkshopMeta};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Map, MapRef, Out, ReadTxn, Text, TextRef, Transact, Update};

use crate::framing::{self, Framing, Sync, SYNC_STEP1, SYNC_UPDATE};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The aspect every edit goes to.
pub const ASPECT: &str = "whole-system";

/// What the participants of a run share.
#[derive(Debug)]
pub struct Run {
    /// Time zero of every timestamp.
    pub started: Instant,
    /// Whether deliveries are being recorded (after the warm-up).
    pub measuring: AtomicBool,
    /// Edits sent while measuring.
    pub sent: AtomicU64,
    /// Failed sends, unreadable frames.
    pub errors: AtomicU64,
    /// Connections that ended before the run did.
    pub disconnects: AtomicU64,
}

impl Run {
    /// A run starting now.
    pub fn new() -> Run {
        Run {
            started: Instant::now(),
            measuring: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
        }
    }

    /// Microseconds since the run started.
    pub fn now_micros(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// What a participant edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EditKind {
    /// A score vote on a factor (1..5, cycling).
    Vote,
    /// One character typed at the end of a factor's notes.
    Key,
}

/// A participant with its socket open and the workshop in its document.
pub struct Joined {
    /// Its number in the run (carried in its markers).
    pub index: u32,
    /// Its framing.
    pub framing: Framing,
    socket: Socket,
    doc: Doc,
    id: String,
}

/// How long the handshake may take.
const HANDSHAKE: Duration = Duration::from_secs(60);

/// Bytes each socket reads at once. tungstenite's default read buffer (128 KiB) is allocated
/// and zeroed afresh as it is used, which with thousands of sockets costs the load generator
/// more than everything else it does; the messages it reads are small.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Opens a WebSocket to `url`, with TCP_NODELAY (without it, Nagle's algorithm holds small
/// frames back for tens of milliseconds) and a small read buffer.
async fn connect(url: &str) -> Result<Socket, String> {
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
    let connect = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    let (socket, _) = tokio::time::timeout(HANDSHAKE, connect)
        .await
        .map_err(|_| format!("connecting to {url} timed out"))?
        .map_err(|error| format!("connecting to {url}: {error}"))?;
    Ok(socket)
}

/// Opens a socket to `url`, says hello, and applies the server's sync step 2.
pub async fn join(index: u32, url: &str, framing: Framing, token: &str) -> Result<Joined, String> {
    let socket = connect(url).await?;
    let mut joined = Joined {
        index,
        framing,
        socket,
        doc: Doc::new(),
        id: uuid::Uuid::new_v4().to_string(),
    };
    if let Some(hello) = joined.framing.hello(token) {
        joined.send(hello).await?;
    }
    let empty = yrs::StateVector::default();
    let step1 = joined.framing.sync(
        SYNC_STEP1,
        &yrs::updates::encoder::Encode::encode_v1(&empty),
    );
    joined.send(step1).await?;
    tokio::time::timeout(
        HANDSHAKE,
        joined.read_until(|sync| matches!(sync, Sync::Step2(_))),
    )
    .await
    .map_err(|_| "no sync step 2 within the handshake time".to_owned())??;
    Ok(joined)
}

impl Joined {
    async fn send(&mut self, frame: Vec<u8>) -> Result<(), String> {
        self.socket
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|error| format!("send: {error}"))
    }

    /// Reads frames, applying every update, until one matches `done`.
    async fn read_until(&mut self, mut done: impl FnMut(&Sync) -> bool) -> Result<(), String> {
        while let Some(message) = self.socket.next().await {
            let message = message.map_err(|error| format!("read: {error}"))?;
            let Message::Binary(frame) = message else {
                continue;
            };
            let Some(sync) = self.framing.read_sync(&frame) else {
                continue;
            };
            if let Sync::Step2(update) | Sync::Update(update) = &sync {
                if let Ok(update) = Update::decode_v1(update) {
                    let _ = self.doc.transact_mut().apply_update(update);
                }
            }
            if done(&sync) {
                return Ok(());
            }
        }
        Err("the server closed the connection".into())
    }

    fn factors(&self) -> Option<MapRef> {
        let txn = self.doc.transact();
        let aspects = txn.get_map(schema::ASPECTS)?;
        let Some(Out::YMap(aspect)) = aspects.get(&txn, ASPECT) else {
            return None;
        };
        match aspect.get(&txn, schema::key::FACTORS) {
            Some(Out::YMap(factors)) => Some(factors),
            _ => None,
        }
    }

    /// The size of this participant's document, encoded whole.
    pub fn state_bytes(&self) -> usize {
        self.doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default())
            .len()
    }

    /// Whether the workshop's factors are in this participant's document.
    pub fn ready(&self) -> bool {
        self.factors().is_some()
    }

    /// Writes the built-in template (for a server that starts rooms empty) and sends it.
    pub async fn fill_template(&mut self) -> Result<(), String> {
        let update = {
            let mut txn = self.doc.transact_mut();
            template::fill(
                &mut txn,
                &WorkshopMeta {
                    title: "Load test".into(),
                    place: "Loopback".into(),
                    created_at: "2026-11-23T09:00:00Z".into(),
                },
            );
            txn.encode_update_v1()
        };
        let frame = self.framing.sync(SYNC_UPDATE, &update);
        self.send(frame).await
    }

    /// Applies what arrives until the workshop's factors are here.
    pub async fn wait_ready(&mut self) -> Result<(), String> {
        if self.ready() {
            return Ok(());
        }
        let mut ready = false;
        let doc = self.doc.clone();
        tokio::time::timeout(
            HANDSHAKE,
            self.read_until(|_| {
                ready = factors_in(&doc);
                ready
            }),
        )
        .await
        .map_err(|_| "the workshop's template never arrived".to_owned())??;
        Ok(())
    }

    /// Reads frames, without applying them, until one carries a marker of `sender`; returns
    /// the time it arrived (run microseconds).
    pub async fn wait_marker(&mut self, sender: u32, run: &Run) -> Result<u64, String> {
        while let Some(message) = self.socket.next().await {
            let message = message.map_err(|error| format!("read: {error}"))?;
            if let Message::Binary(frame) = message {
                if framing::markers(&frame)
                    .iter()
                    .any(|(from, _)| *from == sender)
                {
                    return Ok(run.now_micros());
                }
            }
        }
        Err("the server closed the connection".into())
    }

    /// Sends `count` updates (vote edits) as fast as the socket takes them, then waits until
    /// the server has handled all of them (its answer to a sync step 1 sent after them).
    pub async fn send_history(&mut self, count: u32) -> Result<(), String> {
        let (scores, _) = target(&self.doc, self.index).ok_or("no factor to edit")?;
        for n in 0..count {
            let update = {
                let mut txn = self.doc.transact_mut();
                scores.insert(&mut txn, self.id.as_str(), i64::from(n % 5) + 1);
                txn.encode_update_v1()
            };
            let frame = self.framing.sync(SYNC_UPDATE, &update);
            self.send(frame).await?;
        }
        let state = yrs::updates::encoder::Encode::encode_v1(&self.doc.transact().state_vector());
        let step1 = self.framing.sync(SYNC_STEP1, &state);
        self.send(step1).await?;
        tokio::time::timeout(
            HANDSHAKE * 5,
            self.read_until(|sync| matches!(sync, Sync::Step2(_))),
        )
        .await
        .map_err(|_| "the server did not confirm the history".to_owned())?
    }

    /// Goes offline: closes the socket and keeps the document.
    pub async fn leave(mut self) -> Offline {
        let _ = self.socket.close(None).await;
        let left_at = self.doc.transact().state_vector();
        Offline {
            index: self.index,
            framing: self.framing,
            doc: self.doc,
            id: self.id,
            left_at,
        }
    }

    /// Sends an edit every `interval` until `stop`, while reading the peers' edits; returns
    /// the latencies it recorded, in microseconds.
    pub async fn run(
        self,
        run: Arc<Run>,
        interval: Duration,
        kind: EditKind,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Histogram<u64> {
        let mut latencies = new_histogram();
        let Joined {
            index,
            framing,
            socket,
            doc,
            id,
        } = self;
        let (sink, stream) = socket.split();
        let writer = tokio::spawn(write_loop(
            index,
            framing.clone(),
            sink,
            doc,
            id,
            run.clone(),
            interval,
            kind,
            stop.clone(),
        ));
        read_loop(index, stream, &run, &mut latencies, &mut stop).await;
        let _ = writer.await;
        latencies
    }
}

fn factors_in(doc: &Doc) -> bool {
    let txn = doc.transact();
    let Some(aspects) = txn.get_map(schema::ASPECTS) else {
        return false;
    };
    matches!(aspects.get(&txn, ASPECT), Some(Out::YMap(aspect))
        if matches!(aspect.get(&txn, schema::key::FACTORS), Some(Out::YMap(_))))
}

/// A histogram of microseconds from 1 µs to 1 h, 3 significant figures.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// The factor this participant edits, and its `scores` map and `notes` text.
fn target(doc: &Doc, index: u32) -> Option<(MapRef, TextRef)> {
    let txn = doc.transact();
    let aspects = txn.get_map(schema::ASPECTS)?;
    let Some(Out::YMap(aspect)) = aspects.get(&txn, ASPECT) else {
        return None;
    };
    let Some(Out::YMap(factors)) = aspect.get(&txn, schema::key::FACTORS) else {
        return None;
    };
    let mut ids: Vec<String> = factors.keys(&txn).map(str::to_owned).collect();
    ids.sort();
    let id = ids.get(index as usize % ids.len().max(1))?;
    let Some(Out::YMap(factor)) = factors.get(&txn, id) else {
        return None;
    };
    let Some(Out::YMap(scores)) = factor.get(&txn, schema::key::SCORES) else {
        return None;
    };
    let Some(Out::YText(notes)) = factor.get(&txn, schema::key::NOTES) else {
        return None;
    };
    Some((scores, notes))
}

#[allow(clippy::too_many_arguments)]
async fn write_loop(
    index: u32,
    framing: Framing,
    mut sink: SplitSink<Socket, Message>,
    doc: Doc,
    id: String,
    run: Arc<Run>,
    interval: Duration,
    kind: EditKind,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some((scores, notes)) = target(&doc, index) else {
        run.errors.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let bench = doc.get_or_insert_map("bench");
    // Spread the participants' edits evenly over the interval, within each workshop (whose
    // participants have consecutive indices) as well as across them: the golden-ratio
    // sequence puts any run of consecutive indices far apart.
    let offset = interval.mul_f64((f64::from(index) * 0.618_033_988_749_895).fract());
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + offset, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sequence: u64 = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => break,
        }
        sequence += 1;
        let update = {
            let mut txn = doc.transact_mut();
            match kind {
                EditKind::Vote => {
                    let value = i64::try_from(sequence % 5).unwrap_or(0) + 1;
                    scores.insert(&mut txn, id.as_str(), value);
                }
                EditKind::Key => {
                    let end = notes.len(&txn);
                    notes.insert(&mut txn, end, "a");
                }
            }
            bench.insert(
                &mut txn,
                id.as_str(),
                framing::marker(index, run.now_micros()),
            );
            txn.encode_update_v1()
        };
        let frame = framing.sync(SYNC_UPDATE, &update);
        if sink.send(Message::Binary(frame.into())).await.is_err() {
            run.errors.fetch_add(1, Ordering::Relaxed);
            break;
        }
        if run.measuring.load(Ordering::Relaxed) {
            run.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _ = sink.close().await;
}

async fn read_loop(
    index: u32,
    mut stream: SplitStream<Socket>,
    run: &Run,
    latencies: &mut Histogram<u64>,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            _ = stop.changed() => return,
        };
        match message {
            Some(Ok(Message::Binary(frame))) => {
                if !run.measuring.load(Ordering::Relaxed) {
                    continue;
                }
                let now = run.now_micros();
                for (sender, sent) in framing::markers(&frame) {
                    if sender != index {
                        let _ = latencies.record(now.saturating_sub(sent).max(1));
                    }
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => {
                if !*stop.borrow() {
                    run.disconnects.fetch_add(1, Ordering::Relaxed);
                }
                return;
            }
        }
    }
}

/// A participant that went offline, editing on its own.
pub struct Offline {
    index: u32,
    framing: Framing,
    doc: Doc,
    id: String,
    left_at: yrs::StateVector,
}

impl Offline {
    /// Makes `count` edits, each its own transaction (a keystroke in a note, every tenth a
    /// vote), as a participant working offline would.
    pub fn edit(&self, count: u32) -> Result<(), String> {
        let (scores, notes) = target(&self.doc, self.index).ok_or("no factor to edit")?;
        for n in 0..count {
            let mut txn = self.doc.transact_mut();
            if n % 10 == 9 {
                scores.insert(&mut txn, self.id.as_str(), i64::from(n % 5) + 1);
            } else {
                let end = notes.len(&txn);
                notes.insert(&mut txn, end, "o");
            }
        }
        Ok(())
    }

    /// Reconnects and sends everything made offline (with a marker stamped now, so a peer
    /// can tell when all of it has been merged and relayed).
    pub async fn rejoin(self, url: &str, token: &str, run: &Run) -> Result<(), String> {
        let bench = self.doc.get_or_insert_map("bench");
        bench.insert(
            &mut self.doc.transact_mut(),
            self.id.as_str(),
            framing::marker(self.index, run.now_micros()),
        );
        let socket = connect(url).await?;
        let mut joined = Joined {
            index: self.index,
            framing: self.framing,
            socket,
            doc: self.doc,
            id: self.id,
        };
        if let Some(hello) = joined.framing.hello(token) {
            joined.send(hello).await?;
        }
        let state = yrs::updates::encoder::Encode::encode_v1(&joined.doc.transact().state_vector());
        let step1 = joined.framing.sync(SYNC_STEP1, &state);
        joined.send(step1).await?;
        let pending = joined
            .doc
            .transact()
            .encode_state_as_update_v1(&self.left_at);
        let update = joined.framing.sync(SYNC_UPDATE, &pending);
        joined.send(update).await?;
        // Keep the socket open until the server has it all.
        tokio::time::timeout(
            HANDSHAKE,
            joined.read_until(|sync| matches!(sync, Sync::Step2(_))),
        )
        .await
        .map_err(|_| "no answer after returning".to_owned())??;
        Ok(())
    }
}
