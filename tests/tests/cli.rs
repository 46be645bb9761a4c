//! The `workshop` command-line tool against the real server: offline edits and sync, two
//! users on one factor, idempotent sync, refused values, the workbook export and the live
//! view.

#![allow(clippy::unwrap_used)]

use calamine::{Data, Range, Reader, Xlsx};
use serde_json::Value;
use workshop_tests::api::{tokens_of, Api};
use workshop_tests::cli::{CliUser, Watching};
use workshop_tests::workshop::{
    aspect_entry, document_notes, document_scores, participant, set_score, SHARED_UNDERSTANDING,
    WHOLE_SYSTEM,
};
use workshop_tests::{connect, wait_for_aspect_score, TestServer, TIMEOUT};
use yrs::Transact;

/// Joins workshop `id` as a participant of `world` with `token`; returns its participant id.
async fn join(user: &CliUser, server: &TestServer, id: &str, name: &str, token: &str) -> String {
    let out = user
        .run(&[
            "join",
            "--server",
            &server.http_url(),
            id,
            "--name",
            name,
            "--org",
            "Northshire Council",
            "--role",
            "commissioner",
            "--world",
            "management",
            "--token",
            token,
        ])
        .await
        .ok();
    let start = out.find("(participant ").expect("the participant id") + "(participant ".len();
    out[start..start + 36].to_owned()
}

/// A server, a workshop on it (created through the API) and one CLI user who joined it with
/// the editor invite as `name`.
async fn joined(title: &str, name: &str) -> (TestServer, Api, String, CliUser) {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop(title, "Northshire").await;
    let user = CliUser::new();
    join(&user, &server, &id, name, &tokens_of(&id).unwrap().editor).await;
    (server, api, id, user)
}

