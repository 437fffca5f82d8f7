//! Ids and names that validate on construction (parse, don't validate).
//!
//! Once an [`AccountId`] or a [`FolderId`] exists it is well formed: every
//! constructor checks the vendor's syntax and fails with `InvalidParameter`
//! naming the field and the rule (RD-2, RD-3, RD-6, RS-1, RAM-3).

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt::{self, Write as _};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::idtext::IdText;
use crate::rules::Rule;

/// Longest id or name accepted anywhere, before any rule-specific check.
pub const MAX_ID_LEN: usize = 256;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(IdText);

        impl $name {
            /// Parse and validate.
            ///
            /// # Errors
            /// `InvalidParameter` when the text is not a valid id of this kind.
            pub fn parse(s: &str) -> Result<Self> {
                let check: fn(&str) -> core::result::Result<(), (Rule, String)> = $check;
                check(s).map_err(|(rule, why)| {
                    Error::invalid($field, rule, format!("`{}` is not a valid {}: {}", shorten(s), $field, why))
                })?;
                Ok($name(IdText::new(s)))
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl crate::request::Text for $name {
            fn from_text(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }

        impl crate::json::Describe for $name {
            fn describe() -> crate::json::Ty {
                crate::json::Ty::Str
            }
        }

        impl crate::json::ToValue for $name {
            fn to_value(&self) -> serde_json::Value {
                serde_json::Value::String(self.0.as_str().into())
            }
        }

        impl crate::json::FromJson for $name {
            fn from_json(v: serde_json::Value) -> crate::json::JsonResult<Self> {
                match &v {
                    serde_json::Value::String(s) => Self::parse(s).map_err(|e| e.message),
                    _ => Err(crate::json::invalid_type(&v, concat!("a string (the ", $field, ")"))),
                }
            }
        }

        #[cfg(not(target_arch = "wasm32"))]
        impl crate::fastjson::FastRead for $name {
            fn fast<'de, D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                crate::fastjson::text(d)
            }
        }

        impl crate::idmap::KeyText for $name {
            fn key_text(&self) -> &str {
                self.0.as_str()
            }
            fn key_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }
            fn id_text(&self) -> IdText {
                self.0.clone()
            }
            fn own_id_text(&self) -> Option<&IdText> {
                Some(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                d.deserialize_str(IdVisitor($field, $name::parse))
            }
        }
    };
}

/// Reads an id straight from the text the deserializer holds (borrowed from the input
/// when it has no escapes), with no intermediate `String`: a large state holds millions.
struct IdVisitor<T>(&'static str, fn(&str) -> Result<T>);

impl<T> serde::de::Visitor<'_> for IdVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string (the {})", self.0)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> core::result::Result<T, E> {
        (self.1)(s).map_err(|e| E::custom(e.message))
    }
}

/// Cut long user input in messages so an error never echoes a megabyte.
pub fn shorten(s: &str) -> String {
    const MAX: usize = 64;
    let mut out = String::with_capacity(s.len().min(4 * MAX) + 3);
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        escape_into(&mut out, c);
    }
    out
}

/// One character of user input as a message shows it: quotes, backslashes, control
/// characters and the invisible ones that could make a message lie about what was sent
/// (bidirectional overrides, zero-width marks, byte-order marks) are written as Rust escapes
/// (`\"`, `\n`, `\u{202e}`); every other character, CJK included, is itself. This is
/// `char::escape_debug` for everything a message meets, without the Unicode tables the
/// standard library carries for it (about 6 KB of the WebAssembly module).
fn escape_into(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '\'' => out.push_str("\\'"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        _ if invisible(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        _ => out.push(c),
    }
}

/// Control characters, format characters (category Cf) a message could hide behind, the
/// line and paragraph separators, private-use and noncharacter code points.
fn invisible(c: char) -> bool {
    let u = c as u32;
    c.is_control()
        || matches!(
            u,
            0xAD | 0x600..=0x605
                | 0x61C
                | 0x6DD
                | 0x70F
                | 0x180E
                | 0x200B..=0x200F
                | 0x2028..=0x202E
                | 0x2060..=0x206F
                | 0xE000..=0xF8FF
                | 0xFDD0..=0xFDEF
                | 0xFEFF
                | 0xFFF0..=0xFFFB
                | 0xE0000..=0xE0FFF
                | 0xF0000..=0x10FFFF
        )
        || u & 0xFFFE == 0xFFFE
}

/// A single character of user input, escaped as [`shorten`] does.
fn escaped_char(c: char) -> String {
    let mut out = String::new();
    escape_into(&mut out, c);
    out
}

fn prefixed_alnum(s: &str, prefix: &str, min: usize, max: usize) -> bool {
    match s.strip_prefix(prefix) {
        Some(rest) => rest.len() >= min && rest.len() <= max && rest.bytes().all(|b| b.is_ascii_alphanumeric()),
        None => false,
    }
}

id_type!(
    /// A 16-digit account id (RD-6).
    AccountId,
    "account id",
    |s| {
        if s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err((Rule::Rd6, "an account id is a 16-digit number".to_string()))
        }
    }
);

