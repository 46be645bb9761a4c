//! How much memory a document's history of recomputed results takes: fills ROOMS template
//! workshops, then ROUNDS times changes one agreed score in each and recomputes it (as a room
//! does after an edit), and prints the growth of the process's resident memory per round and
//! room, beside the size of the encoded document.
//!
//! ```sh
//! cargo run --release -p workshop-shared --example results_history -- 500 50
//! ```

use time::macros::date;
use workshop_shared::{schema, template, Recomputer};
use yrs::{Doc, Map, Out, ReadTxn, StateVector, Transact, WriteTxn};

type Failure = Box<dyn std::error::Error>;

/// Resident memory of this process, in KiB.
fn rss_kib() -> Result<u64, Failure> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm.split_whitespace().nth(1).ok_or("no RSS")?.parse()?;
    Ok(pages * 4)
}

/// Sets the agreed score of the first factor of the `round`-th aspect (round robin).
fn agree(doc: &Doc, round: usize) -> Result<(), Failure> {
    let mut txn = doc.transact_mut();
    let aspects = txn.get_or_insert_map(schema::ASPECTS);
    let ids: Vec<String> = aspects.keys(&txn).map(str::to_owned).collect();
    let id = ids.get(round % ids.len().max(1)).ok_or("no aspects")?;
    let Some(Out::YMap(aspect)) = aspects.get(&txn, id) else {
        return Err("no aspect map".into());
    };
    let Some(Out::YMap(factors)) = aspect.get(&txn, schema::key::FACTORS) else {
        return Err("no factors map".into());
    };
    let first = factors
        .keys(&txn)
        .next()
        .map(str::to_owned)
        .ok_or("no factor")?;
    let Some(Out::YMap(factor)) = factors.get(&txn, &first) else {
        return Err("no factor map".into());
    };
    let score = i64::try_from(round % 5)? + 1;
    factor.insert(&mut txn, schema::key::AGREED_SCORE, score);
    Ok(())
}

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().unwrap_or_else(|| "500".into()).parse()?;
    let rooms: usize = args.next().unwrap_or_else(|| "50".into()).parse()?;
    let meta = template::WorkshopMeta {
        title: "Autumn workshop".into(),
        place: "Northshire".into(),
        created_at: "2026-11-23T09:00:00Z".into(),
    };
    let today = date!(2026 - 11 - 23);
    let mut docs = Vec::new();
    for _ in 0..rooms {
        let doc = Doc::new();
        template::fill(&mut doc.transact_mut(), &meta);
        let recomputer = Recomputer::attach(&doc)?;
        docs.push((doc, recomputer));
    }
    let (before, encoded_before) = (rss_kib()?, encoded(&docs));
    for round in 0..rounds {
        for (doc, recomputer) in &mut docs {
            agree(doc, round)?;
            recomputer.recompute(&mut doc.transact_mut(), today);
        }
    }
    let (after, encoded_after) = (rss_kib()?, encoded(&docs));
    let per = |kib: u64| kib as f64 * 1024.0 / (rounds * rooms) as f64;
    println!(
        "{rooms} workshops, {rounds} rounds: resident memory +{:.0} bytes a round per workshop; \
         encoded document +{:.0} bytes a round ({} KiB per workshop at the end)",
        per(after.saturating_sub(before)),
        (encoded_after.saturating_sub(encoded_before)) as f64 / (rounds * rooms) as f64,
        encoded_after / 1024 / rooms.max(1),
    );
    Ok(())
}

/// Bytes of every document, encoded as one update.
fn encoded(docs: &[(Doc, Recomputer)]) -> usize {
    docs.iter()
        .map(|(doc, _)| {
            doc.transact()
                .encode_state_as_update_v1(&StateVector::default())
                .len()
        })
        .sum()
}
