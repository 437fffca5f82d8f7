//! `Organization`: the Python face of [`kms_share_core::api::Organization`], and `run`.
//!
//! Every method has the same three phases: convert the Python arguments, call the core
//! with the organization locked, convert the result after the lock is released. Only
//! the core call holds the lock, because touching Python objects can run arbitrary
//! Python code (a garbage-collector finalizer) that might call back into the same
//! organization. The lock is a `try_lock`: such a re-entrant call is refused with
//! `InvalidState` instead of deadlocking, and a panic inside the core poisons it, so a
//! half-changed organization is refused rather than used.

use std::ops::{Deref, Range};
use std::sync::{Mutex, TryLockError};

use kms_share_core::api::{DecisionRef, DecisionRequest, Organization};
use kms_share_core::crypto::{OsRng, RandomSource, SeededRng};
use kms_share_core::scenario::{self, RunOptions};
use kms_share_core::state::State;
use kms_share_core::{Error, ErrorCode};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use serde_json::Value;

use crate::convert::{self, json, opt_text, text, to_py};
use crate::errors::{exception, guard, invalid_input, to_py_err, OrRaise};
use crate::types::{GcPause, PyDecision, PyRunResult, PyStepResult};

/// The core organization (`Send`: the core's randomness and key backends are `Send`).
struct Inner(Organization);

/// An organization: accounts, a resource directory, KMS instances, shares, keys and
/// secrets, and the audit trail. Change it with steps (`step`, `call`,
/// `run_scenario`); ask it questions with `explain`, `is_allowed`, `who_can`,
/// `access_matrix` and `what_if`, which change nothing.
///
/// `Organization(seed=None, start=None)`: an empty organization. With `seed` every id,
/// nonce and key derives from it (tests and reproducible demos only: a seeded
/// organization protects nothing); without, the operating system's random source is
/// used. `start` is the time of the first step (`YYYY-MM-DDTHH:MM:SSZ`).
#[pyclass(frozen, module = "kms_share._native", name = "Organization")]
pub struct PyOrganization {
    org: Mutex<Inner>,
}

impl PyOrganization {
    fn wrap(org: Organization) -> Self {
        PyOrganization { org: Mutex::new(Inner(org)) }
    }

    /// Run `f` on the locked organization.
    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&mut Organization) -> T) -> PyResult<T> {
        match self.org.try_lock() {
            Ok(mut g) => Ok(f(&mut g.0)),
            Err(TryLockError::WouldBlock) => Err(to_py_err(
                py,
                Error::new(ErrorCode::InvalidState, None, "this organization is busy with another call"),
            )),
            Err(TryLockError::Poisoned(_)) => Err(to_py_err(
                py,
                Error::new(
                    ErrorCode::InvalidState,
                    None,
                    "this organization is unusable: an earlier call stopped on an internal error",
                ),
            )),
        }
    }
}

#[pymethods]
impl PyOrganization {
    #[new]
    #[pyo3(signature = (seed=None, start=None))]
    fn new(py: Python<'_>, seed: Option<&Bound<'_, PyAny>>, start: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        guard(py, || {
            let seed = convert::seed(seed)?;
            let start = opt_text(start, "start")?;
            Organization::new(seed, Box::new(OsRng), start.as_deref()).map(Self::wrap).or_raise(py)
        })
    }

    /// Run a scenario document (JSON text or a dict) on a fresh organization, honouring
    /// its `seed` and `start`. Returns the organization and the run's result.
    ///
    /// Raises `InvalidInput` for a document that does not parse; failing steps are in
    /// the result, not raised.
    #[staticmethod]
    fn from_scenario(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<(Self, PyRunResult)> {
        guard(py, || {
            let text = convert::document_text(document, "document")?;
            let (org, res) = Organization::from_scenario(&text, Box::new(OsRng)).or_raise(py)?;
            Ok((Self::wrap(org), PyRunResult(res)))
        })
    }

    /// The organization a scenario document (its steps run) or a state document describes.
    #[staticmethod]
    fn from_document(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, || {
            let text = convert::document_text(document, "document")?;
            Ok(Self::wrap(Organization::from_document(&text, Box::new(OsRng)).or_raise(py)?))
        })
    }

