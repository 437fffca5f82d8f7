//! A RAM role's trust policy (the vendor's `AssumeRolePolicyDocument`): who may assume
//! the role (RAM-1). An identity assumes a role when the role's trust policy trusts it
//! (no Deny statement names it, an Allow statement does) and, for a RAM user or role, its
//! own policies grant `sts:AssumeRole` on the role's ARN (RAM-2); an account's root needs
//! no grant of its own.
//!
//! The document: `{"Version": "1", "Statement": [{"Effect": "Allow", "Action":
//! "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::<account>:root"]}}]}`. A `RAM`
//! principal is an identity's ARN, `acs:ram::<account>:root` (every identity of the
//! account, each with its own grant) or a bare account id (the same); `Service`
//! principals are kept and never match a caller of this engine.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode, Result};
use crate::ids::{shorten, AccountId, Identity, IdentityKind, RamName};
use crate::rules::Rule;

/// One statement: its effect and the RAM principals it names.
#[derive(Debug, Clone, PartialEq)]
struct Statement {
    allow: bool,
    ram: Vec<String>,
}

/// A parsed trust policy.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPolicy {
    statements: Vec<Statement>,
}

fn bad(message: String) -> Error {
    Error::invalid("AssumeRolePolicyDocument", Rule::Ram1, message)
}

/// A string or a list of strings.
fn strings(v: &Value, what: &str) -> Result<Vec<String>> {
    match v {
        Value::String(s) => Ok(alloc::vec![s.clone()]),
        Value::Array(items) if items.len() <= 100 => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| bad(format!("{what} holds only strings"))))
            .collect(),
        _ => Err(bad(format!("{what} is a string or a list of at most 100 strings"))),
    }
}

impl TrustPolicy {
    /// Parse a trust policy: a JSON object, or a string holding its text.
    ///
    /// # Errors
    /// `InvalidParameter` (field `AssumeRolePolicyDocument`, RAM-1) for anything that is
    /// not a trust policy: unknown fields, an action other than `sts:AssumeRole`, a
    /// statement without a principal, a malformed `RAM` principal.
    pub fn parse(doc: &Value) -> Result<TrustPolicy> {
        let parsed;
        let doc = match doc {
            Value::String(text) => {
                if text.len() > 64 * 1024 {
                    return Err(bad("a trust policy has at most 64 KiB of text".to_string()));
                }
                parsed = serde_json::from_str::<Value>(text).map_err(|e| bad(format!("not JSON: {e}")))?;
                &parsed
            }
            other => other,
        };
        let root = doc.as_object().ok_or_else(|| bad("a trust policy is a JSON object".to_string()))?;
        only(root, &["Version", "Statement"], "the document")?;
        let list = match root.get("Statement") {
            Some(Value::Array(l)) if !l.is_empty() && l.len() <= 100 => l,
            Some(Value::Object(_)) => return Err(bad("Statement is a list of statements".to_string())),
            _ => return Err(bad("Statement is a list of 1 to 100 statements".to_string())),
        };
        let mut statements = Vec::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            let at = format!("Statement[{i}]");
            let s = s.as_object().ok_or_else(|| bad(format!("{at} is an object")))?;
            only(s, &["Effect", "Action", "Principal"], &at)?;
            let allow = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => true,
                Some("Deny") => false,
                _ => return Err(bad(format!("{at}.Effect is `Allow` or `Deny`"))),
            };
            let actions = strings(s.get("Action").unwrap_or(&Value::Null), &format!("{at}.Action"))?;
            if let Some(a) = actions.iter().find(|a| !["sts:AssumeRole", "sts:*", "*"].contains(&a.as_str())) {
                return Err(bad(format!("{at}.Action of a trust policy is `sts:AssumeRole`, not `{}`", shorten(a))));
            }
            let principal = s.get("Principal").and_then(Value::as_object).ok_or_else(|| {
                bad(format!("{at}.Principal is an object: {{\"RAM\": [...]}} or {{\"Service\": [...]}}"))
            })?;
            only(principal, &["RAM", "Service", "Federated"], &format!("{at}.Principal"))?;
            let ram = match principal.get("RAM") {
                Some(v) => strings(v, &format!("{at}.Principal.RAM"))?,
                None => Vec::new(),
            };
            for p in &ram {
                if !ram_principal_ok(p) {
                    return Err(bad(format!(
                        "{at}.Principal.RAM: `{}` is not an account id or an `acs:ram::<account>:root|user/<name>|role/<name>` ARN",
                        shorten(p)
                    )));
                }
            }
            statements.push(Statement { allow, ram });
        }
        Ok(TrustPolicy { statements })
    }

    /// Whether the policy trusts `caller`: no Deny statement names it and an Allow does.
    pub fn trusts(&self, caller: &Identity) -> bool {
        let arn = caller.to_string();
        let account_root = format!("acs:ram::{}:root", caller.account);
        let names = |s: &Statement| {
            s.ram.iter().any(|p| *p == arn || *p == account_root || p.as_str() == caller.account.as_str())
        };
        !self.statements.iter().any(|s| !s.allow && names(s)) && self.statements.iter().any(|s| s.allow && names(s))
    }
}

