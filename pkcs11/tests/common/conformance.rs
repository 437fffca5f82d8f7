//! The key backend conformance suite: what every `KeyBackend` must do, run identically
//! on the software backend and on the PKCS#11 backend (CR-1, CR-2, CR-3, CR-5, AZ-1).
//!
//! [`run`] takes a factory of fresh `Box<dyn KeyBackend>` values: most cases use one
//! backend; the snapshot case unseals into a second one, the engine cases hand one to
//! an engine as its hardware backend.

use std::fs;

use kms_share_core::crypto::{b64_decode, blob, AesKey, SeededRng};
use kms_share_core::keystore::KeyBackend;
use kms_share_core::scenario::StepResult;
use kms_share_core::ErrorCode;
use serde_json::{json, Value};

use super::engine::{self, ALICE, B_ROOT, KEY};

/// Makes a fresh backend.
pub type Factory<'a> = &'a dyn Fn() -> Box<dyn KeyBackend>;

type Case = fn(Factory<'_>);

/// Every case, by name.
pub const CASES: &[(&str, Case)] = &[
    ("round_trip_at_every_size_cr2", round_trip_at_every_size_cr2),
    ("wrong_aad_nonce_or_key_is_decrypt_failed_cr2", wrong_aad_nonce_or_key_is_decrypt_failed_cr2),
    ("tampered_ciphertext_or_tag_is_decrypt_failed_cr2", tampered_ciphertext_or_tag_is_decrypt_failed_cr2),
    ("unknown_handle_cannot_encrypt_or_decrypt", unknown_handle_cannot_encrypt_or_decrypt),
    ("rotation_keeps_both_versions_usable_cr1", rotation_keeps_both_versions_usable_cr1),
    ("destroyed_material_is_unusable_cr3", destroyed_material_is_unusable_cr3),
    ("sealed_keys_unseal_into_a_fresh_backend_cr5", sealed_keys_unseal_into_a_fresh_backend_cr5),
    ("a_fork_uses_the_keys_but_never_changes_the_original", a_fork_uses_the_keys_but_never_changes_the_original),
    ("engine_envelope_on_a_hardware_instance_cr2", engine_envelope_on_a_hardware_instance_cr2),
    ("engine_rotation_on_a_hardware_instance_cr1", engine_rotation_on_a_hardware_instance_cr1),
    ("sharing_decisions_do_not_depend_on_the_backend_az1", sharing_decisions_do_not_depend_on_the_backend_az1),
];

/// Run every case on backends from `make`; returns how many ran.
pub fn run(backend: &str, make: Factory<'_>) -> usize {
    for (name, case) in CASES {
        eprintln!("conformance[{backend}]: {name}");
        case(make);
    }
    CASES.len()
}

const NONCE: [u8; 12] = *b"nonce-12byte";
const AAD: &[u8] = b"kms-share/aad/v1 conformance";

fn rng() -> SeededRng {
    SeededRng::new(77)
}

fn code<T: std::fmt::Debug>(r: kms_share_core::Result<T>) -> ErrorCode {
    r.expect_err("must fail").code
}

fn round_trip_at_every_size_cr2(make: Factory<'_>) {
    let mut b = make();
    let h = b.generate("key-conf1/v1", &mut rng()).unwrap();
    assert!(b.contains(&h));
    for n in [0usize, 1, 15, 16, 17, 64, 1000, blob::MAX_PLAINTEXT] {
        let pt: Vec<u8> = (0..n).map(|i| (i * 7 + n) as u8).collect();
        let ct = b.encrypt(&h, &NONCE, AAD, &pt).unwrap();
        assert_eq!(ct.len(), n + 16, "ciphertext || 128-bit tag at {n} bytes");
        if n >= 16 {
            assert_ne!(&ct[..n], &pt[..], "encrypted at {n} bytes");
        }
        assert_eq!(b.decrypt(&h, &NONCE, AAD, &ct).unwrap(), pt, "{n} bytes");
    }
    // GCM is deterministic for one key, nonce and AAD; a new nonce changes everything.
    let a = b.encrypt(&h, &NONCE, AAD, b"same").unwrap();
    assert_eq!(a, b.encrypt(&h, &NONCE, AAD, b"same").unwrap());
    let other = b.encrypt(&h, b"other-nonce!", AAD, b"same").unwrap();
    assert_ne!(a, other);
}

fn wrong_aad_nonce_or_key_is_decrypt_failed_cr2(make: Factory<'_>) {
    let mut b = make();
    let mut g = rng();
    let h = b.generate("key-conf2/v1", &mut g).unwrap();
    let h2 = b.generate("key-conf2b/v1", &mut g).unwrap();
    let ct = b.encrypt(&h, &NONCE, AAD, b"sixty-four bytes of plaintext, as the benchmark uses it....!!!!").unwrap();
    assert_eq!(code(b.decrypt(&h, &NONCE, b"kms-share/aad/v1 other", &ct)), ErrorCode::DecryptFailed);
    assert_eq!(code(b.decrypt(&h, &NONCE, b"", &ct)), ErrorCode::DecryptFailed);
    assert_eq!(code(b.decrypt(&h, b"other-nonce!", AAD, &ct)), ErrorCode::DecryptFailed);
    assert_eq!(code(b.decrypt(&h2, &NONCE, AAD, &ct)), ErrorCode::DecryptFailed);
    let e = b.decrypt(&h, &NONCE, b"x", &ct).unwrap_err();
    assert_eq!(e.message, "decryption failed", "opaque: says nothing about why");
}

fn tampered_ciphertext_or_tag_is_decrypt_failed_cr2(make: Factory<'_>) {
    let mut b = make();
    let h = b.generate("key-conf3/v1", &mut rng()).unwrap();
    let pt = [0x5au8; 64];
    let mut ct = b.encrypt(&h, &NONCE, AAD, &pt).unwrap();
    for i in 0..ct.len() {
        ct[i] ^= 0x80;
        assert_eq!(code(b.decrypt(&h, &NONCE, AAD, &ct)), ErrorCode::DecryptFailed, "byte {i} flipped");
        ct[i] ^= 0x80;
    }
    assert_eq!(b.decrypt(&h, &NONCE, AAD, &ct).unwrap(), pt, "restored");
    let mut longer = ct.clone();
    longer.push(0);
    for bad in [&ct[..ct.len() - 1], &ct[..16], &ct[..15], &[][..], &longer[..]] {
        assert_eq!(code(b.decrypt(&h, &NONCE, AAD, bad)), ErrorCode::DecryptFailed, "{} bytes", bad.len());
    }
}

fn unknown_handle_cannot_encrypt_or_decrypt(make: Factory<'_>) {
    let mut b = make();
    let h = b.generate("key-conf4/v1", &mut rng()).unwrap();
    let ct = b.encrypt(&h, &NONCE, AAD, b"x").unwrap();
    for unknown in ["", "sw:key-nosuch/v1", "pkcs11:object=key-nosuch%2fv1;id=%00%01;type=secret-key", "garbage"] {
        assert!(!b.contains(unknown), "{unknown}");
        assert_eq!(code(b.decrypt(unknown, &NONCE, AAD, &ct)), ErrorCode::DecryptFailed, "{unknown}");
        assert_eq!(code(b.encrypt(unknown, &NONCE, AAD, b"x")), ErrorCode::InvalidState, "{unknown}");
    }
}

fn rotation_keeps_both_versions_usable_cr1(make: Factory<'_>) {
    let mut b = make();
    let mut g = rng();
    let v1 = b.generate("key-conf5/v1", &mut g).unwrap();
    let c1 = b.encrypt(&v1, &NONCE, AAD, b"under v1").unwrap();
    let v2 = b.generate("key-conf5/v2", &mut g).unwrap();
    assert_ne!(v1, v2);
    let c2 = b.encrypt(&v2, &NONCE, AAD, b"under v2").unwrap();
    assert_eq!(b.decrypt(&v1, &NONCE, AAD, &c1).unwrap(), b"under v1");
    assert_eq!(b.decrypt(&v2, &NONCE, AAD, &c2).unwrap(), b"under v2");
    assert_eq!(code(b.decrypt(&v2, &NONCE, AAD, &c1)), ErrorCode::DecryptFailed, "versions are distinct keys");
    assert_eq!(code(b.decrypt(&v1, &NONCE, AAD, &c2)), ErrorCode::DecryptFailed);
}

fn destroyed_material_is_unusable_cr3(make: Factory<'_>) {
    let mut b = make();
    let mut g = rng();
    let gone = b.generate("key-conf6/v1", &mut g).unwrap();
    let kept = b.generate("key-conf6/v2", &mut g).unwrap();
    let ct = b.encrypt(&gone, &NONCE, AAD, b"bye").unwrap();
    let kept_ct = b.encrypt(&kept, &NONCE, AAD, b"stay").unwrap();
    b.destroy(&gone).unwrap();
    assert!(!b.contains(&gone));
    assert_eq!(code(b.decrypt(&gone, &NONCE, AAD, &ct)), ErrorCode::DecryptFailed);
    assert_eq!(code(b.encrypt(&gone, &NONCE, AAD, b"x")), ErrorCode::InvalidState);
    b.destroy(&gone).unwrap();
    assert!(b.contains(&kept));
    assert_eq!(b.decrypt(&kept, &NONCE, AAD, &kept_ct).unwrap(), b"stay");
    b.destroy(&kept).unwrap();
}

fn sealed_keys_unseal_into_a_fresh_backend_cr5(make: Factory<'_>) {
    let root = AesKey::from_bytes(&[7u8; 32]).unwrap();
    let mut b = make();
    let mut g = rng();
    let h1 = b.generate("key-conf7/v1", &mut g).unwrap();
    let h2 = b.generate("key-conf7b/v1", &mut g).unwrap();
    let c1 = b.encrypt(&h1, &NONCE, AAD, b"one").unwrap();
    let c2 = b.encrypt(&h2, &NONCE, AAD, b"two").unwrap();
    let sealed = b.seal_all(&root, &mut rng()).unwrap();
    assert_eq!(sealed.keys().collect::<Vec<_>>(), {
        let mut hs = vec![&h1, &h2];
        hs.sort();
        hs
    });
    let mut fresh = make();
    fresh.unseal_all(&root, sealed.clone()).unwrap();
    assert!(fresh.contains(&h1) && fresh.contains(&h2));
    assert_eq!(fresh.decrypt(&h1, &NONCE, AAD, &c1).unwrap(), b"one");
    assert_eq!(fresh.decrypt(&h2, &NONCE, AAD, &c2).unwrap(), b"two");
    assert_eq!(
        fresh.seal_all(&root, &mut rng()).unwrap().keys().collect::<Vec<_>>(),
        sealed.keys().collect::<Vec<_>>()
    );
    // A tampered entry is refused as a whole, changing nothing.
    let mut bad: kms_share_core::idmap::IdMap<String, String> = sealed.clone();
    bad.insert("not-a-handle".into(), "AAAA".into());
    let mut other = make();
    assert_eq!(other.unseal_all(&root, bad).unwrap_err().code, ErrorCode::SnapshotInvalid);
    assert!(other.seal_all(&root, &mut rng()).unwrap().is_empty());
    b.destroy(&h1).unwrap();
    b.destroy(&h2).unwrap();
}

/// `fork` serves what-if previews: the copy works with the original's keys, and what
/// it generates or destroys stays in the copy.
fn a_fork_uses_the_keys_but_never_changes_the_original(make: Factory<'_>) {
    let mut b = make();
    let mut g = rng();
    let h = b.generate("key-conf8/v1", &mut g).unwrap();
    let ct = b.encrypt(&h, &NONCE, AAD, b"original").unwrap();
    let mut f = b.fork().expect("a backend the engine previews with");
    assert_eq!(f.decrypt(&h, &NONCE, AAD, &ct).unwrap(), b"original");
    let fc = f.encrypt(&h, &NONCE, AAD, b"in the fork").unwrap();
    assert_eq!(b.decrypt(&h, &NONCE, AAD, &fc).unwrap(), b"in the fork", "the same key");
    let new = f.generate("key-conf8/v2", &mut g).unwrap();
    assert!(f.contains(&new) && !b.contains(&new), "generated in the fork only");
    let nc = f.encrypt(&new, &NONCE, AAD, b"new").unwrap();
    assert_eq!(f.decrypt(&new, &NONCE, AAD, &nc).unwrap(), b"new");
    f.destroy(&h).unwrap();
    assert!(!f.contains(&h));
    assert_eq!(code(f.decrypt(&h, &NONCE, AAD, &ct)), ErrorCode::DecryptFailed);
    assert_eq!(code(f.encrypt(&h, &NONCE, AAD, b"x")), ErrorCode::InvalidState);
    assert!(b.contains(&h), "destroyed in the fork only");
    assert_eq!(b.decrypt(&h, &NONCE, AAD, &ct).unwrap(), b"original");
    drop(f);
    b.destroy(&h).unwrap();
}

fn engine_envelope_on_a_hardware_instance_cr2(make: Factory<'_>) {
    let mut org = engine::org(make());
    // GenerateDataKey: a plaintext data key and the same key sealed under key-b1.
    let dk = engine::ok(engine::step(
        &mut org,
        B_ROOT,
        "kms:GenerateDataKey",
        json!({"KeyId": KEY, "EncryptionContext": {"app": "billing"}}),
    ));
    let plain = dk["Plaintext"].as_str().unwrap().to_string();
    assert_eq!(b64_decode("Plaintext", &plain).unwrap().len(), 32);
    let blob_b64 = dk["CiphertextBlob"].as_str().unwrap().to_string();
    let raw = b64_decode("CiphertextBlob", &blob_b64).unwrap();
    let (header, ct_and_tag) = blob::decode(&raw).unwrap();
    assert_eq!((header.key_id.as_str(), header.key_version), (KEY, 1));
    assert_eq!(ct_and_tag.len(), plain.len() + 16, "the software backend's blob format");
    let back = engine::ok(engine::step(
        &mut org,
        B_ROOT,
        "kms:Decrypt",
        json!({"CiphertextBlob": blob_b64, "EncryptionContext": {"app": "billing"}}),
    ));
    assert_eq!(back["Plaintext"], json!(plain));
    let wrong = engine::step(
        &mut org,
        B_ROOT,
        "kms:Decrypt",
        json!({"CiphertextBlob": blob_b64, "EncryptionContext": {"app": "payroll"}}),
    );
    assert_eq!(wrong.error.unwrap().code, ErrorCode::DecryptFailed, "the context is bound (CR-2)");
    // Encrypt / Decrypt by a RAM user of the principal account.
    let ct =
        engine::ok(engine::step(&mut org, ALICE, "kms:Encrypt", json!({"KeyId": KEY, "Plaintext": "in the token"})));
    let pt = engine::ok(engine::step(&mut org, ALICE, "kms:Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]})));
    assert_eq!(pt["Plaintext"], "in the token");
}

fn engine_rotation_on_a_hardware_instance_cr1(make: Factory<'_>) {
    let mut org = engine::org(make());
    let old = engine::ok(engine::step(&mut org, B_ROOT, "kms:Encrypt", json!({"KeyId": KEY, "Plaintext": "v1 data"})));
    let rotated = engine::ok(engine::step(&mut org, B_ROOT, "kms:CreateKeyVersion", json!({"KeyId": KEY})));
    let second = &rotated["KeyVersion"]["KeyVersionId"];
    assert!(second.is_string() && old["KeyVersionId"].is_string() && old["KeyVersionId"] != *second);
    let new = engine::ok(engine::step(&mut org, B_ROOT, "kms:Encrypt", json!({"KeyId": KEY, "Plaintext": "v2 data"})));
    assert_eq!(new["KeyVersionId"], *second, "new encryptions use the newest version");
    for (blob, want) in [(&old, "v1 data"), (&new, "v2 data")] {
        let pt =
            engine::ok(engine::step(&mut org, ALICE, "kms:Decrypt", json!({"CiphertextBlob": blob["CiphertextBlob"]})));
        assert_eq!(pt["Plaintext"], want);
    }
    let hs = engine::handles(&org, KEY);
    assert_eq!(hs.len(), 2);
    assert_ne!(hs[0], hs[1]);
}

/// A step's outcome with ciphertexts masked: they differ by backend (different key
/// material) and nothing else may, but for the size of a sealed snapshot (a token
/// reference is longer than sealed material). The backend draws from the engine's
/// generator as the software backend does, so even generated ids and data keys match.
fn outcome(s: &StepResult) -> Value {
    let mut v = serde_json::to_value(s).unwrap();
    mask_ciphertexts(&mut v);
    if s.action == "SealAndReload" {
        if let Some(bytes) = v.pointer_mut("/result/Bytes") {
            *bytes = json!("<snapshot size>");
        }
    }
    v
}

fn mask_ciphertexts(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "CiphertextBlob" && x.is_string() {
                    *x = json!("<ciphertext>");
                } else {
                    mask_ciphertexts(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_ciphertexts),
        _ => {}
    }
}

fn sharing_decisions_do_not_depend_on_the_backend_az1(make: Factory<'_>) {
    let mut files: Vec<_> = fs::read_dir(engine::corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the scenario corpus");
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        let sc = engine::as_hardware(&text);
        let (_, reference) = engine::run(&sc, None);
        let (_, with_backend) = engine::run(&sc, Some(make()));
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(reference.passed, with_backend.passed, "{name}");
        assert_eq!(reference.steps.len(), with_backend.steps.len(), "{name}");
        for (i, (x, y)) in reference.steps.iter().zip(&with_backend.steps).enumerate() {
            assert_eq!(outcome(x), outcome(y), "{name} step {i}: the outcome changed with the backend");
        }
    }
}
