//! The PKCS#11 backend against a real token (SoftHSM2 under `make test-pkcs11`):
//! non-extractable keys, engine integration (CR-5), removed objects, deletion,
//! previews, threads, byte-for-byte agreement with the software backend, and clear
//! errors for a bad module or token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use cryptoki::object::{Attribute, AttributeType, KeyType};
use kms_share_core::crypto::{blob, from_hex, AesKey, OsRng, SeededRng};
use kms_share_core::ids::KeyId;
use kms_share_core::keystore::KeyBackend;
use kms_share_core::{Engine, ErrorCode};
use kms_share_pkcs11::backend::PROTECTION_ATTRIBUTES;
use kms_share_pkcs11::{ObjectRef, Pin, Pkcs11Backend, Pkcs11Config};
use serde_json::{json, Value};

use common::engine::{self as fx, ALICE, A_ROOT, B_ROOT, INSTANCE, KEY};
use common::hsm;

const ROOT: [u8; 32] = [42u8; 32];

#[test]
fn keys_are_generated_in_the_token_sensitive_and_never_extractable_cr5() {
    let Some(config) = hsm::config_or_skip("keys_are_generated_in_the_token_sensitive_and_never_extractable_cr5")
    else {
        return;
    };
    let mut b = Pkcs11Backend::open(&config).unwrap();
    let h = b.generate("key-attrs/v1", &mut OsRng).unwrap();
    let s = hsm::raw_session(&config);
    let objs = hsm::objects(&s, &h);
    assert_eq!(objs.len(), 1, "exactly one token object per key version");
    // CKA_VALUE is asked for first: the token leaves it out of the answer, without an error.
    let mut wanted = vec![AttributeType::Value, AttributeType::Label, AttributeType::ValueLen, AttributeType::KeyType];
    wanted.extend(PROTECTION_ATTRIBUTES);
    let attrs = hsm::attributes(&s, objs[0], &wanted);
    assert!(!attrs.iter().any(|a| matches!(a, Attribute::Value(_))), "CKA_VALUE must be absent: {attrs:?}");
    for expected in [
        Attribute::Label(b"key-attrs/v1".to_vec()),
        Attribute::ValueLen(32u64.into()),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::NeverExtractable(true),
        Attribute::AlwaysSensitive(true),
    ] {
        assert!(attrs.contains(&expected), "{expected:?} not in {attrs:?}");
    }
    // The handle is a reference (RFC 7512 URI), never material.
    let r = ObjectRef::parse(&h).unwrap();
    assert_eq!(r.label(), "key-attrs/v1");
    assert_eq!(r.id().len(), 16);
    b.destroy(&h).unwrap();
    assert!(hsm::objects(&s, &h).is_empty(), "destroy removes the token object");
}

#[test]
fn a_hardware_instance_creates_its_keys_in_the_token_and_a_software_one_does_not_cr5() {
    let Some((config, backend)) =
        hsm::backend_or_skip("a_hardware_instance_creates_its_keys_in_the_token_and_a_software_one_does_not_cr5")
    else {
        return;
    };
    let mut org = fx::org(Box::new(backend.clone()));
    let hw = fx::handles(&org, KEY);
    assert_eq!(hw.len(), 1);
    let s = hsm::raw_session(&config);
    assert_eq!(hsm::objects(&s, &hw[0]).len(), 1);
    assert_eq!(ObjectRef::parse(&hw[0]).unwrap().label(), format!("{KEY}/v1"));
    // A software instance of the same owner keeps its keys in the software backend.
    fx::ok(fx::step(
        &mut org,
        A_ROOT,
        "kms:CreateInstance",
        json!({"InstanceId": "kst-soft1", "RegionId": "cn-hangzhou"}),
    ));
    fx::ok(fx::step(&mut org, A_ROOT, "kms:CreateKey", json!({"DKMSInstanceId": "kst-soft1", "KeyId": "key-sw1"})));
    let sw = fx::handles(&org, "key-sw1");
    assert!(sw[0].starts_with("sw:"), "{}", sw[0]);
    assert!(!backend.contains(&sw[0]));
    assert!(hsm::objects_labelled(&s, "key-sw1/v1").is_empty());
    assert!(org.engine().unavailable_keys().is_empty());
    cleanup(&backend);
}

