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

    /// The `ops` fuzz target's entry on random inputs, so `make test` runs what the fuzzer
    /// runs: random operations, far-future jumps among them (rotation catch-up stays within
    /// 100 versions a key, README Semantics 20), every invariant checked after each step.
    #[test]
    fn fuzzed_operation_sequences_keep_every_invariant(data in prop::collection::vec(any::<u8>(), 0..256)) {
        fuzz_ops(&data);
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

proptest! {
    // Each case asks some 3,600 questions twice, and the matrices: fewer cases suffice.
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The effect-only path (`denied_by`, `allowed_batch`, `is_allowed`, the matrix's
    /// cells) answers exactly what the explained decision answers (AZ-1, AZ-2): the same
    /// effect and the same first failing check, on every identity, action, resource
    /// and region of a random organization, unknown ones included (AZ-3).
    #[test]
    fn effect_only_decision_agrees_with_the_explained_decision_az1(ops in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()), 1..40), unknown_mode in any::<bool>()) {
        let mut org = org(5);
        for s in ram_setup() {
            let r = org.step(&serde_json::to_value(&s).unwrap()).unwrap();
            prop_assert!(r.ok, "setup step {} failed: {:?}", s.action, r.error);
        }
        for (kind, a, b, c) in ops {
            org.step(&serde_json::to_value(agreement_op(kind, a, b, c)).unwrap()).unwrap();
        }
        if unknown_mode {
            // As imported: the first instance shared in a mode the engine was not told (SM-1).
            let mut state = org.state().clone();
            if let Some(inst) = state.instances.get_mut(&kms_share_core::ids::InstanceId::parse(INSTANCES[0]).unwrap()).filter(|i| i.sharing_mode.is_some()) {
                inst.sharing_mode = Some(kms_share_core::model::SharingMode::Unknown);
            }
            org.load_state(state);
        }
        let mut callers: Vec<String> = (0..ACCOUNTS.len()).map(root).collect();
        callers.extend([
            format!("acs:ram::{}:user/alice", ACCOUNTS[2]),
            format!("acs:ram::{}:user/bob", ACCOUNTS[2]),
            format!("acs:ram::{}:user/nobody", ACCOUNTS[2]),
            "acs:ram::1999999999999999:root".to_string(),
        ]);
        let mut resources: Vec<String> = INSTANCES.iter().map(|s| s.to_string()).collect();
        resources.extend((0..8).map(|i| format!("key-k{i}")));
        resources.extend((0..3).map(|i| format!("s{i}")));
        resources.extend(["key-missing".to_string(), "kst-missing".to_string()]);
        let actions = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:GetSecretValue", "kms:GetKmsInstance", "kms:CreateKey", "kms:ScheduleKeyDeletion", "kms:Nope"];
        let regions = [None, Some("cn-hangzhou".to_string()), Some("cn-shanghai".to_string())];
        let mut batch = Vec::new();
        let mut expected = Vec::new();
        for caller in &callers {
            for resource in &resources {
                for action in actions {
                    for region in &regions {
                        let req = DecisionRequest { caller: caller.clone(), action: action.into(), resource: resource.clone(), region: region.clone() };
                        let full = org.explain(&req);
                        let fast = org.denied_by(&req);
                        match (&full, &fast) {
                            (Ok(d), Ok(first)) => {
                                prop_assert_eq!(d.denied_by.or(d.undetermined_by), *first, "{:?}", req);
                                prop_assert_eq!(d.allowed(), first.is_none(), "{:?}", req);
                            }
                            (Err(a), Err(b)) => prop_assert_eq!(a.code, b.code, "{:?}", req),
                            _ => prop_assert!(false, "{:?}: explain {:?} but effect-only {:?}", req, full, fast),
                        }
                        if region.is_none() {
                            prop_assert_eq!(org.is_allowed(caller, action, resource), matches!(&full, Ok(d) if d.allowed()));
                        }
                        expected.push(matches!(&full, Ok(d) if d.allowed()));
                        batch.push(req);
                    }
                }
            }
        }
        prop_assert_eq!(org.allowed_batch(&batch), expected.clone());
        let borrowed: Vec<_> = batch.iter().map(DecisionRequest::borrowed).collect();
        prop_assert_eq!(org.allowed_batch_of(&borrowed), expected.clone());
        let explained: Vec<bool> =
            org.explain_batch_of(&borrowed).into_iter().map(|d| matches!(d, Ok(d) if d.allowed())).collect();
        prop_assert_eq!(explained, expected);
        // Every cell of the access matrix is the explained decision of its action.
        for inst in INSTANCES {
            let m = org.access_matrix(inst).unwrap();
            for cell in &m.cells {
                let req = DecisionRequest {
                    caller: m.identities[cell.identity].identity.clone(),
                    action: cell.action.clone(),
                    resource: m.resources[cell.resource].arn.clone(),
                    region: None,
                };
                let d = org.explain(&req).unwrap();
                prop_assert_eq!(
                    (d.effect, d.denied_by, d.undetermined_by),
                    (cell.effect, cell.denied_by, cell.undetermined_by),
                    "{:?}",
                    req
                );
            }
        }
    }
}

