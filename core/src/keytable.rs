//! A version 3 sealed snapshot's keys as one binary table (natively; how the table
//! sits in a snapshot is in `crate::snapshot`'s documentation).
//!
//! Keys are most of a large organization's state: a million of them written as JSON
//! records, with their sealed material as base64 in a map of its own, are most of what
//! a snapshot's load and save spend. Here a key is a few fixed-size fields, its texts
//! with their lengths, the ids that repeat across keys (instances, creators, specs)
//! written once in a table of their own and each validated once, and each version's
//! sealed material inline as its 60 raw bytes.
//!
//! Layout, little-endian throughout; `text` is a `u32` byte length and UTF-8 bytes:
//!
//! ```text
//! table   := layout:u8 (= 1) instances creators specs count:u32 key*
//! instances, creators, specs := n:u32 text*       (the values the keys refer to by index)
//! key     := id:text instance:u32 creator:u32 spec:u32 description:text
//!            state:u8 (0 enabled, 1 disabled, 2 pendingDeletion) [deleteAt:u64 when 2]
//!            flags:u8 (1 deletionProtection, 2 rotationInterval, 4 nextRotationAt)
//!            [rotationInterval:u64] [nextRotationAt:u64] createdAt:u64
//!            versions:u32 version* tags:u32 (key:text value:text)*
//! version := version:u32 createdAt:u64 encryptions:u64
//!            flags:u8 (1 the handle is `sw:<key id>/v<version>` and is not written,
//!                      2 sealed material follows)
//!            [handle:text] [sealed:60 bytes: nonce || AES-256-GCM(root, material)]
//! ```
//!
//! Keys come in strictly ascending id order (the state's order), each key's tags in
//! strictly ascending order of their names, and nothing follows the last key. A reader
//! refuses anything else: an unknown layout, state or flag bit, an index past its
//! table, a text that is not UTF-8 or not a valid id, a repeated key, tag or handle, a
//! truncated or overlong table. The table is inside the snapshot's body, so its
//! integrity tag covers it: these checks stand against a snapshot written wrongly, not
//! against tampering.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, ErrorCode, Result};
use crate::idmap::{Ascending, IdMap};
use crate::ids::{AccountId, InstanceId, KeyId};
use crate::keystore::{Material, Sealed, SEALED_LEN};
use crate::model::{Key, KeyState, KeyVersion, ShortText, Tags, Versions};
use crate::request::Text;
use crate::rules::Rule;
use crate::text::decimal;

/// The layout this build writes and reads.
const LAYOUT: u8 = 1;

const DELETION_PROTECTION: u8 = 1;
const ROTATION_INTERVAL: u8 = 2;
const NEXT_ROTATION_AT: u8 = 4;
const DEFAULT_HANDLE: u8 = 1;
const HAS_SEALED: u8 = 2;

/// What a table holds: the keys, and the sealed material of their versions by handle
/// (in key order), each entry as the software backend keeps it.
pub(crate) struct Table {
    pub keys: IdMap<KeyId, Key>,
    pub sealed: Vec<(ShortText, Material)>,
}

/// Whether `handle` is the software backend's handle of `key`'s `version`.
fn is_default_handle(handle: &str, key: &str, version: u32) -> bool {
    let mut digits = [0u8; 20];
    handle
        .strip_prefix("sw:")
        .and_then(|h| h.strip_prefix(key))
        .and_then(|h| h.strip_prefix("/v"))
        .is_some_and(|n| n == decimal(u64::from(version), &mut digits))
}

/// The software backend's handle of `key`'s `version`: `sw:<key>/v<version>`.
fn default_handle(key: &str, version: u32) -> ShortText {
    let mut digits = [0u8; 20];
    ShortText::of_parts(&["sw:", key, "/v", decimal(u64::from(version), &mut digits)])
}

/// The values keys refer to by index, each written once, in order of first use. The
/// index holds each value's position beside its hash, the text staying the key's own:
/// nothing is copied, and a million keys' lookups leave nothing to free.
struct Interned<'a> {
    values: Vec<&'a str>,
    index: crate::idhash::HashIndex,
}

