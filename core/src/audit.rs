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

/// The trail (AT-1, AT-2).
///
/// A server records an event for every call, so the trail is kept compact: each event a
/// fixed record of numbers, with its texts (callers, accounts, actions, resources,
/// instances, outcomes: values that repeat from call to call, as many as the
/// organization has, not as the calls) each kept once in the trail's table of texts and
/// named by number, and its request id and hashes as their bytes. An event is made whole
/// ([`AuditEvent`]) only when it is read; its hash is computed once, when it is
/// appended. The trail's document is its events in order, as [`AuditEvent`]s. (In
/// WebAssembly, whose module's size is budgeted and where a page's trail is short, the
/// events are kept whole: the same trail.)
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Default)]
pub struct AuditLog {
    records: Vec<Record>,
    texts: Texts,
}

/// One event as the trail keeps it.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy)]
struct Record {
    seq: u64,
    time: u64,
    request_id: Hex<8>,
    caller: u32,
    account: u32,
    action: u32,
    resource: u32,
    instance: Option<u32>,
    instance_owner: Option<u32>,
    outcome: u32,
    prev_hash: Hex<32>,
    hash: Hex<32>,
}

/// A hex text of `N` bytes: its bytes when it is that (in lowercase, as the engine
/// writes it), else the text itself, in the trail's table (a document may hold anything).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hex<const N: usize> {
    Bytes([u8; N]),
    Text(u32),
}

/// Texts kept once each, named by their place: their slot in the map (slots are dense,
/// in the order the texts came, and nothing is removed).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Default)]
struct Texts(crate::idmap::IdMap<String, ()>);

#[cfg(not(target_arch = "wasm32"))]
impl Texts {
    /// The place of `text`, added if new.
    fn place(&mut self, text: &str) -> u32 {
        if let Some(p) = self.find(text) {
            return p;
        }
        let p = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
        self.0.insert(String::from(text), ());
        p
    }

    fn find(&self, text: &str) -> Option<u32> {
        self.0.get_at(text).and_then(|(slot, ())| u32::try_from(slot).ok())
    }

    fn at(&self, place: u32) -> &str {
        self.0.at_slot(place as usize).map_or("", |(text, ())| text.as_str())
    }

    fn hex<const N: usize>(&mut self, text: &str) -> Hex<N> {
        match unhex::<N>(text) {
            Some(b) => Hex::Bytes(b),
            None => Hex::Text(self.place(text)),
        }
    }

    /// The record of event `seq` of fields `e`, its texts kept here.
    fn keep(&mut self, seq: u64, e: &NewEvent<'_>, prev_hash: Hex<32>, hash: Hex<32>) -> Record {
        Record {
            seq,
            time: e.time,
            request_id: self.hex(e.request_id),
            caller: self.place(e.caller),
            account: self.place(e.account),
            action: self.place(e.action),
            resource: self.place(e.resource),
            instance: e.instance.map(|i| self.place(i)),
            instance_owner: e.instance_owner.map(|o| self.place(o)),
            outcome: self.place(e.outcome),
            prev_hash,
            hash,
        }
    }

    /// The fields of record `r`, its request id written into `buf` when it is bytes.
    fn fields<'a>(&'a self, r: &Record, buf: &'a mut [u8; 64]) -> NewEvent<'a> {
        NewEvent {
            request_id: self.hex_text(&r.request_id, buf),
            time: r.time,
            caller: self.at(r.caller),
            account: self.at(r.account),
            action: self.at(r.action),
            resource: self.at(r.resource),
            instance: r.instance.map(|i| self.at(i)),
            instance_owner: r.instance_owner.map(|o| self.at(o)),
            outcome: self.at(r.outcome),
        }
    }

    /// The text of `h`, written into `buf` when it is bytes.
    fn hex_text<'a, const N: usize>(&'a self, h: &Hex<N>, buf: &'a mut [u8; 64]) -> &'a str {
        match h {
            Hex::Bytes(b) => crate::crypto::hex_into(b, buf),
            Hex::Text(p) => self.at(*p),
        }
    }
}

