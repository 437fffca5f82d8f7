//! The gate every state-changing call passes: a handler starts with a [`Pending`] call,
//! which reads the engine but cannot change it, and gets the engine to change only from
//! [`Pending::decide`], which makes the call's decisions (AZ-1) and fails on a Deny. A
//! [`Reply`], the only thing a handler can return on success, is made by [`Allowed`], so
//! a handler that forgets to decide does not compile. The gate also records what the
//! call's audit event names (AT-1): the target decided, or what the call created.

use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};
use serde_json::Value;

use crate::action::Action;
use crate::authz::{self, decide, Request, Target};
use crate::decision::Decision;
use crate::engine::{Call, Engine, Response};
use crate::error::{Error, Result};
use crate::ids::{AccountId, Identity, InstanceId, Region};
use crate::policy::Context;

/// What a call's audit event names (AT-1): the resource, and the instance whose owner
/// sees the event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuditRef {
    /// The resource acted on (an ARN), or empty.
    pub resource: alloc::string::String,
    /// The instance involved.
    pub instance: Option<InstanceId>,
    /// That instance's owner.
    pub owner: Option<AccountId>,
}

impl AuditRef {
    /// A resource outside any instance.
    pub fn resource(arn: impl Into<alloc::string::String>) -> Self {
        AuditRef { resource: arn.into(), instance: None, owner: None }
    }
}

/// One request for a decision: the call's own caller and action unless it says otherwise.
#[derive(Debug, Clone)]
pub(crate) struct Ask {
    caller: Option<Identity>,
    action: Action,
    target: Target,
    region: Option<Region>,
    context: Context,
    audit: AuditRef,
}

impl Ask {
    /// Decide `action` on `target`; the audit event will name `audit`.
    pub fn new(action: Action, target: Target, audit: AuditRef) -> Self {
        Ask { caller: None, action, target, region: None, context: Context::default(), audit }
    }

    /// The region the call is made in (KI-6) and its condition keys (RAM-2).
    pub fn within(mut self, region: Option<Region>, context: Context) -> Self {
        self.region = region;
        self.context = context;
        self
    }

    /// Decide for another identity than the caller (the owner of a share, whose
    /// instances the share holds).
    pub fn for_caller(mut self, caller: Identity) -> Self {
        self.caller = Some(caller);
        self
    }
}

/// A call that has not been decided yet: it reads the engine, it cannot change it.
pub(crate) struct Pending<'e> {
    engine: &'e mut Engine,
    call: &'e Call,
    action: Action,
    audit: &'e mut AuditRef,
}

/// A call whose every decision allowed it: it changes the engine and makes the reply.
pub(crate) struct Allowed<'e> {
    engine: &'e mut Engine,
    call: &'e Call,
    audit: &'e mut AuditRef,
    /// The decision the reply shows: `None` for a call on no KMS resource, or when the
    /// engine does not explain allowed calls.
    decision: Option<Decision>,
}

/// What a handler returns: made only by [`Allowed::reply`].
pub(crate) struct Reply(Response);

impl Reply {
    /// The response.
    pub fn into_response(self) -> Response {
        self.0
    }
}

impl<'e> Pending<'e> {
    /// A call of `engine`, recording its audit reference in `audit`.
    pub(super) fn new(engine: &'e mut Engine, call: &'e Call, action: Action, audit: &'e mut AuditRef) -> Self {
        Pending { engine, call, action, audit }
    }

    /// The call.
    pub fn call(&self) -> &'e Call {
        self.call
    }

    /// The call's action (a handler may serve several).
    pub fn action(&self) -> Action {
        self.action
    }

    /// Name what the call acts on before it is decided, so that an error found on the
    /// way (a missing object, a bad state) is recorded against it.
    pub fn about(&mut self, audit: AuditRef) {
        *self.audit = audit;
    }

    /// Decide one request; a Deny is `AccessDenied` carrying the decision.
    ///
    /// # Errors
    /// `AccessDenied`.
    pub fn decide(self, ask: Ask) -> Result<Allowed<'e>> {
        self.decide_all(alloc::vec![ask], 0)
    }

    /// Decide every request in order, the first Deny failing the call; the decision the
    /// reply shows (for calls on KMS resources) is the `shown`-th.
    ///
    /// # Errors
    /// `AccessDenied` for the first request denied.
    pub fn decide_all(self, asks: Vec<Ask>, shown: usize) -> Result<Allowed<'e>> {
        if asks.is_empty() {
            return Err(Error::invalid("action", None, "a call decides at least one request"));
        }
        // The shown decision is the `shown`-th, or the first when there is none such.
        let shown = if shown < asks.len() { shown } else { 0 };
        let mut kept = None;
        for (i, ask) in asks.into_iter().enumerate() {
            let Ask { caller, action, target, region, context, audit } = ask;
            *self.audit = audit;
            let req = Request {
                caller: caller.as_ref().unwrap_or(&self.call.caller),
                action,
                target: &target,
                region: region.as_ref(),
                context: &context,
            };
            let show = i == shown && matches!(target, Target::Kms { .. });
            // Explained only when it is shown or denied: an allowed decision nobody
            // reads is decided by effect alone (the same checks, no text).
            if show && self.engine.explain_allowed {
                let d = decide(&self.engine.state, &req);
                if !d.allowed() {
                    return Err(Error::denied(d));
                }
                kept = Some(d);
            } else if !authz::allows(&self.engine.state, &req) {
                return Err(Error::denied(decide(&self.engine.state, &req)));
            }
        }
        Ok(Allowed { engine: self.engine, call: self.call, audit: self.audit, decision: kept })
    }
}

impl Deref for Pending<'_> {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        self.engine
    }
}

impl Allowed<'_> {
    /// The call.
    pub fn call(&self) -> &Call {
        self.call
    }

    /// Name what the call created (a new key, share, folder): its audit event names it.
    pub fn created(&mut self, audit: AuditRef) {
        *self.audit = audit;
    }

    /// The reply: the result document, and the decision for calls on KMS resources.
    pub fn reply(self, result: Value) -> Reply {
        Reply(Response { result, decision: self.decision })
    }
}

impl Deref for Allowed<'_> {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        self.engine
    }
}

impl DerefMut for Allowed<'_> {
    fn deref_mut(&mut self) -> &mut Engine {
        self.engine
    }
}
