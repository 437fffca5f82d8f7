//! Known-answer tests for the software crypto, through the public API only.
//!
//! AES-256-GCM: Wycheproof `aes_gcm_test.json` and the NIST CAVP GCMVS files (cut to
//! 256-bit keys, 96-bit IVs, 128-bit tags). SHA-256: the FIPS 180-4 examples. The
//! worked example of `docs/ciphertext-format.md`. Long messages against an independent
//! implementation. Provenance: `tests/vectors/README.md`.
//! Every test asserts how many cases it ran, so a truncated or edited file cannot pass
//! by running nothing.

// Test code: a malformed vector file should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use kms_share_core::crypto::{blob, from_hex, hex, sha256, AesKey, BlobHeader};
use kms_share_core::error::ErrorCode;
use serde_json::Value;

fn vector(path: &str) -> Vec<u8> {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "vectors", path].iter().collect();
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

fn unhex(s: &str) -> Vec<u8> {
    from_hex(s).unwrap_or_else(|| panic!("bad hex in vector: {s}"))
}

fn concat(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = a.to_vec();
    v.extend_from_slice(b);
    v
}

/// The vector files are the ones the README lists (line endings ignored, so a checkout
/// that converts them still passes; the parsers accept both).
#[test]
fn vector_files_match_the_readme_checksums() {
    for (path, expected) in [
        ("wycheproof/aes_gcm_test.json", "985e5ecc172e181eaf49e89508b9470dcf478002eb7e8559c707eb42dc97dfe7"),
        ("nist/gcmEncryptExtIV256.rsp", "67397b910ccd31a1a7ab00d2a11a119778eb5b17e475e9b456358fe51d714175"),
        ("nist/gcmDecrypt256.rsp", "e94f77329d6b5e61e344249d41297f097575b2c62df533804770326c5735abcb"),
    ] {
        let lf: Vec<u8> = vector(path).into_iter().filter(|&b| b != b'\r').collect();
        assert_eq!(hex(&sha256(&lf)), expected, "{path}");
    }
}

// ---------------------------------------------------------------- Wycheproof

#[derive(Default, Debug, PartialEq)]
struct WycheproofCounts {
    valid: usize,
    invalid: usize,
    rejected_iv_size: usize,
    rejected_key_size: usize,
}

#[test]
fn wycheproof_aes_gcm() {
    let doc: Value = serde_json::from_slice(&vector("wycheproof/aes_gcm_test.json")).unwrap();
    assert_eq!(doc["algorithm"], "AES-GCM");
    let mut n = WycheproofCounts::default();
    let mut total = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let key_size = group["keySize"].as_u64().unwrap();
        let iv_size = group["ivSize"].as_u64().unwrap();
        let tag_size = group["tagSize"].as_u64().unwrap();
        assert_eq!(tag_size, 128, "this file has only 128-bit tags");
        for t in group["tests"].as_array().unwrap() {
            total += 1;
            let id = t["tcId"].as_u64().unwrap();
            let field = |name: &str| unhex(t[name].as_str().unwrap());
            let (key, iv, aad, msg) = (field("key"), field("iv"), field("aad"), field("msg"));
            let ct_tag = concat(&field("ct"), &field("tag"));
            let result = t["result"].as_str().unwrap();

            if key_size != 256 {
                // AES-128/192: the product only has AES-256 keys (CR-1).
                let e = AesKey::from_bytes(&key).unwrap_err();
                assert_eq!(e.code, ErrorCode::InvalidParameter, "tc {id}");
                assert_eq!(e.field.as_deref(), Some("key"), "tc {id}");
                n.rejected_key_size += 1;
                continue;
            }
            let k = AesKey::from_bytes(&key).unwrap();
            if iv_size != 96 {
                // Only 96-bit nonces are supported: seal refuses, open fails opaquely.
                let e = k.seal(&iv, &aad, &msg).unwrap_err();
                assert_eq!(e.code, ErrorCode::InvalidParameter, "tc {id}");
                assert_eq!(e.field.as_deref(), Some("nonce"), "tc {id}");
                let e = k.open(&iv, &aad, &ct_tag).unwrap_err();
                assert_eq!(e.code, ErrorCode::DecryptFailed, "tc {id}");
                n.rejected_iv_size += 1;
                continue;
            }
            match result {
                "valid" => {
                    assert_eq!(hex(&k.seal(&iv, &aad, &msg).unwrap()), hex(&ct_tag), "tc {id}");
                    assert_eq!(k.open(&iv, &aad, &ct_tag).unwrap(), msg, "tc {id}");
                    n.valid += 1;
                }
                "invalid" => {
                    let e = k.open(&iv, &aad, &ct_tag).unwrap_err();
                    assert_eq!(e.code, ErrorCode::DecryptFailed, "tc {id}");
                    assert_ne!(k.seal(&iv, &aad, &msg).unwrap(), ct_tag, "tc {id}");
                    n.invalid += 1;
                }
                other => panic!("tc {id}: unexpected result {other}"),
            }
        }
    }
    assert_eq!(total, doc["numberOfTests"].as_u64().unwrap() as usize);
    assert_eq!(total, 316);
    assert_eq!(n, WycheproofCounts { valid: 39, invalid: 27, rejected_iv_size: 39, rejected_key_size: 211 });
}

