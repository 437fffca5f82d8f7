//! The request's text as the SDKs encode it: a form-encoded query string and body
//! (space as `+`), and RFC 3986 percent-encoding for the canonical forms the signatures
//! are computed over (space as `%20`, `~` kept).

/// The pairs of a form-encoded string (`a=1&b=x+y`), decoded, in the order sent.
///
/// # Errors
/// A message naming the parameter whose `%` escape is malformed or whose decoded text is
/// not UTF-8; never its value, which may be a secret (`SecretData`, `Plaintext`).
pub fn parse_form(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let name = decode(k).map_err(|why| format!("a parameter name: {why}"))?;
        let value = decode(v).map_err(|why| format!("the value of `{}`: {why}", short(&name)))?;
        out.push((name, value));
    }
    Ok(out)
}

/// Decode one form-encoded component.
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or_else(|| "a `%` escape is cut short".to_string())?;
                let hi = hex_value(hex.first().copied());
                let lo = hex_value(hex.get(1).copied());
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err("`%` is not followed by two hex digits".to_string()),
                }
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "it does not decode to UTF-8 text".to_string())
}

fn hex_value(b: Option<u8>) -> Option<u8> {
    match b? {
        c @ b'0'..=b'9' => Some(c - b'0'),
        c @ b'a'..=b'f' => Some(c - b'a' + 10),
        c @ b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// At most 64 characters of the input, for messages.
fn short(s: &str) -> String {
    kms_share_core::ids::shorten(s)
}

/// RFC 3986 percent-encoding: unreserved characters (`A-Z a-z 0-9 - _ . ~`) kept, every
/// other byte as `%XX` in upper-case hex.
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push_str(&kms_share_core::crypto::hex(&[b]).to_ascii_uppercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_plus_and_escapes() {
        assert_eq!(
            parse_form("Action=Encrypt&Plaintext=hello+world%21&Empty=&Flag").unwrap(),
            vec![
                ("Action".to_string(), "Encrypt".to_string()),
                ("Plaintext".to_string(), "hello world!".to_string()),
                ("Empty".to_string(), String::new()),
                ("Flag".to_string(), String::new()),
            ]
        );
        assert_eq!(parse_form("K=%E7%A0%94").unwrap(), vec![("K".to_string(), "研".to_string())]);
        assert!(parse_form("K=%E7%A0").unwrap_err().contains("UTF-8"));
        let e = parse_form("SecretData=hunter2%zz").unwrap_err();
        assert!(e.contains("`SecretData`") && !e.contains("hunter2"), "the value is never echoed: {e}");
        assert!(parse_form("K=%4").unwrap_err().contains("cut short"));
        assert!(parse_form("K=%zz").unwrap_err().contains("two hex digits"));
    }

    #[test]
    fn pct_is_rfc3986() {
        assert_eq!(pct("a b+c~d*e/f=研"), "a%20b%2Bc~d%2Ae%2Ff%3D%E7%A0%94");
        assert_eq!(pct("Resources.1.ResourceId"), "Resources.1.ResourceId");
    }
}
