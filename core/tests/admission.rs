//! Quota admission under random directory and share changes (KI-3, KI-4, RS-7; README
//! Semantics 3): first come, first served. Reachability is computed here from the
//! state's data, independently of the engine's index, and the order in which accounts
//! became reachable is tracked step by step; after every step:
//!
//! 1. no admitted account loses its admission while it stays reachable;
//! 2. the admitted accounts and VPCs never exceed the quota;
//! 3. no account that created a key or secret in an instance is cut off from it;
//! 4. admission follows the order accounts became reachable: a waiting account never
//!    stands before an admitted one, and no account waits while there is room.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod harness;

use std::collections::{BTreeMap, BTreeSet};

use harness::*;
use kms_share_core::api::Organization;
use kms_share_core::ids::{AccountId, InstanceId};
use kms_share_core::model::{AssociationState, Principal, ShareState};
use kms_share_core::scenario::Step;
use kms_share_core::state::State;
use proptest::prelude::*;
use serde_json::json;

/// Member accounts the operations may create, beyond the harness's six.
const NEW_MEMBERS: usize = 6;

fn new_member(i: usize) -> String {
    format!("10000000000000{:02}", 10 + i % NEW_MEMBERS)
}

/// One random change of the directory, the shares, the quota or the VPCs (and keys,
/// which make RS-7 bite).
fn admission_op(kind: u8, a: u8, b: u8, c: u8) -> Step {
    let (share, owner) = if a % 2 == 0 { ("rs-one", 1) } else { ("rs-two", 2) };
    let inst = INSTANCES[(b % 2) as usize];
    let inst_owner = 1 + (b % 2) as usize;
    let folder = FOLDERS[(c % 3) as usize];
    match kind % 12 {
        0 | 1 => step(root(owner), "AssociateResourceShare", json!({"ResourceShareId": share, "Targets": [target(c)]})),
        2 => step(root(owner), "DisassociateResourceShare", json!({"ResourceShareId": share, "Targets": [target(c)]})),
        3 => {
            let m = new_member(b as usize);
            step(
                root(0),
                "CreateResourceAccount",
                json!({"AccountNamePrefix": format!("m{m}"), "DisplayName": "member", "AccountId": m, "ParentFolderId": folder}),
            )
        }
        4 | 5 => {
            let who = if a % 3 == 0 { new_member(b as usize) } else { ACCOUNTS[1 + (b as usize) % 5].to_string() };
            step(root(0), "MoveAccount", json!({"AccountId": who, "DestinationFolderId": folder}))
        }
        6 => step(root(inst_owner), "kms:UpgradeInstance", json!({"InstanceId": inst, "Quota": c % 8})),
        7 => step(root(inst_owner), "kms:AttachVpc", json!({"InstanceId": inst, "VpcId": format!("vpc-v{}", c % 3)})),
        8 => step(root(inst_owner), "kms:DetachVpc", json!({"InstanceId": inst, "VpcId": format!("vpc-v{}", c % 3)})),
        9 => {
            let who =
                if a % 3 == 0 { new_member(c as usize) } else { ACCOUNTS[(c as usize) % ACCOUNTS.len()].to_string() };
            step(
                format!("acs:ram::{who}:root"),
                "kms:CreateKey",
                json!({"InstanceId": inst, "KeyId": format!("key-k{}", a % 8)}),
            )
        }
        10 => step(root(owner), "AssociateResourceShare", json!({"ResourceShareId": share, "Resources": [inst]})),
        _ => step(root(owner), "DisassociateResourceShare", json!({"ResourceShareId": share, "Resources": [inst]})),
    }
}

/// Does `p` cover `account`, by the directory's data (RS-2: sub-folders included)?
fn covers(st: &State, p: &Principal, account: &AccountId) -> bool {
    let Some(dir) = &st.directory else { return false };
    let Some(m) = dir.members.get(account) else { return false };
    match p {
        Principal::Account(a) => a == account,
        Principal::Directory(d) => *d == dir.id,
        Principal::Folder(f) => {
            let mut cur = Some(&m.folder);
            while let Some(c) = cur {
                if c == f {
                    return true;
                }
                cur = dir.folders.get(c).and_then(|x| x.parent.as_ref());
            }
            false
        }
    }
}

