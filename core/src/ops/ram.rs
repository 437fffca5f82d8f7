//! RAM in the caller's own account (RAM-1, RAM-2): users, roles, custom policies, and
//! attaching policies to users and roles.

use alloc::format;

use super::directory::management;
use super::gate::{Allowed, Pending, Reply};
use crate::action::Action;
use crate::authz::Role;
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::IdSet;
use crate::ids::*;
use crate::params::Params;
use crate::policy::Policy;
use crate::rules::Rule;

/// The call's action (the handler serves several).
fn action(p: &Pending<'_>) -> Action {
    Action::parse(&p.call().action).unwrap_or(Action::CreateUser)
}

/// Decide a RAM call on `kind/name` in the caller's own account.
fn decide<'e>(p: Pending<'e>, action: Action, kind: &str, name: &RamName) -> Result<Allowed<'e>> {
    let acct = p.call().caller.account.clone();
    let arn = format!("acs:ram::{acct}:{kind}/{name}");
    p.decide(management(action, arn, Role::Account(acct, "account itself", Rule::Ram1)))
}

/// CreateUser and CreateRole.
pub(super) fn create_identity(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = action(&p);
    let (param, kind) = if action == Action::CreateUser { ("UserName", "user") } else { ("RoleName", "role") };
    let name = params.parse(param, RamName::parse)?;
    params.finish()?;
    let mut ok = decide(p, action, kind, &name)?;
    let acct = ok.call().caller.account.clone();
    let ram = ok.state.ram.entry(acct.clone()).or_default();
    let set = if action == Action::CreateUser { &mut ram.users } else { &mut ram.roles };
    if set.contains_key(&name) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            Rule::Ram1,
            format!("{kind} `{name}` already exists in account {acct}"),
        ));
    }
    set.insert(name.clone(), IdSet::new());
    Ok(ok.reply(obj!("Account": acct, "Name": name)))
}

/// CreatePolicy: a custom policy, parsed and checked now (RAM-2).
pub(super) fn create_policy(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let name = params.parse("PolicyName", RamName::parse)?;
    let v = params.opt_value("PolicyDocument").ok_or_else(|| params.missing("PolicyDocument"))?;
    let document = Policy::parse(v).map_err(|e| if e.field.is_none() { e.at_field("PolicyDocument") } else { e })?;
    params.finish()?;
    let mut ok = decide(p, Action::CreatePolicy, "policy", &name)?;
    let acct = ok.call().caller.account.clone();
    let ram = ok.state.ram.entry(acct.clone()).or_default();
    if ram.policies.contains_key(&name) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            Rule::Ram2,
            format!("policy `{name}` already exists in account {acct}"),
        ));
    }
    ram.policies.insert(name.clone(), document);
    Ok(ok.reply(obj!("Account": acct, "Name": name)))
}

/// AttachPolicyToUser, AttachPolicyToRole, DetachPolicyFromUser, DetachPolicyFromRole.
pub(super) fn attach_or_detach(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = action(&p);
    let to_user = matches!(action, Action::AttachPolicyToUser | Action::DetachPolicyFromUser);
    let attach = matches!(action, Action::AttachPolicyToUser | Action::AttachPolicyToRole);
    let (param, kind) = if to_user { ("UserName", "user") } else { ("RoleName", "role") };
    let name = params.parse(param, RamName::parse)?;
    let policy = params.parse("PolicyName", RamName::parse)?;
    params.finish()?;
    let mut ok = decide(p, action, kind, &name)?;
    let acct = ok.call().caller.account.clone();
    let ram = ok.state.ram.entry(acct.clone()).or_default();
    if !ram.policies.contains_key(&policy) {
        return Err(Error::not_found("policy", policy.as_str()).at_field("PolicyName"));
    }
    let set = if to_user { &mut ram.users } else { &mut ram.roles };
    let attached = set.get_mut(&name).ok_or_else(|| Error::not_found(kind, name.as_str()))?;
    if attach {
        attached.insert(policy);
    } else if !attached.remove(&policy) {
        return Err(Error::not_found("attachment of policy", policy.as_str()));
    }
    Ok(ok.reply(obj!("Account": acct, "Name": name)))
}
