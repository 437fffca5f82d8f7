#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod api;
pub mod audit;
pub mod authz;
pub mod crypto;
pub mod engine;
pub mod error;
pub mod idmap;
pub mod ids;
mod idtext;
pub mod keystore;
pub mod matrix;
pub mod model;
pub mod objects;
mod ops_kms;
mod ops_org;
mod ops_share;
pub mod params;
pub mod policy;
pub mod query;
pub mod rules;
pub mod scenario;
pub mod snapshot;
pub mod state;
pub mod time;

pub use authz::{Decision, Effect};
pub use engine::{Call, Engine, Response};
pub use error::{Error, ErrorCode, Result};
