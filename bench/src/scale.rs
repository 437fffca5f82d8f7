//! Part 2 of the issue: decision time (the explained `authz::decide`, the effect-only
//! `authz::denied_by`) at 100, 10,000 and 100,000 accounts (10 keys per account, folders
//! 5 deep), `who_can`, the access matrix of an instance and a share operation at those
//! sizes. The organizations are all in memory at once and timed in interleaved rounds,
//! so the ratios between sizes see the same machine load.

use std::hint::black_box;
use std::time::Instant;

use kms_share_core::authz::{decide, denied_by};
use kms_share_core::engine::Call;
use kms_share_core::ids::{Identity, InstanceId, ShareId};
use kms_share_core::matrix::ResourceKind;
use kms_share_core::model::Principal;
use kms_share_core::policy::Context;
use serde_json::{json, Value};

use crate::org::{self, Org, Req};
use crate::stats::Summary;
use crate::{log, Args};

pub const REQUESTS: usize = 100_000;
const CHUNK: usize = 10_000;
pub const HOT: usize = 20;

struct Sized {
    org: Org,
    reqs: Vec<Req>,
    build_s: f64,
    /// Request indexes by outcome: `Allow`, `Deny:Sharing`, ...
    cats: std::collections::BTreeMap<String, Vec<usize>>,
}

pub const CATEGORIES: &[&str] = &["Allow", "Deny:Sharing", "Deny:SharePermission", "Deny:RamPolicy", "Deny:Ownership"];

/// Sanity: `decide` on the pre-resolved target, `Engine::explain` on the names and the
/// effect-only `denied_by` give the same effect and the same denying check for every
/// request; the suite stops otherwise. Returns counts.
fn check_and_count(s: &mut Sized) -> Value {
    let ctx = Context::default();
    let st = s.org.engine.state();
    let (mut allow, mut deny) = (0usize, 0usize);
    let mut effect_only_mismatch = Vec::new();
    let mut by: std::collections::BTreeMap<String, usize> = Default::default();
    for (i, r) in s.reqs.iter().enumerate() {
        let d = decide(st, &r.request(&ctx));
        let e = s
            .org
            .engine
            .explain(&r.caller, r.action, &s.org.resources[r.res].name, r.region.as_ref(), &ctx)
            .expect("explain");
        assert_eq!(
            d.effect, e.effect,
            "decide and explain disagree on {} {} {}",
            r.caller_str, r.action, s.org.resources[r.res].name
        );
        assert_eq!(d.denied_by, e.denied_by);
        let f = denied_by(st, &r.request(&ctx));
        if f != d.denied_by {
            effect_only_mismatch.push(format!(
                "{} {} {}: denied_by {f:?}, decide {:?}",
                r.caller_str, r.action, s.org.resources[r.res].name, d.denied_by
            ));
        }
        let cat = match d.denied_by {
            None => "Allow".to_string(),
            Some(c) => format!("Deny:{c:?}"),
        };
        s.cats.entry(cat).or_default().push(i);
        if d.allowed() {
            allow += 1;
        } else {
            deny += 1;
            *by.entry(format!("{:?}", d.denied_by.expect("denied by"))).or_default() += 1;
        }
    }
    if !effect_only_mismatch.is_empty() {
        eprintln!(
            "error: authz::denied_by and authz::decide(..).denied_by differ on {} of {} requests ({} accounts); first examples:",
            effect_only_mismatch.len(),
            s.reqs.len(),
            s.org.accounts
        );
        for x in effect_only_mismatch.iter().take(10) {
            eprintln!("  {x}");
        }
        std::process::exit(1);
    }
    json!({"allow": allow, "deny": deny, "deniedBy": by, "effectOnlyMismatches": effect_only_mismatch.len()})
}

fn decide_chunk(s: &Sized, round: usize) {
    let ctx = Context::default();
    let st = s.org.engine.state();
    let start = (round * CHUNK) % s.reqs.len();
    for r in &s.reqs[start..start + CHUNK] {
        black_box(decide(st, &r.request(&ctx)));
    }
}

fn explain_chunk(s: &Sized, round: usize) {
    let ctx = Context::default();
    let start = (round * CHUNK) % s.reqs.len();
    for r in &s.reqs[start..start + CHUNK] {
        black_box(
            s.org.engine.explain(&r.caller, r.action, &s.org.resources[r.res].name, r.region.as_ref(), &ctx).is_ok(),
        );
    }
}

