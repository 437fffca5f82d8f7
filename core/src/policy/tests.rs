use super::*;
use crate::error::{Error, ErrorCode};
use crate::rules::Rule;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use serde_json::json;

const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/key-1";
const SECRET: &str = "acs:kms:cn-hangzhou:1234567890123456:secret/db";

fn policy(statements: Value) -> Policy {
    Policy::parse(&json!({"Version": "1", "Statement": statements})).unwrap()
}

fn allow(action: Value, resource: Value) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn err(statements: Value) -> Error {
    Policy::parse(&json!({"Version": "1", "Statement": statements})).unwrap_err()
}

fn check(e: &Error, code: ErrorCode, field: &str, message: &str) {
    assert_eq!(e.code, code, "{e:?}");
    assert_eq!(e.rule, Some(Rule::Ram2), "{e:?}");
    assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
    assert_eq!(e.message, message, "{e:?}");
}

fn ask<'a>(action: &'a str, resource: &'a str, context: &'a Context) -> Request<'a> {
    Request { action, known: None, resource, context }
}

fn allowed(statement: usize) -> Verdict {
    Verdict::Allow { policy: String::new(), statement }
}

fn denied(statement: usize) -> Verdict {
    Verdict::ExplicitDeny { policy: String::new(), statement }
}

fn ctx(pairs: &[(&str, &str)]) -> Context {
    let mut c = Context::new();
    for (k, v) in pairs {
        c.insert(k, *v);
    }
    c
}

// ---- Evaluation ----

#[test]
fn matching_allow_statement_allows_ram2() {
    let p = policy(json!([allow(json!("kms:Encrypt"), json!("acs:kms:*:*:key/*"))]));
    let c = Context::new();
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
    assert_eq!(p.evaluate(&ask("kms:Decrypt", KEY, &c)), Verdict::NoMatch);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", SECRET, &c)), Verdict::NoMatch);
}

#[test]
fn single_string_equals_list_ram2() {
    let one = policy(json!([allow(json!("kms:Encrypt"), json!("*"))]));
    let list = policy(json!([allow(json!(["kms:Encrypt"]), json!(["*"]))]));
    let c = Context::new();
    for action in ["kms:Encrypt", "kms:Decrypt"] {
        let req = ask(action, KEY, &c);
        assert_eq!(one.evaluate(&req), list.evaluate(&req));
    }
    assert_eq!(one.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
}

#[test]
fn single_statement_object_is_one_item_list_ram2() {
    let p = policy(allow(json!("kms:*"), json!("*")));
    let c = Context::new();
    assert_eq!(p.evaluate(&ask("kms:CreateKey", KEY, &c)), allowed(0));
}

#[test]
fn actions_case_insensitive_ram2() {
    let p = policy(json!([allow(json!(["KMS:encrypt", "Kms:Generate*"]), json!("*"))]));
    let c = Context::new();
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
    assert_eq!(p.evaluate(&ask("KMS:ENCRYPT", KEY, &c)), allowed(0));
    assert_eq!(p.evaluate(&ask("kms:generatedatakeywithoutplaintext", KEY, &c)), allowed(0));
    assert_eq!(p.evaluate(&ask("kms:Decrypt", KEY, &c)), Verdict::NoMatch);
}

#[test]
fn action_wildcards_ram2() {
    let p = policy(json!([allow(json!(["kms:Get?ecretValue", "ram:*"]), json!("*"))]));
    let c = Context::new();
    assert!(p.evaluate(&ask("kms:GetSecretValue", SECRET, &c)).is_allow());
    assert!(p.evaluate(&ask("ram:CreateUser", "*", &c)).is_allow());
    assert!(!p.evaluate(&ask("kms:GetSSecretValue", SECRET, &c)).is_allow());
    let all = policy(json!([allow(json!("*"), json!("*"))]));
    assert!(all.evaluate(&ask("resourcesharing:CreateResourceShare", "x", &c)).is_allow());
}

#[test]
fn resources_case_sensitive_ram3() {
    let p = policy(json!([allow(json!("kms:*"), json!("acs:kms:*:*:key/Key-*"))]));
    let c = Context::new();
    let upper = "acs:kms:cn-hangzhou:1234567890123456:key/Key-1";
    assert_eq!(p.evaluate(&ask("kms:Encrypt", upper, &c)), allowed(0));
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), Verdict::NoMatch);
}

#[test]
fn explicit_deny_wins_ram2() {
    let p = policy(json!([
        allow(json!("kms:*"), json!("*")),
        {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}
    ]));
    let c = Context::new();
    assert_eq!(p.evaluate(&ask("kms:ScheduleKeyDeletion", KEY, &c)), denied(1));
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), denied(2));
    assert_eq!(p.evaluate(&ask("ram:ListUsers", "*", &c)), Verdict::NoMatch);
}

