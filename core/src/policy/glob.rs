//! Wildcard matching for actions, resources and `StringLike` conditions (RAM-2).
//!
//! `*` matches any run of characters (including none) and `?` exactly one.
//! The matcher splits the pattern at `*` into literal segments: the first is
//! anchored at the start of the text, the last at its end, and each segment in
//! between is taken at its leftmost occurrence in what remains, which is
//! enough for glob semantics (a later occurrence can never help). So it never
//! backtracks over earlier segments, never recurses and allocates nothing.
//!
//! Cost: case-sensitive segments without `?` compare as bytes; a middle one is searched
//! naively when text × segment is small (a resource ARN), else with the standard
//! library's two-way search, which is linear. At worst O(text × segment) for a segment
//! with `?` or under case folding. Never exponential.

/// How characters compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// Exactly (resources, `StringLike`).
    Sensitive,
    /// Case-insensitively, the pattern already folded with [`fold_str`] at
    /// parse time, so only text characters are folded.
    FoldText,
    /// Case-insensitively, folding both sides.
    FoldBoth,
}

/// `*` matches any run (including empty), `?` one character.
///
/// With `case_insensitive`, characters compare after simple lowercase folding
/// (a character whose lowercase form is several characters compares as is).
/// Iterative, allocation-free and never exponential: safe on megabyte inputs.
///
/// ```
/// use kms_share_core::policy::glob_match;
/// assert!(glob_match("acs:kms:*:*:key/*", "acs:kms:cn-hangzhou:1234:key/k-1", false));
/// assert!(glob_match("kms:*", "KMS:Encrypt", true));
/// assert!(!glob_match("kms:Decrypt?", "kms:Decrypt", false));
/// ```
pub fn glob_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let case = if case_insensitive { Case::FoldBoth } else { Case::Sensitive };
    glob(pattern, text, case)
}

/// [`glob_match`] with an explicit [`Case`].
pub(crate) fn glob(pattern: &str, text: &str, case: Case) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return match_prefix(pattern, text, case) == Some(text.len());
    };
    let (middle, tail) = rest.rsplit_once('*').unwrap_or(("", rest));
    glob_split(head, middle, tail, text, case)
}

/// [`glob`] of a pattern with at least one `*`, given as what comes before its first
/// `*`, between its first and last (more `*`s, or nothing), and after its last.
fn glob_split(head: &str, middle: &str, tail: &str, text: &str, case: Case) -> bool {
    let Some(after_head) = match_prefix(head, text, case) else {
        return false;
    };
    let Some(text) = text.get(after_head..) else {
        return false;
    };
    // The tail is anchored at the end of what the head left, so they never overlap.
    let Some(tail_start) = match_suffix(tail, text, case) else {
        return false;
    };
    let Some(mut window) = text.get(..tail_start) else {
        return false;
    };
    for segment in middle.split('*').filter(|s| !s.is_empty()) {
        let Some(end) = find(segment, window, case) else {
            return false;
        };
        let Some(rest) = window.get(end..) else {
            return false;
        };
        window = rest;
    }
    true
}

/// A policy's pattern. Natively and in the decision-only WebAssembly module it keeps
/// where its first and last `*` are, found once when the policy is read: matching
/// scanned the pattern for them at every decision (a third of the matching's time in an
/// organization's effect-only decisions). The whole-engine module, whose size is held
/// under a ceiling, keeps the text alone and scans it ([`glob`]); the answers are the
/// same.
#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern {
    text: alloc::boxed::Box<str>,
    stars: Stars,
}

/// Where a [`Pattern`]'s `*`s are.
#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stars {
    /// None: the pattern is matched whole.
    None,
    /// Byte offsets of the first and the last `*` (the same when there is one), in 16
    /// bits so that a pattern takes no more room than its text as a `String` would.
    At(u16, u16),
    /// Offsets past 16 bits (a pattern of more than 64 KiB): found at each match.
    Scan,
}

/// A policy's pattern: its text (see the other builds' `Pattern`).
#[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
pub(crate) type Pattern = alloc::string::String;

