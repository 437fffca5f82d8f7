//! Import: a real organization read from the vendor's API, made into a state document.
//!
//! The input is the folder of saved read responses that `docs/import.md` lays out (each
//! file one response body, as the official SDKs or the vendor's CLI print it), given
//! here as (path, text) pairs so the core reads no file system: the CLI, Python and the
//! collector read the folder and hand it over. The result is a [`State`] that every
//! runtime loads, with no key material and no secret value (a key imported this way can
//! be decided on, not used), and with a list of what could not be read
//! ([`State::gaps`]).
//!
//! The vendor's API leaves out some of what the engine decides with; each has its stated
//! answer (README Semantics 32): the sharing mode comes from an instance association's
//! `ResourceProperty` (`{"SharingMode": "Joint"}`) or is `Unknown`; a secret's creator
//! is the account in its ARN; members are taken to be in the directory's enterprise;
//! instances are software instances; keys outside an instance are left out (counted).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Serialize;
use serde_json::Value;

use crate::action::Action;
use crate::error::{Error, Result};
use crate::idmap::{IdMap, IdSet};
use crate::ids::*;
use crate::model::*;
use crate::policy::Policy;
use crate::state::State;

/// The format a collector writes in `manifest.json`.
pub const FORMAT: &str = "kms-share-import/1";

/// What an import made: the state and its counts.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The organization, gaps included.
    pub state: State,
    /// What it holds.
    pub summary: Summary,
}

/// The counts of an import, for its report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Accounts (members of the directory, management account included).
    pub accounts: usize,
    /// Folders, the root included.
    pub folders: usize,
    /// KMS instances.
    pub instances: usize,
    /// Instances shared in a mode the responses do not say (SM-1).
    pub unknown_modes: usize,
    /// Keys in instances.
    pub keys: usize,
    /// Keys outside any instance (the default key management service): left out.
    pub keys_outside_instances: usize,
    /// Secrets in instances.
    pub secrets: usize,
    /// Resource shares.
    pub shares: usize,
    /// RAM users.
    pub users: usize,
    /// RAM roles.
    pub roles: usize,
    /// RAM policies (custom and system) whose documents were read.
    pub policies: usize,
    /// What could not be read.
    pub gaps: usize,
}

impl Summary {
    /// What an import read and what it could not, as both command lines print it
    /// (`kms-share import`, `python -m kms_share import`), one line each.
    pub fn report(&self, gaps: &[Gap]) -> Vec<String> {
        let mut out = alloc::vec![format!(
            "kms-share import: {} account(s), {} folder(s), {} instance(s) ({} in an unknown sharing mode), {} key(s), {} secret(s), {} share(s), {} user(s), {} role(s), {} policy document(s); {} gap(s)",
            self.accounts, self.folders, self.instances, self.unknown_modes, self.keys, self.secrets, self.shares,
            self.users, self.roles, self.policies, self.gaps
        )];
        if self.keys_outside_instances > 0 {
            out.push(format!(
                "kms-share import: {} key(s) outside any KMS instance left out",
                self.keys_outside_instances
            ));
        }
        for g in gaps {
            let account = g.account.as_ref().map(|a| format!(" of account {a}")).unwrap_or_default();
            out.push(format!("  gap: {}{account} {}: {} {} {}", g.part.name(), g.subject, g.call, g.code, g.message));
        }
        out
    }
}

fn bad(path: &str, why: impl core::fmt::Display) -> Error {
    Error::invalid("import", None, format!("{path}: {why}"))
}

/// The responses of a folder, by path.
struct Files<'a> {
    by_path: BTreeMap<&'a str, &'a str>,
}

impl<'a> Files<'a> {
    fn json(&self, path: &str) -> Result<Option<Value>> {
        match self.by_path.get(path) {
            None => Ok(None),
            Some(text) => serde_json::from_str(text).map(Some).map_err(|e| bad(path, format_args!("not JSON: {e}"))),
        }
    }

