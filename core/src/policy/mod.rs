//! RAM policies: the vendor's JSON policy language, parsed and evaluated (RAM-1, RAM-2).
//!
//! A [`Policy`] is parsed once from its JSON document into typed statements
//! (action patterns folded to lowercase, condition keys folded, IP blocks
//! parsed), so that evaluating a [`Request`] allocates nothing on the common
//! path. [`evaluate`] combines several named policies the way RAM does: an
//! explicit Deny wins, otherwise the first Allow, otherwise nothing matched
//! (which the caller treats as Deny, AZ-3).
//!
//! Malformed documents are errors (`InvalidParameter`, rule `RAM-2`) whose
//! `field` is a path into the document, for example
//! `PolicyDocument.Statement[1].Effect`; documents over the size caps are
//! `LimitExceeded`.
//!
//! ```
//! use kms_share_core::policy::{Context, Policy, Request, Verdict};
//!
//! let policy = Policy::parse_str(r#"{
//!     "Version": "1",
//!     "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "acs:kms:*:*:key/*"}]
//! }"#)?;
//! let context = Context::new();
//! let request = Request {
//!     action: "KMS:encrypt",
//!     known: None,
//!     resource: "acs:kms:cn-hangzhou:1234567890123456:key/key-1",
//!     context: &context,
//! };
//! assert_eq!(policy.evaluate(&request), Verdict::Allow { policy: String::new(), statement: 0 });
//! # Ok::<(), kms_share_core::error::Error>(())
//! ```

use crate::idmap::IdMap;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::IpAddr;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::action::Action;
use crate::error::Result;

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
pub(crate) mod flat;
mod glob;
mod parse;

pub use glob::glob_match;
use glob::{eq_fold, fold, fold_str, Case, PatternText};

/// A parsed RAM policy (RAM-2).
///
/// Serializes as its original JSON document; deserializes from a JSON object
/// or from a string holding one, parsing and checking it.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The document as compact JSON text, written out as it is: a document's parsed tree
    /// takes about seven times the memory of its text (1,645 bytes in 25 allocations
    /// against 253 bytes for a two-statement policy), and a large organization holds a
    /// policy or two per account. Every serializer that sees a policy is serde_json's
    /// (text, or `to_value`, which reads raw JSON as the value it holds).
    document: Box<RawValue>,
    statements: Vec<Statement>,
}

impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        self.document.get() == other.document.get() && self.statements == other.statements
    }
}

impl Policy {
    /// Parse a policy document: a JSON object, or a JSON string holding the
    /// document's text (as the vendor's APIs pass it).
    ///
    /// # Errors
    /// `InvalidParameter` (rule `RAM-2`, `field` pointing at the bad part) when
    /// the document breaks the language; `LimitExceeded` when it has more than
    /// 64 KiB of JSON text, 100 statements or 100 items in a list.
    pub fn parse(doc: &Value) -> Result<Policy> {
        if let Value::String(text) = doc {
            return Policy::parse_str(text);
        }
        parse::check_size(doc)?;
        Policy::compiled(doc)
    }

    /// A document within the size cap, compiled and kept as text.
    fn compiled(doc: &Value) -> Result<Policy> {
        let statements = parse::compile(doc)?;
        // Writing a `Value` fails only for a map with non-text keys, which it cannot have.
        let Ok(document) = serde_json::value::to_raw_value(doc) else {
            return Err(crate::error::Error::invalid("PolicyDocument", crate::Rule::Ram2, "cannot be written as JSON"));
        };
        Ok(Policy { document, statements })
    }

    /// Parse a policy document from its JSON text.
    ///
    /// # Errors
    /// As [`Policy::parse`], and `InvalidParameter` when the text is not JSON.
    pub fn parse_str(text: &str) -> Result<Policy> {
        Policy::compiled(&parse::json(text)?)
    }

    /// The document the policy was parsed from, as compact JSON text (members in the
    /// order given).
    pub fn text(&self) -> &str {
        self.document.get()
    }

    /// The document the policy was parsed from.
    pub fn document(&self) -> Value {
        // The text was written from a document, so it reads back as one.
        serde_json::from_str(self.document.get()).unwrap_or_default()
    }

