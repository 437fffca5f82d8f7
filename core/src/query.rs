//! Queries that change nothing: `explain`, `who_can`, `access_matrix`, `what_if`,
//! and the audit trail's lookup and verification (AT-1, AT-2).

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::action::Action;
use crate::authz::{decide, denied_by, effect_of, instance_target, CheckName, Decision, Effect, Request, Target};
use crate::crypto::SeededRng;
use crate::engine::{Call, Engine, Response};
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::{IdMap, IdSet};
use crate::ids::*;
use crate::matrix::{features_for, representative_action, Feature, ResourceKind};
use crate::model::SharingMode;
use crate::params::Params;
use crate::policy::Context;
use crate::rules::Rule;
use crate::state::{QuotaUsage, State};

/// One identity allowed by `who_can`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allowed {
    /// The identity.
    pub identity: String,
    /// Its account.
    pub account: AccountId,
    /// `owner` or `principal`.
    pub role: String,
    /// The share through which a principal reaches the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_share: Option<String>,
    /// Why: the detail of the RAM and ownership checks.
    pub reason: String,
    /// Set when the identity may or may not be allowed: the decision is Undetermined
    /// (an imported instance's unknown sharing mode, SM-1; a policy an import could not
    /// read), and this says what it depends on. Listed rather than left out: a review
    /// must not miss a possible user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undetermined: Option<String>,
}

/// One identity of an access matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixIdentity {
    /// The identity.
    pub identity: String,
    /// Its account.
    pub account: AccountId,
    /// `owner` or `principal`.
    pub role: String,
}

/// One resource of an access matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixResource {
    /// The ARN.
    pub arn: String,
    /// Instance, key or secret.
    pub kind: ResourceKind,
    /// A short name (key id, secret name, instance id).
    pub name: String,
    /// The creator account (keys and secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<AccountId>,
}

/// One cell: may this identity use this feature on this resource?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixCell {
    /// Index into `identities`.
    pub identity: usize,
    /// Index into `resources`.
    pub resource: usize,
    /// The feature (matrix row).
    pub feature: Feature,
    /// The representative action decided.
    pub action: String,
    /// Allow, Deny or Undetermined.
    pub effect: Effect,
    /// For a Deny, the failing check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_by: Option<CheckName>,
    /// For Undetermined, the check that depends on what the engine was not told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undetermined_by: Option<CheckName>,
}

/// The access matrix of one instance: identities x resources x features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessMatrix {
    /// The instance.
    pub instance_id: InstanceId,
    /// Its owner.
    pub owner: AccountId,
    /// Its sharing mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing_mode: Option<SharingMode>,
    /// Its quota figures.
    pub quota: QuotaUsage,
    /// Rows.
    pub identities: Vec<MatrixIdentity>,
    /// Resources.
    pub resources: Vec<MatrixResource>,
    /// Cells.
    pub cells: Vec<MatrixCell>,
}

/// The identities of an account: root, users, roles.
fn identities_of(state: &State, account: &AccountId) -> Vec<Identity> {
    let mut out = alloc::vec![Identity::root(account.clone())];
    if let Some(r) = state.ram.get(account) {
        out.extend(r.users.keys().map(|n| Identity { account: account.clone(), kind: IdentityKind::User(n.clone()) }));
        out.extend(r.roles.keys().map(|n| Identity { account: account.clone(), kind: IdentityKind::Role(n.clone()) }));
    }
    out
}

/// The owner first, then every account that reaches the instance (index range, no scan).
fn accounts_reaching(state: &State, inst: &InstanceId) -> Vec<(AccountId, &'static str)> {
    let mut out = Vec::new();
    if let Some(i) = state.instances.get(inst) {
        out.push((i.owner.clone(), "owner"));
    }
    for a in state.index.access.get(inst).into_iter().flat_map(IdMap::keys) {
        out.push((a.clone(), "principal"));
    }
    out
}

