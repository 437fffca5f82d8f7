//! The frozen result objects: `Decision`, `Check`, `StepResult`, `RunResult`.
//!
//! Each wraps the core's value unchanged and converts a field only when Python reads
//! it, so a batch of 100,000 decisions costs 100,000 small objects, not 100,000 trees of
//! dicts. Attribute names are the core's field names in snake_case; enum values are their
//! serde wire names (`"Deny"`, `"sharePermission"`). `to_dict()` and `to_json()` give the
//! one JSON shape the core defines (camelCase keys), never a second hand-written copy.

use kms_share_core::authz::Check;
use kms_share_core::scenario::{self, RunResult, StepResult};
use kms_share_core::Decision;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::convert::{serde_to_py, to_py, wire};
use crate::errors::{exception, guard, internal};

/// Python's cyclic garbage collector, paused while a batch's result objects are made
/// and resumed (if it was running) when this is dropped, on every path out.
///
/// pyo3 registers every `#[pyclass]` object with the collector, so each new `Decision`
/// counts towards its next pass: a batch of 100,000 started about 140 passes, and the
/// oldest generation's walk every object the calling program holds. A `Decision` holds
/// no Python object, so no pass can find a cycle through one. Paused, a batch starts no
/// pass, and the next allocation after it starts one as usual. (A request refused in the
/// batch becomes its exception in Python code, where the interpreter may switch threads:
/// another thread would then run with the collector paused for that moment.)
pub struct GcPause<'py>(Option<Bound<'py, PyModule>>);

impl<'py> GcPause<'py> {
    /// Pause the collector if it is running (a program that disabled it keeps it so).
    ///
    /// # Errors
    /// Only if the `gc` module cannot be imported or called.
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        let gc = py.import("gc")?;
        if !gc.call_method0("isenabled")?.is_truthy()? {
            return Ok(GcPause(None));
        }
        gc.call_method0("disable")?;
        Ok(GcPause(Some(gc)))
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = self.0.take() {
            // `gc.enable()` takes no argument and cannot fail; were it ever to, the error
            // is dropped here rather than left pending.
            drop(gc.call_method0("enable"));
        }
    }
}

/// An authorization decision (AZ-1, AZ-2): the effect, the four checks in order and,
/// for a Deny, the check that failed, its rule, a message and a concrete fix.
///
/// A denial is a value: `explain` returns it, it is never raised.
#[pyclass(frozen, module = "kms_share._native", name = "Decision")]
pub struct PyDecision(pub Decision);

#[pymethods]
impl PyDecision {
    /// True for `Allow`.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.allowed()
    }

    /// `"Allow"`, `"Deny"` or `"Undetermined"` (a check depends on what the engine was
    /// not told, such as an imported instance's sharing mode; `allowed` is then False).
    #[getter]
    fn effect(&self) -> String {
        wire(&self.0.effect)
    }

    /// The caller identity.
    #[getter]
    fn caller(&self) -> &str {
        &self.0.caller
    }

    /// The action, in its canonical spelling.
    #[getter]
    fn action(&self) -> &str {
        &self.0.action
    }

    /// The resource ARN.
    #[getter]
    fn resource(&self) -> &str {
        &self.0.resource
    }

    /// The four checks, in the order they are made.
    #[getter]
    fn checks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        guard(py, || PyTuple::new(py, self.0.checks.iter().cloned().map(PyCheck)))
    }

    /// For a Deny, the first failing check (`"sharing"`, `"sharePermission"`,
    /// `"ramPolicy"`, `"ownership"`); `None` for an Allow.
    #[getter]
    fn denied_by(&self) -> Option<String> {
        self.0.denied_by.as_ref().map(wire)
    }

    /// For an Undetermined decision, the check that could not be decided.
    #[getter]
    fn undetermined_by(&self) -> Option<String> {
        self.0.undetermined_by.as_ref().map(wire)
    }

    /// For a Deny, the rule id of the failing check.
    #[getter]
    fn rule(&self) -> Option<&str> {
        self.0.rule.map(|r| r.id())
    }

    /// For a Deny, a message naming the rule.
    #[getter]
    fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// For a Deny, the concrete fix.
    #[getter]
    fn fix(&self) -> Option<&str> {
        self.0.fix.as_deref()
    }

    /// The resource share through which a principal reaches the instance.
    #[getter]
    fn via_share(&self) -> Option<&str> {
        self.0.via_share.as_deref()
    }

    /// The decision as the result document's JSON shape (camelCase keys).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || serde_to_py(py, &self.0))
    }

    /// The decision as pretty JSON text (what `kms-share explain` prints).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string_pretty(&self.0).map_err(|e| internal(py, &e.to_string()))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyDecision>().is_ok_and(|o| o.get().0 == self.0)
    }

    fn __repr__(&self) -> String {
        let d = &self.0;
        match (&d.denied_by, &d.rule) {
            (Some(c), Some(r)) => format!(
                "Decision(effect=\"Deny\", caller={:?}, action={:?}, resource={:?}, denied_by={:?}, rule={:?})",
                d.caller,
                d.action,
                d.resource,
                wire(c),
                r
            ),
            _ => format!(
                "Decision(effect={:?}, caller={:?}, action={:?}, resource={:?})",
                wire(&d.effect),
                d.caller,
                d.action,
                d.resource
            ),
        }
    }
}

