//! From a JSON policy document to compiled statements (RAM-2).
//!
//! Every error is `InvalidParameter` with rule `RAM-2` and a `field` that is a
//! path into the document (`PolicyDocument.Statement[1].Effect`), so a user can
//! find the bad part of a long policy. Size caps give `LimitExceeded`.
//! Work done here (folding action patterns and condition keys, parsing IP
//! blocks) is work evaluation never repeats.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::IpAddr;
use serde_json::{Map, Value};

use super::glob::fold_str;
use super::{ActionSet, Cidr, Condition, Effect, Patterns, Statement, Test};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::shorten;
use crate::rules::Rule;

const RULE: Rule = Rule::Ram2;
const ROOT: &str = "PolicyDocument";

/// Most bytes of JSON text in one policy document.
pub(super) const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Most statements in one policy document.
pub(super) const MAX_STATEMENTS: usize = 100;
/// Most items in one list (actions, resources, condition operators, keys, values).
pub(super) const MAX_ITEMS: usize = 100;

const STATEMENT_FIELDS: [&str; 6] = ["Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"];

/// Supported condition operators: name, test kind, negated.
const OPERATORS: [(&str, Kind, bool); 9] = [
    ("StringEquals", Kind::Equals, false),
    ("StringNotEquals", Kind::Equals, true),
    ("StringEqualsIgnoreCase", Kind::EqualsFold, false),
    ("StringNotEqualsIgnoreCase", Kind::EqualsFold, true),
    ("StringLike", Kind::Like, false),
    ("StringNotLike", Kind::Like, true),
    ("Bool", Kind::Bool, false),
    ("IpAddress", Kind::Ip, false),
    ("NotIpAddress", Kind::Ip, true),
];

/// Operators of the vendor's language that this engine does not evaluate.
/// They are rejected (AZ-3: fail closed), with a clearer message than "unknown".
const UNSUPPORTED_OPERATORS: [&str; 12] = [
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Equals,
    EqualsFold,
    Like,
    Bool,
    Ip,
}

/// Parse JSON text into a document, enforcing the size cap first.
pub(super) fn json(text: &str) -> Result<Value> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(too_large(Some(text.len())));
    }
    serde_json::from_str(text).map_err(|e| invalid(&Path::Root, format!("policy document is not valid JSON: {e}")))
}

/// Enforce the size cap on a document given as a value: its compact JSON text
/// may have at most [`MAX_DOCUMENT_BYTES`]. Computes the length of that text without
/// building it (and without `Display`, whose error propagation differs without `std`),
/// stopping as soon as the cap is passed.
pub(super) fn check_size(doc: &Value) -> Result<()> {
    fn string_len(s: &str) -> usize {
        2 + s
            .chars()
            .map(|c| match c {
                '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
                c if (c as u32) < 0x20 => 6,
                c => c.len_utf8(),
            })
            .sum::<usize>()
    }
    fn size(v: &Value, used: usize) -> Option<usize> {
        let add = |n: usize| used.checked_add(n).filter(|t| *t <= MAX_DOCUMENT_BYTES);
        match v {
            Value::Null => add(4),
            Value::Bool(b) => add(if *b { 4 } else { 5 }),
            Value::Number(n) => add(alloc::format!("{n}").len()),
            Value::String(s) => add(string_len(s)),
            Value::Array(items) => {
                let mut used = add(2 + items.len().saturating_sub(1))?;
                for it in items {
                    used = size(it, used)?;
                }
                Some(used)
            }
            Value::Object(map) => {
                let mut used = add(2 + map.len().saturating_sub(1))?;
                for (k, it) in map {
                    used = used.checked_add(string_len(k) + 1).filter(|t| *t <= MAX_DOCUMENT_BYTES)?;
                    used = size(it, used)?;
                }
                Some(used)
            }
        }
    }
    match size(doc, 0) {
        Some(_) => Ok(()),
        None => Err(too_large(None)),
    }
}

