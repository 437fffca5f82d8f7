//! Secrets (CR-4, SM-3): values encrypted under a key of the same instance, versions
//! with the stages ACSCurrent and ACSPrevious, deletion with a recovery window, rotation
//! policy, tags and backups. Requests and responses have the vendor's names.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::gate::{Allowed, Ask, AuditRef, Pending, Reply};
use super::keys::{context, interval_text, EmptyResponse, TagChange};
use crate::action::Action;
use crate::engine::{parse_interval, DAY};
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::{IdMap, IdSet};
use crate::ids::*;
use crate::json::response;
use crate::model::*;
use crate::params::Params;
use crate::request::request;
use crate::rules::Rule;
use crate::state::{index_secret, Due, NameKind};

/// Largest secret value, in bytes.
pub const MAX_SECRET_BYTES: usize = 30_720;
/// Most versions kept per secret.
pub const MAX_SECRET_VERSIONS: usize = 100;

request! {
    /// CreateSecret: a value encrypted under a key of the instance (CR-4).
    pub struct CreateSecretRequest {
        required {
            /// Unique per account and region, and in the instance in Joint ownership (SM-3).
            "SecretName" secret_name: SecretName,
            /// The value (not templated, whatever it holds), at most 30,720 bytes.
            "SecretData" secret_data: String,
            /// The key the value is encrypted under: its id, an alias or an ARN.
            "EncryptionKeyId" encryption_key_id: String,
        }
        optional {
            /// The first version's id (`v1` by default).
            "VersionId" version_id: String,
            /// The instance; when given, the key's instance.
            "DKMSInstanceId" dkms_instance_id: InstanceId,
            /// `Generic`, the one type.
            "SecretType" secret_type: String,
            /// `text`, the one data type.
            "SecretDataType" secret_data_type: String,
            /// The description.
            "Description" description: String,
            /// Tags: `[{"TagKey": .., "TagValue": ..}]`, JSON text or an object.
            "Tags" tags: IdMap<String, String>,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// GetSecretValue: the value of `ACSCurrent`, or of the version or stage named (CR-4).
    pub struct GetSecretValueRequest {
        required {
            /// The secret: its name or ARN.
            "SecretName" secret_name: String,
        }
        optional {
            /// A version.
            "VersionId" version_id: String,
            /// A stage: `ACSCurrent` or `ACSPrevious`.
            "VersionStage" version_stage: String,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// PutSecretValue: a new version becomes `ACSCurrent` (CR-4).
    pub struct PutSecretValueRequest {
        required {
            /// The secret: its name or ARN.
            "SecretName" secret_name: String,
            /// The value (not templated, whatever it holds).
            "SecretData" secret_data: String,
            /// The new version's id.
            "VersionId" version_id: String,
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
    /// A call on one secret: DescribeSecret, RestoreSecret, ListSecretVersionIds.
    pub struct SecretRequest {
        required {
            /// The secret: its name or ARN.
            "SecretName" secret_name: String,
        }
        optional {
            /// DescribeSecret: return the tags too.
            "FetchTags" fetch_tags: bool,
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
    /// DeleteSecret: after a recovery window of 7 to 30 days, or at once (CR-4).
    pub struct DeleteSecretRequest {
        required {
            /// The secret: its name or ARN.
            "SecretName" secret_name: String,
        }
        optional {
            /// Delete at once, with no way back.
            "ForceDeleteWithoutRecovery" force_delete_without_recovery: bool,
            /// 7 to 30 days (30 by default).
            "RecoveryWindowInDays" recovery_window_in_days: u64,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

request! {
    /// UpdateSecretRotationPolicy: the policy is kept (the simulator rotates no value).
    pub struct UpdateSecretRotationPolicyRequest {
        required {
            /// The secret: its name or ARN.
            "SecretName" secret_name: String,
            /// On or off.
            "EnableAutomaticRotation" enable_automatic_rotation: bool,
        }
        optional {
            /// `7d` to `3650d`; 30 days by default.
            "RotationInterval" rotation_interval: String,
            /// The simulator's: the region the call is made in (KI-6).
            "RegionId" region_id: Region,
            /// The simulator's: condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: IdMap<String, String>,
        }
    }
}

response! {
    /// The stages of a secret version, in the vendor's wrapper.
    pub struct VersionStages {
        /// `ACSCurrent`, `ACSPrevious`.
        "VersionStage" version_stage: Vec<String>,
    }
}

impl VersionStages {
    pub(crate) fn of(stages: &IdSet<String>) -> Self {
        VersionStages { version_stage: stages.iter().cloned().collect() }
    }
}

response! {
    /// CreateSecret's response.
    pub struct CreateSecretResponse {
        /// The secret's ARN, with its creator's account (RAM-3).
        "Arn" arn: String,
        /// Its name.
        "SecretName" secret_name: SecretName,
        /// The first version.
        "VersionId" version_id: String,
        /// The instance holding it.
        "DKMSInstanceId" dkms_instance_id: InstanceId,
        /// `Generic`.
        "SecretType" secret_type: &'static str,
        /// `Disabled`: a new secret does not rotate.
        "AutomaticRotation" automatic_rotation: &'static str,
    }
}

response! {
    /// GetSecretValue's response.
    pub struct GetSecretValueResponse {
        /// The secret's name.
        "SecretName" secret_name: SecretName,
        /// The version read.
        "VersionId" version_id: String,
        /// Its stages.
        "VersionStages" version_stages: VersionStages,
        /// The value.
        "SecretData" secret_data: String,
        /// `text`.
        "SecretDataType" secret_data_type: &'static str,
        /// `Generic`.
        "SecretType" secret_type: &'static str,
        /// When the version was created.
        "CreateTime" create_time: String,
        /// `Enabled` or `Disabled`.
        "AutomaticRotation" automatic_rotation: &'static str,
        /// The rotation interval, `2592000s`.
        "RotationInterval" rotation_interval: Option<String>,
    }
}

response! {
    /// PutSecretValue's response.
    pub struct PutSecretValueResponse {
        /// The secret's name.
        "SecretName" secret_name: SecretName,
        /// The new version.
        "VersionId" version_id: String,
        /// Its stages.
        "VersionStages" version_stages: VersionStages,
    }
}

response! {
    /// A tag, as KMS writes tags in responses.
    pub struct KmsTag {
        /// The tag key.
        "TagKey" tag_key: String,
        /// The tag value.
        "TagValue" tag_value: String,
    }
}

response! {
    /// KMS's wrapper of a list of tags.
    pub struct KmsTags {
        /// The tags.
        "Tag" tag: Vec<KmsTag>,
    }
}

impl KmsTags {
    /// A resource's tags.
    pub fn of(tags: &crate::model::Tags) -> Self {
        KmsTags { tag: tags.iter().map(|(k, v)| KmsTag { tag_key: k.clone(), tag_value: v.clone() }).collect() }
    }
}

response! {
    /// DescribeSecret's response: the metadata, never the value.
    pub struct DescribeSecretResponse {
        /// The secret's ARN.
        "Arn" arn: String,
        /// Its name.
        "SecretName" secret_name: SecretName,
        /// The instance holding it.
        "DKMSInstanceId" dkms_instance_id: InstanceId,
        /// The key its values are encrypted under.
        "EncryptionKeyId" encryption_key_id: KeyId,
        /// `Generic`.
        "SecretType" secret_type: &'static str,
        /// The description.
        "Description" description: String,
        /// When it was created.
        "CreateTime" create_time: String,
        /// When its newest version was written.
        "UpdateTime" update_time: String,
        /// When a secret waiting for deletion goes.
        "PlannedDeleteTime" planned_delete_time: Option<String>,
        /// `Enabled` or `Disabled`.
        "AutomaticRotation" automatic_rotation: &'static str,
        /// The rotation interval, `2592000s`.
        "RotationInterval" rotation_interval: Option<String>,
        /// With `FetchTags`: the tags.
        "Tags" tags: Option<KmsTags>,
    }
}

response! {
    /// DeleteSecret's response.
    pub struct DeleteSecretResponse {
        /// The secret's name.
        "SecretName" secret_name: SecretName,
        /// When it goes (now, when forced).
        "PlannedDeleteTime" planned_delete_time: String,
    }
}

response! {
    /// RestoreSecret's and UpdateSecretRotationPolicy's response.
    pub struct SecretNameResponse {
        /// The secret's name.
        "SecretName" secret_name: SecretName,
    }
}

/// The context a secret version's value is sealed with: its ARN and version id.
fn secret_context(arn: &str, version: &str) -> IdMap<String, String> {
    let mut m = IdMap::new();
    m.insert("SecretArn".to_string(), arn.to_string());
    m.insert("VersionId".to_string(), version.to_string());
    m
}

fn check_secret_value(data: &str, version: &str) -> Result<()> {
    if data.len() > MAX_SECRET_BYTES {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            Rule::Cr4,
            format!("SecretData is {} bytes; at most {MAX_SECRET_BYTES}", data.len()),
        )
        .at_field("SecretData"));
    }
    if version.is_empty()
        || version.len() > 64
        || !version.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(Error::invalid(
            "VersionId",
            Rule::Cr4,
            format!("`{}` is not a version id (1 to 64 letters, digits, `- _ .`)", shorten(version)),
        ));
    }
    Ok(())
}

fn only(field: &'static str, given: Option<&str>, value: &str) -> Result<()> {
    match given {
        Some(g) if g != value => {
            Err(Error::invalid(field, Rule::Cr4, format!("{field} must be `{value}`, not `{}`", shorten(g))))
        }
        _ => Ok(()),
    }
}

/// `Enabled` when a rotation interval is set.
fn secret_rotation(s: &Secret) -> &'static str {
    if s.rotation_interval.is_some() {
        "Enabled"
    } else {
        "Disabled"
    }
}

/// CreateSecret: decided on the instance (creating resources, PM) and on the key,
/// since protecting a value with a key needs the right to encrypt with it.
pub(super) fn create(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateSecretRequest::read(params)?;
    let name = r.secret_name;
    let data = zeroize::Zeroizing::new(r.secret_data);
    let version = r.version_id.unwrap_or_else(|| "v1".to_string());
    only("SecretType", r.secret_type.as_deref(), "Generic")?;
    only("SecretDataType", r.secret_data_type.as_deref(), "text")?;
    check_secret_value(&data, &version)?;
    let acct = p.call().caller.account.clone();
    let key_id = p.resolve_key("EncryptionKeyId", &r.encryption_key_id, &acct)?;
    let inst_id = p
        .state
        .keys
        .get(&key_id)
        .map(|k| k.instance.clone())
        .ok_or_else(|| Error::not_found("key", &r.encryption_key_id))?;
    if let Some(named) = r.dkms_instance_id.filter(|i| *i != inst_id) {
        return Err(Error::invalid(
            "DKMSInstanceId",
            Rule::Cr4,
            format!("key {key_id} is in instance {inst_id}, not {named}: a secret is encrypted under a key of its own instance"),
        ));
    }
    let inst = p.instance(&inst_id)?.clone();
    let (target, audit) = p.instance_target(&inst_id);
    p.about(audit.clone());
    let (key_target, key_audit) = p.key_target(&key_id)?;
    let ctx = context(r.request_context);
    let asks = alloc::vec![
        Ask::new(Action::CreateSecret, target, audit).within(r.region_id.clone(), ctx.clone()),
        Ask::new(Action::Encrypt, key_target, key_audit.clone()).within(r.region_id, ctx),
    ];
    let mut ok = p.decide_all(asks, 0)?;
    let arn = crate::state::secret_arn(&inst.region, &acct, &name);
    ok.created(AuditRef { resource: arn.clone(), ..key_audit });
    ok.check_name(&inst_id, NameKind::Secret, name.as_str(), &acct, ok.state.secrets.contains_key(&arn))?;
    let (ct, _) = ok.seal_with(&key_id, data.as_bytes(), &secret_context(&arn, &version))?;
    let mut stages = IdSet::new();
    stages.insert("ACSCurrent".to_string());
    let at = ok.call().at;
    let secret = Secret {
        name: name.clone(),
        instance: inst_id.clone(),
        creator: acct,
        key: key_id,
        versions: alloc::vec![SecretVersion { version_id: version.clone(), stages, ciphertext: ct, created_at: at }],
        delete_at: None,
        rotation_interval: None,
        tags: r.tags.unwrap_or_default().into(),
        description: r.description.unwrap_or_default(),
        created_at: at,
    };
    index_secret(&mut ok.state.index, &arn, &secret, true);
    ok.state.secrets.insert(arn.clone(), secret);
    let resp = CreateSecretResponse {
        arn,
        secret_name: name,
        version_id: version,
        dkms_instance_id: inst_id,
        secret_type: "Generic",
        automatic_rotation: "Disabled",
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

/// What a secret call decided on: the gate's pass, the secret's ARN and the secret.
type SecretCall<'e> = (Allowed<'e>, String, Secret);

/// Resolve the secret `name` names, decide the call on it, and refuse it while the secret
/// waits for deletion unless `while_pending`.
fn decide_on_secret<'e>(
    mut p: Pending<'e>,
    name: &str,
    while_pending: bool,
    region: Option<Region>,
    request_context: Option<IdMap<String, String>>,
) -> Result<SecretCall<'e>> {
    let arn = p.resolve_secret("SecretName", name, &p.call().caller.account)?;
    let (target, audit) = p.secret_target(&arn)?;
    p.about(audit.clone());
    let action = p.action();
    let ok = p.decide(Ask::new(action, target, audit).within(region, context(request_context)))?;
    let secret = ok.state.secrets.get(&arn).cloned().ok_or_else(|| Error::not_found("secret", name))?;
    if secret.delete_at.is_some() && !while_pending {
        return Err(Error::new(
            ErrorCode::InvalidState,
            Rule::Cr4,
            format!("secret `{}` is pending deletion; restore it first ({})", secret.name, Action::RestoreSecret.ram()),
        ));
    }
    Ok((ok, arn, secret))
}

/// GetSecretValue: the value of `ACSCurrent`, or of the version or stage named (CR-4).
pub(super) fn get_value(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = GetSecretValueRequest::read(params)?;
    let (ok, arn, secret) = decide_on_secret(p, &r.secret_name, false, r.region_id, r.request_context)?;
    let (vid, stage) = (r.version_id, r.version_stage);
    let stage = if vid.is_none() && stage.is_none() { Some("ACSCurrent".to_string()) } else { stage };
    let v = secret
        .versions
        .iter()
        .find(|v| {
            vid.as_deref().is_none_or(|id| v.version_id == id) && stage.as_deref().is_none_or(|s| v.stages.contains(s))
        })
        .ok_or_else(|| {
            Error::not_found("secret version", vid.as_deref().or(stage.as_deref()).unwrap_or("ACSCurrent"))
        })?;
    let (pt, _) = ok.open_blob("SecretData", &v.ciphertext, &secret_context(&arn, &v.version_id), &secret.key)?;
    let pt = zeroize::Zeroizing::new(pt);
    let text = core::str::from_utf8(&pt).map_err(|_| Error::decrypt_failed())?;
    let resp = GetSecretValueResponse {
        secret_name: secret.name.clone(),
        version_id: v.version_id.clone(),
        version_stages: VersionStages::of(&v.stages),
        secret_data: text.to_string(),
        secret_data_type: "text",
        secret_type: "Generic",
        create_time: crate::time::format(v.created_at),
        automatic_rotation: secret_rotation(&secret),
        rotation_interval: secret.rotation_interval.map(interval_text),
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

/// PutSecretValue: a new version becomes ACSCurrent, the former one ACSPrevious (CR-4).
pub(super) fn put_value(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = PutSecretValueRequest::read(params)?;
    let data = zeroize::Zeroizing::new(r.secret_data);
    let vid = r.version_id;
    check_secret_value(&data, &vid)?;
    let (mut ok, arn, secret) = decide_on_secret(p, &r.secret_name, false, r.region_id, r.request_context)?;
    if secret.versions.iter().any(|v| v.version_id == vid) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            Rule::Cr4,
            format!("version `{}` of secret `{}` already exists", shorten(&vid), secret.name),
        ));
    }
    if secret.versions.len() >= MAX_SECRET_VERSIONS {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            Rule::Cr4,
            format!("secret `{}` already has {MAX_SECRET_VERSIONS} versions", secret.name),
        ));
    }
    let (ct, _) = ok.seal_with(&secret.key, data.as_bytes(), &secret_context(&arn, &vid))?;
    let at = ok.call().at;
    let mut stages = IdSet::new();
    stages.insert("ACSCurrent".to_string());
    if let Some(s) = ok.state.secrets.get_mut(&arn) {
        for v in &mut s.versions {
            v.stages.remove("ACSPrevious");
            if v.stages.remove("ACSCurrent") {
                v.stages.insert("ACSPrevious".to_string());
            }
        }
        s.versions.push(SecretVersion {
            version_id: vid.clone(),
            stages: stages.clone(),
            ciphertext: ct,
            created_at: at,
        });
    }
    let resp = PutSecretValueResponse {
        secret_name: secret.name,
        version_id: vid,
        version_stages: VersionStages::of(&stages),
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

/// DescribeSecret: the metadata, never the value.
pub(super) fn describe(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = SecretRequest::read(params)?;
    let (ok, arn, s) = decide_on_secret(p, &r.secret_name, true, r.region_id, r.request_context)?;
    let resp = DescribeSecretResponse {
        arn,
        secret_name: s.name.clone(),
        dkms_instance_id: s.instance.clone(),
        encryption_key_id: s.key.clone(),
        secret_type: "Generic",
        description: s.description.clone(),
        create_time: crate::time::format(s.created_at),
        update_time: crate::time::format(s.versions.last().map(|v| v.created_at).unwrap_or(s.created_at)),
        planned_delete_time: s.delete_at.map(crate::time::format),
        automatic_rotation: secret_rotation(&s),
        rotation_interval: s.rotation_interval.map(interval_text),
        tags: r.fetch_tags.unwrap_or(false).then(|| KmsTags::of(&s.tags)),
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

/// DeleteSecret: after a recovery window of 7 to 30 days, or at once when forced (CR-4).
pub(super) fn delete(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = DeleteSecretRequest::read(params)?;
    let force = r.force_delete_without_recovery.unwrap_or(false);
    let window = r.recovery_window_in_days.unwrap_or(30);
    if !(7..=30).contains(&window) {
        return Err(Error::invalid(
            "RecoveryWindowInDays",
            Rule::Cr4,
            format!("RecoveryWindowInDays must be 7 to 30 days, not {window}"),
        ));
    }
    let (mut ok, arn, secret) = decide_on_secret(p, &r.secret_name, true, r.region_id, r.request_context)?;
    if secret.delete_at.is_some() && !force {
        return Err(Error::new(
            ErrorCode::InvalidState,
            Rule::Cr4,
            format!("secret `{}` is already pending deletion", secret.name),
        ));
    }
    let now = ok.call().at;
    let at = if force {
        ok.remove_secret(&arn);
        now
    } else {
        let at = now.saturating_add(window * DAY);
        if let Some(s) = ok.state.secrets.get_mut(&arn) {
            s.delete_at = Some(at);
        }
        ok.state.schedule(at, Due::DeleteSecret(arn.clone()));
        at
    };
    let resp = DeleteSecretResponse { secret_name: secret.name, planned_delete_time: crate::time::format(at) };
    Ok(ok.reply(crate::json::ToValue::to_value(&resp)))
}

/// RestoreSecret inside its recovery window (CR-4).
pub(super) fn restore(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = SecretRequest::read(params)?;
    let (mut ok, arn, secret) = decide_on_secret(p, &r.secret_name, true, r.region_id, r.request_context)?;
    if secret.delete_at.is_none() {
        return Err(Error::new(
            ErrorCode::InvalidState,
            Rule::Cr4,
            format!("secret `{}` is not pending deletion", secret.name),
        ));
    }
    if let Some(s) = ok.state.secrets.get_mut(&arn) {
        s.delete_at = None;
    }
    ok.state.unschedule(&Due::DeleteSecret(arn));
    Ok(ok.reply(crate::json::ToValue::to_value(&SecretNameResponse { secret_name: secret.name })))
}

/// UpdateSecretRotationPolicy: the policy is kept (the simulator rotates no secret value).
pub(super) fn update_rotation_policy(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = UpdateSecretRotationPolicyRequest::read(params)?;
    let iv = if r.enable_automatic_rotation {
        Some(parse_interval("RotationInterval", r.rotation_interval.as_deref().unwrap_or("30d"))?)
    } else {
        None
    };
    let (mut ok, arn, secret) = decide_on_secret(p, &r.secret_name, false, r.region_id, r.request_context)?;
    if let Some(s) = ok.state.secrets.get_mut(&arn) {
        s.rotation_interval = iv;
    }
    Ok(ok.reply(crate::json::ToValue::to_value(&SecretNameResponse { secret_name: secret.name })))
}

/// TagResource and UntagResource on a secret (at most 64 tags).
pub(super) fn tag_or_untag(
    p: Pending<'_>,
    name: &str,
    region: Option<Region>,
    request_context: Option<IdMap<String, String>>,
    change: TagChange,
) -> Result<Reply> {
    let (mut ok, arn, secret) = decide_on_secret(p, name, false, region, request_context)?;
    if let Some(s) = ok.state.secrets.get_mut(&arn) {
        match change {
            TagChange::Add(t) => s.tags.extend(t),
            TagChange::Remove(keys) => {
                for k in keys {
                    s.tags.remove(&k);
                }
            }
        }
        if s.tags.len() > 64 {
            *s = secret;
            return Err(Error::new(ErrorCode::LimitExceeded, None, "a secret has at most 64 tags"));
        }
    }
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// CreateBackup of a secret (the owner's, PM).
pub(super) fn create_backup(
    p: Pending<'_>,
    name: &str,
    region: Option<Region>,
    request_context: Option<IdMap<String, String>>,
) -> Result<Reply> {
    let (mut ok, arn, secret) = decide_on_secret(p, name, false, region, request_context)?;
    let bid = ok.new_id("backup-")?;
    let at = ok.call().at;
    ok.state.backups.insert(
        bid.clone(),
        Backup { id: bid.clone(), resource: arn, instance: secret.instance.clone(), created_at: at },
    );
    Ok(ok.reply(obj!("BackupId": bid, "SecretName": secret.name)))
}
