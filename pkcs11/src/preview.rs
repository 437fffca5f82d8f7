//! What a what-if preview sees of the token: [`KeyBackend::fork`] of the PKCS#11 backend.
//!
//! A token cannot be copied, and a preview must never create or destroy real token
//! objects. The preview backend reads through to the token for the keys that exist
//! (encrypting and decrypting with them changes nothing in the token), keeps keys the
//! preview generates in a scratch software backend, and hides keys the preview destroys
//! instead of destroying them. To the forked engine it behaves like a copy.

use kms_share_core::idmap::IdMap;
use std::collections::BTreeSet;

use kms_share_core::crypto::{AesKey, RandomSource};
use kms_share_core::keystore::{KeyBackend, SoftwareBackend};
use kms_share_core::{Error, ErrorCode, Result};

use crate::backend::Pkcs11Backend;
use crate::error::RULE;

pub(crate) struct Preview {
    token: Pkcs11Backend,
    /// Keys generated in the preview.
    scratch: Box<dyn KeyBackend>,
    /// Token keys destroyed in the preview (still in the token).
    hidden: BTreeSet<String>,
    /// The token references the preview knows, as the forked backend knew them.
    known: IdMap<String, String>,
}

impl Preview {
    pub(crate) fn new(token: Pkcs11Backend, known: IdMap<String, String>) -> Self {
        Preview { token, scratch: Box::new(SoftwareBackend::new()), hidden: BTreeSet::new(), known }
    }

    fn gone(&self, handle: &str) -> Error {
        Error::new(
            ErrorCode::InvalidState,
            RULE,
            format!("the key material of this key version was destroyed (in this preview): `{handle}`"),
        )
    }
}

impl KeyBackend for Preview {
    fn name(&self) -> &'static str {
        "pkcs11-preview"
    }

    fn generate(&mut self, label: &str, rng: &mut dyn RandomSource) -> Result<String> {
        self.scratch.generate(label, rng)
    }

    fn encrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        if self.hidden.contains(handle) {
            Err(self.gone(handle))
        } else if self.scratch.contains(handle) {
            self.scratch.encrypt(handle, nonce, aad, plaintext)
        } else {
            self.token.encrypt(handle, nonce, aad, plaintext)
        }
    }

    fn decrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        if self.hidden.contains(handle) {
            Err(Error::decrypt_failed())
        } else if self.scratch.contains(handle) {
            self.scratch.decrypt(handle, nonce, aad, ciphertext)
        } else {
            self.token.decrypt(handle, nonce, aad, ciphertext)
        }
    }

    fn destroy(&mut self, handle: &str) -> Result<()> {
        if self.scratch.contains(handle) {
            self.scratch.destroy(handle)
        } else {
            self.known.remove(handle);
            self.hidden.insert(handle.to_string());
            Ok(())
        }
    }

    fn contains(&self, handle: &str) -> bool {
        !self.hidden.contains(handle) && (self.scratch.contains(handle) || self.token.contains(handle))
    }

    /// The token references, and the scratch keys sealed as the software backend seals
    /// them (a preview's `SealAndReload` round-trips both).
    fn seal_all(&self, root: &AesKey, rng: &mut dyn RandomSource) -> Result<IdMap<String, String>> {
        let mut out = self.known.clone();
        out.extend(self.scratch.seal_all(root, rng)?);
        Ok(out)
    }

    fn unseal_all(&mut self, root: &AesKey, sealed: IdMap<String, String>) -> Result<()> {
        let (refs, scratch): (IdMap<_, _>, IdMap<_, _>) =
            sealed.into_iter().partition(|(h, _)| h.starts_with(crate::object_ref::SCHEME));
        crate::backend::check_references(&refs)?;
        let mut fresh = SoftwareBackend::new();
        fresh.unseal_all(root, scratch)?;
        self.scratch = Box::new(fresh);
        self.hidden.retain(|h| !refs.contains_key(h));
        self.known = refs;
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn KeyBackend>> {
        Some(Box::new(Preview {
            token: self.token.clone(),
            scratch: self.scratch.fork()?,
            hidden: self.hidden.clone(),
            known: self.known.clone(),
        }))
    }
}
