//! Whose AccessKeys an identity may manage (RAM's `CreateAccessKey`, `ListAccessKeys`,
//! `UpdateAccessKey`, `DeleteAccessKey`): the engine keeps no AccessKeys (the server
//! does), but who may touch them is a RAM decision and lives here (RAM-1, RAM-2).
//!
//! An account's root manages its own keys and every user's of its account. A RAM user
//! manages its own keys, or another user's of its account, when its policies grant the
//! RAM action (`ram:CreateAccessKey`, …) on that user (`acs:ram::<account>:user/<name>`).
//! The root's keys are the root's alone; an assumed role has no AccessKeys.

use alloc::format;
use alloc::string::String;

use crate::error::{Error, ErrorCode, Result};
use crate::ids::{Identity, IdentityKind, RamName};
use crate::rules::Rule;
use crate::state::State;

/// The identity whose AccessKeys `caller` asks about with `action` (`CreateAccessKey`,
/// …), `user` being the request's `UserName` (none: the caller's own).
///
/// # Errors
/// `NotFound` (`EntityNotExist.User`) for a user not in the caller's account;
/// `AccessDenied` (`Forbidden.NoPermission`) when the caller may not.
pub fn owner(state: &State, caller: &Identity, action: &str, user: Option<&RamName>) -> Result<Identity> {
    let denied = |why: String| {
        Error::new(ErrorCode::AccessDenied, Rule::Ram1, format!("ram:{action} by {caller}: {why}"))
            .with_vendor("Forbidden.NoPermission")
    };
    let target = match (user, &caller.kind) {
        (None, IdentityKind::Role(_)) => return Err(denied("an assumed role has no AccessKeys".into())),
        (None, _) => caller.clone(),
        (Some(name), _) => {
            let exists = state.ram.get(&caller.account).is_some_and(|r| r.users.contains_key(name));
            if !exists {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    Rule::Ram1,
                    format!("the user `{name}` does not exist in account {}", caller.account),
                )
                .with_vendor("EntityNotExist.User"));
            }
            Identity { account: caller.account.clone(), kind: IdentityKind::User(name.clone()) }
        }
    };
    if caller.kind != IdentityKind::Root {
        let resource = format!(
            "acs:ram::{}:user/{}",
            target.account,
            match &target.kind {
                IdentityKind::User(n) => n.as_str(),
                _ => "",
            }
        );
        if !state.ram_allows(caller, &format!("ram:{action}"), &resource) {
            return Err(denied(format!("its policies do not grant ram:{action} on {resource} (RAM-2)")));
        }
    }
    Ok(target)
}
