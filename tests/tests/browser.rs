//! The browser page in Chromium, driven by Playwright against the real server: one test per
//! scenario of `tests/node/browser/` (see `workshop_tests::browser`).

use workshop_tests::browser::BrowserTest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lobby_shows_its_heading_with_no_serious_accessibility_violation_or_error() {
    let test = BrowserTest::start().await;
    let output = test.run("smoke.mjs").await;
    output.assert_screenshot("lobby");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_participants_vote_and_type_at_once_and_a_latecomer_sees_it_all() {
    BrowserTest::start().await.run("collaborate.mjs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_offline_survive_a_reload_and_sync_when_back_online() {
    BrowserTest::start()
        .await
        .run("offline.mjs")
        .await
        .assert_screenshot("offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facilitator_runs_every_step_and_each_page_passes_axe() {
    BrowserTest::start()
        .await
        .run("steps.mjs")
        .await
        .assert_screenshot("figures");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_follows_live_without_edit_controls() {
    BrowserTest::start().await.run("viewer.mjs").await;
}
