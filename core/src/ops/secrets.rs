//! Secrets (CR-4, SM-3): values encrypted under a key of the same instance, versions
//! with the stages ACSCurrent and ACSPrevious, deletion with a recovery window, rotation
//! policy, tags and backups.

use alloc::format;
use alloc::string::{String, ToString};
use serde_json::Value;

use super::gate::{Allowed, Ask, AuditRef, Pending, Reply};
use super::keys::common;
use crate::action::Action;
use crate::engine::{days_in, parse_interval, DAY};
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::{IdMap, IdSet};
use crate::ids::*;
use crate::model::*;
use crate::params::Params;
use crate::policy::Context;
use crate::rules::Rule;
use crate::state::{index_secret, Due, NameKind};

/// Largest secret value, in bytes.
pub const MAX_SECRET_BYTES: usize = 30_720;
/// Most versions kept per secret.
pub const MAX_SECRET_VERSIONS: usize = 100;

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

/// CreateSecret: decided on the instance (creating resources, PM) and on the key,
/// since protecting a value with a key needs the right to encrypt with it.
pub(super) fn create(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let name = params.parse("SecretName", SecretName::parse)?;
    let data = params.str("SecretData")?;
    let key_ref = params.str("EncryptionKeyId")?;
    let version = params.opt_str("VersionId")?.unwrap_or("v1").to_string();
    let description = params.opt_str("Description")?.unwrap_or("").to_string();
    let tags = params.opt_map("Tags")?.unwrap_or_default();
    let (region, context) = common(params)?;
    params.finish()?;
    check_secret_value(data, &version)?;
    let acct = p.call().caller.account.clone();
    let key_id = p.resolve_key("EncryptionKeyId", key_ref, &acct)?;
    let inst_id =
        p.state.keys.get(&key_id).map(|k| k.instance.clone()).ok_or_else(|| Error::not_found("key", key_ref))?;
    let inst = p.instance(&inst_id)?.clone();
    let (target, audit) = p.instance_target(&inst_id);
    p.about(audit.clone());
    let (key_target, key_audit) = p.key_target(&key_id)?;
    let asks = alloc::vec![
        Ask::new(Action::CreateSecret, target, audit).within(region.clone(), context.clone()),
        Ask::new(Action::Encrypt, key_target, key_audit.clone()).within(region, context),
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
        key: key_id.clone(),
        versions: alloc::vec![SecretVersion { version_id: version.clone(), stages, ciphertext: ct, created_at: at }],
        delete_at: None,
        rotation_interval: None,
        tags,
        description,
        created_at: at,
    };
    index_secret(&mut ok.state.index, &arn, &secret, true);
    ok.state.secrets.insert(arn.clone(), secret);
    Ok(ok.reply(obj!("Arn": arn, "SecretName": name, "VersionId": version, "InstanceId": inst_id)))
}

/// A secret call, decided: the gate's pass, the secret's ARN and the secret.
type SecretCall<'e> = (Allowed<'e>, String, Secret);

/// What a secret call names: the secret, the region it is made in, its condition keys.
struct SecretRequest {
    name: String,
    region: Option<Region>,
    context: Context,
}

/// Read the parameters every secret call has.
fn secret_request(params: &mut Params<'_>) -> Result<SecretRequest> {
    let name = params.str("SecretName")?.to_string();
    let (region, context) = common(params)?;
    Ok(SecretRequest { name, region, context })
}

/// Once the call's own parameters are read: no unknown one, the secret resolved, the
/// decision on it, and the call refused while the secret waits for deletion unless
/// `while_pending`.
fn decide_on_secret<'e>(
    mut p: Pending<'e>,
    params: &mut Params<'_>,
    action: Action,
    while_pending: bool,
    req: SecretRequest,
) -> Result<SecretCall<'e>> {
    params.finish()?;
    let arn = p.resolve_secret("SecretName", &req.name, &p.call().caller.account)?;
    let (target, audit) = p.secret_target(&arn)?;
    p.about(audit.clone());
    let ok = p.decide(Ask::new(action, target, audit).within(req.region, req.context))?;
    let secret = ok.state.secrets.get(&arn).cloned().ok_or_else(|| Error::not_found("secret", &req.name))?;
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
    let req = secret_request(params)?;
    let vid = params.opt_str("VersionId")?.map(str::to_string);
    let stage = params.opt_str("VersionStage")?.map(str::to_string);
    let (ok, arn, secret) = decide_on_secret(p, params, Action::GetSecretValue, false, req)?;
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
    let result =
        obj!("SecretName": secret.name, "VersionId": v.version_id, "VersionStages": v.stages, "SecretData": text);
    Ok(ok.reply(result))
}

/// PutSecretValue: a new version becomes ACSCurrent, the former one ACSPrevious (CR-4).
pub(super) fn put_value(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = secret_request(params)?;
    let data = params.str("SecretData")?.to_string();
    let vid = params.str("VersionId")?.to_string();
    check_secret_value(&data, &vid)?;
    let (mut ok, arn, secret) = decide_on_secret(p, params, Action::PutSecretValue, false, req)?;
    let data = zeroize::Zeroizing::new(data);
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
    if let Some(s) = ok.state.secrets.get_mut(&arn) {
        for v in &mut s.versions {
            v.stages.remove("ACSPrevious");
            if v.stages.remove("ACSCurrent") {
                v.stages.insert("ACSPrevious".to_string());
            }
        }
        let mut stages = IdSet::new();
        stages.insert("ACSCurrent".to_string());
        s.versions.push(SecretVersion { version_id: vid.clone(), stages, ciphertext: ct, created_at: at });
    }
    Ok(ok.reply(obj!("SecretName": secret.name, "VersionId": vid, "VersionStages": ["ACSCurrent"])))
}

