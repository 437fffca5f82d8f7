//! AES-256-GCM with 96-bit nonces and 128-bit tags, the only AEAD the software backend
//! uses (CR-1: spec `Aliyun_AES_256`).
//!
//! [`AesKey`] expands its cipher on first use and keeps it, because re-expanding the key
//! on every call costs more than encrypting a small message, while most keys of a large
//! organization are never used in a process's life: an unused key holds 32 bytes and a
//! pointer, not the 1 KB of round keys. Failures to open are opaque
//! ([`Error::decrypt_failed`]): the caller learns that decryption failed, never why.

// The in-place calls exist in both aes-gcm versions the core builds with (0.11 natively,
// 0.10 in WebAssembly: Cargo.toml); 0.11 deprecates their names in favour of in-out
// buffers, and forwards them there.
#![allow(deprecated)]

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::Zeroizing;

use super::rng::RandomSource;
use crate::error::{Error, Result};
use crate::rules::Rule;

/// Length of an AES-256 key, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the GCM nonce, in bytes (96 bits; no other size is accepted).
pub const NONCE_LEN: usize = 12;
/// Length of the GCM authentication tag, in bytes (128 bits, never truncated).
pub const TAG_LEN: usize = 16;

/// An AES-256-GCM key, its expanded cipher cached from the first use.
///
/// The raw key bytes are wiped when the key is dropped. The key never serializes and its
/// `Debug` output is `AesKey(<redacted>)`; the only way to the raw bytes is
/// [`material`](AesKey::material), for sealing under a root key (CR-5).
#[derive(Clone)]
pub struct AesKey {
    material: Zeroizing<[u8; KEY_LEN]>,
    // The expanded round keys and GHASH key, built on first use, wiped on drop (the
    // `zeroize` feature of aes-gcm and, through it, of aes, ghash and polyval).
    cipher: CipherCell,
}

/// Where [`AesKey`] keeps its expanded cipher: natively a cell threads may share (a
/// large save seals keys on two threads under one root key), in WebAssembly, which has
/// no threads, the core's own.
#[cfg(not(target_arch = "wasm32"))]
type CipherCell = once_cell::race::OnceBox<Aes256Gcm>;
#[cfg(target_arch = "wasm32")]
type CipherCell = core::cell::OnceCell<Box<Aes256Gcm>>;

impl AesKey {
    /// A key from its 32 raw bytes.
    ///
    /// # Errors
    /// `InvalidParameter` (field `key`, rule CR-1) when `bytes` is not exactly 32 bytes
    /// long.
    pub fn from_bytes(bytes: &[u8]) -> Result<AesKey> {
        if bytes.len() != KEY_LEN {
            return Err(Error::invalid(
                "key",
                Rule::Cr1,
                alloc::format!("an AES-256 key is {KEY_LEN} bytes, got {} bytes", bytes.len()),
            ));
        }
        // Copied straight into wiped-on-drop storage, not through a plain array.
        let mut material = Zeroizing::new([0u8; KEY_LEN]);
        for (dst, src) in material.iter_mut().zip(bytes) {
            *dst = *src;
        }
        Ok(AesKey { material, cipher: CipherCell::new() })
    }

    /// A fresh key of 32 bytes drawn from `rng`.
    ///
    /// # Errors
    /// Whatever `rng` fails with (`BackendError` for the operating system source).
    pub fn generate(rng: &mut dyn RandomSource) -> Result<AesKey> {
        let mut material = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill(material.as_mut_slice())?;
        AesKey::from_bytes(material.as_slice())
    }

