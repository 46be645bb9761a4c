//! The write path as an attacker tries it: raw y-sync frames, made by hand, over a real
//! WebSocket against the real server, each trying to do what its token may not. Every test
//! asserts what the server holds (over `GET /document`, after a restart, or in the stored log)
//! and what a bystander received. SECURITY.md lists which recipe each test covers.
//!
//! To try them against another build of the server (an older one, say), point
//! `WORKSHOP_SERVER_BIN` at its binary: `WORKSHOP_SERVER_BIN=path/to/workshop-server cargo test
//! -p workshop-tests --test adversary`.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use workshop_client::SyncClient;
use workshop_server::store::Store;
use workshop_shared::schema::{self, key};
use workshop_tests::api::{tokens_of, Api, WorkshopTokens};
use workshop_tests::crafted::{self, copy_as, vote_update, Block};
use workshop_tests::raw::{RawPeer, Received};
use workshop_tests::workshop::{
    participant, scores, set_agreed_score, set_score, set_weight, SHARED_UNDERSTANDING,
    WHOLE_SYSTEM,
};
use workshop_tests::{connect, TestServer, TIMEOUT};
use yrs::sync::protocol::MSG_QUERY_AWARENESS;
use yrs::sync::{Awareness, AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, Map, ReadTxn, StateVector, Transact, Update, WriteTxn, ID};

/// A server, one workshop, and its invite tokens.
struct Workshop {
    server: TestServer,
    api: Api,
    id: String,
    tokens: WorkshopTokens,
}

impl Workshop {
    async fn start() -> Workshop {
        let server = TestServer::start().await;
        let api = Api::new(server.http_url());
        let id = api.create_workshop("Autumn workshop", "Northshire").await;
        let tokens = tokens_of(&id).unwrap();
        Workshop {
            server,
            api,
            id,
            tokens,
        }
    }

    /// A raw connection presenting `token`, synced with the server.
    async fn raw(&self, token: &str) -> RawPeer {
        let mut peer = RawPeer::connect(&self.server.ws_url_with_token(&self.id, token)).await;
        peer.sync().await;
        peer
    }

    /// The server's state vector, as a newcomer's greeting (sync step 1) gives it.
    async fn server_state_vector(&self) -> StateVector {
        let mut newcomer =
            RawPeer::connect(&self.server.ws_url_with_token(&self.id, &self.tokens.viewer)).await;
        loop {
            if let Received::Message(Message::Sync(SyncMessage::SyncStep1(state))) =
                newcomer.next().await
            {
                return state;
            }
        }
    }

    async fn document(&self) -> Value {
        self.api.document(&self.id).await
    }
}

/// The approach the facilitator chose, in a document from the HTTP API.
fn selected_approach(document: &Value) -> &Value {
    &document["meta"]["selected_approach"]
}

/// The facilitator chooses an approach; returns the id of the item now holding it.
async fn choose_approach(fay: &SyncClient, approach: &str) -> ID {
    let clock = fay.doc().transact().state_vector().get(&fay.client_id());
    {
        let meta = fay.doc().get_or_insert_map(schema::META);
        let mut txn = fay.doc().transact_mut();
        meta.insert(&mut txn, key::SELECTED_APPROACH, approach);
    }
    fay.flush(TIMEOUT).await.unwrap();
    ID::new(fay.client_id(), clock)
}

/// Reads until the server sends `wanted`'s kind of message; returns it.
async fn receive_until(peer: &mut RawPeer, wanted: impl Fn(&Message) -> bool) -> Message {
    loop {
        match peer.next().await {
            Received::Message(message) if wanted(&message) => return message,
            Received::Message(_) => {}
            Received::Closed(code) => panic!("closed ({code:?}) before the awaited message"),
        }
    }
}

fn is_step1(message: &Message) -> bool {
    matches!(message, Message::Sync(SyncMessage::SyncStep1(_)))
}

fn is_denial(message: &Message) -> bool {
    matches!(message, Message::Auth(Some(_)))
}

