//! Where the four checks of [`super::decide`] report: a [`Sink`]. The checks are
//! written once; [`Explained`] records every outcome with its explanation (the
//! [`Decision`] of `decide`), while [`FirstFailure`] keeps only the first failing check
//! and never calls the closures that build the texts (the effect-only path of
//! `denied_by` and `allows`). So the effect-only path builds no string, and both paths
//! answer the same by construction.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{Check, CheckName, Decision, Effect, Outcome, Request};
use crate::ids::ShareId;
use crate::rules::Rule;
use crate::text::cat;

/// Where the checks report their outcomes.
pub(super) trait Sink {
    /// Whether the sink records explanations (the closures it is given are called).
    const EXPLAINS: bool;
    /// The check passed, for the rule and reason the closure gives.
    fn pass(&mut self, check: CheckName, rule: Rule, detail: impl FnOnce() -> String);
    /// The check does not apply to this kind of call.
    fn na(&mut self, check: CheckName, detail: &'static str);
    /// The check failed: the closure gives the rule, what was found and the fix.
    fn fail(&mut self, check: CheckName, why: impl FnOnce() -> (Rule, String, String));
    /// The check depends on a fact the state does not hold: the closure gives the rule,
    /// what is missing and how to supply it. Later checks still run: one that fails
    /// makes the decision a Deny all the same.
    fn undetermined(&mut self, check: CheckName, why: impl FnOnce() -> (Rule, String, String));
    /// Whether a check has failed.
    fn failed(&self) -> bool;
    /// The share through which a principal reaches the instance.
    fn via_share(&mut self, share: &ShareId);
}

/// The explained sink of [`decide`].
pub(super) struct Explained {
    checks: Vec<Check>,
    /// The first failing check: its position in `checks` (which holds its detail), its
    /// rule and its fix.
    denied: Option<(usize, Rule, String)>,
    /// As `denied`, for the first undecided check.
    undetermined: Option<(usize, Rule, String)>,
    via_share: Option<String>,
}

/// The effect-only sink: the first failing check, and the first undecided one.
#[derive(Default)]
pub(super) struct FirstFailure {
    pub(super) denied: Option<CheckName>,
    pub(super) undetermined: Option<CheckName>,
}

impl Sink for FirstFailure {
    const EXPLAINS: bool = false;
    fn pass(&mut self, _: CheckName, _: Rule, _: impl FnOnce() -> String) {}
    fn na(&mut self, _: CheckName, _: &'static str) {}
    fn fail(&mut self, check: CheckName, _: impl FnOnce() -> (Rule, String, String)) {
        self.denied.get_or_insert(check);
    }
    fn undetermined(&mut self, check: CheckName, _: impl FnOnce() -> (Rule, String, String)) {
        self.undetermined.get_or_insert(check);
    }
    fn failed(&self) -> bool {
        self.denied.is_some()
    }
    fn via_share(&mut self, _: &ShareId) {}
}

impl Sink for Explained {
    const EXPLAINS: bool = true;
    fn pass(&mut self, check: CheckName, rule: Rule, detail: impl FnOnce() -> String) {
        self.checks.push(Check { check, outcome: Outcome::Passed, rule, detail: detail().into() });
    }
    fn na(&mut self, check: CheckName, detail: &'static str) {
        self.checks.push(Check { check, outcome: Outcome::NotApplicable, rule: Rule::Az1, detail: detail.into() });
    }
    fn fail(&mut self, check: CheckName, why: impl FnOnce() -> (Rule, String, String)) {
        let (rule, detail, fix) = why();
        self.checks.push(Check { check, outcome: Outcome::Failed, rule, detail: detail.into() });
        self.denied.get_or_insert((self.checks.len() - 1, rule, fix));
    }
    fn undetermined(&mut self, check: CheckName, why: impl FnOnce() -> (Rule, String, String)) {
        let (rule, detail, fix) = why();
        self.checks.push(Check { check, outcome: Outcome::Undetermined, rule, detail: detail.into() });
        self.undetermined.get_or_insert((self.checks.len() - 1, rule, fix));
    }
    fn failed(&self) -> bool {
        self.denied.is_some()
    }
    fn via_share(&mut self, share: &ShareId) {
        self.via_share = Some(String::from(share.as_str()));
    }
}

impl Explained {
    pub(super) fn new() -> Self {
        Explained { checks: Vec::with_capacity(4), denied: None, undetermined: None, via_share: None }
    }
    pub(super) fn finish(mut self, req: &Request<'_>, arn: &str) -> Decision {
        for name in [CheckName::Sharing, CheckName::SharePermission, CheckName::RamPolicy, CheckName::Ownership] {
            if !self.checks.iter().any(|c| c.check == name) {
                self.checks.push(Check {
                    check: name,
                    outcome: Outcome::NotReached,
                    rule: Rule::Az1,
                    detail: "not reached: an earlier check failed".into(),
                });
            }
        }
        let mut undetermined_by = None;
        let check_at = |i: usize| self.checks.get(i).map(|c| (c.check, &*c.detail));
        let (effect, denied_by, rule, message, fix) = match (self.denied, self.undetermined) {
            (Some((i, rule, fix)), _) => {
                let (check, detail) = check_at(i).unwrap_or((CheckName::Sharing, ""));
                let message = cat(&["access denied by the ", check_label(check), " check (", rule.id(), "): ", detail]);
                (Effect::Deny, Some(check), Some(rule), Some(message), Some(fix))
            }
            (None, Some((i, rule, fix))) => {
                let (check, detail) = check_at(i).unwrap_or((CheckName::Sharing, ""));
                undetermined_by = Some(check);
                let message = cat(&[
                    "access undetermined: the ",
                    check_label(check),
                    " check (",
                    rule.id(),
                    ") depends on what the engine was not told: ",
                    detail,
                ]);
                (Effect::Undetermined, None, Some(rule), Some(message), Some(fix))
            }
            (None, None) => (Effect::Allow, None, None, None, None),
        };
        Decision {
            effect,
            caller: req.caller.text(),
            action: req.action.ram().into(),
            resource: arn.to_string(),
            checks: self.checks,
            denied_by,
            undetermined_by,
            rule,
            message,
            fix,
            via_share: self.via_share,
        }
    }
}

fn check_label(c: CheckName) -> &'static str {
    match c {
        CheckName::Sharing => "sharing",
        CheckName::SharePermission => "share permission",
        CheckName::RamPolicy => "RAM policy",
        CheckName::Ownership => "ownership",
    }
}