/// The `N` bytes `text` writes in lowercase hex, if it is exactly that.
#[cfg(not(target_arch = "wasm32"))]
fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let t = text.as_bytes();
    if t.len() != 2 * N {
        return None;
    }
    let value = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(t.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *o = (value(*hi)? << 4) | value(*lo)?;
        }
    }
    Some(out)
}

/// What [`AuditLog::verify`] found wrong (AT-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokenLink {
    /// The sequence number of the first event that does not verify.
    pub seq: u64,
    /// Why.
    pub reason: String,
}

/// The fields of an event before it is chained.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewEvent<'a> {
    /// Request id.
    pub request_id: &'a str,
    /// Time.
    pub time: u64,
    /// Caller identity.
    pub caller: &'a str,
    /// Caller account.
    pub account: &'a str,
    /// Action.
    pub action: &'a str,
    /// Resource.
    pub resource: &'a str,
    /// Instance.
    pub instance: Option<&'a str>,
    /// Instance owner.
    pub instance_owner: Option<&'a str>,
    /// Outcome.
    pub outcome: &'a str,
}

/// Whether the event at `place` (from 0) of a trail, of sequence number `seq`, is in
/// its place and chained to the event before it (`chained`).
fn link(place: usize, seq: u64, chained: bool) -> Result<(), BrokenLink> {
    let expected = place as u64 + 1;
    if seq != expected {
        return Err(BrokenLink { seq: expected, reason: format!("event {expected} has sequence number {seq}") });
    }
    if !chained {
        let reason =
            format!("event {seq} does not chain to event {}: an event was removed, inserted or reordered", seq - 1);
        return Err(BrokenLink { seq, reason });
    }
    Ok(())
}

impl NewEvent<'_> {
    /// The hash of this event as event `seq`, chained to `prev_hash`: SHA-256 of its
    /// fields' texts in order (`seq`, `requestId`, `time`, `caller`, `account`, `action`,
    /// `resource`, `instance`, `instanceOwner`, `outcome`, `prevHash`; the numbers as
    /// their decimal text), each after its length as 8 bytes big-endian, so that no two
    /// different events hash the same input.
    fn hash(&self, seq: u64, prev_hash: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        let mut field = |s: &str| {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        };
        let mut digits = [0u8; 20];
        field(decimal(seq, &mut digits));
        field(self.request_id);
        field(decimal(self.time, &mut digits));
        for t in [self.caller, self.account, self.action, self.resource] {
            field(t);
        }
        field(self.instance.unwrap_or(""));
        field(self.instance_owner.unwrap_or(""));
        field(self.outcome);
        field(prev_hash);
        h.finalize().into()
    }

    /// This event, whole, as event `seq` with its hashes.
    fn whole(&self, seq: u64, prev_hash: String, hash: String) -> AuditEvent {
        AuditEvent {
            seq,
            request_id: self.request_id.into(),
            time: self.time,
            caller: self.caller.into(),
            account: self.account.into(),
            action: self.action.into(),
            resource: self.resource.into(),
            instance: self.instance.map(String::from),
            instance_owner: self.instance_owner.map(String::from),
            outcome: self.outcome.into(),
            prev_hash,
            hash,
        }
    }
}

impl AuditEvent {
    /// The event's fields, as they were appended.
    fn fields(&self) -> NewEvent<'_> {
        NewEvent {
            request_id: &self.request_id,
            time: self.time,
            caller: &self.caller,
            account: &self.account,
            action: &self.action,
            resource: &self.resource,
            instance: self.instance.as_deref(),
            instance_owner: self.instance_owner.as_deref(),
            outcome: &self.outcome,
        }
    }
}

/// The place (from 0) of the event of sequence number `seq` in a trail of `len` events.
fn place_of(seq: u64, len: usize) -> Option<usize> {
    seq.checked_sub(1).and_then(|i| usize::try_from(i).ok()).filter(|i| *i < len)
}

