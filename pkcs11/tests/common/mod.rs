//! Shared by the integration tests: the token from the environment (or a visible skip),
//! engine fixtures, and the conformance suite every key backend must pass.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod conformance;
pub mod engine;
pub mod hsm;