#[test]
fn the_sealed_snapshot_holds_references_and_a_removed_object_is_reported_not_fatal_cr5() {
    let Some((config, backend)) =
        hsm::backend_or_skip("the_sealed_snapshot_holds_references_and_a_removed_object_is_reported_not_fatal_cr5")
    else {
        return;
    };
    let mut org = fx::org(Box::new(backend.clone()));
    fx::ok(fx::step(&mut org, B_ROOT, "kms:CreateKey", json!({"DKMSInstanceId": INSTANCE, "KeyId": "key-b2"})));
    fx::ok(fx::step(
        &mut org,
        A_ROOT,
        "kms:CreateInstance",
        json!({"InstanceId": "kst-soft2", "RegionId": "cn-hangzhou"}),
    ));
    fx::ok(fx::step(&mut org, A_ROOT, "kms:CreateKey", json!({"DKMSInstanceId": "kst-soft2", "KeyId": "key-sw2"})));
    let ct_b1 = fx::ok(fx::step(&mut org, ALICE, "kms:Encrypt", json!({"KeyId": KEY, "Plaintext": "doomed"})));
    let ct_b2 = fx::ok(fx::step(&mut org, ALICE, "kms:Encrypt", json!({"KeyId": "key-b2", "Plaintext": "survivor"})));
    let ct_sw = fx::ok(fx::step(&mut org, A_ROOT, "kms:Encrypt", json!({"KeyId": "key-sw2", "Plaintext": "software"})));
    let (b1, b2) = (fx::handles(&org, KEY).remove(0), fx::handles(&org, "key-b2").remove(0));

    let snapshot = org.engine_mut().save_sealed(&ROOT).unwrap();
    let envelope: Value = serde_json::from_str(&snapshot).unwrap();
    let body = &envelope["body"];
    let refs: BTreeMap<String, String> = serde_json::from_value(body["hardwareKeys"].clone()).unwrap();
    assert_eq!(refs, BTreeMap::from([(b1.clone(), format!("{KEY}/v1")), (b2.clone(), "key-b2/v1".to_string())]));
    // Version 3: every key, hardware or software, is a record of the key table; only the
    // software key's record carries sealed material, none is left for `sealedKeys`.
    assert_eq!(envelope["version"], 3);
    assert_eq!(body["sealedKeys"], json!({}), "software material is sealed in the key table");
    assert!(!body["keyTable"].as_str().unwrap().is_empty());
    // Version 2 (JSON throughout) seals the software material alone in `sealedKeys`.
    let v2: Value = serde_json::from_str(&org.engine_mut().save_sealed_as(&ROOT, 2).unwrap()).unwrap();
    let sealed = v2["body"]["sealedKeys"].as_object().unwrap();
    assert_eq!(sealed.keys().collect::<Vec<_>>(), vec!["sw:key-sw2/v1"], "only software material is sealed");
    assert_eq!(v2["body"]["hardwareKeys"], body["hardwareKeys"]);

    // Remove key-b1's object behind the backend's back: another backend, its own sessions.
    let mut intruder = Pkcs11Backend::open(&config).unwrap();
    intruder.destroy(&b1).unwrap();
    assert!(hsm::objects(&hsm::raw_session(&config), &b1).is_empty());

    // The running engine (its backend still caches the old object handle) fails cleanly.
    let e = fx::step(&mut org, ALICE, "kms:Encrypt", json!({"KeyId": KEY, "Plaintext": "x"})).error.unwrap();
    assert_eq!(e.code, ErrorCode::InvalidState);
    assert!(e.message.contains(&format!("token object `{KEY}/v1`")), "{}", e.message);
    assert!(e.message.contains(&format!("token `{}`", config.token_label)), "{}", e.message);
    assert_eq!(org.engine().unavailable_keys(), vec![(KeyId::parse(KEY).unwrap(), 1)]);

    // A fresh engine and backend load the snapshot: nothing lost but the removed key.
    let mut engine = Engine::new(Box::new(OsRng));
    let reloaded = Pkcs11Backend::open(&config).unwrap();
    engine.set_hardware_backend(Box::new(reloaded.clone()));
    engine.load_sealed_into(&snapshot, &ROOT).unwrap();
    assert_eq!(engine.unavailable_keys(), vec![(KeyId::parse(KEY).unwrap(), 1)]);
    let mut org = kms_share_core::scenario::Runner::with_engine(engine, org.now());
    let e = fx::step(&mut org, ALICE, "kms:Decrypt", json!({"CiphertextBlob": ct_b1["CiphertextBlob"]})).error.unwrap();
    assert_eq!(e.code, ErrorCode::DecryptFailed);
    let e = fx::step(&mut org, ALICE, "kms:Encrypt", json!({"KeyId": KEY, "Plaintext": "x"})).error.unwrap();
    assert_eq!(e.code, ErrorCode::InvalidState);
    let pt = fx::ok(fx::step(&mut org, ALICE, "kms:Decrypt", json!({"CiphertextBlob": ct_b2["CiphertextBlob"]})));
    assert_eq!(pt["Plaintext"], "survivor");
    let pt = fx::ok(fx::step(&mut org, A_ROOT, "kms:Decrypt", json!({"CiphertextBlob": ct_sw["CiphertextBlob"]})));
    assert_eq!(pt["Plaintext"], "software");
    fx::ok(fx::step(&mut org, ALICE, "kms:Encrypt", json!({"KeyId": "key-b2", "Plaintext": "still works"})));
    cleanup(&reloaded);
}