/// The broken link of an event whose hash is not its content's.
fn modified(seq: u64) -> BrokenLink {
    BrokenLink { seq, reason: format!("event {seq} was modified after it was recorded") }
}

/// One event of a trail, read in place (see [`AuditLog::visible_to`]).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    log: &'a AuditLog,
    record: &'a Record,
}

#[cfg(not(target_arch = "wasm32"))]
impl<'a> EventRef<'a> {
    /// When (seconds since the epoch).
    pub fn time(&self) -> u64 {
        self.record.time
    }

    /// The action.
    pub fn action(&self) -> &'a str {
        self.log.texts.at(self.record.action)
    }

    /// The resource acted on, empty when none.
    pub fn resource(&self) -> &'a str {
        self.log.texts.at(self.record.resource)
    }

    /// The whole event.
    pub fn event(&self) -> AuditEvent {
        self.log.event_of(self.record)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl AuditLog {
    /// Append an event, chaining it to the last one; returns its sequence number.
    pub fn append(&mut self, e: NewEvent<'_>) -> u64 {
        let seq = self.records.len() as u64 + 1;
        let prev_hash = self.records.last().map_or(Hex::Bytes([0; 32]), |l| l.hash);
        let mut buf = [0u8; 64];
        let hash = e.hash(seq, self.texts.hex_text(&prev_hash, &mut buf));
        let record = self.texts.keep(seq, &e, prev_hash, Hex::Bytes(hash));
        self.records.push(record);
        seq
    }

    /// The trail kept as `events` are, in their order (their sequence numbers and
    /// hashes as they are: [`AuditLog::verify`] checks them).
    fn from_events(events: impl IntoIterator<Item = AuditEvent>) -> AuditLog {
        let mut log = AuditLog::default();
        for e in events {
            let record = log.record_of(&e);
            log.records.push(record);
        }
        log
    }

    fn record_of(&mut self, e: &AuditEvent) -> Record {
        let t = &mut self.texts;
        let (prev_hash, hash) = (t.hex(&e.prev_hash), t.hex(&e.hash));
        t.keep(e.seq, &e.fields(), prev_hash, hash)
    }

    fn event_of(&self, r: &Record) -> AuditEvent {
        let t = &self.texts;
        let (mut a, mut b, mut c) = ([0u8; 64], [0u8; 64], [0u8; 64]);
        let (prev_hash, hash) = (t.hex_text(&r.prev_hash, &mut b), t.hex_text(&r.hash, &mut c));
        t.fields(r, &mut a).whole(r.seq, prev_hash.into(), hash.into())
    }

    /// All events, in order, each made whole as it is read.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = AuditEvent> + ExactSizeIterator + '_ {
        self.records.iter().map(|r| self.event_of(r))
    }

    /// The event of sequence number `seq` (its place in the trail, from 1).
    pub fn event(&self, seq: u64) -> Option<AuditEvent> {
        self.records.get(place_of(seq, self.records.len())?).map(|r| self.event_of(r))
    }

    /// The time of the last event.
    pub fn last_time(&self) -> Option<u64> {
        self.records.last().map(|r| r.time)
    }

    /// Replace the event of sequence number `seq` by what `edit` makes of it, its hash
    /// not computed again, or remove it (`edit` is `None`): for tamper tests and the
    /// simulator's `TamperAuditEvent`, whose change [`AuditLog::verify`] must catch
    /// (AT-2). Whether there was such an event.
    #[doc(hidden)]
    pub fn tamper(&mut self, seq: u64, edit: Option<&dyn Fn(&mut AuditEvent)>) -> bool {
        let Some(i) = place_of(seq, self.records.len()) else { return false };
        match edit {
            None => {
                self.records.remove(i);
            }
            Some(edit) => {
                let Some(mut e) = self.event(seq) else { return false };
                edit(&mut e);
                let record = self.record_of(&e);
                if let Some(r) = self.records.get_mut(i) {
                    *r = record;
                }
            }
        }
        true
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The events an account may see (AT-1): its own, and every event in an instance it
    /// owns, read in place.
    pub fn visible_to<'a>(&'a self, account: &AccountId) -> impl Iterator<Item = EventRef<'a>> + 'a {
        let place = self.texts.find(account.as_str());
        self.records
            .iter()
            .filter(move |r| place.is_some_and(|p| r.account == p || r.instance_owner == Some(p)))
            .map(move |record| EventRef { log: self, record })
    }

    /// Verify the chain (AT-2).
    ///
    /// # Errors
    /// The first broken link: a wrong sequence number, a `prevHash` that is not the
    /// previous event's hash, or a `hash` that does not match the event's content.
    pub fn verify(&self) -> Result<(), BrokenLink> {
        let t = &self.texts;
        let mut prev: Hex<32> = Hex::Bytes([0; 32]);
        for (i, r) in self.records.iter().enumerate() {
            let (mut a, mut b, mut c) = ([0u8; 64], [0u8; 64], [0u8; 64]);
            let prev_hash = t.hex_text(&r.prev_hash, &mut a);
            link(i, r.seq, prev_hash == t.hex_text(&prev, &mut b))?;
            if r.hash != Hex::Bytes(t.fields(r, &mut c).hash(r.seq, prev_hash)) {
                return Err(modified(r.seq));
            }
            prev = r.hash;
        }
        Ok(())
    }
}

