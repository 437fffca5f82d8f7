#![doc = include_str!("../README.md")]

mod convert;
mod org;
mod rng;

#[cfg(feature = "engine")]
pub use org::run_scenario_json;
pub use org::Organization;
pub use rng::HostRng;

use kms_share_core::ErrorCode;
use wasm_bindgen::prelude::*;

/// Every stable error code, in documentation order.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL.iter().map(|c| c.as_str().to_string()).collect()
}

/// The version of the engine and of this package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The TypeScript declarations of the core's JSON types, generated at build time from the
/// Rust types by `build/tsgen.rs`; wasm-bindgen copies them into every `.d.ts`.
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!(concat!(env!("OUT_DIR"), "/types.d.ts"));
