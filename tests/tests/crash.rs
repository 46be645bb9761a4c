//! Faults: the server killed with SIGKILL again and again while clients write, a corrupt log
//! record on disk, and the `/metrics` figures that report them.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use workshop_server::store::Store;
use workshop_tests::api::{sample, Api};
use workshop_tests::crash::{self, CrashConfig};
use workshop_tests::workshop::{
    document_notes, document_scores, insert_notes, participant, scores, set_score,
    AGREED_PRIORITIES, SHARED_UNDERSTANDING, WHOLE_SYSTEM,
};
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

/// Runs the crash test as `config` says and asserts that nothing any observer saw was lost,
/// and that the clients converged at every check (one after every `check_every` kills, and
/// one at the end).
async fn nothing_observed_is_lost(config: CrashConfig) {
    let report = crash::run(&config, |_| {}).await.unwrap();
    println!("{report}");
    assert_eq!(report.kills, config.kills);
    assert!(report.updates_written > 0, "{report}");
    assert!(report.updates_observed > 0, "{report}");
    assert_eq!(
        (report.updates_lost, report.content_lost),
        (0, 0),
        "{report}\n{}",
        report.lost.join("\n")
    );
    assert_eq!(
        report.convergence_checks,
        config.kills / config.check_every + 1,
        "{report}"
    );
}

/// The short crash run: five kills while three clients write. Its long form is
/// `cargo run --release -p workshop-tests --example crash_soak -- --kills 300`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_observed_is_lost_across_repeated_kill_9_and_clients_converge() {
    nothing_observed_is_lost(CrashConfig {
        kills: 5,
        writers: 3,
        check_every: 2,
        ..CrashConfig::default()
    })
    .await;
}

/// The short crash run on two servers sharing one Redis: each kill takes one of them down
/// while clients write through both. Its long form is
/// `cargo run --release -p workshop-tests --example crash_soak -- --redis-servers 2`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_observed_is_lost_when_servers_sharing_redis_are_killed_in_turn() {
    nothing_observed_is_lost(CrashConfig {
        kills: 4,
        writers: 3,
        check_every: 2,
        redis_servers: 2,
        ..CrashConfig::default()
    })
    .await;
}

async fn metrics(server: &TestServer) -> String {
    Api::new(server.http_url()).metrics().await
}

