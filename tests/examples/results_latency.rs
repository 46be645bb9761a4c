//! Benchmark: how long a merged change takes to come back to the clients as recomputed results.
//!
//! Starts the release `workshop-server` binary on `127.0.0.1:0` with a temporary data directory
//! (real sled, fsync'd group-commit flushes), creates a workshop over HTTP, connects one writer
//! and `C - 1` observers, then:
//!
//! 1. **Sequential edits** (`--edits N`): the writer sets one score vote at a time, on a factor
//!    cycling through the template's factors, with a value cycling through 1..5 (moved on to
//!    the next value whenever the cycle's value would leave the aspect's score unchanged). For
//!    each edit it measures, from the local write, the time until every observer has (a) the
//!    vote (relay latency) and (b) the recomputed score of that aspect in its `results` map
//!    (end-to-end recompute latency). Every sample is one (edit, observer) pair; the next edit
//!    starts only once all observers have both (and, with `--pause-ms P`, P ms more, as
//!    people pause between edits: the server recomputes a busy workshop at most every
//!    `--recompute-interval-ms`, so edits closer together than that wait for it), so this
//!    measures latency, not throughput.
//! 2. **Burst** (`--burst B`, default 100): the writer makes B edits, each its own transaction,
//!    without waiting, then measures the time until every observer's `results` show the final
//!    state (the score of every aspect as the last edit left it; the last edit's value is chosen
//!    so that this state differs from every intermediate one).
//!
//! ```text
//! cargo run --release -p workshop-tests --example results_latency -- [--edits N] [--clients C] [--burst B] [--pause-ms P]
//! ```
//!
//! The server binary is `WORKSHOP_SERVER_BIN` if set, else built with
//! `cargo build --release -p workshop-server` into this example's target directory. Every wait
//! is bounded by [`workshop_tests::TIMEOUT`] (10 s), so the program always ends by itself.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use serde_json::Value;
use workshop_client::{path, SyncClient};
use workshop_shared::schema;
use workshop_shared::template::ASPECTS;
use workshop_tests::api::Api;
use workshop_tests::workshop::{scores, set_score};
use workshop_tests::{server, TestServer, TIMEOUT};
use yrs::Transact;

type BoxError = Box<dyn Error + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

const USAGE: &str = "usage: results_latency [--edits N] [--clients C] [--burst B] [--pause-ms P]
  --edits N     sequential edits, each waited for (default 200)
  --clients C   clients: one writer and C-1 observers, C >= 2 (default 2)
  --burst B     edits of the burst made without waiting (default 100)
  --pause-ms P  pause after each sequential edit was seen, in ms (default 0)";

/// The command-line options.
struct Args {
    edits: usize,
    clients: usize,
    burst: usize,
    pause_ms: usize,
}

/// Parses `--edits N`, `--clients C`, `--burst B`, `--pause-ms P` (also `--flag=value`);
/// `None` for `--help`.
fn parse_args(args: &[String]) -> Result<Option<Args>> {
    let mut parsed = Args {
        edits: 200,
        clients: 2,
        burst: 100,
        pause_ms: 0,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let target = match flag {
            "--edits" => &mut parsed.edits,
            "--clients" => &mut parsed.clients,
            "--burst" => &mut parsed.burst,
            "--pause-ms" => &mut parsed.pause_ms,
            other => return Err(format!("unknown argument `{other}`\n{USAGE}").into()),
        };
        let value = match inline {
            Some(value) => value,
            None => rest
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?
                .clone(),
        };
        *target = value
            .parse()
            .map_err(|_| format!("{flag} takes a whole number, not `{value}`\n{USAGE}"))?;
    }
    if parsed.clients < 2 {
        return Err(
            format!("--clients must be at least 2 (one writer, one observer)\n{USAGE}").into(),
        );
    }
    if parsed.edits == 0 || parsed.burst == 0 {
        return Err(format!("--edits and --burst must be at least 1\n{USAGE}").into());
    }
    Ok(Some(parsed))
}

