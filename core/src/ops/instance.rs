//! KMS instances (KI-1..KI-7, SM-1, SM-2): buying one (a simulator call), its details
//! and quota, VPCs, upgrades, enabling and disabling, the sharing mode, and application
//! access points.

use alloc::format;
use alloc::vec::Vec;
use serde_json::Value;

use super::directory::management;
use super::gate::{Allowed, Ask, AuditRef, Pending, Reply};
use crate::action::Action;
use crate::authz::Role;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::*;
use crate::model::*;
use crate::params::Params;
use crate::rules::Rule;

/// CreateInstance: an account buys an instance (a simulator action, KI-1).
pub(super) fn create(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let kind = match params.opt_str("Kind")? {
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
    let region = params.parse("RegionId", Region::parse)?;
    let quota = params.opt_u64("Quota")?.unwrap_or(10);
    let enabled = params.opt_bool("Enabled")?.unwrap_or(true);
    let fixed = params.opt_parse("InstanceId", InstanceId::parse)?;
    params.finish()?;
    let quota = u32::try_from(quota).map_err(|_| Error::invalid("Quota", Rule::Ki3, "Quota is at most 4294967295"))?;
    let acct = p.call().caller.account.clone();
    let arn = format!("acs:kms:{region}:{acct}:instance/*");
    let mut ok = p.decide(management(Action::CreateInstance, arn, Role::AnyAccount))?;
    let id = match fixed {
        Some(i) if ok.state.instances.contains_key(&i) => {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Ki1, format!("instance {i} already exists")))
        }
        Some(i) => i,
        None => InstanceId::parse(&ok.new_id("kst-")?)?,
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
    let audit = AuditRef {
        resource: crate::state::instance_arn(&inst),
        instance: Some(id.clone()),
        owner: Some(inst.owner.clone()),
    };
    ok.created(audit);
    ok.state.instances.insert(id.clone(), inst);
    Ok(ok.reply(obj!("InstanceId": id)))
}

/// Read the parameters every instance call has: the instance and the region.
fn instance_request(params: &mut Params<'_>) -> Result<(InstanceId, Option<Region>)> {
    Ok((params.parse("InstanceId", InstanceId::parse)?, params.opt_parse("RegionId", Region::parse)?))
}

/// Once the call's own parameters are read: no unknown one, then the decision on the
/// instance (the owner's feature of the permission matrix, PM).
fn decide_on_instance<'e>(
    mut p: Pending<'e>,
    params: &mut Params<'_>,
    (id, region): (InstanceId, Option<Region>),
) -> Result<(Allowed<'e>, Instance)> {
    params.finish()?;
    let inst = p.instance(&id)?.clone();
    let (target, audit) = p.instance_target(&id);
    p.about(audit.clone());
    let action = Action::parse(&p.call().action).unwrap_or(Action::GetKmsInstance);
    let ok = p.decide(Ask::new(action, target, audit).within(region, Default::default()))?;
    Ok((ok, inst))
}

fn shares_of(e: &Engine, inst: &InstanceId) -> Vec<Value> {
    e.state.shares_naming(inst).map(|s| obj!("ResourceShareId": s.id, "Name": s.name, "State": s.state)).collect()
}

/// GetKmsInstance and GetInstanceQuota: the instance, its quota figures and its shares.
pub(super) fn get(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = instance_request(params)?;
    let (ok, inst) = decide_on_instance(p, params, req)?;
    let usage = ok.state.used_quota(&inst.id);
    let shares = shares_of(&ok, &inst.id);
    Ok(ok.reply(obj!("Instance": inst, "Quota": usage, "Shares": shares)))
}

/// AttachVpc: a VPC of the same region, the owner's or a principal's, costs one unit of
/// quota (KI-7).
pub(super) fn attach_vpc(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = instance_request(params)?;
    let vpc = params.parse("VpcId", VpcId::parse)?;
    let vpc_region = params.opt_parse("VpcRegionId", Region::parse)?;
    let vpc_owner = params.opt_parse("VpcOwnerId", AccountId::parse)?;
    let (mut ok, inst) = decide_on_instance(p, params, req)?;
    let id = inst.id.clone();
    let usage = ok.state.used_quota(&id);
    let vr = vpc_region.unwrap_or_else(|| inst.region.clone());
    if vr != inst.region {
        return Err(Error::new(
            ErrorCode::CrossRegion,
            Rule::Ki7,
            format!(
                "vpc {vpc} is in region {vr}; instance {id} is in {}: only same-region VPCs can be attached",
                inst.region
            ),
        ));
    }
    let owner = vpc_owner.unwrap_or_else(|| inst.owner.clone());
    if owner != inst.owner && ok.state.shares_granting(&id, &owner).is_empty() {
        return Err(Error::new(
            ErrorCode::NotSameDirectory,
            Rule::Ki7,
            format!("account {owner} is not a principal of instance {id}; share the instance with it before attaching its VPC"),
        ));
    }
    if inst.vpcs.contains_key(&vpc) {
        return Err(Error::new(ErrorCode::AlreadyExists, Rule::Ki7, format!("vpc {vpc} is already attached")));
    }
    if usage.used + 1 > inst.quota {
        return Err(Error::new(
            ErrorCode::QuotaExceeded,
            Rule::Ki7,
            format!("attaching vpc {vpc} needs 1 more quota: {} of {} used (KI-3)", usage.used, inst.quota),
        ));
    }
    if let Some(i) = ok.state.instances.get_mut(&id) {
        i.vpcs.insert(vpc, owner);
    }
    ok.state.rebuild_access();
    let quota = ok.state.used_quota(&id);
    Ok(ok.reply(obj!("InstanceId": id, "Quota": quota)))
}

