//! The facade every binding wraps: an [`Organization`] holding an engine, with
//! JSON-shaped inputs and outputs. Bindings (Python, wasm) convert values and call
//! these methods; all meaning stays here.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::authz::{allows, CheckName, Decision, Request};
use crate::crypto::{RandomSource, SeededRng};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ids::{Identity, InstanceId, Region};
use crate::matrix::{features_for, MATRIX};
use crate::policy::Context;
use crate::query::{resolve_target, AccessMatrix, Allowed};
use crate::scenario::{self, RunOptions, RunResult, Runner, Step, StepResult};
use crate::state::State;

/// One request of a batch decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionRequest {
    /// The caller identity, `acs:ram::<account>:root|user/<n>|role/<n>`.
    pub caller: String,
    /// The action, e.g. `kms:Encrypt`.
    pub action: String,
    /// The resource: instance id, key id, alias, secret name or ARN.
    pub resource: String,
    /// The region the call is made in (KI-6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// A [`DecisionRequest`] whose texts are borrowed, for [`Organization::allowed_batch_of`]
/// and [`Organization::explain_batch_of`]: a binding can read a whole batch into one
/// buffer rather than allocate four strings per request (in the Python wheel those
/// allocations and their frees were a third of a batch's conversion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionRef<'a> {
    /// As [`DecisionRequest::caller`].
    pub caller: &'a str,
    /// As [`DecisionRequest::action`].
    pub action: &'a str,
    /// As [`DecisionRequest::resource`].
    pub resource: &'a str,
    /// As [`DecisionRequest::region`].
    pub region: Option<&'a str>,
}

impl DecisionRequest {
    /// The request, borrowed.
    pub fn borrowed(&self) -> DecisionRef<'_> {
        DecisionRef {
            caller: &self.caller,
            action: &self.action,
            resource: &self.resource,
            region: self.region.as_deref(),
        }
    }

    /// The caller and region, validated. The owned and the borrowed requests each have
    /// their path to the engine (this, `explain`, `denied_by`; `DecisionRef::parse`,
    /// `explain_ref`, `denied_by_ref`): the WebAssembly modules read owned requests only,
    /// and routing them through the borrowed path cost the whole engine's module 145 B,
    /// a third of the room left under its ceiling.
    fn parse(&self) -> Result<(Identity, Option<Region>)> {
        Ok((Identity::parse(&self.caller)?, self.region.as_deref().map(Region::parse).transpose()?))
    }
}

impl DecisionRef<'_> {
    /// As [`DecisionRequest::parse`].
    fn parse(&self) -> Result<(Identity, Option<Region>)> {
        Ok((Identity::parse(self.caller)?, self.region.map(Region::parse).transpose()?))
    }
}

/// An organization: the engine plus the scenario runner's bindings and clock.
pub struct Organization {
    runner: Runner,
    step_index: usize,
}

impl core::fmt::Debug for Organization {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Organization").field("engine", self.runner.engine()).finish()
    }
}

impl Organization {
    /// An empty organization. With `seed`, every id, nonce and key derives from it
    /// (tests and reproducible demos only); without, `rng` supplies randomness.
    ///
    /// # Errors
    /// Never in practice; the signature leaves room for a bad start time.
    pub fn new(seed: Option<u64>, rng: Box<dyn RandomSource>, start: Option<&str>) -> Result<Self> {
        let rng: Box<dyn RandomSource> = match seed {
            Some(s) => Box::new(SeededRng::new(s)),
            None => rng,
        };
        let now = crate::time::parse(start.unwrap_or(scenario::DEFAULT_START))?;
        Ok(Self::with_rng(rng, now))
    }

    /// An empty organization drawing on `rng`, its clock at `now` (what [`Organization::new`]
    /// makes without a seed; a build that only decides uses this one and compiles no
    /// seeded generator).
    pub fn with_rng(rng: Box<dyn RandomSource>, now: crate::model::Timestamp) -> Self {
        Organization { runner: Runner::with_engine(Engine::new(rng), now), step_index: 0 }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        self.runner.engine()
    }

    /// Whether an allowed call's response carries its explained decision (default yes;
    /// see [`Engine::explain_allowed`]).
    pub fn explain_allowed(&mut self, yes: bool) {
        self.runner.engine_mut().explain_allowed(yes);
    }

    /// Run a scenario document's steps on this organization (its seed and start
    /// apply only to a fresh organization; see [`Organization::from_scenario`]).
    ///
    /// # Errors
    /// `InvalidParameter` for a document that does not parse.
    pub fn run_scenario(&mut self, text: &str) -> Result<RunResult> {
        let sc = scenario::parse(text)?;
        let res = self.runner.run(&sc, RunOptions::default());
        self.step_index += sc.steps.len();
        Ok(res)
    }