/// What the policy module reads of a [`Pattern`], the same in every build.
pub(crate) trait PatternText {
    /// The pattern as written (folded, for an action pattern).
    fn text(&self) -> &str;
    /// Whether `text` matches, as [`glob`] answers.
    fn matches(&self, text: &str, case: Case) -> bool;
}

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
impl Pattern {
    /// The pattern `text`.
    pub(crate) fn new(text: alloc::string::String) -> Pattern {
        Pattern { stars: Stars::of(&text), text: text.into_boxed_str() }
    }

    /// Where the pattern's `*`s are.
    pub(crate) fn stars(&self) -> Stars {
        self.stars
    }
}

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
impl Stars {
    /// Where the `*`s of `pattern` are.
    pub(crate) fn of(pattern: &str) -> Stars {
        match pattern.find('*').zip(pattern.rfind('*')) {
            None => Stars::None,
            Some((first, last)) => match (u16::try_from(first), u16::try_from(last)) {
                (Ok(first), Ok(last)) => Stars::At(first, last),
                _ => Stars::Scan,
            },
        }
    }

    /// Whether `text` matches `pattern`, whose `*`s these are ([`Stars::of`]), as
    /// [`glob`] answers.
    pub(crate) fn matches(self, pattern: &str, text: &str, case: Case) -> bool {
        let (first, last) = match self {
            Stars::None => return match_prefix(pattern, text, case) == Some(text.len()),
            Stars::Scan => return glob(pattern, text, case),
            Stars::At(first, last) => (usize::from(first), usize::from(last)),
        };
        match (pattern.get(..first), pattern.get((first + 1).min(last)..last), pattern.get(last + 1..)) {
            (Some(head), Some(middle), Some(tail)) => glob_split(head, middle, tail, text, case),
            // Offsets found in this very text: never taken.
            _ => glob(pattern, text, case),
        }
    }
}

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
impl PatternText for Pattern {
    fn text(&self) -> &str {
        &self.text
    }

    fn matches(&self, text: &str, case: Case) -> bool {
        self.stars.matches(&self.text, text, case)
    }
}

#[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
impl PatternText for Pattern {
    fn text(&self) -> &str {
        self
    }

    fn matches(&self, text: &str, case: Case) -> bool {
        glob(self, text, case)
    }
}

/// Fold one character to lowercase when that gives exactly one character.
///
/// Single-character folding keeps `?` meaning one character on both sides.
pub(crate) fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Fold a whole string with [`fold`].
pub(crate) fn fold_str(s: &str) -> alloc::string::String {
    // ASCII text (every action and most resources) folds byte by byte, in one copy.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(fold).collect()
}

/// Case-insensitive equality with [`fold`], without allocating.
pub(crate) fn eq_fold(a: &str, b: &str) -> bool {
    a.chars().map(fold).eq(b.chars().map(fold))
}

fn char_eq(p: char, t: char, case: Case) -> bool {
    p == '?'
        || p == t
        || match case {
            Case::Sensitive => false,
            Case::FoldText => p == fold(t),
            Case::FoldBoth => fold(p) == fold(t),
        }
}

/// Match a `*`-free segment at the start of `text`; the byte length it covers.
/// A segment that compares as bytes: case-sensitive and without `?`. (Byte comparison is
/// character comparison then: UTF-8 never matches inside a character.)
fn is_literal(segment: &str, case: Case) -> bool {
    case == Case::Sensitive && !segment.as_bytes().contains(&b'?')
}

fn match_prefix(segment: &str, text: &str, case: Case) -> Option<usize> {
    if is_literal(segment, case) {
        return text.as_bytes().starts_with(segment.as_bytes()).then_some(segment.len());
    }
    let mut chars = text.char_indices();
    for p in segment.chars() {
        let (_, t) = chars.next()?;
        if !char_eq(p, t, case) {
            return None;
        }
    }
    Some(chars.offset())
}