#[test]
fn explicit_deny_wins_across_policies_ram2() {
    let grant = policy(json!([allow(json!("kms:*"), json!("*"))]));
    let also = policy(json!([allow(json!("kms:Encrypt"), json!("*"))]));
    let deny = policy(json!([
        allow(json!("ram:*"), json!("*")),
        {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}
    ]));
    let c = Context::new();
    let req = ask("kms:Encrypt", KEY, &c);
    let verdict = evaluate([("grant", &grant), ("also", &also), ("deny", &deny)], &req);
    assert_eq!(verdict, Verdict::ExplicitDeny { policy: "deny".into(), statement: 1 });
    let verdict = evaluate([("grant", &grant), ("also", &also)], &req);
    assert_eq!(verdict, Verdict::Allow { policy: "grant".into(), statement: 0 });
    let verdict = evaluate([("deny", &deny), ("also", &also)], &ask("kms:Decrypt", KEY, &c));
    assert_eq!(verdict, Verdict::NoMatch);
    let none: [(&str, &Policy); 0] = [];
    assert_eq!(evaluate(none, &req), Verdict::NoMatch);
}

#[test]
fn not_action_matches_every_other_action_ram2() {
    let p = policy(json!([
        {"Effect": "Allow", "NotAction": ["kms:ScheduleKeyDeletion", "ram:*"], "Resource": "*"}
    ]));
    let c = Context::new();
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
    assert_eq!(p.evaluate(&ask("KMS:scheduleKeyDeletion", KEY, &c)), Verdict::NoMatch);
    assert_eq!(p.evaluate(&ask("ram:CreateUser", "*", &c)), Verdict::NoMatch);
}

#[test]
fn not_resource_matches_every_other_resource_ram2() {
    let p = policy(json!([
        {"Effect": "Deny", "Action": "kms:*", "NotResource": "acs:kms:*:*:key/*"}
    ]));
    let c = Context::new();
    assert_eq!(p.evaluate(&ask("kms:GetSecretValue", SECRET, &c)), denied(0));
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), Verdict::NoMatch);
}

#[test]
fn string_equals_needs_key_present_and_a_value_match_ram2() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringEquals": {"kms:tag/env": ["prod", "staging"]}}
    }]));
    let yes = ctx(&[("kms:tag/env", "dev"), ("kms:tag/env", "staging")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &yes)), allowed(0));
    let no = ctx(&[("kms:tag/env", "Prod")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &no)), Verdict::NoMatch);
    let absent = Context::new();
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &absent)), Verdict::NoMatch);
}

#[test]
fn negated_operator_holds_when_key_absent_or_no_value_matches_ram2() {
    let p = policy(json!([{
        "Effect": "Deny", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"kms:tag/env": "prod"}}
    }]));
    let c = Context::new();
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), denied(0));
    let dev = ctx(&[("kms:tag/env", "dev")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &dev)), denied(0));
    let prod = ctx(&[("kms:tag/env", "dev"), ("kms:tag/env", "prod")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &prod)), Verdict::NoMatch);
}

#[test]
fn condition_keys_case_insensitive_ram2() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringEquals": {"ACS:SecureTransport": "true"}}
    }]));
    let c = ctx(&[("acs:securetransport", "true")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
    let c = ctx(&[("Acs:SECURETRANSPORT", "true")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
    assert_eq!(c.get("acs:SecureTransport"), Some(&[String::from("true")][..]));
}

#[test]
fn conditions_are_anded_ram2() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {
            "StringEquals": {"a": "1", "b": "2"},
            "StringLike": {"c": "x-*"}
        }
    }]));
    let all = ctx(&[("a", "1"), ("b", "2"), ("c", "x-9")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &all)), allowed(0));
    for missing in [
        ctx(&[("b", "2"), ("c", "x-9")]),
        ctx(&[("a", "1"), ("c", "x-9")]),
        ctx(&[("a", "1"), ("b", "2"), ("c", "y-9")]),
    ] {
        assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &missing)), Verdict::NoMatch);
    }
}