/// Truncates the log record that first made `wanted` true of the document rebuilt from the
/// store's snapshot and log, as a torn or damaged write would leave it. Returns its sequence
/// number. The server must be stopped: sled allows one process at a time.
fn truncate_record_where(
    store: &Store,
    id: uuid::Uuid,
    wanted: impl Fn(&yrs::Transaction<'_>) -> bool,
) -> u64 {
    let stored = store.load(id).unwrap().unwrap();
    let doc = Doc::new();
    if let Some(snapshot) = &stored.snapshot {
        doc.transact_mut()
            .apply_update(Update::decode_v1(snapshot).unwrap())
            .unwrap();
    }
    for entry in &stored.updates {
        doc.transact_mut()
            .apply_update(Update::decode_v1(&entry.update).unwrap())
            .unwrap();
        if wanted(&doc.transact()) {
            let cut = &entry.update[..entry.update.len() / 2];
            store.append_at(id, entry.seq, cut).unwrap();
            store.flush().unwrap();
            return entry.seq;
        }
    }
    panic!("no log record of {id} makes the condition true");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_log_record_loads_up_to_the_last_good_one_and_is_reported() {
    let mut server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let voter = participant();
    const NOTE: &str = "Kept: written before the damaged record.";

    // A first edit, then a second one in its own update; an observer sees both relayed, so
    // both are on disk.
    let writer = connect(&server, &id).await;
    let observer = connect(&server, &id).await;
    {
        let mut txn = writer.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &voter, 4);
        insert_notes(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 0, NOTE);
    }
    set_score(
        &mut writer.doc().transact_mut(),
        WHOLE_SYSTEM,
        AGREED_PRIORITIES,
        &voter,
        2,
    );
    observer
        .wait_for(
            |txn| scores(txn, WHOLE_SYSTEM, AGREED_PRIORITIES).get(&voter) == Some(&2.0),
            TIMEOUT,
        )
        .await
        .unwrap();

    // Killed, so the log is not folded into a snapshot; the clients go too, so nobody can
    // hand the server the damaged edit back.
    server.kill().await;
    drop((writer, observer));
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    let bad_seq = {
        let store = Store::open(server.data_dir()).unwrap();
        truncate_record_where(&store, uuid, |txn| {
            scores(txn, WHOLE_SYSTEM, AGREED_PRIORITIES).contains_key(&voter)
        })
    };

    server.restart().await;
    let document = Api::new(server.http_url()).document(&id).await;
    assert_eq!(
        document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING),
        BTreeMap::from([(voter.clone(), 4.0)]),
        "the edit before the damaged record is there"
    );
    assert_eq!(
        document_notes(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING).as_deref(),
        Some(NOTE)
    );
    assert!(
        document_scores(&document, WHOLE_SYSTEM, AGREED_PRIORITIES).is_empty(),
        "the damaged record's edit cannot be recovered"
    );
    let text = metrics(&server).await;
    assert_eq!(
        sample(&text, "workshop_corrupt_records_total"),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(&text, "workshop_records_set_aside_total").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    let log = server.log();
    assert!(
        log.contains("corrupt log record") && log.contains(&format!("seq={bad_seq}")),
        "the server names the record it set aside:\n{log}"
    );

    // The recovered workshop takes edits as before.
    let client = connect(&server, &id).await;
    set_score(
        &mut client.doc().transact_mut(),
        WHOLE_SYSTEM,
        AGREED_PRIORITIES,
        &voter,
        5,
    );
    client.flush(TIMEOUT).await.unwrap();
    drop(client);

    // The recovery was written back: the next start loads cleanly with everything, and the
    // damaged record is kept aside for inspection.
    let status = server.stop().await;
    assert!(status.success(), "{status}");
    {
        let store = Store::open(server.data_dir()).unwrap();
        let aside = store.set_aside_entries(uuid).unwrap();
        assert_eq!(aside.first().map(|entry| entry.seq), Some(bad_seq));
    }
    server.restart().await;
    let document = Api::new(server.http_url()).document(&id).await;
    assert_eq!(
        document_scores(&document, WHOLE_SYSTEM, AGREED_PRIORITIES),
        BTreeMap::from([(voter, 5.0)])
    );
    let text = metrics(&server).await;
    assert_eq!(
        sample(&text, "workshop_corrupt_records_total"),
        Some(0.0),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_connections_updates_flushes_recomputes_and_refusals() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let before = metrics(&server).await;
    assert_eq!(sample(&before, "workshop_rooms_loaded"), Some(0.0));
    assert_eq!(sample(&before, "workshop_connections_open"), Some(0.0));

    let client = connect(&server, &id).await;
    set_score(
        &mut client.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &participant(),
        3,
    );
    client.flush(TIMEOUT).await.unwrap();
    let during = metrics(&server).await;
    assert_eq!(
        sample(&during, "workshop_rooms_loaded"),
        Some(1.0),
        "{during}"
    );
    assert_eq!(
        sample(&during, "workshop_connections_open"),
        Some(1.0),
        "{during}"
    );
    assert!(
        sample(&during, "workshop_updates_applied_total").is_some_and(|n| n >= 1.0),
        "{during}"
    );
    for series in [
        "workshop_flush_seconds_count",
        "workshop_recompute_seconds_count",
    ] {
        assert!(
            sample(&during, series).is_some_and(|n| n >= 1.0),
            "{series}: {during}"
        );
    }
    assert!(during.contains("workshop_flush_seconds_bucket{le=\"+Inf\"}"));

    // A malformed frame closes that connection and is counted as refused.
    let refused = "workshop_refused_writes_total{reason=\"malformed\"}";
    let malformed_before = sample(&during, refused).unwrap();
    client.send_frame(vec![0, 7, 0]).unwrap();
    client.wait_closed(TIMEOUT).await.unwrap();
    let after = metrics(&server).await;
    assert_eq!(
        sample(&after, refused),
        Some(malformed_before + 1.0),
        "{after}"
    );
}
