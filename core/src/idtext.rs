//! [`IdText`]: the text of an id or name, kept inline when it is short.
//!
//! Ids are the keys of every map on the decision path. As a `String`, each comparison
//! during a map search follows a pointer to the heap, which in a large organization is
//! a likely cache miss per tree node visited, and every id costs an allocation. Up to
//! [`INLINE`] bytes (every account id, and the ids the engine generates) the text lives
//! in the 24 bytes a `String` would take, so a search compares inside the map's node
//! and a clone copies. Longer text goes to the heap as before. Order and equality are
//! exactly those of the text as a `str`.

use alloc::boxed::Box;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use serde::{Serialize, Serializer};

/// Longest text kept inline, in bytes: with its length and the variant tag, 24 bytes.
pub const INLINE: usize = 22;

/// The text of an id: inline up to `N` bytes ([`INLINE`] for every id; 30, 32 bytes in
/// all, for `model::ShortText`), else on the heap.
#[derive(Clone)]
pub enum IdText<const N: usize = INLINE> {
    /// Short text: its length and bytes (the first `len` bytes are valid UTF-8).
    Inline {
        /// Bytes used.
        len: u8,
        /// The text, zero-padded.
        bytes: [u8; N],
    },
    /// Longer text.
    Heap(Box<str>),
}

impl<const N: usize> IdText<N> {
    /// The text of `s`.
    pub fn new(s: &str) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= N => {
                let mut bytes = [0u8; N];
                for (d, b) in bytes.iter_mut().zip(s.as_bytes()) {
                    *d = *b;
                }
                IdText::Inline { len, bytes }
            }
            _ => IdText::Heap(s.into()),
        }
    }

    /// The text of `parts` one after the other, written in place when it fits inline:
    /// no text is made on the heap to be copied and freed (natively: see
    /// `model::ShortText`).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn of_parts(parts: &[&str]) -> Self {
        let len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
        match u8::try_from(len) {
            Ok(short) if len <= N => {
                let mut bytes = [0u8; N];
                let mut at = 0;
                for p in parts {
                    if let Some(d) = bytes.get_mut(at..at + p.len()) {
                        d.copy_from_slice(p.as_bytes());
                    }
                    at += p.len();
                }
                IdText::Inline { len: short, bytes }
            }
            _ => IdText::Heap(crate::text::cat(parts).into_boxed_str()),
        }
    }

    /// The text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            IdText::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            IdText::Heap(s) => s.as_bytes(),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            // INVARIANT: built from a `&str` by `new`, so always UTF-8; the fallback is
            // never taken (and this crate forbids the unchecked conversion).
            IdText::Inline { .. } => core::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            IdText::Heap(s) => s,
        }
    }
}

impl<const N: usize> PartialEq for IdText<N> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // Zero-padded, so the same text is the same bytes: compared as fixed-size
            // arrays, a few word comparisons instead of a call to compare memory (not in
            // the whole-engine WebAssembly module, whose size is held under a ceiling).
            (IdText::Inline { len: a, bytes: x }, IdText::Inline { len: b, bytes: y }) if crate::idmap::FAST => {
                a == b && x == y
            }
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl<const N: usize> Eq for IdText<N> {}

impl<const N: usize> PartialOrd for IdText<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for IdText<N> {
    // `str` orders by bytes, so this is the text's order.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (IdText::Inline { len: a, bytes: x }, IdText::Inline { len: b, bytes: y })
                if crate::idmap::FAST && N <= 32 =>
            {
                words(x).cmp(&words(y)).then(a.cmp(b))
            }
            _ => self.as_bytes().cmp(other.as_bytes()),
        }
    }
}