/// Recipe 1: a viewer's block that waits on the server's next write (its right origin) and
/// sits under the facilitator's client id at its next clock. Taken as "no change" and kept
/// pending, it would land unchecked as soon as the server wrote anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewers_block_waiting_on_the_servers_next_write_never_lands() {
    let mut workshop = Workshop::start().await;
    let fay = connect(&workshop.server, &workshop.id).await;
    let mut eve = workshop.raw(&workshop.tokens.viewer).await;
    let approach = choose_approach(&fay, "market-management").await;

    // Eve learns the server's client id and next clock from its writes: a registration, and
    // the figures it recomputes.
    eve.sync().await;
    let before = eve.state_vector();
    workshop.api.register_editor(&workshop.id, "Ann").await;
    workshop.api.results(&workshop.id).await;
    eve.sync().await;
    let after = eve.state_vector();
    let (server, server_next) = after
        .iter()
        .find(|(client, clock)| **client != fay.client_id() && before.get(client) < **clock)
        .map(|(client, clock)| (*client, *clock))
        .expect("the server wrote under its own client id");
    let fay_next = after.get(&fay.client_id());

    let attack = crafted::one(
        fay.client_id(),
        fay_next,
        Block::Between {
            origin: Some(approach),
            right: Some(ID::new(server, server_next)),
            text: "forged-approach".into(),
        },
    );
    eve.send_update(&attack).await;
    let answers = eve.sync().await;

    // The server writes under its client id, then anyone sends anything.
    workshop.api.register_editor(&workshop.id, "Bo").await;
    {
        let mut txn = fay.doc().transact_mut();
        set_agreed_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 4);
    }
    fay.flush(TIMEOUT).await.unwrap();
    eve.send_update(&[0, 0]).await;
    eve.sync().await;

    assert_eq!(
        selected_approach(&workshop.document().await),
        "market-management"
    );
    let participants = |txn: &yrs::Transaction<'_>| {
        txn.get_map(schema::PARTICIPANTS)
            .is_some_and(|map| map.len(txn) == 2)
    };
    fay.wait_for(participants, TIMEOUT).await.unwrap();
    let held = {
        let txn = fay.doc().transact();
        txn.get_map(schema::META)
            .and_then(|meta| meta.get(&txn, key::SELECTED_APPROACH))
            .map(|value| value.to_string(&txn))
    };
    assert_eq!(held.as_deref(), Some("market-management"));
    assert!(!fay.doc().transact().has_missing_updates());
    workshop.server.stop().await;
    workshop.server.restart().await;
    workshop.api = Api::new(workshop.server.http_url());
    assert_eq!(
        selected_approach(&workshop.document().await),
        "market-management"
    );
    // Eve was asked for what the update lacked (sync step 1).
    assert!(answers.iter().any(is_step1), "{answers:?}");
}

/// Recipe 2: GC ranges make no events. A viewer grows the state vector with thousands of
/// client ids, and squats the facilitator's next clocks so that its real edits would be
/// dropped as already known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewers_gc_ranges_neither_grow_the_state_vector_nor_squat_a_clock() {
    let workshop = Workshop::start().await;
    let fay = connect(&workshop.server, &workshop.id).await;
    let bystander = connect(&workshop.server, &workshop.id).await;
    choose_approach(&fay, "market-management").await;
    let mut eve = workshop.raw(&workshop.tokens.viewer).await;

    let fresh: Vec<(ClientID, u32, Vec<Block>)> = (0..2000u64)
        .map(|i| (ClientID::new(1_000_000 + i), 0, vec![Block::Gc(1)]))
        .collect();
    eve.send_update(&crafted::update(&fresh)).await;
    let fay_next = eve.state_vector().get(&fay.client_id());
    eve.send_update(&crafted::one(fay.client_id(), fay_next, Block::Gc(1 << 30)))
        .await;
    let answers = eve.sync().await;

    // Fay's real edit still lands, on the server and at the bystander.
    {
        let mut txn = fay.doc().transact_mut();
        set_agreed_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 5);
    }
    fay.flush(TIMEOUT).await.unwrap();
    let agreed = |txn: &yrs::Transaction<'_>| {
        workshop_client::path::map_at(
            txn,
            schema::ASPECTS,
            &[WHOLE_SYSTEM, key::FACTORS, SHARED_UNDERSTANDING],
        )
        .and_then(|factor| factor.get(txn, key::AGREED_SCORE))
        .is_some_and(|value| value.to_string(txn) == "5")
    };
    bystander.wait_for(agreed, TIMEOUT).await.unwrap();
    let document = workshop.document().await;
    assert_eq!(
        document["aspects"][WHOLE_SYSTEM]["factors"][SHARED_UNDERSTANDING]["agreed_score"],
        5
    );
    let state = workshop.server_state_vector().await;
    assert!(state.get(&fay.client_id()) < 1 << 30, "{state:?}");
    assert!(
        (0..2000u64).all(|i| !state.contains_client(&ClientID::new(1_000_000 + i))),
        "the state vector grew: {} clients",
        state.len()
    );
    assert_eq!(
        answers.iter().filter(|m| is_denial(m)).count(),
        2,
        "{answers:?}"
    );
}

