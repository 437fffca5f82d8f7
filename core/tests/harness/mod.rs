//! Shared by the property tests, the fuzz targets (`fuzz/`, through `#[path]`) and
//! the replay of fuzz regressions: a small fixed organization, a vocabulary of
//! random operations, the invariants, and one entry point per fuzzed parser.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use kms_share_core::api::{DecisionRequest, Organization};
use kms_share_core::crypto::SeededRng;
use kms_share_core::model::{KeyState, ShareState, SharingMode};
use kms_share_core::scenario::{RunOptions, Runner, Scenario, Step};
use serde_json::{json, Value};

pub const ACCOUNTS: [&str; 6] = [
    "1000000000000001",
    "1000000000000002",
    "1000000000000003",
    "1000000000000004",
    "1000000000000005",
    "1000000000000006",
];
pub const FOLDERS: [&str; 3] = ["fd-a", "fd-b", "fd-c"];
pub const INSTANCES: [&str; 2] = ["kst-one", "kst-two"];

pub fn root(i: usize) -> String {
    format!("acs:ram::{}:root", ACCOUNTS[i % ACCOUNTS.len()])
}

pub fn step(caller: String, action: &str, params: Value) -> Step {
    serde_json::from_value(json!({ "caller": caller, "action": action, "params": params })).unwrap()
}

/// A fixed organization: management account 1, members 2..6 spread over three
/// folders (fd-c under fd-b), two instances owned by 2 and 3, two shares.
pub fn setup() -> Vec<Step> {
    let mut s = vec![
        step(
            root(0),
            "EnableResourceDirectory",
            json!({"EnterpriseId": "ent", "DirectoryId": "rd-x", "RootFolderId": "fd-root"}),
        ),
        step(root(0), "CreateFolder", json!({"FolderName": "Fa", "FolderId": "fd-a"})),
        step(root(0), "CreateFolder", json!({"FolderName": "Fb", "FolderId": "fd-b"})),
        step(root(0), "CreateFolder", json!({"FolderName": "Fc", "FolderId": "fd-c", "ParentFolderId": "fd-b"})),
    ];
    for i in 1..ACCOUNTS.len() {
        s.push(step(
            root(0),
            "CreateResourceAccount",
            json!({"AccountName": format!("acct{i}"), "DisplayName": format!("acct{i}"), "AccountId": ACCOUNTS[i], "ParentFolderId": FOLDERS[i % 3]}),
        ));
    }
    s.push(step(root(0), "EnableSharingWithResourceDirectory", json!({})));
    s.push(step(
        root(1),
        "kms:CreateInstance",
        json!({"InstanceId": INSTANCES[0], "RegionId": "cn-hangzhou", "Quota": 3}),
    ));
    s.push(step(
        root(2),
        "kms:CreateInstance",
        json!({"InstanceId": INSTANCES[1], "RegionId": "cn-hangzhou", "Quota": 4}),
    ));
    s.push(step(root(1), "CreateResourceShare", json!({"ResourceShareName": "s1", "ResourceShareId": "rs-one", "Resources": [INSTANCES[0]], "SharingMode": "Joint"})));
    s.push(step(root(2), "CreateResourceShare", json!({"ResourceShareName": "s2", "ResourceShareId": "rs-two", "Resources": [INSTANCES[1]], "SharingMode": "Independent"})));
    s
}

pub fn target(t: u8) -> String {
    match t % 10 {
        0..=5 => ACCOUNTS[(t as usize) % ACCOUNTS.len()].to_string(),
        6..=8 => FOLDERS[(t as usize) % 3].to_string(),
        _ => "rd-x".to_string(),
    }
}