/// Resolve what `Explain` and `WhoCan` name: an instance id or ARN, key id, alias, secret name or ARN.
pub fn resolve_target(engine: &Engine, resource: &str, caller: &AccountId) -> Result<Target> {
    let state = &engine.state;
    if resource.starts_with("kst-") {
        let id = InstanceId::parse(resource).map_err(|e| e.at_field("Resource"))?;
        if !state.instances.contains_key(&id) {
            return Ok(Target::Unknown { arn: resource.to_string(), why: format!("instance {id} does not exist") });
        }
        return Ok(instance_target(state, &id));
    }
    // An instance ARN, as the access matrix lists it: only the exact ARN (region and
    // owner) names the instance; any other is unknown (AZ-3), never a near match.
    // The prefix is tested first, so that key ids (most resources) are never searched.
    let instance_arn = if resource.starts_with("acs:kms:") { resource.split_once(":instance/") } else { None };
    if let Some((_, id)) = instance_arn {
        let id = InstanceId::parse(id).map_err(|e| e.at_field("Resource"))?;
        return Ok(match state.instances.get(&id) {
            Some(i) if crate::state::instance_arn(i) == resource => instance_target(state, &id),
            _ => Target::Unknown {
                arn: resource.to_string(),
                why: format!("`{}` names no instance of this organization", shorten(resource)),
            },
        });
    }
    // `:secret/` after any colon. Splitting at the colons is a byte search; a substring
    // searcher's set-up showed in profiles of every key id's resolution.
    let is_secret = resource.split(':').skip(1).any(|part| part.starts_with("secret/"))
        || !(resource.starts_with("key-") || resource.starts_with("alias/") || resource.starts_with("acs:"));
    if is_secret {
        return match engine.resolve_secret("Resource", resource, caller) {
            Ok(arn) => {
                let s = state.secrets.get(&arn).ok_or_else(|| Error::not_found("secret", resource))?;
                Ok(Target::Kms {
                    instance: s.instance.clone(),
                    kind: ResourceKind::Secret,
                    creator: Some(s.creator.clone()),
                    arn,
                    tags: s.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                })
            }
            Err(e) if e.code == ErrorCode::NotFound => Ok(Target::Unknown {
                arn: resource.to_string(),
                why: format!("secret `{}` does not exist", shorten(resource)),
            }),
            Err(e) => Err(e),
        };
    }
    match engine.key_of("Resource", resource, caller) {
        Ok((id, k)) => {
            let k = k.or_else(|| state.keys.get(id)).ok_or_else(|| Error::not_found("key", resource))?;
            Ok(Target::Kms {
                instance: k.instance.clone(),
                kind: ResourceKind::Key,
                creator: Some(k.creator.clone()),
                arn: state.key_arn(k),
                tags: k.tags.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
            })
        }
        Err(e) if e.code == ErrorCode::NotFound => Ok(Target::Unknown {
            arn: resource.to_string(),
            why: format!("key `{}` does not exist", shorten(resource)),
        }),
        Err(e) => Err(e),
    }
}

/// The action a query names, in the RAM form (`kms:Encrypt`); an unknown one is bad
/// input, as it is for a call (RAM-3).
pub fn parse_action(action: &str) -> Result<Action> {
    if action.is_empty() || action.len() > 128 || !action.contains(':') {
        return Err(Error::invalid(
            "Action",
            Rule::Ram3,
            format!("`{}` is not an action like `{}`", shorten(action), Action::Encrypt.ram()),
        ));
    }
    Action::parse_ram(action).ok_or_else(|| {
        Error::invalid(
            "Action",
            Rule::Ram3,
            format!("unknown action `{}`; see docs/scenario-format.md", shorten(action)),
        )
    })
}

impl Engine {
    /// Explain: the full decision for `caller` doing `action` on `resource` (AZ-2).
    ///
    /// # Errors
    /// `InvalidParameter` for a malformed action or resource name. An unknown
    /// resource, identity or action is a Deny decision, not an error (AZ-3).
    pub fn explain(
        &self,
        caller: &Identity,
        action: &str,
        resource: &str,
        region: Option<&Region>,
        context: &Context,
    ) -> Result<Decision> {
        self.ask(caller, action, resource, region, context, decide)
    }

    /// The effect of [`Engine::explain`] without its explanations (the fast path of
    /// in-page checks and batches): `None` for Allow, else the first failing check.
    ///
    /// # Errors
    /// As [`Engine::explain`].
    pub fn denied_by(
        &self,
        caller: &Identity,
        action: &str,
        resource: &str,
        region: Option<&Region>,
        context: &Context,
    ) -> Result<Option<CheckName>> {
        self.ask(caller, action, resource, region, context, denied_by)
    }

