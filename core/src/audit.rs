//! The audit trail (AT-1, AT-2): every operation, allowed, denied or failed, as an
//! event chained to its predecessor by SHA-256 so that any edit is detectable.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::AccountId;
use crate::text::decimal;

/// The hash of "no previous event".
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audited operation (AT-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Position in the trail, from 1.
    pub seq: u64,
    /// Request id.
    pub request_id: String,
    /// When (seconds since the epoch).
    pub time: u64,
    /// The caller identity.
    pub caller: String,
    /// The caller's account.
    pub account: String,
    /// The action.
    pub action: String,
    /// The resource acted on (ARN or id), if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource: String,
    /// The instance involved, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The owner of that instance: it sees this event (AT-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_owner: Option<String>,
    /// `Success`, `Denied` or the error code.
    pub outcome: String,
    /// SHA-256 (hex) of the previous event.
    pub prev_hash: String,
    /// SHA-256 (hex) of this event (all fields above, and `prevHash`).
    pub hash: String,
}

// An event is read with its fields as written; others are ignored (crate::json).
crate::json::record!(AuditEvent lenient _ {
    "seq" seq, "requestId" request_id, "time" time, "caller" caller, "account" account, "action" action,
    "resource" resource default, "instance" instance default, "instanceOwner" instance_owner default,
    "outcome" outcome, "prevHash" prev_hash, "hash" hash,
});

/// The trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuditLog {
    events: Vec<AuditEvent>,
}

/// What the verifier found wrong (AT-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokenLink {
    /// The sequence number of the first event that does not verify.
    pub seq: u64,
    /// Why.
    pub reason: String,
}

/// The fields of an event before it is chained.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    /// Request id.
    pub request_id: String,
    /// Time.
    pub time: u64,
    /// Caller identity.
    pub caller: String,
    /// Caller account.
    pub account: String,
    /// Action.
    pub action: String,
    /// Resource.
    pub resource: String,
    /// Instance.
    pub instance: Option<String>,
    /// Instance owner.
    pub instance_owner: Option<String>,
    /// Outcome.
    pub outcome: String,
}

fn event_hash(e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different events hash the same input.
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    // The numbers as their decimal text, which the hashed input has always held.
    let mut digits = [0u8; 20];
    field(decimal(e.seq, &mut digits));
    field(&e.request_id);
    field(decimal(e.time, &mut digits));
    field(&e.caller);
    field(&e.account);
    field(&e.action);
    field(&e.resource);
    field(e.instance.as_deref().unwrap_or(""));
    field(e.instance_owner.as_deref().unwrap_or(""));
    field(&e.outcome);
    field(&e.prev_hash);
    crate::crypto::hex(&h.finalize())
}

impl AuditLog {
    /// Append an event, chaining it to the last one; returns its sequence number.
    pub fn append(&mut self, e: NewEvent) -> u64 {
        let prev_hash = self.events.last().map(|l| l.hash.clone()).unwrap_or_else(|| String::from(GENESIS));
        let mut ev = AuditEvent {
            seq: self.events.len() as u64 + 1,
            request_id: e.request_id,
            time: e.time,
            caller: e.caller,
            account: e.account,
            action: e.action,
            resource: e.resource,
            instance: e.instance,
            instance_owner: e.instance_owner,
            outcome: e.outcome,
            prev_hash,
            hash: String::new(),
        };
        ev.hash = event_hash(&ev);
        let seq = ev.seq;
        self.events.push(ev);
        seq
    }

    /// All events.
    pub fn events(&self) -> &[AuditEvent] {
        &self.events
    }

    /// Mutable access, for tamper tests and the simulator's "tamper" demo.
    pub fn events_mut(&mut self) -> &mut Vec<AuditEvent> {
        &mut self.events
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events an account may see (AT-1): its own, and every event in an instance it owns.
    pub fn visible_to<'a>(&'a self, account: &'a AccountId) -> impl Iterator<Item = &'a AuditEvent> + 'a {
        self.events
            .iter()
            .filter(move |e| e.account == account.as_str() || e.instance_owner.as_deref() == Some(account.as_str()))
    }

    /// Verify the chain (AT-2).
    ///
    /// # Errors
    /// The first broken link: a wrong sequence number, a `prevHash` that is not the
    /// previous event's hash, or a `hash` that does not match the event's content.
    pub fn verify(&self) -> Result<(), BrokenLink> {
        let mut prev = String::from(GENESIS);
        for (i, e) in self.events.iter().enumerate() {
            let expected_seq = i as u64 + 1;
            if e.seq != expected_seq {
                return Err(BrokenLink {
                    seq: expected_seq,
                    reason: format!("event {expected_seq} has sequence number {}", e.seq),
                });
            }
            if e.prev_hash != prev {
                return Err(BrokenLink {
                    seq: e.seq,
                    reason: format!(
                        "event {} does not chain to event {}: an event was removed, inserted or reordered",
                        e.seq,
                        e.seq - 1
                    ),
                });
            }
            if event_hash(e) != e.hash {
                return Err(BrokenLink {
                    seq: e.seq,
                    reason: format!("event {} was modified after it was recorded", e.seq),
                });
            }
            prev = e.hash.clone();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &str) -> NewEvent {
        NewEvent {
            caller: "acs:ram::1234567890123456:root".into(),
            account: "1234567890123456".into(),
            action: action.into(),
            outcome: "Success".into(),
            ..Default::default()
        }
    }

    #[test]
    fn chain_verifies_and_names_first_broken_link_at2() {
        let mut log = AuditLog::default();
        for a in ["a", "b", "c", "d"] {
            log.append(ev(a));
        }
        assert_eq!(log.verify(), Ok(()));
        log.events_mut()[2].outcome = "Denied".into();
        let err = log.verify().unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("modified"));
    }

    #[test]
    fn removed_event_is_detected_at2() {
        let mut log = AuditLog::default();
        for a in ["a", "b", "c"] {
            log.append(ev(a));
        }
        log.events_mut().remove(1);
        assert_eq!(log.verify().unwrap_err().seq, 2);
    }
}
impl crate::json::ToValue for BrokenLink {
    fn to_value(&self) -> serde_json::Value {
        crate::json::fields(&mut [("seq", self.seq.to_value()), ("reason", self.reason.to_value())])
    }
}
crate::json::to_value_via_serde!(AuditEvent);
crate::json::describe_as!(crate::json::Ty::Any => AuditEvent);
