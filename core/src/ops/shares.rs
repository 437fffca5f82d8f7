//! Resource shares (RS-1..RS-8, SM-1, KI-2..KI-5): creating them, associating and
//! disassociating instances and principals, deleting them, their permissions, and the
//! rule that no account is cut off from its own keys (RS-7). Requests and responses
//! have the vendor's names (Resource Sharing 2020-01-10).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

use super::directory::management;
use super::gate::{Ask, AuditRef, Pending, Reply};
use super::instance::parse_mode;
use super::keys::EmptyResponse;
use crate::action::Action;
use crate::authz::{Role, Target};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::{IdMap, IdSet};
use crate::ids::*;
use crate::json::response;
use crate::model::*;
use crate::params::Params;
use crate::request::request;
use crate::rules::Rule;

/// A share's ARN.
pub(crate) fn share_arn(owner: &AccountId, id: &str) -> String {
    format!("acs:resourcesharing::{owner}:resourceshare/{id}")
}

request! {
    /// CreateResourceShare (RS-1..RS-5, SM-1): a share, with instances and principals.
    pub struct CreateResourceShareRequest {
        required {
            /// 1 to 50 characters (RS-1).
            "ResourceShareName" resource_share_name: ShareName,
        }
        optional {
            /// The instances: `[{"ResourceId": "kst-...", "ResourceType": "KMSInstance"}]`
            /// (or their ids); keys are not shared one by one (KI-5).
            "Resources" resources: Value,
            /// The principals: account ids, folder ids `fd-...`, the directory `rd-...` (RS-2).
            "Targets" targets: Vec<String>,
            /// `AliyunRSDefaultPermissionKMSInstance` (RS-4).
            "PermissionNames" permission_names: Vec<String>,
            /// The sharing mode of an instance shared for the first time (SM-1):
            /// `[{"ResourceArn": <instance ARN or id>, "Property": "{\"SharingMode\":\"Joint\"}"}]`
            /// (README Semantics 21).
            "ResourceProperties" resource_properties: Value,
            /// Only `false`: KMS instances are shared inside the resource directory.
            "AllowExternalTargets" allow_external_targets: bool,
            /// The simulator's: the sharing mode of every instance named, `Joint` or `Independent`.
            "SharingMode" sharing_mode: String,
            /// The simulator's: `v1` or `v2` (the default) of the default permission (RS-4).
            "PermissionVersion" permission_version: String,
            /// The simulator's: a share made before the deprecated permission was (RS-4).
            "SimulateLegacy" simulate_legacy: bool,
            /// The simulator's: the new share's id, so that a document can name it.
            "ResourceShareId" resource_share_id: ShareId,
        }
    }
}

request! {
    /// AssociateResourceShare and DisassociateResourceShare: instances (RS-5) and
    /// principals (RS-6) added to or removed from a share.
    pub struct AssociateResourceShareRequest {
        required {
            /// The share.
            "ResourceShareId" resource_share_id: ShareId,
        }
        optional {
            /// The instances.
            "Resources" resources: Value,
            /// The principals.
            "Targets" targets: Vec<String>,
            /// Associate: the sharing mode of an instance shared for the first time (SM-1).
            "ResourceProperties" resource_properties: Value,
            /// Associate, the simulator's: the sharing mode of every instance named.
            "SharingMode" sharing_mode: String,
        }
    }
}

request! {
    /// DeleteResourceShare (RS-7): revokes the share.
    pub struct DeleteResourceShareRequest {
        required {
            /// The share.
            "ResourceShareId" resource_share_id: ShareId,
        }
        optional {}
    }
}

request! {
    /// AssociateResourceSharePermission and DisassociateResourceSharePermission (RS-4).
    pub struct ResourceSharePermissionRequest {
        required {
            /// The share.
            "ResourceShareId" resource_share_id: ShareId,
            /// The permission.
            "PermissionName" permission_name: String,
        }
        optional {
            /// Associate: replace the share's permission for the same kind of resource.
            "Replace" replace: bool,
            /// The simulator's: `v1` or `v2` (the default) of the default permission.
            "PermissionVersion" permission_version: String,
        }
    }
}

