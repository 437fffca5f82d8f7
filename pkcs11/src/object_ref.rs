//! The handle of a hardware key: a reference to a token object, never its material.
//!
//! A handle is an RFC 7512 PKCS#11 URI, `pkcs11:object=key-abc%2Fv1;id=%4f%1a...;type=secret-key`,
//! naming the object by its label (`CKA_LABEL`, the engine's `<key-id>/v<version>`) and a
//! random 16-byte `CKA_ID` drawn from the token when the key was generated. The label
//! lets an operator find the object with the HSM's own tools; the id makes the reference
//! unique, so two engines that happen to use one label on one token never share a key.
//! The token is deliberately not part of the handle: the backend is configured for one
//! token, and a token restored under another label keeps its keys reachable.

use std::fmt::Write as _;

use cryptoki::object::{Attribute, KeyType, ObjectClass};

/// The prefix of every hardware handle.
pub const SCHEME: &str = "pkcs11:";
/// Bytes of the random `CKA_ID` of each key.
pub const ID_LEN: usize = 16;
/// The longest label the backend accepts (HSMs commonly limit labels; the engine's are short).
pub const MAX_LABEL: usize = 128;

/// A reference to one AES key object in the token: its label and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    label: String,
    id: Vec<u8>,
}

impl ObjectRef {
    /// A reference from a label and a `CKA_ID`; `None` for an empty or over-long label or
    /// an empty id.
    pub fn new(label: &str, id: &[u8]) -> Option<Self> {
        if label.is_empty() || label.len() > MAX_LABEL || id.is_empty() {
            return None;
        }
        Some(ObjectRef { label: label.to_string(), id: id.to_vec() })
    }

    /// Parse a handle made by [`ObjectRef::to_handle`]; `None` for anything else.
    pub fn parse(handle: &str) -> Option<Self> {
        let rest = handle.strip_prefix(SCHEME)?;
        let mut parts = rest.split(';');
        let label = pct_decode(parts.next()?.strip_prefix("object=")?)?;
        let id = pct_decode_bytes(parts.next()?.strip_prefix("id=")?)?;
        if parts.next()? != "type=secret-key" || parts.next().is_some() {
            return None;
        }
        let label = String::from_utf8(label).ok()?;
        ObjectRef::new(&label, &id)
    }

    /// The handle: an RFC 7512 URI.
    pub fn to_handle(&self) -> String {
        let mut out = String::with_capacity(SCHEME.len() + self.label.len() * 3 + self.id.len() * 3 + 32);
        out.push_str(SCHEME);
        out.push_str("object=");
        for &b in self.label.as_bytes() {
            if is_plain(b) {
                out.push(char::from(b));
            } else {
                push_pct(&mut out, b);
            }
        }
        out.push_str(";id=");
        for &b in &self.id {
            push_pct(&mut out, b);
        }
        out.push_str(";type=secret-key");
        out
    }

    /// The object's label (`CKA_LABEL`).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The object's id (`CKA_ID`).
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The search template that finds exactly this object.
    pub fn template(&self) -> Vec<Attribute> {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Label(self.label.as_bytes().to_vec()),
            Attribute::Id(self.id.clone()),
        ]
    }
}

/// RFC 3986 unreserved characters, which RFC 7512 leaves unencoded.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn push_pct(out: &mut String, b: u8) {
    // Writing to a String cannot fail.
    let _ = write!(out, "%{b:02x}");
}

fn pct_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else if is_plain(b) {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

/// An id is all percent-encoded bytes.
fn pct_decode_bytes(s: &str) -> Option<Vec<u8>> {
    if s.len() % 3 != 0 || !s.bytes().step_by(3).all(|b| b == b'%') {
        return None;
    }
    pct_decode(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_rfc7512_uris_that_round_trip() {
        let r = ObjectRef::new("key-abc123/v1", &[0x4f, 0x00, 0xff]).unwrap();
        let h = r.to_handle();
        assert_eq!(h, "pkcs11:object=key-abc123%2fv1;id=%4f%00%ff;type=secret-key");
        assert_eq!(ObjectRef::parse(&h), Some(r));
    }

    #[test]
    fn anything_else_is_not_a_handle() {
        for bad in [
            "",
            "sw:key-abc/v1",
            "pkcs11:",
            "pkcs11:object=key;type=secret-key",
            "pkcs11:object=;id=%01;type=secret-key",
            "pkcs11:object=key;id=;type=secret-key",
            "pkcs11:object=key;id=01;type=secret-key",
            "pkcs11:object=key;id=%0;type=secret-key",
            "pkcs11:object=key;id=%zz;type=secret-key",
            "pkcs11:object=key/v1;id=%01;type=secret-key",
            "pkcs11:object=key;id=%01;type=private",
            "pkcs11:object=key;id=%01;type=secret-key;x=y",
            "pkcs11:object=%ff;id=%01;type=secret-key",
            "pkcs11:object=%e2%82;id=%01;type=secret-key",
        ] {
            assert_eq!(ObjectRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn labels_must_be_present_and_short() {
        assert!(ObjectRef::new("", &[1]).is_none());
        assert!(ObjectRef::new("k", &[]).is_none());
        assert!(ObjectRef::new(&"k".repeat(MAX_LABEL), &[1]).is_some());
        assert!(ObjectRef::new(&"k".repeat(MAX_LABEL + 1), &[1]).is_none());
    }

    #[test]
    fn any_utf8_label_round_trips() {
        let r = ObjectRef::new("密钥 ;=%/v2", &[9; ID_LEN]).unwrap();
        assert_eq!(ObjectRef::parse(&r.to_handle()), Some(r));
    }
}
