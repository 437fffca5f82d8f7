//! RAM in the caller's own account (RAM-1, RAM-2): users, roles, custom policies, and
//! attaching policies to users and roles. Requests and responses have the vendor's names
//! (RAM 2015-05-01).

use alloc::format;
use alloc::string::String;
use serde_json::Value;

use super::directory::management;
use super::gate::{Allowed, Pending, Reply};
use super::keys::EmptyResponse;
use crate::action::Action;
use crate::authz::Role;
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::IdSet;
use crate::ids::*;
use crate::json::response;
use crate::params::Params;
use crate::policy::Policy;
use crate::request::request;
use crate::rules::Rule;

request! {
    /// CreateUser: a RAM user in the caller's account (RAM-1).
    pub struct CreateUserRequest {
        required {
            /// The user's name, unique in the account.
            "UserName" user_name: RamName,
        }
        optional {}
    }
}

request! {
    /// CreateRole: a RAM role in the caller's account (RAM-1).
    pub struct CreateRoleRequest {
        required {
            /// The role's name, unique in the account.
            "RoleName" role_name: RamName,
        }
        optional {
            /// Who may assume the role (crate::trust); the vendor requires it, the
            /// simulator defaults to the role's own account.
            "AssumeRolePolicyDocument" assume_role_policy_document: Value,
        }
    }
}

request! {
    /// CreatePolicy: a custom policy, checked now (RAM-2).
    pub struct CreatePolicyRequest {
        required {
            /// The policy's name, unique in the account.
            "PolicyName" policy_name: RamName,
            /// The document: JSON text, or a JSON object (at most 64 KiB).
            "PolicyDocument" policy_document: Value,
        }
        optional {}
    }
}

request! {
    /// AttachPolicyToUser and DetachPolicyFromUser.
    pub struct UserPolicyRequest {
        required {
            /// The policy.
            "PolicyName" policy_name: RamName,
            /// The user.
            "UserName" user_name: RamName,
        }
        optional {
            /// `Custom`, the policies the account made.
            "PolicyType" policy_type: String,
        }
    }
}

request! {
    /// AttachPolicyToRole and DetachPolicyFromRole.
    pub struct RolePolicyRequest {
        required {
            /// The policy.
            "PolicyName" policy_name: RamName,
            /// The role.
            "RoleName" role_name: RamName,
        }
        optional {
            /// `Custom`, the policies the account made.
            "PolicyType" policy_type: String,
        }
    }
}

response! {
    /// A user, as CreateUser returns it.
    pub struct UserInfo {
        /// Its name.
        "UserName" user_name: RamName,
    }
}

response! {
    /// CreateUser's response.
    pub struct UserResponse {
        /// The user.
        "User" user: UserInfo,
    }
}

response! {
    /// A role, as CreateRole returns it.
    pub struct RoleInfo {
        /// Its name.
        "RoleName" role_name: RamName,
        /// Its ARN, `acs:ram::<account>:role/<name>`.
        "Arn" arn: String,
    }
}

response! {
    /// CreateRole's response.
    pub struct RoleResponse {
        /// The role.
        "Role" role: RoleInfo,
    }
}

response! {
    /// A policy, as CreatePolicy returns it.
    pub struct PolicyInfo {
        /// Its name.
        "PolicyName" policy_name: RamName,
        /// `Custom`.
        "PolicyType" policy_type: &'static str,
        /// `v1`: the simulator keeps one version of a policy.
        "DefaultVersion" default_version: &'static str,
    }
}

response! {
    /// CreatePolicy's response.
    pub struct PolicyResponse {
        /// The policy.
        "Policy" policy: PolicyInfo,
    }
}

/// Decide a RAM call on `kind/name` in the caller's own account.
fn decide<'e>(p: Pending<'e>, kind: &str, name: &RamName) -> Result<Allowed<'e>> {
    let acct = p.call().caller.account.clone();
    let arn = format!("acs:ram::{acct}:{kind}/{name}");
    let action = p.action();
    p.decide(management(action, arn, Role::Account(acct, "account itself", Rule::Ram1)))
}

/// CreateUser.
pub(super) fn create_user(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateUserRequest::read(params)?;
    let name = r.user_name;
    let mut ok = decide(p, "user", &name)?;
    let acct = ok.call().caller.account.clone();
    let ram = ok.state.ram.entry(acct.clone()).or_default();
    if ram.users.contains_key(&name) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            Rule::Ram1,
            format!("user `{name}` already exists in account {acct}"),
        ));
    }
    ram.users.insert(name.clone(), IdSet::new());
    ok.state.ram_changed(&acct);
    Ok(ok.reply(crate::json::ToValue::to_value(&UserResponse { user: UserInfo { user_name: name } })))
}

/// CreateRole.
pub(super) fn create_role(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateRoleRequest::read(params)?;
    let name = r.role_name;
    let trust = match r.assume_role_policy_document {
        Some(doc) => {
            crate::trust::TrustPolicy::parse(&doc)?;
            match doc {
                Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
                other => other,
            }
        }
        None => crate::trust::default_document(&p.call().caller.account),
    };
    let mut ok = decide(p, "role", &name)?;
    let acct = ok.call().caller.account.clone();
    let ram = ok.state.ram.entry(acct.clone()).or_default();
    if ram.roles.contains_key(&name) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            Rule::Ram1,
            format!("role `{name}` already exists in account {acct}"),
        ));
    }
    ram.roles.insert(name.clone(), IdSet::new());
    ram.trust.insert(name.clone(), trust);
    ok.state.ram_changed(&acct);
    let arn = format!("acs:ram::{acct}:role/{name}");
    Ok(ok.reply(crate::json::ToValue::to_value(&RoleResponse { role: RoleInfo { role_name: name, arn } })))
}

/// CreatePolicy: a custom policy, parsed and checked now (RAM-2).
pub(super) fn create_policy(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreatePolicyRequest::read(params)?;
    let name = r.policy_name;
    let document =
        Policy::parse(&r.policy_document)
            .map_err(|e| if e.field.is_none() { e.at_field("PolicyDocument") } else { e })?;
    let mut ok = decide(p, "policy", &name)?;
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
    ok.state.ram_changed(&acct);
    let policy = PolicyInfo { policy_name: name, policy_type: "Custom", default_version: "v1" };
    Ok(ok.reply(crate::json::ToValue::to_value(&PolicyResponse { policy })))
}

/// AttachPolicyToUser, AttachPolicyToRole, DetachPolicyFromUser, DetachPolicyFromRole.
pub(super) fn attach_or_detach(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = p.action();
    let to_user = matches!(action, Action::AttachPolicyToUser | Action::DetachPolicyFromUser);
    let attach = matches!(action, Action::AttachPolicyToUser | Action::AttachPolicyToRole);
    let (name, policy, policy_type, kind) = if to_user {
        let r = UserPolicyRequest::read(params)?;
        (r.user_name, r.policy_name, r.policy_type, "user")
    } else {
        let r = RolePolicyRequest::read(params)?;
        (r.role_name, r.policy_name, r.policy_type, "role")
    };
    if let Some(t) = policy_type.as_deref().filter(|t| *t != "Custom") {
        return Err(Error::invalid(
            "PolicyType",
            Rule::Ram2,
            format!("PolicyType must be `Custom`: the simulator has the account's own policies, not `{}`", shorten(t)),
        ));
    }
    let mut ok = decide(p, kind, &name)?;
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
    ok.state.ram_changed(&acct);
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}