    /// Evaluate this policy's statements against a request: the first matching
    /// Deny statement gives [`Verdict::ExplicitDeny`], else the first matching
    /// Allow statement gives [`Verdict::Allow`], else [`Verdict::NoMatch`].
    /// Statement indexes count from 0 in document order; the policy name in
    /// the verdict is left empty (see [`evaluate`] for named policies).
    pub fn evaluate(&self, req: &Request<'_>) -> Verdict {
        match self.decide(req, true) {
            Some((Effect::Deny, statement)) => Verdict::ExplicitDeny { policy: String::new(), statement },
            Some((Effect::Allow, statement)) => Verdict::Allow { policy: String::new(), statement },
            None => Verdict::NoMatch,
        }
    }

    /// Whether some Allow statement matches the action on the resource when
    /// conditions are ignored: "this policy could grant it". Deny statements
    /// are not considered. Meant for fix suggestions, never for decisions.
    pub fn grants(&self, action: &str, resource: &str) -> bool {
        self.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && s.action.matches(action, Case::FoldText)
                && s.resource.matches(resource, Case::Sensitive)
        })
    }

    /// The first matching Deny, else (if `want_allow`) the first matching Allow.
    fn decide(&self, req: &Request<'_>, want_allow: bool) -> Option<(Effect, usize)> {
        let mut allow = None;
        for (i, statement) in self.statements.iter().enumerate() {
            let wanted = match statement.effect {
                Effect::Deny => true,
                Effect::Allow => want_allow && allow.is_none(),
            };
            if wanted && statement.matches(req) {
                if statement.effect == Effect::Deny {
                    return Some((Effect::Deny, i));
                }
                allow = Some(i);
            }
        }
        allow.map(|i| (Effect::Allow, i))
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        self.document.serialize(serializer)
    }
}

/// A large state's policies are read straight from their text where it is already the
/// kept form of a document (`parse::compile_text`), without the `Value` tree; any
/// other as [`FromJson`](crate::json::FromJson) reads it.
#[cfg(not(target_arch = "wasm32"))]
impl crate::fastjson::FastRead for Policy {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let document = Box::<RawValue>::deserialize(d)?;
        if let Some(statements) = parse::compile_text(document.get()) {
            return Ok(Policy { document, statements });
        }
        let doc: Value = serde_json::from_str(document.get()).map_err(D::Error::custom)?;
        crate::json::FromJson::from_json(doc).map_err(D::Error::custom)
    }
}

impl crate::json::FromJson for Policy {
    fn from_json(v: Value) -> crate::json::JsonResult<Self> {
        Policy::parse(&v).map_err(|e| e.message)
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        let doc = Value::deserialize(deserializer)?;
        Policy::parse(&doc).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// What a call asks for: an action (`kms:Encrypt`), a resource name
/// (`acs:kms:{region}:{account}:key/{key-id}`, RAM-3) and the condition
/// keys and values of the call.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The action, compared case-insensitively.
    pub action: &'a str,
    /// The same action when it is one of the engine's ([`Request::of`]): statements
    /// then match it by a bit computed when the policy was parsed, with the same answer
    /// as matching `action`'s text. `None` matches the text.
    pub known: Option<Action>,
    /// The resource name, compared case-sensitively.
    pub resource: &'a str,
    /// The condition keys and values of the call.
    pub context: &'a Context,
}

impl<'a> Request<'a> {
    /// A request for one of the engine's actions, as RAM names it (`kms:Encrypt`).
    pub fn of(action: Action, resource: &'a str, context: &'a Context) -> Self {
        Request { action: action.ram(), known: Some(action), resource, context }
    }
}

/// Condition keys and their values for a request (`acs:SourceIp`,
/// `acs:SecureTransport`, ...). Keys compare case-insensitively: they are
/// stored folded to lowercase. A key may have several values.
///
/// Serializes as a JSON object of key -> list of strings; deserializes also
/// from single strings, booleans and numbers (as their text).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Context(IdMap<String, Vec<String>>);

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// Add a value to a key (appending to the values it already has).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.0.entry(fold_str(key)).or_default().push(value.into());
    }

    /// The values of a key, matched case-insensitively.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        let values =
            if key.chars().all(|c| fold(c) == c) { self.0.get(key) } else { self.0.get(fold_str(key).as_str()) };
        values.map(Vec::as_slice)
    }

    /// Whether the context has no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every key (folded to lowercase) with its values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Values of an already folded key.
    fn values(&self, folded_key: &str) -> &[String] {
        self.0.get(folded_key).map_or(&[], Vec::as_slice)
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        let raw = IdMap::<String, Value>::deserialize(deserializer)?;
        let mut context = Context::new();
        for (key, value) in raw {
            let items = match value {
                Value::Array(items) => items,
                one => alloc::vec![one],
            };
            for item in items {
                let text = match item {
                    Value::String(s) => s,
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    _ => {
                        return Err(serde::de::Error::custom(alloc::format!(
                            "context key `{}` must have a string or a list of strings",
                            crate::ids::shorten(&key)
                        )))
                    }
                };
                context.insert(&key, text);
            }
        }
        Ok(context)
    }
}

