//! Typed requests: each call's parameters declared once, with the vendor's names, as a
//! struct that `request!` also teaches to read itself from a call's parameters. The
//! declarations are what the handlers read, what the TypeScript and Python types are
//! generated from, and what `docs/scenario-format.md` lists.
//!
//! Parameters arrive as the SDKs send them or as JSON: lists as arrays, JSON text or
//! flattened `Targets.1`, `Targets.2`; maps (tags, encryption contexts) as objects, JSON
//! text or the vendors' tag lists. [`unflatten`] turns the flattened forms into arrays
//! and objects before a handler reads them.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::idmap::IdMap;
use crate::params::Params;

/// A value that is one text parameter: a string, or an id or name that validates.
pub trait Text: Sized {
    /// Parse the text.
    ///
    /// # Errors
    /// `InvalidParameter` when the text is not a valid value of this kind.
    fn from_text(s: &str) -> Result<Self>;
}

impl Text for String {
    fn from_text(s: &str) -> Result<Self> {
        Ok(s.to_string())
    }
}

/// A value a parameter can hold.
pub trait Param: Sized {
    /// Read parameter `name`; `None` when it is absent (or `null`).
    ///
    /// # Errors
    /// `InvalidParameter` (or `LimitExceeded`) naming `name`.
    fn read(p: &mut Params<'_>, name: &'static str) -> Result<Option<Self>>;
}

impl<T: Text> Param for T {
    fn read(p: &mut Params<'_>, name: &'static str) -> Result<Option<Self>> {
        match p.opt_str(name)? {
            Some(s) => T::from_text(s).map(Some).map_err(|e| e.at_field(name)),
            None => Ok(None),
        }
    }
}

impl Param for u64 {
    fn read(p: &mut Params<'_>, name: &'static str) -> Result<Option<Self>> {
        p.opt_u64(name)
    }
}

impl Param for bool {
    fn read(p: &mut Params<'_>, name: &'static str) -> Result<Option<Self>> {
        p.opt_bool(name)
    }
}

impl Param for IdMap<String, String> {
    fn read(p: &mut Params<'_>, name: &'static str) -> Result<Option<Self>> {
        p.opt_map(name)
    }
}

impl Param for Vec<String> {
    fn read(p: &mut Params<'_>, name: &'static str) -> Result<Option<Self>> {
        p.opt_list(name, false)
    }
}

impl Param for Value {
    fn read(p: &mut Params<'_>, name: &'static str) -> Result<Option<Self>> {
        Ok(p.opt_value(name).cloned())
    }
}

/// Reads a request's parameters in order, keeping the first error instead of returning
/// at it: a request's reader then builds the request once, at the end, rather than
/// dropping what it read so far at every parameter that could fail.
pub(crate) struct Reader<'p, 'a> {
    p: &'p mut Params<'a>,
    error: Option<crate::error::Error>,
}

impl<'p, 'a> Reader<'p, 'a> {
    pub(crate) fn new(p: &'p mut Params<'a>) -> Self {
        Reader { p, error: None }
    }

