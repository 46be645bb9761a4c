//! The crash test: clients write while the server is killed with SIGKILL and restarted, again
//! and again, and nothing any client has seen may be lost.
//!
//! Shared by the short test in `tests/tests/crash.rs` and the long run of
//! `examples/crash_soak.rs`. One [`run`]:
//!
//! 1. starts the server and creates a workshop;
//! 2. connects an **observer** (it never writes) and `writers` **writers**; each writer sets
//!    its participant's score vote on one factor after another and now and then inserts a
//!    unique token into a factor's notes, one transaction per write, pausing a random moment
//!    in between, and keeps writing offline while the server is down;
//! 3. lets them write for a random time, then kills the server with SIGKILL in mid-stream,
//!    and with it one writer (its document is dropped: whatever it had not yet got to the
//!    server is gone with it, and it can no longer hand the server back what it saw, so every
//!    one of its updates the observer saw must come back from the server's disk alone);
//! 4. restarts the server on the same data directory and port, and first connects a **new
//!    observer with an empty document**, before any writer is back, so the state it syncs is
//!    exactly what the server recovered from disk: every update the previous observer had
//!    received must be in it (its inserted ids within the recovered state vector, its
//!    deletions within the recovered delete set), or it counts as lost;
//! 5. reconnects the surviving writers with their documents (their offline writes go up),
//!    starts a new writer in place of the killed one, and goes round again;
//! 6. every `check_every` kills and after the last one, stops the writers, waits until the
//!    server has applied everything they sent, connects a fresh client, and waits until the
//!    writers, the observer and the fresh client hold the same state vector and the same
//!    document. At the very end it also checks the fresh client against everything every
//!    observer ever saw (every seen vote key and notes token, and every seen update).
//!
//! Every wait is bounded by [`TIMEOUT`](crate::TIMEOUT); nothing measures speed except the
//! figures the report prints.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use workshop_client::{path, SyncClient};
use workshop_shared::schema::{self, key};
use workshop_shared::template::ASPECTS;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, IdSet, ReadTxn, StateVector, Text, Transact, Update};

use crate::api::Api;
use crate::redis::TestRedis;
use crate::workshop::{participant, set_score};
use crate::{TestServer, TIMEOUT};

/// How a crash run goes.
#[derive(Debug, Clone)]
pub struct CrashConfig {
    /// How many times the server is killed (and restarted).
    pub kills: usize,
    /// How many clients write at once (at least 1).
    pub writers: usize,
    /// Shortest time the clients write between two kills.
    pub min_run: Duration,
    /// Longest time the clients write between two kills.
    pub max_run: Duration,
    /// Longest pause of a writer between two writes (each pause is random up to this).
    pub max_pause: Duration,
    /// Check convergence after every this many kills as well as at the end (0: at the end only).
    pub check_every: usize,
    /// Seed of the run's random choices (run lengths, pauses), printed to reproduce a run's shape.
    pub seed: u64,
    /// 0: one server on its own sled store. N ≥ 1: N servers sharing one Redis; writer `i`
    /// writes through server `i mod N`, and kill `k` kills server `k mod N`.
    pub redis_servers: usize,
}

impl Default for CrashConfig {
    fn default() -> Self {
        CrashConfig {
            kills: 5,
            writers: 3,
            min_run: Duration::from_millis(100),
            max_run: Duration::from_millis(400),
            // About 40 writes a second per writer on average: far more than a person types,
            // and under the server's default limit of 50 document messages a second per
            // connection (a writer over it would be closed with 4429, a different test).
            max_pause: Duration::from_millis(50),
            check_every: 0,
            seed: 0x5eed,
            redis_servers: 0,
        }
    }
}