/// instance -> the accounts reachable from it now (KI-3): covered by an associated
/// principal of an active share that holds the instance, of the directory's
/// enterprise, and not the owner.
fn reachable(st: &State) -> BTreeMap<InstanceId, BTreeSet<AccountId>> {
    let mut out: BTreeMap<InstanceId, BTreeSet<AccountId>> = BTreeMap::new();
    let Some(dir) = &st.directory else { return out };
    for share in st.shares.values().filter(|s| s.state == ShareState::Active) {
        for (inst, ra) in &share.resources {
            if ra.state != AssociationState::Associated {
                continue;
            }
            let Some(i) = st.instances.get(inst) else { continue };
            for (p, pa) in &share.principals {
                if pa.state != AssociationState::Associated {
                    continue;
                }
                for acct in dir.members.keys() {
                    let same_enterprise = st.accounts.get(acct).and_then(|a| a.enterprise_id.as_deref())
                        == Some(dir.enterprise_id.as_str());
                    if *acct != i.owner && same_enterprise && covers(st, p, acct) {
                        out.entry(inst.clone()).or_default().insert(acct.clone());
                    }
                }
            }
        }
    }
    out
}

/// The order accounts became reachable, as groups: accounts that became reachable in
/// the same step share a group (the engine orders them; README Semantics 3).
#[derive(Default)]
struct Arrivals {
    group: BTreeMap<InstanceId, BTreeMap<AccountId, usize>>,
}

impl Arrivals {
    fn update(&mut self, now: &BTreeMap<InstanceId, BTreeSet<AccountId>>, step: usize) {
        let mut next: BTreeMap<InstanceId, BTreeMap<AccountId, usize>> = BTreeMap::new();
        for (inst, accts) in now {
            let old = self.group.get(inst);
            for a in accts {
                let g = old.and_then(|o| o.get(a)).copied().unwrap_or(step);
                next.entry(inst.clone()).or_default().insert(a.clone(), g);
            }
        }
        self.group = next;
    }
}

fn check_admission(
    org: &Organization,
    before: &BTreeMap<InstanceId, BTreeSet<AccountId>>,
    arrivals: &Arrivals,
) -> Result<BTreeMap<InstanceId, BTreeSet<AccountId>>, String> {
    let st = org.state();
    let reach = reachable(st);
    let mut admitted_now = BTreeMap::new();
    for (id, inst) in &st.instances {
        let q = st.used_quota(id);
        let admitted: BTreeSet<AccountId> = q.admitted_accounts.iter().cloned().collect();
        let waiting: BTreeSet<AccountId> = q.over_quota_accounts.iter().cloned().collect();
        let r = reach.get(id).cloned().unwrap_or_default();
        // The engine's view of who is reachable is the data's.
        let listed: BTreeSet<AccountId> = admitted.union(&waiting).cloned().collect();
        if listed != r {
            return Err(format!("{id}: admitted + waiting {listed:?} != reachable {r:?}"));
        }
        // 2. never above the quota.
        if q.accounts + q.vpcs > inst.quota {
            return Err(format!("{id}: {} accounts + {} VPCs > quota {}", q.accounts, q.vpcs, inst.quota));
        }
        // 1. an admitted account that is still reachable is still admitted.
        for a in before.get(id).into_iter().flatten() {
            if r.contains(a) && !admitted.contains(a) {
                return Err(format!("{id}: {a} was admitted, is still reachable, and lost its admission"));
            }
        }
        // 4. first come, first served; nobody waits while there is room.
        let groups = arrivals.group.get(id).cloned().unwrap_or_default();
        for w in &waiting {
            for a in &admitted {
                if groups.get(w) < groups.get(a) {
                    return Err(format!("{id}: {w} waits though it became reachable before admitted {a}"));
                }
            }
        }
        if !waiting.is_empty() && q.accounts + q.vpcs < inst.quota {
            return Err(format!("{id}: {waiting:?} wait while {} of {} is used", q.used, inst.quota));
        }
        admitted_now.insert(id.clone(), admitted);
    }
    // 3. RS-7: nobody is cut off from what it created.
    for k in st.keys.values() {
        let owner = &st.instances.get(&k.instance).unwrap().owner;
        if k.creator != *owner && !admitted_now.get(&k.instance).is_some_and(|s| s.contains(&k.creator)) {
            return Err(format!("key {} of {} is cut off from {}", k.id, k.creator, k.instance));
        }
    }
    Ok(admitted_now)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn admission_is_first_come_first_served_and_never_evicts_ki4(
        ops in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()), 1..80)
    ) {
        let mut org = org(11);
        let mut arrivals = Arrivals::default();
        arrivals.update(&reachable(org.state()), 0);
        let mut admitted = check_admission(&org, &BTreeMap::new(), &arrivals).unwrap();
        for (i, (kind, a, b, c)) in ops.into_iter().enumerate() {
            let s = admission_op(kind, a, b, c);
            org.step(&serde_json::to_value(&s).unwrap()).unwrap();
            // The access parts the operation rebuilt (of its instances only, for a share's
            // or an instance's) are those of the whole index built afresh.
            let mut rebuilt = org.state().clone();
            rebuilt.rebuild_index();
            prop_assert!(&rebuilt == org.state(), "after step {i} {} {}: the index differs from one rebuilt", s.action, s.params);
            arrivals.update(&reachable(org.state()), i + 1);
            match check_admission(&org, &admitted, &arrivals) {
                Ok(now) => admitted = now,
                Err(e) => prop_assert!(false, "after step {i} {} {}: {e}", s.action, s.params),
            }
        }
    }
}

