//! Sealed snapshots (CR-5): the whole state, with every key's material sealed under
//! a root key the host supplies, and an integrity tag over the whole document.
//!
//! Layout of version 2 (JSON throughout): `{"format": "kms-share-snapshot",
//! "version": 2, "nonce": "<base64 12 bytes>", "body": {...}, "tag": "<base64>"}` (the
//! members in any order when read). The
//! body is raw JSON and the tag covers its exact bytes, so a reformatted snapshot is
//! refused as modified. It holds `state` (plain data: no key material, secret values
//! only as ciphertext), `sealedKeys` (handle -> base64 of nonce || AES-256-GCM(root,
//! material) with the handle as authenticated data; the software backend opens each on
//! its first use, not at load) and `hardwareKeys`. The tag is
//! AES-256-GCM under the root key of the label `kms-share/snapshot/v2` with the body
//! as authenticated data (the label is checked on opening: format and version are
//! bound without copying the body). Hardware instances' keys appear only as handles
//! (references into the token).
//!
//! Version 3, the one native builds write, is version 2 with the keys moved out of the
//! state into `keyTable`: base64 of one binary table (layout in `crate::keytable`),
//! each key version's sealed material inline in it instead of in `sealedKeys` (which
//! keeps any entry no key version names); `state.keys` is empty. Its label is
//! `kms-share/snapshot/v3`. Keys are most of a large organization's state, and as JSON
//! records most of a load's and a save's time: the table is less than half their
//! size, and is read without parsing text. The WebAssembly module, whose size is held
//! under a ceiling, writes version 2 and reads versions 1 and 2 only (a version 3
//! snapshot is refused there as an unsupported version); [`Engine::save_sealed_as`]
//! writes version 2 natively for it.
//!
//! Version 1 still loads: there the body is the same JSON as an escaped string, and
//! the tag seals an empty plaintext with `kms-share/snapshot/v1:` + body as
//! authenticated data. Version 2 parses without un-escaping and authenticates without
//! copying hundreds of MB.
//!
//! A native load reads the envelope as this engine writes it from the members around
//! the body, without scanning the body (any other layout, and every envelope in
//! WebAssembly, by a parse of the whole document). Natively, a large version 3 body's
//! tag is checked, then the body read, while a second thread reads the key table:
//! nothing of the table is kept or unsealed unless the check passes, and a failed check
//! is the refusal given.

use crate::idmap::IdMap;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::crypto::{b64_decode, b64_encode, AesKey, RandomSource};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::json::Mode;
use crate::model::ShortText;
use crate::rules::Rule;
use crate::state::{State, StateSeed};

/// The snapshot format name.
pub const FORMAT: &str = "kms-share-snapshot";
/// The snapshot format version this build writes (it reads every version up to it).
#[cfg(not(target_arch = "wasm32"))]
pub const VERSION: u32 = 3;
/// The snapshot format version this build writes (it reads every version up to it).
#[cfg(target_arch = "wasm32")]
pub const VERSION: u32 = 2;
/// Version 1's authenticated-data prefix.
const TAG_AAD_V1: &[u8] = b"kms-share/snapshot/v1:";
/// Version 2's sealed label.
const TAG_LABEL_V2: &[u8] = b"kms-share/snapshot/v2";
/// Version 3's sealed label.
#[cfg(not(target_arch = "wasm32"))]
const TAG_LABEL_V3: &[u8] = b"kms-share/snapshot/v3";
/// What a load of a later version is told.
#[cfg(not(target_arch = "wasm32"))]
const UNSUPPORTED: &str = "this build reads versions 1 to 3";
/// What a load of a later version is told.
#[cfg(target_arch = "wasm32")]
const UNSUPPORTED: &str = "this WebAssembly build reads versions 1 and 2: write version 2 natively (save_sealed_as)";

/// The size of a body from which a load reads its parts on two threads (`crate::par`):
/// below it, starting a thread costs more than it saves.
pub const PARALLEL_BYTES: usize = 1 << 20;

/// The envelope as read: the body is kept as the exact text it has in the document
/// (for version 1 a JSON string, for versions 2 and 3 the object itself).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Envelope<'a> {
    format: String,
    version: u32,
    #[serde(borrow)]
    body: &'a RawValue,
    nonce: String,
    tag: String,
}

/// An envelope's members, its body as the exact text it has in the document.
struct Sealed<'a> {
    format: String,
    version: u32,
    body: &'a str,
    nonce: String,
    tag: String,
}

/// Read a snapshot's envelope: natively first as this engine writes it
/// ([`written_envelope`]), else by parsing the whole document, whose error is the one
/// given. (The WebAssembly module, whose size is held under a ceiling, parses the whole
/// document: the snapshots a page loads are small.)
fn read_envelope(text: &str) -> Result<Sealed<'_>> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(sealed) = written_envelope(text) {
        return Ok(sealed);
    }
    let env: Envelope = serde_json::from_str(text)
        .map_err(|e| invalid(format!("the snapshot is not a complete snapshot document ({e})")))?;
    Ok(Sealed { format: env.format, version: env.version, body: env.body.get(), nonce: env.nonce, tag: env.tag })
}

/// The envelope as [`Engine::save_sealed`] writes it, read without scanning its body:
/// the members up to the first `,"body":` are `format`, `version` and `nonce`, those
/// after the last `,"tag":` are `tag`, and the body is the text between, with no space
/// around it. The body is not checked here: its read refuses any text that is not one
/// JSON value, so a snapshot read this way is one a parse of the whole document reads
/// the same. `None` for any other text.
#[cfg(not(target_arch = "wasm32"))]
fn written_envelope(text: &str) -> Option<Sealed<'_>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Head {
        format: String,
        version: u32,
        nonce: String,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Tail {
        tag: String,
    }
    const BODY: &str = ",\"body\":";
    const TAG: &str = ",\"tag\":";
    let head_end = text.find(BODY)?;
    let tag_at = text.rfind(TAG)?;
    let body = text.get(head_end + BODY.len()..tag_at)?;
    let spaced = |b: Option<&u8>| b.is_none_or(u8::is_ascii_whitespace);
    if spaced(body.as_bytes().first()) || spaced(body.as_bytes().last()) {
        return None;
    }
    let mut head = String::from(text.get(..head_end)?);
    head.push('}');
    let head: Head = serde_json::from_str(&head).ok()?;
    let mut tail = String::from("{");
    tail.push_str(text.get(tag_at + 1..)?);
    let tail: Tail = serde_json::from_str(&tail).ok()?;
    Some(Sealed { format: head.format, version: head.version, body, nonce: head.nonce, tag: tail.tag })
}

