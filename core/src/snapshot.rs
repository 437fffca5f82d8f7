//! Sealed snapshots (CR-5): the whole state, with every key's material sealed under
//! a root key the host supplies, and an integrity tag over the whole document.
//!
//! Layout of version 2, the one written (JSON): `{"format": "kms-share-snapshot",
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
//! Version 1 still loads: there the body is the same JSON as an escaped string, and
//! the tag seals an empty plaintext with `kms-share/snapshot/v1:` + body as
//! authenticated data. Version 2 parses without un-escaping and authenticates without
//! copying hundreds of MB.

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
use crate::rules::Rule;
use crate::state::{State, StateSeed};

/// The snapshot format name.
pub const FORMAT: &str = "kms-share-snapshot";
/// The snapshot format version this build writes (it also reads version 1).
pub const VERSION: u32 = 2;
/// Version 1's authenticated-data prefix.
const TAG_AAD_V1: &[u8] = b"kms-share/snapshot/v1:";
/// Version 2's sealed label.
const TAG_LABEL_V2: &[u8] = b"kms-share/snapshot/v2";

/// The envelope as read: the body is kept as the exact text it has in the document
/// (for version 1 a JSON string, for version 2 the object itself).
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

/// The body as read, by the reader below.
#[derive(Default)]
struct Body {
    state: State,
    sealed_keys: IdMap<String, String>,
    hardware_keys: IdMap<String, String>,
}

/// The body's fields (`hardwareKeys` may be absent).
const BODY_FIELDS: &[&str] = &["state", "sealedKeys", "hardwareKeys"];

/// Read from an object only, as [`crate::objects`] makes derived readers do. The
/// state's reader reads objects only by itself, so the body is read by serde_json
/// directly and the state's reader is compiled once, for serde_json's deserializer.
struct BodyFields<M>(core::marker::PhantomData<M>);

impl<'de, M: Mode> serde::de::Visitor<'de> for BodyFields<M> {
    type Value = Body;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("struct Body")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> core::result::Result<Body, A::Error> {
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

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_map(BodyFields::<crate::json::ViaValue>(core::marker::PhantomData))
    }
}

/// A body read natively straight from its text (`crate::fastjson`).
#[cfg(not(target_arch = "wasm32"))]
struct FastBody(Body);

#[cfg(not(target_arch = "wasm32"))]
impl<'de> Deserialize<'de> for FastBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_map(BodyFields::<crate::fastjson::Direct>(core::marker::PhantomData)).map(FastBody)
    }
}

/// Read a body: natively first straight from the text, and on any error by the
/// `Value` readers, whose answer (and message) is the one given.
fn read_body(text: &str) -> core::result::Result<Body, serde_json::Error> {
    let slow = |t: &str| serde_json::from_str::<Body>(t);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::fastjson::read(text, |t| serde_json::from_str::<FastBody>(t).map(|b| b.0), slow);
    #[cfg(target_arch = "wasm32")]
    slow(text)
}

/// A body's parts as a load reads them: the state, `sealedKeys` and `hardwareKeys`.
#[doc(hidden)]
pub type BodyParts = (State, IdMap<String, String>, IdMap<String, String>);

/// Read a body as a load does: for timing a load's stages one by one (`bench/`).
///
/// # Errors
/// serde_json's, as a load gives it.
#[doc(hidden)]
pub fn read_body_parts(text: &str) -> core::result::Result<BodyParts, serde_json::Error> {
    read_body(text).map(|b| (b.state, b.sealed_keys, b.hardware_keys))
}