/// Accounts that become reachable in the same step take their places in the admission
/// order in the order they were found (README Semantics 3): a share's principals in
/// association order, a folder's accounts in the order they joined the directory; not in
/// the order of their ids. The order shows in a state read without its admission order
/// and with less quota than accounts reached (KI-4).
#[test]
fn accounts_found_together_are_admitted_in_the_order_found_ki3() {
    let mut org = org(11);
    let mut run = |s: Step| {
        let r = org.step(&serde_json::to_value(&s).unwrap()).unwrap();
        assert!(r.ok, "{} {}: {}", s.action, s.params, serde_json::to_string(&r).unwrap());
    };
    run(step(root(0), "CreateFolder", json!({"FolderName": "Fn", "FolderId": "fd-n"})));
    // They join in descending id order.
    for m in ["1000000000000019", "1000000000000018", "1000000000000017"] {
        run(step(
            root(0),
            "CreateResourceAccount",
            json!({"AccountNamePrefix": format!("m{m}"), "DisplayName": "member", "AccountId": m, "ParentFolderId": "fd-n"}),
        ));
    }
    run(step(root(1), "AssociateResourceShare", json!({"ResourceShareId": "rs-one", "Targets": ["1000000000000018"]})));
    run(step(root(1), "kms:UpgradeInstance", json!({"InstanceId": "kst-one", "Quota": 10})));
    run(step(
        root(1),
        "AssociateResourceShare",
        json!({"ResourceShareId": "rs-one", "Targets": ["fd-n", "1000000000000003"]}),
    ));
    // The same organization read without its admission order (an imported one has
    // none), its quota lower than the accounts reached.
    let kst_one = InstanceId::parse("kst-one").unwrap();
    let mut st = org.state().clone();
    st.admission = Default::default();
    st.instances.get_mut(&kst_one).unwrap().quota = 2;
    let mut org = harness::org(12);
    org.load_state(st);
    let usage = org.state().used_quota(&kst_one);
    let ids = |v: &[AccountId]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&usage.admitted_accounts), ["1000000000000018", "1000000000000019"]);
    assert_eq!(ids(&usage.over_quota_accounts), ["1000000000000017", "1000000000000003"]);
}

/// A share's operations rebuild the access of each of its instances (RS-5, RS-6): a
/// principal added to, then removed from, a share of two instances reaches both, then
/// neither, and the index is the one a rebuild makes.
#[test]
fn a_principal_of_a_share_of_two_instances_reaches_both_rs6() {
    let mut org = org(11);
    let run = |org: &mut Organization, s: Step| {
        let r = org.step(&serde_json::to_value(&s).unwrap()).unwrap();
        assert!(r.ok, "{} {}: {}", s.action, s.params, serde_json::to_string(&r).unwrap());
        let mut rebuilt = org.state().clone();
        rebuilt.rebuild_index();
        assert!(&rebuilt == org.state(), "after {} {}: the index differs from one rebuilt", s.action, s.params);
    };
    run(
        &mut org,
        step(root(1), "kms:CreateInstance", json!({"InstanceId": "kst-three", "RegionId": "cn-hangzhou", "Quota": 3})),
    );
    run(
        &mut org,
        step(
            root(1),
            "CreateResourceShare",
            json!({"ResourceShareName": "s3", "ResourceShareId": "rs-three", "Resources": ["kst-one", "kst-three"], "SharingMode": "Joint"}),
        ),
    );
    let admitted = |org: &Organization| {
        ["kst-one", "kst-three"].map(|i| org.state().used_quota(&InstanceId::parse(i).unwrap()).admitted_accounts.len())
    };
    run(
        &mut org,
        step(root(1), "AssociateResourceShare", json!({"ResourceShareId": "rs-three", "Targets": [ACCOUNTS[4]]})),
    );
    assert_eq!(admitted(&org), [1, 1]);
    run(
        &mut org,
        step(root(1), "DisassociateResourceShare", json!({"ResourceShareId": "rs-three", "Targets": [ACCOUNTS[4]]})),
    );
    assert_eq!(admitted(&org), [0, 0]);
}
