//! A host that never shows an allowed call's explanation (the vendor's endpoint) turns
//! it off with `Engine::explain_allowed(false)`; its calls must then answer exactly as
//! before: the same results, the same refusals with the same explained decisions (AZ-1,
//! AZ-3), only without the decision on an allowed call (issue "Performance", the
//! Encrypt path).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use kms_share_core::api::Organization;
use kms_share_core::crypto::SeededRng;
use serde_json::{json, Value};

fn org() -> Organization {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/review/findings.json")).unwrap();
    let (mut org, run) = Organization::from_scenario(&text, Box::new(SeededRng::new(7))).unwrap();
    assert!(run.passed);
    // Keys and secrets of the owner and of a principal beside B's key-b1.
    for (caller, action, params) in [
        ("acs:ram::1000000000000002:root", "kms:CreateKey", json!({"DKMSInstanceId": "kst-depta", "KeyId": "key-o1"})),
        ("acs:ram::1000000000000004:root", "kms:CreateKey", json!({"DKMSInstanceId": "kst-depta", "KeyId": "key-c1"})),
        (
            "acs:ram::1000000000000004:root",
            "kms:CreateSecret",
            json!({"SecretName": "db", "SecretData": "s3cr3t", "EncryptionKeyId": "key-c1"}),
        ),
    ] {
        org.call(caller, action, params, None).unwrap();
    }
    org
}

/// Every identity of the organization against every key and secret: Encrypt, DescribeKey
/// and GetSecretValue, and the multi-request calls (ReEncrypt decides two keys).
fn calls(org: &Organization) -> Vec<(String, &'static str, Value)> {
    let st = org.state();
    let mut callers: Vec<String> = st.accounts.keys().map(|a| format!("acs:ram::{a}:root")).collect();
    for (a, ram) in &st.ram {
        callers.extend(ram.users.keys().map(|u| format!("acs:ram::{a}:user/{u}")));
        callers.extend(ram.roles.keys().map(|r| format!("acs:ram::{a}:role/{r}")));
    }
    let keys: Vec<String> = st.keys.keys().map(|k| k.to_string()).collect();
    let secrets: Vec<String> = st.secrets.keys().cloned().collect();
    assert!(callers.len() >= 6 && keys.len() >= 2 && !secrets.is_empty(), "a real mix");
    let mut out = Vec::new();
    for c in &callers {
        for k in &keys {
            out.push((c.clone(), "kms:Encrypt", json!({"KeyId": k, "Plaintext": "aGVsbG8="})));
            out.push((c.clone(), "kms:DescribeKey", json!({"KeyId": k})));
        }
        for s in &secrets {
            out.push((c.clone(), "kms:GetSecretValue", json!({"SecretName": s})));
        }
    }
    out
}

#[test]
fn quiet_allows_answer_as_explained_ones_do_az1() {
    let mut loud = org();
    let mut quiet = org();
    quiet.explain_allowed(false);
    let (mut allowed, mut denied) = (0, 0);
    for (caller, action, params) in calls(&loud) {
        let a = loud.call(&caller, action, params.clone(), None);
        let b = quiet.call(&caller, action, params, None);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.result, b.result, "{caller} {action}");
                assert!(a.decision.as_ref().is_some_and(|d| d.allowed()), "{caller} {action}: shown by default");
                assert!(b.decision.is_none(), "{caller} {action}: not built when not shown");
                allowed += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap(), "{caller} {action}");
                if a.decision.is_some() {
                    denied += 1;
                }
            }
            (a, b) => panic!("{caller} {action}: {a:?} against {b:?}"),
        }
    }
    assert!(allowed >= 5 && denied >= 5, "both outcomes occur: {allowed} allowed, {denied} denied");
    // Nothing else differs: the audit trails record the same calls.
    assert_eq!(serde_json::to_value(&loud.state().audit).unwrap(), serde_json::to_value(&quiet.state().audit).unwrap());
}