/// The outcome of evaluating policies against a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Verdict {
    /// A statement allows the request and no statement denies it.
    Allow {
        /// The name of the policy holding the statement (empty from [`Policy::evaluate`]).
        policy: String,
        /// The statement's index in the policy, from 0.
        statement: usize,
    },
    /// A Deny statement matches: it wins over every Allow (RAM-2).
    ExplicitDeny {
        /// The name of the policy holding the statement (empty from [`Policy::evaluate`]).
        policy: String,
        /// The statement's index in the policy, from 0.
        statement: usize,
    },
    /// No statement matches: nothing is granted, which means Deny (RAM-2).
    NoMatch,
}

impl Verdict {
    /// Whether the verdict allows the request.
    pub fn is_allow(&self) -> bool {
        matches!(self, Verdict::Allow { .. })
    }
}

/// Evaluate several named policies (RAM-2): the first matching Deny statement,
/// in policy then statement order, gives [`Verdict::ExplicitDeny`]; else the
/// first matching Allow statement gives [`Verdict::Allow`]; else
/// [`Verdict::NoMatch`].
pub fn evaluate<'a, I: IntoIterator<Item = (&'a str, &'a Policy)>>(policies: I, req: &Request<'_>) -> Verdict {
    match deciding(policies, req) {
        Some((Effect::Deny, name, statement)) => Verdict::ExplicitDeny { policy: name.to_string(), statement },
        Some((Effect::Allow, name, statement)) => Verdict::Allow { policy: name.to_string(), statement },
        None => Verdict::NoMatch,
    }
}

/// [`evaluate`] without copying the deciding policy's name: its effect, name and
/// statement (what the decision path reads, which names the policy only in an
/// explanation).
pub(crate) fn deciding<'a, I: IntoIterator<Item = (&'a str, &'a Policy)>>(
    policies: I,
    req: &Request<'_>,
) -> Option<(Effect, &'a str, usize)> {
    let mut allow: Option<(&str, usize)> = None;
    for (name, policy) in policies {
        match policy.decide(req, allow.is_none()) {
            Some((Effect::Deny, statement)) => return Some((Effect::Deny, name, statement)),
            Some((Effect::Allow, statement)) if allow.is_none() => {
                allow = Some((name, statement));
            }
            _ => {}
        }
    }
    allow.map(|(name, statement)| (Effect::Allow, name, statement))
}

// ---- Compiled form (built by `parse`) ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    effect: Effect,
    action: Patterns,
    /// Which of the engine's actions `action` matches: bit `i` for the action of
    /// `SPECS[i]` (an action is looked up, not matched as text, on the decision path).
    known: ActionSet,
    resource: Patterns,
    /// All must hold (AND).
    conditions: Vec<Condition>,
}

impl Statement {
    fn matches(&self, req: &Request<'_>) -> bool {
        let action = match req.known {
            Some(a) => self.known.contains(a),
            None => self.action.matches(req.action, Case::FoldText),
        };
        action
            && self.resource.matches(req.resource, Case::Sensitive)
            && self.conditions.iter().all(|c| c.holds(req.context))
    }
}

/// `Action`/`Resource` (`not` false) or `NotAction`/`NotResource` (`not` true).
#[derive(Debug, Clone, PartialEq)]
struct Patterns {
    not: bool,
    /// INVARIANT: action patterns are folded with `fold_str` (matched with `Case::FoldText`).
    items: Vec<glob::Pattern>,
}

