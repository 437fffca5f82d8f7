//! Where key material lives: the [`KeyBackend`] trait, the software backend, and
//! sealing of the software backend's material under a host-supplied root key (CR-5).
//!
//! Handles are opaque strings: the engine stores them in key versions and never
//! looks inside, so a PKCS#11 backend (hardware instances) fits the same trait.

use crate::idmap::IdMap;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::crypto::{AesKey, RandomSource};
use crate::error::{Error, ErrorCode, Result};
use crate::model::ShortText;
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

    /// Import what [`KeyBackend::seal_all`] exported (taken, not copied: a snapshot of a
    /// million keys hands over its map as it is).
    ///
    /// # Errors
    /// `SnapshotInvalid` when an entry is refused (the software backend opens each on its
    /// first use instead: see [`SoftwareBackend`]).
    fn unseal_all(&mut self, root: &AesKey, sealed: IdMap<String, String>) -> Result<()>;

    /// A copy for what-if previews, where the backend can be copied.
    fn fork(&self) -> Option<Box<dyn KeyBackend>>;

    /// The software backend itself, for a snapshot that writes its sealed material
    /// into the key table (natively: see `crate::keytable`).
    #[cfg(not(target_arch = "wasm32"))]
    fn as_software(&self) -> Option<&SoftwareBackend> {
        None
    }
}

/// The software backend: AES-256 keys in memory, zeroized on drop.
///
/// Material loaded from a snapshot stays sealed under the root key it was saved with
/// until its first use (a load of a million keys opens none of them: the snapshot's
/// integrity tag has already authenticated every sealed entry), and a save under the
/// same root writes back the sealed form of those never opened.
#[derive(Default)]
pub struct SoftwareBackend {
    keys: IdMap<ShortText, Material>,
    /// The root key loaded entries are sealed under, to open them on first use.
    root: Option<AesKey>,
}

/// One handle's material: the key once usable, and, for material loaded from a
/// snapshot, its sealed form (nonce || AES-256-GCM(root, material)).
pub(crate) struct Material {
    key: KeyCell,
    sealed: Option<Kept>,
}

#[cfg(not(target_arch = "wasm32"))]
impl Material {
    /// Material loaded sealed, opened on its first use: as a version 3 key table's reader
    /// makes each entry, so that the backend takes the table's entries as they are.
    pub(crate) fn loaded(sealed: Sealed) -> Material {
        Material { key: KeyCell::new(), sealed: Some(sealed) }
    }
}

/// An opened key as [`Material`] keeps it: natively boxed, 8 bytes where the key is 40,
/// in each of a large snapshot's million entries, most of which are never opened. In
/// WebAssembly the key itself (the module's size is budgeted; a page holds few keys).
#[cfg(not(target_arch = "wasm32"))]
type Opened = Box<AesKey>;
#[cfg(target_arch = "wasm32")]
type Opened = AesKey;

/// Where [`Material`] keeps its opened key: natively a cell threads may share (a large
/// save seals the material on two threads), in WebAssembly, which has no threads, the
/// core's own.
#[cfg(not(target_arch = "wasm32"))]
type KeyCell = once_cell::race::OnceBox<AesKey>;
#[cfg(target_arch = "wasm32")]
type KeyCell = core::cell::OnceCell<AesKey>;

/// A cell holding `key`.
#[cfg(not(target_arch = "wasm32"))]
fn cell_with(key: Opened) -> KeyCell {
    KeyCell::with_value(key)
}

/// A cell holding `key`.
#[cfg(target_arch = "wasm32")]
fn cell_with(key: Opened) -> KeyCell {
    KeyCell::from(key)
}

/// A loaded entry as the backend keeps it: natively its 60 bytes, which a version 3
/// snapshot's key table holds as they are; in WebAssembly, which reads and writes
/// version 2 only, the base64 text of `sealedKeys` (decoding it at load and encoding it
/// at save is code that module's size ceiling has no room for).
#[cfg(not(target_arch = "wasm32"))]
type Kept = Sealed;
#[cfg(target_arch = "wasm32")]
type Kept = String;

/// A `sealedKeys` entry of the right length as kept: `None` when it is not base64
/// (then its use fails as one that does not open).
#[cfg(not(target_arch = "wasm32"))]
fn kept(b64: String) -> Option<Kept> {
    let raw = crate::crypto::b64_decode("sealedKeys", &b64).ok()?;
    Sealed::try_from(raw.as_slice()).ok()
}

