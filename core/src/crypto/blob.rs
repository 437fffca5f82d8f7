//! The ciphertext blob: what `Encrypt` and `GenerateDataKey` return as `CiphertextBlob`
//! and what `Decrypt` accepts (CR-2).
//!
//! A blob names the key and key version that sealed it, so `Decrypt` needs no key id
//! argument and keeps working after rotation (CR-1). The byte layout and the
//! authenticated data are specified in `docs/ciphertext-format.md`; this module is the
//! one implementation of that document.
//!
//! ```text
//! "KMSS" | version=1 | key id len (1..=68) | key id | key version u32 BE | nonce (12) | ciphertext | tag (16)
//! ```

use crate::idmap::IdMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::aead::{NONCE_LEN, TAG_LEN};
use crate::error::{Error, Result};
use crate::rules::Rule;

/// The largest plaintext `Encrypt` accepts: 6 KiB, the vendor's limit. Larger data is
/// encrypted locally under a data key from `GenerateDataKey` (envelope encryption).
pub const MAX_PLAINTEXT: usize = 6144;

/// How many encryptions one key version may perform before it must be rotated (CR-1).
///
/// Nonces are 96 random bits. After `n` encryptions under one key the chance that two
/// nonces collide is about `n^2 / 2^97`; at `n = 2^32` that is `2^-33`, below the
/// `2^-32` bound NIST SP 800-38D (section 8) sets for random nonces. A nonce collision
/// under GCM reveals the XOR of the two plaintexts and lets an attacker recover the
/// authentication key and forge, so the limit is hard: once a version reaches it,
/// encryption must move to a new version (decryption with it keeps working).
pub const MAX_ENCRYPTIONS_PER_VERSION: u64 = 1 << 32;

/// The four bytes every blob starts with.
pub const MAGIC: [u8; 4] = *b"KMSS";

/// The only format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// The longest key id a blob can carry, in bytes (`key-` and 64 letters or digits).
pub const MAX_KEY_ID_LEN: usize = 68;

/// The label the authenticated data starts with; `v1` goes with [`FORMAT_VERSION`] 1.
pub const AAD_LABEL: &[u8] = b"kms-share/aad/v1";

/// The input field blob errors name, as the vendor API spells it.
const FIELD: &str = "CiphertextBlob";

/// The header of a ciphertext blob: which key version sealed it, under which nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHeader {
    /// The key id, 1 to [`MAX_KEY_ID_LEN`] bytes of UTF-8.
    pub key_id: String,
    /// The key version that sealed the blob.
    pub key_version: u32,
    /// The AES-GCM nonce.
    pub nonce: [u8; NONCE_LEN],
}

/// Write the blob for header `h` and the output of
/// [`AesKey::seal`](super::aead::AesKey::seal).
///
/// Never panics. A key id outside 1..=[`MAX_KEY_ID_LEN`] bytes (which no valid key id
/// is) gives a blob that [`decode`] rejects, never one that decodes to another header.
pub fn encode(h: &BlobHeader, ct_and_tag: &[u8]) -> Vec<u8> {
    let id = h.key_id.as_bytes();
    let mut out =
        Vec::with_capacity((MAGIC.len() + 2 + 4 + NONCE_LEN).saturating_add(id.len()).saturating_add(ct_and_tag.len()));
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    // INVARIANT: decode rejects a length byte of 0 or above 68, so clamping an oversize
    // id to 255 still yields a blob that fails to decode.
    out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(id);
    out.extend_from_slice(&h.key_version.to_be_bytes());
    out.extend_from_slice(&h.nonce);
    out.extend_from_slice(ct_and_tag);
    out
}

/// Read a blob: its header and the ciphertext-and-tag that follows it.
///
/// Checks the structure only; whether the key exists and the tag verifies is for the
/// caller ([`AesKey::open`](super::aead::AesKey::open) with [`aad`]).
///
/// # Errors
/// `InvalidParameter`, field `CiphertextBlob`, rule CR-2, when the blob is shorter than
/// its header says, does not start with `KMSS`, has an unknown format version, a key id
/// length outside 1..=68 or a key id that is not UTF-8, or has fewer than 16 bytes
/// after the header (no room for the tag).
pub fn decode(bytes: &[u8]) -> Result<(BlobHeader, &[u8])> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len())? != MAGIC {
        return Err(bad("the ciphertext blob does not start with `KMSS`"));
    }
    let version = r.byte()?;
    if version != FORMAT_VERSION {
        return Err(bad(format!(
            "unsupported ciphertext format version {version} (this build reads version {FORMAT_VERSION})"
        )));
    }
    let id_len = usize::from(r.byte()?);
    if id_len == 0 || id_len > MAX_KEY_ID_LEN {
        return Err(bad(format!("the ciphertext blob has a key id of {id_len} bytes (must be 1 to {MAX_KEY_ID_LEN})")));
    }
    let key_id =
        core::str::from_utf8(r.take(id_len)?).map_err(|_| bad("the ciphertext blob has a key id that is not UTF-8"))?;
    let key_version = u32::from_be_bytes(r.array()?);
    let nonce: [u8; NONCE_LEN] = r.array()?;
    let rest = r.0;
    if rest.len() < TAG_LEN {
        return Err(bad(format!(
            "the ciphertext blob is too short: {} bytes after the header, at least {TAG_LEN} needed for the tag",
            rest.len()
        )));
    }
    let header = BlobHeader { key_id: String::from(key_id), key_version, nonce };
    Ok((header, rest))
}

