//! The Rust side of `bench/bench_decisions.py`: the cost of one decision through
//! `kms_share_core::api::Organization`, on the same organization and requests the
//! Python bench uses (scenario 01 of the corpus), so the two reports compare the
//! binding's overhead with the engine's own cost.
//!
//! `cargo bench -p kms-share-python --bench explain` (or `make bench-python`).

use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

use kms_share_core::api::{DecisionRequest, Organization};
use kms_share_core::crypto::OsRng;

const ALICE: &str = "acs:ram::1000000000000003:user/alice";
const KEY: &str = "key-b1";
const ROUNDS: usize = 5;
const CALLS: usize = 20_000;
const BATCH: usize = 100_000;

fn main() -> Result<(), Box<dyn Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/01-dept-a-shares-with-dept-b.json");
    let text = std::fs::read_to_string(path)?;
    let (org, _) = Organization::from_scenario(&text, Box::new(OsRng))?;
    let allow = request(ALICE, "kms:Encrypt", KEY);
    let deny = request(ALICE, "kms:ScheduleKeyDeletion", KEY);
    let mixed: Vec<DecisionRequest> =
        (0..BATCH).map(|i| if i % 2 == 0 { allow.clone() } else { deny.clone() }).collect();

    println!("kms-share decisions through Rust (best of {ROUNDS}), ns per decision");
    report("explain (Allow)", CALLS, || {
        for _ in 0..CALLS {
            black_box(org.explain(black_box(&allow)).is_ok());
        }
    });
    report("explain (Deny)", CALLS, || {
        for _ in 0..CALLS {
            black_box(org.explain(black_box(&deny)).is_ok());
        }
    });
    report("is_allowed", CALLS, || {
        for _ in 0..CALLS {
            black_box(org.is_allowed(black_box(ALICE), "kms:Encrypt", KEY));
        }
    });
    report("explain_batch (100k mixed)", BATCH, || {
        black_box(org.explain_batch(black_box(&mixed)).len());
    });
    report("allowed_batch (100k mixed)", BATCH, || {
        black_box(org.allowed_batch(black_box(&mixed)).len());
    });
    Ok(())
}

fn request(caller: &str, action: &str, resource: &str) -> DecisionRequest {
    DecisionRequest { caller: caller.into(), action: action.into(), resource: resource.into(), region: None }
}

/// Time `f` (which makes `n` decisions) `ROUNDS` times; print the best per-decision time.
fn report(name: &str, n: usize, mut f: impl FnMut()) {
    let best = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos()
        })
        .min()
        .unwrap_or(0);
    println!("  {name:<30} {:>8.0}", best as f64 / n as f64);
}