    /// A list's responses: `<stem>.json` or its pages `<stem>.1.json`, `<stem>.2.json`, …,
    /// and the same per region, `<stem>@<region>.json` (`.N.json`), each in page order.
    fn pages(&self, stem: &str) -> Result<Vec<(String, Value)>> {
        let mut out = Vec::new();
        let mut found: Vec<(&str, u32, &str)> = Vec::new();
        for (p, _) in self
            .by_path
            .range::<str, _>((core::ops::Bound::Included(stem), core::ops::Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(stem))
        {
            let Some(rest) = p.strip_prefix(stem).and_then(|r| r.strip_suffix(".json")) else { continue };
            // `` | `.N` | `@region` | `@region.N`
            let (region, page) = match rest.strip_prefix('@') {
                Some(r) => r.split_once('.').map_or((r, ""), |(r, n)| (r, n)),
                None => ("", rest.strip_prefix('.').unwrap_or(if rest.is_empty() { "" } else { "x" })),
            };
            let page = if page.is_empty() { Some(0) } else { page.parse::<u32>().ok() };
            if let (Some(n), false) = (page, region.contains('/')) {
                found.push((region, n, p));
            }
        }
        found.sort_unstable();
        for (_, _, p) in found {
            if let Some(v) = self.json(p)? {
                out.push((p.to_string(), v));
            }
        }
        Ok(out)
    }

    /// Every file directly in `dir/` (`dir/<name>.json`), with its name.
    fn each_in(&self, dir: &str) -> Result<Vec<(String, String, Value)>> {
        let prefix = format!("{dir}/");
        let mut out = Vec::new();
        for (p, _) in self
            .by_path
            .range::<str, _>((core::ops::Bound::Included(prefix.as_str()), core::ops::Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(prefix.as_str()))
        {
            let Some(name) = p.strip_prefix(prefix.as_str()).and_then(|r| r.strip_suffix(".json")) else { continue };
            if name.contains('/') {
                continue;
            }
            if let Some(v) = self.json(p)? {
                out.push((p.to_string(), name.to_string(), v));
            }
        }
        Ok(out)
    }

    /// The account folders present: `accounts/<id>/…`.
    fn accounts(&self) -> Vec<&'a str> {
        let mut out: Vec<&str> =
            self.by_path.keys().filter_map(|p| p.strip_prefix("accounts/")?.split('/').next()).collect();
        out.dedup();
        out
    }
}

/// A field's value as text: strings as they are, numbers and booleans written out.
fn text(v: &Value, field: &str) -> Option<String> {
    match v.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn need(path: &str, v: &Value, field: &str) -> Result<String> {
    text(v, field).ok_or_else(|| bad(path, format_args!("`{field}` is missing")))
}

/// The items of a list the vendor writes either as `{"Outer": {"Inner": [..]}}` (KMS,
/// ResourceManager, RAM) or `{"Outer": [..]}` (ResourceSharing).
fn items<'v>(v: &'v Value, outer: &str, inner: &str) -> &'v [Value] {
    match v.get(outer) {
        Some(Value::Array(a)) => a,
        Some(Value::Object(o)) => match o.get(inner) {
            Some(Value::Array(a)) => a,
            _ => &[],
        },
        _ => &[],
    }
}

/// A vendor time (`2026-01-01T00:00:00Z`, with or without fractions): seconds since
/// the epoch, 0 when it is not one. Times are shown, never decided on.
fn time_of(v: &Value, field: &str) -> u64 {
    let Some(s) = text(v, field) else { return 0 };
    let Some(head) = s.get(..19) else { return 0 };
    crate::time::parse(&format!("{head}Z")).unwrap_or(0)
}

/// The account and resource of an ARN, `acs:<service>:<region>:<account>:<resource>`.
fn arn_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let mut it = arn.splitn(5, ':');
    let (_acs, _service, region, account, resource) = (it.next()?, it.next()?, it.next()?, it.next()?, it.next()?);
    Some((region, account, resource))
}