/// Where a part of the document is (`PolicyDocument.Statement[1].Effect`): built as the
/// compiler descends and written out only for an error, so compiling a valid document
/// makes no path text.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    /// A member (the name is shortened and escaped when written: it may be the user's).
    Field(&'a Path<'a>, &'a str),
    /// A list's item.
    Item(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    fn field(&'a self, name: &'a str) -> Path<'a> {
        Path::Field(self, name)
    }

    fn item(&'a self, i: usize) -> Path<'a> {
        Path::Item(self, i)
    }
}

impl Path<'_> {
    fn write(&self, out: &mut String) {
        match self {
            Path::Root => out.push_str(ROOT),
            Path::Field(p, name) => {
                p.write(out);
                out.push('.');
                out.push_str(&shorten(name));
            }
            Path::Item(p, i) => {
                p.write(out);
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// Compile a document (already within the size cap) into statements.
pub(super) fn compile(doc: &Value) -> Result<Vec<Statement>> {
    let root = Path::Root;
    let Value::Object(map) = doc else {
        return Err(invalid(&root, format!("policy document must be a JSON object, not {}", kind(doc))));
    };
    reject_unknown(map, &root, &["Version", "Statement"])?;
    version(map.get("Version"), &root.field("Version"))?;
    let path = root.field("Statement");
    match map.get("Statement") {
        None => Err(invalid(&path, "statement is required: a list of statement objects")),
        Some(Value::Object(one)) => Ok(alloc::vec![statement(one, &path)?]),
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Err(invalid(&path, "statement must not be empty"));
            }
            if items.len() > MAX_STATEMENTS {
                return Err(limit(
                    &path,
                    format!("a policy may have at most {MAX_STATEMENTS} statements, not {}", items.len()),
                ));
            }
            let statements = items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Object(obj) => statement(obj, &path.item(i)),
                    other => {
                        Err(invalid(&path.item(i), format!("statement must be an object, not {}", describe(other))))
                    }
                })
                .collect::<Result<Vec<Statement>>>()?;
            Ok(sized(statements))
        }
        Some(other) => {
            Err(invalid(&path, format!("statement must be a list of statement objects, not {}", describe(other))))
        }
    }
}

fn version(value: Option<&Value>, path: &Path<'_>) -> Result<()> {
    match value {
        Some(Value::String(s)) if s == "1" => Ok(()),
        None => Err(invalid(path, "version is required and must be the string `1`")),
        Some(other) => Err(invalid(path, format!("version must be the string `1`, not {}", describe(other)))),
    }
}

fn statement(obj: &Map<String, Value>, path: &Path<'_>) -> Result<Statement> {
    reject_unknown(obj, path, &STATEMENT_FIELDS)?;
    let effect = effect(obj.get("Effect"), &path.field("Effect"))?;
    let (not, field, value) = exactly_one(obj, path, "Action", "NotAction")?;
    let action = Patterns { not, items: patterns(strings(value, &path.field(field), "action", action_pattern)?) };
    let (not, field, value) = exactly_one(obj, path, "Resource", "NotResource")?;
    let resource = Patterns { not, items: patterns(strings(value, &path.field(field), "resource", resource_pattern)?) };
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(value) => conditions(value, &path.field("Condition"))?,
    };
    let known = ActionSet::of(&action);
    Ok(Statement { effect, action, known, resource, conditions })
}

fn effect(value: Option<&Value>, path: &Path<'_>) -> Result<Effect> {
    match value {
        Some(Value::String(s)) if s == "Allow" => Ok(Effect::Allow),
        Some(Value::String(s)) if s == "Deny" => Ok(Effect::Deny),
        None => Err(invalid(path, "effect is required: `Allow` or `Deny`")),
        Some(other) => Err(invalid(path, format!("effect must be `Allow` or `Deny`, not {}", describe(other)))),
    }
}

/// The one present field of a pair such as `Action`/`NotAction`: whether it is
/// the negated one, its name and its value.
fn exactly_one<'v>(
    obj: &'v Map<String, Value>,
    path: &Path<'_>,
    plain: &'static str,
    negated: &'static str,
) -> Result<(bool, &'static str, &'v Value)> {
    match (obj.get(plain), obj.get(negated)) {
        (Some(v), None) => Ok((false, plain, v)),
        (None, Some(v)) => Ok((true, negated, v)),
        (Some(_), Some(_)) => {
            Err(invalid(&path.field(negated), format!("a statement has `{plain}` or `{negated}`, not both")))
        }
        (None, None) => Err(invalid(&path.field(plain), format!("a statement needs `{plain}` or `{negated}`"))),
    }
}

/// A list's patterns as the policy keeps them (see `glob::Pattern`), [`sized`].
fn patterns(items: Vec<String>) -> Vec<super::glob::Pattern> {
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    let items: Vec<super::glob::Pattern> = items.into_iter().map(super::glob::Pattern::new).collect();
    sized(items)
}