/// One random operation, from a small vocabulary that touches every invariant.
pub fn op(kind: u8, a: u8, b: u8, c: u8) -> Step {
    let share = if a % 2 == 0 { ("rs-one", 1) } else { ("rs-two", 2) };
    let inst = INSTANCES[(b % 2) as usize];
    let key = format!("key-k{}", c % 8);
    match kind % 16 {
        0 => step(root(share.1), "AssociateResourceShare", json!({"ResourceShareId": share.0, "Targets": [target(b)]})),
        1 => step(
            root(share.1),
            "DisassociateResourceShare",
            json!({"ResourceShareId": share.0, "Targets": [target(b)]}),
        ),
        2 => step(root(share.1), "DeleteResourceShare", json!({"ResourceShareId": share.0})),
        3 => step(root(a as usize), "kms:CreateKey", json!({"InstanceId": inst, "KeyId": key})),
        4 => step(root(a as usize), "kms:ScheduleKeyDeletion", json!({"KeyId": key, "PendingWindowInDays": 7})),
        5 => step(root(a as usize), "kms:Encrypt", json!({"KeyId": key, "Plaintext": "p"})),
        6 => step(
            root(0),
            "MoveAccount",
            json!({"AccountId": ACCOUNTS[1 + (a as usize) % 5], "DestinationFolderId": FOLDERS[(b % 3) as usize]}),
        ),
        7 => step(root(1 + (b % 2) as usize), "kms:UpgradeInstance", json!({"InstanceId": inst, "Quota": c % 7})),
        8 => step(
            root(1 + (b % 2) as usize),
            "kms:AttachVpc",
            json!({"InstanceId": inst, "VpcId": format!("vpc-v{}", c % 4)}),
        ),
        9 => step(
            root(1 + (b % 2) as usize),
            "kms:DetachVpc",
            json!({"InstanceId": inst, "VpcId": format!("vpc-v{}", c % 4)}),
        ),
        10 => step(
            root(1),
            "kms:SetInstanceSharingMode",
            json!({"InstanceId": INSTANCES[0], "SharingMode": if c % 2 == 0 { "Independent" } else { "Joint" }}),
        ),
        11 => step(
            root(a as usize),
            "kms:CreateSecret",
            json!({"SecretName": format!("s{}", c % 3), "SecretData": "v", "EncryptionKeyId": key}),
        ),
        12 => step(
            root(a as usize),
            "kms:DeleteSecret",
            json!({"SecretName": format!("s{}", c % 3), "ForceDeleteWithoutRecovery": true}),
        ),
        14 => step(
            root(a as usize),
            "kms:UpdateRotationPolicy",
            json!({"KeyId": key, "EnableAutomaticRotation": b % 4 != 0, "RotationInterval": "7d"}),
        ),
        15 => step(root(a as usize), "kms:DisableKey", json!({"KeyId": key})),
        _ => step(root(0), "Explain", json!({"Action": "kms:Encrypt", "Resource": key})),
    }
}

/// A step time for the fuzzed sequences: mostly the previous one, sometimes a jump to
/// the far future (README Semantics 20: rotation catch-up over any span is bounded), as a
/// year between 2026 and 9999 that never goes back.
pub fn fuzz_at(byte: u8, year: &mut u32) -> Option<String> {
    if byte < 0xF0 {
        return None;
    }
    *year = (*year + 1 + u32::from(byte - 0xF0) * 600).min(9999);
    Some(format!("{:04}-01-01T00:00:00Z", *year))
}

