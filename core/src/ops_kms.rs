//! KMS calls inside an instance: keys (CR-1, CR-3), aliases and tags, secrets
//! (CR-4), cryptographic operations (CR-2), backups and application access points.
//! Every call here goes through the four-step decision (AZ-1) first.

use crate::idmap::{IdMap, IdSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

use crate::authz::Decision;
use crate::crypto::{b64_decode, b64_encode, blob};
use crate::engine::{days_in, parse_interval, Call, Engine, Response, DAY};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::*;
use crate::matrix::canonical_action;
use crate::model::*;
use crate::params::Params;
use crate::policy::Context;
use crate::rules::Rule;
use crate::state::{alias_arn, index_alias, index_secret, next_rotation, Due, NameKind};

/// The one key spec (CR-1).
pub const KEY_SPEC: &str = "Aliyun_AES_256";
/// Largest secret value, in bytes.
pub const MAX_SECRET_BYTES: usize = 30_720;
/// Most versions kept per secret.
pub const MAX_SECRET_VERSIONS: usize = 100;
/// Most versions a key keeps (CR-1): a vendor-like limit (the vendor caps key versions
/// too) that also bounds what automatic rotation can create over any span of time.
pub const MAX_KEY_VERSIONS: usize = 100;

/// Common KMS request parameters: the region called and condition keys.
struct Common {
    region: Option<Region>,
    context: Context,
}

fn common(p: &mut Params<'_>) -> Result<Common> {
    let region = p.opt_parse("RegionId", Region::parse)?;
    let mut context = Context::default();
    if let Some(m) = p.opt_map("RequestContext")? {
        for (k, v) in m {
            context.insert(&k, &v);
        }
    }
    Ok(Common { region, context })
}

fn respond(result: Value, d: Decision) -> Result<Response> {
    Ok(Response { result, decision: Some(d) })
}

/// Most bytes of keys and values in one encryption context (the vendor's limit on its
/// JSON text is 8,192 characters): it is bound into every ciphertext as authenticated data.
pub const MAX_ENCRYPTION_CONTEXT_BYTES: usize = 8192;

fn encryption_context(p: &mut Params<'_>, name: &'static str) -> Result<IdMap<String, String>> {
    let ctx = p.opt_map(name)?.unwrap_or_default();
    let bytes = ctx.iter().fold(0usize, |n, (k, v)| n.saturating_add(k.len()).saturating_add(v.len()));
    if bytes > MAX_ENCRYPTION_CONTEXT_BYTES {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            Rule::Cr2,
            format!("{name} holds {bytes} bytes of keys and values; at most {MAX_ENCRYPTION_CONTEXT_BYTES}"),
        )
        .at_field(name));
    }
    Ok(ctx)
}

impl Engine {
    /// Route a `kms:` action.
    pub(crate) fn kms(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let Some((action, _)) = canonical_action(&call.action) else {
            return Err(Error::invalid(
                "action",
                Rule::Ram3,
                format!("unknown KMS action `{}`", shorten(&call.action)),
            ));
        };
        match action {
            "kms:GetKmsInstance"
            | "kms:AttachVpc"
            | "kms:DetachVpc"
            | "kms:UpgradeInstance"
            | "kms:RenewInstance"
            | "kms:EnableInstance"
            | "kms:DisableInstance"
            | "kms:SetInstanceSharingMode"
            | "kms:GetInstanceQuota" => self.instance_op(call, p, action),
            "kms:CreateKey" => self.create_key(call, p),
            "kms:CreateSecret" => self.create_secret(call, p),
            "kms:CreateApplicationAccessPoint" => self.create_access_point(call, p),
            "kms:Encrypt" | "kms:GenerateDataKey" | "kms:GenerateDataKeyWithoutPlaintext" => {
                self.encrypt_op(call, p, action)
            }
            "kms:Decrypt" => self.decrypt_op(call, p),
            "kms:ReEncrypt" => self.re_encrypt(call, p),
            "kms:GetSecretValue"
            | "kms:PutSecretValue"
            | "kms:DescribeSecret"
            | "kms:DeleteSecret"
            | "kms:RestoreSecret"
            | "kms:UpdateSecretRotationPolicy" => self.secret_op(call, p, action),
            "kms:TagResource" | "kms:UntagResource" | "kms:CreateBackup" if p.has("SecretName") => {
                self.secret_op(call, p, action)
            }
            _ => self.key_op(call, p, action),
        }
    }

