//! The scenario document: the product's one interchange format.
//!
//! A document has a `version` (1), an optional `seed` (tests only: ids, nonces
//! and keys then derive from it, so every runtime gives byte-identical results),
//! an optional `start` time and `steps`, each `{caller, action, params, at?,
//! bind?, expect?}`. Running it returns a result document with one entry per
//! step. See `docs/scenario-format.md`.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::authz::{CheckName, Decision, Effect};
use crate::crypto::{RandomSource, SeededRng};
use crate::engine::{Call, Engine};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{shorten, Identity};
use crate::rules::Rule;

/// The scenario format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 2;
pub use crate::v1::migrate;

/// The time of the first step when the document gives no `start`.
pub const DEFAULT_START: &str = "2026-01-01T00:00:00Z";
/// Most steps in one document.
pub const MAX_STEPS: usize = 100_000;

/// A scenario document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    /// Format version, 1.
    pub version: u32,
    /// A name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the scenario shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The rule ids the scenario exercises.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Deterministic randomness, for tests only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The time of the first step (`YYYY-MM-DDTHH:MM:SSZ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// The steps.
    pub steps: Vec<Step>,
}

crate::json::record!(Scenario {
    "version" version, "name" name default, "description" description default, "rules" rules default,
    "seed" seed default, "start" start default, "steps" steps,
});

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The caller: `acs:ram::<account>:root|user/<name>|role/<name>`; may use `${name.Field}`.
    pub caller: String,
    /// The vendor API name or a query.
    pub action: String,
    /// PascalCase parameters; strings may refer to bound results.
    pub params: Value,
    /// When; defaults to the previous step's time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Name the result so later steps can use `$name` / `${name.Field}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    /// What the step must produce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// A free comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An expectation on a step's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Expect {
    /// Success (true) or failure (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    /// The error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error's code in the vendor's API (`Forbidden.NoPermission`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_code: Option<String>,
    /// The rule id of the error or of the denying check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The decision's effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// The decision's first failing check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_by: Option<CheckName>,
    /// The error's field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Text the error message (or the decision's message) must contain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_contains: Option<String>,
    /// A subset of the result document that must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
}

crate::json::record!(Step {
    "caller" caller, "action" action, "params" params default, "at" at default, "bind" bind default,
    "expect" expect default, "note" note default,
});
crate::json::record!(Expect {
    "ok" ok default, "error" error default, "vendorCode" vendor_code default, "rule" rule default, "effect" effect default,
    "deniedBy" denied_by default, "field" field default, "messageContains" message_contains default,
    "result" result default,
});

/// Parse a scenario document from JSON text.
///
/// # Errors
/// `InvalidParameter` naming the bad part (`steps[3].expect`), `LimitExceeded` for too many steps.
pub fn parse(text: &str) -> Result<Scenario> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid("document", None, format!("the scenario is not valid JSON: {e}")))?;
    from_value(&v)
}

/// Parse a scenario document from a JSON value.
///
/// # Errors
/// As [`parse`].
pub fn from_value(v: &Value) -> Result<Scenario> {
    let obj = v
        .as_object()
        .ok_or_else(|| Error::invalid("document", None, "a scenario is a JSON object with `version` and `steps`"))?;
    let steps = obj
        .get("steps")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::invalid("steps", None, "a scenario needs `steps`, a list"))?;
    check_step_count(steps, "steps")?;
    let mut parsed_steps = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        let step = <Step as crate::json::FromJson>::from_json(s.clone())
            .map_err(|e| Error::invalid(&format!("steps[{i}]"), None, format!("steps[{i}]: {e}")))?;
        parsed_steps.push(step);
    }
    let mut head = obj.clone();
    head.insert("steps".to_string(), Value::Array(Vec::new()));
    let mut sc = <Scenario as crate::json::FromJson>::from_json(Value::Object(head))
        .map_err(|e| Error::invalid("document", None, e))?;
    if sc.version != 1 && sc.version != FORMAT_VERSION {
        return Err(Error::invalid(
            "version",
            None,
            format!("unsupported scenario version {} (this build reads versions 1 and {FORMAT_VERSION})", sc.version),
        ));
    }
    sc.steps = parsed_steps;
    Ok(sc)
}

