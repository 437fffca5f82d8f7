//! SHA-256 and the two text encodings of bytes the product uses: lowercase hex (digests,
//! test vectors, audit chain) and standard base64 with padding (the vendor API's
//! `CiphertextBlob`, data keys).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::ids::shorten;

/// The SHA-256 digest of `data` (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The SHA-256 digest of `parts` one after the other, as of their concatenation.
pub(crate) fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `bytes` as lowercase hexadecimal, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    let mut text = alloc::vec![0u8; bytes.len().saturating_mul(2)];
    let n = hex_to(bytes, &mut text);
    text.truncate(n);
    String::from_utf8(text).unwrap_or_default()
}

/// `bytes` (at most 32) as [`hex`] writes them, in `buf`, without allocating.
pub(crate) fn hex_into<'a>(bytes: &[u8], buf: &'a mut [u8; 64]) -> &'a str {
    let n = hex_to(bytes, buf);
    buf.get(..n).and_then(|t| core::str::from_utf8(t).ok()).unwrap_or("")
}

/// Write `bytes` as lowercase hexadecimal into `out` (as many as fit); the length written.
fn hex_to(bytes: &[u8], out: &mut [u8]) -> usize {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |n: u8| DIGITS.get(usize::from(n & 0x0f)).copied().unwrap_or(b'0');
    let mut n = 0;
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        if let [hi, lo] = pair {
            (*hi, *lo) = (digit(b >> 4), digit(*b));
            n += 2;
        }
    }
    n
}

