//! Randomness comes in through a trait, because the core reads no clock and does no I/O.
//!
//! [`RandomSource`] is all the crypto code asks for. The host supplies the real source
//! (`OsRng` with the `std` feature, a browser's `crypto.getRandomValues` in wasm, a
//! PKCS#11 token's generator); tests and reproducible scenarios use [`SeededRng`], whose
//! output is a fixed function of its seed.

use crate::error::Result;
#[cfg(feature = "std")]
use crate::error::{Error, ErrorCode};
use sha2::{Digest, Sha256};

/// A source of random bytes for keys and nonces.
pub trait RandomSource: Send {
    /// Fill `buf` entirely with random bytes.
    ///
    /// # Errors
    /// `BackendError` when the underlying source fails. On error the contents of `buf`
    /// are unspecified and must not be used.
    fn fill(&mut self, buf: &mut [u8]) -> Result<()>;
}

/// **Deterministic, NOT random. For tests and reproducible scenarios only.**
///
/// Anyone who knows the seed knows every byte it will ever produce, so keys and
/// nonces drawn from it protect nothing. Never use it for real data.
///
/// The output stream is the concatenation of 32-byte blocks
/// `SHA-256(b"kms-share seeded rng v1" || seed as u64 LE || counter as u64 LE)`
/// for counter = 0, 1, 2, ... Consecutive [`fill`](RandomSource::fill) calls continue the
/// same stream, so drawing 10 bytes then 22 bytes gives the same bytes as drawing 32 at
/// once. Recorded results (scenario outputs, examples) may depend on this exact stream:
/// changing it is a breaking change, hence the `v1` in the label.
#[derive(Debug, Clone)]
pub struct SeededRng {
    seed: u64,
    /// The counter of the next block to compute.
    counter: u64,
    block: [u8; 32],
    /// How many bytes of `block` have been handed out already.
    // INVARIANT: used <= 32; 32 means the block is spent.
    used: usize,
}

/// The domain-separation label hashed in front of every [`SeededRng`] block.
const SEEDED_LABEL: &[u8] = b"kms-share seeded rng v1";

impl SeededRng {
    /// A deterministic generator for `seed`. **Tests and reproducible scenarios only.**
    pub fn new(seed: u64) -> Self {
        SeededRng { seed, counter: 0, block: [0; 32], used: 32 }
    }

    fn next_block(&mut self) {
        let mut h = Sha256::new();
        h.update(SEEDED_LABEL);
        h.update(self.seed.to_le_bytes());
        h.update(self.counter.to_le_bytes());
        self.block = h.finalize().into();
        // 2^64 blocks is unreachable; wrapping keeps the function total.
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl RandomSource for SeededRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        // Byte by byte: obviously terminating and index-free; speed does not matter here.
        for byte in buf.iter_mut() {
            if self.used >= self.block.len() {
                self.next_block();
            }
            *byte = self.block.get(self.used).copied().unwrap_or_default();
            self.used += 1;
        }
        Ok(())
    }
}

/// The operating system's cryptographically secure generator (through `getrandom`).
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRng;

#[cfg(feature = "std")]
impl RandomSource for OsRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        getrandom::getrandom(buf).map_err(|e| {
            Error::new(ErrorCode::BackendError, None, alloc::format!("the operating system random source failed: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn draw(seed: u64, n: usize) -> Vec<u8> {
        let mut r = SeededRng::new(seed);
        let mut v = vec![0u8; n];
        r.fill(&mut v).unwrap();
        v
    }

    #[test]
    fn seeded_rng_first_block_is_the_documented_hash() {
        let mut h = Sha256::new();
        h.update(b"kms-share seeded rng v1");
        h.update(7u64.to_le_bytes());
        h.update(0u64.to_le_bytes());
        let b0: [u8; 32] = h.finalize().into();
        let mut h = Sha256::new();
        h.update(b"kms-share seeded rng v1");
        h.update(7u64.to_le_bytes());
        h.update(1u64.to_le_bytes());
        let b1: [u8; 32] = h.finalize().into();
        let mut expected = b0.to_vec();
        expected.extend_from_slice(&b1);
        assert_eq!(draw(7, 64), expected);
    }

    #[test]
    fn seeded_rng_is_deterministic_and_seed_dependent() {
        assert_eq!(draw(42, 100), draw(42, 100));
        assert_ne!(draw(42, 32), draw(43, 32));
    }

    #[test]
    fn seeded_rng_streams_across_call_boundaries() {
        let whole = draw(9, 200);
        for sizes in [&[10usize, 22, 1, 31, 32, 33, 71][..], &[1; 200][..], &[0, 200][..], &[64, 0, 136][..]] {
            let mut r = SeededRng::new(9);
            let mut got = Vec::new();
            for &n in sizes {
                let mut chunk = vec![0u8; n];
                r.fill(&mut chunk).unwrap();
                got.extend_from_slice(&chunk);
            }
            assert_eq!(got, whole, "chunking {sizes:?}");
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn os_rng_fills_the_buffer() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        OsRng.fill(&mut a).unwrap();
        OsRng.fill(&mut b).unwrap();
        // 2^-256 chance of a false failure.
        assert_ne!(a, b);
    }
}
