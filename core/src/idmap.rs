//! [`IdMap`] and [`IdSet`]: the state's maps and sets keyed by an id or a name.
//!
//! Every map of the state used to be a `BTreeMap<K, V>` of its own key and value types,
//! and each such pair compiles its own copy of the whole tree (search, insert, split,
//! merge, steal, iterate, clone, drop): about 4 KB of WebAssembly per pair, 40 pairs.
//! Here the tree is one `BTreeMap<IdText, u32>` from a key's text to a slot, whatever the
//! key and value types; the entries live in a `Vec<(K, V)>` of slots. What stays per type
//! is the slot vector's code, a few hundred bytes.
//!
//! - Order is the keys' text order, which is the `Ord` of every key type used here (ids
//!   and names over `IdText`, and `String`): iteration, `Debug` and the serialized form
//!   are exactly those of the `BTreeMap` they replace, and equality ignores slot order.
//! - A removal moves the last slot into the freed one (and repoints its tree entry), so
//!   slots stay dense.
//! - Lookups take the key, or any borrowed form of it that has a text (`&str` for a
//!   `String` key), like `BTreeMap`'s. A map of more than [`SMALL`] entries also keeps
//!   a hash index (`idhash.rs`) from text to slot and answers lookups from it: a tree
//!   search compares texts node after node, which on the decision path cost more than
//!   the decision (not in the whole-engine WebAssembly module: see `Hash`).
//! - Natively (not in WebAssembly) a map of up to [`SMALL`] entries has no tree: it is
//!   searched in its slots and its keys sorted when it is iterated. A large organization
//!   holds hundreds of thousands of such maps (a RAM account's users, roles and
//!   policies, each identity's policy names), and a tree's one node took 320 bytes.
//! - Natively the slots of a larger map that were filled in key order have no tree
//!   entry either. Maps are mostly made that way, entries read or copied in key order (a
//!   snapshot's million keys and their key material, every map read from JSON), and the
//!   tree's 30-odd bytes per entry only repeated the order the slots already had. Such
//!   a map is searched by its hash index (by halving while that is being built); keys
//!   inserted later out of order get tree entries, and iteration merges the two orders.
//!   A removal from the ordered slots (other than the last) gives every key its tree
//!   entry; slots never move for it.

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
use alloc::boxed::Box;
use alloc::collections::btree_map::{self, BTreeMap};
use alloc::string::String;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::fmt;
use core::marker::PhantomData;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::idhash::{self, HashIndex};
use crate::idtext::IdText;

/// Sort `items` by a number (a creation sequence), keeping equal keys in their order.
/// One sort routine, of `(key, position)` pairs, serves every caller: each caller of the
/// standard library's stable sort gets that sort compiled for its own type (about 3.5 KB
/// of WebAssembly each).
pub fn sort_by_seq<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let mut order: Vec<(u64, usize)> = items.iter().enumerate().map(|(i, x)| (key(x), i)).collect();
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.iter().filter_map(|&(_, i)| slots.get_mut(i).and_then(Option::take)));
}

/// A key whose order is its text's order.
pub trait KeyText {
    /// The key's text.
    fn key_text(&self) -> &str;
    /// The key's text as bytes (what a search compares; for an id this skips the UTF-8
    /// check that reading its text as `str` makes).
    fn key_bytes(&self) -> &[u8] {
        self.key_text().as_bytes()
    }
    /// The key's text as the tree stores it (an id copies its own, unchecked).
    fn id_text(&self) -> IdText {
        IdText::new(self.key_text())
    }
    /// The key's own `IdText`, for a key that keeps one (an id): two such keys compare
    /// as `IdText`s, without a byte-by-byte comparison of their text.
    fn own_id_text(&self) -> Option<&IdText> {
        None
    }
}

/// Whether `a` and `b` are the same key.
fn same_key<A: KeyText + ?Sized, B: KeyText + ?Sized>(a: &A, b: &B) -> bool {
    match (a.own_id_text(), b.own_id_text()) {
        (Some(x), Some(y)) => x == y,
        _ => a.key_bytes() == b.key_bytes(),
    }
}

impl KeyText for str {
    fn key_text(&self) -> &str {
        self
    }
}

/// An entry of [`KeySlots`] holds the key's text only.
impl KeyText for IdText {
    fn key_text(&self) -> &str {
        self.as_str()
    }
    fn key_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
    fn own_id_text(&self) -> Option<&IdText> {
        Some(self)
    }
}

impl KeyText for String {
    fn key_text(&self) -> &str {
        self.as_str()
    }
}

/// A map from ids or names to values, in key order (see the module documentation).
#[cfg_attr(all(target_arch = "wasm32", not(feature = "hash-index")), derive(Clone))]
pub struct IdMap<K, V> {
    /// Key text to slot, for key order: empty (which allocates nothing) while the map
    /// has no tree (`IdMap::untreed`).
    tree: BTreeMap<IdText, u32>,
    slots: Vec<(K, V)>,
    /// Past [`SMALL`] entries: key text to slot by hash (none for the many small maps,
    /// which the tree's one node answers).
    hash: Hash,
    /// See [`IdMap::layout`].
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    layout: u64,
    /// Natively, past [`SMALL`] entries: how many leading slots are in key order with no
    /// tree entry; the tree holds the keys of the slots after them (see the module
    /// documentation).
    #[cfg(not(target_arch = "wasm32"))]
    sorted: usize,
}