/// A list a policy keeps, natively sized to its items: a list collected through
/// `Result` may have room for more (four items for one), and a large state keeps
/// hundreds of thousands of them. (Not in WebAssembly, whose module's size is held under
/// a ceiling and whose pages hold few policies.)
fn sized<T>(list: Vec<T>) -> Vec<T> {
    #[cfg(not(target_arch = "wasm32"))]
    let list = {
        let mut list = list;
        list.shrink_to_fit();
        list
    };
    list
}

/// A string or a non-empty list of strings (RAM-2: a single string equals a
/// one-item list), each item checked and compiled by `item`.
fn strings(
    value: &Value,
    path: &Path<'_>,
    what: &str,
    item: fn(&str, &Path<'_>) -> Result<String>,
) -> Result<Vec<String>> {
    match value {
        Value::String(s) => Ok(alloc::vec![item(s, path)?]),
        Value::Array(items) => {
            check_list_len(items.len(), path, what)?;
            items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => item(s, &path.item(i)),
                    other => Err(invalid(&path.item(i), format!("{what} must be a string, not {}", describe(other)))),
                })
                .collect()
        }
        other => Err(invalid(path, format!("{what} must be a string or a list of strings, not {}", describe(other)))),
    }
}

/// `*` or `service:Name`, wildcards allowed in both parts; folded to lowercase
/// once here since actions compare case-insensitively (RAM-2, RAM-3).
fn action_pattern(s: &str, path: &Path<'_>) -> Result<String> {
    let well_formed = s == "*"
        || s.split_once(':')
            .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty() && !name.contains(':'));
    if !well_formed {
        return Err(invalid(
            path,
            format!(
                "action `{}` must be `*` or look like `service:Name`, for example `{}`",
                shorten(s),
                crate::action::Action::Encrypt.ram()
            ),
        ));
    }
    Ok(fold_str(s))
}

/// Interpretation: a resource is `*`-led or an `acs:` resource name (RAM-3),
/// so that a typo such as `kms:*:*:key/*` is an error rather than a Deny
/// statement that silently never applies (AZ-3).
fn resource_pattern(s: &str, path: &Path<'_>) -> Result<String> {
    if s.starts_with('*') || s.starts_with("acs:") {
        return Ok(s.to_string());
    }
    Err(invalid(
        path,
        format!("resource `{}` must be `*` or start with `acs:`, for example `acs:kms:*:*:key/*`", shorten(s)),
    ))
}

fn conditions(value: &Value, path: &Path<'_>) -> Result<Vec<Condition>> {
    let Value::Object(ops) = value else {
        return Err(invalid(path, format!("condition must be an object of operators, not {}", describe(value))));
    };
    check_max(ops.len(), path, || "a condition".to_string(), "operators")?;
    let mut out = Vec::new();
    for (op, keys) in ops {
        let op_path = path.field(op);
        let (kind, negated) = operator(op, &op_path)?;
        let Value::Object(keys) = keys else {
            return Err(invalid(
                &op_path,
                format!("condition `{op}` must be an object of condition keys, not {}", describe(keys)),
            ));
        };
        if keys.is_empty() {
            return Err(invalid(&op_path, format!("condition `{op}` must name at least one condition key")));
        }
        check_max(keys.len(), &op_path, || format!("condition `{op}`"), "keys")?;
        for (key, values) in keys {
            let key_path = op_path.field(key);
            if key.is_empty() {
                return Err(invalid(&key_path, "condition key must not be empty"));
            }
            let values = condition_values(values, &key_path)?;
            out.push(Condition { key: fold_str(key), negated, test: test(kind, op, values, &key_path)? });
        }
    }
    Ok(out)
}

fn operator(op: &str, path: &Path<'_>) -> Result<(Kind, bool)> {
    if let Some((_, kind, negated)) = OPERATORS.iter().find(|(name, _, _)| *name == op) {
        return Ok((*kind, *negated));
    }
    let supported = OPERATORS.iter().map(|(name, _, _)| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    let message = if UNSUPPORTED_OPERATORS.contains(&op) {
        format!("condition operator `{op}` is not supported; supported operators: {supported}")
    } else if let Some(name) = OPERATORS
        .iter()
        .map(|(name, _, _)| *name)
        .chain(UNSUPPORTED_OPERATORS)
        .find(|name| name.eq_ignore_ascii_case(op))
    {
        format!("unknown condition operator `{op}`; did you mean `{name}`?")
    } else {
        format!("unknown condition operator `{}`, expected one of {supported}", shorten(op))
    };
    Err(invalid(path, message))
}

/// A string or non-empty list of strings; JSON booleans and numbers count as
/// their text (`true`, `10`), as the vendor's documents often write them bare.
fn condition_values(value: &Value, path: &Path<'_>) -> Result<Vec<String>> {
    let one = |v: &Value, path: &Path<'_>| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(invalid(path, format!("condition value must be a string, not {}", describe(other)))),
    };
    match value {
        Value::Array(items) => {
            check_list_len(items.len(), path, "condition value")?;
            items.iter().enumerate().map(|(i, v)| one(v, &path.item(i))).collect()
        }
        Value::Object(_) | Value::Null => Err(invalid(
            path,
            format!("condition values must be a string or a list of strings, not {}", describe(value)),
        )),
        scalar => Ok(alloc::vec![one(scalar, path)?]),
    }
}