// ---------------------------------------------------------------- NIST CAVP

/// One `Count = ...` record with the parameters of the section it sits in.
#[derive(Debug)]
struct NistCase {
    params: BTreeMap<String, String>,
    fields: BTreeMap<String, String>,
}

impl NistCase {
    fn param(&self, name: &str) -> &str {
        &self.params[name]
    }
    fn bytes(&self, name: &str) -> Vec<u8> {
        unhex(&self.fields[name])
    }
}

/// Parse a CAVP `.rsp` file: `# comments`, `[Name = value]` section parameters, blank-line
/// separated `Name = value` records; a bare `FAIL` line marks a decrypt case that must
/// fail. Accepts LF and CRLF.
fn parse_rsp(text: &str) -> Vec<NistCase> {
    let mut params = BTreeMap::new();
    let mut cases = Vec::new();
    let mut current: Option<BTreeMap<String, String>> = None;
    let mut in_params = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            // A new section: the last record of the previous one keeps its parameters.
            if let Some(fields) = current.take() {
                cases.push(NistCase { params: params.clone(), fields });
            }
            if !in_params {
                params.clear();
                in_params = true;
            }
            let (k, v) = inner.split_once('=').unwrap();
            params.insert(k.trim().to_string(), v.trim().to_string());
            continue;
        }
        in_params = false;
        if line == "FAIL" {
            current.as_mut().unwrap().insert("FAIL".into(), String::new());
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("bad line {line}"));
        let (k, v) = (k.trim(), v.trim());
        if k == "Count" {
            if let Some(fields) = current.take() {
                cases.push(NistCase { params: params.clone(), fields });
            }
            current = Some(BTreeMap::new());
        }
        current.as_mut().unwrap().insert(k.to_string(), v.to_string());
    }
    if let Some(fields) = current {
        cases.push(NistCase { params, fields });
    }
    cases
}

fn nist_cases(file: &str) -> Vec<NistCase> {
    let cases = parse_rsp(std::str::from_utf8(&vector(file)).unwrap());
    for c in &cases {
        // The project copy keeps only these sections (see tests/vectors/README.md).
        assert_eq!(c.param("Keylen"), "256");
        assert_eq!(c.param("IVlen"), "96");
        assert_eq!(c.param("Taglen"), "128");
        let bits = |name: &str| c.param(name).parse::<usize>().unwrap();
        assert_eq!(c.bytes("AAD").len() * 8, bits("AADlen"));
        assert_eq!(c.bytes("CT").len() * 8, bits("PTlen"));
    }
    cases
}

