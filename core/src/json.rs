//! Reading the state's records (accounts, instances, shares, keys, …) from JSON.
//!
//! Each record is read from a parsed [`Value`] by [`FromJson`], one small non-generic
//! function per type, instead of serde's derived reader, which a state's thirty record
//! types made the largest code of the WebAssembly module (about 88 KB). serde still
//! drives the state's top level and its maps, so a large state is read one record at a
//! time: only one record's `Value` is held at once. `record!` declares a record's
//! fields once and also gives the type a serde `Deserialize` that goes through
//! [`FromJson`], so every reader of a state (text, value, snapshot body) uses it.
//!
//! The rules are serde's, as the types declared them before: a required field must be
//! there, a defaulted one may be absent, `null` is "absent" only for an optional field,
//! and a field the record does not have is an error (except where noted).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

use crate::idmap::{IdMap, IdSet, KeyText};
use crate::request::Text;

/// Why a record could not be read: the message, with the path of fields leading to it.
pub type JsonResult<T> = core::result::Result<T, String>;

/// A type read from a parsed JSON value.
pub trait FromJson: Sized {
    /// Read `v`.
    ///
    /// # Errors
    /// A message naming what was expected and, for nested fields, where.
    fn from_json(v: Value) -> JsonResult<Self>;
}

/// How a value is named in a message: its JSON type, and short text for scalars.
fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string \"{}\"", crate::ids::shorten(s)),
        Value::Array(_) => "sequence".to_string(),
        Value::Object(_) => "map".to_string(),
    }
}

/// The message for a value of the wrong type.
pub fn invalid_type(v: &Value, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", kind(v))
}

impl FromJson for String {
    fn from_json(v: Value) -> JsonResult<Self> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(invalid_type(&other, "a string")),
        }
    }
}

impl FromJson for Value {
    fn from_json(v: Value) -> JsonResult<Self> {
        Ok(v)
    }
}

impl FromJson for bool {
    fn from_json(v: Value) -> JsonResult<Self> {
        v.as_bool().ok_or_else(|| invalid_type(&v, "a boolean"))
    }
}

impl FromJson for u64 {
    fn from_json(v: Value) -> JsonResult<Self> {
        v.as_u64().ok_or_else(|| invalid_type(&v, "u64"))
    }
}

impl FromJson for u32 {
    fn from_json(v: Value) -> JsonResult<Self> {
        v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| invalid_type(&v, "u32"))
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(v: Value) -> JsonResult<Self> {
        match v {
            Value::Null => Ok(None),
            v => T::from_json(v).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: Value) -> JsonResult<Self> {
        let Value::Array(items) = v else { return Err(invalid_type(&v, "a sequence")) };
        items.into_iter().enumerate().map(|(i, x)| T::from_json(x).map_err(|e| format!("[{i}]: {e}"))).collect()
    }
}

/// A key of a map or member of a set: text that validates.
fn key<K: Text>(s: &str) -> JsonResult<K> {
    K::from_text(s).map_err(|e| e.message)
}

impl<K: Text + KeyText, V: FromJson> FromJson for IdMap<K, V> {
    fn from_json(v: Value) -> JsonResult<Self> {
        let Value::Object(entries) = v else { return Err(invalid_type(&v, "a map")) };
        let mut m = IdMap::new();
        m.begin_bulk();
        for (k, x) in entries {
            let value = V::from_json(x).map_err(|e| format!("{}: {e}", crate::ids::shorten(&k)))?;
            m.insert(key(&k)?, value);
        }
        m.end_bulk();
        Ok(m)
    }
}

impl<K: Text + KeyText> FromJson for IdSet<K> {
    fn from_json(v: Value) -> JsonResult<Self> {
        let Value::Array(items) = v else { return Err(invalid_type(&v, "a sequence")) };
        let mut s = IdSet::new();
        for x in items {
            s.insert(key(&String::from_json(x)?)?);
        }
        Ok(s)
    }
}

/// The fields of one record, taken one by one; [`Fields::finish`] reports the first
/// field that could not be read, or refuses the fields left.
///
/// A getter gives `None` for a field it could not read and keeps the error, rather than
/// returning early: a record's reader then builds the record once, at the end, instead
/// of dropping the fields read so far at every field that could fail (that code was
/// most of the readers' size).
pub struct Fields {
    /// The object's entries in document order. Taken by name with a linear search, which
    /// for a record's handful of fields costs less than hashing the name to find it in
    /// the object's map; a field taken is replaced by the last one, as the map's own
    /// removal does, so the field [`Fields::finish`] reports is the same.
    entries: Vec<(String, Value)>,
    error: Option<String>,
}

impl Fields {
    /// The fields of `v`, which must be an object (`what` names the record in messages).
    ///
    /// # Errors
    /// When `v` is not an object.
    pub fn new(v: Value, what: &str) -> JsonResult<Self> {
        match v {
            Value::Object(map) => Ok(Fields { entries: map.into_iter().collect(), error: None }),
            other => Err(invalid_type(&other, what)),
        }
    }