/// A scenario document as the corpus writes them: one line per header field and per step.
pub fn document_text(sc: &Scenario) -> String {
    let mut out = String::from("{\n");
    if let Ok(Value::Object(head)) = serde_json::to_value(sc) {
        for (k, x) in head.iter().filter(|(k, _)| k.as_str() != "steps") {
            out.push_str(&format!("  {}: {},\n", crate::json::text(k), crate::json::text(x)));
        }
    }
    out.push_str("  \"steps\": [\n");
    let steps: Vec<String> =
        sc.steps.iter().map(|s| format!("    {}", serde_json::to_string(s).unwrap_or_default())).collect();
    out.push_str(&steps.join(",\n"));
    out.push_str("\n  ]\n}");
    out
}

/// `kms-share migrate`: a document of version 1 in version 2's names (see
/// [`migrate`]), in the corpus layout, with the notes of what could not be carried over.
///
/// # Errors
/// `InvalidParameter` for a document that does not parse.
pub fn migrate_text(text: &str) -> Result<(String, Vec<String>)> {
    let (v2, notes) = migrate(&parse(text)?);
    Ok((document_text(&v2), notes))
}

/// Turn a list of steps (for `WhatIf`) into calls, at `at` unless a step says otherwise.
///
/// # Errors
/// `InvalidParameter` for a malformed step.
pub fn calls_from(steps: &Value, at: u64, dialect: crate::engine::Dialect) -> Result<Vec<Call>> {
    let list = steps.as_array().ok_or_else(|| Error::invalid("Steps", None, "Steps must be a list of steps"))?;
    check_step_count(list, "Steps")?;
    let mut out = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let step = <Step as crate::json::FromJson>::from_json(s.clone())
            .map_err(|e| Error::invalid(&format!("Steps[{i}]"), None, format!("Steps[{i}]: {e}")))?;
        let caller = Identity::parse(&step.caller).map_err(|e| e.at_field(&format!("Steps[{i}].caller")))?;
        let t = match &step.at {
            Some(s) => crate::time::parse(s)?,
            None => at,
        };
        out.push(Call { caller, action: step.action, params: step.params, at: t, dialect });
    }
    Ok(out)
}

/// Refuse a list of steps that holds more than [`MAX_STEPS`], counting the steps of
/// `WhatIf` previews inside it at any depth: a preview runs its steps, so they cost what
/// top-level steps cost.
fn check_step_count(steps: &[Value], field: &str) -> Result<()> {
    let n = count_steps(steps);
    if n > MAX_STEPS {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            None,
            format!("a scenario has at most {MAX_STEPS} steps, those inside `WhatIf` included, not {n}"),
        )
        .at_field(field));
    }
    Ok(())
}

/// The steps of a list, those of `WhatIf` previews at any depth included. The depth is
/// bounded by the JSON reader's nesting limit.
fn count_steps(steps: &[Value]) -> usize {
    steps.iter().fold(0usize, |n, s| {
        let nested = match (s.get("action").and_then(Value::as_str), s.get("params").and_then(|p| p.get("Steps"))) {
            (Some(a), Some(Value::Array(inner)))
                if crate::action::Action::parse(a) == Some(crate::action::Action::WhatIf) =>
            {
                count_steps(inner)
            }
            _ => 0,
        };
        n.saturating_add(1).saturating_add(nested)
    })
}

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    /// Position, from 0.
    pub index: usize,
    /// The action.
    pub action: String,
    /// The caller, after substitution.
    pub caller: String,
    /// When.
    pub at: String,
    /// Success or not.
    pub ok: bool,
    /// The result document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The decision (KMS calls and Explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The error as the vendor's API answers it (documents of version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_error: Option<VendorError>,
    /// Whether the step's `expect` held (absent without `expect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_held: Option<bool>,
    /// Why an expectation failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_failures: Vec<String>,
}

/// An error's code and HTTP status in the vendor's API ([`Error::vendor_code`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorError {
    /// The vendor's code (`Forbidden.NoPermission`).
    pub code: String,
    /// The HTTP status (403).
    pub http_status: u16,
}

