//! Servers sharing one Redis (`--redis`), each test with a `redis-server` of its own
//! (`workshop_tests::redis`): what one server acknowledged is served by another; they converge
//! and one of them, the lease holder, writes the figures and compacts the log; killing that
//! server or Redis itself loses nothing acknowledged; tokens, client ids and presence hold
//! across servers, against an attacker on another server; and Redis over TLS.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use workshop_client::{Ended, SyncClient};
use workshop_tests::api::{facilitator_token, sample, Api};
use workshop_tests::crafted::{copy_as, vote_update};
use workshop_tests::raw::RawPeer;
use workshop_tests::redis::TestRedis;
use workshop_tests::workshop::{
    document_scores, participant, scores, set_score, SHARED_UNDERSTANDING, WHOLE_SYSTEM,
};
use workshop_tests::{connect, connect_with_token, TestServer, TIMEOUT};
use yrs::{ReadTxn, Text, Transact};

/// Each client of `clients` votes under its own key for this round (`c<k>-r<round>`), on the
/// factor the tests vote on; returns the keys.
fn vote_round<'a>(clients: impl IntoIterator<Item = &'a SyncClient>, round: i64) -> Vec<String> {
    clients
        .into_iter()
        .enumerate()
        .map(|(k, client)| {
            let key = format!("c{k}-r{round}");
            set_score(
                &mut client.doc().transact_mut(),
                WHOLE_SYSTEM,
                SHARED_UNDERSTANDING,
                &key,
                1 + round % 5,
            );
            key
        })
        .collect()
}

/// Waits until `server`'s `GET /document` holds a vote under every key of `keys`.
async fn holds_every_vote(server: &TestServer, id: &str, keys: &[String]) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let document = Api::new(server.http_url()).document(id).await;
        let held = document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
        let missing: Vec<&String> = keys.iter().filter(|key| !held.contains_key(*key)).collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "missing on {}: {missing:?}",
            server.http_url()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `count` servers on `redis` (with `extra` flags each), a workshop created on the first, and
/// one client of it on each server.
async fn servers_and_clients(
    redis: &TestRedis,
    count: usize,
    extra: &[&str],
    title: &str,
) -> (Vec<TestServer>, String, Vec<SyncClient>) {
    let url = redis.url();
    let mut args = vec!["--redis", url.as_str()];
    args.extend_from_slice(extra);
    let mut servers = Vec::new();
    for _ in 0..count {
        servers.push(TestServer::start_with(&args).await);
    }
    let id = Api::new(servers[0].http_url())
        .create_workshop(title, "Northshire")
        .await;
    let mut clients = Vec::new();
    for server in &servers {
        clients.push(connect(server, &id).await);
    }
    (servers, id, clients)
}