request! {
    /// GetResourceShare (the simulator's): a share with its associations and quotas.
    pub struct GetResourceShareRequest {
        required {
            /// The share.
            "ResourceShareId" resource_share_id: ShareId,
        }
        optional {}
    }
}

response! {
    /// A share, as CreateResourceShare returns it.
    pub struct ResourceShareInfo {
        /// The share id.
        "ResourceShareId" resource_share_id: ShareId,
        /// Its name.
        "ResourceShareName" resource_share_name: ShareName,
        /// Its owner.
        "ResourceShareOwner" resource_share_owner: AccountId,
        /// `Active`, `Deleting` or `Deleted` (RS-8).
        "ResourceShareStatus" resource_share_status: ShareState,
        /// Always `false`: inside the resource directory.
        "AllowExternalTargets" allow_external_targets: bool,
    }
}

response! {
    /// CreateResourceShare's response.
    pub struct CreateResourceShareResponse {
        /// The new share.
        "ResourceShare" resource_share: ResourceShareInfo,
    }
}

response! {
    /// One association of a share: an instance (`Resource`) or a principal (`Target`).
    pub struct ResourceShareAssociation {
        /// The share.
        "ResourceShareId" resource_share_id: ShareId,
        /// Its name.
        "ResourceShareName" resource_share_name: ShareName,
        /// The instance or the principal's id.
        "EntityId" entity_id: String,
        /// `KMSInstance`, `Account`, `Folder` or `ResourceDirectory`.
        "EntityType" entity_type: &'static str,
        /// `Resource` or `Target`.
        "AssociationType" association_type: &'static str,
        /// `Associating`, `Associated`, `Failed` or `Disassociated` (RS-8).
        "AssociationStatus" association_status: AssociationState,
        /// Why it failed (KI-4).
        "AssociationStatusMessage" association_status_message: Option<String>,
        /// An instance's ARN.
        "ResourceArn" resource_arn: Option<String>,
        /// An instance's sharing mode, as `ResourceProperties` carried it in (JSON text,
        /// `{"SharingMode":"Joint"}`; README Semantics 21): what an import reads back.
        "ResourceProperty" resource_property: Option<String>,
        /// When it last changed.
        "UpdateTime" update_time: String,
    }
}

response! {
    /// AssociateResourceShare's and DisassociateResourceShare's response.
    pub struct ResourceShareAssociationsResponse {
        /// The associations the call named, as they are now.
        "ResourceShareAssociations" resource_share_associations: Vec<ResourceShareAssociation>,
    }
}

/// The share's info.
pub(crate) fn share_info(s: &Share) -> ResourceShareInfo {
    ResourceShareInfo {
        resource_share_id: s.id.clone(),
        resource_share_name: s.name.clone(),
        resource_share_owner: s.owner.clone(),
        resource_share_status: s.state,
        allow_external_targets: false,
    }
}

/// The association of instance `inst` with share `s`.
pub(crate) fn resource_association(
    e: &Engine,
    s: &Share,
    inst: &InstanceId,
    a: &Association,
) -> ResourceShareAssociation {
    ResourceShareAssociation {
        resource_share_id: s.id.clone(),
        resource_share_name: s.name.clone(),
        entity_id: inst.to_string(),
        entity_type: "KMSInstance",
        association_type: "Resource",
        association_status: a.state,
        association_status_message: a.reason.clone(),
        resource_arn: e.state.instances.get(inst).map(crate::state::instance_arn),
        resource_property: e
            .state
            .instances
            .get(inst)
            .and_then(|i| i.sharing_mode)
            .filter(|m| *m != SharingMode::Unknown)
            .map(|m| format!("{{\"SharingMode\":\"{}\"}}", m.name())),
        update_time: crate::time::format(a.updated_at),
    }
}