    fn fail(&mut self, e: String) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    #[inline(never)]
    fn fail_at(&mut self, name: &str, e: String) {
        self.fail(format!("{name}: {e}"));
    }

    /// The value of field `name`, taken out.
    #[inline(never)]
    fn take(&mut self, name: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| k == name)?;
        Some(self.entries.swap_remove(i).1)
    }

    /// The value of a required field (`None`, the error kept, when it is missing).
    #[inline(never)]
    fn take_req(&mut self, name: &str) -> Option<Value> {
        let v = self.take(name);
        if v.is_none() {
            self.fail(format!("missing field `{name}`"));
        }
        v
    }

    fn check<T>(&mut self, name: &str, read: JsonResult<T>) -> Option<T> {
        match read {
            Ok(x) => Some(x),
            Err(e) => {
                self.fail_at(name, e);
                None
            }
        }
    }

    /// A field that must be there (`None`, with the error kept, when it is missing or
    /// not a `T`).
    pub fn req<T: FromJson>(&mut self, name: &str) -> Option<T> {
        let v = self.take_req(name)?;
        self.check(name, T::from_json(v))
    }

    /// A field that may be absent: its default then (`None`, with the error kept, when
    /// it is there and not a `T`).
    pub fn or_default<T: FromJson + Default>(&mut self, name: &str) -> Option<T> {
        match self.take(name) {
            Some(v) => self.check(name, T::from_json(v)),
            None => Some(T::default()),
        }
    }

    /// The first field that could not be read, else the first field left over.
    ///
    /// # Errors
    /// That field's message.
    pub fn finish(self, fields: &[&str]) -> JsonResult<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.entries.first().map(|(k, _)| k) {
            None => Ok(()),
            Some(k) => Err(format!("unknown field `{}`, {}", crate::ids::shorten(k), one_of(fields))),
        }
    }

    /// As [`Fields::finish`], the fields left ignored.
    ///
    /// # Errors
    /// The first field that could not be read.
    pub fn finish_lenient(self) -> JsonResult<()> {
        self.error.map_or(Ok(()), Err)
    }
}

/// What was expected, worded as serde words it.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "there are none".to_string(),
        [a] => format!("expected `{a}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        _ => {
            let all: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("expected one of {}", all.join(", "))
        }
    }
}

/// A unit enum read from its variant's name.
///
/// # Errors
/// When `v` is not one of `names` (in the order of `values`).
pub fn variant<T: Copy>(v: Value, names: &[&str], values: &[T]) -> JsonResult<T> {
    let Value::String(s) = &v else { return Err(invalid_type(&v, "a string")) };
    match names.iter().position(|n| n == s).and_then(|i| values.get(i)) {
        Some(x) => Ok(*x),
        None => Err(format!("unknown variant `{}`, {}", crate::ids::shorten(s), one_of(names))),
    }
}

/// Read a `T` from a deserializer: its value parsed, then read by [`FromJson`].
pub fn deserialize<'de, T: FromJson, D: serde::Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::from_json(value(d)?).map_err(<D::Error as serde::de::Error>::custom)
}

/// Parse one value. Not inlined: the JSON parser would otherwise be copied into the
/// reader of every record type.
#[inline(never)]
fn value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    <Value as serde::Deserialize>::deserialize(d)
}

