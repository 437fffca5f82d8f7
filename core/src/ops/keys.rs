//! Keys (CR-1, CR-3, SM-3): creating them, their metadata, state, versions and
//! rotation, deletion and its protection, aliases, tags and backups. Every call here is
//! decided on the key (or, for creation, on the instance) by the four checks of AZ-1.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

use super::gate::{Allowed, Ask, AuditRef, Pending, Reply};
use crate::action::Action;
use crate::engine::{days_in, parse_interval, Engine, DAY};
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::IdMap;
use crate::ids::*;
use crate::model::*;
use crate::params::Params;
use crate::policy::Context;
use crate::rules::Rule;
use crate::state::{alias_arn, index_alias, next_rotation, Due, NameKind};

/// The one key spec (CR-1).
pub const KEY_SPEC: &str = "Aliyun_AES_256";
/// Most versions a key keeps (CR-1): a vendor-like limit (the vendor caps key versions
/// too) that also bounds what automatic rotation can create over any span of time.
pub const MAX_KEY_VERSIONS: usize = 100;

/// The parameters every KMS call takes: the region it is made in (KI-6) and condition
/// keys for RAM policies (RAM-2).
pub(super) fn common(params: &mut Params<'_>) -> Result<(Option<Region>, Context)> {
    let region = params.opt_parse("RegionId", Region::parse)?;
    let mut context = Context::default();
    if let Some(m) = params.opt_map("RequestContext")? {
        for (k, v) in m {
            context.insert(&k, &v);
        }
    }
    Ok((region, context))
}

/// The call's action (a handler serves several).
fn action_of(p: &Pending<'_>, default: Action) -> Action {
    Action::parse(&p.call().action).unwrap_or(default)
}

/// CreateKey in an instance, by its owner or a principal (CR-1, PM).
pub(super) fn create(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let inst_id = params.parse("InstanceId", InstanceId::parse)?;
    let (region, context) = common(params)?;
    let spec = params.opt_str("KeySpec")?.unwrap_or(KEY_SPEC);
    if spec != KEY_SPEC {
        return Err(Error::invalid(
            "KeySpec",
            Rule::Cr1,
            format!("KeySpec must be `{KEY_SPEC}`, not `{}`", shorten(spec)),
        ));
    }
    let description = params.opt_str("Description")?.unwrap_or("").to_string();
    if description.chars().count() > 8192 {
        return Err(Error::invalid("Description", Rule::Cr1, "Description is at most 8192 characters"));
    }
    let tags = params.opt_map("Tags")?.unwrap_or_default();
    let rotation = match (params.opt_bool("EnableAutomaticRotation")?, params.opt_str("RotationInterval")?) {
        (Some(true), Some(i)) => Some(parse_interval("RotationInterval", i)?),
        (Some(true), None) => Some(365 * DAY),
        _ => None,
    };
    let fixed = params.opt_parse("KeyId", KeyId::parse)?;
    params.finish()?;
    let inst = p.instance(&inst_id)?.clone();
    let (target, audit) = p.instance_target(&inst_id);
    p.about(audit.clone());
    let mut ok = p.decide(Ask::new(Action::CreateKey, target, audit.clone()).within(region, context))?;
    let call = ok.call().clone();
    let id = match fixed {
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
        spec: KEY_SPEC.to_string(),
        description,
        state: KeyState::Enabled,
        deletion_protection: false,
        rotation_interval: rotation,
        next_rotation_at: rotation.map(|i| call.at.saturating_add(i)),
        versions: alloc::vec![KeyVersion { version: 1, created_at: call.at, encryptions: 0, handle }],
        tags,
        created_at: call.at,
    };
    let arn = crate::state::key_arn(&inst.region, &key.creator, &id);
    ok.created(AuditRef { resource: arn.clone(), ..audit });
    ok.state.index_key(&key);
    ok.state.keys.insert(id.clone(), key);
    Ok(ok.reply(obj!("KeyId": id, "Arn": arn, "InstanceId": inst_id, "KeyVersion": 1, "Creator": call.caller.account)))
}