/// The random operations of the harness, plus what reaches the checks they leave
/// alone: share permissions removed and attached again (RS-4), instances disabled and
/// enabled (KI-2), policies detached and attached (RAM-2).
fn agreement_op(kind: u8, a: u8, b: u8, c: u8) -> kms_share_core::scenario::Step {
    let (share, owner) = if a % 2 == 0 { ("rs-one", root(1)) } else { ("rs-two", root(2)) };
    let perm = json!({"ResourceShareId": share, "PermissionName": "AliyunRSDefaultPermissionKMSInstance"});
    let inst = json!({"InstanceId": INSTANCES[(a % 2) as usize]});
    let user = json!({"UserName": "alice", "PolicyName": "p"});
    match kind % 20 {
        14 | 15 => step(owner, "DisassociateResourceSharePermission", perm),
        16 => step(owner, "AssociateResourceSharePermission", perm),
        17 => step(owner, if b % 2 == 0 { "kms:DisableInstance" } else { "kms:EnableInstance" }, inst),
        18 => step(root(2), if b % 2 == 0 { "DetachPolicyFromUser" } else { "AttachPolicyToUser" }, user),
        _ => op(kind, a, b, c),
    }
}

/// RAM users in account 3 for the agreement test: alice may encrypt with keys of
/// accounts 2 and 3 and read secrets, except that key-k1 is denied explicitly; bob
/// has no policy.
fn ram_setup() -> Vec<kms_share_core::scenario::Step> {
    let owner = root(2);
    vec![
        step(owner.clone(), "CreateUser", json!({"UserName": "alice"})),
        step(owner.clone(), "CreateUser", json!({"UserName": "bob"})),
        step(
            owner.clone(),
            "CreatePolicy",
            json!({"PolicyName": "p", "PolicyDocument": {"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:Describe*", "kms:GetSecretValue"], "Resource": [
                    format!("acs:kms:*:{}:key/*", ACCOUNTS[1]), format!("acs:kms:*:{}:*", ACCOUNTS[2])]},
                {"Effect": "Allow", "Action": "kms:GetKmsInstance", "Resource": "*"},
                {"Effect": "Deny", "Action": "kms:*", "Resource": "acs:kms:*:*:key/key-k1"}
            ]}}),
        ),
        step(owner, "AttachPolicyToUser", json!({"UserName": "alice", "PolicyName": "p"})),
    ]
}