/// Read a map of records (a state's accounts, keys, …) one entry at a time: each value
/// parsed, then read by [`FromJson`]. For `#[serde(deserialize_with)]`: the map's reader
/// is compiled once per deserializer instead of once per key and record type.
///
/// # Errors
/// The deserializer's error for bad JSON; a record or key that does not read, with its key.
pub fn records<'de, D, K, V>(d: D) -> Result<IdMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: Text + KeyText,
    V: FromJson,
{
    let mut m = IdMap::new();
    m.begin_bulk();
    entries(d, &mut |k, v| {
        let value = V::from_json(v).map_err(|e| format!("{}: {e}", crate::ids::shorten(&k)))?;
        m.insert(key(&k)?, value);
        Ok(())
    })?;
    m.end_bulk();
    Ok(m)
}

/// What a type read in a state or a snapshot body needs: natively, also
/// [`crate::fastjson::FastRead`].
#[cfg(not(target_arch = "wasm32"))]
pub trait Readable: FromJson + crate::fastjson::FastRead {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: FromJson + crate::fastjson::FastRead> Readable for T {}
/// What a type read in a state or a snapshot body needs.
#[cfg(target_arch = "wasm32")]
pub trait Readable: FromJson {}
#[cfg(target_arch = "wasm32")]
impl<T: FromJson> Readable for T {}

/// How a document's parts are read: through `Value` and [`FromJson`] ([`ViaValue`],
/// the reader that decides), or natively straight from the text
/// ([`crate::fastjson::Direct`]).
pub trait Mode {
    /// The next value of a map.
    ///
    /// # Errors
    /// The deserializer's, or the value's reader's.
    fn value<'de, A: serde::de::MapAccess<'de>, T: Readable + serde::Deserialize<'de>>(
        a: &mut A,
    ) -> Result<T, A::Error>;

    /// A map of records.
    ///
    /// # Errors
    /// As [`records`].
    fn records<'de, D: serde::Deserializer<'de>, K: Text + KeyText, V: Readable>(d: D)
        -> Result<IdMap<K, V>, D::Error>;
}

/// Read through `Value` and [`FromJson`].
pub struct ViaValue;

impl Mode for ViaValue {
    fn value<'de, A: serde::de::MapAccess<'de>, T: Readable + serde::Deserialize<'de>>(
        a: &mut A,
    ) -> Result<T, A::Error> {
        a.next_value()
    }

    fn records<'de, D: serde::Deserializer<'de>, K: Text + KeyText, V: Readable>(
        d: D,
    ) -> Result<IdMap<K, V>, D::Error> {
        records(d)
    }
}

/// Feed each entry of a JSON object, its value parsed, to `each`.
#[inline(never)]
fn entries<'de, D: serde::Deserializer<'de>>(
    d: D,
    each: &mut dyn FnMut(String, Value) -> JsonResult<()>,
) -> Result<(), D::Error> {
    struct Entries<'f>(&'f mut dyn FnMut(String, Value) -> JsonResult<()>);

    impl<'de> serde::de::Visitor<'de> for Entries<'_> {
        type Value = ();

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a map")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
            while let Some(k) = a.next_key::<String>()? {
                let v: Value = a.next_value()?;
                (self.0)(k, v).map_err(<A::Error as serde::de::Error>::custom)?;
            }
            Ok(())
        }
    }

    d.deserialize_map(Entries(each))
}

/// Give a [`FromJson`] type serde's `Deserialize` through [`deserialize`].
macro_rules! deserialize_via_json {
    ($($ty:ty),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                $crate::json::deserialize(d)
            }
        }
    )*};
}
pub(crate) use deserialize_via_json;