#[test]
fn string_like_is_case_sensitive_glob_ram2() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringLike": {"kms:tag/team": ["pay?-*"]}}
    }]));
    let c = ctx(&[("kms:tag/team", "pays-eu")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
    let c = ctx(&[("kms:tag/team", "PAYS-eu")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), Verdict::NoMatch);
    let p = policy(json!([{
        "Effect": "Deny", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringNotLike": {"kms:tag/team": "pay*"}}
    }]));
    let c = ctx(&[("kms:tag/team", "ops")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), denied(0));
    let c = ctx(&[("kms:tag/team", "payments")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), Verdict::NoMatch);
}

#[test]
fn ignore_case_operators_ram2() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringEqualsIgnoreCase": {"kms:tag/env": "PROD"}}
    }]));
    let c = ctx(&[("kms:tag/env", "Prod")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
    let p = policy(json!([{
        "Effect": "Deny", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringNotEqualsIgnoreCase": {"kms:tag/env": "prod"}}
    }]));
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), Verdict::NoMatch);
    let c = ctx(&[("kms:tag/env", "dev")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), denied(0));
}

#[test]
fn bool_accepts_json_booleans_and_any_case_ram2() {
    let p = policy(json!([{
        "Effect": "Deny", "Action": "kms:*", "Resource": "*",
        "Condition": {"Bool": {"acs:SecureTransport": false}}
    }]));
    let insecure = ctx(&[("acs:SecureTransport", "FALSE")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &insecure)), denied(0));
    let secure = ctx(&[("acs:SecureTransport", "true")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &secure)), Verdict::NoMatch);
    let garbage = ctx(&[("acs:SecureTransport", "yes")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &garbage)), Verdict::NoMatch);
}

#[test]
fn numbers_count_as_their_text_ram2() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringEquals": {"kms:keyversioncount": [2, "3"]}}
    }]));
    let c = ctx(&[("kms:KeyVersionCount", "2")]);
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
}

#[test]
fn ip_address_blocks_ram2() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"]}}
    }]));
    for (ip, expect) in [
        ("10.200.3.4", allowed(0)),
        ("11.0.0.1", Verdict::NoMatch),
        ("192.168.1.7", allowed(0)),
        ("192.168.1.8", Verdict::NoMatch),
        ("2001:db8:1::5", allowed(0)),
        ("2001:db9::1", Verdict::NoMatch),
        ("not-an-ip", Verdict::NoMatch),
    ] {
        let c = ctx(&[("acs:SourceIp", ip)]);
        assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), expect, "{ip}");
    }
    let everything = policy(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"IpAddress": {"acs:SourceIp": "0.0.0.0/0"}}
    }]));
    let c = ctx(&[("acs:SourceIp", "8.8.8.8")]);
    assert_eq!(everything.evaluate(&ask("kms:Encrypt", KEY, &c)), allowed(0));
}

#[test]
fn not_ip_address_deny_fails_closed_az3() {
    let p = policy(json!([{
        "Effect": "Deny", "Action": "kms:*", "Resource": "*",
        "Condition": {"NotIpAddress": {"acs:SourceIp": "10.0.0.0/8"}}
    }]));
    for (ip, expect) in [("10.1.2.3", Verdict::NoMatch), ("8.8.8.8", denied(0)), ("garbage", denied(0))] {
        let c = ctx(&[("acs:SourceIp", ip)]);
        assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &c)), expect, "{ip}");
    }
    assert_eq!(p.evaluate(&ask("kms:Encrypt", KEY, &Context::new())), denied(0));
}

#[test]
fn grants_ignores_conditions_and_denies() {
    let p = policy(json!([
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "acs:kms:*:*:key/*",
         "Condition": {"StringEquals": {"kms:tag/env": "prod"}}},
        {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}
    ]));
    assert!(p.grants("KMS:Encrypt", KEY));
    assert!(!p.grants("kms:Decrypt", KEY));
    assert!(!p.grants("kms:Encrypt", SECRET));
}

// ---- Parse errors ----

