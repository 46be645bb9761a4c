//! Sequences of frames from three connections of different roles (facilitator, participant,
//! viewer) against one room, with the write path's invariants checked after every frame: see
//! `server/tests/support/connections.rs`, which the committed inputs of this target are
//! replayed through by `cargo test` (`server/tests/connections.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/connections.rs"]
mod connections;

fuzz_target!(|input: &[u8]| connections::run(input));
