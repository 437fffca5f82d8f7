//! Where key material lives: the [`KeyBackend`] trait, the software backend, and
//! sealing of the software backend's material under a host-supplied root key (CR-5).
//!
//! Handles are opaque strings: the engine stores them in key versions and never
//! looks inside, so a PKCS#11 backend (hardware instances) fits the same trait.

use crate::idmap::IdMap;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::crypto::{AesKey, RandomSource};
use crate::error::{Error, ErrorCode, Result};
use crate::rules::Rule;

/// A store of AES-256 keys addressed by opaque handles.
pub trait KeyBackend: Send {
    /// A short name for messages (`software`, `pkcs11`).
    fn name(&self) -> &'static str;

    /// Generate a new AES-256 key labelled `label` (`<key-id>/v<version>`); return its handle.
    /// Draws exactly 32 bytes from `rng` whatever the backend, so that seeded runs give
    /// the same ids and results on every backend.
    ///
    /// # Errors
    /// `BackendError` when the store fails.
    fn generate(&mut self, label: &str, rng: &mut dyn RandomSource) -> Result<String>;

    /// AES-256-GCM seal: returns ciphertext || 16-byte tag.
    ///
    /// # Errors
    /// `InvalidState` for an unknown or destroyed handle (CR-3), `BackendError` when the store fails.
    fn encrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>>;

    /// AES-256-GCM open of ciphertext || tag.
    ///
    /// # Errors
    /// `DecryptFailed` for any authentication failure or unknown handle.
    fn decrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>>;

    /// Destroy the key material of a handle (zeroized; unrecoverable).
    ///
    /// # Errors
    /// `BackendError` when the store fails.
    fn destroy(&mut self, handle: &str) -> Result<()>;

    /// True if the handle's material is present.
    fn contains(&self, handle: &str) -> bool;

    /// Export every key sealed under `root` (software) or as references (hardware).
    ///
    /// # Errors
    /// `BackendError` when sealing fails.
    fn seal_all(&self, root: &AesKey, rng: &mut dyn RandomSource) -> Result<IdMap<String, String>>;

    /// Import what [`KeyBackend::seal_all`] exported.
    ///
    /// # Errors
    /// `SnapshotInvalid` when an entry does not unseal under `root`.
    fn unseal_all(&mut self, root: &AesKey, sealed: &IdMap<String, String>) -> Result<()>;

    /// A copy for what-if previews, where the backend can be copied.
    fn fork(&self) -> Option<Box<dyn KeyBackend>>;
}

/// The software backend: AES-256 keys in memory, zeroized on drop.
#[derive(Default)]
pub struct SoftwareBackend {
    keys: IdMap<String, AesKey>,
}

impl core::fmt::Debug for SoftwareBackend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SoftwareBackend({} keys, material redacted)", self.keys.len())
    }
}

impl SoftwareBackend {
    /// An empty backend.
    pub fn new() -> Self {
        SoftwareBackend::default()
    }
}

const SEAL_AAD: &[u8] = b"kms-share/sealed-key/v1:";

impl KeyBackend for SoftwareBackend {
    fn name(&self) -> &'static str {
        "software"
    }

    fn generate(&mut self, label: &str, rng: &mut dyn RandomSource) -> Result<String> {
        let handle = format!("sw:{label}");
        if self.keys.contains_key(&handle) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                Rule::Cr1,
                format!("key material `{label}` already exists"),
            ));
        }
        let key = AesKey::generate(rng)?;
        self.keys.insert(handle.clone(), key);
        Ok(handle)
    }

    fn encrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = self.keys.get(handle).ok_or_else(|| {
            Error::new(ErrorCode::InvalidState, Rule::Cr3, "the key material of this key version was destroyed")
        })?;
        key.seal(nonce, aad, plaintext)
    }

    fn decrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        let key = self.keys.get(handle).ok_or_else(Error::decrypt_failed)?;
        key.open(nonce, aad, ciphertext)
    }

    fn destroy(&mut self, handle: &str) -> Result<()> {
        // AesKey zeroizes its material on drop.
        self.keys.remove(handle);
        Ok(())
    }

    fn contains(&self, handle: &str) -> bool {
        self.keys.contains_key(handle)
    }

    fn seal_all(&self, root: &AesKey, rng: &mut dyn RandomSource) -> Result<IdMap<String, String>> {
        let mut out = IdMap::new();
        for (handle, key) in &self.keys {
            let mut nonce = [0u8; 12];
            rng.fill(&mut nonce)?;
            let mut aad = Vec::from(SEAL_AAD);
            aad.extend_from_slice(handle.as_bytes());
            let material = key.material();
            let sealed = root.seal(&nonce, &aad, material.as_slice())?;
            let mut blob = Vec::with_capacity(12 + sealed.len());
            blob.extend_from_slice(&nonce);
            blob.extend_from_slice(&sealed);
            out.insert(handle.clone(), crate::crypto::b64_encode(&blob));
        }
        Ok(out)
    }

    fn unseal_all(&mut self, root: &AesKey, sealed: &IdMap<String, String>) -> Result<()> {
        let bad = |h: &str| {
            Error::new(
                ErrorCode::SnapshotInvalid,
                Rule::Cr5,
                format!("sealed key material `{}` does not unseal under this root key", crate::ids::shorten(h)),
            )
        };
        let mut keys = IdMap::new();
        for (handle, b64) in sealed {
            let blob = crate::crypto::b64_decode("sealedKeys", b64).map_err(|_| bad(handle))?;
            let (nonce, ct) = blob.split_at_checked(12).ok_or_else(|| bad(handle))?;
            let mut aad = Vec::from(SEAL_AAD);
            aad.extend_from_slice(handle.as_bytes());
            let material = zeroize::Zeroizing::new(root.open(nonce, &aad, ct).map_err(|_| bad(handle))?);
            keys.insert(handle.to_string(), AesKey::from_bytes(&material).map_err(|_| bad(handle))?);
        }
        self.keys = keys;
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn KeyBackend>> {
        let mut keys = IdMap::new();
        for (h, k) in &self.keys {
            let m = k.material();
            keys.insert(h.clone(), AesKey::from_bytes(m.as_slice()).ok()?);
        }
        Some(Box::new(SoftwareBackend { keys }))
    }
}