/// The authenticated data for an encryption under `key_id` version `key_version` with
/// encryption context `context` (CR-2).
///
/// `AAD_LABEL`, then the key id (u32 BE length + UTF-8), the key version (u32 BE), the
/// number of context pairs (u32 BE), then each pair in key order as u32 BE length + key
/// and u32 BE length + value. Binding the key id and version stops a blob from being
/// relabelled to another key; binding the context makes decryption with a different
/// context fail. The map is sorted, so the order the caller listed the pairs in does not
/// matter; the length prefixes keep `{"ab": "c"}` and `{"a": "bc"}` apart.
///
/// Lengths and counts are written as u32. Callers bound contexts far below 4 GiB; a
/// longer string would have its length saturate at `u32::MAX`.
pub fn aad(key_id: &str, key_version: u32, context: &IdMap<String, String>) -> Vec<u8> {
    let mut out = Vec::with_capacity(AAD_LABEL.len() + 12 + key_id.len());
    out.extend_from_slice(AAD_LABEL);
    put_str(&mut out, key_id);
    out.extend_from_slice(&key_version.to_be_bytes());
    out.extend_from_slice(&u32_len(context.len()).to_be_bytes());
    for (k, v) in context {
        put_str(&mut out, k);
        put_str(&mut out, v);
    }
    out
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&u32_len(s.len()).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn u32_len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn bad(message: impl Into<String>) -> Error {
    Error::invalid(FIELD, Rule::Cr2, message)
}

/// A cursor over the blob that fails, instead of panicking, when the bytes run out.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, tail) =
            self.0.split_at_checked(n).ok_or_else(|| bad("the ciphertext blob is too short for its header"))?;
        self.0 = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8> {
        let [b] = self.array()?;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let head = self.take(N)?;
        head.try_into().map_err(|_| bad("the ciphertext blob is too short for its header"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use alloc::string::ToString;

    fn header() -> BlobHeader {
        BlobHeader { key_id: "key-abc123".to_string(), key_version: 0x0102_0304, nonce: [9; 12] }
    }

    fn blob() -> Vec<u8> {
        encode(&header(), &[0xee; 20])
    }

    fn assert_bad_blob(bytes: &[u8], message: &str) {
        let e = decode(bytes).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter);
        assert_eq!(e.field.as_deref(), Some("CiphertextBlob"));
        assert_eq!(e.rule, Some(Rule::Cr2));
        assert_eq!(e.message, message);
    }

    const TOO_SHORT: &str = "the ciphertext blob is too short for its header";

    #[test]
    fn encode_writes_the_documented_layout() {
        let b = blob();
        let mut expected = b"KMSS".to_vec();
        expected.push(1);
        expected.push(10);
        expected.extend_from_slice(b"key-abc123");
        expected.extend_from_slice(&[1, 2, 3, 4]);
        expected.extend_from_slice(&[9; 12]);
        expected.extend_from_slice(&[0xee; 20]);
        assert_eq!(b, expected);
    }

    #[test]
    fn blob_round_trips_cr2() {
        let b = blob();
        let (h, rest) = decode(&b).unwrap();
        assert_eq!(h, header());
        assert_eq!(rest, &[0xee; 20]);
    }

    #[test]
    fn blob_with_empty_ciphertext_and_longest_key_id_round_trips() {
        let h = BlobHeader { key_id: format!("key-{}", "a".repeat(64)), key_version: u32::MAX, nonce: [0; 12] };
        let b = encode(&h, &[1; 16]);
        let (got, rest) = decode(&b).unwrap();
        assert_eq!(got, h);
        assert_eq!(rest, &[1; 16]);
    }

    #[test]
    fn every_truncation_of_the_header_is_too_short() {
        let b = blob();
        let header_len = 4 + 1 + 1 + 10 + 4 + 12;
        for n in 0..header_len {
            assert_bad_blob(&b[..n], TOO_SHORT);
        }
        for n in header_len..header_len + 16 {
            assert_bad_blob(
                &b[..n],
                &format!(
                    "the ciphertext blob is too short: {} bytes after the header, at least 16 needed for the tag",
                    n - header_len
                ),
            );
        }
        assert!(decode(&b[..header_len + 16]).is_ok());
    }

    #[test]
    fn bad_magic_is_rejected() {
        for i in 0..4 {
            let mut b = blob();
            b[i] ^= 0x20;
            assert_bad_blob(&b, "the ciphertext blob does not start with `KMSS`");
        }
        assert_bad_blob(b"KMS", TOO_SHORT);
        assert_bad_blob(b"XYZ", TOO_SHORT);
    }

    #[test]
    fn unknown_format_version_is_rejected() {
        for v in [0u8, 2, 255] {
            let mut b = blob();
            b[4] = v;
            assert_bad_blob(&b, &format!("unsupported ciphertext format version {v} (this build reads version 1)"));
        }
    }

    #[test]
    fn key_id_length_outside_1_to_68_is_rejected() {
        for n in [0u8, 69, 255] {
            let mut b = blob();
            b[5] = n;
            assert_bad_blob(&b, &format!("the ciphertext blob has a key id of {n} bytes (must be 1 to 68)"));
        }
    }

    #[test]
    fn non_utf8_key_id_is_rejected() {
        let mut b = blob();
        b[6] = 0xff;
        assert_bad_blob(&b, "the ciphertext blob has a key id that is not UTF-8");
    }

    #[test]
    fn encode_of_an_invalid_key_id_never_decodes() {
        for id in [String::new(), "k".repeat(69), "k".repeat(300)] {
            let h = BlobHeader { key_id: id, ..header() };
            let e = decode(&encode(&h, &[0; 16])).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameter);
            assert_eq!(e.field.as_deref(), Some("CiphertextBlob"));
        }
    }

    fn ctx(pairs: &[(&str, &str)]) -> IdMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn aad_has_the_documented_bytes() {
        let a = aad("key-1", 2, &ctx(&[("b", "2"), ("a", "1")]));
        let mut expected = b"kms-share/aad/v1".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 5]);
        expected.extend_from_slice(b"key-1");
        expected.extend_from_slice(&[0, 0, 0, 2]);
        expected.extend_from_slice(&[0, 0, 0, 2]);
        for (k, v) in [("a", "1"), ("b", "2")] {
            expected.extend_from_slice(&[0, 0, 0, 1]);
            expected.extend_from_slice(k.as_bytes());
            expected.extend_from_slice(&[0, 0, 0, 1]);
            expected.extend_from_slice(v.as_bytes());
        }
        assert_eq!(a, expected);
    }

    #[test]
    fn aad_ignores_context_order_cr2() {
        let a = aad("key-1", 1, &ctx(&[("x", "1"), ("y", "2"), ("z", "3")]));
        let b = aad("key-1", 1, &ctx(&[("z", "3"), ("x", "1"), ("y", "2")]));
        assert_eq!(a, b);
    }

    #[test]
    fn aad_changes_when_any_part_changes_cr2() {
        let base = aad("key-1", 1, &ctx(&[("a", "b")]));
        let variants = [
            aad("key-2", 1, &ctx(&[("a", "b")])),
            aad("key-1", 2, &ctx(&[("a", "b")])),
            aad("key-1", 1, &ctx(&[])),
            aad("key-1", 1, &ctx(&[("a", "c")])),
            aad("key-1", 1, &ctx(&[("A", "b")])),
            aad("key-1", 1, &ctx(&[("a", "b"), ("c", "d")])),
            aad("key-1", 1, &ctx(&[("ab", "")])),
            aad("key-1", 1, &ctx(&[("", "ab")])),
        ];
        for (i, v) in variants.iter().enumerate() {
            assert_ne!(&base, v, "variant {i}");
        }
        // Length prefixes keep shifted boundaries apart.
        assert_ne!(aad("key-1", 1, &ctx(&[("ab", "c")])), aad("key-1", 1, &ctx(&[("a", "bc")])));
        assert_ne!(aad("key-1a", 1, &ctx(&[])), aad("key-1", 1, &ctx(&[])));
    }

    #[test]
    fn limits_have_the_documented_values() {
        assert_eq!(MAX_PLAINTEXT, 6 * 1024);
        assert_eq!(MAX_ENCRYPTIONS_PER_VERSION, 4_294_967_296);
        assert_eq!(&MAGIC, b"KMSS");
    }
}
