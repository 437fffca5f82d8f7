//! `kms_share._native`: the Python binding of the kms-share engine.
//!
//! Thin by design (see `STYLE.md`): every function converts Python values to the core's
//! inputs, calls [`kms_share_core::api::Organization`] (or the scenario runner), and
//! converts the result or the error back. Nothing here decides anything about policy,
//! quota or ownership. The Python package `kms_share` (under `python/`) re-exports this
//! module, adds the exception classes and the `python -m kms_share` command line.
//!
//! - [`convert`]: Python values <-> JSON values and argument extraction (bad input is
//!   `InvalidInput`, never `TypeError` or a crash);
//! - [`errors`]: engine errors -> `KmsShareError` subclasses, and the panic guard;
//! - [`types`]: the frozen result objects (`Decision`, `Check`, `StepResult`, `RunResult`);
//! - [`org`]: the `Organization` class and the module-level `run`.

use pyo3::prelude::*;

pub mod convert;
pub mod errors;
pub mod org;
pub mod types;

/// The native part of the `kms_share` package. Import `kms_share`, not this module.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<org::PyOrganization>()?;
    m.add_class::<types::PyDecision>()?;
    m.add_class::<types::PyCheck>()?;
    m.add_class::<types::PyStepResult>()?;
    m.add_class::<types::PyRunResult>()?;
    m.add_function(wrap_pyfunction!(org::run, m)?)?;
    m.add_function(wrap_pyfunction!(org::migrate, m)?)?;
    let codes: Vec<&str> = kms_share_core::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    m.add("ERROR_CODES", pyo3::types::PyTuple::new(m.py(), codes)?)?;
    m.add("FORMAT_VERSION", kms_share_core::scenario::FORMAT_VERSION)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
