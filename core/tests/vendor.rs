//! Errors as the vendor's API answers them: every engine error has a vendor code and an
//! HTTP status, a denial carries the vendor's `AccessDeniedDetail` built from the decision,
//! and documents of version 2 show both in their results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use kms_share_core::api::Organization;
use kms_share_core::crypto::{b64_decode, SeededRng};
use kms_share_core::json::ToValue;
use kms_share_core::{Error, ErrorCode};
use serde_json::{json, Value};

const SCENARIO: &str = include_str!("../../tests/scenarios/01-dept-a-shares-with-dept-b.json");
const B_ROOT: &str = "acs:ram::1000000000000003:root";
const ALICE: &str = "acs:ram::1000000000000003:user/alice";
const OWNER: &str = "acs:ram::1000000000000002:root";

fn org() -> Organization {
    Organization::from_scenario(SCENARIO, Box::new(SeededRng::new(3))).unwrap().0
}

fn fails(o: &mut Organization, caller: &str, action: &str, params: Value) -> Error {
    o.call(caller, action, params, None).unwrap_err()
}

#[test]
fn every_engine_code_has_a_vendor_code_and_status() {
    for code in ErrorCode::ALL {
        let e = Error::new(code, None, "x");
        let vendor = e.vendor_code();
        assert!(!vendor.is_empty() && vendor.is_ascii(), "{code:?}");
        assert!([400, 403, 404, 409, 500].contains(&e.http_status()), "{code:?}: {}", e.http_status());
    }
    let want = [
        (ErrorCode::InvalidParameter, "InvalidParameter", 400),
        (ErrorCode::NotFound, "Forbidden.ResourceNotFound", 404),
        (ErrorCode::AccessDenied, "Forbidden.NoPermission", 403),
        (ErrorCode::QuotaExceeded, "Rejected.LimitExceeded", 400),
        (ErrorCode::LimitExceeded, "Rejected.LimitExceeded", 400),
        (ErrorCode::InvalidState, "InvalidState", 409),
        (ErrorCode::InternalError, "InternalFailure", 500),
        (ErrorCode::NotSameDirectory, "NotSameDirectory", 400),
    ];
    for (code, vendor, status) in want {
        let e = Error::new(code, None, "x");
        assert_eq!((e.vendor_code(), e.http_status()), (vendor, status), "{code:?}");
    }
}

