//! Documents for the exports' tests: the template with a workshop's worth of content, and
//! one full of junk.

use time::macros::date;
use time::Date;
use yrs::{Any, ArrayPrelim, Doc, In, Map, MapPrelim, MapRef, Out, Text, TextPrelim, Transact};
use yrs::{TransactionMut, WriteTxn};

use crate::schema::{self, key, Role, World};
use crate::template::{self, ParticipantEntry};

/// The `today` every export test runs on.
pub(crate) const TODAY: Date = date!(2026 - 11 - 23);

/// The map of an aspect of the template.
pub(crate) fn aspect(txn: &mut TransactionMut, aspect: &str) -> MapRef {
    let aspects = txn.get_or_insert_map(schema::ASPECTS);
    let Some(Out::YMap(map)) = aspects.get(txn, aspect) else {
        panic!("aspect {aspect}");
    };
    map
}

/// The map of a factor of the template.
pub(crate) fn factor(txn: &mut TransactionMut, aspect_id: &str, factor: &str) -> MapRef {
    let aspect = aspect(txn, aspect_id);
    let Some(Out::YMap(factors)) = aspect.get(txn, key::FACTORS) else {
        panic!("factors of {aspect_id}");
    };
    let Some(Out::YMap(map)) = factors.get(txn, factor) else {
        panic!("factor {factor}");
    };
    map
}

/// Sets votes in the vote map `map[k]`.
pub(crate) fn vote(txn: &mut TransactionMut, map: &MapRef, k: &str, votes: &[(&str, Any)]) {
    let Some(Out::YMap(votes_map)) = map.get(txn, k) else {
        panic!("votes {k}");
    };
    for (participant, value) in votes {
        votes_map.insert(txn, *participant, value.clone());
    }
}

/// Appends to the text `map[k]`.
pub(crate) fn write_text(txn: &mut TransactionMut, map: &MapRef, k: &str, text: &str) {
    let Some(Out::YText(notes)) = map.get(txn, k) else {
        panic!("text {k}");
    };
    let end = notes.len(txn);
    notes.insert(txn, end, text);
}

fn int(v: i64) -> Any {
    Any::from(v)
}