/// A number no map has had yet, for [`IdMap::layout`].
#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
fn new_layout() -> u64 {
    static NEXT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

/// A copy gets a layout number of its own (see `IdMap::layout`).
#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
impl<K: Clone, V: Clone> Clone for IdMap<K, V> {
    fn clone(&self) -> Self {
        IdMap {
            tree: self.tree.clone(),
            slots: self.slots.clone(),
            hash: self.hash.clone(),
            layout: new_layout(),
            #[cfg(not(target_arch = "wasm32"))]
            sorted: self.sorted,
        }
    }
}

/// Entries up to which a map has no hash index, and natively no tree (see the module
/// documentation); outside the whole-engine WebAssembly module its slots are searched
/// in turn.
pub const SMALL: usize = 8;

/// Whether a map of up to [`SMALL`] entries keeps no tree: natively. WebAssembly keeps
/// one (its modules' sizes are budgeted, and a page holds a small organization).
const UNTREED: bool = cfg!(not(target_arch = "wasm32"));

/// Whether this build keeps the maps' hash index and searches small maps in their slots:
/// natively and in the decision-only WebAssembly module, not in the whole engine's (see
/// `Hash`).
pub(crate) const FAST: bool = cfg!(any(not(target_arch = "wasm32"), feature = "hash-index"));

/// A large map's hash index. Not in the whole-engine WebAssembly module: its size is
/// held under a ceiling, and the index's code (its lookups, growth and removals,
/// compiled for each map's key and value types) does not fit. There `Hash` holds
/// nothing and the compiler drops every use of it. The decision-only module, which
/// pages load for in-page checks, has it (feature `hash-index`). Answers are the same
/// either way.
#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
#[derive(Clone, Default)]
enum Hash {
    /// A small map, searched in its tree.
    #[default]
    None,
    /// Entries are being read in bulk ([`IdMap::begin_bulk`]): the tree (and a search by
    /// halving of the slots in key order) answers until the index is built at the end.
    Deferred,
    Built(Box<HashIndex>),
}

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
impl Hash {
    fn get(&self) -> Option<&HashIndex> {
        match self {
            Hash::Built(h) => Some(h),
            _ => None,
        }
    }

    fn get_mut(&mut self) -> Option<&mut HashIndex> {
        match self {
            Hash::Built(h) => Some(h),
            _ => None,
        }
    }

    fn set(&mut self, hash: HashIndex) {
        *self = Hash::Built(Box::new(hash));
    }

    /// Whether a map of `len` entries should build its index now.
    fn wanted(&self, len: usize) -> bool {
        matches!(self, Hash::None) && len > SMALL
    }

    fn defer(&mut self) {
        *self = Hash::Deferred;
    }

    /// Drop a built index (a map back to [`SMALL`] entries); bulk mode stays.
    fn drop_built(&mut self) {
        if matches!(self, Hash::Built(_)) {
            *self = Hash::None;
        }
    }
}

/// See the other `Hash`: in WebAssembly without `hash-index`, no index.
#[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
#[derive(Clone, Default)]
struct Hash;

#[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
impl Hash {
    fn get(&self) -> Option<&HashIndex> {
        None
    }

    fn get_mut(&mut self) -> Option<&mut HashIndex> {
        None
    }

    fn set(&mut self, _: HashIndex) {}

    fn wanted(&self, _: usize) -> bool {
        false
    }

    fn defer(&mut self) {}

    fn drop_built(&mut self) {}
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        IdMap {
            tree: BTreeMap::new(),
            slots: Vec::new(),
            hash: Hash::default(),
            #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
            layout: new_layout(),
            #[cfg(not(target_arch = "wasm32"))]
            sorted: 0,
        }
    }
}