/// The association of principal `p` with share `s`.
pub(crate) fn target_association(s: &Share, p: &Principal, a: &Association) -> ResourceShareAssociation {
    ResourceShareAssociation {
        resource_share_id: s.id.clone(),
        resource_share_name: s.name.clone(),
        entity_id: p.id().to_string(),
        entity_type: match p {
            Principal::Account(_) => "Account",
            Principal::Folder(_) => "Folder",
            Principal::Directory(_) => "ResourceDirectory",
        },
        association_type: "Target",
        association_status: a.state,
        association_status_message: a.reason.clone(),
        resource_arn: None,
        resource_property: None,
        update_time: crate::time::format(a.updated_at),
    }
}

/// The associations of `resources` and `targets` with share `id`, as they are now.
fn associations(
    e: &Engine,
    id: &ShareId,
    resources: &[InstanceId],
    targets: &[Principal],
) -> Vec<ResourceShareAssociation> {
    let Some(s) = e.state.shares.get(id) else { return Vec::new() };
    let res = resources.iter().filter_map(|i| s.resources.get(i).map(|a| resource_association(e, s, i, a)));
    let tgt = targets.iter().filter_map(|t| s.principals.get(t).map(|a| target_association(s, t, a)));
    res.chain(tgt).collect()
}

/// The instances named in `Resources` (only KMS instances can be shared, KI-5).
fn parse_resources(v: Option<&Value>) -> Result<Vec<InstanceId>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let parsed;
    let v = match v {
        // As JSON text.
        Value::String(s) if s.starts_with('[') => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|_| Error::invalid("Resources", Rule::Rs5, "Resources must be a list of resources"))?;
            &parsed
        }
        other => other,
    };
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

fn parse_targets(list: Option<Vec<String>>) -> Result<Vec<Principal>> {
    let list = list.unwrap_or_default();
    let mut out = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        out.push(Principal::parse(t).map_err(|e| e.at_field(&format!("Targets[{i}]")))?);
    }
    Ok(out)
}

/// The sharing mode each instance named gets when shared for the first time (SM-1):
/// from `ResourceProperties` (`{"SharingMode": ..}` per instance, by ARN or id), else
/// from the simulator's `SharingMode`.
fn modes(
    e: &Engine,
    resources: &[InstanceId],
    properties: Option<&Value>,
    all: Option<&str>,
) -> Result<IdMap<InstanceId, SharingMode>> {
    let all = parse_mode(all)?;
    let mut out = IdMap::new();
    if let Some(m) = all {
        for r in resources {
            out.insert(r.clone(), m);
        }
    }
    let Some(props) = properties else { return Ok(out) };
    let parsed;
    let props = match props {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|_| Error::invalid("ResourceProperties", Rule::Sm1, "ResourceProperties must be a list"))?;
            &parsed
        }
        other => other,
    };
    let bad = |i: usize, why: &str| {
        Error::invalid(&format!("ResourceProperties[{i}]"), Rule::Sm1, format!("ResourceProperties[{i}]: {why}"))
    };
    for (i, p) in props.as_array().map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
        let arn = p.get("ResourceArn").and_then(Value::as_str).ok_or_else(|| bad(i, "needs a ResourceArn"))?;
        let named = resources.iter().find(|r| {
            r.as_str() == arn || e.state.instances.get(*r).is_some_and(|inst| crate::state::instance_arn(inst) == arn)
        });
        let inst = named.ok_or_else(|| bad(i, &format!("`{}` is not an instance of Resources", shorten(arn))))?;
        let property = p.get("Property").and_then(Value::as_str).unwrap_or("{}");
        let value: Value = serde_json::from_str(property)
            .map_err(|_| bad(i, "Property must be JSON text such as {\"SharingMode\":\"Joint\"}"))?;
        let mode = value.get("SharingMode").and_then(Value::as_str);
        if let Some(m) = parse_mode(mode)? {
            out.insert(inst.clone(), m);
        }
    }
    Ok(out)
}

