//! The offline import (issue "Import a real organization and review it", items 2-4): the
//! example folder of saved vendor responses (tests/import/example, docs/import.md) makes
//! the state document tests/import/example-state.json, byte for byte; what it could not
//! read is listed and leaves exactly the decisions it hides undetermined.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;

use kms_share_core::api::{DecisionRequest, Organization};
use kms_share_core::authz::{CheckName, Effect};
use kms_share_core::crypto::OsRng;
use kms_share_core::import::import;
use kms_share_core::model::{GapPart, SharingMode};
use kms_share_core::rules::Rule;

const A: &str = "1000000000000002";
const B: &str = "1000000000000003";
const C: &str = "1000000000000004";

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/import"))
}

fn files() -> Vec<(String, String)> {
    let base = root().join("example");
    let mut out = Vec::new();
    let mut todo = vec![base.clone()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(&base).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out
}

fn org() -> Organization {
    Organization::from_responses(&files(), Box::new(OsRng)).unwrap().0
}

fn ask(org: &Organization, caller: &str, action: &str, resource: &str) -> kms_share_core::Decision {
    let req = DecisionRequest { caller: caller.into(), action: action.into(), resource: resource.into(), region: None };
    org.explain(&req).unwrap()
}

#[test]
fn the_example_folder_makes_the_example_state_document() {
    let imported = import(&files()).unwrap();
    let want = std::fs::read_to_string(root().join("example-state.json")).unwrap();
    assert_eq!(kms_share_core::json::pretty(&kms_share_core::json::text(&imported.state)) + "\n", want);
    let s = &imported.summary;
    assert_eq!(
        (s.accounts, s.folders, s.instances, s.unknown_modes, s.keys, s.secrets, s.shares, s.users, s.roles, s.gaps),
        (4, 2, 2, 1, 3, 1, 2, 2, 2, 1)
    );
    // The document loads as any state document does, in every runtime.
    let back = Organization::from_document(&want, Box::new(OsRng)).unwrap();
    assert_eq!(back.state().gaps, imported.state.gaps);
}

#[test]
fn what_was_read_is_the_organization_as_built() {
    let org = org();
    let st = org.state();
    let dir = st.directory.as_ref().unwrap();
    assert_eq!(
        (dir.id.as_str(), dir.management_account.as_str(), dir.folders.len()),
        ("rd-acme", "1000000000000001", 2)
    );
    let depta = st.instances.get(&kms_share_core::ids::InstanceId::parse("kst-depta").unwrap()).unwrap();
    assert_eq!((depta.owner.as_str(), depta.quota, depta.sharing_mode), (A, 3, Some(SharingMode::Joint)));
    let key = st.keys.get(&kms_share_core::ids::KeyId::parse("key-b1").unwrap()).unwrap();
    assert_eq!((key.creator.as_str(), key.instance.as_str()), (B, "kst-depta"));
    assert!(key.versions.iter().all(|v| v.handle.is_empty()), "no key material is ever imported");
    assert_eq!(key.tags.get("env").map(String::as_str), Some("prod"), "its tags, from ListResourceTags");
    // The tags decide: auditor may decrypt with keys tagged env=prod only (RAM-2).
    let auditor = format!("acs:ram::{B}:user/auditor");
    assert_eq!(ask(&org, &auditor, "kms:Decrypt", "key-b1").effect, Effect::Allow);
    let d = ask(&org, &auditor, "kms:Decrypt", "key-blab");
    assert_eq!((d.effect, d.denied_by), (Effect::Deny, Some(CheckName::RamPolicy)));
    // Decisions as the vendor's rules make them (RS-2, SM-1, RAM-2).
    assert_eq!(ask(&org, &format!("acs:ram::{B}:user/alice"), "kms:Encrypt", "key-b1").effect, Effect::Allow);
    assert_eq!(ask(&org, &format!("acs:ram::{A}:root"), "kms:Decrypt", "key-b1").effect, Effect::Allow, "Joint");
    let d = ask(&org, &format!("acs:ram::{B}:root"), "kms:Encrypt", "key-a1");
    assert_eq!(
        (d.effect, d.denied_by),
        (Effect::Deny, Some(CheckName::Ownership)),
        "a principal uses its own keys only"
    );
    let d = ask(&org, &format!("acs:ram::{B}:user/alice"), "kms:Encrypt", "key-a1");
    assert_eq!(
        (d.effect, d.denied_by),
        (Effect::Deny, Some(CheckName::RamPolicy)),
        "alice's policy names B's resources"
    );
}

#[test]
fn what_could_not_be_read_is_listed_and_undetermined_not_guessed() {
    let org = org();
    let gaps = &org.state().gaps;
    assert_eq!(gaps.len(), 1);
    assert_eq!(
        (gaps[0].part, gaps[0].account.as_ref().map(|a| a.as_str()), gaps[0].call.as_str()),
        (GapPart::Account, Some(C), "sts:AssumeRole")
    );
    // C is a principal of kst-depta; whether its user carol may create keys there depends
    // on RAM policies the import could not read (RAM-1).
    let d = ask(&org, &format!("acs:ram::{C}:user/carol"), "kms:CreateKey", "kst-depta");
    assert_eq!((d.effect, d.undetermined_by), (Effect::Undetermined, Some(CheckName::RamPolicy)));
    // C's root holds every permission in its account: decided.
    assert_eq!(ask(&org, &format!("acs:ram::{C}:root"), "kms:CreateKey", "kst-depta").effect, Effect::Allow);
    // kst-lab's share recorded no mode: the owner using B's key there is undetermined (SM-1).
    let d = ask(&org, &format!("acs:ram::{A}:root"), "kms:Encrypt", "key-blab");
    assert_eq!(
        (d.effect, d.undetermined_by, d.rule),
        (Effect::Undetermined, Some(CheckName::Ownership), Some(Rule::Sm1))
    );
    assert_eq!(ask(&org, &format!("acs:ram::{B}:root"), "kms:Encrypt", "key-blab").effect, Effect::Allow);
}

#[test]
fn the_review_of_the_import_reports_its_gap_and_unknown_mode() {
    let r = org().review().unwrap();
    let got: Vec<(Rule, &str)> = r.findings.iter().map(|f| (f.rule, f.subject.as_str())).collect();
    assert!(got.contains(&(Rule::Az3, C)), "{got:?}");
    assert!(got.contains(&(Rule::Sm1, "kst-lab")), "{got:?}");
    let html = kms_share_core::review::html(&r);
    assert!(html.contains(&format!("the import could not read account {C} at all")), "the report names the gap");
}

#[test]
fn lists_read_in_pages_or_in_several_regions_are_merged() {
    let want = import(&files()).unwrap().state;
    let mut f = files();
    let list = format!("accounts/{A}/resourcesharing/ListResourceShareAssociations.Target");
    let at = f.iter().position(|(p, _)| *p == format!("{list}.json")).unwrap();
    let body: serde_json::Value = serde_json::from_str(&f[at].1).unwrap();
    let all = body["ResourceShareAssociations"].as_array().unwrap().clone();
    assert_eq!(all.len(), 3, "A's shares have three principals");
    // Two pages in one region, the last page in another region's file.
    let page = |items: &[serde_json::Value]| serde_json::json!({"ResourceShareAssociations": items}).to_string();
    f[at] = (format!("{list}@cn-hangzhou.1.json"), page(&all[..1]));
    f.push((format!("{list}@cn-hangzhou.2.json"), page(&all[1..2])));
    f.push((format!("{list}@cn-shanghai.json"), page(&all[2..])));
    // A file beside them that is no page of the list is not read as one.
    f.push((format!("{list}Notes.json"), "not even JSON".to_string()));
    assert_eq!(import(&f).unwrap().state, want);
    // Without the last page, a principal is missing: the pages are what is read.
    f.retain(|(p, _)| !p.ends_with("@cn-shanghai.json"));
    assert_ne!(import(&f).unwrap().state, want);
}

#[test]
fn bad_responses_are_errors_naming_the_file() {
    let mut f = files();
    let at = f.iter().position(|(p, _)| p.ends_with("kms/DescribeKey/key-b1.json")).unwrap();
    f[at].1 = r#"{"KeyMetadata": {"KeyId": "key-b1", "DKMSInstanceId": "kst-depta"}}"#.to_string();
    let e = import(&f).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("import"));
    assert!(
        e.message.contains("DescribeKey/key-b1.json") && e.message.contains("`Creator` is missing"),
        "{}",
        e.message
    );
    f[at].1 = "{not json".to_string();
    let e = import(&f).unwrap_err();
    assert!(e.message.contains("key-b1.json: not JSON"), "{}", e.message);
    let mut f = files();
    let m = f.iter().position(|(p, _)| p == "manifest.json").unwrap();
    f[m].1 = r#"{"format": "something-else/9"}"#.to_string();
    assert!(import(&f).unwrap_err().message.contains("kms-share-import/1"));
    // Nothing at all is an empty organization, not a failure: the CLI refuses an empty folder.
    assert!(import(&[]).unwrap().state.instances.is_empty());
}

