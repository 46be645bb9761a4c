//! The committed inputs of the `connections` fuzz target (`tests/corpus/connections/*.bin`),
//! each a sequence of frames from a facilitator's, a participant's and a viewer's connection
//! to one room, replayed with the target's invariants (`tests/support/connections.rs`). Every
//! input the fuzzer found a fault with is kept here once fixed.

#![allow(clippy::unwrap_used)]

#[path = "support/connections.rs"]
mod connections;

#[test]
fn every_committed_input_keeps_the_write_paths_invariants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/connections");
    let mut inputs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 3, "the corpus is missing");
    for path in inputs {
        let input = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| connections::run(&input));
        assert!(outcome.is_ok(), "{} broke an invariant", path.display());
    }
}