/// A figure as whole thousandths, as the engine rounds and compares it (DOMAIN.md 5.1).
fn milli(x: f64) -> i64 {
    (x * 1000.0).round() as i64
}

/// Every (aspect, factor) of the built-in template, in template order.
fn factor_slots() -> Vec<(&'static str, &'static str)> {
    ASPECTS
        .iter()
        .flat_map(|aspect| {
            aspect
                .factors
                .iter()
                .map(move |(factor, _)| (aspect.id, *factor))
        })
        .collect()
}

/// The writer's score votes, and the aspect scores the engine must derive from them.
///
/// Only the writer votes and nobody weights or agrees, so every factor's effective score is
/// the writer's vote and its weight is 1: an aspect's score is the mean of its voted factors.
#[derive(Default)]
struct Model {
    votes: BTreeMap<(&'static str, &'static str), i64>,
}

/// The expected score of every aspect, in thousandths (`None`: unknown, `null` in results).
type ScoreVector = BTreeMap<&'static str, Option<i64>>;

impl Model {
    fn aspect_score(&self, aspect: &str) -> Option<i64> {
        let values: Vec<f64> = self
            .votes
            .iter()
            .filter(|((a, _), _)| *a == aspect)
            .map(|(_, value)| *value as f64)
            .collect();
        (!values.is_empty()).then(|| milli(values.iter().sum::<f64>() / values.len() as f64))
    }

    fn vector(&self) -> ScoreVector {
        ASPECTS
            .iter()
            .map(|aspect| (aspect.id, self.aspect_score(aspect.id)))
            .collect()
    }

    /// The value of edit `index` on `slot`: the cycle's value (1..5), or the next one in the
    /// cycle for which `accept` holds on the model after the vote. Records the vote.
    fn choose(
        &mut self,
        index: usize,
        slot: (&'static str, &'static str),
        mut accept: impl FnMut(&Model) -> bool,
    ) -> Result<i64> {
        let previous = self.votes.get(&slot).copied();
        for step in 0..5 {
            let value = ((index + step) % 5 + 1) as i64;
            self.votes.insert(slot, value);
            if accept(self) {
                return Ok(value);
            }
        }
        match previous {
            Some(value) => self.votes.insert(slot, value),
            None => self.votes.remove(&slot),
        };
        Err(format!("no score 1..5 on {}/{} gives a new result", slot.0, slot.1).into())
    }
}

/// One edit of the writer: a score vote, and the aspect score it must lead to.
struct Edit {
    aspect: &'static str,
    factor: &'static str,
    value: i64,
    expected: Option<i64>,
}

/// Whether `client` holds `voter`'s vote of `edit`.
fn has_vote(txn: &yrs::Transaction<'_>, edit: &Edit, voter: &str) -> bool {
    scores(txn, edit.aspect, edit.factor).get(voter) == Some(&(edit.value as f64))
}

/// The aspect scores in a client's `results` map, in thousandths, by aspect id.
fn result_scores(txn: &yrs::Transaction<'_>) -> BTreeMap<String, Option<i64>> {
    let Some(Value::Array(entries)) = path::json_at(txn, schema::RESULTS, &["aspects"]) else {
        return BTreeMap::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let id = entry["id"].as_str()?.to_owned();
            Some((id, entry["score"].as_f64().map(milli)))
        })
        .collect()
}

/// `results.revision` in a client's document.
fn revision(client: &SyncClient) -> Option<i64> {
    path::json_at(&client.doc().transact(), schema::RESULTS, &["revision"])?.as_i64()
}