/// The trust policy of a role created without one: its own account's identities.
pub fn default_document(account: &AccountId) -> Value {
    let text = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":["acs:ram::{account}:root"]}}}}]}}"#
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn ram_principal_ok(p: &str) -> bool {
    AccountId::parse(p).is_ok() || Identity::parse(p).is_ok()
}

fn only(map: &Map<String, Value>, known: &[&str], at: &str) -> Result<()> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(format!("{at} has an unknown field `{}` (known: {})", shorten(k), known.join(", ")))),
        None => Ok(()),
    }
}

/// The role an ARN names: `acs:ram::<account>:role/<name>` (the role part compared
/// without case, as the vendor does).
///
/// # Errors
/// `InvalidParameter` (field `RoleArn`) for anything else.
pub fn role_of(arn: &str) -> Result<(AccountId, RamName)> {
    let parsed = Identity::parse(arn).ok();
    match parsed {
        Some(Identity { account, kind: IdentityKind::Role(name) }) => Ok((account, name)),
        _ => Err(Error::invalid(
            "RoleArn",
            Rule::Ram1,
            format!("RoleArn is `acs:ram::<account>:role/<name>`, not `{}`", shorten(arn)),
        )),
    }
}

/// The identity `caller` becomes by assuming the role `role_arn` (RAM-1): the role must
/// exist, its trust policy trust the caller, and (for a RAM user or role) the caller's
/// own policies grant `sts:AssumeRole` on the role's ARN (RAM-2).
///
/// # Errors
/// `InvalidParameter` for a malformed ARN; `NotFound` (`EntityNotExist.Role`) for no such
/// role; `AccessDenied` (`Forbidden.NoPermission`) saying which of the two refused.
pub fn assume(state: &crate::state::State, caller: &Identity, role_arn: &str) -> Result<Identity> {
    let (account, name) = role_of(role_arn)?;
    let ram = state.ram.get(&account).filter(|r| r.roles.contains_key(&name)).ok_or_else(|| {
        Error::new(ErrorCode::NotFound, Rule::Ram1, format!("role `{name}` does not exist in account {account}"))
            .with_vendor("EntityNotExist.Role")
    })?;
    let role = format!("acs:ram::{account}:role/{name}");
    let doc = ram.trust.get(&name).cloned().unwrap_or_else(|| default_document(&account));
    if !TrustPolicy::parse(&doc)?.trusts(caller) {
        return Err(refused(caller, &role, "the role's trust policy does not trust it"));
    }
    if !state.ram_allows(caller, "sts:AssumeRole", &role) {
        return Err(refused(caller, &role, "its own policies do not grant sts:AssumeRole on the role (RAM-2)"));
    }
    Ok(Identity { account, kind: IdentityKind::Role(name) })
}

/// The refusal when `caller` may not assume `role`.
pub fn refused(caller: &Identity, role: &str, why: &str) -> Error {
    Error::new(ErrorCode::AccessDenied, Rule::Ram1, format!("{caller} may not assume {role}: {why}"))
        .with_vendor("Forbidden.NoPermission")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Identity {
        Identity::parse(s).unwrap()
    }

    #[test]
    fn a_trust_policy_names_accounts_and_identities_ram1() {
        let doc = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::1000000000000002:root", "1000000000000004"]}},
            {"Effect": "Deny", "Action": ["sts:AssumeRole"], "Principal": {"RAM": "acs:ram::1000000000000002:user/mallory"}}
        ]});
        let t = TrustPolicy::parse(&doc).unwrap();
        assert!(t.trusts(&id("acs:ram::1000000000000002:root")));
        assert!(
            t.trusts(&id("acs:ram::1000000000000002:user/alice")),
            "an account root trusts the account's identities"
        );
        assert!(!t.trusts(&id("acs:ram::1000000000000002:user/mallory")), "an explicit Deny wins");
        assert!(t.trusts(&id("acs:ram::1000000000000004:role/ops")));
        assert!(!t.trusts(&id("acs:ram::1000000000000003:root")));
        let text = Value::String(doc.to_string());
        assert_eq!(TrustPolicy::parse(&text).unwrap(), t, "the document's text parses the same");
    }

    #[test]
    fn what_is_not_a_trust_policy_is_refused_with_the_field_ram1() {
        for (doc, says) in [
            (serde_json::json!({"Statement": []}), "1 to 100"),
            (
                serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Principal": {"RAM": ["1000000000000002"]}}]}),
                "sts:AssumeRole",
            ),
            (
                serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
                "Principal is an object",
            ),
            (
                serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["nobody"]}}]}),
                "not an account id",
            ),
            (
                serde_json::json!({"Statement": [{"Effect": "Maybe", "Action": "sts:AssumeRole", "Principal": {"RAM": ["1000000000000002"]}}]}),
                "Effect",
            ),
            (serde_json::json!({"Statement": [], "Extra": 1}), "unknown field"),
        ] {
            let e = TrustPolicy::parse(&doc).unwrap_err();
            assert_eq!(
                (e.code, e.rule, e.field.as_deref()),
                (ErrorCode::InvalidParameter, Some(Rule::Ram1), Some("AssumeRolePolicyDocument"))
            );
            assert!(e.message.contains(says), "{says}: {}", e.message);
        }
    }
}