impl VendorError {
    /// The vendor's form of `e`.
    pub fn of(e: &Error) -> Self {
        VendorError { code: e.vendor_code().to_string(), http_status: e.http_status() }
    }
}

/// The result document of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    /// Format version.
    pub version: u32,
    /// The scenario's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// True when every `expect` held.
    pub passed: bool,
    /// Steps run.
    pub steps_run: usize,
    /// Steps that failed with an error.
    pub errors: usize,
    /// Expectations that did not hold.
    pub expectations_failed: usize,
    /// One entry per step.
    pub steps: Vec<StepResult>,
}

/// Options of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Check that every failing step leaves the state (audit trail aside) unchanged;
    /// a violation fails the step's expectation. Costs a state copy per step: for tests.
    pub check_unchanged_on_failure: bool,
}

/// A scenario runner over an engine.
pub struct Runner {
    engine: Engine,
    bound: Map<String, Value>,
    now: u64,
    dialect: crate::engine::Dialect,
}

impl Runner {
    /// A runner for `sc`: with the scenario's seed when it has one, else `rng`.
    ///
    /// # Errors
    /// `InvalidParameter` for a bad `start`.
    pub fn new(sc: &Scenario, rng: Box<dyn RandomSource>) -> Result<Self> {
        let rng: Box<dyn RandomSource> = match sc.seed {
            Some(s) => Box::new(SeededRng::new(s)),
            None => rng,
        };
        let now = crate::time::parse(sc.start.as_deref().unwrap_or(DEFAULT_START)).map_err(|e| e.at_field("start"))?;
        Ok(Runner { engine: Engine::new(rng), bound: Map::new(), now, dialect: dialect_of(sc.version) })
    }