/// The slot number of a position (slots are far fewer than 2^32: each is a state entry).
fn slot_no(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn pos(slot: u32) -> usize {
    usize::try_from(slot).unwrap_or(usize::MAX)
}

impl<K: KeyText, V> IdMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Insert many entries before looking any up (reading a map): its hash index is
    /// built once, at [`IdMap::end_bulk`], instead of entry by entry. Lookups meanwhile
    /// search the tree and the slots in key order; a map left in bulk mode answers the
    /// same, only slower.
    pub(crate) fn begin_bulk(&mut self) {
        self.hash.defer();
    }

    /// Build the hash index of a map read in bulk (nothing for a small map, or in
    /// WebAssembly without `hash-index`).
    pub(crate) fn end_bulk(&mut self) {
        if cfg!(any(not(target_arch = "wasm32"), feature = "hash-index")) {
            self.hash = Hash::default();
            self.index_if_large();
        }
    }

    /// Build the hash index of every entry, once the map is past [`SMALL`] and has none.
    fn index_if_large(&mut self) {
        if self.hash.wanted(self.slots.len()) {
            let hashes: Vec<u32> = self.slots.iter().map(|(k, _)| idhash::hash(k.key_bytes())).collect();
            self.hash.set(HashIndex::of(&hashes));
        }
    }

    /// The map of `entries` given in strictly ascending key order, built in one pass
    /// (its slots in key order need no tree; its hash index is built once); the entries
    /// back when they are not in that order (a repeated key included). Native only: see
    /// `fastjson`.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn of_ascending(entries: Vec<(K, V)>) -> core::result::Result<Self, Vec<(K, V)>> {
        if !entries.windows(2).all(|w| matches!(w, [(a, _), (b, _)] if a.key_bytes() < b.key_bytes())) {
            return Err(entries);
        }
        Ok(Self::of_ordered(entries, None))
    }

    /// The map of `slots`, in strictly ascending key order, with their keys' hashes when
    /// they were made already (else they are made here if the map wants its index).
    #[cfg(not(target_arch = "wasm32"))]
    fn of_ordered(slots: Vec<(K, V)>, hashes: Option<Vec<u32>>) -> Self {
        let sorted = if slots.len() > SMALL { slots.len() } else { 0 };
        let mut map = IdMap { tree: BTreeMap::new(), slots, hash: Hash::default(), layout: new_layout(), sorted };
        match hashes {
            Some(hashes) if map.hash.wanted(map.slots.len()) => map.hash.set(HashIndex::of(&hashes)),
            Some(_) => {}
            None => map.end_bulk(),
        }
        map
    }

    /// Whether the map keeps no tree: natively ([`UNTREED`]), up to [`SMALL`] entries.
    fn untreed(&self) -> bool {
        UNTREED && self.slots.len() <= SMALL
    }

    /// How many leading slots of a map past [`SMALL`] entries are in key order with no
    /// tree entry: natively only.
    fn sorted(&self) -> usize {
        #[cfg(not(target_arch = "wasm32"))]
        return self.sorted;
        #[cfg(target_arch = "wasm32")]
        0
    }

    /// Give a map just past [`SMALL`] entries its order: natively none while its slots
    /// are in key order, else its tree.
    fn tree_if_large(&mut self) {
        if self.untreed() || self.sorted() > 0 || self.tree.len() == self.slots.len() {
            return;
        }
        #[cfg(not(target_arch = "wasm32"))]
        if self.tree.is_empty()
            && self.slots.windows(2).all(|w| matches!(w, [(a, _), (b, _)] if a.key_bytes() < b.key_bytes()))
        {
            self.sorted = self.slots.len();
            return;
        }
        self.tree = self.slots.iter().enumerate().map(|(i, (k, _))| (k.id_text(), slot_no(i))).collect();
    }

    /// Give the ordered slots their tree entries, for a removal among them (the slots
    /// stay where they are).
    #[cfg(not(target_arch = "wasm32"))]
    fn unorder(&mut self) {
        if self.sorted > 0 {
            let sorted = self.slots.iter().take(self.sorted).enumerate();
            let entries: Vec<(IdText, u32)> = sorted.map(|(i, (k, _))| (k.id_text(), slot_no(i))).collect();
            self.tree.extend(entries);
            self.sorted = 0;
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The map's layout number: while it stays the same, each slot below the length the
    /// map had then holds the same key (a new key takes a new slot). A map made, copied
    /// or cleared, or with an entry removed (the last entry moves into its slot), gets a
    /// number no map has had. A table by slots (`state::Reach`) keeps the number and the
    /// length it was built with, and answers for a slot only while both still hold.
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    pub(crate) fn layout(&self) -> u64 {
        self.layout
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn slot_of<Q: KeyText + ?Sized>(&self, key: &Q) -> Option<usize> {
        let text = key.key_bytes();
        match self.hash.get() {
            Some(hash) => {
                let is_key = |s: u32| self.slots.get(pos(s)).is_some_and(|(k, _)| same_key(k, key));
                hash.find(idhash::hash(text), is_key).map(pos)
            }
            // A small map is searched in its slots, whose keys are inline: the tree's
            // node, if it has one, is one more record to reach (the RAM check looks up
            // an identity and its policies in small maps of the caller's account).
            _ if FAST && self.slots.len() <= SMALL => self.slots.iter().position(|(k, _)| same_key(k, key)),
            // The ordered slots while the hash index is being built (a bulk read), then
            // the tree.
            _ => {
                let sorted = self.slots.get(..self.sorted()).unwrap_or_default();
                let found = sorted.binary_search_by(|(k, _)| k.key_bytes().cmp(text)).ok();
                found.or_else(|| self.tree.get(text).map(|s| pos(*s)))
            }
        }
    }

    /// The value of `key` with its slot, a number below [`IdMap::len`] that no other
    /// key has while no entry is removed (natively: a snapshot's key table marks the
    /// entries it wrote).
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    pub(crate) fn get_at<Q: KeyText + ?Sized>(&self, key: &Q) -> Option<(usize, &V)>
    where
        K: Borrow<Q>,
    {
        let i = self.slot_of(key)?;
        self.slots.get(i).map(|(_, v)| (i, v))
    }

    /// The value of `key`.
    pub fn get<Q: KeyText + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.slots.get(self.slot_of(key)?).map(|(_, v)| v)
    }

    /// The stored key and value of `key`.
    pub fn get_key_value<Q: KeyText + ?Sized>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.slots.get(self.slot_of(key)?).map(|(k, v)| (k, v))
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q: KeyText + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.slot_of(key)?;
        self.slots.get_mut(i).map(|(_, v)| v)
    }

    /// True if `key` has a value.
    pub fn contains_key<Q: KeyText + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.slot_of(key).is_some()
    }

    /// Set the value of `key`, returning the one it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.untreed() {
            if let Some(i) = self.slots.iter().position(|(k, _)| same_key(k, &key)) {
                return self.slots.get_mut(i).map(|(_, v)| core::mem::replace(v, value));
            }
            self.slots.push((key, value));
            self.tree_if_large();
            self.index_if_large();
            return None;
        }
        #[cfg(not(target_arch = "wasm32"))]
        if self.sorted > 0 {
            if let Some(i) = self.slot_of(&key) {
                return self.slots.get_mut(i).map(|(_, v)| core::mem::replace(v, value));
            }
            // Past the last of the ordered slots, with none after them: one more of them.
            let next = self.sorted == self.slots.len()
                && self.slots.last().is_some_and(|(last, _)| last.key_bytes() < key.key_bytes());
            if next {
                if let Some(hash) = self.hash.get_mut() {
                    hash.insert(idhash::hash(key.key_bytes()), slot_no(self.slots.len()));
                }
                self.slots.push((key, value));
                self.sorted += 1;
                return None;
            }
        }
        // One search of the tree, whether the key is new or not (not among the ordered
        // slots: looked for above).
        match self.tree.entry(key.id_text()) {
            btree_map::Entry::Occupied(e) => {
                self.slots.get_mut(pos(*e.get())).map(|(_, v)| core::mem::replace(v, value))
            }
            btree_map::Entry::Vacant(e) => {
                let slot = slot_no(self.slots.len());
                e.insert(slot);
                if let Some(hash) = self.hash.get_mut() {
                    hash.insert(idhash::hash(key.key_bytes()), slot);
                }
                self.slots.push((key, value));
                self.index_if_large();
                None
            }
        }
    }

    /// Remove `key`, returning its value.
    pub fn remove<Q: KeyText + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Remove `key`, returning the stored key and its value.
    pub fn remove_entry<Q: KeyText + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        let i = if self.untreed() {
            self.slots.iter().position(|(k, _)| same_key(k, key))?
        } else if self.sorted() > 0 {
            self.unslot_ordered(key)?
        } else {
            pos(self.tree.remove(key.key_bytes())?)
        };
        if i >= self.slots.len() {
            return None;
        }
        let last = slot_no(self.slots.len() - 1);
        let removed = self.slots.swap_remove(i);
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        {
            self.layout = new_layout();
        }
        if let Some(hash) = self.hash.get_mut() {
            hash.remove(idhash::hash(removed.0.key_bytes()), slot_no(i));
        }
        // The last entry moved into the freed slot: point its tree (and hash) entry there.
        if let Some((moved, _)) = self.slots.get(i) {
            if let Some(s) = self.tree.get_mut(moved.key_bytes()) {
                *s = slot_no(i);
            }
            if let Some(hash) = self.hash.get_mut() {
                hash.repoint(idhash::hash(moved.key_bytes()), last, slot_no(i));
            }
        }
        if self.untreed() {
            self.tree = BTreeMap::new();
            self.hash.drop_built();
            #[cfg(not(target_arch = "wasm32"))]
            {
                self.sorted = 0;
            }
        }
        Some(removed)
    }

    /// The slot of `key` in a map with ordered slots, its tree entry (if any) removed.
    fn unslot_ordered<Q: KeyText + ?Sized>(&mut self, key: &Q) -> Option<usize> {
        let i = self.slot_of(key)?;
        #[cfg(not(target_arch = "wasm32"))]
        if i < self.sorted {
            // The last of the ordered slots, with none after them: one fewer of them.
            if i + 1 == self.slots.len() {
                self.sorted -= 1;
                return Some(i);
            }
            self.unorder();
        }
        self.tree.remove(key.key_bytes());
        Some(i)
    }

    /// Remove every entry.
    pub fn clear(&mut self) {
        self.tree.clear();
        self.slots.clear();
        self.hash = Hash::default();
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        {
            self.layout = new_layout();
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.sorted = 0;
        }
    }

    /// The place of `key`, to fill when empty (as `BTreeMap::entry`).
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        Entry { map: self, key }
    }

    /// The value of `key`, inserting `make()` first when there is none.
    fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.slot_of(&key) {
            Some(i) if i < self.slots.len() => i,
            _ => {
                self.insert(key, make());
                self.slots.len() - 1
            }
        };
        // INVARIANT: `i` is a slot: found in the tree and checked, or the one just pushed.
        #[allow(clippy::indexing_slicing)]
        &mut self.slots[i].1
    }

    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        #[cfg(not(target_arch = "wasm32"))]
        let order = if self.untreed() {
            Order::small(&self.slots)
        } else if self.sorted > 0 {
            Order::Merged { sorted: 0..slot_no(self.sorted), tree: self.tree.iter(), front: None, back: None }
        } else {
            Order::Tree(self.tree.values())
        };
        #[cfg(target_arch = "wasm32")]
        let order = self.tree.values();
        Iter { order, slots: &self.slots }
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// The entry of slot `slot` (see [`IdMap::get_at`]).
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    pub(crate) fn at_slot(&self, slot: usize) -> Option<(&K, &V)> {
        self.slots.get(slot).map(|(k, v)| (k, v))
    }

    /// Keys by slot: the `i`-th is the key of slot `i` (see [`IdMap::get_at`]).
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    pub(crate) fn keys_by_slot(&self) -> impl ExactSizeIterator<Item = &K> + '_ {
        self.slots.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The same keys, each value replaced by `f(key, value)`: the index is kept as it is,
    /// not rebuilt.
    pub fn map_values<W>(self, mut f: impl FnMut(&K, V) -> W) -> IdMap<K, W> {
        let slots = self.slots.into_iter().map(|(k, v)| {
            let w = f(&k, v);
            (k, w)
        });
        IdMap {
            tree: self.tree,
            slots: slots.collect(),
            hash: self.hash,
            #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
            layout: self.layout,
            #[cfg(not(target_arch = "wasm32"))]
            sorted: self.sorted,
        }
    }

    /// Every value, to change, in no particular order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.slots.iter_mut().map(|(_, v)| v)
    }

    /// The entries, in key order, consuming the map.
    pub fn into_sorted_vec(self) -> Vec<(K, V)> {
        #[cfg(not(target_arch = "wasm32"))]
        if self.sorted == self.slots.len() {
            return self.slots;
        }
        #[cfg(not(target_arch = "wasm32"))]
        if self.sorted > 0 {
            let mut order = self.iter().order;
            let order: Vec<u32> = core::iter::from_fn(|| order.next(&self.slots)).collect();
            let mut slots: Vec<Option<(K, V)>> = self.slots.into_iter().map(Some).collect();
            return order.iter().filter_map(|s| slots.get_mut(pos(*s)).and_then(Option::take)).collect();
        }
        #[cfg(not(target_arch = "wasm32"))]
        if self.untreed() {
            let mut slots = self.slots;
            // Keys are distinct: no order between equals to keep.
            slots.sort_unstable_by(|(a, _), (b, _)| a.key_bytes().cmp(b.key_bytes()));
            return slots;
        }
        let mut slots: Vec<Option<(K, V)>> = self.slots.into_iter().map(Some).collect();
        self.tree.values().filter_map(|s| slots.get_mut(pos(*s)).and_then(Option::take)).collect()
    }
}