/// Parse hexadecimal text (upper or lower case, no prefix, no separators).
///
/// Returns `None` for an odd number of digits or any non-hex character.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let digits = s.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((digit(*hi)? << 4) | digit(*lo)?),
            _ => None,
        })
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` as standard base64 (RFC 4648 alphabet, with `=` padding), written as bytes a
/// group of three at a time: the blob of every `kms:Encrypt` is written here.
pub fn b64_encode(bytes: &[u8]) -> String {
    let (whole, tail) = bytes.split_at(bytes.len() / 3 * 3);
    let mut text = alloc::vec![b'='; bytes.len().div_ceil(3) * 4];
    let (into, last) = text.split_at_mut(whole.len() / 3 * 4);
    encode_groups(whole, into);
    if !tail.is_empty() {
        let mut group = [0u8; 3];
        let mut symbols = [0u8; 4];
        for (g, b) in group.iter_mut().zip(tail) {
            *g = *b;
        }
        encode_groups(&group, &mut symbols);
        // One symbol more than the bytes left; the rest stays `=`.
        for (t, c) in last.iter_mut().zip(symbols.iter().take(tail.len() + 1)) {
            *t = *c;
        }
    }
    String::from_utf8(text).unwrap_or_default()
}

/// The value of a base64 symbol.
#[cfg(target_arch = "wasm32")]
fn sextet(c: u8) -> Option<u32> {
    B64.iter().position(|&x| x == c).map(|i| i as u32)
}

/// The value of a base64 symbol (natively from a table: a snapshot decodes hundreds of MB).
#[cfg(not(target_arch = "wasm32"))]
fn sextet(c: u8) -> Option<u32> {
    SEXTETS.get(usize::from(c)).copied().filter(|v| *v < 64).map(u32::from)
}

/// Each byte's value as a base64 symbol, 255 for a byte that is none.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const SEXTETS: [u8; 256] = {
    let mut t = [255u8; 256];
    let mut i = 0;
    while i < 64 {
        t[B64[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Output bytes of one task of [`b64_join`]: a multiple of four (whole groups), enough
/// tasks for two threads to share a snapshot's text evenly.
#[cfg(all(not(target_arch = "wasm32"), not(test)))]
const JOIN_TASK: usize = 4 << 20;
/// In tests, tasks of a few groups: a small text is written in many.
#[cfg(all(not(target_arch = "wasm32"), test))]
const JOIN_TASK: usize = 16;

/// The text `before` (its pieces one after the other), the concatenation of `parts` as
/// standard base64 (as [`b64_encode`] writes it), and `after` (natively, for a
/// snapshot: the state's JSON, then its key table, written in parts).
///
/// The text is allocated zeroed, which fresh memory from the system already is, and
/// its pieces are copied and encoded into their places, with `threads` by two threads
/// (`crate::par::each`), a few MiB per task: no byte is written twice, and the faults
/// of the text's new pages are met on both threads. The pieces of `before` are copied
/// first and dropped before the base64 is written, so that a piece given owned (the
/// state's JSON) is not held beside all of the text. `None` when a piece of `before`
/// or `after` is not UTF-8 (or the text's length would overflow).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn b64_join(
    before: Vec<alloc::borrow::Cow<'_, [u8]>>,
    parts: &[&[u8]],
    after: &[u8],
    threads: bool,
) -> Option<String> {
    let copied: usize = before.iter().map(|p| p.len()).sum();
    let encoded = parts.iter().map(|p| p.len()).sum::<usize>().div_ceil(3).checked_mul(4)?;
    let mut text = alloc::vec![0u8; copied.checked_add(encoded)?.checked_add(after.len())?];
    let (mut to, rest) = text.split_at_mut_checked(copied)?;
    let (to_b64, to_after) = rest.split_at_mut_checked(encoded)?;
    to_after.copy_from_slice(after);
    let mut copies = Vec::new();
    for piece in &before {
        let (into, rest) = core::mem::take(&mut to).split_at_mut_checked(piece.len())?;
        copies.extend(piece.chunks(JOIN_TASK).zip(into.chunks_mut(JOIN_TASK)));
        to = rest;
    }
    run_tasks(threads, copies, |(piece, into)| into.copy_from_slice(piece));
    drop(before);
    let per_task = JOIN_TASK / 4 * 3;
    let encodes = to_b64.chunks_mut(JOIN_TASK).enumerate().map(|(i, into)| (i * per_task, into)).collect();
    run_tasks(threads, encodes, |(from, into)| encode_from(parts, from, into));
    String::from_utf8(text).ok()
}

/// `f` of each task, on two threads or on this one.
#[cfg(not(target_arch = "wasm32"))]
fn run_tasks<T: Send>(threads: bool, tasks: Vec<T>, f: impl Fn(T) + Sync) {
    if threads {
        crate::par::each(tasks, f);
    } else {
        tasks.into_iter().for_each(f);
    }
}

/// The base64 of the concatenation of `parts` from its byte `from` (a multiple of three)
/// into `to`: as many whole groups as `to` holds, the last group padded when the bytes
/// end before it is whole.
#[cfg(not(target_arch = "wasm32"))]
fn encode_from(parts: &[&[u8]], from: usize, mut to: &mut [u8]) {
    let want = to.len() / 4 * 3;
    // Bytes of a group begun at the end of a part (`held` of them).
    let mut carry = [0u8; 3];
    let mut held = 0;
    let mut at = 0;
    for part in parts {
        let (start, end) = (at, at + part.len());
        at = end;
        if end <= from {
            continue;
        }
        if start >= from + want {
            break;
        }
        let Some(mut part) = part.get(from.saturating_sub(start)..(from + want - start).min(part.len())) else {
            return;
        };
        if held > 0 {
            let (fill, rest) = part.split_at(part.len().min(3 - held));
            for (c, b) in carry.iter_mut().skip(held).zip(fill) {
                *c = *b;
            }
            held += fill.len();
            part = rest;
            if held < 3 {
                continue;
            }
            let Some((group, rest_to)) = core::mem::take(&mut to).split_at_mut_checked(4) else { return };
            encode_groups(&carry, group);
            to = rest_to;
        }
        let (whole, tail) = part.split_at(part.len() / 3 * 3);
        let Some((into, rest_to)) = core::mem::take(&mut to).split_at_mut_checked(whole.len() / 3 * 4) else {
            return;
        };
        encode_groups(whole, into);
        to = rest_to;
        for (c, b) in carry.iter_mut().zip(tail) {
            *c = *b;
        }
        held = tail.len();
    }
    let last = b64_encode(carry.get(..held).unwrap_or_default());
    for (t, c) in to.iter_mut().zip(last.as_bytes()) {
        *t = *c;
    }
}

/// Whole groups of three bytes as their four symbols, into `to` (four bytes per group).
fn encode_groups(bytes: &[u8], to: &mut [u8]) {
    let symbol = |n: u32| B64.get((n & 63) as usize).copied().unwrap_or(b'=');
    for (to, g) in to.chunks_exact_mut(4).zip(bytes.chunks_exact(3)) {
        if let ([a, b, c], [w, x, y, z]) = (g, to) {
            let n = (u32::from(*a) << 16) | (u32::from(*b) << 8) | u32::from(*c);
            (*w, *x, *y, *z) = (symbol(n >> 18), symbol(n >> 12), symbol(n >> 6), symbol(n));
        }
    }
}

/// Decode standard base64 as [`b64_decode`] does, as strictly (natively, for a
/// snapshot's key table, a window at a time): the symbols `s` onto the end of `out`,
/// whole groups of four at once. With `last`, `s` ends the text and its last group is
/// read as [`b64_decode`] reads it (padding allowed there only); without, `s` holds
/// whole unpadded groups only (a part of a longer text, decoded a part at a time).
/// False, with `out` partly written, for anything [`b64_decode`] would refuse.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn b64_decode_append(s: &[u8], last: bool, out: &mut Vec<u8>) -> bool {
    if s.len() % 4 != 0 {
        return false;
    }
    let (body, end) = if last { s.split_at(s.len().saturating_sub(4)) } else { (s, &[][..]) };
    let start = out.len();
    out.resize(start + body.len() / 4 * 3, 0);
    let value = |c: &u8| SEXTETS.get(usize::from(*c)).copied().unwrap_or(255);
    for (to, g) in out.get_mut(start..).unwrap_or_default().chunks_exact_mut(3).zip(body.chunks_exact(4)) {
        if let ([x, y, z], [a, b, c, d]) = (to, g) {
            let (a, b, c, d) = (value(a), value(b), value(c), value(d));
            if (a | b | c | d) >= 64 {
                return false;
            }
            let n = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
            (*x, *y, *z) = ((n >> 16) as u8, (n >> 8) as u8, n as u8);
        }
    }
    match decode(end) {
        Some(tail) => {
            out.extend_from_slice(&tail);
            true
        }
        None => false,
    }
}

/// Strict standard base64: a multiple of 4 symbols, `=` only as the last one or two, and
/// the unused bits of the last symbol zero (one encoding per byte string).
fn decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 4 != 0 {
        return None;
    }
    let pad = s.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let body = s.get(..s.len() - pad)?;
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for &c in chunk {
            n = (n << 6) | sextet(c)?;
        }
        n <<= 6 * (4 - chunk.len() as u32);
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = chunk.len() - 1;
        // The bits past the last whole byte must be zero.
        if keep < 3 && n & ((1 << (8 * (3 - keep))) - 1) != 0 {
            return None;
        }
        out.extend_from_slice(bytes.get(..keep)?);
    }
    Some(out)
}

/// Decode standard base64 (RFC 4648 alphabet, `=` padding required) found in input
/// field `field`.
///
/// The error message echoes the start of the input (at most 64 characters), as other
/// input errors do: do not pass secret values through this function.
///
/// # Errors
/// `InvalidParameter` naming `field` when `s` is not valid padded standard base64.
pub fn b64_decode(field: &str, s: &str) -> Result<Vec<u8>> {
    decode(s.as_bytes()).ok_or_else(|| Error::invalid(field, None, format!("`{}` is not valid base64", shorten(s))))
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use alloc::borrow::Cow;

    /// The next number of a xorshift sequence (test inputs).
    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// The codec against the `base64` crate's standard engine (a development dependency).
    #[test]
    fn base64_matches_the_reference_engine() {
        use base64::engine::general_purpose::STANDARD;
        use base64::Engine as _;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || xorshift(&mut x);
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let ours = b64_encode(&bytes);
            assert_eq!(ours, STANDARD.encode(&bytes));
            assert_eq!(b64_decode("f", &ours).unwrap(), bytes);
        }
        // Mangled inputs: wherever the reference refuses, so do we, and the other way.
        let alphabet = b"AQgw+/=x ";
        for _ in 0..20_000 {
            let len = (next() % 12) as usize;
            let s: String = (0..len).map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize])).collect();
            assert_eq!(b64_decode("f", &s).ok(), STANDARD.decode(&s).ok(), "{s:?}");
        }
    }

    /// The bulk codec (natively, a snapshot's key table) is the same codec: the same
    /// text for every byte string, the same bytes whether decoded whole or in parts
    /// (whole unpadded groups, then the rest), and the same refusals for every mangled
    /// text, a padded group before the last included.
    #[test]
    fn the_bulk_base64_codec_is_the_same_codec() {
        let pieces = |p: &[&'static [u8]]| p.iter().map(|p| Cow::Borrowed(*p)).collect::<Vec<_>>();
        let whole = |s: &[u8]| {
            let mut out = Vec::new();
            b64_decode_append(s, true, &mut out).then_some(out)
        };
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || xorshift(&mut x);
        // Up to 200 bytes (tasks of four groups in tests: up to 17 of them) and a MiB, on
        // one thread and on two.
        for len in (0..200usize).chain((1 << 20) - 4..(1 << 20) + 4) {
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let bulk = b64_join(pieces(&[b"x"]), &[&bytes], b"", false).unwrap();
            assert_eq!(bulk, format!("x{}", b64_encode(&bytes)));
            // The same bytes in parts, cut anywhere (empty parts and groups across parts
            // included), encode the same.
            let mut cuts: Vec<usize> = (0..(next() % 6)).map(|_| (next() as usize) % (len + 1)).collect();
            cuts.sort_unstable();
            let mut cut = Vec::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([len]) {
                cut.push(&bytes[from..c]);
                from = c;
            }
            // Text around it in pieces of any length, copied in tasks of their own.
            let around: Vec<u8> = (0..(next() % 40)).map(|_| b'a' + (next() % 26) as u8).collect();
            let (one, two) = around.split_at(around.len() / 2);
            let before = alloc::vec![
                Cow::Borrowed(&b"x"[..]),
                Cow::Owned(one.to_vec()),
                Cow::Borrowed(&[][..]),
                Cow::Borrowed(two)
            ];
            let in_parts = b64_join(before, &cut, &around, true).unwrap();
            let around = core::str::from_utf8(&around).unwrap();
            assert_eq!(in_parts, format!("x{around}{}{around}", &bulk[1..]), "{len} bytes in {} parts", cut.len());
            let text = &bulk.as_bytes()[1..];
            assert_eq!(whole(text).unwrap(), bytes);
            // In parts: whole groups before the last group, split where the sequence says.
            let groups = text.len() / 4;
            let split = if groups > 1 { 4 * (1 + (next() as usize) % (groups - 1)) } else { 0 };
            let mut parts = Vec::new();
            assert!(b64_decode_append(&text[..split], false, &mut parts));
            assert!(b64_decode_append(&text[split..], true, &mut parts));
            assert_eq!(parts, bytes, "{len} bytes split at {split}");
        }
        // Text that is not UTF-8 around the base64 makes no string.
        assert_eq!(b64_join(pieces(&[b"\xff"]), &[b"abc"], b"", true), None);
        assert_eq!(b64_join(Vec::new(), &[b"abc"], b"\xc3", false), None);
        let alphabet = b"AQgw+/=x \xff";
        for _ in 0..20_000 {
            let len = (next() % 16) as usize;
            let s: Vec<u8> = (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
            let text = String::from_utf8_lossy(&s);
            assert_eq!(whole(&s), decode(&s), "{text:?}");
            // A part before the last: whole groups without padding, or refused.
            let mut out = Vec::new();
            let part = b64_decode_append(&s, false, &mut out);
            assert_eq!(part, s.len() % 4 == 0 && !s.contains(&b'=') && decode(&s).is_some(), "{text:?}");
        }
    }

    #[test]
    fn hex_round_trips_and_is_lowercase() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        let h = hex(&bytes);
        assert_eq!(h.len(), 512);
        assert!(h.starts_with("000102"));
        assert!(h.ends_with("fdfeff"));
        assert_eq!(from_hex(&h).unwrap(), bytes);
        assert_eq!(from_hex("ABcd").unwrap(), [0xab, 0xcd]);
        assert_eq!(from_hex("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn from_hex_rejects_odd_length_and_non_hex() {
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex("0x12"), None);
        assert_eq!(from_hex("12 3"), None);
        assert_eq!(from_hex("é1"), None);
    }

    #[test]
    fn sha256_of_abc() {
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn base64_round_trips_with_padding() {
        assert_eq!(b64_encode(b""), "");
        assert_eq!(b64_encode(b"f"), "Zg==");
        assert_eq!(b64_encode(b"fo"), "Zm8=");
        assert_eq!(b64_encode(b"foo"), "Zm9v");
        assert_eq!(b64_encode(&[0xfb, 0xff]), "+/8=");
        assert_eq!(b64_decode("x", "Zm8=").unwrap(), b"fo");
        assert_eq!(b64_decode("x", "+/8=").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn bad_base64_is_invalid_parameter_naming_the_field() {
        for bad in ["Zm8", "Zm8=x", "Zm!=", "-_8=", "Z"] {
            let e = b64_decode("CiphertextBlob", bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameter, "{bad}");
            assert_eq!(e.field.as_deref(), Some("CiphertextBlob"));
            assert_eq!(e.message, format!("`{bad}` is not valid base64"));
        }
    }

    #[test]
    fn bad_base64_message_is_shortened() {
        let long = "!".repeat(1000);
        let e = b64_decode("CiphertextBlob", &long).unwrap_err();
        assert!(e.message.len() < 100, "{}", e.message);
        assert!(e.message.ends_with("` is not valid base64"));
    }
}