/// What a crash run saw.
#[derive(Debug, Clone, Default)]
pub struct CrashReport {
    /// Times the server was killed with SIGKILL and restarted.
    pub kills: usize,
    /// Writers dropped together with the server (one per kill).
    pub writers_killed: usize,
    /// Transactions the writers made (each one update).
    pub updates_written: u64,
    /// Updates the observers received (relayed edits, the server's results, sync replies).
    pub updates_observed: u64,
    /// Observed updates missing from the state the server recovered after the next kill, or
    /// from the final download. Must be 0.
    pub updates_lost: u64,
    /// Vote keys and notes tokens some observer saw that the final download lacks. Must be 0.
    pub content_lost: u64,
    /// A description of the first few losses, for the failure message.
    pub lost: Vec<String>,
    /// Times every live client was found holding the same document as a fresh download.
    pub convergence_checks: usize,
    /// Client documents compared in those checks, in all.
    pub documents_compared: usize,
    /// From starting the restarted server to the first client's completed initial sync, per
    /// restart.
    pub restart_to_sync: Vec<Duration>,
    /// Wall-clock time of the whole run.
    pub total: Duration,
}

impl CrashReport {
    /// The median restart-to-first-sync time.
    pub fn median_restart_to_sync(&self) -> Option<Duration> {
        percentile(&self.restart_to_sync, 0.5)
    }

    /// The 95th percentile restart-to-first-sync time.
    pub fn p95_restart_to_sync(&self) -> Option<Duration> {
        percentile(&self.restart_to_sync, 0.95)
    }

    /// The longest restart-to-first-sync time.
    pub fn max_restart_to_sync(&self) -> Option<Duration> {
        self.restart_to_sync.iter().max().copied()
    }
}

impl fmt::Display for CrashReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.1} ms", millis(d)));
        writeln!(f, "kills (SIGKILL + restart)      {}", self.kills)?;
        writeln!(f, "writers killed with the server {}", self.writers_killed)?;
        writeln!(f, "updates written                {}", self.updates_written)?;
        writeln!(
            f,
            "updates observed               {}",
            self.updates_observed
        )?;
        writeln!(f, "updates lost                   {}", self.updates_lost)?;
        writeln!(f, "votes/notes tokens lost        {}", self.content_lost)?;
        writeln!(
            f,
            "convergence checks             {} ({} documents compared)",
            self.convergence_checks, self.documents_compared
        )?;
        writeln!(
            f,
            "total time                     {:.1} s",
            self.total.as_secs_f64()
        )?;
        write!(
            f,
            "restart to first sync          median {}, p95 {}, max {}",
            ms(self.median_restart_to_sync()),
            ms(self.p95_restart_to_sync()),
            ms(self.max_restart_to_sync())
        )
    }
}

/// A crash run that could not be carried out (as opposed to one that found losses, which
/// [`CrashReport`] reports).
#[derive(Debug, Clone)]
pub struct CrashError(pub String);

impl fmt::Display for CrashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CrashError {}