/// What a key call names: the key (and the alias, for the alias calls), the region it is
/// made in and its condition keys.
struct KeyRequest {
    id: KeyId,
    alias: Option<AliasName>,
    region: Option<Region>,
    context: Context,
}

/// Read the parameters every key call has (the alias calls name the alias first;
/// DeleteAlias names no key) and resolve the key.
fn key_request(p: &Pending<'_>, params: &mut Params<'_>, action: Action) -> Result<KeyRequest> {
    let (region, context) = common(params)?;
    let alias = if matches!(action, Action::CreateAlias | Action::DeleteAlias) {
        Some(params.parse("AliasName", AliasName::parse)?)
    } else {
        None
    };
    let account = &p.call().caller.account;
    let id = match (&alias, action) {
        (Some(a), Action::DeleteAlias) => p.resolve_key("AliasName", a.as_str(), account)?,
        _ => {
            let r = params.str("KeyId")?;
            p.resolve_key("KeyId", r, account)?
        }
    };
    Ok(KeyRequest { id, alias, region, context })
}

/// Once the call's own parameters are read: no unknown one, then the decision on the key.
fn decide_on_key<'e>(
    mut p: Pending<'e>,
    params: &mut Params<'_>,
    action: Action,
    req: KeyRequest,
) -> Result<(Allowed<'e>, Key, Option<AliasName>)> {
    params.finish()?;
    let (target, audit) = p.key_target(&req.id)?;
    p.about(audit.clone());
    let ok = p.decide(Ask::new(action, target, audit).within(req.region, req.context))?;
    let key = ok.state.keys.get(&req.id).cloned().ok_or_else(|| Error::not_found("key", req.id.as_str()))?;
    Ok((ok, key, req.alias))
}

/// A key call with no parameters of its own.
fn plain_key_call<'e>(
    p: Pending<'e>,
    params: &mut Params<'_>,
    action: Action,
) -> Result<(Allowed<'e>, Key, Option<AliasName>)> {
    let req = key_request(&p, params, action)?;
    decide_on_key(p, params, action, req)
}

/// DescribeKey: the key's metadata.
pub(super) fn describe(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let (ok, key, _) = plain_key_call(p, params, Action::DescribeKey)?;
    let meta = key_metadata(&key, &ok.state.aliases_of(&key.id), &ok.state);
    Ok(ok.reply(obj!("KeyMetadata": meta)))
}

/// EnableKey and DisableKey (CR-1, CR-3).
pub(super) fn enable_or_disable(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = action_of(&p, Action::EnableKey);
    let enable = action == Action::EnableKey;
    let (mut ok, key, _) = plain_key_call(p, params, action)?;
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
    Ok(ok.reply(obj!("KeyId": id, "KeyState": if enable { "Enabled" } else { "Disabled" })))
}

/// CreateKeyVersion: a manual rotation (CR-1).
pub(super) fn create_version(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let (mut ok, key, _) = plain_key_call(p, params, Action::CreateKeyVersion)?;
    let at = ok.call().at;
    let v = ok.rotate_key(&key.id, at)?;
    Ok(ok.reply(obj!("KeyId": key.id, "KeyVersion": v)))
}

/// UpdateRotationPolicy: automatic rotation on or off; the interval counts from now,
/// never from the last version (no back-dated rotations, README Semantics 20).
pub(super) fn update_rotation_policy(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = key_request(&p, params, Action::UpdateRotationPolicy)?;
    let on = params.opt_bool("EnableAutomaticRotation")?.ok_or_else(|| params.missing("EnableAutomaticRotation"))?;
    let interval = match (on, params.opt_str("RotationInterval")?) {
        (true, Some(i)) => Some(parse_interval("RotationInterval", i)?),
        (true, None) => Some(365 * DAY),
        (false, _) => None,
    };
    let (mut ok, key, _) = decide_on_key(p, params, Action::UpdateRotationPolicy, req)?;
    let (id, at) = (key.id.clone(), ok.call().at);
    ok.state.unschedule(&Due::RotateKey(id.clone()));
    if let Some(k) = ok.state.keys.get_mut(&id) {
        k.rotation_interval = interval;
        k.next_rotation_at = interval.map(|i| at.saturating_add(i));
    }
    if let Some(t) = ok.state.keys.get(&id).and_then(next_rotation) {
        ok.state.schedule(t, Due::RotateKey(id.clone()));
    }
    Ok(ok.reply(obj!("KeyId": id, "RotationInterval": interval)))
}