    /// Run a scenario document on a fresh organization, honouring its seed and start.
    ///
    /// # Errors
    /// `InvalidParameter` for a document that does not parse.
    pub fn from_scenario(text: &str, rng: Box<dyn RandomSource>) -> Result<(Self, RunResult)> {
        Self::from_scenario_with(text, rng, RunOptions::default())
    }

    /// As [`Organization::from_scenario`], with run options (for example the check that
    /// failed steps change nothing, the CLIs' `--check`).
    ///
    /// # Errors
    /// `InvalidParameter` for a document that does not parse.
    pub fn from_scenario_with(text: &str, rng: Box<dyn RandomSource>, opts: RunOptions) -> Result<(Self, RunResult)> {
        let sc = scenario::parse(text)?;
        let mut runner = Runner::new(&sc, rng)?;
        let res = runner.run(&sc, opts);
        Ok((Organization { runner, step_index: sc.steps.len() }, res))
    }

    /// The organization a document describes, whichever it is: a scenario document (its
    /// steps run on a fresh organization) or a state document (`state()`, the policy
    /// export), loaded as [`Organization::load_state`] loads it. What `kms-share review`
    /// and `python -m kms_share review` take.
    ///
    /// # Errors
    /// `InvalidParameter` (field `document`) for text that is neither.
    pub fn from_document(text: &str, rng: Box<dyn RandomSource>) -> Result<Self> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid("document", None, alloc::format!("the document is not JSON: {e}")))?;
        if doc.get("steps").is_some() {
            return Self::from_scenario(text, rng).map(|(org, _)| org);
        }
        let state: State = crate::objects::from_value(doc).map_err(|e| {
            Error::invalid("document", None, alloc::format!("the document is neither a scenario nor a state: {e}"))
        })?;
        let mut org = Self::with_rng(rng, 0);
        org.load_state(state);
        Ok(org)
    }

    /// The organization a folder of saved vendor responses describes (docs/import.md),
    /// given as (relative path, text) pairs, and the import's counts. Its keys can be
    /// decided on, not used; what the responses could not say is in its `gaps`.
    ///
    /// # Errors
    /// As [`crate::import::import`].
    pub fn from_responses(
        files: &[(String, String)],
        rng: Box<dyn RandomSource>,
    ) -> Result<(Self, crate::import::Summary)> {
        let imported = crate::import::import(files)?;
        let mut org = Self::with_rng(rng, 0);
        org.load_state(imported.state);
        Ok((org, imported.summary))
    }

    /// Execute one step (`{caller, action, params, at?, bind?, expect?}`).
    ///
    /// # Errors
    /// `InvalidParameter` when the step is not a step; the call's own errors are in the result.
    pub fn step(&mut self, step: &Value) -> Result<StepResult> {
        let step =
            <Step as crate::json::FromJson>::from_json(step.clone()).map_err(|e| Error::invalid("step", None, e))?;
        let r = self.runner.run_step(self.step_index, &step, RunOptions::default());
        self.step_index += 1;
        Ok(r)
    }

    /// Make one call as `caller` (`acs:ram::<account>:root|user/<n>|role/<n>`) at `at`
    /// (`YYYY-MM-DDTHH:MM:SSZ`, default: the latest step's time, never earlier). The
    /// parameters are the user's data, passed as they are: nothing in them is templated
    /// (that is the scenario runner's), and test fixtures are not calls.
    ///
    /// # Errors
    /// `InvalidParameter` for a malformed caller or time; the call's own errors
    /// (`AccessDenied` carries the decision).
    pub fn call(
        &mut self,
        caller: &str,
        action: &str,
        params: Value,
        at: Option<&str>,
    ) -> Result<crate::engine::Response> {
        let caller = Identity::parse(caller).map_err(|e| e.at_field("caller"))?;
        let at = at.map(crate::time::parse).transpose().map_err(|e| e.at_field("at"))?;
        self.runner.call(caller, action, params, at)
    }

    /// Explain one request.
    ///
    /// # Errors
    /// `InvalidParameter` for a malformed caller, action or resource.
    pub fn explain(&self, req: &DecisionRequest) -> Result<Decision> {
        let (caller, region) = req.parse()?;
        self.engine().explain(&caller, &req.action, &req.resource, region.as_ref(), &Context::default())
    }

    fn explain_ref(&self, req: DecisionRef<'_>) -> Result<Decision> {
        let (caller, region) = req.parse()?;
        self.engine().explain(&caller, req.action, req.resource, region.as_ref(), &Context::default())
    }

    /// The effect of [`Organization::explain`] without explanations: `None` for Allow,
    /// else the first failing check.
    ///
    /// # Errors
    /// As [`Organization::explain`].
    pub fn denied_by(&self, req: &DecisionRequest) -> Result<Option<CheckName>> {
        let (caller, region) = req.parse()?;
        self.engine().denied_by(&caller, &req.action, &req.resource, region.as_ref(), &Context::default())
    }

    fn denied_by_ref(&self, req: DecisionRef<'_>) -> Result<Option<CheckName>> {
        let (caller, region) = req.parse()?;
        self.engine().denied_by(&caller, req.action, req.resource, region.as_ref(), &Context::default())
    }

    /// Many decisions in one call; each entry is a decision or the input error.
    pub fn explain_batch(&self, reqs: &[DecisionRequest]) -> Vec<Result<Decision>> {
        reqs.iter().map(|r| self.explain(r)).collect()
    }

    /// [`Organization::explain_batch`] of borrowed requests.
    pub fn explain_batch_of(&self, reqs: &[DecisionRef<'_>]) -> Vec<Result<Decision>> {
        reqs.iter().map(|r| self.explain_ref(*r)).collect()
    }

    /// Many yes/no answers in one call (the fast path: no explanations kept).
    /// Malformed requests answer `false` (fail closed, AZ-3).
    pub fn allowed_batch(&self, reqs: &[DecisionRequest]) -> Vec<bool> {
        // Every field of the request counts, the region included (KI-6): never answer
        // a question other than the one asked.
        reqs.iter().map(|r| matches!(self.denied_by(r), Ok(None))).collect()
    }

    /// [`Organization::allowed_batch`] of borrowed requests.
    pub fn allowed_batch_of(&self, reqs: &[DecisionRef<'_>]) -> Vec<bool> {
        reqs.iter().map(|r| matches!(self.denied_by_ref(*r), Ok(None))).collect()
    }

    /// In-page check: may `caller` do `action` on `resource`, for a call that names no
    /// region? Fails closed. (Use [`Organization::allowed_batch`] or
    /// [`Organization::explain`] to ask about a call from a given region.)
    pub fn is_allowed(&self, caller: &str, action: &str, resource: &str) -> bool {
        let Ok(caller) = Identity::parse(caller) else { return false };
        matches!(self.engine().denied_by(&caller, action, resource, None, &Context::default()), Ok(None))
    }

    /// The actions of the permission matrix that `caller` may perform on `resource`
    /// (what a console may enable).
    ///
    /// # Errors
    /// `InvalidParameter` for a malformed caller or resource.
    pub fn allowed_actions(&self, caller: &str, resource: &str) -> Result<Vec<String>> {
        let id = Identity::parse(caller)?;
        let target = resolve_target(self.engine(), resource, &id.account)?;
        let kind = match &target {
            crate::authz::Target::Kms { kind, .. } => *kind,
            _ => return Ok(Vec::new()),
        };
        let ctx = Context::default();
        let mut out: Vec<String> = Vec::new();
        for row in MATRIX.iter().filter(|r| r.resource == kind && features_for(kind).contains(&r.feature)) {
            for a in row.actions {
                if out.iter().any(|x| x == a.ram()) {
                    continue;
                }
                let req = Request { caller: &id, action: *a, target: &target, region: None, context: &ctx };
                if allows(&self.engine().state, &req) {
                    out.push(a.ram().to_string());
                }
            }
        }
        Ok(out)
    }

    /// Who can perform `action` on `resource`.
    ///
    /// # Errors
    /// As [`Engine::who_can`].
    pub fn who_can(&self, action: &str, resource: &str) -> Result<Vec<Allowed>> {
        self.engine().who_can(action, resource)
    }

    /// The access matrix of an instance.
    ///
    /// # Errors
    /// `InvalidParameter` or `NotFound` for the instance id.
    pub fn access_matrix(&self, instance: &str) -> Result<AccessMatrix> {
        self.engine().access_matrix(&InstanceId::parse(instance)?)
    }

    /// Preview steps on a copy (changes nothing).
    ///
    /// # Errors
    /// `InvalidParameter` for malformed steps.
    pub fn what_if(&self, steps: &Value) -> Result<Value> {
        let calls = scenario::calls_from(steps, self.runner_now(), crate::engine::Dialect::V2)?;
        Ok(self.engine().what_if(&calls))
    }

    fn runner_now(&self) -> u64 {
        self.runner.now()
    }

    /// The review of the organization: per instance who can use and manage what, and
    /// the findings with their rules and fixes (crate::review).
    ///
    /// # Errors
    /// Never in practice.
    pub fn review(&self) -> Result<crate::review::Review> {
        crate::review::review(self.engine())
    }

    /// The identity whose AccessKeys `caller` may manage with RAM's `action`
    /// (`CreateAccessKey`, …), `user` being the request's `UserName` (crate::accesskeys).
    ///
    /// # Errors
    /// As [`crate::accesskeys::owner`]; `InvalidParameter` for a malformed caller or user.
    pub fn access_key_owner(&self, caller: &str, action: &str, user: Option<&str>) -> Result<Identity> {
        let caller = Identity::parse(caller).map_err(|e| e.at_field("caller"))?;
        let user = user.filter(|u| !u.is_empty()).map(crate::ids::RamName::parse).transpose();
        let user = user.map_err(|e| e.at_field("UserName"))?;
        crate::accesskeys::owner(self.engine().state(), &caller, action, user.as_ref())
    }

    /// The role identity `caller` becomes by assuming the role `role_arn` (STS
    /// `AssumeRole`; crate::trust says when it may).
    ///
    /// # Errors
    /// As [`crate::trust::assume`]; `InvalidParameter` for a malformed caller.
    pub fn assume_role(&self, caller: &str, role_arn: &str) -> Result<Identity> {
        let caller = Identity::parse(caller).map_err(|e| e.at_field("caller"))?;
        crate::trust::assume(self.engine().state(), &caller, role_arn)
    }

    /// The state as plain JSON (no key material; secret values only as ciphertext).
    pub fn state(&self) -> &State {
        self.engine().state()
    }

    /// The policy-only export for in-page checks: no key material, no secret values.
    pub fn policy_export(&self) -> State {
        crate::snapshot::policy_export(self.engine().state())
    }

    /// Load a plain state (for example a policy-only export). Keys loaded this way
    /// have no material: decisions work, cryptography fails with `InvalidState`.
    pub fn load_state(&mut self, state: State) {
        self.runner.engine_mut().replace_state(state);
    }

    /// Save a sealed snapshot under a 32-byte root key (CR-5).
    ///
    /// # Errors
    /// As [`Engine::save_sealed`].
    pub fn save_sealed(&mut self, root: &[u8]) -> Result<String> {
        self.runner.engine_mut().save_sealed(root)
    }

    /// Save a sealed snapshot of format `version` (2 or 3) under a 32-byte root key (CR-5).
    ///
    /// # Errors
    /// As [`Engine::save_sealed_as`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn save_sealed_as(&mut self, root: &[u8], version: u32) -> Result<String> {
        self.runner.engine_mut().save_sealed_as(root, version)
    }

    /// Keep the keys of hardware instances in `backend` (a PKCS#11 token).
    pub fn set_hardware_backend(&mut self, backend: Box<dyn crate::keystore::KeyBackend>) {
        self.runner.engine_mut().set_hardware_backend(backend);
    }

    /// Load a sealed snapshot (CR-5).
    ///
    /// # Errors
    /// As [`Engine::load_sealed`].
    pub fn load_sealed(text: &str, root: &[u8], rng: Box<dyn RandomSource>) -> Result<Self> {
        Self::load_sealed_with(text, root, rng, None)
    }

    /// Load a sealed snapshot whose hardware instances keep their keys in `hardware`.
    ///
    /// # Errors
    /// As [`Engine::load_sealed`].
    pub fn load_sealed_with(
        text: &str,
        root: &[u8],
        rng: Box<dyn RandomSource>,
        hardware: Option<Box<dyn crate::keystore::KeyBackend>>,
    ) -> Result<Self> {
        let mut engine = Engine::new(rng);
        if let Some(h) = hardware {
            engine.set_hardware_backend(h);
        }
        engine.load_sealed_into(text, root)?;
        Ok(Self::of_loaded(engine))
    }

    /// Load a sealed snapshot, taking its text: freed once read, so that a large
    /// snapshot's text and its loaded state are not held at once (CR-5; see
    /// [`Engine::load_sealed_owned`]).
    ///
    /// # Errors
    /// As [`Engine::load_sealed`].
    pub fn load_sealed_owned(text: String, root: &[u8], rng: Box<dyn RandomSource>) -> Result<Self> {
        Ok(Self::of_loaded(Engine::load_sealed_owned(text, root, rng)?))
    }

    /// An organization of a loaded engine, its clock at the last audited event.
    fn of_loaded(engine: Engine) -> Self {
        let now = engine.state().audit.last_time().unwrap_or(0);
        Organization { runner: Runner::with_engine(engine, now), step_index: 0 }
    }
}