    /// Encrypt and authenticate `plaintext`, also authenticating `aad`; returns the
    /// ciphertext followed by the 16-byte tag.
    ///
    /// The caller chooses the nonce and must never reuse one under the same key: draw it
    /// from a [`RandomSource`] and respect
    /// [`MAX_ENCRYPTIONS_PER_VERSION`](super::blob::MAX_ENCRYPTIONS_PER_VERSION). This
    /// function does not apply the API's plaintext size limit
    /// ([`MAX_PLAINTEXT`](super::blob::MAX_PLAINTEXT)): sealed snapshots are larger.
    ///
    /// # Errors
    /// `InvalidParameter` (field `nonce`) when `nonce` is not exactly 12 bytes long;
    /// `InvalidParameter` (field `plaintext`) beyond GCM's 64 GiB message limit.
    pub fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| {
            Error::invalid(
                "nonce",
                Rule::Cr2,
                alloc::format!("an AES-GCM nonce is {NONCE_LEN} bytes, got {} bytes", nonce.len()),
            )
        })?;
        let mut out = Vec::with_capacity(plaintext.len().saturating_add(TAG_LEN));
        out.extend_from_slice(plaintext);
        let tag =
            self.cipher().encrypt_in_place_detached(&Nonce::from(nonce), aad, &mut out).map_err(|_| too_long())?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// [`seal`](AesKey::seal) in place: `in_out` holds the plaintext and is left holding
    /// the ciphertext; the tag is returned. Natively, for the million small seals of a
    /// large save, which [`seal`](AesKey::seal)'s vector would each allocate.
    ///
    /// # Errors
    /// `InvalidParameter` (field `plaintext`) beyond GCM's 64 GiB message limit.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN]> {
        let tag = self.cipher().encrypt_in_place_detached(&Nonce::from(*nonce), aad, in_out).map_err(|_| too_long())?;
        Ok(tag.into())
    }

    /// Check the tag and decrypt `ciphertext_and_tag` (the output of
    /// [`seal`](AesKey::seal)) under `nonce` and `aad`.
    ///
    /// # Errors
    /// [`Error::decrypt_failed`] for every failure: wrong key, nonce or authenticated
    /// data, a modified ciphertext or tag, a nonce that is not 12 bytes, input shorter
    /// than the tag. The error never says which.
    pub fn open(&self, nonce: &[u8], aad: &[u8], ciphertext_and_tag: &[u8]) -> Result<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::decrypt_failed())?;
        let split = ciphertext_and_tag.len().checked_sub(TAG_LEN).ok_or_else(Error::decrypt_failed)?;
        let (ciphertext, tag) = ciphertext_and_tag.split_at_checked(split).ok_or_else(Error::decrypt_failed)?;
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| Error::decrypt_failed())?;
        let mut out = Vec::from(ciphertext);
        // `aes-gcm` checks the tag before it decrypts, so on failure `out` still holds
        // only ciphertext: nothing unauthenticated escapes.
        self.cipher()
            .decrypt_in_place_detached(&Nonce::from(nonce), aad, &mut out, &Tag::from(tag))
            .map_err(|_| Error::decrypt_failed())?;
        Ok(out)
    }

    /// The expanded cipher, built on the first call.
    fn cipher(&self) -> &Aes256Gcm {
        self.cipher.get_or_init(|| Box::new(Aes256Gcm::new((&*self.material).into())))
    }

    /// A copy of the raw 32 key bytes, wiped when the returned value drops.
    ///
    /// **For sealing the key under a root key only (CR-5).** Nothing else may read,
    /// log, serialize or compare the material; every other use goes through
    /// [`seal`](AesKey::seal) and [`open`](AesKey::open).
    pub fn material(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(*self.material)
    }
}