    /// The organization a folder of saved vendor responses describes (docs/import.md),
    /// given as a dict of relative path (`accounts/<id>/kms/ListKeys.json`) to text, and
    /// the import's counts (a dict; `report` holds the lines the command line prints). Its keys can be decided on, not used; what the
    /// responses could not say is in the state's `gaps`. `kms_share.import_folder` reads
    /// a folder into it.
    #[staticmethod]
    fn from_responses<'py>(py: Python<'py>, files: &Bound<'py, PyAny>) -> PyResult<(Self, Bound<'py, PyAny>)> {
        guard(py, || {
            let shape =
                || invalid_input(py, "files", "`files` is a dict of relative path to response text".to_string());
            let dict = files.cast::<PyDict>().map_err(|_| shape())?;
            let mut pairs = Vec::with_capacity(dict.len());
            for (path, body) in dict.iter() {
                pairs.push((
                    path.extract::<String>().map_err(|_| shape())?,
                    body.extract::<String>().map_err(|_| shape())?,
                ));
            }
            let files = pairs;
            let (org, summary) = Organization::from_responses(&files, Box::new(OsRng)).or_raise(py)?;
            let counts = convert::serde_to_py(py, &summary)?;
            counts.set_item("report", summary.report(&org.state().gaps))?;
            Ok((Self::wrap(org), counts))
        })
    }

    /// Load a sealed snapshot (CR-5) saved by `save_sealed` under the same 32-byte root key.
    #[staticmethod]
    #[pyo3(signature = (snapshot, root_key, seed=None))]
    fn load_sealed(
        py: Python<'_>,
        snapshot: &Bound<'_, PyAny>,
        root_key: &Bound<'_, PyAny>,
        seed: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let snapshot = text(snapshot, "snapshot")?;
            let root = convert::bytes(root_key, "root_key")?;
            let rng: Box<dyn RandomSource> = match convert::seed(seed)? {
                Some(s) => Box::new(SeededRng::new(s)),
                None => Box::new(OsRng),
            };
            Organization::load_sealed_owned(snapshot, &root, rng).map(Self::wrap).or_raise(py)
        })
    }

    /// Run a scenario document's steps on this organization (its `seed` and `start` apply
    /// only to a fresh organization: see `from_scenario`).
    fn run_scenario(&self, py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<PyRunResult> {
        guard(py, || {
            let text = convert::document_text(document, "document")?;
            self.with(py, |o| o.run_scenario(&text))?.or_raise(py).map(PyRunResult)
        })
    }

    /// Execute one step, `{"caller", "action", "params"?, "at"?, "bind"?, "expect"?}`.
    /// The call's own failure is in the result (`ok`, `error`), not raised.
    fn step(&self, py: Python<'_>, step: &Bound<'_, PyAny>) -> PyResult<PyStepResult> {
        guard(py, || {
            let step = json(step, "step")?;
            self.with(py, |o| o.step(&step))?.or_raise(py).map(PyStepResult)
        })
    }

    /// Make one call as `caller` and return its result document; a failure is raised
    /// (`AccessDenied` carries the decision). The parameters are passed as they are:
    /// nothing in them is templated (that is the scenario runner's).
    #[pyo3(signature = (caller, action, params=None, *, at=None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        caller: &Bound<'py, PyAny>,
        action: &Bound<'py, PyAny>,
        params: Option<&Bound<'py, PyAny>>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let caller = text(caller, "caller")?;
            let action = text(action, "action")?;
            let params = match params.filter(|p| !p.is_none()) {
                Some(p) => json(p, "params")?,
                None => Value::Null,
            };
            let at = opt_text(at, "at")?;
            let r = self.with(py, |o| o.call(&caller, &action, params, at.as_deref()))?.or_raise(py)?;
            to_py(py, &r.result)
        })
    }

    /// The full decision for `caller` doing `action` on `resource` (an instance id, key
    /// id, alias, secret name or ARN), optionally from `region` (KI-6). A Deny is a
    /// returned value; `InvalidInput` is raised only for a malformed request.
    #[pyo3(signature = (caller, action, resource, region=None))]
    fn explain(
        &self,
        py: Python<'_>,
        caller: &Bound<'_, PyAny>,
        action: &Bound<'_, PyAny>,
        resource: &Bound<'_, PyAny>,
        region: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyDecision> {
        guard(py, || {
            let req = DecisionRequest {
                caller: text(caller, "caller")?,
                action: text(action, "action")?,
                resource: text(resource, "resource")?,
                region: opt_text(region, "region")?,
            };
            self.with(py, |o| o.explain(&req))?.or_raise(py).map(PyDecision)
        })
    }

    /// May `caller` do `action` on `resource`? Malformed ids answer `False` (fail closed).
    fn is_allowed(
        &self,
        py: Python<'_>,
        caller: &Bound<'_, PyAny>,
        action: &Bound<'_, PyAny>,
        resource: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        guard(py, || {
            let (c, a, r) = (text(caller, "caller")?, text(action, "action")?, text(resource, "resource")?);
            self.with(py, |o| o.is_allowed(&c, &a, &r))
        })
    }

    /// Many decisions in one call. `requests` is an iterable of `(caller, action,
    /// resource)` or `(caller, action, resource, region)` tuples or lists, or of dicts
    /// with those keys. Each entry of the returned list is a `Decision` or, for a request
    /// the engine refuses (a malformed id), the `KmsShareError` it would raise (returned,
    /// not raised). A request of the wrong shape or type raises `InvalidInput`.
    fn explain_many<'py>(&self, py: Python<'py>, requests: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let batch = Batch::read(requests)?;
            let results = self.with(py, |o| o.explain_batch_of(&batch.refs()))?;
            let _paused = GcPause::new(py)?;
            let items = results
                .into_iter()
                .map(|r| match r {
                    Ok(d) => Ok(Bound::new(py, PyDecision(d))?.into_any()),
                    Err(e) => exception(py, e),
                })
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)
        })
    }

    /// Many yes/no answers in one call (the fast path: no explanations are kept).
    /// Same `requests` as `explain_many`; malformed requests answer `False`.
    fn allowed_many(&self, py: Python<'_>, requests: &Bound<'_, PyAny>) -> PyResult<Vec<bool>> {
        guard(py, || {
            let batch = Batch::read(requests)?;
            self.with(py, |o| o.allowed_batch_of(&batch.refs()))
        })
    }

    /// The actions of the permission matrix that `caller` may perform on `resource`
    /// (what a console may enable).
    fn allowed_actions(
        &self,
        py: Python<'_>,
        caller: &Bound<'_, PyAny>,
        resource: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<String>> {
        guard(py, || {
            let (c, r) = (text(caller, "caller")?, text(resource, "resource")?);
            self.with(py, |o| o.allowed_actions(&c, &r))?.or_raise(py)
        })
    }

    /// Every identity allowed to perform `action` on `resource`: a list of
    /// `{"identity", "account", "role", "viaShare"?, "reason"}` dicts.
    fn who_can<'py>(
        &self,
        py: Python<'py>,
        action: &Bound<'py, PyAny>,
        resource: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (a, r) = (text(action, "action")?, text(resource, "resource")?);
            let allowed = self.with(py, |o| o.who_can(&a, &r))?.or_raise(py)?;
            convert::serde_to_py(py, &allowed)
        })
    }

    /// The access matrix of an instance (identities x resources x features) as a dict.
    fn access_matrix<'py>(&self, py: Python<'py>, instance_id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let id = text(instance_id, "instance_id")?;
            let m = self.with(py, |o| o.access_matrix(&id))?.or_raise(py)?;
            convert::serde_to_py(py, &m)
        })
    }

    /// The review: per instance who can use and manage what, and the findings (rule,
    /// severity, what, fix) as a dict.
    fn review<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let r = self.with(py, |o| o.review())?.or_raise(py)?;
            convert::serde_to_py(py, &r)
        })
    }

    /// The review as one self-contained HTML page.
    fn review_html(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let r = self.with(py, |o| o.review())?.or_raise(py)?;
            Ok(kms_share_core::review::html(&r))
        })
    }

    /// Preview `steps` (a list of step dicts) on a copy: their results and the
    /// differences in quota, access and matrix cells. Changes nothing.
    fn what_if<'py>(&self, py: Python<'py>, steps: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let steps = json(steps, "steps")?;
            let v = self.with(py, |o| o.what_if(&steps))?.or_raise(py)?;
            to_py(py, &v)
        })
    }

    /// The whole state as a dict (no key material; secret values only as ciphertext).
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = self.with(py, |o| serde_json::to_value(o.state()))?;
            let v = v.map_err(|e| crate::errors::internal(py, &e.to_string()))?;
            to_py(py, &v)
        })
    }

    /// The policy-only export for in-page checks: everything decisions read, with no key
    /// material and no secret values.
    fn policy_export<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = self.with(py, |o| serde_json::to_value(o.policy_export()))?;
            let v = v.map_err(|e| crate::errors::internal(py, &e.to_string()))?;
            to_py(py, &v)
        })
    }

    /// Replace the state with `state` (a dict or JSON text, e.g. a `policy_export()`).
    /// Keys loaded this way have no material: decisions work, cryptography fails with
    /// `InvalidState`.
    fn load_state(&self, py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let state: State = if state.is_instance_of::<PyString>() {
                State::from_text(&text(state, "state")?)
            } else {
                kms_share_core::objects::from_value(json(state, "state")?)
            }
            .map_err(|e| invalid_input(py, "state", format!("`state` is not a state: {e}")))?;
            self.with(py, |o| o.load_state(state))
        })
    }

    /// Save the whole organization as a sealed snapshot (CR-5) under a 32-byte root key:
    /// format version 3, or `version=2` for a reader of version 2 (the WebAssembly module).
    #[pyo3(signature = (root_key, version=None))]
    fn save_sealed(
        &self,
        py: Python<'_>,
        root_key: &Bound<'_, PyAny>,
        version: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        guard(py, || {
            let root = convert::bytes(root_key, "root_key")?;
            let version = convert::version(version)?;
            self.with(py, |o| match version {
                Some(v) => o.save_sealed_as(&root, v),
                None => o.save_sealed(&root),
            })?
            .or_raise(py)
        })
    }

    /// Test hook: panic inside the engine lock, to prove a panic becomes `KmsShareError`
    /// and leaves the organization refused rather than half-changed. Never use it.
    fn _panic_for_tests(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            self.with(py, |_| {
                #[allow(clippy::panic)]
                {
                    panic!("deliberate panic for tests")
                }
            })
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            self.with(py, |o| {
                let s = o.state();
                format!(
                    "<Organization: {} accounts, {} instances, {} shares, {} keys, {} secrets>",
                    s.accounts.len(),
                    s.instances.len(),
                    s.shares.len(),
                    s.keys.len(),
                    s.secrets.len()
                )
            })
        })
    }
}

