//! Reading an action's `params` object: typed getters that name the field on
//! error, and a final check that no unknown parameter was passed.

use crate::idmap::IdMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::ids::shorten;

/// Longest string accepted in any parameter (1 MiB), before field-specific limits.
pub const MAX_PARAM_LEN: usize = 1 << 20;

/// The params of one call, with the names read so far (a handful: a list, not a set).
pub struct Params<'a> {
    action: &'a str,
    map: Option<&'a Map<String, Value>>,
    used: Vec<&'a str>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> Params<'a> {
    /// Wrap the params of `action` (`null` counts as `{}`).
    ///
    /// # Errors
    /// `InvalidParameter` when params is neither an object nor null.
    pub fn new(action: &'a str, v: &'a Value) -> Result<Self> {
        let map = match v {
            Value::Object(m) => Some(m),
            Value::Null => None,
            other => {
                return Err(Error::invalid(
                    "params",
                    None,
                    format!("params of {action} must be an object, not {}", type_name(other)),
                ))
            }
        };
        Ok(Params { action, map, used: Vec::new() })
    }

    /// The parameter `name` as given. A call's few parameters are found by comparing
    /// their names: the map's own lookup hashes the name first, which costs more.
    fn given(&self, name: &str) -> Option<&'a Value> {
        let m = self.map?;
        if m.len() <= 8 {
            m.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
        } else {
            m.get(name)
        }
    }

    fn raw(&mut self, name: &'a str) -> Option<&'a Value> {
        self.used.push(name);
        match self.given(name) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    /// True if the parameter is present (and not null).
    pub fn has(&self, name: &str) -> bool {
        matches!(self.given(name), Some(v) if !v.is_null())
    }

    /// An optional string.
    ///
    /// # Errors
    /// `InvalidParameter` if present but not a string, or longer than 1 MiB.
    pub fn opt_str(&mut self, name: &'a str) -> Result<Option<&'a str>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.len() <= MAX_PARAM_LEN => Ok(Some(s.as_str())),
            Some(Value::String(_)) => {
                Err(Error::new(crate::error::ErrorCode::LimitExceeded, None, format!("{name} is longer than 1 MiB"))
                    .at_field(name))
            }
            Some(other) => {
                Err(Error::invalid(name, None, format!("{name} must be a string, not {}", type_name(other))))
            }
        }
    }

    /// A required string.
    ///
    /// # Errors
    /// `InvalidParameter` if missing or not a string.
    pub fn str(&mut self, name: &'a str) -> Result<&'a str> {
        self.opt_str(name)?.ok_or_else(|| self.missing(name))
    }

    /// A required value parsed by `parse` (an id or name constructor).
    ///
    /// # Errors
    /// `InvalidParameter` if missing or rejected by `parse`; the error names `name`.
    pub fn parse<T>(&mut self, name: &'a str, parse: fn(&str) -> Result<T>) -> Result<T> {
        let s = self.str(name)?;
        parse(s).map_err(|e| e.at_field(name))
    }

    /// An optional value parsed by `parse`.
    ///
    /// # Errors
    /// `InvalidParameter` if present and rejected by `parse`.
    pub fn opt_parse<T>(&mut self, name: &'a str, parse: fn(&str) -> Result<T>) -> Result<Option<T>> {
        match self.opt_str(name)? {
            Some(s) => parse(s).map(Some).map_err(|e| e.at_field(name)),
            None => Ok(None),
        }
    }

    /// An optional boolean (JSON `true`/`false`, or the strings `"true"`/`"false"`).
    ///
    /// # Errors
    /// `InvalidParameter` for anything else.
    pub fn opt_bool(&mut self, name: &'a str) -> Result<Option<bool>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(other) => {
                Err(Error::invalid(name, None, format!("{name} must be true or false, not {}", type_name(other))))
            }
        }
    }

    /// An optional non-negative integer (a JSON number or a decimal string).
    ///
    /// # Errors
    /// `InvalidParameter` for anything else.
    pub fn opt_u64(&mut self, name: &'a str) -> Result<Option<u64>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| Error::invalid(name, None, format!("{name} must be a non-negative integer, not `{n}`"))),
            Some(Value::String(s)) => s.parse::<u64>().map(Some).map_err(|_| {
                Error::invalid(name, None, format!("{name} must be a non-negative integer, not `{}`", shorten(s)))
            }),
            Some(other) => Err(Error::invalid(
                name,
                None,
                format!("{name} must be a non-negative integer, not {}", type_name(other)),
            )),
        }
    }

    /// An optional list of strings; a single string counts as a one-item list, and a
    /// comma-separated string is split when `split_commas` (RD-4 invitations).
    ///
    /// # Errors
    /// `InvalidParameter` for anything else.
    pub fn opt_list(&mut self, name: &'a str, split_commas: bool) -> Result<Option<Vec<String>>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.starts_with('[') => match serde_json::from_str::<Value>(s) {
                // A list as JSON text, as the SDKs send `TagKeys`.
                Ok(Value::Array(items)) => Self::strings(name, &items).map(Some),
                _ => Err(Error::invalid(name, None, format!("{name} must be a list of strings"))),
            },
            Some(Value::String(s)) => {
                if split_commas {
                    Ok(Some(s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()))
                } else {
                    Ok(Some(alloc::vec![s.clone()]))
                }
            }
            Some(Value::Array(items)) => Self::strings(name, items).map(Some),
            Some(other) => {
                Err(Error::invalid(name, None, format!("{name} must be a list of strings, not {}", type_name(other))))
            }
        }
    }

    /// A list of strings, at most 1000.
    fn strings(name: &str, items: &[Value]) -> Result<Vec<String>> {
        if items.len() > 1000 {
            return Err(Error::new(
                crate::error::ErrorCode::LimitExceeded,
                None,
                format!("{name} has more than 1000 items"),
            )
            .at_field(name));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            match it {
                Value::String(s) => out.push(s.clone()),
                other => {
                    return Err(Error::invalid(
                        &format!("{name}[{i}]"),
                        None,
                        format!("{name}[{i}] must be a string, not {}", type_name(other)),
                    ))
                }
            }
        }
        Ok(out)
    }

    /// An optional string-to-string map (tags, encryption context). Accepts an object,
    /// or the vendor's tag lists `[{"Key":..,"Value":..}]` (Resource Manager) and
    /// `[{"TagKey":..,"TagValue":..}]` (KMS), either as JSON or as JSON text.
    ///
    /// # Errors
    /// `InvalidParameter` for anything else.
    pub fn opt_map(&mut self, name: &'a str) -> Result<Option<IdMap<String, String>>> {
        let v = match self.raw(name) {
            None => return Ok(None),
            Some(v) => v,
        };
        let parsed;
        let v = match v {
            Value::String(s) => {
                parsed = serde_json::from_str::<Value>(s)
                    .map_err(|_| Error::invalid(name, None, format!("{name} must be an object of strings")))?;
                &parsed
            }
            other => other,
        };
        let mut out = IdMap::new();
        match v {
            Value::Object(m) => {
                for (k, val) in m {
                    match val {
                        Value::String(s) => {
                            out.insert(k.clone(), s.clone());
                        }
                        other => {
                            return Err(Error::invalid(
                                &format!("{name}.{k}"),
                                None,
                                format!("{name}.{k} must be a string, not {}", type_name(other)),
                            ))
                        }
                    }
                }
            }
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    let k = it.get("Key").or_else(|| it.get("TagKey")).and_then(Value::as_str);
                    let val = it.get("Value").or_else(|| it.get("TagValue")).and_then(Value::as_str).unwrap_or("");
                    match k {
                        Some(k) => {
                            out.insert(k.to_string(), val.to_string());
                        }
                        None => {
                            return Err(Error::invalid(
                                &format!("{name}[{i}]"),
                                None,
                                format!("{name}[{i}] must be an object with a string `Key` (or `TagKey`)"),
                            ))
                        }
                    }
                }
            }
            other => {
                return Err(Error::invalid(
                    name,
                    None,
                    format!("{name} must be an object of strings, not {}", type_name(other)),
                ))
            }
        }
        if out.len() > 64 {
            return Err(Error::new(
                crate::error::ErrorCode::LimitExceeded,
                None,
                format!("{name} has more than 64 entries"),
            )
            .at_field(name));
        }
        Ok(Some(out))
    }

    /// A raw optional value (for nested documents such as policies and steps).
    pub fn opt_value(&mut self, name: &'a str) -> Option<&'a Value> {
        self.raw(name)
    }

    /// The error for a missing required parameter.
    pub fn missing(&self, name: &str) -> Error {
        Error::invalid(name, None, format!("{} needs the parameter {name}", self.action))
            .with_vendor("MissingParameter")
    }

    /// Fail on any parameter that was not read.
    ///
    /// # Errors
    /// `InvalidParameter` naming the first unknown parameter.
    pub fn finish(&self) -> Result<()> {
        if let Some(m) = self.map {
            if let Some(k) = m.keys().find(|k| !self.used.contains(&k.as_str())) {
                let mut known = self.used.clone();
                known.sort_unstable();
                known.dedup();
                return Err(Error::invalid(
                    k,
                    None,
                    format!("unknown parameter `{}` for {} (known: {})", shorten(k), self.action, known.join(", ")),
                ));
            }
        }
        Ok(())
    }
}
