//! The `Organization` class: the core's [`api::Organization`] facade, method for method.
//!
//! Every method converts its arguments, calls the facade, converts the result. Crypto and
//! secret calls are steps (`org.step({caller, action: "kms:Encrypt", params})`), exactly as
//! in a scenario document. `isAllowed`, `allowedActions` and `allowedBatch` are the fast
//! in-page surface: strings in, booleans or strings out, no explanation kept; a page loads
//! them from the policy-only export a server hands it (`Organization.fromPolicyExport`).

use kms_share_core::api::{self, DecisionRequest};
use kms_share_core::state::State;
use wasm_bindgen::prelude::*;

#[cfg(feature = "engine")]
use crate::convert::doc_text;
#[cfg(feature = "engine")]
use crate::convert::from_js;
use crate::convert::{doc, doc_plain, doc_to_js, throw, to_js, JsResult};
use crate::rng::HostRng;

/// One simulated organization: accounts, resource directory, KMS instances, shares, keys,
/// secrets, RAM policies and the audit trail.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Organization {
    inner: api::Organization,
}

#[wasm_bindgen]
impl Organization {
    /// An empty organization. With `seed` every id, nonce and key derives from it (tests
    /// and reproducible demos only: NOT random); without, `crypto.getRandomValues` is used.
    /// `start` is the time of the first step (default `2026-01-01T00:00:00Z`).
    ///
    /// # Errors
    /// Throws `InvalidParameter` for a seed that is not a non-negative integer or a bad time.
    #[cfg(feature = "engine")]
    #[wasm_bindgen(constructor)]
    pub fn new(seed: Option<f64>, start: Option<String>) -> JsResult<Organization> {
        let seed: Option<u64> = seed.map(|s| from_js(JsValue::from_f64(s), "seed")).transpose().map_err(throw)?;
        let inner = api::Organization::new(seed, Box::new(HostRng), start.as_deref()).map_err(throw)?;
        Ok(Organization { inner })
    }

    #[cfg(not(feature = "engine"))]
    /// An empty organization, to fill with [`Organization::load_state`]. (The module that
    /// only decides runs no steps, so it takes no seed and no start time.)
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Organization {
        Organization::empty()
    }

    /// An empty organization on the host's randomness, its clock at the default start.
    fn empty() -> Organization {
        use kms_share_core::{scenario::DEFAULT_START, time};
        // The default start is a valid time: the fallback is never taken.
        let now = time::parse(DEFAULT_START).unwrap_or_default();
        Organization { inner: api::Organization::with_rng(Box::new(HostRng), now) }
    }

    #[cfg(feature = "engine")]
    /// Run a scenario document on a fresh organization (honouring its `seed` and `start`).
    ///
    /// # Errors
    /// Throws `InvalidParameter` for a document that does not parse; a step's own error is
    /// part of the result.
    #[wasm_bindgen(js_name = fromScenario, unchecked_return_type = "{ organization: Organization; result: RunResult }")]
    pub fn from_scenario(
        #[wasm_bindgen(unchecked_param_type = "Scenario | string")] doc: JsValue,
    ) -> JsResult<JsValue> {
        let text = doc_text(&doc, "document").map_err(throw)?;
        let (inner, result) = api::Organization::from_scenario(&text, Box::new(HostRng)).map_err(throw)?;
        let out = js_sys::Object::new();
        let result = doc_to_js(&result)?;
        js_sys::Reflect::set(&out, &JsValue::from_str("organization"), &Organization { inner }.into())?;
        js_sys::Reflect::set(&out, &JsValue::from_str("result"), &result)?;
        Ok(out.into())
    }

    /// An organization holding a plain state, typically the policy-only export a server
    /// hands a page: decisions work, cryptography fails with `InvalidState`.
    ///
    /// # Errors
    /// Throws `InvalidParameter` for a state that does not parse.
    #[wasm_bindgen(js_name = fromPolicyExport)]
    pub fn from_policy_export(
        #[wasm_bindgen(unchecked_param_type = "State | string")] state: JsValue,
    ) -> JsResult<Organization> {
        let mut org = Organization::empty();
        org.load_state(state)?;
        Ok(org)
    }

    #[cfg(feature = "engine")]
    /// Load a sealed snapshot under a 32-byte root key (CR-5).
    ///
    /// # Errors
    /// Throws `SnapshotInvalid` for a tampered or foreign snapshot, `InvalidParameter` for a bad key.
    #[wasm_bindgen(js_name = loadSealed)]
    pub fn load_sealed(text: &str, #[wasm_bindgen(js_name = rootKey)] root_key: &[u8]) -> JsResult<Organization> {
        let inner = api::Organization::load_sealed(text, root_key, Box::new(HostRng)).map_err(throw)?;
        Ok(Organization { inner })
    }

