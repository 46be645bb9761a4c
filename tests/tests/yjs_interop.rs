//! A real Yjs client: two `y-websocket` providers under Node and one Rust client edit the same
//! workshop at once, converge, and read the server's recomputed figures.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use workshop_tests::api::{facilitator_token, Api};
use workshop_tests::node::node_script;
use workshop_tests::workshop::{
    figure_is, insert_notes, notes, participant, scores, set_score, SHARED_UNDERSTANDING,
    WHOLE_SYSTEM,
};
use workshop_tests::{connect, wait_for_aspect_score, TestServer, TIMEOUT};
use yrs::Transact;

/// How long the Node script may run in all: a guard (it guards itself too).
const NODE_TIMEOUT: Duration = Duration::from_secs(60);

const RUST_WORD: &str = "rust ";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yjs_and_rust_clients_edit_one_workshop_and_read_the_same_results() {
    let server = TestServer::start().await;
    let id = Api::new(server.http_url())
        .create_workshop("Autumn workshop", "Northshire")
        .await;
    let rust = connect(&server, &id).await;
    let rust_participant = participant();

    let ws_base = format!("ws://{}/ws", server.addr());
    let token = facilitator_token(&id).unwrap();
    let mut node = node_script("interop.mjs", &[&ws_base, &id, &token])
        .spawn()
        .expect("spawn node");
    let mut stdout = BufReader::new(node.stdout.take().unwrap());
    let mut stderr = node.stderr.take().unwrap();
    let mut stdin = node.stdin.take().unwrap();

    // Wait for both providers to be synced...
    let mut line = String::new();
    let ready = tokio::time::timeout(NODE_TIMEOUT, stdout.read_line(&mut line)).await;
    if !matches!(ready, Ok(Ok(_))) || line.trim() != "ready" {
        let mut errors = String::new();
        let _ = tokio::time::timeout(TIMEOUT, stderr.read_to_string(&mut errors)).await;
        panic!("node did not get ready (stdout {line:?}); stderr:\n{errors}");
    }

    // ...then all three clients edit at the same moment.
    {
        let mut txn = rust.doc().transact_mut();
        set_score(
            &mut txn,
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            &rust_participant,
            5,
        );
        insert_notes(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 0, RUST_WORD);
    }
    stdin.write_all(b"go\n").await.unwrap();
    drop(stdin);

    let mut rest = String::new();
    let mut errors = String::new();
    let finished = tokio::time::timeout(NODE_TIMEOUT, async {
        let (out, err) = tokio::join!(
            stdout.read_to_string(&mut rest),
            stderr.read_to_string(&mut errors)
        );
        out.and(err)?;
        node.wait().await
    })
    .await;
    let status = match finished {
        Ok(Ok(status)) => status,
        other => panic!("node did not finish: {other:?}; stderr:\n{errors}"),
    };
    assert!(
        status.success(),
        "node failed ({status}); stdout:\n{rest}\nstderr:\n{errors}"
    );
    let report: Value = serde_json::from_str(rest.lines().last().unwrap_or_default())
        .unwrap_or_else(|error| panic!("node's last line is not JSON ({error}): {rest}"));

    // What the Yjs clients saw: all three votes, all three words, and the server's figures.
    let alpha = report["participants"]["alpha"].as_str().unwrap().to_owned();
    let beta = report["participants"]["beta"].as_str().unwrap().to_owned();
    let expected_scores = BTreeMap::from([
        (alpha.clone(), 2.0),
        (beta.clone(), 3.0),
        (rust_participant.clone(), 5.0),
    ]);
    let node_scores: BTreeMap<String, f64> = report["scores"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
        .collect();
    assert_eq!(node_scores, expected_scores);
    let node_notes = report["notes"].as_str().unwrap().to_owned();
    for word in ["alpha ", "beta ", RUST_WORD] {
        assert!(
            node_notes.contains(word),
            "{word:?} missing from {node_notes:?}"
        );
    }
    assert_eq!(
        node_notes.len(),
        "alpha beta rust ".len(),
        "nothing else in {node_notes:?}"
    );
    // shared-understanding: median(2, 3, 5) = 3 with weight 1; agreed-priorities: 4 with
    // weight 3 (alpha's votes): (1·3 + 3·4) / (1 + 3) = 3.75.
    assert!(
        figure_is(&report["expected_score"], 3.75),
        "node's own computation: {report}"
    );
    for peer in ["alpha", "beta"] {
        assert!(
            figure_is(&report["results"][peer]["score"], 3.75),
            "{peer} read {report}"
        );
    }

    // The Rust client converges on the same document and reads the same figure.
    rust.wait_for(
        |txn| {
            scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING) == expected_scores
                && notes(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).as_deref() == Some(&node_notes)
        },
        TIMEOUT,
    )
    .await
    .unwrap();
    wait_for_aspect_score(&rust, WHOLE_SYSTEM, 3.75).await;
}
