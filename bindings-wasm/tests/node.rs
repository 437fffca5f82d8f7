//! The API and error-mapping tests, in Node.
#![cfg(target_arch = "wasm32")]

mod common;
