//! Resource shares (RS-1..RS-8, SM-1, KI-2..KI-5): creating them, associating and
//! disassociating instances and principals, deleting them, their permissions, and the
//! rule that no account is cut off from its own keys (RS-7).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

use super::directory::management;
use super::gate::{Ask, AuditRef, Pending, Reply};
use super::instance::parse_mode;
use crate::action::Action;
use crate::authz::{Role, Target};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::IdSet;
use crate::ids::*;
use crate::model::*;
use crate::params::Params;
use crate::rules::Rule;

fn share_arn(owner: &AccountId, id: &str) -> String {
    format!("acs:resourcesharing::{owner}:resourceshare/{id}")
}

/// A resource named in `Resources` (only KMS instances can be shared).
fn parse_resources(p: &mut Params<'_>) -> Result<Vec<InstanceId>> {
    let Some(v) = p.opt_value("Resources") else { return Ok(Vec::new()) };
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => alloc::vec![other],
    };
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let field = format!("Resources[{i}]");
        let (ty, id) = match it {
            Value::String(s) if s.starts_with("alias/") || s.starts_with("key-") => ("KMSKey", s.as_str()),
            Value::String(s) => ("KMSInstance", s.as_str()),
            Value::Object(m) => (
                m.get("ResourceType").and_then(Value::as_str).unwrap_or_else(|| {
                    let id = m.get("ResourceId").and_then(Value::as_str).unwrap_or("");
                    if id.starts_with("alias/") || id.starts_with("key-") {
                        "KMSKey"
                    } else {
                        "KMSInstance"
                    }
                }),
                m.get("ResourceId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::invalid(&field, Rule::Rs5, format!("{field} needs a string ResourceId")))?,
            ),
            _ => {
                return Err(Error::invalid(
                    &field,
                    Rule::Rs5,
                    format!("{field} must be an object with ResourceType and ResourceId"),
                ))
            }
        };
        match ty {
            "KMSInstance" => out.push(InstanceId::parse(id).map_err(|e| e.at_field(&field))?),
            "KMSKey" | "KMSAlias" => {
                if id.starts_with("alias/acs/") {
                    return Err(Error::new(
                        ErrorCode::DefaultKeyNotShareable,
                        Rule::Ki5,
                        format!("default key `{}` cannot be shared", shorten(id)),
                    )
                    .at_field(&field));
                }
                return Err(Error::invalid(
                    &field,
                    Rule::Ki5,
                    "keys are not shared one by one: share the KMS instance that holds them",
                ));
            }
            other => {
                return Err(Error::invalid(
                    &field,
                    Rule::Rs5,
                    format!("resource type `{}` cannot be shared here; use `KMSInstance`", shorten(other)),
                ))
            }
        }
    }
    if out.len() > 100 {
        return Err(
            Error::new(ErrorCode::LimitExceeded, Rule::Rs5, "at most 100 resources per request").at_field("Resources")
        );
    }
    Ok(out)
}

fn parse_targets(p: &mut Params<'_>) -> Result<Vec<Principal>> {
    let list = p.opt_list("Targets", false)?.unwrap_or_default();
    let mut out = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        out.push(Principal::parse(t).map_err(|e| e.at_field(&format!("Targets[{i}]")))?);
    }
    Ok(out)
}

fn parse_permission(p: &mut Params<'_>, legacy: bool, new_share: bool) -> Result<Vec<SharePermission>> {
    let names = p.opt_list("PermissionNames", false)?.unwrap_or_else(|| alloc::vec![DEFAULT_PERMISSION.to_string()]);
    let version = p.opt_str("PermissionVersion")?.map(str::to_string);
    let mut out = Vec::new();
    for n in names {
        if n == DEPRECATED_PERMISSION && !legacy {
            return Err(Error::new(
                ErrorCode::DeprecatedPermission,
                Rule::Rs4,
                format!(
                    "{DEPRECATED_PERMISSION} is deprecated and cannot be attached to {}; use {DEFAULT_PERMISSION} v2",
                    if new_share { "a new share" } else { "a share" }
                ),
            )
            .at_field("PermissionNames"));
        }
        let v = if n == DEFAULT_PERMISSION {
            let v = version.clone().unwrap_or_else(|| "v2".to_string());
            if v != "v1" && v != "v2" {
                return Err(Error::invalid(
                    "PermissionVersion",
                    Rule::Rs4,
                    format!("{DEFAULT_PERMISSION} has versions v1 and v2, not `{}`", shorten(&v)),
                ));
            }
            Some(v)
        } else {
            None
        };
        if n.is_empty() || n.len() > 128 || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "PermissionNames",
                Rule::Rs4,
                format!("`{}` is not a permission name", shorten(&n)),
            ));
        }
        out.push(SharePermission { name: n, version: v });
    }
    Ok(out)
}