/// DescribeSecret: the metadata, never the value.
pub(super) fn describe(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = secret_request(params)?;
    let (ok, arn, secret) = decide_on_secret(p, params, Action::DescribeSecret, true, req)?;
    Ok(ok.reply(secret_metadata(&arn, &secret)))
}

/// DeleteSecret: after a recovery window of 7 to 30 days, or at once when forced (CR-4).
pub(super) fn delete(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = secret_request(params)?;
    let force = params.opt_bool("ForceDeleteWithoutRecovery")?.unwrap_or(false);
    let window = days_in(params, "RecoveryWindowInDays", Some(30), 7, 30, Rule::Cr4)?;
    let (mut ok, arn, secret) = decide_on_secret(p, params, Action::DeleteSecret, true, req)?;
    if secret.delete_at.is_some() && !force {
        return Err(Error::new(
            ErrorCode::InvalidState,
            Rule::Cr4,
            format!("secret `{}` is already pending deletion", secret.name),
        ));
    }
    if force {
        ok.remove_secret(&arn);
        return Ok(ok.reply(obj!("SecretName": secret.name, "Deleted": true)));
    }
    let at = ok.call().at.saturating_add(window * DAY);
    if let Some(s) = ok.state.secrets.get_mut(&arn) {
        s.delete_at = Some(at);
    }
    ok.state.schedule(at, Due::DeleteSecret(arn.clone()));
    Ok(ok.reply(obj!("SecretName": secret.name, "PlannedDeleteTime": crate::time::format(at))))
}

/// RestoreSecret inside its recovery window (CR-4).
pub(super) fn restore(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = secret_request(params)?;
    let (mut ok, arn, secret) = decide_on_secret(p, params, Action::RestoreSecret, true, req)?;
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
    ok.state.unschedule(&Due::DeleteSecret(arn.clone()));
    Ok(ok.reply(obj!("SecretName": secret.name)))
}

/// UpdateSecretRotationPolicy: the policy is kept (the simulator rotates no secret value).
pub(super) fn update_rotation_policy(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = secret_request(params)?;
    let on = params.opt_bool("EnableAutomaticRotation")?.ok_or_else(|| params.missing("EnableAutomaticRotation"))?;
    let iv = if on {
        Some(parse_interval("RotationInterval", params.opt_str("RotationInterval")?.unwrap_or("30d"))?)
    } else {
        None
    };
    let (mut ok, arn, secret) = decide_on_secret(p, params, Action::UpdateSecretRotationPolicy, false, req)?;
    if let Some(s) = ok.state.secrets.get_mut(&arn) {
        s.rotation_interval = iv;
    }
    Ok(ok.reply(obj!("SecretName": secret.name, "RotationInterval": iv)))
}

/// TagResource and UntagResource on a secret (at most 64 tags).
pub(super) fn tag_or_untag(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = Action::parse(&p.call().action).unwrap_or(Action::TagResource);
    let req = secret_request(params)?;
    let (tags, tag_keys) = super::keys::tag_params(params, action)?;
    let (mut ok, arn, secret) = decide_on_secret(p, params, action, false, req)?;
    if let Some(s) = ok.state.secrets.get_mut(&arn) {
        if let Some(t) = tags {
            s.tags.extend(t);
        }
        for k in tag_keys.unwrap_or_default() {
            s.tags.remove(&k);
        }
        if s.tags.len() > 64 {
            *s = secret.clone();
            return Err(Error::new(ErrorCode::LimitExceeded, None, "a secret has at most 64 tags"));
        }
    }
    let tags = ok.state.secrets.get(&arn).map(|s| s.tags.clone());
    Ok(ok.reply(obj!("SecretName": secret.name, "Tags": tags)))
}

/// CreateBackup of a secret (the owner's, PM).
pub(super) fn create_backup(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = secret_request(params)?;
    let (mut ok, arn, secret) = decide_on_secret(p, params, Action::CreateBackup, false, req)?;
    let bid = ok.new_id("backup-")?;
    let at = ok.call().at;
    ok.state.backups.insert(
        bid.clone(),
        Backup { id: bid.clone(), resource: arn, instance: secret.instance.clone(), created_at: at },
    );
    Ok(ok.reply(obj!("BackupId": bid, "SecretName": secret.name)))
}

fn secret_metadata(arn: &str, s: &Secret) -> Value {
    obj!(
        "Arn": arn,
        "SecretName": s.name,
        "InstanceId": s.instance,
        "Creator": s.creator,
        "EncryptionKeyId": s.key,
        "Versions": s.versions.iter().map(|v| obj!("VersionId": v.version_id, "VersionStages": v.stages)).collect::<alloc::vec::Vec<_>>(),
        "PlannedDeleteTime": s.delete_at.map(crate::time::format),
        "RotationInterval": s.rotation_interval,
        "Tags": s.tags,
        "Description": s.description,
    )
}