/// Waits for `check` on `client`'s document, naming `what` and the observer if it times out.
async fn wait(
    client: &SyncClient,
    number: usize,
    what: &str,
    check: impl FnMut(&yrs::Transaction<'_>) -> bool,
) -> Result<()> {
    client
        .wait_for(check, TIMEOUT)
        .await
        .map_err(|error| format!("observer {number}: {what}: {error}").into())
}

/// Polls every future concurrently (each records its own timestamps, so none may wait behind
/// another) and returns their values in order, or the first error.
async fn try_join_all<'a, T>(
    futures: impl IntoIterator<Item = impl Future<Output = Result<T>> + 'a>,
) -> Result<Vec<T>> {
    let mut pending: Vec<Pin<Box<dyn Future<Output = Result<T>> + 'a>>> = futures
        .into_iter()
        .map(|future| Box::pin(future) as Pin<Box<dyn Future<Output = Result<T>> + 'a>>)
        .collect();
    let mut done: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (future, slot) in pending.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(Ok(value)) => *slot = Some(value),
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => {}
                }
            }
        }
        if done.iter().all(Option::is_some) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    })
    .await?;
    Ok(done.into_iter().flatten().collect())
}

/// One observer's latencies for one sequential edit, from the local write: (vote, results).
async fn observe_edit(
    client: &SyncClient,
    number: usize,
    edit: &Edit,
    voter: &str,
    start: Instant,
) -> Result<(Duration, Duration)> {
    wait(client, number, "the vote", |txn| has_vote(txn, edit, voter)).await?;
    let relay = start.elapsed();
    wait(client, number, "the recomputed aspect score", |txn| {
        result_scores(txn).get(edit.aspect) == Some(&edit.expected)
    })
    .await?;
    Ok((relay, start.elapsed()))
}

/// When one observer had the burst's last vote and its final results.
async fn observe_burst(
    client: &SyncClient,
    number: usize,
    last: &Edit,
    voter: &str,
    expected: &ScoreVector,
) -> Result<(Instant, Instant)> {
    wait(client, number, "the burst's last vote", |txn| {
        has_vote(txn, last, voter)
    })
    .await?;
    let vote = Instant::now();
    wait(client, number, "the burst's final results", |txn| {
        let found = result_scores(txn);
        expected
            .iter()
            .all(|(aspect, score)| found.get(*aspect) == Some(score))
    })
    .await?;
    Ok((vote, Instant::now()))
}

/// Median, p95, p99 and max of a sample, in milliseconds (nearest-rank percentiles).
struct Summary {
    count: usize,
    median: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Summary {
    fn of(samples: &[Duration]) -> Summary {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let count = ms.len();
        let rank = |p: f64| ms[((p * count as f64).ceil() as usize).clamp(1, count) - 1];
        let median = if count % 2 == 1 {
            ms[count / 2]
        } else {
            (ms[count / 2 - 1] + ms[count / 2]) / 2.0
        };
        Summary {
            count,
            median,
            p95: rank(0.95),
            p99: rank(0.99),
            max: ms[count - 1],
        }
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// The machine's `nproc`, or Rust's idea of the available parallelism if it cannot be run.
fn nproc() -> String {
    std::process::Command::new("nproc")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| format!("{n} (available_parallelism)"))
                .unwrap_or_else(|_| "unknown".into())
        })
}

/// What the benchmark measured.
struct Report {
    relay: Vec<Duration>,
    recompute: Vec<Duration>,
    /// The edit (0-based) with each recompute sample, to name the slowest.
    edit_of_sample: Vec<usize>,
    burst_writes: Duration,
    burst_last_vote: Duration,
    burst_from_last: Duration,
    burst_from_first: Duration,
    burst_revisions: Option<i64>,
}