id_type!(
    /// A folder id: `fd-` followed by alphanumerics (RD-6).
    FolderId,
    "folder id",
    |s| {
        if prefixed_alnum(s, "fd-", 1, 64) {
            Ok(())
        } else {
            Err((Rule::Rd6, "a folder id is `fd-` followed by 1 to 64 letters or digits".to_string()))
        }
    }
);

id_type!(
    /// A resource directory id: `rd-` followed by alphanumerics.
    DirectoryId,
    "directory id",
    |s| {
        if prefixed_alnum(s, "rd-", 1, 64) {
            Ok(())
        } else {
            Err((Rule::Rd1, "a directory id is `rd-` followed by 1 to 64 letters or digits".to_string()))
        }
    }
);

id_type!(
    /// A KMS instance id: `kst-` followed by alphanumerics (KI-1).
    InstanceId,
    "instance id",
    |s| {
        if prefixed_alnum(s, "kst-", 1, 64) {
            Ok(())
        } else {
            Err((Rule::Ki1, "an instance id is `kst-` followed by 1 to 64 letters or digits".to_string()))
        }
    }
);

id_type!(
    /// A resource share id: `rs-` followed by alphanumerics.
    ShareId,
    "resource share id",
    |s| {
        if prefixed_alnum(s, "rs-", 1, 64) {
            Ok(())
        } else {
            Err((Rule::Rs8, "a resource share id is `rs-` followed by 1 to 64 letters or digits".to_string()))
        }
    }
);

id_type!(
    /// A key id: `key-` followed by alphanumerics.
    KeyId,
    "key id",
    |s| {
        if prefixed_alnum(s, "key-", 1, 64) {
            Ok(())
        } else {
            Err((Rule::Ram3, "a key id is `key-` followed by 1 to 64 letters or digits".to_string()))
        }
    }
);

id_type!(
    /// A VPC id: `vpc-` followed by alphanumerics (KI-7).
    VpcId,
    "vpc id",
    |s| {
        if prefixed_alnum(s, "vpc-", 1, 64) {
            Ok(())
        } else {
            Err((Rule::Ki7, "a vpc id is `vpc-` followed by 1 to 64 letters or digits".to_string()))
        }
    }
);

id_type!(
    /// A region id such as `cn-hangzhou` (KI-6).
    Region,
    "region",
    |s| {
        let ok = (2..=32).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(())
        } else {
            Err((Rule::Ki6, "a region is 2 to 32 lowercase letters, digits and `-`, like `cn-hangzhou`".to_string()))
        }
    }
);

id_type!(
    /// A member account name (RD-2).
    AccountName,
    "account name",
    |s| check_account_name(s).map_err(|w| (Rule::Rd2, w))
);

id_type!(
    /// A display name (RD-3).
    DisplayName,
    "display name",
    |s| check_display_name(s).map_err(|w| (Rule::Rd3, w))
);

id_type!(
    /// A resource share name (RS-1).
    ShareName,
    "resource share name",
    |s| check_share_name(s).map_err(|w| (Rule::Rs1, w))
);

id_type!(
    /// A folder name (same character rules as a display name, RD-3).
    FolderName,
    "folder name",
    |s| check_display_name(s).map_err(|w| (Rule::Rd1, w))
);

id_type!(
    /// A secret name: 1 to 192 letters, digits and `_ / + = . @ -`.
    SecretName,
    "secret name",
    |s| {
        let ok = !s.is_empty()
            && s.len() <= 192
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_/+=.@-".contains(&b))
            && !s.starts_with("acs:");
        if ok {
            Ok(())
        } else {
            Err((Rule::Sm3, "a secret name is 1 to 192 letters, digits and `_ / + = . @ -`".to_string()))
        }
    }
);

id_type!(
    /// A key alias: `alias/` followed by 1 to 255 letters, digits and `_ / : -` (KI-5).
    AliasName,
    "alias name",
    |s| {
        match s.strip_prefix("alias/") {
            Some(rest)
                if !rest.is_empty()
                    && rest.len() <= 255
                    && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"_/:-".contains(&b)) =>
            {
                Ok(())
            }
            _ => Err((Rule::Sm3, "an alias is `alias/` followed by 1 to 255 letters, digits and `_ / : -`".to_string())),
        }
    }
);

