//! The decision (AZ-2) as a value: its effect, the four checks of AZ-1 with their
//! outcomes, and for a Deny the failing check, its rule and the fix. A leaf module: the
//! error type carries a decision without importing the engine that makes it.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::rules::Rule;

/// Allow, Deny, or neither because a check depends on what the engine was not told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// The call may proceed.
    Allow,
    /// The call is refused.
    Deny,
    /// No check failed, but one depends on a fact the state does not hold (an imported
    /// instance's sharing mode, SM-1; a part an import could not read): the answer is
    /// not known. A call is refused, as for a Deny (AZ-3), and says so (README Semantics
    /// 31, 32).
    Undetermined,
}

/// The four checks of AZ-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckName {
    /// 1. resource sharing.
    Sharing,
    /// 2. the share's KMS instance permission.
    SharePermission,
    /// 3. the caller's RAM policies.
    RamPolicy,
    /// 4. the permission matrix (ownership).
    Ownership,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed: the decision is Deny.
    Failed,
    /// An earlier check failed.
    NotReached,
    /// The check does not apply to this kind of call.
    NotApplicable,
    /// The check depends on a fact the state does not hold: see its detail.
    Undetermined,
}

/// One check with its outcome and explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Which check.
    pub check: CheckName,
    /// Its outcome.
    pub outcome: Outcome,
    /// The rule behind the outcome.
    pub rule: Rule,
    /// What was found (a fixed text where the check has nothing to name, as for a check
    /// not reached).
    pub detail: Cow<'static, str>,
}

/// A decision (AZ-2): never an error, always explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Allow or Deny.
    pub effect: Effect,
    /// The caller.
    pub caller: String,
    /// The action, canonical spelling.
    pub action: Cow<'static, str>,
    /// The resource ARN.
    pub resource: String,
    /// The four checks.
    pub checks: Vec<Check>,
    /// For a Deny, the first failing check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_by: Option<CheckName>,
    /// For an Undetermined decision, the check that could not be decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undetermined_by: Option<CheckName>,
    /// For a Deny, the rule of the failing check (of the undecided one for Undetermined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
    /// For a Deny or Undetermined, a message naming the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For a Deny, the concrete fix; for Undetermined, what to tell the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The share through which a principal reaches the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_share: Option<String>,
}

impl Decision {
    /// True for Allow.
    pub fn allowed(&self) -> bool {
        self.effect == Effect::Allow
    }
}

impl crate::json::ToValue for Effect {
    fn to_value(&self) -> serde_json::Value {
        serde_json::Value::String(self.name().into())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::fastjson::FastRead for Effect {}

impl crate::json::FromJson for Effect {
    fn from_json(v: serde_json::Value) -> crate::json::JsonResult<Self> {
        crate::json::variant(
            v,
            &["Allow", "Deny", "Undetermined"],
            &[Effect::Allow, Effect::Deny, Effect::Undetermined],
        )
    }
}

impl Effect {
    /// The effect as JSON writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
            Effect::Undetermined => "Undetermined",
        }
    }
}

impl CheckName {
    /// The check's name, as JSON writes it (`ramPolicy`).
    pub const fn name(self) -> &'static str {
        match self {
            CheckName::Sharing => "sharing",
            CheckName::SharePermission => "sharePermission",
            CheckName::RamPolicy => "ramPolicy",
            CheckName::Ownership => "ownership",
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::fastjson::FastRead for CheckName {}

impl crate::json::FromJson for CheckName {
    fn from_json(v: serde_json::Value) -> crate::json::JsonResult<Self> {
        use CheckName::*;
        crate::json::variant(
            v,
            &["sharing", "sharePermission", "ramPolicy", "ownership"],
            &[Sharing, SharePermission, RamPolicy, Ownership],
        )
    }
}