fn test(kind: Kind, op: &str, values: Vec<String>, path: &Path<'_>) -> Result<Test> {
    Ok(match kind {
        Kind::Equals => Test::Equals(values),
        Kind::EqualsFold => Test::EqualsFold(values.iter().map(|v| fold_str(v)).collect()),
        Kind::Like => Test::Like(values),
        Kind::Bool => Test::Bool(
            values
                .iter()
                .map(|v| {
                    parse_bool(v).ok_or_else(|| {
                        invalid(path, format!("`{op}` values must be `true` or `false`, not `{}`", shorten(v)))
                    })
                })
                .collect::<Result<_>>()?,
        ),
        Kind::Ip => Test::Ip(
            values
                .iter()
                .map(|v| {
                    parse_cidr(v).ok_or_else(|| {
                        invalid(
                            path,
                            format!(
                                "`{op}` values must be IP addresses or CIDR blocks such as `10.0.0.0/8`, not `{}`",
                                shorten(v)
                            ),
                        )
                    })
                })
                .collect::<Result<_>>()?,
        ),
    })
}

/// `true` or `false`, any case.
pub(super) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An address (`192.168.0.1`, a block of one) or a block (`10.0.0.0/8`, `2001:db8::/32`).
fn parse_cidr(s: &str) -> Option<Cidr> {
    let (addr, bits) = match s.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (s, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match bits {
        None => max,
        Some(bits) if !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit()) => {
            bits.parse::<u8>().ok().filter(|p| *p <= max)?
        }
        Some(_) => return None,
    };
    Some(Cidr { addr, prefix })
}

fn reject_unknown(map: &Map<String, Value>, path: &Path<'_>, known: &[&str]) -> Result<()> {
    let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) else {
        return Ok(());
    };
    let field = path.field(key);
    let message = match known.iter().find(|k| k.eq_ignore_ascii_case(key)) {
        Some(k) => format!("unknown field `{}`; did you mean `{k}`?", shorten(key)),
        None => {
            let list = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            format!("unknown field `{}`, expected one of {list}", shorten(key))
        }
    };
    Err(invalid(&field, message))
}

/// A list is non-empty (`what` names one item) and has at most [`MAX_ITEMS`].
fn check_list_len(len: usize, path: &Path<'_>, what: &str) -> Result<()> {
    if len == 0 {
        return Err(invalid(path, format!("{what} must not be an empty list")));
    }
    check_max(len, path, || format!("a list of {what}s"), "items")
}

/// At most [`MAX_ITEMS`]: "`subject` may have at most 100 `items`" (the subject is
/// written only for the error).
fn check_max(len: usize, path: &Path<'_>, subject: impl FnOnce() -> String, items: &str) -> Result<()> {
    if len > MAX_ITEMS {
        return Err(limit(path, format!("{} may have at most {MAX_ITEMS} {items}, not {len}", subject())));
    }
    Ok(())
}

