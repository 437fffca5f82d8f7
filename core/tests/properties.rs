//! Property tests: random operation sequences on a small random organization, with
//! the engine's invariants checked after every step (issue: hardening).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod harness;

use harness::*;
use kms_share_core::api::DecisionRequest;
use proptest::prelude::*;
use serde_json::json;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_under_random_operation_sequences(ops in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()), 1..60)) {
        let mut org = org(1);
        let mut t = 0u64;
        for (i, (kind, a, b, c)) in ops.into_iter().enumerate() {
            let mut s = op(kind, a, b, c);
            // Every few steps, let time pass so that deletions fall due.
            if i % 7 == 6 {
                t += 8;
                s.at = Some(format!("2026-01-{:02}T00:00:00Z", (1 + t).min(28)));
            }
            let before = org.state().without_audit();
            let r = org.step(&serde_json::to_value(&s).unwrap()).unwrap();
            if !r.ok {
                // A failed operation changes nothing (deletions due by its time aside).
                let mut after = org.state().without_audit();
                if s.at.is_none() {
                    after.seq = before.seq;
                    prop_assert!(after == before, "failed step {:?} changed the state", s.action);
                }
            }
            if let Err(e) = check_invariants(&org) {
                prop_assert!(false, "after step {i} {} {}: {e}", s.action, s.params);
            }
        }
        // Snapshot save and load is the identity.
        let text = org.save_sealed(&[9u8; 32]).unwrap();
        let back = kms_share_core::api::Organization::load_sealed(&text, &[9u8; 32], Box::new(kms_share_core::crypto::SeededRng::new(2))).unwrap();
        prop_assert!(back.state() == org.state());
    }

    #[test]
    fn deleted_share_leaves_no_principal_access(targets in prop::collection::vec(any::<u8>(), 1..6)) {
        let mut org = org(3);
        for t in &targets {
            org.step(&serde_json::to_value(step(root(1), "AssociateResourceShare", json!({"ResourceShareId": "rs-one", "Targets": [target(*t)]}))).unwrap()).unwrap();
        }
        let r = org.step(&serde_json::to_value(step(root(1), "DeleteResourceShare", json!({"ResourceShareId": "rs-one"}))).unwrap()).unwrap();
        prop_assert!(r.ok);
        let st = org.state();
        let id = kms_share_core::ids::InstanceId::parse(INSTANCES[0]).unwrap();
        prop_assert!(st.admitted_accounts(&id).is_empty());
        for a in ACCOUNTS.iter().skip(2) {
            let req = DecisionRequest { caller: format!("acs:ram::{a}:root"), action: "kms:CreateKey".into(), resource: INSTANCES[0].into(), region: None };
            prop_assert!(!org.explain(&req).unwrap().allowed());
        }
    }
}
