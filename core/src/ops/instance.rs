//! KMS instances (KI-1..KI-7, SM-1, SM-2): buying one and its lifecycle (the
//! simulator's calls: the vendor does these in its console and billing), its details and
//! quota, VPCs, the sharing mode, and application access points.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

use super::directory::management;
use super::gate::{Allowed, Ask, AuditRef, Pending, Reply};
use super::keys::context;
use crate::action::Action;
use crate::authz::Role;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::IdMap;
use crate::ids::*;
use crate::json::response;
use crate::model::*;
use crate::params::Params;
use crate::request::request;
use crate::rules::Rule;

request! {
    /// CreateInstance (the simulator's): an account buys a KMS instance (KI-1).
    pub struct CreateInstanceRequest {
        required {
            /// The instance's region.
            "RegionId" region_id: Region,
        }
        optional {
            /// `Software` (default) or `Hardware`.
            "Kind" kind: String,
            /// The access management quota (10 by default, KI-3).
            "Quota" quota: u64,
            /// Whether it starts enabled (by default).
            "Enabled" enabled: bool,
            /// The new instance's id, so that a document can name it.
            "InstanceId" instance_id: InstanceId,
        }
    }
}

request! {
    /// A simulator call on one instance: GetInstanceQuota, RenewInstance, EnableInstance,
    /// DisableInstance.
    pub struct InstanceRequest {
        required {
            /// The instance.
            "InstanceId" instance_id: InstanceId,
        }
        optional {
            /// The region the call is made in (KI-6).
            "RegionId" region_id: Region,
        }
    }
}

request! {
    /// AttachVpc (the simulator's): a VPC of the owner or a principal (KI-7).
    pub struct AttachVpcRequest {
        required {
            /// The instance.
            "InstanceId" instance_id: InstanceId,
            /// The VPC.
            "VpcId" vpc_id: VpcId,
        }
        optional {
            /// The VPC's region: the instance's (KI-7).
            "VpcRegionId" vpc_region_id: Region,
            /// The account the VPC belongs to (the owner by default).
            "VpcOwnerId" vpc_owner_id: AccountId,
            /// The region the call is made in (KI-6).
            "RegionId" region_id: Region,
        }
    }
}

request! {
    /// DetachVpc (the simulator's).
    pub struct DetachVpcRequest {
        required {
            /// The instance.
            "InstanceId" instance_id: InstanceId,
            /// The VPC.
            "VpcId" vpc_id: VpcId,
        }
        optional {
            /// The region the call is made in (KI-6).
            "RegionId" region_id: Region,
        }
    }
}

request! {
    /// UpgradeInstance (the simulator's): a new access management quota (KI-3).
    pub struct UpgradeInstanceRequest {
        required {
            /// The instance.
            "InstanceId" instance_id: InstanceId,
            /// The new quota, never below what is used.
            "Quota" quota: u64,
        }
        optional {
            /// The region the call is made in (KI-6).
            "RegionId" region_id: Region,
        }
    }
}

request! {
    /// SetInstanceSharingMode (the simulator's): Joint to Independent (SM-1, SM-2).
    pub struct SetInstanceSharingModeRequest {
        required {
            /// The instance.
            "InstanceId" instance_id: InstanceId,
            /// `Joint` or `Independent`.
            "SharingMode" sharing_mode: String,
        }
        optional {
            /// The region the call is made in (KI-6).
            "RegionId" region_id: Region,
        }
    }
}

request! {
    /// GetKmsInstance: the instance's details.
    pub struct GetKmsInstanceRequest {
        required {
            /// The instance.
            "KmsInstanceId" kms_instance_id: InstanceId,
        }
        optional {
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
        }
    }
}

