//! Secret hygiene (CR-5; the audit trail of AT-1/AT-2 is one of the forms): an
//! organization holding known key material, data keys, Encrypt plaintexts and secret
//! values is driven through key and secret operations that succeed and that fail, then
//! every serialized form the product produces is searched for each of those values in
//! every encoding it could take.
//!
//! The key material is known exactly: the organization draws its randomness from a
//! recording source, every 32-byte draw (key material or data key) is a needle, and the
//! test unseals the snapshot's key material itself to prove that those draws are the keys.
//! A value a step returns by design (the data key of `GenerateDataKey`, the plaintext of
//! `Decrypt`, the value of `GetSecretValue`) is checked exactly, then removed from that
//! one step's result only; everything else, that step included, is still searched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use kms_share_core::api::{DecisionRequest, Organization};
use kms_share_core::crypto::{b64_decode, b64_encode, hex, sha256, AesKey, RandomSource, SeededRng};
use kms_share_core::scenario::{self, RunOptions, StepResult};
use kms_share_core::ErrorCode;
use serde::Serialize;
use serde_json::{json, Value};

const SCENARIO: &str = include_str!("../../tests/scenarios/01-dept-a-shares-with-dept-b.json");
const MGMT: &str = "acs:ram::1000000000000001:root";
const A_ROOT: &str = "acs:ram::1000000000000002:root";
const B_ROOT: &str = "acs:ram::1000000000000003:root";
const ALICE: &str = "acs:ram::1000000000000003:user/alice";
const SECRET_ARN: &str = "acs:kms:cn-hangzhou:1000000000000003:secret/db";

/// Scenario 01's own Encrypt plaintext.
const HELLO: &str = "hello from B";
const PLAIN_ALICE: &str = "plaintext-alice-6c1f0e9a2d";
const PLAIN_OWNER: &str = "plaintext-owner-b47d13e85c";
const PLAIN_DENIED: &str = "plaintext-denied-0e92c4a7f1";
const PLAIN_PREVIEW: &str = "plaintext-preview-5a3be8d046";
const SECRET_V1: &str = "secret-value-v1-9d2f7c1b3e";
const SECRET_V2: &str = "secret-value-v2-41e8a06dc5";
/// Offered by refused writes only: it must never be stored nor echoed.
const SECRET_REFUSED: &str = "secret-value-refused-7b5c02";
const SECRET_PREVIEW: &str = "secret-value-preview-c83f19";

/// The seed of the copy a what-if preview runs on (`Engine::fork`): its stream is public.
const PREVIEW_SEED: u64 = 0x5eed_f0f0;