/// Two trails are equal when their events are (however their texts are kept).
#[cfg(not(target_arch = "wasm32"))]
impl PartialEq for AuditLog {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.events().zip(other.events()).all(|(a, b)| a == b)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Eq for AuditLog {}

#[cfg(not(target_arch = "wasm32"))]
impl core::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.events()).finish()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Serialize for AuditLog {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.events())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl<'de> Deserialize<'de> for AuditLog {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<AuditEvent>::deserialize(d).map(AuditLog::from_events)
    }
}

/// The trail (AT-1, AT-2), its events kept whole (see the native `AuditLog`).
#[cfg(target_arch = "wasm32")]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuditLog {
    events: Vec<AuditEvent>,
}

/// One event of a trail, read in place (see [`AuditLog::visible_to`]).
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy)]
pub struct EventRef<'a>(&'a AuditEvent);

#[cfg(target_arch = "wasm32")]
impl<'a> EventRef<'a> {
    /// When (seconds since the epoch).
    pub fn time(&self) -> u64 {
        self.0.time
    }

    /// The action.
    pub fn action(&self) -> &'a str {
        &self.0.action
    }

    /// The resource acted on, empty when none.
    pub fn resource(&self) -> &'a str {
        &self.0.resource
    }

    /// The whole event.
    pub fn event(&self) -> AuditEvent {
        self.0.clone()
    }
}

#[cfg(target_arch = "wasm32")]
impl AuditLog {
    /// Append an event, chaining it to the last one; returns its sequence number.
    pub fn append(&mut self, e: NewEvent<'_>) -> u64 {
        let seq = self.events.len() as u64 + 1;
        let prev_hash = self.events.last().map_or_else(|| String::from(GENESIS), |l| l.hash.clone());
        let hash = crate::crypto::hex(&e.hash(seq, &prev_hash));
        self.events.push(e.whole(seq, prev_hash, hash));
        seq
    }

