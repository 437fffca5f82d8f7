//! The `decision` bench: one authorization decision over a generated organization
//! of 10,000 accounts, 1,000 folders (directory limits raised), 100 shares and
//! 100,000 keys. The cost of a decision must not grow with these numbers.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use kms_share_core::idmap::{IdMap, IdSet};
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use kms_share_core::action::Action;
use kms_share_core::authz::{decide, Request, Target};
use kms_share_core::crypto::SeededRng;
use kms_share_core::ids::*;
use kms_share_core::matrix::ResourceKind;
use kms_share_core::model::*;
use kms_share_core::policy::{Context, Policy};
use kms_share_core::state::{key_arn, State};
use kms_share_core::Engine;

pub struct Org {
    pub engine: Engine,
    pub requests: Vec<(Identity, Target)>,
}

fn acct(i: usize) -> AccountId {
    AccountId::parse(&format!("{:016}", 1_000_000_000_000_000usize + i)).unwrap()
}

/// Build the organization's data directly (bulk), then index it once.
pub fn generate(accounts: usize, folders: usize, shares: usize, keys: usize) -> Org {
    let mut st = State::new();
    let ent = "ent-bench".to_string();
    let root = FolderId::parse("fd-root").unwrap();
    let mut dir_folders = IdMap::new();
    dir_folders.insert(
        root.clone(),
        Folder { id: root.clone(), name: FolderName::parse("Root").unwrap(), parent: None, depth: 0 },
    );
    // Folders in chains of 5 levels under the root.
    let mut folder_ids: Vec<FolderId> = Vec::new();
    for f in 0..folders {
        let id = FolderId::parse(&format!("fd-{f}")).unwrap();
        let depth = (f % 5) as u32 + 1;
        let parent = if depth == 1 { root.clone() } else { folder_ids[f - 1].clone() };
        dir_folders.insert(
            id.clone(),
            Folder { id: id.clone(), name: FolderName::parse(&format!("f{f}")).unwrap(), parent: Some(parent), depth },
        );
        folder_ids.push(id);
    }
    let mut members = IdMap::new();
    for i in 0..accounts {
        let a = acct(i);
        st.accounts.insert(
            a.clone(),
            Account { id: a.clone(), name: None, display_name: None, enterprise_id: Some(ent.clone()), can_pay: true },
        );
        let folder = if i == 0 { root.clone() } else { folder_ids[i % folders].clone() };
        members.insert(
            a.clone(),
            Member {
                account: a.clone(),
                folder,
                billing_account: acct(0),
                joined_by: JoinMethod::Created,
                tags: IdMap::new(),
                seq: i as u64,
            },
        );
        // Each account has a user with a KMS policy.
        let mut ram = RamAccount::default();
        let pol = Policy::parse_str(&format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"acs:kms:*:{a}:key/*"}}]}}"#
        ))
        .unwrap();
        ram.policies.insert(RamName::parse("crypto").unwrap(), pol);
        ram.users.insert(RamName::parse("app").unwrap(), [RamName::parse("crypto").unwrap()].into_iter().collect());
        st.ram.insert(a, ram);
    }
    st.directory = Some(Directory {
        id: DirectoryId::parse("rd-bench").unwrap(),
        enterprise_id: ent,
        management_account: acct(0),
        root_folder: root,
        folders: dir_folders,
        members,
        invitations: IdMap::new(),
        sharing_enabled: true,
        service_linked_roles: IdSet::new(),
        limits: Limits { max_folders: 100_000, max_depth: 5, max_members: None },
    });
    // One instance per share, owned by accounts 1..=shares, each shared with a folder.
    for s in 0..shares {
        let owner = acct(s + 1);
        let inst = InstanceId::parse(&format!("kst-{s}")).unwrap();
        st.instances.insert(
            inst.clone(),
            Instance {
                id: inst.clone(),
                kind: InstanceKind::Software,
                region: Region::parse("cn-hangzhou").unwrap(),
                owner: owner.clone(),
                state: InstanceState::Enabled,
                quota: 100_000,
                vpcs: IdMap::new(),
                sharing_mode: Some(if s % 2 == 0 { SharingMode::Joint } else { SharingMode::Independent }),
            },
        );
        let sid = ShareId::parse(&format!("rs-{s}")).unwrap();
        let mut principals = IdMap::new();
        principals.insert(
            Principal::Folder(folder_ids[(s * 5) % folders].clone()),
            Association { state: AssociationState::Associated, reason: None, updated_at: 0, seq: s as u64 },
        );
        let mut resources = IdMap::new();
        resources.insert(
            inst,
            Association { state: AssociationState::Associated, reason: None, updated_at: 0, seq: s as u64 },
        );
        st.shares.insert(
            sid.clone(),
            Share {
                id: sid,
                name: ShareName::parse(&format!("share-{s}")).unwrap(),
                owner,
                state: ShareState::Active,
                resources,
                principals,
                permissions: [SharePermission { name: DEFAULT_PERMISSION.into(), version: Some("v2".into()) }]
                    .into_iter()
                    .collect(),
                seq: s as u64,
            },
        );
    }
    for k in 0..keys {
        let inst = InstanceId::parse(&format!("kst-{}", k % shares)).unwrap();
        let creator = acct((k * 7919) % accounts);
        let id = KeyId::parse(&format!("key-{k}")).unwrap();
        st.keys.insert(
            id.clone(),
            Key {
                id,
                instance: inst,
                creator,
                spec: "Aliyun_AES_256".into(),
                description: String::new(),
                state: KeyState::Enabled,
                deletion_protection: false,
                rotation_interval: None,
                next_rotation_at: None,
                versions: vec![KeyVersion { version: 1, created_at: 0, encryptions: 0, handle: "".into() }].into(),
                tags: Default::default(),
                created_at: 0,
            },
        );
    }
    let mut engine = Engine::new(Box::new(SeededRng::new(1)));
    engine.replace_state(st);
    // Requests: users of accounts on keys of various instances (allowed and denied mixes).
    let region = Region::parse("cn-hangzhou").unwrap();
    let mut requests = Vec::new();
    for r in 0..1000usize {
        let k = (r * 104_729) % keys;
        let key = engine.state().keys.get(&KeyId::parse(&format!("key-{k}")).unwrap()).unwrap();
        let caller_acct = if r % 3 == 0 { key.creator.clone() } else { acct((r * 31) % accounts) };
        let target = Target::Kms {
            instance: key.instance.clone(),
            kind: ResourceKind::Key,
            creator: Some(key.creator.clone()),
            arn: key_arn(&region, &key.creator, &key.id),
            tags: Vec::new(),
        };
        requests.push((
            Identity { account: caller_acct, kind: IdentityKind::User(RamName::parse("app").unwrap()) },
            target,
        ));
    }
    Org { engine, requests }
}

fn bench(c: &mut Criterion) {
    let org = generate(10_000, 1_000, 100, 100_000);
    let ctx = Context::default();
    let allowed = org
        .requests
        .iter()
        .filter(|(id, t)| {
            decide(
                org.engine.state(),
                &Request { caller: id, action: Action::Encrypt, target: t, region: None, context: &ctx },
            )
            .allowed()
        })
        .count();
    eprintln!("decision bench: {} requests, {allowed} allowed", org.requests.len());
    let mut i = 0usize;
    c.bench_function("decision (10k accounts, 1k folders, 100 shares, 100k keys)", |b| {
        b.iter(|| {
            let (id, t) = &org.requests[i % org.requests.len()];
            i += 1;
            black_box(decide(
                org.engine.state(),
                &Request { caller: id, action: Action::Encrypt, target: t, region: None, context: &ctx },
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
