//! [`HashIndex`]: a large [`IdMap`](crate::idmap::IdMap)'s lookup table, from a key's
//! text to its slot.
//!
//! The map's tree keeps keys in order (iteration, the serialized form), but finding one
//! key in it compares the key's text with one stored key after another, node after node:
//! in an organization of 10,000 accounts a decision's seven lookups spent more time in
//! those comparisons than in everything else it does, and at 100,000 accounts each node
//! visited is a likely cache miss. This table answers a lookup with one hash of the
//! text, usually one probe, and one comparison of the text.
//!
//! Open addressing with linear probing and backward-shift removal (no tombstones). Each
//! entry holds the slot number and 32 bits of the key's hash, so probing compares
//! hashes before touching a slot, and growing rehashes without reading any key. Nothing
//! here depends on the map's key or value types: one copy of this code serves every map.

use alloc::vec;
use alloc::vec::Vec;

/// An empty entry (slots are far fewer than 2^32: each is a state entry).
const EMPTY: u32 = u32::MAX;

/// The hash of a key's text: eight bytes at a time, multiply and rotate (the
/// Firefox/rustc "Fx" mix), its high 32 bits kept. Ids differ mostly in their last
/// bytes; the multiplication carries those differences into the high bits the table
/// uses. Not resistant to chosen keys: the keys are ids and names of the state, and a
/// collision costs probes, never a wrong answer.
pub fn hash(text: &[u8]) -> u32 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = text.len() as u64;
    let mut chunks = text.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        for (d, s) in w.iter_mut().zip(rest) {
            *d = *s;
        }
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    // The multiplication's high bits depend on every input bit; fold once more so that
    // the last chunk's bits reach them too.
    ((h ^ (h >> 29)).wrapping_mul(K) >> 32) as u32
}

/// The table: `(hash, slot)` pairs, a power of two long, at most half full.
#[derive(Clone, Default)]
pub struct HashIndex {
    table: Vec<(u32, u32)>,
    len: usize,
}

impl HashIndex {
    /// The table of `hashes.len()` keys, slot `i` holding the key of hash `hashes[i]`,
    /// built at once: sized up front, and filled in the order of the entries' homes so
    /// that each write lands next to the last instead of anywhere in a table of millions
    /// (reading a snapshot's key map key by key measured 0.85 s more than without a
    /// table at all).
    pub fn of(hashes: &[u32]) -> HashIndex {
        let size = hashes.len().saturating_mul(2).next_power_of_two().max(32);
        let mut index = HashIndex { table: vec![(0, EMPTY); size], len: hashes.len() };
        // A home is the hash's top bits. The entries are placed in the order of their
        // hashes' top bits, at most 16 of them (a counting sort: two passes over the
        // hashes, where a comparison sort of a million compares each about twenty
        // times), so each write lands within a few cache lines of the last: homes ascend
        // from group to group, and within a group they lie in a stretch of at most
        // `size >> 16` entries (a table of up to 65,536 entries is placed in the order of
        // the homes themselves).
        let bits = size.trailing_zeros().clamp(1, 16);
        let group = |h: u32| (h >> (32 - bits)) as usize;
        // Each group's count, then where its entries start in `order`.
        let mut starts = vec![0u32; 1 << bits];
        for h in hashes {
            if let Some(n) = starts.get_mut(group(*h)) {
                *n += 1;
            }
        }
        let mut at = 0;
        for n in &mut starts {
            (*n, at) = (at, at + *n);
        }
        let mut order = vec![(0u32, EMPTY); hashes.len()];
        for (slot, h) in (0u32..).zip(hashes) {
            if let Some(at) = starts.get_mut(group(*h)) {
                if let Some(e) = order.get_mut(*at as usize) {
                    *e = (*h, slot);
                }
                *at += 1;
            }
        }
        for (h, slot) in order {
            index.place(h, slot);
        }
        index
    }

    fn mask(&self) -> usize {
        self.table.len().wrapping_sub(1)
    }

    fn home(&self, h: u32) -> usize {
        // The table is at most 2^32 long; the hash's high bits pick the home.
        let bits = self.table.len().trailing_zeros();
        if bits == 0 {
            0
        } else {
            (h >> (32 - bits.min(32))) as usize
        }
    }

    /// The slot of the key whose hash is `h` and for which `is_key(slot)` holds.
    #[inline]
    pub fn find(&self, h: u32, is_key: impl Fn(u32) -> bool) -> Option<u32> {
        let at = self.probe(h, |eh, slot| eh == h && is_key(slot))?;
        self.table.get(at).map(|e| e.1)
    }