/// Runs the crash test as `config` says; `progress` is called after every kill with the
/// report so far. Starts and stops its own server.
pub async fn run(
    config: &CrashConfig,
    mut progress: impl FnMut(&CrashReport),
) -> Result<CrashReport, CrashError> {
    // Building the server binary (on a first run) is not part of the run's time.
    crate::server::server_binary();
    let started = Instant::now();
    let mut rng = Rng::new(config.seed);
    let mut report = CrashReport::default();
    let redis = (config.redis_servers > 0).then(TestRedis::start);
    let mut servers = Vec::new();
    match &redis {
        Some(redis) => {
            let url = redis.url();
            for _ in 0..config.redis_servers {
                servers.push(TestServer::start_with(&["--redis", &url]).await);
            }
        }
        None => servers.push(TestServer::start().await),
    }
    let id = Api::new(servers[0].http_url())
        .create_workshop("Crash test", "Northshire")
        .await;
    let written = Arc::new(AtomicU64::new(0));
    let mut ever_seen = Seen::default();

    let mut observer = Observer::connect(&servers[0], &id).await?;
    let mut writers = Vec::new();
    for index in 0..config.writers.max(1) {
        let mut writer = Writer::new();
        writer
            .reconnect(&servers[index % servers.len()], &id)
            .await?;
        writer.start(config, &written, &mut rng);
        writers.push(writer);
    }

    for kill in 0..config.kills {
        tokio::time::sleep(rng.between(config.min_run, config.max_run)).await;
        let killed = kill % servers.len();
        let server = &mut servers[killed];
        server.kill().await;
        report.kills += 1;

        // One writer dies with the server. Stopping its task first means it makes no more
        // writes; dropping its client drops its document and anything not yet sent.
        let victim = kill % writers.len();
        let mut dead = std::mem::replace(&mut writers[victim], Writer::new());
        dead.stop().await;
        drop(dead);
        report.writers_killed += 1;

        // The observer's connection is gone; keep what it saw and check it against what the
        // restarted server recovers, before any writer can hand anything back.
        let seen = observer.finish(&mut ever_seen);
        let restarting = Instant::now();
        server.restart_on_same_port().await;
        observer = Observer::connect(server, &id).await?;
        report.restart_to_sync.push(restarting.elapsed());
        let recovered = observer.client.doc().transact().snapshot();
        report.updates_observed += seen.updates.len() as u64;
        for (index, update) in seen.updates.iter().enumerate() {
            if let Some(missing) = update.missing_from(&recovered.state_map, &recovered.delete_set)
            {
                report.updates_lost += 1;
                if report.lost.len() < 10 {
                    report.lost.push(format!(
                        "after kill {}: observed update #{index} not recovered: {missing}",
                        kill + 1
                    ));
                }
            }
        }

        for (index, writer) in writers.iter_mut().enumerate() {
            writer
                .reconnect(&servers[index % servers.len()], &id)
                .await?;
            writer.start(config, &written, &mut rng);
        }
        if config.check_every > 0 && (kill + 1) % config.check_every == 0 {
            converge(&servers[0], &id, &mut writers, &observer, &mut report).await?;
            for writer in &mut writers {
                writer.start(config, &written, &mut rng);
            }
        }
        report.updates_written = written.load(Ordering::Relaxed);
        report.total = started.elapsed();
        progress(&report);
    }

    // After the last restart: writers stop, and a fresh download must hold everything.
    let fresh = converge(&servers[0], &id, &mut writers, &observer, &mut report).await?;
    let seen = observer.finish(&mut ever_seen);
    report.updates_observed += seen.updates.len() as u64;
    let have = fresh.doc().transact().snapshot();
    for (index, update) in seen.updates.iter().enumerate() {
        if let Some(missing) = update.missing_from(&have.state_map, &have.delete_set) {
            report.updates_lost += 1;
            if report.lost.len() < 10 {
                report.lost.push(format!(
                    "final download lacks observed update #{index}: {missing}"
                ));
            }
        }
    }
    let content = Content::of(fresh.doc());
    for missing in ever_seen.content.missing_from(&content) {
        report.content_lost += 1;
        if report.lost.len() < 10 {
            report
                .lost
                .push(format!("final download lacks observed {missing}"));
        }
    }
    for writer in &mut writers {
        writer.stop().await;
    }
    report.updates_written = written.load(Ordering::Relaxed);
    report.total = started.elapsed();
    Ok(report)
}

