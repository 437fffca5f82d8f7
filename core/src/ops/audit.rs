//! The audit trail (AT-1, AT-2): reading the events an account may see, verifying the
//! hash chain, and the test fixture that edits an event to show the verifier catch it.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

use super::directory::management;
use super::gate::{Pending, Reply};
use crate::action::Action;
use crate::authz::Role;
use crate::engine::{Call, Engine, Response};
use crate::error::{Error, Result};
use crate::ids::shorten;
use crate::json::response;
use crate::params::Params;
use crate::request::request;
use crate::rules::Rule;

request! {
    /// LookupEvents: the events the caller's account may see (AT-1), oldest first.
    pub struct LookupEventsRequest {
        required {}
        optional {
            /// Filters: `[{"Key": "EventName", "Value": "kms:Encrypt"}]` (the action, any
            /// case) or `ResourceName` (the resource's ARN); all must match.
            "LookupAttribute" lookup_attribute: Value,
            /// Events at or after this time (`YYYY-MM-DDTHH:MM:SSZ`).
            "StartTime" start_time: String,
            /// Events at or before this time.
            "EndTime" end_time: String,
            /// 1 to 10,000 events a page (50 by default).
            "MaxResults" max_results: u64,
            /// Where the previous page stopped.
            "NextToken" next_token: String,
        }
    }
}

response! {
    /// LookupEvents's response.
    pub struct LookupEventsResponse {
        /// The events, oldest first.
        "Events" events: Vec<crate::audit::AuditEvent>,
        /// Where the next page starts, when there is one.
        "NextToken" next_token: Option<String>,
    }
}

/// LookupEvents: the events the caller's account may see (AT-1).
pub(super) fn lookup_events(e: &Engine, call: &Call, p: &mut Params<'_>) -> Result<Response> {
    let r = LookupEventsRequest::read(p)?;
    let max = r.max_results.unwrap_or(50);
    if !(1..=10_000).contains(&max) {
        return Err(Error::invalid("MaxResults", Rule::At1, format!("MaxResults must be 1 to 10000, not {max}")));
    }
    let skip: usize = match r.next_token.as_deref() {
        None => 0,
        Some(t) => {
            t.parse().map_err(|_| Error::invalid("NextToken", Rule::At1, "NextToken is not one this engine gave"))?
        }
    };
    let time = |field: &'static str, t: Option<String>| {
        t.map(|t| crate::time::parse(&t).map_err(|e| e.at_field(field))).transpose()
    };
    let (start, end) = (time("StartTime", r.start_time)?, time("EndTime", r.end_time)?);
    let mut attributes = Vec::new();
    for (i, a) in
        r.lookup_attribute.as_ref().and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]).iter().enumerate()
    {
        let key = a.get("Key").and_then(Value::as_str).unwrap_or("");
        let value = a.get("Value").and_then(Value::as_str).unwrap_or("");
        if !matches!(key, "EventName" | "ResourceName") {
            return Err(Error::invalid(
                &format!("LookupAttribute[{i}]"),
                Rule::At1,
                format!("LookupAttribute[{i}].Key must be `EventName` or `ResourceName`, not `{}`", shorten(key)),
            ));
        }
        attributes.push((key, value));
    }
    let acct = &call.caller.account;
    let mut matching = e.state.audit.visible_to(acct).filter(|ev| {
        start.is_none_or(|s| ev.time() >= s)
            && end.is_none_or(|t| ev.time() <= t)
            && attributes.iter().all(|(k, v)| match *k {
                "EventName" => ev.action().eq_ignore_ascii_case(v),
                _ => ev.resource() == *v,
            })
    });
    // Only the page's events are made whole.
    let events: Vec<crate::audit::AuditEvent> =
        matching.by_ref().skip(skip).take(max as usize).map(|ev| ev.event()).collect();
    let next_token = matching.next().map(|_| (skip + events.len()).to_string());
    Ok(Response {
        result: crate::json::ToValue::to_value(&LookupEventsResponse { events, next_token }),
        decision: None,
    })
}

request! {
    /// VerifyAuditTrail (the simulator's): check the hash chain (AT-2).
    pub struct VerifyAuditTrailRequest {
        required {}
        optional {}
    }
}

request! {
    /// TamperAuditEvent (a test fixture): edit or remove a recorded event (AT-2).
    pub struct TamperAuditEventRequest {
        required {
            /// The event's position, from 1.
            "Seq" seq: u64,
            /// `outcome`, `action`, `caller`, or `remove`.
            "Field" field: String,
        }
        optional {
            /// The new text of the field.
            "Value" value: String,
        }
    }
}

request! {
    /// SealAndReload (a test fixture): seal the state and load it back (CR-5).
    pub struct SealAndReloadRequest {
        required {
            /// The root key: 32 bytes, base64.
            "RootKey" root_key: String,
        }
        optional {
            /// Flip one byte of the snapshot first, to show the refusal.
            "Tamper" tamper: bool,
        }
    }
}

/// VerifyAuditTrail: check the hash chain (AT-2).
pub(super) fn verify(e: &Engine, _call: &Call, p: &mut Params<'_>) -> Result<Response> {
    VerifyAuditTrailRequest::read(p)?;
    let result = match e.state.audit.verify() {
        Ok(()) => obj!("Valid": true, "Events": e.state.audit.len()),
        Err(b) => obj!("Valid": false, "Events": e.state.audit.len(), "BrokenLink": b),
    };
    Ok(Response { result, decision: None })
}

/// TamperAuditEvent: edit or remove a recorded event, to show that the verifier catches
/// it (AT-2). A test fixture: scenario documents run it, hosts cannot.
pub(super) fn tamper(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = TamperAuditEventRequest::read(params)?;
    let (seq, field, value) = (r.seq, r.field.as_str(), r.value.unwrap_or_default());
    let mut ok = p.decide(management(Action::TamperAuditEvent, alloc::string::String::new(), Role::AnyAccount))?;
    let edit = |e: &mut crate::audit::AuditEvent| match field {
        "outcome" => e.outcome.clone_from(&value),
        "action" => e.action.clone_from(&value),
        _ => e.caller.clone_from(&value),
    };
    let found = match field {
        "remove" => ok.state.audit.tamper(seq, None),
        "outcome" | "action" | "caller" => ok.state.audit.tamper(seq, Some(&edit)),
        other => {
            return Err(Error::invalid(
                "Field",
                Rule::At2,
                format!("Field must be `outcome`, `action`, `caller` or `remove`, not `{}`", shorten(other)),
            ))
        }
    };
    if !found {
        return Err(Error::not_found("audit event", &format!("{seq}")));
    }
    Ok(ok.reply(obj!("Tampered": seq)))
}

/// SealAndReload: seal the state under `RootKey`, optionally flip a byte (`Tamper`), and
/// load it back (CR-5). A test fixture: scenario documents run it, hosts cannot.
pub(super) fn seal_and_reload(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = SealAndReloadRequest::read(params)?;
    let (root_b64, tamper) = (zeroize::Zeroizing::new(r.root_key), r.tamper.unwrap_or(false));
    // Not `?`: the decoder's message echoes its input, and this input is the root key.
    let root = crate::crypto::b64_decode("RootKey", &root_b64)
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