request! {
    /// CreateApplicationAccessPoint in an instance (owner and principals, PM).
    pub struct CreateApplicationAccessPointRequest {
        required {
            /// The access point's name.
            "Name" name: RamName,
            /// The simulator's: the instance it belongs to (the vendor ties access points
            /// to instances through their policies).
            "KmsInstanceId" kms_instance_id: InstanceId,
        }
        optional {
            /// `ClientKey`, the one method.
            "AuthenticationMethod" authentication_method: String,
            /// The description.
            "Description" description: String,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

response! {
    /// A VPC bound to an instance.
    pub struct BindVpc {
        /// The VPC.
        "VpcId" vpc_id: VpcId,
        /// Its account.
        "VpcOwnerId" vpc_owner_id: AccountId,
        /// Its region: the instance's (KI-7).
        "RegionId" region_id: Region,
    }
}

response! {
    /// The vendor's wrapper of the bound VPCs.
    pub struct BindVpcs {
        /// The VPCs.
        "BindVpc" bind_vpc: Vec<BindVpc>,
    }
}

response! {
    /// An instance's details, as GetKmsInstance returns them.
    pub struct KmsInstance {
        /// The instance id.
        "InstanceId" instance_id: InstanceId,
        /// Its name: its id.
        "InstanceName" instance_name: InstanceId,
        /// `Connected` when enabled, `Disconnected` when disabled (README Semantics 27).
        "Status" status: &'static str,
        /// The keys it holds.
        "KeyNum" key_num: u64,
        /// The secrets it holds (the vendor writes this count as text).
        "SecretNum" secret_num: String,
        /// The VPCs bound to it (each costs quota, KI-7).
        "VpcNum" vpc_num: u64,
        /// Those VPCs.
        "BindVpcs" bind_vpcs: BindVpcs,
    }
}

response! {
    /// GetKmsInstance's response.
    pub struct GetKmsInstanceResponse {
        /// The instance.
        "KmsInstance" kms_instance: KmsInstance,
    }
}

response! {
    /// CreateApplicationAccessPoint's response.
    pub struct CreateApplicationAccessPointResponse {
        /// The access point's ARN.
        "Arn" arn: String,
        /// Its name.
        "Name" name: RamName,
        /// `ClientKey`.
        "AuthenticationMethod" authentication_method: &'static str,
        /// The description.
        "Description" description: String,
    }
}

/// An instance's details.
pub fn kms_instance(e: &Engine, i: &Instance) -> KmsInstance {
    // In VPC id order, the map's.
    let bind_vpc: Vec<BindVpc> = i
        .vpcs
        .iter()
        .map(|(v, owner)| BindVpc { vpc_id: v.clone(), vpc_owner_id: owner.clone(), region_id: i.region.clone() })
        .collect();
    KmsInstance {
        instance_id: i.id.clone(),
        instance_name: i.id.clone(),
        status: if i.state == InstanceState::Enabled { "Connected" } else { "Disconnected" },
        key_num: e.state.keys_in(&i.id).count() as u64,
        secret_num: e.state.secrets_in(&i.id).count().to_string(),
        vpc_num: i.vpcs.len() as u64,
        bind_vpcs: BindVpcs { bind_vpc },
    }
}

/// CreateInstance: an account buys an instance (a simulator action, KI-1).
pub(super) fn create(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateInstanceRequest::read(params)?;
    let kind = match r.kind.as_deref() {
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
    let region = r.region_id;
    let quota = u32::try_from(r.quota.unwrap_or(10))
        .map_err(|_| Error::invalid("Quota", Rule::Ki3, "Quota is at most 4294967295"))?;
    let acct = p.call().caller.account.clone();
    let arn = format!("acs:kms:{region}:{acct}:instance/*");
    let mut ok = p.decide(management(Action::CreateInstance, arn, Role::AnyAccount))?;
    let id = match r.instance_id {
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
        state: if r.enabled.unwrap_or(true) { InstanceState::Enabled } else { InstanceState::Disabled },
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

/// Decide a call on the instance `id` (the owner's feature of the permission matrix, PM).
fn decide_on_instance<'e>(
    mut p: Pending<'e>,
    id: &InstanceId,
    region: Option<Region>,
) -> Result<(Allowed<'e>, Instance)> {
    let inst = p.instance(id)?.clone();
    let (target, audit) = p.instance_target(id);
    p.about(audit.clone());
    let action = p.action();
    let ok = p.decide(Ask::new(action, target, audit).within(region, Default::default()))?;
    Ok((ok, inst))
}

fn shares_of(e: &Engine, inst: &InstanceId) -> Vec<Value> {
    e.state.shares_naming(inst).map(|s| obj!("ResourceShareId": s.id, "Name": s.name, "State": s.state)).collect()
}

/// The simulator's view of an instance: the instance, its quota figures in admission
/// order (README Semantics 3) and its shares.
pub(crate) fn instance_view(e: &Engine, inst: &Instance) -> Value {
    obj!("Instance": inst, "Quota": e.state.used_quota(&inst.id), "Shares": shares_of(e, &inst.id))
}

/// GetInstanceQuota (the simulator's): the instance, its quota and its shares.
pub(super) fn get_quota(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = InstanceRequest::read(params)?;
    let (ok, inst) = decide_on_instance(p, &r.instance_id, r.region_id)?;
    let view = instance_view(&ok, &inst);
    Ok(ok.reply(view))
}

/// GetKmsInstance: the instance's details.
pub(super) fn get(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = GetKmsInstanceRequest::read(params)?;
    let (ok, inst) = decide_on_instance(p, &r.kms_instance_id, r.region_id)?;
    let resp = GetKmsInstanceResponse { kms_instance: kms_instance(&ok, &inst) };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

/// AttachVpc: a VPC of the same region, the owner's or a principal's, costs one unit of
/// quota (KI-7).
pub(super) fn attach_vpc(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = AttachVpcRequest::read(params)?;
    let (mut ok, inst) = decide_on_instance(p, &r.instance_id, r.region_id)?;
    let (id, vpc) = (inst.id.clone(), r.vpc_id);
    let usage = ok.state.used_quota(&id);
    let vr = r.vpc_region_id.unwrap_or_else(|| inst.region.clone());
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
    let owner = r.vpc_owner_id.unwrap_or_else(|| inst.owner.clone());
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
    ok.state.rebuild_access_of(Some(core::slice::from_ref(&id)));
    let quota = ok.state.used_quota(&id);
    Ok(ok.reply(obj!("InstanceId": id, "Quota": quota)))
}

/// DetachVpc: frees its unit of quota, which admits the first account waiting (KI-3, KI-4).
pub(super) fn detach_vpc(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = DetachVpcRequest::read(params)?;
    let (mut ok, inst) = decide_on_instance(p, &r.instance_id, r.region_id)?;
    let vpc = r.vpc_id;
    if !inst.vpcs.contains_key(&vpc) {
        return Err(Error::not_found("attached vpc", vpc.as_str()));
    }
    if let Some(i) = ok.state.instances.get_mut(&inst.id) {
        i.vpcs.remove(&vpc);
    }
    ok.state.rebuild_access_of(Some(core::slice::from_ref(&inst.id)));
    let quota = ok.state.used_quota(&inst.id);
    Ok(ok.reply(obj!("InstanceId": inst.id, "Quota": quota)))
}

/// UpgradeInstance: a new access management quota, never below what is used (KI-3).
pub(super) fn upgrade(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = UpgradeInstanceRequest::read(params)?;
    let (mut ok, inst) = decide_on_instance(p, &r.instance_id, r.region_id)?;
    let usage = ok.state.used_quota(&inst.id);
    let q = u32::try_from(r.quota).map_err(|_| Error::invalid("Quota", Rule::Ki3, "Quota is at most 4294967295"))?;
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
    ok.state.rebuild_access_of(Some(core::slice::from_ref(&inst.id)));
    let quota = ok.state.used_quota(&inst.id);
    Ok(ok.reply(obj!("InstanceId": inst.id, "Quota": quota)))
}

/// RenewInstance: the subscription goes on; nothing the model tracks changes.
pub(super) fn renew(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = InstanceRequest::read(params)?;
    let (ok, inst) = decide_on_instance(p, &r.instance_id, r.region_id)?;
    Ok(ok.reply(obj!("InstanceId": inst.id)))
}

/// EnableInstance and DisableInstance (KI-2).
pub(super) fn enable_or_disable(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let enable = p.action() == Action::EnableInstance;
    let r = InstanceRequest::read(params)?;
    let (mut ok, inst) = decide_on_instance(p, &r.instance_id, r.region_id)?;
    let st = if enable { InstanceState::Enabled } else { InstanceState::Disabled };
    if inst.state == st {
        return Err(Error::new(
            ErrorCode::InvalidState,
            Rule::Ki2,
            format!("instance {} is already {}", inst.id, st.name()),
        ));
    }
    if let Some(i) = ok.state.instances.get_mut(&inst.id) {
        i.state = st;
    }
    Ok(ok.reply(obj!("InstanceId": inst.id, "State": st)))
}

/// The sharing mode a parameter names (SM-1).
pub(super) fn parse_mode(text: Option<&str>) -> Result<Option<SharingMode>> {
    match text {
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
    let r = SetInstanceSharingModeRequest::read(params)?;
    let new = parse_mode(Some(&r.sharing_mode))?.ok_or_else(|| params.missing("SharingMode"))?;
    let (mut ok, inst) = decide_on_instance(p, &r.instance_id, r.region_id)?;
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
    let r = CreateApplicationAccessPointRequest::read(params)?;
    if let Some(m) = r.authentication_method.as_deref().filter(|m| *m != "ClientKey") {
        return Err(Error::invalid(
            "AuthenticationMethod",
            None,
            format!("AuthenticationMethod must be `ClientKey`, not `{}`", shorten(m)),
        ));
    }
    let inst_id = r.kms_instance_id;
    let inst = p.instance(&inst_id)?.clone();
    let (target, audit) = p.instance_target(&inst_id);
    p.about(audit.clone());
    let mut ok = p.decide(
        Ask::new(Action::CreateApplicationAccessPoint, target, audit).within(r.region_id, context(r.request_context)),
    )?;
    let acct = ok.call().caller.account.clone();
    let name = r.name;
    let arn = format!("acs:kms:{}:{}:applicationaccesspoint/{}", inst.region, acct, name);
    if ok.state.access_points.contains_key(&arn) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            None,
            format!("application access point `{name}` already exists"),
        ));
    }
    ok.state.access_points.insert(arn.clone(), AccessPoint { name: name.clone(), instance: inst_id, creator: acct });
    let resp = CreateApplicationAccessPointResponse {
        arn,
        name,
        authentication_method: "ClientKey",
        description: r.description.unwrap_or_default(),
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

request! {
    /// GetKmsInstanceQuotaInfos: the instance's quotas.
    pub struct QuotaInfosRequest {
        required { "KmsInstanceId" kms_instance_id: InstanceId }
        optional {
            /// `VPC`, the only quota the simulator keeps (README Semantics 28).
            "ResourceType" resource_type: String,
            "RegionId" region_id: Region,
        }
    }
}

response! {
    /// One quota of an instance.
    pub struct QuotaInfo {
        /// `VPC`: the access management quota, which accounts and VPCs use (KI-3).
        "ResourceType" resource_type: &'static str,
        /// The quota.
        "ResourceQuota" resource_quota: u32,
        /// How much of it is used: accounts shared with plus VPCs attached.
        "UsedQuantity" used_quantity: u32,
    }
}

response! {
    /// GetKmsInstanceQuotaInfos' response.
    pub struct QuotaInfosResponse {
        /// The instance.
        "KmsInstanceId" kms_instance_id: InstanceId,
        /// Its quotas.
        "KmsInstanceQuotaInfos" kms_instance_quota_infos: Vec<QuotaInfo>,
    }
}

/// GetKmsInstanceQuotaInfos: the access management quota (KI-3), as the vendor's `VPC`
/// quota.
pub(super) fn quota_infos(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = QuotaInfosRequest::read(params)?;
    let (ok, inst) = decide_on_instance(p, &r.kms_instance_id, r.region_id)?;
    let usage = ok.state.used_quota(&inst.id);
    let mut infos =
        alloc::vec![QuotaInfo { resource_type: "VPC", resource_quota: inst.quota, used_quantity: usage.used }];
    infos.retain(|q| r.resource_type.as_deref().is_none_or(|t| t == q.resource_type));
    let resp = QuotaInfosResponse { kms_instance_id: inst.id, kms_instance_quota_infos: infos };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

request! {
    /// UpdateKmsInstanceBindVpc: the instance's VPCs, all of them.
    pub struct BindVpcRequest {
        required {
            "KmsInstanceId" kms_instance_id: InstanceId,
            /// A list (or its JSON text) of `{VpcId, RegionId, VSwitchId, VpcOwnerId}`.
            "BindVpcs" bind_vpcs: Value,
        }
        optional { "RegionId" region_id: Region }
    }
}

/// UpdateKmsInstanceBindVpc: the VPCs given replace those attached; each costs a unit of
/// quota and must be of the instance's region and account or of a principal's (KI-7,
/// KI-3). Freed units admit waiting accounts (KI-4).
pub(super) fn update_bind_vpc(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = BindVpcRequest::read(params)?;
    let (mut ok, inst) = decide_on_instance(p, &r.kms_instance_id, r.region_id)?;
    let parsed;
    let list = match &r.bind_vpcs {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|_| Error::invalid("BindVpcs", Rule::Ki7, "BindVpcs must be a list"))?;
            &parsed
        }
        v => v,
    };
    let items = list.as_array().ok_or_else(|| Error::invalid("BindVpcs", Rule::Ki7, "BindVpcs must be a list"))?;
    let mut vpcs: IdMap<VpcId, AccountId> = IdMap::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("BindVpcs[{i}]");
        let text = |name: &str| item.get(name).and_then(Value::as_str);
        let vpc = VpcId::parse(text("VpcId").unwrap_or_default()).map_err(|e| e.at_field(&field))?;
        let region = text("RegionId").map(Region::parse).transpose().map_err(|e| e.at_field(&field))?;
        if region.as_ref().is_some_and(|g| *g != inst.region) {
            return Err(Error::new(
                ErrorCode::CrossRegion,
                Rule::Ki7,
                format!(
                    "vpc {vpc} is in another region than instance {}: only same-region VPCs can be attached",
                    inst.id
                ),
            ));
        }
        let owner = text("VpcOwnerId").map(AccountId::parse).transpose().map_err(|e| e.at_field(&field))?;
        let owner = owner.unwrap_or_else(|| inst.owner.clone());
        if owner != inst.owner && ok.state.shares_granting(&inst.id, &owner).is_empty() {
            return Err(Error::new(
                ErrorCode::NotSameDirectory,
                Rule::Ki7,
                format!("account {owner} is not a principal of instance {}; share the instance with it first", inst.id),
            ));
        }
        vpcs.insert(vpc, owner);
    }
    let usage = ok.state.used_quota(&inst.id);
    let needed = usage.accounts.saturating_add(u32::try_from(vpcs.len()).unwrap_or(u32::MAX));
    if needed > inst.quota {
        return Err(Error::new(
            ErrorCode::QuotaExceeded,
            Rule::Ki7,
            format!(
                "{} accounts and {} VPCs need {needed} of a quota of {} (KI-3)",
                usage.accounts,
                vpcs.len(),
                inst.quota
            ),
        ));
    }
    if let Some(i) = ok.state.instances.get_mut(&inst.id) {
        i.vpcs = vpcs;
    }
    ok.state.rebuild_access_of(Some(core::slice::from_ref(&inst.id)));
    Ok(ok.reply(crate::json::ToValue::to_value(&super::keys::EmptyResponse {})))
}
