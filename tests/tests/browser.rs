//! The browser page in Chromium, driven by Playwright against the real server: one test per
//! scenario of `tests/node/browser/` (see `workshop_tests::browser`).

use serde_json::json;
use workshop_tests::browser::BrowserTest;
use workshop_tests::TestServer;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_and_an_observer_download_the_workbook_the_report_and_the_votes() {
    BrowserTest::start().await.run("downloads.mjs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facilitator_makes_and_revokes_invite_links_and_the_revoked_are_cut_off_live() {
    let output = BrowserTest::start().await.run("invites.mjs").await;
    output.assert_screenshot("invite-links");
    output.assert_screenshot("cut-off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lobby_asks_for_the_create_token_and_refuses_a_wrong_one_clearly() {
    const CREATE_TOKEN: &str = "only-the-council-creates";
    let server = TestServer::start_with(&["--create-token", CREATE_TOKEN]).await;
    BrowserTest::on_as(server, CREATE_TOKEN)
        .await
        .run_with("create-token.mjs", json!({ "createToken": CREATE_TOKEN }))
        .await
        .assert_screenshot("create-token-refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_folds_the_steps_into_a_menu_and_wide_tables_fit_their_cards() {
    let output = BrowserTest::start().await.run("layout.mjs").await;
    for screenshot in [
        "phone-worksheet",
        "phone-menu",
        "phone-overview",
        "wide-overview",
    ] {
        output.assert_screenshot(screenshot);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_warns_when_it_came_over_plain_http_from_another_machine() {
    BrowserTest::start()
        .await
        .run("cleartext.mjs")
        .await
        .assert_screenshot("cleartext");
}