#[test]
fn system_policies_are_read_and_one_the_engine_cannot_read_is_a_gap() {
    let mut f = files();
    let alice = format!("accounts/{B}/ram/ListPoliciesForUser/alice.json");
    let at = f.iter().position(|(p, _)| *p == alice).unwrap();
    f[at].1 = serde_json::json!({"Policies": {"Policy": [
        {"PolicyName": "crypto", "PolicyType": "Custom", "DefaultVersion": "v1"},
        {"PolicyName": "AliyunKMSReadOnlyAccess", "PolicyType": "System", "DefaultVersion": "v3"},
    ]}})
    .to_string();
    let doc = |statement: serde_json::Value| {
        serde_json::json!({"PolicyVersion": {"VersionId": "v3", "IsDefaultVersion": true,
            "PolicyDocument": serde_json::json!({"Version": "1", "Statement": [statement]}).to_string()}})
        .to_string()
    };
    let system = format!("accounts/{B}/ram/GetPolicyVersion/System/AliyunKMSReadOnlyAccess.json");
    f.push((
        system.clone(),
        doc(serde_json::json!({"Effect": "Allow", "Action": ["kms:Describe*", "kms:List*"], "Resource": "*"})),
    ));
    let org = Organization::from_responses(&f, Box::new(OsRng)).unwrap().0;
    assert!(org.state().gaps.iter().all(|g| g.part != GapPart::Policy));
    let d = ask(&org, &format!("acs:ram::{B}:user/alice"), "kms:DescribeKey", "key-b1");
    assert_eq!(d.effect, Effect::Allow, "the system policy's grant counts (RAM-2)");
    // A document the engine does not read is a gap, and alice's RAM check is undetermined.
    let at = f.iter().position(|(p, _)| *p == system).unwrap();
    f[at].1 = doc(serde_json::json!({"Effect": "Allow", "Action": "kms:Describe*", "Resource": "*",
        "Condition": {"NoSuchOperator": {"acs:CurrentTime": "2026"}}}));
    let org = Organization::from_responses(&f, Box::new(OsRng)).unwrap().0;
    let gap = org.state().gaps.iter().find(|g| g.part == GapPart::Policy).unwrap();
    assert_eq!((gap.subject.as_str(), gap.code.as_str()), ("AliyunKMSReadOnlyAccess", "Unsupported"));
    let d = ask(&org, &format!("acs:ram::{B}:user/alice"), "kms:DescribeKey", "key-b1");
    assert_eq!((d.effect, d.undetermined_by), (Effect::Undetermined, Some(CheckName::RamPolicy)));
    assert!(d.message.unwrap().contains("policy AliyunKMSReadOnlyAccess attached to user alice could not be read"));
    // What alice's readable policy already allows is still undetermined: the unread one might deny.
    let d = ask(&org, &format!("acs:ram::{B}:user/alice"), "kms:Encrypt", "key-b1");
    assert_eq!(d.effect, Effect::Undetermined);
    // An attached policy with no document at all is a gap too.
    f.retain(|(p, _)| *p != system);
    let org = Organization::from_responses(&f, Box::new(OsRng)).unwrap().0;
    let gap = org.state().gaps.iter().find(|g| g.part == GapPart::Policy).unwrap();
    assert_eq!(
        (gap.subject.as_str(), gap.code.as_str(), gap.call.as_str()),
        ("AliyunKMSReadOnlyAccess", "NotRead", "ram:GetPolicyVersion")
    );
}
