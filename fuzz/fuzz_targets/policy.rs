//! Fuzz target `policy`: see `core/tests/harness/mod.rs` (`fuzz_policy`).
#![no_main]

#[path = "../../core/tests/harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzz_policy(data));
