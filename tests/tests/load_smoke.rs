//! A few seconds of the load generator (`workshop-load`, run by `tests/bench/run.sh` for
//! `BENCHMARKS.md`) against the real server, so that it keeps working. It asserts what was
//! delivered, never how fast.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use tokio::process::Command;
use workshop_tests::{TestServer, TIMEOUT};

async fn load(server: &TestServer, mode: &[&str]) -> Value {
    let pid = server.pid().to_string();
    let output = tokio::time::timeout(
        TIMEOUT * 3,
        Command::new(env!("CARGO_BIN_EXE_workshop-load"))
            .args([
                "--url",
                &format!("ws://{}/ws", server.addr()),
                "--create-api",
                &server.http_url(),
                "--server-pid",
                &pid,
            ])
            .args(mode)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the load generator stops by itself")
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "workshop-load failed:\n{stderr}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_editing_is_delivered_to_every_peer_and_measured() {
    let server = TestServer::start().await;
    for edit in ["vote", "key"] {
        let report = load(
            &server,
            &[
                "live",
                "--workshops",
                "2",
                "--participants",
                "3",
                "--interval-ms",
                "100",
                "--warmup-secs",
                "1",
                "--duration-secs",
                "2",
                "--edit",
                edit,
            ],
        )
        .await;
        assert_eq!(report["errors"], 0, "{report}");
        assert_eq!(report["disconnects"], 0, "{report}");
        let sent = report["sent"].as_u64().unwrap();
        let delivered = report["delivered"].as_u64().unwrap();
        assert!(sent > 0, "{report}");
        // Each edit reaches the two other participants of its workshop; edits in flight at
        // the edges of the measured window may fall on either side of it.
        assert!(delivered >= sent, "{report}");
        assert!(delivered <= 2 * sent + 2 * 6, "{report}");
        assert_eq!(report["latency"]["count"], delivered, "{report}");
        let p50 = report["latency"]["p50_ms"].as_f64().unwrap();
        let max = report["latency"]["max_ms"].as_f64().unwrap();
        assert!(p50 > 0.0 && p50 <= max, "{report}");
        assert!(
            report["server"]["peak_rss_bytes"].as_u64().unwrap() > 0,
            "{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_opened_and_measured() {
    let server = TestServer::start().await;
    let report = load(
        &server,
        &[
            "idle",
            "--connections",
            "40",
            "--workshops",
            "4",
            "--hold-secs",
            "1",
        ],
    )
    .await;
    assert_eq!(report["open"], 40, "{report}");
    assert_eq!(report["refused"], 0, "{report}");
    assert!(report["bytes_per_connection"].is_number(), "{report}");
}