/// Client ids belong to their writer: a participant's own vote, written under the
/// facilitator's client id at its next clock, would make the server drop the facilitator's
/// next real edit as already known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_cannot_write_under_the_facilitators_client_id() {
    let workshop = Workshop::start().await;
    let fay = connect(&workshop.server, &workshop.id).await;
    let bystander = connect(&workshop.server, &workshop.id).await;
    choose_approach(&fay, "market-management").await;
    let ann = workshop.api.register_editor(&workshop.id, "Ann").await;
    let mut mallory = workshop.raw(&ann.token).await;

    // Ann's own vote, but under Fay's client id.
    let impostor = copy_as(&mallory.doc, fay.client_id().get());
    let vote = vote_update(&impostor, &ann.id, 3);
    mallory.send_update(&vote).await;
    let answers = mallory.sync().await;

    // Fay's next real edit takes that clock, and lands everywhere.
    let fay_vote = workshop_tests::workshop::participant();
    {
        let mut txn = fay.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &fay_vote, 5);
    }
    fay.flush(TIMEOUT).await.unwrap();
    let has_fays_vote = |txn: &yrs::Transaction<'_>| {
        scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&fay_vote)
    };
    bystander.wait_for(has_fays_vote, TIMEOUT).await.unwrap();
    let votes = workshop_tests::workshop::document_scores(
        &workshop.document().await,
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
    );
    assert_eq!(votes.get(&fay_vote), Some(&5.0));
    assert_eq!(votes.get(&ann.id), None, "{votes:?}");
    let reasons: Vec<&str> = answers
        .iter()
        .filter_map(|message| match message {
            Message::Auth(Some(reason)) => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        reasons.len() == 1 && reasons[0].contains("client id"),
        "{reasons:?}"
    );
}

/// Recipe 2 across a sleep: a workshop nobody is connected to keeps only its document,
/// encoded, and wakes when someone joins. The owners of its client ids must wake with it, or
/// the facilitator's id would be free for the first writer after a quiet spell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_id_stays_its_writers_after_the_workshop_slept() {
    let workshop = Workshop::start().await;
    let mut fay = connect(&workshop.server, &workshop.id).await;
    choose_approach(&fay, "market-management").await;
    let fays_client = fay.client_id();
    let state = fay
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    // The facilitator leaves (the closing handshake completes after the server has let the
    // connection go): nobody is connected, and the workshop sleeps.
    fay.disconnect().await;

    let ann = workshop.api.register_editor(&workshop.id, "Ann").await;
    let bystander = connect(&workshop.server, &workshop.id).await;
    let mut mallory = workshop.raw(&ann.token).await;
    let impostor = Doc::with_client_id(fays_client.get());
    impostor
        .transact_mut()
        .apply_update(Update::decode_v1(&state).unwrap())
        .unwrap();
    let vote = vote_update(&impostor, &ann.id, 3);
    mallory.send_update(&vote).await;
    let answers = mallory.sync().await;
    assert!(
        answers.iter().any(
            |message| matches!(message, Message::Auth(Some(reason)) if reason.contains("client id"))
        ),
        "{answers:?}"
    );

    // Ann's vote under her own id goes through, so the bystander's view is current when
    // checked; Fay's id holds nothing of Ann's, there or on disk.
    let own = copy_as(&mallory.doc, 0x5eed);
    let honest = vote_update(&own, &ann.id, 4);
    mallory.send_update(&honest).await;
    mallory.sync().await;
    let has_anns_vote = |txn: &yrs::Transaction<'_>| {
        scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&ann.id)
    };
    bystander.wait_for(has_anns_vote, TIMEOUT).await.unwrap();
    let seen = scores(
        &bystander.doc().transact(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
    );
    assert_eq!(
        seen.get(&ann.id).map(ToString::to_string).as_deref(),
        Some("4")
    );
    let stored = workshop_tests::workshop::document_scores(
        &workshop.document().await,
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
    );
    assert_eq!(stored.get(&ann.id), Some(&4.0), "{stored:?}");
    assert_eq!(
        bystander.doc().transact().state_vector().get(&fays_client),
        state_vector_of(&state).get(&fays_client),
        "nothing more under the facilitator's id"
    );
}