    fn create_key(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let inst_id = p.parse("InstanceId", InstanceId::parse)?;
        let c = common(p)?;
        let spec = p.opt_str("KeySpec")?.unwrap_or(KEY_SPEC);
        if spec != KEY_SPEC {
            return Err(Error::invalid(
                "KeySpec",
                Rule::Cr1,
                format!("KeySpec must be `{KEY_SPEC}`, not `{}`", shorten(spec)),
            ));
        }
        let description = p.opt_str("Description")?.unwrap_or("").to_string();
        if description.chars().count() > 8192 {
            return Err(Error::invalid("Description", Rule::Cr1, "Description is at most 8192 characters"));
        }
        let tags = p.opt_map("Tags")?.unwrap_or_default();
        let rotation = match (p.opt_bool("EnableAutomaticRotation")?, p.opt_str("RotationInterval")?) {
            (Some(true), Some(i)) => Some(parse_interval("RotationInterval", i)?),
            (Some(true), None) => Some(365 * DAY),
            _ => None,
        };
        let fixed = p.opt_parse("KeyId", KeyId::parse)?;
        p.finish()?;
        let inst = self.instance(&inst_id)?;
        let d = self.authorize_instance(call, "kms:CreateKey", &inst_id, c.region.as_ref(), &c.context)?;
        let id = match fixed {
            Some(k) if self.state.keys.contains_key(&k) => {
                return Err(Error::new(ErrorCode::AlreadyExists, Rule::Cr1, format!("key {k} already exists")))
            }
            Some(k) => k,
            None => KeyId::parse(&self.new_id("key-")?)?,
        };
        let handle = self.generate_material(&inst_id, &format!("{id}/v1"))?;
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
        self.trace.resource = arn.clone();
        self.state.index_key(&key);
        self.state.keys.insert(id.clone(), key);
        respond(
            obj!("KeyId": id, "Arn": arn, "InstanceId": inst_id, "KeyVersion": 1, "Creator": call.caller.account),
            d,
        )
    }

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

