//! An instance shared in a mode the engine was not told (as the vendor's API reads back:
//! it reports no mode, SM-1) leaves undetermined exactly the decisions the mode would
//! settle, and nothing else: neither a silent Allow nor a silent Deny (issue "Import a
//! real organization and review it", item 3).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use kms_share_core::api::{DecisionRequest, Organization};
use kms_share_core::authz::{CheckName, Effect, Outcome};
use kms_share_core::crypto::OsRng;
use kms_share_core::ids::InstanceId;
use kms_share_core::model::SharingMode;
use kms_share_core::rules::Rule;
use serde_json::json;

const OWNER: &str = "acs:ram::1000000000000002:root";
const B: &str = "acs:ram::1000000000000003:root";
const C: &str = "acs:ram::1000000000000004:root";

/// The review's example (kst-depta shared Joint by 1000000000000002; B created key-b1
/// in it), with kst-depta's mode forgotten.
fn imported() -> Organization {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/review/findings.json")).unwrap();
    let (mut org, run) = Organization::from_scenario(&text, Box::new(OsRng)).unwrap();
    assert!(run.passed);
    let mut state = org.policy_export();
    let inst = state.instances.get_mut(&InstanceId::parse("kst-depta").unwrap()).unwrap();
    assert_eq!(inst.sharing_mode, Some(SharingMode::Joint));
    inst.sharing_mode = Some(SharingMode::Unknown);
    org.load_state(state);
    org
}

fn ask(org: &Organization, caller: &str, action: &str, resource: &str) -> kms_share_core::Decision {
    let req = DecisionRequest { caller: caller.into(), action: action.into(), resource: resource.into(), region: None };
    let d = org.explain(&req).unwrap();
    assert_eq!(org.denied_by(&req).unwrap(), d.denied_by.or(d.undetermined_by), "effect-only path agrees");
    assert_eq!(org.is_allowed(caller, action, resource), d.allowed());
    d
}

#[test]
fn the_owner_using_a_principals_key_is_undetermined_sm1() {
    let org = imported();
    let d = ask(&org, OWNER, "kms:Encrypt", "key-b1");
    assert_eq!(
        (d.effect, d.denied_by, d.undetermined_by, d.rule),
        (Effect::Undetermined, None, Some(CheckName::Ownership), Some(Rule::Sm1))
    );
    assert!(!d.allowed(), "an undetermined decision allows nothing (AZ-3)");
    let own = d.checks.iter().find(|c| c.check == CheckName::Ownership).unwrap();
    assert_eq!(own.outcome, Outcome::Undetermined);
    assert!(own.detail.contains("only if instance kst-depta is in Joint ownership"), "{}", own.detail);
    assert!(d.message.as_deref().unwrap().starts_with("access undetermined"), "{:?}", d.message);
    assert!(d.fix.as_deref().unwrap().contains("kms:SetInstanceSharingMode"), "{:?}", d.fix);
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!((json["effect"].as_str(), json["undeterminedBy"].as_str()), (Some("Undetermined"), Some("ownership")));
}

#[test]
fn what_the_mode_does_not_settle_is_decided_as_before() {
    let org = imported();
    // The creator uses its own key in either mode.
    assert_eq!(ask(&org, B, "kms:Encrypt", "key-b1").effect, Effect::Allow);
    // Another principal never uses it, in either mode (SM-3).
    let c = ask(&org, C, "kms:Encrypt", "key-b1");
    assert_eq!((c.effect, c.denied_by), (Effect::Deny, Some(CheckName::Ownership)));
    // A failing check decides even when the mode would be asked after it (RAM-2).
    let user = ask(&org, "acs:ram::1000000000000002:user/nobody", "kms:Encrypt", "key-b1");
    assert_eq!((user.effect, user.denied_by), (Effect::Deny, Some(CheckName::RamPolicy)));
    // The instance itself and the owner's own resources: no mode needed.
    assert_eq!(ask(&org, OWNER, "kms:GetKmsInstance", "kst-depta").effect, Effect::Allow);
}

#[test]
fn matrix_who_can_and_review_say_undetermined() {
    let org = imported();
    let m = org.access_matrix("kst-depta").unwrap();
    let owner = m.identities.iter().position(|i| i.identity == OWNER).unwrap();
    let key = m.resources.iter().position(|r| r.name == "key-b1").unwrap();
    let cell = m.cells.iter().find(|c| c.identity == owner && c.resource == key && c.action == "kms:Encrypt").unwrap();
    assert_eq!(
        (cell.effect, cell.denied_by, cell.undetermined_by),
        (Effect::Undetermined, None, Some(CheckName::Ownership))
    );
    assert_eq!(m.sharing_mode, Some(SharingMode::Unknown));

    let who = org.who_can("kms:Encrypt", "key-b1").unwrap();
    let got: Vec<(&str, bool)> = who.iter().map(|a| (a.identity.as_str(), a.undetermined.is_some())).collect();
    assert_eq!(
        got,
        vec![(OWNER, true), (B, false), ("acs:ram::1000000000000003:user/ops", false)],
        "B and its user with kms:* can; the owner may, depending on the mode"
    );

    let r = org.review().unwrap();
    let f = r.findings.iter().find(|f| f.rule == Rule::Sm1).expect("an SM-1 finding");
    assert_eq!(f.instance, "kst-depta");
    assert!(f.message.contains("undetermined"), "{}", f.message);
    let inst = r.instances.iter().find(|i| i.instance == "kst-depta").unwrap();
    assert_eq!(inst.sharing_mode.as_deref(), Some("Unknown"));
    let o = inst.access.iter().find(|a| a.identity == OWNER).unwrap();
    assert_eq!((o.can_use, o.undetermined), (0, 1));
    assert!(kms_share_core::review::html(&r).contains("+ 1 undetermined"));
}

#[test]
fn a_call_it_leaves_undetermined_is_refused_and_says_why() {
    let mut org = imported();
    let r = org
        .step(&json!({"caller": OWNER, "action": "kms:Encrypt", "params": {"KeyId": "key-b1", "Plaintext": "aGk="}}))
        .unwrap();
    assert!(!r.ok);
    let e = r.error.unwrap();
    assert_eq!(e.code.as_str(), "AccessDenied");
    assert!(e.message.starts_with("access undetermined"), "{}", e.message);
    assert_eq!(e.decision.unwrap().effect, Effect::Undetermined);
}

#[test]
fn setting_the_mode_settles_it_sm1() {
    let mut org = imported();
    // Naming a mode on a share does not settle an unknown one: it is set on purpose.
    let r = org
        .step(&json!({"caller": OWNER, "action": "kms:SetInstanceSharingMode", "params": {"InstanceId": "kst-depta", "SharingMode": "Independent"}}))
        .unwrap();
    assert!(r.ok, "{:?}", r.error);
    let d = ask(&org, OWNER, "kms:Encrypt", "key-b1");
    assert_eq!((d.effect, d.denied_by), (Effect::Deny, Some(CheckName::Ownership)));
}

#[test]
fn a_state_document_says_unknown_and_reads_back() {
    let org = imported();
    let text = serde_json::to_string(&org.policy_export()).unwrap();
    assert!(text.contains(r#""sharingMode":"Unknown""#));
    let back = Organization::from_document(&text, Box::new(OsRng)).unwrap();
    assert_eq!(ask(&back, OWNER, "kms:Encrypt", "key-b1").effect, Effect::Undetermined);
}
