//! Arbitrary writes, valid or not, at the paths the engine reads (votes, agreed values,
//! relevance, items, participants, results ...) of a template workshop, then the whole
//! read-compute-write pass. The reader is meant to be tolerant: nothing may panic, and a
//! second recompute must find nothing left to change.

#![no_main]

use libfuzzer_sys::fuzz_target;
use workshop_shared_fuzz::{apply_writes, exercise, template_doc, Write};

fuzz_target!(|writes: Vec<Write>| {
    let doc = template_doc();
    apply_writes(&doc, &writes);
    exercise(&doc);
});