#[test]
fn no_key_material_data_key_plaintext_or_secret_value_in_any_serialized_form_cr5() {
    let root = sha256(b"kms-share hygiene test root key");
    let draws = Arc::new(Mutex::new(Vec::new()));
    let rng = Recording { inner: SeededRng::new(11), draws: Arc::clone(&draws) };
    let (doc, reveals) = document(&root);
    let opts = RunOptions { check_unchanged_on_failure: true };
    let (mut org, mut run) = Organization::from_scenario_with(&doc.to_string(), Box::new(rng), opts).unwrap();
    let failures: Vec<String> = run.steps.iter().flat_map(|s| s.expect_failures.clone()).collect();
    assert!(run.passed, "expectations failed: {failures:#?}");
    assert_eq!(run.steps_run, doc["steps"].as_array().unwrap().len());
    assert_eq!(run.errors, 11, "the failing steps failed, and only those");
    let draws: Vec<Vec<u8>> = draws.lock().unwrap().clone();
    assert_eq!(draws.len(), 6, "4 key versions and 2 data keys are drawn (32 bytes each), nothing else");

    // The values returned by design: checked exactly, then removed from that step only.
    let mut data_key = Vec::new();
    for r in &reveals {
        let result = run.steps[r.step].result.as_mut().unwrap().as_object_mut().unwrap();
        let got = result.remove(r.field).unwrap_or_else(|| panic!("step {} has no {}", r.step, r.field));
        match &r.value {
            Some(v) => assert_eq!(&got, v, "step {} {}", r.step, r.field),
            None => data_key = b64_decode("Plaintext", got.as_str().unwrap()).unwrap(),
        }
    }
    assert!(draws.contains(&data_key), "the data key GenerateDataKey returned is a recorded draw");

    // The key material, read back from the sealed snapshot (version 2, whose
    // `sealedKeys` holds every entry): exactly the other draws.
    let snapshot = org.save_sealed_as(&root, 2).unwrap();
    let material = unseal(&snapshot, &root);
    let handles: Vec<&str> = material.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(handles, ["sw:key-a1/v1", "sw:key-b1/v1", "sw:key-b1/v2", "sw:key-b2/v1"]);
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for (handle, m) in material {
        assert!(draws.contains(&m), "the material of {handle} is a recorded draw");
        needles.push((format!("key material {handle}"), m));
    }
    let rest: Vec<&Vec<u8>> = draws.iter().filter(|d| !needles.iter().any(|(_, m)| m == *d)).collect();
    assert_eq!(rest.len(), 2, "two data keys");
    for d in rest {
        let what = if *d == data_key { "GenerateDataKey" } else { "GenerateDataKeyWithoutPlaintext" };
        needles.push((format!("data key of {what}"), d.clone()));
    }
    needles.push(("the host's root key".into(), root.to_vec()));
    for (what, v) in [
        ("Encrypt plaintext of scenario 01", HELLO),
        ("Encrypt plaintext of alice", PLAIN_ALICE),
        ("Encrypt plaintext of the owner", PLAIN_OWNER),
        ("plaintext of a denied Encrypt", PLAIN_DENIED),
        ("Encrypt plaintext of a preview", PLAIN_PREVIEW),
        ("secret value v1", SECRET_V1),
        ("secret value v2", SECRET_V2),
        ("secret value of refused writes", SECRET_REFUSED),
        ("secret value of a preview", SECRET_PREVIEW),
    ] {
        needles.push((what.into(), v.as_bytes().to_vec()));
    }

    let mut forms = Forms::default();
    forms.text("scenario result document (scenario::to_json)", scenario::to_json(&run));
    forms.both("scenario result document", &run);
    for s in &run.steps {
        forms.step(&format!("step {} {}", s.index, s.action), s);
    }
    forms.text("sealed snapshot", snapshot.clone());
    let snapshot_v3 = org.save_sealed(&root).unwrap();
    assert!(snapshot_v3.contains("\"keyTable\":"));
    forms.text("sealed snapshot (version 3)", snapshot_v3.clone());
    forms.both("state", org.state());
    forms.both("policy export", &org.policy_export());
    forms.both("audit trail", &org.state().audit);
    forms.debug("Organization", &org);
    forms.debug("Engine", org.engine());
    queries(&org, &mut forms);
    let previews = previewed(&org, &run, &mut forms);

    // A malformed step carrying a secret value is refused without echoing it.
    let bad = json!({"caller": B_ROOT, "action": "kms:CreateSecret", "bogus": 1,
        "params": {"SecretName": "db4", "SecretData": SECRET_REFUSED, "EncryptionKeyId": "key-b1"}});
    let e = org.step(&bad).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidParameter);
    forms.error("malformed step", &e);

    // What a reload produces, and what a refused reload says.
    let back_v3 = Organization::load_sealed(&snapshot_v3, &root, Box::new(SeededRng::new(3))).unwrap();
    assert_eq!(back_v3.state(), org.state());
    forms.debug("Organization reloaded from version 3", &back_v3);
    let mut back = Organization::load_sealed(&snapshot, &root, Box::new(SeededRng::new(3))).unwrap();
    assert_eq!(back.state(), org.state());
    forms.both("reloaded state", back.state());
    forms.debug("reloaded Organization", &back);
    forms.text("snapshot of the reloaded organization", back.save_sealed(&root).unwrap());
    let e = Organization::load_sealed(&snapshot, &[9u8; 32], Box::new(SeededRng::new(3))).unwrap_err();
    assert_eq!(e.code, ErrorCode::SnapshotInvalid);
    forms.error("reload under another root key", &e);

    let mut search = Search::new(&needles);
    for (form, text) in &forms.0 {
        search.run(form, text);
    }
    // The preview's own randomness is a public stream: no 32-byte window of it may show.
    let mut stream = vec![0u8; 512];
    SeededRng::new(PREVIEW_SEED).fill(&mut stream).unwrap();
    let windows: Vec<(String, Vec<u8>)> =
        stream.windows(32).enumerate().map(|(i, w)| (format!("preview draw at byte {i}"), w.to_vec())).collect();
    let mut preview_search = Search::new(&windows);
    for (form, text) in &previews.0 {
        preview_search.run(form, text);
    }
    let checks = search.checks + preview_search.checks;
    let leaks: Vec<String> = search.leaks.into_iter().chain(preview_search.leaks).collect();
    println!("{} forms, {} needles, {checks} checks", forms.0.len(), needles.len());
    assert!(leaks.is_empty(), "{} leak(s):\n{}", leaks.len(), leaks.join("\n"));
    assert!(forms.0.len() > 250 && checks > 80_000, "{} forms, {checks} checks: the search ran", forms.0.len());
}