/// Declare how a record is read: its JSON field names, each with `default` when it may
/// be absent, and `lenient` when unknown fields are ignored rather than refused. The
/// type also gets serde's `Deserialize` through [`FromJson`].
macro_rules! record {
    ($ty:ident $(lenient $lenient:tt)? { $($json:literal $field:ident $($default:ident)?),* $(,)? }) => {
        impl $crate::json::FromJson for $ty {
            #[inline(never)]
            fn from_json(v: serde_json::Value) -> $crate::json::JsonResult<Self> {
                let mut f = $crate::json::Fields::new(v, concat!("struct ", stringify!($ty)))?;
                let read = ( $( $crate::json::record!(@field f $json $($default)?), )* );
                $crate::json::record!(@finish f [$($json),*] $($lenient)?)?;
                match read {
                    ( $( Some($field), )* ) => Ok($ty { $($field),* }),
                    // `finish` has reported any field that is None.
                    _ => Err(alloc::string::String::new()),
                }
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        impl $crate::fastjson::FastRead for $ty {
            fn fast<'de, D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                struct Visit;

                impl<'de> serde::de::Visitor<'de> for Visit {
                    type Value = $ty;

                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($ty)))
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut a: A,
                    ) -> core::result::Result<$ty, A::Error> {
                        use serde::de::Error as _;
                        $( let mut $field = None; )*
                        while let Some(name) = a.next_key::<&'de str>()? {
                            match name {
                                $( $json => {
                                    if $field.is_some() {
                                        return Err(A::Error::custom("a repeated field"));
                                    }
                                    $field = Some($crate::fastjson::next_value(&mut a)?);
                                } )*
                                _ => $crate::json::record!(@fast_unknown a $($lenient)?),
                            }
                        }
                        Ok($ty { $( $field: $crate::json::record!(@fast_field $field $json $($default)?) ),* })
                    }
                }

                d.deserialize_map(Visit)
            }
        }
        $crate::json::deserialize_via_json!($ty);
    };
    (@fast_unknown $a:ident) => { return Err(A::Error::custom("an unknown field")) };
    (@fast_unknown $a:ident $lenient:tt) => {{ $a.next_value::<serde::de::IgnoredAny>()?; }};
    (@fast_field $field:ident $json:literal) => {
        match $field {
            Some(x) => x,
            None => return Err(A::Error::missing_field($json)),
        }
    };
    (@fast_field $field:ident $json:literal default) => { $field.unwrap_or_default() };
    (@field $f:ident $json:literal) => { $f.req($json) };
    (@field $f:ident $json:literal default) => { $f.or_default($json) };
    (@finish $f:ident [$($json:literal),*]) => { $f.finish(&[$($json),*]) };
    (@finish $f:ident [$($json:literal),*] $lenient:tt) => { $f.finish_lenient() };
}
pub(crate) use record;

/// Declare how a unit enum is read and written: as its variants' names.
macro_rules! unit_enum {
    ($($ty:ident { $($variant:ident),* $(,)? })*) => {$(
        impl $crate::json::FromJson for $ty {
            fn from_json(v: serde_json::Value) -> $crate::json::JsonResult<Self> {
                $crate::json::variant(v, &[$(stringify!($variant)),*], &[$($ty::$variant),*])
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        impl $crate::fastjson::FastRead for $ty {
            fn fast<'de, D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                $crate::fastjson::variant(d, &[$(stringify!($variant)),*], &[$($ty::$variant),*])
            }
        }
        impl $ty {
            /// The variant's name, as JSON writes it.
            pub const fn name(self) -> &'static str {
                match self { $($ty::$variant => stringify!($variant),)* }
            }
        }
        impl $crate::json::ToValue for $ty {
            fn to_value(&self) -> serde_json::Value {
                serde_json::Value::String(self.name().into())
            }
        }
        $crate::json::describe_as!($crate::json::Ty::Str => $ty);
        $crate::json::deserialize_via_json!($ty);
    )*};
}
pub(crate) use unit_enum;

/// A value as JSON, directly: what `obj!` builds results from. Types without a direct
/// form go through serde (`to_value_via_serde!`).
pub trait ToValue {
    /// The JSON value.
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToValue for u64 {
    fn to_value(&self) -> Value {
        Value::from(*self)
    }
}

impl ToValue for u32 {
    fn to_value(&self) -> Value {
        Value::from(*self)
    }
}

impl ToValue for usize {
    fn to_value(&self) -> Value {
        Value::from(*self)
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(&self) -> Value {
        self.as_slice().to_value()
    }
}

impl<T: ToValue> ToValue for [T] {
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(ToValue::to_value).collect())
    }
}

impl<K: KeyText, V: ToValue> ToValue for IdMap<K, V> {
    fn to_value(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.key_text().to_string(), v.to_value())).collect())
    }
}

impl<K: KeyText> ToValue for IdSet<K> {
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(|k| Value::String(k.key_text().to_string())).collect())
    }
}

/// Give serde types [`ToValue`]: serialized to text and read back.
macro_rules! to_value_via_serde {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::json::ToValue for $ty {
            fn to_value(&self) -> serde_json::Value {
                $crate::engine::to_json(self)
            }
        }
    )*};
}
pub(crate) use to_value_via_serde;

