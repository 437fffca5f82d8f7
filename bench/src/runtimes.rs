//! Part 3 of the issue: the same decision set through native Rust, Python and wasm in Node.
//!
//! `export` writes the 10,000-account organization's policy-only export and the 100,000
//! requests (caller, action, resource name, region) to a folder; `native` times the
//! binding facade (`kms_share_core::api::Organization`) on exactly those files, the way
//! the Python and Node drivers (bench/runtimes/) time the wheel and the npm package.
//! Every driver also reports its answers' agreement with native `explain`.

use std::hint::black_box;

use kms_share_core::api::{DecisionRef, DecisionRequest, Organization};
use kms_share_core::crypto::SeededRng;
use kms_share_core::snapshot::policy_export;
use kms_share_core::state::State;
use serde_json::{json, Value};

use crate::org;
use crate::stats;
use crate::{log, Args};

pub const CHUNK: usize = 10_000;

pub fn export(args: &Args) -> Value {
    let n = args.usize("accounts", 10_000);
    let count = args.usize("requests", 100_000);
    let dir = args.path("dir", "runtimes");
    std::fs::create_dir_all(&dir).expect("dir");
    log(format!("export: generating {n} accounts"));
    let o = org::generate(n, 10);
    let reqs = org::requests(&o, count, 0xced4);
    let state = serde_json::to_string(&policy_export(o.engine.state())).expect("state");
    std::fs::write(format!("{dir}/state.json"), &state).expect("write state");
    let rows: Vec<Value> = reqs
        .iter()
        .map(|r| json!([r.caller_str, r.action, o.resources[r.res].name, r.region.as_ref().map(|x| x.to_string())]))
        .collect();
    std::fs::write(format!("{dir}/requests.json"), serde_json::to_string(&rows).expect("json")).expect("write");
    // The reference answers: native explain on every request.
    let org = load(&dir);
    let reqs = requests(&dir);
    let expected: Vec<bool> =
        org.explain_batch(&reqs).into_iter().map(|d| d.map(|d| d.allowed()).unwrap_or(false)).collect();
    std::fs::write(format!("{dir}/expected.json"), serde_json::to_string(&expected).expect("json")).expect("write");
    json!({"accounts": n, "keys": o.keys, "requests": count, "stateBytes": state.len(), "dir": dir,
           "allowed": expected.iter().filter(|b| **b).count()})
}

fn load(dir: &str) -> Organization {
    let text = std::fs::read_to_string(format!("{dir}/state.json")).expect("state.json");
    let state = State::from_text(&text).expect("state");
    let mut o = Organization::new(Some(1), Box::new(SeededRng::new(1)), None).expect("org");
    o.load_state(state);
    o
}

fn requests(dir: &str) -> Vec<DecisionRequest> {
    let text = std::fs::read_to_string(format!("{dir}/requests.json")).expect("requests.json");
    let rows: Vec<(String, String, String, Option<String>)> = serde_json::from_str(&text).expect("requests");
    rows.into_iter()
        .map(|(caller, action, resource, region)| DecisionRequest { caller, action, resource, region })
        .collect()
}

/// How many answers differ from native `explain`, and how many of those are requests
/// that name a region (KI-6).
fn agreement(expected: &[bool], got: &[bool], reqs: &[DecisionRequest]) -> Value {
    let bad: Vec<usize> = (0..expected.len()).filter(|&i| expected[i] != got[i]).collect();
    let with_region = bad.iter().filter(|&&i| reqs[i].region.is_some()).count();
    let example = bad.first().map(|&i| {
        json!({"request": [reqs[i].caller, reqs[i].action, reqs[i].resource, reqs[i].region],
               "explain": expected[i], "got": got[i]})
    });
    json!({"mismatches": bad.len(), "mismatchesWithRegion": with_region, "example": example})
}

pub fn native(args: &Args) -> Value {
    let dir = args.path("dir", "runtimes");
    let rounds = args.usize("rounds", 10);
    let org = load(&dir);
    let reqs = requests(&dir);
    let expected: Vec<bool> =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/expected.json")).expect("expected"))
            .expect("expected");
    let n = reqs.len();
    let chunk = CHUNK.min(n);
    let chunk_at = |r: usize| {
        let s = (r * chunk) % (n - chunk + 1);
        &reqs[s..s + chunk]
    };
    let mut round = 0usize;
    let is_allowed = stats::rounds(rounds, chunk, || {
        for q in chunk_at(round) {
            black_box(org.is_allowed(&q.caller, &q.action, &q.resource));
        }
        round += 1;
    });
    round = 0;
    let explain = stats::rounds(rounds, chunk, || {
        for q in chunk_at(round) {
            black_box(org.explain(q).map(|d| d.allowed()).unwrap_or(false));
        }
        round += 1;
    });
    // The batches as the Python wheel passes them: borrowed requests (made here, untimed).
    let refs: Vec<DecisionRef> = reqs.iter().map(DecisionRequest::borrowed).collect();
    let allowed_batch = stats::rounds(rounds / 2, n, || {
        black_box(org.allowed_batch_of(&refs));
    });
    let explain_batch = stats::rounds(rounds / 2, n, || {
        black_box(org.explain_batch_of(&refs));
    });
    let got_allowed = org.allowed_batch_of(&refs);
    let got_single: Vec<bool> = reqs.iter().map(|q| org.is_allowed(&q.caller, &q.action, &q.resource)).collect();
    json!({
        "runtime": "native",
        "requests": n,
        "nsPerDecision": {
            "isAllowed": is_allowed,
            "explain": explain,
            "allowedBatch": allowed_batch,
            "explainBatch": explain_batch,
        },
        "agreementWithExplain": {
            "isAllowed": agreement(&expected, &got_single, &reqs),
            "allowedBatch": agreement(&expected, &got_allowed, &reqs),
        },
    })
}