    fn key_op(&mut self, call: &Call, p: &mut Params<'_>, action: &'static str) -> Result<Response> {
        let c = common(p)?;
        // DeleteAlias names the alias, not the key.
        let alias_param = if matches!(action, "kms:CreateAlias" | "kms:DeleteAlias") {
            Some(p.parse("AliasName", AliasName::parse)?)
        } else {
            None
        };
        let key_ref = if action == "kms:DeleteAlias" { None } else { Some(p.str("KeyId")?) };
        let id = match (key_ref, &alias_param) {
            (Some(r), _) => self.resolve_key("KeyId", r, &call.caller.account)?,
            (None, Some(a)) => self.resolve_key("AliasName", a.as_str(), &call.caller.account)?,
            (None, None) => return Err(p.missing("KeyId")),
        };
        let mut result = obj!("KeyId": id);
        // Read the action's own params before deciding, so bad input stops first.
        let window = if action == "kms:ScheduleKeyDeletion" {
            Some(days_in(p, "PendingWindowInDays", None, 7, 366, Rule::Cr3)?)
        } else {
            None
        };
        let protection = if action == "kms:SetDeletionProtection" {
            Some(p.opt_bool("EnableDeletionProtection")?.ok_or_else(|| p.missing("EnableDeletionProtection"))?)
        } else {
            None
        };
        let rotation = if action == "kms:UpdateRotationPolicy" {
            let on = p.opt_bool("EnableAutomaticRotation")?.ok_or_else(|| p.missing("EnableAutomaticRotation"))?;
            let iv = p.opt_str("RotationInterval")?;
            Some(match (on, iv) {
                (true, Some(i)) => Some(parse_interval("RotationInterval", i)?),
                (true, None) => Some(365 * DAY),
                (false, _) => None,
            })
        } else {
            None
        };
        let tags =
            if action == "kms:TagResource" { Some(p.opt_map("Tags")?.ok_or_else(|| p.missing("Tags"))?) } else { None };
        let tag_keys = if action == "kms:UntagResource" {
            Some(p.opt_list("TagKeys", false)?.ok_or_else(|| p.missing("TagKeys"))?)
        } else {
            None
        };
        p.finish()?;
        let (target, _) = self.key_target(&id)?;
        let d = self.authorize(call, action, &target, c.region.as_ref(), &c.context)?;
        let key = self.state.keys.get(&id).cloned().ok_or_else(|| Error::not_found("key", id.as_str()))?;
        match action {
            "kms:DescribeKey" => {
                result = obj!("KeyMetadata": key_metadata(&key, &self.state.aliases_of(&id), &self.state));
            }
            "kms:EnableKey" | "kms:DisableKey" => {
                let enable = action == "kms:EnableKey";
                match key.state {
                    KeyState::PendingDeletion { .. } => {
                        return Err(Error::new(
                            ErrorCode::InvalidState,
                            Rule::Cr3,
                            format!("key {id} is pending deletion; cancel the deletion first"),
                        ))
                    }
                    KeyState::Enabled if enable => {
                        return Err(Error::new(
                            ErrorCode::InvalidState,
                            Rule::Cr1,
                            format!("key {id} is already enabled"),
                        ))
                    }
                    KeyState::Disabled if !enable => {
                        return Err(Error::new(
                            ErrorCode::InvalidState,
                            Rule::Cr1,
                            format!("key {id} is already disabled"),
                        ))
                    }
                    _ => {}
                }
                if let Some(k) = self.state.keys.get_mut(&id) {
                    k.state = if enable { KeyState::Enabled } else { KeyState::Disabled };
                }
                result = obj!("KeyId": id, "KeyState": if enable { "Enabled" } else { "Disabled" });
            }
            "kms:CreateKeyVersion" => {
                let v = self.rotate_key(&id, call.at)?;
                result = obj!("KeyId": id, "KeyVersion": v);
            }
            "kms:UpdateRotationPolicy" => {
                let interval = rotation.flatten();
                self.state.unschedule(&Due::RotateKey(id.clone()));
                if let Some(k) = self.state.keys.get_mut(&id) {
                    k.rotation_interval = interval;
                    // The interval counts from now, not from the last version (no back-dated rotations).
                    k.next_rotation_at = interval.map(|i| call.at.saturating_add(i));
                }
                if let Some(t) = self.state.keys.get(&id).and_then(next_rotation) {
                    self.state.schedule(t, Due::RotateKey(id.clone()));
                }
                result = obj!("KeyId": id, "RotationInterval": interval);
            }
            "kms:ScheduleKeyDeletion" => {
                if key.deletion_protection {
                    return Err(Error::new(
                        ErrorCode::DeletionProtected,
                        Rule::Cr3,
                        format!("key {id} has deletion protection; disable it before scheduling deletion"),
                    ));
                }
                if matches!(key.state, KeyState::PendingDeletion { .. }) {
                    return Err(Error::new(
                        ErrorCode::InvalidState,
                        Rule::Cr3,
                        format!("key {id} is already pending deletion"),
                    ));
                }
                let days = window.unwrap_or(30);
                let delete_at = call.at.saturating_add(days * DAY);
                if let Some(k) = self.state.keys.get_mut(&id) {
                    k.state = KeyState::PendingDeletion { delete_at };
                }
                self.state.schedule(delete_at, Due::DeleteKey(id.clone()));
                result = obj!("KeyId": id, "KeyState": "PendingDeletion", "DeleteAt": crate::time::format(delete_at));
            }
            "kms:CancelKeyDeletion" => {
                if !matches!(key.state, KeyState::PendingDeletion { .. }) {
                    return Err(Error::new(
                        ErrorCode::InvalidState,
                        Rule::Cr3,
                        format!("key {id} is not pending deletion"),
                    ));
                }
                if let Some(k) = self.state.keys.get_mut(&id) {
                    k.state = KeyState::Enabled;
                }
                self.state.unschedule(&Due::DeleteKey(id.clone()));
                result = obj!("KeyId": id, "KeyState": "Enabled");
            }
            "kms:SetDeletionProtection" => {
                let on = protection.unwrap_or(false);
                if let Some(k) = self.state.keys.get_mut(&id) {
                    k.deletion_protection = on;
                }
                result = obj!("KeyId": id, "DeletionProtection": on);
            }
            "kms:CreateAlias" => {
                let name =
                    alias_param.ok_or_else(|| Error::invalid("AliasName", Rule::Sm3, "AliasName is required"))?;
                self.create_alias(&key, name)?;
                result = obj!("KeyId": id, "AliasName": self.state.aliases_of(&id));
            }
            "kms:DeleteAlias" => {
                let name =
                    alias_param.ok_or_else(|| Error::invalid("AliasName", Rule::Sm3, "AliasName is required"))?;
                let region = self
                    .state
                    .region_of(&key.instance)
                    .cloned()
                    .ok_or_else(|| Error::not_found("instance", key.instance.as_str()))?;
                let arn = alias_arn(&region, &key.creator, &name);
                let alias = self.state.aliases.remove(&arn).ok_or_else(|| Error::not_found("alias", name.as_str()))?;
                let mut index = core::mem::take(&mut self.state.index);
                index_alias(&mut index, &self.state, &alias, false);
                self.state.index = index;
                result = obj!("AliasName": name);
            }
            "kms:TagResource" => {
                let tags = tags.unwrap_or_default();
                if let Some(k) = self.state.keys.get_mut(&id) {
                    k.tags.extend(tags);
                    if k.tags.len() > 64 {
                        let n = k.tags.len();
                        *k = key.clone();
                        return Err(Error::new(
                            ErrorCode::LimitExceeded,
                            None,
                            format!("a key has at most 64 tags, not {n}"),
                        ));
                    }
                }
                result = obj!("KeyId": id, "Tags": self.state.keys.get(&id).map(|k| k.tags.clone()));
            }
            "kms:UntagResource" => {
                if let Some(k) = self.state.keys.get_mut(&id) {
                    for t in tag_keys.unwrap_or_default() {
                        k.tags.remove(&t);
                    }
                }
                result = obj!("KeyId": id, "Tags": self.state.keys.get(&id).map(|k| k.tags.clone()));
            }
            "kms:CreateBackup" => {
                let bid = self.new_id("backup-")?;
                let arn = self.state.key_arn(&key);
                self.state.backups.insert(
                    bid.clone(),
                    Backup { id: bid.clone(), resource: arn, instance: key.instance.clone(), created_at: call.at },
                );
                result = obj!("BackupId": bid, "KeyId": id);
            }
            _ => {}
        }
        respond(result, d)
    }