/// Zero-padded inline bytes as big-endian words: compared as numbers, they order as the
/// bytes do, and with the length after them as the text does (a text that is a prefix
/// of another is padded with zeros, and is the shorter).
fn words<const N: usize>(bytes: &[u8; N]) -> (u128, u128) {
    let mut w = [0u8; 32];
    if let Some(d) = w.get_mut(..N) {
        d.copy_from_slice(bytes);
    }
    let (hi, lo) = w.split_at(16);
    let word = |h: &[u8]| u128::from_be_bytes(h.try_into().unwrap_or_default());
    (word(hi), word(lo))
}

// Order, equality and hash are those of the text's bytes, so a map keyed by `IdText` can
// be searched with a `&[u8]` (crate::idmap does), comparing bytes as `Ord for IdText` does.
impl<const N: usize> core::borrow::Borrow<[u8]> for IdText<N> {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<const N: usize> Hash for IdText<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const N: usize> fmt::Debug for IdText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> Serialize for IdText<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn texts() -> Vec<String> {
        let mut v: Vec<String> = ["", "a", "a\u{0}", "1000000000000001", "key-", "kst-x", "fd-é", "名前", "\u{7f}"]
            .iter()
            .map(|s| String::from(*s))
            .collect();
        // Both sides of the inline limit, with shared prefixes.
        for n in [INLINE - 1, INLINE, INLINE + 1, 29, 30, 31, 64] {
            v.push("k".repeat(n));
            v.push(alloc::format!("{}z", "k".repeat(n)));
            v.push(alloc::format!("{}é", "k".repeat(n.saturating_sub(1))));
        }
        v
    }

    #[test]
    fn text_order_equality_and_round_trip_match_str() {
        assert_eq!(core::mem::size_of::<IdText>(), 24);
        assert_eq!(core::mem::size_of::<IdText<30>>(), 32);
        let all = texts();
        for a in &all {
            let ta = IdText::<INLINE>::new(a);
            let wide = IdText::<30>::new(a);
            assert_eq!((ta.as_str(), wide.as_str()), (a.as_str(), a.as_str()));
            assert_eq!(matches!(ta, IdText::Inline { .. }), a.len() <= INLINE);
            assert_eq!(matches!(wide, IdText::Inline { .. }), a.len() <= 30);
            for b in &all {
                let tb = IdText::new(b);
                assert_eq!(ta.cmp(&tb), a.as_str().cmp(b.as_str()), "{a:?} vs {b:?}");
                assert_eq!(ta == tb, a == b);
                let wide_b = IdText::<30>::new(b);
                assert_eq!((wide.cmp(&wide_b), wide == wide_b), (a.as_str().cmp(b.as_str()), a == b), "{a:?} vs {b:?}");
            }
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn a_text_of_parts_is_the_parts_joined_on_both_sides_of_the_inline_limit() {
        for n in [0, 1, INLINE - 4, INLINE - 3, INLINE - 2, INLINE + 5, 40] {
            let key = "k".repeat(n);
            let parts = ["sw:", key.as_str(), "/v", "12"];
            let joined = parts.concat();
            let narrow = IdText::<INLINE>::of_parts(&parts);
            let wide = IdText::<30>::of_parts(&parts);
            assert_eq!((narrow.as_str(), wide.as_str()), (joined.as_str(), joined.as_str()));
            assert_eq!((narrow == IdText::new(&joined), wide == IdText::new(&joined)), (true, true));
            assert_eq!(matches!(narrow, IdText::Inline { .. }), joined.len() <= INLINE);
            assert_eq!(matches!(wide, IdText::Inline { .. }), joined.len() <= 30);
        }
        assert_eq!(IdText::<INLINE>::of_parts(&[]).as_str(), "");
        assert_eq!(IdText::<INLINE>::of_parts(&["é", "名前"]).as_str(), "é名前");
    }

    #[test]
    fn debug_and_serialized_forms_are_the_texts() {
        let t = IdText::<INLINE>::new("key-\"quoted\"");
        assert_eq!(alloc::format!("{t:?}"), alloc::format!("{:?}", "key-\"quoted\""));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"key-\\\"quoted\\\"\"");
    }
}
