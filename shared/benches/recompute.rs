//! One recompute of the full default workshop with 50 participants' votes (score and weight)
//! on every factor: read the document, run the engine, write what changed; each of the three
//! steps on its own; and the incremental recompute of a [`Recomputer`] after one participant
//! changed one score, as the server runs it after each client update.
//!
//! Run with `cargo bench -p workshop-shared --bench recompute`.

use criterion::{criterion_main, BatchSize, Criterion};
use time::macros::date;
use workshop_shared::model::Workshop;
use workshop_shared::results::write;
use workshop_shared::schema::{self, key};
use workshop_shared::template::{self, WorkshopMeta, ASPECTS};
use workshop_shared::{compute, recompute, Recomputer};
use yrs::any::Number;
use yrs::{Any, Doc, Map, MapPrelim, MapRef, Out, ReadTxn, Transact, WriteTxn};

const PARTICIPANTS: usize = 50;
const WORLDS: [&str; 4] = ["customer", "service", "management", "political"];

fn full_workshop() -> Doc {
    let doc = Doc::with_client_id(1);
    let meta = WorkshopMeta {
        title: "Benchmark".into(),
        place: "Benchmarkshire".into(),
        created_at: "2026-11-23T09:00:00Z".into(),
    };
    let mut txn = doc.transact_mut();
    template::fill(&mut txn, &meta);
    let participants = txn.get_or_insert_map(schema::PARTICIPANTS);
    let aspects = txn.get_or_insert_map(schema::ASPECTS);
    for p in 0..PARTICIPANTS {
        let id = format!("participant-{p:02}");
        participants.insert(
            &mut txn,
            id.as_str(),
            MapPrelim::from([(key::WORLD, WORLDS[p % 4])]),
        );
        for (a, aspect) in ASPECTS.iter().enumerate() {
            let Some(Out::YMap(aspect_map)) = aspects.get(&txn, aspect.id) else {
                continue;
            };
            let Some(Out::YMap(factors)) = aspect_map.get(&txn, key::FACTORS) else {
                continue;
            };
            for (f, (factor_id, _)) in aspect.factors.iter().enumerate() {
                let Some(Out::YMap(factor)) = factors.get(&txn, factor_id) else {
                    continue;
                };
                let score = 1 + ((p + a + f) % 5) as i64;
                let weight = ((p * 7 + f) % 4) as i64;
                if let Some(Out::YMap(scores)) = factor.get(&txn, key::SCORES) {
                    scores.insert(&mut txn, id.as_str(), Any::from(score));
                }
                if let Some(Out::YMap(weights)) = factor.get(&txn, key::WEIGHTS) {
                    weights.insert(&mut txn, id.as_str(), Any::from(weight));
                }
            }
        }
    }
    drop(txn);
    doc
}

/// What reading costs before the reader does anything: yrs walking every score and weight
/// vote map of the document, each key and value touched once. The floor under "read document
/// into model" as long as a recompute reads the whole document.
fn iterate_votes(doc: &Doc) -> i64 {
    let txn = doc.transact();
    let mut sum = 0;
    let maps = |out: Option<Out>| match out {
        Some(Out::YMap(map)) => Some(map),
        _ => None,
    };
    let Some(aspects) = txn.get_map(schema::ASPECTS) else {
        return sum;
    };
    for (_, aspect) in aspects.iter(&txn) {
        let Some(factors) = maps(Some(aspect)).and_then(|a| maps(a.get(&txn, key::FACTORS))) else {
            continue;
        };
        for (_, factor) in factors.iter(&txn) {
            let Some(factor) = maps(Some(factor)) else {
                continue;
            };
            for votes in [key::SCORES, key::WEIGHTS].map(|k| maps(factor.get(&txn, k))) {
                for (id, value) in votes.iter().flat_map(|v| v.iter(&txn)) {
                    if let Out::Any(Any::Number(Number::Int(i))) = value {
                        sum += i + i64::from(id.as_bytes().last().copied().unwrap_or(0));
                    }
                }
            }
        }
    }
    sum
}

/// Every factor's score vote map, in template order.
fn score_maps(doc: &Doc) -> Vec<MapRef> {
    let txn = doc.transact();
    let maps = |out: Option<Out>| match out {
        Some(Out::YMap(map)) => Some(map),
        _ => None,
    };
    let Some(aspects) = txn.get_map(schema::ASPECTS) else {
        return Vec::new();
    };
    let mut scores = Vec::new();
    for aspect in ASPECTS.iter() {
        let Some(factors) =
            maps(aspects.get(&txn, aspect.id)).and_then(|a| maps(a.get(&txn, key::FACTORS)))
        else {
            continue;
        };
        for (factor, _) in aspect.factors {
            let factor = maps(factors.get(&txn, factor));
            scores.extend(factor.and_then(|f| maps(f.get(&txn, key::SCORES))));
        }
    }
    scores
}

/// One participant changes one score, in a transaction of its own (as a client update
/// applied by the server is): the `n`th such change cycles through participants and factors,
/// and always sets a value other than the one there.
fn change_one_score(doc: &Doc, scores: &[MapRef], n: usize) {
    let mut txn = doc.transact_mut();
    let participant = format!("participant-{:02}", n % PARTICIPANTS);
    let map = &scores[n % scores.len()];
    let old = match map.get(&txn, &participant) {
        Some(Out::Any(Any::Number(Number::Int(old)))) => old,
        _ => 0,
    };
    map.insert(&mut txn, participant, Any::from(old % 5 + 1));
}

fn bench(c: &mut Criterion) {
    let doc = full_workshop();
    let today = date!(2026 - 11 - 23);
    recompute(&mut doc.transact_mut(), today);
    c.bench_function("recompute full workshop, 50 participants", |b| {
        b.iter(|| recompute(&mut doc.transact_mut(), today))
    });
    c.bench_function("read document into model", |b| {
        b.iter(|| Workshop::read(&doc.transact()))
    });
    c.bench_function("yrs alone: iterate every score and weight vote", |b| {
        b.iter(|| iterate_votes(&doc))
    });
    let workshop = Workshop::read(&doc.transact());
    c.bench_function("engine only", |b| b.iter(|| compute(&workshop, today)));
    // The steady state of a recompute: the results are already stored, nothing changes.
    let results = compute(&workshop, today);
    c.bench_function("write unchanged results", |b| {
        b.iter_batched(
            || results.clone(),
            |mut results| write(&mut doc.transact_mut(), &mut results),
            BatchSize::SmallInput,
        )
    });

    // A recomputer warmed up on the document (its first recompute reads everything), then
    // per iteration: one changed score, committed, and the incremental recompute after it.
    let Ok(mut recomputer) = Recomputer::attach(&doc) else {
        panic!("no transaction is open on the benchmark document");
    };
    recomputer.recompute(&mut doc.transact_mut(), today);
    let scores = score_maps(&doc);
    let factors: usize = ASPECTS.iter().map(|aspect| aspect.factors.len()).sum();
    assert_eq!(scores.len(), factors, "every factor of the template");
    let mut n = 0;
    c.bench_function("incremental after one vote", |b| {
        b.iter(|| {
            n += 1;
            change_one_score(&doc, &scores, n);
            recomputer.recompute(&mut doc.transact_mut(), today)
        })
    });
}

#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
use group::benches;
criterion_main!(benches);