fn parsed<T>(path: &str, r: Result<T>) -> Result<T> {
    r.map_err(|e| bad(path, e.message))
}

/// Interval texts such as `31536000s` as seconds.
fn seconds(s: &str) -> Option<u64> {
    s.strip_suffix('s').unwrap_or(s).parse().ok()
}

/// Import the responses of a folder laid out as `docs/import.md` says.
///
/// # Errors
/// `InvalidParameter` (field `import`) naming the file and what is wrong with it: a
/// file that is not JSON, a missing field the engine needs, an id that is not one.
/// What the responses could not say is no error: it is a gap in the state.
pub fn import(files: &[(String, String)]) -> Result<Imported> {
    let files = Files { by_path: files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect() };
    let mut st = State::default();
    let mut sum = Summary::default();
    let mut seq = 0u64;
    let mut next = || {
        seq += 1;
        seq
    };
    if let Some(m) = files.json("manifest.json")? {
        let format = text(&m, "format").unwrap_or_default();
        if format != FORMAT {
            return Err(bad("manifest.json", format_args!("format `{format}` is not `{FORMAT}`")));
        }
    }
    if let Some(g) = files.json("gaps.json")? {
        st.gaps = crate::objects::from_value(g).map_err(|e| bad("gaps.json", e))?;
    }
    // The policies the collector listed as not read, by account (read once, not per account).
    let mut collected: BTreeMap<AccountId, IdSet<String>> = BTreeMap::new();
    for g in st.gaps.iter().filter(|g| g.part == GapPart::Policy) {
        if let Some(a) = &g.account {
            collected.entry(a.clone()).or_default().insert(g.subject.clone());
        }
    }

    // The directory.
    if let Some(v) = files.json("directory/GetResourceDirectory.json")? {
        let path = "directory/GetResourceDirectory.json";
        let d = v.get("ResourceDirectory").ok_or_else(|| bad(path, "`ResourceDirectory` is missing"))?;
        let mgmt = parsed(path, AccountId::parse(&need(path, d, "MasterAccountId")?))?;
        let root = parsed(path, FolderId::parse(&need(path, d, "RootFolderId")?))?;
        let mut dir = Directory {
            id: parsed(path, DirectoryId::parse(&need(path, d, "ResourceDirectoryId")?))?,
            enterprise_id: format!("ent-{mgmt}"),
            management_account: mgmt,
            root_folder: root.clone(),
            folders: IdMap::new(),
            members: IdMap::new(),
            invitations: IdMap::new(),
            sharing_enabled: true,
            service_linked_roles: IdSet::new(),
            limits: Limits::default(),
        };
        dir.folders.insert(
            root.clone(),
            Folder { id: root.clone(), name: parsed(path, FolderName::parse("Root"))?, parent: None, depth: 0 },
        );
        // Folders, breadth first from the root: a folder's file names its parent.
        let mut queue = alloc::vec![(root, 0u32)];
        while let Some((parent, depth)) = queue.pop() {
            for (path, page) in files.pages(&format!("directory/ListFoldersForParent/{parent}"))? {
                for f in items(&page, "Folders", "Folder") {
                    let id = parsed(&path, FolderId::parse(&need(&path, f, "FolderId")?))?;
                    let name = parsed(&path, FolderName::parse(&need(&path, f, "FolderName")?))?;
                    if dir.folders.contains_key(&id) {
                        continue;
                    }
                    dir.folders.insert(
                        id.clone(),
                        Folder { id: id.clone(), name, parent: Some(parent.clone()), depth: depth + 1 },
                    );
                    queue.push((id, depth + 1));
                }
            }
        }
        for (path, page) in files.pages("directory/ListAccounts")? {
            for a in items(&page, "Accounts", "Account") {
                let id = parsed(&path, AccountId::parse(&need(&path, a, "AccountId")?))?;
                let folder = parsed(&path, FolderId::parse(&need(&path, a, "FolderId")?))?;
                let joined_by = if id == dir.management_account {
                    JoinMethod::Management
                } else if text(a, "JoinMethod").is_some_and(|j| j.eq_ignore_ascii_case("invited")) {
                    JoinMethod::Invited
                } else {
                    JoinMethod::Created
                };
                let display = text(a, "DisplayName").and_then(|n| DisplayName::parse(&n).ok());
                let name = text(a, "AccountName").and_then(|n| AccountName::parse(&n).ok());
                st.accounts.insert(
                    id.clone(),
                    Account {
                        id: id.clone(),
                        name,
                        display_name: display,
                        enterprise_id: Some(dir.enterprise_id.clone()),
                        can_pay: true,
                    },
                );
                let seq = next();
                dir.members.insert(
                    id.clone(),
                    Member { account: id.clone(), folder, billing_account: id, joined_by, tags: IdMap::new(), seq },
                );
            }
        }
        sum.folders = dir.folders.len();
        st.directory = Some(dir);
    }

    // Each account's own reads.
    let mut modes: IdMap<InstanceId, SharingMode> = IdMap::new();
    let mut shared: IdSet<InstanceId> = IdSet::new();
    let mut described: IdSet<InstanceId> = IdSet::new();
    for acct in files.accounts() {
        let here = parsed(&format!("accounts/{acct}"), AccountId::parse(acct))?;
        if !st.accounts.contains_key(&here) {
            st.accounts.insert(
                here.clone(),
                Account { id: here.clone(), name: None, display_name: None, enterprise_id: None, can_pay: true },
            );
        }
        let base = format!("accounts/{acct}");
        read_instances(&files, &base, &here, &mut st, &mut described)?;
        read_keys(&files, &base, &mut st, &mut sum)?;
        read_secrets(&files, &base, &mut st)?;
        read_shares(&files, &base, &mut st, &mut modes, &mut shared, &mut next)?;
        read_ram(&files, &base, &here, &mut st, collected.get(&here))?;
    }
    for inst in st.instances.values().filter(|i| !described.contains(&i.id)) {
        st.gaps.push(not_read(
            GapPart::Kms,
            &inst.owner,
            inst.id.to_string(),
            Action::GetKmsInstance,
            "only a principal's list names this instance: its state, VPCs and quota are its owner's to read; it is taken as enabled, every association the vendor reports as admitted",
        ));
    }
    // Modes: what an association said, else Unknown for a shared instance (SM-1).
    for inst in st.instances.values_mut() {
        inst.sharing_mode = match (modes.get(&inst.id), shared.contains(&inst.id)) {
            (Some(m), _) => Some(*m),
            (None, true) => Some(SharingMode::Unknown),
            (None, false) => None,
        };
    }
    st.seq = next();
    sum.accounts = st.accounts.len();
    sum.instances = st.instances.len();
    sum.unknown_modes = st.instances.values().filter(|i| i.sharing_mode == Some(SharingMode::Unknown)).count();
    sum.keys = st.keys.len();
    sum.secrets = st.secrets.len();
    sum.shares = st.shares.len();
    for r in st.ram.values() {
        sum.users += r.users.len();
        sum.roles += r.roles.len();
        sum.policies += r.policies.len();
    }
    sum.gaps = st.gaps.len();
    st.rebuild_index();
    Ok(Imported { state: st, summary: sum })
}