pub fn check_invariants(org: &Organization) -> Result<(), String> {
    let st = org.state();
    for (id, inst) in &st.instances {
        let q = st.used_quota(id);
        // KI-3: used = accounts + VPCs, never above the quota.
        if q.used != q.accounts + q.vpcs {
            return Err(format!("{id}: used {} != {} + {}", q.used, q.accounts, q.vpcs));
        }
        if q.used > inst.quota {
            return Err(format!("{id}: used {} > quota {}", q.used, inst.quota));
        }
        // Access goes only through Active shares holding the instance.
        for acct in st.admitted_accounts(id) {
            for sid in st.shares_granting(id, &acct) {
                let Some(sh) = st.shares.get(sid) else { return Err(format!("{sid} is granted but missing")) };
                if sh.state != ShareState::Active || !sh.resources.contains_key(id) {
                    return Err(format!("{acct} reaches {id} through inactive share {sid}"));
                }
            }
        }
    }
    for k in st.keys.values() {
        let Some(inst) = st.instances.get(&k.instance) else {
            return Err(format!("key {} in missing {}", k.id, k.instance));
        };
        // RS-7: no key is ever orphaned.
        if k.creator != inst.owner && st.shares_granting(&k.instance, &k.creator).is_empty() {
            return Err(format!("key {} of {} is orphaned in {}", k.id, k.creator, k.instance));
        }
        // Independent: no account but the creator may encrypt with the key.
        if inst.sharing_mode == Some(SharingMode::Independent) && k.state == KeyState::Enabled {
            for a in ACCOUNTS.iter().filter(|a| **a != k.creator.as_str()) {
                let req = DecisionRequest {
                    caller: format!("acs:ram::{a}:root"),
                    action: "kms:Encrypt".into(),
                    resource: k.id.to_string(),
                    region: None,
                };
                if org.explain(&req).map(|d| d.allowed()).unwrap_or(false) {
                    return Err(format!("Independent: {a} may encrypt with {} created by {}", k.id, k.creator));
                }
            }
        }
    }
    for s in st.secrets.values() {
        let Some(inst) = st.instances.get(&s.instance) else {
            return Err(format!("secret {} in missing {}", s.name, s.instance));
        };
        if s.creator != inst.owner && st.shares_granting(&s.instance, &s.creator).is_empty() {
            return Err(format!("secret {} of {} is orphaned", s.name, s.creator));
        }
    }
    // Unknown identities, actions and resources are always Deny (AZ-3).
    for (c, a, r) in [
        ("acs:ram::1000000000000002:user/ghost", "kms:Encrypt", "key-k0"),
        ("acs:ram::1000000000000009:root", "kms:Encrypt", "key-k0"),
        ("acs:ram::1000000000000002:root", "kms:Teleport", "key-k0"),
        ("acs:ram::1000000000000002:root", "kms:Encrypt", "key-nothere"),
    ] {
        let req = DecisionRequest { caller: c.into(), action: a.into(), resource: r.into(), region: None };
        if org.explain(&req).map(|d| d.allowed()).unwrap_or(false) {
            return Err(format!("{c} {a} {r} was allowed"));
        }
    }
    Ok(())
}

thread_local! {
    /// The fixed organization's state, built once per thread.
    static SETUP: kms_share_core::state::State = {
        let sc = Scenario { version: 1, name: None, description: None, rules: vec![], seed: Some(1), start: None, steps: setup() };
        let mut runner = Runner::new(&sc, Box::new(SeededRng::new(1))).unwrap();
        let res = runner.run(&sc, RunOptions::default());
        assert_eq!(res.errors, 0, "setup failed");
        runner.engine().state().clone()
    };
}

/// The fixed organization, loaded into a fresh `Organization`.
pub fn org(seed: u64) -> Organization {
    let mut org = Organization::new(Some(seed), Box::new(SeededRng::new(seed)), None).unwrap();
    org.load_state(SETUP.with(|s| s.clone()));
    org
}

/// Fuzz entry: a RAM policy document; when it parses, evaluate it.
pub fn fuzz_policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = kms_share_core::policy::Policy::parse_str(text) {
        let ctx = kms_share_core::policy::Context::default();
        let _ = p.evaluate(&kms_share_core::policy::Request {
            action: "kms:Encrypt",
            known: None,
            resource: "acs:kms:cn-hangzhou:1000000000000001:key/key-a",
            context: &ctx,
        });
    }
}