    /// A runner continuing on an existing engine (the simulator runs documents on its state).
    pub fn with_engine(engine: Engine, now: u64) -> Self {
        Runner { engine, bound: Map::new(), now, dialect: crate::engine::Dialect::V2 }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine, mutable.
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The time of the latest step.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Take the engine back.
    pub fn into_engine(self) -> Engine {
        self.engine
    }

    /// Run every step.
    pub fn run(&mut self, sc: &Scenario, opts: RunOptions) -> RunResult {
        // The document's steps, and the steps a host adds after it, speak its version.
        self.dialect = dialect_of(sc.version);
        let mut steps = Vec::with_capacity(sc.steps.len());
        for (i, step) in sc.steps.iter().enumerate() {
            steps.push(self.run_step(i, step, opts));
        }
        let expectations_failed = steps.iter().filter(|s| s.expect_held == Some(false)).count();
        RunResult {
            version: sc.version,
            name: sc.name.clone(),
            passed: expectations_failed == 0,
            steps_run: steps.len(),
            errors: steps.iter().filter(|s| !s.ok).count(),
            expectations_failed,
            steps,
        }
    }

    /// Run one step.
    pub fn run_step(&mut self, index: usize, step: &Step, opts: RunOptions) -> StepResult {
        let mut out = StepResult {
            index,
            action: step.action.clone(),
            caller: step.caller.clone(),
            at: crate::time::format(self.now),
            ok: false,
            result: None,
            decision: None,
            error: None,
            vendor_error: None,
            expect_held: None,
            expect_failures: Vec::new(),
        };
        let prepared = self.prepare(step);
        match prepared {
            Err(e) => out.error = Some(e),
            Ok(call) => {
                out.caller = call.caller.to_string();
                out.at = crate::time::format(call.at);
                self.now = call.at;
                // What falls due by the step's time happens whatever the step does.
                self.engine.advance_time(call.at);
                let before =
                    if opts.check_unchanged_on_failure { Some(self.engine.state.unaudited_document()) } else { None };
                match self.engine.execute_via(&call, crate::ops::Via::Runner) {
                    Ok(r) => {
                        out.ok = true;
                        if let Some(name) = &step.bind {
                            self.bound.insert(name.clone(), r.result.clone());
                        }
                        out.result = Some(r.result);
                        out.decision = r.decision;
                    }
                    Err(e) => {
                        if let Some(b) = before {
                            if b != self.engine.state.unaudited_document() {
                                out.expect_failures.push("the failed step changed the state".to_string());
                            }
                        }
                        out.decision = e.decision.as_deref().cloned();
                        out.error = Some(e);
                    }
                }
            }
        }
        if self.dialect == crate::engine::Dialect::V2 {
            out.vendor_error = out.error.as_ref().map(VendorError::of);
        }
        if let Some(exp) = &step.expect {
            check_expect(exp, &mut out);
        }
        if !out.expect_failures.is_empty() {
            out.expect_held = Some(false);
        }
        out
    }

    /// Make one call as a host makes it: no templating of its parameters (a user's data
    /// is never interpreted), no expectations, no test fixtures. `at` (default: the
    /// latest step's time) may not go back.
    ///
    /// # Errors
    /// `InvalidParameter` for a time before the latest step's; the call's own errors.
    pub fn call(
        &mut self,
        caller: Identity,
        action: &str,
        params: Value,
        at: Option<u64>,
    ) -> Result<crate::engine::Response> {
        let at = at.unwrap_or(self.now);
        if at < self.now {
            return Err(Error::invalid(
                "at",
                None,
                format!(
                    "the call's time {} is before the previous step's {}",
                    crate::time::format(at),
                    crate::time::format(self.now)
                ),
            ));
        }
        self.now = at;
        self.engine.execute(&Call {
            caller,
            action: action.to_string(),
            params,
            at,
            dialect: crate::engine::Dialect::V2,
        })
    }

    fn prepare(&self, step: &Step) -> Result<Call> {
        let caller_text = substitute_str(&step.caller, &self.bound).map_err(|e| e.at_field("caller"))?;
        let caller_text = match caller_text {
            Value::String(s) => s,
            other => crate::json::text(&other),
        };
        let caller = Identity::parse(&caller_text)?;
        let params = substitute(&step.params, &self.bound)?;
        let at = match &step.at {
            Some(s) => crate::time::parse(s)?,
            None => self.now,
        };
        if at < self.now {
            return Err(Error::invalid(
                "at",
                None,
                format!(
                    "step time {} is before the previous step's {}",
                    shorten(step.at.as_deref().unwrap_or("")),
                    crate::time::format(self.now)
                ),
            ));
        }
        Ok(Call { caller, action: step.action.clone(), params, at, dialect: self.dialect })
    }
}

/// The vocabulary of a document version: 1 is version 1's, 2 the vendor's.
fn dialect_of(version: u32) -> crate::engine::Dialect {
    if version == 1 {
        crate::engine::Dialect::V1
    } else {
        crate::engine::Dialect::V2
    }
}

/// Run a whole document with a fresh engine.
///
/// # Errors
/// `InvalidParameter` for a document that does not parse; step errors are part of the result.
pub fn run(text: &str, rng: Box<dyn RandomSource>, opts: RunOptions) -> Result<RunResult> {
    let sc = parse(text)?;
    let mut r = Runner::new(&sc, rng)?;
    Ok(r.run(&sc, opts))
}

fn check_expect(exp: &Expect, out: &mut StepResult) {
    let f = &mut out.expect_failures;
    if let Some(ok) = exp.ok {
        if ok != out.ok {
            let got = out
                .error
                .as_ref()
                .map(|e| format!("{}: {}", e.code, e.message))
                .unwrap_or_else(|| "success".to_string());
            f.push(format!("expected ok={ok}, got {got}"));
        }
    }
    if let Some(code) = &exp.error {
        let got = out.error.as_ref().map(|e| e.code());
        if got != Some(code.as_str()) {
            f.push(format!("expected error {code}, got {}", got.unwrap_or("success")));
        }
    }
    if let Some(code) = &exp.vendor_code {
        let got = out.error.as_ref().map(|e| e.vendor_code());
        if got != Some(code.as_str()) {
            f.push(format!("expected vendor code {code}, got {}", got.unwrap_or("success")));
        }
    }
    if let Some(rule) = &exp.rule {
        let got = out.error.as_ref().and_then(|e| e.rule).or_else(|| out.decision.as_ref().and_then(|d| d.rule));
        if got.map(Rule::id) != Some(rule.as_str()) {
            f.push(format!("expected rule {rule}, got {}", got.map(Rule::id).unwrap_or("none")));
        }
    }
    if let Some(field) = &exp.field {
        let got = out.error.as_ref().and_then(|e| e.field.clone());
        if got.as_deref() != Some(field.as_str()) {
            f.push(format!("expected field {field}, got {}", got.unwrap_or_else(|| "none".to_string())));
        }
    }
    if let Some(text) = &exp.message_contains {
        let msg = out
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .or_else(|| out.decision.as_ref().and_then(|d| d.message.clone()));
        if !msg.as_deref().is_some_and(|m| m.contains(text.as_str())) {
            f.push(format!(
                "expected a message containing `{text}`, got {}",
                msg.unwrap_or_else(|| "none".to_string())
            ));
        }
    }
    if let Some(eff) = exp.effect {
        let got = out.decision.as_ref().map(|d| d.effect);
        if got != Some(eff) {
            let got = got.map_or("none", Effect::name);
            f.push(format!("expected effect {}, got {got}", eff.name()));
        }
    }
    if let Some(c) = exp.denied_by {
        let got = out.decision.as_ref().and_then(|d| d.denied_by);
        if got != Some(c) {
            f.push(format!("expected deniedBy {}, got {}", c.name(), got.map_or("none", CheckName::name)));
        }
    }
    if let Some(want) = &exp.result {
        match &out.result {
            Some(got) => {
                if let Err(path) = subset(want, got, String::from("result")) {
                    f.push(format!("result mismatch at {path}"));
                }
            }
            None => f.push("expected a result, got an error".to_string()),
        }
    }
    if f.is_empty() {
        out.expect_held = Some(true);
    }
}

/// `want` is a subset of `got`: objects by key, arrays element-wise with equal length.
fn subset(want: &Value, got: &Value, path: String) -> core::result::Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let p = format!("{path}.{k}");
                match g.get(k) {
                    Some(gv) => subset(wv, gv, p)?,
                    None if wv.is_null() => {}
                    None => return Err(format!("{p} (missing)")),
                }
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Err(format!("{path} (length {} != {})", w.len(), g.len()));
            }
            for (i, (wv, gv)) in w.iter().zip(g.iter()).enumerate() {
                subset(wv, gv, format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (w, g) if w == g => Ok(()),
        (w, g) => Err(format!("{path} (expected {}, got {})", crate::json::text(w), crate::json::text(g))),
    }
}