/// The instances an account lists: described from the owner's own reads (state, VPCs,
/// quota); an instance only a principal lists is kept with what its ARN says, and
/// `described` tells the two apart.
fn read_instances(
    files: &Files<'_>,
    base: &str,
    here: &AccountId,
    st: &mut State,
    described: &mut IdSet<InstanceId>,
) -> Result<()> {
    for (path, page) in files.pages(&format!("{base}/kms/ListKmsInstances"))? {
        for i in items(&page, "KmsInstances", "KmsInstance") {
            let id = parsed(&path, InstanceId::parse(&need(&path, i, "KmsInstanceId")?))?;
            let arn = need(&path, i, "KmsInstanceArn")?;
            let (region, owner, _) =
                arn_parts(&arn).ok_or_else(|| bad(&path, format_args!("`{arn}` is not an ARN")))?;
            let region = parsed(&path, Region::parse(region))?;
            let owner = parsed(&path, AccountId::parse(owner))?;
            if owner != *here {
                if !st.instances.contains_key(&id) {
                    let state = InstanceState::Enabled;
                    let inst = Instance {
                        id: id.clone(),
                        kind: InstanceKind::Software,
                        region,
                        owner,
                        state,
                        quota: u32::MAX,
                        vpcs: IdMap::new(),
                        sharing_mode: None,
                    };
                    st.instances.insert(id, inst);
                }
                continue;
            }
            let detail_path = format!("{base}/kms/GetKmsInstance/{id}.json");
            let detail = files.json(&detail_path)?;
            let d = detail.as_ref().and_then(|v| v.get("KmsInstance"));
            let state = match d.and_then(|d| text(d, "Status")).as_deref() {
                Some("Connected") | None => InstanceState::Enabled,
                Some(_) => InstanceState::Disabled,
            };
            let mut vpcs = IdMap::new();
            for b in d.map(|d| items(d, "BindVpcs", "BindVpc")).unwrap_or(&[]) {
                let vpc = parsed(&detail_path, VpcId::parse(&need(&detail_path, b, "VpcId")?))?;
                let by = text(b, "VpcOwnerId").and_then(|o| AccountId::parse(&o).ok()).unwrap_or_else(|| owner.clone());
                vpcs.insert(vpc, by);
            }
            let quota_path = format!("{base}/kms/GetKmsInstanceQuotaInfos/{id}.json");
            let quota = files
                .json(&quota_path)?
                .as_ref()
                .and_then(|q| {
                    items(q, "KmsInstanceQuotaInfos", "KmsInstanceQuotaInfo")
                        .iter()
                        .find(|x| text(x, "ResourceType").as_deref() == Some("VPC"))
                        .and_then(|x| text(x, "ResourceQuota"))
                })
                .and_then(|q| q.parse::<u32>().ok());
            let quota = match quota {
                Some(q) => q,
                None => {
                    st.gaps.push(not_read(
                        GapPart::Kms,
                        &owner,
                        id.to_string(),
                        Action::GetKmsInstanceQuotaInfos,
                        "the access management quota was not read: every association the vendor reports is taken as admitted",
                    ));
                    u32::MAX
                }
            };
            described.insert(id.clone());
            st.instances.insert(
                id.clone(),
                Instance { id, kind: InstanceKind::Software, region, owner, state, quota, vpcs, sharing_mode: None },
            );
        }
    }
    Ok(())
}