/// How a JSON value reads in a message: `` `text` `` for strings and scalars,
/// "a list" or "an object" for containers (never echoing a large input).
fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{}`", shorten(s)),
        Value::Number(n) => format!("the number `{n}`"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Null => "`null`".to_string(),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// The size cap error; `len` when the whole length is known (counting a value stops early).
/// The kind of a JSON value, for places where its text would not help.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "`null`",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn too_large(len: Option<usize>) -> Error {
    let cap = format!("a policy document may have at most {MAX_DOCUMENT_BYTES} bytes of JSON text");
    limit(
        &Path::Root,
        match len {
            Some(len) => format!("{cap}, not {len}"),
            None => cap,
        },
    )
}

fn invalid(path: &Path<'_>, message: impl Into<String>) -> Error {
    Error::invalid(&path.text(), RULE, message)
}

fn limit(path: &Path<'_>, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::LimitExceeded, RULE, message).at_field(&path.text())
}

/// Compile a document straight from its JSON text, without its `Value` tree (natively,
/// where a large state's policies are read: `crate::fastjson`). Only for the text that
/// is already in the form a document is kept in: compact, with no escape, no
/// `Condition` and no member given twice, so that the text is the document's
/// [`Policy::text`](super::Policy::text) and its size the size checked. `None` for any
/// other text and for any document the language refuses: the `Value` reader then reads
/// it, and words the error. Where both read a document, they compile the same
/// statements (`fast_and_value_policy_readers_agree_ram2`).
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn compile_text(text: &str) -> Option<Vec<Statement>> {
    use serde::Deserialize;

    /// A document as written: `Version` and `Statement` only.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Document<'a> {
        #[serde(rename = "Version")]
        version: &'a str,
        #[serde(rename = "Statement", borrow)]
        statement: Items<StatementText<'a>>,
    }

    /// A statement without conditions. A pair's absent member reads as no items: a
    /// present one has at least one ([`Items`]).
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct StatementText<'a> {
        #[serde(rename = "Effect")]
        effect: &'a str,
        #[serde(rename = "Action", borrow, default)]
        action: Items<&'a str>,
        #[serde(rename = "NotAction", borrow, default)]
        not_action: Items<&'a str>,
        #[serde(rename = "Resource", borrow, default)]
        resource: Items<&'a str>,
        #[serde(rename = "NotResource", borrow, default)]
        not_resource: Items<&'a str>,
    }

    /// One item, or a list of 1 to [`MAX_ITEMS`] (statements: [`MAX_STATEMENTS`]).
    struct Items<T>(Vec<T>);

    impl<T> Default for Items<T> {
        fn default() -> Self {
            Items(Vec::new())
        }
    }

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Items<T> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
            struct Visit<T>(core::marker::PhantomData<T>);
            impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
                type Value = Items<T>;

                fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    f.write_str("an item or a list of items")
                }

                fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> core::result::Result<Items<T>, E> {
                    let one = T::deserialize(serde::de::value::BorrowedStrDeserializer::new(s))?;
                    Ok(Items(alloc::vec![one]))
                }

                fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> core::result::Result<Items<T>, A::Error> {
                    let one = T::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                    Ok(Items(alloc::vec![one]))
                }

                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> core::result::Result<Items<T>, A::Error> {
                    let mut items = Vec::new();
                    while let Some(item) = seq.next_element()? {
                        if items.len() == MAX_ITEMS.max(MAX_STATEMENTS) {
                            return Err(serde::de::Error::custom("too many items"));
                        }
                        items.push(item);
                    }
                    if items.is_empty() {
                        return Err(serde::de::Error::custom("an empty list"));
                    }
                    Ok(Items(items))
                }
            }
            d.deserialize_any(Visit(core::marker::PhantomData))
        }
    }

    /// The one present member of a pair, compiled by `item`: whether it is the negated one.
    fn pair(plain: Items<&str>, negated: Items<&str>, item: fn(&str, &Path<'_>) -> Result<String>) -> Option<Patterns> {
        let (not, items) = match (plain.0.is_empty(), negated.0.is_empty()) {
            (false, true) => (false, plain.0),
            (true, false) => (true, negated.0),
            _ => return None,
        };
        if items.len() > MAX_ITEMS {
            return None;
        }
        // Sized to the items, as the `Value` reader's lists are: the policy keeps them.
        let mut compiled = Vec::with_capacity(items.len());
        for s in items {
            compiled.push(item(s, &Path::Root).ok()?);
        }
        Some(Patterns { not, items: patterns(compiled) })
    }

    if text.len() > MAX_DOCUMENT_BYTES || text.bytes().any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\\')) {
        return None;
    }
    let doc: Document<'_> = serde_json::from_str(text).ok()?;
    if doc.version != "1" || doc.statement.0.len() > MAX_STATEMENTS {
        return None;
    }
    let mut statements = Vec::with_capacity(doc.statement.0.len());
    for s in doc.statement.0 {
        let effect = match s.effect {
            "Allow" => Effect::Allow,
            "Deny" => Effect::Deny,
            _ => return None,
        };
        let action = pair(s.action, s.not_action, action_pattern)?;
        let resource = pair(s.resource, s.not_resource, resource_pattern)?;
        let known = ActionSet::of(&action);
        statements.push(Statement { effect, action, known, resource, conditions: Vec::new() });
    }
    Some(statements)
}
