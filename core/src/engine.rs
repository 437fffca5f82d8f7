//! The engine: the state, the key backends and the randomness every call uses, and the
//! helpers the calls share (resolving keys and secrets, decision targets, time passing).
//! The calls themselves, and [`Engine::execute`] that drives them, are in
//! `core/src/ops/`; the queries in [`crate::query`].

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::authz::{instance_target, Target};
use crate::crypto::RandomSource;
use crate::decision::Decision;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::*;
use crate::keystore::{KeyBackend, SoftwareBackend};
use crate::matrix::ResourceKind;
use crate::model::*;
use crate::ops::gate::AuditRef;
use crate::rules::Rule;
use crate::state::{instance_arn, State};

/// One call: who, what, with which parameters, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    /// The caller, a RAM identity.
    pub caller: Identity,
    /// The vendor API name (`CreateFolder`, `kms:Encrypt`, ...).
    pub action: String,
    /// Parameters with the vendor's PascalCase names.
    #[serde(default)]
    pub params: Value,
    /// When (seconds since the epoch).
    pub at: Timestamp,
    /// The vocabulary the call speaks.
    #[serde(default)]
    pub dialect: Dialect,
}

/// The vocabulary a call speaks: the vendor's (version 2 documents and hosts' calls) or
/// that of version 1 documents, mapped onto it (`core/src/v1.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dialect {
    /// Version 1 documents' names and result shapes.
    V1,
    /// The vendor's names and nesting.
    #[default]
    V2,
}

/// The result of a successful call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The result document.
    pub result: Value,
    /// For KMS calls, the decision that allowed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

/// The engine: state, key backends and randomness.
pub struct Engine {
    pub(crate) state: State,
    /// Made on first use: an engine that only decides (a page's policy-only export)
    /// never creates one, so a build that only decides compiles no cipher code.
    pub(crate) software: Option<Box<dyn KeyBackend>>,
    pub(crate) hardware: Option<Box<dyn KeyBackend>>,
    pub(crate) rng: Box<dyn RandomSource>,
    /// Whether an allowed call's response carries its explained decision (see
    /// [`Engine::explain_allowed`]).
    pub(crate) explain_allowed: bool,
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("state", &self.state)
            .field("software", &self.software.as_ref().map(|s| s.name()))
            .finish()
    }
}

/// Seconds in a day.
pub const DAY: u64 = 86_400;

impl Engine {
    /// A new engine with an empty organization and `rng` (the software key backend is
    /// made on first use).
    pub fn new(rng: Box<dyn RandomSource>) -> Self {
        Engine { state: State::new(), software: None, hardware: None, rng, explain_allowed: true }
    }

    /// Whether an allowed call on a KMS resource answers with its explained decision
    /// (`Response::decision`: each check's rule and detail), as it does by default. A
    /// host that never shows it (the vendor's endpoint, whose responses have no place
    /// for it) turns this off, and an allowed call then decides by effect alone: the
    /// same checks in the same order, no text built. A denial is always explained: its
    /// `AccessDenied` carries the whole decision.
    pub fn explain_allowed(&mut self, yes: bool) {
        self.explain_allowed = yes;
    }

    /// Draw the random bytes of later calls (ids, keys, nonces) from `rng`: for a host
    /// that serves an engine built or loaded with another source (`kms-share serve`'s
    /// source records what each call draws, for its log).
    pub fn set_random_source(&mut self, rng: Box<dyn RandomSource>) {
        self.rng = rng;
    }

    /// Use `backend` for the keys of hardware instances (a PKCS#11 token). Without
    /// one, hardware instances keep their keys in the software backend.
    pub fn set_hardware_backend(&mut self, backend: Box<dyn KeyBackend>) {
        self.hardware = Some(backend);
    }

    /// The state (read only).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Replace the state (loading a policy-only export or a test fixture). Key
    /// material is not touched: keys whose handles are missing cannot encrypt.
    pub fn replace_state(&mut self, mut state: State) {
        state.rebuild_index();
        self.state = state;
    }

    /// Mutable state, for tamper tests.
    pub fn state_mut(&mut self) -> &mut State {
        &mut self.state
    }