id_type!(
    /// A RAM user, role or policy name: 1 to 64 letters, digits and `. _ - @`.
    RamName,
    "ram name",
    |s| {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
        if ok {
            Ok(())
        } else {
            Err((Rule::Ram1, "a RAM name is 1 to 64 letters, digits and `. _ - @`".to_string()))
        }
    }
);

impl AliasName {
    /// Default (service) key aliases live under `alias/acs/` (KI-5).
    pub fn is_default_key_alias(&self) -> bool {
        self.as_str().starts_with("alias/acs/")
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '_' | '.' | '-')
}

/// RD-2: 2 to 50 ASCII letters, digits, `_ . -`; letter or digit at both ends; no two specials in a row.
fn check_account_name(s: &str) -> core::result::Result<(), String> {
    let n = s.chars().count();
    if !(2..=50).contains(&n) {
        return Err(format!("it must be 2 to 50 characters long, not {n}"));
    }
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || is_special(*c))) {
        return Err(format!("`{}` is not allowed (letters, digits and `_ . -` only)", escaped_char(c)));
    }
    let first = s.chars().next().unwrap_or('_');
    let last = s.chars().last().unwrap_or('_');
    if is_special(first) || is_special(last) {
        return Err("it must start and end with a letter or a digit".to_string());
    }
    let mut prev_special = false;
    for c in s.chars() {
        if is_special(c) && prev_special {
            return Err("it cannot contain two special characters in a row".to_string());
        }
        prev_special = is_special(c);
    }
    Ok(())
}

/// CJK Unified Ideographs (with extension A and compatibility ideographs).
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF)
}

/// RD-3: 2 to 50 characters; CJK ideographs, letters, digits, `_ . -`.
fn check_display_name(s: &str) -> core::result::Result<(), String> {
    let n = s.chars().count();
    if !(2..=50).contains(&n) {
        return Err(format!("it must be 2 to 50 characters long, not {n}"));
    }
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || is_special(*c) || is_cjk(*c))) {
        return Err(format!("`{}` is not allowed (CJK ideographs, letters, digits and `_ . -` only)", escaped_char(c)));
    }
    Ok(())
}

/// RS-1: 1 to 50 characters; CJK ideographs, letters, digits, `. _ -`.
fn check_share_name(s: &str) -> core::result::Result<(), String> {
    let n = s.chars().count();
    if !(1..=50).contains(&n) {
        return Err(format!("it must be 1 to 50 characters long, not {n}"));
    }
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || is_special(*c) || is_cjk(*c))) {
        return Err(format!("`{}` is not allowed (CJK ideographs, letters, digits and `. _ -` only)", escaped_char(c)));
    }
    Ok(())
}

/// The kind of RAM identity behind a caller (RAM-1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdentityKind {
    /// The account's root identity: holds every permission in its own account.
    Root,
    /// A RAM user.
    User(RamName),
    /// An assumed RAM role.
    Role(RamName),
}

/// A caller in the vendor's form: `acs:ram::<account>:root`, `...:user/<name>`, `...:role/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    /// The account the identity belongs to.
    pub account: AccountId,
    /// Root, user or role.
    pub kind: IdentityKind,
}

impl Identity {
    /// Parse `acs:ram::<account>:root|user/<name>|role/<name>`.
    ///
    /// # Errors
    /// `InvalidParameter` (field `caller`, RAM-1) when the text is not such an identity.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "caller",
                Rule::Ram1,
                format!(
                    "`{}` is not a RAM identity (expected `acs:ram::<account-id>:root`, `...:user/<name>` or `...:role/<name>`)",
                    shorten(s)
                ),
            )
        };
        let rest = s.strip_prefix("acs:ram::").ok_or_else(bad)?;
        let (account, who) = rest.split_once(':').ok_or_else(bad)?;
        let account = AccountId::parse(account).map_err(|e| e.at_field("caller"))?;
        let kind = if who == "root" {
            IdentityKind::Root
        } else if let Some(n) = who.strip_prefix("user/") {
            IdentityKind::User(RamName::parse(n).map_err(|e| e.at_field("caller"))?)
        } else if let Some(n) = who.strip_prefix("role/") {
            IdentityKind::Role(RamName::parse(n).map_err(|e| e.at_field("caller"))?)
        } else {
            return Err(bad());
        };
        Ok(Identity { account, kind })
    }

    /// The root identity of an account.
    pub fn root(account: AccountId) -> Self {
        Identity { account, kind: IdentityKind::Root }
    }

    /// True for an account's root identity.
    pub fn is_root(&self) -> bool {
        self.kind == IdentityKind::Root
    }

    /// A short human label: `root of 1234…`, `user alice`, `role ops`.
    pub fn label(&self) -> String {
        match &self.kind {
            IdentityKind::Root => format!("the root identity of account {}", self.account),
            IdentityKind::User(n) => format!("user {n}"),
            IdentityKind::Role(n) => format!("role {n}"),
        }
    }
}

