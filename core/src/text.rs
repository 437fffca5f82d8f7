//! Text built on hot paths (explanations, ARNs, audit events, the audit hash's input):
//! joined or written in one allocation of the right size, or none, rather than with
//! `format!`, which grows its buffer as it writes and costs several times as much for
//! the same text.

use alloc::string::String;

/// The texts joined, in one allocation of the right size.
pub(crate) fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// `n`'s decimal text (as `format!("{n}")` writes it), in `buf`: no allocation.
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(d) = buf.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    // INVARIANT: only ASCII digits were written.
    buf.get(at..).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers' text is exactly what `format!` writes: the audit hash's input has
    /// always held it, so trails saved before stay verifiable (AT-2).
    #[test]
    fn numbers_are_written_as_format_writes_them_at2() {
        let mut buf = [0u8; 20];
        for n in [0u64, 7, 10, 99, 1_700_000_000, u64::MAX] {
            assert_eq!(decimal(n, &mut buf), alloc::format!("{n}"));
        }
    }

    #[test]
    fn parts_are_joined_in_order() {
        assert_eq!(cat(&["acs:kms:", "cn-hangzhou", ":", "", "key/k"]), "acs:kms:cn-hangzhou:key/k");
        assert_eq!(cat(&[]), "");
    }
}