/// The place of one key in an [`IdMap`], from [`IdMap::entry`].
pub struct Entry<'a, K, V> {
    map: &'a mut IdMap<K, V>,
    key: K,
}

impl<'a, K: KeyText, V> Entry<'a, K, V> {
    /// The value, inserting `make()` first when there is none.
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        self.map.get_or_insert_with(self.key, make)
    }

    /// The value, inserting the default first when there is none.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.map.get_or_insert_with(self.key, V::default)
    }
}

/// The entries of an [`IdMap`] in key order.
pub struct Iter<'a, K, V> {
    order: Order<'a>,
    slots: &'a [(K, V)],
}

/// The slots of a map in key order: from its tree, those of a small map without one
/// sorted by key (at most [`SMALL`]), or a map's ordered slots merged with its tree's.
#[cfg(not(target_arch = "wasm32"))]
enum Order<'a> {
    Tree(btree_map::Values<'a, IdText, u32>),
    Small {
        sorted: [u8; SMALL],
        front: usize,
        back: usize,
    },
    /// `sorted`: the ordered slots not yet given; `front` and `back`: a tree entry taken
    /// from that end and not yet given.
    Merged {
        sorted: core::ops::Range<u32>,
        tree: btree_map::Iter<'a, IdText, u32>,
        front: Option<(&'a IdText, &'a u32)>,
        back: Option<(&'a IdText, &'a u32)>,
    },
}

/// In WebAssembly every map has its tree.
#[cfg(target_arch = "wasm32")]
type Order<'a> = btree_map::Values<'a, IdText, u32>;

#[cfg(not(target_arch = "wasm32"))]
impl Order<'_> {
    /// The slots of `slots` (at most [`SMALL`]) in key order: an insertion sort.
    fn small<K: KeyText, V>(slots: &[(K, V)]) -> Self {
        let mut sorted = [0u8; SMALL];
        let n = slots.len().min(SMALL);
        for (i, (key, _)) in slots.iter().enumerate().take(n) {
            let mut j = i;
            while let Some(&before) = j.checked_sub(1).and_then(|b| sorted.get(b)) {
                match slots.get(usize::from(before)) {
                    Some((k, _)) if k.key_bytes() > key.key_bytes() => {
                        if let Some(at) = sorted.get_mut(j) {
                            *at = before;
                        }
                        j -= 1;
                    }
                    _ => break,
                }
            }
            if let Some(at) = sorted.get_mut(j) {
                // `i` < SMALL, which fits a byte.
                *at = i as u8;
            }
        }
        Order::Small { sorted, front: 0, back: n }
    }

    /// The next slot from the front (`slots`: the map's, for a merge's comparisons).
    fn next<K: KeyText, V>(&mut self, slots: &[(K, V)]) -> Option<u32> {
        match self {
            Order::Tree(values) => values.next().copied(),
            Order::Small { sorted, front, back } => {
                let s = sorted.get(*front).filter(|_| *front < *back)?;
                *front += 1;
                Some(u32::from(*s))
            }
            Order::Merged { sorted, tree, front, back } => {
                // The smallest tree entry left: taken earlier, next in the tree, or, once
                // the tree is spent, the one the back end took.
                let t = front.take().or_else(|| tree.next()).or_else(|| back.take());
                let s = sorted.clone().next();
                match (s, t) {
                    (Some(s), Some(t)) if key_of(slots, s) < t.0.as_bytes() => {
                        *front = Some(t);
                        sorted.start += 1;
                        Some(s)
                    }
                    (_, Some(t)) => Some(*t.1),
                    (Some(s), None) => {
                        sorted.start += 1;
                        Some(s)
                    }
                    (None, None) => None,
                }
            }
        }
    }

    /// The next slot from the back.
    fn next_back<K: KeyText, V>(&mut self, slots: &[(K, V)]) -> Option<u32> {
        match self {
            Order::Tree(values) => values.next_back().copied(),
            Order::Small { sorted, front, back } => {
                let s = back.checked_sub(1).filter(|b| *b >= *front).and_then(|b| sorted.get(b))?;
                *back -= 1;
                Some(u32::from(*s))
            }
            Order::Merged { sorted, tree, front, back } => {
                let t = back.take().or_else(|| tree.next_back()).or_else(|| front.take());
                let s = sorted.clone().next_back();
                match (s, t) {
                    (Some(s), Some(t)) if key_of(slots, s) > t.0.as_bytes() => {
                        *back = Some(t);
                        sorted.end -= 1;
                        Some(s)
                    }
                    (_, Some(t)) => Some(*t.1),
                    (Some(s), None) => {
                        sorted.end -= 1;
                        Some(s)
                    }
                    (None, None) => None,
                }
            }
        }
    }

    /// How many slots are left.
    fn len(&self) -> usize {
        match self {
            Order::Tree(values) => values.len(),
            Order::Small { front, back, .. } => back - front,
            Order::Merged { sorted, tree, front, back } => {
                sorted.len() + tree.len() + usize::from(front.is_some()) + usize::from(back.is_some())
            }
        }
    }
}