/// A `sealedKeys` entry of the right length as kept (its base64 is read when it is
/// opened).
#[cfg(target_arch = "wasm32")]
fn kept(b64: String) -> Option<Kept> {
    Some(b64)
}

/// A kept entry as `sealedKeys` writes it.
#[cfg(not(target_arch = "wasm32"))]
fn written(k: &Kept) -> String {
    crate::crypto::b64_encode(k)
}

/// A kept entry as `sealedKeys` writes it.
#[cfg(target_arch = "wasm32")]
fn written(k: &Kept) -> String {
    k.clone()
}

/// Open a kept entry.
#[cfg(not(target_arch = "wasm32"))]
fn open_kept(root: &AesKey, handle: &str, k: &Kept) -> Result<AesKey> {
    unseal_one(root, handle, k)
}

/// Open a kept entry.
#[cfg(target_arch = "wasm32")]
fn open_kept(root: &AesKey, handle: &str, k: &Kept) -> Result<AesKey> {
    let blob = crate::crypto::b64_decode("sealedKeys", k).map_err(|_| unsealable(handle))?;
    unseal_one(root, handle, &blob)
}

/// How a save seals a software backend's entries under one root key
/// ([`SoftwareBackend::seal_plan`]).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct SealPlan {
    /// Whether the root is the one the loaded entries are sealed under (then those are
    /// written back as they are).
    same_root: bool,
    /// By entry position: the nonce of an entry sealed anew (empty when none is).
    nonces: Vec<[u8; 12]>,
}

#[cfg(not(target_arch = "wasm32"))]
impl SealPlan {
    /// The nonce drawn for the entry at `at`.
    fn nonce(&self, at: usize) -> Result<&[u8; 12]> {
        self.nonces.get(at).ok_or_else(|| {
            Error::new(ErrorCode::BackendError, Rule::Cr5, "no nonce was drawn to seal this key material")
        })
    }
}

/// The length of a sealed entry: 12 bytes of nonce, 32 of material, 16 of tag.
pub const SEALED_LEN: usize = 12 + 32 + 16;

/// A sealed entry: nonce || AES-256-GCM(root, material) with the handle as authenticated data.
pub type Sealed = [u8; SEALED_LEN];

impl Material {
    fn of(key: AesKey) -> Self {
        Material { key: cell_with(Opened::from(key)), sealed: None }
    }
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

    /// The key of `handle`, opened from its sealed form on first use; `None` when the
    /// handle has no material (destroyed, or never made here).
    fn key(&self, handle: &str) -> Option<Result<&AesKey>> {
        let m = self.keys.get(handle)?;
        Some(self.open(handle, m))
    }

    /// Whether `root` is the root key the loaded entries are sealed under.
    pub(crate) fn is_root(&self, root: &AesKey) -> bool {
        self.root.as_ref().is_some_and(|r| same_key(r, root))
    }

    /// `handle`'s material `m` as `sealedKeys` writes it under `root` (`same_root`:
    /// whether `root` is the one loaded entries are sealed under).
    fn written_form(
        &self,
        root: &AesKey,
        same_root: bool,
        handle: &str,
        m: &Material,
        nonce: impl FnOnce() -> Result<[u8; 12]>,
    ) -> Result<String> {
        // Material loaded sealed under the same root is written back as it was, opened
        // or not: a handle's material never changes (a rotation makes a new handle).
        match (&m.sealed, same_root) {
            (Some(kept), true) => Ok(written(kept)),
            _ => Ok(crate::crypto::b64_encode(&self.seal_new(root, handle, m, &nonce()?)?)),
        }
    }

    /// `handle`'s material `m` sealed anew under `root` with `nonce` (drawn for it
    /// alone): nonce || AES-256-GCM(root, material), made in place.
    #[cfg(not(target_arch = "wasm32"))]
    fn seal_new(&self, root: &AesKey, handle: &str, m: &Material, nonce: &[u8; 12]) -> Result<Sealed> {
        // The entry at hand, not a search for its handle again.
        let key = self.open(handle, m)?;
        let mut entry = zeroize::Zeroizing::new([0u8; SEALED_LEN]);
        let (n, rest) = entry.split_at_mut(12);
        n.copy_from_slice(nonce);
        let (material, tag) = rest.split_at_mut(32);
        material.copy_from_slice(key.material().as_slice());
        // The material is ciphertext once sealed; on failure the wiped copy is dropped.
        tag.copy_from_slice(&with_aad(handle, |aad| root.seal_in_place(nonce, aad, material))?);
        Ok(*entry)
    }