/// A snapshot's first members, `format`, `version` and `nonce`, up to its body's name:
/// the body follows, then the tag.
fn head(nonce: &str) -> String {
    let mut head = String::from("{\"format\":\"");
    head.push_str(FORMAT);
    head.push_str("\",\"version\":");
    head.push_str(&VERSION.to_string());
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
fn head_and_body(head: &str, nonce: &str, body: BodyRef<'_>) -> core::result::Result<String, String> {
    #[derive(Serialize)]
    struct Written<'a> {
        format: &'static str,
        version: u32,
        nonce: &'a str,
        body: BodyRef<'a>,
    }
    let mut out = serde_json::to_string(&Written { format: FORMAT, version: VERSION, nonce, body })
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
        _ => root.open(nonce, body.as_bytes(), tag).is_ok_and(|p| p == TAG_LABEL_V2),
    };
    if ok {
        Ok(())
    } else {
        Err(invalid("the snapshot failed its integrity check: it was modified, or sealed under another root key"))
    }
}

impl Engine {
    /// Save the whole state as a sealed snapshot under `root` (32 bytes).
    ///
    /// # Errors
    /// `InvalidParameter` for a root key that is not 32 bytes; `BackendError` if sealing fails.
    pub fn save_sealed(&mut self, root: &[u8]) -> Result<String> {
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
        let head = head(&nonce);
        let at = head.len();
        #[cfg(not(target_arch = "wasm32"))]
        let mut out =
            head_and_body(&head, &nonce, body).map_err(|e| Error::new(ErrorCode::BackendError, Rule::Cr5, e))?;
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
        out.push_str(",\"tag\":\"");
        out.push_str(&b64_encode(&tag));
        out.push_str("\"}");
        Ok(out)
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
        let root = AesKey::from_bytes(root).map_err(|e| e.at_field("rootKey"))?;
        let env: Envelope = serde_json::from_str(text)
            .map_err(|e| invalid(format!("the snapshot is not a complete snapshot document ({e})")))?;
        if env.format != FORMAT {
            return Err(invalid(format!("`{}` is not a kms-share snapshot", crate::ids::shorten(&env.format))));
        }
        if env.version != 1 && env.version != VERSION {
            return Err(invalid(format!(
                "unsupported snapshot version {} (this build reads versions 1 and {VERSION})",
                env.version
            )));
        }
        let nonce_v = b64_decode("nonce", &env.nonce).map_err(|_| invalid("the snapshot nonce is not base64"))?;
        let nonce: [u8; 12] =
            nonce_v.as_slice().try_into().map_err(|_| invalid("the snapshot nonce is not 12 bytes"))?;
        let tag = b64_decode("tag", &env.tag).map_err(|_| invalid("the snapshot tag is not base64"))?;
        let v1_text;
        let body_text = if env.version == 1 {
            v1_text = serde_json::from_str::<String>(env.body.get())
                .map_err(|_| invalid("the body of a version 1 snapshot is a JSON string"))?;
            v1_text.as_str()
        } else {
            env.body.get()
        };
        check_tag(&root, env.version, &nonce, &tag, body_text)?;
        let body = read_body(body_text).map_err(|e| invalid(format!("the snapshot body does not parse ({e})")))?;
        let mut software = crate::keystore::SoftwareBackend::new();
        crate::keystore::KeyBackend::unseal_all(&mut software, &root, body.sealed_keys)?;
        if let Some(h) = self.hardware.as_mut() {
            h.unseal_all(&root, body.hardware_keys)?;
        }
        let mut state = body.state;
        state.rebuild_index();
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
            v.handle = String::new();
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
    /// it was).
    pub(crate) fn seal_and_reload(&mut self, root: &[u8], tamper: bool) -> Result<serde_json::Value> {
        let before = self.state.clone();
        let text = self.save_sealed(root)?;
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
            "unknown field `sealed`, expected one of `state`, `sealedKeys`, `hardwareKeys` at line 1 column 22"
        );
        assert_eq!(error(r#"{"state": {}, "state": {}}"#), "duplicate field `state` at line 1 column 21");
        assert_eq!(error(r#"[{}, {}]"#), "invalid type: sequence, expected struct Body at line 1 column 0");
        assert_eq!(
            error(r#"{"state": {"keys": []}, "sealedKeys": {}}"#),
            "invalid type: sequence, expected a map at line 1 column 19"
        );
    }
}