/// The key text of slot `s`.
#[cfg(not(target_arch = "wasm32"))]
fn key_of<K: KeyText, V>(slots: &[(K, V)], s: u32) -> &[u8] {
    slots.get(pos(s)).map(|(k, _)| k.key_bytes()).unwrap_or_default()
}

impl<'a, K: KeyText, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        #[cfg(not(target_arch = "wasm32"))]
        let s = self.order.next(self.slots)?;
        #[cfg(target_arch = "wasm32")]
        let s = *self.order.next()?;
        self.slots.get(pos(s)).map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        #[cfg(not(target_arch = "wasm32"))]
        return (self.order.len(), Some(self.order.len()));
        #[cfg(target_arch = "wasm32")]
        self.order.size_hint()
    }
}

impl<K: KeyText, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        #[cfg(not(target_arch = "wasm32"))]
        let s = self.order.next_back(self.slots)?;
        #[cfg(target_arch = "wasm32")]
        let s = *self.order.next_back()?;
        self.slots.get(pos(s)).map(|(k, v)| (k, v))
    }
}

impl<K: KeyText, V> ExactSizeIterator for Iter<'_, K, V> {}

impl<'a, K: KeyText, V> IntoIterator for &'a IdMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: KeyText, V> IntoIterator for IdMap<K, V> {
    type Item = (K, V);
    type IntoIter = alloc::vec::IntoIter<(K, V)>;

    /// The entries in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.into_sorted_vec().into_iter()
    }
}

/// A map's entries gathered one at a time in strictly ascending key order, each key
/// compared with the one before it and hashed as it comes, while its text is in cache:
/// [`IdMap::of_ascending`] for entries made one by one (a snapshot's million keys), with
/// no pass over them all at the end to check their order and hash their keys again.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct Ascending<K, V> {
    slots: Vec<(K, V)>,
    /// `idhash::hash` of each slot's key, in slot order.
    hashes: Vec<u32>,
}

#[cfg(not(target_arch = "wasm32"))]
impl<K: KeyText, V> Ascending<K, V> {
    /// Room for `n` entries.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Ascending { slots: Vec::with_capacity(n), hashes: Vec::with_capacity(n) }
    }

    /// Add `key` and `value` after the last entry; `false`, with nothing added, when
    /// `key` is not after the last entry's key (a repeated key included).
    pub(crate) fn push(&mut self, key: K, value: V) -> bool {
        if self.slots.last().is_some_and(|(last, _)| last.key_bytes() >= key.key_bytes()) {
            return false;
        }
        self.hashes.push(idhash::hash(key.key_bytes()));
        self.slots.push((key, value));
        true
    }

    /// The map of the entries added.
    pub(crate) fn finish(self) -> IdMap<K, V> {
        IdMap::of_ordered(self.slots, Some(self.hashes))
    }
}

impl<K: KeyText, V> FromIterator<(K, V)> for IdMap<K, V> {
    /// Natively, entries in key order (every map the engine copies, a snapshot's keys)
    /// build the map in one pass (`IdMap::of_ascending`); else, and in WebAssembly,
    /// one by one (a repeated key: the last value).
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        let iter = match IdMap::of_ascending(iter.into_iter().collect()) {
            Ok(m) => return m,
            Err(entries) => entries,
        };
        let mut m = IdMap::new();
        m.extend(iter);
        m
    }
}

impl<K: KeyText, V> Extend<(K, V)> for IdMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: KeyText, V: PartialEq> PartialEq for IdMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter().all(|(k, v)| other.slot_of(k).and_then(|i| other.slots.get(i)).map(|(_, w)| w) == Some(v))
    }
}

impl<K: KeyText, V: Eq> Eq for IdMap<K, V> {}

impl<K: KeyText + fmt::Debug, V: fmt::Debug> fmt::Debug for IdMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: KeyText + Serialize, V: Serialize> Serialize for IdMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, K: KeyText + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for IdMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: KeyText + Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = IdMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                // A repeated key keeps its last value, as `BTreeMap` does.
                let mut m = IdMap::new();
                m.begin_bulk();
                while let Some((k, v)) = access.next_entry()? {
                    m.insert(k, v);
                }
                m.end_bulk();
                Ok(m)
            }
        }

        d.deserialize_map(MapVisitor(PhantomData))
    }
}

/// The slots of a map's keys by hash, each entry holding the key's text itself: a
/// lookup is one probe that compares in place, where the map's own hash index holds
/// slot numbers and reads the slot to compare its key, one more likely cache miss. For
/// the accounts of a decision (`state::Reach`), whose slot is all a decision by effect
/// needs of them; built at once from a map, never changed (the map's layout number
/// says whether it is still right).
#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySlots {
    /// Entries: a key's text and its slot, or `u32::MAX` for an empty entry.
    table: Vec<(IdText, u32)>,
}

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
impl KeySlots {
    /// The slots of `map`'s keys.
    pub(crate) fn of<K: KeyText, V>(map: &IdMap<K, V>) -> KeySlots {
        let size = map.len().saturating_mul(2).next_power_of_two().max(8);
        let mut table = alloc::vec![(IdText::new(""), u32::MAX); size];
        let mask = size - 1;
        for (slot, (k, _)) in map.slots.iter().enumerate() {
            let mut i = idhash::hash(k.key_bytes()) as usize & mask;
            while let Some(e) = table.get_mut(i) {
                if e.1 == u32::MAX {
                    *e = (k.id_text(), slot_no(slot));
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        KeySlots { table }
    }

    /// The slot of `key`, if the map had it.
    #[inline]
    pub(crate) fn get<Q: KeyText + ?Sized>(&self, key: &Q) -> Option<usize> {
        let mask = self.table.len().checked_sub(1)?;
        let mut i = idhash::hash(key.key_bytes()) as usize & mask;
        loop {
            let (k, slot) = self.table.get(i)?;
            if *slot == u32::MAX {
                return None;
            }
            if same_key(k, key) {
                return Some(pos(*slot));
            }
            i = (i + 1) & mask;
        }
    }
}

/// A set of ids or names, in order: an [`IdMap`] with no values.
#[derive(Clone)]
pub struct IdSet<K>(IdMap<K, ()>);

impl<K> Default for IdSet<K> {
    fn default() -> Self {
        IdSet(IdMap::default())
    }
}

impl<K: KeyText> IdSet<K> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no member.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True if `key` is a member.
    pub fn contains<Q: KeyText + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.0.contains_key(key)
    }

    /// The set of `keys`, given in strictly ascending text order (an index built from a
    /// map's keys, read in order): taken as they are, with no tree, and its hash index
    /// built once, where inserting member by member searches and grows the index each time.
    /// Keys in any other order are inserted one by one (the same set). Native only: see
    /// `IdMap::of_ascending`.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn of_sorted(keys: Vec<K>) -> Self {
        let keys = match IdMap::of_ascending(keys.into_iter().map(|k| (k, ())).collect()) {
            Ok(map) => return IdSet(map),
            Err(entries) => entries.into_iter().map(|(k, ())| k),
        };
        keys.into_iter().collect()
    }

    /// Add `key`; false if it was already a member.
    pub fn insert(&mut self, key: K) -> bool {
        self.0.insert(key, ()).is_none()
    }

