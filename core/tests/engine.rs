//! Engine tests through the public API: sealed snapshots (CR-5), crypto round trips and
//! tamper detection (CR-2), fail-closed decisions (AZ-3). Secret hygiene (CR-5) has its
//! own file, `hygiene.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use kms_share_core::api::{DecisionRequest, Organization};
use kms_share_core::crypto::{b64_decode, b64_encode, AesKey, SeededRng};
use kms_share_core::scenario;
use kms_share_core::ErrorCode;
use serde_json::{json, Value};

const SCENARIO: &str = include_str!("../../tests/scenarios/01-dept-a-shares-with-dept-b.json");
const ROOT: [u8; 32] = [7u8; 32];

fn org() -> Organization {
    let (org, res) = Organization::from_scenario(SCENARIO, Box::new(SeededRng::new(9))).unwrap();
    assert!(res.passed);
    org
}

fn step(org: &mut Organization, caller: &str, action: &str, params: Value) -> scenario::StepResult {
    org.step(&json!({ "caller": caller, "action": action, "params": params })).unwrap()
}

const ALICE: &str = "acs:ram::1000000000000003:user/alice";
const B_ROOT: &str = "acs:ram::1000000000000003:root";

#[test]
fn sealed_snapshot_round_trip_is_exact_cr5() {
    let mut o = org();
    let ct = step(&mut o, ALICE, "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "keep me"}));
    let blob = ct.result.unwrap()["CiphertextBlob"].as_str().unwrap().to_string();
    let snap = o.save_sealed(&ROOT).unwrap();
    let mut back = Organization::load_sealed(&snap, &ROOT, Box::new(SeededRng::new(3))).unwrap();
    assert_eq!(back.state(), o.state());
    let pt = step(&mut back, ALICE, "kms:Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(pt.result.unwrap()["Plaintext"], "keep me");
}

#[test]
fn tampered_truncated_or_foreign_snapshots_are_refused_cr5() {
    let mut o = org();
    for version in [3, 2] {
        let snap = o.save_sealed_as(&ROOT, version).unwrap();
        // The documented layout: the format and version first, the tag after the body.
        let start = format!(r#"{{"format":"kms-share-snapshot","version":{version},"nonce":""#);
        assert!(snap.starts_with(&start), "{}", &snap[..80]);
        let doc: serde_json::Value = serde_json::from_str(&snap).unwrap();
        let members: Vec<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(members, ["format", "version", "nonce", "body", "tag"]);
        let load =
            |text: &str, root: &[u8]| Organization::load_sealed(text, root, Box::new(SeededRng::new(1))).unwrap_err();
        assert_eq!(load(&snap, &[8u8; 32]).code, ErrorCode::SnapshotInvalid);
        assert_eq!(load(&snap[..snap.len() / 2], &ROOT).code, ErrorCode::SnapshotInvalid);
        let tampered = snap.replacen("dept-b", "dept-c", 1);
        assert_ne!(tampered, snap);
        let e = load(&tampered, &ROOT);
        assert_eq!(e.code, ErrorCode::SnapshotInvalid);
        assert!(e.message.contains("integrity"), "{}", e.message);
        let this = format!("\"version\":{version}");
        let future = snap.replacen(&this, "\"version\":4", 1);
        assert_ne!(future, snap);
        let e = load(&future, &ROOT);
        assert_eq!(e.message, "unsupported snapshot version 4 (this build reads versions 1 to 3)");
        // The tag covers the body's exact bytes: reformatting it is a modification.
        let spaced = snap.replacen("\"state\":{", "\"state\": {", 1);
        assert_ne!(spaced, snap);
        assert!(load(&spaced, &ROOT).message.contains("integrity"));
        // The version is bound by the tag: a body relabelled as another version is refused.
        for other in (1..=3).filter(|v| *v != version) {
            let relabelled = snap.replacen(&this, &format!("\"version\":{other}"), 1);
            assert_eq!(load(&relabelled, &ROOT).code, ErrorCode::SnapshotInvalid, "{version} as {other}");
        }
        assert_eq!(load(&snap, &[1u8; 31]).code, ErrorCode::InvalidParameter);
    }
    let e = o.save_sealed_as(&ROOT, 1).unwrap_err();
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidParameter, Some("version")));
}

/// A version 1 snapshot, built by hand from its documented layout (`snapshot.rs`), still
/// loads into the same state.
#[test]
fn version_1_snapshots_still_load_cr5() {
    let mut o = org();
    let snap: Value = serde_json::from_str(&o.save_sealed_as(&ROOT, 2).unwrap()).unwrap();
    let body = serde_json::to_string(&snap["body"]).unwrap();
    let nonce = [5u8; 12];
    let root = AesKey::from_bytes(&ROOT).unwrap();
    let tag = root.seal(&nonce, &[b"kms-share/snapshot/v1:".as_slice(), body.as_bytes()].concat(), &[]).unwrap();
    let v1 = json!({"format": "kms-share-snapshot", "version": 1, "body": body,
                    "nonce": b64_encode(&nonce), "tag": b64_encode(&tag)});
    let back = Organization::load_sealed(&v1.to_string(), &ROOT, Box::new(SeededRng::new(3))).unwrap();
    assert_eq!(back.state(), o.state());
    // Its tag covers its own body: another body under the same tag is refused.
    let other = json!({"format": "kms-share-snapshot", "version": 1, "body": body.replacen("dept-b", "dept-c", 1),
                       "nonce": b64_encode(&nonce), "tag": b64_encode(&tag)});
    let e = Organization::load_sealed(&other.to_string(), &ROOT, Box::new(SeededRng::new(3))).unwrap_err();
    assert_eq!(e.code, ErrorCode::SnapshotInvalid);
}

/// Version 2 (what the WebAssembly module writes) still loads natively, into the same
/// state with the same key material; and what version 3 writes is its layout: the keys
/// in `keyTable`, none in the state, no `sealedKeys` entry left for a key version.
#[test]
fn version_2_loads_and_version_3_moves_the_keys_into_its_table_cr5() {
    let mut o = org();
    let ct = step(&mut o, ALICE, "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "keep me"}));
    let blob = ct.result.unwrap()["CiphertextBlob"].as_str().unwrap().to_string();
    for version in [2, 3] {
        let snap = o.save_sealed_as(&ROOT, version).unwrap();
        let mut back = Organization::load_sealed(&snap, &ROOT, Box::new(SeededRng::new(3))).unwrap();
        assert_eq!(back.state(), o.state(), "version {version}");
        let pt = step(&mut back, ALICE, "kms:Decrypt", json!({"CiphertextBlob": blob}));
        assert_eq!(pt.result.unwrap()["Plaintext"], "keep me", "version {version}");
        let doc: Value = serde_json::from_str(&snap).unwrap();
        let body = doc["body"].as_object().unwrap();
        let keys = body["state"]["keys"].as_object().unwrap().len();
        let sealed = body["sealedKeys"].as_object().unwrap().len();
        if version == 2 {
            assert_eq!((keys, sealed, body.contains_key("keyTable")), (o.state().keys.len(), sealed, false));
            assert!(sealed >= keys && keys > 0);
        } else {
            assert_eq!((keys, sealed), (0, 0));
            assert!(!body["keyTable"].as_str().unwrap().is_empty());
        }
    }
}

/// The version 3 snapshot `snap` with its body passed through `edit`, sealed again under
/// [`ROOT`] (so that its integrity tag holds, and what is checked is the body's reader).
fn resealed(snap: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut doc: Value = serde_json::from_str(snap).unwrap();
    edit(&mut doc["body"]);
    let body = serde_json::to_string(&doc["body"]).unwrap();
    let nonce = [3u8; 12];
    let tag = AesKey::from_bytes(&ROOT).unwrap().seal(&nonce, body.as_bytes(), b"kms-share/snapshot/v3").unwrap();
    format!(
        r#"{{"format":"kms-share-snapshot","version":3,"nonce":"{}","body":{body},"tag":"{}"}}"#,
        b64_encode(&nonce),
        b64_encode(&tag)
    )
}

/// The bytes of a version 3 snapshot's key table.
fn table_of(snap: &str) -> Vec<u8> {
    let doc: Value = serde_json::from_str(snap).unwrap();
    b64_decode("t", doc["body"]["keyTable"].as_str().unwrap()).unwrap()
}

/// The version 3 snapshot `snap` with its key table's bytes passed through `edit`,
/// sealed again ([`resealed`]).
fn with_table(snap: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut table = table_of(snap);
    edit(&mut table);
    resealed(snap, |body| body["keyTable"] = Value::String(b64_encode(&table)))
}

/// A key table that does not read is refused with what is wrong, whatever its bytes,
/// even under a valid tag (a snapshot written wrongly): never a panic, never a partial
/// load. Edits that keep the table readable load, or are refused later, as a whole.
#[test]
fn a_malformed_key_table_is_refused_whatever_its_bytes_cr5() {
    let mut o = org();
    let snap = o.save_sealed_as(&ROOT, 3).unwrap();
    let load = |text: &str| Organization::load_sealed(text, &ROOT, Box::new(SeededRng::new(1)));
    // Resealed unchanged, it loads.
    assert_eq!(load(&with_table(&snap, |_| {})).unwrap().state(), o.state());
    let refused = |text: &str| {
        let e = load(text).expect_err("refused");
        assert_eq!((e.code, e.rule.map(|r| r.id())), (ErrorCode::SnapshotInvalid, Some("CR-5")));
        e.message
    };
    assert_eq!(
        refused(&with_table(&snap, |t| t.truncate(t.len() - 1))),
        format!("the key table is malformed: it ends early (key {} of the table)", o.state().keys.len())
    );
    assert_eq!(refused(&with_table(&snap, |t| t.push(0))), "the key table is malformed: bytes after the last key");
    assert_eq!(refused(&with_table(&snap, |t| t[0] = 9)), "the key table is malformed: an unknown layout");
    assert_eq!(refused(&with_table(&snap, Vec::clear)), "the key table is malformed: it ends early");
    // The table is base64 inside the body: anything else is refused before it is read.
    let text = resealed(&snap, |body| body["keyTable"] = Value::String("not base64!".into()));
    assert_eq!(refused(&text), "the snapshot's key table is not base64");
    // Every single-byte change and every truncation: refused with a message, or loaded
    // whole (a change inside a text, a number or sealed material that still reads).
    let table = table_of(&snap);
    let mut x: u64 = 0x853c_49e6_748f_ea9b;
    for i in 0..table.len() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let flipped = with_table(&snap, |t| t[i] ^= (x as u8) | 1);
        match load(&flipped) {
            Ok(back) => assert_eq!(back.state().keys.len(), o.state().keys.len(), "byte {i}"),
            Err(e) => assert_eq!(e.code, ErrorCode::SnapshotInvalid, "byte {i}: {}", e.message),
        }
        let cut = with_table(&snap, |t| t.truncate(i));
        assert!(refused(&cut).starts_with("the key table is malformed: "), "cut at {i}");
    }
    // Keys come in ascending order of their ids, each once: the first key not after the
    // one before it is named.
    step(&mut o, B_ROOT, "kms:CreateKey", json!({"DKMSInstanceId": "kst-depta", "KeyId": "key-b2"}));
    let two = o.save_sealed_as(&ROOT, 3).unwrap();
    let with_second_id = |id: &str| {
        with_table(&two, |t| {
            let record = [&6u32.to_le_bytes()[..], b"key-b2"].concat();
            let at = t.windows(record.len()).position(|w| w == record.as_slice()).unwrap();
            t[at + 4..at + 10].copy_from_slice(id.as_bytes());
        })
    };
    for id in ["key-b1", "key-a9"] {
        assert_eq!(
            refused(&with_second_id(id)),
            "the key table is malformed: a key id not after the one before it (keys are in ascending order, \
             each once) (key 2 of the table)",
            "{id}"
        );
    }
    assert_eq!(load(&with_second_id("key-c0")).unwrap().state().keys.len(), 2);
}

/// The version 3 snapshot of scenario 01's organization under [`ROOT`] that the
/// WebAssembly tests load (and refuse: that module reads versions 1 and 2). It must stay
/// a snapshot this build reads into that organization; `KMS_SHARE_WRITE_FIXTURES=1`
/// writes it again.
#[test]
fn the_version_3_fixture_is_scenario_01_sealed_cr5() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/snapshots/dept-ab.v3.snapshot");
    let mut o = org();
    if std::env::var_os("KMS_SHARE_WRITE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, o.save_sealed_as(&ROOT, 3).unwrap()).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(r#"{"format":"kms-share-snapshot","version":3,"#), "{}", &text[..60]);
    let back = Organization::load_sealed(&text, &ROOT, Box::new(SeededRng::new(3)))
        .expect("the fixture loads (KMS_SHARE_WRITE_FIXTURES=1 writes it again after a format change)");
    assert_eq!(back.state(), o.state());
}

#[test]
fn decrypt_with_wrong_context_or_tampered_blob_fails_opaquely_cr2() {
    let mut o = org();
    let r = step(
        &mut o,
        B_ROOT,
        "kms:Encrypt",
        json!({"KeyId": "key-b1", "Plaintext": "ctx", "EncryptionContext": {"app": "a", "env": "prod"}}),
    );
    let blob = r.result.unwrap()["CiphertextBlob"].as_str().unwrap().to_string();
    // Context order does not matter.
    let ok = step(
        &mut o,
        B_ROOT,
        "kms:Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"env": "prod", "app": "a"}}),
    );
    assert!(ok.ok);
    let wrong = step(
        &mut o,
        B_ROOT,
        "kms:Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"app": "b", "env": "prod"}}),
    );
    assert_eq!(wrong.error.unwrap().code, ErrorCode::DecryptFailed);
    let mut raw = b64_decode("x", &blob).unwrap();
    // Flip every byte after the header in turn: each is DecryptFailed (or a structural InvalidParameter).
    for i in 0..raw.len() {
        raw[i] ^= 0x01;
        let r = step(
            &mut o,
            B_ROOT,
            "kms:Decrypt",
            json!({"CiphertextBlob": b64_encode(&raw), "EncryptionContext": {"app": "a", "env": "prod"}}),
        );
        raw[i] ^= 0x01;
        let code = r.error.expect("a tampered blob never decrypts").code;
        assert!(matches!(code, ErrorCode::DecryptFailed | ErrorCode::InvalidParameter), "byte {i}: {code:?}");
    }
}

#[test]
fn unknown_identity_action_or_resource_is_deny_never_allow_az3() {
    let o = org();
    let req = |caller: &str, action: &str, resource: &str| DecisionRequest {
        caller: caller.into(),
        action: action.into(),
        resource: resource.into(),
        region: None,
    };
    for (c, a, r) in [
        ("acs:ram::1000000000000003:user/mallory", "kms:Encrypt", "key-b1"),
        ("acs:ram::9999999999999999:root", "kms:Encrypt", "key-b1"),
        (B_ROOT, "kms:Encrypt", "key-nosuchkey"),
        (B_ROOT, "kms:Encrypt", "kst-nosuch"),
    ] {
        let d = o.explain(&req(c, a, r)).unwrap();
        assert!(!d.allowed(), "{c} {a} {r} must be denied");
        assert!(d.fix.is_some());
    }
    // An unknown action is bad input, as it is for a call (RAM-3): never an Allow.
    let e = o.explain(&req(B_ROOT, "kms:FlyToTheMoon", "key-b1")).unwrap_err();
    assert_eq!((e.code, e.rule.map(|r| r.id())), (ErrorCode::InvalidParameter, Some("RAM-3")));
    assert!(!o.is_allowed(B_ROOT, "kms:FlyToTheMoon", "key-b1"));
    assert!(!o.is_allowed("not an identity", "kms:Encrypt", "key-b1"));
    assert_eq!(o.explain(&req("garbage", "kms:Encrypt", "key-b1")).unwrap_err().code, ErrorCode::InvalidParameter);
}

#[test]
fn allowed_actions_lists_what_a_console_may_enable() {
    let o = org();
    let a = o.allowed_actions(ALICE, "key-b1").unwrap();
    assert_eq!(a, vec!["kms:Encrypt".to_string(), "kms:Decrypt".to_string()]);
    let root = o.allowed_actions(B_ROOT, "key-b1").unwrap();
    assert!(root.contains(&"kms:ScheduleKeyDeletion".to_string()));
    assert!(!root.contains(&"kms:CreateBackup".to_string()), "a principal never backs up");
}

#[test]
fn policy_export_answers_the_same_decisions_without_material() {
    let mut o = org();
    let ct = step(&mut o, B_ROOT, "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "x"}));
    let blob = ct.result.unwrap()["CiphertextBlob"].as_str().unwrap().to_string();
    let mut page = Organization::new(None, Box::new(SeededRng::new(5)), None).unwrap();
    page.load_state(o.policy_export());
    // The page's engine has made no key backend yet (it is made on first use): a decrypt
    // meets none and fails as an empty backend does: the opaque DecryptFailed (CR-2).
    let r = step(&mut page, B_ROOT, "kms:Decrypt", json!({"CiphertextBlob": blob}));
    let e = r.error.unwrap();
    assert_eq!((e.code, e.rule.map(|r| r.id())), (ErrorCode::DecryptFailed, Some("CR-2")), "{}", e.message);
    for (c, a, r) in [
        (ALICE, "kms:Encrypt", "key-b1"),
        (ALICE, "kms:ScheduleKeyDeletion", "key-b1"),
        ("acs:ram::1000000000000002:root", "kms:Decrypt", "key-b1"),
    ] {
        assert_eq!(page.is_allowed(c, a, r), o.is_allowed(c, a, r), "{c} {a} {r}");
    }
    // No material: encryption fails cleanly.
    let r = step(&mut page, B_ROOT, "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "x"}));
    assert_eq!(r.error.unwrap().code, ErrorCode::InvalidState);
}

#[test]
fn every_error_code_is_documented() {
    let doc = include_str!("../../docs/errors.md");
    for c in ErrorCode::ALL {
        assert!(doc.contains(&format!("| `{}` |", c.as_str())), "docs/errors.md lacks {}", c.as_str());
    }
}

#[test]
fn batch_answers_take_the_region_into_account_ki6() {
    let o = org();
    let req = |region: Option<&str>| DecisionRequest {
        caller: ALICE.into(),
        action: "kms:Encrypt".into(),
        resource: "key-b1".into(),
        region: region.map(String::from),
    };
    let reqs = [req(None), req(Some("cn-hangzhou")), req(Some("cn-shanghai"))];
    assert_eq!(o.allowed_batch(&reqs), vec![true, true, false]);
    let explained: Vec<bool> = o.explain_batch(&reqs).into_iter().map(|d| d.unwrap().allowed()).collect();
    assert_eq!(explained, vec![true, true, false]);
    // The same requests borrowed (as the Python wheel passes a batch).
    let borrowed: Vec<_> = reqs.iter().map(DecisionRequest::borrowed).collect();
    assert_eq!(o.allowed_batch_of(&borrowed), vec![true, true, false]);
    let explained: Vec<bool> = o.explain_batch_of(&borrowed).into_iter().map(|d| d.unwrap().allowed()).collect();
    assert_eq!(explained, vec![true, true, false]);
}

#[test]
fn key_state_reads_back_as_written_and_contradictions_are_refused_cr3() {
    use kms_share_core::model::KeyState;
    for (text, want) in [
        (r#"{"state":"enabled"}"#, KeyState::Enabled),
        (r#"{"state":"disabled"}"#, KeyState::Disabled),
        (
            r#"{"state":"pendingDeletion","deleteAt":1767830400000}"#,
            KeyState::PendingDeletion { delete_at: 1_767_830_400_000 },
        ),
    ] {
        assert_eq!(serde_json::from_str::<KeyState>(text).unwrap(), want, "{text}");
        assert_eq!(serde_json::to_string(&want).unwrap(), text);
    }
    for (text, message) in [
        (r#"{"state":"pendingDeletion"}"#, "a key pending deletion needs `deleteAt` (CR-3)"),
        (r#"{"state":"enabled","deleteAt":5}"#, "only a key pending deletion has a `deleteAt` (CR-3)"),
        (r#"{"state":"enabled","since":5}"#, "unknown field `since`, expected `state` or `deleteAt`"),
        (
            r#"{"state":"destroyed"}"#,
            "unknown variant `destroyed`, expected one of `enabled`, `disabled`, `pendingDeletion`",
        ),
        (r#"{"deleteAt":5}"#, "missing field `state`"),
    ] {
        let err = serde_json::from_str::<KeyState>(text).unwrap_err().to_string();
        assert!(err.starts_with(message), "{text}: {err}");
    }
}

#[test]
fn records_are_read_from_objects_only() {
    // README Semantics 24: a record given as the array of its field values is refused,
    // in a state document as in a step.
    let mut o = org();
    let err = o.step(&json!([ALICE, "kms:Encrypt"])).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidParameter);
    assert_eq!(err.message, "invalid type: sequence, expected struct Step");
    let key = r#"{"id": "key-a", "instance": "kst-a", "creator": "1000000000000002", "spec": "Aliyun_AES_256",
        "state": ["enabled"], "deletionProtection": false, "versions": [], "createdAt": 0}"#;
    let err = kms_share_core::objects::from_str::<kms_share_core::state::State>(&format!(
        r#"{{"keys": {{"key-a": {key}}}}}"#
    ))
    .unwrap_err();
    assert_eq!(err.to_string(), "key-a: state: invalid type: sequence, expected struct KeyState at line 2 column 91");
}

#[test]
fn share_permissions_keep_set_order_and_uniqueness_rs4() {
    use kms_share_core::model::{SharePermission, SharePermissions};
    let p = |name: &str, version: Option<&str>| SharePermission { name: name.into(), version: version.map(Into::into) };
    // Read from a list in any order, with a repeat: sorted by name then version, once each.
    let text = r#"[{"name":"B","version":"v2"},{"name":"A"},{"name":"B","version":"v1"},{"name":"A"}]"#;
    let set: SharePermissions = serde_json::from_str(text).unwrap();
    let want = vec![p("A", None), p("B", Some("v1")), p("B", Some("v2"))];
    assert_eq!(set.iter().cloned().collect::<Vec<_>>(), want);
    assert_eq!(
        serde_json::to_string(&set).unwrap(),
        r#"[{"name":"A"},{"name":"B","version":"v1"},{"name":"B","version":"v2"}]"#
    );
    let mut set = set;
    assert!(!set.insert(p("A", None)));
    assert!(set.insert(p("AA", None)));
    set.retain(|x| x.name != "B");
    assert_eq!(set.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["A", "AA"]);
    assert_eq!(set.len(), 2);
}