    /// `handle`'s material `m` sealed anew under `root` with `nonce`.
    #[cfg(target_arch = "wasm32")]
    fn seal_new(&self, root: &AesKey, handle: &str, m: &Material, nonce: &[u8; 12]) -> Result<Vec<u8>> {
        let key = self.open(handle, m)?;
        let mut blob = Vec::from(&nonce[..]);
        blob.extend_from_slice(&root.seal(nonce, &aad_of(handle), key.material().as_slice())?);
        Ok(blob)
    }

    /// The key of `handle`'s material `m`, opened from its sealed form on first use.
    fn open<'a>(&'a self, handle: &str, m: &'a Material) -> Result<&'a AesKey> {
        if let Some(k) = m.key.get() {
            return Ok(k);
        }
        let opened = match (&m.sealed, &self.root) {
            (Some(kept), Some(root)) => open_kept(root, handle, kept),
            _ => Err(unsealable(handle)),
        };
        opened.and_then(|k| {
            // Set here, unless another thread of a save opened it meanwhile: the cell
            // keeps one of the two, the same key.
            let _ = m.key.set(Opened::from(k));
            m.key.get().ok_or_else(|| unsealable(handle))
        })
    }
}

/// The key table's access to the material (natively: see `crate::keytable`).
#[cfg(not(target_arch = "wasm32"))]
impl SoftwareBackend {
    /// Number of handles with material.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// How a save under `root` seals this backend's entries: the nonces of those sealed
    /// anew are drawn from `rng` here, all at once, in the order of the entries'
    /// positions, so that the bytes a save writes do not depend on which thread seals
    /// which entry.
    ///
    /// # Errors
    /// Whatever `rng` fails with.
    pub(crate) fn seal_plan(&self, root: &AesKey, rng: &mut dyn RandomSource) -> Result<SealPlan> {
        let same_root = self.is_root(root);
        let entries = || (0..self.keys.len()).filter_map(|i| self.keys.at_slot(i));
        let anew = |m: &Material| !(same_root && m.sealed.is_some());
        let count = entries().filter(|(_, m)| anew(m)).count();
        if count == 0 {
            return Ok(SealPlan { same_root, nonces: Vec::new() });
        }
        let mut drawn = alloc::vec![0u8; count.saturating_mul(12)];
        rng.fill(&mut drawn)?;
        let mut drawn = drawn.chunks_exact(12);
        let mut nonces = alloc::vec![[0u8; 12]; self.keys.len()];
        for ((_, m), nonce) in entries().zip(nonces.iter_mut()) {
            if anew(m) {
                if let Some(d) = drawn.next() {
                    nonce.copy_from_slice(d);
                }
            }
        }
        Ok(SealPlan { same_root, nonces })
    }

    /// `handle`'s sealed form under `root` (as loaded, when loaded under the same root)
    /// with its entry's position (below [`Self::len`], one per handle), or `None` when
    /// the handle has no material here. `hint` is the position looked at first; `plan`
    /// is [`Self::seal_plan`]'s for `root`.
    pub(crate) fn sealed(
        &self,
        root: &AesKey,
        plan: &SealPlan,
        handle: &str,
        hint: usize,
    ) -> Option<(usize, Result<Sealed>)> {
        // A save asks for the handles in key order, which after a load is mostly the
        // order of the backend's slots: the slot `hint` (the one after the last found) is
        // tried before the map is searched.
        let (at, m) = match self.keys.at_slot(hint) {
            Some((h, m)) if h.as_str() == handle => (hint, m),
            _ => self.keys.get_at(handle)?,
        };
        // Material loaded sealed under the same root is written back as it was, opened
        // or not: a handle's material never changes (a rotation makes a new handle).
        let sealed = match (&m.sealed, plan.same_root) {
            (Some(kept), true) => Ok(*kept),
            _ => plan.nonce(at).and_then(|nonce| self.seal_new(root, handle, m, nonce)),
        };
        Some((at, sealed))
    }