/// Time one closure per size, interleaving the sizes round by round.
fn interleave_sizes(sizes: &[Sized], rounds: usize, ops: usize, f: impl Fn(&Sized, usize)) -> Vec<Summary> {
    for s in sizes {
        f(s, 0);
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); sizes.len()];
    for r in 0..rounds {
        for (i, s) in sizes.iter().enumerate() {
            let t = Instant::now();
            f(s, r);
            samples[i].push(t.elapsed().as_nanos() as f64 / ops as f64);
        }
    }
    samples.into_iter().map(|v| Summary::from_samples(v, ops)).collect()
}

/// A key of instance `s` (the first one created there).
fn key_of(org: &Org, s: usize) -> Option<String> {
    org.resources.iter().find(|r| r.kind == ResourceKind::Key && r.instance == s).map(|r| r.name.clone())
}

pub fn run(args: &Args) -> Value {
    let sizes: Vec<usize> =
        args.str("sizes", "100,10000,100000").split(',').map(|s| s.trim().parse().expect("size")).collect();
    let rounds = args.usize("rounds", 40);
    let mut all = Vec::new();
    for &n in &sizes {
        log(format!("scale: generating {n} accounts"));
        let t = Instant::now();
        let org = org::generate(n, 10);
        let build_s = t.elapsed().as_secs_f64();
        let reqs = org::requests(&org, REQUESTS, 0x5ca1e + n as u64);
        log(format!("scale: {n} accounts, {} keys, {} secrets in {build_s:.1}s", org.keys, org.secrets));
        all.push(Sized { org, reqs, build_s, cats: Default::default() });
    }
    let counts: Vec<Value> = all.iter_mut().map(check_and_count).collect();
    log("scale: decide");
    let decide_s = interleave_sizes(&all, rounds, CHUNK, decide_chunk);
    log("scale: denied_by (effect only)");
    let effect_only_s = interleave_sizes(&all, rounds / 2, CHUNK, |s, round| {
        let ctx = Context::default();
        let st = s.org.engine.state();
        let start = (round * CHUNK) % s.reqs.len();
        for r in &s.reqs[start..start + CHUNK] {
            black_box(denied_by(st, &r.request(&ctx)));
        }
    });
    // The same requests, but only the first HOT cycled: they stay in the CPU caches, which
    // separates the cost of the decision's work from the cost of reaching a large state.
    log("scale: decide (hot set)");
    let hot_s = interleave_sizes(&all, rounds / 2, CHUNK, |s, _| {
        let ctx = Context::default();
        let st = s.org.engine.state();
        for j in 0..CHUNK {
            let r = &s.reqs[j % HOT];
            black_box(decide(st, &r.request(&ctx)));
        }
    });
    // The same, by outcome (each outcome's own requests, cycled to CHUNK decisions a round).
    log("scale: decide by outcome");
    let mut by_outcome = serde_json::Map::new();
    for cat in CATEGORIES {
        if all.iter().any(|s| s.cats.get(*cat).is_none_or(|v| v.is_empty())) {
            continue;
        }
        let sums = interleave_sizes(&all, rounds / 4, CHUNK, |s, round| {
            let ctx = Context::default();
            let st = s.org.engine.state();
            let idx = &s.cats[*cat];
            for j in 0..CHUNK {
                let r = &s.reqs[idx[(round * CHUNK + j) % idx.len()]];
                black_box(decide(st, &r.request(&ctx)));
            }
        });
        by_outcome.insert(cat.to_string(), json!(sums));
    }
    log("scale: explain");
    let explain_s = interleave_sizes(&all, rounds / 2, CHUNK, explain_chunk);

    // who_can and the access matrix: kst-1 (shared with one folder: about the same size at
    // every scale) and kst-0 (shared with the whole directory: grows with the organization).
    log("scale: who_can / access_matrix");
    struct Q {
        k1: String,
        k0: String,
        who1: usize,
        who0: usize,
        reaching1: usize,
        reaching0: usize,
        identities: usize,
        resources: usize,
        cells: usize,
    }
    let inst1 = InstanceId::parse("kst-1").expect("id");
    let inst0 = InstanceId::parse("kst-0").expect("id");
    let qs: Vec<Q> = all
        .iter()
        .map(|s| {
            let e = &s.org.engine;
            let k1 = key_of(&s.org, 1).expect("a key in kst-1");
            let k0 = key_of(&s.org, 0).expect("a key in kst-0");
            let m = e.access_matrix(&inst1).expect("matrix");
            Q {
                who1: e.who_can("kms:Encrypt", &k1).expect("who_can").len(),
                who0: e.who_can("kms:Encrypt", &k0).expect("who_can").len(),
                k1,
                k0,
                reaching1: e.state().admitted_accounts(&inst1).len() + 1,
                reaching0: e.state().admitted_accounts(&inst0).len() + 1,
                identities: m.identities.len(),
                resources: m.resources.len(),
                cells: m.cells.len(),
            }
        })
        .collect();
    // Each size's runs back to back on a warm engine, after one untimed run. (Not
    // interleaved: a query on the largest organization evicts the smaller ones from the
    // caches and leaves millions of freed allocations for the next call to consolidate.)
    let per_size = |runs: usize, f: &dyn Fn(&Sized, &Q)| -> Vec<Summary> {
        all.iter()
            .zip(&qs)
            .map(|(s, q)| {
                crate::snapshot::trim();
                crate::stats::rounds(runs, 1, || f(s, q))
            })
            .collect()
    };
    let who1_t = per_size(11, &|s, q| {
        black_box(s.org.engine.who_can("kms:Encrypt", &q.k1).expect("who_can"));
    });
    let who0_t = per_size(5, &|s, q| {
        black_box(s.org.engine.who_can("kms:Encrypt", &q.k0).expect("who_can"));
    });
    let matrix_t = per_size(5, &|s, _| {
        black_box(s.org.engine.access_matrix(&inst1).expect("matrix"));
    });
    // A share operation at each size: an account added to kst-1's share and removed again,
    // each rebuilding the access of the share's instance (RS-6, RS-7).
    log("scale: AssociateResourceShare / DisassociateResourceShare");
    let share_ops: Vec<Value> = all.iter_mut().map(share_op).collect();
    let mut queries = Vec::new();
    for (i, s) in all.iter().enumerate() {
        let q = &qs[i];
        queries.push(json!({
            "accounts": s.org.accounts,
            "whoCanFolderShared": {"instance": "kst-1", "key": q.k1, "accountsReaching": q.reaching1, "allowed": q.who1, "ns": who1_t[i]},
            "whoCanDirectoryShared": {"instance": "kst-0", "key": q.k0, "accountsReaching": q.reaching0, "allowed": q.who0, "ns": who0_t[i]},
            "accessMatrix": {"instance": "kst-1", "identities": q.identities, "resources": q.resources,
                             "cells": q.cells, "ns": matrix_t[i],
                             "nsPerCell": matrix_t[i].median / q.cells.max(1) as f64},
            "shareOperation": share_ops[i],
        }));
    }
    let orgs: Vec<Value> = all
        .iter()
        .zip(&counts)
        .map(|(s, c)| {
            json!({
                "accounts": s.org.accounts, "folders": s.org.folders, "instances": s.org.instances,
                "keys": s.org.keys, "secrets": s.org.secrets, "buildSeconds": s.build_s,
                "requests": s.reqs.len(), "outcomes": c,
            })
        })
        .collect();
    json!({
        "sizes": sizes,
        "orgs": orgs,
        "decide": decide_s,
        "explain": explain_s,
        "decideByOutcome": by_outcome,
        "decideHot": hot_s,
        "decideHotRequests": HOT,
        "decideEffectOnly": effect_only_s,
        "queries": queries,
    })
}

