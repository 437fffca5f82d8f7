//! `kms-share review` (issue "Import a real organization and review it", item 5): the
//! findings of tests/review/findings.json, each with its rule and fix, and the report.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use kms_share_core::api::Organization;
use kms_share_core::crypto::OsRng;
use kms_share_core::review::{html, Severity};
use kms_share_core::rules::Rule;

fn reviewed() -> kms_share_core::review::Review {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/review/findings.json")).unwrap();
    let (org, run) = Organization::from_scenario(&text, Box::new(OsRng)).unwrap();
    assert!(run.passed, "the example builds");
    org.review().unwrap()
}

#[test]
fn every_finding_of_the_example_with_its_rule_subject_and_fix() {
    let r = reviewed();
    let got: Vec<(Rule, Severity, &str, &str)> =
        r.findings.iter().map(|f| (f.rule, f.severity, f.instance.as_str(), f.subject.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (Rule::Ki4, Severity::Error, "kst-depta", "1000000000000005 in rs-cd"),
            (Rule::Ki6, Severity::Warning, "kst-depta", "1000000000000004"),
            (Rule::Ki3, Severity::Warning, "kst-depta", "kst-depta"),
            (Rule::Rs7, Severity::Warning, "kst-depta", "1000000000000003 in rs-b"),
            (Rule::Pm, Severity::Warning, "kst-depta", "acs:ram::1000000000000003:user/ops"),
            (Rule::Ki2, Severity::Warning, "kst-old", "kst-old"),
            (Rule::Rs4, Severity::Warning, "kst-old", "rs-legacy"),
            (Rule::Pm, Severity::Warning, "kst-old", "acs:ram::1000000000000003:user/ops"),
        ]
    );
    let rs7 = &r.findings[3];
    assert!(rs7.message.contains("key key-b1"), "{}", rs7.message);
    assert!(r.findings.iter().all(|f| !f.fix.is_empty()));
    let ki4 = &r.findings[0];
    assert!(ki4.message.contains("failed"), "{}", ki4.message);
    let pm = &r.findings[4];
    let ki6 = &r.findings[1];
    assert!(ki6.message.contains("in cn-hangzhou, but everything it has is in cn-shanghai"), "{}", ki6.message);
    assert!(pm.message.contains("kms:GetKmsInstance") && pm.message.contains("more"), "{}", pm.message);
}

#[test]
fn each_instance_says_who_can_use_and_manage_what() {
    let r = reviewed();
    let a = r.instances.iter().find(|i| i.instance == "kst-depta").unwrap();
    assert_eq!((a.owner.as_str(), a.sharing_mode.as_deref(), a.resources), ("1000000000000002", Some("Joint"), 1));
    assert_eq!((a.quota.quota, a.quota.used), (2, 2));
    let b = a.access.iter().find(|x| x.identity == "acs:ram::1000000000000003:root").unwrap();
    assert_eq!((b.can_use, b.can_manage, b.via_shares.clone()), (1, 1, vec!["rs-b".to_string()]));
    let owner = a.access.iter().find(|x| x.identity == "acs:ram::1000000000000002:root").unwrap();
    assert_eq!(owner.can_use, 1, "in Joint ownership the owner uses B's key (SM-1)");
    let c = a.access.iter().find(|x| x.identity == "acs:ram::1000000000000004:root").unwrap();
    assert_eq!((c.can_use, c.can_manage, c.can_create), (0, 0, true), "C may create its own keys, not use B's");
    let d = a.access.iter().find(|x| x.identity == "acs:ram::1000000000000005:root");
    assert!(d.is_none_or(|d| !d.can_create), "D's association failed: it reaches nothing (KI-4)");
}

#[test]
fn the_report_is_one_page_naming_each_finding() {
    let page = html(&reviewed());
    assert!(page.starts_with("<!doctype html>") && page.ends_with("</html>\n"));
    for rule in ["KI-2", "KI-3", "KI-4", "RS-4", "RS-7", "PM"] {
        assert!(page.contains(&format!("data-rule=\"{rule}\"")), "{rule}");
    }
    assert!(!page.contains("<script"), "no script: the report is a document");
    assert!(page.contains("<svg data-testid=\"quota-chart\""));
    assert!(page.contains("<svg data-testid=\"access-chart\""));
    // Department B uses its one key and manages it; Department A (Joint owner) uses it too.
    assert!(page.contains("use 1 · manage 1</text>"), "B's bar");
}