/// Creates the workshop, connects the clients and runs both measurements.
async fn run(server: &TestServer, args: &Args) -> Result<Report> {
    let api = Api::new(server.http_url());
    let id = tokio::time::timeout(
        TIMEOUT,
        api.create_workshop("Latency benchmark", "Loopback"),
    )
    .await
    .map_err(|_| "creating the workshop timed out")?;

    // The writer is a registered editor with a personal token, as in a real workshop, so
    // every edit goes through the server's write check; the observers are facilitators.
    let editor = tokio::time::timeout(TIMEOUT, api.register_editor(&id, "Writer"))
        .await
        .map_err(|_| "registering the writer timed out")?;
    let mut clients = Vec::with_capacity(args.clients);
    for index in 0..args.clients {
        let mut client = SyncClient::new().with_connect_timeout(TIMEOUT);
        let url = if index == 0 {
            server.ws_url_with_token(&id, &editor.token)
        } else {
            server.ws_url(&id)
        };
        client.connect(&url).await?;
        clients.push(client);
    }
    let (writer, observers) = clients.split_first().ok_or("no clients")?;
    let voter = editor.id.clone();
    let slots = factor_slots();
    let mut model = Model::default();

    // Sequential edits: each waited for by every observer before the next.
    let mut relay = Vec::with_capacity(args.edits * observers.len());
    let mut recompute = Vec::with_capacity(args.edits * observers.len());
    let mut edit_of_sample = Vec::with_capacity(args.edits * observers.len());
    for index in 0..args.edits {
        let slot = slots[index % slots.len()];
        let before = model.aspect_score(slot.0);
        let value = model.choose(index, slot, |m| m.aspect_score(slot.0) != before)?;
        let edit = Edit {
            aspect: slot.0,
            factor: slot.1,
            value,
            expected: model.aspect_score(slot.0),
        };
        let start = Instant::now();
        set_score(
            &mut writer.doc().transact_mut(),
            edit.aspect,
            edit.factor,
            &voter,
            edit.value,
        );
        let seen = try_join_all(
            observers
                .iter()
                .enumerate()
                .map(|(number, client)| observe_edit(client, number + 1, &edit, &voter, start)),
        )
        .await
        .map_err(|error| format!("edit {index}: {error}"))?;
        for (vote, results) in seen {
            relay.push(vote);
            recompute.push(results);
            edit_of_sample.push(index);
        }
        if args.pause_ms > 0 {
            tokio::time::sleep(Duration::from_millis(args.pause_ms as u64)).await;
        }
    }

    // Burst: every edit its own transaction, none waited for. The results the server can
    // show are those of a prefix of the burst; the last edit's value makes the final state
    // unlike every earlier one, so seeing it means the last edit was recomputed.
    let revision_before = revision(&observers[0]);
    let mut seen_states = BTreeSet::from([model.vector()]);
    let mut last = None;
    let burst_start = Instant::now();
    for offset in 0..args.burst {
        let index = args.edits + offset;
        let slot = slots[index % slots.len()];
        let before = model.aspect_score(slot.0);
        let value = if offset + 1 == args.burst {
            model.choose(index, slot, |m| !seen_states.contains(&m.vector()))?
        } else {
            model.choose(index, slot, |m| m.aspect_score(slot.0) != before)?
        };
        seen_states.insert(model.vector());
        set_score(
            &mut writer.doc().transact_mut(),
            slot.0,
            slot.1,
            &voter,
            value,
        );
        last = Some(Edit {
            aspect: slot.0,
            factor: slot.1,
            value,
            expected: model.aspect_score(slot.0),
        });
    }
    let burst_end = Instant::now();
    let last = last.ok_or("empty burst")?;
    let expected = model.vector();
    let seen = try_join_all(
        observers
            .iter()
            .enumerate()
            .map(|(number, client)| observe_burst(client, number + 1, &last, &voter, &expected)),
    )
    .await?;
    let last_vote = seen
        .iter()
        .map(|(vote, _)| *vote)
        .max()
        .ok_or("no observers")?;
    let final_results = seen
        .iter()
        .map(|(_, results)| *results)
        .max()
        .ok_or("no observers")?;
    let revision_after = revision(&observers[0]);

    // The server's own view agrees with what the observers saw.
    let results = tokio::time::timeout(TIMEOUT, api.results(&id))
        .await
        .map_err(|_| "GET results timed out")?;
    for (aspect, score) in &expected {
        let entry = workshop_tests::workshop::aspect_entry(&results["aspects"], aspect)
            .ok_or_else(|| format!("GET results has no aspect {aspect}"))?;
        if entry["score"].as_f64().map(milli) != *score {
            return Err(format!("GET results: {aspect} is {entry}, expected {score:?}").into());
        }
    }

    for mut client in clients {
        client.disconnect().await;
    }
    Ok(Report {
        relay,
        recompute,
        edit_of_sample,
        burst_writes: burst_end - burst_start,
        burst_last_vote: last_vote - burst_end,
        burst_from_last: final_results - burst_end,
        burst_from_first: final_results - burst_start,
        burst_revisions: revision_before.zip(revision_after).map(|(a, b)| b - a),
    })
}

