//! Keys (CR-1, CR-3, SM-3): creating them, their metadata, state, versions and
//! rotation, deletion and its protection, aliases, tags and backups. Every call here is
//! decided on the key (or, for creation, on the instance) by the four checks of AZ-1.
//! Requests and responses have the vendor's names (KMS 2016-01-20).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::gate::{Allowed, Ask, AuditRef, Pending, Reply};
use crate::action::Action;
use crate::engine::{parse_interval, Engine, DAY};
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::IdMap;
use crate::ids::*;
use crate::json::response;
use crate::model::*;
use crate::params::Params;
use crate::policy::Context;
use crate::request::request;
use crate::rules::Rule;
use crate::state::{alias_arn, index_alias, next_rotation, Due, NameKind, State};

/// The one key spec (CR-1).
pub const KEY_SPEC: &str = "Aliyun_AES_256";
/// The one key usage.
pub const KEY_USAGE: &str = "ENCRYPT/DECRYPT";
/// Most versions a key keeps (CR-1): a vendor-like limit (the vendor caps key versions
/// too) that also bounds what automatic rotation can create over any span of time.
pub const MAX_KEY_VERSIONS: usize = 100;

/// The condition keys a call carries for RAM policies (RAM-2), from its `RequestContext`.
pub(super) fn context(map: Option<IdMap<String, String>>) -> Context {
    let mut context = Context::default();
    for (k, v) in map.unwrap_or_default() {
        context.insert(&k, &v);
    }
    context
}