/// One check of a decision, with its outcome and explanation.
#[pyclass(frozen, module = "kms_share._native", name = "Check")]
pub struct PyCheck(pub Check);

#[pymethods]
impl PyCheck {
    /// Which check: `"sharing"`, `"sharePermission"`, `"ramPolicy"` or `"ownership"`.
    #[getter]
    fn check(&self) -> String {
        wire(&self.0.check)
    }

    /// `"passed"`, `"failed"`, `"notReached"` or `"notApplicable"`.
    #[getter]
    fn outcome(&self) -> String {
        wire(&self.0.outcome)
    }

    /// The rule id behind the outcome.
    #[getter]
    fn rule(&self) -> &str {
        self.0.rule.id()
    }

    /// What was found.
    #[getter]
    fn detail(&self) -> &str {
        &self.0.detail
    }

    /// The check as a dict (camelCase keys).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || serde_to_py(py, &self.0))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyCheck>().is_ok_and(|o| o.get().0 == self.0)
    }

    fn __repr__(&self) -> String {
        format!(
            "Check(check={:?}, outcome={:?}, rule={:?}, detail={:?})",
            wire(&self.0.check),
            wire(&self.0.outcome),
            self.0.rule,
            self.0.detail
        )
    }
}

/// The outcome of one step: success with a result document, or an error; the decision
/// for KMS calls; whether the step's `expect` held.
#[pyclass(frozen, module = "kms_share._native", name = "StepResult")]
pub struct PyStepResult(pub StepResult);

#[pymethods]
impl PyStepResult {
    /// Position of the step, from 0.
    #[getter]
    fn index(&self) -> usize {
        self.0.index
    }

    /// The action.
    #[getter]
    fn action(&self) -> &str {
        &self.0.action
    }

    /// The caller, after substitution of bound results.
    #[getter]
    fn caller(&self) -> &str {
        &self.0.caller
    }

    /// When the step ran (`YYYY-MM-DDTHH:MM:SSZ`).
    #[getter]
    fn at(&self) -> &str {
        &self.0.at
    }

    /// True when the call succeeded.
    #[getter]
    fn ok(&self) -> bool {
        self.0.ok
    }

    /// The result document of a successful call.
    #[getter]
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(py, || self.0.result.as_ref().map(|v| to_py(py, v)).transpose())
    }

    /// The decision that allowed or denied a KMS call (and `Explain`'s answer).
    #[getter]
    fn decision(&self) -> Option<PyDecision> {
        self.0.decision.clone().map(PyDecision)
    }

    /// The error of a failed call, as an exception instance (not raised).
    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(py, || self.0.error.clone().map(|e| exception(py, e)).transpose())
    }

    /// Whether the step's `expect` held (`None` without `expect`).
    #[getter]
    fn expect_held(&self) -> Option<bool> {
        self.0.expect_held
    }

    /// Why the expectation did not hold.
    #[getter]
    fn expect_failures(&self) -> Vec<String> {
        self.0.expect_failures.clone()
    }

    /// The step result as the result document's JSON shape.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || serde_to_py(py, &self.0))
    }

    /// The step result as pretty JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string_pretty(&self.0).map_err(|e| internal(py, &e.to_string()))
    }

    fn __repr__(&self) -> String {
        let s = &self.0;
        match &s.error {
            Some(e) => format!("StepResult(index={}, action={:?}, ok=False, error={:?})", s.index, s.action, e.code()),
            None => format!("StepResult(index={}, action={:?}, ok=True)", s.index, s.action),
        }
    }
}

/// The result document of a scenario run.
#[pyclass(frozen, module = "kms_share._native", name = "RunResult")]
pub struct PyRunResult(pub RunResult);

#[pymethods]
impl PyRunResult {
    /// The result format version (1).
    #[getter]
    fn version(&self) -> u32 {
        self.0.version
    }

    /// The scenario's name.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// True when every `expect` held.
    #[getter]
    fn passed(&self) -> bool {
        self.0.passed
    }

    /// Steps run.
    #[getter]
    fn steps_run(&self) -> usize {
        self.0.steps_run
    }

    /// Steps that failed with an error.
    #[getter]
    fn errors(&self) -> usize {
        self.0.errors
    }

    /// Expectations that did not hold.
    #[getter]
    fn expectations_failed(&self) -> usize {
        self.0.expectations_failed
    }

    /// One result per step.
    #[getter]
    fn steps<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || PyList::new(py, self.0.steps.iter().cloned().map(PyStepResult)))
    }

    /// The result document as Python values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || serde_to_py(py, &self.0))
    }

    /// The canonical result document text, byte for byte what the Rust runner prints.
    fn to_json(&self) -> String {
        scenario::to_json(&self.0)
    }

    fn __repr__(&self) -> String {
        format!(
            "RunResult(name={:?}, passed={}, steps_run={}, errors={}, expectations_failed={})",
            self.0.name.as_deref().unwrap_or(""),
            if self.0.passed { "True" } else { "False" },
            self.0.steps_run,
            self.0.errors,
            self.0.expectations_failed
        )
    }
}