/// The body size from which a load runs stages at once (`Engine::load_with`): where
/// this build has threads, [`PARALLEL_BYTES`].
fn parallel_from() -> Option<usize> {
    crate::par::THREADS.then_some(PARALLEL_BYTES)
}

/// A snapshot read, before its key material is taken and its index built.
struct ReadSnapshot {
    /// The state, with its keys (version 3: from the key table).
    state: State,
    /// The software keys' sealed material.
    sealed: SealedMaterial,
    hardware_keys: IdMap<String, String>,
    /// Whether the load runs stages at once.
    threads: bool,
    /// The state's RAM layout, made on the body's thread while the key table was read.
    #[cfg(not(target_arch = "wasm32"))]
    rules: Option<crate::state::RamRules>,
}

/// The software keys' sealed material of a snapshot read.
enum SealedMaterial {
    /// Versions 1 and 2: every entry as base64 (`sealedKeys`).
    Base64(IdMap<String, String>),
    /// Version 3: the key table's entries by handle, and the body's `sealedKeys`
    /// (material no key version names).
    #[cfg(not(target_arch = "wasm32"))]
    Table(alloc::vec::Vec<(ShortText, crate::keystore::Material)>, IdMap<String, String>),
}

/// The body as read, by the reader below.
#[derive(Default)]
struct Body<'a> {
    state: State,
    sealed_keys: IdMap<String, String>,
    hardware_keys: IdMap<String, String>,
    /// Version 3's `keyTable`, borrowed from the snapshot's text (base64 has nothing to
    /// un-escape).
    #[cfg(not(target_arch = "wasm32"))]
    key_table: Option<&'a str>,
    #[cfg(target_arch = "wasm32")]
    key_table: core::marker::PhantomData<&'a str>,
}

/// The body's fields (`hardwareKeys` may be absent; `keyTable` is version 3's).
#[cfg(not(target_arch = "wasm32"))]
const BODY_FIELDS: &[&str] = &["state", "sealedKeys", "hardwareKeys", "keyTable"];
/// The body's fields (`hardwareKeys` may be absent).
#[cfg(target_arch = "wasm32")]
const BODY_FIELDS: &[&str] = &["state", "sealedKeys", "hardwareKeys"];

/// Read from an object only, as [`crate::objects`] makes derived readers do. The
/// state's reader reads objects only by itself, so the body is read by serde_json
/// directly and the state's reader is compiled once, for serde_json's deserializer.
struct BodyFields<M>(core::marker::PhantomData<M>);

impl<'de, M: Mode> serde::de::Visitor<'de> for BodyFields<M> {
    type Value = Body<'de>;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("struct Body")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> core::result::Result<Body<'de>, A::Error> {
        use serde::de::Error as _;
        let mut body = Body::default();
        let mut seen = 0u8;
        while let Some(key) = a.next_key::<String>()? {
            let i =
                BODY_FIELDS.iter().position(|f| *f == key).ok_or_else(|| A::Error::unknown_field(&key, BODY_FIELDS))?;
            if seen & (1 << i) != 0 {
                return Err(A::Error::custom(format!("duplicate field `{key}`")));
            }
            seen |= 1 << i;
            match i {
                0 => body.state = a.next_value_seed(StateSeed::<M>(core::marker::PhantomData))?,
                1 => body.sealed_keys = M::value(&mut a)?,
                #[cfg(not(target_arch = "wasm32"))]
                3 => body.key_table = Some(a.next_value::<&'de str>()?),
                _ => body.hardware_keys = M::value(&mut a)?,
            }
        }
        if seen & 1 == 0 {
            Err(A::Error::missing_field("state"))
        } else if seen & 2 == 0 {
            Err(A::Error::missing_field("sealedKeys"))
        } else {
            Ok(body)
        }
    }
}

impl<'de> Deserialize<'de> for Body<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_map(BodyFields::<crate::json::ViaValue>(core::marker::PhantomData))
    }
}

/// A body read natively straight from its text (`crate::fastjson`).
#[cfg(not(target_arch = "wasm32"))]
struct FastBody<'a>(Body<'a>);

#[cfg(not(target_arch = "wasm32"))]
impl<'de> Deserialize<'de> for FastBody<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_map(BodyFields::<crate::fastjson::Direct>(core::marker::PhantomData)).map(FastBody)
    }
}

/// Read a body: natively first straight from the text, and on any error by the
/// `Value` readers, whose answer (and message) is the one given.
fn read_body(text: &str) -> core::result::Result<Body<'_>, serde_json::Error> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(body) = serde_json::from_str::<FastBody>(text) {
        return Ok(body.0);
    }
    serde_json::from_str::<Body>(text)
}

/// Version 3's key table, read as its base64 is decoded (`crate::keytable`).
#[cfg(not(target_arch = "wasm32"))]
fn read_table(b64: &str) -> Result<crate::keytable::Table> {
    crate::keytable::read_b64(b64.as_bytes()).map_err(invalid)
}

/// The body's `keyTable` member where this build writes it, last (for reading the table
/// while the state is read): the text between the last two quotes, after `"keyTable":`
/// (base64 has no quote to scan past). A guess only: the table read from it is used if
/// it is the very text the body's reader finds as the member, which also refuses the
/// body where it must.
#[cfg(not(target_arch = "wasm32"))]
fn find_key_table(body: &str) -> Option<&str> {
    let inner = body.strip_suffix("\"}")?;
    let open = inner.rfind('"')?;
    let (name, table) = (inner.get(..open)?, inner.get(open + 1..)?);
    name.ends_with("\"keyTable\":").then_some(table)
}

/// Close a snapshot's text with its integrity tag.
fn push_tag(out: &mut String, tag: &[u8]) {
    out.push_str(",\"tag\":\"");
    out.push_str(&b64_encode(tag));
    out.push_str("\"}");
}

/// A snapshot's first members, `format`, `version` and `nonce`, up to its body's name:
/// the body follows, then the tag.
fn head(nonce: &str, version: u32) -> String {
    let mut head = String::from("{\"format\":\"");
    head.push_str(FORMAT);
    head.push_str("\",\"version\":");
    head.push_str(&version.to_string());
    head.push_str(",\"nonce\":\"");
    head.push_str(nonce);
    head.push_str("\",\"body\":");
    head
}

/// The snapshot's text up to the end of its body, the envelope and the body serialized
/// as one object, so that the body (hundreds of MB for a large organization) is not
/// copied: serde_json writes the members in order and compact, so the text is `head`
/// ([`head`] of `nonce`), the body, and the object's closing brace (taken off: the tag
/// follows).
/// Native only: WebAssembly, whose module's size is budgeted, appends the serialized
/// body to the head.
#[cfg(not(target_arch = "wasm32"))]
fn head_and_body(head: &str, nonce: &str, version: u32, body: BodyRef<'_>) -> core::result::Result<String, String> {
    #[derive(Serialize)]
    struct Written<'a> {
        format: &'static str,
        version: u32,
        nonce: &'a str,
        body: BodyRef<'a>,
    }
    let mut out = serde_json::to_string(&Written { format: FORMAT, version, nonce, body })
        .map_err(|e| format!("cannot serialize the state: {e}"))?;
    if !out.starts_with(head) || out.pop() != Some('}') {
        return Err("the snapshot's envelope is not as written".into());
    }
    Ok(out)
}

