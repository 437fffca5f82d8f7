//! Fuzz target `scenario`: see `core/tests/harness/mod.rs` (`fuzz_scenario`).
#![no_main]

#[path = "../../core/tests/harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzz_scenario(data));