fn parse_permission(names: Option<Vec<String>>, version: Option<String>, legacy: bool) -> Result<Vec<SharePermission>> {
    let names = names.unwrap_or_else(|| alloc::vec![DEFAULT_PERMISSION.to_string()]);
    let mut out = Vec::new();
    for n in names {
        if n == DEPRECATED_PERMISSION && !legacy {
            return Err(Error::new(
                ErrorCode::DeprecatedPermission,
                Rule::Rs4,
                format!("{DEPRECATED_PERMISSION} is deprecated and cannot be attached to a new share; use {DEFAULT_PERMISSION} v2"),
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

/// The share `id`, with the decision that its owner makes `action`.
fn owned_share(e: &Engine, id: &ShareId, action: Action) -> Result<(Share, Ask)> {
    let share = e
        .state
        .shares
        .get(id)
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
            format!("resource share {} is {}", share.id, share.state.name()),
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
            (Some(SharingMode::Unknown), Some(m)) => Err(Error::invalid(
                "SharingMode",
                Rule::Sm1,
                format!(
                    "instance {inst_id} is shared in a mode the engine was not told; set it with {} before naming `{}` on a share",
                    Action::SetInstanceSharingMode.ram(),
                    m.name()
                ),
            )),
            (Some(SharingMode::Independent), Some(SharingMode::Joint)) => Err(Error::new(
                ErrorCode::ModeChangeNotAllowed,
                Rule::Sm2,
                format!("instance {inst_id} is in Independent ownership, which never changes to Joint"),
            )),
            (Some(cur), Some(m)) if cur != m => Err(Error::invalid(
                "SharingMode",
                Rule::Sm1,
                format!(
                    "instance {inst_id} is already shared in {} ownership; change the mode with {} (Joint to Independent only, SM-2)",
                    cur.name(),
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
        let same_enterprise = |a: &AccountId| dir.of_enterprise(self.state.accounts.get(a));
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
    fn add_principals(&mut self, share_id: &ShareId, targets: &[Principal], at: u64) {
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
                reason: failure,
                updated_at: at,
                seq,
            };
            if let Some(s) = self.state.shares.get_mut(share_id) {
                s.principals.insert(t.clone(), assoc);
            }
            self.state.rebuild_access_of(Some(&instances));
        }
    }

    /// Add instances to a share: every existing principal gains access (RS-5).
    fn add_instances(&mut self, share_id: &ShareId, instances: &[InstanceId], at: u64) -> Result<()> {
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
            self.state.rebuild_access_of(Some(core::slice::from_ref(inst)));
        }
        Ok(())
    }

    /// Apply `change`, then refuse it (restoring the state) if any account would lose
    /// access to an instance where it still has keys or secrets (RS-7). `instances`:
    /// those whose access the change can alter (a share's), or `None` for any (a change
    /// to the directory).
    pub(crate) fn with_access_guard(
        &mut self,
        instances: Option<&[InstanceId]>,
        change: impl FnOnce(&mut Engine) -> Result<()>,
    ) -> Result<()> {
        let before_state = self.state.checkpoint();
        let before = self.state.access_of(instances);
        if let Err(e) = change(self) {
            self.state.restore(before_state);
            return Err(e);
        }
        self.refuse_lost_access(instances, before_state, before)
    }

    /// The rest of [`Engine::with_access_guard`] once `change` is made (one copy of it,
    /// not one per change): rebuild the access of `instances`, then refuse the change if
    /// an account lost access where it has keys or secrets, putting back `before_state`.
    fn refuse_lost_access(
        &mut self,
        instances: Option<&[InstanceId]>,
        before_state: crate::state::Checkpoint,
        before: IdMap<InstanceId, IdMap<AccountId, Vec<ShareId>>>,
    ) -> Result<()> {
        self.state.rebuild_access_of(instances);
        let pairs = before.iter().flat_map(|(inst, accts)| accts.keys().map(move |acct| (inst, acct)));
        for (inst, acct) in pairs {
            if self.state.shares_granting(inst, acct).is_empty() {
                let n = self.state.owned_count(inst, acct);
                if n > 0 {
                    self.state.restore(before_state);
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

/// The instances `share` names, whose access a change to the share can alter.
#[cfg(not(target_arch = "wasm32"))]
fn instances_of(state: &crate::state::State, share: &ShareId) -> Option<Vec<InstanceId>> {
    Some(state.shares.get(share)?.resources.keys().cloned().collect())
}

/// None: WebAssembly rebuilds every instance's access (see `State::rebuild_access_of`).
#[cfg(target_arch = "wasm32")]
fn instances_of(_: &crate::state::State, _: &ShareId) -> Option<Vec<InstanceId>> {
    None
}

/// CreateResourceShare (RS-1..RS-5, SM-1, KI-2..KI-5).
pub(super) fn create(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateResourceShareRequest::read(params)?;
    if r.allow_external_targets == Some(true) {
        return Err(Error::invalid(
            "AllowExternalTargets",
            Rule::Rs3,
            "KMS instances are shared inside the resource directory: AllowExternalTargets must be false",
        ));
    }
    let resources = parse_resources(r.resources.as_ref())?;
    let targets = parse_targets(r.targets)?;
    let modes = modes(&p, &resources, r.resource_properties.as_ref(), r.sharing_mode.as_deref())?;
    let perms = parse_permission(r.permission_names, r.permission_version, r.simulate_legacy.unwrap_or(false))?;
    let owner = p.call().caller.account.clone();
    let mut asks = alloc::vec![management(Action::CreateResourceShare, share_arn(&owner, "*"), Role::AnyAccount)];
    asks.extend(owner_asks(&p, &owner, &share_arn(&owner, "*"), &resources, Action::AssociateResourceShare)?);
    let mut ok = p.decide_all(asks, 0)?;
    let id = match r.resource_share_id {
        Some(i) if ok.state.shares.contains_key(&i) => {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rs8, format!("resource share {i} already exists")))
        }
        Some(i) => i,
        None => ShareId::parse(&ok.new_id("rs-")?)?,
    };
    let at = ok.call().at;
    let before = ok.state.checkpoint();
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
            ok.check_shareable(r, modes.get(r).copied())?;
        }
        let audit = shared_audit(&ok, share_arn(&owner, id.as_str()), &resources);
        ok.created(audit);
        let seq = ok.state.next_seq();
        ok.state.shares.insert(
            id.clone(),
            Share {
                id: id.clone(),
                name: r.resource_share_name.clone(),
                owner: owner.clone(),
                state: ShareState::Active,
                resources: Default::default(),
                principals: Default::default(),
                permissions: perms.into_iter().collect(),
                seq,
            },
        );
        ok.add_instances(&id, &resources, at)?;
        ok.add_principals(&id, &targets, at);
        Ok(())
    })();
    if let Err(e) = r {
        ok.state.restore(before);
        return Err(e);
    }
    let info =
        ok.state.shares.get(&id).map(share_info).ok_or_else(|| Error::not_found("resource share", id.as_str()))?;
    Ok(ok.reply(crate::json::ToValue::to_value(&CreateResourceShareResponse { resource_share: info })))
}

/// AssociateResourceShare: add instances (RS-5) and/or principals (RS-6, KI-4).
pub(super) fn associate(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = AssociateResourceShareRequest::read(params)?;
    let resources = parse_resources(r.resources.as_ref())?;
    let targets = parse_targets(r.targets)?;
    let modes = modes(&p, &resources, r.resource_properties.as_ref(), r.sharing_mode.as_deref())?;
    let (share, ask) = owned_share(&p, &r.resource_share_id, Action::AssociateResourceShare)?;
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
    let before = ok.state.checkpoint();
    let r = (|| {
        for r in &resources {
            let audit = shared_audit(&ok, arn.clone(), core::slice::from_ref(r));
            ok.created(audit);
            ok.check_shareable(r, modes.get(r).copied())?;
        }
        ok.add_instances(&share.id, &resources, at)?;
        ok.add_principals(&share.id, &targets, at);
        Ok(())
    })();
    if let Err(e) = r {
        ok.state.restore(before);
        return Err(e);
    }
    let associations = associations(&ok, &share.id, &resources, &targets);
    Ok(ok.reply(crate::json::ToValue::to_value(&ResourceShareAssociationsResponse {
        resource_share_associations: associations,
    })))
}

/// DisassociateResourceShare: remove instances or principals (RS-6, RS-7 interpretation).
pub(super) fn disassociate(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = AssociateResourceShareRequest::read(params)?;
    if r.resource_properties.is_some() || r.sharing_mode.is_some() {
        let field = if r.sharing_mode.is_some() { "SharingMode" } else { "ResourceProperties" };
        return Err(Error::invalid(field, None, format!("unknown parameter `{field}` for {}", p.call().action)));
    }
    let resources = parse_resources(r.resources.as_ref())?;
    let targets = parse_targets(r.targets)?;
    let (share, ask) = owned_share(&p, &r.resource_share_id, Action::DisassociateResourceShare)?;
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
    let instances = instances_of(&ok.state, &sid);
    ok.with_access_guard(instances.as_deref(), |e| {
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
    let associations = associations(&ok, &sid, &resources, &targets);
    Ok(ok.reply(crate::json::ToValue::to_value(&ResourceShareAssociationsResponse {
        resource_share_associations: associations,
    })))
}

/// DeleteResourceShare: revokes the share; refused while a principal has keys or secrets (RS-7).
pub(super) fn delete(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = DeleteResourceShareRequest::read(params)?;
    let (share, ask) = owned_share(&p, &r.resource_share_id, Action::DeleteResourceShare)?;
    let mut ok = p.decide(ask)?;
    check_active(&share)?;
    let at = ok.call().at;
    let sid = share.id.clone();
    let instances = instances_of(&ok.state, &sid);
    ok.with_access_guard(instances.as_deref(), |e| {
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
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// AssociateResourceSharePermission and DisassociateResourceSharePermission (RS-4).
pub(super) fn permission(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = p.action();
    let attach = action == Action::AssociateResourceSharePermission;
    let r = ResourceSharePermissionRequest::read(params)?;
    let (share, ask) = owned_share(&p, &r.resource_share_id, action)?;
    let name = r.permission_name;
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
        let v = if name == DEFAULT_PERMISSION {
            Some(r.permission_version.unwrap_or_else(|| "v2".to_string()))
        } else {
            r.permission_version
        };
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
        if r.replace.is_some() || r.permission_version.is_some() {
            let field = if r.replace.is_some() { "Replace" } else { "PermissionVersion" };
            return Err(Error::invalid(field, None, format!("unknown parameter `{field}` for {}", ok.call().action)));
        }
        let Some(s) = ok.state.shares.get_mut(&sid) else {
            return Err(Error::not_found("resource share", sid.as_str()));
        };
        let before = s.permissions.len();
        s.permissions.retain(|p| p.name != name);
        if s.permissions.len() == before {
            return Err(Error::not_found("permission", &name));
        }
    }
    // Which accounts reach an instance only through shares without a working permission
    // is part of the access index (RS-4).
    let instances = instances_of(&ok.state, &sid);
    ok.state.rebuild_access_of(instances.as_deref());
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// GetResourceShare (the simulator's): the share with its associations and quota impact.
pub(super) fn get(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = GetResourceShareRequest::read(params)?;
    let id = r.resource_share_id;
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