/// The state vector of a document encoded as one update.
fn state_vector_of(state: &[u8]) -> StateVector {
    let doc = Doc::new();
    doc.transact_mut()
        .apply_update(Update::decode_v1(state).unwrap())
        .unwrap();
    let vector = doc.transact().state_vector();
    vector
}

/// Recipe 3: the server relays and stores what it applied, not the bytes it was sent. A
/// participant's legitimate vote carries a block whose id the server already holds, with other
/// content: skipped by the server, it must not reach a bystander or the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_relayed_and_stored_is_what_was_applied_not_the_bytes_sent() {
    let mut workshop = Workshop::start().await;
    let ann = workshop.api.register_editor(&workshop.id, "Ann").await;
    let mut mallory = workshop.raw(&ann.token).await;
    let mut bystander = workshop.raw(&workshop.tokens.viewer).await;

    // The block that holds the title: the template's, at its author's first clock or later;
    // any id the server holds will do, so take the template author's first block.
    let state = mallory.state_vector();
    let (held, _) = state
        .iter()
        .max_by_key(|(_, clock)| **clock)
        .map(|(client, clock)| (*client, *clock))
        .unwrap();
    let duplicate = crafted::one(
        held,
        0,
        Block::InRoot {
            root: schema::META.into(),
            key: key::TITLE.into(),
            text: "Forged title".into(),
        },
    );
    let vote = vote_update(&mallory.doc, &ann.id, 4);
    let carried = yrs::merge_updates_v1([vote.as_slice(), duplicate.as_slice()]).unwrap();
    assert!(Update::decode_v1(&carried)
        .unwrap()
        .state_vector_lower()
        .contains_client(&held));
    mallory.send_update(&carried).await;

    // The bystander gets Ann's vote, and nothing under the duplicated id.
    let relayed = loop {
        if let Message::Sync(SyncMessage::Update(update)) = receive_until(&mut bystander, |m| {
            matches!(m, Message::Sync(SyncMessage::Update(_)))
        })
        .await
        {
            let decoded = Update::decode_v1(&update).unwrap();
            if decoded
                .state_vector()
                .contains_client(&mallory.doc.client_id())
            {
                break decoded;
            }
        }
    };
    assert!(
        !relayed.state_vector_lower().contains_client(&held),
        "a block the server skipped was relayed"
    );
    let votes = scores(
        &bystander.doc.transact(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
    );
    assert_eq!(votes.get(&ann.id), Some(&4.0));
    assert_eq!(
        workshop.document().await["meta"]["title"],
        "Autumn workshop"
    );

    // Nor did it reach the log (killed, so that the log is not folded into a snapshot).
    workshop.server.kill().await;
    let store = Store::open(workshop.server.data_dir()).unwrap();
    let stored = store
        .load(workshop.id.parse().unwrap())
        .unwrap()
        .expect("the workshop is stored");
    assert!(!stored.updates.is_empty(), "Ann's vote was logged");
    for entry in &stored.updates {
        let update = Update::decode_v1(&entry.update).unwrap();
        assert!(
            !update.state_vector_lower().contains_client(&held),
            "log record {} holds a block the server skipped",
            entry.seq
        );
    }
}

/// An awareness message of `awareness`'s own state.
fn presence_of(awareness: &Awareness) -> Vec<u8> {
    Message::Awareness(awareness.update().unwrap()).encode_v1()
}

