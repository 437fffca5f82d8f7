//! Python values <-> JSON values, and argument extraction.
//!
//! Every public function takes its arguments as `object` and converts them here, so that
//! a wrong type, `None`, a lone surrogate, an out-of-range integer or a cyclic list is an
//! `InvalidInput` (engine code `InvalidParameter`, naming the argument) and never a
//! `TypeError`, a panic or a stack overflow. JSON-shaped inputs (steps, params, scenario
//! documents, states) become [`serde_json::Value`] and are then read by the core's own
//! serde types: the binding never re-declares a shape.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use kms_share_core::ids::shorten;

use crate::errors::invalid_input;

/// Deepest nesting accepted from Python (the same limit as `serde_json`'s parser), so a
/// cyclic or absurdly deep structure is refused instead of exhausting the stack.
pub const MAX_DEPTH: usize = 128;

/// A `str` argument.
///
/// # Errors
/// `InvalidInput` naming `field` for anything but a `str` (or a `str` with lone surrogates).
pub fn text(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    let py = obj.py();
    let s = obj.cast::<PyString>().map_err(|_| invalid_input(py, field, must_be(field, "a str", obj)))?;
    s.to_cow()
        .map(|c| c.into_owned())
        .map_err(|_| invalid_input(py, field, format!("`{field}` is not valid Unicode (it has a lone surrogate)")))
}

/// An optional `str` argument (`None` is absent).
///
/// # Errors
/// As [`text`].
pub fn opt_text(obj: Option<&Bound<'_, PyAny>>, field: &str) -> PyResult<Option<String>> {
    match obj {
        Some(o) if !o.is_none() => text(o, field).map(Some),
        _ => Ok(None),
    }
}

/// A `bool` argument (exactly `True` or `False`).
///
/// # Errors
/// `InvalidInput` for anything else.
pub fn flag(obj: Option<&Bound<'_, PyAny>>, field: &str) -> PyResult<bool> {
    match obj {
        None => Ok(false),
        Some(o) => o
            .cast::<PyBool>()
            .map(|b| b.is_true())
            .map_err(|_| invalid_input(o.py(), field, must_be(field, "a bool", o))),
    }
}

/// An optional seed: a non-negative `int` below 2**64, or `None`.
///
/// # Errors
/// `InvalidInput` for another type or an integer out of range.
pub fn seed(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    let py = o.py();
    if o.is_instance_of::<PyBool>() || !o.is_instance_of::<PyInt>() {
        return Err(invalid_input(py, "seed", must_be("seed", "an int or None", o)));
    }
    o.extract::<u64>()
        .map(Some)
        .map_err(|_| invalid_input(py, "seed", "`seed` must be between 0 and 2**64-1".to_string()))
}

/// An optional snapshot format version: `None`, or an int (which the core checks).
///
/// # Errors
/// `InvalidInput` for another type or an integer out of range.
pub fn version(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u32>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    let py = o.py();
    if o.is_instance_of::<PyBool>() || !o.is_instance_of::<PyInt>() {
        return Err(invalid_input(py, "version", must_be("version", "an int or None", o)));
    }
    o.extract::<u32>().map(Some).map_err(|_| invalid_input(py, "version", "`version` must be 2 or 3".to_string()))
}

/// A `bytes`-like argument (`bytes` or `bytearray`).
///
/// # Errors
/// `InvalidInput` for anything else.
pub fn bytes(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    Err(invalid_input(obj.py(), field, must_be(field, "bytes", obj)))
}

/// A JSON document given as text (`str` or UTF-8 `bytes`) or as Python values (`dict`,
/// `list`, ...), returned as JSON text for the core's parsers.
///
/// # Errors
/// `InvalidInput` for bytes that are not UTF-8 or values that are not JSON-like.
pub fn document_text(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    let py = obj.py();
    if obj.is_instance_of::<PyString>() {
        return text(obj, field);
    }
    if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
        return String::from_utf8(bytes(obj, field)?)
            .map_err(|_| invalid_input(py, field, format!("`{field}` is not UTF-8 text")));
    }
    let v = json(obj, field)?;
    serde_json::to_string(&v).map_err(|e| invalid_input(py, field, format!("`{field}`: {e}")))
}

