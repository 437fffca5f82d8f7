//! Cryptographic calls (CR-2): Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
//! Decrypt and ReEncrypt, and the sealing and opening of ciphertext blobs they share
//! with secrets. The encryption context is bound as authenticated data.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::gate::{Ask, Pending, Reply};
use super::keys::{context, key_version_id};
use crate::action::Action;
use crate::crypto::{b64_decode, b64_encode, blob};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::IdMap;
use crate::ids::*;
use crate::json::response;
use crate::model::*;
use crate::params::Params;
use crate::request::request;
use crate::rules::Rule;

/// Most bytes of keys and values in one encryption context (the vendor's limit on its
/// JSON text is 8,192 characters): it is bound into every ciphertext as authenticated data.
pub const MAX_ENCRYPTION_CONTEXT_BYTES: usize = 8192;

/// An encryption context (CR-2) within [`MAX_ENCRYPTION_CONTEXT_BYTES`].
fn encryption_context(ctx: Option<IdMap<String, String>>, name: &'static str) -> Result<IdMap<String, String>> {
    let ctx = ctx.unwrap_or_default();
    let bytes = ctx.iter().fold(0usize, |n, (k, v)| n.saturating_add(k.len()).saturating_add(v.len()));
    if bytes > MAX_ENCRYPTION_CONTEXT_BYTES {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            Rule::Cr2,
            format!("{name} holds {bytes} bytes of keys and values; at most {MAX_ENCRYPTION_CONTEXT_BYTES}"),
        )
        .at_field(name));
    }
    Ok(ctx)
}