fn read_keys(files: &Files<'_>, base: &str, st: &mut State, sum: &mut Summary) -> Result<()> {
    for (path, _name, v) in files.each_in(&format!("{base}/kms/DescribeKey"))? {
        let m = v.get("KeyMetadata").ok_or_else(|| bad(&path, "`KeyMetadata` is missing"))?;
        let Some(inst) = text(m, "DKMSInstanceId").filter(|i| !i.is_empty()) else {
            sum.keys_outside_instances += 1;
            continue;
        };
        let id = parsed(&path, KeyId::parse(&need(&path, m, "KeyId")?))?;
        if st.keys.contains_key(&id) {
            continue;
        }
        let instance = parsed(&path, InstanceId::parse(&inst))?;
        let creator = parsed(&path, AccountId::parse(&need(&path, m, "Creator")?))?;
        let state = match text(m, "KeyState").as_deref() {
            Some("Disabled") => KeyState::Disabled,
            Some("PendingDeletion") => KeyState::PendingDeletion { delete_at: time_of(m, "DeleteDate") },
            _ => KeyState::Enabled,
        };
        let created_at = time_of(m, "CreationDate");
        let mut tags = IdMap::new();
        if let Some(t) = files.json(&format!("{base}/kms/ListResourceTags/{id}.json"))? {
            for tag in items(&t, "Tags", "Tag") {
                if let (Some(k), Some(v)) = (text(tag, "TagKey"), text(tag, "TagValue")) {
                    tags.insert(k, v);
                }
            }
        }
        st.keys.insert(
            id.clone(),
            Key {
                id,
                instance,
                creator,
                spec: text(m, "KeySpec").unwrap_or_else(|| "Aliyun_AES_256".to_string()).into(),
                description: text(m, "Description").unwrap_or_default(),
                state,
                deletion_protection: text(m, "DeletionProtection").as_deref() == Some("Enabled"),
                rotation_interval: text(m, "RotationInterval").as_deref().and_then(seconds),
                next_rotation_at: None,
                // One version with no material: decided on, never used (README Semantics 32).
                versions: alloc::vec![KeyVersion { version: 1, created_at, encryptions: 0, handle: "".into() }].into(),
                tags: tags.into(),
                created_at,
            },
        );
    }
    for (path, page) in files.pages(&format!("{base}/kms/ListAliases"))? {
        for a in items(&page, "Aliases", "Alias") {
            let arn = need(&path, a, "AliasArn")?;
            let key = parsed(&path, KeyId::parse(&need(&path, a, "KeyId")?))?;
            let Some(k) = st.keys.get(&key) else { continue };
            let (_, creator, _) = arn_parts(&arn).ok_or_else(|| bad(&path, format_args!("`{arn}` is not an ARN")))?;
            let alias = Alias {
                name: parsed(&path, AliasName::parse(&need(&path, a, "AliasName")?))?,
                key,
                instance: k.instance.clone(),
                creator: parsed(&path, AccountId::parse(creator))?,
            };
            st.aliases.insert(arn, alias);
        }
    }
    Ok(())
}

