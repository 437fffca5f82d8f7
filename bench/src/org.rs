//! The generated organization every figure uses, and its request set.
//!
//! Shape for N accounts (deterministic, no randomness but the seeded request mix):
//! - one directory (enterprise `ent-bench`), the management account in the root folder;
//! - `max(5, N/100)` folders in chains 5 deep under the root (depth 1..5), about 100
//!   member accounts per folder;
//! - `max(2, N/100)` instances (`kst-s`), owners spread over the accounts, Joint and
//!   Independent alternately; `kst-0` is shared with the whole directory, every other
//!   instance with one folder (its sub-folders included, RS-2), every tenth also with one
//!   extra account;
//! - RAM per account: user `app` (Encrypt/Decrypt/GenerateDataKey on its own account's keys,
//!   GetSecretValue on its own secrets), on every 7th account an explicit Deny of Decrypt
//!   for `app`, on every 5th a role `ops` with `kms:*` on everything, on every 11th a user
//!   `auditor` with Describe* on everything;
//! - 10 keys per account, created through `Engine::execute(kms:CreateKey)` by the account's
//!   root in the instances it can reach (so every key has real sealed-able material), and a
//!   secret on every 10th account;
//! - then the organization ages: some instances are disabled (KI-2), some shares lose their
//!   KMS permission (RS-4), some folder principals fail (KI-4), some quotas are lowered below
//!   the accounts already in (KI-4 over-quota), some shares are deleted (RS-7).
//!
//! The structure is built from the model types (`Engine::replace_state`), the keys and
//! secrets through the engine's own calls.

use std::collections::BTreeMap;

use kms_share_core::idmap::{IdMap, IdSet};

use kms_share_core::authz::{Request, Target};
use kms_share_core::crypto::SeededRng;
use kms_share_core::engine::Call;
use kms_share_core::ids::*;
use kms_share_core::matrix::ResourceKind;
use kms_share_core::model::*;
use kms_share_core::policy::{Context, Policy};
use kms_share_core::state::State;
use kms_share_core::Engine;
use serde_json::json;

use crate::stats::Rng;

pub const ENTERPRISE: &str = "ent-bench";
pub const DIRECTORY: &str = "rd-bench";
pub const REGION: &str = "cn-hangzhou";
pub const AT: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

pub fn acct(i: usize) -> AccountId {
    AccountId::parse(&acct_str(i)).expect("account id")
}
pub fn acct_str(i: usize) -> String {
    format!("{:016}", 1_000_000_000_000_000usize + i)
}
/// An account id no one has (fail closed, AZ-3).
pub fn unknown_acct_str(i: usize) -> String {
    format!("{:016}", 9_000_000_000_000_000usize + i)
}

/// Which RAM identities and policies an account has (the generator's templates; the
/// Cedar encoding reads these, not the engine's parsed policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RamProfile {
    pub deny_decrypt: bool,
    pub ops_role: bool,
    pub auditor: bool,
}

/// Accounts of another verified enterprise that are members of the directory: never
/// reached by a principal (RS-3); they create no keys.
pub fn foreign(i: usize) -> bool {
    i % 101 == 55
}
pub const FOREIGN_ENTERPRISE: &str = "ent-other";

pub fn ram_profile(i: usize) -> RamProfile {
    RamProfile { deny_decrypt: i % 7 == 3, ops_role: i % 5 == 1, auditor: i % 11 == 2 }
}

/// What the organization ages into (applied after keys and secrets exist).
#[derive(Debug, Clone, Copy, Default)]
pub struct Damage {
    pub disabled: bool,
    pub broken_permission: bool,
    pub failed_folder_principal: bool,
    pub low_quota: bool,
    pub deleted: bool,
    pub deleting: bool,
}

pub fn damage(s: usize) -> Damage {
    if s == 0 {
        return Damage::default();
    }
    Damage {
        disabled: s % 25 == 11,
        broken_permission: s % 15 == 7,
        failed_folder_principal: s % 17 == 9,
        low_quota: s % 13 == 5,
        deleted: s % 19 == 4,
        deleting: s % 23 == 6,
    }
}
pub const LOW_QUOTA: u32 = 40;

/// A key or secret of the organization, with what a request needs.
#[derive(Debug, Clone)]
pub struct Res {
    pub kind: ResourceKind,
    /// Key id, or secret ARN.
    pub name: String,
    pub instance: usize,
    pub creator: usize,
}

