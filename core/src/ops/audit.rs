//! The audit trail (AT-1, AT-2): reading the events an account may see, verifying the
//! hash chain, and the test fixture that edits an event to show the verifier catch it.

use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;

use super::directory::management;
use super::gate::{Pending, Reply};
use crate::action::Action;
use crate::authz::Role;
use crate::engine::{Call, Engine, Response};
use crate::error::{Error, Result};
use crate::ids::shorten;
use crate::params::Params;
use crate::rules::Rule;

/// LookupEvents: the events the caller's account may see (AT-1).
pub(super) fn lookup_events(e: &Engine, call: &Call, p: &mut Params<'_>) -> Result<Response> {
    let max = p.opt_u64("MaxResults")?.unwrap_or(1000).min(10_000) as usize;
    let action = p.opt_str("EventAction")?;
    p.finish()?;
    let acct = &call.caller.account;
    let events: Vec<&crate::audit::AuditEvent> = e
        .state
        .audit
        .visible_to(acct)
        .filter(|ev| action.is_none_or(|a| ev.action.eq_ignore_ascii_case(a)))
        .take(max)
        .collect();
    Ok(Response { result: obj!("Events": events, "Count": events.len()), decision: None })
}

/// VerifyAuditTrail: check the hash chain (AT-2).
pub(super) fn verify(e: &Engine, _call: &Call, p: &mut Params<'_>) -> Result<Response> {
    p.finish()?;
    let result = match e.state.audit.verify() {
        Ok(()) => obj!("Valid": true, "Events": e.state.audit.len()),
        Err(b) => obj!("Valid": false, "Events": e.state.audit.len(), "BrokenLink": b),
    };
    Ok(Response { result, decision: None })
}

/// TamperAuditEvent: edit or remove a recorded event, to show that the verifier catches
/// it (AT-2). A test fixture: scenario documents run it, hosts cannot.
pub(super) fn tamper(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let seq = params.opt_u64("Seq")?.ok_or_else(|| params.missing("Seq"))?;
    let field = params.str("Field")?;
    let value = params.opt_str("Value")?.unwrap_or("").to_string();
    params.finish()?;
    let mut ok = p.decide(management(Action::TamperAuditEvent, alloc::string::String::new(), Role::AnyAccount))?;
    let events = ok.state.audit.events_mut();
    let idx = usize::try_from(seq)
        .ok()
        .and_then(|s| s.checked_sub(1))
        .filter(|i| *i < events.len())
        .ok_or_else(|| Error::not_found("audit event", &format!("{seq}")))?;
    match field {
        "remove" => {
            events.remove(idx);
        }
        "outcome" | "action" | "caller" => {
            if let Some(e) = events.get_mut(idx) {
                match field {
                    "outcome" => e.outcome = value,
                    "action" => e.action = value,
                    _ => e.caller = value,
                }
            }
        }
        other => {
            return Err(Error::invalid(
                "Field",
                Rule::At2,
                format!("Field must be `outcome`, `action`, `caller` or `remove`, not `{}`", shorten(other)),
            ))
        }
    }
    Ok(ok.reply(obj!("Tampered": seq)))
}

/// SealAndReload: seal the state under `RootKey`, optionally flip a byte (`Tamper`), and
/// load it back (CR-5). A test fixture: scenario documents run it, hosts cannot.
pub(super) fn seal_and_reload(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let root_b64 = params.str("RootKey")?;
    let tamper = params.opt_bool("Tamper")?.unwrap_or(false);
    params.finish()?;
    // Not `?`: the decoder's message echoes its input, and this input is the root key.
    let root = crate::crypto::b64_decode("RootKey", root_b64)
        .map_err(|_| Error::invalid("RootKey", Rule::Cr5, "the root key is 32 bytes in padded standard base64"))?;
    let root = zeroize::Zeroizing::new(root);
    if root.len() != 32 {
        return Err(Error::invalid(
            "RootKey",
            Rule::Cr5,
            format!("the root key is 32 bytes (base64), not {}", root.len()),
        ));
    }
    let mut ok = p.decide(management(Action::SealAndReload, alloc::string::String::new(), Role::AnyAccount))?;
    let result = ok.seal_and_reload(&root, tamper)?;
    Ok(ok.reply(result))
}