#[test]
fn an_object_removed_behind_the_backend_fails_cleanly_after_its_cached_handle_is_rechecked() {
    let Some(config) =
        hsm::config_or_skip("an_object_removed_behind_the_backend_fails_cleanly_after_its_cached_handle_is_rechecked")
    else {
        return;
    };
    let mut b = Pkcs11Backend::open(&config).unwrap();
    let h = b.generate("key-recheck/v1", &mut OsRng).unwrap();
    let ct = b.encrypt(&h, &[9; 12], b"aad", b"cached").unwrap();
    Pkcs11Backend::open(&config).unwrap().destroy(&h).unwrap();
    // Past the recheck interval the cached handle's identity is read again, and found gone.
    thread::sleep(kms_share_pkcs11::backend::RECHECK_AFTER + std::time::Duration::from_millis(100));
    let e = b.encrypt(&h, &[9; 12], b"aad", b"x").unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidState);
    assert!(e.message.contains("token object `key-recheck/v1` was destroyed or removed"), "{}", e.message);
    assert_eq!(b.decrypt(&h, &[9; 12], b"aad", &ct).unwrap_err().code, ErrorCode::DecryptFailed);
    assert!(!b.contains(&h));
    b.destroy(&h).unwrap();
}

#[test]
fn deleting_a_key_destroys_its_token_objects_cr3() {
    let Some((config, backend)) = hsm::backend_or_skip("deleting_a_key_destroys_its_token_objects_cr3") else { return };
    let mut org = fx::org(Box::new(backend.clone()));
    fx::ok(fx::step(&mut org, B_ROOT, "kms:CreateKeyVersion", json!({"KeyId": KEY})));
    let hs = fx::handles(&org, KEY);
    assert_eq!(hs.len(), 2);
    let s = hsm::raw_session(&config);
    assert!(hs.iter().all(|h| hsm::objects(&s, h).len() == 1));
    fx::ok(fx::step(&mut org, B_ROOT, "kms:ScheduleKeyDeletion", json!({"KeyId": KEY, "PendingWindowInDays": 7})));
    assert!(hs.iter().all(|h| backend.contains(h)), "pending deletion keeps the material");
    // The first call after the window ends destroys the key and its versions' objects.
    fx::step_at(
        &mut org,
        B_ROOT,
        "kms:CreateKey",
        json!({"DKMSInstanceId": INSTANCE, "KeyId": "key-later"}),
        Some("2026-01-09T00:00:00Z"),
    );
    for h in &hs {
        assert!(hsm::objects(&s, h).is_empty(), "{h} destroyed");
        assert!(!backend.contains(h));
    }
    cleanup(&backend);
}