/// [`Body`] as written: the state borrowed, never cloned (a large organization's state
/// is hundreds of MB).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BodyRef<'a> {
    state: &'a State,
    sealed_keys: IdMap<String, String>,
    hardware_keys: IdMap<String, String>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::SnapshotInvalid, Rule::Cr5, msg)
}

/// Check the integrity tag of a body of the given version.
fn check_tag(root: &AesKey, version: u32, nonce: &[u8; 12], tag: &[u8], body: &str) -> Result<()> {
    let ok = match version {
        1 => {
            let mut aad = alloc::vec::Vec::with_capacity(TAG_AAD_V1.len() + body.len());
            aad.extend_from_slice(TAG_AAD_V1);
            aad.extend_from_slice(body.as_bytes());
            root.open(nonce, &aad, tag).is_ok_and(|p| p.is_empty())
        }
        #[cfg(not(target_arch = "wasm32"))]
        3 => root.open(nonce, body.as_bytes(), tag).is_ok_and(|p| p == TAG_LABEL_V3),
        _ => root.open(nonce, body.as_bytes(), tag).is_ok_and(|p| p == TAG_LABEL_V2),
    };
    if ok {
        Ok(())
    } else {
        Err(invalid("the snapshot failed its integrity check: it was modified, or sealed under another root key"))
    }
}

impl Engine {
    /// Save the whole state as a sealed snapshot under `root` (32 bytes), in the
    /// version this build writes ([`VERSION`]: 3 natively, 2 in WebAssembly).
    ///
    /// # Errors
    /// `InvalidParameter` for a root key that is not 32 bytes; `BackendError` if sealing fails.
    pub fn save_sealed(&mut self, root: &[u8]) -> Result<String> {
        #[cfg(not(target_arch = "wasm32"))]
        return self.save_sealed_as(root, VERSION);
        #[cfg(target_arch = "wasm32")]
        self.save_v2(root)
    }

