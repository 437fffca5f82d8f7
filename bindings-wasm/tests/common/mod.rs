//! The binding's API and error mapping, run in Node (`tests/node.rs`) and in headless
//! Chromium (`tests/browser.rs`). Every test asserts the exact outcome: a decision's effect,
//! an error's code, rule and field.

use js_sys::{Array, Reflect, JSON};
use kms_share_wasm::{error_codes, run_scenario_json, Organization};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const DEPT_AB: &str = include_str!("../../../tests/scenarios/01-dept-a-shares-with-dept-b.json");
const ALICE: &str = "acs:ram::1000000000000003:user/alice";
const DEPT_A_ROOT: &str = "acs:ram::1000000000000002:root";
const DEPT_B_ROOT: &str = "acs:ram::1000000000000003:root";

fn js(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |v, k| match k.parse::<u32>() {
        Ok(i) => Reflect::get_u32(&v, i).unwrap(),
        Err(_) => Reflect::get(&v, &JsValue::from_str(k)).unwrap(),
    })
}

fn text(v: &JsValue, path: &str) -> Option<String> {
    get(v, path).as_string()
}

/// The Department A/B organization, built by running its scenario on a new organization.
fn dept_ab() -> Organization {
    let mut org = Organization::new(Some(1.0), None).unwrap();
    let r = org.run_scenario(JsValue::from_str(DEPT_AB)).unwrap();
    assert_eq!(get(&r, "passed").as_bool(), Some(true));
    org
}

fn request(caller: &str, action: &str, resource: &str) -> JsValue {
    let o = js_sys::Object::new();
    Reflect::set(&o, &"caller".into(), &caller.into()).unwrap();
    Reflect::set(&o, &"action".into(), &action.into()).unwrap();
    Reflect::set(&o, &"resource".into(), &resource.into()).unwrap();
    o.into()
}

/// The thrown value is a real `Error` named `KmsShareError` with this code.
fn assert_error(err: JsValue, code: &str) -> JsValue {
    let e = err.dyn_ref::<js_sys::Error>().expect("a real JS Error");
    assert_eq!(String::from(e.name()), "KmsShareError");
    assert_eq!(text(&err, "code").as_deref(), Some(code), "message: {}", String::from(e.message()));
    err
}

#[wasm_bindgen_test]
fn run_scenario_json_is_the_canonical_text_and_passes() {
    let out = run_scenario_json(JsValue::from_str(DEPT_AB), None).unwrap();
    assert!(out.starts_with("{\n  \"version\": 2,\n  \"name\": \"Department A shares its instance with Department B\",\n  \"passed\": true,"));
    let v = js(&out);
    assert_eq!(get(&v, "stepsRun").as_f64(), Some(15.0));
    assert_eq!(get(&v, "expectationsFailed").as_f64(), Some(0.0));
    // The same document as a plain object gives the same text.
    assert_eq!(run_scenario_json(js(DEPT_AB), None).unwrap(), out);
}

