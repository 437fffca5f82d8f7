//! Engine errors become Python exceptions; panics become `KmsShareError`.
//!
//! The exception classes live in Python (`kms_share/errors.py`): `InvalidInput` must
//! derive from both `KmsShareError` and `ValueError`, and plain Python classes are the
//! simplest to read, type and subclass. The native side only hands
//! the engine's error fields (`code`, `message`, `rule`, `field`, `decision`) and its
//! vendor form (code, HTTP status, `AccessDeniedDetail`) to
//! `kms_share.errors._from_native`, which picks the class by code.
//!
//! No panic may cross into Python: every entry point runs inside [`guard`], which turns
//! a panic into a `KmsShareError` with code [`INTERNAL_ERROR`]. pyo3 would otherwise raise
//! its `PanicException`, a `BaseException` that `except Exception` does not catch.

use std::panic::{catch_unwind, AssertUnwindSafe};

use kms_share_core::{Decision, Error};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::types::PyDecision;

/// The code of a bug caught at the boundary (a panic).
pub const INTERNAL_ERROR: &str = kms_share_core::ErrorCode::InternalError.as_str();

static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Core results to Python results.
pub trait OrRaise<T> {
    /// The value, or the engine error as its `KmsShareError` subclass.
    ///
    /// # Errors
    /// The converted engine error.
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for kms_share_core::Result<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, e))
    }
}

/// The engine error as a Python exception ready to raise.
pub fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    match exception(py, e) {
        Ok(obj) => PyErr::from_value(obj),
        Err(err) => err,
    }
}

/// The engine error as a Python exception *instance* (for results that carry errors as
/// values: `explain_many`, `StepResult.error`).
///
/// # Errors
/// Only if the `kms_share.errors` module cannot be imported.
pub fn exception(py: Python<'_>, e: Error) -> PyResult<Bound<'_, PyAny>> {
    let vendor = Vendor { code: e.vendor_code(), status: e.http_status(), detail: e.access_denied_detail() };
    let Error { code, message, rule, field, decision, .. } = e;
    build(py, code.as_str(), &message, rule.map(|r| r.id()), field.as_deref(), decision.map(|d| *d), vendor)
}

/// An error as the vendor's API answers it.
struct Vendor {
    code: &'static str,
    status: u16,
    detail: Option<kms_share_core::vendor::AccessDeniedDetail>,
}

/// `InvalidInput` (code `InvalidParameter`) for a bad argument.
pub fn invalid_input(py: Python<'_>, field: &str, message: String) -> PyErr {
    to_py_err(py, Error::invalid(field, None, message))
}

/// A `KmsShareError` with code [`INTERNAL_ERROR`]: a bug, not bad input.
pub fn internal(py: Python<'_>, what: &str) -> PyErr {
    let vendor = Vendor { code: "InternalFailure", status: 500, detail: None };
    match build(py, INTERNAL_ERROR, &format!("internal error (please report it): {what}"), None, None, None, vendor) {
        Ok(obj) => PyErr::from_value(obj),
        Err(err) => err,
    }
}

/// Run `f`, turning a panic into a `KmsShareError` instead of pyo3's `PanicException`.
///
/// # Errors
/// Whatever `f` returns, or the internal error.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    // INVARIANT: the only state a panic can leave half-changed is an organization, and it
    // lives behind a `Mutex` that unwinding poisons (see `org.rs`): later calls refuse it
    // instead of observing a broken invariant. Hence asserting unwind safety is sound.
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            Err(internal(py, &what))
        }
    }
}

fn build<'py>(
    py: Python<'py>,
    code: &str,
    message: &str,
    rule: Option<&str>,
    field: Option<&str>,
    decision: Option<Decision>,
    vendor: Vendor,
) -> PyResult<Bound<'py, PyAny>> {
    let from_native = FROM_NATIVE
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("kms_share.errors")?.getattr("_from_native")?.unbind())
        })?
        .bind(py);
    let decision = decision.map(|d| Bound::new(py, PyDecision(d))).transpose()?;
    let detail =
        vendor.detail.map(|d| crate::convert::to_py(py, &kms_share_core::json::ToValue::to_value(&d))).transpose()?;
    from_native.call1((code, message, rule, field, decision, (vendor.code, vendor.status, detail)))
}