/// Write `value` as JSON text, compact (serde_json's form, without the `Display`
/// impl's machinery: one writer of a value for the whole core).
pub fn text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // Writing to a vector fails only for a map with non-text keys, which no type of
    // the core has.
    serde_json::to_string(value).unwrap_or_default()
}

/// serde_json's pretty form (two-space indents, `": "` after a key, `[]` and `{}` for
/// empty lists and objects) of compact JSON text such as [`text`] writes: the same
/// bytes as `serde_json::to_string_pretty`, without compiling a second writer of
/// every type.
pub fn pretty(compact: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(compact.len() + compact.len() / 2);
    let mut depth = 0usize;
    let mut bytes = compact.bytes().peekable();
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.resize(out.len() + 2 * depth, b' ');
    };
    while let Some(b) = bytes.next() {
        match b {
            b'"' => {
                out.push(b);
                // A string, copied as it is: its escapes (`\"`, `\\`) do not end it.
                while let Some(c) = bytes.next() {
                    out.push(c);
                    match c {
                        b'\\' => out.extend(bytes.next()),
                        b'"' => break,
                        _ => {}
                    }
                }
            }
            b'{' | b'[' => {
                out.push(b);
                match bytes.peek() {
                    Some(b'}' | b']') => out.extend(bytes.next()),
                    _ => {
                        depth += 1;
                        newline(&mut out, depth);
                    }
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(b),
        }
    }
    // Bytes are copied whole or are ASCII inserted between tokens: still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// A response's fields as a JSON object, in their order; an absent optional field
/// (`null`) is left out, as the vendor's responses leave it out.
pub fn fields(entries: &mut [(&str, Value)]) -> Value {
    let mut map = Map::with_capacity(entries.len());
    for (k, v) in entries.iter_mut() {
        if !v.is_null() {
            map.insert((*k).to_string(), core::mem::take(v));
        }
    }
    Value::Object(map)
}

/// Declare a response (or a part of one): a struct with the vendor's field names, written
/// as a JSON object by [`ToValue`] in the declared order, absent optional fields left out.
/// [`Shape::FIELDS`] lists the names, for the generated types and the vendor fixture test.
macro_rules! response {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident $(<$lt:lifetime>)? {
            $( $(#[$fmeta:meta])* $json:literal $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name $(<$lt>)? { $( $(#[$fmeta])* pub $field: $ty, )* }

        impl $(<$lt>)? $crate::json::ToValue for $name $(<$lt>)? {
            fn to_value(&self) -> serde_json::Value {
                $crate::json::fields(&mut [$( ($json, $crate::json::ToValue::to_value(&self.$field)) ),*])
            }
        }

        impl $(<$lt>)? $crate::json::Shape for $name $(<$lt>)? {
            const FIELDS: &'static [&'static str] = &[$($json),*];
        }

        impl $(<$lt>)? $crate::json::Describe for $name $(<$lt>)? {
            fn describe() -> $crate::json::Ty {
                $crate::json::Ty::Obj(
                    stringify!($name),
                    alloc::vec![$( ($json, <$ty as $crate::json::Describe>::describe()) ),*],
                )
            }
        }
    };
}
pub(crate) use response;

/// The field names of a response, as `response!` declared them.
pub trait Shape {
    /// The JSON field names, in order.
    const FIELDS: &'static [&'static str];
}

/// The JSON shape of a response or of one of its fields: what the vendor fixture test
/// compares with the vendor's models, and what generated types are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// A string.
    Str,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
    /// Any JSON (a document the response passes through).
    Any,
    /// A list of one shape.
    List(alloc::boxed::Box<Ty>),
    /// An object: its type's name and its fields, each possibly absent.
    Obj(&'static str, Vec<(&'static str, Ty)>),
}

impl Ty {
    /// The shape without the fields at `paths` (`KeyMetadata.DeletionProtection`): for an
    /// action whose response is a shared type less some fields it never fills.
    #[must_use]
    pub fn without(mut self, paths: &[&str]) -> Ty {
        for p in paths {
            self.remove(p);
        }
        self
    }

    fn remove(&mut self, path: &str) {
        if let Ty::List(item) = self {
            return item.remove(path);
        }
        let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
        if let Ty::Obj(_, fields) = self {
            match rest {
                None => fields.retain(|(n, _)| *n != head),
                Some(r) => {
                    if let Some((_, t)) = fields.iter_mut().find(|(n, _)| *n == head) {
                        t.remove(r);
                    }
                }
            }
        }
    }
}