fn print_report(args: &Args, binary: &str, report: &Report) {
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    println!("results_latency");
    let passed = std::env::args()
        .skip(1)
        .fold(String::new(), |line, arg| line + " " + &arg);
    println!("  command  {command}");
    let separator = if passed.is_empty() { "" } else { " --" };
    println!(
        "  (cargo run --release -p workshop-tests --example results_latency{separator}{passed})"
    );
    println!("  nproc    {}", nproc());
    println!("  server   {binary}");
    println!(
        "  setup    1 writer, {} observer(s), {} sequential edits {} ms apart, burst of {}",
        args.clients - 1,
        args.edits,
        args.pause_ms,
        args.burst
    );
    println!();
    println!("sequential edits, from the local write; one sample per (edit, observer)");
    println!(
        "  {:<28} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "latency (ms)", "samples", "median", "p95", "p99", "max"
    );
    for (name, samples) in [
        ("(a) vote relayed", &report.relay),
        ("(b) results recomputed", &report.recompute),
    ] {
        let s = Summary::of(samples);
        println!(
            "  {:<28} {:>7} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            name, s.count, s.median, s.p95, s.p99, s.max
        );
    }
    if let Some((slowest, _)) = report
        .edit_of_sample
        .iter()
        .zip(&report.recompute)
        .max_by_key(|(_, latency)| **latency)
    {
        println!("  slowest end-to-end sample: edit #{slowest} (0-based)");
    }
    println!();
    println!(
        "burst of {} edits without waiting (all observers)",
        args.burst
    );
    println!(
        "  writer's {} local writes took           {:>9.3} ms",
        args.burst,
        ms(report.burst_writes)
    );
    println!(
        "  last write -> last vote relayed         {:>9.3} ms",
        ms(report.burst_last_vote)
    );
    println!(
        "  last write -> final results             {:>9.3} ms",
        ms(report.burst_from_last)
    );
    println!(
        "  first write -> final results            {:>9.3} ms",
        ms(report.burst_from_first)
    );
    match report.burst_revisions {
        Some(count) => println!(
            "  results revisions during the burst      {count:>9} (for {} edits)",
            args.burst
        ),
        None => println!("  results revisions during the burst      unknown"),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return std::process::ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::from(2);
        }
    };
    // Built (release, as this example is) or taken from WORKSHOP_SERVER_BIN, before the
    // server starts, so the build is not part of any wait.
    let binary = tokio::task::spawn_blocking(|| server::server_binary().display().to_string())
        .await
        .unwrap_or_else(|_| "unknown".into());
    if !binary.contains("release") {
        eprintln!("warning: {binary} does not look like a release build");
    }

    // The benchmark's writer sends hundreds of edits back to back: far beyond the default
    // per-connection rate limit, which guards against floods rather than measures anything.
    let mut server = TestServer::start_with(&[
        "--max-updates-per-sec",
        "1000000",
        "--max-update-burst",
        "1000000",
    ])
    .await;
    let outcome = run(&server, &args).await;
    let status = server.stop().await;
    match outcome {
        Ok(report) => {
            print_report(&args, &binary, &report);
            println!("  server stopped: {status}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("results_latency failed: {error}");
            eprintln!("server stopped: {status}; its log:\n{}", server.log());
            std::process::ExitCode::FAILURE
        }
    }
}