    /// All events, in order.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = AuditEvent> + ExactSizeIterator + '_ {
        self.events.iter().cloned()
    }

    /// The event of sequence number `seq` (its place in the trail, from 1).
    pub fn event(&self, seq: u64) -> Option<AuditEvent> {
        self.events.get(place_of(seq, self.events.len())?).cloned()
    }

    /// The time of the last event.
    pub fn last_time(&self) -> Option<u64> {
        self.events.last().map(|e| e.time)
    }

    /// As the native [`AuditLog::tamper`]: for the simulator's `TamperAuditEvent` (AT-2).
    #[doc(hidden)]
    pub fn tamper(&mut self, seq: u64, edit: Option<&dyn Fn(&mut AuditEvent)>) -> bool {
        let Some(i) = place_of(seq, self.events.len()) else { return false };
        match (edit, self.events.get_mut(i)) {
            (Some(edit), Some(e)) => edit(e),
            _ => {
                self.events.remove(i);
            }
        }
        true
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
    pub fn visible_to<'a>(&'a self, account: &'a AccountId) -> impl Iterator<Item = EventRef<'a>> + 'a {
        self.events
            .iter()
            .filter(move |e| e.account == account.as_str() || e.instance_owner.as_deref() == Some(account.as_str()))
            .map(EventRef)
    }

    /// Verify the chain (AT-2).
    ///
    /// # Errors
    /// The first broken link: a wrong sequence number, a `prevHash` that is not the
    /// previous event's hash, or a `hash` that does not match the event's content.
    pub fn verify(&self) -> Result<(), BrokenLink> {
        let mut prev = GENESIS;
        for (i, e) in self.events.iter().enumerate() {
            link(i, e.seq, e.prev_hash == prev)?;
            if crate::crypto::hex(&e.fields().hash(e.seq, &e.prev_hash)) != e.hash {
                return Err(modified(e.seq));
            }
            prev = &e.hash;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &str) -> NewEvent<'_> {
        NewEvent {
            caller: "acs:ram::1234567890123456:root",
            account: "1234567890123456",
            action,
            outcome: "Success",
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
        assert!(log.tamper(3, Some(&|e: &mut AuditEvent| e.outcome = "Denied".into())));
        let err = log.verify().unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("modified"));
    }

    #[cfg(not(target_arch = "wasm32"))]
    /// Each repeated text is kept once however many events name it; each event is a
    /// fixed record, its request id and hashes kept as bytes (AT-1).
    #[test]
    fn repeated_texts_are_kept_once_at1() {
        let mut log = AuditLog::default();
        for i in 0..1000u64 {
            let id = alloc::format!("{i:016x}");
            log.append(NewEvent { request_id: &id, time: i, instance: Some("kst-1"), ..ev("kms:Encrypt") });
        }
        // The caller, its account, the action, the empty resource, the instance, the outcome.
        assert_eq!(log.texts.0.len(), 6);
        assert!(log.records.iter().all(|r| matches!((r.request_id, r.hash), (Hex::Bytes(_), Hex::Bytes(_)))));
        assert_eq!(log.verify(), Ok(()));
        let last = log.event(1000).unwrap();
        assert_eq!(
            (last.request_id.as_str(), last.time, last.instance.as_deref()),
            ("00000000000003e7", 999, Some("kst-1"))
        );
        assert_eq!(log.event(1), log.events().next());
        assert_eq!((log.event(0), log.event(1001), log.last_time()), (None, None, Some(999)));
    }

    /// A trail's document reads back as the same trail and writes the same text, an
    /// event whose request id or hashes are not the engine's lowercase hex included
    /// (kept as written); verification then names that event (AT-2).
    #[test]
    fn a_trail_reads_back_from_its_document_as_written_at2() {
        let mut log = AuditLog::default();
        for a in ["a", "b", "c"] {
            log.append(NewEvent { request_id: "0123456789abcdef", ..ev(a) });
        }
        let text = serde_json::to_string(&log).unwrap();
        let back: AuditLog = serde_json::from_str(&text).unwrap();
        assert_eq!((&back, serde_json::to_string(&back).unwrap()), (&log, text.clone()));
        assert_eq!(back.verify(), Ok(()));
        let hash = log.event(2).unwrap().hash;
        for (from, to) in [(hash.clone(), hash.to_uppercase()), ("0123456789abcdef".into(), "a request".into())] {
            let edited = text.replacen(&from, &to, 1);
            let back: AuditLog = serde_json::from_str(&edited).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), edited);
            let broken = back.verify().unwrap_err();
            assert!(matches!(broken.seq, 1 | 2) && broken.reason.contains("modified"), "{broken:?}");
        }
    }

    #[test]
    fn removed_event_is_detected_at2() {
        let mut log = AuditLog::default();
        for a in ["a", "b", "c"] {
            log.append(ev(a));
        }
        assert!(log.tamper(2, None));
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