/// The template with three registered participants (two called Ann), an unregistered
/// voter, votes on capacity, notes, three items, two actions, two hypotheses and a gap.
pub(crate) fn sample_document() -> Doc {
    let doc = template::test_document();
    {
        let mut txn = doc.transact_mut();
        let participants = txn.get_or_insert_map(schema::PARTICIPANTS);
        for (id, name, organisation, world) in [
            ("p-ann", "Ann", "Council", World::Management),
            ("p-ann2", "Ann", "NHS", World::Customer),
            ("p-bob", "Bob", "Provider Ltd", World::Service),
        ] {
            let entry = ParticipantEntry {
                name,
                organisation,
                role: Role::Commissioner,
                world,
                group: "",
            };
            participants.insert(&mut txn, id, template::participant_prelim(&entry));
        }

        let capacity = aspect(&mut txn, "capacity");
        vote(
            &mut txn,
            &capacity,
            key::QUICK,
            &[("p-ann", int(3)), ("p-bob", int(4)), ("p-ann2", int(2))],
        );
        for (id, quick) in [
            ("whole-system", 4i64),
            ("relationships", 3),
            ("user-outcome", 2),
            ("information", 3),
            ("policy", 4),
            ("process", 3),
            ("models", 2),
        ] {
            let agreed = aspect(&mut txn, id);
            agreed.insert(&mut txn, key::QUICK_AGREED, quick);
        }
        write_text(&mut txn, &capacity, key::NOTES, "Thin on analysts");

        let skills = factor(&mut txn, "capacity", "skills-balance");
        vote(
            &mut txn,
            &skills,
            key::SCORES,
            &[
                ("p-ann", int(4)),
                ("p-bob", Any::from(2.0f64)),
                ("ghost-voter", int(5)),
            ],
        );
        vote(
            &mut txn,
            &skills,
            key::WEIGHTS,
            &[("p-ann", int(3)), ("p-bob", int(2))],
        );
        write_text(
            &mut txn,
            &skills,
            key::NOTES,
            "Skills sit in two teams | mostly\nfinance",
        );
        let change = factor(&mut txn, "capacity", "change-management");
        vote(&mut txn, &change, key::SCORES, &[("p-ann", int(3))]);
        change.insert(&mut txn, key::AGREED_SCORE, 3i64);
        change.insert(&mut txn, key::AGREED_WEIGHT, 2i64);
        let data = factor(&mut txn, "capacity", "data-skills");
        vote(&mut txn, &data, key::SCORES, &[("p-ann2", int(2))]);
        let confidence = factor(&mut txn, "capacity", "confidence");
        vote(&mut txn, &confidence, key::SCORES, &[("p-bob", int(5))]);
        vote(&mut txn, &confidence, key::WEIGHTS, &[("p-bob", int(0))]);

        let items = txn.get_or_insert_map(schema::ITEMS);
        items.insert(
            &mut txn,
            "c1",
            MapPrelim::from([
                (key::KIND, In::from("constraint")),
                (key::TITLE, In::from("Short-term funding")),
                (key::ASPECT, In::from("policy")),
                (key::CONTROL, In::from("in_control")),
                (
                    key::NOTES,
                    TextPrelim::new("Funding rounds are annual").into(),
                ),
                (key::IMPACT, MapPrelim::default().into()),
                (key::AGREED_IMPACT, In::from(5i64)),
                (
                    key::DOTS,
                    MapPrelim::from([("p-ann", In::from(3i64)), ("p-bob", In::from(2i64))]).into(),
                ),
                (key::CREATED_AT, In::from("2026-11-23T10:00:00Z")),
            ]),
        );
        items.insert(
            &mut txn,
            "e1",
            MapPrelim::from([
                (key::KIND, In::from("enabler")),
                (key::TITLE, In::from("Strong voluntary sector")),
                (key::ASPECT, In::from("models")),
                (key::CONTROL, In::from("can_influence")),
                (key::NOTES, TextPrelim::new("").into()),
                (
                    key::IMPACT,
                    MapPrelim::from([("p-ann", In::from(4i64)), ("p-bob", In::from(5i64))]).into(),
                ),
                (key::DOTS, MapPrelim::default().into()),
                (key::CREATED_AT, In::from("2026-11-23T10:05:00Z")),
            ]),
        );
        items.insert(
            &mut txn,
            "c2",
            MapPrelim::from([
                (key::KIND, In::from("constraint")),
                (key::TITLE, In::from("Data sharing rules")),
                (key::CONTROL, In::from("outside_control")),
                (key::NOTES, TextPrelim::new("").into()),
                (key::IMPACT, MapPrelim::default().into()),
                (key::DOTS, MapPrelim::default().into()),
            ]),
        );

        let actions = txn.get_or_insert_map(schema::ACTIONS);
        actions.insert(
            &mut txn,
            "a2",
            MapPrelim::from([
                (key::TITLE, In::from("Map the market")),
                (key::ITEMS, ArrayPrelim::from(["e1"]).into()),
                (key::OWNER, In::from("Bob")),
                (key::DUE, In::from("2027-01-15")),
                (key::STATUS, In::from("proposed")),
                (key::ASPECT, In::from("models")),
            ]),
        );
        actions.insert(
            &mut txn,
            "a1",
            MapPrelim::from([
                (key::TITLE, In::from("Pool the analysts")),
                (key::ITEMS, ArrayPrelim::from(["c1", "missing-item"]).into()),
                (key::OWNER, In::from("Ann")),
                (key::DUE, In::from("2026-11-01")),
                (key::STATUS, In::from("agreed")),
                (key::ASPECT, In::from("capacity")),
            ]),
        );

        let hypotheses = txn.get_or_insert_map(schema::HYPOTHESES);
        hypotheses.insert(
            &mut txn,
            "h2",
            MapPrelim::from([
                (key::STATEMENT, In::from("Providers want longer contracts")),
                (key::STATUS, In::from("accepted")),
                (key::EVIDENCE, TextPrelim::new("Provider forum, May").into()),
                (key::ORDER, In::from(2i64)),
            ]),
        );
        hypotheses.insert(
            &mut txn,
            "h1",
            MapPrelim::from([
                (key::STATEMENT, In::from("Prevention saves money")),
                (key::STATUS, In::from("investigating")),
                (
                    key::EVIDENCE,
                    TextPrelim::new("Two pilots | one\nmore").into(),
                ),
                (key::ORDER, In::from(1i64)),
            ]),
        );
        let gaps = txn.get_or_insert_map(schema::GAPS);
        gaps.insert(
            &mut txn,
            "g1",
            MapPrelim::from([
                (
                    key::OBJECTIVE,
                    TextPrelim::new("Early help for families").into(),
                ),
                (
                    key::DEVELOPMENTS,
                    TextPrelim::new("More family hubs").into(),
                ),
                (key::RATIONALE, TextPrelim::new("Demand is rising").into()),
                (
                    key::IMPLICATIONS,
                    TextPrelim::new("Recommission by April").into(),
                ),
                (key::ORDER, In::from(1i64)),
            ]),
        );
    }
    doc
}