pub struct Org {
    pub engine: Engine,
    pub accounts: usize,
    pub folders: usize,
    pub instances: usize,
    /// Owner account index of each instance.
    pub owners: Vec<usize>,
    /// Accounts (not the owner) that could reach each instance when keys were created.
    pub reach: Vec<Vec<usize>>,
    pub resources: Vec<Res>,
    pub keys: usize,
    pub secrets: usize,
}

pub fn folder_count(n: usize) -> usize {
    (n / 100 / 5 * 5).max(5)
}
pub fn instance_count(n: usize) -> usize {
    (n / 100).max(2)
}
pub fn folder_id(f: usize) -> FolderId {
    FolderId::parse(&format!("fd-{f}")).expect("folder id")
}
pub fn instance_id(s: usize) -> InstanceId {
    InstanceId::parse(&format!("kst-{s}")).expect("instance id")
}
/// The folder principal of share `s` (s > 0).
pub fn share_folder(s: usize, folders: usize) -> usize {
    (s * 7) % folders
}
/// The extra account principal of share `s`, if any.
pub fn share_extra_account(s: usize, n: usize) -> Option<usize> {
    (s % 10 == 3).then(|| (s * 131 + 17) % n)
}
/// The folder of member account `i`.
pub fn member_folder(i: usize, folders: usize) -> Option<usize> {
    (i > 0).then(|| (i - 1) % folders)
}

fn assoc(seq: u64) -> Association {
    Association { state: AssociationState::Associated, reason: None, updated_at: AT, seq }
}

fn policy(doc: serde_json::Value) -> Policy {
    Policy::parse(&doc).expect("policy")
}