    #[cfg(feature = "engine")]
    /// Save a sealed snapshot under a 32-byte root key (CR-5).
    ///
    /// # Errors
    /// Throws as the core's `save_sealed` (for example `InvalidParameter` for a bad key).
    #[wasm_bindgen(js_name = saveSealed)]
    pub fn save_sealed(&mut self, #[wasm_bindgen(js_name = rootKey)] root_key: &[u8]) -> JsResult<String> {
        self.inner.save_sealed(root_key).map_err(throw)
    }

    #[cfg(feature = "engine")]
    /// Run a scenario document's steps on this organization.
    ///
    /// # Errors
    /// Throws `InvalidParameter` for a document that does not parse.
    #[wasm_bindgen(js_name = runScenario, unchecked_return_type = "RunResult")]
    pub fn run_scenario(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Scenario | string")] doc: JsValue,
    ) -> JsResult<JsValue> {
        let text = doc_text(&doc, "document").map_err(throw)?;
        doc_to_js(&self.inner.run_scenario(&text).map_err(throw)?)
    }

    #[cfg(feature = "engine")]
    /// Execute one step: any vendor call, including crypto (`kms:Encrypt`, `kms:Decrypt`,
    /// `kms:GenerateDataKey`, ...) and secrets (`kms:CreateSecret`, `kms:GetSecretValue`, ...).
    /// The call's own failure is in the result (`ok: false`, `error`).
    ///
    /// # Errors
    /// Throws `InvalidParameter` when the argument is not a step.
    #[wasm_bindgen(unchecked_return_type = "StepResult")]
    pub fn step(&mut self, #[wasm_bindgen(unchecked_param_type = "Step | string")] step: JsValue) -> JsResult<JsValue> {
        let step = doc_plain(&step, "step").map_err(throw)?;
        doc_to_js(&self.inner.step(&step).map_err(throw)?)
    }

    #[cfg(feature = "engine")]
    /// Make one call as `caller` and return its result document; a failure throws
    /// (`AccessDenied` carries the decision). `params` (an object or JSON text) is passed
    /// as it is: nothing in it is templated, unlike a step's. `at`, when given, is the
    /// call's time (`YYYY-MM-DDTHH:MM:SSZ`), never before the latest step's.
    ///
    /// # Errors
    /// Throws the call's error, or `InvalidParameter` for a malformed caller, params or time.
    #[wasm_bindgen(unchecked_return_type = "JsonValue")]
    pub fn call(
        &mut self,
        caller: String,
        action: String,
        #[wasm_bindgen(unchecked_param_type = "Record<string, JsonValue> | string | undefined")] params: JsValue,
        at: Option<String>,
    ) -> JsResult<JsValue> {
        let params: serde_json::Value = if params.is_undefined() || params.is_null() {
            serde_json::Value::Null
        } else {
            doc_plain(&params, "params").map_err(throw)?
        };
        let r = self.inner.call(&caller, &action, params, at.as_deref()).map_err(throw)?;
        doc_to_js(&r.result)
    }