#[test]
fn the_search_finds_a_needle_in_every_encoding_and_position_cr5() {
    // Random bytes with a control character, a quote and invalid UTF-8: every escape differs.
    let mut needle = sha256(b"needle").to_vec();
    needle[..3].copy_from_slice(&[0x01, b'"', 0xff]);
    let mut search = Search::new(&[("the needle".to_string(), needle.clone())]);
    let per_needle = search.needles[0].1.len();
    assert_eq!(per_needle, 13, "{:?}", search.needles[0].1.iter().map(|(e, _)| e).collect::<Vec<_>>());
    search.run("clean text", "nothing here");
    assert!(search.leaks.is_empty());
    let mut hay: Vec<(String, String)> = vec![
        ("lossy".into(), format!("x{}y", String::from_utf8_lossy(&needle))),
        ("json".into(), serde_json::to_string(&json!({ "k": String::from_utf8_lossy(&needle) })).unwrap()),
        ("debug".into(), format!("{:?}", String::from_utf8_lossy(&needle))),
        ("hex".into(), format!("a{}", hex(&needle))),
        ("HEX".into(), hex(&needle).to_uppercase()),
        ("list".into(), format!("{needle:?}")),
        ("json list".into(), serde_json::to_string(&needle).unwrap()),
    ];
    for shift in 0..3 {
        // The needle inside a longer blob, at each position modulo 3.
        let mut blob = vec![0xa5u8; shift];
        blob.extend_from_slice(&needle);
        blob.extend_from_slice(b"tail");
        hay.push((format!("b64 {shift}"), b64_encode(&blob)));
        hay.push((format!("b64url {shift}"), b64_encode(&blob).replace('+', "-").replace('/', "_")));
    }
    for (name, text) in &hay {
        let before = search.leaks.len();
        search.run(name, text);
        assert!(search.leaks.len() > before, "{name} not found in {text}");
    }
    let found: std::collections::BTreeSet<&str> =
        search.leaks.iter().map(|l| l.rsplit(" as ").next().unwrap()).collect();
    assert_eq!(found.len(), per_needle, "every encoding caught something: {found:?}");
    assert_eq!(search.checks, per_needle * (hay.len() + 1));
}

