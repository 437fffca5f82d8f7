//! Reading the core's documents (states, snapshot bodies, steps, decision requests)
//! with serde, where a struct is read only from a JSON object.
//!
//! serde_json also accepts a struct written as an array of its field values. No
//! document of kms-share is written that way, yet every struct's derived reader carried
//! that second path (`visit_seq`), about 34 KB of the WebAssembly module. These
//! functions read through [`Objects`], a pass-through deserializer that asks for a map
//! wherever a struct is expected, so the array path is never instantiated. An array
//! where an object belongs is an error: `invalid type: sequence, expected struct …`.

use core::fmt;
use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde::Deserialize;

/// Parse `text` as a `T`, its structs from objects only.
///
/// # Errors
/// serde_json's error for bad JSON, trailing characters, or a document of the wrong
/// shape (with its line and column).
pub fn from_str<'a, T: Deserialize<'a>>(text: &'a str) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(Objects(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Read a parsed JSON value as a `T`, its structs from objects only.
///
/// # Errors
/// serde_json's error for a value of the wrong shape.
pub fn from_value<T: de::DeserializeOwned>(value: serde_json::Value) -> serde_json::Result<T> {
    T::deserialize(Objects(value))
}

/// A deserializer that reads structs as maps and otherwise defers to the one it wraps,
/// wrapping every nested deserializer the same way.
pub struct Objects<D>(pub D);

/// A visitor, seed or access of the wrapped deserializer, wrapped in turn.
struct Wrap<T>(T);

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Wrap(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Objects<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_char deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map deserialize_identifier
        deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(visitor))
    }

    /// The point of the wrapper: a struct is read as a map.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Wrap(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty))*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.0.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128)
        visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str) visit_borrowed_str(&'de str)
        visit_string(alloc::string::String) visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8])
        visit_byte_buf(alloc::vec::Vec<u8>)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(Objects(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(Objects(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(Wrap(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Wrap(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Wrap(data))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Wrap<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(Objects(d))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Wrap(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Wrap(seed))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(Wrap(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Wrap<A> {
    type Error = A::Error;
    type Variant = Wrap<A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), A::Error> {
        self.0.variant_seed(Wrap(seed)).map(|(value, variant)| (value, Wrap(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Wrap(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap(visitor))
    }

    /// A struct variant's fields, as a struct's, come from a map.
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.newtype_variant_seed(StructAsMap(visitor))
    }
}

/// Reads a struct variant's content as a map.
struct StructAsMap<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for StructAsMap<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_map(Wrap(self.0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Inner {
        name: String,
        #[serde(default)]
        count: Option<u64>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    enum Kind {
        Plain,
        Wrapped(u32),
        Pair(u8, bool),
        Shaped { x: i64, y: Option<String> },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Outer {
        inner: Inner,
        items: Vec<Inner>,
        kinds: Vec<Kind>,
        tuple: (u8, String),
        maybe: Option<Inner>,
        map: alloc::collections::BTreeMap<String, Inner>,
        text: String,
    }

    const DOC: &str = r#"{"inner": {"name": "a", "count": 3}, "items": [{"name": "b"}, {"name": "c", "count": null}],
        "kinds": ["plain", {"wrapped": 7}, {"pair": [1, true]}, {"shaped": {"x": -4, "y": "é\u00e9\n"}}],
        "tuple": [9, "t"], "maybe": {"name": "m"}, "map": {"k": {"name": "v"}}, "text": "\ud83d\ude00"}"#;

    #[test]
    fn objects_read_as_serde_json_reads_them() {
        let ours: Outer = from_str(DOC).unwrap();
        let theirs: Outer = serde_json::from_str(DOC).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.kinds[3], Kind::Shaped { x: -4, y: Some("éé\n".to_string()) });
        assert_eq!(ours.text, "\u{1f600}");
        let value: serde_json::Value = serde_json::from_str(DOC).unwrap();
        assert_eq!(from_value::<Outer>(value).unwrap(), theirs);
    }

    #[test]
    fn a_struct_written_as_an_array_is_refused() {
        // serde_json alone accepts it; kms-share documents never use that form.
        assert_eq!(serde_json::from_str::<Inner>(r#"["a", 1]"#).unwrap(), Inner { name: "a".into(), count: Some(1) });
        let err = from_str::<Inner>(r#"["a", 1]"#).unwrap_err().to_string();
        assert_eq!(err, "invalid type: sequence, expected struct Inner at line 1 column 0");
        let err = from_str::<Vec<Kind>>(r#"[{"shaped": [1, null]}]"#).unwrap_err().to_string();
        assert_eq!(err, "invalid type: sequence, expected struct variant Kind::Shaped at line 1 column 12");
        let err = from_value::<Inner>(serde_json::json!(["a", 1])).unwrap_err().to_string();
        assert_eq!(err, "invalid type: sequence, expected struct Inner");
    }

    #[test]
    fn errors_keep_serde_json_messages_and_positions() {
        for (text, want) in [
            (r#"{"name": "a", "extra": 1}"#, "unknown field `extra`, expected `name` or `count` at line 1 column 21"),
            (r#"{"count": 1}"#, "missing field `name` at line 1 column 12"),
            (r#"{"name": 5}"#, "invalid type: integer `5`, expected a string at line 1 column 10"),
            (r#"{"name": "a"} x"#, "trailing characters at line 1 column 15"),
            (r#"{"name": "a""#, "EOF while parsing an object at line 1 column 12"),
        ] {
            let ours = from_str::<Inner>(text).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Inner>(text).unwrap_err().to_string();
            assert_eq!(ours, want, "{text}");
            assert_eq!(theirs, want, "{text}");
        }
        let text = r#"{"name": "a", "count": -1}"#;
        assert_eq!(
            from_str::<Inner>(text).unwrap_err().to_string(),
            serde_json::from_str::<Inner>(text).unwrap_err().to_string()
        );
    }
}