request! {
    /// CreateKey: a key in a KMS instance, by its owner or a principal (CR-1, PM).
    pub struct CreateKeyRequest {
        required {
            /// The instance that will hold the key.
            "DKMSInstanceId" dkms_instance_id: InstanceId,
        }
        optional {
            /// `Aliyun_AES_256`, the one spec.
            "KeySpec" key_spec: String,
            /// `ENCRYPT/DECRYPT`, the one usage.
            "KeyUsage" key_usage: String,
            /// `Aliyun_KMS`, the one origin.
            "Origin" origin: String,
            /// `SOFTWARE` or `HSM`: the instance's kind decides; a different one is refused.
            "ProtectionLevel" protection_level: String,
            /// Up to 8,192 characters.
            "Description" description: String,
            /// Turns automatic rotation on (CR-1).
            "EnableAutomaticRotation" enable_automatic_rotation: bool,
            /// `7d` to `3650d` (`d`, `h`, `m` or `s`); 365 days by default.
            "RotationInterval" rotation_interval: String,
            /// Tags: `[{"TagKey": .., "TagValue": ..}]`, JSON text or a JSON object.
            "Tags" tags: IdMap<String, String>,
            /// The simulator's: the new key's id, so that a document can name it.
            "KeyId" key_id: KeyId,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// A call on one key: DescribeKey, EnableKey, DisableKey, CreateKeyVersion,
    /// CancelKeyDeletion, ListKeyVersions, ListAliasesByKeyId.
    pub struct KeyRequest {
        required {
            /// The key: its id, an alias (`alias/...`) or an ARN.
            "KeyId" key_id: String,
        }
        optional {
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
            /// Paging of the list calls, from 1.
            "PageNumber" page_number: u64,
            /// Paging of the list calls: 1 to 100 (10 by default).
            "PageSize" page_size: u64,
        }
    }
}

request! {
    /// UpdateRotationPolicy: automatic rotation on or off (CR-1).
    pub struct UpdateRotationPolicyRequest {
        required {
            /// The key.
            "KeyId" key_id: String,
            /// On or off.
            "EnableAutomaticRotation" enable_automatic_rotation: bool,
        }
        optional {
            /// `7d` to `3650d`; 365 days by default.
            "RotationInterval" rotation_interval: String,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// ScheduleKeyDeletion (CR-3).
    pub struct ScheduleKeyDeletionRequest {
        required {
            /// The key.
            "KeyId" key_id: String,
            /// 7 to 366 days.
            "PendingWindowInDays" pending_window_in_days: u64,
        }
        optional {
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// SetDeletionProtection (CR-3): the key named by its ARN, as the vendor's call
    /// takes it, or by `KeyId`.
    pub struct SetDeletionProtectionRequest {
        required {
            /// On or off.
            "EnableDeletionProtection" enable_deletion_protection: bool,
        }
        optional {
            /// The key's ARN.
            "ProtectedResourceArn" protected_resource_arn: String,
            /// The key (when no ARN is given).
            "KeyId" key_id: String,
            /// Why the key is protected.
            "DeletionProtectionDescription" deletion_protection_description: String,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// CreateAlias: a name for a key (SM-3, KI-5).
    pub struct CreateAliasRequest {
        required {
            /// `alias/...`; `alias/acs/` is reserved.
            "AliasName" alias_name: AliasName,
            /// The key.
            "KeyId" key_id: String,
        }
        optional {
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// DeleteAlias, named by the alias; decided on the key it names.
    pub struct DeleteAliasRequest {
        required {
            /// The alias.
            "AliasName" alias_name: AliasName,
        }
        optional {
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// TagResource and UntagResource, on a key (`KeyId`) or a secret (`SecretName`).
    pub struct TagResourceRequest {
        required {}
        optional {
            /// The key.
            "KeyId" key_id: String,
            /// The secret.
            "SecretName" secret_name: String,
            /// TagResource: `[{"TagKey": .., "TagValue": ..}]`, JSON text or an object.
            "Tags" tags: IdMap<String, String>,
            /// UntagResource: `["key", ...]`, JSON text or a list.
            "TagKeys" tag_keys: Vec<String>,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// CreateBackup (the simulator's): of a key (`KeyId`) or a secret (`SecretName`).
    pub struct CreateBackupRequest {
        required {}
        optional {
            /// The key.
            "KeyId" key_id: String,
            /// The secret.
            "SecretName" secret_name: String,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

response! {
    /// A key's metadata, as CreateKey and DescribeKey return it.
    pub struct KeyMetadata {
        /// The key id.
        "KeyId" key_id: KeyId,
        /// Its ARN, with its creator's account (RAM-3).
        "Arn" arn: String,
        /// The instance holding it.
        "DKMSInstanceId" dkms_instance_id: InstanceId,
        /// The account that created it.
        "Creator" creator: AccountId,
        /// `Aliyun_AES_256`.
        "KeySpec" key_spec: String,
        /// `ENCRYPT/DECRYPT`.
        "KeyUsage" key_usage: &'static str,
        /// `Aliyun_KMS`.
        "Origin" origin: &'static str,
        /// `SOFTWARE` or `HSM`, from the instance's kind.
        "ProtectionLevel" protection_level: &'static str,
        /// `Enabled`, `Disabled` or `PendingDeletion`.
        "KeyState" key_state: &'static str,
        /// When a key pending deletion is destroyed.
        "DeleteDate" delete_date: Option<String>,
        /// The description.
        "Description" description: String,
        /// When it was created.
        "CreationDate" creation_date: String,
        /// The version new encryptions use.
        "PrimaryKeyVersion" primary_key_version: String,
        /// `Enabled`, `Disabled` or `Suspended` (at the version limit, README Semantics 20).
        "AutomaticRotation" automatic_rotation: &'static str,
        /// The rotation interval, `604800s`.
        "RotationInterval" rotation_interval: Option<String>,
        /// When the newest version was made by a rotation.
        "LastRotationDate" last_rotation_date: Option<String>,
        /// When the next automatic rotation falls due.
        "NextRotationDate" next_rotation_date: Option<String>,
        /// DescribeKey: `Enabled` or `Disabled` (CR-3).
        "DeletionProtection" deletion_protection: Option<&'static str>,
        /// DescribeKey: why the key is protected.
        "DeletionProtectionDescription" deletion_protection_description: Option<String>,
    }
}

response! {
    /// CreateKey's and DescribeKey's response.
    pub struct KeyMetadataResponse {
        /// The key.
        "KeyMetadata" key_metadata: KeyMetadata,
    }
}

response! {
    /// One version of a key.
    pub struct KeyVersionInfo {
        /// The key.
        "KeyId" key_id: KeyId,
        /// The version's id.
        "KeyVersionId" key_version_id: String,
        /// When it was created.
        "CreationDate" creation_date: String,
    }
}

response! {
    /// CreateKeyVersion's and DescribeKeyVersion's response.
    pub struct KeyVersionResponse {
        /// The version.
        "KeyVersion" key_version: KeyVersionInfo,
    }
}

response! {
    /// A response with nothing but its request id (EnableKey, DeleteAlias, ...).
    pub struct EmptyResponse {}
}

/// The id of version `version` of key `key`: a UUID, as the vendor's version ids are,
/// derived from the key and the version number so that every runtime gives the same.
pub fn key_version_id(key: &KeyId, version: u32) -> String {
    use crate::text::{cat, decimal};
    let mut digits = [0u8; 20];
    let version = decimal(u64::from(version), &mut digits);
    let h =
        crate::crypto::sha256_parts(&[b"kms-share/key-version/", key.as_str().as_bytes(), b"/", version.as_bytes()]);
    let mut text = [0u8; 64];
    let x = crate::crypto::hex_into(h.get(..16).unwrap_or(&[]), &mut text);
    let part = |a: usize, b: usize| x.get(a..b).unwrap_or("");
    cat(&[part(0, 8), "-", part(8, 12), "-", part(12, 16), "-", part(16, 20), "-", part(20, 32)])
}

/// The version number a version id names, among the key's versions.
pub fn version_of(key: &Key, id: &str) -> Option<u32> {
    key.versions.iter().map(|v| v.version).find(|v| key_version_id(&key.id, *v) == id)
}

/// A rotation interval as the vendor writes it, `604800s`.
pub fn interval_text(secs: u64) -> String {
    format!("{secs}s")
}

/// A key's metadata; `described` adds what DescribeKey alone returns.
pub fn key_metadata(k: &Key, state: &State, described: bool) -> KeyMetadata {
    let (st, delete_date) = match k.state {
        KeyState::Enabled => ("Enabled", None),
        KeyState::Disabled => ("Disabled", None),
        KeyState::PendingDeletion { delete_at } => ("PendingDeletion", Some(crate::time::format(delete_at))),
    };
    let hsm = state.instances.get(&k.instance).is_some_and(|i| i.kind == InstanceKind::Hardware);
    let current = k.versions.last();
    KeyMetadata {
        key_id: k.id.clone(),
        arn: state.key_arn(k),
        dkms_instance_id: k.instance.clone(),
        creator: k.creator.clone(),
        key_spec: k.spec.to_string(),
        key_usage: KEY_USAGE,
        origin: "Aliyun_KMS",
        protection_level: if hsm { "HSM" } else { "SOFTWARE" },
        key_state: st,
        delete_date,
        description: k.description.clone(),
        creation_date: crate::time::format(k.created_at),
        primary_key_version: current.map(|v| key_version_id(&k.id, v.version)).unwrap_or_default(),
        automatic_rotation: automatic_rotation(k),
        rotation_interval: k.rotation_interval.map(interval_text),
        last_rotation_date: current.filter(|v| v.version > 1).map(|v| crate::time::format(v.created_at)),
        next_rotation_date: next_rotation(k).map(crate::time::format),
        deletion_protection: described.then_some(if k.deletion_protection { "Enabled" } else { "Disabled" }),
        deletion_protection_description: None,
    }
}

/// `Enabled`, `Disabled`, or `Suspended` at the version limit (README Semantics 20).
pub fn automatic_rotation(k: &Key) -> &'static str {
    match (k.rotation_interval, next_rotation(k)) {
        (None, _) => "Disabled",
        (Some(_), Some(_)) => "Enabled",
        (Some(_), None) => "Suspended",
    }
}

/// What a key call decided on: the gate's pass and the key.
type KeyCall<'e> = (Allowed<'e>, Key);

/// Resolve the key `key_ref` names and decide `action` on it.
pub(super) fn decide_on_key<'e>(
    mut p: Pending<'e>,
    key_ref: (&'static str, &str),
    region: Option<Region>,
    request_context: Option<IdMap<String, String>>,
) -> Result<KeyCall<'e>> {
    let account = p.call().caller.account.clone();
    let id = p.resolve_key(key_ref.0, key_ref.1, &account)?;
    let (target, audit) = p.key_target(&id)?;
    p.about(audit.clone());
    let action = p.action();
    let ok = p.decide(Ask::new(action, target, audit).within(region, context(request_context)))?;
    let key = ok.state.keys.get(&id).cloned().ok_or_else(|| Error::not_found("key", id.as_str()))?;
    Ok((ok, key))
}

/// CreateKey in an instance, by its owner or a principal (CR-1, PM).
pub(super) fn create(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateKeyRequest::read(params)?;
    let spec = r.key_spec.as_deref().unwrap_or(KEY_SPEC);
    if spec != KEY_SPEC {
        return Err(Error::invalid(
            "KeySpec",
            Rule::Cr1,
            format!("KeySpec must be `{KEY_SPEC}`, not `{}`", shorten(spec)),
        ));
    }
    for (field, given, only) in
        [("KeyUsage", r.key_usage.as_deref(), KEY_USAGE), ("Origin", r.origin.as_deref(), "Aliyun_KMS")]
    {
        if let Some(g) = given.filter(|g| *g != only) {
            return Err(Error::invalid(field, Rule::Cr1, format!("{field} must be `{only}`, not `{}`", shorten(g))));
        }
    }
    let description = r.description.unwrap_or_default();
    if description.chars().count() > 8192 {
        return Err(Error::invalid("Description", Rule::Cr1, "Description is at most 8192 characters"));
    }
    let rotation = match (r.enable_automatic_rotation, r.rotation_interval.as_deref()) {
        (Some(true), Some(i)) => Some(parse_interval("RotationInterval", i)?),
        (Some(true), None) => Some(365 * DAY),
        _ => None,
    };
    let inst_id = r.dkms_instance_id;
    let inst = p.instance(&inst_id)?.clone();
    let level = if inst.kind == InstanceKind::Hardware { "HSM" } else { "SOFTWARE" };
    if let Some(g) = r.protection_level.as_deref().filter(|g| *g != level) {
        return Err(Error::invalid(
            "ProtectionLevel",
            Rule::Ki1,
            format!("instance {inst_id} keeps {level} keys, not `{}`", shorten(g)),
        ));
    }
    let (target, audit) = p.instance_target(&inst_id);
    p.about(audit.clone());
    let mut ok =
        p.decide(Ask::new(Action::CreateKey, target, audit.clone()).within(r.region_id, context(r.request_context)))?;
    let call = ok.call().clone();
    let id = match r.key_id {
        Some(k) if ok.state.keys.contains_key(&k) => {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Cr1, format!("key {k} already exists")))
        }
        Some(k) => k,
        None => KeyId::parse(&ok.new_id("key-")?)?,
    };
    let handle = ok.generate_material(&inst_id, &format!("{id}/v1"))?;
    let key = Key {
        id: id.clone(),
        instance: inst_id.clone(),
        creator: call.caller.account.clone(),
        spec: KEY_SPEC.into(),
        description,
        state: KeyState::Enabled,
        deletion_protection: false,
        rotation_interval: rotation,
        next_rotation_at: rotation.map(|i| call.at.saturating_add(i)),
        versions: alloc::vec![KeyVersion { version: 1, created_at: call.at, encryptions: 0, handle: handle.into() }]
            .into(),
        tags: r.tags.unwrap_or_default().into(),
        created_at: call.at,
    };
    let arn = crate::state::key_arn(&inst.region, &key.creator, &id);
    ok.created(AuditRef { resource: arn, ..audit });
    ok.state.index_key(&key);
    let meta = key_metadata(&key, &ok.state, false);
    ok.state.keys.insert(id, key);
    Ok(ok.reply(crate::json::ToValue::to_value(&KeyMetadataResponse { key_metadata: meta })))
}

/// DescribeKey: the key's metadata.
pub(super) fn describe(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = KeyRequest::read(params)?;
    let (ok, key) = decide_on_key(p, ("KeyId", &r.key_id), r.region_id, r.request_context)?;
    let meta = key_metadata(&key, &ok.state, true);
    Ok(ok.reply(crate::json::ToValue::to_value(&KeyMetadataResponse { key_metadata: meta })))
}

/// EnableKey and DisableKey (CR-1, CR-3).
pub(super) fn enable_or_disable(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let enable = p.action() == Action::EnableKey;
    let r = KeyRequest::read(params)?;
    let (mut ok, key) = decide_on_key(p, ("KeyId", &r.key_id), r.region_id, r.request_context)?;
    let id = key.id.clone();
    match key.state {
        KeyState::PendingDeletion { .. } => {
            return Err(Error::new(
                ErrorCode::InvalidState,
                Rule::Cr3,
                format!("key {id} is pending deletion; cancel the deletion first"),
            ))
        }
        KeyState::Enabled if enable => {
            return Err(Error::new(ErrorCode::InvalidState, Rule::Cr1, format!("key {id} is already enabled")))
        }
        KeyState::Disabled if !enable => {
            return Err(Error::new(ErrorCode::InvalidState, Rule::Cr1, format!("key {id} is already disabled")))
        }
        _ => {}
    }
    if let Some(k) = ok.state.keys.get_mut(&id) {
        k.state = if enable { KeyState::Enabled } else { KeyState::Disabled };
    }
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// CreateKeyVersion: a manual rotation (CR-1).
pub(super) fn create_version(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = KeyRequest::read(params)?;
    let (mut ok, key) = decide_on_key(p, ("KeyId", &r.key_id), r.region_id, r.request_context)?;
    let at = ok.call().at;
    let v = ok.rotate_key(&key.id, at)?;
    let info = KeyVersionInfo {
        key_version_id: key_version_id(&key.id, v),
        key_id: key.id,
        creation_date: crate::time::format(at),
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&KeyVersionResponse { key_version: info })))
}

/// UpdateRotationPolicy: automatic rotation on or off; the interval counts from now,
/// never from the last version (no back-dated rotations, README Semantics 20).
pub(super) fn update_rotation_policy(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = UpdateRotationPolicyRequest::read(params)?;
    let interval = match (r.enable_automatic_rotation, r.rotation_interval.as_deref()) {
        (true, Some(i)) => Some(parse_interval("RotationInterval", i)?),
        (true, None) => Some(365 * DAY),
        (false, _) => None,
    };
    let (mut ok, key) = decide_on_key(p, ("KeyId", &r.key_id), r.region_id, r.request_context)?;
    let (id, at) = (key.id.clone(), ok.call().at);
    ok.state.unschedule(&Due::RotateKey(id.clone()));
    if let Some(k) = ok.state.keys.get_mut(&id) {
        k.rotation_interval = interval;
        k.next_rotation_at = interval.map(|i| at.saturating_add(i));
    }
    if let Some(t) = ok.state.keys.get(&id).and_then(next_rotation) {
        ok.state.schedule(t, Due::RotateKey(id.clone()));
    }
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// ScheduleKeyDeletion in 7 to 366 days, unless deletion protection is on (CR-3).
pub(super) fn schedule_deletion(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = ScheduleKeyDeletionRequest::read(params)?;
    let days = r.pending_window_in_days;
    if !(7..=366).contains(&days) {
        return Err(Error::invalid(
            "PendingWindowInDays",
            Rule::Cr3,
            format!("PendingWindowInDays must be 7 to 366 days, not {days}"),
        ));
    }
    let (mut ok, key) = decide_on_key(p, ("KeyId", &r.key_id), r.region_id, r.request_context)?;
    let id = key.id.clone();
    if key.deletion_protection {
        return Err(Error::new(
            ErrorCode::DeletionProtected,
            Rule::Cr3,
            format!("key {id} has deletion protection; disable it before scheduling deletion"),
        ));
    }
    if matches!(key.state, KeyState::PendingDeletion { .. }) {
        return Err(Error::new(ErrorCode::InvalidState, Rule::Cr3, format!("key {id} is already pending deletion")));
    }
    let delete_at = ok.call().at.saturating_add(days * DAY);
    if let Some(k) = ok.state.keys.get_mut(&id) {
        k.state = KeyState::PendingDeletion { delete_at };
    }
    ok.state.schedule(delete_at, Due::DeleteKey(id));
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// CancelKeyDeletion inside the pending window (CR-3).
pub(super) fn cancel_deletion(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = KeyRequest::read(params)?;
    let (mut ok, key) = decide_on_key(p, ("KeyId", &r.key_id), r.region_id, r.request_context)?;
    let id = key.id.clone();
    if !matches!(key.state, KeyState::PendingDeletion { .. }) {
        return Err(Error::new(ErrorCode::InvalidState, Rule::Cr3, format!("key {id} is not pending deletion")));
    }
    if let Some(k) = ok.state.keys.get_mut(&id) {
        k.state = KeyState::Enabled;
    }
    ok.state.unschedule(&Due::DeleteKey(id));
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// SetDeletionProtection on or off (CR-3).
pub(super) fn set_deletion_protection(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = SetDeletionProtectionRequest::read(params)?;
    let key_ref = match (&r.protected_resource_arn, &r.key_id) {
        (Some(arn), _) => ("ProtectedResourceArn", arn.as_str()),
        (None, Some(k)) => ("KeyId", k.as_str()),
        (None, None) => return Err(params.missing("ProtectedResourceArn")),
    };
    let (mut ok, key) = decide_on_key(p, key_ref, r.region_id, r.request_context)?;
    if let Some(k) = ok.state.keys.get_mut(&key.id) {
        k.deletion_protection = r.enable_deletion_protection;
    }
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// CreateAlias: a name for the key, unique as SM-3 says; `alias/acs/` is reserved (KI-5).
pub(super) fn create_alias(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateAliasRequest::read(params)?;
    let (mut ok, key) = decide_on_key(p, ("KeyId", &r.key_id), r.region_id, r.request_context)?;
    ok.create_alias(&key, r.alias_name)?;
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// DeleteAlias: named by the alias, decided on the key it names.
pub(super) fn delete_alias(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = DeleteAliasRequest::read(params)?;
    let name = r.alias_name;
    let (mut ok, key) = decide_on_key(p, ("AliasName", name.as_str()), r.region_id, r.request_context)?;
    let region = ok
        .state
        .region_of(&key.instance)
        .cloned()
        .ok_or_else(|| Error::not_found("instance", key.instance.as_str()))?;
    let arn = alias_arn(&region, &key.creator, &name);
    let alias = ok.state.aliases.remove(&arn).ok_or_else(|| Error::not_found("alias", name.as_str()))?;
    let mut index = core::mem::take(&mut ok.state.index);
    index_alias(&mut index, &ok.state, &alias, false);
    ok.state.index = index;
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// TagResource and UntagResource, on a key (`KeyId`) or a secret (`SecretName`).
pub(super) fn tag_or_untag(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = TagResourceRequest::read(params)?;
    let tag = p.action() == Action::TagResource;
    let change = match (tag, r.tags, r.tag_keys) {
        (true, Some(t), _) => TagChange::Add(t),
        (false, _, Some(k)) => TagChange::Remove(k),
        (true, None, _) => return Err(params.missing("Tags")),
        (false, _, None) => return Err(params.missing("TagKeys")),
    };
    match (r.key_id, r.secret_name) {
        (Some(k), None) => tag_key(p, &k, r.region_id, r.request_context, change),
        (None, Some(s)) => super::secrets::tag_or_untag(p, &s, r.region_id, r.request_context, change),
        (None, None) => Err(params.missing("KeyId")),
        (Some(_), Some(_)) => {
            Err(Error::invalid("SecretName", None, "name a key (KeyId) or a secret (SecretName), not both"))
        }
    }
}

/// Tags to add, or tag keys to remove.
pub(super) enum TagChange {
    Add(IdMap<String, String>),
    Remove(Vec<String>),
}

fn tag_key(
    p: Pending<'_>,
    key_ref: &str,
    region: Option<Region>,
    request_context: Option<IdMap<String, String>>,
    change: TagChange,
) -> Result<Reply> {
    let (mut ok, key) = decide_on_key(p, ("KeyId", key_ref), region, request_context)?;
    if let Some(k) = ok.state.keys.get_mut(&key.id) {
        match change {
            TagChange::Add(tags) => {
                k.tags.extend(tags);
                if k.tags.len() > 64 {
                    let n = k.tags.len();
                    *k = key;
                    return Err(Error::new(
                        ErrorCode::LimitExceeded,
                        None,
                        format!("a key has at most 64 tags, not {n}"),
                    ));
                }
            }
            TagChange::Remove(keys) => {
                for t in keys {
                    k.tags.remove(&t);
                }
            }
        }
    }
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// CreateBackup of a key (`KeyId`) or a secret (`SecretName`): the owner's, as the
/// permission matrix says (PM).
pub(super) fn create_backup(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateBackupRequest::read(params)?;
    let (key_ref, secret) = match (r.key_id, r.secret_name) {
        (Some(k), None) => (k, None),
        (None, Some(s)) => (String::new(), Some(s)),
        (None, None) => return Err(params.missing("KeyId")),
        (Some(_), Some(_)) => {
            return Err(Error::invalid("SecretName", None, "name a key (KeyId) or a secret (SecretName), not both"))
        }
    };
    if let Some(s) = secret {
        return super::secrets::create_backup(p, &s, r.region_id, r.request_context);
    }
    let (mut ok, key) = decide_on_key(p, ("KeyId", &key_ref), r.region_id, r.request_context)?;
    let bid = ok.new_id("backup-")?;
    let arn = ok.state.key_arn(&key);
    let at = ok.call().at;
    ok.state
        .backups
        .insert(bid.clone(), Backup { id: bid.clone(), resource: arn, instance: key.instance.clone(), created_at: at });
    Ok(ok.reply(obj!("BackupId": bid, "KeyId": key.id)))
}

impl Engine {
    /// Add a key version (manual rotation, or automatic when due), stamped `at`, and
    /// count the next automatic rotation from it.
    ///
    /// # Errors
    /// `InvalidState` for a key that is not enabled, `LimitExceeded` (CR-1) for a key
    /// that has [`MAX_KEY_VERSIONS`] versions.
    pub(crate) fn rotate_key(&mut self, id: &KeyId, at: u64) -> Result<u32> {
        let key = self.state.keys.get(id).ok_or_else(|| Error::not_found("key", id.as_str()))?;
        if key.state != KeyState::Enabled {
            return Err(Error::new(
                ErrorCode::InvalidState,
                Rule::Cr1,
                format!("key {id} is not enabled and cannot rotate"),
            ));
        }
        if key.versions.len() >= MAX_KEY_VERSIONS {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                Rule::Cr1,
                format!("key {id} has {MAX_KEY_VERSIONS} versions, the most a key keeps; create a new key"),
            ));
        }
        let version = key.versions.last().map(|v| v.version + 1).unwrap_or(1);
        let inst = key.instance.clone();
        let handle = self.generate_material(&inst, &format!("{id}/v{version}"))?;
        self.state.unschedule(&Due::RotateKey(id.clone()));
        if let Some(k) = self.state.keys.get_mut(id) {
            k.versions.push(KeyVersion { version, created_at: at, encryptions: 0, handle: handle.into() });
            k.next_rotation_at = k.rotation_interval.map(|i| at.saturating_add(i));
        }
        if let Some(t) = self.state.keys.get(id).and_then(next_rotation) {
            self.state.schedule(t, Due::RotateKey(id.clone()));
        }
        Ok(version)
    }

    /// An automatic rotation of key `id` fell due at `when`; the calls' time is `now`.
    /// Bounded whatever the span (README Semantics 20): a rotation creates a version
    /// stamped at its due time and schedules the next one interval later, so a long
    /// span is caught up one version per interval, up to [`MAX_KEY_VERSIONS`], where
    /// automatic rotation is suspended; a key that is not enabled skips the rotations
    /// due while it is not, and waits for the first one after `now`.
    pub(crate) fn rotate_when_due(&mut self, id: &KeyId, when: u64, now: u64) {
        let Some(key) = self.state.keys.get(id) else { return };
        let Some(interval) = key.rotation_interval.filter(|i| *i > 0) else { return };
        let next = if key.state != KeyState::Enabled {
            let skipped = now.saturating_sub(when) / interval + 1;
            Some(when.saturating_add(skipped.saturating_mul(interval)))
        } else if key.versions.len() >= MAX_KEY_VERSIONS {
            None
        } else {
            // Schedules the next rotation itself; one still due by `now` comes next.
            if self.rotate_key(id, when).is_ok() {
                return;
            }
            None
        };
        if let Some(k) = self.state.keys.get_mut(id) {
            k.next_rotation_at = next;
        }
        if let Some(t) = next {
            self.state.schedule(t, Due::RotateKey(id.clone()));
        }
    }

    /// SM-3: in Joint ownership a name is unique in the instance; always unique per
    /// account and region (the ARN).
    pub(crate) fn check_name(
        &self,
        inst: &InstanceId,
        kind: NameKind,
        name: &str,
        account: &AccountId,
        arn_taken: bool,
    ) -> Result<()> {
        let what = if kind == NameKind::Alias { "alias" } else { "secret name" };
        let vendor = if kind == NameKind::Alias { "AliasAlreadyExists" } else { "NameConflict" };
        if arn_taken {
            return Err(Error::new(
                ErrorCode::NameConflict,
                Rule::Sm3,
                format!("{what} `{name}` is already used by account {account} in this region"),
            )
            .with_vendor(vendor));
        }
        let mode = self.state.instances.get(inst).and_then(|i| i.sharing_mode);
        if let Some(holders) = self.state.name_holders(inst, kind, name) {
            let clash = match mode {
                Some(SharingMode::Independent) => holders.contains(account),
                _ => !holders.is_empty(),
            };
            if clash {
                let why = if mode == Some(SharingMode::Unknown) {
                    "the instance's sharing mode is unknown, so names are kept unique across accounts as in Joint ownership (choose another name, or set the mode)"
                } else {
                    "in Joint ownership every key alias and secret name is unique across accounts (choose another name, or switch to Independent ownership)"
                };
                return Err(Error::new(
                    ErrorCode::NameConflict,
                    Rule::Sm3,
                    format!("{what} `{name}` is already used in instance {inst}; {why}"),
                )
                .with_vendor(vendor));
            }
        }
        Ok(())
    }

    fn create_alias(&mut self, key: &Key, name: AliasName) -> Result<()> {
        if name.is_default_key_alias() {
            return Err(Error::invalid(
                "AliasName",
                Rule::Ki5,
                "aliases under `alias/acs/` are reserved for default (service) keys",
            ));
        }
        let region = self
            .state
            .region_of(&key.instance)
            .cloned()
            .ok_or_else(|| Error::not_found("instance", key.instance.as_str()))?;
        let arn = alias_arn(&region, &key.creator, &name);
        self.check_name(
            &key.instance,
            NameKind::Alias,
            name.as_str(),
            &key.creator,
            self.state.aliases.contains_key(&arn),
        )?;
        let alias = Alias { name, key: key.id.clone(), instance: key.instance.clone(), creator: key.creator.clone() };
        let mut index = core::mem::take(&mut self.state.index);
        index_alias(&mut index, &self.state, &alias, true);
        self.state.index = index;
        self.state.aliases.insert(arn, alias);
        Ok(())
    }
}