/// Recipe 4: presence. A viewer overwrites and then removes the facilitator's state in
/// "Online now", under the facilitator's client id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_cannot_overwrite_or_remove_anothers_presence() {
    let workshop = Workshop::start().await;
    let fay = connect(&workshop.server, &workshop.id).await;
    let bystander = connect(&workshop.server, &workshop.id).await;
    let real = serde_json::json!({"user": {"name": "Fay", "role": "facilitator"}});
    fay.set_awareness(&real).unwrap();
    let shows = |state: Value| {
        let fay_id = fay.client_id();
        move |awareness: &Awareness| {
            awareness.iter().any(|(id, s)| {
                id == fay_id
                    && s.data
                        .as_deref()
                        .and_then(|d| serde_json::from_str::<Value>(d).ok())
                        == Some(state.clone())
            })
        }
    };
    bystander
        .wait_for_awareness(shows(real.clone()), TIMEOUT)
        .await
        .unwrap();

    let mut eve = workshop.raw(&workshop.tokens.viewer).await;
    let forged = serde_json::json!({"user": {"name": "Fay", "role": "observer"}});
    let mut entries = std::collections::HashMap::new();
    entries.insert(
        fay.client_id(),
        yrs::sync::awareness::AwarenessUpdateEntry {
            clock: 1000,
            json: forged.to_string().into(),
        },
    );
    eve.send(
        Message::Awareness(AwarenessUpdate {
            clients: entries.clone(),
        })
        .encode_v1(),
    )
    .await;
    entries.insert(
        fay.client_id(),
        yrs::sync::awareness::AwarenessUpdateEntry {
            clock: 1001,
            json: "null".into(),
        },
    );
    eve.send(Message::Awareness(AwarenessUpdate { clients: entries }).encode_v1())
        .await;
    // Once the server has answered a later message of Eve's, it has handled both; a later
    // edit of Fay's reaches the bystander after anything they caused.
    eve.sync().await;
    let marker = workshop_tests::workshop::participant();
    {
        let mut txn = fay.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &marker, 1);
    }
    let has_marker = |txn: &yrs::Transaction<'_>| {
        scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&marker)
    };
    bystander.wait_for(has_marker, TIMEOUT).await.unwrap();
    assert!(
        bystander.with_awareness(shows(real.clone())),
        "the bystander sees {:?}",
        bystander.peers()
    );
    // A newcomer is greeted with Fay's real state too.
    let newcomer = connect(&workshop.server, &workshop.id).await;
    newcomer
        .wait_for_awareness(shows(real), TIMEOUT)
        .await
        .unwrap();
}

/// Recipe 4: awareness queries. One byte each, they made the server encode every state once
/// per byte; now they count against the rate limit and are answered once per batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_queries_are_rate_limited_and_answered_once() {
    let workshop = Workshop::start().await;
    let mut eve = workshop.raw(&workshop.tokens.viewer).await;
    let mut own = Awareness::new(Doc::new());
    own.set_local_state(serde_json::json!({"pad": "x".repeat(3000)}))
        .unwrap();
    eve.send(presence_of(&own)).await;

    // 150 queries in one frame (within the burst of 200): one answer.
    eve.send(vec![MSG_QUERY_AWARENESS; 150]).await;
    let with_states = |message: &Message| matches!(message, Message::Awareness(update) if !update.clients.is_empty());
    receive_until(&mut eve, with_states).await;
    let more = eve.sync().await;
    assert_eq!(
        more.iter().filter(|message| with_states(message)).count(),
        0,
        "one frame of queries was answered more than once"
    );

    // 2000 in one frame are over the rate limit: closed, unanswered.
    eve.send(vec![MSG_QUERY_AWARENESS; 2000]).await;
    let mut answers = 0;
    let code = loop {
        match eve.next().await {
            Received::Message(message) if with_states(&message) => answers += 1,
            Received::Message(_) => {}
            Received::Closed(code) => break code,
        }
    };
    assert_eq!(code, Some(4429));
    assert_eq!(answers, 0);
}

