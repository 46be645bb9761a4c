//! Arbitrary bytes as a v1 update to a template workshop, as a client could send them: the
//! update must be refused cleanly or applied, and then the whole read-compute-write pass
//! must run without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use workshop_shared_fuzz::{exercise, plausible, template_doc};
use yrs::updates::decoder::Decode;
use yrs::{Transact, Update};

fuzz_target!(|bytes: &[u8]| {
    if !plausible(bytes) {
        return;
    }
    let doc = template_doc();
    let Ok(update) = Update::decode_v1(bytes) else {
        return;
    };
    if doc.transact_mut().apply_update(update).is_err() {
        return;
    }
    exercise(&doc);
});