/// Stops the writers, waits until the server has applied and stored everything they sent,
/// then waits until the writers, the observer and a fresh client hold the same document.
/// Returns the fresh client (still connected). The writers are left stopped.
async fn converge(
    server: &TestServer,
    id: &str,
    writers: &mut [Writer],
    observer: &Observer,
    report: &mut CrashReport,
) -> Result<SyncClient, CrashError> {
    for writer in writers.iter_mut() {
        writer.stop().await;
    }
    for (index, writer) in writers.iter().enumerate() {
        // The server answers a SyncStep1 only after everything sent before it is on disk.
        writer.client.flush(TIMEOUT).await.map_err(|e| {
            CrashError(format!(
                "writer {index} flush: {e} (its connection: {})",
                writer.client.state()
            ))
        })?;
    }
    let fresh = connect_fresh(server, id).await?;
    let mut clients: Vec<&SyncClient> = writers.iter().map(|writer| &writer.client).collect();
    clients.push(&observer.client);
    clients.push(&fresh);

    // The server may still be writing results after the last edits; they reach everyone.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let states: Vec<StateVector> = clients
            .iter()
            .map(|client| client.doc().transact().state_vector())
            .collect();
        if states.windows(2).all(|pair| pair[0] == pair[1]) {
            let documents: Vec<Value> = clients
                .iter()
                .map(|client| workshop_shared::export::document_json(&client.doc().transact()))
                .collect();
            if documents.windows(2).all(|pair| pair[0] == pair[1]) {
                report.convergence_checks += 1;
                report.documents_compared += documents.len();
                return Ok(fresh);
            }
        }
        if Instant::now() >= deadline {
            let described: Vec<String> = states.iter().map(|sv| format!("{sv:?}")).collect();
            return Err(CrashError(format!(
                "clients did not converge within {TIMEOUT:?}; state vectors (writers, observer, \
                 fresh client):\n{}",
                described.join("\n")
            )));
        }
        // A failure guard, not a measure: the state vectors are polled until they agree.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A client with a new, empty document, connected and synced.
async fn connect_fresh(server: &TestServer, id: &str) -> Result<SyncClient, CrashError> {
    let mut client = SyncClient::new().with_connect_timeout(TIMEOUT);
    let url = server.ws_url(id);
    client
        .connect(&url)
        .await
        .map_err(|e| CrashError(format!("connect to {url}: {e}")))?;
    Ok(client)
}

/// A client that never writes, recording every update it receives.
struct Observer {
    client: SyncClient,
    seen: Arc<Mutex<Seen>>,
}

impl Observer {
    /// Connects a new observer with an empty document.
    async fn connect(server: &TestServer, id: &str) -> Result<Observer, CrashError> {
        let doc = Doc::new();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let record = Arc::clone(&seen);
        // Registered before the client exists, so not even the initial sync escapes it. The
        // observer never writes, so every update of its document came from the server.
        doc.observe_update_v1("crash-observer", move |_txn, event| {
            if let Some(update) = SeenUpdate::of(&event.update) {
                record
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .updates
                    .push(update);
            }
        })
        .map_err(|e| CrashError(format!("observe the observer's document: {e}")))?;
        let mut client = SyncClient::with_doc(doc).with_connect_timeout(TIMEOUT);
        let url = server.ws_url(id);
        client
            .connect(&url)
            .await
            .map_err(|e| CrashError(format!("observer connect to {url}: {e}")))?;
        Ok(Observer { client, seen })
    }

    /// Ends this observer: returns the updates it saw, and adds the content it holds to
    /// `ever_seen`.
    fn finish(&self, ever_seen: &mut Seen) -> Seen {
        let seen = std::mem::take(&mut *self.seen.lock().unwrap_or_else(PoisonError::into_inner));
        ever_seen.content.extend(Content::of(self.client.doc()));
        seen
    }
}

/// What an observer has received.
#[derive(Default)]
struct Seen {
    updates: Vec<SeenUpdate>,
    content: Content,
}

/// The ids one received update inserted and deleted.
struct SeenUpdate {
    /// Per client, the end (exclusive) of the clock range the update inserted.
    inserted: Vec<(ClientID, u32)>,
    deleted: IdSet,
}

impl SeenUpdate {
    fn of(update: &[u8]) -> Option<SeenUpdate> {
        let update = Update::decode_v1(update).ok()?;
        let mut inserted = Vec::new();
        for (client, ranges) in update.insertions(true).iter() {
            if let Some(end) = ranges.iter().map(|range| range.end).max() {
                inserted.push((*client, end));
            }
        }
        let deleted = update.delete_set().clone();
        (!inserted.is_empty() || !deleted.is_empty()).then_some(SeenUpdate { inserted, deleted })
    }

    /// What of this update a document with `state` and `deleted` lacks, if anything.
    fn missing_from(&self, state: &StateVector, deleted: &IdSet) -> Option<String> {
        let mut missing = Vec::new();
        for (client, end) in &self.inserted {
            let have = state.get(client);
            if have < *end {
                missing.push(format!("client {client} clocks {have}..{end}"));
            }
        }
        let undeleted = self.deleted.diff(deleted);
        for (client, ranges) in undeleted.iter() {
            for range in ranges.iter() {
                if !range.is_empty() {
                    missing.push(format!("deletion of client {client} clocks {range:?}"));
                }
            }
        }
        (!missing.is_empty()).then(|| missing.join(", "))
    }
}

/// The writers' marks in a document: vote keys and notes tokens.
#[derive(Default)]
struct Content {
    /// `aspect/factor/participant` of every score vote.
    votes: BTreeSet<String>,
    /// Every `[w…]` token in any factor's notes.
    tokens: BTreeSet<String>,
}

impl Content {
    fn of(doc: &Doc) -> Content {
        let txn = doc.transact();
        let mut content = Content::default();
        for (aspect, factor) in factors() {
            let scores_at = [aspect, key::FACTORS, factor, key::SCORES];
            if let Some(Value::Object(votes)) = path::json_at(&txn, schema::ASPECTS, &scores_at) {
                for voter in votes.keys() {
                    content.votes.insert(format!("{aspect}/{factor}/{voter}"));
                }
            }
            let notes_at = [aspect, key::FACTORS, factor, key::NOTES];
            if let Some(notes) = path::text_at(&txn, schema::ASPECTS, &notes_at) {
                let text = yrs::GetString::get_string(&notes, &txn);
                content.tokens.extend(tokens(&text));
            }
        }
        content
    }

    fn extend(&mut self, other: Content) {
        self.votes.extend(other.votes);
        self.tokens.extend(other.tokens);
    }

    /// What of this content `other` lacks, described.
    fn missing_from(&self, other: &Content) -> Vec<String> {
        let votes = self
            .votes
            .difference(&other.votes)
            .map(|vote| format!("vote {vote}"));
        let tokens = self
            .tokens
            .difference(&other.tokens)
            .map(|token| format!("notes token {token}"));
        votes.chain(tokens).collect()
    }
}

/// The `[…]` tokens of a notes text.
fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split('[')
        .filter_map(|rest| rest.split_once(']'))
        .map(|(token, _)| format!("[{token}]"))
}