/// A block after a gap in its client's clock: yrs would take it with a hole before it (and a
/// Yjs peer would keep it pending), so it waits for what comes before it, and is refused until
/// the whole run arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_after_a_gap_in_its_clients_clock_is_refused_until_the_gap_is_filled() {
    let workshop = Workshop::start().await;
    let bystander = connect(&workshop.server, &workshop.id).await;
    let ann = workshop.api.register_editor(&workshop.id, "Ann").await;
    let mut mallory = workshop.raw(&ann.token).await;

    // Two edits of Ann's own: a weight, then a score (which does not build on the weight).
    let mine = copy_as(&mallory.doc, 777_001);
    let weight = {
        let mut txn = mine.transact_mut();
        set_weight(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &ann.id, 2);
        txn.encode_update_v1()
    };
    let score = vote_update(&mine, &ann.id, 4);
    mallory.send_update(&score).await;
    let answers = mallory.sync().await;
    let votes = |document: &Value| {
        workshop_tests::workshop::document_scores(document, WHOLE_SYSTEM, SHARED_UNDERSTANDING)
    };
    assert_eq!(votes(&workshop.document().await).get(&ann.id), None);
    assert!(answers.iter().any(is_step1), "{answers:?}");

    // The whole run, as a Yjs client sends it once asked: taken, and relayed.
    let both = yrs::merge_updates_v1([weight.as_slice(), score.as_slice()]).unwrap();
    mallory.send_update(&both).await;
    mallory.sync().await;
    assert_eq!(votes(&workshop.document().await).get(&ann.id), Some(&4.0));
    let has_score = |txn: &yrs::Transaction<'_>| {
        scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&ann.id)
    };
    bystander.wait_for(has_score, TIMEOUT).await.unwrap();
}

/// One connection brings at most 32 client ids the workshop had never seen: without a bound,
/// one token could fill the state vector (and every client's copy of it) with ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_brings_at_most_32_new_client_ids() {
    let workshop = Workshop::start().await;
    let mut mallory = workshop.raw(&workshop.tokens.facilitator).await;
    let voters: Vec<String> = (0..33).map(|_| participant()).collect();
    for (i, voter) in voters.iter().enumerate() {
        let fresh = copy_as(&mallory.doc, 888_000 + i as u64);
        let vote = vote_update(&fresh, voter, 3);
        mallory.send_update(&vote).await;
    }
    let answers = mallory.sync().await;
    let votes = workshop_tests::workshop::document_scores(
        &workshop.document().await,
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
    );
    assert_eq!(votes.len(), 32, "{votes:?}");
    assert!(!votes.contains_key(&voters[32]));
    let reasons: Vec<&str> = answers
        .iter()
        .filter_map(|message| match message {
            Message::Auth(Some(reason)) => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        reasons.len() == 1 && reasons[0].contains("too many new client ids"),
        "{reasons:?}"
    );
    let state = workshop.server_state_vector().await;
    assert!(!state.contains_client(&ClientID::new(888_032)));
}

