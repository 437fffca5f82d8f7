//! Replays every input the fuzzers ever flagged (`fuzz/regressions/<target>/`)
//! and a seed from each corpus through the same entry points as the fuzz targets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod harness;

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions").join(target);
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep") {
                out.push(std::fs::read(p).unwrap());
            }
        }
    }
    out
}

#[test]
fn fuzz_regressions_replay_cleanly() {
    let mut n = 0;
    for (t, f) in [
        ("policy", harness::fuzz_policy as fn(&[u8])),
        ("scenario", harness::fuzz_scenario),
        ("blob", harness::fuzz_blob),
        ("snapshot", harness::fuzz_snapshot),
        ("ops", harness::fuzz_ops),
    ] {
        for input in inputs(t) {
            f(&input);
            n += 1;
        }
        // Always exercise each entry point at least once.
        f(b"{\"Version\":\"1\"}");
        f(&[0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    }
    eprintln!("replayed {n} fuzz regression input(s)");
}
