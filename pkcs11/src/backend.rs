//! [`Pkcs11Backend`]: the engine's [`KeyBackend`] over a PKCS#11 token.
//!
//! Keys are AES-256 token objects generated inside the token (`CKA_TOKEN`,
//! `CKA_PRIVATE`, `CKA_SENSITIVE` true, `CKA_EXTRACTABLE` false), so their material never
//! leaves it; the engine holds only [`ObjectRef`] handles (CR-5). Encryption is
//! `CKM_AES_GCM` with the engine's 96-bit nonce and authenticated data and a 128-bit tag,
//! giving byte for byte what the software backend gives, so the ciphertext blob format
//! (`docs/ciphertext-format.md`) does not depend on where a key lives.

use kms_share_core::idmap::IdMap;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use cryptoki::context::Function;
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState};
use kms_share_core::crypto::{AesKey, RandomSource};
use kms_share_core::keystore::KeyBackend;
use kms_share_core::{Error, ErrorCode, Result};
use zeroize::Zeroizing;

use crate::config::Pkcs11Config;
use crate::error::{is_verification_failure, other, RULE};
use crate::module::{check_mechanisms, shared_context, slot_for};
use crate::object_ref::{ObjectRef, ID_LEN, MAX_LABEL};
use crate::pool::{Fail, Pool};
use crate::preview::Preview;

/// AES-GCM nonce (IV) length in bytes; the trait's `&[u8; 12]` enforces it.
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length in bytes. SoftHSM2 would accept shorter tags: the backend always
/// asks for 128 bits and checks the output length.
pub const TAG_LEN: usize = 16;
const TAG_BITS: u64 = 128;
/// AES-256.
const KEY_BYTES: u64 = 32;
/// Bytes drawn from the engine's generator per key, as the software backend draws.
const ENGINE_DRAW: usize = 32;
/// How long a cached object handle is trusted before its identity is read again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(1);

/// A [`KeyBackend`] whose keys live in a PKCS#11 token.
///
/// Cheap to clone: clones share the session pool and the list of keys, so a host can
/// hand one to the engine ([`kms_share_core::Engine::set_hardware_backend`]) and keep
/// one. It is `Send + Sync`: encryption and decryption from several threads run in
/// parallel on pooled sessions.
#[derive(Clone)]
pub struct Pkcs11Backend {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    module: PathBuf,
    /// What [`KeyBackend::seal_all`] exports: handle -> label.
    known: Mutex<IdMap<String, String>>,
    /// Handle -> object handle found earlier (and when its identity was last checked),
    /// so an operation needs no search.
    objects: Mutex<HashMap<String, Cached>>,
}

impl fmt::Debug for Pkcs11Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Backend")
            .field("module", &self.inner.module)
            .field("token", &self.inner.pool.token())
            .field("sessions", &self.inner.pool.open())
            .field("keys", &lock(&self.inner.known).len())
            .finish_non_exhaustive()
    }
}

