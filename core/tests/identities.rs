//! RAM's identity questions the action table does not decide, through the public API:
//! who may assume a role (STS AssumeRole, crate::trust) and whose AccessKeys an identity
//! may manage (crate::accesskeys). RAM-1, RAM-2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kms_share_core::api::Organization;
use kms_share_core::crypto::OsRng;

const B_ROOT: &str = "acs:ram::1000000000000003:root";
const ALICE: &str = "acs:ram::1000000000000003:user/alice";

fn org() -> Organization {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/scenarios/01-dept-a-shares-with-dept-b.json"
    ))
    .unwrap();
    let (mut org, run) = Organization::from_scenario(&text, Box::new(OsRng)).unwrap();
    assert!(run.passed);
    let ok = |r: kms_share_core::error::Result<kms_share_core::engine::Response>| r.unwrap();
    ok(org.call(B_ROOT, "CreateRole", serde_json::json!({"RoleName": "ops"}), None));
    org
}

#[test]
fn a_role_without_a_trust_policy_trusts_its_own_account_ram1() {
    let org = org();
    let role = "acs:ram::1000000000000003:role/ops";
    assert_eq!(org.assume_role(B_ROOT, role).unwrap().to_string(), role);
    let e = org.assume_role("acs:ram::1000000000000002:root", role).unwrap_err();
    assert_eq!(e.vendor_code(), "Forbidden.NoPermission");
    assert!(e.message.contains("trust policy does not trust"), "{}", e.message);
    // Alice is in the trusted account, but her own policies do not grant sts:AssumeRole.
    let e = org.assume_role(ALICE, role).unwrap_err();
    assert!(e.message.contains("do not grant sts:AssumeRole"), "{}", e.message);
    let e = org.assume_role(B_ROOT, "acs:ram::1000000000000003:role/nope").unwrap_err();
    assert_eq!((e.vendor_code(), e.http_status()), ("EntityNotExist.Role", 404));
    let e = org.assume_role(B_ROOT, "arn:not-a-role").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("RoleArn"));
}

#[test]
fn a_root_manages_its_users_keys_a_user_only_what_its_policies_grant_ram2() {
    let mut org = org();
    assert_eq!(org.access_key_owner(B_ROOT, "CreateAccessKey", None).unwrap().to_string(), B_ROOT);
    assert_eq!(org.access_key_owner(B_ROOT, "CreateAccessKey", Some("alice")).unwrap().to_string(), ALICE);
    let e = org.access_key_owner(B_ROOT, "CreateAccessKey", Some("nobody")).unwrap_err();
    assert_eq!((e.vendor_code(), e.http_status()), ("EntityNotExist.User", 404));
    let e = org.access_key_owner(ALICE, "CreateAccessKey", None).unwrap_err();
    assert_eq!((e.vendor_code(), e.http_status()), ("Forbidden.NoPermission", 403));
    let grant = serde_json::json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:*AccessKey*",
        "Resource": "acs:ram::1000000000000003:user/alice"}]});
    org.call(B_ROOT, "CreatePolicy", serde_json::json!({"PolicyName": "own-keys", "PolicyDocument": grant}), None)
        .unwrap();
    org.call(B_ROOT, "AttachPolicyToUser", serde_json::json!({"PolicyName": "own-keys", "UserName": "alice"}), None)
        .unwrap();
    assert_eq!(org.access_key_owner(ALICE, "CreateAccessKey", None).unwrap().to_string(), ALICE);
    assert!(org.access_key_owner(ALICE, "CreateAccessKey", Some("alice")).is_ok());
    assert!(org.access_key_owner("acs:ram::1000000000000003:role/ops", "CreateAccessKey", None).is_err());
}