#[test]
fn specific_conditions_get_the_vendors_specific_codes() {
    let mut o = org();
    let cases = [
        (B_ROOT, "kms:Encrypt", json!({"KeyId": "key-nosuch", "Plaintext": "x"}), "Forbidden.KeyNotFound", 404),
        (B_ROOT, "kms:Encrypt", json!({"KeyId": "alias/nosuch", "Plaintext": "x"}), "Forbidden.AliasNotFound", 404),
        (OWNER, "kms:GetKmsInstance", json!({"KmsInstanceId": "kst-nosuch"}), "Forbidden.ResourceNotFound", 404),
        (B_ROOT, "kms:Encrypt", json!({"Plaintext": "x"}), "MissingParameter", 400),
        (B_ROOT, "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "x", "Bogus": 1}), "InvalidParameter", 400),
        (B_ROOT, "kms:Frobnicate", json!({}), "InvalidAction.NotFound", 400),
        (ALICE, "kms:DisableKey", json!({"KeyId": "key-b1"}), "Forbidden.NoPermission", 403),
    ];
    for (caller, action, params, vendor, status) in cases {
        let e = fails(&mut o, caller, action, params.clone());
        assert_eq!((e.vendor_code(), e.http_status()), (vendor, status), "{action} {params}: {e}");
    }
    o.call(B_ROOT, "kms:DisableKey", json!({"KeyId": "key-b1"}), None).unwrap();
    let e = fails(&mut o, B_ROOT, "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "x"}));
    assert_eq!((e.code, e.vendor_code(), e.http_status()), (ErrorCode::InvalidState, "Rejected.Disabled", 409));
    o.call(B_ROOT, "kms:EnableKey", json!({"KeyId": "key-b1"}), None).unwrap();
    o.call(B_ROOT, "kms:ScheduleKeyDeletion", json!({"KeyId": "key-b1", "PendingWindowInDays": 7}), None).unwrap();
    let e = fails(&mut o, B_ROOT, "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "x"}));
    assert_eq!((e.vendor_code(), e.http_status()), ("Rejetced.PendingDeletion", 409), "spelt as the vendor spells it");
}

#[test]
fn a_denial_carries_the_access_denied_detail_of_its_decision() {
    let mut o = org();
    // Implicit: alice's only policy does not name DisableKey (RAM-2).
    let e = fails(&mut o, ALICE, "kms:DisableKey", json!({"KeyId": "key-b1"}));
    let d = e.access_denied_detail().unwrap();
    assert_eq!(
        d.to_value(),
        json!({
            "AuthAction": "kms:DisableKey",
            "AuthPrincipalType": "SubUser",
            "AuthPrincipalOwnerId": "1000000000000003",
            "AuthPrincipalDisplayName": "alice",
            "NoPermissionType": "ImplicitDeny",
            "PolicyType": "AccountLevelIdentityBasedPolicy",
            "EncodedDiagnosticMessage": d.encoded_diagnostic_message,
        })
    );
    // The diagnostic message is the explained decision.
    let text =
        String::from_utf8(b64_decode("EncodedDiagnosticMessage", &d.encoded_diagnostic_message).unwrap()).unwrap();
    let decision: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(decision, serde_json::to_value(e.decision.as_deref().unwrap()).unwrap());
    assert_eq!(decision["deniedBy"], "ramPolicy");

    // Explicit: a Deny statement names the action.
    let deny = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}]});
    o.call(B_ROOT, "CreatePolicy", json!({"PolicyName": "no-encrypt", "PolicyDocument": deny}), None).unwrap();
    o.call(B_ROOT, "AttachPolicyToUser", json!({"PolicyName": "no-encrypt", "UserName": "alice"}), None).unwrap();
    let e = fails(&mut o, ALICE, "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "x"}));
    let d = e.access_denied_detail().unwrap();
    assert_eq!((d.no_permission_type, d.policy_type), ("ExplicitDeny", "AccountLevelIdentityBasedPolicy"));

    // Not by RAM: the owner may not use a principal's key in Independent ownership, or an
    // account outside the share reaches nothing; the root identity is the account.
    let e =
        fails(&mut o, "acs:ram::1000000000000009:root", "kms:Encrypt", json!({"KeyId": "key-b1", "Plaintext": "x"}));
    let d = e.access_denied_detail().unwrap();
    assert_eq!(
        (d.auth_principal_type, d.auth_principal_display_name.as_str(), d.no_permission_type, d.policy_type),
        ("Account", "1000000000000009", "ImplicitDeny", "ResourceSharing")
    );
    // An error without a decision has no detail.
    assert!(fails(&mut o, B_ROOT, "kms:Encrypt", json!({"Plaintext": "x"})).access_denied_detail().is_none());
}

#[test]
fn version_2_results_show_the_vendor_error_and_expectations_can_name_it() {
    let doc = json!({
        "version": 2,
        "seed": 1,
        "steps": [
            {"caller": B_ROOT, "action": "kms:Encrypt", "params": {"KeyId": "key-nosuch", "Plaintext": "x"},
             "expect": {"ok": false, "error": "NotFound", "vendorCode": "Forbidden.KeyNotFound"}},
            {"caller": B_ROOT, "action": "kms:Encrypt", "params": {"KeyId": "key-nosuch", "Plaintext": "x"},
             "expect": {"ok": false, "vendorCode": "Forbidden.ResourceNotFound"}},
        ]
    });
    let res = kms_share_core::scenario::run(&doc.to_string(), Box::new(SeededRng::new(1)), Default::default()).unwrap();
    assert_eq!(res.steps[0].expect_held, Some(true), "{:?}", res.steps[0].expect_failures);
    assert_eq!(
        res.steps[1].expect_failures,
        ["expected vendor code Forbidden.ResourceNotFound, got Forbidden.KeyNotFound"]
    );
    let v = serde_json::to_value(&res).unwrap();
    assert_eq!(v["steps"][0]["vendorError"], json!({"code": "Forbidden.KeyNotFound", "httpStatus": 404}));
    // Version 1 documents keep their results as they were.
    let mut v1 = doc.clone();
    v1["version"] = json!(1);
    let res = kms_share_core::scenario::run(&v1.to_string(), Box::new(SeededRng::new(1)), Default::default()).unwrap();
    assert!(serde_json::to_value(&res).unwrap()["steps"][0].get("vendorError").is_none());
}