/// One presence state is at most 4 KiB: a larger one closes its connection (1008) and reaches
/// nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presence_state_over_4_kib_closes_its_connection_and_reaches_nobody() {
    let workshop = Workshop::start().await;
    let fay = connect(&workshop.server, &workshop.id).await;
    let bystander = connect(&workshop.server, &workshop.id).await;
    let mut eve = workshop.raw(&workshop.tokens.viewer).await;
    let mut own = Awareness::new(Doc::new());
    own.set_local_state(serde_json::json!({"pad": "x".repeat(5000)}))
        .unwrap();
    let eves = own.client_id();
    eve.send(presence_of(&own)).await;

    // A later edit of Fay's reaches the bystander after anything Eve's state caused.
    let marker = participant();
    {
        let mut txn = fay.doc().transact_mut();
        set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &marker, 1);
    }
    let has_marker = |txn: &yrs::Transaction<'_>| {
        scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&marker)
    };
    bystander.wait_for(has_marker, TIMEOUT).await.unwrap();
    assert!(
        bystander.peers().iter().all(|(client, _)| *client != eves),
        "the bystander sees the oversized state"
    );
    assert_eq!(eve.closed().await, Some(1008));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_updates_amid_compactions_are_rolled_back_whole_and_lose_nothing_accepted() {
    // Every update is judged in the room's document; a refused one is rolled back by rebuilding
    // the document from the log. Here the log is folded into a snapshot after every update,
    // on its own thread, while the refusals roll back.
    let server = TestServer::start_with(&["--compact-after-bytes", "1"]).await;
    let api = Api::new(server.http_url());
    let id = api.create_workshop("Autumn workshop", "Northshire").await;
    let tokens = tokens_of(&id).unwrap();
    let ann = api.register_editor(&id, "Ann").await;
    let bob = api.register_editor(&id, "Bob").await;
    let workshop = Workshop {
        server,
        api,
        id,
        tokens,
    };
    let mut mallory = workshop.raw(&ann.token).await;
    let mut bystander = workshop.raw(&workshop.tokens.viewer).await;
    let rollbacks = |metrics: &str| {
        workshop_tests::api::sample(metrics, "workshop_rollbacks_total").unwrap_or(0.0)
    };
    let before = rollbacks(&workshop.api.metrics().await);

    const ROUNDS: i64 = 8;
    for round in 1..=ROUNDS {
        // Ann's own vote, accepted ...
        let own = vote_update(&mallory.doc, &ann.id, 1 + round % 5);
        mallory.send_update(&own).await;
        // ... then Bob's vote under Ann's token, from a copy that never reaches the server,
        // and an agreed score with a vote of her own in one update: both refused whole.
        let forged = vote_update(&copy_as(&mallory.doc, 7_000 + round as u64), &bob.id, 5);
        mallory.send_update(&forged).await;
        let mixed = {
            let doc = copy_as(&mallory.doc, 8_000 + round as u64);
            let mut txn = doc.transact_mut();
            set_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, &ann.id, 5);
            set_agreed_score(&mut txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING, 5);
            txn.encode_update_v1()
        };
        mallory.send_update(&mixed).await;
    }
    let last = (1 + ROUNDS % 5) as f64;
    let mut denials = 0;
    while denials < 2 * ROUNDS {
        if is_denial(&receive_until(&mut mallory, is_denial).await) {
            denials += 1;
        }
    }

    // The bystander gets every accepted vote (it is not disconnected), and nothing refused.
    loop {
        let votes = scores(
            &bystander.doc.transact(),
            WHOLE_SYSTEM,
            SHARED_UNDERSTANDING,
        );
        if votes.get(&ann.id) == Some(&last) {
            assert_eq!(votes.get(&bob.id), None, "a refused vote was relayed");
            break;
        }
        if let Received::Closed(code) = bystander.next().await {
            panic!("the bystander was disconnected ({code:?})");
        }
    }
    let document = workshop.document().await;
    let factor = &document["aspects"][WHOLE_SYSTEM]["factors"][SHARED_UNDERSTANDING];
    assert_eq!(factor["scores"][&ann.id], last);
    assert_eq!(factor["scores"].get(&bob.id), None);
    assert_eq!(factor["agreed_score"], Value::Null);
    let counted = rollbacks(&workshop.api.metrics().await) - before;
    assert_eq!(
        counted,
        (2 * ROUNDS) as f64,
        "each refusal rolled back once"
    );

    // The store, after a kill, holds the same.
    let mut server = workshop.server;
    server.kill().await;
    let store = Store::open(server.data_dir()).unwrap();
    let id: uuid::Uuid = workshop.id.parse().unwrap();
    let stored = store.load(id).unwrap().expect("the workshop is stored");
    let doc = workshop_server::store::recovery::restore(&store, id, &stored)
        .unwrap()
        .doc;
    let votes = scores(&doc.transact(), WHOLE_SYSTEM, SHARED_UNDERSTANDING);
    assert_eq!(votes.get(&ann.id), Some(&last));
    assert_eq!(votes.get(&bob.id), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_joined_with_its_figures_reaches_a_bystander_exactly_as_stored() {
    // A change and the figures it causes are relayed as one update, joined without decoding
    // them (`server/src/splice.rs`). Whatever a writer's update holds (formatted text, embeds,
    // buffers, values nested deeper than the join reads, XML, removals), a bystander must end
    // with exactly what the server holds.
    let workshop = Workshop::start().await;
    let mut fay = workshop.raw(&workshop.tokens.facilitator).await;
    let mut bystander = workshop.raw(&workshop.tokens.viewer).await;
    fn notes(txn: &yrs::TransactionMut<'_>) -> yrs::TextRef {
        match workshop_client::path::map_at(
            txn,
            schema::ASPECTS,
            &[WHOLE_SYSTEM, key::FACTORS, SHARED_UNDERSTANDING],
        )
        .and_then(|factor| factor.get(txn, key::NOTES))
        {
            Some(yrs::Out::YText(text)) => text,
            other => panic!("no notes text: {other:?}"),
        }
    }
    let mut deep = yrs::Any::from("bottom");
    for _ in 0..100 {
        deep = yrs::Any::from(vec![deep]);
    }
    type Change = Box<dyn Fn(&mut yrs::TransactionMut<'_>)>;
    let changes: Vec<Change> = vec![
        Box::new(|txn| {
            let text = notes(txn);
            let bold = yrs::types::Attrs::from([("bold".into(), yrs::Any::from(true))]);
            yrs::Text::insert_with_attributes(&text, txn, 0, "Bold words", bold);
        }),
        Box::new(|txn| {
            let text = notes(txn);
            yrs::Text::insert_embed(&text, txn, 0, yrs::Any::from("an embed"));
        }),
        Box::new(|txn| {
            let scratch = txn.get_or_insert_map("scratch");
            scratch.insert(txn, "bytes", yrs::Any::from(vec![0u8, 255, 7]));
            scratch.insert(txn, "list", yrs::ArrayPrelim::from([1, 2, 3]));
        }),
        Box::new(move |txn| {
            txn.get_or_insert_map("scratch")
                .insert(txn, "deep", deep.clone());
        }),
        Box::new(|txn| {
            let xml = txn.get_or_insert_xml_fragment("xml");
            yrs::XmlFragment::push_back(&xml, txn, yrs::XmlElementPrelim::empty("p"));
        }),
        Box::new(|txn| {
            let scratch = txn.get_or_insert_map("scratch");
            scratch.remove(txn, "list");
            scratch.remove(txn, "deep");
            let text = notes(txn);
            yrs::Text::remove_range(&text, txn, 0, 3);
        }),
    ];
    for (round, change) in changes.iter().enumerate() {
        // Each with a new agreed score, so that the figures change with it.
        let update = {
            let mut txn = fay.doc.transact_mut();
            set_agreed_score(
                &mut txn,
                WHOLE_SYSTEM,
                SHARED_UNDERSTANDING,
                1 + (round as i64 % 5),
            );
            change(&mut txn);
            txn.encode_update_v1()
        };
        fay.send_update(&update).await;
        let wanted = fay.state_vector().get(&fay.doc.client_id());
        while bystander.state_vector().get(&fay.doc.client_id()) < wanted {
            if let Received::Closed(code) = bystander.next().await {
                panic!("the bystander was disconnected ({code:?})");
            }
        }
    }

    // What the server holds, as a newcomer receives it, is what the bystander holds.
    loop {
        let newcomer = workshop.raw(&workshop.tokens.viewer).await;
        let (held, seen) = (newcomer.doc.transact(), bystander.doc.transact());
        if held.state_vector() == seen.state_vector() {
            assert_eq!(held.snapshot(), seen.snapshot());
            assert!(!seen.has_missing_updates());
            assert_eq!(
                workshop_shared::export::document_json(&held),
                workshop_shared::export::document_json(&seen)
            );
            let xml = |txn: &yrs::Transaction<'_>| {
                txn.get_xml_fragment("xml")
                    .map(|xml| yrs::GetString::get_string(&xml, txn))
            };
            assert_eq!(xml(&held), xml(&seen));
            assert_eq!(xml(&seen).as_deref(), Some("<p></p>"));
            break;
        }
        drop((held, seen));
        // The figures of the last changes may still be on their way (the room's budget of
        // recomputes was spent): to the bystander, or to the server's newcomer.
        if let Received::Closed(code) = bystander.next().await {
            panic!("the bystander was disconnected ({code:?})");
        }
    }
}
