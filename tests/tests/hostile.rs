//! The engine against the server, document by document: a thousand random and hostile
//! documents (`workshop_tests::hostile`), each written into a workshop by an unmodified Yjs
//! client (`tests/node/hostile.mjs`), and for each, `GET /results` must equal the engine run on
//! the same document read back over the sync protocol.
//!
//! The server keeps its model between changes and re-reads only what changed; the engine here
//! reads the whole document afresh. So this also checks the server's incremental reading
//! against a full read, over documents that each build on the one before.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use time::{Date, OffsetDateTime};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use workshop_client::SyncClient;
use workshop_shared::{compute, Workshop};
use workshop_tests::api::{facilitator_token, Api};
use workshop_tests::hostile::{cleared_roots, edits};
use workshop_tests::node::node_script;
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::{ClientID, ReadTxn, Transact};

/// How many documents are written and compared, in all.
const DOCUMENTS: u64 = 1_000;

/// How many workshops they are spread over; each one's documents build on each other.
const WORKSHOPS: usize = 4;

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The results as the engine computes them from `bystander`'s document, as JSON, without the
/// revision (a count kept by the server).
fn engine_results(bystander: &SyncClient, today: Date) -> Value {
    let workshop = Workshop::read(&bystander.doc().transact());
    without_revision(serde_json::to_value(compute(&workshop, today)).unwrap())
}

fn without_revision(mut results: Value) -> Value {
    results.as_object_mut().unwrap().remove("revision");
    results
}

/// Waits until `GET /results` equals the engine on the bystander's copy; panics with both and
/// the seed when they never agree.
async fn agrees(api: &Api, id: &str, bystander: &SyncClient, seed: u64) -> Value {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let before = today();
        let served = api.results(id).await;
        assert!(
            served["revision"].as_u64().is_some_and(|r| r > 0),
            "seed {seed}: no revision in {served}"
        );
        let served = without_revision(served);
        let after = today();
        let expected = engine_results(bystander, before);
        if served == expected || (after != before && served == engine_results(bystander, after)) {
            return served;
        }
        if tokio::time::Instant::now() > deadline {
            let differing: Vec<String> = expected
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, v)| served.get(k.as_str()) != Some(v))
                .map(|(k, v)| format!("{k}\n  served:   {}\n  expected: {v}", served[k.as_str()]))
                .collect();
            panic!(
                "seed {seed}: the server's results differ from the engine on the document read \
                 back, in:\n{}",
                differing.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_figures_are_the_engines_on_a_thousand_hostile_documents() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let mut rooms = Vec::new();
    for n in 0..WORKSHOPS {
        let id = api
            .create_workshop(&format!("Hostile {n}"), "Anywhere")
            .await;
        let bystander = connect(&server, &id).await;
        let token = facilitator_token(&id).unwrap();
        rooms.push((id, token, bystander));
    }

    let ws_base = format!("ws://{}/ws", server.addr());
    let mut args = vec![ws_base.as_str()];
    args.extend(cleared_roots());
    let mut node = node_script("hostile.mjs", &args)
        .spawn()
        .expect("spawn node");
    let mut stdin = node.stdin.take().unwrap();
    let mut stdout = BufReader::new(node.stdout.take().unwrap()).lines();
    let mut stderr = node.stderr.take().unwrap();

    let mut kinds = BTreeSet::new();
    let mut recommended = 0;
    let mut ranked_items = 0;
    let mut seed = 0;
    while seed < DOCUMENTS {
        // One document per workshop, written at once, then each compared.
        let batch: Vec<(usize, u64)> = (0..WORKSHOPS)
            .map(|room| (room, seed + room as u64))
            .filter(|(_, seed)| *seed < DOCUMENTS)
            .collect();
        for &(room, seed) in &batch {
            let (id, token, _) = &rooms[room];
            let line = serde_json::json!({
                "seq": seed,
                "room": id,
                "token": token,
                "edits": edits(seed, today()),
            });
            stdin
                .write_all(format!("{line}\n").as_bytes())
                .await
                .unwrap();
        }
        for &(room, seed) in &batch {
            let line = tokio::time::timeout(TIMEOUT * 3, stdout.next_line()).await;
            let Ok(Ok(Some(line))) = line else {
                let mut errors = String::new();
                let _ = tokio::time::timeout(TIMEOUT, stderr.read_to_string(&mut errors)).await;
                panic!("seed {seed}: node wrote no answer ({line:?}); stderr:\n{errors}");
            };
            let written: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(written["seq"], seed, "answers come in order");
            let client = ClientID::new(written["client"].as_u64().unwrap());
            let clock = u32::try_from(written["clock"].as_u64().unwrap()).unwrap();
            let (id, _, bystander) = &rooms[room];
            bystander
                .wait_for(|txn| txn.state_vector().get(&client) >= clock, TIMEOUT)
                .await
                .unwrap_or_else(|error| {
                    panic!("seed {seed}: the edits never reached a bystander: {error}")
                });
            let results = agrees(&api, id, bystander, seed).await;
            for warning in results["warnings"].as_array().unwrap() {
                kinds.insert(warning["kind"].as_str().unwrap().to_owned());
            }
            recommended += usize::from(!results["recommended"].is_null());
            ranked_items += results["constraints"].as_array().unwrap().len()
                + results["enablers"].as_array().unwrap().len();
        }
        seed += WORKSHOPS as u64;
    }
    drop(stdin);
    let status = tokio::time::timeout(TIMEOUT, node.wait()).await;
    assert!(
        matches!(status, Ok(Ok(status)) if status.success()),
        "node did not end well: {status:?}"
    );

    // The documents were varied enough to reach every part of the engine.
    for kind in [
        "invalid_value",
        "contested",
        "low_confidence",
        "perspective_gap",
        "unlinked_item",
        "overdue_action",
        "too_many_hypotheses",
        "too_many_gaps",
    ] {
        assert!(
            kinds.contains(kind),
            "no document gave a {kind} warning: {kinds:?}"
        );
    }
    assert!(recommended > 0, "no document had a recommended approach");
    assert!(
        ranked_items > 0,
        "no document ranked a constraint or enabler"
    );
}
