//! One recompute of the full default workshop with 50 participants' votes (score and weight)
//! on every factor: read the document, run the engine, write what changed.
//!
//! Run with `cargo bench -p workshop-shared --bench recompute`.

use criterion::{criterion_main, Criterion};
use time::macros::date;
use workshop_shared::model::Workshop;
use workshop_shared::schema::{self, key};
use workshop_shared::template::{self, WorkshopMeta, ASPECTS};
use workshop_shared::{compute, recompute};
use yrs::{Any, Doc, Map, MapPrelim, Out, Transact, WriteTxn};

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
    let workshop = Workshop::read(&doc.transact());
    c.bench_function("engine only", |b| b.iter(|| compute(&workshop, today)));
}

#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
use group::benches;
criterion_main!(benches);
