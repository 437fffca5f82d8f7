//! Part 5 (state: sealed snapshot save and load of the 100,000-account organization) and
//! the memory figure of part 2 (peak RSS), each RSS figure in a process of its own.

use std::hint::black_box;
use std::time::Instant;

use kms_share_core::api::Organization;
use kms_share_core::crypto::{AesKey, SeededRng};
use kms_share_core::snapshot::policy_export;
use kms_share_core::state::State;
use kms_share_core::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::org;
use crate::stats::{self, Summary};
use crate::{log, Args};

pub const ROOT_KEY: [u8; 32] = [0x42; 32];

extern "C" {
    fn malloc_trim(pad: usize) -> i32;
}

/// Give freed memory back to the OS so that VmRSS shows what is live.
pub fn trim() {
    // SAFETY: glibc's malloc_trim only releases free heap memory; no pointer is involved.
    #[allow(unsafe_code)]
    unsafe {
        malloc_trim(0);
    }
}

fn secs(v: Vec<f64>) -> Summary {
    Summary::from_samples(v, 1)
}

/// The sealed snapshot's envelope: the body borrowed as its exact text, never copied
/// (the other members are not read here).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    version: u32,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// The body's members as their exact text, for their sizes and for timing the state alone.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BodyRaw<'a> {
    #[serde(borrow)]
    state: &'a RawValue,
    #[serde(borrow)]
    sealed_keys: &'a RawValue,
    #[serde(borrow, default)]
    hardware_keys: Option<&'a RawValue>,
    #[serde(borrow, default)]
    key_table: Option<&'a RawValue>,
}

/// A snapshot's sizes: the version, the body's, and its members' (state, sealed keys,
/// key table).
fn sizes(text: &str) -> (u32, usize, usize, usize, usize) {
    let env: Envelope = serde_json::from_str(text).expect("envelope");
    let raw: BodyRaw = serde_json::from_str(env.body.get()).expect("body members");
    assert!(raw.hardware_keys.is_none_or(|h| h.get() == "{}"), "no hardware instance in the generated org");
    let table = raw.key_table.map_or(0, |t| t.get().len());
    (env.version, env.body.get().len(), raw.state.get().len(), raw.sealed_keys.get().len(), table)
}

pub fn run(args: &Args) -> Value {
    let n = args.usize("accounts", 100_000);
    let reps = args.usize("rounds", 3);
    let snap_path = args.path("snapshot", "org.snapshot");
    let export_path = args.path("export", "org.policy.json");
    log(format!("state: generating {n} accounts"));
    let org = org::generate(n, 10);
    let (keys, secrets) = (org.keys, org.secrets);
    let mut engine = org.engine;
    let versions: usize = engine.state().keys.values().map(|k| k.versions.len()).sum();

    // The version this build writes (3), then version 2 (JSON throughout, what the
    // WebAssembly module writes and reads) for comparison; the two alternate.
    log("state: save_sealed (version 3) and save_sealed_as(.., 2), alternating");
    let (mut save, mut save_v2) = (Vec::new(), Vec::new());
    let (mut text, mut text_v2) = (String::new(), String::new());
    for _ in 0..reps {
        drop((std::mem::take(&mut text), std::mem::take(&mut text_v2)));
        let t = Instant::now();
        text = engine.save_sealed(&ROOT_KEY).expect("save_sealed");
        save.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        text_v2 = engine.save_sealed_as(&ROOT_KEY, 2).expect("save_sealed_as");
        save_v2.push(t.elapsed().as_secs_f64());
    }
    std::fs::write(&snap_path, &text).expect("write snapshot");
    let (version, body_len, state_len, sealed_len, table_len) = sizes(&text);
    assert_eq!(version, 3, "this build writes version 3");
    let (_, body_v2, state_v2, sealed_v2, _) = sizes(&text_v2);

    std::fs::write(&export_path, serde_json::to_string(&policy_export(engine.state())).expect("export"))
        .expect("write export");

    let key_count = engine.state().keys.len();
    drop(engine);
    log("state: load_sealed of each version, alternating, then each on one thread with its stages timed");
    let (loads, loads_v2) = time_loads(&text, &text_v2, key_count, reps);

    json!({
        "accounts": n,
        "keys": keys,
        "secrets": secrets,
        "keyVersions": versions,
        "snapshotVersion": version,
        "snapshotBytes": text.len(),
        "bodyBytes": body_len,
        "stateJsonBytes": state_len,
        "sealedKeysJsonBytes": sealed_len,
        "keyTableBytes": table_len,
        "bytesPerKey": text.len() as f64 / keys as f64,
        "saveSeconds": secs(save),
        "loadSeconds": loads["loadSeconds"],
        "loadOneThreadSeconds": loads["loadOneThreadSeconds"],
        "loadBreakdownSeconds": loads["loadBreakdownSeconds"],
        "loadBreakdownRounds": reps,
        "bodyParseStateSeconds": loads["bodyParseStateSeconds"],
        "version2": {
            "snapshotBytes": text_v2.len(),
            "bodyBytes": body_v2,
            "stateJsonBytes": state_v2,
            "sealedKeysJsonBytes": sealed_v2,
            "saveSeconds": secs(save_v2),
            "loadSeconds": loads_v2["loadSeconds"],
            "loadBreakdownSeconds": loads_v2["loadBreakdownSeconds"],
        },
        "snapshotPath": snap_path,
        "exportPath": export_path,
    })
}