/// The sample with junk everywhere: wrong types, out-of-range votes, clashing and invalid
/// sheet names, control characters, texts where numbers belong and numbers where texts do.
pub(crate) fn junk_document() -> Doc {
    let doc = sample_document();
    {
        let mut txn = doc.transact_mut();
        let meta = txn.get_or_insert_map(schema::META);
        meta.insert(&mut txn, key::TITLE, 12i64);
        meta.insert(&mut txn, key::CREATED_AT, "yesterday");
        meta.insert(&mut txn, key::SELECTED_APPROACH, "nope");

        let capacity = aspect(&mut txn, "capacity");
        vote(
            &mut txn,
            &capacity,
            key::QUICK,
            &[("p-ann", Any::from("high")), ("p-junk", int(9))],
        );
        capacity.insert(&mut txn, key::QUICK_AGREED, 3.5f64);
        capacity.insert(&mut txn, key::NOTES, 42i64);
        let skills = factor(&mut txn, "capacity", "skills-balance");
        vote(
            &mut txn,
            &skills,
            key::SCORES,
            &[
                ("p-ann", Any::from("high")),
                ("p-bob", int(7)),
                ("p-x", Any::from(3.5f64)),
                ("p-y", Any::Bool(true)),
                ("p-z", Any::from(f64::NAN)),
                ("=cmd|' /C calc'!A0", int(4)),
            ],
        );
        skills.insert(&mut txn, key::AGREED_WEIGHT, "heavy");
        skills.insert(&mut txn, key::TITLE, 5i64);
        let policy = aspect(&mut txn, "policy");
        policy.insert(&mut txn, key::FACTORS, "not a map");

        let aspects = txn.get_or_insert_map(schema::ASPECTS);
        aspects.insert(&mut txn, "bogus", 12i64);
        for (id, title, order) in [
            (
                "a-brackets",
                In::from("[Draft]: what/why? * \\ 'quoted'"),
                9i64,
            ),
            (
                "a-long-1",
                In::from("A very long aspect title that goes on and on"),
                10,
            ),
            (
                "a-long-2",
                In::from("A very long aspect title that goes on and on"),
                11,
            ),
            ("a-clash", In::from("Hypotheses"), 12),
            ("a-history", In::from("History"), 13),
            ("a-empty", In::from("  "), 14),
            ("a-number", In::from(7i64), 15),
            ("a-control", In::from("Bell\u{7}\u{0} and tab\t"), 16),
            ("a-quotes", In::from("''''"), 17),
        ] {
            aspects.insert(
                &mut txn,
                id,
                MapPrelim::from([
                    (key::TITLE, title),
                    (key::ORDER, In::from(order)),
                    (
                        key::FACTORS,
                        MapPrelim::from([("f", In::from("not a factor"))]).into(),
                    ),
                ]),
            );
        }

        let participants = txn.get_or_insert_map(schema::PARTICIPANTS);
        participants.insert(
            &mut txn,
            "p-junk",
            MapPrelim::from([(key::NAME, In::from(5i64)), (key::WORLD, In::from("mars"))]),
        );
        participants.insert(&mut txn, "p-not-a-map", "hello");

        let items = txn.get_or_insert_map(schema::ITEMS);
        items.insert(
            &mut txn,
            "i-junk",
            MapPrelim::from([
                (key::KIND, In::from("enabler")),
                (key::TITLE, In::from(Any::Null)),
                (key::CONTROL, In::from("sometimes")),
                (key::NOTES, In::from(3i64)),
                (key::IMPACT, In::from("lots")),
                (key::AGREED_IMPACT, In::from(99i64)),
                (
                    key::DOTS,
                    MapPrelim::from([("p-ann", In::from(-1i64)), ("p-bob", In::from(2i64))]).into(),
                ),
                (key::CREATED_AT, In::from(17i64)),
            ]),
        );
        items.insert(
            &mut txn,
            "i-risk",
            MapPrelim::from([(key::KIND, In::from("risk"))]),
        );
        items.insert(&mut txn, "i-scalar", 1i64);

        let actions = txn.get_or_insert_map(schema::ACTIONS);
        for (id, due) in [
            ("x1", In::from("2026-02-30")),
            ("x2", In::from("tomorrow")),
            ("x3", In::from(20261123i64)),
            ("x4", In::from("1850-01-01")),
        ] {
            actions.insert(
                &mut txn,
                id,
                MapPrelim::from([
                    (key::TITLE, In::from(Any::Bool(false))),
                    (key::DUE, due),
                    (key::ITEMS, In::from("c1")),
                    (key::STATUS, In::from("someday")),
                ]),
            );
        }
        let hypotheses = txn.get_or_insert_map(schema::HYPOTHESES);
        hypotheses.insert(&mut txn, "h-scalar", "not a map");
        hypotheses.insert(
            &mut txn,
            "h-junk",
            MapPrelim::from([
                (key::STATEMENT, In::from(1i64)),
                (key::STATUS, In::from("maybe")),
                (key::ORDER, In::from("first")),
            ]),
        );
        let gaps = txn.get_or_insert_map(schema::GAPS);
        gaps.insert(
            &mut txn,
            "g-junk",
            MapPrelim::from([
                (key::OBJECTIVE, In::from("x".repeat(40_000))),
                (key::ORDER, In::from(f64::INFINITY)),
            ]),
        );
        let approaches = txn.get_or_insert_map(schema::APPROACHES);
        approaches.insert(
            &mut txn,
            "ap-junk",
            MapPrelim::from([
                (key::TITLE, In::from("Junk | approach")),
                (
                    key::RELEVANCE,
                    MapPrelim::from([("capacity", In::from(9i64)), ("policy", In::from("x"))])
                        .into(),
                ),
            ]),
        );
    }
    doc
}