/// Every (caller, action, resource) of the fixed organization, asked of `engine` both
/// ways: the effect-only decision must give the explained decision's effect and first
/// failing check (AZ-1), and with `as_loaded` both must be the answer of the same state
/// with its index built afresh (what a load of it answers). Returns how many requests the
/// shares let past the sharing check.
fn assert_paths_agree(engine: &kms_share_core::engine::Engine, why: &str, as_loaded: bool) -> usize {
    use kms_share_core::ids::Identity;
    let ctx = kms_share_core::policy::Context::default();
    let mut fresh = kms_share_core::engine::Engine::new(Box::new(kms_share_core::crypto::SeededRng::new(3)));
    fresh.replace_state(engine.state().clone());
    let mut reached = 0;
    for a in 0..ACCOUNTS.len() {
        let caller = Identity::parse(&root(a)).unwrap();
        for resource in INSTANCES.iter().map(|s| s.to_string()).chain((0..8).map(|i| format!("key-k{i}"))) {
            for action in ["kms:Encrypt", "kms:GetKmsInstance", "kms:CreateKey", "kms:ScheduleKeyDeletion"] {
                let full = engine.explain(&caller, action, &resource, None, &ctx).unwrap();
                let fast = engine.denied_by(&caller, action, &resource, None, &ctx).unwrap();
                assert_eq!(fast, full.denied_by.or(full.undetermined_by), "{why}: {} {action} {resource}", root(a));
                if as_loaded {
                    let loaded = fresh.explain(&caller, action, &resource, None, &ctx).unwrap();
                    assert_eq!(
                        (full.effect, full.denied_by, full.undetermined_by),
                        (loaded.effect, loaded.denied_by, loaded.undetermined_by),
                        "{why}, against the state loaded afresh: {} {action} {resource}",
                        root(a)
                    );
                }
                if !matches!(full.denied_by, Some(kms_share_core::decision::CheckName::Sharing)) {
                    reached += 1;
                }
            }
        }
    }
    reached
}

/// The effect-only decision reads which accounts an instance's shares admit by the
/// slots of accounts and instances (README Semantics 3; RS-2, RS-4). An account taken
/// out of the state behind the engine's back (`state_mut`, no rebuild) moves another
/// into its slot, and an account added later has a slot past the index's: each must
/// still get one answer both ways, and once the account is back with the same data, the
/// answer of that data loaded afresh, whichever account is taken out.
#[test]
fn effect_only_decision_keeps_each_account_its_own_answer_when_slots_move_rs2() {
    use kms_share_core::ids::AccountId;
    let mut org = org(3);
    for s in [
        step(
            root(1),
            "AssociateResourceShare",
            json!({"ResourceShareId": "rs-one", "Targets": [ACCOUNTS[3], FOLDERS[1]]}),
        ),
        step(root(2), "AssociateResourceShare", json!({"ResourceShareId": "rs-two", "Targets": [ACCOUNTS[5]]})),
        step(root(3), "kms:CreateKey", json!({"DKMSInstanceId": INSTANCES[0], "KeyId": "key-k0"})),
        step(root(5), "kms:CreateKey", json!({"DKMSInstanceId": INSTANCES[1], "KeyId": "key-k1"})),
        step(root(2), "kms:CreateKey", json!({"DKMSInstanceId": INSTANCES[1], "KeyId": "key-k2"})),
    ] {
        let r = org.step(&serde_json::to_value(&s).unwrap()).unwrap();
        assert!(r.ok, "{}: {:?}", s.action, r.error);
    }
    let state = org.state().clone();
    let engine = |state: &kms_share_core::state::State| {
        let mut e = kms_share_core::engine::Engine::new(Box::new(kms_share_core::crypto::SeededRng::new(3)));
        e.replace_state(state.clone());
        e
    };
    assert!(assert_paths_agree(&engine(&state), "as built", true) > 20, "the shares must reach some accounts");
    for gone in ACCOUNTS {
        let id = AccountId::parse(gone).unwrap();
        let mut e = engine(&state);
        let account = e.state_mut().accounts.remove(&id).unwrap();
        assert_paths_agree(&e, &format!("{gone} removed"), false);
        // Back, in a new slot, still without a rebuild.
        e.state_mut().accounts.insert(id.clone(), account.clone());
        // The same data as built: the answers of a load of it.
        assert_paths_agree(&e, &format!("{gone} removed and added again"), true);
        // Removed, the index rebuilt, then added: its slot is past the index's.
        let mut e = engine(&state);
        e.state_mut().accounts.remove(&id);
        e.state_mut().rebuild_index();
        e.state_mut().accounts.insert(id, account);
        assert_paths_agree(&e, &format!("{gone} added after the index was built"), false);
    }
}