#[test]
fn a_what_if_preview_uses_the_token_keys_but_never_creates_or_destroys_token_objects() {
    let Some((config, backend)) =
        hsm::backend_or_skip("a_what_if_preview_uses_the_token_keys_but_never_creates_or_destroys_token_objects")
    else {
        return;
    };
    let org = fx::org(Box::new(backend.clone()));
    let calls = kms_share_core::scenario::calls_from(
        &json!([
            {"caller": ALICE, "action": "kms:Encrypt", "params": {"KeyId": KEY, "Plaintext": "previewed"}},
            {"caller": B_ROOT, "action": "kms:CreateKey", "params": {"DKMSInstanceId": INSTANCE, "KeyId": "key-preview"}},
            {"caller": B_ROOT, "action": "kms:Encrypt", "params": {"KeyId": "key-preview", "Plaintext": "new key"}},
            {"caller": B_ROOT, "action": "kms:ScheduleKeyDeletion", "params": {"KeyId": KEY, "PendingWindowInDays": 7}},
            {"caller": B_ROOT, "action": "kms:DescribeKey", "params": {"KeyId": KEY}, "at": "2026-02-01T00:00:00Z"},
        ]),
        org.now(),
        kms_share_core::engine::Dialect::default(),
    )
    .unwrap();
    let preview = org.engine().what_if(&calls);
    let oks: Vec<&Value> = preview["Steps"].as_array().unwrap().iter().map(|s| &s["ok"]).collect();
    assert_eq!(oks, [true, true, true, true, false], "{preview}");
    assert_eq!(preview["Steps"][4]["error"]["code"], "NotFound", "in the preview the key was deleted: {preview}");
    let s = hsm::raw_session(&config);
    assert!(hsm::objects_labelled(&s, "key-preview/v1").is_empty(), "the preview created a token object");
    let b1 = fx::handles(&org, KEY).remove(0);
    assert_eq!(hsm::objects(&s, &b1).len(), 1, "the preview destroyed a token object");
    assert!(org.engine().unavailable_keys().is_empty());
    cleanup(&backend);
}