/// ScheduleKeyDeletion in 7 to 366 days, unless deletion protection is on (CR-3).
pub(super) fn schedule_deletion(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = key_request(&p, params, Action::ScheduleKeyDeletion)?;
    let days = days_in(params, "PendingWindowInDays", None, 7, 366, Rule::Cr3)?;
    let (mut ok, key, _) = decide_on_key(p, params, Action::ScheduleKeyDeletion, req)?;
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
    ok.state.schedule(delete_at, Due::DeleteKey(id.clone()));
    Ok(ok.reply(obj!("KeyId": id, "KeyState": "PendingDeletion", "DeleteAt": crate::time::format(delete_at))))
}

/// CancelKeyDeletion inside the pending window (CR-3).
pub(super) fn cancel_deletion(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let (mut ok, key, _) = plain_key_call(p, params, Action::CancelKeyDeletion)?;
    let id = key.id.clone();
    if !matches!(key.state, KeyState::PendingDeletion { .. }) {
        return Err(Error::new(ErrorCode::InvalidState, Rule::Cr3, format!("key {id} is not pending deletion")));
    }
    if let Some(k) = ok.state.keys.get_mut(&id) {
        k.state = KeyState::Enabled;
    }
    ok.state.unschedule(&Due::DeleteKey(id.clone()));
    Ok(ok.reply(obj!("KeyId": id, "KeyState": "Enabled")))
}

/// SetDeletionProtection on or off (CR-3).
pub(super) fn set_deletion_protection(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let req = key_request(&p, params, Action::SetDeletionProtection)?;
    let on = params.opt_bool("EnableDeletionProtection")?.ok_or_else(|| params.missing("EnableDeletionProtection"))?;
    let (mut ok, key, _) = decide_on_key(p, params, Action::SetDeletionProtection, req)?;
    if let Some(k) = ok.state.keys.get_mut(&key.id) {
        k.deletion_protection = on;
    }
    Ok(ok.reply(obj!("KeyId": key.id, "DeletionProtection": on)))
}

/// CreateAlias: a name for the key, unique as SM-3 says; `alias/acs/` is reserved (KI-5).
pub(super) fn create_alias(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let (mut ok, key, alias) = plain_key_call(p, params, Action::CreateAlias)?;
    let name = alias.ok_or_else(|| Error::invalid("AliasName", Rule::Sm3, "AliasName is required"))?;
    ok.create_alias(&key, name)?;
    let aliases = ok.state.aliases_of(&key.id);
    Ok(ok.reply(obj!("KeyId": key.id, "AliasName": aliases)))
}

/// DeleteAlias: named by the alias, decided on the key it names.
pub(super) fn delete_alias(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let (mut ok, key, alias) = plain_key_call(p, params, Action::DeleteAlias)?;
    let name = alias.ok_or_else(|| Error::invalid("AliasName", Rule::Sm3, "AliasName is required"))?;
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
    Ok(ok.reply(obj!("AliasName": name)))
}

