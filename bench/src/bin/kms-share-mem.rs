//! `kms-share-mem`: where the held memory of a loaded organization goes (issue 18's
//! memory target). It loads the sealed snapshot as `kms-share serve` does
//! (`Engine::load_sealed_owned`), then frees the engine's parts one after the other and
//! counts the heap bytes and allocations each one frees. The count is a global
//! allocator of this binary's own, so that no timed benchmark of `kms-share-bench`
//! pays for it.
//!
//! ```text
//! kms-share-mem --snapshot org.snapshot [--out mem.json]
//! ```
//!
//! Bytes are those asked of the allocator (its own overhead per allocation, 8 to 16
//! bytes with glibc, comes on top: the allocations are counted for that reason).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

use kms_share_core::crypto::SeededRng;
use kms_share_core::engine::Engine;
use serde_json::{json, Value};

/// Heap bytes and allocations live.
static BYTES: AtomicI64 = AtomicI64::new(0);
static ALLOCATIONS: AtomicI64 = AtomicI64::new(0);

/// The system allocator, counting.
struct Counting;

// SAFETY: every call is passed on to the system allocator unchanged; only counters are
// updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        ALLOCATIONS.fetch_sub(1, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The root key the suite seals its snapshot under (`ROOT_KEY` of `bench/src/snapshot.rs`).
const ROOT_KEY: [u8; 32] = [0x42; 32];

fn live() -> (i64, i64) {
    (BYTES.load(Ordering::Relaxed), ALLOCATIONS.load(Ordering::Relaxed))
}

/// The parts freed so far, each with the bytes and allocations it freed.
struct Parts {
    last: (i64, i64),
    keys: usize,
    rows: Vec<Value>,
}

impl Parts {
    /// Record what was freed since the last part as `name`.
    fn freed(&mut self, name: &str) {
        let now = live();
        let (bytes, allocations) = (self.last.0 - now.0, self.last.1 - now.1);
        self.rows.push(json!({
            "part": name,
            "bytes": bytes,
            "allocations": allocations,
            "bytesPerKey": bytes as f64 / self.keys.max(1) as f64,
        }));
        // Counted after the row is written, so that the row's own allocations are not
        // taken from the next part's.
        self.last = live();
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| argv.iter().position(|a| a == name).and_then(|i| argv.get(i + 1)).cloned();
    let Some(path) = arg("--snapshot") else {
        eprintln!("usage: kms-share-mem --snapshot org.snapshot [--out mem.json]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut engine =
        Engine::load_sealed_owned(text, &ROOT_KEY, Box::new(SeededRng::new(3))).expect("the snapshot loads");
    let total = live();
    let keys = engine.state().keys.len();
    let accounts = engine.state().accounts.len();
    let mut parts = Parts { last: total, keys, rows: Vec::new() };
    let state = engine.state_mut();
    // What a key holds outside its record: short text (spec, handles) and a key's only
    // version are kept in it.
    for k in state.keys.values_mut() {
        drop(std::mem::take(&mut k.versions));
        drop(std::mem::take(&mut k.spec));
        drop(std::mem::take(&mut k.tags));
        drop(std::mem::take(&mut k.description));
    }
    parts.freed("keys: what a record holds outside itself (versions past the first, a spec or handle over 30 bytes, tags, description)");
    drop(std::mem::take(&mut state.keys));
    parts.freed("keys: the records (`Key`) and their map (slots, hash index, tree entries of keys added out of order)");
    for r in state.ram.values_mut() {
        drop(std::mem::take(&mut r.policies));
    }
    parts.freed("RAM: policies (document text and compiled statements)");
    for r in state.ram.values_mut() {
        drop(std::mem::take(&mut r.users));
        drop(std::mem::take(&mut r.roles));
        drop(std::mem::take(&mut r.trust));
    }
    parts.freed("RAM: users and roles with their policy names, trust policies");
    drop(std::mem::take(&mut state.ram));
    parts.freed("RAM: the accounts' records and their map");
    drop(std::mem::take(&mut state.directory));
    parts.freed("directory: folders and members");
    drop(std::mem::take(&mut state.accounts));
    parts.freed("accounts");
    drop(std::mem::take(&mut state.secrets));
    parts.freed("secrets");
    drop(std::mem::take(&mut state.admission));
    parts.freed("admission order (per instance)");
    drop((
        std::mem::take(&mut state.instances),
        std::mem::take(&mut state.shares),
        std::mem::take(&mut state.aliases),
        std::mem::take(&mut state.access_points),
        std::mem::take(&mut state.backups),
        std::mem::take(&mut state.audit),
        std::mem::take(&mut state.gaps),
    ));
    parts.freed("instances, shares, aliases, access points, backups, audit trail, gaps");
    drop(std::mem::take(state));
    parts.freed("derived index (access, reach by slots, RAM layout, per-instance sets and counts, names)");
    drop(engine);
    parts.freed("key material (the software backend: sealed entries by handle)");
    let out = json!({
        "what": "heap of Engine::load_sealed_owned of the snapshot, freed part by part",
        "keys": keys,
        "accounts": accounts,
        "liveBytes": total.0,
        "liveAllocations": total.1,
        "bytesPerKey": total.0 as f64 / keys.max(1) as f64,
        "leftBytes": parts.last.0,
        "parts": parts.rows,
    });
    let text = serde_json::to_string_pretty(&out).expect("json") + "\n";
    match arg("--out") {
        Some(p) => std::fs::write(&p, text).unwrap_or_else(|e| panic!("{p}: {e}")),
        None => print!("{text}"),
    }
}