/// Every (aspect, factor) of the template, in order.
fn factors() -> impl Iterator<Item = (&'static str, &'static str)> {
    ASPECTS.iter().flat_map(|aspect| {
        aspect
            .factors
            .iter()
            .map(|(factor, _)| (aspect.id, *factor))
    })
}

/// A writing client and the task that writes through it.
struct Writer {
    client: SyncClient,
    participant: String,
    /// Writes made so far by this writer; the next write's number.
    count: Arc<AtomicU64>,
    task: Option<(Arc<AtomicBool>, tokio::task::JoinHandle<()>)>,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            client: SyncClient::new().with_connect_timeout(TIMEOUT),
            participant: participant(),
            count: Arc::new(AtomicU64::new(0)),
            task: None,
        }
    }

    /// Connects (again) to the server, sending what was written offline.
    async fn reconnect(&mut self, server: &TestServer, id: &str) -> Result<(), CrashError> {
        // The old connection died with the server; make sure its task is gone before dialling.
        self.client.disconnect().await;
        let url = server.ws_url(id);
        self.client
            .connect(&url)
            .await
            .map_err(|e| CrashError(format!("writer connect to {url}: {e}")))
    }

    /// Starts writing, if not already (the document must have been synced once).
    fn start(&mut self, config: &CrashConfig, written: &Arc<AtomicU64>, rng: &mut Rng) {
        if self.task.is_some() {
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(write_loop(
            self.client.doc().clone(),
            self.participant.clone(),
            Arc::clone(&self.count),
            Arc::clone(written),
            Arc::clone(&stop),
            config.max_pause,
            Rng::new(rng.next()),
        ));
        self.task = Some((stop, task));
    }

    /// Stops writing and waits for the task to end.
    async fn stop(&mut self) {
        if let Some((stop, task)) = self.task.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = task.await;
        }
    }
}