    /// The backend holding the keys of `instance`; none before the software backend's
    /// first use (then it holds nothing).
    pub(crate) fn backend_for(&self, instance: &InstanceId) -> Option<&dyn KeyBackend> {
        let hw = self.state.instances.get(instance).map(|i| i.kind == InstanceKind::Hardware).unwrap_or(false);
        match (&self.hardware, hw) {
            (Some(h), true) => Some(h.as_ref()),
            _ => self.software.as_deref(),
        }
    }

    /// True if the backend of `instance` holds the material `handle`.
    pub(crate) fn has_material(&self, instance: &InstanceId, handle: &str) -> bool {
        self.backend_for(instance).is_some_and(|b| b.contains(handle))
    }

    pub(crate) fn backend_for_mut(&mut self, instance: &InstanceId) -> &mut dyn KeyBackend {
        let hw = self.state.instances.get(instance).map(|i| i.kind == InstanceKind::Hardware).unwrap_or(false);
        match (&mut self.hardware, hw) {
            (Some(h), true) => h.as_mut(),
            _ => self.software.get_or_insert_with(|| Box::new(SoftwareBackend::new())).as_mut(),
        }
    }

    /// Generate new key material for a key version of `instance`, in its backend.
    pub(crate) fn generate_material(&mut self, instance: &InstanceId, label: &str) -> Result<String> {
        let hw = self.state.instances.get(instance).map(|i| i.kind == InstanceKind::Hardware).unwrap_or(false);
        let rng = self.rng.as_mut();
        match (&mut self.hardware, hw) {
            (Some(h), true) => h.generate(label, rng),
            _ => self.software.get_or_insert_with(|| Box::new(SoftwareBackend::new())).generate(label, rng),
        }
    }

    // ---- shared helpers for the operation modules ----

    /// A fresh id: `prefix` + 16 lowercase letters and digits from the RNG.
    pub(crate) fn new_id(&mut self, prefix: &str) -> Result<String> {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut raw = [0u8; 16];
        self.rng.fill(&mut raw)?;
        let mut s = String::with_capacity(prefix.len() + 16);
        s.push_str(prefix);
        for b in raw {
            let c = ALPHABET.get((b as usize) % ALPHABET.len()).copied().unwrap_or(b'a');
            s.push(c as char);
        }
        Ok(s)
    }

    /// A fresh 16-digit account id.
    pub(crate) fn new_account_id(&mut self) -> Result<AccountId> {
        loop {
            let mut raw = [0u8; 16];
            self.rng.fill(&mut raw)?;
            let mut s = String::with_capacity(16);
            for (i, b) in raw.iter().enumerate() {
                let d = if i == 0 { 1 + b % 9 } else { b % 10 };
                s.push((b'0' + d) as char);
            }
            let id = AccountId::parse(&s)?;
            if !self.state.accounts.contains_key(&id) {
                return Ok(id);
            }
        }
    }

    /// The directory, or `NotFound` (RD-1).
    pub(crate) fn directory(&self) -> Result<&Directory> {
        self.state.directory.as_ref().ok_or_else(|| {
            Error::new(ErrorCode::NotFound, Rule::Rd1, "no resource directory is enabled yet (EnableResourceDirectory)")
        })
    }

    /// The instance, or `NotFound`.
    pub(crate) fn instance(&self, id: &InstanceId) -> Result<&Instance> {
        self.state.instances.get(id).ok_or_else(|| Error::not_found("instance", id.as_str()))
    }

    /// What an audit event names for a resource of `instance` (AT-1: its owner sees it).
    pub(crate) fn kms_audit(&self, instance: &InstanceId, arn: String) -> AuditRef {
        AuditRef {
            resource: arn,
            instance: Some(instance.clone()),
            owner: self.state.instances.get(instance).map(|i| i.owner.clone()),
        }
    }

    /// An instance as a decision target, with its audit reference.
    pub(crate) fn instance_target(&self, id: &InstanceId) -> (Target, AuditRef) {
        let t = instance_target(&self.state, id);
        let arn = self.state.instances.get(id).map(instance_arn).unwrap_or_default();
        (t, self.kms_audit(id, arn))
    }

