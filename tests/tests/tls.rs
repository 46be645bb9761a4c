//! The command line through a real TLS-terminating proxy: Debian's nginx running the example
//! configuration of `deploy/nginx/workshop.conf`, with a certificate from a private certificate
//! authority. `create`, `join`, `sync`, `watch` and `export` work over `https://` and `wss://`
//! when the CLI trusts that authority (`--ca-cert` or `SSL_CERT_FILE`), and nothing reaches
//! the server when it does not.

#![allow(clippy::unwrap_used)]

use workshop_tests::api::Api;
use workshop_tests::cli::{CliUser, Watching};
use workshop_tests::proxy::TlsProxy;
use workshop_tests::workshop::{aspect_entry, figure_is, SHARED_UNDERSTANDING, WHOLE_SYSTEM};
use workshop_tests::TestServer;

/// The invite token of `who` (`participants`, `observers`, `facilitators`) in the output of
/// `workshop create`.
fn invite(created: &str, who: &str) -> String {
    created
        .lines()
        .find(|line| line.trim_start().starts_with(who))
        .and_then(|line| line.split("?token=").nth(1))
        .unwrap_or_else(|| panic!("no {who} invite in:\n{created}"))
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_creates_joins_syncs_watches_and_exports_over_https_through_nginx() {
    let server = TestServer::start_with(&["--trusted-proxy", "127.0.0.1"]).await;
    let proxy = TlsProxy::start(server.addr()).await;
    let https = proxy.https_url();
    let ca = proxy.ca_file();
    let ca = ca.to_str().unwrap();

    // Create, with the authority named on the command line.
    let ann = CliUser::new();
    let created = ann
        .run(&[
            "--ca-cert",
            ca,
            "create",
            "--server",
            &https,
            "--title",
            "Behind nginx",
            "--place",
            "Northshire",
        ])
        .await
        .ok();
    let id = created.lines().next().unwrap().trim().to_owned();
    assert!(
        created.contains(&format!("{https}/w/{id}?token=")),
        "{created}"
    );

    // Join and score offline, then sync over wss://.
    ann.run(&[
        "--ca-cert",
        ca,
        "join",
        "--server",
        &https,
        &id,
        "--name",
        "Ann",
        "--role",
        "facilitator",
        "--world",
        "service",
    ])
    .await
    .ok();
    ann.run(&["score", &id, WHOLE_SYSTEM, SHARED_UNDERSTANDING, "4"])
        .await
        .ok();
    let synced = ann.run(&["--ca-cert", ca, "sync", &id]).await.ok();
    assert!(synced.contains("sent 1 edit"), "{synced}");

    // A second user trusts the authority through SSL_CERT_FILE, and watches.
    let bob = CliUser::new();
    let editor = invite(&created, "participants");
    let joined = bob
        .command(&[
            "join", "--server", &https, &id, "--name", "Bob", "--role", "provider", "--world",
            "customer", "--token", &editor,
        ])
        .env("SSL_CERT_FILE", ca)
        .output()
        .await
        .unwrap();
    assert!(joined.status.success(), "{joined:?}");
    let mut watch = Watching::new(
        bob.command(&["watch", &id])
            .env("SSL_CERT_FILE", ca)
            .spawn()
            .unwrap(),
    );
    watch.read_until("live from").await;
    // Ann's second vote reaches the watcher through the proxy both ways: median(4, 2) = 3.
    ann.run(&["score", &id, WHOLE_SYSTEM, "agreed-priorities", "2"])
        .await
        .ok();
    ann.run(&["--ca-cert", ca, "sync", &id]).await.ok();
    watch.read_until("3.00").await;
    watch.interrupt().await;

    // What went through the proxy is what the server holds.
    let api = Api::new(server.http_url());
    let facilitator = invite(&created, "facilitators");
    let (status, results) = api
        .get_as(&format!("/api/workshops/{id}/results"), &facilitator)
        .await;
    assert_eq!(status, 200, "{results}");
    let whole = aspect_entry(&results["aspects"], WHOLE_SYSTEM).unwrap();
    assert!(figure_is(&whole["score"], 3.0), "{whole}");

    // Export the synced copy.
    let out = tempfile::tempdir().unwrap();
    let workbook = out.path().join("workshop.xlsx");
    bob.run(&[
        "export",
        &id,
        "--format",
        "xlsx",
        "--out",
        workbook.to_str().unwrap(),
    ])
    .await
    .ok();
    assert!(std::fs::read(&workbook).unwrap().starts_with(b"PK"));

    // nginx logged the upgrades and API calls, and not one token.
    let log = proxy.access_log();
    assert!(
        log.contains(&format!("GET /ws/{id} HTTP/1.1\" 101")),
        "{log}"
    );
    assert!(log.contains("POST /api/workshops HTTP/1.1\" 201"), "{log}");
    assert!(!log.contains("token"), "{log}");
}

/// An attacker in the middle, as the CLI sees one: a certificate from an authority it does not
/// trust. Every command that reaches the server refuses, saying why, and nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_the_cli_does_not_trust_is_refused_and_nothing_is_sent() {
    let server = TestServer::start_with(&["--trusted-proxy", "127.0.0.1"]).await;
    let proxy = TlsProxy::start(server.addr()).await;
    let user = CliUser::new();
    let error = user
        .run(&[
            "create",
            "--server",
            &proxy.https_url(),
            "--title",
            "Intercepted",
            "--place",
            "Northshire",
        ])
        .await
        .failed();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    let log = proxy.access_log();
    assert!(
        !log.contains("POST /api/workshops"),
        "a request went through:\n{log}"
    );

    // A file that is no certificate is refused before anything is dialled.
    let bogus = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bogus.path(), "not a certificate").unwrap();
    let error = user
        .run(&[
            "--ca-cert",
            bogus.path().to_str().unwrap(),
            "list",
            "--server",
            &proxy.https_url(),
            "--token",
            "x",
        ])
        .await
        .failed();
    assert!(error.contains("holds no PEM certificate"), "{error}");
}

/// Plain http:// to another machine warns that tokens travel in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_machine_warns_that_tokens_travel_in_clear() {
    let user = CliUser::new();
    // 0.0.0.0 is not a loopback address; nothing listens on port 1, so the command fails fast.
    let run = user
        .run(&["list", "--server", "http://0.0.0.0:1", "--token", "x"])
        .await;
    assert!(run.stderr.contains("travel in clear"), "{run:?}");
    let run = user
        .run(&["list", "--server", "http://127.0.0.1:1", "--token", "x"])
        .await;
    assert!(!run.stderr.contains("travel in clear"), "{run:?}");
}