    /// Save a sealed snapshot of format `version`: 3, or 2 for a reader that takes
    /// JSON throughout (the WebAssembly module). Version 3 falls back to 2 for a state
    /// its key table cannot hold as it is (a key filed under an id not its own, which
    /// only a hand-made state document has) or an engine whose software backend is not
    /// this crate's.
    ///
    /// # Errors
    /// `InvalidParameter` for a root key that is not 32 bytes or a version other than 2
    /// and 3; `BackendError` if sealing fails.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn save_sealed_as(&mut self, root: &[u8], version: u32) -> Result<String> {
        match version {
            2 => self.save_v2(root),
            3 => match self.save_v3(root)? {
                Some(out) => Ok(out),
                None => self.save_v2(root),
            },
            _ => Err(Error::invalid(
                "version",
                Rule::Cr5,
                format!("cannot write snapshot version {version}: this build writes versions 2 and 3"),
            )),
        }
    }

    /// Version 2: the state and the sealed material as JSON.
    fn save_v2(&mut self, root: &[u8]) -> Result<String> {
        let root = AesKey::from_bytes(root).map_err(|e| e.at_field("rootKey"))?;
        let sealed_keys = match &self.software {
            Some(s) => s.seal_all(&root, self.rng.as_mut())?,
            None => IdMap::new(),
        };
        let hardware_keys = match &self.hardware {
            Some(h) => h.seal_all(&root, self.rng.as_mut())?,
            None => IdMap::new(),
        };
        let body = BodyRef { state: &self.state, sealed_keys, hardware_keys };
        let mut nonce_raw = [0u8; 12];
        self.rng.fill(&mut nonce_raw)?;
        let nonce = b64_encode(&nonce_raw);
        let head = head(&nonce, 2);
        let at = head.len();
        #[cfg(not(target_arch = "wasm32"))]
        let mut out =
            head_and_body(&head, &nonce, 2, body).map_err(|e| Error::new(ErrorCode::BackendError, Rule::Cr5, e))?;
        #[cfg(target_arch = "wasm32")]
        let mut out = {
            let body = serde_json::to_string(&body).map_err(|e| {
                Error::new(ErrorCode::BackendError, Rule::Cr5, format!("cannot serialize the state: {e}"))
            })?;
            let mut out = head;
            out.push_str(&body);
            out
        };
        let tag = root.seal(&nonce_raw, out.get(at..).unwrap_or_default().as_bytes(), TAG_LABEL_V2)?;
        push_tag(&mut out, &tag);
        Ok(out)
    }

    /// Version 3: the state without its keys as JSON, the keys in the key table
    /// (`crate::keytable`) with their versions' sealed material; `None` when the state
    /// or the backend is one the table cannot hold (see [`Engine::save_sealed_as`]).
    #[cfg(not(target_arch = "wasm32"))]
    fn save_v3(&mut self, root: &[u8]) -> Result<Option<String>> {
        let root = AesKey::from_bytes(root).map_err(|e| e.at_field("rootKey"))?;
        if self.state.keys.iter().any(|(id, k)| *id != k.id) {
            return Ok(None);
        }
        // The state is written without its keys (the table holds them): taken out for
        // the time it is written, and put back whatever the outcome.
        let keys = core::mem::take(&mut self.state.keys);
        let threads = crate::par::THREADS && keys.len() >= crate::state::PARALLEL_ENTRIES;
        let out = self.save_v3_without_keys(&root, &keys, threads);
        self.state.keys = keys;
        out
    }

    /// [`Engine::save_v3`] with the state's keys taken out into `keys`; with `threads`,
    /// the state's JSON and the key table's parts, sealing their material, are written
    /// on this thread and a second one (`crate::keytable::write`). The nonces of the
    /// material sealed anew are drawn first, here, in the backend's order
    /// (`SoftwareBackend::seal_plan`): the bytes do not depend on the threads.
    #[cfg(not(target_arch = "wasm32"))]
    fn save_v3_without_keys(
        &mut self,
        root: &AesKey,
        keys: &IdMap<crate::ids::KeyId, crate::model::Key>,
        threads: bool,
    ) -> Result<Option<String>> {
        use alloc::borrow::Cow;
        let software = match self.software.as_deref() {
            Some(s) => match s.as_software() {
                Some(s) => Some(s),
                None => return Ok(None),
            },
            None => None,
        };
        let rng = self.rng.as_mut();
        let plan = software.map(|s| s.seal_plan(root, rng)).transpose()?;
        let mut nonce_raw = [0u8; 12];
        rng.fill(&mut nonce_raw)?;
        let state = &self.state;
        let write_state = || serde_json::to_vec(state);
        let (table, state_json) = crate::keytable::write(keys, threads, write_state, |handle, hint| {
            software?.sealed(root, plan.as_ref()?, handle, hint)
        });
        let (table, found) = table?;
        // The backend's entries the table holds, by position: any other is written to
        // `sealedKeys` (an entry no key version names).
        let sealed_keys = match software.zip(plan.as_ref()) {
            Some((s, plan)) => {
                let mut written = alloc::vec![false; s.len()];
                for at in found {
                    if let Some(w) = written.get_mut(at) {
                        *w = true;
                    }
                }
                s.seal_unwritten(root, plan, &written)?
            }
            None => IdMap::new(),
        };
        let state_json = state_json
            .map_err(|e| Error::new(ErrorCode::BackendError, Rule::Cr5, format!("cannot serialize the state: {e}")))?;
        let hardware_keys = match &self.hardware {
            Some(h) => h.seal_all(root, rng)?,
            None => IdMap::new(),
        };
        let head = head(&b64_encode(&nonce_raw), 3);
        // The body's members in the order `BodyRef` writes them, then the table.
        let members = |map: &IdMap<String, String>| {
            serde_json::to_string(map).map_err(|e| Error::new(ErrorCode::BackendError, Rule::Cr5, e.to_string()))
        };
        let (sealed_keys, hardware_keys) = (members(&sealed_keys)?, members(&hardware_keys)?);
        let table: alloc::vec::Vec<&[u8]> = table.iter().map(|p| p.as_slice()).collect();
        // The state's JSON is given owned: it is dropped once copied, before the table's
        // base64 is written.
        let text = |t: &'static str| Cow::Borrowed(t.as_bytes());
        let before = alloc::vec![
            Cow::Borrowed(head.as_bytes()),
            text("{\"state\":"),
            Cow::Owned(state_json),
            text(",\"sealedKeys\":"),
            Cow::Borrowed(sealed_keys.as_bytes()),
            text(",\"hardwareKeys\":"),
            Cow::Borrowed(hardware_keys.as_bytes()),
            text(",\"keyTable\":\""),
        ];
        let mut out = crate::crypto::b64_join(before, &table, b"\"}", threads).ok_or_else(|| {
            Error::new(ErrorCode::BackendError, Rule::Cr5, "cannot serialize the state: its JSON is not UTF-8")
        })?;
        let tag = root.seal(&nonce_raw, out.get(head.len()..).unwrap_or_default().as_bytes(), TAG_LABEL_V3)?;
        push_tag(&mut out, &tag);
        Ok(Some(out))
    }

    /// Load a sealed snapshot into a new engine (software backend; attach a hardware
    /// backend before loading with [`Engine::load_sealed_into`] when there is one).
    ///
    /// # Errors
    /// `SnapshotInvalid` for a truncated, tampered or unknown-format snapshot, or one
    /// sealed under another root key; `InvalidParameter` for a bad root key.
    pub fn load_sealed(text: &str, root: &[u8], rng: Box<dyn RandomSource>) -> Result<Engine> {
        let mut e = Engine::new(rng);
        e.load_sealed_into(text, root)?;
        Ok(e)
    }

    /// Load a sealed snapshot into this engine, replacing its state and key material.
    /// On error nothing changes.
    ///
    /// # Errors
    /// As [`Engine::load_sealed`].
    pub fn load_sealed_into(&mut self, text: &str, root: &[u8]) -> Result<()> {
        self.load_with(text, root, parallel_from(), |_| {})
    }

    /// [`Engine::load_sealed_into`] on this thread only, calling `stage` with the name of
    /// each of its stages as it ends (for timing them: `bench/`): `envelopeParse`,
    /// `integrityTag`, `bodyParse`, `keyTable` (version 3), `unsealKeys`,
    /// `rebuildIndex`. A load of a large snapshot runs some of them at once (see
    /// [`PARALLEL_BYTES`]); here each runs on its own, so that each can be timed.
    ///
    /// # Errors
    /// As [`Engine::load_sealed`].
    #[doc(hidden)]
    pub fn load_staged(&mut self, text: &str, root: &[u8], stage: impl FnMut(&'static str)) -> Result<()> {
        self.load_with(text, root, None, stage)
    }

    /// Load a sealed snapshot into a new engine, as [`Engine::load_sealed`], taking the
    /// text: it is freed once read, before the key material is taken and the index
    /// built, so that the text and the whole loaded state are not held at once (a
    /// 100,000-account snapshot is 233 MiB of text).
    ///
    /// # Errors
    /// As [`Engine::load_sealed`].
    pub fn load_sealed_owned(text: String, root: &[u8], rng: Box<dyn RandomSource>) -> Result<Engine> {
        let mut e = Engine::new(rng);
        e.load_sealed_owned_into(text, root)?;
        Ok(e)
    }

    /// [`Engine::load_sealed_into`], taking the text (see [`Engine::load_sealed_owned`]).
    ///
    /// # Errors
    /// As [`Engine::load_sealed`].
    pub fn load_sealed_owned_into(&mut self, text: String, root: &[u8]) -> Result<()> {
        let root = AesKey::from_bytes(root).map_err(|e| e.at_field("rootKey"))?;
        let read = Self::read_sealed(&text, &root, parallel_from(), |_| {})?;
        drop(text);
        self.finish_load(read, root, |_| {})
    }

    /// The load. For a body of `parallel_from` bytes or more, the key table is read while
    /// the state is, and the software backend takes its sealed material while the
    /// state's index is built (`crate::par`); with `None`, each stage runs on its own.
    fn load_with(
        &mut self,
        text: &str,
        root: &[u8],
        parallel_from: Option<usize>,
        mut stage: impl FnMut(&'static str),
    ) -> Result<()> {
        let root = AesKey::from_bytes(root).map_err(|e| e.at_field("rootKey"))?;
        let read = Self::read_sealed(text, &root, parallel_from, &mut stage)?;
        self.finish_load(read, root, stage)
    }

    /// What of a load needs the snapshot's text: the envelope, the integrity tag, the
    /// body and the key table read (stages up to `keyTable`).
    fn read_sealed(
        text: &str,
        root: &AesKey,
        parallel_from: Option<usize>,
        mut stage: impl FnMut(&'static str),
    ) -> Result<ReadSnapshot> {
        let env = read_envelope(text)?;
        if env.format != FORMAT {
            return Err(invalid(format!("`{}` is not a kms-share snapshot", crate::ids::shorten(&env.format))));
        }
        if !(1..=VERSION).contains(&env.version) {
            return Err(invalid(format!("unsupported snapshot version {} ({UNSUPPORTED})", env.version)));
        }
        let nonce_v = b64_decode("nonce", &env.nonce).map_err(|_| invalid("the snapshot nonce is not base64"))?;
        let nonce: [u8; 12] =
            nonce_v.as_slice().try_into().map_err(|_| invalid("the snapshot nonce is not 12 bytes"))?;
        let tag = b64_decode("tag", &env.tag).map_err(|_| invalid("the snapshot tag is not base64"))?;
        let v1_text;
        let body_text = if env.version == 1 {
            v1_text = serde_json::from_str::<String>(env.body)
                .map_err(|_| invalid("the body of a version 1 snapshot is a JSON string"))?;
            v1_text.as_str()
        } else {
            env.body
        };
        stage("envelopeParse");
        let threads = parallel_from.is_some_and(|n| body_text.len() >= n);
        // A large version 3 body's tag is checked, then the body read and its RAM laid
        // out, while a second thread reads the key table: the table is used only if the
        // check passes, and a failed check is the error given.
        #[cfg(not(target_arch = "wasm32"))]
        let (mut early_table, (body, rules)) = if threads && env.version == 3 {
            let (early_table, read) = crate::par::join(
                || find_key_table(body_text).map(|b64| (b64, read_table(b64))),
                || {
                    check_tag(root, 3, &nonce, &tag, body_text).map(|()| {
                        let body = read_body(body_text);
                        let rules = body.as_ref().ok().map(|b| b.state.ram_layout());
                        (body, rules)
                    })
                },
            );
            stage("integrityTag");
            (early_table, read?)
        } else {
            check_tag(root, env.version, &nonce, &tag, body_text)?;
            stage("integrityTag");
            (None, (read_body(body_text), None))
        };
        #[cfg(target_arch = "wasm32")]
        let body = {
            check_tag(root, env.version, &nonce, &tag, body_text)?;
            stage("integrityTag");
            read_body(body_text)
        };
        let body = body.map_err(|e| invalid(format!("the snapshot body does not parse ({e})")))?;
        stage("bodyParse");
        let state = body.state;
        #[cfg(not(target_arch = "wasm32"))]
        let (state, sealed) = match (env.version, body.key_table) {
            (3, Some(b64)) => {
                if !state.keys.is_empty() {
                    return Err(invalid("a version 3 snapshot keeps its keys in its key table, not in its state"));
                }
                // The table read beside the body is used if it is this very text.
                let table = match early_table.take() {
                    Some((read, table)) if core::ptr::eq(read, b64) => table,
                    _ => read_table(b64),
                }?;
                let mut state = state;
                state.keys = table.keys;
                stage("keyTable");
                (state, SealedMaterial::Table(table.sealed, body.sealed_keys))
            }
            (3, None) => return Err(invalid("a version 3 snapshot has a key table (`keyTable`)")),
            (_, Some(_)) => return Err(invalid("only a version 3 snapshot has a key table (`keyTable`)")),
            (_, None) => (state, SealedMaterial::Base64(body.sealed_keys)),
        };
        #[cfg(target_arch = "wasm32")]
        let sealed = SealedMaterial::Base64(body.sealed_keys);
        Ok(ReadSnapshot {
            state,
            sealed,
            hardware_keys: body.hardware_keys,
            threads,
            #[cfg(not(target_arch = "wasm32"))]
            rules,
        })
    }

    /// The rest of a load, from what [`Engine::read_sealed`] read: the key material
    /// given to its backends and the index built (stages `unsealKeys`, `rebuildIndex`).
    fn finish_load(&mut self, read: ReadSnapshot, root: AesKey, mut stage: impl FnMut(&'static str)) -> Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        let ReadSnapshot { mut state, sealed, hardware_keys, threads, mut rules } = read;
        #[cfg(target_arch = "wasm32")]
        let ReadSnapshot { mut state, sealed, hardware_keys, threads } = read;
        let mut software = crate::keystore::SoftwareBackend::new();
        // Version 3's table is handed to the software backend beside the index.
        #[cfg(not(target_arch = "wasm32"))]
        let mut table_sealed = None;
        match sealed {
            SealedMaterial::Base64(entries) => crate::keystore::KeyBackend::unseal_all(&mut software, &root, entries)?,
            #[cfg(not(target_arch = "wasm32"))]
            SealedMaterial::Table(entries, rest) => table_sealed = Some((entries, rest)),
        }
        #[cfg(not(target_arch = "wasm32"))]
        if threads {
            // The backend keeps a root of its own: a key is not shared between threads.
            let backend_root = root.clone();
            let (_, unsealed) = crate::par::join(
                || match rules.take() {
                    Some(rules) => state.rebuild_index_laid_out(rules),
                    None => state.rebuild_index(),
                },
                || match table_sealed.take() {
                    Some((sealed, rest)) => software.unseal_with(&backend_root, sealed, rest),
                    None => Ok(()),
                },
            );
            unsealed?;
        }
        #[cfg(not(target_arch = "wasm32"))]
        if let Some((sealed, rest)) = table_sealed {
            software.unseal_with(&root, sealed, rest)?;
        }
        if let Some(h) = self.hardware.as_mut() {
            h.unseal_all(&root, hardware_keys)?;
        }
        stage("unsealKeys");
        if !threads {
            state.rebuild_index_with(false);
        }
        stage("rebuildIndex");
        self.state = state;
        self.software = Some(Box::new(software));
        Ok(())
    }

    /// Handles of key versions whose material is missing from their backend (for
    /// example a token object removed from the HSM): these keys cannot be used, the
    /// rest of the state is intact.
    pub fn unavailable_keys(&self) -> alloc::vec::Vec<(crate::ids::KeyId, u32)> {
        let mut out = alloc::vec::Vec::new();
        for k in self.state.keys.values() {
            for v in &k.versions {
                if !self.has_material(&k.instance, &v.handle) {
                    out.push((k.id.clone(), v.version));
                }
            }
        }
        out
    }
}

/// The policy-only export of a state, for in-page permission checks: everything the
/// decision reads, with no key material (sealed or not) and no secret values.
pub fn policy_export(state: &State) -> State {
    let mut s = state.clone();
    for k in s.keys.values_mut() {
        for v in &mut k.versions {
            v.handle = ShortText::default();
        }
    }
    for sec in s.secrets.values_mut() {
        for v in &mut sec.versions {
            v.ciphertext = String::new();
        }
    }
    s.audit = Default::default();
    s
}

impl Engine {
    /// `SealAndReload` (a scenario's test fixture, CR-5): save a sealed snapshot under
    /// `root` and load it back into this engine, proving the round trip; with `tamper`,
    /// flip one byte of the snapshot first and report the refusal (the state is left as
    /// it was). The snapshot is version 2 in every build, so that its size (`Bytes`)
    /// is the same in every runtime; version 3's round trip is tested natively.
    pub(crate) fn seal_and_reload(&mut self, root: &[u8], tamper: bool) -> Result<serde_json::Value> {
        let before = self.state.clone();
        let text = self.save_v2(root)?;
        let key_versions: usize = self.state.keys.values().map(|k| k.versions.len()).sum();
        let mut text = text;
        if tamper {
            // Flip a byte in the middle of the body: the integrity tag must catch it.
            let mid = text.len() / 2;
            let mut bytes = text.into_bytes();
            if let Some(b) = bytes.get_mut(mid) {
                *b = if *b == b'a' { b'b' } else { b'a' };
            }
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        self.load_sealed_into(&text, root)?;
        let identical = self.state.unaudited_document() == before.unaudited_document();
        Ok(serde_json::json!({
            "Bytes": text.len(),
            "KeyVersionsSealed": key_versions,
            "StateIdentical": identical,
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The seeded random source these tests use.
    fn rng() -> Box<crate::crypto::SeededRng> {
        Box::new(crate::crypto::SeededRng::new(9))
    }

    /// Scenario 01's organization, sealed under `root` and loaded back into an engine.
    fn loaded(root: &[u8; 32]) -> Engine {
        let text = include_str!("../../tests/scenarios/01-dept-a-shares-with-dept-b.json");
        let (mut org, _) = crate::api::Organization::from_scenario(text, rng()).unwrap();
        Engine::load_sealed(&org.save_sealed(root).unwrap(), root, rng()).unwrap()
    }

    /// `e` with material no key version names (none the engine makes, but a backend may
    /// hold one) in the instance of its first key: that instance and the handle.
    fn with_orphan(e: &mut Engine) -> (crate::ids::InstanceId, String) {
        let instance = e.state.keys.values().next().unwrap().instance.clone();
        let orphan = e.generate_material(&instance, "orphan/v1").unwrap();
        (instance, orphan)
    }

    /// `e` with `n` more keys like its first, each with its material, the `i`-th with a
    /// description `description(i)` bytes long.
    fn with_keys(e: &mut Engine, n: usize, description: impl Fn(usize) -> usize) {
        let template = e.state.keys.values().next().unwrap().clone();
        for i in 0..n {
            let mut k = template.clone();
            k.id = crate::ids::KeyId::parse(&format!("key-w{i:05}")).unwrap();
            k.versions[0].handle = e.generate_material(&k.instance, &format!("{}/v1", k.id.as_str())).unwrap().into();
            k.description = "d".repeat(description(i));
            e.state.keys.insert(k.id.clone(), k);
        }
        e.state.rebuild_index();
    }

    /// Material no key version names (none the engine makes, but a backend may hold
    /// one) is not lost by version 3: it stays in `sealedKeys`, and loads back beside
    /// the key table's (CR-5).
    #[test]
    fn material_no_key_version_names_stays_in_sealed_keys_cr5() {
        let root = [4u8; 32];
        let mut e = loaded(&root);
        let (instance, orphan) = with_orphan(&mut e);
        let snap = e.save_sealed(&root).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&snap).unwrap();
        let sealed: alloc::vec::Vec<&String> = doc["body"]["sealedKeys"].as_object().unwrap().keys().collect();
        assert_eq!(sealed, [&orphan]);
        let back = Engine::load_sealed(&snap, &root, rng()).unwrap();
        assert!(back.has_material(&instance, &orphan));
        assert_eq!(back.unavailable_keys(), e.unavailable_keys());
        assert!(back.state == e.state);
    }

    /// A version 3 snapshot with its body replaced by `body`, sealed again under `root`.
    fn resealed(root: &[u8; 32], body: &serde_json::Value) -> String {
        let body = serde_json::to_string(body).unwrap();
        let nonce = [5u8; 12];
        let tag = AesKey::from_bytes(root).unwrap().seal(&nonce, body.as_bytes(), TAG_LABEL_V3).unwrap();
        format!(
            r#"{{"format":"{FORMAT}","version":3,"nonce":"{}","body":{body},"tag":"{}"}}"#,
            b64_encode(&nonce),
            b64_encode(&tag)
        )
    }

    /// A loaded state's index is the one its data builds (`State::rebuild_index`), on one
    /// thread and on two. Keys in two instances, by several creators, some pending
    /// deletion and some due for rotation (CR-5, RS-7).
    #[test]
    fn a_loaded_index_is_the_one_its_data_builds_cr5() {
        use crate::ids::{AccountId, InstanceId};
        use crate::model::KeyState;
        let root = [4u8; 32];
        let mut e = loaded(&root);
        let first = e.state.instances.keys().next().unwrap().clone();
        let other = InstanceId::parse("kst-other").unwrap();
        let mut record = e.state.instances.get(&first).unwrap().clone();
        record.id = other.clone();
        e.state.instances.insert(other.clone(), record);
        let creators: alloc::vec::Vec<AccountId> = e.state.accounts.keys().cloned().collect();
        with_keys(&mut e, 30, |_| 3);
        // The instances share one software backend, so each key's material stays its own.
        for (i, k) in (0u64..).zip(e.state.keys.values_mut()) {
            k.instance = if i % 2 == 0 { first.clone() } else { other.clone() };
            k.creator = creators.iter().cycle().nth(i as usize).unwrap().clone();
            match i % 3 {
                0 => k.state = KeyState::PendingDeletion { delete_at: 1_000 + i },
                1 => (k.rotation_interval, k.next_rotation_at) = (Some(86_400), Some(5_000 + i)),
                _ => {}
            }
        }
        e.state.rebuild_index();
        let due = e.state.index.due.len();
        assert!(due >= 20, "{due} items due");
        assert!(e.state.index.owned.get(&other).is_some_and(|c| c.len() > 1));
        let snap = e.save_sealed(&root).unwrap();
        for parallel_from in [None, Some(0)] {
            let mut l = Engine::new(rng());
            l.load_with(&snap, &root, parallel_from, |_| {}).unwrap();
            let mut built = l.state.clone();
            built.rebuild_index();
            assert!(l.state.index == built.index, "{parallel_from:?}: {:?}\n{:?}", l.state.index, built.index);
            assert!(l.state.index == e.state.index && l.state.admission == e.state.admission);
            assert_eq!(l.state.index.due.len(), due);
        }
    }

    /// A load with the key table read beside the state and the backend's material taken
    /// beside the index (two threads, whatever the size) gives what a load of each stage
    /// in turn gives: the same state, index and material, or the same refusal (CR-5).
    #[test]
    fn a_load_on_two_threads_is_the_load_on_one_cr5() {
        let root = [4u8; 32];
        let mut e = loaded(&root);
        // Material no key version names travels in `sealedKeys`, beside the table.
        let (instance, orphan) = with_orphan(&mut e);
        let snap = e.save_sealed(&root).unwrap();
        let load = |text: &str, parallel_from| {
            let mut e = Engine::new(rng());
            e.load_with(text, &root, parallel_from, |_| {}).map(|()| e)
        };
        let (one, two) = (load(&snap, None).unwrap(), load(&snap, Some(0)).unwrap());
        assert!(one.state == e.state && two.state == e.state && two.state.index == one.state.index);
        // The RAM layout, made on the body's thread, is the one made with the index (its
        // equality is `ram`'s, so it is compared as laid out).
        let layout = |e: &Engine| alloc::format!("{:?}", e.state.index.rules);
        assert_eq!(layout(&two), layout(&one));
        assert!(layout(&two).contains("Rules"), "{}", layout(&two));
        assert!(two.has_material(&instance, &orphan) && !two.state.keys.is_empty());
        for k in two.state.keys.values() {
            assert!(k.versions.iter().all(|v| two.has_material(&k.instance, &v.handle)), "{}", k.id.as_str());
        }
        assert_eq!(two.unavailable_keys(), one.unavailable_keys());
        // Refusals: a table that is not base64, one that does not read, keys in the state
        // as well as in the table, a body that does not parse.
        let doc: serde_json::Value = serde_json::from_str(&snap).unwrap();
        let with = |member: &str, value: serde_json::Value| {
            let mut body = doc["body"].clone();
            body[member] = value;
            resealed(&root, &body)
        };
        let one_key = serde_json::json!({"key-x": {"id": "key-x"}});
        let mut keys_in_state = doc["body"]["state"].clone();
        keys_in_state["keys"] = one_key;
        // The table is where the second thread looks for it, as saved and as resealed.
        let body_of = |text: &str| String::from(serde_json::from_str::<Envelope>(text).unwrap().body.get());
        let table = doc["body"]["keyTable"].as_str().unwrap();
        assert_eq!(find_key_table(&body_of(&snap)), Some(table));
        assert_eq!(find_key_table(&body_of(&with("keyTable", "x".into()))), Some("x"));
        let refusals = [
            with("keyTable", "not base64!".into()),
            with("keyTable", b64_encode(&[9u8, 0, 0]).into()),
            with("state", keys_in_state),
            with("sealedKeys", serde_json::json!([1])),
        ];
        for text in &refusals {
            let (one, two) = (load(text, None).err().unwrap(), load(text, Some(0)).err().unwrap());
            assert_eq!((two.code, two.message.as_str()), (one.code, one.message.as_str()));
        }
        assert_eq!(load(&refusals[0], Some(0)).err().unwrap().message, "the snapshot's key table is not base64");
        // On two threads the tag is checked (then the body read) while the key table is
        // read: a body changed under its tag is refused by the check, even where the body
        // no longer reads, and so is a key table changed under it.
        let table_at = snap.find(table).unwrap();
        let flipped = |at: usize| {
            let mut bytes = snap.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            String::from_utf8(bytes).unwrap()
        };
        let unsealed = [
            snap.replacen("\"state\":{", "\"state\":{\"x\"", 1),
            snap.replacen("\"accounts\":{", "\"accounts\":{\"x\":{},", 1),
            flipped(table_at + table.len() / 2),
        ];
        for text in &unsealed {
            assert_ne!(text, &snap);
            let (one, two) = (load(text, None).err().unwrap(), load(text, Some(0)).err().unwrap());
            assert_eq!((two.code, two.message.as_str()), (one.code, one.message.as_str()));
            assert!(two.message.contains("integrity check"), "{}", two.message);
        }
        let other_root = [5u8; 32];
        let refused = Engine::new(rng()).load_with(&snap, &other_root, Some(0), |_| {}).err().unwrap();
        assert!(refused.message.contains("integrity check"), "{}", refused.message);
    }

    /// The envelope as the engine writes it is read without a parse of the whole
    /// document, into what that parse reads; any other layout of the same members is
    /// read by the parse and loads the same state; a text that is not one document is
    /// refused as before (CR-5).
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn an_envelope_as_written_is_read_as_the_whole_document_is_cr5() {
        let root = [4u8; 32];
        let mut e = loaded(&root);
        for version in [3, 2] {
            let snap = e.save_sealed_as(&root, version).unwrap();
            let written = written_envelope(&snap).unwrap();
            let parsed: Envelope = serde_json::from_str(&snap).unwrap();
            assert_eq!(
                (written.format, written.version, written.body, written.nonce, written.tag),
                (parsed.format, parsed.version, parsed.body.get(), parsed.nonce, parsed.tag)
            );
            let load = |text: &str| Engine::load_sealed(text, &root, rng());
            let (head, rest) = snap.split_once(",\"body\":").unwrap();
            let (body, tail) = rest.rsplit_once(",\"tag\":").unwrap();
            let tag = tail.strip_suffix('}').unwrap();
            let layouts = [
                alloc::format!("{head},\"body\": {body} ,\"tag\":{tail}"),
                alloc::format!("{head},\"tag\":{tag},\"body\":{body}}}"),
                alloc::format!("{{\"tag\":{tag},{},\"body\":{body}}}", &head[1..]),
            ];
            for text in &layouts {
                assert!(written_envelope(text).is_none(), "{}", &text[..60]);
                assert!(load(text).unwrap().state == e.state, "{}", &text[..60]);
            }
            // A trailing newline is still the document as written.
            assert!(written_envelope(&alloc::format!("{snap}\n")).is_some());
            for (text, says) in [
                (alloc::format!("{snap}x"), "the snapshot is not a complete snapshot document (trailing characters"),
                (snap[..snap.len() - 1].to_string(), "the snapshot is not a complete snapshot document (EOF"),
                (
                    snap.replacen(",\"nonce\"", ",\"extra\":1,\"nonce\"", 1),
                    "the snapshot is not a complete snapshot document (unknown field `extra`",
                ),
            ] {
                assert!(written_envelope(&text).is_none());
                let e = load(&text).err().unwrap();
                assert!(e.message.starts_with(says), "{}", e.message);
            }
        }
    }

    /// A load that takes the text (and frees it once read) gives what a load that
    /// borrows it gives, for a version 3 and a version 2 snapshot, on one thread and on
    /// two; and the same refusal for another root key and a tampered body (CR-5).
    #[test]
    fn a_load_that_takes_the_text_is_the_load_that_borrows_it_cr5() {
        let root = [4u8; 32];
        let mut e = loaded(&root);
        let (instance, orphan) = with_orphan(&mut e);
        for version in [2, 3] {
            let snap = e.save_sealed_as(&root, version).unwrap();
            let borrowed = Engine::load_sealed(&snap, &root, rng()).unwrap();
            for parallel_from in [None, Some(0)] {
                let mut owned = Engine::new(rng());
                let root_key = AesKey::from_bytes(&root).unwrap();
                let read = Engine::read_sealed(&snap, &root_key, parallel_from, |_| {}).unwrap();
                owned.finish_load(read, root_key, |_| {}).unwrap();
                assert!(owned.state == e.state && owned.state.index == borrowed.state.index, "version {version}");
                assert!(owned.has_material(&instance, &orphan));
                for k in owned.state.keys.values() {
                    assert!(k.versions.iter().all(|v| owned.has_material(&k.instance, &v.handle)));
                }
            }
            let owned = Engine::load_sealed_owned(snap.clone(), &root, rng()).unwrap();
            assert!(owned.state == e.state && owned.state.index == borrowed.state.index, "version {version}");
            let tampered = snap.replacen("\"state\"", "\"state\" ", 1);
            for (text, key) in [(snap.clone(), [5u8; 32]), (tampered, root)] {
                let (a, b) = (
                    Engine::load_sealed(&text, &key, rng()).err().unwrap(),
                    Engine::load_sealed_owned(text, &key, rng()).err().unwrap(),
                );
                assert_eq!((a.code, a.message.as_str()), (b.code, b.message.as_str()));
                assert_eq!(b.code, ErrorCode::SnapshotInvalid);
            }
        }
    }

    /// A key table of many windows (its base64 is decoded a window at a time while its
    /// records are read) reads back every key and its material, records and texts
    /// that cross windows and a text longer than a window included; one cut short by a
    /// group, or with a bad symbol past the first window, is refused (CR-5).
    #[test]
    fn a_key_table_of_many_windows_reads_back_whole_cr5() {
        let root = [4u8; 32];
        let mut e = loaded(&root);
        // A description longer than a window, then a few of many sizes.
        with_keys(&mut e, 3000, |i| if i == 1500 { 3 * super::super::keytable::WINDOW_FOR_TESTS } else { i % 97 });
        let snap = e.save_sealed(&root).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&snap).unwrap();
        let table = doc["body"]["keyTable"].as_str().unwrap();
        assert!(table.len() / 4 * 3 > 8 * super::super::keytable::WINDOW_FOR_TESTS, "{} bytes", table.len());
        for parallel_from in [None, Some(0)] {
            let mut two = Engine::new(rng());
            two.load_with(&snap, &root, parallel_from, |_| {}).unwrap();
            assert!(two.state == e.state);
            for k in two.state.keys.values() {
                assert!(k.versions.iter().all(|v| two.has_material(&k.instance, &v.handle)), "{}", k.id.as_str());
            }
        }
        let with_table = |t: String| {
            let mut body = doc["body"].clone();
            body["keyTable"] = t.into();
            resealed(&root, &body)
        };
        let load = |text: &str| Engine::load_sealed(text, &root, rng()).err().unwrap().message;
        let short = with_table(String::from(&table[..table.len() - 4]));
        assert!(load(&short).starts_with("the key table is malformed"), "{}", load(&short));
        let mut bad = String::from(table);
        bad.replace_range(table.len() / 2..table.len() / 2 + 1, "*");
        assert_eq!(load(&with_table(bad)), "the snapshot's key table is not base64");
    }

    /// A save that writes the state's JSON and the key table's parts (of two keys in
    /// tests) on two threads writes the very bytes of a save on one thread, under the
    /// root the material was loaded with (written back as it was) and under another
    /// (sealed anew, with the nonces drawn before the threads start), and they load
    /// back (CR-5).
    #[test]
    fn a_save_on_two_threads_writes_the_bytes_of_one_cr5() {
        let root = [4u8; 32];
        for under in [root, [6u8; 32]] {
            let save = |threads| {
                let mut e = loaded(&root);
                with_orphan(&mut e);
                // Parts of two keys (in tests) and records of many lengths: groups of
                // three bytes across parts.
                with_keys(&mut e, 9, |i| i);
                let keys = core::mem::take(&mut e.state.keys);
                let out = e.save_v3_without_keys(&AesKey::from_bytes(&under).unwrap(), &keys, threads);
                e.state.keys = keys;
                (out.unwrap().unwrap(), e)
            };
            let ((one, e), (two, _)) = (save(false), save(true));
            assert!(e.state.keys.len() > 2, "{} keys: one part", e.state.keys.len());
            assert_eq!(one, two);
            let back = Engine::load_sealed(&two, &under, rng()).unwrap();
            assert!(back.state == e.state && !back.state.keys.is_empty());
        }
    }

    /// The message a load gives for a body (and the `Value` readers give alike).
    fn error(text: &str) -> String {
        let by_value = serde_json::from_str::<Body>(text).err().map(|e| e.to_string()).unwrap_or_default();
        let read = read_body(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(read, by_value, "{text}");
        read
    }

    /// The body reads from an object only, each field once, `state` and `sealedKeys`
    /// required (CR-5): the messages serde's derived reader gave.
    #[test]
    fn a_body_is_an_object_of_its_three_fields() {
        let body = read_body(r#"{"state": {"seq": 4}, "sealedKeys": {"h": "x"}}"#).unwrap();
        assert_eq!((body.state.seq, body.sealed_keys.len(), body.hardware_keys.len()), (4, 1, 0));
        // A repeated handle: the last value, as the `Value` readers read it.
        let body = read_body(r#"{"state": {}, "sealedKeys": {"h": "x", "h": "y"}}"#).unwrap();
        assert_eq!(body.sealed_keys.get("h").map(String::as_str), Some("y"));
        assert_eq!(error(r#"{"sealedKeys": {}}"#), "missing field `state` at line 1 column 18");
        assert_eq!(error(r#"{"state": {}}"#), "missing field `sealedKeys` at line 1 column 13");
        assert_eq!(
            error(r#"{"state": {}, "sealed": {}}"#),
            "unknown field `sealed`, expected one of `state`, `sealedKeys`, `hardwareKeys`, `keyTable` at line 1 column 22"
        );
        assert_eq!(error(r#"{"state": {}, "state": {}}"#), "duplicate field `state` at line 1 column 21");
        assert_eq!(error(r#"[{}, {}]"#), "invalid type: sequence, expected struct Body at line 1 column 0");
        assert_eq!(
            error(r#"{"state": {"keys": []}, "sealedKeys": {}}"#),
            "invalid type: sequence, expected a map at line 1 column 19"
        );
    }
}