fn read_secrets(files: &Files<'_>, base: &str, st: &mut State) -> Result<()> {
    for (path, _name, s) in files.each_in(&format!("{base}/kms/DescribeSecret"))? {
        let Some(inst) = text(&s, "DKMSInstanceId").filter(|i| !i.is_empty()) else { continue };
        let arn = need(&path, &s, "Arn")?;
        if st.secrets.contains_key(&arn) {
            continue;
        }
        let (_, creator, _) = arn_parts(&arn).ok_or_else(|| bad(&path, format_args!("`{arn}` is not an ARN")))?;
        let mut tags = IdMap::new();
        for t in items(&s, "Tags", "Tag") {
            if let (Some(k), Some(v)) = (text(t, "TagKey"), text(t, "TagValue")) {
                tags.insert(k, v);
            }
        }
        let planned = time_of(&s, "PlannedDeleteTime");
        let secret = Secret {
            name: parsed(&path, SecretName::parse(&need(&path, &s, "SecretName")?))?,
            instance: parsed(&path, InstanceId::parse(&inst))?,
            creator: parsed(&path, AccountId::parse(creator))?,
            key: parsed(&path, KeyId::parse(&need(&path, &s, "EncryptionKeyId")?))?,
            versions: Vec::new(),
            delete_at: (planned > 0).then_some(planned),
            rotation_interval: text(&s, "RotationInterval").as_deref().and_then(seconds),
            tags: tags.into(),
            description: text(&s, "Description").unwrap_or_default(),
            created_at: time_of(&s, "CreateTime"),
        };
        st.secrets.insert(arn, secret);
    }
    Ok(())
}