#[test]
fn effect_is_case_exact_ram2() {
    let e = err(json!([{"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
                       {"Effect": "allow", "Action": "kms:*", "Resource": "*"}]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[1].Effect",
        "effect must be `Allow` or `Deny`, not `allow`",
    );
    let e = err(json!([{"Action": "kms:*", "Resource": "*"}]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Effect",
        "effect is required: `Allow` or `Deny`",
    );
    let e = err(json!({"Effect": true, "Action": "kms:*", "Resource": "*"}));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement.Effect",
        "effect must be `Allow` or `Deny`, not `true`",
    );
}

#[test]
fn version_must_be_string_one_ram2() {
    let st = json!([allow(json!("*"), json!("*"))]);
    let cases = [
        (json!({"Statement": st}), "version is required and must be the string `1`"),
        (json!({"Version": 1, "Statement": st}), "version must be the string `1`, not the number `1`"),
        (json!({"Version": "2012-10-17", "Statement": st}), "version must be the string `1`, not `2012-10-17`"),
    ];
    for (doc, message) in cases {
        let e = Policy::parse(&doc).unwrap_err();
        check(&e, ErrorCode::InvalidParameter, "PolicyDocument.Version", message);
    }
}

#[test]
fn document_must_be_an_object_ram2() {
    let e = Policy::parse(&json!([1, 2])).unwrap_err();
    check(&e, ErrorCode::InvalidParameter, "PolicyDocument", "policy document must be a JSON object, not a list");
    let e = Policy::parse_str("{\"Version\": \"1\",").unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidParameter);
    assert_eq!(e.field.as_deref(), Some("PolicyDocument"));
    assert!(e.message.starts_with("policy document is not valid JSON: "), "{}", e.message);
}

#[test]
fn statement_shape_errors_ram2() {
    let e = Policy::parse(&json!({"Version": "1"})).unwrap_err();
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement",
        "statement is required: a list of statement objects",
    );
    let e = err(json!([]));
    check(&e, ErrorCode::InvalidParameter, "PolicyDocument.Statement", "statement must not be empty");
    let e = err(json!("Allow"));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement",
        "statement must be a list of statement objects, not `Allow`",
    );
    let e = err(json!([allow(json!("*"), json!("*")), null]));
    check(&e, ErrorCode::InvalidParameter, "PolicyDocument.Statement[1]", "statement must be an object, not `null`");
}

#[test]
fn unknown_fields_are_errors_ram2() {
    let e = Policy::parse(&json!({"Version": "1", "Statement": [], "Id": "x"})).unwrap_err();
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Id",
        "unknown field `Id`, expected one of `Version`, `Statement`",
    );
    let e = Policy::parse(&json!({"version": "1", "Statement": []})).unwrap_err();
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.version",
        "unknown field `version`; did you mean `Version`?",
    );
    let e = err(json!([{"Sid": "a", "Effect": "Allow", "Action": "*", "Resource": "*"}]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Sid",
        "unknown field `Sid`, expected one of `Effect`, `Action`, `NotAction`, `Resource`, `NotResource`, `Condition`",
    );
}

#[test]
fn action_without_colon_is_error_ram2() {
    for bad in ["Encrypt", "kms:", ":Encrypt", "kms:a:b", ""] {
        let e = err(json!([allow(json!(["kms:Decrypt", bad]), json!("*"))]));
        check(
            &e,
            ErrorCode::InvalidParameter,
            "PolicyDocument.Statement[0].Action[1]",
            &format!("action `{bad}` must be `*` or look like `service:Name`, for example `kms:Encrypt`"),
        );
    }
    let e = err(json!([{"Effect": "Deny", "NotAction": "Encrypt", "Resource": "*"}]));
    assert_eq!(e.field.as_deref(), Some("PolicyDocument.Statement[0].NotAction"));
}