/// Run a scenario document (JSON text or a dict) on a fresh organization, exactly as
/// `kms-share run` does. With `check=True`, also check that every failing step leaves
/// the state unchanged (slower; for tests).
#[pyfunction]
#[pyo3(signature = (document, *, check=None))]
pub fn run(py: Python<'_>, document: &Bound<'_, PyAny>, check: Option<&Bound<'_, PyAny>>) -> PyResult<PyRunResult> {
    guard(py, || {
        let text = convert::document_text(document, "document")?;
        let opts = RunOptions { check_unchanged_on_failure: convert::flag(check, "check")? };
        scenario::run(&text, Box::new(OsRng), opts).or_raise(py).map(PyRunResult)
    })
}

/// A version 1 scenario document in version 2's names, as `kms-share migrate` prints it,
/// and the notes of what could not be carried over.
#[pyfunction]
pub fn migrate(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<(String, Vec<String>)> {
    guard(py, || {
        let text = convert::document_text(document, "document")?;
        scenario::migrate_text(&text).or_raise(py)
    })
}

/// The requests of `explain_many` / `allowed_many`, read into one buffer: each request's
/// strings are copied one after another into `text`, and the request keeps where they
/// are. Four allocations per request, and their frees, were a third of a batch's
/// conversion (see `DecisionRef`).
struct Batch {
    text: String,
    requests: Vec<Parts>,
}

/// Where a request's strings are in [`Batch::text`].
struct Parts {
    caller: Range<usize>,
    action: Range<usize>,
    resource: Range<usize>,
    region: Option<Range<usize>>,
}

const REQUESTS_SHAPE: &str =
    "`requests` must be an iterable of (caller, action, resource[, region]) tuples or of dicts with those keys";

impl Batch {
    fn read(requests: &Bound<'_, PyAny>) -> PyResult<Batch> {
        let py = requests.py();
        if requests.is_instance_of::<PyString>() || requests.is_instance_of::<PyDict>() {
            return Err(invalid_input(py, "requests", REQUESTS_SHAPE.to_string()));
        }
        let iter = requests.try_iter().map_err(|_| invalid_input(py, "requests", REQUESTS_SHAPE.to_string()))?;
        let n = requests.len().unwrap_or(0);
        // Room for typical requests (a caller, an action and a key id or ARN).
        let mut batch = Batch { text: String::with_capacity(n.saturating_mul(96)), requests: Vec::with_capacity(n) };
        for (i, item) in iter.enumerate() {
            batch.read_one(&item?, i)?;
        }
        Ok(batch)
    }

    /// The requests, borrowing the buffer.
    fn refs(&self) -> Vec<DecisionRef<'_>> {
        // Every range was returned by `push` on this text, so `get` finds it; were it ever
        // not to, the empty caller would fail the request closed.
        let at = |r: &Range<usize>| self.text.get(r.clone()).unwrap_or_default();
        self.requests
            .iter()
            .map(|p| DecisionRef {
                caller: at(&p.caller),
                action: at(&p.action),
                resource: at(&p.resource),
                region: p.region.as_ref().map(at),
            })
            .collect()
    }

    fn push(&mut self, s: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(s);
        start..self.text.len()
    }

    fn read_one(&mut self, item: &Bound<'_, PyAny>, i: usize) -> PyResult<()> {
        let py = item.py();
        if let Ok(t) = item.cast::<PyTuple>() {
            return self.read_parts(py, t.iter_borrowed(), t.len(), i);
        }
        if let Ok(l) = item.cast::<PyList>() {
            return self.read_parts(py, l.iter().map(ListItem), l.len(), i);
        }
        let field = format!("requests[{i}]");
        if item.is_instance_of::<PyDict>() {
            // The dict form is read by the core's own serde type (unknown keys are refused).
            let r: DecisionRequest = kms_share_core::objects::from_value(json(item, &field)?)
                .map_err(|e| invalid_input(py, &field, format!("`{field}`: {e}")))?;
            let parts = Parts {
                caller: self.push(&r.caller),
                action: self.push(&r.action),
                resource: self.push(&r.resource),
                region: r.region.as_deref().map(|x| self.push(x)),
            };
            self.requests.push(parts);
            return Ok(());
        }
        Err(invalid_input(py, &field, convert::must_be(&field, "a tuple or a dict", item)))
    }

    /// A tuple's items (borrowed: no reference count changes) or a list's.
    fn read_parts<'py, B: Deref<Target = Bound<'py, PyAny>>>(
        &mut self,
        py: Python<'py>,
        mut items: impl Iterator<Item = B>,
        len: usize,
        i: usize,
    ) -> PyResult<()> {
        let (Some(c), Some(a), Some(r), region, true) =
            (items.next(), items.next(), items.next(), items.next(), len <= 4)
        else {
            let field = format!("requests[{i}]");
            return Err(invalid_input(py, &field, format!("`{field}` must have 3 or 4 items, not {len}")));
        };
        let parts = Parts {
            caller: self.part(&c, i, "caller")?,
            action: self.part(&a, i, "action")?,
            resource: self.part(&r, i, "resource")?,
            region: match region {
                Some(x) if !x.is_none() => Some(self.part(&x, i, "region")?),
                _ => None,
            },
        };
        self.requests.push(parts);
        Ok(())
    }

    /// One string of a request; the field name is only formatted on error.
    fn part(&mut self, obj: &Bound<'_, PyAny>, i: usize, name: &str) -> PyResult<Range<usize>> {
        if let Ok(s) = obj.cast::<PyString>() {
            if let Ok(c) = s.to_cow() {
                return Ok(self.push(&c));
            }
        }
        let owned = text(obj, &format!("requests[{i}].{name}"))?;
        Ok(self.push(&owned))
    }
}

/// A list's item, read as a tuple's borrowed items are.
struct ListItem<'py>(Bound<'py, PyAny>);

impl<'py> Deref for ListItem<'py> {
    type Target = Bound<'py, PyAny>;
    fn deref(&self) -> &Bound<'py, PyAny> {
        &self.0
    }
}
