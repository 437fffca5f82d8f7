//! The native side of `make bench-wasm`: the median cost of one decision on the Department
//! A/B organization, with the same requests, rounds and report as `bench/decision.mjs`
//! (which times the same calls through the npm package in Node).
//!
//! `cargo run --release -p kms-share-wasm --example decision_bench [SCENARIO.json]`

use std::time::Instant;

use kms_share_core::api::{DecisionRequest, Organization};
use kms_share_core::crypto::SeededRng;

const ROUNDS: usize = 31;
const CALLS: usize = 2_000;

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/01-dept-a-shares-with-dept-b.json").into()
    });
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // The scenario has a seed, so the generator is never asked for randomness.
    let (org, _) = Organization::from_scenario(&text, Box::new(SeededRng::new(0))).map_err(|e| e.to_string())?;
    for (name, caller, action, resource) in REQUESTS {
        let req = DecisionRequest {
            caller: caller.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            region: None,
        };
        let allowed = median_ns(|| org.is_allowed(caller, action, resource));
        let explain = median_ns(|| org.explain(&req).is_ok());
        println!(
            "{{\"runtime\":\"native\",\"request\":\"{name}\",\"isAllowedNs\":{allowed:.0},\"explainNs\":{explain:.0}}}"
        );
    }
    Ok(())
}

/// The requests both sides time: an Allow and a Deny.
const REQUESTS: [(&str, &str, &str, &str); 2] = [
    ("allow", "acs:ram::1000000000000003:user/alice", "kms:Encrypt", "key-b1"),
    ("deny", "acs:ram::1000000000000001:root", "kms:Encrypt", "key-b1"),
];

/// Median over rounds of the mean time of one call in a round.
fn median_ns(mut f: impl FnMut() -> bool) -> f64 {
    let mut sink = 0usize;
    for _ in 0..CALLS {
        sink += usize::from(f());
    }
    let mut per_call: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..CALLS {
                sink += usize::from(std::hint::black_box(f()));
            }
            t.elapsed().as_nanos() as f64 / CALLS as f64
        })
        .collect();
    std::hint::black_box(sink);
    per_call.sort_by(f64::total_cmp);
    per_call.get(ROUNDS / 2).copied().unwrap_or(f64::NAN)
}