/// A JSON-like Python value (`None`, `bool`, `int`, `float`, `str`, `list`, `tuple`,
/// `dict` with `str` keys) as a JSON value.
///
/// # Errors
/// `InvalidInput` naming the path of the first bad part (`params.Tags[0]`).
pub fn json(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Value> {
    value_of(obj, 0).map_err(|bad| {
        let mut path = field.to_string();
        for seg in bad.path.iter().rev() {
            match seg {
                Seg::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Seg::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        let path = shorten(&path);
        invalid_input(obj.py(), &path, format!("`{path}` {}", bad.message))
    })
}

/// A JSON value as Python values (`dict` keeps the document's key order).
///
/// # Errors
/// Only if Python cannot allocate.
pub fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let items = a.iter().map(|x| to_py(py, x)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A serializable core value as Python values, through its one serde shape.
///
/// # Errors
/// Only if serialization or allocation fails.
pub fn serde_to_py<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v)
        .map_err(|e| crate::errors::internal(py, &format!("a result did not serialize: {e}")))?;
    to_py(py, &value)
}

/// The wire name of a unit enum value (`Allow`, `sharePermission`), from its serde form.
pub fn wire<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => e.to_string(),
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

struct Bad {
    /// Innermost segment first.
    path: Vec<Seg>,
    message: String,
}

impl Bad {
    fn new(message: impl Into<String>) -> Self {
        Bad { path: Vec::new(), message: message.into() }
    }
    fn at(mut self, seg: Seg) -> Self {
        self.path.push(seg);
        self
    }
}

fn value_of(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, Bad> {
    if depth > MAX_DEPTH {
        return Err(Bad::new(format!("is nested more than {MAX_DEPTH} levels deep (or contains itself)")));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return obj
            .extract::<u64>()
            .map(Value::from)
            .map_err(|_| Bad::new("is an integer outside the 64-bit range JSON documents use here"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value()).map(Value::Number).ok_or_else(|| Bad::new("is not a finite number"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|c| Value::String(c.into_owned()))
            .map_err(|_| Bad::new("is not valid Unicode (it has a lone surrogate)"));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::new();
        for (k, v) in d.iter() {
            let key = match k.cast::<PyString>() {
                Ok(s) => {
                    s.to_cow().map(|c| c.into_owned()).map_err(|_| Bad::new("has a key that is not valid Unicode"))?
                }
                Err(_) => return Err(Bad::new(format!("has a key of type `{}` (keys must be str)", type_name(&k)))),
            };
            let x = value_of(&v, depth + 1).map_err(|b| b.at(Seg::Key(key.clone())))?;
            m.insert(key, x);
        }
        return Ok(Value::Object(m));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return seq(l.iter(), depth);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return seq(t.iter(), depth);
    }
    Err(Bad::new(format!(
        "has a value of type `{}` (expected None, bool, int, float, str, list, tuple or dict)",
        type_name(obj)
    )))
}

fn seq<'py>(items: impl Iterator<Item = Bound<'py, PyAny>>, depth: usize) -> Result<Value, Bad> {
    let mut out = Vec::new();
    for (i, x) in items.enumerate() {
        out.push(value_of(&x, depth + 1).map_err(|b| b.at(Seg::Index(i)))?);
    }
    Ok(Value::Array(out))
}

/// `` `field` must be what, not `type` ``.
pub fn must_be(field: &str, what: &str, obj: &Bound<'_, PyAny>) -> String {
    format!("`{field}` must be {what}, not `{}`", type_name(obj))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|_| "object".to_string())
}
