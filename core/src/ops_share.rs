//! Operations on KMS instances (KI-1..KI-7) and resource shares (RS-1..RS-8,
//! SM-1..SM-3): creating, associating, disassociating, deleting, permissions.

use crate::idmap::IdSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

use crate::authz::Role;
use crate::engine::{Call, Engine, Response};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::*;
use crate::model::*;
use crate::params::Params;
use crate::policy::Context;
use crate::rules::Rule;

fn ok(result: Value) -> Result<Response> {
    Ok(Response { result, decision: None })
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

fn parse_mode(p: &mut Params<'_>) -> Result<Option<SharingMode>> {
    match p.opt_str("SharingMode")? {
        None => Ok(None),
        Some("Joint") => Ok(Some(SharingMode::Joint)),
        Some("Independent") => Ok(Some(SharingMode::Independent)),
        Some(other) => Err(Error::invalid(
            "SharingMode",
            Rule::Sm1,
            format!("SharingMode must be `Joint` or `Independent`, not `{}`", shorten(other)),
        )),
    }
}

fn share_arn(owner: &AccountId, id: &str) -> String {
    format!("acs:resourcesharing::{owner}:resourceshare/{id}")
}

impl Engine {
    /// kms:CreateInstance: an account buys an instance (a simulator action, KI-1).
    pub(crate) fn create_instance(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let kind = match p.opt_str("Kind")? {
            None | Some("Software") => InstanceKind::Software,
            Some("Hardware") => InstanceKind::Hardware,
            Some(o) => {
                return Err(Error::invalid(
                    "Kind",
                    Rule::Ki1,
                    format!("Kind must be `Software` or `Hardware`, not `{}`", shorten(o)),
                ))
            }
        };
        let region = p.parse("RegionId", Region::parse)?;
        let quota = p.opt_u64("Quota")?.unwrap_or(10);
        let enabled = p.opt_bool("Enabled")?.unwrap_or(true);
        let fixed = p.opt_parse("InstanceId", InstanceId::parse)?;
        p.finish()?;
        let quota =
            u32::try_from(quota).map_err(|_| Error::invalid("Quota", Rule::Ki3, "Quota is at most 4294967295"))?;
        let acct = call.caller.account.clone();
        self.authorize_mgmt(
            call,
            "kms:CreateInstance",
            format!("acs:kms:{region}:{acct}:instance/*"),
            Role::AnyAccount,
        )?;
        let id = match fixed {
            Some(i) if self.state.instances.contains_key(&i) => {
                return Err(Error::new(ErrorCode::AlreadyExists, Rule::Ki1, format!("instance {i} already exists")))
            }
            Some(i) => i,
            None => InstanceId::parse(&self.new_id("kst-")?)?,
        };
        let inst = Instance {
            id: id.clone(),
            kind,
            region,
            owner: acct,
            state: if enabled { InstanceState::Enabled } else { InstanceState::Disabled },
            quota,
            vpcs: Default::default(),
            sharing_mode: None,
        };
        self.trace.resource = crate::state::instance_arn(&inst);
        self.trace.instance = Some(id.clone());
        self.trace.owner = Some(inst.owner.clone());
        self.state.instances.insert(id.clone(), inst);
        ok(obj!("InstanceId": id))
    }

    /// Instance management by the owner (KI-2, KI-3, KI-7, SM-2).
    pub(crate) fn instance_op(&mut self, call: &Call, p: &mut Params<'_>, action: &'static str) -> Result<Response> {
        let id = p.parse("InstanceId", InstanceId::parse)?;
        let region = p.opt_parse("RegionId", Region::parse)?;
        let vpc = if matches!(action, "kms:AttachVpc" | "kms:DetachVpc") {
            Some(p.parse("VpcId", VpcId::parse)?)
        } else {
            None
        };
        let vpc_region = if action == "kms:AttachVpc" { p.opt_parse("VpcRegionId", Region::parse)? } else { None };
        let vpc_owner = if action == "kms:AttachVpc" { p.opt_parse("VpcOwnerId", AccountId::parse)? } else { None };
        let quota = if action == "kms:UpgradeInstance" {
            Some(p.opt_u64("Quota")?.ok_or_else(|| p.missing("Quota"))?)
        } else {
            None
        };
        let mode = if action == "kms:SetInstanceSharingMode" {
            Some(parse_mode(p)?.ok_or_else(|| p.missing("SharingMode"))?)
        } else {
            None
        };
        p.finish()?;
        let inst = self.instance(&id)?;
        let decision = self.authorize_instance(call, action, &id, region.as_ref(), &Context::default())?;
        let usage = self.state.used_quota(&id);
        let mut result = obj!("InstanceId": id);
        match action {
            "kms:GetKmsInstance" | "kms:GetInstanceQuota" => {
                result = obj!("Instance": inst, "Quota": usage, "Shares": self.shares_of(&id));
            }
            "kms:AttachVpc" => {
                let vpc = vpc.ok_or_else(|| p.missing("VpcId"))?;
                let vr = vpc_region.unwrap_or_else(|| inst.region.clone());
                if vr != inst.region {
                    return Err(Error::new(ErrorCode::CrossRegion, Rule::Ki7, format!("vpc {vpc} is in region {vr}; instance {id} is in {}: only same-region VPCs can be attached", inst.region)));
                }
                let owner = vpc_owner.unwrap_or_else(|| inst.owner.clone());
                if owner != inst.owner && self.state.shares_granting(&id, &owner).is_empty() {
                    return Err(Error::new(ErrorCode::NotSameDirectory, Rule::Ki7, format!("account {owner} is not a principal of instance {id}; share the instance with it before attaching its VPC")));
                }
                if inst.vpcs.contains_key(&vpc) {
                    return Err(Error::new(
                        ErrorCode::AlreadyExists,
                        Rule::Ki7,
                        format!("vpc {vpc} is already attached"),
                    ));
                }
                if usage.used + 1 > inst.quota {
                    return Err(Error::new(
                        ErrorCode::QuotaExceeded,
                        Rule::Ki7,
                        format!("attaching vpc {vpc} needs 1 more quota: {} of {} used (KI-3)", usage.used, inst.quota),
                    ));
                }
                if let Some(i) = self.state.instances.get_mut(&id) {
                    i.vpcs.insert(vpc, owner);
                }
                self.state.rebuild_access();
                result = obj!("InstanceId": id, "Quota": self.state.used_quota(&id));
            }
            "kms:DetachVpc" => {
                let vpc = vpc.ok_or_else(|| p.missing("VpcId"))?;
                if !inst.vpcs.contains_key(&vpc) {
                    return Err(Error::not_found("attached vpc", vpc.as_str()));
                }
                if let Some(i) = self.state.instances.get_mut(&id) {
                    i.vpcs.remove(&vpc);
                }
                self.state.rebuild_access();
                result = obj!("InstanceId": id, "Quota": self.state.used_quota(&id));
            }
            "kms:UpgradeInstance" => {
                let q = quota
                    .and_then(|q| u32::try_from(q).ok())
                    .ok_or_else(|| Error::invalid("Quota", Rule::Ki3, "Quota is at most 4294967295"))?;
                if q < usage.used {
                    return Err(Error::new(
                        ErrorCode::QuotaExceeded,
                        Rule::Ki3,
                        format!("the quota cannot go below the {} already used", usage.used),
                    ));
                }
                if let Some(i) = self.state.instances.get_mut(&id) {
                    i.quota = q;
                }
                // KI-4: failed principals stay failed; only members reached later may now fit.
                self.state.rebuild_access();
                result = obj!("InstanceId": id, "Quota": self.state.used_quota(&id));
            }
            "kms:RenewInstance" => {}
            "kms:EnableInstance" | "kms:DisableInstance" => {
                let st = if action == "kms:EnableInstance" { InstanceState::Enabled } else { InstanceState::Disabled };
                if inst.state == st {
                    return Err(Error::new(
                        ErrorCode::InvalidState,
                        Rule::Ki2,
                        format!("instance {id} is already {st:?}"),
                    ));
                }
                if let Some(i) = self.state.instances.get_mut(&id) {
                    i.state = st;
                }
                result = obj!("InstanceId": id, "State": st);
            }
            "kms:SetInstanceSharingMode" => {
                let new = mode.ok_or_else(|| p.missing("SharingMode"))?;
                self.set_mode(&inst, new)?;
                result = obj!("InstanceId": id, "SharingMode": new);
            }
            _ => {}
        }
        Ok(Response { result, decision: Some(decision) })
    }

    /// SM-1, SM-2: the mode is chosen once; Joint may become Independent, never back.
    fn set_mode(&mut self, inst: &Instance, new: SharingMode) -> Result<()> {
        match (inst.sharing_mode, new) {
            (Some(SharingMode::Independent), SharingMode::Joint) => {
                return Err(Error::new(
                    ErrorCode::ModeChangeNotAllowed,
                    Rule::Sm2,
                    format!("instance {} is in Independent ownership, which never changes to Joint", inst.id),
                ));
            }
            (Some(old), n) if old == n => {}
            _ => {
                if let Some(i) = self.state.instances.get_mut(&inst.id) {
                    i.sharing_mode = Some(new);
                }
            }
        }
        Ok(())
    }

    fn shares_of(&self, inst: &InstanceId) -> Vec<Value> {
        self.state
            .shares_naming(inst)
            .map(|s| obj!("ResourceShareId": s.id, "Name": s.name, "State": s.state))
            .collect()
    }

    fn share_owned_by_caller(&mut self, call: &Call, p: &mut Params<'_>, action: &str) -> Result<Share> {
        let id = p.parse("ResourceShareId", ShareId::parse)?;
        let share = self
            .state
            .shares
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found("resource share", id.as_str()).at_field("ResourceShareId"))?;
        self.authorize_mgmt(
            call,
            action,
            share_arn(&share.owner, id.as_str()),
            Role::Account(share.owner.clone(), "owner of the resource share", Rule::Rs7),
        )?;
        if share.state != ShareState::Active {
            return Err(Error::new(
                ErrorCode::InvalidState,
                Rule::Rs8,
                format!("resource share {id} is {:?}", share.state),
            ));
        }
        Ok(share)
    }

    /// Check that `owner` may share `instance` (KI-1, KI-2, RS-3, SM-1).
    fn check_shareable(&mut self, owner: &AccountId, inst_id: &InstanceId, mode: Option<SharingMode>) -> Result<()> {
        let inst = self.instance(inst_id)?;
        if inst.owner != *owner {
            let d = crate::authz::decide(
                &self.state,
                &crate::authz::Request {
                    caller: &Identity::root(owner.clone()),
                    action: "resourcesharing:AssociateResourceShare",
                    target: &crate::authz::Target::Management {
                        arn: crate::state::instance_arn(&inst),
                        role: Role::Account(
                            inst.owner.clone(),
                            "owner of the instance (only the owner shares it)",
                            Rule::Ki1,
                        ),
                    },
                    region: None,
                    context: &Context::default(),
                },
            );
            return Err(Error::denied(d));
        }
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
                    "instance {inst_id} is already shared in {cur:?} ownership; change the mode with kms:SetInstanceSharingMode (Joint to Independent only, SM-2)"
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
                        "instance {id} of share {} is not enabled; only enabled instances can be shared, so the share takes no new principal until its owner enables it (kms:EnableInstance)",
                        share.id
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
                let ent = self.state.accounts.get(a).and_then(|x| x.enterprise_id.as_deref());
                if ent != Some(dir.enterprise_id.as_str()) {
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

    /// Add principals to a share already holding `instances`: each principal that
    /// would exceed any instance's quota is `Failed` with the reason (KI-4).
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

    fn parse_permission(p: &mut Params<'_>, legacy: bool, new_share: bool) -> Result<Vec<SharePermission>> {
        let names =
            p.opt_list("PermissionNames", false)?.unwrap_or_else(|| alloc::vec![DEFAULT_PERMISSION.to_string()]);
        let version = p.opt_str("PermissionVersion")?.map(str::to_string);
        let mut out = Vec::new();
        for n in names {
            if n == DEPRECATED_PERMISSION && !legacy {
                return Err(Error::new(
                    ErrorCode::DeprecatedPermission,
                    Rule::Rs4,
                    format!("{DEPRECATED_PERMISSION} is deprecated and cannot be attached to {}; use {DEFAULT_PERMISSION} v2", if new_share { "a new share" } else { "a share" }),
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

    /// CreateResourceShare (RS-1..RS-5, SM-1, KI-2..KI-5).
    pub(crate) fn create_share(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let name = p.parse("ResourceShareName", ShareName::parse)?;
        let resources = parse_resources(p)?;
        let targets = parse_targets(p)?;
        let mode = parse_mode(p)?;
        let legacy = p.opt_bool("SimulateLegacy")?.unwrap_or(false);
        let perms = Self::parse_permission(p, legacy, true)?;
        let fixed = p.opt_parse("ResourceShareId", ShareId::parse)?;
        p.finish()?;
        let owner = call.caller.account.clone();
        self.authorize_mgmt(call, "resourcesharing:CreateResourceShare", share_arn(&owner, "*"), Role::AnyAccount)?;
        let id = match fixed {
            Some(i) if self.state.shares.contains_key(&i) => {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    Rule::Rs8,
                    format!("resource share {i} already exists"),
                ))
            }
            Some(i) => i,
            None => ShareId::parse(&self.new_id("rs-")?)?,
        };
        let before = self.state.clone();
        let r = self.create_share_inner(call, id, name, owner, resources, targets, mode, perms);
        if r.is_err() {
            self.state = before;
        }
        r
    }

    #[allow(clippy::too_many_arguments)]
    fn create_share_inner(
        &mut self,
        call: &Call,
        id: ShareId,
        name: ShareName,
        owner: AccountId,
        resources: Vec<InstanceId>,
        targets: Vec<Principal>,
        mode: Option<SharingMode>,
        perms: Vec<SharePermission>,
    ) -> Result<Response> {
        for t in &targets {
            self.check_principal(&owner, t)?;
        }
        if targets.is_empty() && !resources.is_empty() {
            // Sharing an instance at all needs the directory (RD-7).
            let enabled = self.state.directory.as_ref().is_some_and(|d| d.sharing_enabled);
            if !enabled {
                return Err(Error::new(
                    ErrorCode::SharingNotEnabled,
                    Rule::Rd7,
                    "resource sharing is not enabled in the resource directory",
                ));
            }
        }
        for r in &resources {
            self.check_shareable(&owner, r, mode)?;
        }
        self.trace.resource = share_arn(&owner, id.as_str());
        let seq = self.state.next_seq();
        self.state.shares.insert(
            id.clone(),
            Share {
                id: id.clone(),
                name,
                owner,
                state: ShareState::Active,
                resources: Default::default(),
                principals: Default::default(),
                permissions: perms.into_iter().collect(),
                seq,
            },
        );
        let res = self.add_instances(&id, &resources, call.at)?;
        let prin = self.add_principals(&id, &targets, call.at);
        ok(obj!("ResourceShareId": id, "Resources": res, "Principals": prin))
    }

    /// AssociateResourceShare: add instances (RS-5) and/or principals (RS-6, KI-4).
    pub(crate) fn associate(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let share = self.share_owned_by_caller(call, p, "resourcesharing:AssociateResourceShare")?;
        let resources = parse_resources(p)?;
        let targets = parse_targets(p)?;
        let mode = parse_mode(p)?;
        p.finish()?;
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
            self.check_principal(&share.owner, t)?;
        }
        if !targets.is_empty() {
            self.check_instances_enabled(&share)?;
        }
        let before = self.state.clone();
        let r = (|| {
            for r in &resources {
                self.check_shareable(&share.owner, r, mode)?;
            }
            let res = self.add_instances(&share.id, &resources, call.at)?;
            let prin = self.add_principals(&share.id, &targets, call.at);
            Ok(obj!("ResourceShareId": share.id, "Resources": res, "Principals": prin))
        })();
        match r {
            Ok(v) => ok(v),
            Err(e) => {
                self.state = before;
                Err(e)
            }
        }
    }

    /// DisassociateResourceShare: remove instances or principals (RS-6, RS-7 interpretation).
    pub(crate) fn disassociate(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let share = self.share_owned_by_caller(call, p, "resourcesharing:DisassociateResourceShare")?;
        let resources = parse_resources(p)?;
        let targets = parse_targets(p)?;
        p.finish()?;
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
        let at = call.at;
        let sid = share.id.clone();
        self.with_access_guard(|e| {
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
        ok(
            obj!("ResourceShareId": sid, "Disassociated": targets.iter().map(|t| t.id().to_string()).chain(resources.iter().map(|r| r.to_string())).collect::<Vec<_>>()),
        )
    }

    /// DeleteResourceShare: revokes the share; refused while a principal has keys or secrets (RS-7).
    pub(crate) fn delete_share(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let share = self.share_owned_by_caller(call, p, "resourcesharing:DeleteResourceShare")?;
        p.finish()?;
        let at = call.at;
        let sid = share.id.clone();
        self.with_access_guard(|e| {
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
        ok(obj!("ResourceShareId": sid, "State": ShareState::Deleted))
    }

    /// Attach or detach a permission (RS-4).
    pub(crate) fn share_permission(&mut self, call: &Call, p: &mut Params<'_>, attach: bool) -> Result<Response> {
        let action = if attach {
            "resourcesharing:AssociateResourceSharePermission"
        } else {
            "resourcesharing:DisassociateResourceSharePermission"
        };
        let share = self.share_owned_by_caller(call, p, action)?;
        let name = p.str("PermissionName")?.to_string();
        let version = p.opt_str("PermissionVersion")?.map(str::to_string);
        p.finish()?;
        let sid = share.id.clone();
        if attach {
            if name == DEPRECATED_PERMISSION {
                return Err(Error::new(
                    ErrorCode::DeprecatedPermission,
                    Rule::Rs4,
                    format!(
                        "{DEPRECATED_PERMISSION} is deprecated and cannot be attached; use {DEFAULT_PERMISSION} v2"
                    ),
                ));
            }
            let v =
                if name == DEFAULT_PERMISSION { Some(version.unwrap_or_else(|| "v2".to_string())) } else { version };
            if name == DEFAULT_PERMISSION && !matches!(v.as_deref(), Some("v1") | Some("v2")) {
                return Err(Error::invalid(
                    "PermissionVersion",
                    Rule::Rs4,
                    format!("{DEFAULT_PERMISSION} has versions v1 and v2"),
                ));
            }
            if let Some(s) = self.state.shares.get_mut(&sid) {
                s.permissions.retain(|p| p.name != name);
                s.permissions.insert(SharePermission { name: name.clone(), version: v });
            }
        } else {
            let Some(s) = self.state.shares.get_mut(&sid) else {
                return Err(Error::not_found("resource share", sid.as_str()));
            };
            let before = s.permissions.len();
            s.permissions.retain(|p| p.name != name);
            if s.permissions.len() == before {
                return Err(Error::not_found("permission", &name));
            }
        }
        let perms =
            self.state.shares.get(&sid).map(|s| s.permissions.iter().cloned().collect::<Vec<_>>()).unwrap_or_default();
        ok(obj!("ResourceShareId": sid, "Permissions": perms))
    }

    /// GetResourceShare: the share with its associations and quota impact.
    pub(crate) fn get_share(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let id = p.parse("ResourceShareId", ShareId::parse)?;
        p.finish()?;
        let share =
            self.state.shares.get(&id).cloned().ok_or_else(|| Error::not_found("resource share", id.as_str()))?;
        self.authorize_mgmt(
            call,
            "resourcesharing:GetResourceShare",
            share_arn(&share.owner, id.as_str()),
            Role::Account(share.owner.clone(), "owner of the resource share", Rule::Rs8),
        )?;
        let quotas: Vec<Value> =
            share.resources.keys().map(|i| obj!("InstanceId": i, "Quota": self.state.used_quota(i))).collect();
        ok(obj!("ResourceShare": share, "Quotas": quotas))
    }
}