    /// The first entry, from `h`'s home on, for which `hit(hash, slot)` holds, before
    /// an empty one.
    #[inline]
    fn probe(&self, h: u32, hit: impl Fn(u32, u32) -> bool) -> Option<usize> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = self.home(h);
        loop {
            let (eh, slot) = *self.table.get(i)?;
            if slot == EMPTY {
                return None;
            }
            if hit(eh, slot) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Record a new key (not yet in the table) at `slot`.
    pub fn insert(&mut self, h: u32, slot: u32) {
        if (self.len + 1) * 2 > self.table.len() {
            self.grow();
        }
        self.place(h, slot);
        self.len += 1;
    }

    fn place(&mut self, h: u32, slot: u32) {
        let mask = self.mask();
        let mut i = self.home(h);
        while let Some(e) = self.table.get_mut(i) {
            if e.1 == EMPTY {
                *e = (h, slot);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(32);
        let old = core::mem::replace(&mut self.table, vec![(0, EMPTY); size]);
        for (h, slot) in old {
            if slot != EMPTY {
                self.place(h, slot);
            }
        }
    }

    /// The entry position holding `slot` for a key of hash `h`.
    fn position(&self, h: u32, slot: u32) -> Option<usize> {
        self.probe(h, |_, s| s == slot)
    }

    /// Forget the key of hash `h` at `slot`: later entries of the same run move back, so
    /// every key stays reachable from its home without tombstones.
    pub fn remove(&mut self, h: u32, slot: u32) {
        let Some(mut hole) = self.position(h, slot) else { return };
        let mask = self.mask();
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let Some(&(eh, s)) = self.table.get(i) else { return };
            if s == EMPTY {
                break;
            }
            // Move the entry back into the hole unless its home lies cyclically in
            // (hole, i]: then it must stay where a probe from its home still finds it.
            let home = self.home(eh);
            let stays = if hole <= i { hole < home && home <= i } else { hole < home || home <= i };
            if !stays {
                if let Some(e) = self.table.get_mut(hole) {
                    *e = (eh, s);
                }
                hole = i;
            }
        }
        if let Some(e) = self.table.get_mut(hole) {
            *e = (0, EMPTY);
        }
        self.len = self.len.saturating_sub(1);
    }

    /// The key of hash `h` moved from slot `from` to slot `to`.
    pub fn repoint(&mut self, h: u32, from: u32, to: u32) {
        if let Some(e) = self.position(h, from).and_then(|i| self.table.get_mut(i)) {
            e.1 = to;
        }
    }
}

/// A set of pairs of slot numbers `(a, b)`, each with a flag and a number, for lookups
/// that already hold both slots: the pair is the entry itself (one `u64`: `a`, `b`, the
/// flag), so a lookup is one probe of one array and reads no key anywhere else. The
/// numbers are in an array of their own, at the entries' positions: a lookup that needs
/// only the flag reads 8 bytes per entry, not 12 or 16. Built at once, never changed (a
/// change rebuilds it). Natively and in the decision-only WebAssembly module (see
/// `state::Reach`).
#[derive(Clone, Default, Debug)]
pub struct PairTable {
    table: Vec<u64>,
    numbers: Vec<u32>,
}

/// An empty entry: no pair encodes to it (`a` is below 2^31 - 1).
const VACANT: u64 = u64::MAX;

impl PairTable {
    /// The table of `pairs` (distinct `(a, b)`, each with its flag and number), or
    /// `None` if a slot is too large to encode (`a` from 2^31 - 1 on: no state has that
    /// many instances).
    pub fn of(pairs: &[(u32, u32, bool, u32)]) -> Option<PairTable> {
        let size = pairs.len().saturating_mul(2).next_power_of_two().max(8);
        let mut t = PairTable { table: vec![VACANT; size], numbers: vec![0; size] };
        for &(a, b, flag, number) in pairs {
            if a >= (1 << 31) - 1 {
                return None;
            }
            let entry = Self::key(a, b) << 1 | u64::from(flag);
            let mask = t.table.len() - 1;
            let mut i = t.home(Self::key(a, b));
            while let (Some(e), Some(n)) = (t.table.get_mut(i), t.numbers.get_mut(i)) {
                if *e == VACANT {
                    (*e, *n) = (entry, number);
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        Some(t)
    }

    fn key(a: u32, b: u32) -> u64 {
        u64::from(a) << 32 | u64::from(b)
    }

    fn home(&self, key: u64) -> usize {
        // Multiplicative hashing: the product's top bits, as many as the table needs.
        let bits = self.table.len().trailing_zeros();
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits.clamp(1, 63))) as usize & (self.table.len() - 1)
    }

    /// The flag of `(a, b)`, or `None` if the pair is not in the table.
    #[inline]
    pub fn get(&self, a: u32, b: u32) -> Option<bool> {
        self.find(a, b).map(|(_, flag)| flag)
    }

    /// The flag and the number of `(a, b)`, or `None` if the pair is not in the table.
    #[inline]
    pub fn get_with_number(&self, a: u32, b: u32) -> Option<(bool, u32)> {
        let (i, flag) = self.find(a, b)?;
        Some((flag, *self.numbers.get(i)?))
    }

    /// The position and the flag of `(a, b)`.
    #[inline]
    fn find(&self, a: u32, b: u32) -> Option<(usize, bool)> {
        if self.table.is_empty() {
            return None;
        }
        let key = Self::key(a, b);
        let mask = self.table.len() - 1;
        let mut i = self.home(key);
        loop {
            let e = *self.table.get(i)?;
            if e == VACANT {
                return None;
            }
            if e >> 1 == key {
                return Some((i, e & 1 == 1));
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::collections::BTreeMap;

    /// A model of the table (a `BTreeMap` from slot to hash), under inserts and removals
    /// with few distinct hashes, so that runs are long, wrap around the table's end and
    /// removal's backward shift is exercised on every path.
    #[test]
    fn colliding_keys_stay_findable_through_removals() {
        let mut ours = HashIndex::default();
        let mut model: BTreeMap<u32, u32> = BTreeMap::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = 0u32;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Hashes near the top of the range home at the table's end: runs wrap.
            let h = if x % 2 == 0 { u32::MAX - (x % 3) as u32 } else { (x % 7) as u32 * 0x1000_0000 };
            if x % 3 == 0 && !model.is_empty() {
                let victim = *model.keys().nth((x as usize / 3) % model.len()).unwrap();
                let vh = model.remove(&victim).unwrap();
                ours.remove(vh, victim);
            } else {
                ours.insert(h, next);
                model.insert(next, h);
                next += 1;
            }
            assert_eq!(ours.len, model.len());
        }
        for (slot, h) in &model {
            assert_eq!(ours.find(*h, |s| s == *slot), Some(*slot));
        }
        assert_eq!(ours.find(12345, |_| true), None);
    }

    /// Built at once from colliding hashes (long runs, some wrapping past the table's
    /// end), every key is found, and the table goes on as one built key by key.
    #[test]
    fn a_table_built_at_once_finds_every_key() {
        let hashes: Vec<u32> =
            (0..5000u32).map(|i| if i % 2 == 0 { u32::MAX - i % 5 } else { (i % 11) << 28 }).collect();
        let mut t = HashIndex::of(&hashes);
        for (slot, h) in (0u32..).zip(&hashes) {
            assert_eq!(t.find(*h, |s| s == slot), Some(slot));
        }
        t.remove(hashes[7], 7);
        t.insert(42, 5000);
        assert_eq!(t.find(hashes[7], |s| s == 7), None);
        assert_eq!(t.find(hashes[9], |s| s == 9), Some(9));
        assert_eq!(t.find(42, |s| s == 5000), Some(5000));
        assert_eq!(t.len, 5000);
    }

    /// A table larger than the groups its entries are placed by (100,000 keys, a table of
    /// 262,144 entries, each group a stretch of four homes), some hashes repeated: every
    /// key is found at its slot, and a hash not in it is not.
    #[test]
    fn a_large_table_built_at_once_finds_every_key() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let hashes: Vec<u32> = (0..100_000u32)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 10 == 0 {
                    0xdead_beef
                } else {
                    (x >> 32) as u32 | 1
                }
            })
            .collect();
        let t = HashIndex::of(&hashes);
        assert_eq!((t.table.len(), t.len), (262_144, 100_000));
        for (slot, h) in (0u32..).zip(&hashes) {
            assert_eq!(t.find(*h, |s| s == slot), Some(slot));
        }
        assert_eq!(t.find(2, |_| true), None);
    }

    /// Every pair is found with its flag and number and no other pair is, including
    /// pairs that differ from one in the table only in `a` or only in `b`, and the
    /// largest slots that encode.
    #[test]
    fn a_pair_table_finds_exactly_its_pairs() {
        let mut pairs = Vec::new();
        let mut model = BTreeMap::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b) = ((x % 97) as u32, (x >> 20) as u32 % 5000);
            if let alloc::collections::btree_map::Entry::Vacant(e) = model.entry((a, b)) {
                let number = if i % 5 == 0 { u32::MAX - i } else { i };
                e.insert((i % 3 == 0, number));
                pairs.push((a, b, i % 3 == 0, number));
            }
        }
        let top = ((1 << 31) - 2, u32::MAX);
        pairs.push((top.0, top.1, true, u32::MAX));
        model.insert(top, (true, u32::MAX));
        let t = PairTable::of(&pairs).unwrap();
        for a in (0..100).chain([top.0]) {
            for b in (0..5001).chain([top.1]) {
                let want = model.get(&(a, b)).copied();
                assert_eq!(t.get_with_number(a, b), want, "({a}, {b})");
                assert_eq!(t.get(a, b), want.map(|(flag, _)| flag), "({a}, {b})");
            }
        }
        assert!(PairTable::of(&[(0, 0, false, 0), ((1 << 31) - 1, 0, false, 0)]).is_none());
        assert_eq!(PairTable::default().get(0, 0), None);
        assert_eq!(PairTable::of(&[]).unwrap().get(0, 0), None);
    }

    #[test]
    fn the_hash_sees_every_byte() {
        assert_ne!(hash(b"1000000000000001"), hash(b"1000000000000002"));
        assert_ne!(hash(b"key-0"), hash(b"key-0\0"));
        assert_ne!(hash(b""), hash(b"\0"));
    }
}