#[test]
fn exactly_one_of_action_or_not_action_ram2() {
    let e = err(json!([{"Effect": "Allow", "Action": "*", "NotAction": "kms:*", "Resource": "*"}]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].NotAction",
        "a statement has `Action` or `NotAction`, not both",
    );
    let e = err(json!([{"Effect": "Allow", "Resource": "*"}]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Action",
        "a statement needs `Action` or `NotAction`",
    );
    let e = err(json!([{"Effect": "Allow", "Action": "*"}]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Resource",
        "a statement needs `Resource` or `NotResource`",
    );
    let e = err(json!([{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}]));
    assert_eq!(e.field.as_deref(), Some("PolicyDocument.Statement[0].NotResource"));
}

#[test]
fn list_items_must_be_strings_ram2() {
    let e = err(json!([allow(json!([]), json!("*"))]));
    check(&e, ErrorCode::InvalidParameter, "PolicyDocument.Statement[0].Action", "action must not be an empty list");
    let e = err(json!([allow(json!("*"), json!(["*", 7]))]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Resource[1]",
        "resource must be a string, not the number `7`",
    );
    let e = err(json!([allow(json!({"a": 1}), json!("*"))]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Action",
        "action must be a string or a list of strings, not an object",
    );
}

#[test]
fn resource_must_be_star_or_acs_name_ram3() {
    let e = err(json!([allow(json!("kms:*"), json!("kms:*:*:key/*"))]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Resource",
        "resource `kms:*:*:key/*` must be `*` or start with `acs:`, for example `acs:kms:*:*:key/*`",
    );
}

#[test]
fn unknown_operator_points_at_field_ram2() {
    let e = err(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringEqual": {"a": "b"}}
    }]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition.StringEqual",
        "unknown condition operator `StringEqual`, expected one of `StringEquals`, `StringNotEquals`, \
         `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`, `Bool`, \
         `IpAddress`, `NotIpAddress`",
    );
    let e = err(json!([{
        "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Condition": {"stringequals": {"a": "b"}}
    }]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition.stringequals",
        "unknown condition operator `stringequals`; did you mean `StringEquals`?",
    );
}

#[test]
fn unsupported_operator_is_rejected_az3() {
    let e = err(json!([{
        "Effect": "Deny", "Action": "kms:*", "Resource": "*",
        "Condition": {"NumericLessThan": {"kms:x": "3"}}
    }]));
    assert_eq!(e.code, ErrorCode::InvalidParameter);
    assert_eq!(e.field.as_deref(), Some("PolicyDocument.Statement[0].Condition.NumericLessThan"));
    assert!(
        e.message
            .starts_with("condition operator `NumericLessThan` is not supported; supported operators: `StringEquals`"),
        "{}",
        e.message
    );
}

#[test]
fn condition_value_errors_point_at_key_ram2() {
    let cond = |c: Value| err(json!([{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": c}]));
    let e = cond(json!({"Bool": {"acs:SecureTransport": "yes"}}));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition.Bool.acs:SecureTransport",
        "`Bool` values must be `true` or `false`, not `yes`",
    );
    let e = cond(json!({"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "10.0.0.0/33"]}}));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition.IpAddress.acs:SourceIp",
        "`IpAddress` values must be IP addresses or CIDR blocks such as `10.0.0.0/8`, not `10.0.0.0/33`",
    );
    let e = cond(json!({"StringEquals": {"a": ["x", null]}}));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition.StringEquals.a[1]",
        "condition value must be a string, not `null`",
    );
    let e = cond(json!({"StringEquals": {"a": []}}));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition.StringEquals.a",
        "condition value must not be an empty list",
    );
    let e = cond(json!({"StringEquals": {}}));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition.StringEquals",
        "condition `StringEquals` must name at least one condition key",
    );
    let e = cond(json!({"StringEquals": "a"}));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition.StringEquals",
        "condition `StringEquals` must be an object of condition keys, not `a`",
    );
    let e = cond(json!(["StringEquals"]));
    check(
        &e,
        ErrorCode::InvalidParameter,
        "PolicyDocument.Statement[0].Condition",
        "condition must be an object of operators, not a list",
    );
}

// ---- Limits ----

#[test]
fn too_many_statements_is_limit_exceeded_ram2() {
    let statements: Vec<Value> = (0..101).map(|_| allow(json!("*"), json!("*"))).collect();
    let e = err(Value::Array(statements));
    check(
        &e,
        ErrorCode::LimitExceeded,
        "PolicyDocument.Statement",
        "a policy may have at most 100 statements, not 101",
    );
    let statements: Vec<Value> = (0..100).map(|_| allow(json!("*"), json!("*"))).collect();
    assert!(Policy::parse(&json!({"Version": "1", "Statement": statements})).is_ok());
}

#[test]
fn too_many_list_items_is_limit_exceeded_ram2() {
    let actions: Vec<String> = (0..101).map(|i| format!("kms:A{i}")).collect();
    let e = err(json!([allow(json!(actions), json!("*"))]));
    check(
        &e,
        ErrorCode::LimitExceeded,
        "PolicyDocument.Statement[0].Action",
        "a list of actions may have at most 100 items, not 101",
    );
    let values: Vec<String> = (0..101).map(|i| format!("v{i}")).collect();
    let e = err(json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
                        "Condition": {"StringEquals": {"k": values}}}]));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(e.field.as_deref(), Some("PolicyDocument.Statement[0].Condition.StringEquals.k"));
}

#[test]
fn too_many_condition_operators_or_keys_is_limit_exceeded_ram2() {
    let ops: serde_json::Map<String, Value> = (0..101).map(|i| (format!("Op{i}"), json!({"k": "v"}))).collect();
    let e = err(json!([{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": ops}]));
    check(
        &e,
        ErrorCode::LimitExceeded,
        "PolicyDocument.Statement[0].Condition",
        "a condition may have at most 100 operators, not 101",
    );
    let keys: serde_json::Map<String, Value> = (0..101).map(|i| (format!("k{i}"), json!("v"))).collect();
    let e = err(json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
                        "Condition": {"StringLike": keys}}]));
    check(
        &e,
        ErrorCode::LimitExceeded,
        "PolicyDocument.Statement[0].Condition.StringLike",
        "condition `StringLike` may have at most 100 keys, not 101",
    );
}

#[test]
fn document_over_64_kib_is_limit_exceeded_ram2() {
    let long = format!("acs:kms:*:*:key/{}", "k".repeat(70_000));
    let doc = json!({"Version": "1", "Statement": [allow(json!("*"), json!(long))]});
    let e = Policy::parse(&doc).unwrap_err();
    check(
        &e,
        ErrorCode::LimitExceeded,
        "PolicyDocument",
        "a policy document may have at most 65536 bytes of JSON text",
    );
    let text = doc.to_string();
    let e = Policy::parse_str(&text).unwrap_err();
    check(
        &e,
        ErrorCode::LimitExceeded,
        "PolicyDocument",
        &format!("a policy document may have at most 65536 bytes of JSON text, not {}", text.len()),
    );
    let e = Policy::parse(&Value::String(text)).unwrap_err();
    assert_eq!(e.code, ErrorCode::LimitExceeded);
}

// ---- Forms and serde ----

#[test]
fn parse_accepts_a_string_holding_the_document_ram2() {
    let text = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
    let from_string = Policy::parse(&Value::String(text.into())).unwrap();
    let from_str = Policy::parse_str(text).unwrap();
    let from_value = Policy::parse(&serde_json::from_str(text).unwrap()).unwrap();
    assert_eq!(from_string, from_str);
    assert_eq!(from_str, from_value);
    assert_eq!(from_str.document()["Version"], json!("1"));
    // Only one level of string wrapping: a string holding a string is not a document.
    let twice = Value::String(Value::String(text.into()).to_string());
    let e = Policy::parse(&twice).unwrap_err();
    assert_eq!(e.message, "policy document must be a JSON object, not a string");
}

#[test]
fn policy_serializes_as_its_document_and_deserializes_by_parsing_ram2() {
    let doc = json!({"Version": "1", "Statement": {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}});
    let p = Policy::parse(&doc).unwrap();
    assert_eq!(serde_json::to_value(&p).unwrap(), doc);
    let back: Policy = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(back, p);
    let back: Policy = serde_json::from_value(Value::String(doc.to_string())).unwrap();
    assert_eq!(back, p);
    let bad = serde_json::from_value::<Policy>(json!({"Version": "2", "Statement": []}));
    let message = bad.unwrap_err().to_string();
    assert_eq!(message, "version must be the string `1`, not `2`");
}

#[test]
fn verdict_serializes_with_kind() {
    let v = Verdict::ExplicitDeny { policy: "p".into(), statement: 2 };
    assert_eq!(serde_json::to_value(&v).unwrap(), json!({"kind": "explicitDeny", "policy": "p", "statement": 2}));
    assert_eq!(serde_json::to_value(Verdict::NoMatch).unwrap(), json!({"kind": "noMatch"}));
}

#[test]
fn context_keys_fold_and_values_append() {
    let mut c = Context::new();
    assert!(c.is_empty());
    c.insert("Acs:SourceIp", "10.0.0.1");
    c.insert("acs:sourceip", "10.0.0.2");
    let both = vec![String::from("10.0.0.1"), String::from("10.0.0.2")];
    assert_eq!(c.get("ACS:SOURCEIP"), Some(both.as_slice()));
    assert_eq!(c.get("acs:other"), None);
    assert_eq!(c.iter().map(|(k, _)| k).collect::<Vec<_>>(), vec!["acs:sourceip"]);
    assert_eq!(serde_json::to_value(&c).unwrap(), json!({"acs:sourceip": ["10.0.0.1", "10.0.0.2"]}));
}

#[test]
fn context_deserializes_single_values_and_folds_keys() {
    let c: Context =
        serde_json::from_value(json!({"Acs:SecureTransport": true, "kms:Tag/Env": ["a", "b"], "n": 3})).unwrap();
    assert_eq!(c.get("acs:securetransport"), Some(&[String::from("true")][..]));
    assert_eq!(c.get("KMS:TAG/ENV").map(<[String]>::len), Some(2));
    assert_eq!(c.get("n"), Some(&[String::from("3")][..]));
    let e = serde_json::from_value::<Context>(json!({"k": {"x": 1}})).unwrap_err();
    assert_eq!(e.to_string(), "context key `k` must have a string or a list of strings");
}

#[test]
fn a_policy_is_written_as_its_document_given_compactly_in_its_order_ram2() {
    // Members out of alphabetical order, spaces and a line break: kept as compact text.
    let text = "{\"Version\": \"1\",\n \"Statement\": [{\"Resource\": \"*\", \"Effect\": \"Deny\", \"Action\": [\"kms:Decrypt\"]}]}";
    let compact = r#"{"Version":"1","Statement":[{"Resource":"*","Effect":"Deny","Action":["kms:Decrypt"]}]}"#;
    let p = Policy::parse_str(text).unwrap();
    assert_eq!(p.text(), compact);
    assert_eq!(serde_json::to_string(&p).unwrap(), compact);
    let doc: Value = serde_json::from_str(compact).unwrap();
    assert_eq!(p.document(), doc);
    // serde_json's value serializer reads the text as the document it holds (the
    // Python binding converts results through it).
    assert_eq!(serde_json::to_value(&p).unwrap(), doc);
    assert_eq!(serde_json::to_string(&[&p, &p]).unwrap(), format!("[{compact},{compact}]"));
    // The same document given as a value, or as a string holding its text: the same policy.
    assert_eq!(Policy::parse(&doc).unwrap(), p);
    assert_eq!(Policy::parse(&Value::String(text.into())).unwrap(), p);
    // Read back from what it wrote: equal, and it still decides.
    let back: Policy = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back, p);
    let c = Context::default();
    assert!(matches!(back.evaluate(&ask("kms:Decrypt", KEY, &c)), Verdict::ExplicitDeny { statement: 0, .. }));
}

#[test]
fn size_cap_counts_the_compact_text_exactly_ram2() {
    // Pad a resource so that the compact JSON text is exactly the cap, then one byte more;
    // escapes and non-ASCII characters count as serde_json writes them.
    let base = json!({"Version": "1", "Statement": [allow(json!("*"), json!("acs:\"é\\\u{1}"))]});
    let base_len = base.to_string().len();
    for (extra, ok) in [(0usize, true), (1, false)] {
        let pad = super::parse::MAX_DOCUMENT_BYTES - base_len + extra;
        let doc = json!({"Version": "1", "Statement": [allow(json!("*"), json!(format!("acs:\"é\\\u{1}{}", "k".repeat(pad))))]});
        assert_eq!(doc.to_string().len(), super::parse::MAX_DOCUMENT_BYTES + extra);
        assert_eq!(super::parse::check_size(&doc).is_ok(), ok, "extra {extra}");
    }
}

/// The decision path matches an engine action by the bit computed at parse time
/// (`Request::of`); for every action of the table and every form of pattern (exact in
/// any case, `*`, prefixes, `?`, `NotAction`, other services, several patterns) it gives
/// exactly what matching the action's text gives (RAM-2).
#[test]
fn known_actions_match_as_their_text_does_ram2() {
    let patterns = [
        json!("*"),
        json!("kms:*"),
        json!("KMS:ENCRYPT"),
        json!("kms:encrypt"),
        json!("kms:Get*"),
        json!("KMS:GET*"),
        json!("kms:é*"),
        json!("kms:Get*Value"),
        json!("kms:*Secret*"),
        json!("kms:?ncrypt"),
        json!("kms:Encrypt?"),
        json!("resourcesharing:*"),
        json!("ram:Get*"),
        json!("ecs:*"),
        json!(["kms:Decrypt", "kms:List*"]),
        json!("k\u{212a}s:encrypt"),
    ];
    let context = Context::new();
    let mut checked = 0;
    for pattern in &patterns {
        for not in [false, true] {
            let field = if not { "NotAction" } else { "Action" };
            let p = policy(json!([{"Effect": "Allow", field: pattern, "Resource": "*"}]));
            for spec in crate::action::SPECS {
                let by_bit = p.evaluate(&Request::of(spec.action, KEY, &context));
                let by_text = p.evaluate(&ask(spec.ram, KEY, &context));
                assert_eq!(by_bit, by_text, "{field} {pattern} on {}", spec.ram);
                checked += usize::from(by_bit.is_allow());
            }
        }
    }
    // Both answers occur: the comparison is not vacuous.
    assert!(checked > 100 && checked < patterns.len() * 2 * crate::action::SPECS.len());
}

/// The fast reader of a large state's policies (`FastRead`, natively) reads every
/// document as the `Value` reader does: the same policy (its kept text and its compiled
/// statements), or a refusal where that reader refuses. It compiles straight from the
/// text exactly the documents already in their kept form: compact, unescaped, without
/// `Condition`, no member twice (RAM-2).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn fast_and_value_policy_readers_agree_ram2() {
    use crate::fastjson::FastRead;
    use crate::json::FromJson;
    let read_both = |text: &str| {
        let slow = serde_json::from_str::<Value>(text).map_err(|e| e.to_string()).and_then(Policy::from_json);
        let mut d = serde_json::Deserializer::from_str(text);
        let fast = Policy::fast(&mut d).and_then(|p| d.end().map(|()| p)).map_err(|e| e.to_string());
        match (&slow, &fast) {
            (Ok(a), Ok(b)) => assert!(a == b, "{text}"),
            (Err(a), Err(b)) => assert!(b.starts_with(a.as_str()), "{text}: {a} / {b}"),
            _ => panic!("{text}: {slow:?} / {fast:?}"),
        }
        slow.is_ok()
    };
    let doc = |statement: Value| json!({"Version": "1", "Statement": statement}).to_string();
    // Every form of statement the language has without conditions: compiled from the text.
    let actions =
        [json!("kms:Encrypt"), json!("KMS:get*"), json!("*"), json!(["kms:Decrypt", "kms:List*", "ecs:Describe?"])];
    let resources = [json!("*"), json!(KEY), json!(["acs:kms:*:*:key/*", SECRET])];
    let mut compiled = 0;
    for deny in [false, true] {
        for (a, action) in actions.iter().enumerate() {
            for (r, resource) in resources.iter().enumerate() {
                let mut s = json!({"Effect": if deny { "Deny" } else { "Allow" }});
                s[if a % 2 == 0 { "Action" } else { "NotAction" }] = action.clone();
                s[if r % 2 == 0 { "Resource" } else { "NotResource" }] = resource.clone();
                for text in [doc(s.clone()), doc(json!([s.clone(), allow(json!("kms:Encrypt"), json!("*"))]))] {
                    assert!(parse::compile_text(&text).is_some(), "{text}");
                    assert!(read_both(&text), "{text}");
                    compiled += 1;
                }
            }
        }
    }
    assert_eq!(compiled, 48);
    let enc = allow(json!("kms:Encrypt"), json!("*"));
    let compact = doc(enc.clone());
    // Read through `Value`, the same policy: spaces, escapes, conditions, a member twice,
    // a document given as a JSON string.
    let read_by_value = [
        serde_json::to_string_pretty(&json!({"Version": "1", "Statement": [enc]})).unwrap(),
        compact.replace("Encrypt", "Encr\\u0079pt"),
        compact.replace("\"Resource\"", "\"Condition\":{\"Bool\":{\"acs:SecureTransport\":\"true\"}},\"Resource\""),
        compact.replace("\"Effect\":\"Allow\"", "\"Effect\":\"Deny\",\"Effect\":\"Allow\""),
        compact.replace("{\"Version\":\"1\",", "{\"Version\":\"2\",\"Version\":\"1\","),
        serde_json::to_string(&compact).unwrap(),
    ];
    for text in &read_by_value {
        assert_ne!(text, &compact);
        assert!(parse::compile_text(text).is_none(), "{text}");
        assert!(read_both(text), "{text}");
    }
    // Refused by both.
    let many = |n: usize| (0..n).map(|i| format!("kms:Action{i}")).collect::<Vec<_>>();
    let refused = [
        compact.replace("\"Action\":\"kms:Encrypt\"", "\"Action\":null,\"NotAction\":\"kms:Encrypt\""),
        compact.replace("\"Action\":\"kms:Encrypt\"", "\"Action\":[],\"NotAction\":\"kms:Encrypt\""),
        compact.replace("\"Action\":\"kms:Encrypt\"", "\"Action\":\"kms:Encrypt\",\"NotAction\":\"kms:Decrypt\""),
        compact.replace("\"Action\":\"kms:Encrypt\",", ""),
        compact.replace("\"Effect\":\"Allow\"", "\"Effect\":\"allow\""),
        compact.replace("\"Effect\":\"Allow\",", ""),
        compact.replace("\"Resource\":\"*\"", "\"Resource\":\"kms:*\""),
        compact.replace("\"Action\":\"kms:Encrypt\"", "\"Action\":\"kms\""),
        compact.replace("\"Action\":\"kms:Encrypt\"", "\"Action\":[\"kms:Encrypt\",3]"),
        compact.replace("\"Effect\"", "\"Sid\":\"x\",\"Effect\""),
        compact.replace("\"Version\":\"1\"", "\"Version\":1"),
        compact.replace("\"Version\":\"1\",", ""),
        format!("{},\"Id\":\"x\"}}", &compact[..compact.len() - 1]),
        doc(json!([])),
        doc(json!("statement")),
        doc(json!([enc, "statement"])),
        doc(Value::Array(vec![enc.clone(); parse::MAX_STATEMENTS + 1])),
        doc(allow(json!(many(parse::MAX_ITEMS + 1)), json!("*"))),
        doc(allow(json!(many(5_000)), json!("*"))),
    ];
    for text in &refused {
        assert_ne!(text, &compact);
        assert!(parse::compile_text(text).is_none(), "{text}");
        assert!(!read_both(text), "{text}");
    }
    // At the caps: read from the text.
    let at_caps =
        [doc(Value::Array(vec![enc; parse::MAX_STATEMENTS])), doc(allow(json!(many(parse::MAX_ITEMS)), json!("*")))];
    for text in &at_caps {
        assert!(parse::compile_text(text).is_some());
        assert!(read_both(text));
    }
}