/// Build the organization of `n` accounts with `keys_per_account` keys each.
pub fn generate(n: usize, keys_per_account: usize) -> Org {
    assert!(n >= 10);
    let nf = folder_count(n);
    let ni = instance_count(n);
    let mut st = State::new();
    let root = FolderId::parse("fd-root").expect("root");
    let mut folders = IdMap::new();
    folders.insert(
        root.clone(),
        Folder { id: root.clone(), name: FolderName::parse("Root").expect("name"), parent: None, depth: 0 },
    );
    for f in 0..nf {
        let depth = (f % 5) as u32 + 1;
        let parent = if depth == 1 { root.clone() } else { folder_id(f - 1) };
        folders.insert(
            folder_id(f),
            Folder {
                id: folder_id(f),
                name: FolderName::parse(&format!("f{f}")).expect("name"),
                parent: Some(parent),
                depth,
            },
        );
    }
    let mut members = IdMap::new();
    for i in 0..n {
        let a = acct(i);
        st.accounts.insert(
            a.clone(),
            Account {
                id: a.clone(),
                name: None,
                display_name: None,
                enterprise_id: Some(if foreign(i) { FOREIGN_ENTERPRISE } else { ENTERPRISE }.into()),
                can_pay: true,
            },
        );
        members.insert(
            a.clone(),
            Member {
                account: a.clone(),
                folder: member_folder(i, nf).map(folder_id).unwrap_or_else(|| root.clone()),
                billing_account: acct(0),
                joined_by: if i == 0 { JoinMethod::Management } else { JoinMethod::Created },
                tags: IdMap::new(),
                seq: i as u64,
            },
        );
        let prof = ram_profile(i);
        let mut ram = RamAccount::default();
        let name = |s: &str| RamName::parse(s).expect("ram name");
        ram.policies.insert(
            name("crypto"),
            policy(json!({"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                 "Resource": format!("acs:kms:*:{a}:key/*")},
                {"Effect": "Allow", "Action": "kms:GetSecretValue", "Resource": format!("acs:kms:*:{a}:secret/*")}
            ]})),
        );
        let mut app: IdSet<RamName> = [name("crypto")].into_iter().collect();
        if prof.deny_decrypt {
            ram.policies.insert(
                name("no-decrypt"),
                policy(json!({"Version": "1", "Statement": [
                    {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]})),
            );
            app.insert(name("no-decrypt"));
        }
        ram.users.insert(name("app"), app);
        if prof.ops_role {
            ram.policies.insert(
                name("ops"),
                policy(json!({"Version": "1", "Statement": [
                    {"Effect": "Allow", "Action": "kms:*", "Resource": "acs:kms:*:*:*"}]})),
            );
            ram.roles.insert(name("ops"), [name("ops")].into_iter().collect());
        }
        if prof.auditor {
            ram.policies.insert(
                name("describe"),
                policy(json!({"Version": "1", "Statement": [
                    {"Effect": "Allow", "Action": ["kms:DescribeKey", "kms:DescribeSecret"], "Resource": "*"}]})),
            );
            ram.users.insert(name("auditor"), [name("describe")].into_iter().collect());
        }
        st.ram.insert(a, ram);
    }
    st.directory = Some(Directory {
        id: DirectoryId::parse(DIRECTORY).expect("dir"),
        enterprise_id: ENTERPRISE.into(),
        management_account: acct(0),
        root_folder: root,
        folders,
        members,
        invitations: IdMap::new(),
        sharing_enabled: true,
        service_linked_roles: ["AliyunServiceRoleForResourceSharing".to_string()].into_iter().collect(),
        limits: Limits { max_folders: 1_000_000, max_depth: 5, max_members: None },
    });
    // Instances 0..ni are shared; instance ni is never shared (no mode yet, SM-1).
    let mut owners: Vec<usize> = (0..ni).map(|s| 1 + s * (n - 1) / ni).collect();
    owners.push(n / 2 + 1);
    st.instances.insert(
        instance_id(ni),
        Instance {
            id: instance_id(ni),
            kind: InstanceKind::Software,
            region: Region::parse(REGION).expect("region"),
            owner: acct(owners[ni]),
            state: InstanceState::Enabled,
            quota: 10,
            vpcs: IdMap::new(),
            sharing_mode: None,
        },
    );
    #[allow(clippy::needless_range_loop)]
    for s in 0..ni {
        let inst = instance_id(s);
        st.instances.insert(
            inst.clone(),
            Instance {
                id: inst.clone(),
                kind: InstanceKind::Software,
                region: Region::parse(REGION).expect("region"),
                owner: acct(owners[s]),
                state: InstanceState::Enabled,
                quota: (n + 10) as u32,
                vpcs: IdMap::new(),
                sharing_mode: Some(if s % 2 == 0 { SharingMode::Joint } else { SharingMode::Independent }),
            },
        );
        let mut principals = IdMap::new();
        if s == 0 {
            principals.insert(Principal::Directory(DirectoryId::parse(DIRECTORY).expect("dir")), assoc(1));
        } else {
            principals.insert(Principal::Folder(folder_id(share_folder(s, nf))), assoc(1));
            if let Some(x) = share_extra_account(s, n) {
                if x != owners[s] {
                    principals.insert(Principal::Account(acct(x)), assoc(2));
                }
            }
        }
        let sid = ShareId::parse(&format!("rs-{s}")).expect("share id");
        st.shares.insert(
            sid.clone(),
            Share {
                id: sid,
                name: ShareName::parse(&format!("share-{s}")).expect("share name"),
                owner: acct(owners[s]),
                state: ShareState::Active,
                resources: [(inst, assoc(0))].into_iter().collect(),
                principals,
                permissions: [SharePermission { name: DEFAULT_PERMISSION.into(), version: Some("v2".into()) }]
                    .into_iter()
                    .collect(),
                seq: s as u64,
            },
        );
    }
    let mut engine = Engine::new(Box::new(SeededRng::new(7)));
    engine.replace_state(st);

    // Which instances each account can reach (its own reasoning, checked by the engine:
    // a CreateKey the engine refuses stops the bench).
    let mut folder_instances: Vec<Vec<usize>> = vec![Vec::new(); nf];
    for s in 1..ni {
        folder_instances[share_folder(s, nf)].push(s);
    }
    let mut extra: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for s in 1..ni {
        if let Some(x) = share_extra_account(s, n) {
            extra.entry(x).or_default().push(s);
        }
    }
    let mut owned: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (s, o) in owners.iter().enumerate() {
        owned.entry(*o).or_default().push(s);
    }
    let mut reach: Vec<Vec<usize>> = vec![Vec::new(); ni + 1];
    let mut resources = Vec::with_capacity(n * keys_per_account + n / 10);
    let mut calls = 0usize;
    let mut secrets = 0usize;
    for i in 0..n {
        let mut cands: Vec<usize> = owned.get(&i).cloned().unwrap_or_default();
        if foreign(i) {
            // RS-3: no principal reaches it; only instances it owns (none, in practice).
        } else if let Some(mut f) = member_folder(i, nf) {
            // Up the chain to depth 1 (the folder ids of one chain are consecutive).
            loop {
                cands.extend(&folder_instances[f]);
                if f % 5 == 0 {
                    break;
                }
                f -= 1;
            }
        }
        if let Some(xs) = extra.get(&i).filter(|_| !foreign(i)) {
            cands.extend(xs);
        }
        if !foreign(i) {
            cands.push(0);
        }
        cands.sort_unstable();
        cands.dedup();
        for &s in &cands {
            if owners[s] != i {
                reach[s].push(i);
            }
        }
        let root = Identity::root(acct(i));
        let mut first_key = None;
        for j in 0..if cands.is_empty() { 0 } else { keys_per_account } {
            let s = cands[(i + j) % cands.len()];
            let key = format!("key-{}", i * keys_per_account + j);
            let call = Call {
                caller: root.clone(),
                action: "kms:CreateKey".into(),
                params: json!({"DKMSInstanceId": format!("kst-{s}"), "KeyId": key}),
                at: AT,
                dialect: Default::default(),
            };
            engine.execute(&call).unwrap_or_else(|e| panic!("CreateKey {key} in kst-{s} by account {i}: {e:?}"));
            resources.push(Res { kind: ResourceKind::Key, name: key.clone(), instance: s, creator: i });
            first_key.get_or_insert((key, s));
            calls += 1;
        }
        if i % 10 == 4 {
            if let Some((key, s)) = &first_key {
                let name = format!("sec-{i}");
                let call = Call {
                    caller: root.clone(),
                    action: "kms:CreateSecret".into(),
                    params: json!({"SecretName": name, "SecretData": format!("value-{i}"), "EncryptionKeyId": key}),
                    at: AT,
                    dialect: Default::default(),
                };
                engine.execute(&call).unwrap_or_else(|e| panic!("CreateSecret {name}: {e:?}"));
                resources.push(Res {
                    kind: ResourceKind::Secret,
                    name: format!("acs:kms:{REGION}:{}:secret/{name}", acct_str(i)),
                    instance: *s,
                    creator: i,
                });
                secrets += 1;
                calls += 1;
            }
        }
        if calls >= 50_000 {
            // Keep the audit trail from growing with the organization: it is not what is measured.
            engine.state_mut().audit = Default::default();
            calls = 0;
        }
    }
    engine.state_mut().audit = Default::default();

    // Age the organization.
    {
        let st = engine.state_mut();
        for s in 1..ni {
            let d = damage(s);
            let inst = instance_id(s);
            let sid = ShareId::parse(&format!("rs-{s}")).expect("share id");
            if d.disabled {
                st.instances.get_mut(&inst).expect("instance").state = InstanceState::Disabled;
            }
            if d.low_quota {
                // Two attached VPCs count against the quota too (KI-3).
                let i = st.instances.get_mut(&inst).expect("instance");
                i.quota = LOW_QUOTA;
                let owner = i.owner.clone();
                for v in ["a", "b"] {
                    i.vpcs.insert(VpcId::parse(&format!("vpc-{s}{v}")).expect("vpc id"), owner.clone());
                }
            }
            let share = st.shares.get_mut(&sid).expect("share");
            if d.broken_permission {
                share.permissions =
                    [SharePermission { name: "AliyunRSDefaultPermissionVSwitch".into(), version: None }]
                        .into_iter()
                        .collect();
            }
            if d.failed_folder_principal {
                let p = Principal::Folder(folder_id(share_folder(s, nf)));
                if let Some(a) = share.principals.get_mut(&p) {
                    a.state = AssociationState::Failed;
                    a.reason = Some("the access management quota was exceeded".into());
                }
            }
            if d.deleted {
                share.state = ShareState::Deleted;
            }
            if d.deleting {
                share.state = ShareState::Deleting;
            }
        }
        st.rebuild_index();
    }
    let keys = resources.iter().filter(|r| r.kind == ResourceKind::Key).count();
    Org { engine, accounts: n, folders: nf, instances: ni + 1, owners, reach, resources, keys, secrets }
}

/// One request of the decision set, in every form the engines take.
#[derive(Debug, Clone)]
pub struct Req {
    pub account_str: String,
    /// `root`, `app`, `ops` (a role) or `auditor`.
    pub who: &'static str,
    pub caller: Identity,
    pub caller_str: String,
    pub action: &'static str,
    /// The same action, parsed once here rather than in the timed loop.
    pub act: kms_share_core::action::Action,
    /// Index into `Org::resources`.
    pub res: usize,
    /// The resolved target for `authz::decide`.
    pub target: Target,
    /// The region the call is made in (KI-6), on some requests.
    pub region: Option<Region>,
}

impl Req {
    /// The engine's request (resolved target) under `context`.
    pub fn request<'a>(&'a self, context: &'a Context) -> Request<'a> {
        Request { caller: &self.caller, action: self.act, target: &self.target, region: self.region.as_ref(), context }
    }
}

pub const KEY_ACTIONS: &[(u32, &str)] = &[
    (35, "kms:Encrypt"),
    (25, "kms:Decrypt"),
    (5, "kms:GenerateDataKey"),
    (15, "kms:DescribeKey"),
    (10, "kms:ScheduleKeyDeletion"),
    (10, "kms:CreateBackup"),
];
pub const SECRET_ACTIONS: &[(u32, &str)] =
    &[(50, "kms:GetSecretValue"), (30, "kms:DescribeSecret"), (20, "kms:CreateBackup")];

#[derive(Clone, Copy)]
enum CallerPick {
    Creator,
    Reaching,
    Owner,
    Anyone,
    Unknown,
}

/// `count` requests: a mix of callers (the creator, an account the instance is shared
/// with, the owner, any account, an unknown account), identities (root, users, role) and
/// actions on keys (90%) and secrets (10%).
pub fn requests(org: &Org, count: usize, seed: u64) -> Vec<Req> {
    let mut rng = Rng::new(seed);
    let st = org.engine.state();
    let key_idx: Vec<usize> =
        (0..org.resources.len()).filter(|&i| org.resources[i].kind == ResourceKind::Key).collect();
    let sec_idx: Vec<usize> =
        (0..org.resources.len()).filter(|&i| org.resources[i].kind == ResourceKind::Secret).collect();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let secret = !sec_idx.is_empty() && rng.below(10) == 0;
        let ri = if secret { sec_idx[rng.below(sec_idx.len())] } else { key_idx[rng.below(key_idx.len())] };
        let res = &org.resources[ri];
        let pick = rng.weighted(&[
            (35, CallerPick::Creator),
            (25, CallerPick::Reaching),
            (15, CallerPick::Owner),
            (22, CallerPick::Anyone),
            (3, CallerPick::Unknown),
        ]);
        let account = match pick {
            CallerPick::Creator => Some(res.creator),
            CallerPick::Reaching => {
                let r = &org.reach[res.instance];
                Some(if r.is_empty() { res.creator } else { r[rng.below(r.len())] })
            }
            CallerPick::Owner => Some(org.owners[res.instance]),
            CallerPick::Anyone => Some(rng.below(org.accounts)),
            CallerPick::Unknown => None,
        };
        let account_str = match account {
            Some(i) => acct_str(i),
            None => unknown_acct_str(rng.below(1000)),
        };
        let prof =
            account.map(ram_profile).unwrap_or(RamProfile { deny_decrypt: false, ops_role: false, auditor: false });
        let mut whos: Vec<(u32, &'static str)> = vec![(20, "root"), (55, "app")];
        if prof.ops_role {
            whos.push((20, "ops"));
        }
        if prof.auditor {
            whos.push((10, "auditor"));
        }
        let who = rng.weighted(&whos);
        let caller_str = match who {
            "root" => format!("acs:ram::{account_str}:root"),
            "ops" => format!("acs:ram::{account_str}:role/ops"),
            u => format!("acs:ram::{account_str}:user/{u}"),
        };
        let caller = Identity::parse(&caller_str).expect("identity");
        let action = rng.weighted(if secret { SECRET_ACTIONS } else { KEY_ACTIONS });
        let target = target_of(st, res);
        let region = match rng.below(20) {
            0 => Some(Region::parse("cn-shanghai").expect("region")),
            1 => Some(Region::parse(REGION).expect("region")),
            _ => None,
        };
        let act = kms_share_core::action::Action::parse_ram(action).expect("a KMS action");
        out.push(Req { account_str, who, caller, caller_str, action, act, res: ri, target, region });
    }
    out
}

/// The decision target of a key or secret (what `Engine::explain` resolves a name to).
pub fn target_of(st: &State, res: &Res) -> Target {
    match res.kind {
        ResourceKind::Key => {
            let k = st.keys.get(&KeyId::parse(&res.name).expect("key id")).expect("key exists");
            Target::Kms {
                instance: k.instance.clone(),
                kind: ResourceKind::Key,
                creator: Some(k.creator.clone()),
                arn: st.key_arn(k),
                tags: Vec::new(),
            }
        }
        _ => {
            let s = st.secrets.get(&res.name).expect("secret exists");
            Target::Kms {
                instance: s.instance.clone(),
                kind: ResourceKind::Secret,
                creator: Some(s.creator.clone()),
                arn: res.name.clone(),
                tags: Vec::new(),
            }
        }
    }
}