#[test]
fn nist_gcm_encrypt_256_iv96_tag128() {
    let cases = nist_cases("nist/gcmEncryptExtIV256.rsp");
    for c in &cases {
        let k = AesKey::from_bytes(&c.bytes("Key")).unwrap();
        let (iv, aad, pt) = (c.bytes("IV"), c.bytes("AAD"), c.bytes("PT"));
        let expected = concat(&c.bytes("CT"), &c.bytes("Tag"));
        let sealed = k.seal(&iv, &aad, &pt).unwrap();
        assert_eq!(hex(&sealed), hex(&expected), "{c:?}");
        assert_eq!(k.open(&iv, &aad, &sealed).unwrap(), pt, "{c:?}");
    }
    assert_eq!(cases.len(), 375);
}

#[test]
fn nist_gcm_decrypt_256_iv96_tag128() {
    let cases = nist_cases("nist/gcmDecrypt256.rsp");
    let (mut pass, mut fail) = (0, 0);
    for c in &cases {
        let k = AesKey::from_bytes(&c.bytes("Key")).unwrap();
        let (iv, aad) = (c.bytes("IV"), c.bytes("AAD"));
        let input = concat(&c.bytes("CT"), &c.bytes("Tag"));
        let got = k.open(&iv, &aad, &input);
        if c.fields.contains_key("FAIL") {
            assert!(!c.fields.contains_key("PT"), "{c:?}");
            assert_eq!(got.unwrap_err().code, ErrorCode::DecryptFailed, "{c:?}");
            fail += 1;
        } else {
            assert_eq!(got.unwrap(), c.bytes("PT"), "{c:?}");
            pass += 1;
        }
    }
    assert_eq!((cases.len(), pass, fail), (375, 184, 191));
}

// ---------------------------------------------------------------- long messages

/// Messages long enough for the wide backends' parallel paths (VAES seals 64 blocks at a
/// time, GHASH folds 4), with tails of every kind: the vector files above hold nothing
/// over a few blocks. Expected tag and SHA-256 of `ciphertext || tag` computed with an
/// independent implementation (pyca/cryptography 48.0.0 over OpenSSL, 2026-12-05), from
/// key `00 01 .. 1f`, nonce `a0 .. ab`, 37 bytes of authenticated data `(13 i + 1) mod
/// 256` and plaintext byte `i` = `(7 i + 3) mod 256`.
#[test]
fn aes_gcm_long_messages_cr1() {
    let key = AesKey::from_bytes(&(0u8..32).collect::<Vec<_>>()).unwrap();
    let nonce: Vec<u8> = (0xa0u8..0xac).collect();
    let aad: Vec<u8> = (0..37u32).map(|i| ((i * 13 + 1) & 0xff) as u8).collect();
    let cases = [
        (255, "594c7425085026ee92e3b08370b91b7e", "f41d8978c5b0f1ccba2d58c1ba4e66c1582c98792b1292726d44fed83dd3b906"),
        (1024, "bba5669adf28ec31d7e82dd8168f3693", "7e0a0b7c371d8902ab134b649ce1bad766b40b2860ea4105abcdf5520beafd9c"),
        (4109, "1b9bd937b60d2e57ab4d98534c1e61b5", "b3bccfccb175689c730748b5df378d83b29c9c94a3e47745625b1c9c020fc19a"),
        (65567, "a2a8000cac8d821329d5ea3ca6bae717", "7ff5d94da67451dc33588b5a96c7bb855e82161a378db02666753902199d06c3"),
        (
            1048579,
            "e428e0e5f8efef22c1122370e74e48b5",
            "0e937a8044bf29840a7f931d3cb49591c66288f7ce7967c818eec211a5181ebe",
        ),
    ];
    for (n, tag, digest) in cases {
        let plaintext: Vec<u8> = (0..n as u32).map(|i| ((i * 7 + 3) & 0xff) as u8).collect();
        let sealed = key.seal(&nonce, &aad, &plaintext).unwrap();
        assert_eq!(sealed.len(), n + 16, "{n} bytes");
        assert_eq!(hex(&sealed[n..]), tag, "tag of {n} bytes");
        assert_eq!(hex(&sha256(&sealed)), digest, "ciphertext of {n} bytes");
        assert_eq!(key.open(&nonce, &aad, &sealed).unwrap(), plaintext, "{n} bytes");
        let mut modified = sealed.clone();
        modified[n / 2] ^= 1;
        assert_eq!(key.open(&nonce, &aad, &modified).unwrap_err().code, ErrorCode::DecryptFailed, "{n} bytes");
    }
}