/// Sharing an instance is its owner's alone (KI-1): a share naming another account's
/// instance is decided as that share's owner acting on the instance, and denied.
fn owner_asks(
    e: &Engine,
    owner: &AccountId,
    share: &str,
    resources: &[InstanceId],
    action: Action,
) -> Result<Vec<Ask>> {
    let mut asks = Vec::new();
    for id in resources {
        let inst = e.instance(id)?;
        if inst.owner == *owner {
            continue;
        }
        let arn = crate::state::instance_arn(inst);
        let audit =
            AuditRef { resource: share.to_string(), instance: Some(id.clone()), owner: Some(inst.owner.clone()) };
        let role = Role::Account(inst.owner.clone(), "owner of the instance (only the owner shares it)", Rule::Ki1);
        asks.push(Ask::new(action, Target::Management { arn, role }, audit).for_caller(Identity::root(owner.clone())));
    }
    Ok(asks)
}

/// The share named by `ResourceShareId`, with the decision that its owner makes `action`.
fn owned_share(e: &Engine, params: &mut Params<'_>, action: Action) -> Result<(Share, Ask)> {
    let id = params.parse("ResourceShareId", ShareId::parse)?;
    let share = e
        .state
        .shares
        .get(&id)
        .cloned()
        .ok_or_else(|| Error::not_found("resource share", id.as_str()).at_field("ResourceShareId"))?;
    let ask = management(
        action,
        share_arn(&share.owner, id.as_str()),
        Role::Account(share.owner.clone(), "owner of the resource share", Rule::Rs7),
    );
    Ok((share, ask))
}

/// What the event of a call sharing `resources` names: the share, and the last
/// instance shared, whose owner sees the event (AT-1).
fn shared_audit(e: &Engine, share: String, resources: &[InstanceId]) -> AuditRef {
    match resources.last() {
        Some(i) => AuditRef { resource: share, ..e.kms_audit(i, String::new()) },
        None => AuditRef::resource(share),
    }
}

fn check_active(share: &Share) -> Result<()> {
    if share.state != ShareState::Active {
        return Err(Error::new(
            ErrorCode::InvalidState,
            Rule::Rs8,
            format!("resource share {} is {:?}", share.id, share.state),
        ));
    }
    Ok(())
}