/// The first line of `out`, trimmed: what a create command prints as the new id.
fn first_line(out: &str) -> String {
    out.lines().next().unwrap_or_default().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_with_the_server_down_reach_it_and_another_client_on_sync() {
    let mut server = TestServer::start().await;
    let fay = CliUser::new();
    let id = first_line(
        &fay.run(&[
            "create",
            "--server",
            &server.http_url(),
            "--title",
            "Autumn workshop",
            "--place",
            "Northshire",
        ])
        .await
        .ok(),
    );
    let out = fay
        .run(&[
            "join",
            "--server",
            &server.http_url(),
            &id,
            "--name",
            "Fay",
            "--role",
            "facilitator",
            "--world",
            "service",
        ])
        .await
        .ok();
    assert!(out.contains("Autumn workshop"), "{out}");
    let listed = fay
        .run(&["list", "--server", &server.http_url()])
        .await
        .ok();
    assert!(listed.contains(&id), "{listed}");
    assert!(listed.contains("Autumn workshop"), "{listed}");
    assert!(listed.contains("(on this device)"), "{listed}");

    server.stop().await;
    fay.run(&["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "4"])
        .await
        .ok();
    fay.run(&["weight", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "3"])
        .await
        .ok();
    fay.run(&[
        "note",
        &id,
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        "Written offline.",
    ])
    .await
    .ok();
    fay.run(&["quick", &id, "capacity", "2"]).await.ok();
    let item = first_line(
        &fay.run(&[
            "item",
            "add",
            &id,
            "--kind",
            "constraint",
            "--aspect",
            "policy",
            "--control",
            "outside_control",
            "--title",
            "Short-term funding",
        ])
        .await
        .ok(),
    );
    fay.run(&["dots", &id, &item, "3"]).await.ok();
    fay.run(&[
        "action",
        "add",
        &id,
        "--title",
        "Pool budgets",
        "--due",
        "2027-03-31",
        "--item",
        &item,
    ])
    .await
    .ok();
    fay.run(&["hypothesis", "add", &id, "Early help reduces demand"])
        .await
        .ok();
    fay.run(&["gap", "add", &id, "People stay independent for longer"])
        .await
        .ok();
    // The figures need no server.
    let results = fay.run(&["results", &id]).await.ok();
    assert!(results.contains("4.00"), "{results}");
    assert!(results.contains("Short-term funding"), "{results}");
    // Counted as the nine commands made, not in the document's units.
    assert!(results.contains("9 edits waiting to be sent"), "{results}");
    // Nor does the server's absence pass unnoticed by sync.
    let error = fay.run(&["sync", &id]).await.failed();
    assert!(error.contains("cannot reach the server"), "{error}");

    server.restart_on_same_port().await;
    let out = fay.run(&["sync", &id]).await.ok();
    assert!(out.contains("sent 9 edits"), "{out}");
    let results = fay.run(&["results", &id]).await.ok();
    assert!(results.contains("no local changes waiting"), "{results}");

    // A second client (created by the CLI, so with the facilitator token the CLI keeps).
    let other = connect_created(&server, &fay, &id).await;
    let document = workshop_shared::export::document_json(&other.doc().transact());
    let scores = document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
    assert_eq!(scores.values().copied().collect::<Vec<_>>(), vec![4.0]);
    assert_eq!(
        document_notes(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING).as_deref(),
        Some("Written offline.")
    );
    assert_eq!(document["items"][&item]["title"], "Short-term funding");
    assert_eq!(
        document["items"][&item]["dots"].as_object().unwrap().len(),
        1
    );
    assert_eq!(document["actions"].as_object().unwrap().len(), 1);
    assert_eq!(document["hypotheses"].as_object().unwrap().len(), 1);
    assert_eq!(document["gaps"].as_object().unwrap().len(), 1);
    // What the other client writes arrives with the next sync.
    {
        let mut txn = other.doc().transact_mut();
        set_score(
            &mut txn,
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            &participant(),
            2,
        );
    }
    other.flush(TIMEOUT).await.unwrap();
    let out = fay.run(&["sync", &id]).await.ok();
    assert!(out.contains("received new changes, sent nothing"), "{out}");
    server.stop().await;
}

/// A Rust client of a workshop the CLI created, with the facilitator token the CLI keeps.
async fn connect_created(
    server: &TestServer,
    user: &CliUser,
    id: &str,
) -> workshop_client::SyncClient {
    let meta: Value =
        serde_json::from_slice(&std::fs::read(user.home().join(id).join("workshop.json")).unwrap())
            .unwrap();
    let token = meta["invites"]["facilitator"].as_str().unwrap().to_owned();
    workshop_tests::connect_with_token(server, id, &token).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_score_one_factor_both_votes_count_and_results_match_the_server() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Plenary", "Northshire").await;
    let editor = tokens_of(&id).unwrap().editor;
    let (ann, bob) = (CliUser::new(), CliUser::new());
    let ann_id = join(&ann, &server, &id, "Ann", &editor).await;
    let bob_id = join(&bob, &server, &id, "Bob", &editor).await;
    assert_ne!(ann_id, bob_id);

    ann.run(&["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "4"])
        .await
        .ok();
    bob.run(&["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "2"])
        .await
        .ok();
    ann.run(&["sync", &id]).await.ok();
    bob.run(&["sync", &id]).await.ok();
    ann.run(&["sync", &id]).await.ok();

    // The server has recomputed: the median of 2 and 4.
    let watcher = connect(&server, &id).await;
    wait_for_aspect_score(&watcher, WHOLE_SYSTEM, 3.0).await;
    let server_results = api.results(&id).await;
    let document = api.document(&id).await;
    let scores = document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
    assert_eq!(scores.get(&ann_id), Some(&4.0));
    assert_eq!(scores.get(&bob_id), Some(&2.0));

    for user in [&ann, &bob] {
        let local: Value =
            serde_json::from_str(&user.run(&["results", &id, "--json"]).await.ok()).unwrap();
        for key in [
            "aspects",
            "approaches",
            "recommended",
            "blend",
            "selected",
            "warnings",
        ] {
            assert_eq!(local[key], server_results[key], "{key} differs");
        }
        let whole = aspect_entry(&local["aspects"], WHOLE_SYSTEM).unwrap();
        assert_eq!(whole["score"], 3.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_in_a_row_sends_nothing() {
    let (_server, api, id, user) = joined("Twice", "Cat").await;
    user.run(&["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "5"])
        .await
        .ok();
    user.run(&["weight", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "clear"])
        .await
        .ok();
    let first = user.run(&["sync", &id]).await.ok();
    assert!(first.contains("sent 2 edits"), "{first}");
    let second = user.run(&["sync", &id]).await.ok();
    assert!(second.contains("sent nothing"), "{second}");
    let third = user.run(&["sync", &id]).await.ok();
    assert!(third.contains("sent nothing"), "{third}");
    let document = api.document(&id).await;
    assert_eq!(
        document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING).len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_values_exit_non_zero_and_leave_the_local_file_byte_identical() {
    let (_server, _api, id, user) = joined("Strict", "Dee").await;
    user.run(&["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "3"])
        .await
        .ok();
    let before = std::fs::read(user.document_file(&id)).unwrap();

    for (args, says) in [
        (
            vec!["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "7"],
            "1 to 5",
        ),
        (
            vec!["weight", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "-1"],
            "0 to 3",
        ),
        (
            vec!["score", &id, WHOLE_SYSTEM, "no-such-factor", "3"],
            "no-such-factor",
        ),
        (vec!["quick", &id, "no-such-aspect", "3"], "no-such-aspect"),
        (
            vec![
                "agree",
                "score",
                &id,
                WHOLE_SYSTEM,
                SHARED_UNDERSTANDING,
                "4",
            ],
            "facilitator",
        ),
        (
            vec!["action", "add", &id, "--title", "A", "--due", "2027-02-30"],
            "2027-02-30",
        ),
    ] {
        let run = user.run(&args).await;
        assert_ne!(run.code, Some(0), "{args:?}");
        let error = run.failed();
        assert!(error.contains(says), "{args:?}: {error}");
        assert_eq!(error.trim().lines().count(), 1, "one sentence: {error}");
        assert_eq!(
            std::fs::read(user.document_file(&id)).unwrap(),
            before,
            "{args:?}"
        );
    }
    let unknown = user
        .run(&["results", "8a1c9a52-3a63-4b8e-9a57-0c4f5d2b7e10"])
        .await
        .failed();
    assert!(unknown.contains("not on this device"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_redraws_when_another_client_scores_and_stops_on_ctrl_c() {
    let (server, _api, id, user) = joined("Live", "Eve").await;

    let mut watch = Watching::new(user.spawn(&["watch", &id]));
    watch.read_until("live from").await;

    let other = connect(&server, &id).await;
    {
        let mut txn = other.doc().transact_mut();
        set_score(
            &mut txn,
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            &participant(),
            4,
        );
    }
    watch.read_until("4.00").await;

    watch.interrupt().await;
    // What arrived while watching is in the local copy.
    let local = user.run(&["results", &id]).await.ok();
    assert!(local.contains("4.00"), "{local}");
}

/// The cell at `row`, `col` of `range` (Empty outside it).
fn cell(range: &Range<Data>, row: u32, col: u32) -> Data {
    range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

/// The row of `range` whose first cell is `label`.
fn row_of(range: &Range<Data>, label: &str) -> u32 {
    (0..range.height() as u32)
        .find(|r| cell(range, *r, 0) == Data::String(label.into()))
        .unwrap_or_else(|| panic!("no row {label:?}"))
}

/// The column of `range` whose heading (row 0) is `heading`.
fn column_of(range: &Range<Data>, heading: &str) -> u32 {
    (0..range.width() as u32)
        .find(|c| cell(range, 0, *c) == Data::String(heading.into()))
        .unwrap_or_else(|| panic!("no column {heading:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_xlsx_export_reads_back_with_the_documents_sheets_and_values() {
    let (_server, _api, id, user) = joined("Workbook", "Gil").await;
    for args in [
        vec!["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "4"],
        vec!["weight", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "3"],
        vec!["score", &id, WHOLE_SYSTEM, "agreed-priorities", "2"],
        vec![
            "note",
            &id,
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            "Joint needs assessment.",
        ],
        vec!["quick", &id, "capacity", "2"],
        vec![
            "action",
            "add",
            &id,
            "--title",
            "Pool budgets",
            "--due",
            "2027-03-31",
        ],
        vec!["hypothesis", "add", &id, "Early help reduces demand"],
    ] {
        user.run(&args).await.ok();
    }
    let out = user.home().join("workbook.xlsx");
    let out_arg = out.to_str().unwrap();
    user.run(&["export", &id, "--format", "xlsx", "--out", out_arg])
        .await
        .ok();
    let local: Value =
        serde_json::from_str(&user.run(&["results", &id, "--json"]).await.ok()).unwrap();

    let mut book: Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let names = book.sheet_names();
    for name in [
        "Quick assessment",
        "Whole system design",
        "Approach fit",
        "Constraints and enablers",
        "Development plan",
        "Hypotheses",
        "Gap analysis",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "no sheet {name}: {names:?}"
        );
    }
    let aspect = book.worksheet_range("Whole system design").unwrap();
    let factor = row_of(
        &aspect,
        "Shared understanding of community needs across partners",
    );
    assert_eq!(
        cell(&aspect, factor, column_of(&aspect, "Gil score")),
        Data::Float(4.0)
    );
    assert_eq!(
        cell(&aspect, factor, column_of(&aspect, "Gil weight")),
        Data::Float(3.0)
    );
    assert_eq!(
        cell(&aspect, factor, 1),
        Data::String("Joint needs assessment.".into())
    );
    // (4·3 + 2·1) / 4, as the engine computes it.
    let provisional = row_of(&aspect, "Provisional aspect score");
    let engine = aspect_entry(&local["aspects"], WHOLE_SYSTEM).unwrap()["score"]
        .as_f64()
        .unwrap();
    assert_eq!(engine, 3.5);
    assert_eq!(cell(&aspect, provisional, 1), Data::Float(engine));

    let quick = book.worksheet_range("Quick assessment").unwrap();
    let capacity = row_of(&quick, "Capacity, capability and confidence");
    assert_eq!(
        cell(&quick, capacity, column_of(&quick, "Gil")),
        Data::Float(2.0)
    );

    let plan = book.worksheet_range("Development plan").unwrap();
    assert_eq!(cell(&plan, 1, 0), Data::String("Pool budgets".into()));
    let hypotheses = book.worksheet_range("Hypotheses").unwrap();
    assert_eq!(
        cell(&hypotheses, 1, 0),
        Data::String("Early help reduces demand".into())
    );

    // Markdown, CSV and JSON come out too.
    for format in ["md", "csv", "json"] {
        let file = user.home().join(format!("workbook.{format}"));
        user.run(&[
            "export",
            &id,
            "--format",
            format,
            "--out",
            file.to_str().unwrap(),
        ])
        .await
        .ok();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains("Pool budgets") || format == "csv",
            "{format}: {text}"
        );
        assert!(!text.is_empty());
    }
    let csv = std::fs::read_to_string(user.home().join("workbook.csv")).unwrap();
    assert!(
        csv.lines()
            .any(|line| line.contains("shared-understanding") && line.contains(",4")),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_workshops_corrupt_files_and_bad_addresses_are_one_sentence_errors() {
    let server = TestServer::start().await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Errors", "Northshire").await;
    let editor = tokens_of(&id).unwrap().editor;
    let user = CliUser::new();

    let unknown = "8a1c9a52-3a63-4b8e-9a57-0c4f5d2b7e10";
    let run = user
        .run(&[
            "join",
            "--server",
            &server.http_url(),
            unknown,
            "--name",
            "Hal",
            "--role",
            "provider",
            "--world",
            "service",
            "--token",
            &editor,
        ])
        .await;
    assert_eq!(run.code, Some(1));
    let error = run.failed();
    assert!(
        error.contains("refused") || error.contains("no workshop"),
        "{error}"
    );
    assert_eq!(error.trim().lines().count(), 1, "{error}");

    let error = user
        .run(&[
            "join",
            "--server",
            "localhost:8080",
            &id,
            "--name",
            "Hal",
            "--role",
            "provider",
            "--world",
            "service",
            "--token",
            &editor,
        ])
        .await
        .failed();
    assert!(error.contains("not a server address"), "{error}");

    join(&user, &server, &id, "Hal", &editor).await;
    std::fs::write(user.document_file(&id), b"\xff\x00garbage").unwrap();
    let error = user.run(&["results", &id]).await.failed();
    assert!(error.contains("corrupt"), "{error}");
    let error = user
        .run(&["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "3"])
        .await
        .failed();
    assert!(error.contains("corrupt"), "{error}");
}