request! {
    /// Encrypt: up to 6 KiB of plaintext under the key's newest version (CR-1, CR-2).
    pub struct EncryptRequest {
        required {
            /// The key: its id, an alias or an ARN.
            "KeyId" key_id: String,
            /// The text to encrypt (not templated, whatever it holds).
            "Plaintext" plaintext: String,
        }
        optional {
            /// Bound as authenticated data: a JSON object of strings, or its JSON text.
            "EncryptionContext" encryption_context: IdMap<String, String>,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// GenerateDataKey and GenerateDataKeyWithoutPlaintext: a random data key, sealed
    /// under the key (CR-2).
    pub struct GenerateDataKeyRequest {
        required {
            /// The key: its id, an alias or an ARN.
            "KeyId" key_id: String,
        }
        optional {
            /// `AES_256` (32 bytes, the default) or `AES_128`.
            "KeySpec" key_spec: String,
            /// 1 to 1024 bytes, instead of `KeySpec`.
            "NumberOfBytes" number_of_bytes: u64,
            /// Bound as authenticated data.
            "EncryptionContext" encryption_context: IdMap<String, String>,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// Decrypt: the blob names its key and version (CR-2).
    pub struct DecryptRequest {
        required {
            /// The ciphertext blob, base64.
            "CiphertextBlob" ciphertext_blob: String,
        }
        optional {
            /// The context the blob was sealed with.
            "EncryptionContext" encryption_context: IdMap<String, String>,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// ReEncrypt: open under the source key, seal under the destination key (CR-2).
    pub struct ReEncryptRequest {
        required {
            /// The ciphertext blob, base64.
            "CiphertextBlob" ciphertext_blob: String,
            /// The destination key: its id, an alias or an ARN.
            "DestinationKeyId" destination_key_id: String,
        }
        optional {
            /// The context the blob was sealed with.
            "SourceEncryptionContext" source_encryption_context: IdMap<String, String>,
            /// The context to seal with.
            "DestinationEncryptionContext" destination_encryption_context: IdMap<String, String>,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

response! {
    /// Encrypt's, ReEncrypt's, GenerateDataKey's and GenerateDataKeyWithoutPlaintext's
    /// response (the data key's plaintext only from GenerateDataKey).
    pub struct CiphertextResponse {
        /// The blob, base64.
        "CiphertextBlob" ciphertext_blob: String,
        /// The key sealed under.
        "KeyId" key_id: KeyId,
        /// The version sealed under.
        "KeyVersionId" key_version_id: String,
        /// GenerateDataKey: the data key, base64 (README Semantics 16).
        "Plaintext" plaintext: Option<String>,
    }
}

response! {
    /// Decrypt's response.
    pub struct DecryptResponse {
        /// The key the blob was sealed under.
        "KeyId" key_id: KeyId,
        /// Its version.
        "KeyVersionId" key_version_id: String,
        /// The plaintext.
        "Plaintext" plaintext: String,
    }
}

/// Encrypt, GenerateDataKey and GenerateDataKeyWithoutPlaintext: seal under the key's
/// newest version (CR-1). A data key travels as base64 text, so that Decrypt returns
/// exactly the `Plaintext` GenerateDataKey gave (README Semantics 16).
pub(super) fn encrypt(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = p.action();
    let (key_ref, plaintext, ctx, region, request_context) = if action == Action::Encrypt {
        let r = EncryptRequest::read(params)?;
        let s = r.plaintext;
        if s.is_empty() {
            return Err(Error::invalid("Plaintext", Rule::Cr2, "Plaintext must not be empty"));
        }
        if s.len() > blob::MAX_PLAINTEXT {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                Rule::Cr2,
                format!(
                    "Plaintext is {} bytes; Encrypt takes at most {} (6 KiB); use GenerateDataKey for more",
                    s.len(),
                    blob::MAX_PLAINTEXT
                ),
            )
            .at_field("Plaintext"));
        }
        let ctx = encryption_context(r.encryption_context, "EncryptionContext")?;
        (r.key_id, DataKey::Given(Zeroizing::new(s)), ctx, r.region_id, r.request_context)
    } else {
        let r = GenerateDataKeyRequest::read(params)?;
        let n = match (r.number_of_bytes, r.key_spec.as_deref()) {
            (Some(n), _) => n,
            (None, None) | (None, Some("AES_256")) => 32,
            (None, Some("AES_128")) => 16,
            (None, Some(o)) => {
                return Err(Error::invalid(
                    "KeySpec",
                    Rule::Cr2,
                    format!("KeySpec must be `AES_256` or `AES_128`, not `{}`", shorten(o)),
                ))
            }
        };
        if !(1..=1024).contains(&n) {
            return Err(Error::invalid(
                "NumberOfBytes",
                Rule::Cr2,
                format!("NumberOfBytes must be 1 to 1024, not {n}"),
            ));
        }
        let ctx = encryption_context(r.encryption_context, "EncryptionContext")?;
        (r.key_id, DataKey::Draw(n as usize), ctx, r.region_id, r.request_context)
    };
    let id = p.resolve_key("KeyId", &key_ref, &p.call().caller.account)?;
    let (target, audit) = p.key_target(&id)?;
    p.about(audit.clone());
    let mut ok = p.decide(Ask::new(action, target, audit).within(region, context(request_context)))?;
    let plaintext: Zeroizing<Vec<u8>> = match plaintext {
        DataKey::Given(s) => Zeroizing::new(s.as_bytes().to_vec()),
        DataKey::Draw(n) => {
            let mut dk = Zeroizing::new(alloc::vec![0u8; n]);
            ok.rng.fill(&mut dk)?;
            Zeroizing::new(b64_encode(&dk).into_bytes())
        }
    };
    let (blob_b64, version) = ok.seal_with(&id, &plaintext, &ctx)?;
    let shown = (action == Action::GenerateDataKey).then(|| String::from_utf8_lossy(&plaintext).into_owned());
    let resp = CiphertextResponse {
        ciphertext_blob: blob_b64,
        key_version_id: key_version_id(&id, version),
        key_id: id,
        plaintext: shown,
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

/// What Encrypt seals: the caller's plaintext, or a data key of `n` random bytes drawn
/// once the call is allowed.
enum DataKey {
    Given(Zeroizing<String>),
    Draw(usize),
}

/// Decrypt: the blob names its key and version; the context must be the one sealed (CR-2).
pub(super) fn decrypt(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = DecryptRequest::read(params)?;
    let ctx = encryption_context(r.encryption_context, "EncryptionContext")?;
    let b = r.ciphertext_blob;
    let id = p.blob_key("CiphertextBlob", &b)?;
    let (target, audit) = p.key_target(&id)?;
    p.about(audit.clone());
    let ok = p.decide(Ask::new(Action::Decrypt, target, audit).within(r.region_id, context(r.request_context)))?;
    let (pt, version) = ok.open_blob("CiphertextBlob", &b, &ctx, &id)?;
    let pt = Zeroizing::new(pt);
    let text = core::str::from_utf8(&pt).map_err(|_| Error::decrypt_failed())?;
    let resp =
        DecryptResponse { key_version_id: key_version_id(&id, version), key_id: id, plaintext: text.to_string() };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

/// ReEncrypt: open under the source key, seal under the destination key; both are
/// decided, the source first.
pub(super) fn re_encrypt(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = ReEncryptRequest::read(params)?;
    let src_ctx = encryption_context(r.source_encryption_context, "SourceEncryptionContext")?;
    let dst_ctx = encryption_context(r.destination_encryption_context, "DestinationEncryptionContext")?;
    let b = r.ciphertext_blob;
    let src = p.blob_key("CiphertextBlob", &b)?;
    let dst = p.resolve_key("DestinationKeyId", &r.destination_key_id, &p.call().caller.account)?;
    let (src_target, src_audit) = p.key_target(&src)?;
    let (dst_target, dst_audit) = p.key_target(&dst)?;
    let ctx = context(r.request_context);
    let asks = alloc::vec![
        Ask::new(Action::ReEncrypt, src_target, src_audit).within(r.region_id.clone(), ctx.clone()),
        Ask::new(Action::ReEncrypt, dst_target, dst_audit).within(r.region_id, ctx),
    ];
    let mut ok = p.decide_all(asks, 1)?;
    let (pt, _) = ok.open_blob("CiphertextBlob", &b, &src_ctx, &src)?;
    let pt = Zeroizing::new(pt);
    let (blob_b64, version) = ok.seal_with(&dst, &pt, &dst_ctx)?;
    let resp = CiphertextResponse {
        ciphertext_blob: blob_b64,
        key_version_id: key_version_id(&dst, version),
        key_id: dst,
        plaintext: None,
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

impl Engine {
    /// Encrypt `plaintext` under the key's current version; returns the base64 blob and version.
    pub(crate) fn seal_with(
        &mut self,
        id: &KeyId,
        plaintext: &[u8],
        ctx: &IdMap<String, String>,
    ) -> Result<(String, u32)> {
        let key = self.state.keys.get(id).ok_or_else(|| Error::not_found("key", id.as_str()))?;
        match key.state {
            KeyState::Enabled => {}
            KeyState::Disabled => {
                return Err(Error::new(
                    ErrorCode::InvalidState,
                    Rule::Cr3,
                    format!("key {id} is disabled and cannot encrypt"),
                )
                .with_vendor("Rejected.Disabled"))
            }
            KeyState::PendingDeletion { .. } => {
                return Err(Error::new(
                    ErrorCode::InvalidState,
                    Rule::Cr3,
                    format!("key {id} is pending deletion and cannot encrypt"),
                )
                .with_vendor("Rejetced.PendingDeletion"))
            }
        }
        let v = key
            .versions
            .last()
            .ok_or_else(|| Error::new(ErrorCode::InvalidState, Rule::Cr1, format!("key {id} has no version")))?;
        if v.encryptions >= blob::MAX_ENCRYPTIONS_PER_VERSION {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                Rule::Cr1,
                format!(
                    "key version {} of {id} reached its limit of 2^32 encryptions; rotate the key ({})",
                    v.version,
                    Action::CreateKeyVersion.ram()
                ),
            ));
        }
        if v.handle.is_empty() {
            return Err(no_material(id));
        }
        let (version, handle, inst) = (v.version, v.handle.clone(), key.instance.clone());
        let mut nonce = [0u8; 12];
        self.rng.fill(&mut nonce)?;
        let aad = blob::aad(id.as_str(), version, ctx);
        let ct = self.backend_for_mut(&inst).encrypt(&handle, &nonce, &aad, plaintext)?;
        if let Some(k) = self.state.keys.get_mut(id) {
            if let Some(last) = k.versions.last_mut() {
                last.encryptions += 1;
            }
        }
        let b = blob::encode(&blob::BlobHeader { key_id: id.to_string(), key_version: version, nonce }, &ct);
        Ok((b64_encode(&b), version))
    }

    /// Open a base64 blob: structural problems are `InvalidParameter`, anything else `DecryptFailed`.
    pub(crate) fn open_blob(
        &self,
        field: &str,
        b64: &str,
        ctx: &IdMap<String, String>,
        id: &KeyId,
    ) -> Result<(Vec<u8>, u32)> {
        let raw = b64_decode(field, b64).map_err(|mut e| {
            e.rule = Some(Rule::Cr2);
            e
        })?;
        let (h, ct) = blob::decode(&raw).map_err(|e| e.at_field(field))?;
        let key = self.state.keys.get(id).ok_or_else(Error::decrypt_failed)?;
        if key.state == KeyState::Disabled {
            return Err(Error::new(
                ErrorCode::InvalidState,
                Rule::Cr3,
                format!("key {id} is disabled and cannot decrypt"),
            )
            .with_vendor("Rejected.Disabled"));
        }
        let v = key.versions.iter().find(|v| v.version == h.key_version).ok_or_else(Error::decrypt_failed)?;
        let aad = blob::aad(&h.key_id, h.key_version, ctx);
        // No backend made yet holds no material: the opaque refusal an empty one gives.
        let backend = self.backend_for(&key.instance).ok_or_else(Error::decrypt_failed)?;
        let pt = backend.decrypt(&v.handle, &h.nonce, &aad, ct)?;
        Ok((pt, h.key_version))
    }

    /// The key a blob names, for the decision; unknown keys are the opaque `DecryptFailed`.
    fn blob_key(&self, field: &str, b64: &str) -> Result<KeyId> {
        let raw = b64_decode(field, b64).map_err(|mut e| {
            e.rule = Some(Rule::Cr2);
            e
        })?;
        let (h, _) = blob::decode(&raw).map_err(|e| e.at_field(field))?;
        let id = KeyId::parse(&h.key_id).map_err(|_| Error::decrypt_failed())?;
        if self.state.keys.contains_key(&id) {
            Ok(id)
        } else {
            Err(Error::decrypt_failed())
        }
    }
}

/// Encrypting with a key read from a policy export or an import: decided on, never used
/// (CR-5; README Semantics 32). Decryption stays the opaque `DecryptFailed` (CR-2).
fn no_material(id: &KeyId) -> Error {
    Error::new(
        ErrorCode::InvalidState,
        Rule::Cr5,
        format!(
            "key {id} has no key material here: it was loaded from a policy export or an import, which decisions use and cryptography cannot; use the instance it lives in"
        ),
    )
}