    /// Resolve a key reference (key id, `alias/...` or ARN) as seen by `account`.
    ///
    /// # Errors
    /// `NotFound`, or `InvalidParameter` when an alias is ambiguous.
    pub(crate) fn resolve_key(&self, field: &str, r: &str, account: &AccountId) -> Result<KeyId> {
        self.key_of(field, r, account).map(|(id, _)| id.clone())
    }

    /// [`Self::resolve_key`] without copying: the key's id as the state holds it, and the
    /// key itself when the reference named it directly (an id or a key ARN; an alias's key
    /// is not looked up here), so that a caller needing both looks the key up once.
    pub(crate) fn key_of(&self, field: &str, r: &str, account: &AccountId) -> Result<(&KeyId, Option<&Key>)> {
        if r.starts_with("alias/") {
            let name = AliasName::parse(r).map_err(|e| e.at_field(field))?;
            let arn = self.pick(self.state.index.alias_arns.get(&name), account, field, r)?;
            return self.state.aliases.get(&arn).map(|a| (&a.key, None)).ok_or_else(|| Error::not_found("alias", r));
        }
        if let Some(rest) = r.strip_prefix("acs:kms:") {
            if let Some((_, tail)) = rest.rsplit_once(":key/") {
                // The whole ARN must be the key's (region and creator account), RAM-3.
                let k = self.existing_key(field, tail)?;
                return if self.state.key_arn(k) == r { Ok((&k.id, Some(k))) } else { Err(Error::not_found("key", r)) };
            }
            if let Some((_, tail)) = rest.rsplit_once(":alias/") {
                let full = format!("alias/{tail}");
                let arn = r.to_string();
                let _ = AliasName::parse(&full).map_err(|e| e.at_field(field))?;
                return self
                    .state
                    .aliases
                    .get(&arn)
                    .map(|a| (&a.key, None))
                    .ok_or_else(|| Error::not_found("alias", r));
            }
            return Err(Error::invalid(field, Rule::Ram3, format!("`{}` is not a key or alias ARN", shorten(r))));
        }
        self.existing_key(field, r).map(|k| (&k.id, Some(k)))
    }

    fn existing_key(&self, field: &str, id: &str) -> Result<&Key> {
        let id = KeyId::parse(id).map_err(|e| e.at_field(field))?;
        self.state.keys.get(&id).ok_or_else(|| Error::not_found("key", id.as_str()))
    }

    /// Resolve a secret reference (name or ARN) as seen by `account`, to its ARN.
    pub(crate) fn resolve_secret(&self, field: &str, r: &str, account: &AccountId) -> Result<String> {
        if r.starts_with("acs:kms:") {
            return if self.state.secrets.contains_key(r) {
                Ok(r.to_string())
            } else {
                Err(Error::not_found("secret", r))
            };
        }
        let name = SecretName::parse(r).map_err(|e| e.at_field(field))?;
        self.pick(self.state.index.secret_arns.get(&name), account, field, r)
    }

    /// Pick among ARNs carrying one name: the caller's own first, else the only one.
    fn pick(
        &self,
        arns: Option<&crate::idmap::IdSet<String>>,
        account: &AccountId,
        field: &str,
        r: &str,
    ) -> Result<String> {
        let arns =
            arns.ok_or_else(|| Error::not_found(if field.contains("Secret") { "secret" } else { "alias" }, r))?;
        let mine = format!(":{account}:");
        let own: Vec<&String> = arns.iter().filter(|a| a.contains(&mine)).collect();
        match (own.as_slice(), arns.len()) {
            ([one], _) => Ok((*one).clone()),
            ([], 1) => arns.iter().next().cloned().ok_or_else(|| Error::not_found("resource", r)),
            _ => Err(Error::invalid(
                field,
                Rule::Sm3,
                format!("`{}` names resources of several accounts or regions; pass the ARN", shorten(r)),
            )),
        }
    }

    /// The decision target of a key, with its audit reference.
    pub(crate) fn key_target(&self, id: &KeyId) -> Result<(Target, AuditRef)> {
        let key = self.state.keys.get(id).ok_or_else(|| Error::not_found("key", id.as_str()))?;
        let inst = self.instance(&key.instance)?;
        let arn = crate::state::key_arn(&inst.region, &key.creator, &key.id);
        let audit =
            AuditRef { resource: arn.clone(), instance: Some(inst.id.clone()), owner: Some(inst.owner.clone()) };
        let tags = key.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let target = Target::Kms {
            instance: key.instance.clone(),
            kind: ResourceKind::Key,
            creator: Some(key.creator.clone()),
            arn,
            tags,
        };
        Ok((target, audit))
    }