/// What sealing more than GCM can seal answers.
fn too_long() -> Error {
    Error::invalid("plaintext", Rule::Cr2, "the plaintext or authenticated data is too long for AES-GCM")
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hash::{from_hex, hex};
    use crate::crypto::rng::SeededRng;
    use crate::error::ErrorCode;
    use alloc::format;
    use alloc::vec;

    fn key() -> AesKey {
        AesKey::from_bytes(&[7u8; 32]).unwrap()
    }

    #[test]
    fn debug_is_redacted() {
        let k = AesKey::from_bytes(&[0xab; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "AesKey(<redacted>)");
        assert_eq!(format!("{k:#?}"), "AesKey(<redacted>)");
    }

    #[test]
    fn wrong_key_length_is_invalid_parameter_cr1() {
        for n in [0usize, 16, 24, 31, 33, 64] {
            let e = AesKey::from_bytes(&vec![0u8; n]).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameter);
            assert_eq!(e.field.as_deref(), Some("key"));
            assert_eq!(e.rule, Some(Rule::Cr1));
            assert_eq!(e.message, format!("an AES-256 key is 32 bytes, got {n} bytes"));
        }
    }

    #[test]
    fn wrong_nonce_length_is_invalid_parameter_on_seal() {
        for n in [0usize, 8, 11, 13, 16] {
            let e = key().seal(&vec![0u8; n], b"", b"hi").unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameter);
            assert_eq!(e.field.as_deref(), Some("nonce"));
            assert_eq!(e.message, format!("an AES-GCM nonce is 12 bytes, got {n} bytes"));
        }
    }

    #[test]
    fn seal_then_open_round_trips_including_empty_plaintext() {
        let k = key();
        for pt in [&b""[..], b"x", &[0x5a; 100][..]] {
            let sealed = k.seal(&[1; 12], b"aad", pt).unwrap();
            assert_eq!(sealed.len(), pt.len() + TAG_LEN);
            assert_eq!(k.open(&[1; 12], b"aad", &sealed).unwrap(), pt);
        }
    }

    #[test]
    fn tampering_anything_gives_opaque_decrypt_failed() {
        let k = key();
        let nonce = [3u8; 12];
        let sealed = k.seal(&nonce, b"ctx", b"secret message").unwrap();
        let fails = |r: Result<Vec<u8>>| {
            let e = r.unwrap_err();
            assert_eq!(e, Error::decrypt_failed());
        };
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x01;
            fails(k.open(&nonce, b"ctx", &t));
        }
        fails(k.open(&[4u8; 12], b"ctx", &sealed));
        fails(k.open(&nonce, b"ctX", &sealed));
        fails(k.open(&nonce, b"", &sealed));
        fails(k.open(&nonce[..11], b"ctx", &sealed));
        fails(k.open(&nonce, b"ctx", &sealed[..sealed.len() - 1]));
        fails(k.open(&nonce, b"ctx", &sealed[..TAG_LEN - 1]));
        fails(k.open(&nonce, b"ctx", b""));
        fails(AesKey::from_bytes(&[8u8; 32]).unwrap().open(&nonce, b"ctx", &sealed));
    }

    #[test]
    fn material_returns_the_key_bytes_and_clone_keeps_them() {
        let bytes: Vec<u8> = (0..32).collect();
        let k = AesKey::from_bytes(&bytes).unwrap();
        assert_eq!(k.material().as_slice(), bytes.as_slice());
        let c = k.clone();
        assert_eq!(c.material().as_slice(), bytes.as_slice());
        let sealed = k.seal(&[0; 12], b"", b"p").unwrap();
        assert_eq!(c.open(&[0; 12], b"", &sealed).unwrap(), b"p");
    }

    #[test]
    fn generate_draws_32_bytes_from_the_rng() {
        let mut rng = SeededRng::new(1);
        let mut expected = [0u8; 32];
        SeededRng::new(1).fill(&mut expected).unwrap();
        let k = AesKey::generate(&mut rng).unwrap();
        assert_eq!(*k.material(), expected);
        let k2 = AesKey::generate(&mut rng).unwrap();
        assert_ne!(*k2.material(), expected);
    }

    // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256).
    #[test]
    fn gcm_spec_test_case_16() {
        let k =
            AesKey::from_bytes(&from_hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308").unwrap())
                .unwrap();
        let nonce = from_hex("cafebabefacedbaddecaf888").unwrap();
        let aad = from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let pt = from_hex(concat!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        ))
        .unwrap();
        let sealed = k.seal(&nonce, &aad, &pt).unwrap();
        assert_eq!(
            hex(&sealed),
            concat!(
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
                "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b"
            )
        );
        assert_eq!(k.open(&nonce, &aad, &sealed).unwrap(), pt);
    }
}