impl Identity {
    /// The identity's text (as [`fmt::Display`] writes it), built in one allocation.
    pub fn text(&self) -> String {
        let account = self.account.as_str();
        match &self.kind {
            IdentityKind::Root => crate::text::cat(&["acs:ram::", account, ":root"]),
            IdentityKind::User(n) => crate::text::cat(&["acs:ram::", account, ":user/", n.as_str()]),
            IdentityKind::Role(n) => crate::text::cat(&["acs:ram::", account, ":role/", n.as_str()]),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            IdentityKind::Root => write!(f, "acs:ram::{}:root", self.account),
            IdentityKind::User(n) => write!(f, "acs:ram::{}:user/{}", self.account, n),
            IdentityKind::Role(n) => write!(f, "acs:ram::{}:role/{}", self.account, n),
        }
    }
}

impl Serialize for Identity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Identity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Identity::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_escape_what_the_standard_library_escapes() {
        // Printable text of every script the corpus uses, quotes, controls and the
        // invisible characters: written exactly as `str::escape_debug` writes them.
        let samples = [
            "key-\"quoted\" and 'single' \\ back",
            "tab\tnew\nline\rnul\0del\u{7f}c1\u{85}",
            "研发部 共享（生产） けんきゅう Dept😀 é",
            "rtl\u{202e}override zero\u{200b}width bom\u{feff} shy\u{ad} ls\u{2028}",
            "private\u{e000} nonchar\u{fffe}\u{ffff}",
        ];
        for s in samples {
            assert_eq!(shorten(s), s.escape_debug().to_string(), "{s:?}");
        }
        for c in ['"', '\'', '\\', '\n', '\u{1b}', '\u{202e}', '研', 'é'] {
            assert_eq!(escaped_char(c), c.escape_debug().to_string());
        }
    }

    #[test]
    fn long_input_is_cut_after_64_characters() {
        let long = "研".repeat(100);
        assert_eq!(shorten(&long), format!("{}…", "研".repeat(64)));
        assert_eq!(shorten(&"a".repeat(64)), "a".repeat(64));
        assert_eq!(shorten(&"\n".repeat(65)), format!("{}…", "\\n".repeat(64)));
    }

    #[test]
    fn account_name_rules_rd2() {
        assert!(AccountName::parse("dept-b.prod_1").is_ok());
        for bad in ["a", "-ab", "ab-", "a--b", "a._b", "ab cd", "名字ab", &"a".repeat(51)] {
            let e = AccountName::parse(bad).unwrap_err();
            assert_eq!(e.code(), "InvalidParameter", "{bad}");
            assert_eq!(e.rule, Some(Rule::Rd2));
        }
        assert!(AccountName::parse(&"a".repeat(50)).is_ok());
    }

    #[test]
    fn display_name_allows_cjk_rd3() {
        assert!(DisplayName::parse("部门B-prod").is_ok());
        assert_eq!(DisplayName::parse("x").unwrap_err().rule, Some(Rule::Rd3));
        assert!(DisplayName::parse("a b").is_err());
    }

    #[test]
    fn share_name_rs1() {
        assert!(ShareName::parse("s").is_ok());
        assert!(ShareName::parse("共享.kms_1-a").is_ok());
        assert_eq!(ShareName::parse("").unwrap_err().rule, Some(Rule::Rs1));
        assert!(ShareName::parse(&"s".repeat(51)).is_err());
        assert!(ShareName::parse("a/b").is_err());
    }

    #[test]
    fn ids_rd6() {
        assert!(AccountId::parse("1234567890123456").is_ok());
        assert!(AccountId::parse("123456789012345").is_err());
        assert!(AccountId::parse("12345678901234５6").is_err());
        assert!(FolderId::parse("fd-abc123").is_ok());
        assert!(FolderId::parse("fd-").is_err());
        assert!(FolderId::parse("fd-a_b").is_err());
    }

    #[test]
    fn identity_forms_ram1() {
        let i = Identity::parse("acs:ram::1234567890123456:user/alice").unwrap();
        assert_eq!(i.kind, IdentityKind::User(RamName::parse("alice").unwrap()));
        assert_eq!(i.to_string(), "acs:ram::1234567890123456:user/alice");
        assert!(Identity::parse("acs:ram::1234567890123456:root").unwrap().is_root());
        assert!(Identity::parse("acs:ram::1234567890123456:group/x").is_err());
        assert!(Identity::parse("arn:aws:iam::1:root").is_err());
    }

    #[test]
    fn long_input_is_shortened_in_messages() {
        let huge = "x".repeat(1_000_000);
        let e = FolderId::parse(&huge).unwrap_err();
        assert!(e.message.len() < 300);
    }
}
