//! Reading a large state straight from its text (natively; not in WebAssembly).
//!
//! [`crate::json`] reads each record from a parsed `Value`: every object becomes an
//! ordered hash map, every field name and string an allocation, before the record is
//! built. That is most of the time a sealed snapshot of a million keys takes to load.
//! [`FastRead`] builds the same records directly from the deserializer, from the same
//! declarations (`record!`, the id types, the maps).
//!
//! It only ever reads whole documents ([`read`]), and on any error the document is read
//! again by the [`FromJson`] readers, which decide what is accepted and word every
//! message. So a fast reader may refuse more than its `FromJson` reader (a repeated
//! field or map key, an escaped field name: the `FromJson` readers then read the whole
//! document), but never accept anything differently; the tests read the corpus's states,
//! edge cases and thousands of damaged states both ways (`state.rs`,
//! `fast_and_value_readers_agree_*`).

use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::idmap::{IdMap, IdSet, KeyText};
use crate::json::FromJson;
use crate::request::Text;

/// A type also read straight from a deserializer. The default goes through `Value` and
/// [`FromJson`] (for the few types read by hand there).
pub trait FastRead: FromJson {
    /// Read a `Self`.
    ///
    /// # Errors
    /// Any the deserializer gives, or any the type refuses (then the `FromJson` reader
    /// gives the message).
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Self::from_json(v).map_err(D::Error::custom)
    }
}

/// Read `T` with its text: fast, then, on any error, by its [`FromJson`] reader (through
/// `slow`), whose result is the answer.
///
/// # Errors
/// Those of `slow`.
pub fn read<T, E>(
    text: &str,
    fast: impl FnOnce(&str) -> Result<T, E>,
    slow: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, E> {
    fast(text).or_else(|_| slow(text))
}

/// The seed of a [`FastRead`] type.
pub struct Seed<T>(PhantomData<T>);

impl<T> Seed<T> {
    /// The seed.
    pub fn new() -> Self {
        Seed(PhantomData)
    }
}

impl<T> Default for Seed<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'de, T: FastRead> DeserializeSeed<'de> for Seed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::fast(d)
    }
}

/// The next value of a map, as a `T` (what a record's reader calls for each field).
///
/// # Errors
/// As [`FastRead::fast`].
pub fn next_value<'de, A: MapAccess<'de>, T: FastRead>(a: &mut A) -> Result<T, A::Error> {
    a.next_value_seed(Seed::<T>::new())
}

/// Text that validates as a `K` (an id, a name): read without an owned copy.
struct TextSeed<K>(PhantomData<K>);

impl<'de, K: Text> DeserializeSeed<'de> for TextSeed<K> {
    type Value = K;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K, D::Error> {
        d.deserialize_str(self)
    }
}

impl<K: Text> Visitor<'_> for TextSeed<K> {
    type Value = K;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<K, E> {
        K::from_text(s).map_err(|e| E::custom(e.message))
    }
}

/// Read a text type (the id types' [`FastRead::fast`]).
///
/// # Errors
/// When the value is not a string, or not a valid `K`.
pub fn text<'de, K: Text, D: Deserializer<'de>>(d: D) -> Result<K, D::Error> {
    TextSeed(PhantomData).deserialize(d)
}

impl FastRead for Value {}

impl FastRead for String {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)
    }
}

impl FastRead for bool {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bool::deserialize(d)
    }
}

impl FastRead for u64 {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u64::deserialize(d)
    }
}

impl FastRead for u32 {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u32::deserialize(d)
    }
}

impl<T: FastRead> FastRead for Option<T> {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Opt<T>(PhantomData<T>);

        impl<'de, T: FastRead> Visitor<'de> for Opt<T> {
            type Value = Option<T>;

            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a value or null")
            }

            fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
                T::fast(d).map(Some)
            }
        }

        d.deserialize_option(Opt(PhantomData))
    }
}

/// `items` without spare capacity: a vector grown by pushes holds room for at least four
/// (a key's one version took 192 bytes for its 48), and one read whole never grows.
fn exact<T>(mut items: Vec<T>) -> Vec<T> {
    if items.capacity() > items.len() {
        items.shrink_to_fit();
    }
    items
}

impl<T: FastRead> FastRead for Vec<T> {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items<T>(PhantomData<T>);

        impl<'de, T: FastRead> Visitor<'de> for Items<T> {
            type Value = Vec<T>;

            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Vec<T>, A::Error> {
                let mut items = Vec::with_capacity(a.size_hint().unwrap_or(0).min(4096));
                while let Some(x) = a.next_element_seed(Seed::<T>::new())? {
                    items.push(x);
                }
                Ok(exact(items))
            }
        }

        d.deserialize_seq(Items(PhantomData))
    }
}

impl<K: Text + KeyText, V: FastRead> FastRead for IdMap<K, V> {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Text + KeyText, V: FastRead> Visitor<'de> for Entries<K, V> {
            type Value = IdMap<K, V>;

            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<IdMap<K, V>, A::Error> {
                let mut entries = Vec::with_capacity(a.size_hint().unwrap_or(0).min(4096));
                while let Some(k) = a.next_key_seed(TextSeed::<K>(PhantomData))? {
                    entries.push((k, next_value(&mut a)?));
                }
                // The engine writes every map in key order: built in one pass. Otherwise
                // entry by entry, and a repeated key is left to the `FromJson` reader (its
                // object keeps the last value in the first one's place).
                let entries = match IdMap::of_ascending(exact(entries)) {
                    Ok(m) => return Ok(m),
                    Err(entries) => entries,
                };
                let mut m = IdMap::new();
                m.begin_bulk();
                for (k, v) in entries {
                    if m.insert(k, v).is_some() {
                        return Err(A::Error::custom("a repeated key"));
                    }
                }
                m.end_bulk();
                Ok(m)
            }
        }

        d.deserialize_map(Entries(PhantomData))
    }
}

impl<K: Text + KeyText + FastRead> FastRead for IdSet<K> {
    fn fast<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<K>::fast(d).map(IdSet::of_sorted)
    }
}

/// A unit enum's variant, read from its name (`unit_enum!`'s [`FastRead::fast`]).
///
/// # Errors
/// When the value is not one of `names` (in the order of `values`).
pub fn variant<'de, T: Copy, D: Deserializer<'de>>(d: D, names: &[&str], values: &[T]) -> Result<T, D::Error> {
    struct Name<'n, T>(&'n [&'n str], &'n [T]);

    impl<T: Copy> Visitor<'_> for Name<'_, T> {
        type Value = T;

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a variant's name")
        }

        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
            let i = self.0.iter().position(|n| *n == s);
            i.and_then(|i| self.1.get(i)).copied().ok_or_else(|| E::custom("an unknown variant"))
        }
    }

    d.deserialize_str(Name(names, values))
}

/// Read straight from the text (see [`crate::json::Mode`]).
pub struct Direct;

impl crate::json::Mode for Direct {
    fn value<'de, A: MapAccess<'de>, T: crate::json::Readable + Deserialize<'de>>(a: &mut A) -> Result<T, A::Error> {
        next_value(a)
    }

    fn records<'de, D: Deserializer<'de>, K: Text + KeyText, V: crate::json::Readable>(
        d: D,
    ) -> Result<IdMap<K, V>, D::Error> {
        IdMap::fast(d)
    }
}