impl Patterns {
    fn matches(&self, text: &str, case: Case) -> bool {
        let any = self.items.iter().any(|p| p.matches(text, case));
        any != self.not
    }
}

/// A set of the engine's actions, one bit each in the order of the action table, in two
/// 64-bit halves: aligned to 8 bytes, not to a `u128`'s 16 (the laid-out rules of
/// `flat` hold one per statement, each 48 bytes instead of 64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct ActionSet([u64; 2]);

// Every action has its bit (`core/tests/actions.rs` would fail first, but the set must
// never silently drop one).
const _: () = assert!(crate::action::SPECS.len() <= 128);

impl ActionSet {
    fn bit(a: Action) -> u128 {
        1u128.checked_shl(a as u32).unwrap_or(0)
    }

    fn contains(self, a: Action) -> bool {
        let i = a as usize;
        self.0.get(i / 64).is_some_and(|half| half >> (i % 64) & 1 != 0)
    }

    /// The actions whose RAM name the patterns match, as [`Patterns::matches`] would on
    /// the text. Patterns are folded and the action table's names are ASCII, so a
    /// pattern without wildcards matches the one name equal to it ignoring ASCII case,
    /// and `prefix*` the names that start with it so; other wildcards are matched as
    /// text against each name. (Every policy read pays this: a snapshot holds hundreds of
    /// thousands of statements.)
    fn of(patterns: &Patterns) -> ActionSet {
        let mut set = 0u128;
        for p in &patterns.items {
            set |= Self::of_pattern(p.text());
        }
        if patterns.not {
            set = !set & crate::action::SPECS.iter().fold(0, |all, s| all | Self::bit(s.action));
        }
        ActionSet([set as u64, (set >> 64) as u64])
    }

    fn of_pattern(p: &str) -> u128 {
        let names = crate::action::SPECS.iter();
        let prefix = p.strip_suffix('*').filter(|h| !h.contains(['*', '?']));
        // Scanned once here, not once per action name (a read pays this per pattern).
        let wild = prefix.is_none() && p.contains(['*', '?']);
        if prefix.is_none() && !wild {
            // The one name equal to it ignoring ASCII case (no two rows share one), found
            // as a request's action is: most patterns name one action.
            return crate::action::Action::parse_ram(p).map_or(0, Self::bit);
        }
        let matched = |ram: &str| match prefix {
            Some(h) => ram.get(..h.len()).is_some_and(|start| start.eq_ignore_ascii_case(h)),
            None => glob::glob(p, ram, Case::FoldText),
        };
        names.filter(|s| matched(s.ram)).fold(0, |set, s| set | Self::bit(s.action))
    }
}

/// One operator applied to one condition key.
#[derive(Debug, Clone, PartialEq)]
struct Condition {
    /// INVARIANT: folded with `fold_str`, as `Context` keys are.
    key: String,
    /// `StringNot*`/`NotIpAddress`: true when the key is absent or no value matches.
    negated: bool,
    test: Test,
}

impl Condition {
    /// Positive operators: the key is present and some request value matches
    /// some policy value. Negated ones: no request value matches.
    fn holds(&self, context: &Context) -> bool {
        let any = context.values(&self.key).iter().any(|value| self.test.matches(value));
        any != self.negated
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Equals(Vec<String>),
    /// INVARIANT: values folded with `fold_str`.
    EqualsFold(Vec<String>),
    Like(Vec<String>),
    Bool(Vec<bool>),
    Ip(Vec<Cidr>),
}

impl Test {
    fn matches(&self, value: &str) -> bool {
        match self {
            Test::Equals(wanted) => wanted.iter().any(|w| w == value),
            Test::EqualsFold(wanted) => wanted.iter().any(|w| eq_fold(w, value)),
            Test::Like(patterns) => patterns.iter().any(|p| glob::glob(p, value, Case::Sensitive)),
            Test::Bool(wanted) => parse::parse_bool(value).is_some_and(|b| wanted.contains(&b)),
            Test::Ip(blocks) => value.parse::<IpAddr>().is_ok_and(|ip| blocks.iter().any(|b| b.contains(ip))),
        }
    }
}

/// An IP block: an address and a prefix length (at most 32 or 128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
