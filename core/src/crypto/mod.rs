//! Software cryptography: AES-256-GCM, SHA-256, randomness and the ciphertext blob.
//!
//! This is the software backend's crypto (CR-1, CR-2, CR-5), kept small and free of I/O:
//! randomness comes in through [`RandomSource`], keys are [`AesKey`] values that never
//! serialize, and decryption failures are opaque. The binary formats are specified in
//! `docs/ciphertext-format.md`.
//!
//! - [`aead`]: [`AesKey`], AES-256-GCM with 96-bit nonces and 128-bit tags.
//! - [`hash`]: SHA-256, hex and base64.
//! - [`rng`]: [`RandomSource`], the deterministic [`SeededRng`] for tests and the
//!   operating system's generator (`OsRng`, with the `std` feature).
//! - [`blob`]: the ciphertext blob ([`blob::encode`], [`blob::decode`]) and the
//!   authenticated data ([`blob::aad`]) that binds key, version and encryption context.

pub mod aead;
pub mod blob;
pub mod hash;
pub mod rng;

pub use aead::AesKey;
pub use blob::{BlobHeader, MAX_ENCRYPTIONS_PER_VERSION, MAX_PLAINTEXT};
pub use hash::{b64_decode, b64_encode, from_hex, hex, sha256};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use hash::{b64_decode_append, b64_join};
pub(crate) use hash::{hex_into, sha256_parts};
#[cfg(feature = "std")]
pub use rng::OsRng;
pub use rng::{RandomSource, SeededRng};