#[test]
fn a_preview_shows_no_plaintext_secret_value_or_ciphertext_cr5() {
    // A preview runs as whichever callers its steps name, on a copy whose nonces come
    // from a fixed seed under the real keys: it shows what the steps did, never a value.
    let (mut org, _) = Organization::from_scenario(SCENARIO, Box::new(SeededRng::new(9))).unwrap();
    let create = json!({"SecretName": "db", "SecretData": SECRET_V1, "EncryptionKeyId": "key-b1"});
    assert!(org.step(&step(B_ROOT, "kms:CreateSecret", create, json!({"ok": true}))).unwrap().ok);
    for plaintext in [PLAIN_ALICE, PLAIN_OWNER] {
        let preview = org
            .what_if(&json!([
                {"caller": B_ROOT, "action": "kms:Encrypt", "params": {"KeyId": "key-b1", "Plaintext": plaintext}},
                {"caller": B_ROOT, "action": "kms:GenerateDataKey", "params": {"KeyId": "key-b1"}},
                {"caller": B_ROOT, "action": "kms:GetSecretValue", "params": {"SecretName": "db"}},
            ]))
            .unwrap();
        for s in preview["Steps"].as_array().unwrap() {
            assert_eq!(s["ok"], true, "{preview}");
            assert!(s["result"]["KeyId"].is_string() || s["result"]["SecretName"] == "db", "{preview}");
            for field in ["Plaintext", "SecretData", "CiphertextBlob"] {
                assert!(s["result"].get(field).is_none(), "a preview shows {field}: {preview}");
            }
        }
    }
    // The management account may not read the secret, nor see it through a preview.
    let get = json!([{"caller": B_ROOT, "action": "kms:GetSecretValue", "params": {"SecretName": "db"}}]);
    let w = org.step(&step(MGMT, "WhatIf", json!({ "Steps": get }), json!({"ok": true}))).unwrap();
    let inner = &w.result.as_ref().unwrap()["Steps"][0];
    assert_eq!(inner["ok"], true);
    let shown = json!({
        "SecretName": "db", "VersionId": "v1", "VersionStages": {"VersionStage": ["ACSCurrent"]},
        "AutomaticRotation": "Disabled", "SecretDataType": "text", "SecretType": "Generic",
        "CreateTime": "2026-01-01T00:00:00Z",
    });
    assert_eq!(inner["result"], shown);
}

