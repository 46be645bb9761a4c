//! Arbitrary bytes as a v1 update to a template workshop, as a client could send them: the
//! update must be refused cleanly or applied, and then the whole read-compute-write pass
//! must run without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use workshop_shared_fuzz::{admissible, exercise, template_doc};
use yrs::Transact;

fuzz_target!(|bytes: &[u8]| {
    let Some(update) = admissible(bytes) else {
        return;
    };
    let doc = template_doc();
    if doc.transact_mut().apply_update(update).is_err() {
        return;
    }
    exercise(&doc);
});