#[wasm_bindgen_test]
fn from_scenario_returns_the_organization_and_the_result() {
    let out = Organization::from_scenario(js(DEPT_AB)).unwrap();
    assert_eq!(get(&out, "result.stepsRun").as_f64(), Some(15.0));
    let org = get(&out, "organization");
    // The organization is the class instance, usable from JS.
    let is_allowed = get(&org, "isAllowed").dyn_into::<js_sys::Function>().unwrap();
    let answer = is_allowed.call3(&org, &ALICE.into(), &"kms:Encrypt".into(), &"key-b1".into()).unwrap();
    assert_eq!(answer.as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn explain_allows_alice_to_encrypt_with_her_account_key_rs2() {
    let org = dept_ab();
    let d = org.explain(request(ALICE, "kms:Encrypt", "key-b1")).unwrap();
    assert_eq!(text(&d, "effect").as_deref(), Some("Allow"));
    assert_eq!(text(&d, "checks.0.check").as_deref(), Some("sharing"));
    assert_eq!(text(&d, "checks.0.outcome").as_deref(), Some("passed"));
    assert_eq!(text(&d, "viaShare").as_deref(), Some("rs-depta"));
    assert!(get(&d, "deniedBy").is_undefined());
}

#[wasm_bindgen_test]
fn explain_denies_alice_the_instance_management_and_says_which_check() {
    let org = dept_ab();
    let d = org.explain(request(ALICE, "kms:Decrypt", "kst-depta")).unwrap();
    assert_eq!(text(&d, "effect").as_deref(), Some("Deny"));
    assert!(text(&d, "deniedBy").is_some());
    assert!(text(&d, "rule").is_some());
    assert!(text(&d, "message").is_some());
}

#[wasm_bindgen_test]
fn explain_malformed_caller_throws_invalid_parameter_ram1_on_field_caller() {
    let org = dept_ab();
    let err = assert_error(org.explain(request("root", "kms:Encrypt", "key-b1")).unwrap_err(), "InvalidParameter");
    assert_eq!(text(&err, "rule").as_deref(), Some("RAM-1"));
    assert_eq!(text(&err, "field").as_deref(), Some("caller"));
    assert!(text(&err, "message").unwrap().contains("`root`"));
}

#[wasm_bindgen_test]
fn explain_rejects_a_request_that_is_not_one() {
    let org = dept_ab();
    let err = assert_error(org.explain(js(r#"{"caller": 1}"#)).unwrap_err(), "InvalidParameter");
    assert_eq!(text(&err, "field").as_deref(), Some("request"));
    // Unknown fields are refused, as everywhere in the JSON shape.
    let err = assert_error(
        org.explain(js(r#"{"caller":"a","action":"b","resource":"c","extra":1}"#)).unwrap_err(),
        "InvalidParameter",
    );
    assert!(text(&err, "message").unwrap().contains("extra"));
}

#[wasm_bindgen_test]
fn is_allowed_answers_and_fails_closed_az3() {
    let org = dept_ab();
    assert!(org.is_allowed(ALICE, "kms:Encrypt", "key-b1"));
    assert!(!org.is_allowed(ALICE, "kms:Encrypt", "no-such-key"));
    assert!(!org.is_allowed("not an identity", "kms:Encrypt", "key-b1"));
}

#[wasm_bindgen_test]
fn batches_give_one_answer_per_request() {
    let org = dept_ab();
    let reqs = Array::new();
    reqs.push(&request(ALICE, "kms:Encrypt", "key-b1"));
    reqs.push(&request("bad", "kms:Encrypt", "key-b1"));
    let allowed = org.allowed_batch(reqs.clone().into()).unwrap();
    assert_eq!(get(&allowed, "0").as_bool(), Some(true));
    assert_eq!(get(&allowed, "1").as_bool(), Some(false));
    let explained = org.explain_batch(reqs.into()).unwrap();
    assert_eq!(text(&explained, "0.Ok.effect").as_deref(), Some("Allow"));
    assert_eq!(text(&explained, "1.Err.code").as_deref(), Some("InvalidParameter"));
    assert_eq!(text(&explained, "1.Err.rule").as_deref(), Some("RAM-1"));
    assert_error(org.allowed_batch(JsValue::from_str("nope")).unwrap_err(), "InvalidParameter");
}

#[wasm_bindgen_test]
fn allowed_actions_lists_what_the_console_may_enable() {
    let org = dept_ab();
    let owner = org.allowed_actions(DEPT_B_ROOT, "key-b1").unwrap();
    assert!(owner.iter().any(|a| a == "kms:Encrypt"));
    let err = assert_error(org.allowed_actions("x", "key-b1").unwrap_err(), "InvalidParameter");
    assert_eq!(text(&err, "field").as_deref(), Some("caller"));
}

#[wasm_bindgen_test]
fn who_can_and_access_matrix_return_plain_objects() {
    let org = dept_ab();
    let who = org.who_can("kms:Encrypt", "key-b1").unwrap();
    assert!(Array::is_array(&who));
    assert!(Array::from(&who).length() >= 1);
    let m = org.access_matrix("kst-depta").unwrap();
    assert_eq!(text(&m, "instanceId").as_deref(), Some("kst-depta"));
    assert_eq!(text(&m, "owner").as_deref(), Some("1000000000000002"));
    assert_eq!(get(&m, "quota.accounts").as_f64(), Some(1.0));
    assert_error(org.access_matrix("kst-nope").unwrap_err(), "NotFound");
    let err = assert_error(org.access_matrix("nope").unwrap_err(), "InvalidParameter");
    assert_eq!(text(&err, "rule").as_deref(), Some("KI-1"));
}

#[wasm_bindgen_test]
fn crypto_and_secrets_are_steps() {
    let mut org = dept_ab();
    let enc = org
        .step(js(&format!(
            r#"{{"caller":"{ALICE}","action":"kms:Encrypt","params":{{"KeyId":"key-b1","Plaintext":"hi"}}}}"#
        )))
        .unwrap();
    assert_eq!(get(&enc, "ok").as_bool(), Some(true));
    assert_eq!(text(&enc, "decision.effect").as_deref(), Some("Allow"));
    let blob = text(&enc, "result.CiphertextBlob").unwrap();
    let dec = org
        .step(js(&format!(r#"{{"caller":"{ALICE}","action":"kms:Decrypt","params":{{"CiphertextBlob":"{blob}"}}}}"#)))
        .unwrap();
    assert_eq!(text(&dec, "result.Plaintext").as_deref(), Some("hi"));
    let secret = org
        .step(js(&format!(
            r#"{{"caller":"{DEPT_B_ROOT}","action":"kms:CreateSecret","params":{{"SecretName":"db","SecretData":"pw","VersionId":"v1","EncryptionKeyId":"key-b1"}}}}"#
        )))
        .unwrap();
    assert_eq!(get(&secret, "ok").as_bool(), Some(true), "{:?}", JSON::stringify(&secret));
    let got = org
        .step(js(&format!(
            r#"{{"caller":"{DEPT_B_ROOT}","action":"kms:GetSecretValue","params":{{"SecretName":"db"}}}}"#
        )))
        .unwrap();
    assert_eq!(text(&got, "result.SecretData").as_deref(), Some("pw"));
    // Bob has no RAM policy: a denial is a value in the step result, not a throw (RAM-2).
    let bob = org
        .step(js(&format!(r#"{{"caller":"{DEPT_B_ROOT}","action":"CreateUser","params":{{"UserName":"bob"}}}}"#)))
        .unwrap();
    assert_eq!(get(&bob, "ok").as_bool(), Some(true));
    let denied = org
        .step(js(r#"{"caller":"acs:ram::1000000000000003:user/bob","action":"kms:Encrypt","params":{"KeyId":"key-b1","Plaintext":"x"}}"#))
        .unwrap();
    assert_eq!(get(&denied, "ok").as_bool(), Some(false));
    assert_eq!(text(&denied, "error.code").as_deref(), Some("AccessDenied"));
    assert_eq!(text(&denied, "error.rule").as_deref(), Some("RAM-2"));
    assert_eq!(text(&denied, "error.decision.effect").as_deref(), Some("Deny"));
    assert_eq!(text(&denied, "error.decision.deniedBy").as_deref(), Some("ramPolicy"));
}

#[wasm_bindgen_test]
fn a_step_that_is_not_a_step_throws_invalid_parameter() {
    let mut org = dept_ab();
    let err = assert_error(org.step(js(r#"{"action":"kms:Encrypt"}"#)).unwrap_err(), "InvalidParameter");
    assert_eq!(text(&err, "field").as_deref(), Some("step"));
    assert!(text(&err, "message").unwrap().contains("caller"));
    assert_error(org.step(JsValue::UNDEFINED).unwrap_err(), "InvalidParameter");
    assert_error(org.step(JsValue::from_str("{")).unwrap_err(), "InvalidParameter");
}

#[wasm_bindgen_test]
fn deeply_nested_input_is_an_error_not_a_trap() {
    let mut org = dept_ab();
    let depth = 100_000;
    let params = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let step = format!(r#"{{"caller":"{ALICE}","action":"kms:Encrypt","params":{params}}}"#);
    assert_error(org.step(JsValue::from_str(&step)).unwrap_err(), "InvalidParameter");
    // The organization still works afterwards.
    assert!(org.is_allowed(ALICE, "kms:Encrypt", "key-b1"));
}

#[wasm_bindgen_test]
fn bad_documents_throw_invalid_parameter_naming_the_place() {
    let err = assert_error(run_scenario_json(JsValue::from_str("not json"), None).unwrap_err(), "InvalidParameter");
    assert_eq!(text(&err, "field").as_deref(), Some("document"));
    let err = assert_error(run_scenario_json(js(r#"{"version":3,"steps":[]}"#), None).unwrap_err(), "InvalidParameter");
    assert_eq!(text(&err, "field").as_deref(), Some("version"));
    let err = assert_error(
        run_scenario_json(js(r#"{"version":1,"steps":[{"caller":"x","action":"y","bogus":1}]}"#), None).unwrap_err(),
        "InvalidParameter",
    );
    assert_eq!(text(&err, "field").as_deref(), Some("steps[0]"));
}

#[wasm_bindgen_test]
fn seed_must_be_a_non_negative_integer() {
    for bad in [-1.0, 1.5, f64::NAN] {
        let err = assert_error(Organization::new(Some(bad), None).unwrap_err(), "InvalidParameter");
        assert_eq!(text(&err, "field").as_deref(), Some("seed"));
    }
    assert_error(Organization::new(None, Some("yesterday".into())).unwrap_err(), "InvalidParameter");
    assert!(Organization::new(Some(7.0), Some("2026-03-01T00:00:00Z".into())).is_ok());
}

#[wasm_bindgen_test]
fn what_if_previews_without_changing_the_state() {
    let org = dept_ab();
    let before = JSON::stringify(&org.state().unwrap()).unwrap();
    let steps = format!(
        r#"[{{"caller":"{DEPT_A_ROOT}","action":"DisassociateResourceShare","params":{{"ResourceShareId":"rs-depta","Targets":["1000000000000003"]}}}}]"#
    );
    let preview = org.what_if(js(&steps)).unwrap();
    assert!(preview.is_object());
    assert_eq!(JSON::stringify(&org.state().unwrap()).unwrap(), before);
    assert_error(org.what_if(js(r#"{"not":"a list"}"#)).unwrap_err(), "InvalidParameter");
}

#[wasm_bindgen_test]
fn policy_export_answers_like_the_full_state_and_has_no_key_material() {
    let org = dept_ab();
    let export = org.policy_export().unwrap();
    let page = Organization::from_policy_export(export.clone()).unwrap();
    for (caller, action, resource) in [
        (ALICE, "kms:Encrypt", "key-b1"),
        (ALICE, "kms:Decrypt", "key-b1"),
        (ALICE, "kms:DescribeKey", "key-b1"),
        (DEPT_A_ROOT, "kms:Encrypt", "key-b1"),
        (DEPT_B_ROOT, "kms:CreateKey", "kst-depta"),
    ] {
        assert_eq!(page.is_allowed(caller, action, resource), org.is_allowed(caller, action, resource), "{action}");
    }
    assert_eq!(
        page.allowed_actions(DEPT_B_ROOT, "key-b1").unwrap(),
        org.allowed_actions(DEPT_B_ROOT, "key-b1").unwrap()
    );
    // JSON text works as well as the object.
    let from_text = Organization::from_policy_export(JSON::stringify(&export).unwrap().into()).unwrap();
    assert!(from_text.is_allowed(ALICE, "kms:Encrypt", "key-b1"));
    // Decisions work; cryptography has no key material to use.
    let mut page = page;
    let enc = page
        .step(js(&format!(
            r#"{{"caller":"{ALICE}","action":"kms:Encrypt","params":{{"KeyId":"key-b1","Plaintext":"x"}}}}"#
        )))
        .unwrap();
    assert_eq!(text(&enc, "error.code").as_deref(), Some("InvalidState"));
    let err = assert_error(Organization::from_policy_export(js(r#"{"accounts": 3}"#)).unwrap_err(), "InvalidParameter");
    assert_eq!(text(&err, "field").as_deref(), Some("state"));
}

#[wasm_bindgen_test]
fn sealed_snapshots_round_trip_and_refuse_another_key_cr5() {
    let mut org = dept_ab();
    let key = [7u8; 32];
    let sealed = org.save_sealed(&key).unwrap();
    let back = Organization::load_sealed(&sealed, &key).unwrap();
    assert_eq!(JSON::stringify(&back.state().unwrap()).unwrap(), JSON::stringify(&org.state().unwrap()).unwrap());
    assert_error(Organization::load_sealed(&sealed, &[8u8; 32]).unwrap_err(), "SnapshotInvalid");
    assert_error(org.save_sealed(&[1u8; 5]).unwrap_err(), "InvalidParameter");
}

/// A version 3 snapshot (what native builds write, the keys as a binary table) is
/// refused here as an unsupported version, with what to do (CR-5, README Semantics 33).
#[wasm_bindgen_test]
fn a_version_3_snapshot_is_refused_with_what_to_do_cr5() {
    let v3 = include_str!("../../../tests/snapshots/dept-ab.v3.snapshot");
    let err = assert_error(Organization::load_sealed(v3, &[7u8; 32]).unwrap_err(), "SnapshotInvalid");
    let message = String::from(err.dyn_ref::<js_sys::Error>().unwrap().message());
    assert_eq!(
        message,
        "unsupported snapshot version 3 (this WebAssembly build reads versions 1 and 2: write version 2 natively \
         (save_sealed_as))"
    );
}

#[wasm_bindgen_test]
fn error_codes_are_the_stable_list() {
    let codes = error_codes();
    assert_eq!(codes.len(), kms_share_core::ErrorCode::ALL.len());
    assert_eq!(codes.first().map(String::as_str), Some("InvalidParameter"));
    assert!(codes.iter().any(|c| c == "QuotaExceeded"));
}