/// TagResource and UntagResource, on a key (`KeyId`) or a secret (`SecretName`).
pub(super) fn tag_or_untag(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    if params.has("SecretName") {
        return super::secrets::tag_or_untag(p, params);
    }
    let action = action_of(&p, Action::TagResource);
    let req = key_request(&p, params, action)?;
    let (tags, tag_keys) = tag_params(params, action)?;
    let (mut ok, key, _) = decide_on_key(p, params, action, req)?;
    let id = key.id.clone();
    if let Some(k) = ok.state.keys.get_mut(&id) {
        if let Some(tags) = tags {
            k.tags.extend(tags);
            if k.tags.len() > 64 {
                let n = k.tags.len();
                *k = key;
                return Err(Error::new(ErrorCode::LimitExceeded, None, format!("a key has at most 64 tags, not {n}")));
            }
        }
        for t in tag_keys.unwrap_or_default() {
            k.tags.remove(&t);
        }
    }
    let tags = ok.state.keys.get(&id).map(|k| k.tags.clone());
    Ok(ok.reply(obj!("KeyId": id, "Tags": tags)))
}

/// The parameters of TagResource (`Tags`) and UntagResource (`TagKeys`).
pub(super) fn tag_params(params: &mut Params<'_>, action: Action) -> Result<TagChange> {
    if action == Action::TagResource {
        Ok((Some(params.opt_map("Tags")?.ok_or_else(|| params.missing("Tags"))?), None))
    } else {
        Ok((None, Some(params.opt_list("TagKeys", false)?.ok_or_else(|| params.missing("TagKeys"))?)))
    }
}

/// Tags to add, or tag keys to remove.
pub(super) type TagChange = (Option<IdMap<String, String>>, Option<Vec<String>>);

/// CreateBackup of a key (`KeyId`) or a secret (`SecretName`): the owner's, as the
/// permission matrix says (PM).
pub(super) fn create_backup(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    if params.has("SecretName") {
        return super::secrets::create_backup(p, params);
    }
    let (mut ok, key, _) = plain_key_call(p, params, Action::CreateBackup)?;
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
            k.versions.push(KeyVersion { version, created_at: at, encryptions: 0, handle });
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
        if arn_taken {
            return Err(Error::new(
                ErrorCode::NameConflict,
                Rule::Sm3,
                format!("{what} `{name}` is already used by account {account} in this region"),
            ));
        }
        let mode = self.state.instances.get(inst).and_then(|i| i.sharing_mode);
        if let Some(holders) = self.state.name_holders(inst, kind, name) {
            let clash = match mode {
                Some(SharingMode::Independent) => holders.contains(account),
                _ => !holders.is_empty(),
            };
            if clash {
                return Err(Error::new(
                    ErrorCode::NameConflict,
                    Rule::Sm3,
                    format!(
                        "{what} `{name}` is already used in instance {inst}; in Joint ownership every key alias and secret name is unique across accounts (choose another name, or switch to Independent ownership)"
                    ),
                ));
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

/// Key metadata as DescribeKey returns it.
pub fn key_metadata(k: &Key, aliases: &[AliasName], state: &crate::state::State) -> Value {
    let (st, delete_at) = match k.state {
        KeyState::Enabled => ("Enabled", None),
        KeyState::Disabled => ("Disabled", None),
        KeyState::PendingDeletion { delete_at } => ("PendingDeletion", Some(crate::time::format(delete_at))),
    };
    obj!(
        "KeyId": k.id,
        "Arn": state.key_arn(k),
        "InstanceId": k.instance,
        "Creator": k.creator,
        "KeySpec": k.spec,
        "KeyState": st,
        "DeleteDate": delete_at,
        "DeletionProtection": if k.deletion_protection { "Enabled" } else { "Disabled" },
        "CurrentKeyVersion": k.versions.last().map(|v| v.version),
        "KeyVersions": k.versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        "RotationInterval": k.rotation_interval,
        "AutomaticRotation": match (k.rotation_interval, next_rotation(k)) {
            (None, _) => "Disabled",
            (Some(_), Some(_)) => "Enabled",
            // Suspended at the version limit (CR-1, README Semantics 20).
            (Some(_), None) => "Suspended",
        },
        "NextRotationDate": next_rotation(k).map(crate::time::format),
        "Aliases": aliases,
        "Tags": k.tags,
        "Description": k.description,
        "CreationDate": crate::time::format(k.created_at),
    )
}