    /// The entries whose position is not marked in `written`, as [`KeyBackend::seal_all`]
    /// writes them (those no key version of a snapshot's key table names).
    ///
    /// # Errors
    /// As [`KeyBackend::seal_all`].
    pub(crate) fn seal_unwritten(
        &self,
        root: &AesKey,
        plan: &SealPlan,
        written: &[bool],
    ) -> Result<IdMap<String, String>> {
        let mut out = Vec::new();
        // By position: only the unmarked entries are read, none searched for.
        for at in written.iter().enumerate().filter(|(_, w)| !**w).map(|(at, _)| at) {
            let Some((handle, m)) = self.keys.at_slot(at) else { continue };
            let nonce = || plan.nonce(at).copied();
            out.push((String::from(handle.as_str()), self.written_form(root, plan.same_root, handle, m, nonce)?));
        }
        Ok(out.into_iter().collect())
    }

    /// Take the entries of a version 3 snapshot: those of its key table (`table`, the
    /// handles in key order) and those of its `sealedKeys` (`rest`, base64, as
    /// [`KeyBackend::unseal_all`] takes them). Nothing changes on error.
    ///
    /// # Errors
    /// `SnapshotInvalid` for a handle this backend does not make, a malformed entry or a
    /// handle given twice.
    pub(crate) fn unseal_with(
        &mut self,
        root: &AesKey,
        table: Vec<(ShortText, Material)>,
        rest: IdMap<String, String>,
    ) -> Result<()> {
        let mut loaded = SoftwareBackend::new();
        loaded.unseal_all(root, rest)?;
        if let Some((h, _)) = table.iter().find(|(h, _)| !h.starts_with("sw:")) {
            return Err(unsealable(h));
        }
        let mut entries: Vec<(ShortText, Material)> = loaded.keys.into_sorted_vec();
        if entries.is_empty() {
            entries = table;
        } else {
            entries.extend(table);
        }
        let keys = match IdMap::of_ascending(entries) {
            Ok(keys) => keys,
            Err(mut entries) => {
                // Handles follow their keys' order, which is not always theirs.
                entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                if let Some(w) = entries.windows(2).find(|w| matches!(w, [a, b] if a.0 == b.0)) {
                    return Err(unsealable(w.first().map(|e| e.0.as_str()).unwrap_or_default()));
                }
                IdMap::of_ascending(entries).map_err(|_| unsealable(""))?
            }
        };
        self.keys = keys;
        self.root = Some(root.clone());
        Ok(())
    }
}

fn unsealable(handle: &str) -> Error {
    Error::new(
        ErrorCode::SnapshotInvalid,
        Rule::Cr5,
        format!("sealed key material `{}` does not unseal under this root key", crate::ids::shorten(handle)),
    )
}

fn aad_of(handle: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(SEAL_AAD.len() + handle.len());
    aad.extend_from_slice(SEAL_AAD);
    aad.extend_from_slice(handle.as_bytes());
    aad
}

/// `f` of a sealed entry's authenticated data for `handle` (see [`aad_of`]), made on
/// the stack for a handle of usual length (natively: a large save seals a million).
#[cfg(not(target_arch = "wasm32"))]
fn with_aad<T>(handle: &str, f: impl FnOnce(&[u8]) -> T) -> T {
    let mut buf = [0u8; 96];
    let n = SEAL_AAD.len() + handle.len();
    match buf.get_mut(..n) {
        Some(aad) => {
            let (label, h) = aad.split_at_mut(SEAL_AAD.len());
            label.copy_from_slice(SEAL_AAD);
            h.copy_from_slice(handle.as_bytes());
            f(aad)
        }
        None => f(&aad_of(handle)),
    }
}

/// Open one sealed entry (nonce || AES-256-GCM(root, material)).
fn unseal_one(root: &AesKey, handle: &str, sealed: &[u8]) -> Result<AesKey> {
    let (nonce, ct) = sealed.split_at_checked(12).ok_or_else(|| unsealable(handle))?;
    let material = zeroize::Zeroizing::new(root.open(nonce, &aad_of(handle), ct).map_err(|_| unsealable(handle))?);
    AesKey::from_bytes(&material).map_err(|_| unsealable(handle))
}