    /// SM-3: in Joint ownership a name is unique in the instance; always unique per
    /// account and region (the ARN).
    fn check_name(
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

    fn create_access_point(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let inst_id = p.parse("InstanceId", InstanceId::parse)?;
        let name = p.parse("Name", RamName::parse)?;
        let c = common(p)?;
        p.finish()?;
        let inst = self.instance(&inst_id)?;
        let d =
            self.authorize_instance(call, "kms:CreateApplicationAccessPoint", &inst_id, c.region.as_ref(), &c.context)?;
        let arn = format!("acs:kms:{}:{}:applicationaccesspoint/{}", inst.region, call.caller.account, name);
        if self.state.access_points.contains_key(&arn) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                None,
                format!("application access point `{name}` already exists"),
            ));
        }
        self.state.access_points.insert(
            arn.clone(),
            AccessPoint { name: name.clone(), instance: inst_id.clone(), creator: call.caller.account.clone() },
        );
        respond(obj!("Arn": arn, "Name": name, "InstanceId": inst_id), d)
    }

    // ---- cryptographic operations (CR-2) ----

    /// Encrypt `plaintext` under the key's current version; returns the base64 blob and version.
    fn seal_with(&mut self, id: &KeyId, plaintext: &[u8], ctx: &IdMap<String, String>) -> Result<(String, u32)> {
        let key = self.state.keys.get(id).ok_or_else(|| Error::not_found("key", id.as_str()))?;
        match key.state {
            KeyState::Enabled => {}
            KeyState::Disabled => {
                return Err(Error::new(
                    ErrorCode::InvalidState,
                    Rule::Cr3,
                    format!("key {id} is disabled and cannot encrypt"),
                ))
            }
            KeyState::PendingDeletion { .. } => {
                return Err(Error::new(
                    ErrorCode::InvalidState,
                    Rule::Cr3,
                    format!("key {id} is pending deletion and cannot encrypt"),
                ))
            }
        }
        let v = key
            .versions
            .last()
            .ok_or_else(|| Error::new(ErrorCode::InvalidState, Rule::Cr1, format!("key {id} has no version")))?;
        if v.encryptions >= blob::MAX_ENCRYPTIONS_PER_VERSION {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                Rule::Cr1,
                format!("key version {} of {id} reached its limit of 2^32 encryptions; rotate the key (kms:CreateKeyVersion)", v.version),
            ));
        }
        let (version, handle, inst) = (v.version, v.handle.clone(), key.instance.clone());
        let mut nonce = [0u8; 12];
        self.rng.fill(&mut nonce)?;
        let aad = blob::aad(id.as_str(), version, ctx);
        let ct = self.backend_for_mut(&inst).encrypt(&handle, &nonce, &aad, plaintext)?;
        if let Some(k) = self.state.keys.get_mut(id) {
            if let Some(last) = k.versions.last_mut() {
                last.encryptions += 1;
            }
        }
        let b = blob::encode(&blob::BlobHeader { key_id: id.to_string(), key_version: version, nonce }, &ct);
        Ok((b64_encode(&b), version))
    }

    /// Open a base64 blob: structural problems are `InvalidParameter`, anything else `DecryptFailed`.
    fn open_blob(&self, field: &str, b64: &str, ctx: &IdMap<String, String>, id: &KeyId) -> Result<(Vec<u8>, u32)> {
        let raw = b64_decode(field, b64).map_err(|mut e| {
            e.rule = Some(Rule::Cr2);
            e
        })?;
        let (h, ct) = blob::decode(&raw).map_err(|e| e.at_field(field))?;
        let key = self.state.keys.get(id).ok_or_else(Error::decrypt_failed)?;
        if key.state == KeyState::Disabled {
            return Err(Error::new(
                ErrorCode::InvalidState,
                Rule::Cr3,
                format!("key {id} is disabled and cannot decrypt"),
            ));
        }
        let v = key.versions.iter().find(|v| v.version == h.key_version).ok_or_else(Error::decrypt_failed)?;
        let aad = blob::aad(&h.key_id, h.key_version, ctx);
        // No backend made yet holds no material: the opaque refusal an empty one gives.
        let backend = self.backend_for(&key.instance).ok_or_else(Error::decrypt_failed)?;
        let pt = backend.decrypt(&v.handle, &h.nonce, &aad, ct)?;
        Ok((pt, h.key_version))
    }

    /// The key a blob names, for the decision; unknown keys are the opaque `DecryptFailed`.
    fn blob_key(&self, field: &str, b64: &str) -> Result<KeyId> {
        let raw = b64_decode(field, b64).map_err(|mut e| {
            e.rule = Some(Rule::Cr2);
            e
        })?;
        let (h, _) = blob::decode(&raw).map_err(|e| e.at_field(field))?;
        let id = KeyId::parse(&h.key_id).map_err(|_| Error::decrypt_failed())?;
        if self.state.keys.contains_key(&id) {
            Ok(id)
        } else {
            Err(Error::decrypt_failed())
        }
    }

    fn encrypt_op(&mut self, call: &Call, p: &mut Params<'_>, action: &'static str) -> Result<Response> {
        let key_ref = p.str("KeyId")?;
        let c = common(p)?;
        let ctx = encryption_context(p, "EncryptionContext")?;
        let plaintext: zeroize::Zeroizing<Vec<u8>> = if action == "kms:Encrypt" {
            let s = p.str("Plaintext")?;
            if s.is_empty() {
                return Err(Error::invalid("Plaintext", Rule::Cr2, "Plaintext must not be empty"));
            }
            if s.len() > blob::MAX_PLAINTEXT {
                return Err(Error::new(
                    ErrorCode::LimitExceeded,
                    Rule::Cr2,
                    format!(
                        "Plaintext is {} bytes; Encrypt takes at most {} (6 KiB); use GenerateDataKey for more",
                        s.len(),
                        blob::MAX_PLAINTEXT
                    ),
                )
                .at_field("Plaintext"));
            }
            zeroize::Zeroizing::new(s.as_bytes().to_vec())
        } else {
            let n = p.opt_u64("NumberOfBytes")?;
            let spec = p.opt_str("KeySpec")?;
            let n = match (n, spec) {
                (Some(n), _) => n,
                (None, None) | (None, Some("AES_256")) => 32,
                (None, Some("AES_128")) => 16,
                (None, Some(o)) => {
                    return Err(Error::invalid(
                        "KeySpec",
                        Rule::Cr2,
                        format!("KeySpec must be `AES_256` or `AES_128`, not `{}`", shorten(o)),
                    ))
                }
            };
            if !(1..=1024).contains(&n) {
                return Err(Error::invalid(
                    "NumberOfBytes",
                    Rule::Cr2,
                    format!("NumberOfBytes must be 1 to 1024, not {n}"),
                ));
            }
            let mut dk = zeroize::Zeroizing::new(alloc::vec![0u8; n as usize]);
            self.rng.fill(&mut dk)?;
            // The data key travels as base64 text, so that Decrypt returns exactly the Plaintext given here.
            zeroize::Zeroizing::new(b64_encode(&dk).into_bytes())
        };
        p.finish()?;
        let id = self.resolve_key("KeyId", key_ref, &call.caller.account)?;
        let (target, _) = self.key_target(&id)?;
        let d = self.authorize(call, action, &target, c.region.as_ref(), &c.context)?;
        let (blob_b64, version) = self.seal_with(&id, &plaintext, &ctx)?;
        let mut result = obj!("KeyId": id, "KeyVersion": version, "CiphertextBlob": blob_b64);
        if action == "kms:GenerateDataKey" {
            if let Some(o) = result.as_object_mut() {
                o.insert("Plaintext".to_string(), Value::String(String::from_utf8_lossy(&plaintext).into_owned()));
            }
        }
        respond(result, d)
    }

    fn decrypt_op(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let b = p.str("CiphertextBlob")?;
        let c = common(p)?;
        let ctx = encryption_context(p, "EncryptionContext")?;
        p.finish()?;
        let id = self.blob_key("CiphertextBlob", b)?;
        let (target, _) = self.key_target(&id)?;
        let d = self.authorize(call, "kms:Decrypt", &target, c.region.as_ref(), &c.context)?;
        let (pt, version) = self.open_blob("CiphertextBlob", b, &ctx, &id)?;
        let pt = zeroize::Zeroizing::new(pt);
        let text = core::str::from_utf8(&pt).map_err(|_| Error::decrypt_failed())?;
        respond(obj!("KeyId": id, "KeyVersion": version, "Plaintext": text), d)
    }

    fn re_encrypt(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let b = p.str("CiphertextBlob")?;
        let dest_ref = p.str("DestinationKeyId")?;
        let c = common(p)?;
        let src_ctx = encryption_context(p, "SourceEncryptionContext")?;
        let dst_ctx = encryption_context(p, "DestinationEncryptionContext")?;
        p.finish()?;
        let src = self.blob_key("CiphertextBlob", b)?;
        let dst = self.resolve_key("DestinationKeyId", dest_ref, &call.caller.account)?;
        let (src_target, _) = self.key_target(&src)?;
        self.authorize(call, "kms:ReEncrypt", &src_target, c.region.as_ref(), &c.context)?;
        let (dst_target, _) = self.key_target(&dst)?;
        let d = self.authorize(call, "kms:ReEncrypt", &dst_target, c.region.as_ref(), &c.context)?;
        let (pt, _) = self.open_blob("CiphertextBlob", b, &src_ctx, &src)?;
        let pt = zeroize::Zeroizing::new(pt);
        let (blob_b64, version) = self.seal_with(&dst, &pt, &dst_ctx)?;
        respond(obj!("KeyId": dst, "KeyVersion": version, "SourceKeyId": src, "CiphertextBlob": blob_b64), d)
    }

    // ---- secrets (CR-4) ----

    fn secret_context(arn: &str, version: &str) -> IdMap<String, String> {
        let mut m = IdMap::new();
        m.insert("SecretArn".to_string(), arn.to_string());
        m.insert("VersionId".to_string(), version.to_string());
        m
    }

    fn create_secret(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let name = p.parse("SecretName", SecretName::parse)?;
        let data = p.str("SecretData")?;
        let key_ref = p.str("EncryptionKeyId")?;
        let version = p.opt_str("VersionId")?.unwrap_or("v1").to_string();
        let description = p.opt_str("Description")?.unwrap_or("").to_string();
        let tags = p.opt_map("Tags")?.unwrap_or_default();
        let c = common(p)?;
        p.finish()?;
        check_secret_value(data, &version)?;
        let key_id = self.resolve_key("EncryptionKeyId", key_ref, &call.caller.account)?;
        let inst_id =
            self.state.keys.get(&key_id).map(|k| k.instance.clone()).ok_or_else(|| Error::not_found("key", key_ref))?;
        let inst = self.instance(&inst_id)?;
        let d = self.authorize_instance(call, "kms:CreateSecret", &inst_id, c.region.as_ref(), &c.context)?;
        // Protecting a secret with a key needs the right to encrypt with that key.
        let (kt, _) = self.key_target(&key_id)?;
        self.authorize(call, "kms:Encrypt", &kt, c.region.as_ref(), &c.context)?;
        let acct = call.caller.account.clone();
        let arn = crate::state::secret_arn(&inst.region, &acct, &name);
        self.trace.resource = arn.clone();
        self.check_name(&inst_id, NameKind::Secret, name.as_str(), &acct, self.state.secrets.contains_key(&arn))?;
        let (ct, _) = self.seal_with(&key_id, data.as_bytes(), &Self::secret_context(&arn, &version))?;
        let mut stages = IdSet::new();
        stages.insert("ACSCurrent".to_string());
        let secret = Secret {
            name: name.clone(),
            instance: inst_id.clone(),
            creator: acct,
            key: key_id.clone(),
            versions: alloc::vec![SecretVersion {
                version_id: version.clone(),
                stages,
                ciphertext: ct,
                created_at: call.at
            }],
            delete_at: None,
            rotation_interval: None,
            tags,
            description,
            created_at: call.at,
        };
        index_secret(&mut self.state.index, &arn, &secret, true);
        self.state.secrets.insert(arn.clone(), secret);
        respond(obj!("Arn": arn, "SecretName": name, "VersionId": version, "InstanceId": inst_id), d)
    }

    fn secret_op(&mut self, call: &Call, p: &mut Params<'_>, action: &'static str) -> Result<Response> {
        let r = p.str("SecretName")?;
        let c = common(p)?;
        let mut put = None;
        let mut get = (None, None);
        let mut window = None;
        let mut force = false;
        let mut rotation = None;
        let mut tags = None;
        let mut tag_keys = None;
        match action {
            "kms:PutSecretValue" => {
                let data = p.str("SecretData")?;
                let v = p.str("VersionId")?;
                check_secret_value(data, v)?;
                put = Some((data, v));
            }
            "kms:GetSecretValue" => get = (p.opt_str("VersionId")?, p.opt_str("VersionStage")?),
            "kms:DeleteSecret" => {
                force = p.opt_bool("ForceDeleteWithoutRecovery")?.unwrap_or(false);
                window = Some(days_in(p, "RecoveryWindowInDays", Some(30), 7, 30, Rule::Cr4)?);
            }
            "kms:UpdateSecretRotationPolicy" => {
                let on = p.opt_bool("EnableAutomaticRotation")?.ok_or_else(|| p.missing("EnableAutomaticRotation"))?;
                rotation = Some(if on {
                    Some(parse_interval("RotationInterval", p.opt_str("RotationInterval")?.unwrap_or("30d"))?)
                } else {
                    None
                });
            }
            "kms:TagResource" => tags = Some(p.opt_map("Tags")?.ok_or_else(|| p.missing("Tags"))?),
            "kms:UntagResource" => tag_keys = Some(p.opt_list("TagKeys", false)?.ok_or_else(|| p.missing("TagKeys"))?),
            _ => {}
        }
        p.finish()?;
        let arn = self.resolve_secret("SecretName", r, &call.caller.account)?;
        let target = self.secret_target(&arn)?;
        let d = self.authorize(call, action, &target, c.region.as_ref(), &c.context)?;
        let secret = self.state.secrets.get(&arn).cloned().ok_or_else(|| Error::not_found("secret", r))?;
        let pending = secret.delete_at.is_some();
        if pending && !matches!(action, "kms:RestoreSecret" | "kms:DescribeSecret" | "kms:DeleteSecret") {
            return Err(Error::new(
                ErrorCode::InvalidState,
                Rule::Cr4,
                format!("secret `{}` is pending deletion; restore it first (kms:RestoreSecret)", secret.name),
            ));
        }
        let result = match action {
            "kms:GetSecretValue" => {
                let (vid, stage) = get;
                let stage = if vid.is_none() && stage.is_none() { Some("ACSCurrent") } else { stage };
                let v = secret
                    .versions
                    .iter()
                    .find(|v| vid.is_none_or(|id| v.version_id == id) && stage.is_none_or(|s| v.stages.contains(s)))
                    .ok_or_else(|| Error::not_found("secret version", vid.or(stage).unwrap_or("ACSCurrent")))?;
                let (pt, _) = self.open_blob(
                    "SecretData",
                    &v.ciphertext,
                    &Self::secret_context(&arn, &v.version_id),
                    &secret.key,
                )?;
                let pt = zeroize::Zeroizing::new(pt);
                let text = core::str::from_utf8(&pt).map_err(|_| Error::decrypt_failed())?;
                obj!("SecretName": secret.name, "VersionId": v.version_id, "VersionStages": v.stages, "SecretData": text)
            }
            "kms:PutSecretValue" => {
                let (data, vid) =
                    put.ok_or_else(|| Error::invalid("SecretData", Rule::Cr4, "SecretData is required"))?;
                if secret.versions.iter().any(|v| v.version_id == vid) {
                    return Err(Error::new(
                        ErrorCode::AlreadyExists,
                        Rule::Cr4,
                        format!("version `{}` of secret `{}` already exists", shorten(vid), secret.name),
                    ));
                }
                if secret.versions.len() >= MAX_SECRET_VERSIONS {
                    return Err(Error::new(
                        ErrorCode::LimitExceeded,
                        Rule::Cr4,
                        format!("secret `{}` already has {MAX_SECRET_VERSIONS} versions", secret.name),
                    ));
                }
                let (ct, _) = self.seal_with(&secret.key, data.as_bytes(), &Self::secret_context(&arn, vid))?;
                if let Some(s) = self.state.secrets.get_mut(&arn) {
                    for v in &mut s.versions {
                        v.stages.remove("ACSPrevious");
                        if v.stages.remove("ACSCurrent") {
                            v.stages.insert("ACSPrevious".to_string());
                        }
                    }
                    let mut stages = IdSet::new();
                    stages.insert("ACSCurrent".to_string());
                    s.versions.push(SecretVersion {
                        version_id: vid.to_string(),
                        stages,
                        ciphertext: ct,
                        created_at: call.at,
                    });
                }
                obj!("SecretName": secret.name, "VersionId": vid, "VersionStages": ["ACSCurrent"])
            }
            "kms:DescribeSecret" => secret_metadata(&arn, &secret),
            "kms:DeleteSecret" => {
                if pending && !force {
                    return Err(Error::new(
                        ErrorCode::InvalidState,
                        Rule::Cr4,
                        format!("secret `{}` is already pending deletion", secret.name),
                    ));
                }
                if force {
                    self.remove_secret(&arn);
                    obj!("SecretName": secret.name, "Deleted": true)
                } else {
                    let at = call.at.saturating_add(window.unwrap_or(30) * DAY);
                    if let Some(s) = self.state.secrets.get_mut(&arn) {
                        s.delete_at = Some(at);
                    }
                    self.state.schedule(at, Due::DeleteSecret(arn.clone()));
                    obj!("SecretName": secret.name, "PlannedDeleteTime": crate::time::format(at))
                }
            }
            "kms:RestoreSecret" => {
                if !pending {
                    return Err(Error::new(
                        ErrorCode::InvalidState,
                        Rule::Cr4,
                        format!("secret `{}` is not pending deletion", secret.name),
                    ));
                }
                if let Some(s) = self.state.secrets.get_mut(&arn) {
                    s.delete_at = None;
                }
                self.state.unschedule(&Due::DeleteSecret(arn.clone()));
                obj!("SecretName": secret.name)
            }
            "kms:UpdateSecretRotationPolicy" => {
                let iv = rotation.flatten();
                if let Some(s) = self.state.secrets.get_mut(&arn) {
                    s.rotation_interval = iv;
                }
                obj!("SecretName": secret.name, "RotationInterval": iv)
            }
            "kms:TagResource" | "kms:UntagResource" => {
                if let Some(s) = self.state.secrets.get_mut(&arn) {
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
                obj!("SecretName": secret.name, "Tags": self.state.secrets.get(&arn).map(|s| s.tags.clone()))
            }
            "kms:CreateBackup" => {
                let bid = self.new_id("backup-")?;
                self.state.backups.insert(
                    bid.clone(),
                    Backup {
                        id: bid.clone(),
                        resource: arn.clone(),
                        instance: secret.instance.clone(),
                        created_at: call.at,
                    },
                );
                obj!("BackupId": bid, "SecretName": secret.name)
            }
            _ => obj!(),
        };
        respond(result, d)
    }
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

fn secret_metadata(arn: &str, s: &Secret) -> Value {
    obj!(
        "Arn": arn,
        "SecretName": s.name,
        "InstanceId": s.instance,
        "Creator": s.creator,
        "EncryptionKeyId": s.key,
        "Versions": s.versions.iter().map(|v| obj!("VersionId": v.version_id, "VersionStages": v.stages)).collect::<Vec<_>>(),
        "PlannedDeleteTime": s.delete_at.map(crate::time::format),
        "RotationInterval": s.rotation_interval,
        "Tags": s.tags,
        "Description": s.description,
    )
}