impl Engine {
    /// Check that `inst_id` can be shared now (KI-2) and settle its mode (SM-1, SM-2).
    fn check_shareable(&mut self, inst_id: &InstanceId, mode: Option<SharingMode>) -> Result<()> {
        let inst = self.instance(inst_id)?;
        if inst.state != InstanceState::Enabled {
            return Err(Error::new(
                ErrorCode::InstanceNotShareable,
                Rule::Ki2,
                format!("instance {inst_id} is not enabled; only enabled instances can be shared"),
            ));
        }
        match (inst.sharing_mode, mode) {
            (None, None) => Err(Error::invalid(
                "SharingMode",
                Rule::Sm1,
                format!("choose a sharing mode (`Joint` or `Independent`) for instance {inst_id}, shared for the first time"),
            )),
            (None, Some(m)) => {
                if let Some(i) = self.state.instances.get_mut(inst_id) {
                    i.sharing_mode = Some(m);
                }
                Ok(())
            }
            (Some(SharingMode::Independent), Some(SharingMode::Joint)) => Err(Error::new(
                ErrorCode::ModeChangeNotAllowed,
                Rule::Sm2,
                format!("instance {inst_id} is in Independent ownership, which never changes to Joint"),
            )),
            (Some(cur), Some(m)) if cur != m => Err(Error::invalid(
                "SharingMode",
                Rule::Sm1,
                format!(
                    "instance {inst_id} is already shared in {cur:?} ownership; change the mode with {} (Joint to Independent only, SM-2)",
                    Action::SetInstanceSharingMode.ram()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A share takes new principals only while every instance it holds is enabled (KI-2):
    /// a principal added to a disabled instance would take quota for an instance that
    /// cannot be shared. Principals it already has keep their association.
    fn check_instances_enabled(&self, share: &Share) -> Result<()> {
        let held = share.resources.iter().filter(|(_, a)| a.state == AssociationState::Associated);
        for (id, _) in held {
            if self.state.instances.get(id).is_some_and(|i| i.state != InstanceState::Enabled) {
                return Err(Error::new(
                    ErrorCode::InstanceNotShareable,
                    Rule::Ki2,
                    format!(
                        "instance {id} of share {} is not enabled; only enabled instances can be shared, so the share takes no new principal until its owner enables it ({})",
                        share.id,
                        Action::EnableInstance.ram()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Validate a principal (RS-2, RS-3, RD-7).
    fn check_principal(&self, owner: &AccountId, t: &Principal) -> Result<()> {
        let dir = self.directory().map_err(|_| {
            Error::new(
                ErrorCode::SharingNotEnabled,
                Rule::Rd7,
                "there is no resource directory: enable one and enable resource sharing first",
            )
        })?;
        if !dir.sharing_enabled {
            return Err(Error::new(
                ErrorCode::SharingNotEnabled,
                Rule::Rd7,
                "resource sharing is not enabled in the resource directory (EnableSharingWithResourceDirectory)",
            ));
        }
        let same_enterprise = |a: &AccountId| {
            self.state.accounts.get(a).and_then(|x| x.enterprise_id.as_deref()) == Some(dir.enterprise_id.as_str())
        };
        if !dir.members.contains_key(owner) || !same_enterprise(owner) {
            return Err(Error::new(
                ErrorCode::NotSameDirectory,
                Rule::Rs3,
                format!("the owner {owner} is not a member of the resource directory's verified enterprise"),
            ));
        }
        match t {
            Principal::Account(a) => {
                if a == owner {
                    return Err(Error::invalid(
                        "Targets",
                        Rule::Rs2,
                        format!("account {a} owns the share; it cannot be its own principal"),
                    ));
                }
                if !dir.members.contains_key(a) {
                    return Err(Error::new(
                        ErrorCode::NotSameDirectory,
                        Rule::Rs3,
                        format!("account {a} is not a member of the owner's resource directory"),
                    ));
                }
                if !same_enterprise(a) {
                    return Err(Error::new(
                        ErrorCode::NotSameDirectory,
                        Rule::Rs3,
                        format!("account {a} does not belong to the verified enterprise `{}`", dir.enterprise_id),
                    ));
                }
            }
            Principal::Folder(f) => {
                if !dir.folders.contains_key(f) {
                    return Err(Error::not_found("folder", f.as_str()).at_field("Targets"));
                }
            }
            Principal::Directory(d) => {
                if *d != dir.id {
                    return Err(Error::new(
                        ErrorCode::NotSameDirectory,
                        Rule::Rs3,
                        format!("`{d}` is not the owner's resource directory {}", dir.id),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Add principals to a share already holding instances: each principal that would
    /// exceed any instance's quota is `Failed` with the reason (KI-4).
    fn add_principals(&mut self, share_id: &ShareId, targets: &[Principal], at: u64) -> Vec<Value> {
        let mut out = Vec::new();
        for t in targets {
            let seq = self.state.next_seq();
            let Some(share) = self.state.shares.get(share_id) else { break };
            let instances: Vec<InstanceId> = share
                .resources
                .iter()
                .filter(|(_, a)| a.state == AssociationState::Associated)
                .map(|(i, _)| i.clone())
                .collect();
            let accounts = self.state.resolve_principal(t);
            let mut failure = None;
            for inst in &instances {
                let Some(i) = self.state.instances.get(inst) else { continue };
                let needed =
                    accounts.iter().filter(|a| **a != i.owner && !self.state.is_admitted(inst, a)).count() as u32;
                let used = self.state.used_quota(inst).used;
                if used + needed > i.quota {
                    failure = Some(format!(
                        "QuotaExceeded: principal {} needs {needed} more quota on instance {inst}, {used} of {} used (KI-3, KI-4)",
                        t.id(),
                        i.quota
                    ));
                    break;
                }
            }
            let assoc = Association {
                state: if failure.is_some() { AssociationState::Failed } else { AssociationState::Associated },
                reason: failure.clone(),
                updated_at: at,
                seq,
            };
            if let Some(s) = self.state.shares.get_mut(share_id) {
                s.principals.insert(t.clone(), assoc.clone());
            }
            self.state.rebuild_access();
            out.push(obj!("Target": t.id(), "Status": assoc.state, "StatusMessage": failure));
        }
        out
    }

    /// Add instances to a share: every existing principal gains access (RS-5).
    fn add_instances(&mut self, share_id: &ShareId, instances: &[InstanceId], at: u64) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for inst in instances {
            let seq = self.state.next_seq();
            let Some(share) = self.state.shares.get(share_id) else { break };
            if share.resources.get(inst).is_some_and(|a| a.state == AssociationState::Associated) {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    Rule::Rs5,
                    format!("instance {inst} is already in share {share_id}"),
                ));
            }
            let principals: Vec<Principal> = share
                .principals
                .iter()
                .filter(|(_, a)| a.state == AssociationState::Associated)
                .map(|(p, _)| p.clone())
                .collect();
            let Some(i) = self.state.instances.get(inst) else { continue };
            let mut gained: IdSet<AccountId> = IdSet::new();
            for p in &principals {
                gained.extend(
                    self.state
                        .resolve_principal(p)
                        .into_iter()
                        .filter(|a| *a != i.owner && !self.state.is_admitted(inst, a)),
                );
            }
            let used = self.state.used_quota(inst).used;
            if used + gained.len() as u32 > i.quota {
                return Err(Error::new(
                    ErrorCode::QuotaExceeded,
                    Rule::Rs5,
                    format!(
                        "adding instance {inst} to share {share_id} gives {} existing principal account(s) access and needs {} quota, {used} of {} used (KI-3)",
                        gained.len(),
                        gained.len(),
                        i.quota
                    ),
                ));
            }
            if let Some(s) = self.state.shares.get_mut(share_id) {
                s.resources.insert(
                    inst.clone(),
                    Association { state: AssociationState::Associated, reason: None, updated_at: at, seq },
                );
            }
            self.state.rebuild_access();
            out.push(obj!("ResourceId": inst, "Status": "Associated", "AccountsGainingAccess": gained.into_iter().collect::<Vec<_>>()));
        }
        Ok(out)
    }

    /// Apply `change`, then refuse it (restoring the state) if any account would lose
    /// access to an instance where it still has keys or secrets (RS-7).
    pub(crate) fn with_access_guard(&mut self, change: impl FnOnce(&mut Engine) -> Result<()>) -> Result<()> {
        let before_state = self.state.clone();
        let before = self.state.index.access.clone();
        if let Err(e) = change(self) {
            self.state = before_state;
            return Err(e);
        }
        self.state.rebuild_access();
        let pairs = before.iter().flat_map(|(inst, accts)| accts.keys().map(move |acct| (inst, acct)));
        for (inst, acct) in pairs {
            if self.state.shares_granting(inst, acct).is_empty() {
                let n = self.state.owned_count(inst, acct);
                if n > 0 {
                    self.state = before_state;
                    return Err(Error::new(
                        ErrorCode::PrincipalResourcesRemain,
                        Rule::Rs7,
                        format!(
                            "account {acct} still has {n} key(s) or secret(s) in instance {inst} (keys pending deletion count); it must delete them before losing access"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// CreateResourceShare (RS-1..RS-5, SM-1, KI-2..KI-5).
pub(super) fn create(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let name = params.parse("ResourceShareName", ShareName::parse)?;
    let resources = parse_resources(params)?;
    let targets = parse_targets(params)?;
    let mode = parse_mode(params)?;
    let legacy = params.opt_bool("SimulateLegacy")?.unwrap_or(false);
    let perms = parse_permission(params, legacy, true)?;
    let fixed = params.opt_parse("ResourceShareId", ShareId::parse)?;
    params.finish()?;
    let owner = p.call().caller.account.clone();
    let mut asks = alloc::vec![management(Action::CreateResourceShare, share_arn(&owner, "*"), Role::AnyAccount)];
    asks.extend(owner_asks(&p, &owner, &share_arn(&owner, "*"), &resources, Action::AssociateResourceShare)?);
    let mut ok = p.decide_all(asks, 0)?;
    let id = match fixed {
        Some(i) if ok.state.shares.contains_key(&i) => {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rs8, format!("resource share {i} already exists")))
        }
        Some(i) => i,
        None => ShareId::parse(&ok.new_id("rs-")?)?,
    };
    let at = ok.call().at;
    let before = ok.state.clone();
    let r = (|| {
        for t in &targets {
            ok.check_principal(&owner, t)?;
        }
        if targets.is_empty() && !resources.is_empty() {
            // Sharing an instance at all needs the directory (RD-7).
            let enabled = ok.state.directory.as_ref().is_some_and(|d| d.sharing_enabled);
            if !enabled {
                return Err(Error::new(
                    ErrorCode::SharingNotEnabled,
                    Rule::Rd7,
                    "resource sharing is not enabled in the resource directory",
                ));
            }
        }
        for r in &resources {
            let audit = shared_audit(&ok, share_arn(&owner, "*"), core::slice::from_ref(r));
            ok.created(audit);
            ok.check_shareable(r, mode)?;
        }
        let audit = shared_audit(&ok, share_arn(&owner, id.as_str()), &resources);
        ok.created(audit);
        let seq = ok.state.next_seq();
        ok.state.shares.insert(
            id.clone(),
            Share {
                id: id.clone(),
                name,
                owner: owner.clone(),
                state: ShareState::Active,
                resources: Default::default(),
                principals: Default::default(),
                permissions: perms.into_iter().collect(),
                seq,
            },
        );
        let res = ok.add_instances(&id, &resources, at)?;
        let prin = ok.add_principals(&id, &targets, at);
        Ok(obj!("ResourceShareId": id, "Resources": res, "Principals": prin))
    })();
    match r {
        Ok(v) => Ok(ok.reply(v)),
        Err(e) => {
            ok.state = before;
            Err(e)
        }
    }
}

/// AssociateResourceShare: add instances (RS-5) and/or principals (RS-6, KI-4).
pub(super) fn associate(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let (share, ask) = owned_share(&p, params, Action::AssociateResourceShare)?;
    let resources = parse_resources(params)?;
    let targets = parse_targets(params)?;
    let mode = parse_mode(params)?;
    params.finish()?;
    let mut asks = alloc::vec![ask];
    let arn = share_arn(&share.owner, share.id.as_str());
    asks.extend(owner_asks(&p, &share.owner, &arn, &resources, Action::AssociateResourceShare)?);
    let mut ok = p.decide_all(asks, 0)?;
    check_active(&share)?;
    if resources.is_empty() && targets.is_empty() {
        return Err(Error::invalid("Targets", Rule::Rs6, "name Resources or Targets to associate"));
    }
    for t in &targets {
        if let Some(a) = share.principals.get(t) {
            match a.state {
                AssociationState::Associated | AssociationState::Associating => {
                    return Err(Error::new(
                        ErrorCode::AlreadyExists,
                        Rule::Rs6,
                        format!("{} is already a principal of share {}", t.id(), share.id),
                    ))
                }
                AssociationState::Failed => {
                    return Err(Error::new(
                        ErrorCode::InvalidState,
                        Rule::Ki4,
                        format!(
                            "the association of {} failed and is not retried; remove the principal, then add it again",
                            t.id()
                        ),
                    ))
                }
                AssociationState::Disassociated => {}
            }
        }
        ok.check_principal(&share.owner, t)?;
    }
    if !targets.is_empty() {
        ok.check_instances_enabled(&share)?;
    }
    let at = ok.call().at;
    let before = ok.state.clone();
    let r = (|| {
        for r in &resources {
            let audit = shared_audit(&ok, arn.clone(), core::slice::from_ref(r));
            ok.created(audit);
            ok.check_shareable(r, mode)?;
        }
        let res = ok.add_instances(&share.id, &resources, at)?;
        let prin = ok.add_principals(&share.id, &targets, at);
        Ok(obj!("ResourceShareId": share.id, "Resources": res, "Principals": prin))
    })();
    match r {
        Ok(v) => Ok(ok.reply(v)),
        Err(e) => {
            ok.state = before;
            Err(e)
        }
    }
}

/// DisassociateResourceShare: remove instances or principals (RS-6, RS-7 interpretation).
pub(super) fn disassociate(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let (share, ask) = owned_share(&p, params, Action::DisassociateResourceShare)?;
    let resources = parse_resources(params)?;
    let targets = parse_targets(params)?;
    params.finish()?;
    let mut ok = p.decide(ask)?;
    check_active(&share)?;
    if resources.is_empty() && targets.is_empty() {
        return Err(Error::invalid("Targets", Rule::Rs6, "name Resources or Targets to disassociate"));
    }
    for t in &targets {
        if !share.principals.get(t).is_some_and(|a| a.state != AssociationState::Disassociated) {
            return Err(Error::not_found("principal of the share", t.id()));
        }
    }
    for r in &resources {
        if !share.resources.get(r).is_some_and(|a| a.state == AssociationState::Associated) {
            return Err(Error::not_found("resource of the share", r.as_str()));
        }
    }
    let at = ok.call().at;
    let sid = share.id.clone();
    ok.with_access_guard(|e| {
        if let Some(s) = e.state.shares.get_mut(&sid) {
            for t in &targets {
                if let Some(a) = s.principals.get_mut(t) {
                    a.state = AssociationState::Disassociated;
                    a.reason = None;
                    a.updated_at = at;
                }
            }
            for r in &resources {
                if let Some(a) = s.resources.get_mut(r) {
                    a.state = AssociationState::Disassociated;
                    a.updated_at = at;
                }
            }
        }
        Ok(())
    })?;
    let gone: Vec<String> =
        targets.iter().map(|t| t.id().to_string()).chain(resources.iter().map(|r| r.to_string())).collect();
    Ok(ok.reply(obj!("ResourceShareId": sid, "Disassociated": gone)))
}

/// DeleteResourceShare: revokes the share; refused while a principal has keys or secrets (RS-7).
pub(super) fn delete(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let (share, ask) = owned_share(&p, params, Action::DeleteResourceShare)?;
    params.finish()?;
    let mut ok = p.decide(ask)?;
    check_active(&share)?;
    let at = ok.call().at;
    let sid = share.id.clone();
    ok.with_access_guard(|e| {
        if let Some(s) = e.state.shares.get_mut(&sid) {
            s.state = ShareState::Deleted;
            for a in s.principals.values_mut().chain(s.resources.values_mut()) {
                if a.state != AssociationState::Failed {
                    a.state = AssociationState::Disassociated;
                }
                a.updated_at = at;
            }
        }
        Ok(())
    })?;
    Ok(ok.reply(obj!("ResourceShareId": sid, "State": ShareState::Deleted)))
}

/// AssociateResourceSharePermission and DisassociateResourceSharePermission (RS-4).
pub(super) fn permission(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = Action::parse(&p.call().action).unwrap_or(Action::AssociateResourceSharePermission);
    let attach = action == Action::AssociateResourceSharePermission;
    let (share, ask) = owned_share(&p, params, action)?;
    let name = params.str("PermissionName")?.to_string();
    let version = params.opt_str("PermissionVersion")?.map(str::to_string);
    params.finish()?;
    let mut ok = p.decide(ask)?;
    check_active(&share)?;
    let sid = share.id.clone();
    if attach {
        if name == DEPRECATED_PERMISSION {
            return Err(Error::new(
                ErrorCode::DeprecatedPermission,
                Rule::Rs4,
                format!("{DEPRECATED_PERMISSION} is deprecated and cannot be attached; use {DEFAULT_PERMISSION} v2"),
            ));
        }
        let v = if name == DEFAULT_PERMISSION { Some(version.unwrap_or_else(|| "v2".to_string())) } else { version };
        if name == DEFAULT_PERMISSION && !matches!(v.as_deref(), Some("v1") | Some("v2")) {
            return Err(Error::invalid(
                "PermissionVersion",
                Rule::Rs4,
                format!("{DEFAULT_PERMISSION} has versions v1 and v2"),
            ));
        }
        if let Some(s) = ok.state.shares.get_mut(&sid) {
            s.permissions.retain(|p| p.name != name);
            s.permissions.insert(SharePermission { name: name.clone(), version: v });
        }
    } else {
        let Some(s) = ok.state.shares.get_mut(&sid) else {
            return Err(Error::not_found("resource share", sid.as_str()));
        };
        let before = s.permissions.len();
        s.permissions.retain(|p| p.name != name);
        if s.permissions.len() == before {
            return Err(Error::not_found("permission", &name));
        }
    }
    let perms =
        ok.state.shares.get(&sid).map(|s| s.permissions.iter().cloned().collect::<Vec<_>>()).unwrap_or_default();
    Ok(ok.reply(obj!("ResourceShareId": sid, "Permissions": perms)))
}

/// GetResourceShare: the share with its associations and quota impact.
pub(super) fn get(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let id = params.parse("ResourceShareId", ShareId::parse)?;
    params.finish()?;
    let share = p.state.shares.get(&id).cloned().ok_or_else(|| Error::not_found("resource share", id.as_str()))?;
    let ask = management(
        Action::GetResourceShare,
        share_arn(&share.owner, id.as_str()),
        Role::Account(share.owner.clone(), "owner of the resource share", Rule::Rs8),
    );
    let ok = p.decide(ask)?;
    let quotas: Vec<Value> =
        share.resources.keys().map(|i| obj!("InstanceId": i, "Quota": ok.state.used_quota(i))).collect();
    Ok(ok.reply(obj!("ResourceShare": share, "Quotas": quotas)))
}