fn lookup(path: &str, bound: &Map<String, Value>) -> Result<Value> {
    let mut parts = path.split('.');
    let name = parts.next().unwrap_or("");
    let mut v = bound
        .get(name)
        .ok_or_else(|| Error::invalid("params", None, format!("`${}` refers to no bound result", shorten(name))))?;
    for p in parts {
        v = match v {
            Value::Object(m) => m.get(p),
            Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        }
        .ok_or_else(|| Error::invalid("params", None, format!("`${}` has no field `{}`", shorten(path), shorten(p))))?;
    }
    Ok(v.clone())
}

fn substitute_str(s: &str, bound: &Map<String, Value>) -> Result<Value> {
    if let Some(rest) = s.strip_prefix('$') {
        if !rest.starts_with('{')
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            return lookup(rest, bound);
        }
    }
    if !s.contains("${") {
        return Ok(Value::String(s.to_string()));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start + 2..).unwrap_or("");
        let end = after
            .find('}')
            .ok_or_else(|| Error::invalid("params", None, format!("unclosed `${{` in `{}`", shorten(s))))?;
        let v = lookup(after.get(..end).unwrap_or(""), bound)?;
        match v {
            Value::String(t) => out.push_str(&t),
            other => out.push_str(&crate::json::text(&other)),
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn substitute(v: &Value, bound: &Map<String, Value>) -> Result<Value> {
    Ok(match v {
        Value::String(s) => substitute_str(s, bound)?,
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, bound)).collect::<Result<Vec<_>>>()?),
        Value::Object(m) => {
            let mut o = Map::new();
            for (k, x) in m {
                o.insert(k.clone(), substitute(x, bound)?);
            }
            Value::Object(o)
        }
        other => other.clone(),
    })
}

/// Serialize a run result as the canonical JSON text (pretty, stable key order).
pub fn to_json(r: &RunResult) -> String {
    crate::json::pretty(&crate::json::text(r))
}