/// Randomness from a seed, keeping a copy of every 32-byte draw: key material and data keys.
struct Recording {
    inner: SeededRng,
    draws: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl RandomSource for Recording {
    fn fill(&mut self, buf: &mut [u8]) -> kms_share_core::Result<()> {
        self.inner.fill(buf)?;
        if buf.len() == 32 {
            self.draws.lock().unwrap().push(buf.to_vec());
        }
        Ok(())
    }
}

/// A value a step returns by design; `None` for the data key, known only after the run.
struct Reveal {
    step: usize,
    field: &'static str,
    value: Option<Value>,
}

fn step(caller: &str, action: &str, params: Value, expect: Value) -> Value {
    json!({ "caller": caller, "action": action, "params": params, "expect": expect })
}

fn denied(by: &str) -> Value {
    json!({ "ok": false, "error": "AccessDenied", "deniedBy": by })
}

fn failed(code: &str) -> Value {
    json!({ "ok": false, "error": code })
}

/// Scenario 01 without its seed (so the recording source is used), plus every key and
/// secret operation, succeeding and failing, and every query.
fn document(root: &[u8; 32]) -> (Value, Vec<Reveal>) {
    let mut doc: Value = serde_json::from_str(SCENARIO).unwrap();
    doc.as_object_mut().unwrap().remove("seed");
    let ok = json!({ "ok": true });
    let steps = doc["steps"].as_array_mut().unwrap();
    let hello = steps.iter().position(|s| s["action"] == "kms:Decrypt").unwrap();
    let mut reveals = vec![Reveal { step: hello, field: "Plaintext", value: Some(json!(HELLO)) }];
    let ctx = json!({ "app": "hygiene" });
    let root_b64 = b64_encode(root);
    let mut add = |s: Value, reveal: Option<(&'static str, Option<Value>)>| {
        if let Some((field, value)) = reveal {
            reveals.push(Reveal { step: steps.len(), field, value });
        }
        steps.push(s);
    };
    add(step(B_ROOT, "kms:CreateKey", json!({"DKMSInstanceId": "kst-depta", "KeyId": "key-b2"}), ok.clone()), None);
    add(step(B_ROOT, "kms:CreateKeyVersion", json!({"KeyId": "key-b1"}), ok.clone()), None);
    add(step(A_ROOT, "kms:CreateKey", json!({"DKMSInstanceId": "kst-depta", "KeyId": "key-a1"}), ok.clone()), None);
    add(step(B_ROOT, "kms:GenerateDataKey", json!({"KeyId": "key-b1"}), ok.clone()), Some(("Plaintext", None)));
    add(step(B_ROOT, "kms:GenerateDataKeyWithoutPlaintext", json!({"KeyId": "key-b2"}), ok.clone()), None);
    let create = json!({"SecretName": "db", "SecretData": SECRET_V1, "EncryptionKeyId": "key-b1"});
    add(step(B_ROOT, "kms:CreateSecret", create, ok.clone()), None);
    let put = json!({"SecretName": "db", "SecretData": SECRET_V2, "VersionId": "v2"});
    add(step(B_ROOT, "kms:PutSecretValue", put, ok.clone()), None);
    let dup = json!({"SecretName": "db", "SecretData": SECRET_REFUSED, "EncryptionKeyId": "key-b1"});
    add(step(B_ROOT, "kms:CreateSecret", dup, failed("NameConflict")), None);
    let put_again = json!({"SecretName": "db", "SecretData": SECRET_REFUSED, "VersionId": "v2"});
    add(step(B_ROOT, "kms:PutSecretValue", put_again, failed("AlreadyExists")), None);
    let put_alice = json!({"SecretName": "db", "SecretData": SECRET_REFUSED, "VersionId": "v3"});
    add(step(ALICE, "kms:PutSecretValue", put_alice, denied("ramPolicy")), None);
    let unknown = json!({"SecretName": "db3", "SecretData": SECRET_REFUSED, "EncryptionKeyId": "key-b1", "Bogus": "x"});
    add(step(B_ROOT, "kms:CreateSecret", unknown, failed("InvalidParameter")), None);
    let enc = json!({"KeyId": "key-b1", "Plaintext": PLAIN_ALICE, "EncryptionContext": ctx});
    add(json!({"caller": ALICE, "action": "kms:Encrypt", "params": enc, "bind": "ct", "expect": ok.clone()}), None);
    let wrong = json!({"CiphertextBlob": "$ct.CiphertextBlob", "EncryptionContext": {"app": "other"}});
    add(step(ALICE, "kms:Decrypt", wrong, failed("DecryptFailed")), None);
    let right = json!({"CiphertextBlob": "$ct.CiphertextBlob", "EncryptionContext": ctx});
    add(step(ALICE, "kms:Decrypt", right, ok.clone()), Some(("Plaintext", Some(json!(PLAIN_ALICE)))));
    add(step(A_ROOT, "kms:Encrypt", json!({"KeyId": "key-a1", "Plaintext": PLAIN_OWNER}), ok.clone()), None);
    let other = json!({"KeyId": "key-a1", "Plaintext": PLAIN_DENIED});
    add(step(B_ROOT, "kms:Encrypt", other, denied("ownership")), None);
    add(
        step(ALICE, "kms:Encrypt", json!({"KeyId": "key-nosuch", "Plaintext": PLAIN_DENIED}), failed("NotFound")),
        None,
    );
    let re =
        json!({"CiphertextBlob": "$ct.CiphertextBlob", "DestinationKeyId": "key-b2", "SourceEncryptionContext": ctx});
    add(step(B_ROOT, "kms:ReEncrypt", re, ok.clone()), None);
    add(step(MGMT, "kms:GetSecretValue", json!({"SecretName": SECRET_ARN}), denied("sharing")), None);
    add(step(ALICE, "kms:GetSecretValue", json!({"SecretName": "db"}), denied("ramPolicy")), None);
    let get = step(B_ROOT, "kms:GetSecretValue", json!({"SecretName": "db"}), ok.clone());
    add(get, Some(("SecretData", Some(json!(SECRET_V2)))));
    let previous = json!({"SecretName": SECRET_ARN, "VersionStage": "ACSPrevious"});
    add(step(A_ROOT, "kms:GetSecretValue", previous, ok.clone()), Some(("SecretData", Some(json!(SECRET_V1)))));
    add(step(B_ROOT, "kms:DescribeSecret", json!({"SecretName": "db"}), ok.clone()), None);
    let explain = json!({"Action": "kms:GetSecretValue", "Resource": SECRET_ARN});
    add(step(ALICE, "Explain", explain, json!({"effect": "Deny", "deniedBy": "ramPolicy"})), None);
    add(step(A_ROOT, "WhoCan", json!({"Action": "kms:Decrypt", "Resource": "key-b1"}), ok.clone()), None);
    add(step(A_ROOT, "AccessMatrix", json!({"InstanceId": "kst-depta"}), ok.clone()), None);
    // A preview by the owner, and by an account the instance is not shared with.
    for caller in [A_ROOT, MGMT] {
        add(step(caller, "WhatIf", json!({ "Steps": preview_steps("$ct.CiphertextBlob") }), ok.clone()), None);
    }
    add(step(A_ROOT, "LookupEvents", json!({}), ok.clone()), None);
    add(step(B_ROOT, "LookupEvents", json!({}), ok.clone()), None);
    add(step(MGMT, "VerifyAuditTrail", json!({}), json!({"ok": true, "result": {"Valid": true}})), None);
    let reload = json!({"ok": true, "result": {"KeyVersionsSealed": 4, "StateIdentical": true}});
    add(step(MGMT, "SealAndReload", json!({ "RootKey": root_b64 }), reload), None);
    // A root key that is almost right: unpadded, or one byte short.
    let unpadded = root_b64.trim_end_matches('=');
    add(step(MGMT, "SealAndReload", json!({ "RootKey": unpadded }), failed("InvalidParameter")), None);
    let short = b64_encode(&root[..31]);
    add(step(MGMT, "SealAndReload", json!({ "RootKey": short }), failed("InvalidParameter")), None);
    (doc, reveals)
}

/// Preview steps that touch every value: reads, decryption, a data key, new material.
fn preview_steps(blob: &str) -> Value {
    json!([
        {"caller": B_ROOT, "action": "kms:GetSecretValue", "params": {"SecretName": "db"}},
        {"caller": ALICE, "action": "kms:Decrypt", "params": {"CiphertextBlob": blob, "EncryptionContext": {"app": "hygiene"}}},
        {"caller": B_ROOT, "action": "kms:GenerateDataKey", "params": {"KeyId": "key-b1"}},
        {"caller": B_ROOT, "action": "kms:Encrypt", "params": {"KeyId": "key-b1", "Plaintext": PLAIN_PREVIEW}},
        {"caller": B_ROOT, "action": "kms:CreateSecret",
         "params": {"SecretName": "preview", "SecretData": SECRET_PREVIEW, "EncryptionKeyId": "key-b1"}},
        {"caller": B_ROOT, "action": "kms:CreateKey", "params": {"DKMSInstanceId": "kst-depta", "KeyId": "key-preview"}},
        {"caller": B_ROOT, "action": "kms:GenerateDataKey", "params": {"KeyId": "key-preview"}},
        {"caller": B_ROOT, "action": "kms:ReEncrypt",
         "params": {"CiphertextBlob": blob, "DestinationKeyId": "key-preview", "SourceEncryptionContext": {"app": "hygiene"}}},
    ])
}

/// The answers of the query API, each as JSON and Debug.
fn queries(org: &Organization, forms: &mut Forms) {
    let req = |caller: &str, action: &str, resource: &str| DecisionRequest {
        caller: caller.into(),
        action: action.into(),
        resource: resource.into(),
        region: None,
    };
    let reqs = [
        req(ALICE, "kms:Decrypt", "key-b1"),
        req(MGMT, "kms:GetSecretValue", SECRET_ARN),
        req(B_ROOT, "kms:Encrypt", "key-a1"),
        req(A_ROOT, "kms:GetSecretValue", SECRET_ARN),
    ];
    let effects: Vec<bool> = reqs.iter().map(|r| org.explain(r).unwrap().allowed()).collect();
    assert_eq!(effects, [true, false, false, true]);
    for (i, r) in reqs.iter().enumerate() {
        forms.both(&format!("explain #{i}"), &org.explain(r).unwrap());
        forms.debug(&format!("denied_by #{i}"), &org.denied_by(r).unwrap());
    }
    let batch: Vec<_> = org.explain_batch(&reqs).into_iter().map(Result::unwrap).collect();
    forms.both("explain_batch", &batch);
    let actions = org.allowed_actions(B_ROOT, SECRET_ARN).unwrap();
    assert!(actions.contains(&"kms:GetSecretValue".to_string()), "{actions:?}");
    forms.debug("allowed_actions", &actions);
    for (action, resource) in [("kms:Decrypt", "key-b1"), ("kms:GetSecretValue", SECRET_ARN)] {
        let who = org.who_can(action, resource).unwrap();
        assert!(!who.is_empty());
        forms.both(&format!("who_can {action}"), &who);
    }
    let matrix = org.access_matrix("kst-depta").unwrap();
    assert!(!matrix.cells.is_empty());
    forms.both("access_matrix", &matrix);
}

/// What-if outputs (the API's, and the `WhatIf` steps' results), also returned apart:
/// they alone are searched for the preview's own randomness.
fn previewed(org: &Organization, run: &scenario::RunResult, forms: &mut Forms) -> Forms {
    // Alice's last Encrypt is the one bound as `ct` (the first is scenario 01's).
    let blob = run.steps.iter().rev().find(|s| s.action == "kms:Encrypt" && s.caller == ALICE && s.ok).unwrap();
    let blob = blob.result.as_ref().unwrap()["CiphertextBlob"].as_str().unwrap().to_string();
    let mut out = Forms::default();
    let preview = org.what_if(&preview_steps(&blob)).unwrap();
    out.both("what_if output", &preview);
    for s in run.steps.iter().filter(|s| s.action == "WhatIf") {
        out.both(&format!("step {} WhatIf result", s.index), s.result.as_ref().unwrap());
    }
    for (form, text) in &out.0 {
        if form.ends_with("JSON") {
            let v: Value = serde_json::from_str(text).unwrap();
            let oks: Vec<&Value> = v["Steps"].as_array().unwrap().iter().map(|s| &s["ok"]).collect();
            assert!(oks.iter().all(|ok| **ok == json!(true)), "{form}: every previewed step ran: {v}");
            assert_eq!(oks.len(), 8, "{form}");
        }
    }
    forms.0.extend(out.0.iter().cloned());
    out
}

/// The key material inside a sealed snapshot, by handle, opened with the root key as
/// `snapshot.rs` documents: base64 of nonce || AES-256-GCM(root, material), with
/// `kms-share/sealed-key/v1:` + handle as authenticated data.
fn unseal(snapshot: &str, root: &[u8; 32]) -> Vec<(String, Vec<u8>)> {
    let envelope: Value = serde_json::from_str(snapshot).unwrap();
    assert_eq!(envelope["version"], 2);
    let body = &envelope["body"];
    let root = AesKey::from_bytes(root).unwrap();
    let mut out = Vec::new();
    for (handle, sealed) in body["sealedKeys"].as_object().unwrap() {
        let raw = b64_decode("sealedKeys", sealed.as_str().unwrap()).unwrap();
        let (nonce, ct) = raw.split_at(12);
        let aad = [b"kms-share/sealed-key/v1:".as_slice(), handle.as_bytes()].concat();
        out.push((handle.clone(), root.open(nonce, &aad, ct).unwrap()));
    }
    out
}

/// Named serialized forms.
#[derive(Default)]
struct Forms(Vec<(String, String)>);

impl Forms {
    fn text(&mut self, name: &str, text: String) {
        self.0.push((name.to_string(), text));
    }