/// Fuzz entry: a scenario document, run on a fresh engine.
pub fn fuzz_scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = kms_share_core::scenario::run(text, Box::new(SeededRng::new(1)), RunOptions::default());
}

/// The organization of the blob target: the fixed one plus key `key-f`. A failed
/// Decrypt changes nothing but the audit trail, so it is reused (built once per
/// thread, rebuilt every 4,096 inputs to bound the trail) instead of built per input.
fn blob_org() -> Organization {
    let mut o = org(5);
    o.step(
        &serde_json::to_value(step(root(1), "kms:CreateKey", json!({"InstanceId": INSTANCES[0], "KeyId": "key-f"})))
            .unwrap(),
    )
    .unwrap();
    o
}

thread_local! {
    static BLOB_ORG: std::cell::RefCell<(Organization, u32)> = std::cell::RefCell::new((blob_org(), 0));
}

/// Fuzz entry: a ciphertext blob, parsed and then decrypted through the engine.
pub fn fuzz_blob(data: &[u8]) {
    let _ = kms_share_core::crypto::blob::decode(data);
    let b64 = kms_share_core::crypto::b64_encode(data);
    let decrypt = serde_json::to_value(step(root(1), "kms:Decrypt", json!({"CiphertextBlob": b64}))).unwrap();
    BLOB_ORG.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (o, uses) = &mut *guard;
        *uses += 1;
        if *uses % 4096 == 0 {
            *o = blob_org();
        }
        let r = o.step(&decrypt).unwrap();
        assert!(!r.ok, "random bytes decrypted");
    });
}

/// Fuzz entry: a sealed snapshot under a fixed root key.
pub fn fuzz_snapshot(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Organization::load_sealed(text, &[3u8; 32], Box::new(SeededRng::new(1)));
    }
    // The same bytes as a version 3 snapshot's key table, sealed under the root key so
    // that its integrity tag holds and the table's reader sees them: a load gives an
    // organization or an error, never a panic.
    let root = kms_share_core::crypto::AesKey::from_bytes(&[3u8; 32]).unwrap();
    let table = kms_share_core::crypto::b64_encode(data);
    let body = format!(r#"{{"state":{{}},"sealedKeys":{{}},"keyTable":"{table}"}}"#);
    let nonce = [5u8; 12];
    let tag = root.seal(&nonce, body.as_bytes(), b"kms-share/snapshot/v3").unwrap();
    let text = format!(
        r#"{{"format":"kms-share-snapshot","version":3,"nonce":"{}","body":{body},"tag":"{}"}}"#,
        kms_share_core::crypto::b64_encode(&nonce),
        kms_share_core::crypto::b64_encode(&tag)
    );
    if let Ok(org) = Organization::load_sealed(&text, &[3u8; 32], Box::new(SeededRng::new(1))) {
        assert!(org.state().keys.len() <= data.len(), "no more keys than bytes");
    }
}

/// Fuzz entry: a sequence of operations (4 bytes each) on the fixed organization,
/// with every invariant checked after each step.
pub fn fuzz_ops(data: &[u8]) {
    let mut o = org(7);
    let mut year = 2026;
    for chunk in data.chunks_exact(4).take(64) {
        let mut s = op(chunk[0], chunk[1], chunk[2], chunk[3]);
        s.at = fuzz_at(chunk[3], &mut year);
        let before = o.state().without_audit();
        let r = o.step(&serde_json::to_value(&s).unwrap()).unwrap();
        if !r.ok && s.at.is_none() {
            let mut after = o.state().without_audit();
            after.seq = before.seq;
            assert!(after == before, "failed step {} changed the state", s.action);
        }
        // CR-1: no span of time makes a key keep more versions than the limit.
        for k in o.state().keys.values() {
            assert!(k.versions.len() <= 100, "key {} has {} versions", k.id, k.versions.len());
        }
        if let Err(e) = check_invariants(&o) {
            panic!("after {} {}: {e}", s.action, s.params);
        }
    }
}