    #[inline(never)]
    fn fail(&mut self, e: crate::error::Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    #[inline(never)]
    fn missing(&mut self, name: &'static str) {
        let e = self.p.missing(name);
        self.fail(e);
    }

    /// A required parameter; `None` (the error kept) when missing or wrong.
    pub(crate) fn req<T: Param>(&mut self, name: &'static str) -> Option<T> {
        match T::read(self.p, name) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                self.missing(name);
                None
            }
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    /// An optional parameter; `None` (the error kept) when wrong.
    pub(crate) fn opt<T: Param>(&mut self, name: &'static str) -> Option<Option<T>> {
        match T::read(self.p, name) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    /// The first error kept, else the first unknown parameter.
    pub(crate) fn finish(self) -> Result<()> {
        match self.error {
            Some(e) => Err(e),
            None => self.p.finish(),
        }
    }
}

/// What a request's reader returns if a parameter it holds no error for went unread
/// (never: [`Reader::finish`] has reported it).
pub(crate) fn unread() -> crate::error::Error {
    crate::error::Error::invalid("params", None, "a parameter could not be read")
}

/// Declare a request: a struct with the vendor's parameter names, its required and then
/// its optional fields, and a `read` that takes them from a call's parameters (and
/// refuses any other).
macro_rules! request {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            required { $( $(#[$rmeta:meta])* $rjson:literal $rfield:ident : $rty:ty ),* $(,)? }
            optional { $( $(#[$ometa:meta])* $ojson:literal $ofield:ident : $oty:ty ),* $(,)? }
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        $vis struct $name {
            $( $(#[$rmeta])* #[serde(rename = $rjson)] pub $rfield: $rty, )*
            $( $(#[$ometa])* #[serde(rename = $ojson, default, skip_serializing_if = "Option::is_none")] pub $ofield: Option<$oty>, )*
        }

        impl $name {
            /// Read the request from a call's parameters: every required one present,
            /// each of the right type, none unknown.
            ///
            /// # Errors
            /// `InvalidParameter` (or `LimitExceeded`) naming the first parameter, in
            /// the declared order, that is missing or wrong, else the first unknown one.
            #[allow(unreachable_patterns, unused_mut)]
            pub(crate) fn read(p: &mut $crate::params::Params<'_>) -> $crate::error::Result<Self> {
                let mut r = $crate::request::Reader::new(p);
                let read = ( $( r.req::<$rty>($rjson), )* $( r.opt::<$oty>($ojson), )* );
                r.finish()?;
                match read {
                    ( $( Some($rfield), )* $( Some($ofield), )* ) => Ok($name { $($rfield,)* $($ofield,)* }),
                    _ => Err($crate::request::unread()),
                }
            }
        }
    };
}
pub(crate) use request;

/// Turn the SDKs' flattened parameters into JSON: `Targets.1=a&Targets.2=b` into
/// `Targets: ["a", "b"]`, `Resources.1.ResourceId=x` into `Resources: [{"ResourceId": x}]`.
/// A parameter without a dot is kept as it is; a flattened one next to the same name
/// given whole is an error left to the reader (the name is read once, as given whole).
/// Parameters with nothing flattened (JSON callers, most calls) are borrowed as given.
pub fn unflatten(params: &Value) -> Cow<'_, Value> {
    let Value::Object(map) = params else { return Cow::Borrowed(params) };
    if !map.keys().any(|k| k.contains('.')) {
        return Cow::Borrowed(params);
    }
    let mut out = Map::new();
    for (k, v) in map {
        insert_path(&mut out, k, v.clone());
    }
    Cow::Owned(Value::Object(out))
}

/// Put `value` at the dotted `path` of `obj`; numeric parts (1-based, as the SDKs count)
/// are list positions.
fn insert_path(obj: &mut Map<String, Value>, path: &str, value: Value) {
    let Some((head, rest)) = path.split_once('.') else {
        obj.insert(path.to_string(), value);
        return;
    };
    let (index, tail) = match rest.split_once('.') {
        Some((i, t)) => (i, Some(t)),
        None => (rest, None),
    };
    let Some(n) = index.parse::<usize>().ok().filter(|n| (1..=1000).contains(n)) else {
        // Not a list position: a dotted name the reader will refuse as unknown.
        obj.insert(path.to_string(), value);
        return;
    };
    let slot = obj.entry(head.to_string()).or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = slot else {
        obj.insert(path.to_string(), value);
        return;
    };
    if list.len() < n {
        list.resize(n, Value::Null);
    }
    let Some(item) = list.get_mut(n - 1) else { return };
    match tail {
        None => *item = value,
        Some(t) => {
            if !item.is_object() {
                *item = Value::Object(Map::new());
            }
            if let Value::Object(m) = item {
                insert_path(m, t, value);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattened_lists_and_objects_become_json() {
        let given = json!({
            "ResourceShareId": "rs-1",
            "Targets.1": "fd-a",
            "Targets.2": "1000000000000002",
            "Resources.1.ResourceId": "kst-1",
            "Resources.1.ResourceType": "KMSInstance",
            "Tag.2.Key": "k2",
            "Tag.1.Key": "k1",
            "Tag.1.Value": "v1",
        });
        let v = unflatten(&given);
        assert!(matches!(v, Cow::Owned(_)));
        assert_eq!(
            *v,
            json!({
                "ResourceShareId": "rs-1",
                "Targets": ["fd-a", "1000000000000002"],
                "Resources": [{"ResourceId": "kst-1", "ResourceType": "KMSInstance"}],
                "Tag": [{"Key": "k1", "Value": "v1"}, {"Key": "k2"}],
            })
        );
        assert!(matches!(unflatten(&json!({"KeyId": "k"})), Cow::Borrowed(v) if *v == json!({"KeyId": "k"})));
        // A position out of range is left as the name it is, for the reader to refuse.
        assert_eq!(*unflatten(&json!({"Targets.0": "x"})), json!({"Targets.0": "x"}));
    }
}