    fn debug(&mut self, name: &str, v: &impl Debug) {
        self.text(&format!("{name} Debug"), format!("{v:?}"));
        self.text(&format!("{name} Debug (pretty)"), format!("{v:#?}"));
    }

    fn both(&mut self, name: &str, v: &(impl Debug + Serialize)) {
        self.text(&format!("{name} JSON"), serde_json::to_string(v).unwrap());
        self.debug(name, v);
    }

    fn error(&mut self, name: &str, e: &kms_share_core::Error) {
        self.text(&format!("{name} error Display"), e.to_string());
        self.both(&format!("{name} error"), e);
    }

    fn step(&mut self, name: &str, s: &StepResult) {
        self.both(name, s);
        if let Some(e) = &s.error {
            self.error(name, e);
        }
        if let Some(d) = &s.decision {
            self.both(&format!("{name} decision"), d);
        }
    }
}

/// Every needle in every encoding, searched for in named texts.
struct Search {
    needles: Vec<(String, Vec<(String, String)>)>,
    checks: usize,
    leaks: Vec<String>,
}

impl Search {
    fn new(needles: &[(String, Vec<u8>)]) -> Self {
        let needles = needles.iter().map(|(what, bytes)| (what.clone(), encodings(bytes))).collect();
        Search { needles, checks: 0, leaks: Vec::new() }
    }