/// `alice` votes `score` for `voter`; returns once `bob` has it.
async fn vote_and_see_it_relayed(alice: &SyncClient, bob: &SyncClient, voter: &str, score: i64) {
    set_score(
        &mut alice.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        voter,
        score,
    );
    bob.wait_for(
        |txn| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).get(voter) == Some(&(score as f64)),
        TIMEOUT,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_killed_server_acknowledged_is_served_by_a_new_one_from_redis() {
    let redis = TestRedis::start();
    let url = redis.url();
    let mut first = TestServer::start_with(&["--redis", &url]).await;
    let id = Api::new(first.http_url())
        .create_workshop("Winter workshop", "Northshire")
        .await;
    let voter = participant();
    let alice = connect(&first, &id).await;
    let bob = connect(&first, &id).await;
    vote_and_see_it_relayed(&alice, &bob, &voter, 3).await;
    // Relayed, so acknowledged by Redis: SIGKILL loses nothing of it.
    first.kill().await;
    drop((alice, bob));
    // Nothing in the first server's data directory: the workshop is in Redis only.
    assert!(
        std::fs::read_dir(first.data_dir())
            .unwrap()
            .next()
            .is_none(),
        "a server on Redis writes nothing to its data directory"
    );

    let second = TestServer::start_with(&["--redis", &url]).await;
    let api = Api::new(second.http_url());
    let token = facilitator_token(&id).unwrap();
    let (status, list) = api.get_as("/api/workshops", &token).await;
    assert_eq!(
        status, 200,
        "the token minted by the first server works: {list}"
    );
    assert_eq!(list[0]["title"], "Winter workshop");
    let carol = connect(&second, &id).await;
    assert_eq!(
        scores(&carol.doc().transact(), WHOLE_SYSTEM, SHARED_UNDERSTANDING),
        BTreeMap::from([(voter.clone(), 3.0)])
    );
    let stream_length: u64 = redis.query(&["XLEN", &format!("ws:{{{id}}}:log")]);
    assert!(stream_length > 0, "the log is a Redis stream");
}

/// Every server's `GET /results`, once they all agree and `done` holds of them.
async fn agreed_results(
    servers: &[TestServer],
    id: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let mut answers = Vec::new();
        for server in servers {
            answers.push(Api::new(server.http_url()).results(id).await);
        }
        if answers.windows(2).all(|pair| pair[0] == pair[1]) && done(&answers[0]) {
            return answers.swap_remove(0);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the servers' figures do not agree: {answers:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The `workshop_leases_held` gauge of a server's `/metrics`.
async fn leases_held(server: &TestServer) -> u64 {
    let text = Api::new(server.http_url()).metrics().await;
    text.lines()
        .find_map(|line| line.strip_prefix("workshop_leases_held "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no workshop_leases_held in:\n{text}"))
}

/// The average score of the factor the tests vote on, as `GET /results` gives it.
fn factor_votes(results: &serde_json::Value) -> Option<f64> {
    results["aspects"]
        .as_array()?
        .iter()
        .find(|aspect| aspect["id"] == WHOLE_SYSTEM)?["score"]
        .as_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_on_one_redis_converge_and_one_of_them_writes_the_figures() {
    let redis = TestRedis::start();
    let (servers, id, clients) = servers_and_clients(&redis, 3, &[], "Three servers").await;
    let voters: Vec<String> = (0..3).map(|_| participant()).collect();
    // All at once, one on each server.
    for (score, (client, voter)) in clients.iter().zip(&voters).enumerate() {
        let score = score as i64 + 2;
        set_score(
            &mut client.doc().transact_mut(),
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            voter,
            score,
        );
    }
    let expected: BTreeMap<String, f64> = voters
        .iter()
        .enumerate()
        .map(|(score, voter)| (voter.clone(), score as f64 + 2.0))
        .collect();
    for client in &clients {
        client
            .wait_for(
                |txn| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING) == expected,
                TIMEOUT,
            )
            .await
            .unwrap();
    }
    // One server holds the workshop's lease: it alone recomputes and writes the figures.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let mut held = Vec::new();
        for server in &servers {
            held.push(leases_held(server).await);
        }
        held.sort_unstable();
        if held == [0, 0, 1] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "leases held per server: {held:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Per loaded workshop, each server tells whether it leads, and how long the log is.
    let mut leading = 0;
    for server in &servers {
        let text = Api::new(server.http_url()).metrics().await;
        let sample = |name: &str| -> Option<u64> {
            let prefix = format!("{name}{{workshop=\"{id}\"}} ");
            text.lines()
                .find_map(|line| line.strip_prefix(&prefix))
                .and_then(|value| value.parse().ok())
        };
        leading += sample("workshop_lease_held").unwrap_or_else(|| panic!("{text}"));
        assert!(sample("workshop_log_entries").unwrap_or_else(|| panic!("{text}")) > 0);
    }
    assert_eq!(leading, 1);

    // Only the server that leads runs the engine on changes: the others, whose clients write
    // as much, never do.
    let leading = leader(&servers).await;
    let engine_runs = |servers: &[TestServer]| {
        let urls: Vec<String> = servers.iter().map(TestServer::http_url).collect();
        async move {
            let mut runs = Vec::new();
            for url in urls {
                let text = Api::new(url).metrics().await;
                runs.push(sample(&text, "workshop_recomputes_with_change_total").unwrap());
            }
            runs
        }
    };
    let ran_before = engine_runs(&servers).await;
    // Each client writes its vote again, the same: a change, with the same figures.
    for (score, (client, voter)) in clients.iter().zip(&voters).enumerate() {
        let score = score as i64 + 2;
        set_score(
            &mut client.doc().transact_mut(),
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            voter,
            score,
        );
        client.flush(TIMEOUT).await.unwrap();
    }
    let ran: Vec<f64> = engine_runs(&servers)
        .await
        .iter()
        .zip(&ran_before)
        .map(|(after, before)| after - before)
        .collect();
    for (index, runs) in ran.iter().enumerate() {
        // The leader may have run them all in its recompute task instead (its budget of runs
        // spent on the other servers' changes): only the others' count is certain.
        if index != leading {
            assert_eq!(*runs, 0.0, "engine runs per server: {ran:?}");
        }
    }
    let before = agreed_results(&servers, &id, |results| factor_votes(results).is_some()).await;
    let revision = before["revision"].as_u64().unwrap();

    // One change on one server: the figures are written once, not once per server.
    set_score(
        &mut clients[1].doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &voters[0],
        5,
    );
    let after = agreed_results(&servers, &id, |results| results != &before).await;
    assert_eq!(after["revision"].as_u64(), Some(revision + 1), "{after:#}");
    set_score(
        &mut clients[2].doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &voters[1],
        5,
    );
    let last = agreed_results(&servers, &id, |results| results != &after).await;
    assert_eq!(last["revision"].as_u64(), Some(revision + 2), "{last:#}");
    for client in &clients {
        client
            .wait_for(
                |txn| workshop_shared::results::stored_revision(txn) == Some(revision + 2),
                TIMEOUT,
            )
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_one_server_is_cut_off_on_every_server() {
    let redis = TestRedis::start();
    let url = redis.url();
    let (one, two) = (
        TestServer::start_with(&["--redis", &url]).await,
        TestServer::start_with(&["--redis", &url]).await,
    );
    let api = Api::new(one.http_url());
    let id = api.create_workshop("Revocations", "Northshire").await;
    let (editor_id, editor) = api.mint(&id, "editor").await;
    // The attacker's socket is on the other server, and it keeps writing.
    let attacker = connect_with_token(&two, &id, &editor).await;
    let bystander = connect(&one, &id).await;
    api.revoke(&id, &editor_id).await;
    match attacker.wait_closed(TIMEOUT).await.unwrap() {
        Ended::ServerClosed(info) => {
            assert_eq!((info.code, info.reason.as_str()), (4403, "token revoked"))
        }
        other => panic!("expected close 4403 on the other server, got {other}"),
    }
    // Its write after the revocation reaches neither server nor the bystander.
    attacker
        .doc()
        .get_or_insert_text("scratch")
        .push(&mut attacker.doc().transact_mut(), "after revocation");
    let (status, _) = Api::new(two.http_url())
        .get_as("/api/workshops", &editor)
        .await;
    assert_eq!(status, 403, "a revoked token is refused on every server");
    let document = Api::new(two.http_url()).document(&id).await;
    assert!(document.get("scratch").is_none(), "{document}");
    assert!(bystander.doc().transact().get_text("scratch").is_none());
}

/// Index of the one server of `servers` that holds the workshop's lease, once exactly one does.
async fn leader(servers: &[TestServer]) -> usize {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let mut held = Vec::new();
        for server in servers {
            held.push(leases_held(server).await);
        }
        if held.iter().sum::<u64>() == 1 {
            return held.iter().position(|&count| count == 1).unwrap();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "leases held per server: {held:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leading_server_mid_edit_loses_nothing_acknowledged_and_another_takes_over() {
    let redis = TestRedis::start();
    let (mut servers, id, clients) = servers_and_clients(&redis, 3, &[], "Failover").await;
    // Each client remembers which server it is on.
    let mut clients: Vec<(usize, SyncClient)> = clients.into_iter().enumerate().collect();
    let leading = leader(&servers).await;
    let mut acknowledged = Vec::new();
    for round in 0..12 {
        let keys = vote_round(clients.iter().map(|(_, client)| client), round);
        if round == 6 {
            // Mid-edit: this round's edits are sent, and not yet acknowledged.
            servers[leading].kill().await;
            let (_, orphan) = &mut clients[leading];
            orphan.wait_closed(TIMEOUT).await.unwrap();
            // Its client reconnects to another server with what it holds, as a provider
            // given a list of servers does.
            let other = (leading + 1) % servers.len();
            orphan.connect(&servers[other].ws_url(&id)).await.unwrap();
            clients[leading].0 = other;
        }
        for (_, client) in &clients {
            client.flush(TIMEOUT).await.unwrap();
        }
        acknowledged.extend(keys);
    }
    let dead = servers.remove(leading);
    drop(dead);
    // Every acknowledged edit is on both surviving servers.
    for server in &servers {
        holds_every_vote(server, &id, &acknowledged).await;
    }
    // Another server took the lease, and the figures follow the next change.
    let now_leading = leader(&servers).await;
    let before = agreed_results(&servers, &id, |_| true).await;
    let (_, client) = &clients[(leading + 2) % clients.len()];
    for key in &acknowledged {
        set_score(
            &mut client.doc().transact_mut(),
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
            key,
            5,
        );
    }
    let after = agreed_results(&servers, &id, |results| {
        results["revision"].as_u64() > before["revision"].as_u64()
            && factor_votes(results) == Some(5.0)
    })
    .await;
    assert_eq!(leases_held(&servers[now_leading]).await, 1, "{after:#}");
}

/// The refusal reasons in the answers of a raw connection.
fn refusals(answers: &[yrs::sync::Message]) -> Vec<String> {
    answers
        .iter()
        .filter_map(|message| match message {
            yrs::sync::Message::Auth(Some(reason)) => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_id_another_server_gave_away_cannot_be_written_under_here() {
    let redis = TestRedis::start();
    let url = redis.url();
    let (one, two) = (
        TestServer::start_with(&["--redis", &url]).await,
        TestServer::start_with(&["--redis", &url]).await,
    );
    let api = Api::new(one.http_url());
    let id = api.create_workshop("Client ids", "Northshire").await;
    // The room is loaded on this server, with the owners it knew then.
    let bystander = connect(&one, &id).await;
    // Another server's client has just claimed a client id; its update is on its way.
    let victim: u64 = 0x1234_5678;
    let owners = format!("ws:{{{id}}}:owners");
    let owner =
        String::from_utf8(workshop_server::store::Owner::Token("someone-else".into()).encode())
            .unwrap();
    redis.query::<()>(&["HSET", &owners, &victim.to_string(), &owner]);

    // A second facilitator, on this server, writes under that client id.
    let (_, mallory_token) = api.mint(&id, "facilitator").await;
    let mut mallory = RawPeer::connect(&one.ws_url_with_token(&id, &mallory_token)).await;
    mallory.sync().await;
    let impostor = copy_as(&mallory.doc, victim);
    mallory
        .send_update(&vote_update(&impostor, "p-mallory", 3))
        .await;
    let answers = mallory.sync().await;
    let reasons = refusals(&answers);
    assert!(
        reasons.len() == 1 && reasons[0].contains("client id"),
        "{reasons:?}"
    );

    // Nothing of it anywhere: not in Redis's log, not on either server, not at the bystander.
    bystander.flush(TIMEOUT).await.unwrap();
    assert!(!scores(
        &bystander.doc().transact(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING
    )
    .contains_key("p-mallory"));
    for server in [&one, &two] {
        let document = Api::new(server.http_url()).document(&id).await;
        let votes = document_scores(&document, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
        assert!(!votes.contains_key("p-mallory"), "{votes:?}");
    }
    let owner_now: String = redis.query(&["HGET", &owners, &victim.to_string()]);
    assert_eq!(
        owner_now, owner,
        "the claim stays the other server's client's"
    );
    let stored = workshop_server::store::redis::RedisStore::open(&url, None).unwrap();
    let logged = workshop_server::store::Storage::load(&stored, id.parse().unwrap())
        .unwrap()
        .unwrap();
    assert!(
        logged.updates.iter().all(|entry| {
            !workshop_server::rooms::writers_of(std::slice::from_ref(&entry.update))
                .contains(&yrs::ClientID::new(victim))
        }),
        "an update under the claimed client id is in the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_redis_while_clients_write_loses_nothing_acknowledged() {
    let mut redis = TestRedis::start();
    let url = redis.url();
    let (servers, id, clients) = servers_and_clients(&redis, 2, &[], "Redis restarts").await;
    let mut acknowledged = Vec::new();
    for round in 0..10 {
        let keys = vote_round(&clients, round);
        if round == 4 {
            // Mid-write: these edits are sent and Redis dies before it acknowledges them, or
            // after; it comes back from its append-only file.
            redis.kill();
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            redis.restart();
            // The servers' connections from before are dead: their next calls still answer.
            for server in &servers {
                Api::new(server.http_url()).document(&id).await;
            }
        }
        for client in &clients {
            client.flush(TIMEOUT).await.unwrap();
        }
        acknowledged.extend(keys);
    }
    // Both servers, and a server started afresh on what Redis kept, hold every acknowledged edit.
    let fresh = TestServer::start_with(&["--redis", &url]).await;
    for server in servers.iter().chain([&fresh]) {
        holds_every_vote(server, &id, &acknowledged).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_crosses_servers_and_nobody_on_another_server_may_speak_for_it() {
    use yrs::sync::awareness::AwarenessUpdateEntry;
    use yrs::sync::{Awareness, AwarenessUpdate, Message};
    use yrs::updates::encoder::Encode;

    let redis = TestRedis::start();
    let url = redis.url();
    let (one, two) = (
        TestServer::start_with(&["--redis", &url]).await,
        TestServer::start_with(&["--redis", &url]).await,
    );
    let api = Api::new(one.http_url());
    let id = api.create_workshop("Presence", "Northshire").await;
    let mut fay = connect(&one, &id).await;
    let bystander = connect(&two, &id).await;
    let real = serde_json::json!({"user": {"name": "Fay", "role": "facilitator"}});
    fay.set_awareness(&real).unwrap();
    let fay_id = fay.client_id();
    let shows = |state: Option<serde_json::Value>| {
        move |awareness: &Awareness| {
            let held = awareness
                .iter()
                .find(|(id, _)| *id == fay_id)
                .and_then(|(_, s)| s.data.as_deref().and_then(|d| serde_json::from_str(d).ok()));
            held == state
        }
    };
    // Fay, on one server, is seen online by someone on the other.
    bystander
        .wait_for_awareness(shows(Some(real.clone())), TIMEOUT)
        .await
        .unwrap();

    // Another facilitator, on the other server, speaks for Fay's state, then removes it.
    let (_, eve_token) = api.mint(&id, "facilitator").await;
    let mut eve = RawPeer::connect(&two.ws_url_with_token(&id, &eve_token)).await;
    eve.sync().await;
    for (clock, json) in [
        (
            1000,
            serde_json::json!({"user": {"name": "Fay", "role": "observer"}}).to_string(),
        ),
        (1001, "null".to_string()),
    ] {
        let entries = std::collections::HashMap::from([(
            fay_id,
            AwarenessUpdateEntry {
                clock,
                json: json.into(),
            },
        )]);
        eve.send(Message::Awareness(AwarenessUpdate { clients: entries }).encode_v1())
            .await;
    }
    eve.sync().await;
    // A later edit of Fay's reaches the bystander after anything Eve caused.
    let marker = participant();
    set_score(
        &mut fay.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &marker,
        1,
    );
    bystander
        .wait_for(
            |txn| scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&marker),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert!(
        bystander.with_awareness(shows(Some(real.clone()))),
        "{:?}",
        bystander.peers()
    );
    let newcomer = connect(&one, &id).await;
    newcomer
        .wait_for_awareness(shows(Some(real)), TIMEOUT)
        .await
        .unwrap();

    // Fay leaves: she is offline on the other server too.
    fay.disconnect().await;
    bystander
        .wait_for_awareness(shows(None), TIMEOUT)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_reach_redis_over_tls_and_refuse_a_certificate_they_do_not_trust() {
    let redis = TestRedis::start_tls();
    let (url, ca) = (redis.url(), redis.ca_file());
    assert!(url.starts_with("rediss://"), "{url}");
    let ca = ca.to_str().unwrap();
    let (one, two) = (
        TestServer::start_with(&["--redis", &url, "--redis-ca-cert", ca]).await,
        TestServer::start_with(&["--redis", &url, "--redis-ca-cert", ca]).await,
    );
    let id = Api::new(one.http_url())
        .create_workshop("Over TLS", "Northshire")
        .await;
    let (alice, bob) = (connect(&one, &id).await, connect(&two, &id).await);
    vote_and_see_it_relayed(&alice, &bob, &participant(), 4).await;

    // Without the authority, or in clear to the TLS port, a server does not start.
    for args in [
        vec!["--redis", url.as_str()],
        vec!["--redis", &url.replacen("rediss://", "redis://", 1)],
    ] {
        let output = std::process::Command::new(workshop_tests::server::server_binary())
            .args(["--bind", "127.0.0.1:0"])
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} started");
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("listening on"),
            "{args:?} listened"
        );
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("cannot reach the Redis of --redis"), "{said}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leading_server_compacts_the_shared_log_and_nothing_is_lost() {
    let redis = TestRedis::start();
    // Compactions after every few updates, so that they run while both servers write.
    let compact = ["--compact-after-bytes", "512"];
    let (_servers, id, clients) = servers_and_clients(&redis, 2, &compact, "Compactions").await;
    let mut written = Vec::new();
    for round in 0..40 {
        written.extend(vote_round(&clients, round));
        for client in &clients {
            client.flush(TIMEOUT).await.unwrap();
        }
    }
    // Both clients hold everything; so does a server started afresh on what Redis kept.
    let fresh = TestServer::start_with(&["--redis", &redis.url()]).await;
    for client in &clients {
        client
            .wait_for(
                |txn| {
                    let held = scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING);
                    written.iter().all(|key| held.contains_key(key))
                },
                TIMEOUT,
            )
            .await
            .unwrap();
    }
    holds_every_vote(&fresh, &id, &written).await;
    // The log was folded into the snapshot: far fewer entries than were appended.
    let log = format!("ws:{{{id}}}:log");
    let length: u64 = redis.query(&["XLEN", &log]);
    let covers: u64 = redis.query(&["HGET", &format!("ws:{{{id}}}:snapshot"), "covers"]);
    assert!(covers >= 40, "the snapshot covers {covers} entries");
    assert!(length < 80, "{length} entries left in the log");
}