// ---------------------------------------------------------------- SHA-256

// FIPS 180-4 examples (NIST "Cryptographic Standards and Guidelines: Examples with
// Intermediate Values", SHA-256), plus the empty message.
#[test]
fn sha256_fips_180_4_examples() {
    let cases: [(&[u8], &str); 3] = [
        (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ),
    ];
    for (msg, digest) in cases {
        assert_eq!(hex(&sha256(msg)), digest);
    }
}

#[test]
fn sha256_one_million_a() {
    let msg = vec![b'a'; 1_000_000];
    assert_eq!(hex(&sha256(&msg)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// ---------------------------------------------------------------- docs example

/// The worked example in `docs/ciphertext-format.md`, byte for byte (computed
/// independently with Python's `cryptography` when the document was written).
#[test]
fn ciphertext_format_doc_worked_example() {
    let key = AesKey::from_bytes(&(0u8..32).collect::<Vec<_>>()).unwrap();
    let context: kms_share_core::idmap::IdMap<String, String> =
        [("tenant", "acme"), ("purpose", "demo")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let header = BlobHeader {
        key_id: "key-example1".into(),
        key_version: 1,
        nonce: unhex("cafebabefacedbaddecaf888").try_into().unwrap(),
    };
    let aad = blob::aad(&header.key_id, header.key_version, &context);
    assert_eq!(
        hex(&aad),
        concat!(
            "6b6d732d73686172652f6161642f7631",
            "0000000c",
            "6b65792d6578616d706c6531",
            "00000001",
            "00000002",
            "00000007",
            "707572706f7365",
            "00000004",
            "64656d6f",
            "00000006",
            "74656e616e74",
            "00000004",
            "61636d65"
        )
    );
    let sealed = key.seal(&header.nonce, &aad, b"hello").unwrap();
    // Ciphertext (5 bytes), then the tag (16 bytes).
    assert_eq!(hex(&sealed), concat!("e2c6cc4ac5", "5be59b88ad72737bb950f91b26a6856e"));
    let bytes = blob::encode(&header, &sealed);
    let expected_blob = concat!(
        "4b4d5353",
        "01",
        "0c",
        "6b65792d6578616d706c6531",
        "00000001",
        "cafebabefacedbaddecaf888",
        "e2c6cc4ac5",
        "5be59b88ad72737bb950f91b26a6856e"
    );
    assert_eq!(hex(&bytes), expected_blob);
    assert_eq!(
        kms_share_core::crypto::b64_encode(&bytes),
        "S01TUwEMa2V5LWV4YW1wbGUxAAAAAcr+ur76ztut3sr4iOLGzErFW+WbiK1yc3u5UPkbJqaFbg=="
    );
    let (h, ct_and_tag) = blob::decode(&bytes).unwrap();
    assert_eq!(h, header);
    assert_eq!(key.open(&h.nonce, &aad, ct_and_tag).unwrap(), b"hello");
    // Another context, even the same pairs minus one, fails opaquely (CR-2).
    let mut other = context.clone();
    other.remove("tenant");
    let wrong = blob::aad(&h.key_id, h.key_version, &other);
    assert_eq!(key.open(&h.nonce, &wrong, ct_and_tag).unwrap_err().code, ErrorCode::DecryptFailed);
}
