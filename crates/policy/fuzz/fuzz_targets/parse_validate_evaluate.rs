//! Coverage-guided fuzzing of the whole pipeline: parse, validate for every kind, compile,
//! evaluate and explain. The checks live in `../harness.rs`, which the regression test replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    harness::run(data);
});