/// `reps` timed loads of each snapshot (`text`, and `other` when given), alternating:
/// each round a load as hosts load (`Engine::load_sealed_into`, which reads some stages
/// of a large snapshot at once on two threads), then one on one thread with its stages
/// timed as it runs them (`Engine::load_staged`). Per snapshot `loadSeconds`,
/// `loadOneThreadSeconds`, `loadBreakdownSeconds` (medians, in the load's order) and
/// `bodyParseStateSeconds` (the body's state JSON alone, parsed after each load).
fn time_loads(text: &str, other: &str, key_count: usize, reps: usize) -> (Value, Value) {
    let texts: Vec<&str> = [text, other].into_iter().filter(|t| !t.is_empty()).collect();
    let mut load: Vec<Vec<f64>> = vec![Vec::new(); texts.len()];
    let mut one_thread: Vec<Vec<f64>> = vec![Vec::new(); texts.len()];
    let mut stages: Vec<Vec<(&'static str, Vec<f64>)>> = vec![Vec::new(); texts.len()];
    let mut state_alone: Vec<Vec<f64>> = vec![Vec::new(); texts.len()];
    for _ in 0..reps {
        for (i, text) in texts.iter().enumerate() {
            let mut e = Engine::new(Box::new(SeededRng::new(3)));
            let t = Instant::now();
            e.load_sealed_into(text, &ROOT_KEY).expect("load_sealed");
            load[i].push(t.elapsed().as_secs_f64());
            assert_eq!(e.state().keys.len(), key_count);
            drop(e);
            let mut e = Engine::new(Box::new(SeededRng::new(3)));
            let mut marks: Vec<(&'static str, Instant)> = Vec::new();
            let t = Instant::now();
            e.load_staged(text, &ROOT_KEY, |stage| marks.push((stage, Instant::now()))).expect("load_staged");
            one_thread[i].push(t.elapsed().as_secs_f64());
            assert_eq!(e.state().keys.len(), key_count);
            drop(e);
            let mut from = t;
            for (k, (stage, at)) in marks.into_iter().enumerate() {
                if stages[i].len() <= k {
                    stages[i].push((stage, Vec::new()));
                }
                stages[i][k].1.push(at.duration_since(from).as_secs_f64());
                from = at;
            }
            // Of the body's parse, the state's share alone.
            let env: Envelope = serde_json::from_str(text).expect("envelope");
            let state_raw = serde_json::from_str::<BodyRaw>(env.body.get()).expect("body members").state;
            let t = Instant::now();
            let parsed = State::from_text(state_raw.get()).expect("state");
            state_alone[i].push(t.elapsed().as_secs_f64());
            drop(parsed);
        }
    }
    let median = |v: &Vec<f64>| Summary::from_samples(v.clone(), 1).median;
    let mut out: Vec<Value> = (0..texts.len())
        .map(|i| {
            let breakdown: serde_json::Map<String, Value> =
                stages[i].iter().map(|(k, v)| (k.to_string(), json!(median(v)))).collect();
            json!({
                "loadSeconds": secs(load[i].clone()),
                "loadOneThreadSeconds": secs(one_thread[i].clone()),
                "loadBreakdownSeconds": breakdown,
                "bodyParseStateSeconds": median(&state_alone[i]),
            })
        })
        .collect();
    let second = if out.len() > 1 { out.pop().unwrap_or_default() } else { Value::Null };
    (out.pop().unwrap_or_default(), second)
}

/// `load --snapshot F [--rounds N]`: the load figures of `state` on a snapshot it wrote,
/// without generating the organization again (for comparing builds of the engine), and
/// the time to save the loaded engine again under the same root.
pub fn load(args: &Args) -> Value {
    let reps = args.usize("rounds", 3);
    let path = args.path("snapshot", "org.snapshot");
    let text = std::fs::read_to_string(&path).expect("snapshot");
    let mut e = Engine::load_sealed(&text, &ROOT_KEY, Box::new(SeededRng::new(3))).expect("load_sealed");
    let key_count = e.state().keys.len();
    // Saving what was loaded, under the same root (what a server restarted from its
    // snapshot does next).
    let mut resave = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        black_box(e.save_sealed(&ROOT_KEY).expect("save_sealed"));
        resave.push(t.elapsed().as_secs_f64());
    }
    drop(e);
    let (mut out, _) = time_loads(&text, "", key_count, reps);
    out["resaveSeconds"] = json!(secs(resave));
    out["keys"] = json!(key_count);
    out["snapshotBytes"] = json!(text.len());
    out["loadBreakdownRounds"] = json!(reps);
    out
}

fn rss_json(what: &str, keys: usize, peak: u64, steady: u64, extra: Value) -> Value {
    let per = |b: u64| if keys == 0 { Value::Null } else { json!(b as f64 / keys as f64) };
    json!({
        "what": what,
        "keys": keys,
        "peakRssBytes": peak,
        "steadyRssBytes": steady,
        "peakBytesPerKey": per(peak),
        "steadyBytesPerKey": per(steady),
        "detail": extra,
    })
}

/// The organization as the generator builds it (structure, then 10 keys per account
/// through `kms:CreateKey`): the engine with every key's material.
pub fn rss_build(args: &Args) -> Value {
    let n = args.usize("accounts", 100_000);
    let kpa = args.usize("keys-per-account", 10);
    let (_, base) = stats::rss();
    let org = org::generate(n, kpa);
    let keys = org.keys;
    let engine = org.engine;
    drop((org.reach, org.resources, org.owners));
    trim();
    let (peak, steady) = stats::rss();
    black_box(&engine);
    rss_json(
        if kpa == 0 {
            "generated organization without keys (directory, instances, shares, RAM)"
        } else {
            "generated organization, engine with key material"
        },
        keys,
        peak,
        steady,
        json!({"accounts": n, "processBaselineRssBytes": base,
               "sizeOfAesKey": std::mem::size_of::<AesKey>(),
               "sizeOfKey": std::mem::size_of::<kms_share_core::model::Key>()}),
    )
}

/// A process that loads the sealed snapshot as `kms-share serve` does
/// (`Engine::load_sealed_owned`, which frees the text once read): peak during the
/// load, steady after it.
pub fn rss_load(args: &Args) -> Value {
    let path = args.path("snapshot", "org.snapshot");
    let (_, base) = stats::rss();
    let text = std::fs::read_to_string(&path).expect("snapshot");
    let bytes = text.len();
    // As `kms-share serve` loads its state: the text handed over, freed once read.
    let engine = Engine::load_sealed_owned(text, &ROOT_KEY, Box::new(SeededRng::new(3))).expect("load");
    trim();
    let (peak, steady) = stats::rss();
    let keys = engine.state().keys.len();
    black_box(&engine);
    rss_json(
        "Engine::load_sealed_owned of the snapshot, engine with key material",
        keys,
        peak,
        steady,
        json!({"snapshotBytes": bytes, "processBaselineRssBytes": base}),
    )
}

/// A process that loads the policy-only export (what a decision-only host holds: no key
/// material, no secret values).
pub fn rss_policy(args: &Args) -> Value {
    let path = args.path("export", "org.policy.json");
    let (_, base) = stats::rss();
    let text = std::fs::read_to_string(&path).expect("export");
    let bytes = text.len();
    let state = State::from_text(&text).expect("state");
    drop(text);
    let mut o = Organization::new(Some(1), Box::new(SeededRng::new(1)), None).expect("org");
    o.load_state(state);
    trim();
    let (peak, steady) = stats::rss();
    let keys = o.state().keys.len();
    black_box(&o);
    rss_json(
        "policy-only export loaded (Organization::load_state), no key material",
        keys,
        peak,
        steady,
        json!({"exportBytes": bytes, "processBaselineRssBytes": base}),
    )
}