impl Pkcs11Backend {
    /// Load the module (once per process), find the token by label, check it offers
    /// AES key generation and AES-GCM, and log in.
    ///
    /// # Errors
    /// `BackendError` with a message naming the module path, the token, or the PKCS#11
    /// function and return value that failed (a wrong PIN reads
    /// ``logging in to token `hsm-prod`: C_Login returned CKR_PIN_INCORRECT``).
    ///
    /// Login state in PKCS#11 belongs to the process: when this process is already
    /// logged in to the token (through another backend), the PIN cannot be checked again.
    pub fn open(config: &Pkcs11Config) -> Result<Self> {
        let ctx = shared_context(&config.module)?;
        let slot = slot_for(&ctx, &config.token_label, &config.module)?;
        check_mechanisms(&ctx, slot, &config.token_label)?;
        let pool = Pool::new(ctx, slot, config.token_label.clone(), config.pin.clone(), config.max_sessions);
        // Open and log in a first session now: a wrong PIN fails here, not at the first key.
        pool.run(|_| Ok(())).map_err(|f| f.into_error("opening the first session"))?;
        Ok(Pkcs11Backend {
            inner: Arc::new(Inner {
                pool,
                module: config.module.clone(),
                known: Mutex::new(IdMap::new()),
                objects: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// [`Pkcs11Backend::open`] with [`Pkcs11Config::from_env`]; `Ok(None)` when no module
    /// is configured.
    ///
    /// # Errors
    /// As [`Pkcs11Config::from_env`] and [`Pkcs11Backend::open`].
    pub fn from_env() -> Result<Option<Self>> {
        Pkcs11Config::from_env()?.map(|c| Pkcs11Backend::open(&c)).transpose()
    }

    /// The module path.
    pub fn module(&self) -> &Path {
        &self.inner.module
    }

    /// The token label.
    pub fn token_label(&self) -> &str {
        self.inner.pool.token()
    }

    /// Sessions open now (at most the configured `max_sessions`).
    pub fn sessions_open(&self) -> usize {
        self.inner.pool.open()
    }

    fn missing(&self, label: &str) -> Error {
        Error::new(
            ErrorCode::InvalidState,
            RULE,
            format!(
                "the key material of this key version is not in token `{}`: \
                 token object `{label}` was destroyed or removed",
                self.token_label()
            ),
        )
    }

    fn forget(&self, handle: &str) {
        lock(&self.inner.objects).remove(handle);
    }

    /// The object `r` names: from the cache when `cached` and known, else by search.
    fn locate(&self, s: &Session, handle: &str, r: &ObjectRef, cached: bool) -> Result<Located, Fail> {
        if cached {
            // Bound first: a guard in an `if let` scrutinee would live through the block,
            // and `recheck` takes the lock again.
            let entry = lock(&self.inner.objects).get(handle).copied();
            if let Some(c) = entry {
                if c.checked.elapsed() < RECHECK_AFTER {
                    return Ok(Located { obj: c.obj, cached: true });
                }
                return self.recheck(s, handle, r, c.obj);
            }
        }
        let found = s.find_objects(&r.template())?;
        match found.as_slice() {
            [obj] => {
                self.remember(handle, *obj);
                Ok(Located { obj: *obj, cached: false })
            }
            [] => {
                // Private objects are invisible to a session that is not logged in, so
                // "none" may mean "logged out" (a C_Logout elsewhere in the process, a
                // token reset): say so, and the pool logs in and retries.
                let state = s.get_session_info()?.session_state();
                if matches!(state, SessionState::RoPublic | SessionState::RwPublic) {
                    Err(Fail::P11(P11Error::Pkcs11(RvError::UserNotLoggedIn, Function::FindObjects)))
                } else {
                    Err(Fail::Missing)
                }
            }
            many => Err(Fail::Core(other(format!(
                "{} objects in token `{}` match `{}`: a key reference must name exactly one",
                many.len(),
                self.token_label(),
                r.label()
            )))),
        }
    }

    /// Check that a cached object handle still names the key: PKCS#11 does not promise
    /// that a handle freed by a destroyed object is never given to a new one, and
    /// encrypting under another key would go unnoticed until decryption. Reading the id
    /// costs about two encryptions on SoftHSM2, so it is done at most once per
    /// [`RECHECK_AFTER`] per key, not on every call.
    fn recheck(&self, s: &Session, handle: &str, r: &ObjectRef, obj: ObjectHandle) -> Result<Located, Fail> {
        match s.get_attributes(obj, &[AttributeType::Id]) {
            Ok(attrs) if attrs.first() == Some(&Attribute::Id(r.id().to_vec())) => {
                self.remember(handle, obj);
                Ok(Located { obj, cached: true })
            }
            Ok(_) | Err(P11Error::Pkcs11(RvError::ObjectHandleInvalid, _)) => {
                self.forget(handle);
                Err(Fail::Retry)
            }
            Err(e) => Err(Fail::P11(e)),
        }
    }

    fn remember(&self, handle: &str, obj: ObjectHandle) {
        lock(&self.inner.objects).insert(handle.to_string(), Cached { obj, checked: Instant::now() });
    }

    /// One GCM operation with the located key; a stale cached handle is forgotten and retried.
    fn gcm(&self, s: &Session, handle: &str, r: &ObjectRef, call: &GcmCall<'_>) -> Result<Vec<u8>, Fail> {
        let key = self.locate(s, handle, r, true)?;
        // A fresh IV copy and mechanism per call: GcmParams borrows the IV mutably.
        let mut iv = *call.nonce;
        let params = GcmParams::new(&mut iv, call.aad, TAG_BITS.into())?;
        let mech = Mechanism::AesGcm(params);
        let out =
            if call.encrypt { s.encrypt(&mech, key.obj, call.input) } else { s.decrypt(&mech, key.obj, call.input) };
        match out {
            Err(P11Error::Pkcs11(RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid, _)) if key.cached => {
                self.forget(handle);
                Err(Fail::Retry)
            }
            other => other.map_err(Fail::from),
        }
    }
}

/// One AES-GCM call: the engine's nonce and AAD, and the plaintext or ciphertext || tag.
struct GcmCall<'a> {
    nonce: &'a [u8; NONCE_LEN],
    aad: &'a [u8],
    input: &'a [u8],
    encrypt: bool,
}

struct Located {
    obj: ObjectHandle,
    cached: bool,
}

#[derive(Clone, Copy)]
struct Cached {
    obj: ObjectHandle,
    checked: Instant,
}

impl KeyBackend for Pkcs11Backend {
    fn name(&self) -> &'static str {
        "pkcs11"
    }

    /// Generate the key in the token.
    ///
    /// The key's `CKA_ID` mixes 16 bytes from the token's generator (ids stay unique even
    /// when the engine's generator is a seeded one, reused across runs on one token) with
    /// bytes from `rng`. The backend draws exactly the 32 bytes from `rng` that the
    /// software backend draws for key material: the engine's random stream (later ids,
    /// nonces, data keys) must not depend on where keys live, or seeded scenario results
    /// would differ between software and hardware instances.
    fn generate(&mut self, label: &str, rng: &mut dyn RandomSource) -> Result<String> {
        if label.is_empty() || label.len() > MAX_LABEL {
            return Err(Error::invalid("label", RULE, format!("a token object label is 1 to {MAX_LABEL} bytes")));
        }
        let mut engine_bytes = Zeroizing::new([0u8; ENGINE_DRAW]);
        rng.fill(engine_bytes.as_mut_slice())?;
        let doing = format!("generating key `{label}` in token `{}`", self.token_label());
        let (r, obj) = self
            .inner
            .pool
            .run(|s| {
                let mut id = s.generate_random_vec(ID_LEN as u32)?;
                for (b, e) in id.iter_mut().zip(engine_bytes.iter()) {
                    *b ^= e;
                }
                let r = ObjectRef::new(label, &id)
                    .ok_or_else(|| Fail::Core(other(format!("the token returned no usable id for `{label}`"))))?;
                let obj = s.generate_key(&Mechanism::AesKeyGen, &key_template(&r))?;
                Ok((r, obj))
            })
            .map_err(|f| f.into_error(&doing))?;
        let handle = r.to_handle();
        self.remember(&handle, obj);
        lock(&self.inner.known).insert(handle.clone(), label.to_string());
        Ok(handle)
    }

    fn encrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let r = ObjectRef::parse(handle).ok_or_else(|| self.missing(handle))?;
        let doing = format!("encrypting with `{}` in token `{}`", r.label(), self.token_label());
        let call = GcmCall { nonce, aad, input: plaintext, encrypt: true };
        let out = self.inner.pool.run(|s| self.gcm(s, handle, &r, &call));
        match out {
            Ok(ct) if ct.len() == plaintext.len() + TAG_LEN => Ok(ct),
            Ok(ct) => Err(other(format!(
                "{doing}: the token returned {} bytes for {} bytes of plaintext, not plaintext plus a 16-byte tag",
                ct.len(),
                plaintext.len()
            ))),
            Err(Fail::Missing) => Err(self.missing(r.label())),
            Err(f) => Err(f.into_error(&doing)),
        }
    }

    fn decrypt(&self, handle: &str, nonce: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        // No tag, no question for the token.
        if ciphertext.len() < TAG_LEN {
            return Err(Error::decrypt_failed());
        }
        let r = ObjectRef::parse(handle).ok_or_else(Error::decrypt_failed)?;
        let call = GcmCall { nonce, aad, input: ciphertext, encrypt: false };
        let out = self.inner.pool.run(|s| self.gcm(s, handle, &r, &call));
        match out {
            Ok(pt) if pt.len() + TAG_LEN == ciphertext.len() => Ok(pt),
            Ok(pt) => Err(other(format!(
                "decrypting with `{}` in token `{}`: the token returned {} bytes for {} bytes of ciphertext and tag",
                r.label(),
                self.token_label(),
                pt.len(),
                ciphertext.len()
            ))),
            Err(Fail::Missing) => Err(Error::decrypt_failed()),
            Err(Fail::P11(P11Error::Pkcs11(rv, Function::Decrypt))) if is_verification_failure(rv) => {
                Err(Error::decrypt_failed())
            }
            Err(f) => Err(f.into_error(&format!("decrypting with `{}` in token `{}`", r.label(), self.token_label()))),
        }
    }

    fn destroy(&mut self, handle: &str) -> Result<()> {
        let Some(r) = ObjectRef::parse(handle) else {
            // Not a reference into a token: nothing here to destroy.
            return Ok(());
        };
        let doing = format!("destroying `{}` in token `{}`", r.label(), self.token_label());
        self.forget(handle);
        let out = self.inner.pool.run(|s| match self.locate(s, handle, &r, false) {
            Ok(key) => match s.destroy_object(key.obj) {
                // Destroyed meanwhile by someone else: search again, and find nothing.
                Err(P11Error::Pkcs11(RvError::ObjectHandleInvalid, _)) => Err(Fail::Retry),
                other => other.map_err(Fail::from),
            },
            Err(Fail::Missing) => Ok(()),
            Err(e) => Err(e),
        });
        self.forget(handle);
        out.map_err(|f| f.into_error(&doing))?;
        lock(&self.inner.known).remove(handle);
        Ok(())
    }

    /// Whether the token holds the object now (a search, not the cache: an object removed
    /// behind the backend's back is reported missing). A token that cannot be reached
    /// holds nothing usable, so that is `false` too.
    fn contains(&self, handle: &str) -> bool {
        let Some(r) = ObjectRef::parse(handle) else { return false };
        self.inner.pool.run(|s| self.locate(s, handle, &r, false)).is_ok()
    }

    /// References only: handle -> label. No material leaves the token, sealed or not.
    fn seal_all(&self, _root: &AesKey, _rng: &mut dyn RandomSource) -> Result<IdMap<String, String>> {
        Ok(lock(&self.inner.known).clone())
    }

    /// Take back the references [`KeyBackend::seal_all`] exported. Objects missing from
    /// the token are not an error here: the engine reports them
    /// (`Engine::unavailable_keys`) and keeps the rest of the snapshot usable.
    fn unseal_all(&mut self, _root: &AesKey, sealed: IdMap<String, String>) -> Result<()> {
        check_references(&sealed)?;
        *lock(&self.inner.known) = sealed;
        lock(&self.inner.objects).clear();
        Ok(())
    }

    /// A preview of the token for what-if queries: it reads through to the token for
    /// existing keys but never creates or destroys a token object (keys generated in the
    /// preview live in a scratch software backend; keys destroyed in it are only hidden).
    fn fork(&self) -> Option<Box<dyn KeyBackend>> {
        Some(Box::new(Preview::new(self.clone(), lock(&self.inner.known).clone())))
    }
}

/// Every entry must be a token reference whose label is the entry's value.
///
/// # Errors
/// `SnapshotInvalid` naming the first entry that is not.
pub(crate) fn check_references(sealed: &IdMap<String, String>) -> Result<()> {
    for (handle, label) in sealed {
        if ObjectRef::parse(handle).is_none_or(|r| r.label() != label) {
            return Err(Error::new(
                ErrorCode::SnapshotInvalid,
                RULE,
                format!("`{}` is not a reference to a token key labelled `{}`", short(handle), short(label)),
            ));
        }
    }
    Ok(())
}

/// The template of a new key: AES-256, stored in the token, private, sensitive, never
/// extractable, for encryption and decryption only.
fn key_template(r: &ObjectRef) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::ValueLen(KEY_BYTES.into()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::Sign(false),
        Attribute::Verify(false),
        Attribute::Derive(false),
        Attribute::Label(r.label().as_bytes().to_vec()),
        Attribute::Id(r.id().to_vec()),
    ]
}

/// The attributes a test or an audit reads back to check a key's protection.
pub const PROTECTION_ATTRIBUTES: [AttributeType; 6] = [
    AttributeType::Token,
    AttributeType::Private,
    AttributeType::Sensitive,
    AttributeType::Extractable,
    AttributeType::NeverExtractable,
    AttributeType::AlwaysSensitive,
];

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is a single map operation: a panic cannot leave one half done.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn short(s: &str) -> String {
    s.chars().take(64).collect()
}