#[test]
fn threads_share_one_backend_within_its_session_limit() {
    let Some(mut config) = hsm::config_or_skip("threads_share_one_backend_within_its_session_limit") else { return };
    config.max_sessions = 3;
    let mut backend = Pkcs11Backend::open(&config).unwrap();
    let mut rng = OsRng;
    let keys: Vec<String> = (0..4).map(|i| backend.generate(&format!("key-thread{i}/v1"), &mut rng).unwrap()).collect();
    let shared = Arc::new(backend.clone());
    let keys = Arc::new(keys);
    let workers: Vec<_> = (0..8u8)
        .map(|t| {
            let (b, keys) = (Arc::clone(&shared), Arc::clone(&keys));
            thread::spawn(move || {
                let mut made = Vec::new();
                for i in 0..60u8 {
                    let key = &keys[usize::from(i) % keys.len()];
                    let nonce = [t, i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
                    let aad = [t; 20];
                    let pt = [i; 64];
                    let ct = b.encrypt(key, &nonce, &aad, &pt).unwrap();
                    assert_eq!(b.decrypt(key, &nonce, &aad, &ct).unwrap(), pt);
                    assert!(b.sessions_open() <= 3);
                    made.push((key.clone(), nonce, aad, pt, ct));
                }
                made
            })
        })
        .collect();
    let all: Vec<_> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert_eq!(all.len(), 8 * 60);
    // What one thread encrypted, another decrypts.
    let checkers: Vec<_> = all
        .chunks(all.len() / 4)
        .map(|chunk| {
            let (b, chunk) = (Arc::clone(&shared), chunk.to_vec());
            thread::spawn(move || {
                for (key, nonce, aad, pt, ct) in chunk.iter().rev() {
                    assert_eq!(&b.decrypt(key, nonce, aad, ct).unwrap(), pt);
                }
            })
        })
        .collect();
    checkers.into_iter().for_each(|c| c.join().unwrap());
    assert!(backend.sessions_open() <= 3 && backend.sessions_open() >= 1);
    for k in keys.iter() {
        backend.destroy(k).unwrap();
    }
}

/// The worked example of `docs/ciphertext-format.md`, on a token key holding the
/// example's key bytes: the token's output is the software backend's, byte for byte.
#[test]
fn token_ciphertext_matches_the_software_backend_byte_for_byte() {
    let Some(config) = hsm::config_or_skip("token_ciphertext_matches_the_software_backend_byte_for_byte") else {
        return;
    };
    let backend = Pkcs11Backend::open(&config).unwrap();
    let key: Vec<u8> = (0u8..32).collect();
    let s = hsm::raw_session(&config);
    let r = ObjectRef::new("kat-example/v1", b"kms-share-kat-01").unwrap();
    let mut template = r.template();
    template.extend([
        Attribute::Value(key.clone()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
    ]);
    for stale in hsm::objects(&s, &r.to_handle()) {
        s.destroy_object(stale).unwrap();
    }
    let obj = s.create_object(&template).unwrap();
    let nonce: [u8; 12] = from_hex("cafebabefacedbaddecaf888").unwrap().try_into().unwrap();
    let ctx: kms_share_core::idmap::IdMap<String, String> =
        [("tenant".to_string(), "acme".to_string()), ("purpose".to_string(), "demo".to_string())].into_iter().collect();
    let aad = blob::aad("key-example1", 1, &ctx);
    let ct = backend.encrypt(&r.to_handle(), &nonce, &aad, b"hello").unwrap();
    assert_eq!(kms_share_core::crypto::hex(&ct), "e2c6cc4ac55be59b88ad72737bb950f91b26a6856e");
    let software = AesKey::from_bytes(&key).unwrap().seal(&nonce, &aad, b"hello").unwrap();
    assert_eq!(ct, software);
    let blob = blob::encode(&blob::BlobHeader { key_id: "key-example1".into(), key_version: 1, nonce }, &ct);
    assert_eq!(
        kms_share_core::crypto::b64_encode(&blob),
        "S01TUwEMa2V5LWV4YW1wbGUxAAAAAcr+ur76ztut3sr4iOLGzErFW+WbiK1yc3u5UPkbJqaFbg=="
    );
    assert_eq!(backend.decrypt(&r.to_handle(), &nonce, &aad, &ct).unwrap(), b"hello");
    s.destroy_object(obj).unwrap();
}

#[test]
fn a_missing_module_is_a_clear_error_naming_the_path() {
    let pin = || Pin::new("1234".to_string());
    let nowhere = PathBuf::from("/nonexistent/kms-share/libnothing.so");
    let e = Pkcs11Backend::open(&Pkcs11Config::new(&nowhere, "t", pin())).unwrap_err();
    assert_eq!(e.code, ErrorCode::BackendError);
    assert!(
        e.message.starts_with("the PKCS#11 module `/nonexistent/kms-share/libnothing.so` cannot be opened"),
        "{}",
        e.message
    );
    assert!(e.message.contains("KMS_SHARE_PKCS11_MODULE"), "{}", e.message);
    // A file that is not a shared library at all.
    let not_a_library = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let e = Pkcs11Backend::open(&Pkcs11Config::new(&not_a_library, "t", pin())).unwrap_err();
    assert_eq!(e.code, ErrorCode::BackendError);
    assert!(e.message.starts_with("loading the PKCS#11 module `"), "{}", e.message);
    assert!(e.message.contains("the module did not load"), "{}", e.message);
}

#[test]
fn an_unknown_token_label_is_a_clear_error_listing_the_tokens() {
    let Some(mut config) = hsm::config_or_skip("an_unknown_token_label_is_a_clear_error_listing_the_tokens") else {
        return;
    };
    let real = config.token_label.clone();
    config.token_label = "no-such-token".into();
    let e = Pkcs11Backend::open(&config).unwrap_err();
    assert_eq!(e.code, ErrorCode::BackendError);
    assert!(e.message.starts_with("no token labelled `no-such-token` in the PKCS#11 module `"), "{}", e.message);
    assert!(e.message.contains(&format!("`{real}`")), "lists the tokens present: {}", e.message);
}

#[test]
fn debug_output_never_shows_the_pin() {
    let Some(config) = hsm::config_or_skip("debug_output_never_shows_the_pin") else { return };
    let pin = std::env::var(kms_share_pkcs11::ENV_PIN).unwrap();
    let backend = Pkcs11Backend::open(&config).unwrap();
    for shown in [format!("{config:?}"), format!("{backend:?}")] {
        assert!(!shown.contains(&pin), "{shown}");
    }
    assert!(format!("{backend:?}").contains(&config.token_label));
}

/// Destroy every key a backend still knows of (the suite may run on a real HSM's test token).
fn cleanup(b: &Pkcs11Backend) {
    let mut b = b.clone();
    let root = AesKey::from_bytes(&ROOT).unwrap();
    for h in b.seal_all(&root, &mut SeededRng::new(0)).unwrap().keys() {
        b.destroy(h).unwrap();
    }
}