/// Whether two keys are the same, in time independent of where they differ.
fn same_key(a: &AesKey, b: &AesKey) -> bool {
    let (a, b) = (a.material(), b.material());
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const SEAL_AAD: &[u8] = b"kms-share/sealed-key/v1:";
/// A sealed entry's base64 length (a version 2 snapshot's `sealedKeys`).
const SEALED_B64_LEN: usize = SEALED_LEN / 3 * 4;

impl KeyBackend for SoftwareBackend {
    fn name(&self) -> &'static str {
        "software"
    }

    fn generate(&mut self, label: &str, rng: &mut dyn RandomSource) -> Result<String> {
        let handle = format!("sw:{label}");
        if self.keys.contains_key(handle.as_str()) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                Rule::Cr1,
                format!("key material `{label}` already exists"),
            ));
        }
        let key = AesKey::generate(rng)?;
        self.keys.insert(ShortText::from(handle.as_str()), Material::of(key));
        Ok(handle)
    }

    fn encrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = self.key(handle).ok_or_else(|| {
            Error::new(ErrorCode::InvalidState, Rule::Cr3, "the key material of this key version was destroyed")
        })??;
        key.seal(nonce, aad, plaintext)
    }

    fn decrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        match self.key(handle) {
            Some(Ok(key)) => key.open(nonce, aad, ciphertext),
            _ => Err(Error::decrypt_failed()),
        }
    }

    fn destroy(&mut self, handle: &str) -> Result<()> {
        // AesKey zeroizes its material on drop; a sealed form is only ciphertext.
        self.keys.remove(handle);
        Ok(())
    }

    fn contains(&self, handle: &str) -> bool {
        self.keys.contains_key(handle)
    }

    fn seal_all(&self, root: &AesKey, rng: &mut dyn RandomSource) -> Result<IdMap<String, String>> {
        // In handle order, so that the map is built in one pass (`IdMap::from_iter`).
        let mut out = Vec::with_capacity(self.keys.len());
        let same_root = self.is_root(root);
        for (handle, m) in &self.keys {
            let nonce = || {
                let mut nonce = [0u8; 12];
                rng.fill(&mut nonce).map(|()| nonce)
            };
            out.push((String::from(handle.as_str()), self.written_form(root, same_root, handle, m, nonce)?));
        }
        Ok(out.into_iter().collect())
    }

    fn unseal_all(&mut self, root: &AesKey, sealed: IdMap<String, String>) -> Result<()> {
        // Opened on first use; here only what needs no cryptography: the handle is one
        // this backend makes, and the entry is base64 of nonce, material and tag.
        if let Some((h, _)) = sealed.iter().find(|(h, b64)| !h.starts_with("sw:") || b64.len() != SEALED_B64_LEN) {
            return Err(unsealable(h));
        }
        self.keys = sealed
            .into_iter()
            .map(|(h, b64)| (ShortText::from(h), Material { key: KeyCell::new(), sealed: kept(b64) }))
            .collect();
        self.root = Some(root.clone());
        Ok(())
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn as_software(&self) -> Option<&SoftwareBackend> {
        Some(self)
    }

    // A kept entry is bytes natively (`Copy`) and text in WebAssembly: cloned either way.
    #[allow(clippy::clone_on_copy)]
    fn fork(&self) -> Option<Box<dyn KeyBackend>> {
        let mut keys = IdMap::new();
        for (h, m) in &self.keys {
            let copy = match m.key.get() {
                Some(k) => Material { key: cell_with(Opened::from(k.clone())), sealed: m.sealed.clone() },
                None => Material { key: KeyCell::new(), sealed: m.sealed.clone() },
            };
            keys.insert(h.clone(), copy);
        }
        Some(Box::new(SoftwareBackend { keys, root: self.root.clone() }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::crypto::SeededRng;

    const NONCE: [u8; 12] = [9; 12];

    fn saved(root: &AesKey) -> (IdMap<String, String>, String, Vec<u8>) {
        let mut b = SoftwareBackend::new();
        let mut rng = SeededRng::new(1);
        let h = b.generate("key-a/v1", &mut rng).unwrap();
        b.generate("key-b/v1", &mut rng).unwrap();
        let ct = b.encrypt(&h, &NONCE, b"aad", b"hello").unwrap();
        (b.seal_all(root, &mut rng).unwrap(), h, ct)
    }

    #[test]
    fn loaded_material_opens_on_first_use_and_saves_back_unchanged_under_the_same_root_cr5() {
        let root = AesKey::from_bytes(&[7; 32]).unwrap();
        let (sealed, h, ct) = saved(&root);
        let mut b = SoftwareBackend::new();
        b.unseal_all(&root, sealed.clone()).unwrap();
        assert!(b.keys.values().all(|m| m.key.get().is_none()), "a load opens nothing");
        assert_eq!(b.decrypt(&h, &NONCE, b"aad", &ct).unwrap(), b"hello");
        assert!(b.keys.get(h.as_str()).unwrap().key.get().is_some(), "opened once, then kept");
        // Under the same root every entry is written back as it was, opened or not.
        assert_eq!(b.seal_all(&root, &mut SeededRng::new(2)).unwrap(), sealed);
        // Under another root every entry is sealed anew, and opens under it.
        let other = AesKey::from_bytes(&[8; 32]).unwrap();
        let resealed = b.seal_all(&other, &mut SeededRng::new(3)).unwrap();
        assert!(resealed.iter().all(|(k, v)| sealed.get(k).is_some_and(|old| old != v)));
        let mut c = SoftwareBackend::new();
        c.unseal_all(&other, resealed).unwrap();
        assert_eq!(c.decrypt(&h, &NONCE, b"aad", &ct).unwrap(), b"hello");
        assert_eq!(c.fork().unwrap().decrypt(&h, &NONCE, b"aad", &ct).unwrap(), b"hello");
    }

    #[test]
    fn an_entry_that_does_not_open_fails_its_use_not_the_others_cr5() {
        let root = AesKey::from_bytes(&[7; 32]).unwrap();
        let (sealed, h, ct) = saved(&root);
        let wrong = AesKey::from_bytes(&[6; 32]).unwrap();
        let mut b = SoftwareBackend::new();
        // Well-formed, so accepted at load (the snapshot's tag vouches for it there).
        b.unseal_all(&wrong, sealed.clone()).unwrap();
        assert_eq!(b.encrypt(&h, &NONCE, b"", b"x").unwrap_err().code, ErrorCode::SnapshotInvalid);
        assert_eq!(b.decrypt(&h, &NONCE, b"aad", &ct).unwrap_err().code, ErrorCode::DecryptFailed);
        assert_eq!(b.seal_all(&root, &mut SeededRng::new(2)).unwrap_err().code, ErrorCode::SnapshotInvalid);
        // Malformed entries are refused at load, leaving the backend as it was.
        let mut bad = sealed.clone();
        bad.insert("sw:key-c/v1".into(), "AAAA".into());
        let mut c = SoftwareBackend::new();
        assert_eq!(c.unseal_all(&root, bad).unwrap_err().code, ErrorCode::SnapshotInvalid);
        assert!(c.keys.is_empty());
        let mut foreign = sealed;
        foreign.insert("pkcs11:object=x".into(), "A".repeat(SEALED_B64_LEN));
        assert_eq!(c.unseal_all(&root, foreign).unwrap_err().code, ErrorCode::SnapshotInvalid);
    }

    /// A save's plan draws one nonce for each entry it seals anew, all different, and
    /// each entry is sealed with its own; under the root the entries were loaded with,
    /// only those made since are sealed anew (CR-5).
    #[test]
    fn a_save_seals_each_entry_anew_with_a_nonce_of_its_own_cr5() {
        let root = AesKey::from_bytes(&[7; 32]).unwrap();
        let mut rng = SeededRng::new(4);
        let mut b = SoftwareBackend::new();
        for i in 0..40 {
            b.generate(&format!("key-{i:02}/v1"), &mut rng).unwrap();
        }
        let sealed = b.seal_all(&root, &mut rng).unwrap();
        let mut loaded = SoftwareBackend::new();
        loaded.unseal_all(&root, sealed.clone()).unwrap();
        let made_since: Vec<String> =
            (0..5).map(|i| loaded.generate(&format!("new-{i}/v1"), &mut rng).unwrap()).collect();
        for (under, anew) in [(AesKey::from_bytes(&[8; 32]).unwrap(), 45), (root.clone(), 5)] {
            let plan = loaded.seal_plan(&under, &mut rng).unwrap();
            let mut nonces = Vec::new();
            for (h, _) in &loaded.keys {
                let (_, entry) = loaded.sealed(&under, &plan, h, 0).unwrap();
                let entry = entry.unwrap();
                let is_new = made_since.iter().any(|m| m == h.as_str());
                match sealed.get(h.as_str()) {
                    Some(old) if same_key(&under, &root) => assert_eq!(&written(&entry), old, "{h:?} written back"),
                    _ => nonces.push(<[u8; 12]>::try_from(&entry[..12]).unwrap()),
                }
                assert_eq!(
                    unseal_one(&under, h, &entry).unwrap().material(),
                    loaded.key(h).unwrap().unwrap().material()
                );
                assert!(is_new || sealed.contains_key(h.as_str()));
            }
            nonces.sort_unstable();
            nonces.dedup();
            assert_eq!(nonces.len(), anew, "a nonce of its own for each entry sealed anew");
            assert!(!nonces.contains(&[0; 12]));
        }
    }
}