    /// The decision target of a secret, with its audit reference.
    pub(crate) fn secret_target(&self, arn: &str) -> Result<(Target, AuditRef)> {
        let s = self.state.secrets.get(arn).ok_or_else(|| Error::not_found("secret", arn))?;
        let audit = self.kms_audit(&s.instance, arn.to_string());
        let tags = s.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let target = Target::Kms {
            instance: s.instance.clone(),
            kind: ResourceKind::Secret,
            creator: Some(s.creator.clone()),
            arn: arn.to_string(),
            tags,
        };
        Ok((target, audit))
    }

    /// Process what is due by `now`: scheduled key and secret deletions and automatic rotations.
    pub(crate) fn advance_time(&mut self, now: Timestamp) {
        while let Some((when, item)) = self.state.take_due(now) {
            match item {
                crate::state::Due::DeleteKey(id) => self.destroy_key(&id, now),
                crate::state::Due::DeleteSecret(arn) => self.remove_secret(&arn),
                crate::state::Due::RotateKey(id) => self.rotate_when_due(&id, when, now),
            }
        }
    }

    /// Remove a key for good: material destroyed, aliases removed. When the backend
    /// cannot destroy the material now (a token out of reach), the key stays pending
    /// and the destruction is retried a minute later: nothing is left behind in the HSM.
    pub(crate) fn destroy_key(&mut self, id: &KeyId, now: Timestamp) {
        let Some(key) = self.state.keys.get(id).cloned() else { return };
        let mut failed = false;
        for v in &key.versions {
            if self.has_material(&key.instance, &v.handle)
                && self.backend_for_mut(&key.instance).destroy(&v.handle).is_err()
            {
                failed = true;
            }
        }
        if failed {
            self.state.schedule(now.saturating_add(60), crate::state::Due::DeleteKey(id.clone()));
            return;
        }
        self.state.keys.remove(id);
        for a in self.state.aliases_of(id) {
            if let Some(region) = self.state.region_of(&key.instance).cloned() {
                let arn = crate::state::alias_arn(&region, &key.creator, &a);
                if let Some(alias) = self.state.aliases.remove(&arn) {
                    let mut index = core::mem::take(&mut self.state.index);
                    crate::state::index_alias(&mut index, &self.state, &alias, false);
                    self.state.index = index;
                }
            }
        }
        self.state.unindex_key(&key);
    }

    /// Remove a secret for good.
    pub(crate) fn remove_secret(&mut self, arn: &str) {
        if let Some(s) = self.state.secrets.remove(arn) {
            crate::state::index_secret(&mut self.state.index, arn, &s, false);
            self.state.unschedule(&crate::state::Due::DeleteSecret(arn.to_string()));
        }
    }
}

/// Parse an interval such as `30d`, `720h` or `2592000s` into seconds.
pub(crate) fn parse_interval(field: &str, s: &str) -> Result<u64> {
    let bad = || {
        Error::invalid(
            field,
            Rule::Cr1,
            format!("`{}` is not an interval like `30d`, `720h` or `2592000s`", shorten(s)),
        )
    };
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mul = match unit {
        "d" => DAY,
        "h" => 3600,
        "m" => 60,
        "s" | "" => 1,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(mul).ok_or_else(bad)?;
    if !(DAY * 7..=DAY * 365 * 10).contains(&secs) {
        return Err(Error::invalid(
            field,
            Rule::Cr1,
            format!("the rotation interval must be 7 days to 10 years, not `{}`", shorten(s)),
        ));
    }
    Ok(secs)
}

/// A JSON object from `(key, value)` pairs, in order (what `obj!` builds).
pub(crate) fn object(fields: &mut [(&str, Value)]) -> Value {
    let mut map = serde_json::Map::with_capacity(fields.len());
    for (key, value) in fields.iter_mut() {
        map.insert(String::from(*key), core::mem::take(value));
    }
    Value::Object(map)
}

/// `value` as JSON. serde_json fails only for a map whose keys are not strings, which no
/// result holds; that would be `null`.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_string(value).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null)
}