    fn run(&mut self, form: &str, text: &str) {
        for (what, encodings) in &self.needles {
            for (encoding, pattern) in encodings {
                self.checks += 1;
                if text.contains(pattern.as_str()) {
                    self.leaks.push(format!("{form} leaks {what} as {encoding}"));
                }
            }
        }
    }
}

/// The forms a byte string takes in text: itself (lossy UTF-8, also JSON- and
/// Debug-escaped), hex in both cases, standard and URL-safe base64 at each of the three
/// positions it can have inside a longer encoded blob (padding ignored), and the byte
/// lists of `Debug` and JSON. Base64 keeps only the characters that depend on the needle
/// alone.
fn encodings(b: &[u8]) -> Vec<(String, String)> {
    let lossy = String::from_utf8_lossy(b).into_owned();
    let json = serde_json::to_string(&lossy).unwrap();
    let debug = format!("{lossy:?}");
    let list = |s: String| s.trim_matches(|c| c == '[' || c == ']').to_string();
    let mut out = vec![
        ("raw bytes (lossy UTF-8)".to_string(), lossy.clone()),
        ("raw bytes, JSON-escaped".to_string(), json.trim_matches('"').to_string()),
        ("raw bytes, Debug-escaped".to_string(), debug.trim_matches('"').to_string()),
        ("lowercase hex".to_string(), hex(b)),
        ("uppercase hex".to_string(), hex(b).to_uppercase()),
        ("byte list (Debug)".to_string(), list(format!("{b:?}"))),
        ("byte list (JSON)".to_string(), list(serde_json::to_string(b).unwrap())),
    ];
    for shift in 0..3 {
        let mut buf = vec![0u8; shift];
        buf.extend_from_slice(b);
        let std = b64_encode(&buf);
        let start = if shift == 0 { 0 } else { 4 };
        let core = std[start..buf.len() / 3 * 4].to_string();
        out.push((format!("base64 (offset {shift})"), core.clone()));
        out.push((format!("base64url (offset {shift})"), core.replace('+', "-").replace('/', "_")));
    }
    // An ASCII needle's escaped forms are the needle itself: search once.
    out.dedup_by(|a, b| a.1 == b.1);
    out
}