impl<'a> Interned<'a> {
    fn new() -> Self {
        Interned { values: Vec::new(), index: crate::idhash::HashIndex::default() }
    }

    fn of(&mut self, text: &'a str) -> u32 {
        let h = crate::idhash::hash(text.as_bytes());
        let values = &self.values;
        if let Some(i) = self.index.find(h, |i| values.get(i as usize).is_some_and(|v| *v == text)) {
            return i;
        }
        let i = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(text);
        self.index.insert(h, i);
        i
    }
}

fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&n.to_le_bytes());
}

/// A length as the table writes it; a text or list longer than 4 GiB is refused.
fn len32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| {
        Error::new(ErrorCode::BackendError, Rule::Cr5, "cannot write a key table with a text or list of 4 GiB or more")
    })
}

fn put_text(out: &mut Vec<u8>, text: &str) -> Result<()> {
    put_u32(out, len32(text.len())?);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Keys a part of a large table holds (`write`): parts small enough that two threads
/// taking them in turn finish together, large enough that each is worth a turn.
#[cfg(not(test))]
const PART_KEYS: usize = 1 << 16;
/// In tests, parts of two keys: a small state's table is written in several.
#[cfg(test)]
const PART_KEYS: usize = 2;

/// A table as [`write`] writes it: its bytes in parts, to be read one after the other,
/// and the positions of the backend's material it holds.
pub(crate) type Written = (Vec<Vec<u8>>, Vec<usize>);

/// A key as a table's records refer to it: its record and its indexes into the
/// instances, creators and specs.
type Ref<'a> = (&'a KeyId, &'a Key, [u32; 3]);

/// Write `keys` as a table, each version's sealed material from `sealed` (`None` for a
/// handle without material in the software backend: a hardware instance's, or one
/// destroyed), with `beside`'s result.
///
/// The table comes in parts, to be read one after the other. `sealed(handle, hint)`
/// answers the material with its position in the backend, `hint` being the position
/// after the last one found (the next handle's, mostly); the positions found are
/// returned with the table. With `threads`, `beside` runs on a second thread while the
/// keys' shared texts are gathered, and the keys' records are then written in parts on
/// both (`crate::par::map`); the bytes are the same either way.
///
/// # Errors
/// `sealed`'s error (sealing failed); `BackendError` for a text of 4 GiB or more.
pub(crate) fn write<R: Send>(
    keys: &IdMap<KeyId, Key>,
    threads: bool,
    mut beside: impl FnMut() -> R + Send,
    sealed: impl Fn(&str, usize) -> Option<(usize, Result<Sealed>)> + Sync,
) -> (Result<Written>, R) {
    let mut instances = Interned::new();
    let mut creators = Interned::new();
    let mut specs = Interned::new();
    let mut refs = || -> Vec<Ref<'_>> {
        keys.iter()
            .map(|(id, k)| {
                (id, k, [instances.of(k.instance.as_str()), creators.of(k.creator.as_str()), specs.of(&k.spec)])
            })
            .collect()
    };
    let (r, refs) = if threads { crate::par::join(beside, refs) } else { (beside(), refs()) };
    let head = || -> Result<Vec<u8>> {
        let mut out = Vec::new();
        out.push(LAYOUT);
        for table in [&instances, &creators, &specs] {
            put_u32(&mut out, len32(table.values.len())?);
            for v in &table.values {
                put_text(&mut out, v)?;
            }
        }
        put_u32(&mut out, len32(keys.len())?);
        Ok(out)
    };
    let part = |part: &[Ref<'_>]| -> Result<(Vec<u8>, Vec<usize>)> {
        let mut out = Vec::with_capacity(part.len().saturating_mul(170));
        let found = records(part, &sealed, &mut out)?;
        Ok((out, found))
    };
    let parts = if threads {
        let parts: Vec<&[Ref<'_>]> = refs.chunks(PART_KEYS).collect();
        crate::par::map(parts.len(), |p| part(parts.get(p).copied().unwrap_or_default()))
    } else {
        alloc::vec![part(&refs)]
    };
    let table = head().and_then(|head| {
        let mut bytes = Vec::with_capacity(parts.len() + 1);
        bytes.push(head);
        let mut all = Vec::with_capacity(refs.len());
        for p in parts {
            let (b, found) = p?;
            bytes.push(b);
            all.extend(found);
        }
        Ok((bytes, all))
    });
    (table, r)
}

/// The records of `refs` onto `out`, in order; the positions `sealed` found.
fn records(
    refs: &[Ref<'_>],
    sealed: &impl Fn(&str, usize) -> Option<(usize, Result<Sealed>)>,
    out: &mut Vec<u8>,
) -> Result<Vec<usize>> {
    let mut found = Vec::with_capacity(refs.len());
    let mut next = 0;
    for &(id, k, [instance, creator, spec]) in refs {
        put_text(out, id.as_str())?;
        put_u32(out, instance);
        put_u32(out, creator);
        put_u32(out, spec);
        put_text(out, &k.description)?;
        match k.state {
            KeyState::Enabled => out.push(0),
            KeyState::Disabled => out.push(1),
            KeyState::PendingDeletion { delete_at } => {
                out.push(2);
                put_u64(out, delete_at);
            }
        }
        let mut flags = 0;
        if k.deletion_protection {
            flags |= DELETION_PROTECTION;
        }
        if k.rotation_interval.is_some() {
            flags |= ROTATION_INTERVAL;
        }
        if k.next_rotation_at.is_some() {
            flags |= NEXT_ROTATION_AT;
        }
        out.push(flags);
        if let Some(n) = k.rotation_interval {
            put_u64(out, n);
        }
        if let Some(n) = k.next_rotation_at {
            put_u64(out, n);
        }
        put_u64(out, k.created_at);
        put_u32(out, len32(k.versions.len())?);
        for v in &k.versions {
            put_u32(out, v.version);
            put_u64(out, v.created_at);
            put_u64(out, v.encryptions);
            let material = match sealed(&v.handle, next) {
                Some((at, m)) => {
                    next = at.saturating_add(1);
                    found.push(at);
                    Some(m?)
                }
                None => None,
            };
            let default = is_default_handle(&v.handle, id.as_str(), v.version);
            let flags = if default { DEFAULT_HANDLE } else { 0 } | if material.is_some() { HAS_SEALED } else { 0 };
            out.push(flags);
            if !default {
                put_text(out, &v.handle)?;
            }
            if let Some(m) = material {
                out.extend_from_slice(&m);
            }
        }
        put_u32(out, len32(k.tags.len())?);
        for (name, value) in &k.tags {
            put_text(out, name)?;
            put_text(out, value)?;
        }
    }
    Ok(found)
}

/// What [`read_b64`] answers for a table that is not base64.
pub(crate) const NOT_BASE64: &str = "the snapshot's key table is not base64";

/// Bytes decoded from the base64 at a time (whole groups): a window the records are
/// read from, where decoding the whole table first held all of it at once (124 MiB
/// for a million keys) beside the snapshot's text.
const WINDOW: usize = 48 * 1024;
#[cfg(test)]
pub(crate) const WINDOW_FOR_TESTS: usize = WINDOW;

/// A table being read: its bytes decoded from base64 a window at a time, and the key
/// being read (for messages).
struct Reader<'a> {
    /// Base64 not decoded yet.
    b64: &'a [u8],
    /// Decoded bytes; those before `at` are read.
    window: Vec<u8>,
    at: usize,
    /// Set when the base64 is refused: the answer is then [`NOT_BASE64`].
    not_base64: bool,
    key: usize,
}

impl<'a> Reader<'a> {
    fn fail<T>(&self, what: &str) -> core::result::Result<T, String> {
        if self.not_base64 {
            return Err(String::from(NOT_BASE64));
        }
        match self.key {
            0 => Err(format!("the key table is malformed: {what}")),
            n => Err(format!("the key table is malformed: {what} (key {n} of the table)")),
        }
    }

    /// Bytes not read yet, decoded or not (an upper bound before the last group).
    fn left(&self) -> usize {
        self.window.len().saturating_sub(self.at) + self.b64.len() / 4 * 3
    }

    /// Decode enough of the base64 for `n` more bytes to be in the window, if the table
    /// has them.
    fn fill(&mut self, n: usize) {
        self.window.drain(..self.at.min(self.window.len()));
        self.at = 0;
        let groups = n.saturating_sub(self.window.len()).max(WINDOW).div_ceil(3);
        let take = groups.saturating_mul(4);
        // The last group (which may be padded) is decoded with the rest of the text.
        let (part, rest, last) = if self.b64.len() <= take.saturating_add(4) {
            (self.b64, &[][..], true)
        } else {
            (self.b64.get(..take).unwrap_or_default(), self.b64.get(take..).unwrap_or_default(), false)
        };
        if !crate::crypto::b64_decode_append(part, last, &mut self.window) {
            self.not_base64 = true;
            self.window.clear();
        }
        self.b64 = if self.not_base64 { &[] } else { rest };
    }

    /// The next `n` bytes, read: where they start in the window (a fill moves it).
    fn take(&mut self, n: usize) -> core::result::Result<usize, String> {
        if self.window.len().saturating_sub(self.at) < n && !self.b64.is_empty() {
            self.fill(n);
        }
        let start = self.at;
        match start.checked_add(n).filter(|end| *end <= self.window.len()) {
            Some(end) => {
                self.at = end;
                Ok(start)
            }
            None => self.fail("it ends early"),
        }
    }

    fn bytes(&mut self, n: usize) -> core::result::Result<&[u8], String> {
        let start = self.take(n)?;
        Ok(self.window.get(start..start + n).unwrap_or_default())
    }

    fn u8(&mut self) -> core::result::Result<u8, String> {
        Ok(self.bytes(1)?.first().copied().unwrap_or_default())
    }

    fn u32(&mut self) -> core::result::Result<u32, String> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    fn u64(&mut self) -> core::result::Result<u64, String> {
        let b = self.bytes(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    /// A count of items each at least `min` bytes long: refused when the table cannot
    /// hold that many (so that no count makes a reader reserve more than the table).
    fn count(&mut self, min: usize) -> core::result::Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min) > self.left() {
            return self.fail("a count larger than what follows");
        }
        Ok(n)
    }

    fn text(&mut self) -> core::result::Result<&str, String> {
        let n = self.u32()? as usize;
        let start = self.take(n)?;
        match self.window.get(start..start + n).map(core::str::from_utf8) {
            Some(Ok(s)) => Ok(s),
            _ => self.fail("a text that is not UTF-8"),
        }
    }

    fn id<T: Text>(&mut self, what: &str) -> core::result::Result<T, String> {
        let parsed = T::from_text(self.text()?);
        parsed.or_else(|e| self.fail(&format!("{what}: {}", e.message)))
    }

    fn table<T: Text>(&mut self, what: &str) -> core::result::Result<Vec<T>, String> {
        let n = self.count(4)?;
        (0..n).map(|_| self.id(what)).collect()
    }

    fn pick<T: Clone>(&mut self, table: &[T], what: &str) -> core::result::Result<T, String> {
        let i = self.u32()? as usize;
        match table.get(i) {
            Some(v) => Ok(v.clone()),
            None => self.fail(&format!("an index past the table of {what}")),
        }
    }

    fn sealed(&mut self) -> core::result::Result<Sealed, String> {
        let b = self.bytes(SEALED_LEN)?;
        Ok(b.try_into().unwrap_or([0; SEALED_LEN]))
    }
}

/// Read a table from its base64 text, decoding it a window at a time.
///
/// # Errors
/// [`NOT_BASE64`], or a message saying what is wrong and at which key.
pub(crate) fn read_b64(b64: &[u8]) -> core::result::Result<Table, String> {
    if b64.len() % 4 != 0 {
        return Err(String::from(NOT_BASE64));
    }
    let mut r = Reader { b64, window: Vec::new(), at: 0, not_base64: false, key: 0 };
    if r.u8()? != LAYOUT {
        return r.fail("an unknown layout");
    }
    let instances: Vec<InstanceId> = r.table("an instance id")?;
    let creators: Vec<AccountId> = r.table("an account id")?;
    let specs: Vec<ShortText> = r.table("a key spec")?;
    // A key is at least 38 bytes: its id's length, three indexes, a description's
    // length, state, flags, creation time and two counts.
    let n = r.count(4 + 12 + 4 + 1 + 1 + 8 + 4 + 4)?;
    let mut keys: Ascending<KeyId, Key> = Ascending::with_capacity(n);
    let mut sealed: Vec<(ShortText, Material)> = Vec::with_capacity(n);
    for i in 0..n {
        r.key = i + 1;
        let id: KeyId = r.id("a key id")?;
        let instance = r.pick(&instances, "instances")?;
        let creator = r.pick(&creators, "creators")?;
        let spec = r.pick(&specs, "specs")?;
        let description = String::from(r.text()?);
        let state = match r.u8()? {
            0 => KeyState::Enabled,
            1 => KeyState::Disabled,
            2 => KeyState::PendingDeletion { delete_at: r.u64()? },
            _ => return r.fail("an unknown key state"),
        };
        let flags = r.u8()?;
        if flags & !(DELETION_PROTECTION | ROTATION_INTERVAL | NEXT_ROTATION_AT) != 0 {
            return r.fail("an unknown flag");
        }
        let rotation_interval = if flags & ROTATION_INTERVAL != 0 { Some(r.u64()?) } else { None };
        let next_rotation_at = if flags & NEXT_ROTATION_AT != 0 { Some(r.u64()?) } else { None };
        let created_at = r.u64()?;
        let count = r.count(4 + 8 + 8 + 1)?;
        // Most keys have one version, which the key's record holds: no list is made for it.
        let mut versions = Vec::with_capacity(if count == 1 { 0 } else { count });
        let mut only = None;
        for _ in 0..count {
            let version = r.u32()?;
            let v_created_at = r.u64()?;
            let encryptions = r.u64()?;
            let vflags = r.u8()?;
            if vflags & !(DEFAULT_HANDLE | HAS_SEALED) != 0 {
                return r.fail("an unknown version flag");
            }
            let handle = if vflags & DEFAULT_HANDLE != 0 {
                default_handle(id.as_str(), version)
            } else {
                ShortText::from(r.text()?)
            };
            if vflags & HAS_SEALED != 0 {
                sealed.push((handle.clone(), Material::loaded(r.sealed()?)));
            }
            let v = KeyVersion { version, created_at: v_created_at, encryptions, handle };
            if count == 1 {
                only = Some(v);
            } else {
                versions.push(v);
            }
        }
        // Most keys have no tags: no map is made for them.
        let count = r.count(8)?;
        let mut tags = Tags::new();
        if count > 0 {
            let mut gathered = Ascending::with_capacity(count);
            for _ in 0..count {
                if !gathered.push(String::from(r.text()?), String::from(r.text()?)) {
                    return r.fail("tags not in ascending order, or a tag given twice");
                }
            }
            tags = gathered.finish().into();
        }
        let key = Key {
            id: id.clone(),
            instance,
            creator,
            spec,
            description,
            state,
            deletion_protection: flags & DELETION_PROTECTION != 0,
            rotation_interval,
            next_rotation_at,
            versions: only.map_or_else(|| versions.into(), Versions::from),
            tags,
            created_at,
        };
        if !keys.push(id, key) {
            return r.fail("a key id not after the one before it (keys are in ascending order, each once)");
        }
    }
    if r.left() > 0 {
        r.key = 0;
        return r.fail("bytes after the last key");
    }
    Ok(Table { keys: keys.finish(), sealed })
}
