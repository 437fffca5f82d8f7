//! Randomness from the host: `crypto.getRandomValues` in browsers and Node, through
//! `getrandom`'s `js` backend. The core reads no randomness of its own (it is built
//! without `std`), so the binding hands it this source.

use kms_share_core::crypto::RandomSource;
use kms_share_core::{Error, ErrorCode, Result};

/// The JavaScript host's secure random generator (`crypto.getRandomValues`).
#[derive(Debug, Clone, Copy, Default)]
pub struct HostRng;

impl RandomSource for HostRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        getrandom::getrandom(buf).map_err(|e| {
            Error::new(
                ErrorCode::BackendError,
                None,
                format!("the host random source (crypto.getRandomValues) failed: {e}"),
            )
        })
    }
}