fn read_shares(
    files: &Files<'_>,
    base: &str,
    st: &mut State,
    modes: &mut IdMap<InstanceId, SharingMode>,
    shared: &mut IdSet<InstanceId>,
    next: &mut impl FnMut() -> u64,
) -> Result<()> {
    for (path, page) in files.pages(&format!("{base}/resourcesharing/ListResourceShares"))? {
        for s in items(&page, "ResourceShares", "ResourceShare") {
            let id = parsed(&path, ShareId::parse(&need(&path, s, "ResourceShareId")?))?;
            if st.shares.contains_key(&id) {
                continue;
            }
            let state = match text(s, "ResourceShareStatus").as_deref() {
                Some("Deleting") => ShareState::Deleting,
                Some("Deleted") => ShareState::Deleted,
                _ => ShareState::Active,
            };
            let share = Share {
                id: id.clone(),
                name: parsed(&path, ShareName::parse(&need(&path, s, "ResourceShareName")?))?,
                owner: parsed(&path, AccountId::parse(&need(&path, s, "ResourceShareOwner")?))?,
                state,
                resources: IdMap::new(),
                principals: IdMap::new(),
                permissions: SharePermissions::default(),
                seq: next(),
            };
            st.shares.insert(id, share);
        }
    }
    for kind in ["Resource", "Target"] {
        for (path, page) in files.pages(&format!("{base}/resourcesharing/ListResourceShareAssociations.{kind}"))? {
            for a in items(&page, "ResourceShareAssociations", "ResourceShareAssociation") {
                let share_id = parsed(&path, ShareId::parse(&need(&path, a, "ResourceShareId")?))?;
                let entity = need(&path, a, "EntityId")?;
                let state = match text(a, "AssociationStatus").as_deref() {
                    Some("Associated") => AssociationState::Associated,
                    Some("Associating") => AssociationState::Associating,
                    Some("Failed") => AssociationState::Failed,
                    _ => AssociationState::Disassociated,
                };
                let mut assoc = Association {
                    state,
                    reason: text(a, "AssociationStatusMessage").filter(|m| !m.is_empty()),
                    updated_at: time_of(a, "UpdateTime"),
                    seq: 0,
                };
                let Some(share) = st.shares.get_mut(&share_id) else { continue };
                if kind == "Resource" {
                    if text(a, "EntityType").as_deref() != Some("KMSInstance") {
                        continue;
                    }
                    let inst = parsed(&path, InstanceId::parse(&entity))?;
                    if let Some(prop) = text(a, "ResourceProperty").filter(|p| !p.is_empty()) {
                        let mode = serde_json::from_str::<Value>(&prop)
                            .ok()
                            .and_then(|p| text(&p, "SharingMode"))
                            .and_then(|m| match m.as_str() {
                                "Joint" => Some(SharingMode::Joint),
                                "Independent" => Some(SharingMode::Independent),
                                _ => None,
                            });
                        if let Some(m) = mode {
                            modes.insert(inst.clone(), m);
                        }
                    }
                    if state == AssociationState::Associated && share.state == ShareState::Active {
                        shared.insert(inst.clone());
                    }
                    // Listed twice (two regions' files of one endpoint): the first read stands.
                    if !share.resources.contains_key(&inst) {
                        assoc.seq = next();
                        share.resources.insert(inst, assoc);
                    }
                } else {
                    let p = parsed(&path, Principal::parse(&entity))?;
                    if !share.principals.contains_key(&p) {
                        assoc.seq = next();
                        share.principals.insert(p, assoc);
                    }
                }
            }
        }
    }
    for (path, rs, v) in files.each_in(&format!("{base}/resourcesharing/ListResourceSharePermissions"))? {
        let id = parsed(&path, ShareId::parse(&rs))?;
        let Some(share) = st.shares.get_mut(&id) else { continue };
        for p in items(&v, "Permissions", "Permission") {
            share.permissions.insert(SharePermission {
                name: need(&path, p, "PermissionName")?,
                version: text(p, "PermissionVersion"),
            });
        }
    }
    Ok(())
}