/// A type whose JSON shape is known.
pub trait Describe {
    /// The shape.
    fn describe() -> Ty;
}

macro_rules! describe_as {
    ($ty:expr => $($t:ty),*) => {$(
        impl $crate::json::Describe for $t {
            fn describe() -> $crate::json::Ty {
                $ty
            }
        }
    )*};
}
pub(crate) use describe_as;

describe_as!(Ty::Str => String, str);
describe_as!(Ty::Int => u64, u32, usize);
describe_as!(Ty::Bool => bool);
describe_as!(Ty::Any => Value);

impl<T: Describe + ?Sized> Describe for &T {
    fn describe() -> Ty {
        T::describe()
    }
}

impl<T: Describe> Describe for Option<T> {
    fn describe() -> Ty {
        T::describe()
    }
}

impl<T: Describe> Describe for Vec<T> {
    fn describe() -> Ty {
        Ty::List(alloc::boxed::Box::new(T::describe()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_lists_maps_and_sets_say_what_they_expected() {
        assert_eq!(u32::from_json(json!(5)), Ok(5));
        assert_eq!(u32::from_json(json!(1u64 << 33)), Err("invalid type: number `8589934592`, expected u32".into()));
        assert_eq!(u64::from_json(json!(-1)), Err("invalid type: number `-1`, expected u64".into()));
        assert_eq!(Option::<u64>::from_json(Value::Null), Ok(None));
        assert_eq!(Vec::<u64>::from_json(json!([1, "x"])), Err("[1]: invalid type: string \"x\", expected u64".into()));
        let m = IdMap::<String, u64>::from_json(json!({"b": 1, "a": 2})).unwrap();
        assert_eq!(m.keys().cloned().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            IdMap::<String, u64>::from_json(json!({"a": true})).unwrap_err(),
            "a: invalid type: boolean `true`, expected u64"
        );
        let s = IdSet::<String>::from_json(json!(["y", "x", "y"])).unwrap();
        assert_eq!(s.iter().cloned().collect::<Vec<_>>(), ["x", "y"]);
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            // Text with the characters the pretty form must not touch inside a string.
            "[a-z{}\\[\\],:\"\\\\ \\n\u{e9}\u{1F511}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z:,{\"]{0,4}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// The pretty form made from compact text is serde_json's pretty form, byte for
        /// byte (the scenario result documents every runtime compares).
        #[test]
        fn pretty_is_serde_jsons_pretty_form(v in any_value()) {
            proptest::prop_assert_eq!(pretty(&text(&v)), serde_json::to_string_pretty(&v).unwrap());
        }
    }

    #[test]
    fn pretty_keeps_empty_containers_and_escapes() {
        let v = json!({"a": [], "b": {}, "c": ["x\"y", "\\", "{[,:]}"], "d": [{"e": null}]});
        assert_eq!(pretty(&text(&v)), serde_json::to_string_pretty(&v).unwrap());
        assert_eq!(pretty("[]"), "[]");
        assert_eq!(pretty(r#"{"k":[1,{}]}"#), "{\n  \"k\": [\n    1,\n    {}\n  ]\n}");
    }

    #[test]
    fn fields_are_required_defaulted_or_unknown() {
        let mut f = Fields::new(json!({"a": 1, "c": 3}), "struct T").unwrap();
        assert_eq!(f.req::<u64>("a"), Some(1));
        assert_eq!(f.or_default::<u64>("d"), Some(0));
        assert_eq!(f.finish(&["a", "d"]), Err("unknown field `c`, expected `a` or `d`".into()));
        let mut f = Fields::new(json!({"a": "x", "c": 3}), "struct T").unwrap();
        assert_eq!(f.req::<u64>("b"), None);
        assert_eq!(f.req::<u64>("a"), None);
        assert_eq!(f.finish(&["a", "b"]), Err("missing field `b`".into()), "the first error is reported");
        assert_eq!(Fields::new(json!([1]), "struct T").err(), Some("invalid type: sequence, expected struct T".into()));
        assert_eq!(variant(json!("B"), &["A", "B"], &[1, 2]), Ok(2));
        assert_eq!(variant(json!("C"), &["A", "B"], &[1, 2]), Err("unknown variant `C`, expected `A` or `B`".into()));
    }
}