    /// Explain one request: the four checks, who denied, the rule and the fix.
    ///
    /// # Errors
    /// Throws `InvalidParameter` for a malformed caller, action or resource.
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DecisionRequest")] request: JsValue,
    ) -> JsResult<JsValue> {
        let request: DecisionRequest = doc(&request, "request").map_err(throw)?;
        to_js(&self.inner.explain(&request).map_err(throw)?)
    }

    /// Many explanations in one call; each entry is `{Ok: decision}` or `{Err: error}`.
    ///
    /// # Errors
    /// Throws `InvalidParameter` when the argument is not a list of requests.
    #[wasm_bindgen(js_name = explainBatch, unchecked_return_type = "DecisionOutcome[]")]
    pub fn explain_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DecisionRequest[]")] requests: JsValue,
    ) -> JsResult<JsValue> {
        let requests: Vec<DecisionRequest> = doc(&requests, "requests").map_err(throw)?;
        to_js(&self.inner.explain_batch(&requests))
    }

    /// In-page check: may `caller` do `action` on `resource`? Fails closed (a malformed
    /// request answers `false`).
    #[wasm_bindgen(js_name = isAllowed)]
    pub fn is_allowed(&self, caller: &str, action: &str, resource: &str) -> bool {
        self.inner.is_allowed(caller, action, resource)
    }

    /// Many yes/no answers in one call (no explanations kept); malformed requests answer `false`.
    ///
    /// # Errors
    /// Throws `InvalidParameter` when the argument is not a list of requests.
    #[wasm_bindgen(js_name = allowedBatch, unchecked_return_type = "boolean[]")]
    pub fn allowed_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DecisionRequest[]")] requests: JsValue,
    ) -> JsResult<JsValue> {
        let requests: Vec<DecisionRequest> = doc(&requests, "requests").map_err(throw)?;
        to_js(&self.inner.allowed_batch(&requests))
    }

    /// The actions of the permission matrix that `caller` may perform on `resource`
    /// (what a console may enable).
    ///
    /// # Errors
    /// Throws `InvalidParameter` for a malformed caller or resource, `NotFound` for an unknown one.
    #[wasm_bindgen(js_name = allowedActions)]
    pub fn allowed_actions(&self, caller: &str, resource: &str) -> JsResult<Vec<String>> {
        self.inner.allowed_actions(caller, resource).map_err(throw)
    }

    /// Who can perform `action` on `resource`.
    ///
    /// # Errors
    /// Throws `InvalidParameter` or `NotFound` for the resource.
    #[wasm_bindgen(js_name = whoCan, unchecked_return_type = "Allowed[]")]
    pub fn who_can(&self, action: &str, resource: &str) -> JsResult<JsValue> {
        to_js(&self.inner.who_can(action, resource).map_err(throw)?)
    }

    /// The access matrix of an instance: identities x resources x features.
    ///
    /// # Errors
    /// Throws `InvalidParameter` or `NotFound` for the instance id.
    #[wasm_bindgen(js_name = accessMatrix, unchecked_return_type = "AccessMatrix")]
    pub fn access_matrix(&self, #[wasm_bindgen(js_name = instanceId)] instance_id: &str) -> JsResult<JsValue> {
        doc_to_js(&self.inner.access_matrix(instance_id).map_err(throw)?)
    }

    #[cfg(feature = "engine")]
    /// Preview steps on a copy: their results and what they would change (quota, access,
    /// matrix cells). This organization is unchanged.
    ///
    /// # Errors
    /// Throws `InvalidParameter` for malformed steps.
    #[wasm_bindgen(js_name = whatIf, unchecked_return_type = "JsonValue")]
    pub fn what_if(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Step[] | string")] steps: JsValue,
    ) -> JsResult<JsValue> {
        let steps = doc_plain(&steps, "steps").map_err(throw)?;
        doc_to_js(&self.inner.what_if(&steps).map_err(throw)?)
    }

    #[cfg(feature = "engine")]
    /// The whole state as plain data (no key material; secret values only as ciphertext).
    ///
    /// # Errors
    /// Throws `InvalidState` if the state cannot be represented in JavaScript.
    #[wasm_bindgen(unchecked_return_type = "State")]
    pub fn state(&self) -> JsResult<JsValue> {
        doc_to_js(self.inner.state())
    }

    #[cfg(feature = "engine")]
    /// The policy-only export for in-page checks: no key material, no secret values.
    ///
    /// # Errors
    /// Throws `InvalidState` if the state cannot be represented in JavaScript.
    #[wasm_bindgen(js_name = policyExport, unchecked_return_type = "State")]
    pub fn policy_export(&self) -> JsResult<JsValue> {
        doc_to_js(&self.inner.policy_export())
    }

    /// Replace the state by a plain one (for example a policy-only export). Keys loaded
    /// this way have no material: decisions work, cryptography fails with `InvalidState`.
    ///
    /// # Errors
    /// Throws `InvalidParameter` for a state that does not parse.
    #[wasm_bindgen(js_name = loadState)]
    pub fn load_state(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "State | string")] state: JsValue,
    ) -> JsResult<()> {
        let state: State = doc_plain(&state, "state").map_err(throw)?;
        self.inner.load_state(state);
        Ok(())
    }
}

#[cfg(feature = "engine")]
/// Run a scenario document on a fresh organization and return the result document as
/// the canonical JSON text: byte for byte what the Rust runner (`kms-share run`) prints.
/// With `check`, a failing step that changes the state fails its expectation (`--check`).
///
/// # Errors
/// Throws `InvalidParameter` for a document that does not parse.
#[wasm_bindgen(js_name = runScenarioJson)]
pub fn run_scenario_json(
    #[wasm_bindgen(unchecked_param_type = "Scenario | string")] doc: JsValue,
    check: Option<bool>,
) -> JsResult<String> {
    let text = doc_text(&doc, "document").map_err(throw)?;
    let opts = kms_share_core::scenario::RunOptions { check_unchanged_on_failure: check.unwrap_or(false) };
    let (_, result) = api::Organization::from_scenario_with(&text, Box::new(HostRng), opts).map_err(throw)?;
    Ok(kms_share_core::scenario::to_json(&result))
}