/// `AssociateResourceShare` of one member account (the last in id order, of the
/// directory's enterprise, not yet a principal) to kst-1's share `rs-1` by its owner, then
/// `DisassociateResourceShare` of it: five of each, timed one by one through
/// `Engine::execute`. The organization is as it was afterwards, its audit trail aside.
fn share_op(s: &mut Sized) -> Value {
    crate::snapshot::trim();
    let st = s.org.engine.state();
    let sid = ShareId::parse("rs-1").expect("share id");
    let share = st.shares.get(&sid).expect("share rs-1");
    let dir = st.directory.as_ref().expect("a directory");
    let target = dir
        .members
        .values()
        .rev()
        .find(|m| {
            m.account != share.owner
                && !share.principals.contains_key(&Principal::Account(m.account.clone()))
                && st.accounts.get(&m.account).and_then(|a| a.enterprise_id.as_deref())
                    == Some(dir.enterprise_id.as_str())
        })
        .expect("a member account to add")
        .account
        .to_string();
    let call = |action: &str| Call {
        caller: Identity::root(share.owner.clone()),
        action: action.into(),
        params: json!({"ResourceShareId": "rs-1", "Targets": [target]}),
        at: org::AT,
        dialect: Default::default(),
    };
    let (add, remove) = (call("AssociateResourceShare"), call("DisassociateResourceShare"));
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        s.org.engine.execute(&add).expect("AssociateResourceShare");
        added.push(t.elapsed().as_nanos() as f64);
        let t = Instant::now();
        s.org.engine.execute(&remove).expect("DisassociateResourceShare");
        removed.push(t.elapsed().as_nanos() as f64);
    }
    json!({"share": "rs-1", "account": target, "associate": Summary::from_samples(added, 1),
           "disassociate": Summary::from_samples(removed, 1)})
}