    /// Remove `key`; false if it was not a member.
    pub fn remove<Q: KeyText + ?Sized>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.0.remove(key).is_some()
    }

    /// Members in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + '_ {
        self.0.iter().map(|(k, _)| k)
    }

    /// Members in no particular order, for a reader to whom order does not matter: read
    /// from the slots without reaching the tree.
    pub(crate) fn iter_unordered(&self) -> impl Iterator<Item = &K> + '_ {
        self.0.slots.iter().map(|(k, _)| k)
    }
}

impl<'a, K: KeyText> IntoIterator for &'a IdSet<K> {
    type Item = &'a K;
    type IntoIter = core::iter::Map<Iter<'a, K, ()>, fn((&'a K, &'a ())) -> &'a K>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, _)| k)
    }
}

impl<K: KeyText> IntoIterator for IdSet<K> {
    type Item = K;
    type IntoIter = core::iter::Map<alloc::vec::IntoIter<(K, ())>, fn((K, ())) -> K>;

    /// The members in order.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_sorted_vec().into_iter().map(|(k, ())| k)
    }
}

impl<K: KeyText> FromIterator<K> for IdSet<K> {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        let mut s = IdSet::new();
        s.extend(iter);
        s
    }
}

impl<K: KeyText> Extend<K> for IdSet<K> {
    fn extend<I: IntoIterator<Item = K>>(&mut self, iter: I) {
        for k in iter {
            self.insert(k);
        }
    }
}

impl<K: KeyText> PartialEq for IdSet<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: KeyText> Eq for IdSet<K> {}

