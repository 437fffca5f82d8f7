#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// `obj!("Key": value, ...)`: a result document's JSON object, keys in the order given.
/// It builds the same object as `serde_json::json!({ "Key": value, ... })` with one call
/// per document instead of an insert per key at each call site.
macro_rules! obj {
    ($($key:literal : $value:expr),* $(,)?) => {
        $crate::engine::object(&mut [$(($key, $crate::json::ToValue::to_value(&$value))),*])
    };
}

pub mod accesskeys;
pub mod action;
pub mod api;
pub mod audit;
pub mod authz;
pub mod crypto;
pub mod decision;
pub mod engine;
pub mod error;
#[cfg(not(target_arch = "wasm32"))]
pub mod fastjson;
// Unused in WebAssembly without the `hash-index` feature, where maps keep no hash index
// (`idmap.rs`, `Hash`).
#[cfg_attr(all(target_arch = "wasm32", not(feature = "hash-index")), allow(dead_code))]
mod idhash;
pub mod idmap;
pub mod ids;
mod idtext;
pub mod import;
pub mod json;
pub mod keystore;
#[cfg(not(target_arch = "wasm32"))]
mod keytable;
pub mod matrix;
pub mod model;
pub mod objects;
mod ops;
mod par;
pub mod params;
pub mod policy;
pub mod query;
pub mod request;
pub mod review;
pub mod rules;
pub mod scenario;
pub mod snapshot;
pub mod state;
mod text;
pub mod time;
pub mod trust;
mod v1;
pub mod vendor;

pub use decision::{Decision, Effect};
pub use engine::{Call, Engine, Response};
pub use error::{Error, ErrorCode, Result};
pub use rules::Rule;
