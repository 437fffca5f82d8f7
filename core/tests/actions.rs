//! The action table (`core/src/action.rs`) is the one vocabulary: its rows follow the
//! variants, every name parses back to its row, and no action name is spelled anywhere
//! else in the code (tests aside), so a call cannot be matched on a string the table does
//! not hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use kms_share_core::action::{Action, Kind, SPECS};

#[test]
fn rows_follow_the_variants_and_every_name_parses_back() {
    for (i, s) in SPECS.iter().enumerate() {
        assert_eq!(s.action as usize, i, "row {i} ({}) is out of order", s.name);
        assert_eq!(s.action.spec(), s);
        if !s.ram.is_empty() {
            assert_eq!(Action::parse_ram(s.ram), Some(s.action), "{}", s.ram);
            assert_eq!(Action::parse_ram(&s.ram.to_ascii_uppercase()), Some(s.action), "RAM actions ignore case");
        }
        // Version 1 documents name KMS calls by their RAM action, the others by name.
        let v1 = if s.ram.starts_with("kms:") { s.ram } else { s.name };
        assert_eq!(Action::parse(v1), Some(s.action), "{v1}");
    }
    let mut names: Vec<(&str, &str)> = SPECS.iter().map(|s| (s.ram, s.name)).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), SPECS.len(), "two rows name the same action");
    assert_eq!(Action::parse("kms:Nope"), None);
    assert_eq!(Action::parse("Encrypt"), None, "version 1 names KMS calls by their RAM action");
}

#[test]
fn queries_change_nothing_and_every_call_that_changes_the_state_is_decided() {
    for s in SPECS {
        if s.kind == Kind::Query {
            assert!(!s.mutates, "{} is a query that changes the state", s.name);
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The string literals of a source file, tests (`#[cfg(test)]` and what follows) and
/// the TypeScript type names of wasm-bindgen attributes aside.
fn literals(text: &str) -> Vec<(usize, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let code = code.split("#[cfg(all(test").next().unwrap_or("");
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with("//") || line.starts_with("#[wasm_bindgen(") {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find('"') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('"') else { break };
            out.push((n + 1, after[..end].to_string()));
            rest = &after[end + 1..];
        }
    }
    out
}

#[test]
fn no_action_name_is_spelled_outside_the_table() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["core/src", "cli/src", "bindings-python/src", "bindings-wasm/src", "pkcs11/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut found = Vec::new();
    // `tests.rs` files are test modules (`#[cfg(test)] mod tests;`).
    for f in files.iter().filter(|f| !f.ends_with("core/src/action.rs") && !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        for (line, lit) in literals(&text) {
            for s in SPECS {
                let exact = lit == s.name || (!s.ram.is_empty() && lit == s.ram);
                let ram_inside = !s.ram.is_empty() && contains_word(&lit, s.ram);
                if exact || ram_inside {
                    found.push(format!(
                        "{}:{line}: `{lit}` spells {}",
                        f.strip_prefix(&root).unwrap().display(),
                        s.name
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "action names spelled outside core/src/action.rs:\n{}", found.join("\n"));
}

/// `word` in `text`, not as part of a longer name (`kms:Encrypt` is not in `kms:EncryptX`).
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let next = text[i + word.len()..].chars().next();
        !next.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}