impl<K: KeyText + fmt::Debug> fmt::Debug for IdSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<K: KeyText + Serialize> Serialize for IdSet<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de, K: KeyText + Deserialize<'de>> Deserialize<'de> for IdSet<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SeqVisitor<K>(PhantomData<K>);

        impl<'de, K: KeyText + Deserialize<'de>> Visitor<'de> for SeqVisitor<K> {
            type Value = IdSet<K>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut s = IdSet::new();
                while let Some(k) = access.next_element()? {
                    s.insert(k);
                }
                Ok(s)
            }
        }

        d.deserialize_seq(SeqVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    /// A set built from sorted members is the set inserted member by member, large or
    /// small; members out of order or repeated give the same set too; and it stays
    /// usable (inserts, removals, lookups) afterwards.
    #[test]
    fn sets_of_sorted_members_are_the_sets_inserted_one_by_one() {
        let ids = |n: usize| (0..n).map(|i| format!("key-{i:05}")).collect::<Vec<_>>();
        for n in [0, 1, 8, 9, 1000] {
            let one_by_one: IdSet<String> = ids(n).into_iter().collect();
            let mut sorted = IdSet::of_sorted(ids(n));
            assert!(sorted == one_by_one, "{n}");
            for k in ids(n) {
                assert!(sorted.contains(k.as_str()), "{n} {k}");
            }
            assert!(!sorted.contains("key-x"));
            assert!(sorted.insert("key-x".to_string()) && sorted.remove("key-00000") == (n > 0));
            assert_eq!(sorted.len(), n + 1 - usize::from(n > 0));
        }
        let mut unordered = ids(20);
        unordered.reverse();
        unordered.push("key-00003".to_string());
        let from_unordered = IdSet::of_sorted(unordered);
        assert!(from_unordered == ids(20).into_iter().collect::<IdSet<String>>());
        assert!(from_unordered.iter().eq(ids(20).iter()));
    }

    #[test]
    fn map_values_keeps_every_key_findable_and_in_order() {
        let mut m: IdMap<String, u32> = IdMap::new();
        for k in ["b", "a", "c"] {
            m.insert(k.to_string(), k.len() as u32);
        }
        m.remove("b");
        let n = m.map_values(|k, v| format!("{k}={v}"));
        assert_eq!(n.get("a").map(String::as_str), Some("a=1"));
        assert_eq!(n.get("c").map(String::as_str), Some("c=1"));
        assert!(n.get("b").is_none());
        assert_eq!(n.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(), [("a", "a=1"), ("c", "c=1")]);
    }

    #[test]
    fn sort_by_seq_is_stable() {
        let mut v = alloc::vec![(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        sort_by_seq(&mut v, |x| x.0);
        assert_eq!(v, [(0, 'd'), (1, 'b'), (1, 'e'), (3, 'a'), (3, 'c')]);
    }

    /// The next number of a xorshift sequence (the tests' operations and keys).
    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// A model of the map: a `BTreeMap`, driven by the same operations.
    #[test]
    fn behaves_like_a_btreemap_under_inserts_removes_and_lookups() {
        let mut ours: IdMap<String, u64> = IdMap::new();
        let mut model: BTreeMap<String, u64> = BTreeMap::new();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..4000u64 {
            let x = xorshift(&mut seed);
            // Keys on both sides of IdText's inline limit, sharing prefixes.
            let key = format!("{}{}", if x % 3 == 0 { "key-with-a-rather-long-prefix-" } else { "k" }, x % 97);
            match x % 5 {
                0 | 1 => assert_eq!(ours.insert(key.clone(), step), model.insert(key, step)),
                2 => assert_eq!(ours.remove(key.as_str()), model.remove(&key)),
                3 => {
                    *ours.entry(key.clone()).or_default() += 1;
                    *model.entry(key).or_default() += 1;
                }
                _ => assert_eq!(ours.get(key.as_str()), model.get(&key)),
            }
            assert_eq!(ours.len(), model.len());
        }
        assert!(ours.iter().map(|(k, v)| (k.clone(), *v)).eq(model.clone()));
        assert!(ours.iter().rev().map(|(k, v)| (k.clone(), *v)).eq(model.clone().into_iter().rev()));
        assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&model).unwrap());
        assert_eq!(format!("{ours:?}"), format!("{model:?}"));
        assert_eq!(ours.clone().into_sorted_vec(), model.into_iter().collect::<Vec<_>>());
    }

    /// Up to [`SMALL`] entries lookups search the slots natively (the tree in the whole
    /// engine): keys inline and on the heap, sharing prefixes, present and absent, under
    /// inserts and removals that move slots; a set's members read in any order are its
    /// members.
    #[test]
    fn small_maps_find_every_key_and_miss_every_other() {
        let pool: Vec<String> = (0..SMALL)
            .map(|i| if i % 2 == 0 { format!("k{i}") } else { format!("key-with-a-rather-long-prefix-{i}") })
            .collect();
        let mut ours: IdMap<String, u64> = IdMap::new();
        let mut set: IdSet<String> = IdSet::new();
        let mut model: BTreeMap<String, u64> = BTreeMap::new();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..2000u64 {
            let x = xorshift(&mut seed);
            let key = &pool[(x % SMALL as u64) as usize];
            if x % 3 == 0 {
                assert_eq!(ours.remove(key.as_str()), model.remove(key));
                set.remove(key.as_str());
            } else {
                assert_eq!(ours.insert(key.clone(), step), model.insert(key.clone(), step));
                set.insert(key.clone());
            }
            assert!(ours.len() <= SMALL);
            for k in pool.iter().map(String::as_str).chain(["k", "k1", "", "key-with-a-rather-long-prefix-"]) {
                assert_eq!(ours.get(k), model.get(k), "{k}");
                assert_eq!(set.contains(k), model.contains_key(k), "{k}");
            }
            let mut members: Vec<&String> = set.iter_unordered().collect();
            members.sort();
            assert!(members.into_iter().eq(model.keys()));
        }
    }

    /// Natively a map keeps a tree only past [`SMALL`] entries: one that grows past it
    /// and shrinks back, again and again, iterates in key order both ways, finds every
    /// key and keeps its tree only while it is large.
    #[test]
    fn maps_crossing_the_small_size_keep_their_order_and_keys() {
        let mut ours: IdMap<String, u64> = IdMap::new();
        let mut model: BTreeMap<String, u64> = BTreeMap::new();
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        for step in 0..6000u64 {
            let x = xorshift(&mut seed);
            let key = format!("{}{}", if x % 2 == 0 { "key-with-a-rather-long-prefix-" } else { "k" }, x % 13);
            // Inserts and removals balanced around SMALL entries.
            if (model.len() > SMALL) == (x % 4 != 0) {
                assert_eq!(ours.remove(key.as_str()), model.remove(&key));
            } else {
                assert_eq!(ours.insert(key.clone(), step), model.insert(key, step));
            }
            let treeless = UNTREED && (ours.len() <= SMALL || ours.sorted() == ours.len()) || ours.is_empty();
            assert_eq!(ours.tree.is_empty(), treeless, "step {step}");
            assert!(ours.iter().map(|(k, v)| (k.clone(), *v)).eq(model.clone()), "step {step}");
            assert!(ours.iter().rev().map(|(k, v)| (k.clone(), *v)).eq(model.clone().into_iter().rev()));
            let mut both = ours.iter();
            assert_eq!(both.len(), model.len());
            let (first, last) = (both.next(), both.next_back());
            assert_eq!(first.map(|(k, _)| k), model.keys().next());
            assert_eq!(last.map(|(k, _)| k), model.keys().nth_back(0).filter(|_| model.len() > 1));
            assert_eq!(both.len(), model.len().saturating_sub(2));
            for i in 0..13 {
                for k in [format!("k{i}"), format!("key-with-a-rather-long-prefix-{i}")] {
                    assert_eq!(ours.get(k.as_str()), model.get(&k));
                }
            }
        }
        assert_eq!(ours.clone().into_sorted_vec(), model.into_iter().collect::<Vec<_>>());
    }

    /// Natively a large map whose keys came in order keeps no tree, however it was made
    /// (one by one, in bulk, all at once), and answers as the map it is; keys inserted
    /// out of order get tree entries and iteration merges both, from either end; a
    /// removal among the ordered slots gives them their tree entries. Every step answers
    /// as a `BTreeMap` does.
    #[test]
    fn maps_in_key_order_keep_no_tree_entries_for_their_ordered_slots() {
        let key = |i: u64| format!("{}{i:05}", if i % 3 == 0 { "key-with-a-rather-long-prefix-" } else { "k" });
        let mut keys: Vec<String> = (0..1000).map(|i| key(i * 2)).collect();
        keys.sort();
        let model: BTreeMap<String, u64> = keys.iter().cloned().zip(0..).collect();
        let same = |ours: &IdMap<String, u64>, model: &BTreeMap<String, u64>, why: &str| {
            assert_eq!(ours.len(), model.len(), "{why}");
            assert!(ours.iter().map(|(k, v)| (k.clone(), *v)).eq(model.clone()), "{why}");
            assert!(ours.iter().rev().map(|(k, v)| (k.clone(), *v)).eq(model.clone().into_iter().rev()), "{why}");
            // From both ends at once, in turns: each entry once, and the count right.
            let (mut it, mut want) = (ours.iter(), model.iter());
            for turn in 0.. {
                assert_eq!(it.len(), want.len(), "{why} {turn}");
                let (got, expected) =
                    if turn % 3 == 1 { (it.next_back(), want.next_back()) } else { (it.next(), want.next()) };
                assert_eq!(got, expected, "{why} {turn}");
                if got.is_none() {
                    break;
                }
            }
            for i in (0..2100).step_by(7) {
                assert_eq!(ours.get(key(i).as_str()), model.get(&key(i)), "{why} {i}");
            }
            assert_eq!(serde_json::to_string(ours).unwrap(), serde_json::to_string(model).unwrap(), "{why}");
            assert_eq!(ours.clone().into_sorted_vec(), model.clone().into_iter().collect::<Vec<_>>(), "{why}");
        };
        let mut one_by_one = IdMap::new();
        let mut bulk = IdMap::new();
        bulk.begin_bulk();
        for (k, v) in &model {
            one_by_one.insert(k.clone(), *v);
            bulk.insert(k.clone(), *v);
            // Found by halving while its index is deferred.
            assert_eq!(bulk.get(k.as_str()), Some(v));
        }
        bulk.end_bulk();
        let at_once: IdMap<String, u64> = model.clone().into_iter().collect();
        let read: IdMap<String, u64> = serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
        let ordered = |m: &IdMap<String, u64>| m.sorted() == m.len() && m.tree.is_empty();
        for (how, map) in [("one by one", &one_by_one), ("in bulk", &bulk), ("at once", &at_once), ("read", &read)] {
            assert!(ordered(map) == UNTREED, "{how}");
            same(map, &model, how);
        }
        // A value replaced, a key past the last, an absent key removed: still all ordered.
        let (mut ours, mut model) = (one_by_one, model);
        assert_eq!(ours.insert(keys[10].clone(), 7), model.insert(keys[10].clone(), 7));
        assert_eq!(ours.insert("zz".into(), 8), model.insert("zz".into(), 8));
        assert_eq!(ours.remove("absent"), model.remove("absent"));
        assert!(ordered(&ours) == UNTREED);
        same(&ours, &model, "appended");
        // Keys out of order, in and out of the bulk mode: tree entries for them only, the
        // slots where they were.
        let layout = ours.layout();
        let sorted = ours.sorted();
        for (i, k) in ["a", "k00999", "zy", "zzz", "k00001"].into_iter().enumerate() {
            if i == 2 {
                ours.begin_bulk();
            }
            assert_eq!(ours.insert(k.into(), 9), model.insert(k.into(), 9), "{k}");
            assert_eq!(ours.get(k), Some(&9), "{k}");
        }
        ours.end_bulk();
        assert!(ours.sorted() == sorted && ours.tree.len() == ours.len() - sorted && ours.layout() == layout);
        same(&ours, &model, "out of order");
        // Removals: after the ordered slots, of the last ordered slot, then among them.
        let mut small: IdMap<String, u64> = model.clone().into_iter().take(20).collect();
        let mut small_model: BTreeMap<String, u64> = model.clone().into_iter().take(20).collect();
        let last = small_model.keys().last().unwrap().clone();
        assert_eq!(small.remove(last.as_str()), small_model.remove(&last));
        assert!(ordered(&small) == UNTREED);
        same(&small, &small_model, "the last ordered slot removed");
        for k in ["zzz", "a", keys[500].as_str(), "zy", keys[0].as_str()] {
            assert_eq!(ours.remove(k), model.remove(k), "{k}");
            same(&ours, &model, k);
        }
        assert!(ours.sorted() == 0 && ours.tree.len() == ours.len());
        // Random changes of a map made in order, compared step by step.
        let mut ours: IdMap<String, u64> = model.clone().into_iter().collect();
        let mut seed: u64 = 0x0f0f_1234_5678_9abc;
        for step in 0..3000u64 {
            let x = xorshift(&mut seed);
            let k = key(x % 2100);
            match x % 7 {
                0 => assert_eq!(ours.remove(k.as_str()), model.remove(&k)),
                1..=3 => assert_eq!(ours.insert(k.clone(), step), model.insert(k, step)),
                _ => assert_eq!(ours.get(k.as_str()), model.get(&k)),
            }
            if step % 500 == 0 {
                same(&ours, &model, "random");
            }
        }
        same(&ours, &model, "random, at the end");
        // A map cleared starts again.
        ours.clear();
        ours.extend(model.clone());
        assert!(ordered(&ours) == UNTREED);
        same(&ours, &model, "cleared and refilled");
    }

    /// Past [`SMALL`] entries lookups go through the hash index: grown from empty to
    /// thousands of keys and removed back to none, every key stays findable at its value.
    #[test]
    fn large_maps_find_every_key_through_growth_and_removal() {
        let mut ours: IdMap<String, usize> = IdMap::new();
        let mut model: BTreeMap<String, usize> = BTreeMap::new();
        for round in 0..2 {
            for i in 0..3000 {
                let k =
                    format!("{}{i}", if i % 2 == 0 { "1000000000" } else { "acs:kms:cn-hangzhou:1000000000:key/key-" });
                ours.insert(k.clone(), i + round);
                model.insert(k, i + round);
            }
            for (i, k) in model.keys().cloned().collect::<Vec<_>>().iter().enumerate() {
                if i % 3 != round {
                    assert_eq!(ours.remove(k.as_str()), model.remove(k));
                }
            }
            for (k, v) in &model {
                assert_eq!(ours.get(k.as_str()), Some(v));
                assert!(ours.contains_key(k.as_str()));
            }
            assert!(ours.iter().map(|(k, v)| (k.clone(), *v)).eq(model.clone()));
            assert_eq!(ours.get("1000000000x"), None);
        }
        for k in model.keys() {
            assert!(ours.remove(k.as_str()).is_some());
        }
        assert!(ours.is_empty() && ours.get("10000000000").is_none());
    }

    /// A map read in bulk answers from its tree until its index is built at the end, and
    /// as any other map after (how large maps are read from JSON).
    #[test]
    fn maps_read_in_bulk_answer_before_and_after_their_index() {
        let mut m: IdMap<String, usize> = IdMap::new();
        m.begin_bulk();
        for i in 0..500 {
            m.insert(format!("acct-{i:05}"), i);
            assert_eq!(m.get(format!("acct-{:05}", i / 2).as_str()), Some(&(i / 2)));
        }
        assert_eq!(m.remove("acct-00003"), Some(3));
        m.end_bulk();
        for i in (0..500).filter(|i| *i != 3) {
            assert_eq!(m.get(format!("acct-{i:05}").as_str()), Some(&i));
        }
        assert_eq!(m.get("acct-00003"), None);
        assert_eq!(m.remove("acct-00499"), Some(499));
        m.insert("acct-x".to_string(), 7);
        assert_eq!((m.get("acct-x"), m.get("acct-00498"), m.len()), (Some(&7), Some(&498), 499));
        let read: IdMap<String, usize> = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(read, m);
        assert_eq!(read.get("acct-00250"), Some(&250));
    }

    /// Entries gathered in ascending order make the map `of_ascending` makes of them,
    /// small or large, which answers and changes as any other; an entry not after the
    /// last (repeated, or before it) is refused and leaves the entries as they were.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn entries_gathered_in_ascending_order_make_the_map_of_ascending_makes() {
        for n in [0, 1, SMALL, SMALL + 1, 700] {
            let keys: Vec<String> = (0..n).map(|i| format!("key-{i:04}")).collect();
            let mut gathered = Ascending::with_capacity(n);
            for (i, k) in keys.iter().enumerate() {
                assert!(gathered.push(k.clone(), i));
                if i > 0 {
                    assert!(!gathered.push(k.clone(), 0), "{k} again");
                    assert!(!gathered.push(keys[i - 1].clone(), 0), "{k} then the one before");
                }
            }
            let mut map = gathered.finish();
            let once = IdMap::of_ascending(keys.iter().cloned().zip(0..).collect()).unwrap();
            assert_eq!((&map, map.len(), map.hash.get().is_some()), (&once, n, n > SMALL));
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(map.get(k.as_str()), Some(&i));
            }
            map.insert("key-".to_string(), 9);
            assert_eq!((map.get("key-"), map.iter().next()), (Some(&9), Some((&"key-".to_string(), &9))));
        }
    }

    #[test]
    fn equality_ignores_insertion_order_and_json_round_trips() {
        let a: IdMap<String, u8> = [("b", 2), ("a", 1), ("c", 3)].iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let mut b: IdMap<String, u8> = [("c", 3), ("a", 1)].iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_ne!(a, b);
        b.insert("b".to_string(), 2);
        assert_eq!(a, b);
        let text = serde_json::to_string(&b).unwrap();
        assert_eq!(text, r#"{"a":1,"b":2,"c":3}"#);
        assert_eq!(serde_json::from_str::<IdMap<String, u8>>(&text).unwrap(), a);
        // A repeated key keeps its last value, as BTreeMap's deserializer does; order in
        // the input does not matter.
        let dup: IdMap<String, u8> = serde_json::from_str(r#"{"b":1,"a":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(dup.get("a"), Some(&2));
        assert_eq!(serde_json::to_string(&dup).unwrap(), r#"{"a":2,"b":3}"#);
        // In order (the one-pass build), then changed: lookups, removal and order hold.
        let mut sorted: IdMap<String, u8> = serde_json::from_str(r#"{"a":1,"b":2,"c":3,"d":4}"#).unwrap();
        assert_eq!(sorted.remove("b"), Some(2));
        sorted.insert("bb".to_string(), 5);
        assert_eq!(sorted.get("d"), Some(&4));
        assert_eq!(serde_json::to_string(&sorted).unwrap(), r#"{"a":1,"bb":5,"c":3,"d":4}"#);

        let s: IdSet<String> = ["z", "x", "y", "x"].iter().map(|k| k.to_string()).collect();
        assert_eq!(s.len(), 3);
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"["x","y","z"]"#);
        assert_eq!(format!("{s:?}"), r#"{"x", "y", "z"}"#);
        assert_eq!(s.iter().next().map(String::as_str), Some("x"));
    }
}