/// DetachVpc: frees its unit of quota, which admits the first account waiting (KI-3, KI-4).
pub(super) fn detach_vpc(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = instance_request(params)?;
    let vpc = params.parse("VpcId", VpcId::parse)?;
    let (mut ok, inst) = decide_on_instance(p, params, req)?;
    if !inst.vpcs.contains_key(&vpc) {
        return Err(Error::not_found("attached vpc", vpc.as_str()));
    }
    if let Some(i) = ok.state.instances.get_mut(&inst.id) {
        i.vpcs.remove(&vpc);
    }
    ok.state.rebuild_access();
    let quota = ok.state.used_quota(&inst.id);
    Ok(ok.reply(obj!("InstanceId": inst.id, "Quota": quota)))
}

/// UpgradeInstance: a new access management quota, never below what is used (KI-3).
pub(super) fn upgrade(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = instance_request(params)?;
    let quota = params.opt_u64("Quota")?.ok_or_else(|| params.missing("Quota"))?;
    let (mut ok, inst) = decide_on_instance(p, params, req)?;
    let usage = ok.state.used_quota(&inst.id);
    let q = u32::try_from(quota).map_err(|_| Error::invalid("Quota", Rule::Ki3, "Quota is at most 4294967295"))?;
    if q < usage.used {
        return Err(Error::new(
            ErrorCode::QuotaExceeded,
            Rule::Ki3,
            format!("the quota cannot go below the {} already used", usage.used),
        ));
    }
    if let Some(i) = ok.state.instances.get_mut(&inst.id) {
        i.quota = q;
    }
    // KI-4: failed principals stay failed; only members reached later may now fit.
    ok.state.rebuild_access();
    let quota = ok.state.used_quota(&inst.id);
    Ok(ok.reply(obj!("InstanceId": inst.id, "Quota": quota)))
}

/// RenewInstance: the subscription goes on; nothing the model tracks changes.
pub(super) fn renew(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = instance_request(params)?;
    let (ok, inst) = decide_on_instance(p, params, req)?;
    Ok(ok.reply(obj!("InstanceId": inst.id)))
}

/// EnableInstance and DisableInstance (KI-2).
pub(super) fn enable_or_disable(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let enable = Action::parse(&p.call().action) == Some(Action::EnableInstance);
    let req = instance_request(params)?;
    let (mut ok, inst) = decide_on_instance(p, params, req)?;
    let st = if enable { InstanceState::Enabled } else { InstanceState::Disabled };
    if inst.state == st {
        return Err(Error::new(ErrorCode::InvalidState, Rule::Ki2, format!("instance {} is already {st:?}", inst.id)));
    }
    if let Some(i) = ok.state.instances.get_mut(&inst.id) {
        i.state = st;
    }
    Ok(ok.reply(obj!("InstanceId": inst.id, "State": st)))
}

/// Parse a `SharingMode` parameter (SM-1).
pub(super) fn parse_mode(params: &mut Params<'_>) -> Result<Option<SharingMode>> {
    match params.opt_str("SharingMode")? {
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

/// SetInstanceSharingMode (SM-1, SM-2): the mode is chosen once; Joint may become
/// Independent, never back.
pub(super) fn set_sharing_mode(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = instance_request(params)?;
    let new = parse_mode(params)?.ok_or_else(|| params.missing("SharingMode"))?;
    let (mut ok, inst) = decide_on_instance(p, params, req)?;
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
            if let Some(i) = ok.state.instances.get_mut(&inst.id) {
                i.sharing_mode = Some(new);
            }
        }
    }
    Ok(ok.reply(obj!("InstanceId": inst.id, "SharingMode": new)))
}

/// CreateApplicationAccessPoint in an instance (owner and principals, PM).
pub(super) fn create_access_point(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let inst_id = params.parse("InstanceId", InstanceId::parse)?;
    let name = params.parse("Name", RamName::parse)?;
    let (region, context) = super::keys::common(params)?;
    params.finish()?;
    let inst = p.instance(&inst_id)?.clone();
    let (target, audit) = p.instance_target(&inst_id);
    p.about(audit.clone());
    let mut ok = p.decide(Ask::new(Action::CreateApplicationAccessPoint, target, audit).within(region, context))?;
    let acct = ok.call().caller.account.clone();
    let arn = format!("acs:kms:{}:{}:applicationaccesspoint/{}", inst.region, acct, name);
    if ok.state.access_points.contains_key(&arn) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            None,
            format!("application access point `{name}` already exists"),
        ));
    }
    ok.state
        .access_points
        .insert(arn.clone(), AccessPoint { name: name.clone(), instance: inst_id.clone(), creator: acct });
    Ok(ok.reply(obj!("Arn": arn, "Name": name, "InstanceId": inst_id)))
}