/// A part of `account` that was not read by `call`.
fn not_read(part: GapPart, account: &AccountId, subject: String, call: Action, message: &str) -> Gap {
    Gap {
        part,
        account: Some(account.clone()),
        subject,
        call: call.ram().to_string(),
        code: "NotRead".to_string(),
        message: message.to_string(),
    }
}

/// `collected`: the policies of `account` the collector listed as not read (`gaps.json`).
fn read_ram(
    files: &Files<'_>,
    base: &str,
    account: &AccountId,
    st: &mut State,
    collected: Option<&IdSet<String>>,
) -> Result<()> {
    let start = st.gaps.len();
    let mut ram = RamAccount::default();
    let mut read_any = false;
    for (kind, list, outer, inner, field) in [
        ("user", Action::ListUsers, "Users", "User", "UserName"),
        ("role", Action::ListRoles, "Roles", "Role", "RoleName"),
    ] {
        for (path, page) in files.pages(&format!("{base}/ram/{}", list.name()))? {
            read_any = true;
            for u in items(&page, outer, inner) {
                let name = parsed(&path, RamName::parse(&need(&path, u, field)?))?;
                let attached_path =
                    format!("{base}/ram/ListPoliciesFor{}/{name}.json", if kind == "user" { "User" } else { "Role" });
                let mut attached = IdSet::new();
                if let Some(v) = files.json(&attached_path)? {
                    for p in items(&v, "Policies", "Policy") {
                        attached
                            .insert(parsed(&attached_path, RamName::parse(&need(&attached_path, p, "PolicyName")?))?);
                    }
                }
                if kind == "user" {
                    ram.users.insert(name, attached);
                } else {
                    ram.roles.insert(name, attached);
                }
            }
        }
    }
    // Documents: GetPolicyVersion/<Type>/<name>.json (or GetPolicy's DefaultPolicyVersion).
    for ty in ["Custom", "System"] {
        for call in [Action::GetPolicyVersion, Action::GetPolicy] {
            for (path, name, v) in files.each_in(&format!("{base}/ram/{}/{ty}", call.name()))? {
                let name = parsed(&path, RamName::parse(&name))?;
                if ram.policies.contains_key(&name) {
                    continue;
                }
                let version = v.get("PolicyVersion").or_else(|| v.get("DefaultPolicyVersion"));
                let doc = version.and_then(|d| text(d, "PolicyDocument")).ok_or_else(|| {
                    bad(&path, "`PolicyVersion.PolicyDocument` (or `DefaultPolicyVersion.PolicyDocument`) is missing")
                })?;
                match Policy::parse_str(&doc) {
                    Ok(p) => {
                        ram.policies.insert(name, p);
                    }
                    Err(e) => st.gaps.push(Gap {
                        part: GapPart::Policy,
                        account: Some(account.clone()),
                        subject: name.to_string(),
                        call: call.ram().to_string(),
                        code: "Unsupported".to_string(),
                        message: format!("the engine does not read this {ty} policy: {}", e.message),
                    }),
                }
            }
        }
    }
    // An attached policy with no document read is a gap, unless one is listed already:
    // by the collector, or just above as one the engine does not read.
    let attached: IdSet<RamName> = ram.users.values().chain(ram.roles.values()).flatten().cloned().collect();
    let listed = st.gaps.get(start..).unwrap_or_default();
    let unread: Vec<Gap> = attached
        .iter()
        .filter(|n| !ram.policies.contains_key(*n) && !listed.iter().any(|g| g.subject == n.as_str()))
        .filter(|n| !collected.is_some_and(|c| c.contains(n.as_str())))
        .map(|n| not_read(GapPart::Policy, account, n.to_string(), Action::GetPolicyVersion, ""))
        .collect();
    st.gaps.extend(unread);
    if read_any {
        st.ram.insert(account.clone(), ram);
    }
    Ok(())
}