/// `decide-loop --accounts N (--seconds S | --rounds R) [--explained yes]`: one
/// organization, its 100,000 requests, and nothing but the effect-only decision (or the
/// explained one) over them, in rounds of 10,000, for S seconds or exactly R rounds: a
/// process to hand to `perf record`, or with `--rounds` to `valgrind --tool=cachegrind`
/// (run it with R and with 0 rounds: the difference is the decisions' own memory
/// traffic, the same on every run, where times on a shared machine are not). The median
/// is printed as the scale part measures it.
pub fn decide_loop(args: &Args) -> Value {
    let n = args.usize("accounts", 100_000);
    let seconds = args.usize("seconds", 10) as f64;
    let rounds = args.0.contains_key("rounds").then(|| args.usize("rounds", 0));
    let explained = args.str("explained", "no") == "yes";
    let org = org::generate(n, 10);
    let reqs = org::requests(&org, REQUESTS, 0x5ca1e + n as u64);
    let span = rounds.map_or(format!("{seconds} s"), |r| format!("{r} rounds"));
    log(format!("decide-loop: {n} accounts, {} keys; timing for {span}", org.keys));
    let ctx = Context::default();
    let st = org.engine.state();
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut round = 0;
    while rounds.map_or(started.elapsed().as_secs_f64() < seconds, |r| round < r) {
        let start = (round * CHUNK) % reqs.len();
        let t = Instant::now();
        for r in &reqs[start..start + CHUNK] {
            if explained {
                black_box(decide(st, &r.request(&ctx)));
            } else {
                black_box(denied_by(st, &r.request(&ctx)));
            }
        }
        samples.push(t.elapsed().as_nanos() as f64 / CHUNK as f64);
        round += 1;
    }
    // Not dropped: the process ends here, and freeing the organization's millions of
    // allocations would otherwise differ between runs of different lengths (the allocator
    // consolidates as it goes), which a cachegrind difference would count as decisions.
    std::mem::forget(org);
    if samples.is_empty() {
        return json!({"accounts": n, "explained": explained, "rounds": 0});
    }
    let s = Summary::from_samples(samples, CHUNK);
    log(format!("decide-loop: median {:.0} ns per decision over {round} rounds", s.median));
    json!({"accounts": n, "explained": explained, "ns": s})
}

/// `latency --out F`: how long one read from memory takes on this machine when it
/// depends on the read before (as a decision's lookups do: the account's slot, then its
/// entries), at random over buffers from the size of the L1 cache to that of the
/// 100,000-account organization's heap: the floor under part 2's growth. Each buffer is
/// one cycle through all of its 64-byte lines in a random order, each line holding the
/// index of the next; the median of 7 rounds of 2,000,000 reads, after one untimed round.
pub fn latency(_args: &Args) -> Value {
    const LINE: usize = 8; // u64s per 64-byte line
    const READS: usize = 2_000_000;
    let mut rng = crate::stats::Rng::new(0x1a7e);
    let mut rows = Vec::new();
    for kib in [32usize, 256, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 128 << 10, 1 << 20] {
        let lines = kib * 1024 / 64;
        let mut order: Vec<usize> = (0..lines).collect();
        for i in (1..lines).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let mut next = vec![0u64; lines * LINE];
        for (i, &line) in order.iter().enumerate() {
            next[line * LINE] = order[(i + 1) % lines] as u64;
        }
        let mut at = order[0];
        let s = crate::stats::rounds(7, READS, || {
            for _ in 0..READS {
                at = next[at * LINE] as usize;
            }
            black_box(at);
        });
        log(format!("latency: {kib} KiB: {:.1} ns per dependent read", s.median));
        rows.push(json!({"kib": kib, "ns": s}));
    }
    json!({"reads": READS, "sizes": rows})
}