/// Match a `*`-free segment at the end of `text`; the byte offset where it starts.
fn match_suffix(segment: &str, text: &str, case: Case) -> Option<usize> {
    if is_literal(segment, case) {
        return text.as_bytes().ends_with(segment.as_bytes()).then(|| text.len() - segment.len());
    }
    let mut chars = text.char_indices();
    let mut start = text.len();
    for p in segment.chars().rev() {
        let (i, t) = chars.next_back()?;
        if !char_eq(p, t, case) {
            return None;
        }
        start = i;
    }
    Some(start)
}

/// The leftmost occurrence of a `*`-free segment in `text`; the byte offset just after it.
/// Above this many byte comparisons at worst, a literal segment is searched with the
/// standard library's two-way search (linear, but its set-up costs more than a naive
/// search of a resource ARN for a short segment, which is what decisions do).
const NAIVE_SEARCH_MAX: usize = 4096;

fn find(segment: &str, text: &str, case: Case) -> Option<usize> {
    if is_literal(segment, case) {
        let (needle, hay) = (segment.as_bytes(), text.as_bytes());
        if needle.len().saturating_mul(hay.len()) > NAIVE_SEARCH_MAX {
            return text.find(segment).map(|start| start + segment.len());
        }
        let Some((&first, rest)) = needle.split_first() else { return Some(0) };
        let mut from = 0;
        while let Some(at) = hay.get(from..).and_then(|h| h.iter().position(|&b| b == first)) {
            let start = from + at;
            if hay.get(start + 1..start + needle.len()) == Some(rest) {
                return Some(start + needle.len());
            }
            from = start + 1;
        }
        return None;
    }
    text.char_indices().find_map(|(i, _)| {
        let rest = text.get(i..)?;
        match_prefix(segment, rest, case).map(|len| i + len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    /// Glob semantics by backtracking over characters: slow, obviously right.
    fn reference(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| reference(rest, t.get(i..).unwrap_or(&[]))),
            Some((c, rest)) => match t.split_first() {
                Some((d, trest)) => (*c == '?' || c == d) && reference(rest, trest),
                None => false,
            },
        }
    }

    #[test]
    fn byte_and_character_paths_agree_with_a_reference_matcher_ram2() {
        let long = "ab".repeat(3000) + "key/é-z";
        let texts = [
            "",
            "a",
            "acs:kms:cn-hangzhou:1234567890123456:key/key-abc",
            "acs:kms:cn-hangzhou:1234567890123456:secret/db",
            "aaab",
            "abab",
            "kéy/é",
            "ééé",
            long.as_str(),
        ];
        let patterns = [
            "",
            "*",
            "a",
            "a*",
            "*b",
            "acs:kms:*:*:key/*",
            "acs:kms:*:1234567890123456:*",
            "*:key/*",
            "*ab*ab*",
            "a*a*b",
            "*é*",
            "k*/é",
            "*key/é-z",
            "*ab*key/*",
            "a?a*b",
            "*?",
            "é*é",
        ];
        for p in patterns {
            for t in texts {
                let pc: Vec<char> = p.chars().collect();
                let tc: Vec<char> = t.chars().collect();
                let want = if t.len() > 100 && p.matches('*').count() > 1 {
                    // The reference is exponential there; those cases are decided by hand.
                    continue;
                } else {
                    reference(&pc, &tc)
                };
                assert_eq!(glob(p, t, Case::Sensitive), want, "pattern {p:?} text {:?}", t.get(..40));
                // A policy's pattern, its stars found when it was read, answers the same.
                let compiled = Pattern::new(p.into());
                assert_eq!(compiled.matches(t, Case::Sensitive), want, "compiled {p:?} text {:?}", t.get(..40));
                assert_eq!(compiled.text(), p);
            }
        }
        // A pattern whose `*` lies past 16-bit offsets is scanned at each match instead.
        let far = "a".repeat(70_000) + "*z";
        let compiled = Pattern::new(far.clone());
        assert_eq!(compiled.stars, Stars::Scan);
        assert!(compiled.matches(&("a".repeat(70_000) + "xyz"), Case::Sensitive));
        assert!(!compiled.matches(&("a".repeat(69_999) + "xyz"), Case::Sensitive));
        assert_eq!(Pattern::new("acs:kms:*:*:key/*".into()).stars, Stars::At(8, 16));
        // The long text takes the two-way search (past NAIVE_SEARCH_MAX), the ARN the naive one.
        assert!(glob("*ab*key/*", &long, Case::Sensitive));
        assert!(!glob("*ba*key/x*", &long, Case::Sensitive));
        assert!(long.len() * 4 > NAIVE_SEARCH_MAX);
    }

    #[test]
    fn star_matches_any_run_including_empty_ram2() {
        assert!(glob_match("*", "", false));
        assert!(glob_match("*", "anything", false));
        assert!(glob_match("a*", "a", false));
        assert!(glob_match("*a", "a", false));
        assert!(glob_match("a*b*c", "abc", false));
        assert!(glob_match("a*b*c", "a-x-b-y-c", false));
        assert!(glob_match("a**c", "ac", false));
        assert!(!glob_match("a*a", "a", false));
        assert!(!glob_match("a*b", "ba", false));
        assert!(!glob_match("a*b*c", "acb", false));
    }

    #[test]
    fn question_mark_matches_exactly_one_char_ram2() {
        assert!(glob_match("?", "x", false));
        assert!(!glob_match("?", "", false));
        assert!(!glob_match("?", "xy", false));
        assert!(glob_match("k?y", "kéy", false));
        assert!(glob_match("*?", "é", false));
        assert!(!glob_match("*??", "é", false));
        assert!(glob_match("a*?b?*c", "aXbYc", false));
        assert!(!glob_match("a*?b?*c", "abYc", false));
    }

    #[test]
    fn no_wildcard_is_exact_match_ram2() {
        assert!(glob_match("", "", false));
        assert!(!glob_match("", "a", false));
        assert!(glob_match("kms:Encrypt", "kms:Encrypt", false));
        assert!(!glob_match("kms:Encrypt", "kms:EncryptX", false));
        assert!(!glob_match("kms:Encrypt", "kms:Encryp", false));
    }

    #[test]
    fn resources_match_with_wildcards_ram3() {
        let p = "acs:kms:*:*:key/*";
        assert!(glob_match(p, "acs:kms:cn-hangzhou:1234567890123456:key/key-abc", false));
        assert!(!glob_match(p, "acs:kms:cn-hangzhou:1234567890123456:secret/db", false));
        assert!(!glob_match(p, "ACS:KMS:cn-hangzhou:1234567890123456:key/key-abc", false));
    }

    #[test]
    fn case_insensitive_folds_both_sides_ram2() {
        assert!(glob_match("KMS:encrypt", "kms:Encrypt", true));
        assert!(glob_match("kms:*", "KMS:Decrypt", true));
        assert!(glob_match("*:ENCRYPT", "kms:encrypt", true));
        assert!(glob_match("kms:?ncrypt", "KMS:ENCRYPT", true));
        assert!(glob_match("ÄB*", "äbc", true));
        assert!(!glob_match("KMS:encrypt", "kms:Encrypt", false));
        assert!(glob("kms:*crypt", "KMS:DeCRYPT", Case::FoldText));
        assert!(eq_fold("StringÄ", "stringä"));
        assert!(!eq_fold("abc", "abcd"));
    }

    #[test]
    fn glob_no_exponential_blowup() {
        let text: String = "a".repeat(1 << 20);
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!glob_match(pattern, &text, false));
        assert!(!glob_match(pattern, &text, true));
        assert!(glob_match(&pattern.replace('b', "a"), &text, true));
        let big_pattern = alloc::format!("*{}b*", "a".repeat(1 << 19));
        assert!(!glob_match(&big_pattern, &text, false));
        let qs = alloc::format!("{}*", "?".repeat(1 << 20));
        assert!(glob_match(&qs, &text, false));
        assert!(!glob_match(&alloc::format!("?{qs}"), &text, false));
    }
}