/// One writer's loop: a score vote per write on the next factor, and every fourth write also
/// a unique token in that factor's notes; each write is one transaction.
async fn write_loop(
    doc: Doc,
    participant: String,
    count: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    max_pause: Duration,
    mut rng: Rng,
) {
    let factors: Vec<_> = factors().collect();
    let short = participant.get(..8).unwrap_or(&participant).to_owned();
    while !stop.load(Ordering::Relaxed) {
        let n = count.fetch_add(1, Ordering::Relaxed);
        let (aspect, factor) = factors[(n as usize) % factors.len()];
        {
            let mut txn = doc.transact_mut();
            set_score(&mut txn, aspect, factor, &participant, (n % 5 + 1) as i64);
            if n.is_multiple_of(4) {
                let notes_at = [aspect, key::FACTORS, factor, key::NOTES];
                if let Some(notes) = path::text_at(&txn, schema::ASPECTS, &notes_at) {
                    // Typed at the end, as people do: a writer's consecutive tokens then merge
                    // into one stored item, so the document does not balloon over a long run.
                    let end = notes.len(&txn);
                    notes.insert(&mut txn, end, &format!("[{short}.{n}]"));
                }
            }
        }
        written.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(rng.between(Duration::ZERO, max_pause)).await;
    }
}

/// A small deterministic generator (xorshift64*): run shapes repeat for a seed, and the tests
/// need no dependency for it.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // Zero is xorshift's one fixed point.
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A uniformly random duration in `[low, high]`.
    fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let span = high.saturating_sub(low).as_micros() as u64;
        low + Duration::from_micros(self.next() % (span + 1))
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The `q` quantile (nearest rank) of some durations.
fn percentile(samples: &[Duration], q: f64) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let last = sorted.len().checked_sub(1)?;
    let rank = ((last as f64) * q).round() as usize;
    sorted.get(rank.min(last)).copied()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Edits `doc` and returns the update as an observer would record it.
    fn edit(doc: &Doc, change: impl FnOnce(&mut yrs::TransactionMut<'_>)) -> (Vec<u8>, SeenUpdate) {
        let mut txn = doc.transact_mut();
        change(&mut txn);
        let bytes = txn.encode_update_v1();
        let seen = SeenUpdate::of(&bytes).unwrap();
        (bytes, seen)
    }

    fn state(doc: &Doc) -> yrs::Snapshot {
        doc.transact().snapshot()
    }

    #[test]
    fn an_update_is_missing_until_applied_and_a_deletion_too() {
        let writer = Doc::new();
        let text = writer.get_or_insert_text("notes");
        let (insert, inserted) = edit(&writer, |txn| text.insert(txn, 0, "hello"));
        let (delete, deleted) = edit(&writer, |txn| text.remove_range(txn, 0, 2));

        let server = Doc::new();
        let empty = state(&server);
        assert!(inserted
            .missing_from(&empty.state_map, &empty.delete_set)
            .is_some());
        server
            .transact_mut()
            .apply_update(Update::decode_v1(&insert).unwrap())
            .unwrap();
        let after_insert = state(&server);
        assert_eq!(
            inserted.missing_from(&after_insert.state_map, &after_insert.delete_set),
            None
        );
        // A pure deletion inserts nothing: only the delete set shows whether it arrived.
        assert!(deleted
            .missing_from(&after_insert.state_map, &after_insert.delete_set)
            .is_some_and(|missing| missing.contains("deletion")));
        server
            .transact_mut()
            .apply_update(Update::decode_v1(&delete).unwrap())
            .unwrap();
        let after_delete = state(&server);
        assert_eq!(
            deleted.missing_from(&after_delete.state_map, &after_delete.delete_set),
            None
        );
    }

    #[test]
    fn notes_tokens_are_found_wherever_they_sit() {
        let found: Vec<String> = tokens("x[ab.1]y[cd.22][ef.3] [unclosed").collect();
        assert_eq!(found, ["[ab.1]", "[cd.22]", "[ef.3]"]);
    }

    #[test]
    fn random_durations_stay_in_range_and_percentiles_pick_ranks() {
        let mut rng = Rng::new(0);
        let (low, high) = (Duration::from_millis(5), Duration::from_millis(9));
        for _ in 0..1000 {
            let d = rng.between(low, high);
            assert!(low <= d && d <= high, "{d:?}");
        }
        let samples: Vec<Duration> = (1..=5).map(Duration::from_secs).collect();
        assert_eq!(percentile(&samples, 0.5), Some(Duration::from_secs(3)));
        assert_eq!(percentile(&samples, 1.0), Some(Duration::from_secs(5)));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