    /// Validate the action, resolve the resource, and put the request to `answer` (the
    /// explained or the effect-only decision).
    fn ask<T>(
        &self,
        caller: &Identity,
        action: &str,
        resource: &str,
        region: Option<&Region>,
        context: &Context,
        answer: fn(&State, &Request<'_>) -> T,
    ) -> Result<T> {
        let action = parse_action(action)?;
        let target = resolve_target(self, resource, &caller.account)?;
        Ok(answer(&self.state, &Request { caller, action, target: &target, region, context }))
    }

    /// Who can: every identity allowed to perform `action` on `resource`, with the reason.
    ///
    /// # Errors
    /// As [`Engine::explain`].
    pub fn who_can(&self, action: &str, resource: &str) -> Result<Vec<Allowed>> {
        let action = parse_action(action)?;
        let placeholder = AccountId::parse("0000000000000000")?;
        let target = resolve_target(self, resource, &placeholder)?;
        let inst = match &target {
            Target::Kms { instance, .. } => instance.clone(),
            _ => return Ok(Vec::new()),
        };
        let ctx = Context::default();
        let mut out = Vec::new();
        for (acct, role) in accounts_reaching(&self.state, &inst) {
            for id in identities_of(&self.state, &acct) {
                let req = Request { caller: &id, action, target: &target, region: None, context: &ctx };
                // Most identities are denied: only the others pay for the explanation.
                if effect_of(&self.state, &req).0 == Effect::Deny {
                    continue;
                }
                let d = decide(&self.state, &req);
                let reason = d
                    .checks
                    .iter()
                    .filter(|c| matches!(c.check, CheckName::RamPolicy | CheckName::Ownership))
                    .map(|c| &*c.detail)
                    .collect::<Vec<&str>>()
                    .join("; ");
                out.push(Allowed {
                    identity: id.to_string(),
                    account: acct.clone(),
                    role: role.to_string(),
                    via_share: d.via_share,
                    reason,
                    undetermined: if d.effect == Effect::Undetermined { d.message } else { None },
                });
            }
        }
        Ok(out)
    }

    /// The access matrix of an instance for its current mode.
    ///
    /// # Errors
    /// `NotFound` for an unknown instance.
    pub fn access_matrix(&self, inst: &InstanceId) -> Result<AccessMatrix> {
        let state = &self.state;
        let i = state.instances.get(inst).ok_or_else(|| Error::not_found("instance", inst.as_str()))?;
        let mut identities = Vec::new();
        let mut ids = Vec::new();
        for (acct, role) in accounts_reaching(state, inst) {
            for id in identities_of(state, &acct) {
                identities.push(MatrixIdentity {
                    identity: id.to_string(),
                    account: acct.clone(),
                    role: role.to_string(),
                });
                ids.push(id);
            }
        }
        let mut resources = alloc::vec![MatrixResource {
            arn: crate::state::instance_arn(i),
            kind: ResourceKind::Instance,
            name: inst.to_string(),
            creator: None
        }];
        let mut targets = alloc::vec![instance_target(state, inst)];
        for k in state.keys_in(inst) {
            let arn = state.key_arn(k);
            resources.push(MatrixResource {
                arn: arn.clone(),
                kind: ResourceKind::Key,
                name: k.id.to_string(),
                creator: Some(k.creator.clone()),
            });
            targets.push(Target::Kms {
                instance: inst.clone(),
                kind: ResourceKind::Key,
                creator: Some(k.creator.clone()),
                arn,
                tags: k.tags.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
            });
        }
        for (arn, s) in state.secrets_in(inst) {
            resources.push(MatrixResource {
                arn: arn.clone(),
                kind: ResourceKind::Secret,
                name: s.name.to_string(),
                creator: Some(s.creator.clone()),
            });
            targets.push(Target::Kms {
                instance: inst.clone(),
                kind: ResourceKind::Secret,
                creator: Some(s.creator.clone()),
                arn: arn.clone(),
                tags: s.tags.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
            });
        }
        let ctx = Context::default();
        let mut cells = Vec::new();
        for (ii, id) in ids.iter().enumerate() {
            for (ri, (res, t)) in resources.iter().zip(targets.iter()).enumerate() {
                for f in features_for(res.kind) {
                    let action = representative_action(*f);
                    let (effect, by) =
                        effect_of(state, &Request { caller: id, action, target: t, region: None, context: &ctx });
                    cells.push(MatrixCell {
                        identity: ii,
                        resource: ri,
                        feature: *f,
                        action: action.ram().to_string(),
                        effect,
                        denied_by: by.filter(|_| effect == Effect::Deny),
                        undetermined_by: by.filter(|_| effect == Effect::Undetermined),
                    });
                }
            }
        }
        Ok(AccessMatrix {
            instance_id: inst.clone(),
            owner: i.owner.clone(),
            sharing_mode: i.sharing_mode,
            quota: state.used_quota(inst),
            identities,
            resources,
            cells,
        })
    }

    /// A copy of this engine for previews: same state, copied key material where
    /// the backend allows it, a fixed-seed RNG (the original's is not advanced).
    pub fn fork(&self) -> Engine {
        let software = self.software.as_ref().and_then(|s| s.fork());
        let hardware = self.hardware.as_ref().and_then(|h| h.fork());
        Engine {
            state: self.state.clone(),
            software,
            hardware,
            rng: Box::new(SeededRng::new(0x5eed_f0f0)),
            explain_allowed: self.explain_allowed,
        }
    }

    /// What if: apply `calls` to a copy and report the differences in access and
    /// quota (and the access matrix of every instance whose sharing changed).
    /// Changes nothing (RS-5's impact preview is a `what_if`).
    pub fn what_if(&self, calls: &[Call]) -> Value {
        let mut fork = self.fork();
        let mut steps = Vec::new();
        for c in calls {
            match fork.execute(c) {
                Ok(r) => steps.push(obj!("ok": true, "result": without_values(r.result))),
                Err(e) => steps.push(obj!("ok": false, "error": e)),
            }
        }
        let before = &self.state;
        let after = &fork.state;
        let mut instances: IdSet<InstanceId> = before.instances.keys().cloned().collect();
        instances.extend(after.instances.keys().cloned());
        let mut quota = Vec::new();
        let mut access = Vec::new();
        let mut matrix = Vec::new();
        for inst in &instances {
            let qb = before.used_quota(inst);
            let qa = after.used_quota(inst);
            let ab: IdSet<AccountId> = accounts_reaching(before, inst).into_iter().map(|(a, _)| a).collect();
            let aa: IdSet<AccountId> = accounts_reaching(after, inst).into_iter().map(|(a, _)| a).collect();
            let mode_changed =
                before.instances.get(inst).map(|i| i.sharing_mode) != after.instances.get(inst).map(|i| i.sharing_mode);
            if qb != qa {
                quota.push(obj!("InstanceId": inst, "Before": qb, "After": qa));
            }
            if ab != aa {
                access.push(obj!(
                    "InstanceId": inst,
                    "Gained": aa.iter().filter(|a| !ab.contains(*a)).collect::<Vec<_>>(),
                    "Lost": ab.iter().filter(|a| !aa.contains(*a)).collect::<Vec<_>>(),
                ));
            }
            if ab != aa || mode_changed || qb != qa {
                matrix.extend(matrix_diff(self, &fork, inst));
            }
        }
        obj!("Steps": steps, "Quota": quota, "Access": access, "Matrix": matrix)
    }
}

fn matrix_diff(before: &Engine, after: &Engine, inst: &InstanceId) -> Vec<Value> {
    let (Ok(mb), Ok(ma)) = (before.access_matrix(inst), after.access_matrix(inst)) else { return Vec::new() };
    // (identity, resource, feature) -> effect before and after, in the order of that
    // triple: the key's text joins identity and ARN with NUL, which sorts below every
    // character either may hold, then the feature's rank.
    let mut cells: IdMap<String, (&str, &str, Feature, [Effect; 2])> = IdMap::new();
    for (side, m) in [&mb, &ma].into_iter().enumerate() {
        for c in &m.cells {
            let (Some(id), Some(res)) = (m.identities.get(c.identity), m.resources.get(c.resource)) else { continue };
            let key = format!("{}\0{}\0{:03}", id.identity, res.arn, c.feature as u8);
            let cell = cells.entry(key).or_insert_with(|| (&id.identity, &res.arn, c.feature, [Effect::Deny; 2]));
            if let Some(e) = cell.3.get_mut(side) {
                *e = c.effect;
            }
        }
    }
    cells
        .values()
        .filter(|(.., [eb, ea])| eb != ea)
        .map(|(identity, resource, feature, [eb, ea])| {
            obj!("InstanceId": inst, "Identity": identity, "Resource": resource, "Feature": feature, "Before": eb, "After": ea)
        })
        .collect()
}

/// A previewed step's result without plaintexts, secret values or ciphertexts (CR-5).
/// A preview runs as whichever callers its steps name, so what they could read is not
/// the asker's to see; and the copy draws its nonces from a fixed seed under the real
/// keys, so two previews would show two ciphertexts under one nonce.
fn without_values(mut result: Value) -> Value {
    if let Some(o) = result.as_object_mut() {
        for field in ["Plaintext", "SecretData", "CiphertextBlob"] {
            o.remove(field);
        }
    }
    result
}

crate::request::request! {
    /// Explain (the simulator's): the full decision for the caller doing `Action` on
    /// `Resource` (AZ-2).
    pub struct ExplainRequest {
        required {
            /// An instance id or ARN, a key id, alias or ARN, a secret name or ARN.
            "Resource" resource: String,
        }
        optional {
            /// The RAM action, `kms:Encrypt` (required: this or `AuthAction`).
            "Action" action: String,
            /// The RAM action, under the name the vendor's wire leaves free (there
            /// `Action` names the call itself, `Explain`).
            "AuthAction" auth_action: String,
            /// The region the call would be made in (KI-6).
            "RegionId" region_id: Region,
            /// Condition keys for RAM policies (RAM-2).
            "RequestContext" request_context: crate::idmap::IdMap<String, String>,
        }
    }
}

crate::request::request! {
    /// WhoCan (the simulator's): every identity allowed to do `Action` on `Resource`.
    pub struct WhoCanRequest {
        required {
            /// The resource.
            "Resource" resource: String,
        }
        optional {
            /// The RAM action, `kms:Encrypt` (required: this or `AuthAction`).
            "Action" action: String,
            /// The RAM action, under the name the vendor's wire leaves free (there
            /// `Action` names the call itself, `WhoCan`).
            "AuthAction" auth_action: String,
        }
    }
}

crate::request::request! {
    /// AccessMatrix (the simulator's): an instance's identities x resources x features.
    pub struct AccessMatrixRequest {
        required {
            /// The instance.
            "InstanceId" instance_id: InstanceId,
        }
        optional {}
    }
}

crate::request::request! {
    /// WhatIf (the simulator's): steps previewed on a copy, and what they would change.
    pub struct WhatIfRequest {
        required {
            /// The steps, as a scenario document's.
            "Steps" steps: Value,
        }
        optional {}
    }
}

/// `Explain`: the full decision for the caller doing `Action` on `Resource` (AZ-2).
pub(crate) fn explain_call(e: &Engine, call: &Call, p: &mut Params<'_>) -> Result<Response> {
    let r = ExplainRequest::read(p)?;
    let action = asked_action(p, r.action, r.auth_action)?;
    let mut ctx = Context::default();
    for (k, v) in r.request_context.unwrap_or_default() {
        ctx.insert(&k, &v);
    }
    let d = e.explain(&call.caller, &action, &r.resource, r.region_id.as_ref(), &ctx)?;
    Ok(Response { result: crate::engine::to_json(&d), decision: Some(d) })
}

/// `WhoCan`: every identity allowed to do `Action` on `Resource`, with the reason.
pub(crate) fn who_can_call(e: &Engine, _call: &Call, p: &mut Params<'_>) -> Result<Response> {
    let r = WhoCanRequest::read(p)?;
    let action = asked_action(p, r.action, r.auth_action)?;
    let allowed = e.who_can(&action, &r.resource)?;
    let result = obj!("Action": parse_action(&action)?.ram(), "Resource": r.resource, "Allowed": allowed);
    Ok(Response { result, decision: None })
}

/// The action a question is about: `Action` in a document, `AuthAction` over the wire.
fn asked_action(p: &Params<'_>, action: Option<String>, auth_action: Option<String>) -> Result<String> {
    match (action, auth_action) {
        (Some(a), None) | (None, Some(a)) => Ok(a),
        (Some(_), Some(_)) => Err(Error::invalid("AuthAction", None, "give the action once: `Action` or `AuthAction`")),
        (None, None) => Err(p.missing("Action")),
    }
}

/// `AccessMatrix`: the instance's identities x resources x features.
pub(crate) fn access_matrix_call(e: &Engine, _call: &Call, p: &mut Params<'_>) -> Result<Response> {
    let r = AccessMatrixRequest::read(p)?;
    Ok(Response { result: crate::engine::to_json(&e.access_matrix(&r.instance_id)?), decision: None })
}

/// `WhatIf`: the steps previewed on a copy, and what they would change.
pub(crate) fn what_if_call(e: &Engine, call: &Call, p: &mut Params<'_>) -> Result<Response> {
    let r = WhatIfRequest::read(p)?;
    let calls = crate::scenario::calls_from(&r.steps, call.at, call.dialect)?;
    Ok(Response { result: e.what_if(&calls), decision: None })
}

impl crate::json::ToValue for Allowed {
    fn to_value(&self) -> serde_json::Value {
        crate::json::fields(&mut [
            ("identity", self.identity.to_value()),
            ("account", self.account.to_value()),
            ("role", self.role.to_value()),
            ("viaShare", self.via_share.to_value()),
            ("reason", self.reason.to_value()),
            ("undetermined", self.undetermined.to_value()),
        ])
    }
}
